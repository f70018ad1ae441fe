"""Canonicalise every .py file of the installed Python standard library and check the canonical form's contract.

For each file that parses: canonical output parses, canonicalisation is idempotent, and decanonicalize(canonicalize(
src)) has the same AST as src without docstrings. Prints files tried, failures by reason, and seconds in all.

    python benchmarks/bench_canonical_stdlib.py [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import sys
import sysconfig
import time
import tokenize
from pathlib import Path

from speedhints.model_export.canonical import CanonicalError, canonicalize, decanonicalize, strip_docstrings


def stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)


def ast_form(tree: ast.AST) -> str:
    # The u'' prefix is a no-op in Python 3 that the canonical form does not keep.
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            node.kind = None
    return ast.dump(tree)


def check_file(path: Path) -> str | None:
    """None when the contract holds, else a short reason."""
    try:
        with tokenize.open(path) as f:  # honours a file's coding cookie, as Python does
            src = f.read()
    except (UnicodeDecodeError, SyntaxError, OSError) as exc:
        return f"unreadable: {type(exc).__name__}"
    try:
        expected = ast_form(strip_docstrings(ast.parse(src)))
    except (SyntaxError, ValueError, RecursionError) as exc:
        return f"not Python 3.{sys.version_info.minor} source: {type(exc).__name__}"
    try:
        canonical = canonicalize(src)
        ast.parse(canonical.code)
        if canonicalize(canonical.code).code != canonical.code:
            return "not idempotent"
        if ast_form(ast.parse(decanonicalize(canonical.code, canonical))) != expected:
            return "round trip changed the AST"
    except CanonicalError as exc:
        return f"CanonicalError: {exc}"
    except (SyntaxError, RecursionError, ValueError) as exc:
        return f"{type(exc).__name__}: {str(exc)[:60]}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    files = stdlib_files()[: args.limit]
    start = time.perf_counter()
    reasons: collections.Counter[str] = collections.Counter()
    examples: dict[str, str] = {}
    total_bytes = 0
    for path in files:
        total_bytes += path.stat().st_size
        reason = check_file(path)
        if reason is not None:
            reasons[reason] += 1
            examples.setdefault(reason, str(path))
    seconds = time.perf_counter() - start
    result = {
        "python": sys.version.split()[0],
        "files": len(files),
        "megabytes": round(total_bytes / 1e6, 1),
        "failures": sum(reasons.values()),
        "reasons": dict(reasons),
        "examples": examples,
        "seconds": round(seconds, 1),
        "ms_per_file": round(1000 * seconds / max(len(files), 1), 2),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"stdlib of Python {result['python']}: {result['files']} files, {result['megabytes']} MB")
        print(f"failures: {result['failures']}")
        for reason, count in reasons.most_common():
            print(f"  {count:5d}  {reason}   e.g. {examples[reason]}")
        print(f"seconds: {result['seconds']} ({result['ms_per_file']} ms/file, all checks included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
