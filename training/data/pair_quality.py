"""``speedhints data quality``: how much of a pair's "speedup" is measurement noise, and what the pair rules cost.

Why: most timed solutions sit at the ~4 ms floor of a CPU measurement, where a 1.2x gap between two runs can be
noise, so a pair (slow, fast) with a tiny fast side may teach an "edit" that changes nothing (issue #3). This
measures the noise directly instead of guessing a cut-off:

- **Noise floor**: two solutions of a problem with the *identical* canonical program (verbatim or renamed copies)
  are the same program measured twice, so their runtime ratio (slower / faster) is pure noise. Its distribution per
  bucket of the faster one's total ms, and the share at >= ``min_speedup`` (the false-"speedup" rate there), say
  from which runtime on a measured speedup can be believed. Copies with the same converted code (same code sha) are
  left out: the run cache gave both the very same measurement, ratio exactly 1.
- **Repetitions**: when WORK/runs.sqlite is there, the spread (max / min) between the repeated runs of one program
  on one input, per bucket of its fastest run.
- **Sweep**: pairs, distinct slow programs and problems left at each ROUGE-8 threshold x minimum fast-side ms
  (``build_pairs`` once at the lowest threshold and no speedup bar, then filtered: the ROUGE scores are exact, so
  this is the same as rebuilding at each setting). A false rate alone misleads: near the floor most similar pairs
  run equally fast, so even a small false rate can make up most of the pairs that pass. So each cell also estimates
  how many of its pairs noise alone explains: every similar pair (at any ratio) in a runtime bucket counts that
  bucket's identical-program false rate, and the sum is set against the pairs kept (a false-discovery share).
- **Edit bands**: a low ROUGE-8 threshold buys pairs, but are they still edits? Per ROUGE-8 band of the pairs the
  recommended runtime cut-off keeps, the share of the slow program's lines the fast one keeps verbatim and in order
  (``lines_kept``): near 1 an edit, near 0 a rewrite.
- **Recommendation**: the least swept minimum fast-side ms whose noise share is under ``MAX_NOISE_SHARE`` at every
  swept threshold, then the strictest ROUGE-8 threshold that still reaches ``TARGET_PAIRS`` there (else the current
  one), with the reasons as text. The plain rule "identical programs' false rate under 5%" is reported beside it.

Written to ``training/corpus/pair_quality.json`` (small; it explains the pair rules).
"""

from __future__ import annotations

import bisect
import difflib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from speedhints.training.data.convert import DEFAULT_WORK
from speedhints.training.data.pairs import CORPUS_DIR, DEFAULT_RUNTIMES, Pair, Runtime, build_pairs, read_runtimes
from speedhints.training.data.stats import percentile

DEFAULT_OUT = CORPUS_DIR / "pair_quality.json"

BUCKET_EDGES: tuple[float, ...] = (0.0, 5.0, 10.0, 20.0, 50.0, 100.0)  # lower edges, ms; the last is open-ended
SWEEP_THRESHOLDS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5)
SWEEP_MIN_FAST_MS: tuple[float, ...] = (0.0, 5.0, 10.0, 20.0)
MIN_SPEEDUP = 1.2
MAX_FALSE_RATE = 0.05  # identical programs may look >= MIN_SPEEDUP apart at most this often above the cut-off
MAX_NOISE_SHARE = 0.05  # at most this share of the kept pairs may be explained by noise alone
MIN_EVIDENCE = 30  # identical-program pairs needed before a bucket's rate is trusted
TARGET_PAIRS = 20_000  # issue #3
CURRENT_THRESHOLD = 0.3
EDIT_BANDS: tuple[float, ...] = (0.1, 0.15, 0.2, 0.3, 0.5)  # lower edges of ROUGE-8 bands; the last is open-ended


@dataclass(frozen=True)
class RatioBucket:
    """Ratios (>= 1) of the measurements whose reference ms falls in [lo, hi)."""

    bucket: str
    lo: float
    hi: float | None
    count: int
    median: float | None
    p95: float | None
    share_ge: float | None  # share with ratio >= min_speedup: identical programs "sped up" by noise alone


@dataclass(frozen=True)
class AtLeast:
    """Identical-program pairs whose faster side takes >= min_fast_ms: what a cut-off there would let through."""

    min_fast_ms: float
    count: int
    share_ge: float | None


@dataclass(frozen=True)
class SweepRow:
    threshold: float
    min_fast_ms: float
    pairs: int  # speedup >= min_speedup
    slow_programs: int  # distinct (problem, slow solution): the model's distinct inputs
    problems: int
    similar: int  # similar, not identical pairs at any ratio: the ones noise could push over min_speedup
    expected_noise: float | None  # pairs noise alone would put over min_speedup (None: no evidence for a bucket)
    noise_share: float | None  # expected_noise / pairs


@dataclass(frozen=True)
class Recommendation:
    min_fast_ms: float | None  # None: no swept cut-off gets the noise share low enough
    false_rate_min_fast_ms: float | None  # the plain rule: least cut-off with identical false rate < MAX_FALSE_RATE
    lowest_clean_bucket: str | None  # the lowest bucket whose own identical false rate is < MAX_FALSE_RATE
    rouge_threshold: float
    pairs: int  # at both
    reasoning: str


def bucket_label(lo: float, hi: float | None) -> str:
    return f">={lo:g}ms" if hi is None else f"{lo:g}-{hi:g}ms"


def bucket_index(ms: float, edges: Sequence[float] = BUCKET_EDGES) -> int:
    return max(bisect.bisect_right(edges, ms) - 1, 0)


def ratio_buckets(
    measurements: Iterable[tuple[float, float]],  # (reference ms, ratio >= 1)
    edges: Sequence[float] = BUCKET_EDGES,
    min_speedup: float = MIN_SPEEDUP,
) -> list[RatioBucket]:
    grouped: dict[int, list[float]] = defaultdict(list)
    for ms, ratio in measurements:
        grouped[bucket_index(ms, edges)].append(ratio)
    out = []
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        ratios = grouped.get(i, [])
        out.append(
            RatioBucket(
                bucket=bucket_label(lo, hi),
                lo=lo,
                hi=hi,
                count=len(ratios),
                median=round(percentile(ratios, 0.5), 3) if ratios else None,
                p95=round(percentile(ratios, 0.95), 3) if ratios else None,
                share_ge=round(sum(r >= min_speedup for r in ratios) / len(ratios), 4) if ratios else None,
            )
        )
    return out


def at_least(
    measurements: Sequence[tuple[float, float]],
    cutoffs: Sequence[float] = BUCKET_EDGES,
    min_speedup: float = MIN_SPEEDUP,
) -> list[AtLeast]:
    out = []
    for cut in cutoffs:
        ratios = [r for ms, r in measurements if ms >= cut]
        share = round(sum(r >= min_speedup for r in ratios) / len(ratios), 4) if ratios else None
        out.append(AtLeast(cut, len(ratios), share))
    return out


def noise_rates(buckets: Sequence[RatioBucket], min_evidence: int = MIN_EVIDENCE) -> list[float | None]:
    """Each bucket's false rate; a bucket with too few identical pairs borrows the nearest lower bucket's (lower
    runtimes are noisier, so this errs towards more noise), None when there is none."""
    out: list[float | None] = []
    for b in buckets:
        own = b.share_ge if b.count >= min_evidence else None
        out.append(own if own is not None else (out[-1] if out else None))
    return out


def identical_program_ratios(
    runtimes: dict[tuple[str, str], Runtime],
    canonical: Iterable[tuple[str, str, str, str]],  # (problem, id, converted sha256, canonical code)
) -> tuple[list[tuple[float, float]], int]:
    """(faster ms, slower / faster) for every two timed solutions of a problem with the same canonical code, and how
    many such pairs were skipped for sharing one measurement (same code sha). Censored runtimes are left out: they
    are the CPU limit, not a measurement."""
    groups: dict[tuple[str, str], list[Runtime]] = defaultdict(list)
    for problem, sid, sha, code in canonical:
        runtime = runtimes.get((problem, sid))
        if runtime is None or runtime.censored or not sha.startswith(runtime.code_sha):
            continue
        groups[(problem, code)].append(runtime)
    out: list[tuple[float, float]] = []
    same_measurement = 0
    for members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a.code_sha == b.code_sha:
                    same_measurement += 1
                    continue
                fast, slow = sorted((a.ms, b.ms))
                if fast > 0:
                    out.append((fast, slow / fast))
    return out, same_measurement


def repetition_spreads(cache: Path, min_reps: int = 3) -> list[tuple[float, float]]:
    """(fastest run ms, max / min cpu) for each (program, input, limits) run >= min_reps times, all ok."""
    with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT min(cpu), max(cpu) FROM runs GROUP BY code_sha, input_sha, limits "
            "HAVING count(*) >= ? AND sum(status != 'ok') = 0 AND min(cpu) > 0",
            (min_reps,),
        ).fetchall()
    return [(lo * 1e3, hi / lo) for lo, hi in rows]


def sweep(
    similar: Sequence[Pair],  # similar, not identical pairs at any speedup (build_pairs with min_speedup 1)
    rates: Sequence[float | None],  # per bucket of BUCKET_EDGES: identical programs' false rate (noise_rates)
    thresholds: Sequence[float] = SWEEP_THRESHOLDS,
    min_fast: Sequence[float] = SWEEP_MIN_FAST_MS,
    min_speedup: float = MIN_SPEEDUP,
    edges: Sequence[float] = BUCKET_EDGES,
) -> list[SweepRow]:
    pair_rates = [rates[bucket_index(p.fast_ms, edges)] for p in similar]
    rows = []
    for threshold in thresholds:
        for cut in min_fast:
            chosen = [i for i, p in enumerate(similar) if p.rouge8 >= threshold and p.fast_ms >= cut]
            kept = [similar[i] for i in chosen if similar[i].speedup >= min_speedup]
            known = [pair_rates[i] for i in chosen]
            noise = None if any(r is None for r in known) else sum(r or 0.0 for r in known)
            share = None if noise is None or not kept else round(noise / len(kept), 4)
            rows.append(
                SweepRow(
                    threshold=threshold,
                    min_fast_ms=cut,
                    pairs=len(kept),
                    slow_programs=len({(p.problem, p.slow) for p in kept}),
                    problems=len({p.problem for p in kept}),
                    similar=len(chosen),
                    expected_noise=None if noise is None else round(noise, 1),
                    noise_share=share,
                )
            )
    return rows


def recommend(
    buckets: Sequence[RatioBucket],
    cumulative: Sequence[AtLeast],
    rows: Sequence[SweepRow],
    max_false_rate: float = MAX_FALSE_RATE,
    max_noise_share: float = MAX_NOISE_SHARE,
    min_evidence: int = MIN_EVIDENCE,
    target: int = TARGET_PAIRS,
    current_threshold: float = CURRENT_THRESHOLD,
    min_speedup: float = MIN_SPEEDUP,
) -> Recommendation:
    def low(share: float | None, count: int) -> bool:
        return share is not None and count >= min_evidence and share < max_false_rate

    plain = next((c for c in cumulative if low(c.share_ge, c.count)), None)
    bucket = next((b for b in buckets if low(b.share_ge, b.count)), None)
    by_cut: dict[float, list[SweepRow]] = defaultdict(list)
    for r in rows:
        by_cut[r.min_fast_ms].append(r)
    cut = next(
        (
            c
            for c in sorted(by_cut)
            if all(r.noise_share is not None and r.noise_share < max_noise_share for r in by_cut[c] if r.pairs)
        ),
        None,
    )
    reasons = []
    if cut is not None:
        worst = max((r for r in by_cut[cut] if r.pairs), key=lambda r: r.noise_share or 0.0)
        reasons.append(
            f"at fast >= {cut:g} ms noise alone explains at most {100 * (worst.noise_share or 0):.1f}% of the pairs "
            f"kept (ROUGE-8 {worst.threshold:g}), under {100 * max_noise_share:g}% at every swept threshold"
        )
        below = [r for c in sorted(by_cut) if c < cut for r in by_cut[c] if r.noise_share is not None]
        if below:
            noisiest = max(below, key=lambda r: r.noise_share or 0.0)
            reasons.append(
                f"below it up to {100 * (noisiest.noise_share or 0):.0f}% of the kept pairs (fast >= "
                f"{noisiest.min_fast_ms:g} ms, ROUGE-8 {noisiest.threshold:g}) are what identical programs show too"
            )
    else:
        reasons.append(
            f"no swept cut-off brings the share of pairs that noise explains under "
            f"{100 * max_noise_share:g}%: more repeats per measurement are needed instead"
        )
    if plain is not None:
        reasons.append(
            f"(the plain rule, identical programs' false >= {min_speedup:g}x rate under {100 * max_false_rate:g}%, "
            f"holds from fast >= {plain.min_fast_ms:g} ms: {100 * (plain.share_ge or 0):.1f}% of {plain.count})"
        )
    if bucket is not None:
        reasons.append(
            f"the lowest runtime bucket with a false rate under {100 * max_false_rate:g}% on its own is {bucket.bucket}"
        )
    at_cut = sorted(by_cut.get(cut if cut is not None else min(by_cut, default=0.0), []), key=lambda r: r.threshold)
    cut_text = f"fast >= {cut if cut is not None else 0:g} ms"
    reaching = [r for r in at_cut if r.pairs >= target]
    chosen: SweepRow | None
    if reaching:
        chosen = reaching[-1]
        reasons.append(
            f"ROUGE-8 {chosen.threshold:g} is the strictest swept threshold that still gives >= {target} "
            f"pairs at {cut_text} ({chosen.pairs}); the edit bands show how much of the slow program "
            f"such pairs keep"
        )
    elif at_cut:
        loosest = at_cut[0]
        chosen = next((r for r in at_cut if r.threshold == current_threshold), loosest)
        reasons.append(
            f"no swept ROUGE-8 threshold reaches {target} pairs at {cut_text} (even {loosest.threshold:g} gives "
            f"{loosest.pairs}), so keep {chosen.threshold:g}: the target needs more measured solutions or inputs"
        )
    else:
        chosen = None
    return Recommendation(
        min_fast_ms=cut,
        false_rate_min_fast_ms=plain.min_fast_ms if plain is not None else None,
        lowest_clean_bucket=bucket.bucket if bucket is not None else None,
        rouge_threshold=chosen.threshold if chosen is not None else current_threshold,
        pairs=chosen.pairs if chosen is not None else 0,
        reasoning="; ".join(reasons) + ".",
    )


@dataclass(frozen=True)
class EditBand:
    band: str
    pairs: int
    lines_kept_median: float | None  # share of the slow program's lines the fast one keeps, median over the pairs
    half_kept_share: float | None  # share of the pairs that keep at least half of the slow program's lines


def lines_kept(slow: str, fast: str) -> float:
    """Share of the slow program's non-blank lines that the fast program keeps verbatim and in the same order
    (difflib's matching blocks over stripped lines): 1 for an untouched program, near 0 for a rewrite."""
    a = [line.strip() for line in slow.splitlines() if line.strip()]
    b = [line.strip() for line in fast.splitlines() if line.strip()]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / max(1, len(a))


def edit_bands(pairs: Sequence[Pair], code: dict[tuple[str, str], str], edges: Sequence[float] = EDIT_BANDS
               ) -> list[EditBand]:  # fmt: skip
    kept: list[list[float]] = [[] for _ in edges]
    lower = list(edges)
    for p in pairs:
        i = bisect.bisect_right(lower, p.rouge8) - 1
        if i >= 0:
            kept[i].append(lines_kept(code[(p.problem, p.slow)], code[(p.problem, p.fast)]))
    out = []
    for i, values in enumerate(kept):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        out.append(EditBand(
            band=f"{edges[i]:g}-{hi:g}" if hi is not None else f">={edges[i]:g}", pairs=len(values),
            lines_kept_median=round(percentile(values, 0.5), 3) if values else None,
            half_kept_share=round(sum(v >= 0.5 for v in values) / len(values), 3) if values else None,
        ))  # fmt: skip
    return out


@dataclass(frozen=True)
class QualityReport:
    min_speedup: float
    identical_pairs: int
    same_measurement_skipped: int
    noise_buckets: list[RatioBucket]
    noise_at_least: list[AtLeast]
    repetition_runs: int | None  # None: no run cache
    repetition_buckets: list[RatioBucket] | None
    sweep: list[SweepRow]
    recommendation: Recommendation
    edit_bands: list[EditBand]  # over the pairs at the recommended min fast ms and min speedup

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1) + "\n"


def quality_report(
    runtimes: dict[tuple[str, str], Runtime],
    canonical: Sequence[tuple[str, str, str, str]],
    cache: Path | None = None,
    min_speedup: float = MIN_SPEEDUP,
) -> QualityReport:
    ratios, same_measurement = identical_program_ratios(runtimes, canonical)
    buckets = ratio_buckets(ratios, min_speedup=min_speedup)
    cumulative = at_least(ratios, min_speedup=min_speedup)
    spreads = repetition_spreads(cache) if cache is not None and cache.is_file() else None
    similar, _ = build_pairs(runtimes, canonical, min(SWEEP_THRESHOLDS), min_speedup=1.0)
    rows = sweep(similar, noise_rates(buckets), min_speedup=min_speedup)
    rec = recommend(buckets, cumulative, rows, min_speedup=min_speedup)
    code = {(problem, sid): text for problem, sid, _, text in canonical}
    cut = rec.min_fast_ms if rec.min_fast_ms is not None else 0.0
    kept = [p for p in similar if p.fast_ms >= cut and p.speedup >= min_speedup]
    return QualityReport(
        min_speedup=min_speedup,
        identical_pairs=len(ratios),
        same_measurement_skipped=same_measurement,
        noise_buckets=buckets,
        noise_at_least=cumulative,
        repetition_runs=None if spreads is None else len(spreads),
        repetition_buckets=None if spreads is None else ratio_buckets(spreads, min_speedup=min_speedup),
        sweep=rows,
        recommendation=rec,
        edit_bands=edit_bands(kept, code),
    )


def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def _bucket_lines(buckets: Sequence[RatioBucket], min_speedup: float) -> list[str]:
    lines = [f"  {'ms':>10} {'count':>7} {'median':>7} {'p95':>7} {'>=' + format(min_speedup, 'g') + 'x':>7}"]
    lines += [
        f"  {b.bucket:>10} {b.count:>7} {_fmt(b.median):>7} {_fmt(b.p95):>7} {_fmt(b.share_ge, '.1%'):>7}"
        for b in buckets
    ]
    return lines


def format_report(report: QualityReport) -> str:
    lines = [
        f"noise floor: {report.identical_pairs} pairs of identical canonical programs, ratio = slower/faster "
        f"total ms, by the faster one's ms ({report.same_measurement_skipped} sharing one measurement skipped)"
    ]
    lines += _bucket_lines(report.noise_buckets, report.min_speedup)
    lines.append(
        "  cut-off (fast >= ms): "
        + ", ".join(f">={c.min_fast_ms:g} {_fmt(c.share_ge, '.1%')} (n={c.count})" for c in report.noise_at_least)
    )
    if report.repetition_buckets is None:
        lines.append("repetitions: no run cache")
    else:
        lines.append(
            f"repetitions: {report.repetition_runs} (program, input) runs with >= 3 ok reps, spread = max/min "
            f"cpu, by the fastest rep's ms"
        )
        lines += _bucket_lines(report.repetition_buckets, report.min_speedup)
    cuts = sorted({r.min_fast_ms for r in report.sweep})
    lines.append("sweep: pairs / distinct slow programs / problems / share of the pairs noise alone explains")
    lines.append(f"  {'rouge8':>6}" + "".join(f"{'fast>=' + format(c, 'g') + 'ms':>30}" for c in cuts))
    for t in sorted({r.threshold for r in report.sweep}):
        cells = {r.min_fast_ms: r for r in report.sweep if r.threshold == t}
        lines.append(
            f"  {t:>6g}"
            + "".join(
                f"{r.pairs:>10} {r.slow_programs:>6} {r.problems:>5} {_fmt(r.noise_share, '.1%'):>7}"
                for r in (cells[c] for c in cuts)
            )
        )
    rec = report.recommendation
    lines.append(
        f"recommended: --min-fast-ms {_fmt(rec.min_fast_ms, 'g')} --threshold {rec.rouge_threshold:g} "
        f"-> {rec.pairs} pairs"
    )
    lines.append(f"  {rec.reasoning}")
    lines.append(
        f"edit bands (pairs at fast >= {_fmt(rec.min_fast_ms, 'g')} ms): ROUGE-8 band, pairs, median share "
        f"of the slow program's lines kept, share of pairs keeping >= half"
    )
    lines += [
        f"  {b.band:>9} {b.pairs:>7} {_fmt(b.lines_kept_median, '.2f'):>6} {_fmt(b.half_kept_share, '.0%'):>5}"
        for b in report.edit_bands
    ]
    return "\n".join(lines)


@click.command("quality")
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option("--runtimes", type=click.Path(path_type=Path), default=DEFAULT_RUNTIMES, show_default=True)
@click.option(
    "--cache",
    type=click.Path(path_type=Path),
    default=None,
    help="run cache with the repeated runs [default: WORK/runs.sqlite]; skipped when missing",
)
@click.option("--out", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True)
def quality_command(work: Path, runtimes: Path, cache: Path | None, out: Path) -> int:
    """Measure the runtime noise floor of pairs and sweep the pair rules (ROUGE-8 threshold, min fast ms)."""
    from speedhints.training.tokenizer_cli import load_canonical

    for path, how in ((runtimes, "speedhints data measure"), (work / "canonical.jsonl", "speedhints data canonical")):
        if not path.is_file():
            click.echo(f"error: {path} not found: run `{how}` first", err=True)
            return 2
    canonical = [(s.problem, s.id, s.sha256, s.code) for s in load_canonical(work)]
    report = quality_report(read_runtimes(runtimes), canonical, cache if cache is not None else work / "runs.sqlite")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.to_json(), encoding="utf-8")
    click.echo(format_report(report))
    click.echo(f"-> {out}")
    return 0
