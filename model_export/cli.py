"""``speedhints model``: inspect the installed model bundle."""

from __future__ import annotations

import json

import click

from speedhints.model_export.bundle import MANIFEST, BundleError, require_bundle


@click.group()
def model() -> None:
    """Inspect the installed model bundle."""


@model.command()
@click.option("--bundle", "bundle_path", type=click.Path(), default=None, help="Bundle directory to inspect.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def info(bundle_path: str | None, as_json: bool) -> int:
    """Print the installed bundle's manifest."""
    try:
        path = require_bundle(bundle_path)
    except BundleError as exc:
        click.echo(f"speedhints: {exc}", err=True)
        return 2
    manifest = json.loads((path / MANIFEST).read_text())
    if as_json:
        click.echo(json.dumps(manifest, indent=2, sort_keys=True))
    else:
        for key, value in sorted(manifest.items()):
            click.echo(f"{key}: {value if not isinstance(value, dict | list) else json.dumps(value)}")
    return 0
