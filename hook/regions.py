"""Which pieces of a file a change touches: the unit the model rewrites, the cache stores and ``ignore``
silences.

A region is a function (methods separately; nested functions stay inside their outer function) or a run of
consecutive non-function statements at module or class level ("<module>", or the class name). A changed line
between regions (a comment, a blank line, a ``class`` header) touches none.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from speedhints.model_export.hints import LineRange, Overlaps
from speedhints.model_export.source import source_lines  # the one line splitter, shared with the runtime and the bot

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class Region:
    name: str  # "f", "Cls.meth", "<module>", "Cls" (class-level statements)
    start: int  # first line (a function's first decorator), 1-based
    end: int  # last line, inclusive
    header_end: int  # last line of the "def ...:" header (== start - 1 for statement runs: they have no header)

    @property
    def is_function(self) -> bool:
        return self.header_end >= self.start

    def overlaps(self, ranges: Sequence[LineRange]) -> bool:
        return any(start <= self.end and end >= self.start for start, end in ranges)

    def text(self, lines: Sequence[str]) -> str:
        return "".join(lines[self.start - 1 : self.end])


def all_regions(tree: ast.Module) -> list[Region]:
    return list(_regions_in(tree.body, prefix="", run_name="<module>"))


def touched_regions(tree: ast.Module, changed: Sequence[LineRange] | None) -> list[Region]:
    """Regions overlapping ``changed`` (every region when ``changed`` is None: the whole file)."""
    regions = all_regions(tree)
    if changed is None:
        return regions
    overlaps = Overlaps(changed)
    return [r for r in regions if overlaps(r.start, r.end)]


def _regions_in(body: list[ast.stmt], prefix: str, run_name: str) -> Iterator[Region]:
    run: list[ast.stmt] = []

    def flush() -> Iterator[Region]:
        if run:
            yield Region(run_name, _first_line(run[0]), _last_line(run[-1]), _first_line(run[0]) - 1)
            run.clear()

    for stmt in body:
        if isinstance(stmt, _FUNCTIONS):
            yield from flush()
            header_end = max(stmt.body[0].lineno - 1, stmt.lineno) if stmt.body else stmt.lineno
            yield Region(prefix + stmt.name, _first_line(stmt), _last_line(stmt), header_end)
        elif isinstance(stmt, ast.ClassDef):
            yield from flush()
            yield from _regions_in(stmt.body, prefix=f"{prefix}{stmt.name}.", run_name=prefix + stmt.name)
        else:
            run.append(stmt)
    yield from flush()


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return int(min([node.lineno, *(d.lineno for d in decorators)]))


def _last_line(node: ast.stmt) -> int:
    return node.end_lineno or node.lineno


# ``# speedhints: ignore`` or ``# speedhints: ignore[7, list -> set membership]``; anything after the bracket
# is free.
_IGNORE = re.compile(r"#\s*speedhints:\s*ignore(?:\[(?P<which>[^\]]*)\])?", re.IGNORECASE)

IgnoreSpec = frozenset[str] | None  # None: every latent; otherwise latent ids / normalised labels


def ignore_comments(source: str) -> dict[int, IgnoreSpec]:
    """Line number -> what an inline ``speedhints: ignore`` comment on that line silences.

    Comments are found with tokenize, so the same text inside a string literal does not count.
    """
    found: dict[int, IgnoreSpec] = {}
    if "speedhints" not in source.lower():
        return found  # the usual case, and tokenizing a long file costs more than everything else the hook does
    try:
        comments = [
            (tok.start[0], tok.string)
            for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):
        # The file already parsed with ast, so this is a tokenize corner case: fall back to a plain line scan.
        comments = [(n, line) for n, line in enumerate(source_lines(source), 1) if "#" in line]
    for line, text in comments:
        match = _IGNORE.search(text)
        if not match:
            continue
        which = match.group("which")
        spec: IgnoreSpec = None
        if which is not None:
            spec = frozenset(" ".join(part.lower().split()) for part in which.split(",") if part.strip())
        previous = found.get(line, frozenset())
        found[line] = None if spec is None or previous is None else previous | spec
    return found


def silences(spec: IgnoreSpec, latent: int, label: str) -> bool:
    return spec is None or str(latent) in spec or " ".join(label.lower().split()) in spec
