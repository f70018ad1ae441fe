"""A bound-method alias (``append = out.append``) -> the attribute looked up on every call (``out.append(x)``).

Precondition: the alias is bound once, by ``alias = obj.method`` (or ``alias = module.obj.method`` for an imported
module such as ``sys.stdout.write``), where ``obj`` is a variable bound once in the same function, earlier in the
same block with no jump between (so the alias is always remade from the current ``obj``), or an import; every read
of the alias is a call ``alias(...)`` in that same function, one of them in a loop. ``obj`` never changes, so
``obj.method`` is the same bound method at every call. The alias line goes.
"""

from __future__ import annotations

import ast
import copy

from ._common import (
    Names,
    enclosing_statement,
    facts,
    in_loop,
    loads,
    parents,
    per_site,
    remove_statement,
    scope_of,
    single_binding_target,
    singly_bound_variables,
    statement_list,
)
from ._family import Family


def _root(expr: ast.expr) -> ast.Name | None:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr if isinstance(expr, ast.Name) else None


def _stable_receiver(names: Names, links: dict[ast.AST, ast.AST], value: ast.Attribute, scope: ast.AST) -> bool:
    root = _root(value)
    if root is None:
        return False
    if root.id in names.imported:
        return names.dotted(value) is not None
    if value.value is not root:  # obj.x.method: the attribute x could change
        return False
    target = single_binding_target(names, root.id)
    return target is not None and scope_of(links, target) is scope and _bound_just_before(links, target, value)


def _bound_just_before(links: dict[ast.AST, ast.AST], receiver: ast.Name, alias_value: ast.AST) -> bool:
    """The receiver's assignment and the alias are statements of one block, receiver first, with no jump between
    them: whenever the receiver is (re)bound, the alias is (re)made from it before anything else happens."""
    first, second = enclosing_statement(links, receiver), enclosing_statement(links, alias_value)
    if links.get(first) is not links.get(second):
        return False
    body, i = statement_list(links[first], first)
    if second not in body or body.index(second) < i:
        return False
    between = body[i + 1:body.index(second)]
    jumps = (ast.Continue, ast.Break, ast.Return, ast.Raise, ast.Try, ast.TryStar)
    return not any(isinstance(n, jumps) for stmt in between for n in ast.walk(stmt))


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = []
    for name, target, value in singly_bound_variables(names, links):
        if not isinstance(value, ast.Attribute):
            continue
        scope = scope_of(links, target)
        if not _stable_receiver(names, links, value, scope):
            continue
        uses = loads(tree, name)
        if uses and all(
            isinstance(call := links.get(u), ast.Call) and call.func is u and scope_of(links, u) is scope for u in uses
        ) and any(in_loop(links, u) for u in uses):
            sites.append((target, *uses))

    def rewrite(clone: ast.Module, target: ast.Name, *uses: ast.Name) -> None:
        clone_links = parents(clone)
        method = clone_links[target].value  # type: ignore[attr-defined]
        for use in uses:
            clone_links[use].func = copy.deepcopy(method)  # type: ignore[attr-defined]
        remove_statement(clone_links, enclosing_statement(clone_links, target))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="method_alias", label="attribute lookup per call -> bound-method alias", transform=transform)
