"""Run the families' variants of real solutions on their problems' tests, beside the originals: a check of the
preconditions on real code (``speedhints data synth`` verifies every pair anyway; this is the quick look).

``python -m speedhints.training.data.pessimize.behaviour_check --problems 100 --per-problem 3`` takes the passing
solutions (``training/corpus/verified.tsv``) of the corpus's problems in file order, converts them like ``speedhints
data convert``, makes the first variant of every family, runs original and variant with this Python on up to
``--tests`` untruncated tests each, and prints per family the variants run and those whose exit status or output
differed (token-wise for the two print families, whose whitespace may differ; exactly for the others), then one
line per difference. A run that times out (10 s) on either side is not judged. Exit status 1 when any differed.

Measured: ``--start 560 --problems 200 --per-problem 2 --tests 2``: 145 variants of 15 families, none differed;
the same procedure (a first script of it) over problems 0-560, 3 solutions each: 655 variants of 21 families, none
differed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from speedhints.training.data.compare import outputs_match
from speedhints.training.data.convert import DEFAULT_DATA, convert_source, untruncated_tests

from . import FAMILIES, Family, variants
from .coverage import DEFAULT_VERIFIED, passing_ids

JUDGED_BY_TOKENS = frozenset({"print_per_item", "print_buffered"})  # their edit moves whitespace between tokens
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Difference:
    family: str
    problem: str
    solution: str
    stdin: str
    original: tuple[int, str]
    variant: tuple[int, str]


def run(source: str, stdin: str, workdir: Path) -> tuple[int, str] | None:
    """(exit status, stdout) of ``source`` run by this Python, None when it runs past the time limit."""
    path = workdir / "program.py"
    path.write_text(source, encoding="utf-8")
    try:
        done = subprocess.run([sys.executable, str(path)], input=stdin, capture_output=True, text=True,
                              timeout=TIMEOUT_S, cwd=workdir)
    except subprocess.TimeoutExpired:
        return None
    return done.returncode, done.stdout


def same_behaviour(family: str, original: tuple[int, str], variant: tuple[int, str]) -> bool:
    if original[0] != variant[0]:
        return False
    if family in JUDGED_BY_TOKENS:
        return bool(outputs_match(variant[1], original[1]))
    return original[1] == variant[1]


def check(data: Path, verified: Path, start: int, problems: int, per_problem: int, tests: int,
          families: Sequence[Family] = FAMILIES) -> tuple[dict[str, int], list[Difference]]:
    keep = passing_ids(verified)
    checked: dict[str, int] = {}
    differences: list[Difference] = []
    with tempfile.TemporaryDirectory() as tmp, gzip.open(data, "rt", encoding="utf-8") as f:
        workdir = Path(tmp)
        for index, line in enumerate(f):
            if index < start:
                continue
            if index >= start + problems:
                break
            problem = json.loads(line)
            inputs = [t["input"] for t in untruncated_tests(problem)[:tests]]
            taken = 0
            for solution in problem["solutions"]:
                if taken >= per_problem or not inputs:
                    break
                if (problem["problem"], solution["id"]) not in keep:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SyntaxWarning)
                    code, _reason = convert_source(solution["code"])
                if code is None:
                    continue
                taken += 1
                for family in families:
                    for variant in variants(code, family)[:1]:
                        checked[family.name] = checked.get(family.name, 0) + 1
                        for stdin in inputs:
                            a, b = run(code, stdin, workdir), run(variant, stdin, workdir)
                            if a is not None and b is not None and not same_behaviour(family.name, a, b):
                                differences.append(Difference(family.name, problem["problem"], solution["id"],
                                                              stdin, a, b))
                                break
    return checked, differences


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pessimize-behaviour-check", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--verified", type=Path, default=DEFAULT_VERIFIED)
    parser.add_argument("--start", type=int, default=0, help="skip the first N problems of the corpus")
    parser.add_argument("--problems", type=int, default=50)
    parser.add_argument("--per-problem", type=int, default=3, help="passing solutions taken from each problem")
    parser.add_argument("--tests", type=int, default=2, help="untruncated tests run per variant")
    args = parser.parse_args(argv)
    for path in (args.data, args.verified):
        if not path.is_file():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 2
    if min(args.start + 1, args.problems, args.per_problem, args.tests) < 1:
        print("error: --problems, --per-problem and --tests must be at least 1, --start at least 0", file=sys.stderr)
        return 2
    checked, differences = check(args.data, args.verified, args.start, args.problems, args.per_problem, args.tests)
    print(f"{'family':<26} {'variants':>8} {'differed':>8}")
    for family in FAMILIES:
        differed = sum(d.family == family.name for d in differences)
        print(f"{family.name:<26} {checked.get(family.name, 0):>8} {differed:>8}")
    for d in differences:
        print(f"DIFFERS {d.family} {d.problem} {d.solution} stdin={d.stdin[:60]!r} "
              f"original={d.original!r:.120} variant={d.variant!r:.120}")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
