"""``speedhints export``: fixed files, a manifest with checksums, the ONNX-vs-torch check inside export (it must
fail on a wrong graph), onnxruntime greedy decoding equal to the training code's torch greedy, int8."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from export_fixtures import TOKENIZER, canonical_pairs, tiny_bundle, tiny_checkpoint

from speedhints.cli import main
from speedhints.model_export import bundle as fmt
from speedhints.model_export.bundle import load_bundle, sha256_file
from speedhints.model_export.onnx_decoding import Seq2SeqRunner, make_session
from speedhints.model_export.tokenizer import CodeTokenizer
from speedhints.training.configs import make_run_config
from speedhints.training.export import exporter
from speedhints.training.export.exporter import ExportConfig, ExportError, export_bundle
from speedhints.training.models import build_model, greedy_decode
from speedhints.training.models.checkpoint import load_model, save_checkpoint

torch.set_num_threads(1)


def test_bundle_has_fixed_files_and_a_manifest_with_every_checksum() -> None:
    path = tiny_bundle()
    names = {p.name for p in path.iterdir()}
    assert names == {fmt.ENCODER, fmt.DECODER, fmt.PRIOR, fmt.CODEBOOK, fmt.TOKENIZER, fmt.ATLAS, fmt.MANIFEST}
    manifest = json.loads((path / fmt.MANIFEST).read_text())
    assert manifest["format_version"] == fmt.FORMAT_VERSION
    assert manifest["files"] == {n: sha256_file(path / n) for n in names - {fmt.MANIFEST}}
    assert manifest["model"]["codebook_size"] == 4 and manifest["model_name"] == "edit-vqvae"
    assert manifest["training"]["steps"] == 400 and manifest["training"]["pairs"] == "tests/export_fixtures.py"
    assert manifest["precisions"] == ["fp32"] and manifest["atlas"]["latents"] == 0
    check = manifest["export_check"]
    assert check["decoder logits"] <= 1e-4 and check["adapter_vs_training_decoder"] <= 1e-4
    assert (path / fmt.TOKENIZER).read_text() == TOKENIZER.read_text()


def test_onnxruntime_greedy_equals_torch_greedy_for_every_latent() -> None:
    model, run = load_model(tiny_checkpoint())
    bundle = load_bundle(tiny_bundle())
    runner = Seq2SeqRunner(make_session(str(bundle.graph("encoder"))), make_session(str(bundle.graph("decoder"))),
                           bundle.spec)
    tok = CodeTokenizer.load(TOKENIZER)
    codebook = np.load(bundle.file(fmt.CODEBOOK))
    for x, _ in canonical_pairs()[::2]:
        src = [*tok.encode(x), tok.eos_id]
        rows = torch.tensor([src] * 4)
        z = model.quantizer.embed  # type: ignore[union-attr]
        ref = greedy_decode(model.seq2seq, rows, rows != 0, z, run.model.bos_id, run.model.eos_id, run.model.max_len)
        assert runner.greedy([src] * 4, codebook) == ref
        assert runner.speculative([src] * 4, codebook) == ref


def test_prior_matches_torch() -> None:
    model, _ = load_model(tiny_checkpoint())
    session = make_session(str(tiny_bundle() / fmt.PRIOR))
    tok = CodeTokenizer.load(TOKENIZER)
    src = torch.tensor([[*tok.encode(canonical_pairs()[0][0]), tok.eos_id]])
    got = session.run(["prior_logits"], {"input_ids": src.numpy()})[0]
    np.testing.assert_allclose(got, model.prior_logits(src, src != 0).numpy(), atol=1e-5)  # type: ignore[operator]


def test_export_fails_when_onnx_disagrees_with_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = exporter.export_graphs

    def corrupted(model, out, spec):  # type: ignore[no-untyped-def]
        real(model, out, spec)
        graph = onnx.load(str(out / fmt.DECODER))
        # A layer's weight matrix (not the embedding table, whose rows most inputs never touch), nudged by 1%.
        weight = next(t for t in graph.graph.initializer if len(t.dims) == 2 and spec.vocab_size not in t.dims)
        arr = onnx.numpy_helper.to_array(weight).copy()
        arr *= 1.01
        weight.CopyFrom(onnx.numpy_helper.from_array(arr, weight.name))
        onnx.save(graph, str(out / fmt.DECODER))

    monkeypatch.setattr(exporter, "export_graphs", corrupted)
    out = tmp_path / "bundle"
    with pytest.raises(ExportError, match="onnxruntime and torch disagree on decoder"):
        export_bundle(ExportConfig(checkpoint=tiny_checkpoint(), out=out))
    assert not out.exists()  # no half-written bundle under the real name


def test_int8_variant(tmp_path: Path) -> None:
    pairs = tmp_path / "valid.jsonl"
    pairs.write_text("".join(json.dumps({"slow": x, "fast": y}) + "\n" for x, y in canonical_pairs()))
    out = tmp_path / "b8"
    manifest = export_bundle(ExportConfig(checkpoint=tiny_checkpoint(), out=out, int8=True, check_pairs=pairs))
    assert manifest["precisions"] == ["fp32", "int8"] and manifest["default_precision"] == "int8"
    assert 0.95 <= manifest["export_check"]["int8_token_agreement"] <= 1.0
    assert (out / "decoder_with_past_model_quantized.onnx").stat().st_size < (out / fmt.DECODER).stat().st_size
    assert load_bundle(out).graph("decoder").name == "decoder_with_past_model_quantized.onnx"
    assert load_bundle(out, precision="fp32").graph("decoder").name == fmt.DECODER


def test_export_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli-bundle"
    assert main(["export", str(tiny_checkpoint()), "--out", str(out)]) == 0
    assert f"wrote {out}: edit-vqvae (tiny), fp32 graphs, default fp32" in capsys.readouterr().out
    load_bundle(out)


def test_export_refuses_bad_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'nope.pt'}: no such checkpoint"
    # A transformer has no codebook to export: refused with one line, before any work.
    run = make_run_config("transformer", "tiny", vocab_size=16)
    save_checkpoint(tmp_path / "t.pt", {"run_config": run.to_dict(), "model": build_model(run.model).state_dict()})
    assert main(["export", str(tmp_path / "t.pt"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("a transformer model has no codebook; export takes edit-vqvae or vqvae")
    assert "\n" not in err
    # An edit-vqvae whose tokenizer is not the one it was trained with.
    run = make_run_config("edit-vqvae", "tiny", vocab_size=16)
    save_checkpoint(tmp_path / "e.pt", {"run_config": run.to_dict(), "model": build_model(run.model).state_dict()})
    assert main(["export", str(tmp_path / "e.pt"), "--out", str(tmp_path / "o"), "--tokenizer", str(TOKENIZER)]) == 2
    assert "does not match the model (vocab 16)" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "e.pt"), "--out", str(tmp_path / "o")]) == 2
    assert "carries no tokenizer; pass --tokenizer" in capsys.readouterr().err
