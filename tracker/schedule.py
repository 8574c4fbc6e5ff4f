"""The grader's schedule: cron lines (UTC) over manned time only, densest where clocks are shortest.

Only clocks that count wall time move in unmanned time, so a scheduled run then could mostly
find only new tickets, which their own issue events already bring. The schedule therefore
covers, for each weekday, every UTC hour that holds working or manned off time of any
calendar in the policy, the time after each manned period in which a short clock counting
wall time (at most ``github.timer_short_clock``) started before closing can fall due, and one
run just after each manned period begins (what fell due while the desk was closed is
escalated when it opens). Holidays cannot be written in cron: a run on one finds nothing due.

- A weekday that can follow both schedules (``official: cn``, listed holidays or make-up
  days falling on it) is covered for both; its density follows the schedule it usually
  follows, and an hour manned only on holidays or make-up days is run at most hourly (a
  make-up Saturday's office hours are run as often as a usual Saturday's, or hourly).
- A zone with daylight saving is covered at each of its offsets.
- Runs are spent where lateness hurts most. Each covered hour has a *shortest clock*: the
  shortest limit of any clock that counts then (a limit split by working and off hours
  takes the hour's own). An hour's interval is the first of :data:`STEPS` at least
  ``scale × √(shortest clock in minutes)``. The smallest scale whose runs fit
  ``github.schedule_share`` of ``github.minutes_per_month`` wins; GitHub bills each run
  as at least one minute. With one shortest clock everywhere this is the densest single
  interval that fits; where it varies, a 5-minute clock's hours are run about 2.5 times as
  often as a 30-minute clock's (minimising lateness measured in clock lengths for the
  minutes spent).
- No run is at a minute divisible by five: GitHub delays scheduled runs most at the top of
  the hour and at the other round minutes everyone picks.
- Where minutes are billed, the UTC hours of the week in which a short clock counts (at most
  ``github.timer_short_clock``) and the schedule runs less often than four wake slots span
  (:data:`~tracker.wake.SLOT_SPAN`, 20 minutes) are *slot hours*; every five minutes of their
  hours of the day gets a wake slot, one line each (``M H * * *``, :mod:`tracker.wake`), and
  the grading job runs on one only when the wake variable names it. Where runs come every 20
  minutes or more often, slots would buy little and spend what the timer uses better. No other
  line ends in ``* * *``: a line for every weekday names them ``0-6``.

Pure: plain data in, plain data out.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tracker.calendar import WORKING, day_pieces
from tracker.config import CalendarSpec, Clock, Config, DaySchedule, Split
from tracker.wake import SLOT_MINUTE, SLOT_SPAN, SLOT_STEP, slot_cron

WEEK = 7 * 1440  # minutes; minute 0 is Monday 00:00
MONTH_DAYS = 30
# Minutes between runs: multiples of five, so that every run stays off the round minutes.
STEPS = (5, 10, 15, 20, 25, 30, 40, 45, 60, 90, 120, 180, 240, 360)
SCHEDULE_SHARE = 0.65  # of the month's minutes (github.schedule_share); the rest for openings, the timer, sites
GRID_MINUTE = 7  # each UTC day's runs fall at minute 7 of the day, 7 + step, …
SHORT_CLOCK = 1800  # seconds: a clock this long or shorter is short (github.timer_short_clock)
RARE_STEP = 60  # minutes: the interval of hours manned only on holidays or make-up days, at the densest
_DOW_NAMES = "0123456"  # cron: 0 is Sunday

Span = tuple[int, int]  # minutes of the week, start < end


@dataclass(frozen=True, slots=True)
class Tier:
    """The hours a week run at one interval, and the shortest clock among them."""

    step: int  # minutes between runs
    hours: int  # UTC hours a week
    shortest: int  # minutes: the shortest clock that counts in those hours


@dataclass(frozen=True, slots=True)
class Schedule:
    lines: tuple[str, ...]  # cron lines, UTC
    slots: tuple[str, ...]  # the wake slots' cron lines (UTC), run only when the wake variable names them
    slot_hours: frozenset[int]  # the UTC hours of the week (0: Monday 00:00) in which slots are named
    tiers: tuple[Tier, ...]  # the intervals, densest first
    hour_steps: tuple[int, ...]  # each UTC hour of the week's interval (0: not covered); 0 is Monday 00:00
    manned_hours_per_week: int  # UTC hours the schedule covers
    runs_per_week: int
    runs_per_month: int  # in a 30-day month
    minutes_per_month: int  # each run billed as one minute
    budget: int  # the schedule's share of github.minutes_per_month
    fits: bool  # runs_per_month within the budget (False only when even the longest step is too dense)

    @property
    def slot_hours_a_day(self) -> int:
        """The UTC hours of the day that have wake slots."""
        return len({h % 24 for h in self.slot_hours})


def _schedules(spec: CalendarSpec, weekday: int, *, usual: bool = False) -> list[DaySchedule]:
    """The day schedules a date falling on ISO ``weekday`` can follow under ``spec`` (with
    ``usual``, only the one it follows when it is neither a holiday nor a make-up day)."""
    if usual:
        return [spec.workday if weekday in spec.workdays else spec.restday]
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


def manned_week(calendars: Mapping[str, CalendarSpec], *, usual: bool = False) -> list[Span]:
    """Local manned time of every calendar, as merged spans of a week (minute 0: Monday 00:00);
    with ``usual``, on days that are neither holidays nor make-up days only."""
    spans: list[Span] = []
    for spec in calendars.values():
        for weekday in range(1, 8):
            base = (weekday - 1) * 1440
            for schedule in _schedules(spec, weekday, usual=usual):
                spans.extend((base + lo, base + hi) for lo, hi, _state in day_pieces(schedule))
    return _merge(spans)


def period_starts(week: list[Span]) -> list[int]:
    """Where manned periods begin (minutes of the week); a span running on from the week's end is not one."""
    if week == [(0, WEEK)]:
        return []
    wraps = bool(week) and week[-1][1] == WEEK
    return [start for start, _end in week if not (start == 0 and wraps)]


def _limits(clock: Clock) -> Iterable[int | Split]:
    """A clock's limits: its one, or each grade's."""
    return clock.within.values() if isinstance(clock.within, dict) else (clock.within,)


def _minutes(limit: int | Split, working: bool) -> float:
    if isinstance(limit, Split):
        return (limit.working if working or not limit.off_hours else limit.off_hours) / 60
    return limit / 60


def after_closing(week: list[Span], clocks: Sequence[Clock], short: float) -> list[Span]:
    """The time after each manned period ends in which a clock counting wall time, at most
    ``short`` minutes long and started while the desk was manned, can still fall due."""
    elapsed = [_minutes(limit, False) for c in clocks if c.counting == "elapsed" for limit in _limits(c)]
    reach = max((m for m in elapsed if m <= short), default=0.0)
    if not reach or not week or week == [(0, WEEK)]:
        return []
    wraps = week[0][0] == 0 and week[-1][1] == WEEK
    out: list[Span] = []
    for _start, end in week:
        if end == WEEK and wraps:
            continue
        stop = end + math.ceil(reach)
        out.extend([(end, WEEK), (0, stop - WEEK)] if stop > WEEK else [(end, stop)])
    return _merge([(a, b) for a, b in out if a < b])


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


def _runs(steps: Mapping[int, int], starts: set[int]) -> tuple[set[int], set[int]]:
    """The runs of the week (minutes) for each hour's interval, and the period starts among no run."""
    grid: set[int] = set()
    for hour, step in steps.items():
        day, first = divmod(hour * 60, 1440)
        grid.update(day * 1440 + m for m in range(first, first + 60) if (m - GRID_MINUTE) % step == 0)
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
    """ISO-indexed days of our week (0 = Monday) as cron's day-of-week field (0 = Sunday);
    every day is ``0-6``, as only a wake slot's line ends in ``* * *``."""
    return "0-6" if len(days) == 7 else _ranges(sorted((d + 1) % 7 for d in days))


def _lines(grid: set[int], starts: set[int]) -> tuple[str, ...]:
    minutes_at: dict[tuple[int, int], set[int]] = defaultdict(set)  # (day, hour) -> minutes
    for slot in grid:
        minutes_at[(slot // 1440, slot % 1440 // 60)].add(slot % 60)
    hours_of: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)  # (day, minutes) -> hours
    for (day, hour), minutes in minutes_at.items():
        hours_of[(day, tuple(sorted(minutes)))].append(hour)
    days_of: dict[tuple[tuple[int, ...], tuple[int, ...]], set[int]] = defaultdict(set)  # (hours, minutes) -> days
    for (day, minutes_t), hours_l in hours_of.items():
        days_of[(tuple(sorted(hours_l)), minutes_t)].add(day)
    lines = [f"{','.join(map(str, minutes_t))} {'*' if len(hours) == 24 else _ranges(list(hours))} * * {_dows(days)}"
             for (hours, minutes_t), days in sorted(days_of.items(), key=lambda kv: (min(kv[1]), kv[0]))]  # fmt: skip
    at: dict[tuple[int, int], set[int]] = defaultdict(set)  # (minute, hour) -> days
    for slot in starts:
        at[(slot % 60, slot % 1440 // 60)].add(slot // 1440)
    grouped: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)  # (minute, days) -> hours
    for (minute, hour), days in at.items():
        grouped[(minute, tuple(sorted(days)))].append(hour)
    for (minute, days_t), hours_l in sorted(grouped.items(), key=lambda kv: (kv[0][1], min(kv[1]), kv[0][0])):
        lines.append(f"{minute} {_ranges(sorted(hours_l))} * * {_dows(set(days_t))}")
    return tuple(lines)


def _hour_states(spec: CalendarSpec) -> list[set[str]]:
    """The calendar states (working, off) some minute of each local hour of the week is in on
    a usual day (neither a holiday nor a make-up day)."""
    out: list[set[str]] = [set() for _ in range(WEEK // 60)]
    for weekday in range(1, 8):
        base = (weekday - 1) * 24
        for schedule in _schedules(spec, weekday, usual=True):
            for lo, hi, state in day_pieces(schedule):
                for hour in range(lo // 60, -(-hi // 60)):
                    out[base + hour].add(state)
    return out


def shortest_clocks(clocks: Sequence[Clock], calendars: Mapping[str, CalendarSpec]) -> list[float | None]:
    """For each local hour of the week (0: Monday 00:00-01:00), the shortest limit in minutes
    of any clock that counts then on a usual day (None: none does)."""
    states = {name: _hour_states(spec) for name, spec in calendars.items()}
    out: list[float | None] = []
    for hour in range(WEEK // 60):
        best: float | None = None
        for clock in clocks:
            here = states[clock.calendar][hour] if clock.calendar in states else set()
            if clock.counting == "working" and WORKING not in here:
                continue
            if clock.counting == "manned" and not here:
                continue
            for limit in _limits(clock):
                options = [_minutes(limit, True)] if WORKING in here else []
                if here - {WORKING} or not here:  # manned off time, or (elapsed) no manned time at all
                    options.append(_minutes(limit, False))
                best = min(options) if best is None else min(best, *options)
        out.append(best)
    return out


def _utc_hours(local: list[Span], offsets: list[int]) -> set[int]:
    """The UTC hours of the week that hold some of ``local`` at any of the zone's offsets."""
    utc = _merge([s for off in offsets for s in _shift(local, off)])
    return {h for lo, hi in utc for h in range(lo // 60, -(-hi // 60))}


def _utc_shortest(local: list[float | None], hours: set[int], offsets: list[int]) -> dict[int, float]:
    """The shortest clock of each covered UTC hour of the week, over every offset of the zone
    (an hour with no clock counting takes the longest shortest clock: runs there only find
    new tickets and incidents)."""
    known = [m for m in local if m is not None]
    fallback = max(known, default=60.0)
    out: dict[int, float] = {}
    for hour in hours:
        found: list[float] = []
        for off in offsets:
            lo = (hour * 60 + off) % WEEK
            for local_hour in {lo // 60, (lo + 59) % WEEK // 60}:
                value = local[local_hour]
                if value is not None:
                    found.append(value)
        out[hour] = min(found, default=fallback)
    return out


def _steps(shortest: Mapping[int, float], scale: float, rare: set[int]) -> dict[int, int]:
    """Each hour's interval: the first of :data:`STEPS` at least ``scale`` × √shortest clock;
    an hour manned only on holidays or make-up days (``rare``) at most every :data:`RARE_STEP`."""
    steps = {h: next((s for s in STEPS if s >= scale * math.sqrt(m) - 1e-9), STEPS[-1]) for h, m in shortest.items()}
    return {h: max(step, RARE_STEP) if h in rare else step for h, step in steps.items()}


def _tiers(steps: Mapping[int, int], shortest: Mapping[int, float]) -> tuple[Tier, ...]:
    by_step: dict[int, list[int]] = defaultdict(list)
    for hour, step in steps.items():
        by_step[step].append(hour)
    return tuple(
        Tier(step, len(hours_l), round(min(shortest[h] for h in hours_l))) for step, hours_l in sorted(by_step.items())
    )


def slot_hours(shortest: Mapping[int, float], steps: Mapping[int, int], short_clock: float) -> frozenset[int]:
    """The UTC hours of the week in which a clock at most ``short_clock`` seconds long counts and
    the schedule runs less often than :data:`~tracker.wake.SLOT_SPAN`."""
    return frozenset(h for h, m in shortest.items() if m * 60 <= short_clock and steps[h] * 60 > SLOT_SPAN)


def slot_lines(hours: Iterable[int]) -> tuple[str, ...]:
    """A wake slot's line for every five minutes of each UTC hour of the day among ``hours``
    (hours of the week)."""
    minutes = range(SLOT_MINUTE, 60, SLOT_STEP // 60)
    return tuple(slot_cron(h, m) for h in sorted({h % 24 for h in hours}) for m in minutes)


def grader_schedule(
    calendars: Mapping[str, CalendarSpec],
    tz: ZoneInfo,
    minutes_per_month: int,
    share: float = SCHEDULE_SHARE,
    clocks: Sequence[Clock] = (),
    short_clock: float = SHORT_CLOCK,
) -> Schedule:
    """The grader's cron lines for these calendars in ``tz`` within ``share`` of
    ``minutes_per_month`` (0: minutes are free, so the densest schedule), each hour's runs
    as dense as its shortest clock asks for (see the module's text)."""
    local = manned_week(calendars)
    offsets = zone_offsets(tz)
    manned = _utc_hours(local, offsets)
    hours = manned | _utc_hours(after_closing(local, clocks, short_clock / 60), offsets)
    rare = manned - _utc_hours(manned_week(calendars, usual=True), offsets)
    starts = {_off_peak(s - off) % WEEK for off in offsets for s in period_starts(local)}
    shortest = _utc_shortest(shortest_clocks(clocks, calendars), hours, offsets)
    budget = int(minutes_per_month * share)
    # The step an hour gets changes only where scale × √shortest crosses one of STEPS.
    scales = sorted({0.0, *(step / math.sqrt(m) for step in STEPS for m in set(shortest.values()))})
    chosen = None
    for scale in scales:
        steps = _steps(shortest, scale, rare)
        grid, extra = _runs(steps, starts)
        runs_month = round((len(grid) + len(extra)) * MONTH_DAYS / 7)
        chosen = (steps, grid, extra, runs_month)
        if runs_month <= budget or minutes_per_month == 0:
            break
    assert chosen is not None
    steps, grid, extra, runs_month = chosen
    slotted = slot_hours(shortest, steps, short_clock) if minutes_per_month else frozenset()
    return Schedule(
        lines=_lines(grid, extra), slots=slot_lines(slotted), slot_hours=slotted, tiers=_tiers(steps, shortest),
        hour_steps=tuple(steps.get(h, 0) for h in range(WEEK // 60)), manned_hours_per_week=len(manned),
        runs_per_week=len(grid) + len(extra), runs_per_month=runs_month, minutes_per_month=runs_month,
        budget=budget, fits=runs_month <= budget or minutes_per_month == 0,
    )  # fmt: skip


def schedule_for(cfg: Config) -> Schedule:
    """The grader's schedule for a policy."""
    runs = cfg.github
    return grader_schedule(
        cfg.calendars, cfg.tz, runs.minutes_per_month, runs.schedule_share, cfg.clocks, runs.timer_short_clock
    )
