"""A function too long for the model is checked in parts (issue #18 item 5, model_export/parts.py): cut at statement
boundaries, a loop nest at a time, each part at column 0 like a module-level run, judged as code of its function,
and its hints laid on the user's own lines. Cutting is tested with a line-count limit (no model); the runtime with
the shipped bundle's tokenizer and limits, its decoder replaced by a known rule; ``--explain`` through ``main``."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
import test_hook_fixtures
from test_hook_fixtures import git, make_repo, run_check

from speedhints.hook import suggester as suggester_factory
from speedhints.model_export.accounting import BELOW_PRECISION, NOT_CANONICAL, TOO_LONG, RegionOutcome
from speedhints.model_export.bundle import load_bundle
from speedhints.model_export.canonical import canonicalize
from speedhints.model_export.editscript import apply, diff
from speedhints.model_export.hints import LineRange
from speedhints.model_export.onnx_decoding import DecodeStats
from speedhints.model_export.parts import Piece, cut_function
from speedhints.model_export.plausibility import refusal
from speedhints.model_export.regions import CodeRegion, PartOf, regions
from speedhints.model_export.runtime import Candidate, OnnxSuggester, Prepared, RuntimeConfig, _Measure
from speedhints.model_export.source import source_lines

clean_env = test_hook_fixtures.clean_env  # fixture used here

SOURCE = '''\
import os


def work(xs, ys):
    """Sum and pair things."""
    total = 0
    count = 0
    # pairs of equal items
    pairs = []
    for x in xs:
        for y in ys:
            if x == y:
                pairs.append((x, y))
    a = 1; b = 2
    seen = []
    for x in xs:
        if x not in seen:
            seen.append(x)
    total = sum(xs) + a + b
    count = len(seen)
    return total, count, pairs
'''


class LinesAtMost:
    """A model that reads at most ``n`` lines, comments and all (parts.Reach)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def fits(self, code: str) -> bool:
        return len(code.splitlines()) <= self.n

    def share(self, code: str) -> float:
        return len(code.splitlines()) / self.n


def function(source: str, name: str) -> CodeRegion:
    (region,) = [r for r in regions(source) if r.name == name]
    return region


def spans(pieces: Sequence[Piece]) -> list[LineRange]:
    return [p.region.span for p in pieces]


# ---- cutting (a line-count limit stands in for the model's) ---------------------------------------------------


def test_a_long_function_is_cut_into_the_largest_runs_that_fit_and_a_loop_nest_stays_whole() -> None:
    pieces = cut_function(SOURCE, function(SOURCE, "work"), LinesAtMost(6))
    assert pieces is not None
    # docstring to `pairs = []` (5 lines, comment included); the for-for-if nest with `a = 1; b = 2` and
    # `seen = []`; the second loop to the return. Each one more statement would not fit.
    assert spans(pieces) == [(5, 9), (10, 15), (16, 21)]
    assert all(p.fits and p.cut and len(p.region.code.splitlines()) <= 6 for p in pieces)
    lines = source_lines(SOURCE)
    for p in pieces:  # each part is its file lines at column 0; it re-indents with its indent
        assert p.region.indent == "    " and p.region.name == "work"
        assert "".join(p.region.indent + line if line.strip() else line
                       for line in p.region.code.splitlines(keepends=True)) == "".join(lines[p.region.start - 1:
                                                                                                p.region.end])
    assert pieces[1].region.code.startswith("for x in xs:\n    for y in ys:\n")  # the nest, whole
    assert not any(p.region.part.in_loop for p in pieces if p.region.part)


def test_parts_cover_the_body_exactly_once_and_leave_out_only_comments_blank_lines_and_cut_headers() -> None:
    # A generated long function: every statement line in exactly one part, parts in order and disjoint.
    body = []
    for i in range(30):
        body += [f"    v{i} = {i}\n", f"    for x in range(v{i}):\n", f"        v{i} += x  # add\n", "\n"]
    source = "def long(n):\n" + "".join(body) + "    return n\n"
    region = function(source, "long")
    for limit in (3, 7, 20, 60):
        pieces = cut_function(source, region, LinesAtMost(limit))
        assert pieces is not None and all(p.fits for p in pieces)
        got = spans(pieces)
        assert got == sorted(got) and all(a[1] < b[0] for a, b in zip(got, got[1:], strict=False))
        covered = {line for a, b in got for line in range(a, b + 1)}
        tree = ast.parse(source).body[0]
        stmt_lines = {line for s in tree.body for line in range(s.lineno, (s.end_lineno or s.lineno) + 1)}
        assert stmt_lines <= covered  # no loop is ever cut at these limits: each fits in 3 lines
        left = [source_lines(source)[i - 1] for i in range(2, len(source_lines(source)) + 1) if i not in covered]
        assert all(not line.strip() for line in left)
        assert all(len(p.region.code.splitlines()) <= limit for p in pieces)


def test_a_loop_too_long_on_its_own_is_cut_inside_its_body_a_nest_at_a_time() -> None:
    pieces = cut_function(SOURCE, function(SOURCE, "work"), LinesAtMost(3))
    assert pieces is not None
    got = spans(pieces)
    assert (11, 13) in got  # inside the outer loop: the inner for-if nest, whole
    assert not any(a <= 10 <= b for a, b in got)  # the outer loop's header belongs to no part
    inner = pieces[got.index((11, 13))]
    assert inner.region.indent == "        " and inner.region.code.startswith("for y in ys:\n    if x == y:\n")
    assert inner.region.part is not None and inner.region.part.in_loop  # `break` would compile there
    assert (14, 15) in got  # `a = 1; b = 2` share a line: never parted; `seen = []` joins them


def test_statements_on_one_line_stay_together_and_an_elif_line_is_never_a_part() -> None:
    source = ("def f(x):\n    a = 1; b = 2\n    if x:\n        c = 1\n        d = 2\n    elif x > 1:\n"
              "        e = 3\n        g = 4\n    else:\n        h = 5\n    return a\n")
    pieces = cut_function(source, function(source, "f"), LinesAtMost(2))
    assert pieces is not None
    assert spans(pieces) == [(2, 2), (4, 5), (7, 8), (10, 11)] or spans(pieces) == [(2, 2), (4, 5), (7, 8), (10, 10),
                                                                                    (11, 11)]
    assert all(not p.region.code.startswith(("elif", "else")) for p in pieces)


def test_a_simple_statement_too_long_alone_is_a_part_that_does_not_fit() -> None:
    source = "def f(x):\n    y = [\n        1,\n        2,\n        3,\n    ]\n    return y\n"
    pieces = cut_function(source, function(source, "f"), LinesAtMost(3))
    assert pieces is not None
    assert [(p.region.span, p.fits, p.cut) for p in pieces] == [((2, 6), False, True), ((7, 7), True, True)]


def test_a_statement_whose_lines_are_left_of_its_indentation_is_reported_not_cut() -> None:
    source = 'def f(x):\n    y = 1\n    s = """\nleft\n"""\n    return s\n'
    pieces = cut_function(source, function(source, "f"), LinesAtMost(2))
    assert pieces is not None
    assert [(p.region.span, p.fits, p.cut, p.region.code) for p in pieces][1] == ((3, 5), False, False, "")
    assert spans(pieces) == [(2, 2), (3, 5), (6, 6)]


def test_only_functions_are_cut() -> None:
    source = "x = 1\ny = 2\n"
    assert cut_function(source, regions(source)[0], LinesAtMost(1)) is None


def test_a_part_knows_which_of_its_names_the_rest_of_the_function_reads() -> None:
    pieces = cut_function(SOURCE, function(SOURCE, "work"), LinesAtMost(6))
    assert pieces is not None
    first = pieces[0].region.part
    assert first is not None and not first.in_loop and not first.is_async and first.function == (4, 21)
    # total, count and pairs are read after lines 5-9 (count by the return; total and count are rebound later,
    # but the return reads them); `a` is not read after the last part.
    assert {"pairs", "total", "count", "xs", "ys"} <= first.live
    last = pieces[-1].region.part
    assert last is not None and last.live == frozenset()  # nothing after the return


# ---- the checks judge a part as code of its function ----------------------------------------------------------


def part(code: str, live: Sequence[str] = (), in_loop: bool = False, is_async: bool = False) -> PartOf:
    return PartOf((1, 100), is_async, in_loop, frozenset(live))


def check(code: str, suggestion: str, where: PartOf | None) -> str | None:
    return refusal(code, suggestion, canonicalize(code).code, canonicalize(suggestion).code, region="f", part=where)


def test_a_part_with_return_or_yield_canonicalises_and_compiles_inside_its_function() -> None:
    code = "out = out + [x]\nreturn out\n"
    # Names only read (x: the function's) are kept, as a module run's globals; names the part binds are renamed.
    assert canonicalize(code).code == "v0 = v0 + [x]\nreturn v0\n"
    assert check(code, "out += [x]\nreturn out\n", part(code, live=["out"])) is None
    assert check("total = sum(xs)\nyield total\n", "total = sum(list(xs))\nyield total\n", part("")) is None
    assert check("data = await fetch()\nreturn data\n", "data = await fetch()\nreturn list(data)\n",
                 part("", is_async=True)) is None
    # A `break` the model adds outside any loop: the part's `return` no longer hides it from the compile check.
    broken = "out += [x]\nbreak\nreturn out\n"
    assert check(code, broken, part(code, live=["out"])) == "compile error: 'break' outside loop"
    assert check(code, broken, part(code, live=["out"], in_loop=True)) is None  # a part inside a loop: fine
    # Judged at module level instead, the input does not compile (return outside a function), so its candidates'
    # compile errors would not count: why a part carries where it lives.
    assert check(code, broken, None) is None


def test_a_part_must_bind_the_names_the_rest_of_its_function_reads() -> None:
    code = "total = 0\nfor x in xs:\n    total = total + x\ntmp = len(xs)\n"
    live = ["total", "xs"]
    assert check(code, code.replace("total = total + x", "total += x"), part(code, live)) is None
    assert check(code, code.replace("total", "s"), part(code, live)) == \
        "changes exports: total (the rest of the function reads it)"
    assert check(code, "total = 0\nfor x in xs:\n    total = total + x\n", part(code, live)) is None  # tmp: not read
    assert check(code, "total = 0\nfor x in xs:\n    total = total + x\nxs = 1\n", part(code, live)) == \
        "changes exports: xs (the rest of the function reads it)"


# ---- the runtime: the shipped bundle's limits, a known rule in place of the decoder ---------------------------


def long_source(loops: int = 12) -> str:
    """``work``: too long for the shipped model (256 tokens) as a whole; its parts fit, but for a 300-item literal
    that stays too long alone. One line (``out = out + [item]``) the rule double answers."""
    lines = ["import os", "", "", "def work(items, limit):", '    """Several loops over items."""', "    out = []"]
    for i in range(loops):
        lines += [f"    acc{i} = 0", "    for item in items:", f"        if item > {i}:",
                  f"            acc{i} = acc{i} + item * {i + 1}"]
    lines += ["    for item in items:", "        if item < limit:", "            out = out + [item]"]
    lines += ["    table = [" + ", ".join(str(i) for i in range(300)) + "]"]
    lines += ["    return out, table, " + " + ".join(f"acc{i}" for i in range(loops))]
    return "\n".join(lines) + "\n"


LONG = long_source()
SLOW_LINE = "            out = out + [item]\n"
FAST_LINE = "            out += [item]\n"


class Scripted(OnnxSuggester):
    """The shipped bundle's runtime with its decoder replaced by a rule: each region gets one candidate, the
    script that turns ``name = name + [x]`` into ``name += [x]`` (empty elsewhere: "no change"). Records which
    regions were decoded."""

    def __init__(self) -> None:
        super().__init__(load_bundle(None), RuntimeConfig(min_precision=0.0))
        self.decoded: list[LineRange] = []

    def _decode_batch(self, groups: Sequence[Sequence[Prepared]], k: int, outcomes: dict[LineRange, RegionOutcome],
                      stats: DecodeStats) -> list[Candidate]:
        out = []
        for group in groups:
            for region, canonical, _ in group:
                self.decoded.append(region.span)
                x = canonical.code
                script = diff(x, re.sub(r"(\w+) = \1 \+ \[(\w+)\]", r"\1 += [\2]", x))
                out.append(Candidate(region, canonical, 7, 0.5, apply(x, script), script))
        return out


@pytest.fixture(scope="module")
def scripted() -> Scripted:
    return Scripted()


def test_the_runtime_checks_a_long_function_in_parts_and_lays_the_hint_on_the_users_lines(scripted: Scripted) -> None:
    scripted.decoded.clear()
    report = scripted.report("m.py", LONG, [(1, 1000)], top_k=1)
    outcome = report.regions[function(LONG, "work").span]
    assert [p.span for p in outcome.parts] == [(5, 43), (44, 57), (58, 58), (59, 59)]
    assert outcome.detail == ("too long for the model as a whole (1079 tokens, the model reads at most 256); "
                              "checked as 4 parts")
    assert sorted(scripted.decoded) == [(1, 1), (5, 43), (44, 57), (59, 59)]  # the literal is never decoded
    table = outcome.parts[2]
    assert dict(table.dropped) == {TOO_LONG: 1} and table.detail.endswith("tokens, the model reads at most 256")
    # The parts' counts are the function's, and the parts are not reported as regions of their own.
    assert dict(outcome.dropped) == {TOO_LONG: 1, "no change": 2} and (outcome.passed, outcome.hints) == (1, 1)
    assert set(report.regions) == {(1, 1), (4, 59)}
    (hint,) = report.hints
    lines = source_lines(LONG)
    assert (hint.start_line, hint.end_line, hint.function) == (44, 57, "work")  # the part's lines, no more
    assert hint.original == "".join(lines[43:57])
    assert hint.suggestion == hint.original.replace(SLOW_LINE, FAST_LINE)  # the user's indentation, one line
    assert [line for line in hint.diff.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")] == [
        "-" + SLOW_LINE.rstrip("\n"), "+" + FAST_LINE.rstrip("\n")]
    assert "@@ -54,4 +54,4 @@" in hint.diff  # numbered as in the file


def test_only_the_parts_the_change_touches_are_decoded(scripted: Scripted) -> None:
    scripted.decoded.clear()
    report = scripted.report("m.py", LONG, [(10, 10)], top_k=1)
    outcome = report.regions[(4, 59)]
    assert scripted.decoded == [(5, 43)] and report.hints == []
    assert [p.touched for p in outcome.parts] == [True, False, False, False]
    assert dict(outcome.dropped) == {"no change": 1}  # the untouched parts drop nothing: they were not asked
    scripted.decoded.clear()
    scripted.report("m.py", LONG, [(4, 4)], top_k=1)  # the def line: in no part, so every part is checked
    assert sorted(scripted.decoded) == [(5, 43), (44, 57), (59, 59)]  # (the import on line 1 is not touched)


def test_a_part_that_cannot_be_cut_is_reported_as_such(scripted: Scripted) -> None:
    source = LONG.replace("    return out,", '    note = """\nleft of the body\n"""\n    return out,')
    report = scripted.report("m.py", source, [(1, 1000)], top_k=1)
    (outcome,) = [o for o in report.regions.values() if o.name == "work"]
    (uncut,) = [p for p in outcome.parts if p.dropped.get(NOT_CANONICAL)]
    assert uncut.span == (59, 61) and "further left" in uncut.detail


def test_the_parts_are_the_largest_runs_the_runtime_reads(scripted: Scripted) -> None:
    region = function(LONG, "work")
    pieces = cut_function(LONG, region, _Measure(scripted))
    assert pieces is not None

    def reads(code: str) -> bool:
        return scripted.source_ids(canonicalize(code).code) is not None

    for piece in pieces:
        assert reads(piece.region.code) == piece.fits
    # The first part is the longest run of the body that fits: one more statement would not.
    lines = source_lines(LONG)
    first, after = pieces[0].region, pieces[1].region
    assert first.end + 1 == after.start
    next_stmt = next(s for s in ast.parse(LONG).body[1].body if s.lineno == after.start)
    longer = "".join(line[4:] for line in lines[first.start - 1 : next_stmt.end_lineno])
    assert not reads(longer)


def test_a_closed_gate_does_not_cut_a_long_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the gate refuses every latent nothing would be decoded, so the parts are not worth making: the function
    is one region, dropped under the gate's reason, and says why it was not cut."""
    import speedhints.model_export.runtime as runtime

    def no_cut(*_: object) -> None:
        raise AssertionError("cut_function called under a closed gate")

    monkeypatch.setattr(runtime, "cut_function", no_cut)
    gated = OnnxSuggester(load_bundle(None), RuntimeConfig(min_precision=1.0))  # no Wilson lower bound reaches 1
    report = gated.report("m.py", LONG, [(1, 1000)], top_k=4)
    outcome = report.regions[function(LONG, "work").span]
    assert outcome.parts == [] and dict(outcome.dropped) == {BELOW_PRECISION: 4} and report.hints == []
    assert outcome.detail == ("too long for the model as a whole (1079 tokens, the model reads at most 256): "
                              "not cut into parts, as no latent may be shown")
    # An open gate still cuts (test_the_runtime_checks_a_long_function_in_parts_... shows what comes of it).
    monkeypatch.undo()
    report = OnnxSuggester(load_bundle(None), RuntimeConfig(min_precision=0.0)).report("m.py", LONG, [(10, 10)])
    assert len(report.regions[function(LONG, "work").span].parts) == 4


# ---- the hook: --explain says a function was checked in parts, and what was skipped ---------------------------


@pytest.fixture
def hook_repo(clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, scripted: Scripted) -> Path:
    monkeypatch.setattr(suggester_factory, "load_suggester",
                        lambda _, **__: suggester_factory.LoadedSuggester("scripted", lambda: scripted))
    repo = make_repo(tmp_path / "repo", {"app/m.py": LONG})
    monkeypatch.chdir(repo)
    return repo


def test_explain_says_a_function_was_checked_in_parts_and_which_part_was_skipped(
    hook_repo: Path, scripted: Scripted, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = run_check(capsys, "--all", "--explain", "--min-precision", "0", "app/m.py")
    assert (rc, err) == (0, "")
    explain = out.split("\n\n")[-1].splitlines()
    assert explain == [
        "app/m.py:1-1 <module>: nothing shown: nothing to improve, no latent changed the code (no change 1)",
        "app/m.py:4-59 work: too long for the model as a whole (1079 tokens, the model reads at most 256); "
        "checked as 4 parts; 1 hint shown; 1 part skipped",
        "  app/m.py:5-43 work (part 1 of 4): nothing shown: nothing to improve, no latent changed the code "
        "(no change 1)",
        "  app/m.py:44-57 work (part 2 of 4): 1 hint shown",
        "  app/m.py:58-58 work (part 3 of 4): skipped: too long for the model (707 tokens, the model reads at most "
        "256)",
        "  app/m.py:59-59 work (part 4 of 4): nothing shown: nothing to improve, no latent changed the code "
        "(no change 1)",
        "speedhints: 2 regions (0 from the cache, 0 not checked), 1 hint shown; dropped: no change 3, "
        "too long for the model 1",
    ]
    assert out.startswith("app/m.py:44: ")  # the hint, at its part's first line

    rc, out, _ = run_check(capsys, "--all", "--explain", "--format", "json", "--min-precision", "0", "app/m.py")
    payload = json.loads(out)
    (work,) = [e for e in payload["explain"] if e["function"] == "work"]
    assert work["verdict"] == explain[1].split(" work: ", 1)[1] and work["from_cache"]
    assert [(p["line"], p["end_line"], p["touched"], p["shown"], p["verdict"]) for p in work["parts"]] == [
        (5, 43, True, 0, explain[2].split(": ", 1)[1]), (44, 57, True, 1, "1 hint shown"),
        (58, 58, True, 0, explain[4].split(": ", 1)[1]), (59, 59, True, 0, explain[5].split(": ", 1)[1])]
    assert work["parts"][2]["dropped"] == {TOO_LONG: 1} and payload["dropped"][TOO_LONG] == 1
    (hint,) = payload["hints"]
    assert (hint["line"], hint["end_line"], hint["function"]) == (44, 57, "work")


def test_a_staged_change_decodes_only_its_part_and_the_cache_answers_only_what_it_decoded(
    hook_repo: Path, scripted: Scripted, capsys: pytest.CaptureFixture[str]
) -> None:
    (hook_repo / "app/m.py").write_text(LONG.replace("acc0 = 0", "acc0 = 1"))  # line 7: part 1
    git(hook_repo, "add", "app/m.py")
    scripted.decoded.clear()
    rc, out, _ = run_check(capsys, "--explain", "--min-precision", "0")
    assert rc == 0 and scripted.decoded == [(5, 43)]
    assert out.splitlines()[0] == (
        "app/m.py:4-59 work: too long for the model as a whole (1079 tokens, the model reads at most 256); "
        "checked as 4 parts (the change touches 1); nothing shown")
    assert out.splitlines()[1].startswith("  app/m.py:5-43 work (part 1 of 4): ") and "part 2" not in out
    # The same change again: the cache answers. The whole file: part 2 was never decoded, so the cache cannot.
    scripted.decoded.clear()
    rc, out, _ = run_check(capsys, "--explain", "--min-precision", "0")
    assert scripted.decoded == [] and out.splitlines()[0].endswith("nothing shown [cache]")
    rc, out, _ = run_check(capsys, "--all", "--explain", "--min-precision", "0", "app/m.py")
    assert sorted(scripted.decoded) == [(1, 1), (5, 43), (44, 57), (59, 59)] and "1 hint shown" in out


def test_the_precision_measurement_reads_a_long_function_in_the_parts_the_hook_decodes(scripted: Scripted) -> None:
    from speedhints.training.evaluation.precision import candidates_of, prepared_regions

    prepared = prepared_regions(scripted, LONG)
    assert [region.span for region, _, _ in prepared] == [(1, 1), (5, 43), (44, 57), (59, 59)]  # as the hook
    assert all(region.part is not None for region, _, _ in prepared[1:])
    shown = [(c.region.span, program) for c, program, _ in candidates_of(scripted, LONG) if program is not None]
    assert len(shown) == 1 and shown[0][0] == (44, 57)  # the one hint the hook shows, judged on the whole program
    assert shown[0][1] == LONG.replace(SLOW_LINE, FAST_LINE)
