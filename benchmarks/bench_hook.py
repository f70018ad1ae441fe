"""Cold-process wall time of ``speedhints check`` on a commit touching one 40-line function and on one touching 20,
and of ``speedhints check --all`` on a whole 2,000-line module.

Every figure is a fresh ``python`` process run by ``git``-like callers (what pre-commit does), median of N runs, all
measured in this one run so they can be compared as ratios on a shared, noisy machine.

The real thing is the installed ``speedhints check`` with the model bundle shipped in the package (onnxruntime,
top-4 latents per touched function, ``--min-precision 0`` so every one of them is decoded whatever its measured
precision: the cost of the model, not of the gate), with a cold and a warm hint cache. To split its time, the model
is also replaced in-process by:
- ``null``: a suggester that returns nothing: the hook's own overhead (start-up, git, parsing, regions, cache);
- ``rule``: the tests' rule double (tests/test_hook_doubles.py), which parses and rewrites like a cheap model.

Whole file (issue #15 item 5, target: at most 3 s on one core with the default settings): ``--all`` on a real module
of the running Python's standard library (difflib.py, 2,056 lines in 3.11; ``--module`` picks another), cold
process and cache, with the default settings, with ``--min-precision 0`` (every top-k latent decoded, within the
default 5 s budget) and with ``--min-precision 0 --time-budget 0`` (the whole model cost); CPU seconds beside the wall
time (the machine is shared), each median wall time as a ratio of the 3 s target, and from the JSON output how many
regions were left unchecked and how many hints were shown; ``--large-mb 5`` adds a 5 MB file (the module repeated,
size limit raised), whose parsing the time budget covers. ``--baseline REF`` runs the same cases, in the same run,
with the code of commit REF (its tree extracted and imported from there), so before and after are compared side by
side. ``--one-core`` runs every case under ``taskset -c 0``.

    python benchmarks/bench_hook.py [--runs 7] [--json]
    python benchmarks/bench_hook.py --only whole-file --runs 3 --one-core [--baseline REF] [--large-mb 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parents[1]
TARGET_ONE_FUNCTION_S = 0.6
TARGET_WHOLE_FILE_S = 3.0  # issue #15 item 5: ``check --all`` on a 2,000-line module, one core, default settings
# The default settings (the shipped atlas's gate at min-precision 0.5 refuses every latent, so nothing is decoded);
# every top-k latent decoded within the default 5 s budget; and the same with no budget: the whole model cost.
WHOLE_FILE_SETTINGS: list[tuple[str, list[str]]] = [
    ("default settings", []),
    ("--min-precision 0", ["--min-precision", "0"]),
    ("--min-precision 0 --time-budget 0", ["--min-precision", "0", "--time-budget", "0"]),
]

RUNNER = """\
import sys
sys.path.insert(0, {tests!r})
from speedhints.hook import suggester

class NullSuggester:
    def suggest(self, path, source, changed, *, top_k=4):
        return []

if sys.argv[1] == "rule":
    from test_hook_doubles import RuleSuggester as make
else:
    make = NullSuggester
suggester.load_suggester = lambda bundle_path, **_: suggester.LoadedSuggester(sys.argv[1], make)
from speedhints.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


def function(i: int, variant: str = "") -> str:
    """A realistic 40-line function (loops, a membership test against a list, string building)."""
    body = [
        f"def process_batch_{i}(records, allowed_ids, threshold=10):",
        f'    """Filter and summarise batch {i}{variant}."""',
        "    allowed = [a for a in allowed_ids]",
        "    kept = []",
        "    totals = {}",
        "    for record in records:",
        "        if record['id'] in allowed and record['value'] > threshold:",
        "            kept.append(record)",
        "            key = record.get('group', 'none')",
        "            totals[key] = totals.get(key, 0) + record['value']",
    ]
    for j in range(10):
        body += [
            f"    if len(kept) > {j * 3}:",
            f"        totals['step_{j}'] = sum(r['value'] for r in kept[: {j + 1}])",
        ]
    body += [
        "    report = ''",
        "    for key in sorted(totals):",
        "        report += f'{key}: {totals[key]}\\n'",
        "    for i in range(len(kept)):",
        "        kept[i] = dict(kept[i], rank=i)",
    ]
    while len(body) < 39:
        body.append("    assert isinstance(report, str)")
    body.append("    return kept, totals, report")
    return "\n".join(body) + "\n\n\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_commit(root: Path, changed: int) -> Path:
    """A repository with 20 committed functions, ``changed`` of them modified and staged."""
    repo = root / f"repo-{changed}"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "bench@example.com")
    git(repo, "config", "user.name", "bench")
    (repo / "batches.py").write_text("".join(function(i) for i in range(20)))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "batches.py").write_text("".join(function(i, " (edited)" if i < changed else "") for i in range(20)))
    git(repo, "add", "-A")
    return repo


def time_runs(
    argv: list[str], cwd: Path, runs: int, env: dict[str, str], before: list[str] | None = None
) -> list[tuple[float, float]]:
    """(wall seconds, CPU seconds of the process and its children such as git) per run."""
    times = []
    for _ in range(runs):
        if before:
            subprocess.run(before, cwd=cwd, env=env, capture_output=True, check=False)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((wall, after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime))
        if proc.returncode != 0:
            raise SystemExit(f"{argv} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return times


PACKAGE_DIRS = {"speedhints": "cli", "speedhints/hook": "hook", "speedhints/bot": "bot",
                "speedhints/model_export": "model_export", "speedhints/training": "training"}  # pyproject's package-dir
WHOLE_FILE_RUNNER = "import sys; from speedhints.cli import main; raise SystemExit(main(sys.argv[1:]))"


def importable_tree(root: Path, ref: str | None) -> Path:
    """The speedhints package of commit ``ref`` (None: this working tree), laid out to import from ``root``."""
    src = root / "src"
    if ref is None:
        src = CHECKOUT
    else:
        src.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", ref], cwd=CHECKOUT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    out = root / "pkg"
    for package, folder in PACKAGE_DIRS.items():
        shutil.copytree(src / folder, out / package, ignore=shutil.ignore_patterns("__pycache__"))
    return out


def whole_file_cases(
    root: Path, args: argparse.Namespace, env: dict[str, str]
) -> list[tuple[str, list[tuple[float, float]], dict[str, Any]]]:
    """``check --all MODULE`` with each of WHOLE_FILE_SETTINGS, for this tree and the baseline."""
    module = Path(sysconfig.get_paths()["stdlib"]) / args.module
    repo = root / "whole"
    repo.mkdir()
    shutil.copy(module, repo / module.name)
    lines = len(module.read_text(encoding="utf-8").splitlines())
    pin = ["taskset", "-c", "0"] if args.one_core and shutil.which("taskset") else []
    trees = [("this tree", importable_tree(root / "head", None))]
    if args.baseline:
        trees.insert(0, (f"baseline {args.baseline}", importable_tree(root / "base", args.baseline)))
    rows = []
    for name, tree in trees:
        tree_env = {**env, "PYTHONPATH": str(tree)}
        where = subprocess.run([sys.executable, "-c", "import speedhints; print(speedhints.__file__)"],
                               env=tree_env, capture_output=True, text=True, check=True).stdout.strip()
        if not where.startswith(str(tree)):
            raise SystemExit(f"{name}: imported {where}, not the tree under test")
        for label, extra in WHOLE_FILE_SETTINGS:
            argv = [*pin, sys.executable, "-c", WHOLE_FILE_RUNNER, "check", "--all", "--no-cache", "--format", "json",
                    *extra, module.name]
            times = time_runs(argv, repo, args.runs, tree_env)
            payload = json.loads(subprocess.run(argv, cwd=repo, env=tree_env, capture_output=True, check=True).stdout)
            info = {k: payload.get(k) for k in ("regions", "unchecked", "dropped")}
            info["hints"] = len(payload.get("hints", []))
            rows.append((f"{name}: --all {module.name} ({lines} lines), {label}", times, info))
    if args.large_mb:
        big = repo / "large.py"
        big.write_text(large_module(module.read_text(encoding="utf-8"), int(args.large_mb * 1_000_000)))
        for name, tree in trees:
            tree_env = {**env, "PYTHONPATH": str(tree)}
            argv = [*pin, sys.executable, "-c", WHOLE_FILE_RUNNER, "check", "--all", "--no-cache", "--format", "json",
                    "--max-file-size", str(big.stat().st_size), big.name]
            times = time_runs(argv, repo, args.runs, tree_env)
            payload = json.loads(subprocess.run(argv, cwd=repo, env=tree_env, capture_output=True, check=True).stdout)
            info = {k: payload.get(k) for k in ("regions", "unchecked", "dropped")}
            info["hints"] = len(payload.get("hints", []))
            info["unread"] = payload.get("unread")
            size = f"{big.stat().st_size / 1e6:.1f} MB, {module.name} repeated"
            rows.append((f"{name}: --all large.py ({size}), default settings, size limit raised", times, info))
    return rows


def large_module(text: str, size: int) -> str:
    """``text`` repeated to ``size`` characters, each copy's top-level functions and classes renamed (c3_name)."""
    parts: list[str] = []
    total = 0
    while total < size:
        n = len(parts)
        parts.append(text.replace("\ndef ", f"\ndef c{n}_").replace("\nclass ", f"\nclass c{n}_"))
        total += len(parts[-1])
    return "".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", choices=["commit", "whole-file"], default=None, help="Run one group of cases.")
    parser.add_argument("--module", default="difflib.py", help="Standard-library module for the whole-file case.")
    parser.add_argument("--baseline", metavar="REF", help="Also run the whole-file case with commit REF's code.")
    parser.add_argument("--one-core", action="store_true", help="Run the whole-file case under taskset -c 0.")
    parser.add_argument("--large-mb", type=float, default=0.0,
                        help="Also check --all a file of this many MB (the module repeated), size limit raised.")
    args = parser.parse_args()
    if args.only in (None, "commit"):
        report_commit(args)
    if args.only in (None, "whole-file"):
        report_whole_file(args)
    return 0


def report_commit(args: argparse.Namespace) -> int:

    py = sys.executable
    speedhints = shutil.which("speedhints", path=str(Path(py).parent)) or "speedhints"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "SPEEDHINTS_"))}
    rows: list[tuple[str, list[tuple[float, float]]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runner = root / "runner.py"
        runner.write_text(RUNNER.format(tests=str(CHECKOUT / "tests")))
        one, twenty = make_commit(root, 1), make_commit(root, 20)
        clear_cache = [py, "-c", "import shutil; shutil.rmtree('.git/speedhints-cache', ignore_errors=True)"]

        rows.append(("python -c pass (interpreter floor)", time_runs([py, "-c", "pass"], one, args.runs, env)))
        rows.append(("speedhints --version", time_runs([speedhints, "--version"], one, args.runs, env)))
        for label, repo in (("1 function", one), ("20 functions", twenty)):
            shipped = [speedhints, "check", "--min-precision", "0"]
            rows.append((f"{label}, shipped model, cold cache",
                         time_runs(shipped, repo, args.runs, env, before=clear_cache)))
            # At the default gate no latent of the shipped model is decoded: what a user pays today.
            rows.append((f"{label}, shipped model, default settings, cold cache",
                         time_runs([speedhints, "check"], repo, args.runs, env, before=clear_cache)))
            rows.append((f"{label}, shipped model, warm cache", time_runs(shipped, repo, args.runs, env)))
            for model in ("null", "rule"):
                cmd = [py, str(runner), model, "check"]
                rows.append(
                    (f"{label}, {model} model, cold cache", time_runs(cmd, repo, args.runs, env, before=clear_cache))
                )
            subprocess.run([py, str(runner), "rule", "check"], cwd=repo, env=env, capture_output=True, check=True)
            rows.append(
                (
                    f"{label}, rule model, warm cache",
                    time_runs([py, str(runner), "rule", "check"], repo, args.runs, env),
                )
            )

    floor = statistics.median(w for w, _ in rows[0][1])
    result: list[dict[str, Any]] = [
        {
            "case": name,
            "median_s": statistics.median(w for w, _ in t),
            "min_s": min(w for w, _ in t),
            "cpu_median_s": statistics.median(c for _, c in t),
            "x_interpreter": statistics.median(w for w, _ in t) / floor,
        }
        for name, t in rows
    ]
    one_fn = next(r for r in result if r["case"] == "1 function, shipped model, cold cache")
    load = os.getloadavg()[0]  # wall times on a shared machine stretch with load; CPU seconds much less
    verdict = "meets" if one_fn["median_s"] <= TARGET_ONE_FUNCTION_S else "misses"
    if args.json:
        print(json.dumps({"runs": args.runs, "cpus": os.cpu_count(), "load": load, "results": result}, indent=2))
        return 0
    print(f"speedhints check, cold processes, median of {args.runs} runs ({os.cpu_count()} CPUs, load {load:.1f})")
    print(f"{'case':52} {'median s':>9} {'min s':>7} {'cpu s':>7} {'x python':>9}")
    for r in result:
        print(
            f"{r['case']:52} {r['median_s']:9.3f} {r['min_s']:7.3f} {r['cpu_median_s']:7.3f} {r['x_interpreter']:9.1f}"
        )
    print(
        f"a commit touching one 40-line function, shipped model, cold process and cache: {one_fn['median_s']:.3f} s "
        f"median wall, {verdict} the {TARGET_ONE_FUNCTION_S} s target"
    )
    return 0


def report_whole_file(args: argparse.Namespace) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "SPEEDHINTS_"))}
    with tempfile.TemporaryDirectory() as tmp:
        rows = whole_file_cases(Path(tmp), args, env)
    result = [
        {
            "case": name,
            "median_s": statistics.median(w for w, _ in t),
            "min_s": min(w for w, _ in t),
            "cpu_median_s": statistics.median(c for _, c in t),
            **info,
        }
        for name, t, info in rows
    ]
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"runs": args.runs, "cpus": os.cpu_count(), "load": load, "results": result}, indent=2))
        return 0
    print(f"speedhints check --all, cold processes and cache, median of {args.runs} runs "
          f"({os.cpu_count()} CPUs, load {load:.1f}{', pinned to core 0' if args.one_core else ''})")
    print(f"{'case':92} {'median s':>9} {'min s':>7} {'cpu s':>7} {'/ 3 s':>6} {'unchecked':>10} {'hints':>5}")
    for r in result:
        print(f"{r['case']:92} {r['median_s']:9.2f} {r['min_s']:7.2f} {r['cpu_median_s']:7.2f} "
              f"{r['median_s'] / TARGET_WHOLE_FILE_S:5.2f}x {r['unchecked']:>4} of {r['regions']:<3} {r['hints']:>5}"
              + (f"  unread: {', '.join(r['unread'])}" if r.get("unread") else ""))
    if args.baseline:
        n = len(WHOLE_FILE_SETTINGS)
        pairs = list(zip(result[:n], result[n : 2 * n], strict=True))
        if args.large_mb:
            pairs.append((result[-2], result[-1]))
        for before, after in pairs:
            label = after["case"].split(": ", 1)[1]
            print(f"{label}: this tree / baseline = {after['median_s'] / before['median_s']:.2f}x wall, "
                  f"{after['cpu_median_s'] / before['cpu_median_s']:.2f}x CPU")
    for r in result:
        if r.get("dropped"):
            print(f"{r['case']}: dropped {r['dropped']}")
    for r in result:
        if r["case"].startswith("this tree: ") and r["case"].endswith(", default settings"):
            verdict = "meets" if r["median_s"] <= TARGET_WHOLE_FILE_S else "misses"
            print(f"{r['case']}: {r['median_s']:.2f} s median wall, {r['median_s'] / TARGET_WHOLE_FILE_S:.2f}x the "
                  f"{TARGET_WHOLE_FILE_S:g} s target: {verdict} it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
