"""On time: the desk's next wake moment, the timer that meets it, and the minutes runs cost.

GitHub runs ``schedule`` late (minutes, more at the top of the hour) and drops ticks, so a
5-minute clock waiting for the next tick escalates late. Every ``tracker run`` therefore ends
knowing the desk's next wake moment (:func:`desk_wake`: the earliest wake time in the
grader's memory over the open tickets, incidents included). When it is near,
:func:`timer` decides whether a timer job should sleep until just before it and dispatch the
grader (README, "On time"). Where runner minutes are billed, the timer spends by a simple
rule: the budget is pro-rated to the moment; below ``timer_share`` of that it arms for
any clock, above it only for clocks at most ``timer_short_clock`` long, and past it not at
all, nor when the arm itself (its sleep and the run it dispatches) would pass it (the schedule
still runs); and since the timer's sleep is billed too, it arms only for a
moment at most ``timer_billed_horizon`` away.

Pure parts (:func:`earliest`, :func:`timer`, :func:`allowance`, :func:`billed_minutes`,
:func:`fell_due`, :func:`percentile`) take plain data; :func:`desk_wake`,
:func:`record_spend` and :func:`month_spend` read and write the ledger.
"""

from __future__ import annotations

import calendar
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tracker.clocks import epoch
from tracker.config import GitHubRuns
from tracker.engine import Memo
from tracker.ledger import Ledger
from tracker.model import Action, PostComment
from tracker.protocol import due_item_key, escalation_key, parts_of, reminder_key
from tracker.views import TicketView

__all__ = [
    "JOB_STARTUP_S",
    "Timer",
    "Wake",
    "allowance",
    "billed_minutes",
    "desk_wake",
    "earliest",
    "fell_due",
    "month_spend",
    "percentile",
    "record_spend",
    "timer",
]

SPEND_KEY = "runner_minutes"  # ledger meta: {"month": "YYYY-MM", "runs": n, "minutes": m}
NEVER = 1e17  # wake times at or beyond this are "nothing scheduled"
# A job's start-up before the grader runs (runner set-up, checkout, hash-pinned install),
# measured once from a clean install of requirements/grader.txt plus the grader (bench/latency.py).
JOB_STARTUP_S = 34.0


@dataclass(frozen=True, slots=True)
class Wake:
    """A wake moment (epoch seconds) and the length of the clock it belongs to (None: none)."""

    at: float
    limit: float | None = None

    @property
    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.at, UTC)


@dataclass(frozen=True, slots=True)
class Timer:
    """Whether the timer job arms, how long it sleeps, and why (a code, see :data:`REASONS`)."""

    arm: bool
    sleep: float
    reason: str


REASONS = ("armed", "none", "beyond-horizon", "over-budget", "long-clock")


def earliest(memos: Iterable[Memo], now: float) -> Wake | None:
    """The first wake moment among ``memos``; one already past is ``now`` (it is due)."""
    best: tuple[float, float] | None = None
    for m in memos:
        if not math.isfinite(m.wake) or m.wake >= NEVER:
            continue
        key = (max(m.wake, now), m.wake_limit if m.wake_limit is not None else math.inf)
        if best is None or key < best:
            best = key
    if best is None:
        return None
    return Wake(best[0], best[1] if math.isfinite(best[1]) else None)


def desk_wake(store: Ledger, now: datetime, fresh: Mapping[int, Memo] = {}) -> Wake | None:
    """The desk's next wake moment: the grader's memory of open tickets, ``fresh`` memos
    (this run's, for every ticket it graded, touched or not) replacing what is stored."""
    with store.read() as db:
        rows = db.execute(
            "SELECT m.number, m.fingerprint, m.wake, m.involved, m.incident, m.wake_limit"
            " FROM grader_memo m JOIN tickets t ON t.number = m.number WHERE t.state = 'open'"
        ).fetchall()
    memos = {n: Memo(fp, wake, bool(inv), inc, lim) for n, fp, wake, inv, inc, lim in rows}
    memos.update(fresh)
    return earliest(memos.values(), now.timestamp())


def allowance(budget: int, now: datetime) -> float:
    """The month's budget pro-rated to ``now`` (UTC): at ``now`` a share of the month has passed,
    and so may the same share of the budget (day d of an n-day month ends at ``budget * d / n``)."""
    utc = now.astimezone(UTC)
    days = calendar.monthrange(utc.year, utc.month)[1]
    start = utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return budget * (utc - start).total_seconds() / (days * 86400)


def timer(wake: Wake | None, now: datetime, runs: GitHubRuns, spent: float) -> Timer:
    """Whether a timer job should meet ``wake``, given the minutes ``spent`` this month."""
    if wake is None:
        return Timer(False, 0.0, "none")
    wait = wake.at - now.timestamp()
    horizon = min(runs.timer_horizon, runs.timer_billed_horizon) if runs.minutes_per_month else runs.timer_horizon
    if wait > horizon:
        return Timer(False, 0.0, "beyond-horizon")
    sleep = max(0.0, wait - runs.timer_lead)
    if runs.minutes_per_month:
        allowed = allowance(runs.minutes_per_month, now)
        cost = billed_minutes(sleep + JOB_STARTUP_S) + 1  # the timer job, then the grading job it dispatches
        if spent + cost > allowed:
            return Timer(False, sleep, "over-budget")
        short = wake.limit is not None and wake.limit <= runs.timer_short_clock
        if spent >= runs.timer_share * allowed and not short:
            return Timer(False, sleep, "long-clock")
    return Timer(True, sleep, "armed")


def billed_minutes(seconds: float) -> int:
    """GitHub bills each job in whole minutes, rounded up, at least one."""
    return max(1, math.ceil(seconds / 60))


def _month(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m")


def month_spend(store: Ledger, now: datetime) -> tuple[int, int]:
    """(jobs, billed minutes) counted in the ledger for ``now``'s month."""
    spend = json.loads(store.get_meta(SPEND_KEY) or "{}")
    if spend.get("month") != _month(now):
        return 0, 0
    return int(spend.get("runs", 0)), int(spend.get("minutes", 0))


def record_spend(store: Ledger, now: datetime, minutes: int, jobs: int = 1) -> tuple[int, int]:
    """Count ``jobs`` billed ``minutes`` in ``now``'s month; returns the month's new totals."""
    runs, spent = month_spend(store, now)
    runs, spent = runs + jobs, spent + minutes
    store.set_meta(SPEND_KEY, json.dumps({"month": _month(now), "runs": runs, "minutes": spent}))
    return runs, spent


def fell_due(views: Iterable[TicketView], actions: Iterable[Action]) -> list[tuple[str, datetime, int]]:
    """(kind, moment it fell due, its clock's length in seconds) of every escalation, reminder
    and to-do note ``actions`` post."""
    moments: dict[tuple[int, str], tuple[str, datetime, int]] = {}
    for v in views:
        for c in v.clocks:
            for e in c.escalations:
                moments[(v.number, escalation_key(e.clock, e.cycle, e.step))] = ("escalation", e.at, c.limit)
                again = escalation_key(e.clock, e.cycle, e.step, epoch(c.due))
                moments[(v.number, again)] = ("escalation", e.at, c.limit)
            if c.checklist and c.cycle == 0:
                moments[(v.number, reminder_key(c.id))] = ("reminder", c.at_risk_at, c.limit)
                moments[(v.number, due_item_key(c.id))] = ("todo", c.started, c.limit)
    out = []
    for a in actions:
        if isinstance(a, PostComment):
            out += [moments[(a.number, p)] for p in parts_of(a.key) if (a.number, p) in moments]
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` (0-1) quantile of ``values`` by the nearest-rank method; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]
