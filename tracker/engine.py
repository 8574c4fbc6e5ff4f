"""The grader: ``grade(tickets, cfg, now) -> Plan``. Pure: no I/O, no clock, no randomness.

For each ticket it reads the history (form answers, staff commands, label and state
events), works out the grade, the clocks and the escalations that fell due, and from
that the *desired* state: labels, assignees, the grader's comments (each keyed by a
hidden marker), close or reopen. The plan is the difference between desired and actual,
so grading twice in a row plans nothing the second time, and a grader that ran hours
late catches up with the same result an on-time grader would have reached.

The rooms: :mod:`tracker.reading` reads one ticket on its own, :mod:`tracker.incidents`
finds the incidents across tickets, :mod:`tracker.history` walks a ticket's commands and
events, :mod:`tracker.desired` turns the result into actions. This module runs them in
order: :func:`assess_all` (every ticket's view) and :func:`grade` (the plan).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from tracker.clocks import INF, epoch, evaluate
from tracker.config import Config
from tracker.config_values import condition_holds
from tracker.context import Context
from tracker.conversation import one_per_run
from tracker.desired import desire
from tracker.grading import final_grade
from tracker.history import History, read_history
from tracker.incidents import (
    IncidentState,
    carried,
    duplicate_actions,
    find_incidents,
    member_actions,
    open_incident,
)
from tracker.kb_approval import approved_text
from tracker.model import Action, Plan, Ticket
from tracker.reading import Prepared, prepare
from tracker.views import Assignment, ClockView, TicketView

__all__ = ["Context", "Memo", "assess", "assess_all", "grade"]


@dataclass(frozen=True, slots=True)
class Memo:
    """What the grader remembers of a ticket between runs, to leave quiet tickets alone.

    A ticket may rest (be skipped) while its fingerprint is unchanged, ``now`` is before
    ``wake`` (its next at-risk, due or escalation moment), and it is not ``involved`` in an
    incident. Resting never changes the result: a rested ticket's plan would be empty.
    """

    fingerprint: str
    wake: float  # epoch seconds; inf when nothing is scheduled
    involved: bool  # an incident ticket, or linked to one not yet created: never rests
    incident: int | None = None  # a member's incident ticket, whose state is in the fingerprint
    wake_limit: float | None = None  # the length (s) of the clock whose moment ``wake`` is; None: no clock's


# --------------------------------------------------------------------------- assess


def _view(
    p: Prepared,
    ctx: Context,
    now: float,
    incidents: Mapping[str, IncidentState],
    member_key: str | None,
    duplicate_of: int | None = None,
    history: History | None = None,
) -> tuple[TicketView, History]:
    """One ticket's view and history, given the incidents as known so far."""
    cfg = ctx.cfg
    t = p.ticket
    own = incidents.get(p.incident_key) if p.incident_key and duplicate_of is None else None
    inc = incidents[member_key] if member_key else None
    if history is not None and inc is None:
        h = history  # read already (an incident ticket's, for its resolution)
    else:
        h = read_history(p, ctx, inc.resolved if inc else None, inc.commands if inc else ())
    facts = p.facts
    grade = h.grade
    facts_for_clocks = {**facts, "grade": grade}
    circle = tuple(cfg.grading.circles.get(grade, ()))
    clocks: list[ClockView] = []
    for clock in ctx.clock_order:
        if clock.applies and not condition_holds(clock.applies, facts_for_clocks):
            continue
        cal = ctx.calendars[clock.calendar]
        clocks.extend(evaluate(clock, grade, h.timeline, cal, now, cfg, circle, ctx.to_dt))
    clocks.sort(key=lambda c: (ctx.clock_rank[c.id], c.cycle))
    if inc is not None and cfg.comments.incident_carries:
        clocks = carried(clocks, p, inc, now)
    final = None
    if h.resolved is not None:
        final = final_grade({**facts, **h.resolve_facts}, grade, cfg)
    to_dt = ctx.to_dt
    category = facts.get("category")
    return TicketView(
        number=t.number,
        title=t.title,
        author=t.author,
        form=p.form,
        type=facts.get("type"),
        category=category if isinstance(category, str) else None,
        facts=facts,
        missing=p.missing,
        invalid=p.invalid,
        opened_at=to_dt(p.opened),
        grade=grade,
        first_grade=p.first_grade,
        final_grade=final,
        grade_history=h.changes,
        state=t.state,
        resolved_at=to_dt(h.resolved) if h.resolved is not None else None,
        closed_at=to_dt(h.closed) if h.closed is not None else None,
        confirmed_at=to_dt(h.confirmed) if h.confirmed is not None else None,
        first_response_at=to_dt(h.first_response) if h.first_response is not None else None,
        rating=h.rating,
        rated_at=to_dt(h.rated_at) if h.rated_at is not None else None,
        paused=any(a <= now < b for a, b in h.timeline.pauses),
        clocks=tuple(clocks),
        commands=p.commands,
        incident_key=member_key,
        is_incident=p.incident_key is not None and duplicate_of is None,
        duplicate_of=duplicate_of,
        members=own.members if own else (),
        wording=h.texts.get("wording"),
        kb=h.kb,
        texts=h.texts,
        labels=t.labels,
        assignees=t.assignees,
        kb_text=approved_text(p, h, ctx),
        assignments=_assignments(t, ctx),
        at=to_dt(now),
    ), h


def _assignments(t: Ticket, ctx: Context) -> tuple[Assignment, ...]:
    events = sorted(
        (e for e in t.events if e.kind in ("assigned", "unassigned") and e.assignee),
        key=lambda e: (e.created_at, e.id),
    )
    return tuple(
        Assignment(e.created_at, e.assignee or "", e.kind == "assigned", ctx.is_bot(e.actor, e.is_bot)) for e in events
    )


def _learn(
    incidents: MutableMapping[str, IncidentState], p: Prepared, view: TicketView, h: History
) -> None:
    """An incident ticket's resolution and wording, known to its members graded after it."""
    own = incidents.get(p.incident_key) if p.incident_key else None
    if own is not None:
        incidents[own.key] = replace(
            own, resolved=h.resolved, wording=h.texts.get("wording"),
            clocks=frozenset(c.id for c in view.clocks),
        )  # fmt: skip


def _order(prepared: list[Prepared]) -> list[Prepared]:
    """Incidents first, so their resolution and wording are known to their members."""
    return sorted(prepared, key=lambda p: (p.incident_key is None, p.ticket.number))


def assess_all(
    tickets: Iterable[Ticket], cfg: Config, now: datetime, *, ctx: Context | None = None
) -> list[TicketView]:
    """The grader's understanding of every ticket at ``now`` (for show, late, the site)."""
    ctx = ctx or Context(cfg)
    now_s = epoch(now)
    prepared = [prepare(t, ctx) for t in tickets]
    found = find_incidents(prepared, ctx, now_s)
    incidents = dict(found.by_key)
    views = {}
    for p in _order(prepared):
        n = p.ticket.number
        view, h = _view(
            p, ctx, now_s, incidents, found.member_of.get(n), found.duplicates.get(n), found.histories.get(n)
        )
        _learn(incidents, p, view, h)
        views[n] = view
    return [views[p.ticket.number] for p in prepared]


def assess(
    ticket: Ticket, cfg: Config, now: datetime, *, context: Sequence[Ticket] = ()
) -> TicketView:
    """One ticket's view; ``context`` lends the other tickets that surges and incidents need."""
    others = [t for t in context if t.number != ticket.number]
    views = assess_all([ticket, *others], cfg, now)
    return views[0]


# --------------------------------------------------------------------------- grade


def grade(
    tickets: Sequence[Ticket],
    cfg: Config,
    now: datetime,
    *,
    only: set[int] | None = None,
    ctx: Context | None = None,
    memo: Mapping[int, Memo] | None = None,
) -> Plan:
    """The plan that brings every ticket (or those in ``only``) to its desired state.

    With ``memo`` (the previous runs' :class:`Memo` per ticket), quiet tickets rest and
    the plan carries fresh memos for every ticket it graded (``plan.memo``).
    """
    ctx = ctx or Context(cfg)
    now_s = epoch(now)
    if memo is not None:
        by_num = {t.number: t for t in tickets}
        tickets = [t for t in tickets if not _may_rest(t, memo.get(t.number), ctx, now_s, by_num)]
    fresh: dict[int, Memo] = {}
    if ctx.adopted_at is not None:
        # Issues from before the desk was adopted are not tickets: left alone, and resting
        # until something about them changes (a staff label makes one a ticket).
        before = [t for t in tickets if not ctx.is_ticket(t)]
        if before:
            tickets = [t for t in tickets if ctx.is_ticket(t)]
            if memo is not None:
                fresh.update((t.number, Memo(ctx.fingerprint(t), INF, False)) for t in before)
    prepared = [prepare(t, ctx) for t in tickets]
    found = find_incidents(prepared, ctx, now_s)
    incidents = dict(found.by_key)
    by_number = {p.ticket.number: p for p in prepared}
    actions: list[Action] = []
    notes: list[str] = []
    for p in _order(prepared):
        first = found.duplicates.get(p.ticket.number)
        if first is not None:
            if only is None or p.ticket.number in only or first in only:
                actions.extend(duplicate_actions(p, first, ctx))
                notes.append(f"#{p.ticket.number} duplicates incident #{first}")
            continue  # graded no further; its memo is left out, so it is read again
        member_key = found.member_of.get(p.ticket.number)
        view, h = _view(p, ctx, now_s, incidents, member_key, None, found.histories.get(p.ticket.number))
        _learn(incidents, p, view, h)
        if only is not None and p.ticket.number not in only:
            continue
        desired = desire(p, view, h, ctx)
        actions.extend(desired.actions)
        notes.extend(desired.notes)
        if memo is not None:
            fresh[p.ticket.number] = _memo(p, view, ctx, now_s, incidents, by_number)
    for inc in sorted(incidents.values(), key=lambda i: i.key):
        if inc.number is not None:
            actions.extend(member_actions(inc, by_number, ctx, only))
            continue
        if only is not None and not (set(inc.members) & only):
            continue
        actions.append(open_incident(inc, by_number, ctx))
        notes.append(f"incident {inc.key}: members {', '.join(f'#{m}' for m in inc.members)}")
    return Plan(one_per_run(actions, ctx), tuple(notes), fresh)


def _memo(
    p: Prepared,
    view: TicketView,
    ctx: Context,
    now: float,
    incidents: Mapping[str, IncidentState],
    by_number: Mapping[int, Prepared],
) -> Memo:
    timed = [(c.wake, float(c.limit)) for c in view.clocks if c.wake is not None]
    wakes = [w for w, _ in timed]
    # Activity dated after now (clock skew) takes effect later: wake for it too.
    wakes += [x for x in p.comment_times if x > now]
    wakes += [x for x in p.event_times if x > now]
    inc = incidents.get(view.incident_key) if view.incident_key else None
    inc_no = inc.number if inc else None
    involved = bool(p.incident_key) or (view.incident_key is not None and inc_no is None)
    fp = ctx.fingerprint(p.ticket)
    if inc_no is not None and inc_no in by_number:
        fp += "|" + ctx.fingerprint(by_number[inc_no].ticket)
    wake = min(wakes, default=INF)
    limit = min((lim for w, lim in timed if w == wake), default=None)
    return Memo(fp, wake, involved, inc_no, limit)


def _may_rest(t: Ticket, m: Memo | None, ctx: Context, now: float, by_num: Mapping[int, Ticket]) -> bool:
    if m is None or m.involved or now >= m.wake or now - t.created_at.timestamp() <= ctx.rest_after:
        return False
    fp = ctx.fingerprint(t)
    if m.incident is not None:
        incident = by_num.get(m.incident)
        if incident is None:
            return False
        fp += "|" + ctx.fingerprint(incident)
    return m.fingerprint == fp
