"""Inputs for ``speedhints bench decode``: real Python functions (the standard library's, present everywhere) and,
when no trained model is given, a small copy-heavy Edit-VQVAE trained on them.

The copy model is NOT a speed model: its two edits are "return the function unchanged" and "drop the first
statement of its body". It exists because decoding speed depends on how much of the output copies the input,
and these pairs copy about as much as real speed edits do; the bench prints which model it used.
"""

from __future__ import annotations

import ast
import os
import sysconfig
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from speedhints.model_export.canonical import CanonicalError, canonicalize
from speedhints.model_export.tokenizer import CodeTokenizer

CORPUS_TOKENIZER = Path(__file__).resolve().parents[1] / "corpus" / "tokenizer.json"
SHORT = (30, 60)  # tokens: a typical small function
LONG = (200, 400)  # tokens: a long one (the corpus's 95th percentile is about 256)


@dataclass(frozen=True)
class Function:
    name: str  # "module.function"
    code: str  # canonical
    ids: list[int]  # tokens + EOS
    lines: int  # lines of the original source
    source: str  # the original source (comments dropped by ast, layout kept)


def stdlib_functions(tok: CodeTokenizer, max_files: int = 150) -> list[Function]:
    """Top-level functions of the first ``max_files`` stdlib modules (sorted: the same list on every run)."""
    return list(iter_stdlib_functions(tok, max_files))


def pick_functions(tok: CodeTokenizer, max_len: int, per_bucket: int = 16) -> dict[str, list[Function]]:
    """The bench's inputs: ``per_bucket`` short and long functions and ~40-line ones, scanning no more than needed."""
    picked: dict[str, list[Function]] = {"short": [], "long": [], "forty_lines": []}
    possible = [k for k, (lo, _) in (("short", SHORT), ("long", LONG)) if lo < max_len - 1]  # others stay empty
    for f in iter_stdlib_functions(tok, max_files=150, max_lines=80):
        if len(f.ids) > max_len - 1:
            continue
        for name, bounds in (("short", SHORT), ("long", LONG)):
            if bounds[0] <= len(f.ids) - 1 <= bounds[1] and len(picked[name]) < per_bucket:
                picked[name].append(f)
        if 38 <= f.lines <= 42 and not picked["forty_lines"]:
            picked["forty_lines"].append(f)
        if all(len(picked[k]) >= per_bucket for k in possible) and picked["forty_lines"]:
            break
    return picked


def iter_stdlib_functions(tok: CodeTokenizer, max_files: int, max_lines: int | None = None) -> Iterator[Function]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(lib.glob("*.py"))[:max_files]:
        try:
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and len(node.body) >= 2:
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if max_lines is not None and lines > max_lines:
                    continue
                try:
                    code = canonicalize(ast.unparse(node)).code
                except CanonicalError:
                    continue
                source = ast.get_source_segment(text, node) or ast.unparse(node)
                yield Function(f"{path.stem}.{node.name}", code, [*tok.encode(code), tok.eos_id], lines, source + "\n")


def in_range(functions: list[Function], bounds: tuple[int, int], max_len: int) -> list[Function]:
    lo, hi = bounds
    return [f for f in functions if lo <= len(f.ids) - 1 <= hi and len(f.ids) <= max_len - 1]


def drop_first_statement(code: str) -> str:
    tree = ast.parse(code)
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    del fn.body[0]  # canonical placeholders keep their numbers: the rest is a verbatim copy
    return ast.unparse(tree) + "\n"


def copy_model_dir(steps: int) -> Path:
    """Where the bench keeps its copy model, so a second run reuses it ($XDG_CACHE_HOME or ~/.cache)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "speedhints" / f"bench-copy-model-{steps}"


def train_copy_model(steps: int, echo: Callable[[str], None]) -> Path:
    """Train the copy-heavy Edit-VQVAE described above (or reuse the cached one); returns its checkpoint."""
    import torch

    from speedhints.training.configs import make_run_config
    from speedhints.training.dataset import Examples
    from speedhints.training.train import CKPT_NAME, TrainData, train

    out = copy_model_dir(steps)
    if (out / CKPT_NAME).is_file() and torch.load(out / CKPT_NAME, weights_only=False).get("step") == steps:
        echo(f"reusing the bench copy model in {out}")
        return Path(out / CKPT_NAME)
    torch.set_num_threads(1)
    tok = CodeTokenizer.load(CORPUS_TOKENIZER)
    max_len = 448
    src, tgt, keys = [], [], []
    for i, f in enumerate(in_range(stdlib_functions(tok), (20, 400), max_len)):
        for y in (f.code, drop_first_statement(f.code)):
            src.append(f.ids)
            tgt.append([tok.bos_id, *tok.encode(y), tok.eos_id])
            keys.append(("stdlib", str(i)))
    run = make_run_config("edit-vqvae", "tiny", vocab_size=tok.vocab_size, pad_id=tok.pad_id, bos_id=tok.bos_id,
                          eos_id=tok.eos_id, d_model=64, n_heads=4, d_ff=128, n_enc_layers=2, n_dec_layers=2,
                          n_latent_layers=1, max_len=max_len)
    t = run.train
    t.max_steps = t.lr_decay_steps = t.eval_interval = t.ckpt_interval = steps
    t.max_len, t.warmup_steps, t.learning_rate, t.batch_size, t.bucket_chunk = max_len, 50, 3e-3, 16, 50
    t.log_interval = max(1, steps // 10)
    valid = Examples(src[:64], tgt[:64], 0, keys[:64])
    train(run, TrainData(Examples(src, tgt, 0, keys), valid, CORPUS_TOKENIZER.read_text(), "stdlib copy pairs"), out,
          device="cpu", echo=echo, resume=True)  # an interrupted run continues where it stopped
    return Path(out / CKPT_NAME)
