"""Everything the bot reads from the environment, in one place (GitHub Actions conventions).

``GITHUB_API_URL`` (GitHub Enterprise: ``https://HOST/api/v3``), ``GITHUB_TOKEN``, or a GitHub App:
``GITHUB_APP_ID`` + ``GITHUB_APP_PRIVATE_KEY`` (PEM text) / ``GITHUB_APP_PRIVATE_KEY_PATH``;
``GITHUB_REPOSITORY`` and ``GITHUB_EVENT_PATH`` give defaults for ``--repo`` / ``--pr``;
``GITHUB_STEP_SUMMARY`` is where the read-only fallback writes; ``GITHUB_WEBHOOK_SECRET`` is for ``serve``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_API_URL = "https://api.github.com"


class ConfigError(ValueError):
    """A missing or malformed setting; ``str(exc)`` is one line and never contains a secret."""


@dataclass(frozen=True)
class BotConfig:
    api_url: str = DEFAULT_API_URL
    token: str | None = field(default=None, repr=False)
    app_id: str | None = None
    private_key: str | None = field(default=None, repr=False)
    repository: str | None = None
    event_path: str | None = None
    step_summary: str | None = None
    webhook_secret: bytes | None = field(default=None, repr=False)
    # GitHub asks integrators to leave about a second between writes (secondary rate limits).
    write_pause_s: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BotConfig:
        env = os.environ if env is None else env
        key = env.get("GITHUB_APP_PRIVATE_KEY") or None
        key_path = env.get("GITHUB_APP_PRIVATE_KEY_PATH") or None
        if key is None and key_path:
            try:
                key = Path(key_path).read_text()
            except OSError as exc:
                raise ConfigError(f"GITHUB_APP_PRIVATE_KEY_PATH: cannot read {key_path}: {exc.strerror}") from None
        if key is not None and "\\n" in key and "\n" not in key:
            key = key.replace("\\n", "\n")  # keys pasted into one-line secrets
        secret = env.get("GITHUB_WEBHOOK_SECRET")
        pause = env.get("SPEEDHINTS_WRITE_PAUSE_S", "1.0")
        try:
            write_pause = float(pause)
        except ValueError:
            raise ConfigError(f"SPEEDHINTS_WRITE_PAUSE_S is not a number: {pause!r}") from None
        return cls(
            api_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            token=env.get("GITHUB_TOKEN") or None,
            app_id=env.get("GITHUB_APP_ID") or None,
            private_key=key,
            repository=env.get("GITHUB_REPOSITORY") or None,
            event_path=env.get("GITHUB_EVENT_PATH") or None,
            step_summary=env.get("GITHUB_STEP_SUMMARY") or None,
            webhook_secret=secret.encode() if secret else None,
            write_pause_s=write_pause,
        )

    @property
    def uses_app(self) -> bool:
        return self.app_id is not None

    def check_auth(self) -> None:
        if self.app_id is not None and not self.private_key:
            raise ConfigError("GITHUB_APP_ID is set but neither GITHUB_APP_PRIVATE_KEY nor its _PATH is")
        if self.app_id is None and not self.token:
            raise ConfigError("no credentials: set GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY")

    def secrets(self) -> list[str]:
        """Values that must never appear in a log line."""
        out = [s for s in (self.token, self.private_key) if s]
        if self.webhook_secret:
            out.append(self.webhook_secret.decode(errors="replace"))
        return out

    def default_pr_number(self) -> int | None:
        """The PR of the triggering ``pull_request`` event, when run inside GitHub Actions."""
        if not self.event_path:
            return None
        try:
            event = json.loads(Path(self.event_path).read_text())
        except (OSError, ValueError):
            return None
        number = (event.get("pull_request") or {}).get("number") or event.get("number")
        return int(number) if isinstance(number, int) else None


def split_repo(full_name: str) -> tuple[str, str]:
    owner, sep, name = full_name.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ConfigError(f"repository must be OWNER/NAME, got {full_name!r}")
    return owner, name
