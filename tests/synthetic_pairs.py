"""Tiny synthetic pair sets (no tokenizer): token ids 3..V-1; 0/1/2 are pad/BOS/EOS."""

from __future__ import annotations

import random

from speedhints.training.dataset import Examples

PAD, BOS, EOS = 0, 1, 2
VOCAB = 16


def edits(x: list[int], kind: int) -> list[int]:
    """Two different "faster versions" of x: reversed, or every token shifted by one (wrapping in 3..V-1)."""
    if kind == 0:
        return x[::-1]
    return [3 + (t - 3 + 1) % (VOCAB - 3) for t in x]


def make_examples(n_inputs: int, kinds: tuple[int, ...], seed: int = 0, min_len: int = 4, max_len: int = 7) -> Examples:
    """n_inputs random programs, each paired with one target per edit kind."""
    rng = random.Random(seed)
    src, tgt, keys = [], [], []
    for i in range(n_inputs):
        x = [rng.randrange(3, VOCAB) for _ in range(rng.randint(min_len, max_len))]
        for k in kinds:
            src.append([*x, EOS])
            tgt.append([BOS, *edits(x, k), EOS])
            keys.append(("p", str(i)))
    return Examples(src, tgt, 0, keys)
