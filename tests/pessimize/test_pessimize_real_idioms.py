"""Families found in the corpus's own fast programs: appends, direct iteration, min/max."""

from pess_helpers import assert_refuses, assert_same_output, assert_variants, normal, only_variant, variants_of

APPENDS = """
n = int(input())
evens = []
for i in range(n):
    if i % 2 == 0:
        evens.append(i * i)
print(len(evens), sum(evens), evens)
"""


def test_append_becomes_list_concatenation():
    variant = only_variant("append_concat", APPENDS)
    assert variant == normal(APPENDS.replace("evens.append(i * i)", "evens = evens + [i * i]"))
    assert_same_output(APPENDS, variant, ["7\n", "0\n"])


def test_append_refuses_aliases_self_iteration_and_other_scopes():
    # aliased: rows would keep the old, empty list
    aliased = "a = []\nrows = [a]\nfor i in range(3):\n    a.append(i)\nprint(rows)"
    # walked: the loop would not see the new items
    walked = "a = [1]\nfor x in a:\n    if x < 4:\n        a.append(x + 1)\nprint(a)"
    # nested: `a = a + [i]` would make a local of add()
    nested = "a = []\ndef add(v):\n    for i in range(v):\n        a.append(i)\nadd(3)\nprint(a)"
    passed = "def show(x):\n    print(x)\na = []\nfor i in range(2):\n    a.append(i)\nshow(a)"
    # lazy: the map object still reads the first list
    lazy = "a = [0]\nit = map(str, a)\nfor i in range(2):\n    a.append(i)\nprint(list(it))"
    assert_refuses("append_concat", aliased, walked, nested, passed, lazy)


WALK = """
s = input()
a = list(map(int, input().split()))
total = 0
for ch in s:
    total += ord(ch)
for x in a:
    total += x
print(total)
"""


def test_direct_iteration_becomes_indexing():
    assert_variants("index_iteration", WALK, [
        normal(WALK.replace("for ch in s:", "for i in range(len(s)):\n    ch = s[i]")),
        normal(WALK.replace("for x in a:", "for i in range(len(a)):\n    x = a[i]")),
    ], ["abc\n1 2 3\n", "\n\n"])


def test_direct_iteration_refuses_growing_lists_and_iterators():
    grown = "a = [1]\nfor x in a:\n    if x < 3:\n        a.append(x + 1)\nprint(a)"
    stream = "import sys\nlines = sys.stdin\nfor line in lines:\n    print(line)"
    rebound = "a = [1, 2]\nfor x in a:\n    a = [x]\n    print(x)"
    assert_refuses("index_iteration", grown, stream, rebound)


EXTREMES = """
a = list(map(int, input().split()))
pairs = [(v % 3, i) for i, v in enumerate(a)]
print(min(a), max(a), max(pairs, key=lambda p: p[0]), min(pairs, key=lambda p: p[0]))
"""


def test_min_max_become_a_sort():
    found = variants_of("min_max_sorted", EXTREMES)
    assert found == [
        normal(EXTREMES.replace("min(a)", "sorted(a)[0]")),
        normal(EXTREMES.replace("max(a)", "sorted(a, reverse=True)[0]")),
        normal(EXTREMES.replace("max(pairs, key=lambda p: p[0])",
                                "sorted(pairs, key=lambda p: p[0], reverse=True)[0]")),
        normal(EXTREMES.replace("min(pairs, key=lambda p: p[0])", "sorted(pairs, key=lambda p: p[0])[0]")),
    ]
    for variant in found:  # ties: the first least / greatest item either way
        assert_same_output(EXTREMES, variant, ["3 1 4 1 5 9 2 6\n", "7\n", "2 2 5 5\n"])


def test_min_max_refuse_two_arguments_defaults_and_caught_errors():
    assert variants_of("min_max_sorted", "print(min(3, 4), max([1], default=0))") == []
    caught = "try:\n    print(min([]))\nexcept ValueError:\n    print('empty')"
    assert variants_of("min_max_sorted", caught) == []
    assert variants_of("min_max_sorted", "sorted = list\nprint(min([2, 1]))") == []
