"""Printing a CheckResult: ``text`` for people (colour only on a terminal), ``json`` for tools, ``github`` for
workflow-command annotations. Each renderer returns the lines for stdout; problems go to stderr in text mode
only, since json and github output must stay machine-readable on their own.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from speedhints.hook.engine import CheckResult
from speedhints.model_export.hints import Hint

FORMATS = ("text", "json", "github")


def headline(hint: Hint) -> str:
    """``path:line: [what this edit does] score 0.62``: the label describes this suggestion's own change."""
    return f"{hint.path}:{hint.start_line}: [{hint.label}] score {hint.score:.2f}"


def measured_line(hint: Hint) -> str:
    """``latent 7: correct and faster in 41 of 52 held-out trials, median 2.1x``: what was measured for the
    latent behind the hint, never a promise about this edit."""
    return f"latent {hint.latent}: {hint.record}"


def stop_message(result: CheckResult, budget: float) -> str:
    return (
        f"speedhints: stopped after the {budget:g}s time budget; "
        f"{result.unchecked} of {result.regions} changed regions not checked "
        "(raise time-budget in [tool.speedhints] or pass --time-budget)"
    )


def render_text(result: CheckResult, color: bool) -> str:
    blocks = []
    for hint in result.hints:
        lines = [click.style(headline(hint), bold=True, fg="yellow") if color else headline(hint),
                 "  " + measured_line(hint)]  # fmt: skip
        lines.extend(_color_diff_line(line) if color else line for line in hint.diff.rstrip("\n").split("\n"))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _color_diff_line(line: str) -> str:
    if line.startswith(("+++", "---")):
        return click.style(line, bold=True)
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    return line


def render_json(result: CheckResult, budget: float) -> str:
    payload: dict[str, Any] = {
        "version": 2,  # 2: a hint's "measured" record and "record" text replace "expected_speedup"
        "hints": [_hint_json(h) for h in result.hints],
        "skipped": [{"path": s.path, "reason": s.reason} for s in result.skipped],
        "regions": result.regions,
        "from_cache": result.from_cache,
        "unchecked": result.unchecked,
        "stopped": result.stopped,
        "time_budget": budget,
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _hint_json(hint: Hint) -> dict[str, Any]:
    return {
        "path": hint.path,
        "line": hint.start_line,
        "end_line": hint.end_line,
        "function": hint.function,
        "latent": hint.latent,
        "label": hint.label,
        "measured": None if hint.measured is None else dataclasses.asdict(hint.measured),
        "record": hint.record,
        "score": hint.score,
        "original": hint.original,
        "suggestion": hint.suggestion,
        "diff": hint.diff,
        "marker": hint.marker,
    }


def render_github(result: CheckResult, budget: float) -> str:
    """GitHub Actions workflow commands: one ``::notice`` per hint, ``::warning`` for skipped files."""
    out = []
    for hint in result.hints:
        props = {"file": hint.path, "line": str(hint.start_line), "endLine": str(hint.end_line)}
        props["title"] = "speedhints " + headline(hint).split(": ", 1)[1]
        out.append(_command("notice", props, measured_line(hint) + "\n" + hint.diff.rstrip("\n")))
    for skipped in result.skipped:
        out.append(_command("warning", {"file": skipped.path, "title": "speedhints skipped"}, skipped.reason))
    if result.stopped:
        out.append(_command("warning", {"title": "speedhints stopped"}, stop_message(result, budget)))
    return "\n".join(out)


def _command(kind: str, props: dict[str, str], message: str) -> str:
    rendered = ",".join(f"{k}={_escape_property(v)}" for k, v in props.items())
    return f"::{kind} {rendered}::{_escape_data(message)}"


def _escape_data(value: str) -> str:
    # The escaping of actions/toolkit's command.ts: data may not contain raw newlines.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")
