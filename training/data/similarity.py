"""ROUGE-N between all solutions of a problem, exactly, as one sparse matrix product.

ROUGE-N F1 between token sequences a and b is 2·|N(a) ∩ N(b)| / (|N(a)| + |N(b)|), where N(·) is the multiset of
n-grams and the intersection clips counts (min). Expanding each n-gram's k-th occurrence into its own feature
("(g, k)") turns the clipped multiset overlap into the plain overlap of sets, which for binary rows is a dot product:
overlap = X·Xᵀ. scipy's sparse product does that in C, in row blocks so memory stays bounded, and only pairs sharing
at least one n-gram are ever touched. No approximation (no LSH), so the pairs are the ones exact scoring gives;
benchmarks/bench_pairs.py reports the cost at 50 to 10,000 solutions per problem. At 10,000 it is about 1 s and
0.2-0.3 GiB (7 s and 0.55 GiB when all are ~600-token programs) on two busy cores, so no candidate stage is needed:
an exact prefix filter (All-Pairs style: each solution's most frequent grams left out of the join) was tried and
scored 4-35x fewer pairs, but was no faster (up to 1.8x slower): the product is cheap per pair, scoring the
filter's candidates one by one is not, and building the n-gram features in Python costs as much as either.

Tokens and the one-pair ``rouge_n`` live in model_export/similarity.py (the runtime uses them too).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from speedhints.model_export.similarity import code_tokens, rouge_n

__all__ = ["code_tokens", "ngram_features", "rouge_n", "rouge_pairs"]


def ngram_features(tokens: Sequence[str], n: int, vocab: dict[tuple[tuple[str, ...], int], int]) -> list[int]:
    """Feature ids of the expanded n-gram multiset (the k-th occurrence of a gram is its own feature)."""
    seen: dict[tuple[str, ...], int] = {}
    out = []
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i : i + n])
        k = seen.get(gram, 0)
        seen[gram] = k + 1
        out.append(vocab.setdefault((gram, k), len(vocab)))
    return out


def rouge_pairs(
    token_lists: Sequence[Sequence[str]], n: int = 8, threshold: float = 0.0, block: int = 1024
) -> list[tuple[int, int, float]]:
    """Every (i, j, score) with i < j and ROUGE-n F1 >= threshold (and > 0)."""
    from scipy import sparse

    vocab: dict[tuple[tuple[str, ...], int], int] = {}
    rows = [ngram_features(tokens, n, vocab) for tokens in token_lists]
    lengths = np.array([len(r) for r in rows], dtype=np.float64)
    if not vocab:
        return []
    indptr = np.cumsum([0, *(len(r) for r in rows)])
    indices = np.fromiter((f for r in rows for f in r), dtype=np.int64, count=int(indptr[-1]))
    x = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(rows), len(vocab)))
    xt = x.T.tocsc()
    out: list[tuple[int, int, float]] = []
    for start in range(0, len(rows), block):
        overlap = (x[start : start + block] @ xt).tocoo()  # (block, n_rows) clipped n-gram overlaps
        i = overlap.row + start
        j = overlap.col
        keep = i < j
        i, j, common = i[keep], j[keep], overlap.data[keep]
        score = 2.0 * common / (lengths[i] + lengths[j])
        good = score >= max(threshold, 1e-12)
        out.extend(zip(i[good].tolist(), j[good].tolist(), score[good].tolist(), strict=True))
    return out
