"""Infer the structure of a problem's input from its test inputs.

A *template* is a sequence of nodes that parses every untruncated test input of the problem:

- ``Line(items)``: one input line; items are scalar tokens (``Tok``), then optionally one ``Run`` of tokens whose
  count is a ``Count`` (an earlier integer: ``n``, ``n-1``, ``n+1``, ``2n``; ``None`` = free length, e.g. a
  sentence), or a single ``SizedWord`` whose length is a ``Count``.
- ``Repeat(count, body)``: ``body`` (one line, or several lines per test case) repeated ``count`` times.

Integers read by a ``Tok`` become variables (named by their *slot* number) that later counts may refer to. The
search is a small depth-first search over candidates at each line, most specific first, with a step budget; the
first template that parses every test wins. Tests judge nothing here: a wrong template only produces inputs that
the solutions later disagree on, and those are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

KINDS = ("int", "float", "word")  # ordered: a slot seen as int and float is float; anything else is word
_INT = re.compile(r"[+-]?\d+$")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
MAX_COUNT = 10**7  # integers above this are values, never counts
MAX_PREFIX = 4  # scalar tokens before a run on the same line ("n a1 ... an")
STEP_BUDGET = 5_000


def token_kind(tok: str) -> str:
    if _INT.match(tok) and len(tok.lstrip("+-")) <= 18:
        return "int"
    if _FLOAT.match(tok) and not _INT.match(tok):
        return "float"
    return "word"


def merge_kind(a: str, b: str) -> str:
    return a if KINDS.index(a) >= KINDS.index(b) else b


def split_lines(text: str) -> list[list[str]]:
    """Lines of whitespace-separated tokens; blank lines are dropped (they carry no structure we regenerate)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [line.split() for line in text.split("\n") if line.strip()]


@dataclass(frozen=True)
class Count:
    """``mul * env[var] + add``; ``var is None`` means the count is not given by the input (free)."""

    var: int | None
    mul: int = 1
    add: int = 0

    def value(self, env: dict[int, int]) -> int:
        assert self.var is not None
        return self.mul * env[self.var] + self.add

    def __str__(self) -> str:
        if self.var is None:
            return "*"
        s = f"{'' if self.mul == 1 else self.mul}v{self.var}"
        return s + (f"{self.add:+d}" if self.add else "")


COUNT_FORMS = ((1, 0), (1, -1), (1, 1), (2, 0))


@dataclass(frozen=True)
class Tok:
    slot: int
    kind: str


@dataclass(frozen=True)
class Run:
    slot: int
    kind: str
    count: Count


@dataclass(frozen=True)
class SizedWord:
    slot: int
    length: Count


Item = Tok | Run | SizedWord


@dataclass(frozen=True)
class Line:
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Repeat:
    count: Count
    body: tuple[Node, ...]


Node = Line | Repeat


def describe(nodes: Sequence[Node], indent: str = "") -> str:
    """A compact human-readable form, used in logs and tests: ``v0:int v1:int / repeat v0 [ run v1 int ]``."""
    out = []
    for node in nodes:
        if isinstance(node, Line):
            parts = []
            for it in node.items:
                if isinstance(it, Tok):
                    parts.append(f"v{it.slot}:{it.kind}")
                elif isinstance(it, Run):
                    parts.append(f"v{it.slot}:{it.kind}*{it.count}")
                else:
                    parts.append(f"v{it.slot}:word[len {it.length}]")
            out.append(indent + " ".join(parts))
        else:
            out.append(f"{indent}repeat {node.count}:")
            out.append(describe(node.body, indent + "  "))
    return "\n".join(out)


class InferenceFailed(Exception):
    pass


@dataclass
class _Search:
    next_slot: int = 0
    steps: int = 0

    def new_slot(self) -> int:
        self.next_slot += 1
        return self.next_slot - 1


Env = dict[int, int]
Stream = list[list[str]]


def _count_candidates(envs: Sequence[Env], targets: Sequence[int]) -> Iterator[Count]:
    """Counts that evaluate to ``targets[i]`` under ``envs[i]`` for every stream; most recent variable first."""
    if not envs:
        return
    common = set(envs[0])
    for env in envs[1:]:
        common &= set(env)
    for var in sorted(common, reverse=True):
        for mul, add in COUNT_FORMS:
            if all(mul * env[var] + add == t for env, t in zip(envs, targets, strict=True)):
                yield Count(var, mul, add)


def _merged_kind(tokens: Iterator[str]) -> str:
    kind = "int"
    for tok in tokens:
        kind = merge_kind(kind, token_kind(tok))
    return kind


def _line_candidates(
    lines: Sequence[list[str]], envs: Sequence[Env], search: _Search
) -> Iterator[tuple[Line, list[Env]]]:
    """Templates for one line of each stream, with each stream's environment after reading it."""
    lengths = [len(t) for t in lines]
    # 1. a prefix of scalars, then a run whose length is an earlier (or prefix) integer
    for p in range(0, min(min(lengths), MAX_PREFIX) + 1):
        if any(lengths[i] - p < 0 for i in range(len(lines))):
            break
        targets = [n - p for n in lengths]
        if max(targets) < 2:
            continue
        prefix_kinds = [_merged_kind(t[j] for t in lines) for j in range(p)]
        base = search.next_slot
        prefix_slots = list(range(base, base + p))
        penvs = []
        for t, env in zip(lines, envs, strict=True):
            e = dict(env)
            for j in range(p):
                if prefix_kinds[j] == "int" and abs(int(t[j])) <= MAX_COUNT:
                    e[prefix_slots[j]] = int(t[j])
            penvs.append(e)
        for count in _count_candidates(penvs, targets):
            search.next_slot = base + p
            run_kind = _merged_kind(tok for t in lines for tok in t[p:])
            items: list[Item] = [Tok(s, k) for s, k in zip(prefix_slots, prefix_kinds, strict=True)]
            items.append(Run(search.new_slot(), run_kind, count))
            yield Line(tuple(items)), penvs
        search.next_slot = base
    # 2. a single word whose length is an earlier integer (a string of length n; a grid row of width m)
    if all(n == 1 for n in lengths) and _merged_kind(t[0] for t in lines) == "word":
        lens = [len(t[0]) for t in lines]
        if max(lens) >= 2:
            for count in _count_candidates(envs, lens):
                yield Line((SizedWord(search.new_slot(), count),)), list(envs)
    # 3. a fixed number of scalar tokens
    if len(set(lengths)) == 1:
        base = search.next_slot
        kinds = [_merged_kind(t[j] for t in lines) for j in range(lengths[0])]
        slots = [search.new_slot() for _ in kinds]
        new_envs = []
        for t, env in zip(lines, envs, strict=True):
            e = dict(env)
            for j, (s, k) in enumerate(zip(slots, kinds, strict=True)):
                if k == "int" and abs(int(t[j])) <= MAX_COUNT:
                    e[s] = int(t[j])
            new_envs.append(e)
        yield Line(tuple(Tok(s, k) for s, k in zip(slots, kinds, strict=True))), new_envs
        search.next_slot = base
    # 4. free length (a sentence, a list whose length the input does not state)
    elif min(lengths) >= 1:
        yield Line((Run(search.new_slot(), _merged_kind(tok for t in lines for tok in t), Count(None)),)), list(envs)


def _infer_seq(
    streams: Sequence[Stream], pos: tuple[int, ...], envs: list[Env], search: _Search
) -> tuple[Node, ...] | None:
    search.steps += 1
    if search.steps > STEP_BUDGET:
        raise InferenceFailed("search budget exhausted")
    done = [p == len(s) for p, s in zip(pos, streams, strict=True)]
    if all(done):
        return ()
    for node, new_pos, new_envs in _node_candidates(streams, pos, envs, search):
        rest = _infer_seq(streams, new_pos, new_envs, search)
        if rest is not None:
            return (node, *rest)
    return None


def _node_candidates(
    streams: Sequence[Stream], pos: tuple[int, ...], envs: list[Env], search: _Search
) -> Iterator[tuple[Node, tuple[int, ...], list[Env]]]:
    remaining = [len(s) - p for s, p in zip(streams, pos, strict=True)]
    # A. a block of lines repeated an earlier integer's number of times
    free_repeats: list[tuple[Node, tuple[int, ...], list[Env]]] = []
    for var in sorted(set.intersection(*(set(e) for e in envs)), reverse=True):
        for mul, add in COUNT_FORMS:
            count = Count(var, mul, add)
            counts = [count.value(e) for e in envs]
            if min(counts) < 0 or (max(counts) < 2 and len(set(counts)) == 1):
                continue
            # one line per repetition
            if all(c <= r for c, r in zip(counts, remaining, strict=True)):
                body_lines = [streams[i][pos[i] + k] for i in range(len(streams)) for k in range(counts[i])]
                body_envs = [envs[i] for i in range(len(streams)) for _ in range(counts[i])]
                new_pos = tuple(p + c for p, c in zip(pos, counts, strict=True))
                for line, _ in _line_candidates(body_lines, body_envs, search):
                    if any(isinstance(it, Run) and it.count.var is None for it in line.items):
                        free_repeats.append((Repeat(count, (line,)), new_pos, envs))  # a weak guess: last
                    else:
                        yield Repeat(count, (line,)), new_pos, envs
            # several lines per repetition (test cases), only as the last block of the input
            for per in range(2, 6):
                if all(c * per == r for c, r in zip(counts, remaining, strict=True)):
                    cases = [
                        streams[i][pos[i] + k * per : pos[i] + (k + 1) * per]
                        for i in range(len(streams))
                        for k in range(counts[i])
                    ]
                    case_envs = [envs[i] for i in range(len(streams)) for _ in range(counts[i])]
                    body = _infer_seq(cases, (0,) * len(cases), case_envs, search) if cases else None
                    if body is not None:
                        yield Repeat(count, body), tuple(len(s) for s in streams), envs
    # B. a single line (every stream must still have one)
    if min(remaining) == 0:
        yield from free_repeats
        return
    lines = [s[p] for s, p in zip(streams, pos, strict=True)]
    for line, new_envs in _line_candidates(lines, envs, search):
        yield line, tuple(p + 1 for p in pos), new_envs
    yield from free_repeats


def infer_template(inputs: Sequence[str]) -> tuple[Node, ...]:
    """One template that parses every input; raises InferenceFailed when none is found."""
    streams = [split_lines(text) for text in inputs]
    streams = [s for s in streams if s]
    if not streams:
        raise InferenceFailed("no non-empty test input")
    search = _Search()
    result = _infer_seq(streams, (0,) * len(streams), [{} for _ in streams], search)
    if result is None:
        raise InferenceFailed("no template parses every test input")
    return _renumber(result, {})


def _renumber(nodes: Sequence[Node], mapping: dict[int, int]) -> tuple[Node, ...]:
    """Slots numbered 0, 1, 2, ... in reading order (the search leaves gaps where it backtracked)."""

    def new(slot: int) -> int:
        return mapping.setdefault(slot, len(mapping))

    def cnt(c: Count) -> Count:
        return c if c.var is None else Count(mapping[c.var], c.mul, c.add)

    out: list[Node] = []
    for node in nodes:
        if isinstance(node, Repeat):
            count = cnt(node.count)
            out.append(Repeat(count, _renumber(node.body, mapping)))
            continue
        items: list[Item] = []
        for it in node.items:
            if isinstance(it, Tok):
                items.append(Tok(new(it.slot), it.kind))
            elif isinstance(it, Run):
                count = cnt(it.count)
                items.append(Run(new(it.slot), it.kind, count))
            else:
                length = cnt(it.length)
                items.append(SizedWord(new(it.slot), length))
        out.append(Line(tuple(items)))
    return tuple(out)


# ---- parsing a concrete input with a template (statistics, mutation seeds) ----


@dataclass
class Parsed:
    """Values read from one input: per slot, the occurrences (each a list of tokens), and scalar integers."""

    values: dict[int, list[list[str]]] = field(default_factory=dict)

    def add(self, slot: int, tokens: list[str]) -> None:
        self.values.setdefault(slot, []).append(tokens)


class ParseError(Exception):
    pass


def parse(nodes: Sequence[Node], text: str) -> Parsed:
    lines = split_lines(text)
    parsed = Parsed()
    end = _parse_seq(nodes, lines, 0, {}, parsed)
    if end != len(lines):
        raise ParseError(f"{len(lines) - end} lines left over")
    return parsed


def _parse_seq(nodes: Sequence[Node], lines: Stream, i: int, env: Env, parsed: Parsed) -> int:
    for node in nodes:
        if isinstance(node, Repeat):
            n = node.count.value(env)
            for _ in range(n):
                i = _parse_seq(node.body, lines, i, dict(env), parsed)
            continue
        if i >= len(lines):
            raise ParseError("input ends early")
        toks = lines[i]
        j = 0
        for it in node.items:
            if isinstance(it, Tok):
                if j >= len(toks):
                    raise ParseError("line too short")
                parsed.add(it.slot, [toks[j]])
                if it.kind == "int" and token_kind(toks[j]) == "int":
                    env[it.slot] = int(toks[j])
                j += 1
            elif isinstance(it, Run):
                n = len(toks) - j if it.count.var is None else it.count.value(env)
                if j + n != len(toks):
                    raise ParseError("run length does not match its count")
                parsed.add(it.slot, toks[j : j + n])
                j += n
            else:
                if len(toks) != 1 or len(toks[0]) != it.length.value(env):
                    raise ParseError("word length does not match its count")
                parsed.add(it.slot, [toks[0]])
                j += 1
        if j != len(toks):
            raise ParseError("tokens left over on a line")
        i += 1
    return i
