"""``speedhints data measure``: CPU time of every passing solution on its problem's scaled inputs.

Inputs come from engineer B's stage (training/data/scale/README.md): ``training/corpus/scaled_inputs.tsv`` lists the
kept inputs with their sha256; the bytes are in ``work/scaled/<problem>/<name>.in`` and the expected output in
``<name>.out``. An input whose bytes no longer hash to the table's sha256 is refused (it is not the one measured).

Per (solution, input): the first run is judged (token-wise against ``.out``); a wrong answer or an error drops
the pair, a timeout records it as censored at the CPU limit; otherwise it runs ``--repeats`` times in all and the
minimum CPU time (child rusage user+sys, interpreter start-up excluded) is kept: the least disturbed by the other
work on a shared machine. Every run goes through the same run cache as verify (keyed by code, input, limits and
repetition), so the command resumes where a killed run stopped.

Output: ``training/corpus/runtimes.tsv``, tab-separated, sorted by (problem, solution, input):
``problem solution code_sha input input_sha cpu_ms runs censored`` (shas are the first 16 hex digits).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import click

from speedhints.training.data.convert import DEFAULT_WORK, REPO_ROOT, Converted, load_converted
from speedhints.training.data.runcache import CachedRun, RunCache, sha256
from speedhints.training.data.sandbox import Limits, Sandbox, SandboxError, run_with_starvation_retry
from speedhints.training.data.verify import DEFAULT_TABLE as VERIFIED_TABLE
from speedhints.training.data.verify import Progress, file_io_problems, limits_for, read_table

CORPUS = REPO_ROOT / "training" / "corpus"
DEFAULT_INPUTS_TABLE = CORPUS / "scaled_inputs.tsv"
DEFAULT_RUNTIMES = CORPUS / "runtimes.tsv"
MEASURE_LIMITS = Limits(cpu_seconds=3.0, wall_seconds=10.0)
STRESS_CPU_FACTOR = 20
HEADER = "problem\tsolution\tcode_sha\tinput\tinput_sha\tcpu_ms\truns\tcensored"


@dataclass(frozen=True)
class ScaledInput:
    problem: str
    name: str
    sha: str  # sha256 of the input bytes, from the committed table
    path: Path  # the .in file; the .out file sits next to it
    cpu_seconds: float | None = None  # a CPU limit below the run's, for past-the-statement (stress) inputs


@dataclass(frozen=True)
class Timing:
    problem: str
    solution: str
    code_sha: str
    input: str
    input_sha: str
    cpu_ms: float
    runs: int
    censored: bool

    def row(self) -> str:
        return "\t".join(
            [self.problem, self.solution, self.code_sha[:16], self.input, self.input_sha[:16],
             f"{self.cpu_ms:.1f}", str(self.runs), "1" if self.censored else "0"]
        )  # fmt: skip


class InputError(ValueError):
    """The scaled inputs on disk do not match the committed table."""


def read_scaled_inputs(table: Path, scaled_dir: Path) -> dict[str, list[ScaledInput]]:
    """problem -> its scaled inputs, from B's table (columns found by header name)."""
    by_problem: dict[str, list[ScaledInput]] = {}
    with open(table, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        try:
            ip, iname, isha = header.index("problem"), header.index("name"), header.index("input_sha256")
        except ValueError as exc:
            raise InputError(f"{table}: missing column ({exc})") from None
        igen = header.index("generator") if "generator" in header else None
        ifast = header.index("fastest_cpu_s") if "fastest_cpu_s" in header else None
        for line in f:
            if not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            problem, name = cols[ip], cols[iname]
            path = scaled_dir / problem / f"{name}.in"
            cap = None
            if igen is not None and ifast is not None and cols[igen].startswith("stress"):
                cap = stress_cpu_seconds(float(cols[ifast]))
            by_problem.setdefault(problem, []).append(ScaledInput(problem, name, cols[isha], path, cap))
    return by_problem


def stress_cpu_seconds(fastest: float) -> float:
    """CPU limit on a stress input (training/data/scale/README.md): STRESS_CPU_FACTOR times what the fastest agreeing
    solution needed, in whole seconds (RLIMIT_CPU's unit). Past the statement, quadratic solutions time out
    often (960 of the 13,624 stress timings were censored); each costs 1-2 s instead of 3 s, and a censored
    runtime is still >= 20x the fastest, so it stays the slow side of any pair it is in."""
    return float(min(MEASURE_LIMITS.cpu_seconds, max(1, math.ceil(STRESS_CPU_FACTOR * fastest))))


def load_input(inp: ScaledInput) -> tuple[bytes, bytes]:
    """(input bytes, expected output bytes), checking the input against the committed sha256."""
    try:
        data = inp.path.read_bytes()
        expected = inp.path.with_suffix(".out").read_bytes()
    except OSError as exc:
        raise InputError(f"{inp.path}: {exc.strerror}: regenerate the scaled inputs") from None
    if sha256(data) != inp.sha:
        raise InputError(f"{inp.path}: sha256 differs from the committed table: not the input that was measured")
    return data, expected


class Measurer:
    """One (solution, input) pair -> Timing or None (dropped), through the cache."""

    def __init__(
        self,
        cache: RunCache,
        sandbox: Sandbox,
        limits: Limits,
        repeats: int,
        file_io: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        self.cache, self.sandbox, self.limits, self.repeats = cache, sandbox, limits, repeats
        self.file_io = file_io
        self.runs = 0
        self.hits = 0
        self._lock = threading.Lock()
        self._pair_locks: dict[tuple[str, str], threading.Lock] = {}

    def _pair_lock(self, code_sha: str, input_sha: str) -> threading.Lock:
        """Verbatim copies of a solution are common: one thread measures the pair, the others then hit the cache."""
        with self._lock:
            return self._pair_locks.setdefault((code_sha, input_sha), threading.Lock())

    def limits_of(self, inp: ScaledInput) -> Limits:
        if inp.cpu_seconds is None or inp.cpu_seconds >= self.limits.cpu_seconds:
            return self.limits
        return replace(self.limits, cpu_seconds=inp.cpu_seconds)

    def _run(self, sol: Converted, data: bytes, inp: ScaledInput, rep: int, expected: bytes | None) -> CachedRun:
        limits = limits_for(sol.problem, self.limits_of(inp), self.file_io)
        input_sha = inp.sha
        assert sol.code is not None
        cached = self.cache.get(sol.sha256, input_sha, limits, rep)
        # A cached run will do unless it is to be judged and its output can no longer be (long, judged against
        # another expected output): then it runs again.
        if cached is not None and (
            expected is None or cached.status != "ok" or cached.matches(expected, sha256(expected)) is not None
        ):
            with self._lock:
                self.hits += 1
            return cached
        result = run_with_starvation_retry(self.sandbox, sol.code, data, limits)
        with self._lock:
            self.runs += 1
        return self.cache.put(sol.sha256, input_sha, limits, result, rep, expected)

    def first_run(self, sol: Converted, inp: ScaledInput, data: bytes, expected: bytes) -> CachedRun:
        """The judged first run alone (what `measure` starts with): lets a caller drop a program before paying
        for its repetitions."""
        with self._pair_lock(sol.sha256, inp.sha):
            return self._run(sol, data, inp, 0, expected)

    def reference_output(self, sol: Converted, inp: ScaledInput, data: bytes) -> tuple[str, bytes]:
        """(status, stdout) of the solution's first run on `inp`, through the cache, to judge other programs
        against it (``data synth``). The cache keeps only the sha256 of a long output: then it runs again for
        the bytes, leaving the cached (timed) run as it was."""
        assert sol.code is not None
        limits = limits_for(sol.problem, self.limits_of(inp), self.file_io)
        with self._pair_lock(sol.sha256, inp.sha):
            cached = self.cache.get(sol.sha256, inp.sha, limits, 0)
            if cached is not None and (cached.status != "ok" or cached.stdout is not None):
                return cached.status, cached.stdout or b""
            result = run_with_starvation_retry(self.sandbox, sol.code, data, limits)
            with self._lock:
                self.runs += 1
            if cached is None:
                self.cache.put(sol.sha256, inp.sha, limits, result, 0, result.stdout)
            return result.status, result.stdout

    def measure(self, sol: Converted, inp: ScaledInput, data: bytes, expected: bytes) -> Timing | None:
        with self._pair_lock(sol.sha256, inp.sha):
            return self._measure(sol, inp, data, expected)

    def _measure(self, sol: Converted, inp: ScaledInput, data: bytes, expected: bytes) -> Timing | None:
        first = self._run(sol, data, inp, 0, expected)
        timing = Timing(inp.problem, sol.id, sol.sha256, inp.name, inp.sha, 0.0, 1, False)
        if first.status == "timeout":
            return replace(timing, cpu_ms=self.limits_of(inp).cpu_seconds * 1e3, censored=True)
        if first.status != "ok" or not first.matches(expected, sha256(expected)):
            return None  # wrong answer or error on a scaled input: dropped
        cpus = [first.cpu_seconds]
        for rep in range(1, self.repeats):
            run = self._run(sol, data, inp, rep, None)
            if run.status == "ok":
                cpus.append(run.cpu_seconds)
            elif run.status == "timeout":  # ran in time once: keep the finite minimum, note the flake in runs
                continue
            else:
                return None  # not deterministic enough to time
        return replace(timing, cpu_ms=min(cpus) * 1e3, runs=self.repeats)


def passing_solutions(work: Path, verified: Path) -> dict[str, list[Converted]]:
    """problem -> its solutions whose verify verdict is pass and whose code is unchanged since."""
    table = read_table(verified)
    out: dict[str, list[Converted]] = {}
    for sol in load_converted(work):
        row = table.get((sol.problem, sol.id))
        if row is not None and row[1] == "pass" and sol.code is not None and sol.sha256.startswith(row[0]):
            out.setdefault(sol.problem, []).append(sol)
    return out


def measure_all(
    solutions: dict[str, list[Converted]],
    inputs: dict[str, list[ScaledInput]],
    cache: RunCache,
    workers: int,
    limits: Limits = MEASURE_LIMITS,
    repeats: int = 3,
    echo: Callable[[str], None] = print,
    progress_every: float = 10.0,
) -> list[Timing]:
    jobs: list[tuple[Converted, ScaledInput, bytes, bytes]] = []
    for problem in sorted(set(solutions) & set(inputs)):
        loaded = [(inp, *load_input(inp)) for inp in inputs[problem]]
        jobs += [(sol, inp, data, exp) for sol in solutions[problem] for inp, data, exp in loaded]
    timings: list[Timing] = []
    done = [0]
    lock = threading.Lock()
    progress = Progress("measure", "pairs", len(jobs), echo, progress_every)
    with Sandbox(workers=workers, limits=limits) as sandbox:
        m = Measurer(cache, sandbox, limits, repeats, file_io_problems(s for ss in solutions.values() for s in ss))

        def one(job: tuple[Converted, ScaledInput, bytes, bytes]) -> None:
            t = m.measure(*job)
            with lock:
                done[0] += 1
                if t is not None:
                    timings.append(t)
                progress.maybe_report(time.perf_counter(), done[0], m.runs, m.hits)

        pool = ThreadPoolExecutor(max_workers=2 * sandbox.workers)
        try:
            for fut in [pool.submit(one, j) for j in jobs]:
                fut.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return timings


def write_runtimes(path: Path, timings: list[Timing]) -> None:
    def key(t: Timing) -> tuple[str, int, str, str]:
        return (t.problem, int(t.solution) if t.solution.isdigit() else -1, t.solution, t.input)

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tsv.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        for t in sorted(timings, key=key):
            f.write(t.row() + "\n")
    tmp.replace(path)


@click.command("measure")
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option(
    "--inputs",
    "inputs_table",
    type=click.Path(path_type=Path),
    default=DEFAULT_INPUTS_TABLE,
    show_default=True,
    help="the scaled-input table (training/data/scale/README.md)",
)
@click.option("--scaled", type=click.Path(path_type=Path), default=None, help="default: WORK/scaled")
@click.option("--verified", type=click.Path(path_type=Path), default=VERIFIED_TABLE, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=DEFAULT_RUNTIMES, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--repeats", type=click.IntRange(min=3), default=3, show_default=True)
@click.option("--cpu-seconds", type=click.FloatRange(min=0.1), default=MEASURE_LIMITS.cpu_seconds, show_default=True)
@click.option("--problems", type=click.IntRange(min=1), default=None, help="only the first N problems")
def measure_command(
    work: Path,
    inputs_table: Path,
    scaled: Path | None,
    verified: Path,
    out: Path,
    workers: int,
    repeats: int,
    cpu_seconds: float,
    problems: int | None,
) -> int:
    """Time every passing solution on its problem's scaled inputs; write training/corpus/runtimes.tsv."""
    for path, hint in (
        (work / "converted.jsonl", "run `speedhints data convert`"),
        (verified, "run `speedhints data verify`"),
        (inputs_table, "run the scaled-input stage"),
    ):
        if not path.is_file():
            click.echo(f"error: {path} not found: {hint} first", err=True)
            return 2
    limits = replace(MEASURE_LIMITS, cpu_seconds=cpu_seconds, wall_seconds=max(10.0, 3 * cpu_seconds))
    try:
        inputs = read_scaled_inputs(inputs_table, scaled or work / "scaled")
        solutions = passing_solutions(work, verified)
        if problems is not None:
            keep = sorted(set(inputs) & set(solutions))[:problems]
            inputs = {p: inputs[p] for p in keep}
        t0 = time.perf_counter()
        with RunCache(work / "runs.sqlite") as cache:
            timings = measure_all(
                solutions, inputs, cache, workers, limits, repeats, echo=lambda m: click.echo(m, err=True)
            )
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    except SandboxError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    write_runtimes(out, timings)
    censored = sum(t.censored for t in timings)
    click.echo(
        f"{len(timings)} timings ({censored} censored) of {len({(t.problem, t.solution) for t in timings})} "
        f"solutions on {len({(t.problem, t.input) for t in timings})} inputs in {time.perf_counter() - t0:.0f} s "
        f"-> {out}"
    )
    return 0
