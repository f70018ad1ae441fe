"""A SQLite cache of sandbox runs, shared by ``verify`` and ``measure`` (and safe to share between processes).

Key: (code sha256, input sha256, limits key, repetition). A result is committed the moment it arrives, so a
killed run loses only the runs in flight; WAL mode lets a second process (an export, a measure run) read and
write while the long verify run is going. Results the sandbox itself failed on (SandboxError) never get here.

Outputs are kept up to ``STDOUT_KEEP`` bytes (zlib) for judging later without re-running; longer outputs keep
only their length and sha256, plus the verdict against the expected output they were judged with at run time
(``judged_sha``/``judged_ok``: measure's scaled outputs can be megabytes, 1M+ of them would not fit).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from speedhints.training.data.sandbox import Limits, RunResult

STDOUT_KEEP = 1 << 16

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    code_sha TEXT NOT NULL,
    input_sha TEXT NOT NULL,
    limits TEXT NOT NULL,
    rep INTEGER NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER,
    cpu REAL NOT NULL,
    wall REAL NOT NULL,
    out_len INTEGER NOT NULL,
    out_sha TEXT NOT NULL,
    stdout BLOB,              -- zlib of stdout when out_len <= STDOUT_KEEP, else NULL
    stderr_tail TEXT NOT NULL,
    judged_sha TEXT,          -- sha256 of the expected output this run was judged against at run time
    judged_ok INTEGER,        -- 1 when it matched (token-wise): how long outputs are judged without keeping them
    created REAL NOT NULL,
    PRIMARY KEY (code_sha, input_sha, limits, rep)
) WITHOUT ROWID;
"""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def limits_key(limits: Limits) -> str:
    """Short stable id of a Limits value: results under other limits are other results."""
    return hashlib.sha256(limits.key().encode()).hexdigest()[:12]


@dataclass(frozen=True)
class CachedRun:
    status: str
    exit_code: int | None
    cpu_seconds: float
    wall_seconds: float
    out_len: int
    out_sha: str
    stdout: bytes | None  # None when the output was longer than STDOUT_KEEP
    stderr_tail: str
    judged_sha: str | None = None
    judged_ok: bool | None = None

    def matches(self, expected: bytes, expected_sha: str) -> bool | None:
        """Does the output match `expected` token-wise? None when it cannot be told any more (long output,
        judged against something else): the caller must run again."""
        from speedhints.training.data.compare import outputs_match

        if self.out_sha == expected_sha:
            return True
        if self.stdout is not None:
            return bool(outputs_match(self.stdout, expected))
        if self.judged_sha == expected_sha:
            return bool(self.judged_ok)
        return None


class RunCache:
    """Thread-safe (one connection behind a lock); several processes may open the same file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=60.0, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash loses no committed run
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def get(self, code_sha: str, input_sha: str, limits: Limits, rep: int = 0) -> CachedRun | None:
        with self._lock:
            row = self._db.execute(
                "SELECT status, exit_code, cpu, wall, out_len, out_sha, stdout, stderr_tail, judged_sha, judged_ok "
                "FROM runs "
                "WHERE code_sha=? AND input_sha=? AND limits=? AND rep=?",
                (code_sha, input_sha, limits_key(limits), rep),
            ).fetchone()
        if row is None:
            return None
        status, exit_code, cpu, wall, out_len, out_sha, blob, tail, judged_sha, judged_ok = row
        stdout = zlib.decompress(blob) if blob is not None else None
        ok = None if judged_ok is None else bool(judged_ok)
        return CachedRun(status, exit_code, cpu, wall, out_len, out_sha, stdout, tail, judged_sha, ok)

    def get_reps(self, code_sha: str, input_sha: str, limits: Limits) -> list[CachedRun]:
        """All cached repetitions of one (code, input), in repetition order."""
        with self._lock:
            reps = [
                r[0]
                for r in self._db.execute(
                    "SELECT rep FROM runs WHERE code_sha=? AND input_sha=? AND limits=? ORDER BY rep",
                    (code_sha, input_sha, limits_key(limits)),
                )
            ]
        return [run for rep in reps if (run := self.get(code_sha, input_sha, limits, rep)) is not None]

    def put(
        self,
        code_sha: str,
        input_sha: str,
        limits: Limits,
        result: RunResult,
        rep: int = 0,
        expected: bytes | None = None,
    ) -> CachedRun:
        """Store a run; with `expected`, also its verdict against that output (needed for long outputs)."""
        from speedhints.training.data.compare import outputs_match

        out = result.stdout
        blob = zlib.compress(out, 6) if len(out) <= STDOUT_KEEP else None
        judged_sha = sha256(expected) if expected is not None else None
        judged_ok = None if expected is None else int(outputs_match(out, expected))
        row = (
            code_sha,
            input_sha,
            limits_key(limits),
            rep,
            result.status,
            result.exit_code,
            result.cpu_seconds,
            result.wall_seconds,
            len(out),
            sha256(out),
            blob,
            result.stderr_tail,
            judged_sha,
            judged_ok,
            time.time(),
        )
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
        return CachedRun(
            result.status,
            result.exit_code,
            result.cpu_seconds,
            result.wall_seconds,
            len(out),
            str(row[9]),
            out if blob is not None else None,
            result.stderr_tail,
            judged_sha,
            None if judged_ok is None else bool(judged_ok),
        )

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> RunCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
