"""The queue worker: lease a job, review the PR as the App installation, mark it done; renew the lease."""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass

from speedhints.bot.auth import InstallationAuth, InstallationTokens, make_auth
from speedhints.bot.config import BotConfig, split_repo
from speedhints.bot.github_api import PullRequestAPI
from speedhints.bot.jobqueue import Job, JobQueue
from speedhints.bot.logs import get_logger
from speedhints.bot.retry import GitHubError, RateLimited
from speedhints.bot.runner import run_review
from speedhints.model_export.hints import Suggester


@dataclass(frozen=True)
class WorkerOptions:
    poll_s: float = 0.5
    retry_base_s: float = 30.0  # a failed job waits retry_base_s * attempts before its next try
    top_k: int = 4


class Worker:
    def __init__(self, queue: JobQueue, config: BotConfig, suggester: Suggester, options: WorkerOptions) -> None:
        self.queue = queue
        self.config = config
        self.suggester = suggester
        self.options = options
        self.name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.log = get_logger()
        self._tokens: InstallationTokens | None = None

    def _auth_for(self, job: Job):  # type: ignore[no-untyped-def]
        owner, name = split_repo(job.spec.repo)
        if not self.config.uses_app:
            return make_auth(self.config, owner, name)
        if self._tokens is None:
            assert self.config.app_id and self.config.private_key
            self._tokens = InstallationTokens(self.config.app_id, self.config.private_key, self.config.api_url)
        if job.spec.installation_id is not None:
            return InstallationAuth(self._tokens, job.spec.installation_id)
        return make_auth(self.config, owner, name, tokens=self._tokens)

    def process(self, job: Job) -> None:
        done = threading.Event()

        def renew() -> None:  # keep the lease while we work; a killed process stops renewing
            while not done.wait(self.queue.lease_s / 3):
                self.queue.heartbeat(job.id, self.name)

        beat = threading.Thread(target=renew, daemon=True)
        beat.start()
        fields = {"job": job.id, "repo": job.spec.repo, "pr": job.spec.pr, "attempt": job.attempts}
        try:
            api = PullRequestAPI(
                self.config.api_url,
                self._auth_for(job),
                job.spec.repo,
                job.spec.pr,
                write_pause_s=self.config.write_pause_s,
            )
            outcome = run_review(api, self.suggester, top_k=self.options.top_k)
        except RateLimited as exc:
            self.log.warning("rate limited", extra={**fields, "error": str(exc)})
            self.queue.retry_later(job.id, self.name, str(exc), self.options.retry_base_s * job.attempts)
            return
        except GitHubError as exc:
            self.log.warning("review failed", extra={**fields, "error": str(exc)})
            if 400 <= exc.status < 500 and exc.status not in (403, 429):
                self.queue.fail(job.id, self.name, str(exc))  # 404 & co. will not fix themselves
            else:
                self.queue.retry_later(job.id, self.name, str(exc), self.options.retry_base_s * job.attempts)
            return
        except Exception as exc:  # a bug must not kill the worker thread; the job is retried, then fails
            self.log.exception("review crashed", extra=fields)
            self.queue.retry_later(job.id, self.name, f"{type(exc).__name__}: {exc}", self.options.retry_base_s)
            return
        finally:
            done.set()
        result = f"{outcome.mode}: {outcome.comments} comments, {outcome.folded} folded, {outcome.deleted} deleted"
        self.queue.complete(job.id, self.name, result)
        self.log.info(
            "review done",
            extra={
                **fields,
                "mode": outcome.mode,
                "review_id": outcome.review_id,
                "comments": outcome.comments,
                "folded": outcome.folded,
                "notes": outcome.notes[:5],
            },
        )

    def run(self, stop: threading.Event) -> None:
        self.log.info("worker started", extra={"worker": self.name})
        while not stop.is_set():
            job = self.queue.claim(self.name)
            if job is None:
                stop.wait(self.options.poll_s)
                continue
            self.process(job)
