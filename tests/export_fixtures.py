"""A tiny Edit-VQVAE trained in seconds on real Python slow->fast pairs, exported for real (shared by the
export, runtime and speculative-decoding tests; built once per test process).

Each input program has two targets: a real speed edit and itself unchanged. The model can only reproduce
both through its latent, so some latent rewrites the code and another copies it (the runtime must then drop
that copy as "no change"). Copy-heavy outputs are also what speculative decoding needs to accept drafts.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

from speedhints.model_export.canonical import canonicalize
from speedhints.model_export.tokenizer import CodeTokenizer

TOKENIZER = Path(__file__).resolve().parents[1] / "training" / "corpus" / "tokenizer.json"

SLOW_FAST = [
    (
        "def f(xs, ys):\n    out = []\n    for x in xs:\n        if x in ys:\n            out.append(x)\n"
        "    return out\n",
        "def f(xs, ys):\n    ys = set(ys)\n    out = []\n    for x in xs:\n        if x in ys:\n"
        "            out.append(x)\n    return out\n",
    ),
    (
        "def g(n):\n    s = 0\n    for i in range(n):\n        s = s + i\n    return s\n",
        "def g(n):\n    return n * (n - 1) // 2\n",
    ),
    (
        "def h(words):\n    r = ''\n    for w in words:\n        r += w\n    return r\n",
        "def h(words):\n    return ''.join(words)\n",
    ),
    (
        "def k(a):\n    b = sorted(a)\n    return b[0]\n",
        "def k(a):\n    return min(a)\n",
    ),
]


def canonical_pairs() -> list[tuple[str, str]]:
    """(slow, fast) canonical code: every input with its speed edit and with itself."""
    out = []
    for slow, fast in SLOW_FAST:
        x, y = canonicalize(slow).code, canonicalize(fast).code
        out += [(x, y), (x, x)]
    return out


def _temp_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)  # shared by the whole test process, then removed
    return path


@functools.cache
def tiny_checkpoint(steps: int = 400, model_name: str = "edit-vqvae") -> Path:
    import torch

    from speedhints.training.configs import make_run_config
    from speedhints.training.dataset import Examples
    from speedhints.training.train import CKPT_NAME, TrainData, train

    torch.set_num_threads(1)
    tok = CodeTokenizer.load(TOKENIZER)
    run = make_run_config(model_name, "tiny", vocab_size=tok.vocab_size, pad_id=tok.pad_id, bos_id=tok.bos_id,
                          eos_id=tok.eos_id)
    run.train.max_steps = run.train.lr_decay_steps = run.train.eval_interval = steps
    src, tgt, keys = [], [], []
    for i, (x, y) in enumerate(canonical_pairs()):
        src.append([*tok.encode(x), tok.eos_id])
        tgt.append([tok.bos_id, *tok.encode(y), tok.eos_id])
        keys.append(("p", str(i // 2)))
    ex = Examples(src, tgt, 0, keys)
    out = _temp_dir("speedhints-tiny-")
    train(run, TrainData(ex, ex, tokenizer_json=TOKENIZER.read_text(), source="tests/export_fixtures.py"), out,
          device="cpu", echo=lambda _: None)
    return out / CKPT_NAME


@functools.cache
def tiny_bundle(int8: bool = False) -> Path:
    from speedhints.training.export.exporter import ExportConfig, export_bundle

    out = _temp_dir("speedhints-bundle-")
    export_bundle(ExportConfig(checkpoint=tiny_checkpoint(), out=out, int8=int8))
    return out


# ---- an edit-output model (issue 14.5): scripts over the marked input ----------------------------------------

# A method of a user's file, written by hand: a docstring, comments and a blank line around the one slow line.
EDIT_USER = '''"""Orders."""
import os


class Shop:
  def collect(self, items, limit):
    """Items under the limit.

    Kept in order.
    """
    # start empty
    out = []
    for item in items:

      # copies the list each time
      out = out + [item]
    return out
'''
EDIT_SLOW_LINE, EDIT_FAST_LINE = "      out = out + [item]\n", "      out.append(item)\n"
# A function the model is taught to answer with a script that points past its last line (malformed), and one
# it is taught to leave alone (the empty script: EOS at once).
EDIT_MALFORMED = "def total(values):\n    s = 0\n    for v in values:\n        s += v\n    return s\n"
EDIT_UNCHANGED = "def first(xs, n):\n    return xs[:n]\n"


def edit_examples(codec: Any) -> list[tuple[list[int], list[int]]]:
    """(marked input, script) token ids of the three training inputs, without EOS/BOS."""
    from speedhints.model_export.editscript import diff
    from speedhints.model_export.regions import regions

    (method,) = [r for r in regions(EDIT_USER) if r.name == "Shop.collect"]
    x = canonicalize(method.code).code
    y = canonicalize(method.code.replace(EDIT_SLOW_LINE.strip(), EDIT_FAST_LINE.strip())).code
    bad, same = canonicalize(EDIT_MALFORMED).code, canonicalize(EDIT_UNCHANGED).code
    return [
        (codec.encode_source(x), codec.encode_script(x, diff(x, y))),
        (codec.encode_source(bad), [codec.line_id(30), codec.line_id(31)]),  # lines 30-31 of a 6-line input
        (codec.encode_source(same), []),
    ]


@functools.cache
def tiny_edit_checkpoint(steps: int = 300, copy: bool = False) -> Path:
    import torch

    from speedhints.model_export.editscript import ScriptCodec
    from speedhints.training.configs import make_run_config
    from speedhints.training.dataset import Examples
    from speedhints.training.train import CKPT_NAME, TrainData, train

    torch.set_num_threads(1)
    tok = CodeTokenizer.load(TOKENIZER)
    codec = ScriptCodec(tok)
    run = make_run_config("edit-vqvae", "tiny", output="edit", vocab_size=codec.vocab_size, pad_id=tok.pad_id,
                          bos_id=tok.bos_id, eos_id=tok.eos_id, max_len=128, copy=copy)
    t = run.train
    t.max_steps = t.lr_decay_steps = t.eval_interval = t.ckpt_interval = steps
    t.max_len, t.batch_size, t.learning_rate, t.warmup_steps = 128, 4, 1e-2, 10
    pairs = edit_examples(codec)
    ex = Examples([[*x, tok.eos_id] for x, _ in pairs], [[tok.bos_id, *s, tok.eos_id] for _, s in pairs], 0,
                  [("p", str(i)) for i in range(len(pairs))])
    out = _temp_dir("speedhints-tiny-edit-")
    train(run, TrainData(ex, ex, tokenizer_json=codec.tokenizer.to_json(), source="tests/export_fixtures.py"), out,
          device="cpu", echo=lambda _: None)
    return out / CKPT_NAME


@functools.cache
def tiny_edit_bundle(copy: bool = False) -> Path:
    from speedhints.training.export.exporter import ExportConfig, export_bundle

    out = _temp_dir("speedhints-edit-bundle-")
    export_bundle(ExportConfig(checkpoint=tiny_edit_checkpoint(copy=copy), out=out))
    return out
