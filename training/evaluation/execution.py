"""Beyond text similarity: run what the models generate.

Each candidate (canonical code) is mapped back to the input's own names and strings (``decanonicalize`` with x's
mapping from ``WORK/canonical.jsonl``), judged on every untruncated test of its problem in #3's sandbox, and, when
it passes them all, timed on the problem's scaled inputs exactly as ``speedhints data measure`` times solutions
(judged first run, minimum CPU of 3). x itself is re-timed in the same run, so a speedup compares two programs
measured side by side under the same load. A candidate whose canonical form equals x's is x: it passes with
speedup 1.0 without running. A candidate with a string placeholder x does not have cannot be mapped back: it
counts as not running (the model invented a literal).

Each verdict also says whether the runtime's static checks (model_export/plausibility.py) would let the candidate
be shown as a hint, so the figures can be given for what a user would actually see.

Verdicts: ``syntax`` (does not parse), ``unmapped``, ``wrong``/``error``/``timeout`` (on the tests), ``slow_wrong``
(passes the tests, wrong or failing on a scaled input), ``pass`` (with a speedup).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from speedhints.model_export.canonical import Canonical, CanonicalError, decanonicalize
from speedhints.model_export.plausibility import refusal
from speedhints.model_export.source import parse_quietly
from speedhints.training.data.convert import Converted, code_sha256
from speedhints.training.data.measure import MEASURE_LIMITS, Measurer, ScaledInput, load_input
from speedhints.training.data.runcache import RunCache
from speedhints.training.data.sandbox import Sandbox
from speedhints.training.data.verify import VERIFY_LIMITS, SandboxRunner, Test, judge
from speedhints.training.evaluation.inputs import EvalInput

FASTER = 1.2  # "faster" means at least this speedup, as in the pairs


@dataclass(frozen=True)
class Verdict:
    status: str  # syntax | unmapped | wrong | error | timeout | slow_wrong | pass
    speedup: float | None = None  # x's CPU time / the candidate's, when it passes
    shown: bool = False  # it passes the runtime's static checks (plausibility.py): the hook would show it

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def correct_and_faster(self) -> bool:
        return self.passed and self.speedup is not None and self.speedup >= FASTER


@dataclass(frozen=True)
class ProblemData:
    tests: list[Test]
    scaled: list[tuple[ScaledInput, bytes, bytes]]  # (input, its bytes, expected output bytes)
    file_io: bool


def load_mappings(canonical_jsonl: Path, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Canonical]:
    """(problem, id) -> the Canonical (code, names, strings) of each wanted solution."""
    out: dict[tuple[str, str], Canonical] = {}
    with canonical_jsonl.open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            key = (str(d["problem"]), str(d["id"]))
            if key in keys:
                out[key] = Canonical(d["code"], d["names"], d["strings"], tuple(d.get("reserved", ())))
    return out


class Executor:
    """Judges and times candidates of many inputs over one sandbox and one run cache."""

    def __init__(
        self,
        cache: RunCache,
        sandbox: Sandbox,
        problems: dict[str, ProblemData],
        originals: dict[tuple[str, str], str],  # (problem, id) -> x's Python 3 source as converted
        mappings: dict[tuple[str, str], Canonical],
        repeats: int = 3,
    ) -> None:
        self.cache, self.sandbox, self.problems = cache, sandbox, problems
        self.originals, self.mappings = originals, mappings
        file_io = {p for p, d in problems.items() if d.file_io}
        self.tester = SandboxRunner(cache, sandbox, VERIFY_LIMITS, file_io)
        self.measurer = Measurer(cache, sandbox, MEASURE_LIMITS, repeats, file_io)
        self._x_ms: dict[tuple[str, str], float | None] = {}
        self._lock = threading.Lock()

    def _total_ms(self, sol: Converted, problem: ProblemData) -> float | None:
        """CPU ms summed over the scaled inputs; None when wrong on one, inf when one timed out."""
        total = 0.0
        for inp, data, expected in problem.scaled:
            t = self.measurer.measure(sol, inp, data, expected)
            if t is None:
                return None
            total += float("inf") if t.censored else t.cpu_ms
        return total

    def x_ms(self, x: EvalInput) -> float | None:
        key = (x.problem, x.id)
        with self._lock:
            if key in self._x_ms:
                return self._x_ms[key]
        code = self.originals[key]
        ms = self._total_ms(Converted(x.problem, x.id, code, code_sha256(code), "ok", ""), self.problems[x.problem])
        with self._lock:
            self._x_ms[key] = ms
        return ms

    def verdict(self, x: EvalInput, candidate: str) -> Verdict:
        if candidate == x.code:
            return Verdict("pass", 1.0)
        try:
            parse_quietly(candidate)  # generated junk such as "1if" would warn as it parses
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return Verdict("syntax")
        try:
            code = decanonicalize(candidate, self.mappings[(x.problem, x.id)])
        except (CanonicalError, KeyError, SyntaxError, ValueError, RecursionError):
            return Verdict("unmapped")
        shown = refusal(self.originals[(x.problem, x.id)], code, x.code, candidate) is None
        verdict = self._run(x, code)
        return Verdict(verdict.status, verdict.speedup, shown)

    def run_program(self, x: EvalInput, code: str) -> Verdict:
        """Judge and time ``code``, a whole program in x's own names (e.g. x with one hint applied), beside x."""
        return self._run(x, code)

    def _run(self, x: EvalInput, code: str) -> Verdict:
        problem = self.problems[x.problem]
        sol = Converted(x.problem, f"{x.id}-candidate", code, code_sha256(code), "ok", "")
        status = judge(sol, problem.tests, self.tester)
        if status != "pass":
            return Verdict(status or "error")
        ms = self._total_ms(sol, problem)
        base = self.x_ms(x)
        if ms is None:
            return Verdict("slow_wrong")
        if base is None or ms <= 0:
            return Verdict("pass", None)
        return Verdict("pass", base / ms if ms != float("inf") else 0.0)

    def judge_all(
        self, jobs: Sequence[tuple[EvalInput, str]], workers: int, echo: Callable[[str], None] = print
    ) -> dict[tuple[str, str], Verdict]:
        """(x key, candidate) -> Verdict for every distinct job, run on ``workers`` threads (sandbox-bound)."""
        distinct = list(dict.fromkeys((x, c) for x, c in jobs))
        out: dict[tuple[str, str], Verdict] = {}
        done = [0]

        def one(job: tuple[EvalInput, str]) -> None:
            v = self.verdict(*job)
            with self._lock:
                out[(job[0].key, job[1])] = v
                done[0] += 1
                if done[0] % 100 == 0 or done[0] == len(distinct):
                    echo(f"execution: {done[0]}/{len(distinct)} candidates judged")

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for fut in [pool.submit(one, j) for j in distinct]:
                fut.result()
        return out


def load_problem_data(
    data_path: Path, scaled_table: Path, scaled_dir: Path, problems: set[str], file_io: set[str]
) -> dict[str, ProblemData]:
    from speedhints.training.data.measure import read_scaled_inputs
    from speedhints.training.data.verify import load_tests

    tests = load_tests(data_path, problems)
    scaled = read_scaled_inputs(scaled_table, scaled_dir)
    out = {}
    for p in sorted(problems):
        loaded = [(inp, *load_input(inp)) for inp in scaled.get(p, [])]
        out[p] = ProblemData(tests.get(p, []), loaded, p in file_io)
    return out


def best_of_k(orders: Sequence[Sequence[Verdict]], k: int) -> float:
    """Share of inputs where one of the first k candidates (in the given order) is correct and >= 1.2x faster."""
    if not orders:
        return float("nan")
    return sum(any(v.correct_and_faster for v in vs[:k]) for vs in orders) / len(orders)
