"""A memo dict -> no memo: ``if k in memo: return memo[k]`` ... ``memo[k] = v`` go, and every call recomputes.

Precondition: ``memo`` is bound once, at module level, to ``{}`` or ``dict()``, and read only inside one
module-level function ``f`` whose first statement is ``if K in memo: return memo[K]``, where ``K`` is a
parameter or a tuple of parameters that ``f`` never rebinds; every other use is ``memo[K] = v`` (the same ``K``) as
a statement, optionally followed at once by ``return memo[K]`` (which becomes ``return v``); and ``f`` is pure
apart from the memo (``_pure.is_pure``), so a remembered value equals a recomputed one. Deeper recursion than the
memoized run is possible in principle; such a variant fails its tests and is dropped.
"""

from __future__ import annotations

import ast

from ._common import (
    enclosing_statement,
    facts,
    loads,
    local_names,
    own_scope_nodes,
    parents,
    per_site,
    preorder,
    remove_statement,
    single_binding,
    statement_list,
)
from ._family import Family
from ._pure import is_pure


def _key_ok(function: ast.FunctionDef, key: ast.expr) -> bool:
    params = {a.arg for a in function.args.args}
    parts = key.elts if isinstance(key, ast.Tuple) else [key]
    if not parts or not all(isinstance(p, ast.Name) and p.id in params for p in parts):
        return False
    rebound = {n.id for n in own_scope_nodes(function) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    return not any(isinstance(p, ast.Name) and p.id in rebound for p in parts)


def _guard(function: ast.FunctionDef, memo: str) -> ast.expr | None:
    """``K`` when ``function`` starts with ``if K in memo: return memo[K]``."""
    first = function.body[0] if function.body else None
    if not (isinstance(first, ast.If) and not first.orelse and len(first.body) == 1):
        return None
    test, ret = first.test, first.body[0]
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In)
            and isinstance(test.comparators[0], ast.Name) and test.comparators[0].id == memo):
        return None
    if not (isinstance(ret, ast.Return) and isinstance(ret.value, ast.Subscript)
            and isinstance(ret.value.value, ast.Name) and ret.value.value.id == memo
            and ast.dump(ret.value.slice) == ast.dump(test.left)):
        return None
    return test.left if _key_ok(function, test.left) else None


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = []
    for memo in names.bindings:
        value = single_binding(names, links, memo)
        if not (isinstance(value, ast.Dict) and not value.keys or isinstance(value, ast.Call)
                and names.dotted(value.func) == "dict" and not value.args and not value.keywords):
            continue
        if not isinstance(links[links[names.plain_variable(memo)[0]]], ast.Module):  # type: ignore[index]
            continue
        uses = loads(tree, memo)
        functions = {id(f): f for f in tree.body if isinstance(f, ast.FunctionDef)}
        owner = None
        for f in functions.values():
            if uses and all(u in set(preorder(f)) for u in uses):
                owner = f
        if owner is None or memo in local_names(owner):
            continue
        key = _guard(owner, memo)
        if key is None:
            continue
        guard = owner.body[0]
        in_guard = set(preorder(guard))
        ignore = {id(n) for n in preorder(guard)}
        stores = []
        ok = True
        for use in uses:
            if use in in_guard:
                continue
            item = links[use]
            statement = enclosing_statement(links, use)
            if (isinstance(item, ast.Subscript) and isinstance(item.ctx, ast.Store)
                    and isinstance(statement, ast.Assign) and statement.targets == [item]
                    and ast.dump(item.slice) == ast.dump(key)):
                stores.append(statement)
                ignore |= {id(use), id(item)}
                continue
            if isinstance(item, ast.Subscript) and isinstance(statement, ast.Return) and statement.value is item:
                body, index = statement_list(links[statement], statement)
                if index > 0 and body[index - 1] in stores and ast.dump(item.slice) == ast.dump(key):
                    ignore |= {id(use), id(item)}
                    continue
            ok = False
        if ok and stores and is_pure(owner, names, links, tree, frozenset(ignore)):
            sites.append((names.plain_variable(memo)[0], owner))  # type: ignore[index]

    def rewrite(clone: ast.Module, target: ast.Name, function: ast.FunctionDef) -> None:
        memo = target.id
        clone_links = parents(clone)
        del function.body[0]
        for statement in list(preorder(function)):
            if not (isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Subscript)
                    and isinstance(statement.targets[0].value, ast.Name) and statement.targets[0].value.id == memo):
                continue
            body, index = statement_list(clone_links[statement], statement)
            following = body[index + 1] if index + 1 < len(body) else None
            if (isinstance(following, ast.Return) and isinstance(following.value, ast.Subscript)
                    and isinstance(following.value.value, ast.Name) and following.value.value.id == memo):
                body[index:index + 2] = [ast.Return(statement.value)]
            else:
                del body[index]
                if not body:
                    body.append(ast.Pass())
        remove_statement(clone_links, clone_links[target])  # type: ignore[arg-type]

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="memo_dict_removal", label="recomputation -> memo dict", transform=transform)
