"""The onnxruntime Suggester: (path, source, changed lines) -> ranked, checked hints in the user's own names.

Per call: find the touched functions / top-level blocks, canonicalise each (a function too long for the model is
cut into parts that fit, and the parts the change touches take its place: parts.py), rank the K latents with the
prior, decode the top-k latents of every region in batches of regions of similar length (KV-cached greedy; copy-draft
speculative on request, with the same output), map each candidate back to the user's names, and keep only
candidates that parse, change more than names or layout, and pass the static checks of plausibility.py.
An edit model (``spec.output == "edit"``) reads the marked input and writes a script; its hunks are laid on the
user's own lines (userlines.py). ``report`` also says, per region, what was dropped and why (accounting.py);
``suggest`` is its hints.
No torch: this is what the hook and the bot run.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from speedhints.model_export import bundle as fmt
from speedhints.model_export.accounting import (
    BELOW_PRECISION,
    DOES_NOT_PARSE,
    MALFORMED_SCRIPT,
    NO_CHANGE,
    NOT_CANONICAL,
    ONLY_NAMES,
    TIME_BUDGET,
    TOO_LONG,
    UNFINISHED,
    RegionOutcome,
    SuggestReport,
    total_dropped,
)
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
from speedhints.model_export.editscript import Script, ScriptCodec, ScriptError, split_lines
from speedhints.model_export.editscript import apply as apply_script
from speedhints.model_export.hints import Hint, LineRange, Overlaps
from speedhints.model_export.onnx_decoding import DecodeStats, Seq2SeqRunner, default_providers, make_session
from speedhints.model_export.parts import cut_function, function_node
from speedhints.model_export.plausibility import refusal
from speedhints.model_export.prefix_check import cannot_parse_whatever_follows
from speedhints.model_export.regions import CodeRegion, source_lines, touched_regions
from speedhints.model_export.source import parse_python
from speedhints.model_export.tokenizer import NL, CodeTokenizer, LineDecoder
from speedhints.model_export.userlines import edit_suggestion


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
    # Regions are decoded in batches of similar lengths, at most this many (rows x padded length) tokens each:
    # see OnnxSuggester._decode. Also the granularity of the time budget while decoding.
    batch_tokens: int = 2048
    # Stop a greedy row at the first line that makes it unparseable whatever follows (prefix_check.py): it would
    # be refused as "does not parse" anyway. Same hints; fewer tokens decoded.
    stop_unparsable: bool = True


Prepared = tuple[CodeRegion, Canonical, list[int]]  # a region, its canonical form, its token ids (EOS last)


@dataclass(frozen=True)
class Candidate:
    """One decoded latent for one region, before filtering."""

    region: CodeRegion
    canonical: Canonical
    latent: int
    score: float
    output: str  # canonical code the model produced (an edit model: the canonical input with its script applied)
    script: Script | None = None  # an edit model's decoded script
    error: str = ""  # why the output is unusable before any check (an edit model's malformed script)


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
        # An edit model reads the marked input and writes scripts (editscript.py); its tokenizer has the line tokens.
        self.codec = ScriptCodec(self.tokenizer) if self.spec.output == "edit" else None
        if self.codec is not None and self.codec.tokenizer is not self.tokenizer:
            raise BundleError(f"bundle at {bundle.path}: an edit model's tokenizer lacks the line tokens")
        self.runner = Seq2SeqRunner(encoder, decoder, self.spec)
        self.newline_id = self.tokenizer.tokenizer.token_to_id(NL)  # a line ends: where prefixes are checked
        self.providers = encoder.get_providers()
        self.last_stats = DecodeStats()
        self.last_dropped: Counter[str] = Counter()

    # ----------------------------------------------------------------------------------------------------------
    def suggest(self, path: str, source: str, changed: Sequence[LineRange], *, top_k: int = 4) -> list[Hint]:
        """Hints for the regions of ``source`` that overlap ``changed``; best score first."""
        hints: list[Hint] = self.report(path, source, changed, top_k=top_k).hints
        return hints

    def report(
        self,
        path: str,
        source: str,
        changed: Sequence[LineRange],
        *,
        top_k: int = 4,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        progress: Callable[[int], None] | None = None,
    ) -> SuggestReport:
        """``suggest`` with the outcome of every region: hints kept and, by reason, candidates dropped.

        ``deadline`` (a ``clock()`` value) is checked before each region is canonicalised and before each batch
        is decoded; regions left when it passes are reported as TIME_BUDGET, never silently left out.
        ``progress(n)`` is called as each batch of n regions is done.
        """
        out = SuggestReport()
        prepared: list[Prepared] = []
        measure = _Measure(self)
        cut: list[RegionOutcome] = []  # functions too long as a whole, checked in parts
        closed = self._all_gated()
        for region in touched_regions(source, changed):
            outcome = out.regions.setdefault(region.span, _outcome(region))
            if deadline is not None and clock() >= deadline:
                outcome.drop(TIME_BUDGET)
                continue
            got = measure(region.code)
            if isinstance(got, tuple):
                prepared.append((region, *got))
                continue
            if got.reason == TOO_LONG and closed is not None and function_node(source, region) is not None:
                # The gate refuses every latent, so no part would be decoded: cutting (a canonical form per
                # statement and per part) would only cost time: 40 ms per long function (bench_hook.py --only commit).
                outcome.drop(closed, max(1, min(top_k, self.spec.codebook_size)))
                outcome.detail = (f"too long for the model as a whole ({got.detail}): not cut into parts, "
                                  "as no latent may be shown")
                continue
            if got.reason == TOO_LONG and self._cut(source, region, outcome, got.detail, measure, Overlaps(changed),
                                                    out, prepared):
                cut.append(outcome)
                continue
            outcome.drop(got.reason)  # longer than the model ever saw: no hint rather than a cut one; or a region
            outcome.detail = got.detail  # that only parses in context: nothing to suggest
        if prepared:
            # Each batch is checked as soon as it is decoded, so the deadline before the next batch counts the
            # checks too. Hints merge only within a region, and a region never spans two batches.
            def check(batch: list[Candidate]) -> None:
                out.hints.extend(self.hints(path, source, batch, out.regions))

            self._decode(prepared, top_k, out.regions, deadline, clock, progress, check)
            out.hints.sort(key=lambda h: (-h.score, h.start_line, h.latent))
        for outcome in cut:  # each part was accounted for under its own lines: now under its function's
            outcome.add_parts([out.regions.pop(part.span, part) for part in outcome.parts])
        self.last_dropped = out.dropped()  # this call's drops, all regions together
        return out

    def _cut(self, source: str, region: CodeRegion, outcome: RegionOutcome, why: str, measure: _Measure,
             touched: Overlaps, out: SuggestReport, prepared: list[Prepared]) -> bool:
        """Cut a function too long for the model into parts that fit (parts.py); prepare the parts the change
        touches (all of them when it touches none: a changed header or comment between parts), and account for
        each part under its own lines until the decoding is done. False for a region that is not a function (a
        long run of module-level statements stays too long)."""
        pieces = cut_function(source, region, measure)
        if not pieces:
            return False
        n = len(pieces)
        outcome.detail = f"too long for the model as a whole ({why}); checked as {n} part{'s' if n != 1 else ''}"
        hit = [touched(p.region.start, p.region.end) for p in pieces]
        if not any(hit):  # the change is on a header or between parts: nothing tells which part it affects
            hit = [True] * n
        for piece, is_hit in zip(pieces, hit, strict=True):
            part = piece.region
            po = RegionOutcome(part.name, part.start, part.end, touched=is_hit)
            outcome.parts.append(po)
            if not po.touched:
                continue
            got = measure(part.code) if piece.cut else _Unreadable(NOT_CANONICAL, NOT_CUT)
            if isinstance(got, tuple):
                out.regions[part.span] = po
                prepared.append((part, *got))
            else:
                po.drop(got.reason)
                po.detail = got.detail
        return True

    def readable(self, source: str) -> list[Prepared]:
        """Every region of ``source`` the model reads, as ``report`` would prepare them for a change touching the
        whole file: the regions that fit, and the parts of each function too long as a whole. What the precision
        measurement and the evaluation decode, so that what they count is what the hook can show."""
        measure = _Measure(self)
        prepared: list[Prepared] = []
        for region in touched_regions(source, None):
            got = measure(region.code)
            if isinstance(got, tuple):
                prepared.append((region, *got))
            elif got.reason == TOO_LONG:
                for piece in cut_function(source, region, measure) or ():
                    part = measure(piece.region.code) if piece.cut else None
                    if isinstance(part, tuple):
                        prepared.append((piece.region, *part))
        return prepared

    def source_ids(self, code: str) -> list[int] | None:
        """What the encoder reads for canonical ``code`` (an edit model: the marked input), EOS included; None when
        it is longer than the model ever saw (or has more lines than line tokens): no hint rather than a cut one."""
        if self.codec is None:
            ids = self.tokenizer.encode(code)
        elif len(split_lines(code)) > self.codec.max_lines:
            return None
        else:
            ids = self.codec.encode_source(code)
        return [*ids, self.spec.eos_id] if len(ids) < self.spec.max_len else None

    def _too_long(self, code: str) -> str:
        if self.codec is not None and len(split_lines(code)) > self.codec.max_lines:
            return f"{len(split_lines(code))} lines, an edit model addresses at most {self.codec.max_lines}"
        n = len(self.codec.encode_source(code) if self.codec else self.tokenizer.encode(code)) + 1
        return f"{n} tokens, the model reads at most {self.spec.max_len}"

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
        """The finished candidates of the top-k latents of every prepared region."""
        return self._decode(prepared, top_k, {}, None, time.monotonic, None, None)

    def _decode(
        self,
        prepared: Sequence[tuple[CodeRegion, Canonical, list[int]]],
        top_k: int,
        outcomes: dict[LineRange, RegionOutcome],
        deadline: float | None,
        clock: Callable[[], float],
        progress: Callable[[int], None] | None,
        on_batch: Callable[[list[Candidate]], None] | None = None,
    ) -> list[Candidate]:
        """Decode in batches of regions of similar length (a region's latents always share a batch).

        One padded batch of a whole file decodes every row as long as the longest one (measured on difflib.py:
        2.3x the CPU of one call per region); one call per region pays the decoder's per-call overhead for
        only k rows. Batches of similar lengths up to ``batch_tokens`` get both savings: 0.62x the CPU of one call
        per region on difflib.py + ipaddress.py, with identical hints and drops (benchmarks/bench_hook.py).
        """
        k = max(1, min(top_k, self.spec.codebook_size))
        # Regions with the same canonical code (a file's trivial getters, say) are decoded once: the model sees
        # the same ids, so it gives the same outputs; each region then maps them back to its own names.
        same: dict[tuple[int, ...], list[Prepared]] = {}
        for item in prepared:
            same.setdefault(tuple(item[2]), []).append(item)
        groups = sorted(same.values(), key=lambda g: len(g[0][2]))
        out: list[Candidate] = []
        stats = DecodeStats()
        closed = self._all_gated()
        if closed is not None:
            # No latent may be shown (the shipped atlas at the default min_precision): whatever the prior ranks
            # first, each region's k latents are refused by the gate, so the prior and the encoder are not run.
            for region, _, _ in (item for group in groups for item in group):
                outcomes.setdefault((region.start, region.end), _outcome(region)).drop(closed, k)
            if progress is not None and groups:
                progress(sum(len(g) for g in groups))
            self.last_stats = stats
            return out
        for batch in _batches([len(g[0][2]) for g in groups], k, self.config.batch_tokens):
            chosen = [groups[i] for i in batch]
            if deadline is not None and clock() >= deadline:
                for region, _, _ in (item for group in chosen for item in group):
                    outcomes.setdefault((region.start, region.end), _outcome(region)).drop(TIME_BUDGET)
                continue
            decoded = self._decode_batch(chosen, k, outcomes, stats)
            if on_batch is not None:
                on_batch(decoded)
            out += decoded
            if progress is not None:
                progress(sum(len(g) for g in chosen))
        self.last_stats = stats
        return out

    def _decode_batch(
        self,
        groups: Sequence[Sequence[Prepared]],
        k: int,
        outcomes: dict[LineRange, RegionOutcome],
        stats: DecodeStats,
    ) -> list[Candidate]:
        """Decode each group's ids once, and give every region of the group its candidates."""

        def outcome(region: CodeRegion) -> RegionOutcome:
            return outcomes.setdefault((region.start, region.end), _outcome(region))

        probs = self.rank([g[0][2] for g in groups])
        rows: list[tuple[int, int, float]] = []  # (group index, latent, score)
        for i, p in enumerate(probs):
            for latent in np.argsort(-p, kind="stable")[:k].tolist():
                gated = self.gate(latent)
                if gated is not None:  # never shown, so never decoded
                    for region, _, _ in groups[i]:
                        outcome(region).drop(gated)
                    continue
                rows.append((i, latent, float(p[latent])))
        if not rows:
            return []
        sources = [groups[i][0][2] for i, _, _ in rows]
        z = self.codebook[[latent for _, latent, _ in rows]]
        limits = [min(int(self.config.max_growth * len(s)) + 16, self.spec.max_len - 1) for s in sources]
        doomed: set[int] = set()  # rows stopped at a line no continuation can make parse
        texts: dict[int, LineDecoder] = {}

        def stop(row: int, out: list[int]) -> bool:
            text = texts.setdefault(row, self.tokenizer.line_decoder()).feed(out)
            # The first line alone is never doomed (its error is on the last line): nothing to parse yet.
            if text.count("\n") > 1 and cannot_parse_whatever_follows(text):
                doomed.add(row)
            return row in doomed

        if self.config.speculative:
            outs = self.runner.speculative(sources, z, self.config.draft_len, max_new=limits, stats=stats)
        else:
            # (a script is not a program: the parse-prefix stop is for program output only)
            outs = self.runner.greedy(sources, z, max_new=limits, stats=stats, stop_at=self.newline_id,
                                      stop=stop if self.config.stop_unparsable and self.codec is None else None)
        kept = []
        for row, ((i, latent, score), ids, limit) in enumerate(zip(rows, outs, limits, strict=True)):
            if row in doomed:
                for region, _, _ in groups[i]:
                    outcome(region).drop(DOES_NOT_PARSE)
                continue
            if len(ids) >= limit:
                # A row cut at its limit never reached EOS: an unfinished program, not a suggestion.
                for region, _, _ in groups[i]:
                    outcome(region).drop(UNFINISHED)
                continue
            kept += [self._candidate(region, canonical, latent, score, ids) for region, canonical, _ in groups[i]]
        return kept

    def _candidate(self, region: CodeRegion, canonical: Canonical, latent: int, score: float,
                   out: list[int]) -> Candidate:
        if self.codec is None:
            return Candidate(region, canonical, latent, score, self.tokenizer.decode(out))
        try:  # EOS at once is the empty script: "no change", counted as such by the checks
            script = self.codec.decode_script(canonical.code, out)
        except ScriptError:
            return Candidate(region, canonical, latent, score, "", error=MALFORMED_SCRIPT)
        return Candidate(region, canonical, latent, score, apply_script(canonical.code, script), script)

    def _all_gated(self) -> str | None:
        """The one reason the gate gives every latent, when it refuses them all; None when some latent may be shown
        (or the reasons differ, so which ones a region gets depends on the prior's ranking)."""
        reasons: set[str | None] = {self.gate(latent) for latent in range(self.spec.codebook_size)}
        only = reasons.pop() if len(reasons) == 1 else None
        return only

    def gate(self, latent: int) -> str | None:
        """Why ``latent`` may not be shown at all, or None. The place of the per-latent precision gate (#15 item 1):
        it answers BELOW_PRECISION (accounting.py) for a latent whose measured precision is too low; such rows are
        then neither decoded nor shown, and counted under that key. A latent the atlas never measured has bound 0,
        so only ``min_precision`` 0 lets it through."""
        if not self.atlas.shows(latent, self.config.min_precision):
            return BELOW_PRECISION
        return None

    def hints(self, path: str, source: str, candidates: Sequence[Candidate],
              outcomes: dict[LineRange, RegionOutcome] | None = None) -> list[Hint]:
        """Checked hints of ``candidates``; each drop is counted in its region's outcome (and last_dropped)."""
        outcomes = {} if outcomes is None else outcomes
        lines = source_lines(source)
        avoid = _identifiers(source)
        best: dict[tuple[int, str], Hint] = {}  # (region start, suggestion) -> highest-scoring hint
        for c in candidates:
            outcome = outcomes.setdefault((c.region.start, c.region.end), _outcome(c.region))
            suggestion, why = _checked(c, avoid, lines)
            if suggestion is None:
                outcome.drop(why)
                continue
            outcome.passed += 1
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
        for hint in best.values():
            outcomes[(hint.start_line, hint.end_line)].hints += 1
        self.last_dropped = total_dropped(outcomes.values())
        return sorted(best.values(), key=lambda h: (-h.score, h.start_line, h.latent))


# A statement of a long function whose lines cannot be cut at one indentation: a part the model is not asked about.
NOT_CUT = "its lines are not all indented as its first one (a string or continuation line further left)"


@dataclass(frozen=True)
class _Unreadable:
    """Why the model cannot read some code: a region reason (accounting.py) and its one-line detail."""

    reason: str
    detail: str


class _Measure:
    """Canonical form and token ids of a region's code, or why the model cannot read it; remembered for one call,
    since cutting a long function asks about the same runs more than once."""

    def __init__(self, suggester: OnnxSuggester) -> None:
        self.suggester = suggester
        self.known: dict[str, tuple[Canonical, list[int]] | _Unreadable] = {}

    def __call__(self, code: str) -> tuple[Canonical, list[int]] | _Unreadable:
        if code not in self.known:
            self.known[code] = self._measure(code)
        return self.known[code]

    def fits(self, code: str) -> bool:
        return isinstance(self(code), tuple)

    def share(self, code: str) -> float:
        """The larger of the shares of the model's lines and tokens ``code`` takes; more than 1 when it does not
        fit (parts.Reach)."""
        got = self(code)
        if not isinstance(got, tuple):
            return math.inf
        canonical, ids = got
        spec, codec = self.suggester.spec, self.suggester.codec
        lines = len(split_lines(canonical.code)) / codec.max_lines if codec is not None else 0.0
        return float(max(lines, (len(ids) - 1) / (spec.max_len - 1)))  # EOS aside: max_len - 1 tokens fit

    def _measure(self, code: str) -> tuple[Canonical, list[int]] | _Unreadable:
        try:
            canonical = canonicalize(code)
        except CanonicalError as exc:
            return _Unreadable(NOT_CANONICAL, str(exc))  # e.g. a region that only parses in context
        ids = self.suggester.source_ids(canonical.code)
        if ids is None:
            return _Unreadable(TOO_LONG, self.suggester._too_long(canonical.code))
        return canonical, ids


def _outcome(region: CodeRegion) -> RegionOutcome:
    return RegionOutcome(region.name, region.start, region.end)


def _batches(lengths: Sequence[int], k: int, batch_tokens: int) -> list[list[int]]:
    """Indices of ``lengths`` (ascending) in consecutive runs whose k rows each, padded to the longest, fit
    ``batch_tokens``; a region longer than that gets a batch of its own."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i, length in enumerate(lengths):
        if current and (len(current) + 1) * k * length > batch_tokens:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def user_suggestion(c: Candidate, avoid: set[str] | frozenset[str],
                    file_lines: Sequence[str] | None = None) -> str | None:
    """The candidate in the user's names at the region's indentation; None if it is broken, changes nothing, or
    fails the static checks of plausibility.py. An edit model's script is laid on the region's lines of the file
    (``file_lines``; without them, the region's own lines), so only its hunks' lines change."""
    return _checked(c, avoid, file_lines)[0]


def _checked(c: Candidate, avoid: set[str] | frozenset[str],
             file_lines: Sequence[str] | None = None) -> tuple[str | None, str]:
    """(suggestion or None, why it was dropped)."""
    if c.error:
        return None, c.error
    if c.script is not None:
        laid: tuple[str | None, str] = edit_suggestion(c.region, c.canonical, c.output, avoid, file_lines)
        return laid
    if c.output.strip() == c.canonical.code.strip():
        return None, NO_CHANGE
    try:
        restored = decanonicalize(c.output, c.canonical, avoid=avoid)  # parses, or raises
        if canonicalize(restored).code == c.canonical.code:
            return None, ONLY_NAMES
    except CanonicalError:
        return None, DOES_NOT_PARSE
    why = refusal(c.region.code, restored, c.canonical.code, c.output, region=c.region.name, part=c.region.part)
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
