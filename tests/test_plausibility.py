"""The runtime's static checks: a suggestion must be an edit of the same code with the same interface and no new
effects; each rule refuses what it should and lets a real speed edit through."""

from __future__ import annotations

from speedhints.model_export.canonical import canonicalize
from speedhints.model_export.plausibility import refusal

SLOW = (
    "def common(xs, ys):\n"
    "    out = []\n"
    "    for x in xs:\n"
    "        if x in ys and x not in out:\n"
    "            out.append(x)\n"
    "    return out\n"
)
FAST = (
    "def common(xs, ys):\n"
    "    ys = set(ys)\n"
    "    out = []\n"
    "    for x in xs:\n"
    "        if x in ys and x not in out:\n"
    "            out.append(x)\n"
    "    return out\n"
)


def _why(original: str, suggestion: str) -> str | None:
    return refusal(original, suggestion, canonicalize(original).code, canonicalize(suggestion).code)


def test_a_real_speed_edit_passes() -> None:
    assert _why(SLOW, FAST) is None


def test_a_different_program_is_a_rewrite() -> None:
    other = "def common(xs, ys):\n    return sorted(set(xs) & set(ys), key=xs.index)\n"
    assert _why(SLOW, other) == "a rewrite, not an edit"


def test_the_interface_must_not_change() -> None:
    assert _why(SLOW, FAST.replace("def common(xs, ys)", "def common(xs)")) == "changes the function's interface"
    assert _why(SLOW, FAST.replace("def common", "def common2")) == "changes the function's interface"
    assert _why(SLOW, FAST + "common([], [])\n") == "changes the function's interface"  # a statement added after it
    decorated = "import functools\n@functools.cache\n" + FAST
    assert _why(SLOW, decorated) == "changes the function's interface"


def test_no_new_effects() -> None:
    with_print = FAST.replace("    return out\n", "    print(out)\n    return out\n")
    assert _why(SLOW, with_print) == "new effect: writes output"
    script = "n = int(input())\na = list(map(int, input().split()))\nprint(sum(a))\n"
    assert _why(script, script.replace("int(input())", "eval(input())")) == "new effect: runs dynamic code"
    # Effects the input already had are fine: a faster script may still read input and print.
    faster = "import sys\nn = int(input())\na = list(map(int, input().split()))\nprint(sum(a))\n"
    assert _why(script, faster) is None
    # input() -> sys.stdin.readline is the same effect through a faster channel: a speed edit.
    assert _why(script, "import sys\n" + script.replace("input()", "sys.stdin.readline()", 1)) is None
    reads = "def total(xs):\n    return sum(xs)\n"
    assert _why(reads, "def total(xs):\n    return sum(xs) + int(input())\n") == "new effect: reads stdin"


def test_nothing_to_speed_up_and_broken_input() -> None:
    header = '"""Docs."""\nfrom __future__ import annotations\nimport sys\n'
    assert _why(header, header + "import os\n") == "nothing to speed up"
    assert refusal(SLOW, "def common(:\n", "", "") == "does not parse"


def test_no_new_undefined_names() -> None:
    # The loop variable renamed but still read under its old name: broken, whatever the edit meant.
    broken = SLOW.replace("for x in xs:", "for y in xs:")
    assert _why(SLOW, broken) == "undefined name: x"
    # Names the input already read unbound (globals of the file) stay allowed, as do builtins and imports.
    uses_global = "def scale(xs):\n    return [x * FACTOR for x in xs]\n"
    faster = "def scale(xs):\n    f = FACTOR\n    return [x * f for x in xs]\n"
    assert _why(uses_global, faster) is None
    assert _why(SLOW, FAST.replace("    ys = set(ys)\n", "    import math\n    ys = set(ys)\n")) is None


def test_no_number_used_as_a_container() -> None:
    script = "n = int(input())\na = list(map(int, input().split()))\nseen = []\nfor x in a:\n" \
             "    if x not in seen:\n        seen.append(x)\nprint(len(seen))\n"
    counter = script.replace("seen = []", "seen = 0")
    assert _why(script, counter) == "number as container: seen"
    incremented = counter.replace("        seen.append(x)\n", "        seen = seen + 1\n        seen.append(x)\n")
    assert _why(script, incremented) == "number as container: seen"
    summed = counter.replace("seen = 0", "seen = sum(a)")
    assert _why(script, summed) == "number as container: seen"
    assert _why(script, script.replace("seen = []", "seen = set()").replace(".append", ".add")) is None
    # Numbers used as numbers (attributes of int included) are fine.
    total = "def f(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n"
    assert _why(total, total.replace("return t", "return t.real")) is None
