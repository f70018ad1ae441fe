"""The console script (issue #2, item 2): one click group, light commands load no torch."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from speedhints.cli import main
from speedhints.extras import EXTRA_OF
from speedhints.training.configs import PRESETS

NO_TORCH = "import sys; {body}; bad = sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')); " \
    "print(bad); raise SystemExit(1 if bad else 0)"


@pytest.mark.parametrize(
    "body",
    [
        "import speedhints.hook, speedhints.hook.cli",
        "import speedhints.bot",
        "import speedhints.model_export, speedhints.model_export.canonical, speedhints.model_export.tokenizer",
        "from speedhints.cli import main; main(['check', '--help'])",
        "from speedhints.cli import main; main(['--help'])",
    ],
)
def test_light_paths_never_import_torch(body: str) -> None:
    out = subprocess.run([sys.executable, "-c", NO_TORCH.format(body=body)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith("[]")


def test_console_script_is_installed_and_lists_commands() -> None:
    # The script pip installed for the interpreter running the tests (an un-activated venv has it only there).
    beside = Path(sys.executable).with_name("speedhints")
    out = subprocess.run([str(beside) if beside.is_file() else "speedhints", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("check", "data", "model"):
        assert f"  {command} " in out.stdout


def test_main_returns_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "speedhints, version" in capsys.readouterr().out
    assert main(["no-such-command"]) == 2
    assert "No such command 'no-such-command'" in capsys.readouterr().err


# --- issue #16 ----------------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
# Every module the train and bot extras install: the hook's own install has none of them.
EXTRA_MODULES = sorted(EXTRA_OF)
HOOK_WITHOUT_EXTRAS = (
    "import sys\n"
    "for m in {mods!r}:\n"
    "    sys.modules[m] = None  # import m now raises ModuleNotFoundError, as after `pip install speedhints`\n"
    "from speedhints.cli import main\n"
    "raise SystemExit(main(['check', '--no-cache', '--min-precision', '0', 'examples/slow_script.py']))\n"
)


def test_the_hook_install_is_torch_free() -> None:
    # Item 8: command 1 of the README (`pip install .`) brings no torch, and `speedhints check` runs without it
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = [re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]]
    assert base and not {"torch", "onnx", "matplotlib", "pygithub", "starlette"} & set(base)
    code = HOOK_WITHOUT_EXTRAS.format(mods=EXTRA_MODULES)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert (out.returncode, out.stderr) == (0, "")
    assert out.stdout.startswith("examples/slow_script.py:")  # decoded and printed (by default: silent)


def test_train_help_and_readme_agree_on_the_cpu_preset(capsys: pytest.CaptureFixture[str]) -> None:
    # Item 6: the help said "<= 2 h on 2 cores" where the README said "~15-20 min on one core"
    steps = f"{PRESETS['cpu'][1]['max_steps']:,} steps"
    assert main(["train", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"cpu (2+2 layers, {steps}" in help_text and f"layers at the paper's width, {steps}" in readme
    assert " h on " not in help_text and " min on " not in help_text  # the time is the README's, measured


def test_a_normal_install_carries_every_subpackage() -> None:
    # A folder with __init__.py missing from [tool.setuptools] packages works in the checkout (editable) and is
    # absent after `pip install .`: the fresh-install failure this issue is about
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed, found = set(tool["packages"]), set()
    for package, folder in tool["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([package, *rel.parts]))
    assert found - listed == set()
