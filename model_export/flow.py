"""Definite assignment: the names a piece of code may read before anything bound them.

``unbound_reads(tree)`` follows every path through the code and reports each read of a name that is not bound on
*every* path to it. A flow-insensitive check ("bound somewhere") lets through what broke in practice: a model
that drops ``best = 0`` and keeps ``best = min(best, x)`` in the loop, or reads a loop variable after a loop that
may not run. Python's own scoping decides what "bound" means (``scopes.py``, the same rules the canonical form
uses):

- in a module or class body a read happens when the statement runs, so the name must be bound on every path
  before it (otherwise NameError, unless the context outside the code binds it: the caller decides that);
- in a function, a name bound anywhere in the function is local: reading it before every path bound it is an
  UnboundLocalError whatever the file defines (``local=True``);
- a function body runs later, when it is called: its free names (globals, closures) only need a binding somewhere
  in the enclosing scopes, or outside the code;
- a comprehension runs where it stands; its targets are bound inside it; a walrus binds in the enclosing scope only
  if the comprehension runs at least once, so it does not count after it.

Paths: ``if``/``match`` branches meet (a name must be bound in all of them); a ``for``/``while`` body may run zero
times (``while True`` at least once: what follows it is reached through ``break``); ``return``, ``raise``,
``break`` and ``continue`` end a path; an ``except`` handler may start before anything in its ``try`` ran;
``del`` and the end of an ``except ... as e`` handler unbind. The report says nothing about builtins: a global read
of ``len`` is listed and the caller keeps it (a *local* named ``len`` read too early is still an error).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from speedhints.model_export.scopes import Occurrence, Scope, _all_args, analyse, resolve

# Names a module, class or method body has without binding them (Python provides them).
IMPLICIT = frozenset({"__name__", "__file__", "__doc__", "__builtins__", "__spec__", "__loader__",
                      "__package__", "__annotations__", "__module__", "__qualname__", "__class__", "__path__",
                      "__cached__"})

State = frozenset[str] | None  # names bound on every path here; None: no path reaches here


@dataclass(frozen=True)
class UnboundRead:
    name: str
    local: bool  # a function's local read before it is bound (UnboundLocalError); else a global/free read
    line: int


def unbound_reads(tree: ast.Module) -> list[UnboundRead]:
    """Every read of a name not bound on every path to it, in the order the walk meets them."""
    return list(_Walker(tree).run())


def _meet(*states: State) -> State:
    """The names bound on all of these paths (unreachable paths do not count)."""
    live = [s for s in states if s is not None]
    if not live:
        return None
    out = live[0]
    for s in live[1:]:
        out = out & s
    return out


def _add(state: State, names: Iterable[str]) -> State:
    return None if state is None else state | frozenset(names)


def targets(node: ast.AST) -> Iterator[str]:
    """Names a target binds (``a, (b, *c)`` -> a, b, c); attributes and subscripts bind none."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            yield from targets(elt)
    elif isinstance(node, ast.Starred):
        yield from targets(node.value)


def _target_reads(node: ast.AST) -> Iterator[ast.expr]:
    """Expressions a target reads while it is assigned (``a[i] = v`` reads a and i)."""
    if isinstance(node, ast.Attribute):
        yield node.value
    elif isinstance(node, ast.Subscript):
        yield node.value
        yield node.slice
    elif isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            yield from _target_reads(elt)
    elif isinstance(node, ast.Starred):
        yield from _target_reads(node.value)


def _captures(pattern: ast.pattern) -> Iterator[str]:
    for node in ast.walk(pattern):
        if isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            yield node.name
        elif isinstance(node, ast.MatchMapping) and node.rest:
            yield node.rest


def _always_true(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)


@dataclass
class _Loop:
    breaks: list[State] = field(default_factory=list)
    continues: list[State] = field(default_factory=list)


class _Walker:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        analysis = analyse(tree)
        self.module = analysis.module
        self.occ: dict[int, Occurrence] = {id(o.node): o for o in analysis.occurrences if o.slot == "id"}
        # A star import may bind anything at module level: global reads can no longer be judged.
        self.star = any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(tree))
        self.loops: list[_Loop] = []
        self.found: list[UnboundRead] = []
        self.deferred: list[tuple[ast.AST, frozenset[str]]] = []  # function bodies, analysed after their definer

    def run(self) -> Iterator[UnboundRead]:
        self.block(self.tree.body, frozenset())
        while self.deferred:
            node, params = self.deferred.pop(0)
            saved, self.loops = self.loops, []
            if isinstance(node, ast.Lambda):
                self.expr(node.body, params)
            else:
                assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                self.block(node.body, params)
            self.loops = saved
        yield from self.found

    # -- reads -------------------------------------------------------------------------------------------------
    def load(self, node: ast.Name, state: State) -> None:
        if state is None or node.id in state or node.id in IMPLICIT:
            return
        occ = self.occ.get(id(node))
        if occ is None:
            return
        frame = occ.scope
        while frame.kind == "comprehension" and frame.parent is not None:
            frame = frame.parent  # a comprehension runs inside the scope it stands in
        where = resolve(node.id, occ.scope, self.module)
        if where is None:
            if not self.star:
                self.found.append(UnboundRead(node.id, False, node.lineno))
            return
        scope = where[0]
        if scope is frame or self._runs_in(frame, scope):
            local = scope.kind == "function"
            if local or not self.star:
                self.found.append(UnboundRead(node.id, local, node.lineno))
        # Otherwise the binding is in a scope around a function body: it runs later, when that binding exists.

    @staticmethod
    def _runs_in(frame: Scope, scope: Scope) -> bool:
        """A class body runs while the scope around it runs: reads there see that scope's state."""
        while frame.kind == "class" and frame.parent is not None:
            frame = frame.parent
            if frame is scope:
                return True
        return False

    def expr(self, node: ast.AST | None, state: State) -> State:
        """Read ``node`` (evaluation order), returning the state after it (a walrus binds)."""
        if node is None or state is None:
            return state
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                self.load(node, state)
            return state
        if isinstance(node, ast.NamedExpr):
            state = self.expr(node.value, state)
            return _add(state, targets(node.target))
        if isinstance(node, ast.BoolOp):
            first = self.expr(node.values[0], state)
            later = first
            for value in node.values[1:]:
                later = self.expr(value, later)  # a later operand may not run: its bindings do not last
            return first
        if isinstance(node, ast.IfExp):
            state = self.expr(node.test, state)
            return _meet(self.expr(node.body, state), self.expr(node.orelse, state))
        if isinstance(node, ast.Lambda):
            state = self._defaults(node.args, state)
            self.deferred.append((node, frozenset(a.arg for a in _all_args(node.args))))
            return state
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            return self._comprehension(node, state)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr_context):
                continue
            state = self.expr(child, state)
        return state

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
                       state: State) -> State:
        first, *rest = node.generators
        after = self.expr(first.iter, state)  # the first iterable runs in the enclosing scope
        inner = _add(after, targets(first.target))
        for cond in first.ifs:
            inner = self.expr(cond, inner)
        for gen in rest:
            inner = self.expr(gen.iter, inner)
            inner = _add(inner, targets(gen.target))
            for cond in gen.ifs:
                inner = self.expr(cond, inner)
        if isinstance(node, ast.DictComp):
            self.expr(node.value, self.expr(node.key, inner))
        else:
            self.expr(node.elt, inner)
        return after

    def _defaults(self, args: ast.arguments, state: State) -> State:
        for d in [*args.defaults, *(k for k in args.kw_defaults if k is not None)]:
            state = self.expr(d, state)
        return state

    # -- statements --------------------------------------------------------------------------------------------
    def block(self, body: list[ast.stmt], state: State) -> State:
        for stmt in body:
            state = self.stmt(stmt, state)
        return state

    def assign_target(self, target: ast.expr, state: State) -> State:
        for read in _target_reads(target):
            state = self.expr(read, state)
        return _add(state, targets(target))

    def stmt(self, s: ast.stmt, state: State) -> State:  # noqa: C901 - one case per statement kind
        if state is None:
            return None  # unreachable code reads nothing
        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef):
            for dec in s.decorator_list:
                state = self.expr(dec, state)
            state = self._defaults(s.args, state)
            self.deferred.append((s, frozenset(a.arg for a in _all_args(s.args))))
            return _add(state, [s.name])
        if isinstance(s, ast.ClassDef):
            for e in [*s.decorator_list, *s.bases, *(k.value for k in s.keywords)]:
                state = self.expr(e, state)
            saved, self.loops = self.loops, []
            self.block(s.body, state)  # the body runs now, seeing what is bound around it
            self.loops = saved
            return _add(state, [s.name])
        if isinstance(s, ast.Return):
            self.expr(s.value, state)
            return None
        if isinstance(s, ast.Raise):
            self.expr(s.cause, self.expr(s.exc, state))
            return None
        if isinstance(s, ast.Break | ast.Continue):
            if self.loops:
                loop = self.loops[-1]
                (loop.breaks if isinstance(s, ast.Break) else loop.continues).append(state)
            return None
        if isinstance(s, ast.Delete):
            for t in s.targets:
                state = self.expr(t, state) if not isinstance(t, ast.Name) else state
                if isinstance(t, ast.Name):
                    self._del(t, state)
                    state = None if state is None else state - {t.id}
            return state
        if isinstance(s, ast.Assign):
            state = self.expr(s.value, state)
            for t in s.targets:
                state = self.assign_target(t, state)
            return state
        if isinstance(s, ast.AugAssign):
            if isinstance(s.target, ast.Name):
                self._del(s.target, state)  # ``x += 1`` reads x first
                return _add(self.expr(s.value, state), [s.target.id])
            return self.expr(s.value, self.expr(s.target, state))
        if isinstance(s, ast.AnnAssign):
            if s.value is None:
                return state  # ``x: int`` binds nothing
            return self.assign_target(s.target, self.expr(s.value, state))
        if isinstance(s, ast.For | ast.AsyncFor):
            state = self.expr(s.iter, state)
            return self._loop(self.assign_target(s.target, state), s.body, s.orelse, state, runs_once=False)
        if isinstance(s, ast.While):
            state = self.expr(s.test, state)
            return self._loop(state, s.body, s.orelse, state, runs_once=_always_true(s.test))
        if isinstance(s, ast.If):
            state = self.expr(s.test, state)
            return _meet(self.block(s.body, state), self.block(s.orelse, state))
        if isinstance(s, ast.With | ast.AsyncWith):
            for item in s.items:
                state = self.expr(item.context_expr, state)
                if item.optional_vars is not None:
                    state = self.assign_target(item.optional_vars, state)
            return self.block(s.body, state)
        if isinstance(s, ast.Match):
            return self._match(s, self.expr(s.subject, state))
        if isinstance(s, ast.Try | ast.TryStar):
            return self._try(s, state)
        if isinstance(s, ast.Import | ast.ImportFrom):
            return _add(state, [(a.asname or a.name).partition(".")[0] for a in s.names if a.name != "*"])
        if isinstance(s, ast.Global | ast.Nonlocal | ast.Pass):
            return state
        # Expr, Assert and any statement added to Python later: read what it reads.
        for child in ast.iter_child_nodes(s):
            state = self.expr(child, state)
        return state

    def _del(self, name: ast.Name, state: State) -> None:
        """A statement that needs ``name`` bound although its node is not a Load (``del x``, ``x += 1``)."""
        occ = self.occ.get(id(name))
        if occ is None:
            return
        probe = ast.Name(name.id, ast.Load(), lineno=name.lineno)
        self.occ[id(probe)] = occ
        try:
            self.load(probe, state)
        finally:
            del self.occ[id(probe)]

    def _loop(self, body_start: State, body: list[ast.stmt], orelse: list[ast.stmt], before: State,
              runs_once: bool) -> State:
        self.loops.append(_Loop())
        end = self.block(body, body_start)
        loop = self.loops.pop()
        if runs_once:  # ``while True``: left only through break (or return/raise)
            return _meet(*loop.breaks) if loop.breaks else None
        # The loop's test fails after zero or more iterations: before it, after the body, or after a continue.
        head = _meet(before, end, *loop.continues) if before is not None else None
        return _meet(self.block(orelse, head), *loop.breaks)

    def _match(self, s: ast.Match, state: State) -> State:
        ends: list[State] = []
        exhaustive = False
        for case in s.cases:
            inner = _add(state, _captures(case.pattern))
            if case.guard is not None:
                inner = self.expr(case.guard, inner)
            ends.append(self.block(case.body, inner))
            irrefutable = isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None
            exhaustive = exhaustive or (irrefutable and case.guard is None)
        return _meet(*ends, *(() if exhaustive else (state,)))

    def _try(self, s: ast.Try | ast.TryStar, state: State) -> State:
        body_end = self.block(s.body, state)
        ends = [self.block(s.orelse, body_end)]
        for handler in s.handlers:
            # The exception may come from the first statement of the body: start from the state before it.
            start = self.expr(handler.type, state)
            end = self.block(handler.body, _add(start, [handler.name] if handler.name else []))
            ends.append(end - {handler.name} if end is not None and handler.name else end)
        after = _meet(*ends)
        if s.finalbody:
            fin = self.block(s.finalbody, state)  # runs on every path, an exceptional one included
            if fin is None:
                return None
            after = _add(after, fin - state if state is not None else ())
        return after

