"""``tracker sync``: the ledger mirrors GitHub with bulk, incremental reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from github_desk import BOT, T0, Desk, open_desk

from tracker.ledger import Ledger
from tracker.protocol import marker
from tracker.sync import META_REPO, open_ledger


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path, capsys, monkeypatch)


def _store(d: Desk) -> Ledger:
    return Ledger(d.db)


def test_first_sync_reads_everything_and_skips_pull_requests(desk: Desk) -> None:
    srv = desk.srv
    one = desk.ticket("high", labels=["type:fault"])
    srv.add_issue(title="A pull request", is_pull_request=True, created_at=T0)
    pr = max(srv.issues)
    srv.add_comment(one, body="On it", user="alice", author_association="MEMBER")
    srv.add_comment(one, body=f"{marker('status')}\nstatus", user=BOT, author_association="NONE")
    srv.add_comment(one, body="beep", user="renovate[bot]", user_type="Bot")
    srv.add_comment(pr, body="LGTM", user="alice")
    srv.add_event(one, event="labeled", actor="carol", label="type:fault")
    srv.add_event(one, event="assigned", actor=BOT, assignee="carol")
    srv.add_event(pr, event="labeled", actor="carol", label="review")

    result = desk.sync()
    assert result.code == 0, result.err
    report = result.json
    assert report["full"] is True
    assert (report["issues"], report["comments"], report["events"]) == (1, 3, 2)
    assert report["pull_requests_skipped"] == 3
    assert report["requests"] == 3
    assert [r.path.rsplit("/", 1)[-1] for r in srv.requests] == ["issues", "comments", "events"]
    assert srv.requests[0].query == {
        "state": "all", "sort": "updated", "direction": "asc", "per_page": "100",
    }  # fmt: skip

    with _store(desk) as store:
        (ticket,) = store.tickets()
        assert ticket.number == one and ticket.author == "dave"
        assert ticket.author_association == "NONE" and not ticket.author_is_bot
        assert ticket.labels == ("type:fault",)
        people = {c.author: (c.is_bot, c.author_association) for c in ticket.comments}
        assert people == {
            "alice": (False, "MEMBER"),
            BOT: (True, "NONE"),
            "renovate[bot]": (True, "MEMBER"),
        }
        events = {(e.kind, e.actor, e.is_bot, e.label, e.assignee) for e in ticket.events}
        assert events == {
            ("labeled", "carol", False, "type:fault", None),
            ("assigned", BOT, True, None, "carol"),
        }


def test_later_syncs_read_only_what_changed(desk: Desk) -> None:
    srv = desk.srv
    one = desk.ticket()
    two = desk.ticket("low")
    assert desk.sync().code == 0
    srv.reset_counts()

    quiet = desk.sync().json
    assert quiet["full"] is False and quiet["changed"] == 0
    assert len(srv.requests) == 3

    desk.later(timedelta(minutes=20))
    srv.add_comment(two, body="Any news?", user="dave", author_association="NONE")
    srv.add_event(one, event="labeled", actor="carol", label="sla:breach")
    srv.reset_counts()
    report = desk.sync().json
    assert len(srv.requests) == 3
    assert report["changed"] == 2
    issues_query = srv.requests[0].query
    assert issues_query["since"] <= (T0 + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _store(desk) as store:
        assert [c.body for c in store.ticket(two).comments] == ["Any news?"]
        assert [e.label for e in store.ticket(one).events] == ["sla:breach"]


def test_pagination_and_keyset_walks_read_every_item_once_per_page(desk: Desk) -> None:
    srv = desk.srv
    for i in range(250):
        desk.ticket(created_at=T0 + timedelta(minutes=i), title=f"ticket {i}")
    for i in range(230):
        srv.add_comment(1 + i % 7, body=f"c{i}", user="erin", created_at=T0 + timedelta(minutes=300 + i))
    for i in range(120):
        srv.add_event(
            1 + i % 5,
            event="labeled",
            actor="carol",
            label=f"l{i}",
            created_at=T0 + timedelta(minutes=i),
        )
    desk.at(T0 + timedelta(days=1))
    report = desk.sync().json
    assert (report["issues"], report["comments"], report["events"]) == (250, 230, 120)
    assert srv.count("GET", "/issues/comments") == 3
    assert srv.count("GET", "/issues/events") == 2
    issue_reads = [r for r in srv.requests if r.path == "/repos/acme/desk/issues"]
    assert len(issue_reads) == 3
    assert issue_reads[1].query["since"] < issue_reads[2].query["since"]  # keyset, not pages
    with _store(desk) as store:
        tickets = store.tickets()
        assert len(tickets) == 250
        assert sum(len(t.comments) for t in tickets) == 230
        assert sum(len(t.events) for t in tickets) == 120


def test_a_page_of_identical_timestamps_falls_back_to_page_numbers(desk: Desk) -> None:
    for i in range(230):
        desk.ticket(title=f"bulk {i}")  # all created in the same second
    report = desk.sync().json
    assert report["issues"] == 230
    reads = [r.query.get("page", "1") for r in desk.srv.requests if r.path.endswith("/issues")]
    assert reads == ["1", "2", "3"]


def test_a_first_sync_stopped_by_the_budget_resumes(desk: Desk) -> None:
    srv = desk.srv
    for i in range(250):
        desk.ticket(created_at=T0 + timedelta(minutes=i), title=f"ticket {i}")
    for i in range(250):
        srv.add_event(1 + i, event="labeled", actor="carol", label="x", created_at=T0 + timedelta(minutes=i))
    desk.at(T0 + timedelta(days=1))
    srv.set_rate_remaining(55)
    stopped = desk.sync("--min-budget", "50")
    assert stopped.code == 6
    assert "down to 50 requests (floor 50)" in stopped.err
    assert "The next scheduled run will continue where this one stopped." in stopped.err

    srv.set_rate_remaining(1000)
    srv.reset_counts()
    done = desk.sync("--min-budget", "50")
    assert done.code == 0, done.err
    with _store(desk) as store:
        tickets = store.tickets()
        assert len(tickets) == 250
        assert sum(len(t.events) for t in tickets) == 250
    assert len(srv.requests) <= 6  # resumed, not restarted

    srv.reset_counts()
    assert desk.sync().json["changed"] == 0
    assert len(srv.requests) == 3


def test_an_events_crawl_stopped_half_way_resumes_and_catches_up(desk: Desk) -> None:
    srv = desk.srv
    desk.ticket()
    for i in range(250):
        srv.add_event(1, event="labeled", actor="carol", label=f"l{i}", created_at=T0 + timedelta(seconds=i))
    desk.at(T0 + timedelta(hours=1))
    srv.set_rate_remaining(54)  # issues, comments, events page 1, then the floor
    assert desk.sync("--min-budget", "50").code == 6
    srv.add_event(1, event="unlabeled", actor="carol", label="l0", created_at=desk.now)
    srv.set_rate_remaining(1000)
    assert desk.sync().code == 0
    with _store(desk) as store:
        kinds = [e.kind for e in store.ticket(1).events]
    assert len(kinds) == 251 and kinds.count("unlabeled") == 1


def test_a_ledger_of_another_repository_is_rebuilt(desk: Desk) -> None:
    desk.ticket()
    assert desk.sync().code == 0
    with _store(desk) as store:
        store.set_meta(META_REPO, "someone/else")
    desk.srv.reset_counts()
    assert desk.sync().json["full"] is True


def test_a_damaged_ledger_is_rebuilt(desk: Desk) -> None:
    desk.ticket()
    desk.db.parent.mkdir(parents=True)
    desk.db.write_bytes(b"this is not sqlite" * 100)
    result = desk.sync()
    assert result.code == 0, result.err
    assert result.json["issues"] == 1
    assert "was damaged (file is not a database): moved aside to ledger.db.damaged-" in result.err
    (aside,) = desk.db.parent.glob("ledger.db.damaged-*")
    assert aside.read_bytes() == b"this is not sqlite" * 100


def test_a_local_desk_is_never_overwritten(desk: Desk) -> None:
    from tracker.model import Ticket

    desk.db.parent.mkdir(parents=True)
    with Ledger(desk.db) as store:
        store.upsert_ticket(Ticket(1, "local", "", "me", T0, T0))
    result = desk.sync()
    assert result.code == 2
    assert "holds a local desk" in result.err
    with sqlite3.connect(desk.db) as conn:
        assert conn.execute("SELECT title FROM tickets").fetchall() == [("local",)]


def test_the_cursor_follows_githubs_clock_not_the_runners(desk: Desk) -> None:
    """An update GitHub lists late (a replica behind) is still read when the runner's clock runs ahead."""
    github_now = T0 + timedelta(hours=1)
    desk.srv.set_now(github_now)
    desk.ticket(created_at=github_now - timedelta(seconds=10))
    desk.now = github_now + timedelta(minutes=10)  # the runner's clock, ten minutes ahead
    assert desk.run().code == 0
    late = desk.ticket(created_at=github_now - timedelta(seconds=20), title="listed late")
    result = desk.run()
    assert result.code == 0, result.err
    assert result.json["sync"]["issues"] >= 1
    with _store(desk) as store:
        assert late in {t.number for t in store.tickets()}
        assert store.get_meta("github.issues_cursor") == (github_now - timedelta(seconds=60)).isoformat()


def test_open_ledger_keeps_a_matching_mirror(desk: Desk) -> None:
    store = open_ledger(desk.db, "acme/desk")
    store.set_meta("github.synced_at", T0.isoformat())
    store.close()
    again = open_ledger(desk.db, "acme/desk")
    try:
        assert again.get_meta("github.synced_at") == T0.isoformat()
    finally:
        again.close()


def test_comments_of_a_deleted_issue_are_skipped(desk: Desk) -> None:
    kept = desk.ticket()
    deleted = desk.ticket()
    desk.srv.add_comment(deleted, body="lost", user="erin")
    desk.srv.add_comment(kept, body="kept", user="erin")
    del desk.srv.issues[deleted]
    result = desk.sync()
    assert result.code == 0, result.err
    assert result.json["comments"] == 1
    with _store(desk) as store:
        assert [t.number for t in store.tickets()] == [kept]
