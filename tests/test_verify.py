"""Correctness stage: token-wise output comparison, verdicts per solution, the resumable cache and the table."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from speedhints.cli import main
from speedhints.training.data.compare import outputs_match
from speedhints.training.data.runcache import RunCache
from speedhints.training.data.sandbox import Limits, RunResult
from speedhints.training.data.verify import file_io_problems, normalise_input, read_table


@pytest.mark.parametrize(
    ("got", "expected", "same"),
    [
        (b"1 2\n3\n", "1 2 3", True),
        (b"1 2\r\n", "1  2\r\n\r\n", True),
        (b"YES\n", "yes\n", False),
        (b"0.3333333\n", "0.333333333\n", True),
        (b"0.3334\n", "0.3333\n", False),
        (b"1e-9\n", "0.0000000\n", True),  # absolute tolerance near zero
        (b"100000000000000001\n", "100000000000000000\n", False),  # integers are never rounded
        (b"2.0\n", "2\n", True),
        (b"1 2\n", "1 2 3\n", False),
        (b"", "", True),
        (b"nan\n", "nan\n", True),
        (b"inf\n", "1e309\n", False),
    ],
)
def test_outputs_match(got: bytes, expected: str, same: bool) -> None:
    assert outputs_match(got, expected) is same
    assert outputs_match(got.decode(), expected) is same


def test_normalise_input() -> None:
    assert normalise_input("aaaaa\r\n4\r") == b"aaaaa\n4\n"
    assert normalise_input("1 2") == b"1 2\n"


def test_file_io_problems_are_recognised() -> None:
    from speedhints.training.data.convert import Converted

    def sol(problem: str, code: str) -> Converted:
        return Converted(problem, "1", code, "0" * 64, "ok", "")

    reading = "import sys\nsys.stdin = open('input.txt')\nprint(input())\n"
    commented = "# sys.stdin = open('input.txt')\nprint(input())\n"
    sols = [sol("120_A", reading)] * 3 + [sol("120_A", commented)]
    sols += [sol("1_A", reading)] + [sol("1_A", commented)] * 3
    assert file_io_problems(sols) == {"120_A"}


def test_run_cache_round_trip_and_limits_in_key(tmp_path: Path) -> None:
    with RunCache(tmp_path / "c.sqlite") as cache:
        r = RunResult("ok", 0, b"42\n", "", 0.01, 0.02)
        cache.put("c" * 64, "i" * 64, Limits(), r)
        got = cache.get("c" * 64, "i" * 64, Limits())
        assert got is not None and (got.status, got.stdout, got.cpu_seconds) == ("ok", b"42\n", 0.01)
        assert cache.get("c" * 64, "i" * 64, Limits(cpu_seconds=1.0)) is None  # other limits, other result
        big = RunResult("ok", 0, b"x" * (1 << 17), "", 0.01, 0.02)
        assert cache.put("d" * 64, "i" * 64, Limits(), big).stdout is None  # too long to keep: length + sha only
    with RunCache(tmp_path / "c.sqlite") as again:  # persisted: a killed process loses nothing committed
        assert again.count() == 2


SOLUTIONS = {
    "pass_a": "n = int(raw_input())\nprint n * 2\n",
    "pass_b": "import sys\nprint 2 * int(sys.stdin.readline())\n",
    "wrong": "n = int(raw_input())\nprint n * 2 if n < 5 else n\n",
    "error": "x = [0] * 6\nn = int(raw_input())\nx[n]\nprint n * 2\n",
    "timeout": "n = int(raw_input())\nwhile n > 4:\n    pass\nprint n * 2\n",
    "broken": "print 1 +\n",
}


def _dataset(path: Path) -> None:
    tests = [{"input": f"{n}\r\n", "output": f"{2 * n}\r\n", "truncated": False} for n in (1, 3, 5, 7)]
    tests.append({"input": "1000\n", "output": "2...", "truncated": True})  # never judged against
    sols = [{"id": str(100 + i), "code": SOLUTIONS["pass_a"]} for i in range(15)]
    sols += [{"id": str(i + 1), "code": code} for i, code in enumerate(SOLUTIONS.values())]
    problems = [
        {"problem": "7_A", "description": "", "tests": tests, "solutions": sols},
        {"problem": "8_B", "description": "", "tests": [{"input": "2", "output": "4"}], "solutions": sols},
    ]
    with gzip.open(path, "wt") as f:
        for p in problems:
            f.write(json.dumps(p) + "\n")


def test_verify_command_verdicts_resume_and_export(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data, work, table = tmp_path / "d.jsonl.gz", tmp_path / "work", tmp_path / "verified.tsv"
    _dataset(data)
    assert main(["data", "convert", "--data", str(data), "--out", str(work), "--workers", "1"]) == 0
    common = ["--data", str(data), "--work", str(work), "--table", str(table), "--workers", "2"]
    common += ["--cpu-seconds", "0.5"]

    # Only the first problem first: like a run that was stopped part-way.
    assert main(["data", "verify", *common, "--problems", "1"]) == 0
    first = read_table(table)
    assert {sid: status for (p, sid), (_, status) in first.items() if int(sid) < 100} == {
        "1": "pass",
        "2": "pass",
        "3": "wrong",
        "4": "error",
        "5": "timeout",
        "6": "convert_failed",
    }
    assert all(status == "pass" for (_, sid), (_, status) in first.items() if int(sid) >= 100)
    assert {p for p, _ in first} == {"7_A"}
    with RunCache(work / "runs.sqlite") as cache:
        runs_after_first = cache.count()
    # 15 identical copies of pass_a share one run per test (even when judged concurrently); each program stops
    # at its first failing test: pass_a 4, pass_b 4, wrong 3, error 4, timeout 3.
    assert runs_after_first == 4 + 4 + 3 + 4 + 3

    # Export mid-way reports the second problem as pending, from the cache alone.
    capsys.readouterr()
    assert main(["data", "verify", *common, "--export-only"]) == 0
    assert "pending 20" in capsys.readouterr().out  # 8_B's 21 solutions but the one that did not convert

    # Resume: the second problem runs; the first comes from the cache (no new runs for it).
    assert main(["data", "verify", *common]) == 0
    full = read_table(table)
    assert full[("8_B", "3")][1] == "pass"  # 8_B's only test is 2 -> 4, which "wrong" gets right
    assert full[("8_B", "6")][1] == "convert_failed"
    assert {k: v for k, v in full.items() if k[0] == "7_A"} == first
    with RunCache(work / "runs.sqlite") as cache:
        assert cache.count() == runs_after_first + 5  # one new run per distinct program, none for 7_A

    lines = table.read_text().splitlines()
    assert lines[0] == "problem\tsolution\tcode_sha\tstatus"
    keys = [(line.split("\t")[0], int(line.split("\t")[1])) for line in lines[1:]]
    assert keys == sorted(keys)  # stable, diff-friendly order
    assert all(len(line.split("\t")[2]) == 16 or line.endswith("convert_failed") for line in lines[1:])


def test_verify_command_needs_converted_solutions(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["data", "verify", "--work", str(tmp_path)]) == 2
    assert "run `speedhints data convert` first" in capsys.readouterr().err


def test_a_killed_verify_run_resumes_from_the_cache(tmp_path: Path) -> None:
    """SIGKILL a real `speedhints data verify` process mid-run: what it committed stays, the rerun finishes."""
    import os
    import signal
    import subprocess
    import sys
    import time

    data, work, table = tmp_path / "d.jsonl.gz", tmp_path / "work", tmp_path / "verified.tsv"
    tests = [{"input": f"{n}\n", "output": f"{2 * n}\n", "truncated": False} for n in range(1, 5)]
    sols = [{"id": str(k), "code": f"n = int(raw_input())\nprint n * 2 + 0 * {k}\n"} for k in range(60)]
    with gzip.open(data, "wt") as f:
        f.write(json.dumps({"problem": "5_E", "description": "", "tests": tests, "solutions": sols}) + "\n")
    assert main(["data", "convert", "--data", str(data), "--out", str(work), "--workers", "1"]) == 0
    args = ["data", "verify", "--data", str(data), "--work", str(work), "--table", str(table), "--workers", "1"]
    boot = f"import sys; from speedhints.cli import main; sys.exit(main({args!r}))"
    proc = subprocess.Popen([sys.executable, "-c", boot], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    committed = 0
    while time.monotonic() < deadline and committed < 30:
        time.sleep(0.05)
        if (work / "runs.sqlite").exists():
            with RunCache(work / "runs.sqlite") as cache:
                committed = cache.count()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 30 <= committed < 240, "the run should have been killed part-way"
    with RunCache(work / "runs.sqlite") as cache:
        assert cache.count() >= committed  # nothing committed was lost
    assert main(args) == 0
    assert {status for _, status in read_table(table).values()} == {"pass"} and len(read_table(table)) == 60
    with RunCache(work / "runs.sqlite") as cache:
        assert cache.count() == 240  # 60 programs x 4 tests, each run once in all
