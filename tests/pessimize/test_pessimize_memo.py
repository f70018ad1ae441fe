from pess_helpers import assert_refuses, assert_same_output, assert_variants, normal, only_variant, variants_of

MEMO = """
MOD = 10 ** 9 + 7
memo = {}
def paths(i, j):
    if (i, j) in memo:
        return memo[i, j]
    if i == 0 or j == 0:
        return 1
    memo[i, j] = (paths(i - 1, j) + paths(i, j - 1)) % MOD
    return memo[i, j]
n = int(input())
print(paths(n, n))
"""


def test_memo_dict_goes():
    variant = only_variant("memo_dict_removal", MEMO)
    assert variant == normal("""
        MOD = 10 ** 9 + 7
        def paths(i, j):
            if i == 0 or j == 0:
                return 1
            return (paths(i - 1, j) + paths(i, j - 1)) % MOD
        n = int(input())
        print(paths(n, n))
        """)
    assert_same_output(MEMO, variant, ["1\n", "6\n"])


def test_memo_dict_refuses_impure_functions_and_other_memo_uses():
    # counted: the number of calls would show
    counted = MEMO.replace("    if i == 0 or j == 0:", "    calls.append(1)\n    if i == 0 or j == 0:").replace(
        "memo = {}", "memo = {}\ncalls = []")
    # changing: remembered values were computed with another m
    changing = MEMO.replace("% MOD", "% m").replace("n = int(input())", "m = 7\nn = int(input())\nm = 5")
    printed = MEMO + "print(len(memo))\n"
    # rekeyed: the key is not what was looked up
    rekeyed = MEMO.replace("    if i == 0 or j == 0:", "    i = max(i, 0)\n    if i == 0 or j == 0:")
    assert_refuses("memo_dict_removal", counted, changing, printed, rekeyed)


CACHED = """
from functools import lru_cache
import functools
@lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
@functools.cache
def tri(n):
    return 0 if n == 0 else n + tri(n - 1)
print(fib(int(input())), tri(5))
"""


def test_lru_cache_goes():
    assert_variants("lru_cache_removal", CACHED, [
        normal(CACHED.replace("@lru_cache(maxsize=None)\n", "")),
        normal(CACHED.replace("@functools.cache\n", "")),
    ], ["1\n", "15\n"])


def test_lru_cache_refuses_impure_functions_and_cache_methods():
    # reads_input: the cached run reads one line, not two
    reads_input = ("from functools import lru_cache\n@lru_cache(None)\ndef f(n):\n    return int(input()) + n\n"
                   "print(f(1), f(1))")
    cleared = "from functools import lru_cache\n@lru_cache(None)\ndef f(n):\n    return n\nprint(f(1))\nf.cache_clear()"
    appends = ("from functools import lru_cache\nseen = []\n@lru_cache(None)\ndef f(n):\n    seen.append(n)\n"
               "    return n\nprint(f(1), f(1), seen)")
    assert_refuses("lru_cache_removal", reads_input, cleared, appends)


PREFIX = """
n = int(input())
a = list(map(int, input().split()))
p = [0]
for x in a:
    p.append(p[-1] + x)
for _ in range(int(input())):
    l, r = map(int, input().split())
    print(p[r] - p[l - 1], p[n])
"""


def test_prefix_sums_become_slice_sums():
    variant = only_variant("prefix_sum_slice", PREFIX)
    assert variant == normal(PREFIX.replace("p[r] - p[l - 1]", "sum(a[l - 1:r])"))
    assert_same_output(PREFIX, variant, ["5\n3 -1 4 1 5\n3\n1 5\n2 2\n3 4\n", "1\n7\n1\n1 1\n"])
    indexed = ("a = [int(x) for x in input().split()]\ns = [0] * (len(a) + 1)\nfor i in range(len(a)):\n"
               "    s[i + 1] = s[i] + a[i]\nprint(s[3] - s[1], s[2] - s[0])\n")
    found = variants_of("prefix_sum_slice", indexed)
    assert found[0] == normal(indexed.replace("s[3] - s[1]", "sum(a[1:3])"))
    assert found[1] == normal(indexed.replace("s[2] - s[0]", "sum(a[0:2])"))
    for variant in found:
        assert_same_output(indexed, variant, ["1 2 3 4\n", "5 6 7\n"])


def test_prefix_sums_refuse_floats_changed_lists_and_other_shapes():
    # floats: float sums depend on the order of additions
    floats = PREFIX.replace("map(int,", "map(float,", 1)
    changed = PREFIX + "a.append(1)\n"
    running = PREFIX.replace("p.append(p[-1] + x)", "p.append(p[-1] + x * x)")
    updated = PREFIX.replace("print(p[r] - p[l - 1], p[n])", "p[r] += 1\n    print(p[r] - p[l - 1])")
    assert_refuses("prefix_sum_slice", floats, changed, running, updated)
