"""``speedhints bench decode``'s edit-vs-full part (issue 14.6): real exported graphs decode the forced lengths."""

from __future__ import annotations

from pathlib import Path

import pytest

from speedhints.cli import main
from speedhints.model_export.editscript import ScriptCodec, apply, diff, split_lines
from speedhints.model_export.tokenizer import CodeTokenizer
from speedhints.training.export.bench_data import CORPUS_TOKENIZER
from speedhints.training.export.bench_edit import edit_vs_full, region, targets

TINY = {"d_model": 32, "n_heads": 4, "d_ff": 64, "n_enc_layers": 1, "n_dec_layers": 1, "n_latent_layers": 1}


def test_targets_are_one_line_edits_and_a_two_thirds_rewrite() -> None:
    tok = CodeTokenizer.load(CORPUS_TOKENIZER)
    codec = ScriptCodec(tok)
    fn = region(tok, 300)
    assert abs(len(fn.ids) - 1 - 300) <= 30
    lengths = targets(fn.code, codec, latents=8)
    full, edit = lengths["local"]
    assert full == [len(tok.encode(fn.code)) + 1] * 8  # a same-length one-line edit leaves the program's length
    assert all(e < f / 5 for e, f in zip(edit, full, strict=True))
    full_rw, edit_rw = lengths["rewrite"]
    body = len(split_lines(fn.code)) - 1
    assert edit_rw[0] > len(tok.encode("\n".join(split_lines(fn.code)[: 2 * body // 3]))) / 2
    assert len(set(edit_rw)) == 1 and full_rw == full
    assert apply(fn.code, diff(fn.code, fn.code)) == fn.code


def test_edit_vs_full_decodes_every_forced_token_through_onnxruntime() -> None:
    lines: list[str] = []
    result = edit_vs_full(TINY, threads=1, repeats=1, log=lines.append, region_tokens=60, latents=4)
    # edit_vs_full raises when a row stops early, so reaching here means every forced token was decoded
    for key in ("full_all_latents_s", "edit_all_latents_s", "full_rewrite_all_latents_s",
                "edit_rewrite_all_latents_s", "full_encode_once_all_latents_s", "edit_encode_once_all_latents_s"):
        assert result[key] > 0
    assert result["vocab"]["edit"] == result["vocab"]["full"] + 129
    assert result["local_target_tokens_per_latent"]["edit"] < result["local_target_tokens_per_latent"]["full"]
    assert result["latents"] == 4 and result["model"]["d_model"] == 32
    assert len(lines) == 5 and "edit/full time" in lines[1]


def test_edit_vs_full_only_refuses_a_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["bench", "decode", "--edit-vs-full-only", "--checkpoint", str(tmp_path / "x.pt")])
    assert rc == 2
    err = capsys.readouterr().err
    assert err == "error: --edit-vs-full-only takes the model size from --bundle, not --checkpoint\n"
