"""The grader's memory: which tickets may rest until when, kept in the ledger between runs.

After a run, every ticket the plan leaves untouched is remembered as a :class:`TicketMemory`:
what the grader concluded of it (the engine's :class:`~tracker.engine.Memo`: fingerprint,
wake time, involvement, incident) and the state it was graded in (the ticket's and its
incident's update times). On the next run :func:`restless` names the tickets that memory
cannot vouch for, and only those are read and graded in full; :func:`load_memory` hands the
rest to the grader. A change of policy forgets everything.

The memory lives in the ledger's ``grader_memo`` table (schema step 4 in
:mod:`tracker.ledger_schema`) and is read and written here, through
:meth:`tracker.ledger.Ledger.read` and :meth:`tracker.ledger.Ledger.write`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.engine import Context, Memo
from tracker.ledger import Ledger
from tracker.ledger_schema import optional_db_time, to_db_time
from tracker.model import OpenIncident, Plan, Ticket

__all__ = [
    "POLICY_KEY",
    "TicketMemory",
    "fallen_due",
    "forget",
    "forget_tickets",
    "load_memory",
    "recall",
    "remember",
    "restless",
    "save_memory",
    "to_remember",
]

POLICY_KEY = "grader_policy"  # meta key: the digest of the policy the memory was made under
_FAR_FUTURE = 1e18  # a wake time of "never" (inf), as the REAL column can hold it


@dataclass(frozen=True, slots=True)
class TicketMemory:
    """What the grader remembers of one ticket, and the state of the ticket it was made in."""

    number: int
    memo: Memo
    updated_at: datetime  # the ticket's update time when it was graded
    incident_updated_at: datetime | None = None  # its incident ticket's, when it has one


# --------------------------------------------------------------------------- the run's view


def load_memory(store: Ledger, ctx: Context) -> dict[int, Memo]:
    """The grader's memory, forgotten whenever the policy changed."""
    if store.get_meta(POLICY_KEY) != ctx.digest:
        forget(store)
        store.set_meta(POLICY_KEY, ctx.digest)
        return {}
    return recall(store)


def save_memory(store: Ledger, plan: Plan, tickets: list[Ticket]) -> None:
    """Keep the memory of every ticket the plan leaves untouched (its state is what was graded)."""
    remember(store, to_remember(plan, tickets))


def to_remember(plan: Plan, tickets: Iterable[Ticket]) -> list[TicketMemory]:
    """The memories a plan leaves: one per graded ticket that no action of the plan touches.

    A touched ticket changes when the plan is applied, so what was graded no longer holds.
    """
    by_number = {t.number: t for t in tickets}
    touched = {a.number for a in plan.actions if hasattr(a, "number")}
    touched |= {m for a in plan.actions if isinstance(a, OpenIncident) for m in a.members}
    kept = []
    for number, memo in plan.memo.items():
        if number in touched:
            continue
        incident = by_number.get(memo.incident) if memo.incident is not None else None
        kept.append(
            TicketMemory(
                number=number,
                memo=memo,
                updated_at=by_number[number].updated_at,
                incident_updated_at=incident.updated_at if incident else None,
            )
        )
    return kept


# --------------------------------------------------------------------------- the table


def remember(store: Ledger, memories: Iterable[TicketMemory]) -> None:
    """Write ``memories``, each replacing what was remembered of its ticket."""
    params = [
        (
            m.number,
            m.memo.fingerprint,
            min(m.memo.wake, _FAR_FUTURE),
            int(m.memo.involved),
            m.memo.incident,
            to_db_time(m.updated_at),
            optional_db_time(m.incident_updated_at),
            m.memo.wake_limit,
        )
        for m in memories
    ]
    with store.write() as db:
        db.executemany(
            "INSERT OR REPLACE INTO grader_memo (number, fingerprint, wake, involved, incident,"
            " updated_at, incident_updated_at, wake_limit) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params,
        )


def forget(store: Ledger) -> None:
    """Forget every ticket: the next run grades them all in full."""
    with store.write() as db:
        db.execute("DELETE FROM grader_memo")


def forget_tickets(store: Ledger, numbers: Iterable[int]) -> None:
    """Forget some tickets: the next run grades them in full."""
    with store.write() as db:
        db.executemany("DELETE FROM grader_memo WHERE number = ?", [(n,) for n in numbers])


def recall(store: Ledger) -> dict[int, Memo]:
    """What the grader concluded of each remembered ticket, by number."""
    with store.read() as db:
        rows = db.execute("SELECT number, fingerprint, wake, involved, incident, wake_limit FROM grader_memo")
        return {
            number: Memo(fingerprint, wake, bool(involved), incident, limit)
            for number, fingerprint, wake, involved, incident, limit in rows
        }


def restless(
    store: Ledger,
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
    with store.read() as db:
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


def fallen_due(store: Ledger, ctx: Context, *, now: datetime, updated_since: datetime) -> list[int]:
    """Numbers of remembered tickets whose wake time has come: open ones, and closed ones
    updated since ``updated_since`` (a report may fall due after closing). An event run
    grades these too, so every run delivers what has fallen due, not only the next
    scheduled one. Nothing while the memory is of another policy (the next scheduled run
    forgets it)."""
    if store.get_meta(POLICY_KEY) != ctx.digest:
        return []
    with store.read() as db:
        rows = db.execute(
            "SELECT m.number FROM grader_memo m JOIN tickets t ON t.number = m.number"
            " WHERE m.wake <= ? AND (t.state = 'open' OR t.updated_at >= ?) ORDER BY m.number",
            (now.timestamp(), to_db_time(updated_since)),
        ).fetchall()
    return [r[0] for r in rows]
