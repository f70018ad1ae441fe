"""``bisect_left(a, x)`` / ``bisect_right(a, x)`` on a sorted list -> a linear scan for the same index.

Precondition: every binding of ``a`` anywhere is ``a = sorted(...)`` and every read of ``a`` only reads it
(items, iteration, reading builtins, bisect calls), so ``a`` is sorted at every call; the call has exactly two
arguments and ``x`` has no calls, assignments or nested scopes (the scan evaluates it per item); ``next``,
``enumerate`` and ``len`` are the builtins. On a sorted list the first index whose item is ``>= x`` (``> x``
for ``bisect_right``/``bisect``) is the bisection's answer, ``len(a)`` when there is none.
"""

from __future__ import annotations

import ast

from ._common import (
    Names,
    assigned_value,
    call,
    facts,
    in_loop,
    is_read_only_use,
    load,
    loads,
    parents,
    per_site,
    replace_node,
    scope_of,
    simple_expression,
    store,
)
from ._family import Family

BISECTS = {"bisect.bisect_left": ast.GtE, "bisect.bisect_right": ast.Gt, "bisect.bisect": ast.Gt}


def _bisect_call(links: dict[ast.AST, ast.AST], names: Names, use: ast.Name) -> ast.Call | None:
    parent = links.get(use)
    if (isinstance(parent, ast.Call) and len(parent.args) == 2 and parent.args[0] is use and not parent.keywords
            and names.dotted(parent.func) in BISECTS):
        return parent
    return None


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not all(names.is_builtin(b) for b in ("next", "enumerate", "len")):
        return []
    sites = []
    for name in names.bindings:
        targets = names.plain_variable(name)
        if not targets or not all(
            isinstance(v := assigned_value(links, t), ast.Call) and names.dotted(v.func) == "sorted" for t in targets
        ):
            continue
        uses = loads(tree, name)
        calls = [c for u in uses if (c := _bisect_call(links, names, u)) is not None]
        if not all(_bisect_call(links, names, u) is not None or is_read_only_use(links, names, u) for u in uses):
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
