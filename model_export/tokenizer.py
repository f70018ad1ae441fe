"""The tokenizer of canonical code: byte-level BPE (HF ``tokenizers``) with layout and placeholders as single tokens.

Why byte-level BPE rather than Unigram: every byte sequence has an encoding (no unknown token, so a model's output
and any user code round-trip exactly), merges are learned from canonical code so frequent idioms
(``int(input())``, ``range(``) become one token, and encoding is a fast deterministic greedy pass.

Layout: canonical code (``ast.unparse`` output) indents by 4 spaces. Before BPE each line's indentation becomes
INDENT / DEDENT tokens relative to the previous line, and each newline becomes NL, so the model sees Python's block
structure the way Python's own tokenizer does, and a long line costs no run of space tokens.
Placeholders (``v0``, ``f3``, ``s12``, ...) are added tokens, each also with a leading space, since canonical code
mostly writes them after a space (``x = v0 + v1``). Placeholders beyond the added range still round-trip as BPE pieces.
``decode(encode(c)) == c`` holds for every string that does not contain the special tokens' text (``<pad>``, ``<bos>``,
``<eos>``) or the three private-use layout characters; canonical code never does.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

NL, INDENT, DEDENT = "\ue000", "\ue001", "\ue002"  # private-use code points: never in source text
PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIAL_TOKENS = [PAD, BOS, EOS]
INDENT_WIDTH = 4
# How many placeholders of each kind get their own token (the corpus's 99th percentile is far below these).
PLACEHOLDER_COUNTS = {"v": 96, "f": 16, "c": 8, "s": 48}


def placeholder_tokens() -> list[str]:
    out = []
    for prefix, count in PLACEHOLDER_COUNTS.items():
        for i in range(count):
            out += [f"{prefix}{i}", f" {prefix}{i}"]
    return out


# --------------------------------------------------------------------------------------------------------------
# layout <-> markers (exact inverses)
# --------------------------------------------------------------------------------------------------------------


def to_markers(code: str) -> str:
    """Replace indentation with INDENT/DEDENT relative to the previous non-blank line, and newlines with NL."""
    out: list[str] = []
    level = 0
    for i, line in enumerate(code.split("\n")):
        if i:
            out.append(NL)
        if not line.strip():
            out.append(line)  # a blank line keeps the level and its own whitespace
            continue
        spaces = len(line) - len(line.lstrip(" "))
        new_level = spaces // INDENT_WIDTH
        out.append((INDENT * (new_level - level)) if new_level > level else (DEDENT * (level - new_level)))
        out.append(line[new_level * INDENT_WIDTH :])
        level = new_level
    return "".join(out)


def from_markers(text: str) -> str:
    lines: list[str] = []
    level = 0
    for chunk in text.split(NL):
        line, level = _from_marker_line(chunk, level)
        lines.append(line)
    return "\n".join(lines)


def _from_marker_line(chunk: str, level: int) -> tuple[str, int]:
    """One line of marker text (no NL) at indentation ``level`` -> (the line, the level after it)."""
    stripped = chunk.lstrip(INDENT + DEDENT)
    markers = chunk[: len(chunk) - len(stripped)]
    level += markers.count(INDENT) - markers.count(DEDENT)
    level = max(level, 0)  # a model may emit a stray DEDENT
    if not stripped.strip() and not markers:
        return stripped, level
    return " " * (INDENT_WIDTH * level) + stripped, level


# --------------------------------------------------------------------------------------------------------------
# the tokenizer
# --------------------------------------------------------------------------------------------------------------


class CodeTokenizer:
    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        ids = [tokenizer.token_to_id(t) for t in SPECIAL_TOKENS]
        if None in ids:
            raise ValueError("tokenizer.json lacks the special tokens <pad>, <bos>, <eos>")
        self.pad_id, self.bos_id, self.eos_id = (int(i) for i in ids if i is not None)

    @property
    def vocab_size(self) -> int:
        return int(self.tokenizer.get_vocab_size(with_added_tokens=True))

    def encode(self, code: str) -> list[int]:
        """Token ids of ``code`` (no BOS/EOS: the model adds those where it needs them)."""
        return list(self.tokenizer.encode(to_markers(code), add_special_tokens=False).ids)

    def encode_batch(self, codes: Sequence[str]) -> list[list[int]]:
        encodings = self.tokenizer.encode_batch([to_markers(c) for c in codes], add_special_tokens=False)
        return [list(e.ids) for e in encodings]

    def decode(self, ids: Iterable[int]) -> str:
        """Code for ``ids``; pad/bos/eos are dropped, everything else round-trips exactly."""
        specials = {self.pad_id, self.bos_id, self.eos_id}
        kept = [int(i) for i in ids if int(i) not in specials]
        return from_markers(self.tokenizer.decode(kept, skip_special_tokens=False))

    def line_decoder(self) -> LineDecoder:
        return LineDecoder(self)

    def tokens(self, code: str) -> list[str]:
        """Human-readable pieces, for debugging and reports."""
        return list(self.tokenizer.encode(to_markers(code), add_special_tokens=False).tokens)

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save(str(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CodeTokenizer:
        return cls(Tokenizer.from_file(str(path)))

    @classmethod
    def from_json(cls, text: str) -> CodeTokenizer:
        return cls(Tokenizer.from_str(text))

    @classmethod
    def train(cls, codes: Iterable[str], vocab_size: int = 2048, min_frequency: int = 2) -> CodeTokenizer:
        tokenizer = Tokenizer(models.BPE())
        # No regex split of digits etc.: canonical code is small and uniform, let BPE find its own units.
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
        tokenizer.decoder = decoders.ByteLevel()
        added = [NL, INDENT, DEDENT, *placeholder_tokens()]
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size - len(added),
            min_frequency=min_frequency,
            special_tokens=SPECIAL_TOKENS,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        # Train on the text between layout markers and placeholders: those get their own tokens afterwards, so
        # no merge is spent on them. (Adding tokens before training would give them ids the trainer reuses.)
        tokenizer.train_from_iterator(_segments(codes), trainer=trainer)
        # Not single_word: that would refuse " v1" after "v0" (word before the space). So "v1" inside a kept name
        # like "dev1" becomes a placeholder token too; harmless, since decoding concatenates it back exactly.
        tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in added])
        return cls(tokenizer)

    def to_json(self) -> str:
        return str(self.tokenizer.to_str())


class LineDecoder:
    """``decode`` of a growing output, fed whole lines at a time (ids up to and including an NL token): decoding
    the whole prefix again at every line end costs time quadratic in its length, this only the new line."""

    def __init__(self, tokenizer: CodeTokenizer) -> None:
        self.tokenizer = tokenizer
        self.specials = {tokenizer.pad_id, tokenizer.bos_id, tokenizer.eos_id}
        self.consumed = 0  # ids of the output already decoded
        self.level = 0
        self.text = ""

    def feed(self, out: Sequence[int]) -> str:
        """The decoded text of ``out`` (the same output as before, grown, ending with an NL token)."""
        kept = [int(i) for i in out[self.consumed :] if int(i) not in self.specials]
        self.consumed = len(out)
        raw = self.tokenizer.tokenizer.decode(kept, skip_special_tokens=False)
        *complete, rest = raw.split(NL)
        for chunk in complete:
            line, self.level = _from_marker_line(chunk, self.level)
            self.text += line + "\n"
        if rest:  # fed mid-line after all: no longer incremental, decode from scratch
            raise ValueError("LineDecoder.feed needs output that ends with an NL token")
        return self.text


_SPLIT = re.compile(rf"[{NL}{INDENT}{DEDENT}]| ?\b[vfcs]\d+\b")


def _segments(codes: Iterable[str]) -> Iterator[str]:
    for code in codes:
        for piece in _SPLIT.split(to_markers(code)):
            if piece:
                yield piece


def describe(tokenizer: CodeTokenizer) -> dict[str, object]:
    return {"vocab_size": tokenizer.vocab_size, "special": dict(zip(SPECIAL_TOKENS, [tokenizer.pad_id,
            tokenizer.bos_id, tokenizer.eos_id], strict=True))}


if __name__ == "__main__":  # pragma: no cover - a quick manual check: python -m speedhints.model_export.tokenizer F
    import sys

    tok = CodeTokenizer.load(sys.argv[1])
    print(json.dumps(describe(tok)))
