"""Preset ``emergency`` (rulebook 003, customer-service emergency plan) through the real grader.

POLICIES.md section 003 gives no time limits; every site choice in the preset's header
(three levels, 15 min command, 30 min / 1 h / 2 h reports in service hours and 1 h / 2 h / 4 h
at night, 72 h analysis, 30 min wording, 30 min and 4 h for complaints, 2 h for figures,
service hours 08:00-22:00 with night duty) is reproduced here, with Double 11 2026 dates.
Ticket #1 of a fresh desk gets the second member of a role (round-robin by number).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from policy_helpers import Desk, at, iter_escalations, load_preset, posted, preset_file

from tracker.commands import key_values
from tracker.config import Config
from tracker.forms import issue_forms
from tracker.model import ReopenTicket, SetAssignees

COMMANDER = "emg-commander"
DEPUTY, DEPUTY_PICKED = "emg-deputy-1", "emg-deputy-2"
DISPATCH = "emg-dispatch-1"
TECH_LEAD = "emg-tech-lead-1"
CARE_LEAD = "emg-care-lead-1"
AGENT = "emg-agent-1"
SPECIALIST = "emg-complaint-1"
OUTSIDER = "customer-wang"  # not staff

TECH_LEADS = "@emg-tech-lead-1 @emg-tech-lead-2"
CARE_LEADS = "@emg-care-lead-1 @emg-care-lead-2 @emg-care-lead-3"
COMMAND_GROUP = "@emg-commander @emg-deputy-1 @emg-deputy-2"
DISPATCH_LEADS = "@emg-dispatch-1 @emg-dispatch-2 @emg-dispatch-3"
OVERSIGHT = "@emg-oversight-1 @emg-oversight-2 @emg-oversight-3 @emg-oversight-4"
# A step names one person of each role it tells (the one picked for the ticket), not the
# whole role: six people on one to-do was noise.
TECH_LEAD_PICKED = "@emg-tech-lead-2"
COMMAND_PICKED = "@emg-commander @emg-deputy-2"
DISPATCH_PICKED = "@emg-dispatch-2"
OVERSIGHT_PICKED = "@emg-oversight-2"
CARE_LEAD_PICKED = "@emg-care-lead-2"


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load_preset("emergency")


@pytest.fixture
def desk(cfg: Config) -> Iterator[Desk]:
    with Desk(cfg, reporter=AGENT) as d:
        yield d


def failure(desk: Desk, when: str, severity: str = "level1", **answers: Any) -> int:
    base = {"system": "phone", "channels": ["phone"], "started_at": at(when),
            "severity": severity, "scope": "single", "description": "电话呼入全部失败"}  # fmt: skip
    return desk.open("failure", base | answers, at(when))


def peak(desk: Desk, when: str, severity: str = "level2", **answers: Any) -> int:
    base = {"peak_event": "double11", "channels": ["phone", "online"], "started_at": at(when),
            "severity": severity, "scope": "several", "description": "咨询量为平日 5 倍"}  # fmt: skip
    return desk.open("peak", base | answers, at(when))


def complaint(desk: Desk, when: str, **answers: Any) -> int:
    base = {"complaint_type": "waiting", "customer": "王女士 139****0000",
            "channels": ["phone"], "description": "排队 40 分钟无人接听"}  # fmt: skip
    return desk.open("complaint", base | answers, at(when))


def do(desk: Desk, number: int, steps: list[tuple[str, str, str]]) -> None:
    """People's actions as plain data: (local time, login, comment)."""
    for when, who, body in steps:
        desk.say(number, who, body, at(when))


# --------------------------------------------------------------------------- the file


def test_preset_loads_with_the_command_structure(cfg: Config) -> None:
    assert cfg.preset == "emergency"
    assert (cfg.locale, cfg.timezone) == ("zh", "Asia/Shanghai")
    assert list(cfg.roles) == [
        "commander", "deputy", "dispatch_lead", "tech_lead", "care_lead", "agent",
        "technician", "complaint_specialist", "oversight",
    ]  # fmt: skip
    assert all(r.name_en for r in cfg.roles.values())
    assert len(cfg.roles["deputy"].members) == 2  # 2.1: two deputies
    assert sorted(issue_forms(cfg)) == ["complaint.yml", "config.yml", "failure.yml", "peak.yml"]
    assert "figures" in cfg.commands


def test_header_names_every_site_choice() -> None:
    header = preset_file("emergency").read_text(encoding="utf-8").split("\nversion:", 1)[0]
    assert "Severity levels: the rulebook has none — site choice" in header
    for choice in ("15 min", "level1 every 30 min", "1 h at night", "level2 1 h / 2 h",
                   "level3 2 h / 4 h", "72 h", "30 min of service hours", "every 4 h",
                   "every 2 h", "1-5", "08:00-22:00"):  # fmt: skip
        assert choice in header


def test_the_two_emergencies_and_what_they_cover(cfg: Config) -> None:
    peaks = [o.name for o in cfg.fields["peak_event"].options]
    assert peaks == ["618 大促", "双11", "双12", "节假日前后（春节、国庆、中秋等）",
                     "新品发布或重大活动"]  # fmt: skip
    systems = [o.id for o in cfg.fields["system"].options]
    assert systems == ["phone", "chat", "lookup", "order", "other"]


# --------------------------------------------------------------------------- grading


@pytest.mark.parametrize(
    ("kind", "severity", "scope", "grade", "owner"),
    [
        ("failure", "level1", "single", "level1", COMMANDER),
        ("failure", "level2", "single", "level2", DEPUTY_PICKED),
        ("failure", "level3", "single", "level3", None),
        ("failure", "level3", "all", "level1", COMMANDER),  # every channel: level1
        ("peak", "level2", "several", "level2", DEPUTY_PICKED),
        ("complaint", None, None, "level3", None),
    ],
)
def test_levels_are_a_site_choice_stated_on_the_form(
    desk: Desk, kind: str, severity: str | None, scope: str | None, grade: str, owner: str | None
) -> None:
    if kind == "complaint":
        n = complaint(desk, "2026-11-11 10:00")
    else:
        opener = failure if kind == "failure" else peak
        n = opener(desk, "2026-11-11 10:00", severity or "", scope=scope)
    plan = desk.run(at("2026-11-11 10:00"))
    assert desk.view(n, at("2026-11-11 10:00")).grade == grade
    assigned = [a.add for a in plan.actions if isinstance(a, SetAssignees)]
    assert assigned == ([(owner,)] if owner else [])


def test_which_clocks_run_on_which_emergency(desk: Desk) -> None:
    kinds = {"failure": failure(desk, "2026-11-11 10:00"), "peak": peak(desk, "2026-11-11 10:00"),
             "complaint": complaint(desk, "2026-11-11 10:00")}  # fmt: skip
    running = {k: {c.id for c in desk.view(n, at("2026-11-11 10:00")).clocks}
               for k, n in kinds.items()}  # fmt: skip
    assert running == {
        "failure": {"command", "tech_report", "wording"},
        "peak": {"command", "wording", "peak_figures"},
        "complaint": {"complaint_ack"},
    }


# --------------------------------------------------------------------------- the tech lead's reports

# (level, opened at, first report due): the limit follows the calendar state at the round's start
TECH_REPORT = [
    ("level1", "2026-11-11 10:00", "2026-11-11 10:30"),  # service hours: 30 min
    ("level1", "2026-11-11 23:00", "2026-11-12 00:00"),  # night duty: 1 h
    ("level1", "2026-11-11 21:50", "2026-11-11 22:20"),  # starts in service hours
    ("level2", "2026-11-11 10:00", "2026-11-11 11:00"),
    ("level2", "2026-11-11 23:00", "2026-11-12 01:00"),
    ("level3", "2026-11-11 10:00", "2026-11-11 12:00"),
    ("level3", "2026-11-12 03:00", "2026-11-12 07:00"),
]


@pytest.mark.parametrize(("level", "opened", "due"), TECH_REPORT)
def test_tech_report_interval_by_level_and_hours(desk: Desk, level: str, opened: str, due: str) -> None:
    n = failure(desk, opened, level)
    assert desk.clock(n, "tech_report", at(opened)).due == at(due)


def test_tech_reports_repeat_until_recovery(desk: Desk) -> None:
    n = failure(desk, "2026-11-11 21:30")
    do(desk, n, [
        ("2026-11-11 21:50", TECH_LEAD, "/update 原因：运营商线路中断\n范围：电话客服\n预计 23:00 恢复"),
        ("2026-11-11 22:00", AGENT, "/update 一线收到大量来电"),  # not a tech lead: no round
        ("2026-11-11 22:15", "emg-tech-lead-2", "/update 已切换备用线路 50%"),
        ("2026-11-11 23:05", TECH_LEAD, "/resolve 备用线路全部切换完成"),
    ])  # fmt: skip
    rounds = [(c.started, c.due, c.stopped, c.status)
              for c in desk.view(n, at("2026-11-12 02:00")).clocks if c.id == "tech_report"]  # fmt: skip
    assert rounds == [
        (at("2026-11-11 21:30"), at("2026-11-11 22:00"), at("2026-11-11 21:50"), "met"),
        (at("2026-11-11 21:50"), at("2026-11-11 22:20"), at("2026-11-11 22:15"), "met"),
        (at("2026-11-11 22:15"), at("2026-11-11 23:15"), at("2026-11-11 23:05"), "met"),  # night
    ]


def test_the_report_due_item_lists_the_five_points_for_the_tech_leads(desk: Desk) -> None:
    n = failure(desk, "2026-11-11 10:00")
    desk.run(at("2026-11-11 10:00"))
    body = desk.bot_comment(n, "due:tech_report")
    assert f"请 {TECH_LEAD_PICKED} 负责" in body
    for point in ("故障原因", "影响范围", "严重程度", "维修进展", "预计恢复时间"):
        assert f"- [ ] {point}" in body
    assert "/update" in body


def test_the_command_group_and_dispatch_are_put_on_the_ticket_at_once(desk: Desk) -> None:
    n = failure(desk, "2026-11-11 03:00")  # night duty: 15 min
    desk.run(at("2026-11-11 03:00"))
    body = desk.bot_comment(n, "due:command")
    assert f"请 {COMMAND_PICKED} {DISPATCH_PICKED} 负责" in body
    assert "2026-11-11 03:15" in body
    desk.say(n, DISPATCH, "/ack 已通知各组，排班已调整", at("2026-11-11 03:10"))
    assert desk.clock(n, "command", at("2026-11-11 03:10")).status == "met"


def test_a_late_report_tells_the_command_group_and_dispatch(desk: Desk) -> None:
    n = failure(desk, "2026-11-11 10:00")
    do(desk, n, [
        ("2026-11-11 10:05", DISPATCH, "/ack"),
        ("2026-11-11 10:10", CARE_LEAD, "/wording 非常抱歉，电话系统故障，请使用在线客服"),
        ("2026-11-11 10:20", TECH_LEAD, "/update 正在排查"),
    ])  # fmt: skip
    desk.run(at("2026-11-11 10:20"))
    plan = desk.run(at("2026-11-11 10:55"))  # round 2 was due 10:50
    esc = posted(plan, "esc:")
    assert list(esc) == ["esc:tech_report:1:0"]
    body = esc["esc:tech_report:1:0"]
    assert "「技术支持组通报」第 2 轮" in body and "2026-11-11 10:50" in body
    assert f"请 {TECH_LEAD_PICKED} {COMMAND_PICKED} {DISPATCH_PICKED} {OVERSIGHT_PICKED} 跟进" in body
    assert {"sla:breach", "sla:escalated"} <= set(desk.ticket(n).labels)
    plan = desk.run(at("2026-11-11 11:25"))
    assert [a.add for a in plan.actions if isinstance(a, SetAssignees)] == [(DEPUTY_PICKED,)]
    # The deputy step assigns; its comment would tell the deputy again, told at 10:55 with
    # nobody speaking since: the assignment and labels say it.
    assert "esc:tech_report:1:1" not in posted(plan, "esc:")


def test_a_grader_running_hours_late_escalates_each_step_once_when_it_fell_due(
    desk: Desk,
) -> None:
    n = failure(desk, "2026-11-11 10:00")
    plan = desk.run(at("2026-11-11 12:00"))
    # Every step fell due and acts (labels, assignees); a step naming only people the same
    # run already tells (the deputy) is not said again.
    assert sorted(posted(plan, "esc:")) == [
        "esc:command:0:0", "esc:command:0:1", "esc:tech_report:0:0", "esc:wording:0:0",
    ]  # fmt: skip
    assert "emg-deputy-2" in desk.ticket(n).assignees
    assert sorted(iter_escalations(desk.view(n, at("2026-11-11 12:00")))) == [
        ("command", 0, 0, at("2026-11-11 10:15")),
        ("command", 0, 1, at("2026-11-11 10:45")),
        ("tech_report", 0, 0, at("2026-11-11 10:30")),
        ("tech_report", 0, 1, at("2026-11-11 11:00")),
        ("wording", 0, 0, at("2026-11-11 10:30")),
        ("wording", 0, 1, at("2026-11-11 11:00")),
    ]
    assert not desk.run(at("2026-11-11 12:00"))


# --------------------------------------------------------------------------- after recovery


@pytest.mark.parametrize(
    ("resolved", "due"),
    [("2026-11-11 15:00", "2026-11-14 15:00"), ("2026-11-11 23:30", "2026-11-14 23:30")],
)
def test_analysis_and_prevention_after_recovery(desk: Desk, resolved: str, due: str) -> None:
    n = failure(desk, "2026-11-11 10:00")
    desk.say(n, TECH_LEAD, "/resolve 已恢复", at(resolved))
    desk.run(at(resolved))
    assert desk.clock(n, "analysis", at(resolved)).due == at(due)
    body = desk.bot_comment(n, "due:analysis")
    assert f"请 {TECH_LEAD_PICKED} 负责" in body
    for item in ("故障产生原因", "预防措施", "避免同类故障再次发生"):
        assert item in body
    desk.say(n, TECH_LEAD, "/report 原因：运营商割接未通知；预防：双线路", at(due))
    assert desk.clock(n, "analysis", at(due)).status == "met"


# --------------------------------------------------------------------------- wording and figures


def test_the_care_leads_wording(desk: Desk) -> None:
    n = peak(desk, "2026-11-11 10:00")
    assert desk.clock(n, "wording", at("2026-11-11 10:00")).due == at("2026-11-11 10:30")
    desk.say(n, AGENT, "/wording 请稍候", at("2026-11-11 10:10"))  # only a care lead's counts
    assert desk.clock(n, "wording", at("2026-11-11 10:10")).status == "running"
    text = "尊敬的客户，双11 咨询量激增，您的来电正在排队，可通过 APP 在线客服获得帮助。"
    desk.say(n, CARE_LEAD, f"/wording {text}", at("2026-11-11 10:20"))
    view = desk.view(n, at("2026-11-11 10:20"))
    assert view.clock("wording").status == "met"  # type: ignore[union-attr]
    assert view.wording == text


@pytest.mark.parametrize(
    ("opened", "due"),
    [("2026-11-11 10:00", "2026-11-11 12:00"), ("2026-11-11 21:00", "2026-11-12 09:00")],
)
def test_peak_figures_are_asked_for_every_two_service_hours(desk: Desk, opened: str, due: str) -> None:
    n = peak(desk, opened)
    assert desk.clock(n, "peak_figures", at(opened)).due == at(due)


def test_figures_are_recorded_for_the_reports(desk: Desk) -> None:
    n = peak(desk, "2026-11-11 10:00")
    desk.say(n, DISPATCH, "/figures answer_rate=92% avg_wait=45s fcr=78%", at("2026-11-11 11:00"))
    view = desk.view(n, at("2026-11-11 11:00"))
    assert key_values(view.texts["figures"]) == {
        "answer_rate": "92%", "avg_wait": "45s", "fcr": "78%",
    }  # fmt: skip
    rounds = [(c.stopped, c.due) for c in view.clocks if c.id == "peak_figures"]
    assert rounds == [
        (at("2026-11-11 11:00"), at("2026-11-11 12:00")),
        (None, at("2026-11-11 13:00")),
    ]


def test_an_outsider_cannot_record_figures_or_grade(desk: Desk) -> None:
    n = peak(desk, "2026-11-11 10:00", "level3")
    first = desk.say(n, OUTSIDER, "/figures answer_rate=10%", at("2026-11-11 10:05"))
    second = desk.say(n, OUTSIDER, "/grade level1", at("2026-11-11 10:06"))
    plan = desk.run(at("2026-11-11 10:07"))
    view = desk.view(n, at("2026-11-11 10:07"))
    assert "figures" not in view.texts
    assert view.grade == "level3"
    denied = posted(plan, "denied:")
    assert sorted(denied) == sorted([f"denied:{first.id}", f"denied:{second.id}"])
    assert "/figures" in denied[f"denied:{first.id}"]
    assert "/grade" in denied[f"denied:{second.id}"]
    assert not desk.run(at("2026-11-11 10:07"))


# --------------------------------------------------------------------------- complaints


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        ("2026-11-11 10:00", "2026-11-11 10:30"),
        ("2026-11-11 21:50", "2026-11-12 08:20"),  # service hours only
        ("2026-11-11 23:00", "2026-11-12 08:30"),  # logged by the night duty
    ],
)
def test_a_complaint_is_taken_within_thirty_service_minutes(desk: Desk, opened: str, due: str) -> None:
    n = complaint(desk, opened)
    assert desk.clock(n, "complaint_ack", at(opened)).due == at(due)


@pytest.mark.parametrize(
    ("taken", "due"),
    [("2026-11-11 10:00", "2026-11-11 14:00"), ("2026-11-11 20:00", "2026-11-12 10:00")],
)
def test_the_customer_hears_back_every_four_service_hours(desk: Desk, taken: str, due: str) -> None:
    n = complaint(desk, "2026-11-11 09:50")
    desk.say(n, SPECIALIST, "/ack 已接手", at(taken))
    assert desk.clock(n, "complaint_feedback", at(taken)).due == at(due)


def test_a_late_complaint_goes_to_the_care_leads(desk: Desk) -> None:
    n = complaint(desk, "2026-11-11 10:00")
    plan = desk.run(at("2026-11-11 11:05"))
    assert sorted(posted(plan, "esc:")) == ["esc:complaint_ack:0:0", "esc:complaint_ack:0:1"]
    assert f"请 {CARE_LEAD_PICKED} 跟进" in posted(plan, "esc:")["esc:complaint_ack:0:0"]
    assert "emg-care-lead-2" in desk.ticket(n).assignees


# (who wrote /resolve before someone closed the complaint, reopened?)
COMPLAINT_CLOSING: list[tuple[str | None, bool]] = [
    (None, True),
    (AGENT, True),  # an agent is not the care group
    (SPECIALIST, False),
    (CARE_LEAD, False),
]


@pytest.mark.parametrize(("resolver", "reopened"), COMPLAINT_CLOSING)
def test_each_complaint_is_tracked_to_a_close_by_the_care_group(
    desk: Desk, resolver: str | None, reopened: bool
) -> None:
    n = complaint(desk, "2026-11-11 10:00")
    if resolver:
        desk.say(n, resolver, "/resolve 已致歉并补偿优惠券", at("2026-11-11 11:00"))
    desk.close_ticket(n, AGENT, at("2026-11-11 11:10"))
    plan = desk.run(at("2026-11-11 11:15"))
    blocked = posted(plan, "close-blocked:")
    if not reopened:
        assert not blocked and desk.ticket(n).state == "closed"
        return
    assert [a for a in plan.actions if isinstance(a, ReopenTicket)] == [ReopenTicket(n)]
    text = next(iter(blocked.values()))
    assert "「/resolve」" in text and CARE_LEADS in text and "@emg-complaint-1" in text


def test_complaint_figures_come_from_the_tickets(desk: Desk) -> None:
    kinds = ["waiting", "outage", "waiting", "attitude"]
    numbers = [complaint(desk, "2026-11-11 10:00", complaint_type=k) for k in kinds]
    desk.say(numbers[0], SPECIALIST, "/resolve 已处理", at("2026-11-11 11:00"))
    desk.say(numbers[0], SPECIALIST, "/rate 4", at("2026-11-11 11:30"))
    views = [desk.view(n, at("2026-11-11 12:00")) for n in numbers]
    assert [v.facts["complaint_type"] for v in views] == kinds  # volume and type
    assert [v.resolved_at is not None for v in views] == [True, False, False, False]
    assert views[0].rating == 4  # satisfaction (site choice: 1-5)
    plan = desk.run(at("2026-11-11 12:00"))
    assert not posted(plan, "rate:")  # no rating request on any ticket
