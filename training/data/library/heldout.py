"""The per-package held-out report (issue 18): what the shipped runtime says about the held-out packages' pessimized
functions, and whether what it says survives the packages' own tests.

For every ``split = heldout`` row of library_pairs.tsv: the variant is made again (its family on the module, the
one whose sha256 is the row's ``variant_sha``) and written into a temporary copy of the unpacked sdist; the hook's
engine (``run_check``, no cache, no time budget) checks the pessimized function's lines as a commit touching
them would, once per setting (the default min-precision and 0). Each shown hint is applied alone to the variant and
the row's test files are run (testrun.run_pytest, timeout max(60 s, 5x the variant's own run)); a hint is
``green`` when they pass, ``broken`` otherwise, and ``restored`` when the hinted function's canonical form equals
the original function's.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from speedhints.hook.cache import HintCache
from speedhints.hook.config import HookConfig
from speedhints.hook.engine import FileToCheck, run_check
from speedhints.hook.suggester import LoadedSuggester
from speedhints.model_export.canonical import CanonicalError, canonicalize
from speedhints.training.data.library.functions import module_files, units_of, walk_units
from speedhints.training.data.library.sdist import Unpacked
from speedhints.training.data.library.substitute import FunctionVariant, function_variants
from speedhints.training.data.library.testrun import run_pytest
from speedhints.training.data.pessimize import family as family_named


@dataclass(frozen=True)
class HeldoutPair:
    package: str
    version: str
    module: str
    function: str
    family: str
    variant_sha: str
    test_files: tuple[str, ...]


def read_pairs(path: Path, split: str) -> list[tuple[HeldoutPair, dict[str, str]]]:
    """The rows of library_pairs.tsv in ``split`` ("train" or "heldout"), each as its pair and the raw row."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [
        (
            HeldoutPair(
                r["package"],
                r["version"],
                r["module"],
                r["function"],
                r["family"],
                r["variant_sha"],
                tuple(r["test_files"].split()),
            ),
            r,
        )  # fmt: skip
        for r in rows
        if r["split"] == split
    ]


def read_heldout_pairs(path: Path) -> list[HeldoutPair]:
    return [pair for pair, _ in read_pairs(path, "heldout")]


def recreate_variant(original: str, pair: HeldoutPair) -> FunctionVariant | None:
    """The pair's variant of the module ``original`` (its family's function-level variant with the row's sha)."""
    for variant in function_variants(original, family_named(pair.family), 16):
        if variant.qualname == pair.function and variant.sha == pair.variant_sha:
            return variant
    return None


def _unit_node(source: str, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    return next((node for name, node in walk_units(tree) if name == qualname), None)


def canonical_function(source: str, qualname: str) -> str | None:
    """The canonical form of unit ``qualname`` of module ``source`` (None: not found, or not canonicalisable)."""
    node = _unit_node(source, qualname)
    if node is None:
        return None
    try:
        return canonicalize(ast.unparse(node)).code
    except (CanonicalError, SyntaxError, RecursionError):
        return None


def apply_hint(source: str, start: int, end: int, original: str, suggestion: str) -> str | None:
    """``source`` with lines start..end (1-based, inclusive) replaced by ``suggestion``; None when those lines are
    not the hint's ``original`` (the hint does not belong to this text)."""
    lines = source.splitlines(keepends=True)
    if "".join(lines[start - 1 : end]) != original:
        return None
    return "".join(lines[: start - 1]) + suggestion + "".join(lines[end:])


ModelFor = Callable[[float], LoadedSuggester]  # min-precision -> the suggester the hook would load


def _shown_hints(model: LoadedSuggester, path: str, text: str, span: tuple[int, int], min_precision: float):  # type: ignore[no-untyped-def]
    config = HookConfig(min_precision=min_precision, time_budget=0.0)
    result = run_check([FileToCheck(path, text, [span])], config, model, HintCache(None))
    hints = [h for h in result.hints if span[0] <= h.start_line <= h.end_line <= span[1]]
    # What the runtime dropped and the settings hid, by reason: why a function got no hint.
    hidden: dict[str, int] = {}
    for report in result.reports:
        for why, n in report.hidden.items():
            hidden[why] = hidden.get(why, 0) + n
    why_not = {"regions": result.regions, "dropped": dict(sorted(result.dropped.items())), "hidden": hidden,
               "skipped": [s.reason for s in result.skipped]}  # fmt: skip
    return hints, why_not


def evaluate_pair(
    package: Unpacked,
    pair: HeldoutPair,
    model_for: ModelFor,
    settings: Sequence[tuple[str, float]],
    log: Callable[[str], None] = print,
    min_timeout: float = 60.0,
    slack: float = 5.0,
    max_timeout: float = 600.0,
) -> dict[str, Any]:
    """One held-out pair's record: the variant's own test run, and per setting every shown hint's verdict."""
    record: dict[str, Any] = {"package": pair.package, "module": pair.module, "function": pair.function,
                              "family": pair.family, "variant_sha": pair.variant_sha,
                              "test_files": list(pair.test_files)}  # fmt: skip
    found = dict(module_files(package.import_root, package.top_level))
    if pair.module not in found:
        return {**record, "status": "module not found"}
    rel = found[pair.module].relative_to(package.root)
    original = found[pair.module].read_text(encoding="utf-8")
    variant = recreate_variant(original, pair)
    if variant is None:
        return {**record, "status": "variant not recreated (no variant with this sha)"}
    target = canonical_function(original, pair.function)
    unit = next((u for u in units_of(pair.module, variant.module_source) if u.qualname == pair.function), None)
    if unit is None or target is None:
        return {**record, "status": "function not found in the variant"}
    span = (unit.start, unit.end)
    with tempfile.TemporaryDirectory(prefix="speedhints-heldout-") as tmp:
        root = Path(tmp) / package.root.name
        shutil.copytree(package.root, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        import_root = root / package.import_root.resolve().relative_to(package.root.resolve())
        module_path = root / rel
        module_path.write_text(variant.module_source, encoding="utf-8")
        files = list(pair.test_files)
        base = run_pytest(root, import_root, files, 300.0)
        record["variant_tests"] = base.status
        record["variant_seconds"] = round(base.seconds, 1)
        if not base.ok:
            log(f"{pair.package} {pair.function}: the variant's own tests {base.status}: {base.tail}")
            return {**record, "status": "variant tests do not pass"}
        timeout = min(max_timeout, max(min_timeout, slack * base.seconds))
        verdicts: dict[str, dict[str, Any]] = {}  # sha of the hinted module -> its test run, shared by settings
        record["status"] = "ok"
        for name, min_precision in settings:
            hints, why_not = _shown_hints(model_for(min_precision), rel.as_posix(), variant.module_source, span,
                                          min_precision)  # fmt: skip
            record[f"{name}_runtime"] = why_not
            out = []
            for h in hints:
                hinted = apply_hint(variant.module_source, h.start_line, h.end_line, h.original, h.suggestion)
                entry: dict[str, Any] = {"latent": h.latent, "label": h.label, "lines": [h.start_line, h.end_line],
                                         "score": round(h.score, 4)}  # fmt: skip
                if hinted is None:
                    out.append({**entry, "tests": "not applied", "green": False, "restored": False})
                    continue
                key = hashlib.sha256(hinted.encode()).hexdigest()
                if key not in verdicts:
                    module_path.write_text(hinted, encoding="utf-8")
                    try:
                        run = run_pytest(root, import_root, files, timeout)
                    finally:
                        module_path.write_text(variant.module_source, encoding="utf-8")
                    verdicts[key] = {"tests": run.status, "green": run.ok,
                                     "restored": canonical_function(hinted, pair.function) == target,
                                     "seconds": round(run.seconds, 1)}  # fmt: skip
                out.append({**entry, **verdicts[key]})
                log(f"{name} {pair.package} {pair.function} latent {h.latent}: tests {verdicts[key]['tests']}, "
                    f"restored {verdicts[key]['restored']}")  # fmt: skip
            record[name] = out
    return record


def summarize(records: Sequence[dict[str, Any]], settings: Sequence[str]) -> dict[str, Any]:
    """Per package and setting: functions (pairs evaluated), shown, shown_tests_green, shown_tests_broken,
    restored (pairs with a shown hint that restores the original), restored_share; plus an ``all`` row."""
    packages = sorted({r["package"] for r in records})
    out: dict[str, Any] = {}
    for name in settings:
        per: dict[str, Any] = {}
        for pkg in [*packages, "all"]:
            mine = [r for r in records if r.get("status") == "ok" and (pkg == "all" or r["package"] == pkg)]
            hints = [h for r in mine for h in r.get(name, [])]
            restored = sum(any(h["restored"] for h in r.get(name, [])) for r in mine)
            per[pkg] = {
                "functions": len(mine),
                "distinct_functions": len({(r["module"], r["function"]) for r in mine}),
                "with_hint": sum(bool(r.get(name)) for r in mine),
                "shown": len(hints),
                "shown_tests_green": sum(h["green"] for h in hints),
                "shown_tests_broken": sum(not h["green"] for h in hints),
                "restored": restored,
                "restored_share": round(restored / len(mine), 4) if mine else 0.0,
            }
        out[name] = per
    return out


def report_markdown(report: dict[str, Any]) -> str:
    lines = ["# Held-out library pairs: what the shipped runtime shows", "",
             f"Pairs: {report['pairs']} held-out rows of `{report['pairs_table']}` "
             f"({report['evaluated']} evaluated); bundle `{report['bundle']}`.", ""]  # fmt: skip
    for name, mp in report["settings"].items():
        lines += [f"## {name} (min-precision {mp})", "",
                  "| package | functions | with a hint | shown | tests green | tests broken | restored |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        for pkg, s in report["summary"][name].items():
            lines.append(f"| {pkg} | {s['functions']} | {s['with_hint']} | {s['shown']} | {s['shown_tests_green']} "
                         f"| {s['shown_tests_broken']} | {s['restored']} |")  # fmt: skip
        lines.append("")
    lines += ["Functions: held-out pairs evaluated (a function with several variants counts once per variant); "
              "restored: pairs with a shown hint whose function's canonical form equals the original's.", "",
              "## Pairs (shown hints; none: what the runtime dropped, by reason)", "",
              "| package | function | family | status | " + " | ".join(report["settings"]) + " |",
              "|---|---|---|---|" + "---|" * len(report["settings"])]  # fmt: skip
    for r in report["records"]:
        cells = []
        for name in report["settings"]:
            hs = r.get(name, [])
            why = r.get(f"{name}_runtime") or {}
            reasons = ", ".join([*(f"{k} {v}" for k, v in why.get("dropped", {}).items()), *why.get("skipped", [])])
            shown = "; ".join(f"latent {h['latent']}: tests {h['tests']}{', restored' if h['restored'] else ''}"
                              for h in hs)  # fmt: skip
            cells.append(shown or f"none ({reasons or 'nothing dropped'})")
        lines.append(f"| {r['package']} | {r['module']}:{r['function']} | {r['family']} | {r['status']} | "
                     + " | ".join(cells) + " |")  # fmt: skip
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(report_markdown(report), encoding="utf-8")


def bundle_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """``evaluation.execution.library_heldout``: the default setting's figures over all held-out packages."""
    s = summary["default"]["all"]
    return {k: s[k] for k in ("functions", "shown", "shown_tests_green", "restored_share")}


def with_library_heldout(evaluation: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any]:
    ev = dict(evaluation)
    execution = dict(ev.get("execution") or {})
    execution["library_heldout"] = figures
    ev["execution"] = execution
    return ev
