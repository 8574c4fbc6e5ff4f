"""The grader's memory: kept in a real ledger file, read back as the grader's Memo records."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tracker.config import load_config, preset_path
from tracker.engine import Context, Memo
from tracker.ledger import Ledger
from tracker.memory import (
    POLICY_KEY,
    TicketMemory,
    forget,
    load_memory,
    recall,
    remember,
    restless,
    save_memory,
    to_remember,
)
from tracker.model import OpenIncident, Plan, SetLabels, Ticket

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=2)
OLD = NOW - timedelta(days=1)  # tickets created before this are old enough to rest


def ticket(number: int, updated_at: datetime = T0) -> Ticket:
    return Ticket(number, f"Ticket {number}", "body", "carol", T0, updated_at)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "desk.db") as s:
        yield s


def quiet(number: int, incident: int | None = None, incident_updated_at: datetime | None = None) -> TicketMemory:
    memo = Memo("fp", (NOW + timedelta(hours=1)).timestamp(), False, incident)
    return TicketMemory(number, memo, T0, incident_updated_at)


def test_a_memory_is_an_immutable_record_with_named_fields() -> None:
    m = quiet(1)
    assert (m.number, m.memo.fingerprint, m.updated_at, m.incident_updated_at) == (1, "fp", T0, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.number = 2  # type: ignore[misc]


def test_remember_and_recall_round_trip(store: Ledger) -> None:
    store.upsert_many(tickets=[ticket(1), ticket(2)])
    remember(store, [quiet(1, incident=2, incident_updated_at=T0), TicketMemory(2, Memo("x", float("inf"), True), T0)])
    got = recall(store)
    assert got[1] == Memo("fp", (NOW + timedelta(hours=1)).timestamp(), False, 2)
    assert got[2].involved is True and got[2].wake >= 1e18  # "never" is kept as far future
    remember(store, [TicketMemory(1, Memo("changed", 0.0, False), T0)])  # replaces
    assert recall(store)[1].fingerprint == "changed"
    forget(store)
    assert recall(store) == {}


def test_a_policy_change_forgets_everything(store: Ledger) -> None:
    ctx = Context(load_config(preset_path("club")))
    store.upsert_ticket(ticket(1))
    store.set_meta(POLICY_KEY, ctx.digest)
    remember(store, [quiet(1)])
    assert set(load_memory(store, ctx)) == {1}
    store.set_meta(POLICY_KEY, "an older policy")
    assert load_memory(store, ctx) == {}
    assert recall(store) == {}
    assert store.get_meta(POLICY_KEY) == ctx.digest


def test_restless_names_every_ticket_the_memory_cannot_vouch_for(store: Ledger) -> None:
    store.upsert_many(tickets=[ticket(n) for n in range(1, 8)])
    remember(
        store,
        [
            quiet(1),  # rests
            quiet(2),  # moved since (updated below)
            TicketMemory(3, Memo("fp", NOW.timestamp(), False), T0),  # its wake time has come
            TicketMemory(4, Memo("fp", float("inf"), True), T0),  # involved in an incident
            quiet(5, incident=1, incident_updated_at=T0),  # its incident is unchanged: rests
            quiet(6, incident=1, incident_updated_at=T0 - timedelta(hours=1)),  # incident changed
        ],
    )  # 7 has no memory at all
    store.touch(2, T0 + timedelta(minutes=1))
    assert restless(store, now=NOW, young_since=OLD) == [2, 3, 4, 6, 7]
    assert restless(store, now=NOW, young_since=T0 - timedelta(seconds=1)) == [1, 2, 3, 4, 5, 6, 7]  # all young
    assert restless(store, now=NOW, young_since=OLD, state="closed") == []
    assert restless(store, now=NOW, young_since=OLD, updated_since=T0 + timedelta(seconds=1)) == [2]


def test_only_tickets_the_plan_leaves_untouched_are_remembered(store: Ledger) -> None:
    tickets = [ticket(1), ticket(2), ticket(3), ticket(4, updated_at=T0 + timedelta(hours=3))]
    store.upsert_many(tickets=tickets)
    memo = {n: Memo(f"fp{n}", 0.0, False, 4 if n == 1 else None) for n in (1, 2, 3, 4)}
    plan = Plan(
        actions=(SetLabels(2, add=("bug",)), OpenIncident("vpn", "VPN", "body", ("incident",), (3,), "linked")),
        memo=memo,
    )
    kept = to_remember(plan, tickets)
    assert [m.number for m in kept] == [1, 4]
    assert kept[0] == TicketMemory(1, memo[1], T0, T0 + timedelta(hours=3))
    save_memory(store, plan, tickets)
    assert recall(store) == {1: memo[1], 4: memo[4]}
