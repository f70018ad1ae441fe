"""Transformer building blocks with an explicit KV-cache path, so export can split encoder and decoder step.

Pre-LayerNorm blocks (stable at the paper's high peak LR). Attention uses ``scaled_dot_product_attention``
with boolean masks (True = may attend). Every K/V tensor is (B, H, S, head_dim).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

KV = tuple[Tensor, Tensor]  # (key, value), each (B, H, S, head_dim)


def sinusoid_table(max_len: int, d_model: int) -> Tensor:
    """The fixed positional encodings of "Attention is all you need": (max_len, d_model)."""
    pos = torch.arange(max_len, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    table = torch.zeros(max_len, d_model)
    table[:, 0::2] = torch.sin(pos * div)
    table[:, 1::2] = torch.cos(pos * div)
    return table


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = dropout

    def _split(self, x: Tensor) -> Tensor:
        b, s, _ = x.shape
        return x.view(b, s, self.n_heads, self.head_dim).transpose(1, 2)  # (B, S, D) -> (B, H, S, hd)

    def project_kv(self, x: Tensor) -> KV:
        """Keys and values of ``x`` (B, S, D): computed once per source for cross-attention."""
        return self._split(self.k_proj(x)), self._split(self.v_proj(x))

    def attend(self, x_q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None, causal: bool = False) -> Tensor:
        """Queries from ``x_q`` (B, T, D) over precomputed ``k``, ``v``; ``mask`` broadcasts to (B,H,T,S)."""
        q = self._split(self.q_proj(x_q))
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0, is_causal=causal
        )  # (B, H, T, hd)
        b, _, t, _ = y.shape
        return self.out_proj(y.transpose(1, 2).reshape(b, t, self.n_heads * self.head_dim))  # -> (B, T, D)


class FeedForward(nn.Sequential):
    def __init__(self, d_model: int, d_ff: int, dropout: float) -> None:
        super().__init__(nn.Linear(d_model, d_ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model))


class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.ln2 = nn.LayerNorm(d_model)
        self.ff = FeedForward(d_model, d_ff, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, key_mask: Tensor) -> Tensor:
        h = self.ln1(x)
        k, v = self.attn.project_kv(h)
        x = x + self.drop(self.attn.attend(h, k, v, key_mask))
        return x + self.drop(self.ff(self.ln2(x)))


class Encoder(nn.Module):
    """A stack of encoder layers over already-embedded inputs, ending in a LayerNorm (pre-LN)."""

    def __init__(self, n_layers: int, d_model: int, n_heads: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.layers = nn.ModuleList(EncoderLayer(d_model, n_heads, d_ff, dropout) for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d_model)

    def forward(self, x: Tensor, pad_mask: Tensor) -> Tensor:
        """``x`` (B, S, D), ``pad_mask`` (B, S) True at real tokens -> states (B, S, D)."""
        key_mask = pad_mask[:, None, None, :]  # (B, S) -> (B, 1, 1, S): every query sees the real keys
        for layer in self.layers:
            x = layer(x, key_mask)
        return self.ln_f(x)


class DecoderLayer(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.ln2 = nn.LayerNorm(d_model)
        self.cross_attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.ln3 = nn.LayerNorm(d_model)
        self.ff = FeedForward(d_model, d_ff, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, cross_kv: KV, memory_mask: Tensor, past: KV | None) -> tuple[Tensor, KV]:
        """``x`` (B, T, D): the T new target positions; ``past``: this layer's cached self-attention K/V.

        Returns the new states and the cache extended by the T new positions.
        """
        h = self.ln1(x)
        k, v = self.self_attn.project_kv(h)  # (B, H, T, hd) each
        if past is None:
            # Teacher forcing over the whole target: plain causal attention.
            y = self.self_attn.attend(h, k, v, causal=True)
        else:
            k = torch.cat([past[0], k], dim=2)  # (B, H, P + T, hd)
            v = torch.cat([past[1], v], dim=2)
            y = self.self_attn.attend(h, k, v, mask=causal_mask_with_past(x.shape[1], k.shape[2], x.device))
        x = x + self.drop(y)
        x = x + self.drop(self.cross_attn.attend(self.ln2(x), cross_kv[0], cross_kv[1], memory_mask))
        x = x + self.drop(self.ff(self.ln3(x)))
        return x, (k, v)


def causal_mask_with_past(t_new: int, t_total: int, device: torch.device) -> Tensor:
    """(T_new, T_total) True where query i (absolute position T_total - T_new + i) may see key j."""
    past = t_total - t_new
    q_pos = torch.arange(t_new, device=device)[:, None] + past
    k_pos = torch.arange(t_total, device=device)[None, :]
    return k_pos <= q_pos
