"""``input = sys.stdin.readline`` (or a lambda/def around it) -> no alias: every ``input()`` is the builtin again,
which flushes stdout and strips the newline on each call.

Precondition: ``input`` is bound once, at module level, to ``sys.stdin.readline``, to ``lambda:
sys.stdin.readline()`` optionally followed by ``.rstrip()``, ``.strip()`` or ``.rstrip("\\n")``, or to a ``def``
without parameters that returns such a line; every read of ``input`` is a call ``input()`` whose line feeds a use
blind to what the builtin keeps or drops (see ``stdin_readline.line_use``: after an alias that strips, only
uses blind to all surrounding whitespace); and end of input cannot show (no ``try``; a use other than
``int()``/``float()`` is refused when the program may read until input runs out).
"""

from __future__ import annotations

import ast

from ._common import Names, assigned_value, facts, loads, parents, per_site, preorder, remove_statement
from ._family import Family
from ._stdin import has_try, may_read_to_eof
from .stdin_readline import READLINE, line_use

# the alias's own treatment of the line -> the uses that cannot tell it from the builtin's
ALLOWED = {
    "raw": {"number", "split", "strip", "rstrip", "strip_newline"},
    "newline": {"number", "split", "strip", "rstrip", "strip_newline"},
    "rstrip": {"number", "split", "strip", "rstrip"},
    "strip": {"number", "split", "strip"},
}


def _line_kind(names: Names, expr: ast.expr) -> str | None:
    """What ``expr`` (the body of the alias) does to a line of ``sys.stdin.readline()``."""
    def is_readline(node: ast.expr) -> bool:
        if not (isinstance(node, ast.Call) and not node.args and not node.keywords):
            return False
        return names.dotted(node.func) == READLINE

    if is_readline(expr):
        return "raw"
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and is_readline(expr.func.value):
        method, args = expr.func.attr, expr.args
        if expr.keywords or method not in {"strip", "rstrip"}:
            return None
        if not args:
            return method
        if method == "rstrip" and len(args) == 1 and isinstance(args[0], ast.Constant) and args[0].value == "\n":
            return "newline"
    return None


def _alias_kind(names: Names, links: dict[ast.AST, ast.AST], node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        value = assigned_value(links, node)
        if value is None or not isinstance(links[links[node]], ast.Module):
            return None
        if names.dotted(value) == READLINE:
            return "raw"
        if isinstance(value, ast.Lambda) and not _has_parameters(value.args):
            return _line_kind(names, value.body)
        return None
    if (isinstance(node, ast.FunctionDef) and isinstance(links[node], ast.Module) and not node.decorator_list
            and not _has_parameters(node.args) and len(node.body) == 1 and isinstance(node.body[0], ast.Return)
            and node.body[0].value is not None):
        return _line_kind(names, node.body[0].value)
    return None


def _has_parameters(args: ast.arguments) -> bool:
    return bool(args.posonlyargs or args.args or args.vararg or args.kwonlyargs or args.kwarg)


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    bindings = names.bindings.get("input", [])
    if len(bindings) != 1 or has_try(tree):
        return []
    kind = _alias_kind(names, links, bindings[0])
    if kind is None:
        return []
    eof_reader = may_read_to_eof(tree, names)
    for use in loads(tree, "input"):
        read = links.get(use)
        if not (isinstance(read, ast.Call) and read.func is use and not read.args and not read.keywords):
            return []
        line = line_use(links, names, read)
        if line not in ALLOWED[kind] or (line != "number" and eof_reader):
            return []
    if not any(isinstance(n, ast.Name) and n.id == "input" and isinstance(n.ctx, ast.Load) for n in preorder(tree)):
        return []

    def rewrite(clone: ast.Module, alias: ast.AST) -> None:
        clone_links = parents(clone)
        statement = alias if isinstance(alias, ast.FunctionDef) else clone_links[alias]
        remove_statement(clone_links, statement)  # type: ignore[arg-type]

    return per_site(tree, [bindings[0]], rewrite)


FAMILY = Family(name="input_alias", label="input() -> input = sys.stdin.readline", transform=transform)
