"""``speedhints export CHECKPOINT --out DIR [--int8]``: write a checked model bundle (torch imported lazily)."""

from __future__ import annotations

from pathlib import Path

import click

from speedhints.extras import needs


@click.command()
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Bundle directory to write.")
@click.option("--int8", is_flag=True, help="Also write int8 dynamically quantised graphs and make them the default.")
@click.option("--tokenizer", type=click.Path(path_type=Path), default=None,
              help="tokenizer.json (default: the one stored in the checkpoint).")
@click.option("--atlas", type=click.Path(path_type=Path), default=None, help="Latent atlas JSON (issue #5).")
@click.option("--eval", "evaluation", type=click.Path(path_type=Path), default=None,
              help="Evaluation figures (JSON) to record in the manifest.")
@click.option("--check-pairs", type=click.Path(path_type=Path), default=None,
              help="Pairs JSONL whose slow programs feed the int8 agreement check (e.g. valid.jsonl).")
def export(checkpoint: Path, out_dir: Path, int8: bool, tokenizer: Path | None, atlas: Path | None,
           evaluation: Path | None, check_pairs: Path | None) -> int:
    """Export CHECKPOINT (edit-vqvae or vqvae) to an onnxruntime bundle; fails if ONNX and torch disagree."""
    import json

    needs("torch", "onnx", "onnxscript")
    import torch

    from speedhints.training.export.exporter import ExportConfig, ExportError, export_bundle

    torch.set_num_threads(1)
    try:
        manifest = export_bundle(ExportConfig(checkpoint=checkpoint, out=out_dir, int8=int8, tokenizer=tokenizer,
                                              atlas=atlas, evaluation=evaluation, check_pairs=check_pairs))
    except ExportError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except (OSError, json.JSONDecodeError) as exc:
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        return 2
    checks = ", ".join(f"{k} {v:.3g}" for k, v in manifest["export_check"].items() if k not in ("atol", "rtol"))
    click.echo(f"wrote {out_dir}: {manifest['model_name']} ({manifest['config_name']}), "
               f"{', '.join(manifest['precisions'])} graphs, default {manifest['default_precision']}")
    click.echo(f"checked against torch: {checks}")
    return 0
