"""Per-latent measured precision: how often each latent's *shown* hint is correct and faster on held-out programs.

The unit is what a user would see. Each validation program (the slow side of a by_problem ``valid`` pair in
``training/corpus/splits.tsv``; never a test problem) goes through the shipped runtime exactly as a file given to
``speedhints check --all``: its regions are canonicalised, every one of the K latents is decoded (no top-k, no
precision gate: the gate is what is being measured), and each candidate meets the runtime's own checks
(``runtime.user_suggestion``). A candidate that passes them is *shown*; it is spliced into the program in place of
its region and the whole program is judged on the problem's tests in the sandbox (*correct*) and timed on the
problem's scaled inputs beside the original, with the evaluation's protocol (``execution.Executor``: minimum CPU
of 3 runs, summed over the scaled inputs) — *correct and faster* when the speedup is >= 1.2x.

Per latent: ``shown``, ``correct``, ``correct_and_faster``, the Wilson 95 % lower bound of
correct_and_faster / shown, and the median speedup of its correct candidates. The record goes into the bundle's
atlas (``model_export/atlas.py`` ``LatentPrecision``), which the runtime gates on (``min_precision``).

Every judged candidate is appended to ``<out>/candidates.jsonl`` as it is measured, so a run stopped by its time
budget (or killed) resumes where it stopped and the summary can be recomputed from the log alone.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from speedhints.model_export.atlas import LatentPrecision, wilson_lower_bound
from speedhints.training.data.convert import DEFAULT_DATA, DEFAULT_WORK, REPO_ROOT
from speedhints.training.evaluation.shown import Measured, judge_program

SPLITS_TABLE = REPO_ROOT / "training" / "corpus" / "splits.tsv"
SCALED_TABLE = REPO_ROOT / "training" / "corpus" / "scaled_inputs.tsv"
DEFAULT_PRECISION_WORK = DEFAULT_WORK / "precision"
LOG = "candidates.jsonl"


@dataclass(frozen=True)
class PrecisionSettings:
    data: Path = DEFAULT_DATA
    work: Path = DEFAULT_PRECISION_WORK  # converted programs, regenerated scaled inputs, run cache (git-ignored)
    out: Path = Path("eval") / "precision"
    bundle: Path | None = None  # None: the shipped bundle
    split: str = "by_problem"  # the splits.tsv column
    fold: str = "valid"  # never "test": the threshold chosen from this must be checked on unseen problems
    programs: int | None = None  # at most this many validation programs (stable hash order)
    minutes: float | None = None  # stop starting new programs after this long
    workers: int = 1  # sandbox workers
    threads: int = 1  # onnxruntime threads
    seed: int = 0


# ---- which programs ------------------------------------------------------------------------------------------


def validation_programs(
    table: Path, split: str = "by_problem", fold: str = "valid", seed: int = 0
) -> list[tuple[str, str]]:
    """(problem, solution id) of the slow side of every pair of ``fold`` in ``split``, in a stable hash order
    (spread over problems, so a run cut short by its budget still covers many of them)."""
    if fold == "test":
        raise ValueError("precision is measured on validation problems; the test fold stays unseen")
    return fold_programs(table, split, fold, seed)


def fold_programs(table: Path, split: str, fold: str, seed: int = 0) -> list[tuple[str, str]]:
    """The slow sides of ``fold``'s pairs, any fold (the evaluation reads the test fold with it)."""
    with table.open(encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        if split not in header:
            raise ValueError(f"{table}: no split column {split!r} (have {', '.join(header[3:])})")
        col = header.index(split)
        found = {(row[0], row[1]) for line in fh if (row := line.rstrip("\n").split("\t"))[col:col + 1] == [fold]}
    if not found:
        raise ValueError(f"{table}: no {fold!r} pairs in split {split!r}")
    return sorted(found, key=lambda k: hashlib.sha256(f"{seed}/{k[0]}/{k[1]}".encode()).hexdigest())


# ---- the data the sandbox needs -------------------------------------------------------------------------------


def prepare(settings: PrecisionSettings, problems: set[str], echo: Callable[[str], None] = print) -> None:
    """Convert the problems' solutions to Python 3 and regenerate their scaled inputs under ``settings.work``,
    for the problems not prepared yet (the full corpus pipeline would convert all 43k solutions; this needs a few
    dozen problems' worth)."""
    from speedhints.training.data.convert import _convert_one, load_converted, read_problems
    from speedhints.training.data.scale.pipeline import ScaleConfig, read_table, regenerate, write_table

    work = settings.work
    work.mkdir(parents=True, exist_ok=True)
    converted = work / "converted.jsonl"
    have = {c.problem for c in load_converted(work)} if converted.is_file() else set()
    if problems - have:
        jobs = [(str(p["problem"]), str(s["id"]), str(s["code"]))
                for p in read_problems(settings.data) if p["problem"] in problems - have
                for s in p["solutions"]]  # fmt: skip
        echo(f"precision: converting {len(jobs)} solutions of {len(problems - have)} problems")
        with converted.open("a", encoding="utf-8") as fh:  # whole problems at a time: a kill loses one at most
            fh.write("".join(json.dumps(asdict(_convert_one(job)), ensure_ascii=False) + "\n" for job in jobs))
    table = work / "scaled_inputs.tsv"
    prepared = read_table(table) if table.is_file() else []
    done = {r.problem for r in prepared} | _lines(work / "scaled_none.txt")
    new = [r for r in read_table(SCALED_TABLE) if r.problem in problems - done]
    if new:
        echo(f"precision: regenerating {len(new)} scaled inputs")
        todo = work / "scaled_todo.tsv"
        write_table(todo, new)
        counts = regenerate(ScaleConfig(data=settings.data, work=work, table=todo, workers=settings.workers), echo)
        echo(f"precision: scaled inputs {counts}")
        made = [r for r in new if (work / "scaled" / r.problem / f"{r.name}.in").is_file()]
        write_table(table, prepared + made)
    # A problem without scaled inputs cannot be timed: remember it, so it is not retried on every resume.
    missing = problems - {r.problem for r in read_table(table)} if table.is_file() else problems
    (work / "scaled_none.txt").write_text("".join(f"{p}\n" for p in sorted(missing | _lines(work / "scaled_none.txt"))))


def _lines(path: Path) -> set[str]:
    return set(path.read_text().split()) if path.is_file() else set()


# ---- measuring ------------------------------------------------------------------------------------------------


def splice(source_lines: Sequence[str], start: int, end: int, replacement: str) -> str:
    """The program with lines start..end (1-based, inclusive) replaced: what the user gets by applying a hint."""
    return "".join([*source_lines[: start - 1], replacement, *source_lines[end:]])


def prepared_regions(suggester: Any, source: str) -> list[tuple[Any, Any, Any]]:
    """(region, canonical form, token ids) of every region of ``source`` the model can read: what the runtime
    decodes, before its gate (regions that do not canonicalise are left out, and a function too long as a whole is
    read in parts, as the runtime does: ``OnnxSuggester.readable``)."""
    return list(suggester.readable(source))


def candidates_of(suggester: Any, source: str, with_rank: bool = False) -> list[Any]:
    """Every latent's candidate for every region of ``source``: (candidate, program if shown else None, why not),
    and with ``with_rank`` the latent's place in the prior's order for its region (0 = likeliest).

    The same path as ``OnnxSuggester.suggest`` up to its hints (regions, canonical form, length limit, decoding
    with the runtime's limits, the runtime's checks), with all K latents and no precision gate."""
    import numpy as np

    from speedhints.model_export.regions import source_lines
    from speedhints.model_export.runtime import _checked, _identifiers

    prepared = prepared_regions(suggester, source)
    if not prepared:
        return []
    lines = source_lines(source)
    avoid = _identifiers(source)
    ranks: dict[tuple[int, int], int] = {}  # (region start, latent) -> rank; the prior ranks as in candidates()
    if with_rank:
        for (region, _, _), p in zip(prepared, suggester.rank([ids for _, _, ids in prepared]), strict=True):
            for place, latent in enumerate(np.argsort(-p, kind="stable").tolist()):
                ranks[(region.start, latent)] = place
    out: list[Any] = []
    for c in suggester.candidates(prepared, suggester.spec.codebook_size):
        suggestion, why = _checked(c, avoid, lines)
        program = None if suggestion is None else splice(lines, c.region.start, c.region.end, suggestion)
        out.append((c, program, why, ranks[(c.region.start, c.latent)]) if with_rank else (c, program, why))
    return out


def packed(log: Path) -> Path:
    return log.with_name(log.name + ".gz")


def read_log(path: Path) -> list[Measured]:
    """The packed log (``pack_log``), then what was appended since."""
    rows = []
    texts = []
    if packed(path).is_file():
        texts.append(gzip.decompress(packed(path).read_bytes()).decode("utf-8"))
    if path.is_file():
        texts.append(path.read_text(encoding="utf-8"))
    for text in texts:
        for line in text.splitlines():
            with contextlib.suppress(json.JSONDecodeError, TypeError):  # a line cut by a kill
                rows.append(Measured(**json.loads(line)))
    return rows


def pack_log(path: Path, rows: Sequence[Measured]) -> None:
    """Fold the log into one gzip file (about 1/40 of the text, so it can be committed beside the summary); a
    resumed run appends to a fresh plain file again."""
    text = "".join(json.dumps(asdict(m)) + "\n" for m in rows)
    tmp = packed(path).with_suffix(".tmp")
    tmp.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    tmp.replace(packed(path))
    path.unlink(missing_ok=True)


def reason_kind(why: str) -> str:
    """A drop reason without the user's names, so the summary counts kinds of refusal rather than listing every
    variable: the key of a ``"<key>: <detail>"`` reason (plausibility.REFUSAL_KEYS, "undefined name: i" ->
    "undefined name"), and for the phrases of older logs "reads undefined name i" -> "reads undefined name …"."""
    if not why:
        return "?"
    if ":" in why:
        return why.split(":")[0]
    return re.sub(r"\b(name|number) \S+", r"\1 …", why)


def measure(
    suggester: Any,
    executor: Any,
    programs: Sequence[tuple[str, str]],
    originals: dict[tuple[str, str], str],
    log: Path,
    deadline: float | None = None,
    echo: Callable[[str], None] = print,
    label: str = "precision",
) -> list[Measured]:
    """Measure every program not yet in ``log``; returns the whole log. Stops starting programs at ``deadline``
    (time.monotonic()); a program is logged whole (its rows are written together) so resuming never double-counts."""
    rows = read_log(log)
    done = {(r.problem, r.id) for r in rows}
    todo = [p for p in programs if p not in done and p in originals]
    t0 = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    for i, key in enumerate(todo, 1):
        if deadline is not None and time.monotonic() >= deadline:
            echo(f"{label}: time budget reached after {i - 1} new programs")
            break
        new = judge_program(suggester, executor, key, originals[key])
        if not new:  # no region the model can read: log the program as done with nothing shown
            new.append(Measured(key[0], key[1], "", -1, False, "no region fits the model"))
        with log.open("a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(asdict(m)) + "\n" for m in new))
        rows += new
        shown = sum(m.shown for m in new)
        good = sum(m.correct_and_faster for m in new)
        echo(f"{label}: {i}/{len(todo)} {key[0]}/{key[1]}: {shown} shown, {sum(m.correct for m in new)} correct, "
             f"{good} correct and faster ({time.monotonic() - t0:.0f} s)")  # fmt: skip
    return rows


# ---- summarising ----------------------------------------------------------------------------------------------


def latent_records(rows: Iterable[Measured], codebook_size: int) -> list[LatentPrecision]:
    """One record per latent (index = latent id), from the logged candidates."""
    shown: list[list[Measured]] = [[] for _ in range(codebook_size)]
    for r in rows:
        if r.shown and 0 <= r.latent < codebook_size:
            shown[r.latent].append(r)
    out = []
    for rs in shown:
        correct = [r for r in rs if r.correct]
        good = sum(r.correct_and_faster for r in rs)
        speedups = [r.speedup for r in correct if r.speedup is not None]
        out.append(LatentPrecision(
            shown=len(rs), correct=len(correct), correct_and_faster=good,
            precision_lower_bound=round(wilson_lower_bound(good, len(rs)), 4),
            median_speedup=round(statistics.median(speedups), 3) if speedups else None,
        ))  # fmt: skip
    return out


def coverage(records: Sequence[LatentPrecision], thresholds: Sequence[float]) -> list[dict[str, Any]]:
    """For each min_precision: the latents that clear it, the candidates they showed, and their pooled precision
    (on the validation programs the gate was chosen on: an optimistic figure, to be checked on the test fold)."""
    total = sum(r.shown for r in records)
    out = []
    for t in thresholds:
        kept = [r for r in records if r.shown and r.precision_lower_bound >= t]
        shown = sum(r.shown for r in kept)
        good = sum(r.correct_and_faster for r in kept)
        out.append({"min_precision": t, "latents": len(kept), "shown": shown,
                    "coverage": shown / total if total else 0.0,
                    "precision": good / shown if shown else None})  # fmt: skip
    return out


THRESHOLDS = (0.0, 0.1, 0.3, 0.5)


def summary(rows: Sequence[Measured], records: Sequence[LatentPrecision], settings: PrecisionSettings,
            fingerprint: str) -> dict[str, Any]:  # fmt: skip
    programs = {(r.problem, r.id) for r in rows}
    shown = [r for r in rows if r.shown]
    statuses: dict[str, int] = {}
    for r in shown:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    dropped: dict[str, int] = {}
    for r in rows:
        if not r.shown:
            kind = reason_kind(r.dropped)
            dropped[kind] = dropped.get(kind, 0) + 1
    return {
        "measured": {"split": settings.split, "fold": settings.fold, "programs": len(programs),
                     "problems": len({p for p, _ in programs}), "candidates": len(rows), "shown": len(shown),
                     "correct": sum(r.correct for r in shown),
                     "correct_and_faster": sum(r.correct_and_faster for r in shown),
                     "faster_means": ">= 1.2x CPU time of the unchanged program, min of 3 runs on the scaled inputs",
                     "model_fingerprint": fingerprint},  # fmt: skip
        "shown_statuses": dict(sorted(statuses.items())),
        "not_shown": dict(sorted(dropped.items(), key=lambda kv: -kv[1])),
        "coverage": coverage(records, THRESHOLDS),
        "latent_precision": [asdict(r) for r in records],
    }


def summary_markdown(s: dict[str, Any], labels: dict[int, str]) -> str:
    m = s["measured"]
    out = [f"# Per-latent precision ({m['split']} {m['fold']} problems)", "",
           f"{m['programs']} programs of {m['problems']} problems; {m['candidates']} candidates decoded, {m['shown']} "
           f"shown (passed the runtime's checks), {m['correct']} correct, {m['correct_and_faster']} correct and "
           f"faster ({m['faster_means']}).", "",
           "Verdicts of shown candidates: " + ", ".join(f"{k} {v}" for k, v in s["shown_statuses"].items()), "",
           "Not shown (the runtime's reasons): " + ", ".join(f"{k} {v}" for k, v in s["not_shown"].items()), "",
           "| min_precision | latents | shown | coverage | precision |", "|---|---|---|---|---|"]  # fmt: skip
    for c in s["coverage"]:
        prec = "-" if c["precision"] is None else f"{c['precision']:.3f}"
        out.append(f"| {c['min_precision']} | {c['latents']} | {c['shown']} | {c['coverage']:.3f} | {prec} |")
    out += ["", "| latent | label | shown | correct | correct and faster | lower bound | median speedup |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for k, r in enumerate(s["latent_precision"]):
        med = "-" if r["median_speedup"] is None else f"{r['median_speedup']:.2f}x"
        out.append(f"| {k} | {labels.get(k, '')} | {r['shown']} | {r['correct']} | {r['correct_and_faster']} | "
                   f"{r['precision_lower_bound']:.3f} | {med} |")  # fmt: skip
    return "\n".join(out) + "\n"
