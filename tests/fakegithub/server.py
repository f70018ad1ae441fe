"""A fake GitHub REST API on 127.0.0.1 (random port) with a GitHub Enterprise style ``/api/v3`` prefix.

It keeps real state (pull requests, reviews, review comments, tokens), validates what GitHub validates for the
calls the bot makes (comment lines must be inside the diff -> 422 with GitHub's body; read-only tokens -> 403;
installation tokens only for a valid RS256 app JWT; one pending review per user), paginates with Link headers,
and records every request and every posted review. ``faults`` inject GitHub's failure modes: an error status
with its headers, optionally *after* the request took effect (a response lost on the way back), and delays.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt

from . import shapes

HUNK_RE = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def right_side_lines(patch: str) -> dict[int, int]:
    """Right-side line -> hunk index for every added or context line (written apart from the bot's unidiff
    parsing on purpose, so a bug there is not mirrored here)."""
    out: dict[int, int] = {}
    hunk, line = -1, 0
    for text in patch.split("\n"):
        m = HUNK_RE.match(text)
        if m:
            hunk, line = hunk + 1, int(m.group(1))
            continue
        if hunk < 0 or text.startswith("\\") or text.startswith("-"):
            continue
        if text.startswith("+") or text.startswith(" "):
            out[line] = hunk
            line += 1
    return out


@dataclass
class FakeFile:
    filename: str
    content: bytes | None  # file at the PR head (None for a removed file)
    patch: str | None
    status: str = "modified"
    # The diff GitHub checks comment lines against, when it differs from the ``patch`` it served (the head
    # moved between the bot's read and its post); None: the same as ``patch``.
    validated_patch: str | None = None

    @property
    def additions(self) -> int:
        return sum(1 for x in (self.patch or "").split("\n") if x.startswith("+"))

    @property
    def deletions(self) -> int:
        return sum(1 for x in (self.patch or "").split("\n") if x.startswith("-"))


@dataclass
class FakeComment:
    id: int
    review_id: int | None
    path: str
    line: int
    start_line: int | None
    body: str
    commit_id: str
    user: dict[str, Any]
    diff_hunk: str = "@@ -1,1 +1,1 @@"
    in_reply_to_id: int | None = None


@dataclass
class FakeReview:
    id: int
    body: str
    state: str  # COMMENTED | PENDING
    commit_id: str
    user: dict[str, Any]
    comment_ids: list[int] = field(default_factory=list)


@dataclass
class FakePR:
    repo: str
    number: int
    files: list[FakeFile]
    head_sha: str = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
    base_sha: str = "e5bd3914e2e596debea16f433f57875b5b90bcd6"
    state: str = "open"
    reviews: list[FakeReview] = field(default_factory=list)
    comments: list[FakeComment] = field(default_factory=list)


@dataclass
class Token:
    write: bool
    expires_at: float
    installation_id: int | None = None


@dataclass
class Fault:
    """Answer ``status`` (None: answer normally) to the next ``times`` requests matching method + path regex.

    ``after_effect``: handle the request first (the write happens), then answer the fault: a lost response.
    ``delay_s``: sleep before answering (after the effect).
    """

    method: str
    path: str
    status: int | None = 500
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    after_effect: bool = False
    delay_s: float = 0.0


@dataclass
class Request:
    method: str
    path: str
    status: int
    auth: str  # "token", "jwt", "none"


class FakeGitHub:
    def __init__(self, prefix: str = "/api/v3", per_page_max: int = 100) -> None:
        self.prefix = prefix
        self.per_page_max = per_page_max
        self.prs: dict[tuple[str, int], FakePR] = {}
        self.pr_factory: Callable[[str, int], FakePR | None] | None = None
        self.tokens: dict[str, Token] = {}
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self.posted_reviews: list[tuple[str, int, dict[str, Any]]] = []  # successful POSTs, as sent
        self.app_id: int | None = None
        self.app_public_key: str | None = None
        self.installations: dict[str, int] = {}  # repo full name -> installation id
        self.token_ttl_s = 3600.0
        self.tokens_issued = 0
        self.lock = threading.RLock()
        self._ids = iter(range(10_000, 10**9))
        self._server: ThreadingHTTPServer | None = None

    # -- setup ---------------------------------------------------------------------------------------------
    def add_pr(self, pr: FakePR) -> FakePR:
        self.prs[(pr.repo, pr.number)] = pr
        return pr

    def add_token(self, write: bool = True, ttl_s: float = 3600.0) -> str:
        token = "ghs_" + secrets.token_hex(18)
        self.tokens[token] = Token(write, time.time() + ttl_s)
        return token

    def set_app(self, app_id: int, public_key_pem: str, installations: dict[str, int]) -> None:
        self.app_id, self.app_public_key, self.installations = app_id, public_key_pem, dict(installations)

    def add_human_reply(self, repo: str, number: int, to_comment: int, body: str) -> int:
        pr = self.prs[(repo, number)]
        parent = next(c for c in pr.comments if c.id == to_comment)
        reply = FakeComment(
            next(self._ids),
            None,
            parent.path,
            parent.line,
            None,
            body,
            pr.head_sha,
            shapes.USER,
            in_reply_to_id=to_comment,
        )
        pr.comments.append(reply)
        return reply.id

    @property
    def api_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.prefix}"

    def start(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body, headers = fake.handle(self.command, self.path, dict(self.headers.items()), raw)
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                base = {
                    "Content-Type": "application/json; charset=utf-8",
                    "X-GitHub-Media-Type": "github.v3; format=json",
                    "X-GitHub-Api-Version-Selected": "2022-11-28",
                    "X-RateLimit-Limit": "5000",
                    "X-RateLimit-Remaining": "4999",
                    "X-RateLimit-Reset": str(int(time.time()) + 3600),
                    "X-RateLimit-Resource": "core",
                    "X-GitHub-Request-Id": secrets.token_hex(8).upper(),
                }
                for k, v in {**base, **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ----------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any, dict[str, str]]:
        url = urlsplit(target)
        path = unquote(url.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self.lock:
            fault = next((f for f in self.faults if f.method == method and re.fullmatch(f.path, path)), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
        auth_kind = "none"
        if fault is not None and fault.status is not None and not fault.after_effect:
            result: tuple[int, Any, dict[str, str]] = (fault.status, fault.body, fault.headers)
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            with self.lock:
                auth_kind, result = self._dispatch(method, path, query, headers, body)
            if fault is not None and fault.status is not None:
                result = (fault.status, fault.body, fault.headers)
        if fault is not None and fault.delay_s:
            time.sleep(fault.delay_s)
        with self.lock:
            self.requests.append(Request(method, path, result[0], auth_kind))
        return result

    def _auth(self, headers: dict[str, str]) -> tuple[str, Token | None, str | None]:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, cred = value.partition(" ")
        if scheme.lower() == "bearer" and cred.count(".") == 2:
            return "jwt", None, cred
        token = self.tokens.get(cred)
        if token is None or token.expires_at < time.time():
            return "token", None, None
        return "token", token, None

    def _verify_jwt(self, encoded: str | None) -> bool:
        if not encoded or self.app_public_key is None:
            return False
        try:
            claims = jwt.decode(
                encoded,
                self.app_public_key,
                algorithms=["RS256"],
                leeway=60,
                options={"require": ["exp", "iat", "iss"]},
            )
        except jwt.PyJWTError:
            return False
        # GitHub: iss is the app's id (or client id); exp at most 10 minutes after iat
        return str(claims["iss"]) == str(self.app_id) and int(claims["exp"]) - int(claims["iat"]) <= 660

    def _page(self, path: str, query: dict[str, str], items: list[Any]) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(query.get("per_page", 30)), self.per_page_max)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        headers = {}
        if page < last:
            base = f"{self.api_url}{path[len(self.prefix) :]}"
            headers["Link"] = (
                f'<{base}?per_page={per_page}&page={page + 1}>; rel="next", '
                f'<{base}?per_page={per_page}&page={last}>; rel="last"'
            )
        return 200, chunk, headers

    def _get_pr(self, repo: str, number: int) -> FakePR | None:
        pr = self.prs.get((repo, number))
        if pr is None and self.pr_factory is not None:
            pr = self.pr_factory(repo, number)
            if pr is not None:
                self.prs[(repo, number)] = pr
        return pr

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> tuple[str, tuple[int, Any, dict[str, str]]]:
        if not path.startswith(self.prefix + "/"):
            return "none", (404, shapes.NOT_FOUND, {})
        route = path[len(self.prefix) :]
        api = self.api_url
        kind, token, encoded_jwt = self._auth(headers)

        # -- GitHub App endpoints: JWT only
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/installation", route)
        if m and method == "GET":
            if kind != "jwt" or not self._verify_jwt(encoded_jwt):
                return kind, (401, shapes.JWT_BAD, {})
            inst = self.installations.get(m.group(1))
            if inst is None:
                return kind, (404, shapes.NOT_FOUND, {})
            return kind, (200, shapes.installation(api, inst, self.app_id or 0, m.group(1).split("/")[0]), {})
        m = re.fullmatch(r"/app/installations/(\d+)/access_tokens", route)
        if m and method == "POST":
            if kind != "jwt" or not self._verify_jwt(encoded_jwt):
                return kind, (401, shapes.JWT_BAD, {})
            inst = int(m.group(1))
            if inst not in self.installations.values():
                return kind, (404, shapes.NOT_FOUND, {})
            new = "ghs_" + secrets.token_hex(18)
            expires = time.time() + self.token_ttl_s
            self.tokens[new] = Token(True, expires, inst)
            self.tokens_issued += 1
            stamp = datetime.fromtimestamp(int(expires), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            perms = {"pull_requests": "write", "contents": "read", "metadata": "read"}
            return kind, (201, shapes.access_token(new, stamp, perms), {})

        # -- everything else needs a valid token
        if token is None:
            return kind, (401, shapes.BAD_CREDENTIALS, {})
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", route)
        if not m:
            return kind, (404, shapes.NOT_FOUND, {})
        repo, rest = m.group(1), m.group(2) or ""
        if rest == "" and method == "GET":
            return kind, (200, shapes.repository(api, repo, 1296269), {})

        m = re.fullmatch(r"/pulls/comments/(\d+)", rest)
        if m and method == "DELETE":
            if not token.write:
                return kind, (403, shapes.READ_ONLY, {})
            for pr in self.prs.values():
                if pr.repo == repo:
                    for c in pr.comments:
                        if c.id == int(m.group(1)):
                            pr.comments.remove(c)
                            return kind, (204, None, {})
            return kind, (404, shapes.NOT_FOUND, {})

        m = re.fullmatch(r"/pulls/(\d+)(/.*)?", rest)
        if m:
            pr = self._get_pr(repo, int(m.group(1)))
            if pr is None:
                return kind, (404, shapes.NOT_FOUND, {})
            return kind, self._pull_route(method, path, m.group(2) or "", query, body, pr, token)

        m = re.fullmatch(r"/contents/(.+)", rest)
        if m and method == "GET":
            for pr in self.prs.values():
                if pr.repo == repo and pr.head_sha == query.get("ref"):
                    for f in pr.files:
                        if f.filename == m.group(1) and f.content is not None:
                            return kind, (200, shapes.content_file(api, repo, f.filename, pr.head_sha, f.content), {})
            return kind, (404, shapes.NOT_FOUND, {})
        return kind, (404, shapes.NOT_FOUND, {})

    def _pull_route(
        self, method: str, path: str, sub: str, query: dict[str, str], body: Any, pr: FakePR, token: Token
    ) -> tuple[int, Any, dict[str, str]]:
        api, repo, n = self.api_url, pr.repo, pr.number
        if sub == "" and method == "GET":
            return 200, {**shapes.pull_request(api, repo, n, pr.head_sha, pr.base_sha, 1296269), "state": pr.state}, {}
        if sub == "/files" and method == "GET":
            files = [shapes.pull_file(api, repo, pr.head_sha, f, i) for i, f in enumerate(pr.files)]
            return self._page(path, query, files)
        if sub == "/comments" and method == "GET":
            visible = [c for c in pr.comments if not self._pending(pr, c.review_id)]
            return self._page(path, query, [shapes.review_comment(api, repo, n, c) for c in visible])
        if sub == "/reviews" and method == "GET":
            rows = [shapes.review(api, repo, n, r.id, r.body, r.state, r.commit_id, r.user) for r in pr.reviews]
            return self._page(path, query, rows)
        if sub == "/reviews" and method == "POST":
            if not token.write:
                return 403, shapes.READ_ONLY, {}
            return self._create_review(pr, body or {})
        m = re.fullmatch(r"/reviews/(\d+)", sub)
        if m and method == "DELETE":
            if not token.write:
                return 403, shapes.READ_ONLY, {}
            review = next((r for r in pr.reviews if r.id == int(m.group(1))), None)
            if review is None:
                return 404, shapes.NOT_FOUND, {}
            if review.state != "PENDING":
                return (
                    422,
                    shapes.error_body(
                        422,
                        "Unprocessable Entity",
                        shapes.REVIEW_DOC,
                        ["Can not delete a non-pending pull request review"],
                    ),
                    {},
                )
            pr.reviews.remove(review)
            pr.comments = [c for c in pr.comments if c.review_id != review.id]
            return (
                200,
                shapes.review(api, repo, n, review.id, review.body, "PENDING", review.commit_id, review.user),
                {},
            )
        return 404, shapes.NOT_FOUND, {}

    def _pending(self, pr: FakePR, review_id: int | None) -> bool:
        return any(r.id == review_id and r.state == "PENDING" for r in pr.reviews)

    def _create_review(self, pr: FakePR, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        files = {f.filename: f for f in pr.files}
        for c in body.get("comments") or []:
            f = files.get(c.get("path"))
            if f is None or f.patch is None:
                return 422, shapes.PATH_NOT_IN_DIFF, {}
            lines = right_side_lines(f.validated_patch if f.validated_patch is not None else f.patch)
            if c.get("side", "RIGHT") != "RIGHT" or c.get("line") not in lines:
                return 422, shapes.LINE_NOT_IN_DIFF, {}
            start = c.get("start_line")
            if start is not None and (start >= c["line"] or lines.get(start) != lines[c["line"]]):
                return 422, shapes.LINE_NOT_IN_DIFF, {}
        event = body.get("event")
        state = "COMMENTED" if event == "COMMENT" else "PENDING" if event is None else "COMMENTED"
        if state == "PENDING" and any(r.state == "PENDING" for r in pr.reviews):
            return 422, shapes.ONE_PENDING, {}
        review = FakeReview(
            next(self._ids), body.get("body") or "", state, body.get("commit_id") or pr.head_sha, shapes.BOT_USER
        )
        for c in body.get("comments") or []:
            comment = FakeComment(
                next(self._ids),
                review.id,
                c["path"],
                c["line"],
                c.get("start_line"),
                c["body"],
                review.commit_id,
                shapes.BOT_USER,
            )
            pr.comments.append(comment)
            review.comment_ids.append(comment.id)
        pr.reviews.append(review)
        if state != "PENDING":
            self.posted_reviews.append((pr.repo, pr.number, body))
        api = self.api_url
        return (
            200,
            shapes.review(api, pr.repo, pr.number, review.id, review.body, state, review.commit_id, review.user),
            {},
        )

    # -- what tests look at --------------------------------------------------------------------------------
    def reviews_of(self, repo: str, number: int) -> list[FakeReview]:
        with self.lock:
            pr = self.prs.get((repo, number))
            return [r for r in (pr.reviews if pr else []) if r.state != "PENDING"]

    def bot_comments(self, repo: str, number: int) -> list[FakeComment]:
        with self.lock:
            pr = self.prs.get((repo, number))
            return (
                [
                    c
                    for c in (pr.comments if pr else [])
                    if c.in_reply_to_id is None and not self._pending(pr, c.review_id)
                ]
                if pr
                else []
            )
