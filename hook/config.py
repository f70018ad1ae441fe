"""``[tool.speedhints]`` in pyproject.toml, merged with command-line flags (flags win).

Keys may be spelled with dashes or underscores (``top-k`` or ``top_k``). An unknown key or a value of the
wrong type is a usage error with one line, so a typo never silently disables a setting.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from speedhints.model_export.atlas import DEFAULT_MIN_PRECISION
from speedhints.model_export.source import DEFAULT_MAX_BYTES


class ConfigError(ValueError):
    """An unreadable or invalid configuration; ``str(exc)`` is one line."""


@dataclass(frozen=True)
class HookConfig:
    top_k: int = 4  # hints asked of the model per function
    min_score: float = 0.0  # hide hints whose prior probability is lower
    # latent ids ("7") or hint labels ("range(len(...)) -> enumerate": what the edit does) never shown
    disabled_latents: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # fnmatch globs on repository-relative paths ("*" also matches "/")
    max_file_size: int = DEFAULT_MAX_BYTES  # bytes; larger files are skipped with one line
    time_budget: float = 5.0  # seconds of model time per run; 0 means no limit
    # show a latent only when the lower bound of its measured precision on held-out programs is at least this
    # (0 also shows unmeasured latents); the model is not even asked for the others
    min_precision: float = DEFAULT_MIN_PRECISION
    source: str | None = field(default=None, compare=False)  # the pyproject.toml it came from, for messages

    def with_overrides(self, **overrides: Any) -> HookConfig:
        """This config with every non-None override applied (and validated like file values)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return _validated(replace(self, **{k: _coerce(k, v, "command line") for k, v in given.items()}))

    def is_disabled(self, latent: int, label: str) -> bool:
        wanted = {str(latent), _norm_label(label)}
        return any(_norm_label(d) in wanted for d in self.disabled_latents)


def _norm_label(label: str) -> str:
    return " ".join(label.lower().split())


_FIELDS = {f.name: f for f in fields(HookConfig) if f.name != "source"}


def find_pyproject(start: Path, stop: Path | None = None) -> Path | None:
    """The nearest pyproject.toml at or above ``start``, not looking above ``stop`` (the repository root)."""
    here = start.resolve()
    stop = stop.resolve() if stop else None
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if stop is not None and folder == stop:
            return None
    return None


def load_config(pyproject: Path | None) -> HookConfig:
    if pyproject is None:
        return HookConfig()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("speedhints", {}) if isinstance(data.get("tool"), dict) else {}
    if not isinstance(table, Mapping):
        raise ConfigError(f"{pyproject}: [tool.speedhints] must be a table")
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key not in _FIELDS:
            known = ", ".join(sorted(k.replace("_", "-") for k in _FIELDS))
            raise ConfigError(f"{pyproject}: unknown key {raw_key!r} in [tool.speedhints] (known: {known})")
        values[key] = _coerce(key, value, str(pyproject))
    try:
        return _validated(HookConfig(**values, source=str(pyproject)))
    except ConfigError as exc:
        raise ConfigError(f"{pyproject}: {exc}") from None


def _coerce(key: str, value: Any, where: str) -> Any:
    name = key.replace("_", "-")
    if key in ("disabled_latents", "exclude"):
        if isinstance(value, str | int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        ):
            raise ConfigError(f"{where}: {name} must be a list of strings")
        return tuple(str(v) for v in value)
    if key in ("top_k", "max_file_size"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: {name} must be an integer")
        return value
    if key in ("min_score", "min_precision", "time_budget"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: {name} must be a number")
        return float(value)
    raise ConfigError(f"{where}: unknown setting {name!r}")  # pragma: no cover - keys are checked by the callers


def _validated(config: HookConfig) -> HookConfig:
    if not 1 <= config.top_k <= 64:
        raise ConfigError(f"top-k must be between 1 and 64 (the codebook size), got {config.top_k}")
    if not (0.0 <= config.min_score <= 1.0):
        raise ConfigError(f"min-score must be between 0 and 1, got {config.min_score}")
    if not (0.0 <= config.min_precision <= 1.0):
        raise ConfigError(f"min-precision must be between 0 and 1, got {config.min_precision}")
    if config.max_file_size < 1:
        raise ConfigError(f"max-file-size must be a positive number of bytes, got {config.max_file_size}")
    if not config.time_budget >= 0 or math.isnan(config.time_budget):
        raise ConfigError(f"time-budget must be >= 0 seconds (0: no limit), got {config.time_budget}")
    return config
