"""Running a package's own tests: which test files exist, what they import, and pytest on a chosen few of them in
a working copy of the unpacked sdist (the package's import root first on sys.path, so the copy is what imports).

Each run is a real ``python -m pytest`` subprocess with a wall-clock timeout. ``-o addopts=`` drops the package's
own pytest options (coverage plugins and the like that this environment may lack); bytecode is not written,
so a module restored to the same size within the same second can never be served from a stale .pyc.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_TEST_DIRS = {"tests", "test", "testing"}


@dataclass(frozen=True)
class TestFile:
    path: str  # relative to the sdist root, posix: "tests/test_more.py"
    imports: frozenset[str]  # dotted names imported (both "pkg" and "pkg.mod" for `from pkg.mod import x`)
    words: frozenset[str]  # identifiers the file mentions (attribute names included)


@dataclass(frozen=True)
class TestRun:
    ok: bool
    status: str  # "passed", "failed", "timeout", "error" (pytest could not collect or run)
    seconds: float
    tail: str  # last lines of pytest's output: what failed


def find_test_files(root: Path) -> list[TestFile]:
    """Every test_*.py / *_test.py under a tests folder of the sdist, with its imports and identifiers."""
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if not (_TEST_DIRS & set(rel.parts[:-1])) or not (path.name.startswith("test_") or path.stem.endswith("_test")):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError, RecursionError):
            continue
        imports: set[str] = set()
        words: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    imports.add(alias.name)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imports.add(node.module)
                imports.update(f"{node.module}.{a.name}" for a in node.names)
                words.update(a.name for a in node.names)
            elif isinstance(node, ast.Name):
                words.add(node.id)
            elif isinstance(node, ast.Attribute):
                words.add(node.attr)
        out.append(TestFile(rel.as_posix(), frozenset(imports), frozenset(words)))
    return out


def imports_package(test: TestFile, top_level: tuple[str, ...]) -> bool:
    return any(name.split(".")[0] in top_level for name in test.imports)


def tests_for(module: str, qualname: str, tests: list[TestFile], top_level: tuple[str, ...]) -> list[TestFile]:
    """The test files that exercise unit ``module:qualname``: they import the package and name the function (for a
    method, its class or the method itself). A test file that imports the module itself but never names the unit
    is left out: running it would rarely reach the unit and would cost the most time."""
    parts = qualname.split(".")
    names = {parts[-1]} if len(parts) == 1 else {parts[0], parts[-1]}
    names.discard("__init__")
    if not names:
        names = {parts[0]}
    return [t for t in tests if imports_package(t, top_level) and names & t.words]


def run_pytest(copy_root: Path, import_root: Path, files: list[str], timeout: float) -> TestRun:
    """``python -m pytest -x -q FILES`` in ``copy_root`` with ``import_root`` first on sys.path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(import_root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONHASHSEED"] = "0"
    # No third-party pytest plugins: autoloading this environment's (hypothesis, anyio...) cost ~5 s of a ~7 s run
    # here, and the packages' tests need none of them (hypothesis's @given works without its plugin).
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--no-header"]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [*cmd, *files],
            cwd=copy_root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return TestRun(False, "timeout", time.monotonic() - started, f"over {timeout:.0f} s")
    seconds = time.monotonic() - started
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
    if proc.returncode == 0:
        return TestRun(True, "passed", seconds, tail)
    return TestRun(False, "failed" if proc.returncode == 1 else "error", seconds, tail)


def imported_from(copy_root: Path, import_root: Path, top: str) -> str:
    """Where ``import top`` resolves with the copy's import root first: the check that tests see the copy."""
    env = dict(os.environ, PYTHONPATH=str(import_root), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, "-c", f"import {top}, sys; sys.stdout.write({top}.__file__ or '')"],
        cwd=copy_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""
