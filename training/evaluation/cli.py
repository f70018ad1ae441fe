"""``speedhints eval``: Table 1 on both splits, execution checks, and the latent atlas, in one run."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from speedhints.extras import needs
from speedhints.model_export.atlas import DEFAULT_MIN_PRECISION
from speedhints.paths import default_data, default_work
from speedhints.training.evaluation.shown import DEFAULT_TOP_K
from speedhints.training.evaluation.test_sets import TEST_SETS

DEFAULT_DATA = default_data()
DEFAULT_WORK = default_work()


def _split_option(value: str) -> tuple[str, Path]:
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise click.BadParameter(f"{value!r} is not NAME=DIR")
    return name, Path(path)


def _model_option(value: str) -> tuple[str, str, Path]:
    head, sep, path = value.partition("=")
    split, colon, name = head.partition(":")
    if not sep or not colon or not split or not name or not path:
        raise click.BadParameter(f"{value!r} is not SPLIT:NAME=CHECKPOINT")
    return split, name, Path(path)


def atlas_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| code | label | pairs | share | median speedup | examples |", "|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: -r["pairs"]):
        med = "-" if r["median_speedup"] is None else f"{r['median_speedup']:.2f}x"
        ex = ", ".join(e["name"] for e in r["examples"])
        lines.append(f"| {r['id']} | {r['label']} | {r['pairs']} | {r['share']:.3f} | {med} | {ex} |")
    out = "\n".join(lines) + "\n"
    for r in sorted(rows, key=lambda r: -r["pairs"])[:10]:
        for e in r["examples"][:1]:
            out += f"\n### code {r['id']}: {r['label']} ({e['name']}, {e['speedup']:.2f}x)\n\n"
            out += "```python\n# slow\n" + e["slow"] + "# fast\n" + e["fast"] + "```\n"
    return out


@click.command("eval")
@click.option("--split", "splits", multiple=True, metavar="NAME=DIR",
              help="A split's pairs folder (refs.jsonl, train.jsonl). Default: by_problem=work/pairs/by_problem.")
@click.option("--model", "models", multiple=True, metavar="SPLIT:NAME=CKPT",
              help="A checkpoint trained on SPLIT, shown as NAME (e.g. by_problem:edit-vqvae=runs/x/best.pt).")
@click.option("--inputs", type=click.IntRange(min=1), default=None, help="Test inputs per split (default: all).")
@click.option("--samples", type=click.IntRange(min=1), default=64, show_default=True,
              help="N samples per input (codebook models always decode all K codes).")
@click.option("--temperature", type=click.FloatRange(min=0.0), default=0.7, show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.2, show_default=True,
              help="Neighbourhood t: least ROUGE-8 between x and a reference.")
@click.option("--min-speedup", type=click.FloatRange(min=1.0), default=1.2, show_default=True)
@click.option("--execute", "exec_inputs", type=click.IntRange(min=0), default=0, show_default=True,
              help="Run every candidate of this many inputs per split in the sandbox.")
@click.option("--data", type=click.Path(path_type=Path), default=DEFAULT_DATA, show_default=True,
              help="The corpus (tests) for --execute.")
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option("--atlas", "atlas_model", default=None, metavar="SPLIT:NAME",
              help="The codebook model whose atlas to build (default: the first edit-vqvae given).")
@click.option("--plots", default="pca,umap", show_default=True, help="Projections for the atlas plots ('' for none).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=None, help="torch CPU threads.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--bundle", "bundles", multiple=True, metavar="NAME=DIR",
              help="A model bundle (e.g. shipped=model_export/default_bundle): run its runtime, as the hook does, on "
                   "--execute programs of each --test-set and judge what it would show.")
@click.option("--test-set", "test_sets", multiple=True, type=click.Choice(TEST_SETS),
              help="Test sets for --bundle (default: by_problem).")
@click.option("--min-precision", type=click.FloatRange(0, 1), default=DEFAULT_MIN_PRECISION, show_default=True,
              help="The precision gate behind `shown` (the runtime's default); the table adds 0, 0.1, 0.3, 0.5.")
@click.option("--top-k", type=click.IntRange(1, 64), default=DEFAULT_TOP_K, show_default=True,
              help="Latents asked per region (the hook's default).")
@click.option("--minutes", type=click.FloatRange(min=0), default=None,
              help="--bundle: stop starting programs after this many minutes per test set (the log resumes).")
@click.option("--write-bundle", is_flag=True, help="--bundle: put the shown figures in the bundle's manifest.")
@click.option("--execute-baselines/--no-execute-baselines", default=True, show_default=True,
              help="Also run copy-input's and retrieval's candidates (they do not change with a new model).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("eval"), show_default=True)
def eval_command(splits: tuple[str, ...], models: tuple[str, ...], inputs: int | None, samples: int,
                 temperature: float, threshold: float, min_speedup: float, exec_inputs: int, data: Path, work: Path,
                 atlas_model: str | None, plots: str, workers: int, threads: int | None, seed: int,
                 bundles: tuple[str, ...], test_sets: tuple[str, ...], min_precision: float, top_k: int,
                 minutes: float | None, write_bundle: bool, execute_baselines: bool,
                 out: Path) -> int:  # fmt: skip
    """Score every model and baseline with the paper's metrics, run their candidates, and build the atlas; with
    --bundle, judge what a bundle's runtime would show on the test sets (shown, shown_precision, shown_coverage)."""
    if bundles and not (splits or models):  # the bundle alone: no Table 1, no corpus-wide files needed
        return _bundles_only(bundles, test_sets or ("by_problem",), exec_inputs, min_precision, top_k, minutes,
                             write_bundle, data, work, workers, seed, out)  # fmt: skip
    needs("torch", "sacrebleu", *(["matplotlib"] if plots else []), *(["umap"] if "umap" in plots else []))
    from speedhints.training.evaluation.inputs import EvalDataError
    from speedhints.training.evaluation.run import (
        EvalSettings,
        SplitSpec,
        bundle_evaluation,
        evaluate,
        table_markdown,
        write_results,
    )

    try:
        split_map = dict(_split_option(s) for s in splits) or {"by_problem": work / "pairs" / "by_problem"}
        specs = {name: SplitSpec(name, path) for name, path in split_map.items()}
        for split, name, ckpt in map(_model_option, models):
            if split not in specs:
                raise click.BadParameter(f"model {name}: no split named {split!r} (give --split {split}=DIR)")
            if not ckpt.is_file():
                raise click.BadParameter(f"model {name}: {ckpt} not found")
            specs[split].models[name] = ckpt
    except click.BadParameter as exc:
        click.echo(f"error: {exc.message}", err=True)
        return 2
    if threads:
        import torch

        torch.set_num_threads(threads)
    settings = EvalSettings(samples, temperature, threshold, min_speedup, inputs, exec_inputs, seed, workers,
                            cache_dir=out / "candidates", min_precision=min_precision,
                            execute_baselines=execute_baselines)  # fmt: skip
    echo = lambda m: click.echo(m, err=True)  # noqa: E731
    with contextlib.ExitStack() as stack:
        factory = None
        if exec_inputs:
            missing = [p for p in (data, work / "converted.jsonl", work / "canonical.jsonl") if not p.is_file()]
            if missing:
                click.echo(f"error: --execute needs {missing[0]} (see the README's corpus section)", err=True)
                return 2
            factory = _executor_factory(stack, data, work, workers)
        try:
            results = evaluate(list(specs.values()), settings, factory, echo)
        except (EvalDataError, OSError, ValueError) as exc:
            click.echo(f"error: {exc}", err=True)
            return 1
    if bundles:
        try:
            results["shown"] = _shown_rows(bundles, test_sets or ("by_problem",), exec_inputs, min_precision, top_k,
                                           minutes, write_bundle, data, work, workers, seed, out, echo)  # fmt: skip
        except (click.BadParameter, ValueError, OSError) as exc:
            return _shown_rows_failed(exc)
    atlas_spec = _atlas_target(atlas_model, specs)
    if atlas_spec is not None:
        split, name = atlas_spec
        results["atlas"] = _write_atlas(specs[split], name, out, [p for p in plots.split(",") if p], echo)
    write_results(results, out)
    if atlas_spec is not None:
        split, name = atlas_spec
        (out / "evaluation.json").write_text(json.dumps(bundle_evaluation(results, name, split), indent=2) + "\n")
    click.echo(table_markdown(results))
    extra = ", atlas.json, atlas.md, evaluation.json" if atlas_spec else ""
    click.echo(f"wrote {out}/results.json, table.md, table.csv{extra}")
    return 0


def _shown_rows_failed(exc: Exception) -> int:
    """Say in one line why ``_shown_rows`` failed; the exit code: 2 for a bad parameter, else 1."""
    if isinstance(exc, click.BadParameter):
        click.echo(f"error: {exc.message}", err=True)
        return 2
    click.echo(f"error: {str(exc).splitlines()[0]}", err=True)
    return 1


def _bundles_only(bundles: tuple[str, ...], test_sets: tuple[str, ...], exec_inputs: int, min_precision: float,
                  top_k: int, minutes: float | None, write_bundle: bool, data: Path, work: Path, workers: int,
                  seed: int, out: Path) -> int:  # fmt: skip
    from speedhints.training.evaluation.run import table_markdown, write_results

    echo = lambda m: click.echo(m, err=True)  # noqa: E731
    try:
        rows = _shown_rows(bundles, test_sets, exec_inputs, min_precision, top_k, minutes, write_bundle, data, work,
                           workers, seed, out, echo)  # fmt: skip
    except (click.BadParameter, ValueError, OSError) as exc:
        return _shown_rows_failed(exc)
    results: dict[str, Any] = {"settings": {"min_precision": min_precision, "top_k": top_k, "seed": seed,
                                            "execute": exec_inputs}, "inputs": {}, "table1": [], "execution": [],
                               "shown": rows}  # fmt: skip
    write_results(results, out)
    click.echo(table_markdown(results))
    click.echo(f"wrote {out}/results.json, table.md")
    return 0


def _shown_rows(bundles: tuple[str, ...], test_sets: tuple[str, ...], exec_inputs: int, min_precision: float,
                top_k: int, minutes: float | None, write_bundle: bool, data: Path, work: Path, workers: int,
                seed: int, out: Path, echo: Any) -> list[dict[str, Any]]:  # fmt: skip
    """Every bundle on every test set: its runtime on --execute programs, judged (one log per bundle and set under
    OUT/NAME-SET/, resumable), then the shown figures at the gate and at the table's thresholds."""
    import time

    from speedhints.model_export.bundle import BundleError, load_atlas, load_bundle, write_evaluation
    from speedhints.training.evaluation.precision import PrecisionSettings, measure, pack_log, read_log
    from speedhints.training.evaluation.precision_cli import _check_log_model, model_fingerprint, prepare_and_measure
    from speedhints.training.evaluation.run import shown_row, with_shown
    from speedhints.training.evaluation.test_sets import (
        NO_SYNTH,
        choose,
        split_test_inputs,
        synth_sources,
        synth_test_rows,
    )

    if not exec_inputs:
        raise click.BadParameter("--bundle needs --execute N (the programs per test set to run)")
    rows: list[dict[str, Any]] = []
    for spec in bundles:
        name, path = _split_option(spec)
        try:
            bundle = load_bundle(path)
            atlas = load_atlas(bundle)
        except BundleError as exc:
            raise ValueError(str(exc)) from None
        mine = []
        for test_set in test_sets:
            sources = None
            if test_set == "synth_test":
                synth = synth_test_rows()
                if not synth:
                    echo(f"{name}: {NO_SYNTH}")
                    mine.append({"model": name, "split": test_set, "inputs": 0, "note": NO_SYNTH})
                    continue
                keys = [r.key for r in synth]
                sources = synth_sources(synth)
            else:
                keys = split_test_inputs(test_set)
            chosen = choose(keys, exec_inputs, seed)
            log_dir = out / f"{name}-{test_set}"
            _check_log_model(log_dir, model_fingerprint(bundle.manifest))
            settings = PrecisionSettings(data=data, work=work / "precision", out=log_dir, bundle=Path(path),
                                         workers=workers)  # fmt: skip
            deadline = time.monotonic() + 60 * minutes if minutes is not None else None
            prepare_and_measure(settings, bundle, chosen, log_dir / "candidates.jsonl", deadline, echo, measure,
                                sources, label=f"eval {name} {test_set}")  # fmt: skip
            logged = read_log(log_dir / "candidates.jsonl")
            if logged:
                pack_log(log_dir / "candidates.jsonl", logged)  # one gzip file, committed beside the table
            measured = [r for r in logged if (r.problem, r.id) in set(chosen)]
            done = sorted({(r.problem, r.id) for r in measured})
            row = {"model": name, "split": test_set, **shown_row(measured, done, atlas, min_precision, top_k)}
            echo(f"{name} {test_set}: {row['inputs']} inputs, shown {row['shown']}, shown_precision "
                 f"{row['shown_precision']}, shown_coverage {row['shown_coverage']:.3f}")  # fmt: skip
            mine.append(row)
        if write_bundle:
            write_evaluation(bundle.path, with_shown(bundle.manifest.get("evaluation") or {}, mine))
            echo(f"{name}: wrote the shown figures into {bundle.path}/manifest.json (re-sealed)")
        rows += mine
    return rows


def _atlas_target(atlas_model: str | None, specs: dict[str, Any]) -> tuple[str, str] | None:
    if atlas_model:
        split, _, name = atlas_model.partition(":")
        return (split, name) if split in specs and name in specs[split].models else None
    for split, spec in specs.items():
        for name in spec.models:
            if name.startswith("edit-vqvae"):
                return split, name
    return None


def _write_atlas(spec: Any, name: str, out: Path, plots: list[str], echo: Any) -> dict[str, Any]:
    from speedhints.training.dataset import read_pairs
    from speedhints.training.evaluation.atlas_build import assign_codes, build_atlas, plot_atlas
    from speedhints.training.evaluation.generate import ModelSampler

    sampler = ModelSampler(name, spec.models[name], 1, 0.0, 0)
    assignment = assign_codes(sampler.model, sampler.run, sampler.tokenizer, read_pairs(spec.pairs_dir / "train.jsonl"))
    atlas, rows = build_atlas(assignment, sampler.run.model.codebook_size)
    out.mkdir(parents=True, exist_ok=True)
    atlas.save(out / "atlas.json")
    (out / "atlas.md").write_text(atlas_markdown(rows))
    pngs = plot_atlas(assignment, out / "plots", plots, echo)
    used = sum(1 for r in rows if r["pairs"])
    echo(f"atlas: {used}/{len(rows)} codes used by {len(assignment.pairs)} training pairs; {len(pngs)} plots")
    return {"model": name, "split": spec.name, "codes_used": used, "pairs": len(assignment.pairs),
            "plots": [str(p.relative_to(out)) for p in pngs]}  # fmt: skip


def _executor_factory(stack: contextlib.ExitStack, data: Path, work: Path, workers: int) -> Any:
    from speedhints.training.data.convert import load_converted
    from speedhints.training.data.measure import DEFAULT_INPUTS_TABLE
    from speedhints.training.data.runcache import RunCache
    from speedhints.training.data.sandbox import Sandbox
    from speedhints.training.data.verify import file_io_problems
    from speedhints.training.evaluation.execution import Executor, load_mappings, load_problem_data
    from speedhints.training.evaluation.precision import PrecisionSettings, prepare

    cache = stack.enter_context(RunCache(work / "eval_runs.sqlite"))
    sandbox = stack.enter_context(Sandbox(workers=workers))

    def factory(xs: list[Any]) -> Executor:
        problems = {x.problem for x in xs}
        keys = {(x.problem, x.id) for x in xs}
        converted = [c for c in load_converted(work) if c.problem in problems]
        originals = {(c.problem, c.id): c.code for c in converted if (c.problem, c.id) in keys and c.code}
        made = _synth_variants(keys - set(originals), converted)  # synth_test inputs: remade, not in the corpus
        originals.update(made)
        file_io = file_io_problems(converted)
        table, scaled = DEFAULT_INPUTS_TABLE, work / "scaled"
        if not _have_scaled(table, scaled, problems):
            # No full `data scale` output here (a fresh clone): regenerate just these problems' scaled inputs and
            # their expected outputs under WORK/precision, as `speedhints precision` and `eval --bundle` do.
            settings = PrecisionSettings(data=data, work=work / "precision", workers=workers)
            prepare(settings, problems, lambda m: click.echo(m, err=True))
            table, scaled = settings.work / "scaled_inputs.tsv", settings.work / "scaled"
        problem_data = load_problem_data(data, table, scaled, problems, file_io)
        mappings = load_mappings(work / "canonical.jsonl", keys)
        from speedhints.model_export.canonical import canonicalize

        for key, code in made.items():  # a remade variant's names, as `data synth --from-table` canonicalised it
            mappings[key] = canonicalize(code)
        return Executor(cache, sandbox, problem_data, originals, mappings)

    return factory


def _have_scaled(table: Path, scaled: Path, problems: set[str]) -> bool:
    """Whether every scaled input of these problems and its expected output are on disk under ``scaled`` (`data
    synth` leaves inputs without outputs there: those do not count)."""
    from speedhints.training.data.measure import read_scaled_inputs

    if not all((scaled / p).is_dir() for p in problems):
        return False
    listed = read_scaled_inputs(table, scaled)
    return all(inp.path.is_file() and inp.path.with_suffix(".out").is_file()  # the expected output too
               for p in problems for inp in listed.get(p, []))


def _synth_variants(keys: set[tuple[str, str]], converted: Sequence[Any]) -> dict[tuple[str, str], str]:
    """The sources of synth_test inputs among ``keys`` (ids ``solution:families:n``), remade from their converted
    originals and checked against the committed table's sha256s (test_sets.synth_sources)."""
    from speedhints.training.evaluation.test_sets import synth_sources, synth_test_rows

    rows = [r for r in synth_test_rows() if r.key in keys] if keys else []
    return synth_sources(rows)(converted) if rows else {}


def main(argv: list[str] | None = None) -> int:
    return int(eval_command.main(args=argv, standalone_mode=False) or 0)


if __name__ == "__main__":
    sys.exit(main())
