"""How the bot waits on GitHub: rate limits (403/429) by GitHub's own headers, bounded retries for 5xx.

GitHub documents the order: ``retry-after`` if present; else, when ``x-ratelimit-remaining`` is 0, wait until
``x-ratelimit-reset`` (epoch seconds); else a secondary limit without headers means "wait at least a minute".
Writes are never retried blindly here: a 5xx on a POST may have been applied, so the caller re-checks first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import requests
from github import GithubException

T = TypeVar("T")


class GitHubError(RuntimeError):
    """A GitHub failure the bot cannot work around; ``str(exc)`` is one line without secrets."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class RateLimited(GitHubError):
    """The wait GitHub asks for is longer than the policy allows."""


class ReadOnlyToken(GitHubError):
    """The token may read but not write (pull requests from forks get such a GITHUB_TOKEN)."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6  # tries of one call, rate-limit waits included
    server_error_retries: int = 3  # extra tries after a 5xx / connection error
    backoff_s: float = 1.0  # first 5xx backoff; doubles each time
    max_wait_s: float = 900.0  # a rate-limit wait longer than this fails the run instead of hanging it
    secondary_wait_s: float = 60.0  # GitHub: "wait at least one minute" when no header says how long


Sleep = Callable[[float], None]
Clock = Callable[[], float]


def status_of(exc: BaseException) -> int:
    """HTTP status of a PyGithub error; 0 for a connection failure or timeout."""
    return exc.status if isinstance(exc, GithubException) else 0


def message_of(exc: BaseException) -> str:
    if isinstance(exc, GithubException):
        data = exc.data if isinstance(exc.data, dict) else {}
        msg = str(data.get("message") or exc.message or "")
        errors = data.get("errors")
        if errors:
            msg += " (" + "; ".join(e if isinstance(e, str) else str(e.get("message", e)) for e in errors) + ")"
        return f"HTTP {exc.status}: {msg}".strip()
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def headers_of(exc: BaseException) -> Mapping[str, str]:
    raw = exc.headers if isinstance(exc, GithubException) and exc.headers else {}
    return {str(k).lower(): str(v) for k, v in raw.items()}


def rate_limit_wait(exc: BaseException, now: float, policy: RetryPolicy) -> float | None:
    """Seconds to wait when ``exc`` is a rate limit, None when it is some other error."""
    status = status_of(exc)
    if status not in (403, 429):
        return None
    headers = headers_of(exc)
    if "retry-after" in headers:
        try:
            return max(0.0, float(headers["retry-after"]))
        except ValueError:
            return policy.secondary_wait_s
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            return max(0.0, float(headers["x-ratelimit-reset"]) - now) + 1.0
        except ValueError:
            return policy.secondary_wait_s
    if status == 429 or "rate limit" in message_of(exc).lower():
        return policy.secondary_wait_s
    return None  # a plain 403: permissions, not a rate limit


def is_read_only(exc: BaseException) -> bool:
    return status_of(exc) == 403 and "not accessible by integration" in message_of(exc).lower()


def is_transient_status(status: int) -> bool:
    """5xx, or 0 for a connection failure / timeout: the request may or may not have been applied."""
    return status == 0 or status >= 500


def is_transient(exc: BaseException) -> bool:
    status = status_of(exc)
    return status >= 500 or (status == 0 and isinstance(exc, requests.RequestException))


def with_retries(
    fn: Callable[[], T],
    what: str,
    policy: RetryPolicy,
    sleep: Sleep = time.sleep,
    clock: Clock = time.time,
    retry_transient: bool = True,
) -> T:
    """Call ``fn``; wait out rate limits; retry 5xx a bounded number of times when ``retry_transient``."""
    transient_left = policy.server_error_retries if retry_transient else 0
    backoff = policy.backoff_s
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return fn()
        except (GithubException, requests.RequestException) as exc:
            wait = rate_limit_wait(exc, clock(), policy)
            last = attempt == policy.max_attempts
            if wait is not None:
                if wait > policy.max_wait_s or last:
                    raise RateLimited(f"{what}: rate limited by GitHub for {wait:.0f}s", status_of(exc)) from None
                sleep(wait)
                continue
            if is_read_only(exc):
                raise ReadOnlyToken(f"{what}: {message_of(exc)}", 403) from None
            if is_transient(exc) and transient_left > 0 and not last:
                transient_left -= 1
                sleep(backoff)
                backoff *= 2
                continue
            raise GitHubError(f"{what}: {message_of(exc)}", status_of(exc)) from None
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises
