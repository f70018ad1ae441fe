"""Is a function pure enough that calling it again gives the same result and does nothing else? The memo
families rest on it: dropping a cache changes how often the function runs, never what it returns."""

from __future__ import annotations

import ast

from ._common import (
    Names,
    constant_int,
    has_immutable_items,
    is_read_only_use,
    loads,
    local_names,
    own_scope_nodes,
    single_binding,
)

PURE_BUILTINS = frozenset({"min", "max", "abs", "len", "sum", "range", "sorted", "int", "str", "float", "tuple",
                           "list", "set", "frozenset", "any", "all", "divmod", "pow", "enumerate", "zip", "map",
                           "reversed", "bool", "ord", "chr", "round"})
PURE_METHODS = frozenset({"count", "index", "find", "rfind", "startswith", "endswith", "upper", "lower", "strip",
                          "lstrip", "rstrip", "split", "join", "isdigit", "isalpha"})


def _constant_global(names: Names, links: dict[ast.AST, ast.AST], tree: ast.Module, name: str) -> bool:
    """A module variable bound once to something nothing can change: an int expression, a literal, a
    conversion, or a new list of ints/strings that the program only reads."""
    value = single_binding(names, links, name)
    if value is None:
        return False
    if constant_int(names, links, value) is not None or isinstance(value, ast.Constant):
        return True
    if isinstance(value, ast.Call) and names.dotted(value.func) in {"int", "float", "str"}:
        return True
    return has_immutable_items(names, value) and all(is_read_only_use(links, names, u) for u in loads(tree, name))


def is_pure(function: ast.FunctionDef, names: Names, links: dict[ast.AST, ast.AST], tree: ast.Module,
            ignore: frozenset[int] = frozenset()) -> bool:
    """``function`` only computes from its arguments and unchanging globals: no nested scopes, no ``global``/
    ``nonlocal``, no stores into items or attributes, no calls but to itself, pure builtins and pure string
    methods. Nodes whose ``id()`` is in ``ignore`` (a memo's own reads and writes) are not judged."""
    local = local_names(function)
    for node in own_scope_nodes(function):
        if id(node) in ignore:
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Global,
                             ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await, ast.Import, ast.ImportFrom)):
            return False
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return False
        if isinstance(node, (ast.Subscript, ast.Attribute)) and not isinstance(node.ctx, ast.Load):
            return False
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == function.name:
                continue
            if names.dotted(func) in PURE_BUILTINS:
                continue
            if isinstance(func, ast.Attribute) and func.attr in PURE_METHODS:
                continue
            return False
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
            if node.id == function.name or names.is_builtin(node.id):
                continue
            if not _constant_global(names, links, tree, node.id):
                return False
    return True
