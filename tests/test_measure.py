"""Runtime measurement on scaled inputs: min of repeated runs, censored timeouts, dropped wrong answers."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from speedhints.cli import main
from speedhints.training.data.measure import stress_cpu_seconds
from speedhints.training.data.runcache import RunCache

# 9_C: print the sum of 1..n. Scaled inputs are n = 300000 and n = 3000000.
SOLUTIONS = {
    "1": "n = int(raw_input())\nprint n * (n + 1) / 2\n",  # O(1)
    "2": "n = int(raw_input())\ns = 0\nfor i in xrange(n + 1):\n    s += i\nprint s\n",  # O(n) loop
    "3": "n = int(raw_input())\nprint sum(xrange(n + 1)) if n < 1000 else 7\n",  # wrong on scaled inputs
    "4": "import time\nn = int(raw_input())\ns = sum(xrange(n + 1))\nwhile n > 1000000:\n    pass\nprint s\n",
    "5": "n = int(raw_input())\nprint n * (n + 1) / 2 + 1\n",  # fails verify: never measured
}
SIZES = {"big-0": 300_000, "huge-0": 3_000_000}


def _setup(tmp: Path, huge_generator: str = "random-max", cpu_seconds: str = "1") -> list[str]:
    data, work = tmp / "d.jsonl.gz", tmp / "work"
    tests = [{"input": f"{n}\n", "output": f"{n * (n + 1) // 2}\n", "truncated": False} for n in (1, 4, 10)]
    sols = [{"id": sid, "code": code} for sid, code in SOLUTIONS.items()]
    sols += [{"id": str(100 + i), "code": SOLUTIONS["1"]} for i in range(16)]
    with gzip.open(data, "wt") as f:
        f.write(json.dumps({"problem": "9_C", "description": "", "tests": tests, "solutions": sols}) + "\n")
    lines = ["problem\tname\tgenerator\tseed\tinput_sha256\toutput_sha256\tagreement\tsize_bytes\tfastest_cpu_s"]
    for name, n in SIZES.items():
        folder = work / "scaled" / "9_C"
        folder.mkdir(parents=True, exist_ok=True)
        inp, out = f"{n}\n".encode(), f"{n * (n + 1) // 2}\n".encode()
        (folder / f"{name}.in").write_bytes(inp)
        (folder / f"{name}.out").write_bytes(out)
        sha_in, sha_out = hashlib.sha256(inp).hexdigest(), hashlib.sha256(out).hexdigest()
        generator = huge_generator if name == "huge-0" else "random-max"
        lines.append(f"9_C\t{name}\t{generator}\t1\t{sha_in}\t{sha_out}\t1.0\t{len(inp)}\t0.01")
    (tmp / "scaled_inputs.tsv").write_text("\n".join(lines) + "\n")
    common = ["--work", str(work)]
    assert main(["data", "convert", "--data", str(data), "--out", str(work), "--workers", "1"]) == 0
    table = tmp / "verified.tsv"
    assert main(["data", "verify", "--data", str(data), *common, "--table", str(table)]) == 0
    return [*common, "--verified", str(table), "--inputs", str(tmp / "scaled_inputs.tsv"), "--out",
            str(tmp / "runtimes.tsv"), "--cpu-seconds", cpu_seconds]  # fmt: skip


def test_measure_times_passing_solutions(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    args = _setup(tmp_path)
    assert main(["data", "measure", *args]) == 0
    rows = [line.split("\t") for line in (tmp_path / "runtimes.tsv").read_text().splitlines()]
    assert rows[0] == ["problem", "solution", "code_sha", "input", "input_sha", "cpu_ms", "runs", "censored"]
    by = {(r[1], r[3]): r for r in rows[1:]}
    # solution 3 is wrong on scaled inputs and 5 failed verify: neither is in the table
    assert {sid for sid, _ in by} == {"1", "2", "4"} | {str(100 + i) for i in range(16)}
    assert by[("1", "big-0")][6:] == ["3", "0"] and by[("2", "huge-0")][6:] == ["3", "0"]
    assert float(by[("2", "huge-0")][5]) > 5 * float(by[("1", "huge-0")][5])  # O(n) loop vs formula
    assert float(by[("2", "huge-0")][5]) > float(by[("2", "big-0")][5])
    assert by[("4", "huge-0")][5:] == ["1000.0", "1", "1"]  # timeout: censored at the CPU limit, not repeated
    assert by[("4", "big-0")][7] == "0"
    assert by[("1", "big-0")][4] == hashlib.sha256(b"300000\n").hexdigest()[:16]
    keys = [(r[0], int(r[1]), r[3]) for r in rows[1:]]
    assert keys == sorted(keys)

    # Resumable: a second run takes everything from the cache and writes the same table.
    with RunCache(tmp_path / "work" / "runs.sqlite") as cache:
        before = cache.count()
    first = (tmp_path / "runtimes.tsv").read_text()
    assert main(["data", "measure", *args]) == 0
    assert (tmp_path / "runtimes.tsv").read_text() == first
    with RunCache(tmp_path / "work" / "runs.sqlite") as cache:
        assert cache.count() == before


def test_stress_inputs_are_censored_at_their_own_limit(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # huge-0 past the statement, its fastest agreeing solution at 10 ms: limit ceil(20 x 0.01) -> the 1 s floor
    assert stress_cpu_seconds(0.01) == 1.0 and stress_cpu_seconds(0.07) == 2.0 and stress_cpu_seconds(5.0) == 3.0
    args = _setup(tmp_path, huge_generator="stress-x10", cpu_seconds="2")
    assert main(["data", "measure", *args]) == 0
    rows = [line.split("\t") for line in (tmp_path / "runtimes.tsv").read_text().splitlines()[1:]]
    by = {(r[1], r[3]): r for r in rows}
    assert by[("4", "huge-0")][5:] == ["1000.0", "1", "1"]  # the stress limit, not --cpu-seconds 2
    assert by[("2", "huge-0")][7] == "0" and by[("1", "big-0")][7] == "0"


def test_measure_refuses_an_input_that_changed(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    args = _setup(tmp_path)
    (tmp_path / "work" / "scaled" / "9_C" / "big-0.in").write_bytes(b"300001\n")
    capsys.readouterr()
    assert main(["data", "measure", *args]) == 1
    err = capsys.readouterr().err
    assert "big-0.in: sha256 differs from the committed table" in err and "Traceback" not in err


def test_measure_needs_its_inputs(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["data", "measure", "--work", str(tmp_path)]) == 2
    assert "run `speedhints data convert` first" in capsys.readouterr().err
