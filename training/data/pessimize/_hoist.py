"""The loop-invariant families' shared precondition: ``n = f(a)`` computed once before a loop, and the loop's
reads of ``n`` replaced by ``f(a)``, recomputed on every iteration.

Precondition: ``n`` is bound once in the whole program, by that assignment; ``f`` is a builtin; each argument is
a literal or a variable bound once (so the same object at every read) that the program only ever reads (items,
iteration, reading builtins: never passed on, changed or aliased); for results that depend on the items
(``max``, ``sum``, ``sorted``...) the items are ints, floats or strings (see ``has_immutable_items``), so nothing
can change them either; a result that is a new container (``sorted``, ``set``, ``list``...) is itself only read,
so a fresh copy per read is indistinguishable. Only reads in a loop of the same function are replaced (``while``
tests included), and the assignment goes when no read is left.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable

from ._common import (
    Names,
    assigned_value,
    enclosing_statement,
    facts,
    has_immutable_items,
    in_loop,
    is_read_only_use,
    loads,
    parents,
    per_site,
    remove_statement,
    replace_node,
    scope_of,
    single_binding,
)

CONTAINERS = frozenset({"sorted", "set", "list", "tuple", "frozenset"})
SCALAR_OF_ITEMS = frozenset({"max", "min", "sum"})
CONVERSIONS = frozenset({"int", "float", "str"})


def _argument_ok(names: Names, links: dict[ast.AST, ast.AST], tree: ast.Module, arg: ast.expr, items: bool) -> bool:
    if isinstance(arg, ast.Constant):
        return True
    if not isinstance(arg, ast.Name):
        return False
    value = single_binding(names, links, arg.id)
    if value is None:
        return False
    if items and not has_immutable_value(names, value):
        return False
    return all(is_read_only_use(links, names, u) for u in loads(tree, arg.id))


def has_immutable_value(names: Names, value: ast.expr) -> bool:
    return has_immutable_items(names, value) or (
        isinstance(value, ast.Call) and names.dotted(value.func) in CONVERSIONS)


def _identity_test(links: dict[ast.AST, ast.AST], use: ast.Name) -> bool:
    parent = links[use]
    return isinstance(parent, ast.Compare) and any(isinstance(op, (ast.Is, ast.IsNot)) for op in parent.ops)


def hoisted_sites(tree: ast.Module, functions: frozenset[str]) -> tuple[list[tuple[ast.AST, ...]], Callable[..., None]]:
    names, links = facts(tree)
    sites: list[tuple[ast.AST, ...]] = []
    for name in names.bindings:
        value = single_binding(names, links, name)
        if not (isinstance(value, ast.Call) and names.dotted(value.func) in functions and value.args
                and not any(isinstance(a, ast.Starred) for a in value.args)):
            continue
        func = names.dotted(value.func)
        if value.keywords and not (func == "sorted" and all(
                k.arg == "reverse" and isinstance(k.value, ast.Constant) for k in value.keywords)):
            continue
        items = func != "len"
        if not all(_argument_ok(names, links, tree, a, items) for a in value.args):
            continue
        target = names.plain_variable(name)[0]  # type: ignore[index]
        scope = scope_of(links, target)
        if isinstance(scope, ast.ClassDef):
            continue
        uses = loads(tree, name)
        only_read = all(is_read_only_use(links, names, u) and not _identity_test(links, u) for u in uses)
        if func in CONTAINERS and not only_read:
            continue
        hot = [u for u in uses if scope_of(links, u) is scope and in_loop(links, u)]
        if hot:
            sites.append((target, *hot))

    def rewrite(clone: ast.Module, target: ast.Name, *hot: ast.Name) -> None:
        clone_links = parents(clone)
        value = assigned_value(clone_links, target)
        for use in hot:
            replace_node(clone_links[use], use, copy.deepcopy(value))  # type: ignore[arg-type]
        if len(hot) == len(loads(tree, target.id)):
            remove_statement(clone_links, enclosing_statement(clone_links, target))

    return sites, rewrite


def transform_for(functions: frozenset[str]) -> Callable[[ast.Module], list[ast.Module]]:
    def transform(tree: ast.Module) -> list[ast.Module]:
        sites, rewrite = hoisted_sites(tree, functions)
        return per_site(tree, sites, rewrite)

    return transform
