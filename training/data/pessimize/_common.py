"""What the pessimizer families share: site enumeration on copies, parent links, and the name facts their
preconditions rest on (which names the program binds, what an imported name resolves to, where a variable is read).

Every precondition is static and conservative, so these helpers answer "I cannot tell" as "no": a name bound
in two ways, a module imported under two names, a variable passed to an unknown function all make a family
refuse rather than guess.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator, Sequence

# One variant per site, and at most this many sites per family and program: the synth job runs each variant on
# the problem's tests, so a program with 200 membership tests must not yield 200 variants of one edit.
MAX_SITES = 16

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
LOOPS = (ast.For, ast.While, ast.AsyncFor)


def preorder(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes in source order (a node before its children, fields in their order), without recursion.
    (``ast.iter_child_nodes`` inlined: this walk is most of the families' running time.)"""
    stack = [node]
    AST = ast.AST
    while stack:
        current = stack.pop()
        yield current
        children = []
        for field in current._fields:
            value = getattr(current, field, None)
            if isinstance(value, AST):
                children.append(value)
            elif isinstance(value, list):
                children.extend(item for item in value if isinstance(item, AST))
        children.reverse()
        stack.extend(children)


def per_site(
    tree: ast.Module,
    sites: Sequence[ast.AST | tuple[ast.AST, ...]],
    rewrite: Callable[..., object],
) -> list[ast.Module]:
    """One rewritten copy of ``tree`` per site (first site first); ``tree`` itself is never touched.

    A site is a node or a tuple of nodes of ``tree``; ``rewrite(copy, *nodes)`` receives the copy and the
    copy's nodes at the same places and edits the copy in place; returning False drops that copy."""
    position = {id(n): i for i, n in enumerate(preorder(tree))}
    out: list[ast.Module] = []
    for site in list(sites)[:MAX_SITES]:
        nodes = site if isinstance(site, tuple) else (site,)
        clone = copy.deepcopy(tree)
        clone_nodes = list(preorder(clone))
        if rewrite(clone, *(clone_nodes[position[id(n)]] for n in nodes)) is not False:
            out.append(clone)
    return out


def parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in preorder(tree) for child in ast.iter_child_nodes(node)}


def replace_node(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    """Put ``new`` where ``old`` is among ``parent``'s fields."""
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return
    raise ValueError("node not found under its parent")


def replace_with_or(parent: ast.AST, old: ast.expr, values: list[ast.expr]) -> None:
    """Put ``v1 or v2 or ...`` where ``old`` is among ``parent``'s fields, spliced into ``parent`` when it is an
    ``or`` itself (``a or v1 or v2``: the same operands evaluated in the same order, without parentheses)."""
    if isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.Or):
        index = next(i for i, value in enumerate(parent.values) if value is old)
        parent.values[index:index + 1] = values
    else:
        replace_node(parent, old, ast.BoolOp(ast.Or(), values))


def statement_list(parent: ast.AST, stmt: ast.stmt) -> tuple[list[ast.stmt], int]:
    """The statement list of ``parent`` (a body, orelse, finalbody...) that holds ``stmt``, and its index there."""
    for _field, value in ast.iter_fields(parent):
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is stmt:
                    return value, i
    raise ValueError("statement not found under its parent")


def enclosing_statement(links: dict[ast.AST, ast.AST], node: ast.AST) -> ast.stmt:
    while not isinstance(node, ast.stmt):
        node = links[node]
    return node


def scope_of(links: dict[ast.AST, ast.AST], node: ast.AST) -> ast.AST:
    """The function, lambda, class or module whose namespace a name at ``node`` lives in (comprehensions aside)."""
    current = links.get(node)
    while current is not None and not isinstance(current, (*SCOPES, ast.Module)):
        current = links.get(current)
    assert current is not None
    return current


def in_loop(links: dict[ast.AST, ast.AST], node: ast.AST) -> bool:
    """True when ``node`` runs once per iteration of a loop or comprehension of its own function (the places
    where a slow idiom costs most); a loop's iterable and ``else`` run once and do not count."""
    child, current = node, links.get(node)
    while current is not None and not isinstance(current, (*SCOPES, ast.Module)):
        if isinstance(current, (ast.For, ast.AsyncFor)) and child in current.body:
            return True
        if isinstance(current, ast.While) and (child is current.test or child in current.body):
            return True
        if isinstance(current, COMPREHENSIONS) and not (
            current.generators and child is current.generators[0]
        ):
            return True
        if isinstance(current, ast.comprehension) and child is not current.iter:
            return True
        child, current = current, links.get(current)
    return False


def inside(links: dict[ast.AST, ast.AST], node: ast.AST, kinds: tuple[type, ...]) -> bool:
    """True when some ancestor of ``node`` (up to its function) is one of ``kinds``."""
    current = links.get(node)
    while current is not None and not isinstance(current, (*SCOPES, ast.Module)):
        if isinstance(current, kinds):
            return True
        current = links.get(current)
    return False


def binding_nodes(tree: ast.AST, nodes: Sequence[ast.AST] | None = None) -> dict[str, list[ast.AST]]:
    """Every node that binds each name anywhere in the program (any scope): assignments, deletions, loop and
    ``with`` targets, parameters, defs, classes, imports, ``except ... as``, match captures, global/nonlocal."""
    out: dict[str, list[ast.AST]] = {}

    def add(name: str | None, node: ast.AST) -> None:
        if name:
            out.setdefault(name, []).append(node)

    for node in preorder(tree) if nodes is None else nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            add(node.id, node)
        elif isinstance(node, ast.arg):
            add(node.arg, node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            add(node.name, node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                add(alias.asname or alias.name.split(".")[0], node)
        elif isinstance(node, ast.ExceptHandler):
            add(node.name, node)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                add(name, node)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)):
            add(node.name, node)
        elif isinstance(node, ast.MatchMapping):
            add(node.rest, node)
    return out


class Names:
    """Name facts of one program: what is bound, and what an unambiguous import resolves to."""

    def __init__(self, tree: ast.AST) -> None:
        self.tree = tree
        nodes = list(preorder(tree))
        self.bindings = binding_nodes(tree, nodes)
        self.imported: dict[str, str] = {}
        for name, binders in self.bindings.items():
            targets = {self._import_target(name, n) for n in binders}
            if len(targets) == 1 and None not in targets:
                self.imported[name] = targets.pop()  # type: ignore[assignment]
        self.used = set(self.bindings) | {n.id for n in nodes if isinstance(n, ast.Name)}
        self.star_import = any(
            isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in nodes
        )

    @staticmethod
    def _import_target(name: str, node: ast.AST) -> str | None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname == name:
                    return alias.name
                if alias.asname is None and alias.name == name:  # `import os.path` binds os: not resolved
                    return alias.name
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if (alias.asname or alias.name) == name and alias.name != "*":
                    return f"{node.module}.{alias.name}"
        return None

    def is_builtin(self, name: str) -> bool:
        """The name is never bound by the program (so it means the builtin), and no star import could bind it."""
        return name not in self.bindings and not self.star_import

    def dotted(self, expr: ast.AST) -> str | None:
        """``sys.stdin.readline``, ``collections.deque``, ``len``... for a name chain whose root is an import or an
        unbound (builtin) name; None for anything rooted in a user value."""
        if isinstance(expr, ast.Name):
            if expr.id in self.imported:
                return self.imported[expr.id]
            return expr.id if self.is_builtin(expr.id) else None
        if isinstance(expr, ast.Attribute):
            base = self.dotted(expr.value)
            return None if base is None else f"{base}.{expr.attr}"
        return None

    def is_call_to(self, node: ast.AST, *dotted: str) -> bool:
        return isinstance(node, ast.Call) and self.dotted(node.func) in dotted

    def fresh(self, base: str, *taken: str) -> str:
        """A name the program uses nowhere and not in ``taken``: ``base``, else ``base1``, ``base2``..."""
        candidate, i = base, 0
        while candidate in self.used or candidate in taken:
            i += 1
            candidate = f"{base}{i}"
        return candidate

    def plain_variable(self, name: str) -> list[ast.Name] | None:
        """The ``Store`` targets of a variable bound only by plain ``name = value`` assignments (no parameter, def,
        import, loop target, ``del``, ``global``/``nonlocal``, augmented assignment...), else None."""
        nodes = self.bindings.get(name, [])
        if not nodes or not all(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) for n in nodes):
            return None
        return nodes  # type: ignore[return-value]


_FACTS: list[tuple[ast.AST, Names, dict[ast.AST, ast.AST]]] = []


def facts(tree: ast.Module) -> tuple[Names, dict[ast.AST, ast.AST]]:
    """``Names(tree)`` and ``parents(tree)``, computed once for the tree that every family is handed in turn
    (transforms never mutate their input, so the facts stay true; the entry holds the tree, so its id is not
    reused)."""
    if _FACTS and _FACTS[0][0] is tree:
        return _FACTS[0][1], _FACTS[0][2]
    result = Names(tree), parents(tree)
    _FACTS[:] = [(tree, *result)]
    return result


def loads(tree: ast.AST, name: str) -> list[ast.Name]:
    return [n for n in preorder(tree) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]


def assigned_value(links: dict[ast.AST, ast.AST], target: ast.Name) -> ast.expr | None:
    """The value of ``target = value`` when ``target`` is the one and only target of a plain assignment."""
    parent = links.get(target)
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and parent.targets[0] is target:
        return parent.value
    return None


def method_call(links: dict[ast.AST, ast.AST], name_node: ast.Name) -> tuple[str, ast.Call] | None:
    """(``method``, the call) when ``name_node`` is the receiver of ``name.method(...)``."""
    attr = links.get(name_node)
    if isinstance(attr, ast.Attribute) and attr.value is name_node:
        call = links.get(attr)
        if isinstance(call, ast.Call) and call.func is attr:
            return attr.attr, call
    return None


def is_statement_call(links: dict[ast.AST, ast.AST], call: ast.Call) -> bool:
    """The call is a whole expression statement (its value is discarded)."""
    parent = links.get(call)
    return isinstance(parent, ast.Expr) and parent.value is call


def membership_right(links: dict[ast.AST, ast.AST], node: ast.expr) -> ast.Compare | None:
    """The comparison when ``node`` is the right operand of an ``in``/``not in`` test."""
    parent = links.get(node)
    if isinstance(parent, ast.Compare):
        for op, right in zip(parent.ops, parent.comparators, strict=True):
            if right is node and isinstance(op, (ast.In, ast.NotIn)):
                return parent
    return None


def call(func: str | ast.expr, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(func, ast.Load()) if isinstance(func, str) else func, args=list(args), keywords=[])


def attr_call(receiver: ast.expr, method: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Attribute(receiver, method, ast.Load()), args=list(args), keywords=[])


def load(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def store(name: str) -> ast.Name:
    return ast.Name(name, ast.Store())


def truth_tested(links: dict[ast.AST, ast.AST], node: ast.AST) -> bool:
    """Only the truth value of ``node`` is used (``if q:``, ``while q and x:``, ``not q``)."""
    parent = links.get(node)
    if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)) and parent.test is node:
        return True
    if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
        return True
    if isinstance(parent, ast.comprehension) and node in parent.ifs:
        return True
    return isinstance(parent, ast.BoolOp) and truth_tested(links, parent)


def is_len_of(links: dict[ast.AST, ast.AST], names: Names, node: ast.AST) -> bool:
    parent = links.get(node)
    return (isinstance(parent, ast.Call) and names.dotted(parent.func) == "len" and parent.args == [node]
            and not parent.keywords)


def constant_int(names: Names, links: dict[ast.AST, ast.AST], expr: ast.AST, depth: int = 0) -> int | None:
    """The value of an integer expression made of int literals and names bound once to such expressions
    (``MOD - 2`` with ``MOD = 10 ** 9 + 7``), else None."""
    if depth > 8:
        return None
    if isinstance(expr, ast.Constant) and type(expr.value) is int:
        return expr.value
    if isinstance(expr, ast.Name):
        value = single_binding(names, links, expr.id)
        return None if value is None else constant_int(names, links, value, depth + 1)
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        inner = constant_int(names, links, expr.operand, depth + 1)
        return None if inner is None else -inner
    if isinstance(expr, ast.BinOp):
        left = constant_int(names, links, expr.left, depth + 1)
        right = constant_int(names, links, expr.right, depth + 1)
        if left is None or right is None:
            return None
        if isinstance(expr.op, ast.Add):
            return left + right
        if isinstance(expr.op, ast.Sub):
            return left - right
        if isinstance(expr.op, ast.Mult) and abs(left) < 1 << 64 and abs(right) < 1 << 64:
            return left * right
        if isinstance(expr.op, ast.Pow) and 0 <= right <= 64 and abs(left) < 1 << 16:
            return int(left**right)
    return None


def as_list(iterable: ast.expr | None) -> ast.expr:
    """The expression a human would write for ``list(iterable)``: ``[]``, the display itself, or ``list(...)``."""
    if iterable is None:
        return ast.List(elts=[], ctx=ast.Load())
    if isinstance(iterable, ast.List):
        return iterable
    if isinstance(iterable, ast.ListComp):
        return iterable
    return call("list", iterable)


# Builtins that read an iterable argument without changing it or keeping it.
READING_BUILTINS = frozenset({"len", "sum", "min", "max", "sorted", "list", "tuple", "set", "frozenset", "any", "all",
                              "enumerate", "zip", "reversed", "str", "repr", "print", "range", "abs", "bool", "dict",
                              "map", "filter", "collections.Counter", "int", "float"})
READING_METHODS = frozenset({"count", "index", "copy"})


def is_read_only_use(links: dict[ast.AST, ast.AST], names: Names, use: ast.Name) -> bool:
    """``use`` reads a container without changing it and without letting anything else hold it: an item or
    slice, iteration, ``len``-like builtins, comparison, arithmetic (a new object), ``count``/``index``."""
    parent = links.get(use)
    if isinstance(parent, ast.Subscript):
        return parent.value is use and isinstance(parent.ctx, ast.Load)
    if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)):
        return parent.iter is use
    if isinstance(parent, ast.Compare | ast.BinOp):
        return True
    if isinstance(parent, ast.Call):
        return use in parent.args and names.dotted(parent.func) in READING_BUILTINS and not (
            names.dotted(parent.func) in {"map", "filter"} and parent.args[0] is use)
    if isinstance(parent, ast.Attribute) and parent.value is use:
        method = method_call(links, use)
        return method is not None and method[0] in READING_METHODS
    return False


def is_list_construction(names: Names, value: ast.AST | None) -> bool:
    """``[...]``, a list comprehension, ``list(...)``, ``sorted(...)`` or ``<expr>.split(...)`` (a new list)."""
    if isinstance(value, (ast.List, ast.ListComp)):
        return True
    if isinstance(value, ast.Call):
        if names.dotted(value.func) in {"list", "sorted"}:
            return True
        return isinstance(value.func, ast.Attribute) and value.func.attr == "split" and names.dotted(value.func) is None
    return False


def remove_statement(links: dict[ast.AST, ast.AST], stmt: ast.stmt) -> None:
    """Delete ``stmt`` from its block, leaving ``pass`` when the block would be empty."""
    body, index = statement_list(links[stmt], stmt)
    del body[index]
    if not body:
        body.append(ast.Pass())


def simple_expression(expr: ast.AST) -> bool:
    """No calls, no assignment expressions, no nested scopes, no yields: evaluating it again changes nothing."""
    return not any(
        isinstance(n, (ast.Call, ast.NamedExpr, ast.Lambda, ast.Yield, ast.YieldFrom, ast.Await, *COMPREHENSIONS))
        for n in preorder(expr)
    )


SCALAR_CONVERTERS = frozenset({"int", "float", "str"})


def has_immutable_items(names: Names, value: ast.AST | None) -> bool:
    """``value`` builds a new list (or string) whose items are ints, floats or strings, which nothing can change:
    ``list(map(int, ...))``, ``sorted(map(int, ...))``, ``[int(x) for ...]``, ``<str>.split()``, ``input()``."""
    if isinstance(value, ast.Call):
        func = names.dotted(value.func)
        if func in {"list", "sorted", "tuple"} and len(value.args) == 1:
            inner = value.args[0]
            if isinstance(inner, ast.Call) and names.dotted(inner.func) == "map" and len(inner.args) == 2:
                return names.dotted(inner.args[0]) in SCALAR_CONVERTERS
            return has_immutable_items(names, inner) and func != "tuple"
        if func == "input":
            return True
        if isinstance(value.func, ast.Attribute) and func is None and value.func.attr in {"split", "strip", "rstrip"}:
            return True  # a str method's result: a str or a list of str (a bytes receiver gives bytes: immutable too)
    if isinstance(value, ast.ListComp):
        return isinstance(value.elt, ast.Call) and names.dotted(value.elt.func) in SCALAR_CONVERTERS
    return False


def has_int_items(names: Names, value: ast.AST | None) -> bool:
    """``value`` builds a new list of ints: ``list(map(int, ...))``, ``sorted(map(int, ...))``, ``[int(x) ...]``."""
    if isinstance(value, ast.Call) and names.dotted(value.func) in {"list", "sorted"} and len(value.args) == 1:
        inner = value.args[0]
        return isinstance(inner, ast.Call) and names.dotted(inner.func) == "map" and len(inner.args) == 2 and (
            names.dotted(inner.args[0]) == "int")
    if isinstance(value, ast.ListComp):
        return isinstance(value.elt, ast.Call) and names.dotted(value.elt.func) == "int"
    return False


def single_binding_target(names: Names, name: str) -> ast.Name | None:
    """The ``Store`` target of the one plain assignment that binds ``name`` in the whole program, else None."""
    targets = names.plain_variable(name)
    if targets is None or len(targets) != 1:
        return None
    return targets[0]


def single_binding(names: Names, links: dict[ast.AST, ast.AST], name: str) -> ast.expr | None:
    """The value of the one plain assignment that binds ``name`` in the whole program, else None."""
    target = single_binding_target(names, name)
    return None if target is None else assigned_value(links, target)


def singly_bound_variables(
    names: Names, links: dict[ast.AST, ast.AST]
) -> Iterator[tuple[str, ast.Name, ast.expr | None]]:
    """(name, its ``Store`` target, the assigned value) for each variable bound by one plain assignment in the
    whole program (``single_binding_target``), in order of first binding."""
    for name in names.bindings:
        target = single_binding_target(names, name)
        if target is not None:
            yield name, target, assigned_value(links, target)


def variables_bound_only_where(
    names: Names, accept: Callable[[ast.Name], bool]
) -> Iterator[tuple[str, list[ast.Name]]]:
    """(name, its ``Store`` targets) for each plain variable (``Names.plain_variable``), in order of first binding,
    whose every binding ``accept(target)`` approves."""
    for name in names.bindings:
        targets = names.plain_variable(name)
        if targets and all(accept(t) for t in targets):
            yield name, targets


def variables_bound_only_to(
    names: Names, links: dict[ast.AST, ast.AST], accept: Callable[[ast.expr | None], bool]
) -> Iterator[tuple[str, list[ast.Name]]]:
    """``variables_bound_only_where`` judged by the assigned values: each plain variable every assignment of which
    ``accept(value)`` approves (the value is None where a target is not the one target of an ``=``)."""
    return variables_bound_only_where(names, lambda target: accept(assigned_value(links, target)))


# Expressions that neither raise on ordinary values nor do anything but compute: names, literals, comparisons,
# boolean logic, + - * and bit operations. A loop that now runs past the point where the original stopped
# evaluates them on more items; these cannot crash where the original would not have reached.
_QUIET_NODES = (ast.Name, ast.Constant, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Tuple, ast.Load,
                ast.boolop, ast.cmpop, ast.unaryop, ast.Add, ast.Sub, ast.Mult, ast.BitAnd, ast.BitOr, ast.BitXor)


def quiet_expression(expr: ast.AST, indexed: tuple[str, str] | None = None) -> bool:
    """``expr`` is made of quiet nodes only; with ``indexed=(seq, i)`` also ``seq[i]``, for a loop ``for i in
    range(len(seq))`` over a sequence (see ``index_loop``), where that item always exists."""
    for node in preorder(expr):
        if (indexed is not None and isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                and isinstance(node.slice, ast.Name) and (node.value.id, node.slice.id) == indexed):
            continue
        if not isinstance(node, _QUIET_NODES):
            return False
        if isinstance(node, ast.BinOp) and not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.BitAnd,
                                                                     ast.BitOr, ast.BitXor)):
            return False
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            return False  # `1 in "abc"` raises
    return True


def names_in(node: ast.AST) -> set[str]:
    return {n.id for n in preorder(node) if isinstance(n, ast.Name)}


def name_chain(expr: ast.AST) -> list[str] | None:
    """``["self", "items"]`` for ``self.items``, ``["x"]`` for ``x``: the names of a chain of attribute loads on a
    plain name (no calls, subscripts or literals in it), else None."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    return [expr.id, *reversed(parts)]


def new_sequence_bindings(names: Names, links: dict[ast.AST, ast.AST], name: str) -> list[ast.Name] | None:
    """The ``Store`` targets of ``name`` when it is a plain variable (``plain_variable``) bound only to new lists or
    strings (``is_list_construction``, ``has_immutable_items``), else None."""
    bindings = names.plain_variable(name)
    if not bindings or not all(
        is_list_construction(names, v := assigned_value(links, b)) or has_immutable_items(names, v) for b in bindings
    ):
        return None
    return bindings


def read_only_sequence(names: Names, links: dict[ast.AST, ast.AST], tree: ast.Module, name: str,
                       loop: ast.AST) -> bool:
    """``name`` is bound only to new lists or strings (``new_sequence_bindings``), none of its bindings inside
    ``loop``, and the program only ever reads it (``is_read_only_use``): never resized, so indexing it inside
    ``loop`` sees the items that iterating it would."""
    bindings = new_sequence_bindings(names, links, name)
    if bindings is None:
        return False
    inside = set(preorder(loop))
    return not any(b in inside for b in bindings) and all(is_read_only_use(links, names, u) for u in loads(tree, name))


def index_loop(
    names: Names, links: dict[ast.AST, ast.AST], target: ast.expr, iterable: ast.expr
) -> tuple[str, str] | None:
    """(seq, i) for ``for i in range(len(seq))`` (or ``range(0, len(seq))``) where ``seq`` is bound only to new lists
    or strings: ``seq[i]`` then exists at every step of a loop whose body cannot rebind or resize ``seq`` (the
    callers' bodies are quiet expressions and assignments of literals to other names)."""
    if not (isinstance(target, ast.Name) and isinstance(iterable, ast.Call) and names.dotted(iterable.func) == "range"
            and not iterable.keywords and 1 <= len(iterable.args) <= 2):
        return None
    if len(iterable.args) == 2 and not (isinstance(iterable.args[0], ast.Constant) and iterable.args[0].value == 0):
        return None
    counted = iterable.args[-1]
    if not (isinstance(counted, ast.Call) and names.dotted(counted.func) == "len" and len(counted.args) == 1
            and isinstance(counted.args[0], ast.Name)):
        return None
    seq = counted.args[0].id
    if new_sequence_bindings(names, links, seq) is None:
        return None
    return seq, target.id


def exhaustible(names: Names, links: dict[ast.AST, ast.AST], iterable: ast.expr) -> bool:
    """Iterating ``iterable`` to its end does nothing but iterate: ``range(...)`` of quiet arguments, or a variable
    bound only to new lists or strings (exhausting one changes nothing, unlike a generator or a file)."""
    if isinstance(iterable, ast.Call) and names.dotted(iterable.func) == "range":
        return not iterable.keywords and all(quiet_expression(a) for a in iterable.args)
    if isinstance(iterable, ast.Name):
        return new_sequence_bindings(names, links, iterable.id) is not None
    return False


def own_scope_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``scope``'s body that run in its own namespace: nested functions, lambdas, classes and
    comprehensions are not entered (their headers' defaults and decorators are, as they run in ``scope``)."""
    stack = list(reversed(getattr(scope, "body", [])))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            children: list[ast.AST] = [*node.decorator_list, *node.args.defaults,
                                       *(d for d in node.args.kw_defaults if d is not None)]
        elif isinstance(node, ast.Lambda):
            children = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
        elif isinstance(node, ast.ClassDef):
            children = [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
        elif isinstance(node, COMPREHENSIONS):
            children = [node.generators[0].iter]
        else:
            children = list(ast.iter_child_nodes(node))
        stack.extend(reversed(children))


def local_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names bound in ``function``'s own namespace: parameters, assignments, loop and ``with`` targets, nested
    defs and classes, imports, ``except ... as``."""
    args = function.args
    out = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    out |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    for node in own_scope_nodes(function):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            out.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
    return out


def is_global_reference(links: dict[ast.AST, ast.AST], node: ast.Name, name: str,
                        cache: dict[ast.AST, set[str]] | None = None) -> bool:
    """Does ``name`` at ``node`` mean the module's global? Not when an enclosing function binds it locally (and
    does not declare it ``global``), nor when an enclosing comprehension or lambda binds it."""
    cache = {} if cache is None else cache
    child: ast.AST = node
    current = links.get(node)
    while current is not None and not isinstance(current, ast.Module):
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if current not in cache:
                declared = {n for s in own_scope_nodes(current) if isinstance(s, ast.Global) for n in s.names}
                cache[current] = local_names(current) - declared
            if name in cache[current] and child not in (*current.decorator_list, *current.args.defaults):
                return False
        elif isinstance(current, ast.Lambda):
            args = current.args
            if name in {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
                        if a is not None}:
                return False
        elif isinstance(current, COMPREHENSIONS):
            first_iter = set(preorder(current.generators[0].iter))
            if node not in first_iter and any(name in names_in(g.target) for g in current.generators):
                return False
        child, current = current, links.get(current)
    return True
