"""``[0] * n`` -> ``[0 for _ in range(n)]``: one interpreted step per item instead of one C-level repeat.

Precondition: one side of the ``*`` is a one-item list display of an immutable literal (int, float, str, bytes,
bool, None: sharing one object n times is then unobservable), and ``range`` is the builtin. ``n`` is evaluated
once either way (as ``range``'s argument, outside the comprehension's scope); a negative ``n`` gives ``[]`` both
ways, a non-int one ``TypeError`` both ways.
"""

from __future__ import annotations

import ast

from ._common import call, facts, parents, per_site, preorder, replace_node, store
from ._family import Family

IMMUTABLE = (int, float, str, bytes, bool, type(None))


def _repeated(node: ast.AST) -> tuple[ast.expr, ast.expr] | None:
    """(the literal, the count) for ``[literal] * count`` or ``count * [literal]``."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return None
    for single, count in ((node.left, node.right), (node.right, node.left)):
        if (isinstance(single, ast.List) and len(single.elts) == 1 and isinstance(single.elts[0], ast.Constant)
                and type(single.elts[0].value) in IMMUTABLE):
            return single.elts[0], count
    return None


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not names.is_builtin("range"):
        return []
    sites = [n for n in preorder(tree) if _repeated(n) is not None]

    def rewrite(clone: ast.Module, node: ast.BinOp) -> None:
        found = _repeated(node)
        assert found is not None
        literal, count = found
        comp = ast.ListComp(literal, [ast.comprehension(store("_"), call("range", count), [], 0)])
        replace_node(parents(clone)[node], node, comp)

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="list_repeat_comprehension", label="comprehension of a constant -> [x] * n",
                transform=transform)
