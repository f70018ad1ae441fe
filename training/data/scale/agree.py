"""Majority agreement of passing solutions on a generated input (no I/O here: the runs come in as data).

An input is kept when at least ``AGREEMENT`` of the solutions that were run produced the same output (token-wise,
floats to 1e-6, ``training/data/compare.py``). A solution that timed out, crashed or printed something else counts
against the input: a generated input outside the problem's constraints typically splits the solutions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from speedhints.training.data.compare import outputs_match

AGREEMENT = 0.75


@dataclass(frozen=True)
class Outcome:
    """One solution's run on one input."""

    solution: str
    status: str  # the sandbox's status: "ok", "timeout", ...
    stdout: bytes
    cpu_seconds: float


@dataclass(frozen=True)
class Verdict:
    kept: bool
    agreement: float  # size of the largest agreeing group / number of solutions asked
    expected: bytes | None  # output of the majority (one member's stdout), None when there is none
    fastest_cpu: float | None  # least CPU of a majority member
    reason: str  # "agreed" | "disagreement" | "timeouts" | "errors"


def max_failures(asked: int) -> int:
    """How many solutions may disagree before the input cannot reach the agreement threshold any more."""
    return asked - math.ceil(AGREEMENT * asked)


def judge_agreement(outcomes: Sequence[Outcome], asked: int) -> Verdict:
    """Group the ok outputs; the largest group must hold >= AGREEMENT of the ``asked`` solutions.

    ``asked`` may exceed ``len(outcomes)`` when the caller stopped early (enough failures to reject): the
    missing runs count as disagreeing, which is what stopping early assumed.
    """
    groups: list[list[Outcome]] = []
    for o in outcomes:
        if o.status != "ok" or not o.stdout.strip():
            continue
        for g in groups:
            if outputs_match(o.stdout, g[0].stdout):
                g.append(o)
                break
        else:
            groups.append([o])
    best = max(groups, key=len, default=[])
    agreement = len(best) / asked if asked else 0.0
    if best and agreement >= AGREEMENT:
        # the expected output is one member's stdout, chosen by solution id so a re-run writes the same bytes
        chosen = min(best, key=lambda o: o.solution)
        return Verdict(True, agreement, chosen.stdout, min(o.cpu_seconds for o in best), "agreed")
    timeouts = sum(o.status == "timeout" for o in outcomes)
    errors = sum(o.status not in ("ok", "timeout") for o in outcomes)
    if timeouts > max(errors, len(outcomes) - timeouts - errors - len(best)):
        reason = "timeouts"
    elif errors > len(outcomes) - errors - timeouts - len(best):
        reason = "errors"
    else:
        reason = "disagreement"
    return Verdict(False, agreement, best[0].stdout if best else None, None, reason)
