from pess_helpers import assert_refuses, assert_same_output, assert_variants, normal, only_variant

COUNTING = """
from collections import Counter
a = input().split()
c = Counter(a)
for w in sorted(set(a)):
    print(w, c[w], c.get(w + 'x', 0))
"""


def test_counter_lookups_become_list_count():
    variant = only_variant("counter_count", COUNTING)
    assert variant == normal("""
        from collections import Counter
        a = input().split()
        for w in sorted(set(a)):
            print(w, a.count(w), a.count(w + 'x', ))
        """)
    assert_same_output(COUNTING, variant, ["b a b c a b\n", "x\n"])


def test_counter_refuses_when_the_list_changes_or_the_counter_is_used_otherwise():
    mutated = "from collections import Counter\na = [1, 2]\nc = Counter(a)\na.append(1)\nfor x in a:\n    print(c[x])"
    rebound = "from collections import Counter\na = [1]\nc = Counter(a)\na = [2]\nfor x in a:\n    print(c[x])"
    # text: str.count counts substrings
    text = "from collections import Counter\na = input()\nc = Counter(a)\nfor x in 'ab':\n    print(c[x])"
    updated = "from collections import Counter\na = [1]\nc = Counter(a)\nfor x in a:\n    c[x] += 1\n    print(c[x])"
    listed = "from collections import Counter\na = [1]\nc = Counter(a)\nfor x in a:\n    print(c[x], c.most_common(1))"
    assert_refuses("counter_count", mutated, rebound, text, updated, listed)


DIJKSTRA = """
import heapq
n = int(input())
h = []
for i in range(n):
    heapq.heappush(h, (i * 7 % n, i))
best = h[0]
order = []
while h:
    d, u = heapq.heappop(h)
    order.append(u)
    if len(h) == 1:
        heapq.heappop(h)
print(best, order)
"""


def test_heap_becomes_min_and_remove():
    variant = only_variant("heapq_min_remove", DIJKSTRA)
    assert variant == normal("""
        import heapq
        n = int(input())
        h = []
        for i in range(n):
            h.append((i * 7 % n, i))
        best = min(h)
        order = []
        while h:
            d, u = min(h)
            h.remove((d, u))
            order.append(u)
            if len(h) == 1:
                h.remove(min(h))
        print(best, order)
        """)
    assert_same_output(DIJKSTRA, variant, ["1\n", "9\n", "20\n"])


def test_heapify_goes_and_an_unheaped_list_is_refused():
    heaped = "from heapq import heapify, heappop\nh = [5, 1, 4]\nheapify(h)\nwhile h:\n    print(heappop(h))"
    assert_refuses("heapq_min_remove", heaped)  # heappop's value is printed, not assigned: refused
    heaped = "from heapq import heapify, heappop\nh = [5, 1, 4]\nheapify(h)\nwhile h:\n    x = heappop(h)\n    print(x)"
    variant = only_variant("heapq_min_remove", heaped)
    assert variant == normal("from heapq import heapify, heappop\nh = [5, 1, 4]\nwhile h:\n    x = min(h)\n"
                             "    h.remove(x)\n    print(x)")
    assert_same_output(heaped, variant, [""])
    # without heapify, h[0] of [5, 1, 4] is 5, not the least: heappop is not min here
    unheaped = "from heapq import heappop\nh = [5, 1, 4]\nwhile h:\n    x = heappop(h)\n    print(x)"
    iterated = "from heapq import heappush, heappop\nh = []\nheappush(h, 2)\nx = heappop(h)\nprint(h)"
    guarded = "from heapq import heappop\nh = []\ntry:\n    x = heappop(h)\nexcept IndexError:\n    print(0)"
    assert_refuses("heapq_min_remove", unheaped, iterated, guarded)


QUERIES = """
from bisect import bisect_left, bisect_right
a = sorted(map(int, input().split()))
for q in map(int, input().split()):
    print(bisect_left(a, q), bisect_right(a, q + 1))
"""


def test_bisect_becomes_a_linear_scan():
    assert_variants("bisect_linear", QUERIES, [
        normal(QUERIES.replace("bisect_left(a, q)", "next((i for i, v in enumerate(a) if v >= q), len(a))")),
        normal(QUERIES.replace("bisect_right(a, q + 1)", "next((i for i, v in enumerate(a) if v > q + 1), len(a))")),
    ], ["3 1 4 1 5 9 2 6\n0 1 2 5 9 10 -3\n", "7\n7\n"])


def test_bisect_refuses_unsorted_or_changed_lists_and_bounds():
    unsorted = "from bisect import bisect_left\na = [3, 1, 2]\nfor q in range(3):\n    print(bisect_left(a, q))"
    inserted = ("from bisect import bisect_left, insort\na = sorted([3, 1])\nfor q in range(3):\n"
                "    insort(a, q)\n    print(bisect_left(a, q))")
    bounded = "from bisect import bisect_left\na = sorted([3, 1])\nfor q in range(3):\n    print(bisect_left(a, q, 1))"
    called = "from bisect import bisect_left\na = sorted([3, 1])\nfor q in range(3):\n    print(bisect_left(a, int(q)))"
    assert_refuses("bisect_linear", unsorted, inserted, bounded, called)


def test_bisect_on_a_list_sorted_in_place():
    source = ("import bisect\na = list(map(int, input().split()))\na.sort()\nfor q in range(5):\n"
              "    print(bisect.bisect(a, q))\n")
    variant = only_variant("bisect_linear", source)
    scan = "next((i for i, v in enumerate(a) if v > q), len(a))"
    assert variant == normal(source.replace("bisect.bisect(a, q)", scan))
    assert_same_output(source, variant, ["4 0 2 2 9\n", "1\n"])


def test_bisect_refuses_lists_sorted_by_a_key_or_reversed():
    # keyed: not in natural order: the bisection's answer is not the scan's
    keyed = ("from bisect import bisect_left\na = sorted([3, -5, 1], key=abs)\nfor q in range(3):\n"
             "    print(bisect_left(a, q))")
    reversed_ = ("from bisect import bisect_left\na = [3, 1]\na.sort(reverse=True)\nfor q in range(3):\n"
                 "    print(bisect_left(a, q))")
    # later: the sort is not the very next statement
    later = ("from bisect import bisect_left\na = [3, 1]\nb = 0\na.sort()\nfor q in range(3):\n"
             "    print(bisect_left(a, q))")
    assert_refuses("bisect_linear", keyed, reversed_, later)
