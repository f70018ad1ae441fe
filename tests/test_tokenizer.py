"""The tokenizer (issue #2, item 4): layout and placeholders are single tokens; decode(encode(c)) == c."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from speedhints.model_export.canonical import CanonicalError, canonicalize
from speedhints.model_export.tokenizer import DEDENT, INDENT, NL, CodeTokenizer, from_markers, to_markers

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "training" / "corpus" / "tokenizer.json"


TRAIN = 200  # programs the test tokenizer learns from; the rest of the slice's programs are held out


def canonical_corpus(data: Path) -> list[str]:
    """The canonical form of every real solution that has one (the Python 2 ones do not)."""
    out: list[str] = []
    with gzip.open(data, "rt") as f:
        for line in f:
            for sol in json.loads(line)["solutions"]:
                try:
                    out.append(canonicalize(sol["code"]).code)
                except CanonicalError:
                    continue
    return out


@pytest.fixture(scope="module")
def corpus(corpus_slice: Path) -> list[str]:
    return canonical_corpus(corpus_slice)


@pytest.fixture(scope="module")
def tokenizer(corpus: list[str]) -> CodeTokenizer:
    return CodeTokenizer.train(corpus[:TRAIN], vocab_size=1200)


def test_round_trip_on_held_out_canonical_programs(tokenizer: CodeTokenizer, corpus: list[str]) -> None:
    held_out = corpus[TRAIN:]
    assert len(held_out) >= 100
    for code in held_out:
        assert tokenizer.decode(tokenizer.encode(code)) == code


def test_layout_and_placeholders_are_single_tokens(tokenizer: CodeTokenizer) -> None:
    code = "def f0(v0):\n    for v1 in v0:\n        print(v1, s0)\n    return v12\n"
    pieces = tokenizer.tokens(code)
    assert pieces.count(NL) == 4 and pieces.count(INDENT) == 2 and pieces.count(DEDENT) == 1
    for placeholder in (" f0", "v0", " v0", "v1", " s0", " v12"):
        assert placeholder in pieces, (placeholder, pieces)


def test_specials_are_distinct_and_dropped_by_decode(tokenizer: CodeTokenizer) -> None:
    ids = tokenizer.encode("print(v0)\n")
    assert len({tokenizer.pad_id, tokenizer.bos_id, tokenizer.eos_id}) == 3
    assert tokenizer.decode([tokenizer.bos_id, *ids, tokenizer.eos_id, tokenizer.pad_id]) == "print(v0)\n"


def test_save_and_load(tokenizer: CodeTokenizer, tmp_path: Path) -> None:
    tokenizer.save(tmp_path / "tok.json")
    again = CodeTokenizer.load(tmp_path / "tok.json")
    assert again.vocab_size == tokenizer.vocab_size
    assert again.encode("v0 = int(input())\n") == tokenizer.encode("v0 = int(input())\n")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Co")), max_size=80))
def test_markers_are_an_exact_inverse_on_any_text(text: str) -> None:
    assert from_markers(to_markers(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Co")), max_size=60))
def test_round_trip_on_any_text(tokenizer: CodeTokenizer, text: str) -> None:
    assume_no_special = all(s not in text for s in ("<pad>", "<bos>", "<eos>"))
    if assume_no_special:
        assert tokenizer.decode(tokenizer.encode(text)) == text


def test_shipped_tokenizer_round_trips(corpus: list[str]) -> None:
    shipped = CodeTokenizer.load(SHIPPED)
    assert shipped.vocab_size >= 1000
    for code in corpus[:200]:
        assert shipped.decode(shipped.encode(code)) == code
