"""``speedhints model info``: the installed bundle's manifest, its evaluation, and a refusal for a broken bundle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from export_fixtures import tiny_checkpoint

from speedhints.cli import main

EVALUATION = {
    "table1": [
        {"model": m, "split": "by_problem", "avg_corr": c, "avg_effi_hard": 0.0, "avg_effi_soft": c,
         "max_corr": c, "max_effi_hard": 0.0, "max_effi_soft": c, "diversity": c, "inputs": 3}
        for m, c in (("edit-vqvae", 0.5), ("transformer", 0.4), ("copy-input", 0.7))
    ],
    "execution": {"inputs": 3, "parse": 0.9, "pass": 0.2, "best_of_8_correct_and_faster": 0.333,
                  "best_of_64_correct_and_faster": 0.5, "prior_best_of_1_correct_and_faster": 0.0,
                  "shown": 4, "shown_pass": 0.25, "shown_correct_and_faster": 0.25},
}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from speedhints.training.export.exporter import ExportConfig, export_bundle

    tmp = tmp_path_factory.mktemp("info")
    (tmp / "evaluation.json").write_text(json.dumps(EVALUATION))
    export_bundle(ExportConfig(checkpoint=tiny_checkpoint(), out=tmp / "bundle", evaluation=tmp / "evaluation.json"))
    return tmp / "bundle"


def test_info_json_carries_the_evaluation(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "info", "--bundle", str(bundle), "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["evaluation"] == EVALUATION
    assert manifest["model_name"] == "edit-vqvae" and "files" in manifest


def test_info_text_shows_the_table(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "info", "--bundle", str(bundle)]) == 0
    out = capsys.readouterr().out
    assert "edit-vqvae (tiny)" in out
    assert any(line.split()[:2] == ["copy-input", "by_problem"] and "0.700" in line for line in out.splitlines())
    assert "best_of_8 0.333, best_of_64 0.500, prior_best_of_1 0.000" in out


def test_info_refuses_a_tampered_bundle(bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "b"
    shutil.copytree(bundle, copy)
    with open(copy / "tokenizer.json", "a") as f:
        f.write(" ")
    assert main(["model", "info", "--bundle", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "tokenizer.json does not match its sha256" in err and len(err.strip().splitlines()) == 1
    assert main(["model", "info", "--bundle", str(tmp_path / "none")]) == 2
    assert "no model bundle" in capsys.readouterr().err


def test_the_package_ships_a_checked_bundle_with_its_evaluation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPEEDHINTS_BUNDLE", raising=False)
    assert main(["model", "info", "--json"]) == 0  # the default bundle, checksums verified
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["model_name"] == "edit-vqvae"
    evaluation = manifest["evaluation"]
    keys = {"model", "split", "avg_corr", "avg_effi_hard", "avg_effi_soft", "max_corr", "max_effi_hard",
            "max_effi_soft", "diversity"}
    rows = {(r["model"], r["split"]) for r in evaluation["table1"] if keys <= set(r)}
    bundled = evaluation["bundled_model"]
    assert {(bundled["model"], bundled["split"]), ("copy-input", "by_problem"), ("retrieval", "by_problem")} <= rows
    assert 0.0 <= evaluation["execution"]["best_of_8_correct_and_faster"] <= 1.0
    assert manifest["atlas"]["latents"] == manifest["model"]["codebook_size"]  # every latent labelled


def test_the_shipped_bundle_says_what_it_shows_on_the_held_out_library_packages(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPEEDHINTS_BUNDLE", raising=False)
    assert main(["model", "info", "--json"]) == 0
    lib = json.loads(capsys.readouterr().out)["evaluation"]["execution"]["library_heldout"]
    assert set(lib) >= {"functions", "shown", "shown_tests_green", "restored_share"} and lib["functions"] >= 1
    assert main(["model", "info"]) == 0
    assert f"library held-out packages ({lib['functions']} pessimized functions" in capsys.readouterr().out
