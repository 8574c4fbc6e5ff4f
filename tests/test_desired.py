"""A ticket's desired state, one part at a time, over plain tickets that it never changes."""

from __future__ import annotations

from dataclasses import replace

from test_history import CLUB, CTX, CUSTOMER, STAFF, minutes, ticket

from tracker.desired import (
    desire,
    desired_assignees,
    desired_comments,
    desired_labels,
    state_change,
    status_comment,
)
from tracker.engine import assess
from tracker.history import History, read_history
from tracker.model import Comment, EditComment, Event, PostComment, SetAssignees, SetLabels, Ticket
from tracker.protocol import STATUS, marker
from tracker.reading import Prepared, prepare
from tracker.views import TicketView

NOW = minutes(30)


def read(t: Ticket) -> tuple[Prepared, TicketView, History]:
    p = prepare(t, CTX)
    return p, assess(t, CLUB, NOW), read_history(p, CTX, None)


def test_the_parts_come_in_order_and_the_status_comment_last() -> None:
    p, view, h = read(ticket((CUSTOMER, "/grade l1", 1)))
    before = (p, view, h.grade, h.changes)
    desired = desire(p, view, h, CTX)
    kinds = [type(a).__name__ for a in desired.actions]
    assert kinds == ["SetLabels", "SetAssignees", "PostComment", "PostComment", "PostComment"]
    assert [a.key for a in desired.actions if isinstance(a, PostComment)] == [
        "denied:100", "esc:handoff:0:0", STATUS,
    ]  # fmt: skip
    assert desired.notes[0].startswith("#1 labels +")
    assert (p, view, h.grade, h.changes) == before


def test_labels_follow_the_grade_and_clocks() -> None:
    p, view, h = read(ticket())
    labels = desired_labels(p, view, h, CTX, is_open=True)
    assert isinstance(labels, SetLabels)
    assert "type:issue" in labels.add and "sla:breach" in labels.add
    assert desired_labels(p, view, h, CTX, is_open=False) == SetLabels(
        1, tuple(a for a in labels.add if not a.startswith("sla:b")), ()
    )


def test_a_label_a_person_took_off_stays_off() -> None:
    off = Event(5, STAFF, "unlabeled", minutes(2), label="type:issue")
    p, view, h = read(ticket(events=(off,)))
    labels = desired_labels(p, view, h, CTX, is_open=True)
    assert labels is not None and "type:issue" not in labels.add


def test_assignees_are_the_owner_and_nobody_a_person_took_off() -> None:
    p, view, h = read(ticket())
    people = desired_assignees(p, view, h, CTX, assignable=True)
    assert isinstance(people, SetAssignees) and people.add[0] == CTX.pick("agent", 1)
    assert desired_assignees(p, view, h, CTX, assignable=False) is None
    off = Event(5, STAFF, "unassigned", minutes(2), assignee=people.add[0])
    p, view, h = read(ticket(events=(off,)))
    again = desired_assignees(p, view, h, CTX, assignable=True)
    assert again is None or people.add[0] not in again.add


def test_comments_answer_a_customers_command_once() -> None:
    t = ticket((CUSTOMER, "/grade l1", 1))
    p, view, h = read(t)
    (denied,) = [c for c in desired_comments(p, view, h, CTX, is_open=True).comments if c.key == "denied:100"]
    assert f"@{CUSTOMER}" in denied.body
    posted = Comment(900, CLUB.bot.login, marker(denied.key) + "\n" + denied.body, minutes(2), is_bot=True)
    p, view, h = read(replace(t, comments=(*t.comments, posted)))
    assert "denied:100" not in [c.key for c in desired_comments(p, view, h, CTX, is_open=True).comments]


def test_the_status_comment_is_posted_then_left_alone_until_it_changes() -> None:
    t = ticket()
    p, view, h = read(t)
    first = status_comment(p, view, h, CTX)
    assert isinstance(first, PostComment) and first.key == STATUS
    shown = Comment(900, CLUB.bot.login, marker(STATUS) + "\n" + first.body, minutes(1), is_bot=True)
    p, view, h = read(replace(t, comments=(shown,)))
    assert status_comment(p, view, h, CTX) is None
    regraded = Comment(901, STAFF, "/grade l3", minutes(3), "MEMBER")
    p, view, h = read(replace(t, comments=(shown, regraded)))
    edit = status_comment(p, view, h, CTX)
    assert isinstance(edit, EditComment) and edit.comment_id == 900


def test_an_open_ticket_with_nothing_resolved_stays_as_it_is() -> None:
    p, view, h = read(ticket())
    assert state_change(p, view, h, CTX) == (None, (), ())
