"""The bot's core without I/O: patches -> lines, hints -> one review plan, markers, dedupe, stale comments."""

from __future__ import annotations

from collections.abc import Sequence

from fakegithub.suggesters import RuleSuggester

from speedhints.bot.diffmap import parse_patch
from speedhints.bot.plan import ExistingComment, plan_review
from speedhints.bot.render import fence, markers_in
from speedhints.bot.runner import find_rejected, suggest_by_length
from speedhints.model_export.hints import Hint, LineRange

# GitHub's "patch" of a modified file: two hunks, a removed line, and a missing final newline.
PATCH = "\n".join(
    [
        "@@ -1,4 +1,5 @@",
        " def f(xs):",
        "-    return [x for x in xs if x in [1, 2]]",
        "+    keep = [1, 2]",
        "+    return [x for x in xs if x in keep]",
        " ",  # context lines that are blank still start with a space
        " ",
        "@@ -20,3 +21,4 @@ def g():",
        "     a = 1",
        "     b = 2",
        "+    c = 3",
        "     return a",
        "\\ No newline at end of file",
    ]
)


def hint(start: int, end: int, *, latent: int = 7, score: float = 0.5, path: str = "a.py", text: str = "x") -> Hint:
    original = "".join(f"line{n}\n" for n in range(start, end + 1))
    return Hint(path, start, end, "f", latent, "list -> set membership", None, score, original, f"{text}\n")


def test_patch_lines_follow_the_right_side() -> None:
    diff = parse_patch("a.py", PATCH)
    assert diff.added == {2, 3, 23}
    assert sorted(diff.commentable) == [1, 2, 3, 4, 5, 21, 22, 23, 24]
    assert diff.changed_ranges() == [(2, 3), (23, 23)]
    assert diff.spans_one_hunk(1, 5) and not diff.spans_one_hunk(5, 21)
    assert diff.last_commentable(6, 22) == 22 and diff.last_commentable(6, 20) is None


def test_suggestion_block_only_when_the_comment_covers_exactly_the_replaced_lines() -> None:
    diffs = {"a.py": parse_patch("a.py", PATCH)}
    inside, straddling, outside = hint(2, 3, latent=1), hint(19, 22, latent=2), hint(8, 12, latent=3)
    plan = plan_review("sha", [inside, straddling, outside], diffs)
    by_latent = {c.hint.latent: c for c in plan.comments}
    assert by_latent[1].payload() == {
        "path": "a.py",
        "line": 3,
        "side": "RIGHT",
        "start_line": 2,
        "start_side": "RIGHT",
        "body": by_latent[1].body,
    }
    assert "```suggestion\nx\n```" in by_latent[1].body
    # 19..22 leaves the hunk: a fenced diff on the last commentable line instead of a suggestion
    assert by_latent[2].line == 22 and by_latent[2].start_line is None
    assert "```suggestion" not in by_latent[2].body and "```diff\n" in by_latent[2].body
    assert [h.latent for h in plan.folded] == [3]  # no line of 8..12 is in the diff
    assert markers_in(plan.body()) == {outside.marker}
    assert all(c.body.startswith(f"<!-- speedhints:{c.hint.marker} -->") for c in plan.comments)


def test_at_most_thirty_comments_best_first_rest_in_the_body() -> None:
    patch = "@@ -0,0 +1,40 @@\n" + "\n".join(f"+line{n}" for n in range(1, 41))
    diffs = {"a.py": parse_patch("a.py", patch)}
    hints = [hint(n, n, latent=n, score=n / 100) for n in range(1, 36)]
    plan = plan_review("sha", hints, diffs)
    assert len(plan.comments) == 30 and len(plan.folded) == 5
    assert [c.hint.latent for c in plan.comments] == list(range(35, 5, -1))
    assert markers_in(plan.body()) == {h.marker for h in hints if h.latent <= 5}
    assert len(plan.payload()["comments"]) == 30


def test_dedupe_against_comments_and_bodies_and_delete_stale_unless_replied() -> None:
    diffs = {"a.py": parse_patch("a.py", PATCH)}
    keep, body_one, new = hint(2, 2, latent=1), hint(9, 9, latent=2), hint(3, 3, latent=3)
    gone, gone_replied, gone_other_file = hint(4, 4, latent=4), hint(5, 5, latent=5), hint(1, 1, latent=6, path="b.py")
    existing = [
        ExistingComment(1, f"<!-- speedhints:{keep.marker} -->\nold", "a.py"),
        ExistingComment(2, f"<!-- speedhints:{gone.marker} -->\nold", "a.py"),
        ExistingComment(3, f"<!-- speedhints:{gone_replied.marker} -->\nold", "a.py"),
        ExistingComment(4, "thanks, but no", "a.py", in_reply_to_id=3),
        ExistingComment(5, f"<!-- speedhints:{gone_other_file.marker} -->\nold", "b.py"),
        ExistingComment(6, f"> quoting <!-- speedhints:{gone.marker} -->", "a.py"),  # a human quote: not ours
    ]
    bodies = [f"<!-- speedhints:{body_one.marker} -->"]
    plan = plan_review("sha", [keep, body_one, new], diffs, existing, bodies, pr_paths={"a.py", "b.py"})
    assert [c.hint.latent for c in plan.comments] == [3] and plan.folded == []
    assert plan.already_posted == 2
    # b.py is still in the PR but was not analyzed this run: its comment stays
    assert plan.delete_ids == [2]
    plan = plan_review("sha", [keep, body_one, new], diffs, existing, bodies, pr_paths={"a.py"})
    assert plan.delete_ids == [2, 5]  # b.py left the PR


def test_rerun_of_a_posted_plan_plans_nothing() -> None:
    diffs = {"a.py": parse_patch("a.py", PATCH)}
    hints = [hint(2, 3, latent=1), hint(8, 8, latent=2)]
    first = plan_review("sha", hints, diffs)
    existing = [ExistingComment(i, c.body, c.path) for i, c in enumerate(first.comments)]
    again = plan_review("sha", hints, diffs, existing, [first.body()])
    assert again.is_empty and again.delete_ids == [] and again.already_posted == 2


def test_fence_outgrows_backticks_in_the_content() -> None:
    assert fence("s = '```'\n", "suggestion") == "````suggestion\ns = '```'\n````"
    assert fence("", "suggestion") == "```suggestion\n```"


def test_bisect_finds_every_rejected_comment() -> None:
    diffs = {"a.py": parse_patch("a.py", "@@ -0,0 +1,20 @@\n" + "\n".join("+x" for _ in range(20)))}
    plan = plan_review("sha", [hint(n, n, latent=n, score=1 - n / 100) for n in range(1, 17)], diffs)
    bad_lines = {3, 11, 12}
    probes: list[int] = []

    def accepts(subset: object) -> bool:
        probes.append(len(subset))  # type: ignore[arg-type]
        return not any(c.line in bad_lines for c in subset)  # type: ignore[attr-defined]

    rejected = find_rejected(plan.comments, accepts)
    assert sorted(c.line for c in rejected) == [3, 11, 12]
    assert len(probes) < 16  # fewer probes than trying each comment alone
    kept = plan.without(rejected)
    assert len(kept.comments) == 13 and {h.start_line for h in kept.folded} == bad_lines


def test_the_bot_never_imports_torch_or_the_hook() -> None:
    import subprocess
    import sys

    modules = ["cli", "server", "worker", "webhook", "runner", "auth", "summary", "suggester"]
    code = (
        "import sys\n"
        + "".join(f"import speedhints.bot.{m}\n" for m in modules)
        + "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('speedhints.hook')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


GROUPED = (
    "import sys\n"  # a run of top-level code: region <module>, lines 1-2
    "LIMIT = 3\n"
    "\n"
    "def a(x):\n"  # 4-6
    "    if x in [1, 2, 3]:\n"
    "        return 1\n"
    "\n"
    "def b(y):\n"  # 8-10, the same length as a
    "    if y in [4, 5, 6]:\n"
    "        return 2\n"
    "\n"
    "def c(xs):\n"  # 12-20, three times as long
    "    out = []\n"
    "    for x in xs:\n"
    "        out.append(x * 2)\n"
    "    if xs in [[1], [2]]:\n"
    "        return out\n"
    "    total = sum(out) + len(out) * 2 + max(out, default=0)\n"
    "    print(total)\n"
    "    return [t for t in out if t in [7, 8, 9]]\n"
)


class RecordingSuggester(RuleSuggester):
    def __init__(self) -> None:
        self.calls: list[list[tuple[int, int]]] = []

    def suggest(self, path: str, source: str, changed: Sequence[LineRange], *, top_k: int = 4) -> list[Hint]:
        self.calls.append(list(changed))
        return super().suggest(path, source, changed, top_k=top_k)


def test_regions_are_asked_about_in_groups_of_similar_length() -> None:
    """Issue #17 item 6: one padded batch of every region made each row pay for the longest one."""
    changed = [(2, 9), (13, 13), (16, 20)]  # the end of <module>, all of a, the start of b, two lines of c
    recorder = RecordingSuggester()
    hints = suggest_by_length(recorder, "m.py", GROUPED, changed, top_k=4)
    # a and b (same length) share a call with their changed lines clipped to them; c and <module> go alone
    assert sorted(recorder.calls) == [[(2, 2)], [(4, 6), (8, 9)], [(13, 13), (16, 20)]]
    whole = RuleSuggester().suggest("m.py", GROUPED, changed, top_k=4)
    key = sorted((h.start_line, h.end_line, h.latent, h.suggestion) for h in hints)
    assert key == sorted((h.start_line, h.end_line, h.latent, h.suggestion) for h in whole) and len(key) == 4
    recorder.calls.clear()
    suggest_by_length(recorder, "m.py", GROUPED, changed, top_k=4, ratio=0.0)  # per region
    assert len(recorder.calls) == 4
