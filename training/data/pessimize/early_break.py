"""A search loop that stops at the first hit -> the same loop run to the end: ``for x in a: if x == k: found =
True; break`` loses its ``break``.

Precondition: a ``for`` loop without ``else`` whose whole body is one ``if`` (no ``else``) whose body sets plain
names to literals and then breaks. Running on sets the same names to the same literals again (idempotent); the
test is a quiet expression (names, literals, comparisons, ``and``/``or``/``not``, ``+ - *``: nothing that can
raise on the later items or do anything); the iterable is exhaustible without effect (``range`` or a list
variable); and the loop variable is read nowhere outside the loop except inside other loops over the same name
or comprehensions (which rebind it first), since it now ends on the last item instead of the hit.
"""

from __future__ import annotations

import ast

from ._common import (
    COMPREHENSIONS,
    Names,
    exhaustible,
    facts,
    index_loop,
    names_in,
    per_site,
    preorder,
    quiet_expression,
)
from ._family import Family


def _eligible(names: Names, links: dict[ast.AST, ast.AST], tree: ast.Module, loop: ast.AST) -> bool:
    if not (isinstance(loop, ast.For) and not loop.orelse and len(loop.body) == 1):
        return False
    test = loop.body[0]
    if not (isinstance(test, ast.If) and not test.orelse and len(test.body) >= 2
            and isinstance(test.body[-1], ast.Break)):
        return False
    settings = test.body[:-1]
    if not all(isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
               and isinstance(s.value, ast.Constant) for s in settings):
        return False
    indexed = index_loop(names, links, loop.target, loop.iter)
    if not (isinstance(loop.target, ast.Name) and quiet_expression(test.test, indexed)
            and exhaustible(names, links, loop.iter)):
        return False
    variable = loop.target.id
    set_names = {s.targets[0].id for s in settings}  # type: ignore[attr-defined]
    if variable in set_names or set_names & (names_in(test.test) | names_in(loop.iter)):
        return False
    if not all(isinstance(b, ast.Name) for b in names.bindings.get(variable, [])):
        return False
    inside = {id(n) for n in preorder(loop)}
    ancestors = set()
    current = links.get(loop)
    while current is not None:
        ancestors.add(id(current))
        current = links.get(current)
    return all(
        _rebound_first(links, node, variable, ancestors)
        for node in preorder(tree)
        if isinstance(node, ast.Name) and node.id == variable and id(node) not in inside
    )


def _rebound_first(links: dict[ast.AST, ast.AST], node: ast.AST, variable: str, ancestors: set[int]) -> bool:
    """``node`` lies in the target or body of another ``for variable in ...`` loop (not one around the search
    loop), which rebinds the variable before any read there: the search loop's final value cannot reach it."""
    child, current = node, links.get(node)
    while current is not None:
        if (isinstance(current, ast.For) and isinstance(current.target, ast.Name) and current.target.id == variable
                and id(current) not in ancestors and (child is current.target or child in current.body)):
            return True
        if isinstance(current, COMPREHENSIONS) and any(variable in names_in(g.target) for g in current.generators) and (
                node not in set(preorder(current.generators[0].iter))):
            return True  # a comprehension's own variable of the same name (its first iterable is outside)
        child, current = current, links.get(current)
    return False


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = [n for n in preorder(tree) if _eligible(names, links, tree, n)]

    def rewrite(clone: ast.Module, loop: ast.For) -> None:
        loop.body[0].body.pop()  # type: ignore[attr-defined]

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="early_break", label="full loop -> break at the first hit", transform=transform)
