"""Markdown for hints: one review comment per hint, the folded list in the review body, and hidden markers.

Each posted piece of text carries ``<!-- speedhints:MARKER -->`` (``Hint.marker``: a hash of path, function,
latent and suggestion), which is how a later run recognises what it already said.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from speedhints.model_export.hints import Hint

MARKER_RE = re.compile(r"<!-- speedhints:([0-9a-f]{16}) -->")
RUN_MARKER_RE = re.compile(r"<!-- speedhints-run:([0-9a-f]{16}) -->")
# GitHub rejects review and comment bodies over 65,536 characters; stay well below.
MAX_BODY_CHARS = 60_000


def marker_tag(marker: str) -> str:
    return f"<!-- speedhints:{marker} -->"


def run_marker_tag(marker: str) -> str:
    return f"<!-- speedhints-run:{marker} -->"


def markers_in(text: str | None) -> set[str]:
    return set(MARKER_RE.findall(text or ""))


def fence(content: str, info: str = "") -> str:
    """A code fence longer than any backtick run inside ``content`` so it cannot be closed early."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    ticks = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"{ticks}{info}\n{body}{ticks}"


def inline_code(text: str) -> str:
    """``text`` as Markdown inline code, with a backtick run longer than any inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def why(hint: Hint) -> str:
    """The one-line reason: what was measured for this hint's latent on held-out programs, nothing more."""
    if hint.measured is None or hint.measured.shown == 0:
        return (f"This kind of edit (latent {hint.latent}) has not been measured on held-out programs; "
                "treat it as a lead and check it with your tests.")  # fmt: skip
    return (f"Suggestions of this kind (latent {hint.latent}) were {hint.record} (the program's tests pass and it "
            "runs >= 1.2x faster); check it with your tests.")  # fmt: skip


def headline(hint: Hint) -> str:
    return f"**speedhints: {hint.label}** · {_figure(hint)} · confidence {hint.score:.2f} · in `{hint.function}`"


def _figure(hint: Hint) -> str:
    m = hint.measured
    if m is None or m.shown == 0:
        return "unmeasured"
    return f"correct and faster {m.correct_and_faster}/{m.shown} held-out"


def comment_body(hint: Hint, *, as_suggestion: bool, evidence: str = "") -> str:
    """A review comment: marker, headline, why, what was checked (``--verify``), then a suggestion block or a
    fenced diff."""
    if as_suggestion:
        block = fence(hint.suggestion, "suggestion")
    else:
        block = fence(hint.diff, "diff")
        block = f"Suggested change for lines {hint.start_line}-{hint.end_line}:\n\n{block}"
    checked = f"{evidence}\n\n" if evidence else ""
    return f"{marker_tag(hint.marker)}\n{headline(hint)}\n\n{why(hint)}\n\n{checked}{block}\n"


def folded_entry(hint: Hint, evidence: str = "") -> str:
    """One hint inside the review body (over the comment cap, or on lines outside the diff).

    GitHub does not render Markdown inside ``<summary>``, so the summary line is written in HTML."""
    summary = (
        f"<b>speedhints: {html.escape(hint.label)}</b> · {_figure(hint)} · confidence {hint.score:.2f} · in "
        f"<code>{html.escape(hint.function)}</code> — <code>{html.escape(hint.path)}</code> "
        f"lines {hint.start_line}-{hint.end_line}"
    )
    checked = f"{evidence}\n\n" if evidence else ""
    return (
        f"{marker_tag(hint.marker)}\n<details><summary>{summary}</summary>\n\n"
        f"{why(hint)}\n\n{checked}{fence(hint.diff, 'diff')}\n</details>\n"
    )


def review_body(n_comments: int, folded: list[Hint], run_marker: str, evidence: Mapping[str, str] | None = None) -> str:
    parts = [run_marker_tag(run_marker), f"**speedhints** has {n_comments + len(folded)} new speed hint(s)"]
    if n_comments:
        parts[-1] += f": {n_comments} as line comment(s)"
    if folded:
        parts[-1] += f"{', and' if n_comments else ':'} {len(folded)} listed below"
    parts[-1] += ". Hints are advisory: check that a suggestion keeps the behaviour before applying it."
    used = sum(len(p) for p in parts)
    for index, hint in enumerate(folded):
        entry = folded_entry(hint, (evidence or {}).get(hint.marker, ""))
        if used + len(entry) > MAX_BODY_CHARS:
            parts.append(f"... and {len(folded) - index} more hint(s) not shown (body size limit).")
            break
        parts.append(entry)
        used += len(entry)
    return "\n\n".join(parts) + "\n"
