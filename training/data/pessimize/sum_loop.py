"""``s = sum(a)`` -> ``s = 0`` and a ``for`` loop adding each item: the interpreter loop instead of the builtin's.

Precondition: the statement is ``name = sum(a)`` outside a class body, with ``a`` a variable bound only to new
lists of ints (``has_int_items``: int addition is exact, so the order and the start value 0 give the same
result; floats would too on 3.11, not on 3.12's compensated ``sum``), ``name`` not ``a``; ``sum`` is the builtin.
"""

from __future__ import annotations

import ast

from ._common import (
    Names,
    assigned_value,
    facts,
    has_int_items,
    load,
    parents,
    per_site,
    preorder,
    scope_of,
    statement_list,
    store,
)
from ._family import Family


def _eligible(names: Names, links: dict[ast.AST, ast.AST], stmt: ast.AST) -> bool:
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return False
    value = stmt.value
    if not (isinstance(value, ast.Call) and names.dotted(value.func) == "sum" and len(value.args) == 1
            and not value.keywords and isinstance(value.args[0], ast.Name)):
        return False
    seq = value.args[0].id
    bindings = names.plain_variable(seq)
    return (bool(bindings) and all(has_int_items(names, assigned_value(links, b)) for b in bindings)  # type: ignore[union-attr]
            and stmt.targets[0].id != seq and not isinstance(scope_of(links, stmt), ast.ClassDef))


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = [n for n in preorder(tree) if _eligible(names, links, n)]

    def rewrite(clone: ast.Module, stmt: ast.Assign) -> None:
        total = stmt.targets[0].id  # type: ignore[attr-defined]
        seq = stmt.value.args[0]  # type: ignore[attr-defined]
        item = names.fresh("v")
        loop = ast.For(store(item), seq, [ast.AugAssign(store(total), ast.Add(), load(item))], [])
        body, index = statement_list(parents(clone)[stmt], stmt)
        body[index:index + 1] = [ast.Assign([store(total)], ast.Constant(0)), loop]

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="sum_loop", label="loop accumulation -> sum()", transform=transform)
