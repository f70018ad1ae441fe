"""The trainable models: the Transformer baseline, Edit-VQVAE, and the two ablations (VQVAE, Edit-VAE).

All share one interface: ``forward(batch) -> ModelOutput`` for training, and ``latent(batch, mode)`` giving
the vector added to g_phi's input (None for the Transformer), which ``decoding.greedy_decode`` then uses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from speedhints.training.configs import ModelConfig
from speedhints.training.models.base import Batch, ModelOutput, token_nll_sum
from speedhints.training.models.latent import GaussianLatent, LatentEncoder, LatentPrior
from speedhints.training.models.quantizer import VectorQuantizerEMA
from speedhints.training.models.seq2seq import Seq2Seq, TokenEmbedding


class TransformerModel(nn.Module):
    """The seq2seq baseline x -> y (also Transformer*, which differs only in its training pairs)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embedding = TokenEmbedding(cfg.vocab_size, cfg.d_model, cfg.max_len)
        self.seq2seq = Seq2Seq(cfg, self.embedding)

    def forward(self, batch: Batch) -> ModelOutput:
        logits = self.seq2seq(batch.src, batch.src_mask, batch.tgt_in)
        nll = token_nll_sum(logits, batch.tgt_out, self.cfg.pad_id)
        return ModelOutput(nll_sum=nll, aux_sum=nll.new_zeros(()), logits=logits)

    def latent(self, batch: Batch, mode: str = "posterior") -> Tensor | None:
        return None


class EditModel(nn.Module):
    """Edit-VQVAE (kind "edit-vqvae") and its ablations "vqvae" and "edit-vae".

    edit-vqvae: z_edit = f(y) - f(x), quantised to the nearest of K codes (the paper's model).
    vqvae:      z = f(x EOS y EOS), quantised: a latent of the pair with no edit structure.
    edit-vae:   z_edit ~ N(mu(f(y) - f(x)), sigma^2), with a KL term to N(0, I).

    With edit output (cfg.output == "edit") the target is the edit script s from x to y, and z_edit = f(s): the
    posterior encoder reads the script alone. It is the simpler choice of the two the issue names (the script is
    already the target, so nothing new enters the batch; over (x, y) would need y's tokens carried beside the
    script) and it keeps what the difference f(y) - f(x) was for: the script holds only what changes, so the
    code depends on the edit and not on the rest of x; "no change" (the empty script) is one vector for every x,
    where f(empty) - f(x) would differ with x. What it cannot see is the text a hunk removes, which the decoder
    still reads in x. The VQVAE ablation reads (marked x EOS s EOS), as before.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        # Shared by f_theta and g_phi. The VQVAE's f_theta reads the pair x EOS y EOS, up to twice as long as
        # either side, so its position table is twice the size.
        positions = 2 * cfg.max_len if cfg.kind == "vqvae" else cfg.max_len
        self.embedding = TokenEmbedding(cfg.vocab_size, cfg.d_model, positions)
        self.latent_encoder = LatentEncoder(cfg, self.embedding)
        self.seq2seq = Seq2Seq(cfg, self.embedding)
        self.quantizer: VectorQuantizerEMA | None = None
        self.prior: LatentPrior | None = None
        self.gaussian: GaussianLatent | None = None
        if cfg.has_codebook:
            self.quantizer = VectorQuantizerEMA(
                cfg.d_model, cfg.codebook_size, cfg.ema_decay, cfg.commitment, cfg.dead_code_fraction
            )
            self.prior = LatentPrior(cfg.d_model, cfg.n_heads, cfg.codebook_size)
        else:
            self.gaussian = GaussianLatent(cfg.d_model)

    def _raw_latent(self, batch: Batch, states_x: Tensor, z_slow: Tensor) -> Tensor:
        """The vector before quantisation / sampling (B, D)."""
        if self.cfg.kind == "vqvae":
            assert batch.pair is not None, "the VQVAE ablation needs batch.pair"
            _, z_pair = self.latent_encoder(batch.pair, batch.pair != self.cfg.pad_id)
            return z_pair
        y = batch.tgt[:, 1:]  # y EOS (or s EOS): the same format as src, so the tied encoder sees x and y alike
        _, z_fast = self.latent_encoder(y, y != self.cfg.pad_id)
        if self.cfg.output == "edit":
            return z_fast  # z_edit = f(s): the script is the edit already
        return z_fast - z_slow

    def forward(self, batch: Batch) -> ModelOutput:
        src_mask = batch.src_mask
        states_x, z_slow = self.latent_encoder(batch.src, src_mask)
        raw = self._raw_latent(batch, states_x, z_slow)
        stats: dict[str, float] = {}
        codes = None
        if self.quantizer is not None and self.prior is not None:
            z, codes, commitment = self.quantizer(raw)
            stats.update(self.quantizer.last_stats)
            prior_logits = self.prior(states_x, src_mask)
            prior_ce = F.cross_entropy(prior_logits, codes, reduction="none")
            aux = commitment + self.cfg.prior_weight * prior_ce
            stats["commitment"] = float(commitment.detach().mean())
            stats["prior_ce"] = float(prior_ce.detach().mean())
            stats["prior_acc"] = float((prior_logits.argmax(-1) == codes).float().mean())
        else:
            assert self.gaussian is not None
            z, kl = self.gaussian(raw)
            aux = self.cfg.kl_weight * kl
            stats["kl"] = float(kl.detach().mean())
        logits = self.seq2seq(batch.src, src_mask, batch.tgt_in, z)
        nll = token_nll_sum(logits, batch.tgt_out, self.cfg.pad_id)
        return ModelOutput(nll_sum=nll, aux_sum=aux.sum(), logits=logits, codes=codes, stats=stats)

    @torch.no_grad()
    def posterior_codes(self, batch: Batch) -> Tensor:
        """The code the encoder assigns to each (x, y) pair (B,)."""
        assert self.quantizer is not None
        states_x, z_slow = self.latent_encoder(batch.src, batch.src_mask)
        return self.quantizer.nearest(self._raw_latent(batch, states_x, z_slow).float())

    @torch.no_grad()
    def prior_logits(self, src: Tensor, src_mask: Tensor) -> Tensor:
        """Scores of the K codes from x alone (B, K): inference ranks the edits with these."""
        assert self.prior is not None
        states_x, _ = self.latent_encoder(src, src_mask)
        return self.prior(states_x, src_mask)

    @torch.no_grad()
    def latent(self, batch: Batch, mode: str = "posterior") -> Tensor:
        """z for g_phi: "posterior" reads y (reconstruction); "prior" reads x alone (top-1 code; VAE: 0)."""
        if self.quantizer is not None:
            codes = (
                self.posterior_codes(batch)
                if mode == "posterior"
                else self.prior_logits(batch.src, batch.src_mask).argmax(-1)
            )
            return self.quantizer.lookup(codes)
        assert self.gaussian is not None
        if mode == "prior":
            return batch.src.new_zeros(batch.src.shape[0], self.cfg.d_model, dtype=torch.float32)
        states_x, z_slow = self.latent_encoder(batch.src, batch.src_mask)
        z, _ = self.gaussian(self._raw_latent(batch, states_x, z_slow))
        return z


SpeedModel = TransformerModel | EditModel


def build_model(cfg: ModelConfig) -> SpeedModel:
    return TransformerModel(cfg) if cfg.kind == "transformer" else EditModel(cfg)
