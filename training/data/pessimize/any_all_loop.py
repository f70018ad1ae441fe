"""``any(test for x in xs)`` / ``all(...)`` -> a flag set by a loop that visits every item (no short circuit).

Precondition: the call is the whole test of an ``if`` or the whole value of ``name = any(...)``; its argument is
a generator with one ``for`` (plus ``if`` filters) over an iterable that is exhaustible without effect (``range``
or a list variable); the test and the filters are quiet expressions (nothing that can raise on items past the
first hit, or do anything); ``any``/``all`` are the builtins. The generator's variable would leak from a loop,
so it is renamed when the program uses its name anywhere else.
"""

from __future__ import annotations

import ast
import copy

from ._common import (
    Names,
    exhaustible,
    facts,
    index_loop,
    load,
    names_in,
    parents,
    per_site,
    preorder,
    quiet_expression,
    statement_list,
    store,
)
from ._family import Family


def _call(names: Names, links: dict[ast.AST, ast.AST], stmt: ast.AST) -> ast.Call | None:
    if isinstance(stmt, ast.If):
        expr = stmt.test
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        expr = stmt.value
    else:
        return None
    if not (isinstance(expr, ast.Call) and names.dotted(expr.func) in {"any", "all"} and len(expr.args) == 1
            and not expr.keywords and isinstance(expr.args[0], ast.GeneratorExp)):
        return None
    gen = expr.args[0]
    if len(gen.generators) != 1 or gen.generators[0].is_async:
        return None
    loop = gen.generators[0]
    if not (isinstance(loop.target, ast.Name) and exhaustible(names, links, loop.iter)):
        return None
    indexed = index_loop(names, links, loop.target, loop.iter)
    if not all(quiet_expression(e, indexed) for e in (gen.elt, *loop.ifs)):
        return None
    if isinstance(stmt, ast.Assign) and stmt.targets[0].id in names_in(gen):  # type: ignore[attr-defined]
        return None
    return expr


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = [n for n in preorder(tree) if _call(names, links, n) is not None]

    def rewrite(clone: ast.Module, stmt: ast.If | ast.Assign) -> None:
        expr = stmt.test if isinstance(stmt, ast.If) else stmt.value  # checked on the original by _call
        assert isinstance(expr, ast.Call)
        is_any = names.dotted(expr.func) == "any"
        gen = copy.deepcopy(expr.args[0])
        assert isinstance(gen, ast.GeneratorExp)
        loop = gen.generators[0]
        variable = loop.target.id  # type: ignore[attr-defined]
        inner = {id(n) for n in preorder(expr)}
        if any(isinstance(n, ast.Name) and n.id == variable and id(n) not in inner for n in preorder(clone)) or (
                not all(isinstance(b, ast.Name) for b in names.bindings.get(variable, []))):
            fresh = names.fresh(variable)
            for node in (*preorder(gen.elt), *(n for f in loop.ifs for n in preorder(f)), loop.target):
                if isinstance(node, ast.Name) and node.id == variable:
                    node.id = fresh
        flag = stmt.targets[0].id if isinstance(stmt, ast.Assign) else names.fresh("found")  # type: ignore[attr-defined]
        test = gen.elt if is_any else ast.UnaryOp(ast.Not(), gen.elt)
        step: ast.stmt = ast.If(test, [ast.Assign([store(flag)], ast.Constant(is_any))], [])
        for condition in reversed(loop.ifs):
            step = ast.If(condition, [step], [])
        before = [ast.Assign([store(flag)], ast.Constant(not is_any)), ast.For(loop.target, loop.iter, [step], [])]
        body, index = statement_list(parents(clone)[stmt], stmt)
        if isinstance(stmt, ast.Assign):
            body[index:index + 1] = before
        else:
            stmt.test = load(flag)
            body[index:index] = before

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="any_all_loop", label="full loop with a flag -> any()/all()", transform=transform)
