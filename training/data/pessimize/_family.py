"""The family record (re-exported by the package, whose docstring states the contract). It lives apart so that
the family modules can import it while the package registers them."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str  # stable identifier, used in training/corpus/synth_pairs.tsv: "set_membership"
    label: str  # the inverse edit, what the model learns: "list membership -> set"
    transform: Callable[[ast.Module], list[ast.Module]]
