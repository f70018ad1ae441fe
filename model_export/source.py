"""Reading a user's Python file safely: every way a file can be unusable becomes one ``BadInput`` line.

Both the hook and the bot read files through here, so a file that is binary, not UTF-8, too large, empty or not
valid Python 3 is reported the same way everywhere and never raises anything else.
"""

from __future__ import annotations

import ast
import functools
import gc
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 1_000_000
# CPython's parser raises RecursionError/MemoryError ("too many nested parentheses") well before this,
# but libcst recurses in Python, so we refuse deep nesting ourselves before handing code to it.
MAX_NESTING = 100


class BadInput(ValueError):
    """A file that cannot be analysed; ``str(exc)`` is a one-line reason without the path."""


@dataclass(frozen=True)
class Source:
    path: str
    text: str


def decode_source(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Validate raw file contents and return them as text (BadInput otherwise)."""
    if len(data) > max_bytes:
        raise BadInput(f"file is {len(data):,} bytes, over the {max_bytes:,}-byte limit")
    if b"\x00" in data:
        raise BadInput("file contains NUL bytes (binary content, not Python source)")
    if not data.strip():
        raise BadInput("file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"file is not UTF-8 (invalid byte at offset {exc.start})") from None
    check_python3(text)
    return text


def source_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer and ``ast`` count them (\\n, \\r\\n, \\r), ends kept.

    The one line splitter of the hook, the bot and the runtime: ``str.splitlines`` also splits at form feeds,
    \\x1c-\\x1e, \\x85 and U+2028/2029, which may sit inside a comment or a string, and ast's line numbers do not
    count those, so every later line would shift and a hint would no longer quote the file it came from.
    """
    return io.StringIO(text, newline="").readlines()


def parse_quietly(text: str) -> ast.Module:
    """``ast.parse`` without SyntaxWarnings: invalid escapes in user code are its linters' business, and model
    output such as ``1if`` must not print warnings into a commit hook's output."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A tree holds no reference cycles, so the collector, which runs again and again while millions of nodes
        # are made, finds nothing to free: off while parsing, 0.42x the CPU on a 5 MB file (2.09 -> 0.87 s).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return ast.parse(text)
        finally:
            if collecting:
                gc.enable()


@functools.lru_cache(maxsize=16)
def parse_python(text: str) -> ast.Module:
    """``parse_quietly``, remembered: the hook validates a file here and the runtime then walks the same tree, and
    must not pay for the parse twice. Callers must not mutate the tree they get."""
    return parse_quietly(text)


def check_python3(text: str) -> None:
    """Raise BadInput unless ``text`` parses as Python 3 (with a Python 2 hint where it is obviously Python 2)."""
    try:
        tree = parse_python(text)
    except SyntaxError as exc:
        msg = (exc.msg or "invalid syntax").splitlines()[0]
        hint = " (looks like Python 2)" if "print" in msg or "Missing parentheses" in msg else ""
        raise BadInput(f"not valid Python 3{hint}: {msg} at line {exc.lineno}") from None
    except (RecursionError, MemoryError):
        raise BadInput("code is nested too deeply to parse") from None
    except ValueError as exc:  # e.g. "source code string cannot contain null bytes"
        raise BadInput(f"not valid Python 3: {exc}") from None
    depth = _max_depth(tree)
    if depth > MAX_NESTING:
        raise BadInput(f"code is nested {depth} levels deep, over the limit of {MAX_NESTING}")


def _max_depth(tree: ast.AST) -> int:
    # Level by level, so that a pathological tree cannot exhaust the Python stack here; children read from
    # ``_fields`` inline rather than through ast.iter_child_nodes' generators: 0.46x the CPU on a 4.5 MB file
    # (0.67 -> 0.31 s), which the hook pays before any of its time budget can help.
    deepest = -1
    level: list[ast.AST] = [tree]
    while level:
        deepest += 1
        below: list[ast.AST] = []
        for node in level:
            for name in node._fields:
                value = getattr(node, name, None)
                if isinstance(value, list):
                    below.extend(v for v in value if isinstance(v, ast.AST))
                elif isinstance(value, ast.AST):
                    below.append(value)
        level = below
    return deepest


def read_source(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    """Read and validate one file; BadInput for anything unusable, including I/O errors."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise BadInput(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit")
        data = p.read_bytes()
    except IsADirectoryError:
        raise BadInput("is a directory") from None
    except FileNotFoundError:
        raise BadInput("no such file") from None
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror or exc}") from None
    return Source(str(path), decode_source(data, max_bytes))
