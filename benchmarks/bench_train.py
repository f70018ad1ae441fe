"""Training throughput per config on this machine: tokens/s, seconds/step, steps and epochs in 2 hours.

Batches have real lengths: pairs of canonical solutions of the same problem from work/canonical.jsonl
(`speedhints data canonical`), tokenised by training/corpus/tokenizer.json or, if that is missing, a BPE
tokenizer trained here on a sample. On CUDA it also prints the achieved share of the GPU's bf16 peak
(6 * parameters * tokens FLOPs per step, a lower bound that ignores attention).

    python benchmarks/bench_train.py [--configs tiny cpu paper] [--models transformer edit-vqvae] [--steps 20]
    python benchmarks/bench_train.py --explore      # cpu-config candidates: depth x length
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path

import torch

from speedhints.model_export.tokenizer import CodeTokenizer
from speedhints.training.configs import RunConfig, make_run_config
from speedhints.training.dataset import BucketSampler, Examples, collate
from speedhints.training.models import build_model
from speedhints.training.train import DistInfo, compute_loss

ROOT = Path(__file__).resolve().parents[1]
CANONICAL = ROOT / "work" / "canonical.jsonl"
TOKENIZER = ROOT / "training" / "corpus" / "tokenizer.json"
PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L4": 121.0}  # dense bf16


def load_codes(limit: int = 20_000) -> dict[str, list[str]]:
    if not CANONICAL.exists():
        raise SystemExit(f"{CANONICAL} is missing: run `speedhints data convert` and `speedhints data canonical`")
    by_problem: dict[str, list[str]] = defaultdict(list)
    with CANONICAL.open() as fh:
        for i, line in enumerate(fh):
            if i >= limit:
                break
            d = json.loads(line)
            by_problem[d["problem"]].append(d["code"])
    return by_problem


def tokenizer_for(by_problem: dict[str, list[str]]) -> tuple[CodeTokenizer, str]:
    if TOKENIZER.exists():
        return CodeTokenizer.load(TOKENIZER), str(TOKENIZER)
    codes = [c for cs in by_problem.values() for c in cs]
    random.Random(0).shuffle(codes)
    return CodeTokenizer.train(codes[:8000], vocab_size=4096), "BPE trained here on 8,000 solutions"


def pseudo_pairs(by_problem: dict[str, list[str]], tok: CodeTokenizer, n: int) -> tuple[list[int], list[int]]:
    """Token lengths of n (x, y) pairs of solutions of the same problem (real lengths, real vocabulary)."""
    rng = random.Random(0)
    problems = [p for p, cs in by_problem.items() if len(cs) >= 2]
    cache: dict[str, list[int]] = {}
    xs, ys = [], []
    for _ in range(n):
        x, y = rng.sample(by_problem[rng.choice(problems)], 2)
        xs.append(cache.setdefault(x, tok.encode(x)))
        ys.append(cache.setdefault(y, tok.encode(y)))
    return xs, ys  # type: ignore[return-value]


def examples(xs: list[list[int]], ys: list[list[int]], run: RunConfig) -> Examples:
    m, src, tgt = run.model, [], []
    for x, y in zip(xs, ys, strict=True):
        if len(x) + 1 <= run.train.max_len and len(y) + 2 <= run.train.max_len:
            src.append([*x, m.eos_id])
            tgt.append([m.bos_id, *y, m.eos_id])
    return Examples(src, tgt, len(xs) - len(src), [("p", str(i)) for i in range(len(src))])


def bench(run: RunConfig, ex: Examples, steps: int, device: torch.device) -> dict[str, float]:
    torch.manual_seed(0)
    model = build_model(run.model).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    sampler = BucketSampler(ex, run.train.batch_size, 0, run.train.bucket_chunk)
    batches = sampler.epoch(0)
    info = DistInfo(0, 1, device)
    warmup = 3
    tokens, t0 = 0, 0.0
    for i in range(warmup + steps):
        if i == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0, tokens = time.perf_counter(), 0
        batch = collate(ex, batches[i % len(batches)], run.model.pad_id, run.model.kind == "vqvae")
        loss, _ = compute_loss(model, batch, info)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        tokens += int((batch.src != run.model.pad_id).sum() + (batch.tgt != run.model.pad_id).sum())
    if device.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    return {
        "params": params,
        "tokens_per_s": tokens / dt,
        "s_per_step": dt / steps,
        "padding_waste": sampler.padding_waste(),
        "flops_per_s": 6 * params * tokens / dt,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", nargs="+", default=["tiny", "cpu", "paper"])
    ap.add_argument("--models", nargs="+", default=["transformer", "edit-vqvae"])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--pairs", type=int, default=3000, help="pseudo-pairs to sample lengths from")
    ap.add_argument("--train-pairs", type=int, default=20_000, help="corpus size for the epochs-in-2-h column")
    ap.add_argument("--explore", action="store_true", help="cpu-config candidates instead of the presets")
    ap.add_argument("--layers", nargs="+", type=int, default=[2, 3, 4, 6], help="--explore: depths to try")
    ap.add_argument("--lengths", nargs="+", type=int, default=[256, 320, 512], help="--explore: max_len to try")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    by_problem = load_codes()
    tok, tok_src = tokenizer_for(by_problem)
    xs, ys = pseudo_pairs(by_problem, tok, args.pairs)
    lens = sorted(len(x) for x in xs)
    load = os.getloadavg()[0]
    print(
        f"device {device} | torch {torch.__version__} | threads {torch.get_num_threads()} | "
        f"load average {load:.1f} on {os.cpu_count()} cores | tokenizer: {tok_src}"
    )
    print(
        f"solution tokens: mean {statistics.mean(lens):.0f}, p50 {lens[len(lens) // 2]}, "
        f"p90 {lens[int(len(lens) * 0.9)]}, p95 {lens[int(len(lens) * 0.95)]}, max {lens[-1]}"
    )

    runs: list[tuple[str, RunConfig]] = []
    overrides = {"vocab_size": tok.vocab_size, "pad_id": tok.pad_id, "bos_id": tok.bos_id, "eos_id": tok.eos_id}
    if args.explore:
        for layers in args.layers:
            for max_len in args.lengths:
                for model in args.models:
                    run = make_run_config(
                        model,
                        "cpu",
                        **overrides,
                        n_enc_layers=layers,
                        n_dec_layers=layers,
                        n_latent_layers=layers,
                        max_len=max_len,
                    )
                    run.train.max_len = max_len
                    runs.append((f"cpu L{layers} len{max_len}", run))
    else:
        runs = [(c, make_run_config(m, c, **overrides)) for c in args.configs for m in args.models]
        for _, run in runs:
            if run.config_name == "tiny":  # tiny's 64-token limit would drop almost every real pair
                run.model.max_len = run.train.max_len = 512

    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else ""
    peak = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in gpu), None)
    print(
        f"{'setting':<20} {'model':<11} {'params':>9} {'kept':>6} {'pad':>5} {'tok/s':>8} {'s/step':>7} "
        f"{'steps/2h':>9} {'epochs/2h':>9}" + ("  % bf16 peak" if peak else "")
    )
    for name, run in runs:
        ex = examples(xs, ys, run)
        r = bench(run, ex, args.steps, device)
        steps_2h = 7200 / r["s_per_step"]
        epochs = steps_2h * run.train.batch_size * (len(ex) / len(xs)) / args.train_pairs
        line = (
            f"{name:<20} {run.model_name:<11} {r['params']:>9,} {len(ex) / len(xs):>6.1%} "
            f"{r['padding_waste']:>5.1%} {r['tokens_per_s']:>8,.0f} {r['s_per_step']:>7.3f} "
            f"{steps_2h:>9,.0f} {epochs:>9.1f}"
        )
        if peak:
            line += f"  {100 * r['flops_per_s'] / (peak * 1e12):.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
