"""``a.append(x)`` in a loop -> ``a = a + [x]``: a new list, and a copy of every item, per append.

Precondition: every binding of ``a`` is a plain assignment of a new list (``is_list_construction``), all in the
function (or module level) of the append and outside comprehensions; the append is a statement in a loop, not
inside a ``for`` loop over ``a`` itself (that loop would go on over the old list), and ``x`` assigns nothing;
and nothing else can hold the list: every read of ``a`` reads it in place (items, ``len``-like builtins,
comparison, a method call, ``return a``), never aliases it, passes it to a function of the program or stores it
in another object, and the lazy builtins (``map``, ``zip``, ``enumerate``...) over it are consumed at once. So the
old list becomes garbage at each step, and every read sees the same items.
"""

from __future__ import annotations

import ast

from ._common import (
    COMPREHENSIONS,
    Names,
    assigned_value,
    facts,
    in_loop,
    inside,
    is_list_construction,
    is_read_only_use,
    is_statement_call,
    load,
    loads,
    method_call,
    names_in,
    parents,
    per_site,
    preorder,
    scope_of,
    statement_list,
    store,
)
from ._family import Family

LAZY = frozenset({"map", "filter", "zip", "enumerate", "reversed"})
EAGER = frozenset({"list", "sorted", "sum", "max", "min", "set", "tuple", "any", "all", "print", "len", "dict",
                   "frozenset"})


def _held_nowhere(names: Names, links: dict[ast.AST, ast.AST], use: ast.Name) -> bool:
    parent = links.get(use)
    if isinstance(parent, ast.Return) or method_call(links, use) is not None:
        return True
    if not is_read_only_use(links, names, use):
        return False
    if isinstance(parent, ast.Call) and names.dotted(parent.func) in LAZY:
        consumer = links.get(parent)
        if isinstance(consumer, (ast.For, ast.comprehension)) and consumer.iter is parent:
            return True
        return isinstance(consumer, ast.Call) and names.dotted(consumer.func) in EAGER
    return True


def _loops_over(links: dict[ast.AST, ast.AST], node: ast.AST, name: str) -> bool:
    current = links.get(node)
    while current is not None:
        if isinstance(current, (ast.For, ast.AsyncFor)) and name in names_in(current.iter):
            return True
        current = links.get(current)
    return False


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = []
    checked: dict[str, bool] = {}
    for node in preorder(tree):
        found = method_call(links, node) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) else None
        if found is None or found[0] != "append":
            continue
        name, append = node.id, found[1]  # type: ignore[attr-defined]
        if not (is_statement_call(links, append) and len(append.args) == 1 and not append.keywords
                and not isinstance(append.args[0], ast.Starred) and in_loop(links, append)):
            continue
        if any(isinstance(n, ast.NamedExpr) for n in preorder(append.args[0])):
            continue
        if name not in checked:
            targets = names.plain_variable(name)
            checked[name] = bool(targets) and all(
                is_list_construction(names, assigned_value(links, t)) and not inside(links, t, COMPREHENSIONS)
                for t in targets  # type: ignore[union-attr]
            ) and len({id(scope_of(links, t)) for t in targets}) == 1 and all(  # type: ignore[union-attr]
                _held_nowhere(names, links, u) for u in loads(tree, name))
        if not checked[name]:
            continue
        scope = scope_of(links, names.plain_variable(name)[0])  # type: ignore[index]
        if scope_of(links, append) is scope and not inside(links, append, COMPREHENSIONS) and not _loops_over(
                links, append, name):
            sites.append(links[append])

    def rewrite(clone: ast.Module, statement: ast.Expr) -> None:
        append = statement.value
        name = append.func.value.id  # type: ignore[attr-defined]
        grown = ast.BinOp(load(name), ast.Add(), ast.List([append.args[0]], ast.Load()))  # type: ignore[attr-defined]
        body, index = statement_list(parents(clone)[statement], statement)
        body[index] = ast.Assign([store(name)], grown)

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="append_concat", label="a = a + [x] in a loop -> a.append(x)", transform=transform)
