"""Edit-script granularity on the real pairs: tokens to decode per target, lines vs statements vs tokens vs programs.

    python benchmarks/bench_editscript.py [--data PATH] [--max-len 256] [--json]

For every pair of training/corpus/pairs.tsv (code rebuilt from the corpus: training/data/pair_code.py) it counts
the tokens the decoder must produce (EOS included) for four targets, all with the project's tokenizer:
- program: the whole fast program y (today's models);
- lines: the edit script of model_export/editscript.py (hunks of whole canonical lines, ``<L s> <L e>`` + lines);
- statements: the same script with every hunk widened to whole statements (a changed ``for`` header takes its body);
- tokens: hunks over token positions (``<T s> <T e>`` + replacement tokens), difflib on the token ids.
and prints the distribution side by side, the ratio to the program, the pointer vocabulary each needs, and the
share of pairs whose target fits ``--max-len`` (the ``cpu`` preset's 256). It measures data, not time.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

from speedhints.model_export.editscript import Hunk, Script, ScriptCodec, apply, diff, split_lines
from speedhints.model_export.tokenizer import CodeTokenizer
from speedhints.training.data.convert import DEFAULT_DATA, DEFAULT_WORK
from speedhints.training.data.pair_code import real_pairs

LOCAL_KEPT = 2 / 3  # a "local edit": the script keeps at least this share of x's lines untouched
TOKENIZER = Path(__file__).resolve().parents[1] / "training" / "corpus" / "tokenizer.json"


def statement_spans(x: str) -> list[tuple[int, int]]:
    """0-based [start, end) line spans of every statement of x (compound statements span their bodies)."""
    try:
        tree = ast.parse(x)
    except SyntaxError:
        return []
    return [(n.lineno - 1, n.end_lineno or n.lineno) for n in ast.walk(tree) if isinstance(n, ast.stmt)]


def statement_unit(spans: list[tuple[int, int]], line: int) -> tuple[int, int]:
    """The statement a changed line belongs to: the one starting there (a ``for`` header takes its whole body),
    else the smallest one containing it (an ``else:`` line belongs to its ``if``)."""
    starting = [s for s in spans if s[0] == line]
    if starting:
        return max(starting, key=lambda s: s[1] - s[0])
    containing = [s for s in spans if s[0] <= line < s[1]]
    return min(containing, key=lambda s: s[1] - s[0]) if containing else (line, line + 1)


def widen_to_statements(x: str, script: Script) -> Script:
    """The script whose hunks replace whole statements of x (a changed statement line takes its whole statement)."""
    spans = statement_spans(x)
    ranges: list[tuple[int, int]] = []
    for h in script:
        s, e = h.start, h.end
        done: set[int] = set()
        while todo := [line for line in range(s, e) if line not in done]:
            for line in todo:  # widening may bring in lines whose own statements reach further
                done.add(line)
                a, b = statement_unit(spans, line)
                s, e = min(s, a), max(e, b)
        ranges.append((s, e))
    merged: list[list[int]] = []
    for s, e in sorted(ranges):
        if merged and s <= merged[-1][1]:  # overlapping or touching: one hunk, as diff() makes them
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    x_lines = split_lines(x)
    out = []
    for s, e in merged:
        lines: list[str] = []
        pos = s
        for h in script:
            if s <= h.start and h.end <= e:
                lines += x_lines[pos : h.start] + list(h.lines)
                pos = h.end
        out.append(Hunk(s, e, tuple(lines + x_lines[pos:e])))
    return Script(tuple(out))


def token_script_len(x_ids: Sequence[int], y_ids: Sequence[int]) -> tuple[int, int]:
    """(tokens of a token-position script, hunks), EOS included."""
    n, hunks = 1, 0
    for tag, _, _, j1, j2 in difflib.SequenceMatcher(None, x_ids, y_ids, autojunk=False).get_opcodes():
        if tag != "equal":
            n += 2 + (j2 - j1)
            hunks += 1
    return n, hunks


def pct(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    return float(s[min(len(s) - 1, int(q * (len(s) - 1)))])


def measure(pairs: list[tuple[str, str]], codec: ScriptCodec, max_len: int) -> dict[str, object]:
    tok = codec.tokenizer
    rows: dict[str, list[int]] = {"program": [], "lines": [], "statements": [], "tokens": []}
    hunks: dict[str, list[int]] = {"lines": [], "statements": [], "tokens": []}
    x_lines, x_tokens, unchanged_share = [], [], []
    for x, y in pairs:
        x_ids, y_ids = tok.encode(x), tok.encode(y)
        script = diff(x, y)
        wide = widen_to_statements(x, script)
        assert apply(x, wide) == y
        rows["program"].append(len(y_ids) + 1)
        rows["lines"].append(len(codec.encode_script(x, script)) + 1)
        rows["statements"].append(len(codec.encode_script(x, wide)) + 1)
        t_len, t_hunks = token_script_len(x_ids, y_ids)
        rows["tokens"].append(t_len)
        hunks["lines"].append(len(script))
        hunks["statements"].append(len(wide))
        hunks["tokens"].append(t_hunks)
        n = len(split_lines(x))
        x_lines.append(n)
        x_tokens.append(len(x_ids))
        unchanged_share.append(1 - sum(h.end - h.start for h in script) / max(1, n - 1))
    program = rows["program"]
    local = [i for i, kept in enumerate(unchanged_share) if kept >= LOCAL_KEPT]
    out: dict[str, object] = {"pairs": len(pairs), "max_len": max_len,
                              "x_lines_p50_p99_max": [pct(x_lines, .5), pct(x_lines, .99), max(x_lines)],
                              "x_tokens_p50_p99_max": [pct(x_tokens, .5), pct(x_tokens, .99), max(x_tokens)],
                              "x_lines_kept_median": round(statistics.median(unchanged_share), 3),
                              "local_pairs": len(local)}
    for name, vals in rows.items():
        ratios = [v / p for v, p in zip(vals, program, strict=True)]
        # what the target needs to exist: the tokens to fit max_len (BOS too), and its pointers to have tokens
        pointers = {"program": 0, "lines": max(x_lines) + 1, "statements": max(x_lines) + 1,
                    "tokens": max(x_tokens) + 1}[name]
        out[name] = {
            "mean": round(statistics.fmean(vals), 1), "p50": pct(vals, .5), "p90": pct(vals, .9),
            "p99": pct(vals, .99), "ratio_to_program_median": round(statistics.median(ratios), 3),
            "shorter_than_program": round(sum(r < 1 for r in ratios) / len(ratios), 3),
            "fits_max_len": round(sum(v + 1 <= max_len for v in vals) / len(vals), 3),
            "pointer_tokens_for_all": pointers,
        }
        out[name]["local_ratio_median"] = round(statistics.median(ratios[i] for i in local), 3) if local else None  # type: ignore[index]
        if name in hunks:
            out[name]["hunks_p50_p90"] = [pct(hunks[name], .5), pct(hunks[name], .9)]  # type: ignore[index]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--limit", type=int, default=None, help="measure only the first N pairs")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"error: {args.data}: corpus not found (pass --data)", file=sys.stderr)
        return 2
    pairs, missing = real_pairs(args.data, work=args.work)
    pairs = pairs[: args.limit] if args.limit else pairs
    result = measure(pairs, ScriptCodec(CodeTokenizer.load(TOKENIZER)), args.max_len)
    result["pairs_without_code"] = missing
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['pairs']} real pairs ({missing} without code); "
          f"x lines p50/p99/max {result['x_lines_p50_p99_max']}, "
          f"x tokens p50/p99/max {result['x_tokens_p50_p99_max']}; median share of x's lines kept "
          f"{result['x_lines_kept_median']}")
    print(f"{result['local_pairs']} local pairs (>= {LOCAL_KEPT:.0%} of x's lines kept)")
    print(f"{'target':11} {'mean':>7} {'p50':>6} {'p90':>6} {'p99':>6} {'/program':>9} {'local':>7} {'shorter':>8} "
          f"{'fits ' + str(args.max_len):>9} {'pointers':>9} {'hunks p50/p90':>14}")
    for name in ("program", "lines", "statements", "tokens"):
        r = result[name]
        assert isinstance(r, dict)
        print(f"{name:11} {r['mean']:7.1f} {r['p50']:6.0f} {r['p90']:6.0f} {r['p99']:6.0f} "
              f"{r['ratio_to_program_median']:8.3f}x {r['local_ratio_median']:6.3f}x "
              f"{r['shorter_than_program']:8.1%} {r['fits_max_len']:9.1%} "
              f"{r['pointer_tokens_for_all']:9} {str(r.get('hunks_p50_p90', '-')):>14}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
