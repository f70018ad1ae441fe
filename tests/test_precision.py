"""Per-latent measured precision: the record's arithmetic, the atlas format that carries it (old atlases still load,
newer ones are refused with one line), writing it into a bundle, ``model info``, and the measurement itself run
end to end with the real runtime on a real sandbox."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from export_fixtures import tiny_bundle

from speedhints.cli import main
from speedhints.model_export import bundle as fmt
from speedhints.model_export.atlas import Atlas, AtlasError, LatentInfo, LatentPrecision, wilson_lower_bound
from speedhints.model_export.bundle import BundleError, load_atlas, load_bundle, write_atlas
from speedhints.model_export.runtime import OnnxSuggester, RuntimeConfig
from speedhints.training.data import verify
from speedhints.training.data.measure import ScaledInput
from speedhints.training.data.runcache import RunCache, sha256
from speedhints.training.data.sandbox import Sandbox
from speedhints.training.evaluation.execution import Executor, ProblemData
from speedhints.training.evaluation.precision import (
    Measured,
    candidates_of,
    coverage,
    latent_records,
    measure,
    pack_log,
    read_log,
    reason_kind,
    splice,
    validation_programs,
)


def test_wilson_lower_bound() -> None:
    assert wilson_lower_bound(0, 0) == 0.0
    assert wilson_lower_bound(0, 10) == 0.0
    assert wilson_lower_bound(41, 52) == pytest.approx(0.6597, abs=1e-4)
    assert wilson_lower_bound(3, 3) == pytest.approx(0.4385, abs=1e-4)  # three of three is not proof
    assert wilson_lower_bound(30, 30) > wilson_lower_bound(3, 3)  # more evidence, a higher bound
    assert wilson_lower_bound(52, 52) < 1.0


def test_the_record_says_what_was_measured() -> None:
    assert LatentPrecision(52, 44, 41, 0.66, 2.1).describe() == (
        "correct and faster in 41 of 52 held-out trials, median 2.1x"
    )
    assert LatentPrecision(9, 2, 0, 0.0, 1.05).describe() == "correct and faster in 0 of 9 held-out trials"
    assert LatentPrecision(0, 0, 0, 0.0).describe() == "not measured on held-out programs"


RECORDS = [LatentPrecision(52, 44, 41, 0.6597, 2.1), LatentPrecision(10, 1, 0, 0.0, 0.9),
           LatentPrecision(0, 0, 0, 0.0), LatentPrecision(3, 3, 3, 0.4385, 1.5)]  # fmt: skip


def test_atlas_round_trip_and_old_and_future_versions(tmp_path: Path) -> None:
    atlas = Atlas({i: LatentInfo(i, f"edit {i}") for i in range(4)}).with_precision(RECORDS, {"programs": 7})
    atlas.save(tmp_path / "atlas.json")
    back = Atlas.load(tmp_path / "atlas.json", codebook_size=4)
    assert back.latent_precision == tuple(RECORDS) and back.precision_measured == {"programs": 7}
    assert back.lower_bound(0) == 0.6597 and back.lower_bound(2) == 0.0 and back.precision(9) is None
    # A version 1 atlas (before measured precision) still loads: every latent unmeasured.
    old = {"format": "speedhints-atlas", "version": 1, "latents": [{"id": 0, "label": "x", "expected_speedup": 2.0}]}
    v1 = Atlas.from_json(old, 4)
    assert v1.latent_precision == () and v1.lower_bound(0) == 0.0
    with pytest.raises(AtlasError, match="atlas version 3 is not one this speedhints reads"):
        Atlas.from_json({**old, "version": 3})
    with pytest.raises(AtlasError, match="precision for 4 latents, the codebook has 8"):
        Atlas.load(tmp_path / "atlas.json", codebook_size=8)
    bad = {**old, "version": 2, "latent_precision": [{"shown": 1, "correct": 2, "correct_and_faster": 0,
                                                      "precision_lower_bound": 0.1}]}  # fmt: skip
    with pytest.raises(AtlasError, match="correct_and_faster <= correct <= shown"):
        Atlas.from_json(bad)


def _copy(tmp_path: Path) -> Path:
    out = tmp_path / "bundle"
    shutil.copytree(tiny_bundle(), out)
    return out


def test_writing_precision_reseals_the_bundle_and_model_info_prints_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(tmp_path)
    k = load_bundle(path).spec.codebook_size
    assert main(["model", "info", "--bundle", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["atlas"]["latent_precision"] == []  # never measured
    records = (RECORDS * k)[:k]
    measured = {"split": "by_problem", "fold": "valid", "programs": 7, "problems": 3}
    write_atlas(path, load_atlas(load_bundle(path)).with_precision(records, measured))
    bundle = load_bundle(path)  # checksums verified: the manifest was re-sealed
    assert load_atlas(bundle).latent_precision == tuple(records)
    assert bundle.manifest["atlas"]["precision_measured"] == measured
    assert main(["model", "info", "--bundle", str(path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["atlas"]["latent_precision"]
    assert len(rows) == k and rows[0] == {"shown": 52, "correct": 44, "correct_and_faster": 41,
                                          "precision_lower_bound": 0.6597, "median_speedup": 2.1}  # fmt: skip
    assert main(["model", "info", "--bundle", str(path)]) == 0
    out = capsys.readouterr().out
    assert "precision, measured on 7 programs of 3 by_problem valid problems:" in out
    assert any(line.split() == ["0", "52", "44", "41", "0.660", "2.10x"] for line in out.splitlines())
    # An atlas this version cannot read makes the bundle fail with one line, not a traceback.
    atlas = json.loads((path / fmt.ATLAS).read_text())
    write_atlas(path, Atlas())  # re-seal first, then break the atlas behind the manifest's back
    manifest = json.loads((path / fmt.MANIFEST).read_text())
    (path / fmt.ATLAS).write_text(json.dumps({**atlas, "version": 3}))
    manifest["files"][fmt.ATLAS] = fmt.sha256_file(path / fmt.ATLAS)
    (path / fmt.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="atlas version 3 is not one this speedhints reads") as info:
        load_atlas(load_bundle(path))
    assert "\n" not in str(info.value)


def test_validation_programs_never_come_from_the_test_fold(tmp_path: Path) -> None:
    table = tmp_path / "splits.tsv"
    table.write_text("problem\tslow\tfast\tby_problem\tpaper\n1_A\t1\t2\tvalid\ttrain\n1_A\t1\t3\tvalid\ttrain\n"
                     "2_B\t4\t5\ttest\ttrain\n3_C\t6\t7\ttrain\ttest\n")  # fmt: skip
    assert validation_programs(table) == [("1_A", "1")]  # the slow side, once
    with pytest.raises(ValueError, match="the test fold stays unseen"):
        validation_programs(table, fold="test")
    with pytest.raises(ValueError, match="no split column 'nope'"):
        validation_programs(table, split="nope")


def test_drop_reasons_are_counted_by_kind() -> None:
    assert reason_kind("reads undefined name var4") == "reads undefined name …"
    assert reason_kind("uses number avg as a container") == "uses number … as a container"
    assert reason_kind("does not parse") == "does not parse" and reason_kind("") == "?"
    assert reason_kind("undefined name: var4") == "undefined name" and reason_kind("type error: str + int") == \
        "type error"


def test_records_and_coverage_from_a_log() -> None:
    rows = [Measured("p", "1", "f", 0, True, "", "pass", 2.0), Measured("p", "1", "f", 1, True, "", "wrong"),
            Measured("p", "1", "f", 2, False, "does not parse"), Measured("p", "2", "f", 0, True, "", "pass", 1.1),
            Measured("p", "3", "f", 0, True, "", "pass", 3.0)]  # fmt: skip
    records = latent_records(rows, 4)
    assert records[0] == LatentPrecision(3, 3, 2, round(wilson_lower_bound(2, 3), 4), 2.0)  # median of the correct
    assert records[1] == LatentPrecision(1, 0, 0, 0.0, None)
    assert records[2] == records[3] == LatentPrecision(0, 0, 0, 0.0, None)  # not shown: not counted
    [everything, gated] = coverage(records, [0.0, 0.2])
    assert everything == {"min_precision": 0.0, "latents": 2, "shown": 4, "coverage": 1.0, "precision": 0.5}
    assert gated == {"min_precision": 0.2, "latents": 1, "shown": 3, "coverage": 0.75, "precision": 2 / 3}


def test_splice_replaces_exactly_the_region_lines() -> None:
    lines = ["a = 1\n", "def f():\n", "    return 1\n", "print(f())\n"]
    assert splice(lines, 2, 3, "def f():\n    return 2\n") == "a = 1\ndef f():\n    return 2\nprint(f())\n"


# ---- the measurement, end to end: real runtime, real sandbox -------------------------------------------------

PROGRAM = '''def keep_known(names, allowed):
    kept = []
    for name in names:
        if name in allowed:
            kept.append(name)
    return kept


names = input().split()
allowed = input().split()
print(len(keep_known(names, allowed)))
'''


def _problem(tmp_path: Path) -> ProblemData:
    small = b"a b c d\nb d x\n"
    big = (" ".join(f"n{i}" for i in range(1500)) + "\n" + " ".join(f"n{i}" for i in range(0, 3000, 2)) + "\n").encode()
    path = tmp_path / "scaled" / "big.in"
    path.parent.mkdir(parents=True)
    path.write_bytes(big)
    inp = ScaledInput("9_Z", "big", sha256(big), path)
    return ProblemData([verify.Test(small, sha256(small), "2\n")], [(inp, big, b"750\n")], file_io=False)


class CountingExecutor(Executor):
    runs = 0

    def run_program(self, x, code):  # type: ignore[no-untyped-def]
        CountingExecutor.runs += 1
        return super().run_program(x, code)


def test_measure_runs_every_latents_shown_candidate_and_resumes(tmp_path: Path) -> None:
    suggester = OnnxSuggester(load_bundle(tiny_bundle()), RuntimeConfig(min_precision=0.0))
    k = suggester.spec.codebook_size
    key = ("9_Z", "1")
    cands = candidates_of(suggester, PROGRAM)
    assert sorted({c.latent for c, _, _ in cands}) == list(range(k))  # every latent, no top-k and no gate
    set_edit = [(c, prog) for c, prog, _ in cands if prog and "allowed = set(allowed)" in prog]
    assert set_edit and set_edit[0][1].endswith("print(len(keep_known(names, allowed)))\n")  # the whole program
    log = tmp_path / "out" / "candidates.jsonl"
    with RunCache(tmp_path / "runs.sqlite") as cache, Sandbox(workers=1) as sandbox:
        executor = CountingExecutor(cache, sandbox, {"9_Z": _problem(tmp_path)}, {key: PROGRAM}, {})
        rows = measure(suggester, executor, [key], {key: PROGRAM}, log, echo=lambda _: None)
        assert len(rows) == len(cands) and rows == read_log(log)
        shown = [r for r in rows if r.shown]
        assert CountingExecutor.runs == len({p for _, p, _ in cands if p})  # one run per distinct program
        assert all(not r.dropped and r.status for r in shown) and all(r.dropped for r in rows if not r.shown)
        [edit] = [r for r in rows if r.latent == set_edit[0][0].latent and r.region == "keep_known"]
        assert edit.shown and edit.correct and edit.speedup is not None and edit.speedup > 0  # judged, then timed
        again = measure(suggester, executor, [key], {key: PROGRAM}, log, echo=lambda _: None)
        assert again == rows and CountingExecutor.runs == len({p for _, p, _ in cands if p})  # resumed: no rerun
        pack_log(log, rows)  # the committed form: one gzip file, which a resumed run reads too
        assert not log.exists() and read_log(log) == rows
        assert measure(suggester, executor, [key], {key: PROGRAM}, log, echo=lambda _: None) == rows
        assert CountingExecutor.runs == len({p for _, p, _ in cands if p})
    record = latent_records(rows, k)[edit.latent]
    assert record.shown >= 1 and record.correct >= 1
    assert record.correct_and_faster == sum(r.correct_and_faster for r in shown if r.latent == edit.latent)


def test_the_command_refuses_the_test_fold(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["precision", "--fold", "test", "--out", str(tmp_path / "o"), "--work", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err
    assert err == "speedhints precision: precision is measured on validation problems; the test fold stays unseen\n"
    assert main(["precision", "--summarize-only", "--out", str(tmp_path / "o")]) == 2
    assert "nothing measured yet" in capsys.readouterr().err


def test_the_shipped_bundle_carries_its_measured_precision(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPEEDHINTS_BUNDLE", raising=False)
    assert main(["model", "info", "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    rows = manifest["atlas"]["latent_precision"]
    assert len(rows) == manifest["model"]["codebook_size"] == 64
    keys = {"shown", "correct", "correct_and_faster", "precision_lower_bound", "median_speedup"}
    assert all(set(r) == keys and r["correct_and_faster"] <= r["correct"] <= r["shown"] for r in rows)
    measured = manifest["atlas"]["precision_measured"]
    assert (measured["split"], measured["fold"]) == ("by_problem", "valid")  # never the test problems
    assert measured["shown"] == sum(r["shown"] for r in rows) > 0
