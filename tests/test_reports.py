"""Report figures and report pages, on hand-built ticket views with hand-computed answers."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import markdown
import pytest

from tracker.calendar import calendars_for
from tracker.config import Config, parse_config
from tracker.errors import ConfigError
from tracker.report_figures import HEADLINE, MonthlyFigures, WeeklyFigures, monthly_figures, weekly_figures
from tracker.report_pages import monthly_report_markdown, weekly_report_markdown
from tracker.report_people import merit
from tracker.report_periods import month_bounds, report_periods, week_bounds
from tracker.views import ClockView, Command, Escalation, TicketView

SH = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
MIN = 60
HOUR = 3600

# 2024-W10 runs from Monday 4 March to Sunday 10 March; W09 is the week before.
WEEK = (2024, 10)
PREV = (2024, 9)
NOW = datetime(2024, 3, 11, 12, 0, tzinfo=SH)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> datetime:
    """A time in March 2024 (or ``month``), Shanghai."""
    return datetime(2024, month, day, hour, minute, tzinfo=SH)


POLICY: dict[str, Any] = {
    "name": "测试服务台",
    "name_en": "Test desk",
    "timezone": "Asia/Shanghai",
    "roles": {
        "desk": {"name": "服务台", "name_en": "Desk", "members": ["alice", "bob", "carol"]},
        "venue": {"name": "场地部", "name_en": "Venue", "members": ["dave"]},
        "training": {"name": "培训部", "name_en": "Training", "members": ["erin"]},
        "manager": {"name": "客服经理", "name_en": "Manager", "members": ["mgr"]},
    },
    "calendars": {
        "default": {"workday": {"working": ["09:00-18:00"]}, "restday": {}},
    },
    "grades": [
        {"id": "major", "name": "重大", "name_en": "Major"},
        {"id": "serious", "name": "严重", "name_en": "Serious"},
        {"id": "general", "name": "一般", "name_en": "General"},
    ],
    "types": [
        {"id": "fault", "name": "故障", "name_en": "Fault"},
        {"id": "complaint", "name": "投诉", "name_en": "Complaint"},
    ],
    "categories": [
        {"id": "booking", "name": "场地预订", "name_en": "Booking"},
        {"id": "membership", "name": "会员", "name_en": "Membership"},
    ],
    "fields": {
        "channel": {
            "label": "渠道",
            "kind": "dropdown",
            "options": [
                {"id": "phone", "name": "电话", "name_en": "Phone"},
                {"id": "web", "name": "网页", "name_en": "Web"},
            ],
        },
        "symptom": {
            "label": "现象",
            "kind": "dropdown",
            "options": [
                {"id": "login", "name": "登录失败", "name_en": "Login fails"},
                {"id": "payment", "name": "支付失败", "name_en": "Payment fails"},
            ],
        },
        "department": {
            "label": "责任部门",
            "kind": "dropdown",
            "options": [{"id": "front", "name": "前台", "name_en": "Front desk"}],
        },
    },
    "forms": [
        {"id": "report", "name": "报障", "type": "fault", "fields": ["channel", "symptom"]},
    ],
    "grading": {"default": "general"},
    "clocks": [
        {
            "id": "respond",
            "name": "首次响应",
            "name_en": "First response",
            "stop": ["staff_reply"],
            "within": "1h",
            "counting": "working",
        },
        {
            "id": "plan",
            "name": "方案",
            "name_en": "Plan",
            "stop": ["command:plan"],
            "within": "2h",
            "counting": "working",
        },
        {
            "id": "dept",
            "name": "部门响应",
            "name_en": "Department response",
            "stop": ["command:ack"],
            "within": "1h",
            "stop_by": ["venue"],
            "counting": "working",
        },
        {
            "id": "resolve",
            "name": "解决",
            "name_en": "Resolution",
            "stop": ["resolved"],
            "within": "1d",
        },
    ],
    "satisfaction": {
        "scale": [
            {"score": 10, "name": "非常满意", "name_en": "Very satisfied"},
            {"score": 7, "name": "满意", "name_en": "Satisfied"},
            {"score": 4, "name": "一般", "name_en": "Neutral"},
            {"score": 1, "name": "不满意", "name_en": "Unsatisfied"},
        ],
        "close_at_or_above": 7,
        "escalate_at_or_below": 4,
        "escalate_to": "manager",
        "penalties": {4: 2, 1: 5},
    },
    "reports": {
        "departments": ["venue"],
        "department_clocks": ["dept"],
        "department_field": "department",
        "channel_field": "channel",
        "symptom_fields": ["symptom"],
    },
}


def policy(**changes: Any) -> Config:
    return parse_config({**POLICY, **changes})


CFG = policy()
CFG_EN = policy(locale="en")


# ----------------------------------------------------------------------------- factory


def clock(
    cid: str,
    started: datetime,
    due: datetime,
    stopped: datetime | None = None,
    *,
    counting: str = "working",
    cycle: int = 0,
    escalations: tuple[Escalation, ...] = (),
    now: datetime = NOW,
) -> ClockView:
    if stopped is not None and stopped <= now:
        status = "met" if stopped <= due else "missed"
    else:
        stopped = None
        status = "late" if now >= due else "running"
    ref = stopped or now
    return ClockView(
        id=cid,
        name=cid,
        cycle=cycle,
        started=started,
        due=due,
        at_risk_at=due,
        stopped=stopped,
        status=status,  # type: ignore[arg-type]
        late_by=int(max(0.0, (ref - due).total_seconds())),
        limit=int((due - started).total_seconds()),
        counting=counting,
        escalations=escalations,
    )


def esc(cid: str, step: int, when: datetime) -> Escalation:
    return Escalation(clock=cid, cycle=0, step=step, at=when, assign=(), mention=(), labels=())


def cmd(name: str, author: str, when: datetime, args: str = "", comment_id: int = 0) -> Command:
    return Command(name=name, args=args, author=author, at=when, comment_id=comment_id)


def view(
    number: int,
    opened: datetime,
    *,
    grade: str | None = "general",
    first_grade: str | None = None,
    final_grade: str | None = None,
    category: str | None = "booking",
    type: str | None = "fault",
    facts: dict[str, Any] | None = None,
    first_response: datetime | None = None,
    resolved: datetime | None = None,
    rating: int | None = None,
    rated: datetime | None = None,
    clocks: tuple[ClockView, ...] = (),
    commands: tuple[Command, ...] = (),
    assignees: tuple[str, ...] = (),
    incident: bool = False,
    members: tuple[int, ...] = (),
    title: str = "工单",
) -> TicketView:
    return TicketView(
        number=number,
        title=title,
        author="desk-bot-user",
        form="report",
        type=type,
        category=category,
        facts=dict(facts or {}),
        missing=(),
        invalid=(),
        opened_at=opened,
        grade=grade,
        first_grade=first_grade or grade,
        final_grade=final_grade,
        grade_history=(),
        state="closed" if resolved else "open",
        resolved_at=resolved,
        closed_at=None,
        confirmed_at=None,
        first_response_at=first_response,
        rating=rating,
        rated_at=rated,
        paused=False,
        clocks=clocks,
        commands=commands,
        incident_key=None,
        is_incident=incident,
        members=members,
        wording=None,
        kb=False,
        texts={},
        labels=(),
        assignees=assignees,
    )


def week(views: list[TicketView], cfg: Config = CFG, now: datetime = NOW, wk=WEEK) -> WeeklyFigures:
    return weekly_figures(views, cfg, wk, now)


# ----------------------------------------------------------------------------- periods


def test_week_and_month_bounds_are_local_midnights() -> None:
    start, end = week_bounds(WEEK, SH)
    assert (start, end) == (datetime(2024, 3, 4, tzinfo=SH), datetime(2024, 3, 11, tzinfo=SH))
    assert week_bounds((2020, 53), SH)[0] == datetime(2020, 12, 28, tzinfo=SH)
    assert month_bounds((2024, 12), SH) == (
        datetime(2024, 12, 1, tzinfo=SH),
        datetime(2025, 1, 1, tzinfo=SH),
    )


def test_report_periods_cut_in_the_policy_time_zone() -> None:
    # Sunday 3 March 20:00 UTC is Monday 4 March 04:00 in Shanghai: week 10, not 9.
    sunday_night_utc = datetime(2024, 3, 3, 20, 0, tzinfo=UTC)
    views = [
        view(1, sunday_night_utc),
        view(2, at(29, month=2), resolved=at(1), commands=(cmd("update", "alice", at(12)),)),
        view(3, datetime(2020, 12, 31, 12, tzinfo=SH)),  # ISO week 53 of 2020
    ]
    weeks, months = report_periods(views, CFG)
    assert weeks == [(2020, 53), (2024, 9), (2024, 10), (2024, 11)]
    assert months == [(2020, 12), (2024, 2), (2024, 3)]
    # Without a config the default zone (Asia/Shanghai) is used.
    assert report_periods(views) == (weeks, months)
    assert report_periods([view(1, sunday_night_utc)], policy(timezone="UTC"))[0] == [(2024, 9)]


def test_report_periods_count_clock_stops_and_escalations() -> None:
    v = view(
        1,
        at(1),
        clocks=(clock("respond", at(1), at(1, 11), at(20, month=4), now=at(30, month=4)),),
    )
    assert report_periods([v], CFG)[1] == [(2024, 3), (2024, 4)]
    assert report_periods([], CFG) == ([], [])


# ----------------------------------------------------------------------------- volume


def test_volume_by_grade_category_type_and_channel() -> None:
    views = [
        view(1, at(4), grade="major", facts={"channel": "phone"}),
        view(2, at(5), category="membership", facts={"channel": "电话"}),  # option name
        view(3, at(6), type="complaint", facts={"channel": "<script>x</script>"}),
        view(4, at(7), grade=None, category=None, facts={"channel": ["web"]}),
        view(5, at(26, month=2), resolved=at(5)),  # opened last week, resolved this week
        view(6, at(6), incident=True),  # incidents are counted apart
        view(7, at(12)),  # after the week
    ]
    vol = week(views).volume
    assert vol.opened == 4
    assert vol.resolved == 1
    assert vol.incidents_opened == 1
    assert vol.backlog == 4  # 1-4 still open at the week's end; 5 resolved; 7 not yet opened
    assert vol.by_grade == {"major": 1, "serious": 0, "general": 2, "(none)": 1}
    assert vol.by_category == {"booking": 2, "membership": 1, "(none)": 1}
    assert vol.by_type == {"fault": 3, "complaint": 1}
    assert vol.by_channel == {"phone": 2, "web": 1, "(other)": 1}


def test_a_category_called_other_is_not_confused_with_unknown_values() -> None:
    cfg = policy(categories=[*POLICY["categories"], {"id": "other", "name": "其他问题"}])
    views = [view(1, at(4), category="other"), view(2, at(4), category="mystery")]
    assert week(views, cfg).volume.by_category == {
        "booking": 0,
        "membership": 0,
        "other": 1,
        "(other)": 1,
    }
    page = weekly_report_markdown(views, cfg, WEEK, NOW)
    assert "| 其他问题 | 1 |" in page and "| 其他 | 1 |" in page
    assert "mystery" not in page


def test_events_after_now_are_not_counted() -> None:
    views = [view(1, at(5)), view(2, at(8), resolved=at(9))]
    vol = week(views, now=at(7)).volume
    assert (vol.opened, vol.resolved, vol.backlog) == (1, 0, 1)


# ----------------------------------------------------------------------------- SLA attainment


def test_attainment_per_clock_and_grade() -> None:
    now = at(8, 12)  # Friday noon, inside the week
    views = [
        view(1, at(4, 9), grade="major",
             clocks=(clock("respond", at(4, 9), at(4, 10), at(4, 9, 30), now=now),)),
        view(2, at(4, 9), clocks=(clock("respond", at(4, 9), at(4, 10), at(4, 11), now=now),)),
        view(3, at(5, 9), clocks=(clock("respond", at(5, 9), at(5, 10), None, now=now),)),
        view(4, at(8, 9), clocks=(
            clock("respond", at(8, 9), at(8, 10), at(8, 9, 10), now=now),
            clock("plan", at(8, 9), at(8, 15), None, now=now),  # due later today: pending
            clock("resolve", at(8, 9), at(13, 9), None, now=now),  # due next week: not counted
        )),
        view(5, at(1, 9), clocks=(clock("respond", at(1, 9), at(1, 10), at(1, 9, 5), now=now),)),
    ]  # fmt: skip
    fig = week(views, now=now)
    respond = fig.attainment["respond"]
    o = respond.overall
    assert (o.met, o.missed, o.late, o.pending) == (2, 1, 1, 0)
    assert o.percent == 50.0
    assert respond.by_grade["major"].percent == 100.0
    g = respond.by_grade["general"]
    assert (g.met, g.missed, g.late, g.percent) == (1, 1, 1, 33.33)
    assert respond.by_grade["serious"].percent is None
    plan = fig.attainment["plan"].overall
    assert (plan.met, plan.pending, plan.percent) == (0, 1, None)
    assert fig.attainment["resolve"].overall.pending == 0
    assert list(fig.attainment) == ["respond", "plan", "dept", "resolve"]
    total = fig.attainment_overall
    assert (total.met, total.missed, total.late, total.pending) == (2, 1, 1, 1)
    assert fig.headline["attainment"] == 50.0
    assert fig.breaches.count == 2
    assert fig.breaches.by_clock == {"respond": 2, "plan": 0, "dept": 0, "resolve": 0}


def test_repeating_clock_rounds_count_one_by_one() -> None:
    rounds = (
        clock("respond", at(4, 9), at(4, 11), at(4, 10), cycle=0),
        clock("respond", at(4, 10), at(4, 12), at(4, 13), cycle=1),
        clock("respond", at(4, 13), at(4, 15), at(4, 14), cycle=2),
    )
    o = week([view(1, at(4, 9), clocks=rounds)]).attainment["respond"].overall
    assert (o.met, o.missed, o.percent) == (2, 1, 66.67)


# ----------------------------------------------------------------------------- timings


def test_median_p90_and_mean_of_known_durations() -> None:
    # Responses after 10, 20, 30, 40 and 50 minutes, all within Monday's working hours.
    views = [view(i, at(4, 9), first_response=at(4, 9, 10 * i)) for i in range(1, 6)]
    respond = week(views).timings["respond"].overall
    assert respond.wall.count == 5
    assert respond.wall.median == 30 * MIN
    assert respond.wall.p90 == 50 * MIN  # nearest rank: ceil(0.9 × 5) = 5th
    assert respond.wall.mean == 30 * MIN
    assert respond.business == respond.wall  # no clock on these tickets: wall time

    even = week(views[:4]).timings["respond"].overall.wall
    assert (even.median, even.p90, even.mean) == (25 * MIN, 40 * MIN, 25 * MIN)

    ten = [view(i, at(4, 9), first_response=at(4, 9, i)) for i in range(1, 11)]
    assert week(ten).timings["respond"].overall.wall.p90 == 9 * MIN  # 9th of 10


def test_business_time_across_a_night_uses_the_clock_calendar() -> None:
    # Opened Monday 17:00, answered Tuesday 10:00: 17 h on the wall, 2 working hours
    # (17:00-18:00 and 09:00-10:00) on the 09:00-18:00 calendar the respond clock counts.
    opened, answered = at(4, 17), at(5, 10)
    respond_clock = clock("respond", opened, at(5, 9), answered)
    v = view(1, opened, first_response=answered, clocks=(respond_clock,))
    t = week([v]).timings["respond"].overall
    assert t.wall.median == 17 * HOUR
    assert t.business.median == 2 * HOUR
    assert week([v]).headline["respond_median"] == 2 * HOUR


def test_business_time_over_a_weekend_and_per_grade() -> None:
    # Resolved the next Monday 10:00 after a Friday 17:00 opening: 65 h wall, 2 h working.
    # The resolve clock counts "elapsed" time: wall time from the first manned moment.
    opened, resolved = at(8, 17), at(11, 10)
    plan_clock = clock("plan", opened, at(11, 10), at(11, 10), now=at(12))
    resolve_clock = clock("resolve", opened, at(9, 17), resolved, counting="elapsed", now=at(12))
    v = view(1, opened, grade="serious", resolved=resolved, clocks=(plan_clock, resolve_clock))
    fig = week([v], now=at(12), wk=(2024, 11))
    resolve = fig.timings["resolve"]
    assert resolve.overall.wall.median == 65 * HOUR
    assert resolve.overall.business.median == 65 * HOUR  # elapsed counting: wall time
    plan = fig.timings["plan"]
    assert plan.overall.wall.median == 65 * HOUR
    assert plan.overall.business.median == 2 * HOUR  # working counting
    assert plan.by_grade["serious"].business.count == 1
    assert plan.by_grade["general"].business.count == 0


def test_time_to_plan_falls_back_to_the_plan_command() -> None:
    v = view(1, at(4, 9), commands=(cmd("plan", "dave", at(4, 11, 30)),))
    plan = week([v]).timings["plan"].overall
    assert plan.wall.median == plan.business.median == 2.5 * HOUR


def test_timings_count_in_the_period_they_end() -> None:
    v = view(1, at(1, 9), first_response=at(4, 9))  # opened in W09, answered in W10
    assert week([v]).timings["respond"].overall.wall.count == 1
    assert week([v], wk=PREV).timings["respond"].overall.wall.count == 0


# ----------------------------------------------------------------------------- breaches


def test_breaches_and_escalations_by_clock_and_step() -> None:
    late = clock(
        "respond",
        at(4, 9),
        at(4, 10),
        None,
        escalations=(esc("respond", 0, at(4, 10)), esc("respond", 1, at(4, 11))),
    )
    missed = clock("dept", at(5, 9), at(5, 10), at(5, 12), escalations=(esc("dept", 0, at(5, 10)),))
    old = clock("resolve", at(1, 9), at(2, 9), None, escalations=(esc("resolve", 0, at(2, 9)),))
    views = [view(1, at(4, 9), clocks=(late,)), view(2, at(5, 9), clocks=(missed, old))]
    br = week(views).breaches
    assert br.count == 2
    assert br.by_clock == {"respond": 1, "plan": 0, "dept": 1, "resolve": 0}
    assert br.escalations == 3
    assert br.escalations_by_clock == {"respond": 2, "plan": 0, "dept": 1, "resolve": 0}
    assert br.escalations_by_step == {"1": 2, "2": 1}


# ----------------------------------------------------------------------------- incidents


def test_incidents_with_first_and_final_grade() -> None:
    views = [
        view(10, at(5), grade="major", first_grade="serious", final_grade="major",
             resolved=at(6), incident=True, members=(1, 2, 3)),
        view(11, at(26, month=2), grade="general", incident=True),  # still open
        view(12, at(20, month=2), resolved=at(21, month=2), incident=True),  # over before
        view(13, at(5)),  # an ordinary ticket
    ]  # fmt: skip
    rows = week(views).incidents
    assert [r.number for r in rows] == [10, 11]
    first = rows[0]
    assert (first.first_grade, first.grade, first.final_grade) == ("serious", "major", "major")
    assert first.members == 3
    assert first.opened_at == "2024-03-05T10:00:00+08:00"
    assert first.resolved_at == "2024-03-06T10:00:00+08:00"
    assert rows[1].resolved_at is None
    assert week(views).headline["incidents"] == 2


# ----------------------------------------------------------------------------- satisfaction


def rated(number: int, score: int, who: str, when: datetime, **kw: Any) -> TicketView:
    return view(number, at(4, 9), resolved=at(4, 12), rating=score, rated=when,
                assignees=(who,), **kw)  # fmt: skip


def test_satisfaction_average_distribution_and_follow_ups() -> None:
    views = [
        rated(1, 10, "carol", at(5)),
        rated(2, 7, "carol", at(5)),
        rated(3, 4, "alice", at(5, 10), commands=(cmd("update", "mgr", at(5, 11), comment_id=9),)),
        rated(4, 1, "alice", at(6, 10), commands=(cmd("update", "alice", at(6, 9)),)),
        rated(5, 4, "bob", at(7, 10), commands=(cmd("rate", "bob", at(7, 10), "4"),)),
        rated(6, 7, "bob", at(1)),  # rated the week before
    ]
    sat = week(views).satisfaction
    assert sat is not None
    assert sat.count == 5
    assert sat.average == 5.2  # (10 + 7 + 4 + 1 + 4) / 5
    assert sat.distribution == {"10": 1, "7": 1, "4": 2, "1": 1}
    assert [(f.number, f.rating, f.followed_up) for f in sat.low] == [
        (3, 4, True),
        (4, 1, False),  # the only command came before the rating
        (5, 4, False),  # the /rate itself is not a follow-up
    ]
    assert (sat.low[0].by, sat.low[0].at) == ("mgr", "2024-03-05T11:00:00+08:00")
    assert sat.followed_up == 1


def test_satisfaction_is_none_without_a_scale() -> None:
    cfg = policy(satisfaction=None)
    fig = week([rated(1, 10, "carol", at(5))], cfg)
    assert fig.satisfaction is None
    assert fig.headline["satisfaction"] is None


def test_rule_004_penalties_per_agent() -> None:
    views = [
        rated(1, 4, "alice", at(5)),  # neutral: -2
        rated(2, 1, "alice", at(5)),  # unsatisfied: -5
        rated(3, 4, "bob", at(5)),
        rated(4, 10, "carol", at(5)),
        rated(5, 7, "carol", at(5)),
    ]
    agents = {a.login: a for a in week(views).agents}
    assert agents["alice"].penalty_points == 7
    assert agents["bob"].penalty_points == 2
    assert agents["carol"].penalty_points == 0
    assert agents["alice"].average_rating == 2.5
    assert agents["carol"].average_rating == 8.5
    assert (agents["carol"].ratings, agents["carol"].satisfied, agents["alice"].low) == (2, 2, 2)


# ----------------------------------------------------------------------------- agents


def test_agents_handled_resolved_and_who_handles() -> None:
    views = [
        view(1, at(4), assignees=("alice", "bob"), resolved=at(5)),
        view(2, at(4), commands=(cmd("update", "carol", at(4, 11)),
                                 cmd("resolve", "bob", at(4, 12)),), resolved=at(4, 12)),
        view(3, at(4), commands=(cmd("update", "carol", at(4, 11)),)),
        view(4, at(27, month=2), assignees=("alice",), resolved=at(5)),  # opened before
        view(5, at(5), assignees=("github-actions[bot]",)),
    ]  # fmt: skip
    agents = {a.login: (a.handled, a.resolved) for a in week(views).agents}
    assert agents == {"alice": (1, 2), "bob": (2, 2), "carol": (1, 0)}


def test_merit_formula() -> None:
    assert merit(3, 2, 1, 2, 0, penalties_configured=True) == 3  # 3 + 2 - 2 - 0
    assert merit(3, 2, 1, 0, 1, penalties_configured=False) == 3  # 3 + 2 - 1 - 1
    assert merit(0, 0, 0, 0, 2, penalties_configured=True) == -2


def test_best_agent_of_the_month_and_tie_break() -> None:
    # bob and alice both resolve two tickets rated 7: a tie, broken by login.
    views = [
        rated(1, 7, "bob", at(5)),
        rated(2, 7, "bob", at(5)),
        rated(3, 7, "alice", at(5)),
        rated(4, 7, "alice", at(5)),
        view(5, at(5), assignees=("carol",)),  # handled, resolved nothing
    ]
    fig = monthly_figures(views, CFG, (2024, 3), NOW)
    assert isinstance(fig, MonthlyFigures)
    scores = {a.login: a.score for a in fig.agents}
    assert scores == {"alice": 4, "bob": 4, "carol": 0}
    assert fig.best_agent == "alice"
    # A neutral rating costs alice 2 points (rule 004) and the title.
    views[3] = rated(4, 4, "alice", at(5))
    fig = monthly_figures(views, CFG, (2024, 3), NOW)
    assert {a.login: a.score for a in fig.agents}["alice"] == 1  # 2 + 1 - 2
    assert fig.best_agent == "bob"


def test_breaches_cost_the_agent_points() -> None:
    # The response clock stopped only at the resolution, two hours after it fell due.
    missed = clock("respond", at(4, 9), at(4, 10), at(4, 12))
    views = [
        view(1, at(4, 9), assignees=("alice",), resolved=at(4, 12), clocks=(missed,)),
        view(2, at(4, 9), assignees=("bob",), resolved=at(4, 12)),
    ]
    fig = monthly_figures(views, CFG, (2024, 3), NOW)
    agents = {a.login: a for a in fig.agents}
    assert (agents["alice"].breaches, agents["alice"].score) == (1, 0)
    assert (agents["bob"].breaches, agents["bob"].score) == (0, 1)
    assert fig.best_agent == "bob"


def test_nobody_is_best_in_an_empty_month() -> None:
    fig = monthly_figures([], CFG, (2024, 3), NOW)
    assert fig.best_agent is None and fig.best_department is None


# ----------------------------------------------------------------------------- departments


def test_department_from_fact_or_assignee_role() -> None:
    dept_met = clock("dept", at(4, 9), at(4, 10), at(4, 9, 30))
    dept_missed = clock("dept", at(5, 9), at(5, 10), at(5, 11))
    views = [
        view(1, at(4, 9), facts={"department": "venue"}, resolved=at(4, 12), clocks=(dept_met,)),
        view(2, at(5, 9), facts={"department": "场地部"}, clocks=(dept_missed,)),  # role name
        view(3, at(5, 9), assignees=("dave",), resolved=at(6)),
        view(4, at(5, 9), assignees=("erin",)),
        view(5, at(6, 9), assignees=("alice",), resolved=at(12)),  # resolved after the week
        view(6, at(6, 9), facts={"department": "前台"}),  # a field option
        view(7, at(6, 9), facts={"department": "<b>nobody</b>"}),
    ]
    depts = {d.id: d for d in week(views, now=at(20)).departments}
    assert set(depts) == {"venue", "training", "desk", "front", "(other)"}
    venue = depts["venue"]
    assert (venue.received, venue.resolved, venue.success_rate) == (3, 2, 66.67)
    assert (venue.clocks_due, venue.clocks_met, venue.timeliness) == (2, 1, 50.0)
    assert venue.breaches == 1
    assert (depts["training"].received, depts["training"].success_rate) == (1, 0.0)
    assert depts["training"].timeliness is None
    # Success counts resolutions up to now, even after the week.
    assert depts["desk"].success_rate == 100.0


def test_department_clock_without_department_goes_to_the_stop_by_role() -> None:
    v = view(1, at(4, 9), clocks=(clock("dept", at(4, 9), at(4, 10), at(4, 9, 20)),))
    depts = week([v]).departments
    assert [(d.id, d.received, d.clocks_met, d.timeliness) for d in depts] == [
        ("venue", 0, 1, 100.0)
    ]


def test_best_department_of_the_month() -> None:
    views = [
        view(1, at(4), facts={"department": "venue"}, resolved=at(5)),
        view(2, at(4), facts={"department": "venue"}, resolved=at(5)),
        view(3, at(4), facts={"department": "training"}, resolved=at(5)),
        view(4, at(4), facts={"department": "training"}, resolved=at(5)),
        view(5, at(4), facts={"department": "training"}),
    ]
    fig = monthly_figures(views, CFG, (2024, 3), NOW)
    assert {d.id: d.score for d in fig.departments} == {"training": 2, "venue": 2}
    assert fig.best_department == "training"  # tie: alphabetical


# ----------------------------------------------------------------------------- recurring


def test_recurring_problems_and_reopened_tickets() -> None:
    views = [
        view(1, at(4), facts={"symptom": "login"}),
        view(2, at(5), facts={"symptom": "登录失败"}),
        view(3, at(6), facts={"symptom": "login"}),
        view(4, at(6), category="membership", facts={"symptom": "payment"}),
        view(5, at(7), category="membership", facts={"symptom": "payment"}),
        view(6, at(7), facts={"symptom": "payment"}),
        view(7, at(7), facts={"symptom": "ignore <this>"}, title="<script>"),
        view(8, at(7), facts={"symptom": "or this"}),
        view(9, at(20, month=2), commands=(
            cmd("reopen", "alice", at(5)), cmd("reopen", "alice", at(7)),
            cmd("reopen", "alice", at(27, month=2)),
        )),
    ]  # fmt: skip
    fig = week(views)
    assert [(r.category, r.symptom, r.count, r.tickets) for r in fig.recurring] == [
        ("booking", "login", 3, (1, 2, 3)),
        ("booking", "(other)", 2, (7, 8)),
        ("membership", "payment", 2, (4, 5)),
    ]
    assert [(r.number, r.category, r.reopened) for r in fig.returned] == [(9, "booking", 2)]


# ----------------------------------------------------------------------------- deltas, empty


def test_change_against_the_previous_week() -> None:
    views = [
        view(1, at(26, month=2, hour=9), first_response=at(26, month=2, hour=10), rating=10,
             rated=at(27, month=2), resolved=at(27, month=2)),
        view(2, at(27, month=2)),
        view(3, at(4, 9), first_response=at(4, 9, 30), rating=4, rated=at(5), resolved=at(5)),
        view(4, at(4)),
        view(5, at(5)),
        view(6, at(6)),
    ]  # fmt: skip
    fig = week(views)
    assert fig.previous["opened"] == 2 and fig.headline["opened"] == 4
    assert fig.delta["opened"] == 2
    assert fig.delta["resolved"] == 0
    assert fig.delta["respond_median"] == -30 * MIN
    assert fig.delta["satisfaction"] == -6
    assert fig.delta["attainment"] is None  # no clocks either week
    assert set(fig.delta) == set(HEADLINE)


def test_previous_month_of_january_is_december() -> None:
    views = [view(1, datetime(2023, 12, 5, tzinfo=SH)), view(2, datetime(2024, 1, 5, tzinfo=SH))]
    fig = monthly_figures(views, CFG, (2024, 1), NOW)
    assert (fig.label, fig.previous["opened"], fig.delta["opened"]) == ("2024-01", 1, 0)


def test_an_empty_week() -> None:
    fig = week([])
    assert fig.volume.opened == 0
    assert fig.attainment_overall.percent is None
    assert fig.timings["respond"].overall.wall == fig.timings["respond"].overall.business
    assert fig.timings["respond"].overall.wall.median is None
    assert fig.satisfaction is not None and fig.satisfaction.average is None
    assert fig.agents == () and fig.departments == () and fig.recurring == ()
    assert fig.delta == dict.fromkeys(HEADLINE, 0) | {
        "attainment": None,
        "respond_median": None,
        "resolve_median": None,
        "satisfaction": None,
    }
    assert (fig.label, fig.start, fig.end) == (
        "2024-W10",
        "2024-03-04T00:00:00+08:00",
        "2024-03-11T00:00:00+08:00",
    )


def test_figures_are_json_data() -> None:
    views = scenario()
    fig = week(views)
    data = asdict(fig)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    assert json.loads(text)["volume"]["opened"] == fig.volume.opened
    assert json.dumps(asdict(week(views)), ensure_ascii=False, sort_keys=True) == text


# ----------------------------------------------------------------------------- markdown

HOSTILE = '<script>alert(1)</script> [click](https://evil.example) "onload=x'


def scenario() -> list[TicketView]:
    respond_late = clock(
        "respond", at(4, 9), at(4, 10), None, escalations=(esc("respond", 0, at(4, 10)),)
    )
    return [
        view(1, at(4, 17), grade="major", first_response=at(5, 10), resolved=at(5, 15),
             rating=10, rated=at(5, 16), assignees=("alice",), title=HOSTILE,
             facts={"channel": "phone", "symptom": "login", "department": "venue"},
             clocks=(clock("respond", at(4, 17), at(5, 9), at(5, 10)),
                     clock("dept", at(4, 17), at(5, 9), at(4, 17, 30)))),
        view(2, at(5, 9), first_response=at(5, 9, 20), resolved=at(6), rating=4, rated=at(6, 11),
             assignees=("bob",), facts={"symptom": "login", "channel": HOSTILE}, title=HOSTILE,
             commands=(cmd("update", "mgr", at(6, 12)),)),
        view(3, at(6, 9), assignees=("<img src=x onerror=alert(1)>",), clocks=(respond_late,),
             category="membership"),
        view(4, at(6, 9), grade="serious", first_grade="general", final_grade="major",
             incident=True, members=(1, 2), resolved=at(7)),
        view(5, at(27, month=2), assignees=("carol",), resolved=at(28, month=2)),
    ]  # fmt: skip


def svgs(page: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", page, flags=re.S)


def test_weekly_page_front_matter_and_chinese_headings() -> None:
    page = weekly_report_markdown(scenario(), CFG, WEEK, NOW, people=True)
    assert page.startswith('---\ntitle: "2024 年第 10 周服务周报"\ndate: 2024-03-10\nsearch:\n  boost: 0.25\n---\n')
    for heading in ("## 概览", "## 工单量", "## SLA 达成", "## 处理时效", "## 满意度", "## 坐席"):
        assert f"\n{heading}\n" in page
    assert "重大" in page and "场地预订" in page and "场地部" in page
    assert "## 本月最佳" not in page
    assert page.endswith("\n") and not page.endswith("\n\n")


def test_monthly_page_in_english_names_the_best() -> None:
    page = monthly_report_markdown(scenario(), CFG_EN, (2024, 3), NOW, people=True)
    assert page.startswith('---\ntitle: "Service report, March 2024"\ndate: 2024-03-11\nsearch:\n  boost: 0.25\n---\n')
    assert "## Best of the month" in page
    assert "| Best agent | alice |" in page
    assert "| Best department | Venue |" in page
    assert "概览" not in page and "## Summary" in page


def test_page_is_deterministic() -> None:
    views = scenario()
    first = weekly_report_markdown(views, CFG, WEEK, NOW)
    assert weekly_report_markdown(list(reversed(views)), CFG, WEEK, NOW) == first
    monthly = monthly_report_markdown(views, CFG, (2024, 3), NOW)
    assert monthly_report_markdown(views, CFG, (2024, 3), NOW) == monthly


def test_page_carries_no_ticket_text_and_escapes_logins() -> None:
    page = weekly_report_markdown(scenario(), CFG, WEEK, NOW, people=True)
    assert "<script" not in page
    assert "evil.example" not in page
    assert "onload" not in page
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the hostile login, inert
    assert "&#35;1" in page  # tickets are referred to by number


def test_page_charts_are_well_formed_and_survive_markdown() -> None:
    page = weekly_report_markdown(scenario(), CFG, WEEK, NOW)
    charts = svgs(page)
    assert len(charts) >= 5
    for svg in charts:
        root = ET.fromstring(svg)
        assert root.get("role") == "img"
    body = page.split("---\n", 2)[2]
    for extensions in (["tables"], ["tables", "attr_list", "pymdownx.superfences", "md_in_html"]):
        html = markdown.markdown(body, extensions=extensions)
        assert svgs(html) == charts  # passed through untouched
        assert "<table>" in html
        assert "<script" not in html


def test_empty_week_page() -> None:
    page = weekly_report_markdown([], CFG, WEEK, NOW)
    assert "本期无数据。" in page
    for svg in svgs(page):
        ET.fromstring(svg)
    assert len(svgs(page)) == 1  # only the trend: no bars without tickets
    assert "W03: 0" in svgs(page)[0]
    assert "| 新建工单 | 0 | 0 | 0 |" in page  # no change: no sign
    en = weekly_report_markdown([], CFG_EN, WEEK, NOW)
    assert "Nothing this period." in en


def test_page_figures_match_the_numbers() -> None:
    page = weekly_report_markdown(scenario(), CFG, WEEK, NOW)
    # Ticket 1: 17 wall hours, 2 working hours to the first response; ticket 2: 20 minutes.
    assert "| 首次响应 | 2 | 1小时10分钟 | 2小时 | 8小时40分钟 | 17小时 |" in page
    assert "| 新建工单 | 3 | 1 | +2 |" in page
    assert "| 平均满意度 | 7.00 | — | — |" in page


def test_week_date_is_today_for_a_running_week() -> None:
    page = weekly_report_markdown([], CFG, WEEK, at(6, 15))
    assert "\ndate: 2024-03-06\n" in page


def test_english_page_spells_durations_in_english() -> None:
    page = weekly_report_markdown(scenario(), CFG_EN, WEEK, NOW)
    assert "| First response | 2 | 1 hr 10 min | 2 hr | 8 hr 40 min | 17 hr |" in page
    assert "| Tickets opened | 3 | 1 | +2 |" in page
    assert "## Satisfaction" in page and "Neutral (4)" in page


def test_calendars_can_be_passed_in() -> None:
    always = policy(
        calendars={
            "default": {
                "workdays": [1, 2, 3, 4, 5, 6, 7],
                "workday": {"working": ["00:00-24:00"]},
                "restday": {},
            }
        }
    )
    opened, answered = at(4, 17), at(5, 10)
    v = view(1, opened, first_response=answered, clocks=(clock("respond", opened, at(5, 9)),))
    fig = weekly_figures([v], CFG, WEEK, NOW, calendars=calendars_for(always))
    assert fig.timings["respond"].overall.business.median == 17 * HOUR
    assert weekly_figures([v], CFG, WEEK, NOW).timings["respond"].overall.business.median == (
        2 * HOUR
    )


def test_a_role_listed_as_a_department_wins_over_other_roles() -> None:
    cfg = policy(
        roles={
            **POLICY["roles"],
            "department": {"name": "责任部门", "members": ["dave", "erin"]},
            "task_force": {"name": "专项小组", "members": ["dave", "mgr"]},
        },
        clocks=[
            {"id": "dept_plan", "name": "部门方案", "stop": ["command:plan"], "within": "1h"},
            {"id": "report", "name": "书面报告", "stop": ["command:report"], "within": "1d",
             "stop_by": ["task_force"]},
        ],
        reports={"departments": ["department"], "department_clocks": ["dept_plan"]},
    )  # fmt: skip
    rounds = (
        clock("dept_plan", at(4, 9), at(4, 10), at(4, 9, 30)),
        clock("report", at(4, 9), at(5, 9), at(6, 9)),  # not a department clock here
    )
    v = view(1, at(4, 9), assignees=("dave",), clocks=rounds)
    (dept,) = week([v], cfg).departments
    assert (dept.id, dept.received, dept.clocks_due, dept.timeliness) == ("department", 1, 1, 100.0)


def test_a_role_named_without_dept_can_be_a_department() -> None:
    # dave is in venue and in task_force: the role listed under reports.departments wins.
    roles = {**POLICY["roles"], "task_force": {"name": "专项小组", "members": ["dave"]}}
    v = view(1, at(4, 9), assignees=("dave",), clocks=(clock("dept", at(4, 9), at(4, 10), at(4, 9, 30)),))
    listed = policy(roles={"task_force": roles["task_force"], **POLICY["roles"]},
                    reports={"departments": ["venue"], "department_clocks": ["dept"]})  # fmt: skip
    assert [d.id for d in week([v], listed).departments] == ["venue"]
    other = policy(roles={"task_force": roles["task_force"], **POLICY["roles"]},
                   reports={"departments": ["task_force"], "department_clocks": ["dept"]})  # fmt: skip
    (dept,) = week([v], other).departments
    assert (dept.id, dept.received, dept.timeliness) == ("task_force", 1, 100.0)
    # Nothing is guessed from an id: a clock named "dept" measures nobody unless listed.
    unlisted = policy(reports={"departments": ["venue"]})
    assert [(d.id, d.clocks_due) for d in week([v], unlisted).departments] == [("venue", 0)]


def test_report_settings_must_name_what_the_policy_has() -> None:
    with pytest.raises(ConfigError) as caught:
        policy(
            reports={
                "departments": ["venue", "legal"],
                "department_clocks": ["respond", "nope"],
                "department_field": "team",
                "channel_field": "channel",
                "symptom_fields": ["symptom", "module"],
            }
        )
    text = str(caught.value)
    assert "tracker.yml" in text
    assert "reports.departments[1]: role 'legal' is not defined under roles" in text
    assert "reports.department_clocks[1]: clock 'nope' is not under clocks" in text
    assert "reports.department_field: field 'team' is not under fields" in text
    assert "reports.symptom_fields[1]: field 'module' is not under fields" in text
    assert "reports.channel_field" not in text and "departments[0]" not in text


def test_per_person_figures_stay_off_the_public_report_by_default() -> None:
    # Agents' logins, their penalty points and the best agent are for staff: the page on
    # the public site shows departments only unless publishing.people is on.
    weekly = weekly_report_markdown(scenario(), CFG, WEEK, NOW)
    monthly = monthly_report_markdown(scenario(), CFG_EN, (2024, 3), NOW)
    for page in (weekly, monthly):
        assert "alice" not in page and "onerror" not in page
    assert "## Agents" not in monthly and "Best agent" not in monthly and "Penalty points" not in monthly
    assert "| Best department | Venue |" in monthly
    opted_in = CFG_EN.model_copy(update={"publishing": CFG_EN.publishing.model_copy(update={"people": True})})
    assert "| Best agent | alice |" in monthly_report_markdown(scenario(), opted_in, (2024, 3), NOW)
