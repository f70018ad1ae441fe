"""One evaluation run: every system on every split, the paper's metrics, execution checks, one table.

A row is (system, split). Systems are the trained checkpoints given for that split (a model is only evaluated on
the split it was trained on: the other split's test inputs may be among its training programs) and the two
baselines, which need no training and so run on every split.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from speedhints.model_export.atlas import DEFAULT_MIN_PRECISION, Atlas
from speedhints.training.dataset import read_pairs
from speedhints.training.evaluation.execution import Verdict, best_of_k
from speedhints.training.evaluation.generate import CandidateCache, Candidates, CopyInput, ModelSampler, Retrieval
from speedhints.training.evaluation.inputs import (
    DEFAULT_MIN_SPEEDUP,
    DEFAULT_THRESHOLD,
    EvalInput,
    read_inputs,
    subsample,
)
from speedhints.training.evaluation.metrics import METRIC_NAMES, Reference, mean_scores, score_input
from speedhints.training.evaluation.shown import THRESHOLDS, Measured, shown_figures

BEST_OF = (1, 4, 8, 64)


class System(Protocol):
    name: str

    def candidates(self, x: EvalInput) -> Candidates: ...


@dataclass
class EvalSettings:
    n_samples: int = 64
    temperature: float = 0.7  # the sequence models' sampling temperature
    threshold: float = DEFAULT_THRESHOLD  # neighbourhood t: least ROUGE-8 between x and a reference
    min_speedup: float = DEFAULT_MIN_SPEEDUP  # a reference is at least this much faster than x
    inputs: int | None = None  # evaluate this many test inputs per split (stable hash order); None = all
    exec_inputs: int = 0  # run the candidates of this many of them (0 = no execution)
    seed: int = 0
    workers: int = 2
    cache_dir: Path | None = None  # candidates of trained models are kept here (resumable generation)
    min_precision: float = DEFAULT_MIN_PRECISION  # the runtime's gate behind `shown` (its default)
    # Run the baselines' candidates too. Retrieval's 64 per input are whole programs that all parse: on 100 inputs
    # they cost about an hour of sandbox time on 2 cores, and they do not change when a new model is evaluated.
    execute_baselines: bool = True


@dataclass
class SplitSpec:
    name: str
    pairs_dir: Path
    models: dict[str, Path] = field(default_factory=dict)  # system name -> checkpoint


def _quantiles(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p10": None, "median": None, "p90": None}
    if len(values) == 1:
        return {"p10": values[0], "median": values[0], "p90": values[0]}
    q = statistics.quantiles(values, n=10, method="inclusive")
    return {"p10": q[0], "median": statistics.median(values), "p90": q[-1]}


def execution_summary(
    xs: Sequence[EvalInput], cands: Sequence[Candidates], verdicts: dict[tuple[str, str], Verdict],
    min_precision: float = DEFAULT_MIN_PRECISION,
) -> dict[str, Any]:
    """Shares over all samples; the speedups of the distinct passing candidates that are not x; best-of-k; what
    the static checks let through (``checked``) and what the runtime would show behind its precision gate
    (``shown``: a checkpoint carries no measured precision, so its latents are unmeasured and only a gate of 0
    shows them, as the runtime would)."""
    samples = [(x, c) for x, cs in zip(xs, cands, strict=True) for c in cs.samples]
    vs = [verdicts[(x.key, c)] for x, c in samples]
    distinct = {(x.key, c): verdicts[(x.key, c)] for x, c in samples if c != x.code}
    speedups = sorted(v.speedup for v in distinct.values() if v.passed and v.speedup is not None)
    orders = [[verdicts[(x.key, c)] for c in cs.samples] for x, cs in zip(xs, cands, strict=True)]
    out: dict[str, Any] = {
        "inputs": len(xs),
        "samples": len(vs),
        "parse": sum(v.status != "syntax" for v in vs) / max(1, len(vs)),
        "pass": sum(v.passed for v in vs) / max(1, len(vs)),
        "same_as_input": sum(c == x.code for x, c in samples) / max(1, len(samples)),
        "distinct_changed_candidates": len(distinct),
        "distinct_changed_passing": len(speedups),
        "speedup": _quantiles(speedups),
        "share_changed_passing_faster": sum(s >= 1.2 for s in speedups) / len(speedups) if speedups else None,
        "statuses": {s: sum(v.status == s for v in vs) for s in sorted({v.status for v in vs})},
    }
    for k in BEST_OF:
        out[f"best_of_{k}_correct_and_faster"] = best_of_k(orders, k)
    # What passes the hook's static checks (Verdict.shown), in the same order.
    checked = [v for v in distinct.values() if v.shown]
    out["checked"] = len(checked)
    out["checked_pass"] = sum(v.passed for v in checked) / len(checked) if checked else None
    out["checked_correct_and_faster"] = sum(v.correct_and_faster for v in checked) / len(checked) if checked else None
    checked_orders = [[v for v in o if v.shown] for o in orders]
    for k in (1, 4):
        out[f"checked_best_of_{k}_correct_and_faster"] = best_of_k(checked_orders, k)
    # ... and behind the runtime's gate: no measured record, so every latent is as the runtime sees it, unmeasured.
    gate = Atlas().shows(0, min_precision)
    shown = checked if gate else []
    good = {x.key for (x, c) in samples if c != x.code and verdicts[(x.key, c)].shown
            and verdicts[(x.key, c)].correct_and_faster} if gate else set()  # fmt: skip
    out["min_precision"] = min_precision
    out["shown"] = len(shown)
    out["shown_precision"] = sum(v.correct_and_faster for v in shown) / len(shown) if shown else None
    out["shown_coverage"] = len(good) / len(xs) if xs else 0.0
    if cands and all(c.prior_order is not None for c in cands):
        ranked = [[o[i] for i in c.prior_order or ()] for o, c in zip(orders, cands, strict=True)]
        for k in BEST_OF:
            out[f"prior_best_of_{k}_correct_and_faster"] = best_of_k(ranked, k)
    return out


def evaluate(
    splits: Sequence[SplitSpec],
    settings: EvalSettings,
    executor_factory: Callable[[list[EvalInput]], Any] | None = None,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run everything; returns the results object (rows, execution, settings) that the report and export read."""
    rows: list[dict[str, Any]] = []
    execution: list[dict[str, Any]] = []
    inputs_info: dict[str, Any] = {}
    for split in splits:
        xs_all, empty = read_inputs(split.pairs_dir / "refs.jsonl", settings.threshold, settings.min_speedup)
        systems: list[System] = [CopyInput(settings.n_samples)]
        train = read_pairs(split.pairs_dir / "train.jsonl")
        systems.append(Retrieval(train, settings.n_samples))
        samplers = [
            ModelSampler(name, ckpt, settings.n_samples, settings.temperature, settings.seed)
            for name, ckpt in split.models.items()
        ]
        # Every system sees the same inputs: those every model can read (shorter than the smallest max_len).
        fitting = [x for x in xs_all if all(s.fits(x) for s in samplers)]
        xs = subsample(fitting, settings.inputs, settings.seed)
        exec_xs = subsample(xs, settings.exec_inputs, settings.seed + 1) if settings.exec_inputs else []
        inputs_info[split.name] = {
            "test_inputs": len(xs_all) + empty, "empty_reference_set": empty,
            "too_long": len(xs_all) - len(fitting), "evaluated": len(xs), "executed": len(exec_xs),
            "mean_refs": statistics.mean(len(x.refs) for x in xs) if xs else 0.0,
        }  # fmt: skip
        echo(f"{split.name}: {len(xs)} inputs ({empty} with an empty R(x), {len(xs_all) - len(fitting)} too long)")
        executor = executor_factory(exec_xs) if exec_xs and executor_factory else None
        for system in [*systems, *samplers]:
            t0 = time.perf_counter()
            cands = _generate(system, xs, split.name, settings, echo)
            gen_s = time.perf_counter() - t0
            scores = [
                score_input(c.samples, [Reference.of(r.code, min(x.refs[0].ms, r.ms) / r.ms) for r in x.refs])
                for x, c in zip(xs, cands, strict=True)
            ]
            row = {"model": system.name, "split": split.name, **mean_scores(scores), "inputs": len(xs),
                   "samples_per_input": len(cands[0].samples) if cands else 0,
                   "distinct_per_input": statistics.mean(len(set(c.samples)) for c in cands) if cands else 0.0,
                   "generate_seconds": round(gen_s, 1)}  # fmt: skip
            if isinstance(system, ModelSampler):
                row["checkpoint_step"] = system.step
            rows.append(row)
            echo(
                f"  {system.name:17s} corr {row['avg_corr']:.3f}/{row['max_corr']:.3f}  "
                f"hard {row['avg_effi_hard']:.3f}/{row['max_effi_hard']:.3f}  "
                f"soft {row['avg_effi_soft']:.3f}/{row['max_effi_soft']:.3f}  div {row['diversity']:.3f}  "
                f"({gen_s:.0f} s to generate)"
            )
            if executor is not None and (settings.execute_baselines or isinstance(system, ModelSampler)):
                keep = {x.key for x in exec_xs}
                pairs = [(x, c) for x, c in zip(xs, cands, strict=True) if x.key in keep]
                jobs = [(x, s) for x, c in pairs for s in c.samples]
                verdicts = executor.judge_all(jobs, settings.workers, echo)
                summary = execution_summary([x for x, _ in pairs], [c for _, c in pairs], verdicts,
                                            settings.min_precision)
                execution.append({"model": system.name, "split": split.name, **summary})
                echo(
                    f"  {system.name:17s} parse {summary['parse']:.2f} pass {summary['pass']:.2f} "
                    f"best-of-8 correct&faster {summary['best_of_8_correct_and_faster']:.3f}"
                )
    return {
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()},
        "inputs": inputs_info,
        "table1": rows,
        "execution": execution,
        "bleu": "sacrebleu sentence BLEU (4-gram, exp smoothing) over Python tokenize tokens; NEWLINE/INDENT/DEDENT "
        "as words; 0-1 scale",
    }


def _generate(
    system: System, xs: Sequence[EvalInput], split: str, settings: EvalSettings, echo: Callable[[str], None]
) -> list[Candidates]:
    if not isinstance(system, ModelSampler) or settings.cache_dir is None:
        return [system.candidates(x) for x in xs]
    cache = CandidateCache(settings.cache_dir / f"{system.name}-{split}.jsonl", system.fingerprint)
    out = []
    t0 = time.perf_counter()
    for i, x in enumerate(xs, 1):
        got = cache.get(x.key)
        if got is None:
            got = system.candidates(x)
            cache.put(x.key, got)
        out.append(got)
        if i % 20 == 0:
            echo(f"  {system.name}: {i}/{len(xs)} inputs decoded ({time.perf_counter() - t0:.0f} s)")
    return out


TABLE_COLUMNS = ("model", "split", *METRIC_NAMES)


def table_markdown(results: dict[str, Any]) -> str:
    """Table 1 (and the execution table when there is one) as markdown; rows that beat copy-input are marked."""
    copy = {r["split"]: r for r in results["table1"] if r["model"] == "copy-input"}
    lines = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    for r in results["table1"]:
        base = copy.get(r["split"])
        cells = [r["model"], r["split"]]
        for m in METRIC_NAMES:
            mark = "*" if base is not None and r["model"] != "copy-input" and r[m] > base[m] else ""
            cells.append(f"{r[m]:.3f}{mark}")
        lines.append("| " + " | ".join(cells) + " |")
    out = "\n".join(lines) + "\n\n\\* beats copy-input on that split.\n" if results["table1"] else ""
    if results["execution"]:
        cols = ["model", "split", "inputs", "parse", "pass", "changed passing", "median speedup",
                *(f"best-of-{k}" for k in BEST_OF), "prior best-of-1/4/8", "checked (pass)"]  # fmt: skip
        out += "\n| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
        for e in results["execution"]:
            med = e["speedup"]["median"]
            prior = "/".join(f"{e[f'prior_best_of_{k}_correct_and_faster']:.3f}" for k in (1, 4, 8)) if (
                "prior_best_of_1_correct_and_faster" in e) else "-"
            cells = [e["model"], e["split"], str(e["inputs"]), f"{e['parse']:.3f}", f"{e['pass']:.3f}",
                     str(e["distinct_changed_passing"]), "-" if med is None else f"{med:.2f}x",
                     *(f"{e[f'best_of_{k}_correct_and_faster']:.3f}" for k in BEST_OF), prior, _shown(e)]  # fmt: skip
            out += "| " + " | ".join(cells) + " |\n"
    if results.get("shown"):
        out += ("\n" if out else "") + shown_markdown(results["shown"])
    return out


def _shown(e: dict[str, Any]) -> str:
    return f"{e['checked']} ({'-' if e['checked_pass'] is None else format(e['checked_pass'], '.3f')} pass)"


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def shown_row(rows: Sequence[Measured], programs: Sequence[tuple[str, str]], atlas: Atlas, min_precision: float,
              top_k: int) -> dict[str, Any]:  # fmt: skip
    """A bundle's row of the shown table: the figures at the gate, the same at each of THRESHOLDS, and what its
    candidates did before any gate (``checked`` = passed the runtime's checks, with their verdicts)."""
    import statistics as st

    head = shown_figures(rows, programs, atlas, min_precision, top_k)
    checked = [r for r in rows if r.shown]
    speedups = sorted(r.speedup for r in checked if r.correct and r.speedup is not None)
    statuses: dict[str, int] = {}
    for r in checked:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return {
        **head,
        "candidates": sum(r.latent >= 0 for r in rows),
        "checked": len(checked),
        "checked_correct": sum(r.correct for r in checked),
        "checked_correct_and_faster": sum(r.correct_and_faster for r in checked),
        "checked_statuses": dict(sorted(statuses.items())),
        "median_speedup": st.median(speedups) if speedups else None,
        "by_min_precision": [shown_figures(rows, programs, atlas, t, top_k) for t in THRESHOLDS],
        "all_latents_min_precision_0": shown_figures(rows, programs, atlas, 0.0, None),
    }


def shown_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The bundles' shown table: at the gate, then at each threshold (shown / precision / coverage)."""
    cols = ["model", "split", "inputs", "candidates", "checked (correct)", "min_precision", "top_k", "shown",
            "shown_precision", "shown_coverage", *(f"at {t}: shown / precision / coverage" for t in THRESHOLDS)]
    out = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    for r in rows:
        if not r.get("inputs"):
            out += f"| {r['model']} | {r['split']} | 0 | {r.get('note', '')} |" + " |" * (len(cols) - 4) + "\n"
            continue
        at = [f"{b['shown']} / {_fmt(b['shown_precision'])} / {b['shown_coverage']:.3f}" for b in r["by_min_precision"]]
        cells = [r["model"], r["split"], str(r["inputs"]), str(r["candidates"]),
                 f"{r['checked']} ({r['checked_correct']})", str(r["min_precision"]), str(r["top_k"]), str(r["shown"]),
                 _fmt(r["shown_precision"]), f"{r['shown_coverage']:.3f}", *at]  # fmt: skip
        out += "| " + " | ".join(cells) + " |\n"
    return out


def table_csv(results: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TABLE_COLUMNS)
    for r in results["table1"]:
        w.writerow([r["model"], r["split"], *(f"{r[m]:.4f}" for m in METRIC_NAMES)])
    return buf.getvalue()


def write_results(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "table.md").write_text(table_markdown(results))
    if results["table1"]:
        (out / "table.csv").write_text(table_csv(results))


# What each test set's object in a manifest's ``evaluation.execution`` holds (issue 14's "done when").
SET_KEYS = ("inputs", "best_of_1_correct_and_faster", "best_of_8_correct_and_faster",
            "prior_best_of_1_correct_and_faster")  # fmt: skip
SHOWN_KEYS = ("shown", "shown_precision", "shown_coverage", "min_precision", "top_k")
# Before the gate existed, "shown" meant "passes the static checks"; such figures are renamed when a manifest is
# updated, so a key means one thing.
LEGACY_SHOWN = {"shown": "checked", "shown_pass": "checked_pass", "shown_correct_and_faster":
                "checked_correct_and_faster", "shown_best_of_1_correct_and_faster":
                "checked_best_of_1_correct_and_faster", "shown_best_of_4_correct_and_faster":
                "checked_best_of_4_correct_and_faster"}  # fmt: skip


def _set_object(e: dict[str, Any]) -> dict[str, Any]:
    out = {k: e[k] for k in SET_KEYS if k in e}
    out["median_speedup"] = (e.get("speedup") or {}).get("median")
    return out


def with_shown(evaluation: dict[str, Any], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A manifest's ``evaluation`` with a bundle's shown figures: ``execution.<test set>`` gets ``shown``,
    ``shown_precision``, ``shown_coverage`` (and the inputs they were measured on as ``shown_inputs``), seeded
    from the flat execution object when the set is the bundled model's split; ``shown`` keeps the whole rows."""
    ev = dict(evaluation)
    flat = dict(ev.get("execution") or {})
    if flat and "min_precision" not in flat:
        flat = {LEGACY_SHOWN.get(k, k): v for k, v in flat.items()}
    split = (ev.get("bundled_model") or {}).get("split")
    for r in rows:
        if not r.get("inputs"):
            continue
        current = flat.get(r["split"])
        obj = dict(current) if isinstance(current, dict) else (_set_object(flat) if r["split"] == split else {})
        obj.update({k: r[k] for k in SHOWN_KEYS}, shown_inputs=r["inputs"],
                   checked_median_speedup=r["median_speedup"])
        flat[r["split"]] = obj
    ev["execution"] = flat
    merged = {(r["model"], r["split"]): r for r in ev.get("shown") or []}  # a later run replaces only its own sets
    merged.update({(r["model"], r["split"]): dict(r) for r in rows})
    ev["shown"] = list(merged.values())
    return ev


def bundle_evaluation(results: dict[str, Any], model: str, split: str) -> dict[str, Any]:
    """The ``evaluation`` object a bundle's manifest carries (``speedhints export --eval``): the whole Table 1,
    the execution figures of the bundled model on its split as one object (with best_of_8_correct_and_faster),
    one object per test set inside it (``execution.by_problem``, ...), and the bundles' shown figures."""
    keys = ("model", "split", *METRIC_NAMES, "inputs")
    mine = [e for e in results["execution"] if e["model"] == model and e["split"] == split]
    execution = dict(mine[0]) if mine else {}
    for e in results["execution"]:
        if e["model"] == model:
            execution[e["split"]] = _set_object(e)
    ev = {
        "bundled_model": {"model": model, "split": split},
        "table1": [{k: r[k] for k in keys} for r in results["table1"]],
        "execution": execution,
        "execution_baselines": [e for e in results["execution"] if e["model"] in ("copy-input", "retrieval")],
        "settings": results["settings"],
        "inputs": results["inputs"],
        "bleu": results["bleu"],
    }
    return with_shown(ev, results.get("shown", [])) if results.get("shown") else ev
