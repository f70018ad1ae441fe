"""The held-out report's bookkeeping (``speedhints data library heldout``) on a tiny synthetic package: a stub
suggester returns known hints (one restores the original function, one keeps the tests green without restoring
it, one breaks them); the real model runs only in the real command."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from speedhints.hook.suggester import LoadedSuggester
from speedhints.model_export.hints import Hint, LineRange
from speedhints.training.data.library.functions import units_of
from speedhints.training.data.library.heldout import (
    HeldoutPair,
    bundle_figures,
    evaluate_pair,
    read_heldout_pairs,
    summarize,
    with_library_heldout,
    write_report,
)
from speedhints.training.data.library.pins import Pin
from speedhints.training.data.library.sdist import from_folder
from speedhints.training.data.library.substitute import function_variants
from speedhints.training.data.pessimize import family

CORE = textwrap.dedent(
    '''\
    """A tiny module."""


    def squares(xs):
        out = [x * x for x in xs]
        return out


    def other():
        return 1
    '''
)
TEST = textwrap.dedent(
    """\
    from tinypkg.core import squares


    def test_squares():
        assert squares([1, 2, 3]) == [1, 4, 9]
    """
)


def _package(root: Path):  # type: ignore[no-untyped-def]
    (root / "tinypkg").mkdir(parents=True)
    (root / "tinypkg" / "__init__.py").write_text("")
    (root / "tinypkg" / "core.py").write_text(CORE)
    (root / "tests").mkdir()
    (root / "tests" / "test_core.py").write_text(TEST)
    (root / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\nLicense: MIT\n")
    return from_folder(Pin("tinypkg", "1.0", "heldout"), root)


def _suggestions() -> list[str]:
    return [
        "def squares(xs):\n    out = [x * x for x in xs]\n    return out\n",  # restores the original
        "def squares(xs):\n    return list(map(lambda x: x * x, xs))\n",  # green, not restored
        "def squares(xs):\n    return []\n",  # breaks the test
    ]


class StubSuggester:
    def __init__(self, how_many: int) -> None:
        self.how_many = how_many

    def suggest(self, path: str, source: str, changed: Sequence[LineRange], *, top_k: int = 4) -> list[Hint]:
        unit = next(u for u in units_of("tinypkg.core", source) if u.qualname == "squares")
        lines = source.splitlines(keepends=True)
        original = "".join(lines[unit.start - 1 : unit.end])
        return [
            Hint(path, unit.start, unit.end, "squares", latent, f"edit {latent}", None, 0.9, original, suggestion)
            for latent, suggestion in enumerate(_suggestions()[: self.how_many])
        ]


def test_heldout_report_counts(tmp_path: Path) -> None:
    package = _package(tmp_path / "tinypkg-1.0")
    variant = next(
        v for v in function_variants(CORE, family("comprehension_loop")) if v.qualname == "squares"
    )
    pair = HeldoutPair("tinypkg", "1.0", "tinypkg.core", "squares", "comprehension_loop", variant.sha,
                       ("tests/test_core.py",))  # fmt: skip

    def model_for(min_precision: float) -> LoadedSuggester:
        stub = StubSuggester(1 if min_precision > 0 else 3)
        return LoadedSuggester(f"stub {min_precision}", lambda: stub)

    record = evaluate_pair(package, pair, model_for, [("default", 0.5), ("min_precision_0", 0.0)], log=lambda m: None)
    assert record["status"] == "ok" and record["variant_tests"] == "passed"
    assert (package.root / "tinypkg" / "core.py").read_text() == CORE  # the sdist itself is never written
    summary = summarize([record], ["default", "min_precision_0"])
    assert summary["default"]["tinypkg"] == {
        "functions": 1, "distinct_functions": 1, "with_hint": 1, "shown": 1, "shown_tests_green": 1,
        "shown_tests_broken": 0, "restored": 1, "restored_share": 1.0,
    }  # fmt: skip
    zero = summary["min_precision_0"]["all"]
    assert (zero["shown"], zero["shown_tests_green"], zero["shown_tests_broken"], zero["restored"]) == (3, 2, 1, 1)
    assert [h["restored"] for h in record["min_precision_0"]] == [True, False, False]
    assert [h["tests"] for h in record["min_precision_0"]] == ["passed", "passed", "failed"]
    figures = bundle_figures(summary)
    assert figures == {"functions": 1, "shown": 1, "shown_tests_green": 1, "restored_share": 1.0}
    report = {"pairs_table": "pairs.tsv", "pairs": 1, "evaluated": 1, "bundle": "b",
              "settings": {"default": 0.5, "min_precision_0": 0.0}, "summary": summary, "records": [record]}
    write_report(report, tmp_path / "out")
    assert "| tinypkg | 1 | 1 | 3 | 2 | 1 | 1 |" in (tmp_path / "out" / "report.md").read_text()
    ev = with_library_heldout({"execution": {"by_problem": {"shown": 3}}}, figures)
    assert ev["execution"] == {"by_problem": {"shown": 3}, "library_heldout": figures}


def test_heldout_pair_with_unknown_sha_is_reported(tmp_path: Path) -> None:
    package = _package(tmp_path / "tinypkg-1.0")
    pair = HeldoutPair("tinypkg", "1.0", "tinypkg.core", "squares", "comprehension_loop", "0" * 64,
                       ("tests/test_core.py",))  # fmt: skip
    record = evaluate_pair(package, pair, lambda mp: LoadedSuggester("x", lambda: StubSuggester(1)), [("default", 0.5)])
    assert record["status"].startswith("variant not recreated")
    assert summarize([record], ["default"])["default"]["all"]["functions"] == 0


def test_read_heldout_pairs_keeps_heldout_rows(tmp_path: Path) -> None:
    head = "package\tversion\tlicense\tmodule\tfunction\tfamily\tvariant_sha\tunit_sha\ttest_files\ttests_passed\t" \
           "timed\tspeedup\tsplit\n"  # fmt: skip
    rows = ["a\t1\tMIT\ta.m\tf\tfam\tsha\tu\tt/x.py t/y.py\t2\tno\t\ttrain\n",
            "b\t1\tMIT\tb.m\tg\tfam\tsha2\tu\tt/z.py\t1\tno\t\theldout\n"]  # fmt: skip
    path = tmp_path / "pairs.tsv"
    path.write_text(head + "".join(rows))
    pairs = read_heldout_pairs(path)
    assert [(p.package, p.function, p.test_files) for p in pairs] == [("b", "g", ("t/z.py",))]
