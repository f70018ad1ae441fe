"""``pow(b, e, m)`` -> ``b ** e % m``: the whole power is built before the reduction.

Precondition: ``pow`` is the builtin with three positional arguments; the exponent is a constant integer
expression (literals and names bound once to such) between 0 and ``MAX_EXPONENT``, since a negative one makes
``pow`` a modular inverse and ``**`` a float, and a huge one (``MOD - 2``) makes ``b ** e`` too big to ever finish;
the modulus is a name or a literal, so evaluating it after the power changes nothing.
"""

from __future__ import annotations

import ast

from ._common import constant_int, facts, parents, per_site, preorder, replace_node
from ._family import Family

MAX_EXPONENT = 10**5


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = []
    for node in preorder(tree):
        if not (isinstance(node, ast.Call) and names.dotted(node.func) == "pow" and len(node.args) == 3
                and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)):
            continue
        exponent = constant_int(names, links, node.args[1])
        small = exponent is not None and 0 <= exponent <= MAX_EXPONENT
        if small and isinstance(node.args[2], (ast.Name, ast.Constant)):
            sites.append(node)

    def rewrite(clone: ast.Module, site: ast.Call) -> None:
        base, exponent, modulus = site.args
        slow = ast.BinOp(ast.BinOp(base, ast.Pow(), exponent), ast.Mod(), modulus)
        replace_node(parents(clone)[site], site, slow)

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="pow_mod", label="b ** e % m -> pow(b, e, m)", transform=transform)
