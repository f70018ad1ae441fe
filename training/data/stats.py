"""``speedhints data stats``: the corpus in numbers and plots (like the paper's Figure 2), from committed artefacts.

``--json`` reads only what is committed under training/corpus/ (verified.tsv, scaled_inputs.tsv, runtimes.tsv,
splits.tsv) and prints the counts at each stage. Without it, a markdown report with PNG plots is written to
``--out`` (default training/corpus/stats/): runtime spread per problem (median / 90th-percentile runtime) and
overall, program length (needs WORK/canonical.jsonl, the only input not committed), and pair speedups.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path

import click

from speedhints.extras import needs
from speedhints.training.data.convert import DEFAULT_WORK, REPO_ROOT
from speedhints.training.data.pairs import read_runtimes

CORPUS_DIR = REPO_ROOT / "training" / "corpus"

MIN_SOLUTIONS_FOR_SPREAD = 5  # a per-problem percentile over fewer timed solutions says little


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def fastest_on_valid_inputs(runtimes_rows: list[dict[str, str]], stress: set[tuple[str, str]]) -> dict[str, float]:
    """problem -> least CPU ms of a solution summed over its statement-valid inputs alone (stress inputs, which go
    past the statement, left out), over the solutions timed uncensored on every valid input."""
    per: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    inputs: dict[str, set[str]] = defaultdict(set)
    for r in runtimes_rows:
        if (r["problem"], r["input"]) not in stress:
            per[(r["problem"], r["solution"])].append(r)
            inputs[r["problem"]].add(r["input"])
    best: dict[str, float] = {}
    for (problem, _), rows in per.items():
        if {r["input"] for r in rows} == inputs[problem] and not any(r["censored"] == "1" for r in rows):
            ms = sum(float(r["cpu_ms"]) for r in rows)
            best[problem] = min(ms, best.get(problem, ms))
    return best


def corpus_stats(corpus: Path = CORPUS_DIR) -> dict[str, object]:
    verified = _rows(corpus / "verified.tsv")
    status = Counter(r["status"] for r in verified)
    scaled = _rows(corpus / "scaled_inputs.tsv")
    runtimes = read_runtimes(corpus / "runtimes.tsv") if (corpus / "runtimes.tsv").is_file() else {}
    per_problem: dict[str, list[float]] = defaultdict(list)
    for rt in runtimes.values():
        if not rt.censored:
            per_problem[rt.problem].append(rt.ms)
    ratios = {
        p: statistics.median(v) / percentile(v, 0.9)
        for p, v in per_problem.items()
        if len(v) >= MIN_SOLUTIONS_FOR_SPREAD and percentile(v, 0.9) > 0
    }
    stress = {(r["problem"], r["name"]) for r in scaled if r.get("generator", "").startswith("stress")}
    valid_fastest = fastest_on_valid_inputs(_rows(corpus / "runtimes.tsv"), stress)
    splits = _rows(corpus / "splits.tsv")
    pairs: dict[str, dict[str, int]] = {}
    for scheme in ("by_problem", "paper"):
        c = Counter(r[scheme] for r in splits if scheme in r)
        pairs[scheme] = c.get("train", 0)
    return {
        "solutions_verified": len(verified),
        "solutions_converted": sum(n for s, n in status.items() if s != "convert_failed"),
        "solutions_passing": status.get("pass", 0),
        "verify_status": dict(sorted(status.items())),
        "problems_scaled": len({r["problem"] for r in scaled}),
        "scaled_inputs": len(scaled),
        "solutions_timed": len(runtimes),
        "problems_timed": len(per_problem),
        "problems_fastest_ge_30ms": sum(1 for v in per_problem.values() if v and min(v) >= 30.0),
        "problems_stress": len({p for p, _ in stress}),
        # the same count without the inputs that go past the statement (training/data/scale/README.md, stress)
        "problems_fastest_ge_30ms_valid_inputs": sum(1 for ms in valid_fastest.values() if ms >= 30.0),
        "pairs": pairs,
        "pairs_total": len(splits),
        "pairs_by_split": {s: dict(Counter(r[s] for r in splits)) for s in ("by_problem", "paper")} if splits else {},
        "median_p90_ratio": round(statistics.median(ratios.values()), 4) if ratios else None,
        "problems_in_ratio": len(ratios),
    }


def write_report(out: Path, corpus: Path, work: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    stats = corpus_stats(corpus)
    runtimes = read_runtimes(corpus / "runtimes.tsv") if (corpus / "runtimes.tsv").is_file() else {}
    per_problem: dict[str, list[float]] = defaultdict(list)
    for rt in runtimes.values():
        if not rt.censored:
            per_problem[rt.problem].append(rt.ms)
    ratios = [
        statistics.median(v) / percentile(v, 0.9)
        for v in per_problem.values()
        if len(v) >= MIN_SOLUTIONS_FOR_SPREAD and percentile(v, 0.9) > 0
    ]
    plots = []
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    axes[0].hist(ratios, bins=30, color="tab:blue")
    axes[0].set_xlabel("median / 90th-percentile runtime, per problem")
    axes[0].set_ylabel("problems")
    all_ms = [ms for v in per_problem.values() for ms in v]
    if all_ms:
        axes[1].hist(all_ms, bins=[10 ** (i / 10) for i in range(0, 50)], color="tab:orange")
        axes[1].set_xscale("log")
    axes[1].set_xlabel("CPU ms on the scaled inputs (all timed solutions)")
    fig.tight_layout()
    fig.savefig(out / "runtime.png", dpi=110)
    plt.close(fig)
    plots.append("runtime.png")

    canonical = work / "canonical.jsonl"
    if canonical.is_file():
        with open(canonical, encoding="utf-8") as f:
            lengths = [len(json.loads(line)["code"].splitlines()) for line in f]
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.hist(lengths, bins=range(0, 120, 3), color="tab:green")
        ax.set_xlabel("lines of canonical code")
        ax.set_ylabel("solutions")
        fig.tight_layout()
        fig.savefig(out / "length.png", dpi=110)
        plt.close(fig)
        plots.append("length.png")

    pair_rows = _rows(corpus / "pairs.tsv")
    if pair_rows:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.hist([float(r["speedup"]) for r in pair_rows], bins=[1.2 * 1.1**i for i in range(50)], color="tab:red")
        ax.set_xscale("log")
        ax.set_xlabel("pair speedup (slow / fast CPU time)")
        ax.set_ylabel("pairs")
        fig.tight_layout()
        fig.savefig(out / "speedup.png", dpi=110)
        plt.close(fig)
        plots.append("speedup.png")

    lines = [
        "# Corpus statistics",
        "",
        "Generated by `speedhints data stats` from training/corpus/.",
        "",
        "| stage | count |",
        "| --- | --- |",
    ]
    for key in (
        "solutions_verified",
        "solutions_converted",
        "solutions_passing",
        "problems_scaled",
        "scaled_inputs",
        "solutions_timed",
        "problems_timed",
        "problems_stress",
        "problems_fastest_ge_30ms",
        "problems_fastest_ge_30ms_valid_inputs",
        "pairs_total",
        "median_p90_ratio",
    ):
        lines.append(f"| {key} | {stats[key]} |")
    lines += [
        "",
        f"Training pairs per split scheme: `{json.dumps(stats['pairs'])}`",
        f"Pairs by split: `{json.dumps(stats['pairs_by_split'])}`",
        "",
    ]
    lines += [f"![{p}]({p})" for p in plots]
    report = out / "README.md"
    report.write_text("\n".join(lines) + "\n")
    return report


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the counts from the committed artefacts as JSON.")
@click.option("--corpus", type=click.Path(path_type=Path), default=CORPUS_DIR, show_default=True)
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=CORPUS_DIR / "stats", show_default=True)
def stats_command(as_json: bool, corpus: Path, work: Path, out: Path) -> int:
    """Counts at each stage, and a markdown report with plots."""
    if not as_json:
        needs("matplotlib")
    if as_json:
        click.echo(json.dumps(corpus_stats(corpus), indent=2, sort_keys=True))
        return 0
    click.echo(f"wrote {write_report(out, corpus, work)}")
    return 0
