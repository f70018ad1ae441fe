"""The latent atlas file: what each codebook entry's edit does, and how often its shown hints were right.

Format (``atlas.json``)::

    {"format": "speedhints-atlas", "version": 2,
     "latents": [{"id": 7, "label": "list -> set membership", "expected_speedup": 2.4, "share": 0.031,
                  "examples": ["p123/a->b", ...]}, ...],
     "latent_precision": [{"shown": 52, "correct": 44, "correct_and_faster": 41,
                           "precision_lower_bound": 0.66, "median_speedup": 2.1}, ...],   # index = latent id
     "precision_measured": {"split": "by_problem", "fold": "valid", "programs": 180, ...}}

``expected_speedup`` is the median measured speedup of the training pairs the encoder assigns to the latent,
``share`` the fraction of training pairs it gets: they describe the training data, not a hint, and are never shown
as a hint's promise. ``latent_precision`` is what a hint may claim: measured by executing the latent's shown
candidates on held-out (validation) programs (``training/evaluation/precision.py``); ``precision_lower_bound``
is the Wilson 95 % lower bound of correct_and_faster / shown. The runtime shows a latent only when that bound
clears its ``min_precision``. Version 1 atlases (no precision) still load: every latent is then unmeasured.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ATLAS_FORMAT = "speedhints-atlas"
ATLAS_VERSION = 2
READABLE_VERSIONS = (1, 2)  # 1: before measured precision; read as "every latent unmeasured"
# The runtime shows a latent only when its precision_lower_bound is at least this (hook: min-precision). Chosen
# from the shipped model's measurement: see the README ("Precision") and eval/precision/latent_precision.md.
DEFAULT_MIN_PRECISION = 0.5


class AtlasError(ValueError):
    """An atlas file that cannot be read; one line."""


@dataclass(frozen=True)
class LatentInfo:
    id: int
    label: str
    expected_speedup: float | None = None
    share: float | None = None
    examples: tuple[str, ...] = ()


def wilson_lower_bound(successes: int, trials: int, z: float = 1.96) -> float:
    """The Wilson score interval's lower end (95 % for z = 1.96): 0 with no trials, and cautious with few (3 of 3
    gives 0.44, 41 of 52 gives 0.66), which is why the gate reads it rather than the raw share."""
    if trials <= 0:
        return 0.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = p + z * z / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, (centre - margin) / denom)


@dataclass(frozen=True)
class LatentPrecision:
    """A latent's record on held-out programs: candidates shown, correct (pass the tests), correct and >= 1.2x
    faster, the Wilson 95 % lower bound of correct_and_faster / shown, and the median speedup of the correct ones."""

    shown: int
    correct: int
    correct_and_faster: int
    precision_lower_bound: float
    median_speedup: float | None = None

    def describe(self) -> str:
        """What a hint may say about its latent, e.g. "correct and faster in 41 of 52 held-out trials, median
        2.1x"; the median is of the correct ones, so it is left out when none was faster."""
        if self.shown == 0:
            return "not measured on held-out programs"
        text = f"correct and faster in {self.correct_and_faster} of {self.shown} held-out trials"
        if self.correct_and_faster and self.median_speedup is not None:
            text += f", median {self.median_speedup:.1f}x"
        return text

    @classmethod
    def from_json(cls, row: Any) -> LatentPrecision:
        try:
            med = row.get("median_speedup")
            rec = cls(int(row["shown"]), int(row["correct"]), int(row["correct_and_faster"]),
                      float(row["precision_lower_bound"]), None if med is None else float(med))  # fmt: skip
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise AtlasError(f"bad latent precision {row!r}: {exc}") from None
        if not 0 <= rec.correct_and_faster <= rec.correct <= rec.shown:
            raise AtlasError(f"latent precision {row!r}: needs 0 <= correct_and_faster <= correct <= shown")
        if not 0.0 <= rec.precision_lower_bound <= 1.0:
            raise AtlasError(f"latent precision {row!r}: precision_lower_bound must be in [0, 1]")
        return rec


@dataclass(frozen=True)
class Atlas:
    latents: dict[int, LatentInfo] = field(default_factory=dict)
    # index = latent id; empty when never measured (then every latent is unmeasured: lower bound 0)
    latent_precision: tuple[LatentPrecision, ...] = ()
    precision_measured: dict[str, Any] = field(default_factory=dict)  # where and how (split, fold, programs)

    def precision(self, latent: int) -> LatentPrecision | None:
        return self.latent_precision[latent] if 0 <= latent < len(self.latent_precision) else None

    def lower_bound(self, latent: int) -> float:
        rec = self.precision(latent)
        return rec.precision_lower_bound if rec is not None else 0.0

    def shows(self, latent: int, min_precision: float) -> bool:
        """The runtime's precision gate: a latent's hints are shown only when its measured lower bound clears
        ``min_precision`` (an unmeasured latent's bound is 0, so only 0 shows it). The runtime and the evaluation
        both ask this, so an evaluated "shown" is what the hook shows."""
        return self.lower_bound(latent) >= min_precision

    def with_precision(self, records: Sequence[LatentPrecision], measured: dict[str, Any]) -> Atlas:
        return Atlas(self.latents, tuple(records), dict(measured))

    def label(self, latent: int) -> str:
        info = self.latents.get(latent)
        return info.label if info else f"latent {latent}"

    def expected_speedup(self, latent: int) -> float | None:
        info = self.latents.get(latent)
        return info.expected_speedup if info else None

    def to_json(self) -> dict[str, Any]:
        rows = [{**asdict(info), "examples": list(info.examples)} for _, info in sorted(self.latents.items())]
        out: dict[str, Any] = {"format": ATLAS_FORMAT, "version": ATLAS_VERSION, "latents": rows}
        if self.latent_precision:
            out["latent_precision"] = [asdict(r) for r in self.latent_precision]
            out["precision_measured"] = self.precision_measured
        return out

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def from_json(cls, data: Any, codebook_size: int | None = None) -> Atlas:
        if not isinstance(data, dict) or data.get("format") != ATLAS_FORMAT:
            raise AtlasError("not a speedhints atlas (missing format marker)")
        if data.get("version") not in READABLE_VERSIONS:
            raise AtlasError(f"atlas version {data.get('version')} is not one this speedhints reads "
                             f"({', '.join(map(str, READABLE_VERSIONS))}): upgrade speedhints or re-export")
        latents: dict[int, LatentInfo] = {}
        for row in data.get("latents", []):
            info = _row(row)
            if codebook_size is not None and not 0 <= info.id < codebook_size:
                raise AtlasError(f"atlas latent {info.id} is outside the codebook of {codebook_size}")
            if info.id in latents:
                raise AtlasError(f"atlas lists latent {info.id} twice")
            latents[info.id] = info
        raw = data.get("latent_precision") or []
        if not isinstance(raw, list):
            raise AtlasError("atlas latent_precision must be a list (index = latent id)")
        records = tuple(LatentPrecision.from_json(r) for r in raw)
        if records and codebook_size is not None and len(records) != codebook_size:
            raise AtlasError(f"atlas has precision for {len(records)} latents, the codebook has {codebook_size}")
        measured = data.get("precision_measured") or {}
        return cls(latents, records, dict(measured) if isinstance(measured, dict) else {})

    @classmethod
    def load(cls, path: Path, codebook_size: int | None = None) -> Atlas:
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")), codebook_size)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AtlasError(f"cannot read atlas {path}: {exc}") from None


def _row(row: Any) -> LatentInfo:
    try:
        speedup = row.get("expected_speedup")
        share = row.get("share")
        info = LatentInfo(
            id=int(row["id"]),
            label=str(row["label"]),
            expected_speedup=None if speedup is None else float(speedup),
            share=None if share is None else float(share),
            examples=tuple(str(e) for e in row.get("examples", [])),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AtlasError(f"bad atlas row {row!r}: {exc}") from None
    if info.expected_speedup is not None and not (math.isfinite(info.expected_speedup) and info.expected_speedup > 0):
        raise AtlasError(f"atlas latent {info.id}: expected_speedup must be a positive number")
    return info
