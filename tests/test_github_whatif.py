"""``tracker whatif-pr`` and ``tracker pr-comment`` against the fake GitHub."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from github_desk import BOT, CONFIG, T0, Desk, open_desk

from tracker.protocol import marker_key


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path, capsys, monkeypatch)


def _pull_request(d: Desk, *, fork: bool) -> tuple[int, Path]:
    """A pull request on the fake and its pull_request event payload."""
    pr = d.srv.add_issue(title="Shorter response for minor tickets", body="", user="carol",
                         is_pull_request=True, created_at=d.now)  # fmt: skip
    number = int(pr["number"])
    head = "someone/desk" if fork else "acme/desk"
    payload = {
        "action": "synchronize",
        "number": number,
        "pull_request": {"number": number, "head": {"repo": {"full_name": head}}, "base": {"repo": {"full_name": "acme/desk"}}},
        "repository": {"full_name": "acme/desk"},
    }  # fmt: skip
    path = d.tmp / f"pr-{number}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return number, path


def _proposed(d: Desk) -> Path:
    path = d.tmp / "proposed.yml"
    path.write_text(
        CONFIG.replace("within: {major: 1h, minor: 4h}", "within: {major: 1h, minor: 30m}"), encoding="utf-8"
    )
    return path


def _whatif(d: Desk, pr: Path, summary: Path, *extra: str) -> tuple[int, str]:
    result = d.tracker(
        "whatif-pr", str(_proposed(d)), *d.connection(), "--event-path", str(pr), "--summary", str(summary),
        "--now", d.now.isoformat(), "--write-interval", "0", *extra,
    )  # fmt: skip
    return result.code, result.out + result.err


def _sticky(d: Desk, number: int) -> list[dict[str, object]]:
    return [
        c for c in d.srv.comments.values()
        if c["issue_url"].endswith(f"/issues/{number}") and c["user"]["login"] == BOT
        and marker_key(str(c["body"])) == "whatif"
    ]  # fmt: skip


def test_a_shorter_clock_names_the_tickets_it_would_escalate_in_one_sticky_comment(desk: Desk) -> None:
    minor = desk.ticket("low", title="Typo on the pricing page")
    major = desk.ticket("high", title="Login fails")
    assert desk.run().code == 0
    desk.at(T0 + timedelta(minutes=45))
    number, pr = _pull_request(desk, fork=False)
    summary = desk.tmp / "summary.md"
    code, out = _whatif(desk, pr, summary, "--comment")
    assert code == 0, out
    text = summary.read_text(encoding="utf-8")
    assert f"#{minor} Typo on the pricing page" in text
    assert "fires now: First response step 1" in text and "`@alice`" in text
    assert f"#{major} " not in text
    assert "what-if comment on pull request" in out and ": posted" in out
    [first] = _sticky(desk, number)
    first_id, first_body = first["id"], str(first["body"])
    desk.later(timedelta(minutes=30))
    code, out = _whatif(desk, pr, summary, "--comment")
    assert code == 0, out
    [again] = _sticky(desk, number)
    assert again["id"] == first_id and again["body"] != first_body
    assert ": edited" in out


def test_a_forks_pull_request_gets_the_summary_and_no_write(desk: Desk) -> None:
    desk.ticket("low")
    assert desk.run().code == 0
    desk.at(T0 + timedelta(minutes=45))
    number, pr = _pull_request(desk, fork=True)
    desk.srv.reset_counts()
    summary = desk.tmp / "summary.md"
    code, out = _whatif(desk, pr, summary, "--comment")
    assert code == 0, out
    assert "comes from a fork: the summary only, no comment" in out
    assert "fires now" in summary.read_text(encoding="utf-8")
    assert [r for r in desk.srv.requests if r.method != "GET"] == []
    assert _sticky(desk, number) == []


def test_pr_comment_keeps_one_comment(desk: Desk) -> None:
    number, pr = _pull_request(desk, fork=False)
    body = desk.tmp / "whatif.md"
    for text in ("first", "second", "second"):
        body.write_text(text, encoding="utf-8")
        result = desk.tracker("pr-comment", str(body), *desk.connection(), "--event-path", str(pr),
                              "--write-interval", "0")  # fmt: skip
        assert result.code == 0, result.err
    [only] = _sticky(desk, number)
    assert str(only["body"]).endswith("second")
    assert "unchanged" in result.err


def test_an_invalid_proposed_policy_stops_like_validate(desk: Desk) -> None:
    _, pr = _pull_request(desk, fork=False)
    bad = desk.tmp / "bad.yml"
    bad.write_text(CONFIG.replace("within: {major: 1h, minor: 4h}", "within: {major: soon}"), encoding="utf-8")
    desk.srv.reset_counts()
    result = desk.tracker("whatif-pr", str(bad), *desk.connection(), "--event-path", str(pr))
    check = desk.tracker("validate", "--config", str(bad))
    assert result.code == check.code == 2
    assert result.err.splitlines()[-1] == check.err.splitlines()[-1]
    assert result.err.splitlines()[-1].startswith(f"error: {bad}: clocks[0].within")
    assert desk.srv.requests == []
