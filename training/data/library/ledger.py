"""The resumable record of the library pipeline (work/library/ledger.sqlite): baseline test runs per test file,
one row per tried variant, and the families' per-package counts. A row is committed the moment its run ends, so a
killed job loses only the run in flight and a rerun skips everything recorded.

Its dump (``dump``, committed as training/corpus/library_ledger.jsonl.gz) starts the ledger of a machine that has
none, so an hour of test runs is not repeated after a restart.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from speedhints.training.data.ledger_dump import Row, dump_tables, load_tables

_SCHEMA = """
CREATE TABLE IF NOT EXISTS baseline (
    package TEXT NOT NULL, version TEXT NOT NULL, test_file TEXT NOT NULL,
    status TEXT NOT NULL, seconds REAL NOT NULL, tail TEXT NOT NULL,
    PRIMARY KEY (package, version, test_file)
);
CREATE TABLE IF NOT EXISTS variants (
    package TEXT NOT NULL, version TEXT NOT NULL, module TEXT NOT NULL, qualname TEXT NOT NULL,
    family TEXT NOT NULL, variant_sha TEXT NOT NULL, unit_sha TEXT NOT NULL,
    status TEXT NOT NULL,          -- kept | broke | timeout | error | no_usable_tests | unreached
    test_files TEXT NOT NULL,      -- the test files run, space-separated
    seconds REAL NOT NULL, tail TEXT NOT NULL,
    PRIMARY KEY (package, version, module, qualname, family, variant_sha)
);
CREATE TABLE IF NOT EXISTS reach (
    package TEXT NOT NULL, version TEXT NOT NULL, module TEXT NOT NULL, qualname TEXT NOT NULL,
    unit_sha TEXT NOT NULL,
    status TEXT NOT NULL,          -- reached (the tests fail with the function raising) | unreached | timeout | error
    test_files TEXT NOT NULL, seconds REAL NOT NULL,
    PRIMARY KEY (package, version, module, qualname, unit_sha)
);
CREATE TABLE IF NOT EXISTS family_counts (
    package TEXT NOT NULL, version TEXT NOT NULL, family TEXT NOT NULL, counts TEXT NOT NULL,
    PRIMARY KEY (package, version, family)
);
"""


_TABLES = ("baseline", "variants", "reach", "family_counts")
_TAIL_KEEP = 300  # characters of a run's output tail a dump keeps: enough to tell why, not the whole log


def _shrink(table: str, row: Row) -> Row:
    """A dumped row without most of its log tail (the last column of baseline and variants)."""
    if table in ("baseline", "variants") and isinstance(row[-1], str):
        row[-1] = row[-1][-_TAIL_KEEP:]
    return row


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def baseline(self, package: str, version: str) -> dict[str, tuple[str, float]]:
        rows = self.db.execute(
            "SELECT test_file, status, seconds FROM baseline WHERE package=? AND version=?", (package, version)
        )
        return {f: (s, sec) for f, s, sec in rows}

    def add_baseline(self, package: str, version: str, test_file: str, status: str, seconds: float, tail: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO baseline VALUES (?,?,?,?,?,?)",
                (package, version, test_file, status, seconds, tail),
            )

    def done(self, package: str, version: str) -> set[tuple[str, str, str, str]]:
        rows = self.db.execute(
            "SELECT module, qualname, family, variant_sha FROM variants WHERE package=? AND version=?",
            (package, version),
        )
        return {tuple(r) for r in rows}  # type: ignore[misc]

    def add_variant(self, row: tuple[object, ...]) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO variants VALUES (?,?,?,?,?,?,?,?,?,?,?)", row)

    def reach(self, package: str, version: str, module: str, qualname: str, unit_sha: str) -> str | None:
        row = self.db.execute(
            "SELECT status FROM reach WHERE package=? AND version=? AND module=? AND qualname=? AND unit_sha=?",
            (package, version, module, qualname, unit_sha),
        ).fetchone()
        return None if row is None else str(row[0])

    def add_reach(self, row: tuple[object, ...]) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO reach VALUES (?,?,?,?,?,?,?,?)", row)

    def reach_counts(self) -> list[tuple[str, str, int]]:
        return list(self.db.execute("SELECT package, status, count(*) FROM reach GROUP BY 1, 2 ORDER BY 1, 2"))

    def set_counts(self, package: str, version: str, family: str, counts: dict[str, object]) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO family_counts VALUES (?,?,?,?)",
                (package, version, family, json.dumps(counts, sort_keys=True)),
            )

    def variants(self) -> list[tuple[object, ...]]:
        return list(self.db.execute("SELECT * FROM variants ORDER BY package, module, qualname, family, variant_sha"))

    def all_baseline(self) -> list[tuple[str, str, str, str, float]]:
        return list(self.db.execute("SELECT package, version, test_file, status, seconds FROM baseline ORDER BY 1, 3"))

    def counts(self) -> list[tuple[str, str, str, dict[str, object]]]:
        rows = self.db.execute("SELECT package, version, family, counts FROM family_counts ORDER BY 1, 3")
        return [(p, v, f, json.loads(c)) for p, v, f, c in rows]

    def dump(self, path: Path) -> int:
        """Every row of every table, log tails cut to their last lines; returns the rows written."""
        return dump_tables(self.db, _TABLES, path, _shrink)

    def load(self, path: Path) -> int:
        """Rows of a ``dump`` this ledger lacks; returns how many were added."""
        with self.db:
            return load_tables(self.db, _TABLES, path)
