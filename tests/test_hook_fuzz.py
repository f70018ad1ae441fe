"""Hostile input through ``speedhints check`` in-process: thousands of generated files (bytes, text, mangled
Python with ignore comments, BOMs, NULs, Python 2, deep nesting, generated headers) and garbage diffs.

Properties: exit code 0; no traceback; every unusable file is reported on exactly one line naming it and the others
are still checked; every hint points at lines that really hold its ``original`` text.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

import pytest
import test_hook_fixtures
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_hook_doubles import LOOP, RuleSuggester

from speedhints.cli import main
from speedhints.hook.diffs import DiffError, changed_ranges

clean_env = test_hook_fixtures.clean_env  # a fixture

FRAGMENTS = [
    "def f(items, wanted):\n", "    pool = [w for w in wanted]\n", "    for x in items:\n", "        if x in pool:\n",
    "            pass\n", "    for i in range(len(items)):\n", "        print(items[i])\n", "    return pool\n",
    "class C:\n", "    def m(self, xs):\n", "@staticmethod\n", "async def g():\n", "x = 1\n", "print 'py2'\n",
    "# speedhints: ignore", "# speedhints: ignore[", "7, set]", "]", "  # note\n", "\t", "\r\n", "\n", "\x00", "\ufeff",
    "(", ")", "[", "'''", '"', "\\\n", "é", "\udcff", "# -*- coding: latin-1 -*-\n", "# @generated\n", "lambda: 0\n",
    "    " * 30, "if 1:\n" * 3, "x = " + "(" * 150 + ")" * 150 + "\n", "while x in pool:\n", "pool = list(x)\n",
]  # fmt: skip

python_ish = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)

BASES = [
    LOOP,
    LOOP + "\n\nclass C:\n    def m(self, xs):\n        for i in range(len(xs)):\n            print(xs[i])\n",
    "import os\n\n\n@decorate\n"
    + LOOP.replace("return out", "for i in range(len(out)):\n        pass\n    return out"),
]
ODD = ["\x0c", "\u2028", "\x85", "\x1c", "\r", "\t", "é", "\U0001f600"]


@st.composite
def mangled_python(draw: st.DrawFn) -> str:
    """A valid program with the hints the double finds, then bent: comments (ignore directives, odd characters
    that str.splitlines treats as line breaks), inserted fragments, CRLF, a BOM, blank lines on top."""
    lines = draw(st.sampled_from(BASES)).splitlines(keepends=True)
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["comment", "comment", "insert", "blank"]))
        if kind == "comment":
            text = draw(
                st.sampled_from(["speedhints: ignore", "speedhints: ignore[7]", "speedhints: ignore[3, x]", ""])
            )
            lines[i] = lines[i].rstrip("\n") + f"  # {text}{draw(st.sampled_from(ODD))}\n"
        elif kind == "insert":
            lines.insert(i, draw(st.sampled_from(FRAGMENTS)))
        else:
            lines.insert(0, "\n")
    text = "".join(lines)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return ("\ufeff" if draw(st.booleans()) else "") + text


file_bytes = st.one_of(
    mangled_python().map(lambda t: t.encode("utf-8", "surrogatepass")),
    mangled_python().map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    python_ish.map(lambda t: t.encode("utf-8", "surrogatepass")),
    python_ish.map(lambda t: t.encode("latin-1", "replace")),
)


@pytest.fixture
def double(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> RuleSuggester:
    return test_hook_fixtures.use_rule_double(monkeypatch)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=st.lists(file_bytes, min_size=1, max_size=6))
def test_hostile_files(double: RuleSuggester, monkeypatch: pytest.MonkeyPatch, contents: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        monkeypatch.chdir(tmp)  # outside any repository: named files are checked whole
        names = [f"f{i}.py" for i in range(len(contents))]
        for name, data in zip(names, contents, strict=True):
            Path(tmp, name).write_bytes(data)
        # no time budget: on a loaded machine the two runs would otherwise check different regions
        common = ["check", "--max-bytes", "4000", "--time-budget", "0", "--cache-dir", "cache", *names]
        rc, out, err = run([*common, "--format", "json"])
        assert (rc, err) == (0, "")
        payload = json.loads(out)
        rc, text_out, text_err = run([*common, "--no-cache"])  # the text format, straight from the model
    assert rc == 0 and "Traceback" not in text_out + text_err
    skipped = [s["path"] for s in payload["skipped"]]
    assert len(skipped) == len(set(skipped)) and set(skipped) <= set(names)
    # text: exactly one line per unusable file, naming it; the same hints as json.
    assert [line.split(": skipped: ")[0] for line in text_err.splitlines()] == skipped
    headlines = [f"{h['path']}:{h['line']}: [" for h in payload["hints"]]
    assert [line[: line.index("[") + 1] for line in text_out.split("\n") if line.startswith("f")] == headlines
    event(f"hints: {min(len(headlines), 3)}; skipped: {min(len(skipped), 3)} of {len(names)}")
    for hint in payload["hints"]:
        assert hint["path"] not in skipped
        text = contents[names.index(hint["path"])].decode("utf-8-sig")
        lines = io.StringIO(text, newline="").readlines()  # lines as Python counts them
        assert "".join(lines[hint["line"] - 1 : hint["end_line"]]) == hint["original"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "diff --git a/x.py b/x.py\n",
                    "--- a/x.py\n",
                    "+++ b/x.py\n",
                    "@@ -1 +1 @@\n",
                    "@@ -0,0 +1,3 @@\n",
                    "+x\n",
                    "-y\n",
                    " z\n",
                    "\\ No newline at end of file\n",
                    "--- /dev/null\n",
                    "+++ /dev/null\n",
                    "@@ -5,2 +4,0 @@\n",
                    "Binary files differ\n",
                ]
            ),
            st.text(max_size=20),
        ),  # fmt: skip
        max_size=15,
    ).map("".join)
)
def test_garbage_diffs_parse_or_raise_diff_error(diff: str) -> None:
    try:
        result = changed_ranges(diff)
    except DiffError as exc:
        assert "\n" not in str(exc)
        return
    for ranges in result.values():
        assert all(1 <= start <= end for start, end in ranges)
        assert ranges == sorted(ranges)
