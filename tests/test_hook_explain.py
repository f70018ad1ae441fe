"""``speedhints check --explain``: one verdict per region, so a user can tell "nothing to improve" from "the model is
unsure" from "refused by the checks"; the run's ``dropped`` totals in JSON; progress on a terminal. In-process through
``main(argv)`` with exact output. The model is the rule double of test_hook_doubles.py, given the runtime's
accounting (``report``) with known drops per function: the real runtime's accounting is tested on a real bundle in
test_runtime_accounting.py."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import test_hook_fixtures
from test_hook_doubles import LOOP, RuleSuggester
from test_hook_fixtures import make_repo, run_check

from speedhints.hook import cli as hook_cli
from speedhints.hook import suggester as suggester_factory
from speedhints.hook.cache import HintCache
from speedhints.hook.config import HookConfig
from speedhints.hook.engine import FileToCheck
from speedhints.hook.engine import run_check as run_engine
from speedhints.hook.regions import all_regions
from speedhints.hook.render import render_explain
from speedhints.model_export.accounting import TIME_BUDGET, RegionOutcome, ReportingSuggester, SuggestReport
from speedhints.model_export.hints import LineRange
from speedhints.model_export.source import parse_python

clean_env = test_hook_fixtures.clean_env  # fixture used here

# Each function's region, and what the double's "other latents" were dropped for there.
SOURCE = (
    LOOP  # f, lines 1-7: the set-membership hint
    + "\n\ndef g(xs):\n    return xs\n"  # 10-11
    + "\n\ndef h(xs):\n    return sorted(xs)[0]\n"  # 14-15
    + "\n\ndef k(xs):\n    return len(xs)\n"  # 18-19
    + "\n\ndef big(xs):\n    return xs\n"  # 22-23
    + "\n\ndef m(xs):  # speedhints: ignore\n    for i in range(len(xs)):\n        xs[i] += 1\n"  # 26-28
)
DROPS = {
    "f": {"no change": 2, "does not parse": 1},
    "g": {"no change": 3, "only names or layout": 1},
    "h": {"does not parse": 2, "new effect": 1, "no change": 1},
    "k": {"below precision": 3, "no change": 1},
    "big": {"too long for the model": 1},
    "m": {"no change": 3},
}
EXPLAIN = """\
app/m.py:1-7 f: 1 hint shown
app/m.py:10-11 g: nothing shown: nothing to improve, no latent changed the code (no change 3, only names or layout 1)
app/m.py:14-15 h: nothing shown: every candidate that changed the code was refused (does not parse 2, new effect 1; \
no change 1)
app/m.py:18-19 k: nothing shown: the model is unsure (below precision 3, no change 1)
app/m.py:22-23 big: nothing shown: too long for the model (300 tokens, the model reads at most 256)
app/m.py:26-28 m: nothing shown: hidden by your settings (ignore comment 1)
"""
TOTALS = {"no change": 10, "below precision": 3, "does not parse": 3, "new effect": 1, "only names or layout": 1,
          "too long for the model": 1}  # fmt: skip
SUMMARY = (
    "speedhints: 6 regions ({cached} from the cache, 0 not checked), 1 hint shown; dropped: no change 10, "
    "below precision 3, does not parse 3, new effect 1, only names or layout 1, too long for the model 1\n"
)


class ReportingDouble(RuleSuggester):
    """The rule double with the runtime's accounting: ``DROPS`` per function, and the deadline honoured."""

    def __init__(self) -> None:
        super().__init__()
        self.reports = 0

    def report(
        self,
        path: str,
        source: str,
        changed: Sequence[LineRange],
        *,
        top_k: int = 4,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        progress: Callable[[int], None] | None = None,
    ) -> SuggestReport:
        self.reports += 1
        out = SuggestReport(hints=self.suggest(path, source, changed, top_k=top_k))
        for region in all_regions(parse_python(source)):
            if region.overlaps(changed):
                outcome = out.regions[(region.start, region.end)] = RegionOutcome(region.name, region.start, region.end)
                late = deadline is not None and clock() >= deadline
                outcome.dropped.update({TIME_BUDGET: 1} if late else DROPS.get(region.name, {}))
                if region.name == "big":
                    outcome.detail = "300 tokens, the model reads at most 256"
        return out


@pytest.fixture
def double(clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ReportingDouble:
    made = ReportingDouble()
    monkeypatch.setattr(
        suggester_factory,
        "load_suggester",
        lambda _, **__: suggester_factory.LoadedSuggester("reporting", lambda: made),
    )
    monkeypatch.chdir(make_repo(tmp_path / "repo", {"app/m.py": SOURCE}))
    return made


def test_the_double_accounts_like_the_runtime(double: ReportingDouble) -> None:
    assert isinstance(double, ReportingSuggester)


def test_explain_gives_each_region_its_verdict(double: ReportingDouble, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_check(capsys, "--all", "--explain", "app/m.py")
    hint_block, explain = out.split("\n\n")[0], out.split("\n\n")[1]
    assert (rc, err, double.reports) == (0, "", 1)  # the whole file in one call
    assert hint_block.startswith("app/m.py:4: [list -> set membership] score 0.62\n")
    assert explain == EXPLAIN + SUMMARY.format(cached=0)
    # Warm: the cache kept what was dropped, so the verdicts and totals read the same, marked as cached.
    rc, out, err = run_check(capsys, "-v", "--all", "app/m.py")
    cached = "".join(line + " [cache]\n" for line in EXPLAIN.splitlines())
    assert (rc, err, double.reports) == (0, "", 1)
    assert out.split("\n\n")[1] == cached + SUMMARY.format(cached=6)


def test_explain_with_nothing_shown_prints_only_the_verdicts(
    double: ReportingDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = run_check(capsys, "--all", "--explain", "--disable-latent", "7", "app/m.py")
    assert (rc, err) == (0, "")
    assert out == (
        EXPLAIN.replace("1 hint shown", "nothing shown: hidden by your settings (disabled latent 1)")
        + SUMMARY.format(cached=0).replace("1 hint shown", "0 hints shown")
    )


def test_json_totals_what_was_dropped_and_explains_on_request(
    double: ReportingDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, _ = run_check(capsys, "--all", "--format", "json", "app/m.py")
    payload = json.loads(out)
    assert (rc, payload["dropped"], "explain" in payload) == (0, TOTALS, False)
    assert list(payload["dropped"]) == list(TOTALS)  # most frequent first
    rc, out, _ = run_check(capsys, "--all", "--format", "json", "--explain", "app/m.py")
    explain = json.loads(out)["explain"]
    assert [(e["function"], e["line"], e["end_line"], e["shown"]) for e in explain] == [
        ("f", 1, 7, 1), ("g", 10, 11, 0), ("h", 14, 15, 0), ("k", 18, 19, 0), ("big", 22, 23, 0), ("m", 26, 28, 0)
    ]  # fmt: skip
    assert [e["verdict"] for e in explain] == [line.split(": ", 1)[1] for line in EXPLAIN.splitlines()]
    assert explain[5]["hidden"] == {"ignore comment": 1} and explain[2]["dropped"] == DROPS["h"]
    assert all(e["from_cache"] for e in explain)  # the first run filled the cache


def test_regions_left_by_the_time_budget_are_explained() -> None:
    double = ReportingDouble()
    now = [0.0]

    def clock() -> float:
        now[0] += 1.0  # every look at the clock costs a second
        return now[0]

    model = suggester_factory.LoadedSuggester("reporting", lambda: double)
    result = run_engine([FileToCheck("m.py", SOURCE, None)], HookConfig(time_budget=2.5), model, HintCache(None),
                        started=0.0, clock=clock)
    # The engine looks at t=1 (budget left), the double at t=2 (f), t=3 (g: spent), ...
    assert (result.regions, result.unchecked) == (6, 5)
    assert render_explain(result).splitlines()[1:3] == [
        "m.py:10-11 g: not checked: time budget exhausted",
        "m.py:14-15 h: not checked: time budget exhausted",
    ]
    assert result.dropped == {"no change": 2, "does not parse": 1}  # f's only: unchecked regions drop nothing


def test_progress_is_shown_only_once_a_run_is_long(capsys: pytest.CaptureFixture[str]) -> None:
    quick = hook_cli._progress_printer(time.monotonic(), after=60.0)
    quick(1, 10)
    slow = hook_cli._progress_printer(time.monotonic() - 5.0, after=1.0)
    slow(3, 10)
    slow(10, 10)
    assert capsys.readouterr().err == "\rspeedhints: 3/10 regions checked\rspeedhints: 10/10 regions checked\r\x1b[K"


def test_progress_goes_only_to_a_terminal(
    double: ReportingDouble, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the run were already long: any progress the printer is given shows at once.
    original = hook_cli._progress_printer
    monkeypatch.setattr(hook_cli, "_progress_printer", lambda started: original(started - 60.0))
    rc, out, err = run_check(capsys, "--all", "--no-cache", "app/m.py")
    assert (rc, err) == (0, "")  # pre-commit and tests capture stderr: never a progress line there
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    rc, again, err = run_check(capsys, "--all", "--no-cache", "app/m.py")
    assert (rc, again) == (0, out)  # progress never touches stdout
    assert err.startswith("\rspeedhints: ") and err.endswith("6/6 regions checked\r\x1b[K")


def test_a_model_failure_on_a_file_is_one_line_and_explained(
    double: ReportingDouble, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> SuggestReport:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(double, "report", boom)
    rc, out, err = run_check(capsys, "--all", "--explain", "app/m.py")
    assert (rc, err) == (0, "app/m.py: skipped: model failed on 6 regions: RuntimeError: boom\n")
    assert out.splitlines()[0] == "app/m.py:1-7 f: model failed: RuntimeError: boom"


def test_a_model_failure_on_one_region_costs_only_that_region(
    double: ReportingDouble, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found on difflib.py: one region the runtime could not lay out (a docstring-only def) failed the whole file.
    real = double.report

    def fails_on_f(path: str, text: str, spans: list[tuple[int, int]], **kwargs: object) -> SuggestReport:
        if (1, 7) in spans:
            raise RuntimeError("boom")
        return real(path, text, spans, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(double, "report", fails_on_f)
    rc, out, err = run_check(capsys, "--all", "--explain", "--no-cache", "app/m.py")
    assert (rc, err) == (0, "app/m.py: skipped: model failed on f: RuntimeError: boom\n")
    lines = out.splitlines()
    assert lines[0] == "app/m.py:1-7 f: model failed: RuntimeError: boom"
    assert sum("model failed" in line for line in lines) == 1  # the file's 5 other regions were checked
