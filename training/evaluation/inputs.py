"""The evaluation inputs: each test input x with its reference set R(x), from ``<pairs>/refs.jsonl``.

``speedhints data splits`` lists, for every test input, all faster timed solutions of its problem with their
runtime and ROUGE-8 to x. The evaluation's neighbourhood is the pairs' own definition (training/data/pairs.py): it keeps
those with ROUGE-8 >= t (default 0.2, so R(x) always holds x's pair partners) that are at least ``min_speedup``
times faster than x (default 1.2), take at least ``min_ref_ms`` (default 5 ms: below it a 1.2x gap is as often
timing noise), and whose canonical code differs from x's:
a verbatim copy of x that measured faster is timing noise (the pairs exclude such copies too), and counting it would
credit copy-input with exact matches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from speedhints.training.jsonl import parse_jsonl

DEFAULT_THRESHOLD = 0.2
DEFAULT_MIN_SPEEDUP = 1.2
DEFAULT_MIN_REF_MS = 5.0


class EvalDataError(ValueError):
    """Missing or malformed evaluation files; one line."""


@dataclass(frozen=True)
class RefProgram:
    id: str
    code: str  # canonical (lossy) form
    ms: float  # CPU ms summed over the problem's scaled inputs
    rouge8: float  # to x


@dataclass(frozen=True)
class EvalInput:
    problem: str
    id: str
    code: str  # canonical (lossy) form of x
    ms: float
    refs: tuple[RefProgram, ...]  # R(x), fastest first

    @property
    def key(self) -> str:
        return f"{self.problem}/{self.id}"


def read_inputs(
    path: Path,
    threshold: float = DEFAULT_THRESHOLD,
    min_speedup: float = DEFAULT_MIN_SPEEDUP,
    min_ref_ms: float = DEFAULT_MIN_REF_MS,
) -> tuple[list[EvalInput], int]:
    """The inputs whose R(x) is not empty, and how many were left out because it was."""
    if not path.is_file():
        raise EvalDataError(f"{path}: missing (run `speedhints data splits`)")

    def eval_input(d: dict[str, Any]) -> EvalInput:
        refs = tuple(
            RefProgram(str(r["id"]), r["code"], float(r["ms"]), float(r["rouge8"]))
            for r in d["refs"]
            if float(r["rouge8"]) >= threshold
            and float(r["ms"]) * min_speedup <= float(d["ms"])
            and float(r["ms"]) >= min_ref_ms
            and r["code"] != d["code"]  # the same program measured faster is noise, not a reference
        )
        return EvalInput(str(d["problem"]), str(d["id"]), d["code"], float(d["ms"]), refs)

    def bad_line(lineno: int, exc: Exception) -> EvalDataError:
        return EvalDataError(f"{path}:{lineno}: not a reference record ({type(exc).__name__})")

    out: list[EvalInput] = []
    empty = 0
    for x in parse_jsonl(path, eval_input, bad_line):
        if x.refs:
            out.append(x)
        else:
            empty += 1
    return out, empty


def subsample(inputs: list[EvalInput], n: int | None, seed: int = 0) -> list[EvalInput]:
    """The first n inputs in a stable hash order (spread over problems, the same for every model and run)."""
    if n is None or n >= len(inputs):
        return inputs
    order = sorted(inputs, key=lambda x: hashlib.sha256(f"{seed}/{x.key}".encode()).hexdigest())
    return sorted(order[:n], key=lambda x: (x.problem, x.id))
