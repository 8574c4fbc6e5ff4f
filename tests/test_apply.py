"""Applying plans: idempotent, resumable after a failure, silent in a dry run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.apply import ApplyReport, apply_plan
from tracker.errors import HubError
from tracker.hub import Hub
from tracker.ledger import Ledger
from tracker.local_hub import LocalHub
from tracker.model import (
    Action,
    CloseTicket,
    Comment,
    DeleteComment,
    EditComment,
    OpenIncident,
    Plan,
    PostComment,
    ReopenTicket,
    SetAssignees,
    SetLabels,
)
from tracker.protocol import INCIDENT_NUMBER, marker, marker_key

NOW = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
BOT = "desk-bot[bot]"
LINK = f"🔗 已关联到事件 #{INCIDENT_NUMBER}。"  # as the grader writes it before the incident has a number


@dataclass
class FakeTicket:
    title: str
    body: str
    author: str
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    state: str = "open"
    comments: list[Comment] = field(default_factory=list)


class FakeHub:
    """An in-memory hub that can be told to fail after ``fail_after`` writes."""

    bot_login = BOT

    def __init__(self, tickets: int = 3, fail_after: int | None = None) -> None:
        self.tickets = {n: FakeTicket(f"T{n}", "", "carol") for n in range(1, tickets + 1)}
        self.fail_after = fail_after
        self.writes: list[tuple[object, ...]] = []
        self._ids = 100

    def _write(self, *what: object) -> None:
        if self.fail_after is not None and len(self.writes) >= self.fail_after:
            raise HubError("connection reset by peer")
        self.writes.append(what)

    def set_labels(self, number: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        self._write("labels", number, add, remove)
        t = self.tickets[number]
        t.labels = [n for n in t.labels if n not in remove] + [n for n in add if n not in t.labels]

    def set_assignees(self, number: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        self._write("assignees", number, add, remove)
        t = self.tickets[number]
        t.assignees = [n for n in t.assignees if n not in remove] + list(add)

    def post_comment(self, number: int, body: str) -> Comment:
        self._write("comment", number, body)
        self._ids += 1
        posted = Comment(self._ids, BOT, body, NOW, is_bot=True)
        self.tickets[number].comments.append(posted)
        return posted

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        self._write("edit", number, comment_id, body)
        comments = self.tickets[number].comments
        comments[:] = [
            Comment(c.id, c.author, body, c.created_at) if c.id == comment_id else c
            for c in comments
        ]

    def delete_comment(self, number: int, comment_id: int) -> None:
        self._write("delete", number, comment_id)
        comments = self.tickets[number].comments
        comments[:] = [c for c in comments if c.id != comment_id]

    def find_marked_comment(self, number: int, key: str) -> Comment | None:
        for c in self.tickets[number].comments:
            if c.author == BOT and marker_key(c.body) == key:
                return c
        return None

    def find_incident(self, key: str) -> int | None:
        for number, t in sorted(self.tickets.items()):
            if t.author == BOT and marker_key(t.body) == f"incident:{key}":
                return number
        return None

    def create_ticket(self, title: str, body: str, labels: tuple[str, ...]) -> int:
        self._write("create", title)
        number = max(self.tickets) + 1
        self.tickets[number] = FakeTicket(title, body, BOT, list(labels))
        return number

    def close(self, number: int, reason: str) -> None:
        self._write("close", number, reason)
        self.tickets[number].state = "closed"

    def reopen(self, number: int) -> None:
        self._write("reopen", number)
        self.tickets[number].state = "open"

    def now(self) -> datetime:
        return NOW

    def bodies(self, number: int) -> list[str]:
        return [c.body for c in self.tickets[number].comments]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "desk.db") as s:
        yield s


@pytest.fixture
def local(store: Ledger) -> LocalHub:
    hub = LocalHub(store, BOT, lambda: NOW)
    for n in (1, 2, 3):
        hub.open_ticket(f"T{n}", "", "carol", at=NOW)
    return hub


def everything(plan_members: tuple[int, ...] = (2, 3)) -> Plan:
    return Plan(
        (
            SetLabels(1, add=("bug",), remove=("triage",)),
            SetAssignees(1, add=("alice",)),
            PostComment(1, "ack", "We received your ticket."),
            OpenIncident("vpn", "VPN outage", "Many reports", ("incident",), plan_members, LINK),
            CloseTicket(3, "not_planned"),
        )
    )


def snapshot(store: Ledger) -> tuple[object, ...]:
    return tuple(store.tickets()), tuple(a["id"] for a in store.actions())


# --------------------------------------------------------------------------- basics


def test_fake_hub_matches_the_protocol() -> None:
    hubs: list[Hub] = [FakeHub()]  # checked by the type checker
    assert hubs[0].bot_login == BOT


def test_applies_every_kind_in_order_on_the_local_hub(local: LocalHub, store: Ledger) -> None:
    seen: list[tuple[Action, str]] = []
    report = apply_plan(
        everything(), local, store=store, run_id="r1", on_action=lambda *a: seen.append(a)
    )

    assert (report.applied, report.skipped, report.writes) == (5, 0, 7)
    assert seen == list(report.outcomes)
    one, incident = store.ticket(1), store.ticket(4)
    assert one.labels == ("bug",) and one.assignees == ("alice",)
    assert one.comments[0].body == marker("ack") + "\nWe received your ticket."
    assert incident.author == BOT and incident.labels == ("incident",)
    assert incident.body == marker("incident:vpn") + "\nMany reports"
    for member in (2, 3):
        (link,) = store.ticket(member).comments
        assert link.body == marker("incident-link:vpn") + "\n🔗 已关联到事件 #4。"
    assert store.ticket(3).state == "closed" and store.state_reason(3) == "not_planned"

    log = store.actions(run_id="r1")
    assert [(a["kind"], a["number"]) for a in log] == [
        ("set_labels", 1),
        ("set_assignees", 1),
        ("post_comment", 1),
        ("open_incident", 4),
        ("close", 3),
    ]
    assert log[2]["detail"]["comment_id"] == one.comments[0].id
    assert log[3]["detail"]["linked"] == [2, 3]
    assert all(a["at"] == NOW for a in log)


def test_report_lines_are_printable(local: LocalHub) -> None:
    report = apply_plan(everything(), local)
    assert report.lines() == [
        "#1 set_labels: labels +bug -triage",
        "#1 set_assignees: assignees +alice",
        "#1 post_comment: posted comment 1 [ack]",
        "incident[vpn] open_incident: opened incident #4, linked #2, #3",
        "#3 close: closed (not_planned)",
    ]


def test_empty_label_and_assignee_changes_are_skipped() -> None:
    hub = FakeHub()
    report = apply_plan(Plan((SetLabels(1), SetAssignees(2))), hub)
    assert (report.applied, report.skipped, report.writes) == (0, 2, 0)
    assert hub.writes == []


def test_marker_is_added_once(local: LocalHub, store: Ledger) -> None:
    already = marker("ack") + "\nbody"
    apply_plan(Plan((PostComment(1, "ack", already), PostComment(2, "ack", "body"))), local)
    assert store.ticket(1).comments[0].body == already
    assert store.ticket(2).comments[0].body == already


def test_edit_comment_keeps_the_marker(local: LocalHub, store: Ledger) -> None:
    posted = local.post_comment(1, marker("status") + "\nold")
    apply_plan(Plan((EditComment(1, "status", posted.id, "new"),)), local, store=store)
    assert store.ticket(1).comments[0].body == marker("status") + "\nnew"
    assert local.find_marked_comment(1, "status") is not None


def test_a_copy_is_deleted_and_the_ledger_forgets_it(local: LocalHub, store: Ledger) -> None:
    kept = local.post_comment(1, marker("ack") + "\nbody")
    copy = local.post_comment(1, marker("ack") + "\nbody")
    report = apply_plan(Plan((DeleteComment(1, "ack", copy.id),)), local, store=store, run_id="r1")
    assert report.lines() == [f"#1 delete_comment: deleted comment {copy.id} [ack]"]
    assert [c.id for c in store.ticket(1).comments] == [kept.id]
    assert [(a["kind"], a["detail"]["comment_id"]) for a in store.actions(run_id="r1")] == [
        ("delete_comment", copy.id)
    ]
    hub = FakeHub()
    posted = [hub.post_comment(2, marker("ack") + "\nbody") for _ in range(2)]
    apply_plan(Plan((DeleteComment(2, "ack", posted[1].id),)), hub, dry_run=True)
    assert len(hub.tickets[2].comments) == 2  # a dry run deletes nothing
    apply_plan(Plan((DeleteComment(2, "ack", posted[1].id),)), hub)
    assert hub.tickets[2].comments == [posted[0]]


def test_reopen(local: LocalHub, store: Ledger) -> None:
    local.close(2, "completed")
    report = apply_plan(Plan((ReopenTicket(2),)), local, store=store)
    assert store.ticket(2).state == "open"
    assert report.outcomes[0][1] == "reopened"


def test_link_text_comes_from_the_plan_with_the_number_filled_in(local: LocalHub, store: Ledger) -> None:
    link = f"🔗 Linked to incident #{INCIDENT_NUMBER}."
    apply_plan(Plan((OpenIncident("db", "DB", "", (), (1,), link),)), local)
    assert store.ticket(1).comments[0].body.endswith("\n🔗 Linked to incident #4.")


# --------------------------------------------------------------------------- idempotency


def test_same_plan_twice_writes_nothing_new_locally(local: LocalHub, store: Ledger) -> None:
    apply_plan(everything(), local, store=store, run_id="r1")
    before = store.tickets()
    again = apply_plan(everything(), local, store=store, run_id="r2")
    assert store.tickets() == before  # no comment, ticket, event or label change
    assert again.outcomes[2][1].startswith("already there")
    assert again.outcomes[3][1] == "incident #4 already open and linked"


def test_same_plan_twice_posts_nothing_new_on_the_fake_hub() -> None:
    hub = FakeHub()
    apply_plan(everything(), hub)
    posted = [w for w in hub.writes if w[0] in ("comment", "create")]
    hub.writes.clear()
    apply_plan(everything(), hub)
    assert [w for w in hub.writes if w[0] in ("comment", "create")] == []
    assert len(posted) == 4  # ack, incident, two links


def test_new_member_of_an_existing_incident_is_linked(local: LocalHub, store: Ledger) -> None:
    apply_plan(everything(plan_members=(2,)), local)
    report = apply_plan(Plan((OpenIncident("vpn", "VPN", "", (), (2, 3), LINK),)), local)
    assert report.outcomes[0][1] == "incident #4 already open, linked #3"
    assert store.max_number() == 4
    assert len(store.ticket(2).comments) == len(store.ticket(3).comments) == 1


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("fail_after", range(7))
def test_failure_after_n_writes_then_rerun_converges(store: Ledger, fail_after: int) -> None:
    hub = FakeHub(fail_after=fail_after)
    with pytest.raises(HubError) as failed:
        apply_plan(everything(), hub, store=store, run_id="r1")
    assert len(hub.writes) == fail_after
    assert "apply stopped at action" in "".join(failed.value.__notes__)
    logged = store.actions(run_id="r1")
    assert len(logged) <= fail_after

    hub.fail_after = None
    report = apply_plan(everything(), hub, store=store, run_id="r2")
    assert report.skipped + report.applied == 5

    assert [b.split("\n")[0] for b in hub.bodies(1)] == [marker("ack")]
    assert [n for n, t in hub.tickets.items() if t.author == BOT] == [4]
    for member in (2, 3):
        assert hub.bodies(member) == [marker("incident-link:vpn") + "\n🔗 已关联到事件 #4。"]
    assert hub.tickets[1].labels == ["bug"] and hub.tickets[3].state == "closed"


def test_failure_inside_an_incident_logs_the_partial_write(store: Ledger) -> None:
    hub = FakeHub(fail_after=1)  # the incident ticket is created, the first link fails
    plan = Plan((OpenIncident("vpn", "VPN", "", (), (1, 2), LINK),))
    with pytest.raises(HubError):
        apply_plan(plan, hub, store=store, run_id="r1")
    (partial,) = store.actions(run_id="r1")
    assert partial["number"] == 4
    assert partial["result"].startswith("failed part-way")

    hub.fail_after = None
    report = apply_plan(plan, hub, store=store, run_id="r2")
    assert report.outcomes[0][1] == "incident #4 already open, linked #1, #2"
    assert len(hub.tickets) == 4


def test_local_hub_error_propagates_after_earlier_actions(local: LocalHub, store: Ledger) -> None:
    plan = Plan((PostComment(1, "ack", "hi"), SetLabels(42, add=("bug",)), CloseTicket(1)))
    with pytest.raises(Exception, match="#42 does not exist"):
        apply_plan(plan, local, store=store, run_id="r1")
    assert [a["kind"] for a in store.actions()] == ["post_comment"]
    assert store.ticket(1).state == "open"


# --------------------------------------------------------------------------- dry run


def test_dry_run_writes_nothing_locally(local: LocalHub, store: Ledger) -> None:
    before = snapshot(store)
    report = apply_plan(everything(), local, store=store, run_id="dry", dry_run=True)
    assert snapshot(store) == before
    assert report.dry_run and (report.applied, report.skipped, report.writes) == (5, 0, 7)
    assert report.lines() == [
        "#1 set_labels: would set labels +bug -triage",
        "#1 set_assignees: would set assignees +alice",
        "#1 post_comment: would post comment [ack]",
        "incident[vpn] open_incident: would open incident and link #2, #3",
        "#3 close: would close (not_planned)",
    ]


def test_dry_run_after_a_real_run_reports_what_is_already_there(local: LocalHub) -> None:
    apply_plan(everything(), local)
    report = apply_plan(Plan(everything().actions[2:4]), local, dry_run=True)
    assert [text for _, text in report.outcomes] == [
        "already there (comment 1)",
        "incident #4 already open and linked",
    ]
    assert report == ApplyReport(0, 2, 0, report.outcomes, dry_run=True)


def test_dry_run_on_the_fake_hub_calls_no_writer() -> None:
    hub = FakeHub(fail_after=0)  # any write would raise
    report = apply_plan(everything(), hub, dry_run=True)
    assert hub.writes == [] and report.writes == 7
