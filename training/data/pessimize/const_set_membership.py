"""``x in {c1, c2, ...}`` -> ``x in (c1, c2, ...)`` (likewise ``not in``): a scan comparing ``x`` with each constant
in turn instead of one hash lookup in the frozenset constant that CPython makes of the set display.

Precondition: the set display is the right operand of ``in``/``not in`` and holds two or more constants, each an
``int``, ``str`` or ``bytes`` (no ``bool``, no float, no ``None``), no two equal. Both forms answer by equality
``c == x`` (the set after matching the hash, the tuple for each constant in order, each trying identity first), so
they agree for every hashable ``x`` whose hash agrees with its equality (``a == b`` implies ``hash(a) == hash(b)``,
as for numbers, strings, enums and any well-formed class). Caveat: an unhashable ``x`` (a list, a dict) makes the
set raise ``TypeError`` where the tuple answers False (or True, for one that equals a constant); an ``x`` whose
``__eq__`` has effects sees it called more often.
"""

from __future__ import annotations

import ast

from ._common import parents, per_site, preorder, replace_node
from ._family import Family

CONSTANT_TYPES = (int, str, bytes)


def _constant_set(node: ast.expr) -> bool:
    if not (isinstance(node, ast.Set) and len(node.elts) >= 2):
        return False
    if not all(isinstance(e, ast.Constant) and type(e.value) in CONSTANT_TYPES for e in node.elts):
        return False
    keys = {(type(e.value), e.value) for e in node.elts}  # type: ignore[attr-defined]
    return len(keys) == len(node.elts)


def transform(tree: ast.Module) -> list[ast.Module]:
    sites = [
        right
        for n in preorder(tree)
        if isinstance(n, ast.Compare)
        for op, right in zip(n.ops, n.comparators, strict=True)
        if isinstance(op, (ast.In, ast.NotIn)) and _constant_set(right)
    ]

    def rewrite(clone: ast.Module, site: ast.Set) -> None:
        replace_node(parents(clone)[site], site, ast.Tuple(site.elts, ast.Load()))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="const_set_membership", label="x in (c1, c2) -> x in {c1, c2}", transform=transform)
