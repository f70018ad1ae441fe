"""What the evaluation counts as *shown* (issue 14 item 4, issue 15): the runtime's gate and top-k applied to judged
candidates, the shown / shown_precision / shown_coverage arithmetic, the test sets, the manifest and ``model info``,
and ``speedhints eval --bundle`` run in-process with the real runtime on a real sandbox."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from export_fixtures import tiny_bundle
from test_precision import PROGRAM, _problem

from speedhints.cli import main
from speedhints.model_export.atlas import Atlas, LatentPrecision
from speedhints.model_export.bundle import load_atlas, load_bundle, write_atlas
from speedhints.model_export.canonical import canonicalize
from speedhints.model_export.regions import touched_regions
from speedhints.model_export.runtime import OnnxSuggester, RuntimeConfig
from speedhints.training.data.runcache import RunCache
from speedhints.training.data.sandbox import Sandbox
from speedhints.training.evaluation import test_sets
from speedhints.training.evaluation.execution import Executor, Verdict
from speedhints.training.evaluation.generate import Candidates
from speedhints.training.evaluation.inputs import EvalInput
from speedhints.training.evaluation.run import execution_summary, shown_markdown, shown_row, with_shown
from speedhints.training.evaluation.shown import DEFAULT_TOP_K, Measured, displayed, judge_program, shown_figures

GOOD = LatentPrecision(40, 36, 34, 0.7, 2.0)
BAD = LatentPrecision(40, 2, 0, 0.0)


def _atlas(k: int, good: set[int]) -> Atlas:
    return Atlas().with_precision([GOOD if i in good else BAD for i in range(k)], {"programs": 9})


def test_the_eval_asks_as_many_latents_as_the_hook() -> None:
    from speedhints.hook.config import HookConfig

    assert HookConfig().top_k == DEFAULT_TOP_K


def test_the_gate_is_the_runtimes() -> None:
    atlas = _atlas(4, {1})
    assert atlas.shows(1, 0.5) and not atlas.shows(0, 0.5) and atlas.shows(0, 0.0)
    assert not Atlas().shows(3, 0.1) and Atlas().shows(3, 0.0)  # unmeasured: only a gate of 0 shows it
    # The runtime decodes exactly the latents the gate lets through (among its top-k).
    bundle = load_bundle(tiny_bundle())
    suggester = OnnxSuggester(bundle, RuntimeConfig(min_precision=0.5))
    k = bundle.spec.codebook_size
    suggester.atlas = _atlas(k, {0, 2})
    prepared = [(r, canonicalize(r.code), [*suggester.tokenizer.encode(canonicalize(r.code).code),
                                           suggester.spec.eos_id]) for r in touched_regions(PROGRAM, None)]  # fmt: skip
    decoded = {c.latent for c in suggester.candidates(prepared, k)}
    assert decoded and decoded <= {0, 2}
    assert [latent for latent in range(k) if suggester.gate(latent) is None] == [0, 2]


def _m(pid: str, latent: int, status: str = "pass", speedup: float | None = 2.0, rank: int = 0,
       program: str = "", region: str = "f", shown: bool = True) -> Measured:  # fmt: skip
    return Measured("p", pid, region, latent, shown, "" if shown else "no change", status if shown else "",
                    speedup if shown else None, rank, program or f"{pid}-{latent}")  # fmt: skip


ROWS = [
    _m("1", 0, rank=0),  # correct and 2x: shown when latent 0 clears the gate
    _m("1", 1, "wrong", None, rank=1),
    _m("1", 2, rank=5),  # correct, but the prior ranks it 6th: beyond the hook's top 4
    _m("2", 0, "pass", 1.1, rank=0),  # correct, not 1.2x faster
    _m("2", 3, "pass", 3.0, rank=2, program="2-0"),  # the same program as latent 0's: one hint
    _m("3", 1, shown=False),  # refused by the checks: never shown
]


def test_shown_figures_apply_gate_top_k_and_merge_like_the_runtime() -> None:
    programs = [("p", "1"), ("p", "2"), ("p", "3")]
    everything = shown_figures(ROWS, programs, _atlas(4, {0, 1, 2, 3}), 0.0)
    # p/1: latents 0, 1 (latent 2 is ranked beyond top-4); p/2: latents 0 and 3 give one program -> one hint
    assert (everything["shown"], everything["shown_correct"], everything["shown_correct_and_faster"]) == (3, 2, 1)
    assert everything["shown_precision"] == pytest.approx(1 / 3)
    assert everything["shown_coverage"] == pytest.approx(1 / 3) and everything["inputs_with_shown"] == 2
    [kept] = [r for r in displayed(ROWS, _atlas(4, {0, 1, 2, 3}), 0.0) if r.id == "2"]
    assert kept.latent == 0  # the likelier latent's hint, as the runtime keeps
    all_latents = shown_figures(ROWS, programs, _atlas(4, {0, 1, 2, 3}), 0.0, top_k=None)
    assert (all_latents["shown"], all_latents["shown_correct_and_faster"]) == (4, 2)
    gated = shown_figures(ROWS, programs, _atlas(4, {1}), 0.5)  # only latent 1 clears: its one hint is wrong
    assert (gated["shown"], gated["shown_precision"], gated["shown_coverage"]) == (1, 0.0, 0.0)
    silent = shown_figures(ROWS, programs, Atlas(), 0.5)  # nothing measured: the default gate shows nothing
    assert silent == {"min_precision": 0.5, "top_k": 4, "inputs": 3, "inputs_with_shown": 0, "shown": 0,
                      "shown_correct": 0, "shown_correct_and_faster": 0, "shown_precision": None,
                      "shown_coverage": 0.0}  # fmt: skip


def test_a_bundle_row_reports_every_threshold_and_the_manifest_gets_it() -> None:
    row = {"model": "m", "split": "by_problem", **shown_row(ROWS, [("p", "1"), ("p", "2"), ("p", "3")],
                                                          _atlas(4, {0}), 0.5, 4)}  # fmt: skip
    assert (row["shown"], row["shown_precision"], row["checked"], row["checked_correct"]) == (2, 0.5, 5, 4)
    assert [b["min_precision"] for b in row["by_min_precision"]] == [0.0, 0.1, 0.3, 0.5]
    assert row["by_min_precision"][0]["shown"] == 3 and row["median_speedup"] == 2.0
    md = shown_markdown([row, {"model": "m", "split": "synth_test", "inputs": 0, "note": test_sets.NO_SYNTH}])
    assert "| m | by_problem | 3 | 6 | 5 (4) | 0.5 | 4 | 2 | 0.500 | 0.333 | 3 / 0.333 / 0.333 |" in md
    assert "| m | synth_test | 0 | no synth_test pairs yet |" in md
    legacy = {"bundled_model": {"model": "edit-vqvae", "split": "by_problem"},
              "execution": {"inputs": 30, "best_of_8_correct_and_faster": 0.0, "speedup": {"median": None},
                            "shown": 547, "shown_pass": 0.0}}  # fmt: skip
    ev = with_shown(legacy, [row])
    flat = ev["execution"]
    assert flat["checked"] == 547 and flat["best_of_8_correct_and_faster"] == 0.0  # old meaning, renamed
    assert flat["by_problem"] == {"inputs": 30, "best_of_8_correct_and_faster": 0.0, "median_speedup": None,
                                  "shown": 2, "shown_precision": 0.5, "shown_coverage": pytest.approx(1 / 3),
                                  "min_precision": 0.5, "top_k": 4, "shown_inputs": 3,
                                  "checked_median_speedup": 2.0}  # fmt: skip
    later = with_shown(ev, [{**row, "split": "paper", "shown": 7}])  # another run, another test set
    assert [(r["split"], r["shown"]) for r in later["shown"]] == [("by_problem", 2), ("paper", 7)]
    assert later["execution"]["by_problem"] == flat["by_problem"] and later["execution"]["paper"]["shown"] == 7


def test_checkpoint_rows_are_gated_as_unmeasured_latents() -> None:
    x = EvalInput("p", "1", "a\n", 10.0, ())
    cands = [Candidates(("a\n", "b\n", "c\n"))]
    verdicts = {("p/1", "a\n"): Verdict("pass", 1.0), ("p/1", "b\n"): Verdict("pass", 2.0, shown=True),
                ("p/1", "c\n"): Verdict("wrong", None, shown=True)}  # fmt: skip
    gated = execution_summary([x], cands, verdicts, 0.5)
    assert (gated["checked"], gated["shown"], gated["shown_precision"], gated["shown_coverage"]) == (2, 0, None, 0.0)
    open_ = execution_summary([x], cands, verdicts, 0.0)
    assert (open_["shown"], open_["shown_precision"], open_["shown_coverage"]) == (2, 0.5, 1.0)


def test_test_sets_from_the_committed_tables(tmp_path: Path) -> None:
    (tmp_path / "splits.tsv").write_text("problem\tslow\tfast\tby_problem\tpaper\n1_A\t1\t2\ttest\ttrain\n"
                                         "1_A\t3\t2\ttest\ttrain\n2_B\t4\t5\ttrain\ttest\n")  # fmt: skip
    (tmp_path / "runtimes.tsv").write_text(
        "problem\tsolution\tcode_sha\tinput\tinput_sha\tcpu_ms\truns\tcensored\n"
        + "".join(f"{p}\t{s}\tx\tbig\ty\t{ms}\t3\t0\n" for p, s, ms in
                  (("1_A", "1", 100), ("1_A", "3", 100), ("1_A", "2", 50), ("2_B", "4", 100))))  # fmt: skip
    (tmp_path / "refs.tsv").write_text("problem\tscheme\tx\tref\tref_ms\trouge8\n"
                                       "1_A\tby_problem\t1\t2\t50.0\t0.5\n"
                                       "1_A\tby_problem\t3\t2\t50.0\t0.1\n"  # too far from x
                                       "2_B\tpaper\t4\t5\t95.0\t0.9\n")  # not 1.2x faster  # fmt: skip
    assert test_sets.split_test_inputs("by_problem", tmp_path) == [("1_A", "1")]
    assert test_sets.split_test_inputs("paper", tmp_path) == []
    keys = [(f"{i}_A", str(i)) for i in range(10)]
    assert test_sets.choose(keys, 3) == test_sets.choose(list(reversed(keys)), 3)
    assert len(test_sets.choose(keys, 3)) == 3 and test_sets.choose(keys, None) == keys


def test_synth_test_programs_are_remade_and_checked(tmp_path: Path) -> None:
    from speedhints.training.data.convert import Converted, code_sha256

    assert test_sets.synth_test_rows(tmp_path / "missing.tsv") == []
    table = tmp_path / "synth_pairs.tsv"
    header = ("problem\tsolution\tcode_sha\tfamilies\tvariant\tvariant_sha\tspeedup\tslow_ms\tfast_ms\t"
              "changed_lines\tsplit\n")
    original = "print(sum(range(10)))\n"
    slow = "t = 0\nfor i in range(10):\n    t += i\nprint(t)\n"
    sha = code_sha256(original)[:16]
    vsha = test_sets._sha(slow)[:16]
    table.write_text(header + f"9_Z\t1\t{sha}\tloop_sum\t1\t{vsha}\t2.0\t2\t1\t3\tsynth_test\n"
                     f"9_Z\t1\t{sha}\tloop_sum\t0\t{vsha}\t2.0\t2\t1\t3\ttrain\n"
                     f"9_Z\t2\t{sha}\tloop_sum\t0\tffff\t2.0\t2\t1\t3\tsynth_test\n")  # fmt: skip
    rows = test_sets.synth_test_rows(table)
    assert [r.key for r in rows] == [("9_Z", "1:loop_sum:1"), ("9_Z", "2:loop_sum:0")]  # test problems' pairs only
    sources = test_sets.synth_sources(rows, lambda code, fam, n: [code + "# other\n", slow][:n])
    converted = [Converted("9_Z", "1", original, sha, "ok", ""), Converted("9_Z", "2", original, sha, "ok", "")]
    assert sources(converted) == {("9_Z", "1:loop_sum:1"): slow}  # the variant whose sha256 differs is left out
    (tmp_path / "bad.tsv").write_text("problem\tsplit\n")
    with pytest.raises(test_sets.TestSetError, match="no column 'code_sha'"):
        test_sets.synth_test_rows(tmp_path / "bad.tsv")


# ---- the real path: tiny bundle, real onnxruntime, real sandbox ------------------------------------------------


def test_judge_program_logs_rank_and_program(tmp_path: Path) -> None:
    suggester = OnnxSuggester(load_bundle(tiny_bundle()), RuntimeConfig(min_precision=0.0))
    k = suggester.spec.codebook_size
    key = ("9_Z", "1")
    with RunCache(tmp_path / "runs.sqlite") as cache, Sandbox(workers=1) as sandbox:
        executor = Executor(cache, sandbox, {"9_Z": _problem(tmp_path)}, {key: PROGRAM}, {})
        rows = judge_program(suggester, executor, key, PROGRAM)
    regions = {r.region for r in rows}
    assert {r.rank for r in rows if r.region == "keep_known"} <= set(range(k)) and rows
    for region in regions:  # each latent once per region, ranks distinct
        ranks = [r.rank for r in rows if r.region == region]
        assert len(ranks) == len(set(ranks))
    shown = [r for r in rows if r.shown]
    assert shown and all(len(r.program) == 16 and r.status for r in shown)
    assert any(r.correct for r in shown)  # the tiny model's set-membership edit passes the tests


def _fake_prepare(tmp_path: Path) -> Any:
    problem = _problem(tmp_path / "p")

    def prepare_and_measure(settings: Any, bundle: Any, chosen: Any, log: Path, deadline: Any, echo: Any,
                            measure: Any, sources: Any = None, label: str = "") -> None:  # fmt: skip
        # The data are a hand-made problem instead of the corpus; the runtime, the sandbox and the log are real.
        assert chosen == [("9_Z", "1")]
        suggester = OnnxSuggester(bundle, RuntimeConfig(min_precision=0.0))
        with RunCache(tmp_path / "runs.sqlite") as cache, Sandbox(workers=1) as sandbox:
            executor = Executor(cache, sandbox, {"9_Z": problem}, {chosen[0]: PROGRAM}, {})
            measure(suggester, executor, chosen, {chosen[0]: PROGRAM}, log, deadline, echo, label=label)

    return prepare_and_measure


def test_eval_bundle_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from speedhints.training.evaluation import precision_cli

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle(), bundle)
    k = load_bundle(bundle).spec.codebook_size
    out = tmp_path / "out"
    assert main(["eval", "--bundle", f"tiny={bundle}", "--out", str(out)]) == 2
    assert "--bundle needs --execute N" in capsys.readouterr().err
    monkeypatch.setattr(test_sets, "split_test_inputs", lambda scheme: [("9_Z", "1")])
    monkeypatch.setattr(test_sets, "CORPUS", tmp_path / "no-corpus")  # no synth_pairs.tsv
    monkeypatch.setattr(precision_cli, "prepare_and_measure", _fake_prepare(tmp_path))
    args = ["eval", "--bundle", f"tiny={bundle}", "--test-set", "by_problem", "--test-set", "synth_test",
            "--execute", "5", "--out", str(out)]  # fmt: skip
    assert main([*args, "--min-precision", "0", "--top-k", "64"]) == 0
    captured = capsys.readouterr()
    assert "tiny: no synth_test pairs yet" in captured.err
    [open_, synth] = json.loads((out / "results.json").read_text())["shown"]
    assert synth == {"model": "tiny", "split": "synth_test", "inputs": 0, "note": "no synth_test pairs yet"}
    assert open_["inputs"] == 1 and open_["shown"] >= 1 and open_["shown_correct"] >= 1
    assert open_["candidates"] >= k and (out / "tiny-by_problem" / "candidates.jsonl.gz").is_file()
    assert "| tiny | by_problem | 1 |" in (out / "table.md").read_text()
    # Default gate, with precision records where no latent clears it: nothing shown (and the log is reused).
    write_atlas(bundle, load_atlas(load_bundle(bundle)).with_precision([BAD] * k, {"programs": 1}))
    assert main([*args, "--write-bundle"]) == 0
    capsys.readouterr()
    [gated, _] = json.loads((out / "results.json").read_text())["shown"]
    assert (gated["shown"], gated["shown_precision"], gated["shown_coverage"]) == (0, None, 0.0)
    assert gated["checked"] == open_["checked"] and gated["by_min_precision"][0]["shown"] >= 1
    assert main(["model", "info", "--bundle", str(bundle), "--json"]) == 0
    execution = json.loads(capsys.readouterr().out)["evaluation"]["execution"]
    assert {k: execution["by_problem"][k] for k in ("shown", "shown_precision", "shown_coverage")} == {
        "shown": 0, "shown_precision": None, "shown_coverage": 0.0}
    assert main(["model", "info", "--bundle", str(bundle)]) == 0
    assert ("shown on by_problem (1 test inputs, min-precision 0.5, top-k 4): 0 hints, precision - "
            "(correct and >= 1.2x faster), coverage 0.000") in capsys.readouterr().out


def test_the_exported_evaluation_has_one_object_per_test_set() -> None:
    from speedhints.training.evaluation.run import bundle_evaluation

    def exec_row(split: str, b8: float) -> dict[str, Any]:
        return {"model": "edit-vqvae", "split": split, "inputs": 100, "best_of_1_correct_and_faster": 0.0,
                "best_of_8_correct_and_faster": b8, "prior_best_of_1_correct_and_faster": 0.0,
                "speedup": {"median": 1.5}, "shown": 0, "min_precision": 0.5}  # fmt: skip

    results = {"table1": [], "execution": [exec_row("by_problem", 0.2), exec_row("synth_test", 0.7)],
               "settings": {}, "inputs": {}, "bleu": ""}  # fmt: skip
    ev = bundle_evaluation(results, "edit-vqvae", "by_problem")
    execution = ev["execution"]
    assert execution["best_of_8_correct_and_faster"] == 0.2  # the bundled split's figure stays at the top level
    assert execution["synth_test"] == {"inputs": 100, "best_of_1_correct_and_faster": 0.0,
                                       "best_of_8_correct_and_faster": 0.7, "prior_best_of_1_correct_and_faster": 0.0,
                                       "median_speedup": 1.5}  # fmt: skip
    row = {"model": "edit-vqvae", "split": "synth_test", **shown_row(ROWS, [("p", "1")], _atlas(4, {0}), 0.5, 4)}
    shown = bundle_evaluation({**results, "shown": [row]}, "edit-vqvae", "by_problem")["execution"]["synth_test"]
    assert (shown["shown"], shown["shown_precision"], shown["shown_coverage"]) == (1, 1.0, 1.0)
    assert shown["best_of_8_correct_and_faster"] == 0.7  # the checkpoint's figures kept beside the runtime's
