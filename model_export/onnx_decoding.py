"""Decoding the exported graphs with onnxruntime: plain KV-cached greedy, and copy-draft speculative greedy.

Both keep one self-attention cache per row whose live slots are marked in ``past_mask``, so rows may advance by
different numbers of tokens per decoder call (speculative decoding accepts a different prefix in each row).
Speculative decoding proposes the next ``draft_len`` tokens of the *input* after the place where the output so
far aligns with it (the output of a speed edit is mostly a copy of its input), runs the decoder once over
[last token, draft...], keeps the draft's longest prefix the model itself would have produced, plus the model's
next token. Every kept token is the decoder's own argmax at its position, so the result equals plain greedy.
No torch here: this runs in the hook and the bot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import onnxruntime as ort

from speedhints.model_export.bundle import ModelSpec

I64 = np.int64


# A copy head's source, written by the encoder graph after the cross K/V and read by the decoder step after them:
# the copy keys (B, S, D) and the source ids they point at (B, S), a copy of input_ids, so that the runner keeps,
# shrinks and feeds them by name with the cross K/V like any other per-source tensor.
COPY_NAMES = ["copy_key", "copy_ids"]


def cross_names(n_layers: int, copy: bool = False) -> list[str]:
    """The encoder graph's outputs, fed back to every decoder step (training/export/graphs.py writes them): each
    layer's cross K/V, then a copy head's keys and source ids."""
    return [f"cross_{kind}.{i}" for i in range(n_layers) for kind in ("key", "value")] + (
        COPY_NAMES if copy else [])


def past_names(n_layers: int) -> list[str]:
    return [f"past_{kind}.{i}" for i in range(n_layers) for kind in ("key", "value")]


def present_names(n_layers: int) -> list[str]:
    return [f"present_{kind}.{i}" for i in range(n_layers) for kind in ("key", "value")]


@dataclass
class DecodeStats:
    """What a decode did: decoder calls and the tokens they fed, for tokens/s and FLOP accounting."""

    calls: int = 0
    fed_tokens: int = 0  # rows x new positions, summed over calls (what the decoder computed)
    attended_keys: int = 0  # rows x new positions x cache length, summed (self-attention work)
    drafted: int = 0
    accepted: int = 0
    compactions: int = 0
    row_accepted: dict[int, int] = field(default_factory=dict)  # original row -> drafted tokens it accepted
    per_call: list[tuple[int, int, int]] = field(default_factory=list)  # (batch, new positions, cache length)


class Seq2SeqRunner:
    """The encoder and decoder-step sessions of one bundle, and the decoding loops over them."""

    def __init__(self, encoder: ort.InferenceSession, decoder: ort.InferenceSession, spec: ModelSpec) -> None:
        self.encoder, self.decoder, self.spec = encoder, decoder, spec
        n = spec.n_dec_layers
        self._cross, self._past, self._present = cross_names(n, spec.copy), past_names(n), present_names(n)
        self._outputs = ["next_tokens", *self._present]

    # ----------------------------------------------------------------------------------------------------------
    def encode(self, input_ids: np.ndarray, z: np.ndarray) -> list[np.ndarray]:
        """(B, S) ids, (B, D) latents -> every decoder layer's cross-attention key and value."""
        out = self.encoder.run(self._cross, {"input_ids": input_ids.astype(I64), "z": z.astype(np.float32)})
        return list(out)

    def step(self, st: _State, ids: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Feed ``ids`` (B, T) at ``positions``; extends the cache by T slots (marked dead) and returns argmaxes."""
        feed = {"input_ids": ids.astype(I64), "position_ids": positions.astype(I64), "past_mask": st.past_mask,
                "encoder_attention_mask": st.enc_mask}
        feed.update(zip(self._cross, st.cross, strict=True))
        feed.update(zip(self._past, st.past, strict=True))
        next_tokens, *presents = self.decoder.run(self._outputs, feed)
        b, t = ids.shape
        st.stats.calls += 1
        st.stats.fed_tokens += b * t
        st.stats.attended_keys += b * t * (st.past_mask.shape[1] + t)
        st.stats.per_call.append((b, t, st.past_mask.shape[1]))
        st.past = presents
        st.past_mask = np.concatenate([st.past_mask, np.zeros((b, t), dtype=bool)], axis=1)
        return np.asarray(next_tokens)

    # ----------------------------------------------------------------------------------------------------------
    def greedy(self, sources: Sequence[Sequence[int]], z: np.ndarray, max_new: int | Sequence[int] | None = None,
               stats: DecodeStats | None = None, stop_at: int | None = None,
               stop: Callable[[int, list[int]], bool] | None = None) -> list[list[int]]:
        """Plain greedy with the KV cache, one token per decoder call: each row's ids without BOS/EOS.

        ``stop(row, out)`` is asked each time a row emits ``stop_at`` (e.g. the end of a line); True ends that
        row there, as if it had reached EOS (the caller knows which rows it stopped).
        """
        st = self._start(sources, z, max_new, stats)
        while st.active.size:
            nxt = self.step(st, st.last[:, None], st.lengths[:, None])  # (B, 1)
            st.past_mask[:, -1] = True
            st.lengths += 1
            st.take(nxt[:, :1], np.zeros(st.active.size, dtype=I64), self.spec.eos_id)
            if stop is not None:
                for i in np.flatnonzero((nxt[:, 0] == stop_at) & ~st.done).tolist():
                    row = int(st.active[i])
                    if stop(row, st.out[row]):
                        st.done[i] = True
                        st.finished_since_shrink += 1
            st.shrink()
        return st.out

    def teacher_forced(self, sources: Sequence[Sequence[int]], z: np.ndarray, target_in: Sequence[int]) -> np.ndarray:
        """The decoder's argmax after each token of ``target_in`` (BOS first), all in one call: (B, T)."""
        st = self._start(sources, z, None, None)
        t = len(target_in)
        ids = np.tile(np.asarray(target_in, dtype=I64), (len(sources), 1))
        return self.step(st, ids, np.tile(np.arange(t, dtype=I64), (len(sources), 1)))

    def speculative(self, sources: Sequence[Sequence[int]], z: np.ndarray, draft_len: int = 8,
                    max_new: int | Sequence[int] | None = None, stats: DecodeStats | None = None,
                    draft_from: Sequence[Sequence[int]] | None = None) -> list[list[int]]:
        """Greedy output, several tokens per decoder call by verifying drafts copied from each row's source.

        ``draft_from`` replaces the sources as what drafts are copied from (the bench passes the greedy output
        itself to measure the ceiling: every draft right). The output never depends on it.
        """
        st = self._start(sources, z, max_new, stats)
        if draft_from is not None:
            st.src = _sources([np.asarray(d, dtype=I64) for d in draft_from])
        k_max = max(1, draft_len)
        k = k_max
        last_pos = self.spec.max_len - 1
        while st.active.size:
            if k == 0:
                # Drafts were being rejected: plain greedy steps, but still watch whether the 1-token draft would
                # have been right (free: it is a lookup in the source); once the output copies again, draft again.
                would = np.array([st.draft(i, 1)[0] for i in range(st.active.size)])
                # Finished rows ride along until the next shrink and may be past the table: clamp, as below.
                nxt = self.step(st, st.last[:, None], np.minimum(st.lengths[:, None], last_pos))  # (B, 1)
                st.past_mask[:, -1] = True
                st.lengths += 1
                accepted = np.zeros(st.active.size, dtype=I64)
                live_rows = ~st.done
                hits = float((would == nxt[:, 0])[live_rows].mean()) if live_rows.any() else 0.0
                k = min(k_max, 2) if hits >= 0.5 else 0
            else:
                drafts = np.stack([st.draft(i, k) for i in range(st.active.size)])  # (B, k)
                ids = np.concatenate([st.last[:, None], drafts], axis=1)  # (B, k + 1)
                # Positions past the table only occur in rows that stop before using them (see _State.take).
                positions = np.minimum(st.lengths[:, None] + np.arange(k + 1), last_pos)
                nxt = self.step(st, ids, positions)  # (B, k + 1): the model's token after each fed token
                match = drafts == nxt[:, :-1]  # (B, k)
                accepted = np.where(match.all(axis=1), k, match.argmin(axis=1)).astype(I64)  # leading run of hits
                live = np.arange(k + 1)[None, :] <= accepted[:, None]  # last token + accepted drafts are cached
                st.past_mask[:, -(k + 1):] = live
                st.lengths += accepted + 1
                st.stats.drafted += k * st.active.size
                st.stats.accepted += int(accepted.sum())
                for row, a, finished in zip(st.active.tolist(), accepted.tolist(), st.done.tolist(), strict=True):
                    if not finished:
                        st.stats.row_accepted[row] = st.stats.row_accepted.get(row, 0) + a
                # The next draft length follows how much the live rows accept: a call costs about its width, so
                # drafting beyond what gets accepted only burns compute (the output never depends on it); below
                # half a token per call a draft costs more than it saves, so decode greedily until copying resumes.
                live_rows = ~st.done
                mean = float(accepted[live_rows].mean()) if live_rows.any() else float(k)
                k = 0 if mean < 0.5 else max(1, min(k_max, int(np.ceil(2 * mean + 1))))
            st.take(nxt, accepted, self.spec.eos_id)
            st.shrink()
            st.compact(k_max + 1)
        return st.out

    # ----------------------------------------------------------------------------------------------------------
    def _start(self, sources: Sequence[Sequence[int]], z: np.ndarray, max_new: int | Sequence[int] | None,
               stats: DecodeStats | None) -> _State:
        spec = self.spec
        if len(sources) != z.shape[0]:
            raise ValueError(f"{len(sources)} sources but {z.shape[0]} latents")
        width = max(len(s) for s in sources)
        if width > spec.max_len:
            raise ValueError(f"a source of {width} tokens exceeds the model's max_len {spec.max_len}")
        ids = np.full((len(sources), width), spec.pad_id, dtype=I64)
        for i, s in enumerate(sources):
            ids[i, : len(s)] = s
        cross = self.encode(ids, z)
        # Output tokens per row (an int for all rows, or one per row), never more than the positions allow.
        limit = np.minimum(np.broadcast_to(np.asarray(spec.max_len - 1 if max_new is None else max_new, dtype=I64),
                                           (len(sources),)), spec.max_len - 1)
        return _State(self.spec, ids, cross, limit, stats or DecodeStats())


class _State:
    """The batch being decoded: active rows, their caches, outputs so far and copy pointers into the source."""

    def __init__(self, spec: ModelSpec, ids: np.ndarray, cross: list[np.ndarray], limit: np.ndarray,
                 stats: DecodeStats) -> None:
        b = ids.shape[0]
        h, hd, n = spec.n_heads, spec.head_dim, spec.n_dec_layers
        self.spec, self.limit, self.stats = spec, limit, stats
        self.src = _sources([row[row != spec.pad_id] for row in ids])  # each row's source, EOS included
        self.enc_mask = ids != spec.pad_id
        self.cross = cross
        self.past = [np.zeros((b, h, 0, hd), dtype=np.float32) for _ in range(2 * n)]
        self.past_mask = np.zeros((b, 0), dtype=bool)
        self.lengths = np.zeros(b, dtype=I64)  # live cache slots = position of the next fed token
        self.last = np.full(b, spec.bos_id, dtype=I64)  # generated, not yet fed
        self.active = np.arange(b)  # original row of each batch row
        self.done = np.zeros(b, dtype=bool)
        self.out: list[list[int]] = [[] for _ in range(b)]
        self.ptr = np.zeros(b, dtype=I64)  # where in its source each row's output is expected to continue
        self.finished_since_shrink = 0

    def take(self, nxt: np.ndarray, accepted: np.ndarray, eos: int) -> None:
        """Append each row's new tokens nxt[i, : accepted[i] + 1], stopping at EOS or the length limit."""
        for i, row in enumerate(self.active):
            if self.done[i]:
                continue
            out, limit = self.out[row], int(self.limit[row])
            for tok in nxt[i, : accepted[i] + 1].tolist():
                if tok == eos or len(out) >= limit:
                    self.done[i] = True
                    break
                out.append(tok)
            if not self.done[i] and len(out) >= limit:
                self.done[i] = True
            if self.done[i]:
                self.finished_since_shrink += 1
            self.last[i] = nxt[i, accepted[i]]
            self.ptr[i] += accepted[i] + 1

    def draft(self, i: int, k: int) -> np.ndarray:
        """The k source tokens that follow where row i's output aligns with its source (pad when none)."""
        src, out = self.src[i], self.out[self.active[i]]
        ids, ptr = src.ids, int(self.ptr[i])
        # Fast path: the last token continued the source where expected, so keep copying from there.
        start = ptr if out and 0 < ptr <= ids.size and ids[ptr - 1] == out[-1] else src.align(out, ptr)
        self.ptr[i] = start
        d = ids[start : start + k]
        return d if d.size == k else np.concatenate([d, np.full(k - d.size, self.spec.pad_id, dtype=I64)])

    def shrink(self) -> None:
        """Drop finished rows once a quarter of the batch has finished (copying caches costs, so not every time)."""
        if not self.finished_since_shrink or self.finished_since_shrink * 4 < self.active.size and not self.done.all():
            return
        keep = ~self.done
        self.cross = [c[keep] for c in self.cross]
        self.past = [p[keep] for p in self.past]
        self.enc_mask, self.past_mask = self.enc_mask[keep], self.past_mask[keep]
        self.lengths, self.last, self.ptr = self.lengths[keep], self.last[keep], self.ptr[keep]
        self.src = [s for s, k in zip(self.src, keep, strict=True) if k]
        self.active, self.done = self.active[keep], self.done[keep]
        self.finished_since_shrink = 0

    def compact(self, margin: int) -> None:
        """Left-align live cache slots when rejected drafts make the cache much longer than any row needs."""
        if not self.active.size:
            return
        physical, needed = self.past_mask.shape[1], int(self.lengths.max())
        if physical <= 2 * needed + margin:
            return
        self.stats.compactions += 1
        order = np.argsort(~self.past_mask, axis=1, kind="stable")[:, :needed]  # live slots first, in order
        self.past = [np.take_along_axis(p, order[:, None, :, None], axis=2) for p in self.past]
        self.past_mask = np.take_along_axis(self.past_mask, order, axis=1)


class _Source:
    """A row's draft source and an index of where each of its 1- to 4-grams ends, for re-aligning in O(1)."""

    MAX_N = 4

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = ids
        self._ends: dict[tuple[int, ...], list[int]] | None = None  # built on the first re-alignment

    def align(self, out: list[int], guess: int) -> int:
        """Index just after the longest recent suffix (<= 4 tokens) of ``out`` found in the source, nearest
        ``guess`` (where the output is expected to be); ``guess`` itself when no suffix occurs."""
        if not out:
            return 0
        if self._ends is None:
            ends: dict[tuple[int, ...], list[int]] = {}
            seq = self.ids.tolist()
            for n in range(1, self.MAX_N + 1):
                for j in range(len(seq) - n + 1):
                    ends.setdefault(tuple(seq[j : j + n]), []).append(j + n)
            self._ends = ends
        for n in range(min(self.MAX_N, len(out)), 0, -1):
            hits = self._ends.get(tuple(out[-n:]))
            if hits:
                return min(hits, key=lambda e: abs(e - guess))
        return min(guess, int(self.ids.size))


def _sources(rows: list[np.ndarray]) -> list[_Source]:
    """One _Source per row; rows with the same source (one function, many latents) share one index."""
    shared: dict[bytes, _Source] = {}
    return [shared.setdefault(r.tobytes(), _Source(r)) for r in rows]


def make_session(path: str, providers: Sequence[str] | None = None, threads: int = 1) -> ort.InferenceSession:
    """An inference session; CUDA first when this onnxruntime has it and a GPU is there, else the CPU.

    One intra-op thread without spin-waiting by default: on a shared 2-core machine, spinning threads fight the
    rest of the load (and the hook runs alongside an editor and git).
    """
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, sess_options=opts, providers=list(providers or default_providers()))


def default_providers() -> list[str]:
    available = ort.get_available_providers()
    return (["CUDAExecutionProvider"] if "CUDAExecutionProvider" in available else []) + ["CPUExecutionProvider"]
