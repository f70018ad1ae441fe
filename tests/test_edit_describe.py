"""Hint labels from the edit itself: each rule on the edit it names, the generic fallback, and no rule firing on an
edit that does something else."""

from __future__ import annotations

import pytest

from speedhints.model_export.edit_describe import changed_lines, describe_edit

MEMBERSHIP = "def f(names, allowed):\n    kept = []\n    for n in names:\n        if n in allowed:\n" \
             "            kept.append(n)\n    return kept\n"  # fmt: skip


@pytest.mark.parametrize(
    ("original", "suggestion", "label"),
    [
        (MEMBERSHIP, MEMBERSHIP.replace("    kept = []\n", "    allowed = set(allowed)\n    kept = []\n"),
         "allowed -> set for membership test in loop"),  # fmt: skip
        ("xs = [1, 2]\nfor i in range(9):\n    if i in xs:\n        print(i)\n",
         "xs = {1, 2}\nfor i in range(9):\n    if i in xs:\n        print(i)\n",
         "list -> set for membership test in loop"),
        ("for i in range(9):\n    x = len(a)\n    print(a[i] * x)\n",
         "n = len(a)\nfor i in range(9):\n    x = n\n    print(a[i] * x)\n", "hoists len(a) out of the loop"),
        ("n = int(input())\na = input().split()\n",
         "import sys\ninput = sys.stdin.readline\nn = int(input())\na = input().split()\n",
         "replaces input() with sys.stdin.readline"),
        ("n = int(input())\n", "import sys\nn = int(sys.stdin.readline())\n",
         "replaces input() with sys.stdin.readline"),
        ("s = ''\nfor x in a:\n    s += x\nprint(s)\n", "s = ''.join(a)\nprint(s)\n",
         "builds the string with ''.join instead of concatenating in a loop"),
        ("t = ''\nfor c in s:\n    t = t + c\nprint(t)\n", "print(''.join(s))\n",
         "builds the string with ''.join instead of concatenating in a loop"),
        ("for x in a:\n    print(x)\n", "print('\\n'.join(a))\n", "prints once instead of in the loop"),
        ("while q:\n    x = q.pop(0)\n", "while q:\n    x = q.popleft()\n", "list.pop(0) -> deque.popleft"),
        ("for i in range(len(a)):\n    print(i, a[i])\n", "for i, v in enumerate(a):\n    print(i, v)\n",
         "range(len(...)) -> enumerate"),
        ("c = {}\nfor x in a:\n    c[x] = c.get(x, 0) + 1\n", "from collections import Counter\nc = Counter(a)\n",
         "counts with Counter"),
        ("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
         "@lru_cache(None)\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
         "memoises the function with lru_cache"),
        ("for x in a:\n    if x == t:\n        found = True\n",
         "for x in a:\n    if x == t:\n        found = True\n        break\n", "leaves the loop early with break"),
        ("a = sorted(b)\nc = sorted(b)\nd = sorted(b)\n", "a = sorted(b)\nc = a\nd = a\n",
         "sorts once instead of 3 times"),
    ],
)
def test_rules_name_the_edit(original: str, suggestion: str, label: str) -> None:
    assert describe_edit(original, suggestion) == label


def test_fallback_says_where_and_what_changed() -> None:
    assert describe_edit("x = 1\ny = f(x)\n", "x = 1\ny = g(x)\n", 10) == "changes line 11: calls g instead of f"
    assert describe_edit("a = 1\nb = 2\nc = 3\n", "a = 1\nb = 5\nc = 6\n", 3) == "changes lines 4-5"
    assert describe_edit("x = a\ny = int(b)\n", "x = a\ny = b\n") == "changes line 2: no longer calls int"
    assert describe_edit("x = int(a)\ny = int(b)\n", "x = int(a)\ny = b\n") == (
        "changes line 2: calls int once instead of twice")
    assert describe_edit("x = a\n", "x = abs(a)\n") == "changes line 1: now calls abs"
    assert describe_edit("x = a(1)\nb(1)\nb(2)\n", "x = a(1)\nb(1)\n") == (
        "changes line 3: calls b once instead of twice")


def test_indented_regions_and_unparsable_text() -> None:
    method = "    def m(self, xs):\n        for x in xs:\n            print(x)\n"
    better = "    def m(self, xs):\n        print('\\n'.join(map(str, xs)))\n"
    assert describe_edit(method, better, 7) == "prints once instead of in the loop"
    assert describe_edit("x = (\n", "x = 1\n", 5) == "changes line 5"


def test_no_rule_claims_an_edit_it_did_not_see() -> None:
    # The set is built, but the membership test still reads the list: not a membership edit.
    original = "xs = [1, 2]\nfor i in range(9):\n    if i in xs:\n        print(i)\n"
    suggestion = "xs = [1, 2]\nys = set(xs)\nfor i in range(9):\n    if i in xs:\n        print(i)\n"
    assert describe_edit(original, suggestion) == "changes line 2: now calls set"
    # len() stays in the loop (and is also added before it): nothing was hoisted.
    assert not describe_edit("for i in r:\n    f(len(a))\n", "n = len(a)\nfor i in r:\n    f(len(a))\n").startswith(
        "hoists")


def test_changed_lines_are_numbered_in_the_file() -> None:
    assert changed_lines("a\nb\nc\n", "a\nB\nc\n", 10) == (11, 11)
    assert changed_lines("a\nb\n", "a\nb\nc\n", 1) == (3, 3)  # an added line is placed after the last one
    assert changed_lines("a\n", "a\n", 4) == (4, 4)
