"""Python 2 -> 3 conversion: fissix plus the repairs it cannot do, and the `speedhints data convert` command."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from speedhints.cli import main
from speedhints.training.data.convert import convert_source, expand_indent_tabs, floor_divisions


def test_print_raw_input_xrange_and_dict_methods() -> None:
    code, reason = convert_source("n = int(raw_input())\nfor i in xrange(n): print i,\nprint {1: 2}.keys()\n")
    assert code is not None and reason == ""
    assert "input()" in code and "range(n)" in code and "print(i, end=' ')" in code
    assert "list({1: 2}.keys())" in code


def test_python2_input_evaluates() -> None:
    code, _ = convert_source("n = input()\nprint n + 1\n")
    assert code == "n = eval(input())\nprint(n + 1)\n"


def test_integer_division_becomes_floor_division_without_float_evidence() -> None:
    code, reason = convert_source('a = 7/2\na /= 2\ns = "x/y"\nprint a, s\n')
    assert code == 'a = 7//2\na //= 2\ns = "x/y"\nprint(a, s)\n'
    assert reason == "division=floor"


def test_math_on_ints_is_not_float_evidence() -> None:
    code, reason = convert_source("import math\nprint int(math.ceil(7/2))\n")  # Python 2 prints 3
    assert code == "import math\nprint(int(math.ceil(7//2)))\n" and reason == "division=floor"


def test_true_division_is_kept_when_floats_are_about() -> None:
    for src in (
        "print 7.0/2\n",
        "x = float(raw_input())/3\nprint x\n",
        "import math\nprint math.pi/2\n",
        "from math import *\nprint sqrt(8)/2\n",
    ):
        code, reason = convert_source(src)
        assert code is not None and "//" not in code and "division" not in reason


def test_future_division_keeps_true_division() -> None:
    code, _ = convert_source("from __future__ import division\nprint 7/2\n")
    assert code is not None and "7/2" in code


def test_mixed_tabs_are_expanded_like_python2() -> None:
    src = "if 1:\n\tx = 1\n        print x\n"
    code, reason = convert_source(src)
    assert code == "if 1:\n        x = 1\n        print(x)\n" and reason == "tabs"
    assert expand_indent_tabs("\t a\n  \tb\n") == "         a\n        b\n"


def test_reduce_gets_its_import_when_fissix_skips_it() -> None:
    code, _ = convert_source("print reduce(lambda a, b: a + b, {1: 2}.values(), 0)\n")
    assert code is not None and "from functools import reduce" in code
    namespace: dict[str, object] = {}
    exec(compile(code.replace("print(", "result = ("), "t", "exec"), namespace)
    assert namespace["result"] == 2


def test_fractions_gcd_becomes_math_gcd() -> None:
    code, reason = convert_source("from fractions import gcd, Fraction\nprint gcd(12, 18), Fraction(1, 2)\n")
    assert code == "from math import gcd\nfrom fractions import Fraction\nprint(gcd(12, 18), Fraction(1, 2))\n"
    assert reason == "gcd"
    code, _ = convert_source("import fractions\nprint fractions.gcd(12, 18)\n")
    assert code == "import math\nimport fractions\nprint(math.gcd(12, 18))\n"


def test_floor_divisions_leaves_strings_and_comments() -> None:
    assert floor_divisions("x = a / b  # a/b\ny = '/'\n") == "x = a // b  # a/b\ny = '/'\n"


def test_unparsable_code_is_recorded_with_a_reason() -> None:
    code, reason = convert_source("print 1 +\n")
    assert code is None and reason.startswith("fissix: ParseError")


def _tiny_dataset(path: Path) -> None:
    problem = {
        "problem": "1_A",
        "description": "",
        "tests": [{"input": "3\r\n", "output": "6\r\n", "truncated": False}],
        "solutions": [{"id": str(i), "code": f"n = input()\nprint n * 2 + {i} - {i}\n"} for i in range(20)]
        + [{"id": "99", "code": "print 1 +\n"}],
    }
    small = {"problem": "2_B", "description": "", "tests": [], "solutions": [{"id": "1", "code": "print 1\n"}]}
    with gzip.open(path, "wt") as f:
        f.write(json.dumps(problem) + "\n" + json.dumps(small) + "\n")


def test_convert_command_keeps_ids_and_records_failures(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data.jsonl.gz"
    _tiny_dataset(data)
    rc = main(["data", "convert", "--data", str(data), "--out", str(tmp_path / "work"), "--workers", "1"])
    assert rc == 0
    assert capsys.readouterr().out.strip().endswith(f"-> {tmp_path / 'work' / 'converted.jsonl'}")
    rows = [json.loads(x) for x in (tmp_path / "work" / "converted.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [str(i) for i in range(20)] + ["99"]  # 2_B has too few solutions
    assert all(r["status"] == "ok" and len(r["sha256"]) == 64 for r in rows[:20])
    assert rows[20]["status"] == "failed" and rows[20]["code"] is None and "ParseError" in rows[20]["reason"]


def test_convert_command_bad_input(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["data", "convert", "--data", str(tmp_path / "missing.gz")]) == 2
    assert "data set not found" in capsys.readouterr().err
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"not gzip")
    assert main(["data", "convert", "--data", str(bad), "--out", str(tmp_path / "w")]) == 1
    assert "cannot convert" in capsys.readouterr().err


def test_real_solutions_convert(corpus_slice: Path) -> None:
    """The first real problem of the committed slice of the corpus converts almost entirely."""
    with gzip.open(corpus_slice, "rt") as f:
        problem = json.loads(f.readline())
    results = [convert_source(s["code"]) for s in problem["solutions"]]
    assert sum(code is not None for code, _ in results) >= 0.9 * len(results)
