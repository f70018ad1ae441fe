"""Function-level variants: run a pessimizer family on a whole module (its preconditions need the module's imports
and bindings), keep each variant that changes exactly one function unit, and substitute that pessimized function
back into the module's original text, so every other line (comments included) stays the package's own.

A variant that changes module-level code or two units is not a function-level pair and is counted, not kept.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import io
import tokenize
from collections import Counter
from dataclasses import dataclass, field

from speedhints.training.data.library.functions import FUNCTION_TYPES, _blocks, span, walk_units
from speedhints.training.data.pessimize import Family


@dataclass(frozen=True)
class FunctionVariant:
    qualname: str
    family: str
    slow_function: str  # the pessimized unit, ast.unparse text, dedented
    fast_function: str  # the original unit, ast.unparse text, dedented: the pair's target in the same layout
    module_source: str  # the module's original text with the unit's lines replaced by the pessimized unit

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.slow_function.encode()).hexdigest()


@dataclass
class FamilyCount:
    """What one family did on the modules it saw: how often it applied at function level and what was dropped."""

    modules: int = 0
    modules_with_variants: int = 0
    variants: int = 0
    function_level: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> count


def indent_code(code: str, indent: str) -> str:
    """``code`` with ``indent`` before each line, except lines inside a multi-line string (a docstring's own
    continuation lines already carry their text; indenting them would change the string)."""
    inside: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
            inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    return "\n".join(
        line if (i in inside or not line) else indent + line for i, line in enumerate(code.split("\n"), start=1)
    )


def _changed_units(
    original: list[ast.stmt], variant: list[ast.stmt], dumps: list[str], prefix: str = ""
) -> list[str] | None:
    """The qualnames of the units whose code differs between two statement lists of the same shape, comparing
    statement dumps (``dumps`` are the original's, precomputed); None when code outside any unit differs."""
    if len(original) != len(variant):
        return None
    changed: list[str] = []
    for old, new, old_dump in zip(original, variant, dumps, strict=True):
        if type(old) is not type(new):
            return None
        if isinstance(old, FUNCTION_TYPES):
            if ast.dump(new) != old_dump:
                if old.name != new.name:  # type: ignore[attr-defined]
                    return None
                changed.append(prefix + old.name)
        elif isinstance(old, ast.ClassDef | ast.If | ast.Try):
            if ast.dump(new) == old_dump:
                continue
            inner_prefix = f"{prefix}{old.name}." if isinstance(old, ast.ClassDef) else prefix
            header_old = _without_blocks(old)
            if header_old != _without_blocks(new):  # the class line, decorators, the if test, the handlers' types
                return None
            for block_old, block_new in zip(_stmt_blocks(old), _stmt_blocks(new), strict=True):
                inner = _changed_units(block_old, block_new, [ast.dump(s) for s in block_old], inner_prefix)
                if inner is None:
                    return None
                changed.extend(inner)
        elif ast.dump(new) != old_dump:
            return None
    return changed


def _stmt_blocks(node: ast.ClassDef | ast.If | ast.Try) -> list[list[ast.stmt]]:
    if isinstance(node, ast.ClassDef):
        return [node.body]
    return _blocks(node)


def _without_blocks(node: ast.ClassDef | ast.If | ast.Try) -> str:
    bare = copy.copy(node)
    if isinstance(bare, ast.ClassDef):
        bare.body = []
    elif isinstance(bare, ast.If):
        bare.body, bare.orelse = [], []
    else:
        bare.body, bare.orelse, bare.finalbody = [], [], []
        bare.handlers = [ast.ExceptHandler(type=h.type, name=h.name, body=[]) for h in node.handlers]  # type: ignore[union-attr]
    return ast.dump(bare)


def _find_unit(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for name, node in walk_units(tree):
        if name == qualname:
            return node
    return None


def function_variants(
    source: str, family: Family, limit: int = 16, count: FamilyCount | None = None
) -> list[FunctionVariant]:
    """The variants of ``family`` on the module ``source`` that change exactly one unit, substituted back.

    This is ``pessimize.variants`` at function level: the same transform on the parsed module, but the variant is
    compared statement by statement (a whole-module unparse per variant costs seconds on a 5,000-line module).
    """
    count = count if count is not None else FamilyCount()
    count.modules += 1
    try:
        tree = ast.parse(source)
        trees = family.transform(tree)
    except (SyntaxError, ValueError, RecursionError):
        return []
    dumps = [ast.dump(s) for s in tree.body]
    lines = source.splitlines(keepends=True)
    out: list[FunctionVariant] = []
    seen: set[str] = set()
    before = count.variants
    for vtree in trees:
        changed = _changed_units(tree.body, vtree.body, dumps)
        if changed == []:
            continue  # the transform changed nothing (pessimize.variants drops these too)
        if count.variants == before:
            count.modules_with_variants += 1
        count.variants += 1
        if changed is None:
            count.dropped["changes module-level code"] += 1
            continue
        if len(changed) != 1:
            count.dropped[f"changes {len(changed)} units"] += 1
            continue
        qualname = changed[0]
        node, vnode = _find_unit(tree, qualname), _find_unit(vtree, qualname)
        if node is None or vnode is None:
            count.dropped["unit not found"] += 1
            continue
        try:
            slow = ast.unparse(ast.fix_missing_locations(vnode))
        except RecursionError:
            count.dropped["too deep to unparse"] += 1
            continue
        if slow in seen:
            continue
        if slow == ast.unparse(node):  # the change is in a second definition of the same name (a version branch)
            count.dropped["changes a redefined unit"] += 1
            continue
        seen.add(slow)
        start, end = span(node)
        new_source = (
            "".join(lines[: start - 1]) + indent_code(slow, " " * node.col_offset) + "\n" + "".join(lines[end:])
        )
        back = _find_unit(ast.parse(new_source), qualname)
        if back is None or ast.dump(back) != ast.dump(vnode):
            count.dropped["substitution differs from the variant"] += 1
            continue
        count.function_level += 1
        out.append(FunctionVariant(qualname, family.name, slow, ast.unparse(node), new_source))
        if len(out) >= limit:
            break
    return out


REACH_MESSAGE = "speedhints reach check: this function was replaced by a raise"


def unreachable_unit(source: str, qualname: str) -> str | None:
    """``source`` with unit ``qualname``'s body replaced by ``raise SystemExit(...)`` (decorators and signature
    kept), or None when the unit is not found. If a package's tests still pass with it, they never call the
    function, and a variant of it passing those tests proves nothing. SystemExit, not an Exception: a caller's
    ``except Exception`` must not swallow the check, and pytest reports it in a test as a failure."""
    tree = ast.parse(source)
    node = _find_unit(tree, qualname)
    if node is None:
        return None
    start, end = span(node)
    broken = copy.deepcopy(node)
    broken.body = [ast.Raise(exc=ast.Call(ast.Name("SystemExit"), [ast.Constant(REACH_MESSAGE)], []))]
    text = ast.unparse(ast.fix_missing_locations(broken))
    lines = source.splitlines(keepends=True)
    return "".join(lines[: start - 1]) + indent_code(text, " " * node.col_offset) + "\n" + "".join(lines[end:])
