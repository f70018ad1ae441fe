"""Cost of the all-pairs ROUGE-8 step (training/data/similarity.py ``rouge_pairs``) at 50 to 10,000 solutions per
problem.

The corpus caps problems at a few hundred solutions, but the pairing step has to stay feasible when a problem has
10^4 (popular Codeforces problems do). Each size N gets one synthetic "problem" whose n-gram structure is real: a
pool of real canonical solutions (``--pool`` of them, taken from the largest problems first, or with ``--pool-from
longest`` the longest solutions of the corpus, a harder case), its first N when N fits, and beyond the pool variants
of real solutions made by cheap token-level edits with a fixed seed (swap two adjacent lines, rename a placeholder
v3 -> v17, change a number literal; a variant may be edited again), so clusters of near-duplicates exist as they do
in real submissions.

For each N it reports wall seconds and peak memory of ``rouge_pairs`` at the pipeline's threshold, the pairs it
compares implicitly (N·(N − 1) / 2), the pairs whose overlap the sparse product actually computes (those sharing at
least one n-gram: its real work) and the candidates it returns (F1 >= threshold).

Each measurement runs in its own freshly spawned interpreter, after the inputs are built and scipy is imported
there (a one-time cost of the pipeline, not a per-problem one); "peak MiB" is the growth of that process's ru_maxrss
(peak resident set size) during the call, so it includes scipy's C buffers, which tracemalloc would not see ("RSS"
is the process's whole peak). A call past ``--max-seconds`` is stopped, and one past ``--max-gib`` (an address-space
limit) fails; both are reported as such. ``--check`` scores every pair of the N=500 problem (``--check-size``)
directly with ``rouge_n`` and requires that ``rouge_pairs`` returns exactly those pairs and scores.

    python benchmarks/bench_pairs.py [--sizes 50,500,5000,10000] [--pool 500] [--pool-from largest] [--check] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import resource
import sys
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from speedhints.training.data.convert import DEFAULT_WORK
from speedhints.training.data.similarity import code_tokens, ngram_features, rouge_n, rouge_pairs

PLACEHOLDER = re.compile(r"\bv(\d+)\b")
NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])")


def real_pool(canonical: Path, size: int, source: str = "largest") -> list[str]:
    """``size`` canonical solutions: whole problems, largest first (ties: file order), or the longest solutions."""
    by_problem: dict[str, list[str]] = {}
    with open(canonical, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            by_problem.setdefault(row["problem"], []).append(row["code"])
    if source == "longest":
        return sorted((c for codes in by_problem.values() for c in codes), key=len, reverse=True)[:size]
    ranked = sorted(by_problem.values(), key=len, reverse=True)  # stable: file order among equals
    return [code for codes in ranked for code in codes][:size]


def mutate(code: str, rng: random.Random) -> str:
    """One cheap edit that keeps most n-grams: swap adjacent lines, rename a placeholder, or change a number."""
    kind = rng.randrange(3)
    if kind == 0:
        lines = code.splitlines(keepends=True)
        if len(lines) >= 2:
            k = rng.randrange(len(lines) - 1)
            lines[k], lines[k + 1] = lines[k + 1], lines[k]
            return "".join(lines)
    if kind <= 1:
        names = sorted({int(m) for m in PLACEHOLDER.findall(code)})
        if names:
            old, new = rng.choice(names), max(names) + 1 + rng.randrange(20)
            return PLACEHOLDER.sub(lambda m: f"v{new}" if int(m.group(1)) == old else m.group(0), code)
    numbers = list(NUMBER.finditer(code))
    if not numbers:
        return code
    m = rng.choice(numbers)
    return code[: m.start()] + str(rng.choice([0, 1, 2, 10, 100, 10**9 + 7, rng.randrange(1000)])) + code[m.end() :]


def synthetic_problem(real: list[str], size: int, seed: int = 0) -> list[str]:
    """``size`` solutions: the first ``size`` real ones, then variants (1-6 edits) of real solutions or of variants."""
    codes = real[:size]
    rng = random.Random(seed)
    while len(codes) < size:
        base = rng.choice(real) if rng.random() < 0.5 else rng.choice(codes)
        for _ in range(rng.randint(1, 6)):
            base = mutate(base, rng)
        codes.append(base)
    return codes


def sharing_pairs(token_lists: Sequence[Sequence[str]], n: int, block: int = 1024) -> int:
    """Pairs i < j sharing at least one n-gram: the entries of X·Xᵀ that rouge_pairs' product computes."""
    from scipy import sparse

    vocab: dict[tuple[tuple[str, ...], int], int] = {}
    rows = [ngram_features(tokens, n, vocab) for tokens in token_lists]
    if not vocab:
        return 0
    indptr = np.cumsum([0, *(len(r) for r in rows)])
    indices = np.fromiter((f for r in rows for f in r), dtype=np.int64, count=int(indptr[-1]))
    x = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(rows), len(vocab)))
    xt = x.T.tocsc()
    total = 0
    for start in range(0, len(rows), block):
        overlap = (x[start : start + block] @ xt).tocoo()
        total += int(np.count_nonzero(overlap.row + start < overlap.col))
    return total


def problem_tokens(args: argparse.Namespace, size: int) -> list[list[str]]:
    return [code_tokens(c) for c in synthetic_problem(real_pool(args.canonical, args.pool, args.pool_from), size)]


def _measure(args: argparse.Namespace, size: int, conn: Connection) -> None:
    """Child process: build the inputs, then time one rouge_pairs call and the growth of the peak RSS it caused."""
    limit = int(args.max_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        tokens = problem_tokens(args, size)
        import scipy.sparse  # noqa: F401  (rouge_pairs imports it lazily: a one-time cost, not the per-problem one)

        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        pairs = rouge_pairs(tokens, n=args.n, threshold=args.threshold)
        seconds = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        conn.send(
            {
                "status": "ok",
                "seconds": round(seconds, 2),
                "peak_mib": round((after - before) / 1024, 1),
                "peak_rss_mib": round(after / 1024, 1),
                "mean_tokens": round(sum(map(len, tokens)) / max(len(tokens), 1), 1),
                "all_pairs": size * (size - 1) // 2,
                "sharing_pairs": sharing_pairs(tokens, args.n),  # after the timed call, so not in its figures
                "candidates": len(pairs),
            }
        )
    except MemoryError:
        conn.send({"status": f"out of memory (> {args.max_gib:g} GiB address space)"})


def measure(args: argparse.Namespace, size: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_measure, args=(args, size, send))
    proc.start()
    send.close()
    deadline = time.monotonic() + args.max_seconds + 120  # + building the inputs and counting in the child
    result: dict[str, Any] = {"status": f"stopped after > {args.max_seconds:g} s"}
    while time.monotonic() < deadline:
        if receive.poll(1.0):
            try:
                result = receive.recv()
            except EOFError:
                result = {"status": f"child died (exit {proc.exitcode})"}
            break
        if not proc.is_alive():
            result = {"status": f"child died (exit {proc.exitcode})"}
            break
    if proc.is_alive():
        proc.kill()
    proc.join()
    if result.get("status") == "ok" and result["seconds"] > args.max_seconds:
        result["status"] = f"over {args.max_seconds:g} s"
    return {"size": size, **result}


def check(args: argparse.Namespace, size: int = 500) -> dict[str, Any]:
    """Every pair of the size-N problem scored directly with rouge_n, against rouge_pairs."""
    tokens = problem_tokens(args, size)
    expected = {}
    for i in range(len(tokens)):
        for j in range(i + 1, len(tokens)):
            score = rouge_n(tokens[i], tokens[j], args.n)
            if score >= args.threshold and score > 0:
                expected[(i, j)] = score
    got = {(i, j): s for i, j, s in rouge_pairs(tokens, n=args.n, threshold=args.threshold)}
    out: dict[str, Any] = {
        "size": size,
        "rouge_n_pairs": len(expected),
        "rouge_pairs_pairs": len(got),
        "missing": len(expected.keys() - got.keys()),
        "extra": len(got.keys() - expected.keys()),
        "max_score_diff": max((abs(got[k] - expected[k]) for k in expected.keys() & got.keys()), default=0.0),
    }
    out["ok"] = out["missing"] == out["extra"] == 0 and out["max_score_diff"] < 1e-9
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--canonical", type=Path, default=DEFAULT_WORK / "canonical.jsonl")
    ap.add_argument("--sizes", default="50,500,5000,10000", help="comma-separated solutions per problem")
    ap.add_argument("--pool", type=int, default=500, help="real solutions before variants are made")
    ap.add_argument("--pool-from", choices=("largest", "longest"), default="largest", help="problems or solutions")
    ap.add_argument("--threshold", type=float, default=0.3, help="the pipeline's (training/data/pairs.py)")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--max-gib", type=float, default=8.0)
    ap.add_argument("--check", action="store_true", help="verify rouge_pairs against rouge_n on one problem")
    ap.add_argument("--check-size", type=int, default=500, help="solutions in the --check problem")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not args.canonical.is_file():
        print(f"error: {args.canonical} not found (run the canonical stage first)", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",") if s]
    result: dict[str, Any] = {
        "threshold": args.threshold,
        "n": args.n,
        "pool": args.pool,
        "pool_from": args.pool_from,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "memory": "growth of ru_maxrss (peak RSS) during the call, in a fresh spawned process per size",
        "runs": [measure(args, size) for size in sizes],
    }
    if args.check:
        result["check"] = check(args, args.check_size)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"rouge_pairs, ROUGE-{args.n} >= {args.threshold}; pool: {args.pool} real solutions ({args.pool_from}), "
            f"variants beyond it; {result['cpus']} CPUs, load average {result['load_average']} at start"
        )
        print(
            f"{'N':>6} {'tokens':>7} {'seconds':>8} {'peak MiB':>9} {'(RSS)':>6} {'all pairs':>12} "
            f"{'sharing':>12} {'candidates':>11}  status"
        )
        for r in result["runs"]:
            if "seconds" in r:
                print(
                    f"{r['size']:>6} {r['mean_tokens']:>7.1f} {r['seconds']:>8.2f} {r['peak_mib']:>9.1f} "
                    f"{r['peak_rss_mib']:>6.0f} {r['all_pairs']:>12,} {r['sharing_pairs']:>12,} "
                    f"{r['candidates']:>11,}  {r['status']}"
                )
            else:
                print(
                    f"{r['size']:>6} {'-':>7} {'-':>8} {'-':>9} {'-':>6} {'-':>12} {'-':>12} {'-':>11}  {r['status']}"
                )
        if args.check:
            c = result["check"]
            print(
                f"check N={c['size']}: rouge_n {c['rouge_n_pairs']:,} pairs >= {args.threshold}, rouge_pairs "
                f"{c['rouge_pairs_pairs']:,}; {c['missing']} missing, {c['extra']} extra, max |score diff| "
                f"{c['max_score_diff']:.1e}: {'OK' if c['ok'] else 'MISMATCH'}"
            )
    return 0 if not args.check or result["check"]["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
