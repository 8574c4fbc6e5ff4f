"""Read-only questions about the desk that commands ask: which tickets, which late clocks, what was said.

Pure functions over :class:`~tracker.views.TicketView` and :class:`~tracker.model.Ticket`;
nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tracker.model import Ticket
from tracker.protocol import marker_key
from tracker.views import ClockView, TicketView

StateFilter = Literal["open", "closed", "all"]

_HIDDEN = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """Filters that combine with AND; an empty tuple means "any"."""

    state: StateFilter = "open"
    grades: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # the ticket carries every one of them
    assignee: str | None = None
    late_only: bool = False
    incident: int | None = None  # only the tickets linked to this incident ticket

    def matches(self, view: TicketView) -> bool:
        return (
            (self.state == "all" or view.state == self.state)
            and (not self.grades or view.grade in self.grades)
            and (not self.types or view.type in self.types)
            and all(name in view.labels for name in self.labels)
            and (self.assignee is None or self.assignee in view.assignees)
            and (not self.late_only or bool(late_clocks(view)))
        )


def select(views: Iterable[TicketView], query: TicketQuery) -> list[TicketView]:
    """The views ``query`` matches, by number."""
    views = sorted(views, key=lambda v: v.number)
    if query.incident is not None:
        members = {m for v in views if v.number == query.incident for m in v.members}
        views = [v for v in views if v.number in members]
    return [v for v in views if query.matches(v)]


def late_clocks(view: TicketView) -> tuple[ClockView, ...]:
    """Every clock of ``view`` running past its due time, most overdue first."""
    return tuple(sorted((c for c in view.clocks if c.status == "late"), key=lambda c: -c.late_by))


@dataclass(frozen=True, slots=True)
class Said:
    """One comment as people read it: hidden markers stripped."""

    id: int
    author: str
    at: datetime
    text: str
    by_grader: bool
    marker: str | None  # the grader's marker key (``status``, ``esc:…``) when it wrote it


def conversation(ticket: Ticket, bot_login: str) -> list[Said]:
    """The comments of ``ticket`` in order, the grader's marked ones told apart."""
    out = []
    for c in ticket.comments:
        key = marker_key(c.body)
        by_grader = key is not None and c.author.lower() == bot_login.lower()
        out.append(Said(c.id, c.author, c.created_at, _HIDDEN.sub("", c.body).strip(), by_grader, key))
    return out
