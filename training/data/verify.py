"""``speedhints data verify``: keep a converted solution when it passes every untruncated test of its problem.

Each solution runs its problem's tests in order and stops at the first failure. Every run goes through the run
cache (work/runs.sqlite), so the command is resumable: re-running it, or ``--export-only`` at any moment,
rebuilds the verdicts from the cache without executing anything already run.

Verdicts (one per solution): ``pass`` / ``wrong`` (ran, output differs) / ``error`` (exception, memory or output
limit, killed) / ``timeout`` / ``convert_failed``. The committed table ``training/corpus/verified.tsv`` has one
row per solution, sorted by (problem, solution id), so a re-run diffs line by line; solutions whose verdict is not
known yet (an interrupted run) are left out, and the summary says how many.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import click

from speedhints.training.data.compare import outputs_match
from speedhints.training.data.convert import (
    DEFAULT_DATA,
    DEFAULT_WORK,
    REPO_ROOT,
    Converted,
    load_converted,
    read_eligible_problems,
    untruncated_tests,
)
from speedhints.training.data.runcache import CachedRun, RunCache, sha256
from speedhints.training.data.sandbox import Limits, Sandbox, SandboxError, run_with_starvation_retry

DEFAULT_TABLE = REPO_ROOT / "training" / "corpus" / "verified.tsv"
VERIFY_LIMITS = Limits()  # the given tests are tiny: 2 s of CPU is far more than any correct solution needs
VERDICT_OF_STATUS = {
    "timeout": "timeout",
    "runtime_error": "error",
    "memory": "error",
    "output_limit": "error",
    "killed": "error",
}


@dataclass(frozen=True)
class Test:
    input: bytes
    input_sha: str
    expected: str


def normalise_input(text: str) -> bytes:
    """The scrape kept Windows and old-Mac line ends ("1\\r\\n2\\r"): feed programs plain "\\n" lines, ending in one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def load_tests(data: Path, problems: set[str] | None = None) -> dict[str, list[Test]]:
    return {str(problem["problem"]): problem_tests(problem) for problem in read_eligible_problems(data, problems)}


def problem_tests(problem: dict[str, object]) -> list[Test]:
    """The problem's untruncated tests, each input normalised as the sandbox feeds it."""
    out = []
    for t in untruncated_tests(problem):
        inp = normalise_input(str(t["input"]))
        out.append(Test(inp, sha256(inp), str(t["output"])))
    return out


def verdict_of(run: CachedRun, test: Test) -> str | None:
    """None means passed this test; otherwise the solution's verdict."""
    if run.status == "ok":
        if run.stdout is not None and outputs_match(run.stdout, test.expected):
            return None
        return "wrong"
    return VERDICT_OF_STATUS.get(run.status, "error")


Runner = Callable[[Converted, Test], CachedRun | None]


def judge(solution: Converted, tests: list[Test], runner: Runner) -> str | None:
    """The solution's verdict, or None when some needed run is not available (cache-only runner)."""
    if solution.code is None:
        return "convert_failed"
    for test in tests:
        run = runner(solution, test)
        if run is None:
            return None
        verdict = verdict_of(run, test)
        if verdict is not None:
            return verdict
    return "pass"


_READS_INPUT_TXT = re.compile(r"""^[^#\n]*['"]input\.txt['"]""", re.M)


def file_io_problems(solutions: Iterable[Converted]) -> set[str]:
    """Problems whose solutions read ./input.txt (a few Codeforces rounds used files instead of stdin): when at
    least half of a problem's solutions open it outside a comment, its runs get `Limits.file_io`."""
    total: Counter[str] = Counter()
    reading: Counter[str] = Counter()
    for s in solutions:
        total[s.problem] += 1
        reading[s.problem] += bool(s.code and _READS_INPUT_TXT.search(s.code))
    return {p for p in total if reading[p] * 2 >= total[p] and reading[p] > 0}


def limits_for(problem: str, limits: Limits, file_io: set[str]) -> Limits:
    return replace(limits, file_io=True) if problem in file_io else limits


def cache_only(cache: RunCache, limits: Limits, file_io: set[str]) -> Runner:
    return lambda sol, test: cache.get(sol.sha256, test.input_sha, limits_for(sol.problem, limits, file_io))


class SandboxRunner:
    """Cache first, sandbox on a miss; counts runs for the progress line.

    Many solutions are verbatim copies of each other. When two threads want the same (code, input) at once, the
    second waits for the first's run instead of running it again.
    """

    def __init__(self, cache: RunCache, sandbox: Sandbox, limits: Limits, file_io: set[str]) -> None:
        self.cache, self.sandbox, self.limits, self.file_io = cache, sandbox, limits, file_io
        self.runs = 0
        self.hits = 0
        self._lock = threading.Lock()
        self._in_flight: dict[tuple[str, str], threading.Event] = {}

    def __call__(self, sol: Converted, test: Test) -> CachedRun:
        assert sol.code is not None
        key = (sol.sha256, test.input_sha)
        limits = limits_for(sol.problem, self.limits, self.file_io)
        while True:
            cached = self.cache.get(sol.sha256, test.input_sha, limits)
            if cached is not None:
                with self._lock:
                    self.hits += 1
                return cached
            with self._lock:
                running = self._in_flight.get(key)
                if running is None:
                    self._in_flight[key] = threading.Event()
                    break
            running.wait()  # then read the other thread's result from the cache (or run it, had it failed)
        try:
            result = run_with_starvation_retry(self.sandbox, sol.code, test.input, limits)
            with self._lock:
                self.runs += 1
            return self.cache.put(sol.sha256, test.input_sha, limits, result)
        finally:
            with self._lock:
                self._in_flight.pop(key).set()


def _sort_key(row: tuple[str, str, str, str]) -> tuple[str, int, str]:
    problem, sid = row[0], row[1]
    return (problem, int(sid) if sid.isdigit() else -1, sid)


def write_table(path: Path, verdicts: dict[tuple[str, str], str], solutions: list[Converted]) -> None:
    by_key = {(s.problem, s.id): s for s in solutions}
    rows = [(p, sid, by_key[(p, sid)].sha256[:16] or "-", v) for (p, sid), v in verdicts.items()]
    rows.sort(key=_sort_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tsv.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("problem\tsolution\tcode_sha\tstatus\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
    tmp.replace(path)


def read_table(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(problem, solution id) -> (code sha256[:16], status), as written by write_table."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            problem, sid, code_sha, status = line.rstrip("\n").split("\t")
            out[(problem, sid)] = (code_sha, status)
    return out


def select_solutions(work: Path, problems: int | None) -> list[Converted]:
    solutions: list[Converted] = load_converted(work)
    if problems is not None:
        keep: list[str] = []
        for s in solutions:
            if s.problem not in keep:
                keep.append(s.problem)
        chosen = set(keep[:problems])
        solutions = [s for s in solutions if s.problem in chosen]
    return solutions


class Progress:
    """Progress lines: done/total, runs/s, cache hits and an ETA from the recent pace (the last few minutes),
    so a resumed run, which starts with a burst of cached work, does not promise too much."""

    def __init__(self, label: str, unit: str, total: int, echo: Callable[[str], None], every: float) -> None:
        self.label, self.unit, self.total, self.echo, self.every = label, unit, total, echo, every
        self.t0 = self.last = time.perf_counter()
        self.window: deque[tuple[float, int]] = deque([(self.t0, 0)])

    def maybe_report(self, now: float, done: int, runs: int, hits: int, extra: str = "") -> None:
        if now - self.last < self.every:
            return
        self.last = now
        self.window.append((now, done))
        while len(self.window) > 2 and now - self.window[1][0] >= 300:
            self.window.popleft()
        t_old, done_old = self.window[0]
        pace = (done - done_old) / max(now - t_old, 1e-9)
        eta = f"{(self.total - done) / pace / 60:.0f} min" if pace > 0 else "?"
        self.echo(
            f"{self.label}: {done}/{self.total} {self.unit}, {runs} runs ({runs / (now - self.t0):.1f} runs/s), "
            f"{hits} cached{', ' + extra if extra else ''}, ETA {eta}"
        )


def verify(
    solutions: list[Converted],
    tests: dict[str, list[Test]],
    cache: RunCache,
    workers: int,
    limits: Limits = VERIFY_LIMITS,
    echo: Callable[[str], None] = print,
    progress_every: float = 10.0,
    checkpoint: Callable[[dict[tuple[str, str], str]], None] | None = None,
) -> dict[tuple[str, str], str]:
    verdicts: dict[tuple[str, str], str] = {}
    todo = [s for s in solutions if s.problem in tests]
    total = len(todo)
    t0 = time.perf_counter()
    last = [t0]  # last checkpoint
    progress = Progress("verify", "solutions", total, echo, progress_every)
    lock = threading.Lock()
    with Sandbox(workers=workers, limits=limits) as sandbox:
        runner = SandboxRunner(cache, sandbox, limits, file_io_problems(solutions))
        enforced = ", ".join(k for k, v in sandbox.enforcement.items() if v) or "rlimits only (not root)"
        echo(f"verify: {total} solutions, {sandbox.workers} workers; sandbox enforces rlimits + {enforced}")

        def one(sol: Converted) -> None:
            v = judge(sol, tests[sol.problem], runner)
            assert v is not None
            with lock:
                verdicts[(sol.problem, sol.id)] = v
                now = time.perf_counter()
                progress.maybe_report(
                    now, len(verdicts), runner.runs, runner.hits, f"pass {sum(x == 'pass' for x in verdicts.values())}"
                )
                if checkpoint is not None and now - last[0] >= 300:
                    last[0] = now
                    checkpoint(dict(verdicts))

        # Threads > workers so a zygote never waits while a thread judges or writes the cache.
        pool = ThreadPoolExecutor(max_workers=2 * sandbox.workers)
        try:
            for fut in [pool.submit(one, s) for s in todo]:
                fut.result()
        finally:  # on an error or Ctrl-C, drop the queued solutions instead of running them all first
            pool.shutdown(wait=True, cancel_futures=True)
    return verdicts


def export_from_cache(
    solutions: list[Converted], tests: dict[str, list[Test]], cache: RunCache, limits: Limits = VERIFY_LIMITS
) -> tuple[dict[tuple[str, str], str], int]:
    """Verdicts known from the cache alone, and how many solutions are still pending."""
    runner = cache_only(cache, limits, file_io_problems(solutions))
    verdicts, pending = {}, 0
    for sol in solutions:
        if sol.problem not in tests:
            continue
        v = judge(sol, tests[sol.problem], runner)
        if v is None:
            pending += 1
        else:
            verdicts[(sol.problem, sol.id)] = v
    return verdicts, pending


def summary(verdicts: Iterable[str]) -> str:
    c = Counter(verdicts)
    return ", ".join(f"{k} {c[k]}" for k in ("pass", "wrong", "error", "timeout", "convert_failed"))


@click.command("verify")
@click.option("--data", type=click.Path(path_type=Path), default=DEFAULT_DATA, show_default=True)
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option("--table", type=click.Path(path_type=Path), default=DEFAULT_TABLE, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--problems", type=click.IntRange(min=1), default=None, help="only the first N problems")
@click.option(
    "--cpu-seconds",
    type=click.FloatRange(min=0.1),
    default=VERIFY_LIMITS.cpu_seconds,
    show_default=True,
    help="CPU limit per run (part of the cache key)",
)
@click.option("--export-only", is_flag=True, help="write the table from the cache, running nothing")
def verify_command(
    data: Path,
    work: Path,
    table: Path,
    workers: int,
    problems: int | None,
    cpu_seconds: float,
    export_only: bool,
) -> int:
    """Run each converted solution on its problem's untruncated tests; write training/corpus/verified.tsv."""
    if not (work / "converted.jsonl").is_file():
        click.echo(f"error: {work / 'converted.jsonl'} not found: run `speedhints data convert` first", err=True)
        return 2
    if not data.is_file():
        click.echo(f"error: data set not found: {data}", err=True)
        return 2
    limits = replace(
        VERIFY_LIMITS, cpu_seconds=cpu_seconds, wall_seconds=max(VERIFY_LIMITS.wall_seconds, 3 * cpu_seconds)
    )
    solutions = select_solutions(work, problems)
    tests = load_tests(data, {s.problem for s in solutions})
    with RunCache(work / "runs.sqlite") as cache:
        if export_only:
            verdicts, pending = export_from_cache(solutions, tests, cache, limits)
        else:
            t0 = time.perf_counter()

            def checkpoint(partial: dict[tuple[str, str], str]) -> None:
                write_table(table, partial, solutions)

            try:
                verdicts = verify(
                    solutions,
                    tests,
                    cache,
                    workers,
                    limits,
                    echo=lambda m: click.echo(m, err=True),
                    checkpoint=checkpoint,
                )
            except SandboxError as exc:
                click.echo(f"error: {exc}", err=True)
                return 1
            pending = 0
            click.echo(f"verified {len(verdicts)} solutions in {time.perf_counter() - t0:.0f} s", err=True)
    write_table(table, verdicts, solutions)
    click.echo(f"{summary(verdicts.values())}; pending {pending} -> {table}")
    return 0
