"""Committed dumps of the work-side SQLite ledgers (synth, edits, library), so another machine resumes a long run
instead of repeating hours of sandbox or test runs.

A dump is gzipped JSON lines, one ``{"table": ..., "row": [...]}`` per row, sorted so a rerun's dump diffs by what
is new. Loading inserts only rows the ledger lacks (``INSERT OR IGNORE``), so loading twice, or into a ledger that
already ran further, changes nothing it knows.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

Row = list[object]


def dump_tables(db: sqlite3.Connection, tables: Sequence[str], path: Path,
                shrink: Callable[[str, Row], Row] | None = None) -> int:
    """Write every row of ``tables`` to ``path``; ``shrink(table, row)`` may drop what a resume does not need (e.g.
    long log tails). Returns the rows written."""
    lines = []
    for table in tables:
        for r in db.execute(f"SELECT * FROM {table}").fetchall():
            row = list(r) if shrink is None else shrink(table, list(r))
            lines.append(json.dumps({"table": table, "row": row}, sort_keys=True))
    lines.sort()
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write("".join(x + "\n" for x in lines))
    tmp.replace(path)  # a killed dump never leaves half a file where the committed one was
    return len(lines)


def load_tables(db: sqlite3.Connection, tables: Sequence[str], path: Path) -> int:
    """Insert the rows of a dump that ``db`` does not have yet; returns how many were added. A row of a table not in
    ``tables`` is an error: the dump is of another ledger."""
    added = 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if d["table"] not in tables:
                raise ValueError(f"{path}: unknown table {d['table']!r}")
            marks = ",".join("?" * len(d["row"]))
            added += db.execute(f"INSERT OR IGNORE INTO {d['table']} VALUES ({marks})", d["row"]).rowcount
    return added
