"""``speedhints data pairs``: (slow, fast) pairs of the same problem, as the paper builds them (section 2.2).

A solution's runtime is the sum, over its problem's scaled inputs, of its measured CPU time (training/data/measure.py:
minimum of >= 3 runs); a solution missing any input (a wrong answer there) has no runtime. A timeout counts at the
CPU limit and marks the runtime censored: a censored solution may be the slow side of a pair (its speedup is then a
lower bound) but never the fast side. Two solutions of a problem form a pair when their canonical forms are similar
(ROUGE-8 F1 >= ``--threshold``, similarity.py) yet not identical, and the slower takes >= ``--min-speedup`` times
the faster's CPU time, and the faster takes >= ``--min-fast-ms``.

The defaults (ROUGE-8 >= 0.2, fast >= 5 ms) come from ``speedhints data quality`` (training/corpus/pair_quality.json):
among identical programs timed as separate solutions, 3.5 % of those under 5 ms show a false >= 1.2x "speedup" and
at most 0.2 % above, so with no runtime floor noise alone explains 7.3 % of the pairs at ROUGE-8 0.2, and 0.1 %
with the 5 ms floor: 17,393 pairs. ROUGE-8 0.1 would give 41,815, but the report's edit bands show those are
rewrites: in the 0.1-0.2 band the fast program keeps a median 14-20 % of the slow one's lines, which the
Edit-VQVAE is not for.

Committed: ``training/corpus/pairs.tsv`` (ids, similarity, runtimes: no code), sorted for stable diffs. The code of
each pair is joined in from WORK/canonical.jsonl when the splits are written (splits.py).
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import click

from speedhints.training.data.convert import DEFAULT_WORK, REPO_ROOT
from speedhints.training.data.similarity import code_tokens, rouge_pairs

CORPUS_DIR = REPO_ROOT / "training" / "corpus"

DEFAULT_RUNTIMES = CORPUS_DIR / "runtimes.tsv"
DEFAULT_PAIRS = CORPUS_DIR / "pairs.tsv"
PAIRS_HEADER = ["problem", "slow", "fast", "rouge8", "speedup", "slow_ms", "fast_ms", "slow_censored"]


@dataclass(frozen=True)
class Runtime:
    problem: str
    solution: str
    code_sha: str
    ms: float  # summed over the problem's scaled inputs
    censored: bool  # some input hit the CPU limit: ms is a lower bound


@dataclass(frozen=True)
class Pair:
    problem: str
    slow: str
    fast: str
    rouge8: float
    speedup: float
    slow_ms: float
    fast_ms: float
    slow_censored: bool

    def row(self) -> list[str]:
        return [self.problem, self.slow, self.fast, f"{self.rouge8:.4f}", f"{self.speedup:.3f}",
                f"{self.slow_ms:.1f}", f"{self.fast_ms:.1f}", str(int(self.slow_censored))]


def read_runtimes(path: Path) -> dict[tuple[str, str], Runtime]:
    """(problem, solution) -> Runtime, for the solutions measured on every input of their problem."""
    per_solution: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    inputs: dict[str, set[str]] = defaultdict(set)
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            per_solution[(row["problem"], row["solution"])].append(row)
            inputs[row["problem"]].add(row["input"])
    out = {}
    for key, rows in per_solution.items():
        if {r["input"] for r in rows} != inputs[key[0]]:
            continue  # wrong on some scaled input of its problem
        out[key] = Runtime(
            problem=key[0],
            solution=key[1],
            code_sha=rows[0]["code_sha"],
            ms=sum(float(r["cpu_ms"]) for r in rows),
            censored=any(r["censored"] in ("1", "true", "True") for r in rows),
        )
    return out


def problem_pairs(
    problem: str,
    solutions: list[tuple[Runtime, str]],  # (runtime, canonical code)
    threshold: float,
    min_speedup: float,
    n: int = 8,
    min_fast_ms: float = 0.0,
) -> list[Pair]:
    tokens = [code_tokens(code) for _, code in solutions]
    pairs = []
    for i, j, score in rouge_pairs(tokens, n=n, threshold=threshold):
        (ri, ci), (rj, cj) = solutions[i], solutions[j]
        if ci == cj:
            continue  # the same canonical program: any runtime gap is noise, not an edit
        slow, fast = (ri, rj) if ri.ms >= rj.ms else (rj, ri)
        if fast.censored or fast.ms <= 0 or fast.ms < min_fast_ms:
            continue
        speedup = slow.ms / fast.ms
        if speedup >= min_speedup:
            pairs.append(Pair(problem, slow.solution, fast.solution, score, speedup, slow.ms, fast.ms, slow.censored))
    return pairs


def build_pairs(
    runtimes: dict[tuple[str, str], Runtime],
    canonical: Iterable[tuple[str, str, str, str]],  # (problem, id, converted sha256, canonical code)
    threshold: float,
    min_speedup: float,
    min_fast_ms: float = 0.0,
) -> tuple[list[Pair], dict[str, int]]:
    by_problem: dict[str, list[tuple[Runtime, str]]] = defaultdict(list)
    stale = 0
    for problem, sid, sha, code in canonical:
        runtime = runtimes.get((problem, sid))
        if runtime is None:
            continue
        if not sha.startswith(runtime.code_sha):
            stale += 1  # the code changed since it was measured: its runtime is not this code's
            continue
        by_problem[problem].append((runtime, code))
    pairs: list[Pair] = []
    for problem in sorted(by_problem):
        pairs += problem_pairs(problem, by_problem[problem], threshold, min_speedup, min_fast_ms=min_fast_ms)
    pairs.sort(key=lambda p: (p.problem, p.slow, p.fast))
    counts = {"problems": len(by_problem), "solutions": sum(map(len, by_problem.values())), "stale": stale,
              "pairs": len(pairs)}
    return pairs, counts


def write_pairs(pairs: list[Pair], path: Path) -> None:
    tmp = path.with_suffix(".tsv.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(PAIRS_HEADER)
        writer.writerows(p.row() for p in pairs)
    tmp.replace(path)


def read_pairs(path: Path) -> list[Pair]:
    with open(path, encoding="utf-8", newline="") as f:
        return [
            Pair(r["problem"], r["slow"], r["fast"], float(r["rouge8"]), float(r["speedup"]), float(r["slow_ms"]),
                 float(r["fast_ms"]), r["slow_censored"] == "1")
            for r in csv.DictReader(f, delimiter="\t")
        ]


@click.command("pairs")
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option("--runtimes", type=click.Path(path_type=Path), default=DEFAULT_RUNTIMES, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=DEFAULT_PAIRS, show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.2, show_default=True,
              help="least ROUGE-8 F1 between the two canonical programs")
@click.option("--min-speedup", type=click.FloatRange(min=1.0), default=1.2, show_default=True)
@click.option("--min-fast-ms", type=click.FloatRange(min=0.0), default=5.0, show_default=True,
              help="least CPU ms of the faster program (summed over its inputs): below it a speedup may be noise")
def pairs_command(
    work: Path, runtimes: Path, out: Path, threshold: float, min_speedup: float, min_fast_ms: float
) -> int:
    """Build (slow, fast) pairs from the measured runtimes and the canonical corpus."""
    from speedhints.training.tokenizer_cli import load_canonical

    for path, how in ((runtimes, "speedhints data measure"), (work / "canonical.jsonl", "speedhints data canonical")):
        if not path.is_file():
            click.echo(f"error: {path} not found: run `{how}` first", err=True)
            return 2
    start = time.perf_counter()
    canonical = ((s.problem, s.id, s.sha256, s.code) for s in load_canonical(work))
    pairs, counts = build_pairs(read_runtimes(runtimes), canonical, threshold, min_speedup, min_fast_ms)
    write_pairs(pairs, out)
    click.echo(
        f"pairs: {counts['pairs']} from {counts['solutions']} timed solutions of {counts['problems']} problems "
        f"({counts['stale']} stale) in {time.perf_counter() - start:.1f}s -> {out}"
    )
    return 0
