"""``speedhints data scale``: generate scaled-up inputs per problem and keep those the passing solutions agree on.

Per problem: build the model (structure + constraints), take up to ``solutions_per_input`` distinct passing
solutions (``training/corpus/verified.tsv``; problems not verified yet are judged here through the same run cache),
then try the generator plan largest first. A candidate is kept when >= 75 % agree and the fastest agreeing
solution needs at most ``max_fastest_cpu``; at most ``keep_per_problem`` are kept, and the search stops early once
a kept input is already fast (smaller ones would be faster still).

Resumable: every run goes through ``work/runs.sqlite`` (keyed by code, input and limits), and each finished
problem leaves ``work/scaled/<problem>/result.json``; a re-run skips finished problems and rebuilds the table.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from speedhints.training.data.convert import (
    DEFAULT_DATA,
    DEFAULT_WORK,
    REPO_ROOT,
    Converted,
    load_converted,
    read_eligible_problems,
    read_problems,
    untruncated_tests,
)
from speedhints.training.data.runcache import RunCache, sha256
from speedhints.training.data.sandbox import Sandbox, run_with_starvation_retry
from speedhints.training.data.scale.agree import Outcome, Verdict, judge_agreement, max_failures
from speedhints.training.data.scale.generate import (
    CannotGenerate,
    all_generators,
    generate,
    generator_plan,
    seed_for,
    stress_plan,
)
from speedhints.training.data.scale.model import ProblemModel, build_model
from speedhints.training.data.scale.structure import InferenceFailed
from speedhints.training.data.verify import (
    DEFAULT_TABLE as VERIFIED_TABLE,
)
from speedhints.training.data.verify import (
    VERIFY_LIMITS,
    Runner,
    SandboxRunner,
    file_io_problems,
    judge,
    limits_for,
    problem_tests,
)
from speedhints.training.data.verify import read_table as read_verified

DEFAULT_TABLE = REPO_ROOT / "training" / "corpus" / "scaled_inputs.tsv"
RESULT_VERSION = 4  # bump when generators change: finished problems are then redone
STRESS_GAIN = 2.0  # a stress input is kept only when its fastest solution needs this times the valid input's
BIG_RUNG = 100_000  # bytes: rungs at least this large may end a ladder that stopped growing
GROWN = 1.3  # a stress rung neither this much larger nor this much slower than the one below ends its ladder
STRESS_FREE_VERSION = 3  # results from before the stress ladders: only the ladders are run on them
COLUMNS = (
    "problem", "name", "generator", "seed", "input_sha256", "output_sha256", "agreement", "size_bytes",
    "fastest_cpu_s",
)  # fmt: skip


@dataclass
class ScaleConfig:
    data: Path = DEFAULT_DATA
    work: Path = DEFAULT_WORK
    table: Path = DEFAULT_TABLE
    verified: Path = VERIFIED_TABLE
    workers: int = 2
    solutions_per_input: int = 8  # solutions run on each candidate (the agreement is over these)
    min_solutions: int = 4  # fewer distinct passing solutions: no agreement worth the name
    keep_per_problem: int = 2
    cpu_seconds: float = 3.0  # per run; a solution slower than this counts against the input
    max_fastest_cpu: float = 1.0  # inputs on which even the fastest solution needs more are too big
    target_cpu: float = 0.03  # a kept input this fast ends the search: smaller ones are faster still
    stress: bool = True  # below target_cpu at the statement's maximum: try past-the-statement inputs
    force: bool = False


@dataclass(frozen=True)
class ScaledRow:
    problem: str
    name: str
    generator: str
    seed: int
    input_sha256: str
    output_sha256: str
    agreement: float
    size_bytes: int
    fastest_cpu_s: float

    def tsv(self) -> str:
        return "\t".join([
            self.problem, self.name, self.generator, str(self.seed), self.input_sha256, self.output_sha256,
            f"{self.agreement:.3f}", str(self.size_bytes), f"{self.fastest_cpu_s:.4f}",
        ])  # fmt: skip


@dataclass
class ProblemResult:
    problem: str
    reason: str  # "kept" or why nothing was kept
    rows: list[ScaledRow] = field(default_factory=list)
    tried: list[dict[str, object]] = field(default_factory=list)
    version: int = RESULT_VERSION

    @property
    def best_fastest(self) -> float | None:
        return max((r.fastest_cpu_s for r in self.rows), default=None)


def result_path(work: Path, problem: str) -> Path:
    return work / "scaled" / problem / "result.json"


def save_result(work: Path, res: ProblemResult) -> None:
    path = result_path(work, res.problem)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(res), indent=1))
    tmp.replace(path)  # a killed run never leaves half a result


def load_result(work: Path, problem: str) -> ProblemResult | None:
    path = result_path(work, problem)
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if raw.get("version") not in (STRESS_FREE_VERSION, RESULT_VERSION):
        return None
    rows = [ScaledRow(**r) for r in raw.pop("rows")]
    return ProblemResult(rows=rows, **raw)


# ---- running solutions ----


class AgreementRunner:
    """Runs a problem's chosen solutions on a candidate input through the run cache, stopping early once the
    input can no longer reach the agreement threshold."""

    def __init__(self, cache: RunCache, sandbox: Sandbox, cfg: ScaleConfig, file_io: set[str]) -> None:
        self.cache, self.sandbox, self.cfg, self.file_io = cache, sandbox, cfg, file_io
        self.runs = 0
        self.lock = threading.Lock()

    def one(self, sol: Converted, data: bytes, data_sha: str) -> Outcome:
        assert sol.code is not None
        limits = limits_for(
            sol.problem,
            replace(VERIFY_LIMITS, cpu_seconds=self.cfg.cpu_seconds, wall_seconds=3 * self.cfg.cpu_seconds),
            self.file_io,
        )
        cached = self.cache.get(sol.sha256, data_sha, limits)
        if cached is None or (cached.status == "ok" and cached.stdout is None):
            result = run_with_starvation_retry(self.sandbox, sol.code, data, limits)
            with self.lock:
                self.runs += 1
            self.cache.put(sol.sha256, data_sha, limits, result)
            return Outcome(sol.id, result.status, result.stdout, result.cpu_seconds)
        return Outcome(sol.id, cached.status, cached.stdout or b"", cached.cpu_seconds)

    def agree(self, solutions: Sequence[Converted], data: bytes) -> Verdict:
        data_sha = sha256(data)
        allowed = max_failures(len(solutions))
        outcomes: list[Outcome] = []
        failures = 0
        with ThreadPoolExecutor(max_workers=self.sandbox.workers) as pool:
            pending: set[Future[Outcome]] = {pool.submit(self.one, s, data, data_sha) for s in solutions}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    o = fut.result()
                    outcomes.append(o)
                    failures += o.status != "ok"
                if failures > allowed:
                    for fut in pending:
                        fut.cancel()
                    break
        return judge_agreement(outcomes, len(solutions))


# ---- one problem ----


def choose_solutions(problem: str, passing: Sequence[Converted], k: int) -> list[Converted]:
    """Up to k passing solutions with distinct code, chosen deterministically from the problem's name."""
    distinct = {s.sha256: s for s in sorted(passing, key=lambda s: s.sha256)}
    pool = [distinct[sha] for sha in sorted(distinct)]
    rng = random.Random(seed_for(problem, "solutions", 0))
    return pool if len(pool) <= k else rng.sample(pool, k)


def scale_problem(
    record: dict[str, object],
    passing: Sequence[Converted],
    runner: AgreementRunner,
    cfg: ScaleConfig,
) -> ProblemResult:
    name = str(record["problem"])
    tests = [str(t["input"]) for t in untruncated_tests(record)]
    try:
        model = build_model(name, str(record["description"]), tests)
    except InferenceFailed as exc:
        return ProblemResult(name, "no-structure", tried=[{"error": str(exc)}])
    solutions = choose_solutions(name, passing, cfg.solutions_per_input)
    if len(solutions) < cfg.min_solutions:
        return ProblemResult(name, "too-few-passing", tried=[{"passing": len(solutions)}])
    return try_plan(model, solutions, runner, cfg)


def try_plan(
    model: ProblemModel, solutions: Sequence[Converted], runner: AgreementRunner, cfg: ScaleConfig
) -> ProblemResult:
    res = ProblemResult(model.problem, "no-candidate")
    seen: set[str] = set()
    reasons: Counter[str] = Counter()
    for generator, index, gcfg in generator_plan(model):
        seed = seed_for(model.problem, generator, index)
        entry: dict[str, object] = {"name": f"{generator}-{index}"}
        res.tried.append(entry)
        try:
            data = generate(model, seed, gcfg)
        except CannotGenerate as exc:
            entry["result"] = reasons_key = "cannot-generate"
            entry["error"] = str(exc)
            reasons[reasons_key] += 1
            continue
        data_sha = sha256(data)
        if data_sha in seen or data == b"\n":
            entry["result"] = "duplicate"
            continue
        seen.add(data_sha)
        verdict = runner.agree(solutions, data)
        entry.update(size=len(data), agreement=round(verdict.agreement, 3), fastest=verdict.fastest_cpu)
        if not verdict.kept:
            entry["result"] = verdict.reason
            reasons[verdict.reason] += 1
            continue
        assert verdict.expected is not None and verdict.fastest_cpu is not None
        if verdict.fastest_cpu > cfg.max_fastest_cpu:
            entry["result"] = "too-slow"
            reasons["too-slow"] += 1
            continue
        entry["result"] = "kept"
        res.rows.append(_keep(model.problem, generator, index, seed, data, verdict, cfg))
        if len(res.rows) >= cfg.keep_per_problem or verdict.fastest_cpu < cfg.target_cpu:
            break
    res.reason = "kept" if res.rows else (reasons.most_common(1)[0][0] if reasons else "no-candidate")
    # Only a problem whose template produced an agreed valid input goes past the statement: that input is the
    # evidence that the template reads the problem right.
    if cfg.stress and res.rows and (res.best_fastest or 0.0) < cfg.target_cpu:
        stress = climb_stress(model, solutions, runner, cfg, res.tried, seen, res.best_fastest or 0.0)
        if stress is not None:
            res.rows.append(stress)
    return res


def climb_stress(
    model: ProblemModel,
    solutions: Sequence[Converted],
    runner: AgreementRunner,
    cfg: ScaleConfig,
    tried: list[dict[str, object]],
    seen: set[str],
    valid_fastest: float,
) -> ScaledRow | None:
    """The smallest past-the-statement input on which the fastest agreeing solution needs >= target_cpu, else
    the slowest agreed one if it needs at least STRESS_GAIN times the largest valid input's fastest (a stress
    input that adds little work would only drop the solutions that rely on the bound). Each ladder stops at its
    first input the solutions do not agree on (a larger one would only break more of them) or that is too slow."""
    best: tuple[str, int, int, bytes, Verdict] | None = None
    for ladder in stress_plan(model):
        last: tuple[int, float] | None = None  # (size, fastest CPU) of this ladder's last agreed rung
        for generator, index, gcfg in ladder:
            seed = seed_for(model.problem, generator, index)
            entry: dict[str, object] = {"name": f"{generator}-{index}"}
            tried.append(entry)
            try:
                data = generate(model, seed, gcfg)
            except CannotGenerate as exc:
                entry.update(result="cannot-generate", error=str(exc))
                break
            data_sha = sha256(data)
            if data_sha in seen:
                entry["result"] = "duplicate"  # the byte budget capped it: larger factors give the same input
                continue
            seen.add(data_sha)
            verdict = runner.agree(solutions, data)
            entry.update(size=len(data), agreement=round(verdict.agreement, 3), fastest=verdict.fastest_cpu)
            if not verdict.kept or verdict.fastest_cpu is None or verdict.fastest_cpu > cfg.max_fastest_cpu:
                entry["result"] = verdict.reason if not verdict.kept else "too-slow"
                break
            entry["result"] = "agreed"
            if (
                last is not None
                and len(data) >= BIG_RUNG
                and len(data) < GROWN * last[0]
                and verdict.fastest_cpu < GROWN * last[1]
            ):
                break  # at the byte budget: neither the input nor its runtime grows any more. Small rungs are
                # cheap and always climbed: a lone number grows by digits while a loop over it grows 10x
            last = (len(data), verdict.fastest_cpu)
            if best is None or verdict.fastest_cpu > (best[4].fastest_cpu or 0.0):
                best = (generator, index, seed, data, verdict)
            if verdict.fastest_cpu >= cfg.target_cpu:
                break
        if best is not None and (best[4].fastest_cpu or 0.0) >= cfg.target_cpu:
            break
    reached = best is not None and (best[4].fastest_cpu or 0.0) >= cfg.target_cpu
    if best is None or not reached and (best[4].fastest_cpu or 0.0) < STRESS_GAIN * valid_fastest:
        return None
    generator, index, seed, data, verdict = best
    for entry in tried:
        if entry["name"] == f"{generator}-{index}":
            entry["result"] = "kept"
    return _keep(model.problem, generator, index, seed, data, verdict, cfg)


def add_stress(
    record: dict[str, object],
    previous: ProblemResult,
    solutions: Sequence[Converted],
    verified: dict[tuple[str, str], tuple[str, str]],
    judge_runner: Runner | None,
    runner: AgreementRunner,
    cfg: ScaleConfig,
) -> ProblemResult:
    """A result from before the stress ladders, brought up to date without redoing its valid-input search."""
    res = replace(previous, rows=list(previous.rows), tried=list(previous.tried), version=RESULT_VERSION)
    if not (cfg.stress and res.rows and (res.best_fastest or 0.0) < cfg.target_cpu):
        return res
    tests = [str(t["input"]) for t in untruncated_tests(record)]
    model = build_model(res.problem, str(record["description"]), tests)
    passing = passing_solutions(record, solutions, verified, judge_runner, cfg.solutions_per_input)
    chosen = choose_solutions(res.problem, passing, cfg.solutions_per_input)
    seen = {row.input_sha256 for row in res.rows}
    stress = climb_stress(model, chosen, runner, cfg, res.tried, seen, res.best_fastest or 0.0)
    if stress is not None:
        res.rows.append(stress)
    return res


def _keep(
    problem: str, generator: str, index: int, seed: int, data: bytes, verdict: Verdict, cfg: ScaleConfig
) -> ScaledRow:
    assert verdict.expected is not None and verdict.fastest_cpu is not None
    name = f"{generator}-{index}"
    folder = cfg.work / "scaled" / problem
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.in").write_bytes(data)
    (folder / f"{name}.out").write_bytes(verdict.expected)
    return ScaledRow(problem, name, generator, seed, sha256(data), sha256(verdict.expected),
                     verdict.agreement, len(data), verdict.fastest_cpu)  # fmt: skip


# ---- passing solutions ----


def passing_solutions(
    problem: dict[str, object],
    solutions: Sequence[Converted],
    verified: dict[tuple[str, str], tuple[str, str]],
    judge_runner: Runner | None,
    want: int,
) -> list[Converted]:
    """Solutions that pass every untruncated test: from the verify table, else judged here (same cache)."""
    name = str(problem["problem"])
    known = [s for s in solutions if (name, s.id) in verified]
    if known:
        return [s for s in solutions if verified.get((name, s.id), ("", ""))[1] == "pass" and s.code]
    if judge_runner is None:
        return []
    test_objs = problem_tests(problem)
    out: list[Converted] = []
    for sol in sorted(solutions, key=lambda s: s.sha256):
        if sol.code and judge(sol, test_objs, judge_runner) == "pass":
            out.append(sol)
            if len({s.sha256 for s in out}) >= want:
                break
    return out


# ---- table ----


def write_table(path: Path, rows: Sequence[ScaledRow]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(COLUMNS)] + [r.tsv() for r in sorted(rows, key=lambda r: (r.problem, r.name))]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_table(path: Path) -> list[ScaledRow]:
    rows = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            if line.strip():
                raw = dict(zip(header, line.rstrip("\n").split("\t"), strict=True))
                rows.append(ScaledRow(
                    raw["problem"], raw["name"], raw["generator"], int(raw["seed"]), raw["input_sha256"],
                    raw["output_sha256"], float(raw["agreement"]), int(raw["size_bytes"]),
                    float(raw["fastest_cpu_s"]),
                ))  # fmt: skip
    return rows


# ---- the whole job ----


def eligible_problems(cfg: ScaleConfig, only: set[str] | None, limit: int | None) -> list[dict[str, object]]:
    return list(read_eligible_problems(cfg.data, only, limit))


def summarize(results: Sequence[ProblemResult], cfg: ScaleConfig) -> dict[str, object]:
    reasons = Counter(r.reason for r in results)
    kept = [r for r in results if r.rows]
    slow_enough = [r for r in kept if (r.best_fastest or 0) >= cfg.target_cpu]
    return {
        "problems": len(results),
        "with_scaled_input": len(kept),
        "fastest_at_least_target": len(slow_enough),
        "target_ms": round(cfg.target_cpu * 1000, 3),
        "inputs": sum(len(r.rows) for r in results),
        "reasons": dict(reasons.most_common()),
    }


def run_scale(
    cfg: ScaleConfig,
    only: set[str] | None = None,
    limit: int | None = None,
    echo: Callable[[str], None] = print,
) -> dict[str, object]:
    problems = eligible_problems(cfg, only, limit)
    converted = load_converted(cfg.work)
    by_problem: dict[str, list[Converted]] = {}
    for s in converted:
        by_problem.setdefault(s.problem, []).append(s)
    verified = read_verified(cfg.verified) if cfg.verified.is_file() else {}
    file_io = file_io_problems(converted)
    results: list[ProblemResult] = []
    t0 = time.perf_counter()
    with RunCache(cfg.work / "runs.sqlite") as cache, Sandbox(workers=cfg.workers) as sandbox:
        runner = AgreementRunner(cache, sandbox, cfg, file_io)
        judge_runner = SandboxRunner(cache, sandbox, VERIFY_LIMITS, file_io)
        for i, record in enumerate(problems, 1):
            name = str(record["problem"])
            previous = None if cfg.force else load_result(cfg.work, name)
            # too few passing solutions may only mean that verify had not reached the problem yet: try again
            if previous is not None and previous.reason != "too-few-passing":
                if previous.version != RESULT_VERSION:
                    previous = add_stress(record, previous, by_problem.get(name, []), verified, judge_runner,
                                          runner, cfg)  # fmt: skip
                    save_result(cfg.work, previous)
                    if previous.rows and "stress" in previous.rows[-1].generator:
                        echo(f"scale {i}/{len(problems)} {name}: stress {previous.rows[-1].name}, fastest "
                             f"{previous.rows[-1].fastest_cpu_s * 1000:.0f} ms; {runner.runs} runs, "
                             f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
                results.append(previous)
                continue
            passing = passing_solutions(record, by_problem.get(name, []), verified, judge_runner,
                                        cfg.solutions_per_input)  # fmt: skip
            res = scale_problem(record, passing, runner, cfg)
            save_result(cfg.work, res)
            results.append(res)
            best = f", fastest {res.best_fastest * 1000:.0f} ms" if res.best_fastest is not None else ""
            echo(f"scale {i}/{len(problems)} {name}: {res.reason} ({len(res.rows)} inputs{best}); "
                 f"{runner.runs} runs, {time.perf_counter() - t0:.0f} s")  # fmt: skip
    write_table(cfg.table, merge_rows(cfg.table, results, {str(p["problem"]) for p in problems}))
    return summarize(results, cfg)


def export_table(cfg: ScaleConfig) -> dict[str, object]:
    """Rebuild the table from the finished problems' result files alone (running nothing): usable while a long
    run is still going, or after it was killed."""
    results = [r for p in eligible_problems(cfg, None, None) if (r := load_result(cfg.work, str(p["problem"])))]
    write_table(cfg.table, merge_rows(cfg.table, results, {r.problem for r in results}))
    return summarize(results, cfg)


def merge_rows(table: Path, results: Sequence[ProblemResult], redone: set[str]) -> list[ScaledRow]:
    """Rows of the problems run now, plus the committed rows of every other problem (a partial run keeps them)."""
    old = [r for r in read_table(table) if r.problem not in redone] if table.is_file() else []
    return old + [row for res in results for row in res.rows]


# ---- regeneration (a fresh checkout: inputs are not committed, only their seeds and hashes) ----


def regenerate_input(record: dict[str, object], row: ScaledRow) -> bytes:
    """The input of a committed row, rebuilt from the problem's tests and statement and the row's seed."""
    tests = [str(t["input"]) for t in untruncated_tests(record)]
    model = build_model(row.problem, str(record["description"]), tests)
    plan = all_generators(model)
    if row.name not in plan:
        raise CannotGenerate(f"{row.problem}/{row.name}: no such generator any more")
    data: bytes = generate(model, row.seed, plan[row.name])
    return data


def regenerate(cfg: ScaleConfig, echo: Callable[[str], None] = print) -> dict[str, int]:
    """Write every committed row's input again and check it against its sha256; the expected output is
    recomputed as the agreeing majority (run cache first) and checked token-wise against nothing but itself,
    its sha256 against the table's."""
    rows = read_table(cfg.table)
    wanted = {r.problem for r in rows}
    records = {str(p["problem"]): p for p in read_problems(cfg.data) if p["problem"] in wanted}
    converted = load_converted(cfg.work)
    by_problem: dict[str, list[Converted]] = {}
    for s in converted:
        by_problem.setdefault(s.problem, []).append(s)
    verified = read_verified(cfg.verified) if cfg.verified.is_file() else {}
    counts: Counter[str] = Counter()
    with RunCache(cfg.work / "runs.sqlite") as cache, Sandbox(workers=cfg.workers) as sandbox:
        runner = AgreementRunner(cache, sandbox, cfg, file_io_problems(converted))
        judge_runner = SandboxRunner(cache, sandbox, VERIFY_LIMITS, file_io_problems(converted))
        for row in rows:
            record = records.get(row.problem)
            if record is None:
                counts["problem missing from the data"] += 1
                continue
            data = regenerate_input(record, row)
            if sha256(data) != row.input_sha256:
                counts["input sha256 differs"] += 1
                echo(f"regenerate {row.problem}/{row.name}: input sha256 differs from the table")
                continue
            passing = passing_solutions(record, by_problem.get(row.problem, []), verified, judge_runner, 8)
            verdict = runner.agree(choose_solutions(row.problem, passing, cfg.solutions_per_input), data)
            if not verdict.kept or verdict.expected is None:
                counts["no agreement now"] += 1
                continue
            folder = cfg.work / "scaled" / row.problem
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{row.name}.in").write_bytes(data)
            (folder / f"{row.name}.out").write_bytes(verdict.expected)
            counts["ok" if sha256(verdict.expected) == row.output_sha256 else "ok, output bytes differ"] += 1
    return dict(counts)
