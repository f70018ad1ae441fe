"""Edit features and latent-atlas labels (issue #5) on small hand-written canonical pairs."""

from __future__ import annotations

from collections import Counter

import pytest

from speedhints.training.data.edit_labels import (
    MAX_FEATURE_LEN,
    SMALL_EDIT,
    UNUSED,
    edit_features,
    label_feature_sets,
    label_groups,
)

SLOW = """\
v0 = int(input())
v1 = list(map(int, input().split()))
v2 = []
for v3 in v1:
    if v3 not in v2:
        v2.append(v3)
print(len(v2))
"""
FAST = """\
import sys
v0 = int(sys.stdin.readline())
v1 = set(map(int, sys.stdin.readline().split()))
print(len(v1))
"""

BREAK = (
    "v1 = False\nfor v2 in v0:\n    if v2 == 0:\n        v1 = True\nprint(v1)\n",
    "v1 = False\nfor v2 in v0:\n    if v2 == 0:\n        v1 = True\n        break\nprint(v1)\n",
)
FOR_WHILE = (
    "v1 = 0\nfor v2 in range(v0):\n    v1 += v2\nprint(v1)\n",
    "v1 = 0\nv2 = 0\nwhile v2 < v0:\n    v1 += v2\n    v2 += 1\nprint(v1)\n",
)
LISTCOMP = (
    "v1 = []\nfor v2 in v0:\n    v1.append(v2 * 2)\nprint(v1)\n",
    "v1 = [v2 * 2 for v2 in v0]\nprint(v1)\n",
)
JOIN = (
    "v1 = s0\nfor v2 in range(v0):\n    v1 += str(v2)\nprint(v1)\n",
    "v1 = s0.join(map(str, range(v0)))\nprint(v1)\n",
)
SET_MEMBERSHIP = (
    "v1 = list(v0)\nv2 = 0\nfor v3 in range(100):\n    if v3 in v1:\n        v2 += 1\nprint(v2)\n",
    "v1 = set(v0)\nv2 = 0\nfor v3 in range(100):\n    if v3 in v1:\n        v2 += 1\nprint(v2)\n",
)
NESTED = (
    "v1 = 0\nfor v2 in v0:\n    for v3 in v0:\n        if v2 == v3:\n            v1 += 1\nprint(v1)\n",
    "v4 = {}\nv1 = 0\nfor v2 in v0:\n    v1 += v4.get(v2, 0)\n    v4[v2] = v4.get(v2, 0) + 1\nprint(v1)\n",
)
PRINT_LOOP = (
    "for v1 in v0:\n    print(v1)\n",
    "print(*v0, sep=s0)\n",
)
ALIAS_READLINE = (
    "v0 = int(input())\nfor v1 in range(v0):\n    print(int(input()) * 2)\n",
    "import sys\nv2 = sys.stdin.readline\nv0 = int(v2())\nfor v1 in range(v0):\n    print(int(v2()) * 2)\n",
)
HEAPQ = (
    "v1 = []\nfor v2 in v0:\n    v1.append(v2)\n    v1.sort()\n    print(v1[0])\n",
    "from heapq import heappush as hp\nv1 = []\nfor v2 in v0:\n    hp(v1, v2)\n    print(v1[0])\n",
)
MEMO = (
    "def f0(v0):\n    if v0 < 2:\n        return v0\n    return f0(v0 - 1) + f0(v0 - 2)\nprint(f0(30))\n",
    "v1 = {}\n\ndef f0(v0):\n    if v0 < 2:\n        return v0\n    if v0 in v1:\n        return v1[v0]\n"
    "    v1[v0] = f0(v0 - 1) + f0(v0 - 2)\n    return v1[v0]\nprint(f0(30))\n",
)
ALL_PAIRS = [(SLOW, FAST), BREAK, FOR_WHILE, LISTCOMP, JOIN, SET_MEMBERSHIP, NESTED, PRINT_LOOP, ALIAS_READLINE,
             HEAPQ, MEMO]


def test_example_pair() -> None:
    feats = edit_features(SLOW, FAST)
    assert feats["input() -> sys.stdin.readline"] == 1
    assert feats["adds import sys"] == 1
    assert feats["removes for loop"] == 1
    assert any("list -> set" in f for f in feats), feats
    # the specific features explain the call changes, and the node-count fallback stays out
    assert "removes input()" not in feats and "adds set()" not in feats
    assert "removes For" not in feats


@pytest.mark.parametrize(
    ("pair", "feature"),
    [
        (BREAK, "adds break in loop"),
        (FOR_WHILE, "for -> while"),
        (LISTCOMP, "list comprehension replaces loop append"),
        (JOIN, "str concat -> join"),
        (SET_MEMBERSHIP, "list -> set membership"),
        (NESTED, "removes nested loop"),
        (PRINT_LOOP, "print in loop -> single print"),
        (ALIAS_READLINE, "input() -> sys.stdin.readline"),
        (HEAPQ, "sort in loop -> heapq"),
        (MEMO, "adds memo dict"),
    ],
)
def test_specific_feature_detected(pair: tuple[str, str], feature: str) -> None:
    feats = edit_features(*pair)
    assert feature in feats, feats
    assert feature not in edit_features(pair[1], pair[0])  # an edit and its reverse are told apart


def test_reverse_edits() -> None:
    assert "removes break" in edit_features(BREAK[1], BREAK[0])
    assert "while -> for" in edit_features(FOR_WHILE[1], FOR_WHILE[0])
    assert "adds nested loop" in edit_features(NESTED[1], NESTED[0])


def test_break_is_not_reported_for_other_edits() -> None:
    for pair in (FOR_WHILE, LISTCOMP, JOIN, SET_MEMBERSHIP, (SLOW, FAST)):
        assert not any("break" in f for f in edit_features(*pair)), pair


def test_imports_and_aliases() -> None:
    feats = edit_features("print(1)\n", "from collections import deque\nimport heapq\nprint(1)\n")
    assert feats["adds import collections.deque"] == 1 and feats["adds import heapq"] == 1
    assert "removes import heapq" in edit_features("import heapq\nprint(1)\n", "print(1)\n")


def test_fallback_only_when_nothing_specific() -> None:
    feats = edit_features("v1 = v0 / 2\nprint(v1)\n", "v1 = v0 // 2\nprint(v1)\n")
    assert feats == Counter({"adds FloorDiv": 1, "removes Div": 1})


def test_identical_and_invalid_give_nothing() -> None:
    assert edit_features(SLOW, SLOW) == Counter()
    assert edit_features(SLOW, "v0 = int(input()\n") == Counter()
    assert edit_features("def f0(:\n", FAST) == Counter()
    assert edit_features("v0 = s0\x00\n", FAST) == Counter()


def test_features_are_short_ascii() -> None:
    for slow, fast in ALL_PAIRS:
        for f in (*edit_features(slow, fast), *edit_features(fast, slow)):
            assert len(f) <= MAX_FEATURE_LEN and f.isascii(), f


def _variants(pair: tuple[str, str], k: int) -> list[tuple[str, str]]:
    """k distinct pairs with the same edit (an extra statement in front of both sides)."""
    return [(f"v9 = {i}\n{pair[0]}", f"v9 = {i}\n{pair[1]}") for i in range(k)]


def test_label_groups_names_the_edit() -> None:
    labels = label_groups({0: _variants(BREAK, 4), 1: _variants(SET_MEMBERSHIP, 4), 5: []})
    assert "break" in labels[0]
    assert "list -> set" in labels[1]
    assert labels[5] == UNUSED
    assert labels[0] != labels[1]


def test_common_feature_loses_to_characteristic_one() -> None:
    # every pair adds `import sys`; only the readline swap and the break tell the groups apart
    sys_break = (BREAK[0], "import sys\n" + BREAK[1])
    labels = label_groups({0: _variants(sys_break, 3), 1: _variants(ALIAS_READLINE, 3)})
    assert labels[0].startswith("adds break in loop"), labels
    assert labels[1].startswith("input() -> sys.stdin.readline"), labels
    assert "import sys" not in labels[0] + labels[1]


def test_single_group_and_small_edit() -> None:
    assert label_groups({3: _variants(FOR_WHILE, 3)})[3].startswith("for -> while")
    assert label_groups({0: [(SLOW, SLOW), (FAST, FAST)]})[0] == SMALL_EDIT


def test_distinct_labels() -> None:
    heapq_break = (BREAK[0], "import heapq\n" + BREAK[1])
    groups = {
        0: [{"adds break in loop"}] * 4,
        1: [{"adds break in loop"}] * 3 + [{"adds break in loop", "adds import heapq"}],
        2: [{"list -> set membership"}] * 4,
    }
    labels = label_feature_sets(groups)
    assert labels[0] == "adds break in loop"  # the weak second feature is not "strong" on its own
    assert labels[1] == "adds break in loop + adds import heapq"
    assert labels[2] == "list -> set membership"
    # the same through label_groups on real pairs
    real = label_groups({0: _variants(BREAK, 4), 1: _variants(BREAK, 3) + [heapq_break], 2: _variants(JOIN, 4)})
    assert real[0] == "adds break in loop"
    assert real[1] == "adds break in loop + adds import heapq"


def test_strong_second_feature_and_length() -> None:
    groups = {0: [{"adds break in loop", "adds early return"}] * 4, 1: [{"list -> set membership"}] * 4}
    assert label_feature_sets(groups)[0] == "adds break in loop + adds early return"
    assert label_feature_sets(groups, max_label_len=30)[0] == "adds break in loop"


def test_deterministic() -> None:
    groups = {
        0: _variants(BREAK, 3) + _variants(JOIN, 1),
        1: _variants(LISTCOMP, 2) + _variants(FOR_WHILE, 2),
        2: _variants(NESTED, 3),
        3: [(SLOW, FAST)],
    }
    first = label_groups(groups)
    shuffled = {g: list(reversed(groups[g])) for g in reversed(list(groups))}
    assert label_groups(shuffled) == first == label_groups(groups)
    # ties go by feature string: two features present in every pair of the only group
    tie = {0: [{"beta", "alpha"}] * 2}
    assert label_feature_sets(tie)[0] == "alpha + beta"


def test_dfs_visited_is_not_a_memo() -> None:
    dfs = (
        "def f0(v0):\n    for v1 in v2[v0]:\n        f0(v1)\nf0(0)\n",
        "def f0(v0):\n    v3[v0] = True\n    for v1 in v2[v0]:\n        if v1 not in v3:\n            f0(v1)\nf0(0)\n",
    )
    assert "adds memo dict" not in edit_features(*dfs)


def test_minimum_support() -> None:
    # "rare" is characteristic of group 0 but in one pair of ten it is an accident; in two it names the group
    common = {"adds break in loop"}
    once = {0: [common] * 9 + [common | {"rare"}], 1: [common] * 10}
    twice = {0: [common] * 8 + [common | {"rare"}] * 2, 1: [common] * 10}
    assert label_feature_sets(once)[0] == "adds break in loop"
    assert label_feature_sets(twice)[0] == "rare"
