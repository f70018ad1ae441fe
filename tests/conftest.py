"""Where the tests find real Codeforces solutions (issue #16, item 1).

- ``corpus_slice``: ``tests/data/codeforces_slice.jsonl.gz``, a few whole problems of the corpus in its own format,
  committed. Tests that need real solutions use it, so a fresh clone runs them.
- ``corpus_path``: the full corpus (``../shared/data/codeforces_python.jsonl.gz`` beside the checkout, or
  ``$SPEEDHINTS_DATA``), for the few tests that truly need all of it. Requesting this fixture marks the test
  ``corpus``; without the file the test is skipped with the reason, or fails when ``SPEEDHINTS_REQUIRE_CORPUS=1``
  (CI sets it in ``.ci/run``, so CI never silently skips them). ``-m "not corpus"`` leaves them out.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SLICE = ROOT / "tests" / "data" / "codeforces_slice.jsonl.gz"
REQUIRE_ENV = "SPEEDHINTS_REQUIRE_CORPUS"


def full_corpus() -> Path:
    """The full corpus's path, whether or not it is there: $SPEEDHINTS_DATA, else ../shared beside the checkout."""
    configured = os.environ.get("SPEEDHINTS_DATA")
    return Path(configured) if configured else ROOT.parent / "shared" / "data" / "codeforces_python.jsonl.gz"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "corpus: needs the full corpus (the corpus_path fixture); skipped without it")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "corpus_path" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.corpus)


@pytest.fixture(scope="session")
def corpus_path() -> Path:
    """The full corpus; skips the test when it is absent (fails instead under SPEEDHINTS_REQUIRE_CORPUS=1)."""
    path = full_corpus()
    if path.is_file():
        return path
    reason = f"needs the full corpus, not found at {path} (put it there or set SPEEDHINTS_DATA)"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def corpus_slice() -> Path:
    """A few whole problems of the corpus, committed (tests/data/make_slice.py rebuilds it)."""
    return SLICE
