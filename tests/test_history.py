"""Reading a ticket's history: each command and event handler, over plain tickets."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from policy_helpers import at, load_preset

from tracker.context import Context
from tracker.history import COMMANDS, EVENTS, History, UndoLabel, read_history
from tracker.intake import render_body
from tracker.model import Comment, Event, Ticket
from tracker.reading import prepare

CLUB = load_preset("club")
CTX = Context(CLUB)
OPENED = at("2026-11-24 10:00")
ISSUE = {"category": "booking", "level": "l2", "description": "淋浴间漏水"}
STAFF = "club-supervisor"
CUSTOMER = "customer-li"


def ticket(*items: tuple[str, str, int], events: tuple[Event, ...] = ()) -> Ticket:
    """A ticket opened at 10:00 with comments (author, body, minutes after opening)."""
    comments = tuple(
        Comment(100 + i, who, body, OPENED + timedelta(minutes=m), "MEMBER" if who == STAFF else "NONE")
        for i, (who, body, m) in enumerate(items)
    )
    return Ticket(1, "漏水", render_body(CLUB, "issue", ISSUE), CUSTOMER, OPENED, OPENED,
                  labels=("grade:l2",), comments=comments, events=events)  # fmt: skip


def minutes(m: int) -> datetime:
    return OPENED + timedelta(minutes=m)


def history(t: Ticket) -> History:
    return read_history(prepare(t, CTX), CTX, None)


def test_every_handler_is_for_a_known_command_or_event_kind() -> None:
    assert set(COMMANDS) <= CLUB.known_commands
    assert set(EVENTS) <= {"labeled", "unlabeled", "assigned", "unassigned", "closed", "reopened"}


def test_grade_command_regrades_and_is_remembered() -> None:
    h = history(ticket((STAFF, "/grade l3\n客户是会员", 5)))
    assert h.grade == "l3" and h.graded_at == minutes(5).timestamp()
    assert [(c.grade, c.by) for c in h.changes] == [("l2", "rules"), ("l3", STAFF)]
    assert h.timeline.times("command:grade") == [minutes(5).timestamp()]


def test_resolve_then_reopen_then_resolve() -> None:
    h = history(ticket((STAFF, "/resolve downtime=1", 5), (STAFF, "/reopen", 6), (STAFF, "/resolve", 7)))
    assert h.resolved == minutes(7).timestamp()
    assert h.resolve_facts == {"downtime": "1"}
    assert h.texts["resolve"] == "downtime=1"  # a bare /resolve leaves the last text


def test_pause_and_resume_make_one_pause() -> None:
    h = history(ticket((STAFF, "/pause", 5), (STAFF, "/pause", 6), (STAFF, "/resume", 9)))
    assert h.timeline.pauses == [(minutes(5).timestamp(), minutes(9).timestamp())]


def test_a_pause_never_resumed_runs_on() -> None:
    h = history(ticket((STAFF, "/pause", 5)))
    assert h.timeline.pauses == [(minutes(5).timestamp(), float("inf"))]


def test_ratings_off_the_scale_are_kept_apart() -> None:
    h = history(ticket((STAFF, "/rate 7", 5), (STAFF, "/rate 1", 6)))
    assert [c.args for c in h.bad_ratings] == ["7"]
    assert (h.rating, h.rated_at, h.rating_comment) == (1, minutes(6).timestamp(), 101)


def test_kb_command_switches_on_and_off() -> None:
    assert history(ticket((STAFF, "/kb", 5))).kb
    assert not history(ticket((STAFF, "/kb", 5), (STAFF, "/kb off", 6))).kb


def test_a_customer_grade_label_is_undone_not_obeyed() -> None:
    label = Event(7, CUSTOMER, "labeled", minutes(2), label="grade:l1")
    t = ticket((CUSTOMER, "更多情况", 1), events=(label,))
    p = prepare(t, CTX)
    h = read_history(p, CTX, None)
    assert h.grade == "l2"
    assert h.undo_labels == (UndoLabel(7, "grade:l1", CUSTOMER),)
    assert prepare(t, CTX) == p  # reading the history changed nothing it was given


def test_a_staff_grade_label_regrades() -> None:
    t = ticket((STAFF, "收到", 1), events=(Event(7, STAFF, "labeled", minutes(2), label="grade:l1"),))
    assert history(t).grade == "l1"


def test_close_and_reopen_events() -> None:
    closed = Event(8, STAFF, "closed", minutes(3))
    h = history(ticket(events=(closed,)))
    assert h.closed == h.resolved == minutes(3).timestamp()
    assert h.last_close_event is not None and h.last_close_event.by_human
    reopened = replace(closed, id=9, kind="reopened", created_at=minutes(4))
    h = history(ticket(events=(closed, reopened)))
    assert h.closed is None and h.resolved is None


def test_an_incident_resolution_resolves_its_member() -> None:
    p = prepare(ticket(), CTX)
    assert read_history(p, CTX, minutes(30).timestamp()).resolved == minutes(30).timestamp()


def test_the_first_staff_reply_is_the_first_response() -> None:
    h = history(ticket((CUSTOMER, "还在漏", 1), (STAFF, "马上到", 4), (STAFF, "到了", 9)))
    assert h.first_response == minutes(4).timestamp()
