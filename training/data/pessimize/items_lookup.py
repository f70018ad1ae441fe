"""``for k, v in d.items(): BODY`` -> ``for k in d: v = d[k]; BODY``: a hash lookup per item for a value the
items iterator hands over for free.

Precondition: the loop is a ``for`` (not ``async``) without ``else``, in a function; its iterable is ``d.items()``
without arguments, ``d`` a plain name or an attribute chain of names (``self._map``); its target is a tuple of two
distinct plain names ``k, v``, neither of them the chain's first name; ``BODY`` does not bind that first name in
any way (assignment, ``del``, loop or ``with`` target, import, def, ``:=``...), assigns or deletes no attribute
that is a prefix of the chain (``self._map = ...``), and does not change ``d`` through the chain (``d[...] = ``,
``d[...] +=``, ``del d[...]``, ``d.pop/popitem/clear/update/setdefault/__setitem__/__delitem__(...)``); no
``global``/``nonlocal`` statement anywhere names the first name. Then ``d`` at ``v = d[k]`` is the object the loop
iterates: a local can only be rebound by its own function's code, the body does not, and a global only by module
code (or ``globals()``).

Exact for mappings: a ``dict`` (``OrderedDict``, ``Counter``, a ``defaultdict``, whose keys all exist, so
``__missing__`` is never called) yields each key at the step where its items iterator would yield the pair, and
``d[k]`` right after reads the same current value (both iterators raise alike if the dict changes size); the
``Mapping`` ABC's ``items()`` is this very loop. Caveats: a key whose hash changed since it was inserted is missing
at ``d[k]`` (``KeyError``); for any other object with an ``items()`` method (a pandas Series iterates its values,
an XML element its children), and for an attribute chain that other code rebinds while the loop runs (a method the
body calls, the consumer of a generator at a ``yield``) or a property that returns a new mapping each time, nothing
here proves the variant alike: the package's tests decide.
"""

from __future__ import annotations

import ast
import copy

from ._common import binding_nodes, facts, load, name_chain, per_site, preorder, scope_of, store
from ._family import Family

MUTATORS = frozenset({"pop", "popitem", "clear", "update", "setdefault", "__setitem__", "__delitem__"})


def _receiver(loop: ast.AST) -> list[str] | None:
    """The chain of ``d`` in ``for k, v in d.items():`` with two distinct plain names as target, else None."""
    if not (isinstance(loop, ast.For) and not loop.orelse and isinstance(loop.iter, ast.Call)):
        return None
    items = loop.iter
    if items.args or items.keywords or not (isinstance(items.func, ast.Attribute) and items.func.attr == "items"):
        return None
    chain = name_chain(items.func.value)
    target = loop.target
    if chain is None or not (isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2):
        return None
    k, v = target.elts
    if not (isinstance(k, ast.Name) and isinstance(v, ast.Name)) or len({k.id, v.id, chain[0]}) < 3:
        return None
    return chain


def _changes_receiver(loop: ast.For, chain: list[str]) -> bool:
    """The loop's body binds the chain's first name, rebinds a prefix attribute, or changes ``d`` in place."""
    nodes = [n for stmt in loop.body for n in preorder(stmt)]
    if chain[0] in binding_nodes(loop, nodes):
        return True
    for node in nodes:
        if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            found = name_chain(node)
            if found is not None and found == chain[: len(found)]:
                return True
        if isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load) and name_chain(node.value) == chain:
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATORS
            and name_chain(node.func.value) == chain
        ):
            return True
    return False


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = []
    for loop in preorder(tree):
        chain = _receiver(loop)
        if chain is None or not isinstance(scope_of(links, loop), (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if any(isinstance(b, (ast.Global, ast.Nonlocal)) for b in names.bindings.get(chain[0], [])):
            continue
        assert isinstance(loop, ast.For)
        if not _changes_receiver(loop, chain):
            sites.append(loop)

    def rewrite(clone: ast.Module, loop: ast.For) -> None:
        assert isinstance(loop.target, (ast.Tuple, ast.List)) and isinstance(loop.iter, ast.Call)
        key, value = loop.target.elts
        assert isinstance(key, ast.Name) and isinstance(value, ast.Name)
        mapping = loop.iter.func.value  # type: ignore[attr-defined]
        loop.target, loop.iter = store(key.id), mapping
        lookup = ast.Subscript(copy.deepcopy(mapping), load(key.id), ast.Load())
        loop.body.insert(0, ast.Assign([store(value.id)], lookup))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="items_lookup", label="d[k] lookup per key -> for k, v in d.items()", transform=transform)
