"""A ``heapq`` priority queue -> a plain list: ``heappop(h)`` becomes ``min(h)`` and ``h.remove(...)``, a scan
and a shift per pop instead of a logarithmic sift.

Precondition: every binding of ``h`` anywhere is ``h = []``, or a new list that the next statement passes to
``heapify`` (so ``h`` is always a valid heap: its first item is its least); every read of ``h`` is
``heappush(h, x)`` or ``heapify(h)`` as a statement, ``heappop(h)`` as a statement or as the value of
``v = heappop(h)`` / ``a, b = heappop(h)`` (plain names), ``h[0]``, ``len(h)``, or a truth test; and the program
has no ``try`` (an empty ``heappop`` raises ``IndexError``, an empty ``min`` ``ValueError``). The popped value is
the least either way; ``remove`` deletes one item equal to it. Items equal but distinguishable (``1`` and
``1.0``) could come out in another order: the judge compares them as equal.
"""

from __future__ import annotations

import ast

from ._common import (
    Names,
    assigned_value,
    attr_call,
    call,
    facts,
    is_len_of,
    is_list_construction,
    is_statement_call,
    load,
    loads,
    parents,
    per_site,
    remove_statement,
    replace_node,
    statement_list,
    truth_tested,
    variables_bound_only_where,
)
from ._family import Family
from ._stdin import has_try

HEAPQ = {"heapq.heappush": "push", "heapq.heappop": "pop", "heapq.heapify": "heapify"}


def _heap_call(links: dict[ast.AST, ast.AST], names: Names, use: ast.Name) -> tuple[str, ast.Call] | None:
    parent = links.get(use)
    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is use and not parent.keywords:
        kind = HEAPQ.get(names.dotted(parent.func) or "")
        if kind is not None and len(parent.args) == (2 if kind == "push" else 1):
            return kind, parent
    return None


def _pop_target(links: dict[ast.AST, ast.AST], pop: ast.Call) -> ast.expr | None:
    """The target of ``target = heappop(h)`` when it is a name or a tuple of names."""
    parent = links.get(pop)
    if isinstance(parent, ast.Assign) and parent.value is pop and len(parent.targets) == 1:
        target = parent.targets[0]
        if isinstance(target, ast.Name):
            return target
        if isinstance(target, ast.Tuple) and target.elts and all(isinstance(e, ast.Name) for e in target.elts):
            return target
    return None


def _usable(links: dict[ast.AST, ast.AST], names: Names, use: ast.Name) -> bool:
    found = _heap_call(links, names, use)
    if found is not None:
        kind, node = found
        if kind == "pop":
            target = _pop_target(links, node)
            return is_statement_call(links, node) or (
                target is not None and use.id not in {n.id for n in ast.walk(target) if isinstance(n, ast.Name)})
        pushed = node.args[1:]  # an item that reads the heap itself would be edited twice
        return is_statement_call(links, node) and not any(
            isinstance(n, ast.Name) and n.id == use.id for arg in pushed for n in ast.walk(arg))
    parent = links.get(use)
    if isinstance(parent, ast.Subscript) and parent.value is use and isinstance(parent.ctx, ast.Load):
        return isinstance(parent.slice, ast.Constant) and parent.slice.value == 0 and type(parent.slice.value) is int
    return is_len_of(links, names, use) or truth_tested(links, use)


def _always_heap(links: dict[ast.AST, ast.AST], names: Names, target: ast.Name) -> bool:
    value = assigned_value(links, target)
    if isinstance(value, ast.List) and not value.elts:
        return True
    if not is_list_construction(names, value):
        return False
    statement = links[target]
    body, index = statement_list(links[statement], statement)  # type: ignore[arg-type]
    if index + 1 >= len(body):
        return False
    following = body[index + 1]
    return (isinstance(following, ast.Expr) and isinstance(following.value, ast.Call)
            and names.dotted(following.value.func) == "heapq.heapify" and len(following.value.args) == 1
            and isinstance(following.value.args[0], ast.Name) and following.value.args[0].id == target.id)


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if has_try(tree) or not all(names.is_builtin(b) for b in ("min", "len")):
        return []
    sites = []
    for name, _targets in variables_bound_only_where(names, lambda t: _always_heap(links, names, t)):
        uses = loads(tree, name)
        if all(_usable(links, names, u) for u in uses) and any(
            (c := _heap_call(links, names, u)) is not None and c[0] == "pop" for u in uses
        ):
            sites.append(tuple(uses))

    def rewrite(clone: ast.Module, *uses: ast.Name) -> None:
        clone_links = parents(clone)
        for use in uses:
            found = _heap_call(clone_links, names, use)
            if found is None:
                parent = clone_links[use]
                if isinstance(parent, ast.Subscript):  # h[0] -> min(h)
                    replace_node(clone_links[parent], parent, call("min", load(use.id)))
                continue
            kind, node = found
            statement = clone_links[node]
            if kind == "push":
                statement.value = attr_call(load(use.id), "append", node.args[1])  # type: ignore[attr-defined]
            elif kind == "heapify":
                remove_statement(clone_links, statement)  # type: ignore[arg-type]
            elif isinstance(statement, ast.Expr):
                statement.value = attr_call(load(use.id), "remove", call("min", load(use.id)))
            else:
                assert isinstance(statement, ast.Assign)
                statement.value = call("min", load(use.id))
                target = statement.targets[0]
                popped = load(target.id) if isinstance(target, ast.Name) else ast.Tuple(
                    [load(e.id) for e in target.elts], ast.Load())  # type: ignore[attr-defined]
                body, index = statement_list(clone_links[statement], statement)
                body.insert(index + 1, ast.Expr(attr_call(load(use.id), "remove", popped)))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="heapq_min_remove", label="min() + list.remove -> heapq", transform=transform)
