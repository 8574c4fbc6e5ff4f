"""A damaged ledger heals itself; a foreign one is refused untouched (``tracker run`` on the fake GitHub).

Each damaged case plays the same desk twice, once on a separate fake with the ledger left as
it is: the run on the damaged ledger must end in the same state on GitHub (labels, assignees,
state, the grader's marked comments, with no duplicate) and say that it rebuilt.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from fakegithub import FakeGitHub
from github_desk import T0, Desk, Result, open_desk

from tracker.ledger import Ledger
from tracker.ledger_schema import SCHEMA_VERSION
from tracker.model import Ticket


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path, capsys, monkeypatch)


def _first_run(d: Desk) -> None:
    """Six tickets with long comments graded once: the ledger is warm and several pages long."""
    for i in range(6):
        number = d.ticket("high" if i % 2 else "low", title=f"Ticket {i}: " + "printer " * 20)
        d.srv.add_comment(number, body="More details: " + "paper jam " * 150, user="dave", author_association="NONE")
    d.at(T0 + timedelta(hours=3))
    assert d.run().code == 0


def _second_run(d: Desk) -> Result:
    """More activity, then the run under test, two hours later."""
    d.later(timedelta(hours=2))
    d.ticket("high", title="Payments are down", created_at=d.now - timedelta(minutes=5))
    return d.run()


def _undisturbed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[int, dict[str, object]]:
    with FakeGitHub() as fake:
        fake.set_now(T0)
        other = Desk(fake, tmp_path / "undisturbed", capsys)
        _first_run(other)
        assert _second_run(other).code == 0
        return other.state()


def _cut_by_one_byte(data: bytes) -> bytes:
    return data[:-1]


def _cut_to_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _emptied(data: bytes) -> bytes:
    return b""


def _garbage(seed: int) -> Callable[[bytes], bytes]:
    def spoil(data: bytes) -> bytes:
        rng = random.Random(seed)
        out = bytearray(data)
        for _ in range(3):
            at, size = rng.randrange(len(out)), rng.randrange(16, 512)
            out[at : at + size] = rng.randbytes(size)[: len(out) - at]
        return bytes(out)

    spoil.__name__ = f"garbage_{seed}"
    return spoil


def _sound(path: Path) -> bool:
    """Whether SQLite's full check passes and every row reads back (without touching the file)."""
    if path.stat().st_size == 0:
        return False  # sound for SQLite, but the ledger it held is gone
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as raw:
            if raw.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
                return False
            for (table,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                raw.execute(f"SELECT * FROM {table}").fetchall()
    except sqlite3.Error:
        return False
    return True


DAMAGE = [_cut_by_one_byte, _cut_to_half, _emptied, *(_garbage(seed) for seed in range(6))]


@pytest.mark.parametrize("spoil", DAMAGE, ids=lambda f: f.__name__.strip("_"))
def test_a_damaged_ledger_is_rebuilt_and_ends_where_an_undisturbed_run_does(
    desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str], spoil: Callable[[bytes], bytes]
) -> None:
    expected = _undisturbed(tmp_path, capsys)
    _first_run(desk)
    before = desk.db.read_bytes()
    assert not Path(f"{desk.db}-wal").exists()
    desk.db.write_bytes(spoil(before))
    visible = spoil in (_cut_by_one_byte, _cut_to_half, _emptied) or not _sound(desk.db)
    result = _second_run(desk)
    assert result.code == 0, result.err
    err = result.err
    assert desk.state() == expected
    if not visible:  # garbage where nothing is kept: nothing to see, nothing to repair
        assert "rebuilt" not in err
    elif spoil is _emptied:
        assert f"the ledger {desk.db} was empty: rebuilt from GitHub" in err
    else:
        (aside,) = (p for p in desk.db.parent.glob("ledger.db.damaged-*") if not p.name.endswith(("-wal", "-shm")))
        assert f"the ledger {desk.db} was damaged (" in err
        assert f"): moved aside to {aside.name} and rebuilt from GitHub" in err
    with Ledger(desk.db) as store:  # the fresh ledger is sound and warm
        assert store.count() == len(expected)
    desk.srv.reset_counts()
    again = desk.run()
    assert (again.code, again.json["planned"], desk.srv.writes()) == (0, 0, 0)
    assert "rebuilt" not in again.err


def test_bad_text_found_by_a_read_during_the_run_rebuilds_and_runs_again(
    desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Damage quick_check cannot see (text that is not UTF-8) shows in the run's first reads."""
    expected = _undisturbed(tmp_path, capsys)
    _first_run(desk)
    data = desk.db.read_bytes()
    at = data.index(b"paper jam paper jam")
    desk.db.write_bytes(data[:at] + b"\xff\xfe" + data[at + 2 :])
    result = _second_run(desk)
    assert result.code == 0, result.err
    assert "Could not decode to UTF-8" in result.err
    assert "rebuilt from GitHub" in result.err
    assert desk.state() == expected


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _foreign(path: Path) -> None:
    """Someone else's SQLite file, in WAL mode (reading it carelessly would leave -wal and -shm)."""
    with closing(sqlite3.connect(path)) as raw:
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("CREATE TABLE recipes (name TEXT)")
        raw.execute("INSERT INTO recipes VALUES ('dumplings')")
        raw.commit()


def _newer(path: Path) -> None:
    """A ledger written by a newer tracker (still in WAL mode, as every ledger is)."""
    with Ledger(path) as store:
        store.set_meta("github.repo", "acme/desk")
    with closing(sqlite3.connect(path)) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        raw.commit()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_foreign, "is an SQLite file but not a tracker store; it was left as it is. "
                   "Point to the right file, or choose a new path to start a fresh store."),
        (_newer, f"has schema version {SCHEMA_VERSION + 1}, newer than this tracker understands ({SCHEMA_VERSION}). "
                 "Upgrade tracker to open it; the file was left as it is."),
    ],
    ids=["foreign", "newer"],
)  # fmt: skip
def test_a_file_that_is_not_ours_is_refused_untouched(desk: Desk, make: Callable[[Path], None], says: str) -> None:
    desk.ticket("high")
    desk.db.parent.mkdir(parents=True)
    make(desk.db)
    before = _files(desk.db.parent)
    assert list(before) == ["ledger.db"]
    result = desk.run()
    assert result.code == 3
    assert result.err.splitlines()[-1] == f"error: {desk.db} {says}"
    assert _files(desk.db.parent) == before  # byte for byte, and no -wal or -shm beside it
    assert desk.srv.writes() == 0


def test_a_damaged_local_desk_is_never_replaced(desk: Desk, tmp_path: Path) -> None:
    """The local store is the desk itself: a damaged one is reported, by either kind of command."""
    store = tmp_path / "ledger" / "ledger.db"
    store.parent.mkdir(parents=True)
    with Ledger(store) as local:
        local.upsert_many(tickets=[Ticket(n, "local " * 200, "x" * 2000, "me", T0, T0) for n in range(1, 30)])
    damaged = store.read_bytes()[:-1]
    store.write_bytes(damaged)
    result = desk.run()
    assert result.code == 2
    assert "holds a local desk, not a mirror of a GitHub repository, and it is damaged" in result.err
    local_run = desk.tracker("list", "--db", str(store), "--config", str(desk.config))
    assert local_run.code == 3
    assert "is damaged (SQLite says: its " in local_run.err and "Move the file aside" in local_run.err
    assert _files(store.parent) == {"ledger.db": damaged}
