"""The hook's core, with no git and no terminal: files + changed lines -> filtered, ranked hints.

For every region a change touches it asks the cache, then (within the time budget) the model; then it drops
what the user asked not to see (min-score, disabled latents, ``# speedhints: ignore`` comments).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from speedhints.hook.cache import HintCache, region_key
from speedhints.hook.config import HookConfig
from speedhints.hook.regions import Region, ignore_comments, silences, source_lines, touched_regions
from speedhints.hook.suggester import LoadedSuggester
from speedhints.model_export.bundle import BundleError
from speedhints.model_export.hints import Hint, LineRange
from speedhints.model_export.source import parse_python


@dataclass(frozen=True)
class FileToCheck:
    path: str  # as the user names it (relative to the current directory where possible)
    text: str  # validated source (see model_export.source)
    changed: Sequence[LineRange] | None  # None: the whole file


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str  # one line, without the path


@dataclass
class CheckResult:
    hints: list[Hint] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    regions: int = 0  # regions the changes touched
    from_cache: int = 0  # of those, answered by the cache
    unchecked: int = 0  # left out because the time budget ran out
    seconds: float = 0.0

    @property
    def stopped(self) -> bool:
        return self.unchecked > 0


def run_check(
    files: Iterable[FileToCheck],
    config: HookConfig,
    model: LoadedSuggester,
    cache: HintCache,
    *,
    started: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CheckResult:
    """Hints for ``files``. BundleError propagates (the bundle is broken: the caller exits 2)."""
    started = clock() if started is None else started
    result = CheckResult()
    for item in files:
        tree = parse_python(item.text)  # validated (and parsed) when the file was read: this is a cache hit
        lines = source_lines(item.text)
        ignores = ignore_comments(item.text)
        for region in touched_regions(tree, item.changed):
            result.regions += 1
            key = region_key(model.identity, config.top_k, region.name, region.text(lines))
            hints = cache.get(key, item.path, region.start)
            if hints is not None:
                result.from_cache += 1
            elif config.time_budget and clock() - started >= config.time_budget:
                result.unchecked += 1  # keep going: later regions may still be answered by the cache
                continue
            else:
                try:
                    hints = _ask_model(model, item, region, config.top_k)
                except BundleError:
                    raise
                except Exception as exc:  # a model failure on one region must not hide the others' hints
                    result.skipped.append(Skipped(item.path, f"model failed on {region.name}: {_one_line(exc)}"))
                    continue
                cache.put(key, hints, region.start)
            result.hints.extend(h for h in hints if _shown(h, region, config, ignores))
    result.hints = _ranked(result.hints)
    result.seconds = clock() - started
    return result


def _ask_model(model: LoadedSuggester, item: FileToCheck, region: Region, top_k: int) -> list[Hint]:
    hints = model.get().suggest(item.path, item.text, [(region.start, region.end)], top_k=top_k)
    # Only hints inside the region belong to it (and to its cache entry); name the file as the user does.
    return [
        dataclasses.replace(h, path=item.path)
        for h in hints
        if region.start <= h.start_line <= h.end_line <= region.end
    ]


def _shown(hint: Hint, region: Region, config: HookConfig, ignores: dict[int, frozenset[str] | None]) -> bool:
    if hint.score < config.min_score or config.is_disabled(hint.latent, hint.label):
        return False
    # A comment on a function's header silences the whole function; elsewhere, the hints touching its line.
    lines = range(region.start, region.header_end + 1) if region.is_function else range(0)
    for line in (*lines, *range(hint.start_line, hint.end_line + 1)):
        if line in ignores and silences(ignores[line], hint.latent, hint.label):
            return False
    return True


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
