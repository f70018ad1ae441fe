"""``speedhints data synth`` on a tiny corpus with toy families, through real sandbox runs.

Three problems print the sum 1..n; their one scaled input is n = 1,000,000 so that a summing solution takes over ten
ms and the formula a fraction of one. 9_C is a training problem, 10_B a test problem, 10_C a validation problem
(left out by default). The toy families are defined here, not in the package:
- ``dup_sum`` computes a ``sum(...)`` assignment twice (about 2x slower, same output): kept;
- ``strip_input`` reads ``input().strip()`` (same speed, so whether it is kept is noise: no assertion on it);
- ``undup`` drops a repeated ``sum(...)`` assignment (about 2x *faster*): passes, same output, never kept;
- ``off_by_one`` turns ``+ 1`` into ``+ 2`` (wrong answers, unless the sum it changes is overwritten): fails
  the tests, never timed.
"""

from __future__ import annotations

import ast
import copy
import gzip
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from speedhints.cli import main
from speedhints.training.data import synth
from speedhints.training.data.convert import load_converted
from speedhints.training.data.pessimize import Family
from speedhints.training.data.runcache import RunCache
from speedhints.training.data.synth_table import read_pairs
from speedhints.training.data.synth_variants import canonical_code, changed_lines, code_sha, pair_keys
from speedhints.training.evaluation.inputs import read_inputs

N = 1_000_000


def _sites(tree: ast.Module, match) -> list[ast.Module]:  # type: ignore[no-untyped-def]
    """One copy of `tree` per node `match` accepts, with `match`'s edit applied there."""
    out = []
    count = sum(1 for node in ast.walk(tree) if match(node, False))
    for i in range(count):
        t = copy.deepcopy(tree)
        hits = [node for node in ast.walk(t) if match(node, False)]
        match(hits[i], True)
        out.append(t)
    return out


def _dup_sum(tree: ast.Module) -> list[ast.Module]:
    out = []
    for i, stmt in enumerate(tree.body):
        if (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Call)
            and getattr(stmt.value.func, "id", "") == "sum"
        ):
            t = copy.deepcopy(tree)
            t.body.insert(i, copy.deepcopy(stmt))
            out.append(t)
    return out


def _strip_input(tree: ast.Module) -> list[ast.Module]:
    def match(node: ast.AST, edit: bool) -> bool:
        ok = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "int" and len(node.args) == 1
        ok = ok and isinstance(node.args[0], ast.Call) and getattr(node.args[0].func, "id", "") == "input"  # type: ignore[attr-defined]
        if ok and edit:
            node.args[0] = ast.Call(ast.Attribute(node.args[0], "strip", ast.Load()), [], [])  # type: ignore[attr-defined]
        return ok

    return _sites(tree, match)


def _off_by_one(tree: ast.Module) -> list[ast.Module]:
    def match(node: ast.AST, edit: bool) -> bool:
        ok = isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and getattr(node.right, "value", None) == 1
        if ok and edit:
            node.right = ast.Constant(2)  # type: ignore[attr-defined]
        return ok

    return _sites(tree, match)


def _undup(tree: ast.Module) -> list[ast.Module]:
    out = []
    for i in range(1, len(tree.body)):
        if ast.dump(tree.body[i]) == ast.dump(tree.body[i - 1]):
            t = copy.deepcopy(tree)
            del t.body[i]
            out.append(t)
    return out


DUP = Family("dup_sum", "recomputed sum -> computed once", _dup_sum)
STRIP = Family("strip_input", "int(input().strip()) -> int(input())", _strip_input)
OFF = Family("off_by_one", "(a wrong edit)", _off_by_one)


def _add_pass(tree: ast.Module) -> list[ast.Module]:
    t = copy.deepcopy(tree)
    t.body.insert(0, ast.Pass())
    return [t]


UNDUP = Family("undup", "(an edit that makes it faster)", _undup)
TOY = [DUP, STRIP, OFF, UNDUP]
LATE = Family("late_pass", "(a family that lands after the first run)", _add_pass)

SUMMING = "n = int(raw_input())\ns = sum(xrange(n + 1))\nprint s\n"
SOLUTIONS = {
    "1": SUMMING,
    "2": "n = int(raw_input())\nt = sum(xrange(n + 1))\nprint t + 0\n",
    # already the dup_sum variant of "1": that variant is an existing program, not a new one
    "3": "n = int(raw_input())\ns = sum(xrange(n + 1))\ns = sum(xrange(n + 1))\nprint s\n",
    "4": "n = int(raw_input())\nprint n * (n + 1) / 2\n",  # the formula: < 5 ms, never a fast side
    "5": "n = int(raw_input())\nu = sum(xrange(n + 1))\nu = sum(xrange(n + 1))\nprint u * 1\n",
    # only off_by_one applies here, and its variant fails the tests: the original is never timed
    "6": "import sys\nn = int(sys.stdin.readline())\nprint sum(xrange(n + 1))\n",
    # passes the small tests, crashes on the scaled input: its variants cannot be compared with it
    "7": "n = int(raw_input())\nassert n < 1000\nprint n * (n + 1) / 2\n",
}


def _corpus(tmp: Path) -> list[str]:
    data, work = tmp / "d.jsonl.gz", tmp / "work"
    tests = [{"input": f"{n}\n", "output": f"{n * (n + 1) // 2}\n", "truncated": False} for n in (1, 4, 10)]
    inputs = ["problem\tname\tgenerator\tseed\tinput_sha256\toutput_sha256\tagreement\tsize_bytes\tfastest_cpu_s"]
    runtimes = ["problem\tsolution\tcode_sha\tinput\tinput_sha\tcpu_ms\truns\tcensored"]
    inp, out = f"{N}\n".encode(), f"{N * (N + 1) // 2}\n".encode()
    sha_in = hashlib.sha256(inp).hexdigest()
    with gzip.open(data, "wt") as f:
        for problem in ("9_C", "10_B", "10_C"):
            sols = [{"id": sid, "code": code} for sid, code in SOLUTIONS.items()]
            sols += [{"id": str(100 + i), "code": SOLUTIONS["4"]} for i in range(16)]  # >= 20 solutions
            f.write(json.dumps({"problem": problem, "description": "", "tests": tests, "solutions": sols}) + "\n")
            folder = work / "scaled" / problem
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "big-0.in").write_bytes(inp)
            (folder / "big-0.out").write_bytes(out)
            inputs.append(
                f"{problem}\tbig-0\trandom-max\t1\t{sha_in}\t{hashlib.sha256(out).hexdigest()}\t1.0\t8\t0.001"
            )
            for sid in SOLUTIONS:  # what `data measure` wrote: synth only reads it to choose what to try
                ms = "0.5" if sid == "4" else "60.0"
                runtimes.append(f"{problem}\t{sid}\tx\tbig-0\t{sha_in[:16]}\t{ms}\t3\t0")
    (tmp / "scaled_inputs.tsv").write_text("\n".join(inputs) + "\n")
    (tmp / "runtimes.tsv").write_text("\n".join(runtimes) + "\n")
    assert main(["data", "convert", "--data", str(data), "--out", str(work), "--workers", "1"]) == 0
    assert main(["data", "verify", "--data", str(data), "--work", str(work), "--table", str(tmp / "verified.tsv")]) == 0
    return ["--data", str(data), "--work", str(work), "--verified", str(tmp / "verified.tsv"),
            "--inputs", str(tmp / "scaled_inputs.tsv"), "--runtimes", str(tmp / "runtimes.tsv"),
            "--table", str(tmp / "synth_pairs.tsv"), "--summary", str(tmp / "synth_attempts.tsv")]  # fmt: skip


def _statuses(work: Path) -> dict[tuple[str, str, str, int], str]:
    with sqlite3.connect(work / "synth.sqlite") as db:
        rows = db.execute("SELECT problem, solution, families, variant, status FROM attempts").fetchall()
    return {(p, s, f, v): st for p, s, f, v, st in rows}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    tmp = tmp_path_factory.mktemp("synth")
    args = _corpus(tmp)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synth, "FAMILIES", TOY)
        assert main(["data", "synth", *args]) == 0
    return tmp, args


def test_kept_pairs_pass_and_are_faster_and_the_rest_is_not_kept(synthesized: tuple[Path, list[str]]) -> None:
    tmp, _ = synthesized
    status = _statuses(tmp / "work")
    # off_by_one's variants that change the printed sum fail the tests; no variant of it alone is kept
    assert status[("9_C", "1", "off_by_one", 0)] == status[("9_C", "2", "off_by_one", 0)] == "fails_tests"
    assert "kept" not in {st for (_, _, fam, _), st in status.items() if fam == "off_by_one"}
    # undup makes "5" twice as fast: it passes and prints the same, but a faster variant is never a slow side
    assert status[("9_C", "5", "undup", 0)] == status[("10_B", "5", "undup", 0)] == "not_faster"
    assert status[("9_C", "3", "undup", 0)] == "same_as_solution"  # "3" undone is "1"
    assert {st for (_, s, fam, _), st in status.items() if fam == "strip_input" and s != "7"} <= {
        "not_faster", "not_confirmed", "kept"}  # fmt: skip
    # dup_sum of "1" is solution "3": an existing program, dropped before any run
    assert status[("9_C", "1", "dup_sum", 0)] == "same_as_solution"
    assert status[("9_C", "2", "dup_sum", 0)] == "kept"
    # the formula runs < 5 ms: no variant of it is ever tried; the validation problem is left out
    assert not any(s == "4" for (_, s, _, _) in status) and not any(p == "10_C" for (p, _, _, _) in status)
    # "7" crashes on the scaled input: its variant that passes the tests has nothing to be compared with
    assert status[("9_C", "7", "strip_input", 0)] == "original_unusable"
    # "6" has one variant, failing the tests: its original is never timed (timing costs as much as a variant)
    assert status[("9_C", "6", "off_by_one", 0)] == "fails_tests"
    with sqlite3.connect(tmp / "work" / "synth.sqlite") as db:
        timed = {(p, s): st for p, s, st in db.execute("SELECT problem, solution, status FROM originals")}
    assert ("9_C", "6") not in timed and timed[("9_C", "7")] == "error_scaled" and timed[("9_C", "2")] == "measured"

    pairs = read_pairs(tmp / "synth_pairs.tsv")
    assert pairs and not any("undup" in p.families or p.families == "off_by_one" for p in pairs)
    assert any(p.families == "dup_sum+strip_input" for p in pairs)  # a target that needs two edits
    for p in pairs:
        assert p.speedup >= 1.2 and p.fast_ms >= 5.0 and p.slow_ms >= 1.2 * p.fast_ms
        assert status[(p.problem, p.solution, p.families, p.variant)] == "kept"
    assert {(p.problem, p.solution, p.families) for p in pairs if p.families == "dup_sum"} >= {
        ("9_C", "2", "dup_sum"),
        ("10_B", "2", "dup_sum"),  # twice the work: about 2x slower
    }
    assert (tmp / "synth_censored.tsv").read_text().splitlines() == [
        (tmp / "synth_pairs.tsv").read_text().splitlines()[0]
    ]
    rows = (tmp / "synth_pairs.tsv").read_text().splitlines()[1:]
    keys = [(r.split("\t")[0], int(r.split("\t")[1]), r.split("\t")[3], int(r.split("\t")[4])) for r in rows]
    assert keys == sorted(keys)

    summary = {line.split("\t")[0]: line.split("\t") for line in (tmp / "synth_attempts.tsv").read_text().splitlines()}
    # families, applied, new, passing, same_output, kept: dup_sum on "1", "2", "3", "5" of 9_C and 10_B, where
    # "1"'s variant is solution "3" (not new) and the two sites of "3" (of "5") make the same program
    assert summary["dup_sum"][1:5] == ["8", "6", "6", "6"]
    assert summary["undup"][1:6] == ["4", "2", "2", "2", "0"]
    assert summary["off_by_one"][5] == "0"


def test_synth_test_holds_only_the_test_problems_pairs(synthesized: tuple[Path, list[str]]) -> None:
    tmp, _ = synthesized
    pairs = read_pairs(tmp / "synth_pairs.tsv")
    assert {p.split for p in pairs if p.problem == "10_B"} == {"synth_test"}
    assert {p.split for p in pairs if p.problem == "9_C"} == {"train"}


def test_a_rerun_measures_nothing_new_and_a_new_family_only_itself(synthesized: tuple[Path, list[str]]) -> None:
    tmp, args = synthesized
    work = tmp / "work"
    first_table = (tmp / "synth_pairs.tsv").read_text()
    before = _statuses(work)
    with RunCache(work / "runs.sqlite") as cache:
        runs = cache.count()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synth, "FAMILIES", TOY)
        assert main(["data", "synth", *args]) == 0
    with RunCache(work / "runs.sqlite") as cache:
        assert cache.count() == runs
    assert _statuses(work) == before and (tmp / "synth_pairs.tsv").read_text() == first_table

    # A family that lands later is tried alone (and in new pairs); what was tried before is not touched again.
    # --min-hits: its edit (a `pass` before the first line) touches lines that ran once, so nothing is timed.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synth, "FAMILIES", [*TOY, LATE])
        assert main(["data", "synth", *args, "--min-hits", "2"]) == 0
    after = _statuses(work)
    new = {after[k] for k in set(after) - set(before)}
    assert new <= {"cold", "same_as_variant", "same_as_solution", "fails_tests", "original_unusable"}  # none timed
    assert "cold" in new
    assert {k: v for k, v in after.items() if k in before} == before
    assert {fam for (_, _, fam, _) in set(after) - set(before)} >= {"late_pass"}
    assert all("late_pass" in fam for (_, _, fam, _) in set(after) - set(before))


def test_from_table_rebuilds_both_sides_and_checks_the_variant(synthesized: tuple[Path, list[str]], capsys) -> None:  # type: ignore[no-untyped-def]
    tmp, args = synthesized
    out = tmp / "rebuilt"
    table = str(tmp / "synth_pairs.tsv")
    rebuild = ["data", "synth", "--from-table", "--data", args[1], "--work", str(out), "--table", table]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synth, "FAMILIES", [*TOY, LATE])
        assert main(rebuild) == 0
        pairs = read_pairs(tmp / "synth_pairs.tsv")
        folders = {"synth": ("train", "valid"), "synth_test": ("test",)}  # the pairs; refs and train beside them
        records = [json.loads(x) for f in sorted((out / "pairs").rglob("*.jsonl"))
                   if f.stem in folders[f.parent.name] for x in f.read_text().splitlines()]  # fmt: skip
        assert len(records) == len(pairs)

        def problems(path: Path) -> set[str]:
            return {json.loads(line)["problem"] for line in path.read_text().splitlines()}

        assert problems(out / "pairs" / "synth_test" / "test.jsonl") == {"10_B"}
        assert problems(out / "pairs" / "synth" / "train.jsonl") == {"9_C"}
        by_id = {(r["problem"], r["slow_id"]): r for r in records}
        converted = {(c.problem, c.id): c.code for c in load_converted(tmp / "work")}
        for p in pairs:
            r = by_id[(p.problem, f"{p.solution}:{p.families}:{p.variant}")]
            assert r["fast"] == canonical_code(converted[(p.problem, p.solution)])
            assert changed_lines(r["slow"], r["fast"]) == p.changed_lines >= 1

        # synth_test is a complete evaluation split: each input's R(x) is the original it was made from, with the
        # table's times, and retrieval searches the synthetic training pairs
        test_dir = out / "pairs" / "synth_test"
        xs, empty = read_inputs(test_dir / "refs.jsonl", threshold=0.0, min_speedup=1.2, min_ref_ms=0.0)
        tested = [p for p in pairs if p.split == "synth_test"]
        assert empty == 0 and len(xs) == len(tested) >= 1
        for x in xs:
            r = by_id[(x.problem, x.id)]
            (ref,) = x.refs
            assert x.code == r["slow"] and ref.code == r["fast"] and ref.id == r["fast_id"] and 0 < ref.rouge8 < 1
            p = next(p for p in tested if f"{p.solution}:{p.families}:{p.variant}" == x.id)
            assert (x.ms, ref.ms) == (p.slow_ms, p.fast_ms)
        assert (test_dir / "train.jsonl").read_text() == (out / "pairs" / "synth" / "train.jsonl").read_text()

        # a table whose variant sha no longer matches what the family makes: a clear line, exit 1
        bad = tmp / "bad.tsv"
        lines = (tmp / "synth_pairs.tsv").read_text().splitlines()
        cols = lines[1].split("\t")
        cols[5] = "0" * 16
        bad.write_text("\n".join([lines[0], "\t".join(cols)]) + "\n")
        capsys.readouterr()
        assert main([*rebuild[:-1], str(bad)]) == 1
        assert "no longer makes this variant (sha256 differs)" in capsys.readouterr().err


def test_pair_keys_are_stable_and_vary_by_solution() -> None:
    names = ["a", "b", "c", "d"]
    assert pair_keys(names, "s1", 2) == pair_keys(list(reversed(names)), "s1", 2)
    assert len({tuple(pair_keys(names, f"s{i}", 2)) for i in range(20)}) > 1
    assert all(k.split("+")[0] < k.split("+")[1] for k in pair_keys(names, "s", 6))
    assert code_sha("x") == hashlib.sha256(b"x").hexdigest()


def test_changed_lines_counts_a_rewritten_line_once() -> None:
    assert changed_lines("a = 1\nb = 2\nc = 3", "a = 1\nb = 5\nc = 3") == 1
    assert changed_lines("a = 1\nb = 2\nb = 2", "a = 1\nb = 2") == 1
    assert changed_lines("a = 1", "a = 1") == 0


def test_synth_needs_its_inputs_and_families(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["data", "synth", "--work", str(tmp_path), "--data", str(tmp_path / "none.gz")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["data", "synth", "--export-only", "--work", str(tmp_path)]) == 2
    assert "nothing was tried yet" in capsys.readouterr().err


def test_the_trace_finds_the_hot_loop(tmp_path: Path) -> None:
    from speedhints.training.data.sandbox import Limits, Sandbox
    from speedhints.training.data.synth_trace import hits, parse_counts, traced_program, unparsed

    src = unparsed("n = int(input())\ns = 0\nfor i in range(n):\n    s += i\nprint(s)\n")
    with Sandbox(workers=1) as sandbox:
        r = sandbox.run(traced_program(src, budget=50_000), b"100000\n", Limits(cpu_seconds=5, wall_seconds=20))
    assert r.status == "ok" and r.stdout == b"4999950000\n"  # the program still finishes, untraced, after the budget
    counts = parse_counts(r.stderr_tail)
    assert counts is not None and counts[1] == 1 and counts[4] >= 20_000 and sum(counts.values()) == 50_000
    assert hits(counts, src, src.replace("s += i", "s = s + i")) == counts[4]
    assert hits(counts, src, src.replace("int(input())", "int(input().strip())")) == 1
    assert parse_counts("Traceback ...") is None


def test_stats_report_the_families_and_the_real_pairs_edit_size(synthesized: tuple[Path, list[str]], capsys) -> None:  # type: ignore[no-untyped-def]
    tmp, _ = synthesized
    # one real pair: solution "3" (the sum computed twice) -> "1": a one-line edit
    (tmp / "pairs.tsv").write_text(
        "problem\tslow\tfast\trouge8\tspeedup\tslow_ms\tfast_ms\tslow_censored\n9_C\t3\t1\t0.5\t1.9\t80.0\t42.0\t0\n"
    )
    out = tmp / "stats"
    assert main(["data", "stats", "--corpus", str(tmp), "--work", str(tmp / "work"), "--out", str(out)]) == 0
    readme = (out / "README.md").read_text()
    summary = {line.split("\t")[0]: line.split("\t") for line in (tmp / "synth_attempts.tsv").read_text().splitlines()}
    dup = summary["dup_sum"]
    assert f"| dup_sum | {dup[1]} | {dup[2]} | {dup[3]} | {dup[5]} | {dup[6]} |" in readme
    assert "| (two families) |" in readme and "| 1 | 1 |" in readme  # the real pair's edit-size row
    assert (out / "synth_families.png").stat().st_size > 0 and (out / "edit_size.png").stat().st_size > 0
    capsys.readouterr()
    assert main(["data", "stats", "--json", "--corpus", str(tmp)]) == 0
    stats = json.loads(capsys.readouterr().out)
    pairs = read_pairs(tmp / "synth_pairs.tsv")
    assert stats["synth_pairs_total"] == len(pairs) and stats["synth_problems"] == 2
    assert stats["synth_pairs_by_family"]["dup_sum"] == sum(p.families == "dup_sum" for p in pairs)
    assert stats["real_pairs_by_changed_lines"] == {"1": 1}
    assert stats["synth_median_changed_lines"] >= 1


def test_problems_are_taken_one_runtime_band_at_a_time_cheapest_first() -> None:
    from speedhints.training.data.synth import interleave_bands

    problems = [("a", 3.0), ("b", 50.0), ("c", 4.0), ("d", 500.0), ("e", 20.0), ("f", 31.0)]
    assert interleave_bands(problems) == [("a", 3.0), ("e", 20.0), ("f", 31.0), ("d", 500.0), ("c", 4.0), ("b", 50.0)]
