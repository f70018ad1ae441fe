"""A pull request file's ``patch`` -> the lines that changed and the lines GitHub lets us comment on.

GitHub's "list pull request files" gives each file's hunks without the ``---``/``+++`` header; we add one so
unidiff can parse it. Review comments may only sit on right-side lines that appear in a hunk (added or
context lines), and a multi-line comment must start and end in the same hunk; both rules are kept here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unidiff import PatchSet  # type: ignore[attr-defined]
from unidiff.errors import UnidiffParseError

from speedhints.model_export.hints import LineRange


class PatchError(ValueError):
    """A patch that unidiff cannot parse; ``str(exc)`` is one line."""


@dataclass(frozen=True)
class FileDiff:
    path: str
    added: frozenset[int] = frozenset()  # right-side line numbers of '+' lines
    # right-side line number -> index of its hunk, for every line a review comment may be attached to
    commentable: dict[int, int] = field(default_factory=dict)

    def changed_ranges(self) -> list[LineRange]:
        """Added lines grouped into inclusive runs, which is what the Suggester is asked about."""
        ranges: list[LineRange] = []
        for line in sorted(self.added):
            if ranges and ranges[-1][1] == line - 1:
                ranges[-1] = (ranges[-1][0], line)
            else:
                ranges.append((line, line))
        return ranges

    def spans_one_hunk(self, start: int, end: int) -> bool:
        """True when every line of start..end is commentable and they all lie in one hunk."""
        hunks = {self.commentable.get(n) for n in range(start, end + 1)}
        return len(hunks) == 1 and None not in hunks

    def last_commentable(self, start: int, end: int) -> int | None:
        for n in range(end, start - 1, -1):
            if n in self.commentable:
                return n
        return None


def parse_patch(path: str, patch: str) -> FileDiff:
    """Parse GitHub's header-less ``patch`` text of one file."""
    text = patch if patch.endswith("\n") else patch + "\n"
    try:
        patch_set = PatchSet(f"--- a/{path}\n+++ b/{path}\n{text}")
    except UnidiffParseError as exc:
        raise PatchError(f"cannot parse the patch of {path}: {exc}") from None
    added: set[int] = set()
    commentable: dict[int, int] = {}
    for patched_file in patch_set:
        for index, hunk in enumerate(patched_file):
            for line in hunk:
                if line.target_line_no is None:  # removed lines and "\ No newline" markers
                    continue
                commentable[line.target_line_no] = index
                if line.is_added:
                    added.add(line.target_line_no)
    return FileDiff(path, frozenset(added), commentable)
