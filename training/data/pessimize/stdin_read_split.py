"""``sys.stdin.read().split()`` -> the same tokens gathered line by line (one read per line instead of one read).

Precondition: the read is ``sys.stdin.read()``, ``sys.stdin.buffer.read()`` or ``open(0).read()`` (builtin
``open``), split on whitespace with no argument. A line break is whitespace, so splitting the whole input equals
splitting each line and concatenating, for text and bytes alike; both leave standard input at its end.
"""

from __future__ import annotations

import ast

from ._common import Names, attr_call, facts, load, parents, per_site, preorder, replace_node, store
from ._family import Family

SOURCES = {"sys.stdin.read": "sys.stdin", "sys.stdin.buffer.read": "sys.stdin.buffer"}


def _lines_source(names: Names, read: ast.expr) -> ast.expr | None:
    """What to iterate for the lines of the stream that ``read`` reads, or None when it is not standard input."""
    if not (isinstance(read, ast.Call) and isinstance(read.func, ast.Attribute)) or read.args or read.keywords:
        return None
    if names.dotted(read.func) in SOURCES:
        return read.func.value
    stream = read.func.value
    if (read.func.attr == "read" and isinstance(stream, ast.Call) and names.dotted(stream.func) == "open"
            and len(stream.args) == 1 and not stream.keywords
            and isinstance(stream.args[0], ast.Constant) and stream.args[0].value == 0
            and type(stream.args[0].value) is int):
        return stream
    return None


def transform(tree: ast.Module) -> list[ast.Module]:
    names, links = facts(tree)
    sites = [
        node for node in preorder(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split"
        and not node.args and not node.keywords and _lines_source(names, node.func.value) is not None
    ]

    def rewrite(clone: ast.Module, site: ast.Call) -> None:
        source = _lines_source(names, site.func.value)  # type: ignore[attr-defined]
        assert source is not None  # checked on the original
        line = names.fresh("line")
        token = names.fresh("token", line)
        tokens = ast.ListComp(
            elt=load(token),
            generators=[
                ast.comprehension(target=store(line), iter=source, ifs=[], is_async=0),
                ast.comprehension(target=store(token), iter=attr_call(load(line), "split"), ifs=[], is_async=0),
            ],
        )
        replace_node(parents(clone)[site], site, tokens)

    return per_site(tree, sites, rewrite)


FAMILY = Family(name="stdin_read_split", label="per-line reads -> sys.stdin.read().split()", transform=transform)
