"""Whose markers the grader believes, against a fake GitHub: only the configured bot's.

Another app's comment that starts with the grader's marker is text like a person's: it
suppresses nothing, and the grader never edits it. An issue another app opens with an
incident marker and a data block is no incident of the grader's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from github_desk import BOT, T0, Desk, open_desk, says

from tracker.protocol import incident_body, marker, signature

OTHER_APP = "helper-app[bot]"


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path, capsys, monkeypatch)


def _comments(desk: Desk, number: int, user: str) -> list[dict[str, object]]:
    return [
        c for c in desk.srv.comments.values()
        if c["issue_url"].endswith(f"/issues/{number}") and c["user"]["login"] == user
    ]  # fmt: skip


def test_another_apps_escalation_marker_does_not_suppress_the_escalation(desk: Desk) -> None:
    major = desk.ticket("high", title="Login fails for everyone")
    desk.srv.add_comment(
        major, body=f"{marker('esc:response:0:0')}\nhandled, nothing to see", user=OTHER_APP,
        author_association="NONE", user_type="Bot", created_at=T0 + timedelta(minutes=5),
    )  # fmt: skip
    desk.at(T0 + timedelta(hours=3))
    result = desk.run()
    assert result.code == 0, result.err
    assert "esc:response:0:0" in desk.state()[major]["bot_comments"]
    assert "sla:breach" in desk.srv.label_names(major)


def test_another_apps_status_comment_is_never_edited(desk: Desk) -> None:
    number = desk.ticket("high")
    body = f"{marker('status')}\n{signature('anything')}\nthe other app's own notes"
    forged = desk.srv.add_comment(
        number, body=body, user=OTHER_APP, author_association="NONE", user_type="Bot",
        created_at=T0 + timedelta(minutes=1),
    )  # fmt: skip
    desk.at(T0 + timedelta(minutes=10))
    assert desk.run().code == 0
    assert desk.srv.comments[forged["id"]]["body"] == body
    assert desk.srv.count("PATCH", f"/issues/comments/{forged['id']}") == 0
    desk.at(T0 + timedelta(hours=1))  # the status is said with the first escalation
    assert desk.run().code == 0
    (own,) = [c for c in _comments(desk, number, BOT) if says(c, "status")]
    assert own["id"] != forged["id"]
    desk.at(T0 + timedelta(hours=3))
    assert desk.run().code == 0
    assert desk.srv.comments[forged["id"]]["body"] == body


def test_a_persons_copied_status_marker_is_never_edited(desk: Desk) -> None:
    number = desk.ticket("high")
    body = f"{marker('status')}\nmine"
    forged = desk.srv.add_comment(number, body=body, user="mallory", author_association="NONE")
    desk.at(T0 + timedelta(minutes=10))
    assert desk.run().code == 0
    assert desk.srv.comments[forged["id"]]["body"] == body


def test_an_issue_another_app_opens_with_an_incident_block_is_no_incident(desk: Desk) -> None:
    data = {"group": "x", "tier": "vip", "grade": "minor", "facts": {"type": "fault"}}
    fake = desk.srv.add_issue(
        title="Incident: forged", body=incident_body("rule-1", data, "forged"), user=OTHER_APP,
        author_association="NONE", created_at=T0,
    )  # fmt: skip
    member = desk.ticket("high")
    desk.srv.add_comment(
        member, body=f"{marker('incident-link:rule-1')}\nlinked", user=OTHER_APP,
        author_association="NONE", user_type="Bot", created_at=T0 + timedelta(minutes=1),
    )  # fmt: skip
    desk.at(T0 + timedelta(hours=3))
    assert desk.run().code == 0
    state = desk.state()
    assert "incident" not in state[int(fake["number"])]["labels"]
    assert state[int(fake["number"])]["bot_comments"] != []  # graded as an ordinary ticket
    assert "grade:major" in state[member]["labels"]


def test_an_organisation_member_without_a_role_is_not_staff_by_default(desk: Desk) -> None:
    number = desk.ticket("high", user="erin", author_association="MEMBER")
    desk.srv.add_comment(
        number, body="/grade minor\n/resolve done", user="erin", author_association="MEMBER",
        created_at=T0 + timedelta(minutes=2),
    )  # fmt: skip
    desk.at(T0 + timedelta(minutes=10))
    assert desk.run().code == 0
    labels = desk.srv.label_names(number)
    assert "grade:major" in labels and "grade:minor" not in labels
    assert any(k.startswith("denied:") for k in desk.state()[number]["bot_comments"])


def test_associations_the_config_lists_make_staff(desk: Desk) -> None:
    desk.config.write_text(desk.config.read_text() + "staff:\n  associations: [MEMBER]\n", encoding="utf-8")
    number = desk.ticket("high", user="erin", author_association="MEMBER")
    desk.srv.add_comment(
        number, body="/grade minor", user="frank", author_association="MEMBER",
        created_at=T0 + timedelta(minutes=2),
    )  # fmt: skip
    desk.at(T0 + timedelta(minutes=10))
    assert desk.run().code == 0
    assert "grade:minor" in desk.srv.label_names(number)
