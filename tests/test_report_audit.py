"""Report figures a quality department can audit: one week with several assignees,
reassignments, a low rating after a reassignment and uncategorised tickets; every figure
below was counted by hand from the story in the comments (plain data, no mocks)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from test_reports import CFG, NOW, WEEK, at, clock, cmd, view, week

from tracker.report_pages import monthly_report_markdown, weekly_report_markdown
from tracker.views import Assignment, TicketView

BOT = "github-actions[bot]"


def moved(v: TicketView, author: str, *events: tuple[datetime, str, bool, bool]) -> TicketView:
    """``v`` logged by ``author`` with these (at, login, added, by the grader) events."""
    history = tuple(Assignment(t, login, added, by_bot) for t, login, added, by_bot in events)
    held = v.assignees_at(NOW) if not history else replace(v, assignments=history).assignees_at(NOW)
    return replace(v, author=author, assignments=history, assignees=held)


def story() -> list[TicketView]:
    # 1: logged by alice, given to carol; carol misses the first response (due 11:00, reply
    # 12:00), bob takes over at 13:00 and misses the resolution (due Tue 10:00, done 12:00).
    # The customer rates 1 at 14:00; the grader then assigns the manager to follow it up.
    one = view(
        1, at(4, 10), resolved=at(5, 12), rating=1, rated=at(5, 14),
        clocks=(clock("respond", at(4, 10), at(4, 11), at(4, 12)),
                clock("resolve", at(4, 10), at(5, 10), at(5, 12))),
        commands=(cmd("resolve", "bob", at(5, 12)), cmd("rate", "alice", at(5, 14))),
    )  # fmt: skip
    one = moved(
        one, "alice",
        (at(4, 10, 5), "carol", True, False),
        (at(4, 13), "carol", False, False), (at(4, 13), "bob", True, False),
        (at(5, 14, 1), "mgr", True, True),
    )  # fmt: skip
    # 2: logged by alice with no category and no symptom; nobody takes it: the first
    # response (due Tue 10:00) is late with nobody assigned; the grader escalates to the
    # manager at 10:30, who holds it when the resolution falls due (Wed 09:00, still late).
    two = view(
        2, at(5, 9), category=None,
        clocks=(clock("respond", at(5, 9), at(5, 10)), clock("resolve", at(5, 9), at(6, 9))),
    )  # fmt: skip
    two = moved(two, "alice", (at(5, 10, 30), "mgr", True, True))
    # 3: a customer's ticket, no category or symptom; bob gives it to dave (venue) and alice;
    # the venue's response (due 10:00) is missed by dave; alice resolves it; rated 4.
    three = view(
        3, at(6, 9), category=None, resolved=at(6, 12), rating=4, rated=at(6, 13),
        clocks=(clock("dept", at(6, 9), at(6, 10), at(6, 11)),),
        commands=(cmd("resolve", "alice", at(6, 12)),),
    )  # fmt: skip
    three = moved(three, "customer", (at(6, 9, 30), "dave", True, False), (at(6, 9, 40), "alice", True, False))
    # 4 and 5: two customers report the same login failure at the booking desk.
    four = view(4, at(7, 9), facts={"symptom": "login"})
    five = view(5, at(7, 10), facts={"symptom": "login"})
    return [one, two, three, four, five]


def test_each_late_clock_counts_once_against_who_held_it_when_due() -> None:
    fig = week(story())
    assert fig.breaches.count == 5
    assert fig.breaches.by_role == {"desk": 2, "venue": 1, "manager": 1, "(none)": 1}
    agents = {a.login: a for a in fig.agents}
    assert {login: a.breaches for login, a in agents.items() if a.breaches} == {
        "carol": 1, "bob": 1, "dave": 1, "mgr": 1,
    }  # fmt: skip
    # four rounds had someone answerable and one had nobody: 4 + 1 = 5, never more
    assert sum(a.breaches for a in fig.agents) + fig.breaches.by_role["(none)"] == fig.breaches.count
    assert {login: a.role for login, a in agents.items()} == {
        "alice": "desk", "bob": "desk", "carol": "desk", "dave": "venue", "mgr": "manager",
    }  # fmt: skip


def test_a_rating_is_charged_to_the_engineer_who_was_rated() -> None:
    agents = {a.login: a for a in week(story()).agents}
    assert (agents["bob"].ratings, agents["bob"].penalty_points) == (1, 5)
    assert (agents["alice"].ratings, agents["alice"].penalty_points) == (1, 2)
    for login in ("carol", "dave", "mgr"):  # handed off, co-assigned, or assigned to follow up
        assert (agents[login].ratings, agents[login].penalty_points) == (0, 0), login


def test_who_logged_and_who_handled() -> None:
    agents = {a.login: (a.opened, a.handled, a.resolved) for a in week(story()).agents}
    # alice logged 1 and 2 and handled 3; the grader's escalation makes nobody a handler
    assert agents == {
        "alice": (2, 1, 1), "bob": (0, 1, 1), "carol": (0, 1, 1), "dave": (0, 1, 1), "mgr": (0, 0, 0),
    }  # fmt: skip


def test_recurring_problems_share_a_real_category_or_symptom() -> None:
    recurring = week(story()).recurring
    assert [(r.category, r.symptom, r.tickets) for r in recurring] == [("booking", "login", (4, 5))]


def test_the_page_shows_roles_and_no_empty_header_row() -> None:
    page = weekly_report_markdown(story(), CFG, WEEK, NOW, people=True)
    roles = page.split("| 到期时的责任角色 | 超时 |")[1].split("\n\n")[0]
    assert roles.splitlines()[2:] == ["| 服务台 | 2 |", "| 场地部 | 1 |", "| 客服经理 | 1 |", "| 无人负责 | 1 |"]
    assert "| 坐席 | 角色 | 登记 | 受理 |" in page and "| alice | 服务台 | 2 | 1 | 1 | 1 | 4.00 | 2 | 0 | -1 |" in page
    month = monthly_report_markdown(story(), CFG, (2024, 3), NOW, people=True)
    assert "## 本月最佳\n\n| 奖项 | 获奖者 |\n" in month
    for line in (page + month).splitlines():
        if line.startswith("|"):
            assert line.replace("|", "").strip(), "a table row with no text"
