"""rouge_pairs at the scale benchmarks/bench_pairs.py measures: exact against rouge_n on real-like code.

test_pairs.py checks the sparse product on tiny alphabets; these check it where the pipeline uses it: canonical-looking
programs with clusters of near-duplicates (the benchmark's edits), several row blocks, the threshold boundary, and
the benchmark itself on a small corpus (its --check compares rouge_pairs with rouge_n pair by pair).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

from speedhints.training.data.similarity import code_tokens, rouge_n, rouge_pairs

ROOT = Path(__file__).resolve().parents[1]

STATEMENTS = [
    "v0 = int(input())\n",
    "v1 = list(map(int, input().split()))\n",
    "v2 = 0\n",
    "for v3 in range(v0):\n    v2 += v1[v3]\n",
    "v1.sort()\n",
    "v4 = {}\n",
    "for v3 in v1:\n    v4[v3] = v4.get(v3, 0) + 1\n",
    "if v2 % 2 == 0:\n    print(v2)\nelse:\n    print(v2 - 1)\n",
    "print(max(v1) - min(v1))\n",
    "v5 = sorted(v4.items(), key=lambda v6: v6[1])\n",
    "while v0 > 0:\n    v0 //= 10\n    v2 += 1\n",
    "print(len(v4))\n",
]


def bench() -> ModuleType:
    """benchmarks/bench_pairs.py as a module (benchmarks/ is not a package); its edits make the near-duplicates."""
    if "bench_pairs" in sys.modules:
        return sys.modules["bench_pairs"]
    spec = importlib.util.spec_from_file_location("bench_pairs", ROOT / "benchmarks" / "bench_pairs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_pairs"] = module  # what pickle looks its functions up by, for the spawned measurements
    spec.loader.exec_module(module)
    return module


def programs(count: int, seed: int) -> list[str]:
    """Canonical-looking programs: random statement sequences, then edited copies of them (near-duplicates)."""
    rng = random.Random(seed)
    real = ["".join(rng.sample(STATEMENTS, rng.randint(2, 8))) for _ in range(count // 3)]
    codes: list[str] = bench().synthetic_problem(real, count, seed)
    return codes


def brute(tokens: list[list[str]], n: int) -> dict[tuple[int, int], float]:
    return {(i, j): rouge_n(tokens[i], tokens[j], n) for i, j in itertools.combinations(range(len(tokens)), 2)}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_real_like_pairs_equal_rouge_n_across_blocks(seed: int) -> None:
    tokens = [code_tokens(c) for c in programs(90, seed)]
    expected = {k: s for k, s in brute(tokens, 8).items() if s >= 0.3}
    assert len(expected) > 50  # the near-duplicates are there
    for block in (7, 64, 1024):  # one block, several, and a last block that is partial
        got = {(i, j): s for i, j, s in rouge_pairs(tokens, n=8, threshold=0.3, block=block)}
        assert got.keys() == expected.keys()
        assert all(got[k] == pytest.approx(expected[k], abs=1e-12) for k in got)


def test_threshold_boundary_is_inclusive() -> None:
    tokens = [code_tokens(c) for c in programs(60, 3)]
    scores = brute(tokens, 8)
    distinct = sorted({s for s in scores.values() if s > 0})
    assert len(distinct) > 20
    near = min(distinct, key=lambda s: abs(s - 0.3))  # the pipeline's threshold, as close as the data come
    for score in {near, *distinct[:: len(distinct) // 6]}:
        at = {(i, j) for i, j, _ in rouge_pairs(tokens, n=8, threshold=score)}
        above = {(i, j) for i, j, _ in rouge_pairs(tokens, n=8, threshold=math.nextafter(score, 2.0))}
        assert at == {k for k, s in scores.items() if s >= score}
        assert above == {k for k, s in scores.items() if s > score}
        assert at - above == {k for k, s in scores.items() if s == score} != set()


def test_benchmark_check_and_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # spawned children inherit sys.path and import it by name
    canonical = tmp_path / "canonical.jsonl"
    with open(canonical, "w", encoding="utf-8") as f:
        for k, code in enumerate(programs(60, 4)[:40]):
            f.write(json.dumps({"problem": f"P{k % 3}", "id": str(k), "code": code}) + "\n")
    argv = ["--canonical", str(canonical), "--sizes", "30,120", "--pool", "30", "--check-size", "100", "--json"]
    module = bench()
    assert module.main([*argv, "--check"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["check"]["ok"] and result["check"]["size"] == 100 and result["check"]["rouge_n_pairs"] > 0
    assert [r["size"] for r in result["runs"]] == [30, 120]
    for run in result["runs"]:
        assert run["status"] == "ok"
        assert run["candidates"] <= run["sharing_pairs"] <= run["all_pairs"] == run["size"] * (run["size"] - 1) // 2
    assert module.main(["--canonical", str(tmp_path / "missing.jsonl")]) == 2
