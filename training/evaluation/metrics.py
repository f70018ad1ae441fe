"""The paper's metrics (§4.3): Correctness, Efficiency-hard, Efficiency-soft and Diversity over R(x).

BLEU is sacrebleu's sentence BLEU (4-grams, "exp" smoothing, effective order, closest reference length), computed
from n-gram statistics gathered here so that each reference's counts are built once per input rather than once per
(sample, reference) pair; the final formula is sacrebleu's own ``BLEU.compute_bleu``, and the tests check the
result against ``sacrebleu.sentence_bleu`` itself. Scores are on a 0-1 scale like the paper's table.

Tokenisation for BLEU: Python's ``tokenize`` on the canonical code, one word per token, with NEWLINE, INDENT and
DEDENT as the words ``<nl>``, ``<in>``, ``<de>`` (so indentation counts, as it does in Python); comments and
non-logical newlines are dropped. A sample that does not tokenise (a broken generation) falls back to a regex split
with the same newline/indent words, so it can still score partial credit like any text.

With w(r) = min runtime in R(x) / runtime of r (1 for the fastest reference):

- Correctness(ŷ) = BLEU(ŷ, R(x)) (multi-reference);
- Efficiency-hard(ŷ) = max over r in R(x) of w(r) · [ŷ = r] (token sequences equal);
- Efficiency-soft(ŷ) = ΔBLEU(ŷ, R(x), w) (Galley et al., 2015): each n-gram's clipped count is credited with the
  largest weight among the references containing it; with all weights 1 it equals BLEU;
- Diversity(ŷ_1..N) = mean over r in R(x) of max_i BLEU(ŷ_i, r) (eq. 5): how much of R(x) the samples cover.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sacrebleu.metrics.bleu import BLEU

MAX_N = 4
_WORD = re.compile(r"\w+|[^\w\s]")


def bleu_tokens(code: str) -> tuple[str, ...]:
    """The words BLEU compares (see the module docstring)."""
    try:
        return _python_tokens(code)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return _fallback_tokens(code)


def _python_tokens(code: str) -> tuple[str, ...]:
    words = []
    skip = (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER)
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type in skip:
            continue
        if tok.type == tokenize.NEWLINE:
            words.append("<nl>")
        elif tok.type == tokenize.INDENT:
            words.append("<in>")
        elif tok.type == tokenize.DEDENT:
            words.append("<de>")
        else:
            words.append(tok.string)
    return tuple(words)


def _fallback_tokens(code: str) -> tuple[str, ...]:
    words: list[str] = []
    depth = [0]
    for line in code.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent > depth[-1]:
            depth.append(indent)
            words.append("<in>")
        while indent < depth[-1]:
            depth.pop()
            words.append("<de>")
        words += _WORD.findall(line)
        words.append("<nl>")
    return tuple(words)


def ngram_counts(words: Sequence[str]) -> list[Counter[tuple[str, ...]]]:
    """Counts of the 1..4-grams."""
    return [Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1)) for n in range(1, MAX_N + 1)]


@dataclass(frozen=True)
class Reference:
    words: tuple[str, ...]
    counts: list[Counter[tuple[str, ...]]]
    weight: float  # min runtime in R(x) / this reference's runtime, in (0, 1]

    @classmethod
    def of(cls, code: str, weight: float = 1.0) -> Reference:
        words = bleu_tokens(code)
        return cls(words, ngram_counts(words), weight)


def _closest_ref_len(hyp_len: int, refs: Sequence[Reference]) -> int:
    # sacrebleu's rule: the reference length closest to the hypothesis', the shorter one on a tie.
    return min((abs(len(r.words) - hyp_len), len(r.words)) for r in refs)[1]


def _score(correct: list[float], total: list[int], hyp_len: int, ref_len: int) -> float:
    # sacrebleu types the counts as ints; its formula is plain arithmetic, so ΔBLEU's weighted (float) credits work.
    bleu = BLEU.compute_bleu(correct, total, hyp_len, ref_len, smooth_method="exp", effective_order=True)  # type: ignore[arg-type]
    return float(bleu.score) / 100.0


def weighted_bleu(hyp: Sequence[str], refs: Sequence[Reference], weighted: bool) -> float:
    """BLEU of ``hyp`` against ``refs`` (weighted=False), or ΔBLEU with the references' weights (weighted=True)."""
    if not refs:
        raise ValueError("BLEU needs at least one reference")
    hyp_counts = ngram_counts(hyp)
    correct: list[float] = []
    total: list[int] = []
    # Galley's denominator is sum over n-grams of max_r w(r) * count; dividing the credits by the largest weight
    # keeps that a plain count, so sacrebleu's formula applies unchanged (w_max is 1 when R(x) holds its fastest).
    w_max = max(r.weight for r in refs) if weighted else 1.0
    for n in range(MAX_N):
        credit = 0.0
        for gram, c in hyp_counts[n].items():
            best = 0.0
            for r in refs:
                rc = r.counts[n].get(gram)
                if rc:
                    best = max(best, min(c, rc) * (r.weight / w_max if weighted else 1.0))
            credit += best
        correct.append(credit)
        total.append(sum(hyp_counts[n].values()))
    return _score(correct, total, len(hyp), _closest_ref_len(len(hyp), refs))


def bleu(hyp: Sequence[str], refs: Sequence[Reference]) -> float:
    return weighted_bleu(hyp, refs, weighted=False)


def delta_bleu(hyp: Sequence[str], refs: Sequence[Reference]) -> float:
    return weighted_bleu(hyp, refs, weighted=True)


def efficiency_hard(hyp: Sequence[str], refs: Sequence[Reference]) -> float:
    return max((r.weight for r in refs if r.words == tuple(hyp)), default=0.0)


@dataclass(frozen=True)
class InputScores:
    """One input's metrics over its N samples: the average and the maximum of each, and the diversity."""

    avg_corr: float
    avg_effi_hard: float
    avg_effi_soft: float
    max_corr: float
    max_effi_hard: float
    max_effi_soft: float
    diversity: float


METRIC_NAMES = ("avg_corr", "avg_effi_hard", "avg_effi_soft", "max_corr", "max_effi_hard", "max_effi_soft", "diversity")


def score_input(samples: Sequence[str], refs: Sequence[Reference]) -> InputScores:
    """Metrics of N samples (canonical code) for one input x with reference set ``refs`` = R(x)."""
    if not samples:
        raise ValueError("no samples to score")
    words = [bleu_tokens(s) for s in samples]
    per_unique: dict[tuple[str, ...], tuple[float, float, float]] = {}
    for w in words:
        if w not in per_unique:
            per_unique[w] = (bleu(w, refs), efficiency_hard(w, refs), delta_bleu(w, refs))
    rows = [per_unique[w] for w in words]  # duplicates count once per sample in the average, as samples do
    n = len(rows)
    # Diversity: for each reference, the best single-reference BLEU among the (distinct) samples.
    diversity = sum(max(bleu(w, [Reference(r.words, r.counts, 1.0)]) for w in per_unique) for r in refs) / len(refs)
    return InputScores(
        avg_corr=sum(r[0] for r in rows) / n,
        avg_effi_hard=sum(r[1] for r in rows) / n,
        avg_effi_soft=sum(r[2] for r in rows) / n,
        max_corr=max(r[0] for r in rows),
        max_effi_hard=max(r[1] for r in rows),
        max_effi_soft=max(r[2] for r in rows),
        diversity=diversity,
    )


def mean_scores(scores: Sequence[InputScores]) -> dict[str, float]:
    """The table row: each metric averaged over the inputs."""
    if not scores:
        return {name: float("nan") for name in METRIC_NAMES}
    return {name: sum(getattr(s, name) for s in scores) / len(scores) for name in METRIC_NAMES}
