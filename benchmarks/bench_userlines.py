"""How often a one-line hunk can be laid on real users' lines (model_export/userlines.py), on corpus solutions.

    python benchmarks/bench_userlines.py [--data PATH] [--files 300] [--json]

For the first ``--files`` solutions of the corpus that parse as Python 3 (as their authors wrote them: comments,
blank lines, ``a, b = 1, 2; c = 3``, tabs), every region (regions.py), and every non-blank line k of the region's
canonical form, two scripts: replace line k (a simple statement by ``pass``, a header by ``if True:``) and insert a
``pass`` before it. Scripts whose program does not parse (``pass`` before an ``else:``) are skipped. Each other one
goes through ``userlines.place`` (the runtime's path: map, lay, check that the laid lines canonicalise to the
proposed program), and the script prints the share placed and why the rest were not. It measures placement, not
time; no model is involved.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from speedhints.model_export.canonical import CanonicalError, canonicalize, decanonicalize, parse, unparse
from speedhints.model_export.editscript import Hunk, Script, apply, split_lines
from speedhints.model_export.regions import regions
from speedhints.model_export.source import BadInput, check_python3, source_lines
from speedhints.model_export.userlines import NotOnLines, line_spans, place
from speedhints.training.data.convert import DEFAULT_DATA, read_problems


def solutions(data: Path, limit: int) -> list[str]:
    out: list[str] = []
    for problem in read_problems(data):
        sols = problem.get("solutions")
        for sol in sols if isinstance(sols, list) else []:
            code = str(sol.get("code", ""))
            try:
                check_python3(code)
            except BadInput:
                continue
            out.append(code)
            if len(out) == limit:
                return out
    return out


def scripts(x: str) -> list[tuple[str, Script]]:
    lines = split_lines(x)
    out: list[tuple[str, Script]] = []
    for k, line in enumerate(lines):
        if not line.strip():
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        new = indent + ("if True:" if line.rstrip().endswith(":") else "pass")
        out.append(("replace", Script((Hunk(k, k + 1, (new,)),))))
        out.append(("insert", Script((Hunk(k, k, (indent + "pass",)),))))
    return out


def measure(codes: list[str]) -> dict[str, Any]:
    tried: Counter[str] = Counter()
    placed: Counter[str] = Counter()
    why: Counter[str] = Counter()
    regions_seen = regions_mapped = lines_seen = lines_mapped = skipped = 0
    for code in codes:
        lines = source_lines(code)
        try:
            found = regions(code)
        except BadInput:
            continue
        for region in found:
            try:
                canonical = canonicalize(region.code)
            except CanonicalError:
                continue
            regions_seen += 1
            try:
                spans = line_spans(region.code, canonical.code)
            except NotOnLines as exc:
                why[f"region: {exc}"] += 1
                continue
            regions_mapped += 1
            nonblank = [s for s, line in zip(spans, split_lines(canonical.code), strict=True) if line.strip()]
            lines_seen += len(nonblank)
            lines_mapped += sum(s is not None for s in nonblank)
            for kind, script in scripts(canonical.code):
                try:
                    out = unparse(parse(apply(canonical.code, script)))
                    ast.parse(out)
                    restored = decanonicalize(out, canonical)
                except (CanonicalError, SyntaxError):
                    skipped += 1
                    continue
                tried[kind] += 1
                try:
                    place(region, canonical.code, out, restored, lines)
                    placed[kind] += 1
                except NotOnLines as exc:
                    why[_kind_of(str(exc))] += 1
    return {
        "files": len(codes), "regions": regions_seen, "regions_mapped": regions_mapped,
        "canonical_lines": lines_seen, "canonical_lines_with_source": lines_mapped,
        "scripts_skipped_unparsable": skipped,
        **{f"{k}_tried": tried[k] for k in ("replace", "insert")},
        **{f"{k}_placed": placed[k] for k in ("replace", "insert")},
        "not_placed": dict(why.most_common()),
    }


def _kind_of(message: str) -> str:
    """The reason without its line numbers."""
    for part in ("share a line", "would remove a comment", "have no place", "falls inside a line",
                 "do not read as", "overlaps", "prints on other lines", "is not its file lines"):
        if part in message:
            return part
    return message


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    m = measure(solutions(args.data, args.files))
    if args.json:
        print(json.dumps(m, indent=2))
        return 0
    print(f"{m['files']} solutions, {m['regions']} regions ({m['regions_mapped']} mapped line for line); "
          f"{m['canonical_lines_with_source']} of {m['canonical_lines']} canonical lines know their source lines")
    for kind in ("replace", "insert"):
        t, p = m[f"{kind}_tried"], m[f"{kind}_placed"]
        print(f"  {kind:8s} one line: {p} of {t} placed ({p / max(1, t):.1%})")
    print(f"  skipped (program does not parse): {m['scripts_skipped_unparsable']}")
    for reason, n in m["not_placed"].items():
        print(f"  not placed: {n:6d}  {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
