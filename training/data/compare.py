"""Judge a program's output against the expected one, the way Codeforces' default checkers do.

Tokens are compared after splitting on any whitespace (so "\\r\\n" vs "\\n", trailing spaces and blank lines
do not matter). Two tokens match when they are the same text, or when both parse as decimals, at least one is
not an integer, and they agree within 1e-6 relative (or 1e-6 absolute near zero). Integers are compared as
text, so 10**18 + 1 never equals 10**18 through float rounding.
"""

from __future__ import annotations

import math
import re

_INT = re.compile(rb"[+-]?\d+\Z")
_FLOAT = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
REL_TOL = 1e-6
ABS_TOL = 1e-6


def tokens_match(got: bytes, expected: bytes) -> bool:
    if got == expected:
        return True
    if _INT.match(got) and _INT.match(expected):
        return False  # integers must be the same text
    if not (_FLOAT.match(got) and _FLOAT.match(expected)):
        return False
    a, b = float(got), float(expected)
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def outputs_match(got: bytes | str, expected: bytes | str) -> bool:
    """True when `got` equals `expected` token-wise (whitespace-insensitive, floats to 1e-6 relative)."""
    g = got.encode("utf-8", "surrogateescape") if isinstance(got, str) else got
    e = expected.encode("utf-8", "surrogateescape") if isinstance(expected, str) else expected
    gt, et = g.split(), e.split()
    return len(gt) == len(et) and all(tokens_match(x, y) for x, y in zip(gt, et, strict=True))
