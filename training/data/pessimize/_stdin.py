"""Facts about how a program reads standard input, shared by the families that change how it reads."""

from __future__ import annotations

import ast

from ._common import Names, preorder

READ_CALLS = frozenset({"input", "sys.stdin.readline", "sys.stdin.read", "sys.stdin.readlines", "sys.stdin.buffer.read",
                        "sys.stdin.buffer.readline", "sys.stdin.buffer.readlines", "open", "os.read"})


def has_try(tree: ast.AST) -> bool:
    return any(isinstance(n, (ast.Try, ast.TryStar)) for n in preorder(tree))


def may_read_to_eof(tree: ast.AST, names: Names) -> bool:
    """Could the program read until input runs out? True when a ``while`` loop reads input or calls anything
    the program binds itself (which might read): the loops that stop on an empty line or an exception at end of input.
    A ``for`` over ``range`` reads a known number of lines, which a correct program's input has."""
    for loop in preorder(tree):
        if not isinstance(loop, ast.While):
            continue
        for node in preorder(loop):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in names.bindings and func.id not in names.imported:
                    return True  # a function (or anything callable) of the program's own
                if names.dotted(func) in READ_CALLS:
                    return True
    # `for line in sys.stdin` reads to the end by design
    return any(isinstance(n, (ast.For, ast.comprehension)) and names.dotted(n.iter) in {"sys.stdin", "sys.stdin.buffer"}
               for n in preorder(tree))
