"""The code a change touches, as the model sees it: whole functions, or runs of top-level statements.

libcst gives exact positions and renders a method or a nested block on its own at column 0 (its lines
re-indented relative to the block, string contents untouched), which is what the canonical form and the model
need; the region's column tells where to re-indent a suggestion. Same units as the hook's regions (hook/regions.py):
a function (methods separately, nested functions inside their outer function, decorators included) or a run of
consecutive non-function statements at module or class level ("<module>", or the class name).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from speedhints.model_export.hints import LineRange
from speedhints.model_export.source import BadInput


@dataclass(frozen=True)
class CodeRegion:
    name: str  # "f", "Cls.meth", "<module>", "Cls"
    start: int  # first line (first decorator), 1-based
    end: int  # last line, inclusive
    indent: str  # whitespace before the region's first line in the file
    code: str  # the region rendered at column 0 (what gets canonicalised)

    def overlaps(self, ranges: Sequence[LineRange]) -> bool:
        return any(a <= self.end and b >= self.start for a, b in ranges)


def regions(source: str) -> list[CodeRegion]:
    return list(_regions(source))


# The hook asks for one region of a file at a time; parse each file once, not once per region.
@functools.lru_cache(maxsize=8)
def _regions(source: str) -> tuple[CodeRegion, ...]:
    try:
        wrapper = MetadataWrapper(cst.parse_module(source))
    except (cst.ParserSyntaxError, RecursionError) as exc:
        raise BadInput(f"cannot analyse the file: {str(exc).splitlines()[0]}") from None
    positions = wrapper.resolve(PositionProvider)
    lines = source_lines(source)
    return tuple(_walk(wrapper.module, wrapper.module.body, "", "<module>", positions, lines))


def source_lines(text: str) -> list[str]:
    """Lines as Python counts them (\\n, \\r\\n, \\r); str.splitlines would also split at form feeds and other
    characters that may sit inside a string or comment, shifting every later line number."""
    return io.StringIO(text, newline="").readlines()


def touched_regions(source: str, changed: Sequence[LineRange] | None) -> list[CodeRegion]:
    """Regions overlapping ``changed`` (all of them when ``changed`` is None)."""
    found = regions(source)
    return found if changed is None else [r for r in found if r.overlaps(changed)]


def _walk(module: cst.Module, body: Sequence[cst.CSTNode], prefix: str, run_name: str,
          positions: Mapping[cst.CSTNode, CodeRange], lines: list[str]) -> Iterator[CodeRegion]:
    run: list[cst.CSTNode] = []

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


def _start(node: cst.CSTNode, positions: Mapping[cst.CSTNode, CodeRange]) -> int:
    decorators = getattr(node, "decorators", ())
    return min([positions[node].start.line, *(positions[d].start.line for d in decorators)])


def _bare(module: cst.Module, node: cst.CSTNode) -> str:
    """The node's code at column 0, without the comments and blank lines libcst attaches above it."""
    if isinstance(node, cst.FunctionDef | cst.SimpleStatementLine | cst.BaseCompoundStatement):
        node = node.with_changes(leading_lines=())
    code = module.code_for_node(node)
    return code if code.endswith("\n") else code + "\n"


def _indent(lines: list[str], line: int) -> str:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return text[: len(text) - len(text.lstrip(" \t"))]
