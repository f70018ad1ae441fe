import ast
import gzip
import json

from speedhints.training.data.pessimize import Family
from speedhints.training.data.pessimize.behaviour_check import check, main, same_behaviour


def _corpus(tmp_path):
    data = tmp_path / "corpus.jsonl.gz"
    problem = {"problem": "1_A", "tests": [{"input": "3\n", "output": "0 1 4\n", "truncated": False},
                                           {"input": "1\n", "output": "0\n", "truncated": False}],
               "solutions": [{"id": "7", "code": "n = int(raw_input())\nprint ' '.join(str(i * i) for i in range(n))\n"
                                                 "sq = [i * i for i in range(n)]\n"}]}
    with gzip.open(data, "wt", encoding="utf-8") as f:
        f.write(json.dumps(problem) + "\n")
    verified = tmp_path / "verified.tsv"
    verified.write_text("problem\tsolution\tcode_sha\tstatus\n1_A\t7\tx\tpass\n")
    return data, verified


def _off_by_one(tree: ast.Module) -> list[ast.Module]:
    """A broken 'family': i * i becomes i * i + 1, which the check must catch."""
    clone = ast.parse(ast.unparse(tree))
    for node in ast.walk(clone):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
            node.args[0] = ast.BinOp(node.args[0], ast.Add(), ast.Constant(1))
    return [clone]


def test_the_check_runs_real_variants_and_finds_no_difference(tmp_path, capsys):
    data, verified = _corpus(tmp_path)
    assert main(["--data", str(data), "--verified", str(verified), "--problems", "1"]) == 0
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    assert rows["comprehension_loop"] == ["1", "0"]


def test_the_check_catches_a_transform_that_changes_the_output(tmp_path):
    data, verified = _corpus(tmp_path)
    broken = Family("off_by_one", "x -> x", _off_by_one)
    checked, differences = check(data, verified, 0, 1, 3, 2, families=[broken])
    assert checked == {"off_by_one": 1}
    assert [(d.family, d.problem, d.solution, d.stdin) for d in differences] == [("off_by_one", "1_A", "7", "3\n")]


def test_same_behaviour_compares_tokens_only_for_the_print_families():
    assert same_behaviour("print_per_item", (0, "1 2\n"), (0, "1 2 \n"))
    assert not same_behaviour("comprehension_loop", (0, "1 2\n"), (0, "1 2 \n"))
    assert not same_behaviour("print_per_item", (0, "1 2\n"), (1, "1 2\n"))


def test_the_check_rejects_bad_arguments_in_one_line(tmp_path, capsys):
    data, verified = _corpus(tmp_path)
    assert main(["--data", str(data), "--verified", str(verified), "--tests", "0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
