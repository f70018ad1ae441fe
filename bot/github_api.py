"""The edge: one pull request on GitHub, through PyGithub, with the retry rules of ``retry.py``.

Only the fields the planner needs leave this module, as plain dataclasses, so the core never sees PyGithub.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from github import Auth, Github

from speedhints.bot.plan import ExistingComment
from speedhints.bot.retry import Clock, RetryPolicy, Sleep, with_retries


@dataclass(frozen=True)
class PullFile:
    filename: str
    status: str  # added, modified, renamed, removed, copied, changed, unchanged
    patch: str | None  # absent for binary files and for diffs GitHub considers too large


@dataclass(frozen=True)
class PullInfo:
    number: int
    head_sha: str
    state: str


class PullRequestAPI:
    """Reads and writes of one pull request."""

    def __init__(
        self,
        api_url: str,
        auth: Auth.Auth,
        full_name: str,
        number: int,
        *,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.time,
        write_pause_s: float = 1.0,
        timeout_s: int = 30,
    ) -> None:
        # PyGithub's own retry is off: rate limits and 5xx are handled by ``with_retries`` so that a write is
        # never repeated without first checking whether it already happened.
        self.gh = Github(
            base_url=api_url,
            auth=auth,
            retry=None,
            lazy=True,
            timeout=timeout_s,
            seconds_between_requests=None,
            seconds_between_writes=write_pause_s or None,
        )
        self.full_name = full_name
        self.number = number
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._repo = self.gh.get_repo(full_name)
        self._base = f"/repos/{full_name}/pulls"

    def _call(self, fn: Any, what: str, retry_transient: bool = True) -> Any:
        return with_retries(fn, what, self.policy, self._sleep, self._clock, retry_transient)

    def get_pull(self) -> PullInfo:
        url = f"{self._base}/{self.number}"
        data = self._call(
            lambda: self.gh.requester.requestJsonAndCheck("GET", url)[1], f"read pull request #{self.number}"
        )
        return PullInfo(int(data["number"]), str(data["head"]["sha"]), str(data["state"]))

    def _paged(self, url: str) -> list[dict[str, Any]]:
        """All pages of a list endpoint as raw JSON objects, following GitHub's Link rel="next" headers.

        Raw dicts rather than PyGithub objects: an object lazily re-fetches itself when a field GitHub omits
        (``in_reply_to_id``, ``patch``) is read, which would cost one request per item."""
        rows: list[dict[str, Any]] = []
        next_url: str | None = url
        params: dict[str, Any] | None = {"per_page": 100}
        while next_url:
            headers, data = self.gh.requester.requestJsonAndCheck("GET", next_url, parameters=params)
            rows.extend(data)
            params = None  # the next link carries its own query
            next_url = _next_link(headers.get("link") or headers.get("Link") or "")
        return rows

    def list_files(self) -> list[PullFile]:
        rows = self._call(lambda: self._paged(f"{self._base}/{self.number}/files"), "list the PR's files")
        return [PullFile(r["filename"], r["status"], r.get("patch")) for r in rows]

    def file_bytes(self, path: str, ref: str) -> bytes:
        content = self._call(lambda: self._repo.get_contents(path, ref=ref), f"read {path}")
        if isinstance(content, list):
            raise ValueError(f"{path} is a directory")
        return content.decoded_content  # type: ignore[no-any-return]

    def list_review_comments(self) -> list[ExistingComment]:
        rows = self._call(lambda: self._paged(f"{self._base}/{self.number}/comments"), "list review comments")
        return [ExistingComment(int(r["id"]), r.get("body") or "", r["path"], r.get("in_reply_to_id")) for r in rows]

    def list_review_bodies(self) -> list[str]:
        rows = self._call(lambda: self._paged(f"{self._base}/{self.number}/reviews"), "list reviews")
        return [r.get("body") or "" for r in rows]

    def list_pending_review_ids(self) -> list[int]:
        """Our own pending reviews (GitHub shows a pending review only to its author)."""
        rows = self._call(lambda: self._paged(f"{self._base}/{self.number}/reviews"), "list reviews")
        return [int(r["id"]) for r in rows if r.get("state") == "PENDING"]

    def create_review(self, payload: dict[str, Any]) -> int:
        """POST one review; not retried on 5xx here (the caller checks whether it landed first)."""
        url = f"{self._base}/{self.number}/reviews"
        data = self._call(
            lambda: self.gh.requester.requestJsonAndCheck("POST", url, input=payload)[1],
            "post the review",
            retry_transient=False,
        )
        return int(data["id"])

    def delete_pending_review(self, review_id: int) -> None:
        url = f"{self._base}/{self.number}/reviews/{review_id}"
        self._call(lambda: self.gh.requester.requestJsonAndCheck("DELETE", url), "delete a pending review")

    def delete_comment(self, comment_id: int) -> None:
        url = f"{self._base}/comments/{comment_id}"
        self._call(lambda: self.gh.requester.requestJsonAndCheck("DELETE", url), "delete a stale comment")


def _next_link(link: str) -> str | None:
    # Link: <https://api.github.com/...&page=2>; rel="next", <...>; rel="last"
    for part in link.split(","):
        url, _, rel = part.partition(";")
        if 'rel="next"' in rel:
            return url.strip().strip("<>")
    return None
