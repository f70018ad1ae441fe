"""A cheap local type inference over one region, for the operations its types make impossible.

Hints crashed on type errors no test was needed to see: ``str + 1``, ``list += int``, subscripting an int,
``obj >= str``, ``range(n / 2)``. ``type_errors(tree)`` infers the built-in type ("kind") of what it can and
reports each operation Python would refuse with a TypeError (or an AttributeError, for a method the type lacks)
whatever the values are: operators, comparisons, subscripts, attributes, iterating, calling a value that is not
callable (``xs(i)`` for a list), builtins and methods given arguments of impossible kinds (``len(int)``,
``' '.join`` of items certain to be ints).

What is inferred, nothing more: literals and displays, comprehensions, f-strings; calls of built-in constructors
and of builtins with a fixed return type (``len`` -> int, ``sorted`` -> list, ``input`` -> str, ``map`` -> map...);
a few methods of str, list, dict and set (``s.split()`` -> list, ``xs.sort()`` -> None); arithmetic and
comparisons of known kinds; a name, when every binding of it in its scope (assignments, augmented assignments,
walrus, a loop over an iterable whose items are certain, a name of an unpacking) gives the same kind. Items are
certain only where nothing can have changed them: a range's ints, a str's characters, ``s.split()``'s strings,
``map(int, ...)``'s ints (a builtin of fixed return kind), a display or comprehension whose elements agree, and
those passed through ``list``/``tuple``/``sorted``/``set``/``reversed`` (``items_kind``). So
``a, b, c = map(int, input().split())`` makes c an int and ``for v in c`` is refused; ``a, *rest = ...`` makes rest
a list; ``x, y = 0, []`` gives each its element's kind. Parameters, other loop and unpacking targets, the items of
a named list, attributes, subscripts and everything else are unknown, and an operation on an unknown is never
reported: this misses errors rather than invent them.

Whether an operation is possible is not a hand-written table: it is asked of Python on small sample values of the
kinds (``'a' + 1`` raises TypeError, so str + int is impossible). Only a TypeError/AttributeError counts; a
ValueError or KeyError depends on the values, not the types. Samples are tiny, so asking costs nothing.
"""

from __future__ import annotations

import ast
import builtins
import copy
import operator
import types
from collections.abc import Callable, Iterator
from typing import Any

Kind = type  # a built-in type; None where unknown

_SAMPLES: dict[type, Callable[[], Any]] = {
    int: lambda: 3, float: lambda: 1.5, bool: lambda: True, complex: lambda: 1j, str: lambda: "a",
    bytes: lambda: b"a", list: lambda: [1], tuple: lambda: (1,), dict: lambda: {1: 1}, set: lambda: {1},
    frozenset: lambda: frozenset({1}), type(None): lambda: None, range: lambda: range(2),
    map: lambda: map(int, "1"), filter: lambda: filter(None, [1]), zip: lambda: zip([1]),
    enumerate: lambda: enumerate([1]), types.GeneratorType: lambda: (1 for _ in "a"),
}  # fmt: skip
_NAMES = {type(None): "None", types.GeneratorType: "generator"}

_BINOPS: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv), ast.FloorDiv: ("//", operator.floordiv), ast.Mod: ("%", operator.mod),
    ast.Pow: ("**", operator.pow), ast.LShift: ("<<", operator.lshift), ast.RShift: (">>", operator.rshift),
    ast.BitAnd: ("&", operator.and_), ast.BitOr: ("|", operator.or_), ast.BitXor: ("^", operator.xor),
    ast.MatMult: ("@", operator.matmul),
}  # fmt: skip
UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos,
                                                        ast.Invert: operator.invert}
_INPLACE = {ast.Add: operator.iadd, ast.Sub: operator.isub, ast.Mult: operator.imul, ast.BitOr: operator.ior,
            ast.BitAnd: operator.iand, ast.BitXor: operator.ixor}  # fmt: skip
_ORDER = {ast.Lt: ("<", operator.lt), ast.LtE: ("<=", operator.le), ast.Gt: (">", operator.gt),
          ast.GtE: (">=", operator.ge)}  # fmt: skip

# Builtins whose result kind does not depend on their arguments' values.
_RETURNS: dict[str, Kind] = {
    "len": int, "int": int, "float": float, "str": str, "repr": str, "bool": bool, "list": list, "dict": dict,
    "set": set, "frozenset": frozenset, "tuple": tuple, "sorted": list, "range": range, "input": str, "ord": int,
    "chr": str, "hex": str, "oct": str, "bin": str, "divmod": tuple, "map": map, "filter": filter, "zip": zip,
    "enumerate": enumerate, "bytes": bytes, "format": str, "ascii": str, "hash": int, "id": int,
    "isinstance": bool, "callable": bool, "any": bool, "all": bool,
}  # fmt: skip
# Builtins safe to call on samples to learn whether arguments of these kinds are possible at all.
_PROBED = frozenset({"len", "abs", "int", "float", "list", "tuple", "set", "frozenset", "sorted", "range", "chr",
                     "ord", "reversed", "enumerate", "sum", "min", "max", "divmod", "round", "hex", "bin", "oct",
                     "any", "all"})  # fmt: skip
_METHOD_RETURNS: dict[tuple[Kind, str], Kind] = {
    **{(str, m): str for m in ("strip", "lstrip", "rstrip", "lower", "upper", "replace", "join", "format", "title",
                               "capitalize", "swapcase", "zfill", "center", "ljust", "rjust", "casefold",
                               "expandtabs", "removeprefix", "removesuffix", "translate")},
    **{(str, m): list for m in ("split", "rsplit", "splitlines")},
    **{(str, m): int for m in ("count", "find", "index", "rfind", "rindex")},
    **{(str, m): bool for m in ("startswith", "endswith", "isdigit", "isalpha", "isalnum", "isspace", "islower",
                                "isupper", "isnumeric", "isdecimal")},
    **{(list, m): type(None) for m in ("append", "extend", "insert", "remove", "sort", "reverse", "clear")},
    **{(list, m): int for m in ("count", "index")}, (list, "copy"): list,
    **{(set, m): type(None) for m in ("add", "discard", "remove", "update", "clear")},
    **{(set, m): set for m in ("union", "intersection", "difference", "symmetric_difference", "copy")},
    (dict, "copy"): dict, (dict, "update"): type(None), (dict, "clear"): type(None),
}  # fmt: skip


def type_errors(tree: ast.Module) -> list[str]:
    """Operations on inferred kinds that Python refuses, as "str + int", "int[...]", "int has no .append"."""
    scopes = list(_scopes(tree))
    kinds = _infer(scopes)
    found: list[str] = []
    seen: set[int] = set()
    for scope in scopes:
        env = kinds[id(scope)]
        for node in _own_nodes(scope):
            errors = list(_errors(node, env))
            if errors:
                seen.add(id(node))
                found.extend(errors)
    return found + _flow_errors(scopes, kinds, seen)


def name_of(kind: Kind) -> str:
    return _NAMES.get(kind, kind.__name__)


# -- scopes ------------------------------------------------------------------------------------------------------
def _scopes(tree: ast.AST) -> Iterator[ast.AST]:
    """The module and every function, lambda and class: each has its own names."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            yield node


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``scope`` that are not inside a nested function, lambda or class (those are scopes too)."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(ast.iter_child_nodes(node))


def _bindings(scope: ast.AST) -> tuple[dict[str, list[ast.AST | Unpacked]], set[str]]:
    """name -> the nodes that bind it to a value in ``scope`` (``=``, ``:=``, ``+=``...), and the names bound in
    any other way (parameters, loop and unpacking targets, imports, ``with``/``except``/``del``...): unknown."""
    valued: dict[str, list[ast.AST | Unpacked]] = {}
    other: set[str] = set()
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        a = scope.args
        other.update(x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x is not None)

    def names(target: ast.AST | None) -> set[str]:
        # Only the names the target binds: ``xs[i] = v`` binds nothing (it reads xs).
        return {n.id for n in ast.walk(target) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)} \
            if target is not None else set()

    for node in _own_nodes(scope):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    valued.setdefault(t.id, []).append(node)
                elif _plain_unpacking(t):
                    assert isinstance(t, ast.Tuple | ast.List)
                    for i, e in enumerate(t.elts):
                        name = e.value.id if isinstance(e, ast.Starred) else e.id  # type: ignore[attr-defined]
                        valued.setdefault(name, []).append(Unpacked(node.value, i, t))
                else:
                    other |= names(t)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr) and isinstance(node.target, ast.Name):
            if node.value is not None:
                valued.setdefault(node.target.id, []).append(node)
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            valued.setdefault(node.target.id, []).append(node)  # its kind is that of the iterable's items
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            other |= names(node.target)
        elif isinstance(node, ast.withitem):
            other |= names(node.optional_vars)
        elif isinstance(node, ast.Delete):
            for t in node.targets:
                other |= names(t)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            other.update(node.names)
        elif isinstance(node, ast.alias):
            other.add((node.asname or node.name).partition(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.ExceptHandler
                        | ast.MatchAs | ast.MatchStar) and node.name:
            other.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            other.add(node.rest)
    return valued, other


Env = dict[str, Kind | None]  # every name visible in a scope; None: bound, kind unknown (it shadows a builtin)


class Unpacked:
    """One name of an unpacking ``a, b, *c = value``: the ``index``-th element of ``target``."""

    def __init__(self, value: ast.expr, index: int, target: ast.Tuple | ast.List) -> None:
        self.value, self.index, self.target = value, index, target


def _plain_unpacking(target: ast.expr) -> bool:
    """``a, b = ...`` or ``a, *rest = ...``: names only (at most one starred), nothing nested or subscripted."""
    if not isinstance(target, ast.Tuple | ast.List):
        return False
    starred = [e for e in target.elts if isinstance(e, ast.Starred)]
    return len(starred) <= 1 and all(
        isinstance(e, ast.Name) or (isinstance(e, ast.Starred) and isinstance(e.value, ast.Name)) for e in target.elts)


def _unpacked_kind(u: Unpacked, env: Env) -> Kind | None:
    """The kind of one name of an unpacking: a starred name always gets a list; the others the kind of their
    element of a display of the same length (``a, b = 0, []``), or of every item of an iterable whose items are
    all of one kind (``a, b = map(int, input().split())``)."""
    elts = u.target.elts
    if isinstance(elts[u.index], ast.Starred):
        return list
    value = u.value
    if (isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(elts)
            and not any(isinstance(e, ast.Starred) for e in [*value.elts, *elts])):
        return kind_of(value.elts[u.index], env)
    return items_kind(value, env)


def _infer(scopes: list[ast.AST]) -> dict[int, Env]:
    """Scope -> its names' kinds, a kind only where every binding agrees; iterated until nothing changes (a
    binding may use another name: ``b = a + 1``). Functions and class bodies see the module's names they do not
    bind themselves; a name some function declares ``global`` is unknown everywhere."""
    bindings = {id(s): _bindings(s) for s in scopes}
    declared_global = {n for s in scopes for n in _declared(s)}
    envs: dict[int, Env] = {id(s): {} for s in scopes}
    for _ in range(4):
        changed = False
        for s in scopes:
            valued, other = bindings[id(s)]
            env: Env = {} if s is scopes[0] else {
                k: v for k, v in envs[id(scopes[0])].items() if k not in valued and k not in other}
            env.update(dict.fromkeys(other | set(valued)))
            for name, nodes in valued.items():
                if name not in other and name not in declared_global:
                    env[name] = _agreed_kind(nodes, envs[id(s)] or env, name)
            if env != envs[id(s)]:
                envs[id(s)] = env
                changed = True
        if not changed:
            break
    return envs


# Builtins whose result holds the items of their one iterable argument, unchanged (asked of Python below).
_ITEMS_KEPT = tuple(f for f in ("list", "tuple", "sorted", "set", "frozenset", "reversed", "iter")
                    if all(type(next(iter(getattr(builtins, f)([_SAMPLES[k]()])))) is k for k in (int, str, float)))


def items_kind(iterable: ast.expr, env: Env) -> Kind | None:
    """What iterating ``iterable`` gives, where every item is certain to be of one kind: ints from a range or
    bytes, one-character strings from a str, strings from ``s.split()``, what a builtin of fixed return kind gives
    from ``map(int, ...)``, the items of a display or comprehension whose elements agree, passed through
    ``list``/``tuple``/``sorted``/``set``/``reversed``. Unknown otherwise (a name bound to a list: its items may
    have changed since)."""
    kind = kind_of(iterable, env)
    if kind in (range, str, bytes):
        return type(next(iter(_SAMPLES[kind]())))
    if isinstance(iterable, ast.ListComp | ast.SetComp | ast.GeneratorExp):
        return kind_of(iterable.elt, env)  # comprehension targets are unknown in the scope (``_bindings``)
    if isinstance(iterable, ast.List | ast.Tuple | ast.Set) and iterable.elts:
        kinds = {None if isinstance(e, ast.Starred) else kind_of(e, env) for e in iterable.elts}
        return kinds.pop() if len(kinds) == 1 else None
    if not isinstance(iterable, ast.Call) or any(isinstance(a, ast.Starred) for a in iterable.args):
        return None
    func, args = iterable.func, iterable.args
    if isinstance(func, ast.Attribute):
        # str methods that return a list of str: its items are str.
        if kind is list and kind_of(func.value, env) is str and func.attr in ("split", "rsplit", "splitlines"):
            return str
        return None
    if not isinstance(func, ast.Name) or func.id in env:
        return None
    if func.id == "map" and len(args) >= 2 and not iterable.keywords:
        f = args[0]
        return _RETURNS.get(f.id) if isinstance(f, ast.Name) and f.id not in env else None
    if func.id in _ITEMS_KEPT and len(args) == 1 and (func.id == "sorted" or not iterable.keywords):
        return items_kind(args[0], env)
    return None


def _declared(scope: ast.AST) -> set[str]:
    return {n for node in _own_nodes(scope) if isinstance(node, ast.Global) for n in node.names}


def _agreed_kind(nodes: list[ast.AST | Unpacked], env: Env, name: str) -> Kind | None:
    """The kind every ``=``/``:=`` binding gives, kept by every augmented assignment; None otherwise. An augmented
    assignment Python refuses keeps the kind (the check reports that operation)."""
    plain = {_binding_kind(n, env) for n in nodes if not isinstance(n, ast.AugAssign)}
    if len(plain) != 1 or None in plain:
        return None
    kind = plain.pop()
    assert kind is not None
    for n in nodes:
        if isinstance(n, ast.AugAssign):
            value = kind_of(n.value, env)
            if value is None or type(n.op) not in _BINOPS:
                return None
            result = _probe_kind(_BINOPS[type(n.op)][1], kind, value)
            if result is None and not _impossible(_BINOPS[type(n.op)][1], kind, value):
                return None
            if result is not None and result is not kind:
                return None
    return kind


def _binding_kind(node: ast.AST | Unpacked, env: Env) -> Kind | None:
    if isinstance(node, Unpacked):
        return _unpacked_kind(node, env)
    if isinstance(node, ast.For):
        return items_kind(node.iter, env)
    return kind_of(node.value, env)  # type: ignore[attr-defined]


# -- kinds of expressions ----------------------------------------------------------------------------------------
def kind_of(node: ast.expr, env: Env) -> Kind | None:  # noqa: C901 - one case per expression kind
    if isinstance(node, ast.Constant):
        return type(node.value) if type(node.value) in _SAMPLES else None
    if isinstance(node, ast.JoinedStr):
        return str
    if isinstance(node, ast.List | ast.ListComp):
        return list
    if isinstance(node, ast.Dict | ast.DictComp):
        return dict
    if isinstance(node, ast.Set | ast.SetComp):
        return set
    if isinstance(node, ast.Tuple):
        return tuple
    if isinstance(node, ast.GeneratorExp):
        return types.GeneratorType
    if isinstance(node, ast.Compare):
        return bool
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.NamedExpr):
        return kind_of(node.value, env)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return bool
        operand = kind_of(node.operand, env)
        op = UNARY[type(node.op)]
        return _probe_kind(lambda a, _: op(a), operand, int) if operand is not None else None
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = kind_of(node.left, env), kind_of(node.right, env)
        if left is None or right is None or (isinstance(node.op, ast.Mod) and left in (str, bytes)):
            return None
        return _probe_kind(_BINOPS[type(node.op)][1], left, right)
    if isinstance(node, ast.IfExp | ast.BoolOp):
        parts = [node.body, node.orelse] if isinstance(node, ast.IfExp) else node.values
        kinds = {kind_of(p, env) for p in parts}
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id not in env and node.func.id in _RETURNS:
            return _RETURNS[node.func.id]
        if isinstance(node.func, ast.Attribute):
            owner = kind_of(node.func.value, env)
            if owner is not None:
                return _METHOD_RETURNS.get((owner, node.func.attr))
    return None


def _probe_kind(op: Callable[[Any, Any], Any], left: Kind, right: Kind) -> Kind | None:
    try:
        return type(op(_SAMPLES[left](), _SAMPLES[right]()))
    except Exception:  # noqa: BLE001 - a sample that cannot be combined has no result kind
        return None


def _impossible(op: Callable[..., Any], *kinds: Kind) -> bool:
    """Python refuses ``op`` on values of these kinds, whatever the values (a TypeError on samples)."""
    try:
        op(*(_SAMPLES[k]() for k in kinds))
    except (TypeError, AttributeError):
        return True
    except Exception:  # noqa: BLE001 - ValueError, ZeroDivisionError...: depends on the values
        return False
    return False


# -- the operations ----------------------------------------------------------------------------------------------
def _errors(node: ast.AST, env: Env) -> Iterator[str]:  # noqa: C901 - one case per operation
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = kind_of(node.left, env), kind_of(node.right, env)
        symbol, op = _BINOPS[type(node.op)]
        formatting = symbol == "%" and left in (str, bytes)  # '%d' % x fails on values, not kinds
        if left is not None and right is not None and not formatting and _impossible(op, left, right):
            yield f"{name_of(left)} {symbol} {name_of(right)}"
    elif isinstance(node, ast.AugAssign) and type(node.op) in _BINOPS:
        target = kind_of(node.target, env) if isinstance(node.target, ast.Name) else None
        value = kind_of(node.value, env)
        symbol, op = _BINOPS[type(node.op)]
        inplace: Callable[[Any, Any], Any] = _INPLACE.get(type(node.op), op)
        formatting = symbol == "%" and target in (str, bytes)
        if (target is not None and value is not None and not formatting
                and _impossible(lambda a, b: inplace(copy.copy(a), b), target, value)):
            yield f"{name_of(target)} {symbol}= {name_of(value)}"
    elif isinstance(node, ast.Compare):
        yield from _compare_errors(node, env)
    elif isinstance(node, ast.Subscript):
        owner = kind_of(node.value, env)
        method = {ast.Load: "__getitem__", ast.Store: "__setitem__", ast.Del: "__delitem__"}[type(node.ctx)]
        if owner is not None and not hasattr(owner, method):
            yield f"{name_of(owner)}[...]" + ("" if method == "__getitem__" else " assignment")
        elif owner is not None and method == "__getitem__" and not isinstance(node.slice, ast.Slice):
            index = kind_of(node.slice, env)  # a list indexed by a str: a TypeError; a dict by a str: a KeyError
            if index is not None and _impossible(lambda o, i: o[i], owner, index):
                yield f"{name_of(owner)}[{name_of(index)}]"
    elif isinstance(node, ast.Slice):
        for bound in (node.lower, node.upper, node.step):  # a[:m] with m a str: "slice indices must be integers"
            kind = kind_of(bound, env) if bound is not None else None
            if kind is not None and _impossible(lambda b: [1][b:], kind):
                yield f"slice bound of kind {name_of(kind)}"
    elif isinstance(node, ast.Attribute):
        owner = kind_of(node.value, env)
        if owner is not None and not hasattr(owner, node.attr):
            yield f"{name_of(owner)} has no .{node.attr}"
    elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
        it = kind_of(node.iter, env)
        if it is not None and not hasattr(it, "__iter__") and not hasattr(it, "__getitem__"):
            yield f"iterating over {name_of(it)}"
    elif isinstance(node, ast.Call):
        func = kind_of(node.func, env)
        if func is not None and not callable(_SAMPLES[func]()):
            yield f"calling {name_of(func)}"
        elif not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args):
            yield from _call_errors(node, env)


def _compare_errors(node: ast.Compare, env: Env) -> Iterator[str]:
    left = kind_of(node.left, env)
    for cmp, right_node in zip(node.ops, node.comparators, strict=True):
        right = kind_of(right_node, env)
        if type(cmp) in _ORDER and left is not None and right is not None:
            symbol, op = _ORDER[type(cmp)]
            if _impossible(op, left, right):
                yield f"{name_of(left)} {symbol} {name_of(right)}"
        elif isinstance(cmp, ast.In | ast.NotIn) and right is not None:
            if left is not None:
                if _impossible(lambda a, b: a in b, left, right):  # 1 in 'abc', [1] in a set
                    yield f"{name_of(left)} in {name_of(right)}"
            elif not any(hasattr(right, m) for m in ("__contains__", "__iter__", "__getitem__")):
                yield f"in {name_of(right)}"
        left = right


def _call_errors(node: ast.Call, env: Env) -> Iterator[str]:
    kinds = [kind_of(a, env) for a in node.args]
    if isinstance(node.func, ast.Name):
        name = node.func.id
        probe = name in _PROBED and name not in env and kinds and None not in kinds
        if probe and _impossible(getattr(builtins, name), *kinds):  # type: ignore[arg-type]
            yield f"{name}({', '.join(name_of(k) for k in kinds)})"  # type: ignore[arg-type]
        return
    if not isinstance(node.func, ast.Attribute):
        return
    owner, attr = kind_of(node.func.value, env), node.func.attr
    if owner is str and attr == "join" and len(kinds) == 1 and kinds[0] is not None:
        # ``sep.join(xs)`` fails on xs's items, not its kind: a non-iterable argument, or items certain to be
        # of a kind join refuses (``' '.join(map(int, ...))``).
        item = items_kind(node.args[0], env)
        if not hasattr(kinds[0], "__iter__"):
            yield f"str.join({name_of(kinds[0])})"
        elif item is not None and _impossible(lambda sep, x: sep.join([x]), str, item):
            yield f"str.join({name_of(item)} items)"
    elif (owner in (str, list, dict, set) and hasattr(owner, attr) and None not in kinds
          and _impossible(lambda o, *xs: getattr(copy.copy(o), attr)(*xs), owner, *kinds)):  # type: ignore[arg-type]
        yield f"{name_of(owner)}.{attr}({', '.join(name_of(k) for k in kinds)})"  # type: ignore[arg-type]


# -- where the code is: kinds along the flow ---------------------------------------------------------------------
# A name rebound to an unknown later (``s = 0`` ... ``s = a[i] + 1``) has no kind for the whole scope, yet where
# only ``s = 0`` can have happened it is an int: ``s[i]`` there fails. So the statements are also walked in order
# with the kinds the bindings that reach each point give (joins where paths meet: one kind if they agree, unknown
# otherwise). A loop is walked twice: to a fixed point over its back edge (every iteration: what is reported holds
# on each pass), and for its first iteration, where only the kinds from before the loop have reached the loop's
# own top-level statements that precede any ``continue``: the first time such a statement runs is in the first
# iteration, so an operation there that those kinds make impossible fails the first time it runs. Only the parts
# of it sure to be evaluated count (not the right of ``and``/``or``, the arms of ``x if c else y``, the items of
# a comprehension). Names bound by walrus, ``global``/``nonlocal`` or in any way the scope-wide inference calls
# unknown are not followed.

Flow = dict[str, Kind | None] | None  # None: no path reaches here (after return, break, continue, raise)
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _flow_errors(scopes: list[ast.AST], kinds: dict[int, Env], seen: set[int]) -> list[str]:
    """The operations that fail where they are, by the kinds the flow gives, that the scope-wide kinds did not
    show (``seen``: the nodes already reported)."""
    nonlocal_names = {n for s in scopes for node in _own_nodes(s) if isinstance(node, ast.Nonlocal)
                      for n in node.names}  # fmt: skip
    declared = {n for s in scopes for n in _declared(s)} | nonlocal_names
    found: list[str] = []
    for scope in scopes:
        if isinstance(scope, ast.Lambda):
            continue
        valued, other = _bindings(scope)
        walrus = {n.target.id for n in _own_nodes(scope) if isinstance(n, ast.NamedExpr)
                  and isinstance(n.target, ast.Name)}  # fmt: skip
        walker = _Walker(set(valued) - other - declared - walrus, seen)
        walker.block(scope.body, dict(kinds[id(scope)]), "all")  # type: ignore[attr-defined]
        found.extend(walker.found)
    return found


def _join(*envs: Flow) -> Flow:
    live = [e for e in envs if e is not None]
    if not live:
        return None
    first = live[0]
    return {k: v if all(e.get(k) is v for e in live[1:]) else None for k, v in first.items()}


def _has_continue(stmt: ast.stmt) -> bool:
    """A ``continue`` of the loop around ``stmt`` (not of a loop inside it)."""
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Continue):
            return True
        if node is not stmt and isinstance(node, ast.For | ast.AsyncFor | ast.While):
            stack.extend(node.orelse)  # a loop's else belongs to the loop around it
            continue
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _expr_nodes(stmt: ast.stmt, certain: bool) -> Iterator[ast.AST]:
    """The nodes ``stmt`` evaluates itself (not its blocks, not nested scopes); ``certain``: only those evaluated
    every time it runs (the first operand of ``and``/``or`` and of a comparison chain, the test of ``x if c else
    y``, a comprehension's first iterable)."""
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if certain:
            if isinstance(node, ast.BoolOp):
                stack.append(node.values[0])
                continue
            if isinstance(node, ast.IfExp):
                stack.append(node.test)
                continue
            if isinstance(node, ast.Compare):
                stack += [node.left, node.comparators[0]]
                continue
            if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
                stack.append(node.generators[0])
                continue
            if isinstance(node, ast.comprehension):
                stack.append(node.iter)
                continue
            if isinstance(node, ast.Assert):
                stack.append(node.test)
                continue
        for field, value in ast.iter_fields(node):
            if node is stmt and field in _BLOCKS:
                continue
            stack.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, ast.AST))


class _Walker:
    def __init__(self, tracked: set[str], seen: set[int]) -> None:
        self.tracked, self.seen = tracked, seen
        self.found: list[str] = []
        self.exits: list[tuple[list[Flow], list[Flow]]] = []  # per enclosing loop: (break envs, continue envs)

    def check(self, stmt: ast.stmt, env: dict[str, Kind | None], mode: str) -> None:
        if mode == "none":
            return
        for node in _expr_nodes(stmt, certain=mode == "first"):
            if id(node) in self.seen:
                continue
            for message in _errors(node, env):
                self.seen.add(id(node))
                self.found.append(message)

    def block(self, stmts: list[ast.stmt], env: Flow, mode: str) -> Flow:
        """``mode``: "all" (every run of these statements has these kinds), "first" (the first iteration of the
        loop whose body this is: only its certain parts of its top-level statements), "none" (just the kinds)."""
        for stmt in stmts:
            if env is None:
                return None
            if mode == "first" and _has_continue(stmt):
                mode = "none"
            env = self.stmt(stmt, env, mode)
        return env

    def bind(self, env: dict[str, Kind | None], name: str, kind: Kind | None) -> None:
        if name in self.tracked:
            env[name] = kind

    def stmt(self, stmt: ast.stmt, env: dict[str, Kind | None], mode: str) -> Flow:  # noqa: C901 - one case each
        inner = "all" if mode == "all" else "none"
        self.check(stmt, env, mode)
        if isinstance(stmt, ast.Assign):
            new = dict(env)
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    self.bind(new, t.id, kind_of(stmt.value, env))
                elif _plain_unpacking(t):
                    assert isinstance(t, ast.Tuple | ast.List)
                    for i, e in enumerate(t.elts):
                        name = e.value.id if isinstance(e, ast.Starred) else e.id  # type: ignore[attr-defined]
                        self.bind(new, name, _unpacked_kind(Unpacked(stmt.value, i, t), env))
            return new
        if isinstance(stmt, ast.AnnAssign | ast.AugAssign) and isinstance(stmt.target, ast.Name):
            if stmt.value is None:
                return env
            new = dict(env)
            kind = kind_of(stmt.value, env)
            if isinstance(stmt, ast.AugAssign):
                old = env.get(stmt.target.id)
                kind = (_probe_kind(_BINOPS[type(stmt.op)][1], old, kind)
                        if old is not None and kind is not None and type(stmt.op) in _BINOPS else None)
            self.bind(new, stmt.target.id, kind)
            return new
        if isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            return self.loop(stmt, env, mode)
        if isinstance(stmt, ast.If):
            return _join(self.block(stmt.body, dict(env), inner), self.block(stmt.orelse, dict(env), inner))
        if isinstance(stmt, ast.With | ast.AsyncWith):
            return self.block(stmt.body, env, inner)
        if isinstance(stmt, ast.Match):
            return _join(env, *(self.block(c.body, dict(env), inner) for c in stmt.cases))
        if isinstance(stmt, ast.Try | ast.TryStar):
            # An exception may leave the body anywhere: what it binds is unknown in the handlers and after.
            bound = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
            loose = {k: (None if k in bound else v) for k, v in env.items()}
            for part in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                self.block(part, dict(loose), "none" if part is stmt.body else inner)
            return loose
        if isinstance(stmt, ast.Break | ast.Continue):
            if self.exits:
                self.exits[-1][isinstance(stmt, ast.Continue)].append(env)
            return None
        if isinstance(stmt, ast.Return | ast.Raise):
            return None
        return env

    def loop(self, stmt: ast.For | ast.AsyncFor | ast.While, env: dict[str, Kind | None], mode: str) -> Flow:
        target = stmt.target.id if isinstance(stmt, ast.For | ast.AsyncFor) and isinstance(
            stmt.target, ast.Name) else None
        item = items_kind(stmt.iter, env) if isinstance(stmt, ast.For | ast.AsyncFor) else None

        def start(header: dict[str, Kind | None]) -> dict[str, Kind | None]:
            new = dict(header)
            if target is not None:
                self.bind(new, target, item)
            return new

        if mode == "all":  # the first iteration, from the kinds before the loop
            self.exits.append(([], []))
            self.block(stmt.body, start(env), "first")
            self.exits.pop()
        header: dict[str, Kind | None] = dict(env)
        for _ in range(5):  # to a fixed point over the back edge: kinds only ever become unknown
            self.exits.append(([], []))
            end = self.block(stmt.body, start(header), "none")
            _, continues = self.exits.pop()
            joined = _join(env, end, *continues)
            assert joined is not None
            if joined == header:
                break
            header = joined
        else:
            header = {k: None for k in header}
        self.exits.append(([], []))
        self.block(stmt.body, start(header), "all" if mode == "all" else "none")
        breaks, _ = self.exits.pop()
        if isinstance(stmt, ast.While) and mode == "all":
            self.check(ast.Expr(stmt.test), header, "all")
        done = self.block(stmt.orelse, dict(header), "all" if mode == "all" else "none")
        return _join(done, *breaks)
