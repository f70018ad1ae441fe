"""Static checks a suggestion must pass before anyone sees it: the model knows competitive-programming scripts,
and outside them it can hallucinate a different program. A speed hint must be the same code, edited.

- **An edit, not a rewrite**: ROUGE-2 between the canonical input and output at least ``MIN_SIMILARITY``, the 1st
  percentile of the training pairs' own ROUGE-2 (measured on the 6,144 by-problem training pairs: 1 % 0.384,
  5 % 0.433, median 0.618): 99 % of the real edits the model learned from are closer than this, so a suggestion
  further away is another program. Bigrams, not the pairs' 8-grams, because hook regions are short functions where
  a real edit (a loop -> sum()) leaves few 8-grams intact.
- **The same interface**: a function keeps its name, its parameters and its decorators, and the suggestion is that
  one function (no statements added around it): callers must not notice the edit.
- **No new effects**: no kind of effect the input did not have: reading stdin (input(), sys.stdin), writing output
  (print, sys.stdout/stderr), files and processes (open, os.remove, os.system...), dynamic code (eval, exec,
  compile, __import__), exiting. Swapping input() for sys.stdin.readline is a speed edit; adding I/O is not.
- **No new undefined names**: every name the suggestion reads is bound somewhere in it, a builtin, or already
  read unbound by the input (a global of the file): a model that renames a loop variable and keeps reading the old
  name has broken the code, whatever else it does.
- **No number used as a container**: a name whose every assignment is a number (``seen = 0``, ``seen += 1``,
  ``seen = len(xs)``) must
  not be searched (``x in seen``), indexed, iterated or have methods called (``seen.append``) where the input did
  not do so: the model swapped a list for a counter and kept the list's uses.
- **Something to speed up**: a region of only imports, docstrings and ``pass`` gets no hint.

Returns the reason a suggestion is refused (a short phrase; the runtime counts them), or None when it may be shown.
"""

from __future__ import annotations

import ast
import builtins

from speedhints.model_export.similarity import code_tokens, rouge_n
from speedhints.model_export.source import parse_python, parse_quietly

RULES_VERSION = 5  # bump when the checks change: cached hints were filtered by the old ones
MIN_SIMILARITY = 0.38  # ROUGE-2 F1 (see above)
SIMILARITY_N = 2
# A called builtin or an attribute anywhere -> the kind of effect it has.
EFFECT_CALLS = {"input": "reads stdin", "print": "writes output", "open": "touches files", "eval": "runs dynamic code",
                "exec": "runs dynamic code", "compile": "runs dynamic code", "__import__": "runs dynamic code",
                "exit": "exits", "quit": "exits", "breakpoint": "runs dynamic code"}  # fmt: skip
EFFECT_ATTRS = {"stdin": "reads stdin", "stdout": "writes output", "stderr": "writes output", "exit": "exits",
                "system": "touches files", "popen": "touches files", "remove": "touches files",
                "unlink": "touches files", "rmtree": "touches files"}  # fmt: skip


def refusal(original: str, suggestion: str, canonical_in: str, canonical_out: str) -> str | None:
    """Why ``suggestion`` (user names, parses) must not be shown as an edit of ``original``; None if it may."""
    try:
        # The region's tree is asked for once per candidate: remembered. A candidate is parsed once, quietly.
        before, after = parse_python(original), parse_quietly(suggestion)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "does not parse"
    if not _has_work(before):
        return "nothing to speed up"
    if rouge_n(code_tokens(canonical_in), code_tokens(canonical_out), SIMILARITY_N) < MIN_SIMILARITY:
        return "a rewrite, not an edit"
    functions = [s for s in before.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]
    if len(before.body) == 1 and functions:
        if len(after.body) != 1 or not isinstance(after.body[0], ast.FunctionDef | ast.AsyncFunctionDef):
            return "changes the function's interface"
        if _interface(functions[0]) != _interface(after.body[0]):
            return "changes the function's interface"
    added = _effects(after) - _effects(before)
    if added:
        return f"new effect: {sorted(added)[0]}"
    undefined = _free_names(after) - _free_names(before)
    if undefined:
        return f"reads undefined name {sorted(undefined)[0]}"
    misused = _numbers_as_containers(after) - _numbers_as_containers(before)
    if misused:
        return f"uses number {sorted(misused)[0]} as a container"
    return None


NUMBER_CALLS = frozenset({"sum", "len", "int", "float", "abs", "round", "ord"})  # builtins that return a number


def _is_number(value: ast.expr) -> bool:
    if isinstance(value, ast.Constant):
        return isinstance(value.value, int | float) and not isinstance(value.value, bool)
    if isinstance(value, ast.UnaryOp):
        return _is_number(value.operand)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id in NUMBER_CALLS
    return False


_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.Div, ast.Pow)


def _is_self_arithmetic(value: ast.expr, name: str) -> bool:
    """``name + 1``, ``2 * name``: arithmetic of the name with a number literal (``count = count + 1``)."""
    if not isinstance(value, ast.BinOp) or not isinstance(value.op, _ARITHMETIC):
        return False
    sides = (value.left, value.right)
    return any(isinstance(x, ast.Name) and x.id == name for x in sides) and any(_is_number(x) for x in sides)


def _numbers_as_containers(tree: ast.Module) -> set[str]:
    """Names only ever assigned number literals (or updated with arithmetic) that are used like containers."""
    numeric: set[str] = set()
    other: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    arithmetic = _is_number(node.value) or _is_self_arithmetic(node.value, target.id)
                    (numeric if arithmetic else other).add(target.id)
                else:
                    other.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and isinstance(node.target, ast.Name):
            (numeric if node.value is not None and _is_number(node.value) else other).add(node.target.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            if not isinstance(node.op, _ARITHMETIC):
                other.add(node.target.id)
        elif isinstance(node, ast.For | ast.comprehension):
            other.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.arg):
            other.add(node.arg)
        elif isinstance(node, ast.alias):
            other.add((node.asname or node.name).split(".")[0])
    numbers = numeric - other
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.Name) and right.id in numbers:
                    used.add(right.id)
        elif isinstance(node, ast.Subscript | ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in numbers and not (isinstance(node, ast.Attribute) and node.attr in _NUMBER_ATTRS):
                used.add(node.value.id)
        elif (isinstance(node, ast.For | ast.comprehension) and isinstance(node.iter, ast.Name)
              and node.iter.id in numbers):
            used.add(node.iter.id)
    return used


_NUMBER_ATTRS = frozenset(a for a in dir(0) + dir(0.0) if not a.startswith("_"))


BUILTINS = frozenset(dir(builtins))


def _free_names(tree: ast.Module) -> set[str]:
    """Names read but bound nowhere in ``tree`` (flow- and scope-insensitive: an over-approximation of binding,
    so only names that can never be bound here count)."""
    read: set[str] = set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            bound.update(node.names)
    return read - bound - BUILTINS


def _has_work(tree: ast.Module) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom | ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring or a bare literal
        return True
    return False


def _interface(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    # The signature as written (names, defaults, annotations, kinds) and the decorators, minus the body.
    return f"{type(fn).__name__} {fn.name} {ast.dump(fn.args)} {[ast.dump(d) for d in fn.decorator_list]}"


def _effects(tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in EFFECT_CALLS:
            out.add(EFFECT_CALLS[node.func.id])
        elif isinstance(node, ast.Attribute) and node.attr in EFFECT_ATTRS:
            out.add(EFFECT_ATTRS[node.attr])
    return out
