"""Weekly and monthly report figures, and the Markdown pages the site publishes from them.

Pure functions over the engine's :class:`~tracker.views.TicketView` list: no I/O, no clock
(``now`` is always passed in), no randomness. The same views, config and ``now`` give the
same figures and the same bytes of Markdown.

Periods are ISO weeks ``(iso_year, week)`` and calendar months ``(year, month)``, both cut
at local midnight in the policy's time zone (``cfg.tz``). An event counts in a period when
it happened inside it and not after ``now``.

Figure definitions:

* **volume** -- tickets (not incidents) opened in the period, by current grade, category,
  type and ``channel`` fact; ``resolved`` = tickets resolved in the period; ``backlog`` =
  tickets opened before the period's end and not resolved by its end (or by ``now``).
* **attainment** -- clock rounds *due* in the period, per clock and per grade: ``met``
  (stopped on or before due), ``missed`` (stopped after due), ``late`` (still running past
  due at ``now``), ``pending`` (not due yet at ``now``); percent = met / (met + missed + late).
* **timings** -- ``respond`` = opened → first staff reply, ``plan`` = the ``plan`` clock's
  start → stop (or a clock stopped by ``/plan``; else opened → first ``/plan``),
  ``resolve`` = opened → resolved; each counted in the period of its end; median, p90
  (nearest rank) and mean, in wall seconds and in business seconds (the governing clock's
  calendar and counting mode; wall time when the ticket has no such clock).
* **breaches** -- clock rounds due in the period that were missed or are still late, by
  clock; **escalations** -- ladder steps that fell due in the period, by clock and step.
* **incidents** -- incident tickets open at any time in the period, with first, current and
  final grade and the number of linked tickets.
* **satisfaction** -- ratings given in the period: count, average, distribution over the
  scale, and each rating at or below ``escalate_at_or_below`` with whether a staff command
  (other than ``/rate`` and ``/confirm``) followed it.
* **departments** -- a ticket's department is its ``department`` fact (a role or a field
  option), else its assignees' role (a role whose id names a department, or that stops a
  department clock, first); ``received`` = opened in the period, ``resolved`` = of those,
  resolved by ``now``, success rate = resolved / received; timeliness = share of
  department-response clock rounds due in the period that were met (clocks whose id names
  a department -- ``dept``, ``department`` -- or, when there is none, clocks with
  ``stop_by`` roles).
* **agents** -- the ticket's assignees (else whoever ``/resolve``-d it, else the first staff
  command author); ``handled`` = opened in the period, ``resolved`` = resolved in the
  period, ratings and rule 004 penalty points from ratings given in the period.
* **best agent / best department** -- highest :func:`merit` score, ties broken by id.
* **recurring** -- tickets opened in the period sharing category and symptom (``symptom``
  or ``module`` fact), two or more; **returned** -- tickets ``/reopen``-ed in the period.
* **headline / previous / delta** -- the key figures of this period, the period before,
  and this minus previous.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tracker.calendar import calendars_for
from tracker.charts import bar_chart, line_chart, stacked_bar_chart
from tracker.config import Clock, Config
from tracker.views import ClockView, TicketView

__all__ = [
    "AgentRow",
    "Attainment",
    "Breaches",
    "ClockAttainment",
    "DepartmentRow",
    "Figures",
    "FollowUp",
    "IncidentRow",
    "MonthlyFigures",
    "RecurringProblem",
    "ReturnedTicket",
    "SatisfactionFigures",
    "Spread",
    "Timing",
    "TimingFigures",
    "Volume",
    "WeeklyFigures",
    "merit",
    "month_bounds",
    "monthly_figures",
    "monthly_report_markdown",
    "report_periods",
    "week_bounds",
    "weekly_figures",
    "weekly_report_markdown",
]

# Keys that can never be a config id (ids start with a letter or digit):
NONE = "(none)"  # not given: no grade, no category, no channel ...
OTHER = "(other)"  # a value that is not an id (or a name) from the config: never shown as is
MEASURES = ("respond", "plan", "resolve")
PLAN = "plan"
SYMPTOM_FACTS = ("symptom", "module")
DEPARTMENT_FACT = "department"
CHANNEL_FACT = "channel"
DEPARTMENT_HINTS = ("dept", "department")  # in a clock or role id: it is about a department
RESPOND_TRIGGERS = ("staff_reply", "command:ack", "assigned")
TOP_RECURRING = 10
TREND_WEEKS = 8
TREND_MONTHS = 6


class CountingCalendar(Protocol):
    """The part of :class:`tracker.calendar.BusinessCalendar` the reports use."""

    def counted(self, start: datetime, end: datetime, counting: Any) -> float: ...


# ----------------------------------------------------------------------------- figures


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
    handled: int
    resolved: int
    ratings: int
    average_rating: float | None
    satisfied: int
    low: int
    penalty_points: int
    breaches: int
    score: int


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

    kind: str  # "week" | "month"
    period: tuple[int, int]
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


# ----------------------------------------------------------------------------- periods


def _zone(cfg: Config | None) -> tzinfo:
    if cfg is not None:
        return cfg.tz
    return ZoneInfo(Config.model_fields["timezone"].default)


def week_bounds(week: tuple[int, int], tz: tzinfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of an ISO week: Monday 00:00 to the next Monday 00:00, local time."""
    monday = date.fromisocalendar(week[0], week[1], 1)
    return (
        datetime.combine(monday, time(), tzinfo=tz),
        datetime.combine(monday + timedelta(days=7), time(), tzinfo=tz),
    )


def month_bounds(month: tuple[int, int], tz: tzinfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of a calendar month, local time."""
    year, m = month
    first = date(year, m, 1)
    nxt = date(year + 1, 1, 1) if m == 12 else date(year, m + 1, 1)
    return datetime.combine(first, time(), tzinfo=tz), datetime.combine(nxt, time(), tzinfo=tz)


def _previous_week(week: tuple[int, int]) -> tuple[int, int]:
    iso = (date.fromisocalendar(week[0], week[1], 1) - timedelta(days=7)).isocalendar()
    return iso[0], iso[1]


def _previous_month(month: tuple[int, int]) -> tuple[int, int]:
    return (month[0] - 1, 12) if month[1] == 1 else (month[0], month[1] - 1)


def _activity(v: TicketView) -> Iterable[datetime]:
    yield v.opened_at
    for t in (v.first_response_at, v.resolved_at, v.closed_at, v.confirmed_at, v.rated_at):
        if t is not None:
            yield t
    for c in v.commands:
        yield c.at
    for g in v.grade_history:
        yield g.at
    for clock in v.clocks:
        if clock.stopped is not None:
            yield clock.stopped
        for e in clock.escalations:
            yield e.at


def report_periods(
    views: Iterable[TicketView], cfg: Config | None = None
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """ISO weeks and calendar months with any activity, sorted.

    Activity: a ticket opened, answered, resolved, closed, confirmed or rated, a staff
    command, a grade change, a clock stopping or a ladder step falling due. Periods are cut
    in ``cfg``'s time zone (the config's default zone when ``cfg`` is omitted).
    """
    tz = _zone(cfg)
    weeks: set[tuple[int, int]] = set()
    months: set[tuple[int, int]] = set()
    for v in views:
        for t in _activity(v):
            local = t.astimezone(tz)
            iso = local.isocalendar()
            weeks.add((iso[0], iso[1]))
            months.add((local.year, local.month))
    return sorted(weeks), sorted(months)


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


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _iso(t: datetime | None, tz: tzinfo) -> str | None:
    return t.astimezone(tz).isoformat() if t is not None else None


def _seconds(value: Any) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def _first_value(raw: Any) -> Any:
    if isinstance(raw, list | tuple | set | frozenset):
        items = sorted(raw, key=str) if isinstance(raw, set | frozenset) else list(raw)
        return items[0] if items else None
    return raw


def _hinted(identifier: str) -> bool:
    return any(h in identifier for h in DEPARTMENT_HINTS)


def _outcome(c: ClockView, now: datetime) -> str:
    """met / missed / late / pending, by the same rule the engine uses."""
    if c.stopped is not None and c.stopped <= now:
        return "met" if c.stopped <= c.due else "missed"
    return "late" if now >= c.due else "pending"


class _Ctx:
    """What one report run derives once from the config."""

    def __init__(
        self, cfg: Config, now: datetime, calendars: Mapping[str, CountingCalendar] | None
    ) -> None:
        self.cfg = cfg
        self.tz = cfg.tz
        self.now = now
        self.calendars = calendars_for(cfg) if calendars is None else calendars
        self.clock_by_id: dict[str, Clock] = {c.id: c for c in cfg.clocks}
        self.grade_ids = [g.id for g in cfg.grades]
        named = [c.id for c in cfg.clocks if _hinted(c.id)]
        self.dept_clocks = frozenset(named or [c.id for c in cfg.clocks if c.stop_by])
        stop_by = {r for c in cfg.clocks if c.id in self.dept_clocks for r in c.stop_by}
        self.dept_roles = [r for r in cfg.roles if _hinted(r) or r in stop_by]
        self.bot = cfg.bot.login
        sat = cfg.satisfaction
        self.scale = [s.score for s in sat.scale] if sat else []

    # -- keys: only ids from the config ever leave this module

    def grade_key(self, grade: str | None) -> str:
        if grade is None:
            return NONE
        return grade if grade in self.cfg.grade_rank else OTHER

    def named_key(self, value: str | None, ids: Iterable[str]) -> str:
        if value is None or value == "":
            return NONE
        return value if value in set(ids) else OTHER

    def fact_key(self, fact: str, raw: Any, *, roles: bool = False) -> str:
        """A fact's value as an id from the config (an option or a role), else ``other``."""
        value = _first_value(raw)
        if value is None or (isinstance(value, str) and not value.strip()):
            return NONE
        text = str(value).strip()
        if roles:
            for rid, role in self.cfg.roles.items():
                if text in (rid, role.name, role.name_en):
                    return rid
        field = self.cfg.fields.get(fact)
        if field is not None:
            for opt in field.options:
                if text in (opt.id, opt.name, opt.name_en):
                    return opt.id
        return OTHER

    # -- time

    def in_period(self, t: datetime | None, start: datetime, end: datetime) -> bool:
        return t is not None and start <= t < end and t <= self.now

    def business(
        self, clock_id: str | None, counting: str | None, a: datetime, b: datetime
    ) -> float:
        """Seconds between ``a`` and ``b`` on the clock's calendar; wall time if no clock."""
        if b <= a:
            return 0.0
        spec = self.clock_by_id.get(clock_id) if clock_id else None
        cal = self.calendars.get(spec.calendar) if spec is not None else None
        if spec is None or cal is None:
            return (b - a).total_seconds()
        return _seconds(cal.counted(a, b, counting or spec.counting))

    def governing(self, v: TicketView, triggers: Sequence[str]) -> ClockView | None:
        """The ticket's first round of the first configured clock stopped by ``triggers``."""
        for spec in self.cfg.clocks:
            if any(t in spec.stop for t in triggers):
                for c in v.clocks:
                    if c.id == spec.id:
                        return c
        return None

    # -- people

    def handlers(self, v: TicketView) -> tuple[str, ...]:
        people = sorted({a for a in v.assignees if a and a != self.bot})
        if people:
            return tuple(people)
        cmds = sorted(v.commands, key=lambda c: (c.at, c.comment_id))
        for c in cmds:
            if c.name == "resolve" and c.author != self.bot:
                return (c.author,)
        for c in cmds:
            if c.author != self.bot:
                return (c.author,)
        return ()

    def department(self, v: TicketView) -> str | None:
        raw = v.facts.get(DEPARTMENT_FACT)
        key = self.fact_key(DEPARTMENT_FACT, raw, roles=True)
        if key != NONE:
            return key
        roles_of = [
            [rid for rid, role in self.cfg.roles.items() if a in role.members]
            for a in sorted(v.assignees)
        ]
        for roles in roles_of:
            for rid in roles:
                if rid in self.dept_roles:
                    return rid
        for roles in roles_of:
            if roles:
                return roles[0]
        return None

    # -- satisfaction

    def penalty(self, score: int) -> int:
        sat = self.cfg.satisfaction
        return sat.penalties.get(score, 0) if sat else 0

    def satisfied(self, score: int) -> bool:
        sat = self.cfg.satisfaction
        return sat is not None and score >= sat.close_at_or_above

    def low(self, score: int) -> bool:
        sat = self.cfg.satisfaction
        return sat is not None and score <= sat.escalate_at_or_below


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


# ----------------------------------------------------------------------------- the roll-up


def _volume(views: Sequence[TicketView], ctx: _Ctx, start: datetime, end: datetime) -> Volume:
    cfg = ctx.cfg
    by_grade = dict.fromkeys(ctx.grade_ids, 0)
    by_category = dict.fromkeys((c.id for c in cfg.categories), 0)
    by_type = dict.fromkeys((t.id for t in cfg.types), 0)
    channel_field = cfg.fields.get(CHANNEL_FACT)
    by_channel = dict.fromkeys((o.id for o in channel_field.options), 0) if channel_field else {}
    opened = resolved = backlog = incidents = 0
    cut = min(end, ctx.now)
    for v in views:
        if v.is_incident:
            if ctx.in_period(v.opened_at, start, end):
                incidents += 1
            continue
        if ctx.in_period(v.resolved_at, start, end):
            resolved += 1
        if v.opened_at < cut and (v.resolved_at is None or v.resolved_at >= cut):
            backlog += 1
        if not ctx.in_period(v.opened_at, start, end):
            continue
        opened += 1
        for table, key in (
            (by_grade, ctx.grade_key(v.grade)),
            (by_category, ctx.named_key(v.category, by_category)),
            (by_type, ctx.named_key(v.type, by_type)),
            (by_channel, ctx.fact_key(CHANNEL_FACT, v.facts.get(CHANNEL_FACT))),
        ):
            table[key] = table.get(key, 0) + 1
    return Volume(
        opened, resolved, backlog, incidents,
        *(_settled(t) for t in (by_grade, by_category, by_type, by_channel)),
    )  # fmt: skip


def _settled(table: dict[str, int]) -> dict[str, int]:
    """Keys from the config in their order, then ``other`` and ``-`` (so input order never
    shows in the output)."""
    head = [k for k in table if k not in (OTHER, NONE)]
    return {k: table[k] for k in [*head, OTHER, NONE] if k in table}


def _due_rounds(
    views: Sequence[TicketView], ctx: _Ctx, start: datetime, end: datetime
) -> list[tuple[TicketView, ClockView, str]]:
    """Every clock round due in the period, with its outcome at ``now``."""
    out = []
    for v in views:
        for c in v.clocks:
            if start <= c.due < end:
                out.append((v, c, _outcome(c, ctx.now)))
    return out


def _attainment(outcomes: Iterable[str]) -> Attainment:
    counts = {"met": 0, "missed": 0, "late": 0, "pending": 0}
    for o in outcomes:
        counts[o] += 1
    done = counts["met"] + counts["missed"] + counts["late"]
    return Attainment(
        counts["met"], counts["missed"], counts["late"], counts["pending"],
        _pct(counts["met"], done),
    )  # fmt: skip


def _attainments(
    rounds: list[tuple[TicketView, ClockView, str]], ctx: _Ctx
) -> tuple[dict[str, ClockAttainment], Attainment]:
    ids = [c.id for c in ctx.cfg.clocks]
    ids += sorted({c.id for _, c, _ in rounds} - set(ids))
    out: dict[str, ClockAttainment] = {}
    for cid in ids:
        mine = [(v, o) for v, c, o in rounds if c.id == cid]
        grades = [*ctx.grade_ids]
        extra = sorted({ctx.grade_key(v.grade) for v, _ in mine} - set(grades))
        by_grade = {
            g: _attainment(o for v, o in mine if ctx.grade_key(v.grade) == g)
            for g in [*grades, *extra]
        }
        out[cid] = ClockAttainment(_attainment(o for _, o in mine), by_grade)
    return out, _attainment(o for _, _, o in rounds)


def _intervals(
    v: TicketView, ctx: _Ctx
) -> dict[str, tuple[datetime, datetime, str | None, str | None]]:
    """measure -> (start, end, governing clock id, counting)."""
    out: dict[str, tuple[datetime, datetime, str | None, str | None]] = {}
    if v.first_response_at is not None:
        c = ctx.governing(v, RESPOND_TRIGGERS)
        out["respond"] = (
            v.opened_at, v.first_response_at, c.id if c else None, c.counting if c else None
        )  # fmt: skip
    plan_clock = v.clock(PLAN) or ctx.governing(v, ("command:plan",))
    if plan_clock is not None and plan_clock.stopped is not None:
        out["plan"] = (
            plan_clock.started, plan_clock.stopped, plan_clock.id, plan_clock.counting
        )  # fmt: skip
    else:
        plans = sorted(c.at for c in v.commands if c.name == PLAN)
        if plans:
            c = ctx.governing(v, ("command:plan",))
            out["plan"] = (v.opened_at, plans[0], c.id if c else None, c.counting if c else None)
    if v.resolved_at is not None:
        c = ctx.governing(v, ("resolved",))
        out["resolve"] = (
            v.opened_at, v.resolved_at, c.id if c else None, c.counting if c else None
        )  # fmt: skip
    return out


def _timings(
    views: Sequence[TicketView], ctx: _Ctx, start: datetime, end: datetime
) -> dict[str, TimingFigures]:
    samples: dict[str, list[tuple[str, float, float]]] = {m: [] for m in MEASURES}
    for v in views:
        for measure, (a, b, clock_id, counting) in _intervals(v, ctx).items():
            if not ctx.in_period(b, start, end):
                continue
            wall = max((b - a).total_seconds(), 0.0)
            busy = ctx.business(clock_id, counting, a, b)
            samples[measure].append((ctx.grade_key(v.grade), wall, busy))
    out: dict[str, TimingFigures] = {}
    for measure, rows in samples.items():
        grades = [*ctx.grade_ids, *sorted({g for g, _, _ in rows} - set(ctx.grade_ids))]

        def timing(sel: list[tuple[str, float, float]]) -> Timing:
            return Timing(_spread([w for _, w, _ in sel]), _spread([b for _, _, b in sel]))

        out[measure] = TimingFigures(
            timing(rows), {g: timing([r for r in rows if r[0] == g]) for g in grades}
        )
    return out


def _breaches(
    views: Sequence[TicketView],
    rounds: list[tuple[TicketView, ClockView, str]],
    ctx: _Ctx,
    start: datetime,
    end: datetime,
) -> Breaches:
    clock_ids = [c.id for c in ctx.cfg.clocks]
    by_clock = dict.fromkeys(clock_ids, 0)
    count = 0
    for _, c, o in rounds:
        if o in ("missed", "late"):
            count += 1
            by_clock[c.id] = by_clock.get(c.id, 0) + 1
    esc_clock = dict.fromkeys(clock_ids, 0)
    steps: dict[int, int] = {}
    escalations = 0
    for v in views:
        for e in v.escalations:
            if ctx.in_period(e.at, start, end):
                escalations += 1
                esc_clock[e.clock] = esc_clock.get(e.clock, 0) + 1
                steps[e.step] = steps.get(e.step, 0) + 1
    by_step = {str(k + 1): steps[k] for k in sorted(steps)}

    def settled(table: dict[str, int]) -> dict[str, int]:
        return {k: table[k] for k in [*clock_ids, *sorted(set(table) - set(clock_ids))]}

    return Breaches(count, settled(by_clock), escalations, settled(esc_clock), by_step)


def _incidents(
    views: Sequence[TicketView], ctx: _Ctx, start: datetime, end: datetime
) -> tuple[IncidentRow, ...]:
    rows = []
    for v in views:
        if not v.is_incident or v.opened_at >= end or v.opened_at > ctx.now:
            continue
        if v.resolved_at is not None and v.resolved_at < start:
            continue
        resolved = v.resolved_at if v.resolved_at is not None and v.resolved_at <= ctx.now else None
        rows.append(
            IncidentRow(
                v.number,
                ctx.grade_key(v.first_grade) if v.first_grade else None,
                ctx.grade_key(v.grade) if v.grade else None,
                ctx.grade_key(v.final_grade) if v.final_grade else None,
                len(v.members),
                _iso(v.opened_at, ctx.tz) or "",
                _iso(resolved, ctx.tz),
            )
        )
    return tuple(sorted(rows, key=lambda r: r.number))


def _ratings(
    views: Sequence[TicketView], ctx: _Ctx, start: datetime, end: datetime
) -> list[TicketView]:
    """Tickets rated (on the scale) in the period."""
    return [
        v
        for v in views
        if v.rating is not None and v.rating in ctx.scale and ctx.in_period(v.rated_at, start, end)
    ]


def _satisfaction(rated: list[TicketView], ctx: _Ctx) -> SatisfactionFigures | None:
    if ctx.cfg.satisfaction is None:
        return None
    dist = {str(s): 0 for s in ctx.scale}
    low: list[FollowUp] = []
    for v in sorted(rated, key=lambda v: v.number):
        assert v.rating is not None and v.rated_at is not None
        dist[str(v.rating)] += 1
        if ctx.low(v.rating):
            after = sorted(
                (c for c in v.commands if c.name not in ("rate", "confirm")
                 and c.author != ctx.bot and v.rated_at <= c.at <= ctx.now),
                key=lambda c: (c.at, c.comment_id),
            )  # fmt: skip
            first = after[0] if after else None
            low.append(
                FollowUp(
                    v.number, v.rating, first is not None,
                    first.author if first else None, _iso(first.at, ctx.tz) if first else None,
                )
            )  # fmt: skip
    scores = [v.rating for v in rated if v.rating is not None]
    average = round(sum(scores) / len(scores), 2) if scores else None
    return SatisfactionFigures(
        len(scores), average, dist, tuple(low), sum(1 for f in low if f.followed_up)
    )


def _people(
    views: Sequence[TicketView],
    rounds: list[tuple[TicketView, ClockView, str]],
    rated: list[TicketView],
    ctx: _Ctx,
    start: datetime,
    end: datetime,
) -> tuple[tuple[AgentRow, ...], tuple[DepartmentRow, ...]]:
    configured = bool(ctx.cfg.satisfaction and ctx.cfg.satisfaction.penalties)
    agents: dict[str, dict[str, Any]] = {}
    depts: dict[str, dict[str, Any]] = {}

    def agent(login: str) -> dict[str, Any]:
        return agents.setdefault(login, {"handled": 0, "resolved": 0, "scores": [], "breaches": 0})

    def dept(key: str) -> dict[str, Any]:
        return depts.setdefault(
            key, {"received": 0, "resolved": 0, "due": 0, "met": 0, "scores": [], "breaches": 0}
        )

    handlers = {v.number: ctx.handlers(v) for v in views}
    departments = {v.number: ctx.department(v) for v in views}
    for v in views:
        for login in handlers[v.number]:
            if ctx.in_period(v.opened_at, start, end):
                agent(login)["handled"] += 1
            if ctx.in_period(v.resolved_at, start, end):
                agent(login)["resolved"] += 1
        d = departments[v.number]
        if d is not None and ctx.in_period(v.opened_at, start, end):
            row = dept(d)
            row["received"] += 1
            if v.resolved_at is not None and v.resolved_at <= ctx.now:
                row["resolved"] += 1
    for v in rated:
        for login in handlers[v.number]:
            agent(login)["scores"].append(v.rating)
        d = departments[v.number]
        if d is not None:
            dept(d)["scores"].append(v.rating)
    for v, c, o in rounds:
        breached = o in ("missed", "late")
        if breached:
            for login in handlers[v.number]:
                agent(login)["breaches"] += 1
        if c.id in ctx.dept_clocks and o != "pending":
            spec = ctx.clock_by_id.get(c.id)
            d = departments[v.number] or (spec.stop_by[0] if spec and spec.stop_by else None)
            if d is not None:
                row = dept(d)
                row["due"] += 1
                row["met"] += o == "met"
                row["breaches"] += breached

    def sat_parts(scores: list[int]) -> tuple[int, int, int]:
        return (
            sum(1 for s in scores if ctx.satisfied(s)),
            sum(1 for s in scores if ctx.low(s)),
            sum(ctx.penalty(s) for s in scores),
        )

    agent_rows = []
    for login in sorted(agents):
        a = agents[login]
        satisfied, low, points = sat_parts(a["scores"])
        scores = a["scores"]
        agent_rows.append(
            AgentRow(
                login, a["handled"], a["resolved"], len(scores),
                round(sum(scores) / len(scores), 2) if scores else None,
                satisfied, low, points, a["breaches"],
                merit(a["resolved"], satisfied, low, points, a["breaches"],
                      penalties_configured=configured),
            )
        )  # fmt: skip
    dept_rows = []
    for key in sorted(depts):
        d = depts[key]
        satisfied, low, points = sat_parts(d["scores"])
        dept_rows.append(
            DepartmentRow(
                key, d["received"], d["resolved"], _pct(d["resolved"], d["received"]),
                d["due"], d["met"], _pct(d["met"], d["due"]), len(d["scores"]),
                satisfied, low, points, d["breaches"],
                merit(d["resolved"], satisfied, low, points, d["breaches"],
                      penalties_configured=configured),
            )
        )  # fmt: skip
    return tuple(agent_rows), tuple(dept_rows)


def _best(rows: Sequence[AgentRow] | Sequence[DepartmentRow]) -> str | None:
    candidates = [
        (-r.score, r.login if isinstance(r, AgentRow) else r.id) for r in rows if r.resolved > 0
    ]
    return min(candidates)[1] if candidates else None


def _recurring(
    views: Sequence[TicketView], ctx: _Ctx, start: datetime, end: datetime
) -> tuple[tuple[RecurringProblem, ...], tuple[ReturnedTicket, ...]]:
    categories = [c.id for c in ctx.cfg.categories]
    groups: dict[tuple[str, str], list[int]] = {}
    for v in views:
        if v.is_incident or not ctx.in_period(v.opened_at, start, end):
            continue
        symptom = NONE
        for fact in SYMPTOM_FACTS:
            key = ctx.fact_key(fact, v.facts.get(fact))
            if key != NONE:
                symptom = key
                break
        groups.setdefault((ctx.named_key(v.category, categories), symptom), []).append(v.number)
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
        n = sum(1 for c in v.commands if c.name == "reopen" and ctx.in_period(c.at, start, end))
        if n:
            returned.append(ReturnedTicket(v.number, ctx.named_key(v.category, categories), n))
    returned.sort(key=lambda r: (-r.reopened, r.number))
    return tuple(recurring), tuple(returned)


def _roll_up(
    views: Sequence[TicketView],
    ctx: _Ctx,
    kind: str,
    period: tuple[int, int],
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    rounds = _due_rounds(views, ctx, start, end)
    attainment, overall = _attainments(rounds, ctx)
    rated = _ratings(views, ctx, start, end)
    agents, departments = _people(views, rounds, rated, ctx, start, end)
    recurring, returned = _recurring(views, ctx, start, end)
    volume = _volume(views, ctx, start, end)
    timings = _timings(views, ctx, start, end)
    breaches = _breaches(views, rounds, ctx, start, end)
    incidents = _incidents(views, ctx, start, end)
    satisfaction = _satisfaction(rated, ctx)
    label = f"{period[0]}-W{period[1]:02d}" if kind == "week" else f"{period[0]}-{period[1]:02d}"
    headline: dict[str, float | None] = {
        "opened": volume.opened,
        "resolved": volume.resolved,
        "backlog": volume.backlog,
        "attainment": overall.percent,
        "breaches": breaches.count,
        "escalations": breaches.escalations,
        "respond_median": timings["respond"].overall.business.median,
        "resolve_median": timings["resolve"].overall.business.median,
        "satisfaction": satisfaction.average if satisfaction else None,
        "incidents": len(incidents),
    }
    return {
        "kind": kind,
        "period": period,
        "label": label,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "as_of": ctx.now.astimezone(ctx.tz).isoformat(),
        "volume": volume,
        "attainment": attainment,
        "attainment_overall": overall,
        "timings": timings,
        "breaches": breaches,
        "incidents": incidents,
        "satisfaction": satisfaction,
        "departments": departments,
        "agents": agents,
        "best_agent": _best(agents),
        "best_department": _best(departments),
        "recurring": recurring,
        "returned": returned,
        "headline": headline,
    }


def _delta(
    now: dict[str, float | None], before: dict[str, float | None]
) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in HEADLINE:
        a, b = now.get(key), before.get(key)
        out[key] = None if a is None or b is None else round(a - b, 2)
    return out


def weekly_figures(
    views: Iterable[TicketView],
    cfg: Config,
    week: tuple[int, int],
    now: datetime,
    *,
    calendars: Mapping[str, CountingCalendar] | None = None,
) -> WeeklyFigures:
    """Every figure of ISO ``week`` as of ``now`` (see the module docstring for definitions).

    ``calendars`` defaults to :func:`tracker.calendar.calendars_for` of ``cfg``.
    """
    views = tuple(views)
    ctx = _Ctx(cfg, now, calendars)
    week = (int(week[0]), int(week[1]))
    current = _roll_up(views, ctx, "week", week, *week_bounds(week, ctx.tz))
    prev = _previous_week(week)
    before = _roll_up(views, ctx, "week", prev, *week_bounds(prev, ctx.tz))["headline"]
    return WeeklyFigures(**current, previous=before, delta=_delta(current["headline"], before))


def monthly_figures(
    views: Iterable[TicketView],
    cfg: Config,
    month: tuple[int, int],
    now: datetime,
    *,
    calendars: Mapping[str, CountingCalendar] | None = None,
) -> MonthlyFigures:
    """Every figure of calendar ``month`` as of ``now``, with the month's best agent and
    department (rule 001; see :func:`merit`)."""
    views = tuple(views)
    ctx = _Ctx(cfg, now, calendars)
    month = (int(month[0]), int(month[1]))
    current = _roll_up(views, ctx, "month", month, *month_bounds(month, ctx.tz))
    prev = _previous_month(month)
    before = _roll_up(views, ctx, "month", prev, *month_bounds(prev, ctx.tz))["headline"]
    return MonthlyFigures(**current, previous=before, delta=_delta(current["headline"], before))


# ----------------------------------------------------------------------------- markdown

STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "week_title": "{year} 年第 {week} 周服务周报",
        "month_title": "{year} 年 {month} 月服务月报",
        "period": "统计区间：{start} 至 {end}（{tz}），数据截至 {now}。",
        "summary": "概览",
        "figure": "指标",
        "this_week": "本周",
        "last_week": "上周",
        "this_month": "本月",
        "last_month": "上月",
        "change": "变化",
        "opened": "新建工单",
        "resolved": "已解决",
        "backlog": "未解决存量",
        "attainment": "SLA 达成率",
        "breaches": "超时",
        "escalations": "升级",
        "respond_median": "响应时间中位数（工作时间）",
        "resolve_median": "解决时间中位数（工作时间）",
        "satisfaction": "平均满意度",
        "incidents": "事件",
        "trend": "趋势",
        "trend_weeks": "近 {n} 周工单趋势",
        "trend_months": "近 {n} 个月工单趋势",
        "volume": "工单量",
        "by_grade": "按等级",
        "by_category": "按分类",
        "by_type": "按类型",
        "by_channel": "按渠道",
        "col_grade": "等级",
        "col_category": "分类",
        "col_type": "类型",
        "col_channel": "渠道",
        "count": "数量",
        "tickets_unit": "件",
        "sla": "SLA 达成",
        "clock": "时钟",
        "met": "达成",
        "missed": "超时完成",
        "late": "仍超时",
        "pending": "未到期",
        "rate": "达成率",
        "sla_chart": "各时钟到期结果",
        "sla_by_grade": "按等级的达成率",
        "timings": "处理时效",
        "measure": "环节",
        "respond": "首次响应",
        "plan": "方案",
        "resolve": "解决",
        "samples": "件数",
        "median_business": "中位数（工作时间）",
        "p90_business": "P90（工作时间）",
        "median_wall": "中位数（自然时间）",
        "p90_wall": "P90（自然时间）",
        "mean_business": "平均（工作时间）",
        "timings_by_grade": "按等级的平均时长（工作时间）",
        "total": "合计",
        "timings_note": "工作时间按各时钟的日历与计时方式计算；无对应时钟的工单按自然时间计。",
        "breaches_title": "超时与升级",
        "breach_count": "本期到期后超时的时钟共 {n} 个，升级 {m} 次。",
        "step": "第 {n} 级",
        "ladder_step": "升级级别",
        "incidents_title": "事件",
        "ticket": "工单",
        "first_grade": "初定等级",
        "grade": "当前等级",
        "final_grade": "最终等级",
        "members": "关联工单",
        "opened_at": "开始",
        "resolved_at": "恢复",
        "open": "处理中",
        "satisfaction_title": "满意度",
        "sat_summary": "本期评价 {n} 条，平均 {avg} 分。",
        "score": "评分",
        "ratings_unit": "条",
        "sat_chart": "满意度分布",
        "low_title": "低分回访",
        "low_summary": "低分评价 {n} 条，已跟进 {m} 条。",
        "followed": "已跟进",
        "by": "跟进人",
        "at": "时间",
        "yes": "是",
        "no": "否",
        "departments": "部门",
        "department": "部门",
        "received": "受理",
        "success_rate": "解决成功率",
        "timeliness": "响应及时率",
        "points": "得分",
        "agents": "坐席",
        "agent": "坐席",
        "handled": "受理",
        "ratings": "评价数",
        "avg_rating": "平均评分",
        "penalty": "扣分",
        "best_title": "本月最佳",
        "best_agent": "最佳坐席",
        "best_department": "最佳部门",
        "best_note": "得分 = 解决数 + 满意评价数 − 扣分（未设扣分规则时每条低分扣 1 分）− 超时数；"
        "同分按名称排序。",
        "nobody": "暂无",
        "recurring_title": "重复出现的问题",
        "category": "分类",
        "symptom": "现象",
        "returned_title": "重新打开的工单",
        "reopened": "重开次数",
        "none": "未填写",
        "other": "其他",
        "empty": "本期无数据。",
        "no_data": "无数据",
    },
    "en": {
        "week_title": "Service report, week {week} of {year}",
        "month_title": "Service report, {month_name} {year}",
        "period": "Period: {start} to {end} ({tz}), figures as of {now}.",
        "summary": "Summary",
        "figure": "Figure",
        "this_week": "This week",
        "last_week": "Last week",
        "this_month": "This month",
        "last_month": "Last month",
        "change": "Change",
        "opened": "Tickets opened",
        "resolved": "Resolved",
        "backlog": "Open backlog",
        "attainment": "SLA attainment",
        "breaches": "Breaches",
        "escalations": "Escalations",
        "respond_median": "Median time to respond (business)",
        "resolve_median": "Median time to resolve (business)",
        "satisfaction": "Average satisfaction",
        "incidents": "Incidents",
        "trend": "Trend",
        "trend_weeks": "Tickets over the last {n} weeks",
        "trend_months": "Tickets over the last {n} months",
        "volume": "Volume",
        "by_grade": "By grade",
        "by_category": "By category",
        "by_type": "By type",
        "by_channel": "By channel",
        "col_grade": "Grade",
        "col_category": "Category",
        "col_type": "Type",
        "col_channel": "Channel",
        "count": "Count",
        "tickets_unit": "",
        "sla": "SLA attainment",
        "clock": "Clock",
        "met": "Met",
        "missed": "Missed",
        "late": "Still late",
        "pending": "Not due yet",
        "rate": "Attainment",
        "sla_chart": "Clock outcomes",
        "sla_by_grade": "Attainment by grade",
        "timings": "Timings",
        "measure": "Step",
        "respond": "First response",
        "plan": "Plan",
        "resolve": "Resolution",
        "samples": "Tickets",
        "median_business": "Median (business)",
        "p90_business": "P90 (business)",
        "median_wall": "Median (wall)",
        "p90_wall": "P90 (wall)",
        "mean_business": "Mean (business)",
        "timings_by_grade": "Mean time by grade (business)",
        "total": "Total",
        "timings_note": "Business time follows each clock's calendar and counting mode; "
        "tickets without such a clock count wall time.",
        "breaches_title": "Breaches and escalations",
        "breach_count": "{n} clock rounds due this period ran late; {m} escalation steps fell due.",
        "step": "Step {n}",
        "ladder_step": "Ladder step",
        "incidents_title": "Incidents",
        "ticket": "Ticket",
        "first_grade": "First grade",
        "grade": "Grade",
        "final_grade": "Final grade",
        "members": "Linked tickets",
        "opened_at": "Opened",
        "resolved_at": "Resolved",
        "open": "open",
        "satisfaction_title": "Satisfaction",
        "sat_summary": "{n} ratings this period, average {avg}.",
        "score": "Score",
        "ratings_unit": "",
        "sat_chart": "Ratings",
        "low_title": "Low ratings",
        "low_summary": "{n} low ratings, {m} followed up.",
        "followed": "Followed up",
        "by": "By",
        "at": "At",
        "yes": "yes",
        "no": "no",
        "departments": "Departments",
        "department": "Department",
        "received": "Received",
        "success_rate": "Success rate",
        "timeliness": "Response timeliness",
        "points": "Score",
        "agents": "Agents",
        "agent": "Agent",
        "handled": "Handled",
        "ratings": "Ratings",
        "avg_rating": "Average rating",
        "penalty": "Penalty points",
        "best_title": "Best of the month",
        "best_agent": "Best agent",
        "best_department": "Best department",
        "best_note": "Score = resolved + satisfied ratings − penalty points (one per low rating "
        "when no penalties are set) − breaches; ties go to the first name.",
        "nobody": "none",
        "recurring_title": "Recurring problems",
        "category": "Category",
        "symptom": "Symptom",
        "returned_title": "Reopened tickets",
        "reopened": "Times reopened",
        "none": "not given",
        "other": "other",
        "empty": "Nothing this period.",
        "no_data": "no data",
    },
}

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|])")


def _md(text: object) -> str:
    """Text safe inside a Markdown table cell: HTML-escaped, Markdown syntax neutralised."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


class _Page:
    """Names and number formats for one locale."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.locale = cfg.locale if cfg.locale in STRINGS else "zh"
        self.s = STRINGS[self.locale]
        self.tz = cfg.tz

    def t(self, key: str, **fields: Any) -> str:
        return self.s[key].format(**fields) if fields else self.s[key]

    def special(self, key: str) -> str | None:
        if key == NONE:
            return self.s["none"]
        if key == OTHER:
            return self.s["other"]
        return None

    def grade(self, key: str | None) -> str:
        if key is None:
            return "—"
        g = self.cfg.grade_by_id.get(key)
        return g.label(self.locale) if g else self.special(key) or key

    def named(self, items: Iterable[Any], key: str) -> str:
        for item in items:
            if item.id == key:
                return item.label(self.locale)
        return self.special(key) or key

    def category(self, key: str) -> str:
        return self.named(self.cfg.categories, key)

    def type(self, key: str) -> str:
        return self.named(self.cfg.types, key)

    def option(self, fact: str, key: str) -> str:
        field = self.cfg.fields.get(fact)
        return self.named(field.options if field else (), key)

    def symptom(self, key: str) -> str:
        for fact in SYMPTOM_FACTS:
            field = self.cfg.fields.get(fact)
            if field and any(o.id == key for o in field.options):
                return self.option(fact, key)
        return self.special(key) or key

    def department(self, key: str) -> str:
        role = self.cfg.roles.get(key)
        if role is not None:
            return role.label(self.locale)
        return self.option(DEPARTMENT_FACT, key)

    def clock(self, key: str) -> str:
        return self.named(self.cfg.clocks, key)

    def span(self, seconds: float | None, *, signed: bool = False) -> str:
        if seconds is None:
            return "—"
        sign = ("+" if seconds > 0 else "-" if seconds < 0 else "") if signed else ""
        total = abs(seconds)
        zh = self.locale == "zh"
        if total < 60:
            secs = round(total)
            return f"{sign}{secs}{'秒' if zh else 's'}"
        minutes = round(total / 60)
        days, rest = divmod(minutes, 1440)
        hours, mins = divmod(rest, 60)
        units = ("天", "小时", "分") if zh else ("d", "h", "m")
        parts = [f"{n}{u}" for n, u in zip((days, hours, mins), units, strict=True) if n]
        return sign + ("" if zh else " ").join(parts or [f"0{units[2]}"])

    def when(self, iso: str | None) -> str:
        if iso is None:
            return self.s["open"]
        return datetime.fromisoformat(iso).astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    @staticmethod
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}%"

    @staticmethod
    def num(value: float | None, digits: int = 0) -> str:
        if value is None:
            return "—"
        return f"{value:.{digits}f}"

    def headline(self, key: str, value: float | None, *, delta: bool = False) -> str:
        """A headline figure, or its change (signed; no sign for no change)."""
        if value is None:
            return "—"
        if key in ("respond_median", "resolve_median"):
            return self.span(value, signed=delta)
        digits = {"attainment": 1, "satisfaction": 2}.get(key, 0)
        text = f"{abs(value) if delta else value:.{digits}f}"
        if delta and float(text) != 0:
            text = ("+" if value > 0 else "-") + text
        if key == "attainment":
            text += " pt" if delta else "%"
        return text


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    """A Markdown table; ``align`` has one letter per column (``l`` or ``r``)."""
    align = align or "l" + "r" * (len(headers) - 1)
    out = [
        "| " + " | ".join(_md(h) for h in headers) + " |",
        "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|",
    ]
    out += ["| " + " | ".join(cells) + " |" for cells in rows]
    return [*out, ""]


def _figure(svg: str) -> list[str]:
    """An inline chart: a raw HTML block, kept apart from Markdown by blank lines."""
    return ['<figure class="report-chart">', svg, "</figure>", ""]


def _trend(
    views: Sequence[TicketView], cfg: Config, kind: str, period: tuple[int, int], now: datetime
) -> tuple[list[str], list[int], list[int], list[int]]:
    """Opened, resolved and breached counts over the periods leading up to ``period``."""
    ctx = _Ctx(cfg, now, {})
    periods = [period]
    for _ in range((TREND_WEEKS if kind == "week" else TREND_MONTHS) - 1):
        periods.insert(
            0, _previous_week(periods[0]) if kind == "week" else _previous_month(periods[0])
        )
    labels, opened, resolved, breached = [], [], [], []
    for p in periods:
        start, end = week_bounds(p, ctx.tz) if kind == "week" else month_bounds(p, ctx.tz)
        labels.append(f"W{p[1]:02d}" if kind == "week" else f"{p[0]}-{p[1]:02d}")
        opened.append(
            sum(1 for v in views if not v.is_incident and ctx.in_period(v.opened_at, start, end))
        )
        resolved.append(
            sum(1 for v in views if not v.is_incident and ctx.in_period(v.resolved_at, start, end))
        )
        breached.append(
            sum(1 for _, _, o in _due_rounds(views, ctx, start, end) if o in ("missed", "late"))
        )
    return labels, opened, resolved, breached


def _render(fig: Figures, cfg: Config, views: Sequence[TicketView], now: datetime) -> str:
    """The whole page: front matter, then one section after another."""
    pg = _Page(cfg)
    out = _front(fig, pg, now)
    for section in (
        _summary_section,
        _volume_section,
        _sla_section,
        _timings_section,
        _breaches_section,
        _incidents_section,
        _satisfaction_section,
        _people_section,
        _recurring_section,
    ):
        out += section(fig, pg)
        if section is _summary_section:
            out += _trend_section(fig, pg, views, now)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _front(fig: Figures, pg: _Page, now: datetime) -> list[str]:
    t = pg.t
    year, num = fig.period
    if fig.kind == "week":
        title = t("week_title", year=year, week=num)
    else:
        title = t("month_title", year=year, month=num, month_name=MONTH_NAMES[num - 1])
    start = datetime.fromisoformat(fig.start)
    last_day = (datetime.fromisoformat(fig.end) - timedelta(days=1)).date()
    page_date = min(last_day, now.astimezone(pg.tz).date())
    period = t(
        "period",
        start=start.date().isoformat(),
        end=last_day.isoformat(),
        tz=pg.cfg.timezone,
        now=now.astimezone(pg.tz).strftime("%Y-%m-%d %H:%M"),
    )
    return [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"date: {page_date.isoformat()}",
        "---",
        "",
        f"# {_md(title)}",
        "",
        _md(period),
        "",
    ]


def _summary_section(fig: Figures, pg: _Page) -> list[str]:
    t = pg.t
    rows = [
        [
            _md(t(key)),
            _md(pg.headline(key, fig.headline.get(key))),
            _md(pg.headline(key, fig.previous.get(key))),
            _md(pg.headline(key, fig.delta.get(key), delta=True)),
        ]
        for key in HEADLINE
        if key != "satisfaction" or fig.satisfaction is not None
    ]
    weekly = fig.kind == "week"
    now_col, prev_col = ("this_week", "last_week") if weekly else ("this_month", "last_month")
    return [
        f"## {t('summary')}",
        "",
        *_table([t("figure"), t(now_col), t(prev_col), t("change")], rows),
    ]


def _trend_section(
    fig: Figures, pg: _Page, views: Sequence[TicketView], now: datetime
) -> list[str]:
    t = pg.t
    labels, opened, resolved, breached = _trend(views, pg.cfg, fig.kind, fig.period, now)
    title = t("trend_weeks", n=TREND_WEEKS) if fig.kind == "week" else t("trend_months", n=TREND_MONTHS)
    chart = line_chart(
        labels,
        [(t("opened"), opened), (t("resolved"), resolved), (t("breaches"), breached)],
        title=title,
        empty=t("no_data"),
    )
    return [f"## {t('trend')}", "", *_figure(chart)]


def _volume_section(fig: Figures, pg: _Page) -> list[str]:
    t = pg.t
    vol = fig.volume
    out = [f"## {t('volume')}", ""]
    for heading, table, name in (
        ("by_grade", vol.by_grade, pg.grade),
        ("by_category", vol.by_category, pg.category),
        ("by_type", vol.by_type, pg.type),
        ("by_channel", vol.by_channel, lambda k: pg.option(CHANNEL_FACT, k)),
    ):
        if not table:
            continue
        out += [f"### {t(heading)}", ""]
        out += _table(
            [t("col_" + heading.removeprefix("by_")), t("count")],
            [[_md(name(k)), str(n)] for k, n in table.items()],
        )
        if heading in ("by_grade", "by_category") and vol.opened:
            chart = bar_chart(
                [(name(k), n) for k, n in table.items()],
                title=f"{t('volume')} · {t(heading)}",
                unit=t("tickets_unit"),
                empty=t("no_data"),
            )
            out += _figure(chart)
    return out


def _sla_section(fig: Figures, pg: _Page) -> list[str]:
    t = pg.t
    out = [f"## {t('sla')}", ""]
    clocks = list(fig.attainment.items())
    if not clocks:
        return [*out, t("empty"), ""]

    def row(name: str, o: Attainment) -> list[str]:
        counts = (o.met, o.missed, o.late, o.pending)
        return [name, *(str(n) for n in counts), pg.pct(o.percent)]

    rows = [row(_md(pg.clock(cid)), a.overall) for cid, a in clocks]
    rows.append(row(f"**{_md(t('total'))}**", fig.attainment_overall))
    out += _table([t("clock"), t("met"), t("missed"), t("late"), t("pending"), t("rate")], rows)
    if not any(a.overall.met + a.overall.missed + a.overall.late for _, a in clocks):
        return out
    chart = stacked_bar_chart(
        [pg.clock(cid) for cid, _ in clocks],
        [
            (t("met"), [a.overall.met for _, a in clocks]),
            (t("missed"), [a.overall.missed for _, a in clocks]),
            (t("late"), [a.overall.late for _, a in clocks]),
        ],
        title=t("sla_chart"),
        colors=("#59a14f", "#e15759", "#f28e2b"),
        empty=t("no_data"),
    )
    out += _figure(chart)
    grades = list(dict.fromkeys(g for _, a in clocks for g in a.by_grade))
    out += [f"### {t('sla_by_grade')}", ""]
    out += _table(
        [t("clock"), *(pg.grade(g) for g in grades)],
        [
            [_md(pg.clock(cid)), *(_grade_cell(a.by_grade.get(g), pg) for g in grades)]
            for cid, a in clocks
        ],
    )
    return out


def _timings_section(fig: Figures, pg: _Page) -> list[str]:
    t = pg.t
    rows = []
    for m in MEASURES:
        tm = fig.timings[m].overall
        spans = (tm.business.median, tm.business.p90, tm.wall.median, tm.wall.p90)
        rows.append([_md(t(m)), str(tm.business.count), *(_md(pg.span(x)) for x in spans)])
    headers = [
        t("measure"), t("samples"), t("median_business"), t("p90_business"),
        t("median_wall"), t("p90_wall"),
    ]  # fmt: skip
    out = [f"## {t('timings')}", "", *_table(headers, rows), _md(t("timings_note")), ""]

    def mean(m: str, g: str) -> str:
        row = fig.timings[m].by_grade.get(g)
        return _md(pg.span(row.business.mean)) if row is not None else "—"

    grades = [
        g
        for g in dict.fromkeys(g for m in MEASURES for g in fig.timings[m].by_grade)
        if any(m_g.business.count for m in MEASURES if (m_g := fig.timings[m].by_grade.get(g)))
    ]
    if grades:
        out += [f"### {t('timings_by_grade')}", ""]
        out += _table(
            [t("col_grade"), *(t(m) for m in MEASURES)],
            [[_md(pg.grade(g)), *(mean(m, g) for m in MEASURES)] for g in grades],
        )
    return out


def _breaches_section(fig: Figures, pg: _Page) -> list[str]:
    t = pg.t
    br = fig.breaches
    out = [f"## {t('breaches_title')}", "", _md(t("breach_count", n=br.count, m=br.escalations))]
    out.append("")
    if br.count or br.escalations:
        ids = list(dict.fromkeys([*br.by_clock, *br.escalations_by_clock]))
        out += _table(
            [t("clock"), t("breaches"), t("escalations")],
            [
                [
                    _md(pg.clock(c)),
                    str(br.by_clock.get(c, 0)),
                    str(br.escalations_by_clock.get(c, 0)),
                ]
                for c in ids
            ],
        )
    if br.escalations_by_step:
        out += _table(
            [t("ladder_step"), t("escalations")],
            [[_md(t("step", n=k)), str(n)] for k, n in br.escalations_by_step.items()],
        )
    return out


def _incidents_section(fig: Figures, pg: _Page) -> list[str]:
    t = pg.t
    out = [f"## {t('incidents_title')}", ""]
    if not fig.incidents:
        return [*out, t("empty"), ""]
    headers = [
        t("ticket"), t("first_grade"), t("final_grade"), t("grade"), t("members"),
        t("opened_at"), t("resolved_at"),
    ]  # fmt: skip
    rows = [
        [
            f"\\#{i.number}",
            *(_md(pg.grade(g)) for g in (i.first_grade, i.final_grade, i.grade)),
            str(i.members),
            _md(pg.when(i.opened_at)),
            _md(pg.when(i.resolved_at)),
        ]
        for i in fig.incidents
    ]
    return out + _table(headers, rows, "llllrll")


def _satisfaction_section(fig: Figures, pg: _Page) -> list[str]:
    t = pg.t
    sat, scale = fig.satisfaction, pg.cfg.satisfaction
    if sat is None or scale is None:
        return []
    avg = "—" if sat.average is None else f"{sat.average:.2f}"
    out = [f"## {t('satisfaction_title')}", "", _md(t("sat_summary", n=sat.count, avg=avg)), ""]
    names = {
        str(s.score): f"{s.name_en if pg.locale == 'en' and s.name_en else s.name} ({s.score})"
        for s in scale.scale
    }
    out += _table(
        [t("score"), t("count")],
        [[_md(names.get(k, k)), str(n)] for k, n in sat.distribution.items()],
    )
    if sat.count:
        chart = bar_chart(
            [(names.get(k, k), n) for k, n in sat.distribution.items()],
            title=t("sat_chart"),
            unit=t("ratings_unit"),
            color="#59a14f",
            empty=t("no_data"),
        )
        out += _figure(chart)
    if sat.low:
        out += [f"### {t('low_title')}", ""]
        out += [_md(t("low_summary", n=len(sat.low), m=sat.followed_up)), ""]
        rows = [
            [
                f"\\#{f.number}",
                str(f.rating),
                t("yes") if f.followed_up else t("no"),
                _md(f.by or "—"),
                _md(pg.when(f.at) if f.at else "—"),
            ]
            for f in sat.low
        ]
        out += _table([t("ticket"), t("score"), t("followed"), t("by"), t("at")], rows, "lrlll")
    return out


def _people_section(fig: Figures, pg: _Page) -> list[str]:
    t = pg.t
    out = [f"## {t('departments')}", ""]
    if fig.departments:
        headers = [
            t("department"), t("received"), t("resolved"), t("success_rate"), t("timeliness"),
            t("breaches"), t("points"),
        ]  # fmt: skip
        rows = [
            [
                _md(pg.department(d.id)), str(d.received), str(d.resolved),
                pg.pct(d.success_rate), pg.pct(d.timeliness), str(d.breaches), str(d.score),
            ]
            for d in fig.departments
        ]  # fmt: skip
        out += _table(headers, rows)
    else:
        out += [t("empty"), ""]
    out += [f"## {t('agents')}", ""]
    if fig.agents:
        headers = [
            t("agent"), t("handled"), t("resolved"), t("ratings"), t("avg_rating"),
            t("penalty"), t("breaches"), t("points"),
        ]  # fmt: skip
        rows = [
            [
                _md(a.login), str(a.handled), str(a.resolved), str(a.ratings),
                pg.num(a.average_rating, 2), str(a.penalty_points), str(a.breaches), str(a.score),
            ]
            for a in fig.agents
        ]  # fmt: skip
        out += _table(headers, rows)
    else:
        out += [t("empty"), ""]
    if fig.kind == "month":
        best_dept = pg.department(fig.best_department) if fig.best_department else t("nobody")
        out += [f"## {t('best_title')}", ""]
        out += _table(
            ["", ""],
            [
                [_md(t("best_agent")), _md(fig.best_agent or t("nobody"))],
                [_md(t("best_department")), _md(best_dept)],
            ],
            "ll",
        )
        out += [_md(t("best_note")), ""]
    return out


def _recurring_section(fig: Figures, pg: _Page) -> list[str]:
    t = pg.t
    out = [f"## {t('recurring_title')}", ""]
    if fig.recurring:
        rows = [
            [
                _md(pg.category(r.category)),
                _md(pg.symptom(r.symptom)),
                str(r.count),
                ", ".join(f"\\#{n}" for n in r.tickets),
            ]
            for r in fig.recurring
        ]
        out += _table([t("category"), t("symptom"), t("count"), t("ticket")], rows, "llrl")
    else:
        out += [t("empty"), ""]
    if fig.returned:
        out += [f"### {t('returned_title')}", ""]
        out += _table(
            [t("ticket"), t("category"), t("reopened")],
            [
                [f"\\#{r.number}", _md(pg.category(r.category)), str(r.reopened)]
                for r in fig.returned
            ],
            "llr",
        )
    return out


def _grade_cell(a: Attainment | None, pg: _Page) -> str:
    if a is None or a.met + a.missed + a.late == 0:
        return "—"
    return f"{a.met}/{a.met + a.missed + a.late} ({pg.pct(a.percent)})"


def weekly_report_markdown(
    views: Iterable[TicketView],
    cfg: Config,
    week: tuple[int, int],
    now: datetime,
    *,
    calendars: Mapping[str, CountingCalendar] | None = None,
) -> str:
    """The weekly report page: front matter, tables and inline SVG charts.

    Chinese by default, English when ``cfg.locale == "en"``. Only ids and names from the
    config, logins and ticket numbers appear; no text written in a ticket does.
    """
    views = tuple(views)
    fig = weekly_figures(views, cfg, week, now, calendars=calendars)
    return _render(fig, cfg, views, now)


def monthly_report_markdown(
    views: Iterable[TicketView],
    cfg: Config,
    month: tuple[int, int],
    now: datetime,
    *,
    calendars: Mapping[str, CountingCalendar] | None = None,
) -> str:
    """The monthly report page, with the month's best agent and department."""
    views = tuple(views)
    fig = monthly_figures(views, cfg, month, now, calendars=calendars)
    return _render(fig, cfg, views, now)
