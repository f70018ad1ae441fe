"""``Counter(a)[x]`` -> ``a.count(x)``: one pass over the list per lookup instead of one pass in all.

Precondition: ``c`` is bound once, to ``Counter(a)`` with ``Counter`` from ``collections``; ``a`` is bound once,
before, to a new list (display, comprehension, ``list()``, ``sorted()``, ``.split()``) and only ever read (items,
iteration, reading builtins), so it holds the same items at every lookup; every read of ``c`` is ``c[x]`` or
``c.get(x, 0)``, one of them in a loop. A missing key counts 0 both ways. The ``Counter`` line goes.
"""

from __future__ import annotations

import ast

from ._common import (
    assigned_value,
    attr_call,
    enclosing_statement,
    facts,
    in_loop,
    is_list_construction,
    is_read_only_use,
    load,
    loads,
    method_call,
    parents,
    per_site,
    preorder,
    remove_statement,
    replace_node,
    single_binding_target,
    singly_bound_variables,
)
from ._family import Family


def _lookup(links: dict[ast.AST, ast.AST], use: ast.Name) -> tuple[ast.expr, ast.expr] | None:
    """(the expression to replace, the key) for ``c[key]`` or ``c.get(key, 0)``."""
    parent = links.get(use)
    if (isinstance(parent, ast.Subscript) and parent.value is use and isinstance(parent.ctx, ast.Load)
            and not isinstance(parent.slice, ast.Slice)):
        return parent, parent.slice
    method = method_call(links, use)
    if method is not None and method[0] == "get":
        args = method[1].args
        if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value == 0 and type(args[1].value) is int:
            return method[1], args[0]
    return None


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    order = {id(n): i for i, n in enumerate(preorder(tree))}
    sites = []
    for name, target, value in singly_bound_variables(names, links):
        if not (isinstance(value, ast.Call) and names.dotted(value.func) == "collections.Counter"
                and len(value.args) == 1 and not value.keywords and isinstance(value.args[0], ast.Name)):
            continue
        source = value.args[0].id
        source_target = single_binding_target(names, source)
        if source_target is None or not is_list_construction(names, assigned_value(links, source_target)):
            continue
        if order[id(source_target)] > order[id(target)]:
            continue
        if not all(is_read_only_use(links, names, u) for u in loads(tree, source)):
            continue
        uses = loads(tree, name)
        if uses and all(_lookup(links, u) is not None for u in uses) and any(in_loop(links, u) for u in uses):
            sites.append((target, *uses))

    def rewrite(clone: ast.Module, target: ast.Name, *uses: ast.Name) -> None:
        clone_links = parents(clone)
        source = clone_links[target].value.args[0].id  # type: ignore[attr-defined]
        for use in uses:
            found = _lookup(clone_links, use)
            assert found is not None
            expression, key = found
            replace_node(clone_links[expression], expression, attr_call(load(source), "count", key))
        remove_statement(clone_links, enclosing_statement(clone_links, target))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="counter_count", label="list.count in a loop -> Counter", transform=transform)
