"""``@lru_cache`` / ``@cache`` on a function -> no cache: every call recomputes (often exponentially more work).

Precondition: the decorator is ``functools.lru_cache(...)``, ``functools.lru_cache`` or ``functools.cache`` and
the function's only decorator; the function is pure (``_pure.is_pure``: computes only from its arguments and
unchanging globals, calls only itself and pure builtins), so a cached result equals a recomputed one; and its name
is only ever called (no ``cache_clear``/``cache_info``, not passed on). The function's name keeps its binding.
Deeper recursion than the cached run is possible in principle; such a variant fails its tests and is dropped.
"""

from __future__ import annotations

import ast

from ._common import Names, facts, loads, per_site, preorder
from ._family import Family
from ._pure import is_pure

CACHES = frozenset({"functools.lru_cache", "functools.cache"})


def _is_cache(names: Names, decorator: ast.expr) -> bool:
    if isinstance(decorator, ast.Call):
        return names.dotted(decorator.func) == "functools.lru_cache"
    return names.dotted(decorator) in CACHES


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = []
    for node in preorder(tree):
        if not (isinstance(node, ast.FunctionDef) and len(node.decorator_list) == 1
                and _is_cache(names, node.decorator_list[0])):
            continue
        if names.bindings.get(node.name) != [node]:
            continue
        if not all(isinstance(c := links.get(u), ast.Call) and c.func is u for u in loads(tree, node.name)):
            continue
        if is_pure(node, names, links, tree):
            sites.append(node)

    def rewrite(clone: ast.Module, function: ast.FunctionDef) -> None:
        function.decorator_list = []

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="lru_cache_removal", label="recomputation -> @lru_cache", transform=transform)
