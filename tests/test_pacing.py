"""Counting what a plan writes and cutting it to an hourly write budget: plain data, no hub."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.model import DeleteComment, OpenIncident, Plan, PostComment, SetAssignees, SetLabels, Ticket
from tracker.pacing import effects, pace, record_writes, spent_in_hour, writes_of

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
RANK = {"grade:major": 2, "grade:minor": 1}


def _ticket(number: int, hours_ago: int, labels: tuple[str, ...] = ()) -> Ticket:
    at = T0 - timedelta(hours=hours_ago)
    return Ticket(number, f"t{number}", "", "dave", at, at, labels=labels)


def _acts(number: int, grade: str = "grade:minor") -> list:
    return [
        SetLabels(number, add=(grade, "sla:breach"), remove=("needs-info",)),
        SetAssignees(number, add=("carol",)),
        PostComment(number, f"esc:{number}", "@alice @bob please look; mail me@example.com"),
    ]


def test_writes_and_effects_are_counted_per_action() -> None:
    acts = _acts(1)
    assert [writes_of(a) for a in acts] == [2, 1, 1]
    incident = OpenIncident("k", "Outage", "body @carol", ("incident",), (1, 2), "see #0")
    e = effects([*acts, incident])
    assert e.as_dict() == {"tickets": 2, "comments": 4, "mentions": 3, "writes": 4 + 3}
    copy = DeleteComment(3, "esc:3", 900)  # a copy another run posted: deleting it is a write
    assert effects([copy]).as_dict() == {"tickets": 1, "comments": 0, "mentions": 0, "writes": 1}


def test_a_plan_within_budget_is_kept_whole() -> None:
    plan = Plan(tuple(_acts(1)), memo={1: "m"})
    paced = pace(plan, [_ticket(1, 1)], 4, RANK)
    assert paced.plan is plan and paced.deferred == ()


def test_a_large_plan_keeps_the_most_urgent_and_newest_tickets_and_forgets_the_rest() -> None:
    tickets = [_ticket(1, 30), _ticket(2, 20), _ticket(3, 10), _ticket(4, 40)]
    actions = [*_acts(1), *_acts(2), *_acts(3), *_acts(4, "grade:major")]
    plan = Plan(tuple(actions), memo={n: f"m{n}" for n in range(1, 5)})
    paced = pace(plan, tickets, 8, RANK)
    # #4 is major (oldest, but most urgent), then the newest minor, #3; #2 and #1 wait.
    assert {a.number for a in paced.plan.actions} == {3, 4}
    assert paced.deferred == (1, 2) and paced.deferred_writes == 8
    assert dict(paced.plan.memo) == {3: "m3", 4: "m4"}


def test_a_less_urgent_ticket_never_overtakes_a_deferred_one() -> None:
    tickets = [_ticket(1, 1), _ticket(2, 2)]
    plan = Plan((*_acts(1), SetLabels(2, add=("x",))))
    paced = pace(plan, tickets, 3, RANK)
    assert paced.plan.actions == () and paced.deferred == (1, 2)


def test_the_write_log_keeps_one_hour() -> None:
    now = T0.timestamp()
    log = record_writes([[now - 4000, 100], [now - 1800, 50]], now, 30)
    assert log == [[now - 1800, 50.0], [now, 30.0]]
    assert spent_in_hour(log, now) == 80
    assert spent_in_hour(log, now + 1900) == 30
    assert record_writes([], now, 0) == []
