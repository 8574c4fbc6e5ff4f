"""Business-calendar arithmetic for SLA clocks.

Every moment is in one of three states:

* ``"working"`` -- inside a working window of its local day,
* ``"off"`` -- manned off hours (inside a manned window),
* ``"unmanned"`` -- everything else; no clock runs then.

Windows are local wall-clock times. Which schedule a local date follows (the
``workday`` or the ``restday`` one) is decided by :meth:`BusinessCalendar.day_kind`:
the file's ``holidays`` first, then its ``makeup_workdays``, then (``official: cn``)
mainland China's published holidays and make-up working days, then the ISO weekdays
in ``workdays``. Years the official calendar has no data for fall back to the listed
dates plus weekdays, with one logged warning per calendar and year.

The engine works on UTC epoch seconds (``*_s`` methods). Each local date is turned
once into a few ``(start, end, state)`` intervals in epoch seconds and cached, so a
query is a handful of dictionary look-ups and comparisons. Daylight-saving days come
out naturally shorter or longer; a window edge at a local time that does not exist
(spring forward) maps to the instant the clocks jump, and an edge at a repeated local
time (fall back) maps to its first occurrence.

Counting modes for :meth:`BusinessCalendar.add_s` and :meth:`BusinessCalendar.counted_s`:

* ``"elapsed"`` -- the clock starts at the next manned moment, then runs on wall time,
* ``"manned"`` -- only working and manned off hours count,
* ``"working"`` -- only working hours count.

A working or manned result never lands strictly inside an uncounted gap: it is a
counted moment, or the end of the counted window in which the time ran out.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import chinese_calendar

from tracker.config import CalendarSpec, Config, Counting, DaySchedule
from tracker.errors import TrackerError

__all__ = [
    "BusinessCalendar",
    "Counting",
    "calendars_for",
    "day_pieces",
    "local_epoch",
    "merge_spans",
]

log = logging.getLogger("tracker.calendar")

DayKind = Literal["workday", "restday"]

WORKING = "working"
OFF = "off"
UNMANNED = "unmanned"

SEARCH_DAYS = 400  # days without any counted time before a search gives up
_MAX_DAYS = 40_000  # hard stop for a single walk (about a century)
_CACHE_LIMIT = 50_000  # cached local days before the cache is emptied
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY = 86400
_MANNED, _WORKING = 0, 1  # index into _Day.spans
_MODES: dict[str, int] = {"manned": _MANNED, "working": _WORKING}

Piece = tuple[int, int, str]  # (start, end, state): minutes of a local day, or epoch seconds
Spans = tuple[tuple[int, ...], tuple[int, ...], int]  # (starts, ends, total seconds)


# ----------------------------------------------------------------------------- building blocks


def day_pieces(schedule: DaySchedule) -> tuple[Piece, ...]:
    """A schedule's windows as sorted, non-overlapping ``(start_min, end_min, state)``.

    Working time wins where a working and a manned window overlap; touching windows of
    the same state are merged. Minutes outside every window are left out (unmanned).
    """
    edges = sorted({0, 1440, *(m for w in (*schedule.working, *schedule.manned) for m in w)})
    out: list[Piece] = []
    for lo, hi in pairwise(edges):
        if _covered(lo, hi, schedule.working):
            state = WORKING
        elif _covered(lo, hi, schedule.manned):
            state = OFF
        else:
            continue
        if out and out[-1][1] == lo and out[-1][2] == state:
            out[-1] = (out[-1][0], hi, state)
        else:
            out.append((lo, hi, state))
    return tuple(out)


def _covered(lo: int, hi: int, windows: Iterable[tuple[int, int]]) -> bool:
    return any(start <= lo and hi <= end for start, end in windows)


def merge_spans(pieces: Iterable[tuple[int, int]]) -> Spans:
    """Sorted epoch intervals -> (starts, ends, total seconds), touching ones merged."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end in pieces:
        if ends and ends[-1] == start:
            ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return tuple(starts), tuple(ends), sum(e - s for s, e in zip(starts, ends, strict=True))


def local_epoch(tz: ZoneInfo, day: date, minute: int) -> int:
    """Epoch second at which the local wall clock of ``tz`` first reads ``day`` + ``minute``.

    ``minute`` may be 1440 (the next midnight). A local time skipped by a clock change
    maps to the instant of the jump; a repeated one maps to its first occurrence.
    """
    if minute >= 1440:
        day, minute = day + timedelta(days=minute // 1440), minute % 1440
    naive = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    first = round(naive.replace(tzinfo=tz).timestamp())
    second = round(naive.replace(tzinfo=tz, fold=1).timestamp())
    if second >= first:  # ordinary, or repeated (fold=0 is the earlier one)
        return first
    # Skipped: the jump lies in (second, first]; find the first second whose wall
    # clock reads at least ``naive``.
    lo, hi = second, first
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi


class _Day:
    """One local date as epoch intervals."""

    __slots__ = ("end", "ends", "ordinal", "spans", "start", "starts", "states")

    def __init__(self, ordinal: int, start: int, end: int, pieces: list[Piece]) -> None:
        self.ordinal = ordinal
        self.start = start
        self.end = end
        self.starts = tuple(p[0] for p in pieces)
        self.ends = tuple(p[1] for p in pieces)
        self.states = tuple(p[2] for p in pieces)
        self.spans: tuple[Spans, Spans] = (
            merge_spans((s, e) for s, e, _ in pieces),
            merge_spans((s, e) for s, e, state in pieces if state == WORKING),
        )


# ----------------------------------------------------------------------------- the calendar


class BusinessCalendar:
    """Working, manned-off and unmanned time of one ``calendars:`` entry in one time zone."""

    def __init__(self, spec: CalendarSpec, tz: ZoneInfo, name: str = "default") -> None:
        self.spec = spec
        self.tz = tz
        self.name = name
        self._workdays = frozenset(spec.workdays)
        self._holidays = frozenset(spec.holidays)
        self._makeups = frozenset(spec.makeup_workdays)
        self._pieces: dict[str, tuple[Piece, ...]] = {
            "workday": day_pieces(spec.workday),
            "restday": day_pieces(spec.restday),
        }
        self._has = (
            any(self._pieces.values()),
            any(p[2] == WORKING for ps in self._pieces.values() for p in ps),
        )
        offset = tz.utcoffset(datetime(2000, 1, 1))
        self._guess = int(offset.total_seconds()) if offset is not None else 0
        self._days: dict[int, _Day] = {}
        self._last = _Day(0, 0, 0, [])  # the day last asked for by moment (none yet: empty)
        self._kinds: dict[date, DayKind] = {}
        self._warned: set[int] = set()

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.name!r}, {self.tz.key!r})"

    # -- which schedule a date follows

    def day_kind(self, d: date) -> DayKind:
        """``"workday"`` or ``"restday"``: which of the two schedules the local date uses."""
        kind = self._kinds.get(d)
        if kind is None:
            kind = self._kinds[d] = self._decide_kind(d)
        return kind

    def _decide_kind(self, d: date) -> DayKind:
        if d in self._holidays:
            return "restday"
        if d in self._makeups:
            return "workday"
        if self.spec.official == "cn":
            official = self._official_cn(d)
            if official is not None:
                return official
        return "workday" if d.isoweekday() in self._workdays else "restday"

    def _official_cn(self, d: date) -> DayKind | None:
        """China's published special days; ``None`` for an ordinary day or a year without data."""
        try:
            on_holiday, holiday_name = chinese_calendar.get_holiday_detail(d)
        except NotImplementedError:
            if d.year not in self._warned:
                self._warned.add(d.year)
                log.warning(
                    "calendar %r: the official calendar (cn) has no data for %d; "
                    "using the listed holidays and make-up workdays plus weekdays %s",
                    self.name,
                    d.year,
                    ",".join(str(w) for w in sorted(self._workdays)) or "(none)",
                )
            return None
        if holiday_name is None:  # an ordinary weekday or weekend: the file's weekdays decide
            return None
        return "restday" if on_holiday else "workday"

    # -- the per-day cache

    def _day(self, ordinal: int) -> _Day:
        day = self._days.get(ordinal)
        if day is None:
            day = self._fill(ordinal)
        return day

    def _fill(self, ordinal: int) -> _Day:
        if len(self._days) >= _CACHE_LIMIT:
            self._days.clear()
            self._kinds.clear()
        try:
            d = date.fromordinal(ordinal)
            start = local_epoch(self.tz, d, 0)
            end = local_epoch(self.tz, d, 1440)
            pieces: list[Piece] = []
            for lo, hi, state in self._pieces[self.day_kind(d)]:
                s, e = local_epoch(self.tz, d, lo), local_epoch(self.tz, d, hi)
                if e > s:  # a window entirely inside a skipped hour vanishes
                    pieces.append((s, e, state))
        except (ValueError, OverflowError):
            raise TrackerError(f"calendar {self.name!r}: date out of the supported range") from None
        day = self._days[ordinal] = _Day(ordinal, start, end, pieces)
        return day

    def _day_at(self, ts: float) -> _Day:
        """The local day containing epoch second ``ts``."""
        day = self._last
        if day.start <= ts < day.end:  # a clock's moments mostly fall on one day
            return day
        if not -1e12 < ts < 1e12:  # also refuses NaN
            raise TrackerError(f"calendar {self.name!r}: {ts!r} is not a usable timestamp")
        ordinal = int((ts + self._guess) // _DAY) + _EPOCH_ORDINAL
        day = self._day(ordinal)
        while ts < day.start:
            day = self._day(day.ordinal - 1)
        while ts >= day.end:
            day = self._day(day.ordinal + 1)
        self._last = day
        return day

    def _nothing_counted(self, what: str, ts: float) -> TrackerError:
        when = datetime.fromtimestamp(ts, self.tz).strftime("%Y-%m-%d %H:%M")
        return TrackerError(
            f"calendar {self.name!r} has no {what} hours within {SEARCH_DAYS} days after "
            f"{when} ({self.tz.key}); a clock counting them could never come due"
        )

    # -- epoch-second API

    def state_s(self, ts: float) -> str:
        """``"working"``, ``"off"`` or ``"unmanned"`` at epoch second ``ts``."""
        day = self._day_at(ts)
        i = bisect_right(day.starts, ts) - 1
        if i >= 0 and ts < day.ends[i]:
            return day.states[i]
        return UNMANNED

    def next_manned_s(self, ts: float) -> float:
        """``ts`` if it is manned (working or off), else the start of the next manned window."""
        return self._next_counted(ts, _MANNED)

    def _next_counted(self, ts: float, mode: int) -> float:
        if not self._has[mode]:
            raise self._nothing_counted("manned" if mode == _MANNED else "working", ts)
        day = self._day_at(ts)
        starts, ends, _ = day.spans[mode]
        for s, e in zip(starts, ends, strict=True):
            if e > ts:
                return float(s if s > ts else ts)
        for _ in range(SEARCH_DAYS):
            day = self._day(day.ordinal + 1)
            starts = day.spans[mode][0]
            if starts:
                return float(starts[0])
        raise self._nothing_counted("manned" if mode == _MANNED else "working", ts)

    def add_s(self, start: float, seconds: float, counting: Counting) -> float:
        """The epoch second at which ``seconds`` of ``counting`` time have run from ``start``.

        With ``seconds == 0`` this is the effective start: ``start`` itself when it is a
        counted moment, else the start of the next counted window. With ``seconds > 0``
        it is the earliest moment by which that much time has counted, so it may be the
        end of a counted window. Raises :class:`TrackerError` when the calendar has no
        counted time at all (within :data:`SEARCH_DAYS` days) for the mode.
        """
        if not 0 <= seconds < 1e12:  # also refuses NaN
            raise TrackerError(f"a clock cannot run for {seconds!r} seconds")
        if counting == "elapsed":
            return self._next_counted(start, _MANNED) + seconds
        mode = _mode(counting)
        if not self._has[mode]:
            raise self._nothing_counted(counting, start)
        day = self._day_at(start)
        rem = seconds
        starts, ends, _ = day.spans[mode]
        for s, e in zip(starts, ends, strict=True):
            if e > start:
                begin = max(s, start)
                if rem <= e - begin:
                    return float(begin + rem)
                rem -= e - begin
        idle = walked = 0
        while True:
            day = self._day(day.ordinal + 1)
            starts, ends, total = day.spans[mode]
            if rem > total or not total:  # the whole day (or a day with nothing counted) passes
                rem -= total
                idle = 0 if total else idle + 1
                walked += 1
                if idle > SEARCH_DAYS or walked > _MAX_DAYS:
                    raise self._nothing_counted(counting, start)
                continue
            for s, e in zip(starts, ends, strict=True):
                if rem <= e - s:
                    return float(s + rem)
                rem -= e - s
            return float(ends[-1])  # unreachable but for rounding: the day's last counted end

    def counted_s(self, start: float, end: float, counting: Counting) -> float:
        """Seconds of ``counting`` time in ``[start, end)``.

        For ``"elapsed"``: wall seconds from the next manned moment after ``start`` to
        ``end``, never negative. Never raises for a calendar without counted time (0).
        """
        if not end > start:
            return 0.0
        mode = _MANNED if counting == "elapsed" else _mode(counting)
        day = self._day_at(start)
        if counting == "elapsed":
            first = self._first_counted_before(day, start, end, _MANNED)
            return float(end - first) if first < end else 0.0
        total = 0.0
        while True:
            starts, ends, whole = day.spans[mode]
            if day.start >= start and day.end <= end:
                total += whole
            else:
                for s, e in zip(starts, ends, strict=True):
                    lo = s if s > start else start
                    hi = e if e < end else end
                    if hi > lo:
                        total += hi - lo
            if day.end >= end:
                return total
            day = self._day(day.ordinal + 1)

    def _first_counted_before(self, day: _Day, ts: float, limit: float, mode: int) -> float:
        """Like :meth:`_next_counted`, but gives up (returning ``limit``) at ``limit``."""
        while day.start < limit:
            starts, ends, _ = day.spans[mode]
            for s, e in zip(starts, ends, strict=True):
                if e > ts:
                    return s if s > ts else ts
            day = self._day(day.ordinal + 1)
        return limit

    # -- datetime wrappers

    def state_at(self, t: datetime) -> str:
        """The state at an aware datetime."""
        return self.state_s(self._epoch(t))

    def next_manned(self, t: datetime) -> datetime:
        """:meth:`next_manned_s` for aware datetimes; the result is in the calendar's zone."""
        return datetime.fromtimestamp(self.next_manned_s(self._epoch(t)), self.tz)

    def add(self, start: datetime, seconds: float, counting: Counting) -> datetime:
        """:meth:`add_s` for aware datetimes; the result is in the calendar's zone."""
        return datetime.fromtimestamp(self.add_s(self._epoch(start), seconds, counting), self.tz)

    def counted(self, start: datetime, end: datetime, counting: Counting) -> float:
        """:meth:`counted_s` for aware datetimes."""
        return self.counted_s(self._epoch(start), self._epoch(end), counting)

    def _epoch(self, t: datetime) -> float:
        if t.tzinfo is None or t.utcoffset() is None:
            raise TrackerError(f"calendar {self.name!r} needs a time with a time zone, not {t}")
        return t.timestamp()


def _mode(counting: str) -> int:
    try:
        return _MODES[counting]
    except KeyError:
        choices = ", ".join(get_args(Counting))
        raise TrackerError(f"unknown counting {counting!r}; use one of: {choices}") from None


def calendars_for(cfg: Config) -> dict[str, BusinessCalendar]:
    """One :class:`BusinessCalendar` per ``calendars:`` entry, in the policy's time zone."""
    return {name: BusinessCalendar(spec, cfg.tz, name) for name, spec in cfg.calendars.items()}
