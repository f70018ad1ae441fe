"""``for i, x in enumerate(a)`` -> ``for i in range(len(a)): x = a[i]``: an index and a subscript per item.

Precondition: ``enumerate`` has one argument, a variable ``a`` bound only to new lists or strings
(``is_list_construction``, ``has_immutable_items``) that the program only ever reads (never resized, so indexing
sees the items the iterator would), not rebound inside the loop; the target is two distinct plain names;
``range``/``len``/``enumerate`` are the builtins.
"""

from __future__ import annotations

import ast

from ._common import Names, call, facts, load, per_site, preorder, read_only_sequence, store
from ._family import Family


def _eligible(names: Names, links: dict[ast.AST, ast.AST], tree: ast.Module, loop: ast.AST) -> bool:
    if not (isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call)
            and names.dotted(loop.iter.func) == "enumerate" and len(loop.iter.args) == 1 and not loop.iter.keywords):
        return False
    target, seq = loop.target, loop.iter.args[0]
    if not (isinstance(target, ast.Tuple) and len(target.elts) == 2
            and all(isinstance(e, ast.Name) for e in target.elts)
            and target.elts[0].id != target.elts[1].id and isinstance(seq, ast.Name)):  # type: ignore[attr-defined]
        return False
    return read_only_sequence(names, links, tree, seq.id, loop)


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not all(names.is_builtin(b) for b in ("range", "len")):
        return []
    sites = [n for n in preorder(tree) if _eligible(names, links, tree, n)]

    def rewrite(clone: ast.Module, loop: ast.For) -> None:
        index, item = loop.target.elts  # type: ignore[attr-defined]
        seq = loop.iter.args[0]  # type: ignore[attr-defined]
        loop.target = store(index.id)
        loop.iter = call("range", call("len", load(seq.id)))
        loop.body.insert(0, ast.Assign([store(item.id)], ast.Subscript(load(seq.id), load(index.id), ast.Load())))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="enumerate_index", label="range(len()) indexing -> enumerate", transform=transform)
