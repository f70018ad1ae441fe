"""Prefix sums -> a slice summed per query: ``p[r] - p[l]`` becomes ``sum(a[l:r])``, a pass over the range
for every query instead of two lookups.

Precondition: ``a`` is bound once, to a new list of ints (``has_int_items``: exact sums), and only ever read;
``p`` is bound once, to ``[0]`` followed at once by ``for x in a: p.append(p[-1] + x)``, or to ``[0] * (len(a) +
1)`` followed at once by ``for i in range(len(a)): p[i + 1] = p[i] + a[i]``; then ``p[k] == sum(a[:k])`` for every
``k`` in ``0..len(a)``. Every other read of ``p`` only reads it; a query ``p[r] - p[l]`` outside the building
loop, with index expressions free of calls, becomes ``sum(a[l:r])``. The one assumption not checked statically:
the indices are valid prefix indices, ``0 <= l <= r <= len(a)``, as every correct program's are (a negative or
reversed pair would wrap or give a negative sum, where the slice gives another value).
"""

from __future__ import annotations

import ast

from ._common import (
    Names,
    call,
    facts,
    has_int_items,
    is_read_only_use,
    load,
    loads,
    parents,
    per_site,
    preorder,
    replace_node,
    simple_expression,
    single_binding,
    statement_list,
)
from ._family import Family


def _builds_prefix(names: Names, links: dict[ast.AST, ast.AST], prefix: str) -> tuple[ast.For, str] | None:
    """(the loop that fills ``prefix``, the list it sums) when the binding and that loop have one of the shapes."""
    target = names.plain_variable(prefix)[0]  # type: ignore[index]
    statement = links[target]
    body, index = statement_list(links[statement], statement)  # type: ignore[arg-type]
    if index + 1 >= len(body) or not isinstance(body[index + 1], ast.For):
        return None
    loop = body[index + 1]
    assert isinstance(loop, ast.For)
    if len(loop.body) != 1 or loop.orelse or not isinstance(loop.target, ast.Name):
        return None
    text = ast.unparse(ast.Module([statement, loop], []))  # type: ignore[list-item]
    variable = loop.target.id
    if isinstance(loop.iter, ast.Name):
        source = loop.iter.id
        expected = f"{prefix} = [0]\nfor {variable} in {source}:\n    {prefix}.append({prefix}[-1] + {variable})"
        return (loop, source) if text == expected else None
    if isinstance(loop.iter, ast.Call) and loop.iter.args and isinstance(loop.iter.args[0], ast.Call):
        counted = loop.iter.args[0].args
        if len(counted) == 1 and isinstance(counted[0], ast.Name) and names.is_builtin("len") and names.is_builtin(
                "range"):
            source = counted[0].id
            expected = (f"{prefix} = [0] * (len({source}) + 1)\nfor {variable} in range(len({source})):\n"
                        f"    {prefix}[{variable} + 1] = {prefix}[{variable}] + {source}[{variable}]")
            return (loop, source) if text == expected else None
    return None


def _query(links: dict[ast.AST, ast.AST], use: ast.Name) -> tuple[ast.BinOp, ast.expr, ast.expr] | None:
    """(the difference, l, r) when ``use`` is the ``p`` of ``p[r]`` in ``p[r] - p[l]``."""
    item = links.get(use)
    difference = links.get(item)  # type: ignore[arg-type]
    if not (isinstance(item, ast.Subscript) and isinstance(difference, ast.BinOp)
            and isinstance(difference.op, ast.Sub) and difference.left is item):
        return None
    other = difference.right
    if not (isinstance(other, ast.Subscript) and isinstance(other.value, ast.Name) and other.value.id == use.id):
        return None
    r, left = item.slice, other.slice
    if isinstance(r, ast.Slice) or isinstance(left, ast.Slice):
        return None
    if not (simple_expression(r) and simple_expression(left)):
        return None
    return difference, left, r


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not names.is_builtin("sum"):
        return []
    sites: list[tuple[ast.AST, ...]] = []
    sources: dict[str, str] = {}
    for prefix in names.bindings:
        if single_binding(names, links, prefix) is None:
            continue
        built = _builds_prefix(names, links, prefix)
        if built is None:
            continue
        loop, source = built
        if not (has_int_items(names, single_binding(names, links, source))
                and all(is_read_only_use(links, names, u) for u in loads(tree, source))):
            continue
        in_loop = set(preorder(loop))
        uses = [u for u in loads(tree, prefix) if u not in in_loop]
        queries = [u for u in uses if _query(links, u) is not None]
        in_queries = {n for u in queries for n in preorder(_query(links, u)[0])}  # type: ignore[index]
        if queries and all(is_read_only_use(links, names, u) for u in uses if u not in in_queries):
            sources[prefix] = source
            sites.extend((u,) for u in queries)

    def rewrite(clone: ast.Module, use: ast.Name) -> None:
        clone_links = parents(clone)
        found = _query(clone_links, use)
        assert found is not None
        difference, left, r = found
        sliced = ast.Subscript(load(sources[use.id]), ast.Slice(left, r, None), ast.Load())
        replace_node(clone_links[difference], difference, call("sum", sliced))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="prefix_sum_slice", label="sum(a[l:r]) per query -> prefix sums", transform=transform)
