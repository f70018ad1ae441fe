"""Which names in a module are user-defined, following Python's own scoping rules.

``analyse(tree)`` returns, for every identifier occurrence in the tree (a ``Name``, an ``arg``, a def/class name,
a name in ``global``/``nonlocal``, an ``except ... as`` or ``match`` capture), the binding it resolves to. The canonical
form renames an occurrence only when it resolves to a binding the user made in a module, function, lambda or
comprehension scope; builtins, imports, unresolved globals and class-level names (reached as attributes) are kept.

Rules implemented (the language reference's "Resolution of names"):
- a name bound anywhere in a function/lambda/comprehension body is local to it, unless declared global/nonlocal;
- free names resolve outwards through enclosing function scopes, skipping class bodies, then module, then builtins;
- a walrus inside a comprehension binds in the nearest enclosing non-comprehension scope;
- a comprehension's first iterable is evaluated in the enclosing scope;
- decorators, defaults and annotations of a def are evaluated in the enclosing scope.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Literal

BindingKind = Literal["var", "param", "function", "class", "import"]
ScopeKind = Literal["module", "function", "class", "comprehension"]


@dataclass(eq=False)
class Scope:
    kind: ScopeKind
    parent: Scope | None
    bindings: dict[str, set[BindingKind]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    def bind(self, name: str, kind: BindingKind) -> None:
        self.bindings.setdefault(name, set()).add(kind)


@dataclass(frozen=True)
class Occurrence:
    """One place where an identifier is written in the source."""

    name: str
    scope: Scope  # the scope whose rules resolve it
    position: tuple[int, int, int]  # (line, column, tie-breaker) for "order of first appearance"
    node: ast.AST
    slot: str  # which field of node holds the name: "id", "arg", "name", "names[i]", "rest"
    binds: BindingKind | None  # the kind of binding this occurrence creates, if any


@dataclass
class Analysis:
    module: Scope
    occurrences: list[Occurrence]

    def resolve(self, occ: Occurrence) -> tuple[Scope, set[BindingKind]] | None:
        """The scope that binds ``occ`` and how, or None for builtins and unresolved globals."""
        return resolve(occ.name, occ.scope, self.module)


def resolve(name: str, scope: Scope, module: Scope) -> tuple[Scope, set[BindingKind]] | None:
    if name in scope.globals:
        return (module, module.bindings[name]) if name in module.bindings else None
    if name in scope.bindings and name not in scope.nonlocals:
        return scope, scope.bindings[name]
    current = scope.parent
    while current is not None:
        # Class bodies are invisible to the scopes nested in them.
        visible = current.kind != "class" and name in current.bindings
        if visible and name not in current.globals and name not in current.nonlocals:
            return current, current.bindings[name]
        if current.kind != "class" and name in current.globals:
            return (module, module.bindings[name]) if name in module.bindings else None
        current = current.parent
    return None


class _Collector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.module = Scope("module", None)
        self.scope = self.module
        self.occurrences: list[Occurrence] = []
        self._tie = 0

    # -- helpers -----------------------------------------------------------------------------------------------
    def _pos(self, node: ast.AST, dcol: int = 0) -> tuple[int, int, int]:
        self._tie += 1
        return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + dcol, self._tie)

    def _add(
        self,
        name: str,
        node: ast.AST,
        slot: str,
        binds: BindingKind | None,
        scope: Scope | None = None,
        pos: tuple[int, int, int] | None = None,
    ) -> None:
        scope = scope or self.scope
        if binds is not None:
            target = scope
            if name in scope.globals:
                target = self.module
            elif name in scope.nonlocals:
                target = _enclosing_function_binding(scope, name) or scope
            target.bind(name, binds)
        self.occurrences.append(Occurrence(name, scope, pos or self._pos(node), node, slot, binds))

    def _enter(self, kind: ScopeKind) -> Scope:
        new = Scope(kind, self.scope)
        self.scope = new
        return new

    def _leave(self, previous: Scope) -> None:
        self.scope = previous

    # -- scopes ------------------------------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for dec in node.decorator_list:
            self.visit(dec)
        self._visit_arg_defaults(node.args)
        self._visit_annotations(node.args, node.returns)
        # The def statement binds its name in the enclosing scope; "def " puts the name 4 columns in.
        self._add(node.name, node, "name", "function", pos=self._pos(node, 4))
        outer = self.scope
        inner = self._enter("function")
        _predeclare(node.body, inner)
        self._bind_args(node.args)
        for stmt in node.body:
            self.visit(stmt)
        self._leave(outer)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_arg_defaults(node.args)
        outer = self.scope
        self._enter("function")
        self._bind_args(node.args)
        self.visit(node.body)
        self._leave(outer)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for dec in node.decorator_list:
            self.visit(dec)
        for base in node.bases:
            self.visit(base)
        for kw in node.keywords:
            self.visit(kw)
        self._add(node.name, node, "name", "class", pos=self._pos(node, 6))
        outer = self.scope
        inner = self._enter("class")
        _predeclare(node.body, inner)
        for stmt in node.body:
            self.visit(stmt)
        self._leave(outer)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        first, *rest = node.generators
        self.visit(first.iter)  # evaluated in the enclosing scope
        outer = self.scope
        self._enter("comprehension")
        self.visit(first.target)
        for cond in first.ifs:
            self.visit(cond)
        for gen in rest:
            self.visit(gen.iter)
            self.visit(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        if isinstance(node, ast.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        self._leave(outer)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    def _visit_arg_defaults(self, args: ast.arguments) -> None:
        for d in args.defaults:
            self.visit(d)
        for kd in args.kw_defaults:
            if kd is not None:
                self.visit(kd)

    def _visit_annotations(self, args: ast.arguments, returns: ast.expr | None) -> None:
        for a in _all_args(args):
            if a.annotation is not None:
                self.visit(a.annotation)
        if returns is not None:
            self.visit(returns)

    def _bind_args(self, args: ast.arguments) -> None:
        for a in _all_args(args):
            self._add(a.arg, a, "arg", "param")

    # -- names -------------------------------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        binds: BindingKind | None = "var" if isinstance(node.ctx, ast.Store | ast.Del) else None
        self._add(node.id, node, "id", binds)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        assert isinstance(node.target, ast.Name)
        self._add(node.target.id, node.target, "id", "var", scope=scope)

    def visit_Global(self, node: ast.Global) -> None:
        for i, name in enumerate(node.names):
            self.scope.globals.add(name)
            self._add(name, node, f"names[{i}]", None, pos=self._pos(node, 7 + i))

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        for i, name in enumerate(node.names):
            self.scope.nonlocals.add(name)
            self._add(name, node, f"names[{i}]", None, pos=self._pos(node, 9 + i))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.scope.bind(alias.asname or alias.name.partition(".")[0], "import")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.scope.bind(alias.asname or alias.name, "import")

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name is not None:
            self._add(node.name, node, "name", "var")
        for stmt in node.body:
            self.visit(stmt)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name is not None:
            self._add(node.name, node, "name", "var")

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name is not None:
            self._add(node.name, node, "name", "var")

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        for key in node.keys:
            self.visit(key)
        for pattern in node.patterns:
            self.visit(pattern)
        if node.rest is not None:
            self._add(node.rest, node, "rest", "var")


def _all_args(args: ast.arguments) -> list[ast.arg]:
    out = [*args.posonlyargs, *args.args]
    if args.vararg:
        out.append(args.vararg)
    out.extend(args.kwonlyargs)
    if args.kwarg:
        out.append(args.kwarg)
    return out


def _enclosing_function_binding(scope: Scope, name: str) -> Scope | None:
    current = scope.parent
    while current is not None and current.kind != "module":
        if current.kind != "class" and name in current.bindings:
            return current
        current = current.parent
    return None


def _predeclare(body: list[ast.stmt], scope: Scope) -> None:
    """Record global/nonlocal declarations before visiting a body: they apply to the whole scope."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Global):
            scope.globals.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.nonlocals.update(node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue  # their declarations belong to them
        else:
            stack.extend(ast.iter_child_nodes(node))


def analyse(tree: ast.Module) -> Analysis:
    collector = _Collector()
    _predeclare(tree.body, collector.module)
    collector.visit(tree)
    occurrences = sorted(collector.occurrences, key=lambda o: o.position)
    return Analysis(collector.module, occurrences)
