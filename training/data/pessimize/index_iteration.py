"""``for x in a`` -> ``for i in range(len(a)): x = a[i]``: an index, a bounds check and a subscript per item.

Precondition: the target is a plain name; ``a`` is a variable bound only to new lists or strings
(``is_list_construction``, ``has_immutable_items``), none of its bindings inside the loop, and the program only
ever reads it (never resized, so indexing sees the items the iterator would); ``range``/``len`` are the builtins.
The index gets a name the program does not use.
"""

from __future__ import annotations

import ast

from ._common import Names, call, facts, load, per_site, preorder, read_only_sequence, store
from ._family import Family


def _eligible(names: Names, links: dict[ast.AST, ast.AST], tree: ast.Module, loop: ast.AST) -> bool:
    if not (isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and isinstance(loop.iter, ast.Name)):
        return False
    return read_only_sequence(names, links, tree, loop.iter.id, loop)


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not all(names.is_builtin(b) for b in ("range", "len")):
        return []
    sites = [n for n in preorder(tree) if _eligible(names, links, tree, n)]

    def rewrite(clone: ast.Module, loop: ast.For) -> None:
        item, seq = loop.target.id, loop.iter.id  # type: ignore[attr-defined]
        index = names.fresh("i")
        loop.target = store(index)
        loop.iter = call("range", call("len", load(seq)))
        loop.body.insert(0, ast.Assign([store(item)], ast.Subscript(load(seq), load(index), ast.Load())))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="index_iteration", label="range(len()) indexing -> direct iteration", transform=transform)
