"""How many of the corpus's passing solutions each pessimizer family applies to (it makes at least one variant).

``python -m speedhints.training.data.pessimize.coverage [--limit N] [--workers W]`` reads the corpus
(``../shared/data/codeforces_python.jsonl.gz``), keeps the solutions ``training/corpus/verified.tsv`` marks
``pass``, converts them to Python 3 the way ``speedhints data convert`` does, and prints one line per family:
solutions it applies to, their share, and the variants made (``variants``' limit of 8 per solution).
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from speedhints.training.data.convert import DEFAULT_DATA, convert_source

from . import FAMILIES, Family, _parse

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_VERIFIED = REPO_ROOT / "training" / "corpus" / "verified.tsv"


@dataclass
class Coverage:
    solutions: int = 0
    applies: dict[str, int] = field(default_factory=dict)  # family -> solutions with >= 1 variant
    variants: dict[str, int] = field(default_factory=dict)  # family -> variants made

    def add(self, other: Coverage) -> None:
        self.solutions += other.solutions
        for name, count in other.applies.items():
            self.applies[name] = self.applies.get(name, 0) + count
        for name, count in other.variants.items():
            self.variants[name] = self.variants.get(name, 0) + count


def passing_ids(verified: Path) -> set[tuple[str, str]]:
    with open(verified, encoding="utf-8") as f:
        next(f)  # header
        rows = (line.rstrip("\n").split("\t") for line in f)
        return {(row[0], row[1]) for row in rows if len(row) == 4 and row[3] == "pass"}


def corpus_sources(data: Path, keep: set[tuple[str, str]] | None = None, limit: int | None = None,
                   per_problem: int | None = None) -> Iterator[str]:
    """Python 2 sources of the corpus in file order, only those in ``keep`` when given, at most ``per_problem`` of
    each problem and ``limit`` in all."""
    count = 0
    with gzip.open(data, "rt", encoding="utf-8") as f:
        for line in f:
            problem = json.loads(line)
            for taken, solution in enumerate(problem["solutions"]):
                if per_problem is not None and taken >= per_problem:
                    break
                if keep is not None and (problem["problem"], solution["id"]) not in keep:
                    continue
                yield solution["code"]
                count += 1
                if limit is not None and count >= limit:
                    return


def variant_counts(source: str, families: Sequence[Family] = FAMILIES) -> dict[str, int]:
    """Number of distinct variants each family makes of one Python 3 source (parsed once for all families)."""
    parsed = _parse(source)
    if parsed is None:
        return {}
    tree, original = parsed
    out = {}
    for family in families:
        try:
            texts = {ast.unparse(ast.fix_missing_locations(v)) for v in family.transform(tree)} - {original}
        except RecursionError:
            texts = set()
        if texts:
            out[family.name] = min(len(texts), 8)
    return out


def _count_one(python2: str) -> Coverage:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # the corpus's own `is` with literals and friends
        code, _reason = convert_source(python2)
    result = Coverage()
    if code is None:
        return result
    result.solutions = 1
    for name, count in variant_counts(code).items():
        result.applies[name] = 1
        result.variants[name] = count
    return result


def count(sources: Iterator[str], workers: int = 1, progress: Callable[[Coverage], None] | None = None,
          every: int = 5000) -> Coverage:
    """The coverage of ``sources``; ``progress`` sees the running totals every ``every`` sources (a long run)."""
    total = Coverage()
    seen = 0
    with ProcessPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
        results = pool.map(_count_one, sources, chunksize=32) if pool is not None else map(_count_one, sources)
        for one in results:
            total.add(one)
            seen += 1
            if progress is not None and seen % every == 0:
                progress(total)
    return total


def format_table(coverage: Coverage) -> str:
    lines = [f"{'family':<24} {'solutions':>9} {'share':>6} {'variants':>8}"]
    for family in FAMILIES:
        applies = coverage.applies.get(family.name, 0)
        share = applies / coverage.solutions if coverage.solutions else 0.0
        lines.append(f"{family.name:<24} {applies:>9} {share:>6.1%} {coverage.variants.get(family.name, 0):>8}")
    lines.append(f"{'(passing solutions)':<24} {coverage.solutions:>9}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pessimize-coverage", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--verified", type=Path, default=DEFAULT_VERIFIED)
    parser.add_argument("--limit", type=int, default=None, help="only the first N passing solutions")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    for path in (args.data, args.verified):
        if not path.is_file():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 2
    if args.limit is not None and args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    def progress(partial: Coverage) -> None:
        print(f"... {partial.solutions} solutions so far\n{format_table(partial)}", file=sys.stderr, flush=True)

    sources = corpus_sources(args.data, passing_ids(args.verified), args.limit)
    coverage = count(sources, max(1, args.workers), progress)
    print(format_table(coverage))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
