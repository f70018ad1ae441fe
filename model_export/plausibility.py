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
- **No name read before it is bound**: every name the suggestion reads is bound on every path before the read
  (flow.py: parameters, earlier assignments, loop targets, imports, ``with``/``except`` targets, comprehension
  targets), a builtin, or read unbound by the input too (then the file around the region provides it): a model
  that drops ``best = 0`` and keeps ``best = min(best, x)`` has broken the code, whatever else it does.
- **It compiles** where it will live: ``break`` outside a loop, ``return`` at module level, ``nonlocal`` without
  an enclosing function parse but do not compile.
- **No runaway constants** (constants.py): ``range(2 ** 50001)``, ``5 ** 5 ** 5 ** 5``, ``'a' * 10 ** 12``, folded
  with a size bound, never evaluated unbounded.
- **No type errors** (typecheck.py): operations a cheap local type inference shows Python refuses (``str + int``,
  ``list += int``, indexing an int, ``list >= str``, ``range(n / 2)``).
- **No number used as a container**: a name whose every assignment is a number (``seen = 0``, ``seen += 1``,
  ``seen = len(xs)``) must
  not be searched (``x in seen``), indexed, iterated or have methods called (``seen.append``) where the input did
  not do so: the model swapped a list for a counter and kept the list's uses.
- **No comparison of a value with itself**: ``if m == m:`` where the input computed a digit sum (a hint the
  shipped model showed at min-precision 0, which then looped past the time limit) is always true; a new
  comparison whose two sides are the same side-effect-free expression is a broken edit, not a speed-up.
- **What an edit leaves alone** (kept.py): the module's or class's exported names and ``__all__``, constants'
  values, docstrings, and comments on the statements the edit does not change.
- **Something to speed up**: a region of only imports, docstrings and ``pass`` gets no hint.

Each finding of the flow, constant and type checks counts only if the input does not have it too: the edit must
not add it (and a false alarm on the input cannot silence every edit of it).

Returns the reason a suggestion is refused, ``"<key>"`` or ``"<key>: <detail>"`` with the key one of
``REFUSAL_KEYS`` (the runtime and the hook count refusals by ``why.split(":")[0]``), or None when it may be shown.
"""

from __future__ import annotations

import ast
import builtins
import functools
import textwrap
import warnings
from dataclasses import dataclass

from speedhints.model_export.constants import runaway as runaway_constants
from speedhints.model_export.flow import UnboundRead, unbound_reads
from speedhints.model_export.kept import changed_exports, deleted_comments, deleted_docstrings, rewritten_constants
from speedhints.model_export.regions import PartOf
from speedhints.model_export.similarity import code_tokens, rouge_n
from speedhints.model_export.source import parse_python, parse_quietly
from speedhints.model_export.typecheck import type_errors

RULES_VERSION = 11  # bump when the checks change: cached hints were filtered by the old ones
# Every reason a candidate is not shown, by key, with what it means. The first six come from the runtime
# (runtime.py: the precision gate, then ``_checked``) before these checks run; the rest from ``refusal`` below, in
# the order it tries them.
REFUSAL_KEYS: dict[str, str] = {
    "below precision": "the latent's measured precision lower bound is under min_precision (not decoded)",
    "no change": "the model gave the input back",
    "only names or layout": "the candidate differs from the input only in names or layout",
    "does not parse": "the candidate is not valid Python (or is nested too deeply to check)",
    "malformed script": "an edit model's script does not parse or points outside the input's lines",
    "hunk not on the user's lines": "an edit model's hunk cannot be laid exactly on the user's own lines",
    "compile error": "it parses but Python will not compile it (break outside a loop, return at module level...)",
    "nothing to speed up": "the region holds only imports, docstrings and pass",
    "a rewrite, not an edit": "too little of the input is left: another program, not an edit of this one",
    "changes the function's interface": "a different name, parameters or decorators, or code added around it",
    "changes exports": "a module-level name removed, a class-level name added or removed, __all__ changed, or a "
                       "part of a long function binding other names that the rest of the function reads",
    "new effect": "a kind of effect the input did not have (I/O, files, processes, dynamic code, exiting)",
    "undefined name": "it reads a name that some path has not bound (NameError or UnboundLocalError)",
    "runaway constant": "a literal expression past the size bounds (range(2 ** 50001), 'a' * 10 ** 12)",
    "number as container": "a name only ever given numbers is searched, indexed, iterated or has methods called",
    "compares a value with itself": "a new comparison of an expression with itself (if m == m:): its answer never "
                                    "depends on the data",
    "type error": "an operation the inferred types make impossible (str + int, list += int, int[...])",
    "rewrites a constant": "a module or class constant gets another value, or only a literal's value changes",
    "deletes docstring": "a docstring of the input is gone",
    "deletes comment": "a comment on a statement the edit does not change is gone",
}
MIN_SIMILARITY = 0.38  # ROUGE-2 F1 (see above)
SIMILARITY_N = 2
# A called builtin or an attribute anywhere -> the kind of effect it has.
EFFECT_CALLS = {"input": "reads stdin", "print": "writes output", "open": "touches files", "eval": "runs dynamic code",
                "exec": "runs dynamic code", "compile": "runs dynamic code", "__import__": "runs dynamic code",
                "exit": "exits", "quit": "exits", "breakpoint": "runs dynamic code"}  # fmt: skip
EFFECT_ATTRS = {"stdin": "reads stdin", "stdout": "writes output", "stderr": "writes output", "exit": "exits",
                "system": "touches files", "popen": "touches files", "remove": "touches files",
                "unlink": "touches files", "rmtree": "touches files"}  # fmt: skip


def refusal(original: str, suggestion: str, canonical_in: str, canonical_out: str, *,
            region: str = "<module>", part: PartOf | None = None) -> str | None:
    """Why ``suggestion`` (user names, parses) must not be shown as an edit of ``original``; None if it may.

    ``region`` is the region's name (runtime regions: "<module>", a class name for class-level statements, the
    function's name): it tells a class body from a module. ``part`` is set for a run of statements cut out of a
    long function (parts.py): it compiles inside a def (and a loop, where it lies in one), and it must bind the same
    names that the rest of the function reads. The reason is ``"<key>"`` or ``"<key>: <detail>"``, the key one of
    REFUSAL_KEYS."""
    try:
        # The region's tree is asked for once per candidate: remembered. A candidate is parsed once, quietly.
        before, after = parse_python(original), parse_quietly(suggestion)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "does not parse"
    try:
        return _refusal(original, suggestion, canonical_in, canonical_out, region, before, after, part)
    except RecursionError:  # the checks walk trees recursively; code this deep is not a hint anyone can read
        return "does not parse: nested too deeply to check"


def _refusal(original: str, suggestion: str, canonical_in: str, canonical_out: str, region: str,
             before: ast.Module, after: ast.Module, part: PartOf | None = None) -> str | None:
    if part is None:
        why = _compile_error(original, suggestion, before, after)
    else:  # ``return``, ``yield``, ``await``, ``break`` of a part compile where the part lives, not at module level
        why = _compile_error(_in_def(original, before, part), _in_def(suggestion, after, part), before, after)
    if why is not None:
        return f"compile error: {why}"
    if not _has_work(before):
        return "nothing to speed up"
    if rouge_n(code_tokens(canonical_in), code_tokens(canonical_out), SIMILARITY_N) < MIN_SIMILARITY:
        return "a rewrite, not an edit"
    functions = [s for s in before.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]
    is_function = len(before.body) == 1 and bool(functions)
    if is_function:
        if len(after.body) != 1 or not isinstance(after.body[0], ast.FunctionDef | ast.AsyncFunctionDef):
            return "changes the function's interface"
        if _interface(functions[0]) != _interface(after.body[0]):
            return "changes the function's interface"
    elif part is not None:
        rebound = changed_exports(before, after, "part", part.live)
        if rebound:
            return f"changes exports: {rebound[0]} (the rest of the function reads it)"
    else:
        script = bool({"reads stdin", "writes output"} & _effects(before))
        level = "class" if region != "<module>" else "script" if script else "module"
        exports = changed_exports(before, after, level)
        if exports:
            return f"changes exports: {exports[0]}"
    added = _effects(after) - _effects(before)
    if added:
        return f"new effect: {sorted(added)[0]}"
    facts = _input_facts(original)
    undefined = _undefined(facts.unbound, after)
    if undefined:
        return f"undefined name: {undefined}"
    runaway = _new(runaway_constants(after), facts.runaway)
    if runaway:
        return f"runaway constant: {runaway}"
    misused = _numbers_as_containers(after) - _numbers_as_containers(before)
    if misused:
        return f"number as container: {sorted(misused)[0]}"
    same = _new(_self_comparisons(after), _self_comparisons(before))
    if same:
        return f"compares a value with itself: {same}"
    impossible = _new(type_errors(after), facts.type_errors)
    if impossible:
        return f"type error: {impossible}"
    constants = rewritten_constants(before, after, top_level=not is_function and part is None)
    if constants:
        return f"rewrites a constant: {constants[0]}"
    docstrings = deleted_docstrings(before, after)
    if docstrings:
        return f"deletes docstring: {docstrings[0]}"
    comments = deleted_comments(original, before, suggestion, after)
    if comments:
        return f"deletes comment: {comments[0]}"
    return None


def _new(found: list[str], had: list[str]) -> str | None:
    """The first of ``found`` that ``had`` does not list: the input's own findings are not the edit's doing (and a
    false alarm on the input cannot refuse every edit of it)."""
    old = set(had)
    return next((f for f in found if f not in old), None)


def _compile_error(original: str, suggestion: str, before: ast.Module, after: ast.Module) -> str | None:
    """Why Python would not compile the suggestion where the region lives; None if it would.

    A region (runtime regions: a function, or a run of module- or class-level statements) is compiled on its own
    at column 0, which is its context as far as compiling goes: a def compiles the same anywhere, and ``return``,
    ``break`` or ``await`` that are wrong at module level are wrong in a class body too. One thing does depend on
    the file: ``from __future__`` must open it, so a future import the input did not have is refused. An input
    that does not compile alone (something this reasoning missed) is not held against its suggestions."""
    if _compiles(original) is not None:
        return None
    futures = {a.name for t in (before, after) for s in t.body if isinstance(s, ast.ImportFrom)
               and s.module == "__future__" for a in s.names}
    new_futures = futures - {a.name for s in before.body if isinstance(s, ast.ImportFrom)
                             and s.module == "__future__" for a in s.names}
    if new_futures:
        return f"from __future__ import {sorted(new_futures)[0]} is not at the top of the file"
    return _compiles(suggestion)


def _in_def(code: str, tree: ast.Module, part: PartOf) -> str:
    """``code``, a part of a function, inside a def (async when its def is), inside a loop when the part lies in
    one, inside an outer def binding its ``nonlocal`` names: where ``compile`` judges it as it would in the file."""
    body = f"while True:\n{textwrap.indent(code, '    ')}" if part.in_loop else code
    body = f"{'async ' if part.is_async else ''}def _speedhints_part():\n{textwrap.indent(body, '    ')}"
    outer = sorted({n for node in ast.walk(tree) if isinstance(node, ast.Nonlocal) for n in node.names})
    if outer:
        bind = "".join(f"    {n} = None\n" for n in outer)
        body = f"def _speedhints_outer():\n{bind}{textwrap.indent(body, '    ')}"
    return body


@functools.lru_cache(maxsize=64)
def _compiles(code: str) -> str | None:
    """The compiler's complaint (one line), or None. dont_inherit: this module's own future imports must not
    change what compiles. CPython folds constants with its own size limits, so a runaway constant costs nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(code, "<suggestion>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            return (exc.msg or "invalid syntax").splitlines()[0]
        except (ValueError, RecursionError, MemoryError) as exc:
            return (str(exc) or type(exc).__name__).splitlines()[0]
    return None


@dataclass(frozen=True)
class _InputFacts:
    unbound: list[UnboundRead]
    runaway: list[str]
    type_errors: list[str]


@functools.lru_cache(maxsize=16)
def _input_facts(original: str) -> _InputFacts:
    """What the input itself has, found once per region (the runtime checks up to 64 candidates of each)."""
    before = parse_python(original)
    return _InputFacts(unbound_reads(before), runaway_constants(before), type_errors(before))


def _undefined(provided: list[UnboundRead], after: ast.Module) -> str | None:
    """A name the suggestion reads where some path has not bound it, that the input does not read so too.

    Names the input reads without binding them come from around the region (globals of the file, other
    functions): the context provides them. A local read before its binding is an error whatever the context
    holds, so it is excused only if the input had the same local read."""
    anywhere = {r.name for r in provided}
    as_local = {r.name for r in provided if r.local}
    for r in unbound_reads(after):
        if (r.local and r.name not in as_local) or (
                not r.local and r.name not in anywhere and r.name not in BUILTINS):
            return str(r.name)
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


_PURE = (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Slice, ast.Tuple, ast.Load, ast.expr_context,
         ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop)


def _self_comparisons(tree: ast.Module) -> list[str]:
    """``a OP a`` for the same side-effect-free expression on both sides (names, attributes, subscripts,
    constants and arithmetic on them: no calls), as source text."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = node.left, node.comparators[0]
            if ast.dump(left) == ast.dump(right) and all(isinstance(n, _PURE) for n in ast.walk(left)):
                out.append(ast.unparse(node))
    return out


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
