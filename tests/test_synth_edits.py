"""``speedhints data edits`` (verified, untimed edits) and ``speedhints data mix`` on the toy corpus of test_synth.

The toy families: ``dup_sum`` and ``strip_input`` keep behaviour, so their new variants are verified edits;
``off_by_one`` breaks the tests (never kept); ``undup`` makes a program that is already a solution of the problem or
keeps behaviour. 9_C is a training problem, 10_C a validation problem, 10_B a test problem (never used here).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from test_synth import LATE, TOY, _corpus

from speedhints.cli import main
from speedhints.training.data import synth_edits
from speedhints.training.data.convert import load_converted
from speedhints.training.data.runcache import RunCache
from speedhints.training.data.synth_edits import read_edits
from speedhints.training.data.synth_variants import canonical_code, changed_lines
from speedhints.training.dataset import read_pairs as read_pair_records


def _statuses(work: Path) -> dict[tuple[str, str, str, int], str]:
    with sqlite3.connect(work / "edits.sqlite") as db:
        rows = db.execute("SELECT problem, solution, families, variant, status FROM attempts").fetchall()
    return {(p, s, f, v): st for p, s, f, v, st in rows}


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    tmp = tmp_path_factory.mktemp("edits")
    synth_args = _corpus(tmp)
    args = [*synth_args[:6], "--table", str(tmp / "synth_edits.tsv"), "--per-problem", "20"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synth_edits, "FAMILIES", TOY)
        assert main(["data", "edits", *args]) == 0
    return tmp, args


def test_only_variants_that_pass_the_tests_are_kept_and_no_test_problem_is_used(edited) -> None:  # type: ignore[no-untyped-def]
    tmp, _ = edited
    statuses = _statuses(tmp / "work")
    edits = read_edits(tmp / "synth_edits.tsv")
    assert edits, "the behaviour-keeping toy families make verified edits"
    kept = {(e.problem, e.solution, e.families, e.variant) for e in edits}
    # off_by_one breaks a solution that computes its sum once ("1"): fails the tests, not kept ...
    assert statuses[("9_C", "1", "off_by_one", 0)] == "fails_tests" and ("9_C", "1", "off_by_one", 0) not in kept
    # ... and keeps behaviour where the sum it changes is computed again (the first of "5"'s two): kept, as it passes
    assert statuses[("9_C", "5", "off_by_one", 0)] == "verified"
    assert {(e.solution, e.families) for e in edits} >= {("1", "strip_input"), ("2", "dup_sum")}
    assert {p for (p, _, _, _) in statuses} == {"9_C", "10_C"}  # 10_B is a test problem: never tried
    assert {e.split for e in edits} == {"train", "valid"}
    assert len(edits) == sum(st == "verified" for st in statuses.values())
    # an existing solution's program is not an edit: solution "3" is "1" with dup_sum applied
    assert ("9_C", "1", "dup_sum", 0) in statuses and statuses[("9_C", "1", "dup_sum", 0)] == "same_as_solution"


def test_a_rerun_runs_nothing_and_a_new_family_only_itself(edited) -> None:  # type: ignore[no-untyped-def]
    tmp, args = edited
    work = tmp / "work"
    before, table = _statuses(work), (tmp / "synth_edits.tsv").read_text()
    with RunCache(work / "runs.sqlite") as cache:
        runs = cache.count()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synth_edits, "FAMILIES", TOY)
        assert main(["data", "edits", *args]) == 0
    with RunCache(work / "runs.sqlite") as cache:
        assert cache.count() == runs
    assert _statuses(work) == before and (tmp / "synth_edits.tsv").read_text() == table
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synth_edits, "FAMILIES", [*TOY, LATE])
        assert main(["data", "edits", *args]) == 0
    after = _statuses(work)
    assert {k: v for k, v in after.items() if k in before} == before
    assert all("late_pass" in fam for (_, _, fam, _) in set(after) - set(before))


def test_from_table_rebuilds_pair_records_without_a_speedup(edited) -> None:  # type: ignore[no-untyped-def]
    tmp, args = edited
    out = tmp / "rebuilt"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synth_edits, "FAMILIES", [*TOY, LATE])
        assert main(["data", "edits", "--from-table", "--data", args[1], "--work", str(out),
                     "--table", str(tmp / "synth_edits.tsv")]) == 0  # fmt: skip
    edits = read_edits(tmp / "synth_edits.tsv")
    train = [json.loads(x) for x in (out / "pairs" / "edits" / "train.jsonl").read_text().splitlines()]
    valid = [json.loads(x) for x in (out / "pairs" / "edits" / "valid.jsonl").read_text().splitlines()]
    assert len(train) + len(valid) == len(edits)
    assert {r["problem"] for r in train} == {"9_C"} and {r["problem"] for r in valid} == {"10_C"}
    converted = {(c.problem, c.id): c.code for c in load_converted(tmp / "work")}
    for r in train + valid:
        assert r["speedup"] is None  # verified, not timed: never evidence of a speedup
        assert r["fast"] == canonical_code(converted[(r["problem"], r["fast_id"])])
        assert changed_lines(r["slow"], r["fast"]) >= 1
    records = read_pair_records(out / "pairs" / "edits" / "train.jsonl")  # the trainer reads them
    assert len(records) == len(train) and all(rec.speedup != rec.speedup for rec in records)  # NaN


def test_mix_keeps_edits_drops_rewrites_and_weights_train_only(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    def write(folder: Path, split: str, pairs: list[tuple[str, str]]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"problem": "p", "slow_id": str(i), "fast_id": "f", "slow": s, "fast": f, "speedup": 2.0})
                 for i, (s, f) in enumerate(pairs)]  # fmt: skip
        (folder / f"{split}.jsonl").write_text("".join(x + "\n" for x in lines))

    body = "".join(f"v{i} = {i}\n" for i in range(10))
    edit = (body + "print(v1)\n", body + "print(v2)\n")  # one line of eleven changed
    rewrite = ("a = 1\nprint(a)\n", "b = 2\nprint(b + 1)\n")  # two lines, nothing kept
    write(tmp_path / "real", "train", [edit, rewrite])
    write(tmp_path / "real", "valid", [rewrite])
    write(tmp_path / "synth", "train", [edit])
    out = tmp_path / "mixed"
    assert main(["data", "mix", str(out), "--short", str(tmp_path / "real"), "--pairs", f"{tmp_path / 'synth'}*3"]) == 0
    train = (out / "train.jsonl").read_text().splitlines()
    assert len(train) == 1 + 3  # the real edit, the synthetic pair three times; the rewrite dropped
    assert (out / "valid.jsonl").read_text() == ""
    assert "real/train dropped (rewrites) 1" in capsys.readouterr().out
    assert main(["data", "mix", str(out), "--pairs", f"{tmp_path / 'synth'}*0"]) == 2  # bad repeat: usage error
    assert main(["data", "mix", str(out), "--pairs", str(tmp_path / "nowhere")]) == 2


def test_another_machine_resumes_from_the_committed_ledger_dump(edited) -> None:  # type: ignore[no-untyped-def]
    tmp, args = edited
    with pytest.MonkeyPatch.context() as mp:  # the original machine has tried every family (whatever ran before)
        mp.setattr(synth_edits, "FAMILIES", [*TOY, LATE])
        assert main(["data", "edits", *args]) == 0
    dump = tmp / "synth_edits_ledger.jsonl.gz"
    assert dump.is_file()  # written beside the table with it
    fresh = tmp / "fresh-work"  # what a new machine has: the converted corpus, no ledger, no run cache
    fresh.mkdir()
    shutil.copy(tmp / "work" / "converted.jsonl", fresh / "converted.jsonl")
    moved = [*args]
    moved[moved.index("--work") + 1] = str(fresh)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synth_edits, "FAMILIES", [*TOY, LATE])
        assert main(["data", "edits", *moved]) == 0
    with RunCache(fresh / "runs.sqlite") as cache:
        assert cache.count() == 0  # nothing that was tried elsewhere ran again
    assert _statuses(fresh) == _statuses(tmp / "work")


def test_a_ledger_dump_round_trips_and_loads_only_what_is_new(tmp_path: Path) -> None:
    from speedhints.training.data.synth_ledger import Attempt, Ledger, Original

    a = Attempt("1_A", "7", "sha", "dup_sum", 0, "vsha", "verified", "", None, None, 1, None, "train", 0.5, 0.6)
    with Ledger(tmp_path / "a.sqlite") as one:
        one.put_attempt(a)
        one.put_applied("1_A", "7", "sha", "dup_sum", 1)
        one.put_original(Original("1_A", "7", "sha", "measured", 12.5, False, 1.0, "1:3"))
        assert one.dump(tmp_path / "d.jsonl.gz") == 2  # not the applied marks: a resumed run regenerates those
    with Ledger(tmp_path / "b.sqlite") as two:
        assert two.load(tmp_path / "d.jsonl.gz") == 2
        assert two.load(tmp_path / "d.jsonl.gz") == 0
        assert two.attempts() == [a] and two.applied("1_A", "7", "sha") == set()
        assert two.original("1_A", "7", "sha") == Original("1_A", "7", "sha", "measured", 12.5, False, 1.0, "1:3")
