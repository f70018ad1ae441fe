"""``a.sort()`` once before a loop -> ``a.sort()`` again at the top of every iteration: a pass over the list each
time (timsort finds it sorted, in linear time).

Precondition: the sort is a statement, before the loop in the same block; its ``key`` (if any) is a builtin
name or a ``lambda`` without calls (the same key on the same items: no new exception), ``reverse`` a literal;
``a`` is bound only to new lists of ints, floats or strings (``has_immutable_items``) and every other read of
``a`` anywhere only reads it, so it stays sorted and re-sorting it (stably) changes nothing; the statements
between the sort and the loop do not mention ``a``.
"""

from __future__ import annotations

import ast
import copy

from ._common import (
    Names,
    facts,
    has_immutable_items,
    is_read_only_use,
    loads,
    method_call,
    names_in,
    per_site,
    simple_expression,
    statement_list,
    variables_bound_only_to,
)
from ._family import Family


def _pure_sort(names: Names, call: ast.Call) -> bool:
    if call.args:
        return False
    for keyword in call.keywords:
        if keyword.arg == "reverse" and isinstance(keyword.value, ast.Constant):
            continue
        if keyword.arg == "key" and (
            names.dotted(keyword.value) in {"len", "abs", "str", "int", "float"}
            or isinstance(keyword.value, ast.Lambda) and simple_expression(keyword.value.body)
        ):
            continue
        return False
    return True


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = []
    for name, _targets in variables_bound_only_to(names, links, lambda v: has_immutable_items(names, v)):
        uses = loads(tree, name)
        sorts = [m[1] for u in uses if (m := method_call(links, u)) is not None and m[0] == "sort"]
        if not sorts or any(not is_read_only_use(links, names, u) and not (
                (m := method_call(links, u)) is not None and m[0] == "sort") for u in uses):
            continue
        for sort in sorts:
            statement = links[sort]
            if not (isinstance(statement, ast.Expr) and _pure_sort(names, sort)):
                continue
            body, index = statement_list(links[statement], statement)
            for later in body[index + 1:]:
                if isinstance(later, (ast.For, ast.While)) and name in names_in(later):
                    sites.append((statement, later))
                    break
                if name in names_in(later):
                    break

    def rewrite(clone: ast.Module, statement: ast.Expr, loop: ast.For | ast.While) -> None:
        loop.body.insert(0, copy.deepcopy(statement))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="sort_per_iteration", label="sort per iteration -> sort once", transform=transform)
