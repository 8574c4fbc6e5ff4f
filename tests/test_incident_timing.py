"""Incidents are a function of the tickets' history, not of when the grader ran.

Random mornings of the online preset — login failures and security problems from ordinary
and VIP customers, some affecting 1 % of users (a rule incident) — graded on time (a run
after every arrival), late (one run at the end), every few minutes, and after a crash (the
late run stopped after a random number of its actions): every way ends with the same
incidents, the same members and the same links.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from policy_helpers import Desk, at, load_preset

from tracker.apply import apply_plan
from tracker.engine import grade
from tracker.model import Plan
from tracker.protocol import marker_key

CFG = load_preset("online")
START = at("2026-11-24 10:00")  # a Tuesday, working hours
ORD = {"channel": "phone", "description": "用户反馈问题", "complaints_per_hour": 2}

# (minute after 10:00, symptom, tier, affects 1 % of users)
Arrival = tuple[int, str, str, bool]
arrivals = st.lists(
    st.tuples(
        st.integers(0, 90),
        st.sampled_from(["login_failure", "login_failure", "account_security", "product_bug"]),
        st.sampled_from(["ordinary", "ordinary", "vip"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=10,
).map(lambda xs: sorted(xs, key=lambda a: a[0]))


def _open(desk: Desk, a: Arrival) -> None:
    minute, symptom, tier, wide = a
    answers: dict[str, Any] = {**ORD, "symptom": symptom, "tier": tier}
    if wide:
        answers["affected_ratio"] = "1%"
    desk.open("problem", answers, START + timedelta(minutes=minute))


def _settle(desk: Desk, now: datetime) -> None:
    for _ in range(5):
        if not desk.run(now).actions:
            return
    raise AssertionError("the desk does not settle")


def _outcome(desk: Desk, now: datetime) -> dict[str, Any]:
    """Each incident by its key with its members, and each ticket's links; tickets named by
    their place in the story (the incidents' own issues take numbers in between)."""
    tickets = [t.number for t in desk.tickets() if t.author != CFG.bot.login]
    place = {n: f"t{i}" for i, n in enumerate(tickets)}

    def named(key: str) -> str:
        head, _, number = key.rpartition("-")
        return f"{head}-{place[int(number)]}"

    incidents = {}
    for t in desk.tickets():
        if t.author == CFG.bot.login:
            view = desk.view(t.number, now)
            key = marker_key(t.body) or "?"
            incidents[named(key)] = tuple(place[m] for m in view.members)
    links = {
        place[n]: sorted(named(k) for k in desk.bot_comments(n) if k.startswith("incident-link"))
        for n in tickets
    }
    return {"incidents": incidents, "links": links}


def _end(story: list[Arrival]) -> datetime:
    return START + timedelta(minutes=story[-1][0] + 10)


def on_time(story: list[Arrival]) -> dict[str, Any]:
    with Desk(CFG) as desk:
        for i, a in enumerate(story):
            _open(desk, a)
            if i + 1 == len(story) or story[i + 1][0] != a[0]:
                desk.run(START + timedelta(minutes=a[0]))
        _settle(desk, _end(story))
        return _outcome(desk, _end(story))


def every(minutes: int, story: list[Arrival]) -> dict[str, Any]:
    with Desk(CFG) as desk:
        pending = list(story)
        t = 0
        while pending:
            while pending and pending[0][0] <= t:
                _open(desk, pending.pop(0))
            desk.run(START + timedelta(minutes=t))
            t += minutes
        _settle(desk, _end(story))
        return _outcome(desk, _end(story))


def late(story: list[Arrival], crash_after: int | None = None) -> dict[str, Any]:
    end = _end(story)
    with Desk(CFG) as desk:
        for a in story:
            _open(desk, a)
        if crash_after is not None:
            desk.now = end
            plan = grade(desk.tickets(), CFG, end)
            apply_plan(Plan(plan.actions[:crash_after]), desk.hub, now=end)
        _settle(desk, end)
        return _outcome(desk, end)


@settings(max_examples=40)
@given(story=arrivals, crash=st.integers(0, 40))
def test_incidents_and_links_do_not_depend_on_when_the_grader_ran(story: list[Arrival], crash: int) -> None:
    expected = on_time(story)
    assert late(story) == expected
    assert every(7, story) == expected
    assert late(story, crash_after=crash) == expected


def test_a_rule_ticket_joined_by_a_surge_is_one_incident_graded_late_or_on_time() -> None:
    """A login failure affecting 1 % of users, then four more inside half an hour."""
    story: list[Arrival] = [(0, "login_failure", "ordinary", True)] + [
        (m, "login_failure", "ordinary", False) for m in (5, 10, 15, 20)
    ]
    expected = on_time(story)
    assert expected["incidents"] == {"incident:rule-t0": ("t0", "t1", "t2", "t3", "t4")}
    assert {tuple(v) for v in expected["links"].values()} == {("incident-link:rule-t0",)}
    assert late(story) == expected
