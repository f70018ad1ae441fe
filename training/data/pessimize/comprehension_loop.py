"""``xs = [f(x) for x in it if c]`` -> ``xs = []`` and a ``for`` loop that appends (likewise sets and dicts): a method
lookup and call per item instead of the comprehension's dedicated opcode.

Precondition: the comprehension is the whole value of an assignment to one plain name ``xs`` that it does not read
itself (the loop rebinds ``xs`` first), in a function or at module level (a class body resolves names in a
comprehension differently), synchronous, without ``lambda`` or nested functions; a dict comprehension's key or value
has no calls (the comprehension evaluates the key first, ``d[k] = v`` the value first). Its loop variables would
leak out of the loop, so a variable whose name the program uses elsewhere is renamed to a fresh one. ``set`` is the
builtin for a set comprehension.
"""

from __future__ import annotations

import ast
import copy

from ._common import (
    Names,
    attr_call,
    call,
    facts,
    load,
    parents,
    per_site,
    preorder,
    scope_of,
    simple_expression,
    statement_list,
    store,
)
from ._family import Family

KINDS = (ast.ListComp, ast.SetComp, ast.DictComp)


def _eligible(tree: ast.Module, names: Names, links: dict[ast.AST, ast.AST], stmt: ast.AST) -> bool:
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, KINDS)):
        return False
    comp = stmt.value
    if isinstance(scope_of(links, stmt), ast.ClassDef) or isinstance(comp, ast.SetComp) and not names.is_builtin("set"):
        return False
    if any(g.is_async for g in comp.generators):
        return False
    if isinstance(comp, ast.DictComp) and not (simple_expression(comp.key) or simple_expression(comp.value)):
        return False  # the comprehension evaluates the key first, `d[k] = v` the value first
    inner = list(preorder(comp))
    if any(isinstance(n, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Await)) for n in inner):
        return False
    return not any(isinstance(n, ast.Name) and n.id == stmt.targets[0].id for n in inner)


def _loop_variables(comp: ast.ListComp | ast.SetComp | ast.DictComp) -> list[str]:
    out: list[str] = []
    for generator in comp.generators:
        for node in ast.walk(generator.target):
            if isinstance(node, ast.Name) and node.id not in out:
                out.append(node.id)
    return out


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = [n for n in preorder(tree) if _eligible(tree, names, links, n)]

    def rewrite(clone: ast.Module, stmt: ast.Assign) -> None:
        comp = stmt.value
        assert isinstance(comp, KINDS)
        inside = {id(n) for n in preorder(comp)}
        outside = {n.id for n in preorder(clone) if isinstance(n, ast.Name) and id(n) not in inside}
        outside |= {name for name, nodes in names.bindings.items() if not all(isinstance(n, ast.Name) for n in nodes)}
        renames: dict[str, str] = {}
        for variable in _loop_variables(comp):
            if variable in outside:
                renames[variable] = names.fresh(variable, *renames.values())
        comp = copy.deepcopy(comp)
        first_iter = {id(n) for n in preorder(comp.generators[0].iter)}  # evaluated outside the comprehension
        for node in preorder(comp):
            if isinstance(node, ast.Name) and node.id in renames and id(node) not in first_iter:
                node.id = renames[node.id]
        target = stmt.targets[0].id  # type: ignore[attr-defined]
        if isinstance(comp, ast.ListComp):
            start: ast.expr = ast.List([], ast.Load())
            step: ast.stmt = ast.Expr(attr_call(load(target), "append", comp.elt))
        elif isinstance(comp, ast.SetComp):
            start, step = call("set"), ast.Expr(attr_call(load(target), "add", comp.elt))
        else:
            start = ast.Dict([], [])
            step = ast.Assign([ast.Subscript(load(target), comp.key, ast.Store())], comp.value)
        for generator in reversed(comp.generators):
            for condition in reversed(generator.ifs):
                step = ast.If(condition, [step], [])
            step = ast.For(generator.target, generator.iter, [step], [])
        body, index = statement_list(parents(clone)[stmt], stmt)
        body[index:index + 1] = [ast.Assign([store(target)], start), step]

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="comprehension_loop", label="append loop -> comprehension", transform=transform)
