"""The GitHub App's webhook endpoint (starlette): verify, de-duplicate, persist, answer fast.

Order matters: the size cap first (never buffer more than ``max_payload``), the signature second (a forged
request must not be able to burn a delivery id), the replay check third; the job is on disk before the 202.
The review itself runs in a worker (``worker.py``), so the answer never waits for GitHub or the model.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from speedhints.bot.jobqueue import JobQueue, JobSpec
from speedhints.bot.logs import get_logger

REVIEW_ACTIONS = frozenset({"opened", "synchronize", "reopened"})


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """Constant-time check of ``X-Hub-Signature-256`` (GitHub: HMAC-SHA256 of the raw body, hex)."""
    if not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.encode("utf-8", "replace"))


class PayloadTooLarge(Exception):
    pass


async def read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise PayloadTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise PayloadTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def job_for(event: str, payload: dict[str, Any]) -> JobSpec | None:
    """The review job a verified delivery asks for, or None for events we do not act on."""
    if event != "pull_request" or payload.get("action") not in REVIEW_ACTIONS:
        return None
    pr = payload["pull_request"]
    installation = payload.get("installation") or {}
    return JobSpec(
        repo=str(payload["repository"]["full_name"]),
        pr=int(pr["number"]),
        head_sha=str(pr["head"]["sha"]),
        installation_id=int(installation["id"]) if "id" in installation else None,
    )


def create_app(secret: bytes, queue: JobQueue, max_payload: int = 5 * 1024 * 1024) -> Starlette:
    log = get_logger()

    async def webhook(request: Request) -> JSONResponse:
        started = time.perf_counter()
        delivery = request.headers.get("x-github-delivery", "")
        event = request.headers.get("x-github-event", "")

        def answer(status: int, outcome: str, **extra: Any) -> JSONResponse:
            log.info(
                "webhook",
                extra={
                    "delivery": delivery[:64],
                    "event": event[:64],
                    "status": status,
                    "outcome": outcome,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return JSONResponse({"status": outcome, **extra}, status_code=status)

        try:
            body = await read_capped(request, max_payload)
        except PayloadTooLarge:
            return answer(413, "payload too large")
        if not verify_signature(secret, body, request.headers.get("x-hub-signature-256")):
            return answer(401, "bad signature")
        if not delivery or len(delivery) > 128 or not event:
            return answer(400, "missing X-GitHub-Delivery or X-GitHub-Event")
        try:
            payload = json.loads(body)
            job = job_for(event, payload) if isinstance(payload, dict) else None
        except (ValueError, KeyError, TypeError):
            return answer(400, "malformed payload")
        fresh = await run_in_threadpool(queue.record_delivery, delivery, event, job)
        if not fresh:
            return answer(200, "duplicate delivery ignored")
        if event == "ping":
            return answer(200, "pong")
        return answer(202, "queued" if job else "ignored")

    async def healthz(request: Request) -> JSONResponse:
        counts = await run_in_threadpool(queue.counts)
        return JSONResponse({"status": "ok", "queue": counts})

    return Starlette(routes=[Route("/webhook", webhook, methods=["POST"]), Route("/healthz", healthz)])
