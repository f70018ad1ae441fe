"""The pinned packages of the library corpus (pins.tsv beside this file): name, exact version, split.

Versions are pinned so the derived tables (line spans, source shas) can be rebuilt byte for byte: they are what
``pip download --no-binary NAME --no-deps NAME`` fetched on 2026-12-03. The split is by package, never by
function: a held-out package's code is never seen in training, so evaluating on it measures what the model does
on a library it has not met (issue 18, item 3). sortedcontainers was in the issue's list but its sdist (2.4.0)
ships no tests, so no variant of it could be verified; it is left out.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

SPLITS = ("train", "heldout")
DEFAULT_PINS = Path(__file__).with_name("pins.tsv")


class PinError(ValueError):
    """A pins table that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Pin:
    name: str  # the PyPI project name, as given to pip: "python-dateutil"
    version: str
    split: str  # "train" or "heldout"

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


def read_pins(path: Path = DEFAULT_PINS) -> list[Pin]:
    """The pins of a TSV with columns name, version, split."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PinError(f"{path}: cannot read pins table ({err.strerror})") from err
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t"))
    pins = []
    for line, row in enumerate(rows, start=2):
        name, version, split = (row.get(k) or "" for k in ("name", "version", "split"))
        if not name or not version or split not in SPLITS:
            raise PinError(f"{path}:{line}: need name, version and split in {SPLITS}, got {dict(row)}")
        pins.append(Pin(name.strip(), version.strip(), split))
    if not pins:
        raise PinError(f"{path}: no pins (columns: name, version, split)")
    return pins
