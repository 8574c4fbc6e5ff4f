"""Tests of the local GitHub fake, driven by the real PyGithub client and plain urllib.

Every answer the fake gives in these tests is checked against GitHub's official
OpenAPI description (``@octokit/openapi``) when the fixture tears down, so the shapes
the grader's adapter sees here are the shapes api.github.com documents.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from fakegithub import (
    BOT_LOGIN,
    SERVED_OPERATIONS,
    ContractViolation,
    FakeGitHub,
    OpenAPIContract,
    load_contract,
    webhook_actions,
    webhook_example,
    webhook_examples,
)
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    GithubRetry,
    RateLimitExceededException,
    UnknownObjectException,
)

T0 = datetime(2026, 11, 24, 5, 0, 0, tzinfo=UTC)
TOKEN = "test-token"


def _contract_or_none() -> OpenAPIContract | None:
    try:
        return load_contract()
    except pytest.skip.Exception:
        return None


@pytest.fixture(scope="session")
def contract() -> OpenAPIContract:
    return load_contract()


@pytest.fixture
def srv() -> Iterator[FakeGitHub]:
    """A started fake; on teardown every answer is contract-checked and threads are gone."""
    before = set(threading.enumerate())
    fake = FakeGitHub()
    fake.set_now(T0)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.server_errors == []
    leaked = [t for t in threading.enumerate() if t not in before]
    assert leaked == []
    checker = _contract_or_none()
    if checker is not None:
        checker.validate_recorded(fake.requests)


def client(fake: FakeGitHub, **kwargs: Any) -> Github:
    # PyGithub throttles itself by default (0.25 s between requests, 1 s between
    # writes); that is for api.github.com, not for a local fake.
    options: dict[str, Any] = {
        "per_page": 100,
        "retry": None,
        "seconds_between_requests": None,
        "seconds_between_writes": None,
    }
    options.update(kwargs)
    return Github(base_url=fake.base_url, auth=Auth.Token(TOKEN), **options)


@pytest.fixture
def gh(srv: FakeGitHub) -> Iterator[Github]:
    g = client(srv)
    try:
        yield g
    finally:
        g.close()


def call(
    fake: FakeGitHub,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = TOKEN,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """One plain urllib request; returns (status, lower-cased headers, parsed JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(fake.base_url + path, data=data, method=method)
    req.add_header("Accept", "application/vnd.github+json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            status, hdrs = resp.status, {k.lower(): v for k, v in resp.headers.items()}
    except urllib.error.HTTPError as err:
        with err:
            raw = err.read()
            status, hdrs = err.code, {k.lower(): v for k, v in err.headers.items()}
    return status, hdrs, json.loads(raw) if raw else None


def seed_issues(fake: FakeGitHub, n: int) -> None:
    for i in range(n):
        fake.add_issue(title=f"ticket {i + 1}", created_at=T0 - timedelta(hours=n - i))


# --------------------------------------------------------------------- lifecycle


def test_binds_loopback_only_and_urls_point_back_at_it(srv: FakeGitHub) -> None:
    assert srv.base_url.startswith("http://127.0.0.1:")
    assert srv._httpd is not None and srv._httpd.server_address[0] == "127.0.0.1"
    issue = srv.add_issue(title="one")
    status, _, body = call(srv, "GET", "/repos/acme/desk/issues/1")
    assert status == 200
    api_urls = [v for k, v in body.items() if k.endswith("url") and "api" not in k]
    assert body["url"] == f"{srv.base_url}/repos/acme/desk/issues/1" == issue["url"]
    assert body["html_url"] == "https://github.com/acme/desk/issues/1"
    assert body["repository_url"] == f"{srv.base_url}/repos/acme/desk"
    assert all(u.startswith((srv.base_url, "https://github.com/")) for u in api_urls)


def test_seeding_before_start_is_rebased_and_restart_is_clean() -> None:
    before = set(threading.enumerate())
    fake = FakeGitHub()
    with pytest.raises(RuntimeError):
        _ = fake.base_url
    seeded = fake.add_issue(title="early", labels=["bug"])
    with fake:
        first = fake.base_url
        assert seeded["url"] == f"{first}/repos/acme/desk/issues/1"
        assert fake.labels["bug"]["url"] == f"{first}/repos/acme/desk/labels/bug"
        assert call(fake, "GET", "/repos/acme/desk/issues/1")[0] == 200
    with fake:
        assert seeded["url"].startswith(fake.base_url)
        assert call(fake, "GET", "/repos/acme/desk/issues/1")[2]["title"] == "early"
    assert [t for t in threading.enumerate() if t not in before] == []


def test_stop_ends_kept_alive_connections_and_sleeping_answers() -> None:
    before = set(threading.enumerate())
    fake = FakeGitHub()
    fake.add_issue(title="x")
    fake.start()
    g = client(fake)
    g.get_repo("acme/desk").get_issue(1)  # leaves a keep-alive connection open
    fake.inject(method="GET", path=r"/issues/1$", kind="timeout", delay=30)
    done = threading.Event()

    def slow() -> None:
        try:
            client_slow = client(fake, timeout=60)
            try:
                client_slow.get_repo("acme/desk").get_issue(1)
            finally:
                client_slow.close()
        except Exception:
            pass
        done.set()

    worker = threading.Thread(target=slow)
    worker.start()
    deadline = time.monotonic() + 5
    while fake.pending_faults and time.monotonic() < deadline:
        time.sleep(0.01)
    fake.stop()
    # stop() gives handler threads 10 s to end and reports those still running: the answer
    # held for 30 s must have been cut short.
    assert fake.server_errors == []
    worker.join(10)
    assert done.is_set()
    g.close()
    assert [t for t in threading.enumerate() if t not in before] == []


# --------------------------------------------------------------------- issues list


def test_pagination_of_250_issues_through_pygithub(srv: FakeGitHub, gh: Github) -> None:
    seed_issues(srv, 250)
    repo = gh.get_repo("acme/desk")
    numbers = [i.number for i in repo.get_issues(state="all")]
    assert numbers == list(range(250, 0, -1))  # created desc
    pages = [r for r in srv.requests if r.route == "/repos/{owner}/{repo}/issues"]
    assert [len(r.response_json) for r in pages] == [100, 100, 50]
    assert [r.query.get("page") for r in pages] == [None, "2", "3"]
    # Link targets use GitHub's /repositories/{id} form; PyGithub follows them.
    assert all(r.raw_path == f"/repositories/{srv.repo_id}/issues" for r in pages[1:])
    assert all(r.path == "/repos/acme/desk/issues" for r in pages)
    assert repo.get_issues(state="all").totalCount == 250


def test_link_header_is_formatted_like_github(srv: FakeGitHub) -> None:
    seed_issues(srv, 250)
    root = f"{srv.base_url}/repositories/{srv.repo_id}/issues"

    _, h1, b1 = call(srv, "GET", "/repos/acme/desk/issues?state=all&per_page=100")
    assert len(b1) == 100
    assert h1["link"] == (
        f'<{root}?state=all&per_page=100&page=2>; rel="next", <{root}?state=all&per_page=100&page=3>; rel="last"'
    )
    _, h2, _ = call(srv, "GET", "/repos/acme/desk/issues?state=all&per_page=100&page=2")
    assert h2["link"] == (
        f'<{root}?state=all&per_page=100&page=1>; rel="prev", '
        f'<{root}?state=all&per_page=100&page=3>; rel="next", '
        f'<{root}?state=all&per_page=100&page=3>; rel="last", '
        f'<{root}?state=all&per_page=100&page=1>; rel="first"'
    )
    _, h3, b3 = call(srv, "GET", f"/repositories/{srv.repo_id}/issues?state=all&per_page=100&page=3")
    assert len(b3) == 50
    assert h3["link"] == (
        f'<{root}?state=all&per_page=100&page=2>; rel="prev", <{root}?state=all&per_page=100&page=1>; rel="first"'
    )
    _, h_default, b_default = call(srv, "GET", "/repos/acme/desk/issues")
    assert len(b_default) == 30  # default per_page
    assert h_default["link"].endswith(f'<{root}?page=9>; rel="last"')
    _, _, b_max = call(srv, "GET", "/repos/acme/desk/issues?per_page=500")
    assert len(b_max) == 100  # per_page is capped at 100
    _, h_one, _ = call(srv, "GET", "/repos/acme/desk/labels")
    assert "link" not in h_one  # everything on one page: no Link header


def test_list_filters_and_sorting(srv: FakeGitHub, gh: Github) -> None:
    a = srv.add_issue(title="a", labels=["bug", "P1"], created_at=T0 - timedelta(days=3))
    srv.add_issue(title="b", labels=["bug"], created_at=T0 - timedelta(days=2), assignees=["dave"])
    srv.add_issue(title="c", state="closed", created_at=T0 - timedelta(days=1))
    pr = srv.add_issue(title="pr", is_pull_request=True, created_at=T0)
    srv.add_comment(1, body="x", created_at=T0 - timedelta(hours=1))
    repo = gh.get_repo("acme/desk")

    assert [i.title for i in repo.get_issues()] == ["pr", "b", "a"]
    assert [i.title for i in repo.get_issues(state="closed")] == ["c"]
    assert [i.title for i in repo.get_issues(state="all", direction="asc")] == ["a", "b", "c", "pr"]
    assert [i.title for i in repo.get_issues(labels=["bug", "p1"])] == ["a"]  # AND, any case
    assert [i.title for i in repo.get_issues(assignee="dave")] == ["b"]
    assert repo.get_issues(sort="updated")[0].title == "pr"
    assert repo.get_issues(sort="comments")[0].title == "a"
    # a was commented at T0-1h, so its updated_at moved past b's
    assert a["updated_at"] == "2026-11-24T04:00:00Z"
    pulls = [i for i in repo.get_issues() if i.pull_request is not None]
    assert [i.number for i in pulls] == [pr["number"]]
    assert pr["html_url"].endswith(f"/pull/{pr['number']}")
    status, _, body = call(srv, "GET", "/repos/acme/desk/issues?state=everything")
    assert status == 422 and body["errors"][0]["field"] == "state"


def test_since_is_inclusive_on_updated_at(srv: FakeGitHub, gh: Github) -> None:
    for hours in (5, 3, 1):
        srv.add_issue(title=f"{hours}h", created_at=T0 - timedelta(hours=hours))
    repo = gh.get_repo("acme/desk")
    since = T0 - timedelta(hours=3)
    assert [i.title for i in repo.get_issues(since=since)] == ["1h", "3h"]
    srv.set_now(T0 + timedelta(minutes=1))
    repo.get_issue(1).create_comment("bump")  # moves #1's updated_at to now
    assert {i.title for i in repo.get_issues(since=T0)} == {"5h"}
    status, _, body = call(srv, "GET", "/repos/acme/desk/issues?since=yesterday")
    assert status == 422 and body["errors"][0]["field"] == "since"


# --------------------------------------------------------------------- writes


def test_writes_bump_updated_at_and_record_bot_events(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t", created_at=T0 - timedelta(days=1))
    issue = gh.get_repo("acme/desk").get_issue(1)
    srv.reset_counts()
    srv.set_now(T0 + timedelta(minutes=5))
    issue.add_to_labels("triage")
    assert srv.issues[1]["updated_at"] == "2026-11-24T05:05:00Z"
    assert srv.labels["triage"]["color"] == "ededed"  # created on the fly
    srv.set_now(T0 + timedelta(minutes=6))
    issue.add_to_assignees("dave")
    issue.create_comment("hi")
    issue.edit(state="closed")
    issue.add_to_labels("triage")  # already there: no change, no event, no write
    assert srv.writes() == 4
    assert srv.count("POST") == 4 and srv.count(path_contains="/labels") == 2
    stored = srv.issues[1]
    assert stored["updated_at"] == "2026-11-24T05:06:00Z"
    assert stored["comments"] == 1
    assert stored["closed_at"] == "2026-11-24T05:06:00Z"
    assert stored["state_reason"] == "completed"
    assert stored["closed_by"]["login"] == BOT_LOGIN
    events = [(e["event"], e["actor"]["login"], e["actor"]["type"]) for e in srv.issue_events(1)]
    assert events == [
        ("labeled", BOT_LOGIN, "Bot"),
        ("assigned", BOT_LOGIN, "Bot"),
        ("closed", BOT_LOGIN, "Bot"),
    ]
    comment = next(iter(srv.comments.values()))
    assert comment["user"]["login"] == BOT_LOGIN
    assert comment["performed_via_github_app"]["slug"] == "github-actions"


def test_close_with_reason_then_reopen(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t")
    issue = gh.get_repo("acme/desk").get_issue(1)
    issue.edit(state="closed", state_reason="not_planned")
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    assert issue.closed_at == T0
    issue.edit(state="open")
    assert (issue.state, issue.state_reason, issue.closed_at) == ("open", "reopened", None)
    issue.edit(title="renamed", body="new body")
    assert [e.event for e in issue.get_events()] == ["closed", "reopened", "renamed"]
    assert srv.events[-1]["rename"] == {"from": "t", "to": "renamed"}


def test_create_issue_labels_and_assignees(srv: FakeGitHub, gh: Github) -> None:
    srv.add_label("bug", "d73a4a", "Something isn't working")
    repo = gh.get_repo("acme/desk")
    created = repo.create_issue("New ticket", body="help", labels=["BUG", "新"], assignees=["e"])
    assert created.number == 1 and created.user.login == BOT_LOGIN
    assert [lb.name for lb in created.labels] == ["bug", "新"]  # existing label matched
    assert [u.login for u in created.assignees] == ["e"]
    record = srv.requests[-1]
    assert record.status == 201
    assert record.response_headers["Location"] == f"{srv.base_url}/repos/acme/desk/issues/1"
    assert [e["event"] for e in srv.issue_events(1)] == ["labeled", "labeled", "assigned"]
    assert srv.issues[1]["body"] == "help"
    assert repo.create_issue("No body").body is None  # GitHub answers null for no body


def test_assignees_add_remove_and_restrictions(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t", assignees=["dave"])
    issue = gh.get_repo("acme/desk").get_issue(1)
    issue.add_to_assignees("erin", "DAVE")
    assert [u.login for u in issue.assignees] == ["dave", "erin"]
    issue.remove_from_assignees("dave")
    assert [u.login for u in issue.assignees] == ["erin"]
    assert srv.issues[1]["assignee"]["login"] == "erin"
    srv.set_assignable(["erin", "frank"])
    issue.add_to_assignees("mallory")  # silently dropped, as on GitHub
    assert [u["login"] for u in srv.issues[1]["assignees"]] == ["erin"]
    with pytest.raises(GithubException) as err:
        issue.edit(assignees=["mallory"])
    assert err.value.status == 422
    assert err.value.data["errors"][0] == {
        "resource": "Issue",
        "field": "assignees",
        "code": "invalid",
        "value": "mallory",
    }


def test_comments_repo_wide_and_per_issue(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="a")
    srv.add_issue(title="b")
    for i in range(130):
        srv.add_comment(1 + i % 2, body=f"c{i}", created_at=T0 + timedelta(minutes=i))
    repo = gh.get_repo("acme/desk")
    everything = list(repo.get_issues_comments())
    assert len(everything) == 130
    ids = [c.id for c in everything]
    assert ids == sorted(ids)  # ascending by default
    newest = repo.get_issues_comments(sort="created", direction="desc")[0]
    assert newest.body == "c129"
    since = list(repo.get_issues_comments(since=T0 + timedelta(minutes=120)))
    assert [c.body for c in since] == [f"c{i}" for i in range(120, 130)]
    on_one = list(repo.get_issue(1).get_comments())
    assert [c.body for c in on_one][:3] == ["c0", "c2", "c4"] and len(on_one) == 65
    later = list(repo.get_issue(2).get_comments(since=T0 + timedelta(minutes=125)))
    assert [c.body for c in later] == ["c125", "c127", "c129"]
    assert srv.issues[1]["comments"] == 65


def test_comment_get_edit_and_delete(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="a", created_at=T0 - timedelta(days=1))
    seeded = srv.add_comment(1, body="first", created_at=T0 - timedelta(hours=1))
    issue = gh.get_repo("acme/desk").get_issue(1)
    comment = issue.get_comment(seeded["id"])
    srv.set_now(T0 + timedelta(minutes=2))
    srv.reset_counts()
    comment.edit("first (edited)")
    comment.edit("first (edited)")  # identical body: no change
    assert srv.writes() == 1 and srv.count("PATCH") == 2
    assert srv.comments[seeded["id"]]["updated_at"] == "2026-11-24T05:02:00Z"
    assert srv.comments[seeded["id"]]["created_at"] == "2026-11-24T04:00:00Z"
    assert srv.issues[1]["updated_at"] == "2026-11-24T05:02:00Z"
    comment.delete()
    assert srv.issues[1]["comments"] == 0
    with pytest.raises(UnknownObjectException):
        issue.get_comment(seeded["id"])


def test_events_repo_newest_first_issue_oldest_first(srv: FakeGitHub, gh: Github, contract: OpenAPIContract) -> None:
    srv.add_label("P1", "b60205")
    srv.add_issue(title="a", state="closed")
    srv.add_issue(title="b")
    srv.add_event(1, event="labeled", label="P1", created_at=T0 - timedelta(hours=3))
    srv.add_event(2, event="assigned", assignee="dave", created_at=T0 - timedelta(hours=2))
    srv.add_event(1, event="closed", created_at=T0 - timedelta(hours=1))
    repo = gh.get_repo("acme/desk")
    repo_events = list(repo.get_issues_events())
    assert [(e.event, e.issue.number) for e in repo_events] == [
        ("closed", 1),
        ("assigned", 2),
        ("labeled", 1),
    ]
    assert repo_events[2].label.name == "P1"
    assert repo_events[1].assignee.login == "dave" and repo_events[1].actor.login == "carol"
    per_issue = list(repo.get_issue(1).get_events())
    assert [e.event for e in per_issue] == ["labeled", "closed"]
    # Each event also matches its own, stricter, per-kind schema.
    repo.get_issue(1).add_to_labels("x")
    repo.get_issue(1).add_to_assignees("erin")
    repo.get_issue(1).remove_from_assignees("erin")
    repo.get_issue(1).edit(state="open", title="renamed")
    status, _, body = call(srv, "GET", "/repos/acme/desk/issues/1/events")
    kinds = {
        "labeled": "labeled-issue-event",
        "unlabeled": "unlabeled-issue-event",
        "assigned": "assigned-issue-event",
        "unassigned": "unassigned-issue-event",
        "closed": "state-change-issue-event",
        "reopened": "state-change-issue-event",
        "renamed": "renamed-issue-event",
    }
    assert status == 200 and {e["event"] for e in body} == set(kinds) - {"unlabeled"}
    for event in body:
        assert "issue" not in event
        contract.validate_schema(kinds[event["event"]], event)
    status, _, single = call(srv, "GET", f"/repos/acme/desk/issues/events/{body[0]['id']}")
    assert status == 200 and single["issue"]["number"] == 1


# --------------------------------------------------------------------- labels


@pytest.mark.parametrize("name", ["priority:high", "类型:缺陷", "needs info", "a/b"])
def test_label_names_with_colon_chinese_space_and_slash(srv: FakeGitHub, gh: Github, name: str) -> None:
    srv.add_issue(title="t", labels=["keep"])
    issue = gh.get_repo("acme/desk").get_issue(1)
    issue.add_to_labels(name)
    assert srv.label_names(1) == ["keep", name]
    assert [i.number for i in gh.get_repo("acme/desk").get_issues(labels=[name])] == [1]
    status, _, labels = call(srv, "DELETE", "/repos/acme/desk/issues/1/labels/" + urllib.parse.quote(name, ""))
    assert status == 200 and [x["name"] for x in labels] == ["keep"]
    assert srv.requests[-1].path == f"/repos/acme/desk/issues/1/labels/{name}"
    assert "%" in srv.requests[-1].raw_path  # sent percent-encoded, recorded decoded
    issue.add_to_labels(name)
    if "/" not in name:  # PyGithub quotes with safe="/", so a slash splits the path
        issue.remove_from_labels(name)
        assert srv.label_names(1) == ["keep"]
    fetched = gh.get_repo("acme/desk").get_label(name)
    assert fetched.name == name and fetched.color == "ededed"


def test_label_crud_and_issue_label_replacement(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t", labels=["old"])
    repo = gh.get_repo("acme/desk")
    label = repo.create_label("sla:breached", "ff0000", "Past its SLA")
    assert (label.name, label.color, label.description) == (
        "sla:breached",
        "ff0000",
        "Past its SLA",
    )
    with pytest.raises(GithubException) as dup:
        repo.create_label("SLA:Breached", "00ff00")
    assert dup.value.status == 422
    assert dup.value.data["errors"] == [{"resource": "Label", "field": "name", "code": "already_exists"}]
    issue = repo.get_issue(1)
    issue.set_labels("sla:breached", "new")
    assert srv.label_names(1) == ["sla:breached", "new"]
    label.edit("sla:late", "aa0000", "renamed")
    assert srv.label_names(1) == ["sla:late", "new"]  # issues see the rename
    assert [lb.name for lb in repo.get_labels()] == ["old", "sla:late", "new"]
    with pytest.raises(GithubException) as missing:
        issue.remove_from_labels("old")
    assert missing.value.status == 404
    assert missing.value.data["message"] == "Label does not exist"
    issue.delete_labels()
    assert srv.label_names(1) == []
    repo.get_label("new").delete()
    assert "new" not in srv.labels
    assert [e["event"] for e in srv.issue_events(1)] == [
        "unlabeled",
        "labeled",
        "labeled",
        "unlabeled",
        "unlabeled",
    ]


def test_labels_endpoint_accepts_every_documented_body_shape(srv: FakeGitHub) -> None:
    srv.add_issue(title="t")
    assert call(srv, "POST", "/repos/acme/desk/issues/1/labels", ["a"])[0] == 200
    assert call(srv, "POST", "/repos/acme/desk/issues/1/labels", {"labels": ["b"]})[0] == 200
    status, _, body = call(srv, "POST", "/repos/acme/desk/issues/1/labels", {"labels": [{"name": "c"}]})
    assert status == 200 and [x["name"] for x in body] == ["a", "b", "c"]
    status, _, body = call(srv, "PUT", "/repos/acme/desk/issues/1/labels", {"labels": ["z"]})
    assert status == 200 and [x["name"] for x in body] == ["z"]
    status, _, body = call(srv, "GET", "/repos/acme/desk/issues/1/labels")
    assert status == 200 and [x["name"] for x in body] == ["z"]


# --------------------------------------------------------------------- errors


def test_validation_errors_have_githubs_shape(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t")
    repo = gh.get_repo("acme/desk")
    issue = repo.get_issue(1)
    cases = [
        (
            lambda: repo.create_issue(""),
            {"resource": "Issue", "field": "title", "code": "missing_field"},
        ),
        (
            lambda: issue.edit(title=""),
            {"resource": "Issue", "field": "title", "code": "missing_field"},
        ),
        (
            lambda: issue.edit(state="done"),
            {"resource": "Issue", "field": "state", "code": "invalid", "value": "done"},
        ),
        (
            lambda: issue.add_to_labels("x" * 51),
            {
                "resource": "Label",
                "field": "name",
                "code": "custom",
                "message": "name is too long (maximum is 50 characters)",
            },
        ),
        (
            lambda: repo.create_label("ok", "red"),
            {"resource": "Label", "field": "color", "code": "invalid"},
        ),
        (
            lambda: issue.create_comment(""),
            {"resource": "IssueComment", "field": "body", "code": "missing_field"},
        ),
    ]
    for action, error in cases:
        with pytest.raises(GithubException) as err:
            action()
        assert err.value.status == 422
        assert err.value.data["message"] == "Validation Failed"
        assert err.value.data["errors"] == [error]
        assert err.value.data["documentation_url"].startswith("https://docs.github.com/rest/")
    assert srv.writes() == 0 and srv.issues[1]["title"] == "t"
    status, _, body = call(srv, "PATCH", "/repos/acme/desk/issues/1", ["not", "an", "object"])
    assert status == 422 and body["message"].startswith("Invalid request.")
    req = urllib.request.Request(
        srv.base_url + "/repos/acme/desk/issues",
        data=b"{oops",
        method="POST",
        headers={"Authorization": f"token {TOKEN}"},
    )
    with pytest.raises(urllib.error.HTTPError) as bad_json:
        urllib.request.urlopen(req, timeout=10)
    with bad_json.value as resp:
        assert resp.code == 400
        assert json.loads(resp.read())["message"] == "Problems parsing JSON"


def test_not_found_answers(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t")
    repo = gh.get_repo("acme/desk")
    with pytest.raises(UnknownObjectException):
        repo.get_issue(99)
    with pytest.raises(UnknownObjectException):
        repo.get_issue(1).get_comment(12345)
    for path in (
        "/repos/acme/desk/issues/comments/1",
        "/repos/acme/other",
        "/repos/acme/desk/nothing",
        "/repos/acme/desk/issues/abc",
    ):
        status, _, body = call(srv, "GET", path)
        assert status == 404 and body["message"] == "Not Found", path
    assert call(srv, "GET", "/repos/ACME/Desk")[0] == 200  # owner/repo are case-insensitive


def test_authentication(srv: FakeGitHub) -> None:
    srv.add_issue(title="t")
    bad = Github(base_url=srv.base_url, auth=Auth.Token("wrong"), retry=None, seconds_between_requests=None)
    try:
        with pytest.raises(BadCredentialsException):
            bad.get_repo("acme/desk")
    finally:
        bad.close()
    status, headers, body = call(srv, "GET", "/repos/acme/desk/issues", token=None)
    assert status == 401 and body["message"] == "Requires authentication"
    assert headers["x-ratelimit-remaining"] == "5000"  # not counted against the token


def test_get_user_is_forbidden_for_the_actions_token(srv: FakeGitHub, gh: Github) -> None:
    with pytest.raises(GithubException) as err:
        _ = gh.get_user().login
    assert err.value.status == 403
    assert err.value.data["message"] == "Resource not accessible by integration"


# --------------------------------------------------------------------- rate limit


def test_rate_limit_headers_on_every_answer(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t")
    seen = []
    for path in ("/repos/acme/desk", "/repos/acme/desk/issues", "/repos/acme/desk/issues/9"):
        _, headers, _ = call(srv, "GET", path)
        seen.append(int(headers["x-ratelimit-remaining"]))
        assert headers["x-ratelimit-limit"] == "5000"
        assert headers["x-ratelimit-resource"] == "core"
        assert int(headers["x-ratelimit-used"]) == 5000 - seen[-1]
        assert int(headers["x-ratelimit-reset"]) > srv.now().timestamp()  # on the server clock, like Date
        assert headers["x-github-api-version-selected"] == "2022-11-28"
    assert seen == [4999, 4998, 4997]  # the 404 counts too
    assert email.utils.parsedate_to_datetime(headers["date"]) == srv.now()  # the server clock
    _, headers, body = call(srv, "GET", "/rate_limit")
    assert headers["x-ratelimit-remaining"] == "4997"  # /rate_limit is free
    assert body["resources"]["core"] == body["rate"]
    assert body["rate"]["remaining"] == 4997 and body["rate"]["used"] == 3
    gh.get_repo("acme/desk")
    assert gh.rate_limiting == (4996, 5000)
    assert gh.get_rate_limit().resources.core.remaining == 4996


def test_rate_limit_exhaustion() -> None:
    with FakeGitHub(rate_limit=3) as fake:
        g = client(fake)
        try:
            repo = g.get_repo("acme/desk")
            fake.add_issue(title="t")
            repo.get_issue(1)
            repo.get_issue(1)
            with pytest.raises(RateLimitExceededException) as err:
                repo.get_issue(1)
            assert err.value.status == 403
            assert err.value.data["message"].startswith("API rate limit exceeded")
            assert err.value.headers["x-ratelimit-remaining"] == "0"
            status, headers, _ = call(fake, "GET", "/rate_limit")
            assert status == 200 and headers["x-ratelimit-used"] == "3"
            fake.set_rate_remaining(1)
            assert repo.get_issue(1).title == "t"
        finally:
            g.close()
        load = _contract_or_none()
        if load is not None:
            load.validate_recorded(fake.requests)


def test_conditional_get_answers_304_without_spending_the_limit(srv: FakeGitHub) -> None:
    srv.add_issue(title="t")
    _, headers, _ = call(srv, "GET", "/repos/acme/desk/issues/1")
    etag = headers["etag"]
    status, headers, body = call(srv, "GET", "/repos/acme/desk/issues/1", headers={"If-None-Match": etag})
    assert status == 304 and body is None and headers["x-ratelimit-remaining"] == "4999"
    call(srv, "PATCH", "/repos/acme/desk/issues/1", {"title": "changed"})
    status, _, body = call(srv, "GET", "/repos/acme/desk/issues/1", headers={"If-None-Match": etag})
    assert status == 200 and body["title"] == "changed"


# --------------------------------------------------------------------- faults


@pytest.mark.parametrize("kind", ["500", "502"])
def test_server_errors_are_not_performed(srv: FakeGitHub, gh: Github, kind: str) -> None:
    srv.add_issue(title="t")
    issue = gh.get_repo("acme/desk").get_issue(1)
    srv.inject(method="POST", path=r"/issues/\d+/labels$", kind=kind)  # type: ignore[arg-type]
    with pytest.raises(GithubException) as err:
        issue.add_to_labels("x")
    assert err.value.status == int(kind)
    assert srv.label_names(1) == [] and srv.writes() == 0
    assert srv.requests[-1].fault == kind
    issue.add_to_labels("x")  # times=1: the next one goes through
    assert srv.label_names(1) == ["x"]


def test_injected_404_and_422(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t")
    repo = gh.get_repo("acme/desk")
    srv.inject(method="GET", path=r"/issues/1$", kind="404")
    with pytest.raises(UnknownObjectException):
        repo.get_issue(1)
    srv.inject(method="POST", path=r"/comments$", kind="422")
    issue = repo.get_issue(1)
    with pytest.raises(GithubException) as err:
        issue.create_comment("x")
    assert err.value.status == 422 and err.value.data["message"] == "Validation Failed"
    assert srv.comments == {}


def test_after_and_times_select_which_requests_fail(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t")
    repo = gh.get_repo("acme/desk")
    srv.inject(method="*", path=r"^/repos/acme/desk/issues/1$", kind="500", after=1, times=2)
    outcomes = []
    for _ in range(4):
        try:
            repo.get_issue(1)
            outcomes.append("ok")
        except GithubException as err:
            outcomes.append(str(err.status))
    assert outcomes == ["ok", "500", "500", "ok"]
    assert srv.pending_faults == 0


def test_secondary_rate_limit(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t")
    srv.inject(method="PATCH", path=r"/issues/1$", kind="secondary_limit", retry_after=7)
    issue = gh.get_repo("acme/desk").get_issue(1)
    with pytest.raises(RateLimitExceededException) as err:
        issue.edit(title="new")
    assert err.value.status == 403
    assert err.value.headers["retry-after"] == "7"
    assert "secondary rate limit" in err.value.data["message"]
    assert srv.issues[1]["title"] == "t"


def test_secondary_rate_limit_is_retried_by_githubs_retry_policy(srv: FakeGitHub) -> None:
    srv.add_issue(title="t")
    srv.inject(method="GET", path=r"/issues/1$", kind="secondary_limit", retry_after=1)
    waits: list[float | None] = []

    class WatchedRetry(GithubRetry):
        def sleep_for_retry(self, response: Any) -> bool:
            waits.append(self.get_retry_after(response))
            return bool(super().sleep_for_retry(response))

    g = client(srv, retry=WatchedRetry(total=2))
    try:
        assert g.get_repo("acme/desk").get_issue(1).title == "t"
    finally:
        g.close()
    assert waits == [1]  # the client waited as long as the fake's Retry-After said
    assert [r.status for r in srv.requests if r.path.endswith("/issues/1")] == [403, 200]


def test_timeout_performs_the_write_but_the_client_gives_up(srv: FakeGitHub) -> None:
    srv.add_issue(title="t")
    g = client(srv, timeout=1)
    try:
        issue = g.get_repo("acme/desk").get_issue(1)
        srv.inject(method="POST", path=r"/comments$", kind="timeout", delay=3)
        # The answer comes after 3 s; a client that waited for it would raise nothing.
        with pytest.raises(requests.exceptions.Timeout):
            issue.create_comment("maybe posted")
        assert [c["body"] for c in srv.comments.values()] == ["maybe posted"]
        assert srv.requests[-1].fault == "timeout" and srv.requests[-1].changed
        assert issue.get_comments().totalCount == 1  # the client carries on afterwards
    finally:
        g.close()


def test_drop_after_write_closes_the_connection_without_an_answer(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t")
    issue = gh.get_repo("acme/desk").get_issue(1)
    srv.inject(method="POST", path=r"/labels$", kind="drop_after_write")
    with pytest.raises(requests.exceptions.ConnectionError):
        issue.add_to_labels("done")
    assert srv.label_names(1) == ["done"]  # performed all the same
    assert srv.writes() == 1
    assert [lb.name for lb in gh.get_repo("acme/desk").get_issue(1).labels] == ["done"]


def test_fail_after_writes(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t")
    issue = gh.get_repo("acme/desk").get_issue(1)
    srv.fail_after_writes(2)
    issue.add_to_labels("a")
    issue.add_to_labels("a")  # no change: does not use up the budget
    issue.create_comment("one")
    with pytest.raises(GithubException) as err:
        issue.add_to_labels("b")
    assert err.value.status == 500
    with pytest.raises(GithubException):
        issue.edit(state="closed")
    assert issue.get_comments().totalCount == 1  # reads still work
    assert srv.label_names(1) == ["a"] and srv.issues[1]["state"] == "open"
    assert srv.writes() == 2
    assert [r.fault for r in srv.requests if r.fault] == ["fail_after_writes"] * 2
    srv.fail_after_writes(None)
    issue.edit(state="closed")
    assert srv.issues[1]["state"] == "closed"


def test_inject_rejects_bad_arguments() -> None:
    fake = FakeGitHub()
    with pytest.raises(ValueError):
        fake.inject(method="GET", path=".", kind="418")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        fake.inject(method="GET", path=".", kind="timeout")


# --------------------------------------------------------------------- concurrency


def test_concurrent_clients_see_consistent_state(srv: FakeGitHub) -> None:
    srv.add_issue(title="t")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        g = client(srv)
        try:
            issue = g.get_repo("acme/desk").get_issue(1)
            for i in range(5):
                issue.create_comment(f"w{n}-{i}")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            g.close()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert errors == []
    assert srv.issues[1]["comments"] == 20 == len(srv.comments)
    assert srv.writes() == 20


# --------------------------------------------------------------------- contract


def test_every_served_operation_matches_githubs_openapi(srv: FakeGitHub) -> None:
    contract = load_contract()
    fresh = OpenAPIContract(contract.spec)
    srv.add_issue(title="a", labels=["bug"])
    srv.add_issue(title="pr", is_pull_request=True)
    srv.add_comment(1, body="hello")
    srv.add_event(1, event="labeled", label="bug")
    cid = next(iter(srv.comments))
    base = "/repos/acme/desk"
    script: list[tuple[str, str, Any]] = [
        ("GET", base, None),
        ("GET", f"{base}/issues?state=all", None),
        ("POST", f"{base}/issues", {"title": "new", "labels": ["x"], "assignees": ["d"]}),
        ("POST", f"{base}/issues", {"title": ""}),
        ("GET", f"{base}/issues/1", None),
        ("GET", f"{base}/issues/404", None),
        ("PATCH", f"{base}/issues/1", {"state": "closed", "state_reason": "not_planned"}),
        ("PATCH", f"{base}/issues/1", {"state": "bogus"}),
        ("GET", f"{base}/issues/comments", None),
        ("GET", f"{base}/issues/comments/{cid}", None),
        ("GET", f"{base}/issues/comments/1", None),
        ("PATCH", f"{base}/issues/comments/{cid}", {"body": "edited"}),
        ("PATCH", f"{base}/issues/comments/{cid}", {"body": ""}),
        ("GET", f"{base}/issues/1/comments", None),
        ("POST", f"{base}/issues/1/comments", {"body": "new"}),
        ("POST", f"{base}/issues/404/comments", {"body": "new"}),
        ("GET", f"{base}/issues/events", None),
        ("GET", f"{base}/issues/1/events", None),
        ("GET", f"{base}/issues/1/labels", None),
        ("POST", f"{base}/issues/1/labels", {"labels": ["a:b", "中文"]}),
        ("POST", f"{base}/issues/1/labels", {"labels": ["x" * 60]}),
        ("DELETE", f"{base}/issues/1/labels/{urllib.parse.quote('中文')}", None),
        ("DELETE", f"{base}/issues/1/labels/nope", None),
        ("PUT", f"{base}/issues/1/labels", {"labels": ["bug"]}),
        ("POST", f"{base}/issues/1/assignees", {"assignees": ["erin"]}),
        ("DELETE", f"{base}/issues/1/assignees", {"assignees": ["erin"]}),
        ("GET", f"{base}/labels", None),
        ("POST", f"{base}/labels", {"name": "made", "color": "123456"}),
        ("POST", f"{base}/labels", {"name": "made"}),
        ("GET", f"{base}/labels/made", None),
        ("PATCH", f"{base}/labels/made", {"new_name": "remade", "description": "d"}),
        ("DELETE", f"{base}/labels/remade", None),
        ("DELETE", f"{base}/issues/1/labels", None),
        ("DELETE", f"{base}/issues/comments/{cid}", None),
        ("GET", "/rate_limit", None),
        ("GET", "/user", None),
    ]
    for method, path, body in script:
        call(srv, method, path, body)
    event_id = srv.events[0]["id"]
    call(srv, "GET", f"{base}/issues/events/{event_id}")
    variables = [  # with the token that has the Variables permission
        ("PATCH", f"{base}/actions/variables/TRACKER_WAKE", {"value": "[17 9 * * *]"}),
        ("POST", f"{base}/actions/variables", {"name": "TRACKER_WAKE", "value": ""}),
        ("POST", f"{base}/actions/variables", {"name": "TRACKER_WAKE", "value": ""}),
        ("PATCH", f"{base}/actions/variables/TRACKER_WAKE", {"value": "[17 9 * * *]"}),
        ("GET", f"{base}/actions/variables/TRACKER_WAKE", None),
    ]
    for method, path, body in variables:
        call(srv, method, path, body, token=srv.variables_token)
    assert call(srv, "GET", f"{base}/actions/variables/TRACKER_WAKE")[0] == 403  # the workflow's own token
    assert call(srv, "GET", f"{base}/issues/1", token=srv.variables_token)[0] == 403
    assert srv.variables["TRACKER_WAKE"]["value"] == "[17 9 * * *]"
    assert fresh.validate_recorded(srv.requests) == len(script) + len(variables) + 3
    assert fresh.unvalidated() == []
    statuses = {(r.method, r.route, r.status) for r in srv.requests}
    assert ("POST", "/repos/{owner}/{repo}/issues", 422) in statuses
    assert ("GET", "/user", 403) in statuses
    ids = {fresh.operation_id(m, t) for m, t, _ in SERVED_OPERATIONS}
    assert len(ids) == len(SERVED_OPERATIONS)
    assert {"issues/list-for-repo", "issues/add-labels", "rate-limit/get"} <= ids


def test_contract_checker_rejects_wrong_shapes(contract: OpenAPIContract) -> None:
    with pytest.raises(ContractViolation, match="'number' is a required property"):
        contract.validate_response("GET", "/repos/{owner}/{repo}/issues/{issue_number}", 200, {"id": 1})
    with pytest.raises(ContractViolation, match="answered 201"):
        contract.validate_response("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", 201, [])
    with pytest.raises(ContractViolation, match="date-time"):
        contract.validate_schema(
            "issue-comment",
            {
                "id": 1,
                "node_id": "x",
                "url": "u",
                "html_url": "h",
                "issue_url": "i",
                "user": None,
                "created_at": "2026-11-24 05:00",
                "updated_at": "2026-11-24T05:00:00Z",
            },
        )


# --------------------------------------------------------------------- webhook payloads


def test_webhook_examples_are_real_payloads() -> None:
    opened = webhook_example("issues", "opened")
    assert opened["action"] == "opened"
    assert {"issue", "repository", "sender"} <= opened.keys()
    assert opened["issue"]["number"] > 0
    created = webhook_example("issue_comment", "created")
    assert created["comment"]["body"] and created["issue"]["number"] > 0
    assert len(webhook_examples("issue_comment", "created")) > 1
    assert "labeled" in webhook_actions("issues")
    opened["issue"]["title"] = "changed"
    assert webhook_example("issues", "opened")["issue"]["title"] != "changed"
    with pytest.raises(LookupError, match="actions with examples"):
        webhook_example("issues", "no-such-action")
    with pytest.raises(LookupError, match="events"):
        webhook_example("no_such_event", "opened")


def test_recorded_requests_describe_what_was_sent(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t")
    repo = gh.get_repo("acme/desk")
    list(repo.get_issues(state="closed", labels=["a:b"]))
    repo.get_issue(1).add_to_labels("a:b")
    listing, _, write = srv.requests[-3:]
    assert listing.method == "GET" and listing.query == {
        "state": "closed",
        "labels": "a:b",
        "per_page": "100",
    }
    assert write.method == "POST" and write.path == "/repos/acme/desk/issues/1/labels"
    assert write.body_json == ["a:b"]  # PyGithub sends a bare array
    assert write.status == 200 and write.changed and write.fault is None
    assert srv.count("GET", "/issues") == 2
    srv.reset_counts()
    assert srv.count() == 0 and srv.writes() == 0


def test_fake_issues_carry_every_field_of_real_webhook_issues(srv: FakeGitHub) -> None:
    issue = srv.add_issue(title="x")
    comment = srv.add_comment(1, body="y")
    for event, action in [("issues", "opened"), ("issues", "labeled"), ("issue_comment", "created")]:
        payload = webhook_example(event, action)
        missing = set(payload["issue"]) - set(issue) - {"draft"}  # draft: pull requests only
        assert missing == set(), (event, action)
        assert set(payload["issue"]["user"]) <= set(issue["user"])
        if "comment" in payload:
            assert set(payload["comment"]) <= set(comment)


def test_seeded_bot_items_and_the_clock(srv: FakeGitHub, gh: Github) -> None:
    srv.add_issue(title="t", created_at="2026-11-01T00:00:00+08:00")
    assert srv.issues[1]["created_at"] == "2026-10-31T16:00:00Z"  # stored in UTC
    bot_comment = srv.add_comment(1, body="status", user=BOT_LOGIN)
    assert bot_comment["user"]["type"] == "Bot"
    assert bot_comment["performed_via_github_app"]["name"] == "GitHub Actions"
    assert srv.add_comment(1, body="dep", user="renovate[bot]")["user"]["type"] == "Bot"
    assert srv.advance(90) == T0 + timedelta(seconds=90)
    gh.get_repo("acme/desk").get_issue(1).create_comment("later")
    assert srv.issues[1]["updated_at"] == "2026-11-24T05:01:30Z"
    assert srv.issues[1]["comments"] == 3


def test_record_bodies_can_be_turned_off() -> None:
    with FakeGitHub(record_bodies=False) as fake:
        fake.add_issue(title="t")
        status, _, body = call(fake, "GET", "/repos/acme/desk/issues/1")
    assert status == 200 and body["title"] == "t"
    assert fake.requests[-1].response_json is None
    assert fake.requests[-1].status == 200 and fake.requests[-1].route is not None
