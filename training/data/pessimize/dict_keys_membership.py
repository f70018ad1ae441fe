"""``x in d`` on a dict -> ``x in list(d.keys())``: a hash lookup becomes a scan of a fresh list of keys.

Precondition: every binding of ``d`` anywhere in the program is ``d = <dict display, dict comprehension,
dict(...), defaultdict(...), Counter(...) or OrderedDict(...)>`` (so it is a dict whenever it is read), ``list``
is the builtin, and the test runs in a loop or comprehension. A key list holds exactly the dict's keys, and
``in`` on it compares by equality like the dict does for hashable keys.
"""

from __future__ import annotations

import ast

from ._common import (
    Names,
    attr_call,
    call,
    facts,
    in_loop,
    load,
    membership_right,
    parents,
    per_site,
    preorder,
    replace_node,
    variables_bound_only_to,
)
from ._family import Family

DICT_FACTORIES = frozenset({"dict", "collections.defaultdict", "collections.Counter", "collections.OrderedDict"})


def is_dict_construction(names: Names, value: ast.expr | None) -> bool:
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return True
    return isinstance(value, ast.Call) and names.dotted(value.func) in DICT_FACTORIES


def dict_variables(tree: ast.Module, names: Names, links: dict[ast.AST, ast.AST]) -> set[str]:
    return {name for name, _targets in variables_bound_only_to(names, links, lambda v: is_dict_construction(names, v))}


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    if not names.is_builtin("list"):
        return []
    dicts = dict_variables(tree, names, links)
    sites = [
        node for node in preorder(tree)
        if isinstance(node, ast.Name) and node.id in dicts and isinstance(node.ctx, ast.Load)
        and membership_right(links, node) is not None and in_loop(links, node)
    ]

    def rewrite(clone: ast.Module, site: ast.Name) -> None:
        replace_node(parents(clone)[site], site, call("list", attr_call(load(site.id), "keys")))

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="dict_keys_membership", label="x in list(d.keys()) -> x in d", transform=transform)
