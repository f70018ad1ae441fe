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
