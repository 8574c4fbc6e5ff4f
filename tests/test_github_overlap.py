"""Runs that do not share a ledger agree: two at once, and a warm and a cold one.

Two grader runs at once against a fake GitHub: whatever both post, the next run leaves one.

A run is held at its first write (``FakeGitHub.hold_next_write``) after it has read and
planned; a second run, with a ledger of its own, reads, plans and writes in full meanwhile;
then the first goes on and writes its plan too. That is what a scheduled run and an event
run (or a scheduled run and a late one) do when they overlap: both post the same comments.

A notice a person deleted is not said again, whether the ledger saw it (warm) or was
rebuilt from GitHub (cold): the status comment records the notices given.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakegithub import FakeGitHub
from github_desk import BOT, T0, Desk, event_payload, open_desk, says
from online_story import full_state, seed, settle

from tracker.protocol import marker_key, parts_of

TRACKER = Path(sys.executable).parent / "tracker"
EARLY = T0 + timedelta(minutes=65)  # the first step of #1's ladder was said
OVERLAP = T0 + timedelta(hours=3)  # two runs at once: new steps on #1 and #3
NEXT = OVERLAP + timedelta(minutes=5)


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path, capsys, monkeypatch)


def _seed(d: Desk) -> None:
    d.ticket("high", title="Login fails for everyone")
    d.ticket("low", title="Typo on the pricing page")
    d.ticket("high", title="Exports time out", created_at=T0 + timedelta(minutes=30))


def _ask(d: Desk) -> dict[str, Any]:
    """The reporter asks on #1 (not a response: the clock runs on)."""
    return d.srv.add_comment(1, body="Any news?", user="dave", author_association="NONE")


def _ledger(d: Desk, name: str) -> Path:
    path = d.tmp / name / "ledger.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _argv(d: Desk, db: Path, *extra: str) -> list[str]:
    connection = d.connection()
    connection[connection.index("--db") + 1] = str(db)
    return [
        "run", *connection, "--now", d.now.isoformat(), "--json",
        "--write-interval", "0", "--backoff", "0.01", "--retry-budget", "1", *extra,
    ]  # fmt: skip


def _at_once(d: Desk, first: list[str], second: list[str], *, at: tuple[str, str] = ("*", "")) -> None:
    """``first`` (its own process) held at its first write (or its first ``at``: method and
    path regex) while ``second`` runs in full."""
    gate = d.srv.hold_next_write(*at)
    held = subprocess.Popen(
        [str(TRACKER), *first, "--timeout", "120"],  # held as long as the other run takes
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert gate.reached.wait(60), "the first run never wrote"
        other = d.tracker(*second)
        assert other.code == 0, other.err
    finally:
        gate.open()
        _, err = held.communicate(timeout=120)
    assert held.returncode == 0, err


def _comments(srv: FakeGitHub) -> dict[int, list[tuple[str, str]]]:
    """The grader's comments per issue as (marker key, body): text and all."""
    out: dict[int, list[tuple[str, str]]] = {n: [] for n in srv.issues}
    for c in srv.comments.values():
        if c["user"]["login"] == BOT:
            out[int(c["issue_url"].rsplit("/", 1)[1])].append((marker_key(c["body"]) or "", c["body"]))
    return {n: sorted(found) for n, found in out.items()}


def _duplicates(srv: FakeGitHub) -> int:
    """Marked parts said more than once on one issue."""
    count = 0
    for found in _comments(srv).values():
        parts = [p for key, _ in found for p in parts_of(key)]
        count += len(parts) - len(set(parts))
    return count


def _undisturbed(tmp: Path, capsys: pytest.CaptureFixture[str], event: bool) -> tuple[dict, dict]:
    """The end state of the same history with no overlap: state and comment texts."""
    with FakeGitHub() as fake:
        fake.set_now(T0)
        d = Desk(fake, tmp / "undisturbed", capsys)
        _seed(d)
        for when in (EARLY, OVERLAP, NEXT):
            d.at(when)
            if when == OVERLAP and event:
                _ask(d)
            assert d.run().code == 0
        return d.state(), _comments(fake)


@pytest.mark.parametrize(
    ("second", "next_on"),
    [
        ("cold schedule", "warm"),  # a cache miss: a fresh ledger reads everything
        ("warm schedule", "second"),  # both restored the same cache
        ("cold event", "second"),
        ("warm event", "warm"),
    ],
)
def test_two_runs_at_once_leave_no_duplicates_after_the_next_run(
    desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str], second: str, next_on: str
) -> None:
    if not TRACKER.exists():
        pytest.skip("the tracker console script is not installed")
    _seed(desk)
    desk.at(EARLY)
    assert desk.run().code == 0  # the cache both runs restore
    warm, other = _ledger(desk, "warm"), _ledger(desk, "other")
    shutil.copy(desk.db, warm)
    if second.startswith("warm"):
        shutil.copy(desk.db, other)

    desk.at(OVERLAP)
    extra: list[str] = []
    if second.endswith("event"):
        asked = _ask(desk)
        path = event_payload(
            desk, "issue_comment", "created", 1, id=asked["id"], body=asked["body"], user=asked["user"],
            author_association="NONE", created_at=asked["created_at"], updated_at=asked["updated_at"],
        )  # fmt: skip
        extra = ["--event-name", "issue_comment", "--event-path", str(path)]
    _at_once(desk, _argv(desk, warm), _argv(desk, other, *extra))
    doubled = _duplicates(desk.srv)
    assert doubled >= 1, "the runs did not overlap"

    desk.at(NEXT)
    ledgers = [warm, other] if next_on == "warm" else [other, warm]
    after = desk.tracker(*_argv(desk, ledgers[0]))
    assert after.code == 0, after.err
    assert _duplicates(desk.srv) == 0
    assert sum("delete_comment" in line for line in after.json["actions"]) >= 1

    state, texts = _undisturbed(tmp_path, capsys, second.endswith("event"))
    assert desk.state() == state
    assert _comments(desk.srv) == texts

    # The other ledger still holds the deleted copies: its run finds them gone, changes nothing.
    desk.srv.reset_counts()
    stale = desk.tracker(*_argv(desk, ledgers[1]))
    assert stale.code == 0, stale.err
    assert desk.srv.writes() == 0
    assert _comments(desk.srv) == texts
    for ledger in ledgers:
        desk.srv.reset_counts()
        assert desk.tracker(*_argv(desk, ledger)).json["writes"] == 0


def _delete(d: Desk, comment_id: int) -> None:
    """A person deletes a comment on GitHub."""
    deleting = urllib.request.Request(
        f"{d.srv.base_url}/repos/acme/desk/issues/comments/{comment_id}",
        method="DELETE",
        headers={"Authorization": f"token {d.srv.token}"},
    )
    with urllib.request.urlopen(deleting, timeout=10) as answer:
        assert answer.status == 204


@pytest.mark.parametrize("seen", ["sync", "event"])
def test_a_notice_a_person_deleted_stays_deleted_with_a_warm_or_a_cold_ledger(desk: Desk, seen: str) -> None:
    _seed(desk)
    for when in (EARLY, OVERLAP):  # the second step on #1 is said on its own
        desk.at(when)
        assert desk.run().code == 0
    (step,) = [c for c in desk.srv.comments.values() if says(c, "esc:response:0:1") and "/issues/1" in c["issue_url"]]
    assert marker_key(step["body"]) == "esc:response:0:1"
    desk.later(timedelta(minutes=2))
    _delete(desk, step["id"])
    if seen == "event":  # the warm ledger hears of the deletion and forgets the comment
        path = event_payload(desk, "issue_comment", "deleted", 1, id=step["id"], body=step["body"])
        event = desk.run("--event-name", "issue_comment", "--event-path", str(path))
        assert event.code == 0, event.err
        assert event.json["planned"] == 0

    desk.later(timedelta(minutes=10))
    cold = _ledger(desk, "cold")
    warm_plan = desk.run("--dry-run").json["actions"]
    cold_plan = desk.tracker(*_argv(desk, cold, "--dry-run")).json["actions"]
    assert warm_plan == cold_plan
    assert not [line for line in warm_plan if "comment" in line]
    assert desk.run().code == 0
    state, texts = desk.state(), _comments(desk.srv)
    assert "esc:response:0:1" not in state[1]["bot_comments"]
    desk.srv.reset_counts()
    assert desk.tracker(*_argv(desk, cold)).json["writes"] == 0
    assert desk.state() == state and _comments(desk.srv) == texts


@pytest.mark.parametrize("second", ["cold", "warm"])
def test_two_runs_at_once_that_both_open_the_incidents_are_merged_by_the_next_run(
    desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str], second: str
) -> None:
    """The online morning (a rule incident joined by a surge, a surge of one) graded by two
    runs at once: both open the first incident and link its members. The next runs close
    the later incident ticket as duplicates, delete the doubled comments and point links to
    the first tickets: the rest is what one run alone leaves."""
    if not TRACKER.exists():
        pytest.skip("the tracker console script is not installed")
    with FakeGitHub() as fake:
        alone = Desk(fake, tmp_path / "alone", capsys)
        seed(alone)
        settle(alone, "alone")
        expected = full_state(alone)
    seed(desk)
    first, other = _ledger(desk, "first"), _ledger(desk, "other")
    if second == "warm":
        assert desk.run("--dry-run").code == 0  # a cache that has read everything
        shutil.copy(desk.db, first)
        shutil.copy(desk.db, other)
    # The first run is held as it opens its first incident, after it looked for one.
    _at_once(desk, _argv(desk, first), _argv(desk, other), at=("POST", r"/issues$"))
    incidents = [n for n, i in desk.srv.issues.items() if i["user"]["login"] == BOT]
    assert len(incidents) == 3, "the runs did not both open the first incident"

    for _ in range(3):
        assert desk.tracker(*_argv(desk, first)).code == 0
    after = full_state(desk)
    closed = {n for n in incidents if after[n]["state"] == "closed"}
    assert len(closed) == 1
    assert all([k for k, _ in after[n]["comments"]][-1].startswith("incident-duplicate:") for n in closed)
    assert _duplicates(desk.srv) == 0
    opened = {n: s for n, s in after.items() if n not in closed}
    assert sorted(opened) == sorted(expected)
    assert opened == expected
    desk.srv.reset_counts()
    for ledger in (first, other):
        assert desk.tracker(*_argv(desk, ledger)).json["writes"] == 0


def test_a_copy_whose_original_a_person_deleted_is_kept_warm_as_cold(desk: Desk) -> None:
    """A person deletes the original of a notice on GitHub (no event tells the ledger) when
    another run's copy of it appears: the copy is all that is left, and a run with the warm
    ledger keeps it, as a run with a cold ledger does."""
    _seed(desk)
    desk.at(EARLY)
    assert desk.run().code == 0
    (original,) = [c for c in desk.srv.comments.values() if says(c, "esc:response:0:0") and "/issues/1" in c["issue_url"]]
    desk.later(timedelta(minutes=1))
    copy = desk.srv.add_comment(1, body=original["body"], user=BOT, author_association="NONE", user_type="Bot")
    _delete(desk, original["id"])
    desk.later(timedelta(minutes=1))
    cold = _ledger(desk, "cold")
    cold_plan = desk.tracker(*_argv(desk, cold, "--dry-run")).json["actions"]
    warm = desk.run()
    assert warm.code == 0, warm.err
    assert not [line for line in warm.json["actions"] if "delete" in line]
    assert not [line for line in cold_plan if "delete" in line]
    assert [c["id"] for c in desk.srv.comments.values() if says(c, "esc:response:0:0")] == [copy["id"]]
    desk.srv.reset_counts()
    assert desk.run().json["writes"] == 0
