"""Code in a ``main()`` function -> the same code at module level, where every variable is a global: a dict
lookup per access instead of a fast local slot.

Precondition: ``main`` is a module-level ``def`` without parameters or decorators, bound only by that ``def`` and
read only by one call ``main()`` that is a statement at module level (or the body of ``if __name__ == "__main__":``)
after it; its own body has no ``return``, ``yield``, ``await`` or ``nonlocal`` and calls no
``locals``/``vars``/``dir``/``eval``/``exec``; and no name bound in it is, anywhere outside it, a reference to the
module's global of that name (which it would become); another function's own local of the same name is fine. Its
``global`` declarations go. The body then runs at the call, as it did, with the same values.
"""

from __future__ import annotations

import ast

from ._common import (
    Names,
    facts,
    is_global_reference,
    local_names,
    own_scope_nodes,
    parents,
    per_site,
    preorder,
    remove_statement,
    statement_list,
)
from ._family import Family

INTROSPECTION = frozenset({"locals", "vars", "dir", "eval", "exec", "globals"})


def _main_call(tree: ast.Module, names: Names, function: ast.FunctionDef) -> ast.Expr | None:
    """The one statement ``main()`` that calls ``function``, when that is its only use."""
    uses = [n for n in preorder(tree) if isinstance(n, ast.Name) and n.id == function.name]
    if len(uses) != 1 or names.bindings.get(function.name) != [function]:
        return None
    for index, stmt in enumerate(tree.body):
        candidates = [stmt]
        if (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1
                and ast.unparse(stmt.test).replace('"', "'") == "__name__ == '__main__'"):
            candidates = stmt.body
        for candidate in candidates:
            if (isinstance(candidate, ast.Expr) and isinstance(candidate.value, ast.Call)
                    and candidate.value.func is uses[0] and not candidate.value.args and not candidate.value.keywords):
                return candidate if index > tree.body.index(function) else None
    return None


def _eligible(tree: ast.Module, names: Names, links: dict[ast.AST, ast.AST], function: ast.AST) -> ast.Expr | None:
    if not (isinstance(function, ast.FunctionDef) and function in tree.body and not function.decorator_list):
        return None
    args = function.args
    if args.posonlyargs or args.args or args.vararg or args.kwonlyargs or args.kwarg:
        return None
    own = list(own_scope_nodes(function))
    if any(isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom, ast.Await)) for n in own):
        return None
    if any(isinstance(n, ast.Nonlocal) for n in preorder(function)):
        return None
    if any(isinstance(n, ast.Call) and names.dotted(n.func) in INTROSPECTION for n in preorder(function)):
        return None
    inside = set(preorder(function))
    globals_declared = {name for n in own if isinstance(n, ast.Global) for name in n.names}
    local = local_names(function) - globals_declared
    cache: dict[ast.AST, set[str]] = {}
    for node in preorder(tree):
        if node in inside:
            continue
        if isinstance(node, ast.Name) and node.id in local and is_global_reference(links, node, node.id, cache):
            return None
        if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in local
                and isinstance(links[node], ast.Module)):
            return None
        if isinstance(node, (ast.Import, ast.ImportFrom)) and isinstance(links[node], ast.Module) and any(
                (a.asname or a.name.split(".")[0]) in local for a in node.names):
            return None
    return _main_call(tree, names, function)


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = []
    for function in tree.body:
        call = _eligible(tree, names, links, function)
        if call is not None:
            sites.append((function, call))

    def rewrite(clone: ast.Module, function: ast.FunctionDef, call: ast.Expr) -> None:
        links = parents(clone)
        for node in list(own_scope_nodes(function)):
            if isinstance(node, ast.Global):
                remove_statement(links, node)
        body, index = statement_list(links[call], call)
        body[index:index + 1] = function.body
        clone.body.remove(function)

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="main_to_module", label="module-level code -> a main() function", transform=transform)
