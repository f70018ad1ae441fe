"""``speedhints data ...``: the corpus pipeline (convert, verify, scale, measure, pairs, quality, splits, stats)."""

from __future__ import annotations

import click

from speedhints.lazy import LazyGroup

# subcommand -> "module:attribute"; each pipeline stage registers its own line here.
DATA_COMMANDS: dict[str, str] = {
    "canonical": "speedhints.training.tokenizer_cli:canonical_command",
    "tokenizer": "speedhints.training.tokenizer_cli:tokenizer_command",
    "pairs": "speedhints.training.data.pairs:pairs_command",
    "quality": "speedhints.training.data.pair_quality:quality_command",
    "splits": "speedhints.training.data.splits:splits_command",
    "denoise": "speedhints.training.data.denoise:denoise_command",
    "stats": "speedhints.training.data.stats:stats_command",
    "convert": "speedhints.training.data.convert:convert_command",
    "verify": "speedhints.training.data.verify:verify_command",
    "measure": "speedhints.training.data.measure:measure_command",
    "scale": "speedhints.training.data.scale.command:scale_command",
    "synth": "speedhints.training.data.synth:synth_command",
    "edits": "speedhints.training.data.synth_edits:edits_command",
    "mix": "speedhints.training.data.mix:mix_command",
    "library": "speedhints.training.data.library.cli:library",
}


@click.group(cls=LazyGroup, lazy_commands=DATA_COMMANDS)
def data() -> None:
    """Build the runtime-measured corpus of slow->fast pairs from ../shared/data."""
