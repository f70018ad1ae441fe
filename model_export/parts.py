"""A function too long for the model, cut into parts that fit (issue #18, item 5: "Regions that fit").

Library functions are longer than contest scripts: dropping every function over the model's length kept the hook
silent on 10 of 13 held-out library pairs. Instead the function's body is cut at statement boundaries:

- A part is a run of consecutive statements of one body, rendered at column 0 like a module-level run
  (regions.py), so the canonical form, the checks and the mapping back to the user's lines work on it unchanged.
  Names it reads from the rest of the function (parameters, earlier locals) are free names, as a module-level run's
  globals are.
- Runs are packed greedily, as long as the model still reads them, since the model prefers context: each
  statement is measured once, and a run's end estimated from their sizes is checked on the run itself (so a long
  function costs a few canonicalisations per part, not one per statement). A statement is never split between
  parts; statements sharing a line stay together.
- A statement too long on its own is cut the same way inside: each of its bodies (a loop's, an ``if``'s branches,
  a ``try``'s clauses, a nested def's), a loop nest at a time. Its header lines (``for x in xs:``, ``else:``) then
  belong to no part. A class statement is not cut inside (its body would be class-level code), nor is a simple
  statement: such a part stays too long for the model and is reported so.
- A part whose lines do not share its first line's indentation (a multi-line string or continuation line further
  left) cannot be cut line-wise: it is shrunk like a part that does not fit, and a single such statement is
  reported as not cut.

Each part carries a ``PartOf``: the def it lies in (async or not), whether it is inside a loop there, and the names
the rest of that def reads, which the checks use in place of a module's exports (plausibility.py).
"""

from __future__ import annotations

import ast
import dataclasses
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from speedhints.model_export.regions import CodeRegion, NotLineWise, PartOf, cut_lines
from speedhints.model_export.source import parse_python, source_lines

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_CLOSE = 0.1  # an estimate within this share of the model's reach is checked on the run itself
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


@dataclass(frozen=True)
class Piece:
    """One part of a cut function: a region the model may read (``fits``), or one it cannot (a statement still too
    long alone, or whose lines cannot be cut: ``cut`` False, and then ``region.code`` is empty)."""

    region: CodeRegion
    fits: bool
    cut: bool = True


@dataclass(frozen=True)
class _Unit:
    """Consecutive statements that must stay in one part (they share a line: ``a = 1; b = 2``)."""

    stmts: tuple[ast.stmt, ...]

    @property
    def first(self) -> int:
        return _first_line(self.stmts[0])

    @property
    def last(self) -> int:
        return _last_line(self.stmts[-1])


@dataclass(frozen=True)
class _Scope:
    """The def a body belongs to, and whether the body is inside one of its loops."""

    fn: ast.FunctionDef | ast.AsyncFunctionDef
    in_loop: bool


def function_node(source: str, region: CodeRegion) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The def that ``region`` is (first decorator to last line); None for a run of statements."""
    for node in ast.walk(parse_python(source)):  # the file's tree: parse_python remembers it
        if isinstance(node, _FUNCTIONS) and (_first_line(node), _last_line(node)) == region.span:
            return node
    return None


class Reach(Protocol):
    """What the model reads (the runtime's canonical form and limits, remembered per code)."""

    def fits(self, code: str) -> bool:
        """Whether the model reads ``code`` (a part at column 0): it canonicalises and is short enough."""
        ...

    def share(self, code: str) -> float:
        """The share of the model's limits ``code`` takes when it fits, at most 1.0 (the larger of its lines' and
        its tokens'); more than 1.0 when it does not fit. About additive over consecutive statements."""
        ...


def cut_function(source: str, region: CodeRegion, reach: Reach) -> list[Piece] | None:
    """The parts of the function ``region`` in line order; None when ``region`` is not a function."""
    node = function_node(source, region)
    if node is None:
        return None
    cutter = _Cutter(region, source_lines(source), reach)
    return list(cutter.body(node.body, _Scope(node, in_loop=False)))


class _Cutter:
    def __init__(self, region: CodeRegion, lines: list[str], reach: Reach) -> None:
        self.region, self.lines, self.reach = region, lines, reach

    def body(self, stmts: Sequence[ast.stmt], scope: _Scope) -> Iterator[Piece]:
        """Greedy packing: from each unit, the longest run of units that fits. Its end is first estimated from the
        units' own shares of the model's reach (each measured once), then checked on the run itself, which is
        shrunk while it does not fit, or grown while it still does. A longer run almost always costs more (only a
        name bound by a later statement, then renamed to a short placeholder, can make it cheaper), and a line
        further left stays in every longer run, so this is the end that trying every one would find."""
        units = _units(stmts)
        shares = [self._share(u) for u in units]
        i = 0
        while i < len(units):
            if shares[i] > 1.0:  # not even this statement fits (or it cannot be cut)
                yield from self._inside(units[i], scope)
                i += 1
                continue
            end, used = i + 1, shares[i]
            while end < len(units) and used + shares[end] <= 1.0:
                used += shares[end]
                end += 1
            part = self._render(units[i:end])
            if part is None:
                while part is None and end > i + 1:  # the estimate was short (placeholders with longer indexes)
                    end -= 1
                    part = self._render(units[i:end])
            else:  # the estimate may be long: a name free in a statement alone keeps the user's (longer) name
                while end < len(units) and (longer := self._render(units[i : end + 1])) is not None:
                    part, end = longer, end + 1
            assert part is not None  # units[i] alone fits: its share says so
            yield self._piece(part, scope, fits=True)
            i = end

    def _share(self, unit: _Unit) -> float:
        region = self._cut(unit, unit.last)
        return self.reach.share(region.code) if region is not None else math.inf

    def _inside(self, unit: _Unit, scope: _Scope) -> Iterator[Piece]:
        """A unit that does not fit: cut inside its one compound statement, or report it as it is."""
        bodies = _bodies(unit.stmts[0], scope, self.lines) if len(unit.stmts) == 1 else []
        if not bodies:
            region = self._cut(unit, unit.last)
            if region is None:  # reported with its lines, but nothing to read: code stays empty
                line = self.lines[unit.first - 1]
                region = CodeRegion(self.region.name, unit.first, unit.last, line[: len(line) - len(line.lstrip())], "")
            yield self._piece(region, scope, fits=False, cut=bool(region.code))
            return
        for stmts, inner in bodies:
            yield from self.body(stmts, inner)

    def _render(self, units: Sequence[_Unit]) -> CodeRegion | None:
        """The run at column 0 when the model reads it; None when it does not fit or cannot be cut."""
        region = self._cut(units[0], units[-1].last)
        return region if region is not None and self.reach.fits(region.code) else None

    def _cut(self, first: _Unit, end: int) -> CodeRegion | None:
        try:
            return cut_lines(self.region.name, first.first, _first_col(first.stmts[0]), end, self.lines)
        except NotLineWise:
            return None

    def _piece(self, region: CodeRegion, scope: _Scope, fits: bool, cut: bool = True) -> Piece:
        part = PartOf(self.region.span, isinstance(scope.fn, ast.AsyncFunctionDef), scope.in_loop,
                      _live(scope, region.end))
        return Piece(dataclasses.replace(region, part=part), fits, cut)


def _units(stmts: Sequence[ast.stmt]) -> list[_Unit]:
    groups: list[list[ast.stmt]] = []
    for stmt in stmts:
        if groups and _first_line(stmt) <= _last_line(groups[-1][-1]):
            groups[-1].append(stmt)  # on the previous statement's last line: they cannot be parted
        else:
            groups.append([stmt])
    return [_Unit(tuple(g)) for g in groups]


def _bodies(stmt: ast.stmt, scope: _Scope, lines: list[str]) -> list[tuple[list[ast.stmt], _Scope]]:
    """The statement lists inside ``stmt`` that can be cut on their own, each with its scope; [] for a simple
    statement or a class (its body is class-level code, not the function's)."""
    if isinstance(stmt, _FUNCTIONS):
        return [(stmt.body, _Scope(stmt, in_loop=False))]
    if isinstance(stmt, _LOOPS):
        # A loop's ``else`` runs after the loop: a ``break`` there belongs to an outer loop, if any.
        return [(stmt.body, _Scope(scope.fn, in_loop=True)), *_nonempty([(stmt.orelse, scope)])]
    if isinstance(stmt, ast.If):
        orelse = stmt.orelse
        if len(orelse) == 1 and isinstance(orelse[0], ast.If) and _is_elif(orelse[0], lines):
            return [(stmt.body, scope), *_bodies(orelse[0], scope, lines)]  # an ``elif`` line is no statement
        return _nonempty([(stmt.body, scope), (orelse, scope)])
    if isinstance(stmt, ast.With | ast.AsyncWith):
        return [(stmt.body, scope)]
    if isinstance(stmt, ast.Try | ast.TryStar):
        return _nonempty([(stmt.body, scope), *((h.body, scope) for h in stmt.handlers), (stmt.orelse, scope),
                          (stmt.finalbody, scope)])
    if isinstance(stmt, ast.Match):
        return [(case.body, scope) for case in stmt.cases]
    return []


def _nonempty(bodies: Sequence[tuple[list[ast.stmt], _Scope]]) -> list[tuple[list[ast.stmt], _Scope]]:
    return [(b, s) for b, s in bodies if b]


def _is_elif(node: ast.If, lines: list[str]) -> bool:
    line = lines[node.lineno - 1] if 0 < node.lineno <= len(lines) else ""
    return line.encode("utf-8")[node.col_offset :].startswith(b"elif")


# -- what the rest of the function reads -----------------------------------------------------------------------
def _live(scope: _Scope, end: int) -> frozenset[str]:
    """Names whose binding by the part the rest of the def can see: read after the part's last line, read anywhere
    in the def when the part is in a loop (its next iteration reads them), read by a nested def or lambda (a
    closure may run later), or declared global or nonlocal (seen outside the def). A suggestion must bind the same
    of these names as the part did, no more, no fewer (kept.py)."""
    live: set[str] = set()

    def visit(node: ast.AST, nested: bool) -> None:
        if isinstance(node, ast.Global | ast.Nonlocal):
            live.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and (
                nested or scope.in_loop or node.lineno > end):
            live.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child, nested or isinstance(child, (*_FUNCTIONS, ast.Lambda)))

    for stmt in scope.fn.body:
        visit(stmt, isinstance(stmt, _FUNCTIONS))
    return frozenset(live)


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return int(min([node.lineno, *(d.lineno for d in decorators)]))


def _first_col(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    if decorators:
        first = min(decorators, key=lambda d: (d.lineno, d.col_offset))
        if first.lineno <= node.lineno:
            return int(first.col_offset) - 1  # "@" precedes a decorator
    return node.col_offset


def _last_line(node: ast.stmt) -> int:
    return node.end_lineno if node.end_lineno is not None else node.lineno
