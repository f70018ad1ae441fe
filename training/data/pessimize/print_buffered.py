"""Answers collected in a list and printed once -> printed one by one as they are found: ``ans.append(x)`` ...
``print('\\n'.join(map(str, ans)))`` becomes ``print(x)`` at each append (``print(x, end=' ')`` for a space).

Behaviour is the judge's, as for ``print_per_item``: the same tokens in the same order (no blank line for an empty
list, a trailing space for a space separator). Precondition: ``ans`` is bound once, to ``[]``, in the same block as
the final print and before it; every read of ``ans`` is ``ans.append(x)`` as a statement or that one
``print(SEP.join(ans))`` / ``print(SEP.join(map(str, ans)))`` (``SEP`` a space or a newline), a statement of the
block's own top level, after every append; the program writes nothing else (no other ``print``, no ``stdout``, no
``input`` prompt, no ``exit``) and, in a function, has no ``return``/``yield`` there: so the items reach the output
in the same order, with nothing between them. With ``map(str, ...)`` each appended value must be a fresh immutable
value (a literal, arithmetic, an f-string, ``str()``/``int()``/``len()``... of anything): a list appended and
changed afterwards would print differently.
"""

from __future__ import annotations

import ast

from ._common import (
    COMPREHENSIONS,
    Names,
    call,
    enclosing_statement,
    facts,
    inside,
    is_statement_call,
    loads,
    method_call,
    own_scope_nodes,
    parents,
    per_site,
    preorder,
    remove_statement,
    scope_of,
    singly_bound_variables,
)
from ._family import Family
from .print_per_item import joined_print

IMMUTABLE_CALLS = frozenset({"str", "int", "len", "float", "round", "repr", "format", "ord", "chr", "bool", "bin",
                             "hex", "oct", "abs"})
FRESH_CALLS = IMMUTABLE_CALLS | {"sum"}  # not min/max: they return an item, which others may hold


def _fresh_value(names: Names, links: dict[ast.AST, ast.AST], expr: ast.expr) -> bool:
    """A value nothing else holds (so nothing can change it before the final print) or an immutable one."""
    if isinstance(expr, (ast.Constant, ast.JoinedStr, ast.BinOp, ast.UnaryOp, ast.Compare)):
        return True
    if isinstance(expr, ast.Name):
        return _immutable_variable(names, links, expr.id)
    if isinstance(expr, ast.IfExp):
        return _fresh_value(names, links, expr.body) and _fresh_value(names, links, expr.orelse)
    if isinstance(expr, ast.Call):
        if names.dotted(expr.func) in FRESH_CALLS:
            return True
        return isinstance(expr.func, ast.Attribute) and expr.func.attr in {"join", "format"}
    return False


def _immutable_variable(names: Names, links: dict[ast.AST, ast.AST], name: str) -> bool:
    """Every binding of ``name`` gives an int, float or str: a conversion call or literal, a loop over ``range``,
    ``a, b = map(int, ...)``; augmented assignments keep such a value immutable (or fail)."""
    bindings = names.bindings.get(name, [])
    if not bindings:
        return False
    plain = 0
    for node in bindings:
        parent = links.get(node)
        if isinstance(parent, ast.AugAssign) and parent.target is node:
            continue
        plain += 1
        if isinstance(parent, ast.Tuple):
            parent = links.get(parent)
            if not (isinstance(parent, ast.Assign) and isinstance(parent.value, ast.Call)
                    and names.dotted(parent.value.func) == "map" and parent.value.args
                    and names.dotted(parent.value.args[0]) in {"int", "float", "str"}):
                return False
        elif isinstance(parent, ast.Assign) and len(parent.targets) == 1 and parent.targets[0] is node:
            value = parent.value
            if not (isinstance(value, (ast.Constant, ast.JoinedStr))
                    or isinstance(value, ast.Call) and names.dotted(value.func) in IMMUTABLE_CALLS):
                return False
        elif isinstance(parent, ast.For) and parent.target is node:
            if not (isinstance(parent.iter, ast.Call) and names.dotted(parent.iter.func) == "range"):
                return False
        else:
            return False
    return plain > 0


def _writes_elsewhere(tree: ast.Module, final: ast.Expr) -> bool:
    """Could anything but ``final`` write to the output or end the program early (print, stdout, exit)?"""
    for node in preorder(tree):
        named = isinstance(node, ast.Name) and node.id in {"print", "stdout", "exit", "quit"}
        if named and node is not final.value.func:  # type: ignore[attr-defined]
            return True
        if isinstance(node, ast.Attribute) and node.attr in {"stdout", "_exit", "exit", "write"}:
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "input" and (
                node.args or node.keywords):
            return True  # a prompt is written to stdout
    return False


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not names.is_builtin("print"):
        return []
    sites = []
    for name, target, value in singly_bound_variables(names, links):
        if not (isinstance(value, ast.List) and not value.elts):
            continue
        uses = loads(tree, name)
        finals = [u for u in uses
                  if (j := joined_print(names, enclosing_statement(links, u))) is not None and j[1] is u]
        if len(finals) != 1:
            continue
        final = enclosing_statement(links, finals[0])
        separator, _items, mapped = joined_print(names, final)  # type: ignore[misc]
        scope = scope_of(links, final)
        block = scope.body  # type: ignore[attr-defined]
        if not isinstance(final, ast.Expr) or final not in block or isinstance(scope, ast.ClassDef):
            continue
        if _writes_elsewhere(tree, final):
            continue
        if not isinstance(scope, ast.Module) and any(
                isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom)) for n in own_scope_nodes(scope)):
            continue
        appends = [u for u in uses if u is not finals[0]]
        calls = [method_call(links, u) for u in appends]
        if not appends or not all(
            c is not None and c[0] == "append" and is_statement_call(links, c[1]) and len(c[1].args) == 1
            and not c[1].keywords and not isinstance(c[1].args[0], ast.Starred)
            and (not mapped or _fresh_value(names, links, c[1].args[0]))
            for c in calls
        ):
            continue
        position = block.index(final)
        if not all(_top(links, n, block) < position for n in (*appends, target)):
            continue
        if any(scope_of(links, n) is not scope or inside(links, n, COMPREHENSIONS) for n in (*appends, target)):
            continue
        sites.append((target, final, *appends))

    def rewrite(clone: ast.Module, target: ast.Name, final: ast.Expr, *appends: ast.Name) -> None:
        clone_links = parents(clone)
        separator = joined_print(names, final)[0]  # type: ignore[index]
        for use in appends:
            found = method_call(clone_links, use)
            assert found is not None
            printed = call("print", found[1].args[0])
            if separator == " ":
                printed.keywords = [ast.keyword("end", ast.Constant(" "))]
            clone_links[found[1]].value = printed  # type: ignore[attr-defined]
        if separator == " ":
            final.value = call("print")
        else:
            remove_statement(clone_links, final)
        remove_statement(clone_links, enclosing_statement(clone_links, target))

    return per_site(tree, sites, rewrite)


def _top(links: dict[ast.AST, ast.AST], node: ast.AST, block: list[ast.stmt]) -> int:
    """Index in ``block`` of the top-level statement that contains ``node``."""
    current = node
    while current not in block:
        current = links[current]
    return block.index(current)


FAMILY = Family(name="print_buffered", label="print per answer -> collect and print once", transform=transform)
