"""Rulebook 001 (basketball club): every number of its POLICIES.md section, through the grader."""

from __future__ import annotations

import pytest
from policy_helpers import Desk, at, load_preset, posted

from tracker.config import parse_config
from tracker.config import preset_path as _preset_path

CLUB = load_preset("club")
BASE = {"category": "booking", "description": "场馆问题"}
T0 = "2026-11-24 10:00"


# (level, clock, what happens first, expected due) — one row per number in the rulebook.
DUES = [
    ("l1", "kb_answer", [], "2026-11-24 10:05"),  # answer from the KB within 5 min
    ("l1", "l1_resolve", [], "2026-11-24 10:10"),  # else a senior or supervisor within 10 min
    ("l2", "handoff", [], "2026-11-24 10:15"),  # to the department within 15 min
    ("l2", "dept_plan", [("10:12", "club-agent-1", "/handoff")], "2026-11-24 11:12"),  # plan and ETA within 1 h
    ("l2", "customer_update", [], "2026-11-24 12:00"),  # the customer updated every 2 h
    ("l2", "eta", [("10:30", "club-dept-venue", "/plan eta=15:30")], "2026-11-24 15:30"),  # the ETA given
    ("l3", "task_force", [], "2026-11-24 10:10"),  # task force within 10 min
    ("l3", "task_force_meeting", [], "2026-11-24 10:30"),  # it meets within 30 min
    ("l3", "customer_update", [], "2026-11-24 12:00"),  # the named contact keeps the customer informed
]  # fmt: skip


@pytest.mark.parametrize(("level", "clock", "first", "due"), DUES)
def test_every_clock_falls_due_when_the_rulebook_says(level: str, clock: str, first: list, due: str) -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", {**BASE, "level": level}, at(T0))
        for hhmm, who, text in first:
            desk.say(n, who, text, at(f"2026-11-24 {hhmm}"))
        assert desk.clock(n, clock, at("2026-11-24 10:40")).due == at(due)


def test_customer_updates_repeat_every_two_hours_from_the_last_update() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", {**BASE, "level": "l2"}, at(T0))
        desk.say(n, "club-agent-1", "/update 已告知进展", at("2026-11-24 11:30"))
        second = desk.clock(n, "customer_update", at("2026-11-24 11:40"), cycle=1)
        assert second.due == at("2026-11-24 13:30")


def test_a_missed_eta_asks_for_a_reason_and_a_new_eta() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", {**BASE, "level": "l2"}, at(T0))
        desk.say(n, "club-dept-venue", "/plan eta=12:00", at("2026-11-24 10:30"))
        desk.run(at("2026-11-24 12:05"))
        text = desk.bot_comment(n, "esc:eta:0:0")
        assert "按预计时间解决" in text and "2026-11-24 12:00" in text
        desk.say(n, "club-dept-venue", "/eta eta=16:00\n配件未到", at("2026-11-24 12:30"))
        again = desk.clock(n, "eta", at("2026-11-24 12:40"), cycle=1)
        assert (again.due, again.status) == (at("2026-11-24 16:00"), "running")


def test_the_written_report_is_a_due_item_with_its_checklist_and_no_reminder() -> None:
    import yaml

    data = yaml.safe_load(_preset_path("club").read_text(encoding="utf-8"))
    assert data["comments"]["clocks"]["written_report"] == {"reminders": False}  # site choice
    data["comments"]["clocks"]["written_report"]["reminders"] = True
    for cfg, reminded in ((CLUB, False), (parse_config(data), True)):
        with Desk(cfg) as desk:
            n = desk.open("issue", {**BASE, "level": "l3"}, at(T0))
            desk.say(n, "club-supervisor", "/resolve 已处理", at("2026-11-24 12:00"))
            desk.run(at("2026-11-24 12:01"))
            due = desk.bot_comment(n, "due:written_report")
            for item in ("原因", "处理过程", "经验教训", "改进措施"):
                assert item in due
            assert "2026-11-26 12:00" in due  # two days after resolution (site choice)
            desk.run(at("2026-11-26 03:00"))  # 80 % of the way: the switch decides
            assert ("remind:written_report" in desk.bot_comments(n)) is reminded
            desk.run(at("2026-11-26 12:00"))  # the deadline: the escalation says it either way
            assert "@club-manager" in desk.bot_comment(n, "esc:written_report:0:0")


def test_the_written_report_is_met_by_its_report() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", {**BASE, "level": "l3"}, at(T0))
        desk.say(n, "club-supervisor", "/resolve 已处理", at("2026-11-24 12:00"))
        desk.say(n, "club-supervisor", "/report 见附件", at("2026-11-26 09:00"))
        assert desk.clock(n, "written_report", at("2026-11-26 09:00")).status == "met"


def test_english_by_configuration() -> None:
    import yaml

    data = yaml.safe_load(_preset_path("club").read_text(encoding="utf-8"))
    data["locale"] = "en"
    cfg = parse_config(data)
    with Desk(cfg) as desk:
        n = desk.open("issue", {**BASE, "level": "l2"}, at(T0))
        desk.run(at("2026-11-24 10:20"))
        text = desk.bot_comment(n, "esc:handoff:0:0")
        assert text.startswith("⚠️ **Escalation (step 1)**: \"Hand to the department\" was due by **2026-11-24 10:15**")
        assert "Ticket status" in desk.bot_comment(n, "status")


def test_the_opening_agents_own_knowledge_base_answer_is_the_l1_reply() -> None:
    with Desk(CLUB, reporter="club-agent-1") as desk:
        n = desk.open("issue", {**BASE, "level": "l1"}, at(T0))
        desk.say(n, "club-agent-1", "知识库：场地预订可在小程序内取消。", at("2026-11-24 10:03"))
        clock = desk.clock(n, "kb_answer", at("2026-11-24 10:20"))
        assert (clock.status, clock.stopped) == ("met", at("2026-11-24 10:03"))


def test_a_member_reporting_for_themselves_is_not_answered_by_their_own_comment() -> None:
    with Desk(CLUB, reporter="club-member-wang") as desk:
        n = desk.open("issue", {**BASE, "level": "l1"}, at(T0), association="MEMBER")
        desk.say(n, "club-member-wang", "补充：是 3 号场。", at("2026-11-24 10:03"), association="MEMBER")
        assert desk.clock(n, "kb_answer", at("2026-11-24 10:20")).status == "late"


def test_a_supervisor_cannot_grade_a_safety_accident_below_l3() -> None:
    with Desk(CLUB, reporter="club-agent-1") as desk:
        n = desk.open("issue", {**BASE, "level": "l1", "safety": True}, at(T0))
        desk.say(n, "club-supervisor", "/grade l1 其实只是擦伤", at("2026-11-24 10:02"))
        plan = desk.run(at("2026-11-24 10:03"))
        assert desk.view(n, at("2026-11-24 10:03")).grade == "l3"
        refused = list(posted(plan, "refused-grade:").values())
        assert refused == [
            "🚫 @club-supervisor：等级至少为 L3 严重，因此未改为 L1 轻微：规则“安全事故一律 L3”"
            "规定此工单为 L3 严重 或以上。如工单描述有误，请更正工单内容。"
        ]
        desk.label(n, "grade:l2", "club-supervisor", at("2026-11-24 10:04"))
        desk.run(at("2026-11-24 10:05"))
        assert desk.view(n, at("2026-11-24 10:05")).grade == "l3"
        assert "grade:l2" not in desk.ticket(n).labels
        assert desk.bot_comment(n, "refused-grade-label:").startswith("🚫 @club-supervisor：等级至少为 L3 严重")
        assert not desk.plan(at("2026-11-24 10:05"))


def test_a_stated_level_is_no_floor_and_a_regrade_above_the_rules_stands() -> None:
    with Desk(CLUB, reporter="club-agent-1") as desk:
        n = desk.open("issue", {**BASE, "level": "l2"}, at(T0))
        desk.say(n, "club-supervisor", "/grade l1", at("2026-11-24 10:02"))
        assert desk.view(n, at("2026-11-24 10:03")).grade == "l1"
