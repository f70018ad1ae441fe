"""Replay the runtime's checks over logged candidates: which shown ones would the checks installed now refuse?

The logs of ``speedhints precision`` (``eval/precision/candidates.jsonl.gz``) and ``speedhints eval --bundle``
(``eval/shown/shipped-<set>/candidates.jsonl.gz``) keep, per candidate, whether it passed the checks, its verdict
(pass / wrong / error / timeout) and the sha256 (16 hex) of the whole program with it applied, not the candidate's
text. So the programs of a log are decoded again with the shipped bundle (every region, all 64 latents, exactly
``precision.candidates_of``) and the decoded candidates are kept in ``--cache`` (decoding is the slow part; a second
run only re-checks). Each cached candidate then goes through the runtime's checks as installed now
(``runtime._checked``) and is matched to its log row by (problem, id, region start, latent).

A logged shown row is counted as *refused now* (by its logged verdict and by the new reason key) when the current
checks refuse its candidate; *still shown* when they pass it and the spliced program's sha equals the logged one;
*drift* when the re-decoded candidate is not the logged one (another program, or refused before: onnxruntime
numerics; these are counted, not judged). Refused rows the checks now show would also be drift.

    python benchmarks/refusal_replay.py [--log PATH ...] [--data PATH] [--cache-dir work/replay] [--json]

Default logs: eval/precision (validation) and eval/shown/shipped-{by_problem,paper}. synth_test's programs are
synthetic slow variants, not corpus solutions: give ``--log eval/shown/shipped-synth_test/candidates.jsonl.gz``
and it is rebuilt with the evaluation's own maker (training/evaluation/test_sets.py). Needs the ``train`` extra
(fissix for the Python 2 -> 3 conversion) and the corpus.

Measured 2026-12-03 (branch typegaps: unpacking, certain items, calling, join, kinds along the flow), all four
logs, 0 drift (every shown candidate re-decoded to its logged program): precision refuses now 809 of 2,337
errors, 55 of 3,082 wrongs, 0 of 9 timeouts; by_problem 387 of 837 errors, 27 of 706 wrongs, 0 of 1 pass;
paper 334 of 877 errors, 8 of 1,022 wrongs, 0 of 207 pass; synth_test 3 of 12 errors, 0 of 11 pass. All by
``type error``; nothing refused in a log is shown now. Decoding took about 1 s per program.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = CHECKOUT.parent / "shared" / "data" / "codeforces_python.jsonl.gz"
DEFAULT_LOGS = (CHECKOUT / "eval" / "precision" / "candidates.jsonl.gz",  # the shipped bundle's own logs
                CHECKOUT / "eval" / "shown" / "shipped-by_problem" / "candidates.jsonl.gz",
                CHECKOUT / "eval" / "shown" / "shipped-paper" / "candidates.jsonl.gz")  # fmt: skip


def bundle_key(bundle: Path | None) -> str:
    """A short key of the bundle's sealed manifest (its files' checksums): the decode cache is per model."""
    from speedhints.model_export.bundle import require_bundle

    return hashlib.sha256((require_bundle(bundle) / "manifest.json").read_bytes()).hexdigest()[:12]


def log_name(log: Path) -> str:
    return log.parent.name


def read_log(log: Path) -> list[dict[str, Any]]:
    with gzip.open(log, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def corpus_sources(data: Path, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Python 3 source of each (problem, id), converted as ``precision.prepare`` converts (``_convert_one``)."""
    from speedhints.training.data.convert import _convert_one, read_problems

    problems = {p for p, _ in keys}
    out: dict[tuple[str, str], str] = {}
    for p in read_problems(data):
        if p["problem"] not in problems:
            continue
        for s in p["solutions"]:
            key = (str(p["problem"]), str(s["id"]))
            if key in keys:
                c = _convert_one((key[0], key[1], str(s["code"])))
                if c.code:
                    out[key] = c.code
    return out


def synth_sources(data: Path, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The synthetic slow variants of synth_test, remade as ``speedhints eval`` remakes them."""
    from speedhints.training.data.convert import _convert_one, read_problems
    from speedhints.training.evaluation import test_sets

    maker = test_sets.synth_sources(test_sets.synth_test_rows())
    problems = {p for p, _ in keys}
    converted = [_convert_one((str(p["problem"]), str(s["id"]), str(s["code"])))
                 for p in read_problems(data) if p["problem"] in problems for s in p["solutions"]]  # fmt: skip
    return {k: v for k, v in maker(converted).items() if k in keys}


def decode(sources: dict[tuple[str, str], str], cache: Path, echo: Callable[[str], None],
           bundle: Path | None = None) -> None:
    """Append one JSON line per decoded candidate (every region, every latent) to ``cache`` for every program not
    in it yet, plus a marker line per program."""
    from speedhints.model_export.bundle import load_bundle
    from speedhints.model_export.runtime import OnnxSuggester, RuntimeConfig
    from speedhints.training.evaluation.precision import prepared_regions

    done: set[tuple[str, str]] = set()
    if cache.is_file():
        with cache.open(encoding="utf-8") as fh:
            done = {tuple(json.loads(line)["input"]) for line in fh if line.strip()}  # type: ignore[misc]
    todo = [k for k in sources if k not in done]
    if not todo:
        return
    suggester = OnnxSuggester(load_bundle(bundle), RuntimeConfig(threads=1, min_precision=0.0))
    cache.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with cache.open("a", encoding="utf-8") as out:
        for n, key in enumerate(todo, 1):
            rows: list[dict[str, Any]] = []
            prepared = prepared_regions(suggester, sources[key])
            if prepared:
                for c in suggester.candidates(prepared, suggester.spec.codebook_size):
                    r = c.region
                    rows.append({"region": [r.name, r.start, r.end, r.indent, r.code],
                                 "canonical": c.canonical.to_json(), "latent": c.latent, "score": c.score,
                                 "output": c.output, "error": c.error})  # fmt: skip
            for row in [*rows, {"region": None}]:
                out.write(json.dumps({"input": list(key), **row}) + "\n")
            out.flush()
            echo(f"decoded {n}/{len(todo)} programs, {len(rows)} candidates ({time.perf_counter() - t0:.0f} s)")


def replay(cache: Path, sources: dict[tuple[str, str], str]) -> dict[tuple[str, str, int, int], tuple[str | None, str]]:
    """(problem, id, region start, latent) -> (sha16 of the program with the candidate applied or None, why)."""
    from speedhints.model_export.canonical import Canonical
    from speedhints.model_export.regions import CodeRegion, source_lines
    from speedhints.model_export.runtime import Candidate, _checked, _identifiers
    from speedhints.training.evaluation.precision import splice

    out: dict[tuple[str, str, int, int], tuple[str | None, str]] = {}
    with cache.open(encoding="utf-8") as fh:
        rows = [d for d in map(json.loads, fh) if d["region"] is not None]
    for d in rows:
        key = (d["input"][0], d["input"][1])
        if key not in sources:
            continue
        source = sources[key]
        cj = d["canonical"]
        c = Candidate(CodeRegion(*d["region"]), Canonical(cj["code"], cj["names"], cj["strings"],
                                                          tuple(cj["reserved"])),
                      d["latent"], d["score"], d["output"], error=d.get("error", ""))  # fmt: skip
        lines = source_lines(source)
        suggestion, why = _checked(c, _identifiers(source), lines)
        sha = None
        if suggestion is not None:
            program = splice(lines, c.region.start, c.region.end, suggestion)
            sha = hashlib.sha256(program.encode("utf-8")).hexdigest()[:16]
        out[(key[0], key[1], c.region.start, c.latent)] = (sha, why)
    return out


def region_starts(cache: Path) -> dict[tuple[str, str, str, int], list[int]]:
    """(problem, id, region name, latent) -> region starts: the log names a region, not its lines."""
    out: dict[tuple[str, str, str, int], list[int]] = defaultdict(list)
    with cache.open(encoding="utf-8") as fh:
        for d in map(json.loads, fh):
            if d["region"] is not None:
                out[(d["input"][0], d["input"][1], d["region"][0], d["latent"])].append(d["region"][1])
    return out


Checked = dict[tuple[str, str, int, int], tuple[str | None, str]]


def compare(log_rows: Iterable[dict[str, Any]], cache: Path, now: Checked) -> dict[str, Any]:
    """Per logged verdict of the shown rows: still shown, refused now (by reason key), drift."""
    starts = region_starts(cache)
    shown: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    refused: dict[str, Counter[str]] = defaultdict(Counter)
    drift: Counter[str] = Counter()
    newly_shown = 0
    examples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    # Several regions of a program can share a name (module-level runs): a logged row matches any region of
    # that name whose candidate gives the logged program.
    for r in log_rows:
        cands = [now[(r["problem"], r["id"], s, r["latent"])]
                 for s in starts.get((r["problem"], r["id"], r["region"], r["latent"]), [])
                 if (r["problem"], r["id"], s, r["latent"]) in now]  # fmt: skip
        if not r["shown"]:
            if cands and all(sha is not None for sha, _ in cands):
                newly_shown += 1
            continue
        verdict = r["status"]
        shown[verdict] += 1
        same = [why for sha, why in cands if sha == r["program"]]
        if same:
            kept[verdict] += 1
            continue
        # Refused now: some region of that name and latent is refused, none gives the logged program.
        whys = [why for sha, why in cands if sha is None]
        if whys:
            # Another region of the same name may be refused for its own reason: name the type error if any.
            whys.sort(key=lambda w: not w.startswith("type error"))
            key = whys[0].split(":")[0]
            refused[verdict][key] += 1
            if len(examples[key]) < 5:
                examples[key].append({"problem": r["problem"], "id": r["id"], "latent": r["latent"],
                                      "status": verdict, "why": whys[0]})
        else:
            drift[verdict] += 1
    return {"shown": dict(shown), "still_shown": dict(kept),
            "refused_now": {v: dict(c) for v, c in refused.items()},
            "refused_now_total": {v: sum(c.values()) for v, c in refused.items()},
            "drift": dict(drift), "refused_in_log_shown_now": newly_shown, "examples": dict(examples)}


def error_class(stderr: str) -> str:
    """The exception of a run's stderr, its message with quoted names and numbers masked (types kept):
    "TypeError: 'int' object is not subscriptable", "AttributeError: 'int' object has no attribute …"."""
    lines = [x for x in stderr.strip().splitlines() if x.strip()]
    last = lines[-1].strip() if lines else "(no stderr)"
    last = re.sub(r"attribute '[^']*'", "attribute …", last)
    if not last.startswith(("TypeError", "AttributeError")):
        last = re.sub(r"'[^']*'", "…", last)
    return re.sub(r"\d+", "N", last)[:100]


def error_classes(log_rows: Iterable[dict[str, Any]], runs: Sequence[Path], cache: Path,
                  now: dict[tuple[str, str, int, int], tuple[str | None, str]]) -> dict[str, list[int]]:
    """Exception class -> [shown rows with that error in the log, of them refused now], from the stderr the
    evaluation's run cache kept (its code_sha starts with the log's program sha)."""
    import sqlite3

    tails: dict[str, str] = {}
    for path in runs:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        for sha, tail in con.execute("SELECT code_sha, stderr_tail FROM runs ORDER BY rep"):
            if tail.strip():
                tails.setdefault(sha[:16], tail)
        con.close()
    starts = region_starts(cache)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in log_rows:
        if not r["shown"] or r["status"] != "error":
            continue
        cls = error_class(tails.get(r["program"], ""))
        cands = [now.get((r["problem"], r["id"], s, r["latent"]))
                 for s in starts.get((r["problem"], r["id"], r["region"], r["latent"]), [])]  # fmt: skip
        out[cls][0] += 1
        out[cls][1] += not any(c is not None and c[0] == r["program"] for c in cands)
    return dict(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", type=Path, action="append", help="a candidates.jsonl.gz log (repeatable)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=CHECKOUT / "work" / "replay")
    ap.add_argument("--programs", type=int, default=0, help="first N programs of each log only (0: all)")
    ap.add_argument("--decode-only", action="store_true")
    ap.add_argument("--runs", type=Path, action="append", default=[],
                    help="an evaluation run cache (runs.sqlite) whose stderr classes the error rows (repeatable)")
    ap.add_argument("--bundle", type=Path, default=None,
                    help="the bundle that wrote the logs (default: the shipped one); a log of another model drifts")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"error: corpus not found at {args.data} (use --data)", file=sys.stderr)
        return 2
    results = {}
    for log in args.log or DEFAULT_LOGS:
        name = log_name(log)
        rows = read_log(log)
        keys = list(dict.fromkeys((r["problem"], r["id"]) for r in rows))
        if args.programs:
            keys = keys[: args.programs]
        wanted = set(keys)
        rows = [r for r in rows if (r["problem"], r["id"]) in wanted]
        maker = synth_sources if name.endswith("synth_test") else corpus_sources
        sources = maker(args.data, wanted)
        print(f"{name}: {len(keys)} programs, {len(sources)} rebuilt", file=sys.stderr)
        cache = args.cache_dir / f"{name}-{bundle_key(args.bundle)}.jsonl"  # decodings of one bundle only
        decode(sources, cache, lambda s, n=name: print(f"{n}: {s}", file=sys.stderr), args.bundle)
        if args.decode_only:
            continue
        t0 = time.perf_counter()
        now = replay(cache, sources)
        results[name] = compare(rows, cache, now)
        results[name]["programs"] = len(sources)
        results[name]["check_s"] = round(time.perf_counter() - t0, 1)
        if args.runs:
            results[name]["error_classes"] = error_classes(rows, args.runs, cache, now)
    if args.json or not results:
        print(json.dumps(results, indent=1, sort_keys=True))
        return 0
    for name, r in results.items():
        print(f"== {name} ({r['programs']} programs, checks {r['check_s']} s)")
        for verdict in sorted(r["shown"]):
            refused = r["refused_now"].get(verdict, {})
            print(f"  {verdict:8s} shown in log {r['shown'][verdict]:6d}  refused now {sum(refused.values()):5d}  "
                  f"still shown {r['still_shown'].get(verdict, 0):6d}  drift {r['drift'].get(verdict, 0):4d}  "
                  + ", ".join(f"{k} {v}" for k, v in sorted(refused.items(), key=lambda kv: -kv[1])))
        print(f"  refused in the log, shown now: {r['refused_in_log_shown_now']}")
        classes = sorted(r.get("error_classes", {}).items(), key=lambda kv: -kv[1][0])
        if classes:
            print("  errors by exception (rows in the log, refused now):")
        for cls, (n, refused) in classes:
            print(f"    {n:5d} {refused:5d}  {cls}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
