"""``speedhints data synth``: measured synthetic pairs (pessimized variant -> real solution) that differ by an edit.

For every passing solution of the chosen problems (by default the ``by_problem`` train and test problems) that
has scaled inputs, every pessimizer family (``training/data/pessimize``) and a few pairs of families make
variants; each variant is kept as the slow side of a pair with the original as the fast side when, in order:

1. its canonical form is no existing solution of the problem (else it is not a new program);
2. it passes the problem's untruncated tests in the sandbox (``data verify``'s judge and run cache);
3. on each scaled input its output matches the original's (token-wise), it neither crashes nor hits the CPU
   limit (a censored run was never compared);
4. timed with ``data measure``'s protocol (min of 3 CPU times, stress CPU limits, run cache), summed over the
   inputs, it takes >= ``min_speedup`` times the original, and the original takes >= ``min_fast_ms``;
5. run side by side with the original (alternating, fresh runs), it is still >= ``min_speedup`` slower: on this
   shared machine the two cached timings can come from moments of different load (``Synthesizer.side_by_side``);
   pairs >= ``confirm_below`` (2.5x) by the cached times skip this (no load swing seen came near).

Measuring time goes where it pays: problems are taken by the median runtime of their solutions (``runtimes.tsv``),
one from each runtime band in turn and cheapest first within a band, so the yield per CPU-second of each band is
measured early (``synth_yield.tsv``); solutions under ``min_fast_ms`` there are not tried (they cannot be a fast
side), and a problem with none is skipped and counted. A line-count trace of each original (synth_trace.py) records
how often the lines each edit touches ran, and ``--min-hits`` skips the cold edits once their yield is known. A
variant's first run on every scaled input is compared with the original before its repetitions: the minimum of
three cannot exceed the first, so a first run under ``min_speedup`` already decides "not faster" (exact, and it
saves two thirds of the timing of most variants).

Every decision lands in the ledger (``work/synth.sqlite``, synth_ledger.py), every run in the run cache
(``work/runs.sqlite``): a rerun skips what was tried and only new families or solutions cost anything. The
committed tables (``training/corpus/synth_pairs.tsv``, ``synth_attempts.tsv``; synth_table.py) are written from the
ledger at the end of a run, or at any moment with ``--export-only``; ``--from-table`` rebuilds the pairs' code
from the corpus and the table without running anything.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import click

from speedhints.training.data.compare import outputs_match
from speedhints.training.data.convert import DEFAULT_DATA, DEFAULT_WORK, Converted, load_converted, read_problems
from speedhints.training.data.measure import (
    DEFAULT_INPUTS_TABLE,
    MEASURE_LIMITS,
    STRESS_CPU_FACTOR,
    InputError,
    Measurer,
    ScaledInput,
    read_scaled_inputs,
)
from speedhints.training.data.pairs import DEFAULT_RUNTIMES, read_runtimes
from speedhints.training.data.pessimize import FAMILIES, Family
from speedhints.training.data.runcache import RunCache, sha256
from speedhints.training.data.sandbox import Limits, RunResult, Sandbox, SandboxError, run_with_starvation_retry
from speedhints.training.data.splits import by_problem_split
from speedhints.training.data.synth_ledger import Attempt, Ledger, Original, resume_from_dump
from speedhints.training.data.synth_table import (
    DEFAULT_SUMMARY,
    DEFAULT_TABLE,
    LEDGER_DUMP_NAME,
    MS_BANDS,
    band_of,
    export_tables,
    rebuild_from_table,
)
from speedhints.training.data.synth_trace import MARK as SYNTH_MARK
from speedhints.training.data.synth_trace import hits, parse_counts, traced_program, unparsed
from speedhints.training.data.synth_variants import (
    canonical_code,
    changed_lines,
    code_sha,
    family_map,
    make_variants,
    pair_keys,
)
from speedhints.training.data.verify import DEFAULT_TABLE as VERIFIED_TABLE
from speedhints.training.data.verify import (
    VERIFY_LIMITS,
    SandboxRunner,
    Test,
    file_io_problems,
    judge,
    limits_for,
    load_tests,
)
from speedhints.training.data.verify import read_table as read_verified


@dataclass
class SynthConfig:
    data: Path = DEFAULT_DATA
    work: Path = DEFAULT_WORK
    verified: Path = VERIFIED_TABLE
    inputs_table: Path = DEFAULT_INPUTS_TABLE
    runtimes: Path = DEFAULT_RUNTIMES
    table: Path = DEFAULT_TABLE
    summary: Path = DEFAULT_SUMMARY
    splits: tuple[str, ...] = ("train", "test")  # by_problem splits whose problems lend their solutions
    min_speedup: float = 1.2
    min_fast_ms: float = 5.0  # the measured noise floor of `data quality` (README, Pairs)
    per_family: int = 2  # variants per (solution, family): one per site, first sites first
    family_pairs: int = 2  # two-family variants per solution
    confirm_rounds: int = 3  # side-by-side rounds (original, variant) that confirm a pair
    # Pairs this much slower by the cached times need no confirmation: in the first 300 attempts the cached ratios
    # that side by side did not confirm reached 1.52x, and every pair >= 2.14x was confirmed (most near 10x, at
    # ~25 CPU s each for the slow variants).
    confirm_below: float = 2.5
    min_hits: int = 0  # skip variants whose edit touches no line that ran this often in the trace (0: try all)
    workers: int = 1
    repeats: int = 3
    cpu_seconds: float = MEASURE_LIMITS.cpu_seconds
    problems: int | None = None  # only the first N problems of the plan
    only: tuple[str, ...] = ()  # only these problems
    progress_every: float = 60.0

    @property
    def scaled_dir(self) -> Path:
        return self.work / "scaled"

    @property
    def ledger_path(self) -> Path:
        return self.work / "synth.sqlite"


@dataclass
class Plan:
    problems: list[tuple[str, float]]  # (problem, median solution ms), in the order they are tried
    eligible: dict[str, set[str]]  # problem -> solution ids timed >= min_fast_ms
    skipped: Counter[str] = field(default_factory=Counter)  # why problems were left out


def plan_problems(cfg: SynthConfig, inputs: dict[str, list[ScaledInput]]) -> Plan:
    """Which problems and solutions can yield a pair, in the order they are worth measuring."""
    runtimes = read_runtimes(cfg.runtimes)
    verified = read_verified(cfg.verified)
    by_problem: dict[str, list[tuple[str, float]]] = {}
    for (problem, sid), rt in runtimes.items():
        if verified.get((problem, sid), ("", ""))[1] == "pass" and not rt.censored:
            by_problem.setdefault(problem, []).append((sid, rt.ms))
    skipped: Counter[str] = Counter()
    chosen: list[tuple[str, float]] = []
    eligible: dict[str, set[str]] = {}
    for problem in sorted(set(inputs) | set(by_problem)):
        if cfg.only and problem not in cfg.only:
            continue
        if by_problem_split(problem) not in cfg.splits:
            skipped[f"split {by_problem_split(problem)}"] += 1
            continue
        if problem not in inputs or problem not in by_problem:
            skipped["no scaled inputs or timed solutions"] += 1
            continue
        fast_enough = {sid for sid, ms in by_problem[problem] if ms >= cfg.min_fast_ms}
        if not fast_enough:
            skipped[f"every solution < {cfg.min_fast_ms:g} ms"] += 1
            continue
        chosen.append((problem, statistics.median(ms for _, ms in by_problem[problem])))
        eligible[problem] = fast_enough
    chosen = interleave_bands(chosen)
    if cfg.problems is not None:
        chosen = chosen[: cfg.problems]
    return Plan(chosen, eligible, skipped)


def interleave_bands(problems: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Cheapest first within each band of median runtime (synth_table.MS_BANDS), taking one problem from each band
    in turn: fast problems cost little per variant but their edits have little to slow down, slow ones the
    reverse, and which pays better is measured (synth_yield.tsv), not assumed, from the first hour on."""
    bands: dict[str, list[tuple[str, float]]] = {}
    for p in sorted(problems, key=lambda p: (p[1], p[0])):
        bands.setdefault(band_of(p[1], MS_BANDS), []).append(p)
    out: list[tuple[str, float]] = []
    queues = [bands[label] for _, label in MS_BANDS if label in bands]
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


class MeteredSandbox(Sandbox):
    """A Sandbox that adds up the CPU its runs used: the cost of each variant, cache hits being free."""

    cpu_seconds = 0.0

    def run(self, code: str, stdin: bytes, limits: Limits | None = None) -> RunResult:
        result = super().run(code, stdin, limits)
        self.cpu_seconds += result.cpu_seconds
        return result


def ensure_inputs(
    problem: str, inputs: list[ScaledInput], record: dict[str, object], rows: dict[tuple[str, str], object]
) -> list[tuple[ScaledInput, bytes]]:
    """The problem's scaled inputs as bytes, regenerated from the committed generator and seed when the file is not
    there (scaled inputs are deterministic) and always checked against the table's sha256."""
    from speedhints.training.data.scale.pipeline import regenerate_input

    out = []
    for inp in inputs:
        if inp.path.is_file():
            data = inp.path.read_bytes()
        else:
            data = regenerate_input(record, rows[(problem, inp.name)])  # type: ignore[arg-type]
            inp.path.parent.mkdir(parents=True, exist_ok=True)
            inp.path.write_bytes(data)
        if sha256(data) != inp.sha:
            raise InputError(f"{inp.path}: sha256 differs from the committed table: not the input that was measured")
        out.append((inp, data))
    return out


class Synthesizer:
    """One run: the sandbox, the caches and the counters; `problem()` does one problem."""

    def __init__(self, cfg: SynthConfig, cache: RunCache, ledger: Ledger, sandbox: MeteredSandbox,
                 families: list[Family], file_io: set[str], echo: Callable[[str], None]) -> None:  # fmt: skip
        self.cfg, self.cache, self.ledger, self.sandbox, self.echo = cfg, cache, ledger, sandbox, echo
        self.families = family_map(families)
        self.singles = [f.name for f in families]
        limits = Limits(cpu_seconds=cfg.cpu_seconds, wall_seconds=max(10.0, 3 * cfg.cpu_seconds))
        self.measurer = Measurer(cache, sandbox, limits, cfg.repeats, file_io)
        self.judge_runner = SandboxRunner(cache, sandbox, VERIFY_LIMITS, file_io)
        self.counts: Counter[str] = Counter()

    # ---- the original ----

    def original(
        self, sol: Converted, loaded: list[tuple[ScaledInput, bytes]], known: Original | None = None
    ) -> tuple[Original, dict[str, bytes], dict[str, float]]:
        """The original's measured time and its own outputs (the reference its variants must match)."""
        assert sol.code is not None
        cpu0 = self.sandbox.cpu_seconds
        refs: dict[str, bytes] = {}
        per_input: dict[str, float] = {}
        status, ms, censored = "measured", 0.0, False
        for inp, data in loaded:
            run_status, out = self.measurer.reference_output(sol, inp, data)
            if run_status != "ok":
                status = "censored" if run_status == "timeout" else "error_scaled"
                break
            timing = self.measurer.measure(sol, inp, data, out)
            if timing is None:
                status = "unstable"  # its own output or status changed between repetitions
                break
            refs[inp.name], per_input[inp.name] = out, timing.cpu_ms
            ms += timing.cpu_ms
            censored |= timing.censored
        if status == "measured" and ms < self.cfg.min_fast_ms:
            status = "too_fast"
        if known is not None:  # measured before: the timings came from the run cache, the trace is in the ledger
            return known, refs, per_input
        trace = self.trace(sol, loaded) if status == "measured" else None
        o = Original(sol.problem, sol.id, sol.sha256, status, ms if status in ("measured", "too_fast") else None,
                     censored, self.sandbox.cpu_seconds - cpu0, trace)  # fmt: skip
        return o, refs, per_input

    def trace(self, sol: Converted, loaded: list[tuple[ScaledInput, bytes]]) -> str | None:
        """Line counts of the solution's ast.unparse text on its smallest scaled input ("line:count,...")."""
        assert sol.code is not None
        inp, data = min(loaded, key=lambda x: len(x[1]))
        limits = limits_for(sol.problem, self.measurer.limits_of(inp), self.measurer.file_io)
        r = run_with_starvation_retry(self.sandbox, traced_program(unparsed(sol.code)), data, limits)
        counts = parse_counts(r.stderr_tail)
        return None if counts is None else ",".join(f"{k}:{v}" for k, v in counts.items())

    # ---- one variant ----

    def screen(self, sol: Converted, key: str, index: int, code: str, ctx: _ProblemContext,
               seen: set[str]) -> Attempt | _Candidate:  # fmt: skip
        """The checks that need no timing of the original: a new program that passes the tests, or why not."""
        cpu0, t0 = self.sandbox.cpu_seconds, time.perf_counter()
        cand = _Candidate(sol, key, index, code, code_sha(code), None, ctx)

        def done(status: str, detail: str = "") -> Attempt:
            return self.record(cand, status, detail, None, None, None, self.sandbox.cpu_seconds - cpu0,
                               time.perf_counter() - t0)  # fmt: skip

        canon = canonical_code(code)
        if canon is None:
            return done("fails_tests", "no canonical form")
        if canon in ctx.canonical:
            return done("same_as_solution")
        if cand.sha in seen:
            return done("same_as_variant")
        seen.add(cand.sha)
        cand.changed = changed_lines(canon, ctx.canonical_of[sol.sha256])
        verdict = judge(cand.variant, ctx.tests, self.judge_runner)
        if verdict != "pass":
            return done("fails_tests", str(verdict))
        cand.cpu_s, cand.wall_s = self.sandbox.cpu_seconds - cpu0, time.perf_counter() - t0
        return cand

    def record(self, c: _Candidate, status: str, detail: str, orig_ms: float | None, ms: float | None,
               hot: int | None, cpu_s: float, wall_s: float) -> Attempt:  # fmt: skip
        return Attempt(c.sol.problem, c.sol.id, c.sol.sha256, c.key, c.index, c.sha[:16], status, detail, orig_ms, ms,
                       c.changed, hot, c.ctx.split, cpu_s, wall_s)  # fmt: skip

    def time_variant(self, c: _Candidate, orig_ms: float, refs: dict[str, bytes], counts: dict[int, int] | None,
                     orig_per_input: dict[str, float]) -> Attempt:  # fmt: skip
        """Same output as the original on every scaled input, and >= min_speedup slower: timed, then confirmed.

        A variant's CPU limit on an input is ``STRESS_CPU_FACTOR`` (20) times the original's time there, in whole
        seconds, at least 1 and at most the input's own limit: ``data measure``'s stress rule with the original as
        the fastest. A variant that slow hits it and is ``censored`` (its output never compared) either way, and
        those were 46 % of the variants' CPU in the first hour at 3 s each."""
        cpu0, t0 = self.sandbox.cpu_seconds, time.perf_counter()
        hot = None if counts is None else hits(counts, unparsed(c.sol.code or ""), c.code)

        def done(status: str, detail: str = "", ms: float | None = None) -> Attempt:
            return self.record(c, status, detail, orig_ms, ms, hot, c.cpu_s + self.sandbox.cpu_seconds - cpu0,
                               c.wall_s + time.perf_counter() - t0)  # fmt: skip

        if hot is not None and hot < self.cfg.min_hits:
            return done("cold", f"{hot} hits")
        variant = c.variant
        loaded = [(self.capped(inp, orig_per_input.get(inp.name)), data) for inp, data in c.ctx.loaded]
        first_ms = 0.0
        for inp, data in loaded:
            run = self.measurer.first_run(variant, inp, data, refs[inp.name])
            if run.status == "timeout":  # slower than the cap: a lower bound, kept as the time (never a pair)
                return done("censored", inp.name, first_ms + self.measurer.limits_of(inp).cpu_seconds * 1e3)
            if run.status != "ok":
                return done("error_scaled", f"{inp.name}: {run.status}")
            if not run.matches(refs[inp.name], sha256(refs[inp.name])):
                return done("wrong_scaled", inp.name)
            first_ms += run.cpu_seconds * 1e3
        if first_ms < self.cfg.min_speedup * orig_ms:
            return done("not_faster", "first run", first_ms)
        ms = 0.0
        for inp, data in loaded:
            timing = self.measurer.measure(variant, inp, data, refs[inp.name])
            if timing is None or timing.censored:
                return done("error_scaled", f"{inp.name}: unstable")
            ms += timing.cpu_ms
        if ms < self.cfg.min_speedup * orig_ms:
            return done("not_faster", "", ms)
        if ms >= self.cfg.confirm_below * orig_ms:
            return done("kept", "", ms)
        ratio = self.side_by_side(c.sol, variant, c.ctx, refs)
        if ratio < self.cfg.min_speedup:
            return done("not_confirmed", f"side by side {ratio:.3f}", ms)
        return done("kept", f"side by side {ratio:.3f}", ms)

    def capped(self, inp: ScaledInput, orig_ms: float | None) -> ScaledInput:
        if orig_ms is None:
            return inp
        cap = min(self.measurer.limits_of(inp).cpu_seconds, max(1.0, math.ceil(STRESS_CPU_FACTOR * orig_ms / 1e3)))
        return replace(inp, cpu_seconds=float(cap))

    def side_by_side(self, sol: Converted, variant: Converted, ctx: _ProblemContext, refs: dict[str, bytes]) -> float:
        """Slow / fast CPU time over fresh runs taken alternately (original, variant, original, variant...), the
        minimum of each side per input, summed. The original's cached time may come from a quieter moment of this
        shared machine than the variant's: at a load of 8 on 2 cores a no-op variant (a `pass` added) measured
        1.61x its original by cached min-of-3 times, so every pair is kept only when the two, run side by side,
        agree too (never cached: the point is the shared moment)."""
        slow, fast = 0.0, 0.0
        for inp, data in ctx.loaded:
            limits = limits_for(sol.problem, self.measurer.limits_of(inp), self.measurer.file_io)
            times: dict[str, list[float]] = {"orig": [], "variant": []}
            for _ in range(self.cfg.confirm_rounds):
                for side, code in (("orig", sol.code), ("variant", variant.code)):
                    assert code is not None
                    r = run_with_starvation_retry(self.sandbox, code, data, limits)
                    if r.status == "ok" and outputs_match(r.stdout, refs[inp.name]):
                        times[side].append(r.cpu_seconds)
            if not times["orig"] or not times["variant"]:
                return 0.0
            fast, slow = fast + min(times["orig"]), slow + min(times["variant"])
        return slow / fast if fast > 0 else 0.0

    # ---- one problem ----

    def problem(self, ctx: _ProblemContext, eligible: set[str]) -> None:
        done_shas: set[str] = set()
        for sol in ctx.solutions:
            if sol.id not in eligible or sol.code is None or sol.sha256 in done_shas:
                continue
            done_shas.add(sol.sha256)  # verbatim copies of a solution would only repeat its variants
            self.solution(sol, ctx)

    def solution(self, sol: Converted, ctx: _ProblemContext) -> None:
        """Variants first, the original's timing only when some variant is a new program that passes the tests:
        most solutions offer no site to most families, and timing an original costs as much as a variant."""
        assert sol.code is not None
        applied = self.ledger.applied(sol.problem, sol.id, sol.sha256)
        singles = {name: make_variants(sol.code, name, self.families, self.cfg.per_family) for name in self.singles}
        applicable = [name for name, vs in singles.items() if vs]
        keys = [*self.singles, *pair_keys(applicable, sol.sha256, self.cfg.family_pairs)]
        todo: dict[str, int] = {}  # key -> how many variants it made
        pending: list[_Candidate] = []
        seen: set[str] = set()
        for key in keys:
            if key in applied:
                continue
            vs = singles[key] if key in singles else make_variants(sol.code, key, self.families, self.cfg.per_family)
            todo[key] = len(vs)
            for index, code in enumerate(vs):
                if self.ledger.attempt(sol.problem, sol.id, sol.sha256, key, index) is not None:
                    continue
                result = self.screen(sol, key, index, code, ctx, seen)
                if isinstance(result, _Candidate):
                    pending.append(result)
                else:
                    self.put(result)
        if pending:
            orig, refs, per_input = self.original_for(sol, ctx)
            counts = parse_counts(SYNTH_MARK + orig.trace) if orig.trace is not None else None
            for c in pending:
                if orig.status != "measured" or orig.ms is None:
                    self.put(self.record(c, "original_unusable", orig.status, None, None, None, c.cpu_s, c.wall_s))
                else:
                    self.put(self.time_variant(c, orig.ms, refs, counts, per_input))
        for key, n in todo.items():  # last: a run killed before this line redoes only the unrecorded variants
            self.ledger.put_applied(sol.problem, sol.id, sol.sha256, key, n)

    def original_for(self, sol: Converted, ctx: _ProblemContext) -> tuple[Original, dict[str, bytes], dict[str, float]]:
        known = self.ledger.original(sol.problem, sol.id, sol.sha256)
        if known is not None and known.status != "measured":
            return known, {}, {}
        # Measured before: the timings and reference outputs come from the run cache, the trace from the ledger.
        orig, refs, per_input = self.original(sol, ctx.loaded, known)
        if known is None:
            self.ledger.put_original(orig)
            self.counts[f"originals {orig.status}"] += 1
        return orig, refs, per_input

    def put(self, a: Attempt) -> None:
        self.ledger.put_attempt(a)
        self.counts[a.status] += 1
        self.counts["attempts"] += 1


@dataclass
class _Candidate:
    """A variant that passed the screen (a new program, passes the tests), waiting for the original's timing."""

    sol: Converted
    key: str
    index: int
    code: str
    sha: str
    changed: int | None
    ctx: _ProblemContext
    cpu_s: float = 0.0  # what the screen cost
    wall_s: float = 0.0

    @property
    def variant(self) -> Converted:
        return Converted(self.sol.problem, f"{self.sol.id}:{self.key}:{self.index}", self.code, self.sha, "ok", "synth")


@dataclass
class _ProblemContext:
    problem: str
    split: str
    solutions: list[Converted]
    tests: list[Test]
    loaded: list[tuple[ScaledInput, bytes]]
    canonical: set[str]  # canonical forms of every converted solution of the problem
    canonical_of: dict[str, str]  # code sha256 -> canonical form


def problem_context(
    problem: str, solutions: list[Converted], tests: list[Test], loaded: list[tuple[ScaledInput, bytes]]
) -> _ProblemContext:
    canonical_of: dict[str, str] = {}
    for s in solutions:
        if s.code is not None and s.sha256 not in canonical_of:
            c = canonical_code(s.code)
            if c is not None:
                canonical_of[s.sha256] = c
    split = by_problem_split(problem)
    return _ProblemContext(problem, "synth_test" if split == "test" else split, solutions, tests, loaded,
                           set(canonical_of.values()), canonical_of)  # fmt: skip


def chosen_families(names: tuple[str, ...]) -> list[Family]:
    if not names:
        return list(FAMILIES)
    known = family_map(FAMILIES)
    missing = [n for n in names if n not in known]
    if missing:
        raise click.UsageError(f"unknown family {missing[0]!r}; known: {', '.join(known) or 'none'}")
    return [known[n] for n in names]


def run_synth(cfg: SynthConfig, families: list[Family], echo: Callable[[str], None] = print) -> dict[str, object]:
    from speedhints.training.data.scale.pipeline import read_table as read_scaled_rows

    inputs = read_scaled_inputs(cfg.inputs_table, cfg.scaled_dir)
    plan = plan_problems(cfg, inputs)
    wanted = {p for p, _ in plan.problems}
    echo(f"synth: {len(plan.problems)} problems planned, one runtime band at a time; skipped {dict(plan.skipped)}; "
         f"{len(families)} families: {', '.join(f.name for f in families)}")  # fmt: skip
    converted = load_converted(cfg.work)
    by_problem: dict[str, list[Converted]] = {}
    for s in converted:
        if s.problem in wanted:
            by_problem.setdefault(s.problem, []).append(s)
    records = {str(r["problem"]): r for r in read_problems(cfg.data) if r["problem"] in wanted}
    tests = load_tests(cfg.data, wanted)
    rows = {(r.problem, r.name): r for r in read_scaled_rows(cfg.inputs_table)}
    t0 = time.perf_counter()
    last = t0
    problems_done = 0
    resume_from_dump(cfg.ledger_path, cfg.summary.with_name(LEDGER_DUMP_NAME), echo)
    with (
        RunCache(cfg.work / "runs.sqlite") as cache,
        Ledger(cfg.ledger_path) as ledger,
        MeteredSandbox(workers=cfg.workers) as sandbox,
    ):
        syn = Synthesizer(cfg, cache, ledger, sandbox, families, file_io_problems(converted), echo)
        for problem, median_ms in plan.problems:
            if problem not in records or problem not in tests:
                syn.counts["problems missing from the data"] += 1
                continue
            try:
                loaded = ensure_inputs(problem, inputs[problem], records[problem], rows)
            except (InputError, ValueError, KeyError) as exc:  # a generator that no longer makes the same input
                echo(f"synth {problem}: inputs not regenerated ({str(exc).splitlines()[0][:160]})")
                syn.counts["problems without their inputs"] += 1
                continue
            ctx = problem_context(problem, by_problem.get(problem, []), tests[problem], loaded)
            syn.problem(ctx, plan.eligible[problem])
            problems_done += 1
            now = time.perf_counter()
            if now - last >= cfg.progress_every:
                last = now
                echo(progress_line(syn, problems_done, len(plan.problems), now - t0, median_ms))
        echo(progress_line(syn, problems_done, len(plan.problems), time.perf_counter() - t0, None))
        summary = export_tables(ledger, cfg.table, cfg.summary)
    return {"problems_planned": len(plan.problems), "problems_skipped": dict(plan.skipped), **dict(syn.counts),
            **summary}  # fmt: skip


def progress_line(syn: Synthesizer, done: int, total: int, seconds: float, median_ms: float | None) -> str:
    c = syn.counts
    at = f", now at problems of median {median_ms:.0f} ms" if median_ms is not None else ""
    return (f"synth: {done}/{total} problems, {c['attempts']} variants tried, {c['kept']} kept, "
            f"{syn.measurer.runs + syn.judge_runner.runs} runs ({syn.sandbox.cpu_seconds:.0f} CPU s) "
            f"in {seconds / 60:.1f} min{at}")  # fmt: skip


@click.command("synth")
@click.option("--data", type=click.Path(path_type=Path), default=DEFAULT_DATA, show_default=True)
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option("--verified", type=click.Path(path_type=Path), default=VERIFIED_TABLE, show_default=True)
@click.option("--inputs", "inputs_table", type=click.Path(path_type=Path), default=DEFAULT_INPUTS_TABLE,
              show_default=True)  # fmt: skip
@click.option("--runtimes", type=click.Path(path_type=Path), default=DEFAULT_RUNTIMES, show_default=True)
@click.option("--table", type=click.Path(path_type=Path), default=DEFAULT_TABLE, show_default=True)
@click.option("--summary", type=click.Path(path_type=Path), default=DEFAULT_SUMMARY, show_default=True)
@click.option("--split", "splits", multiple=True, type=click.Choice(["train", "valid", "test"]),
              default=("train", "test"), show_default=True, help="by_problem splits to use")  # fmt: skip
@click.option("--family", "families", multiple=True, help="only this family (repeatable)")
@click.option("--per-family", type=click.IntRange(min=1), default=SynthConfig.per_family, show_default=True)
@click.option("--family-pairs", type=click.IntRange(min=0), default=SynthConfig.family_pairs, show_default=True)
@click.option("--min-hits", type=click.IntRange(min=0), default=0, show_default=True,
              help="skip variants whose edit touches no line run this often on the smallest scaled input")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--problems", type=click.IntRange(min=1), default=None, help="only the first N problems of the plan")
@click.option("--only", multiple=True, help="only this problem (repeatable)")
@click.option("--export-only", is_flag=True, help="write the tables from the ledger, running nothing")
@click.option("--from-table", is_flag=True, help="rebuild the pairs' code from the corpus and the table into "
              "WORK/pairs/synth and WORK/pairs/synth_test, running nothing")  # fmt: skip
def synth_command(
    data: Path,
    work: Path,
    verified: Path,
    inputs_table: Path,
    runtimes: Path,
    table: Path,
    summary: Path,
    splits: tuple[str, ...],
    families: tuple[str, ...],
    per_family: int,
    family_pairs: int,
    min_hits: int,
    workers: int,
    problems: int | None,
    only: tuple[str, ...],
    export_only: bool,
    from_table: bool,
) -> int:
    """Pessimize real solutions, keep the variants that pass and are >= 1.2x slower: training/corpus/synth_pairs.tsv."""
    if from_table:
        for path in (data, table):
            if not path.is_file():
                click.echo(f"error: {path} not found", err=True)
                return 2
        counts = rebuild_from_table(table, data, work / "pairs", chosen_families(families) if families else FAMILIES,
                                    echo=lambda m: click.echo(m, err=True))  # fmt: skip
        click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
        return 0 if counts.get("failed", 0) == 0 else 1
    if export_only:
        if not (work / "synth.sqlite").is_file():
            click.echo(f"error: {work / 'synth.sqlite'} not found: nothing was tried yet", err=True)
            return 2
        with Ledger(work / "synth.sqlite") as ledger:
            out = export_tables(ledger, table, summary)
        click.echo(f"{out['synth_pairs']} pairs ({out['censored_pairs']} more censored) from {out['attempts']} "
                   f"variants -> {table}, {summary}")  # fmt: skip
        click.echo(f"cost: {out['variants_cpu_s']} CPU s on variants, {out['originals_cpu_s']} CPU s timing and "
                   f"tracing originals, over {out['span_hours']} h of ledger records")  # fmt: skip
        return 0
    for path, hint in (
        (data, "pass --data"),
        (work / "converted.jsonl", "run `speedhints data convert` first"),
        (verified, "run `speedhints data verify` first"),
        (inputs_table, "run `speedhints data scale` first"),
        (runtimes, "run `speedhints data measure` first"),
    ):
        if not path.is_file():
            click.echo(f"error: {path} not found: {hint}", err=True)
            return 2
    fams = chosen_families(families)
    if not fams:
        click.echo("error: no pessimizer families registered (training/data/pessimize)", err=True)
        return 2
    cfg = SynthConfig(data=data, work=work, verified=verified, inputs_table=inputs_table, runtimes=runtimes,
                      table=table, summary=summary, splits=splits, per_family=per_family, family_pairs=family_pairs,
                      min_hits=min_hits, workers=workers, problems=problems, only=only)  # fmt: skip
    try:
        result = run_synth(cfg, fams, echo=lambda m: click.echo(m, err=True))
    except (InputError, SandboxError) as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    click.echo(f"{result['synth_pairs']} pairs from {result['attempts_total']} variants -> {table}")
    return 0
