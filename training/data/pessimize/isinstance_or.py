"""``isinstance(x, (A, B, ...))`` -> ``isinstance(x, A) or isinstance(x, B) or ...``: one call and one argument parse
per type instead of a single call that walks the tuple in C.

Precondition: ``isinstance`` is the builtin; exactly two positional arguments; ``x`` is a plain name (evaluating it
again has no effect and gives the same object: only an ``__instancecheck__`` hook assigning a global of that name
could rebind it in between); the second argument is a tuple display of two or more elements, each a plain name or an
attribute chain of names (``abc.Mapping``: no call, subscript, starred item or literal). The builtin checks a
tuple's items in order and returns True at the first match, as the ``or`` chain does, calling the same
``__instancecheck__`` hooks in the same order, and both give a bool (an ``or`` around the call takes the chain's
operands in place of the call, which evaluates the same operands in the same order). Caveat: the chain stops at the
first match, so the elements after it are not evaluated; where the original raises on one of them (an unbound name,
a missing attribute, an element that is not a type), the variant may return True instead. That differs only where
the original raises.
"""

from __future__ import annotations

import ast
import copy

from ._common import call, facts, name_chain, parents, per_site, preorder, replace_with_or
from ._family import Family


def _eligible(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and len(node.args) == 2 and not node.keywords):
        return False
    subject, types = node.args
    return (
        isinstance(subject, ast.Name)
        and isinstance(types, ast.Tuple)
        and len(types.elts) >= 2
        and all(name_chain(e) is not None for e in types.elts)
    )


def transform(tree: ast.Module) -> list[ast.Module]:
    names, _links = facts(tree)
    if not names.is_builtin("isinstance"):
        return []
    sites = [
        n for n in preorder(tree) if isinstance(n, ast.Call) and names.dotted(n.func) == "isinstance" and _eligible(n)
    ]

    def rewrite(clone: ast.Module, site: ast.Call) -> None:
        subject, types = site.args
        assert isinstance(types, ast.Tuple)
        checks: list[ast.expr] = [call("isinstance", copy.deepcopy(subject), t) for t in types.elts]
        replace_with_or(parents(clone)[site], site, checks)

    return per_site(tree, sites, rewrite)


FAMILY = Family(
    name="isinstance_or", label="isinstance() or isinstance() -> isinstance(x, (A, B))", transform=transform
)
