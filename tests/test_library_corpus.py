"""The library pairs pipeline on a tiny local package (no network: its sdist is already in the work folder).

Real parts only: the real pessimizer families, real pytest subprocesses on the fixture's own test file, the real
sqlite ledger. The fixture's test checks ``fib.cache_info()``, which ``lru_cache_removal`` cannot see from inside
the module, so that family's variant must break the tests and must not be kept; ``comprehension_loop``'s
variant of a method keeps them green and must be kept with the package's version and license; its variant of a
method no test calls (``Table.doubled``: the tests pass with it raising) must not be run or kept.
"""

from __future__ import annotations

import ast
import csv
import sqlite3
import tarfile
from pathlib import Path

import pytest

from speedhints.cli import main
from speedhints.training.data.library.substitute import FamilyCount, function_variants
from speedhints.training.data.pessimize import family

CORE = '''"""A tiny package for tests."""
import functools


@functools.lru_cache(maxsize=None)
def fib(n):
    """Fibonacci numbers."""
    return n if n < 2 else fib(n - 1) + fib(n - 2)


class Table:
    def __init__(self, rows):
        self.rows = rows

    def squares(self):
        """Squares of the rows,
        one per row."""
        out = [x * x for x in self.rows]  # the comprehension the family turns into a loop
        return out

    def doubled(self):
        out = [2 * x for x in self.rows]  # no test calls this method: its variant proves nothing
        return out
'''

TEST_CORE = """from tinypkg.core import Table, fib


def test_fib_is_cached():
    assert fib(20) == 6765
    assert fib.cache_info().hits > 0


def test_squares():
    assert Table([1, 2, 3]).squares() == [1, 4, 9]
"""


def _sdist(tmp_path: Path, names: tuple[str, ...] = ("tinypkg",)) -> tuple[Path, Path]:
    """work/library/sdist/NAME-1.0.tar.gz for each name (the same tiny package under that name) and a pins table
    naming them; returns (work, pins)."""
    work = tmp_path / "work"
    (work / "library" / "sdist").mkdir(parents=True)
    pins = tmp_path / "pins.tsv"
    pins.write_text("name\tversion\tsplit\n" + "".join(f"{name}\t1.0\theldout\n" for name in names))
    for name in names:
        src = tmp_path / "build" / f"{name}-1.0"
        (src / name).mkdir(parents=True)
        (src / "tests").mkdir()
        (src / "PKG-INFO").write_text(f"Metadata-Version: 2.4\nName: {name}\nVersion: 1.0\nLicense-Expression: MIT\n")
        (src / name / "__init__.py").write_text("")
        (src / name / "core.py").write_text(CORE)
        (src / "tests" / "test_core.py").write_text(TEST_CORE.replace("tinypkg", name))
        with tarfile.open(work / "library" / "sdist" / f"{name}-1.0.tar.gz", "w:gz") as tf:
            tf.add(src, arcname=f"{name}-1.0")
    return work, pins


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_pairs_keep_only_variants_that_pass_the_package_tests_and_a_rerun_redoes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work, pins = _sdist(tmp_path)
    out, stats = tmp_path / "pairs.tsv", tmp_path / "stats.json"
    args = [
        "data",
        "library",
        "pairs",
        "--pins",
        str(pins),
        "--work",
        str(work),
        "--out",
        str(out),
        "--stats-out",
        str(stats),
        "--family",
        "lru_cache_removal",
        "--family",
        "comprehension_loop",
    ]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "baseline tinypkg tests/test_core.py: passed" in first
    assert "variants run: 3 (broke 1, kept 1, unreached 1)" in first

    rows = _rows(out)
    assert [(r["package"], r["version"], r["license"], r["module"], r["function"], r["family"]) for r in rows] == [
        ("tinypkg", "1.0", "MIT", "tinypkg.core", "Table.squares", "comprehension_loop")
    ]
    assert rows[0]["tests_passed"] == "yes" and rows[0]["timed"] == "no" and rows[0]["split"] == "heldout"
    with sqlite3.connect(work / "library" / "ledger.sqlite") as db:
        statuses = dict(db.execute("SELECT qualname || ':' || family, status FROM variants"))
    assert statuses == {
        "fib:lru_cache_removal": "broke",
        "Table.squares:comprehension_loop": "kept",
        "Table.doubled:comprehension_loop": "unreached",
    }
    # the working copy got its module back after each variant
    assert (work / "library" / "run" / "tinypkg-1.0" / "tinypkg" / "core.py").read_text() == CORE

    assert main(args) == 0
    second = capsys.readouterr().out
    assert "baseline" not in second
    assert "variants run: 0 (nothing to run)" in second
    assert _rows(out) == rows

    # Another machine has no ledger, only the committed dump beside the table: it runs nothing again either.
    dump = tmp_path / "library_ledger.jsonl.gz"
    assert dump.is_file() and "ledger dump: " in first
    (work / "library" / "ledger.sqlite").unlink()
    for extra in ("-wal", "-shm"):
        (work / "library" / f"ledger.sqlite{extra}").unlink(missing_ok=True)
    assert main(args) == 0
    third = capsys.readouterr().out
    assert f"started it from {dump}" in third
    assert "baseline" not in third and "variants run: 0 (nothing to run)" in third
    assert _rows(out) == rows


def test_fetch_writes_one_row_per_function_and_method_with_license(tmp_path: Path) -> None:
    work, pins = _sdist(tmp_path)
    out = tmp_path / "functions.tsv"
    assert main(["data", "library", "fetch", "--pins", str(pins), "--work", str(work), "--out", str(out)]) == 0
    rows = _rows(out)
    assert [(r["module"], r["qualname"], r["start"], r["end"], r["license"]) for r in rows] == [
        ("tinypkg.core", "fib", "5", "8", "MIT"),
        ("tinypkg.core", "Table.__init__", "12", "13", "MIT"),
        ("tinypkg.core", "Table.squares", "15", "19", "MIT"),
        ("tinypkg.core", "Table.doubled", "21", "23", "MIT"),
    ]


def test_a_method_variant_is_substituted_with_its_docstring_and_other_lines_intact() -> None:
    variant, other = function_variants(CORE, family("comprehension_loop"))
    assert (variant.qualname, other.qualname) == ("Table.squares", "Table.doubled")
    tree = ast.parse(variant.module_source)
    method = tree.body[3].body[1]  # type: ignore[attr-defined]
    assert ast.get_docstring(method, clean=False) == "Squares of the rows,\n        one per row."
    assert any(isinstance(node, ast.For) for node in ast.walk(method))
    kept = variant.module_source.splitlines()
    assert kept[:14] == CORE.splitlines()[:14]  # lines before the method, comments and blank lines included


def test_bad_pins_table_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pins = tmp_path / "pins.tsv"
    pins.write_text("name\tversion\tsplit\ntinypkg\t1.0\tsometimes\n")
    assert main(["data", "library", "fetch", "--pins", str(pins), "--work", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {pins}:2: need name, version and split") and "\n" not in err


def test_a_change_in_a_second_definition_of_a_name_is_dropped_not_paired_with_the_first() -> None:
    source = (
        "import sys\n"
        "if sys.version_info >= (3, 99):\n"
        "    def squares(xs):\n"
        "        return list(map(abs, xs))\n"
        "else:\n"
        "    def squares(xs):\n"
        "        out = [x * x for x in xs]\n"
        "        return out\n"
    )

    count = FamilyCount()
    assert function_variants(source, family("comprehension_loop"), count=count) == []
    assert count.dropped == {"changes a redefined unit": 1}


def test_a_rerun_of_several_packages_runs_none_of_the_variants_any_of_them_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each package's variants are checked against its own ledger rows (a stream once checked every package
    against the last package's rows, so a restarted job re-ran everything but the last package's variants)."""
    work, pins = _sdist(tmp_path, ("tinypkg", "otherpkg"))
    args = ["data", "library", "pairs", "--pins", str(pins), "--work", str(work), "--out", str(tmp_path / "p.tsv"),
            "--stats-out", str(tmp_path / "s.json"), "--family", "comprehension_loop"]  # fmt: skip
    assert main(args) == 0
    assert "variants run: 4 (kept 2, unreached 2)" in capsys.readouterr().out
    assert main(args) == 0
    assert "variants run: 0 (nothing to run)" in capsys.readouterr().out
