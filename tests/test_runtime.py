"""The onnxruntime Suggester on a real exported bundle: hints in the user's own names, filtering, merging,
regions, and refusal of tampered or incompatible bundles with one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from export_fixtures import tiny_bundle

from speedhints.model_export import bundle as fmt
from speedhints.model_export.atlas import Atlas, LatentInfo, LatentPrecision, wilson_lower_bound
from speedhints.model_export.bundle import BundleError, load_bundle, write_atlas, write_manifest
from speedhints.model_export.canonical import canonicalize
from speedhints.model_export.regions import regions, touched_regions
from speedhints.model_export.runtime import (
    BELOW_PRECISION,
    Candidate,
    OnnxSuggester,
    RuntimeConfig,
    load_runtime,
    reindent,
    user_suggestion,
)

# The user's version of the fixture's first training input: other names, a comment outside the function, other
# layout (a comment inside would have to survive the hint: plausibility refuses a hint that deletes it).
USER = '''import os

# not touched
LIMIT = 3


def keep_known(names, allowed):
    kept = []
    for name in names:
        if name in allowed:
            kept.append(name)
    return kept
'''


# The fixture bundle's latents were never measured: only min_precision 0 shows them (the gate has its own tests).
SHOW_ALL = RuntimeConfig(min_precision=0.0)


@pytest.fixture(scope="module")
def runtime() -> OnnxSuggester:
    return load_runtime(tiny_bundle(), SHOW_ALL)


def test_hint_in_the_users_names(runtime: OnnxSuggester) -> None:
    hints = runtime.suggest("shop.py", USER, [(9, 9)], top_k=4)
    edits = [h for h in hints if "set(allowed)" in h.suggestion]
    assert len(edits) == 1
    hint = edits[0]
    assert (hint.path, hint.start_line, hint.end_line, hint.function) == ("shop.py", 7, 12, "keep_known")
    assert hint.original == "".join(USER.splitlines(keepends=True)[6:12])
    assert hint.suggestion == (
        "def keep_known(names, allowed):\n    allowed = set(allowed)\n    kept = []\n    for name in names:\n"
        "        if name in allowed:\n            kept.append(name)\n    return kept\n"
    )
    # The label says what this edit does (not what the latent's training pairs did); no atlas: nothing measured.
    assert hint.label == "allowed -> set for membership test in loop"
    assert hint.measured is None and hint.record == "not measured on held-out programs"
    assert 0 < hint.score <= 1
    assert "+    allowed = set(allowed)" in hint.diff and "@@ -7," in hint.diff


def test_unchanged_copies_are_dropped_and_every_latent_can_be_asked(runtime: OnnxSuggester) -> None:
    region = touched_regions(USER, [(9, 9)])[0]
    canonical = canonicalize(region.code)
    ids = [*runtime.tokenizer.encode(canonical.code), runtime.spec.eos_id]
    candidates = runtime.candidates([(region, canonical, ids)], top_k=64)
    assert sorted(c.latent for c in candidates) == list(range(runtime.spec.codebook_size))  # all K, one batch
    assert any(c.output == canonical.code for c in candidates)  # the "copy" latent of the fixture
    hints = runtime.suggest("shop.py", USER, [(9, 9)], top_k=64)
    assert hints and all(h.suggestion != h.original for h in hints)
    assert len({h.suggestion for h in hints}) == len(hints)  # duplicates merged
    assert [h.score for h in hints] == sorted((h.score for h in hints), reverse=True)


def test_lines_outside_any_function_or_statement_give_nothing(runtime: OnnxSuggester) -> None:
    assert runtime.suggest("shop.py", USER, [(3, 3)]) == []  # a comment line
    assert runtime.suggest("shop.py", USER, []) == []


def _candidate(output: str, latent: int = 0, score: float = 0.5) -> Candidate:
    src = "class A:\n    def f(self, xs):\n        total = 0\n        for x in xs:\n            total += x\n" \
          "        return total\n"
    region = touched_regions(src, [(3, 3)])[0]
    return Candidate(region, canonicalize(region.code), latent, score, output)


def test_filters_renames_reformatting_and_broken_code() -> None:
    c = _candidate("")
    code = c.canonical.code
    assert code.startswith("def f0(v0, v1):")
    assert user_suggestion(_candidate(code), set()) is None  # unchanged
    swapped = code.replace("v2", "TMP").replace("v3", "v2").replace("TMP", "v3")
    assert swapped != code and user_suggestion(_candidate(swapped), set()) is None  # only renames
    assert user_suggestion(_candidate(code.replace("return v2", "return (v2)")), set()) is None  # only layout
    assert user_suggestion(_candidate("def f0(v0, v1:\n    return\n"), set()) is None  # does not parse
    assert user_suggestion(_candidate("def f0(v0, v1):\n    return s7\n"), set()) is None  # unknown string


def test_suggestion_is_reindented_to_the_method_and_fresh_names_avoid_the_file() -> None:
    c = _candidate("def f0(v0, v1):\n    v5 = sum(v1)\n    return v5\n")
    assert c.region.name == "A.f" and c.region.indent == "    "
    got = user_suggestion(c, avoid={"var5"})
    assert got == "    def f(self, xs):\n        var5_ = sum(xs)\n        return var5_\n"
    assert reindent("a\n\nb\n", "\t") == "\ta\n\n\tb\n"


def test_duplicates_merge_into_the_likeliest_latent(runtime: OnnxSuggester) -> None:
    better = "def f0(v0, v1):\n    return sum(v1)\n"
    hints = runtime.hints("a.py", "class A:\n    def f(self, xs):\n        total = 0\n        for x in xs:\n"
                          "            total += x\n        return total\n",
                          [_candidate(better, 1, 0.2), _candidate(better, 3, 0.6), _candidate(better, 2, 0.1)])
    assert [(h.latent, h.score) for h in hints] == [(3, 0.6)]
    assert hints[0].suggestion == "    def f(self, xs):\n        return sum(xs)\n"


def test_regions_match_the_hooks_units() -> None:
    src = ("import os\n\n\nclass A:\n    x = 1\n\n    @staticmethod\n    def m(a):\n        def inner():\n"
           "            pass\n        return a\n\n\ndef f():\n    return 1\n\n\nprint(f())\n")
    got = [(r.name, r.start, r.end, r.indent) for r in regions(src)]
    assert got == [("<module>", 1, 1, ""), ("A", 5, 5, "    "), ("A.m", 7, 11, "    "), ("f", 14, 15, ""),
                   ("<module>", 18, 18, "")]
    assert regions(src)[2].code.startswith("@staticmethod\ndef m(a):\n    def inner():")
    # A form feed inside a string is not a line break for Python (str.splitlines would count one).
    odd = 'x = "a\x0cb"\n\n\ndef f():\n    return 1\n'
    assert [(r.name, r.start, r.end) for r in regions(odd)] == [("<module>", 1, 1), ("f", 4, 5)]


def _with_precision(tmp_path: Path, records: list[LatentPrecision]) -> Path:
    out = tmp_path / "b"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(tiny_bundle(), out)
    atlas = Atlas({i: LatentInfo(i, f"edit {i}", 1.5 + i, 0.25, (f"p{i}",)) for i in range(len(records))})
    write_atlas(out, atlas.with_precision(records, {"split": "by_problem", "fold": "valid", "programs": 9}))
    return out


GOOD = LatentPrecision(52, 44, 41, wilson_lower_bound(41, 52), 2.1)  # lower bound 0.66
POOR = LatentPrecision(52, 3, 1, wilson_lower_bound(1, 52), None)  # lower bound 0.003


def test_the_precision_gate_shows_only_latents_whose_lower_bound_clears_it(runtime: OnnxSuggester,
                                                                           tmp_path: Path) -> None:
    k = runtime.spec.codebook_size
    (latent,) = {h.latent for h in runtime.suggest("shop.py", USER, [(9, 9)], top_k=k)}  # the fixture's one edit
    out = _with_precision(tmp_path, [GOOD if i == latent else POOR for i in range(k)])
    gated = load_runtime(out)  # the default min_precision
    hints = gated.suggest("shop.py", USER, [(9, 9)], top_k=k)
    assert [(h.latent, h.measured) for h in hints] == [(latent, GOOD)]
    assert gated.last_dropped[BELOW_PRECISION] == k - 1  # the others: counted, never decoded
    assert hints[0].record == "correct and faster in 41 of 52 held-out trials, median 2.1x"
    assert load_runtime(out, RuntimeConfig(min_precision=0.7)).suggest("shop.py", USER, [(9, 9)], top_k=k) == []
    out = _with_precision(tmp_path, [POOR] * k)
    assert load_runtime(out).suggest("shop.py", USER, [(9, 9)], top_k=k) == []
    assert [h.measured for h in load_runtime(out, SHOW_ALL).suggest("shop.py", USER, [(9, 9)], top_k=k)] == [POOR]


def test_unmeasured_latents_are_silent_by_default() -> None:
    rt = load_runtime(tiny_bundle())
    assert rt.suggest("shop.py", USER, [(9, 9)], top_k=4) == []
    assert rt.last_dropped == {BELOW_PRECISION: 4}


# --- broken bundles ---------------------------------------------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    out = tmp_path / "bundle"
    shutil.copytree(tiny_bundle(), out)
    return out


def _one_line(path: Path) -> str:
    with pytest.raises(BundleError) as info:
        load_runtime(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_tampered_file_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    data = bytearray((path / fmt.DECODER).read_bytes())
    data[len(data) // 2] ^= 1
    (path / fmt.DECODER).write_bytes(bytes(data))
    assert _one_line(path) == f"bundle at {path} was modified: {fmt.DECODER} does not match its sha256 in the manifest"


def test_missing_file_and_incompatible_versions_are_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    (path / fmt.CODEBOOK).unlink()
    assert _one_line(path) == f"bundle at {path} is incomplete: {fmt.CODEBOOK} is missing"
    manifest = json.loads((path / fmt.MANIFEST).read_text())
    manifest["format_version"] = 99
    (path / fmt.MANIFEST).write_text(json.dumps(manifest))
    assert "has format version 99, this speedhints reads version 1" in _one_line(path)
    (path / fmt.MANIFEST).write_text("{not json")
    assert "is not valid JSON" in _one_line(path)
    assert _one_line(tmp_path / "nowhere") == f"no model bundle at {tmp_path / 'nowhere'} (missing manifest.json)"
    with pytest.raises(BundleError, match="has no int8 graphs"):
        load_bundle(tiny_bundle(), precision="int8")


def test_a_bundle_whose_tokenizer_does_not_fit_the_model_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    manifest = json.loads((path / fmt.MANIFEST).read_text())
    manifest["model"]["vocab_size"] = 99
    for key in ("format", "format_version", "files"):
        manifest.pop(key)
    write_manifest(path, manifest)  # checksums fine, contents inconsistent
    assert _one_line(path).endswith("does not match the model")


def test_runtime_never_imports_torch() -> None:
    body = (
        "import sys; "
        f"from speedhints.model_export.runtime import load_runtime; rt = load_runtime({str(tiny_bundle())!r}); "
        f"rt.suggest('a.py', {USER!r}, [(9, 9)]); "
        "bad = [m for m in sys.modules if m == 'torch' or m.startswith('torch.')]; print(bad)"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", body], capture_output=True, text=True, cwd=root,
                         env={**os.environ, "OMP_NUM_THREADS": "1"}, check=True)
    assert out.stdout.strip() == "[]"


def test_the_hook_gets_hints_through_load_runtime(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from speedhints.cli import main

    file = tmp_path / "shop.py"
    file.write_text(USER)
    args = ["check", "--all", "--no-cache", "--bundle", str(tiny_bundle()), "--top-k", "4", str(file)]
    assert main(args) == 0
    assert capsys.readouterr().out == ""  # unmeasured latents: silent by default
    assert main([*args, "--min-precision", "0"]) == 0
    out = capsys.readouterr().out
    assert "+    allowed = set(allowed)" in out
    assert "shop.py:7: [allowed -> set for membership test in loop] score " in out
    assert "  latent 2: not measured on held-out programs\n" in out



def test_diff_headers_of_an_absolute_path() -> None:
    from speedhints.model_export.hints import unified_diff

    diff = unified_diff("/tmp/x.py", "a = 1\n", "a = 2\n", start_line=3)
    assert diff.startswith("--- a/tmp/x.py\n+++ b/tmp/x.py\n@@ -3 +3 @@")


REGION_SOURCES = [
    "import os\n\n\nclass A:\n    x = 1\n\n    @staticmethod\n    def m(a):\n        def inner():\n"
    "            pass\n        return a\n\n\ndef f():\n    return 1\n\n\nprint(f())\n",
    "async def g(x):\n    # a comment\n    await x\n\n\nclass B:\n    @property\n    def p(self):\n"
    "        return [1,\n                2]\n    y = 2; z = 3\n",
]
NEEDS_LIBCST = [
    # A multi-line string whose lines sit left of the method's indentation: cutting lines would change it.
    "class C:\n    def doc(self):\n        s = '''first\nsecond'''\n        return s\n",
    "class D: x = 1\n",  # a body on its header's line
]


@pytest.mark.parametrize("src", REGION_SOURCES + NEEDS_LIBCST)
def test_fast_regions_equal_libcst_regions(src: str) -> None:
    from speedhints.model_export.regions import _regions_libcst, source_lines

    fast = regions(src)
    slow = list(_regions_libcst(src, source_lines(src)))
    assert [(r.name, r.start, r.end, r.indent) for r in fast] == [(r.name, r.start, r.end, r.indent) for r in slow]
    for a, b in zip(fast, slow, strict=True):
        assert canonicalize(a.code).code == canonicalize(b.code).code  # the model sees the same program
    import ast

    from speedhints.model_export.regions import NotLineWise, _walk_ast

    if src in NEEDS_LIBCST:
        with pytest.raises(NotLineWise):  # the fast path declines, so libcst rendered these
            list(_walk_ast(ast.parse(src).body, "", "<module>", source_lines(src)))
        assert [r.code for r in fast] == [r.code for r in slow]
    else:
        assert len(list(_walk_ast(ast.parse(src).body, "", "<module>", source_lines(src)))) == len(fast)
