"""ROUGE-N between two programs' canonical tokens: the similarity that defines a training pair (training/data/pairs.py)
and that the runtime asks of a suggestion (plausibility.py). Light: no numpy. The all-pairs version over a whole
problem is training/data/similarity.py's sparse product, tested against ``rouge_n``.

Tokens: canonical code (already one layout, names and strings replaced) split into identifiers/numbers, runs of
punctuation, and newlines; indentation is implied by the line structure and the ``:`` that opens each block.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

TOKEN = re.compile(r"\w+|[^\w\s]+|\n")


def code_tokens(code: str) -> list[str]:
    return TOKEN.findall(code)


def rouge_n(a: Sequence[str], b: Sequence[str], n: int = 8) -> float:
    """ROUGE-n F1: 2·|N(a) ∩ N(b)| / (|N(a)| + |N(b)|) over the n-gram multisets (counts clipped)."""
    ga = Counter(tuple(a[i : i + n]) for i in range(len(a) - n + 1))
    gb = Counter(tuple(b[i : i + n]) for i in range(len(b) - n + 1))
    total = sum(ga.values()) + sum(gb.values())
    if not total:
        return 0.0
    return 2.0 * sum((ga & gb).values()) / total
