"""Fixtures and helpers shared by the hook's tests: a clean environment, the rule double in place of the model
runtime, temporary git repositories, and ``speedhints check`` run in-process."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from test_hook_doubles import DOUBLE_IDENTITY, RuleSuggester

from speedhints.cli import main
from speedhints.hook import suggester as suggester_factory


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No outside state: no GIT_* of an enclosing hook run, no user bundle, caches under tmp_path."""
    for name in list(os.environ):
        if name.startswith("GIT_") or name in ("SPEEDHINTS_BUNDLE", "SPEEDHINTS_CACHE_DIR", "PRE_COMMIT_HOME"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (tmp_path / "gitconfig").write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
    )


def use_rule_double(monkeypatch: pytest.MonkeyPatch) -> RuleSuggester:
    """Make ``speedhints check`` use a new rule double instead of a bundle's runtime; returns the double."""
    double = RuleSuggester()
    monkeypatch.setattr(
        suggester_factory,
        "load_suggester",
        lambda bundle_path, **_: suggester_factory.LoadedSuggester(DOUBLE_IDENTITY, lambda: double),
    )
    return double


@pytest.fixture
def model(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> RuleSuggester:
    """Make ``speedhints check`` use the rule double instead of a bundle's runtime; returns the double."""
    return use_rule_double(monkeypatch)


def run_check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["check", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def make_repo(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """A git repository at ``root`` with ``files`` committed."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    write(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def write(root: Path, files: Mapping[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
