"""Decoding with the self-attention KV cache: one encoder pass, then one decoder step per token.

``greedy_decode`` (temperature 0) or sampling (temperature > 0, the Transformer baseline's diversity), and
``decode_per_code``: one input decoded once per codebook entry, the Edit-VQVAE's K candidate edits.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from speedhints.training.models.seq2seq import Seq2Seq


@torch.no_grad()
def greedy_decode(
    seq2seq: Seq2Seq,
    src: Tensor,
    src_mask: Tensor,
    z: Tensor | None,
    bos_id: int,
    eos_id: int,
    max_len: int,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
) -> list[list[int]]:
    """Token ids of each row's output (BOS and EOS stripped), at most ``max_len`` - 1 tokens."""
    b = src.shape[0]
    memory = seq2seq.encode(src, src_mask, z)
    cross, copy = seq2seq.cross_kv(memory), seq2seq.copy_source(memory, src)
    token = torch.full((b, 1), bos_id, dtype=torch.long, device=src.device)
    past = None
    out: list[list[int]] = [[] for _ in range(b)]
    done = torch.zeros(b, dtype=torch.bool, device=src.device)
    for _ in range(max_len - 1):
        logits, past = seq2seq.decode(token, cross, src_mask, past, copy)  # logits (B, 1, V)
        last = logits[:, -1].float()  # (B, V)
        if temperature > 0:
            probs = torch.softmax(last / temperature, dim=-1)
            token = torch.multinomial(probs, 1, generator=generator)  # (B, 1)
        else:
            token = last.argmax(-1, keepdim=True)  # (B, 1)
        done |= token[:, 0] == eos_id
        for i in (~done).nonzero().flatten().tolist():
            out[i].append(int(token[i, 0]))
        if bool(done.all()):
            break
    return out


@torch.no_grad()
def decode_per_code(
    seq2seq: Seq2Seq,
    codebook: Tensor,
    src: Sequence[int],
    codes: Sequence[int],
    pad_id: int,
    bos_id: int,
    eos_id: int,
    max_len: int,
) -> list[list[int]]:
    """Decode one source (x EOS) once per code in ``codes`` (rows of ``codebook`` (K, D)), as one batch."""
    x = torch.tensor([list(src)] * len(codes), dtype=torch.long, device=codebook.device)  # (N, S)
    z = codebook[torch.tensor(list(codes), dtype=torch.long, device=codebook.device)]  # (N, D)
    return greedy_decode(seq2seq, x, x != pad_id, z, bos_id, eos_id, max_len)
