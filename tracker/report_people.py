"""Report figures about people: satisfaction, agents, departments and the best of a period.

* **satisfaction** -- ratings given in the period: count, average, distribution over the
  scale, and each rating at or below ``escalate_at_or_below`` with whether a staff command
  (other than ``/rate`` and ``/confirm``) followed it.
* **departments** -- a ticket's department is the fact ``reports.department_field`` names (a
  role or a field option), else its assignees' role (a role listed under
  ``reports.departments`` first), else the ``stop_by`` role of its department clock;
  ``received`` = opened in the period, ``resolved`` = of those, resolved by ``now``, success
  rate = resolved / received; timeliness = share of the rounds of ``reports.department_clocks``
  due in the period that were met.
* **agents** -- staff with a role: ``opened`` = tickets they logged in the period;
  ``handled`` = tickets opened in the period that a person assigned them to (the grader's
  escalations do not make anyone a handler; else whoever ``/resolve``-d it, else the first
  staff command author), ``resolved`` = of their tickets, resolved in the period; a rating
  given in the period (and its rule 004 penalty points) counts for the engineer who was
  rated (:meth:`~tracker.report_scope.Scope.rated_engineer`) only; each clock round missed or
  still late is counted once, against the person responsible at its due moment
  (:meth:`~tracker.report_scope.Scope.responsible`).
* **best agent / best department** -- highest :func:`merit` score, ties broken by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tracker.report_scope import Round, Scope, pct
from tracker.views import TicketView

__all__ = [
    "AgentRow", "DepartmentRow", "FollowUp", "SatisfactionFigures",
    "best", "merit", "people", "rated_in", "satisfaction",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A low rating and the first staff command after it (``by`` and ``at``), if any."""

    number: int
    rating: int
    followed_up: bool
    by: str | None
    at: str | None


@dataclass(frozen=True, slots=True)
class SatisfactionFigures:
    count: int
    average: float | None
    distribution: dict[str, int]  # str(score) -> ratings, in the scale's order
    low: tuple[FollowUp, ...]
    followed_up: int


@dataclass(frozen=True, slots=True)
class DepartmentRow:
    id: str
    received: int
    resolved: int
    success_rate: float | None  # percent
    clocks_due: int  # department-response rounds met + missed + late
    clocks_met: int
    timeliness: float | None  # percent
    ratings: int
    satisfied: int
    low: int
    penalty_points: int
    breaches: int
    score: int


@dataclass(frozen=True, slots=True)
class AgentRow:
    login: str
    role: str | None
    opened: int
    handled: int
    resolved: int
    ratings: int
    average_rating: float | None
    satisfied: int
    low: int
    penalty_points: int
    breaches: int
    score: int


def merit(
    resolved: int,
    satisfied: int,
    low: int,
    penalty_points: int,
    breaches: int,
    *,
    penalties_configured: bool,
) -> int:
    """The best-agent / best-department score (rule 001: monthly best agent and department).

    ``score = resolved + satisfied − deductions − breaches`` where

    * ``resolved`` -- tickets resolved (agents: in the period; departments: of those
      received in the period, by ``now``),
    * ``satisfied`` -- ratings at or above ``close_at_or_above`` ("satisfied scores high"),
    * ``deductions`` -- the rule 004 penalty points of the ratings when the policy sets
      ``penalties`` (neutral 2, unsatisfied 5), else one point per rating at or below
      ``escalate_at_or_below`` ("unsatisfied scores minus"); neutral ratings otherwise
      add nothing ("neutral is the base"),
    * ``breaches`` -- clock rounds due in the period on their tickets that were missed or are
      still late (departments: department-response rounds only).

    The highest score wins; ties go to the alphabetically first login or department id.
    Nobody wins a period in which they resolved nothing.
    """
    deductions = penalty_points if penalties_configured else low
    return resolved + satisfied - deductions - breaches


def rated_in(
    views: Sequence[TicketView], scope: Scope, start: datetime, end: datetime
) -> list[TicketView]:
    """Tickets rated (on the scale) in the period."""
    return [
        v
        for v in views
        if v.rating is not None and v.rating in scope.scale and scope.in_period(v.rated_at, start, end)
    ]


def _iso(t: datetime, scope: Scope) -> str:
    return t.astimezone(scope.tz).isoformat()


def satisfaction(rated: list[TicketView], scope: Scope) -> SatisfactionFigures | None:
    if scope.cfg.satisfaction is None:
        return None
    dist = {str(s): 0 for s in scope.scale}
    low: list[FollowUp] = []
    for v in sorted(rated, key=lambda v: v.number):
        if v.rating is None or v.rated_at is None:
            continue
        rated_at = v.rated_at
        dist[str(v.rating)] += 1
        if scope.low(v.rating):
            after = sorted(
                (c for c in v.commands if c.name not in ("rate", "confirm")
                 and c.author != scope.bot and rated_at <= c.at <= scope.now),
                key=lambda c: (c.at, c.comment_id),
            )  # fmt: skip
            first = after[0] if after else None
            low.append(
                FollowUp(
                    v.number, v.rating, first is not None,
                    first.author if first else None, _iso(first.at, scope) if first else None,
                )
            )  # fmt: skip
    scores = [v.rating for v in rated if v.rating is not None]
    average = round(sum(scores) / len(scores), 2) if scores else None
    return SatisfactionFigures(
        len(scores), average, dist, tuple(low), sum(1 for f in low if f.followed_up)
    )


@dataclass(slots=True)
class _Tally:
    """Counts gathered for one agent or department while a period is rolled up."""

    handled: int = 0  # agents: opened in the period; departments: received
    opened: int = 0  # agents: tickets they logged in the period
    resolved: int = 0
    due: int = 0
    met: int = 0
    breaches: int = 0
    scores: list[int] = field(default_factory=list)


def people(
    views: Sequence[TicketView],
    rounds: Sequence[Round],
    rated: Sequence[TicketView],
    scope: Scope,
    start: datetime,
    end: datetime,
) -> tuple[tuple[AgentRow, ...], tuple[DepartmentRow, ...]]:
    agents: dict[str, _Tally] = {}
    depts: dict[str, _Tally] = {}
    handlers = {v.number: scope.handlers(v) for v in views}
    departments = {v.number: scope.department(v) for v in views}
    for v in views:
        opener = scope.opener(v)
        if opener and scope.in_period(v.opened_at, start, end):
            agents.setdefault(opener, _Tally()).opened += 1
        for login in handlers[v.number]:
            if scope.in_period(v.opened_at, start, end):
                agents.setdefault(login, _Tally()).handled += 1
            if scope.in_period(v.resolved_at, start, end):
                agents.setdefault(login, _Tally()).resolved += 1
        d = departments[v.number]
        if d is not None and scope.in_period(v.opened_at, start, end):
            row = depts.setdefault(d, _Tally())
            row.handled += 1
            if v.resolved_at is not None and v.resolved_at <= scope.now:
                row.resolved += 1
    for v in rated:
        if v.rating is None:
            continue
        engineer = scope.rated_engineer(v)
        if engineer:
            agents.setdefault(engineer, _Tally()).scores.append(v.rating)
        d = departments[v.number]
        if d is not None:
            depts.setdefault(d, _Tally()).scores.append(v.rating)
    for v, c, o in rounds:
        breached = o in ("missed", "late")
        if breached:
            answerable = scope.responsible(v, c)[0]
            if answerable:
                agents.setdefault(answerable, _Tally()).breaches += 1
        if c.id in scope.department_clocks and o != "pending":
            spec = scope.clock_by_id.get(c.id)
            d = departments[v.number] or (spec.stop_by[0] if spec and spec.stop_by else None)
            if d is not None:
                row = depts.setdefault(d, _Tally())
                row.due += 1
                row.met += o == "met"
                row.breaches += breached
    return (
        tuple(_agent_row(login, agents[login], scope) for login in sorted(agents)),
        tuple(_department_row(key, depts[key], scope) for key in sorted(depts)),
    )


def _score_parts(t: _Tally, scope: Scope) -> tuple[int, int, int, int]:
    """satisfied, low, penalty points and the merit score of a tally."""
    satisfied = sum(1 for s in t.scores if scope.satisfied(s))
    low = sum(1 for s in t.scores if scope.low(s))
    points = sum(scope.penalty(s) for s in t.scores)
    configured = bool(scope.cfg.satisfaction and scope.cfg.satisfaction.penalties)
    score = merit(t.resolved, satisfied, low, points, t.breaches, penalties_configured=configured)
    return satisfied, low, points, score


def _agent_row(login: str, t: _Tally, scope: Scope) -> AgentRow:
    satisfied, low, points, score = _score_parts(t, scope)
    average = round(sum(t.scores) / len(t.scores), 2) if t.scores else None
    return AgentRow(
        login, scope.role_of(login), t.opened, t.handled, t.resolved, len(t.scores), average, satisfied, low, points,
        t.breaches, score,
    )  # fmt: skip


def _department_row(key: str, t: _Tally, scope: Scope) -> DepartmentRow:
    satisfied, low, points, score = _score_parts(t, scope)
    return DepartmentRow(
        key, t.handled, t.resolved, pct(t.resolved, t.handled), t.due, t.met, pct(t.met, t.due),
        len(t.scores), satisfied, low, points, t.breaches, score,
    )  # fmt: skip


def best(rows: Sequence[AgentRow] | Sequence[DepartmentRow]) -> str | None:
    candidates = [
        (-r.score, r.login if isinstance(r, AgentRow) else r.id) for r in rows if r.resolved > 0
    ]
    return min(candidates)[1] if candidates else None
