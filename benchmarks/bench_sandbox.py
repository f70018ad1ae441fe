"""Fork-server sandbox vs a fresh interpreter per run, on real converted solutions.

Prints runs/s of both, side by side, and whether they agree (status and output) on every run. Both use the same
number of parallel workers and the same limits; they are measured alternately in the same process, so the ratio
is meaningful even on a busy shared machine (the absolute figures are not).

    python benchmarks/bench_sandbox.py [--work work] [--data ../shared/data/...] [--runs 300] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from speedhints.training.data.convert import DEFAULT_DATA, DEFAULT_WORK, load_converted
from speedhints.training.data.sandbox import Limits, RunResult, Sandbox, run_once
from speedhints.training.data.verify import load_tests


def jobs(work: Path, data: Path, n: int) -> list[tuple[int, str, bytes]]:
    """n (key, code, stdin) jobs: converted solutions of the first problems, each on one of its tests."""
    solutions = [s for s in load_converted(work) if s.code is not None]
    problems: list[str] = []
    for s in solutions:
        if s.problem not in problems:
            problems.append(s.problem)
        if len(problems) >= 40:
            break
    tests = load_tests(data, set(problems))
    out: list[tuple[int, str, bytes]] = []
    for s in solutions:
        if s.problem in tests and tests[s.problem]:
            test = tests[s.problem][len(out) % len(tests[s.problem])]
            out.append((len(out), s.code or "", test.input))
        if len(out) >= n:
            break
    return out


def bench_zygote(js: list[tuple[int, str, bytes]], workers: int, limits: Limits) -> tuple[float, dict[int, RunResult]]:
    with Sandbox(workers=workers, limits=limits) as sb:
        sb.run("pass\n", b"")  # warm
        t0 = time.perf_counter()
        results = dict(sb.map(js))
        return len(js) / (time.perf_counter() - t0), results


def bench_fresh(js: list[tuple[int, str, bytes]], workers: int, limits: Limits) -> tuple[float, dict[int, RunResult]]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = dict(zip([k for k, _, _ in js], pool.map(lambda j: run_once(j[1], j[2], limits), js), strict=True))
    return len(js) / (time.perf_counter() - t0), results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    if not (args.work / "converted.jsonl").is_file():
        print(f"error: {args.work / 'converted.jsonl'} not found: run `speedhints data convert` first", file=sys.stderr)
        return 2
    limits = Limits()
    js = jobs(args.work, args.data, args.runs)
    z_rate, z = bench_zygote(js, args.workers, limits)
    f_rate, f = bench_fresh(js, args.workers, limits)
    z_rate2, z2 = bench_zygote(js, args.workers, limits)  # again, to bracket the fresh run in time
    agree = sum(z[k].status == f[k].status and z[k].stdout == f[k].stdout for k, _, _ in js)
    stable = sum(z[k].status == z2[k].status and z[k].stdout == z2[k].stdout for k, _, _ in js)
    ok = [k for k, _, _ in js if z[k].status == f[k].status == "ok"]
    print(f"runs: {len(js)} real solutions x 1 test each, {args.workers} workers")
    print(f"fork server : {z_rate:7.1f} runs/s  (second pass {z_rate2:.1f} runs/s)")
    print(f"fresh python: {f_rate:7.1f} runs/s")
    print(f"speed-up    : {min(z_rate, z_rate2) / f_rate:.1f}x .. {max(z_rate, z_rate2) / f_rate:.1f}x")
    print(
        f"agreement   : {agree}/{len(js)} same status and stdout (fork server vs fresh); "
        f"{stable}/{len(js)} between the two fork-server passes"
    )
    if ok:
        zc = statistics.median(z[k].cpu_seconds for k in ok) * 1e3
        fc = statistics.median(f[k].cpu_seconds for k in ok) * 1e3
        zw = statistics.median(z[k].wall_seconds for k in ok) * 1e3
        fw = statistics.median(f[k].wall_seconds for k in ok) * 1e3
        print(f"median cpu  : fork server {zc:.2f} ms, fresh {fc:.2f} ms (start-up excluded in both)")
        print(f"median wall : fork server {zw:.2f} ms, fresh {fw:.2f} ms (child only)")
    for k, _, _ in js:
        if not (z[k].status == f[k].status and z[k].stdout == f[k].stdout):
            print(f"  differs #{k}: fork {z[k].status} {z[k].stdout[:40]!r} / fresh {f[k].status} {f[k].stdout[:40]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
