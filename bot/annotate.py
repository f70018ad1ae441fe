"""Error and warning lines of ``review`` and ``serve``: workflow commands inside GitHub Actions, plain outside.

Inside Actions (``GITHUB_ACTIONS=true``, which the runner sets) ``::error::`` on stdout becomes an annotation on
the run; in a terminal, or under ``speedhints serve`` on a server, it is noise, so there the line goes to stderr as
``speedhints: error: ...``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import click


def in_actions(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def error(message: str) -> None:
    _emit("error", message)


def warning(message: str) -> None:
    _emit("warning", message)


def _emit(level: str, message: str) -> None:
    if in_actions():
        click.echo(f"::{level}::speedhints: {message}")
    else:
        click.echo(f"speedhints: {level}: {message}", err=True)
