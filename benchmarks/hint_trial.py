"""As a user would: the first hint `speedhints check --all --min-precision 0` shows on one solution of each of the
first N by_problem test problems (code none of us wrote; only solutions that pass their first 3 tests as written),
applied to the file and run on the problem's untruncated tests (up to 10) beside the original.

Needs the corpus (../shared/data) and `speedhints data convert` (work/converted.jsonl); writes the files it tries
to work/trial/. Usage: python benchmarks/hint_trial.py [N]  (default 8)
"""

from __future__ import annotations

import ast
import csv
import gzip
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "work" / "trial"


def test_problem_tests() -> dict[str, list[dict[str, str]]]:
    """problem -> its untruncated tests (at most 10), for the by_problem test problems."""
    with open(ROOT / "training/corpus/splits.tsv", encoding="utf-8") as f:
        wanted = {r["problem"] for r in csv.DictReader(f, delimiter="\t") if r["by_problem"] == "test"}
    out = {}
    with gzip.open(ROOT / "../shared/data/codeforces_python.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d["problem"] in wanted:
                tests = ast.literal_eval(d["tests"]) if isinstance(d["tests"], str) else d["tests"]
                out[d["problem"]] = [t for t in tests if not t.get("truncated")][:10]
    return out


def run(path: Path, stdin: str) -> tuple[object, list[str], list[str]]:
    """(exit code or "timeout", stdout tokens, last stderr line)."""
    try:
        p = subprocess.run([sys.executable, str(path)], input=stdin.replace("\r", ""), capture_output=True,
                           text=True, timeout=10)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "timeout", [], []
    return p.returncode, p.stdout.split(), p.stderr.strip().splitlines()[-1:]


def first_hint(path: Path) -> dict[str, str] | None:
    r = subprocess.run(["speedhints", "check", "--all", "--min-precision", "0", "--format", "json", path.name],
                       capture_output=True, text=True, cwd=path.parent)  # fmt: skip
    hints = json.loads(r.stdout)["hints"]
    return hints[0] if hints else None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    wanted = int(args[0]) if args else 8
    OUT.mkdir(parents=True, exist_ok=True)
    tests = test_problem_tests()
    seen: set[str] = set()
    with open(ROOT / "work" / "converted.jsonl", encoding="utf-8") as f:
        solutions = [json.loads(line) for line in f]
    for d in solutions:
        if len(seen) >= wanted:
            break
        if d["problem"] not in tests or d["problem"] in seen or not d.get("code"):
            continue
        src = OUT / f"{d['problem']}_{d['id']}.py"
        src.write_text(d["code"], encoding="utf-8")
        if any(run(src, t["input"])[1] != t["output"].split() for t in tests[d["problem"]][:3]):
            continue  # only solutions that pass their tests as written
        h = first_hint(src)
        if h is None:
            continue
        seen.add(d["problem"])
        lines = d["code"].splitlines(keepends=True)
        start, end = int(h["line"]), int(h["end_line"])
        dst = OUT / f"{d['problem']}_{d['id']}.hinted.py"
        dst.write_text("".join(lines[: start - 1]) + h["suggestion"] + "".join(lines[end:]), encoding="utf-8")
        bad, before, after = [], 0.0, 0.0
        for t in tests[d["problem"]]:
            t0 = time.perf_counter()
            run(src, t["input"])
            t1 = time.perf_counter()
            code, out, err = run(dst, t["input"])
            t2 = time.perf_counter()
            before, after = before + t1 - t0, after + t2 - t1
            if code != 0 or out != t["output"].split():
                bad.append(f"{code} {err or 'wrong output'}")
        changed = [x for x in h["diff"].splitlines() if x[:1] in "+-" and x[:3] not in ("---", "+++")]
        verdict = f"correct on all {len(tests[d['problem']])} tests" if not bad else f"BROKEN: {bad[0]}"
        print(f"{d['problem']}/{d['id']} latent {h['latent']} [{h['label']}] {h['record']}")
        print("   " + " | ".join(changed)[:300])
        print(f"   -> {verdict} (wall {before:.2f} s -> {after:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
