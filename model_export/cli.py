"""``speedhints model``: inspect the installed model bundle."""

from __future__ import annotations

import json
import re
from typing import Any

import click

from speedhints.model_export.atlas import Atlas
from speedhints.model_export.bundle import BundleError, load_atlas, load_bundle

TABLE_METRICS = ("avg_corr", "avg_effi_hard", "avg_effi_soft", "max_corr", "max_effi_hard", "max_effi_soft",
                 "diversity")  # fmt: skip


@click.group()
def model() -> None:
    """Inspect the installed model bundle."""


@model.command()
@click.option("--bundle", "bundle_path", type=click.Path(), default=None, help="Bundle directory to inspect.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the whole manifest as JSON, with the atlas's measured precision (atlas.latent_precision).")
def info(bundle_path: str | None, as_json: bool) -> int:
    """Print the installed bundle's manifest: the model, its training data, its evaluation and what each latent's
    hints measured on held-out programs."""
    try:
        bundle = load_bundle(bundle_path)  # checksums verified: a tampered bundle is reported, not described
        atlas = load_atlas(bundle)
    except BundleError as exc:
        click.echo(f"speedhints: {exc}", err=True)
        return 2
    manifest = with_precision(bundle.manifest, atlas)
    if as_json:
        click.echo(json.dumps(manifest, indent=2, sort_keys=True))
        return 0
    for line in describe(manifest, str(bundle.path)):
        click.echo(line)
    return 0


def with_precision(manifest: dict[str, Any], atlas: Atlas) -> dict[str, Any]:
    """The manifest with ``atlas.latent_precision`` (index = latent id; [] when never measured) read from the
    atlas file, which is where the bundle keeps it (the manifest holds its sha256)."""
    section = dict(manifest.get("atlas") or {})
    section["latent_precision"] = atlas.to_json().get("latent_precision", [])
    return {**manifest, "atlas": section}


def describe(manifest: dict[str, Any], path: str) -> list[str]:
    """A human summary; `--json` has everything."""
    spec = manifest.get("model", {})
    lines = [
        f"bundle: {path}",
        f"model: {manifest.get('model_name')} ({manifest.get('config_name')}), "
        + ", ".join(f"{k} {v}" for k, v in sorted(spec.items()) if isinstance(v, int | float | str)),
        f"graphs: {', '.join(manifest.get('precisions', []))} (default {manifest.get('default_precision')})",
    ]
    training = manifest.get("training", {})
    if training:
        lines.append("training: " + ", ".join(f"{k} {v}" for k, v in sorted(training.items())
                                              if isinstance(v, int | float | str)))  # fmt: skip
    atlas = manifest.get("atlas", {})
    lines.append(f"atlas: {atlas.get('latents', 0)} labelled latents")
    lines += describe_precision(atlas)
    evaluation = manifest.get("evaluation") or {}
    rows = evaluation.get("table1", [])
    if rows:
        lines.append("evaluation (Table 1; avg over N samples, then max, then diversity):")
        lines.append(f"  {'model':18s} {'split':11s} " + " ".join(f"{m:>13s}" for m in TABLE_METRICS))
        for r in rows:
            cells = " ".join(f"{r.get(m, float('nan')):13.3f}" for m in TABLE_METRICS)
            lines.append(f"  {r.get('model', '?'):18s} {r.get('split', '?'):11s} {cells}")
    execution = evaluation.get("execution") or {}
    if execution:
        # best_of_K, prior_best_of_K, shown_best_of_K (see training/evaluation/run.py), each group by K.
        keys = [k for k in execution if re.fullmatch(r"(\w*?)best_of_(\d+)_correct_and_faster", k)
                and isinstance(execution[k], int | float)]
        keys.sort(key=lambda k: (k.split("best_of_")[0], int(k.split("best_of_")[1].split("_")[0])))
        figures = [f"{k.replace('_correct_and_faster', '')} {execution[k]:.3f}" for k in keys]
        lines.append(f"execution on {execution.get('inputs')} test inputs: parse {execution.get('parse', 0):.3f}, "
                     f"pass {execution.get('pass', 0):.3f}; correct and >= 1.2x faster: " + ", ".join(figures))
    lines += describe_shown(execution)
    if not rows and not execution:
        lines.append("evaluation: none recorded in this bundle")
    return lines


def describe_shown(execution: dict[str, Any]) -> list[str]:
    """One line per test set that has shown figures (``speedhints eval --bundle ... --write-bundle``)."""
    lines = []
    for name, e in sorted(execution.items()):
        if isinstance(e, dict) and "shown" in e and "shown_coverage" in e:
            prec = "-" if e.get("shown_precision") is None else f"{e['shown_precision']:.3f}"
            lines.append(f"shown on {name} ({e.get('shown_inputs', e.get('inputs'))} test inputs, min-precision "
                         f"{e.get('min_precision')}, top-k {e.get('top_k')}): {e['shown']} hints, precision {prec} "
                         f"(correct and >= 1.2x faster), coverage {e['shown_coverage']:.3f}")  # fmt: skip
    lib = execution.get("library_heldout")
    if isinstance(lib, dict) and "functions" in lib:  # `speedhints data library heldout --write-bundle`
        lines.append(f"library held-out packages ({lib['functions']} pessimized functions, default settings): "
                     f"{lib.get('shown', 0)} hints shown, {lib.get('shown_tests_green', 0)} keep the tests green, "
                     f"restored {lib.get('restored_share', 0.0):.3f}")  # fmt: skip
    return lines


def describe_precision(atlas: dict[str, Any]) -> list[str]:
    records = atlas.get("latent_precision") or []
    if not records:
        return ["precision: never measured (every latent counts as unmeasured: lower bound 0)"]
    m = atlas.get("precision_measured") or {}
    shown = sum(r["shown"] for r in records)
    good = sum(r["correct_and_faster"] for r in records)
    lines = [f"precision, measured on {m.get('programs', '?')} programs of {m.get('problems', '?')} "
             f"{m.get('split', '?')} {m.get('fold', '?')} problems: {shown} hints shown, "
             f"{sum(r['correct'] for r in records)} correct, {good} correct and >= 1.2x faster",
             "  latent  shown  correct  correct&faster  lower bound  median speedup"]  # fmt: skip
    for k, r in sorted(enumerate(records), key=lambda kr: (-kr[1]["precision_lower_bound"], -kr[1]["shown"], kr[0])):
        if r["shown"]:
            med = "-" if r["median_speedup"] is None else f"{r['median_speedup']:.2f}x"
            lines.append(f"  {k:6d} {r['shown']:6d} {r['correct']:8d} {r['correct_and_faster']:15d} "
                         f"{r['precision_lower_bound']:12.3f} {med:>15s}")  # fmt: skip
    unmeasured = sum(1 for r in records if not r["shown"])
    if unmeasured:
        lines.append(f"  ({unmeasured} latents showed nothing on these programs: unmeasured)")
    return lines
