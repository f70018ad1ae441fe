"""``speedhints data library fetch|pairs``: the library-code corpus and its test-verified pessimizer pairs."""

from __future__ import annotations

import time
from pathlib import Path

import click

from speedhints.paths import default_work
from speedhints.training.data.measure import CORPUS

DEFAULT_WORK = default_work()  # the pipeline's work folder; this command keeps its files in WORK/library
DEFAULT_FUNCTIONS = CORPUS / "library_functions.tsv"
DEFAULT_PAIRS = CORPUS / "library_pairs.tsv"
DEFAULT_STATS = CORPUS / "library_stats.json"
LEDGER_DUMP_NAME = "library_ledger.jsonl.gz"  # beside the pairs table: every run's outcome, so another machine resumes

_pins_option = click.option(
    "--pins",
    "pins_path",
    type=click.Path(path_type=Path),
    default=None,
    help="TSV of name, version, split (default: the committed pins.tsv)",
)
_work_option = click.option(
    "--work",
    type=click.Path(path_type=Path),
    default=DEFAULT_WORK,
    show_default=True,
    help="the work folder: sdists, unpacked sources, working copies and the ledger go in WORK/library (git-ignored)",
)
_package_option = click.option("--package", "only", multiple=True, help="only this pinned package (repeatable)")


def _prepared(pins_path: Path | None, work: Path, only: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from speedhints.training.data.library.pins import DEFAULT_PINS, read_pins
    from speedhints.training.data.library.sdist import prepare

    pins = read_pins(pins_path or DEFAULT_PINS)
    unknown = set(only) - {p.name for p in pins}
    if unknown:
        raise click.UsageError(f"not in the pins table: {', '.join(sorted(unknown))}")
    return [prepare(p, work) for p in pins if not only or p.name in only]


@click.group("library")
def library() -> None:
    """Functions of pinned PyPI packages and pessimizer pairs verified by the packages' own tests."""


@library.command("fetch")
@_pins_option
@_work_option
@_package_option
@click.option("--out", type=click.Path(path_type=Path), default=DEFAULT_FUNCTIONS, show_default=True)
def fetch_command(pins_path: Path | None, work: Path, only: tuple[str, ...], out: Path) -> int:
    """Download and unpack the pinned sdists; write the function table (package, version, license, span, sha)."""
    work = work / "library"
    from speedhints.training.data.library.pins import PinError
    from speedhints.training.data.library.sdist import SdistError
    from speedhints.training.data.library.tables import write_functions

    try:
        packages = _prepared(pins_path, work, only)
    except (PinError, SdistError) as err:
        click.echo(f"error: {err}", err=True)
        return 2
    n = write_functions(packages, out)
    click.echo(f"functions: {n} from {len(packages)} packages -> {out}")
    return 0


@library.command("pairs")
@_pins_option
@_work_option
@_package_option
@click.option("--family", "families", multiple=True, help="only this pessimizer family (repeatable)")
@click.option("--max-variants", type=click.IntRange(min=0), default=None, help="stop after this many test runs")
@click.option(
    "--table-every",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    help="seconds between rewrites of the pair table while the job runs",
)
@click.option("--out", type=click.Path(path_type=Path), default=DEFAULT_PAIRS, show_default=True)
@click.option("--stats-out", type=click.Path(path_type=Path), default=DEFAULT_STATS, show_default=True)
def pairs_command(
    pins_path: Path | None,
    work: Path,
    only: tuple[str, ...],
    families: tuple[str, ...],
    max_variants: int | None,
    table_every: float,
    out: Path,
    stats_out: Path,
) -> int:
    """Run each function-level variant on its package's tests; keep those that pass (resumable ledger in --work)."""
    work = work / "library"
    from speedhints.training.data.library.ledger import Ledger
    from speedhints.training.data.library.pins import PinError
    from speedhints.training.data.library.pipeline import JobConfig, run_job
    from speedhints.training.data.library.sdist import SdistError
    from speedhints.training.data.library.tables import write_pairs
    from speedhints.training.data.pessimize import FAMILIES, family

    try:
        chosen = [family(name) for name in families] if families else list(FAMILIES)
    except KeyError as err:
        click.echo(f"error: {err.args[0]}", err=True)
        return 2
    try:
        packages = _prepared(pins_path, work, only)
    except (PinError, SdistError) as err:
        click.echo(f"error: {err}", err=True)
        return 2

    def tables(ledger: Ledger) -> None:
        n = write_pairs(ledger, packages, out, stats_out)
        rows = ledger.dump(out.with_name(LEDGER_DUMP_NAME))
        click.echo(f"pairs: {n} kept -> {out}; ledger dump: {rows} rows")

    _resume_from_dump(work / "ledger.sqlite", out.with_name(LEDGER_DUMP_NAME))
    start = time.perf_counter()
    cfg = JobConfig(work=work, max_variants=max_variants)
    tally = run_job(packages, chosen, cfg, log=click.echo, every=tables, every_seconds=table_every)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(tally.items())) or "nothing to run"
    click.echo(f"variants run: {sum(tally.values())} ({summary}) in {time.perf_counter() - start:.0f} s")
    return 0


def _resume_from_dump(db: Path, dump: Path) -> None:
    """A machine without the ledger starts from the committed dump: no variant, baseline or reach check recorded
    there is run again."""
    from speedhints.training.data.library.ledger import Ledger

    if db.exists() or not dump.is_file():
        return
    ledger = Ledger(db)
    try:
        added = ledger.load(dump)
    finally:
        ledger.close()
    click.echo(f"ledger: no {db} here; started it from {dump} ({added} rows)")


@library.command("tables")
@_pins_option
@_work_option
@click.option("--out", type=click.Path(path_type=Path), default=DEFAULT_PAIRS, show_default=True)
@click.option("--stats-out", type=click.Path(path_type=Path), default=DEFAULT_STATS, show_default=True)
def tables_command(pins_path: Path | None, work: Path, out: Path, stats_out: Path) -> int:
    """Rewrite the pair, test-file and statistics tables from the ledger, running nothing (e.g. beside a job)."""
    work = work / "library"
    from speedhints.training.data.library.ledger import Ledger
    from speedhints.training.data.library.pins import PinError
    from speedhints.training.data.library.sdist import SdistError
    from speedhints.training.data.library.tables import write_pairs

    _resume_from_dump(work / "ledger.sqlite", out.with_name(LEDGER_DUMP_NAME))
    if not (work / "ledger.sqlite").is_file():
        click.echo(f"error: {work / 'ledger.sqlite'} not found: run `speedhints data library pairs` first", err=True)
        return 2
    try:
        packages = _prepared(pins_path, work, ())
    except (PinError, SdistError) as err:
        click.echo(f"error: {err}", err=True)
        return 2
    ledger = Ledger(work / "ledger.sqlite")
    try:
        n = write_pairs(ledger, packages, out, stats_out)
        rows = ledger.dump(out.with_name(LEDGER_DUMP_NAME))
    finally:
        ledger.close()
    click.echo(f"pairs: {n} kept -> {out}; ledger dump: {rows} rows")
    return 0


@library.command("heldout")
@_pins_option
@_work_option
@_package_option
@click.option("--pairs", "pairs_path", type=click.Path(path_type=Path), default=DEFAULT_PAIRS, show_default=True)
@click.option("--bundle", "bundle_path", type=click.Path(path_type=Path), default=None,
              help="model bundle (default: the shipped one, as `speedhints check` finds it)")  # fmt: skip
@click.option("--write-bundle", is_flag=True,
              help="put evaluation.execution.library_heldout (default settings) in the bundle's manifest, "
                   "re-sealed")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), default=Path("eval/library_heldout"), show_default=True)
def heldout_command(pins_path: Path | None, work: Path, only: tuple[str, ...], pairs_path: Path,
                    bundle_path: Path | None, write_bundle: bool, out: Path) -> int:  # fmt: skip
    """The held-out report: the shipped runtime on every held-out pair's pessimized function, at the default
    min-precision and at 0; each shown hint applied and the pair's test files run (green, broken, restored)."""
    work = work / "library"
    from speedhints.hook import suggester as suggester_factory
    from speedhints.model_export.atlas import DEFAULT_MIN_PRECISION
    from speedhints.model_export.bundle import BundleError, read_manifest, require_bundle, write_evaluation
    from speedhints.training.data.library.heldout import (
        bundle_figures,
        evaluate_pair,
        read_heldout_pairs,
        summarize,
        with_library_heldout,
        write_report,
    )
    from speedhints.training.data.library.pins import PinError
    from speedhints.training.data.library.sdist import SdistError

    pairs = [p for p in read_heldout_pairs(pairs_path) if not only or p.package in only]
    if not pairs:
        click.echo(f"error: no held-out rows in {pairs_path}", err=True)
        return 2
    try:
        bundle = require_bundle(bundle_path).resolve()
        packages = {u.pin.name: u for u in _prepared(pins_path, work, tuple(sorted({p.package for p in pairs})))}
    except (PinError, SdistError, BundleError) as err:
        click.echo(f"error: {err}", err=True)
        return 2
    settings = {"default": DEFAULT_MIN_PRECISION, "min_precision_0": 0.0}
    records = []
    for pair in pairs:
        record = evaluate_pair(packages[pair.package], pair,
                               lambda mp: suggester_factory.load_suggester(bundle, min_precision=mp),
                               list(settings.items()), log=click.echo)  # fmt: skip
        click.echo(f"{pair.package} {pair.module}:{pair.function} {pair.family}: {record['status']}")
        records.append(record)
    summary = summarize(records, list(settings))

    def shown(path: Path) -> str:  # relative to the current directory where possible: the report is committed
        try:
            return str(path.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    shown_bundle = shown(bundle)
    report = {"pairs_table": shown(pairs_path), "pairs": len(pairs),
              "evaluated": sum(r["status"] == "ok" for r in records), "bundle": shown_bundle,
              "settings": settings, "summary": summary, "records": records}  # fmt: skip
    write_report(report, out)
    click.echo(f"wrote {out}/report.json, report.md")
    for name in settings:
        for pkg, s in summary[name].items():
            click.echo(f"{name} {pkg}: {s}")
    if write_bundle:
        manifest = read_manifest(bundle)
        write_evaluation(bundle, with_library_heldout(manifest.get("evaluation") or {}, bundle_figures(summary)))
        click.echo(f"wrote evaluation.execution.library_heldout into {bundle}/manifest (re-sealed)")
    return 0


@library.command("folder")
@click.argument("out", type=click.Path(path_type=Path))
@_pins_option
@_work_option
@click.option("--pairs", "pairs_path", type=click.Path(path_type=Path), default=DEFAULT_PAIRS, show_default=True)
@click.option("--split", type=click.Choice(["train", "heldout"]), default="train", show_default=True,
              help="train: OUT/train.jsonl and valid.jsonl for `data mix` and `train`; heldout: the held-out "
                   "packages' pairs in OUT/test.jsonl, to score models on (never trained on)")  # fmt: skip
def folder_command(out: Path, pins_path: Path | None, work: Path, pairs_path: Path, split: str) -> int:
    """Write the library pairs of one split as canonical functions in a pairs folder."""
    work = work / "library"
    from speedhints.training.data.library.heldout import read_pairs
    from speedhints.training.data.library.pins import PinError
    from speedhints.training.data.library.sdist import SdistError
    from speedhints.training.data.library.trainpairs import pair_rows, write_folder

    rows = read_pairs(pairs_path, split)
    if not rows:
        click.echo(f"error: no {split} rows in {pairs_path}", err=True)
        return 2
    try:
        packages = {u.pin.name: u for u in _prepared(pins_path, work, tuple(sorted({p.package for p, _ in rows})))}
    except (PinError, SdistError) as err:
        click.echo(f"error: {err}", err=True)
        return 2
    pairs, counts = pair_rows(rows, packages, held_out=split == "heldout")
    write_folder(out, pairs)
    click.echo(f"{len(rows)} {split} rows -> {out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0
