"""Build fake pull requests from (before, after) file contents, with GitHub-style header-less patches."""

from __future__ import annotations

import difflib
import re

from .server import FakeFile, FakePR


def git_lines(text: str) -> list[str]:
    """Lines as git splits them (at \\n only): a form feed or U+2028 stays inside its line, as in a real patch."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def github_patch(before: str, after: str, context: int = 3) -> str:
    """What GitHub puts in a PR file's ``patch``: the unified diff's hunks, without the ---/+++ lines."""
    lines = list(difflib.unified_diff(git_lines(before), git_lines(after), n=context))
    out = []
    for line in lines[2:]:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out).rstrip("\n")


def changed_file(path: str, before: str, after: str) -> FakeFile:
    status = "added" if not before else "modified"
    return FakeFile(path, after.encode(), github_patch(before, after), status)


def make_pr(repo: str, number: int, files: dict[str, tuple[str, str]], head_sha: str | None = None) -> FakePR:
    sha = head_sha or f"{number:08x}" + "c0ffee" * 5 + "00"
    return FakePR(repo, number, [changed_file(p, b, a) for p, (b, a) in files.items()], head_sha=sha[:40])
