"""The ledger: one SQLite file with tickets, comments, events, sync cursors and what the
grader did.

With GitHub, the sync code mirrors issues, comments and events into it with upserts and
the grader reads everything back in a few bulk queries. Without GitHub,
:class:`tracker.local_hub.LocalHub` makes the same file the whole hub, through the small
writes at the end of :class:`Ledger`. The grader's memory keeps its own table in the file
(:mod:`tracker.memory`), read and written through :meth:`Ledger.read` and :meth:`Ledger.write`.

The file's format (schema, migrations, how times are written) is :mod:`tracker.ledger_schema`;
how model objects become rows and back is :mod:`tracker.ledger_rows`. This module is the
:class:`Ledger` itself: opening and closing, transactions, errors with a next step, writes
and reads.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tracker.errors import NotFound, StoreError
from tracker.gcpause import paused_gc
from tracker.ledger_health import damaged, inspect, quick_check
from tracker.ledger_rows import (
    COMMENT_COLUMNS,
    EVENT_COLUMNS,
    INSERT_EVENT,
    TICKET_COLUMNS,
    UPSERT_COMMENT,
    UPSERT_TICKET,
    UPSERT_TICKET_KEEP_REASON,
    action_dict,
    build_tickets,
    comment_params,
    comments_by_ticket,
    detail_text,
    event_params,
    events_by_ticket,
    ticket_params,
)
from tracker.ledger_schema import apply_migrations, from_db_time, to_db_time
from tracker.model import Comment, Event, Ticket
from tracker.protocol import JOIN, marker, marker_key

__all__ = ["BUSY_TIMEOUT_S", "Ledger", "TicketHead"]

BUSY_TIMEOUT_S = 15.0
# What SQLite says when a file's pages are not sound (DatabaseError, or OperationalError
# for text that does not decode).
_DAMAGE = re.compile(r"malformed|not a database|Could not decode to UTF-8")
# A ticket's update time only moves forward: a write dated earlier leaves it as it is.
_LATER_UPDATE = "updated_at = MAX(updated_at, ?)"


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


# --------------------------------------------------------------------------- store


@dataclass(frozen=True, slots=True)
class TicketHead:
    """What a local write needs to know of a ticket before it changes it."""

    state: str
    labels: tuple[str, ...]
    assignees: tuple[str, ...]


class Ledger:
    """One SQLite ledger file (or ``":memory:"``). Use as a context manager, or call close().

    Every public write is atomic on its own and joins an enclosing :meth:`transaction`.
    SQLite failures surface as :class:`~tracker.errors.StoreError`; a missing ticket as
    :class:`~tracker.errors.NotFound`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._depth = 0
        self._conn: sqlite3.Connection | None = None
        if self.path != ":memory:":
            inspect(self.path)  # a file that is not ours, or not sound, is refused untouched
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
            quick_check(conn, self.path)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            conn.close()
            raise self._open_error(exc) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_error(self, exc: sqlite3.Error) -> StoreError:
        if isinstance(exc, sqlite3.DatabaseError) and _DAMAGE.search(str(exc)):
            return damaged(self.path, exc)
        return StoreError(
            f"cannot open the store {self.path}: {exc}. "
            "If another tracker process is using it, wait for it to finish and retry."
        )

    def _migrate(self) -> None:
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                apply_migrations(db, self.path)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._open_error(exc) from exc

    @property
    def schema_version(self) -> int:
        """The file's ``PRAGMA user_version`` (always :data:`SCHEMA_VERSION` once open)."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(
                f"the store {self.path} is closed. Open it again with Ledger(path) to use it."
            )
        return self._conn

    def close(self) -> None:
        """Close the file. Safe to call twice; any later use raises StoreError."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._conn is None else "open"
        return f"Ledger({self.path!r}, {state})"

    # ----------------------------------------------------------------- transactions

    @contextmanager
    def transaction(self) -> Iterator[Ledger]:
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
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, for several SELECTs that must see one snapshot of the file.

        SQLite failures inside surface as StoreError, like every other read.
        """
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
            if _DAMAGE.search(str(exc)):  # text that is not UTF-8: a bad page
                raise damaged(self.path, exc) from exc
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(
                    f"the store {self.path} is busy: another tracker process is writing it. "
                    "Retry when that process has finished."
                ) from exc
            raise StoreError(f"the store {self.path} failed: {exc}") from exc
        except sqlite3.ProgrammingError as exc:
            raise StoreError(
                f"the store {self.path} cannot be used: {exc}. Open it again with Ledger(path)."
            ) from exc
        except sqlite3.DatabaseError as exc:
            if _DAMAGE.search(str(exc)):
                raise damaged(self.path, exc) from exc
            raise StoreError(f"the store {self.path} failed: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"the store {self.path} failed: {exc}") from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """The connection inside a :meth:`transaction`, for statements that commit together.

        SQLite failures inside surface as StoreError / NotFound, like every other write.
        """
        with self.transaction(), self._errors():
            yield self._db

    # ----------------------------------------------------------------- writes

    def upsert_ticket(self, t: Ticket, *, state_reason: str | None = None) -> None:
        """Insert or update a ticket's header fields; its comments and events are untouched.

        ``state_reason`` ("completed", "not_planned", "reopened") is kept as stored when None.
        """
        sql = UPSERT_TICKET_KEEP_REASON if state_reason is None else UPSERT_TICKET
        with self.write() as db:
            db.execute(sql, ticket_params(t, state_reason))

    def upsert_comment(self, number: int, c: Comment) -> None:
        """Insert or update one comment on ticket ``number`` (which must exist)."""
        with self.write() as db:
            db.execute(UPSERT_COMMENT, comment_params(number, c))

    def delete_comment(self, comment_id: int) -> bool:
        """Remove a comment (deleted on GitHub). True if there was one to remove."""
        with self.write() as db:
            return db.execute("DELETE FROM comments WHERE id = ?", (comment_id,)).rowcount > 0

    def add_event(self, number: int, e: Event) -> bool:
        """Record an event on ticket ``number``; an id already present is ignored (False)."""
        with self.write() as db:
            return db.execute(INSERT_EVENT, event_params(number, e)).rowcount > 0

    def upsert_many(
        self,
        *,
        tickets: Iterable[Ticket] = (),
        comments: Iterable[tuple[int, Comment]] = (),
        events: Iterable[tuple[int, Event]] = (),
    ) -> None:
        """Bulk sync in one transaction: ticket headers, then (number, comment), (number, event)."""
        ticket_rows = [ticket_params(t, None) for t in tickets]
        comment_rows = [comment_params(n, c) for n, c in comments]
        event_rows = [event_params(n, e) for n, e in events]
        with self.write() as db:
            db.executemany(UPSERT_TICKET_KEEP_REASON, ticket_rows)
            db.executemany(UPSERT_COMMENT, comment_rows)
            db.executemany(INSERT_EVENT, event_rows)

    def set_meta(self, key: str, value: str) -> None:
        """Remember a small string (a sync cursor, an ETag) under ``key``."""
        with self.write() as db:
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, str(value)),
            )

    def begin_run(self, run_id: str, now: datetime) -> None:
        """Start a grader run; ``now`` is the (possibly simulated) time it grades at."""
        with self.write() as db:
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
        with self.write() as db:
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
        text = detail_text(detail)
        with self.write() as db:
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
        with paused_gc(), self.read() as db:
            rows = db.execute(
                f"SELECT {TICKET_COLUMNS} FROM tickets{where} ORDER BY number", params
            ).fetchall()
            if not rows:
                return []
            comments = comments_by_ticket(
                db.execute(
                    f"SELECT {COMMENT_COLUMNS} FROM comments{children}"
                    " ORDER BY number, created_at, id",
                    params,
                )
            )
            events = events_by_ticket(
                db.execute(
                    f"SELECT {EVENT_COLUMNS} FROM events{children}"
                    " ORDER BY number, created_at, id",
                    params,
                )
            )
            return build_tickets(rows, comments, events)

    def state_reason(self, number: int) -> str | None:
        """Why the ticket was last closed or reopened ("completed", "not_planned", "reopened")."""
        row = self._ticket_row(number, "state_reason")
        if row is None:
            raise NotFound(
                f"ticket #{number} is not in the store; sync it first or check the number"
            )
        return row[0]

    def _ticket_row(self, number: int, columns: str) -> tuple[Any, ...] | None:
        with self._errors():
            row: tuple[Any, ...] | None = self._db.execute(
                f"SELECT {columns} FROM tickets WHERE number = ?", (number,)
            ).fetchone()
        return row

    def count(self, *, state: str | None = None) -> int:
        """How many tickets (in ``state``)."""
        with self.read() as db:
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
        """The earliest comment by ``author`` on ``number`` that starts with ``marker(key)``,
        or whose marker joins ``key`` with the keys of other things it says."""
        with self._errors():
            row = self._db.execute(
                f"SELECT {COMMENT_COLUMNS} FROM comments"
                " WHERE number = ? AND author = ? AND (marker_key = ?"
                " OR instr(? || marker_key || ?, ? || ? || ?) > 0)"
                " ORDER BY created_at, id LIMIT 1",
                (number, author, key, JOIN, JOIN, JOIN, key, JOIN),
            ).fetchone()
        if row is None:
            return None
        return comments_by_ticket([row])[number][0]

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
        clauses: list[str] = []
        params: list[Any] = []
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
        return [action_dict(row) for row in rows]

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
                "started_at": from_db_time(started),
                "finished_at": from_db_time(finished) if finished else None,
                "now": from_db_time(now),
                "status": status,
            }
            for run_id, started, finished, now, status in rows
        ]

    # ----------------------------------------------------------------- single-ticket edits
    # What a person or the bot does to one ticket on the local desk, as GitHub would store it.

    def head(self, number: int) -> TicketHead | None:
        """Ticket ``number``'s state, labels and assignees; None when it is not in the store."""
        row = self._ticket_row(number, "state, labels, assignees")
        if row is None:
            return None
        state, labels, assignees = row
        return TicketHead(state, tuple(json.loads(labels)), tuple(json.loads(assignees)))

    def next_comment_id(self) -> int:
        """The id for a new comment: one above the highest stored."""
        return self._next_id("comments")

    def next_event_id(self) -> int:
        """The id for a new event: one above the highest stored."""
        return self._next_id("events")

    def _next_id(self, table: str) -> int:
        with self._errors():
            return int(self._db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0])

    def touch(self, number: int, at: datetime) -> None:
        """Move ticket ``number``'s update time forward to ``at`` (never back)."""
        with self.write() as db:
            db.execute(
                f"UPDATE tickets SET {_LATER_UPDATE} WHERE number = ?", (to_db_time(at), number)
            )

    def edit_comment(self, number: int, comment_id: int, body: str, at: datetime) -> bool:
        """Give a comment a new body, edited at ``at``; False when it is not on ticket ``number``."""
        when = to_db_time(at)
        with self.write() as db:
            cursor = db.execute(
                "UPDATE comments SET body = ?, updated_at = ?, marker_key = ?"
                " WHERE id = ? AND number = ?",
                (body, when, marker_key(body), comment_id, number),
            )
            if cursor.rowcount == 0:
                return False
            db.execute(f"UPDATE tickets SET {_LATER_UPDATE} WHERE number = ?", (when, number))
        return True

    def set_names(
        self, number: int, column: Literal["labels", "assignees"], names: Iterable[str], at: datetime
    ) -> None:
        """Replace ticket ``number``'s labels or assignees, as changed at ``at``."""
        if column not in ("labels", "assignees"):
            raise ValueError(f"column must be 'labels' or 'assignees', not {column!r}")
        with self.write() as db:
            db.execute(
                f"UPDATE tickets SET {column} = ?, {_LATER_UPDATE} WHERE number = ?",
                (json.dumps(list(names), ensure_ascii=False), to_db_time(at), number),
            )

    def set_state(self, number: int, state: str, reason: str, at: datetime) -> None:
        """Close or reopen ticket ``number`` at ``at``, keeping why ("completed", "reopened", ...)."""
        when = to_db_time(at)
        with self.write() as db:
            db.execute(
                f"UPDATE tickets SET state = ?, state_reason = ?, closed_at = ?, {_LATER_UPDATE}"
                " WHERE number = ?",
                (state, reason, when if state == "closed" else None, when, number),
            )
