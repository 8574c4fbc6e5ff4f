"""On time: the desk's wake moment, the timer and its budget rule, over plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.config import GitHubRuns
from tracker.engine import Memo
from tracker.wake import Wake, allowance, billed_minutes, earliest, percentile, timer

NOW = datetime(2026, 9, 16, 0, 0, tzinfo=UTC)  # half of a 30-day month has passed
T = NOW.timestamp()
RUNS = GitHubRuns()  # 2,000 minutes, 30 min horizon (3 min billed), 45 s lead, short clocks <= 30 min, share 0.5


def memo(wake: float, limit: float | None = None) -> Memo:
    return Memo("fp", wake, False, None, limit)


def test_the_earliest_wake_wins_and_a_past_one_is_now() -> None:
    assert earliest([memo(T + 600, 3600), memo(T + 300, 300), memo(float("inf"))], T) == Wake(T + 300, 300)
    assert earliest([memo(T - 50, 900), memo(T + 10)], T) == Wake(T, 900)
    assert earliest([memo(float("inf")), memo(1e18)], T) is None
    assert earliest([], T) is None


def test_at_the_same_moment_the_shorter_clock_is_named() -> None:
    assert earliest([memo(T + 60, 3600), memo(T + 60, 300), memo(T + 60)], T) == Wake(T + 60, 300)


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
