"""f_theta and the heads around it: attention pooling, the latent prior, the Gaussian latent of Edit-VAE."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from speedhints.training.configs import ModelConfig
from speedhints.training.models.layers import Encoder, MultiHeadAttention
from speedhints.training.models.seq2seq import TokenEmbedding


class AttentionPooling(nn.Module):
    """Multi-head attention from one learned query over a sequence's states: (B, S, D) -> (B, D)."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.query = nn.Parameter(torch.randn(1, 1, d_model) * d_model**-0.5)
        self.attn = MultiHeadAttention(d_model, n_heads, dropout=0.0)

    def forward(self, states: Tensor, mask: Tensor) -> Tensor:
        k, v = self.attn.project_kv(states)
        q = self.query.expand(states.shape[0], 1, -1)  # (1, 1, D) -> (B, 1, D)
        return self.attn.attend(q, k, v, mask[:, None, None, :]).squeeze(1)  # (B, 1, D) -> (B, D)


class LatentEncoder(nn.Module):
    """f_theta: one encoder for both x and y (tied), then attention pooling to a single vector."""

    def __init__(self, cfg: ModelConfig, embedding: TokenEmbedding) -> None:
        super().__init__()
        self.embedding = embedding
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = Encoder(cfg.n_latent_layers, cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.dropout)
        self.pool = AttentionPooling(cfg.d_model, cfg.n_heads)

    def forward(self, ids: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """-> (states (B, S, D), pooled (B, D))."""
        states = self.encoder(self.drop(self.embedding(ids)), mask)
        return states, self.pool(states, mask)


class LatentPrior(nn.Module):
    """Predicts from x alone which code its faster versions use: logits over the K codes.

    It reads f_theta's states of x *detached*, so learning the prior never bends the latent space; it is
    trained on the encoder's own assignments and lets inference rank the K edits and decode only the top few.
    """

    def __init__(self, d_model: int, n_heads: int, codebook_size: int) -> None:
        super().__init__()
        self.pool = AttentionPooling(d_model, n_heads)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_model), nn.GELU(), nn.Linear(d_model, codebook_size))

    def forward(self, states_x: Tensor, mask: Tensor) -> Tensor:
        return self.mlp(self.pool(states_x.detach(), mask))  # (B, K)


class GaussianLatent(nn.Module):
    """Edit-VAE: z_edit ~ N(mu, sigma^2) computed from z_fast - z_slow, with a KL term to N(0, I)."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.mu = nn.Linear(d_model, d_model)
        self.logvar = nn.Linear(d_model, d_model)

    def forward(self, diff: Tensor) -> tuple[Tensor, Tensor]:
        """-> (z (B, D), KL per row (B,)); samples while training, the mean otherwise."""
        mu, logvar = self.mu(diff), self.logvar(diff).clamp(-10, 10)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=-1)
        return z, kl
