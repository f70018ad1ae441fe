"""The training loop, nanoGPT-style: named pieces (get_lr, estimate_loss, exact_match_rate) and a plain loop.

Runs on CPU or CUDA (bf16 autocast), single process or DDP under torchrun (gloo on CPU, NCCL on CUDA).
Every batch is the *global* batch; rank r trains on rows r, r + W, ... and losses are normalised by the global
token and pair counts, so W ranks compute exactly the single-process gradient. A checkpoint holds the model,
optimizer, step, data cursor and every rank's RNG state: a killed run resumes and continues identically.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from speedhints.model_export.editscript import ScriptCodec
from speedhints.model_export.tokenizer import CodeTokenizer
from speedhints.training.configs import RunConfig, TrainConfig
from speedhints.training.dataset import (
    SPLITS,
    BucketSampler,
    DataCursor,
    Examples,
    TokenEncoder,
    collate,
    fingerprint,
    max_speedup_only,
    read_pairs,
    tokenize_pairs,
)
from speedhints.training.models import Batch, EditModel, ModelOutput, SpeedModel, build_model, greedy_decode
from speedhints.training.models.checkpoint import read_checkpoint, save_checkpoint

CKPT_NAME = "ckpt.pt"  # the latest state (resume from it)
BEST_NAME = "best.pt"  # the lowest validation loss so far
LOG_NAME = "log.jsonl"  # one record per step (and per evaluation), rank 0 only


@dataclass
class TrainData:
    train: Examples
    valid: Examples
    tokenizer_json: str | None = None  # stored in checkpoints so export needs nothing else
    source: str = ""  # where the pairs came from (logged, stored)


def load_train_data(
    split_dir: Path, tokenizer: TokenEncoder, run: RunConfig, tokenizer_json: str | None = None
) -> TrainData:
    """Read and tokenise the train and valid splits; Transformer* keeps each input's max-speedup pair only.

    Edit output (``run.model.output == "edit"``) needs a ``CodeTokenizer``: its line tokens are added here when it
    lacks them, and the stored tokenizer is the extended one, so export sees the ids the model was trained on.
    """
    train_records = read_pairs(split_dir / f"{SPLITS[0]}.jsonl")
    if run.train.max_speedup_only:
        train_records = max_speedup_only(train_records)
    valid_records = read_pairs(split_dir / f"{SPLITS[1]}.jsonl")
    m = run.model
    codec = edit_codec(tokenizer, run)
    if codec is not None:
        tokenizer, tokenizer_json = codec.tokenizer, codec.tokenizer.to_json()
    return TrainData(
        train=tokenize_pairs(train_records, tokenizer, m.bos_id, m.eos_id, run.train.max_len, codec),
        valid=tokenize_pairs(valid_records, tokenizer, m.bos_id, m.eos_id, run.train.max_len, codec),
        tokenizer_json=tokenizer_json,
        source=str(split_dir),
    )


def edit_codec(tokenizer: TokenEncoder, run: RunConfig) -> ScriptCodec | None:
    """The script codec of an edit-output run (None for program output); refuses a vocabulary too small for it."""
    if run.model.output != "edit":
        return None
    if not isinstance(tokenizer, CodeTokenizer):
        raise ValueError("edit output needs the project's CodeTokenizer (its line tokens are added to it)")
    codec = ScriptCodec(tokenizer)
    if run.model.vocab_size < codec.vocab_size:
        raise ValueError(f"edit output needs vocab_size >= {codec.vocab_size} (the tokenizer plus its line tokens), "
                         f"the config has {run.model.vocab_size}")
    return codec


@dataclass
class TrainResult:
    step: int
    losses: dict[int, float] = field(default_factory=dict)  # step -> training loss, for the steps this call ran
    last_eval: dict[str, float] = field(default_factory=dict)


@dataclass
class DistInfo:
    rank: int
    world: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(device: str = "auto") -> DistInfo:
    """Join the torchrun process group if launched by torchrun; choose the device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    dev = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return DistInfo(rank, world, dev)


def _describe(run: RunConfig) -> str:
    edit = ", edit output" if run.model.output == "edit" else ""
    copy = ", copy head" if run.model.copy else ""
    return f"{run.model_name} ({run.config_name}{edit}{copy})"


def get_lr(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up to the peak, cosine decay to min_lr at lr_decay_steps, then min_lr."""
    if step < cfg.warmup_steps:
        return cfg.learning_rate * (step + 1) / cfg.warmup_steps
    if step >= cfg.lr_decay_steps:
        return cfg.min_lr
    ratio = (step - cfg.warmup_steps) / max(1, cfg.lr_decay_steps - cfg.warmup_steps)
    return cfg.min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (cfg.learning_rate - cfg.min_lr)


def eval_batches(run: RunConfig, examples: Examples, n: int) -> list[list[int]]:
    """A fixed set of validation batches (epoch 0 of their own sampler)."""
    t = run.train
    return BucketSampler(examples, t.batch_size, t.seed, t.bucket_chunk).epoch(0)[:n]


@torch.no_grad()
def estimate_loss(model: SpeedModel, run: RunConfig, examples: Examples, device: torch.device) -> dict[str, float]:
    """Validation token cross-entropy (and per-pair auxiliary loss) over ``eval_batches`` batches."""
    was_training = model.training
    model.eval()
    nll = aux = 0.0
    tokens = rows = 0
    for idx in eval_batches(run, examples, run.train.eval_batches):
        batch = collate(examples, idx, run.model.pad_id, run.model.kind == "vqvae").to(device)
        with _autocast(device):
            out = model(batch)
        nll += float(out.nll_sum)
        aux += float(out.aux_sum)
        tokens += batch.n_tokens
        rows += batch.n_rows
    model.train(was_training)
    return {"val_loss": nll / max(1, tokens), "val_aux": aux / max(1, rows)}


@torch.no_grad()
def exact_match_rate(
    model: SpeedModel, run: RunConfig, examples: Examples, device: torch.device, mode: str = "posterior"
) -> float:
    """Share of validation pairs whose greedy decoding reproduces y exactly.

    mode "posterior": the latent comes from the pair (reconstruction); "prior": from x alone (top-1 code).
    """
    was_training = model.training
    model.eval()
    hits = total = 0
    for idx in eval_batches(run, examples, run.train.exact_match_batches):
        batch = collate(examples, idx, run.model.pad_id, run.model.kind == "vqvae").to(device)
        z = model.latent(batch, mode)
        outs = greedy_decode(
            model.seq2seq, batch.src, batch.src_mask, z, run.model.bos_id, run.model.eos_id, run.model.max_len
        )
        for i, out in zip(idx, outs, strict=True):
            hits += out == examples.tgt[i][1:-1]
            total += 1
    model.train(was_training)
    return hits / max(1, total)


def compute_loss(trained: torch.nn.Module, full: Batch, info: DistInfo) -> tuple[torch.Tensor, ModelOutput]:
    """This rank's loss on its rows of the global batch ``full``, normalised so DDP yields the full gradient."""
    local = full.rows(slice(info.rank, None, info.world)) if info.world > 1 else full
    with _autocast(info.device):
        out = trained(local.to(info.device))
    # Divide by the *global* token and pair counts; the factor world undoes DDP's averaging over ranks.
    loss = (out.nll_sum / full.n_tokens + out.aux_sum / full.n_rows) * info.world
    return loss, out


def _n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _autocast(device: torch.device) -> torch.autocast:
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def _rng_state(info: DistInfo) -> list[dict[str, Any]]:
    """Every rank's RNG state (dropout, code restarts), gathered on all ranks."""
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if info.device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(info.device)
    if info.world == 1:
        return [state]
    states: list[Any] = [None] * info.world
    dist.all_gather_object(states, state)
    return states


def _set_rng_state(states: list[dict[str, Any]], info: DistInfo) -> None:
    if len(states) != info.world:
        raise ValueError(f"checkpoint was written by {len(states)} process(es), this run has {info.world}")
    state = states[info.rank]
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and info.device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"].cpu(), info.device)


class _Logger:
    """Rank 0 writes one JSON record per step to log.jsonl and prints every log_interval steps."""

    def __init__(self, path: Path, info: DistInfo, echo: Callable[[str], None], resume_step: int) -> None:
        self.path, self.info, self.echo = path, info, echo
        if info.is_main:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Records written after the checkpoint we resume from are replayed by this run: drop them.
            kept = []
            if resume_step and path.exists():
                kept = [ln for ln in path.read_text().splitlines() if json.loads(ln)["step"] <= resume_step]
            path.write_text("".join(ln + "\n" for ln in kept))

    def record(self, rec: dict[str, Any]) -> None:
        if self.info.is_main:
            with self.path.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")

    def say(self, line: str) -> None:
        if self.info.is_main:
            self.echo(line)


def train(
    run: RunConfig,
    data: TrainData,
    out_dir: Path,
    *,
    resume: bool = True,
    device: str = "auto",
    echo: Callable[[str], None] = print,
    init: Path | None = None,
) -> TrainResult:
    """Train ``run`` on ``data``, writing checkpoints and log.jsonl to ``out_dir``.

    If ``out_dir`` holds a checkpoint and ``resume`` is set, continue from it (its config wins, except
    max_steps, which may extend or shorten the run without changing the learning-rate schedule). Otherwise
    ``init`` (a checkpoint of the same architecture, e.g. pretrained by denoising) gives the starting weights; the
    optimizer, schedule and data order start fresh.
    """
    info = setup_distributed(device)
    ckpt_path = out_dir / CKPT_NAME
    ckpt = read_checkpoint(ckpt_path) if resume and ckpt_path.exists() else None
    if ckpt is not None:
        saved = RunConfig.from_dict(ckpt["run_config"])
        if (saved.model_name, saved.config_name, saved.model.output, saved.model.copy) != (
            run.model_name, run.config_name, run.model.output, run.model.copy
        ):
            raise ValueError(
                f"{ckpt_path} holds a {_describe(saved)} run, not {_describe(run)}: pass --fresh or another --out"
            )
        saved.train.max_steps = run.train.max_steps
        run = saved
    cfg, mcfg = run.train, run.model
    if info.world > 1 and (cfg.batch_size % info.world or len(data.train) < cfg.batch_size):
        raise ValueError(
            f"DDP needs batch_size ({cfg.batch_size}) divisible by the {info.world} processes and "
            f"at least one full batch of training pairs ({len(data.train)})"
        )

    torch.manual_seed(cfg.seed)  # identical initial weights on every rank
    model = build_model(mcfg).to(info.device)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=cfg.learning_rate, betas=(cfg.beta1, cfg.beta2), weight_decay=cfg.weight_decay
    )
    sampler = BucketSampler(data.train, cfg.batch_size, cfg.seed, cfg.bucket_chunk)
    cursor = DataCursor()
    step, best_val = 0, math.inf
    data_fp = fingerprint(data.train)
    torch.manual_seed(cfg.seed + 1 + info.rank)  # dropout differs between ranks, like different data would
    if ckpt is None and init is not None:
        start = read_checkpoint(init)
        start_model = RunConfig.from_dict(start["run_config"]).model
        # A model with a copy head may start from the same network without one: the head starts fresh.
        adds_copy = mcfg.copy and not start_model.copy
        if replace(start_model, copy=mcfg.copy) != mcfg if adds_copy else start_model != mcfg:
            raise ValueError(f"{init} is a different architecture ({start_model.kind}, d_model {start_model.d_model}, "
                             f"layers {start_model.n_enc_layers}+{start_model.n_dec_layers}): cannot start from it")
        missing, unexpected = model.load_state_dict(start["model"], strict=not adds_copy)
        if unexpected or any(".copy_" not in k for k in missing):
            raise ValueError(f"{init}: its weights do not fit this model ({len(missing)} missing, "
                             f"{len(unexpected)} unexpected)")
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        step, best_val = ckpt["step"], ckpt["best_val"]
        cursor = DataCursor(**ckpt["cursor"])
        if ckpt.get("data_fingerprint") not in (None, data_fp):
            raise ValueError(f"the training pairs differ from those {ckpt_path} was trained on: pass --fresh")
        _set_rng_state(ckpt["rng"], info)
    # No buffer sync per forward: the only changing buffers (the codebook) are synced by the quantiser.
    trained = DistributedDataParallel(model, forward_sync_buffers=False) if info.world > 1 else model
    log = _Logger(out_dir / LOG_NAME, info, echo, step if ckpt is not None else 0)
    if ckpt is None:
        log.say(
            f"{run.model_name} ({run.config_name}): {_n_params(model):,} parameters, "
            f"{len(data.train)} training pairs ({data.train.dropped} longer than {cfg.max_len} dropped), "
            f"{len(data.valid)} validation pairs, padding waste {sampler.padding_waste():.1%}, "
            f"{info.world} process(es) on {info.device}" + (f", starting from {init}" if init else "")
        )
    else:
        log.say(f"resumed from {ckpt_path} at step {step}")

    def checkpoint(path: Path, resumable: bool = True) -> None:
        """The latest state (resumable: every rank must call this) or the best model so far (rank 0 only)."""
        payload: dict[str, Any] = {
            "run_config": run.to_dict(),
            "model": model.state_dict(),
            "step": step,
            "best_val": best_val,
            "tokenizer_json": data.tokenizer_json,
            "source": data.source,
        }
        if resumable:
            rng = _rng_state(info)  # collective
            payload.update(
                optimizer=optimizer.state_dict(),
                cursor=asdict(cursor),
                rng=rng,
                data_fingerprint=data_fp,
            )
        if info.is_main:
            save_checkpoint(path, payload)

    def evaluate() -> dict[str, float]:
        nonlocal best_val
        result: dict[str, float] = {}
        if info.is_main and len(data.valid):
            result = estimate_loss(model, run, data.valid, info.device)
            result["exact_match"] = exact_match_rate(model, run, data.valid, info.device, "posterior")
            if isinstance(model, EditModel):
                result["exact_match_prior"] = exact_match_rate(model, run, data.valid, info.device, "prior")
            log.record({"step": step, **result})
            log.say(f"step {step} | " + " | ".join(f"{k} {v:.4f}" for k, v in result.items()))
        return result

    result = TrainResult(step=step)
    end = cfg.max_steps
    model.train()
    t_last, tokens_since = time.perf_counter(), 0
    while step < end:
        lr = get_lr(step, cfg)
        for group in optimizer.param_groups:
            group["lr"] = lr
        full = collate(data.train, cursor.next(sampler), mcfg.pad_id, mcfg.kind == "vqvae")
        if isinstance(model, EditModel) and model.quantizer is not None:
            model.quantizer.allow_restarts = step < cfg.code_restart_until * cfg.lr_decay_steps
        loss, out = compute_loss(trained, full, info)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        step += 1

        parts = torch.stack([out.nll_sum.detach().float(), out.aux_sum.detach().float()])
        if info.world > 1:
            dist.all_reduce(parts)
        nll, aux = float(parts[0]) / full.n_tokens, float(parts[1]) / full.n_rows
        result.losses[step] = nll + aux
        tokens_since += int((full.src != mcfg.pad_id).sum()) + int((full.tgt != mcfg.pad_id).sum())
        rec = {"step": step, "loss": nll + aux, "nll": nll, "aux": aux, "lr": lr, **out.stats}
        if step % cfg.log_interval == 0 or step == end:
            now = time.perf_counter()
            rec["tokens_per_s"] = tokens_since / (now - t_last)
            t_last, tokens_since = now, 0
            codes = (
                f" | codes {out.stats['live_codes']:.0f}/{mcfg.codebook_size} live, perplexity "
                f"{out.stats['perplexity']:.1f}, commitment {out.stats['commitment']:.3f}, "
                f"prior acc {out.stats['prior_acc']:.2f}"
                if "live_codes" in out.stats
                else f" | kl {out.stats['kl']:.3f}"
                if "kl" in out.stats
                else ""
            )
            log.say(
                f"step {step} | loss {nll + aux:.4f} (nll {nll:.4f}) | lr {lr:.2e} | "
                f"{rec['tokens_per_s']:,.0f} tok/s{codes}"
            )
        log.record(rec)
        if step % cfg.eval_interval == 0 or step == cfg.max_steps:
            result.last_eval = evaluate() or result.last_eval
            val = result.last_eval.get("val_loss", math.inf)
            if val < best_val:
                best_val = val
                checkpoint(out_dir / BEST_NAME, resumable=False)
        if step % cfg.ckpt_interval == 0 or step == end:
            checkpoint(ckpt_path)
            log.say(f"saved step {step} to {ckpt_path}")
        if info.world > 1:
            dist.barrier()  # rank 0 may have spent time evaluating
    result.step = step
    return result
