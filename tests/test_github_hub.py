"""GitHubHub against a local fake of GitHub's REST API: requests, faults, budget.

PyGithub talks real HTTP to ``FakeGitHub``; nothing is patched. Sleeping and time go through
a recorder, so retries and ``Retry-After`` waits are checked without waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fakegithub import FakeGitHub

from tracker.errors import BudgetExhausted
from tracker.github_hub import GitHubHub, GitHubRequestError, GitHubUnavailable
from tracker.labels import LabelSpec
from tracker.protocol import marker

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BOT = "github-actions[bot]"


class Recorder:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
def srv() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        fake.set_now(T0)
        fake.add_issue(title="Printer on fire", user="dave", author_association="NONE")
        yield fake
        assert fake.server_errors == []


@pytest.fixture
def time() -> Recorder:
    return Recorder()


@pytest.fixture
def make_hub(srv: FakeGitHub, time: Recorder) -> Iterator:
    hubs: list[GitHubHub] = []

    def make(**options: object) -> GitHubHub:
        hub = GitHubHub(
            "acme/desk",
            "test-token",
            api_url=srv.base_url,
            sleep=time.sleep,
            clock=time.clock,
            **options,  # type: ignore[arg-type]
        )
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.disconnect()


@pytest.fixture
def hub(make_hub) -> GitHubHub:  # type: ignore[no-untyped-def]
    return make_hub()


def _calls(srv: FakeGitHub) -> list[tuple[str, str]]:
    return [(r.method, r.path.removeprefix("/repos/acme/desk")) for r in srv.requests]


# --------------------------------------------------------------------------- labels


def test_adding_labels_is_one_post(srv: FakeGitHub, hub: GitHubHub) -> None:
    hub.set_labels(1, ("grade:major", "type:fault"), ())
    assert _calls(srv) == [("POST", "/issues/1/labels")]
    assert srv.label_names(1) == ["grade:major", "type:fault"]
    assert hub.stats.requests == 1 and hub.stats.writes == 1


def test_removing_one_label_is_one_delete(srv: FakeGitHub, hub: GitHubHub) -> None:
    srv.issues[1]["labels"] = []
    hub.set_labels(1, ("sla:at-risk", "keep"), ())
    srv.reset_counts()
    hub.set_labels(1, (), ("sla:at-risk",))
    assert _calls(srv) == [("DELETE", "/issues/1/labels/sla:at-risk")]
    assert srv.label_names(1) == ["keep"]


def test_removing_a_label_that_is_already_gone_is_fine(srv: FakeGitHub, hub: GitHubHub) -> None:
    hub.set_labels(1, (), ("never-there",))
    assert srv.requests[-1].status == 404
    assert hub.stats.retries == 0


def test_swapping_one_label_needs_no_read(srv: FakeGitHub, hub: GitHubHub) -> None:
    hub.set_labels(1, ("grade:minor", "customer-label"), ())
    srv.reset_counts()
    hub.set_labels(1, ("grade:major",), ("grade:minor",))
    assert _calls(srv) == [("DELETE", "/issues/1/labels/grade:minor"), ("POST", "/issues/1/labels")]
    assert srv.label_names(1) == ["customer-label", "grade:major"]


def test_two_removals_read_then_replace_once(srv: FakeGitHub, hub: GitHubHub) -> None:
    hub.set_labels(1, ("sla:at-risk", "grade:minor", "customer-label"), ())
    srv.reset_counts()
    hub.set_labels(1, ("sla:breach", "grade:major"), ("sla:at-risk", "grade:minor"))
    assert _calls(srv) == [("GET", "/issues/1/labels"), ("PUT", "/issues/1/labels")]
    assert set(srv.label_names(1)) == {"customer-label", "sla:breach", "grade:major"}


def test_a_mixed_change_already_in_place_writes_nothing(srv: FakeGitHub, hub: GitHubHub) -> None:
    hub.set_labels(1, ("grade:major",), ())
    srv.reset_counts()
    hub.set_labels(1, ("grade:major",), ("grade:minor", "sla:at-risk"))
    assert _calls(srv) == [("GET", "/issues/1/labels")]
    assert srv.writes() == 0


def test_ensure_labels_reads_once_and_creates_only_what_is_missing(srv: FakeGitHub, hub: GitHubHub) -> None:
    srv.add_label("grade:major", "000000", "kept as the team coloured it")
    specs = [
        LabelSpec("grade:major", "b60205", "Grade: Major"),
        LabelSpec("sla:breach", "#b60205", "At least one SLA clock ran late"),
        LabelSpec("需要信息", "d876e3", "缺少必填信息"),
    ]
    assert hub.ensure_labels(specs) == ["sla:breach", "需要信息"]
    assert _calls(srv) == [("GET", "/labels"), ("POST", "/labels"), ("POST", "/labels")]
    assert srv.labels["sla:breach"]["color"] == "b60205"
    assert srv.labels["sla:breach"]["description"] == "At least one SLA clock ran late"
    assert srv.labels["grade:major"]["color"] == "000000"
    srv.reset_counts()
    assert hub.ensure_labels(specs) == []
    assert _calls(srv) == [("GET", "/labels")]


# --------------------------------------------------------------------------- comments


def test_find_marked_comment_reads_every_page_and_trusts_only_the_bot(srv: FakeGitHub, hub: GitHubHub) -> None:
    for i in range(130):
        srv.add_comment(1, body=f"comment {i}", user="erin", author_association="NONE")
    srv.add_comment(1, body=f"{marker('esc:response:0:0')}\ncopied", user="mallory")
    assert hub.find_marked_comment(1, "esc:response:0:0") is None
    assert srv.count("GET", "/issues/1/comments") == 2  # 131 comments: two pages
    bots = srv.add_comment(1, body=f"{marker('esc:response:0:0')}\nreal", user=BOT)
    fresh = GitHubHub("acme/desk", "test-token", api_url=srv.base_url)
    try:
        found = fresh.find_marked_comment(1, "esc:response:0:0")
    finally:
        fresh.disconnect()
    assert found is not None and found.id == bots["id"] and found.is_bot


def test_post_and_edit_comment(srv: FakeGitHub, hub: GitHubHub) -> None:
    posted = hub.post_comment(1, f"{marker('status')}\nall good")
    assert posted.author == BOT and posted.is_bot
    hub.edit_comment(1, posted.id, f"{marker('status')}\nstill good")
    assert srv.comments[posted.id]["body"].endswith("still good")
    assert hub.stats.writes == 2


def test_delete_a_comment_once_and_a_comment_already_gone(srv: FakeGitHub, hub: GitHubHub) -> None:
    kept = hub.post_comment(1, f"{marker('esc:response:0:0')}\nsaid")
    copy = hub.post_comment(1, f"{marker('esc:response:0:0')}\nsaid")
    hub.remember_comments(1, [kept, copy])
    hub.delete_comment(1, copy.id)
    assert copy.id not in srv.comments and kept.id in srv.comments
    hub.delete_comment(1, copy.id)  # another run deleted it first: the same outcome
    assert srv.count("DELETE", f"/issues/comments/{copy.id}") == 2
    assert hub.find_marked_comment(1, "esc:response:0:0") == kept
    assert srv.server_errors == []


def test_close_with_a_reason_and_reopen(srv: FakeGitHub, hub: GitHubHub) -> None:
    hub.close(1, "not_planned")
    assert srv.issues[1]["state"] == "closed"
    assert srv.issues[1]["state_reason"] == "not_planned"
    hub.reopen(1)
    assert srv.issues[1]["state"] == "open"


def test_assignees_added_and_removed(srv: FakeGitHub, hub: GitHubHub) -> None:
    hub.set_assignees(1, ("alice", "bob"), ())
    hub.set_assignees(1, (), ("alice",))
    assert [u["login"] for u in srv.issues[1]["assignees"]] == ["bob"]
    assert _calls(srv) == [("POST", "/issues/1/assignees"), ("DELETE", "/issues/1/assignees")]


def test_create_ticket_and_find_incident(srv: FakeGitHub, hub: GitHubHub) -> None:
    body = f"{marker('incident:login:vip')}\nMany people cannot log in."
    number = hub.create_ticket("Incident: login", body, ("incident",))
    assert srv.issues[number]["user"]["login"] == BOT
    assert hub.find_incident("login:vip") == number
    assert hub.find_incident("payments:ordinary") is None


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("kind", ["500", "502"])
def test_server_errors_are_retried_with_exponential_backoff(
    srv: FakeGitHub, hub: GitHubHub, time: Recorder, kind: str
) -> None:
    srv.inject(method="GET", path=r"/issues/1$", kind=kind, times=3)  # type: ignore[arg-type]
    assert hub.get_issue(1)["number"] == 1
    assert time.sleeps == [1.0, 2.0, 4.0]
    assert hub.stats.requests == 4 and hub.stats.retries == 3


def test_giving_up_says_what_happened_and_what_to_do(srv: FakeGitHub, hub: GitHubHub, time: Recorder) -> None:
    srv.inject(method="GET", path=r"/issues/1$", kind="502", times=10)
    with pytest.raises(GitHubUnavailable) as caught:
        hub.get_issue(1)
    text = str(caught.value)
    assert "GitHub answered 502 five times over 15 s" in text
    assert "the next scheduled run will retry" in text
    assert time.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert caught.value.exit_code == 5


def test_retries_stop_at_the_time_budget(srv: FakeGitHub, make_hub, time: Recorder) -> None:  # type: ignore[no-untyped-def]
    hub = make_hub(retry_budget=5.0, max_attempts=10)
    srv.inject(method="GET", path=r"/issues/1$", kind="500", times=10)
    with pytest.raises(GitHubUnavailable):
        hub.get_issue(1)
    assert sum(time.sleeps) <= 5.0
    assert time.sleeps == [1.0, 2.0]


def test_a_timeout_is_retried(srv: FakeGitHub, make_hub) -> None:  # type: ignore[no-untyped-def]
    hub = make_hub(timeout=1)
    srv.inject(method="GET", path=r"/issues/1$", kind="timeout", delay=1.5)
    assert hub.get_issue(1)["title"] == "Printer on fire"
    assert hub.stats.failures == ["a timeout"]
    assert srv.count("GET", "/issues/1") == 2


def test_timeouts_that_never_end_stop_the_run(srv: FakeGitHub, make_hub) -> None:  # type: ignore[no-untyped-def]
    hub = make_hub(timeout=1, max_attempts=2)
    srv.inject(method="GET", path=r"/issues/1$", kind="timeout", delay=1.5, times=2)
    with pytest.raises(GitHubUnavailable, match="GitHub did not answer in time twice"):
        hub.get_issue(1)


def test_a_secondary_limit_waits_exactly_retry_after(srv: FakeGitHub, hub: GitHubHub, time: Recorder) -> None:
    srv.inject(method="POST", path=r"/comments$", kind="secondary_limit", retry_after=7)
    hub.post_comment(1, f"{marker('status')}\nhello")
    assert time.sleeps == [7.0]
    assert len(srv.comments) == 1
    assert hub.stats.failures == ["403 (secondary rate limit)"]


def test_a_retry_after_longer_than_the_budget_stops_the_run(srv: FakeGitHub, hub: GitHubHub, time: Recorder) -> None:
    srv.inject(method="POST", path=r"/comments$", kind="secondary_limit", retry_after=600)
    with pytest.raises(GitHubUnavailable, match="asked to wait 600 s more"):
        hub.post_comment(1, f"{marker('status')}\nhello")
    assert time.sleeps == []
    assert srv.comments == {}


@pytest.mark.parametrize(("kind", "status"), [("429", 429), ("secondary_limit", 403)])
def test_a_rate_limit_naming_no_time_is_retried_with_exponential_backoff(
    srv: FakeGitHub, hub: GitHubHub, time: Recorder, kind: str, status: int
) -> None:
    srv.inject(method="POST", path=r"/comments$", kind=kind, retry_after=None, times=3)  # type: ignore[arg-type]
    hub.post_comment(1, f"{marker('status')}\nhello")
    assert time.sleeps == [1.0, 2.0, 4.0]
    assert len(srv.comments) == 1
    assert hub.stats.failures == [f"{status} (secondary rate limit)"] * 3
    assert [r.status for r in srv.requests if r.method == "POST"] == [status, status, status, 201]


def test_a_rate_limit_naming_no_time_gives_up_within_the_retry_budget(
    srv: FakeGitHub, make_hub, time: Recorder  # type: ignore[no-untyped-def]
) -> None:
    hub = make_hub(retry_budget=10.0, max_attempts=10)
    srv.inject(method="GET", path=r"/issues/1$", kind="429", retry_after=None, times=10)
    with pytest.raises(GitHubUnavailable, match=r"GitHub answered 429 \(secondary rate limit\) four times over 7 s \(GET"):
        hub.get_issue(1)
    assert time.sleeps == [1.0, 2.0, 4.0]


def test_a_used_up_primary_limit_waits_for_its_reset_on_githubs_clock(
    srv: FakeGitHub, hub: GitHubHub, time: Recorder
) -> None:
    """The reset is an epoch second on GitHub's clock: counted from the answer's Date."""
    srv.set_now(datetime(2031, 5, 1, 12, 0, tzinfo=UTC))  # far from this machine's clock
    srv.inject(method="GET", path=r"/issues/1$", kind="429", retry_after=None, reset_in=30)
    assert hub.get_issue(1)["number"] == 1
    assert time.sleeps == [31.0]
    assert hub.stats.failures == ["429 (primary rate limit)"]


def test_a_primary_reset_past_the_retry_budget_stops_the_run_cleanly(
    srv: FakeGitHub, hub: GitHubHub, time: Recorder
) -> None:
    srv.inject(method="GET", path=r"/issues/1$", kind="429", retry_after=None, reset_in=600)
    with pytest.raises(BudgetExhausted, match=r"primary rate limit is used up \(resets at 09:10:00 UTC\)"):
        hub.get_issue(1)
    assert time.sleeps == []
    assert len(srv.requests) == 1


@pytest.mark.parametrize(("kind", "status"), [("404", 404), ("422", 422)])
def test_client_errors_are_not_retried(srv: FakeGitHub, hub: GitHubHub, kind: str, status: int) -> None:
    srv.inject(method="PATCH", path=r"/issues/1$", kind=kind)  # type: ignore[arg-type]
    with pytest.raises(GitHubRequestError) as caught:
        hub.close(1, "completed")
    assert caught.value.status == status
    assert hub.stats.requests == 1
    assert f"GitHub refused PATCH /repos/acme/desk/issues/1: {status}" in str(caught.value)


def test_a_comment_posted_before_the_connection_dropped_is_not_posted_again(srv: FakeGitHub, hub: GitHubHub) -> None:
    srv.inject(method="POST", path=r"/issues/1/comments$", kind="drop_after_write")
    posted = hub.post_comment(1, f"{marker('esc:response:0:0')}\nlate")
    assert len(srv.comments) == 1
    assert posted.id in srv.comments
    assert srv.count("POST", "/comments") == 1
    assert srv.count("GET", "/issues/1/comments") == 1


def test_a_comment_lost_on_a_5xx_is_posted_once_after_checking(srv: FakeGitHub, hub: GitHubHub) -> None:
    srv.inject(method="POST", path=r"/issues/1/comments$", kind="502")
    hub.post_comment(1, f"{marker('status')}\nhi")
    assert len(srv.comments) == 1
    assert srv.count("POST", "/comments") == 2  # checked, found nothing, sent again


def test_an_incident_created_before_the_connection_dropped_is_found(srv: FakeGitHub, hub: GitHubHub) -> None:
    srv.inject(method="POST", path=r"/issues$", kind="drop_after_write")
    number = hub.create_ticket("Incident", f"{marker('incident:k')}\nbody", ("incident",))
    assert [n for n, i in srv.issues.items() if i["title"] == "Incident"] == [number]


def test_an_idempotent_write_is_simply_sent_again(srv: FakeGitHub, hub: GitHubHub) -> None:
    srv.inject(method="POST", path=r"/issues/1/labels$", kind="drop_after_write")
    hub.set_labels(1, ("grade:major",), ())
    assert srv.label_names(1) == ["grade:major"]
    assert len([e for e in srv.issue_events(1) if e["event"] == "labeled"]) == 1


# --------------------------------------------------------------------------- budget


def test_every_answer_updates_the_remaining_budget(srv: FakeGitHub, hub: GitHubHub) -> None:
    srv.set_rate_remaining(900)
    hub.get_issue(1)
    assert hub.stats.remaining == 899
    srv.inject(method="GET", path=r"/issues/1$", kind="500")
    hub.get_issue(1)
    assert hub.stats.remaining == 897


def test_the_hub_stops_before_the_floor(srv: FakeGitHub, make_hub) -> None:  # type: ignore[no-untyped-def]
    hub = make_hub(min_remaining=10)
    srv.set_rate_remaining(12)
    hub.get_issue(1)
    hub.get_issue(1)
    with pytest.raises(BudgetExhausted, match=r"down to 10 requests \(floor 10\)"):
        hub.get_issue(1)
    assert srv.rate_remaining == 10
    assert len(srv.requests) == 2


def test_the_primary_limit_stops_cleanly(srv: FakeGitHub, hub: GitHubHub) -> None:
    srv.set_rate_remaining(0)
    with pytest.raises(BudgetExhausted, match="primary rate limit is used up"):
        hub.get_issue(1)
    assert hub.stats.retries == 0


def test_counters_match_what_the_server_saw(srv: FakeGitHub, hub: GitHubHub) -> None:
    srv.inject(method="GET", path=r"/labels$", kind="502")
    hub.ensure_labels([LabelSpec("a", "ededed", ""), LabelSpec("b", "ededed", "")])
    hub.set_labels(1, ("a",), ())
    assert hub.stats.requests == len(srv.requests) == 5
    assert hub.stats.writes == srv.writes() == 3
    assert hub.stats.reads == 2


def test_bad_arguments_are_refused_before_any_request() -> None:
    with pytest.raises(GitHubRequestError, match="not OWNER/NAME"):
        GitHubHub("desk", "token")
    with pytest.raises(GitHubRequestError, match="no GitHub token"):
        GitHubHub("acme/desk", "")
