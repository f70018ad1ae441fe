"""The latent atlas of a trained codebook model: what each of its K edits does, measured on the training pairs.

For every training pair the encoder's own code assignment (z_edit snapped to the codebook) groups the pairs by
code; each code gets its share of pairs, the median measured speedup of its pairs, two example pairs, and a short
label naming its most characteristic AST-level edit (``training/data/edit_labels.py``). The result is an ``atlas.json``
in the format ``model_export/atlas.py`` defines, which export puts in the bundle so hints carry a label and an
expected speedup. Plots like the paper's Figures 5 and 6: the pooled program embeddings f(x) coloured by problem,
and the edit vectors z_fast - z_slow coloured by their code, each projected with PCA and UMAP.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from speedhints.model_export.atlas import Atlas, LatentInfo
from speedhints.training.data.edit_labels import label_groups
from speedhints.training.dataset import PairRecord


@dataclass
class Assignment:
    codes: list[int]  # per kept pair
    pairs: list[PairRecord]
    program_vecs: np.ndarray  # (P, D) pooled f(x) of each kept pair's slow program
    edit_vecs: np.ndarray  # (P, D) z_fast - z_slow before quantisation


def assign_codes(model: Any, run: Any, tokenizer: Any, pairs: Sequence[PairRecord], batch_size: int = 64) -> Assignment:
    """The code of every training pair that fits the model (torch)."""
    import torch

    from speedhints.training.dataset import collate, tokenize_pairs

    m = run.model
    examples = tokenize_pairs(pairs, tokenizer, m.bos_id, m.eos_id, m.max_len)
    kept: list[PairRecord] = []
    for r in pairs:  # tokenize_pairs drops too-long pairs in order; rebuild the kept list the same way
        x, y = tokenizer.encode(r.slow), tokenizer.encode(r.fast)
        if len(x) + 1 <= m.max_len and len(y) + 2 <= m.max_len:
            kept.append(r)
    assert len(kept) == len(examples)
    codes: list[int] = []
    prog: list[np.ndarray] = []
    edits: list[np.ndarray] = []
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            idx = list(range(start, min(start + batch_size, len(examples))))
            batch = collate(examples, idx, m.pad_id, m.kind == "vqvae")
            states_x, z_slow = model.latent_encoder(batch.src, batch.src_mask)
            raw = model._raw_latent(batch, states_x, z_slow)
            codes += model.quantizer.nearest(raw.float()).tolist()
            prog.append(z_slow.float().numpy())
            edits.append(raw.float().numpy())
    return Assignment(codes, kept, np.concatenate(prog), np.concatenate(edits))


def pair_name(r: PairRecord) -> str:
    return f"{r.problem}/{r.slow_id}->{r.fast_id}"


def build_atlas(a: Assignment, codebook_size: int) -> tuple[Atlas, list[dict[str, Any]]]:
    """The atlas, and a richer per-code table for the report (examples with code)."""
    groups: dict[int, list[PairRecord]] = {k: [] for k in range(codebook_size)}
    for code, r in zip(a.codes, a.pairs, strict=True):
        groups[code].append(r)
    labels = label_groups({k: [(r.slow, r.fast) for r in rs] for k, rs in groups.items()})
    total = max(1, len(a.pairs))
    latents: dict[int, LatentInfo] = {}
    rows: list[dict[str, Any]] = []
    for k in range(codebook_size):
        rs = groups[k]
        # Examples: the pairs nearest the median speedup (typical, not the luckiest), then by name for ties.
        med = statistics.median(r.speedup for r in rs) if rs else None
        typical = sorted(rs, key=lambda r: (abs(r.speedup - med) if med else 0.0, pair_name(r)))[:2]
        latents[k] = LatentInfo(
            id=k,
            label=labels[k],
            expected_speedup=round(med, 3) if med else None,
            share=round(len(rs) / total, 5),
            examples=tuple(pair_name(r) for r in typical),
        )
        rows.append({
            "id": k, "label": labels[k], "pairs": len(rs), "share": len(rs) / total, "median_speedup": med,
            "examples": [{"name": pair_name(r), "speedup": r.speedup, "slow": r.slow, "fast": r.fast} for r in typical],
        })  # fmt: skip
    return Atlas(latents), rows


def project(vectors: np.ndarray, method: str, seed: int = 0) -> np.ndarray:
    """2-D projection: "pca" (numpy SVD) or "umap" (umap-learn)."""
    x = vectors - vectors.mean(axis=0, keepdims=True)
    if method == "pca":
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        return x @ vt[:2].T
    if method == "umap":
        import umap

        n_neighbors = max(2, min(15, len(x) - 1))
        return np.asarray(umap.UMAP(n_neighbors=n_neighbors, random_state=seed, n_jobs=1).fit_transform(x))
    raise ValueError(f"unknown projection {method!r}")


def plot_atlas(a: Assignment, out_dir: Path, methods: Sequence[str], echo: Callable[[str], None] = print) -> list[Path]:
    """PNG scatter plots of programs (by problem) and edits (by code) for each projection method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    problems = sorted({r.problem for r in a.pairs})
    problem_index = np.array([problems.index(r.problem) for r in a.pairs])
    written = []
    for method in methods:
        if len(a.pairs) < 4:
            echo(f"atlas: {len(a.pairs)} pairs are too few to project; no {method} plots")
            continue
        for what, vecs, colour, title in (
            ("programs", a.program_vecs, problem_index, "programs f(x), coloured by problem"),
            ("edits", a.edit_vecs, np.array(a.codes), "edits z_fast - z_slow, coloured by code"),
        ):
            xy = project(vecs, method)
            fig, ax = plt.subplots(figsize=(6, 6), dpi=120)
            ax.scatter(xy[:, 0], xy[:, 1], c=colour, cmap="tab20", s=4, alpha=0.7, linewidths=0)
            ax.set_title(f"{method.upper()}: {title}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            path = out_dir / f"{what}_{method}.png"
            fig.savefig(path, bbox_inches="tight")
            plt.close(fig)
            written.append(path)
    return written
