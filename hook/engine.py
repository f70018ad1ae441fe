"""The hook's core, with no git and no terminal: files + changed lines -> filtered, ranked hints.

For every region a change touches it asks the cache, then (within the time budget) the model; then it drops
what the user asked not to see (min-score, disabled latents, ``# speedhints: ignore`` comments). Every region
gets a RegionReport (shown, hidden by which setting, dropped by the runtime and why, unchecked), which is what
``--explain`` prints and the JSON's ``dropped`` totals.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from speedhints.hook.cache import CachedRegion, HintCache, region_key
from speedhints.hook.config import HookConfig
from speedhints.hook.regions import Region, ignore_comments, silences, source_lines, touched_regions
from speedhints.hook.suggester import LoadedSuggester
from speedhints.model_export.accounting import TIME_BUDGET, RegionOutcome, ReportingSuggester
from speedhints.model_export.bundle import BundleError
from speedhints.model_export.hints import Hint, LineRange
from speedhints.model_export.source import BadInput, parse_python


@dataclass(frozen=True)
class FileToCheck:
    path: str  # as the user names it (relative to the current directory where possible)
    text: str  # validated source (see model_export.source)
    changed: Sequence[LineRange] | None  # None: the whole file


@dataclass(frozen=True)
class FileToRead:
    """A file not read yet: the engine calls ``read`` within the time budget (reading and parsing a large file costs
    seconds), and reports the file, never drops it silently, when the budget runs out before or during the read."""

    path: str
    changed: Sequence[LineRange] | None  # None: the whole file
    read: Callable[[], str]  # the validated source (see model_export.source); raises BadInput, one line


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str  # one line, without the path


@dataclass
class RegionReport:
    """What happened to one region, for ``--explain``: the answer to "why was nothing shown here?"."""

    path: str
    name: str
    start: int
    end: int
    checked: bool = True  # False: the time budget ran out before the model saw it
    from_cache: bool = False
    shown: int = 0  # hints shown
    hidden: Counter[str] = field(default_factory=Counter)  # hints the model gave that the settings hid, by why
    dropped: Counter[str] = field(default_factory=Counter)  # what the runtime dropped, by reason key
    failed: str = ""  # the model raised on this region (one line)
    detail: str = ""  # of a region reason, e.g. "312 tokens, the model reads at most 256"
    # A function too long for the model, checked in parts (model_export/parts.py): one report per part, in line
    # order; the counts above are theirs together. A part's own report has ``part`` set, and ``touched`` False
    # when the change left it alone (it was not decoded).
    parts: list[RegionReport] = field(default_factory=list)
    part: bool = False
    touched: bool = True


@dataclass
class CheckResult:
    hints: list[Hint] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    regions: int = 0  # regions the changes touched
    from_cache: int = 0  # of those, answered by the cache
    unchecked: int = 0  # left out because the time budget ran out
    unread: list[str] = field(default_factory=list)  # files the time budget left unread or unparsed (also skipped)
    seconds: float = 0.0
    reports: list[RegionReport] = field(default_factory=list)  # one per region, in file order

    @property
    def stopped(self) -> bool:
        return self.unchecked > 0 or bool(self.unread)

    @property
    def dropped(self) -> Counter[str]:
        """What the runtime dropped in this run, by reason (cached regions included: the cache keeps it)."""
        return total_dropped_by_region(self.reports)


def total_dropped_by_region(reports: Iterable[RegionReport]) -> Counter[str]:
    total: Counter[str] = Counter()
    for report in reports:
        total.update(report.dropped)
    return total


Progress = Callable[[int, int], None]  # (regions done, regions in the run so far)


# Reasons of the files the time budget left out (in ``skipped``, with the path: "m.py: skipped: <reason>").
NOT_READ = "time budget exhausted before it was read"
READ_LATE = "time budget exhausted while it was read and parsed"


def run_check(
    files: Iterable[FileToCheck | FileToRead],
    config: HookConfig,
    model: LoadedSuggester,
    cache: HintCache,
    *,
    started: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    progress: Progress | None = None,
) -> CheckResult:
    """Hints for ``files``. BundleError propagates (the bundle is broken: the caller exits 2).

    Per file: every touched region the cache cannot answer goes to the model in one call (a runtime that can
    ``report`` batches them and accounts for each; any other Suggester is asked region by region). The time
    budget is checked before each file, region and batch, and whatever it leaves out is counted as unchecked.
    A FileToRead is read and parsed only while the budget lasts; an unusable one is skipped with its reason, first
    in ``skipped`` (in the order named); one the budget leaves unread, or that was still being parsed when the
    budget ran out, is skipped with NOT_READ or READ_LATE and listed in ``unread``.
    """
    try:
        return _check(files, config, model, cache, clock() if started is None else started, clock, progress)
    finally:
        gc.unfreeze()  # the trees _read froze are the collector's again, however the run ended


def _check(
    files: Iterable[FileToCheck | FileToRead],
    config: HookConfig,
    model: LoadedSuggester,
    cache: HintCache,
    started: float,
    clock: Callable[[], float],
    progress: Progress | None,
) -> CheckResult:
    deadline = started + config.time_budget if config.time_budget else None

    def spent() -> bool:
        return deadline is not None and clock() >= deadline

    result = CheckResult()
    unusable: list[Skipped] = []
    done = 0
    for entry in files:
        if isinstance(entry, FileToRead):
            read = _read(entry, deadline, clock, result, unusable)
            if read is None:
                continue
            item = read
        else:
            item = entry
        tree = parse_python(item.text)  # validated (and parsed) when the file was read: this is a cache hit
        lines = source_lines(item.text)
        ignores = ignore_comments(item.text)
        pending: list[tuple[Region, str, RegionReport]] = []
        for region in touched_regions(tree, item.changed):
            result.regions += 1
            report = RegionReport(item.path, region.name, region.start, region.end)
            result.reports.append(report)
            key = region_key(model.identity, config.top_k, region.name, region.text(lines))
            entry = cache.get_entry(key, item.path, region.start)
            if entry is None or not entry.answers(item.changed):
                pending.append((region, key, report))
                continue
            result.from_cache += 1
            report.from_cache = True
            _record(report, region, entry)
            _show(result, entry.hints, region, report, config, ignores)
            done += 1
        if not pending:
            continue
        if spent():
            for _, _, report in pending:
                _unchecked(result, report)
            continue
        before = done

        def advance(n: int, total: int = result.regions) -> None:  # n more of this file's pending regions done
            nonlocal done
            done += n
            if progress is not None:
                progress(done, total)

        answers = _ask_model(model, item, [r for r, _, _ in pending], config.top_k, deadline, clock, advance, spent)
        done = before + len(pending)
        failures: set[str] = set()
        for (region, key, report), answer in zip(pending, answers, strict=True):
            if answer is None:
                _unchecked(result, report)
            elif isinstance(answer, str):
                report.failed = answer
                if answer not in failures:  # one line per failure, however many regions it cost
                    failures.add(answer)
                    n = answers.count(answer)
                    where = region.name if n == 1 else f"{n} regions"
                    result.skipped.append(Skipped(item.path, f"model failed on {where}: {answer}"))
            else:
                cache.put(key, answer.hints, region.start, answer.dropped, answer.detail, answer.parts)
                _record(report, region, answer)
                _show(result, answer.hints, region, report, config, ignores)
        if progress is not None:
            progress(done, result.regions)
    result.skipped[:0] = unusable
    result.hints = _ranked(result.hints)
    result.seconds = clock() - started
    return result


def _read(
    entry: FileToRead, deadline: float | None, clock: Callable[[], float], result: CheckResult, unusable: list[Skipped]
) -> FileToCheck | None:
    """The file, read and parsed within the budget; None (and the reason recorded) when it cannot be checked."""
    began = clock() if deadline is not None else 0.0
    if deadline is not None and began >= deadline:
        result.unread.append(entry.path)
        result.skipped.append(Skipped(entry.path, NOT_READ))
        return None
    try:
        text = entry.read()
    except BadInput as exc:
        unusable.append(Skipped(entry.path, str(exc)))
        return None
    if deadline is not None:
        ended = clock()
        if ended >= deadline:  # parsing cannot be interrupted; what it overran is said, not spent further
            result.unread.append(entry.path)
            result.skipped.append(Skipped(entry.path, f"{READ_LATE} ({ended - began:.2f} s)"))
            return None
    # Its tree (remembered by parse_python) lives as long as the run: frozen, the collector no longer walks its
    # nodes each time it runs (0.9 s of collections per run on a 5 MB file's 500,000 nodes).
    gc.freeze()
    return FileToCheck(entry.path, text, entry.changed)


# Per region: the runtime's answer (as the cache keeps it), None when the time budget left it unchecked, or why the
# model failed.
Answer: TypeAlias = CachedRegion | None | str


def _record(report: RegionReport, region: Region, answer: CachedRegion) -> None:
    """The runtime's counts for ``region`` into its report (and its parts' into theirs)."""
    report.dropped.update(answer.dropped)
    report.detail = answer.detail
    report.parts = [RegionReport(report.path, region.name, p.start, p.end, dropped=Counter(p.dropped),
                                 detail=p.detail, part=True, touched=p.touched) for p in answer.parts]


def _asked(changed: Sequence[LineRange] | None, regions: Sequence[Region]) -> list[LineRange]:
    """The changed lines inside ``regions`` (their whole spans for a whole file): the runtime decodes the parts of
    a long function that the change touches, not the others."""
    if changed is None:
        return [(r.start, r.end) for r in regions]
    return sorted((max(a, r.start), min(b, r.end)) for r in regions for a, b in changed if a <= r.end and b >= r.start)


def _ask_model(
    model: LoadedSuggester,
    item: FileToCheck,
    regions: Sequence[Region],
    top_k: int,
    deadline: float | None,
    clock: Callable[[], float],
    progress: Callable[[int], None],
    spent: Callable[[], bool],
) -> list[Answer]:
    suggester = model.get()
    if isinstance(suggester, ReportingSuggester):
        try:
            got = suggester.report(
                item.path,
                item.text,
                _asked(item.changed, regions),
                top_k=top_k,
                deadline=deadline,
                clock=clock,
                progress=progress,
            )
        except BundleError:
            raise
        except Exception as exc:  # a model failure on one file must not hide the other files' hints ...
            if len(regions) == 1 or spent():
                return [_one_line(exc)] * len(regions)
            # ... nor one region's the file's other regions: ask again one region at a time, so only the regions
            # that fail are reported as failed (a file of 53 regions lost all of them to one docstring-only def)
            return [answer for region in regions
                    for answer in _ask_model(model, item, [region], top_k, deadline, clock, progress, spent)]
        answers: list[Answer] = []
        for region in regions:
            outcome = got.regions.get((region.start, region.end))
            if outcome is not None and outcome.dropped.get(TIME_BUDGET):
                answers.append(None)
            else:
                answers.append(_answer(_inside(got.hints, region, item.path), outcome))
        return answers
    answers = []
    for region in regions:  # a plain Suggester: one call per region, the budget checked before each
        if spent():
            answers.append(None)
            continue
        try:
            hints = suggester.suggest(item.path, item.text, [(region.start, region.end)], top_k=top_k)
        except BundleError:
            raise
        except Exception as exc:  # a model failure on one region must not hide the others' hints
            answers.append(_one_line(exc))
            continue
        answers.append(CachedRegion(_inside(hints, region, item.path), {}))
        progress(1)
    return answers


def _answer(hints: list[Hint], outcome: RegionOutcome | None) -> CachedRegion:
    if outcome is None:
        return CachedRegion(hints, {})
    return CachedRegion(hints, dict(outcome.dropped), outcome.detail, outcome.parts)


def _inside(hints: Iterable[Hint], region: Region, path: str) -> list[Hint]:
    # Only hints inside the region belong to it (and to its cache entry); name the file as the user does.
    return [
        dataclasses.replace(h, path=path) for h in hints if region.start <= h.start_line <= h.end_line <= region.end
    ]


def _unchecked(result: CheckResult, report: RegionReport) -> None:
    result.unchecked += 1  # keep going: later regions may still be answered by the cache
    report.checked = False


def _show(
    result: CheckResult,
    hints: Iterable[Hint],
    region: Region,
    report: RegionReport,
    config: HookConfig,
    ignores: dict[int, frozenset[str] | None],
) -> None:
    for hint in hints:
        why = _hidden(hint, region, config, ignores)
        counted = [report, *(p for p in report.parts if p.start <= hint.start_line <= p.end)]
        for r in counted:
            if why:
                r.hidden[why] += 1
            else:
                r.shown += 1
        if not why:
            result.hints.append(hint)


def _hidden(hint: Hint, region: Region, config: HookConfig, ignores: dict[int, frozenset[str] | None]) -> str:
    """Why the user's settings hide ``hint`` ("" when it is shown)."""
    if hint.score < config.min_score:
        return "min-score"
    if config.is_disabled(hint.latent, hint.label):
        return "disabled latent"
    # A comment on a function's header silences the whole function; elsewhere, the hints touching its line.
    lines = range(region.start, region.header_end + 1) if region.is_function else range(0)
    for line in (*lines, *range(hint.start_line, hint.end_line + 1)):
        if line in ignores and silences(ignores[line], hint.latent, hint.label):
            return "ignore comment"
    return ""


def _ranked(hints: list[Hint]) -> list[Hint]:
    order: dict[str, int] = {}
    unique: dict[str, Hint] = {}
    for h in hints:
        order.setdefault(h.path, len(order))
        unique.setdefault(h.marker, h)  # the same suggestion twice (overlapping regions, reruns) is shown once
    return sorted(unique.values(), key=lambda h: (order[h.path], h.start_line, -h.score, h.latent))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
