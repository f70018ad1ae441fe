"""The read-only fallback: hints as the job summary (Markdown) and as ``::warning`` workflow annotations.

A ``pull_request`` workflow run from a fork gets a read-only GITHUB_TOKEN; the hints are still useful there,
so instead of failing we write them where a read-only job can.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from speedhints.bot.render import fence, headline, why
from speedhints.model_export.hints import Hint


def _escape_data(text: str) -> str:
    # GitHub Actions workflow-command escaping (actions/toolkit: escapeData / escapeProperty)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(hint: Hint) -> str:
    title = _escape_property(f"speedhints: {hint.label}")
    props = f"file={_escape_property(hint.path)},line={hint.start_line},endLine={hint.end_line},title={title}"
    return f"::warning {props}::{_escape_data(why(hint))}"


def summary_markdown(hints: Sequence[Hint], reason: str) -> str:
    parts = [f"## speedhints: {len(hints)} speed hint(s)", f"_{reason}_"]
    for hint in hints:
        parts.append(f"### `{hint.path}` lines {hint.start_line}-{hint.end_line}\n{headline(hint)}\n\n{why(hint)}")
        parts.append(fence(hint.diff, "diff"))
    return "\n\n".join(parts) + "\n"


def write_fallback(hints: Sequence[Hint], reason: str, step_summary: str | None) -> list[str]:
    """Append the summary to $GITHUB_STEP_SUMMARY (when set) and return the lines to print on stdout."""
    text = summary_markdown(hints, reason)
    lines = [annotation(h) for h in hints]
    if step_summary:
        with Path(step_summary).open("a", encoding="utf-8") as fh:
            fh.write(text)
    else:
        lines.append(text)
    return lines
