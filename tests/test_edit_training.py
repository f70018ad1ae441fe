"""Models on edit scripts (issue 14.2): the data switch, and tiny models trained on real pairs with each output."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from speedhints.model_export.editscript import ScriptCodec, apply, diff
from speedhints.model_export.tokenizer import CodeTokenizer
from speedhints.training.configs import RunConfig, make_run_config
from speedhints.training.dataset import PairRecord, collate, tokenize_pairs
from speedhints.training.models import EditModel, TransformerModel, greedy_decode
from speedhints.training.train import TrainData, edit_codec, train

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "training" / "corpus" / "tokenizer.json"
DATA = ROOT.parent / "shared" / "data" / "codeforces_python.jsonl.gz"

X = "v0 = int(input())\nv1 = []\nfor v2 in range(v0):\n    v1 = v1 + [v2]\nprint(v1)\n"
Y = "v0 = int(input())\nv1 = []\nfor v2 in range(v0):\n    v1.append(v2)\nprint(v1)\n"


def record(x: str, y: str, i: int = 0) -> PairRecord:
    return PairRecord("p", f"s{i}", f"f{i}", x, y, 2.0)


def tiny_run(model: str, output: str, tok: CodeTokenizer, steps: int) -> RunConfig:
    vocab = ScriptCodec(tok).vocab_size if output == "edit" else tok.vocab_size
    run = make_run_config(model, "tiny", output=output, vocab_size=vocab, pad_id=tok.pad_id, bos_id=tok.bos_id,
                          eos_id=tok.eos_id, max_len=128)
    t = run.train
    t.max_steps = t.lr_decay_steps = t.eval_interval = t.ckpt_interval = steps
    t.max_len, t.batch_size, t.learning_rate, t.warmup_steps = 128, 4, 1e-2, 10
    return run


def test_edit_examples_are_marked_inputs_and_scripts() -> None:
    tok = CodeTokenizer.load(TOKENIZER)
    codec = ScriptCodec(tok)
    ex = tokenize_pairs([record(X, Y), record(X, X, 1)], codec.tokenizer, tok.bos_id, tok.eos_id, 128, codec)
    assert ex.src[0] == [*codec.encode_source(X), tok.eos_id]
    assert ex.tgt[0] == [tok.bos_id, *codec.encode_script(X, diff(X, Y)), tok.eos_id]
    assert ex.tgt[1] == [tok.bos_id, tok.eos_id]  # no change: the shortest target there is
    program = tokenize_pairs([record(X, Y)], tok, tok.bos_id, tok.eos_id, 128)
    assert len(ex.tgt[0]) < len(program.tgt[0]) / 2  # one changed line of five
    # an input with more lines than the line tokens reach is dropped and counted, never cut
    long_x = "".join(f"v{i % 90} = {i}\n" for i in range(codec.max_lines + 5))
    ex = tokenize_pairs([record(long_x, long_x + "print(1)\n")], codec.tokenizer, tok.bos_id, tok.eos_id, 10_000,
                        codec)
    assert (len(ex), ex.dropped) == (0, 1)


def test_edit_run_refuses_a_vocabulary_without_line_tokens() -> None:
    tok = CodeTokenizer.load(TOKENIZER)
    run = make_run_config("edit-vqvae", "tiny", output="edit", vocab_size=tok.vocab_size)
    with pytest.raises(ValueError, match=r"edit output needs vocab_size >= 2177 .* the config has 2048"):
        edit_codec(tok, run)
    assert edit_codec(tok, make_run_config("edit-vqvae", "tiny", vocab_size=tok.vocab_size)) is None


def real_handful(tmp: Path, n: int = 4) -> list[PairRecord]:
    """n real pairs with short inputs and short scripts (the first such pairs of pairs.tsv)."""
    from speedhints.training.data.pair_code import canonical_codes, pair_keys

    keys = pair_keys()[:80]
    codes = canonical_codes({k for pair in keys for k in pair}, DATA, tmp)
    tok = CodeTokenizer.load(TOKENIZER)
    out: list[PairRecord] = []
    for (problem, slow), (_, fast) in keys:
        x, y = codes.get((problem, slow)), codes.get((problem, fast))
        if x is None or y is None or x in {r.slow for r in out}:
            continue
        if len(tok.encode(x)) <= 60 and len(ScriptCodec(tok).encode_script(x, diff(x, y))) <= 40:
            out.append(PairRecord(problem, slow, fast, x, y, 1.5))
        if len(out) == n:
            break
    assert len(out) == n
    return out


@pytest.mark.usefixtures("corpus_path")  # the full corpus: skipped without it, a failure in CI
@pytest.mark.parametrize("output", ["program", "edit"])
@pytest.mark.parametrize("model_name", ["edit-vqvae", "transformer"])
def test_tiny_models_learn_real_pairs_with_each_output(tmp_path: Path, model_name: str, output: str) -> None:
    records = real_handful(tmp_path)
    tok = CodeTokenizer.load(TOKENIZER)
    run = tiny_run(model_name, output, tok, steps=250)
    codec = edit_codec(tok, run)
    enc = codec.tokenizer if codec else tok
    ex = tokenize_pairs(records, enc, tok.bos_id, tok.eos_id, 128, codec)
    assert len(ex) == len(records)
    result = train(run, TrainData(ex, ex, enc.to_json()), tmp_path / "run", device="cpu", echo=lambda _: None)
    assert result.losses[250] < result.losses[1] / 5
    # decode every input (with the encoder's latent from its pair, as exact_match does) and rebuild y from it
    from speedhints.training.models.checkpoint import load_model

    model, _ = load_model(tmp_path / "run" / "ckpt.pt")
    assert isinstance(model, EditModel if model_name == "edit-vqvae" else TransformerModel)
    batch = collate(ex, list(range(len(ex))), tok.pad_id, with_pair=False)
    outs = greedy_decode(model.seq2seq, batch.src, batch.src_mask, model.latent(batch), tok.bos_id, tok.eos_id, 128)
    rebuilt = []
    for r, ids in zip(records, outs, strict=True):
        if codec is not None:
            rebuilt.append(apply(r.slow, codec.decode_script(r.slow, ids)))  # a malformed script raises here
        else:
            rebuilt.append(tok.decode(ids))
    assert rebuilt == [r.fast for r in records]


def test_the_scorer_maps_an_edit_models_scripts_back(tmp_path: Path) -> None:
    # Issue 14 item 4: a script is mapped back to the whole program before it is scored or run.
    from speedhints.training.evaluation.generate import ModelSampler
    from speedhints.training.evaluation.inputs import EvalInput
    from speedhints.training.models import build_model
    from speedhints.training.models.checkpoint import save_checkpoint

    tok = CodeTokenizer.load(TOKENIZER)
    run = tiny_run("edit-vqvae", "edit", tok, steps=1)
    ckpt = tmp_path / "edit.pt"
    save_checkpoint(ckpt, {"run_config": run.to_dict(), "model": build_model(run.model).state_dict(),
                           "tokenizer_json": ScriptCodec(tok).tokenizer.to_json()})
    sampler = ModelSampler("m", ckpt, 4, 0.7, 0)
    codec = ScriptCodec(tok)
    assert sampler.source_ids(X) == [*codec.encode_source(X), tok.eos_id]  # x with its line tokens
    assert sampler.program(X, codec.encode_script(X, diff(X, Y))) == Y  # a script becomes the whole program
    assert sampler.program(X, []) == X  # the empty script: no change
    assert sampler.program(X, [codec.line_id(9), codec.line_id(2)]) == ""  # out of order: nothing to score
    assert sampler.malformed == 1
    long_x = "".join(f"v{i % 90} = {i}\n" for i in range(codec.max_lines + 5))
    assert sampler.fits(EvalInput("p", "1", X, 1.0, ())) and not sampler.fits(EvalInput("p", "2", long_x, 1.0, ()))
    cands = sampler.candidates(EvalInput("p", "1", X, 1.0, ()))
    assert len(cands.samples) == run.model.codebook_size  # one per code
    line_chars = {chr(0xE100 + i) for i in range(codec.max_lines + 1)}  # a program never holds a line token
    assert not any(line_chars & set(c) for c in cands.samples)


def test_cli_trains_an_edit_model_and_keeps_outputs_apart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from speedhints.cli import main
    from speedhints.training.models.checkpoint import read_checkpoint

    split = tmp_path / "pairs" / "by_problem"
    split.mkdir(parents=True)
    rows = [{"problem": "A", "slow_id": str(i), "fast_id": "9", "slow": X.replace("[]", f"[{i}]"), "fast": Y,
             "speedup": 2.0} for i in range(3)]
    for name in ("train", "valid"):
        (split / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "run"
    argv = ["train", "edit-vqvae", "--config", "tiny", "--pairs", str(split), "--out", str(out), "--max-steps", "2"]
    assert main([*argv, "--output", "edit"]) == 0
    assert "3 training pairs" in capsys.readouterr().out
    ckpt = read_checkpoint(out / "ckpt.pt")
    run = RunConfig.from_dict(ckpt["run_config"])
    stored = CodeTokenizer.from_json(ckpt["tokenizer_json"])
    assert run.model.output == "edit" and run.model.vocab_size == stored.vocab_size == ScriptCodec(stored).vocab_size
    # resuming the edit run as a program run is refused: the targets would change under it
    assert main(argv) == 2
    assert "holds a edit-vqvae (tiny, edit output) run, not edit-vqvae (tiny)" in capsys.readouterr().err
