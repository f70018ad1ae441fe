"""What a speed edit leaves alone: docstrings, comments away from the edit, constants, and what a module or class
exports.

What broke when users tried hints: a csv dialect's ``delimiter = '\\t'`` became a list, and hints re-printed the
user's function without its docstring and comments (the canonical form drops both, and the runtime shows the
decanonicalised candidate as the replacement of the whole region). None of that makes code faster:

- ``deleted_docstrings``: a module, class or function docstring of the input missing from the suggestion.
- ``deleted_comments``: a comment on, or just above, a statement the suggestion leaves unchanged, missing from it.
  Comments on the statements the edit changes may go with them (they described the old code). The statements are
  aligned on their ASTs (positions and layout ignored), so a suggestion that keeps the user's lines outside its
  hunks, comments included, passes: the check judges what the user would see, not how it was produced.
- ``rewritten_constants``: a top-level (module or class body) ``NAME = literal`` given another value, or an edit
  whose only change is the value of one or more ``name = literal`` assignments: that changes behaviour, never speed.
- ``changed_exports``: at class level any name added or removed (class attributes are reached from outside); at
  module level a public name it assigns or defines removed (importers break; adding one, such as
  ``input = sys.stdin.readline``, breaks nothing; loop variables are temporaries), or ``__all__`` changed. A
  module whose top-level code reads stdin or prints is a script: nobody imports its names, only ``__all__``
  counts. Function regions keep their interface by another check. A part of a long function (parts.py) binds
  exactly the same of the names the rest of its function reads (``live``), no more, no fewer: what it binds is
  what the code after it sees.
"""

from __future__ import annotations

import ast
import copy
import difflib
import io
import tokenize
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

_BODIES = ("body", "orelse", "handlers", "finalbody", "cases")


def deleted_docstrings(before: ast.Module, after: ast.Module) -> list[str]:
    missing = Counter(_docstrings(before)) - Counter(_docstrings(after))
    return [_short(d) for d in missing]


def _docstrings(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
                    first.value.value, str):
                yield first.value.value


# -- comments ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Stmt:
    key: str  # the statement without positions, layout or body: what "unchanged" compares
    first: int  # first line (a decorator's, for a def)
    last: int  # last line of a simple statement, or of a compound statement's header


def deleted_comments(original: str, before: ast.Module, suggestion: str, after: ast.Module) -> list[str]:
    """Comments of ``original`` attached to statements the suggestion keeps unchanged that it does not keep."""
    comments = _comments(original)
    if not comments:
        return []
    old, new = _statements(before.body), _statements(after.body)
    matcher = difflib.SequenceMatcher(None, [s.key for s in old], [s.key for s in new], autojunk=False)
    unchanged = {i for tag, i1, i2, _, _ in matcher.get_opcodes() if tag == "equal" for i in range(i1, i2)}
    kept = Counter(text for _, text, _ in _comments(suggestion))
    missing: list[str] = []
    for line, text, own_line in comments:
        owner = _owner(old, line, own_line)
        if owner is not None and owner in unchanged:
            if kept[text] > 0:
                kept[text] -= 1
            else:
                missing.append(_short(text))
    return missing


def _comments(text: str) -> list[tuple[int, str, bool]]:
    """(line, text, alone on its line) of every comment; none if the text does not tokenize."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out.append((tok.start[0], tok.string.strip(), not tok.line[: tok.start[1]].strip()))
    except (tokenize.TokenError, SyntaxError):
        return []
    return out


def _statements(body: list[ast.stmt], depth: int = 0) -> list[_Stmt]:
    """Every statement in order, nested ones included, each keyed without its body."""
    out: list[_Stmt] = []
    for stmt in body:
        bodies = _bodies(stmt)
        if bodies:
            shell = _without_bodies(stmt)
            first_inner = min((b[0].lineno for b in bodies if b), default=stmt.lineno + 1)
            header_last = max(stmt.lineno, first_inner - 1)
            out.append(_Stmt(f"{depth}:{ast.dump(shell)}", _first_line(stmt), header_last))
            for b in bodies:
                out.extend(_statements(b, depth + 1))
        else:
            out.append(_Stmt(f"{depth}:{ast.dump(stmt)}", _first_line(stmt), stmt.end_lineno or stmt.lineno))
    return out


def _bodies(stmt: ast.stmt) -> list[list[ast.stmt]]:
    """The non-empty statement lists nested in ``stmt`` (body, orelse, handlers' and cases' bodies...)."""
    return [b for f in _BODIES for b in _stmt_lists(getattr(stmt, f, None))]


def _without_bodies(stmt: ast.stmt) -> ast.stmt:
    """A shallow copy of ``stmt`` whose statement lists are empty: its header alone."""
    shell = copy.copy(stmt)
    for f in _BODIES:
        if hasattr(shell, f):
            setattr(shell, f, [])
    return shell


def _stmt_lists(value: object) -> Iterator[list[ast.stmt]]:
    if isinstance(value, list) and value:
        if isinstance(value[0], ast.stmt):
            yield value
        elif isinstance(value[0], ast.excepthandler | ast.match_case):
            for part in value:
                yield part.body


def _first_line(stmt: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _owner(stmts: list[_Stmt], line: int, own_line: bool) -> int | None:
    """The statement a comment belongs to: the innermost one whose line it is on, or, for a comment on a line
    of its own, the next statement (comments describe what follows them), else the last one before it."""
    if not own_line:
        on = [i for i, s in enumerate(stmts) if s.first <= line <= s.last]
        return on[-1] if on else None
    after = [i for i, s in enumerate(stmts) if s.first > line]
    if after:
        return after[0]
    return len(stmts) - 1 if stmts else None


# -- constants ---------------------------------------------------------------------------------------------------
def _is_literal(node: ast.expr) -> bool:
    """A constant value: literals, arithmetic of them, displays of them, and named constants (``csv.QUOTE_ALL``)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) or (isinstance(node.value, ast.Attribute) and _is_literal(node.value))
    if isinstance(node, ast.UnaryOp):
        return _is_literal(node.operand)
    if isinstance(node, ast.BinOp):
        return _is_literal(node.left) and _is_literal(node.right)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_literal(k) for k in node.keys) and all(_is_literal(v) for v in node.values)
    return False


def _top_constants(body: list[ast.stmt]) -> dict[str, set[str]]:
    """Constants of a module or class body: name -> the dumps of the values its top-level statements assign to
    it, for names bound exactly once in the whole body to an immutable literal (``delimiter = '\\t'``,
    ``MOD = 10 ** 9 + 7``). ``seen = []`` or a counter ``r = 1`` rebound in a loop are variables: their first
    value may change with an edit (``seen = set()``)."""
    bound = Counter(n.id for n in ast.walk(ast.Module(body=body, type_ignores=[]))
                    if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load))
    out: dict[str, set[str]] = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            for t in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                if isinstance(t, ast.Name) and bound[t.id] == 1 and _is_immutable_literal(stmt.value):
                    out[t.id] = {ast.dump(stmt.value)}
    return out


def _is_immutable_literal(node: ast.expr) -> bool:
    return _is_literal(node) and not any(isinstance(n, ast.List | ast.Set | ast.Dict) for n in ast.walk(node))


def _assigned_values(body: list[ast.stmt]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            for t in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, set()).add(ast.dump(stmt.value))
    return out


def rewritten_constants(before: ast.Module, after: ast.Module, top_level: bool) -> list[str]:
    """Names whose constant value the suggestion changes (see the module's docstring)."""
    out: list[str] = []
    if top_level:
        new = _assigned_values(after.body)
        out = [name for name, values in _top_constants(before.body).items() if name in new and not values & new[name]]
    if out:
        return out
    # Anywhere: an edit that only changes the values of ``name = literal`` assignments.
    old_s, new_s = _flat(before.body), _flat(after.body)
    matcher = difflib.SequenceMatcher(None, [ast.dump(s) for s in old_s], [ast.dump(s) for s in new_s],
                                      autojunk=False)
    changed = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changed or any(tag != "replace" or i2 - i1 != j2 - j1 for tag, i1, i2, j1, j2 in changed):
        return []
    names: list[str] = []
    for _, i1, i2, j1, j2 in changed:
        for a, b in zip(old_s[i1:i2], new_s[j1:j2], strict=True):
            if not (isinstance(a, ast.Assign) and isinstance(b, ast.Assign) and _is_literal(a.value)
                    and [ast.dump(t) for t in a.targets] == [ast.dump(t) for t in b.targets]):
                return []
            names.extend(t.id for t in a.targets if isinstance(t, ast.Name))
    return names or ["<target>"]


def _flat(body: list[ast.stmt]) -> list[ast.stmt]:
    """Simple statements in order, nested ones included (compound statements as their bodies)."""
    out: list[ast.stmt] = []
    for stmt in body:
        lists = _bodies(stmt)
        if lists:
            out.append(_without_bodies(stmt))
            for b in lists:
                out.extend(_flat(b))
        else:
            out.append(stmt)
    return out


# -- exports -----------------------------------------------------------------------------------------------------
def changed_exports(before: ast.Module, after: ast.Module, level: str, live: frozenset[str] = frozenset()) -> list[str]:
    """Names whose export the suggestion changes (see the module's docstring). ``level``: "class", "module",
    "script" (a module whose top-level code does I/O: nobody imports its names, only ``__all__`` counts), or "part"
    (a part of a function: the names of ``live`` it binds)."""
    if _all_value(before) != _all_value(after):
        return ["__all__"]
    if level == "part":
        return sorted((_bound_in_scope(before.body) ^ _bound_in_scope(after.body)) & live)
    if level == "class":
        return sorted(_bound(before.body, loops=True) ^ _bound(after.body, loops=True))
    if level == "module":
        # Imports count: the module's functions and its importers read them (a hint that replaced textwrap's
        # ``import re`` by a list literal passed every other check and broke the module).
        # Rebinding one (``re = []``) is as bad as deleting it.
        gone = (_bound(before.body, imports=True) - _bound(after.body, imports=True)) | (
            _imported(before) - _imported(after))
        return sorted(n for n in gone if not n.startswith("_"))
    return []


def _imported(tree: ast.Module) -> set[str]:
    """Names the module's top-level code binds by an import (in ``if``/``try`` blocks too; not inside defs)."""
    out: set[str] = set()
    todo = list(tree.body)
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            out.update((a.asname or a.name).partition(".")[0] for a in stmt.names)
        elif not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            todo += [s for f in _BODIES for lst in _stmt_lists(getattr(stmt, f, None)) for s in lst]
    return out


def _bound(body: list[ast.stmt], loops: bool = False, imports: bool = False) -> set[str]:
    """Names a module or class body defines: assignment targets, defs and classes, also inside ``if``/``try``/
    ``with`` blocks (``try: import json`` / ``except: json = None``); loop targets only when ``loops`` (a class
    body's loop variables become attributes; a module's are temporaries); imported names when ``loops`` or
    ``imports``."""
    out: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            for t in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                out.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load))
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(stmt.name)
        elif isinstance(stmt, ast.Import | ast.ImportFrom) and (loops or imports):
            out.update((a.asname or a.name).partition(".")[0] for a in stmt.names)
        elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While) and not loops:
            continue
        if isinstance(stmt, ast.For | ast.AsyncFor) and loops:
            out.update(n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name))
        for lst in (b for f in _BODIES for b in _stmt_lists(getattr(stmt, f, None))):
            out |= _bound(lst, loops, imports)
    return out


def _bound_in_scope(body: list[ast.stmt]) -> set[str]:
    """Every name the statements bind in their own scope: targets of any kind (loops, ``with``, ``except``,
    walrus, ``match`` captures, ``del``), imports, defs and classes; not names bound inside a nested def, lambda,
    class body or comprehension."""
    out: set[str] = set()
    todo: list[ast.AST] = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            out.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
            todo.extend([*node.decorator_list, *getattr(node, "bases", []), *getattr(node, "keywords", [])])
            if not isinstance(node, ast.ClassDef):
                todo.extend([*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)])
            continue
        elif isinstance(node, ast.Import | ast.ImportFrom):
            out.update((a.asname or a.name).partition(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            out.add(node.name)
        elif isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            continue  # their own scope (a walrus inside binds outside, rare enough to leave)
        todo.extend(ast.iter_child_nodes(node))
    return out


def _all_value(tree: ast.Module) -> list[str]:
    return [ast.dump(s) for s in ast.walk(tree) if isinstance(s, ast.Assign | ast.AugAssign | ast.AnnAssign)
            and any(isinstance(t, ast.Name) and t.id == "__all__"
                    for t in (s.targets if isinstance(s, ast.Assign) else [s.target]))]


def _short(text: str, limit: int = 40) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."
