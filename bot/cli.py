"""``speedhints review`` (one PR, e.g. as an Actions step) and ``speedhints serve`` (the App's webhooks).

Errors are single lines (``::error::`` annotations inside GitHub Actions, plain on stderr elsewhere: bot.annotate):
exit 1 for failures, 2 for bad usage or configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from speedhints.bot import annotate
from speedhints.bot.config import BotConfig, ConfigError, split_repo
from speedhints.extras import needs
from speedhints.model_export.atlas import DEFAULT_MIN_PRECISION
from speedhints.model_export.bundle import BundleError

F = TypeVar("F", bound=Callable[..., Any])


def _error(message: str) -> None:
    annotate.error(message)


def _setting(flag: str, **kwargs: Any) -> Callable[[F], F]:
    """An option that a workflow may also set as ``SPEEDHINTS_<FLAG>`` (``--top-k``: ``SPEEDHINTS_TOP_K``), its
    default shown in ``--help``."""
    envvar = "SPEEDHINTS_" + flag.removeprefix("--").replace("-", "_").upper()
    return click.option(flag, show_default=True, envvar=envvar, **kwargs)


@click.command()
@click.option("--repo", default=None, help="OWNER/NAME (default: $GITHUB_REPOSITORY).")
@click.option("--pr", "number", type=int, default=None, help="Pull request number (default: from $GITHUB_EVENT_PATH).")
@_setting("--top-k", type=click.IntRange(1, 64), default=4, help="Hints per changed range.")
@_setting(
    "--max-comments",
    type=click.IntRange(0, 100),
    default=30,
    help="Line comments per review; the rest go into its body.",
)
@_setting(
    "--min-precision",
    type=click.FloatRange(0.0, 1.0),
    default=DEFAULT_MIN_PRECISION,
    help="Post a latent's hints only when the lower bound of its measured precision is at least this.",
)
@click.option("--bundle", "bundle_path", type=click.Path(), default=None, help="Model bundle directory.")
@click.option(
    "--verify",
    "verify_command",
    default=None,
    envvar="SPEEDHINTS_VERIFY_COMMAND",
    help="Post only hints with which this command (e.g. 'pytest -q -x') exits 0, run on a copy of --checkout.",
)
@click.option(
    "--verify-bench",
    "bench_command",
    default=None,
    envvar="SPEEDHINTS_VERIFY_BENCH",
    help="With --verify: time this command before and after each kept hint and report the ratio.",
)
@_setting(
    "--verify-timeout",
    type=click.FloatRange(min=1),
    default=300.0,
    help="Seconds one run of a --verify or --verify-bench command may take.",
)
@_setting(
    "--verify-budget",
    type=click.FloatRange(min=1),
    default=900.0,
    help="Seconds all verification of this pull request may take; hints it does not reach are not posted.",
)
@click.option(
    "--checkout",
    type=click.Path(exists=True, file_okay=False),
    default=".",
    show_default=True,
    help="The pull request's checked-out head, which --verify copies.",
)
def review(
    repo: str | None,
    number: int | None,
    top_k: int,
    max_comments: int,
    min_precision: float,
    bundle_path: str | None,
    verify_command: str | None,
    bench_command: str | None,
    verify_timeout: float,
    verify_budget: float,
    checkout: str,
) -> int:
    """Post one review of speed hints on a pull request.

    With --verify, pull-request code runs here: use it only in your own CI job, on your own checkout."""
    needs("github", "jwt", "cryptography", "requests")
    from speedhints.bot.auth import make_auth
    from speedhints.bot.github_api import PullRequestAPI
    from speedhints.bot.retry import GitHubError
    from speedhints.bot.runner import run_review
    from speedhints.bot.suggester import SuggesterError, load_suggester
    from speedhints.bot.summary import write_fallback

    try:
        config = BotConfig.from_env()
        full_name = repo or config.repository
        number = number if number is not None else config.default_pr_number()
        if not full_name:
            raise ConfigError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
        if number is None or number < 1:
            raise ConfigError("no pull request: pass --pr N or run on a pull_request event")
        owner, name = split_repo(full_name)
        config.check_auth()
        if bench_command and not verify_command:
            raise ConfigError("--verify-bench needs --verify (only hints that pass it are timed)")
    except ConfigError as exc:
        _error(str(exc))
        return 2
    try:
        suggester = load_suggester(bundle_path, min_precision)
    except (BundleError, SuggesterError) as exc:
        _error(str(exc))
        return 1
    try:
        auth = make_auth(config, owner, name)
        api = PullRequestAPI(config.api_url, auth, full_name, number, write_pause_s=config.write_pause_s)
        screen = None
        if verify_command:
            from pathlib import Path

            from speedhints.bot.verify import Verifier, VerifyConfig

            verify = VerifyConfig(verify_command, Path(checkout), verify_timeout, verify_budget, bench_command)
            screen = Verifier(verify).screen
        outcome = run_review(api, suggester, top_k=top_k, max_comments=max_comments, screen=screen)
    except ConfigError as exc:
        _error(str(exc))
        return 2
    except GitHubError as exc:
        _error(str(exc))
        return 1
    for note in outcome.notes:
        click.echo(f"speedhints: {note}", err=True)
    if outcome.mode == "read-only":
        annotate.warning("the token cannot write reviews here; hints are in the job summary")
        reason = "The token of this run is read-only (e.g. a pull request from a fork), so no review was posted."
        for line in write_fallback(outcome.hints, reason, config.step_summary):
            click.echo(line)
        return 0
    if outcome.mode == "posted":
        click.echo(
            f"speedhints: posted review {outcome.review_id or '(recovered)'} on {full_name}#{number}: "
            f"{outcome.comments} comment(s), {outcome.folded} in the body, {outcome.rejected} refused, "
            f"{outcome.deleted} stale deleted"
        )
    else:
        click.echo(
            f"speedhints: nothing new to post on {full_name}#{number} ({len(outcome.hints)} hint(s), "
            f"{outcome.already_posted} already posted, {outcome.deleted} stale deleted)"
        )
    return 0


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default="speedhints-queue.sqlite3", show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(0, 16),
    default=1,
    show_default=True,
    help="Worker threads (0: queue only).",
)
@click.option("--max-payload", type=click.IntRange(1024), default=5 * 1024 * 1024, show_default=True)
@click.option(
    "--lease-s",
    type=click.FloatRange(0.5),
    default=120.0,
    show_default=True,
    help="Seconds after which a job of a dead worker is taken over.",
)
def serve(host: str, port: int, db_path: str, workers: int, max_payload: int, lease_s: float) -> int:
    """Run the GitHub App webhook server (POST /webhook, GET /healthz)."""
    needs("starlette", "uvicorn", "github", "jwt", "cryptography", "requests")
    from speedhints.bot.server import ServeOptions, run_server

    try:
        config = BotConfig.from_env()
        if not config.webhook_secret:
            raise ConfigError("GITHUB_WEBHOOK_SECRET is not set; refusing to accept unsigned webhooks")
        if workers:
            config.check_auth()
    except ConfigError as exc:
        _error(str(exc))
        return 2
    code: int = run_server(config, ServeOptions(host, port, db_path, workers, max_payload, lease_s))
    return code
