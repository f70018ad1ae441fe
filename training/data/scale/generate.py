"""Generate scaled-up inputs from a ProblemModel, deterministically from a seed.

Two generators share one writer that walks the template:

- ``random`` draws every value from its slot's range (statement constraint, else observed), with counts and word
  lengths at ``scale`` times their maximum (index 0 pins scalars at their maximum: the worst case is often there);
- ``mutate`` starts from one existing test input (AlphaCode-style): its scalar values are kept, its counts are
  scaled up like ``random``'s, and the extended lists draw from that input's own values, perturbed within the
  observed range.

Sizes are bounded by ``max_bytes``: the writer stops as soon as the output passes it, and the generation is
retried with every count and length capped at half the previous cap (the same seed, so still deterministic).
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass

from speedhints.training.data.scale.model import ProblemModel, SlotSpec
from speedhints.training.data.scale.structure import Count, Line, Node, Parsed, Repeat, Run, SizedWord, Tok

MAX_BYTES = 2_000_000  # the brief's cap on one input; keeps slow-but-correct solutions measurable
# Past the statement the point is CPU time: a linear pass over 2 MB takes Python ~10 ms, so stress inputs may
# reach 8 MB (a million-token list is ~100 MB in a solution, well inside the sandbox's 1 GiB).
STRESS_MAX_BYTES = 8_000_000
SCALES = {"max": 1.0, "large": 0.3, "mid": 0.1, "small": 0.01, "tiny": 0.001}


def seed_for(problem: str, generator: str, index: int) -> int:
    return int(hashlib.sha256(f"{problem}/{generator}/{index}".encode()).hexdigest()[:16], 16)


class TooBig(Exception):
    pass


class CannotGenerate(Exception):
    pass


@dataclass
class GenConfig:
    scale: float = 1.0
    max_bytes: int = MAX_BYTES
    pin_max: bool = False  # top-level scalars at their upper bound (index 0); repeated ones stay random
    seed_test: Parsed | None = None  # mutate: values come from this parsed test input
    # stress: statement bounds on counts and word lengths are multiplied by this (> 1 goes past the statement)
    beyond: float = 1.0
    beyond_values: bool = False  # stress: top-level integer scalars that size nothing are multiplied too


class _Writer:
    def __init__(self, max_bytes: int) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.max_bytes = max_bytes

    def charge(self, nbytes: int) -> None:
        """Count bytes as tokens are made, so a huge line stops early instead of after it is built."""
        self.size += nbytes
        if self.size > self.max_bytes:
            raise TooBig

    def line(self, tokens: list[str]) -> None:
        self.charge(1)  # the newline; the tokens were charged as they were made
        self.lines.append(" ".join(tokens))


class _Gen:
    def __init__(self, model: ProblemModel, rng: random.Random, cfg: GenConfig, cap: int) -> None:
        self.m = model
        self.rng = rng
        self.cfg = cfg
        self.cap = cap
        self.out = _Writer(cfg.max_bytes)
        self.seed_pos: dict[int, int] = {}  # mutate: next occurrence of each slot in the seed test
        self.largest = 1  # largest count or length used: the next cap when the input is too big

    # ---- ranges ----
    def count_range(self, spec: SlotSpec, count_lo: int) -> tuple[int, int]:
        obs_max = int(spec.obs_max or 1)
        hi = int(spec.hi) if spec.hi is not None else max(obs_max, NO_BOUND_GROWTH * obs_max)
        hi = min(hi, NO_CONSTRAINT_CAP if spec.hi is None else hi)
        hi = int(hi * self.cfg.beyond)
        target = max(obs_max, int(hi * self.cfg.scale))
        target = max(min(target, self.cap), count_lo)
        lo = int(spec.lo) if spec.lo is not None else int(spec.obs_min or 0)
        return max(lo, count_lo), max(max(lo, count_lo), target)

    def value_range(self, spec: SlotSpec, env: dict[int, int]) -> tuple[float, float]:
        lo = spec.lo if spec.lo is not None else spec.obs_min
        hi = spec.hi if spec.hi is not None else spec.obs_max
        lo = 0 if lo is None else lo
        hi = lo if hi is None else hi
        if spec.hi_slot is not None and spec.hi_slot in env:
            hi = min(hi, env[spec.hi_slot]) if spec.hi is not None else env[spec.hi_slot]
        if spec.lo_slot is not None and spec.lo_slot in env:
            lo = max(lo, env[spec.lo_slot])
        if self.cfg.scale < 1 and spec.hi is not None and not spec.element:
            hi = max(spec.obs_max if spec.obs_max is not None else lo, lo + (hi - lo) * self.cfg.scale)
        if self.cfg.beyond_values and not spec.element and spec.kind == "int" and spec.hi_slot is None:
            hi = lo + (hi - lo) * self.cfg.beyond
        return lo, max(lo, hi)

    # ---- values ----
    def scalar(self, spec: SlotSpec, env: dict[int, int]) -> str:
        tok = self._scalar(spec, env)
        if spec.kind != "word":
            self.out.charge(len(tok) + 1)
        return tok

    def _scalar(self, spec: SlotSpec, env: dict[int, int]) -> str:
        seeded = self.from_seed(spec)
        if seeded is not None and not spec.is_count:
            return seeded[0]
        if spec.kind == "word":
            return self.word(spec, None)
        pin = self.cfg.pin_max and not spec.element  # pinned edges/queries would all be the same line
        if spec.is_count:
            clo, chi = self.count_range(spec, 0)
            if spec.hi_slot is not None and spec.hi_slot in env:
                chi = min(chi, env[spec.hi_slot])
            return str(chi if pin or self.rng.random() < 0.7 else self.rng.randint(clo, max(clo, chi)))
        lo, hi = self.value_range(spec, env)
        if spec.kind == "float":
            v = float(hi) if pin else self.rng.uniform(lo, hi)
            return f"{v:.{spec.decimals}f}"
        return str(int(hi) if pin else self.rng.randint(int(lo), int(hi)))

    def from_seed(self, spec: SlotSpec) -> list[str] | None:
        if self.cfg.seed_test is None:
            return None
        occ = self.cfg.seed_test.values.get(spec.slot)
        if not occ:
            return None
        i = self.seed_pos.get(spec.slot, 0)
        self.seed_pos[spec.slot] = i + 1
        chosen: list[str] = occ[i % len(occ)]
        return chosen

    def run(self, spec: SlotSpec, n: int, env: dict[int, int]) -> list[str]:
        self.out.charge(2 * n)  # at least one character and one space per token
        if spec.kind == "word":
            return [self.word(spec, None) for _ in range(n)]
        pool = (
            [t for occ in self.cfg.seed_test.values.get(spec.slot, []) for t in occ]
            if self.cfg.seed_test is not None
            else []
        )
        lo, hi = self.value_range(spec, env)
        if spec.kind == "float":
            return [f"{self.rng.uniform(lo, hi):.{spec.decimals}f}" for _ in range(n)]
        ilo, ihi = int(lo), int(hi)
        if spec.permutation:
            vals = list(range(1, n + 1))
            self.rng.shuffle(vals)
            return [str(v) for v in vals]
        if spec.distinct and ihi - ilo + 1 >= n:
            vals = self.rng.sample(range(ilo, ihi + 1), n)
        elif pool:
            # mutate: mostly the seed's own values, sometimes a perturbed one inside the observed range
            vals = [
                int(self.rng.choice(pool)) if self.rng.random() < 0.8 else self.rng.randint(ilo, ihi) for _ in range(n)
            ]
        else:
            vals = [self.rng.randint(ilo, ihi) for _ in range(n)]
        if spec.sorted_up:
            vals.sort()
        out = [str(v) for v in vals]
        self.out.charge(sum(map(len, out)) - n)
        return out

    def word(self, spec: SlotSpec, length: int | None) -> str:
        if length is None and spec.element:
            # a word among many (names, a sentence): its own length is not what the statement bounds
            length = self.rng.randint(max(1, spec.len_min), max(1, spec.len_max))
        if length is None:
            hi = spec.len_hi if spec.len_hi is not None else spec.len_max
            target = max(spec.len_max, int(hi * self.cfg.scale * self.cfg.beyond))
            length = max(1, min(target, self.cap))
            self.largest = max(self.largest, length)
        self.out.charge(length)
        alphabet = spec.alphabet or string.ascii_lowercase
        seed_words = self.cfg.seed_test.values.get(spec.slot) if self.cfg.seed_test is not None else None
        if seed_words:
            alphabet = "".join(sorted(set("".join(t for occ in seed_words for t in occ)))) or alphabet
        chars = self.rng.choices(alphabet, k=length)
        if spec.no_leading_zero and chars[0] == "0" and len(chars) > 1:
            chars[0] = self.rng.choice([c for c in alphabet if c != "0"] or ["1"])
        return "".join(chars)

    # ---- template walk ----
    def nodes(self, nodes: tuple[Node, ...], env: dict[int, int]) -> None:
        for node in nodes:
            if isinstance(node, Repeat):
                for _ in range(self.count(node.count, env)):
                    self.nodes(node.body, dict(env))
            else:
                self.line(node, env)

    def count(self, count: Count, env: dict[int, int]) -> int:
        if count.var is None:
            raise CannotGenerate("free count")
        n: int = max(0, count.value(env))
        self.largest = max(self.largest, n)
        if 2 * n > self.out.max_bytes - self.out.size:  # every line or token costs at least 2 bytes
            raise TooBig
        return n

    def line(self, node: Line, env: dict[int, int]) -> None:
        tokens: list[str] = []
        for it in node.items:
            spec = self.m.slots[it.slot]
            if isinstance(it, Tok):
                tok = self.scalar(spec, env)
                if spec.kind == "int" and it.kind == "int":
                    env[it.slot] = int(tok)
                tokens.append(tok)
            elif isinstance(it, Run):
                if it.count.var is None:
                    seeded = self.from_seed(spec)
                    if seeded is not None:
                        self.out.charge(sum(len(t) + 1 for t in seeded))
                        tokens.extend(seeded)
                    else:
                        tokens.extend(self.run(spec, max(1, int(spec.len_max or 1)), env))
                else:
                    tokens.extend(self.run(spec, self.count(it.count, env), env))
            elif isinstance(it, SizedWord):
                tokens.append(self.word(spec, self.count(it.length, env)))
        self.out.line(tokens)


NO_BOUND_GROWTH = 1000  # a count with no parsed bound may grow to this many times its largest observed value
NO_CONSTRAINT_CAP = 100_000


def generate(model: ProblemModel, seed: int, cfg: GenConfig) -> bytes:
    """One input as bytes; shrinks every count/length cap until the input fits ``cfg.max_bytes``."""
    cap = 10**9
    for _ in range(40 if cfg.beyond > 1 else 12):
        rng = random.Random(seed)
        gen = _Gen(model, rng, cfg, cap)
        try:
            gen.nodes(model.template, {})
        except TooBig:
            if cap == 1:
                break
            # stress inputs shrink by quarters so they end near the budget; valid ones keep the original eighths
            # (their committed sha256 depend on it)
            largest = min(cap, gen.largest)
            cap = max(1, largest * 3 // 4 if cfg.beyond > 1 else largest // 8)
            continue
        except (KeyError, ValueError, IndexError) as exc:
            raise CannotGenerate(f"{type(exc).__name__}: {exc}") from exc
        return ("\n".join(gen.out.lines) + "\n").encode()
    raise CannotGenerate("input does not fit the size budget")


def generator_plan(model: ProblemModel) -> list[tuple[str, int, GenConfig]]:
    """(generator name, index, config) to try, largest first; names are stable because seeds derive from them."""
    plan: list[tuple[str, int, GenConfig]] = []
    for label, scale in SCALES.items():
        plan.append((f"random-{label}", 0, GenConfig(scale=scale, pin_max=True)))
        plan.append((f"random-{label}", 1, GenConfig(scale=scale)))
        seeds = sorted(range(len(model.parsed_tests)), key=lambda i: -len(model.tests[i]))
        if seeds:
            plan.append((f"mutate-{label}", 0, GenConfig(scale=scale, seed_test=model.parsed_tests[seeds[0]])))
    return plan


# Past the statement: for problems whose largest valid input still runs in a few milliseconds (n <= 100 and the
# like), runtime is interpreter noise. Like AlphaCode's mutated tests, these inputs need not respect the
# statement; the agreement of the passing solutions decides whether the output is still well defined (solutions
# that rely on the bound, e.g. a fixed-size table, disagree and sink the input or are dropped by measure).
STRESS_FACTORS = (2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000)  # ~10x per 3 rungs


def stress_plan(model: ProblemModel) -> list[list[tuple[str, int, GenConfig]]]:
    """Ladders of past-the-statement inputs, each ascending: counts and lengths first, then also the scalar
    values that size nothing (a lone ``n`` that a loop runs to). The pipeline climbs a ladder until an input is
    slow enough and stops at the first one the solutions do not agree on."""
    counts = [(f"stress-x{f}", 0, GenConfig(pin_max=True, beyond=f, max_bytes=STRESS_MAX_BYTES))
              for f in STRESS_FACTORS]  # fmt: skip
    values = [(f"stress-x{f}", 1, GenConfig(pin_max=True, beyond=f, beyond_values=True, max_bytes=STRESS_MAX_BYTES))
              for f in STRESS_FACTORS]  # fmt: skip
    return [counts, values]


def all_generators(model: ProblemModel) -> dict[str, GenConfig]:
    """Every input name the pipeline may keep -> its config (regeneration looks committed rows up here)."""
    plans = generator_plan(model) + [step for ladder in stress_plan(model) for step in ladder]
    return {f"{g}-{i}": c for g, i, c in plans}
