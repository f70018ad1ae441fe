"""Vector quantiser with EMA codebook updates and dead-code restarts (vector-quantize-pytorch's recipe).

``forward(x) -> (quantized, indices, loss)``: x (B, D) is snapped to the nearest of K codes; gradients pass
straight through to x; ``loss`` is the per-row commitment loss (B,) (summed by the caller, see base.py).
The codebook is not a parameter: it moves by exponential moving averages of the vectors assigned to each code,
kept in buffers. Codes whose EMA use falls below a threshold are restarted on vectors of the current batch,
so the whole codebook stays in use; this happens only while training. Under DDP the statistics are all-reduced
(the EMA sees the global batch, as in one process) and restarts are broadcast from rank 0; ranks agree.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn


class VectorQuantizerEMA(nn.Module):
    def __init__(
        self,
        dim: int,
        codebook_size: int,
        decay: float,
        commitment: float,
        dead_code_fraction: float,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.codebook_size = codebook_size
        self.decay = decay
        self.commitment = commitment
        self.dead_code_fraction = dead_code_fraction
        self.eps = eps
        embed = torch.randn(codebook_size, dim) * 0.1
        self.embed: Tensor
        self.cluster_size: Tensor
        self.embed_avg: Tensor
        self.register_buffer("embed", embed)
        # Zero use everywhere: the first training step restarts every code on real vectors (data-driven init).
        self.register_buffer("cluster_size", torch.zeros(codebook_size))
        self.register_buffer("embed_avg", embed.clone())
        self.last_stats: dict[str, float] = {}
        self.allow_restarts = True  # the trainer turns restarts off near the end (TrainConfig.code_restart_until)

    def lookup(self, indices: Tensor) -> Tensor:
        """Code vectors for ``indices`` (B,) -> (B, D): what inference feeds the decoder for a chosen code."""
        return F.embedding(indices, self.embed)

    def nearest(self, x: Tensor) -> Tensor:
        dist_sq = x.pow(2).sum(-1, keepdim=True) - 2 * x @ self.embed.t() + self.embed.pow(2).sum(-1)[None, :]  # (B, K)
        return dist_sq.argmin(dim=-1)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        # Distances in bf16 would pick wrong codes: the quantiser always runs in float32, outside autocast.
        with torch.autocast(device_type=x.device.type, enabled=False):
            return self._quantize(x.float())

    def _quantize(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        indices = self.nearest(x.detach())
        quantized = self.lookup(indices)  # (B, D)
        loss = self.commitment * (x - quantized.detach()).pow(2).mean(dim=-1)  # (B,)
        counts = torch.bincount(indices, minlength=self.codebook_size).to(x.dtype)
        live = None
        if self.training:
            live = self._update(x.detach(), indices, counts, (x.detach() - quantized).pow(2).sum(-1))
        probs = counts / counts.sum().clamp(min=1)
        self.last_stats = {
            "perplexity": float(torch.exp(-(probs * torch.log(probs.clamp(min=1e-10))).sum())),
            # codes in use: EMA use at or above the dead threshold (counted before this step's restarts)
            "live_codes": live if live is not None else float((self.cluster_size >= self._threshold(counts)).sum()),
        }
        if x.requires_grad:
            quantized = x + (quantized - x).detach()  # straight-through estimator
        return quantized, indices, loss

    def _threshold(self, counts: Tensor) -> float:
        # A uniform code gets batch/K assignments per step; "dead" is a small fraction of that EMA level.
        batch = float(counts.sum()) * (dist.get_world_size() if _distributed() else 1)
        return self.dead_code_fraction * batch / self.codebook_size

    @torch.no_grad()
    def _update(self, x: Tensor, indices: Tensor, counts: Tensor, error: Tensor) -> float:
        """EMA step, then restarts; returns the number of live codes before the restarts."""
        sums = torch.zeros_like(self.embed).index_add_(0, indices, x)  # (K, D) sum of vectors per code
        counts = counts.clone()
        threshold = self._threshold(counts)
        if _distributed():
            dist.all_reduce(counts)
            dist.all_reduce(sums)
        self.cluster_size.lerp_(counts, 1 - self.decay)
        self.embed_avg.lerp_(sums, 1 - self.decay)
        n = self.cluster_size.sum()
        smoothed = (self.cluster_size + self.eps) / (n + self.codebook_size * self.eps) * n  # Laplace smoothing
        self.embed.copy_(self.embed_avg / smoothed[:, None].clamp(min=self.eps))
        dead = self.cluster_size < threshold
        live = float((~dead).sum())
        if self.allow_restarts and dead.any() and float(error.sum()) > 0:
            self._restart(dead, x, error, threshold)
        return live

    def _restart(self, dead: Tensor, x: Tensor, error: Tensor, threshold: float) -> None:
        if _distributed():  # draw from the global batch, in its row order, exactly as one process would
            x, error = _gather_rows(x), _gather_rows(error)
        # Restart on vectors drawn in proportion to their quantisation error: a dead code goes where the
        # codebook serves the data worst (never merely duplicating a vector some code already fits exactly).
        picks = torch.multinomial(error, int(dead.sum()), replacement=True)
        self.embed[dead] = x[picks]
        self.embed_avg[dead] = x[picks] * threshold
        self.cluster_size[dead] = threshold
        if _distributed():  # rank 0's picks win everywhere
            for buf in (self.embed, self.embed_avg, self.cluster_size):
                dist.broadcast(buf, src=0)


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def _gather_rows(t: Tensor) -> Tensor:
    """Undo the DDP split: rank r holds global rows r, r + W, ...; return all rows in global order."""
    parts = [torch.empty_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, t.contiguous())
    stacked = torch.stack(parts, dim=1)  # (n, W, ...): row j of rank r is global row j * W + r
    return stacked.reshape(-1, *t.shape[1:])  # (n, W, ...) -> (n * W, ...)
