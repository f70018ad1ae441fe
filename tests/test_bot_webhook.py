"""The webhook server over real HTTP: signatures, replays, payload cap, durable queue, kill -9 recovery."""

from __future__ import annotations

import io
import json
import logging
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fakegithub import FakeGitHub, Fault
from fakegithub.builders import make_pr
from fakegithub.deliveries import ServerThread, deliver, free_port, pr_event, serve_command, serve_env, sign

from speedhints.bot.jobqueue import JobQueue, JobSpec
from speedhints.bot.logs import Redactor, get_logger, setup_json_logging
from speedhints.bot.webhook import create_app, verify_signature

SECRET = b"webhook secret for tests"
REPO = "octo-org/octo-repo"
BEFORE = "def f(x):\n    return x\n"
AFTER = (
    "def f(x):\n    if x in [1, 2, 3]:\n        return 1\n"
    "    out = []\n    for y in range(x):\n        out.append(y)\n    return out\n"
)


def reset_logging() -> None:
    """Undo setup_json_logging, whose handler holds a stream that pytest closes after the test."""
    for name in ("speedhints.bot", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def test_githubs_documented_hmac_test_vector() -> None:
    # docs.github.com "Validating webhook deliveries": secret, payload and expected signature
    secret, payload = b"It's a Secret to Everybody", b"Hello, World!"
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign(secret, payload) == expected
    assert verify_signature(secret, payload, expected)
    assert not verify_signature(secret, payload, expected[:-1] + "f")
    assert not verify_signature(secret, b"Hello, World?", expected)
    assert not verify_signature(secret, payload, None) and not verify_signature(secret, payload, "")
    assert not verify_signature(secret, payload, "sha1=" + expected[7:])
    assert not verify_signature(secret, payload, "sha256=\u00e9")  # non-ASCII header: refused, no crash


@pytest.fixture
def queue(tmp_path: Path) -> JobQueue:
    return JobQueue(tmp_path / "q.sqlite3", lease_s=5)


@pytest.fixture
def hook(queue: JobQueue) -> Iterator[str]:
    with ServerThread(create_app(SECRET, queue, max_payload=64 * 1024)) as server:
        yield server.url


def test_signed_deliveries_are_queued_once_and_forgeries_refused(hook: str, queue: JobQueue) -> None:
    url = f"{hook}/webhook"
    body = pr_event(REPO, 1, "a" * 40)
    forged = deliver(url, SECRET, body, delivery="d-1", forge=True)
    assert (forged.status_code, forged.json()) == (401, {"status": "bad signature"})
    unsigned = requests.post(url, data=body, headers={"X-GitHub-Delivery": "d-1", "X-GitHub-Event": "pull_request"})
    assert unsigned.status_code == 401
    # the forgeries did not burn the delivery id: the real delivery with that id is accepted
    ok = deliver(url, SECRET, body, delivery="d-1")
    assert (ok.status_code, ok.json()["status"]) == (202, "queued")
    again = deliver(url, SECRET, body, delivery="d-1")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate delivery ignored")
    assert queue.counts()["queued"] == 1 and queue.counts()["deliveries"] == 1
    job = queue.claim("w")
    assert job is not None and job.spec == JobSpec(REPO, 1, "a" * 40, 99)


def test_events_that_need_no_review_are_acknowledged_not_queued(hook: str, queue: JobQueue) -> None:
    url = f"{hook}/webhook"
    closed = deliver(url, SECRET, pr_event(REPO, 2, "b" * 40, action="closed"))
    ping = deliver(url, SECRET, b'{"zen": "Keep it logically awesome.", "hook_id": 1}', event="ping")
    push = deliver(url, SECRET, b'{"ref": "refs/heads/main"}', event="push")
    assert [r.status_code for r in (closed, ping, push)] == [202, 200, 202]
    assert [r.json()["status"] for r in (closed, ping, push)] == ["ignored", "pong", "ignored"]
    assert queue.counts()["queued"] == 0 and queue.counts()["deliveries"] == 3


def test_bad_requests_are_refused_with_one_status(hook: str, queue: JobQueue) -> None:
    url = f"{hook}/webhook"
    big = b'{"pad": "' + b"x" * 70_000 + b'"}'
    assert deliver(url, SECRET, big).status_code == 413
    chunked = requests.post(
        url,
        data=iter([big[:40_000], big[40_000:]]),
        headers={"X-GitHub-Event": "push", "X-GitHub-Delivery": "c", "X-Hub-Signature-256": sign(SECRET, big)},
    )
    assert chunked.status_code == 413  # no Content-Length: the cap holds while streaming
    assert deliver(url, SECRET, b"{not json").status_code == 400
    assert deliver(url, SECRET, b'{"action": "opened"}').status_code == 400  # signed but missing fields
    no_id = requests.post(
        url, data=b"{}", headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(SECRET, b"{}")}
    )
    assert no_id.status_code == 400
    assert requests.get(url).status_code == 405
    health = requests.get(f"{hook}/healthz").json()
    assert health["status"] == "ok" and health["queue"]["deliveries"] == 0


def test_queue_leases_expire_supersede_and_give_up(tmp_path: Path) -> None:
    now = [1000.0]
    q = JobQueue(tmp_path / "q.sqlite3", lease_s=10, max_attempts=2, clock=lambda: now[0])
    assert q.record_delivery("a", "pull_request", JobSpec(REPO, 1, "s1", None))
    assert not q.record_delivery("a", "pull_request", JobSpec(REPO, 1, "s1", None))
    job = q.claim("w1")
    assert job is not None and job.attempts == 1 and q.claim("w2") is None
    now[0] += 11  # w1 died: its lease ran out
    retaken = q.claim("w2")
    assert retaken is not None and retaken.id == job.id and retaken.attempts == 2
    q.complete(job.id, "w1", "late")  # the dead worker's lease is gone: no effect
    assert q.counts()["running"] == 1
    now[0] += 11
    assert q.claim("w3") is None and q.counts()["failed"] == 1  # max_attempts reached
    q.record_delivery("b", "pull_request", JobSpec(REPO, 2, "s1", None))
    q.record_delivery("c", "pull_request", JobSpec(REPO, 2, "s2", None))
    newest = q.claim("w1")
    assert newest is not None and newest.spec.head_sha == "s2" and q.counts()["superseded"] == 1


def test_logs_are_json_and_never_contain_credentials() -> None:
    token, pem = (
        "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n",
    )
    redact = Redactor(["my-webhook-secret", pem])
    line = redact(
        json.dumps(
            {
                "a": f"Authorization: token {token}",
                "k": pem,
                "s": "my-webhook-secret",
                "jwt": "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiI0MiJ9.c2ln",
                "other": "ghp_abcdefghijklmnop1234",
            }
        )
    )
    assert token not in line and "MIIEow" not in line and "my-webhook-secret" not in line
    assert "eyJhbGciOiJSUzI1NiJ9" not in line and "ghp_" not in line
    stream = io.StringIO()
    setup_json_logging(["s3cr3t-value"], stream)
    get_logger().info("review done", extra={"repo": REPO, "detail": "used s3cr3t-value and ghs_aaaaaaaaaaaaaaaa"})
    entry = json.loads(stream.getvalue())
    assert entry["msg"] == "review done" and entry["repo"] == REPO and entry["level"] == "info"
    assert "s3cr3t" not in stream.getvalue() and "ghs_aaaa" not in stream.getvalue()
    reset_logging()


# -- the real server process: kill -9 in the middle of the queue, restart, nothing lost or doubled -------------


def start_serve(port: int, db: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    cmd = serve_command(port, str(db), "--lease-s", "1")
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or too busy to answer in 1 s
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
    raise AssertionError("serve did not start")


def wait_for(predicate: object, timeout: float = 40) -> None:
    deadline = time.time() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)


def test_kill_9_mid_queue_then_restart_loses_nothing_and_posts_nothing_twice(tmp_path: Path) -> None:
    n = 8
    with FakeGitHub() as fake:
        token = fake.add_token()
        for number in range(1, n + 1):
            fake.add_pr(make_pr(REPO, number, {"a.py": (BEFORE, AFTER)}))
        # every review POST takes effect at once but answers only after 0.8 s: a kill in that window leaves a
        # posted review whose job is still "running"
        fake.faults.append(Fault("POST", r".*/reviews", None, delay_s=0.8, times=10**6))
        env = serve_env(fake.api_url, token, SECRET)
        env.pop("GITHUB_APP_ID", None)
        port, db, log = free_port(), tmp_path / "queue.sqlite3", tmp_path / "serve.log"
        url = f"http://127.0.0.1:{port}/webhook"
        proc = start_serve(port, db, env, log)
        try:
            bodies = {i: pr_event(REPO, i, fake.prs[(REPO, i)].head_sha) for i in range(1, n + 1)}
            for i, body in bodies.items():
                t0 = time.perf_counter()
                assert deliver(url, SECRET, body, delivery=f"delivery-{i}").status_code == 202
                assert time.perf_counter() - t0 < 10
            wait_for(lambda: len(fake.posted_reviews) >= 3)
            time.sleep(0.2)  # inside the third POST's 0.8 s window
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
        with sqlite3.connect(db) as conn:
            states = dict(conn.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
        assert states.get("done", 0) < n and sum(states.values()) == n  # killed mid-queue, nothing dropped

        proc = start_serve(port, db, env, log)
        try:
            redelivered = deliver(url, SECRET, bodies[1], delivery="delivery-1")
            assert redelivered.status_code == 200  # GitHub's redelivery of a stored id: ignored
            wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/healthz").json()["queue"]["done"] == n)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        for i in range(1, n + 1):
            reviews = fake.reviews_of(REPO, i)
            markers = [c.body.splitlines()[0] for c in fake.bot_comments(REPO, i)]
            assert len(reviews) == 1, (i, len(reviews))
            assert len(markers) == 2 and len(set(markers)) == 2
        with sqlite3.connect(db) as conn:
            retried = conn.execute("SELECT result FROM jobs WHERE attempts > 1").fetchall()
        # the job in flight at the kill ran again; its review had landed (the kill came inside the POST's
        # delayed answer), so the re-run found nothing new to post
        assert [r[0] for r in retried] == ["nothing-new: 0 comments, 0 folded, 0 deleted"]
        text = log.read_text()
        entries = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        assert any(e["msg"] == "review done" for e in entries)
        assert token not in text and SECRET.decode() not in text


def test_worker_reviews_as_the_app_installation_named_in_the_event(tmp_path: Path) -> None:
    from fakegithub.keys import rsa_pem
    from fakegithub.suggesters import RuleSuggester

    from speedhints.bot.config import BotConfig
    from speedhints.bot.worker import Worker, WorkerOptions

    pem, public = rsa_pem()
    stream = io.StringIO()
    with FakeGitHub() as fake:
        fake.set_app(31, public, {REPO: 777})
        fake.add_pr(make_pr(REPO, 3, {"a.py": (BEFORE, AFTER)}))
        queue = JobQueue(tmp_path / "q.sqlite3")
        queue.record_delivery("d", "pull_request", JobSpec(REPO, 3, fake.prs[(REPO, 3)].head_sha, 777))
        config = BotConfig(api_url=fake.api_url, app_id="31", private_key=pem, write_pause_s=0)
        setup_json_logging(config.secrets(), stream)
        worker = Worker(queue, config, RuleSuggester(), WorkerOptions())
        job = queue.claim(worker.name)
        assert job is not None
        worker.process(job)
        assert queue.counts()["done"] == 1 and len(fake.reviews_of(REPO, 3)) == 1
        # the installation came from the event: no lookup, one token for installation 777
        assert fake.tokens_issued == 1 and not any(r.path.endswith("/installation") for r in fake.requests)
        issued = [t for t, v in fake.tokens.items() if v.installation_id == 777]
    reset_logging()
    logged = stream.getvalue()
    assert '"msg": "review done"' in logged and '"mode": "posted"' in logged
    assert issued and issued[0] not in logged and "PRIVATE KEY" not in logged


@pytest.mark.parametrize(
    ("env", "code", "line"),
    [
        ({}, 2, "speedhints: error: GITHUB_WEBHOOK_SECRET is not set; refusing to accept unsigned webhooks"),
        (
            {"GITHUB_WEBHOOK_SECRET": "s"},
            2,
            "speedhints: error: no credentials: set GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY",
        ),
    ],
)
def test_serve_refuses_to_start_without_its_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str], code: int, line: str
) -> None:
    from speedhints.cli import main

    # A server is not an Actions step: plain lines on stderr, no ::error:: workflow commands (issue #16, item 7)
    for name in ("GITHUB_WEBHOOK_SECRET", "GITHUB_TOKEN", "GITHUB_APP_ID", "SPEEDHINTS_SUGGESTER", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main(["serve", "--port", "0"]) == code
    assert capsys.readouterr() == ("", line + "\n")


def test_serve_without_a_model_fails_before_listening(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from speedhints.cli import main

    monkeypatch.delenv("SPEEDHINTS_SUGGESTER", raising=False)
    monkeypatch.setenv("SPEEDHINTS_BUNDLE", str(tmp_path / "no-bundle"))
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "s")
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # the same failure inside Actions is an annotation on stdout
    assert main(["serve", "--port", "0", "--db", str(tmp_path / "q.sqlite3")]) == 1
    assert capsys.readouterr().out.startswith(f"::error::speedhints: no model bundle at {tmp_path / 'no-bundle'}")
    reset_logging()
