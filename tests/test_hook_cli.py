"""``speedhints check`` in-process through ``main(argv)``: real temporary git repositories, the rule double in
place of the model runtime (see test_hook_doubles.py), exact output and exit codes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import test_hook_fixtures
from test_hook_doubles import LOOP, RuleSuggester
from test_hook_fixtures import git, make_repo, run_check, write

from speedhints.hook import suggester as suggester_factory
from speedhints.hook.cache import HintCache
from speedhints.hook.config import HookConfig
from speedhints.hook.engine import FileToCheck, FileToRead, Skipped
from speedhints.hook.engine import run_check as run_engine
from speedhints.hook.render import render_explain, stop_message
from speedhints.model_export.hints import Hint, LineRange
from speedhints.model_export.source import BadInput

clean_env, model = test_hook_fixtures.clean_env, test_hook_fixtures.model  # fixtures used here

G_PLAIN = "\n\ndef g(xs):\n    return xs\n"
G_INDEXED = "\n\ndef g(xs):\n    for i in range(len(xs)):\n        print(xs[i])\n"

SET_BLOCK = """\
app/orders.py:4: [list -> set membership] score 0.62
  latent 7: correct and faster in 25 of 31 held-out trials, median 3.1x
--- a/app/orders.py
+++ b/app/orders.py
@@ -4,3 +4,4 @@
+    pool_set = set(pool)
     for x in items:
-        if x in pool:
+        if x in pool_set:
             out.append(x)
"""
ENUM_BLOCK = """\
app/orders.py:11: [range(len) -> enumerate] score 0.21
  latent 3: not measured on held-out programs
--- a/app/orders.py
+++ b/app/orders.py
@@ -11 +11 @@
-    for i in range(len(xs)):
+    for i, xs_item in enumerate(xs):
"""


@pytest.fixture
def repo(tmp_path: Path, model: RuleSuggester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose app/orders.py has a slow f (committed) and a plain g; cwd is its root."""
    root = make_repo(tmp_path / "repo", {"app/orders.py": LOOP + G_PLAIN, "README.md": "hi\n"})
    monkeypatch.chdir(root)
    return root


def stage(root: Path, files: dict[str, str | bytes]) -> None:
    write(root, files)
    git(root, "add", "-A")


# --- which code is checked --------------------------------------------------------------------------------


def test_default_checks_only_the_staged_change(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage(repo, {"app/orders.py": LOOP + G_INDEXED})
    assert run_check(capsys) == (0, ENUM_BLOCK, "")  # f is slow too, but the commit does not touch it


def test_staged_version_is_read_from_the_index(
    repo: Path, model: RuleSuggester, capsys: pytest.CaptureFixture[str]
) -> None:
    stage(repo, {"app/orders.py": LOOP + G_INDEXED})
    write(repo, {"app/orders.py": "# unstaged edit above everything\n" + LOOP + G_PLAIN})
    assert run_check(capsys) == (0, ENUM_BLOCK, "")  # line 11 of what is committed, not of the working tree


def test_nothing_staged_prints_nothing(repo: Path, model: RuleSuggester, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_check(capsys) == (0, "", "")
    assert model.calls == []


def test_named_file_with_nothing_staged_is_checked_whole(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, {"app/orders.py": LOOP + G_INDEXED})  # modified but not staged
    assert run_check(capsys, "app/orders.py") == (0, SET_BLOCK + "\n" + ENUM_BLOCK, "")


def test_named_file_with_staged_changes_is_checked_where_it_changed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stage(repo, {"app/orders.py": LOOP + G_INDEXED})
    assert run_check(capsys, "app/orders.py") == (0, ENUM_BLOCK, "")


def test_all_without_files_checks_every_tracked_python_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage(repo, {"app/orders.py": LOOP + G_INDEXED, "lib/other.py": LOOP})
    rc, out, err = run_check(capsys, "--all")
    assert (rc, err) == (0, "")
    assert out == SET_BLOCK + "\n" + ENUM_BLOCK + "\n" + SET_BLOCK.replace("app/orders.py", "lib/other.py")


def test_diff_ref_against_the_working_tree_and_a_commit_range(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage(repo, {"app/orders.py": LOOP + G_INDEXED})
    git(repo, "commit", "-q", "-m", "slow g")
    assert run_check(capsys, "--diff", "HEAD~1") == (0, ENUM_BLOCK, "")
    # A range is read from its right-hand commit, whatever the working tree holds now.
    write(repo, {"app/orders.py": "x = 1\n"})
    assert run_check(capsys, "--diff", "HEAD~1..HEAD") == (0, ENUM_BLOCK, "")
    assert run_check(capsys, "--diff", "HEAD") == (0, "", "")  # "x = 1" is a change, but has no hint


def test_paths_are_shown_relative_to_the_current_directory(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stage(repo, {"app/orders.py": LOOP + G_INDEXED})
    monkeypatch.chdir(repo / "app")
    assert run_check(capsys) == (0, ENUM_BLOCK.replace("app/orders.py", "orders.py"), "")


def test_deleted_and_non_python_files_are_ignored(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "app/orders.py").unlink()
    stage(repo, {"README.md": "for i in range(len(xs)):\n"})
    assert run_check(capsys) == (0, "", "")


def test_outside_a_repository_named_files_are_checked_whole(
    tmp_path: Path, model: RuleSuggester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "plain", {"app/orders.py": LOOP + G_INDEXED})
    monkeypatch.chdir(tmp_path / "plain")
    assert run_check(capsys, "app/orders.py") == (0, SET_BLOCK + "\n" + ENUM_BLOCK, "")


# --- output formats -------------------------------------------------------------------------------------------


def test_json_format(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage(repo, {"app/orders.py": LOOP + G_INDEXED})
    write(repo, {"latin1.py": b"x = '\xe9'\n"})
    rc, out, err = run_check(capsys, "--format", "json", "app/orders.py", "latin1.py")
    assert (rc, err) == (0, "")
    payload = json.loads(out)
    assert payload["skipped"] == [{"path": "latin1.py", "reason": "file is not UTF-8 (invalid byte at offset 5)"}]
    assert (payload["regions"], payload["stopped"]) == (1, False)
    [hint] = payload["hints"]
    assert {k: hint[k] for k in ("path", "line", "end_line", "function", "latent", "label", "measured", "record")} == {
        "path": "app/orders.py",
        "line": 11,
        "end_line": 11,
        "function": "g",
        "latent": 3,
        "label": "range(len) -> enumerate",
        "measured": None,
        "record": "not measured on held-out programs",
    }
    assert hint["diff"] == ENUM_BLOCK.split("\n", 2)[2]


def test_github_format_is_escaped_workflow_commands(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage(repo, {"app/orders.py": LOOP + G_PLAIN.replace("return xs", "return [x for x in xs if x in xs]")})
    write(repo, {"bad.py": b"\xff\xfe"})
    rc, out, err = run_check(capsys, "--format", "github", "--all", "app/orders.py", "bad.py")
    assert (rc, err) == (0, "")
    assert out.splitlines() == [
        "::notice file=app/orders.py,line=4,endLine=6,title=speedhints [list -> set membership] score 0.62::"
        "latent 7: correct and faster in 25 of 31 held-out trials, median 3.1x%0A"
        "--- a/app/orders.py%0A+++ b/app/orders.py%0A@@ -4,3 +4,4 @@%0A+    pool_set = set(pool)%0A"
        "     for x in items:%0A-        if x in pool:%0A+        if x in pool_set:%0A             out.append(x)",
        "::warning file=bad.py,title=speedhints skipped::file is not UTF-8 (invalid byte at offset 0)",
    ]


def test_colour_only_when_asked_or_on_a_terminal(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage(repo, {"app/orders.py": LOOP + G_INDEXED})
    assert "\x1b[" not in run_check(capsys)[1]  # captured output is not a terminal
    rc, out, _ = run_check(capsys, "--color", "always")
    assert "\x1b[32m+    for i, xs_item in enumerate(xs):\x1b[0m" in out
    assert out.count("\x1b[") > 4 and rc == 0


# --- exit codes -------------------------------------------------------------------------------------------


def test_fail_on_hints(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_check(capsys, "--fail-on-hints")[0] == 0  # nothing staged, no hint
    stage(repo, {"app/orders.py": LOOP + G_INDEXED})
    assert run_check(capsys, "--fail-on-hints") == (1, ENUM_BLOCK, "")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--all", "--diff", "HEAD"], "speedhints: --all and --diff cannot be combined\n"),
        (["--diff", "no-such-ref"], "speedhints: git diff failed: fatal: bad revision 'no-such-ref'\n"),
        (["--diff", "--output=x"], "speedhints: bad revision '--output=x'\n"),
        (["--top-k", "0"], "speedhints: top-k must be between 1 and 64 (the codebook size), got 0\n"),
        (["--time-budget", "nan"], "speedhints: time-budget must be >= 0 seconds (0: no limit), got nan\n"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    rc, out, err = run_check(capsys, *argv)
    assert (rc, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err


def test_bad_format_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run_check(capsys, "--format", "xml")
    assert rc == 2 and "Invalid value for '--format'" in err


def test_outside_a_repository_without_files_is_a_usage_error(
    tmp_path: Path, model: RuleSuggester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    expected = "speedhints: not inside a git repository: name the FILES or folders to check\n"
    assert run_check(capsys) == (2, "", expected)


def test_missing_bundle_exits_2_with_one_line(
    tmp_path: Path, clean_env: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No double here: the real factory, which finds no bundle shipped in the package yet.
    write(tmp_path, {"a.py": LOOP})
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_check(capsys, "--bundle", str(tmp_path / "nowhere"), "a.py")
    assert (rc, out, err) == (2, "", f"speedhints: no model bundle at {tmp_path / 'nowhere'} (missing manifest.json)\n")
    monkeypatch.setenv("SPEEDHINTS_BUNDLE", str(tmp_path))
    assert run_check(capsys, "a.py") == (2, "", f"speedhints: no model bundle at {tmp_path} (missing manifest.json)\n")


def test_bundle_without_a_runtime_exits_2_with_one_line(
    tmp_path: Path, clean_env: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"bundle/manifest.json": "{}", "a.py": LOOP})
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_check(capsys, "--bundle", "bundle", "a.py")
    assert (rc, out) == (2, "")
    assert err.startswith("speedhints: bundle at ") and err.count("\n") == 1


# --- configuration and inline ignores -----------------------------------------------------------------------------


def test_pyproject_settings_and_flag_overrides(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage(repo, {"app/orders.py": LOOP + G_INDEXED})
    write(repo, {"pyproject.toml": "[tool.speedhints]\nmin-score = 0.5\n"})
    assert run_check(capsys, "--all", "app/orders.py") == (0, SET_BLOCK, "")
    assert run_check(capsys, "--all", "--min-score", "0", "app/orders.py") == (0, SET_BLOCK + "\n" + ENUM_BLOCK, "")
    write(repo, {"pyproject.toml": '[tool.speedhints]\ndisabled_latents = ["List -> Set  membership", 3]\n'})
    assert run_check(capsys, "--all", "app/orders.py") == (0, "", "")
    write(repo, {"pyproject.toml": '[tool.speedhints]\nexclude = ["app/*"]\ntop-k = 1\n'})
    assert run_check(capsys, "--all") == (0, "", "")
    assert run_check(capsys, "--all", "--exclude", "nothing/*") == (0, SET_BLOCK + "\n" + ENUM_BLOCK, "")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[tool.speedhints]\ntopk = 3\n", "unknown key 'topk' in [tool.speedhints] (known: disabled-latents, "),
        ("[tool.speedhints]\nmin-score = '0.5'\n", "min-score must be a number"),
        ("[tool.speedhints]\nexclude = [1.5]\n", "exclude must be a list of strings"),
        ("[tool.speedhints\n", "invalid TOML: "),
    ],
)
def test_bad_config_exits_2_naming_the_file(
    repo: Path, capsys: pytest.CaptureFixture[str], toml: str, message: str
) -> None:
    write(repo, {"pyproject.toml": toml})
    rc, out, err = run_check(capsys)
    assert (rc, out) == (2, "")
    assert err.startswith(f"speedhints: {repo / 'pyproject.toml'}: {message}") and err.count("\n") == 1


IGNORED = """\
def f(items, wanted):{comment_def}
    pool = [w for w in wanted]
    out = []
    for x in items:
        if x in pool:{comment_body}
            out.append(x)
    for i in range(len(items)):
        print(items[i])
    return out
"""


@pytest.mark.parametrize(
    ("comment_def", "comment_body", "shown"),
    [
        ("", "", [7, 3]),
        ("  # speedhints: ignore", "", []),  # the whole function
        ("  # speedhints: ignore[7]", "", [3]),
        ("  # speedhints: ignore[range(len) -> enumerate, 99]", "", [7]),
        ("", "  # speedhints: ignore", [3]),  # only the hints touching that line
        ("", "  # speedhints: ignore[3]", [7, 3]),
        ("  # see 'speedhints: ignore'", "", [7, 3]),  # not a directive: the comment must start with it
    ],
)
def test_inline_ignore_comments(
    repo: Path, capsys: pytest.CaptureFixture[str], comment_def: str, comment_body: str, shown: list[int]
) -> None:
    write(repo, {"m.py": IGNORED.format(comment_def=comment_def, comment_body=comment_body)})
    rc, out, _ = run_check(capsys, "--all", "m.py")
    assert rc == 0
    assert [
        int(line.split("score")[0].count("set membership") and 7 or 3)
        for line in out.splitlines()
        if line.startswith("m.py:")
    ] == shown


def test_top_k_limits_hints_per_function(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, {"m.py": IGNORED.format(comment_def="", comment_body="")})
    out = run_check(capsys, "--all", "--top-k", "1", "m.py")[1]
    assert out.count("m.py:") == 1 and "set membership" in out  # the higher-scored one


def test_ignore_text_inside_a_string_is_not_a_directive(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(
        repo,
        {"m.py": IGNORED.format(comment_def="", comment_body="").replace("out = []", "out = ['# speedhints: ignore']")},
    )
    assert run_check(capsys, "--all", "m.py")[1].count("m.py:") == 2


# --- cache, model loading, time budget ------------------------------------------------------------------------


def test_unchanged_functions_come_from_the_cache(
    repo: Path, model: RuleSuggester, capsys: pytest.CaptureFixture[str]
) -> None:
    stage(repo, {"app/orders.py": LOOP + G_INDEXED})
    first = run_check(capsys, "app/orders.py", "--all")
    assert len(model.calls) == 2 and any((repo / ".git" / "speedhints-cache").rglob("*.json"))
    model.calls.clear()
    assert run_check(capsys, "app/orders.py", "--all") == first
    assert model.calls == []  # nothing asked of the model
    # Ten lines added above: both functions move but are unchanged -> still cached, at their new lines.
    write(repo, {"app/orders.py": "import os\n" * 10 + LOOP + G_INDEXED})
    rc, out, _ = run_check(capsys, "app/orders.py", "--all")
    assert model.calls == [("app/orders.py", ((1, 10),))]  # only the new region (the imports) is asked about
    assert "app/orders.py:14: [list" in out and "@@ -14,3 +14,4 @@" in out
    assert "app/orders.py:21: [range" in out
    # Settings applied after the model (min-score) need no model either; a changed function does.
    assert run_check(capsys, "app/orders.py", "--all", "--min-score", "0.5")[1].count("app/orders.py:") == 1
    write(repo, {"app/orders.py": "import os\n" * 10 + LOOP + G_INDEXED.replace("print", "log")})
    model.calls.clear()
    run_check(capsys, "app/orders.py", "--all")
    assert model.calls == [("app/orders.py", ((20, 22),))]
    model.calls.clear()
    run_check(capsys, "app/orders.py", "--all", "--no-cache")
    assert len(model.calls) == 3  # the imports, f and g


def test_corrupt_cache_entries_are_misses(repo: Path, model: RuleSuggester, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, {"m.py": LOOP})
    first = run_check(capsys, "m.py")
    for entry in (repo / ".git" / "speedhints-cache").rglob("*.json"):
        entry.write_text("{not json")
    assert run_check(capsys, "m.py") == first and len(model.calls) == 2


def test_model_is_loaded_once_per_process_and_not_at_all_when_cached(
    tmp_path: Path, clean_env: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real factory with a bundle directory; only the runtime construction is replaced by the double.
    builds: list[Path] = []
    gates: list[float] = []
    double = RuleSuggester()

    def build(path: Path, min_precision: float) -> RuleSuggester:
        builds.append(path)
        gates.append(min_precision)
        return double

    monkeypatch.setattr(suggester_factory, "_build_runtime", build)
    monkeypatch.setattr(suggester_factory, "_LOADED", {})
    write(tmp_path, {"bundle/manifest.json": '{"format": 1}', "a.py": LOOP, "b.py": LOOP + G_INDEXED})
    monkeypatch.chdir(tmp_path)
    assert run_check(capsys, "--bundle", "bundle", "a.py")[1].count("a.py:") == 1
    assert run_check(capsys, "--bundle", "bundle", "a.py", "b.py", "--no-cache")[1].count("b.py:") == 2
    assert len(builds) == 1 and len(double.calls) == 1 + 3
    write(tmp_path, {"bundle/manifest.json": '{"format": 1, "retrained": true}'})  # a new model: new identity
    run_check(capsys, "--bundle", "bundle", "a.py")
    assert len(builds) == 2
    monkeypatch.setattr(suggester_factory, "_LOADED", {})  # a fresh process, everything cached
    assert run_check(capsys, "--bundle", "bundle", "a.py")[1].count("a.py:") == 1
    assert len(builds) == 2
    # Another precision gate gives other hints: a new identity (and cache key), and the runtime gets the value.
    write(tmp_path, {"pyproject.toml": "[tool.speedhints]\nmin-precision = 0.25\n"})
    run_check(capsys, "--bundle", "bundle", "a.py")
    run_check(capsys, "--bundle", "bundle", "a.py", "--min-precision", "0")
    assert len(builds) == 4 and gates[-2:] == [0.25, 0.0] and gates[0] == HookConfig().min_precision


class SlowDouble(RuleSuggester):
    def suggest(self, path: str, source: str, changed: Sequence[LineRange], *, top_k: int = 4) -> list[Hint]:
        time.sleep(0.3)
        return super().suggest(path, source, changed, top_k=top_k)


def test_time_budget_prints_what_it_has_and_says_it_stopped(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowDouble()
    monkeypatch.setattr(
        suggester_factory, "load_suggester", lambda _, **__: suggester_factory.LoadedSuggester("slow", lambda: slow)
    )
    functions = "".join(LOOP.replace("def f", f"def f{i}") + "\n\n" for i in range(4))
    write(repo, {"m.py": functions})
    rc, out, err = run_check(capsys, "m.py", "--time-budget", "0.5")
    shown = out.count("m.py:")
    # Wall-clock timing on a shared machine: how many fit is not fixed (see the engine test with a fake clock),
    # but the 4 x 0.3 s of model time cannot all fit in 0.5 s.
    assert rc == 0 and shown == len(slow.calls) and 0 <= shown < 4
    assert err == (
        f"speedhints: stopped after the 0.5s time budget; {4 - shown} of 4 changed regions not checked "
        "(raise time-budget in [tool.speedhints] or pass --time-budget)\n"
    )
    # Cached regions cost nothing, so they are shown even once the budget is spent.
    rc, out, err = run_check(capsys, "m.py", "--time-budget", "0.5")
    assert out.count("m.py:") >= shown


def test_time_budget_with_a_fake_clock(model: RuleSuggester) -> None:
    now = [0.0]

    class TickingDouble(RuleSuggester):
        def suggest(self, path: str, source: str, changed: Sequence[LineRange], *, top_k: int = 4) -> list[Hint]:
            now[0] += 1.0  # each model call takes one second
            return super().suggest(path, source, changed, top_k=top_k)

    ticking = TickingDouble()
    functions = "".join(LOOP.replace("def f", f"def f{i}") + "\n\n" for i in range(5))
    model_ = suggester_factory.LoadedSuggester("ticking", lambda: ticking)
    config = HookConfig(time_budget=2.5)
    cache = HintCache(None)
    result = run_engine(
        [FileToCheck("m.py", functions, None)], config, model_, cache, started=0.0, clock=lambda: now[0]
    )
    # calls start at t=0, 1, 2 (< 2.5); at t=3 the budget is spent
    assert (len(ticking.calls), len(result.hints), result.unchecked, result.regions) == (3, 3, 2, 5)
    assert [h.function for h in result.hints] == ["f0", "f1", "f2"]


def test_reading_and_parsing_count_in_the_time_budget(model: RuleSuggester) -> None:
    # Parsing a large file takes seconds and cannot be interrupted: the engine reads each file only while the
    # budget lasts, says which one the budget ran out in, and reads no further file.
    now = [0.0]
    functions = "".join(LOOP.replace("def f", f"def f{i}") + "\n\n" for i in range(2))

    def read(seconds: float, text: str = functions) -> Callable[[], str]:
        def go() -> str:
            now[0] += seconds
            return text

        return go

    def bad() -> str:
        raise BadInput("file is empty")

    files = [
        FileToRead("a.py", None, read(1.0)),  # read by t=1: checked
        FileToRead("empty.py", None, bad),
        FileToRead("big.py", None, read(3.0)),  # from t=1 to t=4: the 2.5 s budget ran out while it was parsed
        FileToRead("c.py", None, read(0.0)),  # never read
    ]
    model_ = suggester_factory.LoadedSuggester("ticking", lambda: model)
    result = run_engine(files, HookConfig(time_budget=2.5), model_, HintCache(None), started=0.0, clock=lambda: now[0])
    assert [h.path for h in result.hints] == ["a.py", "a.py"] and result.regions == 2
    assert result.skipped == [
        Skipped("empty.py", "file is empty"),
        Skipped("big.py", "time budget exhausted while it was read and parsed (3.00 s)"),
        Skipped("c.py", "time budget exhausted before it was read"),
    ]
    assert (result.unread, result.unchecked, result.stopped) == (["big.py", "c.py"], 0, True)
    assert stop_message(result, 2.5) == (
        "speedhints: stopped after the 2.5s time budget; 2 files not checked "
        "(raise time-budget in [tool.speedhints] or pass --time-budget)"
    )
    assert render_explain(result).splitlines()[-3:] == [
        "big.py: not checked: time budget exhausted while it was read and parsed (3.00 s)",
        "c.py: not checked: time budget exhausted before it was read",
        "speedhints: 2 regions (0 from the cache, 0 not checked; 2 files not checked), 2 hints shown",
    ]
    # Without a budget every file is read, however long it takes.
    now[0] = 0.0
    result = run_engine(files, HookConfig(time_budget=0), model_, HintCache(None), started=0.0, clock=lambda: now[0])
    assert (result.regions, result.unread, [s.path for s in result.skipped]) == (6, [], ["empty.py"])


def test_a_file_left_by_the_budget_is_one_line_never_lost(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = "".join(LOOP.replace("def f", f"def f{i}") + "\n\n" for i in range(40))  # 320 lines
    write(repo, {"big.py": big, "m.py": LOOP})
    rc, out, err = run_check(capsys, "--all", "--time-budget", "1e-9", "--fail-on-hints", "big.py", "m.py")
    assert (rc, out) == (0, "")  # nothing checked, so no hint: advice, not a failure
    assert err == (
        "big.py: skipped: time budget exhausted before it was read\n"
        "m.py: skipped: time budget exhausted before it was read\n"
        "speedhints: stopped after the 1e-09s time budget; 2 files not checked "
        "(raise time-budget in [tool.speedhints] or pass --time-budget)\n"
    )
    rc, out, _ = run_check(capsys, "--all", "--time-budget", "1e-9", "--format", "json", "big.py", "m.py")
    payload = json.loads(out)
    assert (payload["unread"], payload["stopped"], payload["regions"]) == (["big.py", "m.py"], True, 0)
    assert payload["skipped"][0] == {"path": "big.py", "reason": "time budget exhausted before it was read"}
    rc, out, err = run_check(capsys, "--all", "--time-budget", "0", "big.py", "m.py")
    assert (rc, err, out.count("big.py:"), out.count("m.py:")) == (0, "", 40, 1)


# --- bad input --------------------------------------------------------------------------------------------


BAD_FILES: dict[str, tuple[str | bytes, str]] = {
    "syntax.py": ("def f(:\n    pass\n", "not valid Python 3: invalid syntax at line 1"),
    "py2.py": ("print 'hello'\n", "not valid Python 3 (looks like Python 2): Missing parentheses in call to 'print'."),
    "latin1.py": (b"x = '\xe9'\n", "file is not UTF-8 (invalid byte at offset 5)"),
    "binary.py": (b"\x00\x01\x02", "file contains NUL bytes (binary content, not Python source)"),
    "huge.py": ("x = 1\n" * 500, "file is 3,000 bytes, over the 2,000-byte limit"),
    "empty.py": ("", "file is empty"),
    "deep.py": ("x = " + "[" * 120 + "]" * 120 + "\n", "code is nested"),
    "gen_pb2.py": ("# Generated by the protocol buffer compiler.  DO NOT EDIT!\nx = 1\n", "generated file ("),
}


def test_each_bad_file_is_one_line_and_the_others_are_still_checked(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, {name: content for name, (content, _) in BAD_FILES.items()})
    names = [*BAD_FILES, "app/orders.py"]
    rc, out, err = run_check(capsys, "--all", "--max-bytes", "2000", *names)
    assert (rc, out) == (0, SET_BLOCK)
    lines = err.splitlines()
    assert [line.split(": skipped: ")[0] for line in lines] == [n for n in names if n != "app/orders.py"]
    for line, (_, reason) in zip(lines, BAD_FILES.values(), strict=False):
        assert line.split(": skipped: ")[1].startswith(reason)
    assert len(lines) == len(BAD_FILES)


# --- named paths (issue #16, item 5) ------------------------------------------------------------------------------


@pytest.mark.parametrize("whole", [[], ["--all"]])
def test_a_named_path_that_does_not_exist_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str], whole: list[str]
) -> None:
    # A typo must not pass as "no hints", even among good files and with --fail-on-hints
    argv = [*whole, "--fail-on-hints", "app/orders.py", "app/ordres.py"]
    assert run_check(capsys, *argv) == (2, "", "speedhints: app/ordres.py: no such file or directory\n")


def test_a_named_path_that_does_not_exist_outside_a_repository(
    tmp_path: Path, model: RuleSuggester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_check(capsys, "typo.py") == (2, "", "speedhints: typo.py: no such file or directory\n")


def test_a_named_folder_is_searched_for_python_files_respecting_exclude(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, {"app/sub/more.py": LOOP, "app/notes.txt": LOOP, "app/.hidden/x.py": LOOP,
                 "app/__pycache__/y.py": LOOP, "app/gen/z.py": LOOP})  # fmt: skip
    rc, out, err = run_check(capsys, "--all", "app", "--exclude", "app/gen/*")
    assert (rc, err) == (0, "")
    assert out == "\n".join([SET_BLOCK, SET_BLOCK.replace("app/orders.py", "app/sub/more.py")])
    write(repo, {"pyproject.toml": '[tool.speedhints]\nexclude = ["app/sub/*"]\n'})
    rc, out, err = run_check(capsys, "--all", "app/", "app/orders.py")  # named again: checked once
    assert (rc, err) == (0, "")
    assert out == "\n".join([SET_BLOCK, SET_BLOCK.replace("app/orders.py", "app/gen/z.py")])
    (repo / "empty.py").mkdir()  # a folder, whatever its name: searched, nothing in it
    assert run_check(capsys, "--all", "empty.py") == (0, "", "")


def test_a_bad_staged_file_is_read_from_the_index_and_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage(repo, {"latin1.py": b"x = '\xe9'\n", "app/orders.py": LOOP + G_INDEXED})
    rc, out, err = run_check(capsys)
    assert (rc, out, err) == (0, ENUM_BLOCK, "latin1.py: skipped: file is not UTF-8 (invalid byte at offset 5)\n")


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_readme_examples_get_hints(
    model: RuleSuggester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    rc, out, err = run_check(
        capsys, "--all", "--no-cache", "examples/slow_membership.py", "examples/slow_running_max.py"
    )
    assert (rc, err) == (0, "")
    assert [line for line in out.splitlines() if line.startswith("examples/")] == [
        "examples/slow_membership.py:17: [list -> set membership] score 0.62",
        "examples/slow_running_max.py:11: [range(len) -> enumerate] score 0.21",
    ]


def test_the_hook_imports_neither_torch_nor_the_bot() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from speedhints.cli import main; import speedhints.hook.cli, speedhints.hook.engine; "
        "bad = [m for m in sys.modules "
        "if m.split('.')[0] in ('torch', 'onnxruntime') or m.startswith('speedhints.bot')]; "
        "print(bad)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
