"""Unified diff text -> the line ranges each file gained, parsed with unidiff.

The hook asks git for ``-U0`` diffs, so every hunk is exactly the lines that changed; only the target side
(the new file) matters, because hints point at the code being committed. Pure deletions leave no line to hint
at and are dropped.
"""

from __future__ import annotations

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from speedhints.model_export.hints import LineRange


class DiffError(ValueError):
    """A diff that unidiff cannot parse; ``str(exc)`` is one line."""


def changed_ranges(diff_text: str) -> dict[str, list[LineRange]]:
    """Map each added/modified file (path relative to the repository root) to its changed line ranges.

    Ranges are 1-based and inclusive, sorted, with adjacent or overlapping ranges merged.
    """
    try:
        patch = PatchSet(diff_text)
    except (UnidiffParseError, ValueError, IndexError) as exc:
        raise DiffError(f"cannot parse diff: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    result: dict[str, list[LineRange]] = {}
    for patched in patch:
        if patched.is_removed_file:
            continue
        ranges = [
            (hunk.target_start, hunk.target_start + hunk.target_length - 1) for hunk in patched if hunk.target_length
        ]
        # A file that appears only for a mode change, a rename or pure deletions still shows up (with no
        # ranges), so the caller knows it is part of the diff and is not checked whole.
        result[patched.path] = merge_ranges(ranges)
    return result


def merge_ranges(ranges: list[LineRange]) -> list[LineRange]:
    merged: list[LineRange] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
