"""The core of the bot, with no I/O: hints + the PR's diff + what is already posted -> one review to post.

Rules (issue #8): comments only on right-side lines inside the diff; a ``suggestion`` block only when the
suggestion replaces exactly the commented lines; at most ``max_comments`` comments, the rest folded into the
body; nothing a previous run posted is posted again; our comments that no longer apply are deleted unless
someone replied to them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from speedhints.bot.diffmap import FileDiff
from speedhints.bot.render import MARKER_RE, comment_body, markers_in, review_body
from speedhints.model_export.hints import Hint

MAX_COMMENTS = 30  # per review, as issue #8 asks; GitHub itself accepts more but reviews become unreadable


@dataclass(frozen=True)
class ExistingComment:
    """The fields of a GitHub pull-request review comment that the planner needs."""

    id: int
    body: str
    path: str
    in_reply_to_id: int | None = None

    @property
    def marker(self) -> str | None:
        """Our marker, only when the comment *starts* with it (a human quoting it does not count)."""
        match = MARKER_RE.match(self.body.lstrip())
        return match.group(1) if match and self.in_reply_to_id is None else None


@dataclass(frozen=True)
class PlannedComment:
    hint: Hint
    path: str
    line: int
    start_line: int | None  # set for multi-line comments
    body: str

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.line, "side": "RIGHT", "body": self.body}
        if self.start_line is not None:
            out.update(start_line=self.start_line, start_side="RIGHT")
        return out


@dataclass
class ReviewPlan:
    head_sha: str
    comments: list[PlannedComment] = field(default_factory=list)
    folded: list[Hint] = field(default_factory=list)
    delete_ids: list[int] = field(default_factory=list)
    already_posted: int = 0
    evidence: Mapping[str, str] = field(default_factory=dict)  # marker -> what was checked (``--verify``)

    @property
    def run_marker(self) -> str:
        """Identity of this exact review (head commit + what it says), used to detect a post that succeeded
        although its response was lost."""
        ids = sorted(c.hint.marker for c in self.comments) + ["|"] + sorted(h.marker for h in self.folded)
        return hashlib.sha256("\0".join([self.head_sha, *ids]).encode()).hexdigest()[:16]

    @property
    def is_empty(self) -> bool:
        return not self.comments and not self.folded

    def body(self) -> str:
        body: str = review_body(len(self.comments), self.folded, self.run_marker, self.evidence)
        return body

    def payload(self) -> dict[str, Any]:
        """The JSON of POST /repos/{owner}/{repo}/pulls/{n}/reviews."""
        return {
            "commit_id": self.head_sha,
            "event": "COMMENT",
            "body": self.body(),
            "comments": [c.payload() for c in self.comments],
        }

    def without(self, rejected: Iterable[PlannedComment]) -> ReviewPlan:
        """The same plan with ``rejected`` comments moved into the body (so their hints are still shown)."""
        drop = {id(c) for c in rejected}
        kept = [c for c in self.comments if id(c) not in drop]
        moved = [c.hint for c in self.comments if id(c) in drop]
        return ReviewPlan(self.head_sha, kept, moved + self.folded, self.delete_ids, self.already_posted, self.evidence)


def rank(hints: Iterable[Hint]) -> list[Hint]:
    """Best first, deterministic; one hint per marker."""
    unique: dict[str, Hint] = {}
    for hint in hints:
        unique.setdefault(hint.marker, hint)
    return sorted(unique.values(), key=lambda h: (-h.score, h.path, h.start_line, h.latent))


def place(hint: Hint, diff: FileDiff | None, evidence: str = "") -> PlannedComment | None:
    """Where a hint can be commented, or None when none of its lines is inside the diff."""
    if diff is None:
        return None
    if diff.spans_one_hunk(hint.start_line, hint.end_line):
        start = hint.start_line if hint.start_line < hint.end_line else None
        body = comment_body(hint, as_suggestion=True, evidence=evidence)
        return PlannedComment(hint, hint.path, hint.end_line, start, body)
    anchor = diff.last_commentable(hint.start_line, hint.end_line)
    if anchor is None:
        return None
    return PlannedComment(hint, hint.path, anchor, None, comment_body(hint, as_suggestion=False, evidence=evidence))


def plan_review(
    head_sha: str,
    hints: Sequence[Hint],
    diffs: dict[str, FileDiff],
    existing_comments: Sequence[ExistingComment] = (),
    existing_review_bodies: Sequence[str] = (),
    analyzed_paths: Iterable[str] | None = None,
    pr_paths: Iterable[str] | None = None,
    max_comments: int = MAX_COMMENTS,
    evidence: Mapping[str, str] | None = None,
) -> ReviewPlan:
    """Decide what to post and what to delete.

    ``analyzed_paths``: files whose hints are complete in ``hints`` (default: the keys of ``diffs``);
    ``pr_paths``: every file of the PR (default: the same); ``evidence``: marker -> a sentence saying how the hint
    was checked (``--verify``), shown with it. Our comments on a file that is still in the PR but
    was not analyzed this time are left alone: a file we could not read must not lose its comments.
    """
    seen = {c.marker for c in existing_comments if c.marker}
    for body in existing_review_bodies:
        seen |= markers_in(body)
    plan = ReviewPlan(head_sha, evidence=dict(evidence or {}))
    current = rank(hints)
    for hint in current:
        if hint.marker in seen:
            plan.already_posted += 1
            continue
        placed = place(hint, diffs.get(hint.path), plan.evidence.get(hint.marker, ""))
        if placed is not None and len(plan.comments) < max_comments:
            plan.comments.append(placed)
        else:
            plan.folded.append(hint)

    current_markers = {h.marker for h in current}
    analyzed = set(diffs if analyzed_paths is None else analyzed_paths)
    in_pr = set(diffs if pr_paths is None else pr_paths)
    replied_to = {c.in_reply_to_id for c in existing_comments if c.in_reply_to_id is not None}
    for comment in existing_comments:
        if comment.marker is None or comment.marker in current_markers or comment.id in replied_to:
            continue
        if comment.path in analyzed or comment.path not in in_pr:
            plan.delete_ids.append(comment.id)
    return plan
