"""The paper's metrics: BLEU is sacrebleu's, ΔBLEU and the others match hand-computed values."""

from __future__ import annotations

import math

import pytest
import sacrebleu

from speedhints.training.evaluation.metrics import (
    Reference,
    bleu,
    bleu_tokens,
    delta_bleu,
    efficiency_hard,
    ngram_counts,
    score_input,
)


def _ref(text: str, weight: float) -> Reference:
    """A reference given as space-separated words (the hand-computed cases need exact word lists)."""
    words = tuple(text.split())
    return Reference(words, ngram_counts(words), weight)


def _sacre(hyp: str, refs: list[str]) -> float:
    return sacrebleu.sentence_bleu(hyp, refs, tokenize="none").score / 100


@pytest.mark.parametrize(
    "hyp, refs",
    [
        ("a b c d", ["a b c d e"]),
        ("a b c d", ["a b x y", "q b c d"]),
        ("a a a b", ["a b", "a a c d e f"]),
        ("x y z", ["a b c"]),
        ("a b c d e f g", ["a b c", "a b c d e f g h i j"]),
    ],
)
def test_bleu_is_sacrebleus_sentence_bleu(hyp: str, refs: list[str]) -> None:
    ours = bleu(tuple(hyp.split()), [_ref(r, 1.0) for r in refs])
    assert ours == pytest.approx(_sacre(hyp, refs), abs=1e-12)


def test_delta_bleu_with_unit_weights_is_bleu() -> None:
    refs = [_ref("a b x y", 1.0), _ref("q b c d", 1.0)]
    assert delta_bleu(("a", "b", "c", "d"), refs) == pytest.approx(bleu(("a", "b", "c", "d"), refs))


def test_delta_bleu_hand_computed() -> None:
    # hyp "a b c d"; r1 = hyp (weight 0.5, the slower reference), r2 = "a b x y" (weight 1, the fastest).
    # 1-grams: a, b credited 1 (r2), c, d credited 0.5 (only r1): 3/4; 2-grams: ab 1, bc .5, cd .5: 2/3;
    # 3-grams: .5 + .5 of 2: 1/2; 4-gram: .5 of 1: 1/2; brevity penalty 1 (a reference of length 4).
    refs = [_ref("a b c d", 0.5), _ref("a b x y", 1.0)]
    expected = math.exp((math.log(3 / 4) + math.log(2 / 3) + math.log(1 / 2) + math.log(1 / 2)) / 4)
    assert delta_bleu(("a", "b", "c", "d"), refs) == pytest.approx(expected, abs=1e-9)
    assert bleu(("a", "b", "c", "d"), refs) == pytest.approx(1.0)  # plain BLEU ignores the runtimes
    assert efficiency_hard(("a", "b", "c", "d"), refs) == 0.5
    assert efficiency_hard(("a", "b", "x", "y"), refs) == 1.0
    assert efficiency_hard(("a", "b"), refs) == 0.0


def test_score_input_average_maximum_and_diversity() -> None:
    r1, r2 = "x = 1\nprint(x)\n", "print(1)\n"
    refs = [Reference.of(r1, 0.5), Reference.of(r2, 1.0)]
    both = score_input([r1, r2, r2, r2], refs)
    assert both.max_effi_hard == 1.0
    assert both.avg_effi_hard == pytest.approx((0.5 + 3 * 1.0) / 4)  # duplicates count as samples
    assert both.max_corr == pytest.approx(1.0)
    assert both.diversity == pytest.approx(1.0)  # each reference is reproduced by some sample
    one = score_input([r1] * 4, refs)
    single = bleu(bleu_tokens(r1), [Reference.of(r2)])
    assert one.diversity == pytest.approx((1.0 + single) / 2)
    assert one.avg_corr == one.max_corr  # all samples equal: average = maximum
    assert one.diversity < both.diversity


def test_bleu_tokens_keep_indentation_and_survive_broken_code() -> None:
    assert bleu_tokens("if a:\n    b\n") == ("if", "a", ":", "<nl>", "<in>", "b", "<nl>", "<de>")
    assert bleu_tokens("if a:\n    b\nc\n") != bleu_tokens("if a:\n    b\n    c\n")
    broken = bleu_tokens("def f(:\n    return (1\n")  # unbalanced: tokenize fails, the fallback still splits
    assert broken[:4] == ("def", "f", "(", ":") and "<in>" in broken
