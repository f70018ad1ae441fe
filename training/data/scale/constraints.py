"""Parse input constraints (``1 ≤ n, m ≤ 10^5``, ``|s| ≤ 100``, "does not exceed 10^5") from a statement.

The scrape flattened superscripts: usually to ``10^5``, sometimes to ``105``. A bare ``10k`` (``103`` .. ``1018``)
is read as 10^k only when the statement has no ``^`` at all, and ``bind`` still checks every bound against the
observed test values, so a misread bound is rejected by the samples rather than trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACES = re.compile(r"[\u2009\u00a0\u202f\u2002\u2003\u200a]")
_NUM = r"[-−]?\s?(?:10\^\{?\d+\}?|\d+(?:\.\d+)?(?:\s?[·*×]\s?10(?:\^\{?\d+\}?|\d{1,2}))?)"
_NAME = r"(?:\|\w+\||[A-Za-z][A-Za-z0-9_]*(?:\{\w+\})?(?:\[\w+\])?)"
_NAMES = rf"{_NAME}(?:\s*,\s*{_NAME})*"
_TERM = rf"(?:{_NUM}|{_NAMES}|min\([^)]*\)|max\([^)]*\))"
_REL = r"(?:<=|<|≤|≤)"
_CHAIN = re.compile(rf"{_TERM}(?:\s*{_REL}\s*{_TERM})+")
_SPLIT = re.compile(rf"\s*({_REL})\s*")
_EXCEED = re.compile(
    r"(length|number of (?:letters|characters|symbols|digits))[^.;]{0,80}?"
    r"(?:does not exceed|doesn't exceed|not exceeding|is at most|at most|not more than|no more than|up to)\s"
    rf"({_NUM})",
    re.IGNORECASE,
)
_FROM_TO = re.compile(rf"(length)[^.;]{{0,60}}?from\s({_NUM})\sto\s({_NUM})", re.IGNORECASE)


@dataclass(frozen=True)
class Constraint:
    """``lo <= name <= hi``; ``hi_var`` is a symbolic upper bound (``1 ≤ ai ≤ n``) when there is no number."""

    name: str
    lo: int | float | None
    hi: int | float | None
    hi_var: str | None = None

    @property
    def is_element(self) -> bool:
        """``ai``, ``a_i``, ``xi``, ``cij``, ``a1``: a per-element bound, not a scalar."""
        base = self.name.strip("|")
        # ``n1``, ``k2`` are scalars (two separate numbers); element bounds are written with an index letter
        return bool(re.fullmatch(r"[a-z]+(_?\{?[ijk]\}?|\[[ijk]\])", base)) and len(base) >= 2

    @property
    def is_length(self) -> bool:
        return self.name.startswith("|") or self.name == "length"


def normalize(text: str) -> str:
    text = _SPACES.sub(" ", text).replace("≤", "<=").replace("≥", ">=").replace("−", "-").replace("≤", "<=")
    text = re.sub(r"(?<=\d)[ '](?=\d{3}\b)", "", text)  # 100 000 and 100'000 -> 100000
    text = re.sub(r"(?<=\d)[ '](?=\d{3}\b)", "", text)  # 1 000 000 needs two passes
    return text.replace("<=", "≤")


def parse_number(tok: str, caret_free: bool = False) -> int | float | None:
    tok = tok.replace(" ", "").replace("−", "-").replace("{", "").replace("}", "")
    m = re.fullmatch(r"(-?)(?:(\d+(?:\.\d+)?)[·*×x])?10\^(\d+)", tok)
    if m:
        exp = min(int(m.group(3)), 300)  # 10^100000 digits: far beyond any size budget anyway
        mant = float(m.group(2)) if m.group(2) else 1.0
        value: int | float = int(mant * 10**exp) if mant == int(mant) or exp >= 3 else mant * 10**exp
        return -value if m.group(1) else value
    m = re.fullmatch(r"(-?)(\d+)[·*×x]10(\d{1,2})", tok)  # 2·105 (scrape artefact of 2·10^5)
    if m:
        value = int(m.group(2)) * 10 ** int(m.group(3))
        return -value if m.group(1) else value
    if re.fullmatch(r"-?\d+", tok):
        value = int(tok)
        if caret_free and re.fullmatch(r"-?10(?:[3-9]|1[0-8])", tok):
            sign = -1 if tok.startswith("-") else 1
            return sign * 10 ** int(tok.lstrip("-")[2:])  # type: ignore[no-any-return]
        return value
    if re.fullmatch(r"-?\d+\.\d+", tok):
        return float(tok)
    return None


def input_section(description: str) -> str:
    """The text between the ``Input`` and ``Output`` headings (the whole statement when they are missing)."""
    m = re.search(r"(?:^|\n)\s*Input\s*\n(.*?)(?:\n\s*Output\s*\n|$)", description, re.S)
    return m.group(1) if m else description


def parse_constraints(description: str) -> list[Constraint]:
    """Constraints in order of appearance; a name bounded twice (subproblem limits) keeps its widest range."""
    caret_free = "^" not in description
    text = normalize(input_section(description))
    found: list[Constraint] = []
    for m in _CHAIN.finditer(text):
        parts = _SPLIT.split(m.group(0))
        terms = parts[0::2]
        rels = parts[1::2]
        values = [parse_number(t, caret_free) for t in terms]
        for i, term in enumerate(terms):
            if values[i] is not None or term.startswith(("min(", "max(")):
                continue
            names = [n.strip() for n in term.split(",") if n.strip()]
            lows = [v for v in values[:i] if v is not None]
            highs = [v for v in values[i + 1 :] if v is not None]
            lo = lows[-1] if lows else None
            hi = highs[0] if highs else None
            if lo is not None and i > 0 and rels[i - 1] == "<" and isinstance(lo, int):
                lo += 1
            if (
                hi is not None
                and i < len(rels)
                and rels[i] == "<"
                and isinstance(hi, int)
                and len(highs)
                and (values[i + 1] is not None)
            ):
                hi -= 1
            hi_var = None
            if hi is None and i + 1 < len(terms) and values[i + 1] is None:
                hi_var = terms[i + 1].split(",")[0].strip()
            if lo is None and hi is None and hi_var is None:
                continue
            for name in names:
                if re.fullmatch(r"[A-Za-z]", name) is None and not re.fullmatch(_NAME, name):
                    continue
                found.append(Constraint(name, lo, hi, hi_var))
    for m in _EXCEED.finditer(text):
        hi = parse_number(m.group(2), caret_free)
        if hi is not None:
            found.append(Constraint("length", 1, hi))
    for m in _FROM_TO.finditer(text):
        lo, hi = parse_number(m.group(2), caret_free), parse_number(m.group(3), caret_free)
        if hi is not None:
            found.append(Constraint("length", lo, hi))
    return _widest(found)


def _widest(found: list[Constraint]) -> list[Constraint]:
    order: list[str] = []
    best: dict[str, Constraint] = {}
    for c in found:
        if c.name not in best:
            order.append(c.name)
            best[c.name] = c
            continue
        old = best[c.name]
        if c.hi is not None and (old.hi is None or c.hi > old.hi):
            best[c.name] = c
    return [best[n] for n in order]
