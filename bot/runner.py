"""One review run: PR files -> changed ranges -> hints -> plan -> post, with GitHub's failure modes handled.

- 422 (a comment GitHub will not place): find the offenders by bisecting with *pending* reviews (visible only
  to us, deleted right after), then post the others and list the offenders in the body.
- 5xx / connection loss while posting: the review may have landed. Before each retry we list what is on the PR
  again and re-plan; the markers make an already-posted review plan to nothing, so nothing is posted twice.
- read-only token (fork PRs): hints go to the job summary and annotations instead (``summary.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from speedhints.bot.diffmap import FileDiff, PatchError, parse_patch
from speedhints.bot.github_api import PullRequestAPI
from speedhints.bot.plan import MAX_COMMENTS, PlannedComment, ReviewPlan, plan_review, rank
from speedhints.bot.retry import GitHubError, ReadOnlyToken, is_transient_status
from speedhints.model_export.hints import Hint, LineRange, Suggester
from speedhints.model_export.regions import CodeRegion, touched_regions
from speedhints.model_export.source import BadInput, decode_source, source_lines


@dataclass
class ReviewOutcome:
    mode: str  # "posted" | "nothing-new" | "read-only" (hints could not be posted: the caller shows them)
    review_id: int | None = None
    comments: int = 0
    folded: int = 0
    rejected: int = 0  # comments GitHub refused (422), moved into the body
    deleted: int = 0
    already_posted: int = 0
    hints: list[Hint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line per skipped file or recovered error


@dataclass
class CollectedHints:
    hints: list[Hint] = field(default_factory=list)
    diffs: dict[str, FileDiff] = field(default_factory=dict)
    analyzed: set[str] = field(default_factory=set)
    pr_paths: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


@dataclass
class Screened:
    """What a screen (``--verify``: bot/verify.py) lets through: the hints to post, a sentence per posted hint
    (by marker) for its comment, the files whose hints were not all judged (their earlier comments stay), and one
    log line per decision."""

    kept: list[Hint] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)
    unsettled_paths: set[str] = field(default_factory=set)
    log: list[str] = field(default_factory=list)


Screen = Callable[[Sequence[Hint]], Screened]


def is_python(path: str) -> bool:
    return path.endswith(".py")


def hint_matches_source(hint: Hint, path: str, lines: Sequence[str]) -> bool:
    """A hint must quote the file exactly, or its suggestion block would replace the wrong text."""
    if hint.path != path or not (1 <= hint.start_line <= hint.end_line <= len(lines)):
        return False
    return bool("".join(lines[hint.start_line - 1 : hint.end_line]) == hint.original)


# Regions whose code lengths differ by at most this factor share one decode call. Measured by
# benchmarks/bench_bot_batching.py (issue #17 item 6): one padded batch of every region of a file was slower than
# one call per region for the same hints, because every row pays for the longest source's padding at every step.
LENGTH_RATIO = 1.25


def length_groups(regions: Sequence[CodeRegion], ratio: float = LENGTH_RATIO) -> list[list[CodeRegion]]:
    """``regions`` grouped so that in each group the longest code is at most ``ratio`` times the shortest."""
    groups: list[list[CodeRegion]] = []
    for region in sorted(regions, key=lambda r: (len(r.code), r.start)):
        if groups and len(region.code) <= ratio * len(groups[-1][0].code):
            groups[-1].append(region)
        else:
            groups.append([region])
    return groups


def suggest_by_length(
    suggester: Suggester,
    path: str,
    text: str,
    changed: Sequence[LineRange],
    top_k: int,
    ratio: float = LENGTH_RATIO,
) -> list[Hint]:
    """The suggester's hints for ``changed``, asked for one group of similar-length regions at a time.

    Each call gets the changed lines clipped to its regions, so it sees exactly those regions (the runtime's
    regions are the same units: touched_regions is what it calls too, and remembers the file's parse)."""
    hints: list[Hint] = []
    for group in length_groups(touched_regions(text, changed), ratio):
        clipped = sorted(
            (max(a, r.start), min(b, r.end)) for r in group for a, b in changed if a <= r.end and b >= r.start
        )
        hints.extend(suggester.suggest(path, text, clipped, top_k=top_k))
    return hints


def collect_hints(api: PullRequestAPI, suggester: Suggester, head_sha: str, top_k: int) -> CollectedHints:
    out = CollectedHints()
    for f in api.list_files():
        out.pr_paths.add(f.filename)
        if not is_python(f.filename) or f.status == "removed":
            continue
        if f.patch is None:
            out.notes.append(f"{f.filename}: skipped: GitHub sent no patch (binary file or diff too large)")
            continue
        try:
            diff = parse_patch(f.filename, f.patch)
        except PatchError as exc:
            out.notes.append(f"{f.filename}: skipped: {exc}")
            continue
        out.diffs[f.filename] = diff
        ranges = diff.changed_ranges()
        if not ranges:
            out.analyzed.add(f.filename)
            continue
        try:
            text = decode_source(api.file_bytes(f.filename, head_sha))
            hints = suggest_by_length(suggester, f.filename, text, ranges, top_k)
        except BadInput as exc:
            out.notes.append(f"{f.filename}: skipped: {exc}")
            continue
        lines = source_lines(text)  # the runtime's line numbering, not str.splitlines (form feeds, U+2028)
        for hint in hints:
            if hint_matches_source(hint, f.filename, lines):
                out.hints.append(hint)
            else:
                out.notes.append(f"{f.filename}: dropped a hint whose lines do not match the file")
        out.analyzed.add(f.filename)
    return out


def find_rejected(
    comments: Sequence[PlannedComment],
    accepts: Callable[[Sequence[PlannedComment]], bool],
    known_bad: bool = True,
) -> list[PlannedComment]:
    """Bisect ``comments`` down to those ``accepts`` refuses (``known_bad``: the whole set already failed)."""
    if not comments:
        return []
    if not known_bad and accepts(comments):
        return []
    if len(comments) == 1:
        return list(comments)
    mid = len(comments) // 2
    return find_rejected(comments[:mid], accepts, False) + find_rejected(comments[mid:], accepts, False)


def _probe(api: PullRequestAPI, head_sha: str) -> Callable[[Sequence[PlannedComment]], bool]:
    def create(subset: Sequence[PlannedComment]) -> int:
        # Without "event" GitHub creates a PENDING review: nobody else sees it, and we delete it at once.
        return int(api.create_review({"commit_id": head_sha, "comments": [c.payload() for c in subset]}))

    def accepts(subset: Sequence[PlannedComment]) -> bool:
        try:
            try:
                review_id = create(subset)
            except GitHubError as exc:
                if exc.status != 422 or "pending review" not in str(exc):
                    raise
                # a probe of an earlier, interrupted run is still pending: GitHub allows one per user
                for stale in api.list_pending_review_ids():
                    api.delete_pending_review(stale)
                review_id = create(subset)
        except GitHubError as exc:
            if exc.status == 422:
                return False
            raise
        api.delete_pending_review(review_id)
        return True

    return accepts


def post_plan(api: PullRequestAPI, plan: ReviewPlan) -> tuple[int, ReviewPlan, int]:
    """Post ``plan``; on a 422 fold the offending comments into the body. -> (id, plan posted, n rejected)"""
    try:
        return api.create_review(plan.payload()), plan, 0
    except GitHubError as exc:
        if exc.status != 422 or not plan.comments:
            raise
    rejected = find_rejected(plan.comments, _probe(api, plan.head_sha))
    kept = plan.without(rejected)
    return api.create_review(kept.payload()), kept, len(rejected)


def run_review(
    api: PullRequestAPI,
    suggester: Suggester,
    *,
    top_k: int = 4,
    max_comments: int = MAX_COMMENTS,
    sleep: Callable[[float], None] = time.sleep,
    screen: Screen | None = None,
) -> ReviewOutcome:
    """Review one pull request; GitHubError when GitHub fails beyond what the retries cover.

    ``screen`` (``speedhints review --verify`` only; the webhook server never passes one) decides which hints may
    be posted, best first, and what their comments say about it."""
    pull = api.get_pull()
    if pull.state != "open":  # closed or merged while the job waited: a review would only be noise
        return ReviewOutcome("nothing-new", notes=[f"pull request #{pull.number} is {pull.state}; not reviewed"])
    found = collect_hints(api, suggester, pull.head_sha, top_k)
    evidence: dict[str, str] = {}
    notes = list(found.notes)
    if screen is not None:
        screened = screen(rank(found.hints))
        found.hints, evidence = screened.kept, screened.evidence
        found.analyzed -= screened.unsettled_paths
        notes += screened.log
    outcome = ReviewOutcome("nothing-new", hints=rank(found.hints), notes=notes)
    try:
        return _reconcile(api, found, pull.head_sha, outcome, max_comments, sleep, evidence)
    except ReadOnlyToken as exc:
        outcome.mode = "read-only"
        outcome.notes.append(str(exc))
        return outcome


def _reconcile(
    api: PullRequestAPI,
    found: CollectedHints,
    head_sha: str,
    outcome: ReviewOutcome,
    max_comments: int,
    sleep: Callable[[float], None],
    evidence: dict[str, str],
) -> ReviewOutcome:
    backoff = api.policy.backoff_s
    for attempt in range(api.policy.server_error_retries + 1):
        plan = plan_review(
            head_sha,
            found.hints,
            found.diffs,
            api.list_review_comments(),
            api.list_review_bodies(),
            analyzed_paths=found.analyzed,
            pr_paths=found.pr_paths,
            max_comments=max_comments,
            evidence=evidence,
        )
        if attempt == 0:
            for comment_id in plan.delete_ids:
                try:
                    api.delete_comment(comment_id)
                    outcome.deleted += 1
                except ReadOnlyToken:
                    raise  # a read-only token is handled by the caller, not per comment
                except GitHubError as exc:  # already gone (404) or not ours to delete: not worth failing for
                    outcome.notes.append(f"could not delete stale comment {comment_id}: {exc}")
        outcome.already_posted = plan.already_posted
        if plan.is_empty:
            if attempt:  # the previous attempt landed although its response was lost
                outcome.mode = "posted"
                outcome.notes.append("the review had been posted before the error; not posting it again")
            return outcome
        outcome.comments, outcome.folded = len(plan.comments), len(plan.folded)
        try:
            review_id, posted, rejected = post_plan(api, plan)
        except GitHubError as exc:
            if isinstance(exc, ReadOnlyToken) or not is_transient_status(exc.status):
                raise
            if attempt == api.policy.server_error_retries:
                raise
            outcome.notes.append(f"{exc}; checking whether it landed before retrying")
            sleep(backoff)
            backoff *= 2
            continue
        outcome.mode, outcome.review_id, outcome.rejected = "posted", review_id, rejected
        outcome.comments, outcome.folded = len(posted.comments), len(posted.folded)
        return outcome
    raise AssertionError("unreachable")  # pragma: no cover
