"""The synthetic pairs and the edit size of the real pairs, for ``speedhints data stats``.

From committed tables only: ``synth_pairs.tsv`` and ``synth_attempts.tsv`` (``data synth``) and
``real_pair_edits.tsv`` (one row per real pair: changed lines and difflib similarity of the canonical forms). That
last table needs the pairs' code, so it is (re)written by ``data stats`` (the report) when WORK/converted.jsonl is
there, and read as committed otherwise.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from speedhints.training.data.synth_table import read_pairs, read_summary
from speedhints.training.data.synth_variants import PAIR_SEP, canonical_code, changed_lines, similarity

REAL_EDITS = "real_pair_edits.tsv"
CHANGED_BUCKETS = ((1, "1"), (2, "2"), (3, "3-5"), (6, "6-10"), (11, "11-20"), (21, "21-50"), (51, ">50"))
PAIRS_OF_FAMILIES = "(two families)"


def bucket(n: int) -> str:
    return "0" if n < 1 else [label for low, label in CHANGED_BUCKETS if n >= low][-1]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def synth_json(corpus: Path) -> dict[str, object]:
    """The ``data stats --json`` keys of the synthetic pairs and of the real pairs' edit size."""
    table = corpus / "synth_pairs.tsv"
    pairs = read_pairs(table) if table.is_file() else []
    real = _rows(corpus / REAL_EDITS)
    by_changed = Counter(bucket(int(r["changed_lines"])) for r in real)
    order = ["0", *(label for _, label in CHANGED_BUCKETS)]
    return {
        "synth_pairs_total": len(pairs),
        "synth_pairs_by_family": dict(sorted(Counter(p.families for p in pairs).items())),
        "synth_pairs_by_split": dict(sorted(Counter(p.split for p in pairs).items())),
        "synth_problems": len({p.problem for p in pairs}),
        "synth_median_changed_lines": statistics.median(p.changed_lines for p in pairs) if pairs else None,
        "real_pairs_by_changed_lines": {k: by_changed[k] for k in order if by_changed[k]},
        "real_pairs_median_similarity": round(statistics.median(float(r["similarity"]) for r in real), 4)
        if real
        else None,
    }


def family_table(corpus: Path) -> list[dict[str, Any]]:
    """Per family (pairs of families as one row): applied, still passing, >= 1.2x, median speedup and changed
    lines of the kept pairs."""
    summary = read_summary(corpus / "synth_attempts.tsv")
    table = corpus / "synth_pairs.tsv"
    pairs = read_pairs(table) if table.is_file() else []
    rows: dict[str, dict[str, Any]] = {}
    for r in summary:
        name = PAIRS_OF_FAMILIES if PAIR_SEP in r["families"] else r["families"]
        row = rows.setdefault(name, {"family": name, "applied": 0, "new": 0, "passing": 0, "kept": 0, "censored": 0})
        for k in ("applied", "new", "passing", "kept", "censored"):
            row[k] += int(r.get(k) or 0)
    for name, row in rows.items():
        kept = [p for p in pairs if (PAIR_SEP in p.families) == (name == PAIRS_OF_FAMILIES)
                and (name == PAIRS_OF_FAMILIES or p.families == name)]  # fmt: skip
        row["median_speedup"] = round(statistics.median(p.speedup for p in kept), 3) if kept else None
        row["median_changed_lines"] = statistics.median(p.changed_lines for p in kept) if kept else None
    return sorted(rows.values(), key=lambda r: (r["family"] == PAIRS_OF_FAMILIES, r["family"]))


def write_real_edits(corpus: Path, code_of: Callable[[str, str], str | None]) -> int:
    """(Re)write ``real_pair_edits.tsv`` from pairs.tsv and the solutions' code; returns the rows written."""
    pairs = _rows(corpus / "pairs.tsv")
    canon: dict[tuple[str, str], str | None] = {}

    def canonical(problem: str, sid: str) -> str | None:
        if (problem, sid) not in canon:
            code = code_of(problem, sid)
            canon[(problem, sid)] = canonical_code(code) if code is not None else None
        return canon[(problem, sid)]

    out = []
    for r in pairs:
        slow, fast = canonical(r["problem"], r["slow"]), canonical(r["problem"], r["fast"])
        if slow is None or fast is None:
            continue
        out.append(
            [r["problem"], r["slow"], r["fast"], str(changed_lines(slow, fast)), f"{similarity(slow, fast):.4f}"]
        )
    path = corpus / REAL_EDITS
    tmp = path.with_suffix(".tsv.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["problem", "slow", "fast", "changed_lines", "similarity"])
        w.writerows(out)
    tmp.replace(path)
    return len(out)


def report_lines(corpus: Path) -> list[str]:
    """The markdown of the synthetic section of the stats report."""
    fams = family_table(corpus)
    js = synth_json(corpus)
    lines = ["", "## Synthetic pairs (`speedhints data synth`)", ""]
    if not fams:
        return [*lines, "No synthetic pairs yet.", ""]
    lines += [
        f"{js['synth_pairs_total']} pairs from {js['synth_problems']} problems, median "
        f"{js['synth_median_changed_lines']} changed lines (canonical form); by split "
        f"`{js['synth_pairs_by_split']}`.",
        "",
        "| family | applied | new program | still passing | >= 1.2x | censored | median speedup "
        "| median changed lines |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in fams:
        lines.append(f"| {r['family']} | {r['applied']} | {r['new']} | {r['passing']} | {r['kept']} | "
                     f"{r['censored']} | "
                     f"{r['median_speedup'] if r['median_speedup'] is not None else '-'} | "
                     f"{r['median_changed_lines'] if r['median_changed_lines'] is not None else '-'} |")  # fmt: skip
    lines += ["", "*applied*: variants made; *new program*: not an existing solution's canonical form;",
              "*still passing*: passed the problem's tests; *>= 1.2x*: kept (same output on the scaled inputs,",
              "original >= 1.2x faster and >= 5 ms, confirmed side by side); *censored*: passed the tests, then hit",
              "the CPU limit (20x the original) on a scaled input, so never compared there (synth_censored.tsv).",
              ""]  # fmt: skip
    real = js["real_pairs_by_changed_lines"]
    if real:
        lines += ["## Edit size of the real pairs", "",
                  "| changed lines | real pairs |", "| --- | --- |"]  # fmt: skip
        lines += [f"| {k} | {v} |" for k, v in real.items()]  # type: ignore[union-attr]
        median = js["real_pairs_median_similarity"]
        lines += ["", f"Median difflib similarity of a real pair (canonical lines): {median}.", ""]
    return lines


def plot(corpus: Path, out: Path) -> list[str]:
    """synth_families.png (kept pairs per family) and edit_size.png (changed lines, synthetic vs real)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    fams = family_table(corpus)
    if fams:
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(fams) + 1.2))
        names = [r["family"] for r in fams]
        ax.barh(names, [r["passing"] for r in fams], color="tab:gray", label="still passing")
        ax.barh(names, [r["kept"] for r in fams], color="tab:green", label=">= 1.2x (kept)")
        ax.set_xlabel("variants")
        ax.invert_yaxis()
        ax.legend(loc="lower right")
        fig.tight_layout()
        fig.savefig(out / "synth_families.png", dpi=110)
        plt.close(fig)
        made.append("synth_families.png")
    table = corpus / "synth_pairs.tsv"
    synth_changed = [p.changed_lines for p in read_pairs(table)] if table.is_file() else []
    real = _rows(corpus / REAL_EDITS)
    if synth_changed or real:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
        bins = list(range(0, 52, 2))
        if real:
            axes[0].hist([min(int(r["changed_lines"]), 50) for r in real], bins=bins, alpha=0.6, density=True,
                         color="tab:red", label="real pairs")  # fmt: skip
            axes[1].hist([float(r["similarity"]) for r in real], bins=[i / 40 for i in range(41)], color="tab:red")
        if synth_changed:
            axes[0].hist([min(c, 50) for c in synth_changed], bins=bins, alpha=0.6, density=True,
                         color="tab:green", label="synthetic pairs")  # fmt: skip
        axes[0].set_xlabel("changed lines, canonical form (50 = 50 or more)")
        axes[0].set_ylabel("share of pairs")
        axes[0].legend()
        axes[1].set_xlabel("difflib similarity of a real pair (canonical lines)")
        axes[1].set_ylabel("real pairs")
        fig.tight_layout()
        fig.savefig(out / "edit_size.png", dpi=110)
        plt.close(fig)
        made.append("edit_size.png")
    return made
