"""The function units of a package: every top-level function and every method (of classes at any depth) in its
importable modules, with the line span that includes the decorators and the sha256 of that source text.

A nested function is part of the function that defines it (it cannot be called or tested on its own), so the unit
is always a top-level ``def`` or a ``def`` directly in a class body. Test folders are not units.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
_SKIP_PARTS = {"tests", "test", "testing", "_vendor", "vendor"}


@dataclass(frozen=True)
class FunctionUnit:
    module: str  # dotted: "more_itertools.more"
    qualname: str  # "Class.method" or "function"
    start: int  # first line, 1-based, decorators included
    end: int  # last line, inclusive
    sha: str  # sha256 of the unit's source lines (start..end) as they are in the file

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


def module_files(import_root: Path, top_level: tuple[str, ...]) -> list[tuple[str, Path]]:
    """(dotted module name, path) of every .py module under the package's top-level names, tests excluded."""
    out: list[tuple[str, Path]] = []
    for top in top_level:
        single = import_root / f"{top}.py"
        if single.is_file():
            out.append((top, single))
            continue
        for path in sorted((import_root / top).rglob("*.py")):
            rel = path.relative_to(import_root).with_suffix("")
            if _SKIP_PARTS & set(rel.parts) or any(p.startswith("test_") for p in rel.parts):
                continue
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            out.append((".".join(parts), path))
    return out


def walk_units(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(qualname, node) of each unit in source order: top-level defs and defs directly in class bodies."""

    def visit(body: list[ast.stmt], prefix: str) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
        for node in body:
            if isinstance(node, FUNCTION_TYPES):
                yield prefix + node.name, node
            elif isinstance(node, ast.ClassDef):
                yield from visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.If | ast.Try):  # `if sys.version_info ...:` / `try: ... except ImportError:`
                for block in _blocks(node):
                    yield from visit(block, prefix)

    return visit(tree.body, "")


def _blocks(node: ast.If | ast.Try) -> list[list[ast.stmt]]:
    if isinstance(node, ast.If):
        return [node.body, node.orelse]
    return [node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody]


def span(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int]:
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    assert node.end_lineno is not None
    return start, node.end_lineno


def source_sha(lines: list[str], start: int, end: int) -> str:
    return hashlib.sha256("".join(lines[start - 1 : end]).encode()).hexdigest()


def units_of(module: str, source: str) -> list[FunctionUnit]:
    """The units of one module's source; a module that does not parse under this Python has none."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return []
    lines = source.splitlines(keepends=True)
    seen: set[str] = set()
    out = []
    for qualname, node in walk_units(tree):
        if qualname in seen:  # a name defined twice (version branches): the first definition is the unit
            continue
        seen.add(qualname)
        start, end = span(node)
        out.append(FunctionUnit(module, qualname, start, end, source_sha(lines, start, end)))
    return out
