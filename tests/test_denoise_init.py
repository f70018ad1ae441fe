"""Denoising pretraining: the corruption keeps the line structure, and ``train --init`` starts from the given
weights (and refuses another architecture)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
from synthetic_pairs import make_examples
from test_train import quiet, tiny_run

from speedhints.training.data.denoise import corrupt
from speedhints.training.models.checkpoint import read_checkpoint
from speedhints.training.train import CKPT_NAME, TrainData, train

CODE = "v0 = int(input())\nfor v1 in range(v0):\n    if v1 % 2:\n        print(v1)\n"


def test_corruption_deletes_tokens_but_keeps_lines() -> None:
    out = corrupt(CODE, random.Random(1), drop=0.3)
    assert out != CODE and out.count("\n") == CODE.count("\n")
    assert len(out) < len(CODE)
    kept = "".join(out.split())
    assert all(ch in "".join(CODE.split()) for ch in kept)  # only deletions: nothing new appears
    assert corrupt(CODE, random.Random(1), drop=0.0) == CODE
    assert corrupt(CODE, random.Random(7), drop=0.3) == corrupt(CODE, random.Random(7), drop=0.3)  # seeded


def test_init_starts_from_the_given_weights(tmp_path: Path) -> None:
    ex = make_examples(8, kinds=(0,))
    train(tiny_run("edit-vqvae", 30), TrainData(ex, ex), tmp_path / "pre", device="cpu", echo=quiet)
    pre = read_checkpoint(tmp_path / "pre" / CKPT_NAME)["model"]
    run = tiny_run("edit-vqvae", 1)
    run.train.learning_rate = run.train.min_lr = 0.0  # one step that changes no weight: the start is visible
    train(run, TrainData(ex, ex), tmp_path / "ft", device="cpu", echo=quiet, init=tmp_path / "pre" / CKPT_NAME)
    ft = read_checkpoint(tmp_path / "ft" / CKPT_NAME)["model"]
    name = next(k for k in sorted(ft) if k.startswith("seq2seq.") and k.endswith("weight"))
    assert torch.equal(ft[name], pre[name])
    fresh_run = tiny_run("edit-vqvae", 1)
    fresh_run.train.learning_rate = fresh_run.train.min_lr = 0.0
    train(fresh_run, TrainData(ex, ex), tmp_path / "fresh", device="cpu", echo=quiet)
    assert not torch.equal(read_checkpoint(tmp_path / "fresh" / CKPT_NAME)["model"][name], pre[name])


def test_init_refuses_another_architecture(tmp_path: Path) -> None:
    ex = make_examples(8, kinds=(0,))
    train(tiny_run("edit-vqvae", 2), TrainData(ex, ex), tmp_path / "pre", device="cpu", echo=quiet)
    with pytest.raises(ValueError, match="different architecture"):
        train(tiny_run("edit-vqvae", 2, d_model=16), TrainData(ex, ex), tmp_path / "ft", device="cpu", echo=quiet,
              init=tmp_path / "pre" / CKPT_NAME)
