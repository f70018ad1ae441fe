"""``m = max(a)`` (or ``sum``, ``min``, ``sorted``, ``set``, ``list``, ``tuple``, ``int``, ``float``, ``str`` of
unchanging arguments) before a loop -> the call recomputed wherever the loop reads ``m``: a pass over ``a`` per
iteration. Precondition: see ``_hoist``."""

from __future__ import annotations

from ._family import Family
from ._hoist import CONTAINERS, CONVERSIONS, SCALAR_OF_ITEMS, transform_for

FAMILY = Family(name="hoist_call", label="invariant call recomputed in a loop -> hoisted",
                transform=transform_for(CONTAINERS | SCALAR_OF_ITEMS | CONVERSIONS))
