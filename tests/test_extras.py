"""Issue #16, item 3: a command whose optional extra is not installed prints one line naming the extra and exits 2.

A missing module is simulated the way Python itself spells it: ``sys.modules[name] = None`` makes ``import name``
raise ModuleNotFoundError, whether or not the real package is installed here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from speedhints.cli import group, main
from speedhints.extras import EXTRA_OF, missing_extra

TRAIN, BOT = "train", "bot"


def make_missing(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    for name in names:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.setitem(sys.modules, loaded, None)
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize(
    ("argv", "missing", "words", "extra"),
    [
        (["train", "edit-vqvae", "--config", "tiny"], "torch", "`speedhints train`", TRAIN),
        (["eval", "--plots", ""], "torch", "`speedhints eval`", TRAIN),
        (["eval"], "umap", "`speedhints eval`", TRAIN),  # the default plots include UMAP
        (["export", "best.pt", "--out", "bundle"], "torch", "`speedhints export`", TRAIN),
        (["export", "best.pt", "--out", "bundle"], "onnx", "`speedhints export`", TRAIN),
        (["bench", "decode"], "torch", "`speedhints bench decode`", TRAIN),
        (["data", "stats"], "matplotlib", "`speedhints data stats`", TRAIN),
        (["data", "convert", "--data", "corpus.jsonl.gz"], "fissix", "`speedhints data convert`", TRAIN),
        (["review", "--repo", "o/r", "--pr", "1"], "cryptography", "`speedhints review`", BOT),
        (["review", "--repo", "o/r", "--pr", "1"], "jwt", "`speedhints review`", BOT),
        (["serve", "--port", "0"], "starlette", "`speedhints serve`", BOT),
        (["serve", "--port", "0"], "uvicorn", "`speedhints serve`", BOT),
    ],
)
def test_a_missing_extra_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: list[str],
    missing: str,
    words: str,
    extra: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing the command might write lands in the checkout
    make_missing(monkeypatch, missing)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    install = f'pip install "speedhints[{extra}]"'
    assert err == f"error: {missing} is not installed; {words} needs the {extra} extra: {install}\n"


def test_data_stats_as_json_needs_no_plotting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # only the report draws plots: the counts come from the committed tables without matplotlib
    make_missing(monkeypatch, "matplotlib")
    assert main(["data", "stats", "--json"]) == 0
    assert '"pairs"' in capsys.readouterr().out


def test_an_optional_import_below_the_command_is_caught_by_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A command module that imports an optional library at its top fails while the command is looked up,
    # before its body (and its needs()) can run: main turns that into the same one line.
    (tmp_path / "needs_umap_cmd.py").write_text("import click\nimport umap\n\n@click.command()\ndef cmd():\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    make_missing(monkeypatch, "umap")
    monkeypatch.setitem(group.lazy_commands, "plot-atlas", "needs_umap_cmd:cmd")
    assert main(["plot-atlas", "--help"]) == 2
    assert capsys.readouterr().err == (
        'error: umap is not installed; `speedhints plot-atlas` needs the train extra: pip install "speedhints[train]"\n'
    )


def test_a_broken_required_import_is_not_dressed_up_as_a_missing_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # numpy is a base dependency: its absence is a broken install, and the traceback is the useful report
    (tmp_path / "needs_numpy_cmd.py").write_text("import click\nimport numpy\n\n@click.command()\ndef cmd():\n  pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    make_missing(monkeypatch, "numpy")
    monkeypatch.setitem(group.lazy_commands, "needs-numpy", "needs_numpy_cmd:cmd")
    with pytest.raises(ModuleNotFoundError, match="numpy"):
        main(["needs-numpy"])


def test_missing_extra_follows_the_exception_chain() -> None:
    try:
        try:
            raise ModuleNotFoundError("No module named 'sklearn.decomposition'", name="sklearn.decomposition")
        except ImportError as inner:
            raise RuntimeError("PCA failed") from inner
    except RuntimeError as outer:
        line = missing_extra(outer)
    assert line == 'sklearn is not installed; this command needs the train extra: pip install "speedhints[train]"'
    assert missing_extra(ModuleNotFoundError("No module named 'numpy'", name="numpy")) is None
    assert missing_extra(ValueError("x")) is None


def test_every_optional_module_belongs_to_an_extra_of_pyproject() -> None:
    import tomllib

    extras = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(EXTRA_OF.values()) <= set(extras)
    assert "torch" in " ".join(extras["train"]) and "starlette" in " ".join(extras["bot"])
