"""What the runtime hands to the hook and the bot: ``Hint`` values, and the ``Suggester`` that makes them.

This is the whole contract between model_export and its two consumers; neither side needs to know how hints
are produced (ONNX decoding, canonical form, latent prior) to render or post them.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from speedhints.model_export.atlas import LatentPrecision

LineRange = tuple[int, int]  # 1-based, inclusive


class Overlaps:
    """Whether a span overlaps any of ``ranges``, in O(log n) per question: a whole file's check asks it once per
    region with one range per region (10,788 of each on a 5 MB file: 58 million comparisons done pairwise)."""

    def __init__(self, ranges: Sequence[LineRange]) -> None:
        ordered = sorted(ranges)
        self._starts = [a for a, _ in ordered]
        self._reach: list[int] = []  # the furthest end among the ranges up to here (ordered by start)
        furthest = -1
        for _, b in ordered:
            furthest = max(furthest, b)
            self._reach.append(furthest)

    def __call__(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._starts, end)  # the ranges that start no later than the span ends
        return i > 0 and self._reach[i - 1] >= start


@dataclass(frozen=True)
class Hint:
    path: str
    start_line: int  # first line of the user's code that the suggestion replaces (1-based)
    end_line: int  # last replaced line, inclusive
    function: str  # qualified name of the enclosing function ("Cls.meth"), or "<module>" for top-level code
    latent: int  # codebook index of the edit
    label: str  # what this suggestion changes, from its AST difference (edit_describe.py), e.g. "hoists len(a) out
    # of the loop"; not the latent's name, which describes its training pairs rather than this edit
    measured: LatentPrecision | None  # the latent's record on held-out programs (None: never measured)
    score: float  # the latent prior's probability for this input, in [0, 1]
    original: str  # the replaced lines exactly as in the file (ending with a newline)
    suggestion: str  # the replacement in the user's own names, same indentation (ending with a newline)

    @property
    def record(self) -> str:
        """What was measured, in words: "correct and faster in 41 of 52 held-out trials, median 2.1x"."""
        return self.measured.describe() if self.measured else "not measured on held-out programs"

    @property
    def diff(self) -> str:
        """Unified diff of the replaced lines, numbered as in the user's file."""
        return unified_diff(self.path, self.original, self.suggestion, self.start_line)

    @property
    def marker(self) -> str:
        """A stable identity (path, function, latent, suggestion) so a re-run never repeats a hint."""
        h = hashlib.sha256("\0".join([self.path, self.function, str(self.latent), self.suggestion]).encode())
        return h.hexdigest()[:16]


def unified_diff(path: str, original: str, suggestion: str, start_line: int = 1) -> str:
    a = original.splitlines(keepends=True)
    b = suggestion.splitlines(keepends=True)
    name = path.lstrip("/")  # git's a/ b/ prefixes: an absolute path must not read "a//tmp/x.py"
    lines = list(difflib.unified_diff(a, b, fromfile=f"a/{name}", tofile=f"b/{name}", n=3))
    if not lines:
        return ""
    out = []
    offset = start_line - 1
    for line in lines:
        if line.startswith("@@") and offset:
            line = _shift_hunk_header(line, offset)
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _shift_hunk_header(header: str, offset: int) -> str:
    # "@@ -1,5 +1,6 @@" -> numbers relative to the file rather than to the snippet
    _, old, new, *rest = header.split(" ")

    def shift(spec: str) -> str:
        sign, body = spec[0], spec[1:]
        start, _, count = body.partition(",")
        return f"{sign}{int(start) + offset}" + (f",{count}" if count else "")

    return " ".join(["@@", shift(old), shift(new), *rest])


class Suggester(Protocol):
    """Turns a source file and the line ranges that changed into ranked hints."""

    def suggest(self, path: str, source: str, changed: Sequence[LineRange], *, top_k: int = 4) -> list[Hint]: ...
