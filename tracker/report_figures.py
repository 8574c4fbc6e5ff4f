"""Weekly and monthly report figures: plain data in, frozen dataclasses out.

Pure functions over the engine's :class:`~tracker.views.TicketView` list: no I/O, no clock
(``now`` is always passed in), no randomness, no text. The same views, config and ``now``
give the same figures; ``dataclasses.asdict`` of them is plain JSON data. The pages that
show them are written by :mod:`tracker.report_pages`.

Periods are ISO weeks and calendar months (:mod:`tracker.report_periods`). An event counts
in a period when it happened inside it and not after ``now``.

Figure definitions (people, satisfaction and departments: :mod:`tracker.report_people`):

* **volume** -- tickets (not incidents) opened in the period, by current grade, category,
  type and the ``reports.channel_field`` fact; ``resolved`` = tickets resolved in the
  period; ``backlog`` = tickets opened before the period's end and not resolved by its end
  (or by ``now``).
* **attainment** -- clock rounds *due* in the period, per clock and per grade: ``met``
  (stopped on or before due), ``missed`` (stopped after due), ``late`` (still running past
  due at ``now``), ``pending`` (not due yet at ``now``); percent = met / (met + missed + late).
* **timings** -- ``respond`` = opened → first staff reply, ``plan`` = the ``plan`` clock's
  start → stop (or a clock stopped by ``/plan``; else opened → first ``/plan``),
  ``resolve`` = opened → resolved; each counted in the period of its end; median, p90
  (nearest rank) and mean, in wall seconds and in business seconds (the governing clock's
  calendar and counting mode; wall time when the ticket has no such clock).
* **breaches** -- clock rounds due in the period that were missed or are still late, by
  clock and by the role answerable at the due moment (each round once); **escalations** --
  ladder steps that fell due in the period, by clock and step.
* **incidents** -- incident tickets open at any time in the period, with first, current and
  final grade and the number of linked tickets.
* **recurring** -- tickets opened in the period sharing category and symptom (the first of
  the ``reports.symptom_fields`` facts given), two or more; tickets with neither a category
  nor a symptom share nothing and are left out; **returned** -- tickets
  ``/reopen``-ed in the period.
* **headline / previous / delta** -- the key figures of this period, the period before,
  and this minus previous.
* **trend** -- opened, resolved and breached counts over the periods up to this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from tracker.calendar import Counting
from tracker.config import Config
from tracker.report_people import (
    AgentRow,
    DepartmentRow,
    SatisfactionFigures,
    best,
    people,
    rated_in,
    satisfaction,
)  # fmt: skip
from tracker.report_periods import (
    Kind,
    Period,
    period_bounds,
    period_label,
    previous_period,
)  # fmt: skip
from tracker.report_scope import NONE, OTHER, CountingCalendar, Round, Scope, due_rounds, pct
from tracker.views import TicketView

__all__ = [
    "HEADLINE", "MEASURES", "Attainment", "Breaches", "ClockAttainment", "Figures",
    "IncidentRow", "MonthlyFigures", "RecurringProblem", "ReturnedTicket", "Spread", "Timing",
    "TimingFigures", "Trend", "Volume", "WeeklyFigures", "monthly_figures", "trend_figures",
    "weekly_figures",
]  # fmt: skip

MEASURES = ("respond", "plan", "resolve")
PLAN = "plan"
RESPOND_TRIGGERS = ("staff_reply", "command:ack", "assigned")
TOP_RECURRING = 10
TREND_LENGTH: Mapping[Kind, int] = {"week": 8, "month": 6}  # periods in a trend


@dataclass(frozen=True, slots=True)
class Spread:
    """Durations in seconds: how many, median, 90th percentile (nearest rank), mean."""

    count: int
    median: float | None
    p90: float | None
    mean: float | None


@dataclass(frozen=True, slots=True)
class Timing:
    wall: Spread
    business: Spread


@dataclass(frozen=True, slots=True)
class TimingFigures:
    overall: Timing
    by_grade: dict[str, Timing]


@dataclass(frozen=True, slots=True)
class Attainment:
    """Clock rounds due in the period; ``percent`` = met / (met + missed + late) × 100."""

    met: int
    missed: int
    late: int
    pending: int
    percent: float | None


@dataclass(frozen=True, slots=True)
class ClockAttainment:
    overall: Attainment
    by_grade: dict[str, Attainment]


@dataclass(frozen=True, slots=True)
class Volume:
    opened: int
    resolved: int
    backlog: int
    incidents_opened: int
    by_grade: dict[str, int]
    by_category: dict[str, int]
    by_type: dict[str, int]
    by_channel: dict[str, int]


@dataclass(frozen=True, slots=True)
class Breaches:
    count: int
    by_clock: dict[str, int]
    escalations: int
    escalations_by_clock: dict[str, int]
    escalations_by_step: dict[str, int]  # "1" = the ladder's first step
    by_role: dict[str, int]  # role answerable at the due moment ("none": no role) -> rounds


@dataclass(frozen=True, slots=True)
class IncidentRow:
    number: int
    first_grade: str | None
    grade: str | None
    final_grade: str | None
    members: int
    opened_at: str
    resolved_at: str | None


@dataclass(frozen=True, slots=True)
class RecurringProblem:
    category: str
    symptom: str
    count: int
    tickets: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ReturnedTicket:
    number: int
    category: str
    reopened: int


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure of one period. ``dataclasses.asdict`` of it is plain JSON data."""

    kind: Kind
    period: Period
    label: str  # "2024-W05" | "2024-03"
    start: str  # ISO 8601, local time
    end: str  # exclusive
    as_of: str  # now
    volume: Volume
    attainment: dict[str, ClockAttainment]  # clock id -> figures, in the config's order
    attainment_overall: Attainment
    timings: dict[str, TimingFigures]  # "respond" | "plan" | "resolve"
    breaches: Breaches
    incidents: tuple[IncidentRow, ...]
    satisfaction: SatisfactionFigures | None
    departments: tuple[DepartmentRow, ...]
    agents: tuple[AgentRow, ...]
    best_agent: str | None
    best_department: str | None
    recurring: tuple[RecurringProblem, ...]
    returned: tuple[ReturnedTicket, ...]
    headline: dict[str, float | None]
    previous: dict[str, float | None]
    delta: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class WeeklyFigures(Figures):
    """The figures of one ISO week."""


@dataclass(frozen=True, slots=True)
class MonthlyFigures(Figures):
    """The figures of one calendar month (with the month's best agent and department)."""


@dataclass(frozen=True, slots=True)
class Trend:
    """Opened, resolved and breached counts per period, oldest first, ending with this one."""

    periods: tuple[Period, ...]
    opened: tuple[int, ...]
    resolved: tuple[int, ...]
    breached: tuple[int, ...]


F = TypeVar("F", bound=Figures)

HEADLINE = (
    "opened",
    "resolved",
    "backlog",
    "attainment",
    "breaches",
    "escalations",
    "respond_median",
    "resolve_median",
    "satisfaction",
    "incidents",
)
"""The headline figures, in the order the report shows them (timings in business seconds)."""


# ----------------------------------------------------------------------------- helpers


def _spread(values: Sequence[float]) -> Spread:
    """Median (mean of the middle two for an even count), p90 by nearest rank, mean."""
    if not values:
        return Spread(0, None, None, None)
    s = sorted(float(x) for x in values)
    n = len(s)
    median = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    p90 = s[(9 * n + 9) // 10 - 1]  # ceil(0.9 n)-th smallest
    return Spread(n, round(median, 1), round(p90, 1), round(sum(s) / n, 1))


def _settled(table: dict[str, int]) -> dict[str, int]:
    """Keys from the config in their order, then ``other`` and ``-`` (so input order never
    shows in the output)."""
    head = [k for k in table if k not in (OTHER, NONE)]
    return {k: table[k] for k in [*head, OTHER, NONE] if k in table}


# ----------------------------------------------------------------------------- the roll-up


def _volume(views: Sequence[TicketView], scope: Scope, start: datetime, end: datetime) -> Volume:
    cfg = scope.cfg
    channel = cfg.reports.channel_field
    by_grade = dict.fromkeys(scope.grade_ids, 0)
    by_category = dict.fromkeys((c.id for c in cfg.categories), 0)
    by_type = dict.fromkeys((t.id for t in cfg.types), 0)
    channel_spec = cfg.fields.get(channel) if channel else None
    by_channel = dict.fromkeys((o.id for o in channel_spec.options), 0) if channel_spec else {}
    opened = resolved = backlog = incidents = 0
    cut = min(end, scope.now)
    for v in views:
        if v.is_incident:
            if scope.in_period(v.opened_at, start, end):
                incidents += 1
            continue
        if scope.in_period(v.resolved_at, start, end):
            resolved += 1
        if v.opened_at < cut and (v.resolved_at is None or v.resolved_at >= cut):
            backlog += 1
        if not scope.in_period(v.opened_at, start, end):
            continue
        opened += 1
        for table, key in (
            (by_grade, scope.grade_key(v.grade)),
            (by_category, scope.named_key(v.category, by_category)),
            (by_type, scope.named_key(v.type, by_type)),
            (by_channel, scope.fact_key(channel, scope.fact(v, channel))),
        ):
            table[key] = table.get(key, 0) + 1
    return Volume(
        opened, resolved, backlog, incidents,
        *(_settled(t) for t in (by_grade, by_category, by_type, by_channel)),
    )  # fmt: skip


def _attainment(outcomes: Iterable[str]) -> Attainment:
    counts = {"met": 0, "missed": 0, "late": 0, "pending": 0}
    for o in outcomes:
        counts[o] += 1
    done = counts["met"] + counts["missed"] + counts["late"]
    return Attainment(
        counts["met"], counts["missed"], counts["late"], counts["pending"],
        pct(counts["met"], done),
    )  # fmt: skip


def _attainments(
    rounds: Sequence[Round], scope: Scope
) -> tuple[dict[str, ClockAttainment], Attainment]:
    ids = [c.id for c in scope.cfg.clocks]
    ids += sorted({c.id for _, c, _ in rounds} - set(ids))
    out: dict[str, ClockAttainment] = {}
    for cid in ids:
        mine = [(v, o) for v, c, o in rounds if c.id == cid]
        extra = sorted({scope.grade_key(v.grade) for v, _ in mine} - set(scope.grade_ids))
        by_grade = {
            g: _attainment(o for v, o in mine if scope.grade_key(v.grade) == g)
            for g in [*scope.grade_ids, *extra]
        }
        out[cid] = ClockAttainment(_attainment(o for _, o in mine), by_grade)
    return out, _attainment(o for _, _, o in rounds)


_Interval = tuple[datetime, datetime, str | None, Counting | None]  # start, end, clock id, counting


def _intervals(v: TicketView, scope: Scope) -> dict[str, _Interval]:
    """measure -> (start, end, governing clock id, counting)."""
    out: dict[str, _Interval] = {}
    if v.first_response_at is not None:
        c = scope.governing(v, RESPOND_TRIGGERS)
        out["respond"] = (v.opened_at, v.first_response_at, c.id if c else None, scope.counting(c))
    plan_clock = v.clock(PLAN) or scope.governing(v, ("command:plan",))
    if plan_clock is not None and plan_clock.stopped is not None:
        out["plan"] = (
            plan_clock.started, plan_clock.stopped, plan_clock.id, scope.counting(plan_clock)
        )  # fmt: skip
    else:
        plans = sorted(c.at for c in v.commands if c.name == PLAN)
        if plans:
            c = scope.governing(v, ("command:plan",))
            out["plan"] = (v.opened_at, plans[0], c.id if c else None, scope.counting(c))
    if v.resolved_at is not None:
        c = scope.governing(v, ("resolved",))
        out["resolve"] = (v.opened_at, v.resolved_at, c.id if c else None, scope.counting(c))
    return out


def _timings(
    views: Sequence[TicketView], scope: Scope, start: datetime, end: datetime
) -> dict[str, TimingFigures]:
    samples: dict[str, list[tuple[str, float, float]]] = {m: [] for m in MEASURES}
    for v in views:
        for measure, (a, b, clock_id, counting) in _intervals(v, scope).items():
            if not scope.in_period(b, start, end):
                continue
            wall = max((b - a).total_seconds(), 0.0)
            busy = scope.business(clock_id, counting, a, b)
            samples[measure].append((scope.grade_key(v.grade), wall, busy))
    out: dict[str, TimingFigures] = {}
    for measure, rows in samples.items():
        grades = [*scope.grade_ids, *sorted({g for g, _, _ in rows} - set(scope.grade_ids))]

        def timing(sel: list[tuple[str, float, float]]) -> Timing:
            return Timing(_spread([w for _, w, _ in sel]), _spread([b for _, _, b in sel]))

        out[measure] = TimingFigures(
            timing(rows), {g: timing([r for r in rows if r[0] == g]) for g in grades}
        )
    return out


def _breaches(
    views: Sequence[TicketView], rounds: Sequence[Round], scope: Scope, start: datetime, end: datetime
) -> Breaches:
    clock_ids = [c.id for c in scope.cfg.clocks]
    by_clock = dict.fromkeys(clock_ids, 0)
    count = 0
    by_role: dict[str, int] = {}
    for v, c, o in rounds:
        if o in ("missed", "late"):
            count += 1
            by_clock[c.id] = by_clock.get(c.id, 0) + 1
            role = scope.responsible(v, c)[1] or NONE
            by_role[role] = by_role.get(role, 0) + 1
    roles = [r for r in scope.cfg.roles if r in by_role] + ([NONE] if NONE in by_role else [])
    esc_clock = dict.fromkeys(clock_ids, 0)
    steps: dict[int, int] = {}
    escalations = 0
    for v in views:
        for e in v.escalations:
            if scope.in_period(e.at, start, end):
                escalations += 1
                esc_clock[e.clock] = esc_clock.get(e.clock, 0) + 1
                steps[e.step] = steps.get(e.step, 0) + 1
    by_step = {str(k + 1): steps[k] for k in sorted(steps)}

    def settled(table: dict[str, int]) -> dict[str, int]:
        return {k: table[k] for k in [*clock_ids, *sorted(set(table) - set(clock_ids))]}

    return Breaches(count, settled(by_clock), escalations, settled(esc_clock), by_step, {r: by_role[r] for r in roles})


def _incidents(
    views: Sequence[TicketView], scope: Scope, start: datetime, end: datetime
) -> tuple[IncidentRow, ...]:
    rows = []
    for v in views:
        if not v.is_incident or v.opened_at >= end or v.opened_at > scope.now:
            continue
        if v.resolved_at is not None and v.resolved_at < start:
            continue
        resolved = v.resolved_at if v.resolved_at is not None and v.resolved_at <= scope.now else None
        rows.append(
            IncidentRow(
                v.number,
                scope.grade_key(v.first_grade) if v.first_grade else None,
                scope.grade_key(v.grade) if v.grade else None,
                scope.grade_key(v.final_grade) if v.final_grade else None,
                len(v.members),
                v.opened_at.astimezone(scope.tz).isoformat(),
                resolved.astimezone(scope.tz).isoformat() if resolved is not None else None,
            )
        )
    return tuple(sorted(rows, key=lambda r: r.number))


def _recurring(
    views: Sequence[TicketView], scope: Scope, start: datetime, end: datetime
) -> tuple[tuple[RecurringProblem, ...], tuple[ReturnedTicket, ...]]:
    categories = [c.id for c in scope.cfg.categories]
    groups: dict[tuple[str, str], list[int]] = {}
    for v in views:
        if v.is_incident or not scope.in_period(v.opened_at, start, end):
            continue
        symptom = NONE
        for fact in scope.cfg.reports.symptom_fields:
            key = scope.fact_key(fact, v.facts.get(fact))
            if key != NONE:
                symptom = key
                break
        category = scope.named_key(v.category, categories)
        if category == NONE and symptom == NONE:
            continue  # nothing in common but having no category: not a recurring problem
        groups.setdefault((category, symptom), []).append(v.number)
    recurring = sorted(
        (
            RecurringProblem(cat, sym, len(nums), tuple(sorted(nums)))
            for (cat, sym), nums in groups.items()
            if len(nums) >= 2
        ),
        key=lambda r: (-r.count, r.category, r.symptom),
    )[:TOP_RECURRING]
    returned = []
    for v in views:
        n = sum(1 for c in v.commands if c.name == "reopen" and scope.in_period(c.at, start, end))
        if n:
            returned.append(ReturnedTicket(v.number, scope.named_key(v.category, categories), n))
    returned.sort(key=lambda r: (-r.reopened, r.number))
    return tuple(recurring), tuple(returned)


def _headline(
    volume: Volume,
    overall: Attainment,
    breaches: Breaches,
    timings: Mapping[str, TimingFigures],
    sat: SatisfactionFigures | None,
    incidents: int,
) -> dict[str, float | None]:
    return {
        "opened": volume.opened,
        "resolved": volume.resolved,
        "backlog": volume.backlog,
        "attainment": overall.percent,
        "breaches": breaches.count,
        "escalations": breaches.escalations,
        "respond_median": timings["respond"].overall.business.median,
        "resolve_median": timings["resolve"].overall.business.median,
        "satisfaction": sat.average if sat else None,
        "incidents": incidents,
    }


def _delta(
    now: Mapping[str, float | None], before: Mapping[str, float | None]
) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in HEADLINE:
        a, b = now.get(key), before.get(key)
        out[key] = None if a is None or b is None else round(a - b, 2)
    return out


def _figures(
    views: Sequence[TicketView], scope: Scope, kind: Kind, period: Period, cls: type[F]
) -> F:
    """Every figure of ``period``, with the headline of the period before and the change."""
    start, end = period_bounds(kind, period, scope.tz)
    rounds = due_rounds(views, scope, start, end)
    attainment, overall = _attainments(rounds, scope)
    rated = rated_in(views, scope, start, end)
    agents, departments = people(views, rounds, rated, scope, start, end)
    recurring, returned = _recurring(views, scope, start, end)
    volume = _volume(views, scope, start, end)
    timings = _timings(views, scope, start, end)
    breaches = _breaches(views, rounds, scope, start, end)
    incidents = _incidents(views, scope, start, end)
    sat = satisfaction(rated, scope)
    headline = _headline(volume, overall, breaches, timings, sat, len(incidents))
    before = _previous_headline(views, scope, kind, previous_period(kind, period))
    return cls(
        kind=kind,
        period=period,
        label=period_label(kind, period),
        start=start.isoformat(),
        end=end.isoformat(),
        as_of=scope.now.astimezone(scope.tz).isoformat(),
        volume=volume,
        attainment=attainment,
        attainment_overall=overall,
        timings=timings,
        breaches=breaches,
        incidents=incidents,
        satisfaction=sat,
        departments=departments,
        agents=agents,
        best_agent=best(agents),
        best_department=best(departments),
        recurring=recurring,
        returned=returned,
        headline=headline,
        previous=before,
        delta=_delta(headline, before),
    )


def _previous_headline(
    views: Sequence[TicketView], scope: Scope, kind: Kind, period: Period
) -> dict[str, float | None]:
    """The headline figures of the period before (only what the headline needs)."""
    start, end = period_bounds(kind, period, scope.tz)
    rounds = due_rounds(views, scope, start, end)
    _, overall = _attainments(rounds, scope)
    sat = satisfaction(rated_in(views, scope, start, end), scope)
    return _headline(
        _volume(views, scope, start, end), overall, _breaches(views, rounds, scope, start, end),
        _timings(views, scope, start, end), sat, len(_incidents(views, scope, start, end)),
    )  # fmt: skip


def weekly_figures(
    views: Iterable[TicketView],
    cfg: Config,
    week: Period,
    now: datetime,
    *,
    calendars: Mapping[str, CountingCalendar] | None = None,
) -> WeeklyFigures:
    """Every figure of ISO ``week`` as of ``now`` (see the module docstring for definitions).

    ``calendars`` defaults to :func:`tracker.calendar.calendars_for` of ``cfg``.
    """
    scope = Scope.of(cfg, now, calendars)
    return _figures(tuple(views), scope, "week", (int(week[0]), int(week[1])), WeeklyFigures)


def monthly_figures(
    views: Iterable[TicketView],
    cfg: Config,
    month: Period,
    now: datetime,
    *,
    calendars: Mapping[str, CountingCalendar] | None = None,
) -> MonthlyFigures:
    """Every figure of calendar ``month`` as of ``now``, with the month's best agent and
    department (rule 001; see :func:`tracker.report_people.merit`)."""
    scope = Scope.of(cfg, now, calendars)
    return _figures(tuple(views), scope, "month", (int(month[0]), int(month[1])), MonthlyFigures)


def trend_figures(
    views: Iterable[TicketView], cfg: Config, kind: Kind, period: Period, now: datetime
) -> Trend:
    """Opened, resolved and breached counts over the periods leading up to ``period``."""
    views = tuple(views)
    scope = Scope.of(cfg, now, {})
    periods = [period]
    for _ in range(TREND_LENGTH[kind] - 1):
        periods.insert(0, previous_period(kind, periods[0]))
    opened, resolved, breached = [], [], []
    for p in periods:
        start, end = period_bounds(kind, p, scope.tz)
        tickets = [v for v in views if not v.is_incident]
        opened.append(sum(1 for v in tickets if scope.in_period(v.opened_at, start, end)))
        resolved.append(sum(1 for v in tickets if scope.in_period(v.resolved_at, start, end)))
        breached.append(
            sum(1 for _, _, o in due_rounds(views, scope, start, end) if o in ("missed", "late"))
        )
    return Trend(tuple(periods), tuple(opened), tuple(resolved), tuple(breached))
