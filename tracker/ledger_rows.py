"""How tickets, comments, events and action-log lines become ledger rows, and back.

The SQL text that writes them sits here too, beside the parameter tuples it takes, so a
column is named in one place. Reading back is the hot path of every run (a whole desk is
loaded in three queries): the builders below are kept tight and intern repeated short
strings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from tracker.ledger_schema import from_db_time, optional_db_time, to_db_time
from tracker.model import Comment, Event, Ticket
from tracker.protocol import marker_key

# --------------------------------------------------------------------------- rows

TICKET_COLUMNS = (
    "number, title, body, author, author_association, author_is_bot, state,"
    " created_at, updated_at, closed_at, labels, assignees"
)
COMMENT_COLUMNS = "number, id, author, body, created_at, author_association, is_bot, updated_at"
EVENT_COLUMNS = "number, id, actor, kind, created_at, label, assignee, is_bot"


def ticket_params(t: Ticket, state_reason: str | None) -> tuple[Any, ...]:
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
        optional_db_time(t.closed_at),
        json.dumps(list(t.labels), ensure_ascii=False),
        json.dumps(list(t.assignees), ensure_ascii=False),
        state_reason,
    )


def comment_params(number: int, c: Comment) -> tuple[Any, ...]:
    return (
        c.id,
        number,
        c.author,
        c.author_association,
        int(c.is_bot),
        c.body,
        to_db_time(c.created_at),
        optional_db_time(c.updated_at),
        marker_key(c.body),
    )


def event_params(number: int, e: Event) -> tuple[Any, ...]:
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


def comments_by_ticket(rows: Iterable[tuple[Any, ...]]) -> dict[int, tuple[Comment, ...]]:
    """Group rows sorted by ticket number into tuples of comments (hot path: keep it tight).

    Short repeated strings (logins, associations) are interned: one object for thousands
    of rows keeps a 100,000-ticket load small.
    """
    parse = from_db_time
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


def events_by_ticket(rows: Iterable[tuple[Any, ...]]) -> dict[int, tuple[Event, ...]]:
    """Group rows sorted by ticket number into tuples of events (hot path: keep it tight)."""
    parse = from_db_time
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


def build_tickets(
    rows: list[tuple[Any, ...]],
    comments: dict[int, tuple[Comment, ...]],
    events: dict[int, tuple[Event, ...]],
) -> list[Ticket]:
    parse = from_db_time
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


def action_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    """One action-log row as the dict :meth:`tracker.ledger.Ledger.actions` returns."""
    action_id, run_id, at, number, kind, detail, result = row
    return {
        "id": action_id,
        "run_id": run_id,
        "at": from_db_time(at),
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


def detail_text(detail: dict[str, Any]) -> str:
    """An action's detail as the JSON the log keeps: keys sorted, times as ledger text."""
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=_json_default)


# --------------------------------------------------------------------------- SQL that writes rows

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
UPSERT_TICKET = _UPSERT_TICKET_HEAD + ", state_reason = excluded.state_reason"
# A Ticket does not carry the close reason: without one, keep what is stored.
UPSERT_TICKET_KEEP_REASON = _UPSERT_TICKET_HEAD
UPSERT_COMMENT = (
    "INSERT INTO comments(id, number, author, author_association, is_bot, body, created_at,"
    " updated_at, marker_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(id) DO UPDATE SET number = excluded.number, author = excluded.author,"
    " author_association = excluded.author_association, is_bot = excluded.is_bot,"
    " body = excluded.body, created_at = excluded.created_at, updated_at = excluded.updated_at,"
    " marker_key = excluded.marker_key"
)
INSERT_EVENT = (
    "INSERT OR IGNORE INTO events(id, number, actor, kind, label, assignee, created_at, is_bot)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
