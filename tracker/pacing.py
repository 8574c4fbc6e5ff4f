"""How much a plan writes, and a large plan spread over runs within an hourly write budget.

GitHub limits content-creating requests (about 500 an hour). A desk adopted by a repository
with a long history, or a policy change, can plan far more writes than that in one run. The
runner then applies only the most urgent part of the plan (the highest grade first, then the
newest ticket) up to what is left of the hour's budget; the other tickets keep no memory, so
the next runs plan them again and bring them up to date in the same order. Deferring loses
nothing: a plan is always "what should exist but does not".

Pure: plain data in, plain data out. The runner keeps the writes of the last hour in the
ledger (:func:`spent_in_hour`, :func:`record_writes` work on that list).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tracker.model import (
    Action,
    CloseTicket,
    DeleteComment,
    EditComment,
    OpenIncident,
    Plan,
    PostComment,
    ReopenTicket,
    SetAssignees,
    SetLabels,
    Ticket,
)

HOUR = 3600.0
_MENTION = re.compile(r"(?<![\w@`/])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\b")


@dataclass(frozen=True, slots=True)
class Effects:
    """What applying a plan would do on GitHub, counted."""

    tickets: int = 0  # tickets the plan touches
    comments: int = 0  # comments posted or edited (incident links included)
    mentions: int = 0  # people notified by an @mention in those comments
    writes: int = 0  # write requests, estimated

    def as_dict(self) -> dict[str, int]:
        return {"tickets": self.tickets, "comments": self.comments, "mentions": self.mentions, "writes": self.writes}


def writes_of(action: Action) -> int:
    """The write requests applying ``action`` takes at most (as :mod:`tracker.apply` does it)."""
    match action:
        case SetLabels():
            return (1 if action.add else 0) + len(action.remove)
        case SetAssignees():
            return (1 if action.add else 0) + (1 if action.remove else 0)
        case PostComment() | EditComment() | DeleteComment() | CloseTicket() | ReopenTicket():
            return 1
        case OpenIncident():
            return 1 + len(action.members)
    return 1


def _texts(action: Action) -> list[str]:
    if isinstance(action, PostComment | EditComment):
        return [action.body]
    if isinstance(action, OpenIncident):
        return [action.body] + [action.link] * len(action.members)
    return []


def _targets(action: Action) -> set[int]:
    if isinstance(action, OpenIncident):
        return set(action.members)
    return {action.number}


def effects(actions: Iterable[Action]) -> Effects:
    tickets: set[int] = set()
    comments = mentions = writes = 0
    for action in actions:
        tickets |= _targets(action)
        texts = _texts(action)
        comments += len(texts)
        mentions += sum(len(set(_MENTION.findall(text))) for text in texts)
        writes += writes_of(action)
    return Effects(len(tickets), comments, mentions, writes)


def urgency(ticket: Ticket, grade_rank: Mapping[str, int], adding: Iterable[str] = ()) -> tuple[int, float]:
    """Sort key, most urgent first: the highest grade label the ticket carries or is about to
    get (``adding``), then the newest."""
    rank = max((grade_rank.get(label, 0) for label in (*ticket.labels, *adding)), default=0)
    return (-rank, -ticket.created_at.timestamp())


@dataclass(frozen=True, slots=True)
class Paced:
    """A plan cut to a write budget."""

    plan: Plan
    deferred: tuple[int, ...]  # tickets whose actions wait for a later run
    deferred_writes: int


def pace(
    plan: Plan, tickets: Sequence[Ticket], budget: int, grade_rank: Mapping[str, int], keep: Collection[int] = ()
) -> Paced:
    """The part of ``plan`` that fits in ``budget`` writes, the most urgent tickets first.

    A ticket's actions are kept or deferred together; incidents come first, then the
    tickets in ``keep`` (an event's own ticket), whatever they cost. A deferred ticket's
    memo is dropped, so the next run grades it again. ``grade_rank`` maps grade *labels*
    to their rank.
    """
    total = sum(writes_of(a) for a in plan.actions)
    if total <= budget:
        return Paced(plan, (), 0)
    by_ticket: dict[int, list[Action]] = {}
    incidents: list[Action] = []
    for action in plan.actions:
        if isinstance(action, OpenIncident):
            incidents.append(action)
        else:
            by_ticket.setdefault(action.number, []).append(action)
    known = {t.number: t for t in tickets}
    adding = {a.number: a.add for a in plan.actions if isinstance(a, SetLabels)}
    order = sorted(
        (n for n in by_ticket if n not in keep),
        key=lambda n: urgency(known[n], grade_rank, adding.get(n, ())) if n in known else (0, 0.0),
    )
    kept_numbers = {n for n in by_ticket if n in keep}
    left = budget - sum(writes_of(a) for a in incidents)
    left -= sum(writes_of(a) for n in kept_numbers for a in by_ticket[n])
    deferred: list[int] = []
    deferred_writes = 0
    for number in order:
        cost = sum(writes_of(a) for a in by_ticket[number])
        if cost <= left:
            left -= cost
            kept_numbers.add(number)
        else:
            left = -1  # strictly in order: nothing less urgent overtakes a deferred ticket
            deferred.append(number)
            deferred_writes += cost
    kept = tuple(a for a in plan.actions if isinstance(a, OpenIncident) or a.number in kept_numbers)
    memo = {n: m for n, m in plan.memo.items() if n not in deferred}
    return Paced(replace(plan, actions=kept, memo=memo), tuple(sorted(deferred)), deferred_writes)


def spent_in_hour(log: Iterable[Sequence[Any]], now: float) -> int:
    """Writes made in the hour before ``now`` from a log of ``[epoch, writes]`` entries."""
    return sum(int(w) for t, w in log if now - HOUR < float(t) <= now)


def record_writes(log: Iterable[Sequence[Any]], now: float, writes: int) -> list[list[float]]:
    """The log with this run's writes added and entries older than an hour dropped."""
    kept = [[float(t), float(w)] for t, w in log if now - HOUR < float(t) <= now]
    if writes:
        kept.append([now, float(writes)])
    return kept
