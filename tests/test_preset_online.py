"""Rulebook 002 (online service): every number of its POLICIES.md section, through the grader."""

from __future__ import annotations

import pytest
from policy_helpers import Desk, at, iter_escalations, load_preset, posted

CFG = load_preset("online")
ORD = {"tier": "ordinary", "channel": "phone", "description": "用户反馈问题"}


def answers(symptom: str, cph: int, tier: str = "ordinary", **more: object) -> dict:
    return {**ORD, "symptom": symptom, "complaints_per_hour": cph, "tier": tier, **more}


# (symptom, tier, complaints per hour, expected first grade) — the first-grade table.
FIRST_GRADE = [
    ("account_security", "ordinary", 1, "urgent"), ("account_security", "ordinary", 3, "urgent"),
    ("account_security", "ordinary", 4, "major"), ("account_security", "vip", 1, "major"),
    ("attack_outage", "ordinary", 9, "urgent"), ("attack_outage", "ordinary", 10, "major"),
    ("attack_outage", "vip", 3, "urgent"), ("attack_outage", "vip", 4, "major"),
    ("money_error", "ordinary", 3, "urgent"), ("money_error", "ordinary", 4, "major"),
    ("money_error", "vip", 1, "urgent"), ("money_error", "vip", 2, "major"),
    ("login_failure", "ordinary", 4, "general"), ("login_failure", "ordinary", 5, "serious"),
    ("login_failure", "ordinary", 10, "serious"), ("login_failure", "ordinary", 11, "urgent"),
    ("login_failure", "vip", 3, "serious"), ("login_failure", "vip", 6, "urgent"),
    ("order_failure", "ordinary", 10, "serious"), ("order_failure", "ordinary", 11, "urgent"),
    ("order_failure", "ordinary", 20, "urgent"), ("order_failure", "ordinary", 21, "major"),
    ("payment_delay", "ordinary", 5, "general"), ("payment_delay", "ordinary", 11, "serious"),
    ("payment_delay", "ordinary", 21, "urgent"), ("payment_delay", "ordinary", 50, "urgent"),
    ("payment_delay", "ordinary", 51, "major"),
    ("site_unreachable", "ordinary", 5, "serious"), ("site_unreachable", "ordinary", 11, "urgent"),
    ("site_unreachable", "ordinary", 21, "major"),
    ("product_bug", "ordinary", 10, "general"), ("product_bug", "ordinary", 11, "serious"),
    ("product_bug", "ordinary", 21, "urgent"), ("product_bug", "vip", 5, "serious"),
    ("product_bug", "vip", 11, "urgent"),
    ("client_fault", "ordinary", 9, "general"), ("client_fault", "ordinary", 10, "serious"),
    ("client_fault", "ordinary", 30, "serious"), ("client_fault", "ordinary", 31, "urgent"),
]  # fmt: skip


@pytest.mark.parametrize(("symptom", "tier", "cph", "grade"), FIRST_GRADE)
def test_first_grade_table(symptom: str, tier: str, cph: int, grade: str) -> None:
    with Desk(CFG) as desk:
        n = desk.open("problem", answers(symptom, cph, tier), at("2026-11-24 10:00"))
        assert desk.view(n, at("2026-11-24 10:00")).grade == grade


# (grade-giving answers, opened at, clock, expected due) — the time-limit table.
LOGIN_SERIOUS = answers("login_failure", 6)
LIMITS = [
    # working hours (Tuesday 10:00)
    (answers("account_security", 5), "2026-11-24 10:00", {"notify": "10:05", "plan": "10:20", "root": "11:00", "escalate": "10:10"}),
    (answers("login_failure", 12), "2026-11-24 10:00", {"notify": "10:10", "plan": "10:30", "root": "12:00", "escalate": "10:15"}),
    (LOGIN_SERIOUS, "2026-11-24 10:00", {"notify": "10:15", "plan": "11:00", "root": "13:00", "escalate": "10:20"}),
    (answers("product_bug", 2), "2026-11-24 10:00", {"notify": "10:20", "plan": "12:00", "root": "14:00", "escalate": "10:30"}),
    # manned off hours (Tuesday 19:00)
    (answers("account_security", 5), "2026-11-24 19:00", {"notify": "19:30", "plan": "21:00", "root": "23:00", "escalate": "20:00"}),
    (answers("login_failure", 12), "2026-11-24 19:00", {"notify": "20:00", "plan": "22:00", "escalate": "21:00"}),
    (LOGIN_SERIOUS, "2026-11-24 19:00", {"notify": "21:00", "plan": "23:00", "escalate": "22:00"}),
    (answers("product_bug", 2), "2026-11-24 19:00", {"notify": "23:00", "escalate": "24:00"}),
]  # fmt: skip


@pytest.mark.parametrize(("ans", "opened", "dues"), LIMITS)
def test_time_limits_working_and_off_hours(ans: dict, opened: str, dues: dict) -> None:
    with Desk(CFG) as desk:
        n = desk.open("problem", ans, at(opened))
        day = opened.split()[0]
        for clock, hhmm in dues.items():
            want = at(f"{day} 23:59") if hhmm == "24:00" else at(f"{day} {hhmm}")
            got = desk.clock(n, clock, at(opened)).due
            if hhmm == "24:00":
                assert got == at("2026-11-25 00:00")
            else:
                assert got == want, clock


def test_off_hours_clock_runs_through_the_night_only_in_manned_time() -> None:
    # urgent, off hours at 20:00: root cause within 6 h of manned time; 00:00-07:00 is unmanned.
    with Desk(CFG) as desk:
        n = desk.open("problem", answers("login_failure", 12), at("2026-11-24 20:00"))
        assert desk.clock(n, "root", at("2026-11-24 20:00")).due == at("2026-11-25 09:00")


def test_unmanned_hours_start_the_clock_at_the_next_manned_period() -> None:
    with Desk(CFG) as desk:
        n = desk.open("problem", answers("login_failure", 12), at("2026-11-24 02:00"))
        c = desk.clock(n, "notify", at("2026-11-24 02:00"))
        assert c.due == at("2026-11-24 08:00")  # starts 07:00 (manned off hours): 1 h


def test_surge_of_key_problems_opens_one_incident_and_links_them() -> None:
    with Desk(CFG) as desk:
        numbers = [desk.open("problem", answers("login_failure", 2), at(f"2026-11-24 10:{m:02d}"))
                   for m in (0, 5, 10, 15)]  # fmt: skip
        desk.run(at("2026-11-24 10:16"))
        assert not [t for t in desk.tickets() if t.author == CFG.bot.login]  # 4 < 5
        numbers.append(desk.open("problem", answers("login_failure", 2), at("2026-11-24 10:20")))
        desk.run(at("2026-11-24 10:21"))
        incidents = [t for t in desk.tickets() if t.author == CFG.bot.login]
        assert len(incidents) == 1
        inc = desk.view(incidents[0].number, at("2026-11-24 10:21"))
        assert inc.is_incident and inc.members == tuple(numbers)
        assert inc.grade == "serious"  # 5 login failures an hour
        for n in numbers:
            assert "incident-link" in " ".join(desk.bot_comments(n))
        desk.run(at("2026-11-24 10:21"))  # the new incident's own labels, owner and status
        assert not desk.plan(at("2026-11-24 10:21"))  # converged


def test_vip_key_threshold_is_three_and_outside_the_window_no_surge() -> None:
    with Desk(CFG) as desk:
        for m in ("10:00", "10:20", "10:40"):  # 3 VIP, but never 3 inside 30 minutes
            desk.open("problem", answers("login_failure", 1, "vip"), at(f"2026-11-24 {m}"))
        desk.run(at("2026-11-24 10:41"))
        assert not [t for t in desk.tickets() if t.author == CFG.bot.login]
        desk.open("problem", answers("login_failure", 1, "vip"), at("2026-11-24 10:45"))
        desk.run(at("2026-11-24 10:46"))
        assert len([t for t in desk.tickets() if t.author == CFG.bot.login]) == 1


def test_affected_ratio_of_one_percent_is_announced_and_graded() -> None:
    with Desk(CFG) as desk:
        n = desk.open("problem", answers("order_failure", 1, affected_ratio="1%"), at("2026-11-24 10:00"))
        assert desk.view(n, at("2026-11-24 10:00")).grade == "serious"
        desk.run(at("2026-11-24 10:01"))
        assert len([t for t in desk.tickets() if t.author == CFG.bot.login]) == 1


@pytest.mark.parametrize(
    ("resolve", "final"),
    [("downtime=2.5", "major"), ("downtime=1.5", "urgent"), ("downtime=0.6", "serious"),
     ("downtime=0.2", "general"), ("loss=200000", "major"), ("loss=50000", "urgent"),
     ("loss=500", "serious"), ("downtime=0.1 loss=20000", "urgent"),
     # values with units: money in yuan, times in hours
     ("loss=15万", "major"), ("loss=150000元", "major"), ("loss=¥150,000", "major"), ("loss=1.5万", "urgent"),
     ("downtime=2.5小时", "major"), ("downtime=2.5h", "major"), ("downtime=90分钟", "urgent"),
     ("downtime=1h30m", "urgent"), ("downtime=1天", "major"), ("downtime=40min", "serious")],
)  # fmt: skip
def test_final_grade_is_the_highest_of_downtime_money_and_complaints(resolve: str, final: str) -> None:
    with Desk(CFG) as desk:
        n = desk.open("problem", answers("product_bug", 2), at("2026-11-24 10:00"))
        desk.say(n, "online-shift-lead", f"/resolve {resolve}", at("2026-11-24 11:00"))
        assert desk.view(n, at("2026-11-24 11:00")).final_grade == final
        assert not posted(desk.plan(at("2026-11-24 11:00")), "bad-value:")


def test_late_notify_escalates_up_the_ladder_with_circle_and_breach_label() -> None:
    with Desk(CFG) as desk:
        n = desk.open("problem", answers("login_failure", 12), at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 11:00"))  # a grader that ran 50 minutes late
        t = desk.ticket(n)
        assert "sla:breach" in t.labels
        assert {"online-cs-manager", "online-cs-supervisor"} <= set(t.assignees)
        step1 = desk.bot_comment(n, "esc:notify:0:0")
        step2 = desk.bot_comment(n, "esc:notify:0:1")
        assert "2026-11-24 10:10" in step1 and "通知负责人" in step1
        # said plainly: due, escalated now, how late (step 2 fell due at 10:40)
        assert "应于 **2026-11-24 10:10** 前完成，2026-11-24 11:00 升级；已超时 50分钟" in step2
        assert ("notify", 0, 1, at("2026-11-24 10:40")) in iter_escalations(desk.view(n, at("2026-11-24 11:00")))
        circle = desk.bot_comment(n, "esc:escalate:0:0")
        for who in ("@online-service-director", "@online-tech-lead", "@online-product-owner"):
            assert who in circle
        assert not desk.plan(at("2026-11-24 11:00"))


def test_ack_on_time_stops_the_clock_and_nothing_escalates() -> None:
    with Desk(CFG) as desk:
        n = desk.open("problem", answers("login_failure", 12), at("2026-11-24 10:00"))
        desk.say(n, "online-cs-manager", "/ack", at("2026-11-24 10:05"))
        desk.run(at("2026-11-24 10:30"))
        assert desk.clock(n, "notify", at("2026-11-24 10:30")).status == "met"
        assert "esc:notify:0:0" not in desk.bot_comments(n)


def test_wording_on_the_incident_reaches_every_linked_ticket() -> None:
    with Desk(CFG) as desk:
        a = desk.open("problem", answers("account_security", 1), at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:01"))
        inc = next(t.number for t in desk.tickets() if t.author == CFG.bot.login)
        desk.say(inc, "online-cs-manager", "/wording 我们正在处理，请耐心等待。", at("2026-11-24 10:05"))
        desk.run(at("2026-11-24 10:06"))
        assert "我们正在处理" in desk.bot_comment(a, "wording:")
        desk.say(inc, "online-cs-manager", "/resolve downtime=0.3", at("2026-11-24 10:30"))
        desk.run(at("2026-11-24 10:31"))
        assert desk.view(a, at("2026-11-24 10:31")).resolved_at == at("2026-11-24 10:30")
        assert desk.bot_comment(a, "incident-resolved")


def test_a_value_that_cannot_be_read_is_answered_once() -> None:
    with Desk(CFG) as desk:
        n = desk.open("problem", answers("product_bug", 2), at("2026-11-24 10:00"))
        desk.say(n, "online-shift-lead", "/resolve downtime=很久 loss=15万", at("2026-11-24 11:00"))
        desk.run(at("2026-11-24 11:00"))
        assert desk.view(n, at("2026-11-24 11:00")).final_grade == "major"  # the loss still counts
        assert desk.bot_comment(n, "bad-value:") == (
            "❓ @online-shift-lead：`downtime=很久` 无法识别为数字，最终等级没有计入。"
            "请重新填写数字，可带单位：2.5、2.5h、90分钟、15万、150000元。"
        )
        assert not desk.plan(at("2026-11-24 11:00"))


def _surge_resolved_at_1030(desk: Desk) -> int:
    """Five login failures from 10:00 open an incident, resolved at 10:30; its number."""
    for m in (0, 5, 10, 15, 20):
        desk.open("problem", answers("login_failure", 2), at(f"2026-11-24 10:{m:02d}"))
    desk.run(at("2026-11-24 10:21"))
    inc = next(t.number for t in desk.tickets() if t.author == CFG.bot.login)
    desk.say(inc, "online-cs-manager", "/resolve downtime=0.3", at("2026-11-24 10:30"))
    return inc


def test_a_ticket_after_the_incident_was_resolved_does_not_join_it_and_is_not_closed_at_once() -> None:
    with Desk(CFG) as desk:
        inc = _surge_resolved_at_1030(desk)
        desk.run(at("2026-11-24 10:31"))
        late = desk.open("problem", answers("login_failure", 2), at("2026-11-24 10:40"))  # inside the window
        desk.run(at("2026-11-24 10:41"))
        view = desk.view(late, at("2026-11-24 10:41"))
        assert (view.incident_key, view.resolved_at, desk.ticket(late).state) == (None, None, "open")
        assert not [k for k in desk.bot_comments(late) if k.startswith("incident")]
        assert desk.view(inc, at("2026-11-24 10:41")).members == (1, 2, 3, 4, 5)
        assert not desk.plan(at("2026-11-24 10:41"))


def test_a_recurrence_after_the_resolution_opens_a_new_incident() -> None:
    with Desk(CFG) as desk:
        _surge_resolved_at_1030(desk)
        again = [desk.open("problem", answers("login_failure", 2), at(f"2026-11-24 10:{m}")) for m in (35, 40, 45, 50, 55)]
        desk.run(at("2026-11-24 10:56"))
        incidents = [t.number for t in desk.tickets() if t.author == CFG.bot.login]
        assert len(incidents) == 2
        assert desk.view(incidents[1], at("2026-11-24 10:56")).members == tuple(again)
        assert all(desk.view(n, at("2026-11-24 10:56")).resolved_at is None for n in again)
        desk.run(at("2026-11-24 10:56"))
        assert not desk.plan(at("2026-11-24 10:56"))
