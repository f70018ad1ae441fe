"""Training: overfitting tiny pair sets, the latent codes and prior, resume after a real kill, DDP, data, CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from synthetic_pairs import BOS, EOS, PAD, VOCAB, edits, make_examples

from speedhints.cli import main
from speedhints.training.configs import RunConfig, make_run_config
from speedhints.training.dataset import (
    BucketSampler,
    DataCursor,
    DataError,
    Examples,
    PairRecord,
    max_speedup_only,
    read_pairs,
    resolve_pairs_dir,
)
from speedhints.training.models import Batch, EditModel, decode_per_code
from speedhints.training.models.checkpoint import load_model
from speedhints.training.train import CKPT_NAME, LOG_NAME, TrainData, get_lr, train

torch.set_num_threads(1)
TESTS = Path(__file__).parent
CHILD_ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(TESTS)}


def tiny_run(model: str, steps: int, **model_over: object) -> RunConfig:
    run = make_run_config(model, "tiny", vocab_size=VOCAB, **model_over)
    run.train.max_steps = run.train.lr_decay_steps = run.train.eval_interval = steps
    return run


def quiet(_: str) -> None:
    pass


def decode(model: EditModel, src: list[int], codes: list[int]) -> list[list[int]]:
    assert model.quantizer is not None
    return decode_per_code(model.seq2seq, model.quantizer.embed, src, codes, PAD, BOS, EOS, max_len=16)


# --- overfitting -----------------------------------------------------------------------------------------------


def test_transformer_overfits_8_pairs_exactly(tmp_path: Path) -> None:
    ex = make_examples(8, kinds=(0,))  # each input has one target: its reverse
    result = train(tiny_run("transformer", 300), TrainData(ex, ex), tmp_path, device="cpu", echo=quiet)
    assert result.last_eval["exact_match"] == 1.0
    assert result.losses[300] < 0.05 < result.losses[1]


def test_edit_vqvae_overfits_with_several_codes_and_a_prior(tmp_path: Path) -> None:
    # 4 inputs x 2 different edits: the decoder can only reproduce both targets of an input through the latent.
    ex = make_examples(4, kinds=(0, 1))
    result = train(tiny_run("edit-vqvae", 300), TrainData(ex, ex), tmp_path, device="cpu", echo=quiet)
    assert result.last_eval["exact_match"] == 1.0
    model, _ = load_model(tmp_path / CKPT_NAME)
    assert isinstance(model, EditModel) and model.quantizer is not None
    batch = Batch(*_padded(ex))
    codes = model.posterior_codes(batch).tolist()
    assert len(set(codes)) > 1
    prior_top1 = model.prior_logits(batch.src, batch.src_mask).argmax(-1).tolist()
    for i in range(0, 8, 2):  # rows i and i+1 share the input x
        x = ex.src[i]
        assert codes[i] != codes[i + 1]
        outputs = decode(model, x, [codes[i], codes[i + 1]])
        assert outputs == [ex.tgt[i][1:-1], ex.tgt[i + 1][1:-1]]  # different codes, different (right) edits
        # the prior sees only x, so it can name one of x's codes, not both
        assert prior_top1[i] in (codes[i], codes[i + 1]) and prior_top1[i] == prior_top1[i + 1]


def test_prior_top1_matches_the_encoder_code_when_each_input_has_one_edit(tmp_path: Path) -> None:
    # inputs 0-3 are reversed, inputs 4-7 shifted: one pair per input, so top-1 must be exactly its code
    ex0, ex1 = make_examples(4, kinds=(0,), seed=1), make_examples(4, kinds=(1,), seed=2)
    ex = Examples(ex0.src + ex1.src, ex0.tgt + ex1.tgt, 0, ex0.slow_keys + ex1.slow_keys)
    train(tiny_run("edit-vqvae", 300), TrainData(ex, ex), tmp_path, device="cpu", echo=quiet)
    model, _ = load_model(tmp_path / CKPT_NAME)
    assert isinstance(model, EditModel)
    batch = Batch(*_padded(ex))
    codes = model.posterior_codes(batch)
    assert torch.equal(model.prior_logits(batch.src, batch.src_mask).argmax(-1), codes)


@pytest.mark.parametrize("model_name", ["vqvae", "edit-vae", "transformer-star"])
def test_ablations_train_and_reduce_their_loss(tmp_path: Path, model_name: str) -> None:
    ex = make_examples(4, kinds=(0, 1))
    result = train(tiny_run(model_name, 60), TrainData(ex, ex), tmp_path, device="cpu", echo=quiet)
    assert result.losses[60] < 0.5 * result.losses[1]
    assert {"val_loss", "exact_match"} <= set(result.last_eval)


def _padded(ex: Examples) -> tuple[torch.Tensor, torch.Tensor]:
    def pad(seqs: list[list[int]]) -> torch.Tensor:
        return torch.tensor([s + [PAD] * (max(map(len, seqs)) - len(s)) for s in seqs])

    return pad(ex.src), pad(ex.tgt)


# --- resume after a kill -------------------------------------------------------------------------------------

WORKER = """
import sys
from pathlib import Path
import torch
torch.set_num_threads(1)
from synthetic_pairs import VOCAB, make_examples
from speedhints.training.configs import make_run_config
from speedhints.training.train import TrainData, train

def run_config():
    run = make_run_config("edit-vqvae", "tiny", vocab_size=VOCAB, dropout=0.1)
    t = run.train
    t.max_steps = t.lr_decay_steps = 60
    t.ckpt_interval, t.eval_interval, t.log_interval = 5, 20, 1
    return run

if __name__ == "__main__":
    ex = make_examples(12, kinds=(0, 1), seed=3)  # 24 pairs: 3 batches an epoch, so epochs turn over
    train(run_config(), TrainData(ex, make_examples(4, kinds=(0, 1), seed=4)), Path(sys.argv[1]), device="cpu",
          echo=lambda line: print(line, flush=True))
"""


def _losses(out_dir: Path) -> dict[int, float]:
    recs = [json.loads(line) for line in (out_dir / LOG_NAME).read_text().splitlines()]
    return {r["step"]: r["loss"] for r in recs if "loss" in r}


def test_killed_run_resumes_and_continues_identically(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER))
    sys.path.insert(0, str(tmp_path))
    try:
        import worker  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(tmp_path))
    ex = make_examples(12, kinds=(0, 1), seed=3)
    train(
        worker.run_config(),
        TrainData(ex, make_examples(4, kinds=(0, 1), seed=4)),
        tmp_path / "straight",
        device="cpu",
        echo=quiet,
    )
    reference = _losses(tmp_path / "straight")
    assert sorted(reference) == list(range(1, 61))

    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(script), str(out)], stdout=subprocess.PIPE, text=True, env=CHILD_ENV)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("saved step 15"):
            proc.send_signal(signal.SIGKILL)  # a real kill, at whatever point the loop has reached
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    killed_at = max(_losses(out))
    assert 15 <= killed_at < 60

    resumed = subprocess.run(
        [sys.executable, str(script), str(out)], capture_output=True, text=True, env=CHILD_ENV, timeout=120
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stdout
    assert _losses(out) == reference  # every step, bit for bit


def test_resuming_on_different_pairs_is_refused(tmp_path: Path) -> None:
    ex = make_examples(4, kinds=(0, 1))
    train(tiny_run("transformer", 3), TrainData(ex, ex), tmp_path, device="cpu", echo=quiet)
    other = make_examples(4, kinds=(0, 1), seed=9)
    with pytest.raises(ValueError, match="training pairs differ"):
        train(tiny_run("transformer", 6), TrainData(other, other), tmp_path, device="cpu", echo=quiet)
    assert train(tiny_run("transformer", 6), TrainData(ex, ex), tmp_path, device="cpu", echo=quiet).step == 6


# --- DDP -------------------------------------------------------------------------------------------------------

DDP_WORKER = """
import sys
from pathlib import Path
import torch
torch.set_num_threads(1)
from synthetic_pairs import VOCAB, make_examples
from speedhints.training.configs import make_run_config
from speedhints.training.dataset import collate
from speedhints.training.models import build_model
from speedhints.training.train import TrainData, compute_loss, setup_distributed, train
from torch.nn.parallel import DistributedDataParallel

out = Path(sys.argv[1])
run = make_run_config("edit-vqvae", "tiny", vocab_size=VOCAB)
run.train.max_steps = run.train.lr_decay_steps = 6
ex = make_examples(8, kinds=(0, 1), seed=5)
info = setup_distributed("cpu")
torch.manual_seed(0)
model = build_model(run.model)
ddp = DistributedDataParallel(model, forward_sync_buffers=False)  # keep a reference: its hooks sync the grads
loss, _ = compute_loss(ddp, collate(ex, range(16), 0, False), info)
loss.backward()
if info.rank == 0:
    torch.save({n: p.grad for n, p in model.named_parameters()}, out / "grads.pt")
train(run, TrainData(ex, ex), out / "run", device="cpu", echo=print)
"""


def test_ddp_two_processes_match_one_process(tmp_path: Path) -> None:
    from speedhints.training.dataset import collate
    from speedhints.training.models import build_model
    from speedhints.training.train import DistInfo, compute_loss

    (tmp_path / "ddp_worker.py").write_text(textwrap.dedent(DDP_WORKER))
    torchrun = Path(sys.executable).with_name("torchrun")
    proc = subprocess.run(
        [str(torchrun), "--standalone", "--nproc_per_node", "2", str(tmp_path / "ddp_worker.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        env=CHILD_ENV,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 process(es) on cpu" in proc.stdout

    run = make_run_config("edit-vqvae", "tiny", vocab_size=VOCAB)
    run.train.max_steps = run.train.lr_decay_steps = 6
    ex = make_examples(8, kinds=(0, 1), seed=5)
    torch.manual_seed(0)
    model = build_model(run.model)
    loss, _ = compute_loss(model, collate(ex, range(16), 0, False), DistInfo(0, 1, torch.device("cpu")))
    loss.backward()
    ddp_grads = torch.load(tmp_path / "grads.pt")
    for name, p in model.named_parameters():
        assert torch.allclose(p.grad, ddp_grads[name], rtol=1e-4, atol=1e-6), name

    single = train(run, TrainData(ex, ex), tmp_path / "single", device="cpu", echo=quiet)
    ddp_losses = _losses(tmp_path / "run")
    assert sorted(ddp_losses) == list(range(1, 7))
    for step, value in single.losses.items():
        assert ddp_losses[step] == pytest.approx(value, rel=1e-4), step
    ddp_model, _ = load_model(tmp_path / "run" / CKPT_NAME)
    single_model, _ = load_model(tmp_path / "single" / CKPT_NAME)
    assert isinstance(ddp_model, EditModel) and isinstance(single_model, EditModel)
    assert ddp_model.quantizer is not None and single_model.quantizer is not None
    assert torch.allclose(ddp_model.quantizer.embed, single_model.quantizer.embed, atol=1e-4)


# --- schedule and data -------------------------------------------------------------------------------------------


def test_lr_warms_up_then_decays_to_min() -> None:
    cfg = make_run_config("transformer", "paper").train
    assert get_lr(0, cfg) == pytest.approx(cfg.learning_rate / cfg.warmup_steps)
    assert get_lr(cfg.warmup_steps, cfg) == pytest.approx(cfg.learning_rate)
    mid = get_lr((cfg.warmup_steps + cfg.lr_decay_steps) // 2, cfg)
    assert cfg.min_lr < mid < cfg.learning_rate
    assert get_lr(cfg.lr_decay_steps + 5, cfg) == cfg.min_lr


def record(problem: str, slow: str, fast: str, speedup: float) -> dict[str, object]:
    return {
        "problem": problem,
        "slow_id": slow,
        "fast_id": fast,
        "slow": f"v0 = {slow}\n",
        "fast": f"v0 = {fast}\n",
        "speedup": speedup,
    }


def test_pairs_files_and_max_speedup_filter(tmp_path: Path) -> None:
    split = tmp_path / "pairs" / "by_problem"
    split.mkdir(parents=True)
    rows = [
        record("A", "1", "2", 1.5),
        record("A", "1", "3", 4.0),
        record("A", "2", "3", 2.0),
        record("B", "1", "9", 1.3),
    ]
    (split / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert resolve_pairs_dir(tmp_path / "pairs") == split
    records = read_pairs(split / "train.jsonl")
    assert len(records) == 4 and records[1] == PairRecord("A", "1", "3", "v0 = 1\n", "v0 = 3\n", 4.0)
    best = max_speedup_only(records)
    assert [(r.problem, r.slow_id, r.fast_id) for r in best] == [("A", "1", "3"), ("A", "2", "3"), ("B", "1", "9")]

    (split / "valid.jsonl").write_text('{"problem": "A"}\n')
    with pytest.raises(DataError, match=r"valid.jsonl:1: not a pair record"):
        read_pairs(split / "valid.jsonl")
    with pytest.raises(DataError, match="no such pairs directory"):
        resolve_pairs_dir(tmp_path / "nope")


def test_bucketed_batches_are_full_deterministic_and_pad_less() -> None:
    ex = make_examples(200, kinds=(0,), min_len=2, max_len=40)
    bucketed = BucketSampler(ex, batch_size=8, seed=1, chunk=10)
    unsorted = BucketSampler(ex, batch_size=8, seed=1, chunk=1)
    batches = bucketed.epoch(0)
    assert len(batches) == 25 and all(len(b) == 8 for b in batches)
    assert sorted(i for b in batches for i in b) == list(range(200))
    assert batches == BucketSampler(ex, batch_size=8, seed=1, chunk=10).epoch(0)
    assert batches != bucketed.epoch(1)
    assert bucketed.padding_waste() < 0.5 * unsorted.padding_waste()

    cursor = DataCursor()
    seen = [cursor.next(bucketed) for _ in range(26)]
    assert seen[:25] == batches and seen[25] == bucketed.epoch(1)[0] and cursor == DataCursor(1, 1)


def test_synthetic_edits_differ() -> None:
    assert edits([3, 4, 5], 0) != edits([3, 4, 5], 1)


# --- CLI ---------------------------------------------------------------------------------------------------------


def test_cli_bad_input_gives_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "edit-vqvae", "--config", "tiny", "--pairs", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"error: {tmp_path / 'missing'}: no such pairs directory"]

    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "train.jsonl").write_text("")
    (tmp_path / "p" / "tokenizer.json").write_text("{not json")
    assert main(["train", "transformer", "--pairs", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {tmp_path / 'p' / 'tokenizer.json'}: cannot load tokenizer")

    assert main(["train", "gpt", "--pairs", str(tmp_path / "p")]) == 2


def test_train_cli_module_does_not_import_torch() -> None:
    code = "import sys, speedhints.training.train_cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def write_pairs(split: Path, rows: list[dict[str, object]]) -> None:
    split.mkdir(parents=True, exist_ok=True)
    for name in ("train", "valid"):
        (split / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_cli_trains_checkpoints_and_resumes_with_a_real_tokenizer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from speedhints.model_export.tokenizer import CodeTokenizer

    slow = ["v0 = 0\nfor v1 in range(10):\n    v0 += v1\nprint(v0)\n", "v0 = []\nfor v1 in v2:\n    v0.append(v1)\n"]
    fast = ["print(sum(range(10)))\n", "v0 = list(v2)\n", "v0 = [*v2]\n"]
    rows = [
        {"problem": "A", "slow_id": "1", "fast_id": "2", "slow": slow[0], "fast": fast[0], "speedup": 3.0},
        {"problem": "B", "slow_id": "1", "fast_id": "2", "slow": slow[1], "fast": fast[1], "speedup": 1.5},
        {"problem": "B", "slow_id": "1", "fast_id": "3", "slow": slow[1], "fast": fast[2], "speedup": 2.5},
    ]
    write_pairs(tmp_path / "pairs" / "by_problem", rows)
    tok = CodeTokenizer.train(slow + fast, vocab_size=400, min_frequency=1)
    tok.save(tmp_path / "pairs" / "tokenizer.json")  # found next to the split, no --tokenizer needed
    out = tmp_path / "run"
    argv = ["train", "transformer-star", "--config", "tiny", "--pairs", str(tmp_path / "pairs"), "--out", str(out)]

    assert main([*argv, "--max-steps", "4"]) == 0
    printed = capsys.readouterr().out
    assert "transformer-star (tiny)" in printed and "2 training pairs" in printed  # B's 1.5x pair filtered out
    assert "step 4 | loss" in printed and "exact_match" in printed and "saved step 4" in printed
    model, run = load_model(out / CKPT_NAME)
    assert run.model_name == "transformer-star" and run.model.vocab_size == tok.vocab_size
    ckpt = torch.load(out / CKPT_NAME, weights_only=False)
    assert CodeTokenizer.from_json(ckpt["tokenizer_json"]).encode(slow[0]) == tok.encode(slow[0])

    assert main([*argv, "--max-steps", "6"]) == 0
    printed = capsys.readouterr().out
    assert f"resumed from {out / CKPT_NAME} at step 4" in printed and "step 6 | loss" in printed
    assert sorted(_losses(out)) == [1, 2, 3, 4, 5, 6]

    assert (
        main(["train", "transformer", "--config", "tiny", "--pairs", str(tmp_path / "pairs"), "--out", str(out)]) == 2
    )
    assert "holds a transformer-star (tiny) run, not transformer (tiny)" in capsys.readouterr().err
