from pess_helpers import assert_refuses, assert_same_output, normal, only_variant, variants_of

PIECES = """
n = int(input())
out = []
for i in range(n):
    out.append(str(i * i))
    out.append(',')
print(''.join(out))
"""


def test_join_becomes_string_concatenation():
    variant = only_variant("join_concat", PIECES)
    assert variant == normal("""
        n = int(input())
        out = ''
        for i in range(n):
            out += str(i * i)
            out += ','
        print(out)
        """)
    assert_same_output(PIECES, variant, ["0\n", "5\n"])


def test_join_refuses_other_uses_separators_and_nested_scopes():
    sized = "out = []\nfor i in range(3):\n    out.append('a')\nprint(''.join(out), len(out))"
    spaced = "out = []\nfor i in range(3):\n    out.append('a')\nprint(' '.join(out))"
    # `out += s` inside a nested function would make `out` local to it: UnboundLocalError
    nested = """
        out = []
        def add(s):
            out.append(s)
        for i in range(3):
            add('x')
        print(''.join(out))
        """
    aliased = "out = []\nkeep = out\nfor i in range(3):\n    out.append('a')\nprint(''.join(keep))"
    assert_refuses("join_concat", sized, spaced, nested, aliased)


ROWS = """
a = list(map(int, input().split()))
print(' '.join(map(str, a)))
words = input().split()
print('\\n'.join(words))
"""


def test_joined_print_becomes_a_print_per_item():
    found = variants_of("print_per_item", ROWS)
    assert found == [
        normal(ROWS.replace("print(' '.join(map(str, a)))", "for x in a:\n    print(x, end=' ')\nprint()")),
        normal(ROWS.replace("print('\\n'.join(words))", "for x in words:\n    print(x)")),
    ]
    for variant in found:  # the tokens are the same; the whitespace between them is not
        assert_same_output(ROWS, variant, ["1 2 3\nab cd\n", "7\nz\n", "\n\n"], judged=True)


def test_joined_print_refuses_other_separators_and_arguments():
    assert variants_of("print_per_item", "a = ['x', 'y']\nprint(', '.join(a))") == []
    assert variants_of("print_per_item", "a = ['x', 'y']\nprint(' '.join(a), end='')") == []
    assert variants_of("print_per_item", "a = [1, 2]\nprint(' '.join(map(repr, a)))") == []
    assert variants_of("print_per_item", "print = len\na = ['x']\nprint(' '.join(a))") == []


BUFFERED = """
def solve():
    ans = []
    n = int(input())
    for i in range(n):
        a, b = map(int, input().split())
        ans.append(a + b)
        ans.append(i)
    print('\\n'.join(map(str, ans)))
solve()
"""


def test_buffered_answers_are_printed_one_by_one():
    variant = only_variant("print_buffered", BUFFERED)
    assert variant == normal("""
        def solve():
            n = int(input())
            for i in range(n):
                a, b = map(int, input().split())
                print(a + b)
                print(i)
        solve()
        """)
    assert_same_output(BUFFERED, variant, ["2\n1 2\n3 4\n", "0\n"], judged=True)
    spaced = "res = []\nfor t in range(int(input())):\n    res.append(str(t * 2))\nprint(' '.join(res))\n"
    variant = only_variant("print_buffered", spaced)
    assert variant == normal("for t in range(int(input())):\n    print(str(t * 2), end=' ')\nprint()")
    assert_same_output(spaced, variant, ["3\n", "0\n"], judged=True)


def test_buffered_refuses_other_output_early_exits_and_changing_items():
    # interleaved: the answers would come before 'step' lines
    interleaved = "ans = []\nfor i in range(3):\n    ans.append(str(i))\n    print('step')\nprint('\\n'.join(ans))"
    # exits: the original prints nothing
    exits = ("import sys\nans = []\nfor i in range(3):\n    ans.append(str(i))\n    if i == 1:\n        sys.exit()\n"
             "print('\\n'.join(ans))")
    returns = ("def f():\n    ans = []\n    for i in range(3):\n        ans.append(str(i))\n        if i:\n"
               "            return\n    print(' '.join(ans))\nf()")
    # changed: the list printed at the end has grown
    changed = ("ans = []\nrow = [1]\nfor i in range(2):\n    ans.append(row)\n    row.append(i)\n"
               "print(' '.join(map(str, ans)))")
    # prompted: the prompts would interleave with the answers
    prompted = "ans = []\nfor i in range(2):\n    ans.append(input('? '))\nprint(' '.join(ans))"
    printed_in_loop = "ans = []\nfor i in range(2):\n    ans.append(str(i))\n    print(' '.join(ans))"
    assert_refuses("print_buffered", interleaved, exits, returns, changed, prompted, printed_in_loop)
