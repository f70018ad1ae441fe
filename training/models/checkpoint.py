"""Checkpoints that carry their own config: ``load_model(path)`` rebuilds the model from the file alone."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from speedhints.training.configs import RunConfig
from speedhints.training.models.speed_models import SpeedModel, build_model

FORMAT_VERSION = 1


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write atomically (temp file + rename): a run killed mid-write leaves the previous checkpoint intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format_version": FORMAT_VERSION, **payload}, tmp)
    os.replace(tmp, path)


def read_checkpoint(path: Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    ckpt: dict[str, Any] = torch.load(path, map_location=device, weights_only=False)
    if not isinstance(ckpt, dict) or "run_config" not in ckpt or "model" not in ckpt:
        raise ValueError(f"{path}: not a speedhints checkpoint")
    return ckpt


def load_model(path: Path, device: str | torch.device = "cpu") -> tuple[SpeedModel, RunConfig]:
    """The model in eval mode and its run config; no other file needed."""
    ckpt = read_checkpoint(path, device)
    run = RunConfig.from_dict(ckpt["run_config"])
    model = build_model(run.model)
    model.load_state_dict(ckpt["model"])
    return model.to(device).eval(), run
