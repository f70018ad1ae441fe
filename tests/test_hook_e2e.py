"""End to end: a real ``git commit`` in a temporary repository runs speedhints through pre-commit.

Both hooks are ``repo: local`` hooks built from this checkout's .pre-commit-hooks.yaml (its types, serial run,
verbosity and stages), so nothing is downloaded. Two entries:

- ``speedhints check`` as installed in this environment: the commit gets exactly the documented behaviour of a
  build without a model (exit 2 with one line: the commit is refused), or, once a default bundle ships, passes.
- the same ``main`` with the rule double of test_hook_doubles.py in place of the model runtime, which does not exist
  yet: shows that a commit of a slow function prints the hint in the user's names and still succeeds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import test_hook_fixtures
import yaml
from test_hook_doubles import LOOP
from test_hook_fixtures import git, make_repo, write

clean_env = test_hook_fixtures.clean_env  # a fixture

CHECKOUT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
SPEEDHINTS = shutil.which("speedhints", path=str(Path(sys.executable).parent))

RUNNER = f"""\
import sys
sys.path.insert(0, {str(TESTS)!r})
from test_hook_doubles import DOUBLE_IDENTITY, RuleSuggester
from speedhints.hook import suggester
suggester.load_suggester = lambda bundle_path, **_: suggester.LoadedSuggester(DOUBLE_IDENTITY, RuleSuggester)
from speedhints.cli import main
raise SystemExit(main(sys.argv[1:]))
"""

pytestmark = pytest.mark.skipif(PRE_COMMIT is None or SPEEDHINTS is None, reason="pre-commit/speedhints not installed")


def local_hook(entry: str) -> dict[str, object]:
    [manifest] = yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text())
    hook = {k: v for k, v in manifest.items() if k not in ("description", "minimum_pre_commit_version")}
    hook.update(entry=entry, language="system")  # language: python would pip-install the checkout (network)
    return hook


def commit_with_hook(root: Path, entry: str, files: dict[str, str | bytes]) -> subprocess.CompletedProcess[str]:
    config = {"repos": [{"repo": "local", "hooks": [local_hook(entry)]}]}
    write(root, {".pre-commit-config.yaml": yaml.safe_dump(config)})
    git(root, "add", ".pre-commit-config.yaml")
    git(root, "commit", "-q", "-m", "add hook", "--no-verify")
    env = {**os.environ, "PRE_COMMIT_HOME": str(root.parent / "pre-commit-home"), "NO_COLOR": "1"}
    subprocess.run([PRE_COMMIT, "install"], cwd=root, env=env, check=True, capture_output=True)  # type: ignore[list-item]
    write(root, files)
    git(root, "add", "-A")
    return subprocess.run(["git", "commit", "-m", "slow code"], cwd=root, env=env, capture_output=True, text=True)


def test_commit_shows_the_hint_and_succeeds(tmp_path: Path, clean_env: None) -> None:
    root = make_repo(tmp_path / "repo", {"app/__init__.py": "", "app/orders.py": "def g(xs):\n    return xs\n"})
    write(tmp_path, {"runner.py": RUNNER})
    proc = commit_with_hook(
        root, f"{sys.executable} {tmp_path / 'runner.py'} check", {"app/orders.py": "X = 1\n\n\n" + LOOP}
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "speedhints...............................................................Passed" in out
    assert (
        "app/orders.py:7: [list -> set membership] score 0.62\n"
        "  latent 7: correct and faster in 25 of 31 held-out trials, median 3.1x\n"
        "--- a/app/orders.py\n+++ b/app/orders.py\n@@ -7,3 +7,4 @@\n+    pool_set = set(pool)\n"
    ) in out
    assert git(root, "log", "-1", "--format=%s") == "slow code\n"
    assert any((root / ".git" / "speedhints-cache").rglob("*.json"))  # the default cache lives in .git


def test_installed_command_without_a_model(tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "no-bundle"
    monkeypatch.setenv("SPEEDHINTS_BUNDLE", str(missing))
    root = make_repo(tmp_path / "repo", {"app/orders.py": "def g(xs):\n    return xs\n"})
    proc = commit_with_hook(root, f"{SPEEDHINTS} check", {"app/orders.py": LOOP})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "- exit code: 2" in out
    assert f"speedhints: no model bundle at {missing} (missing manifest.json)\n" in out
    assert "Traceback" not in out
    assert git(root, "log", "-1", "--format=%s") == "add hook\n"  # the commit was refused


def test_hook_manifest_is_valid(clean_env: None, tmp_path: Path) -> None:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [PRE_COMMIT, "validate-manifest", str(CHECKOUT / ".pre-commit-hooks.yaml")],  # type: ignore[list-item]
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [hook] = yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["language"], hook["types_or"], hook["require_serial"]) == (
        "speedhints",
        "python",
        ["python", "pyi"],
        True,
    )
    assert "manual" in hook["stages"] and hook["entry"] == "speedhints check"
