"""``collections.deque`` as a queue -> a list: ``q.popleft()`` becomes ``q.pop(0)``, which shifts every element.

Precondition: every binding of ``q`` anywhere in the program is ``q = deque()`` or ``q = deque(xs)`` (no
``maxlen``), at least one ``q.popleft()`` exists, and every read of ``q`` is one a list does the same way:
``append``/``extend``/``pop()``/``popleft()``/``appendleft``/``clear`` calls, ``len(q)``, a truth test,
``q[i]`` for a literal index, or the right side of ``in``. Iteration is refused (a deque raises when mutated during
it, a list does not), and so is anything that would show the container itself (printing, passing it on).
``appendleft(x)`` becomes ``insert(0, x)``; popping an empty one raises ``IndexError`` either way.
"""

from __future__ import annotations

import ast

from ._common import (
    Names,
    as_list,
    facts,
    is_len_of,
    loads,
    membership_right,
    method_call,
    parents,
    per_site,
    truth_tested,
    variables_bound_only_to,
)
from ._family import Family

LIST_LIKE = {"append": 1, "extend": 1, "pop": 0, "popleft": 0, "appendleft": 1, "clear": 0}


def _is_deque_construction(names: Names, value: ast.expr | None) -> bool:
    return (isinstance(value, ast.Call) and names.dotted(value.func) == "collections.deque" and len(value.args) <= 1
            and not value.keywords and not any(isinstance(a, ast.Starred) for a in value.args))


def _list_like_use(links: dict[ast.AST, ast.AST], names: Names, use: ast.Name) -> bool:
    method = method_call(links, use)
    if method is not None:
        name, node = method
        return LIST_LIKE.get(name) == len(node.args) and not node.keywords and not any(
            isinstance(a, ast.Starred) for a in node.args)
    if is_len_of(links, names, use) or truth_tested(links, use) or membership_right(links, use) is not None:
        return True
    parent = links.get(use)
    return (isinstance(parent, ast.Subscript) and parent.value is use and isinstance(parent.ctx, ast.Load)
            and (isinstance(parent.slice, ast.Constant) and type(parent.slice.value) is int
                 or isinstance(parent.slice, ast.UnaryOp) and isinstance(parent.slice.op, ast.USub)
                 and isinstance(parent.slice.operand, ast.Constant) and type(parent.slice.operand.value) is int))


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not (names.is_builtin("list") and names.is_builtin("len")):
        return []
    sites = []
    for name, targets in variables_bound_only_to(names, links, lambda v: _is_deque_construction(names, v)):
        uses = loads(tree, name)
        if all(_list_like_use(links, names, u) for u in uses) and any(
            (m := method_call(links, u)) is not None and m[0] == "popleft" for u in uses
        ):
            sites.append((*targets, *uses))

    def rewrite(clone: ast.Module, *nodes: ast.Name) -> None:
        clone_links = parents(clone)
        for node in nodes:
            if isinstance(node.ctx, ast.Store):
                assign = clone_links[node]
                args = assign.value.args  # type: ignore[attr-defined]
                assign.value = as_list(args[0] if args else None)  # type: ignore[attr-defined]
                continue
            method = method_call(clone_links, node)
            if method is None:
                continue
            name, node_call = method
            if name == "popleft":
                node_call.func.attr = "pop"  # type: ignore[attr-defined]
                node_call.args = [ast.Constant(0)]
            elif name == "appendleft":
                node_call.func.attr = "insert"  # type: ignore[attr-defined]
                node_call.args = [ast.Constant(0), *node_call.args]

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="deque_popleft", label="list.pop(0) -> deque.popleft()", transform=transform)
