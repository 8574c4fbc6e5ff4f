"""Business-calendar arithmetic: states, clocks, holidays, daylight saving, invariants."""

from __future__ import annotations

import logging
import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.calendar import BusinessCalendar, calendars_for, day_pieces, local_epoch
from tracker.config import CalendarSpec, DaySchedule, parse_config
from tracker.errors import TrackerError

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")

MIN = 60
HOUR = 3600


def spec(**data: object) -> CalendarSpec:
    return CalendarSpec.model_validate(data)


DESK_SPEC = spec(
    workday={"working": ["09:00-12:00", "13:00-18:00"], "manned": ["18:00-22:00"]},
    restday={"manned": ["10:00-16:00"]},
    official="cn",
)
DESK = BusinessCalendar(DESK_SPEC, SHANGHAI, "desk")

# Every day the same; the 01:00-04:00 window straddles the clock changes.
NIGHT_SPEC = spec(
    workdays=[1, 2, 3, 4, 5, 6, 7],
    workday={"working": ["01:00-04:00", "09:00-17:00"], "manned": ["17:00-23:00"]},
    restday={},
)
BERLIN_NIGHT = BusinessCalendar(NIGHT_SPEC, BERLIN, "berlin")
NY_NIGHT = BusinessCalendar(NIGHT_SPEC, NEW_YORK, "ny")

# Window edges at local midnight, on a zone whose spring change skips midnight.
SANTIAGO_CAL = BusinessCalendar(
    spec(
        workday={"working": ["00:00-02:00", "08:00-17:00"], "manned": ["17:00-24:00"]},
        restday={"manned": ["00:00-06:00", "20:00-24:00"]},
    ),
    SANTIAGO,
    "santiago",
)


def at(tz: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=tz)  # type: ignore[misc]


def sh(*parts: int) -> datetime:
    return at(SHANGHAI, *parts)


# ----------------------------------------------------------------------------- day kinds

# 2026 in mainland China (from the official calendar): New Year Jan 1-3, make-up Sunday
# Jan 4; National Day Oct 1-7 with make-up Sunday Sep 20 and Saturday Oct 10.
DAY_KINDS = [
    (date(2026, 1, 1), "restday"),  # New Year's Day, a Thursday
    (date(2026, 1, 2), "restday"),  # bridged Friday
    (date(2026, 1, 4), "workday"),  # make-up Sunday
    (date(2026, 2, 14), "workday"),  # make-up Saturday before the Spring Festival
    (date(2026, 3, 10), "workday"),  # an ordinary Tuesday
    (date(2026, 3, 14), "restday"),  # an ordinary Saturday
    (date(2026, 9, 20), "workday"),  # make-up Sunday before National Day
    (date(2026, 10, 1), "restday"),
    (date(2026, 10, 5), "restday"),  # a Monday inside the holiday
    (date(2026, 10, 7), "restday"),
    (date(2026, 10, 8), "workday"),
    (date(2026, 10, 10), "workday"),  # make-up Saturday after National Day
    (date(2026, 10, 11), "restday"),
]


@pytest.mark.parametrize(("day", "kind"), DAY_KINDS)
def test_day_kind_follows_the_official_calendar(day: date, kind: str) -> None:
    assert DESK.day_kind(day) == kind


def test_without_official_calendar_only_weekdays_and_lists_count() -> None:
    cal = BusinessCalendar(
        spec(
            workday={"working": ["09:00-18:00"]},
            restday={},
            holidays=["2026-03-11"],
            makeup_workdays=["2026-03-14"],
        ),
        SHANGHAI,
    )
    assert cal.day_kind(date(2026, 10, 1)) == "workday"  # a Thursday; no official holidays
    assert cal.day_kind(date(2026, 10, 10)) == "restday"  # a Saturday
    assert cal.day_kind(date(2026, 3, 11)) == "restday"  # listed holiday on a Wednesday
    assert cal.day_kind(date(2026, 3, 14)) == "workday"  # listed make-up Saturday


def test_listed_dates_override_the_official_calendar() -> None:
    cal = BusinessCalendar(
        spec(
            workday={"working": ["09:00-18:00"]},
            restday={},
            official="cn",
            holidays=["2026-10-08", "2026-10-10"],
            makeup_workdays=["2026-10-01"],
        ),
        SHANGHAI,
    )
    assert cal.day_kind(date(2026, 10, 1)) == "workday"
    assert cal.day_kind(date(2026, 10, 8)) == "restday"
    assert cal.day_kind(date(2026, 10, 10)) == "restday"  # holidays win over make-up days


def test_official_special_days_win_over_a_six_day_week() -> None:
    cal = BusinessCalendar(
        spec(
            workdays=[1, 2, 3, 4, 5, 6],
            workday={"working": ["09:00-18:00"]},
            restday={},
            official="cn",
        ),
        SHANGHAI,
    )
    assert cal.day_kind(date(2026, 3, 14)) == "workday"  # an ordinary Saturday
    assert cal.day_kind(date(2026, 10, 3)) == "restday"  # a Saturday inside National Day
    assert cal.day_kind(date(2026, 3, 15)) == "restday"  # an ordinary Sunday


def test_year_without_official_data_warns_once_and_uses_weekdays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cal = BusinessCalendar(
        DESK_SPEC.model_copy(update={"holidays": [date(2027, 1, 1)]}), SHANGHAI, "cn27"
    )
    with caplog.at_level(logging.WARNING, logger="tracker.calendar"):
        assert cal.day_kind(date(2027, 1, 1)) == "restday"  # listed: no look-up, no warning
        assert cal.day_kind(date(2027, 1, 4)) == "workday"  # a Monday
        assert cal.day_kind(date(2027, 1, 9)) == "restday"  # a Saturday
        due = cal.add(sh(2026, 12, 31, 17, 0), 2 * HOUR, "working")
        assert cal.state_s(at(SHANGHAI, 2027, 6, 1, 10).timestamp()) == "working"
    assert due == sh(2027, 1, 4, 10, 0)  # Jan 1 listed, Jan 2-3 weekend
    records = [r for r in caplog.records if r.name == "tracker.calendar"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert "cn27" in message and "2027" in message and "no data" in message
    assert records[0].levelno == logging.WARNING

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tracker.calendar"):
        cal.day_kind(date(2028, 3, 1))
        cal.day_kind(date(2028, 3, 2))
    assert [r.getMessage().count("2028") for r in caplog.records] == [1]


# ----------------------------------------------------------------------------- states

STATES = [
    (sh(2026, 3, 10, 8, 59), "unmanned"),
    (sh(2026, 3, 10, 9, 0), "working"),
    (sh(2026, 3, 10, 11, 59, 59), "working"),
    (sh(2026, 3, 10, 12, 0), "unmanned"),  # lunch
    (sh(2026, 3, 10, 13, 0), "working"),
    (sh(2026, 3, 10, 18, 0), "off"),
    (sh(2026, 3, 10, 21, 59), "off"),
    (sh(2026, 3, 10, 22, 0), "unmanned"),
    (sh(2026, 3, 14, 9, 59), "unmanned"),  # Saturday
    (sh(2026, 3, 14, 10, 0), "off"),
    (sh(2026, 3, 14, 16, 0), "unmanned"),
    (sh(2026, 10, 1, 11, 0), "off"),  # National Day
    (sh(2026, 10, 10, 11, 0), "working"),  # make-up Saturday
    (at(BERLIN, 2026, 3, 10, 4, 0), "working"),  # 11:00 in Shanghai, another zone in
]


@pytest.mark.parametrize(("when", "state"), STATES)
def test_state(when: datetime, state: str) -> None:
    assert DESK.state_at(when) == state
    assert DESK.state_s(when.timestamp()) == state


NEXT_MANNED = [
    (sh(2026, 3, 10, 10, 0), sh(2026, 3, 10, 10, 0)),  # manned: itself
    (sh(2026, 3, 10, 19, 0), sh(2026, 3, 10, 19, 0)),  # off hours are manned
    (sh(2026, 3, 10, 12, 30), sh(2026, 3, 10, 13, 0)),
    (sh(2026, 3, 10, 23, 30), sh(2026, 3, 11, 9, 0)),
    (sh(2026, 3, 13, 22, 0), sh(2026, 3, 14, 10, 0)),  # Friday night -> Saturday's desk
    (sh(2026, 9, 30, 22, 30), sh(2026, 10, 1, 10, 0)),
]


@pytest.mark.parametrize(("when", "expected"), NEXT_MANNED)
def test_next_manned(when: datetime, expected: datetime) -> None:
    got = DESK.next_manned(when)
    assert got == expected
    assert got.tzinfo is SHANGHAI


# ----------------------------------------------------------------------------- clocks

ADD = [
    # (start, seconds, counting, due)
    (sh(2026, 3, 10, 23, 30), 30 * MIN, "elapsed", sh(2026, 3, 11, 9, 30)),
    (sh(2026, 3, 10, 20, 0), 30 * MIN, "elapsed", sh(2026, 3, 10, 20, 30)),
    (sh(2026, 3, 10, 21, 0), 4 * HOUR, "elapsed", sh(2026, 3, 11, 1, 0)),  # runs on unmanned
    (sh(2026, 3, 10, 17, 55), 15 * MIN, "working", sh(2026, 3, 11, 9, 10)),
    (sh(2026, 3, 10, 17, 55), 5 * MIN, "working", sh(2026, 3, 10, 18, 0)),  # end of window
    (sh(2026, 3, 10, 11, 30), 1 * HOUR, "working", sh(2026, 3, 10, 13, 30)),  # skips lunch
    (sh(2026, 3, 10, 12, 15), 0, "working", sh(2026, 3, 10, 13, 0)),  # effective start
    (sh(2026, 3, 10, 17, 55), 15 * MIN, "manned", sh(2026, 3, 10, 18, 10)),
    (sh(2026, 3, 10, 21, 50), 20 * MIN, "manned", sh(2026, 3, 11, 9, 10)),
    # Friday evening to Monday
    (sh(2026, 3, 13, 17, 30), 1 * HOUR, "working", sh(2026, 3, 16, 9, 30)),
    (sh(2026, 3, 13, 21, 0), 2 * HOUR, "manned", sh(2026, 3, 14, 11, 0)),
    (sh(2026, 3, 13, 23, 0), 1 * HOUR, "elapsed", sh(2026, 3, 14, 11, 0)),
    (sh(2026, 3, 13, 17, 0), 12 * HOUR, "manned", sh(2026, 3, 15, 11, 0)),
    # across New Year: Jan 1-3 off, Sunday Jan 4 is a make-up workday
    (sh(2025, 12, 31, 17, 0), 2 * HOUR, "working", sh(2026, 1, 4, 10, 0)),
    (sh(2025, 12, 31, 21, 30), 1 * HOUR, "manned", sh(2026, 1, 1, 10, 30)),
    # across National Day (Oct 1-7)
    (sh(2026, 9, 30, 17, 0), 3 * HOUR, "working", sh(2026, 10, 8, 11, 0)),
    (sh(2026, 9, 30, 21, 0), 2 * HOUR, "manned", sh(2026, 10, 1, 11, 0)),
    (sh(2026, 10, 3, 12, 0), 8 * HOUR, "working", sh(2026, 10, 8, 18, 0)),
    # into a make-up Saturday
    (sh(2026, 10, 9, 17, 0), 2 * HOUR, "working", sh(2026, 10, 10, 10, 0)),
    (sh(2026, 9, 19, 12, 0), 1 * HOUR, "working", sh(2026, 9, 20, 10, 0)),  # make-up Sunday
]


@pytest.mark.parametrize(("start", "seconds", "counting", "due"), ADD)
def test_add(start: datetime, seconds: int, counting: str, due: datetime) -> None:
    got = DESK.add(start, seconds, counting)  # type: ignore[arg-type]
    assert got == due
    assert got.tzinfo is SHANGHAI
    assert DESK.counted(start, got, counting) == pytest.approx(seconds)  # type: ignore[arg-type]


COUNTED = [
    (sh(2026, 3, 10, 8, 0), sh(2026, 3, 11, 8, 0), "working", 8 * HOUR),
    (sh(2026, 3, 10, 8, 0), sh(2026, 3, 11, 8, 0), "manned", 12 * HOUR),
    (sh(2026, 3, 10, 8, 0), sh(2026, 3, 11, 8, 0), "elapsed", 23 * HOUR),
    (sh(2026, 3, 10, 23, 0), sh(2026, 3, 11, 8, 0), "elapsed", 0),  # not started yet
    (sh(2026, 3, 10, 11, 0), sh(2026, 3, 10, 14, 0), "working", 2 * HOUR),
    (sh(2026, 3, 13, 9, 0), sh(2026, 3, 16, 9, 0), "manned", 12 * HOUR + 2 * 6 * HOUR),
    (sh(2026, 9, 30, 0, 0), sh(2026, 10, 9, 0, 0), "working", 2 * 8 * HOUR),
    (sh(2026, 3, 10, 14, 0), sh(2026, 3, 10, 11, 0), "working", 0),  # reversed
    (sh(2026, 3, 10, 14, 0), sh(2026, 3, 10, 11, 0), "elapsed", 0),
]


@pytest.mark.parametrize(("start", "end", "counting", "seconds"), COUNTED)
def test_counted(start: datetime, end: datetime, counting: str, seconds: int) -> None:
    assert DESK.counted(start, end, counting) == seconds  # type: ignore[arg-type]


def test_a_month_of_working_time_matches_the_official_calendar() -> None:
    # October 2026: 31 days, National Day Oct 1-7 and four weekends, make-up Saturday Oct 10
    workdays = sum(DESK.day_kind(date(2026, 10, d)) == "workday" for d in range(1, 32))
    assert workdays == 18
    counted = DESK.counted(sh(2026, 10, 1, 0, 0), sh(2026, 11, 1, 0, 0), "working")
    assert counted == workdays * 8 * HOUR


def test_long_clock_spans_many_days() -> None:
    due = DESK.add(sh(2026, 3, 2, 9, 0), 10 * 8 * HOUR, "working")  # ten working days
    assert due == sh(2026, 3, 13, 18, 0)


# ----------------------------------------------------------------------------- daylight saving

DST_DAYS = [
    (BERLIN_NIGHT, date(2026, 3, 28), 3 * HOUR, 24 * HOUR),
    (BERLIN_NIGHT, date(2026, 3, 29), 2 * HOUR, 23 * HOUR),  # 02:00 -> 03:00
    (BERLIN_NIGHT, date(2026, 10, 25), 4 * HOUR, 25 * HOUR),  # 03:00 -> 02:00
    (NY_NIGHT, date(2026, 3, 8), 2 * HOUR, 23 * HOUR),
    (NY_NIGHT, date(2026, 11, 1), 4 * HOUR, 25 * HOUR),
    (NY_NIGHT, date(2026, 11, 2), 3 * HOUR, 24 * HOUR),
]


@pytest.mark.parametrize(("cal", "day", "night_window", "day_length"), DST_DAYS)
def test_night_window_on_clock_change_days(
    cal: BusinessCalendar, day: date, night_window: int, day_length: int
) -> None:
    midnight = datetime(day.year, day.month, day.day, tzinfo=cal.tz)
    five = midnight.replace(hour=5)
    assert cal.counted(midnight, five, "working") == night_window
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=cal.tz)
    assert end.timestamp() - midnight.timestamp() == day_length
    assert cal.counted(midnight, end, "manned") == night_window + 14 * HOUR
    assert cal.counted(midnight, end, "elapsed") == day_length - HOUR  # from 01:00


def test_clock_crossing_spring_forward_in_new_york() -> None:
    # 1 h on Saturday 16:00-17:00 EST, then Sunday's window opens 01:00 EST; an hour
    # later the wall clock reads 03:00 EDT.
    due = NY_NIGHT.add(at(NEW_YORK, 2026, 3, 7, 16, 0), 2 * HOUR, "working")
    assert due == at(NEW_YORK, 2026, 3, 8, 3, 0)
    assert due.utcoffset() == timedelta(hours=-4)
    assert due.timestamp() == datetime(2026, 3, 8, 7, 0, tzinfo=ZoneInfo("UTC")).timestamp()


def test_clock_crossing_fall_back_in_new_york() -> None:
    start = at(NEW_YORK, 2026, 11, 1, 1, 0)  # first 01:00 (EDT)
    due = NY_NIGHT.add(start, 3 * HOUR + 30 * MIN, "working")
    assert due.timestamp() - start.timestamp() == 3 * HOUR + 30 * MIN
    assert (due.hour, due.minute, due.utcoffset()) == (3, 30, timedelta(hours=-5))


def test_clock_crossing_berlin_changes() -> None:
    due = BERLIN_NIGHT.add(at(BERLIN, 2026, 3, 29, 1, 30), 2 * HOUR, "working")
    assert due == at(BERLIN, 2026, 3, 29, 9, 30)  # 01:30-04:00 holds 1.5 h that night, not 2.5
    due = BERLIN_NIGHT.add(at(BERLIN, 2026, 10, 25, 1, 30), 3 * HOUR, "working")
    assert due == at(BERLIN, 2026, 10, 25, 3, 30)  # 01:30-03:30 holds 3 h that night


def test_window_edges_inside_a_skipped_hour() -> None:
    cal = BusinessCalendar(
        spec(
            workdays=[1, 2, 3, 4, 5, 6, 7],
            workday={"working": ["02:10-02:40", "02:40-05:00"], "manned": ["01:00-02:10"]},
            restday={},
        ),
        NEW_YORK,
    )
    sunday = at(NEW_YORK, 2026, 3, 8, 0, 0)
    # 02:00-03:00 does not exist: the working window opens when the clocks jump.
    assert cal.add(sunday, 0, "working") == at(NEW_YORK, 2026, 3, 8, 3, 0)
    assert cal.counted(sunday, sunday + timedelta(hours=12), "working") == 2 * HOUR
    assert cal.counted(sunday, sunday + timedelta(hours=12), "manned") == 3 * HOUR
    nonexistent = datetime(2026, 3, 8, 2, 30, tzinfo=NEW_YORK)  # read as 03:30 EDT
    assert cal.state_at(nonexistent) == "working"
    assert cal.add(nonexistent, 30 * MIN, "working") == at(NEW_YORK, 2026, 3, 8, 4, 0)
    monday = at(NEW_YORK, 2026, 3, 9, 0, 0)
    assert cal.counted(monday, monday + timedelta(hours=12), "working") == 2 * HOUR + 50 * MIN


def test_midnight_that_does_not_exist() -> None:
    # Chile moves from 00:00 to 01:00 on 6 September 2026.
    day = date(2026, 9, 6)
    start = local_epoch(SANTIAGO, day, 0)
    assert datetime.fromtimestamp(start, SANTIAGO) == at(SANTIAGO, 2026, 9, 6, 1, 0)
    assert local_epoch(SANTIAGO, day, 1440) - start == 23 * HOUR
    assert SANTIAGO_CAL.day_kind(day) == "restday"  # a Sunday
    saturday_night = at(SANTIAGO, 2026, 9, 5, 23, 0)
    assert SANTIAGO_CAL.state_at(saturday_night) == "off"
    due = SANTIAGO_CAL.add(saturday_night, 2 * HOUR, "manned")
    assert due == at(SANTIAGO, 2026, 9, 6, 2, 0)  # 23:00-24:00, then 01:00-02:00


def test_local_epoch_on_ordinary_and_changing_days() -> None:
    utc = ZoneInfo("UTC")
    assert (
        local_epoch(SHANGHAI, date(2026, 1, 1), 0)
        == datetime(2025, 12, 31, 16, tzinfo=utc).timestamp()
    )
    assert (
        local_epoch(SHANGHAI, date(2026, 1, 1), 1440)
        == datetime(2026, 1, 1, 16, tzinfo=utc).timestamp()
    )
    # skipped 02:30 -> the jump at 02:00 EST (07:00 UTC); repeated 01:30 -> first (EDT)
    assert (
        local_epoch(NEW_YORK, date(2026, 3, 8), 150)
        == datetime(2026, 3, 8, 7, tzinfo=utc).timestamp()
    )
    assert (
        local_epoch(NEW_YORK, date(2026, 11, 1), 90)
        == datetime(2026, 11, 1, 5, 30, tzinfo=utc).timestamp()
    )


# ----------------------------------------------------------------------------- faults


def test_no_working_hours_is_an_error_not_a_hang() -> None:
    cal = BusinessCalendar(
        spec(workday={"manned": ["09:00-18:00"]}, restday={"manned": ["10:00-12:00"]}), SHANGHAI
    )
    with pytest.raises(TrackerError, match="no working hours"):
        cal.add_s(sh(2026, 3, 10, 9).timestamp(), 60, "working")
    assert cal.add(sh(2026, 3, 10, 9), 60, "manned") == sh(2026, 3, 10, 9, 1)
    assert cal.counted(sh(2026, 3, 10), sh(2026, 3, 12), "working") == 0


def test_working_hours_on_days_that_never_come() -> None:
    cal = BusinessCalendar(
        spec(workdays=[], workday={"working": ["09:00-18:00"]}, restday={}), SHANGHAI
    )
    with pytest.raises(TrackerError, match="400 days"):
        cal.add(sh(2026, 3, 10, 9), 60, "working")
    with pytest.raises(TrackerError, match="no manned hours"):
        cal.next_manned(sh(2026, 3, 10, 9))
    with pytest.raises(TrackerError, match="no manned hours"):
        cal.add(sh(2026, 3, 10, 9), 60, "elapsed")
    assert cal.counted(sh(2026, 3, 10), sh(2026, 3, 12), "elapsed") == 0


def test_unmanned_calendar() -> None:
    cal = BusinessCalendar(spec(workday={}, restday={}), SHANGHAI)
    assert cal.state_at(sh(2026, 3, 10, 10)) == "unmanned"
    for counting in ("elapsed", "manned", "working"):
        with pytest.raises(TrackerError):
            cal.add(sh(2026, 3, 10, 10), 60, counting)  # type: ignore[arg-type]


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf")])
def test_bad_durations(seconds: float) -> None:
    with pytest.raises(TrackerError, match="cannot run"):
        DESK.add(sh(2026, 3, 10, 10), seconds, "working")


def test_unknown_counting_and_naive_times() -> None:
    with pytest.raises(TrackerError, match="unknown counting"):
        DESK.add_s(0, 60, "business")  # type: ignore[arg-type]
    with pytest.raises(TrackerError, match="time zone"):
        DESK.add(datetime(2026, 3, 10, 10), 60, "working")
    with pytest.raises(TrackerError, match="timestamp"):
        DESK.state_s(float("nan"))


# ----------------------------------------------------------------------------- building blocks


def test_day_pieces_merge_and_prefer_working() -> None:
    schedule = DaySchedule.model_validate(
        {
            "working": ["09:00-12:00", "12:00-13:00", "10:00-11:00"],
            "manned": ["08:00-10:00", "13:00-24:00"],
        }
    )
    assert day_pieces(schedule) == ((480, 540, "off"), (540, 780, "working"), (780, 1440, "off"))
    assert day_pieces(DaySchedule()) == ()


def test_calendars_for_builds_one_per_entry() -> None:
    cfg = parse_config(
        {
            "name": "desk",
            "timezone": "Europe/Berlin",
            "roles": {"ops": {"name": "Ops", "members": ["alice"]}},
            "calendars": {
                "default": {"workday": {"working": ["09:00-17:00"]}, "restday": {}},
                "always": {
                    "workdays": [1, 2, 3, 4, 5, 6, 7],
                    "workday": {"working": ["00:00-24:00"]},
                    "restday": {},
                },
            },
            "grades": [{"id": "p1", "name": "P1"}],
            "types": [{"id": "bug", "name": "Bug"}],
            "fields": {"what": {"label": "What"}},
            "forms": [{"id": "bug", "name": "Bug", "type": "bug", "fields": ["what"]}],
            "grading": {"default": "p1"},
        }
    )
    cals = calendars_for(cfg)
    assert set(cals) == {"default", "always"}
    assert cals["always"].name == "always"
    assert cals["default"].tz.key == "Europe/Berlin"
    saturday = at(BERLIN, 2026, 3, 14, 12)
    assert cals["always"].add(saturday, HOUR, "working") == saturday + timedelta(hours=1)
    assert cals["default"].add(saturday, HOUR, "working") == at(BERLIN, 2026, 3, 16, 10)


# ----------------------------------------------------------------------------- properties

CALENDARS = [DESK, BERLIN_NIGHT, NY_NIGHT, SANTIAGO_CAL]
LO = int(datetime(2025, 12, 1, tzinfo=ZoneInfo("UTC")).timestamp())
HI = int(datetime(2027, 2, 1, tzinfo=ZoneInfo("UTC")).timestamp())

calendars = st.sampled_from(CALENDARS)
moments = st.one_of(
    st.integers(LO, HI),
    st.integers(LO // 60, HI // 60).map(lambda m: m * 60),  # minute marks hit window edges
    st.floats(LO, HI, allow_nan=False),
)
durations = st.one_of(
    st.integers(0, 20 * 86400),
    st.sampled_from([0, 1, 15 * MIN, HOUR, 4 * HOUR, 8 * HOUR, 86400]),
    st.floats(0, 5 * 86400, allow_nan=False),
)
positive = st.one_of(st.integers(1, 20 * 86400), st.floats(1e-3, 5 * 86400))
counted_modes = st.sampled_from(["manned", "working"])
modes = st.sampled_from(["elapsed", "manned", "working"])
COUNTED_STATES = {"manned": {"working", "off"}, "working": {"working"}}

PROPS = settings(max_examples=60, deadline=None)


@PROPS
@given(calendars, moments, modes)
def test_zero_is_the_effective_start(cal: BusinessCalendar, t: float, mode: str) -> None:
    start = cal.add_s(t, 0, mode)  # type: ignore[arg-type]
    assert start >= t
    if mode in ("elapsed", "manned"):
        assert start == cal.next_manned_s(t)
    if mode != "elapsed":
        assert cal.state_s(start) in COUNTED_STATES[mode]
        assert cal.counted_s(t, start, mode) == 0  # type: ignore[arg-type]
        if cal.state_s(t) in COUNTED_STATES[mode]:
            assert start == t


@PROPS
@given(calendars, moments, durations, modes)
def test_counted_undoes_add(cal: BusinessCalendar, t: float, d: float, mode: str) -> None:
    due = cal.add_s(t, d, mode)  # type: ignore[arg-type]
    assert cal.counted_s(t, due, mode) == pytest.approx(d, abs=1e-6)  # type: ignore[arg-type]


@PROPS
@given(calendars, moments, moments, durations, modes)
def test_add_is_monotonic_in_start(
    cal: BusinessCalendar, t1: float, t2: float, d: float, mode: str
) -> None:
    t1, t2 = min(t1, t2), max(t1, t2)
    assert cal.add_s(t1, d, mode) <= cal.add_s(t2, d, mode)  # type: ignore[arg-type]


@PROPS
@given(calendars, moments, durations, durations, modes)
def test_add_is_monotonic_in_seconds(
    cal: BusinessCalendar, t: float, d1: float, d2: float, mode: str
) -> None:
    d1, d2 = min(d1, d2), max(d1, d2)
    assert cal.add_s(t, d1, mode) <= cal.add_s(t, d2, mode)  # type: ignore[arg-type]


@PROPS
@given(calendars, moments, durations, positive, counted_modes)
def test_add_composes(cal: BusinessCalendar, t: float, a: float, b: float, mode: str) -> None:
    # b > 0: with b == 0 a result at the end of a window would move on to the next
    # window's start (the effective start), by design.
    once = cal.add_s(t, a + b, mode)  # type: ignore[arg-type]
    twice = cal.add_s(cal.add_s(t, a, mode), b, mode)  # type: ignore[arg-type]
    assert twice == pytest.approx(once, abs=1e-6)


@PROPS
@given(calendars, moments, positive, counted_modes)
def test_result_never_lands_inside_a_gap(
    cal: BusinessCalendar, t: float, d: float, mode: str
) -> None:
    due = cal.add_s(t, d, mode)  # type: ignore[arg-type]
    counted = COUNTED_STATES[mode]
    if cal.state_s(due) not in counted:  # then it is the end of a counted window
        assert cal.state_s(due - 0.5) in counted
        assert cal.counted_s(due - 0.5, due, mode) == 0.5  # type: ignore[arg-type]


@PROPS
@given(calendars, moments, moments, moments, modes)
def test_counted_is_additive(
    cal: BusinessCalendar, a: float, b: float, c: float, mode: str
) -> None:
    a, b, c = sorted((a, b, c))
    if mode == "elapsed":
        return
    whole = cal.counted_s(a, c, mode)  # type: ignore[arg-type]
    parts = cal.counted_s(a, b, mode) + cal.counted_s(b, c, mode)  # type: ignore[arg-type]
    assert whole == pytest.approx(parts, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(calendars, st.integers(LO // 60, HI // 60), counted_modes)
def test_counted_agrees_with_minute_by_minute_states(
    cal: BusinessCalendar, minute: int, mode: str
) -> None:
    # These zones change offset on whole minutes, so the state is constant per minute.
    start = minute * 60
    span = 2 * 86400
    states = COUNTED_STATES[mode]
    by_minute = sum(60 for m in range(0, span, 60) if cal.state_s(start + m) in states)
    assert cal.counted_s(start, start + span, mode) == by_minute  # type: ignore[arg-type]


def _oracle_state(cal: BusinessCalendar, ts: float) -> str:
    """The state by reading the local wall clock, one datetime at a time."""
    # Window edges fall on whole seconds; flooring keeps datetime's microsecond rounding
    # from carrying a moment just before an edge over it.
    local = datetime.fromtimestamp(math.floor(ts), cal.tz)
    schedule = cal.spec.workday if cal.day_kind(local.date()) == "workday" else cal.spec.restday
    minute = local.hour * 60 + local.minute + local.second / 60
    if any(s <= minute < e for s, e in schedule.working):
        return "working"
    if any(s <= minute < e for s, e in schedule.manned):
        return "off"
    return "unmanned"


@settings(max_examples=200, deadline=None)
@given(calendars, moments)
def test_state_agrees_with_the_wall_clock(cal: BusinessCalendar, ts: float) -> None:
    # Window edges of these calendars avoid repeated hours, where the wall clock is
    # read twice but a window opens once.
    assert cal.state_s(ts) == _oracle_state(cal, ts)
