"""Report periods: ISO weeks ``(iso_year, week)`` and calendar months ``(year, month)``.

Both are cut at local midnight in the policy's time zone (``cfg.tz``). Pure functions: no
clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

from tracker.config import Config
from tracker.views import TicketView

__all__ = [
    "Kind",
    "Period",
    "month_bounds",
    "period_bounds",
    "period_label",
    "previous_month",
    "previous_period",
    "previous_week",
    "report_periods",
    "week_bounds",
]

Kind = Literal["week", "month"]
Period = tuple[int, int]  # (iso_year, week) or (year, month)


def zone(cfg: Config | None) -> tzinfo:
    """``cfg``'s time zone, or the config's default zone when there is no config."""
    if cfg is not None:
        return cfg.tz
    return ZoneInfo(Config.model_fields["timezone"].default)


def week_bounds(week: Period, tz: tzinfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of an ISO week: Monday 00:00 to the next Monday 00:00, local time."""
    monday = date.fromisocalendar(week[0], week[1], 1)
    return (
        datetime.combine(monday, time(), tzinfo=tz),
        datetime.combine(monday + timedelta(days=7), time(), tzinfo=tz),
    )


def month_bounds(month: Period, tz: tzinfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of a calendar month, local time."""
    year, m = month
    first = date(year, m, 1)
    nxt = date(year + 1, 1, 1) if m == 12 else date(year, m + 1, 1)
    return datetime.combine(first, time(), tzinfo=tz), datetime.combine(nxt, time(), tzinfo=tz)


def period_bounds(kind: Kind, period: Period, tz: tzinfo) -> tuple[datetime, datetime]:
    return week_bounds(period, tz) if kind == "week" else month_bounds(period, tz)


def previous_week(week: Period) -> Period:
    iso = (date.fromisocalendar(week[0], week[1], 1) - timedelta(days=7)).isocalendar()
    return iso[0], iso[1]


def previous_month(month: Period) -> Period:
    return (month[0] - 1, 12) if month[1] == 1 else (month[0], month[1] - 1)


def previous_period(kind: Kind, period: Period) -> Period:
    return previous_week(period) if kind == "week" else previous_month(period)


def period_label(kind: Kind, period: Period) -> str:
    """``2024-W05`` or ``2024-03``: an identifier, the same in every locale."""
    return f"{period[0]}-W{period[1]:02d}" if kind == "week" else f"{period[0]}-{period[1]:02d}"


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
) -> tuple[list[Period], list[Period]]:
    """ISO weeks and calendar months with any activity, sorted.

    Activity: a ticket opened, answered, resolved, closed, confirmed or rated, a staff
    command, a grade change, a clock stopping or a ladder step falling due. Periods are cut
    in ``cfg``'s time zone (the config's default zone when ``cfg`` is omitted).
    """
    tz = zone(cfg)
    weeks: set[Period] = set()
    months: set[Period] = set()
    for v in views:
        for t in _activity(v):
            local = t.astimezone(tz)
            iso = local.isocalendar()
            weeks.add((iso[0], iso[1]))
            months.add((local.year, local.month))
    return sorted(weeks), sorted(months)
