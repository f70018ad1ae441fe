import gzip
import json

from speedhints.training.data.pessimize.coverage import main


def _corpus(tmp_path):
    data = tmp_path / "corpus.jsonl.gz"
    problems = [
        {"problem": "1_A", "solutions": [
            {"id": "1", "code": "s = set([1])\nfor i in range(3):\n    print i in s\n"},  # Python 2, passing
            {"id": "2", "code": "print 1\n"},  # passing, no family applies
            {"id": "3", "code": "s = set([1])\nfor i in range(3):\n    print i in s\n"},  # not passing
        ]},
    ]
    with gzip.open(data, "wt", encoding="utf-8") as f:
        for problem in problems:
            f.write(json.dumps(problem) + "\n")
    verified = tmp_path / "verified.tsv"
    verified.write_text("problem\tsolution\tcode_sha\tstatus\n1_A\t1\tx\tpass\n1_A\t2\ty\tpass\n1_A\t3\tz\twrong\n")
    return data, verified


def test_coverage_counts_passing_solutions_per_family(tmp_path, capsys):
    data, verified = _corpus(tmp_path)
    assert main(["--data", str(data), "--verified", str(verified)]) == 0
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    assert rows["set_membership"] == ["1", "50.0%", "1"]
    assert rows["pow_mod"] == ["0", "0.0%", "0"]
    assert rows["(passing"] == ["solutions)", "2"]


def test_coverage_rejects_a_missing_corpus_in_one_line(tmp_path, capsys):
    assert main(["--data", str(tmp_path / "nothing.gz"), "--verified", str(tmp_path / "v.tsv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err
