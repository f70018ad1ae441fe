"""The hook's pieces on their own: diff ranges, regions, ignore comments, config, cache, github escaping."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from speedhints.hook.cache import HintCache, region_key
from speedhints.hook.config import ConfigError, HookConfig, find_pyproject, load_config
from speedhints.hook.diffs import DiffError, changed_ranges, merge_ranges
from speedhints.hook.engine import CheckResult
from speedhints.hook.git import right_side
from speedhints.hook.inputs import source_from_bytes
from speedhints.hook.regions import all_regions, ignore_comments, source_lines, touched_regions
from speedhints.hook.render import render_github
from speedhints.model_export.atlas import LatentPrecision
from speedhints.model_export.hints import Hint, Overlaps
from speedhints.model_export.source import BadInput

DIFF = """\
diff --git a/pkg/a.py b/pkg/a.py
index 1111111..2222222 100644
--- a/pkg/a.py
+++ b/pkg/a.py
@@ -3,0 +4,2 @@ def f():
+    x = 1
+    y = 2
@@ -10 +12 @@ def g():
-    return 1
+    return 2
@@ -20,2 +21,0 @@ def h():
-    a
-    b
diff --git a/new.py b/new.py
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/new.py
@@ -0,0 +1,2 @@
+import os
+print(os.sep)
diff --git a/old.py b/renamed.py
similarity index 100%
rename from old.py
rename to renamed.py
"""


def test_changed_ranges_from_a_real_git_diff() -> None:
    # Pure deletions leave nothing to hint at; a pure rename is listed with no ranges (so it is not checked whole).
    assert changed_ranges(DIFF) == {"pkg/a.py": [(4, 5), (12, 12)], "new.py": [(1, 2)], "renamed.py": []}


def test_merge_ranges() -> None:
    assert merge_ranges([(5, 6), (1, 2), (3, 3), (10, 12), (11, 11)]) == [(1, 3), (5, 6), (10, 12)]


def test_unparseable_diff_is_one_line() -> None:
    with pytest.raises(DiffError, match=r"^cannot parse diff: Unexpected hunk found: @@ -1 \+1 @@$"):
        changed_ranges("@@ -1 +1 @@\n+x\n")


def test_right_side_of_a_range() -> None:
    assert [right_side(r) for r in ("HEAD~2", "main..topic", "main...", "a...b")] == [None, "topic", "HEAD", "b"]


CODE = """\
import os
X = 1

@decorator
def f(
    a,
    b,
):  # header ends here
    return a


class C:
    y = 2
    z = 3

    def m(self):
        def inner():
            pass
        return inner

    async def n(self): return 1
w = 4
"""


def test_regions_are_functions_and_runs_of_statements() -> None:
    regions = all_regions(ast.parse(CODE))
    assert [(r.name, r.start, r.end, r.header_end) for r in regions] == [
        ("<module>", 1, 2, 0),
        ("f", 4, 9, 8),
        ("C", 13, 14, 12),
        ("C.m", 16, 19, 16),
        ("C.n", 21, 21, 21),
        ("<module>", 22, 22, 21),
    ]
    assert [r.name for r in touched_regions(ast.parse(CODE), [(3, 3), (11, 12), (18, 18)])] == ["C.m"]
    assert [r.name for r in touched_regions(ast.parse(CODE), [(2, 4)])] == ["<module>", "f"]


spans = st.lists(st.tuples(st.integers(-3, 40), st.integers(-3, 40)).map(sorted).map(tuple), max_size=12)


@given(ranges=spans, regions=spans)
def test_overlaps_answers_as_the_pairwise_comparison_did(
    ranges: list[tuple[int, int]], regions: list[tuple[int, int]]
) -> None:
    # Overlaps replaced "any(a <= end and b >= start for a, b in ranges)" (quadratic for a whole large file).
    overlaps = Overlaps(ranges)
    for start, end in regions:
        assert overlaps(start, end) == any(a <= end and b >= start for a, b in ranges)


def test_source_lines_count_like_python() -> None:
    text = "a = '\x0c\u2028'\r\nb = 1\rc = 2\n# \x85 \x1c\nd"
    assert source_lines(text) == ["a = '\x0c\u2028'\r\n", "b = 1\r", "c = 2\n", "# \x85 \x1c\n", "d"]
    assert len(source_lines(text)) == ast.parse(text).body[-1].lineno


def test_ignore_comments() -> None:
    source = (
        "x = 1  # speedhints: ignore\n"
        "y = '# speedhints: ignore'\n"
        "z = 3  #speedhints:ignore[ 7 , List  -> Set ] trailing words\n"
        "w = 4  # noqa  # speedhints: ignore[3]\n"
        "v = 5  # speedhints: ignore[]\n"
    )
    assert ignore_comments(source) == {
        1: None,
        3: frozenset({"7", "list -> set"}),
        4: frozenset({"3"}),
        5: frozenset(),
    }


def test_config_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.other]\nx = 1\n[tool.speedhints]\ntop-k = 8\nmin_score = 0.25\n"
        "disabled-latents = [7, 'Range(len) -> enumerate']\n"
        "exclude = 'migrations/*'\nmax-file-size = 5000\ntime-budget = 0\nmin-precision = 0.3\n"
    )
    (tmp_path / "sub").mkdir()
    found = find_pyproject(tmp_path / "sub")
    assert found == tmp_path / "pyproject.toml"
    config = load_config(found)
    assert config == HookConfig(8, 0.25, ("7", "Range(len) -> enumerate"), ("migrations/*",), 5000, 0.0, 0.3)
    assert config.is_disabled(7, "anything") and config.is_disabled(3, "range(len)  ->  enumerate")
    assert not config.is_disabled(4, "other")
    assert config.with_overrides(top_k=2, exclude=None).top_k == 2
    assert find_pyproject(tmp_path / "sub", stop=tmp_path / "sub") is None  # never above the repository root
    assert load_config(None) == HookConfig()
    assert config.with_overrides(min_precision=0).min_precision == 0.0  # the flag wins over the file


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("top_k = true", "top-k must be an integer"),
        ("top-k = 65", "top-k must be between 1 and 64"),
        ("min-score = 1.5", "min-score must be between 0 and 1"),
        ("min-precision = -0.1", "min-precision must be between 0 and 1"),
        ("min-precision = 'high'", "min-precision must be a number"),
        ("max-file-size = 0", "max-file-size must be a positive number of bytes"),
        ("time-budget = -1", "time-budget must be >= 0 seconds"),
        ("disabled-latents = [[1]]", "disabled-latents must be a list of strings"),
    ],
)
def test_config_errors_name_the_file(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[tool.speedhints]\n{table}\n")
    with pytest.raises(ConfigError, match=f"^{path}: .*{message}"):
        load_config(path)


MEASURED = LatentPrecision(20, 18, 17, 0.64, 3.1)


def hint(start: int, suggestion: str = "y\n") -> Hint:
    return Hint("a.py", start, start, "f", 7, "list -> set membership", MEASURED, 0.62, "x\n", suggestion)


def test_cache_round_trip_is_relative_to_the_region(tmp_path: Path) -> None:
    cache = HintCache(tmp_path)
    key = region_key("model", 4, "f", "def f():\n    x\n")
    assert cache.get(key, "a.py", 10) is None
    cache.put(key, [hint(12)], region_start=10)
    [moved] = cache.get(key, "b.py", 30) or []
    assert (moved.path, moved.start_line, moved.end_line, moved.suggestion) == ("b.py", 32, 32, "y\n")
    assert moved.measured == MEASURED  # the measured record survives the round trip as itself, not a dict
    assert (cache.hits, cache.misses) == (1, 1)
    assert region_key("model", 4, "f", "x") != region_key("model2", 4, "f", "x") != region_key("model", 5, "f", "x")
    assert HintCache(None).get(key, "a.py", 10) is None  # disabled


def test_unwritable_cache_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = HintCache(blocker / "cache")
    cache.put("ab" * 32, [hint(1)], 1)
    assert cache.get("ab" * 32, "a.py", 1) is None


@pytest.mark.parametrize(
    "header",
    [
        "# @generated by tool",
        "# -*- coding: utf-8 -*-\n# DO NOT EDIT",
        "# Autogenerated file",
        "# Generated by Django 4.2",
    ],
)
def test_generated_files_are_refused(header: str) -> None:
    with pytest.raises(BadInput, match="^generated file"):
        source_from_bytes(f"{header}\nx = 1\n".encode(), 10_000)


def test_hand_written_files_mentioning_generation_are_fine() -> None:
    assert source_from_bytes(b"# cache of generated values\nx = 1  # do not edit lightly\n", 10_000)
    assert source_from_bytes(b"'''Generated by hand.'''\nx = 1\n", 10_000)


def test_github_escaping() -> None:
    result = CheckResult(hints=[Hint("a,b:c.py", 1, 2, "f", 7, "50% faster", None, 0.5, "x\n", "y\r\n")])
    assert render_github(result, 5.0) == (
        "::notice file=a%2Cb%3Ac.py,line=1,endLine=2,title=speedhints [50%25 faster] score 0.50::"
        "latent 7: not measured on held-out programs%0A"
        "--- a/a,b:c.py%0A+++ b/a,b:c.py%0A@@ -1 +1 @@%0A-x%0A+y%0D"
    )
