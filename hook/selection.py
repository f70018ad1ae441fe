"""Which files to check and which of their lines: the staged diff (default), ``--diff REF``, or ``--all``.

Staged files are read from the index, not the working tree, because that is what the commit records (pre-
commit stashes unstaged edits, but ``speedhints check`` run by hand does not). A file named on the command
line with nothing staged is checked whole: that is what ``speedhints check some_file.py`` means when nothing
is being committed.
"""

from __future__ import annotations

import fnmatch
import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from speedhints.hook.git import INDEX, GitError, GitRepo, right_side
from speedhints.hook.inputs import source_from_bytes, source_from_file
from speedhints.model_export.hints import LineRange
from speedhints.model_export.source import BadInput

PYTHON_SUFFIXES = (".py", ".pyi")
# Folders a named directory's walk never enters (as ruff's defaults): tool state, environments, build output.
SKIPPED_DIRS = frozenset({"__pycache__", "__pypackages__", "node_modules", "site-packages", "venv", "buck-out",
                          "_build", "build", "dist"})  # fmt: skip


class SelectionError(RuntimeError):
    """Nothing sensible to check (e.g. no repository for the staged diff); ``str(exc)`` is one line."""


@dataclass(frozen=True)
class Wanted:
    path: str  # as shown to the user
    repo_path: str | None  # relative to the repository root (None outside a repository)
    changed: Sequence[LineRange] | None  # None: the whole file
    rev: str | None  # git revision to read from (INDEX, a commit); None: the working tree


@dataclass(frozen=True)
class Opened:
    wanted: Wanted
    read: Callable[[], str]  # the validated source text; raises BadInput (one line) for an unusable file


@dataclass(frozen=True)
class Loaded:
    wanted: Wanted
    text: str | None
    problem: str | None  # why ``text`` is None


def select(repo: GitRepo | None, files: Sequence[str], *, whole: bool, diff_ref: str | None, cwd: Path) -> list[Wanted]:
    if files:
        files = expand_named(files)
        if not files:
            return []  # only folders without Python files were named: not "nothing named, check everything"
    if whole:
        if files:
            return [Wanted(name, _repo_path(repo, name), None, None) for name in files]
        if repo is None:
            raise SelectionError("not inside a git repository: name the FILES or folders to check")
        return [Wanted(_display(repo, rel, cwd), rel, None, None) for rel in repo.tracked_python_files()]
    if repo is None:
        if diff_ref is not None:
            raise SelectionError("--diff needs a git repository")
        if not files:
            raise SelectionError("not inside a git repository: name the FILES or folders to check")
        return [Wanted(name, None, None, None) for name in files]
    if diff_ref is not None:
        changes, rev = repo.changes_since(diff_ref), right_side(diff_ref)
    else:
        changes, rev = repo.staged_changes(), INDEX
    if not files:
        return [
            Wanted(_display(repo, rel, cwd), rel, ranges, rev)
            for rel, ranges in changes.items()
            if rel.endswith(PYTHON_SUFFIXES)
        ]
    wanted = []
    for name in files:
        rel = _repo_path(repo, name)
        if rel is not None and rel in changes:
            wanted.append(Wanted(name, rel, changes[rel], rev))
        elif diff_ref is None:
            wanted.append(Wanted(name, rel, None, None))  # named, nothing staged: the whole file
        # with --diff, a named file the range did not touch has nothing to check
    return wanted


def expand_named(names: Sequence[str]) -> list[str]:
    """Named paths as files: a folder becomes the Python files under it; a name that does not exist is an error
    (a mistyped path must not pass as "no hints")."""
    files: list[str] = []
    for name in names:
        if os.path.isdir(name):
            files.extend(_python_files_under(name))
        elif os.path.lexists(name):
            files.append(name)
        else:
            raise SelectionError(f"{name}: no such file or directory")
    return list(dict.fromkeys(files))  # a file reached twice (named and inside a named folder) is checked once


def _python_files_under(folder: str) -> list[str]:
    found: list[str] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        found.extend(os.path.join(root, n) for n in sorted(names) if n.endswith(PYTHON_SUFFIXES))
    return found


def excluded(wanted: Wanted, globs: Sequence[str]) -> bool:
    name = (wanted.repo_path or wanted.path).replace(os.sep, "/")
    return any(fnmatch.fnmatchcase(name, g) or fnmatch.fnmatchcase(wanted.path, g) for g in globs)


def open_all(repo: GitRepo | None, wanted: Sequence[Wanted], max_bytes: int) -> list[Opened]:
    """Every wanted file, ready to read; git blobs are fetched here, in one batch per revision (cheap: bytes only).
    Decoding and parsing, which for a large file costs seconds, happen only when ``Opened.read`` is called, so the
    hook's engine can do it within its time budget."""
    blobs: dict[tuple[str, str], bytes | None] = {}
    by_rev: dict[str, list[str]] = {}
    for w in wanted:
        if w.rev is not None and w.repo_path is not None:
            by_rev.setdefault(w.rev, []).append(w.repo_path)
    for rev, paths in by_rev.items():
        assert repo is not None
        try:
            got = repo.read_blobs(rev, paths)
        except GitError:
            got = dict.fromkeys(paths)
        blobs.update({(rev, p): data for p, data in got.items()})
    opened = []
    for w in wanted:
        if w.rev is not None and w.repo_path is not None:
            data = blobs.get((w.rev, w.repo_path))
            opened.append(Opened(w, functools.partial(source_from_bytes, data, max_bytes)))
        else:
            opened.append(Opened(w, functools.partial(source_from_file, w.path, max_bytes)))
    return opened


def load_all(repo: GitRepo | None, wanted: Sequence[Wanted], max_bytes: int) -> list[Loaded]:
    """Read and validate every wanted file now (``open_all``, read at once). Never raises for a single bad file."""
    loaded = []
    for item in open_all(repo, wanted, max_bytes):
        try:
            loaded.append(Loaded(item.wanted, item.read(), None))
        except BadInput as exc:
            loaded.append(Loaded(item.wanted, None, str(exc)))
    return loaded


def _repo_path(repo: GitRepo | None, name: str) -> str | None:
    if repo is None:
        return None
    try:
        # Resolve the folder, not the file: a symlink named foo.py is tracked as foo.py, not as its target.
        absolute = Path(os.path.realpath(os.path.dirname(os.path.abspath(name)))) / os.path.basename(name)
        return absolute.relative_to(os.path.realpath(repo.root)).as_posix()
    except ValueError:
        return None  # outside the repository: read from disk, checked whole


def _display(repo: GitRepo, rel: str, cwd: Path) -> str:
    return os.path.relpath(repo.root / rel, cwd)
