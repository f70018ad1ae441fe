"""Were the candidates the new checks refuse really broken? Run them and see.

Takes the candidates of ``refusal_counts.py`` (its cache: the shipped bundle's candidates for the by_problem test
inputs) that the checks at ``--before`` showed and the current checks refuse, and, for comparison, those both
show. Each candidate is put into its program in place of its region (the user's file as the hint would leave it),
run in the training sandbox on the problem's first complete test, and classed: the exception it died of
(NameError, TypeError, SyntaxError...), ``timeout``, ``wrong`` output, or ``correct``. A refused candidate that
prints the right answer is one the checks may have refused wrongly; the share that dies of exactly the error the
check named is what it caught.

    python benchmarks/refusal_crashes.py [--per-key 60] [--scan 8000] [--before main]

Needs the ``train`` extra, the corpus and the cache (run refusal_counts.py first).

Measured 2026-12-03 (branch checks against main 9b21259, ``--per-key 60 --scan 8000``; a program stops at its
first error, which need not be the one the check named):

    type error (60 run): TypeError 41, EOFError 7, wrong 5, AttributeError 4, ValueError 2, IndexError 1
    undefined name (60 run): NameError 18, TypeError 13, EOFError 10, wrong 6, AttributeError 5, IndexError 4, ...
    rewrites a constant (28 run): TypeError 13, EOFError 7, wrong 5, IndexError 2, AttributeError 1
    deletes comment (5 run): EOFError 3, ValueError 1, TypeError 1
    deletes docstring (9 run): wrong 7, correct 1, IndexError 1
    compile error (3 run): SyntaxError 3
    shown by both (60 run): wrong 30, TypeError 16, IndexError 4, EOFError 3, correct 2, ValueError 2, ...

Of 165 newly refused candidates run, one printed the right answer: it deleted the program's leading docstring,
which that check refuses by design (a hint must not delete the user's text), not as a crash.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import refusal_counts as rc  # type: ignore[import-not-found]  # the script beside this one


def first_tests(data: Path, problems: set[str]) -> dict[str, tuple[bytes, bytes]]:
    """Problem -> (input, expected output) of its first complete test."""
    from speedhints.training.data.convert import untruncated_tests

    out: dict[str, tuple[bytes, bytes]] = {}
    with gzip.open(data, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if d["problem"] in problems:
                tests = untruncated_tests(d)
                if tests:
                    out[d["problem"]] = (str(tests[0]["input"]).encode(), str(tests[0]["output"]).encode())
    return out


def spliced(program: str, region: list[object], suggestion: str) -> str:
    """The program with the region's lines replaced by the (already re-indented) suggestion."""
    from speedhints.model_export.regions import source_lines

    lines = source_lines(program)
    start, end = int(region[1]), int(region[2])  # type: ignore[call-overload]
    return "".join([*lines[: start - 1], suggestion, *lines[end:]])


def outcome(result, expected: bytes) -> str:  # type: ignore[no-untyped-def]
    if result.status == "ok":
        return "correct" if result.stdout.split() == expected.split() else "wrong"
    if result.status != "runtime_error":
        return result.status
    last = result.stderr_tail.strip().splitlines()[-1:] or [""]
    return last[0].split(":")[0] or "runtime_error"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=rc.DEFAULT_DATA)
    ap.add_argument("--refs", type=Path, default=rc.CHECKOUT / "training" / "corpus" / "refs.tsv")
    ap.add_argument("--cache", type=Path, default=rc.CHECKOUT / "work" / "refusals" / "candidates.jsonl")
    ap.add_argument("--before", default="main")
    ap.add_argument("--per-key", type=int, default=60, help="candidates run per refusal key (a random sample)")
    ap.add_argument("--scan", type=int, default=8000, help="random cached candidates checked to fill the samples")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not args.cache.is_file():
        print(f"error: no candidates at {args.cache} (run benchmarks/refusal_counts.py first)", file=sys.stderr)
        return 2
    from speedhints.model_export import runtime as rt
    from speedhints.model_export.canonical import Canonical
    from speedhints.model_export.regions import CodeRegion
    from speedhints.training.data.sandbox import Limits, Sandbox

    before = rc.load_refusal(args.before)
    with args.cache.open(encoding="utf-8") as fh:
        rows = [d for d in map(json.loads, fh) if d["region"] is not None]
    random.Random(args.seed).shuffle(rows)
    rows = rows[: args.scan]
    groups: dict[str, list[tuple[dict[str, object], str]]] = defaultdict(list)
    for d in rows:
        cj = d["canonical"]
        c = rt.Candidate(CodeRegion(*d["region"]), Canonical(cj["code"], cj["names"], cj["strings"],
                                                               tuple(cj["reserved"])), d["latent"], d["score"],
                         d["output"])
        shown_after, why = rt._checked(c, frozenset())
        rt.refusal, saved = before, rt.refusal
        try:
            shown_before, _ = rt._checked(c, frozenset())
        finally:
            rt.refusal = saved
        if shown_before is None:
            continue
        key = "shown by both" if shown_after is not None else rc.reason_key(why)
        if len(groups[key]) < args.per_key:
            groups[key].append((d, shown_before))
    wanted = {tuple(d["input"]) for g in groups.values() for d, _ in g}  # type: ignore[misc]
    programs = rc.sources(args.data, sorted(wanted))  # type: ignore[arg-type]
    tests = first_tests(args.data, {p for p, _ in wanted})
    table: dict[str, Counter[str]] = {}
    with Sandbox(workers=1, limits=Limits(cpu_seconds=2.0, wall_seconds=6.0)) as sandbox:
        for key, items in groups.items():
            counts: Counter[str] = Counter()
            for d, suggestion in items:
                problem, sid = d["input"]  # type: ignore[misc]
                if (problem, sid) not in programs or problem not in tests:
                    continue
                stdin, expected = tests[problem]
                code = spliced(programs[(problem, sid)], d["region"], suggestion)  # type: ignore[arg-type]
                counts[outcome(sandbox.run(code, stdin), expected)] += 1
            table[key] = counts
    for key, counts in sorted(table.items(), key=lambda kv: kv[0] == "shown by both"):
        n = sum(counts.values())
        parts = ", ".join(f"{k} {v}" for k, v in counts.most_common())
        print(f"{key} ({n} run): {parts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
