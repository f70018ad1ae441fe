"""The three graphs the runtime runs, as torch modules wrapping a trained model's own weights.

Why an adapter instead of exporting ``Seq2Seq.decode`` directly: the runtime decodes rows whose caches have
different lengths (speculative decoding accepts a different number of tokens per row), so the decoder step here
takes per-row ``position_ids`` and a ``past_mask`` marking which cached slots are live, where the training code
assumes one shared length. Attention is written out (matmul, mask, softmax) so the ONNX graph has no fused op
whose masking differs between exporters; the encoder and the prior reuse the model's modules unchanged.

Names (ONNX inputs/outputs) are fixed here and read by ``speedhints.model_export.onnx_decoding`` (which defines
the per-source ones, ``cross_names``, for both).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from speedhints.model_export.onnx_decoding import COPY_NAMES
from speedhints.training.models.layers import DecoderLayer, MultiHeadAttention
from speedhints.training.models.seq2seq import copy_mixture
from speedhints.training.models.speed_models import EditModel

NEG = -1e9  # masked score: exp(NEG - max) is exactly 0 in float32, and a fully masked row stays finite


def kv_names(prefix: str, n_layers: int) -> list[str]:
    """["{prefix}_key.0", "{prefix}_value.0", ...]: one key and one value per decoder layer."""
    return [f"{prefix}_{kind}.{i}" for i in range(n_layers) for kind in ("key", "value")]



class EncoderGraph(nn.Module):
    """(input_ids (B, S), z (B, D)) -> each decoder layer's cross-attention key and value (B, H, S, hd), then with
    a copy head its keys (B, S, D) and the ids (B, S)."""

    def __init__(self, model: EditModel) -> None:
        super().__init__()
        self.seq2seq = model.seq2seq
        self.pad_id = model.cfg.pad_id

    def forward(self, input_ids: Tensor, z: Tensor) -> tuple[Tensor, ...]:
        mask = input_ids != self.pad_id  # (B, S)
        memory = self.seq2seq.encode(input_ids, mask, z)  # (B, S, D)
        out = tuple(t for kv in self.seq2seq.cross_kv(memory) for t in kv)
        copy = self.seq2seq.copy_source(memory, input_ids)
        if copy is not None:
            out += (copy[0], copy[1] * 1)  # "* 1": an output of its own, not the graph's input passed through
        return out


class PriorGraph(nn.Module):
    """input_ids (B, S) -> the latent prior's logits over the K codes (B, K)."""

    def __init__(self, model: EditModel) -> None:
        super().__init__()
        assert model.prior is not None
        self.encoder = model.latent_encoder.encoder
        self.embedding = model.embedding
        self.prior = model.prior
        self.pad_id = model.cfg.pad_id

    def forward(self, input_ids: Tensor) -> Tensor:
        mask = input_ids != self.pad_id
        states = self.encoder(self.embedding(input_ids), mask)  # f_theta's states of x (pooling is unused here)
        logits: Tensor = self.prior(states, mask)
        return logits


def _attend(attn: MultiHeadAttention, x_q: Tensor, k: Tensor, v: Tensor, mask: Tensor) -> Tensor:
    """Queries from ``x_q`` (B, T, D) over ``k``, ``v`` (B, H, S, hd); ``mask`` (B, 1, T|1, S) True = visible."""
    b, t, _ = x_q.shape
    q = attn.q_proj(x_q).view(b, t, attn.n_heads, attn.head_dim).transpose(1, 2)  # (B, T, D) -> (B, H, T, hd)
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(attn.head_dim))  # (B, H, T, S)
    scores = torch.where(mask, scores, torch.full_like(scores, NEG))
    y = torch.matmul(torch.softmax(scores, dim=-1), v)  # (B, H, T, hd)
    out: Tensor = attn.out_proj(y.transpose(1, 2).reshape(b, t, attn.n_heads * attn.head_dim))  # -> (B, T, D)
    return out


def _split_heads(attn: MultiHeadAttention, x: Tensor) -> Tensor:
    b, t, _ = x.shape
    return x.view(b, t, attn.n_heads, attn.head_dim).transpose(1, 2)  # (B, T, D) -> (B, H, T, hd)


def _layer_step(
    layer: DecoderLayer, x: Tensor, past_k: Tensor, past_v: Tensor, self_mask: Tensor,
    cross_k: Tensor, cross_v: Tensor, cross_mask: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    """One pre-LN decoder layer over T new positions; returns (states, present_key, present_value)."""
    h = layer.ln1(x)
    k = torch.cat([past_k, _split_heads(layer.self_attn, layer.self_attn.k_proj(h))], dim=2)  # (B, H, P + T, hd)
    v = torch.cat([past_v, _split_heads(layer.self_attn, layer.self_attn.v_proj(h))], dim=2)
    x = x + _attend(layer.self_attn, h, k, v, self_mask)
    x = x + _attend(layer.cross_attn, layer.ln2(x), cross_k, cross_v, cross_mask)
    x = x + layer.ff(layer.ln3(x))
    return x, k, v


class DecoderStepGraph(nn.Module):
    """T new target tokens per row after a ragged self-attention cache -> logits, greedy tokens, extended cache.

    Inputs: input_ids (B, T), position_ids (B, T) (each row's absolute positions), past_mask (B, P) bool (live
    cache slots), encoder_attention_mask (B, S) bool, cross_key.i / cross_value.i (B, H, S, hd), with a copy head
    copy_key (B, S, D) and copy_ids (B, S), past_key.i / past_value.i (B, H, P, hd). Outputs: logits (B, T, V)
    (log-probabilities with a copy head), next_tokens (B, T) (argmax),
    present_key.i / present_value.i (B, H, P + T, hd): the past with the T new positions appended.
    """

    def __init__(self, model: EditModel) -> None:
        super().__init__()
        self.seq2seq = model.seq2seq
        self.n_layers = len(model.seq2seq.decoder_layers)

    def forward(
        self, input_ids: Tensor, position_ids: Tensor, past_mask: Tensor, encoder_attention_mask: Tensor,
        *kv: Tensor,
    ) -> tuple[Tensor, ...]:
        n = self.n_layers
        n_cross = 2 * n + (len(COPY_NAMES) if self.seq2seq.copy else 0)
        cross, past = kv[:n_cross], kv[n_cross:]
        emb = self.seq2seq.embedding
        x = emb.tok(input_ids) * emb.scale + emb.pe[position_ids]  # (B, T, D)
        t = input_ids.shape[1]
        ar = torch.arange(t, device=input_ids.device)
        causal = (ar[None, :] <= ar[:, None])[None].expand(input_ids.shape[0], t, t)  # (B, T, T) new-to-new
        past_part = past_mask[:, None, :].expand(-1, t, -1)  # (B, P) -> (B, T, P)
        self_mask = torch.cat([past_part, causal], dim=2)[:, None]  # (B, 1, T, P + T)
        cross_mask = encoder_attention_mask[:, None, None, :]  # (B, S) -> (B, 1, 1, S)
        presents: list[Tensor] = []
        for i, layer in enumerate(self.seq2seq.decoder_layers):
            x, k, v = _layer_step(
                layer, x, past[2 * i], past[2 * i + 1], self_mask, cross[2 * i], cross[2 * i + 1], cross_mask
            )
            presents += [k, v]
        h = self.seq2seq.ln_f(x)
        logits = emb.logits(h)  # (B, T, V)
        if self.seq2seq.copy:
            s2s = self.seq2seq
            logits = copy_mixture(logits, h, s2s.copy_query, s2s.copy_gate, (cross[2 * n], cross[2 * n + 1]),
                                  encoder_attention_mask)
        return (logits, logits.argmax(-1), *presents)
