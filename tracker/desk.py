"""The desk on one machine: the grader run against the local ledger as its hub.

``run_grader`` is what ``tracker grade`` and the demo call: load the tickets the grader
cares about, plan, apply through :class:`~tracker.local_hub.LocalHub`, and repeat while the
applied plan created something new (an incident ticket gets its own labels and status on
the next pass), so that a second run right after changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tracker.apply import ApplyReport, apply_plan
from tracker.config import Config
from tracker.engine import Context, assess_all, grade
from tracker.gcpause import paused_gc
from tracker.ledger import Ledger
from tracker.local_hub import LocalHub
from tracker.memory import load_memory, restless, save_memory
from tracker.model import Action, Plan, Ticket
from tracker.views import TicketView

RECENTLY_CLOSED = timedelta(days=30)  # closed tickets still graded (reports due after closing)
MAX_PASSES = 4


@dataclass
class RunResult:
    run_id: str
    passes: int = 0
    plans: list[Plan] = field(default_factory=list)
    reports: list[ApplyReport] = field(default_factory=list)

    @property
    def actions(self) -> int:
        return sum(len(p) for p in self.plans)

    @property
    def writes(self) -> int:
        return sum(r.writes for r in self.reports)

    @property
    def notes(self) -> list[str]:
        return [n for p in self.plans for n in p.notes]


def gradable(store: Ledger, now: datetime, *, restless_for: Context | None = None) -> list[Ticket]:
    """Open tickets, plus tickets closed recently enough to still have clocks running.

    With ``restless_for``, only those the grader's memory cannot vouch for are read.
    """
    if restless_for is not None:
        young = now - timedelta(seconds=restless_for.rest_after)
        numbers = restless(store, now=now, young_since=young, state="open")
        numbers += restless(store, now=now, young_since=young, state="closed",
                            updated_since=now - RECENTLY_CLOSED)  # fmt: skip
        return store.tickets(numbers=numbers) if numbers else []
    tickets = store.tickets(state="open")
    tickets += store.tickets(state="closed", updated_since=now - RECENTLY_CLOSED)
    tickets.sort(key=lambda t: t.number)
    return tickets


def run_grader(
    store: Ledger,
    cfg: Config,
    now: datetime,
    *,
    dry_run: bool = False,
    run_id: str | None = None,
    on_action: Callable[[Action, str], None] | None = None,
    ctx: Context | None = None,
    remember: bool = True,
) -> RunResult:
    """Grade every gradable ticket at ``now`` and apply the plan to the local store.

    With ``remember`` (the default) quiet tickets rest on the grader's memory: only the
    tickets that changed, or whose next clock moment has come, are read and graded.
    """
    ctx = ctx or Context(cfg)
    memo = load_memory(store, ctx) if remember and not dry_run else None
    run_id = run_id or f"local-{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    hub = LocalHub(store, cfg.bot.login, lambda: now)
    result = RunResult(run_id)
    if not dry_run:
        store.begin_run(run_id, now)
    status = "failed"
    try:
        for _ in range(MAX_PASSES):
            tickets = gradable(store, now, restless_for=ctx if memo is not None else None)
            with paused_gc():
                plan = grade(tickets, cfg, now, ctx=ctx, memo=memo)
            result.passes += 1
            if not plan:
                if memo is not None:
                    save_memory(store, plan, tickets)
                break
            result.plans.append(plan)
            report = apply_plan(
                plan, hub, store=store, run_id=run_id, now=now, dry_run=dry_run,
                on_action=on_action,
            )  # fmt: skip
            result.reports.append(report)
            if dry_run:
                break
        status = "ok"
    finally:
        if not dry_run:
            store.finish_run(run_id, status)
    return result


def views(store: Ledger, cfg: Config, now: datetime) -> list[TicketView]:
    """What the grader understands of every ticket in the store at ``now``."""
    return assess_all(store.tickets(), cfg, now)


def late(store: Ledger, cfg: Config, now: datetime) -> list[TicketView]:
    """Open tickets with at least one clock past due, most overdue first."""
    out = [v for v in assess_all(gradable(store, now), cfg, now) if v.state == "open"]
    out = [v for v in out if any(c.status == "late" for c in v.clocks)]
    return sorted(out, key=lambda v: -max(c.late_by for c in v.clocks if c.status == "late"))
