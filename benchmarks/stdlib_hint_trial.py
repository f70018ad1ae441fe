"""As a user would, on library code none of us wrote: apply each hint `speedhints check --all --min-precision 0`
shows on a stdlib module, alone, and run the
module's own stdlib test suite against the hinted copy (put first on sys.path).

Usage: python benchmarks/stdlib_hint_trial.py MODULE ...  (e.g. textwrap shlex; writes copies under /tmp/stdtrial)
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

LIB = Path(os.__file__).parent
out = Path("/tmp/stdtrial")
for mod in sys.argv[1:]:
    src = (LIB / f"{mod}.py").read_text()
    work = out / mod
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    (work / f"{mod}.py").write_text(src)
    r = subprocess.run(["speedhints", "check", "--all", "--no-cache", "--min-precision", "0", "--time-budget", "0",
                        "--format", "json", f"{mod}.py"], cwd=work, capture_output=True, text=True)
    hints = json.loads(r.stdout)["hints"]
    base = subprocess.run([sys.executable, "-m", "unittest", "-q", f"test.test_{mod}"], cwd=work,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(work)})
    print(f"{mod}: {len(hints)} hints; unmodified tests rc {base.returncode}")
    for h in hints:
        lines = src.splitlines(keepends=True)
        assert "".join(lines[h["line"] - 1 : h["end_line"]]) == h["original"]
        new = "".join(lines[: h["line"] - 1]) + h["suggestion"] + "".join(lines[h["end_line"]:])
        (work / f"{mod}.py").write_text(new)
        try:
            t = subprocess.run([sys.executable, "-m", "unittest", "-q", f"test.test_{mod}"], cwd=work,
                               capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(work)})
            verdict = "tests pass" if t.returncode == 0 else "BROKEN: " + (t.stderr.strip().splitlines() or ["?"])[-1]
        except subprocess.TimeoutExpired:
            verdict = "BROKEN: timeout"
        (work / f"{mod}.py").write_text(src)
        diff = [x for x in h["diff"].splitlines() if x[:1] in "+-" and x[:3] not in ("+++", "---")]
        print(f"  {mod}.py:{h['line']} {h['function']} [{h['label']}] -> {verdict}")
        print("     " + " | ".join(diff)[:240])
