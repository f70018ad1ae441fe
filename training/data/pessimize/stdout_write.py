"""``sys.stdout.write(s)`` -> ``print(s, end='')``: the builtin's argument parsing, ``str()`` and separator
handling on every call. Precondition: the call is a whole statement (its return value, the length, is unused),
with one positional argument; ``print`` is the builtin. ``write`` takes only a ``str``, which ``print`` writes
unchanged."""

from __future__ import annotations

import ast

from ._common import call, facts, per_site, preorder
from ._family import Family


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not names.is_builtin("print"):
        return []
    sites = [
        n for n in preorder(tree)
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
        and names.dotted(n.value.func) == "sys.stdout.write"
        and len(n.value.args) == 1 and not n.value.keywords and not isinstance(n.value.args[0], ast.Starred)
    ]

    def rewrite(clone: ast.Module, stmt: ast.Expr) -> None:
        printed = call("print", stmt.value.args[0])  # type: ignore[attr-defined]
        printed.keywords = [ast.keyword("end", ast.Constant(""))]
        stmt.value = printed

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="stdout_write", label="print() -> sys.stdout.write()", transform=transform)
