"""An edit script laid on the user's own lines (issue 14, item 5).

An edit model's script (editscript.py) addresses the lines of the *canonical* region, which is ``ast.unparse`` of
the region without docstrings, under placeholder names. The user must get their own file back with only the
hunks' lines changed: comments, docstrings, blank lines and layout elsewhere untouched. So:

- ``line_spans`` maps each canonical line to the lines of the region it came from, from the AST: the region's tree
  is printed by ``ast.unparse``'s own printer with a hook on the call that starts each output line, which says
  which statement (or decorator, header, ``else``/``elif``/``except``/``finally``/``case`` clause) the line
  belongs to; that node's position (a compound statement's header ends at its colon, found in the tokens) gives
  the source lines. Docstrings and comments belong to no canonical line.
- ``lay_on_lines`` replaces, for each hunk, exactly the source lines of its canonical lines, by the hunk's
  replacement lines in the user's names (decanonicalised by the caller) at the user's indentation (the prefix the
  region uses at that depth). A hunk is refused (``NotOnLines``) when its lines cannot be mapped exactly: a
  source line shared with a canonical line outside the hunk (``a = 1; b = 2``, ``if x: y``), or a comment or
  docstring line inside the range it would replace (it would be lost).

The caller then checks the result: it must canonicalise to what the model proposed, or it is dropped.
No torch here: the hook and the bot run this.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Sequence

from speedhints.model_export.accounting import (
    DOES_NOT_PARSE,
    NO_CHANGE,
    NOT_ON_LINES,
    ONLY_NAMES,
)
from speedhints.model_export.canonical import (
    Canonical,
    CanonicalError,
    canonicalize,
    decanonicalize,
    parse,
    strip_docstrings,
    unparse,
)
from speedhints.model_export.editscript import diff, split_lines
from speedhints.model_export.plausibility import refusal
from speedhints.model_export.regions import CodeRegion

Span = tuple[int, int]  # first and last line of the region's code, 1-based, inclusive
INDENT_WIDTH = 4  # ast.unparse's indentation


class NotOnLines(ValueError):
    """A script that cannot be laid on the user's lines exactly; ``str(exc)`` is one line."""


# --------------------------------------------------------------------------------------------------------------
# canonical line -> source lines
# --------------------------------------------------------------------------------------------------------------


class _Recorder(ast._Unparser):  # type: ignore[misc,name-defined]  # ast.unparse's own printer: its very lines
    """Records, for each output line, the statement being printed, the text that starts the line, and where the
    last completely printed statement ended (to find an ``else``/``finally`` keyword after it)."""

    _LINE_NODES = (ast.stmt, ast.excepthandler, ast.match_case)

    def __init__(self, **kwargs: bool) -> None:
        # The printer makes a fresh instance of its own class for the inside of an f-string
        # (``type(self)(_avoid_backslashes=True)``): accept its keyword, or every region with an f-string fails.
        super().__init__(**kwargs)
        self.stack: list[ast.AST] = []
        self.last_end: tuple[int, int] = (1, 0)
        self.fills: list[tuple[int, ast.AST | None, str, tuple[int, int]]] = []

    def traverse(self, node: ast.AST | list[ast.AST]) -> None:
        if not isinstance(node, self._LINE_NODES):
            super().traverse(node)
            return
        self.stack.append(node)
        try:
            super().traverse(node)
        finally:
            self.stack.pop()
        end = getattr(node, "end_lineno", None)
        if end is not None:
            self.last_end = (end, getattr(node, "end_col_offset", 0) or 0)

    def fill(self, text: str = "") -> None:
        super().fill(text)
        line = "".join(self._source).count("\n")  # 0-based output line this text starts
        self.fills.append((line, self.stack[-1] if self.stack else None, text, self.last_end))


def line_spans(code: str, canonical_code: str) -> list[Span | None]:
    """For each line of ``canonical_code`` (the canonical form of ``code``), the lines of ``code`` it came from;
    None for a blank canonical line and for one whose origin cannot be told. NotOnLines when the printed
    structure does not match the canonical form line for line."""
    try:
        tree = strip_docstrings(parse(code))
        rec = _Recorder()
        rendered = rec.visit(tree)
    except (ValueError, RecursionError) as exc:  # CanonicalError is a ValueError
        raise NotOnLines(f"cannot map the region's lines ({exc})") from None
    canonical = split_lines(canonical_code)
    printed = [*split_lines(rendered), ""] if rendered else [""]
    if len(printed) != len(canonical) or any(bool(a.strip()) != bool(b.strip()) for a, b in
                                              zip(printed, canonical, strict=True)):
        raise NotOnLines("the region does not print line for line as its canonical form")
    src = io.StringIO(code, newline="").readlines()
    tokens = _tokens(code)
    spans: list[Span | None] = [None] * len(canonical)
    seen: dict[int, int] = {}  # id(node) -> fills of that node so far
    for line, node, text, last_end in rec.fills:
        if node is None or not hasattr(node, "lineno"):
            continue  # the `pass` that stands for a stripped docstring-only body: no line of the user's
        k = seen.get(id(node), 0)
        seen[id(node)] = k + 1
        spans[line] = _span(node, k, text, last_end, tokens, src)
    return spans


def _span(node: ast.AST, k: int, text: str, last_end: tuple[int, int], tokens: list[tokenize.TokenInfo],
          src: list[str]) -> Span | None:
    decorators = getattr(node, "decorator_list", [])
    if text == "@" and k < len(decorators):
        deco = decorators[k]
        return deco.lineno, deco.end_lineno or deco.lineno
    first = k == len(decorators) if text != "@" else False
    compound = hasattr(node, "body")
    if first and not compound:
        return node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]
    if first and hasattr(node, "lineno"):  # a header: from its keyword to its colon
        start = (node.lineno, _char_col(src, node.lineno, node.col_offset))  # type: ignore[attr-defined]
    else:  # else / elif / finally / case: the keyword after the last statement printed
        word = text.split()[0] if text.strip() else ""
        found = _find_name(tokens, (last_end[0], _char_col(src, *last_end)), word)
        if found is None:
            return None
        start = found
    colon = _colon_line(tokens, start)
    return None if colon is None else (start[0], colon)


def _tokens(code: str) -> list[tokenize.TokenInfo]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return []


def _char_col(src: list[str], row: int, byte_col: int) -> int:
    """ast's column (UTF-8 bytes) as tokenize's (characters)."""
    if not 0 < row <= len(src):
        return byte_col
    return len(src[row - 1].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


_BETWEEN = (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)


def _find_name(tokens: list[tokenize.TokenInfo], after: tuple[int, int], word: str) -> tuple[int, int] | None:
    """Where ``word`` is when it is the first token after ``after`` (line ends and comments aside); else None
    (e.g. ``elif`` printed for an ``else:`` whose body is one ``if``: that line is in the source as two)."""
    for tok in tokens:
        if tok.start < after or tok.type in _BETWEEN:
            continue
        return tok.start if tok.type == tokenize.NAME and tok.string == word else None
    return None


def _colon_line(tokens: list[tokenize.TokenInfo], start: tuple[int, int]) -> int | None:
    """The line of the header's colon: the first ``:`` at bracket depth 0 from ``start`` (a lambda's excepted)."""
    depth = lambdas = 0
    for tok in tokens:
        if tok.start < start:
            continue
        if tok.type == tokenize.OP:
            if tok.string in ("(", "[", "{"):
                depth += 1
            elif tok.string in (")", "]", "}"):
                depth -= 1
            elif tok.string == ":" and depth == 0:
                if not lambdas:
                    return tok.start[0]
                lambdas -= 1
        elif tok.type == tokenize.NAME and tok.string == "lambda" and depth == 0:
            lambdas += 1
    return None


# --------------------------------------------------------------------------------------------------------------
# the script on the user's lines
# --------------------------------------------------------------------------------------------------------------


def lay_on_lines(region_lines: Sequence[str], code: str, canonical_code: str, canonical_out: str,
                 restored: str) -> str:
    """The region's lines with each hunk of ``diff(canonical_code, canonical_out)`` replaced by the matching lines
    of ``restored`` (``canonical_out`` in the user's names, printed line for line the same), at the user's
    indentation; every other line exactly as it was. Every line ends with a newline.

    ``region_lines`` are the file's lines of the region (ends kept), ``code`` the region at column 0 (the same
    lines without their common indentation). NotOnLines when a hunk cannot be placed exactly.
    """
    code_lines = io.StringIO(code, newline="").readlines()
    if len(code_lines) != len(region_lines) or any(a.strip() != b.strip() for a, b in
                                                    zip(code_lines, region_lines, strict=True)):
        raise NotOnLines("the region's code is not its file lines")
    out_lines, user_out = split_lines(canonical_out), split_lines(restored)
    if len(out_lines) != len(user_out):
        raise NotOnLines("the suggestion in the user's names prints on other lines")
    canonical = split_lines(canonical_code)
    spans = line_spans(code, canonical_code)
    newline = "\r\n" if region_lines and region_lines[0].endswith("\r\n") else "\n"
    prefix = _Indents(canonical, spans, region_lines)
    lines = [line if line.endswith(("\n", "\r")) else line + newline for line in region_lines]
    result: list[str] = []
    pos = 0  # region lines (0-based) copied so far
    shift = 0  # canonical_out line = canonical line + shift, outside hunks
    for h in diff(canonical_code, canonical_out):
        first, last = _place(h.start, h.end, canonical, spans, region_lines)  # region lines first..last-1 (0-based)
        if first < pos:
            raise NotOnLines(f"hunk {h.start}-{h.end} overlaps the previous one on the user's lines")
        j = h.start + shift
        covered = [k for k in range(h.start, h.end) if canonical[k].strip()]
        # a replacement's lines take their columns from its first line; an insertion's from the lines around it
        before, nxt = (covered[0] + 1, None) if covered else (h.start, _next_line(canonical, h.end))
        replacement = [prefix(line, before, nxt) + line.lstrip(" ") + newline if line.strip() else newline
                       for line in user_out[j : j + len(h.lines)]]
        result += lines[pos:first] + replacement
        pos = last
        shift += len(h.lines) - (h.end - h.start)
    return "".join(result + lines[pos:])


def _next_line(canonical: list[str], k: int) -> int | None:
    return next((i for i in range(k, len(canonical)) if canonical[i].strip()), None)


def _place(start: int, end: int, canonical: list[str], spans: list[Span | None],
           region_lines: Sequence[str]) -> tuple[int, int]:
    """The region lines [first, last) (0-based) that canonical lines [start, end) occupy, or where an insertion
    before canonical line ``start`` goes (first == last)."""
    covered = [k for k in range(start, end) if canonical[k].strip()]
    outside = [s for k, s in enumerate(spans) if s is not None and not start <= k < end]
    if not covered:  # an insertion (or blank lines of the canonical form replaced): before the next line
        nxt = next((k for k in range(end, len(canonical)) if canonical[k].strip()), None)
        if nxt is None:
            return len(region_lines), len(region_lines)
        span = spans[nxt]
        if span is None:
            raise NotOnLines(f"line {nxt} of the canonical form has no place in the user's lines")
        before = [s for k, s in enumerate(spans) if k < start and s is not None]
        if before and max(b for _, b in before) >= span[0]:
            raise NotOnLines(f"an insertion at line {start} falls inside a line the user wrote as one")
        return span[0] - 1, span[0] - 1
    got = [s for s in (spans[k] for k in covered) if s is not None]
    if len(got) < len(covered):
        raise NotOnLines(f"lines {start}-{end} of the canonical form have no place in the user's lines")
    first, last = min(a for a, _ in got), max(b for _, b in got)
    for a, b in outside:
        if not (b < first or a > last):
            raise NotOnLines(f"lines {start}-{end} share a line with code the script keeps")
    mine = {line for a, b in got for line in range(a, b + 1)}
    for line in range(first, last + 1):
        if line not in mine and region_lines[line - 1].strip():
            raise NotOnLines(f"lines {start}-{end} would remove a comment or docstring")
    return first - 1, last


class _Indents:
    """The user's indentation for a canonical depth near a hunk: the prefix of the nearest line at that depth
    before it (or the line an insertion precedes), deeper depths extended by the region's unit. Nearest, not
    region-wide: ``else:`` + ``if`` prints as ``elif``, so a depth means another column inside such a chain."""

    def __init__(self, canonical: list[str], spans: list[Span | None], region_lines: Sequence[str]) -> None:
        self.known: list[tuple[int, str] | None] = []  # per canonical line: (depth, the user's prefix)
        for line, span in zip(canonical, spans, strict=True):
            if span is None or not line.strip():
                self.known.append(None)
                continue
            text = region_lines[span[0] - 1]
            self.known.append((_depth(line), text[: len(text) - len(text.lstrip(" \t"))]))
        base = next((p for k in self.known if k is not None and k[0] == 0 for p in [k[1]]), "")
        one = next((p for k in self.known if k is not None and k[0] == 1 for p in [k[1]]), None)
        self.unit = one[len(base):] if one is not None and one.startswith(base) and len(one) > len(base) else "    "

    def __call__(self, line: str, before: int, nxt: int | None = None) -> str:
        """The prefix for ``line`` placed after canonical line ``before - 1`` (and, for an insertion, before
        canonical line ``nxt``)."""
        depth = _depth(line)
        if nxt is not None and (k := self.known[nxt]) is not None and k[0] == depth:
            return k[1]
        for known in reversed(self.known[: max(before, 0)]):
            if known is not None and known[0] <= depth:
                return known[1] + self.unit * (depth - known[0])
        return self.unit * depth


def _depth(line: str) -> int:
    return (len(line) - len(line.lstrip(" "))) // INDENT_WIDTH


# --------------------------------------------------------------------------------------------------------------
# an edit model's candidate -> the user's region, checked
# --------------------------------------------------------------------------------------------------------------



def region_file_lines(region: CodeRegion, file_lines: Sequence[str] | None) -> list[str]:
    """The file's lines of ``region`` (ends kept); without the file, the region's code re-indented (exact for
    regions cut from the file's lines, the usual case: regions.py)."""
    if file_lines is not None:
        return list(file_lines[region.start - 1 : region.end])
    return [region.indent + line if line.strip() else line for line in io.StringIO(region.code, newline="")]


def place(region: CodeRegion, canonical_code: str, canonical_out: str, restored: str,
          file_lines: Sequence[str] | None = None) -> tuple[str, str]:
    """``lay_on_lines`` for a region, checked: (the region's new lines in the file, the same at column 0).
    NotOnLines also when the result, comments and all, does not canonicalise as ``restored`` does (what the model
    proposed, in the user's names)."""
    laid = lay_on_lines(region_file_lines(region, file_lines), region.code, canonical_code, canonical_out, restored)
    col0 = "".join(line[len(region.indent):] if line.startswith(region.indent) else line
                   for line in io.StringIO(laid, newline=""))
    try:
        same = canonicalize(col0).code == canonicalize(restored).code
    except CanonicalError:
        same = False
    if not same:
        raise NotOnLines("the laid lines do not read as the model's program")
    return laid, col0


def edit_suggestion(region: CodeRegion, canonical: Canonical, output: str, avoid: set[str] | frozenset[str],
                    file_lines: Sequence[str] | None = None) -> tuple[str | None, str]:
    """(the region's new lines in the user's file, or None; why not). ``output`` is the canonical region with the
    model's script applied. The same checks as a program candidate's (runtime._checked), then: the hunks must lie
    on the user's lines exactly, and the result, comments and all, must canonicalise to what the model proposed."""
    if output.strip() == canonical.code.strip():
        return None, NO_CHANGE
    try:
        out = unparse(parse(output))  # ast.unparse's layout: the lines decanonicalize prints
        restored = decanonicalize(out, canonical, avoid=avoid)
        if canonicalize(restored).code == canonical.code:
            return None, ONLY_NAMES
    except CanonicalError:
        return None, DOES_NOT_PARSE
    try:
        laid, col0 = place(region, canonical.code, out, restored, file_lines)
    except NotOnLines:
        return None, NOT_ON_LINES
    why = refusal(region.code, col0, canonical.code, out, region=region.name, part=region.part)
    return (None, why) if why is not None else (laid, "")
