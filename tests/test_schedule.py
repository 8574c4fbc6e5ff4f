"""The grader's schedule from plain calendars: manned time only, off-peak minutes, within the budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tracker.config import PRESETS, CalendarSpec, Clock, load_config, preset_path
from tracker.schedule import STEPS, after_closing, grader_schedule, schedule_for, shortest_clocks
from tracker.whatif_runner import scheduled_runs

UTC_ZONE = ZoneInfo("UTC")
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday, UTC


def spec(**data: Any) -> dict[str, CalendarSpec]:
    data.setdefault("restday", {})
    return {"default": CalendarSpec.model_validate(data)}


ROUND_THE_CLOCK = spec(workdays=[1, 2, 3, 4, 5, 6, 7], workday={"working": ["00:00-24:00"]})
NINE_TO_SIX = spec(workday={"working": ["09:00-18:00"]})
LONG_DAY = spec(workday={"working": ["07:00-19:00"], "manned": ["19:00-23:00"]})


SHARE = 0.75  # the examples below give the schedule three quarters of the minutes


def week_runs(lines: tuple[str, ...]) -> list[datetime]:
    return scheduled_runs(lines, MONDAY, days=7)


def test_a_round_the_clock_desk_runs_every_hour_of_the_week() -> None:
    s = grader_schedule(ROUND_THE_CLOCK, UTC_ZONE, 2000, SHARE)
    assert s.lines == ("7,37 * * * 0-6",)  # every weekday, as no line but a wake slot ends in * * *
    assert (s.tiers[0].step, s.manned_hours_per_week, s.runs_per_week, s.runs_per_month) == (30, 168, 336, 1440)
    assert s.fits and s.budget == 1500


def test_a_nine_to_six_weekday_desk_runs_on_weekdays_only_and_when_it_opens() -> None:
    s = grader_schedule(NINE_TO_SIX, UTC_ZONE, 2000, SHARE)
    assert s.lines == ("7,17,27,37,47,57 9-17 * * 1-5", "3 9 * * 1-5")
    assert s.tiers[0].step == 10 and s.manned_hours_per_week == 45
    runs = week_runs(s.lines)
    assert len(runs) == s.runs_per_week == 45 * 6 + 5
    assert {t.isoweekday() for t in runs} == {1, 2, 3, 4, 5}
    assert all(9 <= t.hour < 18 for t in runs)


def test_a_desk_in_utc_plus_8_whose_day_wraps_past_midnight_utc() -> None:
    # 07:00-23:00 in Shanghai is 23:00 (the day before) to 15:00 UTC.
    s = grader_schedule(LONG_DAY, SHANGHAI, 2000, SHARE)
    assert s.lines == (
        "7,22,37,52 0-14,23 * * 1-4",  # Monday to Thursday, and the evening that opens the next day
        "7,22,37,52 0-14 * * 5",  # Friday
        "7,22,37,52 23 * * 0",  # Sunday evening UTC is Monday morning in Shanghai
        "3 23 * * 0-4",  # 07:03 in Shanghai, Monday to Friday
    )
    runs = week_runs(s.lines)
    assert len(runs) == s.runs_per_week
    local = [t.astimezone(SHANGHAI) for t in runs]
    assert {t.isoweekday() for t in local} == {1, 2, 3, 4, 5}
    assert all(7 <= t.hour < 23 for t in local)
    assert min(t.time() for t in local).isoformat() == "07:03:00"


def test_every_run_is_off_the_round_minutes() -> None:
    for calendars, tz in ((ROUND_THE_CLOCK, UTC_ZONE), (NINE_TO_SIX, UTC_ZONE), (LONG_DAY, SHANGHAI)):
        for budget in (200, 2000, 50_000):
            s = grader_schedule(calendars, tz, budget, SHARE)
            assert all(t.minute % 5 for t in week_runs(s.lines)), s.lines


def test_the_interval_widens_as_the_budget_shrinks() -> None:
    steps = [grader_schedule(NINE_TO_SIX, UTC_ZONE, budget, SHARE).tiers[0].step for budget in (50_000, 2000, 800, 300, 100)]
    assert steps == [5, 10, 20, 60, 240]
    assert steps == sorted(steps)
    # Between the round intervals, the multiples of five keep every run off the round minutes.
    s = grader_schedule(NINE_TO_SIX, UTC_ZONE, 700, SHARE)
    assert s.tiers[0].step == 25 and s.lines[:2] == ("17,42 9,14 * * 1-5", "7,32,57 10,15 * * 1-5")
    grid = [t for t in week_runs(s.lines) if t.minute != 3]  # 09:03, as the desk opens, aside
    assert {b - a for a, b in pairwise(grid) if a.date() == b.date()} == {timedelta(minutes=25)}


def clock(within: Any, counting: str = "manned", calendar: str = "default") -> Clock:
    return Clock.model_validate(
        {"id": "c", "name": "c", "stop": ["resolved"], "within": within, "counting": counting, "calendar": calendar}
    )


def test_the_shortest_clock_of_each_hour_takes_the_hours_own_limit() -> None:
    # A split limit: 5 minutes in working hours, 30 in manned off hours; nothing counts at night.
    shortest = shortest_clocks([clock({"working": "5m", "off_hours": "30m"})], LONG_DAY)
    monday = shortest[:24]
    assert monday[7:19] == [5.0] * 12 and monday[19:23] == [30.0] * 4
    assert monday[:7] == [None] * 7 and monday[23] is None
    assert shortest[5 * 24 + 10] is None  # Saturday: a rest day with no manned time
    # Per grade, the shortest grade counts; a clock on working time only is off in manned hours.
    shortest = shortest_clocks([clock({"high": "2h", "low": "8h"}, counting="working")], LONG_DAY)
    assert shortest[10] == 120.0 and shortest[20] is None
    # Elapsed time counts always, whatever the calendar.
    assert shortest_clocks([clock("1h", counting="elapsed")], LONG_DAY)[3] == 60.0


def test_hours_with_shorter_clocks_are_run_more_often() -> None:
    clocks = [clock({"working": "5m", "off_hours": "30m"})]
    s = grader_schedule(LONG_DAY, UTC_ZONE, 2000, SHARE, clocks)
    assert [(t.step, t.hours, t.shortest) for t in s.tiers] == [(15, 60, 5), (25, 20, 30)]
    runs = week_runs(s.lines)
    assert len(runs) == s.runs_per_week <= s.budget * 7 / 30
    working = [t for t in runs if 7 <= t.hour < 19]
    evening = [t for t in runs if 19 <= t.hour < 23]
    assert len(working) == 5 * (12 * 4 + 1) and len(evening) == 5 * 9  # 07:03 as it opens; 19:17, 19:42, 20:07 …
    assert s.hour_steps[10] == 15 and s.hour_steps[20] == 25 and s.hour_steps[2] == 0
    # One limit everywhere gives one interval, as dense as the budget allows.
    even = grader_schedule(LONG_DAY, UTC_ZONE, 2000, SHARE, [clock("30m")])
    assert len(even.tiers) == 1 and even.tiers[0].step == grader_schedule(LONG_DAY, UTC_ZONE, 2000, SHARE).tiers[0].step
    # Free minutes: the densest interval everywhere.
    free = grader_schedule(LONG_DAY, UTC_ZONE, 0, SHARE, clocks)
    assert [t.step for t in free.tiers] == [STEPS[0]]


def test_a_budget_too_small_for_any_interval_says_so() -> None:
    s = grader_schedule(ROUND_THE_CLOCK, UTC_ZONE, 100, SHARE)
    assert s.tiers[0].step == STEPS[-1] and not s.fits and s.runs_per_month > s.budget


def test_official_holidays_and_make_up_days_cover_both_schedules() -> None:
    cn = spec(official="cn", workday={"working": ["09:00-18:00"]})
    s = grader_schedule(cn, UTC_ZONE, 2000, SHARE)
    assert {t.isoweekday() for t in week_runs(s.lines)} == set(range(1, 8))  # a Sunday can be a make-up day
    listed = spec(workday={"working": ["09:00-18:00"]}, makeup_workdays=["2026-10-11"])  # a Sunday
    s = grader_schedule(listed, UTC_ZONE, 2000, SHARE)
    assert {t.isoweekday() for t in week_runs(s.lines)} == {1, 2, 3, 4, 5, 7}


def test_a_short_clock_counting_wall_time_is_met_after_closing_too() -> None:
    nine_to_six = [(d * 1440 + 540, d * 1440 + 1080) for d in range(5)]
    assert after_closing(nine_to_six, [clock("20m", counting="elapsed")], 30) == [
        (d * 1440 + 1080, d * 1440 + 1100) for d in range(5)
    ]
    assert after_closing(nine_to_six, [clock("2h", counting="elapsed")], 30) == []  # not short
    assert after_closing(nine_to_six, [clock("20m")], 30) == []  # counts manned time only
    s = grader_schedule(NINE_TO_SIX, UTC_ZONE, 2000, SHARE, [clock("20m", counting="elapsed")])
    assert s.manned_hours_per_week == 45 and s.tiers[0].hours == 50
    # The hour after closing is run like the others (by the hour: cron cannot stop at 18:20).
    assert sorted({t.minute for t in week_runs(s.lines) if t.hour == 18}) == [7, 17, 27, 37, 47, 57]
    assert all(t.hour < 19 for t in week_runs(s.lines))


def test_hours_manned_only_on_make_up_days_are_run_at_most_hourly() -> None:
    cn = spec(official="cn", workday={"working": ["09:00-18:00"]})
    s = grader_schedule(cn, UTC_ZONE, 2000, SHARE, [clock("15m", counting="working")])
    assert [(t.step, t.hours) for t in s.tiers] == [(10, 45), (60, 18)]
    assert s.hour_steps[10] == 10 and s.hour_steps[5 * 24 + 10] == 60  # Monday, Saturday 10:00
    saturday = [t for t in week_runs(s.lines) if t.isoweekday() == 6]
    assert [t.strftime("%H:%M") for t in saturday] == ["09:03"] + [f"{h:02}:07" for h in range(9, 18)]


def test_daylight_saving_covers_both_offsets() -> None:
    s = grader_schedule(NINE_TO_SIX, ZoneInfo("Europe/Berlin"), 2000)
    runs = week_runs(s.lines)
    assert min(t.hour for t in runs) == 7 and max(t.hour for t in runs) == 16  # 09:00 CEST .. 18:00 CET
    assert {(t.hour, t.minute) for t in runs if t.minute == 3} == {(7, 3), (8, 3)}


@pytest.mark.parametrize("preset", PRESETS)
def test_every_manned_minute_of_a_preset_has_a_run_within_its_interval(preset: str) -> None:
    cfg = load_config(preset_path(preset))
    s = schedule_for(cfg)
    assert s.fits
    runs = week_runs(s.lines)
    assert len(runs) == s.runs_per_week
    from tracker.calendar import calendars_for

    cals = list(calendars_for(cfg).values())
    week = datetime(2026, 3, 16, tzinfo=UTC)  # a week with no official holiday
    runs = scheduled_runs(s.lines, week - timedelta(hours=6), days=8)  # the longest step is 6 hours
    j = 0
    for i in range(7 * 24 * 60):
        t = week + timedelta(minutes=i)
        if all(cal.state_s(t.timestamp()) == "unmanned" for cal in cals):
            continue
        while j + 1 < len(runs) and runs[j + 1] <= t + timedelta(minutes=5):
            j += 1
        hour = t.weekday() * 24 + t.hour
        step = max(s.hour_steps[hour], s.hour_steps[hour - 1])  # the hour's interval, or the one before
        assert step, (preset, t)
        # a run at most one interval ago, or (a period's first minutes) within the next five
        assert t - timedelta(minutes=step + 5) < runs[j] <= t + timedelta(minutes=5), (preset, t)


def test_free_minutes_give_the_densest_schedule() -> None:
    free = grader_schedule(NINE_TO_SIX, ZoneInfo("Asia/Shanghai"), 0)
    assert free.fits and [t.step for t in free.tiers] == [STEPS[0]]


# -- wake slots


def test_wake_slots_go_where_short_clocks_count_and_blind_runs_are_sparse() -> None:
    hours = {p: schedule_for(load_config(preset_path(p))) for p in ("club", "online", "emergency")}
    # the club's hours are run every 20 minutes, as often as four slots span: no slot
    assert hours["club"].slots == () and hours["club"].slot_hours == frozenset()
    # the emergency plan: short clocks and a run every two hours, all week: every five minutes a slot
    emergency = hours["emergency"]
    assert emergency.slot_hours == frozenset(range(168)) and len(emergency.slots) == 24 * 12
    assert emergency.slots[:3] == ("2 0 * * *", "7 0 * * *", "12 0 * * *")
    # online: the evenings and weekends (every 40 minutes), not the office hours (every 15)
    online = hours["online"]
    assert {online.hour_steps[h] for h in online.slot_hours} == {40}
    assert len(online.slot_hours) == next(t.hours for t in online.tiers if t.step == 40)
    # no other line ends in "* * *", which the workflow's if: reads as a slot's
    for s in hours.values():
        assert not [line for line in s.lines if line.endswith(" * * *")]
        assert all(line.endswith(" * * *") for line in s.slots)


def test_no_wake_slot_where_minutes_are_free() -> None:
    billed = grader_schedule(ROUND_THE_CLOCK, UTC_ZONE, 400, SHARE, [clock("15m")])
    assert billed.slot_hours == frozenset(range(168))  # 300 minutes a month: a run every 90 minutes
    free = grader_schedule(ROUND_THE_CLOCK, UTC_ZONE, 0, SHARE, [clock("15m")])
    assert free.slots == () and free.slot_hours == frozenset()
