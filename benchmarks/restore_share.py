"""How often a bundle's runtime proposes the original back for a pessimized function or program (issue 18 item 4:
what the library pairs add, on library code and on contest code), bundles side by side on the same inputs.

For each pair (``slow`` -> ``fast``, canonical) of a pairs file: the runtime reads ``slow`` as the hook reads a
file (``OnnxSuggester.readable``: every region, long functions in parts), decodes all 64 latents (min-precision 0,
so the precision gate does not hide any), and applies its static checks (``user_suggestion``). A candidate
*restores* when its region's suggestion, put back into ``slow``, canonicalises to ``fast``. Printed per bundle:
candidates that pass the checks, restoring candidates, the share of inputs restored by any of the 64 latents
(best-of-64) and by the prior's top 4 (what the hook asks by default). No execution: a restore is the original
program, so it is as correct and as fast as the original is.

Usage: python benchmarks/restore_share.py PAIRS.jsonl[:N] ... --bundle NAME=DIR ... (e.g.
work/pairs/library_heldout/test.jsonl work/pairs/synth_test/test.jsonl:100 --bundle shipped=model_export/default_bundle)
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

from speedhints.model_export.canonical import CanonicalError, canonicalize
from speedhints.model_export.runtime import OnnxSuggester, RuntimeConfig, _identifiers, load_runtime, user_suggestion


def canonical(code: str) -> str | None:
    try:
        return canonicalize(code).code
    except (CanonicalError, SyntaxError, RecursionError):
        return None


def score(rt: OnnxSuggester, pairs: Sequence[dict[str, str]]) -> dict[str, float]:
    passed = restoring = any_restored = top4_restored = 0
    for pair in pairs:
        slow, target = pair["slow"], canonical(pair["fast"])
        lines = slow.splitlines(keepends=True)
        prepared = rt.readable(slow)
        top4 = set()
        for item in prepared:  # the prior's top 4 per region: what the hook decodes at its defaults
            (probs,) = rt.rank([item[2]])
            top4 |= {(item[0].span, int(i)) for i in probs.argsort()[::-1][:4]}
        hit = hit4 = False
        for c in rt.candidates(prepared, rt.spec.codebook_size):
            suggestion = user_suggestion(c, _identifiers(slow), lines)
            if suggestion is None:
                continue
            passed += 1
            start, end = c.region.start, c.region.end
            if canonical("".join(lines[: start - 1]) + suggestion + "".join(lines[end:])) == target:
                restoring += 1
                hit = True
                hit4 |= (c.region.span, c.latent) in top4
        any_restored += hit
        top4_restored += hit4
    n = max(1, len(pairs))
    return {"inputs": len(pairs), "pass_checks": passed, "restoring": restoring,
            "best_of_64_restored": round(any_restored / n, 3),
            "top4_restored": round(top4_restored / n, 3)}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pairs", nargs="+", help="a pairs .jsonl, optionally :N for its first N lines")
    ap.add_argument("--bundle", action="append", required=True, help="NAME=DIR")
    args = ap.parse_args(argv)
    sets = {}
    for spec in args.pairs:
        path, _, n = spec.partition(":")
        rows = [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]
        sets[spec] = rows[: int(n)] if n else rows
    for spec in args.bundle:
        name, _, folder = spec.partition("=")
        rt = load_runtime(folder, RuntimeConfig(min_precision=0.0))
        for label, rows in sets.items():
            t = time.perf_counter()
            figures = score(rt, rows)
            print(json.dumps({"bundle": name, "pairs": label, **figures, "seconds": round(time.perf_counter() - t)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
