"""The online preset's morning used by the crash and overlap tests on a fake GitHub.

A login failure affecting 1 % of users (a rule incident), four more login failures inside
half an hour (a surge that joins it), a security problem (a surge of one) and an ordinary
bug, opened from 10:00 and graded at 10:40. This module holds no tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from github_desk import BOT, Desk

from tracker.config import load_config, preset_path
from tracker.intake import render_body
from tracker.protocol import marker_key

T = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai: working hours
ORD = {"tier": "ordinary", "channel": "phone", "description": "用户反馈问题"}


def _online(d: Desk) -> Desk:
    d.config.write_text(preset_path("online").read_text(encoding="utf-8"), encoding="utf-8")
    d.cfg = load_config(d.config)
    return d


def _problem(d: Desk, symptom: str, minute: int, **more: Any) -> int:
    answers = {**ORD, "symptom": symptom, "complaints_per_hour": 2, **more}
    issue = d.srv.add_issue(
        title=f"{symptom} {minute}", body=render_body(d.cfg, "problem", answers), user="dave",
        author_association="NONE", created_at=T + timedelta(minutes=minute),
    )  # fmt: skip
    return int(issue["number"])


def seed(d: Desk) -> None:
    """The desk's story up to the run: tickets opened from 10:00, graded at 10:40."""
    _online(d)
    d.at(T)
    _problem(d, "login_failure", 0, affected_ratio="1%")
    for minute in (4, 8, 12, 16):
        _problem(d, "login_failure", minute)
    _problem(d, "account_security", 20)
    _problem(d, "product_bug", 22)
    d.at(T + timedelta(minutes=40))


def full_state(d: Desk) -> dict[int, dict[str, Any]]:
    """Everything a person sees: each issue's title, state, labels, assignees, and the
    grader's comments by marker and text (two comments with one marker are both listed)."""
    out: dict[int, dict[str, Any]] = {}
    for number, issue in d.srv.issues.items():
        comments = sorted(
            (marker_key(str(c["body"])) or "?", str(c["body"]))
            for c in d.srv.comments.values()
            if c["issue_url"].endswith(f"/issues/{number}") and c["user"]["login"] == BOT
        )
        out[number] = {
            "title": issue["title"],
            "body": issue["body"] if issue["user"]["login"] == BOT else "",
            "state": issue["state"],
            "labels": sorted(lb["name"] for lb in issue["labels"]),
            "assignees": sorted(u["login"] for u in issue["assignees"]),
            "comments": comments,
        }
    return out


def settle(d: Desk, label: str) -> None:
    """Run until a run writes nothing (at most four runs)."""
    for _ in range(4):
        rerun = d.run()
        assert rerun.code == 0, f"{label}: {rerun.err}"
        if rerun.json["writes"] == 0:
            return
    raise AssertionError(f"{label}: not quiet after four runs")
