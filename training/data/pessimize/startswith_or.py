"""``s.startswith((a, b, ...))`` -> ``s.startswith(a) or s.startswith(b) or ...`` (likewise ``endswith``): a method
lookup and call per prefix instead of one call that walks the tuple in C.

Precondition: ``s`` is a plain name or an attribute chain of names (``self.path``); the call's only argument is a
tuple display of two or more elements, each a constant or a plain name (no ``start``/``end`` arguments, no keyword,
no starred item). For a ``str``, ``bytes`` or ``bytearray`` ``s``, the tuple form tries the items in order and
returns True at the first match, as the ``or`` chain does (spliced into an ``or`` around the call), both giving a
bool; an item of the wrong type raises ``TypeError`` in both (with another message) at the same point. ``s`` is
evaluated once per item: a name gives the same object each time (a str method runs no user code that could rebind
it). Caveats: an attribute chain is assumed to read a stored value (not a property with effects or a different
result each time); where the original raises evaluating a later item (an unbound name), the chain may return True
before reaching it; a receiver that is not a string (a pandas ``.str`` accessor, whose result is not a bool) is left
to the package's tests.
"""

from __future__ import annotations

import ast
import copy

from ._common import attr_call, name_chain, parents, per_site, preorder, replace_with_or
from ._family import Family

METHODS = frozenset({"startswith", "endswith"})


def _eligible(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in METHODS):
        return False
    if name_chain(node.func.value) is None or node.keywords or len(node.args) != 1:
        return False
    items = node.args[0]
    return (
        isinstance(items, ast.Tuple)
        and len(items.elts) >= 2
        and all(isinstance(e, (ast.Constant, ast.Name)) for e in items.elts)
    )


def transform(tree: ast.Module) -> list[ast.Module]:
    sites = [n for n in preorder(tree) if _eligible(n)]

    def rewrite(clone: ast.Module, site: ast.Call) -> None:
        assert isinstance(site.func, ast.Attribute) and isinstance(site.args[0], ast.Tuple)
        method, subject = site.func.attr, site.func.value
        checks: list[ast.expr] = [attr_call(copy.deepcopy(subject), method, item) for item in site.args[0].elts]
        replace_with_or(parents(clone)[site], site, checks)

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="startswith_or", label="startswith() or startswith() -> startswith((a, b))", transform=transform)
