from pess_helpers import assert_refuses, assert_same_output, assert_variants, normal, only_variant, variants_of

SQUARES = """
x = int(input())
sq = [x * x for x in range(x) if x % 2]
pairs = {i: j for i in range(3) for j in range(i)}
print(x, sq, pairs)
"""


def test_comprehension_becomes_an_append_loop_with_leaking_names_renamed():
    assert_variants("comprehension_loop", SQUARES, [
        normal(SQUARES.replace("sq = [x * x for x in range(x) if x % 2]",
                               "sq = []\nfor x1 in range(x):\n    if x1 % 2:\n        sq.append(x1 * x1)")),
        normal(SQUARES.replace("pairs = {i: j for i in range(3) for j in range(i)}",
                               "pairs = {}\nfor i in range(3):\n    for j in range(i):\n        pairs[i] = j")),
    ], ["7\n", "0\n"])


def test_comprehension_refuses_self_reference_lambdas_and_class_bodies():
    assert variants_of("comprehension_loop", "a = [1, 2]\na = [v + 1 for v in a]\nprint(a)") == []
    assert variants_of("comprehension_loop", "fs = [lambda: v for v in range(3)]\nprint(fs[0]())") == []
    in_class = "class C:\n    k = 2\n    ys = [v for v in range(3)]\nprint(C.ys)"
    both_read = "d = {input(): input() for _ in range(2)}\nprint(d)"  # key first, then value: `d[k] = v` swaps them
    assert variants_of("comprehension_loop", both_read) == []
    assert variants_of("comprehension_loop", in_class) == []


ALIASED = """
out = []
push = out.append
for i in range(int(input())):
    push(i * 3)
print(out)
"""


def test_method_alias_becomes_an_attribute_lookup_per_call():
    variant = only_variant("method_alias", ALIASED)
    assert variant == normal("out = []\nfor i in range(int(input())):\n    out.append(i * 3)\nprint(out)")
    assert_same_output(ALIASED, variant, ["4\n", "0\n"])


def test_method_alias_refuses_a_rebound_receiver_or_other_uses():
    # rebound: push still appends to the first list
    rebound = "out = []\npush = out.append\nout = []\nfor i in range(3):\n    push(i)\nprint(out)"
    passed = "out = []\npush = out.append\nfor i in range(3):\n    push(i)\nprint(push)"
    elsewhere = "out = []\npush = out.append\ndef f():\n    for i in range(3):\n        push(i)\nf()\nprint(out)"
    # at t == 1 the loop skips the alias: push still appends to the list of t == 0
    skipped = ("for t in range(3):\n    out = []\n    if t == 1:\n        continue\n    push = out.append\n"
               "    for i in range(2):\n        push(i)\n    print(out)")
    assert_refuses("method_alias", rebound, passed, elsewhere, skipped)


FAST_INPUT = """
import sys
input = lambda: sys.stdin.readline().rstrip()
n = int(input())
for _ in range(n):
    a, b = map(int, input().split())
    print(a + b, input().strip())
"""


def test_input_alias_goes():
    variant = only_variant("input_alias", FAST_INPUT)
    assert variant == normal(FAST_INPUT.replace("input = lambda: sys.stdin.readline().rstrip()\n", ""))
    assert_same_output(FAST_INPUT, variant, ["2\n1 2\n  x y \n3 4\nz\n", "0\n"])
    source = "import sys\ninput = sys.stdin.readline\nprint(int(input()) * 2)"
    assert only_variant("input_alias", source) == normal("import sys\nprint(int(input()) * 2)")
    source = "import sys\ndef input():\n    return sys.stdin.readline().strip()\nprint(input().split())"
    assert only_variant("input_alias", source) == normal("import sys\nprint(input().split())")
    assert_same_output(source, only_variant("input_alias", source), [" a b \n"])


def test_input_alias_refuses_uses_that_see_the_difference():
    raw = "import sys\ninput = sys.stdin.readline\ns = input()\nprint(len(s))"  # the newline counts
    # stripped: the builtin keeps trailing spaces
    stripped = "import sys\ninput = lambda: sys.stdin.readline().rstrip()\nprint(input().rstrip('\\n') + '|')"
    # to_eof: at end of input the builtin raises EOFError
    to_eof = ("import sys\ninput = sys.stdin.readline\nwhile True:\n    w = input().split()\n    if not w:\n"
              "        break\n    print(w)")
    local = "import sys\ndef f():\n    input = sys.stdin.readline\n    return int(input())\nprint(f())"
    assert_refuses("input_alias", raw, stripped, to_eof, local)


TABLE = "n = int(input())\ndp = [0] * (n + 1)\ngrid = [[''] * n for _ in range(2)]\nprint(dp, grid, 2 * [None])\n"


def test_repeated_literal_list_becomes_a_comprehension():
    assert_variants("list_repeat_comprehension", TABLE, [
        normal(TABLE.replace("[0] * (n + 1)", "[0 for _ in range(n + 1)]")),
        normal(TABLE.replace("[''] * n", "['' for _ in range(n)]")),
        normal(TABLE.replace("2 * [None]", "[None for _ in range(2)]")),
    ], ["3\n", "0\n"])


def test_repeated_list_refuses_mutable_or_computed_items():
    assert variants_of("list_repeat_comprehension", "n = 2\nrows = [[]] * n\nrows[0].append(1)\nprint(rows)") == []
    assert variants_of("list_repeat_comprehension", "n = 2\nprint([n + 1] * n)") == []
    assert variants_of("list_repeat_comprehension", "range = list\nprint([0] * 2)") == []


WRITES = "import sys\nfor i in range(int(input())):\n    sys.stdout.write(str(i) + '\\n')\nk = sys.stdout.write('.')\n"


def test_stdout_write_becomes_print_without_end():
    variant = only_variant("stdout_write", WRITES)
    assert variant == normal(WRITES.replace("sys.stdout.write(str(i) + '\\n')", "print(str(i) + '\\n', end='')"))
    assert_same_output(WRITES, variant, ["3\n", "0\n"])


def test_stdout_write_refuses_a_used_result_and_an_own_print():
    assert variants_of("stdout_write", "import sys\nk = sys.stdout.write('ab')\nprint(k)") == []
    assert variants_of("stdout_write", "import sys\nprint = len\nsys.stdout.write('ab')") == []


MAIN = """
import sys

def solve(a):
    return sum(a)

def main():
    global calls
    n = int(input())
    total = 0
    for i in range(n):
        a = list(map(int, input().split()))
        total += solve(a)
        calls += 1
    print(total, calls)

calls = 0
if __name__ == '__main__':
    main()
"""


def test_main_body_moves_to_module_level():
    variant = only_variant("main_to_module", MAIN)
    assert variant == normal("""
        import sys

        def solve(a):
            return sum(a)
        calls = 0
        if __name__ == '__main__':
            n = int(input())
            total = 0
            for i in range(n):
                a = list(map(int, input().split()))
                total += solve(a)
                calls += 1
            print(total, calls)
        """)
    assert_same_output(MAIN, variant, ["2\n1 2\n3\n", "0\n"])


def test_main_refuses_returns_clashing_globals_and_other_uses():
    returns = "def main():\n    n = int(input())\n    if n:\n        return\n    print(n)\nmain()"
    # clash: show() would print 1 instead of 5
    clash = "n = 5\ndef show():\n    print(n)\ndef main():\n    n = 1\n    show()\nmain()"
    twice = "def main():\n    x = 1\n    print(x)\nmain()\nmain()"
    threaded = "import threading\ndef main():\n    x = 1\n    print(x)\nthreading.Thread(target=main).start()"
    closure = ("def main():\n    x = 1\n    def inc():\n        nonlocal x\n        x += 1\n    inc()\n    print(x)\n"
               "main()")
    assert_refuses("main_to_module", returns, clash, twice, threaded, closure)
