"""The model pieces: quantiser, KV-cache decoding, checkpoints, and every model kind's forward/backward."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from speedhints.training.configs import ModelConfig, RunConfig, make_run_config
from speedhints.training.models import Batch, EditModel, build_model, greedy_decode
from speedhints.training.models.checkpoint import load_model, save_checkpoint
from speedhints.training.models.quantizer import VectorQuantizerEMA

torch.set_num_threads(1)
VOCAB = 16


def tiny(kind: str, **over: object) -> ModelConfig:
    return make_run_config(kind, "tiny", vocab_size=VOCAB, **over).model


def random_batch(b: int = 4, s: int = 7, t: int = 9, seed: int = 0) -> Batch:
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(3, VOCAB, (b, s), generator=g)
    tgt = torch.randint(3, VOCAB, (b, t), generator=g)
    tgt[:, 0] = 1
    src[0, -2:] = 0  # padding in one row of each side
    tgt[1, -3:] = 0
    pair = torch.cat([src, tgt[:, 1:]], dim=1)
    return Batch(src, tgt, pair)


# --- quantiser -----------------------------------------------------------------------------------------------


def test_quantizer_round_trip_indices_to_vectors() -> None:
    vq = VectorQuantizerEMA(8, 16, decay=0.99, commitment=0.25, dead_code_fraction=0.03).eval()
    x = torch.randn(32, 8)
    with torch.no_grad():
        quantized, indices, loss = vq(x)
    assert torch.equal(vq.lookup(indices), quantized)
    # each vector went to its nearest code
    dists = torch.cdist(x, vq.embed)
    assert torch.equal(indices, dists.argmin(-1))
    assert loss.shape == (32,)
    assert torch.allclose(loss, 0.25 * (x - quantized).pow(2).mean(-1))


def test_quantizer_straight_through_gradient() -> None:
    vq = VectorQuantizerEMA(8, 16, decay=0.99, commitment=0.0, dead_code_fraction=0.03).eval()
    x = torch.randn(5, 8, requires_grad=True)
    quantized, indices, _ = vq(x)
    assert torch.allclose(quantized, vq.lookup(indices), atol=1e-6)
    weights = torch.randn(5, 8)
    (quantized * weights).sum().backward()
    assert x.grad is not None and torch.equal(x.grad, weights)  # the identity gradient


def test_quantizer_updates_only_while_training() -> None:
    torch.manual_seed(0)
    vq = VectorQuantizerEMA(4, 8, decay=0.9, commitment=0.25, dead_code_fraction=0.03)
    x = torch.randn(16, 4)
    before = {k: v.clone() for k, v in vq.state_dict().items()}
    vq.eval()
    vq(x)
    assert all(torch.equal(before[k], v) for k, v in vq.state_dict().items())
    vq.train()
    vq(x)
    assert not torch.equal(before["embed"], vq.embed)
    assert float(vq.cluster_size.sum()) > 0


def codes_used_after_training(dead_code_fraction: float) -> tuple[int, float]:
    # 16 well separated clusters, 8 codes initialised far away from all of them.
    torch.manual_seed(0)
    centers = torch.randn(16, 4) * 10
    vq = VectorQuantizerEMA(4, 8, decay=0.9, commitment=0.25, dead_code_fraction=dead_code_fraction)
    vq.embed.add_(100.0)
    vq.embed_avg.add_(100.0)
    for _ in range(50):
        vq(centers[torch.randint(0, 16, (64,))] + 0.01 * torch.randn(64, 4))
    vq.eval()
    with torch.no_grad():
        _, indices, _ = vq(centers[torch.arange(16).repeat(8)])
    return len(set(indices.tolist())), vq.last_stats["perplexity"]


def test_dead_codes_restart_so_the_whole_codebook_is_used() -> None:
    used, perplexity = codes_used_after_training(dead_code_fraction=0.1)
    assert used == 8 and perplexity > 6.0
    # the control: without restarts the far-away codes are never chosen
    used_without, _ = codes_used_after_training(dead_code_fraction=0.0)
    assert used_without == 1


# --- KV cache --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["transformer", "edit-vqvae"])
def test_incremental_decoding_matches_teacher_forcing(kind: str) -> None:
    torch.manual_seed(1)
    model = build_model(tiny(kind, dropout=0.1, n_dec_layers=2)).eval()
    batch = random_batch()
    z = model.latent(batch, "posterior")
    s2s = model.seq2seq
    with torch.no_grad():
        full = s2s(batch.src, batch.src_mask, batch.tgt_in, z)  # (B, T, V)
        cross = s2s.cross_kv(s2s.encode(batch.src, batch.src_mask, z))
        past, steps = None, []
        for t in range(batch.tgt_in.shape[1]):
            logits, past = s2s.decode(batch.tgt_in[:, t : t + 1], cross, batch.src_mask, past)
            steps.append(logits)
        stepwise = torch.cat(steps, dim=1)
        # a prefix then a chunk of 3 new tokens at once (the mask with past length > 0)
        _, past = s2s.decode(batch.tgt_in[:, :4], cross, batch.src_mask)
        chunk, _ = s2s.decode(batch.tgt_in[:, 4:7], cross, batch.src_mask, past)
    assert past[0][0].shape == (4, 4, 4, 8)  # (B, H, T, head_dim)
    assert torch.allclose(full, stepwise, atol=1e-5)
    assert torch.equal(full.argmax(-1), stepwise.argmax(-1))
    assert torch.allclose(full[:, 4:7], chunk, atol=1e-5)


def test_greedy_decode_is_consistent_with_teacher_forcing() -> None:
    torch.manual_seed(2)
    model = build_model(tiny("transformer")).eval()
    batch = random_batch()
    outs = greedy_decode(model.seq2seq, batch.src, batch.src_mask, None, 1, 2, max_len=10)
    for i, out in enumerate(outs):
        tgt_in = torch.tensor([[1, *out]])
        src = batch.src[i : i + 1]
        with torch.no_grad():
            logits = model.seq2seq(src, src != 0, tgt_in)
        predicted = logits.argmax(-1)[0].tolist()
        assert predicted[: len(out)] == out  # each emitted token is the argmax given the prefix
        assert len(out) == 9 or predicted[len(out)] == 2  # stopped at EOS or at max_len


def test_sampling_is_reproducible_and_cools_to_greedy() -> None:
    torch.manual_seed(4)
    model = build_model(tiny("transformer")).eval()
    batch = random_batch()
    args = (model.seq2seq, batch.src, batch.src_mask, None, 1, 2, 10)

    def sample(temperature: float, seed: int) -> list[list[int]]:
        return greedy_decode(*args, temperature=temperature, generator=torch.Generator().manual_seed(seed))

    assert sample(1.0, 0) == sample(1.0, 0)
    assert sample(1.0, 0) != sample(1.0, 1)  # an untrained model's distribution is flat: samples differ
    assert sample(1e-4, 0) == greedy_decode(*args)


# --- every model kind -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["program", "edit"])
@pytest.mark.parametrize("kind", ["transformer", "edit-vqvae", "vqvae", "edit-vae"])
def test_forward_backward_reaches_every_parameter(kind: str, output: str) -> None:
    """DDP (find_unused_parameters=False) needs every parameter in the graph; losses must be finite."""
    torch.manual_seed(0)
    model = build_model(tiny(kind, output=output)).train()
    out = model(random_batch(b=8))
    assert out.logits.shape == (8, 8, VOCAB)
    (out.nll_sum + out.aux_sum).backward()
    assert torch.isfinite(out.nll_sum) and torch.isfinite(out.aux_sum)
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert missing == []
    if kind in ("edit-vqvae", "vqvae"):
        assert out.codes is not None and out.codes.shape == (8,)
        assert {"perplexity", "live_codes", "prior_acc"} <= set(out.stats)
    if kind == "edit-vae":
        assert out.stats["kl"] > 0


def test_edit_latent_is_zero_for_an_identical_pair_before_quantisation() -> None:
    # z_edit = f(y) - f(x): with y == x (same tokens, same format) the edit vector is exactly zero.
    model = build_model(tiny("edit-vae")).eval()
    assert isinstance(model, EditModel)
    src = torch.tensor([[5, 6, 7, 2]])
    batch = Batch(src, torch.tensor([[1, 5, 6, 7, 2]]))
    with torch.no_grad():
        states, z_slow = model.latent_encoder(src, src != 0)
        raw = model._raw_latent(batch, states, z_slow)
    assert torch.allclose(raw, torch.zeros_like(raw), atol=1e-6)


def test_edit_output_latent_reads_the_script_alone() -> None:
    # z_edit = f(s) for edit output: two inputs with the same script (here the empty one, "no change") get the same
    # latent, whatever x is; program output's f(y) - f(x) depends on x.
    batch = Batch(torch.tensor([[5, 6, 7, 2], [9, 9, 2, 0]]), torch.tensor([[1, 2], [1, 2]]))
    raws = {}
    for output in ("program", "edit"):
        torch.manual_seed(0)
        model = build_model(tiny("edit-vqvae", output=output)).eval()
        assert isinstance(model, EditModel)
        with torch.no_grad():
            states, z_slow = model.latent_encoder(batch.src, batch.src_mask)
            raws[output] = model._raw_latent(batch, states, z_slow)
    assert torch.allclose(raws["edit"][0], raws["edit"][1], atol=1e-6)
    assert not torch.allclose(raws["program"][0], raws["program"][1], atol=1e-3)


def test_checkpoint_alone_rebuilds_the_model(tmp_path: Path) -> None:
    torch.manual_seed(3)
    run = make_run_config("edit-vqvae", "tiny", vocab_size=VOCAB)
    model = build_model(run.model)
    model.train()(random_batch(b=8))  # move the codebook buffers away from their init
    save_checkpoint(tmp_path / "m.pt", {"run_config": run.to_dict(), "model": model.state_dict()})
    loaded, loaded_run = load_model(tmp_path / "m.pt")
    assert loaded_run == run and isinstance(loaded_run, RunConfig)
    model.eval()
    batch = random_batch(seed=5)
    with torch.no_grad():
        assert torch.equal(model(batch).logits, loaded(batch).logits)
        assert torch.equal(model.latent(batch, "prior"), loaded.latent(batch, "prior"))


def test_bad_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="divisible"):
        ModelConfig(d_model=30, n_heads=4)
    with pytest.raises(ValueError, match="unknown model"):
        make_run_config("gpt", "tiny")
    with pytest.raises(ValueError, match="unknown config"):
        make_run_config("transformer", "huge")
    with pytest.raises(ValueError, match="unknown output 'diff'; choose one of program, edit"):
        ModelConfig(output="diff")


def test_vqvae_reads_a_pair_of_two_longest_sequences() -> None:
    # x EOS y EOS of a source and a target each at max_len: the VQVAE's f_theta sees almost 2 * max_len tokens.
    cfg = tiny("vqvae")
    model = build_model(cfg).train()
    src = torch.randint(3, VOCAB, (2, cfg.max_len))
    src[:, -1] = 2
    tgt = torch.randint(3, VOCAB, (2, cfg.max_len))
    tgt[:, 0], tgt[:, -1] = 1, 2
    pair = torch.cat([src, tgt[:, 1:]], dim=1)
    out = model(Batch(src, tgt, pair))
    assert torch.isfinite(out.nll_sum) and out.codes is not None
