"""The ledger's on-disk format: its schema, the steps that bring an older file up to date,
and how times are written.

Times are stored as UTC ISO-8601 text with microseconds (``2024-05-01T08:30:00.000000+00:00``):
readable in an audit, sortable as text, and read back as timezone-aware UTC datetimes equal
to what was written. Naive datetimes are refused with :class:`ValueError`.

The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` are applied in
order by :func:`apply_migrations`, inside the transaction the caller opened. A released
step never changes: a new need is a new step at the end.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from tracker.errors import ForeignStore

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "apply_migrations",
    "from_db_time",
    "optional_db_time",
    "to_db_time",
]


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
    Migration(
        5,
        "the length of the clock whose moment a ticket wakes at (the grader's timer spends by it)",
        ("ALTER TABLE grader_memo ADD COLUMN wake_limit REAL",),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version


def apply_migrations(db: sqlite3.Connection, path: str) -> None:
    """Bring the file behind ``db`` to :data:`SCHEMA_VERSION`; refuse files it cannot own.

    Runs inside the caller's transaction, so a failed step leaves the file as it was.
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise ForeignStore(
            f"{path} has schema version {version}, newer than this tracker "
            f"understands ({SCHEMA_VERSION}). Upgrade tracker to open it."
        )
    if version == 0 and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        raise ForeignStore(
            f"{path} is an SQLite file but not a tracker store. "
            "Point to the right file, or choose a new path to start a fresh store."
        )
    for step in MIGRATIONS[version:]:
        for statement in step.statements:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {step.version:d}")


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


def optional_db_time(value: datetime | None) -> str | None:
    """:func:`to_db_time`, with None kept as None (NULL)."""
    return None if value is None else to_db_time(value)


from_db_time = datetime.fromisoformat
"""Stored time text back to the aware UTC datetime that was written."""
