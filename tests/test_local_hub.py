"""The local hub: the desk without GitHub, writing to a real ledger file as GitHub would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tracker.errors import NotFound
from tracker.ledger import Ledger
from tracker.local_hub import LocalHub
from tracker.protocol import marker

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
BOT = "desk-bot[bot]"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "desk.db") as s:
        yield s


class Clock:
    """A hand-driven simulated clock."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: int = 1) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(store: Ledger, clock: Clock) -> LocalHub:
    return LocalHub(store, BOT, clock)



def test_open_ticket_numbers_and_label_events(hub: LocalHub, store: Ledger, clock: Clock) -> None:
    first = hub.open_ticket("VPN down", "since 8am", "carol", labels=("bug", "vpn", "bug"))
    second = hub.open_ticket("Incident", "body", BOT, association="MEMBER")
    assert (first, second) == (1, 2)
    got = store.ticket(1)
    assert got.labels == ("bug", "vpn")
    assert got.created_at == got.updated_at == clock.now
    assert [(e.kind, e.label, e.actor, e.is_bot) for e in got.events] == [
        ("labeled", "bug", "carol", False),
        ("labeled", "vpn", "carol", False),
    ]
    assert store.ticket(2).author_is_bot is True
    assert store.ticket(2).author_association == "MEMBER"


def test_comments_get_increasing_ids_and_bot_flags(
    hub: LocalHub, store: Ledger, clock: Clock
) -> None:
    number = hub.open_ticket("t", "b", "carol")
    mine = hub.add_comment(number, "carol", "hello", association="CONTRIBUTOR")
    at = clock.tick(5)
    bots = hub.post_comment(number, marker("ack") + "\nWe are on it")
    assert bots.id == mine.id + 1
    assert (bots.author, bots.is_bot, bots.author_association) == (BOT, True, "NONE")
    got = store.ticket(number)
    assert got.comments == (mine, bots)
    assert got.updated_at == at
    assert hub.find_marked_comment(number, "ack") == bots
    assert hub.find_marked_comment(number, "other") is None


def test_set_labels_records_events_only_for_real_changes(
    hub: LocalHub, store: Ledger, clock: Clock
) -> None:
    number = hub.open_ticket("t", "b", "carol", labels=("triage",))
    at = clock.tick()
    hub.set_labels(number, ("bug", "triage"), ("triage", "missing"))
    hub.set_labels(number, ("bug",), ())  # no change, no event
    got = store.ticket(number)
    assert got.labels == ("triage", "bug")
    assert [(e.kind, e.label, e.actor, e.is_bot) for e in got.events[1:]] == [
        ("labeled", "bug", BOT, True),
    ]
    hub.label(number, (), ("triage",), "erin", at=at + timedelta(minutes=1))
    got = store.ticket(number)
    assert got.labels == ("bug",)
    assert (got.events[-1].kind, got.events[-1].actor) == ("unlabeled", "erin")


def test_set_assignees_records_assign_events(hub: LocalHub, store: Ledger) -> None:
    number = hub.open_ticket("t", "b", "carol")
    hub.set_assignees(number, ("alice", "bob"), ())
    hub.set_assignees(number, (), ("alice",))
    got = store.ticket(number)
    assert got.assignees == ("bob",)
    assert [(e.kind, e.assignee) for e in got.events] == [
        ("assigned", "alice"),
        ("assigned", "bob"),
        ("unassigned", "alice"),
    ]


def test_close_and_reopen(hub: LocalHub, store: Ledger, clock: Clock) -> None:
    number = hub.open_ticket("t", "b", "carol")
    closed_at = clock.tick(30)
    hub.close(number, "not_planned")
    hub.close(number, "completed")  # already closed: nothing happens
    got = store.ticket(number)
    assert (got.state, got.closed_at) == ("closed", closed_at)
    assert store.state_reason(number) == "not_planned"
    clock.tick()
    hub.reopen_ticket(number, "carol")
    got = store.ticket(number)
    assert (got.state, got.closed_at) == ("open", None)
    assert store.state_reason(number) == "reopened"
    assert [(e.kind, e.actor) for e in got.events] == [("closed", BOT), ("reopened", "carol")]
    with pytest.raises(ValueError, match="close reason"):
        hub.close(number, "bored")


def test_edit_comment(hub: LocalHub, store: Ledger, clock: Clock) -> None:
    number = hub.open_ticket("t", "b", "carol")
    posted = hub.post_comment(number, marker("status") + "\nv1")
    at = clock.tick()
    hub.edit_comment(number, posted.id, marker("status") + "\nv2")
    (got,) = store.ticket(number).comments
    assert got.body.endswith("v2") and got.updated_at == at
    with pytest.raises(NotFound, match="comment 999"):
        hub.edit_comment(number, 999, "x")


def test_find_incident(hub: LocalHub) -> None:
    hub.open_ticket("fake", marker("incident:vpn") + "\nnot from the bot", "mallory")
    assert hub.find_incident("vpn") is None
    number = hub.create_ticket("VPN outage", marker("incident:vpn") + "\nbody", ("incident",))
    assert hub.find_incident("vpn") == number
    assert hub.find_incident("vp") is None
    assert hub.find_incident("vpn_") is None


def test_writes_to_unknown_tickets_fail_and_write_nothing(hub: LocalHub, store: Ledger) -> None:
    with pytest.raises(NotFound, match="#5 does not exist"):
        hub.set_labels(5, ("bug",), ())
    with pytest.raises(NotFound):
        hub.post_comment(5, "hi")
    with pytest.raises(NotFound):
        hub.close(5, "completed")
    assert store.tickets() == []
    assert store.max_number() == 0


def test_naive_clock_is_refused(store: Ledger) -> None:
    hub = LocalHub(store, BOT, lambda: datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        hub.now()
    with pytest.raises(ValueError, match="naive"):
        hub.open_ticket("t", "b", "carol")
    assert store.tickets() == []
