"""Pair quality (issue #3): the noise floor of identical programs, the rule sweep and the recommendation."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from speedhints.cli import main
from speedhints.training.data.pair_quality import (
    AtLeast,
    RatioBucket,
    SweepRow,
    at_least,
    edit_bands,
    identical_program_ratios,
    lines_kept,
    noise_rates,
    ratio_buckets,
    recommend,
    repetition_spreads,
    sweep,
)
from speedhints.training.data.pairs import Pair, Runtime
from speedhints.training.data.runcache import _SCHEMA

CODE = "v0 = int(input())\nprint(v0 * 2)\n"
OTHER = "v0 = int(input())\nprint(v0 + v0)\n"


def runtime(problem: str, sid: str, ms: float, sha: str | None = None, censored: bool = False) -> Runtime:
    return Runtime(problem, sid, sha or f"sha{sid}", ms, censored)


def test_identical_programs_are_compared_once_per_pair_and_only_when_measured_apart() -> None:
    runtimes = {
        ("P", "a"): runtime("P", "a", 4.0, sha="sha_a"),
        ("P", "b"): runtime("P", "b", 5.0),  # renamed copy of a: measured on its own
        ("P", "c"): runtime("P", "c", 6.0, sha="sha_a"),  # verbatim copy of a: the cache's very same measurement
        ("P", "d"): runtime("P", "d", 40.0),  # another program
        ("P", "e"): runtime("P", "e", 9.0, censored=True),  # the CPU limit, not a measurement
        ("Q", "a"): runtime("Q", "a", 8.0),  # same code, other problem: other inputs
    }
    canonical = [
        ("P", "a", "sha_a", CODE),
        ("P", "b", "shab", CODE),
        ("P", "c", "sha_a", CODE),
        ("P", "d", "shad", OTHER),
        ("P", "e", "shae", CODE),
        ("Q", "a", "shaa", CODE),
        ("P", "stale", "changed", CODE),
    ]
    ratios, same = identical_program_ratios(runtimes, canonical)
    assert same == 1  # (a, c)
    assert sorted(ratios) == [(4.0, pytest.approx(1.25)), (5.0, pytest.approx(1.2))]  # (a, b) and (b, c)


def test_ratio_buckets_edges_medians_and_false_rate() -> None:
    data = [(4.9, 1.0), (4.0, 1.3), (4.5, 1.1), (5.0, 1.25), (12.0, 1.05), (250.0, 1.0)]
    buckets = {b.bucket: b for b in ratio_buckets(data, min_speedup=1.2)}
    assert list(buckets) == ["0-5ms", "5-10ms", "10-20ms", "20-50ms", "50-100ms", ">=100ms"]
    low = buckets["0-5ms"]
    assert low.count == 3 and low.median == pytest.approx(1.1) and low.share_ge == pytest.approx(1 / 3, abs=1e-4)
    assert buckets["5-10ms"].count == 1 and buckets["5-10ms"].share_ge == 1.0  # 5.0 ms opens the next bucket
    assert buckets["20-50ms"].count == 0 and buckets["20-50ms"].median is None
    assert buckets[">=100ms"].count == 1 and buckets[">=100ms"].hi is None
    cumulative = {c.min_fast_ms: c for c in at_least(data, cutoffs=(0.0, 5.0, 20.0), min_speedup=1.2)}
    assert cumulative[0.0].count == 6 and cumulative[0.0].share_ge == pytest.approx(2 / 6, abs=1e-4)
    assert cumulative[5.0].share_ge == pytest.approx(1 / 3, abs=1e-4) and cumulative[20.0].share_ge == 0.0


def test_noise_rates_borrow_from_the_noisier_bucket_below() -> None:
    def bucket(count: int, share: float | None) -> RatioBucket:
        return RatioBucket("b", 0.0, None, count, None, None, share)

    rates = noise_rates([bucket(50, 0.1), bucket(3, 0.0), bucket(40, 0.01), bucket(0, None)], min_evidence=30)
    assert rates == [0.1, 0.1, 0.01, 0.01]
    assert noise_rates([bucket(2, 0.5), bucket(40, 0.0)], min_evidence=30) == [None, 0.0]


def pair(slow: str, fast: str, rouge: float, speedup: float, fast_ms: float, problem: str = "P") -> Pair:
    return Pair(problem, slow, fast, rouge, speedup, fast_ms * speedup, fast_ms, False)


def test_sweep_counts_and_noise_share() -> None:
    similar = [
        pair("s1", "f1", 0.35, 1.5, 4.0),  # kept, tiny fast side
        pair("s2", "f2", 0.35, 1.0, 4.0),  # similar, equally fast: counts towards the expected noise only
        pair("s3", "f3", 0.35, 1.0, 4.0),
        pair("s1", "f4", 0.15, 2.0, 30.0),  # kept at 0.1 only; same slow program as the first
        pair("s5", "f5", 0.6, 3.0, 30.0, problem="Q"),
    ]
    rates = [0.5, 0.5, 0.5, 0.0, 0.0, 0.0]  # per BUCKET_EDGES bucket: noisy under 20 ms, clean above
    rows = {(r.threshold, r.min_fast_ms): r for r in sweep(similar, rates, (0.1, 0.3), (0.0, 20.0), min_speedup=1.2)}
    low = rows[(0.1, 0.0)]
    assert (low.pairs, low.slow_programs, low.problems, low.similar) == (3, 2, 2, 5)
    assert low.expected_noise == pytest.approx(1.5) and low.noise_share == pytest.approx(0.5)
    assert rows[(0.3, 0.0)].pairs == 2 and rows[(0.3, 0.0)].noise_share == pytest.approx(0.75)
    clean = rows[(0.1, 20.0)]
    assert (clean.pairs, clean.similar, clean.noise_share) == (2, 2, 0.0)
    unknown = sweep(similar, [None] * 6, (0.1,), (0.0,))
    assert unknown[0].noise_share is None and unknown[0].pairs == 3


def row(threshold: float, cut: float, pairs: int, share: float | None) -> SweepRow:
    return SweepRow(threshold, cut, pairs, pairs, 1, pairs, None if share is None else share * pairs, share)


def test_recommend_picks_the_least_clean_cut_and_the_strictest_threshold_reaching_the_target() -> None:
    buckets = [
        RatioBucket("0-5ms", 0.0, 5.0, 100, 1.04, 1.18, 0.04),
        RatioBucket("5-10ms", 5.0, None, 100, 1.03, 1.1, 0.0),
    ]
    cumulative = [AtLeast(0.0, 200, 0.02), AtLeast(5.0, 100, 0.0)]
    rows = [
        row(0.1, 0.0, 300, 0.2),
        row(0.3, 0.0, 100, 0.4),
        row(0.1, 5.0, 250, 0.01),
        row(0.3, 5.0, 80, 0.02),
        row(0.1, 10.0, 200, 0.0),
        row(0.3, 10.0, 60, 0.0),
    ]
    rec = recommend(buckets, cumulative, rows, target=200)
    assert rec.min_fast_ms == 5.0 and rec.rouge_threshold == 0.1 and rec.pairs == 250
    assert rec.false_rate_min_fast_ms == 0.0 and rec.lowest_clean_bucket == "0-5ms"  # the plain rule says less
    assert "fast >= 5 ms" in rec.reasoning
    # a noisy cell at any threshold rules the cut-off out
    rows[3] = row(0.3, 5.0, 80, 0.06)
    assert recommend(buckets, cumulative, rows, target=200).min_fast_ms == 10.0
    # out of reach: keep the current threshold
    rec = recommend(buckets, cumulative, rows, target=10_000, current_threshold=0.3)
    assert rec.rouge_threshold == 0.3 and rec.pairs == 60 and "10000" in rec.reasoning
    # no cut-off clean enough
    assert recommend(buckets, cumulative, [row(0.1, 0.0, 10, 0.5)], target=1).min_fast_ms is None


def test_repetition_spreads_from_the_run_cache(tmp_path: Path) -> None:
    db_path = tmp_path / "runs.sqlite"
    with sqlite3.connect(db_path) as db:
        db.executescript(_SCHEMA)
        rows = [
            ("c1", "i1", 0.004, "ok"),
            ("c1", "i1", 0.005, "ok"),
            ("c1", "i1", 0.0045, "ok"),
            ("c2", "i1", 0.100, "ok"),
            ("c2", "i1", 0.101, "ok"),  # two reps only: left out
            ("c3", "i1", 0.050, "ok"),
            ("c3", "i1", 3.0, "timeout"),
            ("c3", "i1", 0.05, "ok"),
        ]  # not all ok
        reps: dict[str, int] = {}
        for code, inp, cpu, status in rows:
            rep = reps[code] = reps.get(code, -1) + 1
            db.execute(
                "INSERT INTO runs VALUES (?, ?, 'lim', ?, ?, 0, ?, ?, 0, '', NULL, '', NULL, NULL, 0)",
                (code, inp, rep, status, cpu, cpu),
            )
    spreads = repetition_spreads(db_path)
    assert len(spreads) == 1
    assert spreads[0][0] == pytest.approx(4.0) and spreads[0][1] == pytest.approx(1.25)


def test_lines_kept_tells_an_edit_from_a_rewrite() -> None:
    slow = "a = int(input())\n\nb = []\nfor i in range(a):\n    b.append(i)\nprint(len(b))\n"
    edit = slow.replace("b = []\nfor i in range(a):\n    b.append(i)\n", "b = list(range(a))\n")
    rewrite = "import sys\nprint(int(sys.stdin.readline()))\n"
    assert lines_kept(slow, slow) == 1.0
    assert lines_kept(slow, edit) == pytest.approx(2 / 5)  # the first and last lines survive; blank lines ignored
    assert lines_kept(slow, rewrite) == 0.0
    pairs = [
        Pair("1_A", "s", "e", 0.35, 2.0, 20.0, 10.0, False),
        Pair("1_A", "s", "r", 0.12, 2.0, 20.0, 10.0, False),
        Pair("1_A", "s", "s2", 0.9, 1.5, 15.0, 10.0, False),
    ]
    code = {("1_A", "s"): slow, ("1_A", "e"): edit, ("1_A", "r"): rewrite, ("1_A", "s2"): slow}
    bands = {b.band: b for b in edit_bands(pairs, code)}
    assert list(bands) == ["0.1-0.15", "0.15-0.2", "0.2-0.3", "0.3-0.5", ">=0.5"]
    assert (bands["0.1-0.15"].pairs, bands["0.1-0.15"].lines_kept_median, bands["0.1-0.15"].half_kept_share) == (
        1,
        0.0,
        0.0,
    )
    assert bands["0.3-0.5"].lines_kept_median == 0.4 and bands[">=0.5"].half_kept_share == 1.0
    assert bands["0.15-0.2"].pairs == 0 and bands["0.15-0.2"].lines_kept_median is None


def test_quality_command_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, work = tmp_path / "corpus", tmp_path / "work"
    corpus.mkdir()
    work.mkdir()
    slow = "v0 = int(input())\nv1 = []\nfor v2 in range(v0):\n    v1.append(v2 * v2)\nprint(sum(v1))\n"
    fast = slow.replace(
        "v1 = []\nfor v2 in range(v0):\n    v1.append(v2 * v2)\n", "v1 = [v2 * v2 for v2 in range(v0)]\n"
    )
    programs = {
        "slow": (slow, 40.0),
        "fast": (fast, 20.0),
        "copy": (fast, 21.0),
        "tiny": (slow, 4.0),
        "tinier": (fast, 3.0),
    }
    lines = ["problem\tsolution\tcode_sha\tinput\tinput_sha\tcpu_ms\truns\tcensored"]
    canonical = []
    for sid, (code, ms) in programs.items():
        problem = "2_B" if sid.startswith("tin") else "1_A"
        lines.append(f"{problem}\t{sid}\tsha{sid}\ti0\tx\t{ms}\t3\t0")
        canonical.append(
            {"problem": problem, "id": sid, "sha256": f"sha{sid}", "code": code, "names": {}, "strings": {}}
        )
    (corpus / "runtimes.tsv").write_text("\n".join(lines) + "\n")
    (work / "canonical.jsonl").write_text("".join(json.dumps(c) + "\n" for c in canonical))
    out = tmp_path / "quality.json"
    rc = main(["data", "quality", "--work", str(work), "--runtimes", str(corpus / "runtimes.tsv"), "--out", str(out)])
    assert rc == 0, capsys.readouterr()
    report = json.loads(out.read_text())
    assert report["identical_pairs"] == 1 and report["repetition_runs"] is None  # (fast, copy); no run cache
    cells = {(r["threshold"], r["min_fast_ms"]): r for r in report["sweep"]}
    assert cells[(0.1, 0.0)]["pairs"] == 3  # slow->fast, slow->copy, tiny->tinier
    assert cells[(0.1, 5.0)]["pairs"] == 2 and cells[(0.1, 5.0)]["problems"] == 1
    assert set(report["recommendation"]) >= {"min_fast_ms", "rouge_threshold", "pairs", "reasoning"}
    printed = capsys.readouterr().out
    assert "noise floor: 1 pairs" in printed and "recommended:" in printed and "edit bands" in printed
    cut = report["recommendation"]["min_fast_ms"] or 0.0
    assert sum(b["pairs"] for b in report["edit_bands"]) == cells[(0.1, cut)]["pairs"]  # the pairs at that cut
    assert (
        main(
            [
                "data",
                "quality",
                "--work",
                str(tmp_path / "none"),
                "--runtimes",
                str(corpus / "runtimes.tsv"),
                "--out",
                str(out),
            ]
        )
        == 2
    )
