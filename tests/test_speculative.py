"""Copy-draft speculative decoding returns exactly what plain KV-cached greedy returns (issue #6, item 3).

Run for real on the exported tiny model: rows of one batch accept different numbers of drafted tokens
(copies of the input accept nearly everything, real edits and garbage far less), finish at different steps,
and the ragged caches get compacted; none of that may change a single output token.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from export_fixtures import canonical_pairs, tiny_bundle

from speedhints.model_export import bundle as fmt
from speedhints.model_export.bundle import load_bundle
from speedhints.model_export.onnx_decoding import DecodeStats, Seq2SeqRunner, _Source, make_session
from speedhints.model_export.tokenizer import CodeTokenizer


@pytest.fixture(scope="module")
def runner_and_batch() -> tuple[Seq2SeqRunner, list[list[int]], np.ndarray]:
    bundle = load_bundle(tiny_bundle())
    runner = Seq2SeqRunner(make_session(str(bundle.graph("encoder"))), make_session(str(bundle.graph("decoder"))),
                           bundle.spec)
    tok = CodeTokenizer.load(bundle.file(fmt.TOKENIZER))
    codebook = np.load(bundle.file(fmt.CODEBOOK))
    inputs = [[*tok.encode(x), tok.eos_id] for x, _ in canonical_pairs()[::2]]
    k = bundle.spec.codebook_size
    sources = [src for src in inputs for _ in range(k)]  # every input with every latent: 16 ragged rows
    z = codebook[[code for _ in inputs for code in range(k)]]
    return runner, sources, z


def test_speculative_equals_greedy_with_ragged_acceptance(runner_and_batch) -> None:  # type: ignore[no-untyped-def]
    runner, sources, z = runner_and_batch
    greedy = runner.greedy(sources, z)
    stats = DecodeStats()
    spec = runner.speculative(sources, z, draft_len=8, stats=stats)
    assert spec == greedy
    assert len(set(map(len, greedy))) > 3  # rows stop at different lengths
    per_row = [stats.row_accepted.get(i, 0) / max(1, len(out)) for i, out in enumerate(greedy)]
    assert max(per_row) >= 0.9 and max(per_row) - min(per_row) > 0.2  # copies accept all, edits less: ragged
    assert stats.calls < max(map(len, greedy))  # fewer decoder calls than the longest output has tokens


@pytest.mark.parametrize("draft_len", [1, 3, 16])
def test_every_draft_length_gives_greedy_output(runner_and_batch, draft_len: int) -> None:  # type: ignore[no-untyped-def]
    runner, sources, z = runner_and_batch
    assert runner.speculative(sources, z, draft_len=draft_len) == runner.greedy(sources, z)


def test_rejected_drafts_fall_back_to_greedy_steps_and_come_back(runner_and_batch) -> None:  # type: ignore[no-untyped-def]
    runner, sources, z = runner_and_batch
    greedy = runner.greedy(sources, z)
    # Drafts from token 3 repeated: never what the model writes, so drafting stops and plain steps take over.
    wrong = [[3] * len(s) for s in sources]
    stats = DecodeStats()
    assert runner.speculative(sources, z, draft_len=8, stats=stats, draft_from=wrong) == greedy
    widths = [t for _, t, _ in stats.per_call]
    assert widths[0] == 9 and widths[-1] == 1 and widths.count(1) > len(widths) // 2
    # With its own (copy-heavy) sources the same loop accepts drafts.
    stats = DecodeStats()
    assert runner.speculative(sources, z, draft_len=8, stats=stats) == greedy
    assert stats.accepted > 0


def test_length_limit_is_the_same(runner_and_batch) -> None:  # type: ignore[no-untyped-def]
    runner, sources, z = runner_and_batch
    greedy = runner.greedy(sources, z, max_new=7)
    assert greedy == runner.speculative(sources, z, draft_len=5, max_new=7)
    assert max(map(len, greedy)) == 7
    limits = [3 + i for i in range(len(sources))]  # one limit per row, as the runtime asks (input length based)
    per_row = runner.greedy(sources, z, max_new=limits)
    assert per_row == runner.speculative(sources, z, draft_len=8, max_new=limits)
    assert all(len(out) <= limit for out, limit in zip(per_row, limits, strict=True))
    assert any(len(out) == limit for out, limit in zip(per_row, limits, strict=True))


def test_long_drafts_trigger_cache_compaction_without_changing_output(runner_and_batch) -> None:  # type: ignore[no-untyped-def]
    runner, sources, z = runner_and_batch
    # Unhelpful drafts: a source that is not the row's own makes most drafts fail, so dead slots pile up.
    shuffled = sources[5:] + sources[:5]
    stats = DecodeStats()
    out = runner.speculative(shuffled, z, draft_len=24, stats=stats)
    assert stats.compactions > 0
    assert out == runner.greedy(shuffled, z)


def test_alignment_finds_the_continuation_nearest_the_guess() -> None:
    src = _Source(np.array([5, 6, 7, 5, 6, 9, 2]))
    assert src.align([], 0) == 0
    assert src.align([5, 6], 0) == 2  # first "5 6" when the output is near the start
    assert src.align([5, 6], 5) == 5  # the later "5 6" when the output has copied further
    assert src.align([1, 7, 5, 6], 0) == 5  # the longest suffix wins: "7 5 6" occurs only once
    assert src.align([8, 8], 3) == 3  # nothing matches: keep the guess


def test_bench_decode_json_reports_the_batch_64_case(capsys: pytest.CaptureFixture[str]) -> None:
    from speedhints.cli import main

    assert main(["bench", "decode", "--bundle", str(tiny_bundle()), "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["batch"] == 64 and result["identical"] is True
    assert result["ratio"] == pytest.approx(result["speculative_tokens_per_s"] / result["greedy_tokens_per_s"])
    assert {(c["functions"], c["batch"]) for c in result["cases"]} == {("short", 1), ("short", 8), ("short", 64)}
    assert "long: no function of 200-400 tokens fits max_len 64; skipped" in captured.err  # said, not hidden
    assert result["model"] == f"bundle {tiny_bundle()}"
