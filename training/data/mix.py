"""``speedhints data mix``: one pairs folder from several, for the stages of the edit curriculum.

``speedhints train --pairs`` reads one folder; the curriculum's later stages train on a mixture (issue #14 item 3:
verified edits and measured synthetic pairs, then real pairs mixed with synthetic so the synthetic skills are not
forgotten). Real pairs are mostly two authors' different programs, whose edit script is a rewrite: ``--short`` takes
a folder's pairs whose edit touches at most ``--max-changed`` lines (canonical lines, counted as in ``data synth``)
*and* that keep at least ``--min-similarity`` of their lines (difflib's line ratio), and drops the rest, counted.
Both, because contest programs are short: of the 14,355 by_problem training pairs 8,463 touch <= 8 lines, most of
them by replacing a whole 8-line program with another; 2,797 of those also keep half their lines. ``--pairs DIR*K``
repeats a small folder K times in train.jsonl, the plain way to weight it. Each split (train, valid) is the
concatenation of the sources' files of that name, in a fixed shuffled order; a source without the file adds nothing
to it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import click

from speedhints.training.data.synth_variants import changed_lines, similarity

SPLITS = ("train", "valid")


def parse_source(spec: str) -> tuple[Path, int]:
    """``DIR`` or ``DIR*K`` -> (DIR, K)."""
    path, _, times = spec.partition("*")
    if times and (not times.isdigit() or int(times) < 1):
        raise click.BadParameter(f"{spec!r}: the repeat after '*' must be a positive integer")
    return Path(path), int(times or 1)


def read_lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def is_edit(line: str, max_changed: int, min_similarity: float) -> bool:
    d = json.loads(line)
    slow, fast = str(d["slow"]), str(d["fast"])
    return bool(changed_lines(slow, fast) <= max_changed and similarity(slow, fast) >= min_similarity)


def mix(out: Path, full: list[tuple[Path, int]], short: list[tuple[Path, int]], max_changed: int,
        min_similarity: float, seed: int = 0) -> dict[str, int]:  # fmt: skip
    counts: dict[str, int] = {}
    out.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        lines: list[str] = []
        for folder, times in [*full, *short]:
            got = read_lines(folder / f"{split}.jsonl")
            if (folder, times) in short:
                kept = [x for x in got if is_edit(x, max_changed, min_similarity)]
                counts[f"{folder.name}/{split} dropped (rewrites)"] = len(got) - len(kept)
                got = kept
            counts[f"{folder.name}/{split}"] = len(got)
            lines += got * (times if split == "train" else 1)  # validation is never weighted
        random.Random(f"{seed}:{split}").shuffle(lines)
        (out / f"{split}.jsonl").write_text("".join(x + "\n" for x in lines), encoding="utf-8")
        counts[split] = len(lines)
    return counts


@click.command("mix")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--pairs", "full", multiple=True, help="a pairs folder taken whole; DIR*K repeats its train K times")
@click.option("--short", multiple=True, help="a pairs folder whose pairs touching <= --max-changed lines are taken")
@click.option("--max-changed", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--min-similarity", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def mix_command(out: Path, full: tuple[str, ...], short: tuple[str, ...], max_changed: int, min_similarity: float,
                seed: int) -> int:  # fmt: skip
    """Write OUT/{train,valid}.jsonl from several pairs folders (the curriculum's mixtures)."""
    sources = [parse_source(s) for s in full], [parse_source(s) for s in short]
    for folder, _ in [*sources[0], *sources[1]]:
        if not (folder / "train.jsonl").is_file():
            click.echo(f"error: {folder}: no train.jsonl", err=True)
            return 2
    counts = mix(out, *sources, max_changed=max_changed, min_similarity=min_similarity, seed=seed)
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0
