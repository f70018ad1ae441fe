"""The edit script (issue 14.1): apply and diff are exact inverses, through tokens too, on generated and real pairs."""

from __future__ import annotations

from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from speedhints.model_export.canonical import CanonicalError, canonicalize
from speedhints.model_export.editscript import (
    MAX_LINES,
    Hunk,
    Script,
    ScriptCodec,
    ScriptError,
    apply,
    check_inverse,
    diff,
    line_marker,
    with_edit_tokens,
)
from speedhints.model_export.tokenizer import CodeTokenizer

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "training" / "corpus" / "tokenizer.json"
DATA = ROOT.parent / "shared" / "data" / "codeforces_python.jsonl.gz"
# The same rule as the `corpus` marker being added on branch i16 (tests/conftest.py): align at merge.

X = "def f0(v0):\n    for v1 in v0:\n        print(v1)\n    return v0\nv2 = input()\n"
Y = ("import sys\ndef f0(v0):\n    for v1 in v0:\n        sys.stdout.write(v1)\n        v3 = 1\n    return v0\n"
     "v2 = sys.stdin.readline()\n")


@pytest.fixture(scope="module")
def codec() -> ScriptCodec:
    return ScriptCodec(CodeTokenizer.load(TOKENIZER))


# Lines drawn from a small pool so that generated x and y share lines (otherwise every diff is one big hunk).
LINE = st.sampled_from(["", "    ", "a = 1", "    b = a", "        c()", "for v0 in v1:", "    pass", "x\ty",
                        "é = 'ü'"])
CODE = st.lists(LINE, max_size=12).map("\n".join)


@given(CODE, CODE)
def test_apply_inverts_diff_on_any_lines(x: str, y: str) -> None:
    script = diff(x, y)
    assert apply(x, script) == y
    assert (len(script) == 0) == (x == y)  # the empty script is exactly "no change"


@given(CODE, CODE)
def test_token_round_trip_on_any_lines(codec: ScriptCodec, x: str, y: str) -> None:
    script = diff(x, y)
    ids = codec.encode_script(x, script)
    assert codec.decode_script(x, ids) == script
    assert codec.decode_source(codec.encode_source(x)) == x


def canonical_or_reject(src: str) -> str:
    try:
        return canonicalize(src).code
    except (CanonicalError, RecursionError):
        assume(False)
        raise AssertionError("unreachable") from None


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar(), hypothesmith.from_grammar(), st.randoms())
def test_inverse_on_generated_programs(codec: ScriptCodec, a: str, b: str, rnd: object) -> None:
    x, other = canonical_or_reject(a), canonical_or_reject(b)
    # Two kinds of pairs: an unrelated program, and x with a few lines dropped / taken from the other program.
    lines, donor = x.split("\n"), other.split("\n")
    edited = [ln for ln in lines if rnd.random() > 0.2] + donor[: rnd.randint(0, len(donor))]  # type: ignore[attr-defined]
    report = check_inverse([(x, other), (x, "\n".join(edited)), (other, x)], codec)
    assert report.ok, report.examples


def test_diff_of_a_small_speed_edit_is_three_hunks(codec: ScriptCodec) -> None:
    script = diff(X, Y)
    assert script == Script((
        Hunk(0, 0, ("import sys",)),
        Hunk(2, 3, ("        sys.stdout.write(v1)", "        v3 = 1")),
        Hunk(4, 5, ("v2 = sys.stdin.readline()",)),
    ))
    ids = codec.encode_script(X, script)
    pieces = [codec.tokenizer.tokenizer.id_to_token(i) for i in ids]
    # hunk headers are line tokens; the second hunk's lines are one INDENT deeper than the `for` line before it
    assert pieces[:2] == [line_marker(0), line_marker(0)]
    second = pieces.index(line_marker(2))
    assert pieces[second + 1] == line_marker(3) and pieces[second + 2] == "\ue001"
    assert len(ids) < len(codec.tokenizer.encode(Y))  # 3 hunks of a 7-line program: 20 tokens vs 31


def test_marked_source_puts_a_line_token_at_each_line(codec: ScriptCodec) -> None:
    ids = codec.encode_source(X)
    lines = [codec.line_of(t) for t in ids if codec.line_of(t) is not None]
    assert lines == list(range(len(X.split("\n"))))
    assert ids[0] == codec.line_id(0)
    assert codec.nl_id not in ids
    assert len(ids) == len(codec.tokenizer.encode(X)) + 1  # one token more than the plain input, no more


def test_edit_tokens_keep_existing_ids_and_are_added_once() -> None:
    base = CodeTokenizer.load(TOKENIZER)
    extended = with_edit_tokens(base)
    assert extended.vocab_size == base.vocab_size + MAX_LINES + 1
    assert extended.encode(Y) == base.encode(Y)
    assert extended.tokenizer.token_to_id(line_marker(0)) == base.vocab_size
    assert with_edit_tokens(extended) is extended
    assert CodeTokenizer.from_json(extended.to_json()).vocab_size == extended.vocab_size  # survives a checkpoint


def test_malformed_scripts_are_refused_with_one_line(codec: ScriptCodec) -> None:
    body = codec.tokenizer.encode("pass\n")
    cases = {
        "starts with text": body,
        "no end line": [codec.line_id(1)],
        "out of order": [codec.line_id(3), codec.line_id(4), codec.line_id(1), codec.line_id(2)],
        "past the input": [codec.line_id(9), codec.line_id(9), *body],
        "end before start": [codec.line_id(2), codec.line_id(1)],
        "EOS inside": [codec.line_id(1), codec.line_id(1), codec.tokenizer.eos_id, *body],
        "no final newline": [codec.line_id(1), codec.line_id(1), *codec.tokenizer.encode("pass")],
    }
    for name, ids in cases.items():
        with pytest.raises(ScriptError) as exc:
            codec.decode_script(X, ids)
        assert "\n" not in str(exc.value), name
    with pytest.raises(ScriptError):
        apply(X, Script((Hunk(2, 9, ()),)))
    with pytest.raises(ScriptError):
        codec.line_id(MAX_LINES + 1)


class LossyCodec(ScriptCodec):
    """A codec with a bug: it forgets a script's last hunk when parsing."""

    def decode_script(self, x: str, ids: list[int]) -> Script:  # type: ignore[override]
        return Script(super().decode_script(x, ids).hunks[:-1])


def test_check_inverse_catches_a_broken_round_trip() -> None:
    pairs = [(X, Y), ("a\n", "a\n"), ("a\n", "b\n")]
    assert check_inverse(pairs, ScriptCodec(CodeTokenizer.load(TOKENIZER))).ok
    report = check_inverse(pairs, LossyCodec(CodeTokenizer.load(TOKENIZER)), keep=1)
    assert (report.pairs, report.failed, report.examples) == (3, 2, [(X, Y)])  # "no change" has no hunk to lose
    assert not check_inverse([]).ok  # nothing checked is not a pass


def test_inverse_on_every_real_pair(
    corpus_path: Path, codec: ScriptCodec, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from speedhints.training.data.pair_code import pair_keys, real_pairs

    # The canonical code of the ~7.3k solutions takes ~4 min of CPU to build once; pytest's cache keeps it
    # (without the cache plugin, -p no:cacheprovider, it is built afresh).
    cache = getattr(request.config, "cache", None)
    work = cache.mkdir("pair_code") if cache is not None else tmp_path
    pairs, missing = real_pairs(corpus_path, work=work, workers=2)
    assert len(pairs) + missing == len(pair_keys())
    assert missing == 0, f"{missing} pairs have a solution that no longer converts"
    report = check_inverse(pairs, codec)
    assert report.pairs == len(pairs) and report.ok, report.examples[:1]
