"""Line counts of a solution on a scaled input: does a ``data synth`` edit touch a hot loop or set-up code?

The solution runs once in the sandbox under a ``sys.settrace`` counter, as its ``ast.unparse`` text (the text its
variants are made from, so line numbers agree with theirs). Tracing costs ~10-30x per line, so the counter stops
after ``EVENT_BUDGET`` line events and the program finishes at full speed: the counts describe the first part of the
run, which is where the reading loop and the main loop of a competition solution start. The counts come back on
stderr (the sandbox keeps its tail), the hottest ``MAX_LINES`` lines only.
"""

from __future__ import annotations

import ast
import difflib
import re

EVENT_BUDGET = 300_000
MAX_LINES = 120
MARK = "#SYNTH-LINES "
_COUNTS = re.compile(re.escape(MARK) + r"([0-9:,]*)")

_WRAPPER = """
import sys as _s, threading as _th
_c = {}
_n = [0]
def _t(frame, event, arg):
    if frame.f_code.co_filename != "<solution>":
        return None
    if event == "line":
        _c[frame.f_lineno] = _c.get(frame.f_lineno, 0) + 1
        _n[0] += 1
        if _n[0] >= %(budget)d:
            _s.settrace(None)
            _th.settrace(None)
            frame.f_trace = None
            return None
    return _t
def _report():
    top = sorted(_c.items(), key=lambda kv: -kv[1])[:%(max_lines)d]
    _s.stderr.write("\\n%(mark)s" + ",".join("%%d:%%d" %% kv for kv in top) + "\\n")
    _s.stderr.flush()
_code = compile(%(source)r, "<solution>", "exec")
_s.settrace(_t)
_th.settrace(_t)
try:
    exec(_code, {"__name__": "__main__", "__builtins__": __builtins__})
finally:
    _s.settrace(None)
    try:
        _s.stdout.flush()
    except Exception:
        pass
    _report()
"""


def unparsed(source: str) -> str:
    """The text variants are made from (pessimize.variants unparses the parsed original the same way)."""
    return ast.unparse(ast.parse(source))


def traced_program(source: str, budget: int = EVENT_BUDGET) -> str:
    """A program that runs ``source`` (as ``<solution>``) and reports its line counts on stderr."""
    return _WRAPPER % {"budget": budget, "max_lines": MAX_LINES, "mark": MARK, "source": source}


def parse_counts(stderr_tail: str) -> dict[int, int] | None:
    """Line -> count from a traced run's stderr, or None when the report is not there (the run died)."""
    found = _COUNTS.findall(stderr_tail)
    if not found:
        return None
    counts: dict[int, int] = {}
    for item in found[-1].split(","):
        if item:
            line, count = item.split(":")
            counts[int(line)] = int(count)
    return counts


def touched_lines(original: str, variant: str) -> set[int]:
    """1-based lines of ``original`` that the edit to ``variant`` replaces or deletes, or next to which it inserts
    (both ``ast.unparse`` texts)."""
    a, b = original.splitlines(), variant.splitlines()
    out: set[int] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            out.update(range(i1 + 1, i2 + 1))
        elif tag == "insert":
            out.update(x for x in (i1, i1 + 1) if 1 <= x <= len(a))
    return out


def hits(counts: dict[int, int], original: str, variant: str) -> int:
    """How often the busiest line the edit touches ran (0 when none of them ran in the traced part)."""
    return max((counts.get(line, 0) for line in touched_lines(original, variant)), default=0)
