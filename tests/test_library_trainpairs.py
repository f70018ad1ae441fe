"""``speedhints data library folder``: the training packages' pairs as a pairs folder for the curriculum, made again
from the unpacked sdist (a tiny local package: no network) and the pairs table, held-out rows left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_library_corpus import CORE, _sdist

from speedhints.cli import main
from speedhints.model_export.canonical import canonicalize
from speedhints.training.data.library.substitute import function_variants
from speedhints.training.data.library.tables import PAIR_COLUMNS
from speedhints.training.data.library.trainpairs import function_split
from speedhints.training.data.pessimize import family


def _table(path: Path, rows: list[dict[str, str]]) -> None:
    path.write_text("\t".join(PAIR_COLUMNS) + "\n" + "".join("\t".join(r.get(c, "") for c in PAIR_COLUMNS) + "\n"
                                                             for r in rows))  # fmt: skip


def _row(package: str, function: str, sha: str, split: str) -> dict[str, str]:
    return {"package": package, "version": "1.0", "license": "MIT", "module": f"{package}.core",
            "function": function, "family": "comprehension_loop", "variant_sha": sha, "unit_sha": "",
            "test_files": "tests/test_core.py", "tests_passed": "yes", "timed": "no", "speedup": "",
            "split": split}  # fmt: skip


def test_folder_writes_canonical_pairs_of_training_rows_only(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    work, pins = _sdist(tmp_path, ("tinypkg", "heldpkg"))
    squares, doubled = function_variants(CORE, family("comprehension_loop"))
    table = tmp_path / "pairs.tsv"
    _table(table, [_row("tinypkg", "Table.squares", squares.sha, "train"),
                   _row("tinypkg", "Table.doubled", "0" * 64, "train"),  # no variant has this sha any more
                   _row("heldpkg", "Table.squares", squares.sha, "heldout")])  # fmt: skip
    out = tmp_path / "folder"
    args = ["data", "library", "folder", str(out), "--pins", str(pins), "--work", str(work), "--pairs", str(table)]
    assert main(args) == 0
    said = capsys.readouterr().out
    split = function_split("tinypkg", "tinypkg.core", "Table.squares")
    assert f"2 train rows -> {out}: {split} 1, variant not recreated 1" in said

    written = {s: [json.loads(x) for x in (out / f"{s}.jsonl").read_text().splitlines()] for s in ("train", "valid")}
    assert sum(len(v) for v in written.values()) == 1
    (pair,) = written[split]
    assert pair["problem"] == "tinypkg:tinypkg.core:Table.squares" and pair["families"] == "comprehension_loop"
    assert pair["speedup"] is None and pair["timed"] is False
    # slow is the pessimized method, fast the package's own, in the slow side's placeholders
    slow = canonicalize(squares.slow_function)
    assert pair["slow"] == slow.code and "for " in pair["slow"] and ".append(" in pair["slow"]
    assert pair["fast"] == canonicalize(squares.fast_function, like=slow).code
    assert "heldpkg" not in (out / "train.jsonl").read_text() + (out / "valid.jsonl").read_text()
    assert doubled.qualname == "Table.doubled"  # the row with the stale sha names a real method

    held = tmp_path / "held"
    assert main([*args[:3], str(held), *args[4:], "--split", "heldout"]) == 0
    assert f"1 heldout rows -> {held}: test 1" in capsys.readouterr().out
    (test,) = [json.loads(x) for x in (held / "test.jsonl").read_text().splitlines()]
    assert test["problem"] == "heldpkg:heldpkg.core:Table.squares" and test["fast"] == pair["fast"]
    assert not (held / "train.jsonl").exists()


def test_function_split_keeps_every_variant_of_a_function_on_one_side() -> None:
    names = [("p", "p.m", f"f{i}") for i in range(400)]
    sides = [function_split(*n) for n in names]
    assert sides == [function_split(*n) for n in names]  # stable
    assert 20 <= sides.count("valid") <= 60  # about one in ten


def test_folder_without_training_rows_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "pairs.tsv"
    _table(table, [_row("tinypkg", "Table.squares", "0" * 64, "heldout")])
    assert main(["data", "library", "folder", str(tmp_path / "o"), "--pairs", str(table)]) == 2
    assert capsys.readouterr().err.strip() == f"error: no train rows in {table}"
