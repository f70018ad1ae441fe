"""Credentials for PyGithub: a plain token, or a GitHub App installation token refreshed before it expires.

A GitHub App signs a short RS256 JWT (iss = app id, iat 60 s back for clock drift, exp <= 10 min), finds
the installation for the repository, and exchanges the JWT for an installation token valid one hour. We renew
the token ``refresh_margin_s`` before its ``expires_at`` so a long review never runs with an expired one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from github import Auth, GithubIntegration

from speedhints.bot.config import BotConfig, ConfigError
from speedhints.bot.retry import RetryPolicy, with_retries


def check_private_key(pem: str) -> None:
    """Fail early with one line (never echoing the key) when the PEM is not an RSA private key."""
    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ConfigError("the GitHub App private key is not a PEM private key without a passphrase") from None


@dataclass
class _Cached:
    token: str
    expires_at: float


class InstallationTokens:
    """Installation tokens for one GitHub App, cached per installation and renewed before expiry."""

    def __init__(
        self,
        app_id: str,
        private_key: str,
        api_url: str,
        *,
        refresh_margin_s: float = 300.0,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy | None = None,
    ) -> None:
        check_private_key(private_key)
        self._integration = GithubIntegration(auth=Auth.AppAuth(app_id, private_key), base_url=api_url, retry=None)
        self._margin = refresh_margin_s
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._cache: dict[int, _Cached] = {}
        self._installations: dict[str, int] = {}
        self._lock = threading.Lock()
        self.issued = 0  # how many tokens were requested (tests check the refresh)

    def installation_for(self, owner: str, repo: str) -> int:
        key = f"{owner}/{repo}"
        if key not in self._installations:
            inst = with_retries(
                lambda: self._integration.get_repo_installation(owner, repo),
                f"find the app installation on {key}",
                self._policy,
            )
            self._installations[key] = int(inst.id)
        return self._installations[key]

    def token(self, installation_id: int) -> str:
        with self._lock:
            cached = self._cache.get(installation_id)
            if cached is None or self._clock() >= cached.expires_at - self._margin:
                grant = with_retries(
                    lambda: self._integration.get_access_token(installation_id),
                    "create an installation token",
                    self._policy,
                )
                self._cache[installation_id] = cached = _Cached(grant.token, grant.expires_at.timestamp())
                self.issued += 1
            return cached.token


class InstallationAuth(Auth.Auth):
    """PyGithub auth that asks ``InstallationTokens`` for a current token on every request."""

    def __init__(self, tokens: InstallationTokens, installation_id: int) -> None:
        self._tokens = tokens
        self._installation_id = installation_id

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        return self._tokens.token(self._installation_id)

    @property
    def _masked_token(self) -> str:
        return "token (installation token removed)"


def make_auth(
    config: BotConfig,
    owner: str,
    repo: str,
    installation_id: int | None = None,
    tokens: InstallationTokens | None = None,
) -> Auth.Auth:
    """Token auth when GITHUB_APP_ID is unset, otherwise an installation token for owner/repo."""
    config.check_auth()
    if not config.uses_app:
        assert config.token is not None
        return Auth.Token(config.token)
    assert config.app_id is not None and config.private_key is not None
    tokens = tokens or InstallationTokens(config.app_id, config.private_key, config.api_url)
    inst = installation_id if installation_id is not None else tokens.installation_for(owner, repo)
    return InstallationAuth(tokens, inst)
