"""What every model takes and returns: a padded batch of pairs, and loss *sums* (not means).

Losses are returned as sums so the trainer can divide by the token and pair counts of the *global* batch: then
DDP's gradient averaging over ranks gives exactly the single-process gradient, whatever the per-rank padding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass
class Batch:
    """Token ids, padded with pad_id. src = x + EOS; tgt = BOS + y + EOS; pair = x + EOS + y + EOS (VQVAE)."""

    src: Tensor  # (B, S)
    tgt: Tensor  # (B, T)
    pair: Tensor | None = None  # (B, S + T - 1); only the VQVAE ablation reads it
    pad_id: int = 0

    @property
    def src_mask(self) -> Tensor:
        return self.src != self.pad_id  # (B, S) True at real tokens

    @property
    def tgt_in(self) -> Tensor:
        return self.tgt[:, :-1]  # BOS y      (B, T - 1)

    @property
    def tgt_out(self) -> Tensor:
        return self.tgt[:, 1:]  # y EOS       (B, T - 1)

    @property
    def n_tokens(self) -> int:
        return int((self.tgt_out != self.pad_id).sum())

    @property
    def n_rows(self) -> int:
        return int(self.src.shape[0])

    def to(self, device: torch.device | str) -> Batch:
        pair = self.pair.to(device, non_blocking=True) if self.pair is not None else None
        return Batch(self.src.to(device, non_blocking=True), self.tgt.to(device, non_blocking=True), pair, self.pad_id)

    def rows(self, index: slice) -> Batch:
        """A slice of the rows (a DDP rank's share), trimmed of columns that are padding in every kept row."""
        src, tgt = _trim(self.src[index], self.pad_id), _trim(self.tgt[index], self.pad_id)
        pair = _trim(self.pair[index], self.pad_id) if self.pair is not None else None
        return Batch(src, tgt, pair, self.pad_id)


def _trim(x: Tensor, pad_id: int) -> Tensor:
    used = (x != pad_id).any(dim=0).nonzero()
    return x[:, : int(used.max()) + 1] if used.numel() else x[:, :1]


@dataclass
class ModelOutput:
    nll_sum: Tensor  # summed token cross-entropy over the real target tokens
    aux_sum: Tensor  # summed per-pair auxiliary losses (commitment, KL, prior cross-entropy)
    logits: Tensor  # (B, T - 1, V)
    codes: Tensor | None = None  # (B,) the code the encoder chose for each pair (VQ models)
    stats: dict[str, float] = field(default_factory=dict)  # figures to log (means over this batch)


def token_nll_sum(logits: Tensor, targets: Tensor, pad_id: int) -> Tensor:
    """Cross-entropy summed over non-pad targets; logits (B, T, V), targets (B, T)."""
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(),  # (B, T, V) -> (B*T, V)
        targets.reshape(-1),
        ignore_index=pad_id,
        reduction="sum",
    )
