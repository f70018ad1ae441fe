"""``n = len(a)`` before a loop -> ``len(a)`` recomputed in the loop (``while i < len(a)``): a builtin call per
iteration. Precondition: see ``_hoist`` (``a`` bound once and only read, so its length never changes)."""

from __future__ import annotations

from ._family import Family
from ._hoist import transform_for

FAMILY = Family(name="hoist_len", label="len() recomputed in a loop -> hoisted",
                transform=transform_for(frozenset({"len"})))
