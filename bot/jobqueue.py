"""A durable job queue in SQLite: webhook deliveries in, review jobs out, surviving kill -9 and restarts.

- A delivery and its job are inserted in one transaction before the webhook is answered, with
  ``synchronous=FULL``: once GitHub got its 2xx, the job is on disk.
- ``X-GitHub-Delivery`` is the primary key of ``deliveries``: a redelivery inserts nothing (no replays).
- A worker *leases* a job (``lease_until``) and renews the lease while it works. A worker killed mid-job stops
  renewing; when the lease runs out the job is claimed again. Running a job twice is safe because a review run
  re-reads the PR and posts only what is not there yet (markers), so "at least once" here means "exactly once"
  on GitHub.
- A job whose PR has a newer queued job is superseded: the newer one reviews the newer head anyway.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL UNIQUE REFERENCES deliveries(delivery_id),
    repo TEXT NOT NULL,
    pr INTEGER NOT NULL,
    head_sha TEXT NOT NULL,
    installation_id INTEGER,
    state TEXT NOT NULL DEFAULT 'queued',   -- queued | running | done | failed | superseded
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL,
    lease_until REAL,
    worker TEXT,
    result TEXT,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs(state, not_before);
CREATE INDEX IF NOT EXISTS jobs_pr ON jobs(repo, pr, state);
"""


@dataclass(frozen=True)
class JobSpec:
    repo: str
    pr: int
    head_sha: str
    installation_id: int | None


@dataclass(frozen=True)
class Job:
    id: int
    delivery_id: str
    spec: JobSpec
    attempts: int


class JobQueue:
    """One queue file; safe to use from several threads and processes (one connection per thread)."""

    def __init__(
        self,
        path: str | Path,
        *,
        lease_s: float = 120.0,
        max_attempts: int = 5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = str(path)
        self.lease_s = lease_s
        self.max_attempts = max_attempts
        self._clock = clock
        self._local = threading.local()
        self._db().executescript(SCHEMA)  # idempotent; executescript manages its own transaction

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a 2xx to GitHub means the job survives a power cut
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")  # take the write lock up front: no upgrade deadlocks between workers
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def record_delivery(self, delivery_id: str, event: str, job: JobSpec | None) -> bool:
        """Store a verified delivery (and its job); False when this delivery id was seen before."""
        now = self._clock()
        with self._tx() as db:
            try:
                db.execute("INSERT INTO deliveries VALUES (?, ?, ?)", (delivery_id, event, now))
            except sqlite3.IntegrityError:
                return False
            if job is not None:
                db.execute(
                    "INSERT INTO jobs (delivery_id, repo, pr, head_sha, installation_id, not_before,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (delivery_id, job.repo, job.pr, job.head_sha, job.installation_id, now, now),
                )
        return True

    def claim(self, worker: str) -> Job | None:
        """Lease the oldest ready job (a queued one, or a running one whose worker stopped renewing)."""
        now = self._clock()
        with self._tx() as db:
            while True:
                row = db.execute(
                    "SELECT id, delivery_id, repo, pr, head_sha, installation_id, attempts FROM jobs"
                    " WHERE (state = 'queued' AND not_before <= ?) OR (state = 'running' AND lease_until < ?)"
                    " ORDER BY id LIMIT 1",
                    (now, now),
                ).fetchone()
                if row is None:
                    return None
                newer = db.execute(
                    "SELECT 1 FROM jobs WHERE repo = ? AND pr = ? AND id > ? AND state IN ('queued', 'running')",
                    (row[2], row[3], row[0]),
                ).fetchone()
                if newer:
                    db.execute("UPDATE jobs SET state = 'superseded', finished_at = ? WHERE id = ?", (now, row[0]))
                    continue
                if row[6] >= self.max_attempts:  # it keeps killing its worker, or keeps failing
                    db.execute(
                        "UPDATE jobs SET state = 'failed', result = 'gave up after repeated attempts',"
                        " finished_at = ? WHERE id = ?",
                        (now, row[0]),
                    )
                    continue
                db.execute(
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ?, worker = ?"
                    " WHERE id = ?",
                    (now + self.lease_s, worker, row[0]),
                )
                return Job(row[0], row[1], JobSpec(row[2], row[3], row[4], row[5]), row[6] + 1)

    def heartbeat(self, job_id: int, worker: str) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND worker = ? AND state = 'running'",
                (self._clock() + self.lease_s, job_id, worker),
            )
            return cur.rowcount == 1

    def complete(self, job_id: int, worker: str, result: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET state = 'done', result = ?, finished_at = ? WHERE id = ? AND worker = ?",
                (result, self._clock(), job_id, worker),
            )

    def retry_later(self, job_id: int, worker: str, error: str, delay_s: float) -> None:
        """Put a failed attempt back (claim() gives up once ``max_attempts`` is reached)."""
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET state = 'queued', result = ?, not_before = ?, lease_until = NULL"
                " WHERE id = ? AND worker = ?",
                (error, self._clock() + delay_s, job_id, worker),
            )

    def fail(self, job_id: int, worker: str, error: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET state = 'failed', result = ?, finished_at = ? WHERE id = ? AND worker = ?",
                (error, self._clock(), job_id, worker),
            )

    def counts(self) -> dict[str, int]:
        rows = self._db().execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        out = {state: 0 for state in ("queued", "running", "done", "failed", "superseded")}
        out.update({state: n for state, n in rows})
        out["deliveries"] = self._db().execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
        return out

    def prune_deliveries(self, older_than_s: float) -> int:
        """Forget delivery ids older than GitHub would ever redeliver (jobs keep theirs)."""
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM deliveries WHERE received_at < ? AND delivery_id NOT IN (SELECT delivery_id FROM jobs)",
                (self._clock() - older_than_s,),
            )
            return cur.rowcount
