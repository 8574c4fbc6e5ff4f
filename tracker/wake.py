"""On time: the desk's next wake moment, the timer that meets it, and the minutes runs cost.

GitHub runs ``schedule`` late (minutes, more at the top of the hour) and drops ticks, so a
5-minute clock waiting for the next tick escalates late. Every ``tracker run`` therefore ends
knowing the desk's next wake moment (the :func:`earliest` of :func:`desk_wakes`: the first
wake time in the grader's memory over the open tickets, incidents included). When it is near,
:func:`timer` decides whether a timer job should sleep until just before it and dispatch the
grader (README, "On time"). Where runner minutes are billed, the timer spends by a simple
rule: the budget is pro-rated to the moment; below ``timer_share`` of that it arms for
any clock, above it only for clocks at most ``timer_short_clock`` long, and past it not at
all, nor when the arm itself (its sleep and the run it dispatches) would pass it (the schedule
still runs); and since the timer's sleep is billed too, it arms only for a
moment at most ``timer_billed_horizon`` away.

Wake slots, where minutes are billed: the generated workflow also lists a cron line for every
five minutes of the hours in which a short clock counts and blind runs are sparse (``M H * * *``,
UTC, :mod:`tracker.schedule`), and its grading
job runs on such a tick only when the repository variable :data:`WAKE_VARIABLE` names it;
a job skipped by its ``if:`` costs nothing. Every run ends by naming (:func:`wake_slots`) the
first :data:`SLOTS_PER_MOMENT` slots from :data:`SLOT_LEAD` before each short clock's next
moment: GitHub starts a scheduled run minutes late, so the first of them to start comes soon
after the moment, and the run it starts names the next moments' slots instead, leaving the
others to be skipped. Writing the variable needs a token with the Variables permission
(``TRACKER_WAKE_TOKEN``); without one no slot ever runs and the schedule stays the net.

Pure parts (:func:`wakes_of`, :func:`earliest`, :func:`timer`, :func:`wake_slots`, :func:`slot_line`,
:func:`slot_value`, :func:`allowance`, :func:`billed_minutes`, :func:`fell_due`,
:func:`percentile`) take plain data; :func:`desk_wakes`,
:func:`record_spend` and :func:`month_spend` read and write the ledger.
"""

from __future__ import annotations

import calendar
import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
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
    "WAKE_VARIABLE",
    "Timer",
    "Wake",
    "allowance",
    "billed_minutes",
    "desk_wakes",
    "earliest",
    "fell_due",
    "month_spend",
    "percentile",
    "record_spend",
    "slot_cron",
    "slot_line",
    "slot_value",
    "timer",
    "wake_slots",
    "wakes_of",
]

SPEND_KEY = "runner_minutes"  # ledger meta: {"month": "YYYY-MM", "runs": n, "minutes": m}
NEVER = 1e17  # wake times at or beyond this are "nothing scheduled"
# A job's start-up before the grader runs (runner set-up, checkout, hash-pinned install),
# measured once from a clean install of requirements/grader.txt plus the grader (bench/latency.py).
JOB_STARTUP_S = 34.0
WAKE_VARIABLE = "TRACKER_WAKE"  # the repository variable naming the wake slots to run
SLOT_STEP = 300  # seconds between wake slots
SLOT_MINUTE = 2  # slots fall at minutes 2, 7, …, 57 of each UTC hour: never on a round minute
SLOT_LEAD = 180  # GitHub starts a scheduled run minutes after its minute: a slot this early still starts after
SLOTS_PER_MOMENT = 4  # bench/latency.py: the first of four ticks 5 minutes apart, each 3-30 min late
SLOT_SPAN = SLOT_STEP * SLOTS_PER_MOMENT  # seconds: where blind runs come this often, no slot is named
SLOT_AHEAD = 23 * 3600  # a slot's line fires daily: a moment further ahead is named by a later run


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


def wakes_of(memos: Iterable[Memo], now: float) -> list[Wake]:
    """Each memo's wake moment, one already past being ``now`` (it is due); none for a memo
    with nothing scheduled."""
    return [Wake(max(m.wake, now), m.wake_limit) for m in memos if math.isfinite(m.wake) and m.wake < NEVER]


def earliest(wakes: Iterable[Wake]) -> Wake | None:
    """The first of ``wakes``; at the same moment, the shorter clock's."""
    return min(wakes, key=lambda w: (w.at, math.inf if w.limit is None else w.limit), default=None)


def desk_wakes(store: Ledger, now: datetime, fresh: Mapping[int, Memo] = {}) -> list[Wake]:
    """Every open ticket's next wake moment from the grader's memory, incidents included,
    ``fresh`` memos (this run's, for every ticket it graded, touched or not) replacing what is
    stored."""
    with store.read() as db:
        rows = db.execute(
            "SELECT m.number, m.fingerprint, m.wake, m.involved, m.incident, m.wake_limit"
            " FROM grader_memo m JOIN tickets t ON t.number = m.number WHERE t.state = 'open'"
        ).fetchall()
    memos = {n: Memo(fp, wake, bool(inv), inc, lim) for n, fp, wake, inv, inc, lim in rows}
    memos.update(fresh)
    return wakes_of(memos.values(), now.timestamp())


def slot_cron(hour: int, minute: int) -> str:
    """A wake slot's cron line (UTC): every day at ``hour``:``minute``. Only a slot's line ends
    in ``* * *`` (the workflow's ``if:`` tells them so)."""
    return f"{minute} {hour} * * *"


def slot_line(at: float) -> str:
    """The cron line of the wake slot at epoch ``at``."""
    utc = datetime.fromtimestamp(at, UTC)
    return slot_cron(utc.hour, utc.minute)


def wake_slots(
    wakes: Iterable[Wake], now: datetime, runs: GitHubRuns, spent: float, hours: Collection[int]
) -> tuple[str, ...]:
    """The wake slots' cron lines this run names, soonest first: for each short clock's moment
    within :data:`SLOT_AHEAD`, the first :data:`SLOTS_PER_MOMENT` slots from :data:`SLOT_LEAD`
    before it that fall in the slot ``hours`` (UTC hours of the week, 0: Monday 00:00; the
    schedule's, :mod:`tracker.schedule`). None where minutes are free (the timer meets every
    moment) or once the month's spend has passed the budget pro-rated to ``now``."""
    if not runs.minutes_per_month or spent > allowance(runs.minutes_per_month, now):
        return ()
    t, offset = now.timestamp(), SLOT_MINUTE * 60
    found: set[float] = set()
    for w in wakes:
        if w.limit is None or w.limit > runs.timer_short_clock or w.at > t + SLOT_AHEAD:
            continue
        first = math.ceil((w.at - SLOT_LEAD - offset) / SLOT_STEP) * SLOT_STEP + offset
        found.update(first + k * SLOT_STEP for k in range(SLOTS_PER_MOMENT))
    return tuple(dict.fromkeys(slot_line(at) for at in sorted(found) if _week_hour(at) in hours))


def _week_hour(at: float) -> int:
    utc = datetime.fromtimestamp(at, UTC)
    return utc.weekday() * 24 + utc.hour


def slot_value(slots: Iterable[str]) -> str:
    """The wake variable's value: each slot's cron line in brackets, as the workflow's ``if:``
    looks for ``[<github.event.schedule>]``; ``none`` when there is none, so that the variable
    is never empty."""
    return "".join(f"[{line}]" for line in slots) or "none"


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
