"""The test programs on which ``speedhints eval`` runs a bundle's runtime and judges what it would show.

- ``by_problem`` and ``paper``: the test inputs of that split as ``speedhints data splits`` writes them to
  ``refs.jsonl`` (the slow side of every test pair), kept when their reference set R(x) is not empty under the
  evaluation's neighbourhood (inputs.py: ROUGE-8 >= t, >= ``min_speedup`` faster, >= 5 ms), read from the
  committed ``splits.tsv``, ``refs.tsv`` and ``runtimes.tsv`` so no corpus-wide rebuild is needed. ``paper``'s test
  problems are in its training data (that is the paper's split), so a model trained on by_problem may have seen
  them.
- ``synth_test``: the slow sides of the synthetic pairs of test problems (``training/corpus/synth_pairs.tsv``,
  ``split == "synth_test"``): a real program made slower by one known transform, rebuilt from the corpus by the
  synthetic-pair code (``training/data/synth_variants.py``) and checked against the table's sha256.

Inputs are chosen in the evaluation's stable hash order (``inputs.subsample``), spread over problems.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from speedhints.training.data.convert import REPO_ROOT
from speedhints.training.evaluation.inputs import DEFAULT_MIN_REF_MS, DEFAULT_MIN_SPEEDUP, DEFAULT_THRESHOLD

CORPUS = REPO_ROOT / "training" / "corpus"
TEST_SETS = ("by_problem", "synth_test", "paper")
NO_SYNTH = "no synth_test pairs yet"


class TestSetError(ValueError):
    """A test set that cannot be read; one line."""


def split_test_inputs(scheme: str, corpus: Path = CORPUS, threshold: float = DEFAULT_THRESHOLD,
                      min_speedup: float = DEFAULT_MIN_SPEEDUP, min_ref_ms: float = DEFAULT_MIN_REF_MS,
                      ) -> list[tuple[str, str]]:  # fmt: skip
    """(problem, id) of the split's test inputs that have a reference (the inputs ``speedhints eval`` scores)."""
    from speedhints.training.data.pairs import read_runtimes
    from speedhints.training.evaluation.precision import fold_programs

    xs = set(fold_programs(corpus / "splits.tsv", scheme, "test"))
    ms = {k: r.ms for k, r in read_runtimes(corpus / "runtimes.tsv").items() if k in xs}
    kept: set[tuple[str, str]] = set()
    with (corpus / "refs.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            key = (row["problem"], row["x"])
            if row["scheme"] != scheme or key not in ms:
                continue
            ref_ms = float(row["ref_ms"])
            if float(row["rouge8"]) >= threshold and ref_ms >= min_ref_ms and ref_ms * min_speedup <= ms[key]:
                kept.add(key)
    return sorted(kept)


@dataclass(frozen=True)
class SynthRow:
    problem: str
    solution: str
    code_sha: str
    families: str
    variant: int
    variant_sha: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.problem, f"{self.solution}:{self.families}:{self.variant}")  # synth_table's slow_id


def synth_test_rows(table: Path | None = None) -> list[SynthRow]:
    """The synth_test pairs of the table (default: the committed one; [] when there is no table or no such row
    yet)."""
    table = table or CORPUS / "synth_pairs.tsv"
    if not table.is_file():
        return []
    with table.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        missing = {"problem", "solution", "code_sha", "families", "variant", "variant_sha", "split"} - set(
            reader.fieldnames or ())
        if missing:
            raise TestSetError(f"{table}: no column {sorted(missing)[0]!r}")
        return [SynthRow(r["problem"], r["solution"], r["code_sha"], r["families"], int(r["variant"]),
                         r["variant_sha"]) for r in reader if r["split"] == "synth_test"]  # fmt: skip


def synth_sources(rows: Sequence[SynthRow], make: Callable[[str, str, int], list[str]] | None = None
                  ) -> Callable[[Sequence[Any]], dict[tuple[str, str], str]]:  # fmt: skip
    """``sources(converted)`` for ``prepare_and_measure``: each row's slow variant, remade from its converted
    original with ``make(code, families, n) -> the first n variants`` (default: the synthetic-pair code) and kept
    only when both sha256 match the table."""
    from speedhints.training.data.convert import code_sha256

    def sources(converted: Sequence[Any]) -> dict[tuple[str, str], str]:
        maker = make or _default_maker()
        code = {(c.problem, c.id): c.code for c in converted if c.code}
        out = {}
        for r in rows:
            original = code.get((r.problem, r.solution))
            if original is None or not code_sha256(original).startswith(r.code_sha):
                continue
            variants = maker(original, r.families, r.variant + 1)
            if len(variants) > r.variant and _sha(variants[r.variant]).startswith(r.variant_sha):
                out[r.key] = variants[r.variant]
        return out

    return sources


def _sha(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogateescape")).hexdigest()  # synth_variants.code_sha


def _default_maker() -> Callable[[str, str, int], list[str]]:
    try:
        from speedhints.training.data.pessimize import FAMILIES  # type: ignore[attr-defined]
        from speedhints.training.data.synth_variants import (  # type: ignore[import-not-found]
            family_map,
            make_variants,
        )
    except ImportError as exc:
        raise TestSetError(f"synth_test needs the synthetic-pair code (training/data/synth_variants.py): {exc}"
                           ) from None
    fams = family_map(FAMILIES)
    return lambda code, families, n: list(make_variants(code, families, fams, n))


def choose(keys: Sequence[tuple[str, str]], n: int | None, seed: int = 0) -> list[tuple[str, str]]:
    """The first n keys in the evaluation's stable hash order (inputs.subsample's), sorted."""
    if n is None or n >= len(keys):
        return sorted(keys)
    order = sorted(keys, key=lambda k: hashlib.sha256(f"{seed}/{k[0]}/{k[1]}".encode()).hexdigest())
    return sorted(order[:n])
