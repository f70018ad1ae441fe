"""``speedhints eval`` end to end on tiny models: generation, the paper's metrics, real sandboxed execution of
the candidates on a hand-made problem, the table, and the latent atlas."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from export_fixtures import canonical_pairs, tiny_checkpoint

from speedhints.model_export.canonical import canonicalize
from speedhints.training.data.measure import ScaledInput
from speedhints.training.data.runcache import RunCache, sha256
from speedhints.training.data.sandbox import Sandbox
from speedhints.training.data.verify import Test as VerifyCase
from speedhints.training.data.verify import normalise_input
from speedhints.training.evaluation.execution import Executor, ProblemData, Verdict, best_of_k
from speedhints.training.evaluation.inputs import EvalInput, RefProgram, read_inputs
from speedhints.training.evaluation.run import EvalSettings, SplitSpec, evaluate, table_markdown, write_results

# Sum of the prefix sums: the slow version is quadratic, the fast one linear.
READ = "n = int(input())\na = list(map(int, input().split()))\n"
SLOW = READ + "t = 0\nfor i in range(n):\n    t += sum(a[:i + 1])\nprint(t)\n"
FAST = READ + "t = 0\np = 0\nfor x in a:\n    p += x\n    t += p\nprint(t)\n"
# Right on the small tests, wrong on the big input.
SHORTCUT = READ + "print(0 if n > 100 else sum((n - i) * v for i, v in enumerate(a)))\n"


def _answer(values: list[int]) -> str:
    return str(sum((len(values) - i) * v for i, v in enumerate(values))) + "\n"


def _problem(tmp: Path) -> ProblemData:
    tests = []
    for values in ([1, 2, 3], [5], [7, 0, 2, 9]):
        inp = normalise_input(f"{len(values)}\n{' '.join(map(str, values))}\n")
        tests.append(VerifyCase(inp, sha256(inp), _answer(values)))
    big = list(range(1, 4001))
    data = f"{len(big)}\n{' '.join(map(str, big))}\n".encode()
    path = tmp / "big.in"
    path.write_bytes(data)
    return ProblemData(tests, [(ScaledInput("prefix", "big", sha256(data), path), data, _answer(big).encode())], False)


def _x() -> EvalInput:
    x = canonicalize(SLOW).code
    return EvalInput("prefix", "1", x, 500.0, (RefProgram("2", canonicalize(FAST).code, 50.0, 0.5),))


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    with Sandbox(workers=2) as sb:
        yield sb


def _executor(tmp: Path, sandbox: Sandbox) -> Executor:
    cache = RunCache(tmp / "runs.sqlite")
    return Executor(cache, sandbox, {"prefix": _problem(tmp)}, {("prefix", "1"): SLOW},
                    {("prefix", "1"): canonicalize(SLOW)})


def test_execution_verdicts(tmp_path: Path, sandbox: Sandbox) -> None:
    ex = _executor(tmp_path, sandbox)
    x = _x()
    fast = canonicalize(FAST).code
    assert ex.verdict(x, x.code) == Verdict("pass", 1.0)  # x itself: not run
    assert ex.verdict(x, "v0 = (\n").status == "syntax"
    assert ex.verdict(x, "print(s7)\n").status == "unmapped"  # a string literal x does not have
    assert ex.verdict(x, "v0 = int(input())\nprint(v0)\n").status == "wrong"
    assert ex.verdict(x, "while True:\n    pass\n").status == "timeout"
    assert ex.verdict(x, canonicalize(SHORTCUT).code).status == "slow_wrong"
    v = ex.verdict(x, fast)
    assert v.passed and v.speedup is not None and v.shown  # a real speed edit passes the hook's checks too
    # The loop variable renamed but still read under its old name: fails, and the hook would not show it either.
    fast_code = canonicalize(FAST).code
    loop_var = re.search(r"for (v\d+) in", fast_code).group(1)  # type: ignore[union-attr]
    broken = ex.verdict(x, fast_code.replace(f"for {loop_var} in", "for v99 in"))
    assert not broken.passed and not broken.shown
    # Quadratic vs linear on 4,000 numbers: far past the 1.2x bar (interpreter start-up, not the gap, is what
    # varies with the machine's load: 4.97x was measured once under load, so no tighter figure is asserted).
    assert v.correct_and_faster and v.speedup >= 1.2
    assert best_of_k([[Verdict("wrong"), v], [Verdict("syntax")]], 1) == 0.0
    assert best_of_k([[Verdict("wrong"), v], [Verdict("syntax")]], 2) == 0.5


def _split_dir(tmp: Path) -> Path:
    d = tmp / "split"
    d.mkdir()
    x = _x()
    refs = [{"id": r.id, "code": r.code, "ms": r.ms, "rouge8": r.rouge8} for r in x.refs]
    refs.append({"id": "3", "code": x.code + "print(1)\n", "ms": 499.0, "rouge8": 0.9})  # not 1.2x faster
    refs.append({"id": "4", "code": x.code, "ms": 40.0, "rouge8": 1.0})  # x itself timed faster: noise
    refs.append({"id": "5", "code": x.code + "print(2)\n", "ms": 3.0, "rouge8": 0.9})  # under the 5 ms floor
    (d / "refs.jsonl").write_text(json.dumps({"problem": x.problem, "id": x.id, "code": x.code, "ms": x.ms,
                                              "refs": refs}) + "\n")
    with open(d / "train.jsonl", "w") as f:
        for i, (slow, fast) in enumerate(canonical_pairs()):
            f.write(json.dumps({"problem": f"t{i // 2}", "slow_id": str(i), "fast_id": f"{i}f", "slow": slow,
                                "fast": fast, "speedup": 2.0 if slow != fast else 1.3}) + "\n")
    return d


def test_reference_set_applies_the_neighbourhood(tmp_path: Path) -> None:
    d = _split_dir(tmp_path)
    xs, empty = read_inputs(d / "refs.jsonl")
    assert empty == 0 and [r.id for r in xs[0].refs] == ["2"]
    xs, empty = read_inputs(d / "refs.jsonl", threshold=0.9)
    assert xs == [] and empty == 1


def test_evaluate_end_to_end(tmp_path: Path, sandbox: Sandbox) -> None:
    d = _split_dir(tmp_path)
    spec = SplitSpec("by_problem", d, {"edit-vqvae": tiny_checkpoint(), "transformer": tiny_checkpoint(
        model_name="transformer")})
    settings = EvalSettings(n_samples=4, exec_inputs=1, workers=2)
    results = evaluate([spec], settings, lambda xs: _executor(tmp_path, sandbox), echo=lambda _: None)
    rows = {r["model"]: r for r in results["table1"]}
    assert set(rows) == {"copy-input", "retrieval", "edit-vqvae", "transformer"}
    assert rows["edit-vqvae"]["samples_per_input"] == 4  # tiny codebook: K = 4 decodings
    assert rows["copy-input"]["avg_effi_hard"] == 0.0 and 0 < rows["copy-input"]["avg_corr"] < 1
    execution = {e["model"]: e for e in results["execution"]}
    assert execution["copy-input"]["pass"] == 1.0 and execution["copy-input"]["best_of_64_correct_and_faster"] == 0
    assert "prior_best_of_1_correct_and_faster" in execution["edit-vqvae"]
    assert execution["edit-vqvae"]["samples"] == 4
    # A checkpoint has no measured precision: behind the runtime's default gate it would show nothing.
    assert execution["edit-vqvae"]["shown"] == 0 and execution["edit-vqvae"]["shown_coverage"] == 0.0
    assert execution["edit-vqvae"]["min_precision"] == 0.5 and "checked" in execution["edit-vqvae"]
    write_results(results, tmp_path / "out")
    md = (tmp_path / "out" / "table.md").read_text()
    assert "| edit-vqvae | by_problem |" in md and "best-of-8" in md
    assert (tmp_path / "out" / "table.csv").read_text().splitlines()[0].startswith("model,split,avg_corr")
    assert table_markdown(results) == md


def test_atlas_from_a_tiny_model(tmp_path: Path) -> None:
    from speedhints.model_export.atlas import Atlas
    from speedhints.training.evaluation.cli import _write_atlas

    d = _split_dir(tmp_path)
    spec = SplitSpec("by_problem", d, {"edit-vqvae": tiny_checkpoint()})
    info = _write_atlas(spec, "edit-vqvae", tmp_path / "out", ["pca"], lambda _: None)
    atlas = Atlas.load(tmp_path / "out" / "atlas.json", codebook_size=4)
    assert info["pairs"] == 8 and info["codes_used"] >= 2
    shares = [a.share or 0 for a in atlas.latents.values()]
    assert sum(shares) == pytest.approx(1.0, abs=1e-3)
    used = [a for a in atlas.latents.values() if a.share]
    assert all(a.label and a.label != "unused" and a.expected_speedup and a.examples for a in used)
    assert sorted(p.name for p in (tmp_path / "out" / "plots").iterdir()) == ["edits_pca.png", "programs_pca.png"]
    assert "| code | label |" in (tmp_path / "out" / "atlas.md").read_text()


def test_eval_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from speedhints.training.evaluation.cli import main

    assert main(["--model", "nosplit", "--out", str(tmp_path)]) == 2
    assert "SPLIT:NAME=CHECKPOINT" in capsys.readouterr().err
    assert main(["--model", "paper:x=a.pt", "--out", str(tmp_path)]) == 2
    assert "no split named 'paper'" in capsys.readouterr().err
    assert main(["--split", f"s={tmp_path / 'missing'}", "--out", str(tmp_path / "o")]) == 1
    assert "missing" in capsys.readouterr().err


def test_candidate_cache_survives_a_cut_line_and_a_changed_model(tmp_path: Path) -> None:
    from speedhints.training.evaluation.generate import CandidateCache, Candidates

    path = tmp_path / "c.jsonl"
    cache = CandidateCache(path, "fp1")
    cache.put("p/1", Candidates(("a",), (0,), (0,)))
    cache.put("p/2", Candidates(("b",)))
    with path.open("a") as f:
        f.write('{"key": "p/3", "samp')  # killed mid-write
    again = CandidateCache(path, "fp1")
    assert set(again.entries) == {"p/1", "p/2"} and again.get("p/1") == Candidates(("a",), (0,), (0,))
    again.put("p/3", Candidates(("c",)))
    assert set(CandidateCache(path, "fp1").entries) == {"p/1", "p/2", "p/3"}  # the append follows good lines
    assert CandidateCache(path, "fp2").entries == {}  # other weights or settings: nothing reused


def test_execution_regenerates_scaled_inputs_when_an_expected_output_is_missing(tmp_path: Path) -> None:
    """`data synth` leaves scaled inputs without their .out files under work/scaled: the evaluation must not take
    such a folder for a complete one (it would fail on the first missing output instead of regenerating)."""
    from speedhints.training.evaluation.cli import _have_scaled

    table = tmp_path / "scaled_inputs.tsv"
    table.write_text("problem\tname\tinput_sha256\n1_A\tbig-0\t" + "0" * 64 + "\n")
    scaled = tmp_path / "scaled"
    assert not _have_scaled(table, scaled, {"1_A"})  # nothing there
    (scaled / "1_A").mkdir(parents=True)
    (scaled / "1_A" / "big-0.in").write_text("1\n")
    assert not _have_scaled(table, scaled, {"1_A"})  # the input without its expected output
    (scaled / "1_A" / "big-0.out").write_text("1\n")
    assert _have_scaled(table, scaled, {"1_A"})
