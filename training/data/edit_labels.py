"""Human labels for codebook entries: the AST-level edit that the training pairs of each latent have in common.

The latent atlas (``speedhints.model_export.atlas``) shows a hint as "latent 7: list -> set membership, ~2.4x"
rather than "latent 7". The label is measured, not hand-written: the encoder assigns each training (slow, fast)
pair to a code, :func:`edit_features` describes what changed between the two programs as a small multiset of
readable features ("adds break in loop", "input() -> sys.stdin.readline", "removes nested loop", ...), and
:func:`label_groups` picks, per code, the feature(s) most characteristic of its pairs relative to all pairs
(share of the code's pairs times the log of the lift over the overall share), so a feature every edit has, such
as "adds import sys", does not name every code.

Programs are canonical (issue #2): variables, functions and classes are ``v0``/``f0``/``c0``..., string literals
are names ``s0``, ``s1``...; builtins, module names and import aliases are kept. Features therefore speak about
builtins, library calls, control flow and container kinds, never about user names. Known slow->fast swaps are
reported as one feature ("str concat -> join") and take priority over the generic "adds X()"/"removes X()" call
features; differences of raw AST node counts ("adds ListComp") are the fallback when nothing else applies.
"""

from __future__ import annotations

import ast
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from speedhints.model_export.edit_describe import display_kind

MAX_FEATURE_LEN = 40
SMALL_EDIT = "small local edit"  # a group whose pairs have no features at all
MIXED_EDITS = "mixed edits"  # a group whose features are all too rare in it to name it
UNUSED = "unused"  # a code no training pair is assigned to

PLACEHOLDER = re.compile(r"^[vfcs]\d+$")
STRING_PLACEHOLDER = re.compile(r"^s\d+$")

STDIN_LINE = frozenset({"sys.stdin.readline", "sys.stdin.buffer.readline", "sys.stdin"})
STDIN_ALL = frozenset({"sys.stdin.read", "sys.stdin.buffer.read", "sys.stdin.readlines", "open(0)", "os.read"})
EXITS = frozenset({"exit", "quit", "sys.exit", "os._exit"})
SORTS = (".sort", "sorted")
CACHES = frozenset({"functools.lru_cache", "functools.cache", "lru_cache", "cache"})
AGGREGATES = ("all", "any", "max", "min", "sum")
STR_CALLS = frozenset({"str", "chr", "repr", "format", "input", ".join", ".format", ".upper", ".lower", ".strip",
                       ".rstrip", ".lstrip", ".replace"})
LIST_CALLS = frozenset({"list", "sorted", ".split"})
SET_CALLS = frozenset({"set", "frozenset"})
DICT_CALLS = frozenset({"dict", "collections.Counter", "collections.defaultdict", "collections.OrderedDict", "Counter",
                        "defaultdict", "OrderedDict"})
# Node types whose count differences make the fallback features; bookkeeping nodes (names, loads, calls) say nothing.
_BORING_NODES = frozenset({"Module", "Expr", "Name", "Constant", "Attribute", "Call", "Load", "Store", "Del",
                           "Starred", "keyword", "arguments", "arg", "alias", "comprehension", "Slice"})
_FALLBACK = re.compile(r"^(?:adds|removes) ([A-Z][A-Za-z]*)$")
_STOPWORDS = frozenset({"adds", "removes", "import", "in", "loop", "replaces", "single", "nested", "early", "for",
                        "while", "once"})


def _callee(func: ast.expr, aliases: Mapping[str, str]) -> str | None:
    """Resolved name of a call's target: ``heapq.heappush``, ``print``, ``.append`` (method of a value), or None."""
    name = _resolve(func, aliases)
    if name is not None:
        return name
    if isinstance(func, ast.Attribute):
        return "." + func.attr
    return None


def _resolve(node: ast.expr, aliases: Mapping[str, str]) -> str | None:
    """Dotted name of a Name/Attribute chain rooted at a builtin, module or import alias; None for user values."""
    if isinstance(node, ast.Name):
        if node.id in aliases:
            return aliases[node.id]
        return None if PLACEHOLDER.match(node.id) else node.id
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, aliases)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _aliases(tree: ast.Module) -> tuple[dict[str, str], set[str]]:
    """Import aliases (``dd`` -> ``collections.defaultdict``) and imported names; a module-level
    ``v0 = sys.stdin.readline`` of a name assigned only once counts as an alias too."""
    aliases: dict[str, str] = {}
    imports: set[str] = set()
    stores: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                imports.add(a.name)
                if a.asname:
                    aliases[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if a.name == "*":
                    imports.add(node.module)
                    continue
                imports.add(f"{node.module}.{a.name}")
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stores[node.id] += 1
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if PLACEHOLDER.match(name) and stores[name] == 1 and isinstance(stmt.value, ast.Attribute | ast.Name):
                target = _resolve(stmt.value, aliases)
                if target is not None:
                    aliases[name] = target
    return aliases, imports


def _kind(node: ast.expr, aliases: Mapping[str, str], kinds: Mapping[str, str]) -> str | None:
    """Container kind of an expression (list, tuple, set, dict, keys, range, str, deque) where it is evident."""
    if isinstance(node, ast.List | ast.ListComp):
        return "list"
    if isinstance(node, ast.Tuple):
        return "tuple"
    if isinstance(node, ast.Set | ast.SetComp):
        return "set"
    if isinstance(node, ast.Dict | ast.DictComp):
        return "dict"
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return "str"
    if isinstance(node, ast.Name):
        return "str" if STRING_PLACEHOLDER.match(node.id) else kinds.get(node.id)
    if isinstance(node, ast.Call):
        name = _callee(node.func, aliases)
        if name in LIST_CALLS:
            return "list"
        if name == "tuple":
            return "tuple"
        if name in SET_CALLS:
            return "set"
        if name in DICT_CALLS:
            return "dict"
        if name in STR_CALLS:
            return "str"
        if name == "range":
            return "range"
        if name == ".keys":
            return "keys"
        if name in ("collections.deque", "deque"):
            return "deque"
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult):
        left, right = _kind(node.left, aliases, kinds), _kind(node.right, aliases, kinds)
        for k in (left, right):
            if k in ("list", "str", "tuple"):
                return k
    return None


def _constructed(node: ast.AST, aliases: Mapping[str, str]) -> str | None:
    """Kind of container this node explicitly builds (a literal, comprehension or constructor call)."""
    kind: str | None = display_kind(node)
    if kind is not None:
        return kind
    if isinstance(node, ast.Call):
        name = _callee(node.func, aliases)
        if name == "list":
            return "list"
        if name in SET_CALLS:
            return "set"
        if name in DICT_CALLS:
            return "dict"
    return None


def _const(node: ast.expr, value: int) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value == value


@dataclass
class _Program:
    """What one program does, as far as the edit features need it."""

    imports: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)  # resolved callee -> number of calls
    loop_calls: Counter[str] = field(default_factory=Counter)  # the same, inside statement loops
    refs: Counter[str] = field(default_factory=Counter)  # resolved dotted references (sys.stdin.readline, ...)
    nodes: Counter[str] = field(default_factory=Counter)  # AST node type -> count
    membership: Counter[str] = field(default_factory=Counter)  # container kind of `in` tests
    constructs: Counter[str] = field(default_factory=Counter)  # container kinds built
    depth: int = 0  # deepest loop nesting (statements and comprehensions)
    loop_appends: int = 0
    loop_returns: int = 0
    str_concat_loop: int = 0
    recursive: int = 0
    memo: int = 0
    cached: int = 0
    pop0: int = 0
    insert0: int = 0
    pow_mod: int = 0
    pow3: int = 0
    range_len: int = 0

    def uses(self, names: Iterable[str]) -> int:
        return sum(self.refs[n] for n in names)

    def uses_module(self, module: str) -> int:
        return sum(n for name, n in self.refs.items() if name == module or name.startswith(module + "."))

    @property
    def loops(self) -> int:
        return self.nodes["For"] + self.nodes["While"] + self.nodes["AsyncFor"]

    @property
    def comprehensions(self) -> int:
        return sum(self.nodes[k] for k in ("ListComp", "SetComp", "DictComp", "GeneratorExp"))


class _Scan(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str], kinds: dict[str, str], prog: _Program) -> None:
        self.aliases, self.kinds, self.p = aliases, kinds, prog
        self.loop = 0  # enclosing statement loops in the current function
        self.depth = 0  # enclosing loops, comprehensions included
        self.funcs: list[str] = []
        self.recursive_defs: set[int] = set()
        self.func_nodes: list[ast.FunctionDef | ast.AsyncFunctionDef] = []

    def visit(self, node: ast.AST) -> None:
        self.p.nodes[type(node).__name__] += 1
        kind = _constructed(node, self.aliases)
        if kind:
            self.p.constructs[kind] += 1
        super().visit(node)

    def _body(self, stmts: Sequence[ast.stmt], loop: bool) -> None:
        if loop:
            self.loop += 1
            self.depth += 1
            self.p.depth = max(self.p.depth, self.depth)
        for s in stmts:
            self.visit(s)
        if loop:
            self.loop -= 1
            self.depth -= 1

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        it = node.iter
        if (isinstance(it, ast.Call) and _callee(it.func, self.aliases) == "range" and len(it.args) == 1
                and isinstance(it.args[0], ast.Call) and _callee(it.args[0].func, self.aliases) == "len"):
            self.p.range_len += 1
        self.visit(node.target)
        self.visit(node.iter)
        self._body(node.body, loop=True)
        self._body(node.orelse, loop=False)

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        self.loop += 1  # the test runs once per iteration
        self.visit(node.test)
        self.loop -= 1
        self._body(node.body, loop=True)
        self._body(node.orelse, loop=False)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp) -> None:
        self.depth += len(node.generators)
        self.p.depth = max(self.p.depth, self.depth)
        self.generic_visit(node)
        self.depth -= len(node.generators)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for d in node.decorator_list:
            target = d.func if isinstance(d, ast.Call) else d
            if _resolve(target, self.aliases) in CACHES:
                self.p.cached += 1
        saved = self.loop, self.depth
        self.loop = self.depth = 0
        self.funcs.append(node.name)
        self.func_nodes.append(node)
        self.generic_visit(node)
        self.funcs.pop()
        self.func_nodes.pop()
        self.loop, self.depth = saved
        if id(node) in self.recursive_defs:
            self.p.recursive += 1
            self.p.memo += _has_memo(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Return(self, node: ast.Return) -> None:
        if self.loop:
            self.p.loop_returns += 1
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            name = _resolve(node, self.aliases)
            if name is not None:
                self.p.refs[name] += 1

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = _resolve(node, self.aliases) if isinstance(node.ctx, ast.Load) else None
        if name is not None:
            self.p.refs[name] += 1  # the whole chain; its prefixes are not references of their own
        else:
            self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _callee(node.func, self.aliases)
        if name is not None:
            self.p.calls[name] += 1
            if self.loop:
                self.p.loop_calls[name] += 1
            if name == ".append" and self.loop:
                self.p.loop_appends += 1
            elif name == ".pop" and len(node.args) == 1 and _const(node.args[0], 0):
                self.p.pop0 += 1
            elif name == ".insert" and node.args and _const(node.args[0], 0):
                self.p.insert0 += 1
            elif name == "pow" and len(node.args) == 3:
                self.p.pow3 += 1
            elif name == "open" and node.args and _const(node.args[0], 0):
                self.p.refs["open(0)"] += 1
        elif isinstance(node.func, ast.Name) and node.func.id in self.funcs:
            for f in reversed(self.func_nodes):
                if f.name == node.func.id:
                    self.recursive_defs.add(id(f))
                    break
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                self.p.membership[_kind(right, self.aliases, self.kinds) or "other"] += 1
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.Pow):
            self.p.pow_mod += 1
        self.generic_visit(node)

    def _stringish(self, node: ast.expr) -> bool:
        if _kind(node, self.aliases, self.kinds) == "str":
            return True
        return isinstance(node, ast.BinOp) and (self._stringish(node.left) or self._stringish(node.right))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if (self.loop and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name)
                and (self.kinds.get(node.target.id) == "str" or self._stringish(node.value))):
            self.p.str_concat_loop += 1
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        v = node.value
        if (self.loop and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(v, ast.BinOp) and isinstance(v.op, ast.Add) and isinstance(v.left, ast.Name)
                and v.left.id == node.targets[0].id and self._stringish(v.right)):
            self.p.str_concat_loop += 1
        self.generic_visit(node)


def _has_memo(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A recursive function that stores into and returns from a container it does not own (``if k in v0: return
    v0[k]`` ... ``v0[k] = r``): a hand-written memo (a DFS marking ``visited[v]`` never returns it)."""
    params = {a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)}
    stored: set[str] = set()
    returned: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and isinstance(node.ctx, ast.Store):
            stored.add(node.value.id)
        elif (isinstance(node, ast.Return) and isinstance(node.value, ast.Subscript)
              and isinstance(node.value.value, ast.Name)):
            returned.add(node.value.value.id)
    return bool((stored & returned) - params)


def _scan(code: str) -> _Program:
    tree = ast.parse(code)
    aliases, imports = _aliases(tree)
    kinds: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            kind = _kind(node.value, aliases, kinds)
            for t in targets:
                if kind and isinstance(t, ast.Name):
                    kinds.setdefault(t.id, kind)  # the first binding names the variable's role
    prog = _Program(imports=imports)
    _Scan(aliases, kinds, prog).visit(tree)
    return prog


class _Features:
    def __init__(self) -> None:
        self.out: Counter[str] = Counter()
        self.consumed: set[str] = set()  # callee names a specific feature already explains
        self.consumed_modules: set[str] = set()

    def add(self, feature: str, n: int = 1, explains: Iterable[str] = ()) -> None:
        if len(feature) > MAX_FEATURE_LEN:
            feature = feature[: MAX_FEATURE_LEN - 3] + "..."
        self.out[feature] += max(1, n)
        self.consumed.update(explains)

    def explained(self, name: str) -> bool:
        return name in self.consumed or any(name.startswith(m + ".") for m in self.consumed_modules)


def edit_features(slow: str, fast: str) -> Counter[str]:
    """AST-level edit features of one pair, as a multiset of short human-readable feature strings.

    Empty for identical programs (up to names and constants) and for input that does not parse."""
    try:
        a, b = _scan(slow), _scan(fast)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return Counter()
    f = _Features()
    _io_features(a, b, f)
    _container_features(a, b, f)
    _loop_features(a, b, f)
    _control_features(a, b, f)
    for mod in sorted(b.imports - a.imports):
        f.add(f"adds import {mod}")
    for mod in sorted(a.imports - b.imports):
        f.add(f"removes import {mod}")
    for name in sorted(set(b.calls) - set(a.calls)):
        if not f.explained(name):
            f.add(f"adds {name}()")
    for name in sorted(set(a.calls) - set(b.calls)):
        if not f.explained(name):
            f.add(f"removes {name}()")
    if not f.out:
        for node in sorted(set(a.nodes) | set(b.nodes)):
            diff = b.nodes[node] - a.nodes[node]
            if diff and node not in _BORING_NODES:
                f.add(f"{'adds' if diff > 0 else 'removes'} {node}", abs(diff))
    return f.out


def _io_features(a: _Program, b: _Program, f: _Features) -> None:
    in_a, in_b = a.calls["input"], b.calls["input"]
    line_a, line_b = a.uses(STDIN_LINE), b.uses(STDIN_LINE)
    all_a, all_b = a.uses(STDIN_ALL), b.uses(STDIN_ALL)
    stdin = ["input", *STDIN_LINE, *STDIN_ALL, ".read", "open"]
    if in_b < in_a and line_b > line_a:
        f.add("input() -> sys.stdin.readline", explains=stdin)
    elif in_b < in_a and all_b > all_a:
        f.add("input() -> sys.stdin.read", explains=stdin)
    elif line_b < line_a and all_b > all_a:
        f.add("sys.stdin.readline -> sys.stdin.read", explains=stdin)
    elif in_b > in_a and line_b < line_a:
        f.add("sys.stdin.readline -> input()", explains=stdin)

    write_up = b.uses(["sys.stdout.write"]) > a.uses(["sys.stdout.write"])
    join_up = b.calls[".join"] > a.calls[".join"]
    if b.loop_calls["print"] < a.loop_calls["print"]:
        if write_up:
            f.add("print -> sys.stdout.write", explains=["print", "sys.stdout.write"])
        elif join_up:
            f.add("print in loop -> join", explains=["print", ".join"])
        else:
            f.add("print in loop -> single print", explains=["print"])
    elif b.calls["print"] < a.calls["print"] and write_up:
        f.add("print -> sys.stdout.write", explains=["print", "sys.stdout.write"])

    if b.str_concat_loop < a.str_concat_loop:
        if join_up:
            f.add("str concat -> join", explains=[".join", "str"])
        else:
            f.add("removes str concat in loop")


def _container_features(a: _Program, b: _Program, f: _Features) -> None:
    lists = ("list", "tuple", "deque")
    lm_a, lm_b = sum(a.membership[k] for k in lists), sum(b.membership[k] for k in lists)
    containers = ["list", "tuple", "set", "frozenset", "dict"]
    membership = False
    if lm_b < lm_a and b.membership["set"] > a.membership["set"]:
        f.add("list -> set membership", explains=containers)
        membership = True
    elif lm_b < lm_a and b.membership["dict"] > a.membership["dict"]:
        f.add("list -> dict membership", explains=containers)
        membership = True
    if b.membership["keys"] < a.membership["keys"] and b.membership["dict"] > a.membership["dict"]:
        f.add("in d.keys() -> in d", explains=[".keys"])
    if not membership and b.constructs["list"] < a.constructs["list"]:
        if b.constructs["set"] > a.constructs["set"]:
            f.add("list -> set", explains=containers)
        elif b.constructs["dict"] > a.constructs["dict"]:
            f.add("list -> dict", explains=containers)

    if b.pop0 < a.pop0:
        if b.calls[".popleft"] > a.calls[".popleft"]:
            f.add("list.pop(0) -> deque.popleft", explains=[".pop", ".popleft", "collections.deque", "deque"])
        else:
            f.add("removes list.pop(0)")
    if b.insert0 < a.insert0 and b.calls[".appendleft"] > a.calls[".appendleft"]:
        f.add("list.insert(0) -> deque.appendleft", explains=[".insert", ".appendleft", "collections.deque", "deque"])

    if b.calls[".count"] < a.calls[".count"]:
        if b.uses(["collections.Counter", "Counter"]) > a.uses(["collections.Counter", "Counter"]):
            f.add(".count() -> Counter", explains=[".count", "collections.Counter", "Counter"])
        elif b.constructs["dict"] > a.constructs["dict"]:
            f.add(".count() -> dict counts", explains=[".count", "dict"])

    sort_a, sort_b = sum(a.calls[s] for s in SORTS), sum(b.calls[s] for s in SORTS)
    sort_loop_a, sort_loop_b = sum(a.loop_calls[s] for s in SORTS), sum(b.loop_calls[s] for s in SORTS)
    if sort_loop_b < sort_loop_a and b.uses_module("heapq") > a.uses_module("heapq"):
        f.add("sort in loop -> heapq", explains=SORTS)
        f.consumed_modules.add("heapq")
    elif sort_loop_b < sort_loop_a:
        f.add("removes sort in loop", explains=SORTS)
    elif sort_loop_b > sort_loop_a:
        f.add("adds sort in loop", explains=SORTS)
    elif sort_b < sort_a:
        f.add("removes sort", explains=SORTS)
    elif sort_b > sort_a:
        f.add("adds sort", explains=SORTS)

    if b.uses_module("bisect") > a.uses_module("bisect") and (
        b.depth < a.depth or b.loops < a.loops or b.calls[".index"] < a.calls[".index"]
    ):
        f.add("linear search -> bisect", explains=[".index"])
        f.consumed_modules.add("bisect")

    if b.pow_mod < a.pow_mod and b.pow3 > a.pow3:
        f.add("x ** y % m -> pow(x, y, m)", explains=["pow"])


def _loop_features(a: _Program, b: _Program, f: _Features) -> None:
    for_a, for_b = a.nodes["For"] + a.nodes["AsyncFor"], b.nodes["For"] + b.nodes["AsyncFor"]
    while_a, while_b = a.nodes["While"], b.nodes["While"]
    explained = False  # a loop that went away is already explained by a replacement
    if for_b < for_a and while_b > while_a:
        f.add("for -> while", explains=["range"])
        explained = True
    elif while_b < while_a and for_b > for_a:
        f.add("while -> for")
        explained = True
    if b.loop_appends < a.loop_appends:
        if b.comprehensions > a.comprehensions:
            f.add("list comprehension replaces loop append", explains=[".append"])
            explained = True
        elif b.calls["map"] > a.calls["map"]:
            f.add("map() replaces loop append", explains=[".append", "map"])
            explained = True
    if b.loops < a.loops:
        for agg in AGGREGATES:
            if b.calls[agg] > a.calls[agg]:
                f.add(f"{agg}() replaces loop", explains=[agg])
                explained = True
                break
    if a.depth >= 2 and b.depth < a.depth:
        f.add("removes nested loop")
    elif b.depth >= 2 and b.depth > a.depth:
        f.add("adds nested loop")
    if not explained:
        for name, na, nb in (("for", for_a, for_b), ("while", while_a, while_b)):
            if nb < na:
                f.add(f"removes {name} loop", na - nb)
            elif nb > na:
                f.add(f"adds {name} loop", nb - na)
    if b.range_len < a.range_len and b.calls["enumerate"] > a.calls["enumerate"]:
        f.add("range(len) -> enumerate", explains=["enumerate", "len"])


def _control_features(a: _Program, b: _Program, f: _Features) -> None:
    brk_a, brk_b = a.nodes["Break"], b.nodes["Break"]
    if brk_b > brk_a:
        f.add("adds break in loop", brk_b - brk_a)
    elif brk_b < brk_a:
        f.add("removes break", brk_a - brk_b)
    exits_a, exits_b = sum(a.calls[e] for e in EXITS), sum(b.calls[e] for e in EXITS)
    if exits_b > exits_a:
        f.add("adds early exit", explains=EXITS)
    elif exits_b < exits_a:
        f.add("removes early exit", explains=EXITS)
    if b.loop_returns > a.loop_returns:
        f.add("adds early return")
    elif b.loop_returns < a.loop_returns:
        f.add("removes early return")
    if b.recursive > a.recursive:
        f.add("adds recursion")
    elif b.recursive < a.recursive:
        f.add("recursion -> loop" if b.loops > a.loops else "removes recursion")
    if b.memo != a.memo:
        f.add("adds memo dict" if b.memo > a.memo else "removes memo dict")
    if b.cached != a.cached:
        f.add("adds lru_cache" if b.cached > a.cached else "removes lru_cache", explains=CACHES)
        f.consumed_modules.add("functools")


def _tier(feature: str) -> float:
    """Prior weight of a feature kind: a named swap or control-flow edit beats a bare import or call difference,
    which beats a raw node-count difference."""
    m = _FALLBACK.match(feature)
    if m and hasattr(ast, m.group(1)):
        return 0.4
    if feature.startswith(("adds import ", "removes import ")):
        return 0.7
    if feature.startswith(("adds ", "removes ")) and feature.endswith("()") and "->" not in feature:
        return 0.7
    return 1.0


def _subjects(feature: str) -> set[str]:
    """The things a feature is about (module roots, builtins, container kinds), to avoid labels that repeat one."""
    words = re.findall(r"[A-Za-z_][\w.]*", feature)
    return {w.lstrip(".").split(".")[0] for w in words if w.lower() not in _STOPWORDS}


@dataclass(frozen=True)
class _Ranked:
    feature: str
    share: float
    score: float
    tier: float


def _rank(df: Counter[str], n: int, total_df: Counter[str], total: int) -> list[_Ranked]:
    support = min(2.0, 0.2 * n)
    ranked = []
    for feat, k in df.items():
        if k < support:
            continue
        share, overall, tier = k / n, total_df[feat] / total, _tier(feat)
        ranked.append(_Ranked(feat, share, tier * share * math.log(share / overall), tier))
    ranked.sort(key=lambda r: (-max(r.score, 0.0), -r.tier * r.share, r.feature))
    return ranked


def _strong_second(first: _Ranked, ranked: Sequence[_Ranked], max_len: int) -> str | None:
    for r in ranked[1:]:
        if r.share < 0.5 or len(first.feature) + 3 + len(r.feature) > max_len:
            continue
        if first.score > 0 and r.score < 0.5 * first.score:
            continue
        if first.score <= 0 and r.tier * r.share < 0.5 * first.tier * first.share:
            continue
        if _subjects(r.feature) & _subjects(first.feature):
            continue
        return r.feature
    return None


def label_feature_sets(groups: Mapping[int, Sequence[Collection[str]]], max_label_len: int = 48) -> dict[int, str]:
    """:func:`label_groups` on precomputed features: code id -> one feature collection per pair."""
    dfs = {g: Counter(f for feats in pairs for f in set(feats)) for g, pairs in groups.items()}
    total_df: Counter[str] = Counter()
    for df in dfs.values():
        total_df.update(df)
    total = sum(len(pairs) for pairs in groups.values())
    labels: dict[int, str] = {}
    ranks: dict[int, list[_Ranked]] = {}
    for g in sorted(groups):
        n = len(groups[g])
        if n == 0:
            labels[g] = UNUSED
            continue
        if not dfs[g]:
            labels[g] = SMALL_EDIT
            continue
        ranked = ranks[g] = _rank(dfs[g], n, total_df, total)
        if not ranked:
            labels[g] = MIXED_EDITS
            continue
        second = _strong_second(ranked[0], ranked, max_label_len)
        label = ranked[0].feature if second is None else f"{ranked[0].feature} + {second}"
        labels[g] = label[:max_label_len]
    _make_distinct(labels, ranks, max_label_len)
    return labels


def _make_distinct(labels: dict[int, str], ranks: Mapping[int, list[_Ranked]], max_len: int) -> None:
    """Groups sharing a label: the one where the first feature is most common keeps it, the others get their best
    further feature that makes the label unique."""
    by_label: dict[str, list[int]] = {}
    for g in sorted(labels):
        if g in ranks and ranks[g]:
            by_label.setdefault(labels[g], []).append(g)
    for label, gs in sorted(by_label.items()):
        if len(gs) < 2:
            continue
        gs.sort(key=lambda g: (-ranks[g][0].share, g))
        for g in gs[1:]:
            first = ranks[g][0]
            candidates = sorted(ranks[g][1:], key=lambda r: bool(_subjects(r.feature) & _subjects(first.feature)))
            for r in candidates:  # a stable sort: rank order, repeating ones last
                new = f"{first.feature} + {r.feature}"
                if len(new) <= max_len and new != label and new not in labels.values():
                    labels[g] = new
                    break


def label_groups(groups: Mapping[int, Sequence[tuple[str, str]]], max_label_len: int = 48) -> dict[int, str]:
    """A short label for each group (code id -> its (slow, fast) pairs): its most characteristic feature(s).

    Features are counted once per pair and scored by share in the group times the log of the lift over their
    share among all pairs (weighted by :func:`_tier`); a feature must be in at least min(2, 20%) of the group's
    pairs. A second feature joins with " + " when it fits and is also strong. An empty group is "unused", one whose
    pairs have no features "small local edit". Same-label groups are told apart by a further feature where one
    exists. Deterministic: ties go by feature string and group id."""
    feats = {g: [edit_features(slow, fast) for slow, fast in pairs] for g, pairs in groups.items()}
    return label_feature_sets(feats, max_label_len)
