"""The ledger: one SQLite file with tickets, comments, events and what the grader did.

It serves two purposes. With GitHub, the sync code mirrors issues, comments and events
into it with upserts and the grader reads everything back in a few bulk queries. Without
GitHub, :class:`LocalHub` turns the same file into the whole hub, so the desk runs offline
on a simulated clock.

Times are stored as UTC ISO-8601 text with microseconds (``2024-05-01T08:30:00.000000+00:00``):
readable in an audit, sortable as text, and read back as timezone-aware UTC datetimes equal
to what was written. Naive datetimes are refused with :class:`ValueError`.

The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` are applied in
order, in one transaction, when a file is opened.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from tracker.errors import NotFound, StoreError
from tracker.gcpause import paused_gc
from tracker.model import Comment, Event, Ticket
from tracker.protocol import incident_key, marker, marker_key

__all__ = ["MIGRATIONS", "LocalHub", "Migration", "Store"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step; after it the file is at ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "tickets, comments, events and sync metadata",
        (
            """CREATE TABLE tickets (
                number INTEGER PRIMARY KEY,
                title TEXT NOT NULL,
                body TEXT NOT NULL DEFAULT '',
                author TEXT NOT NULL,
                author_association TEXT NOT NULL DEFAULT 'NONE',
                author_is_bot INTEGER NOT NULL DEFAULT 0,
                state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                closed_at TEXT,
                labels TEXT NOT NULL DEFAULT '[]',
                assignees TEXT NOT NULL DEFAULT '[]'
            )""",
            "CREATE INDEX tickets_by_state ON tickets(state, number)",
            """CREATE TABLE comments (
                id INTEGER PRIMARY KEY,
                number INTEGER NOT NULL REFERENCES tickets(number) ON DELETE CASCADE,
                author TEXT NOT NULL,
                author_association TEXT NOT NULL DEFAULT 'NONE',
                is_bot INTEGER NOT NULL DEFAULT 0,
                body TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT,
                marker_key TEXT
            )""",
            "CREATE INDEX comments_by_ticket ON comments(number, created_at, id)",
            """CREATE TABLE events (
                id INTEGER PRIMARY KEY,
                number INTEGER NOT NULL REFERENCES tickets(number) ON DELETE CASCADE,
                actor TEXT NOT NULL,
                kind TEXT NOT NULL,
                label TEXT,
                assignee TEXT,
                created_at TEXT NOT NULL,
                is_bot INTEGER NOT NULL DEFAULT 0
            )""",
            "CREATE INDEX events_by_ticket ON events(number, created_at, id)",
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ),
    ),
    Migration(
        2,
        "the grader's run and action log",
        (
            """CREATE TABLE runs (
                run_id TEXT PRIMARY KEY,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                now TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'running'
            )""",
            """CREATE TABLE actions (
                id INTEGER PRIMARY KEY,
                run_id TEXT NOT NULL,
                at TEXT NOT NULL,
                number INTEGER,
                kind TEXT NOT NULL,
                detail TEXT NOT NULL DEFAULT '{}',
                result TEXT NOT NULL
            )""",
            "CREATE INDEX actions_by_run ON actions(run_id, id)",
            "CREATE INDEX actions_by_ticket ON actions(number, id)",
        ),
    ),
    Migration(
        3,
        "close reason, marker and update-time lookups",
        (
            "ALTER TABLE tickets ADD COLUMN state_reason TEXT",
            "CREATE INDEX tickets_by_update ON tickets(updated_at)",
            "CREATE INDEX comments_by_marker ON comments(number, marker_key)"
            " WHERE marker_key IS NOT NULL",
        ),
    ),
    Migration(
        4,
        "the grader's memory: which tickets may rest until when",
        (
            """CREATE TABLE grader_memo (
                number INTEGER PRIMARY KEY REFERENCES tickets(number) ON DELETE CASCADE,
                fingerprint TEXT NOT NULL,
                wake REAL NOT NULL,
                involved INTEGER NOT NULL DEFAULT 0,
                incident INTEGER,
                updated_at TEXT NOT NULL,
                incident_updated_at TEXT
            )""",
        ),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version
BUSY_TIMEOUT_S = 15.0


# --------------------------------------------------------------------------- times


def to_db_time(value: datetime) -> str:
    """A timezone-aware datetime as fixed-width UTC ISO-8601 text; naive input is refused."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"naive datetime {value.isoformat()} cannot be stored: "
            "give it a timezone (for example datetime(..., tzinfo=UTC))"
        )
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _opt_time(value: datetime | None) -> str | None:
    return None if value is None else to_db_time(value)


_from_db_time = datetime.fromisoformat


def _is_bot_login(login: str, bot_login: str) -> bool:
    return login == bot_login or login.endswith("[bot]")


# --------------------------------------------------------------------------- rows

_TICKET_COLUMNS = (
    "number, title, body, author, author_association, author_is_bot, state,"
    " created_at, updated_at, closed_at, labels, assignees"
)
_COMMENT_COLUMNS = "number, id, author, body, created_at, author_association, is_bot, updated_at"
_EVENT_COLUMNS = "number, id, actor, kind, created_at, label, assignee, is_bot"


def _ticket_params(t: Ticket, state_reason: str | None) -> tuple[Any, ...]:
    return (
        t.number,
        t.title,
        t.body,
        t.author,
        t.author_association,
        int(t.author_is_bot),
        t.state,
        to_db_time(t.created_at),
        to_db_time(t.updated_at),
        _opt_time(t.closed_at),
        json.dumps(list(t.labels), ensure_ascii=False),
        json.dumps(list(t.assignees), ensure_ascii=False),
        state_reason,
    )


def _comment_params(number: int, c: Comment) -> tuple[Any, ...]:
    return (
        c.id,
        number,
        c.author,
        c.author_association,
        int(c.is_bot),
        c.body,
        to_db_time(c.created_at),
        _opt_time(c.updated_at),
        marker_key(c.body),
    )


def _event_params(number: int, e: Event) -> tuple[Any, ...]:
    return (
        e.id,
        number,
        e.actor,
        e.kind,
        e.label,
        e.assignee,
        to_db_time(e.created_at),
        int(e.is_bot),
    )


def _comments_by_ticket(rows: Iterable[tuple[Any, ...]]) -> dict[int, tuple[Comment, ...]]:
    """Group rows sorted by ticket number into tuples of comments (hot path: keep it tight).

    Short repeated strings (logins, associations) are interned: one object for thousands
    of rows keeps a 100,000-ticket load small.
    """
    parse = _from_db_time
    share = sys.intern
    return {
        number: tuple(
            [
                Comment(
                    cid,
                    share(author),
                    body,
                    parse(created),
                    share(assoc),
                    is_bot == 1,
                    parse(updated) if updated else None,
                )
                for _, cid, author, body, created, assoc, is_bot, updated in group
            ]
        )
        for number, group in groupby(rows, key=itemgetter(0))
    }


def _events_by_ticket(rows: Iterable[tuple[Any, ...]]) -> dict[int, tuple[Event, ...]]:
    """Group rows sorted by ticket number into tuples of events (hot path: keep it tight)."""
    parse = _from_db_time
    share = sys.intern
    return {
        number: tuple(
            [
                Event(
                    eid,
                    share(actor),
                    share(kind),
                    parse(created),
                    share(label) if label else label,
                    share(assignee) if assignee else assignee,
                    is_bot == 1,
                )
                for _, eid, actor, kind, created, label, assignee, is_bot in group
            ]
        )
        for number, group in groupby(rows, key=itemgetter(0))
    }


def _names(text: str) -> tuple[str, ...]:
    return tuple(map(sys.intern, json.loads(text)))


def _build_tickets(
    rows: list[tuple[Any, ...]],
    comments: dict[int, tuple[Comment, ...]],
    events: dict[int, tuple[Event, ...]],
) -> list[Ticket]:
    parse = _from_db_time
    share = sys.intern
    no_items: tuple[Any, ...] = ()
    return [
        Ticket(
            number,
            title,
            body,
            share(author),
            parse(created),
            parse(updated),
            share(state),
            parse(closed) if closed else None,
            _names(labels) if labels != "[]" else no_items,
            _names(assignees) if assignees != "[]" else no_items,
            comments.get(number, no_items),
            events.get(number, no_items),
            share(assoc),
            is_bot == 1,
        )
        for (
            number,
            title,
            body,
            author,
            assoc,
            is_bot,
            state,
            created,
            updated,
            closed,
            labels,
            assignees,
        ) in rows
    ]


def _action_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    action_id, run_id, at, number, kind, detail, result = row
    return {
        "id": action_id,
        "run_id": run_id,
        "at": _from_db_time(at),
        "number": number,
        "kind": kind,
        "detail": json.loads(detail),
        "result": result,
    }


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return to_db_time(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot record {type(value).__name__} in the action log")


# --------------------------------------------------------------------------- store


class Store:
    """One SQLite ledger file (or ``":memory:"``). Use as a context manager, or call close().

    Every public write is atomic on its own and joins an enclosing :meth:`transaction`.
    SQLite failures surface as :class:`~tracker.errors.StoreError`; a missing ticket as
    :class:`~tracker.errors.NotFound`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._depth = 0
        self._conn: sqlite3.Connection | None = None
        conn = self._connect()
        try:
            self._conn = conn
            self._migrate()
        except BaseException:
            self._conn = None
            conn.close()
            raise

    # ----------------------------------------------------------------- lifecycle

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open the store {self.path}: {exc}. "
                "Check that its directory exists and is writable, or choose another path."
            ) from exc
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            conn.close()
            raise self._open_error(exc) from exc
        return conn

    def _open_error(self, exc: sqlite3.Error) -> StoreError:
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
            return StoreError(
                f"{self.path} is not a tracker store (SQLite says: {exc}). "
                "Move the file aside and run again to start a fresh store, "
                "or point to the right file."
            )
        if isinstance(exc, sqlite3.DatabaseError) and "malformed" in str(exc):
            return StoreError(
                f"the store {self.path} is damaged (SQLite says: {exc}). "
                "Move the file aside and run again; a full sync rebuilds the mirror."
            )
        return StoreError(
            f"cannot open the store {self.path}: {exc}. "
            "If another tracker process is using it, wait for it to finish and retry."
        )

    def _migrate(self) -> None:
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._apply_migrations(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._open_error(exc) from exc

    def _apply_migrations(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this tracker "
                f"understands ({SCHEMA_VERSION}). Upgrade tracker to open it."
            )
        if version == 0 and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(
                f"{self.path} is an SQLite file but not a tracker store. "
                "Point to the right file, or choose a new path to start a fresh store."
            )
        for step in MIGRATIONS[version:]:
            for statement in step.statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {step.version:d}")

    @property
    def schema_version(self) -> int:
        """The file's ``PRAGMA user_version`` (always :data:`SCHEMA_VERSION` once open)."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(
                f"the store {self.path} is closed. Open it again with Store(path) to use it."
            )
        return self._conn

    def close(self) -> None:
        """Close the file. Safe to call twice; any later use raises StoreError."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._conn is None else "open"
        return f"Store({self.path!r}, {state})"

    # ----------------------------------------------------------------- transactions

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside commit together or not at all. Nested blocks are savepoints."""
        db = self._db
        depth = self._depth
        savepoint = f"tracker_sp{depth}"
        with self._errors():
            db.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        self._depth = depth + 1
        try:
            yield self
        except BaseException:
            self._depth = depth
            self._rollback(db, depth, savepoint)
            raise
        self._depth = depth
        try:
            with self._errors():
                db.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")
        except StoreError:
            self._rollback(db, depth, savepoint)
            raise

    @staticmethod
    def _rollback(db: sqlite3.Connection, depth: int, savepoint: str) -> None:
        if depth == 0:
            if db.in_transaction:
                db.execute("ROLLBACK")
        else:
            db.execute(f"ROLLBACK TO {savepoint}")
            db.execute(f"RELEASE {savepoint}")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """Several SELECTs that must see one snapshot of the file."""
        db = self._db
        if self._depth:
            with self._errors():
                yield db
            return
        with self._errors():
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("COMMIT")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn SQLite exceptions into StoreError / NotFound with a next step."""
        try:
            yield
        except sqlite3.IntegrityError as exc:
            if "FOREIGN KEY" in str(exc):
                raise NotFound(
                    "a comment or event refers to a ticket that is not in the store; "
                    "write the ticket first (upsert_ticket) and then its comments and events"
                ) from exc
            raise StoreError(f"the store {self.path} refused a write: {exc}") from exc
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(
                    f"the store {self.path} is busy: another tracker process is writing it. "
                    "Retry when that process has finished."
                ) from exc
            raise StoreError(f"the store {self.path} failed: {exc}") from exc
        except sqlite3.ProgrammingError as exc:
            raise StoreError(
                f"the store {self.path} cannot be used: {exc}. Open it again with Store(path)."
            ) from exc
        except sqlite3.DatabaseError as exc:
            if "malformed" in str(exc) or "not a database" in str(exc):
                raise self._open_error(exc) from exc
            raise StoreError(f"the store {self.path} failed: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"the store {self.path} failed: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self.transaction(), self._errors():
            yield self._db

    # ----------------------------------------------------------------- writes

    def upsert_ticket(self, t: Ticket, *, state_reason: str | None = None) -> None:
        """Insert or update a ticket's header fields; its comments and events are untouched.

        ``state_reason`` ("completed", "not_planned", "reopened") is kept as stored when None.
        """
        sql = _UPSERT_TICKET_KEEP_REASON if state_reason is None else _UPSERT_TICKET
        with self._write() as db:
            db.execute(sql, _ticket_params(t, state_reason))

    def upsert_comment(self, number: int, c: Comment) -> None:
        """Insert or update one comment on ticket ``number`` (which must exist)."""
        with self._write() as db:
            db.execute(_UPSERT_COMMENT, _comment_params(number, c))

    def delete_comment(self, comment_id: int) -> bool:
        """Remove a comment (deleted on GitHub). True if there was one to remove."""
        with self._write() as db:
            return db.execute("DELETE FROM comments WHERE id = ?", (comment_id,)).rowcount > 0

    def add_event(self, number: int, e: Event) -> bool:
        """Record an event on ticket ``number``; an id already present is ignored (False)."""
        with self._write() as db:
            return db.execute(_INSERT_EVENT, _event_params(number, e)).rowcount > 0

    def upsert_many(
        self,
        *,
        tickets: Iterable[Ticket] = (),
        comments: Iterable[tuple[int, Comment]] = (),
        events: Iterable[tuple[int, Event]] = (),
    ) -> None:
        """Bulk sync in one transaction: ticket headers, then (number, comment), (number, event)."""
        ticket_rows = [_ticket_params(t, None) for t in tickets]
        comment_rows = [_comment_params(n, c) for n, c in comments]
        event_rows = [_event_params(n, e) for n, e in events]
        with self._write() as db:
            db.executemany(_UPSERT_TICKET_KEEP_REASON, ticket_rows)
            db.executemany(_UPSERT_COMMENT, comment_rows)
            db.executemany(_INSERT_EVENT, event_rows)

    def set_meta(self, key: str, value: str) -> None:
        """Remember a small string (a sync cursor, an ETag) under ``key``."""
        with self._write() as db:
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, str(value)),
            )

    def begin_run(self, run_id: str, now: datetime) -> None:
        """Start a grader run; ``now`` is the (possibly simulated) time it grades at."""
        with self._write() as db:
            try:
                db.execute(
                    "INSERT INTO runs(run_id, started_at, now, status) VALUES (?, ?, ?, 'running')",
                    (run_id, to_db_time(datetime.now(UTC)), to_db_time(now)),
                )
            except sqlite3.IntegrityError as exc:
                raise StoreError(
                    f"run {run_id!r} is already in the store; give each run a new id"
                ) from exc

    def finish_run(self, run_id: str, status: str) -> None:
        """Mark a run finished with ``status`` (for example "ok", "failed", "budget")."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?",
                (to_db_time(datetime.now(UTC)), status, run_id),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"run {run_id!r} was never started; call begin_run first")

    def record_action(
        self,
        run_id: str,
        at: datetime,
        number: int | None,
        kind: str,
        detail: dict[str, Any],
        result: str,
    ) -> int:
        """Append one line to the action log (what the grader did, to which ticket, why)."""
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=_json_default)
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO actions(run_id, at, number, kind, detail, result)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, to_db_time(at), number, kind, text, result),
            )
            return int(cursor.lastrowid or 0)

    # ----------------------------------------------------------------- reads

    def ticket(self, number: int) -> Ticket:
        """One ticket with its comments and events; NotFound if it is not in the store."""
        found = self.tickets(numbers=(number,))
        if not found:
            raise NotFound(
                f"ticket #{number} is not in the store; sync it first or check the number"
            )
        return found[0]

    def tickets(
        self,
        *,
        state: str | None = None,
        numbers: Iterable[int] | None = None,
        updated_since: datetime | None = None,
    ) -> list[Ticket]:
        """Tickets by number, each with comments and events ordered by time then id.

        Three queries whatever the count (tickets, comments, events), grouped in Python.
        Filters combine with AND; ``updated_since`` is inclusive.
        """
        where, params = _ticket_filter(state, numbers, updated_since)
        if where is None:
            return []
        children = f" WHERE number IN (SELECT number FROM tickets{where})" if where else ""
        with paused_gc(), self._read() as db:
            rows = db.execute(
                f"SELECT {_TICKET_COLUMNS} FROM tickets{where} ORDER BY number", params
            ).fetchall()
            if not rows:
                return []
            comments = _comments_by_ticket(
                db.execute(
                    f"SELECT {_COMMENT_COLUMNS} FROM comments{children}"
                    " ORDER BY number, created_at, id",
                    params,
                )
            )
            events = _events_by_ticket(
                db.execute(
                    f"SELECT {_EVENT_COLUMNS} FROM events{children}"
                    " ORDER BY number, created_at, id",
                    params,
                )
            )
            return _build_tickets(rows, comments, events)

    # ----------------------------------------------------------------- grader memory

    def save_memo(self, rows: Iterable[tuple[int, str, float, bool, int | None, datetime, datetime | None]]) -> None:
        """Remember (number, fingerprint, wake, involved, incident, updated_at, incident's updated_at)."""
        params = [
            (n, fp, min(wake, 1e18), int(involved), incident, to_db_time(updated), _opt_time(inc_updated))
            for n, fp, wake, involved, incident, updated, inc_updated in rows
        ]
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO grader_memo (number, fingerprint, wake, involved, incident,"
                " updated_at, incident_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                params,
            )

    def clear_memo(self) -> None:
        with self._write() as db:
            db.execute("DELETE FROM grader_memo")

    def load_memo(self) -> dict[int, tuple[str, float, bool, int | None]]:
        """number -> (fingerprint, wake, involved, incident)."""
        with self._read() as db:
            rows = db.execute("SELECT number, fingerprint, wake, involved, incident FROM grader_memo")
            return {r[0]: (r[1], r[2], bool(r[3]), r[4]) for r in rows}

    def restless(
        self,
        *,
        now: datetime,
        young_since: datetime,
        state: str | None = None,
        updated_since: datetime | None = None,
    ) -> list[int]:
        """Numbers of tickets the grader must read in full: everything but resting tickets.

        A ticket rests when its memory says so and nothing moved: same update time, its wake
        time not reached, old enough, not involved, and its incident ticket unchanged.
        """
        where = "WHERE t.state = ?" if state else "WHERE 1"
        params: list[Any] = [state] if state else []
        if updated_since is not None:
            where += " AND t.updated_at >= ?"
            params.append(to_db_time(updated_since))
        params += [now.timestamp(), to_db_time(young_since)]
        with self._read() as db:
            rows = db.execute(
                "SELECT t.number FROM tickets t"
                " LEFT JOIN grader_memo m ON m.number = t.number"
                " LEFT JOIN tickets i ON i.number = m.incident"
                f" {where} AND (m.number IS NULL OR m.involved OR m.wake <= ?"
                " OR m.updated_at != t.updated_at OR t.created_at > ?"
                " OR (m.incident IS NOT NULL AND (i.number IS NULL"
                " OR i.updated_at IS NOT m.incident_updated_at)))"
                " ORDER BY t.number",
                params,
            ).fetchall()
        return [r[0] for r in rows]

    def state_reason(self, number: int) -> str | None:
        """Why the ticket was last closed or reopened ("completed", "not_planned", "reopened")."""
        with self._errors():
            row = self._db.execute(
                "SELECT state_reason FROM tickets WHERE number = ?", (number,)
            ).fetchone()
        if row is None:
            raise NotFound(
                f"ticket #{number} is not in the store; sync it first or check the number"
            )
        return row[0]

    def count(self, *, state: str | None = None) -> int:
        """How many tickets (in ``state``)."""
        with self._read() as db:
            if state is None:
                return int(db.execute("SELECT count(*) FROM tickets").fetchone()[0])
            return int(db.execute("SELECT count(*) FROM tickets WHERE state = ?", (state,)).fetchone()[0])

    def max_number(self) -> int:
        """The highest ticket number in the store, 0 when it is empty."""
        with self._errors():
            return int(
                self._db.execute("SELECT COALESCE(MAX(number), 0) FROM tickets").fetchone()[0]
            )

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """The value stored under ``key`` by :meth:`set_meta`, or ``default``."""
        with self._errors():
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    def comment_by_marker(self, number: int, key: str, author: str) -> Comment | None:
        """The earliest comment by ``author`` on ``number`` that starts with ``marker(key)``."""
        with self._errors():
            row = self._db.execute(
                f"SELECT {_COMMENT_COLUMNS} FROM comments"
                " WHERE number = ? AND marker_key = ? AND author = ?"
                " ORDER BY created_at, id LIMIT 1",
                (number, key, author),
            ).fetchone()
        if row is None:
            return None
        return _comments_by_ticket([row])[number][0]

    def find_ticket_by_marker(self, key: str, author: str) -> int | None:
        """The lowest-numbered ticket by ``author`` whose body starts with ``marker(key)``."""
        prefix = marker(key)
        with self._errors():
            row = self._db.execute(
                "SELECT number FROM tickets WHERE author = ? AND substr(body, 1, ?) = ?"
                " ORDER BY number LIMIT 1",
                (author, len(prefix), prefix),
            ).fetchone()
        return None if row is None else int(row[0])

    def actions(self, run_id: str | None = None, number: int | None = None) -> list[dict[str, Any]]:
        """The action log, oldest first, optionally for one run and/or one ticket."""
        clauses, params = [], []
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        if number is not None:
            clauses.append("number = ?")
            params.append(number)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._errors():
            rows = self._db.execute(
                f"SELECT id, run_id, at, number, kind, detail, result FROM actions{where}"
                " ORDER BY id",
                params,
            ).fetchall()
        return [_action_dict(row) for row in rows]

    def runs(self) -> list[dict[str, Any]]:
        """Every grader run, oldest first: run_id, started_at, finished_at, now, status."""
        with self._errors():
            rows = self._db.execute(
                "SELECT run_id, started_at, finished_at, now, status FROM runs"
                " ORDER BY started_at, run_id"
            ).fetchall()
        return [
            {
                "run_id": run_id,
                "started_at": _from_db_time(started),
                "finished_at": _from_db_time(finished) if finished else None,
                "now": _from_db_time(now),
                "status": status,
            }
            for run_id, started, finished, now, status in rows
        ]


_UPSERT_TICKET_HEAD = (
    "INSERT INTO tickets(number, title, body, author, author_association, author_is_bot, state,"
    " created_at, updated_at, closed_at, labels, assignees, state_reason)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(number) DO UPDATE SET title = excluded.title, body = excluded.body,"
    " author = excluded.author, author_association = excluded.author_association,"
    " author_is_bot = excluded.author_is_bot, state = excluded.state,"
    " created_at = excluded.created_at, updated_at = excluded.updated_at,"
    " closed_at = excluded.closed_at, labels = excluded.labels, assignees = excluded.assignees"
)
_UPSERT_TICKET = _UPSERT_TICKET_HEAD + ", state_reason = excluded.state_reason"
# A Ticket does not carry the close reason: without one, keep what is stored.
_UPSERT_TICKET_KEEP_REASON = _UPSERT_TICKET_HEAD
_UPSERT_COMMENT = (
    "INSERT INTO comments(id, number, author, author_association, is_bot, body, created_at,"
    " updated_at, marker_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(id) DO UPDATE SET number = excluded.number, author = excluded.author,"
    " author_association = excluded.author_association, is_bot = excluded.is_bot,"
    " body = excluded.body, created_at = excluded.created_at, updated_at = excluded.updated_at,"
    " marker_key = excluded.marker_key"
)
_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events(id, number, actor, kind, label, assignee, created_at, is_bot)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _ticket_filter(
    state: str | None, numbers: Iterable[int] | None, updated_since: datetime | None
) -> tuple[str | None, list[Any]]:
    """The WHERE clause for tickets(); None when the filter can match nothing."""
    clauses: list[str] = []
    params: list[Any] = []
    if state is not None:
        clauses.append("state = ?")
        params.append(state)
    if numbers is not None:
        wanted = sorted({int(n) for n in numbers})
        if not wanted:
            return None, []
        clauses.append("number IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(wanted))
    if updated_since is not None:
        clauses.append("updated_at >= ?")
        params.append(to_db_time(updated_since))
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params


# --------------------------------------------------------------------------- local hub


class LocalHub:
    """The hub in offline mode: every write goes to the store like GitHub would record it.

    ``clock`` is the simulated "now" (the grader's ``--now``). Each write is one
    transaction and also records the event GitHub would show (labeled, assigned,
    closed, ...). The ``open_ticket`` .. ``reopen_ticket`` methods are for people
    using the local desk; they are not part of the Hub protocol.
    """

    def __init__(self, store: Store, bot_login: str, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.bot_login = bot_login
        self._clock = clock

    # ----------------------------------------------------------------- Hub protocol

    def now(self) -> datetime:
        """The simulated current time."""
        value = self._clock()
        to_db_time(value)  # refuse a naive clock early, with the usual message
        return value

    def set_labels(self, number: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        self.label(number, add, remove, self.bot_login)

    def set_assignees(self, number: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        self.assign(number, add, remove, self.bot_login)

    def post_comment(self, number: int, body: str) -> Comment:
        return self.add_comment(number, self.bot_login, body)

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        at = to_db_time(self.now())
        with self.store._write() as db:
            cursor = db.execute(
                "UPDATE comments SET body = ?, updated_at = ?, marker_key = ?"
                " WHERE id = ? AND number = ?",
                (body, at, marker_key(body), comment_id, number),
            )
            if cursor.rowcount == 0:
                raise NotFound(
                    f"comment {comment_id} is not on ticket #{number}; "
                    "it may have been deleted, the next run will post it again"
                )
            _touch(db, number, at)

    def find_marked_comment(self, number: int, key: str) -> Comment | None:
        return self.store.comment_by_marker(number, key, self.bot_login)

    def find_incident(self, key: str) -> int | None:
        return self.store.find_ticket_by_marker(incident_key(key), self.bot_login)

    def create_ticket(self, title: str, body: str, labels: tuple[str, ...]) -> int:
        return self.open_ticket(title, body, self.bot_login, labels)

    def close(self, number: int, reason: str) -> None:
        self.close_ticket(number, self.bot_login, reason)

    def reopen(self, number: int) -> None:
        self.reopen_ticket(number, self.bot_login)

    # ----------------------------------------------------------------- people

    def open_ticket(
        self,
        title: str,
        body: str,
        author: str,
        labels: Iterable[str] = (),
        association: str = "NONE",
        at: datetime | None = None,
    ) -> int:
        """Open a new ticket numbered after the highest one; returns its number."""
        when = at or self.now()
        labels = _unique(labels)
        is_bot = _is_bot_login(author, self.bot_login)
        with self.store.transaction():
            number = self.store.max_number() + 1
            ticket = Ticket(
                number,
                title,
                body,
                author,
                when,
                when,
                labels=labels,
                author_association=association,
                author_is_bot=is_bot,
            )
            self.store.upsert_ticket(ticket)
            for name in labels:
                self._event(number, author, "labeled", when, label=name)
        return number

    def add_comment(
        self,
        number: int,
        author: str,
        body: str,
        association: str = "NONE",
        at: datetime | None = None,
    ) -> Comment:
        """Add a comment to ``number`` and return it (with its new id)."""
        when = at or self.now()
        is_bot = _is_bot_login(author, self.bot_login)
        with self.store._write() as db:
            self._require(number)
            comment_id = _next_id(db, "comments")
            comment = Comment(comment_id, author, body, when, association, is_bot)
            db.execute(_UPSERT_COMMENT, _comment_params(number, comment))
            _touch(db, number, to_db_time(when))
        return comment

    def label(
        self,
        number: int,
        add: Iterable[str],
        remove: Iterable[str],
        actor: str,
        at: datetime | None = None,
    ) -> None:
        """Add and remove labels; each real change is a labeled/unlabeled event by ``actor``."""
        self._change_set(number, "labels", add, remove, actor, at, ("labeled", "unlabeled"))

    def assign(
        self,
        number: int,
        add: Iterable[str],
        remove: Iterable[str],
        actor: str,
        at: datetime | None = None,
    ) -> None:
        """Add and remove assignees; each real change is an assigned/unassigned event."""
        self._change_set(number, "assignees", add, remove, actor, at, ("assigned", "unassigned"))

    def close_ticket(
        self, number: int, actor: str, reason: str = "completed", at: datetime | None = None
    ) -> None:
        """Close ``number`` ("completed" or "not_planned"); closing a closed ticket does nothing."""
        if reason not in ("completed", "not_planned"):
            raise ValueError(f"close reason must be 'completed' or 'not_planned', not {reason!r}")
        when = at or self.now()
        self._set_state(number, "closed", reason, actor, when)

    def reopen_ticket(self, number: int, actor: str, at: datetime | None = None) -> None:
        """Reopen ``number``; reopening an open ticket does nothing."""
        when = at or self.now()
        self._set_state(number, "open", "reopened", actor, when)

    # ----------------------------------------------------------------- internals

    def _require(self, number: int) -> tuple[str, list[str], list[str]]:
        row = self.store._db.execute(
            "SELECT state, labels, assignees FROM tickets WHERE number = ?", (number,)
        ).fetchone()
        if row is None:
            raise NotFound(f"ticket #{number} does not exist; list tickets to find the number")
        return row[0], json.loads(row[1]), json.loads(row[2])

    def _event(
        self,
        number: int,
        actor: str,
        kind: str,
        at: datetime,
        label: str | None = None,
        assignee: str | None = None,
    ) -> None:
        db = self.store._db
        event = Event(
            _next_id(db, "events"),
            actor,
            kind,
            at,
            label,
            assignee,
            _is_bot_login(actor, self.bot_login),
        )
        db.execute(_INSERT_EVENT, _event_params(number, event))

    def _change_set(
        self,
        number: int,
        column: str,
        add: Iterable[str],
        remove: Iterable[str],
        actor: str,
        at: datetime | None,
        kinds: tuple[str, str],
    ) -> None:
        when = at or self.now()
        with self.store._write() as db:
            _, labels, assignees = self._require(number)
            current = labels if column == "labels" else assignees
            field = "label" if column == "labels" else "assignee"
            wanted = _unique(add)  # a name both added and removed stays: adding wins
            added = [name for name in wanted if name not in current]
            removed = [name for name in _unique(remove) if name in current and name not in wanted]
            if not added and not removed:
                return
            for name in added:
                self._event(number, actor, kinds[0], when, **{field: name})
            for name in removed:
                self._event(number, actor, kinds[1], when, **{field: name})
            value = [name for name in current if name not in removed] + added
            db.execute(
                f"UPDATE tickets SET {column} = ?, updated_at = MAX(updated_at, ?)"
                " WHERE number = ?",
                (json.dumps(value, ensure_ascii=False), to_db_time(when), number),
            )

    def _set_state(self, number: int, state: str, reason: str, actor: str, when: datetime) -> None:
        with self.store._write() as db:
            current, _, _ = self._require(number)
            if current == state:
                return
            at = to_db_time(when)
            db.execute(
                "UPDATE tickets SET state = ?, state_reason = ?, closed_at = ?,"
                " updated_at = MAX(updated_at, ?)"
                " WHERE number = ?",
                (state, reason, at if state == "closed" else None, at, number),
            )
            self._event(number, actor, "closed" if state == "closed" else "reopened", when)


def _next_id(db: sqlite3.Connection, table: str) -> int:
    return int(db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0])


def _touch(db: sqlite3.Connection, number: int, at: str) -> None:
    db.execute("UPDATE tickets SET updated_at = MAX(updated_at, ?) WHERE number = ?", (at, number))


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    if isinstance(names, str):
        raise TypeError("pass a list of names, not a single string")
    return tuple(dict.fromkeys(names))
