"""``speedhints data convert``: the corpus's Python 2 solutions to Python 3, with fissix (a maintained lib2to3 fork).

Each solution keeps its id. Three repairs beyond fissix's default fixers (the explicit-only ones such as
``idioms`` stay off, as with ``2to3``), each recorded on the solution so the verify stage can judge it:

- Python 2 ``/`` between ints is floor division. lib2to3 has no fixer for it because it cannot know the types.
  When a solution shows no sign of floats (no float literal, ``float(``, float-valued ``math`` functions,
  ``%f``, ``round(``, no ``from __future__ import division``) every ``/`` becomes ``//`` (reason
  ``division=floor``); otherwise it stays. A wrong guess only costs that solution: it fails its tests and is
  dropped. (On the first 5,400 verified solutions: 97 % of the floored ones pass, 74 % of those kept as true
  division; plain ``math`` as evidence had cost ~1 in 3 of its solutions, hence the narrower rule.)
- Tabs in indentation count to the next multiple of 8 in Python 2; Python 3 rejects inconsistent mixes. On a
  ``TabError`` the leading whitespace is expanded exactly as Python 2 read it.
- The result must compile under Python 3, else the solution is recorded as failed with the reason.

Output: one JSON line per solution in ``<out>/converted.jsonl``, written to a temporary file and renamed, so a
killed run never leaves a half-written file behind. The converted code is derived from the data set: it stays in
the git-ignored work directory and is never committed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import sys
import time
import tokenize
import warnings
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

from speedhints.extras import needs
from speedhints.paths import default_data, default_work

# The checkout's root, or the installed speedhints/ folder: either way REPO_ROOT / "training" / "corpus" holds the
# committed tables (package data). Never a place to write work: that defaults to the current directory.
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = default_data()  # ../shared/data/codeforces_python.jsonl.gz, or $SPEEDHINTS_DATA
DEFAULT_WORK = default_work()  # work, or $SPEEDHINTS_WORK
MIN_SOLUTIONS = 20  # the corpus: problems with >= 20 solutions and >= 1 untruncated test

_FLOAT_EVIDENCE = re.compile(
    r"\d\.\d|\d\.(?!\w)|(?<![\w.])\.\d|\d[eE]-?\d|\bfloat\s*\(|\bsqrt\b|%\d*\.?\d*f|\{[^}]*:\.?\d*f\}|"
    # math's float-valued names only: math.ceil(a / b) on ints meant floor-then-ceil in Python 2
    r"\bmath\.(?:log\w*|exp|pi|e|sin|cos|tan|asin|acos|atan2?|hypot|pow|fabs|radians|degrees)\b|"
    r"\bfrom\s+math\s+import\s+\*|"
    r"\bround\s*\(|\bfrom\s+__future__\s+import\s+.*division|\bdecimal\b|\bFraction\b|\bpi\b|\blog\b"
)


@dataclass(frozen=True)
class Converted:
    problem: str
    id: str
    code: str | None  # Python 3 source, None when conversion failed
    sha256: str  # of `code` ("" when failed): the verify/measure caches key on it
    status: str  # "ok" | "failed"
    reason: str  # why it failed, or which repairs were applied ("", "division=floor", "tabs", ...)


def read_problems(path: Path) -> Iterator[dict[str, object]]:
    """One problem per line of the gzipped JSONL data set."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def untruncated_tests(problem: dict[str, object]) -> list[dict[str, object]]:
    tests: list[dict[str, object]] = problem["tests"]  # type: ignore[assignment]
    return [t for t in tests if not t.get("truncated")]


def is_eligible(problem: dict[str, object]) -> bool:
    return len(problem["solutions"]) >= MIN_SOLUTIONS and bool(untruncated_tests(problem))  # type: ignore[arg-type]


def read_eligible_problems(
    path: Path, only: set[str] | None = None, limit: int | None = None
) -> Iterator[dict[str, object]]:
    """The eligible problems of the data set (``is_eligible``), in its order: only those named in ``only`` when
    given, and at most the first ``limit`` of them."""
    n = 0
    for problem in read_problems(path):
        if not is_eligible(problem) or (only is not None and str(problem["problem"]) not in only):
            continue
        yield problem
        n += 1
        if limit is not None and n >= limit:
            return


def code_sha256(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogateescape")).hexdigest()


_TOOL = None


def _refactoring_tool() -> Any:
    global _TOOL
    if _TOOL is None:
        from fissix.refactor import RefactoringTool, get_fixers_from_package

        # explicit=None: fixers marked explicit (buffer, idioms, set_literal, ws_comma) are skipped, as in 2to3
        _TOOL = RefactoringTool(get_fixers_from_package("fissix.fixes"))
    return _TOOL


def expand_indent_tabs(source: str) -> str:
    """Expand tabs in leading whitespace the way Python 2's tokenizer counted them (to multiples of 8)."""
    out = []
    for line in source.splitlines(keepends=True):
        stripped = line.lstrip(" \t")
        indent = line[: len(line) - len(stripped)]
        out.append(indent.expandtabs(8) + stripped if "\t" in indent else line)
    return "".join(out)


def floor_divisions(source: str) -> str:
    """Every `/` and `/=` operator becomes `//` and `//=` (found with tokenize, so strings are left alone)."""
    spots = [
        tok.start
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.OP and tok.string in ("/", "/=")
    ]
    if not spots:
        return source
    lines = source.splitlines(keepends=True)
    for row, col in reversed(spots):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + "/" + line[col:]  # "/" -> "//", "/=" -> "//="
    return "".join(lines)


_USES_REDUCE = re.compile(r"(?<![\w.])reduce\s*\(")
_DEFINES_REDUCE = re.compile(r"\bimport\b.*\breduce\b|\bdef\s+reduce\b|^\s*reduce\s*=", re.M)


def import_reduce(code: str) -> str:
    """fissix's reduce fixer is skipped when another fixer rewrote the enclosing node first (e.g. `.items()`
    inside `reduce(...)`), leaving a NameError. Add the import it would have added, after any __future__ line."""
    if not _USES_REDUCE.search(code) or _DEFINES_REDUCE.search(code):
        return code
    return _insert_import(code, "from functools import reduce")


_FRACTIONS_IMPORT = re.compile(r"^(\s*)from fractions import (.*)$", re.M)


def _insert_import(code: str, line: str) -> str:
    """Add `line` at the top of the module, after any __future__ import."""
    lines = code.splitlines(keepends=True)
    at = 0
    for i, existing in enumerate(lines):
        if existing.startswith("from __future__"):
            at = i + 1
    lines.insert(at, line + "\n")
    return "".join(lines)


def import_gcd_from_math(code: str) -> str:
    """`fractions.gcd` was removed in Python 3.9 (no fissix fixer): use `math.gcd`, which agrees on the
    non-negative arguments these solutions pass."""

    def fix_from(m: re.Match[str]) -> str:
        names = [n.strip() for n in m.group(2).split(",")]
        if "gcd" not in names:
            return m.group(0)
        rest = [n for n in names if n != "gcd"]
        out = f"{m.group(1)}from math import gcd"
        return out + (f"\n{m.group(1)}from fractions import {', '.join(rest)}" if rest else "")

    code = _FRACTIONS_IMPORT.sub(fix_from, code)
    if re.search(r"\bfractions\.gcd\b", code):
        code = re.sub(r"\bfractions\.gcd\b", "math.gcd", code)
        if not re.search(r"^\s*import math\b", code, re.M):
            code = _insert_import(code, "import math")
    return code


def convert_source(source: str) -> tuple[str | None, str]:
    """Python 2 source -> (Python 3 source or None, reason / repairs applied)."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    if not source.endswith("\n"):
        source += "\n"
    repairs = []
    tool = _refactoring_tool()
    try:
        code = str(tool.refactor_string(source, "solution"))
    except Exception as exc:  # fissix raises ParseError and friends on invalid Python 2
        try:
            code = str(tool.refactor_string(expand_indent_tabs(source), "solution"))
            repairs.append("tabs")
        except Exception:
            return None, f"fissix: {type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning ("is" with a literal) is not our business
        try:
            compile(code, "solution.py", "exec")
        except TabError:
            code = expand_indent_tabs(code)
            repairs.append("tabs")
        except SyntaxError as exc:
            return None, f"py3 syntax: {exc.msg} (line {exc.lineno})"
        for repair, fix in (("reduce", import_reduce), ("gcd", import_gcd_from_math)):
            fixed = fix(code)
            if fixed != code:
                code = fixed
                repairs.append(repair)
        if not _FLOAT_EVIDENCE.search(source):
            try:
                floored = floor_divisions(code)
            except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
                return None, f"tokenize: {exc}"
            if floored != code:
                code = floored
                repairs.append("division=floor")
        try:
            compile(code, "solution.py", "exec")
        except SyntaxError as exc:
            return None, f"py3 syntax: {exc.msg} (line {exc.lineno})"
    return code, ",".join(repairs)


def _convert_one(job: tuple[str, str, str]) -> Converted:
    problem, sid, source = job
    code, reason = convert_source(source)
    if code is None:
        return Converted(problem, sid, None, "", "failed", reason)
    return Converted(problem, sid, code, code_sha256(code), "ok", reason)


def convert_dataset(data: Path, out: Path, problems: int | None = None, workers: int = 2, echo=print) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Convert every solution of the eligible problems (the first `problems` of them if given)."""
    jobs: list[tuple[str, str, str]] = []
    n_problems = 0
    for problem in read_eligible_problems(data, limit=problems):
        n_problems += 1
        sols: list[dict[str, str]] = problem["solutions"]  # type: ignore[assignment]
        jobs += [(str(problem["problem"]), str(s["id"]), str(s["code"])) for s in sols]
    out.mkdir(parents=True, exist_ok=True)
    target = out / "converted.jsonl"
    tmp = target.with_suffix(".jsonl.tmp")
    counts = {"problems": n_problems, "solutions": len(jobs), "ok": 0, "failed": 0}
    t0 = time.perf_counter()
    with open(tmp, "w", encoding="utf-8") as f:
        if workers > 1 and len(jobs) > 200:
            with ProcessPoolExecutor(workers) as pool:
                results: Iterator[Converted] = pool.map(_convert_one, jobs, chunksize=64)
                _write(results, f, counts, len(jobs), t0, echo)
        else:
            _write(map(_convert_one, jobs), f, counts, len(jobs), t0, echo)
    os.replace(tmp, target)
    return counts


def _write(results: Iterator[Converted], f, counts: dict[str, int], total: int, t0: float, echo) -> None:  # type: ignore[no-untyped-def]
    for i, c in enumerate(results, 1):
        f.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
        counts[c.status] += 1
        if i % 2000 == 0:
            echo(f"converted {i}/{total} ({i / (time.perf_counter() - t0):.0f}/s), failed {counts['failed']}")


def load_converted(work: Path) -> list[Converted]:
    path = work / "converted.jsonl"
    with open(path, encoding="utf-8") as f:
        return [Converted(**json.loads(line)) for line in f]


@click.command("convert")
@click.option("--data", type=click.Path(path_type=Path), default=DEFAULT_DATA, show_default=True)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=DEFAULT_WORK,
    show_default=True,
    help="work directory (git-ignored)",
)
@click.option("--problems", type=click.IntRange(min=1), default=None, help="only the first N eligible problems")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
def convert_command(data: Path, out: Path, problems: int | None, workers: int) -> int:
    """Convert the data set's Python 2 solutions to Python 3 (fissix), into WORK/converted.jsonl."""
    needs("fissix")
    if not data.is_file():
        click.echo(f"error: data set not found: {data}", err=True)
        return 2
    try:
        counts = convert_dataset(data, out, problems, workers, echo=lambda m: click.echo(m, err=True))
    except (OSError, ValueError, EOFError) as exc:  # unreadable or corrupt data set
        click.echo(f"error: cannot convert {data}: {exc}", err=True)
        return 1
    click.echo(
        f"{counts['problems']} problems, {counts['solutions']} solutions: {counts['ok']} converted, "
        f"{counts['failed']} failed -> {out / 'converted.jsonl'}"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(convert_command.main(standalone_mode=False))
