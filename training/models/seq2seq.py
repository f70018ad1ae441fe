"""g_phi: the encoder-decoder. Its encoder reads e(x) + PE (+ z_edit); its decoder produces y.

Split the way export needs it: ``encode`` (tokens + z -> memory), ``cross_kv`` (memory -> each decoder layer's
cross-attention K/V) and ``decode`` (new target tokens + self-attention cache -> logits + extended cache).
"""

from __future__ import annotations

import math

from torch import Tensor, nn
from torch.nn import functional as F

from speedhints.training.configs import ModelConfig
from speedhints.training.models.layers import KV, DecoderLayer, Encoder, sinusoid_table


class TokenEmbedding(nn.Module):
    """Token embedding x sqrt(d_model) plus sinusoidal positions; its weight is also the output layer."""

    def __init__(self, vocab_size: int, d_model: int, max_len: int) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab_size, d_model)
        nn.init.normal_(self.tok.weight, std=d_model**-0.5)
        self.scale = math.sqrt(d_model)
        self.register_buffer("pe", sinusoid_table(max_len, d_model), persistent=False)

    def forward(self, ids: Tensor, start: int = 0) -> Tensor:
        """``ids`` (B, T) at absolute positions start..start+T-1 -> (B, T, D)."""
        t = ids.shape[1]
        if start + t > self.pe.shape[0]:
            raise ValueError(f"sequence of {start + t} tokens exceeds max_len {self.pe.shape[0]}")
        return self.tok(ids) * self.scale + self.pe[start : start + t]

    def logits(self, h: Tensor) -> Tensor:
        return F.linear(h, self.tok.weight)  # (B, T, D) -> (B, T, V), tied weights


class Seq2Seq(nn.Module):
    def __init__(self, cfg: ModelConfig, embedding: TokenEmbedding) -> None:
        super().__init__()
        self.embedding = embedding
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = Encoder(cfg.n_enc_layers, cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.dropout)
        self.decoder_layers = nn.ModuleList(
            DecoderLayer(cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.dropout) for _ in range(cfg.n_dec_layers)
        )
        self.ln_f = nn.LayerNorm(cfg.d_model)

    def encode(self, src: Tensor, src_mask: Tensor, z: Tensor | None = None) -> Tensor:
        """e(x) + PE (+ z_edit at every position) through the encoder: (B, S) -> memory (B, S, D)."""
        x = self.embedding(src)
        if z is not None:
            x = x + z[:, None, :].to(x.dtype)  # (B, D) -> (B, 1, D), broadcast over positions
        return self.encoder(self.drop(x), src_mask)

    def cross_kv(self, memory: Tensor) -> list[KV]:
        """Each decoder layer's cross-attention K/V over the memory, computed once per source."""
        return [layer.cross_attn.project_kv(memory) for layer in self.decoder_layers]

    def decode(
        self, tgt_in: Tensor, cross_kv: list[KV], src_mask: Tensor, past: list[KV] | None = None
    ) -> tuple[Tensor, list[KV]]:
        """Logits for ``tgt_in`` (B, T) following ``past`` (None: teacher forcing from position 0)."""
        start = 0 if past is None else past[0][0].shape[2]
        x = self.drop(self.embedding(tgt_in, start))
        memory_mask = src_mask[:, None, None, :]  # (B, S) -> (B, 1, 1, S)
        new_past: list[KV] = []
        for i, layer in enumerate(self.decoder_layers):
            x, kv = layer(x, cross_kv[i], memory_mask, None if past is None else past[i])
            new_past.append(kv)
        return self.embedding.logits(self.ln_f(x)), new_past

    def forward(self, src: Tensor, src_mask: Tensor, tgt_in: Tensor, z: Tensor | None = None) -> Tensor:
        memory = self.encode(src, src_mask, z)
        logits, _ = self.decode(tgt_in, self.cross_kv(memory), src_mask)
        return logits
