"""``speedhints data splits``: the two splits of the pairs, and the reference sets R(x) of their test inputs.

- ``by_problem`` (the main split): a problem's pairs all go to one of train / valid / test (80 / 10 / 10, by a hash
  of the problem id, so a problem keeps its split as the corpus grows): validation and test problems are never
  seen in training.
- ``paper`` (the paper's split): 100 slow programs drawn with a fixed seed are the test inputs; their pairs are the
  test set, and every other pair that contains one of them (on either side) is dropped so they stay unseen; 5 % of
  the remaining pairs (by a hash of the pair) are validation, the rest training.

R(x) for a test input x: every timed, uncensored solution of x's problem faster than x, with its runtime and
ROUGE-8 to x; evaluation (issue #5) applies its own neighbourhood threshold.

Committed: ``training/corpus/splits.tsv`` (each pair's split under both schemes) and ``training/corpus/refs.tsv``
(problem, split scheme, x, reference, runtime, similarity). Written to WORK/pairs/<scheme>/: ``train.jsonl``,
``valid.jsonl``, ``test.jsonl`` (one pair per line, canonical code joined in) and ``refs.jsonl`` (one test input per
line with its references' code), the files ``speedhints train`` and ``speedhints eval`` read.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path

import click

from speedhints.training.data.convert import DEFAULT_WORK, REPO_ROOT
from speedhints.training.data.pairs import DEFAULT_PAIRS, DEFAULT_RUNTIMES, Pair, Runtime, read_pairs, read_runtimes
from speedhints.training.data.similarity import code_tokens, rouge_n

CORPUS_DIR = REPO_ROOT / "training" / "corpus"

SCHEMES = ("by_problem", "paper")
PAPER_TEST_INPUTS = 100
PAPER_SEED = 2022


def _unit(key: str) -> float:
    """A stable number in [0, 1) for a key."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) / 16**12


def by_problem_split(problem: str) -> str:
    u = _unit(f"split/{problem}")
    return "train" if u < 0.8 else "valid" if u < 0.9 else "test"


def paper_splits(pairs: list[Pair], n_test: int = PAPER_TEST_INPUTS, seed: int = PAPER_SEED) -> list[str | None]:
    """The paper's split of each pair (None: dropped because it touches a test input)."""
    inputs = sorted({(p.problem, p.slow) for p in pairs})
    test_inputs = set(random.Random(seed).sample(inputs, min(n_test, len(inputs))))
    out: list[str | None] = []
    for p in pairs:
        if (p.problem, p.slow) in test_inputs:
            out.append("test")
        elif (p.problem, p.fast) in test_inputs:
            out.append(None)
        else:
            out.append("valid" if _unit(f"valid/{p.problem}/{p.slow}/{p.fast}") < 0.05 else "train")
    return out


def assign(pairs: list[Pair]) -> dict[str, list[str | None]]:
    return {"by_problem": [by_problem_split(p.problem) for p in pairs], "paper": paper_splits(pairs)}


def references(
    test_inputs: set[tuple[str, str]],
    runtimes: dict[tuple[str, str], Runtime],
    code: dict[tuple[str, str], str],
) -> dict[tuple[str, str], list[tuple[str, float, float]]]:
    """(problem, x) -> [(reference id, runtime ms, ROUGE-8 to x)], fastest first."""
    by_problem: dict[str, list[Runtime]] = defaultdict(list)
    for rt in runtimes.values():
        if not rt.censored and (rt.problem, rt.solution) in code:
            by_problem[rt.problem].append(rt)
    out = {}
    for problem, x in sorted(test_inputs):
        x_rt = runtimes[(problem, x)]
        x_tokens = code_tokens(code[(problem, x)])
        refs = [
            (rt.solution, rt.ms, rouge_n(x_tokens, code_tokens(code[(problem, rt.solution)])))
            for rt in by_problem[problem]
            if rt.ms < x_rt.ms and rt.solution != x
        ]
        out[(problem, x)] = sorted(refs, key=lambda r: (r[1], r[0]))
    return out


def write_tsv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    tmp = path.with_suffix(".tsv.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    tmp.replace(path)


def write_splits(
    work: Path, pairs_path: Path, runtimes_path: Path, corpus_dir: Path = CORPUS_DIR
) -> dict[str, dict[str, int]]:
    from speedhints.training.tokenizer_cli import load_canonical

    pairs = read_pairs(pairs_path)
    runtimes = read_runtimes(runtimes_path)
    code = {(s.problem, s.id): s.code for s in load_canonical(work)}
    splits = assign(pairs)
    write_tsv(
        corpus_dir / "splits.tsv",
        ["problem", "slow", "fast", *SCHEMES],
        [[p.problem, p.slow, p.fast, *(splits[s][i] or "-" for s in SCHEMES)] for i, p in enumerate(pairs)],
    )
    counts: dict[str, dict[str, int]] = {}
    ref_rows: list[list[str]] = []
    for scheme in SCHEMES:
        folder = work / "pairs" / scheme
        folder.mkdir(parents=True, exist_ok=True)
        counts[scheme] = {"train": 0, "valid": 0, "test": 0, "dropped": 0}
        with contextlib.ExitStack() as stack:
            files = {name: stack.enter_context(open(folder / f"{name}.jsonl", "w", encoding="utf-8"))
                     for name in ("train", "valid", "test")}
            for p, split in zip(pairs, splits[scheme], strict=True):
                if split is None:
                    counts[scheme]["dropped"] += 1
                    continue
                counts[scheme][split] += 1
                record = {"problem": p.problem, "slow_id": p.slow, "fast_id": p.fast, "slow": code[(p.problem, p.slow)],
                          "fast": code[(p.problem, p.fast)], "speedup": p.speedup}
                files[split].write(json.dumps(record) + "\n")
        test_inputs = {(p.problem, p.slow) for p, s in zip(pairs, splits[scheme], strict=True) if s == "test"}
        refs = references(test_inputs, runtimes, code)
        with open(folder / "refs.jsonl", "w", encoding="utf-8") as f:
            for (problem, x), rs in refs.items():
                f.write(json.dumps({
                    "problem": problem, "id": x, "code": code[(problem, x)], "ms": runtimes[(problem, x)].ms,
                    "refs": [{"id": r, "code": code[(problem, r)], "ms": ms, "rouge8": sim} for r, ms, sim in rs],
                }) + "\n")
                ref_rows += [[problem, scheme, x, r, f"{ms:.1f}", f"{sim:.4f}"] for r, ms, sim in rs]
        counts[scheme]["test_inputs"] = len(test_inputs)
    write_tsv(corpus_dir / "refs.tsv", ["problem", "scheme", "x", "ref", "ref_ms", "rouge8"], sorted(ref_rows))
    return counts


@click.command("splits")
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option("--pairs", "pairs_path", type=click.Path(path_type=Path), default=DEFAULT_PAIRS, show_default=True)
@click.option("--runtimes", type=click.Path(path_type=Path), default=DEFAULT_RUNTIMES, show_default=True)
def splits_command(work: Path, pairs_path: Path, runtimes: Path) -> int:
    """Split the pairs (by problem; the paper's way) and write the training files and reference sets."""
    for path in (pairs_path, runtimes, work / "canonical.jsonl"):
        if not path.is_file():
            click.echo(f"error: {path} not found: run the earlier `speedhints data` stages first", err=True)
            return 2
    counts = write_splits(work, pairs_path, runtimes)
    for scheme, c in counts.items():
        click.echo(f"{scheme}: " + ", ".join(f"{k} {v}" for k, v in c.items()))
    return 0
