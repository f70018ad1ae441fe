"""Optional dependencies: a command whose extra is not installed says which one in one line and exits 2.

``pip install speedhints`` installs only what the hook needs; training and the bot come with extras. Without this,
``speedhints train`` after a plain install ends in a ``ModuleNotFoundError`` traceback. Two ways in, one message:

- ``needs("torch", ...)`` at the top of a command body, before anything else: it fails the same way whether or
  not some module that imports torch happens to be imported already;
- ``missing_extra(exc)`` in ``speedhints.cli.main``: the safety net for an optional import deeper down (a module
  imported when the command is looked up, a library only one code path uses).
"""

from __future__ import annotations

import importlib

import click

# top-level module -> the extra of pyproject.toml that installs it
EXTRA_OF: dict[str, str] = {
    "torch": "train",
    "onnx": "train",
    "onnxscript": "train",
    "matplotlib": "train",
    "fissix": "train",
    "sacrebleu": "train",
    "sklearn": "train",
    "scipy": "train",
    "umap": "train",
    "github": "bot",  # PyGithub
    "jwt": "bot",  # PyJWT[crypto]
    "cryptography": "bot",
    "starlette": "bot",
    "uvicorn": "bot",
    "requests": "bot",
}


class MissingExtra(click.ClickException):
    """An optional dependency is not installed; ``str(exc)`` is the one line to print."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        click.echo(f"error: {self.message}", err=True)


def message(module: str, command: str | None = None) -> str:
    """The one line for a missing ``module`` (a top-level name of EXTRA_OF)."""
    extra = EXTRA_OF[module]
    who = f"`{command}` needs" if command else "this command needs"
    return f'{module} is not installed; {who} the {extra} extra: pip install "speedhints[{extra}]"'


def missing_extra(exc: BaseException, command: str | None = None) -> str | None:
    """The one line for an ImportError (or one it was raised from) of an optional module, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ImportError) and current.name:
            top = current.name.split(".")[0]
            if top in EXTRA_OF:
                return message(top, command)
        current = current.__cause__ or current.__context__
    return None


def needs(*modules: str) -> None:
    """Import each optional module now; raise MissingExtra (exit 2, one line) for the first that is missing."""
    ctx = click.get_current_context(silent=True)
    command = ctx.command_path if ctx is not None else None
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise MissingExtra(missing_extra(exc, command) or message(module.split(".")[0], command)) from exc
