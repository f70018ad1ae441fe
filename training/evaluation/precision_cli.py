"""``speedhints precision``: measure each latent's precision on validation programs and put it in a bundle."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from speedhints.model_export.bundle import ATLAS
from speedhints.training.data.convert import DEFAULT_DATA, DEFAULT_WORK
from speedhints.training.evaluation.precision import (
    LOG,
    SPLITS_TABLE,
    PrecisionSettings,
)


@click.command("precision")
@click.option("--bundle", "bundle_path", type=click.Path(path_type=Path), default=None,
              help="Bundle to measure (default: the shipped one).")
@click.option("--programs", type=click.IntRange(min=1), default=None, help="At most this many validation programs.")
@click.option("--minutes", type=click.FloatRange(min=0), default=None,
              help="Stop starting programs after this many minutes (the log keeps what was measured).")
@click.option("--split", default="by_problem", show_default=True, help="splits.tsv column.")
@click.option("--fold", default="valid", show_default=True, help="Fold of that split (never test).")
@click.option("--data", type=click.Path(path_type=Path), default=DEFAULT_DATA, show_default=True)
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True,
              help="The work folder; this command keeps its files in WORK/precision.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("eval") / "precision", show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Sandbox workers.")
@click.option("--write-bundle", is_flag=True, help="Write the records into the bundle's atlas (re-sealing it).")
@click.option("--summarize-only", is_flag=True, help="Only recompute the summary from OUT's log.")
def precision_command(bundle_path: Path | None, programs: int | None, minutes: float | None, split: str, fold: str,
                      data: Path, work: Path, out: Path, workers: int, write_bundle: bool,
                      summarize_only: bool) -> int:  # fmt: skip
    """Execute every latent's shown candidates on validation programs; per latent: shown, correct, correct and
    >= 1.2x faster, Wilson 95 % lower bound, median speedup. Writes OUT/latent_precision.json and .md, and the
    log of every candidate as OUT/candidates.jsonl.gz."""
    settings = PrecisionSettings(data, work / "precision", out, bundle_path, split, fold, programs, minutes, workers)
    echo = lambda m: click.echo(m, err=True)  # noqa: E731
    try:
        return run(settings, write_bundle, summarize_only, echo)
    except (ValueError, OSError) as exc:
        click.echo(f"speedhints precision: {str(exc).splitlines()[0]}", err=True)
        return 2


def run(settings: PrecisionSettings, write_bundle: bool, summarize_only: bool, echo: Any) -> int:
    from speedhints.model_export.bundle import BundleError, load_atlas, load_bundle
    from speedhints.model_export.bundle import write_atlas as seal
    from speedhints.training.evaluation.precision import (
        latent_records,
        measure,
        pack_log,
        read_log,
        summary,
        summary_markdown,
        validation_programs,
    )

    try:
        bundle = load_bundle(settings.bundle)
        atlas = load_atlas(bundle)
    except BundleError as exc:
        raise ValueError(str(exc)) from None
    log = settings.out / LOG
    fingerprint = model_fingerprint(bundle.manifest)
    if not summarize_only:
        _check_log_model(settings.out, fingerprint)
        chosen = validation_programs(SPLITS_TABLE, settings.split, settings.fold, settings.seed)
        chosen = chosen[: settings.programs] if settings.programs else chosen
        deadline = time.monotonic() + 60 * settings.minutes if settings.minutes is not None else None
        prepare_and_measure(settings, bundle, chosen, log, deadline, echo, measure)
    rows = read_log(log)
    if not rows:
        raise ValueError(f"{log}: nothing measured yet")
    pack_log(log, rows)
    records = latent_records(rows, bundle.spec.codebook_size)
    result = summary(rows, records, settings, fingerprint)
    settings.out.mkdir(parents=True, exist_ok=True)
    (settings.out / "latent_precision.json").write_text(json.dumps(result, indent=2) + "\n")
    labels = {k: info.label for k, info in atlas.latents.items()}
    (settings.out / "latent_precision.md").write_text(summary_markdown(result, labels))
    m = result["measured"]
    echo(f"precision: {m['programs']} programs, {m['shown']} shown, {m['correct']} correct, "
         f"{m['correct_and_faster']} correct and faster; wrote {settings.out}/latent_precision.json, .md")  # fmt: skip
    if write_bundle:
        measured = {k: v for k, v in m.items() if k != "model_fingerprint"}
        seal(bundle.path, atlas.with_precision(records, measured))
        echo(f"precision: wrote the records into {bundle.path}/atlas.json and re-sealed its manifest")
    return 0


def prepare_and_measure(settings: PrecisionSettings, bundle: Any, chosen: Sequence[tuple[str, str]], log: Path,
                        deadline: float | None, echo: Any, measure: Any, sources: Any = None,
                        label: str = "precision") -> None:  # fmt: skip
    """Prepare the chosen programs' problems under ``settings.work`` and measure them into ``log`` with the bundle's
    runtime (no gate). ``sources(converted) -> {(problem, id): code}`` gives the programs when they are not the
    corpus's own solutions (synthetic slow variants); ``speedhints eval`` measures test programs with it too."""
    from speedhints.model_export.runtime import OnnxSuggester, RuntimeConfig
    from speedhints.training.data.convert import load_converted
    from speedhints.training.data.runcache import RunCache
    from speedhints.training.data.sandbox import Sandbox
    from speedhints.training.data.scale.pipeline import read_table
    from speedhints.training.data.verify import file_io_problems
    from speedhints.training.evaluation.execution import Executor, load_problem_data
    from speedhints.training.evaluation.precision import prepare

    prepare(settings, {p for p, _ in chosen}, echo)
    timed = {r.problem for r in read_table(settings.work / "scaled_inputs.tsv")}
    if len(timed) < len({p for p, _ in chosen}):
        echo(f"precision: leaving out the programs of {len({p for p, _ in chosen} - timed)} problems without "
             "scaled inputs (a speedup cannot be measured there)")
    chosen = [c for c in chosen if c[0] in timed]
    problems = {p for p, _ in chosen}
    converted = [c for c in load_converted(settings.work) if c.problem in problems]
    wanted = set(chosen)
    if sources is not None:
        originals = {k: v for k, v in sources(converted).items() if k in wanted}
    else:
        originals = {(c.problem, c.id): c.code for c in converted if (c.problem, c.id) in wanted and c.code}
    problem_data = load_problem_data(settings.data, settings.work / "scaled_inputs.tsv", settings.work / "scaled",
                                     problems, file_io_problems(converted))  # fmt: skip
    suggester = OnnxSuggester(bundle, RuntimeConfig(threads=settings.threads, min_precision=0.0))
    with contextlib.ExitStack() as stack:
        cache = stack.enter_context(RunCache(settings.work / "runs.sqlite"))
        sandbox = stack.enter_context(Sandbox(workers=settings.workers))
        executor = Executor(cache, sandbox, problem_data, originals, {})
        echo(f"{label}: {len(chosen)} programs of {len(problems)} problems")
        measure(suggester, executor, chosen, originals, log, deadline, echo, label=label)


def model_fingerprint(manifest: dict[str, Any]) -> str:
    """The model's identity without its atlas: writing the records into the bundle changes the atlas (and so the
    manifest) but not the model, and a resumed log must stay valid across that."""
    files = {k: v for k, v in manifest.get("files", {}).items() if k != ATLAS}
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def _check_log_model(out: Path, fingerprint: str) -> None:
    """A log belongs to one model: resuming it with another would mix two models' candidates."""
    marker = out / "model.json"
    if marker.is_file():
        if json.loads(marker.read_text()).get("model_fingerprint") != fingerprint:
            raise ValueError(f"{out} holds the log of another model: remove it or choose another --out")
        return
    out.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"model_fingerprint": fingerprint}) + "\n")


def main(argv: list[str] | None = None) -> int:
    return int(precision_command.main(args=argv, standalone_mode=False) or 0)


if __name__ == "__main__":
    sys.exit(main())
