from pess_helpers import assert_same_output, assert_variants, normal, only_variant, variants_of

READ_TWO_LINES = """
import sys
n = int(sys.stdin.readline())
a = list(map(int, sys.stdin.readline().split()))
print(n, sum(a))
"""


def test_readline_becomes_input_at_each_newline_blind_site():
    assert_variants("stdin_readline", READ_TWO_LINES, [
        normal("import sys\nn = int(input())\na = list(map(int, sys.stdin.readline().split()))\nprint(n, sum(a))"),
        normal("import sys\nn = int(sys.stdin.readline())\na = list(map(int, input().split()))\nprint(n, sum(a))"),
    ], ["3\n1 2 3\n", "1\n-5\n"])


def test_readline_refuses_where_the_newline_or_end_of_input_shows():
    # the newline is part of the value
    assert variants_of("stdin_readline", "import sys\ns = sys.stdin.readline()\nprint(len(s))") == []
    # a loop reading to end of input: readline() gives '' there, input() raises EOFError
    assert variants_of("stdin_readline", """
        import sys
        while True:
            words = sys.stdin.readline().split()
            if not words:
                break
            print(len(words))
        """) == []
    # a try could catch EOFError or ValueError differently
    assert variants_of("stdin_readline", """
        import sys
        try:
            n = int(sys.stdin.readline())
        except ValueError:
            n = 0
        print(n)
        """) == []
    # `input` is the program's own name
    assert variants_of("stdin_readline", """
        import sys
        input = lambda: '7'
        print(int(sys.stdin.readline()) + int(input()))
        """) == []


READ_ALL = """
import sys
data = sys.stdin.read().split()
n = int(data[0])
print(sum(map(int, data[1:n + 1])))
"""


def test_bulk_read_becomes_per_line_tokens():
    variant = only_variant("stdin_read_split", READ_ALL)
    assert variant == normal("""
        import sys
        data = [token for line in sys.stdin for token in line.split()]
        n = int(data[0])
        print(sum(map(int, data[1:n + 1])))
        """)
    assert_same_output(READ_ALL, variant, ["3\n1 2\n3\n", "2 \r\n 4\t5", "0\n"])


def test_bulk_read_of_bytes_and_open0_keep_their_type():
    source = "import sys\nw = sys.stdin.buffer.read().split()\nprint(w)\nv = 1"
    assert only_variant("stdin_read_split", source) == normal(
        "import sys\nw = [token for line in sys.stdin.buffer for token in line.split()]\nprint(w)\nv = 1")
    assert_same_output(source, only_variant("stdin_read_split", source), ["a b\nc\n\n d"])
    source = "print(open(0).read().split())"
    expected = "print([token for line in open(0) for token in line.split()])"
    assert only_variant("stdin_read_split", source) == normal(expected)
    assert_same_output(source, only_variant("stdin_read_split", source), ["x  y\nz\n"])


def test_bulk_read_refuses_other_splits_and_other_files():
    assert variants_of("stdin_read_split", "import sys\nprint(sys.stdin.read().split('\\n'))") == []
    assert variants_of("stdin_read_split", "print(open('f.txt').read().split())") == []
    assert variants_of("stdin_read_split", "open = lambda n: None\nprint(open(0).read().split())") == []


def test_fresh_names_avoid_the_programs_own():
    variant = only_variant("stdin_read_split", "import sys\nline = 1\ntoken = 2\nd = sys.stdin.read().split()")
    assert "for line1 in sys.stdin for token1 in line1.split()" in variant
