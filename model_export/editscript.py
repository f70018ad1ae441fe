"""The edit script: what an edit model outputs instead of a whole program (issue 14, item 1).

A script is a short sequence of hunks over the lines of the canonical input x (``code.split("\\n")``; canonical code
ends with a newline, so the last "line" is the empty one after it). ``Hunk(start, end, lines)`` replaces x's lines
``start .. end - 1`` by ``lines``: ``start == end`` inserts before line ``start``, empty ``lines`` deletes. Hunks are
in order and do not overlap. ``apply(x, script)`` and ``diff(x, y)`` are exact inverses:
``apply(x, diff(x, y)) == y`` for any two strings (``check_inverse`` tests it on any iterable of pairs). The empty
script means "no change", the shortest output there is.

As tokens (``ScriptCodec``): each hunk is ``<L start> <L end>`` followed by the tokens of its replacement lines,
each line ended by NL; the script ends with EOS (added by the model code, like every target). Line tokens never occur
inside replacement text, so no closing or separator token is needed: the next line token starts the next hunk.
Replacement lines carry their indentation as INDENT/DEDENT relative to the nearest non-blank line of x before the
hunk (the tokenizer's own layout markers), so a hunk deep in a loop costs no run of INDENTs. The encoder sees x
*marked*: its token ids with ``<L 0>`` in front and each NL replaced by the next line's token (``<L i>`` begins line
i, ``<L n-1>`` marks the end), so the decoder points at a line by emitting the very token it reads there (the
embeddings are tied), for one token more than the plain input. Line tokens are private-use characters appended to
the tokenizer (``with_edit_tokens``): existing token ids do not move, so program-output models and bundles keep working.

Granularity, measured on the 17,393 real pairs of training/corpus/pairs.tsv with the project's tokenizer
(``python benchmarks/bench_editscript.py``; figures are tokens the decoder must produce per target, EOS included):

    17,393 pairs (all convert); x: 11 lines / 57 tokens at the median, 52 lines / 317 tokens at most;
    the median pair keeps only 33 % of x's lines (real cross-author pairs are mostly rewrites); 1,714 "local"
    pairs keep >= 2/3 of them.

    target       mean   p50   p90   p99  median /program  (local pairs)  shorter  pointer tokens  hunks p50/p90
    program      57.1    53    92   148           1.000x         1.000x       -               0              -
    lines        46.1    41    81   133           0.829x         0.603x    89.2 %            53            2 / 3
    statements   48.3    43    85   135           0.864x         0.686x    84.9 %            53            1 / 3
    tokens       39.6    35    69   115           0.727x         0.476x    96.8 %           318           7 / 12

Every target of every pair fits the ``cpu`` preset's 256 tokens, so representability does not decide. Lines,
because: (1) token hunks are shorter (35 tokens at the median against 41) but need 3.5x as many hunks (14 pointers
to get exactly right instead of 4) into 318 positions instead of 53 lines, and a hunk that cuts through a line
cannot be laid on the user's own source lines (item 5: lines outside a hunk stay the user's, comments included; the
bot's suggestion blocks replace whole lines); (2) statements (a changed ``for`` header replaces its whole body) are
longer than lines and buy nothing, since canonical code already has one simple statement per line. The real pairs
being rewrites, an edit script of one is only 17 % shorter than the program: the decode saving comes from models
that learn local edits (synthetic pairs, issue 14 item 3) and from "no change" costing one token. Line tokens: 129
(``<L 0>`` .. ``<L 128>``): the corpus needs 53; a 300-token region at the corpus's 5.2 tokens per line is ~58
lines.

No torch here: training and the runtime both import this module.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from tokenizers import AddedToken

from speedhints.model_export.tokenizer import DEDENT, INDENT, INDENT_WIDTH, NL, CodeTokenizer

# Line tokens <L 0> .. <L MAX_LINES>: private-use code points (like NL/INDENT/DEDENT), so no source text contains
# them and no user string can be mistaken for one. MAX_LINES bounds the programs an edit model can address.
MAX_LINES = 128
LINE_BASE = 0xE100


class ScriptError(ValueError):
    """A script that does not fit its input or does not parse; ``str(exc)`` is one line."""


@dataclass(frozen=True)
class Hunk:
    start: int  # first replaced line of x (0-based)
    end: int  # one past the last replaced line; == start: an insertion before line `start`
    lines: tuple[str, ...] = ()  # the replacement; () deletes


@dataclass(frozen=True)
class Script:
    hunks: tuple[Hunk, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.hunks)

    def __iter__(self) -> Iterator[Hunk]:
        return iter(self.hunks)


def split_lines(code: str) -> list[str]:
    return code.split("\n")


def apply(x: str, script: Script) -> str:
    """x with every hunk applied (ScriptError when a hunk is out of range or out of order)."""
    lines = split_lines(x)
    out: list[str] = []
    pos = 0
    for h in script:
        if not pos <= h.start <= h.end <= len(lines):
            raise ScriptError(f"hunk {h.start}-{h.end} is out of order or outside the input's {len(lines)} lines")
        out += lines[pos : h.start]
        out += h.lines
        pos = h.end
    out += lines[pos:]
    return "\n".join(out)


def diff(x: str, y: str) -> Script:
    """The hunks that turn x into y, line by line (difflib's matching, no junk heuristic: exact and deterministic)."""
    a, b = split_lines(x), split_lines(y)
    hunks: list[Hunk] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if hunks and hunks[-1].end == i1:  # adjacent changes are one hunk: one header, not two
            last = hunks.pop()
            hunks.append(Hunk(last.start, i2, last.lines + tuple(b[j1:j2])))
        else:
            hunks.append(Hunk(i1, i2, tuple(b[j1:j2])))
    return Script(tuple(hunks))


# --------------------------------------------------------------------------------------------------------------
# tokens
# --------------------------------------------------------------------------------------------------------------


def line_marker(i: int) -> str:
    return chr(LINE_BASE + i)


def with_edit_tokens(tok: CodeTokenizer) -> CodeTokenizer:
    """``tok`` plus the line tokens, appended after every existing id (a no-op when they are there already)."""
    if tok.tokenizer.token_to_id(line_marker(0)) is not None:
        return tok
    extended = CodeTokenizer.from_json(tok.to_json())
    extended.tokenizer.add_special_tokens(
        [AddedToken(line_marker(i), special=True, normalized=False) for i in range(MAX_LINES + 1)]
    )
    return extended


def _level(line: str) -> int:
    spaces: int = len(line) - len(line.lstrip(" "))
    return spaces // INDENT_WIDTH


def base_level(x_lines: Sequence[str], start: int) -> int:
    """The indentation level replacement lines at ``start`` are written relative to: x's last non-blank line before."""
    for line in reversed(x_lines[:start]):
        if line.strip():
            return _level(line)
    return 0


def lines_to_markers(lines: Sequence[str], base: int) -> str:
    """Each line as INDENT/DEDENT (relative to the previous non-blank line, the first to ``base``) + text + NL.

    The tokenizer's ``to_markers`` with a starting level; blank lines keep their whitespace and the level.
    """
    out: list[str] = []
    level = base
    for line in lines:
        if line.strip():
            new = _level(line)
            out.append(INDENT * (new - level) if new > level else DEDENT * (level - new))
            out.append(line[new * INDENT_WIDTH :])
            level = new
        else:
            out.append(line)
        out.append(NL)
    return "".join(out)


def markers_to_lines(text: str, base: int) -> list[str]:
    """Inverse of ``lines_to_markers`` (a stray DEDENT below level 0 is clamped, as the tokenizer does)."""
    if not text:
        return []
    chunks = text.split(NL)
    if chunks[-1]:
        raise ScriptError("replacement text does not end with a newline")
    lines: list[str] = []
    level = base
    for chunk in chunks[:-1]:
        stripped = chunk.lstrip(INDENT + DEDENT)
        markers = chunk[: len(chunk) - len(stripped)]
        if not markers and not stripped.strip():
            lines.append(stripped)
            continue
        level = max(level + markers.count(INDENT) - markers.count(DEDENT), 0)
        lines.append(" " * (INDENT_WIDTH * level) + stripped)
    return lines


class ScriptCodec:
    """Token ids of marked inputs and of scripts, for one tokenizer (extended with the line tokens)."""

    def __init__(self, tokenizer: CodeTokenizer) -> None:
        self.tokenizer = with_edit_tokens(tokenizer)
        hf = self.tokenizer.tokenizer
        self.nl_id = int(hf.token_to_id(NL))
        self.line_base_id = int(hf.token_to_id(line_marker(0)))
        self.max_lines = MAX_LINES

    @property
    def vocab_size(self) -> int:
        return int(self.tokenizer.vocab_size)

    def line_id(self, i: int) -> int:
        if not 0 <= i <= self.max_lines:
            raise ScriptError(f"line {i} is beyond the {self.max_lines} lines an edit model can address")
        return self.line_base_id + i

    def line_of(self, token: int) -> int | None:
        i = token - self.line_base_id
        return i if 0 <= i <= self.max_lines else None

    def encode_source(self, x: str) -> list[int]:
        """x's token ids with ``<L i>`` at the start of each line i (in place of the NL before it)."""
        ids = self.tokenizer.encode(x)
        out = [self.line_id(0)]
        line = 0
        for t in ids:
            if t == self.nl_id:
                line += 1
                out.append(self.line_id(line))
            else:
                out.append(t)
        return out

    def decode_source(self, ids: Sequence[int]) -> str:
        """Inverse of ``encode_source`` (for checks and debugging)."""
        plain = [self.nl_id if self.line_of(t) is not None else t for t in ids[1:]]
        return str(self.tokenizer.decode(plain))

    def encode_script(self, x: str, script: Script) -> list[int]:
        """The script's token ids (no BOS/EOS: the model code adds them, as for every target)."""
        x_lines = split_lines(x)
        out: list[int] = []
        for h in script:
            out += [self.line_id(h.start), self.line_id(h.end)]
            text = lines_to_markers(h.lines, base_level(x_lines, h.start))
            out += self.tokenizer.tokenizer.encode(text, add_special_tokens=False).ids
        return out

    def decode_script(self, x: str, ids: Sequence[int]) -> Script:
        """Parse a model's output (BOS/EOS already stripped) back into a script; ScriptError when it is malformed."""
        x_lines = split_lines(x)
        hunks: list[Hunk] = []
        i, pos = 0, 0
        specials = {self.tokenizer.pad_id, self.tokenizer.bos_id, self.tokenizer.eos_id}
        ids = [int(t) for t in ids]
        while i < len(ids):
            start = self.line_of(ids[i])
            if start is None:
                raise ScriptError(f"token {i} should start a hunk with a line token")
            end = self.line_of(ids[i + 1]) if i + 1 < len(ids) else None
            if end is None:
                raise ScriptError(f"hunk at token {i} has no end line")
            j = i + 2
            while j < len(ids) and self.line_of(ids[j]) is None:
                if ids[j] in specials:
                    raise ScriptError(f"special token {ids[j]} inside a hunk")
                j += 1
            if not pos <= start <= end <= len(x_lines):
                raise ScriptError(f"hunk {start}-{end} is out of order or outside the input's {len(x_lines)} lines")
            text = self.tokenizer.tokenizer.decode(ids[i + 2 : j], skip_special_tokens=False)
            hunks.append(Hunk(start, end, tuple(markers_to_lines(text, base_level(x_lines, start)))))
            i, pos = j, end
        return Script(tuple(hunks))


# --------------------------------------------------------------------------------------------------------------
# the inverse property, on any pairs (real, synthetic, generated)
# --------------------------------------------------------------------------------------------------------------


@dataclass
class InverseReport:
    pairs: int = 0
    failed: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)  # the first few (x, y) where the round trip broke
    too_long: int = 0  # pairs whose x has more lines than the line tokens address (no token check for them)

    @property
    def ok(self) -> bool:
        return self.pairs > 0 and not self.failed


def check_inverse(pairs: Iterable[tuple[str, str]], codec: ScriptCodec | None = None,
                  keep: int = 5) -> InverseReport:
    """``apply(x, diff(x, y)) == y`` for every pair, and, given a codec, the same through the script's tokens.

    Keeps the first ``keep`` failures for the message; counts every pair.
    """
    report = InverseReport()
    for x, y in pairs:
        report.pairs += 1
        script = diff(x, y)
        good = apply(x, script) == y
        if good and codec is not None:
            if len(split_lines(x)) > codec.max_lines:
                report.too_long += 1
            else:
                again = codec.decode_script(x, codec.encode_script(x, script))
                good = again == script and apply(x, again) == y and codec.decode_source(codec.encode_source(x)) == x
        if not good:
            report.failed += 1
            if len(report.examples) < keep:
                report.examples.append((x, y))
    return report
