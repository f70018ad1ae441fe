"""The early stop of candidates that can no longer parse (prefix_check.py): it must never stop a prefix that some
continuation makes valid (that would lose a hint), and it must stop the ones that are hopeless."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import pytest
from export_fixtures import tiny_bundle

from speedhints.model_export import bundle as fmt
from speedhints.model_export.bundle import load_bundle
from speedhints.model_export.canonical import CanonicalError, canonicalize
from speedhints.model_export.prefix_check import cannot_parse_whatever_follows
from speedhints.model_export.regions import regions
from speedhints.model_export.runtime import load_runtime
from speedhints.model_export.tokenizer import NL, CodeTokenizer


@pytest.mark.parametrize(
    "prefix",
    [
        "x = [a, b)\ny = 1\n",  # a bracket closed by the wrong one, then more
        "def f():\n    return 1\n  x = 2\ny = 3\n",  # an unindent matching no level
        "if x\n    y = 1\n",  # no colon
        "@d\nx = 1\ny = 2\n",  # a decorator on an assignment
        "for x in xs:\nprint(x)\nz = 1\n",  # a block that never came
    ],
)
def test_hopeless_prefixes_are_stopped(prefix: str) -> None:
    assert cannot_parse_whatever_follows(prefix)


@pytest.mark.parametrize(
    "prefix",
    [
        "def f(xs):\n    total = 0\n",  # valid so far
        "try:\n    x = 1\n    y = 2\n",  # except still to come
        "if a:\n    b\nelse:\n\n\n",  # the else block still to come
        "x = f(a,\n      b,\n",  # an open bracket, reported at its first line
        "d = {\n  1: 2,\n  3:\n",
        "s = '''abc\n\n",  # an open string, reported at its first line
        "x = 1 + \\\n",
        "class A:\n    @property\n",
        "for x in y:\n",
        "x = [a, b)\n",  # wrong, but on the last line: left to the final check
    ],
)
def test_prefixes_that_more_text_can_mend_are_not_stopped(prefix: str) -> None:
    assert not cannot_parse_whatever_follows(prefix)


@pytest.mark.parametrize("module", ["difflib.py", "ipaddress.py"])
def test_no_prefix_of_real_code_is_stopped(module: str) -> None:
    """Every line-prefix of the canonical form of every region of a real module, cut where the model would check
    it (after a newline token), has a valid continuation, namely the rest: none may be stopped."""
    tok = CodeTokenizer.load(load_bundle(None).file(fmt.TOKENIZER))
    newline = tok.tokenizer.token_to_id(NL)
    source = (Path(sysconfig.get_paths()["stdlib"]) / module).read_text(encoding="utf-8")
    checked = 0
    for region in regions(source):
        try:
            ids = tok.encode(canonicalize(region.code).code)
        except CanonicalError:
            continue
        lines = tok.line_decoder()
        for i in (i for i, t in enumerate(ids) if t == newline):
            prefix = tok.decode(ids[: i + 1])
            assert lines.feed(ids[: i + 1]) == prefix  # what the runtime checks, decoded a line at a time
            assert not cannot_parse_whatever_follows(prefix), (region.name, prefix[-300:])
            checked += 1
    assert checked > 500


def test_greedy_stops_a_row_where_asked() -> None:
    rt = load_runtime(tiny_bundle())
    code = canonicalize("def k(a):\n    b = sorted(a)\n    return b[0]\n").code
    source = [*rt.tokenizer.encode(code), rt.spec.eos_id]
    z = rt.codebook[:2]
    full = rt.runner.greedy([source] * 2, z)
    asked: list[int] = []

    def stop(row: int, out: list[int]) -> bool:
        asked.append(row)
        return row == 0  # stop row 0 at its first line end; let row 1 run

    cut = rt.runner.greedy([source] * 2, z, stop_at=rt.newline_id, stop=stop)
    first_line = full[0].index(rt.newline_id) + 1
    assert cut[0] == full[0][:first_line] and cut[1] == full[1]
    assert asked.count(0) == 1 and asked.count(1) == full[1].count(rt.newline_id)


def test_line_decoder_equals_decode_on_any_output() -> None:
    """Model output can be any ids (specials, stray DEDENTs, bytes cut mid-character): fed a line at a time, the
    decoder gives what decode gives for the whole prefix."""
    tok = CodeTokenizer.load(load_bundle(None).file(fmt.TOKENIZER))
    newline = tok.tokenizer.token_to_id(NL)
    rng = random.Random(0)
    for _ in range(200):
        ids = [rng.choice([newline, rng.randrange(tok.vocab_size)]) for _ in range(rng.randrange(1, 80))] + [newline]
        lines = tok.line_decoder()
        for i in (i for i, t in enumerate(ids) if t == newline):
            assert lines.feed(ids[: i + 1]) == tok.decode(ids[: i + 1])
