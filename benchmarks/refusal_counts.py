"""Refused candidates per reason on the ``by_problem`` test inputs, before and after a change to the static checks.

The inputs are the slow programs x of the by_problem test split (``training/corpus/refs.tsv``, scheme
``by_problem``: what ``speedhints eval`` evaluates), converted to Python 3 as the corpus pipeline does. Each is
given to the shipped default bundle as the hook gives a whole file (every region, the top ``--top-k`` latents of
the prior), and every decoded candidate goes through the runtime's checks twice: the checks of plausibility.py at
git ref ``--before`` (default ``main``) and the ones installed now. Candidates are decoded once and kept in
``--cache`` (decoding is the slow part: minutes on this machine's CPU), so a second run only re-counts.

    python benchmarks/refusal_counts.py [--data PATH] [--inputs N] [--top-k K] [--before REF] [--json]

Needs the ``train`` extra (fissix, for the Python 2 -> 3 conversion) and the corpus.

Measured 2026-12-03 on this 2-core machine (branch checks against main 9b21259): the 345 slow programs x that
refs.tsv lists for the by_problem test problems (all convert; a superset of the 209 the eval keeps), every region,
all 64 latents: 24,113 candidates that reached end-of-sequence. Shown: 8,538 before, 5,487 after. Newly refused:
undefined name +2,203 (1,301 -> 3,504), type error 1,201, compile error 105, rewrites a constant 88, deletes
docstring 38, deletes comment 12, runaway constant 1 (number as container 1,885 -> 1,374, interface 333 -> 265,
rewrite 1,257 -> 1,239: the same candidates now refused by an earlier check). With ``--count-top-k 4`` (the
hook's default): 1,528 candidates, shown 611 -> 391. The checks cost 10.6 ms per candidate against 7.5 ms
(1.41x; decanonicalisation included in both).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.util
import inspect
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

CHECKOUT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = CHECKOUT.parent / "shared" / "data" / "codeforces_python.jsonl.gz"
Refusal = Callable[[str, str, str, str], "str | None"]


def test_inputs(refs: Path) -> list[tuple[str, str]]:
    """(problem, id) of every by_problem test input, in file order."""
    with refs.open(encoding="utf-8") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return list(dict.fromkeys((r["problem"], r["x"]) for r in rows if r["scheme"] == "by_problem"))


def sources(data: Path, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Python 3 source of each wanted solution (those fissix cannot convert are left out)."""
    from speedhints.training.data.convert import convert_source

    keys = set(wanted)
    problems = {p for p, _ in wanted}
    out: dict[tuple[str, str], str] = {}
    with gzip.open(data, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if d["problem"] not in problems:
                continue
            for s in d["solutions"]:
                if (d["problem"], str(s["id"])) in keys:
                    code, _ = convert_source(s["code"])
                    if code is not None:
                        out[(d["problem"], str(s["id"]))] = code
    return out


def decode(programs: dict[tuple[str, str], str], top_k: int, cache: Path, echo: Callable[[str], None]) -> None:
    """Append one JSON line per candidate to ``cache`` for every program not already in it."""
    from speedhints.model_export.runtime import RuntimeConfig, load_runtime

    done = set()
    if cache.is_file():
        with cache.open(encoding="utf-8") as fh:
            done = {tuple(json.loads(line)["input"]) for line in fh if line.strip()}
    todo = [k for k in programs if k not in done]
    if not todo:
        return
    # Every top-k latent is decoded: the checks are measured on what the model writes, before the bundle's
    # min_precision gate (which leaves the shipped model silent) decides which latents are shown at all.
    runtime = load_runtime(None, RuntimeConfig(min_precision=0.0))
    cache.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with cache.open("a", encoding="utf-8") as out:
        for n, key in enumerate(todo, 1):
            rows = candidate_rows(runtime, programs[key], top_k)
            # A marker row, so a program with no candidates (every region too long) is not decoded again.
            for row in [*rows, {"region": None}]:
                out.write(json.dumps({"input": list(key), **row}) + "\n")
            out.flush()
            echo(f"decoded {n}/{len(todo)} programs ({time.perf_counter() - t0:.0f} s)")


def candidate_rows(runtime, source: str, top_k: int) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """What ``OnnxSuggester.suggest`` decodes for a whole file, before any check."""
    from speedhints.model_export.canonical import CanonicalError, canonicalize
    from speedhints.model_export.regions import touched_regions
    from speedhints.model_export.source import BadInput

    prepared = []
    try:
        regions = touched_regions(source, None)
    except BadInput:
        return []
    for region in regions:
        try:
            canonical = canonicalize(region.code)
        except CanonicalError:
            continue
        ids = [*runtime.tokenizer.encode(canonical.code), runtime.spec.eos_id]
        if len(ids) <= runtime.spec.max_len:
            prepared.append((region, canonical, ids))
    if not prepared:
        return []
    return [{"region": [c.region.name, c.region.start, c.region.end, c.region.indent, c.region.code],
             "canonical": c.canonical.to_json(), "latent": c.latent, "score": c.score, "output": c.output}
            for c in runtime.candidates(prepared, top_k)]


def load_refusal(ref: str) -> Refusal:
    """``refusal`` of model_export/plausibility.py as it is at git ref ``ref`` (its imports resolve to the
    installed package, so only the checks themselves are the old ones)."""
    text = subprocess.run(["git", "show", f"{ref}:model_export/plausibility.py"], cwd=CHECKOUT, check=True,
                          capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader(f"plausibility_at_{ref}", loader=None)
    assert spec is not None
    module = ModuleType(spec.name)
    exec(compile(text, f"{ref}:model_export/plausibility.py", "exec"), module.__dict__)
    old = module.refusal
    if "region" in inspect.signature(old).parameters:
        return old  # type: ignore[no-any-return]

    def refusal(original: str, suggestion: str, canonical_in: str, canonical_out: str, **_: object) -> str | None:
        return old(original, suggestion, canonical_in, canonical_out)  # type: ignore[no-any-return]

    return refusal  # the older signature, without the region's name


# Before the keys (main at 9b21259) two reasons carried their detail inside the phrase.
_OLD_PHRASES = (("reads undefined name ", "undefined name"), ("uses number ", "number as container"))


def reason_key(why: str) -> str:
    for prefix, key in _OLD_PHRASES:
        if why.startswith(prefix):
            return key
    return why.split(":")[0]


def reasons(cache: Path, refusal: Refusal, top: int = 0) -> tuple[Counter[str], float]:
    """Reason key -> candidates dropped for it ("shown" for those that pass), as the runtime's ``_checked``, and
    the seconds the checks took (decanonicalisation included, the same for both columns). ``top``: only each
    region's ``top`` likeliest latents among those that reached end-of-sequence (the hook decodes its ``--top-k``
    likeliest and drops the unfinished ones, so it may see fewer); 0: every cached one."""
    from speedhints.model_export import runtime as rt
    from speedhints.model_export.canonical import Canonical
    from speedhints.model_export.regions import CodeRegion

    counts: Counter[str] = Counter()
    with cache.open(encoding="utf-8") as fh:
        rows = [d for d in map(json.loads, fh) if d["region"] is not None]
    if top:
        ranked: dict[tuple[str, ...], list[float]] = {}
        for d in rows:
            ranked.setdefault((*d["input"], str(d["region"][1])), []).append(d["score"])
        cut = {k: sorted(v, reverse=True)[:top][-1] for k, v in ranked.items()}
        rows = [d for d in rows if d["score"] >= cut[(*d["input"], str(d["region"][1]))]]
    t0 = time.perf_counter()
    for d in rows:
        cj = d["canonical"]
        c = rt.Candidate(CodeRegion(*d["region"]), Canonical(cj["code"], cj["names"], cj["strings"],
                                                               tuple(cj["reserved"])),
                         d["latent"], d["score"], d["output"])
        saved = rt.refusal
        rt.refusal = refusal  # _checked calls the module's name: the old checks behind the same pre-checks
        try:
            suggestion, why = rt._checked(c, frozenset())
        finally:
            rt.refusal = saved
        counts["shown" if suggestion is not None else reason_key(why)] += 1
    return counts, time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--refs", type=Path, default=CHECKOUT / "training" / "corpus" / "refs.tsv")
    ap.add_argument("--inputs", type=int, default=0, help="first N test inputs only (0: all)")
    ap.add_argument("--top-k", type=int, default=8, help="latents decoded per region (the hook's default is 4)")
    ap.add_argument("--before", default="main", help="git ref whose checks are the 'before' column")
    ap.add_argument("--cache", type=Path, default=CHECKOUT / "work" / "refusals" / "candidates.jsonl")
    ap.add_argument("--count-top-k", type=int, default=0,
                    help="count only each region's N likeliest latents (the hook's default is 4; 0: all decoded)")
    ap.add_argument("--decode-only", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"error: corpus not found at {args.data} (use --data)", file=sys.stderr)
        return 2
    wanted = test_inputs(args.refs)
    if args.inputs:
        wanted = wanted[: args.inputs]
    programs = sources(args.data, wanted)
    print(f"{len(wanted)} by_problem test inputs, {len(programs)} convert to Python 3; top-{args.top_k} latents",
          file=sys.stderr)
    decode(programs, args.top_k, args.cache, lambda s: print(s, file=sys.stderr))
    if args.decode_only:
        return 0
    from speedhints.model_export.plausibility import refusal as after_refusal

    (before, before_s), (after, after_s) = reasons(args.cache, load_refusal(args.before), args.count_top_k), reasons(
        args.cache, after_refusal, args.count_top_k)
    if args.json:
        print(json.dumps({"before": dict(before), "after": dict(after), "before_s": before_s, "after_s": after_s},
                         indent=1, sort_keys=True))
        return 0
    keys = sorted(set(before) | set(after), key=lambda k: (k == "shown", -after[k], k))
    if not keys:
        print("no candidates", file=sys.stderr)
        return 1
    width = max(len(k) for k in keys)
    print(f"{'reason':<{width}}  {'before':>7}  {'after':>7}")
    for k in keys:
        print(f"{k:<{width}}  {before[k]:>7}  {after[k]:>7}")
    print(f"{'candidates':<{width}}  {sum(before.values()):>7}  {sum(after.values()):>7}")
    n = max(sum(after.values()), 1)
    print(f"checks: {before_s / n * 1e3:.2f} ms per candidate before, {after_s / n * 1e3:.2f} ms after "
          f"({after_s / max(before_s, 1e-9):.2f}x), same candidates, one process")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
