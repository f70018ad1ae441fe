"""``speedhints data canonical`` and ``speedhints data tokenizer``: the canonical corpus and the BPE tokenizer.

``canonical`` puts every converted solution through the canonical form (model_export/canonical.py, the same code
inference runs) into WORK/canonical.jsonl, which the pairs stage reads. ``tokenizer`` trains the byte-level BPE
tokenizer on it and commits ``training/corpus/tokenizer.json`` with the tokens-per-solution figures beside it.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from speedhints.model_export.canonical import CanonicalError, canonicalize
from speedhints.model_export.tokenizer import CodeTokenizer
from speedhints.training.data.convert import DEFAULT_WORK, REPO_ROOT

CORPUS_DIR = REPO_ROOT / "training" / "corpus"

DEFAULT_VOCAB = 2048


@dataclass(frozen=True)
class CanonicalSolution:
    problem: str
    id: str
    sha256: str  # of the converted (Python 3) code, as in the verify/measure tables
    code: str  # canonical code
    names: dict[str, str]
    strings: dict[str, str]


def _canonical_one(job: tuple[str, str, str, str]) -> CanonicalSolution | str:
    problem, sid, sha, code = job
    try:
        c = canonicalize(code)
    except (CanonicalError, RecursionError) as exc:
        return f"{problem}/{sid}: {exc}"
    return CanonicalSolution(problem, sid, sha, c.code, c.names, c.strings)


def build_canonical_corpus(work: Path, workers: int = 2, echo=click.echo) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from speedhints.training.data.convert import load_converted

    converted = [c for c in load_converted(work) if c.status == "ok" and c.code is not None]
    jobs = [(c.problem, c.id, c.sha256, c.code or "") for c in converted]
    target = work / "canonical.jsonl"
    tmp = target.with_suffix(".jsonl.tmp")
    counts = {"solutions": len(jobs), "ok": 0, "failed": 0}
    start = time.perf_counter()
    with open(tmp, "w", encoding="utf-8") as f, ProcessPoolExecutor(workers) as pool:
        for i, result in enumerate(pool.map(_canonical_one, jobs, chunksize=64), 1):
            if isinstance(result, str):
                counts["failed"] += 1
                echo(f"canonical: skipped {result}", err=True)
            else:
                counts["ok"] += 1
                f.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
            if i % 5000 == 0:
                echo(f"canonical {i}/{len(jobs)} ({i / (time.perf_counter() - start):.0f}/s)")
    os.replace(tmp, target)
    return counts


def load_canonical(work: Path) -> Iterator[CanonicalSolution]:
    with open(work / "canonical.jsonl", encoding="utf-8") as f:
        for line in f:
            yield CanonicalSolution(**json.loads(line))


def token_stats(tokenizer: CodeTokenizer, codes: list[str]) -> dict[str, float]:
    lengths = sorted(len(ids) for ids in tokenizer.encode_batch(codes))
    return {
        "solutions": len(lengths),
        "mean_tokens": round(statistics.fmean(lengths), 1),
        "median_tokens": float(statistics.median(lengths)),
        "p95_tokens": float(lengths[int(0.95 * (len(lengths) - 1))]),
        "max_tokens": float(lengths[-1]),
    }


@click.command("canonical")
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
def canonical_command(work: Path, workers: int) -> int:
    """Canonicalise every converted solution into WORK/canonical.jsonl."""
    if not (work / "converted.jsonl").is_file():
        click.echo(f"error: {work / 'converted.jsonl'} not found: run `speedhints data convert` first", err=True)
        return 2
    counts = build_canonical_corpus(work, workers)
    click.echo(f"canonical: {counts['ok']} of {counts['solutions']} solutions ({counts['failed']} failed)")
    return 0


@click.command("tokenizer")
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option("--vocab-size", type=click.IntRange(min=600), default=DEFAULT_VOCAB, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=CORPUS_DIR / "tokenizer.json", show_default=True)
def tokenizer_command(work: Path, vocab_size: int, out: Path) -> int:
    """Train the BPE tokenizer on WORK/canonical.jsonl; write it and its tokens-per-solution figures."""
    if not (work / "canonical.jsonl").is_file():
        click.echo(f"error: {work / 'canonical.jsonl'} not found: run `speedhints data canonical` first", err=True)
        return 2
    codes = [s.code for s in load_canonical(work)]
    start = time.perf_counter()
    tokenizer = CodeTokenizer.train(codes, vocab_size=vocab_size)
    seconds = time.perf_counter() - start
    bad = sum(tokenizer.decode(ids) != code for ids, code in zip(tokenizer.encode_batch(codes), codes, strict=True))
    stats = {"vocab_size": tokenizer.vocab_size, "train_seconds": round(seconds, 1), "roundtrip_failures": bad,
             **token_stats(tokenizer, codes)}
    tokenizer.save(out)
    out.with_name(out.stem + "_stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    click.echo(json.dumps(stats))
    return 1 if bad else 0
