"""Pairs on disk -> token ids -> length-bucketed batches whose order depends only on (seed, epoch).

With ``output = "edit"`` (configs.py) the source is x *marked* with line tokens and the target is the edit script
from x to y (model_export/editscript.py), both through a ``ScriptCodec``; otherwise the source is x and the target y.
Pairs are JSONL (issue #3): {"problem", "slow_id", "fast_id", "slow", "fast", "speedup"} per line, in
``<dir>/{train,valid,test}.jsonl``. Batches always hold ``batch_size`` pairs (the global batch; DDP ranks take
row slices of it), so the data order, and so a resumed run, is reproducible from (seed, epoch, index).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from speedhints.model_export.editscript import ScriptCodec, diff, split_lines
from speedhints.training.jsonl import parse_jsonl
from speedhints.training.models.base import Batch

SPLITS = ("train", "valid", "test")


class DataError(ValueError):
    """Bad or missing pair files: the CLI prints the message as one line."""


class TokenEncoder(Protocol):
    def encode(self, code: str) -> list[int]: ...


@dataclass(frozen=True)
class PairRecord:
    problem: str
    slow_id: str
    fast_id: str
    slow: str
    fast: str
    speedup: float


def resolve_pairs_dir(path: Path) -> Path:
    """The folder holding train.jsonl: ``path`` itself, or its only subfolder (``<pairs_dir>/<split>/``)."""
    if not path.is_dir():
        raise DataError(f"{path}: no such pairs directory")
    if (path / "train.jsonl").is_file():
        return path
    subs = sorted(p for p in path.iterdir() if (p / "train.jsonl").is_file())
    if len(subs) == 1:
        return subs[0]
    if not subs:
        raise DataError(f"{path}: no train.jsonl here or in a subfolder")
    names = ", ".join(p.name for p in subs)
    raise DataError(f"{path}: several splits ({names}); pass one of them")


def read_pairs(path: Path) -> list[PairRecord]:
    if not path.is_file():
        raise DataError(f"{path}: missing")

    def pair(d: dict[str, Any]) -> PairRecord:
        return PairRecord(
            str(d["problem"]),
            str(d["slow_id"]),
            str(d["fast_id"]),
            d["slow"],
            d["fast"],
            # null: a verified edit that was not timed (`data edits`), never evidence of a speedup
            math.nan if d["speedup"] is None else float(d["speedup"]),
        )

    def bad_line(lineno: int, exc: Exception) -> DataError:
        return DataError(f"{path}:{lineno}: not a pair record ({type(exc).__name__}: {exc})")

    return list(parse_jsonl(path, pair, bad_line))


def max_speedup_only(records: Sequence[PairRecord]) -> list[PairRecord]:
    """Transformer*: for each input program keep only its pair with the largest speedup (ties: first seen)."""
    best: dict[tuple[str, str], PairRecord] = {}
    for r in records:
        key = (r.problem, r.slow_id)
        if key not in best or r.speedup > best[key].speedup:
            best[key] = r
    return list(best.values())


@dataclass
class Examples:
    """Token ids ready to batch: src = x EOS, tgt = BOS y EOS (edit output: marked x EOS, BOS script EOS)."""

    src: list[list[int]]
    tgt: list[list[int]]
    dropped: int  # pairs longer than max_len (dropped, never truncated: a cut program teaches nothing)
    slow_keys: list[tuple[str, str]]  # (problem, slow_id) of each example, to group an input's pairs

    def __len__(self) -> int:
        return len(self.src)


def tokenize_pairs(
    records: Sequence[PairRecord],
    tokenizer: TokenEncoder,
    bos_id: int,
    eos_id: int,
    max_len: int,
    codec: ScriptCodec | None = None,
) -> Examples:
    """Program targets, or with ``codec`` edit-script targets over the marked input.

    Edit output also drops pairs whose x has more lines than the codec has line tokens (counted in ``dropped``).
    """
    src, tgt, keys, dropped = [], [], [], 0
    cache: dict[str, list[int]] = {}  # slow programs recur across pairs; encode each once
    for r in records:
        x = cache.get(r.slow)
        if x is None:
            x = cache[r.slow] = _encode_source(r.slow, tokenizer, codec)
        if not x:
            dropped += 1
            continue
        y = tokenizer.encode(r.fast) if codec is None else codec.encode_script(r.slow, diff(r.slow, r.fast))
        if len(x) + 1 > max_len or len(y) + 2 > max_len:
            dropped += 1
            continue
        src.append([*x, eos_id])
        tgt.append([bos_id, *y, eos_id])
        keys.append((r.problem, r.slow_id))
    return Examples(src, tgt, dropped, keys)


def _encode_source(x: str, tokenizer: TokenEncoder, codec: ScriptCodec | None) -> list[int]:
    """x's ids ([] for an edit model when x has more lines than it can point at)."""
    if codec is None:
        return tokenizer.encode(x)
    if len(split_lines(x)) > codec.max_lines:
        return []
    return codec.encode_source(x)


def fingerprint(examples: Examples) -> str:
    """A cheap digest of the training set (its size and every pair's lengths and first/last tokens).

    Stored in checkpoints: resuming on different data would silently change the batch order.
    """
    h = hashlib.sha256()
    for s, t in zip(examples.src, examples.tgt, strict=True):
        h.update(f"{len(s)},{len(t)},{s[0]},{t[1] if len(t) > 2 else -1};".encode())
    return f"{len(examples)}:{h.hexdigest()[:16]}"


def collate(examples: Examples, indices: Sequence[int], pad_id: int, with_pair: bool) -> Batch:
    src = _pad([examples.src[i] for i in indices], pad_id)
    tgt = _pad([examples.tgt[i] for i in indices], pad_id)
    pair = _pad([examples.src[i] + examples.tgt[i][1:] for i in indices], pad_id) if with_pair else None
    return Batch(src, tgt, pair, pad_id)


def _pad(seqs: list[list[int]], pad_id: int) -> torch.Tensor:
    out = torch.full((len(seqs), max(len(s) for s in seqs)), pad_id, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out


class BucketSampler:
    """Shuffle, sort chunks of ``chunk`` batches by length, cut into batches, shuffle the batches.

    Similar lengths share a batch (little padding) while the order stays random from epoch to epoch. Every
    batch holds exactly ``batch_size`` examples (the remainder of an epoch is left out); a set smaller than
    one batch gives one batch of everything.
    """

    def __init__(self, examples: Examples, batch_size: int, seed: int, chunk: int) -> None:
        self.lengths = [len(s) + len(t) for s, t in zip(examples.src, examples.tgt, strict=True)]
        self.batch_size = batch_size
        self.seed = seed
        self.chunk = max(1, chunk)
        self._cached: tuple[int, list[list[int]]] | None = None  # the current epoch's batches, built once

    def epoch(self, epoch: int) -> list[list[int]]:
        if self._cached is None or self._cached[0] != epoch:
            self._cached = (epoch, self._build(epoch))
        return self._cached[1]

    def _build(self, epoch: int) -> list[list[int]]:
        n = len(self.lengths)
        if n == 0:
            return []
        if n <= self.batch_size:
            return [list(range(n))]
        rng = random.Random(self.seed * 1_000_003 + epoch)
        order = list(range(n))
        rng.shuffle(order)
        span = self.batch_size * self.chunk
        batches = []
        for start in range(0, n - n % self.batch_size, span):
            block = sorted(order[start : start + span], key=self.lengths.__getitem__)
            full = len(block) - len(block) % self.batch_size
            batches += [block[i : i + self.batch_size] for i in range(0, full, self.batch_size)]
        rng.shuffle(batches)
        return batches

    def padding_waste(self, epoch: int = 0) -> float:
        """The share of batch cells (source + target) that are padding in this epoch's batches."""
        real = padded = 0
        for b in self.epoch(epoch):
            lens = [self.lengths[i] for i in b]
            real += sum(lens)
            padded += max(lens) * len(lens)
        return 1 - real / padded if padded else 0.0


@dataclass
class DataCursor:
    """Where training is in the data: the batch ``index`` of ``epoch``. Saved in checkpoints."""

    epoch: int = 0
    index: int = 0

    def next(self, sampler: BucketSampler) -> list[int]:
        batches = sampler.epoch(self.epoch)
        if not batches:
            raise DataError("no training pairs left after filtering")
        if self.index >= len(batches):
            self.epoch, self.index = self.epoch + 1, 0
            batches = sampler.epoch(self.epoch)
        self.index += 1
        return batches[self.index - 1]
