"""A content-hash cache of hints per region, so a function that did not change costs nothing on the next run.

The key hashes everything the model's answer depends on: the model's identity (its manifest), top-k, the
region's qualified name and its exact text. Line numbers are stored relative to the region, so moving a
function (code added above it) still hits. Hints are cached before filtering (min-score, disabled latents,
ignore comments), so changing those settings never needs the model again. With them, the entry keeps what the
runtime dropped in that region and why, so ``--explain`` and the run's ``dropped`` totals read the same from a warm
cache as from a cold one. A function too long for the model is checked in parts, only those the change touches
(model_export/parts.py): its entry keeps each part's lines, drops and whether it was decoded, and answers only a
change that touches no other part. A broken or unwritable cache is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from speedhints.model_export.accounting import RegionOutcome
from speedhints.model_export.atlas import LatentPrecision
from speedhints.model_export.hints import Hint, LineRange, Overlaps

CACHE_ENV = "SPEEDHINTS_CACHE_DIR"
# Bump when the stored shape changes: old entries then simply miss (2: measured replaces expected_speedup;
# 3: each region's drops are stored too; 4: the parts of a function checked in parts).
FORMAT = 4


def default_cache_dir(git_dir: Path | None) -> Path:
    """$SPEEDHINTS_CACHE_DIR, else .git/speedhints-cache, else $XDG_CACHE_HOME/speedhints."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if git_dir is not None:
        return git_dir / "speedhints-cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "speedhints"


def region_key(model_identity: str, top_k: int, name: str, text: str) -> str:
    h = hashlib.sha256()
    for part in (f"v{FORMAT}", model_identity, str(top_k), name, text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


@dataclass
class CachedRegion:
    """A cache entry: the runtime's hints for a region, what it dropped and why, and its parts when it was cut."""

    hints: list[Hint]
    dropped: dict[str, int]
    detail: str = ""
    parts: list[RegionOutcome] = field(default_factory=list)

    def answers(self, changed: Sequence[LineRange] | None) -> bool:
        """Whether the entry answers a change of ``changed`` (None: the whole region): every part the change
        touches was decoded when it was stored (a part it did not touch then was not)."""
        if changed is None:
            return all(p.touched for p in self.parts)
        overlaps = Overlaps(changed)
        hit = [p for p in self.parts if overlaps(p.start, p.end)]
        return all(p.touched for p in hit) if hit else all(p.touched for p in self.parts)


class HintCache:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory  # None: caching disabled
        self.hits = 0
        self.misses = 0

    def get(self, key: str, path: str, region_start: int) -> list[Hint] | None:
        """The cached hints for ``key``, placed at ``region_start`` in ``path``; None on a miss."""
        entry = self.get_entry(key, path, region_start)
        return None if entry is None else entry.hints

    def get_entry(self, key: str, path: str, region_start: int) -> CachedRegion | None:
        """What the runtime answered for ``key``, placed at ``region_start``; None on a miss."""
        if self.directory is None:
            return None
        try:
            stored = json.loads(self._file(key).read_text(encoding="utf-8"))
            entry = CachedRegion(
                [_from_stored(item, path, region_start) for item in stored["hints"]],
                {str(k): int(v) for k, v in stored["dropped"].items()},
                str(stored.get("detail", "")),
                [_part_from_stored(item, region_start) for item in stored.get("parts", [])],
            )
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(
        self,
        key: str,
        hints: list[Hint],
        region_start: int,
        dropped: Mapping[str, int] | None = None,
        detail: str = "",
        parts: Sequence[RegionOutcome] = (),
    ) -> None:
        if self.directory is None:
            return
        target = self._file(key)
        payload = json.dumps(
            {"hints": [_to_stored(h, region_start) for h in hints], "dropped": dict(dropped or {}), "detail": detail,
             "parts": [_part_to_stored(p, region_start) for p in parts]}
        )
        tmp: str | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a concurrent run never reads half an entry.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
            os.replace(tmp, target)
        except OSError:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def _file(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.json"


def _to_stored(hint: Hint, region_start: int) -> dict[str, Any]:
    item = asdict(hint)
    del item["path"]  # the same function in another file reuses the entry
    item["start_line"] -= region_start
    item["end_line"] -= region_start
    return item


def _part_to_stored(part: RegionOutcome, region_start: int) -> dict[str, Any]:
    return {"start": part.start - region_start, "end": part.end - region_start, "touched": part.touched,
            "dropped": dict(part.dropped), "detail": part.detail, "passed": part.passed, "hints": part.hints}


def _part_from_stored(item: dict[str, Any], region_start: int) -> RegionOutcome:
    return RegionOutcome("", int(item["start"]) + region_start,
                         int(item["end"]) + region_start, passed=int(item["passed"]), hints=int(item["hints"]),
                         dropped=Counter({str(k): int(v) for k, v in item["dropped"].items()}),
                         detail=str(item["detail"]), touched=bool(item["touched"]))


def _from_stored(item: dict[str, Any], path: str, region_start: int) -> Hint:
    fields = dict(item)
    fields["start_line"] = int(fields["start_line"]) + region_start
    fields["end_line"] = int(fields["end_line"]) + region_start
    if fields.get("measured") is not None:
        fields["measured"] = LatentPrecision.from_json(fields["measured"])  # AtlasError is a ValueError: a miss
    return Hint(path=path, **fields)
