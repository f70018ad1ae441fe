"""The committed tables of ``speedhints data synth`` and the rebuild of the pairs' code from them.

``training/corpus/synth_pairs.tsv``: one kept pair per row, sorted by (problem, solution, families, variant) so a
rerun diffs line by line. ``code_sha`` is the original's (converted code, first 16 hex digits), ``variant_sha`` the
slow side's; ``slow_ms`` / ``fast_ms`` are CPU ms summed over the problem's scaled inputs (variant / original, the
min of 3 runs each, timed in the same run); ``changed_lines`` counts the lines the edit touches in canonical form
(synth_variants.changed_lines); ``split`` is the problem's ``by_problem`` split, with test problems' pairs forming
``synth_test``.

``training/corpus/synth_censored.tsv``: the same columns for the variants that passed the tests and then hit their
CPU limit on a scaled input (speedup and slow_ms are lower bounds; not pairs by the output rule, kept apart).

``training/corpus/synth_attempts.tsv``: per family (or family pair) what happened to its variants: ``applied``
(variants made), ``new`` (not an existing solution's canonical form nor a repeat), ``passing`` (passed the tests),
``same_output`` (matched the original on every scaled input), ``kept`` (>= the speedup threshold), ``censored``
(passed the tests, then hit the CPU limit on a scaled input: far slower, but never compared), then the median
speedup and changed lines of the kept pairs and the sandbox CPU seconds the family cost.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from speedhints.training.data.convert import REPO_ROOT, code_sha256, convert_source, read_problems
from speedhints.training.data.pessimize import Family
from speedhints.training.data.synth_ledger import Attempt, Ledger
from speedhints.training.data.synth_variants import (
    UnknownFamily,
    canonical_pair,
    code_sha,
    family_map,
    make_variants,
)

CORPUS = REPO_ROOT / "training" / "corpus"
DEFAULT_TABLE = CORPUS / "synth_pairs.tsv"
DEFAULT_SUMMARY = CORPUS / "synth_attempts.tsv"
YIELD_NAME = "synth_yield.tsv"  # beside the summary
CENSORED_NAME = "synth_censored.tsv"  # beside the summary
LEDGER_DUMP_NAME = "synth_ledger.jsonl.gz"  # beside the summary: every attempt, so another machine resumes
PAIR_HEADER = ["problem", "solution", "code_sha", "families", "variant", "variant_sha", "speedup", "slow_ms",
               "fast_ms", "changed_lines", "split"]  # fmt: skip
SUMMARY_HEADER = ["families", "applied", "new", "passing", "same_output", "kept", "censored", "median_speedup",
                  "median_changed_lines", "cpu_s"]  # fmt: skip
PASSED_TESTS = {
    "wrong_scaled",
    "error_scaled",
    "censored",
    "not_faster",
    "not_confirmed",
    "kept",
    "cold",
    "original_unusable",
}
SAME_OUTPUT = {"not_faster", "not_confirmed", "kept"}


@dataclass(frozen=True)
class SynthPair:
    problem: str
    solution: str
    code_sha: str
    families: str
    variant: int
    variant_sha: str
    speedup: float
    slow_ms: float
    fast_ms: float
    changed_lines: int
    split: str

    def row(self) -> list[str]:
        return [self.problem, self.solution, self.code_sha[:16], self.families, str(self.variant),
                self.variant_sha[:16], f"{self.speedup:.3f}", f"{self.slow_ms:.1f}", f"{self.fast_ms:.1f}",
                str(self.changed_lines), self.split]  # fmt: skip

    def sort_key(self) -> tuple[str, int, str, str, int]:
        sid = self.solution
        return (self.problem, int(sid) if sid.isdigit() else -1, sid, self.families, self.variant)


def pair_of(a: Attempt) -> SynthPair:
    assert a.orig_ms is not None and a.variant_ms is not None and a.changed_lines is not None
    return SynthPair(a.problem, a.solution, a.code_sha, a.families, a.variant, a.variant_sha,
                     a.variant_ms / a.orig_ms, a.variant_ms, a.orig_ms, a.changed_lines, a.split)  # fmt: skip


def _write_tsv(path: Path, header: list[str], rows: Sequence[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    tmp.replace(path)


def summarize(attempts: Sequence[Attempt]) -> list[list[str]]:
    """One row per families key (see the module docstring), sorted by key."""
    by: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        by[a.families].append(a)
    rows = []
    for key in sorted(by):
        xs = by[key]
        kept = [pair_of(a) for a in xs if a.status == "kept"]
        rows.append([
            key, str(len(xs)),
            str(sum(not a.status.startswith("same_as") for a in xs)),
            str(sum(a.status in PASSED_TESTS for a in xs)),
            str(sum(a.status in SAME_OUTPUT for a in xs)),
            str(len(kept)),
            str(sum(a.status == "censored" for a in xs)),
            f"{statistics.median(p.speedup for p in kept):.3f}" if kept else "-",
            f"{statistics.median(p.changed_lines for p in kept):g}" if kept else "-",
            f"{sum(a.cpu_s for a in xs):.1f}",
        ])  # fmt: skip
    return rows


HIT_BANDS = ((0, "0-9"), (10, "10-999"), (1000, ">=1000"))
MS_BANDS: tuple[tuple[float, str], ...] = (
    (0.0, "<10 ms"),
    (10.0, "10-30 ms"),
    (30.0, "30-100 ms"),
    (100.0, "100-300 ms"),
    (300.0, ">=300 ms"),
)


def band_of(value: float | None, bands: Sequence[tuple[float, str]]) -> str:
    if value is None:
        return "unknown"
    return [label for low, label in bands if value >= low][-1]


def yield_rows(attempts: Sequence[Attempt]) -> list[list[str]]:
    """What each way of spending measuring time returned: variants by how hot the lines their edit touches ran
    (``hits``, synth_trace.py) and by how long the original runs (``fast_ms``), with the same columns as the
    per-family summary (single families and pairs together)."""
    groups: dict[tuple[str, str], list[Attempt]] = defaultdict(list)
    for a in attempts:
        if a.status.startswith("same_as"):
            continue  # never run: no choice of where to measure is involved
        groups[("hits", band_of(a.hits, HIT_BANDS))].append(a)
        groups[("fast_ms", band_of(a.orig_ms, MS_BANDS))].append(a)
    order = {label: i for i, (_, label) in enumerate((*HIT_BANDS, *MS_BANDS))}
    rows = []
    for (dim, band), xs in sorted(groups.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99))):
        kept = sum(a.status == "kept" for a in xs)
        cpu = sum(a.cpu_s for a in xs)
        rows.append([dim, band, str(len(xs)), str(sum(a.status in PASSED_TESTS for a in xs)),
                     str(sum(a.status in SAME_OUTPUT for a in xs)), str(kept), f"{cpu:.1f}",
                     f"{kept / cpu * 3600:.0f}" if cpu > 0 else "-"])  # fmt: skip
    return rows


YIELD_HEADER = ["dimension", "band", "variants", "passing", "same_output", "kept", "cpu_s", "kept_per_cpu_hour"]


def export_tables(ledger: Ledger, table: Path, summary: Path) -> dict[str, float]:
    attempts = ledger.attempts()
    pairs = sorted((pair_of(a) for a in attempts if a.status == "kept"), key=SynthPair.sort_key)
    _write_tsv(table, PAIR_HEADER, [p.row() for p in pairs])
    _write_tsv(summary, SUMMARY_HEADER, summarize(attempts))
    _write_tsv(summary.with_name(YIELD_NAME), YIELD_HEADER, yield_rows(attempts))
    # Censored variants passed the tests and then hit their CPU limit (20x the original) on a scaled input: their
    # output there was never compared, so they are not pairs by this stage's rule, but their slowdown is the
    # largest of all. Their own table, same columns, speedup a lower bound (--from-table --table rebuilds them).
    censored = sorted((pair_of(a) for a in attempts if a.status == "censored" and a.variant_ms is not None
                       and a.changed_lines is not None and a.orig_ms), key=SynthPair.sort_key)  # fmt: skip
    _write_tsv(summary.with_name(CENSORED_NAME), PAIR_HEADER, [p.row() for p in censored])
    ledger.dump(summary.with_name(LEDGER_DUMP_NAME))
    cost = ledger.cost()
    return {"synth_pairs": len(pairs), "attempts": len(attempts), "attempts_total": len(attempts),
            "censored_pairs": len(censored), **cost}  # fmt: skip


def read_pairs(path: Path) -> list[SynthPair]:
    with open(path, encoding="utf-8", newline="") as f:
        return [
            SynthPair(
                r["problem"],
                r["solution"],
                r["code_sha"],
                r["families"],
                int(r["variant"]),
                r["variant_sha"],
                float(r["speedup"]),
                float(r["slow_ms"]),
                float(r["fast_ms"]),
                int(r["changed_lines"]),
                r["split"],
            )  # fmt: skip
            for r in csv.DictReader(f, delimiter="\t")
        ]


def read_summary(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def split_folder(split: str) -> tuple[str, str]:
    """(scheme folder, file) of a pair's split: training and validation problems' pairs go to ``synth``, the test
    problems' to their own test set ``synth_test``."""
    return ("synth_test", "test") if split == "synth_test" else ("synth", split)


def rebuild_from_table(
    table: Path, data: Path, out: Path, families: Sequence[Family], echo: Callable[[str], None] = print
) -> dict[str, int]:
    """Every pair's code, both sides, from the corpus and the table: convert the original (checked against
    ``code_sha``), remake the variant (checked against ``variant_sha``), write canonical pairs as JSON lines to
    OUT/synth/{train,valid}.jsonl and OUT/synth_test/test.jsonl, and OUT/synth_test/refs.jsonl and train.jsonl (the
    synthetic training pairs, for the retrieval baseline) so that ``speedhints eval --split synth_test=OUT/synth_test``
    scores models on them (Table 1 and execution). Runs
    nothing."""
    pairs = read_pairs(table)
    fams = family_map(families)
    wanted: dict[tuple[str, str], list[SynthPair]] = defaultdict(list)
    for p in pairs:
        wanted[(p.problem, p.solution)].append(p)
    counts = {"pairs": 0, "failed": 0}
    files: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key, code in converted_solutions(data, set(wanted)):
        for p in wanted.pop(key):
            line = _rebuild_one(p, code, fams)
            if isinstance(line, str):
                echo(f"from-table {p.problem}/{p.solution} {p.families}#{p.variant}: {line}")
                counts["failed"] += 1
                continue
            files[split_folder(p.split)].append(json.dumps(line))
            if p.split == "synth_test":
                files[("synth_test", "refs")].append(json.dumps(_reference(p, line)))
            counts["pairs"] += 1
    for rest in wanted.values():
        for p in rest:
            echo(f"from-table {p.problem}/{p.solution}: not in the data set")
            counts["failed"] += 1
    if files.get(("synth_test", "test")):  # a complete split for the evaluation: its retrieval baseline searches
        files[("synth_test", "train")] = list(files.get(("synth", "train"), []))  # the synthetic training pairs
    for (scheme, split), lines in sorted(files.items()):
        folder = out / scheme
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{split}.jsonl").write_text("".join(x + "\n" for x in lines), encoding="utf-8")
        counts[f"{scheme}/{split}"] = len(lines)
    return counts


def _reference(p: SynthPair, line: dict[str, object]) -> dict[str, object]:
    """The evaluation's record of a synth_test input (training/evaluation/inputs.py, the format of
    ``data splits``' refs.jsonl): x is the pessimized variant, and its reference set R(x) is the one program known
    to be its faster equivalent, the real solution it was made from, with both measured times."""
    from speedhints.training.data.similarity import code_tokens, rouge_n

    slow, fast = str(line["slow"]), str(line["fast"])
    return {"problem": p.problem, "id": line["slow_id"], "code": slow, "ms": p.slow_ms,
            "refs": [{"id": p.solution, "code": fast, "ms": p.fast_ms,
                      "rouge8": rouge_n(code_tokens(slow), code_tokens(fast))}]}  # fmt: skip


def converted_solutions(data: Path, wanted: set[tuple[str, str]]) -> Iterator[tuple[tuple[str, str], str | None]]:
    """(problem, solution id) -> its Python 3 code (None where it does not convert), for the wanted solutions of
    the corpus, in the corpus's order: what a table's rebuild starts from."""
    problems = {p for p, _ in wanted}
    for record in read_problems(data):
        if record["problem"] not in problems:
            continue
        for sol in record["solutions"]:
            key = (str(record["problem"]), str(sol["id"]))
            if key in wanted:
                yield key, convert_source(str(sol["code"]))[0]


def _rebuild_one(p: SynthPair, code: str | None, fams: dict[str, Family]) -> dict[str, object] | str:
    """The pair's JSON record, or why it cannot be rebuilt."""
    if code is None or not code_sha256(code).startswith(p.code_sha):
        return "the converted original differs from the one measured"
    try:
        vs = make_variants(code, p.families, fams, p.variant + 1)
    except UnknownFamily as exc:
        return f"unknown family {exc.args[0]!r}"
    if len(vs) <= p.variant or not code_sha(vs[p.variant]).startswith(p.variant_sha):
        return "the family no longer makes this variant (sha256 differs)"
    both = canonical_pair(vs[p.variant], code)
    if both is None:
        return "no canonical form"
    slow, fast = both
    return {"problem": p.problem, "slow_id": f"{p.solution}:{p.families}:{p.variant}", "fast_id": p.solution,
            "families": p.families, "slow": slow, "fast": fast, "speedup": p.speedup,
            "changed_lines": p.changed_lines}  # fmt: skip
