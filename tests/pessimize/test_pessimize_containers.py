from pess_helpers import assert_refuses, assert_same_output, assert_variants, normal, only_variant, variants_of

SEEN = """
n = int(input())
seen = set()
bad = {0}
for x in map(int, input().split()):
    if x in seen or x in bad:
        print('again', x)
    else:
        seen.add(x)
print(n)
"""


def test_set_used_for_membership_becomes_a_list():
    assert_variants("set_membership", SEEN, [
        normal(SEEN.replace("seen = set()", "seen = []").replace("seen.add(x)", "seen.append(x)")),
        normal(SEEN.replace("bad = {0}", "bad = [0]")),
    ], ["5\n1 2 1 0 2\n", "0\n\n"])


def test_set_comprehension_and_update():
    source = """
    a = [3, 1, 3]
    s = {x * 2 for x in a}
    s.update([7])
    print(sum(1 for y in range(10) if y in s))
    """
    variant = only_variant("set_membership", source)
    assert variant == normal(source.replace("{x * 2 for x in a}", "[x * 2 for x in a]").replace("update", "extend"))
    assert_same_output(source, variant, [""])


def test_set_refuses_when_order_size_or_identity_shows():
    printed = "s = set(map(int, input().split()))\nfor i in range(3):\n    print(i in s)\nprint(s)"
    sized = "s = set(input())\nfor c in 'abc':\n    print(c in s)\nprint(len(s))"
    removed = "s = {1, 2}\nfor c in range(3):\n    print(c in s)\ns.discard(1)"
    rebound = "s = {1, 2}\nfor c in range(3):\n    print(c in s)\ns = 'ab'"
    param = "s = {1}\ndef f(s):\n    return [c in s for c in range(3)]\nprint(f([1]))"
    shadowed = "list = tuple\ns = {1}\nprint([c in s for c in range(3)])"
    assert_refuses("set_membership", printed, sized, removed, rebound, param, shadowed)


COUNTS = """
from collections import Counter
words = input().split()
c = Counter(words)
first = {}
for w in words:
    if w not in first:
        first[w] = len(first)
    print(w, c[w], first[w], w in c)
"""


def test_dict_membership_becomes_a_key_list_scan():
    assert_variants("dict_keys_membership", COUNTS, [
        normal(COUNTS.replace("if w not in first", "if w not in list(first.keys())")),
        normal(COUNTS.replace("w in c)", "w in list(c.keys()))")),
    ], ["a b a c b a\n", "x\n"])


def test_dict_membership_refuses_non_dicts_and_outside_loops():
    maybe_list = "d = {}\nif input():\n    d = []\nfor i in range(3):\n    print(i in d)"
    once = "d = {1: 2}\nprint(1 in d)"
    own_counter = "Counter = list\nd = Counter('ab')\nfor ch in 'abc':\n    print(ch in d)"
    assert_refuses("dict_keys_membership", maybe_list, once, own_counter)


BFS = """
from collections import deque
n = int(input())
q = deque([0])
dist = [-1] * n
dist[0] = 0
while q:
    u = q.popleft()
    for v in (u + 1, 2 * u):
        if v < n and dist[v] < 0:
            dist[v] = dist[u] + 1
            q.append(v)
print(*dist, len(q))
"""


def test_deque_queue_becomes_a_list_with_pop0():
    variant = only_variant("deque_popleft", BFS)
    assert variant == normal(BFS.replace("deque([0])", "[0]").replace("q.popleft()", "q.pop(0)"))
    assert_same_output(BFS, variant, ["1\n", "10\n", "37\n"])


def test_deque_appendleft_becomes_insert0():
    source = "import collections\nq = collections.deque()\nq.appendleft(1)\nq.appendleft(2)\nprint(q.popleft(), q[0])"
    variant = only_variant("deque_popleft", source)
    assert variant == normal(
        "import collections\nq = []\nq.insert(0, 1)\nq.insert(0, 2)\nprint(q.pop(0), q[0])")
    assert_same_output(source, variant, [""])


def test_deque_refuses_iteration_printing_and_maxlen():
    iterated = "from collections import deque\nq = deque([1, 2])\nfor x in q:\n    print(x)\nq.popleft()"
    printed = "from collections import deque\nq = deque([1, 2])\nq.popleft()\nprint(q)"
    bounded = "from collections import deque\nq = deque([1, 2], 5)\nq.popleft()\nprint(len(q))"
    rotated = "from collections import deque\nq = deque([1, 2])\nq.rotate(1)\nprint(q.popleft())"
    assert_refuses("deque_popleft", iterated, printed, bounded, rotated)


POWERS = """
M = 10 ** 9 + 7
E = 5
n = int(input())
for b in range(n):
    print(pow(b, E + 1, M), pow(b, M - 2, M))
"""


def test_pow_with_a_small_constant_exponent_becomes_power_then_modulo():
    variant = only_variant("pow_mod", POWERS)
    assert variant == normal(POWERS.replace("pow(b, E + 1, M)", "b ** (E + 1) % M"))
    assert_same_output(POWERS, variant, ["4\n", "30\n"])


def test_pow_refuses_negative_huge_or_unknown_exponents():
    assert variants_of("pow_mod", "print(pow(3, -1, 7))") == []  # a modular inverse
    assert variants_of("pow_mod", "M = 998244353\nprint(pow(3, M - 2, M))") == []  # b ** e would never finish
    assert variants_of("pow_mod", "e = int(input())\nprint(pow(3, e, 7))") == []  # could be negative
    assert variants_of("pow_mod", "E = 2\nE = 3\nprint(pow(3, E, 7))") == []  # bound twice
    assert variants_of("pow_mod", "def pow(a, b, c):\n    return 0\nprint(pow(3, 2, 7))") == []
