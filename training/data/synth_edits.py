"""``speedhints data edits``: local edits that keep behaviour, verified by running them, for the middle stage of
training (denoising -> these edits -> real and measured synthetic pairs).

``data synth`` keeps a pessimized variant only when it is measurably >= 1.2x slower, which costs the timing of both
sides on the scaled inputs and keeps about one variant in twelve (README, synthetic pairs). Before a model can
learn *which* edits pay, it must learn what an edit that keeps behaviour looks like: small, local, in the user's
own names, every line outside the hunk untouched. For that the timing is not needed, the tests are. So this
stage applies the same pessimizer families (and pairs of families) to passing solutions of the ``by_problem``
train and valid problems (never a test problem), and keeps (variant -> original) when the variant is a new
program (its canonical form is no solution of the problem) that passes the problem's untruncated tests in the
sandbox: the checks of ``data synth`` before its timing (``Synthesizer.screen``), nothing else. The pair's
direction teaches the inverse edit (slow idiom -> the author's own fast code), whose target is always a real human
program. Not timed, so not evidence of a speedup: these pairs carry ``"speedup": null`` and are used only to
teach the form of an edit.

Measuring cost goes to coverage: problems are taken in a fixed hashed order (a stopped run has seen many problems,
not all solutions of a few) and at most ``per_problem`` distinct solutions of each. Every decision lands in its
own ledger (``WORK/edits.sqlite``, synth_ledger.py's schema, status ``verified`` for a kept edit), every run in the
shared run cache (``WORK/runs.sqlite``), so a rerun only pays for what is new. The committed table is
``training/corpus/synth_edits.tsv`` (one verified edit per row) with its per-family summary
``synth_edits_attempts.tsv``; ``--from-table`` rebuilds ``WORK/pairs/edits/{train,valid}.jsonl`` from the corpus
and the table without running anything.
"""

from __future__ import annotations

import csv
import hashlib
import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from speedhints.training.data.convert import DEFAULT_DATA, DEFAULT_WORK, Converted, load_converted
from speedhints.training.data.pessimize import FAMILIES, Family
from speedhints.training.data.runcache import RunCache
from speedhints.training.data.sandbox import SandboxError
from speedhints.training.data.splits import by_problem_split
from speedhints.training.data.synth import (
    MeteredSandbox,
    SynthConfig,
    Synthesizer,
    _Candidate,
    _ProblemContext,
    chosen_families,
    problem_context,
)
from speedhints.training.data.synth_ledger import Attempt, Ledger, resume_from_dump
from speedhints.training.data.synth_table import CORPUS, SynthPair, _rebuild_one, _write_tsv, converted_solutions
from speedhints.training.data.synth_variants import make_variants, pair_keys
from speedhints.training.data.verify import DEFAULT_TABLE as VERIFIED_TABLE
from speedhints.training.data.verify import file_io_problems, load_tests
from speedhints.training.data.verify import read_table as read_verified

DEFAULT_EDITS_TABLE = CORPUS / "synth_edits.tsv"
SUMMARY_NAME = "synth_edits_attempts.tsv"  # beside the table
LEDGER_DUMP_NAME = "synth_edits_ledger.jsonl.gz"  # beside the table: every attempt, so another machine resumes
LEDGER_NAME = "edits.sqlite"
VERIFIED = "verified"  # the ledger status of an edit that passed (synth_ledger.STATUSES covers the others)
EDIT_HEADER = ["problem", "solution", "code_sha", "families", "variant", "variant_sha", "changed_lines", "split"]
EDIT_SUMMARY_HEADER = ["families", "applied", "new", "verified", "median_changed_lines", "cpu_s"]
SPLITS = ("train", "valid")  # test problems never lend a program to training, nor to its validation loss


@dataclass(frozen=True)
class VerifiedEdit:
    problem: str
    solution: str
    code_sha: str
    families: str
    variant: int
    variant_sha: str
    changed_lines: int
    split: str

    def row(self) -> list[str]:
        return [self.problem, self.solution, self.code_sha, self.families, str(self.variant), self.variant_sha,
                str(self.changed_lines), self.split]  # fmt: skip


def problem_order(problems: Sequence[str]) -> list[str]:
    """A fixed order that does not follow the problem ids (contest order would favour old, easy problems)."""
    return sorted(problems, key=lambda p: hashlib.sha256(p.encode()).hexdigest())


def plan(verified: Path, converted: Sequence[Converted], per_problem: int,
         only: tuple[str, ...] = ()) -> dict[str, list[Converted]]:  # fmt: skip
    """problem -> at most ``per_problem`` passing solutions with distinct code, in the order they are tried."""
    status = read_verified(verified)
    chosen: dict[str, list[Converted]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for sol in sorted(converted, key=lambda s: (s.problem, s.sha256)):  # by code hash: not the authors' order
        if sol.code is None or status.get((sol.problem, sol.id), ("", ""))[1] != "pass":
            continue
        if by_problem_split(sol.problem) not in SPLITS or (only and sol.problem not in only):
            continue
        if (sol.problem, sol.sha256) in seen or len(chosen[sol.problem]) >= per_problem:
            continue
        seen.add((sol.problem, sol.sha256))
        chosen[sol.problem].append(sol)
    return {p: chosen[p] for p in problem_order(list(chosen))}


def verify_solution(syn: Synthesizer, sol: Converted, ctx: _ProblemContext) -> None:
    """Every family's (and two family pairs') variants of one solution, screened; no timing."""
    assert sol.code is not None
    ledger = syn.ledger
    applied = ledger.applied(sol.problem, sol.id, sol.sha256)
    singles = {name: make_variants(sol.code, name, syn.families, syn.cfg.per_family) for name in syn.singles}
    applicable = [name for name, vs in singles.items() if vs]
    keys = [*syn.singles, *pair_keys(applicable, sol.sha256, syn.cfg.family_pairs)]
    seen: set[str] = set()
    for key in keys:
        if key in applied:
            continue
        vs = singles[key] if key in singles else make_variants(sol.code, key, syn.families, syn.cfg.per_family)
        for index, code in enumerate(vs):
            if ledger.attempt(sol.problem, sol.id, sol.sha256, key, index) is not None:
                continue
            result = syn.screen(sol, key, index, code, ctx, seen)
            if isinstance(result, _Candidate):
                result = syn.record(result, VERIFIED, "", None, None, None, result.cpu_s, result.wall_s)
            syn.put(result)
        # after its variants: a run killed before this line redoes only this key's unrecorded variants
        ledger.put_applied(sol.problem, sol.id, sol.sha256, key, len(vs))


def run_edits(data: Path, work: Path, verified: Path, table: Path, families: list[Family], per_problem: int,
              per_family: int, family_pairs: int, workers: int, minutes: float | None, only: tuple[str, ...],
              echo: Callable[[str], None] = print) -> dict[str, int]:  # fmt: skip
    converted = load_converted(work)
    chosen = plan(verified, converted, per_problem, only)
    tests = load_tests(data, set(chosen))
    echo(f"edits: {len(chosen)} problems ({sum(map(len, chosen.values()))} solutions), {len(families)} families")
    by_problem: dict[str, list[Converted]] = defaultdict(list)
    for s in converted:
        if s.problem in chosen:
            by_problem[s.problem].append(s)
    cfg = SynthConfig(data=data, work=work, verified=verified, per_family=per_family, family_pairs=family_pairs,
                      workers=workers)  # fmt: skip
    t0 = last = time.perf_counter()
    done = 0
    resume_from_dump(work / LEDGER_NAME, table.with_name(LEDGER_DUMP_NAME), echo)
    with (
        RunCache(work / "runs.sqlite") as cache,
        Ledger(work / LEDGER_NAME) as ledger,
        MeteredSandbox(workers=workers) as sandbox,
    ):
        syn = Synthesizer(cfg, cache, ledger, sandbox, families, file_io_problems(converted), echo)
        for problem, sols in chosen.items():
            if minutes is not None and time.perf_counter() - t0 > 60 * minutes:
                echo(f"edits: stopped after {minutes:g} minutes (a rerun resumes)")
                break
            if problem not in tests:
                syn.counts["problems without tests"] += 1
                continue
            ctx = problem_context(problem, by_problem[problem], tests[problem], [])
            for sol in sols:
                verify_solution(syn, sol, ctx)
            done += 1
            now = time.perf_counter()
            if now - last >= 60:
                last = now
                c = syn.counts
                echo(f"edits: {done}/{len(chosen)} problems, {c['attempts']} variants tried, {c[VERIFIED]} verified, "
                     f"{sandbox.cpu_seconds:.0f} CPU s in {(now - t0) / 60:.1f} min")  # fmt: skip
        summary = export_edits(ledger, table)
    return {"problems_done": done, **{k: int(v) for k, v in syn.counts.items()}, **summary}


def edit_of(a: Attempt) -> VerifiedEdit:
    assert a.changed_lines is not None
    return VerifiedEdit(a.problem, a.solution, a.code_sha, a.families, a.variant, a.variant_sha, a.changed_lines,
                        a.split)  # fmt: skip


def export_edits(ledger: Ledger, table: Path) -> dict[str, int]:
    attempts = ledger.attempts()
    edits = sorted((edit_of(a) for a in attempts if a.status == VERIFIED),
                   key=lambda e: (e.problem, e.solution, e.families, e.variant))  # fmt: skip
    _write_tsv(table, EDIT_HEADER, [e.row() for e in edits])
    _write_tsv(table.with_name(SUMMARY_NAME), EDIT_SUMMARY_HEADER, summarize_edits(attempts))
    ledger.dump(table.with_name(LEDGER_DUMP_NAME))
    return {"verified_edits": len(edits), "attempts": len(attempts),
            "problems": len({e.problem for e in edits})}  # fmt: skip


def summarize_edits(attempts: Sequence[Attempt]) -> list[list[str]]:
    by: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        by[a.families].append(a)
    rows = []
    for fam, items in sorted(by.items(), key=lambda kv: (-sum(a.status == VERIFIED for a in kv[1]), kv[0])):
        kept = [a for a in items if a.status == VERIFIED]
        new = [a for a in items if a.status not in ("same_as_solution", "same_as_variant")]
        changed = [a.changed_lines for a in kept if a.changed_lines is not None]
        median = f"{statistics.median(changed):g}" if changed else ""
        rows.append([fam, str(len(items)), str(len(new)), str(len(kept)), median, f"{sum(a.cpu_s for a in items):.1f}"])
    return rows


def read_edits(path: Path) -> list[VerifiedEdit]:
    with open(path, encoding="utf-8", newline="") as f:
        return [VerifiedEdit(r["problem"], r["solution"], r["code_sha"], r["families"], int(r["variant"]),
                             r["variant_sha"], int(r["changed_lines"]), r["split"])
                for r in csv.DictReader(f, delimiter="\t")]  # fmt: skip


def rebuild_edits(table: Path, data: Path, out: Path, families: Sequence[Family],
                  echo: Callable[[str], None] = print) -> dict[str, int]:  # fmt: skip
    """Every edit's code, both sides, from the corpus and the table, as pair records in OUT/edits/{train,valid}.jsonl
    (``"speedup": null``: verified, not timed). Runs nothing."""
    from speedhints.training.data.synth_variants import family_map

    edits = read_edits(table)
    fams = family_map(families)
    wanted: dict[tuple[str, str], list[VerifiedEdit]] = defaultdict(list)
    for e in edits:
        wanted[(e.problem, e.solution)].append(e)
    counts: Counter[str] = Counter()
    files: dict[str, list[str]] = defaultdict(list)
    for key, code in converted_solutions(data, set(wanted)):
        for e in wanted.pop(key):
            # the synth table's rebuild, for a pair with no timing (its speedup fields unused)
            p = SynthPair(e.problem, e.solution, e.code_sha, e.families, e.variant, e.variant_sha, 0.0, 0.0, 0.0,
                          e.changed_lines, e.split)  # fmt: skip
            line = _rebuild_one(p, code, fams)
            if isinstance(line, str):
                echo(f"from-table {e.problem}/{e.solution} {e.families}#{e.variant}: {line}")
                counts["failed"] += 1
                continue
            line["speedup"] = None
            files[e.split].append(json.dumps(line))
            counts["pairs"] += 1
    for rest in wanted.values():
        counts["failed"] += len(rest)
    folder = out / "edits"
    folder.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        lines = files.get(split, [])
        (folder / f"{split}.jsonl").write_text("".join(x + "\n" for x in lines), encoding="utf-8")
        counts[f"edits/{split}"] = len(lines)
    return dict(counts)


@click.command("edits")
@click.option("--data", type=click.Path(path_type=Path), default=DEFAULT_DATA, show_default=True)
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option("--verified", type=click.Path(path_type=Path), default=VERIFIED_TABLE, show_default=True)
@click.option("--table", type=click.Path(path_type=Path), default=DEFAULT_EDITS_TABLE, show_default=True)
@click.option("--family", "families", multiple=True, help="only this family (repeatable)")
@click.option("--per-problem", type=click.IntRange(min=1), default=6, show_default=True,
              help="distinct passing solutions tried per problem")  # fmt: skip
@click.option("--per-family", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--family-pairs", type=click.IntRange(min=0), default=2, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--minutes", type=click.FloatRange(min=0), default=None,
              help="stop starting problems after this many minutes (a rerun resumes)")  # fmt: skip
@click.option("--only", multiple=True, help="only this problem (repeatable)")
@click.option("--export-only", is_flag=True, help="write the tables from the ledger, running nothing")
@click.option("--from-table", is_flag=True,
              help="rebuild the edits' code from the corpus and the table into WORK/pairs/edits, running nothing")
def edits_command(data: Path, work: Path, verified: Path, table: Path, families: tuple[str, ...], per_problem: int,
                  per_family: int, family_pairs: int, workers: int, minutes: float | None, only: tuple[str, ...],
                  export_only: bool, from_table: bool) -> int:  # fmt: skip
    """Pessimize passing solutions of the train and valid problems and keep the variants that still pass the tests
    (not timed): training/corpus/synth_edits.tsv, the curriculum's edits that keep behaviour."""
    fams = chosen_families(families) if families else list(FAMILIES)
    if from_table:
        for path in (data, table):
            if not path.is_file():
                click.echo(f"error: {path} not found", err=True)
                return 2
        counts = rebuild_edits(table, data, work / "pairs", fams, echo=lambda m: click.echo(m, err=True))
        click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
        return 0 if counts.get("failed", 0) == 0 else 1
    if export_only:
        if not (work / LEDGER_NAME).is_file():
            click.echo(f"error: {work / LEDGER_NAME} not found: nothing was tried yet", err=True)
            return 2
        with Ledger(work / LEDGER_NAME) as ledger:
            out = export_edits(ledger, table)
        click.echo(f"{out['verified_edits']} verified edits on {out['problems']} problems from {out['attempts']} "
                   f"variants -> {table}")  # fmt: skip
        return 0
    for path, hint in (
        (data, "pass --data"),
        (work / "converted.jsonl", "run `speedhints data convert` first"),
        (verified, "run `speedhints data verify` first"),
    ):
        if not path.is_file():
            click.echo(f"error: {path} not found: {hint}", err=True)
            return 2
    try:
        result = run_edits(data, work, verified, table, fams, per_problem, per_family, family_pairs, workers, minutes,
                           only, echo=lambda m: click.echo(m, err=True))  # fmt: skip
    except SandboxError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    click.echo(f"{result['verified_edits']} verified edits on {result['problems']} problems "
               f"({result.get('attempts', 0)} variants in the ledger) -> {table}")  # fmt: skip
    return 0
