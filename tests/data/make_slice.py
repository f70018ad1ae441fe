"""Rebuild ``codeforces_slice.jsonl.gz``: a few whole problems of the corpus, for the tests that need real solutions.

    python tests/data/make_slice.py [--data ../shared/data/codeforces_python.jsonl.gz]

Each line is the corpus's own line for that problem, unchanged (statement, tests, every solution), in the corpus's
order, so code that reads the corpus reads the slice. The problems are the ones with the most solutions that parse
as Python 3 per byte (the tokenizer and canonical-form tests need a few hundred such programs) among those with
>= 20 solutions and >= 5 complete tests. ``tests/test_corpus_slice.py`` checks the slice against the corpus when the
corpus is present. Source and credit: the corpus's (README, "The data").
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
SLICE = HERE / "codeforces_slice.jsonl.gz"
PROBLEMS = ("1_A", "617_A", "4_A", "486_A", "268_B", "554_A", "110_A", "34_B", "439_A", "318_A", "560_A", "59_A")


def slice_lines(data: Path, problems: Sequence[str] = PROBLEMS) -> list[str]:
    wanted = set(problems)
    with gzip.open(data, "rt", encoding="utf-8") as f:
        return [line for line in f if json.loads(line)["problem"] in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=HERE.parents[1].parent / "shared/data/codeforces_python.jsonl.gz")
    ap.add_argument("--out", type=Path, default=SLICE)
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"error: corpus not found: {args.data}", file=sys.stderr)
        return 2
    lines = slice_lines(args.data)
    if len(lines) != len(PROBLEMS):
        print(f"error: {len(PROBLEMS) - len(lines)} of the slice's problems are not in {args.data}", file=sys.stderr)
        return 1
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:  # mtime 0: reproducible
        f.write("".join(lines).encode("utf-8"))
    print(f"wrote {args.out}: {len(lines)} problems, {args.out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
