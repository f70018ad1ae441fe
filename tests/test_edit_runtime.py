"""Edit-output models in the runtime (issue 14.5): scripts laid on the user's own lines, a real exported edit model
through the hook's path, malformed and empty scripts counted, and evaluation applying scripts."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_fixtures import (
    EDIT_FAST_LINE,
    EDIT_MALFORMED,
    EDIT_SLOW_LINE,
    EDIT_UNCHANGED,
    EDIT_USER,
    TOKENIZER,
    tiny_edit_bundle,
    tiny_edit_checkpoint,
)

from speedhints.model_export.accounting import MALFORMED_SCRIPT, NOT_ON_LINES
from speedhints.model_export.bundle import BundleError, ModelSpec, load_bundle
from speedhints.model_export.canonical import canonicalize
from speedhints.model_export.editscript import Hunk, Script, ScriptCodec, apply, diff
from speedhints.model_export.plausibility import REFUSAL_KEYS
from speedhints.model_export.regions import regions
from speedhints.model_export.runtime import Candidate, RuntimeConfig, load_runtime, user_suggestion
from speedhints.model_export.source import source_lines
from speedhints.model_export.tokenizer import CodeTokenizer
from speedhints.model_export.userlines import line_spans

SHOW_ALL = RuntimeConfig(min_precision=0.0)  # the tiny model's latents were never measured


def candidate(source: str, name: str, script_of: object) -> tuple[Candidate, list[str]]:
    """A candidate for region ``name`` of ``source`` whose script is ``script_of(canonical x)``."""
    (region,) = [r for r in regions(source) if r.name == name]
    canonical = canonicalize(region.code)
    script = script_of(canonical.code)  # type: ignore[operator]
    return Candidate(region, canonical, 0, 1.0, apply(canonical.code, script), script), source_lines(source)


def edited(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1
    return source.replace(old, new)


def region_text(source: str, name: str) -> str:
    (region,) = [r for r in regions(source) if r.name == name]
    return "".join(source_lines(source)[region.start - 1 : region.end])


# ---- laying scripts on lines (handwritten scripts, no model) -------------------------------------------------


def test_each_canonical_line_knows_the_source_lines_it_came_from() -> None:
    code = ("@dec\n@other(\n    1)\ndef f(items,\n      limit):\n    '''Doc.'''\n    # c\n    out = []\n"
            "    if a: b = 1\n    elif c:\n        d = 2\n    else:\n        if e:\n            g = 3\n"
            "    try:\n        h()\n    except ValueError as exc:  # x\n        i = 1\n    finally:\n        j = 2\n"
            "    x = 1; y = 2\n    return out\n")
    canonical = canonicalize(code).code
    spans = dict(zip(canonical.split("\n"), line_spans(code, canonical), strict=True))
    assert spans["@dec"] == (1, 1) and spans["@other(1)"] == (2, 3)
    assert spans["def f0(v0, v1):"] == (4, 5)  # header to its colon; the docstring and comment belong to nothing
    assert spans["    v2 = []"] == (8, 8)
    assert spans["    if a:"] == spans["        v3 = 1"] == (9, 9)  # one source line, two canonical lines
    assert spans["    elif c:"] == (10, 10) and spans["        v4 = 2"] == (11, 11)
    assert spans["    elif e:"] is None  # printed as elif, written as else + if: no one line it came from
    assert spans["        v5 = 3"] == (14, 14)
    assert spans["    except ValueError as v6:"] == (17, 17) and spans["    finally:"] == (19, 19)
    assert spans["    v9 = 1"] == spans["    v10 = 2"] == (21, 21)
    assert spans[""] is None


def test_a_replaced_line_changes_alone_in_the_users_names_and_indentation() -> None:
    c, lines = candidate(EDIT_USER, "Shop.collect", lambda x: diff(x, x.replace("v3 = v3 + [v4]", "v3.append(v4)")))
    assert c.output.count("v3.append(v4)") == 1
    got = user_suggestion(c, set(), lines)
    # two-space indentation, docstring, comments and the blank line exactly as the user wrote them
    assert got == edited(region_text(EDIT_USER, "Shop.collect"), EDIT_SLOW_LINE, EDIT_FAST_LINE)


def test_a_region_with_an_f_string_is_laid_on_the_users_lines() -> None:
    # Found running the shipped edit model on humanize's natural_list: the printer makes a fresh instance of its
    # class for the inside of an f-string, with a keyword the recorder did not accept, and the region failed.
    src = "def f(xs):\n    out = []\n    for x in xs:\n        out = out + [f'{x}!']\n    return ', '.join(out)\n"
    assert line_spans(src, canonicalize(src).code) == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), None]
    c, lines = candidate(src, "f", lambda x: diff(x, x.replace("v1 = v1 + [f'{v2}{s0}']", "v1.append(f'{v2}{s0}')")))
    assert user_suggestion(c, set(), lines) == src.replace("out = out + [f'{x}!']", "out.append(f'{x}!')")


def test_a_function_with_only_a_docstring_has_no_line_of_its_own_for_its_pass() -> None:
    # Found on difflib.py with the edit model: the canonical form prints `pass` for a docstring-only body, a node
    # with no position, and every region of the file failed.
    src = 'def f():\n    """Only a docstring."""\n\ndef g(x):\n    return x\n'
    assert line_spans(src, canonicalize(src).code) == [(1, 1), None, None, (4, 4), (5, 5), None]


def test_tabs_and_crlf_line_ends_are_the_users() -> None:
    src = "def f(xs):\r\n\t# c\r\n\tout = []\r\n\tfor x in xs:\r\n\t\tout = out + [x]\r\n\treturn out\r\n"
    c, lines = candidate(src, "f", lambda x: diff(x, x.replace("v1 = v1 + [v2]", "v1.append(v2)")))
    assert user_suggestion(c, set(), lines) == src.replace("out = out + [x]", "out.append(x)")


def test_an_insertion_goes_before_its_line_after_docstring_and_comments() -> None:
    c, lines = candidate(EDIT_USER, "Shop.collect", lambda x: Script((Hunk(1, 1, ("    v1 = list(v1)",)),)))
    got = user_suggestion(c, set(), lines)
    assert got == edited(region_text(EDIT_USER, "Shop.collect"), "    # start empty\n",
                         "    # start empty\n    items = list(items)\n")


def test_hunks_that_cannot_be_placed_exactly_are_dropped_and_counted() -> None:
    from speedhints.model_export.runtime import _checked

    src = ("def f(xs):\n    a = 0; b = 1\n    for x in xs:\n        a += x\n        # keep this\n        b += a\n"
           "    return a, b\n")
    one_of_two, lines = candidate(src, "f", lambda x: diff(x, x.replace("v1 = 0\n", "v1 = 5\n")))
    assert _checked(one_of_two, set(), lines) == (None, NOT_ON_LINES)  # shares its line with b = 1
    across, _ = candidate(src, "f", lambda x: diff(x, x.replace("v1 += v3\n        v2 += v1", "v2 += v1 + v3")))
    assert _checked(across, set(), lines) == (None, NOT_ON_LINES)  # the comment between them would be lost
    plain = src.replace("        # keep this\n", "")
    across, lines_plain = candidate(plain, "f", lambda x: diff(x, x.replace("v1 += v3\n        v2 += v1",
                                                                          "v2 += v1 + v3")))
    assert user_suggestion(across, set(), lines_plain) == plain.replace("a += x\n        b += a", "b += a + x")
    # an insertion between lines of their own is laid fine
    ok, _ = candidate(src, "f", lambda x: diff(x, x.replace("    for v3", "    v2 = 2\n    for v3")))
    assert user_suggestion(ok, set(), lines) == src.replace("    for x", "    b = 2\n    for x")


def test_malformed_and_empty_scripts_are_dropped_with_their_reason() -> None:
    from speedhints.model_export.runtime import _checked

    c, lines = candidate(EDIT_USER, "Shop.collect", lambda x: Script())
    assert _checked(c, set(), lines) == (None, "no change")
    bad = Candidate(c.region, c.canonical, 0, 1.0, "", error=MALFORMED_SCRIPT)
    assert _checked(bad, set(), lines) == (None, MALFORMED_SCRIPT)
    assert {MALFORMED_SCRIPT, NOT_ON_LINES} <= set(REFUSAL_KEYS)  # listed, with what they mean


def test_specs_without_an_output_are_program_models_and_unknown_outputs_are_refused() -> None:
    d = ModelSpec("edit-vqvae", 10, 8, 2, 1, 4, 16, 0, 1, 2).to_dict()
    assert d.pop("output") == "program"
    assert ModelSpec.from_dict(d).output == "program"  # manifests written before edit models
    with pytest.raises(BundleError, match="the manifest's model spec has output 'diff'"):
        ModelSpec.from_dict({**d, "output": "diff"})


# ---- a real exported edit model ------------------------------------------------------------------------------


def test_the_bundle_records_the_output_and_the_extended_tokenizer() -> None:
    bundle = load_bundle(tiny_edit_bundle())
    assert bundle.spec.output == "edit"
    tok = CodeTokenizer.load(bundle.file("tokenizer.json"))
    assert ScriptCodec(tok).tokenizer is tok and tok.vocab_size == bundle.spec.vocab_size  # line tokens in it
    check = bundle.manifest["export_check"]
    assert check["edit_script_logits"] < 1e-3  # onnxruntime vs torch on a script over a marked input


def test_the_hook_shows_exactly_the_edited_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from speedhints.cli import main

    rt = load_runtime(tiny_edit_bundle(), SHOW_ALL)
    (hint,) = rt.suggest("shop.py", EDIT_USER, [(16, 16)], top_k=4)  # every latent: the same edit, one hint
    assert (hint.start_line, hint.end_line, hint.function) == (6, 17, "Shop.collect")
    assert hint.original == region_text(EDIT_USER, "Shop.collect")
    assert hint.suggestion == edited(hint.original, EDIT_SLOW_LINE, EDIT_FAST_LINE)
    speculative = load_runtime(tiny_edit_bundle(), RuntimeConfig(min_precision=0.0, speculative=True))
    assert speculative.suggest("shop.py", EDIT_USER, [(16, 16)], top_k=4) == [hint]  # drafts change no output

    file = tmp_path / "shop.py"
    file.write_text(EDIT_USER + "\n\n" + EDIT_MALFORMED + "\n\n" + EDIT_UNCHANGED)
    args = ["check", "--all", "--no-cache", "--bundle", str(tiny_edit_bundle()), "--top-k", "4",
            "--min-precision", "0", str(file)]
    assert main(args) == 0
    out = capsys.readouterr().out
    changed = [line for line in out.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    assert changed == ["-" + EDIT_SLOW_LINE.rstrip("\n"), "+" + EDIT_FAST_LINE.rstrip("\n")]
    assert f"{file}:6: " in out and out.count("@@ ") == 1  # one hint, for the method only


def test_malformed_and_empty_scripts_are_counted_not_shown() -> None:
    rt = load_runtime(tiny_edit_bundle(), SHOW_ALL)
    assert rt.suggest("t.py", EDIT_MALFORMED, [(1, 5)], top_k=4) == []
    assert rt.last_dropped == {MALFORMED_SCRIPT: 4}  # it points past the input's last line, for every latent
    assert rt.suggest("t.py", EDIT_UNCHANGED, [(1, 2)], top_k=4) == []
    assert rt.last_dropped == {"no change": 4}  # EOS at once


def test_the_export_refuses_an_edit_model_with_a_tokenizer_without_line_tokens(tmp_path: Path) -> None:
    from speedhints.training.export.exporter import ExportConfig, ExportError, export_bundle

    with pytest.raises(ExportError, match=r"the tokenizer \(vocab 2048\) does not match the model \(vocab 2177\)"):
        export_bundle(ExportConfig(checkpoint=tiny_edit_checkpoint(), out=tmp_path / "b", tokenizer=TOKENIZER))
    assert not (tmp_path / "b").exists()


def test_evaluation_samples_are_programs_with_the_script_applied() -> None:
    from speedhints.training.evaluation.generate import ModelSampler
    from speedhints.training.evaluation.inputs import EvalInput

    sampler = ModelSampler("edit", tiny_edit_checkpoint(), 4, 0.7, 0)
    (region,) = [r for r in regions(EDIT_USER) if r.name == "Shop.collect"]
    x = canonicalize(region.code).code
    y = canonicalize(edited(region.code, EDIT_SLOW_LINE.strip(), EDIT_FAST_LINE.strip())).code
    got = sampler.candidates(EvalInput("p", "1", x, 1.0, ()))
    assert got.samples == (y,) * 4 and got.latents == (0, 1, 2, 3)
    bad = canonicalize(EDIT_MALFORMED).code
    assert sampler.candidates(EvalInput("p", "2", bad, 1.0, ())).samples == ("",) * 4
    assert sampler.malformed == 4
