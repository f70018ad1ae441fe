"""Webhook deliveries as GitHub sends them (headers + pull_request payload), a uvicorn server in a thread, and the
command line of a real ``speedhints serve`` process."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests
import uvicorn


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_env(api_url: str, token: str, webhook_secret: bytes) -> dict[str, str]:
    """This process's environment for a ``speedhints serve`` that reviews through the fake at ``api_url`` with
    ``token``, accepts deliveries signed with ``webhook_secret`` and suggests with fakegithub's rule double (the
    tests folder on PYTHONPATH), posting without pauses."""
    return {
        **os.environ,
        "GITHUB_WEBHOOK_SECRET": webhook_secret.decode(),
        "GITHUB_TOKEN": token,
        "GITHUB_API_URL": api_url,
        "SPEEDHINTS_SUGGESTER": "fakegithub.suggesters:load_suggester",
        "SPEEDHINTS_WRITE_PAUSE_S": "0",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }


def serve_command(port: int, db: str, *options: str) -> list[str]:
    """``speedhints serve`` on ``port`` with its queue in ``db``, run by this interpreter (then ``options``)."""
    return [
        sys.executable,
        "-c",
        "from speedhints.cli import console_main; console_main()",
        "serve",
        "--port",
        str(port),
        "--db",
        db,
        *options,
    ]


def pr_event(repo: str, number: int, head_sha: str, installation_id: int | None = 99, action: str = "opened") -> bytes:
    """A trimmed ``pull_request`` event payload with the fields GitHub always sends."""
    owner = repo.split("/")[0]
    payload: dict[str, Any] = {
        "action": action,
        "number": number,
        "pull_request": {
            "url": f"https://api.github.com/repos/{repo}/pulls/{number}",
            "id": 1000 + number,
            "number": number,
            "state": "open",
            "title": "Amazing new feature",
            "user": {"login": "octocat", "id": 1},
            "head": {"ref": "new-topic", "sha": head_sha, "repo": {"full_name": repo}},
            "base": {"ref": "main", "sha": "e5bd3914e2e596debea16f433f57875b5b90bcd6", "repo": {"full_name": repo}},
        },
        "repository": {"id": 1296269, "name": repo.split("/")[1], "full_name": repo, "owner": {"login": owner}},
        "sender": {"login": "octocat", "id": 1, "type": "User"},
    }
    if installation_id is not None:
        payload["installation"] = {"id": installation_id, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="}
    return json.dumps(payload).encode()


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def deliver(
    url: str,
    secret: bytes,
    body: bytes,
    *,
    delivery: str | None = None,
    event: str = "pull_request",
    forge: bool = False,
    session: requests.Session | None = None,
) -> requests.Response:
    """POST like GitHub does; ``forge`` signs with a wrong secret."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "292430182",
        "X-Hub-Signature-256": sign(b"not the secret" if forge else secret, body),
    }
    return (session or requests).post(url, data=body, headers=headers, timeout=10)


class ServerThread:
    """uvicorn serving an ASGI app on 127.0.0.1 (random port) in a background thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    @property
    def url(self) -> str:
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
