"""How late escalations arrive on GitHub, and what the runs cost: a month per preset, replayed.

Each manned day 20 tickets are drawn from the demo's stories (:mod:`tracker.demo`: a ticket's
opening and everything said, commanded and closed on it, at the same times after the
opening) and replayed on the local desk (:mod:`tracker.desk`) through a model of GitHub
Actions, so the grading is the real grader's and the moments are the real escalations,
reminders and to-do notes it posted. The model, from GitHub's documentation:

* ``schedule`` ticks start late: 3-30 min (uniform), another 0-15 min at minute 0 of the
  hour, and 2 % are dropped. Event and ``workflow_dispatch`` runs start 20-60 s after their
  trigger. Every job then spends ``JOB_STARTUP_S`` (measured once: a clean venv installing
  ``requirements/grader.txt`` with hashes and then the grader) before the grader reads GitHub.
* Grading runs in one concurrency group: one running, one pending; a newer pending run
  replaces the older (free: it never started). An event run grades its ticket, those that
  changed since the last run and those whose remembered wake time has come, and leaves the
  memory of what it graded (as :func:`tracker.runner.run_event`); a scheduled or dispatched
  run grades what the memory cannot vouch for (:func:`tracker.desk.run_grader`).
* Billing: each job rounded up to whole minutes, sleeping included; skipped jobs are free.
  A grading job takes ``JOB_STARTUP_S`` + 3 s + 0.4 s per write; requests are 3 (scheduled),
  5 (event) or 1 (a dispatch) plus the writes.
* Wake slots (configuration ``budget``): each slot line of the generated workflow ticks as
  the other lines do (late, sometimes dropped); its job runs only when the wake variable names
  it when the tick arrives, else it is skipped, free. After each grading job the real
  :func:`tracker.wake.wake_slots` names them (one request when the value changes), as a desk
  with the secret ``TRACKER_WAKE_TOKEN`` does.
* The timer (configurations ``unlimited`` and ``budget``): after each grading job the real
  :func:`tracker.wake.desk_wakes`, :func:`tracker.wake.earliest` and :func:`tracker.wake.timer` decide; an armed timer job
  (its own concurrency group, cancel-in-progress) starts 5-15 s later plus its start-up,
  sleeps until ``timer_lead`` before the wake moment and dispatches the grader.

Configurations: ``schedule`` (the workflow and grader before this design, measured first:
``*/15`` day and night, every issue event and comment, an event run grading its own ticket
only), ``unlimited`` (the generated workflow where minutes are free: its cron
lines, every event, the timer) and ``budget`` (the generated workflow with the default
``github.minutes_per_month``: its sparser cron lines, densest where the clocks are shortest,
its wake slots, openings only, the timer within the budget rule). Lateness of a moment = the end of the job
that posted it minus when it fell due. Seeded: the same flags print the same figures. One JSON
object per line; figures a month are scaled from ``--days`` (30, the default, is a month and
takes minutes per preset and configuration; fewer days should be whole weeks, or a replay of
weekdays only overstates a desk closed at weekends).
``--check`` exits 1 when a target is missed: ``unlimited`` p95 at most 2 minutes; ``budget``
within 2,000 minutes and its short clocks' p95 below ``schedule``'s; every busiest hour within
GitHub's 1,000 requests.

Usage: ``python bench/latency.py [--preset NAME] [--days N] [--config NAME] [--check]``.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracker.apply import apply_plan
from tracker.config import Config, GitHubRuns, load_config, preset_path
from tracker.demo import SCENARIOS, Step, _generic, _login
from tracker.desk import RECENTLY_CLOSED, gradable, run_grader
from tracker.engine import Context, assess_all, grade
from tracker.intake import render_body
from tracker.labels import type_label
from tracker.ledger import Ledger
from tracker.local_hub import LocalHub
from tracker.memory import fallen_due, save_memory
from tracker.model import Plan, PostComment
from tracker.schedule import schedule_for
from tracker.wake import (
    JOB_STARTUP_S,
    billed_minutes,
    desk_wakes,
    earliest,
    fell_due,
    percentile,
    slot_line,
    timer,
    wake_slots,
)
from tracker.whatif_runner import scheduled_runs
from tracker.workflows import starts_grading

BENCH = "latency"
PRESETS = ("club", "online", "yoga", "emergency", "desk")
CONFIGS = ("schedule", "unlimited", "budget")
START = (2026, 9, 1)
PER_DAY = 20
SHORT = 30 * 60
TODAY = ("*/15 * * * *",)  # today's workflow: every 15 minutes, day and night
HOURLY_REQUESTS = 1000  # GITHUB_TOKEN's REST requests an hour per repository
# The targets (issue "On time"), checked by --check.
EVENT_OF = {
    "open": ("issues", "opened"),
    "comment": ("issue_comment", "created"),
    "close": ("issues", "closed"),
    "assign": ("issues", "assigned"),
}
UNLIMITED_P95_S = 120
BUDGET_MINUTES = 2000


@dataclass(frozen=True)
class Plot:
    """One ticket's story: its opening and what follows, at offsets from the opening."""

    steps: tuple[tuple[float, Step], ...]


def plots(cfg: Config, preset: str) -> list[Plot]:
    steps = SCENARIOS.get(preset) or _generic(cfg)
    at = {s: s.day * 86400 + int(s.at[:2]) * 3600 + int(s.at[3:]) * 60 for s in steps}
    out = []
    for s in steps:
        if s.do == "open":
            own = [t for t in steps if t.ref == s.ref and t.do != "open"]
            out.append(Plot(((0.0, s), *((at[t] - at[s], t) for t in own if at[t] >= at[s]))))
    return out


@dataclass
class Run:
    kind: str  # scheduled | event | dispatch
    number: int | None = None
    start: float = 0.0


@dataclass
class Sim:
    cfg: Config
    store: Ledger
    config: str
    rng: random.Random
    runs: GitHubRuns
    queue: list[tuple[float, int, str, Any]] = field(default_factory=list)
    seq: int = 0
    running: Run | None = None
    pending: Run | None = None
    timer_id: int = 0
    timer_start: float = 0.0
    minutes: int = 0
    requests: int = 0
    hourly: dict[int, int] = field(default_factory=dict)  # requests by hour
    late: list[tuple[float, int, str]] = field(default_factory=list)  # (seconds, clock limit, kind)
    spent: dict[str, int] = field(default_factory=dict)  # billed minutes by job: event, scheduled, dispatch, timer
    changed: set[int] = field(default_factory=set)
    numbers: dict[str, int] = field(default_factory=dict)
    named: frozenset[str] = frozenset()  # the wake variable: the slot lines it names
    slot_hours: frozenset[int] = frozenset()  # the schedule's (tracker.schedule.Schedule.slot_hours)

    def at(self, t: float, kind: str, data: Any = None) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (t, self.seq, kind, data))

    def arrive(self, t: float, run: Run) -> None:
        if self.running is None:
            self.begin(t, run)
        else:
            self.pending = run  # a newer pending run replaces the older

    def begin(self, t: float, run: Run) -> None:
        run.start = t
        self.running = run
        self.at(t + JOB_STARTUP_S, "grade", run)


def _bill(sim: Sim, job: str, minutes: int) -> None:
    sim.minutes += minutes
    sim.spent[job] = sim.spent.get(job, 0) + minutes


def _count(sim: Sim, t: float, requests: int) -> None:
    sim.requests += requests
    sim.hourly[int(t // 3600)] = sim.hourly.get(int(t // 3600), 0) + requests


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t).astimezone()


def _late(rng: random.Random, tick: float) -> float | None:
    """How late GitHub starts a schedule tick: 3-30 min, up to 15 more at minute 0; None: dropped (2 %)."""
    if rng.random() < 0.02:
        return None
    return rng.uniform(180, 1800) + (rng.uniform(0, 900) if _dt(tick).minute == 0 else 0)


def _perform(sim: Sim, t: float, key: str, s: Step) -> int | None:
    cfg, store = sim.cfg, sim.store
    now = _dt(t)
    hub = LocalHub(store, cfg.bot.login, lambda: now)
    login = _login(cfg, s.who)
    association = "MEMBER" if cfg.is_staff_login(login) else "NONE"
    if s.do == "open":
        form = cfg.form_by_id[s.form]
        number = hub.open_ticket(form.title_prefix + s.title, render_body(cfg, s.form, dict(s.answers)), login,
                                 labels=(type_label(cfg, form.type), *form.labels), association=association,
                                 at=now)  # fmt: skip
        sim.numbers[key] = number
        return number
    number = sim.numbers.get(key)
    if number is None:
        return None
    if s.do == "comment":
        hub.add_comment(number, login, s.text, association, at=now)
    elif s.do == "close":
        hub.close_ticket(number, login, at=now)
    elif s.do == "assign":
        hub.assign(number, [s.text], [], login, at=now)
    return number


def _deliveries(sim: Sim, t: float, plans: list[Plan], end: float, ctx: Context) -> None:
    actions = [a for p in plans for a in p.actions if isinstance(a, PostComment)]
    if not actions:
        return
    now = _dt(t)
    views = assess_all(gradable(sim.store, now), sim.cfg, now, ctx=ctx)
    sim.late += [(end - due.timestamp(), limit, kind) for kind, due, limit in fell_due(views, actions)]


def _grade(sim: Sim, t: float, run: Run, ctx: Context) -> None:
    now = _dt(t)
    if run.kind == "event":
        only = {run.number} | sim.changed if run.number is not None else set(sim.changed)
        if sim.config != "schedule":  # the grader before: an event run grades its own ticket only
            only |= set(fallen_due(sim.store, ctx, now=now, updated_since=now - RECENTLY_CLOSED))
        tickets = gradable(sim.store, now)
        plan = grade(tickets, sim.cfg, now, only=only, ctx=ctx, memo={})  # as tracker run: fresh wake times
        hub = LocalHub(sim.store, sim.cfg.bot.login, lambda: now)
        report = apply_plan(plan, hub, store=sim.store, run_id=f"e{sim.seq}", now=now)
        plans, writes, fresh = [plan], report.writes, dict(plan.memo)
        if sim.config != "schedule":
            save_memory(sim.store, plan, tickets)
        sim.store.begin_run(f"e{sim.seq}", now)
        sim.store.finish_run(f"e{sim.seq}", "ok")
        _count(sim, t, 5 + writes)
    else:
        result = run_grader(sim.store, sim.cfg, now, ctx=ctx, run_id=f"s{sim.seq}")
        plans, writes, fresh = result.plans, result.writes, {}
        _count(sim, t, 3 + writes)
    sim.changed.clear()
    end = t + 3 + 0.4 * writes
    _deliveries(sim, t, plans, end, ctx)
    _bill(sim, run.kind, billed_minutes(end - run.start))
    sim.at(end, "end", run)
    if sim.config == "schedule":
        return
    wakes = desk_wakes(sim.store, now, fresh)
    named = frozenset(wake_slots(wakes, now, sim.runs, sim.minutes, sim.slot_hours))
    if named != sim.named:
        sim.named = named
        _count(sim, end, 1)
    wake = earliest(wakes)
    decided = timer(wake, now, sim.runs, sim.minutes)
    if decided.arm:
        if sim.timer_id:
            _bill(sim, "timer", billed_minutes(end - sim.timer_start))  # the older timer, cancelled
        sim.timer_id = sim.seq
        sim.timer_start = end + sim.rng.uniform(5, 15)
        fire = max(sim.timer_start + JOB_STARTUP_S, (wake.at if wake else t) - sim.runs.timer_lead)
        sim.at(fire, "fire", sim.timer_id)


def simulate(preset: str, config: str, days: int, seed: int) -> dict[str, Any]:
    cfg = load_config(preset_path(preset))
    if config != "budget":
        cfg = cfg.model_copy(update={"github": cfg.github.model_copy(update={"minutes_per_month": 0})})
    runs = cfg.github
    schedule = schedule_for(cfg)
    lines = TODAY if config == "schedule" else schedule.lines
    slots = () if config == "schedule" else schedule.slots
    rng = random.Random(f"{seed}-{preset}")  # the same tickets and delays for every configuration
    with tempfile.TemporaryDirectory() as tmp:
        store = Ledger(Path(tmp) / "desk.db")
        sim = Sim(cfg, store, config, rng, runs, slot_hours=schedule.slot_hours)
        ctx = Context(cfg)
        cal = ctx.calendars[next(iter(cfg.calendars))]
        start = datetime(*START, tzinfo=cfg.tz).timestamp()
        stop = start + days * 86400
        stories = plots(cfg, preset)
        k = 0
        for day in range(days):
            d0 = start + day * 86400
            if cal.counted_s(d0, d0 + 86400, "manned") <= 0:
                continue
            for _ in range(PER_DAY):
                while True:
                    t = d0 + rng.uniform(0, 86400)
                    if cal.counted_s(t, t + 60, "manned") > 0:
                        break
                plot = rng.choice(stories)
                k += 1
                for offset, s in plot.steps:
                    sim.at(t + offset, "human", (f"p{k}", s))
        for moment in scheduled_runs(lines, datetime.fromtimestamp(start, UTC), days):
            tick = moment.timestamp()
            if (late := _late(rng, tick)) is not None:
                sim.at(tick + late, "arrive", Run("scheduled"))
        for moment in scheduled_runs(slots, datetime.fromtimestamp(start, UTC), days) if slots else ():
            tick = moment.timestamp()
            if (late := _late(rng, tick)) is not None:
                sim.at(tick + late, "slot", slot_line(tick))
        while sim.queue:
            t, _, kind, data = heapq.heappop(sim.queue)
            if t > stop:
                break
            if kind == "human":
                key, s = data
                number = _perform(sim, t, key, s)
                if number is None:
                    continue
                sim.changed.add(number)
                if not starts_grading(runs, *EVENT_OF[s.do]):
                    continue  # the workflow does not start the grading job: free
                sim.at(t + rng.uniform(20, 60), "arrive", Run("event", number))
            elif kind == "arrive":
                sim.arrive(t, data)
            elif kind == "slot":
                if data in sim.named:  # the job's if: reads the variable as the tick arrives
                    sim.arrive(t, Run("scheduled"))
            elif kind == "grade":
                _grade(sim, t, data, ctx)
            elif kind == "end":
                sim.running = None
                if sim.pending is not None:
                    run, sim.pending = sim.pending, None
                    sim.begin(t, run)
            elif kind == "fire" and data == sim.timer_id:
                _bill(sim, "timer", billed_minutes(t - sim.timer_start))
                sim.timer_id = 0
                _count(sim, t, 1)
                sim.at(t + rng.uniform(20, 60), "arrive", Run("dispatch"))
        store.close()
    late = [s for s, _, _ in sim.late]
    short = [s for s, limit, _ in sim.late if limit <= SHORT]
    scale = 30 / days
    return {
        "bench": BENCH, "preset": preset, "config": config, "days": days, "moments": len(late),
        "late_p50_s": round(percentile(late, 0.5)), "late_p95_s": round(percentile(late, 0.95)),
        "late_max_s": round(max(late, default=0)), "late_p95_short_s": round(percentile(short, 0.95)) if short else None,
        "runner_minutes_month": round(sim.minutes * scale), "requests_month": round(sim.requests * scale),
        "requests_peak_hour": max(sim.hourly.values(), default=0), "job_startup_s": JOB_STARTUP_S,
        "minutes_by_job": {job: round(m * scale) for job, m in sorted(sim.spent.items())},
    }  # fmt: skip


def missed(rows: list[dict[str, Any]]) -> list[str]:
    """The targets (issue "On time") a preset's rows miss: ``unlimited`` p95 within
    :data:`UNLIMITED_P95_S`; ``budget`` within :data:`BUDGET_MINUTES` and its short clocks' p95
    below ``schedule``'s; every configuration's busiest hour within :data:`HOURLY_REQUESTS`."""
    by = {r["config"]: r for r in rows}
    out = []
    for r in rows:
        if r["requests_peak_hour"] > HOURLY_REQUESTS:
            out.append(f"{r['preset']} {r['config']}: {r['requests_peak_hour']} requests in an hour")
    if "unlimited" in by and by["unlimited"]["late_p95_s"] > UNLIMITED_P95_S:
        out.append(f"{by['unlimited']['preset']} unlimited: p95 {by['unlimited']['late_p95_s']} s late")
    if "budget" in by:
        b = by["budget"]
        if b["runner_minutes_month"] > BUDGET_MINUTES:
            out.append(f"{b['preset']} budget: {b['runner_minutes_month']} runner minutes a month")
        mine, theirs = b["late_p95_short_s"], by.get("schedule", {}).get("late_p95_short_s")
        if mine is not None and theirs is not None and mine >= theirs:  # None: no clock that short
            out.append(f"{b['preset']} budget: short clocks p95 {b['late_p95_short_s']} s, schedule "
                       f"{by['schedule']['late_p95_short_s']} s")  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=PRESETS, action="append")
    parser.add_argument("--config", choices=CONFIGS, action="append")
    parser.add_argument("--days", type=int, default=30, help="days replayed; figures are scaled to 30")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    failures = []
    for preset in args.preset or PRESETS:
        rows = []
        for config in args.config or CONFIGS:
            rows.append(simulate(preset, config, args.days, args.seed))
            print(json.dumps(rows[-1], sort_keys=True), flush=True)
        failures += missed(rows)
    if args.check and failures:
        raise SystemExit("targets missed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
