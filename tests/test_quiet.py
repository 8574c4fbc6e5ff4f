"""The grader's conversation: exact clocks, and quiet enough that nobody mutes it."""

from __future__ import annotations

import yaml
from policy_helpers import Desk, at, load_preset, preset_file

from tracker.config import parse_config
from tracker.protocol import escalation_key

CLUB = load_preset("club")
ONLINE = load_preset("online")
ISSUE = {"category": "booking", "level": "l2", "description": "淋浴间漏水"}
VIP = {"symptom": "account_security", "tier": "vip", "complaints_per_hour": 1, "channel": "chat",
       "description": "陌生登录", "customer": "vip-88"}  # fmt: skip


def test_a_pause_pushes_the_due_time_out_by_its_whole_length() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.say(n, "club-agent-1", "/pause 等客户回电", at("2026-11-24 10:05"))
        desk.say(n, "club-agent-1", "/resume", at("2026-11-24 10:35"))
        assert desk.clock(n, "handoff", at("2026-11-24 10:40")).due == at("2026-11-24 10:45")


def test_the_waiting_on_customer_label_pauses_like_the_commands() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.label(n, CLUB.labels.paused, "club-agent-1", at("2026-11-24 10:05"))
        desk.unlabel(n, CLUB.labels.paused, "club-agent-1", at("2026-11-24 10:35"))
        assert desk.clock(n, "handoff", at("2026-11-24 10:40")).due == at("2026-11-24 10:45")


def test_an_open_pause_never_turns_late() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.say(n, "club-agent-1", "/pause", at("2026-11-24 10:05"))
        desk.run(at("2026-11-24 12:00"))
        assert desk.clock(n, "handoff", at("2026-11-24 12:00")).status == "paused"
        assert not any(k.startswith("esc:") for k in desk.bot_comments(n))


def test_a_clock_starting_on_a_clock_listed_later_still_starts() -> None:
    data = yaml.safe_load(preset_file("club").read_text(encoding="utf-8"))
    ids = [c["id"] for c in data["clocks"]]
    i, j = ids.index("handoff"), ids.index("dept_plan")
    data["clocks"][i], data["clocks"][j] = data["clocks"][j], data["clocks"][i]
    swapped = parse_config(data)
    with Desk(swapped) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.say(n, "club-agent-1", "/handoff", at("2026-11-24 10:10"))
        plan = desk.clock(n, "dept_plan", at("2026-11-24 10:20"))
        assert plan.started == at("2026-11-24 10:10")


def test_a_resolution_before_the_eta_ends_it_even_when_a_low_rating_reopens() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 11:00"))
        desk.say(n, "club-agent-1", "/handoff", at("2026-11-24 11:10"))
        desk.say(n, "club-dept-venue", "/plan eta=18:00", at("2026-11-24 11:50"))
        desk.say(n, "club-dept-venue", "/resolve 已更换阀门", at("2026-11-24 17:30"))
        desk.say(n, "club-agent-1", "/rate -1", at("2026-11-24 18:00"))
        desk.run(at("2026-11-24 19:00"))
        assert desk.clock(n, "eta", at("2026-11-24 19:00")).status == "met"
        assert "esc:eta:0:0" not in desk.bot_comments(n)


def test_nothing_is_said_about_a_clock_that_stopped_before_the_run() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.say(n, "club-agent-1", "/handoff", at("2026-11-24 10:20"))  # due 10:15
        desk.run(at("2026-11-24 10:21"))
        assert desk.clock(n, "handoff", at("2026-11-24 10:21")).status == "missed"
        assert "esc:handoff:0:0" not in desk.bot_comments(n)


def test_everything_one_run_says_on_a_ticket_is_one_comment() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 12:00"))  # handoff steps and the status, all at once
        assert desk.bot_comment_count(n) == 1
        assert "esc:handoff:0:0" in desk.bot_comments(n) and "status" in desk.bot_comments(n)
        assert not desk.plan(at("2026-11-24 12:00"))


def test_a_new_miss_after_a_regrade_is_announced_again() -> None:
    with Desk(ONLINE) as desk:
        n = desk.open("problem", {"symptom": "client_fault", "tier": "ordinary", "complaints_per_hour": 2,
                                  "description": "文案错误"}, at("2026-11-24 10:00"))  # fmt: skip
        desk.run(at("2026-11-24 10:20"))
        assert "esc:notify:0:0" in desk.bot_comments(n)
        desk.say(n, "online-cs-manager", "/grade urgent", at("2026-11-24 10:30"))
        desk.run(at("2026-11-24 10:45"))
        due = desk.clock(n, "notify", at("2026-11-24 10:45")).due
        assert escalation_key("notify", 0, 0, due.timestamp()) in desk.bot_comments(n)


def test_an_incident_carries_its_members_clocks_and_closes_on_resolution() -> None:
    with Desk(ONLINE) as desk:
        member = desk.open("problem", VIP, at("2026-11-24 14:00"))
        desk.run(at("2026-11-24 14:00"))
        incident = max(t.number for t in desk.tickets())
        for hhmm in ("14:10", "14:40", "15:30", "16:30"):
            desk.run(at(f"2026-11-24 {hhmm}"))
        assert not [k for k in desk.bot_comments(member) if k.startswith("esc:")]
        assert "esc:notify:0:0" in desk.bot_comments(incident)
        desk.say(incident, "online-cs-manager", "/resolve", at("2026-11-24 17:00"))
        desk.run(at("2026-11-24 17:00"))
        t = desk.ticket(incident)
        assert t.state == "closed" and ONLINE.labels.breach not in t.labels
