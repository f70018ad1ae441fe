"""How the bot asks the runtime about a file's regions: all in one padded batch (before issue #17 item 6) vs
groups of similar length (``speedhints.bot.runner.suggest_by_length``, what the bot does now) vs one call per
region. Same process, same model, the strategies interleaved program by program, so the totals compare as ratios
on a shared machine; every strategy must give the same hints (asserted: same lines, latent and suggestion, scores
within 1e-4) and decode the same candidates before any filtering (hints are rare), or the script stops. Both the
process CPU time (onnxruntime runs on one thread here; CPU time is what contention on a shared machine disturbs
least) and the wall time are reported.

Programs: Python 3 solutions of the corpus with at least two regions (functions or runs of top-level code), each
reviewed as a new file (every line changed), top-4 latents per region, the shipped model.

    python benchmarks/bench_bot_batching.py [--data PATH] [--programs 80] [--top-k 4] [--json]
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from speedhints.bot.runner import suggest_by_length
from speedhints.model_export.bundle import load_bundle
from speedhints.model_export.canonical import Canonical
from speedhints.model_export.hints import Hint, LineRange, Suggester
from speedhints.model_export.regions import CodeRegion, touched_regions
from speedhints.model_export.runtime import Candidate, OnnxSuggester, RuntimeConfig
from speedhints.model_export.source import BadInput, decode_source, source_lines

DEFAULT_DATA = Path("/work/shared/data/codeforces_python.jsonl.gz")

class RecordingSuggester(OnnxSuggester):
    """The runtime, remembering every decoded candidate (region start, latent, output) before the checks."""

    decoded: list[tuple[int, int, str]]

    def candidates(self, prepared: Sequence[tuple[CodeRegion, Canonical, list[int]]], top_k: int) -> list[Candidate]:
        out = super().candidates(prepared, top_k)
        self.decoded.extend((c.region.start, c.latent, c.output) for c in out)
        return out


Strategy = Callable[[Suggester, str, str, Sequence[LineRange], int], list[Hint]]


def one_batch(s: Suggester, path: str, text: str, changed: Sequence[LineRange], top_k: int) -> list[Hint]:
    return s.suggest(path, text, changed, top_k=top_k)  # what the bot did before: every region in one call


def per_region(s: Suggester, path: str, text: str, changed: Sequence[LineRange], top_k: int) -> list[Hint]:
    return suggest_by_length(s, path, text, changed, top_k, ratio=0.0)  # a group never takes a second region


def by_length(s: Suggester, path: str, text: str, changed: Sequence[LineRange], top_k: int) -> list[Hint]:
    return suggest_by_length(s, path, text, changed, top_k)


STRATEGIES: dict[str, Strategy] = {"one batch (before)": one_batch, "by length (now)": by_length,
                                   "per region": per_region}


def programs(data: Path, n: int, seed: int) -> Iterator[str]:
    """Up to ``n`` multi-region Python 3 solutions, in a seeded random order of the corpus's problems."""
    with gzip.open(data, "rt") as f:
        rows = [json.loads(line) for line in f]
    random.Random(seed).shuffle(rows)
    found = 0
    for row in rows:
        solutions = row["solutions"]
        if isinstance(solutions, str):
            solutions = ast.literal_eval(solutions)
        for sol in solutions[:3]:
            try:
                text = decode_source(sol["code"].encode())
                if len(touched_regions(text, None)) < 2:
                    continue
            except BadInput:
                continue
            yield text
            found += 1
            if found == n:
                return
            break  # one program per problem


def key(hints: Sequence[Hint]) -> list[tuple[int, int, int, str]]:
    return sorted((h.start_line, h.end_line, h.latent, h.suggestion) for h in hints)


def same(a: Sequence[Hint], b: Sequence[Hint]) -> bool:
    if key(a) != key(b):
        return False
    score = {(h.start_line, h.latent, h.suggestion): h.score for h in a}
    return all(abs(score[(h.start_line, h.latent, h.suggestion)] - h.score) < 1e-4 for h in b)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--programs", type=int, default=80)
    ap.add_argument("--top-k", type=int, default=4)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"bench_bot_batching: no corpus at {args.data} (pass --data)", file=sys.stderr)
        return 2
    config = RuntimeConfig()
    suggester = RecordingSuggester(load_bundle(None, config.precision), config)
    texts = list(programs(args.data, args.programs, args.seed))
    totals = dict.fromkeys(STRATEGIES, 0.0)
    walls = dict.fromkeys(STRATEGIES, 0.0)
    regions = hints = decoded = 0
    names = list(STRATEGIES)
    for i, text in enumerate(texts):
        changed = [(1, len(source_lines(text)))]
        regions += len(touched_regions(text, changed))
        results: dict[str, tuple[list[Hint], list[tuple[int, int, str]]]] = {}
        for name in names[i % len(names):] + names[: i % len(names)]:  # rotate who goes first (warm caches)
            suggester.decoded = []
            cpu, wall = time.process_time(), time.perf_counter()
            got = STRATEGIES[name](suggester, "p.py", text, changed, args.top_k)
            totals[name] += time.process_time() - cpu
            walls[name] += time.perf_counter() - wall
            results[name] = got, sorted(suggester.decoded)
        base, base_decoded = results[names[0]]
        for name, (got, got_decoded) in results.items():
            if not same(base, got) or got_decoded != base_decoded:
                print(f"bench_bot_batching: program {i}: {name!r} gave other hints or candidates than "
                      f"{names[0]!r}", file=sys.stderr)
                return 1
        hints += len(base)
        decoded += len(base_decoded)
    before = totals[names[0]]
    report = {"programs": len(texts), "regions": regions, "decoded": decoded, "hints": hints, "top_k": args.top_k,
              "cpu_s": {k: round(v, 3) for k, v in totals.items()},
              "wall_s": {k: round(v, 3) for k, v in walls.items()},
              "cpu_ratio_to_before": {k: round(v / before, 3) for k, v in totals.items()},
              "wall_ratio_to_before": {k: round(v / walls[names[0]], 3) for k, v in walls.items()}}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{len(texts)} programs, {regions} regions, top-{args.top_k}: {decoded} decoded candidates and {hints} "
          "hints, identical for every strategy")
    print(f"  {'strategy':<20} {'CPU s':>8} {'ratio':>6}   {'wall s':>8} {'ratio':>6}")
    for name in names:
        print(f"  {name:<20} {totals[name]:8.2f} {totals[name] / before:6.2f}   {walls[name]:8.2f} "
              f"{walls[name] / walls[names[0]]:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
