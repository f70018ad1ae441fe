"""``speedhints data denoise``: denoising pairs from the whole canonical corpus, to pretrain before the speed pairs.

The measured pairs are few (17,393; 14,355 for training; the shipped model had 6,144), and a model that learns
Python from them alone writes code that does not parse most of the time. The corpus has ~36k canonical programs:
each becomes a pair (corrupted program -> program), corrupted by deleting ~10 % of its tokens, so the model learns
the language and to copy what is right while repairing what is not, the skill an edit model needs. ``speedhints
train MODEL --init CKPT`` then fine-tunes the pretrained weights on the speed pairs.

Only problems of the by-problem split's *training* part are used for training (validation problems for the
validation file; test problems never), so evaluation on held-out problems stays honest.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import click

from speedhints.training.data.convert import DEFAULT_WORK
from speedhints.training.data.splits import by_problem_split

_TOKEN = re.compile(r"\w+|[^\w\s]")
DROP = 0.1


def corrupt(code: str, rng: random.Random, drop: float = DROP) -> str:
    """``code`` with each token (identifier, number or punctuation character) deleted with probability ``drop``.
    Newlines and the whitespace between tokens are kept, so the line structure survives; a line whose first token
    goes keeps the space that followed it, so its indentation can shift: a repair the model must learn too."""
    out, last = [], 0
    for m in _TOKEN.finditer(code):
        out.append(code[last : m.start()])
        if rng.random() >= drop:
            out.append(m.group())
        last = m.end()
    out.append(code[last:])
    return "".join(out)


def write_denoise_pairs(work: Path, seed: int = 0) -> dict[str, int]:
    from speedhints.training.tokenizer_cli import load_canonical

    folder = work / "pairs" / "denoise"
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    counts = {"train": 0, "valid": 0, "skipped_test": 0}
    seen: set[str] = set()
    with open(folder / "train.jsonl", "w", encoding="utf-8") as tr, open(folder / "valid.jsonl", "w") as va:
        for s in load_canonical(work):
            split = by_problem_split(s.problem)
            if split == "test":
                counts["skipped_test"] += 1
                continue
            if s.code in seen:  # verbatim copies teach nothing twice
                continue
            seen.add(s.code)
            record = {"problem": s.problem, "slow_id": f"{s.id}~", "fast_id": s.id, "slow": corrupt(s.code, rng),
                      "fast": s.code, "speedup": 1.0}  # fmt: skip
            (tr if split == "train" else va).write(json.dumps(record) + "\n")
            counts[split] += 1
    return counts


@click.command("denoise")
@click.option("--work", type=click.Path(path_type=Path), default=DEFAULT_WORK, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def denoise_command(work: Path, seed: int) -> int:
    """Write WORK/pairs/denoise: (corrupted program -> program) pairs for pretraining."""
    if not (work / "canonical.jsonl").is_file():
        click.echo(f"error: {work / 'canonical.jsonl'} not found: run `speedhints data canonical` first", err=True)
        return 2
    counts = write_denoise_pairs(work, seed)
    click.echo(f"denoise: train {counts['train']}, valid {counts['valid']} (test problems left out: "
               f"{counts['skipped_test']} programs) -> {work / 'pairs' / 'denoise'}")
    return 0
