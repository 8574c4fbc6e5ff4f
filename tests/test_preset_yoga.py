"""Preset ``yoga`` (rulebook 000, yoga studio fault reporting) through the real grader.

Every number of POLICIES.md section 000 (the 24 h written report) and every site choice in
the preset's header (studio hours, holiday hours, 30 min / 2 h / 15 min / 1 h / 2 h-4 h-24 h /
1 h / 30 min / 72 h limits, ladder delays) is reproduced here with real 2026 dates.
Ticket #1 of a fresh desk gets the second member of a role (round-robin by number).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from policy_helpers import Desk, at, iter_escalations, load_preset, posted, preset_file

from tracker.config import Config, parse_config
from tracker.forms import issue_forms
from tracker.model import CloseTicket, ReopenTicket, SetAssignees

TECH, TECH_PICKED = "yoga-tech-1", "yoga-tech-2"
CARE, CARE_PICKED = "yoga-cs-lead", "yoga-cs-senior"
FRONT, CONSULTANT = "yoga-frontdesk", "yoga-consultant"
MANAGER = "yoga-manager"
MEMBER = "member-zhang"  # a customer: not staff

ALL_TECH = "@yoga-tech-1 @yoga-tech-2"
ALL_CARE = "@yoga-cs-lead @yoga-cs-senior"
ALL_DISCOVERY = "@yoga-frontdesk @yoga-consultant @yoga-coach"


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load_preset("yoga")


@pytest.fixture
def desk(cfg: Config) -> Iterator[Desk]:
    with Desk(cfg, reporter=FRONT) as d:
        yield d


def report(desk: Desk, when: str, **answers: Any) -> int:
    """A fault reported by the front desk at ``when`` (local time)."""
    base: dict[str, Any] = {
        "started_at": at(when),
        "symptom": "前台无法办理课程签到，提示网络错误",
        "module": "checkin",
        "affected": "上午 10 点流瑜伽课学员 12 人",
        "severity": "moderate",
        "scope": "some",
        "self_solved": False,
    }
    return desk.open("fault_report", base | answers, at(when))


def do(desk: Desk, number: int, steps: list[tuple[str, str, str]]) -> None:
    """People's actions as plain data: (local time, login, comment)."""
    for when, who, body in steps:
        desk.say(number, who, body, at(when))


# --------------------------------------------------------------------------- the file


def test_preset_loads_and_generates_its_form(cfg: Config) -> None:
    assert cfg.preset == "yoga"
    assert (cfg.locale, cfg.timezone) == ("zh", "Asia/Shanghai")
    assert set(cfg.roles) == {"discovery", "tech_support", "customer_care", "management"}
    assert all(role.name_en for role in cfg.roles.values())
    assert all(clock.name_en for clock in cfg.clocks)
    assert [g.id for g in cfg.grades] == ["severe", "moderate", "minor"]
    assert set(issue_forms(cfg)) == {"config.yml", "fault_report.yml"}


def test_header_marks_every_site_choice() -> None:
    text = preset_file("yoga").read_text(encoding="utf-8")
    header = text.split("\nversion:", 1)[0]
    assert "site choice" in header
    for choice in ("30 min", "2 h", "15 min", "1 h", "severe 2 h, moderate 4 h", "minor 24 h",
                   "72 h", "07:00-22:00", "09:00-18:00"):  # fmt: skip
        assert choice in header


def test_form_records_what_the_rulebook_asks(cfg: Config, desk: Desk) -> None:
    n = report(desk, "2026-03-10 10:00", module="member_lookup", self_solved=True)
    facts = desk.view(n, at("2026-03-10 10:00")).facts
    assert facts["started_at"] == at("2026-03-10 10:00")
    assert facts["module"] == "member_lookup"
    assert facts["affected"].startswith("上午")
    assert (facts["severity"], facts["scope"], facts["self_solved"]) == ("moderate", "some", True)
    assert facts["type"] == "fault"
    modules = [o.id for o in cfg.fields["module"].options]
    assert modules == ["booking", "checkin", "member_lookup", "payment", "other"]


# --------------------------------------------------------------------------- grading


@pytest.mark.parametrize(
    ("severity", "scope", "grade", "owner"),
    [
        ("minor", "single", "minor", None),
        ("moderate", "some", "moderate", None),
        ("severe", "single", "severe", MANAGER),
        ("minor", "all", "severe", MANAGER),  # site choice: all customers affected -> severe
    ],
)
def test_first_grade_is_the_first_assessment(
    desk: Desk, severity: str, scope: str, grade: str, owner: str | None
) -> None:
    n = report(desk, "2026-03-10 10:00", severity=severity, scope=scope)
    plan = desk.run(at("2026-03-10 10:01"))
    assert desk.view(n, at("2026-03-10 10:01")).grade == grade
    assert f"grade:{grade}" in desk.ticket(n).labels
    assigned = [a.add for a in plan.actions if isinstance(a, SetAssignees)]
    assert assigned == ([(owner,)] if owner else [])


# --------------------------------------------------------------------------- clocks: calendar


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        ("2026-03-10 10:00", "2026-03-10 10:30"),  # studio open (site choice 07:00-22:00)
        ("2026-03-10 21:50", "2026-03-11 07:20"),  # 10 min tonight, 20 min after opening
        ("2026-03-10 23:30", "2026-03-11 07:30"),  # closed: starts when the studio opens
        ("2026-03-14 06:00", "2026-03-14 07:30"),  # a Saturday: open every day
        ("2026-10-01 08:00", "2026-10-01 09:30"),  # National Day: reduced hours 09:00-18:00
        ("2026-10-01 17:50", "2026-10-02 09:20"),  # holiday closes at 18:00, next day too
        ("2026-10-07 17:45", "2026-10-08 07:15"),  # last holiday, then ordinary hours again
    ],
)
def test_contact_clock_counts_studio_hours(desk: Desk, opened: str, due: str) -> None:
    n = report(desk, opened)
    clock = desk.clock(n, "contact", at(opened))
    assert clock.due == at(due)
    assert clock.counting == "manned"


# --------------------------------------------------------------------------- clocks: limits

# (clock, round, what people did as (time, login, comment), grade, expected due)
LIMITS: list[tuple[str, int, list[tuple[str, str, str]], str, str]] = [
    ("contact", 0, [], "moderate", "2026-03-10 10:30"),
    ("handoff", 0, [], "moderate", "2026-03-10 10:15"),
    ("restore", 0, [], "severe", "2026-03-10 12:00"),
    ("restore", 0, [], "moderate", "2026-03-10 14:00"),
    ("restore", 0, [], "minor", "2026-03-11 19:00"),  # 24 h of studio hours: 12 h + 12 h
    ("follow_up", 0, [("2026-03-10 10:20", CARE, "/contact 已电话联系")], "moderate",
     "2026-03-10 12:20"),
    ("follow_up", 1, [("2026-03-10 10:20", CARE, "/contact 已联系"),
                      ("2026-03-10 12:00", CARE_PICKED, "/update 已回访")], "moderate",
     "2026-03-10 14:00"),
    ("progress", 0, [("2026-03-10 10:10", TECH, "/ack 已接手")], "moderate", "2026-03-10 11:10"),
    ("verify", 0, [("2026-03-10 15:00", TECH, "/resolve 已修复并测试")], "moderate",
     "2026-03-10 16:00"),
    ("announce", 0, [("2026-03-10 15:00", TECH, "/resolve 已修复"),
                     ("2026-03-10 15:30", FRONT, "/verify 前台签到正常")], "moderate",
     "2026-03-10 16:00"),
    ("report", 0, [("2026-03-10 15:20", TECH, "/resolve 已修复")], "moderate",
     "2026-03-11 15:20"),  # the rulebook's 24 h
    ("report", 0, [("2026-03-10 23:30", TECH, "/resolve 夜间修复")], "moderate",
     "2026-03-11 23:30"),  # wall time: not pushed to the studio's opening
    ("review", 0, [("2026-03-10 15:00", TECH, "/resolve 已修复"),
                   ("2026-03-11 10:00", TECH, "/report 故障报告见附件")], "moderate",
     "2026-03-14 10:00"),  # site choice: 72 h after the report
]  # fmt: skip


@pytest.mark.parametrize(("clock_id", "cycle", "steps", "grade", "due"), LIMITS)
def test_clock_limits(
    desk: Desk,
    clock_id: str,
    cycle: int,
    steps: list[tuple[str, str, str]],
    grade: str,
    due: str,
) -> None:
    n = report(desk, "2026-03-10 10:00", severity=grade)
    do(desk, n, steps)
    clock = desk.clock(n, clock_id, at("2026-03-12 00:00") if steps else at("2026-03-10 10:00"),
                       cycle)  # fmt: skip
    assert clock.due == at(due)


def test_follow_up_repeats_until_resolved_and_counts_only_the_customer_group(
    desk: Desk,
) -> None:
    n = report(desk, "2026-03-10 10:00")
    do(desk, n, [
        ("2026-03-10 10:20", CARE, "/contact 已联系受影响客户，预计 14:00 前恢复"),
        ("2026-03-10 11:00", TECH, "/update 已定位到网络设备"),  # technical support's report
        ("2026-03-10 12:00", CARE, "/update 已回访客户"),
        ("2026-03-10 13:00", TECH, "/resolve 更换交换机，测试通过"),
    ])  # fmt: skip
    view = desk.view(n, at("2026-03-10 18:00"))
    rounds = [(c.cycle, c.started, c.stopped, c.status) for c in view.clocks if c.id == "follow_up"]
    assert rounds == [
        (0, at("2026-03-10 10:20"), at("2026-03-10 12:00"), "met"),
        (1, at("2026-03-10 12:00"), at("2026-03-10 13:00"), "met"),
    ]
    progress = [(c.cycle, c.stopped, c.status) for c in view.clocks if c.id == "progress"]
    assert progress == []  # nobody from technical support wrote /ack
    assert view.clock("contact").status == "met"  # type: ignore[union-attr]


# --------------------------------------------------------------------------- due items


# (what people did, due-item key, who is mentioned, checklist items that must appear)
DUE_ITEMS: list[tuple[list[tuple[str, str, str]], str, str, list[str]]] = [
    ([], "due:contact", ALL_CARE, ["联系受影响的客户", "预计解决时间", "表达歉意"]),
    ([], "due:handoff", ALL_TECH, ["故障排查", "根本原因"]),
    ([("2026-03-10 15:00", TECH, "/resolve 已修复")], "due:verify", ALL_DISCOVERY,
     ["实际工作环境"]),
    ([("2026-03-10 15:00", TECH, "/resolve 已修复")], "due:report", ALL_TECH,
     ["故障发生的时间", "地点", "原因", "解决方法", "修复时间", "对系统和业务的影响",
      "改进措施和预防机制"]),
    ([("2026-03-10 15:00", TECH, "/resolve 已修复"), ("2026-03-11 09:00", TECH, "/report 见附件")],
     "due:review", "@yoga-manager", ["汇报故障情况和改进措施"]),
]  # fmt: skip


@pytest.mark.parametrize(("steps", "key", "mention", "items"), DUE_ITEMS)
def test_due_items_tell_the_group_when_they_start(
    desk: Desk, steps: list[tuple[str, str, str]], key: str, mention: str, items: list[str]
) -> None:
    n = report(desk, "2026-03-10 10:00")
    do(desk, n, steps)
    desk.run(at(steps[-1][0]) if steps else at("2026-03-10 10:00"))
    body = desk.bot_comment(n, key)
    assert f"请 {mention} 负责" in body
    for item in items:
        assert item in body


def test_the_report_checklist_is_the_rulebooks(cfg: Config) -> None:
    report_clock = next(c for c in cfg.clocks if c.id == "report")
    assert report_clock.checklist == [
        "故障发生的时间", "地点", "原因", "解决方法", "修复时间", "对系统和业务的影响",
        "改进措施和预防机制",
    ]  # fmt: skip
    assert report_clock.start == "resolved"
    assert report_clock.stop == ["command:report"]
    assert report_clock.within == 24 * 3600


def test_a_fault_the_reporter_solved_skips_technical_support(desk: Desk) -> None:
    n = report(desk, "2026-03-10 10:00", self_solved=True)
    do(desk, n, [
        ("2026-03-10 10:05", CARE, "/contact 已通知"),
        ("2026-03-10 10:10", FRONT, "/resolve 重启签到终端后恢复"),
        ("2026-03-10 10:20", CONSULTANT, "/verify 签到正常"),
        ("2026-03-10 10:30", CARE, "/announce 已通知客户恢复"),
    ])  # fmt: skip
    desk.run(at("2026-03-10 10:30"))
    view = desk.view(n, at("2026-03-10 10:30"))
    assert {c.id for c in view.clocks} == {"contact", "follow_up", "verify", "announce"}
    assert "due:handoff" not in desk.bot_comments(n)
    desk.close_ticket(n, FRONT, at("2026-03-10 10:40"))
    assert not [a for a in desk.run(at("2026-03-10 10:45")).actions if isinstance(a, ReopenTicket)]
    assert desk.ticket(n).state == "closed"


# --------------------------------------------------------------------------- escalation


def test_late_handoff_escalates_to_technical_support_then_management(desk: Desk) -> None:
    n = report(desk, "2026-03-10 10:00")
    desk.say(n, CARE, "/contact 已联系", at("2026-03-10 10:05"))
    desk.run(at("2026-03-10 10:00"))
    plan = desk.run(at("2026-03-10 10:20"))
    assert [a.add for a in plan.actions if isinstance(a, SetAssignees)] == [(TECH_PICKED,)]
    ticket = desk.ticket(n)
    assert {"sla:breach", "sla:escalated"} <= set(ticket.labels)
    esc = posted(plan, "esc:")
    assert list(esc) == ["esc:handoff:0:0"]
    body = esc["esc:handoff:0:0"]
    assert "「技术支持接手」" in body
    assert "2026-03-10 10:15" in body  # the due time
    assert f"请 {ALL_TECH} 跟进" in body
    assert f"@{TECH_PICKED}" in body
    assert "2026-03-10 10:45" in body  # when the next step falls due (site choice 30 min)

    plan = desk.run(at("2026-03-10 10:50"))
    esc = posted(plan, "esc:")
    assert list(esc) == ["esc:handoff:0:1"]
    assert "应于 **2026-03-10 10:15** 前完成，2026-03-10 10:50 升级；已超时 35分钟" in esc["esc:handoff:0:1"]
    # management plus the moderate grade's circle (technical support, customer group)
    assert f"@yoga-manager {ALL_TECH} {ALL_CARE}" in esc["esc:handoff:0:1"]

    desk.say(n, TECH, "/ack 已接手", at("2026-03-10 11:00"))
    desk.run(at("2026-03-10 11:00"))
    assert not desk.run(at("2026-03-10 11:00"))


def test_a_grader_running_hours_late_escalates_each_step_once_when_it_fell_due(
    desk: Desk,
) -> None:
    n = report(desk, "2026-03-10 10:00")
    plan = desk.run(at("2026-03-10 13:00"))  # the first run, three hours late
    esc = posted(plan, "esc:")
    # Every step fell due and acts; the handoff's second step names only people this run
    # already tells (management, technical support, the customer group): not said again.
    assert sorted(esc) == ["esc:contact:0:0", "esc:contact:0:1", "esc:handoff:0:0"]
    view = desk.view(n, at("2026-03-10 13:00"))
    assert sorted(iter_escalations(view)) == [
        ("contact", 0, 0, at("2026-03-10 10:30")),
        ("contact", 0, 1, at("2026-03-10 11:00")),
        ("handoff", 0, 0, at("2026-03-10 10:15")),
        ("handoff", 0, 1, at("2026-03-10 10:45")),
    ]
    assert "应于 **2026-03-10 10:30** 前完成，2026-03-10 13:00 升级；已超时 2小时30分钟" in esc["esc:contact:0:0"]
    assert "@yoga-manager" in esc["esc:contact:0:1"]
    assert set(desk.ticket(n).assignees) == {CARE_PICKED, TECH_PICKED}
    assert not desk.run(at("2026-03-10 13:00"))  # twice in a row: nothing the second time
    assert not desk.run(at("2026-03-10 13:05"))  # nothing new fell due

    # restore (moderate, site choice 4 h) falls due at 14:00, the next step 1 h later
    # (everyone its steps name was told at 13:00 and nobody spoke since: the steps act, the
    # labels and the assignment say it, no new comment; policy ``comments.retell`` says it)
    plan = desk.run(at("2026-03-10 16:00"))
    assert not posted(plan, "esc:")
    assert [e for e in iter_escalations(desk.view(n, at("2026-03-10 16:00")))
            if e[0] == "restore"] == [("restore", 0, 0, at("2026-03-10 14:00")),
                                      ("restore", 0, 1, at("2026-03-10 15:00"))]  # fmt: skip
    assert MANAGER in desk.ticket(n).assignees


def test_late_report_reminds_technical_support_then_management(desk: Desk) -> None:
    n = report(desk, "2026-03-10 10:00", self_solved=False)
    do(desk, n, [
        ("2026-03-10 10:05", CARE, "/contact 已联系"),
        ("2026-03-10 10:10", TECH, "/ack 已接手"),
        ("2026-03-10 11:00", TECH, "/resolve 已修复"),
        ("2026-03-10 11:30", FRONT, "/verify 正常"),  # verified and announced in time: only
        ("2026-03-10 11:40", CARE, "/announce 已通知"),  # the report runs late
    ])  # fmt: skip
    desk.run(at("2026-03-10 11:00"))
    assert not posted(desk.run(at("2026-03-11 10:59")), "esc:report")
    plan = desk.run(at("2026-03-11 15:30"))  # 24 h + 4 h (site choice) later
    esc = posted(plan, "esc:report")
    assert sorted(esc) == ["esc:report:0:0", "esc:report:0:1"]
    assert "「书面故障报告」" in esc["esc:report:0:0"]
    assert "2026-03-11 11:00" in esc["esc:report:0:0"]
    assert "应于 **2026-03-11 11:00** 前完成，2026-03-11 15:30 升级；已超时 4小时30分钟" in esc["esc:report:0:1"]
    fell = [e for e in iter_escalations(desk.view(n, at("2026-03-11 15:30"))) if e[0] == "report"]
    assert fell == [("report", 0, 0, at("2026-03-11 11:00")), ("report", 0, 1, at("2026-03-11 15:00"))]
    assert "@yoga-manager" in esc["esc:report:0:1"]


AFTER_FIX = [
    ("2026-03-10 11:10", FRONT, "/verify 前台签到正常"),
    ("2026-03-10 11:20", CARE, "/announce 已通知客户恢复"),
    ("2026-03-10 12:00", TECH, "/report 故障报告见附件"),
    ("2026-03-10 13:00", MANAGER, "/review 故障分析会已开"),
]

# (clock, how many AFTER_FIX steps were done, grader run at, escalations, assigned, mentioned)
LATE_AFTER_FIX: list[tuple[str, int, str, list[str], str, str]] = [
    ("verify", 0, "2026-03-10 12:30", ["esc:verify:0:0"], CONSULTANT, ALL_DISCOVERY),
    ("verify", 0, "2026-03-10 13:30", ["esc:verify:0:0", "esc:verify:0:1"], CONSULTANT, "@yoga-manager"),
    ("announce", 1, "2026-03-10 11:45", ["esc:announce:0:0"], CARE_PICKED, ALL_CARE),
    ("announce", 1, "2026-03-10 12:15", ["esc:announce:0:0", "esc:announce:0:1"], CARE_PICKED, "@yoga-manager"),
    ("review", 3, "2026-03-13 12:30", ["esc:review:0:0"], MANAGER, "@yoga-manager"),
]


@pytest.mark.parametrize(("clock_id", "done", "now", "keys", "assigned", "mention"), LATE_AFTER_FIX)
def test_late_steps_after_the_fix_escalate(
    desk: Desk, clock_id: str, done: int, now: str, keys: list[str], assigned: str, mention: str
) -> None:
    """Verification due 1 h after the fix (then management 1 h later), the announcement 30 min
    after verification (then management 30 min later), the review 72 h after the report."""
    n = report(desk, "2026-03-10 10:00")
    do(desk, n, [*DONE, *AFTER_FIX[:done]])
    plan = desk.run(at(now))
    esc = posted(plan, f"esc:{clock_id}:")
    assert sorted(esc) == keys
    assert mention in esc[keys[-1]]
    assert assigned in desk.ticket(n).assignees
    assert not posted(desk.run(at(now)), "esc:")


# --------------------------------------------------------------------------- closing

DONE = [
    ("2026-03-10 10:05", CARE, "/contact 已联系"),
    ("2026-03-10 10:10", TECH, "/ack 已接手"),
    ("2026-03-10 11:00", TECH, "/resolve 已修复并测试"),
]


# (what was done after the fix before a person closed it, requirement named, who must do it)
CLOSING: list[tuple[list[tuple[str, str, str]], str | None, str]] = [
    ([], "/verify", ALL_DISCOVERY),
    ([("2026-03-10 11:10", TECH, "/verify 我测过了")], "/verify", ALL_DISCOVERY),  # wrong group
    (AFTER_FIX[:1], "/announce", ALL_CARE),
    (AFTER_FIX[:2], "/report", ALL_TECH),
    (AFTER_FIX[:3], "/review", "@yoga-manager"),
    (AFTER_FIX, None, ""),
]


@pytest.mark.parametrize(("steps", "requirement", "who"), CLOSING)
def test_closing_needs_verification_announcement_report_and_review(
    desk: Desk, steps: list[tuple[str, str, str]], requirement: str | None, who: str
) -> None:
    n = report(desk, "2026-03-10 10:00")
    do(desk, n, [*DONE, *steps])
    desk.run(at("2026-03-10 13:00"))
    desk.close_ticket(n, FRONT, at("2026-03-10 13:10"))
    plan = desk.run(at("2026-03-10 13:15"))
    reopened = [a for a in plan.actions if isinstance(a, ReopenTicket)]
    blocked = posted(plan, "close-blocked:")
    if requirement is None:
        assert not reopened and not blocked
        assert desk.ticket(n).state == "closed"
        return
    assert reopened == [ReopenTicket(n)]
    assert len(blocked) == 1
    text = next(iter(blocked.values()))
    assert f"「{requirement}」" in text and who in text
    assert desk.ticket(n).state == "open"
    desk.run(at("2026-03-10 13:20"))
    assert not desk.run(at("2026-03-10 13:25"))


def test_the_grader_never_closes_a_fault_itself(desk: Desk) -> None:
    n = report(desk, "2026-03-10 10:00", self_solved=True)
    do(desk, n, [
        ("2026-03-10 10:10", FRONT, "/resolve 已恢复"),
        ("2026-03-10 10:20", FRONT, "/verify 正常"),
        ("2026-03-10 10:30", CARE, "/announce 已通知"),
    ])  # fmt: skip
    plan = desk.run(at("2026-03-10 11:00"))
    assert not [a for a in plan.actions if isinstance(a, CloseTicket)]


# --------------------------------------------------------------------------- trust


def test_a_customer_cannot_grade_and_is_told_so(desk: Desk) -> None:
    n = report(desk, "2026-03-10 10:00", severity="minor", scope="single")
    comment = desk.say(n, MEMBER, "/grade severe\n我觉得很严重", at("2026-03-10 10:05"))
    plan = desk.run(at("2026-03-10 10:06"))
    assert desk.view(n, at("2026-03-10 10:06")).grade == "minor"
    denied = posted(plan, "denied:")
    assert list(denied) == [f"denied:{comment.id}"]
    assert f"@{MEMBER}" in denied[f"denied:{comment.id}"]
    assert "/grade" in denied[f"denied:{comment.id}"]
    assert not desk.run(at("2026-03-10 10:07"))


def test_staff_can_regrade(desk: Desk) -> None:
    n = report(desk, "2026-03-10 10:00", severity="minor", scope="single")
    desk.say(n, MANAGER, "/grade severe 会员预约全部失败", at("2026-03-10 10:30"))
    view = desk.view(n, at("2026-03-10 10:31"))
    assert view.grade == "severe"
    assert view.clock("restore").due == at("2026-03-10 12:00")  # type: ignore[union-attr]


# --------------------------------------------------------------------------- engine gaps


def test_a_due_item_started_after_resolution_survives_closing() -> None:
    data = yaml.safe_load(preset_file("yoga").read_text(encoding="utf-8"))
    data["close_rules"] = [r for r in data["close_rules"] if r["requires"] != "command:review"]
    cfg = parse_config(data)
    with Desk(cfg, reporter=FRONT) as desk:
        n = report(desk, "2026-03-10 10:00")
        do(desk, n, [*DONE, *AFTER_FIX[:3]])
        desk.close_ticket(n, FRONT, at("2026-03-10 12:30"))
        review = desk.clock(n, "review", at("2026-03-14 12:00"))
        assert review.status == "late"  # no /review was ever written


def test_reopening_a_closed_too_early_ticket_converges_in_one_run(desk: Desk) -> None:
    n = report(desk, "2026-03-10 10:00")
    do(desk, n, DONE)
    desk.run(at("2026-03-10 13:00"))
    assert {"sla:breach", "status:resolved"} <= set(desk.ticket(n).labels)
    desk.close_ticket(n, FRONT, at("2026-03-10 13:10"))
    desk.run(at("2026-03-10 13:15"))  # reopens: /verify is missing
    assert {"sla:breach", "status:resolved"} <= set(desk.ticket(n).labels)
    assert not desk.run(at("2026-03-10 13:15"))


def test_a_verify_from_outside_the_discovering_group_does_not_start_the_recovery_notice(desk: Desk) -> None:
    n = report(desk, "2026-03-10 10:00")
    do(desk, n, [("2026-03-10 15:00", TECH, "/resolve 已修复"), ("2026-03-10 15:10", TECH, "/verify 我测过了")])
    view = desk.view(n, at("2026-03-10 15:20"))
    assert "announce" not in {c.id for c in view.clocks}
    assert view.clock("verify").status == "running"
    do(desk, n, [("2026-03-10 15:30", FRONT, "/verify 前台签到正常")])
    announce = desk.view(n, at("2026-03-10 15:40")).clock("announce")
    assert (announce.started, announce.due) == (at("2026-03-10 15:30"), at("2026-03-10 16:00"))
