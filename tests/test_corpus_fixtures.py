"""Issue #16, item 1: the committed slice of the corpus, and the ``corpus_path`` fixture (tests/conftest.py) that
skips a test needing the full corpus where it is absent, and fails it in CI."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from conftest import REQUIRE_ENV

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
INNER_TEST = """
def test_reads_the_corpus(corpus_path):
    assert corpus_path.read_bytes().startswith(b"\\x1f\\x8b")

def test_needs_nothing():
    pass
"""


def test_the_slice_is_small_and_in_the_corpus_format(corpus_slice: Path) -> None:
    assert corpus_slice.stat().st_size < 100_000
    with gzip.open(corpus_slice, "rt", encoding="utf-8") as f:
        problems = [json.loads(line) for line in f]
    assert 5 <= len(problems) <= 20
    for p in problems:
        assert set(p) == {"problem", "description", "tests", "solutions"}
        assert len(p["solutions"]) >= 20 and all(set(s) == {"id", "code"} for s in p["solutions"])
        assert sum(not t["truncated"] for t in p["tests"]) >= 5
        assert all(set(t) == {"input", "output", "truncated"} for t in p["tests"])


def test_the_slice_is_the_corpus_own_lines(corpus_path: Path, corpus_slice: Path) -> None:
    # Needs the full corpus: each problem of the slice is byte for byte the corpus's line for it
    with gzip.open(corpus_slice, "rt", encoding="utf-8") as f:
        sliced = f.read().splitlines()
    wanted = {json.loads(line)["problem"] for line in sliced}
    with gzip.open(corpus_path, "rt", encoding="utf-8") as f:
        original = [line.rstrip("\n") for line in f if json.loads(line)["problem"] in wanted]
    assert original == sliced


def _inner(pytester: pytest.Pytester) -> None:
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text())
    pytester.makepyfile(test_inner=INNER_TEST)


def test_without_the_corpus_the_test_is_skipped_with_its_reason(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _inner(pytester)
    monkeypatch.setenv("SPEEDHINTS_DATA", str(pytester.path / "absent.jsonl.gz"))
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED * needs the full corpus, not found at {pytester.path / 'absent.jsonl.gz'}*"])


def test_ci_turns_that_skip_into_a_failure(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _inner(pytester)
    monkeypatch.setenv("SPEEDHINTS_DATA", str(pytester.path / "absent.jsonl.gz"))
    monkeypatch.setenv(REQUIRE_ENV, "1")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    assert result.ret != 0
    result.stdout.fnmatch_lines([f"*{REQUIRE_ENV}=1 forbids skipping*"])


def test_with_the_corpus_the_test_runs_and_carries_the_marker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _inner(pytester)
    corpus = pytester.path / "corpus.jsonl.gz"
    corpus.write_bytes(gzip.compress(b"{}\n"))
    monkeypatch.setenv("SPEEDHINTS_DATA", str(corpus))
    monkeypatch.setenv(REQUIRE_ENV, "1")
    pytester.runpytest().assert_outcomes(passed=2)
    pytester.runpytest("-m", "not corpus").assert_outcomes(passed=1, deselected=1)


def test_ci_requires_the_corpus_and_lists_skips() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert f"export {REQUIRE_ENV}=1" in script and "python -m pytest -q -rs" in script
