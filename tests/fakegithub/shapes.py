"""JSON shapes of the GitHub REST responses the bot uses, after GitHub's documentation examples (API 2022-11-28).

Only values are made up; keys, nesting and types follow docs.github.com/rest (pulls, pulls/reviews,
pulls/comments, repos/contents, apps) so that PyGithub parses them as it parses real responses.
"""

from __future__ import annotations

import base64
from typing import Any

USER: dict[str, Any] = {
    "login": "octocat",
    "id": 1,
    "node_id": "MDQ6VXNlcjE=",
    "avatar_url": "https://github.com/images/error/octocat_happy.gif",
    "gravatar_id": "",
    "url": "https://api.github.com/users/octocat",
    "html_url": "https://github.com/octocat",
    "type": "User",
    "site_admin": False,
}
BOT_USER: dict[str, Any] = {**USER, "login": "speedhints[bot]", "id": 41898282, "type": "Bot"}

DOCS = "https://docs.github.com/rest"


# Error bodies exactly as GitHub sends them (message, errors, documentation_url, status as a string).
def error_body(status: int, message: str, doc: str = DOCS, errors: list[Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "documentation_url": doc, "status": str(status)}
    if errors is not None:
        body["errors"] = errors
    return body


REVIEW_DOC = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
LINE_NOT_IN_DIFF = error_body(422, "Unprocessable Entity", REVIEW_DOC, ["Line could not be resolved"])
PATH_NOT_IN_DIFF = error_body(422, "Unprocessable Entity", REVIEW_DOC, ["Path could not be resolved"])
ONE_PENDING = error_body(
    422, "Unprocessable Entity", REVIEW_DOC, ["User can only have one pending review per pull request"]
)
READ_ONLY = error_body(403, "Resource not accessible by integration", REVIEW_DOC)
BAD_CREDENTIALS = error_body(401, "Bad credentials")
NOT_FOUND = error_body(404, "Not Found")
JWT_BAD = error_body(401, "A JSON web token could not be decoded", "https://docs.github.com/rest")
RATE_LIMITED = error_body(
    403,
    "API rate limit exceeded for installation ID 1.",
    "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
)


def repository(api: str, full_name: str, repo_id: int) -> dict[str, Any]:
    owner, name = full_name.split("/")
    url = f"{api}/repos/{full_name}"
    return {
        "id": repo_id,
        "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        "name": name,
        "full_name": full_name,
        "owner": {**USER, "login": owner},
        "private": False,
        "html_url": f"https://github.com/{full_name}",
        "description": "This your first repo!",
        "fork": False,
        "url": url,
        "pulls_url": f"{url}/pulls{{/number}}",
        "default_branch": "main",
        "visibility": "public",
        "created_at": "2011-01-26T19:01:12Z",
        "updated_at": "2011-01-26T19:14:43Z",
        "pushed_at": "2011-01-26T19:06:43Z",
    }


def pull_request(api: str, full_name: str, number: int, head_sha: str, base_sha: str, repo_id: int) -> dict[str, Any]:
    url = f"{api}/repos/{full_name}/pulls/{number}"
    repo = repository(api, full_name, repo_id)
    return {
        "url": url,
        "id": 1000 + number,
        "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==",
        "html_url": f"https://github.com/{full_name}/pull/{number}",
        "diff_url": f"https://github.com/{full_name}/pull/{number}.diff",
        "number": number,
        "state": "open",
        "locked": False,
        "title": "Amazing new feature",
        "user": USER,
        "body": "Please pull these awesome changes in!",
        "created_at": "2011-01-26T19:01:12Z",
        "updated_at": "2011-01-26T19:01:12Z",
        "closed_at": None,
        "merged_at": None,
        "draft": False,
        "review_comments_url": f"{url}/comments",
        "comments_url": f"{api}/repos/{full_name}/issues/{number}/comments",
        "head": {"label": "octocat:new-topic", "ref": "new-topic", "sha": head_sha, "user": USER, "repo": repo},
        "base": {"label": "octocat:main", "ref": "main", "sha": base_sha, "user": USER, "repo": repo},
        "author_association": "OWNER",
        "merged": False,
        "mergeable": True,
        "comments": 0,
        "review_comments": 0,
        "commits": 1,
        "additions": 10,
        "deletions": 2,
        "changed_files": 1,
    }


def pull_file(api: str, full_name: str, head_sha: str, f: Any, index: int) -> dict[str, Any]:
    out = {
        "sha": f"{index:040x}",
        "filename": f.filename,
        "status": f.status,
        "additions": f.additions,
        "deletions": f.deletions,
        "changes": f.additions + f.deletions,
        "blob_url": f"https://github.com/{full_name}/blob/{head_sha}/{f.filename}",
        "raw_url": f"https://github.com/{full_name}/raw/{head_sha}/{f.filename}",
        "contents_url": f"{api}/repos/{full_name}/contents/{f.filename}?ref={head_sha}",
    }
    if f.patch is not None:  # GitHub omits "patch" for binary files and very large diffs
        out["patch"] = f.patch
    return out


def content_file(api: str, full_name: str, path: str, ref: str, data: bytes) -> dict[str, Any]:
    encoded = base64.encodebytes(data).decode()  # GitHub wraps base64 at 60-76 columns with "\n"
    url = f"{api}/repos/{full_name}/contents/{path}?ref={ref}"
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(data),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": encoded,
        "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
        "url": url,
        "git_url": f"{api}/repos/{full_name}/git/blobs/3d21ec53a331a6f037a91c368710b99387d012c1",
        "html_url": f"https://github.com/{full_name}/blob/{ref}/{path}",
        "download_url": f"https://raw.githubusercontent.com/{full_name}/{ref}/{path}",
        "_links": {
            "self": url,
            "git": f"{api}/repos/{full_name}/git/blobs/x",
            "html": f"https://github.com/{full_name}/blob/{ref}/{path}",
        },
    }


def review(
    api: str, full_name: str, number: int, review_id: int, body: str, state: str, commit_id: str, user: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": review_id,
        "node_id": "MDE3OlB1bGxSZXF1ZXN0UmV2aWV3ODA=",
        "user": user,
        "body": body,
        "state": state,
        "html_url": f"https://github.com/{full_name}/pull/{number}#pullrequestreview-{review_id}",
        "pull_request_url": f"{api}/repos/{full_name}/pulls/{number}",
        "_links": {
            "html": {"href": f"https://github.com/{full_name}/pull/{number}#pullrequestreview-{review_id}"},
            "pull_request": {"href": f"{api}/repos/{full_name}/pulls/{number}"},
        },
        "submitted_at": "2019-11-17T17:43:43Z" if state != "PENDING" else None,
        "commit_id": commit_id,
        "author_association": "CONTRIBUTOR",
    }


def review_comment(api: str, full_name: str, number: int, c: Any) -> dict[str, Any]:
    out = {
        "url": f"{api}/repos/{full_name}/pulls/comments/{c.id}",
        "pull_request_review_id": c.review_id,
        "id": c.id,
        "node_id": "MDI0OlB1bGxSZXF1ZXN0UmV2aWV3Q29tbWVudDEw",
        "diff_hunk": c.diff_hunk,
        "path": c.path,
        "commit_id": c.commit_id,
        "original_commit_id": c.commit_id,
        "user": c.user,
        "body": c.body,
        "created_at": "2011-04-14T16:00:49Z",
        "updated_at": "2011-04-14T16:00:49Z",
        "html_url": f"https://github.com/{full_name}/pull/{number}#discussion-diff-{c.id}",
        "pull_request_url": f"{api}/repos/{full_name}/pulls/{number}",
        "author_association": "NONE",
        "start_line": c.start_line,
        "original_start_line": c.start_line,
        "start_side": "RIGHT" if c.start_line else None,
        "line": c.line,
        "original_line": c.line,
        "side": "RIGHT",
        "subject_type": "line",
    }
    if c.in_reply_to_id is not None:
        out["in_reply_to_id"] = c.in_reply_to_id
    return out


def installation(api: str, installation_id: int, app_id: int, account: str) -> dict[str, Any]:
    return {
        "id": installation_id,
        "account": {**USER, "login": account},
        "access_tokens_url": f"{api}/app/installations/{installation_id}/access_tokens",
        "repositories_url": f"{api}/installation/repositories",
        "html_url": f"https://github.com/organizations/{account}/settings/installations/{installation_id}",
        "app_id": app_id,
        "target_id": 1,
        "target_type": "Organization",
        "permissions": {"pull_requests": "write", "contents": "read", "metadata": "read"},
        "events": ["pull_request"],
        "created_at": "2018-02-09T20:51:14Z",
        "updated_at": "2018-02-09T20:51:14Z",
        "single_file_name": None,
        "app_slug": "speedhints",
        "repository_selection": "selected",
    }


def access_token(token: str, expires_at: str, permissions: dict[str, str]) -> dict[str, Any]:
    return {"token": token, "expires_at": expires_at, "permissions": permissions, "repository_selection": "selected"}
