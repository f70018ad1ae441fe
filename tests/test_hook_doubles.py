"""A small deterministic Suggester that stands in for the model runtime (issue #6) in the hook's tests.

It knows two hand-written rules, so the hook's tests can check selection, caching, filtering and rendering against
hints whose content is known exactly. It is a test double, not a model: the hook never ships it.

- latent 7 "list -> set membership" (measured: correct and faster in 25 of 31, median 3.1x; score 0.62): a loop
  that tests ``x in name`` where ``name`` is a list built in the same function and not changed by the loop gets
  ``name_set = set(name)`` before the loop and tests against that.
- latent 3 "range(len) -> enumerate" (never measured, score 0.21): ``for i in range(len(xs)):`` becomes
  ``for i, xs_item in enumerate(xs):``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from speedhints.hook.regions import source_lines
from speedhints.model_export.atlas import LatentPrecision, wilson_lower_bound
from speedhints.model_export.hints import Hint, LineRange

DOUBLE_IDENTITY = "rule-double-v1"  # the model identity the double runs under (keys the hint cache)
SET_LATENT, SET_LABEL, SET_SCORE = 7, "list -> set membership", 0.62
SET_MEASURED = LatentPrecision(31, 27, 25, wilson_lower_bound(25, 31), 3.1)
ENUM_LATENT, ENUM_LABEL, ENUM_SCORE = 3, "range(len) -> enumerate", 0.21


class RuleSuggester:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[LineRange, ...]]] = []  # (path, changed) of every suggest()

    def suggest(self, path: str, source: str, changed: Sequence[LineRange], *, top_k: int = 4) -> list[Hint]:
        self.calls.append((path, tuple(changed)))
        lines = source_lines(source)
        hints: list[Hint] = []
        for name, func in _functions(ast.parse(source)):
            if any(s <= (func.end_lineno or func.lineno) and e >= func.lineno for s, e in changed):
                hints.extend(_membership_hints(path, lines, name, func))
                hints.extend(_enumerate_hints(path, lines, name, func))
        hints.sort(key=lambda h: (-h.score, h.start_line))
        return hints[:top_k]


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield prefix + node.name, node


def _list_names(func: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            is_list_call = isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "list"
            if isinstance(value, ast.List | ast.ListComp) or is_list_call:
                names.add(node.targets[0].id)
    return names


def _membership_hints(path: str, lines: list[str], fname: str, func: ast.AST) -> Iterator[Hint]:
    lists = _list_names(func)
    for loop in ast.walk(func):
        if not isinstance(loop, ast.For | ast.While) or loop.end_lineno is None:
            continue
        mutated = {  # a list that the loop changes (x.append(...), x = ...) cannot be frozen into a set before it
            n.value.id
            for n in ast.walk(loop)
            if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name)
            and isinstance(n.ctx, ast.Load)
            and n.attr in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse")
        } | {n.id for n in ast.walk(loop) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        targets = {
            (c.lineno, c.col_offset, c.end_col_offset, c.id)
            for cmp in ast.walk(loop)
            if isinstance(cmp, ast.Compare)
            for op, c in zip(cmp.ops, cmp.comparators, strict=True)
            if isinstance(op, ast.In | ast.NotIn) and isinstance(c, ast.Name) and c.id in lists - mutated
        }
        if not targets:
            continue
        original = lines[loop.lineno - 1 : loop.end_lineno]
        new = list(original)
        for lineno, start, end, name in sorted(targets, reverse=True):  # right to left keeps offsets valid
            raw = new[lineno - loop.lineno].encode()
            new[lineno - loop.lineno] = (raw[:start] + f"{name}_set".encode() + raw[end:]).decode()
        indent = original[0][: len(original[0]) - len(original[0].lstrip())]
        setup = "".join(f"{indent}{n}_set = set({n})\n" for n in sorted({t[3] for t in targets}))
        yield Hint(
            path, loop.lineno, loop.end_lineno, fname, SET_LATENT, SET_LABEL, SET_MEASURED, SET_SCORE,
            "".join(original), setup + "".join(new),
        )  # fmt: skip


def _enumerate_hints(path: str, lines: list[str], fname: str, func: ast.AST) -> Iterator[Hint]:
    for loop in ast.walk(func):
        if not (isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and loop.body):
            continue
        it = loop.iter
        if not (
            isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and len(it.args) == 1 and isinstance(it.args[0], ast.Call) and isinstance(it.args[0].func, ast.Name)
            and it.args[0].func.id == "len" and len(it.args[0].args) == 1 and isinstance(it.args[0].args[0], ast.Name)
            and loop.body[0].lineno > loop.lineno
        ):  # fmt: skip
            continue
        seq, header = it.args[0].args[0].id, lines[loop.lineno - 1]
        indent = header[: len(header) - len(header.lstrip())]
        new = f"{indent}for {loop.target.id}, {seq}_item in enumerate({seq}):\n"
        yield Hint(path, loop.lineno, loop.lineno, fname, ENUM_LATENT, ENUM_LABEL, None, ENUM_SCORE, header, new)


# The double's own behaviour, so a failing hook test can be told apart from a broken double.

LOOP = """\
def f(items, wanted):
    pool = [w for w in wanted]
    out = []
    for x in items:
        if x in pool:
            out.append(x)
    return out
"""


def test_double_proposes_a_set_for_membership_in_a_loop() -> None:
    [hint] = RuleSuggester().suggest("m.py", LOOP, [(1, 7)])
    assert (hint.start_line, hint.end_line, hint.function, hint.latent) == (4, 6, "f", SET_LATENT)
    assert hint.suggestion == (
        "    pool_set = set(pool)\n    for x in items:\n        if x in pool_set:\n            out.append(x)\n"
    )
    ast.parse(LOOP.replace(hint.original, hint.suggestion))  # the suggestion is valid code in place


def test_double_leaves_lists_the_loop_changes_alone() -> None:
    source = LOOP.replace("out.append(x)", "pool.append(x)")
    assert RuleSuggester().suggest("m.py", source, [(1, 7)]) == []


def test_double_only_answers_for_changed_functions_and_respects_top_k() -> None:
    source = LOOP + "\n\ndef g(xs):\n    for i in range(len(xs)):\n        print(xs[i])\n"
    double = RuleSuggester()
    assert [h.latent for h in double.suggest("m.py", source, [(10, 11)])] == [ENUM_LATENT]
    assert [h.latent for h in double.suggest("m.py", source, [(1, 11)], top_k=1)] == [SET_LATENT]
    assert double.suggest("m.py", source, [(8, 8)]) == []
