"""Reading a JSONL file of records whose every line must parse, with errors that name the line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# What a record builder raises on a line that is not the record it expects (besides json's own error).
BAD_RECORD = (json.JSONDecodeError, KeyError, TypeError, ValueError)


def parse_jsonl(path: Path, parse: Callable[[Any], T], bad_line: Callable[[int, Exception], Exception]) -> Iterator[T]:
    """``parse(record)`` for each non-blank line of ``path``, in order. A line that is not JSON, or whose record
    ``parse`` rejects with one of ``BAD_RECORD``, raises ``bad_line(lineno, exc)`` (1-based; without a cause)."""
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = parse(json.loads(line))
            except BAD_RECORD as exc:
                raise bad_line(lineno, exc) from None
            yield value
