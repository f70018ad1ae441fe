"""The console script (issue #2, item 2): one click group, light commands load no torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from speedhints.cli import main

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
    out = subprocess.run(["speedhints", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("check", "data", "model"):
        assert f"  {command} " in out.stdout


def test_main_returns_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "speedhints, version" in capsys.readouterr().out
    assert main(["no-such-command"]) == 2
    assert "No such command 'no-such-command'" in capsys.readouterr().err
