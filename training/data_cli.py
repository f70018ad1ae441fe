"""``speedhints data ...``: the corpus pipeline (convert, verify, scale, measure, pairs, splits, stats)."""

from __future__ import annotations

import click

from speedhints.lazy import LazyGroup

# subcommand -> "module:attribute"; each pipeline stage registers its own line here.
DATA_COMMANDS: dict[str, str] = {}


@click.group(cls=LazyGroup, lazy_commands=DATA_COMMANDS)
def data() -> None:
    """Build the runtime-measured corpus of slow->fast pairs from ../shared/data."""
