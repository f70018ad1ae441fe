"""The one console script, ``speedhints``: a click group whose commands live in the four subpackages.

Commands are imported only when they are run (or listed by ``--help``), so ``speedhints check`` never pays for
torch or the training stack; each command module keeps its own heavy imports inside the command body.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from speedhints import __version__
from speedhints.extras import missing_extra
from speedhints.lazy import LazyGroup

# command name -> "module:attribute" of a click.Command; each part registers its own line here.
COMMANDS: dict[str, str] = {
    "check": "speedhints.hook.cli:check",
    "model": "speedhints.model_export.cli:model",
    "data": "speedhints.training.data.data_cli:data",
    "review": "speedhints.bot.cli:review",
    "serve": "speedhints.bot.cli:serve",
    "train": "speedhints.training.train_cli:train",
    "export": "speedhints.training.export.cli:export",
    "bench": "speedhints.training.export.bench:bench",
    "eval": "speedhints.training.evaluation.cli:eval_command",
    "precision": "speedhints.training.evaluation.precision_cli:precision_command",
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="speedhints")
def group() -> None:
    """speedhints: learned hints that make Python code faster."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI in-process and return its exit code (tests call this; the console script wraps it)."""
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        rv = group.main(args=args, prog_name="speedhints", standalone_mode=False)
    except ImportError as exc:
        # An optional dependency imported below the command (see speedhints.extras): one line, not a traceback.
        line = missing_extra(exc, _command_path(args))
        if line is None:
            raise
        click.echo(f"error: {line}", err=True)
        return 2
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    # Commands return their exit code; a command that returns nothing succeeded.
    return rv if isinstance(rv, int) else 0


def _command_path(args: Sequence[str]) -> str:
    """``speedhints train`` or ``speedhints data stats`` from the leading words of the command line."""
    words = ["speedhints"]
    for arg in args:
        if arg.startswith("-") or len(words) == 3:
            break
        words.append(arg)
        if arg not in ("data", "bench"):  # the two groups of subcommands
            break
    return " ".join(words)


def console_main() -> None:
    raise SystemExit(main())
