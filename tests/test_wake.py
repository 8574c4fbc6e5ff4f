"""On time: the desk's wake moment, the timer and its budget rule, over plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.config import GitHubRuns
from tracker.engine import Memo
from tracker.wake import (
    Wake,
    allowance,
    billed_minutes,
    earliest,
    percentile,
    slot_line,
    slot_value,
    timer,
    wake_slots,
    wakes_of,
)

NOW = datetime(2026, 9, 16, 0, 0, tzinfo=UTC)  # half of a 30-day month has passed
T = NOW.timestamp()
EVERY_HOUR = frozenset(range(7 * 24))  # slot hours: the whole week
RUNS = GitHubRuns()  # 2,000 minutes, 30 min horizon (3 min billed), 45 s lead, short clocks <= 30 min, share 0.5


def memo(wake: float, limit: float | None = None) -> Memo:
    return Memo("fp", wake, False, None, limit)


def test_a_past_wake_is_now_and_nothing_scheduled_is_none() -> None:
    assert wakes_of([memo(T - 50, 900), memo(T + 10), memo(float("inf")), memo(1e18)], T) == [
        Wake(T, 900), Wake(T + 10, None),
    ]  # fmt: skip


def test_the_earliest_wake_wins_and_a_past_one_is_now() -> None:
    assert earliest(wakes_of([memo(T + 600, 3600), memo(T + 300, 300), memo(float("inf"))], T)) == Wake(T + 300, 300)
    assert earliest(wakes_of([memo(T - 50, 900), memo(T + 10)], T)) == Wake(T, 900)
    assert earliest(wakes_of([memo(float("inf")), memo(1e18)], T)) is None
    assert earliest([]) is None


def test_at_the_same_moment_the_shorter_clock_is_named() -> None:
    assert earliest(wakes_of([memo(T + 60, 3600), memo(T + 60, 300), memo(T + 60)], T)) == Wake(T + 60, 300)


def test_the_budget_is_pro_rated_to_the_moment() -> None:
    assert allowance(2000, NOW) == 1000
    assert allowance(3100, datetime(2026, 10, 2, 0, 0, tzinfo=UTC)) == 100
    assert allowance(2000, NOW + timedelta(hours=12)) == 1000 + 2000 / 60


def test_the_timer_arms_within_the_horizon_and_sleeps_until_the_lead() -> None:
    free = GitHubRuns(minutes_per_month=0)
    armed = timer(Wake(T + 600, 3600), NOW, free, spent=10_000)
    assert armed.arm and armed.sleep == 555 and armed.reason == "armed"
    assert timer(Wake(T + 30, 300), NOW, free, 0).sleep == 0
    assert timer(Wake(T + 31 * 60, 300), NOW, free, 0).reason == "beyond-horizon"
    assert timer(None, NOW, free, 0).reason == "none"


def test_past_the_share_only_short_clocks_and_past_the_budget_none() -> None:
    short, long_, unknown = Wake(T + 150, 5 * 60), Wake(T + 150, 2 * 3600), Wake(T + 150)
    assert all(timer(w, NOW, RUNS, spent=499).arm for w in (short, long_, unknown))
    assert timer(short, NOW, RUNS, spent=500).arm
    assert timer(long_, NOW, RUNS, spent=500).reason == "long-clock"
    assert timer(unknown, NOW, RUNS, spent=500).reason == "long-clock"
    assert timer(short, NOW, RUNS, spent=1000).reason == "over-budget"
    assert timer(short, NOW, RUNS, spent=996).arm  # its sleep and start-up (3 minutes) and the dispatched run fit
    assert timer(short, NOW, RUNS, spent=997).reason == "over-budget"
    later = NOW + timedelta(days=10)  # two thirds of the month: 1,666 minutes allowed
    assert timer(Wake(later.timestamp() + 60, 300), later, RUNS, spent=1000).arm


def test_where_minutes_are_billed_the_timer_meets_a_moment_three_minutes_away_at_most() -> None:
    near, far = Wake(T + 180, 5 * 60), Wake(T + 181, 5 * 60)
    assert timer(near, NOW, RUNS, spent=0).arm and timer(near, NOW, RUNS, spent=0).sleep == 135
    assert timer(far, NOW, RUNS, spent=0).reason == "beyond-horizon"
    assert timer(far, NOW, GitHubRuns(minutes_per_month=0), spent=0).arm  # free minutes: the full horizon


def test_jobs_are_billed_in_whole_minutes_at_least_one() -> None:
    assert [billed_minutes(s) for s in (0, 1, 60, 61, 1800)] == [1, 1, 1, 2, 30]


def test_percentiles_by_nearest_rank() -> None:
    assert percentile([], 0.95) == 0
    assert percentile([5, 1, 3], 0.5) == 3
    assert percentile(list(range(1, 101)), 0.95) == 95


# -- wake slots


def test_a_slot_line_is_the_minute_and_hour_utc_of_every_day() -> None:
    assert slot_line(T + 17 * 60) == "17 0 * * *"
    assert slot_line(datetime(2026, 9, 16, 23, 57, tzinfo=UTC).timestamp()) == "57 23 * * *"


def test_four_slots_from_three_minutes_before_each_short_moment() -> None:
    # a 15-minute clock due at 00:20: slots at minutes 2, 7, … from 00:17 on
    assert wake_slots([Wake(T + 20 * 60, 900)], NOW, RUNS, spent=0, hours=EVERY_HOUR) == (
        "17 0 * * *", "22 0 * * *", "27 0 * * *", "32 0 * * *",
    )  # fmt: skip
    # due at 00:21: 00:18 is no slot, the first is 00:22
    assert wake_slots([Wake(T + 21 * 60, 900)], NOW, RUNS, spent=0, hours=EVERY_HOUR)[0] == "22 0 * * *"
    # due at 00:25: the slot at 00:22 is exactly three minutes before
    assert wake_slots([Wake(T + 25 * 60, 900)], NOW, RUNS, spent=0, hours=EVERY_HOUR)[0] == "22 0 * * *"


def test_moments_close_together_share_their_slots_soonest_first() -> None:
    named = wake_slots([Wake(T + 30 * 60, 1800), Wake(T + 20 * 60, 900)], NOW, RUNS, spent=0, hours=EVERY_HOUR)
    assert named == ("17 0 * * *", "22 0 * * *", "27 0 * * *", "32 0 * * *", "37 0 * * *", "42 0 * * *")


def test_no_slot_for_a_long_clock_a_far_moment_free_minutes_or_a_spent_budget() -> None:
    assert wake_slots([Wake(T + 600, 3600), Wake(T + 600, None)], NOW, RUNS, spent=0, hours=EVERY_HOUR) == ()
    assert wake_slots([Wake(T + 24 * 3600, 900)], NOW, RUNS, spent=0, hours=EVERY_HOUR) == ()  # a later run names it
    assert wake_slots([Wake(T + 600, 900)], NOW, GitHubRuns(minutes_per_month=0), spent=0, hours=EVERY_HOUR) == ()
    assert wake_slots([Wake(T + 600, 900)], NOW, RUNS, spent=1001, hours=EVERY_HOUR) == ()  # past the pro-rated 1,000
    assert wake_slots([Wake(T + 600, 900)], NOW, RUNS, spent=1000, hours=EVERY_HOUR) != ()


def test_the_variable_brackets_each_line() -> None:
    assert slot_value(["17 0 * * *", "22 0 * * *"]) == "[17 0 * * *][22 0 * * *]"
    assert slot_value([]) == "none"  # matches no tick


def test_slots_are_named_only_in_the_slot_hours() -> None:
    # NOW is Wednesday 00:00 UTC, hour 48 of the week; a moment at 00:55 has slots 00:52, 00:57, 01:02, 01:07
    wake = [Wake(T + 55 * 60, 900)]
    assert wake_slots(wake, NOW, RUNS, spent=0, hours={48}) == ("52 0 * * *", "57 0 * * *")
    assert wake_slots(wake, NOW, RUNS, spent=0, hours={49}) == ("2 1 * * *", "7 1 * * *")
    assert wake_slots(wake, NOW, RUNS, spent=0, hours={48 + 24}) == ()  # Thursday's hour, not Wednesday's
