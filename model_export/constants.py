"""Runaway constants: literal arithmetic whose value no program means, folded with a size limit.

Generated code contains ``range(2 ** 50001)``, power towers ``5 ** 5 ** 5 ** 5`` and ``'a' * 10 ** 12``; one hint
ran into a timeout this way. ``runaway(tree)`` folds every constant expression bottom-up and reports those whose
value would pass a bound, *estimating the size before computing anything*: ``5 ** 5 ** 5 ** 5`` is refused from
the bit length ``5 ** 3125`` would have, never evaluated (CPython's own compile-time folding stops at far smaller
sizes, 128-bit integers, so nothing here is bigger than what a compile would have tried).

Bounds: an integer of more than ``MAX_INT_BITS`` bits (contest code's largest honest constants are 10 ** 18,
2 ** 63 or a 10 ** 100 infinity: under 400 bits), a float that overflows (an OverflowError at run time), a string,
bytes, list or tuple built by repetition or concatenation longer than ``MAX_LENGTH`` items (``[0] * (10 ** 6 + 5)``
is the usual sieve; 10 ** 8 items is ~800 MB as a list).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from speedhints.model_export.typecheck import UNARY

MAX_INT_BITS = 4096
MAX_LENGTH = 10**8
DETAIL_CHARS = 40  # the refusal quotes the expression, cut to this


class _Runaway(Exception):
    pass


_UNKNOWN = object()
_SEQUENCES = (str, bytes, tuple, list)
_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.LShift: operator.lshift,
    ast.RShift: operator.rshift, ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor,
}  # fmt: skip


def runaway(tree: ast.AST) -> list[str]:
    """The innermost constant expressions of ``tree`` whose value passes a bound (source text, shortened)."""
    folder = _Folder()
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            folder.fold(node)
    return folder.found


def _bits(value: int) -> int:
    return abs(value).bit_length()


def _check(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and _bits(value) > MAX_INT_BITS:
        raise _Runaway
    if isinstance(value, _SEQUENCES) and len(value) > MAX_LENGTH:
        raise _Runaway
    return value


def _estimate(op: type[ast.operator], a: Any, b: Any) -> None:
    """Raise _Runaway when ``a op b`` would pass a bound, before computing it."""
    ints = isinstance(a, int) and isinstance(b, int)
    if op is ast.Pow and ints and b > 0 and abs(a) > 1:
        if b * math.log2(abs(a)) > MAX_INT_BITS:  # |a| ** b has b * log2|a| bits
            raise _Runaway
    elif op is ast.LShift and ints and b > 0 and a != 0 and _bits(a) + b > MAX_INT_BITS:
        raise _Runaway
    elif op is ast.Mult:
        if ints and _bits(a) + _bits(b) > MAX_INT_BITS + 1:
            raise _Runaway
        for seq, n in ((a, b), (b, a)):
            if isinstance(seq, _SEQUENCES) and isinstance(n, int) and len(seq) * max(n, 0) > MAX_LENGTH:
                raise _Runaway
    elif op is ast.Add and isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_LENGTH:
        raise _Runaway


class _Folder:
    def __init__(self) -> None:
        self.memo: dict[int, Any] = {}
        self.found: list[str] = []

    def fold(self, node: ast.expr) -> Any:
        key = id(node)
        if key not in self.memo:
            try:
                self.memo[key] = self._fold(node)
            except _Runaway:
                self.memo[key] = _UNKNOWN  # reported once, here; what contains it is not folded further
                text = ast.unparse(node)
                self.found.append(text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "...")
        return self.memo[key]

    def _fold(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, int | float | str | bytes) else _UNKNOWN
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd | ast.Invert):
            v = self.fold(node.operand)
            if isinstance(v, int | float) and not (isinstance(node.op, ast.Invert) and isinstance(v, float)):
                return UNARY[type(node.op)](v)
            return _UNKNOWN
        if isinstance(node, ast.Tuple | ast.List):
            items = [self.fold(e) for e in node.elts]
            if any(v is _UNKNOWN for v in items) or len(items) > 64:
                return _UNKNOWN
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return self._binop(type(node.op), self.fold(node.left), self.fold(node.right))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "pow"
                and len(node.args) == 2 and not node.keywords):
            return self._binop(ast.Pow, self.fold(node.args[0]), self.fold(node.args[1]))
        return _UNKNOWN

    @staticmethod
    def _binop(op: type[ast.operator], a: Any, b: Any) -> Any:
        if a is _UNKNOWN or b is _UNKNOWN:
            return _UNKNOWN
        _estimate(op, a, b)
        try:
            return _check(_OPS[op](a, b))
        except OverflowError:
            raise _Runaway from None  # a float past 1.8e308: an error when the code runs
        except (TypeError, ValueError, ZeroDivisionError, MemoryError):
            return _UNKNOWN  # not a runaway constant (the type check or the tests see such errors)

