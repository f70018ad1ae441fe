"""g_phi: the encoder-decoder. Its encoder reads e(x) + PE (+ z_edit); its decoder produces y.

Split the way export needs it: ``encode`` (tokens + z -> memory), ``cross_kv`` (memory -> each decoder layer's
cross-attention K/V) and ``decode`` (new target tokens + self-attention cache -> logits + extended cache).

With ``ModelConfig.copy`` the decoder also points: ``copy_source`` (memory, source ids -> the copy head's keys and
the ids they stand for) is computed once per source like the cross K/V, and ``decode`` returns log-probabilities
of the mixture g * softmax(vocabulary logits) + (1 - g) * (attention over the source, summed per token id) in
place of logits. Log-probabilities are logits of the same distribution (softmax(log p) = p), so the loss, greedy
decoding and export treat them alike.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from speedhints.training.configs import ModelConfig
from speedhints.training.models.layers import KV, DecoderLayer, Encoder, sinusoid_table

CopySource = tuple[Tensor, Tensor]  # (the copy head's keys (B, S, D), the source ids they point at (B, S))
COPY_FLOOR = 1e-9  # added before the log: a token neither head gives any mass stays finite


def copy_mixture(vocab_logits: Tensor, h: Tensor, query: nn.Linear, gate: nn.Linear, source: CopySource,
                 src_mask: Tensor) -> Tensor:
    """log(g * softmax(vocab_logits) + (1 - g) * copy attention scattered onto the source's ids): (B, T, V).

    Written with plain ops (matmul, where, softmax, scatter_add) so the exported step graph computes the same."""
    keys, ids = source
    scores = torch.matmul(query(h), keys.transpose(1, 2)) * (1.0 / math.sqrt(keys.shape[-1]))  # (B, T, S)
    scores = torch.where(src_mask[:, None, :], scores, torch.full_like(scores, -1e9))
    attn = torch.softmax(scores.float(), dim=-1)
    g = torch.sigmoid(gate(h).float())  # (B, T, 1)
    p = g * torch.softmax(vocab_logits.float(), dim=-1)
    index = ids[:, None, :].expand(-1, h.shape[1], -1)  # (B, S) -> (B, T, S)
    p = p.scatter_add(2, index, (1.0 - g) * attn)
    return torch.log(p + COPY_FLOOR)


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
        self.copy = cfg.copy
        if cfg.copy:
            self.copy_query = nn.Linear(cfg.d_model, cfg.d_model)
            self.copy_key = nn.Linear(cfg.d_model, cfg.d_model)
            self.copy_gate = nn.Linear(cfg.d_model, 1)

    def encode(self, src: Tensor, src_mask: Tensor, z: Tensor | None = None) -> Tensor:
        """e(x) + PE (+ z_edit at every position) through the encoder: (B, S) -> memory (B, S, D)."""
        x = self.embedding(src)
        if z is not None:
            x = x + z[:, None, :].to(x.dtype)  # (B, D) -> (B, 1, D), broadcast over positions
        return self.encoder(self.drop(x), src_mask)

    def cross_kv(self, memory: Tensor) -> list[KV]:
        """Each decoder layer's cross-attention K/V over the memory, computed once per source."""
        return [layer.cross_attn.project_kv(memory) for layer in self.decoder_layers]

    def copy_source(self, memory: Tensor, src: Tensor) -> CopySource | None:
        """The copy head's keys over the memory and the ids they point at (None without a copy head)."""
        return (self.copy_key(memory), src) if self.copy else None

    def decode(
        self, tgt_in: Tensor, cross_kv: list[KV], src_mask: Tensor, past: list[KV] | None = None,
        copy: CopySource | None = None,
    ) -> tuple[Tensor, list[KV]]:
        """Logits for ``tgt_in`` (B, T) following ``past`` (None: teacher forcing from position 0); with a copy
        head, log-probabilities of the mixture, and ``copy`` (``copy_source``) is required."""
        start = 0 if past is None else past[0][0].shape[2]
        x = self.drop(self.embedding(tgt_in, start))
        memory_mask = src_mask[:, None, None, :]  # (B, S) -> (B, 1, 1, S)
        new_past: list[KV] = []
        for i, layer in enumerate(self.decoder_layers):
            x, kv = layer(x, cross_kv[i], memory_mask, None if past is None else past[i])
            new_past.append(kv)
        h = self.ln_f(x)
        logits = self.embedding.logits(h)
        if self.copy:
            if copy is None:
                raise ValueError("a model with a copy head decodes with its copy_source")
            logits = copy_mixture(logits, h, self.copy_query, self.copy_gate, copy, src_mask)
        return logits, new_past

    def forward(self, src: Tensor, src_mask: Tensor, tgt_in: Tensor, z: Tensor | None = None) -> Tensor:
        memory = self.encode(src, src_mask, z)
        logits, _ = self.decode(tgt_in, self.cross_kv(memory), src_mask, copy=self.copy_source(memory, src))
        return logits
