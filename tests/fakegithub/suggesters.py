"""A small deterministic Suggester for the bot's tests: a stand-in for the model runtime (issue #6), which
cannot run yet. Two textual rules, each only where the hint touches a changed line:

- ``NAME in [a, b, c]`` -> ``NAME in {a, b, c}`` (one line; latent 7, "list -> set membership", made-up record)
- ``out = []`` / ``for x in xs:`` / ``    out.append(EXPR)`` -> ``out = [EXPR for x in xs]``
  (three lines; latent 12, "append loop -> list comprehension", never measured)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from speedhints.model_export.atlas import LatentPrecision
from speedhints.model_export.hints import Hint, LineRange
from speedhints.model_export.source import source_lines

# What the set rule's latent measured (made up for the double; shown as the hint's record).
SET_MEASURED = LatentPrecision(40, 35, 30, 0.6, 1.8)

MEMBERSHIP = re.compile(r"\bin \[([^\[\]]*)\]")
INIT = re.compile(r"^(\s*)(\w+) = \[\]\s*$")
FOR = re.compile(r"^(\s*)for (\w+) in (.+):\s*$")
APPEND = re.compile(r"^(\s*)(\w+)\.append\((.+)\)\s*$")


def _functions(source: str) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    out.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")

    visit(ast.parse(source), "")
    return out


class RuleSuggester:
    def suggest(self, path: str, source: str, changed: Sequence[LineRange], *, top_k: int = 4) -> list[Hint]:
        lines = source_lines(source)  # numbered as the runtime numbers them
        funcs = _functions(source)

        def touched(a: int, b: int) -> bool:
            return any(a <= e and s <= b for s, e in changed)

        def function_of(n: int) -> str:
            inner = [f for f in funcs if f[0] <= n <= f[1]]
            return max(inner, key=lambda f: f[0])[2] if inner else "<module>"

        hints: list[Hint] = []
        for i, line in enumerate(lines, start=1):
            if MEMBERSHIP.search(line) and touched(i, i):
                new = MEMBERSHIP.sub(lambda m: "in {" + m.group(1) + "}", line)
                label = "list -> set membership"
                hints.append(Hint(path, i, i, function_of(i), 7, label, SET_MEASURED, 0.6, line, new))
            if i + 2 <= len(lines) and touched(i, i + 2):
                a, b, c = INIT.match(line), FOR.match(lines[i]), APPEND.match(lines[i + 1])
                if a and b and c and a.group(2) == c.group(2) and a.group(1) == b.group(1):
                    new = f"{a.group(1)}{a.group(2)} = [{c.group(3)} for {b.group(2)} in {b.group(3)}]\n"
                    original = "".join(lines[i - 1 : i + 2])
                    hints.append(
                        Hint(
                            path,
                            i,
                            i + 2,
                            function_of(i),
                            12,
                            "append loop -> list comprehension",
                            None,
                            0.4,
                            original,
                            new,
                        )
                    )
        hints.sort(key=lambda h: -h.score)
        return hints[: top_k * max(1, len(changed))]


def load_suggester() -> RuleSuggester:
    """The factory ``SPEEDHINTS_SUGGESTER=fakegithub.suggesters:load_suggester`` names."""
    return RuleSuggester()
