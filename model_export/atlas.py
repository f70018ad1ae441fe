"""The latent atlas file: what each codebook entry's edit does, as measured on the training pairs.

Format (``atlas.json``)::

    {"format": "speedhints-atlas", "version": 1,
     "latents": [{"id": 7, "label": "list -> set membership", "expected_speedup": 2.4, "share": 0.031,
                  "examples": ["p123/a->b", ...]}, ...]}

``expected_speedup`` is the median measured speedup of the training pairs the encoder assigns to the latent,
``share`` the fraction of training pairs it gets. Issue #5 computes real atlases; until then an export without
one writes an empty atlas and hints read "latent N" with no expected speedup.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ATLAS_FORMAT = "speedhints-atlas"
ATLAS_VERSION = 1


class AtlasError(ValueError):
    """An atlas file that cannot be read; one line."""


@dataclass(frozen=True)
class LatentInfo:
    id: int
    label: str
    expected_speedup: float | None = None
    share: float | None = None
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Atlas:
    latents: dict[int, LatentInfo] = field(default_factory=dict)

    def label(self, latent: int) -> str:
        info = self.latents.get(latent)
        return info.label if info else f"latent {latent}"

    def expected_speedup(self, latent: int) -> float | None:
        info = self.latents.get(latent)
        return info.expected_speedup if info else None

    def to_json(self) -> dict[str, Any]:
        rows = [{**asdict(info), "examples": list(info.examples)} for _, info in sorted(self.latents.items())]
        return {"format": ATLAS_FORMAT, "version": ATLAS_VERSION, "latents": rows}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def from_json(cls, data: Any, codebook_size: int | None = None) -> Atlas:
        if not isinstance(data, dict) or data.get("format") != ATLAS_FORMAT:
            raise AtlasError("not a speedhints atlas (missing format marker)")
        if data.get("version") != ATLAS_VERSION:
            raise AtlasError(f"atlas version {data.get('version')} is not {ATLAS_VERSION}")
        latents: dict[int, LatentInfo] = {}
        for row in data.get("latents", []):
            info = _row(row)
            if codebook_size is not None and not 0 <= info.id < codebook_size:
                raise AtlasError(f"atlas latent {info.id} is outside the codebook of {codebook_size}")
            if info.id in latents:
                raise AtlasError(f"atlas lists latent {info.id} twice")
            latents[info.id] = info
        return cls(latents)

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
