"""How ``speedhints data synth`` makes a solution's variants, defined once for the measuring run and ``--from-table``.

A variant is named by its families key and index: ``"name"`` is the ``index``-th variant of one family
(``pessimize.variants``); ``"first+second"`` applies ``second`` to the first variant of ``first`` and takes the
``index``-th result, so the target needs two edits. The table stores the key, the index and the variant's sha256,
so a rebuild makes the same program or says that it cannot (a family changed since).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence

from speedhints.model_export.canonical import CanonicalError, canonicalize
from speedhints.training.data.pessimize import Family, variants

PAIR_SEP = "+"


class UnknownFamily(KeyError):
    pass


def family_map(families: Sequence[Family]) -> dict[str, Family]:
    return {f.name: f for f in families}


def make_variants(code: str, key: str, families: dict[str, Family], limit: int) -> list[str]:
    """The variants named by ``key`` ("name" or "first+second"), at most ``limit``, deterministic."""
    names = key.split(PAIR_SEP)
    for name in names:
        if name not in families:
            raise UnknownFamily(name)
    if len(names) == 1:
        return variants(code, families[names[0]], limit)
    first = variants(code, families[names[0]], 1)
    if not first:
        return []
    return variants(first[0], families[names[1]], limit)


def pair_keys(applicable: Sequence[str], salt: str, count: int) -> list[str]:
    """``count`` two-family keys among the families that apply to a solution, chosen by a hash of the solution
    (``salt``) so a rerun picks the same ones and different solutions get different pairs."""
    names = sorted(applicable)
    pairs = [f"{a}{PAIR_SEP}{b}" for i, a in enumerate(names) for b in names[i + 1 :]]
    pairs.sort(key=lambda k: hashlib.sha256(f"{salt}/{k}".encode()).hexdigest())
    return pairs[:count]


def code_sha(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogateescape")).hexdigest()


def canonical_code(code: str) -> str | None:
    try:
        return canonicalize(code).code
    except (CanonicalError, RecursionError):
        return None


def canonical_pair(slow: str, fast: str) -> tuple[str, str] | None:
    """Both sides of an edit in canonical form, the fast side in the slow side's placeholders (``canonicalize``'s
    ``like``), so the edit a model learns touches only the lines it changes; None where either has no form."""
    try:
        x = canonicalize(slow)
        return x.code, canonicalize(fast, like=x).code
    except (CanonicalError, RecursionError):
        return None


def changed_lines(slow: str, fast: str) -> int:
    """Lines an edit touches between two canonical programs: per differing block, the larger of the lines
    removed and the lines added (a one-line rewrite counts 1, not 2)."""
    a, b = slow.splitlines(), fast.splitlines()
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def similarity(slow: str, fast: str) -> float:
    """difflib's ratio over lines: the share of lines the two programs have in common."""
    return difflib.SequenceMatcher(None, slow.splitlines(), fast.splitlines(), autojunk=False).ratio()
