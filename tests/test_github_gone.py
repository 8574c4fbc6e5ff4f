"""An issue GitHub answers 404 for is suspected gone, asked for again, and only gone after
misses at least an hour apart: a transient 404 (replica lag) never removes a live ticket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fakegithub import FakeGitHub
from github_desk import T0, Desk, open_desk

from tracker.ledger import Ledger
from tracker.sync import GONE_AFTER, Missing, missing_tickets


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path, capsys, monkeypatch)


def _missing(d: Desk) -> dict[int, Missing]:
    with Ledger(d.db) as store:
        return missing_tickets(store)


def _lag(d: Desk, number: int, *, write: bool = True, reads: int = 1) -> None:
    """GitHub answers 404 for ``number`` for a moment: its next write and the check after it."""
    if write:
        d.srv.inject(method="POST", path=rf"/issues/{number}/(labels|comments|assignees)$", kind="404")
    d.srv.inject(method="GET", path=rf"/issues/{number}$", kind="404", times=reads)


def _runs(d: Desk, offsets: list[timedelta]) -> None:
    for offset in offsets:
        d.at(T0 + offset)
        result = d.run()
        assert result.code == 0, result.err


HOURS = [timedelta(hours=3), timedelta(hours=3, minutes=15)]


def test_a_transient_404_never_removes_a_live_ticket(desk: Desk, tmp_path: Path) -> None:
    major = desk.ticket("high", title="Login fails for everyone")
    desk.ticket("low", title="Typo on the pricing page")
    _lag(desk, major)
    _runs(desk, HOURS[:1])
    assert desk.srv.pending_faults == 0  # the write and the check after it both said 404
    assert _missing(desk) == {major: Missing(T0 + HOURS[0])}
    assert "sla:breach" not in desk.srv.label_names(major)  # left alone while in doubt
    _runs(desk, HOURS[1:])
    assert _missing(desk) == {}
    state = desk.state()
    assert "sla:breach" in state[major]["labels"] and state[major]["assignees"] == ["carol"]

    with FakeGitHub() as clean_srv:  # the same desk, no 404
        clean_srv.set_now(T0)
        clean = Desk(clean_srv, tmp_path / "clean", desk.capsys)
        clean.ticket("high", title="Login fails for everyone")
        clean.ticket("low", title="Typo on the pricing page")
        _runs(clean, HOURS)
        assert state == clean.state()


def test_an_issue_is_gone_after_misses_an_hour_apart_and_then_left_alone(desk: Desk) -> None:
    number = desk.ticket("high", title="deleted later")
    kept = desk.ticket("high", title="kept")
    _runs(desk, [timedelta(minutes=10)])
    del desk.srv.issues[number]  # an admin deleted it
    _runs(desk, [timedelta(hours=3)])
    assert "sla:breach" in desk.srv.label_names(kept)
    assert _missing(desk) == {number: Missing(T0 + timedelta(hours=3))}
    _runs(desk, [timedelta(hours=3, minutes=30)])  # missing again, but within the hour
    assert _missing(desk) == {number: Missing(T0 + timedelta(hours=3))}
    _runs(desk, [timedelta(hours=3) + GONE_AFTER])
    assert _missing(desk) == {number: Missing(T0 + timedelta(hours=3), gone=True)}
    desk.srv.reset_counts()
    _runs(desk, [timedelta(hours=5)])
    assert not [r for r in desk.srv.requests if f"/issues/{number}" in r.path]


def test_a_gone_issue_a_listing_shows_updated_is_asked_for_and_graded_again(desk: Desk) -> None:
    number = desk.ticket("high", title="Login fails for everyone")
    _lag(desk, number)
    _runs(desk, [timedelta(hours=3)])
    _lag(desk, number, write=False)
    _runs(desk, [timedelta(hours=4, minutes=5)])  # still 404 an hour later: gone
    assert _missing(desk) == {number: Missing(T0 + timedelta(hours=3), gone=True)}
    assert "sla:breach" not in desk.srv.label_names(number)
    desk.at(T0 + timedelta(hours=4, minutes=10))
    desk.srv.add_comment(number, body="Still broken here", user="dave", author_association="NONE")
    _runs(desk, [timedelta(hours=4, minutes=15)])
    assert _missing(desk) == {}
    assert "sla:breach" in desk.srv.label_names(number)
