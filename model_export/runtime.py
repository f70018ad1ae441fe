"""The onnxruntime Suggester: (path, source, changed lines) -> ranked, checked hints in the user's own names.

Per call: find the touched functions / top-level blocks, canonicalise each, rank the K latents with the prior,
decode the top-k latents of *every* region in one batch (KV-cached greedy; copy-draft speculative on request, with
the same output), map each candidate back to the user's names, and keep only candidates that parse, change more
than names or layout, and pass the static checks of plausibility.py.
No torch: this is what the hook and the bot run.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from speedhints.model_export import bundle as fmt
from speedhints.model_export.atlas import DEFAULT_MIN_PRECISION
from speedhints.model_export.bundle import Bundle, BundleError, load_atlas, load_bundle
from speedhints.model_export.canonical import (
    Canonical,
    CanonicalError,
    all_identifiers,
    canonicalize,
    decanonicalize,
)
from speedhints.model_export.edit_describe import describe_edit
from speedhints.model_export.hints import Hint, LineRange
from speedhints.model_export.onnx_decoding import DecodeStats, Seq2SeqRunner, default_providers, make_session
from speedhints.model_export.plausibility import refusal
from speedhints.model_export.regions import CodeRegion, source_lines, touched_regions
from speedhints.model_export.source import parse_python
from speedhints.model_export.tokenizer import CodeTokenizer

BELOW_PRECISION = "below precision"  # the drop reason of a candidate whose latent did not clear min_precision


@dataclass(frozen=True)
class RuntimeConfig:
    # None: the bundle's default_precision. Caveat for int8: dynamic quantisation scales activations per tensor,
    # so a row's tokens can depend on the rest of its batch, and speculative output is then no longer exactly the
    # greedy output (measured: not identical at batch 64); fp32 is exact.
    precision: str | None = None
    threads: int = 1  # onnxruntime intra-op threads (see make_session)
    # Copy-draft speculative decoding gives the same output; whether it is faster depends on how much of the input
    # the model copies. Measured on the shipped model (`speedhints bench decode`, this 2-core machine): 0.83-0.97x
    # of plain greedy at batch 1-64 with 19-36 % of drafts accepted (the copy-heavy test model: ~90 %, faster).
    # So the default is plain greedy; bundles of models that copy more can turn it on.
    speculative: bool = False
    draft_len: int = 8
    providers: tuple[str, ...] | None = None  # None: CUDA when available, then CPU
    # A suggestion may be at most this many times as long as its input (+ 16 tokens): a speed edit that more than
    # doubles a function is not one, and a latent that rambles would otherwise decode to max_len.
    max_growth: float = 2.0
    # Show a latent's hints only when the Wilson 95 % lower bound of its measured precision (correct and >= 1.2x
    # faster / shown, on held-out programs; the bundle's atlas) is at least this. An unmeasured latent's bound is
    # 0, so only 0 shows it.
    min_precision: float = DEFAULT_MIN_PRECISION


@dataclass(frozen=True)
class Candidate:
    """One decoded latent for one region, before filtering."""

    region: CodeRegion
    canonical: Canonical
    latent: int
    score: float
    output: str  # canonical code the model produced


class OnnxSuggester:
    def __init__(self, bundle: Bundle, config: RuntimeConfig = RuntimeConfig()) -> None:
        self.bundle, self.config, self.spec = bundle, config, bundle.spec
        providers = list(config.providers or default_providers())
        try:
            self.tokenizer = CodeTokenizer.load(bundle.file(fmt.TOKENIZER))
            self.codebook = np.load(bundle.file(fmt.CODEBOOK)).astype(np.float32)
            self.atlas = load_atlas(bundle)
            sessions = [make_session(str(bundle.graph(role)), providers, config.threads) for role in fmt.GRAPHS]
        except (ValueError, OSError, ort.capi.onnxruntime_pybind11_state.Fail) as exc:
            raise BundleError(f"bundle at {bundle.path} cannot be loaded: {str(exc).splitlines()[0]}") from None
        encoder, decoder, self.prior = sessions
        if self.codebook.shape != (self.spec.codebook_size, self.spec.d_model):
            raise BundleError(f"bundle at {bundle.path}: codebook shape {self.codebook.shape} does not match the model")
        if self.tokenizer.vocab_size != self.spec.vocab_size:
            raise BundleError(f"bundle at {bundle.path}: tokenizer vocabulary does not match the model")
        self.runner = Seq2SeqRunner(encoder, decoder, self.spec)
        self.providers = encoder.get_providers()
        self.last_stats = DecodeStats()
        self.last_dropped: Counter[str] = Counter()
        self.last_gated = 0  # top-k latents of the last candidates() call left undecoded by min_precision

    # ----------------------------------------------------------------------------------------------------------
    def suggest(self, path: str, source: str, changed: Sequence[LineRange], *, top_k: int = 4) -> list[Hint]:
        """Hints for the regions of ``source`` that overlap ``changed``; best score first."""
        prepared = []
        for region in touched_regions(source, changed):
            try:
                canonical = canonicalize(region.code)
            except CanonicalError:
                continue  # e.g. a region that only parses in context; nothing to suggest
            ids = [*self.tokenizer.encode(canonical.code), self.spec.eos_id]
            if len(ids) <= self.spec.max_len:  # longer than the model ever saw: no hint rather than a cut one
                prepared.append((region, canonical, ids))
        if not prepared:
            return []
        candidates = self.candidates(prepared, top_k)
        return self.hints(path, source, candidates)

    def rank(self, sources: Sequence[Sequence[int]]) -> np.ndarray:
        """The prior's probabilities of the K latents for each source: (N, K)."""
        width = max(len(s) for s in sources)
        ids = np.full((len(sources), width), self.spec.pad_id, dtype=np.int64)
        for i, s in enumerate(sources):
            ids[i, : len(s)] = s
        (logits,) = self.prior.run(["prior_logits"], {"input_ids": ids})
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def candidates(self, prepared: Sequence[tuple[CodeRegion, Canonical, list[int]]], top_k: int) -> list[Candidate]:
        probs = self.rank([ids for _, _, ids in prepared])
        k = max(1, min(top_k, self.spec.codebook_size))
        rows: list[tuple[int, int, float]] = []  # (region index, latent, score)
        gated = 0
        for i, p in enumerate(probs):
            for latent in np.argsort(-p, kind="stable")[:k].tolist():
                if not self.atlas.shows(latent, self.config.min_precision):
                    gated += 1  # not decoded at all: a latent that is never shown costs nothing
                    continue
                rows.append((i, latent, float(p[latent])))
        self.last_gated = gated
        if not rows:
            self.last_stats = DecodeStats()
            return []
        sources = [prepared[i][2] for i, _, _ in rows]
        z = self.codebook[[latent for _, latent, _ in rows]]
        stats = DecodeStats()
        limits = [min(int(self.config.max_growth * len(s)) + 16, self.spec.max_len - 1) for s in sources]
        if self.config.speculative:
            outs = self.runner.speculative(sources, z, self.config.draft_len, max_new=limits, stats=stats)
        else:
            outs = self.runner.greedy(sources, z, max_new=limits, stats=stats)
        # A row cut at its limit never reached EOS: an unfinished program, not a suggestion.
        finished = [len(out) < limit for out, limit in zip(outs, limits, strict=True)]
        self.last_stats = stats
        return [Candidate(prepared[i][0], prepared[i][1], latent, score, self.tokenizer.decode(out))
                for (i, latent, score), out, done in zip(rows, outs, finished, strict=True) if done]

    def hints(self, path: str, source: str, candidates: Sequence[Candidate]) -> list[Hint]:
        lines = source_lines(source)
        avoid = _identifiers(source)
        best: dict[tuple[int, str], Hint] = {}  # (region start, suggestion) -> highest-scoring hint
        dropped: Counter[str] = Counter()
        if self.last_gated:
            dropped[BELOW_PRECISION] += self.last_gated  # gated in candidates(), before decoding
        for c in candidates:
            suggestion, why = _checked(c, avoid)
            if suggestion is None:
                dropped[why] += 1
                continue
            original = "".join(lines[c.region.start - 1 : c.region.end])
            if not original.endswith("\n"):
                original += "\n"
            hint = Hint(path=path, start_line=c.region.start, end_line=c.region.end, function=c.region.name,
                        latent=c.latent, label=describe_edit(original, suggestion, c.region.start),
                        measured=self.atlas.precision(c.latent), score=c.score, original=original,
                        suggestion=suggestion)
            key = (c.region.start, suggestion)
            if key not in best or hint.score > best[key].score:
                best[key] = hint  # several latents giving the same code: one hint, the likeliest latent's
        self.last_dropped = dropped  # why candidates were not shown (the benchmark and --verbose report it)
        return sorted(best.values(), key=lambda h: (-h.score, h.start_line, h.latent))


def user_suggestion(c: Candidate, avoid: set[str] | frozenset[str]) -> str | None:
    """The candidate in the user's names at the region's indentation; None if it is broken, changes nothing, or
    fails the static checks of plausibility.py."""
    return _checked(c, avoid)[0]


def _checked(c: Candidate, avoid: set[str] | frozenset[str]) -> tuple[str | None, str]:
    """(suggestion or None, why it was dropped)."""
    if c.output.strip() == c.canonical.code.strip():
        return None, "no change"
    try:
        restored = decanonicalize(c.output, c.canonical, avoid=avoid)  # parses, or raises
        if canonicalize(restored).code == c.canonical.code:
            return None, "only names or layout"
    except CanonicalError:
        return None, "does not parse"
    why = refusal(c.region.code, restored, c.canonical.code, c.output)
    if why is not None:
        return None, why
    return reindent(restored, c.region.indent), ""


def reindent(code: str, indent: str) -> str:
    if not indent:
        return code
    return "".join(indent + line if line.strip() else line for line in code.splitlines(keepends=True))


@functools.lru_cache(maxsize=8)
def _identifiers(source: str) -> frozenset[str]:
    """Every name the file uses, so fresh names in a suggestion never clash with one of them (the file's tree is
    the one the regions were cut from: parse_python remembers it)."""
    try:
        return frozenset(all_identifiers(parse_python(source)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()


def load_runtime(path: str | os.PathLike[str] | None = None, config: RuntimeConfig | None = None) -> OnnxSuggester:
    """The Suggester for a bundle (explicit path, $SPEEDHINTS_BUNDLE, or the packaged one); BundleError if broken."""
    cfg = config or RuntimeConfig()
    return OnnxSuggester(load_bundle(path, cfg.precision), cfg)
