"""``speedhints train MODEL --config NAME``: train a model on the slow->fast pairs (torch imported lazily).

Data-parallel under torchrun: ``torchrun --nproc_per_node 2 -m speedhints.training.train_cli MODEL ...``
(each process reads the data; rank 0 logs and writes checkpoints).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from speedhints.extras import needs
from speedhints.paths import default_work
from speedhints.training.configs import MODEL_NAMES, OUTPUTS, PRESETS

DEFAULT_PAIRS = default_work() / "pairs" / "by_problem"  # where `speedhints data splits` writes the main split
# `speedhints data tokenizer` writes the committed tokenizer here (training/corpus/tokenizer.json).
CORPUS_TOKENIZER = Path(__file__).resolve().parent / "corpus" / "tokenizer.json"


@click.command()
@click.argument("model_name", metavar="MODEL", type=click.Choice(MODEL_NAMES))
@click.option(
    "--config",
    "config_name",
    type=click.Choice(sorted(PRESETS)),
    default="cpu",
    show_default=True,
    help="Named preset: tiny (tests, seconds), cpu (2+2 layers, 2,000 steps; README: its training time), paper.",
)
@click.option(
    "--pairs",
    "pairs_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_PAIRS,
    show_default=True,
    help="Pairs folder with train.jsonl and valid.jsonl (`speedhints data splits` writes work/pairs/SCHEME).",
)
@click.option(
    "--tokenizer",
    "tokenizer_path",
    type=click.Path(path_type=Path),
    default=None,
    help="tokenizer.json (default: the pairs folder's, its parent's, else training/corpus/tokenizer.json).",
)
@click.option("--output", type=click.Choice(OUTPUTS), default="program", show_default=True,
              help="What the decoder writes: the whole fast program, or an edit script of the input's lines.")
@click.option("--copy/--no-copy", "copy", default=False, show_default=True,
              help="Give the decoder a copy head (a pointer over the input's tokens) beside its vocabulary.")
@click.option("--max-steps", type=click.IntRange(min=1), default=None, help="Override the preset's step count.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Checkpoints and log.jsonl (default: runs/MODEL-CONFIG). An existing checkpoint is resumed.",
)
@click.option("--fresh", is_flag=True, help="Ignore an existing checkpoint in --out and start over.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="torch CPU threads per process (default: half the cores, split between local processes).",
)
@click.option("--seed", type=int, default=None, help="Override the preset's seed.")
@click.option("--init", "init", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Start from this checkpoint's weights (same architecture), e.g. one pretrained on "
              "`speedhints data denoise` pairs.")
def train(
    model_name: str,
    config_name: str,
    pairs_dir: Path,
    tokenizer_path: Path | None,
    output: str,
    copy: bool,
    max_steps: int | None,
    out_dir: Path | None,
    fresh: bool,
    device: str,
    threads: int | None,
    seed: int | None,
    init: Path | None,
) -> int:
    """Train MODEL (edit-vqvae, transformer, transformer-star, vqvae, edit-vae) on slow->fast pairs."""
    needs("torch")
    from speedhints.training.dataset import DataError, resolve_pairs_dir

    try:
        split_dir = resolve_pairs_dir(pairs_dir)
        tok_path = tokenizer_path or _find_tokenizer(split_dir)
    except DataError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    if not tok_path.is_file():
        click.echo(f"error: {tok_path}: no such tokenizer file", err=True)
        return 2
    if init is not None and not init.is_file():
        click.echo(f"error: --init {init}: no such checkpoint", err=True)
        return 2
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            click.echo("error: --device cuda but no CUDA device is available", err=True)
            return 2
    return _run(
        model_name,
        config_name,
        split_dir,
        tok_path,
        max_steps,
        out_dir or Path("runs") / f"{model_name}-{config_name}{'-edit' if output == 'edit' else ''}",
        fresh,
        device,
        threads,
        seed,
        init,
        output,
        copy,
    )


def default_threads() -> int:
    """Half the cores per machine, shared by torchrun's local processes.

    On a busy machine more threads than free cores is ruinous: on this shared 2-core box one thread trained
    13x faster than two (benchmarks/bench_train.py), because torch's threads spin-wait on each other.
    """
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    return max(1, (os.cpu_count() or 1) // (2 * local))


def _find_tokenizer(split_dir: Path) -> Path:
    from speedhints.training.dataset import DataError

    for candidate in (split_dir / "tokenizer.json", split_dir.parent / "tokenizer.json", CORPUS_TOKENIZER):
        if candidate.is_file():
            return candidate
    raise DataError(f"no tokenizer.json in {split_dir}, its parent or {CORPUS_TOKENIZER}; pass --tokenizer")


def _run(
    model_name: str,
    config_name: str,
    split_dir: Path,
    tok_path: Path,
    max_steps: int | None,
    out_dir: Path,
    fresh: bool,
    device: str,
    threads: int | None,
    seed: int | None,
    init: Path | None = None,
    output: str = "program",
    copy: bool = False,
) -> int:
    import torch

    from speedhints.model_export.tokenizer import CodeTokenizer
    from speedhints.training.configs import make_run_config
    from speedhints.training.dataset import DataError
    from speedhints.training.train import load_train_data, train

    torch.set_num_threads(threads or default_threads())
    try:
        tokenizer = CodeTokenizer.load(tok_path)
    except Exception as exc:  # a broken tokenizer file: one line, not a traceback
        click.echo(f"error: {tok_path}: cannot load tokenizer ({type(exc).__name__}: {exc})", err=True)
        return 2
    if output == "edit":
        from speedhints.model_export.editscript import with_edit_tokens

        tokenizer = with_edit_tokens(tokenizer)  # the line tokens, appended: every other id is unchanged
    run = make_run_config(
        model_name,
        config_name,
        output=output,
        copy=copy,
        vocab_size=tokenizer.vocab_size,
        pad_id=tokenizer.pad_id,
        bos_id=tokenizer.bos_id,
        eos_id=tokenizer.eos_id,
    )
    if max_steps is not None:
        run.train.max_steps = run.train.lr_decay_steps = max_steps
    if seed is not None:
        run.train.seed = seed
    try:
        data = load_train_data(split_dir, tokenizer, run, tokenizer_json=tok_path.read_text(encoding="utf-8"))
        train(run, data, out_dir, resume=not fresh, device=device, echo=click.echo, init=init)
    except (DataError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":  # the torchrun entry point
    from speedhints.cli import main

    raise SystemExit(main(["train", *sys.argv[1:]]))
