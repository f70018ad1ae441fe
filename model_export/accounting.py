"""What happened to each region the runtime was asked about: the hints it kept and, by reason, what it dropped.

Nothing the runtime drops goes unrecorded (issue #17 item 5): a region too long for the model, candidates that
never reached end-of-sequence, and every refusal of the static checks are counted, per region, so the hook can
total them per run (``dropped`` in its JSON) and explain each region (``--explain``).

Reasons are counted by key: a refusal ``"<key>: <detail>"`` counts as ``<key>`` (``"new effect: writes output"``
counts as ``"new effect"``), so the totals stay a short table however many details there are.
Candidate reasons count candidates (one per decoded latent); region reasons (``REGION_REASONS``) count regions, one
each, since such a region is never decoded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from speedhints.model_export.hints import Hint, LineRange

# Region reasons: the region was not decoded at all.
TOO_LONG = "too long for the model"
NOT_CANONICAL = "does not canonicalise"
TIME_BUDGET = "time budget exhausted"
REGION_REASONS = (TOO_LONG, NOT_CANONICAL, TIME_BUDGET)

# Candidate reasons the runtime itself gives (the static checks of plausibility.py add theirs).
UNFINISHED = "unfinished"  # the decode hit its length limit before end-of-sequence: half a program
NO_CHANGE = "no change"
ONLY_NAMES = "only names or layout"
DOES_NOT_PARSE = "does not parse"
# The per-latent precision gate (issue #15 item 1) refuses a latent whose measured precision is too low; the
# model is then unsure, which --explain must not confuse with "nothing to improve".
BELOW_PRECISION = "below precision"
# An edit model's (issue 14.5): its script does not parse or fit the input; a hunk that cannot be laid exactly on
# the user's own lines, or whose result does not read as the model's program (userlines.py).
MALFORMED_SCRIPT = "malformed script"
NOT_ON_LINES = "hunk not on the user's lines"
# Candidates that are the input again, in other words: "nothing to improve", as far as the model can tell.
UNCHANGED = (NO_CHANGE, ONLY_NAMES)


def reason_key(why: str) -> str:
    """``"new effect: writes output"`` -> ``"new effect"``: refusals are counted by their key."""
    return why.split(":", 1)[0].strip()


@dataclass
class RegionOutcome:
    """One region's fate in one runtime call."""

    name: str  # "f", "Cls.meth", "<module>"
    start: int  # first line, 1-based (as in hook/regions.py and model_export/regions.py)
    end: int
    passed: int = 0  # candidates that passed every check (passed + sum(dropped) = the latents asked, per region)
    hints: int = 0  # hints kept: the passed candidates, several latents giving the same code merged into one
    dropped: Counter[str] = field(default_factory=Counter)  # reason key -> count
    detail: str = ""  # one line for a region reason, e.g. "312 tokens, the model reads at most 256"
    # A function too long for the model is checked in parts (parts.py): each part's own outcome, in line order.
    # Then the counts above are the parts' counts together, and ``detail`` says the function was cut.
    parts: list[RegionOutcome] = field(default_factory=list)
    touched: bool = True  # a part: whether the change touches it (only touched parts are decoded)

    @property
    def span(self) -> LineRange:
        return (self.start, self.end)

    def add_parts(self, parts: list[RegionOutcome]) -> None:
        """Take the parts' outcomes as this function's: its counts are theirs together."""
        self.parts = parts
        for part in parts:
            self.passed += part.passed
            self.hints += part.hints
            self.dropped.update(part.dropped)

    def drop(self, why: str, n: int = 1) -> None:
        self.dropped[reason_key(why)] += n


@dataclass
class SuggestReport:
    """A runtime call's hints and, per region it was asked about, its outcome."""

    hints: list[Hint] = field(default_factory=list)
    regions: dict[LineRange, RegionOutcome] = field(default_factory=dict)

    def dropped(self) -> Counter[str]:
        return total_dropped(self.regions.values())


def total_dropped(outcomes: Iterable[RegionOutcome]) -> Counter[str]:
    total: Counter[str] = Counter()
    for outcome in outcomes:
        total.update(outcome.dropped)
    return total


def dropped_json(counts: Mapping[str, int]) -> dict[str, int]:
    """Most frequent first, then by name: a stable order for JSON and text."""
    return dict(sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0])))


@runtime_checkable
class ReportingSuggester(Protocol):
    """A Suggester that also accounts for each region (the onnxruntime one); the hook then asks it once per file
    and honours a deadline inside the call."""

    def report(
        self,
        path: str,
        source: str,
        changed: Sequence[LineRange],
        *,
        top_k: int = 4,
        deadline: float | None = None,
        clock: Callable[[], float] = ...,
        progress: Callable[[int], None] | None = None,
    ) -> SuggestReport: ...
