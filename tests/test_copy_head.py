"""The copy head (``ModelConfig.copy``, a pointer over the input's tokens): a proper distribution, trainable from a
checkpoint without one, exported with onnxruntime decoding exactly as torch does, and run by the hook's path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from export_fixtures import (
    EDIT_FAST_LINE,
    EDIT_SLOW_LINE,
    EDIT_USER,
    TOKENIZER,
    edit_examples,
    tiny_edit_bundle,
    tiny_edit_checkpoint,
)

from speedhints.model_export import bundle as fmt
from speedhints.model_export.bundle import load_bundle
from speedhints.model_export.editscript import ScriptCodec
from speedhints.model_export.onnx_decoding import Seq2SeqRunner, cross_names, make_session
from speedhints.model_export.runtime import RuntimeConfig, load_runtime
from speedhints.model_export.tokenizer import CodeTokenizer
from speedhints.training.configs import make_run_config
from speedhints.training.models import build_model, greedy_decode
from speedhints.training.models.checkpoint import load_model

torch.set_num_threads(1)


def test_the_mixture_is_a_distribution_that_puts_copy_mass_on_the_source_ids() -> None:
    run = make_run_config("edit-vqvae", "tiny", output="edit", copy=True, vocab_size=50)
    model = build_model(run.model).eval()
    s2s = model.seq2seq
    src = torch.tensor([[7, 8, 9, 2, 0, 0], [11, 12, 13, 14, 15, 2]])
    mask = src != 0
    with torch.no_grad():
        torch.nn.init.constant_(s2s.copy_gate.bias, -30.0)  # g ~ 0: all mass from the pointer
        memory = s2s.encode(src, mask, None)
        logp, _ = s2s.decode(torch.tensor([[1, 5], [1, 6]]), s2s.cross_kv(memory), mask,
                             copy=s2s.copy_source(memory, src))
    p = logp.exp()
    torch.testing.assert_close(p.sum(-1), torch.ones(2, 2), atol=1e-4, rtol=0)
    on_source = p[0][:, [7, 8, 9, 2]].sum(-1)  # padding (id 0) gets nothing: it is masked out
    assert bool((on_source > 0.999).all()) and float(p[0][:, 0].max()) < 1e-6
    with pytest.raises(ValueError, match="copy_source"):
        s2s.decode(torch.tensor([[1]]), s2s.cross_kv(memory[:1]), mask[:1])


def test_a_copy_model_starts_from_a_checkpoint_without_one_and_learns_the_edit() -> None:
    model, run = load_model(tiny_edit_checkpoint(copy=True))
    assert run.model.copy and model.seq2seq.copy
    (x, script), *_ = edit_examples(ScriptCodec(CodeTokenizer.load(TOKENIZER)))
    src = torch.tensor([[*x, run.model.eos_id]] * run.model.codebook_size)
    z = model.quantizer.embed  # type: ignore[union-attr]
    outs = greedy_decode(model.seq2seq, src, src != 0, z, run.model.bos_id, run.model.eos_id, 64)
    assert script in outs  # some latent writes the training script exactly


def test_init_from_a_checkpoint_without_copy_head_keeps_its_weights(tmp_path: Path) -> None:
    from speedhints.training.dataset import Examples
    from speedhints.training.models.checkpoint import read_checkpoint
    from speedhints.training.train import CKPT_NAME, TrainData, train

    plain = tiny_edit_checkpoint()
    start = read_checkpoint(plain)
    _, run = load_model(plain)
    run.model.copy = True
    run.train.max_steps = run.train.lr_decay_steps = run.train.eval_interval = run.train.ckpt_interval = 1
    run.train.learning_rate = 0.0  # the step changes nothing: what is loaded is what is saved
    codec = ScriptCodec(CodeTokenizer.load(TOKENIZER))
    pairs = edit_examples(codec)
    ex = Examples([[*x, 2] for x, _ in pairs], [[1, *s, 2] for _, s in pairs], 0, [("p", str(i)) for i in range(3)])
    train(run, TrainData(ex, ex, tokenizer_json=codec.tokenizer.to_json(), source="t"), tmp_path, device="cpu",
          echo=lambda _: None, init=plain)
    saved = read_checkpoint(tmp_path / CKPT_NAME)["model"]
    new = {k for k in saved if k not in start["model"]}
    assert new and all(".copy_" in k for k in new)
    key = "seq2seq.decoder_layers.0.cross_attn.q_proj.weight"
    torch.testing.assert_close(saved[key], start["model"][key])


def test_onnxruntime_greedy_equals_torch_greedy_with_the_copy_head() -> None:
    model, run = load_model(tiny_edit_checkpoint(copy=True))
    bundle = load_bundle(tiny_edit_bundle(copy=True))
    assert bundle.spec.copy and bundle.manifest["export_check"]["edit_script_logits"] < 1e-3
    encoder = make_session(str(bundle.graph("encoder")))
    assert [o.name for o in encoder.get_outputs()] == cross_names(bundle.spec.n_dec_layers, copy=True)
    runner = Seq2SeqRunner(encoder, make_session(str(bundle.graph("decoder"))), bundle.spec)
    codec = ScriptCodec(CodeTokenizer.load(bundle.file(fmt.TOKENIZER)))
    codebook = np.load(bundle.file(fmt.CODEBOOK))
    k = run.model.codebook_size
    for x, _ in edit_examples(codec):
        src = [*x, run.model.eos_id]
        rows = torch.tensor([src] * k)
        ref = greedy_decode(model.seq2seq, rows, rows != 0, model.quantizer.embed,  # type: ignore[union-attr]
                            run.model.bos_id, run.model.eos_id, 64)
        assert runner.greedy([src] * k, codebook, max_new=63) == ref
        assert runner.speculative([src] * k, codebook, max_new=63) == ref


def test_the_hook_shows_the_copy_models_edit_on_the_users_lines() -> None:
    rt = load_runtime(tiny_edit_bundle(copy=True), RuntimeConfig(min_precision=0.0))
    hints = rt.suggest("shop.py", EDIT_USER, [(16, 16)], top_k=4)
    assert hints and hints[0].suggestion.replace(EDIT_FAST_LINE, EDIT_SLOW_LINE) == hints[0].original
