"""A desk adopted by a repository with history: old issues left alone, a first pass paced,
forms told apart by their title when no type label exists yet. Against the fake GitHub."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from github_desk import CONFIG, T0, Desk, open_desk

from tracker.config import load_config, preset_path
from tracker.intake import render_body


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path, capsys, monkeypatch)


def _policy(d: Desk, text: str) -> None:
    d.config.write_text(text, encoding="utf-8")
    d.cfg = load_config(d.config)


def _issue_writes(d: Desk) -> dict[int, int]:
    """Changing requests per issue number."""
    out: dict[int, int] = {}
    for r in d.srv.requests:
        parts = r.path.split("/")
        if r.changed and "issues" in parts and parts.index("issues") + 1 < len(parts):
            number = parts[parts.index("issues") + 1]
            if number.isdigit():
                out[int(number)] = out.get(int(number), 0) + 1
    return out


def test_two_hundred_old_plain_issues_are_adopted_without_a_write(desk: Desk) -> None:
    _policy(desk, CONFIG + "adopted: 2026-11-01\n")
    old = [
        desk.srv.add_issue(title=f"old question {i}", body="It broke, please help.", user="dave",
                           author_association="NONE", created_at=T0 - timedelta(days=202 - i))["number"]
        for i in range(200)
    ]  # fmt: skip
    staff_marked = desk.srv.add_issue(
        title="old but triaged", body=desk.body("high"), user="dave", author_association="NONE",
        labels=["type:fault"], created_at=T0 - timedelta(days=3),
    )["number"]  # fmt: skip
    new = desk.ticket("high", title="new ticket")
    desk.later(timedelta(hours=3))

    dry = desk.tracker("run", *desk.connection(), "--now", desk.now.isoformat(), "--dry-run")
    assert dry.code == 0, dry.err
    assert "this run would touch 2 tickets:" in dry.out
    assert desk.srv.writes() == 0

    result = desk.run()
    assert result.code == 0, result.err
    writes = _issue_writes(desk)
    assert not set(writes) & set(old)
    assert writes[new] > 0 and writes[staff_marked] > 0
    assert result.json["effects"]["tickets"] == 2

    desk.srv.reset_counts()
    again = desk.run()
    assert again.code == 0, again.err
    assert again.json["writes"] == 0


def test_a_first_pass_beyond_the_write_budget_spreads_over_runs_newest_first(desk: Desk) -> None:
    _policy(desk, CONFIG + "github: {writes_per_hour: 20}\n")
    numbers = []
    for i in range(8):
        desk.at(T0 + timedelta(minutes=i))
        numbers.append(desk.ticket("high" if i == 0 else "low", title=f"ticket {i}"))
    desk.at(T0 + timedelta(hours=6))

    first = desk.run()
    assert first.code == 0, first.err
    summary = first.json
    assert summary["deferred"] > 0 and summary["effects"]["writes"] > 20
    touched = set(_issue_writes(desk))
    # The major one first (the oldest), then the newest minors.
    assert numbers[0] in touched and numbers[-1] in touched and numbers[1] not in touched
    assert sum(_issue_writes(desk).values()) <= 20

    desk.srv.reset_counts()
    desk.later(timedelta(minutes=15))
    held = desk.run()
    assert held.code == 0 and held.json["deferred"] > 0
    assert sum(_issue_writes(desk).values()) == 0  # the hour's budget is spent

    text = desk.tracker("run", *desk.connection(), "--now", desk.now.isoformat(), "--dry-run")
    assert "wait for the next runs, most urgent and newest first" in text.out

    for _ in range(6):
        desk.later(timedelta(hours=1))
        assert desk.run().code == 0
    desk.srv.reset_counts()
    desk.later(timedelta(minutes=1))
    done = desk.run()
    assert done.json["deferred"] == 0
    assert all(desk.state()[n]["bot_comments"] for n in numbers)


def test_a_complaint_opened_before_any_label_exists_is_graded_as_a_complaint(desk: Desk) -> None:
    _policy(desk, preset_path("desk").read_text(encoding="utf-8"))
    assert desk.srv.labels == {}  # no type label exists yet: the form set none
    answers = {"priority": "medium", "customer": "王先生", "description": "客服态度恶劣", "channel": "phone"}
    body = render_body(desk.cfg, "complaint", answers)
    assert body == render_body(desk.cfg, "consultation", answers)  # the same fields: only the title tells
    number = desk.srv.add_issue(title="[投诉] 客服态度恶劣", body=body, user="dave", author_association="NONE",
                                created_at=desk.now)["number"]  # fmt: skip
    result = desk.run()
    assert result.code == 0, result.err
    labels = desk.state()[number]["labels"]
    assert "type:complaint" in labels and "type:consultation" not in labels
