"""Load test of ``speedhints serve`` on loopback: N deliveries, 10 % forged, 10 % redelivered.

Starts the fake GitHub (tests/fakegithub) and a real ``speedhints serve`` subprocess, sends the deliveries from
a pool of concurrent clients, waits until the queue is drained, then prints:
lost (a valid delivery whose PR got no review), duplicated (a PR with more than one review, or a redelivery
answered as new), forged-accepted (a forged delivery answered 2xx or leading to a review) and the response-time
percentiles. Usage: python benchmarks/bench_webhook_load.py [--deliveries 1000] [--clients 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

from fakegithub import FakeGitHub  # noqa: E402
from fakegithub.builders import make_pr  # noqa: E402
from fakegithub.deliveries import deliver, free_port, pr_event, serve_command, serve_env  # noqa: E402

SECRET = b"load-test secret"
REPO = "load/test"
BEFORE = "def f(x):\n    return x\n"
AFTER = "def f(x):\n    if x in [1, 2, 3]:\n        return 1\n    return x\n"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deliveries", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    n_forged = args.deliveries // 10
    n_redelivered = args.deliveries // 10
    n_valid = args.deliveries - n_forged - n_redelivered

    with FakeGitHub() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.pr_factory = lambda repo, number: make_pr(repo, number, {"a.py": (BEFORE, AFTER)})
        token = fake.add_token()
        port = free_port()
        env = serve_env(fake.api_url, token, SECRET)
        log = Path(tmp) / "serve.log"
        cmd = serve_command(port, str(Path(tmp) / "q.sqlite3"), "--workers", str(args.workers))
        proc = subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    requests.get(f"{base}/healthz", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            # (kind, pr number, delivery id, body); head shas match the PRs the fake will create
            valid = []
            for number in range(1, n_valid + 1):
                body = pr_event(REPO, number, make_pr(REPO, number, {}).head_sha)
                valid.append(("valid", number, str(uuid.uuid4()), body))
            forged = [
                ("forged", 100_000 + i, str(uuid.uuid4()), pr_event(REPO, 100_000 + i, "f" * 40))
                for i in range(n_forged)
            ]
            redelivered = [("redelivery", *rng.choice(valid)[1:]) for _ in range(n_redelivered)]
            plan = valid + forged + redelivered
            rng.shuffle(plan)

            def send(item: tuple[str, int, str, bytes]) -> tuple[str, int, str, int, float]:
                kind, number, delivery, body = item
                t0 = time.perf_counter()
                r = deliver(f"{base}/webhook", SECRET, body, delivery=delivery, forge=kind == "forged")
                return kind, number, delivery, r.status_code, time.perf_counter() - t0

            t_start = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                results = list(pool.map(send, plan))
            t_sent = time.perf_counter() - t_start
            deadline = time.time() + 600
            while time.time() < deadline:
                q = requests.get(f"{base}/healthz", timeout=5).json()["queue"]
                if q["queued"] == 0 and q["running"] == 0:
                    break
                time.sleep(0.5)
            t_drained = time.perf_counter() - t_start
        finally:
            proc.terminate()
            proc.wait(timeout=30)

        accepted_ids: dict[str, int] = {}
        for kind, _, delivery, status, _ in results:
            if kind != "forged" and status == 202:
                accepted_ids[delivery] = accepted_ids.get(delivery, 0) + 1
        valid_numbers = {number for kind, number, *_ in plan if kind == "valid"}
        reviews = {n: len(fake.reviews_of(REPO, n)) for n in valid_numbers}
        lost = sum(1 for n in valid_numbers if reviews[n] == 0)
        duplicated = sum(1 for n in valid_numbers if reviews[n] > 1) + sum(1 for c in accepted_ids.values() if c > 1)
        forged_accepted = sum(
            1
            for kind, number, _, status, _ in results
            if kind == "forged" and (status < 300 or fake.reviews_of(REPO, number))
        )
        latencies = [lat * 1000 for *_, lat in results]
        print(
            f"deliveries: {len(results)} ({n_valid} valid, {n_forged} forged, {n_redelivered} redelivered); "
            f"{args.clients} clients, {args.workers} workers"
        )
        print(f"lost: {lost}  duplicated: {duplicated}  forged-accepted: {forged_accepted}")
        print(
            f"response ms: p50 {percentile(latencies, 0.5):.1f}  p99 {percentile(latencies, 0.99):.1f}  "
            f"max {max(latencies):.1f}"
        )
        print(
            f"all sent in {t_sent:.1f}s; queue drained (all reviews posted) after {t_drained:.1f}s; "
            f"reviews on the fake: {len(fake.posted_reviews)}"
        )
        return 0 if lost == duplicated == forged_accepted == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
