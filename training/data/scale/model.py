"""What is known about each slot of a template: its kind, its range, and the invariants that held in every test.

Ranges come from the statement's constraints when one binds (every observed value must lie inside it), else from
the observed values. Invariants (permutation, distinct, sorted, alphabet, "at most that count") are observed in
*all* tests, so they are cheap guesses about the problem that the agreement check later confirms or rejects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from speedhints.training.data.scale.constraints import Constraint, parse_constraints
from speedhints.training.data.scale.structure import (
    Node,
    Parsed,
    ParseError,
    Repeat,
    Run,
    SizedWord,
    Tok,
    infer_template,
    parse,
)

NO_CONSTRAINT_COUNT_CAP = 100_000  # count with no parsed bound: grow it up to this and let agreement judge


@dataclass
class SlotSpec:
    slot: int
    kind: str  # int | float | word
    element: bool  # inside a Run or a Repeat (one of many) rather than a top-level scalar
    is_count: bool = False
    lo: float | None = None
    hi: float | None = None
    hi_slot: int | None = None  # values are at most this earlier integer (``1 ≤ ai ≤ n``)
    lo_slot: int | None = None  # scalar: at least this earlier scalar (observed)
    constraint: str | None = None  # name of the bound constraint, for the log
    obs_min: float | None = None
    obs_max: float | None = None
    decimals: int = 0
    permutation: bool = False
    distinct: bool = False
    sorted_up: bool = False
    alphabet: str = ""
    no_leading_zero: bool = False
    len_min: int = 0
    len_max: int = 0
    len_hi: int | None = None  # word length bound from the statement


@dataclass
class ProblemModel:
    problem: str
    template: tuple[Node, ...]
    slots: dict[int, SlotSpec]
    tests: list[str]
    parsed_tests: list[Parsed] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)


def iter_items(nodes: Sequence[Node], in_repeat: bool = False) -> Iterator[tuple[Tok | Run | SizedWord, bool]]:
    """Every item of a template in reading order, with whether it sits inside a Repeat."""
    for node in nodes:
        if isinstance(node, Repeat):
            yield from iter_items(node.body, True)
        else:
            for item in node.items:
                yield item, in_repeat


def _count_vars(nodes: Sequence[Node]) -> set[int]:
    out: set[int] = set()
    for node in nodes:
        if isinstance(node, Repeat):
            if node.count.var is not None:
                out.add(node.count.var)
            out |= _count_vars(node.body)
        else:
            for it in node.items:
                if isinstance(it, Run) and it.count.var is not None:
                    out.add(it.count.var)
                if isinstance(it, SizedWord) and it.length.var is not None:
                    out.add(it.length.var)
    return out


def _num(tok: str) -> float:
    return float(tok)


def build_model(problem: str, description: str, tests: Sequence[str]) -> ProblemModel:
    """Infer the template, parse every test with it, collect invariants and bind constraints."""
    template = infer_template(tests)
    parsed: list[Parsed] = []
    kept: list[str] = []
    for t in tests:
        try:
            parsed.append(parse(template, t))
            kept.append(t)
        except ParseError:  # an empty input that the template cannot read: not a seed for mutation
            continue
    counts = _count_vars(template)
    slots: dict[int, SlotSpec] = {}
    for item, in_repeat in iter_items(template):
        kind = "word" if isinstance(item, SizedWord) else item.kind
        slots[item.slot] = SlotSpec(item.slot, kind, element=in_repeat or isinstance(item, Run))
        slots[item.slot].is_count = item.slot in counts
    for spec in slots.values():
        _observe(spec, parsed)
    _observe_scalar_order(slots, parsed)
    constraints = parse_constraints(description)
    _bind(slots, constraints)
    return ProblemModel(problem, template, slots, kept, parsed, constraints)


def _observe(spec: SlotSpec, parsed: Sequence[Parsed]) -> None:
    occurrences = [occ for p in parsed for occ in p.values.get(spec.slot, [])]
    tokens = [tok for occ in occurrences for tok in occ]
    if not tokens:
        return
    if spec.kind in ("int", "float"):
        values = [_num(t) for t in tokens]
        spec.obs_min, spec.obs_max = min(values), max(values)
        spec.decimals = max((len(t.split(".")[1]) for t in tokens if "." in t), default=0)
        runs = [occ for occ in occurrences if len(occ) >= 2]
        if spec.kind == "int" and runs:
            ints = [[int(t) for t in occ] for occ in runs]
            spec.permutation = all(sorted(r) == list(range(1, len(r) + 1)) for r in ints)
            spec.distinct = all(len(set(r)) == len(r) for r in ints) and max(len(r) for r in ints) >= 3
            spec.sorted_up = all(r == sorted(r) for r in ints) and max(len(r) for r in ints) >= 3
        # elements never exceeding the count of their own line or an earlier count: ``1 ≤ ai ≤ n``
        if spec.element and spec.kind == "int":
            spec.hi_slot = _bounding_count(spec, parsed)
    else:
        spec.alphabet = "".join(sorted(set("".join(tokens))))
        spec.len_min = min(len(t) for t in tokens)
        spec.len_max = max(len(t) for t in tokens)
        spec.no_leading_zero = spec.alphabet.isdigit() and all(not t.startswith("0") or t == "0" for t in tokens)


def _bounding_count(spec: SlotSpec, parsed: Sequence[Parsed]) -> int | None:
    """A top-level integer that bounds every value of this slot in every test (observed, so only a guess)."""
    candidates: set[int] | None = None
    for p in parsed:
        vals = [int(t) for occ in p.values.get(spec.slot, []) for t in occ]
        if not vals:
            continue
        here = {
            s
            for s, occ in p.values.items()
            if len(occ) == 1
            and len(occ[0]) == 1
            and occ[0][0].lstrip("-").isdigit()
            and s < spec.slot
            and max(vals) <= int(occ[0][0])
            and min(vals) >= 0
        }
        candidates = here if candidates is None else candidates & here
    if not candidates:
        return None
    return max(candidates)


def _observe_scalar_order(slots: dict[int, SlotSpec], parsed: Sequence[Parsed]) -> None:
    """For top-level int scalars, remember an earlier scalar that was always <= this one (``1 ≤ l ≤ r``)."""
    scalars = sorted(s for s, spec in slots.items() if not spec.element and spec.kind == "int")

    def value(p: Parsed, s: int) -> int | None:
        occ = p.values.get(s)
        return int(occ[0][0]) if occ and len(occ) == 1 else None

    for j in scalars:
        for i in reversed([s for s in scalars if s < j]):
            pairs = [(a, b) for p in parsed if (a := value(p, i)) is not None and (b := value(p, j)) is not None]
            if len(pairs) >= 3 and all(a <= b for a, b in pairs) and any(a < b for a, b in pairs):
                slots[j].lo_slot = i
                break


def _fits(c: Constraint, spec: SlotSpec) -> bool:
    if spec.kind == "word":
        return c.is_length and (c.hi is None or spec.len_max <= c.hi)
    if c.is_length or spec.obs_min is None or spec.obs_max is None:
        return False
    if c.lo is not None and spec.obs_min < c.lo:
        return False
    return not (c.hi is not None and spec.obs_max > c.hi)


def _bind(slots: dict[int, SlotSpec], constraints: Sequence[Constraint]) -> None:
    """Bind constraints to slots in reading order; a constraint must contain every observed value of its slot."""
    used: set[int] = set()
    names = {c.name: c for c in constraints}
    slot_of_name: dict[str, int] = {}
    for spec in (slots[s] for s in sorted(slots)):
        preferred = [i for i, c in enumerate(constraints) if i not in used and c.is_element == spec.element]
        # a per-case scalar inside a repeat may carry a scalar's name (``n`` of each test case), but a top-level
        # scalar never takes a per-element bound
        fallback = [i for i, c in enumerate(constraints) if i not in used and spec.element and not c.is_element]
        for i in preferred + fallback:
            c = constraints[i]
            if not _fits(c, spec):
                continue
            used.add(i)
            spec.constraint = c.name
            slot_of_name.setdefault(c.name, spec.slot)
            if spec.kind == "word":
                spec.len_hi = int(c.hi) if c.hi is not None else None
            else:
                spec.lo = c.lo if c.lo is not None else spec.lo
                spec.hi = c.hi
                if c.hi is None and c.hi_var is not None and c.hi_var in names and c.hi_var in slot_of_name:
                    spec.hi_slot = slot_of_name[c.hi_var]
                elif c.hi is not None:
                    spec.hi_slot = None  # an explicit numeric bound beats the observed guess
            break
    for spec in slots.values():
        if spec.kind == "word" and spec.len_hi is None:
            generic = [c for c in constraints if c.is_length and c.hi is not None and spec.len_max <= c.hi]
            if generic:
                spec.len_hi = int(max(c.hi for c in generic if c.hi is not None))
            elif not spec.element:
                # "a string of length n (1 ≤ n ≤ 10^5)" where n is not in the input: the first scalar bound
                # that no slot took and that the observed lengths respect
                for i, c in enumerate(constraints):
                    if i in used or c.is_element or c.hi is None or c.lo is None:
                        continue
                    if c.lo <= spec.len_min and spec.len_max <= c.hi:
                        used.add(i)
                        spec.len_hi, spec.constraint = int(c.hi), c.name
                        break
