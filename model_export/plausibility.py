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
- **Something to speed up**: a region of only imports, docstrings and ``pass`` gets no hint.

Returns the reason a suggestion is refused (a short phrase; the runtime counts them), or None when it may be shown.
"""

from __future__ import annotations

import ast

from speedhints.model_export.similarity import code_tokens, rouge_n

RULES_VERSION = 1  # bump when the checks change: cached hints were filtered by the old ones
MIN_SIMILARITY = 0.38  # ROUGE-2 F1 (see above)
SIMILARITY_N = 2
# A called builtin or an attribute anywhere -> the kind of effect it has.
EFFECT_CALLS = {"input": "reads stdin", "print": "writes output", "open": "touches files", "eval": "runs dynamic code",
                "exec": "runs dynamic code", "compile": "runs dynamic code", "__import__": "runs dynamic code",
                "exit": "exits", "quit": "exits", "breakpoint": "runs dynamic code"}  # fmt: skip
EFFECT_ATTRS = {"stdin": "reads stdin", "stdout": "writes output", "stderr": "writes output", "exit": "exits",
                "system": "touches files", "popen": "touches files", "remove": "touches files",
                "unlink": "touches files", "rmtree": "touches files"}  # fmt: skip


def refusal(original: str, suggestion: str, canonical_in: str, canonical_out: str) -> str | None:
    """Why ``suggestion`` (user names, parses) must not be shown as an edit of ``original``; None if it may."""
    try:
        before, after = ast.parse(original), ast.parse(suggestion)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "does not parse"
    if not _has_work(before):
        return "nothing to speed up"
    if rouge_n(code_tokens(canonical_in), code_tokens(canonical_out), SIMILARITY_N) < MIN_SIMILARITY:
        return "a rewrite, not an edit"
    functions = [s for s in before.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]
    if len(before.body) == 1 and functions:
        if len(after.body) != 1 or not isinstance(after.body[0], ast.FunctionDef | ast.AsyncFunctionDef):
            return "changes the function's interface"
        if _interface(functions[0]) != _interface(after.body[0]):
            return "changes the function's interface"
    added = _effects(after) - _effects(before)
    if added:
        return f"new effect: {sorted(added)[0]}"
    return None


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
