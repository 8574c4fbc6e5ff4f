"""Preset ``desk`` (rulebook 004, IT service desk) through the real grader.

Every number of POLICIES.md section 004 (5 × 8 hours, 2 h complaint contact, 2 updates a day,
the 10 / 7 / 4 / 1 scale, ≥ 7 closes, ≤ 4 escalates, penalties 2 and 5) and every site choice
in the preset's header (09:00-12:00 + 13:00-18:00, response 30 min / 2 h / 4 h, resolution
4 h / 8 h / 24 h, 8 h for /eta, 1 h, 40 h) is reproduced with real 2026 dates, including
China's 2026 holidays and make-up working days (from ``chinese_calendar``).
Ticket #1 of a fresh desk gets the second member of a role (round-robin by number).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import chinese_calendar
import pytest
from policy_helpers import Desk, at, iter_escalations, load_preset, posted, preset_file

from tracker.config import Config
from tracker.forms import issue_forms
from tracker.model import CloseTicket, ReopenTicket, SetAssignees

AGENT, AGENT_PICKED = "desk-agent-1", "desk-agent-2"
MANAGER = "desk-manager"
L2 = "desk-l2-1"
DEPT, DEPT_PICKED = "desk-dept-ops", "desk-dept-product"
CS_MANAGER = "desk-cs-manager"
QUALITY = "desk-quality"
CUSTOMER = "customer-li"  # not staff

ALL_DEPT = "@desk-dept-ops @desk-dept-product"


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load_preset("desk")


@pytest.fixture
def desk(cfg: Config) -> Iterator[Desk]:
    with Desk(cfg, reporter=AGENT) as d:
        yield d


ANSWERS: dict[str, dict[str, Any]] = {
    "consultation": {"customer": "苏州某公司 王经理", "channel": "phone",
                     "description": "如何申请新增 VPN 账号？"},
    "fault": {"customer": "苏州某公司 张工", "channel": "phone", "system": "OA 办公系统",
              "description": "全部门无法登录 OA"},
    "complaint": {"customer": "苏州某公司 李总", "channel": "phone",
                  "description": "工程师上门迟到两小时"},
    "ticket": {"customer": "苏州某公司 赵工", "channel": "fax", "description": "索取服务报告"},
}  # fmt: skip


def log(desk: Desk, when: str, form: str = "fault", priority: str = "medium") -> int:
    """The desk agent logs a call at ``when`` (local time) on ``form``."""
    return desk.open(form, {"priority": priority, **ANSWERS[form]}, at(when))


def do(desk: Desk, number: int, steps: list[tuple[str, str, str]]) -> None:
    """People's actions as plain data: (local time, login, comment)."""
    for when, who, body in steps:
        desk.say(number, who, body, at(when))


# --------------------------------------------------------------------------- the file


def test_preset_loads_and_generates_one_form_per_request_type(cfg: Config) -> None:
    assert cfg.preset == "desk"
    assert (cfg.locale, cfg.timezone) == ("zh", "Asia/Shanghai")
    assert [t.id for t in cfg.types] == ["consultation", "fault", "complaint", "other"]
    assert {f.type for f in cfg.forms} == {t.id for t in cfg.types}
    assert sorted(issue_forms(cfg)) == [
        "complaint.yml", "config.yml", "consultation.yml", "fault.yml", "ticket.yml",
    ]  # fmt: skip
    assert set(cfg.roles) == {
        "agent", "desk_manager", "second_line", "third_line", "department", "cs_manager",
        "quality",
    }  # fmt: skip
    assert all(r.name_en for r in cfg.roles.values())
    assert cfg.grading.field == "priority"
    assert [g.id for g in cfg.grades] == ["high", "medium", "low"]


def test_header_names_every_site_choice() -> None:
    header = preset_file("desk").read_text(encoding="utf-8").split("\nversion:", 1)[0]
    assert "site choice" in header
    for choice in ("09:00-12:00 and 13:00-18:00", "high 30 min, medium 2 h, low 4 h",
                   "high 4 h", "medium 8 h", "low 24 h", "8 h of working time", "1 h later",
                   "40 working hours", "every 4 working hours"):  # fmt: skip
        assert choice in header


@pytest.mark.parametrize("form", ["consultation", "fault", "complaint", "ticket"])
@pytest.mark.parametrize("priority", ["high", "medium", "low"])
def test_the_stated_priority_is_the_grade(desk: Desk, form: str, priority: str) -> None:
    n = log(desk, "2026-03-09 10:00", form, priority)
    view = desk.view(n, at("2026-03-09 10:00"))
    assert (view.type, view.grade) == ({"ticket": "other"}.get(form, form), priority)


def test_high_priority_is_owned_by_the_desk_manager(desk: Desk) -> None:
    high = log(desk, "2026-03-09 10:00", priority="high")
    low = log(desk, "2026-03-09 10:00", priority="low")
    plan = desk.run(at("2026-03-09 10:01"))
    assert [(a.number, a.add) for a in plan.actions if isinstance(a, SetAssignees)] == [(high, (MANAGER,))]
    assert desk.ticket(low).assignees == ()


# --------------------------------------------------------------------------- 5 x 8


def test_the_2026_make_up_days_are_the_official_ones() -> None:
    year = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    makeups = [d for d in year if d.isoweekday() > 5 and chinese_calendar.is_workday(d)]
    assert makeups == [
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
        date(2026, 9, 20), date(2026, 10, 10),
    ]  # fmt: skip


# (logged at, high-priority response due): 30 min of the desk's eight working hours
RESPONSE_HIGH = [
    ("2026-03-09 10:00", "2026-03-09 10:30"),  # Monday, working
    ("2026-03-09 11:45", "2026-03-09 13:15"),  # lunch 12:00-13:00 does not count
    ("2026-03-09 20:00", "2026-03-10 09:30"),  # evening: unmanned, starts next morning
    ("2026-03-13 17:50", "2026-03-16 09:20"),  # Friday evening -> Monday
    ("2026-03-14 10:00", "2026-03-16 09:30"),  # Saturday
    ("2026-10-01 10:00", "2026-10-08 09:30"),  # National Day holidays 10-01..10-07
    ("2026-10-09 17:45", "2026-10-10 09:15"),  # Saturday 10-10 is a make-up working day
    ("2026-10-10 10:00", "2026-10-10 10:30"),  # logged on the make-up day itself
    ("2026-09-20 09:00", "2026-09-20 09:30"),  # Sunday 09-20 is a make-up working day
    ("2026-02-13 17:50", "2026-02-14 09:20"),  # Saturday 02-14 (Spring Festival make-up)
    ("2026-02-14 17:50", "2026-02-24 09:20"),  # Spring Festival holidays 02-15..02-23
    ("2026-05-08 17:40", "2026-05-09 09:10"),  # Saturday 05-09 (Labour Day make-up)
    ("2026-01-01 09:00", "2026-01-04 09:30"),  # New Year 01-01..01-03, Sunday 01-04 make-up
]


@pytest.mark.parametrize(("logged", "due"), RESPONSE_HIGH)
def test_clocks_count_the_five_by_eight_working_hours(desk: Desk, logged: str, due: str) -> None:
    n = log(desk, logged, priority="high")
    clock = desk.clock(n, "response", at(logged))
    assert clock.due == at(due)
    assert clock.counting == "working"


# --------------------------------------------------------------------------- response and resolution

# (priority, response due when logged Monday 2026-03-09 10:00)
RESPONSE = [("high", "2026-03-09 10:30"), ("medium", "2026-03-09 12:00"),
            ("low", "2026-03-09 15:00")]  # fmt: skip

# (priority, resolution due when taken Monday 2026-03-09 10:10)
RESOLUTION = [
    ("high", "2026-03-09 15:10"),  # 4 working hours (lunch excluded)
    ("medium", "2026-03-10 10:10"),  # one working day
    ("low", "2026-03-12 10:10"),  # three working days
]


@pytest.mark.parametrize(("priority", "due"), RESPONSE)
def test_response_limits(desk: Desk, priority: str, due: str) -> None:
    n = log(desk, "2026-03-09 10:00", priority=priority)
    assert desk.clock(n, "response", at("2026-03-09 10:00")).due == at(due)


@pytest.mark.parametrize(("priority", "due"), RESOLUTION)
def test_resolution_runs_from_taking_to_completion(desk: Desk, priority: str, due: str) -> None:
    n = log(desk, "2026-03-09 10:00", priority=priority)
    desk.say(n, L2, "/take 我来处理", at("2026-03-09 10:10"))
    view = desk.view(n, at("2026-03-09 10:10"))
    assert view.clock("response").stopped == at("2026-03-09 10:10")  # type: ignore[union-attr]
    clock = view.clock("resolution")
    assert clock is not None
    assert (clock.started, clock.due) == (at("2026-03-09 10:10"), at(due))


def test_an_assignment_by_a_person_is_taking_it(desk: Desk) -> None:
    n = log(desk, "2026-03-09 10:00", priority="high")
    desk.run(at("2026-03-09 10:00"))  # the grader itself assigns the manager: not "taken"
    assert desk.clock(n, "response", at("2026-03-09 10:20")).status == "running"
    desk.assign(n, L2, AGENT, at("2026-03-09 10:20"))  # the agent dispatches to second line
    view = desk.view(n, at("2026-03-09 11:00"))
    assert view.clock("response").status == "met"  # type: ignore[union-attr]
    assert view.clock("resolution").started == at("2026-03-09 10:20")  # type: ignore[union-attr]


def test_a_missed_resolution_goes_to_the_desk_manager_to_agree_a_new_time(desk: Desk) -> None:
    n = log(desk, "2026-03-09 10:00", priority="medium")
    desk.say(n, L2, "/take", at("2026-03-09 10:10"))
    desk.run(at("2026-03-09 10:10"))
    assert not posted(desk.run(at("2026-03-10 10:00")), "esc:")
    plan = desk.run(at("2026-03-10 10:30"))
    assert [a.add for a in plan.actions if isinstance(a, SetAssignees)] == [(MANAGER,)]
    assert {"sla:breach", "sla:escalated", "需约定新完成时间"} <= set(desk.ticket(n).labels)
    esc = posted(plan, "esc:")
    assert list(esc) == ["esc:resolution:0:0"]
    assert "「解决时限」" in esc["esc:resolution:0:0"]
    assert "2026-03-10 10:10" in esc["esc:resolution:0:0"]
    assert "@desk-manager" in esc["esc:resolution:0:0"]

    # the manager agrees 15:00 with the engineer, tells the customer and records it
    desk.say(n, MANAGER, "/eta eta=2026-03-10T15:00 已与工程师确认并通知客户", at("2026-03-10 10:40"))
    desk.run(at("2026-03-10 10:40"))
    rounds = [c for c in desk.view(n, at("2026-03-10 10:40")).clocks if c.id == "eta"]
    assert rounds[-1].due == at("2026-03-10 15:00")
    assert rounds[-1].status == "running"

    plan = desk.run(at("2026-03-10 15:30"))  # the new time is missed too
    esc = posted(plan, "esc:eta:")
    assert len(esc) == 1
    assert "「新约定完成时间」" in next(iter(esc.values()))
    assert "2026-03-10 15:00" in next(iter(esc.values()))

    # a newer time: a new round due then
    desk.say(n, MANAGER, "/eta eta=16:30 工程师已在现场", at("2026-03-10 15:40"))
    rounds = [c for c in desk.view(n, at("2026-03-10 15:40")).clocks if c.id == "eta"]
    assert (rounds[-2].status, rounds[-1].due) == ("missed", at("2026-03-10 16:30"))
    desk.say(n, L2, "/resolve 更换认证服务器证书", at("2026-03-10 16:00"))
    rounds = [c for c in desk.view(n, at("2026-03-10 16:00")).clocks if c.id == "eta"]
    assert rounds[-1].status == "met"


def test_eta_without_a_time_gives_eight_working_hours(desk: Desk) -> None:
    n = log(desk, "2026-03-09 10:00", priority="high")
    desk.say(n, MANAGER, "/eta 已与工程师确认，今天内完成", at("2026-03-09 14:00"))
    rounds = [c for c in desk.view(n, at("2026-03-09 14:00")).clocks if c.id == "eta"]
    assert rounds[-1].due == at("2026-03-10 14:00")  # 4 h Monday + 4 h Tuesday (site choice)


def test_the_first_eta_is_round_one_not_a_zero_length_round(desk: Desk) -> None:
    n = log(desk, "2026-03-09 10:00", priority="high")
    desk.say(n, MANAGER, "/eta eta=2026-03-09T15:00", at("2026-03-09 11:00"))
    rounds = [c for c in desk.view(n, at("2026-03-09 12:00")).clocks if c.id == "eta"]
    assert [(c.cycle, c.due, c.status) for c in rounds] == [(0, at("2026-03-09 15:00"), "running")]


# --------------------------------------------------------------------------- complaints


@pytest.mark.parametrize(
    ("logged", "due"),
    [
        ("2026-03-09 10:00", "2026-03-09 12:00"),  # 2 h
        ("2026-03-09 11:00", "2026-03-09 14:00"),  # across lunch
        ("2026-03-09 17:00", "2026-03-10 10:00"),  # 1 h today, 1 h tomorrow (working time)
        ("2026-03-13 17:30", "2026-03-16 10:30"),  # Friday -> Monday
        ("2026-10-10 17:00", "2026-10-12 10:00"),  # make-up Saturday -> Monday
    ],
)
def test_the_department_contacts_the_customer_within_two_working_hours(desk: Desk, logged: str, due: str) -> None:
    n = log(desk, logged, "complaint")
    assert desk.clock(n, "complaint_contact", at(logged)).due == at(due)


def test_complaint_clocks_apply_only_to_complaints(desk: Desk) -> None:
    ids = {}
    for form in ("consultation", "fault", "complaint", "ticket"):
        n = log(desk, "2026-03-09 10:00", form)
        desk.say(n, DEPT, "/contact 已电话联系", at("2026-03-09 10:30"))
        desk.say(n, L2, "/resolve 已处理", at("2026-03-09 11:00"))
        ids[form] = {c.id for c in desk.view(n, at("2026-03-09 11:00")).clocks}
    complaint_only = {"complaint_contact", "complaint_updates", "corrective"}
    assert complaint_only <= ids["complaint"]
    for form in ("consultation", "fault", "ticket"):
        assert not complaint_only & ids[form]


def test_the_complaint_due_item_tells_the_department_at_once(desk: Desk) -> None:
    n = log(desk, "2026-03-09 10:00", "complaint")
    desk.run(at("2026-03-09 10:00"))
    body = desk.bot_comment(n, "due:complaint_contact")
    assert f"请 {ALL_DEPT} 负责" in body and "2026-03-09 12:00" in body
    for item in ("与客户联系", "安排工程师跟踪处理", "确定解决方案", "上报部门经理"):
        assert item in body


def test_at_least_two_updates_a_working_day(desk: Desk) -> None:
    n = log(desk, "2026-03-09 09:00", "complaint")
    do(desk, n, [
        ("2026-03-09 09:30", DEPT, "/contact 已联系客户，安排工程师今天下午上门"),
        ("2026-03-09 14:00", DEPT, "/update 工程师已出发"),
        ("2026-03-09 17:00", DEPT_PICKED, "/update 已更换硬盘，明早回访"),
    ])  # fmt: skip
    view = desk.view(n, at("2026-03-10 13:00"))
    rounds = [(c.started, c.due, c.status) for c in view.clocks if c.id == "complaint_updates"]
    assert rounds == [
        (at("2026-03-09 09:30"), at("2026-03-09 14:30"), "met"),  # 4 working hours
        (at("2026-03-09 14:00"), at("2026-03-09 18:00"), "met"),
        (at("2026-03-09 17:00"), at("2026-03-10 12:00"), "late"),  # 1 h + 3 h next morning
    ]
    # an eight-hour working day at one update per 4 working hours: at least two a day
    assert 8 * 3600 // next(c for c in desk.cfg.clocks if c.id == "complaint_updates").within >= 2


def test_an_update_by_someone_outside_the_department_does_not_count(desk: Desk) -> None:
    n = log(desk, "2026-03-09 09:00", "complaint")
    do(desk, n, [
        ("2026-03-09 09:30", DEPT, "/contact 已联系"),
        ("2026-03-09 11:00", AGENT, "/update 坐席代为通报"),
    ])  # fmt: skip
    clock = desk.clock(n, "complaint_updates", at("2026-03-09 12:00"))
    assert (clock.stopped, clock.status) == (None, "running")


def test_late_complaint_contact_escalates_to_the_department_then_manager_and_quality(
    desk: Desk,
) -> None:
    n = log(desk, "2026-03-09 10:00", "complaint")
    desk.run(at("2026-03-09 10:00"))
    plan = desk.run(at("2026-03-09 15:30"))  # due 12:00; +1 working hour = 14:00
    esc = posted(plan, "esc:complaint_contact:")
    assert sorted(esc) == ["esc:complaint_contact:0:0", "esc:complaint_contact:0:1"]
    view = desk.view(n, at("2026-03-09 15:30"))
    assert [e for e in iter_escalations(view) if e[0] == "complaint_contact"] == [
        ("complaint_contact", 0, 0, at("2026-03-09 12:00")),
        ("complaint_contact", 0, 1, at("2026-03-09 14:00")),
    ]
    assert f"请 {ALL_DEPT} 跟进" in esc["esc:complaint_contact:0:0"]
    assert "@desk-manager @desk-quality" in esc["esc:complaint_contact:0:1"]
    # Lateness said plainly: due, escalated now, wall-clock lateness and the working time in it
    assert "应于 **2026-03-09 12:00** 前完成，2026-03-09 15:30 升级；已超时 3小时30分钟（其中工作时间 2小时30分钟）" \
        in esc["esc:complaint_contact:0:1"]  # fmt: skip
    assert {DEPT_PICKED, MANAGER} <= set(desk.ticket(n).assignees)
    assert not desk.run(at("2026-03-09 15:30"))


def test_corrective_action_is_due_after_resolution(desk: Desk) -> None:
    n = log(desk, "2026-03-09 10:00", "complaint")
    do(desk, n, [
        ("2026-03-09 10:30", DEPT, "/contact 已联系"),
        ("2026-03-09 16:00", DEPT, "/resolve 已向客户道歉并调整派工流程"),
    ])  # fmt: skip
    desk.run(at("2026-03-09 16:00"))
    clock = desk.clock(n, "corrective", at("2026-03-09 16:00"))
    assert clock.due == at("2026-03-16 16:00")  # 40 working hours = five working days
    body = desk.bot_comment(n, "due:corrective")
    for item in ("纠正措施", "有效措施", "验证其有效性", "记录所采取措施的结果", "管理评审"):
        assert item in body
    assert "/report" in body
    plan = desk.run(at("2026-03-16 16:30"))
    assert "@desk-quality" in posted(plan, "esc:corrective:0:0")["esc:corrective:0:0"]


# (what happened before a person closed the complaint, reopened?)
COMPLAINT_CLOSING: list[tuple[list[tuple[str, str, str]], bool]] = [
    ([("2026-03-09 16:00", DEPT, "/resolve 已处理")], True),
    ([("2026-03-09 16:00", DEPT, "/resolve 已处理"), ("2026-03-09 16:10", AGENT, "/rate 10")],
     True),
    ([("2026-03-09 16:00", DEPT, "/resolve 已处理"),
      ("2026-03-09 16:10", AGENT, "/confirm 客户电话确认已解决")], False),
]  # fmt: skip


@pytest.mark.parametrize(("steps", "reopened"), COMPLAINT_CLOSING)
def test_a_complaint_closes_only_with_the_customers_confirmation(
    desk: Desk, steps: list[tuple[str, str, str]], reopened: bool
) -> None:
    n = log(desk, "2026-03-09 10:00", "complaint")
    do(desk, n, steps)
    desk.run(at("2026-03-09 16:20"))
    if desk.ticket(n).state == "open":
        desk.close_ticket(n, AGENT, at("2026-03-09 16:30"))
    plan = desk.run(at("2026-03-09 16:35"))
    blocked = posted(plan, "close-blocked:")
    if reopened:
        assert [a for a in plan.actions if isinstance(a, ReopenTicket)] == [ReopenTicket(n)]
        assert len(blocked) == 1 and "「/confirm」" in next(iter(blocked.values()))
        assert desk.ticket(n).state == "open"
    else:
        assert not blocked
        assert desk.ticket(n).state == "closed"


def test_the_grader_closes_a_rated_complaint_only_once_confirmed(desk: Desk) -> None:
    n = log(desk, "2026-03-09 10:00", "complaint")
    desk.say(n, DEPT, "/resolve 已处理", at("2026-03-09 16:00"))
    desk.run(at("2026-03-09 16:00"))
    assert "/confirm" in desk.bot_comment(n, "rate:")  # the rating request asks for it
    desk.say(n, AGENT, "/rate 10", at("2026-03-09 16:10"))
    plan = desk.run(at("2026-03-09 16:20"))
    assert not [a for a in plan.actions if isinstance(a, CloseTicket)]
    desk.say(n, AGENT, "/confirm 客户确认", at("2026-03-09 16:30"))
    plan = desk.run(at("2026-03-09 16:30"))
    assert [a for a in plan.actions if isinstance(a, CloseTicket)] == [CloseTicket(n)]


# --------------------------------------------------------------------------- satisfaction


def test_the_satisfaction_scale(cfg: Config) -> None:
    sat = cfg.satisfaction
    assert sat is not None
    assert [(s.score, s.name) for s in sat.scale] == [
        (10, "非常满意"), (7, "满意"), (4, "一般"), (1, "不满意"),
    ]  # fmt: skip
    assert (sat.close_at_or_above, sat.escalate_at_or_below) == (7, 4)
    assert (sat.escalate_to, sat.penalties) == ("cs_manager", {4: 2, 1: 5})


def test_the_rating_request_lists_the_scale(desk: Desk) -> None:
    n = log(desk, "2026-03-09 10:00", "consultation")
    desk.say(n, AGENT, "/resolve 已解答", at("2026-03-09 10:20"))
    desk.run(at("2026-03-09 10:20"))
    assert "10 非常满意、7 满意、4 一般、1 不满意" in desk.bot_comment(n, "rate:")


# (score, closes, cs manager escalated, penalty points in the comment)
RATINGS: list[tuple[int, bool, bool, int | None]] = [
    (10, True, False, None),
    (7, True, False, None),
    (4, True, True, 2),
    (1, True, True, 5),
]


@pytest.mark.parametrize(("score", "closes", "escalated", "penalty"), RATINGS)
def test_ratings(desk: Desk, score: int, closes: bool, escalated: bool, penalty: int | None) -> None:
    n = log(desk, "2026-03-09 10:00", "fault")
    do(desk, n, [
        ("2026-03-09 10:10", L2, "/take"),
        ("2026-03-09 11:00", L2, "/resolve 已恢复"),
        ("2026-03-09 11:30", AGENT, f"/rate {score} 回访记录"),
    ])  # fmt: skip
    plan = desk.run(at("2026-03-09 11:30"))
    assert bool([a for a in plan.actions if isinstance(a, CloseTicket)]) is closes
    low = posted(plan, "low-rating:")
    if not escalated:
        assert not low
        assert CS_MANAGER not in desk.ticket(n).assignees
        return
    assert [a.add for a in plan.actions if isinstance(a, SetAssignees)] == [(CS_MANAGER,)]
    text = next(iter(low.values()))
    assert "@desk-cs-manager" in text
    assert "改进" in text  # asks what to improve
    assert f"扣 {penalty} 分" in text


def test_closing_after_a_rating_converges_in_one_run(desk: Desk) -> None:
    n = log(desk, "2026-03-09 10:00", "fault")
    do(desk, n, [
        ("2026-03-09 11:00", L2, "/resolve 已恢复"),
        ("2026-03-09 11:30", AGENT, "/rate 10"),
    ])  # fmt: skip
    assert [a for a in desk.run(at("2026-03-09 11:30")).actions if isinstance(a, CloseTicket)]
    assert desk.ticket(n).state == "closed"
    assert not desk.run(at("2026-03-09 11:30"))


def test_a_rating_off_the_scale_is_refused(desk: Desk) -> None:
    n = log(desk, "2026-03-09 10:00", "ticket")
    do(desk, n, [
        ("2026-03-09 10:30", AGENT, "/resolve 已寄出"),
        ("2026-03-09 11:00", AGENT, "/rate 5"),
    ])  # fmt: skip
    plan = desk.run(at("2026-03-09 11:00"))
    assert "10 非常满意" in next(iter(posted(plan, "bad-rating:").values()))
    assert desk.view(n, at("2026-03-09 11:00")).rating is None
    assert not [a for a in plan.actions if isinstance(a, CloseTicket)]


# --------------------------------------------------------------------------- trust and idempotence


def test_a_customer_cannot_grade_and_is_told_so(desk: Desk) -> None:
    n = log(desk, "2026-03-09 10:00", "fault", "low")
    comment = desk.say(n, CUSTOMER, "/grade high", at("2026-03-09 10:05"))
    plan = desk.run(at("2026-03-09 10:06"))
    assert desk.view(n, at("2026-03-09 10:06")).grade == "low"
    denied = posted(plan, "denied:")
    assert list(denied) == [f"denied:{comment.id}"]
    assert f"@{CUSTOMER}" in denied[f"denied:{comment.id}"]
    assert not desk.run(at("2026-03-09 10:06"))


def test_grading_twice_in_a_row_plans_nothing_the_second_time(desk: Desk) -> None:
    numbers = [log(desk, "2026-03-09 10:00", form, p) for form, p in
               [("fault", "high"), ("complaint", "medium"), ("consultation", "low")]]  # fmt: skip
    do(desk, numbers[1], [("2026-03-09 10:30", DEPT, "/contact 已联系")])
    for now in ("2026-03-09 10:40", "2026-03-09 16:00", "2026-03-10 11:00"):
        assert desk.run(at(now))
        assert not desk.run(at(now))


def test_response_time_runs_from_when_the_event_occurred_if_the_form_says() -> None:
    cfg = load_preset("desk")
    with Desk(cfg) as desk:
        stated = desk.open("fault", {**ANSWERS["fault"], "priority": "high", "occurred_at": "2026-03-09 09:30"},
                           at("2026-03-09 10:00"))  # fmt: skip
        blank = desk.open("fault", {**ANSWERS["fault"], "priority": "high"}, at("2026-03-09 10:00"))
        later = desk.open("fault", {**ANSWERS["fault"], "priority": "high", "occurred_at": "2026-03-09 11:00"},
                          at("2026-03-09 10:00"))  # fmt: skip
        assert desk.clock(stated, "response", at("2026-03-09 10:00")).due == at("2026-03-09 10:00")
        assert desk.clock(blank, "response", at("2026-03-09 10:00")).due == at("2026-03-09 10:30")
        assert desk.clock(later, "response", at("2026-03-09 10:00")).due == at("2026-03-09 10:30")


def test_in_english_the_low_rating_follow_up_names_the_score_in_english(cfg: Config) -> None:
    with Desk(cfg.model_copy(update={"locale": "en"}), reporter=AGENT) as desk:
        n = log(desk, "2026-03-09 10:00", "fault")
        do(desk, n, [
            ("2026-03-09 11:00", L2, "/resolve 已恢复"),
            ("2026-03-09 11:30", AGENT, "/rate 4"),
        ])  # fmt: skip
        text = next(iter(posted(desk.run(at("2026-03-09 11:30")), "low-rating:").values()))
    assert text.startswith('😟 The customer rated this "Neutral" (4).')
    assert "一般" not in text
