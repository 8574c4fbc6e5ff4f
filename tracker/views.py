"""What the grader understands of a ticket at a moment: derived, never stored as truth.

:func:`tracker.engine.assess` builds a :class:`TicketView` from a :class:`~tracker.model.Ticket`,
the config and ``now``. The CLI (``show``, ``late``), the status comment, the site and the
reports all read these views; only the engine writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from tracker.config import Counting

# "ended": the ticket was resolved or closed before the clock's own action happened.
ClockStatus = Literal["running", "at_risk", "late", "met", "missed", "paused", "ended"]


@dataclass(frozen=True, slots=True)
class Command:
    """A staff command found in a comment: ``/name args``."""

    name: str
    args: str
    author: str
    at: datetime
    comment_id: int
    text: str = ""  # the rest of the comment after the command line(s)
    lead: str = ""  # the comment's words before its first command (the answer staff wrote)


@dataclass(frozen=True, slots=True)
class Escalation:
    """One ladder step that fell due."""

    clock: str
    cycle: int
    step: int  # 0-based index in the ladder
    at: datetime  # when it fell due (not when the grader noticed)
    assign: tuple[str, ...]
    mention: tuple[str, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClockView:
    id: str
    name: str
    cycle: int  # 0 for one-shot clocks; n for the n-th round of a repeating clock
    started: datetime
    due: datetime
    at_risk_at: datetime
    stopped: datetime | None
    status: ClockStatus
    late_by: int  # seconds past due at `now` (or at stop); 0 when not late
    limit: int  # seconds allowed
    counting: Counting
    escalations: tuple[Escalation, ...] = ()
    checklist: tuple[str, ...] = ()
    wake: float | None = None  # epoch seconds of its next change (at risk, due, next step)

    @property
    def breached(self) -> bool:
        return self.status in ("late", "missed") or (self.status == "ended" and self.late_by > 0)


@dataclass(frozen=True, slots=True)
class GradeChange:
    at: datetime
    grade: str
    by: str  # login, or "rules" for the grader's own grading
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Assignment:
    """One assigned or unassigned event: who was added or removed, when, and whether the
    grader (or another bot) did it."""

    at: datetime
    login: str
    added: bool
    by_bot: bool = False


@dataclass(frozen=True, slots=True)
class KbText:
    """The title and form answers staff approved for the knowledge base (see kb_approval)."""

    title: str
    facts: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TicketView:
    number: int
    title: str
    author: str
    form: str | None
    type: str | None
    category: str | None
    facts: dict[str, Any]
    missing: tuple[str, ...]  # required answers left blank (field ids)
    invalid: tuple[tuple[str, str], ...]  # (field id, why)
    opened_at: datetime
    grade: str | None
    first_grade: str | None
    final_grade: str | None
    grade_history: tuple[GradeChange, ...]
    state: str  # open | closed
    resolved_at: datetime | None
    closed_at: datetime | None
    confirmed_at: datetime | None  # the customer's confirmation (/confirm)
    first_response_at: datetime | None  # first human staff comment
    rating: int | None
    rated_at: datetime | None
    paused: bool
    clocks: tuple[ClockView, ...]
    commands: tuple[Command, ...]
    incident_key: str | None  # the incident this ticket is linked to
    is_incident: bool
    members: tuple[int, ...]  # for an incident: the linked tickets
    wording: str | None  # the agreed customer wording (/wording)
    kb: bool  # staff marked it for the knowledge base (/kb or the kb label by staff)
    texts: dict[str, str]  # latest text of /plan, /root-cause, /resolve, /wording, /update ...
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    kb_text: KbText | None = None  # what staff approved at the latest /kb (None: as it stands)
    assignments: tuple[Assignment, ...] = ()  # the assignee events, oldest first
    at: datetime | None = None  # the moment this view is of (the grader's ``now``)
    duplicate_of: int | None = None  # a second incident ticket for one incident: the first

    def assignees_at(self, t: datetime) -> tuple[str, ...]:
        """Who was assigned at ``t`` (in the order they were assigned); the current assignees
        when the ticket has no assignment events."""
        if not self.assignments:
            return self.assignees
        held: list[str] = []
        for a in self.assignments:
            if a.at > t:
                break
            if a.login in held:
                held.remove(a.login)
            if a.added:
                held.append(a.login)
        return tuple(held)

    @property
    def breaches(self) -> tuple[ClockView, ...]:
        return tuple(c for c in self.clocks if c.breached)

    @property
    def escalations(self) -> tuple[Escalation, ...]:
        return tuple(e for c in self.clocks for e in c.escalations)

    def clock(self, clock_id: str, cycle: int = 0) -> ClockView | None:
        for c in self.clocks:
            if c.id == clock_id and c.cycle == cycle:
                return c
        return None


StateName = Literal["working", "off", "unmanned"]
