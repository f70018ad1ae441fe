"""Pairs, splits and stats (issue #3, items 6-8) on small hand-made corpora."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from speedhints.cli import main
from speedhints.training.data.pairs import Pair, Runtime, build_pairs, read_pairs, read_runtimes, write_pairs
from speedhints.training.data.similarity import code_tokens, rouge_n, rouge_pairs
from speedhints.training.data.splits import assign, by_problem_split, paper_splits, write_splits
from speedhints.training.data.stats import corpus_stats, fastest_on_valid_inputs


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcd"), max_size=30), min_size=2, max_size=8), st.integers(1, 4))
def test_sparse_rouge_equals_direct_counts(docs: list[list[str]], n: int) -> None:
    got = {(i, j): s for i, j, s in rouge_pairs(docs, n=n)}
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            expected = rouge_n(docs[i], docs[j], n=n)
            assert got.get((i, j), 0.0) == pytest.approx(expected)


def test_rouge8_threshold_and_tokens() -> None:
    a = code_tokens("v0 = int(input())\nfor v1 in range(v0):\n    print(v1 * 2)\n")
    assert a[:6] == ["v0", "=", "int", "(", "input", "())"]
    b = code_tokens("v0 = int(input())\nfor v1 in range(v0):\n    print(v1 + 2)\n")
    c = code_tokens("import sys\nprint(sum(map(int, sys.stdin.read().split())))\n")
    pairs = rouge_pairs([a, b, c], n=8, threshold=0.3)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert pairs[0][2] == pytest.approx(rouge_n(a, b, 8))


SLOW = (
    "v0 = int(input())\nv1 = list(map(int, input().split()))\nv2 = []\nfor v3 in v1:\n    if v3 not in v2:\n"
    "        v2.append(v3)\nprint(len(v2))\n"
)
FAST = SLOW.replace("v2 = []", "v2 = set()").replace("v2.append(v3)", "v2.add(v3)")
OTHER = "import sys\nprint(len(set(sys.stdin.read().split()[1:])))\n"


def runtime(problem: str, sid: str, ms: float, censored: bool = False) -> Runtime:
    return Runtime(problem, sid, f"sha{sid}", ms, censored)


def test_build_pairs_orders_by_runtime_and_applies_the_rules() -> None:
    runtimes = {
        ("P", "slow"): runtime("P", "slow", 300.0),
        ("P", "fast"): runtime("P", "fast", 100.0),
        ("P", "twin"): runtime("P", "twin", 90.0),  # same canonical code as "fast": never a pair with it
        ("P", "other"): runtime("P", "other", 10.0),  # a rewrite, not an edit: below the similarity threshold
        ("P", "timeout"): runtime("P", "timeout", 3000.0, censored=True),
        ("P", "close"): runtime("P", "close", 280.0),  # 1.07x from "slow": below the speedup threshold
    }
    canonical = [
        ("P", "slow", "shaslow", SLOW),
        ("P", "fast", "shafast", FAST),
        ("P", "twin", "shatwin", FAST),
        ("P", "other", "shaother", OTHER),
        ("P", "timeout", "shatimeout", SLOW.replace("len", "sum")),
        ("P", "close", "shaclose", SLOW.replace("print", "print")),
        ("P", "unmeasured", "x", SLOW),
    ]
    canonical[5] = ("P", "close", "shaclose", SLOW + "pass\n")
    pairs, counts = build_pairs(runtimes, canonical, threshold=0.3, min_speedup=1.2)
    got = {(p.slow, p.fast) for p in pairs}
    assert ("slow", "fast") in got and ("slow", "twin") in got
    assert ("timeout", "slow") in got  # a censored program can be the slow side
    assert not any(f == "timeout" for _, f in got)  # ... never the fast side
    assert ("fast", "twin") not in got and ("twin", "fast") not in got
    assert not any("other" in pair for pair in got)
    assert ("close", "slow") not in got and ("slow", "close") not in got
    assert counts["solutions"] == 6
    timeout_pair = next(p for p in pairs if p.slow == "timeout" and p.fast == "slow")
    assert timeout_pair.slow_censored and timeout_pair.speedup == pytest.approx(10.0)


def test_stale_code_is_not_paired() -> None:
    runtimes = {("P", "a"): runtime("P", "a", 300.0), ("P", "b"): runtime("P", "b", 100.0)}
    _, counts = build_pairs(runtimes, [("P", "a", "shaa", SLOW), ("P", "b", "changed", FAST)], 0.3, 1.2)
    assert counts["stale"] == 1 and counts["pairs"] == 0


def test_min_fast_ms_drops_pairs_with_a_tiny_fast_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runtimes = {
        ("P", "slow"): runtime("P", "slow", 30.0),
        ("P", "fast"): runtime("P", "fast", 10.0),  # at the cut-off: kept
        ("P", "tiny"): runtime("P", "tiny", 4.0),  # under it: a "speedup" to 4 ms may be noise
    }
    mid = SLOW.replace("[]", "list()")
    canonical = [("P", "slow", "shaslow", SLOW), ("P", "fast", "shafast", FAST), ("P", "tiny", "shatiny", mid)]
    everything, _ = build_pairs(runtimes, canonical, threshold=0.3, min_speedup=1.2)
    assert {(p.slow, p.fast) for p in everything} == {("slow", "fast"), ("slow", "tiny"), ("fast", "tiny")}
    pairs, counts = build_pairs(runtimes, canonical, threshold=0.3, min_speedup=1.2, min_fast_ms=10.0)
    assert {(p.slow, p.fast) for p in pairs} == {("slow", "fast")} and counts["pairs"] == 1

    corpus, work = write_corpus(tmp_path)  # fast 100 ms, mid 200 ms, slow 300 ms in each of three problems
    args = pairs_argv(corpus, work)
    assert main([*args, "--min-fast-ms", "150"]) == 0, capsys.readouterr()
    assert {(p.slow, p.fast) for p in read_pairs(corpus / "pairs.tsv")} == {("slow", "mid")}
    assert main(args) == 0  # the default keeps every pair
    assert len(read_pairs(corpus / "pairs.tsv")) == 9


def make_pairs(n_problems: int = 30, per_problem: int = 12) -> list[Pair]:
    rng = random.Random(0)
    pairs = []
    for p in range(n_problems):
        for _ in range(per_problem):
            slow, fast = rng.sample(range(20), 2)
            pairs.append(Pair(f"{p}_A", f"s{slow}", f"s{fast}", 0.5, 1.5, 30.0, 20.0, False))
    return pairs


def test_by_problem_split_keeps_each_problem_in_one_split() -> None:
    pairs = make_pairs()
    splits = assign(pairs)["by_problem"]
    seen: dict[str, set[str | None]] = {}
    for p, s in zip(pairs, splits, strict=True):
        seen.setdefault(p.problem, set()).add(s)
    assert all(len(s) == 1 for s in seen.values())
    assert {next(iter(s)) for s in seen.values()} == {"train", "valid", "test"}
    assert by_problem_split("102_B") == by_problem_split("102_B")


def test_paper_split_keeps_test_inputs_unseen() -> None:
    pairs = make_pairs()
    splits = paper_splits(pairs, n_test=20)
    test_inputs = {(p.problem, p.slow) for p, s in zip(pairs, splits, strict=True) if s == "test"}
    assert len(test_inputs) == 20
    for p, s in zip(pairs, splits, strict=True):
        if s in ("train", "valid"):
            assert (p.problem, p.slow) not in test_inputs and (p.problem, p.fast) not in test_inputs
    assert paper_splits(pairs, n_test=20) == splits  # fixed seed


def test_fastest_on_valid_inputs_leaves_stress_inputs_out() -> None:
    def row(sol: str, inp: str, ms: float, censored: str = "0") -> dict[str, str]:
        return {"problem": "P", "solution": sol, "input": inp, "cpu_ms": str(ms), "censored": censored}

    rows = [row("a", "v0", 4.0), row("a", "s0", 40.0), row("b", "v0", 6.0), row("b", "s0", 35.0),
            row("c", "v0", 2.0),  # wrong past the statement: no s0 row, but timed on every valid input
            row("d", "v0", 3000.0, "1")]  # fmt: skip
    assert fastest_on_valid_inputs(rows, {("P", "s0")}) == {"P": 2.0}
    assert fastest_on_valid_inputs(rows, set()) == {"P": 41.0}  # c is not timed on every input, d is censored


def pairs_argv(corpus: Path, work: Path) -> list[str]:
    """`speedhints data pairs` on write_corpus's files."""
    return ["data", "pairs", "--work", str(work), "--runtimes", str(corpus / "runtimes.tsv"),
            "--out", str(corpus / "pairs.tsv")]  # fmt: skip


def write_corpus(tmp_path: Path) -> tuple[Path, Path]:
    corpus, work = tmp_path / "corpus", tmp_path / "work"
    corpus.mkdir()
    work.mkdir()
    programs = {"slow": (SLOW, 300.0), "fast": (FAST, 100.0), "mid": (SLOW.replace("[]", "list()"), 200.0)}
    lines = ["problem\tsolution\tcode_sha\tinput\tinput_sha\tcpu_ms\truns\tcensored"]
    canonical = []
    for problem in ("1_A", "2_B", "3_C"):
        for sid, (code, ms) in programs.items():
            for inp in ("i0", "i1"):
                lines.append(f"{problem}\t{sid}\tsha{sid}\t{inp}\tx\t{ms / 2}\t3\t0")
            canonical.append(
                {"problem": problem, "id": sid, "sha256": f"sha{sid}", "code": code, "names": {}, "strings": {}}
            )
    lines.append("1_A\twrong\tshawrong\ti0\tx\t5.0\t3\t0")  # missing i1: wrong there, so it has no runtime
    (corpus / "runtimes.tsv").write_text("\n".join(lines) + "\n")
    (work / "canonical.jsonl").write_text("".join(json.dumps(c) + "\n" for c in canonical))
    (corpus / "verified.tsv").write_text(
        "problem\tsolution\tcode_sha\tstatus\n1_A\tslow\tx\tpass\n1_A\tw\tx\twrong\n1_A\tc\t-\tconvert_failed\n"
    )
    (corpus / "scaled_inputs.tsv").write_text("problem\tname\n1_A\ti0\n1_A\ti1\n2_B\ti0\n")
    return corpus, work


def test_pairs_splits_and_stats_commands_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, work = write_corpus(tmp_path)
    assert set(read_runtimes(corpus / "runtimes.tsv")) == {
        (p, s) for p in ("1_A", "2_B", "3_C") for s in ("slow", "fast", "mid")
    }
    rc = main([*pairs_argv(corpus, work), "--threshold", "0.3"])
    assert rc == 0, capsys.readouterr()
    pairs = read_pairs(corpus / "pairs.tsv")
    assert {(p.slow, p.fast) for p in pairs} == {("slow", "fast"), ("slow", "mid"), ("mid", "fast")}
    assert len(pairs) == 9
    write_pairs(pairs, tmp_path / "again.tsv")
    assert (tmp_path / "again.tsv").read_text() == (corpus / "pairs.tsv").read_text()  # stable, diff-friendly

    counts = write_splits(work, corpus / "pairs.tsv", corpus / "runtimes.tsv", corpus_dir=corpus)
    assert sum(counts["by_problem"][s] for s in ("train", "valid", "test")) == 9
    refs = [json.loads(line) for line in (work / "pairs" / "paper" / "refs.jsonl").read_text().splitlines()]
    assert refs and all(r["ms"] > ref["ms"] for r in refs for ref in r["refs"])
    slow_refs = next(r for r in refs if r["id"] == "slow")
    assert [ref["id"] for ref in slow_refs["refs"]] == ["fast", "mid"]  # fastest first
    record = json.loads((work / "pairs" / "paper" / "test.jsonl").read_text().splitlines()[0])
    assert set(record) == {"problem", "slow_id", "fast_id", "slow", "fast", "speedup"}

    stats = corpus_stats(corpus)
    assert stats["solutions_converted"] == 2 and stats["solutions_passing"] == 1
    assert stats["solutions_timed"] == 9 and stats["problems_scaled"] == 2
    assert stats["pairs_total"] == 9
    capsys.readouterr()
    assert main(["data", "stats", "--json", "--corpus", str(corpus)]) == 0
    printed = json.loads(capsys.readouterr().out)
    for key in (
        "solutions_converted",
        "solutions_passing",
        "solutions_timed",
        "problems_scaled",
        "pairs",
        "median_p90_ratio",
    ):
        assert key in printed
    assert main(["data", "stats", "--corpus", str(corpus), "--work", str(work), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "runtime.png").stat().st_size > 1000
    assert "| solutions_passing | 1 |" in (tmp_path / "r" / "README.md").read_text()
