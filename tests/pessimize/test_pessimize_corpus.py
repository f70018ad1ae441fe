"""Every family on a slice of real solutions: each variant parses, compiles, differs from the original, the same
source gives the same variants again, and no family changes the tree it is given (the families of one program
share it). Reads a few hundred solutions of the shared corpus (the corpus_path fixture: skipped without it,
a failure in CI)."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest

from speedhints.training.data.convert import convert_source
from speedhints.training.data.pessimize import FAMILIES, _parse, variants
from speedhints.training.data.pessimize.coverage import corpus_sources

SLICE = 200  # two solutions of each of the first hundred problems: many authors, many idioms
TWICE = 40  # sources whose variants are made twice, to check they come out the same


@pytest.fixture(scope="module")
def real_sources(corpus_path: Path) -> list[str]:
    out = []
    for python2 in corpus_sources(corpus_path, limit=SLICE, per_problem=2):
        code, _reason = convert_source(python2)
        if code is not None:
            out.append(code)
    return out


def test_every_variant_of_real_solutions_compiles_and_differs(real_sources):
    made = {f.name: 0 for f in FAMILIES}
    for number, source in enumerate(real_sources):
        original = ast.unparse(ast.parse(source))
        tree = _parse(source)[0]  # the tree variants() hands every family: none may change it
        before = ast.dump(tree)
        for family in FAMILIES:
            found = variants(source, family)
            if number < TWICE:
                assert found == variants(source, family), family.name  # deterministic
            for text in found:
                assert text != original, family.name
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SyntaxWarning)
                    compile(text, f"<{family.name}>", "exec")
            made[family.name] += len(found)
        assert ast.dump(tree) == before
    assert len(real_sources) > SLICE // 2
    assert sum(made.values()) > 0, made  # the slice exercises the families, not just the empty case
