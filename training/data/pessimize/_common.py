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
    """Nodes in source order (a node before its children, fields in their order), without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(ast.iter_child_nodes(current))))


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


def binding_nodes(tree: ast.AST) -> dict[str, list[ast.AST]]:
    """Every node that binds each name anywhere in the program (any scope): assignments, deletions, loop and
    ``with`` targets, parameters, defs, classes, imports, ``except ... as``, match captures, global/nonlocal."""
    out: dict[str, list[ast.AST]] = {}

    def add(name: str | None, node: ast.AST) -> None:
        if name:
            out.setdefault(name, []).append(node)

    for node in preorder(tree):
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
        self.bindings = binding_nodes(tree)
        self.imported: dict[str, str] = {}
        for name, nodes in self.bindings.items():
            targets = {self._import_target(name, n) for n in nodes}
            if len(targets) == 1 and None not in targets:
                self.imported[name] = targets.pop()  # type: ignore[assignment]
        self.used = set(self.bindings) | {n.id for n in preorder(tree) if isinstance(n, ast.Name)}
        self.star_import = any(
            isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in preorder(tree)
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
        targets = names.plain_variable(expr.id)
        if targets is None or len(targets) != 1:
            return None
        value = assigned_value(links, targets[0])
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
