"""What the pessimizer tests share: the variants of one family, and running a program with a real interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from speedhints.training.data.compare import outputs_match
from speedhints.training.data.pessimize import family, variants


def normal(source: str) -> str:
    """``source`` as ``ast.unparse`` writes it, so expected variants can be written readably."""
    return ast.unparse(ast.parse(textwrap.dedent(source)))


def variants_of(name: str, source: str) -> list[str]:
    return variants(textwrap.dedent(source), family(name))


def only_variant(name: str, source: str) -> str:
    found = variants_of(name, source)
    assert len(found) == 1, found
    return found[0]


def run(source: str, stdin: str) -> tuple[int, str]:
    """Exit status and standard output of ``source`` run by a real Python on ``stdin``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "program.py"
        path.write_text(source, encoding="utf-8")
        done = subprocess.run([sys.executable, str(path)], input=stdin, capture_output=True, text=True, timeout=120,
                              cwd=tmp)
    return done.returncode, done.stdout


def assert_same_output(original: str, variant: str, inputs: list[str], judged: bool = False) -> None:
    """Both programs exit alike and print the same on every input (``judged``: the same tokens, as the judge
    compares them, for families whose edit changes only whitespace between tokens)."""
    assert variant != normal(original)
    for stdin in inputs:
        code_a, out_a = run(textwrap.dedent(original), stdin)
        code_b, out_b = run(variant, stdin)
        assert code_a == code_b == 0, (stdin, code_a, code_b)
        if judged:
            assert outputs_match(out_b, out_a) and out_a.split() == out_b.split(), (stdin, out_a, out_b)
        else:
            assert out_a == out_b, (stdin, out_a, out_b)


def assert_variants(name: str, source: str, expected: list[str], inputs: list[str], judged: bool = False) -> None:
    """The family's variants of ``source`` are ``expected`` (in order), and each behaves as ``source`` on every
    input (``assert_same_output``)."""
    found = variants_of(name, source)
    assert found == expected
    for variant in found:
        assert_same_output(source, variant, inputs, judged)


def assert_refuses(name: str, *sources: str) -> None:
    """The family makes no variant of any of ``sources``."""
    for source in sources:
        assert variants_of(name, source) == [], source
