"""The SQLite ledger, on real files."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tracker.errors import DamagedStore, NotFound, StoreError
from tracker.ledger import Ledger
from tracker.ledger_schema import MIGRATIONS, SCHEMA_VERSION
from tracker.model import Comment, Event, Ticket
from tracker.protocol import marker

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
BOT = "desk-bot[bot]"


def ticket(number: int, **changes: object) -> Ticket:
    fields: dict[str, object] = {
        "number": number,
        "title": f"Ticket {number}",
        "body": "The printer is on fire",
        "author": "carol",
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(changes)
    return Ticket(**fields)  # type: ignore[arg-type]


def comment(cid: int, at: datetime = T0, body: str = "hello", author: str = "dave") -> Comment:
    return Comment(cid, author, body, at)


def event(eid: int, at: datetime = T0, kind: str = "labeled", label: str | None = "bug") -> Event:
    return Event(eid, "erin", kind, at, label=label)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "desk.db"


@pytest.fixture
def store(path: Path) -> Iterator[Ledger]:
    with Ledger(path) as s:
        yield s



# --------------------------------------------------------------------------- opening


def test_new_file_is_at_latest_schema_with_wal(store: Ledger, path: Path) -> None:
    assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_memory_store_works() -> None:
    with Ledger(":memory:") as s:
        s.upsert_ticket(ticket(1))
        assert s.ticket(1).title == "Ticket 1"


def test_v1_file_is_upgraded_keeping_its_data(path: Path) -> None:
    with closing(sqlite3.connect(path)) as raw:
        for statement in MIGRATIONS[0].statements:
            raw.execute(statement)
        raw.execute("PRAGMA user_version = 1")
        raw.execute(
            "INSERT INTO tickets(number, title, author, created_at, updated_at, labels)"
            " VALUES (7, 'old', 'carol', ?, ?, '[\"bug\"]')",
            (T0.isoformat(timespec="microseconds"),) * 2,
        )
        raw.commit()

    with Ledger(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        old = s.ticket(7)
        assert (old.title, old.labels, old.created_at) == ("old", ("bug",), T0)
        assert s.state_reason(7) is None  # column added by a later step
        s.record_action("r1", T0, 7, "set_labels", {}, "ok")  # table added by a later step
        assert len(s.actions()) == 1


def test_reopening_an_upgraded_file_changes_nothing(path: Path) -> None:
    with Ledger(path) as s:
        s.upsert_ticket(ticket(1))
    with Ledger(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        assert [t.number for t in s.tickets()] == [1]


def test_file_from_a_newer_tracker_is_refused(path: Path) -> None:
    with closing(sqlite3.connect(path)) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match=r"newer.*Upgrade tracker"):
        Ledger(path)


def test_other_sqlite_file_is_refused(path: Path) -> None:
    with closing(sqlite3.connect(path)) as raw:
        raw.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(StoreError, match="not a tracker store"):
        Ledger(path)


def test_junk_file_is_refused_with_a_next_step(path: Path) -> None:
    path.write_bytes(b"this is not SQLite at all \x00\x01\x02" * 100)
    with pytest.raises(StoreError, match=r"not a tracker store.*Move the file aside"):
        Ledger(path)


def test_damaged_pages_are_reported_when_opened(path: Path) -> None:
    with Ledger(path) as s:
        s.upsert_many(
            tickets=[ticket(n, body="x" * 2000) for n in range(1, 50)],
            comments=[(n, comment(n, body="y" * 2000)) for n in range(1, 50)],
        )
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page : len(data) - page] = b"\xde\xad\xbe\xef" * ((len(data) - 3 * page) // 4)
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedStore, match=r"damaged \(SQLite says: Page \d+: .*\)\. Move the file aside"):
        Ledger(path)  # quick_check when opened


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory exists"):
        Ledger(tmp_path / "no" / "such" / "dir" / "desk.db")


def test_closed_store_raises_and_close_is_idempotent(path: Path) -> None:
    s = Ledger(path)
    s.close()
    s.close()
    with pytest.raises(StoreError, match=r"closed.*Open it again"):
        s.get_meta("cursor")
    with pytest.raises(StoreError, match="closed"):
        s.upsert_ticket(ticket(1))
    with pytest.raises(StoreError, match="closed"), s.transaction():
        pass


# --------------------------------------------------------------------------- times


def test_aware_times_round_trip_exactly(store: Ledger) -> None:
    shanghai = timezone(timedelta(hours=8))
    created = datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=shanghai)
    closed = datetime(2031, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    store.upsert_ticket(ticket(1, created_at=created, updated_at=created, closed_at=closed))
    store.upsert_comment(1, Comment(5, "dave", "x", created, updated_at=closed))
    got = store.ticket(1)
    assert got.created_at == created and got.created_at.utcoffset() == timedelta(0)
    assert got.closed_at == closed
    assert got.comments[0].created_at == created
    assert got.comments[0].updated_at == closed


def test_naive_times_are_refused_and_nothing_is_written(store: Ledger) -> None:
    naive = datetime(2024, 5, 1, 8, 0)
    with pytest.raises(ValueError, match="naive"):
        store.upsert_ticket(ticket(1, updated_at=naive))
    with pytest.raises(ValueError, match="naive"):
        store.upsert_many(tickets=[ticket(2)], comments=[(2, comment(1, at=naive))])
    with pytest.raises(ValueError, match="naive"):
        store.tickets(updated_since=naive)
    with pytest.raises(ValueError, match="naive"):
        store.begin_run("r", naive)
    assert store.tickets() == []


# --------------------------------------------------------------------------- writes


def test_upsert_ticket_touches_only_the_header(store: Ledger) -> None:
    store.upsert_ticket(ticket(1, labels=("bug",)))
    store.upsert_comment(1, comment(10))
    store.add_event(1, event(20))
    store.upsert_ticket(ticket(1, title="Renamed", state="closed", closed_at=T0, labels=()))
    got = store.ticket(1)
    assert (got.title, got.state, got.closed_at, got.labels) == ("Renamed", "closed", T0, ())
    assert [c.id for c in got.comments] == [10]
    assert [e.id for e in got.events] == [20]


def test_upsert_comment_updates_body_and_marker(store: Ledger) -> None:
    store.upsert_ticket(ticket(1))
    store.upsert_comment(1, comment(10, body="plain", author=BOT))
    assert store.comment_by_marker(1, "status", BOT) is None
    store.upsert_comment(1, comment(10, body=marker("status") + "\nnow marked", author=BOT))
    found = store.comment_by_marker(1, "status", BOT)
    assert found is not None and found.id == 10 and found.body.endswith("now marked")
    assert store.comment_by_marker(1, "status", "mallory") is None
    assert store.comment_by_marker(2, "status", BOT) is None


def test_comment_on_unknown_ticket_is_not_found(store: Ledger) -> None:
    with pytest.raises(NotFound, match="write the ticket first"):
        store.upsert_comment(99, comment(1))
    with pytest.raises(NotFound):
        store.add_event(99, event(1))


def test_duplicate_event_ids_are_ignored(store: Ledger) -> None:
    store.upsert_ticket(ticket(1))
    assert store.add_event(1, event(5, label="bug")) is True
    assert store.add_event(1, event(5, label="other")) is False
    assert [e.label for e in store.ticket(1).events] == ["bug"]


def test_delete_comment(store: Ledger) -> None:
    store.upsert_ticket(ticket(1))
    store.upsert_comment(1, comment(10))
    assert store.delete_comment(10) is True
    assert store.delete_comment(10) is False
    assert store.ticket(1).comments == ()


def test_upsert_many_is_bulk_idempotent_and_atomic(store: Ledger) -> None:
    tickets = [ticket(n) for n in (1, 2, 3)]
    comments = [
        (n, comment(n * 10 + k, T0 + timedelta(minutes=k))) for n in (1, 2, 3) for k in (0, 1)
    ]
    events = [(n, event(n * 10 + k)) for n in (1, 2, 3) for k in (0, 1)]
    store.upsert_many(tickets=tickets, comments=comments, events=events)
    store.upsert_many(tickets=tickets, comments=comments, events=events)
    loaded = store.tickets()
    assert [(t.number, len(t.comments), len(t.events)) for t in loaded] == [
        (1, 2, 2),
        (2, 2, 2),
        (3, 2, 2),
    ]
    with pytest.raises(NotFound):
        store.upsert_many(tickets=[ticket(4)], comments=[(5, comment(99))])
    assert store.max_number() == 3  # ticket 4 was rolled back with the bad comment


def test_meta(store: Ledger) -> None:
    assert store.get_meta("cursor") is None
    assert store.get_meta("cursor", "none") == "none"
    store.set_meta("cursor", "abc")
    store.set_meta("cursor", "def")
    assert store.get_meta("cursor") == "def"


def test_max_number(store: Ledger) -> None:
    assert store.max_number() == 0
    store.upsert_many(tickets=[ticket(3), ticket(41), ticket(7)])
    assert store.max_number() == 41


def test_ticket_not_found(store: Ledger) -> None:
    with pytest.raises(NotFound, match="#12 is not in the store"):
        store.ticket(12)
    with pytest.raises(NotFound):
        store.state_reason(12)


# --------------------------------------------------------------------------- transactions


def test_exception_inside_a_transaction_leaves_nothing(store: Ledger) -> None:
    class Crash(Exception):
        pass

    with pytest.raises(Crash), store.transaction():
        store.upsert_ticket(ticket(1))
        store.upsert_comment(1, comment(10))
        store.set_meta("cursor", "half")
        raise Crash
    assert store.tickets() == []
    assert store.get_meta("cursor") is None


def test_nested_failure_rolls_back_only_the_inner_block(store: Ledger) -> None:
    with store.transaction():
        store.upsert_ticket(ticket(1))
        with pytest.raises(NotFound), store.transaction():
            store.upsert_ticket(ticket(2))
            store.upsert_comment(3, comment(1))
        store.set_meta("done", "yes")
    assert [t.number for t in store.tickets()] == [1]
    assert store.get_meta("done") == "yes"


def test_other_connections_see_a_transaction_only_after_commit(store: Ledger, path: Path) -> None:
    with Ledger(path) as other:
        with store.transaction():
            store.upsert_ticket(ticket(1))
            assert other.tickets() == []
        assert [t.number for t in other.tickets()] == [1]


# --------------------------------------------------------------------------- bulk reads


def test_tickets_are_grouped_and_ordered_by_time_then_id(store: Ledger) -> None:
    store.upsert_many(tickets=[ticket(n, updated_at=T0 + timedelta(hours=n)) for n in (3, 1, 2)])
    later, same = T0 + timedelta(minutes=5), T0 + timedelta(minutes=1)
    # written out of order: ids, times and tickets interleaved
    store.upsert_many(
        comments=[
            (2, comment(40, later)),
            (1, comment(31, same)),
            (2, comment(12, same)),
            (1, comment(30, same)),
            (1, comment(5, later)),
            (3, comment(1, T0)),
        ],
        events=[(1, event(9, later)), (2, event(8, T0)), (1, event(2, same)), (1, event(3, same))],
    )
    loaded = store.tickets()
    assert [t.number for t in loaded] == [1, 2, 3]
    by_number = {t.number: t for t in loaded}
    assert [c.id for c in by_number[1].comments] == [30, 31, 5]
    assert [c.id for c in by_number[2].comments] == [12, 40]
    assert [c.id for c in by_number[3].comments] == [1]
    assert [e.id for e in by_number[1].events] == [2, 3, 9]
    assert [e.id for e in by_number[2].events] == [8]
    assert by_number[3].events == ()
    assert store.ticket(1) == by_number[1]


def test_tickets_filters(store: Ledger) -> None:
    store.upsert_many(
        tickets=[
            ticket(1, updated_at=T0),
            ticket(2, updated_at=T0 + timedelta(days=1), state="closed", closed_at=T0),
            ticket(3, updated_at=T0 + timedelta(days=2)),
        ],
        comments=[(n, comment(n)) for n in (1, 2, 3)],
    )

    def numbers(**filters: object) -> list[int]:
        return [t.number for t in store.tickets(**filters)]  # type: ignore[arg-type]

    assert numbers() == [1, 2, 3]
    assert numbers(state="open") == [1, 3]
    assert numbers(state="closed") == [2]
    assert numbers(numbers=[3, 2, 99]) == [2, 3]
    assert numbers(numbers=[]) == []
    assert numbers(updated_since=T0 + timedelta(days=1)) == [2, 3]
    assert numbers(state="open", updated_since=T0 + timedelta(hours=1), numbers=range(10)) == [3]
    assert [c.id for t in store.tickets(state="open") for c in t.comments] == [1, 3]


def test_tickets_uses_a_fixed_number_of_queries(store: Ledger) -> None:
    def statements_for(count: int) -> int:
        start = store.max_number() + 1
        numbers = range(start, start + count)
        store.upsert_many(
            tickets=[ticket(n) for n in numbers],
            comments=[(n, comment(n * 100 + k)) for n in numbers for k in range(3)],
            events=[(n, event(n * 100 + k)) for n in numbers for k in range(3)],
        )
        seen: list[str] = []
        store._db.set_trace_callback(seen.append)  # the raw connection: count statements
        try:
            loaded = store.tickets(numbers=numbers)
        finally:
            store._db.set_trace_callback(None)
        assert len(loaded) == count and all(len(t.comments) == 3 for t in loaded)
        return len(seen)

    assert statements_for(3) == statements_for(300) <= 5


# --------------------------------------------------------------------------- action log


def test_runs_and_action_log(store: Ledger) -> None:
    store.begin_run("r1", T0)
    first = store.record_action("r1", T0, 1, "post_comment", {"key": "ack", "说明": "确认"}, "ok")
    store.record_action("r1", T0, 2, "set_labels", {"add": ["bug"], "at": T0}, "ok")
    store.record_action("r2", T0, 1, "close", {}, "closed")
    store.finish_run("r1", "ok")

    assert [a["id"] for a in store.actions(run_id="r1")] == [first, first + 1]
    assert [a["kind"] for a in store.actions(number=1)] == ["post_comment", "close"]
    only = store.actions(run_id="r1", number=2)
    assert only[0]["detail"] == {"add": ["bug"], "at": "2024-05-01T08:00:00.000000+00:00"}
    assert only[0]["at"] == T0
    assert store.actions(run_id="r1")[0]["detail"]["说明"] == "确认"

    (run,) = store.runs()
    assert (run["run_id"], run["now"], run["status"]) == ("r1", T0, "ok")
    assert run["finished_at"] is not None
    with pytest.raises(StoreError, match="already"):
        store.begin_run("r1", T0)
    with pytest.raises(NotFound, match="begin_run"):
        store.finish_run("nope", "ok")


# --------------------------------------------------------------------------- single-ticket edits


def test_head_and_next_ids(store: Ledger) -> None:
    assert store.head(1) is None
    assert (store.next_comment_id(), store.next_event_id()) == (1, 1)
    store.upsert_ticket(ticket(1, labels=("bug", "vpn"), assignees=("erin",)))
    store.upsert_comment(1, comment(41))
    store.add_event(1, event(7))
    head = store.head(1)
    assert head is not None
    assert (head.state, head.labels, head.assignees) == ("open", ("bug", "vpn"), ("erin",))
    assert (store.next_comment_id(), store.next_event_id()) == (42, 8)


def test_update_time_only_moves_forward(store: Ledger) -> None:
    store.upsert_ticket(ticket(1))
    store.touch(1, T0 - timedelta(hours=1))
    assert store.ticket(1).updated_at == T0
    store.set_names(1, "labels", ["bug"], T0 + timedelta(hours=1))
    store.touch(1, T0 + timedelta(minutes=5))
    got = store.ticket(1)
    assert (got.labels, got.updated_at) == (("bug",), T0 + timedelta(hours=1))


def test_edit_comment_says_whether_it_was_there(store: Ledger) -> None:
    store.upsert_ticket(ticket(1))
    store.upsert_ticket(ticket(2))
    store.upsert_comment(1, comment(10))
    later = T0 + timedelta(hours=2)
    assert store.edit_comment(2, 10, "elsewhere", later) is False
    assert store.ticket(2).updated_at == T0
    assert store.edit_comment(1, 10, marker("status") + "\nedited", later) is True
    got = store.ticket(1)
    assert (got.comments[0].updated_at, got.updated_at) == (later, later)
    assert store.comment_by_marker(1, "status", "dave") == got.comments[0]


def test_set_names_and_state(store: Ledger) -> None:
    store.upsert_ticket(ticket(1))
    with pytest.raises(ValueError, match="labels' or 'assignees"):
        store.set_names(1, "title", ["x"], T0)  # type: ignore[arg-type]
    store.set_names(1, "assignees", ["erin", "carol"], T0)
    closed_at = T0 + timedelta(days=1)
    store.set_state(1, "closed", "not_planned", closed_at)
    got = store.ticket(1)
    assert (got.assignees, got.state, got.closed_at) == (("erin", "carol"), "closed", closed_at)
    assert store.state_reason(1) == "not_planned"
    store.set_state(1, "open", "reopened", closed_at + timedelta(hours=1))
    got = store.ticket(1)
    assert (got.state, got.closed_at, store.state_reason(1)) == ("open", None, "reopened")


def test_a_damaged_file_is_moved_aside_with_its_side_files_keeping_only_the_newest(path: Path) -> None:
    from tracker.ledger_health import move_aside

    for n, when in enumerate((T0, T0 + timedelta(hours=1))):
        path.write_bytes(b"damaged %d" % n)
        Path(f"{path}-wal").write_bytes(b"log %d" % n)
        aside = move_aside(path, when)
        assert not path.exists() and not Path(f"{path}-wal").exists()
    assert aside.name == "desk.db.damaged-20240501T090000Z"
    assert sorted(p.name for p in path.parent.iterdir()) == [aside.name, f"{aside.name}-wal"]
    assert (aside.read_bytes(), Path(f"{aside}-wal").read_bytes()) == (b"damaged 1", b"log 1")


def test_a_ledger_left_with_its_write_ahead_log_by_a_killed_process_opens(path: Path, tmp_path: Path) -> None:
    """The file alone is stale (even empty of tables): what is in its -wal still counts."""
    with Ledger(path) as first:
        first._db.execute("PRAGMA wal_autocheckpoint = 0")
        first.upsert_many(tickets=[ticket(n, body="x" * 3000) for n in range(1, 20)])
        copy = tmp_path / "copy.db"
        for suffix in ("", "-wal"):  # what a kill leaves: the file and its log, never checkpointed
            Path(f"{copy}{suffix}").write_bytes(Path(f"{path}{suffix}").read_bytes())
    with Ledger(copy) as again:
        assert again.count() == 19
