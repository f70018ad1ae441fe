"""Judging what a user would be shown: one path shared by ``speedhints precision`` and ``speedhints eval``.

``judge_program`` takes one whole program through the shipped runtime exactly as ``speedhints check --all`` would
(``precision.candidates_of``: every region, all K latents, the runtime's own checks), splices each candidate that
passes the checks into the program and judges the whole program on the problem's tests in the sandbox, then times
it beside the unchanged program (``execution.Executor.run_program``). It decodes all K latents and applies no gate,
so one measurement serves every setting:

- ``speedhints precision`` (validation programs) turns the rows into each latent's record;
- ``speedhints eval`` (test programs) applies a setting's gate afterwards with ``displayed``: the hook's ``top_k``
  latents of the prior per region (taken before the gate, as ``OnnxSuggester.candidates`` does), the precision
  gate (``Atlas.shows``, the very test the runtime applies), and one hint per distinct suggestion of a region (the
  runtime merges latents that give the same code). ``shown_figures`` then gives ``shown`` (hints displayed),
  ``shown_precision`` (the share of them that pass the tests and are >= 1.2x faster) and ``shown_coverage`` (the
  share of inputs with at least one such hint).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from speedhints.model_export.atlas import Atlas

# The hook's default number of latents asked per region (hook/config.py HookConfig.top_k; a test keeps them equal:
# training does not import the hook).
DEFAULT_TOP_K = 4
THRESHOLDS = (0.0, 0.1, 0.3, 0.5)  # the min_precision values the tables report (README, "Precision")


@dataclass(frozen=True)
class Measured:
    """One candidate of one program: which latent, whether it passed the runtime's checks (and why not), and the
    verdict of the program with it applied."""

    problem: str
    id: str
    region: str
    latent: int
    shown: bool  # passed the runtime's checks (no gate, no top-k: those are settings, applied by ``displayed``)
    dropped: str = ""  # the runtime's drop reason when not shown
    status: str = ""  # execution verdict of a shown candidate (execution.Verdict.status)
    speedup: float | None = None
    rank: int = -1  # the latent's place in the prior's order for this region (0 = likeliest); -1: not logged
    program: str = ""  # sha256 (16 hex) of the whole program with the candidate applied; "" when not shown

    @property
    def correct(self) -> bool:
        return self.shown and self.status == "pass"

    @property
    def correct_and_faster(self) -> bool:
        from speedhints.training.evaluation.execution import FASTER

        return self.correct and self.speedup is not None and self.speedup >= FASTER


def judge_program(suggester: Any, executor: Any, key: tuple[str, str], source: str) -> list[Measured]:
    """Every latent's candidate for every region of ``source`` (the program ``key`` = (problem, id)), each shown
    one judged and timed as a whole program. Several latents often give the same program: it runs once."""
    from speedhints.training.evaluation.inputs import EvalInput
    from speedhints.training.evaluation.precision import candidates_of

    x = EvalInput(key[0], key[1], "", 0.0, ())
    out: list[Measured] = []
    verdicts: dict[str, Any] = {}
    for c, program, why, rank in candidates_of(suggester, source, with_rank=True):
        if program is None:
            out.append(Measured(key[0], key[1], c.region.name, c.latent, False, why, rank=rank))
            continue
        if program not in verdicts:
            verdicts[program] = executor.run_program(x, program)
        v = verdicts[program]
        sha = hashlib.sha256(program.encode("utf-8")).hexdigest()[:16]
        out.append(Measured(key[0], key[1], c.region.name, c.latent, True, "", v.status, v.speedup, rank, sha))
    return out


def displayed(rows: Iterable[Measured], atlas: Atlas, min_precision: float, top_k: int | None = DEFAULT_TOP_K
              ) -> list[Measured]:  # fmt: skip
    """The rows a user would see with these settings: passed the checks, among the region's ``top_k`` latents by
    the prior (None: all; a row without a logged rank counts as within), cleared the gate, one per distinct
    suggestion of a region (the likeliest latent's, as the runtime keeps)."""
    best: dict[tuple[str, str, str, str], Measured] = {}
    for r in rows:
        if not r.shown or not atlas.shows(r.latent, min_precision):
            continue
        if top_k is not None and r.rank >= top_k:
            continue
        k = (r.problem, r.id, r.region, r.program or f"latent {r.latent}")
        if k not in best or 0 <= r.rank < best[k].rank:
            best[k] = r
    return list(best.values())


def shown_figures(rows: Sequence[Measured], programs: Sequence[tuple[str, str]], atlas: Atlas,
                  min_precision: float, top_k: int | None = DEFAULT_TOP_K) -> dict[str, Any]:  # fmt: skip
    """shown, shown_precision (correct and >= 1.2x faster / shown; None when nothing is shown) and shown_coverage
    (inputs with at least one such shown hint / inputs) for one setting, over the given programs."""
    wanted = set(programs)
    shown = displayed((r for r in rows if (r.problem, r.id) in wanted), atlas, min_precision, top_k)
    good = [r for r in shown if r.correct_and_faster]
    return {
        "min_precision": min_precision,
        "top_k": top_k,
        "inputs": len(wanted),
        "inputs_with_shown": len({(r.problem, r.id) for r in shown}),
        "shown": len(shown),
        "shown_correct": sum(r.correct for r in shown),
        "shown_correct_and_faster": len(good),
        "shown_precision": len(good) / len(shown) if shown else None,
        "shown_coverage": len({(r.problem, r.id) for r in good}) / len(wanted) if wanted else 0.0,
    }
