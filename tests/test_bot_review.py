"""``speedhints review`` end to end: PyGithub over real HTTP to the fake GitHub (GHE-style /api/v3 base)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegithub import FakeGitHub, Fault
from fakegithub.builders import make_pr
from fakegithub.keys import rsa_pem
from fakegithub.server import FakeReview
from fakegithub.shapes import BOT_USER
from fakegithub.suggesters import RuleSuggester
from github import Auth

from speedhints.bot.auth import InstallationTokens, make_auth
from speedhints.bot.config import BotConfig
from speedhints.bot.github_api import PullRequestAPI
from speedhints.bot.retry import GitHubError, RateLimited, RetryPolicy
from speedhints.bot.runner import run_review
from speedhints.cli import main

REPO = "octo-org/octo-repo"
BEFORE = "def f(x):\n    return x\n"
AFTER = (
    "def f(x):\n"
    "    if x in [1, 2, 3]:\n"
    "        return 1\n"
    "    out = []\n"
    "    for y in range(x):\n"
    "        out.append(y * 2)\n"
    "    return out\n"
)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def env(fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    for name in (
        "GITHUB_APP_ID",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_APP_PRIVATE_KEY_PATH",
        "GITHUB_EVENT_PATH",
        "GITHUB_REPOSITORY",
        "SPEEDHINTS_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
    values = {
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": fake.add_token(write=True),
        "SPEEDHINTS_SUGGESTER": "fakegithub.suggesters:load_suggester",
        "SPEEDHINTS_WRITE_PAUSE_S": "0",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_ACTIONS": "true",  # as an Actions step: errors are ::error:: annotations on stdout
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def api_for(
    fake: FakeGitHub,
    number: int,
    sleeps: list[float] | None = None,
    token: str | None = None,
    clock: object = time.time,
) -> PullRequestAPI:
    policy = RetryPolicy(max_attempts=4, server_error_retries=2, backoff_s=0.5, max_wait_s=100)
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return PullRequestAPI(
        fake.api_url,
        Auth.Token(token or fake.add_token()),
        REPO,
        number,
        policy=policy,
        sleep=record,
        clock=clock,
        write_pause_s=0,
    )  # type: ignore[arg-type]


def test_review_posts_one_review_with_suggestions_then_nothing_twice(
    fake: FakeGitHub, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_pr(make_pr(REPO, 7, {"pkg/a.py": (BEFORE, AFTER), "README.md": ("a\n", "b\n")}))
    assert main(["review", "--repo", REPO, "--pr", "7"]) == 0
    assert capsys.readouterr().out == (
        f"speedhints: posted review 10000 on {REPO}#7: 2 comment(s), 0 in the body, 0 refused, 0 stale deleted\n"
    )
    [review] = fake.reviews_of(REPO, 7)
    assert review.state == "COMMENTED" and review.body.startswith("<!-- speedhints-run:")
    repo, number, sent = fake.posted_reviews[0]
    assert sent["event"] == "COMMENT" and sent["commit_id"] == fake.prs[(REPO, 7)].head_sha
    comments = {c["line"]: c for c in sent["comments"]}
    assert comments[2]["body"].endswith("```suggestion\n    if x in {1, 2, 3}:\n```\n")
    assert (
        comments[6]["start_line"] == 4
        and "```suggestion\n    out = [y * 2 for y in range(x)]\n```" in comments[6]["body"]
    )
    assert all(c["side"] == "RIGHT" for c in sent["comments"])
    # the request went through the GHE-style prefix, with the token
    assert {r.path.split("/")[1:3] == ["api", "v3"] for r in fake.requests} == {True}

    assert main(["review", "--repo", REPO, "--pr", "7"]) == 0
    assert "nothing new to post" in capsys.readouterr().out
    assert len(fake.reviews_of(REPO, 7)) == 1 and len(fake.bot_comments(REPO, 7)) == 2


@pytest.mark.parametrize("char", ["\x0c", "\x1c", "\u2028"], ids=["form-feed", "x1c", "u2028"])
def test_a_line_break_python_does_not_count_above_a_hint_keeps_the_hint(
    fake: FakeGitHub, env: dict[str, str], char: str
) -> None:
    """str.splitlines breaks lines at these characters, Python and git do not: the bot numbers lines as the
    runtime does (model_export.source.source_lines), so the hint below still quotes the file and is posted."""
    after = f"# section{char}two\n" + AFTER  # one line for Python: the hint's lines move down by one, not two
    fake.add_pr(make_pr(REPO, 9, {"a.py": (BEFORE, after)}))
    assert main(["review", "--repo", REPO, "--pr", "9"]) == 0
    comments = {c.line: c.body for c in fake.bot_comments(REPO, 9)}
    assert sorted(comments) == [3, 7]
    assert comments[3].endswith("```suggestion\n    if x in {1, 2, 3}:\n```\n")


def test_new_push_deletes_stale_comments_but_keeps_replied_ones(fake: FakeGitHub, env: dict[str, str]) -> None:
    pr = fake.add_pr(make_pr(REPO, 8, {"a.py": (BEFORE, AFTER)}))
    assert main(["review", "--repo", REPO, "--pr", "8"]) == 0
    first = {c.line: c for c in fake.bot_comments(REPO, 8)}
    fake.add_human_reply(REPO, 8, first[2].id, "we need a list here, order matters")
    # the author pushes: both patterns are gone, a new one appears
    newer = "def f(x):\n    if x in (1, 2, 3):\n        return 1\n    return [y in [4, 5] for y in range(x)]\n"
    new = make_pr(REPO, 8, {"a.py": (BEFORE, newer)}, head_sha="f" * 40)
    pr.files, pr.head_sha = new.files, new.head_sha
    assert main(["review", "--repo", REPO, "--pr", "8"]) == 0
    remaining = {c.id for c in fake.bot_comments(REPO, 8)}
    assert first[2].id in remaining  # replied to: kept
    assert first[6].id not in remaining  # stale: deleted
    assert len(fake.reviews_of(REPO, 8)) == 2
    assert "in {4, 5}" in fake.posted_reviews[-1][2]["comments"][0]["body"]


def test_422_for_one_comment_keeps_the_others(fake: FakeGitHub) -> None:
    pr = fake.add_pr(make_pr(REPO, 9, {"a.py": (BEFORE, AFTER)}))
    # GitHub checks lines against a diff where line 2 is not part of the diff (the head moved after our read)
    pr.files[0].validated_patch = "@@ -2,0 +4,3 @@\n+    out = []\n+    for y in range(x):\n+        out.append(y * 2)"
    outcome = run_review(api_for(fake, 9), RuleSuggester())
    assert outcome.mode == "posted" and outcome.rejected >= 1 and outcome.comments + outcome.rejected == 2
    [review] = fake.reviews_of(REPO, 9)
    posted_lines = {c.line for c in fake.bot_comments(REPO, 9)}
    assert 2 not in posted_lines
    refused = [h for h in outcome.hints if h.start_line == 2][0]
    assert f"<!-- speedhints:{refused.marker} -->" in review.body  # folded into the body, not lost
    assert all(r.state != "PENDING" for r in fake.prs[(REPO, 9)].reviews)  # probes cleaned up
    assert any(r.status == 422 for r in fake.requests)


def test_a_pending_review_left_by_an_interrupted_run_does_not_block_the_probes(fake: FakeGitHub) -> None:
    pr = fake.add_pr(make_pr(REPO, 22, {"a.py": (BEFORE, AFTER)}))
    pr.files[0].validated_patch = "@@ -2,0 +4,3 @@\n+    out = []\n+    for y in range(x):\n+        out.append(y * 2)"
    pr.reviews.append(FakeReview(1, "", "PENDING", pr.head_sha, BOT_USER))
    outcome = run_review(api_for(fake, 22), RuleSuggester())
    assert (outcome.mode, outcome.comments, outcome.rejected) == ("posted", 1, 1)
    assert [r.state for r in pr.reviews] == ["COMMENTED"]


def test_a_closed_pull_request_is_not_reviewed(fake: FakeGitHub) -> None:
    fake.add_pr(make_pr(REPO, 23, {"a.py": (BEFORE, AFTER)})).state = "closed"
    outcome = run_review(api_for(fake, 23), RuleSuggester())
    assert (outcome.mode, outcome.notes) == ("nothing-new", ["pull request #23 is closed; not reviewed"])
    assert fake.reviews_of(REPO, 23) == [] and [r.path.rsplit("/", 1)[-1] for r in fake.requests] == ["23"]


def test_lost_response_after_a_5xx_is_not_posted_twice(fake: FakeGitHub) -> None:
    fake.add_pr(make_pr(REPO, 10, {"a.py": (BEFORE, AFTER)}))
    # the review is created, but the client sees a 502
    fake.faults.append(Fault("POST", r".*/pulls/10/reviews", 502, {"message": "Server Error"}, after_effect=True))
    sleeps: list[float] = []
    outcome = run_review(api_for(fake, 10, sleeps), RuleSuggester(), sleep=sleeps.append)
    assert outcome.mode == "posted" and "not posting it again" in outcome.notes[-1]
    assert len(fake.reviews_of(REPO, 10)) == 1 and len(fake.bot_comments(REPO, 10)) == 2
    assert sleeps == [0.5]


def test_5xx_before_effect_is_retried_and_bounded(fake: FakeGitHub) -> None:
    fake.add_pr(make_pr(REPO, 11, {"a.py": (BEFORE, AFTER)}))
    fake.faults.append(Fault("POST", r".*/pulls/11/reviews", 503, {"message": "Service Unavailable"}, times=2))
    sleeps: list[float] = []
    outcome = run_review(api_for(fake, 11, sleeps), RuleSuggester(), sleep=sleeps.append)
    assert outcome.mode == "posted" and len(fake.reviews_of(REPO, 11)) == 1 and sleeps == [0.5, 1.0]

    fake.add_pr(make_pr(REPO, 12, {"a.py": (BEFORE, AFTER)}))
    fake.faults.append(Fault("POST", r".*/pulls/12/reviews", 500, {"message": "Server Error"}, times=99))
    with pytest.raises(GitHubError, match="HTTP 500"):
        run_review(api_for(fake, 12, sleeps), RuleSuggester(), sleep=sleeps.append)
    posts = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/pulls/12/reviews")]
    assert len(posts) == 3 and fake.reviews_of(REPO, 12) == []


def test_rate_limits_wait_as_the_headers_say(fake: FakeGitHub) -> None:
    fake.add_pr(make_pr(REPO, 13, {"a.py": (BEFORE, AFTER)}))
    now = 1_700_000_000.0
    fake.faults.append(Fault("GET", r".*/pulls/13", 429, {"message": "Too many requests"}, {"Retry-After": "7"}))
    fake.faults.append(
        Fault(
            "GET",
            r".*/pulls/13/files",
            403,
            {"message": "API rate limit exceeded"},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(now) + 30)},
        )
    )
    fake.faults.append(
        Fault("POST", r".*/pulls/13/reviews", 403, {"message": "You have exceeded a secondary rate limit."})
    )
    sleeps: list[float] = []
    outcome = run_review(api_for(fake, 13, sleeps, clock=lambda: now), RuleSuggester(), sleep=sleeps.append)
    assert outcome.mode == "posted" and sleeps == [7.0, 31.0, 60.0]
    assert len(fake.reviews_of(REPO, 13)) == 1

    fake.add_pr(make_pr(REPO, 14, {"a.py": (BEFORE, AFTER)}))
    fake.faults.append(Fault("GET", r".*/pulls/14", 429, {"message": "Too many requests"}, {"Retry-After": "3600"}))
    with pytest.raises(RateLimited, match="3600s"):
        run_review(api_for(fake, 14, sleeps), RuleSuggester())


def test_read_only_token_falls_back_to_summary_and_annotations(
    fake: FakeGitHub, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_pr(make_pr(REPO, 15, {"src/m.py": (BEFORE, AFTER)}))
    monkeypatch.setenv("GITHUB_TOKEN", fake.add_token(write=False))
    assert main(["review", "--repo", REPO, "--pr", "15"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "::warning::speedhints: the token cannot write reviews here; hints are in the job summary"
    assert out[1] == (
        "::warning file=src/m.py,line=2,endLine=2,title=speedhints%3A list -> set membership::Suggestions of this "
        "kind (latent 7) were correct and faster in 30 of 40 held-out trials, median 1.8x (the program's tests pass "
        "and it runs >= 1.2x faster); check it with your tests."
    )
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("## speedhints: 2 speed hint(s)") and "+    out = [y * 2 for y in range(x)]" in summary
    assert fake.reviews_of(REPO, 15) == []


def test_more_than_30_hints_and_paginated_listings(fake: FakeGitHub, env: dict[str, str]) -> None:
    fake.per_page_max = 7  # forces Link-header pagination of files, comments and reviews
    after = "def f(x):\n" + "".join(f"    a{n} = x in [{n}, {n + 1}]\n" for n in range(40)) + "    return x\n"
    files = {f"m{i}.py": (BEFORE, after if i == 0 else AFTER) for i in range(9)}
    fake.add_pr(make_pr(REPO, 16, files))
    assert main(["review", "--repo", REPO, "--pr", "16", "--top-k", "64"]) == 0
    [review] = fake.reviews_of(REPO, 16)
    assert len(fake.bot_comments(REPO, 16)) == 30
    assert len(re.findall(r"<!-- speedhints:[0-9a-f]{16} -->", review.body)) == 40 + 16 - 30
    assert main(["review", "--repo", REPO, "--pr", "16", "--top-k", "64"]) == 0
    assert len(fake.reviews_of(REPO, 16)) == 1


def test_unusable_files_are_skipped_with_one_line(
    fake: FakeGitHub, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    pr = make_pr(REPO, 17, {"ok.py": (BEFORE, AFTER), "py2.py": (BEFORE, "print 'hi'\n")})
    pr.files[0].patch = None  # GitHub omits the patch of a diff that is too large
    fake.add_pr(pr)
    assert main(["review", "--repo", REPO, "--pr", "17"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "speedhints: ok.py: skipped: GitHub sent no patch (binary file or diff too large)",
        "speedhints: py2.py: skipped: not valid Python 3 (looks like Python 2): Missing parentheses in call to "
        "'print'. Did you mean print(...)? at line 1",
    ]


def test_github_app_auth_via_jwt_and_installation_token(
    fake: FakeGitHub,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    private, public = rsa_pem()
    fake.set_app(4242, public, {REPO: 99})
    fake.add_pr(make_pr(REPO, 18, {"a.py": (BEFORE, AFTER)}))
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("GITHUB_APP_ID", "4242")
    key_file = tmp_path / "app.pem"
    key_file.write_text(private)
    monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY_PATH", str(key_file))
    assert main(["review", "--repo", REPO, "--pr", "18"]) == 0
    assert len(fake.reviews_of(REPO, 18)) == 1 and fake.tokens_issued == 1
    assert {r.auth for r in fake.requests if "installation" in r.path or "access_tokens" in r.path} == {"jwt"}

    other_private, _ = rsa_pem()  # a key GitHub does not know: the JWT is refused, the run fails clearly
    monkeypatch.delenv("GITHUB_APP_PRIVATE_KEY_PATH")
    monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY", other_private.replace("\n", "\\n"))
    capsys.readouterr()
    assert main(["review", "--repo", REPO, "--pr", "18"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("::error::speedhints: find the app installation on") and "HTTP 401" in out
    assert "PRIVATE KEY" not in out


def test_installation_token_is_renewed_before_it_expires(fake: FakeGitHub) -> None:
    private, public = rsa_pem()
    fake.set_app(7, public, {REPO: 55})
    fake.token_ttl_s = 3600
    start = time.time()
    now = [start]
    tokens = InstallationTokens("7", private, fake.api_url, refresh_margin_s=300, clock=lambda: now[0])
    first = tokens.token(55)
    now[0] += 3000  # 10 minutes before expiry: still fine
    assert tokens.token(55) == first and tokens.issued == 1
    now[0] += 400  # inside the 5-minute margin: renewed
    second = tokens.token(55)
    assert second != first and tokens.issued == 2 and fake.tokens_issued == 2
    now[0] = start  # the fake's expiry runs on the real clock; back at start the new token is fresh
    auth = make_auth(
        BotConfig(api_url=fake.api_url, app_id="7", private_key=private), "octo-org", "octo-repo", tokens=tokens
    )
    assert auth.token == second


@pytest.mark.parametrize(
    ("argv", "env_changes", "code", "line"),
    [
        (
            ["review", "--pr", "1"],
            {},
            2,
            "::error::speedhints: no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY",
        ),
        (
            ["review", "--repo", "nope", "--pr", "1"],
            {},
            2,
            "::error::speedhints: repository must be OWNER/NAME, got 'nope'",
        ),
        (
            ["review", "--repo", REPO],
            {},
            2,
            "::error::speedhints: no pull request: pass --pr N or run on a pull_request event",
        ),
        (
            ["review", "--repo", REPO, "--pr", "1"],
            {"GITHUB_TOKEN": ""},
            2,
            "::error::speedhints: no credentials: set GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY",
        ),
        (
            ["review", "--repo", REPO, "--pr", "404"],
            {},
            1,
            "::error::speedhints: read pull request #404: HTTP 404: Not Found",
        ),
        (
            ["review", "--repo", REPO, "--pr", "1"],
            {"GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY": "not a key"},
            2,
            "::error::speedhints: the GitHub App private key is not a PEM private key without a passphrase",
        ),
    ],
)
def test_bad_input_is_one_error_line(
    fake: FakeGitHub,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env_changes: dict[str, str],
    code: int,
    line: str,
) -> None:
    for k, v in env_changes.items():
        monkeypatch.setenv(k, v)
    assert main(argv) == code
    assert capsys.readouterr().out == line + "\n"


def test_outside_actions_errors_are_plain_lines_on_stderr(
    fake: FakeGitHub, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue #16, item 7: the ::error:: workflow command only where GitHub Actions reads it.
    for value in ("", "false"):
        monkeypatch.setenv("GITHUB_ACTIONS", value)
        assert main(["review", "--repo", "nope", "--pr", "1"]) == 2
        assert capsys.readouterr() == ("", "speedhints: error: repository must be OWNER/NAME, got 'nope'\n")
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert main(["review", "--repo", REPO, "--pr", "404"]) == 1
    assert capsys.readouterr() == ("", "speedhints: error: read pull request #404: HTTP 404: Not Found\n")


def test_without_a_model_bundle_review_fails_with_the_bundle_error(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("SPEEDHINTS_SUGGESTER")
    monkeypatch.setenv("SPEEDHINTS_BUNDLE", str(tmp_path / "no-bundle"))
    assert main(["review", "--repo", REPO, "--pr", "1"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"::error::speedhints: no model bundle at {tmp_path / 'no-bundle'}") and out.count("\n") == 1


def test_pr_number_comes_from_the_actions_event(
    fake: FakeGitHub, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake.add_pr(make_pr(REPO, 21, {"a.py": (BEFORE, AFTER)}))
    event = tmp_path / "event.json"
    event.write_text('{"action": "opened", "number": 21, "pull_request": {"number": 21}}')
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    assert main(["review"]) == 0
    assert len(fake.reviews_of(REPO, 21)) == 1


SCRIPT = "n = int(input())\na = list(map(int, input().split()))\nseen = []\ncount = 0\n"


def test_review_with_the_model_that_ships(
    fake: FakeGitHub, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No plug-in: the bot loads the packaged bundle and reviews a real diff; whatever the model suggests, every
    comment lands inside the diff (GitHub would answer 422 otherwise) and carries its latent's label."""
    monkeypatch.delenv("SPEEDHINTS_SUGGESTER")
    after = SCRIPT + "for x in a:\n    if x not in seen:\n        seen.append(x)\n        count += 1\nprint(count)\n"
    fake.add_pr(make_pr(REPO, 12, {"solve.py": (SCRIPT + "print(n)\n", after)}))
    # --min-precision 0: every latent, measured or not, so the packaged model's comments are exercised.
    assert main(["review", "--repo", REPO, "--pr", "12", "--min-precision", "0"]) == 0
    out = capsys.readouterr().out
    assert re.match(rf"speedhints: (posted review \d+ on {REPO}#12: \d+ comment\(s\), \d+ in the body, 0 refused"
                    rf"|nothing new to post on {REPO}#12)", out), out
    header = re.compile(r"\*\*speedhints: [^*]+\*\* · (correct and faster \d+/\d+ held-out|unmeasured) · confidence")
    for comment in fake.bot_comments(REPO, 12):
        assert header.search(comment.body), comment.body
