"""The code a change touches, as the model sees it: whole functions, or runs of top-level statements.

Each region is rendered on its own at column 0, which is what the canonical form and the model need; the region's
column tells where to re-indent a suggestion. Same units as the hook's regions (hook/regions.py): a function
(methods separately, nested functions inside their outer function, decorators included) or a run of consecutive
non-function statements at module or class level ("<module>", or the class name).

Two ways to get there, one result. The fast one reads positions from ``ast`` (the file is already parsed for
validation) and cuts the region's lines, removing its indentation. That is exact when every line of the region
starts with that indentation; when one does not (a multi-line string or a continuation line further left, a body on
its header's line) the region is rendered by libcst instead, which re-indents a block relative to itself and leaves
string contents untouched. libcst costs a quarter of a second to import, a third of a commit hook's budget, so
it is imported only for such files.

A function too long for the model is cut into parts by parts.py: regions of the same kind (``cut_lines``), whose
``part`` says where in the function they lie.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from speedhints.model_export.hints import LineRange, Overlaps
from speedhints.model_export.source import BadInput, parse_python, source_lines


@dataclass(frozen=True)
class PartOf:
    """Where a part of a function's body (parts.py) lives: what a snippet cut out of a function needs to be judged
    as code of that function rather than of a module (plausibility.py)."""

    function: LineRange  # the whole function region's lines
    is_async: bool  # the innermost enclosing def is ``async def`` (``await`` compiles)
    in_loop: bool  # the part lies inside a loop of that def (``break``/``continue`` compile)
    # Names the rest of the function (or the part's next loop iteration) reads: the part must bind exactly the same
    # of them, as a module-level run must keep the names other modules import.
    live: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CodeRegion:
    name: str  # "f", "Cls.meth", "<module>", "Cls" (a part of a function: the function's name)
    start: int  # first line (first decorator), 1-based
    end: int  # last line, inclusive
    indent: str  # whitespace before the region's first line in the file
    code: str  # the region rendered at column 0 (what gets canonicalised)
    part: PartOf | None = None  # set when the region is a run of statements cut out of a too-long function

    @property
    def span(self) -> LineRange:
        return (self.start, self.end)

    def overlaps(self, ranges: Sequence[LineRange]) -> bool:
        return any(a <= self.end and b >= self.start for a, b in ranges)


def regions(source: str) -> list[CodeRegion]:
    return list(_regions(source))


# The hook asks for one region of a file at a time; parse each file once, not once per region.
@functools.lru_cache(maxsize=8)
def _regions(source: str) -> tuple[CodeRegion, ...]:
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise BadInput(f"cannot analyse the file: {str(exc).splitlines()[0]}") from None
    lines = source_lines(source)
    try:
        return tuple(_walk_ast(tree.body, "", "<module>", lines))
    except NotLineWise:
        return _regions_libcst(source, lines)


class NotLineWise(Exception):
    """A region whose lines cannot simply be cut and dedented (a line further left than its first one)."""


def _walk_ast(body: Sequence[ast.stmt], prefix: str, run_name: str, lines: list[str]) -> Iterator[CodeRegion]:
    run: list[ast.stmt] = []

    def flush() -> Iterator[CodeRegion]:
        if run:
            yield cut_lines(run_name, run[0].lineno, run[0].col_offset, _end(run[-1]), lines)
            run.clear()

    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from flush()
            first = min([node, *node.decorator_list], key=lambda n: (n.lineno, n.col_offset))
            col = first.col_offset - 1 if first is not node else node.col_offset  # "@" precedes a decorator
            yield cut_lines(prefix + node.name, first.lineno, col, _end(node), lines)
        elif isinstance(node, ast.ClassDef):
            yield from flush()
            yield from _walk_ast(node.body, f"{prefix}{node.name}.", prefix + node.name, lines)
        else:
            run.append(node)
    yield from flush()


def _end(node: ast.stmt) -> int:
    return node.end_lineno if node.end_lineno is not None else node.lineno


def cut_lines(name: str, start: int, col: int, end: int, lines: list[str]) -> CodeRegion:
    indent = _indent(lines, start)
    if col != len(indent):  # the region does not begin its line (e.g. "class A: x = 1")
        raise NotLineWise
    out = []
    for line in lines[start - 1 : end]:
        if not line.strip():
            out.append("\n")
        elif line.startswith(indent):
            out.append(line[len(indent) :])
        else:
            raise NotLineWise
    code = "".join(out)
    return CodeRegion(name, start, end, indent, code if code.endswith("\n") else code + "\n")


def _regions_libcst(source: str, lines: list[str]) -> tuple[CodeRegion, ...]:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        wrapper = MetadataWrapper(cst.parse_module(source))
    except (cst.ParserSyntaxError, RecursionError) as exc:
        raise BadInput(f"cannot analyse the file: {str(exc).splitlines()[0]}") from None
    positions = wrapper.resolve(PositionProvider)
    return tuple(_walk(wrapper.module, wrapper.module.body, "", "<module>", positions, lines))


def touched_regions(source: str, changed: Sequence[LineRange] | None) -> list[CodeRegion]:
    """Regions overlapping ``changed`` (all of them when ``changed`` is None)."""
    found = regions(source)
    if changed is None:
        return found
    overlaps = Overlaps(changed)
    return [r for r in found if overlaps(r.start, r.end)]


def _walk(module: Any, body: Sequence[Any], prefix: str, run_name: str,
          positions: Mapping[Any, Any], lines: list[str]) -> Iterator[CodeRegion]:
    import libcst as cst

    run: list[Any] = []

    def flush() -> Iterator[CodeRegion]:
        if run:
            start, end = _start(run[0], positions), positions[run[-1]].end.line
            code = "".join(_bare(module, node) for node in run)
            yield CodeRegion(run_name, start, end, _indent(lines, start), code)
            run.clear()

    for node in body:
        if isinstance(node, cst.FunctionDef):
            yield from flush()
            start = _start(node, positions)
            yield CodeRegion(prefix + node.name.value, start, positions[node].end.line, _indent(lines, start),
                             _bare(module, node))
        elif isinstance(node, cst.ClassDef):
            yield from flush()
            inner = node.body.body if isinstance(node.body, cst.IndentedBlock) else node.body.body
            yield from _walk(module, inner, f"{prefix}{node.name.value}.", prefix + node.name.value, positions, lines)
        else:
            run.append(node)
    yield from flush()


def _start(node: Any, positions: Mapping[Any, Any]) -> int:
    decorators = getattr(node, "decorators", ())
    return int(min([positions[node].start.line, *(positions[d].start.line for d in decorators)]))


def _bare(module: Any, node: Any) -> str:
    """The node's code at column 0, without the comments and blank lines libcst attaches above it."""
    import libcst as cst

    if isinstance(node, cst.FunctionDef | cst.SimpleStatementLine | cst.BaseCompoundStatement):
        node = node.with_changes(leading_lines=())
    code = str(module.code_for_node(node))
    return code if code.endswith("\n") else code + "\n"


def _indent(lines: list[str], line: int) -> str:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return text[: len(text) - len(text.lstrip(" \t"))]
