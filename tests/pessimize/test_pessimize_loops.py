from pess_helpers import assert_refuses, assert_same_output, assert_variants, normal, only_variant, variants_of

SCAN = """
a = list(map(int, input().split()))
n = len(a)
top = max(a)
order = sorted(a)
i = 0
while i < n:
    if a[i] == top:
        print(i, order[i])
    i += 1
"""

INPUTS = ["3 1 3 2\n", "5\n", "-1 -1\n"]


def test_hoisted_len_is_recomputed_in_the_loop():
    variant = only_variant("hoist_len", SCAN)
    assert variant == normal(SCAN.replace("n = len(a)\n", "").replace("while i < n:", "while i < len(a):"))
    assert_same_output(SCAN, variant, INPUTS)


def test_hoisted_calls_are_recomputed_in_the_loop():
    assert_variants("hoist_call", SCAN, [
        normal(SCAN.replace("top = max(a)\n", "").replace("a[i] == top", "a[i] == max(a)")),
        normal(SCAN.replace("order = sorted(a)\n", "").replace("order[i]", "sorted(a)[i]")),
    ], INPUTS)


def test_hoist_refuses_changing_arguments_and_changed_results():
    appended = "a = list(map(int, input().split()))\nn = len(a)\nfor i in range(n):\n    print(n)\n    a.append(i)"
    assert variants_of("hoist_len", appended) == []  # len(a) grows: n does not
    rebound = "a = [1, 2]\nn = len(a)\na = [3]\nfor i in range(2):\n    print(n)"
    assert variants_of("hoist_len", rebound) == []
    mutable_items = "a = [[1], [2]]\nm = max(a)\nfor i in range(2):\n    print(m)\n    a[0][0] = 5"
    assert variants_of("hoist_call", mutable_items) == []  # the items can change under max()
    result_changed = "a = list(map(int, input().split()))\ns = sorted(a)\nfor i in range(2):\n    s.append(i)\nprint(s)"
    assert variants_of("hoist_call", result_changed) == []
    read_input = "n = int(input())\nfor i in range(3):\n    print(n)"
    assert variants_of("hoist_call", read_input) == []  # int(input()) would read a line per iteration


SORTED_ONCE = """
a = list(map(int, input().split()))
a.sort(reverse=True)
for k in range(1, len(a) + 1):
    print(sum(a[:k]))
"""


def test_sort_once_becomes_sort_per_iteration():
    variant = only_variant("sort_per_iteration", SORTED_ONCE)
    resorted = SORTED_ONCE.replace("    print(sum(a[:k]))", "    a.sort(reverse=True)\n    print(sum(a[:k]))")
    assert variant == normal(resorted)
    assert_same_output(SORTED_ONCE, variant, ["3 9 1 9\n", "4\n"])


def test_sort_per_iteration_refuses_lists_changed_in_the_loop():
    # changed: sorting again would reorder what the loop appended
    changed = "a = list(map(int, input().split()))\na.sort()\nfor k in range(2):\n    a.append(-k)\n    print(a[0])"
    objects = "a = [[2], [1]]\na.sort()\nfor k in range(2):\n    a[1][0] = -k\n    print(a)"
    assert_refuses("sort_per_iteration", changed, objects)


SEARCH = """
a = list(map(int, input().split()))
k = int(input())
found = 'NO'
for x in a:
    if x == k:
        found = 'YES'
        break
print(found)
for x in range(2):
    print(x)
"""


def test_early_break_goes():
    variant = only_variant("early_break", SEARCH)
    assert variant == normal(SEARCH.replace("        break\n", ""))
    assert_same_output(SEARCH, variant, ["1 2 3 2\n2\n", "1 2\n7\n", "5\n5\n"])


def test_early_break_refuses_when_later_items_could_matter():
    # last_item: x ends on 3 instead of 2
    last_item = "a = [1, 2, 3]\nfor x in a:\n    if x == 2:\n        f = 1\n        break\nprint(x)"
    # counted: not a literal: not idempotent
    counted = "a = [1, 2]\nc = 0\nfor x in a:\n    if x > 0:\n        c = c + 1\n        break\nprint(c)"
    # raising: 1 // 0 on the item after the hit
    raising = "a = [1, 0]\nfor x in a:\n    if 1 // x == 1:\n        f = 1\n        break\nprint(f)"
    # stream: the rest of the input would be consumed
    stream = "import sys\nfor line in sys.stdin:\n    if line == 'x':\n        f = 1\n        break\nprint(input())"
    assert_refuses("early_break", last_item, counted, raising, stream)


FLAGS = """
a = list(map(int, input().split()))
x = 0
if any(x < 0 for x in a):
    print('negative')
ok = all(v > 1 for v in a if v != 5)
print(ok, x)
"""


def test_any_all_become_full_loops_with_a_flag():
    assert_variants("any_all_loop", FLAGS, [
        normal(FLAGS.replace("if any(x < 0 for x in a):",
                             "found = False\nfor x1 in a:\n    if x1 < 0:\n        found = True\nif found:")),
        normal(FLAGS.replace("ok = all(v > 1 for v in a if v != 5)",
                             "ok = True\nfor v in a:\n    if v != 5:\n        if not v > 1:\n            ok = False")),
    ], ["3 -1 5\n", "5 1\n", "2\n"])


def test_any_all_refuse_raising_tests_and_generators():
    raising = "a = [2, 0]\nprint(1) if any(10 // v for v in a) else None\nok = any(10 // v == 5 for v in a)"
    lazy = "import sys\nok = any(line == 'x' for line in sys.stdin)\nprint(ok, input())"
    assert_refuses("any_all_loop", raising, lazy)


INDEXED = """
a = input().split()
for i, w in enumerate(a):
    print(i, w.upper())
"""


def test_enumerate_becomes_range_len_indexing():
    variant = only_variant("enumerate_index", INDEXED)
    assert variant == normal("a = input().split()\nfor i in range(len(a)):\n    w = a[i]\n    print(i, w.upper())")
    assert_same_output(INDEXED, variant, ["x y z\n", "\n"])


def test_enumerate_refuses_lists_changed_during_the_loop_and_iterators():
    grown = "a = [1, 2]\nfor i, x in enumerate(a):\n    if i < 3:\n        a.append(x)\nprint(a)"
    mapped = "a = map(int, input().split())\nfor i, x in enumerate(a):\n    print(i, x)"
    started = "a = [1, 2]\nfor i, x in enumerate(a, 1):\n    print(i, x)"
    assert_refuses("enumerate_index", grown, mapped, started)


TOTAL = "a = list(map(int, input().split()))\ns = sum(a)\nprint(s, s // max(len(a), 1))\n"


def test_sum_becomes_an_accumulation_loop():
    variant = only_variant("sum_loop", TOTAL)
    assert variant == normal(TOTAL.replace("s = sum(a)", "s = 0\nfor v in a:\n    s += v"))
    assert_same_output(TOTAL, variant, ["1 2 3\n", "-5 99999999999999999999\n", "\n"])


def test_sum_refuses_floats_and_unknown_items():
    assert variants_of("sum_loop", "a = list(map(float, input().split()))\ns = sum(a)\nprint(s)") == []
    assert variants_of("sum_loop", "def f(a):\n    s = sum(a)\n    return s\nprint(f([1]))") == []
