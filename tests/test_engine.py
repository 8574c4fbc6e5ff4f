"""The pure grader: replay is deterministic, a second grading plans nothing, trust rules hold."""

from __future__ import annotations

from policy_helpers import Desk, at, iter_escalations, load_preset

from tracker.engine import grade
from tracker.model import OpenIncident
from tracker.protocol import INCIDENT_NUMBER, escalation_key

CLUB = load_preset("club")
ISSUE = {"category": "booking", "level": "l2", "description": "淋浴间漏水"}


def story(desk: Desk) -> int:
    n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
    desk.say(n, "club-agent-1", "/handoff 已转场馆部", at("2026-11-24 10:20"))
    desk.say(n, "club-dept-venue", "/plan eta=13:00\n换阀门", at("2026-11-24 10:50"))
    return n


def test_replaying_the_same_history_gives_the_same_plan() -> None:
    plans = []
    for _ in range(2):
        with Desk(CLUB) as desk:
            story(desk)
            plans.append(grade(desk.tickets(), CLUB, at("2026-11-24 16:00")))
    assert plans[0] == plans[1]
    assert plans[0]


def test_grading_twice_in_a_row_plans_nothing_the_second_time() -> None:
    with Desk(CLUB) as desk:
        n = story(desk)
        for hhmm in ("10:00", "10:30", "11:00", "14:00", "16:00"):
            desk.run(at(f"2026-11-24 {hhmm}"))
            assert not desk.plan(at(f"2026-11-24 {hhmm}")), hhmm
        assert desk.clock(n, "handoff", at("2026-11-24 16:00")).status == "missed"
        assert desk.clock(n, "eta", at("2026-11-24 16:00")).status == "late"


def test_a_late_grader_catches_up_with_the_same_end_state_and_says_only_what_still_runs() -> None:
    # Reaches the on-time grader's labels, assignees and state; of its comments, it skips
    # those about clocks that stopped meanwhile (the handoff) and says the rest at once.
    with Desk(CLUB) as on_time, Desk(CLUB) as late:
        for d in (on_time, late):
            story(d)
        for m in range(0, 6 * 60, 5):
            on_time.run(at("2026-11-24 10:00").replace(hour=10 + m // 60, minute=m % 60))
        late.run(at("2026-11-24 15:55"))
        a, b = on_time.ticket(1), late.ticket(1)
        assert (set(a.labels), set(a.assignees), a.state) == (set(b.labels), set(b.assignees), b.state)
        said_late = late.bot_comments(1).keys() - {"status"}
        fell_due = on_time.view(1, at("2026-11-24 15:55"))
        assert said_late <= {escalation_key(c, cy, st) for c, cy, st, _ in iter_escalations(fell_due)}
        assert {"esc:eta:0:0", "esc:eta:0:1"} <= said_late and "esc:handoff:0:0" not in said_late
        assert late.bot_comment_count(1) == 1  # one comment for everything the run had to say
        eta = late.bot_comment(1, "esc:eta:0:1")
        assert "2026-11-24 13:00" in eta and "2026-11-24 15:55" in eta and "已超时 2小时55分钟" in eta


def test_a_customer_cannot_regrade_and_is_told_so() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.say(n, "customer-li", "/grade l1", at("2026-11-24 10:01"))
        desk.label(n, "grade:l3", "customer-li", at("2026-11-24 10:02"))
        desk.run(at("2026-11-24 10:03"))
        t = desk.ticket(n)
        assert desk.view(n, at("2026-11-24 10:03")).grade == "l2"
        assert "grade:l3" not in t.labels and "grade:l2" in t.labels
        assert "@customer-li" in desk.bot_comment(n, "denied:")
        assert "grade:l3" in desk.bot_comment(n, "undo-label:")
        assert not desk.plan(at("2026-11-24 10:03"))


def test_staff_regrade_by_command_or_label() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.say(n, "club-supervisor", "/grade l3", at("2026-11-24 10:01"))
        assert desk.view(n, at("2026-11-24 10:02")).grade == "l3"
        desk.label(n, "grade:l1", "club-supervisor", at("2026-11-24 10:03"))
        desk.run(at("2026-11-24 10:04"))
        assert desk.view(n, at("2026-11-24 10:04")).grade == "l1"
        assert "grade:l3" not in desk.ticket(n).labels


def test_the_graders_own_comments_never_count_as_a_response() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", {**ISSUE, "level": "l1"}, at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:01"))
        desk.run(at("2026-11-24 10:06"))
        assert desk.clock(n, "kb_answer", at("2026-11-24 10:06")).status == "late"


def test_a_human_removing_a_managed_label_is_respected() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:20"))
        assert "sla:breach" in desk.ticket(n).labels
        desk.unlabel(n, "sla:breach", "club-supervisor", at("2026-11-24 10:21"))
        desk.run(at("2026-11-24 10:22"))
        assert "sla:breach" not in desk.ticket(n).labels


def test_missing_answers_get_one_comment_listing_them() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", {"category": "booking"}, at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:00"))
        text = desk.bot_comment(n, "needs-info")
        assert "初步等级" in text and "问题描述" in text
        assert "needs-info" in desk.ticket(n).labels


def test_safety_accident_is_always_l3_and_the_supervisor_owns_it_at_once() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", {**ISSUE, "level": "l1", "safety": True}, at("2026-11-24 19:30"))
        desk.run(at("2026-11-24 19:30"))
        assert desk.view(n, at("2026-11-24 19:30")).grade == "l3"
        assert "club-supervisor" in desk.ticket(n).assignees
        assert desk.clock(n, "task_force", at("2026-11-24 19:30")).due == at("2026-11-24 19:40")
        assert desk.clock(n, "task_force_meeting", at("2026-11-24 19:30")).due == at("2026-11-24 20:00")


def test_unsatisfied_rating_goes_back_to_the_department_and_the_supervisor() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.say(n, "club-dept-venue", "/resolve 已修复", at("2026-11-24 12:00"))
        desk.run(at("2026-11-24 12:01"))
        assert desk.bot_comment(n, "rate:")
        desk.say(n, "club-agent-1", "/rate -1", at("2026-11-24 12:30"))
        desk.run(at("2026-11-24 12:31"))
        view = desk.view(n, at("2026-11-24 12:31"))
        assert view.resolved_at is None and desk.ticket(n).state == "open"
        assert "@club-supervisor" in desk.bot_comment(n, "low-rating:")
        desk.say(n, "club-dept-venue", "/resolve 重新处理", at("2026-11-24 14:00"))
        desk.say(n, "club-agent-1", "/rate 1", at("2026-11-24 14:30"))
        desk.run(at("2026-11-24 14:31"))
        assert desk.ticket(n).state == "closed"


def test_l1_answered_in_time_meets_the_kb_clock() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", {**ISSUE, "level": "l1"}, at("2026-11-24 10:00"))
        desk.say(n, "club-senior", "知识库答复：九折", at("2026-11-24 10:04"))
        assert desk.clock(n, "kb_answer", at("2026-11-24 10:30")).status == "met"
        assert desk.clock(n, "l1_resolve", at("2026-11-24 10:30")).status == "late"


def test_after_closing_hours_the_clock_starts_at_opening() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 23:30"))
        assert desk.clock(n, "handoff", at("2026-11-24 23:30")).due == at("2026-11-25 09:15")


def test_resting_quiet_tickets_never_changes_the_plan() -> None:
    from datetime import timedelta

    with Desk(CLUB) as desk:
        start = at("2026-11-24 08:00")
        for i, level in enumerate(("l1", "l2", "l2", "l3", "l1", "l2")):
            desk.open("issue", {**ISSUE, "level": level}, start + timedelta(minutes=7 * i))
        desk.say(2, "club-agent-1", "/handoff", at("2026-11-24 09:05"))
        desk.say(3, "club-dept-venue", "/plan eta=13:00", at("2026-11-24 10:40"))
        memo: dict = {}
        rested = 0
        now = at("2026-11-24 09:00")
        while now <= at("2026-11-24 18:00"):
            tickets = desk.tickets()
            full = grade(tickets, CLUB, now)
            remembered = grade(tickets, CLUB, now, memo=memo)
            assert remembered.actions == full.actions, now
            rested += len(tickets) - len(remembered.memo)
            desk.run(now)
            memo.update(grade(desk.tickets(), CLUB, now, memo=memo).memo)
            now += timedelta(minutes=7)
        assert rested > 100  # most tickets rested most of the time


def test_a_clock_stopped_exactly_at_its_due_time_is_met_and_not_escalated() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.say(n, "club-agent-1", "/handoff", at("2026-11-24 10:15"))
        desk.run(at("2026-11-24 10:15"))
        desk.run(at("2026-11-24 11:00"))
        assert desk.clock(n, "handoff", at("2026-11-24 11:00")).status == "met"
        assert "esc:handoff:0:0" not in desk.bot_comments(n)


def test_a_step_falling_due_exactly_now_fires_now() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:15"))  # handoff due 10:15: step 1 fires at 10:15
        assert "esc:handoff:0:0" in desk.bot_comments(n)


def test_the_incident_link_text_is_the_graders_whoever_posts_it() -> None:
    online = load_preset("online")
    problem = {"tier": "ordinary", "channel": "phone", "description": "登录失败",
               "symptom": "login_failure", "complaints_per_hour": 2}  # fmt: skip
    with Desk(online) as desk:
        members = [desk.open("problem", problem, at(f"2026-11-24 10:{m:02d}")) for m in range(0, 25, 5)]
        plan = desk.run(at("2026-11-24 10:21"))
        (opened,) = [a for a in plan.actions if isinstance(a, OpenIncident)]
        assert opened.link == f"🔗 已关联到事件 #{INCIDENT_NUMBER}。"  # filled in when it is applied
        (incident,) = [t.number for t in desk.tickets() if t.author == online.bot.login]
        for n in members:
            assert desk.bot_comment(n, "incident-link:") == f"🔗 已关联到事件 #{incident}。"
        # A member that joins an open incident is linked by the grader itself, in the same words.
        late = desk.open("problem", problem, at("2026-11-24 10:26"))
        desk.run(at("2026-11-24 10:27"))
        assert desk.bot_comment(late, "incident-link:") == f"🔗 已关联到事件 #{incident}。"
