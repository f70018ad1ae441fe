"""``min(a)`` / ``max(a)`` -> ``sorted(a)[0]`` / ``sorted(a, reverse=True)[0]``: a sort instead of one pass.

Precondition: one positional argument (an iterable) and at most a ``key=`` keyword (no ``default=``); ``min``,
``max`` and ``sorted`` are the builtins; the program has no ``try`` (an empty argument raises ``ValueError`` in
one, ``IndexError`` in the other). Both return the first least (greatest) item in iteration order, since the sort
is stable (also reversed), and call the key once per item in the same order. (Unordered values such as NaN among
floats are the one case where they could disagree.)
"""

from __future__ import annotations

import ast

from ._common import call, facts, parents, per_site, preorder, replace_node
from ._family import Family
from ._stdin import has_try


def transform(tree: ast.Module) -> list[ast.Module]:
    names, _links = facts(tree)
    if has_try(tree) or not names.is_builtin("sorted"):
        return []
    sites = [
        n for n in preorder(tree)
        if isinstance(n, ast.Call) and names.dotted(n.func) in {"min", "max"} and len(n.args) == 1
        and not isinstance(n.args[0], ast.Starred) and all(k.arg == "key" for k in n.keywords)
    ]

    def rewrite(clone: ast.Module, site: ast.Call) -> None:
        ordered = call("sorted", site.args[0])
        ordered.keywords = list(site.keywords)
        if names.dotted(site.func) == "max":
            ordered.keywords.append(ast.keyword("reverse", ast.Constant(True)))
        replace_node(parents(clone)[site], site, ast.Subscript(ordered, ast.Constant(0), ast.Load()))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="min_max_sorted", label="sorted()[0] -> min()/max()", transform=transform)
