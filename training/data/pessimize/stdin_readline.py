"""``sys.stdin.readline()`` -> ``input()``: the builtin flushes stdout and strips the newline on every call.

Precondition: the line's newline cannot matter (the call feeds ``int()``/``float()``, or ``.split()``,
``.strip()``/``.rstrip()`` with no argument or one that strips ``"\\n"``), ``input`` is the builtin, and end of
input cannot be observed differently: ``readline()`` returns ``""`` there where ``input()`` raises ``EOFError``,
so the program has no ``try``, and a ``.split()``/``.strip()`` site is refused when the program may read until
input runs out (see ``_stdin.may_read_to_eof``). Under ``int()``/``float()`` both crash at end of input, with
the same (empty) standard output.
"""

from __future__ import annotations

import ast

from ._common import Names, call, facts, parents, per_site, preorder, replace_node
from ._family import Family
from ._stdin import has_try, may_read_to_eof

READLINE = "sys.stdin.readline"


def line_use(links: dict[ast.AST, ast.AST], names: Names, node: ast.Call) -> str | None:
    """How the line read by ``node`` is used, when that use is blind to its newline: "number" (``int()``,
    ``float()``), "split" (``.split()``), "strip"/"rstrip" (no argument), "strip_newline" (an argument that strips
    ``"\\n"``); None for any other use."""
    parent = links.get(node)
    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is node and not parent.keywords:
        converter = names.dotted(parent.func)
        if converter == "int" and len(parent.args) <= 2 or converter == "float" and len(parent.args) == 1:
            return "number"
        return None
    if isinstance(parent, ast.Attribute) and parent.value is node:
        method = links.get(parent)
        if not (isinstance(method, ast.Call) and method.func is parent and not method.keywords):
            return None
        if parent.attr == "split" and not method.args:
            return "split"
        if parent.attr in {"strip", "rstrip"}:
            if not method.args:
                return parent.attr
            arg = method.args[0]
            strips_newline = isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "\n" in arg.value
            if len(method.args) == 1 and strips_newline:
                return "strip_newline"
    return None


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not names.is_builtin("input") or has_try(tree):
        return []
    eof_reader = may_read_to_eof(tree, names)
    sites = []
    for node in preorder(tree):
        if isinstance(node, ast.Call) and not node.args and not node.keywords and names.dotted(node.func) == READLINE:
            use = line_use(links, names, node)
            if use == "number" or (use is not None and not eof_reader):
                sites.append(node)

    def rewrite(clone: ast.Module, site: ast.Call) -> None:
        replace_node(parents(clone)[site], site, call("input"))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="stdin_readline", label="input() -> sys.stdin.readline()", transform=transform)
