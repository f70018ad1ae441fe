"""``speedhints check``: the pre-commit hook's entry point.

Exit codes: 0 (hints are advice), 1 with --fail-on-hints when a hint is shown, 2 for usage errors, a bad
configuration, or a missing or broken model bundle (one line on stderr, never a traceback).

``--explain`` / ``-v`` says for every region why it shows what it shows (render.verdict); the JSON output always
totals what the runtime dropped, by reason. A run longer than a second shows progress on stderr if it is a terminal.

Configuration (every key optional; command-line flags override)::

    [tool.speedhints]
    top-k = 4                  # hints asked of the model per function
    min-score = 0.1            # hide hints the latent prior scores lower
    min-precision = 0.5        # show a latent only if its measured precision's lower bound reaches this
    disabled-latents = [12, "range(len(...)) -> enumerate"]   # latent ids or hint labels
    exclude = ["migrations/*", "*_pb2.py"]
    max-file-size = 1000000    # bytes
    time-budget = 5.0          # seconds per run, 0 = no limit

Inline: ``# speedhints: ignore`` on a ``def`` line (or its decorators / signature) silences the whole function,
elsewhere the hints touching that line; ``# speedhints: ignore[7, list -> set membership]`` only those latents.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from speedhints.hook import suggester as suggester_factory
from speedhints.hook.cache import HintCache, default_cache_dir
from speedhints.hook.config import ConfigError, find_pyproject, load_config
from speedhints.hook.diffs import DiffError
from speedhints.hook.engine import CheckResult, FileToRead, Progress, run_check
from speedhints.hook.git import GitError, GitRepo
from speedhints.hook.render import FORMATS, render_explain, render_github, render_json, render_text, stop_message
from speedhints.hook.selection import SelectionError, excluded, open_all, select
from speedhints.model_export.bundle import BundleError
from speedhints.model_export.source import parse_python


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--all", "whole", is_flag=True, help="Check whole files (FILES, or every tracked Python file).")
@click.option("--diff", "diff_ref", metavar="REF", help="Check what changed since REF, or in a range A..B.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("--fail-on-hints", is_flag=True, help="Exit 1 when any hint is shown.")
@click.option(
    "--explain",
    "-v",
    "explain",
    is_flag=True,
    help="Say, for every region, why it shows what it shows (text: after the hints; json: an 'explain' list).",
)
@click.option("--top-k", type=int, default=None, help="Hints asked of the model per function [config: top-k].")
@click.option("--min-score", type=float, default=None, help="Hide hints scored lower [config: min-score].")
@click.option(
    "--min-precision",
    type=float,
    default=None,
    help="Show a latent only when the lower bound of its measured precision is at least this [config: min-precision].",
)
@click.option("--disable-latent", "disabled", multiple=True, help="Latent id or label never to show (repeatable).")
@click.option("--exclude", multiple=True, help="Glob of repository paths to leave alone (repeatable).")
@click.option("--max-bytes", "--max-file-size", "max_bytes", type=int, default=None, help="Skip larger files.")
@click.option(
    "--time-budget",
    type=float,
    default=None,
    help="Stop asking the model after this many seconds of the run; 0 = no limit.",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the hint cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="Hint cache directory.")
@click.option("--bundle", "bundle_path", type=click.Path(), default=None, help="Model bundle directory.")
def check(
    files: tuple[str, ...],
    whole: bool,
    diff_ref: str | None,
    fmt: str,
    color: str,
    fail_on_hints: bool,
    explain: bool,
    top_k: int | None,
    min_score: float | None,
    min_precision: float | None,
    disabled: tuple[str, ...],
    exclude: tuple[str, ...],
    max_bytes: int | None,
    time_budget: float | None,
    no_cache: bool,
    cache_dir: str | None,
    bundle_path: str | None,
) -> int:
    """Print speed hints for the code being committed (the staged diff), or for FILES.

    A FILE with staged changes is checked where it changed; one with nothing staged is checked whole.
    """
    started = time.monotonic()
    if whole and diff_ref is not None:
        click.echo("speedhints: --all and --diff cannot be combined", err=True)
        return 2
    cwd = Path.cwd()
    try:
        repo = GitRepo.discover(cwd)
        config = load_config(find_pyproject(cwd, stop=repo.root if repo else None)).with_overrides(
            top_k=top_k,
            min_score=min_score,
            min_precision=min_precision,
            disabled_latents=disabled or None,
            exclude=exclude or None,
            max_file_size=max_bytes,
            time_budget=time_budget,
        )
        model = suggester_factory.load_suggester(bundle_path, min_precision=config.min_precision)
        wanted = [
            w for w in select(repo, files, whole=whole, diff_ref=diff_ref, cwd=cwd) if not excluded(w, config.exclude)
        ]
        opened = open_all(repo, wanted, config.max_file_size)  # read and parsed by run_check, within the budget
        cache = HintCache(
            None if no_cache else Path(cache_dir) if cache_dir else default_cache_dir(repo and repo.git_dir)
        )
        result = run_check(
            [FileToRead(item.wanted.path, item.wanted.changed, item.read) for item in opened],
            config,
            model,
            cache,
            started=started,
            progress=_progress_printer(started) if sys.stderr.isatty() else None,
        )
    except (ConfigError, BundleError, GitError, DiffError, SelectionError) as exc:
        click.echo(f"speedhints: {exc}", err=True)
        return 2
    finally:
        # The remembered trees are freed now, by reference counts (0.1 s for a 5 MB file's); left to the end of the
        # process, the interpreter's last collections walk every node of them (2.4 s for that file).
        parse_python.cache_clear()
    _print(result, fmt, _use_color(color), config.time_budget, explain)
    return 1 if fail_on_hints and result.hints else 0


def _use_color(choice: str) -> bool:
    if choice == "auto":
        return sys.stdout.isatty() and not os.environ.get("NO_COLOR")  # https://no-color.org
    return choice == "always"


def _progress_printer(started: float, after: float = 1.0) -> Progress:
    """Progress on the terminal (stderr) once a run has taken ``after`` seconds; the line is erased at the end."""

    def show(done: int, total: int) -> None:
        if time.monotonic() - started < after:
            return
        end = "\r\x1b[K" if done >= total else ""  # erase the line when done: the output follows
        sys.stderr.write(f"\rspeedhints: {done}/{total} regions checked{end}")  # not click.echo: it strips \x1b
        sys.stderr.flush()

    return show


def _print(result: CheckResult, fmt: str, color: bool, budget: float, explain: bool) -> None:
    if fmt == "json":
        click.echo(render_json(result, budget, explain))
        return
    if fmt == "github":
        out = render_github(result, budget)
        if out:
            click.echo(out)
        return
    for skipped in result.skipped:
        click.echo(f"{skipped.path}: skipped: {skipped.reason}", err=True)
    out = render_text(result, color)
    if out:
        click.echo(out, color=color)
    if result.stopped:
        click.echo(stop_message(result, budget), err=True)
    if explain:
        click.echo(("\n" if out else "") + render_explain(result))
