"""The work-side ledger of ``speedhints data synth``: every attempt, failed or kept, so a rerun tries only what is new.

A SQLite file (``work/synth.sqlite``, WAL: the export reads it while the long run writes). Three tables:

- ``originals``: one row per real solution the run looked at, with what it measured for it (summed CPU ms over the
  problem's scaled inputs) or why it was skipped (``too_fast``, ``wrong_scaled``...). A solution with a row here is
  not measured again.
- ``applied``: one row per (solution, family or family pair) whose variants were all attempted. A rerun skips these
  without even generating the variants, so only new families or new solutions cost anything.
- ``attempts``: one row per variant with its outcome (``status``), its times and the sandbox CPU it cost.

Runs themselves stay in the shared run cache (``work/runs.sqlite``); this ledger holds the decisions.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from speedhints.training.data.ledger_dump import dump_tables, load_tables

_SCHEMA = """
CREATE TABLE IF NOT EXISTS originals (
    problem TEXT NOT NULL, solution TEXT NOT NULL, code_sha TEXT NOT NULL,
    status TEXT NOT NULL,          -- measured | too_fast | wrong_scaled | error_scaled
    ms REAL, censored INTEGER NOT NULL DEFAULT 0, cpu_s REAL NOT NULL DEFAULT 0,
    trace TEXT,                    -- line counts of its ast.unparse text on the smallest scaled input: "line:count,..."
    created REAL NOT NULL,
    PRIMARY KEY (problem, solution, code_sha)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS applied (
    problem TEXT NOT NULL, solution TEXT NOT NULL, code_sha TEXT NOT NULL, families TEXT NOT NULL,
    variants INTEGER NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (problem, solution, code_sha, families)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attempts (
    problem TEXT NOT NULL, solution TEXT NOT NULL, code_sha TEXT NOT NULL, families TEXT NOT NULL,
    variant INTEGER NOT NULL, variant_sha TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL,
    orig_ms REAL, variant_ms REAL, changed_lines INTEGER, hits INTEGER, split TEXT NOT NULL,
    cpu_s REAL NOT NULL, wall_s REAL NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (problem, solution, code_sha, families, variant)
) WITHOUT ROWID;
"""

_TABLES = ("originals", "applied", "attempts")
# What a dump carries: not ``applied`` (one row per solution and family, 130k rows for the edits' ledger, 95 % of a
# dump), which only saves regenerating variants; a resumed run regenerates them (AST work, no sandbox) and skips
# every one the dumped attempts already decided.
_DUMPED = ("originals", "attempts")

# Outcomes of one variant, in the order the checks run (the first that fails names the status).
STATUSES = (
    "same_as_solution",  # its canonical form is an existing solution of the problem: not a new program
    "same_as_variant",  # another family (or pair) of this solution already made this exact program
    "cold",  # the edit touches no line that ran >= min_hits times in the trace: not measured (--min-hits)
    "fails_tests",  # wrong, error or timeout on the problem's untruncated tests (detail: the verdict)
    "wrong_scaled",  # output on a scaled input differs from the original's
    "error_scaled",  # crashed on a scaled input
    "censored",  # hit the CPU limit on a scaled input: slower, but its output was never compared
    "not_faster",  # the original is < min speedup faster
    "not_confirmed",  # >= min speedup by the cached times, not when run side by side with the original
    "kept",
    "original_unusable",  # the original itself could not be timed (detail: too_fast, censored, error_scaled...)
)


@dataclass(frozen=True)
class Attempt:
    problem: str
    solution: str
    code_sha: str
    families: str  # "name" or "first+second"
    variant: int  # index among the family's variants of this solution
    variant_sha: str
    status: str
    detail: str
    orig_ms: float | None
    variant_ms: float | None
    changed_lines: int | None
    hits: int | None  # runs of the busiest original line the edit touches, in the traced part (synth_trace.py)
    split: str
    cpu_s: float  # sandbox CPU seconds spent on this variant's runs (cache hits cost 0)
    wall_s: float


@dataclass(frozen=True)
class Original:
    problem: str
    solution: str
    code_sha: str
    status: str
    ms: float | None
    censored: bool
    cpu_s: float
    trace: str | None = None  # "line:count,..." (synth_trace.py); None when not traced


class Ledger:
    """Thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=60.0, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def original(self, problem: str, solution: str, code_sha: str) -> Original | None:
        with self._lock:
            row = self._db.execute(
                "SELECT status, ms, censored, cpu_s, trace FROM originals "
                "WHERE problem=? AND solution=? AND code_sha=?",
                (problem, solution, code_sha),
            ).fetchone()
        if row is None:
            return None
        return Original(problem, solution, code_sha, row[0], row[1], bool(row[2]), row[3], row[4])

    def put_original(self, o: Original) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO originals VALUES (?,?,?,?,?,?,?,?,?)",
                (o.problem, o.solution, o.code_sha, o.status, o.ms, int(o.censored), o.cpu_s, o.trace, time.time()),
            )

    def applied(self, problem: str, solution: str, code_sha: str) -> set[str]:
        """The families (and pairs) already done for this solution."""
        with self._lock:
            rows = self._db.execute(
                "SELECT families FROM applied WHERE problem=? AND solution=? AND code_sha=?",
                (problem, solution, code_sha),
            ).fetchall()
        return {r[0] for r in rows}

    def put_applied(self, problem: str, solution: str, code_sha: str, families: str, variants: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO applied VALUES (?,?,?,?,?,?)",
                (problem, solution, code_sha, families, variants, time.time()),
            )

    def attempt(self, problem: str, solution: str, code_sha: str, families: str, variant: int) -> Attempt | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {', '.join(f.name for f in fields(Attempt))} FROM attempts "
                "WHERE problem=? AND solution=? AND code_sha=? AND families=? AND variant=?",
                (problem, solution, code_sha, families, variant),
            ).fetchone()
        return None if row is None else Attempt(*row)

    def put_attempt(self, a: Attempt) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO attempts VALUES ({','.join('?' * (len(fields(Attempt)) + 1))})",
                (*astuple(a), time.time()),
            )

    def attempts(self) -> list[Attempt]:
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(f.name for f in fields(Attempt))} FROM attempts").fetchall()
        return [Attempt(*r) for r in rows]

    def originals(self) -> list[Original]:
        with self._lock:
            rows = self._db.execute(
                "SELECT problem, solution, code_sha, status, ms, censored, cpu_s, trace FROM originals"
            ).fetchall()
        return [Original(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7]) for r in rows]

    def cost(self) -> dict[str, float]:
        """What the attempts so far cost: sandbox CPU seconds of the variants' runs and of timing and tracing the
        originals, and the hours between the first and the last record (the run's wall time if it never stopped)."""
        with self._lock:
            a_cpu, a_first, a_last = self._db.execute(
                "SELECT SUM(cpu_s), MIN(created), MAX(created) FROM attempts"
            ).fetchone()
            o_cpu, o_first, o_last = self._db.execute(
                "SELECT SUM(cpu_s), MIN(created), MAX(created) FROM originals"
            ).fetchone()
        first = min((t for t in (a_first, o_first) if t is not None), default=0.0)
        last = max((t for t in (a_last, o_last) if t is not None), default=0.0)
        return {"variants_cpu_s": round(a_cpu or 0.0, 1), "originals_cpu_s": round(o_cpu or 0.0, 1),
                "span_hours": round((last - first) / 3600, 3)}  # fmt: skip

    def dump(self, path: Path) -> int:
        """Every row of the originals and attempts tables (``ledger_dump``), committed beside the tables so another
        machine resumes the run (``load``) instead of repeating hours of sandbox runs. Returns the rows written."""
        with self._lock:
            return dump_tables(self._db, _DUMPED, path)

    def load(self, path: Path) -> int:
        """Rows of a ``dump`` that this ledger does not have yet; returns how many were added."""
        with self._lock:
            return load_tables(self._db, _TABLES, path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resume_from_dump(db: Path, dump: Path, echo: Callable[[str], None]) -> None:
    """A machine without the ledger starts from the committed dump: what was tried elsewhere is not tried again
    (the run cache is not committed, so an original measured elsewhere is timed again only if a new variant of it
    needs the comparison)."""
    if db.exists() or not dump.is_file():
        return
    with Ledger(db) as ledger:
        added = ledger.load(dump)
    echo(f"ledger: no {db} here; started it from {dump} ({added} rows)")
