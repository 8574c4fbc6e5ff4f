"""One grader run against GitHub: sync, grade, apply. Used by ``tracker run`` in Actions.

Two entry points, one per workflow trigger:

* :func:`run_scheduled` — every 15 minutes: incremental sync, grade every open ticket (and
  those closed recently, whose ratings and incidents still matter), apply the difference
  within what is left of the hour's write budget (:mod:`tracker.pacing`), most urgent first.
* :func:`run_event` — on an ``issues`` / ``issue_comment`` event, within seconds: the issue
  (and comment) from the payload go straight into the ledger, the ledger catches up (an
  incremental sync when it is warm; otherwise just this ticket's comments and events), and
  that ticket (plus any ticket the catch-up found changed, in case a queued run was
  replaced, and any whose remembered wake time has come) is planned, with the other tickets
  as context for surge detection. Every run thus delivers what has fallen due, and leaves
  the memory of what it graded.

Labels the plan is about to use are created first if GitHub does not have them yet
(remembered in the ledger, so that costs no request once they exist). Nothing here decides
policy; the engine does, from ``is_bot``/logins that :mod:`tracker.sync` sets.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.apply import ApplyReport, apply_plan
from tracker.config import Config
from tracker.desk import RECENTLY_CLOSED, gradable
from tracker.engine import Context, Memo, assess_all, grade
from tracker.errors import BudgetExhausted, UsageError
from tracker.gcpause import paused_gc
from tracker.github_hub import GitHubHub, GitHubRequestError, is_bot_user, login_of
from tracker.labels import LabelSpec, catalog
from tracker.ledger import Ledger
from tracker.memory import fallen_due, forget_tickets, load_memory, save_memory
from tracker.model import OpenIncident, Plan, PostComment, SetLabels, Ticket
from tracker.pacing import effects, pace, record_writes, spent_in_hour
from tracker.protocol import DUE_ITEM, ESCALATION, REMINDER, kind_of, parts_of
from tracker.schedule import schedule_for
from tracker.sync import (
    SyncReport,
    comment_for,
    gone_tickets,
    is_warm,
    known_labels,
    prime_hub,
    recheck_missing,
    refresh_ticket,
    remember_gone,
    remember_labels,
    sync,
    ticket_from_api,
)
from tracker.wake import (
    JOB_STARTUP_S,
    billed_minutes,
    desk_wakes,
    earliest,
    fell_due,
    record_spend,
    timer,
    wake_slots,
)

EVENT_NAMES = ("issues", "issue_comment")
MAX_GONE_PER_RUN = 5
_FALLBACK_COLOR = "ededed"


@dataclass
class RunSummary:
    """What one run did, for the log line, ``--json`` and the tests."""

    mode: str
    run_id: str
    now: datetime
    dry_run: bool
    sync: dict[str, Any] = field(default_factory=dict)
    graded: int = 0
    planned: int = 0
    applied: int = 0
    skipped: int = 0
    labels_created: list[str] = field(default_factory=list)
    requests: int = 0
    writes: int = 0
    retries: int = 0
    failures: list[str] = field(default_factory=list)  # failed attempts, retried or verified
    remaining: int | None = None
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ignored: str | None = None  # why an event was not acted on
    effects: dict[str, int] = field(default_factory=dict)  # what the whole plan writes (see pacing.Effects)
    deferred: int = 0  # tickets left for the next runs by the hourly write budget
    deferred_writes: int = 0
    wake_at: datetime | None = None  # the desk's next wake moment (UTC)
    wake_limit: float | None = None  # the length of the clock it belongs to, seconds
    timer: str = "none"  # armed, or why not (tracker.wake.REASONS)
    timer_sleep: float = 0.0  # seconds the timer job sleeps before dispatching
    wake_slots: tuple[str, ...] = ()  # the wake slots' cron lines this run names (tracker.wake.wake_slots)
    late: list[tuple[str, float]] = field(default_factory=list)  # (kind, seconds) per delivery
    month_runs: int = 0  # jobs counted this month (this one included)
    month_minutes: int = 0  # their billed minutes
    started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def wake_in(self) -> int | None:
        return None if self.wake_at is None else max(0, round((self.wake_at - self.now).total_seconds()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "run_id": self.run_id,
            "now": self.now.isoformat(),
            "dry_run": self.dry_run,
            "sync": self.sync,
            "graded": self.graded,
            "planned": self.planned,
            "applied": self.applied,
            "skipped": self.skipped,
            "labels_created": self.labels_created,
            "requests": self.requests,
            "writes": self.writes,
            "retries": self.retries,
            "failures": self.failures,
            "remaining": self.remaining,
            "ignored": self.ignored,
            "effects": self.effects,
            "deferred": self.deferred,
            "deferred_writes": self.deferred_writes,
            "actions": self.lines,
            "wake_at": self.wake_at.isoformat() if self.wake_at else None,
            "wake_in": self.wake_in,
            "wake_limit": self.wake_limit,
            "timer": self.timer,
            "timer_sleep": self.timer_sleep,
            "wake_slots": list(self.wake_slots),
            "late": [{"kind": k, "seconds": s} for k, s in self.late],
            "month_runs": self.month_runs,
            "month_minutes": self.month_minutes,
        }


def new_run_id(now: datetime) -> str:
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"


def grading_set(
    store: Ledger, now: datetime, also: Iterable[int] = (), *, restless_for: Context | None = None
) -> list[Ticket]:
    """Every open ticket, those closed in the last :data:`RECENTLY_CLOSED`, and ``also``.

    With ``restless_for``, only those the grader's memory cannot vouch for (see
    :func:`tracker.desk.gradable`).
    """
    tickets = {t.number: t for t in gradable(store, now, restless_for=restless_for)}
    extra = set(also) - set(tickets)
    if extra:
        for t in store.tickets(numbers=extra):
            tickets[t.number] = t
    gone = gone_tickets(store)
    return [tickets[n] for n in sorted(tickets) if n not in gone]


def plan_labels(plan: Plan) -> set[str]:
    """Every label name the plan may put on a ticket."""
    names: set[str] = set()
    for action in plan.actions:
        if isinstance(action, SetLabels):
            names.update(action.add)
        elif isinstance(action, OpenIncident):
            names.update(action.labels)
    return names


def ensure_plan_labels(cfg: Config, hub: GitHubHub, store: Ledger, plan: Plan, *, dry_run: bool) -> list[str]:
    """Create the labels ``plan`` uses that GitHub lacks; no request once all are known."""
    needed = plan_labels(plan)
    known = known_labels(store)
    if needed <= known:
        return []
    existing = hub.existing_labels()
    have = {n.casefold() for n in existing}
    specs = {s.name: s for s in catalog(cfg)}
    missing = [
        specs.get(name, LabelSpec(name, _FALLBACK_COLOR, "")) for name in sorted(needed) if name.casefold() not in have
    ]
    created: list[str] = []
    if missing and not dry_run:
        created = hub.ensure_labels(missing, existing=existing)
    remember_labels(store, [*known, *existing, *created])
    return [s.name for s in missing] if dry_run else created


def sync_labels(cfg: Config, hub: GitHubHub, store: Ledger | None = None) -> list[str]:
    """``tracker labels sync``: create every catalogue label GitHub lacks (one list read)."""
    existing = hub.existing_labels()
    created = hub.ensure_labels(catalog(cfg), existing=existing)
    if store is not None:
        remember_labels(store, [*existing, *created])
    return created


def _apply(
    cfg: Config,
    hub: GitHubHub,
    store: Ledger,
    plan: Plan,
    summary: RunSummary,
    regrade: Callable[[], Plan],
) -> None:
    """Apply ``plan``; an issue or comment found deleted is forgotten and the rest re-planned.

    Re-applying after a partial apply is safe: every action is idempotent, and what this run
    already posted is known to the hub.
    """
    summary.planned = len(plan.actions)
    summary.notes = [*summary.notes, *plan.notes]
    if summary.dry_run:
        summary.labels_created = ensure_plan_labels(cfg, hub, store, plan, dry_run=True)
        report = apply_plan(plan, hub, now=summary.now, dry_run=True)
        _take(summary, report)
        return
    store.begin_run(summary.run_id, summary.now)
    status = "failed"
    try:
        summary.labels_created = ensure_plan_labels(cfg, hub, store, plan, dry_run=False)
        for attempt in range(MAX_GONE_PER_RUN + 1):
            try:
                report = apply_plan(
                    plan, hub, store=store, run_id=summary.run_id, now=summary.now,
                )  # fmt: skip
                break
            except GitHubRequestError as exc:
                if attempt == MAX_GONE_PER_RUN or not _forget_gone(hub, store, exc, summary):
                    raise
                plan = regrade()
        status = "ok"
    except BudgetExhausted:
        status = "budget"
        raise
    finally:
        store.finish_run(summary.run_id, status)
    _take(summary, report)


def _forget_gone(hub: GitHubHub, store: Ledger, exc: GitHubRequestError, summary: RunSummary) -> bool:
    """Forget an issue or a comment that GitHub no longer has; False if that is not the case."""
    if exc.status not in (404, 410):
        return False
    if exc.comment_id is not None:
        store.delete_comment(exc.comment_id)
        hub.forget_comment(exc.comment_id)
        summary.notes.append(f"comment {exc.comment_id} was deleted on GitHub: written anew")
        return True
    if exc.number is not None and hub.issue_gone(exc.number):
        remember_gone(store, exc.number, summary.now)
        summary.notes.append(f"#{exc.number} is not on GitHub now: left alone, and asked for again by later runs")
        return True
    return False


def _recheck(hub: GitHubHub, store: Ledger, summary: RunSummary, listed: Iterable[int]) -> None:
    """Issues suspected gone asked for again; those GitHub has are graded in full once more."""
    back = recheck_missing(hub, store, summary.now, listed)
    if back:
        forget_tickets(store, back)
        summary.notes.extend(f"#{n} is on GitHub again: graded as usual" for n in back)


def _take(summary: RunSummary, report: ApplyReport) -> None:
    summary.applied = report.applied
    summary.skipped = report.skipped
    summary.lines = report.lines()


def _finish(summary: RunSummary, hub: GitHubHub, before: int, writes_before: int) -> RunSummary:
    summary.requests = hub.stats.requests - before
    summary.writes = hub.stats.writes - writes_before
    summary.retries = hub.stats.retries
    summary.failures = list(hub.stats.failures)
    summary.remaining = hub.stats.remaining
    return summary


def _wake(
    cfg: Config, store: Ledger, summary: RunSummary, fresh: dict[int, Memo], views: Callable[[], list[Any]], plan: Plan
) -> None:
    """The run's deliveries and their lateness, the desk's next wake moment, the timer, the spend."""
    if any(kind_of(p) in _TIMED for a in plan.actions if isinstance(a, PostComment) for p in parts_of(a.key)):
        summary.late = [(k, (summary.now - at).total_seconds()) for k, at, _ in fell_due(views(), plan.actions)]
    wakes = desk_wakes(store, summary.now, fresh)
    wake = earliest(wakes)
    if wake is not None:
        summary.wake_at, summary.wake_limit = wake.moment, wake.limit
    if summary.dry_run:
        summary.month_runs, summary.month_minutes = 0, 0
        decided = timer(wake, summary.now, cfg.github, 0)
    else:
        own = billed_minutes(time.monotonic() - summary.started + JOB_STARTUP_S)
        summary.month_runs, summary.month_minutes = record_spend(store, summary.now, own)
        decided = timer(wake, summary.now, cfg.github, summary.month_minutes)
        if decided.arm:  # the timer job: sleeping is billed too
            slept = billed_minutes(decided.sleep + JOB_STARTUP_S)
            summary.month_runs, summary.month_minutes = record_spend(store, summary.now, slept)
    summary.timer, summary.timer_sleep = decided.reason, decided.sleep
    if cfg.github.minutes_per_month:
        hours = schedule_for(cfg).slot_hours
        summary.wake_slots = wake_slots(wakes, summary.now, cfg.github, summary.month_minutes, hours)


_TIMED = (ESCALATION, REMINDER, DUE_ITEM)
WRITES_LOG = "writes_last_hour"


def _write_budget(cfg: Config, store: Ledger, now: datetime) -> int:
    log = json.loads(store.get_meta(WRITES_LOG) or "[]")
    return max(0, cfg.github.writes_per_hour - spent_in_hour(log, now.timestamp()))


def _log_writes(store: Ledger, summary: RunSummary) -> None:
    if summary.dry_run:
        return
    log = json.loads(store.get_meta(WRITES_LOG) or "[]")
    store.set_meta(WRITES_LOG, json.dumps(record_writes(log, summary.now.timestamp(), summary.writes)))


def _paced(
    cfg: Config,
    ctx: Context,
    store: Ledger,
    plan: Plan,
    tickets: list[Ticket],
    summary: RunSummary,
    keep: Collection[int] = (),
) -> Plan:
    """``plan`` cut to what is left of the hour's write budget, most urgent tickets first
    (those in ``keep`` whatever they cost)."""
    summary.effects = effects(plan.actions).as_dict()
    rank = {label: cfg.grade_rank[g] for label, g in ctx.grade_labels.items()}
    paced = pace(plan, tickets, _write_budget(cfg, store, summary.now), rank, keep)
    summary.deferred, summary.deferred_writes = len(paced.deferred), paced.deferred_writes
    return paced.plan


def run_scheduled(
    cfg: Config,
    hub: GitHubHub,
    store: Ledger,
    now: datetime,
    dry_run: bool = False,
    *,
    run_id: str | None = None,
) -> RunSummary:
    """Sync, grade every open (and recently closed) ticket, apply the difference."""
    summary = RunSummary("scheduled", run_id or new_run_id(now), now, dry_run)
    before, writes_before = hub.stats.requests, hub.stats.writes
    try:
        report = sync(hub, store)
        summary.sync = report.as_dict()
        _recheck(hub, store, summary, report.changed)
        # Quiet tickets rest on the grader's memory; the rest are graded in full.
        ctx = Context(cfg)
        memo = load_memory(store, ctx) if not dry_run else None
        tickets = grading_set(store, now, restless_for=ctx if memo is not None else None)
        summary.graded = len(tickets)
        with paused_gc():
            plan = _paced(cfg, ctx, store, grade(tickets, cfg, now, ctx=ctx, memo=memo), tickets, summary)
        prime_hub(hub, tickets)

        def regrade() -> Plan:
            every = grading_set(store, now)
            return _paced(cfg, ctx, store, grade(every, cfg, now, ctx=ctx), every, summary)

        _apply(cfg, hub, store, plan, summary, regrade)
        if memo is not None:
            save_memory(store, plan, tickets)
        _wake(cfg, store, summary, dict(plan.memo), lambda: assess_all(tickets, cfg, now, ctx=ctx), plan)
    finally:
        _finish(summary, hub, before, writes_before)
        _log_writes(store, summary)
    return summary


def run_event(
    cfg: Config,
    hub: GitHubHub,
    store: Ledger,
    event_name: str,
    payload: dict[str, Any],
    now: datetime,
    dry_run: bool = False,
    *,
    run_id: str | None = None,
) -> RunSummary:
    """Grade the one ticket an ``issues`` / ``issue_comment`` event is about, at once."""
    summary = RunSummary(f"event:{event_name}", run_id or new_run_id(now), now, dry_run)
    if event_name not in EVENT_NAMES:
        raise UsageError(
            f"event {event_name!r} is not one the grader handles ({', '.join(EVENT_NAMES)}); "
            "run without --event-name for a scheduled run"
        )
    issue = payload.get("issue")
    if not isinstance(issue, dict) or "number" not in issue:
        raise UsageError(f"the {event_name} event payload has no issue in it")
    action = payload.get("action", "")
    if "pull_request" in issue:
        summary.ignored = "the event is about a pull request"
        return summary
    sender = payload.get("sender")
    if sender and login_of(sender) == hub.bot_login and is_bot_user(sender):
        summary.ignored = "the event is the grader's own activity"
        return summary
    number = int(issue["number"])
    before, writes_before = hub.stats.requests, hub.stats.writes
    try:
        bot = hub.bot_login
        ticket = ticket_from_api(issue, bot)
        with store.transaction():
            if _newer_than_stored(store, ticket):
                store.upsert_ticket(ticket, state_reason=issue.get("state_reason"))
            comment = payload.get("comment")
            if event_name == "issue_comment" and isinstance(comment, dict):
                if action == "deleted":
                    store.delete_comment(int(comment["id"]))
                else:
                    store.upsert_comment(number, comment_for(comment, bot))
        warm = is_warm(store)
        report: SyncReport = sync(hub, store) if warm else refresh_ticket(hub, store, number)
        summary.sync = report.as_dict()
        _recheck(hub, store, summary, report.changed)
        only = {number} | report.changed
        # The run is paid for: it also delivers what has fallen due on other tickets, as far
        # as the hour's write budget allows (the event's own tickets go first, whatever they cost).
        ctx = Context(cfg)
        due = set(fallen_due(store, ctx, now=now, updated_since=now - RECENTLY_CLOSED)) - only
        tickets = grading_set(store, now, also=only)
        summary.graded = len(only | due)
        with paused_gc():
            plan = grade(tickets, cfg, now, only=only | due, ctx=ctx, memo={})  # memo={}: fresh wake times
            plan = _paced(cfg, ctx, store, plan, tickets, summary, keep=only)
        if warm:
            prime_hub(hub, tickets)

        def regrade() -> Plan:
            every = grading_set(store, now, also=only)
            return _paced(cfg, ctx, store, grade(every, cfg, now, only=only | due, ctx=ctx), every, summary, only)

        _apply(cfg, hub, store, plan, summary, regrade)
        if not dry_run:
            save_memory(store, plan, tickets)
        _wake(cfg, store, summary, dict(plan.memo), lambda: assess_all(tickets, cfg, now, ctx=ctx), plan)
    finally:
        _finish(summary, hub, before, writes_before)
        _log_writes(store, summary)
    return summary


def _newer_than_stored(store: Ledger, ticket: Ticket) -> bool:
    found = store.tickets(numbers=(ticket.number,))
    return not found or found[0].updated_at <= ticket.updated_at
