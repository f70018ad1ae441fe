"""The committed tables of the library corpus, derived from the sdists and the ledger (never the code itself):

- training/corpus/library_functions.tsv: package, version, license, module, qualname, start, end, source sha256;
- training/corpus/library_pairs.tsv: one row per kept (test-verified) variant: package, version, license, module,
  function, family, variant sha256 (of the pessimized function's text), unit sha256 (the original lines), test
  files run, tests passed, timed (no until a timing stage exists), speedup (empty when not timed), split;
- training/corpus/library_testfiles.tsv: which test files pass on the unmodified package (the baseline), run as
  variants first needed them;
- training/corpus/library_stats.json: per family and per package, variants tried / kept / broke / timed out, and
  how often each family applied at function level and what it dropped.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from speedhints.training.data.library.functions import module_files, units_of
from speedhints.training.data.library.ledger import Ledger
from speedhints.training.data.library.sdist import Unpacked

FUNCTION_COLUMNS = ("package", "version", "license", "module", "qualname", "start", "end", "sha256")
PAIR_COLUMNS = (
    "package",
    "version",
    "license",
    "module",
    "function",
    "family",
    "variant_sha",
    "unit_sha",
    "test_files",
    "tests_passed",
    "timed",
    "speedup",
    "split",
)


def _write_tsv(path: Path, columns: Sequence[str], rows: list[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    tmp.replace(path)


def write_functions(packages: Sequence[Unpacked], out: Path) -> int:
    rows = []
    for p in packages:
        for module, path in module_files(p.import_root, p.top_level):
            for u in units_of(module, path.read_text(encoding="utf-8")):
                rows.append((p.pin.name, p.pin.version, p.license, module, u.qualname, u.start, u.end, u.sha))
    _write_tsv(out, FUNCTION_COLUMNS, rows)
    return len(rows)


def write_pairs(ledger: Ledger, packages: Sequence[Unpacked], out: Path, stats_out: Path) -> int:
    """The kept variants as the pair table, and the per-family statistics beside it; returns the pairs written."""
    by_name = {p.pin.name: p for p in packages}
    rows = []
    tried: dict[str, Counter[str]] = defaultdict(Counter)
    per_package: dict[str, Counter[str]] = defaultdict(Counter)
    for package, version, module, qualname, family, vsha, usha, status, files, _sec, _tail in ledger.variants():
        assert isinstance(package, str) and isinstance(family, str) and isinstance(status, str)
        tried[family][status] += 1
        per_package[package][status] += 1
        p = by_name.get(package)
        if status != "kept" or p is None or p.pin.version != version:
            continue
        rows.append(
            (package, version, p.license, module, qualname, family, vsha, usha, files, "yes", "no", "", p.pin.split)
        )
    _write_tsv(out, PAIR_COLUMNS, rows)
    _write_tsv(
        out.with_name("library_testfiles.tsv"),
        ("package", "version", "test_file", "status", "seconds"),
        [(p, v, f, s, f"{sec:.1f}") for p, v, f, s, sec in ledger.all_baseline()],
    )
    applied: dict[str, Counter[str]] = defaultdict(Counter)
    for _package, _version, family, counts in ledger.counts():
        for key, value in counts.items():
            if key == "dropped":
                assert isinstance(value, dict)
                for reason, n in value.items():
                    applied[family][f"dropped: {reason}"] += n
            else:
                assert isinstance(value, int)
                applied[family][key] += value
    stats = {
        "families": {
            f: {"applied": dict(applied[f]), "tested": dict(tried[f])} for f in sorted(set(applied) | set(tried))
        },
        "packages": {name: dict(c) for name, c in sorted(per_package.items())},
        "reach": {f"{p} {status}": n for p, status, n in ledger.reach_counts()},
        "splits": {p.pin.name: p.pin.split for p in packages},
    }
    stats_out.write_text(json.dumps(stats, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return len(rows)
