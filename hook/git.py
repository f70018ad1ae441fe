"""The few git operations the hook needs, each one subprocess (never a git library: the hook must start fast).

Paths that git prints are relative to the repository root; ``core.quotePath=false`` keeps non-ASCII names
readable so unidiff sees the same names the user does.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from speedhints.hook.diffs import changed_ranges
from speedhints.model_export.hints import LineRange

_GIT = ["git", "-c", "core.quotePath=false"]
# -U0: hunks are exactly the changed lines. ACMR: deleted files have nothing to hint at.
_DIFF_ARGS = ["diff", "-U0", "--no-color", "--no-ext-diff", "--diff-filter=ACMR"]


_ENC, _ERR = "utf-8", "surrogateescape"  # git paths are bytes; keep undecodable ones round-trippable


class GitError(RuntimeError):
    """git is missing, this is not a repository, or a revision is unknown; ``str(exc)`` is one line."""


INDEX = ":"  # the revision prefix git uses for the staged version of a path (":path")


@dataclass(frozen=True)
class GitRepo:
    root: Path  # the working tree's top level
    git_dir: Path  # the common .git directory (shared by worktrees): home of the default cache

    @classmethod
    def discover(cls, cwd: str | os.PathLike[str] | None = None) -> GitRepo | None:
        """The repository containing ``cwd``, or None outside one (or when git is not installed)."""
        try:
            out = _run(["rev-parse", "--show-toplevel", "--git-common-dir"], cwd=cwd)
        except GitError:
            return None
        lines = out.decode().splitlines()
        if len(lines) < 2:  # a bare repository or a .git directory: no working tree to check
            return None
        root = Path(lines[0])
        git_dir = Path(lines[1]) if os.path.isabs(lines[1]) else Path(cwd or ".").resolve() / lines[1]
        return cls(root=root, git_dir=git_dir)

    def staged_changes(self) -> dict[str, list[LineRange]]:
        ranges: dict[str, list[LineRange]] = changed_ranges(self._git(*_DIFF_ARGS, "--cached").decode(_ENC, _ERR))
        return ranges

    def changes_since(self, ref: str) -> dict[str, list[LineRange]]:
        """``git diff REF`` (against the working tree) or ``git diff A..B`` / ``A...B`` (between commits)."""
        if ref.startswith("-"):
            raise GitError(f"bad revision {ref!r}")  # never let a ref be read as a git option
        ranges: dict[str, list[LineRange]] = changed_ranges(self._git(*_DIFF_ARGS, ref, "--").decode(_ENC, _ERR))
        return ranges

    def tracked_python_files(self) -> list[str]:
        out = self._git("ls-files", "-z", "--", "*.py", "*.pyi")
        return [name for name in out.decode("utf-8", "surrogateescape").split("\0") if name]

    def read_blobs(self, rev: str, paths: list[str]) -> dict[str, bytes | None]:
        """Contents of ``rev:path`` for each path, in one ``git cat-file --batch`` (None where missing).

        ``rev`` is ``INDEX`` for the staged version, which is what a commit records even when the working
        tree has unstaged edits on top.
        """
        names = [p for p in paths if "\n" not in p]  # cat-file --batch is line-based
        spec = "".join(f"{rev}{'' if rev == INDEX else ':'}{p}\n" for p in names).encode("utf-8", "surrogateescape")
        out = self._git("cat-file", "--batch", stdin=spec)
        blobs: dict[str, bytes | None] = dict.fromkeys(paths)
        pos = 0
        for path in names:
            eol = out.index(b"\n", pos)
            header = out[pos:eol].split()
            pos = eol + 1
            if len(header) == 3 and header[1] == b"blob":
                size = int(header[2])
                blobs[path] = out[pos : pos + size]
                pos += size + 1  # the content is followed by a newline
            # "<spec> missing" or a non-blob: nothing to read
        return blobs

    def _ranges(self, *args: str) -> dict[str, list[LineRange]]:
        ranges: dict[str, list[LineRange]] = changed_ranges(self._git(*args).decode(_ENC, _ERR))
        return ranges

    def _git(self, *args: str, stdin: bytes | None = None) -> bytes:
        return _run(list(args), cwd=self.root, stdin=stdin)


def right_side(ref: str) -> str | None:
    """The revision a ``--diff`` range ends at: B for "A..B" / "A...B"; None for the working tree."""
    for sep in ("...", ".."):
        if sep in ref:
            return ref.split(sep, 1)[1] or "HEAD"
    return None


def _run(args: list[str], cwd: str | os.PathLike[str] | None, stdin: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run([*_GIT, *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (needed to find the changed lines)") from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {err[0] if err else f'exit status {proc.returncode}'}")
    return proc.stdout
