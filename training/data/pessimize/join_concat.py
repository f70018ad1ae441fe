"""A list of pieces joined once -> a string grown with ``+=``: ``out.append(s)`` ... ``''.join(out)`` becomes
``out += s`` ... ``out``, which copies the string so far at each step.

Precondition: every binding of ``out`` anywhere is ``out = []``, every read of it is ``out.append(x)`` as a
statement or ``''.join(out)`` (the empty separator), all in one function (or all at module level, outside
comprehensions and nested functions: ``+=`` rebinds the name, which a nested scope cannot do), and an append runs
in a loop. Then at every point the string equals the join of the list. A piece that is not a ``str`` fails in
both (at the join there, at ``+=`` here).
"""

from __future__ import annotations

import ast

from ._common import (
    COMPREHENSIONS,
    facts,
    in_loop,
    inside,
    is_statement_call,
    load,
    loads,
    method_call,
    parents,
    per_site,
    replace_node,
    scope_of,
    store,
    variables_bound_only_to,
)
from ._family import Family


def _join_of(links: dict[ast.AST, ast.AST], use: ast.Name) -> ast.Call | None:
    parent = links.get(use)
    if not (isinstance(parent, ast.Call) and parent.args == [use] and not parent.keywords):
        return None
    func = parent.func
    if isinstance(func, ast.Attribute) and func.attr == "join" and isinstance(func.value, ast.Constant):
        return parent if func.value.value == "" else None
    return None


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = []
    for name, targets in variables_bound_only_to(names, links, lambda v: isinstance(v, ast.List) and not v.elts):
        uses = loads(tree, name)
        appends = [u for u in uses if (m := method_call(links, u)) is not None and m[0] == "append"
                   and is_statement_call(links, m[1]) and len(m[1].args) == 1 and not m[1].keywords
                   and not isinstance(m[1].args[0], ast.Starred)]
        joins = [u for u in uses if _join_of(links, u) is not None]
        every = [*targets, *uses]
        if (len(appends) + len(joins) == len(uses) and joins and any(in_loop(links, u) for u in appends)
                and len({id(scope_of(links, n)) for n in every}) == 1
                and not any(inside(links, n, COMPREHENSIONS) for n in every)):
            sites.append((*targets, *uses))

    def rewrite(clone: ast.Module, *nodes: ast.Name) -> None:
        clone_links = parents(clone)
        for node in nodes:
            if isinstance(node.ctx, ast.Store):
                clone_links[node].value = ast.Constant("")  # type: ignore[attr-defined]
                continue
            method = method_call(clone_links, node)
            if method is not None:
                statement = clone_links[method[1]]
                replace_node(clone_links[statement], statement,
                             ast.AugAssign(target=store(node.id), op=ast.Add(), value=method[1].args[0]))
            else:
                join = clone_links[node]
                replace_node(clone_links[join], join, load(node.id))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="join_concat", label="str += in a loop -> list and ''.join", transform=transform)
