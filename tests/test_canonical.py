"""The canonical form's contract (issue #2): parses, idempotent, reversible, invariant to names and strings."""

from __future__ import annotations

import ast
import builtins
import gzip
import json
import keyword
import sysconfig
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from speedhints.model_export.canonical import (
    Canonical,
    CanonicalError,
    canonicalize,
    decanonicalize,
    lossy,
    strip_docstrings,
)

SAMPLE = '''
"""Module docstring."""
import sys
from collections import defaultdict as dd
input = sys.stdin.readline  # a comment


def solve(n, arr, list=None):
    """Function docstring."""
    total = 0
    seen = set()
    for x in arr:
        if x in seen:
            total += 1
        seen.add(x)
    print(f"Case {n}: {total:>5}", "YES" if total else "NO")
    return [y * 2 for y in arr if y], list


class Node:
    size = 3

    def grow(self, k=2):
        self.size += k
        return self.size


def main():
    global counter
    counter = 0
    n = int(input())
    a = list(map(int, input().split()))
    print(solve(n=n, arr=a), 'YES', dd(int), Node().grow())


main()
'''


def ast_without_docstrings(src: str) -> str:
    return same_ast_form(strip_docstrings(ast.parse(src)))


def same_ast_form(tree: ast.AST) -> str:
    # The u'' prefix is a no-op in Python 3 that the canonical form does not keep (documented there).
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            node.kind = None
    return ast.dump(tree)


def check_contract(src: str) -> Canonical:
    canonical = canonicalize(src)
    ast.parse(canonical.code)  # canonical output always parses
    assert canonicalize(canonical.code).code == canonical.code  # idempotent
    assert same_ast_form(ast.parse(decanonicalize(canonical.code, canonical))) == ast_without_docstrings(src)
    return canonical


def test_sample_canonical_form_is_exactly_as_specified() -> None:
    canonical = check_contract(SAMPLE)
    assert canonical.code == (
        "import sys\n"
        "from collections import defaultdict as dd\n"
        "v0 = sys.stdin.readline\n\n"
        "def f0(v1, v2, v3=None):\n"
        "    v4 = 0\n"
        "    v5 = set()\n"
        "    for v6 in v2:\n"
        "        if v6 in v5:\n"
        "            v4 += 1\n"
        "        v5.add(v6)\n"
        "    print(f'{s0}{v1}{s1}{v4:>5}', s2 if v4 else s3)\n"
        "    return ([v7 * 2 for v7 in v2 if v7], v3)\n\n"
        "class c0:\n"
        "    size = 3\n\n"
        "    def grow(v8, v9=2):\n"
        "        v8.size += v9\n"
        "        return v8.size\n\n"
        "def f1():\n"
        "    global v10\n"
        "    v10 = 0\n"
        "    v1 = int(v0())\n"
        "    v11 = list(map(int, v0().split()))\n"
        "    print(f0(v1=v1, v2=v11), s2, dd(int), c0().grow())\n"
        "f1()\n"
    )
    assert canonical.names["v3"] == "list"  # a parameter called list is user-defined ...
    assert "list(map(" in canonical.code  # ... while the builtin list is kept
    assert canonical.strings == {"s0": "Case ", "s1": ": ", "s2": "YES", "s3": "NO"}


def test_scoping_rules() -> None:
    src = (
        "import math\n"
        "x = 1\n"
        "def f():\n"
        "    print(x, math.pi, len([]))\n"  # x resolves to the module binding
        "    def g():\n"
        "        nonlocal y\n"
        "        y = 2\n"
        "    y = 1\n"
        "    return g\n"
        "class K:\n"
        "    attr = 1\n"
        "    other = attr + 1\n"  # class-level names are reached as attributes: kept
        "    def __init__(self):\n"
        "        self.attr = [attr for attr in range(3)]\n"  # comprehension target is local to it: renamed
        "undefined_global(__name__)\n"
    )
    canonical = check_contract(src)
    code = canonical.code
    assert "print(v0, math.pi, len([]))" in code
    assert "nonlocal v1" in code and "v1 = 1" in code
    assert "attr = 1" in code and "other = attr + 1" in code
    assert "def __init__(v2):" in code and "[v3 for v3 in range(3)]" in code
    assert "undefined_global(__name__)" in code


def test_walrus_in_comprehension_binds_in_enclosing_function() -> None:
    canonical = check_contract("def f(xs):\n    if any((last := x) > 3 for x in xs):\n        return last\n")
    assert "(v1 := v2)" in canonical.code and "return v1" in canonical.code  # one binding, in f


def test_lossy_form_is_the_papers() -> None:
    out = lossy("def area(w, h):\n    return w * h\nprint(area(2, 3), 'cm')\n")
    assert out == "def f(v, v):\n    return v * v\nprint(f(2, 3), 'STRING')\n"


def test_decanonicalize_gives_new_placeholders_fresh_names() -> None:
    canonical = canonicalize("var7 = 1\nprint(var7)\n")  # the user's own name is var7 -> v0
    out = decanonicalize("v0 = 1\nv7 = v0 + 1\ndef f3():\n    return v7\n", canonical)
    tree = ast.parse(out)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "var7" in names  # the user's name is restored
    assert "var7_" in names  # the model's new v7 gets a name clashing with nothing
    assert "def func3():" in out


def test_decanonicalize_refuses_an_unknown_string_placeholder() -> None:
    canonical = canonicalize("print('hi')\n")
    with pytest.raises(CanonicalError, match="s5 is a string placeholder the input never had"):
        decanonicalize("print(s5)\n", canonical)


def test_kept_names_that_look_like_placeholders_mean_themselves() -> None:
    src = "from m import v0, s0\nx = v0 + 1\nprint(x, s0, 'a')\n"
    canonical = check_contract(src)
    assert "from m import v0, s0" in canonical.code
    assert "v1 = v0 + 1" in canonical.code and "print(v1, s0, s1)" in canonical.code


def test_invalid_source_is_one_line_error() -> None:
    with pytest.raises(CanonicalError, match=r"^not valid Python 3: .* at line 1$"):
        canonicalize("print 'python 2'\n")


# ----------------------------------------------------------------------------------------------------------------
# property tests
# ----------------------------------------------------------------------------------------------------------------

IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s) and not hasattr(builtins, s) and not (s.startswith("__") and s.endswith("__"))
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(src=hypothesmith.from_node())
def test_contract_on_generated_programs(src: str) -> None:
    try:
        ast.parse(src)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        assume(False)
    check_contract(src)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_programs_differing_only_in_names_and_strings_share_a_canonical_form(data: st.DataObject) -> None:
    base = canonicalize(SAMPLE)
    kept = {"sys", "dd", "print", "set", "list", "map", "int", "size", "grow", "split", "readline", "stdin"}
    new_names = data.draw(
        st.lists(IDENT.filter(lambda s: s not in kept), min_size=len(base.names), max_size=len(base.names),
                 unique=True)
    )
    # Non-empty: an empty text part of an f-string is no part at all, so it is not "another string value".
    new_strings = data.draw(
        st.lists(st.text(min_size=1, max_size=6), min_size=len(base.strings), max_size=len(base.strings), unique=True)
    )
    variant = Canonical(base.code, dict(zip(base.names, new_names, strict=True)),
                        dict(zip(base.strings, new_strings, strict=True)))
    renamed_src = decanonicalize(base.code, variant)
    assert canonicalize(renamed_src).code == base.code


# ----------------------------------------------------------------------------------------------------------------
# real files
# ----------------------------------------------------------------------------------------------------------------


def stdlib_sample(n: int = 25) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.glob("*.py"))
    step = max(len(files) // n, 1)
    return files[::step][:n]


@pytest.mark.parametrize("path", stdlib_sample(), ids=lambda p: p.name)
def test_contract_on_stdlib_files(path: Path) -> None:
    src = path.read_text(encoding="utf-8")
    canonical = check_contract(src)
    assert not any(v.startswith("__") and v.endswith("__") for v in canonical.names.values())  # dunders kept


def corpus_programs(data: Path, limit: int = 150) -> list[str]:
    out = []
    with gzip.open(data, "rt") as f:
        for line in f:
            for sol in json.loads(line)["solutions"]:
                try:
                    ast.parse(sol["code"])
                except (SyntaxError, ValueError):
                    continue
                out.append(sol["code"])
                if len(out) >= limit:
                    return out
    return out


def test_contract_on_real_solutions(corpus_slice: Path) -> None:
    programs = corpus_programs(corpus_slice)
    assert len(programs) == 150
    for src in programs:
        check_contract(src)


def test_class_attribute_spelled_like_a_placeholder_keeps_its_meaning() -> None:
    # Found on the standard library (test_decorators.py): a kept class-level f1 beside user functions.
    src = "def f1():\n    pass\ndef g():\n    pass\nclass C:\n    def f1(self):\n        return g()\n"
    canonical = check_contract(src)
    assert "def f1(v0):" in canonical.code  # the method keeps its name ...
    assert "def f0():" in canonical.code and "def f2():" in canonical.code  # ... and no function takes it


def test_string_expression_inside_an_fstring_is_not_read_back_as_text() -> None:
    # Found on the standard library (test_fstring.py): f"{'{{}}'}" is an expression, not text.
    check_contract("x = f\"{'{{}}'}\" + f'a{1}b'\n")


def test_a_pair_canonicalised_together_keeps_an_edit_local() -> None:
    # The append loop adds a loop variable: canonicalised alone, the fast side renumbers every later name, and the
    # one-statement edit reads as a rewrite of the rest of the program.
    slow = "n = int(input())\nb = []\nfor y in range(n):\n    b.append(2)\nk = max(b)\nprint(k, 'YES')\n"
    fast = "n = int(input())\nb = [2] * n\nk = max(b)\nprint(k, 'YES')\n"
    x = canonicalize(slow)
    alone, together = canonicalize(fast), canonicalize(fast, like=x)
    assert "v3 = max(v1)" in x.code and "v3 = max(v1)" in together.code
    assert "v3 = max(v1)" not in alone.code  # renumbered on its own
    assert together.code.splitlines()[2:] == x.code.splitlines()[4:]  # the lines after the edit are x's
    assert decanonicalize(together.code, together) == decanonicalize(alone.code, alone)
    # a name or string new to the fast side takes the next free index, never one of x's
    extra = canonicalize(fast.replace("print(k, 'YES')", "z = k\nprint(z, 'NO')"), like=x)
    assert "v4 = v3" in extra.code and "print(v4, s1)" in extra.code
    assert extra.names["v4"] == "z" and extra.strings == {"s1": "NO"}
    # a shared name of another kind (a variable in x, a function here) is not given x's placeholder
    assert "def f0():" in canonicalize("def n():\n    return 1\nprint(n())\n", like=x).code
