"""The click command ``speedhints data scale`` (registered in training/data/data_cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from speedhints.training.data.scale.pipeline import DEFAULT_TABLE, ScaleConfig


@click.command("scale")
@click.option(
    "--problems", "limit", type=click.IntRange(min=1), default=None, help="only the first N eligible problems"
)
@click.option("--only", multiple=True, help="only this problem (repeatable), e.g. --only 4_A")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--work", type=click.Path(path_type=Path), default=ScaleConfig.work, show_default=True)
@click.option("--data", type=click.Path(path_type=Path), default=ScaleConfig.data, show_default=True)
@click.option("--table", type=click.Path(path_type=Path), default=DEFAULT_TABLE, show_default=True)
@click.option(
    "--cpu-seconds",
    type=click.FloatRange(min=0.1),
    default=ScaleConfig.cpu_seconds,
    show_default=True,
    help="CPU limit of one agreement run",
)
@click.option(
    "--target-ms",
    type=click.FloatRange(min=0.0),
    default=ScaleConfig.target_cpu * 1000,
    show_default=True,
    help="CPU time of the fastest agreeing solution that makes an input big enough",
)
@click.option(
    "--stress/--no-stress",
    default=True,
    show_default=True,
    help="below the target at the statement's maximum, try inputs past the statement (README: stress)",
)
@click.option("--force", is_flag=True, help="redo problems that already have a result")
@click.option("--export-only", is_flag=True, help="write the table from finished problems, running nothing")
@click.option("--regenerate", is_flag=True, help="rebuild the committed table's inputs (checked by sha256)")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
def scale_command(
    limit: int | None,
    only: tuple[str, ...],
    workers: int,
    work: Path,
    data: Path,
    table: Path,
    cpu_seconds: float,
    target_ms: float,
    stress: bool,
    force: bool,
    export_only: bool,
    regenerate: bool,
    as_json: bool,
) -> int:
    """Generate scaled-up inputs and keep those >= 75 % of passing solutions agree on (see training/data/scale/
    README.md)."""
    if not data.is_file():
        click.echo(f"error: data set not found: {data}", err=True)
        return 2
    if not (work / "converted.jsonl").is_file():
        click.echo(f"error: {work / 'converted.jsonl'} not found: run `speedhints data convert` first", err=True)
        return 2
    from speedhints.training.data.scale import pipeline

    cfg = ScaleConfig(data=data, work=work, table=table, workers=workers, cpu_seconds=cpu_seconds, force=force,
                      target_cpu=target_ms / 1000, stress=stress)  # fmt: skip
    if regenerate:
        if not table.is_file():
            click.echo(f"error: {table} not found", err=True)
            return 2
        counts = pipeline.regenerate(cfg, echo=lambda s: click.echo(s, err=True))
        click.echo(f"regenerate: {counts}")
        return 0 if set(counts) <= {"ok", "ok, output bytes differ"} else 1
    if export_only:
        summary = pipeline.export_table(cfg)
    else:
        summary = pipeline.run_scale(cfg, only=set(only) or None, limit=limit, echo=lambda s: click.echo(s, err=True))
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        click.echo(
            f"scale: {summary['with_scaled_input']}/{summary['problems']} problems with a scaled input, "
            f"{summary['fastest_at_least_target']} where the fastest agreeing solution needs "
            f">= {summary['target_ms']:g} ms; "
            f"reasons {summary['reasons']}; table {table}"
        )
    return 0 if summary["problems"] else 1
