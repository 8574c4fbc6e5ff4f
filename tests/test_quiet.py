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


# --------------------------------------------------------------------------- to-dos and reminders

YOGA = load_preset("yoga")
FAULT = {"symptom": "前台无法办理课程签到", "module": "checkin", "affected": "学员 12 人",
         "severity": "moderate", "scope": "some", "self_solved": False}  # fmt: skip


def _yoga(**switches: dict[str, bool]) -> object:
    """The yoga preset with ``comments.clocks`` set to ``switches``."""
    data = yaml.safe_load(preset_file("yoga").read_text(encoding="utf-8"))
    data.setdefault("comments", {})["clocks"] = switches
    return parse_config(data)


def _fault(desk: Desk, when: str) -> int:
    return desk.open("fault_report", {**FAULT, "started_at": at(when)}, at(when))


def test_no_reminder_at_or_after_the_deadline() -> None:
    # The handoff (15 min) is due 09:15; a run at 09:20 is past it: the escalation speaks, no reminder.
    with Desk(YOGA) as desk:
        n = _fault(desk, "2026-03-10 09:00")
        desk.run(at("2026-03-10 09:00"))
        desk.run(at("2026-03-10 09:20"))
        assert desk.clock(n, "handoff", at("2026-03-10 09:20")).status == "late"
        assert not [k for k in desk.bot_comments(n) if k.startswith("remind:")]
        assert "esc:handoff:0:0" in desk.bot_comments(n)


def test_no_to_do_for_a_clock_the_resolution_ended_and_it_is_not_met() -> None:
    with Desk(YOGA) as desk:
        n = _fault(desk, "2026-03-10 09:00")
        desk.say(n, "yoga-tech-1", "/resolve 重启后恢复", at("2026-03-10 09:05"))
        desk.run(at("2026-03-10 09:10"))  # the first run sees a resolved ticket
        said = desk.bot_comments(n)
        assert "due:contact" not in said and "due:handoff" not in said
        assert "due:verify" in said  # the clock the resolution starts still gets its to-do
        contact = desk.clock(n, "contact", at("2026-03-10 09:10"))
        assert contact.status == "ended" and contact.stopped == at("2026-03-10 09:05")


def test_a_clock_s_to_do_can_be_switched_off() -> None:
    with Desk(_yoga(handoff={"todo": False})) as desk:
        n = _fault(desk, "2026-03-10 09:00")
        desk.run(at("2026-03-10 09:00"))
        said = desk.bot_comments(n)
        assert "due:contact" in said and "due:handoff" not in said
        desk.run(at("2026-03-10 09:20"))
        assert "esc:handoff:0:0" in desk.bot_comments(n)  # its escalations stay


def test_a_clock_s_reminder_can_be_switched_off() -> None:
    # contact (30 min, due 09:30) is at risk from 09:24
    for switches, reminded in (({}, True), ({"contact": {"reminders": False}}, False)):
        with Desk(_yoga(**switches)) as desk:
            n = _fault(desk, "2026-03-10 09:00")
            desk.run(at("2026-03-10 09:00"))
            desk.run(at("2026-03-10 09:25"))
            assert ("remind:contact" in desk.bot_comments(n)) is reminded


def test_a_ticket_with_nothing_else_to_say_gets_no_status_comment_until_it_has() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:00"))
        assert desk.bot_comment_count(n) == 0 and not desk.plan(at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:20"))  # the handoff is late: the escalation brings the status
        assert desk.bot_comment_count(n) == 1
        assert {"esc:handoff:0:0", "status"} <= desk.bot_comments(n).keys()


def test_the_link_an_incident_opens_with_is_said_with_the_run_s_other_words() -> None:
    with Desk(ONLINE) as desk:
        member = desk.open("problem", VIP, at("2026-11-24 14:00"))
        desk.run(at("2026-11-24 14:00"))
        assert desk.bot_comment_count(member) == 1
        assert any(k.startswith("incident-link:") for k in desk.bot_comments(member))
        assert "status" in desk.bot_comments(member)
        again = desk.plan(at("2026-11-24 14:00")).actions
        assert not [a for a in again if getattr(a, "number", None) == member]


# --------------------------------------------------------------------------- replies to the actor


def test_the_rating_request_after_a_resolve_is_said_in_the_status_comment() -> None:
    with Desk(CLUB) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:20"))  # the late handoff brings the status comment
        assert desk.bot_comment_count(n) == 1
        desk.say(n, "club-dept-venue", "/resolve 已更换阀门", at("2026-11-24 10:30"))
        desk.run(at("2026-11-24 10:30"))
        assert desk.bot_comment_count(n) == 1  # edited in: an edit notifies nobody
        assert "/rate" in desk.bot_comment(n, "rate:")
        assert not desk.plan(at("2026-11-24 10:30"))


def _club_report_by(*roles: str) -> object:
    """The club preset with the written report's owners ``roles``."""
    data = yaml.safe_load(preset_file("club").read_text(encoding="utf-8"))
    next(c for c in data["clocks"] if c["id"] == "written_report")["stop_by"] = list(roles)
    return parse_config(data)


def test_a_to_do_only_the_resolver_owns_is_said_in_the_status_comment_others_are_new() -> None:
    with Desk(_club_report_by("supervisor")) as desk:
        n = desk.open("issue", {**ISSUE, "level": "l3"}, at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:10"))  # the task force is late: escalation and status
        desk.run(at("2026-11-24 10:30"))
        before = desk.bot_comment_count(n)
        desk.say(n, "club-supervisor", "/resolve 已处理", at("2026-11-24 11:30"))
        desk.run(at("2026-11-24 11:30"))
        assert desk.bot_comment_count(n) == before
        assert "2026-11-26 11:30" in desk.bot_comment(n, "due:written_report")
        assert not desk.plan(at("2026-11-24 11:30"))
    with Desk(_club_report_by("supervisor")) as desk:  # resolved by someone else: a new comment
        n = desk.open("issue", {**ISSUE, "level": "l3"}, at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:10"))
        desk.run(at("2026-11-24 10:30"))
        before = desk.bot_comment_count(n)
        desk.say(n, "club-dept-venue", "/resolve 已处理", at("2026-11-24 11:30"))
        desk.run(at("2026-11-24 11:30"))
        assert desk.bot_comment_count(n) == before + 1
        assert "@club-supervisor" in desk.bot_comment(n, "due:written_report")


def test_a_reply_to_the_actor_brings_the_first_status_comment_and_can_be_switched_off() -> None:
    with Desk(CLUB) as desk:  # nothing else to say: the record and the request bring the status
        n = desk.open("issue", {**ISSUE, "level": "l1"}, at("2026-11-24 10:00"))
        desk.say(n, "club-senior", "知识库：九折\n/resolve 已答复\n/kb", at("2026-11-24 10:03"))
        desk.run(at("2026-11-24 10:03"))
        assert desk.bot_comment_count(n) == 1
        assert {"status", "rate:"} <= {k.split(":")[0] + (":" if ":" in k else "") for k in desk.bot_comments(n)}
        assert any(k.startswith("kb-approved:") for k in desk.bot_comments(n))
    data = yaml.safe_load(preset_file("club").read_text(encoding="utf-8"))
    data["comments"] = {"replies_in_status": False}
    with Desk(parse_config(data)) as desk:
        n = desk.open("issue", ISSUE, at("2026-11-24 10:00"))
        desk.run(at("2026-11-24 10:20"))
        desk.say(n, "club-dept-venue", "/resolve 已更换阀门", at("2026-11-24 10:30"))
        desk.run(at("2026-11-24 10:30"))
        assert desk.bot_comment_count(n) == 2  # the request is a comment of its own
        assert not desk.plan(at("2026-11-24 10:30"))
