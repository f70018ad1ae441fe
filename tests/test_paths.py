"""Issue #16, item 4: default paths are relative to the current directory (or set by an environment variable),
never inside the installed package (they were ``…/site-packages/speedhints/work`` on a normal install)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click

import speedhints
import speedhints.bot
import speedhints.hook
import speedhints.model_export
import speedhints.training
from speedhints.cli import group
from speedhints.paths import DATA_ENV, WORK_ENV, default_data, default_work

PACKAGE_DIRS = [Path(m.__file__).resolve().parent for m in (speedhints, speedhints.training, speedhints.hook,
                                                             speedhints.bot, speedhints.model_export)]  # fmt: skip
# The committed tables are package data: later stages read them from there (and rebuilding them from a checkout
# writes them there, to be committed). Nothing else may default to a place inside the package.
COMMITTED_TABLES = Path(speedhints.training.__file__).resolve().parent / "corpus"


def all_commands(cmd: click.Command, path: str = "speedhints") -> Iterator[tuple[str, click.Command]]:
    yield path, cmd
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            assert sub is not None
            yield from all_commands(sub, f"{path} {name}")


def path_defaults() -> Iterator[tuple[str, str, Path]]:
    for where, cmd in all_commands(group):
        for param in cmd.params:
            if isinstance(param.type, click.Path) and isinstance(param.default, str | Path):
                yield where, param.name or "", Path(param.default)


def test_the_walk_sees_the_work_and_data_options() -> None:
    found = {(where, name) for where, name, _ in path_defaults()}
    assert {("speedhints data convert", "data"), ("speedhints data verify", "work"), ("speedhints eval", "data"),
            ("speedhints train", "pairs_dir")} <= found  # fmt: skip


def test_no_default_lies_inside_the_package_but_the_committed_tables() -> None:
    inside = []
    for where, name, default in path_defaults():
        resolved = default.resolve()
        if any(resolved.is_relative_to(d) for d in PACKAGE_DIRS) and not resolved.is_relative_to(COMMITTED_TABLES):
            inside.append(f"{where} --{name}: {default}")
    assert inside == []


def test_work_and_data_default_to_the_current_directory_or_the_environment() -> None:
    assert default_work({}) == Path("work") and default_data({}) == Path("../shared/data/codeforces_python.jsonl.gz")
    assert default_work({WORK_ENV: "/srv/w"}) == Path("/srv/w") and default_data({DATA_ENV: "/d.gz"}) == Path("/d.gz")
    assert default_work({WORK_ENV: ""}) == Path("work")  # set but empty: as if unset
    expected = {"work": default_work(), "data": default_data(), "pairs_dir": default_work() / "pairs" / "by_problem"}
    for where, name, default in path_defaults():
        if name in expected:
            assert default == expected[name], (where, name)


def test_the_environment_variables_reach_the_help() -> None:
    # A fresh interpreter: the defaults are read when the command modules are imported
    env = {**os.environ, WORK_ENV: "/srv/shwork", DATA_ENV: "/srv/shcorpus.gz"}
    code = "from speedhints.cli import main; raise SystemExit(main(['data', 'convert', '--help']))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120).stdout
    out = " ".join(out.split())  # click wraps the help at spaces
    assert "[default: /srv/shcorpus.gz]" in out and "[default: /srv/shwork]" in out
