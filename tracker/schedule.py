"""The grader's schedule: cron lines (UTC) over manned time only, as dense as the minutes allow.

No clock moves in unmanned time, so a scheduled run then could only find new tickets, which
their own issue events already bring. The schedule therefore covers, for each weekday, every
UTC hour that holds working or manned off time of any calendar in the policy, plus one run
just after each manned period begins (what fell due while the desk was closed is escalated
when it opens). Holidays cannot be written in cron: a run on one finds nothing due.

- A weekday that can follow both schedules (``official: cn``, listed holidays or make-up
  days falling on it) is covered for both.
- A zone with daylight saving is covered at each of its offsets.
- The interval is the shortest of :data:`STEPS` whose runs fit ``github.schedule_share`` of
  ``github.minutes_per_month`` (the rest is left to openings, the timer and site builds);
  GitHub bills each run as at least one minute.
- No run is at a minute divisible by five: GitHub delays scheduled runs most at the top of
  the hour and at the other round minutes everyone picks.

Pure: plain data in, plain data out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tracker.calendar import day_pieces
from tracker.config import CalendarSpec, Config, DaySchedule

WEEK = 7 * 1440  # minutes; minute 0 is Monday 00:00
MONTH_DAYS = 30
STEPS = (5, 10, 15, 20, 30, 60, 120, 180, 240, 360)  # minutes between runs in manned time
SCHEDULE_SHARE = 0.65  # of the month's minutes (github.schedule_share); the rest for openings, the timer, sites
GRID_MINUTE = 7  # the interval's runs fall at 7, 7 + step, … past the hour
_DOW_NAMES = "0123456"  # cron: 0 is Sunday

Span = tuple[int, int]  # minutes of the week, start < end


@dataclass(frozen=True, slots=True)
class Schedule:
    lines: tuple[str, ...]  # cron lines, UTC
    step: int  # minutes between runs in manned time
    manned_hours_per_week: int  # UTC hours the schedule covers
    runs_per_week: int
    runs_per_month: int  # in a 30-day month
    minutes_per_month: int  # each run billed as one minute
    budget: int  # the schedule's share of github.minutes_per_month
    fits: bool  # runs_per_month within the budget (False only when even the longest step is too dense)


def _schedules(spec: CalendarSpec, weekday: int) -> list[DaySchedule]:
    """The day schedules a date falling on ISO ``weekday`` can follow under ``spec``."""
    cn = spec.official == "cn"
    usual_work = weekday in spec.workdays
    can_rest = not usual_work or cn or any(d.isoweekday() == weekday for d in spec.holidays)
    can_work = usual_work or cn or any(d.isoweekday() == weekday for d in spec.makeup_workdays)
    return [s for s, ok in ((spec.workday, can_work), (spec.restday, can_rest)) if ok]


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def manned_week(calendars: Mapping[str, CalendarSpec]) -> list[Span]:
    """Local manned time of every calendar, as merged spans of a week (minute 0: Monday 00:00)."""
    spans: list[Span] = []
    for spec in calendars.values():
        for weekday in range(1, 8):
            base = (weekday - 1) * 1440
            for schedule in _schedules(spec, weekday):
                spans.extend((base + lo, base + hi) for lo, hi, _state in day_pieces(schedule))
    return _merge(spans)


def period_starts(week: list[Span]) -> list[int]:
    """Where manned periods begin (minutes of the week); a span running on from the week's end is not one."""
    if week == [(0, WEEK)]:
        return []
    wraps = bool(week) and week[-1][1] == WEEK
    return [start for start, _end in week if not (start == 0 and wraps)]


def zone_offsets(tz: ZoneInfo, year: int = 2026) -> list[int]:
    """Every UTC offset (minutes) the zone uses in ``year``."""
    first = date(year, 1, 1)
    found: set[int] = set()
    for i in range(0, 366, 7):
        moment = datetime.combine(first + timedelta(days=i), datetime.min.time(), tz)
        found.add(round((moment.utcoffset() or timedelta(0)).total_seconds() / 60))
    return sorted(found)


def _shift(spans: list[Span], offset: int) -> list[Span]:
    out: list[Span] = []
    for start, end in spans:
        lo, hi = start - offset, end - offset
        if lo < 0:
            out.extend([(lo + WEEK, WEEK), (0, hi)] if hi > 0 else [(lo + WEEK, hi + WEEK)])
        elif hi > WEEK:
            out.extend([(lo, WEEK), (0, hi - WEEK)] if lo < WEEK else [(lo - WEEK, hi - WEEK)])
        else:
            out.append((lo, hi))
    return [(a, b) for a, b in out if a < b]


def _off_peak(minute: int) -> int:
    """The first minute from ``minute + 3`` that is not divisible by five."""
    m = minute + 3
    return m if m % 5 else m + 1


def _slots(hours: set[int], starts: set[int], step: int) -> tuple[set[int], set[int]]:
    grid: set[int] = set()
    for hour in hours:
        if step <= 60:
            grid.update(hour * 60 + m for m in range(GRID_MINUTE % step, 60, step))
        elif (hour % 24) % (step // 60) == 0:
            grid.add(hour * 60 + GRID_MINUTE)
    return grid, {s for s in starts if s not in grid}


def _ranges(values: list[int]) -> str:
    parts: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if j == i else f"{values[i]}-{values[j]}")
        i = j + 1
    return ",".join(parts)


def _dows(days: set[int]) -> str:
    """ISO-indexed days of our week (0 = Monday) as cron's day-of-week field (0 = Sunday)."""
    return "*" if len(days) == 7 else _ranges(sorted((d + 1) % 7 for d in days))


def _lines(grid: set[int], starts: set[int], step: int) -> tuple[str, ...]:
    by_day: dict[int, set[int]] = defaultdict(set)
    minutes: set[int] = set()
    for slot in grid:
        by_day[slot // 1440].add(slot % 1440 // 60)
        minutes.add(slot % 60)
    same_hours: dict[tuple[int, ...], set[int]] = defaultdict(set)
    for day, hours in by_day.items():
        same_hours[tuple(sorted(hours))].add(day)
    minute_field = ",".join(str(m) for m in sorted(minutes))
    lines = [f"{minute_field} {'*' if len(hours) == 24 else _ranges(list(hours))} * * {_dows(days)}"
             for hours, days in sorted(same_hours.items(), key=lambda kv: (min(kv[1]), kv[0]))]  # fmt: skip
    at: dict[tuple[int, int], set[int]] = defaultdict(set)  # (minute, hour) -> days
    for slot in starts:
        at[(slot % 60, slot % 1440 // 60)].add(slot // 1440)
    grouped: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)  # (minute, days) -> hours
    for (minute, hour), days in at.items():
        grouped[(minute, tuple(sorted(days)))].append(hour)
    for (minute, days_t), hours_l in sorted(grouped.items(), key=lambda kv: (kv[0][1], min(kv[1]), kv[0][0])):
        lines.append(f"{minute} {_ranges(sorted(hours_l))} * * {_dows(set(days_t))}")
    return tuple(lines)


def grader_schedule(
    calendars: Mapping[str, CalendarSpec], tz: ZoneInfo, minutes_per_month: int, share: float = SCHEDULE_SHARE
) -> Schedule:
    """The grader's cron lines for these calendars in ``tz`` within ``share`` of
    ``minutes_per_month`` (0: minutes are free, so the densest schedule)."""
    local = manned_week(calendars)
    offsets = zone_offsets(tz)
    utc = _merge([s for off in offsets for s in _shift(local, off)])
    hours = {h for lo, hi in utc for h in range(lo // 60, -(-hi // 60))}
    starts = {_off_peak(s - off) % WEEK for off in offsets for s in period_starts(local)}
    budget = int(minutes_per_month * share)
    chosen = None
    for step in STEPS:
        grid, extra = _slots(hours, starts, step)
        runs_month = round((len(grid) + len(extra)) * MONTH_DAYS / 7)
        chosen = (step, grid, extra, runs_month)
        if runs_month <= budget or minutes_per_month == 0:
            break
    assert chosen is not None
    step, grid, extra, runs_month = chosen
    return Schedule(
        lines=_lines(grid, extra, step), step=step, manned_hours_per_week=len(hours),
        runs_per_week=len(grid) + len(extra), runs_per_month=runs_month, minutes_per_month=runs_month,
        budget=budget, fits=runs_month <= budget or minutes_per_month == 0,
    )  # fmt: skip


def schedule_for(cfg: Config) -> Schedule:
    """The grader's schedule for a policy."""
    return grader_schedule(cfg.calendars, cfg.tz, cfg.github.minutes_per_month, cfg.github.schedule_share)
