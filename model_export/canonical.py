"""The canonical form of a program (the paper's section 2.2), made reversible.

``canonicalize(src)`` strips comments and docstrings, normalises layout (``ast.unparse``), renames user-defined
names to indexed placeholders in order of first appearance (``v0``, ``v1``, ... for variables and parameters, ``f0``,
... for functions, ``c0``, ... for classes) and string literals, f-string text included, to ``s0``, ``s1``, ...; it
returns the mapping. ``decanonicalize(code, canonical)`` maps canonical code (for example a model's output) back to
the user's names and strings; placeholders the input never had get fresh names that clash with nothing. ``lossy(src)``
is the paper's own irreversible form (every variable ``v``, function ``f``, class ``c``, string ``'STRING'``).

Training and inference both import this module, so a program is canonicalised the same way on both sides.
What is kept: builtins, imported modules and names, unresolved globals, attributes, keywords, dunders, numbers,
bytes, class-level names (they are reached as attributes), string constants inside ``match`` patterns and f-string
format specs (they are syntax there, not text). Scoping rules: see ``scopes.py``. Not restored by the round trip:
comments, layout, docstrings and the ``u''`` string prefix (a no-op in Python 3).
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
import warnings
from dataclasses import dataclass, field

from speedhints.model_export.scopes import Analysis, Occurrence, analyse

PLACEHOLDER = re.compile(r"^([vfcs])(\d+)$")
_KIND_PREFIX = {"var": "v", "param": "v", "function": "f", "class": "c"}
_FRESH_BASE = {"v": "var", "f": "func", "c": "Cls", "s": "text"}


class CanonicalError(ValueError):
    """Source or canonical code that cannot be (de)canonicalised; ``str(exc)`` is one line."""


@dataclass(frozen=True)
class Canonical:
    code: str
    names: dict[str, str] = field(default_factory=dict)  # placeholder -> user identifier ("v0" -> "total")
    strings: dict[str, str] = field(default_factory=dict)  # placeholder -> string value ("s0" -> "YES")
    # Kept names of the input that look like placeholders (an unresolved global called s0): they mean themselves.
    reserved: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "names": self.names, "strings": self.strings, "reserved": list(self.reserved)}


def parse(src: str) -> ast.Module:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(src)
    except SyntaxError as exc:
        raise CanonicalError(f"not valid Python 3: {exc.msg} at line {exc.lineno}") from None
    except (RecursionError, MemoryError):
        raise CanonicalError("code is nested too deeply to parse") from None
    except ValueError as exc:
        raise CanonicalError(f"not valid Python 3: {exc}") from None


def strip_docstrings(tree: ast.Module) -> ast.Module:
    """Remove module, class and function docstrings in place (an emptied body becomes ``pass``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and _is_docstring(body[0]):
                del body[0]
                if not body:
                    body.append(ast.Pass())
    return tree


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def unparse(tree: ast.AST) -> str:
    # No ast.fix_missing_locations first: unparse never reads locations, and filling them in cost 15 % of
    # canonicalising (measured on the regions of 60 stdlib modules: same output for all 2,868 of them).
    try:
        code = ast.unparse(tree)
    except RecursionError:
        raise CanonicalError("code is nested too deeply to print") from None
    return code + "\n" if code else code


# --------------------------------------------------------------------------------------------------------------
# canonicalize
# --------------------------------------------------------------------------------------------------------------


def canonicalize(src: str, like: Canonical | None = None) -> Canonical:
    """``like``: the canonical form of the other side of an edit (the input a pair's target was edited from). Names
    and strings the two programs share then get ``like``'s placeholders, and new ones the next free indices, so a
    one-line edit stays one line in canonical form. Canonicalised on their own, an edit that adds a loop variable
    renumbers every placeholder after it (``v5`` becomes ``v6`` down to the end) and reads as a rewrite of the rest
    of the program. The runtime needs no such seed: the model writes its script in the input's own placeholders,
    and placeholders the input lacks get fresh names (``decanonicalize``)."""
    tree = strip_docstrings(parse(src))
    analysis = analyse(tree)
    renames = _plan_renames(tree, analysis, like)
    names: dict[str, str] = {}  # placeholder -> identifier
    for occ, placeholder in renames.items():
        names.setdefault(placeholder, occ.name)
        _set_name(occ, placeholder)
    _rename_keywords(tree, analysis, renames)
    kept = _kept_names(analysis, renames)
    strings = _replace_strings(tree, kept, like)
    reserved = tuple(sorted(name for name in kept if PLACEHOLDER.match(name)))
    return Canonical(unparse(tree), names, strings, reserved)


def _kept_names(analysis: Analysis, renames: dict[Occurrence, str]) -> set[str]:
    return {occ.name for occ in analysis.occurrences if occ not in renames}


def _plan_renames(tree: ast.Module, analysis: Analysis, like: Canonical | None = None) -> dict[Occurrence, str]:
    """Decide a placeholder for every occurrence that resolves to a user binding (``like``'s where it had one)."""
    user: list[tuple[Occurrence, str]] = []  # (occurrence, prefix)
    for occ in analysis.occurrences:
        prefix = _user_prefix(occ, analysis)
        if prefix is not None:
            user.append((occ, prefix))
    # Every name written somewhere without being renamed (a builtin, an import, a class attribute called f1) is
    # reserved: no placeholder may take its spelling, even when the same name is renamed elsewhere.
    renamed = {id(occ) for occ, _ in user}
    kept = {occ.name for occ in analysis.occurrences if id(occ) not in renamed}
    counters = {"v": 0, "f": 0, "c": 0}
    by_name: dict[str, str] = {}
    seeded: dict[str, str] = {}  # identifier -> like's placeholder
    if like is not None:
        for placeholder, name in like.names.items():
            m = PLACEHOLDER.match(placeholder)
            if m and m.group(1) in counters:
                seeded[name] = placeholder
                counters[m.group(1)] = max(counters[m.group(1)], int(m.group(2)) + 1)
    plan: dict[Occurrence, str] = {}
    for occ, prefix in user:
        found = by_name.get(occ.name)
        if found is None:
            same = seeded.get(occ.name, "")
            # like's placeholder for the same name of the same kind; else the next free one
            found = same if same[:1] == prefix and same not in kept else _next_placeholder(prefix, counters, kept)
            by_name[occ.name] = found
        plan[occ] = found
    return plan


def _user_prefix(occ: Occurrence, analysis: Analysis) -> str | None:
    if occ.name.startswith("__") and occ.name.endswith("__"):
        return None
    found = analysis.resolve(occ)
    if found is None:
        return None  # a builtin or an unresolved global
    scope, kinds = found
    if "import" in kinds or scope.kind == "class":
        return None
    # The kind of the binding decides the prefix: a def makes a function even where the name is also assigned.
    for kind in ("class", "function", "param", "var"):
        if kind in kinds:
            return _KIND_PREFIX[kind]
    return None


def _next_placeholder(prefix: str, counters: dict[str, int], kept: set[str]) -> str:
    # Skip an index whose placeholder is already a kept name in this file (an import called v3, say).
    while True:
        candidate = f"{prefix}{counters[prefix]}"
        counters[prefix] += 1
        if candidate not in kept:
            return candidate


def _set_name(occ: Occurrence, new: str) -> None:
    node = occ.node
    if occ.slot.startswith("names["):
        index = int(occ.slot[6:-1])
        node.names[index] = new
    else:
        setattr(node, occ.slot, new)


def _rename_keywords(tree: ast.Module, analysis: Analysis, renames: dict[Occurrence, str]) -> None:
    """``f(x=1)`` names f's parameter x: rename the keyword where f is a user function or class."""
    renamed_nodes = {id(occ.node): placeholder for occ, placeholder in renames.items() if occ.slot == "id"}
    by_name = {occ.name: placeholder for occ, placeholder in renames.items()}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and id(node.func) in renamed_nodes:
            for kw in node.keywords:
                if kw.arg is not None and kw.arg in by_name:
                    kw.arg = by_name[kw.arg]


class _StringReplacer(ast.NodeTransformer):
    def __init__(self, kept: set[str], like: Canonical | None = None) -> None:
        self.kept = kept
        self.by_value: dict[str, str] = {}
        self.used: set[str] = set()
        self.counter = 0
        for placeholder, value in (like.strings.items() if like is not None else ()):
            m = PLACEHOLDER.match(placeholder)
            if m and placeholder not in kept:
                self.by_value[value] = placeholder
                self.counter = max(self.counter, int(m.group(2)) + 1)

    def placeholder(self, value: str) -> ast.Name:
        self.used.add(value)
        name = self.by_value.get(value)
        if name is None:
            while f"s{self.counter}" in self.kept:
                self.counter += 1
            name = f"s{self.counter}"
            self.counter += 1
            self.by_value[value] = name
        return ast.Name(id=name, ctx=ast.Load())

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str):
            return ast.copy_location(self.placeholder(node.value), node)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        values: list[ast.expr] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                # f"Case {i}:" -> f"{s0}{v0}{s1}": the text becomes a placeholder expression.
                values.append(ast.FormattedValue(value=self.placeholder(part.value), conversion=-1, format_spec=None))
            elif isinstance(part, ast.FormattedValue):
                # The format spec stays literal, and so does a bare string expression (f"{'x'}"): as a placeholder
                # it would read back as text.
                if not (isinstance(part.value, ast.Constant) and isinstance(part.value.value, str)):
                    part.value = self.visit(part.value)
                values.append(part)
            else:
                values.append(part)
        node.values = values
        return node

    def visit_MatchValue(self, node: ast.MatchValue) -> ast.AST:
        return node  # a string in a pattern is syntax: a Name there would become a capture pattern

    def visit_MatchSingleton(self, node: ast.MatchSingleton) -> ast.AST:
        return node

    def visit_MatchMapping(self, node: ast.MatchMapping) -> ast.AST:
        node.patterns = [self.visit(p) for p in node.patterns]  # keys stay literal
        return node


def _replace_strings(tree: ast.Module, kept: set[str], like: Canonical | None = None) -> dict[str, str]:
    replacer = _StringReplacer(kept, like)
    seeded = set(replacer.by_value)
    replacer.visit(tree)
    used = replacer.used
    return {placeholder: value for value, placeholder in replacer.by_value.items()
            if value not in seeded or value in used}  # fmt: skip


# --------------------------------------------------------------------------------------------------------------
# decanonicalize
# --------------------------------------------------------------------------------------------------------------


def decanonicalize(code: str, canonical: Canonical, *, avoid: set[str] | frozenset[str] = frozenset()) -> str:
    """Map canonical code back to the user's names and strings.

    A name placeholder the mapping lacks gets a fresh name that clashes with no name in the result, in ``avoid``
    (e.g. every name of the user's file), with a builtin or with a keyword. A string placeholder the mapping lacks
    has no meaning to restore, so it is an error.
    """
    tree = parse(code)
    used = all_identifiers(tree) | set(canonical.names.values()) | set(avoid)
    fresh: dict[str, str] = {}

    def user_name(name: str) -> str:
        if name in canonical.names:
            return canonical.names[name]
        m = PLACEHOLDER.match(name)
        if m is None or m.group(1) == "s" or name in canonical.reserved:
            return name
        if name not in fresh:
            fresh[name] = _fresh_name(_FRESH_BASE[m.group(1)] + m.group(2), used)
            used.add(fresh[name])
        return fresh[name]

    _Restorer(user_name, canonical.strings, canonical.reserved).visit(tree)
    return unparse(tree)


def _fresh_name(base: str, used: set[str]) -> str:
    name = base
    while name in used or keyword.iskeyword(name) or hasattr(builtins, name):
        name += "_"
    return name


def all_identifiers(tree: ast.AST) -> set[str]:
    """Every name a tree uses or defines (variables, parameters, functions, classes, imported names)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
        elif isinstance(node, ast.alias):
            out.add((node.asname or node.name).partition(".")[0])
    return out


class _Restorer(ast.NodeTransformer):
    def __init__(self, user_name: object, strings: dict[str, str], reserved: tuple[str, ...] = ()) -> None:
        self.user_name = user_name
        self.strings = strings
        self.reserved = reserved

    def _name(self, name: str) -> str:
        return self.user_name(name)  # type: ignore[operator, no-any-return]

    def _string(self, name: str) -> str | None:
        if name in self.strings:
            return self.strings[name]
        if PLACEHOLDER.match(name) and name.startswith("s") and name not in self.reserved:
            raise CanonicalError(f"{name} is a string placeholder the input never had")
        return None

    def visit_Name(self, node: ast.Name) -> ast.AST:
        value = self._string(node.id)
        if value is not None:
            return ast.copy_location(ast.Constant(value=value), node)
        node.id = self._name(node.id)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        values: list[ast.expr] = []
        for part in node.values:
            text = None
            if (
                isinstance(part, ast.FormattedValue)
                and isinstance(part.value, ast.Name)
                and part.conversion == -1
                and part.format_spec is None
            ):
                text = self._string(part.value.id)
            if text is not None:
                last = values[-1] if values else None
                if isinstance(last, ast.Constant) and isinstance(last.value, str):
                    values[-1] = ast.Constant(value=last.value + text)  # adjacent text parts merge
                else:
                    values.append(ast.Constant(value=text))
            else:
                values.append(self.visit(part))
        node.values = values
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._name(node.arg)
        self.generic_visit(node)
        return node

    def _visit_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> ast.AST:
        node.name = self._name(node.name)
        self.generic_visit(node)
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_def

    def _visit_names(self, node: ast.Global | ast.Nonlocal) -> ast.AST:
        node.names = [self._name(n) for n in node.names]
        return node

    visit_Global = visit_Nonlocal = _visit_names

    def _visit_optional_name(self, node: ast.AST, field: str) -> ast.AST:
        """Restore the name in ``node.<field>`` where there is one (``None``: nothing is bound), then visit on."""
        name = getattr(node, field)
        if name is not None:
            setattr(node, field, self._name(name))
        self.generic_visit(node)
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        return self._visit_optional_name(node, "arg")

    def _visit_bound_name(self, node: ast.ExceptHandler | ast.MatchAs | ast.MatchStar) -> ast.AST:
        return self._visit_optional_name(node, "name")

    visit_ExceptHandler = visit_MatchAs = visit_MatchStar = _visit_bound_name

    def visit_MatchMapping(self, node: ast.MatchMapping) -> ast.AST:
        return self._visit_optional_name(node, "rest")


# --------------------------------------------------------------------------------------------------------------
# the paper's lossy form
# --------------------------------------------------------------------------------------------------------------


def lossy(src: str) -> str:
    """The paper's irreversible form: every variable ``v``, function ``f``, class ``c``, string ``'STRING'``."""
    canonical = canonicalize(src)
    names = {p: p[0] for p in canonical.names}
    strings = dict.fromkeys(canonical.strings, "STRING")
    tree = parse(canonical.code)
    _Restorer(lambda n: names.get(n, n), strings, canonical.reserved).visit(tree)
    return unparse(tree)
