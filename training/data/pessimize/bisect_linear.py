"""``bisect_left(a, x)`` / ``bisect_right(a, x)`` on a sorted list -> a linear scan for the same index.

Precondition: every binding of ``a`` anywhere is ``a = sorted(xs)`` (no key, not reversed: bisection assumes the
natural order) or a new list sorted by ``a.sort()`` in the very next statement, and every other read of ``a`` only
reads it (items, iteration, reading builtins, bisect calls, ``a.sort()`` again), so ``a`` is sorted at every call;
the call has exactly two arguments and ``x`` has no calls, assignments or nested scopes (the scan evaluates it per
item); ``next``, ``enumerate`` and ``len`` are the builtins. On a sorted list the first index whose item is ``>= x``
(``> x`` for ``bisect_right``/``bisect``) is the bisection's answer, ``len(a)`` when there is none.
"""

from __future__ import annotations

import ast

from ._common import (
    Names,
    assigned_value,
    call,
    facts,
    in_loop,
    is_list_construction,
    is_read_only_use,
    is_statement_call,
    load,
    loads,
    method_call,
    parents,
    per_site,
    replace_node,
    scope_of,
    simple_expression,
    statement_list,
    store,
    variables_bound_only_where,
)
from ._family import Family

BISECTS = {"bisect.bisect_left": ast.GtE, "bisect.bisect_right": ast.Gt, "bisect.bisect": ast.Gt}


def _bisect_call(links: dict[ast.AST, ast.AST], names: Names, use: ast.Name) -> ast.Call | None:
    parent = links.get(use)
    if (isinstance(parent, ast.Call) and len(parent.args) == 2 and parent.args[0] is use and not parent.keywords
            and names.dotted(parent.func) in BISECTS):
        return parent
    return None


def _plain_sort(links: dict[ast.AST, ast.AST], use: ast.Name) -> ast.Call | None:
    """The call when ``use`` is the list of a statement ``a.sort()`` (natural order: no key, not reversed)."""
    method = method_call(links, use)
    if method is None or method[0] != "sort" or method[1].args or method[1].keywords:
        return None
    return method[1] if is_statement_call(links, method[1]) else None


def _sorted_binding(names: Names, links: dict[ast.AST, ast.AST], target: ast.Name) -> bool:
    """``a = sorted(xs)`` (natural order), or ``a = <new list>`` followed at once by ``a.sort()``."""
    value = assigned_value(links, target)
    if isinstance(value, ast.Call) and names.dotted(value.func) == "sorted":
        return len(value.args) == 1 and not value.keywords
    if not is_list_construction(names, value):
        return False
    statement = links[target]
    body, index = statement_list(links[statement], statement)  # type: ignore[arg-type]
    following = body[index + 1] if index + 1 < len(body) else None
    if not (isinstance(following, ast.Expr) and isinstance(following.value, ast.Call)):
        return False
    func = following.value.func
    return (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == target.id
            and _plain_sort(links, func.value) is not None)


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not all(names.is_builtin(b) for b in ("next", "enumerate", "len")):
        return []
    sites = []
    for name, _targets in variables_bound_only_where(names, lambda t: _sorted_binding(names, links, t)):
        uses = loads(tree, name)
        calls = [c for u in uses if (c := _bisect_call(links, names, u)) is not None]
        if not all(_bisect_call(links, names, u) is not None or is_read_only_use(links, names, u)
                   or _plain_sort(links, u) for u in uses):
            continue
        for node in calls:
            if (simple_expression(node.args[1]) and in_loop(links, node)
                    and not isinstance(scope_of(links, node), ast.ClassDef)):
                sites.append(node)

    def rewrite(clone: ast.Module, site: ast.Call) -> None:
        op = BISECTS[names.dotted(site.func)]  # type: ignore[index]
        seq, x = site.args
        item = names.fresh("v")
        index = names.fresh("i", item)
        scan = ast.GeneratorExp(
            elt=load(index),
            generators=[ast.comprehension(
                target=ast.Tuple([store(index), store(item)], ast.Store()), iter=call("enumerate", seq),
                ifs=[ast.Compare(load(item), [op()], [x])], is_async=0)],
        )
        replace_node(parents(clone)[site], site, call("next", scan, call("len", load(seq.id))))  # type: ignore[attr-defined]

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="bisect_linear", label="linear scan of a sorted list -> bisect", transform=transform)
