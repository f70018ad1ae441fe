"""What a suggestion changes, in words: the hint's label, computed from the AST difference of this suggestion
against the code it replaces (not from the latent's training pairs, which may have done something else).

``describe_edit(original, suggestion, first_line)`` tries rules for the common speed edits, most specific first
("list -> set for membership test in loop", "hoists len(a) out of the loop", "replaces input() with
sys.stdin.readline", ...) and otherwise falls back to where and what: "changes lines 3-4: calls sorted once
instead of 3 times". Both texts are a region as the hint holds them (indented as in the file). Pure ``ast``: the
hook and the bot call it for every hint they build.
"""

from __future__ import annotations

import ast
import difflib
import textwrap
from collections import Counter
from dataclasses import dataclass, field

MODULES = frozenset({"sys", "math", "collections", "itertools", "bisect", "heapq", "functools", "operator", "re",
                     "string", "os", "io"})  # fmt: skip
LIST_MAKERS = frozenset({"list", "sorted", "split", "readlines"})
SET_MAKERS = frozenset({"set", "frozenset"})
DICT_MAKERS = frozenset({"dict", "Counter", "defaultdict", "collections.Counter", "collections.defaultdict"})
MAX_LEN = 64


@dataclass
class _Facts:
    """What one side of the edit does, counted by where it happens (inside a loop or not)."""

    calls: Counter[str] = field(default_factory=Counter)  # callee name -> count
    calls_in_loop: Counter[str] = field(default_factory=Counter)  # call text ("len(a)") inside a loop body
    calls_outside: Counter[str] = field(default_factory=Counter)  # call text outside any loop
    membership: list[tuple[str, str | None, bool]] = field(default_factory=list)  # (container, its kind, in loop)
    kinds: dict[str, str] = field(default_factory=dict)  # name -> "list" | "set" | "dict" | "str" (last binding)
    str_concat_in_loop: int = 0
    prints_in_loop: int = 0
    breaks: int = 0
    binds_input_to_readline: bool = False
    decorators: set[str] = field(default_factory=set)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        base = func.value
        if isinstance(base, ast.Name) and base.id in MODULES:
            return f"{base.id}.{func.attr}"
        if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and base.value.id in MODULES:
            return f"{base.value.id}.{base.attr}.{func.attr}"  # sys.stdin.readline
        return "." + func.attr
    return "?"


def display_kind(node: ast.AST) -> str | None:
    """"list", "set" or "dict" for a display or comprehension of that container, else None."""
    if isinstance(node, ast.List | ast.ListComp):
        return "list"
    if isinstance(node, ast.Set | ast.SetComp):
        return "set"
    if isinstance(node, ast.Dict | ast.DictComp):
        return "dict"
    return None


def _kind_of(node: ast.expr, kinds: dict[str, str]) -> str | None:
    if (kind := display_kind(node)) is not None:
        return kind
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "str"
    if isinstance(node, ast.Name):
        return kinds.get(node.id)
    if isinstance(node, ast.Call):
        name = _name(node.func).lstrip(".")
        if name in LIST_MAKERS:
            return "list"
        if name in SET_MAKERS:
            return "set"
        if name in DICT_MAKERS:
            return "dict"
    return None


class _Scan(ast.NodeVisitor):
    def __init__(self) -> None:
        self.f = _Facts()
        self.loop = 0

    def _in_loop(self, node: ast.For | ast.AsyncFor | ast.While) -> None:
        for part in ("target", "iter", "test"):  # evaluated once (iter) or not the body: outside the loop
            if hasattr(node, part):
                self.visit(getattr(node, part))
        self.loop += 1
        for stmt in node.body:
            self.visit(stmt)
        self.loop -= 1
        for stmt in node.orelse:
            self.visit(stmt)

    visit_For = visit_AsyncFor = visit_While = _in_loop

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp) -> None:
        self.loop += 1
        self.generic_visit(node)
        self.loop -= 1

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.f.decorators |= {_name(d.func if isinstance(d, ast.Call) else d).lstrip(".") for d in node.decorator_list}
        saved, self.loop = self.loop, 0  # a function defined in a loop runs when called, not per iteration
        self.generic_visit(node)
        self.loop = saved

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node: ast.Assign) -> None:
        kind = _kind_of(node.value, self.f.kinds)
        for target in node.targets:
            if isinstance(target, ast.Name) and kind:
                self.f.kinds[target.id] = kind
        value = node.value  # s = s + x in a loop: the same quadratic string building as s += x
        if (self.loop and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add)
                and isinstance(value.left, ast.Name) and value.left.id == node.targets[0].id
                and "str" in (self.f.kinds.get(value.left.id), _kind_of(value.right, self.f.kinds))):
            self.f.str_concat_in_loop += 1
        if (any(isinstance(t, ast.Name) and t.id == "input" for t in node.targets)
                and isinstance(node.value, ast.Attribute) and ast.unparse(node.value) == "sys.stdin.readline"):
            self.f.binds_input_to_readline = True
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        stringy = isinstance(node.target, ast.Name) and "str" in (
            self.f.kinds.get(node.target.id), _kind_of(node.value, self.f.kinds))
        if self.loop and isinstance(node.op, ast.Add) and stringy:
            self.f.str_concat_in_loop += 1
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                self.f.membership.append((ast.unparse(right), _kind_of(right, self.f.kinds), self.loop > 0))
        self.generic_visit(node)

    def visit_Break(self, node: ast.Break) -> None:
        self.f.breaks += 1

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        self.f.calls[name] += 1
        if name == "print" and self.loop:
            self.f.prints_in_loop += 1
        simple = all(isinstance(a, ast.Name | ast.Constant | ast.Attribute) for a in node.args) and not node.keywords
        if simple and name != "?" and not name.startswith("."):
            (self.f.calls_in_loop if self.loop else self.f.calls_outside)[ast.unparse(node)] += 1
        self.generic_visit(node)


def _facts(code: str) -> _Facts | None:
    try:
        tree = ast.parse(textwrap.dedent(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    scan = _Scan()
    scan.visit(tree)
    return scan.f


def changed_lines(original: str, suggestion: str, first_line: int = 1) -> tuple[int, int]:
    """The first and last line of ``original`` (numbered from ``first_line``) that the suggestion changes."""
    a, b = original.splitlines(), suggestion.splitlines()
    ops = [op for op in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not ops:
        return first_line, first_line
    start, end = ops[0][1], max(ops[-1][2], ops[0][1] + 1)
    return first_line + start, first_line + end - 1


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _rules(a: _Facts, b: _Facts) -> list[str]:
    out: list[str] = []
    hashed = {text: kind for text, kind, _ in b.membership if kind in ("set", "dict")}
    for text, kind, loop in a.membership:
        if kind not in ("set", "dict") and text in hashed:  # the same container, now hashed
            before = kind if kind in ("list", "str") else text if len(text) <= 20 else "container"
            out.append(f"{before} -> {hashed[text]} for membership test{' in loop' if loop else ''}")
            break
    else:
        listy = [loop for _, kind, loop in a.membership if kind == "list"]
        if listy and sum(k in ("set", "dict") for _, k, _ in b.membership) > sum(
                k in ("set", "dict") for _, k, _ in a.membership):
            out.append(f"list -> set for membership test{' in loop' if any(listy) else ''}")
    readline = "sys.stdin.readline"
    if a.calls["input"] and (b.binds_input_to_readline or b.calls[readline] > a.calls[readline]):
        out.append("replaces input() with sys.stdin.readline")
    for text, n in a.calls_in_loop.items():
        if b.calls_in_loop[text] < n and b.calls_outside[text]:  # fewer in the loop, and now computed before it
            out.append(f"hoists {text} out of the loop")
            break
    if a.str_concat_in_loop > b.str_concat_in_loop and b.calls[".join"] > a.calls[".join"]:
        out.append("builds the string with ''.join instead of concatenating in a loop")
    if a.prints_in_loop > b.prints_in_loop and (b.calls["print"] or b.calls["sys.stdout.write"]):
        out.append("prints once instead of in the loop")
    elif b.calls["sys.stdout.write"] > a.calls["sys.stdout.write"] and a.calls["print"] > b.calls["print"]:
        out.append("replaces print with sys.stdout.write")
    if a.calls[".pop"] > b.calls[".pop"] and b.calls[".popleft"] > a.calls[".popleft"]:
        out.append("list.pop(0) -> deque.popleft")
    if a.calls["range"] and b.calls["enumerate"] > a.calls["enumerate"] and b.calls["len"] < a.calls["len"]:
        out.append("range(len(...)) -> enumerate")
    for counter in ("Counter", "collections.Counter", "defaultdict", "collections.defaultdict"):
        if b.calls[counter] > a.calls[counter]:
            out.append(f"counts with {counter.split('.')[-1]}")
            break
    cached = {"lru_cache", "cache", "functools.lru_cache", "functools.cache"}
    if (b.decorators & cached) and not (a.decorators & cached):
        out.append("memoises the function with lru_cache")
    if b.breaks > a.breaks:
        out.append("leaves the loop early with break")
    for sorter in ("sorted", ".sort"):
        if 0 < b.calls[sorter] < a.calls[sorter]:
            out.append(f"sorts {_times(b.calls[sorter])} instead of {_times(a.calls[sorter])}")
            break
    return out


def _generic(a: _Facts, b: _Facts) -> str:
    """The call whose count changed most, as "calls X once instead of 3 times" / "no longer calls X"."""
    names = [n for n in set(a.calls) | set(b.calls) if n != "?" and a.calls[n] != b.calls[n]]
    if not names:
        return ""
    gone = sorted(n for n in names if not b.calls[n])
    new = sorted(n for n in names if not a.calls[n])
    if len(gone) == 1 and len(new) == 1:
        return f"calls {new[0].lstrip('.')} instead of {gone[0].lstrip('.')}"
    n = max(sorted(names), key=lambda n: abs(a.calls[n] - b.calls[n]))
    shown = n.lstrip(".")
    if not b.calls[n]:
        return f"no longer calls {shown}"
    if not a.calls[n]:
        return f"now calls {shown}"
    return f"calls {shown} {_times(b.calls[n])} instead of {_times(a.calls[n])}"


def describe_edit(original: str, suggestion: str, first_line: int = 1) -> str:
    """A short label for this edit: the first matching rule, else "changes lines A-B[: what changed]"."""
    a, b = _facts(original), _facts(suggestion)
    start, end = changed_lines(original, suggestion, first_line)
    where = f"changes line {start}" if start == end else f"changes lines {start}-{end}"
    if a is None or b is None:
        return where
    rules = _rules(a, b)
    if rules:
        label = rules[0] if len(rules) == 1 or len(rules[0]) + len(rules[1]) + 2 > MAX_LEN else "; ".join(rules[:2])
        return label
    what = _generic(a, b)
    return f"{where}: {what}" if what else where
