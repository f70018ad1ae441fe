"""``SEP.join([e for x in it])`` -> ``SEP.join(e for x in it)``: ``str.join`` makes a list of any argument that is
not already one before it joins, so the generator costs a frame resumption per item on top of the same list.

Precondition: the call is ``SEP.join(...)`` with exactly one positional argument, a list comprehension (no
keyword, no ``async for``, no ``await`` in it), and ``SEP`` is a ``str`` or ``bytes`` constant or a plain name
that no import, ``def`` or ``class`` binds, other than ``self``/``cls``. ``str.join``, ``bytes.join`` and
``bytearray.join`` turn the generator into a list before joining anything, so they see the same items in the same
order, all evaluated before the join proper, and raise the same errors for a bad item; the comprehension and the
generator resolve names alike (the first iterable is evaluated where the call is, the rest in their own scope).
Caveats: a ``StopIteration`` raised inside the element or a condition becomes ``RuntimeError`` in the generator
(PEP 479); for a name bound to another kind of object, whose ``join`` may want a list, the package's tests decide.
"""

from __future__ import annotations

import ast

from ._common import facts, per_site, preorder, replace_node
from ._family import Family

RECEIVERS_NOT_SEPARATORS = frozenset({"self", "cls"})


def transform(tree: ast.Module) -> list[ast.Module]:
    names, _links = facts(tree)

    def separator(expr: ast.expr) -> bool:
        if isinstance(expr, ast.Constant):
            return isinstance(expr.value, (str, bytes))
        if not isinstance(expr, ast.Name) or expr.id in RECEIVERS_NOT_SEPARATORS:
            return False
        return not any(
            isinstance(b, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            for b in names.bindings.get(expr.id, [])
        )

    sites = [
        n
        for n in preorder(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "join"
        and separator(n.func.value)
        and len(n.args) == 1
        and not n.keywords
        and isinstance(n.args[0], ast.ListComp)
        and not any(g.is_async for g in n.args[0].generators)
        and not any(isinstance(inner, ast.Await) for inner in preorder(n.args[0]))
    ]

    def rewrite(clone: ast.Module, site: ast.Call) -> None:
        comp = site.args[0]
        assert isinstance(comp, ast.ListComp)
        replace_node(site, comp, ast.GeneratorExp(comp.elt, comp.generators))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="join_generator", label="join(generator) -> join([list comprehension])", transform=transform)
