"""A set used only for membership -> a list: ``x in s`` scans instead of hashing.

Precondition: every binding of ``s`` anywhere in the program is ``s = <set display, set comprehension or
set(...)>``, and every read of ``s`` is the right side of ``in``/``not in``, or ``s.add(x)`` / ``s.update(xs)`` as
a statement; one membership test at least runs in a loop or comprehension. The list then holds the same elements
(duplicates at most), and membership by equality answers as the set did, so the output cannot change: the set is
never iterated, printed, sized or compared, which is where order and duplicates would show. ``set``/``list``
are the builtins.
"""

from __future__ import annotations

import ast

from ._common import (
    Names,
    as_list,
    assigned_value,
    facts,
    in_loop,
    is_statement_call,
    loads,
    membership_right,
    method_call,
    parents,
    per_site,
    variables_bound_only_to,
)
from ._family import Family

RENAMED_METHODS = {"add": "append", "update": "extend"}


def _is_set_construction(names: Names, value: ast.expr | None) -> bool:
    if isinstance(value, (ast.Set, ast.SetComp)):
        return True
    return (isinstance(value, ast.Call) and names.dotted(value.func) == "set" and len(value.args) <= 1
            and not value.keywords and not any(isinstance(a, ast.Starred) for a in value.args))


def _membership_only(links: dict[ast.AST, ast.AST], uses: list[ast.Name]) -> bool:
    for use in uses:
        if membership_right(links, use) is not None:
            continue
        method = method_call(links, use)
        if method is None or method[0] not in RENAMED_METHODS or not is_statement_call(links, method[1]):
            return False
        if len(method[1].args) != 1 or method[1].keywords or isinstance(method[1].args[0], ast.Starred):
            return False
    return True


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not (names.is_builtin("set") and names.is_builtin("list")):
        return []
    sites = []
    for name, targets in variables_bound_only_to(names, links, lambda v: _is_set_construction(names, v)):
        uses = loads(tree, name)
        if _membership_only(links, uses) and any(
            membership_right(links, u) is not None and in_loop(links, u) for u in uses
        ):
            sites.append((*targets, *uses))

    def rewrite(clone: ast.Module, *nodes: ast.Name) -> None:
        clone_links = parents(clone)
        for node in nodes:
            if isinstance(node.ctx, ast.Store):
                value = assigned_value(clone_links, node)
                assign = clone_links[node]
                if isinstance(value, ast.Set):
                    assign.value = ast.List(elts=value.elts, ctx=ast.Load())  # type: ignore[attr-defined]
                elif isinstance(value, ast.SetComp):
                    assign.value = ast.ListComp(elt=value.elt, generators=value.generators)  # type: ignore[attr-defined]
                else:
                    assert isinstance(value, ast.Call)
                    assign.value = as_list(value.args[0] if value.args else None)  # type: ignore[attr-defined]
            else:
                method = method_call(clone_links, node)
                if method is not None:
                    method[1].func.attr = RENAMED_METHODS[method[0]]  # type: ignore[attr-defined]

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="set_membership", label="list membership -> set", transform=transform)
