"""The canonical code of every committed pair (``training/corpus/pairs.tsv``), rebuilt from the corpus alone.

Training reads pairs with code from WORK/pairs/<split>/*.jsonl, written by the whole data pipeline. Checks that must
hold on *every* real pair (the edit script's ``apply(x, diff(x, y)) == y``, its granularity figures) need only the
two programs of each pair, so this module converts (py2 -> py3, convert.py) and canonicalises just the ~7.3k
solutions the pairs name, the same functions the pipeline runs, so the code is the code training sees.
When WORK/canonical.jsonl exists (the pipeline ran here) it is used as is. Otherwise the result is cached in
WORK/pair_code.jsonl keyed by each solution's source sha256: the first build takes ~4 min of one core, later
reads a second.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from speedhints.training.data.convert import DEFAULT_DATA, DEFAULT_WORK, convert_source, read_problems
from speedhints.training.data.pairs import DEFAULT_PAIRS, read_pairs

CACHE_NAME = "pair_code.jsonl"
Key = tuple[str, str]  # (problem, solution id)


def pair_keys(pairs_path: Path = DEFAULT_PAIRS) -> list[tuple[Key, Key]]:
    return [((p.problem, p.slow), (p.problem, p.fast)) for p in read_pairs(pairs_path)]


def _canonical(job: tuple[Key, str]) -> tuple[Key, str | None]:
    from speedhints.model_export.canonical import CanonicalError, canonicalize

    key, source = job
    code, _ = convert_source(source)
    if code is None:
        return key, None
    try:
        return key, canonicalize(code).code
    except (CanonicalError, RecursionError):
        return key, None


def _sha(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogateescape")).hexdigest()


def canonical_codes(keys: Iterable[Key], data: Path = DEFAULT_DATA, work: Path = DEFAULT_WORK,
                    workers: int = 1) -> dict[Key, str]:
    """Canonical code of each solution in ``keys`` that converts and canonicalises (the others are left out)."""
    wanted = set(keys)
    pipeline = work / "canonical.jsonl"
    if pipeline.is_file():
        out: dict[Key, str] = {}
        with pipeline.open(encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                if (d["problem"], d["id"]) in wanted:
                    out[(d["problem"], d["id"])] = d["code"]
        return out
    if not data.is_file():
        raise FileNotFoundError(f"{data}: the corpus is missing (pass --data)")
    sources: dict[Key, str] = {}
    for problem in read_problems(data):
        for sol in problem["solutions"]:
            key = (str(problem["problem"]), str(sol["id"]))
            if key in wanted:
                sources[key] = sol["code"]
    cache_path = work / CACHE_NAME
    cached: dict[Key, tuple[str, str | None]] = {}
    if cache_path.is_file():
        with cache_path.open(encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                cached[(d["problem"], d["id"])] = (d["sha"], d["code"])
    todo = [(k, s) for k, s in sources.items() if cached.get(k, ("", None))[0] != _sha(s)]
    if todo:
        with ProcessPoolExecutor(workers) as pool:
            for key, code in pool.map(_canonical, todo, chunksize=32):
                cached[key] = (_sha(sources[key]), code)
        work.mkdir(parents=True, exist_ok=True)
        tmp = cache_path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for (problem, sid), (sha, code) in sorted(cached.items()):
                f.write(json.dumps({"problem": problem, "id": sid, "sha": sha, "code": code}) + "\n")
        os.replace(tmp, cache_path)  # a killed build leaves the previous cache intact
    return {k: code for k, (_, code) in cached.items() if k in sources and code is not None}


def real_pairs(data: Path = DEFAULT_DATA, pairs_path: Path = DEFAULT_PAIRS, work: Path = DEFAULT_WORK,
               workers: int = 1) -> tuple[list[tuple[str, str]], int]:
    """(x, y) canonical code of every pair in ``pairs_path``, and how many pairs were left out (unconvertible)."""
    keys = pair_keys(pairs_path)
    codes = canonical_codes({k for pair in keys for k in pair}, data, work, workers)
    out = [(codes[s], codes[f]) for s, f in keys if s in codes and f in codes]
    return out, len(keys) - len(out)
