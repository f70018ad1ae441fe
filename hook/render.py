"""Printing a CheckResult: ``text`` for people (colour only on a terminal), ``json`` for tools, ``github`` for
workflow-command annotations. Each renderer returns the lines for stdout; problems go to stderr in text mode
only, since json and github output must stay machine-readable on their own.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from speedhints.hook.engine import CheckResult, RegionReport
from speedhints.model_export.accounting import BELOW_PRECISION, REGION_REASONS, UNCHANGED, dropped_json
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
    left = []
    if result.unchecked or not result.unread:
        left.append(f"{result.unchecked} of {result.regions} changed regions")
    if result.unread:  # files the budget left unread or unparsed (each also has its skipped line)
        left.append(f"{len(result.unread)} file{'s' if len(result.unread) != 1 else ''}")
    return (
        f"speedhints: stopped after the {budget:g}s time budget; {' and '.join(left)} not checked "
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


def render_json(result: CheckResult, budget: float, explain: bool = False) -> str:
    payload: dict[str, Any] = {
        "version": 2,  # 2: a hint's "measured" record and "record" text replace "expected_speedup"
        "hints": [_hint_json(h) for h in result.hints],
        "skipped": [{"path": s.path, "reason": s.reason} for s in result.skipped],
        "regions": result.regions,
        "from_cache": result.from_cache,
        "unchecked": result.unchecked,
        "unread": result.unread,
        "stopped": result.stopped,
        "time_budget": budget,
        "dropped": dropped_json(result.dropped),
    }
    if explain:
        payload["explain"] = [_report_json(r) for r in result.reports]
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _report_json(report: RegionReport) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": report.path,
        "function": report.name,
        "line": report.start,
        "end_line": report.end,
        "checked": report.checked,
        "from_cache": report.from_cache,
        "shown": report.shown,
        "hidden": dropped_json(report.hidden),
        "dropped": dropped_json(report.dropped),
        "failed": report.failed or None,
        "verdict": verdict(report),
    }
    if report.parts:  # a function too long for the model, checked in parts: each part's own line, and whether
        out["parts"] = [{"line": p.start, "end_line": p.end, "touched": p.touched, "shown": p.shown,  # it was decoded
                         "hidden": dropped_json(p.hidden), "dropped": dropped_json(p.dropped),
                         "verdict": verdict(p)} for p in report.parts]
    return out


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in dropped_json(counts).items())


def verdict(report: RegionReport) -> str:
    """Why this region shows what it shows, in one line: tells "nothing to improve" from "the model is unsure"."""
    if not report.checked:
        return "not checked: time budget exhausted"
    if report.failed:
        return f"model failed: {report.failed}"
    if report.parts:
        return _cut_verdict(report)
    if not report.touched:
        return "not checked: the change does not touch this part"
    dropped = dict(report.dropped)
    if report.shown:
        hidden = f"; {sum(report.hidden.values())} hidden ({_counts(dict(report.hidden))})" if report.hidden else ""
        return f"{report.shown} hint{'s' if report.shown > 1 else ''} shown{hidden}"
    if report.hidden:
        return f"nothing shown: hidden by your settings ({_counts(dict(report.hidden))})"
    region = [r for r in REGION_REASONS if dropped.get(r)]
    if region:  # a part of a long function the model still cannot read is skipped; the other parts are not
        return f"{'skipped' if report.part else 'nothing shown'}: {region[0]}" + (
            f" ({report.detail})" if report.detail else "")
    unchanged = {k: v for k, v in dropped.items() if k in UNCHANGED}
    unsure = {k: v for k, v in dropped.items() if k == BELOW_PRECISION}
    refused = {k: v for k, v in dropped.items() if k not in UNCHANGED and k != BELOW_PRECISION}
    if not dropped:
        return "nothing shown: the model gave no hint"
    if not refused and not unsure:
        return f"nothing shown: nothing to improve, no latent changed the code ({_counts(unchanged)})"
    if not refused:  # (a function too long for the model, not cut since the gate refuses every latent, says so)
        return f"nothing shown: the model is unsure ({_counts({**unsure, **unchanged})})" + (
            f"; {report.detail}" if report.detail else "")
    others = f"; {_counts({**unsure, **unchanged})}" if unsure or unchanged else ""
    return f"nothing shown: every candidate that changed the code was refused ({_counts(refused)}{others})"


def _cut_verdict(report: RegionReport) -> str:
    """A function checked in parts: the runtime's "too long for the model as a whole (...); checked as 4 parts",
    which parts the change touched, what was shown, how many parts were skipped (each part has its own line)."""
    n, touched = len(report.parts), sum(p.touched for p in report.parts)
    head = report.detail + (f" (the change touches {touched})" if touched < n else "")
    tail = f"{report.shown} hint{'s' if report.shown > 1 else ''} shown" if report.shown else "nothing shown"
    if report.hidden:
        tail += f"; {sum(report.hidden.values())} hidden ({_counts(dict(report.hidden))})"
    skipped = sum(1 for p in report.parts if p.touched and any(p.dropped.get(r) for r in REGION_REASONS))
    if skipped:
        tail += f"; {skipped} part{'s' if skipped > 1 else ''} skipped"
    return f"{head}; {tail}"


def render_explain(result: CheckResult) -> str:
    """One line per region (``path:start-end name: verdict``), and under a function checked in parts one line per
    part the change touched; then the run's totals."""
    lines = []
    for r in result.reports:
        cached = " [cache]" if r.from_cache else ""
        lines.append(f"{r.path}:{r.start}-{r.end} {r.name}: {verdict(r)}{cached}")
        if r.checked and not r.failed:
            lines.extend(f"  {p.path}:{p.start}-{p.end} {p.name} (part {i} of {len(r.parts)}): {verdict(p)}"
                         for i, p in enumerate(r.parts, 1) if p.touched)
    unread = set(result.unread)
    lines.extend(f"{s.path}: not checked: {s.reason}" for s in result.skipped if s.path in unread)
    files = f"; {len(unread)} file{'s' if len(unread) != 1 else ''} not checked" if unread else ""
    total = (
        f"speedhints: {result.regions} region{'s' if result.regions != 1 else ''} "
        f"({result.from_cache} from the cache, {result.unchecked} not checked{files}), {len(result.hints)} "
        f"hint{'s' if len(result.hints) != 1 else ''} shown"
    )
    dropped = _counts(dict(result.dropped))
    lines.append(total + (f"; dropped: {dropped}" if dropped else ""))
    return "\n".join(lines)


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
