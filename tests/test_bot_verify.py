"""``speedhints review --verify CMD`` (issue #15 item 6), end to end: a real git repository in a temp dir, real
pytest as CMD, the review posted to the fake GitHub; and ``speedhints serve`` has no way to run pull-request code.

The candidates come from the tests' rule suggester (the bot's SPEEDHINTS_SUGGESTER plug-in point); the verify path
itself (copying the checkout, applying, running, timing) is the real one.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakegithub import FakeGitHub
from fakegithub.builders import make_pr

from speedhints.bot.cli import serve
from speedhints.bot.config import BotConfig
from speedhints.bot.server import ServeOptions
from speedhints.bot.verify import Verifier, VerifyConfig, apply_hint, run_command
from speedhints.bot.worker import WorkerOptions
from speedhints.cli import main
from speedhints.model_export.hints import Hint

REPO = "octo-org/calc"
# Two candidates from the rule suggester: `key in [row, col]` -> a set of lists (TypeError: the test breaks), and
# the append loop -> a list comprehension (the tests stay green).
CALC = (
    "def pick(key, row, col):\n"
    "    if key in [row, col]:\n"
    "        return 1\n"
    "    return 0\n"
    "\n"
    "\n"
    "def doubled(ys):\n"
    "    out = []\n"
    "    for y in ys:\n"
    "        out.append(y * 2)\n"
    "    return out\n"
)
TESTS = (
    "from calc import doubled, pick\n"
    "\n"
    "\n"
    "def test_pick():\n"
    "    assert pick([1], [1], [2]) == 1\n"
    "\n"
    "\n"
    "def test_doubled():\n"
    "    assert doubled([1, 2]) == [2, 4]\n"
)
PASSES = "`pytest -q -x` passes with this change."


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The pull request's head as a workflow's actions/checkout leaves it: a git working tree."""
    repo = tmp_path / "calc-repo"
    repo.mkdir()
    (repo / "calc.py").write_text(CALC)
    (repo / "test_calc.py").write_text(TESTS)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "calc")
    return repo


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def env(fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("GITHUB_APP_ID", "GITHUB_EVENT_PATH", "GITHUB_REPOSITORY", "SPEEDHINTS_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", fake.add_token(write=True))
    monkeypatch.setenv("SPEEDHINTS_SUGGESTER", "fakegithub.suggesters:load_suggester")
    monkeypatch.setenv("SPEEDHINTS_WRITE_PAUSE_S", "0")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # --verify runs as an Actions step: errors are ::error:: on stdout
    # `pytest` on PATH is this interpreter's, as in a CI job that installed the project's test dependencies
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYTHONPATH", "")  # the repository under test must not import this one's tests


def review(number: int, checkout: Path, *extra: str) -> int:
    return main(["review", "--repo", REPO, "--pr", str(number), "--checkout", str(checkout), *extra])


def test_only_the_candidate_that_keeps_the_tests_green_is_posted(
    fake: FakeGitHub, env: None, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_pr(make_pr(REPO, 3, {"calc.py": ("", CALC), "test_calc.py": ("", TESTS)}))
    assert review(3, checkout, "--verify", "pytest -q -x") == 0
    captured = capsys.readouterr()
    assert "1 comment(s), 0 in the body" in captured.out
    [comment] = fake.bot_comments(REPO, 3)
    assert comment.line == 10 and comment.start_line == 8  # the append loop, as a suggestion block
    assert PASSES in comment.body and "```suggestion\n    out = [y * 2 for y in ys]\n```" in comment.body
    [posted] = fake.reviews_of(REPO, 3)
    assert "in {row, col}" not in posted.body  # the candidate that breaks test_pick is nowhere
    assert "speedhints: verify: calc.py:2-2 (latent 7): `pytest -q -x` fails with it (exit 1" in captured.err
    assert "speedhints: verify: calc.py:8-10 (latent 12): `pytest -q -x` passes with it; posted" in captured.err
    # the user's checkout is untouched: every candidate ran in its own copy
    assert (checkout / "calc.py").read_text() == CALC and git(checkout, "status", "--porcelain") == ""


def test_without_verify_both_candidates_are_posted(fake: FakeGitHub, env: None, checkout: Path) -> None:
    """The control for the test above: the broken candidate is there to be caught."""
    fake.add_pr(make_pr(REPO, 4, {"calc.py": ("", CALC)}))
    assert review(4, checkout) == 0
    bodies = [c.body for c in fake.bot_comments(REPO, 4)]
    assert len(bodies) == 2 and any("in {row, col}" in b for b in bodies) and not any(PASSES in b for b in bodies)


def test_bench_reports_a_ratio_measured_before_and_after(
    fake: FakeGitHub, env: None, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_pr(make_pr(REPO, 5, {"calc.py": ("", CALC)}))
    bench = 'python -c "from calc import doubled; doubled(list(range(1000)))"'
    assert review(5, checkout, "--verify", "pytest -q -x", "--verify-bench", bench) == 0
    [comment] = fake.bot_comments(REPO, 5)
    ratio = re.search(
        rf"{re.escape(PASSES)} `{re.escape(bench)}` took (\d+\.\d\d) s before and (\d+\.\d\d) s after it: "
        r"before/after = (\d+\.\d\d)x \(median of 3 runs each, alternated, in this job\)\.",
        comment.body,
    )
    assert ratio, comment.body


def test_a_command_that_fails_on_the_pull_request_as_it_is_posts_nothing(
    fake: FakeGitHub, env: None, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (checkout / "test_calc.py").write_text(TESTS + "\n\ndef test_broken():\n    assert False\n")
    fake.add_pr(make_pr(REPO, 6, {"calc.py": ("", CALC)}))
    assert review(6, checkout, "--verify", "pytest -q -x") == 0
    assert fake.reviews_of(REPO, 6) == []
    err = capsys.readouterr().err
    assert "speedhints: `pytest -q -x` fails on the pull request as it is (exit 1: " in err
    assert "no hint can be verified, none is posted" in err
    # what an earlier run posted was not judged this time: it stays (it is not deleted as stale)
    assert review(6, checkout) == 0 and len(fake.bot_comments(REPO, 6)) == 2
    assert review(6, checkout, "--verify", "pytest -q -x") == 0
    assert len(fake.bot_comments(REPO, 6)) == 2


def test_verify_bench_without_verify_is_a_usage_error(
    env: None, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert review(1, checkout, "--verify-bench", "true") == 2
    assert capsys.readouterr().out == (
        "::error::speedhints: --verify-bench needs --verify (only hints that pass it are timed)\n"
    )


def hint_at(path: str, line: int, original: str, suggestion: str, latent: int = 1) -> Hint:
    return Hint(path, line, line, "f", latent, "label", None, 0.5, original, suggestion)


def test_timeouts_kill_the_command_and_the_budget_bounds_the_run(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = 1\ny = 2\n")
    hints = [hint_at("m.py", 1, "x = 1\n", "x = 3\n", latent=1), hint_at("m.py", 2, "y = 2\n", "y = 3\n", latent=2)]
    # the baseline passes; with a hint applied the command sleeps (in a child of the shell) past its timeout
    cmd = f"grep -q 'x = 1' m.py || {sys.executable} -c 'import time; time.sleep(60)'"
    start = time.monotonic()
    verdicts = Verifier(VerifyConfig(cmd, tmp_path, timeout_s=1.0, budget_s=60.0)).verify(hints).verdicts
    assert time.monotonic() - start < 30  # killed at 1 s, not after the minute of sleep
    assert [v.kept for v in verdicts] == [False, True]
    assert verdicts[0].reason == f"`{cmd}` fails with it (timed out after 1 s)"
    # a budget the first candidate uses up: the second is not run, so not posted, and its file counts as unjudged
    clock = iter([0.0, 0.0, 0.0, 100.0, 100.0])
    screened = Verifier(VerifyConfig("true", tmp_path, budget_s=10.0), clock=lambda: next(clock)).screen(hints)
    assert [h.latent for h in screened.kept] == [1] and screened.unsettled_paths == {"m.py"}
    assert screened.log[1] == (
        "verify: m.py:2-2 (latent 2): not verified: the 10 s verification budget is spent; not posted"
    )


def test_a_temporary_directory_inside_the_checkout_is_not_copied_into_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # TMPDIR inside the checkout
    cmd = "test $(find . -name m.py | wc -l) -eq 1"  # the copy holds one m.py, not copies of copies
    [verdict] = Verifier(VerifyConfig(cmd, tmp_path)).verify([hint_at("m.py", 1, "x = 1\n", "x = 2\n")]).verdicts
    assert verdict.kept, verdict.reason


def test_the_copy_is_imported_before_an_installed_original(
    checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editable install puts the original checkout on the import path after PYTHONPATH's entries; here the
    original is even on PYTHONPATH itself, and the candidate's copy still wins."""
    monkeypatch.setenv("PYTHONPATH", str(checkout))
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "calc.py").write_text("WHERE = 'copy'\n")
    result = run_command(f'{sys.executable} -c "import calc; print(calc.WHERE)"', copy, 30.0)
    assert (result.returncode, result.last_line) == (0, "copy")


def test_run_command_reports_exit_and_last_line(tmp_path: Path) -> None:
    result = run_command("echo one; echo two; exit 3", tmp_path, 10.0)
    assert (result.returncode, result.last_line, result.describe()) == (3, "two", "exit 3: two")


def test_a_hint_is_applied_only_where_the_file_has_its_lines(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_bytes(b"\xef\xbb\xbf# \x0c form feed\nx = 1\n")
    assert not apply_hint(tmp_path, hint_at("m.py", 2, "x = 2\n", "x = 3\n"))
    assert apply_hint(tmp_path, hint_at("m.py", 2, "x = 1\n", "x = 3\n"))
    assert (tmp_path / "m.py").read_bytes() == b"\xef\xbb\xbf# \x0c form feed\nx = 3\n"  # BOM and line kept


def test_serve_has_no_path_to_running_pull_request_code() -> None:
    """The webhook server never executes pull-request code: none of its settings can carry a command, and its
    module graph does not contain the verify module at all."""
    for cls in (ServeOptions, WorkerOptions, BotConfig):
        assert not [f.name for f in dataclasses.fields(cls) if "verify" in f.name or "command" in f.name]
    assert not [p.name for p in serve.params if "verify" in (p.name or "")]
    result = CliRunner().invoke(serve, ["--verify", "pytest"])
    assert result.exit_code == 2 and "No such option '--verify'" in result.output
    code = (
        "import sys\n"
        "import speedhints.bot.cli, speedhints.bot.server, speedhints.bot.worker, speedhints.bot.webhook\n"
        "import speedhints.bot.suggester, uvicorn  # what run_server imports when it starts\n"
        "print(sorted(m for m in sys.modules if m.startswith('speedhints.bot.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "speedhints.bot.runner" in out and "speedhints.bot.verify" not in out
