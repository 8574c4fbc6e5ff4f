"""What-if: what a proposed policy would change for the open tickets, at one moment.

:func:`compare` grades the same tickets at the same ``now`` under the current and the
proposed :class:`~tracker.config.Config` (with :func:`tracker.engine.assess_all`, so it is
as pure as the grader: plain data in, frozen dataclasses out) and reports the difference:

- per ticket: grades (first, current, final), the owning role, every clock whose due time
  moves (earlier or later, in wall and in staffed time), clocks that appear or disappear,
  escalation steps and reminders that would be posted at once, and required answers the
  proposed forms would find missing (the ticket would be asked for them again);
- for the desk: form fields added, removed or renamed, labels created, renamed or orphaned,
  calendar changes (holidays, hours, the next manned moment) and the grader workflow's
  scheduled runs a month (:mod:`tracker.whatif_runner`).

Nothing here reads files or the clock; the CLI and the GitHub step feed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from tracker.clocks import epoch
from tracker.config import Config, DaySchedule
from tracker.engine import Context, assess_all
from tracker.labels import catalog, category_label, grade_label, type_label
from tracker.model import Ticket
from tracker.protocol import escalation_key, marker_key, reminder_key
from tracker.views import ClockView, TicketView
from tracker.whatif_runner import Runner, runner_minutes

__all__ = [
    "CalendarChange",
    "ClockMove",
    "Firing",
    "FormChange",
    "GradeMove",
    "LabelChanges",
    "Runner",
    "TicketChange",
    "Totals",
    "WhatIf",
    "compare",
]

Move = Literal["earlier", "later", "added", "removed"]


@dataclass(frozen=True, slots=True)
class GradeMove:
    which: Literal["first", "current", "final"]
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class ClockMove:
    clock: str
    name: str
    cycle: int
    move: Move
    due_before: datetime | None
    due_after: datetime | None
    wall_s: int  # |due_after - due_before|; 0 for a clock that appears or disappears
    staffed_s: int  # the manned seconds between the two due times (proposed calendar)
    status_before: str | None
    status_after: str | None


@dataclass(frozen=True, slots=True)
class Firing:
    """A comment the proposed policy would post at once: an escalation step or a reminder."""

    kind: Literal["escalation", "reminder"]
    clock: str
    name: str
    cycle: int
    step: int  # 0-based ladder step; 0 for a reminder
    at: datetime  # when it fell due under the proposed policy
    mention: tuple[str, ...]  # @logins and @org/teams
    assign: tuple[str, ...]  # logins the step would assign


@dataclass(frozen=True, slots=True)
class TicketChange:
    number: int
    title: str
    grades: tuple[GradeMove, ...]
    owner_before: str | None  # the role owning the ticket's grade
    owner_after: str | None
    clocks: tuple[ClockMove, ...]
    firings: tuple[Firing, ...]
    needs_info: tuple[str, ...]  # required or invalid answers newly found wanting (field ids)


@dataclass(frozen=True, slots=True)
class FormChange:
    form: str
    change: Literal["added", "removed", "changed"]
    fields_added: tuple[str, ...] = ()
    fields_removed: tuple[str, ...] = ()
    fields_renamed: tuple[tuple[str, str], ...] = ()  # (before, after), same place on the form
    fields_relabelled: tuple[str, ...] = ()  # same id, a new heading: old bodies lose the answer


@dataclass(frozen=True, slots=True)
class LabelChanges:
    created: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    orphaned: tuple[str, ...] = ()  # the grader no longer sets them; existing ones stay


@dataclass(frozen=True, slots=True)
class CalendarChange:
    calendar: str
    change: Literal["added", "removed", "changed"]
    holidays_added: tuple[str, ...] = ()
    holidays_removed: tuple[str, ...] = ()
    makeup_added: tuple[str, ...] = ()
    makeup_removed: tuple[str, ...] = ()
    hours_before: str = ""
    hours_after: str = ""
    next_manned_before: datetime | None = None
    next_manned_after: datetime | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    tickets: int  # open tickets compared
    changed: int  # tickets with any change
    grades: int
    owners: int
    earlier: int
    later: int
    added: int
    removed: int
    firings: int
    needs_info: int

    @property
    def nothing(self) -> bool:
        return self.changed == 0


@dataclass(frozen=True, slots=True)
class WhatIf:
    now: datetime
    tickets: tuple[TicketChange, ...]
    forms: tuple[FormChange, ...]
    labels: LabelChanges
    calendars: tuple[CalendarChange, ...]
    runner: Runner | None
    totals: Totals
    policy_changed: bool = field(default=True)

    @property
    def nothing(self) -> bool:
        """No ticket, form, label or calendar would change."""
        return self.totals.nothing and not (
            self.forms or self.labels.created or self.labels.renamed or self.labels.orphaned or self.calendars
        )


# --------------------------------------------------------------------------- compare


def compare(
    tickets: Sequence[Ticket],
    before: Config,
    after: Config,
    now: datetime,
    *,
    workflow: str | None = None,
) -> WhatIf:
    """What changes for the open ``tickets`` at ``now`` if ``after`` replaces ``before``.

    ``workflow`` is the text of the grader workflow (its cron lines give the runner minutes).
    """
    open_tickets = [t for t in tickets if t.is_open]
    old_ctx, new_ctx = Context(before), Context(after)
    same = before == after
    old_views = assess_all(open_tickets, before, now, ctx=old_ctx)
    new_views = old_views if same else assess_all(open_tickets, after, now, ctx=new_ctx)
    changes: list[TicketChange] = []
    for t, old, new in zip(open_tickets, old_views, new_views, strict=True):
        change = _ticket(t, old, new, old_ctx, new_ctx, now)
        if change is not None:
            changes.append(change)
    return WhatIf(
        now=now,
        tickets=tuple(changes),
        forms=form_changes(before, after),
        labels=label_changes(before, after),
        calendars=calendar_changes(before, after, now, old_ctx, new_ctx),
        runner=runner_minutes(workflow, old_ctx, new_ctx, now) if workflow is not None else None,
        totals=_totals(len(open_tickets), changes),
        policy_changed=not same,
    )


def _totals(n: int, changes: Iterable[TicketChange]) -> Totals:
    counts = dict.fromkeys(("grades", "owners", "earlier", "later", "added", "removed", "firings", "needs_info"), 0)
    changed = 0
    for c in changes:
        changed += 1
        counts["grades"] += bool(c.grades)
        counts["owners"] += c.owner_before != c.owner_after
        for m in c.clocks:
            counts[m.move] += 1
        counts["firings"] += len(c.firings)
        counts["needs_info"] += bool(c.needs_info)
    return Totals(tickets=n, changed=changed, **counts)


def _ticket(
    t: Ticket, old: TicketView, new: TicketView, old_ctx: Context, new_ctx: Context, now: datetime
) -> TicketChange | None:
    grades = tuple(
        g
        for g in (
            GradeMove("first", old.first_grade, new.first_grade),
            GradeMove("current", old.grade, new.grade),
            GradeMove("final", old.final_grade, new.final_grade),
        )
        if g.before != g.after
    )
    owner_before = old_ctx.cfg.grading.owners.get(old.grade or "")
    owner_after = new_ctx.cfg.grading.owners.get(new.grade or "")
    clocks = clock_moves(old, new, new_ctx)
    posted = _posted(t, new_ctx)
    known = {_fkey(f) for f in _firings(old, old_ctx, posted)}
    firings = tuple(f for f in _firings(new, new_ctx, posted) if _fkey(f) not in known)
    wanting = set(new.missing) | {f for f, _why in new.invalid}
    had = set(old.missing) | {f for f, _why in old.invalid}
    needs_info = tuple(sorted(wanting - had))
    if not (grades or owner_before != owner_after or clocks or firings or needs_info):
        return None
    return TicketChange(t.number, t.title, grades, owner_before, owner_after, clocks, firings, needs_info)


def clock_moves(old: TicketView, new: TicketView, new_ctx: Context) -> tuple[ClockMove, ...]:
    """Every clock round whose due time moves, appears or disappears, in clock order."""
    before = {(c.id, c.cycle): c for c in old.clocks}
    after = {(c.id, c.cycle): c for c in new.clocks}
    moves: list[ClockMove] = []
    for key in [*after, *(k for k in before if k not in after)]:
        b, a = before.get(key), after.get(key)
        if a is not None and b is not None:
            wall = round(epoch(a.due) - epoch(b.due))
            if wall == 0:
                continue
            staffed = _staffed(a, b, new_ctx)
            moves.append(ClockMove(a.id, a.name, a.cycle, "earlier" if wall < 0 else "later", b.due, a.due,
                                   abs(wall), staffed, b.status, a.status))  # fmt: skip
        elif a is not None:
            moves.append(ClockMove(a.id, a.name, a.cycle, "added", None, a.due, 0, 0, None, a.status))
        elif b is not None:
            moves.append(ClockMove(b.id, b.name, b.cycle, "removed", b.due, None, 0, 0, b.status, None))
    return tuple(moves)


def _staffed(a: ClockView, b: ClockView, ctx: Context) -> int:
    cal = ctx.calendars[ctx.clock_by_id[a.id].calendar]
    lo, hi = sorted((epoch(a.due), epoch(b.due)))
    return round(cal.counted_s(lo, hi, "manned"))


def _posted(t: Ticket, ctx: Context) -> frozenset[str]:
    """The marker keys of the grader's own comments on ``t``."""
    keys = (marker_key(c.body) for c in t.comments if c.is_bot or c.author == ctx.bot)
    return frozenset(k for k in keys if k)


def _firings(view: TicketView, ctx: Context, posted: frozenset[str]) -> list[Firing]:
    """Escalation steps and reminders the grader would post for ``view`` now (not yet posted)."""
    out: list[Firing] = []
    number = view.number
    for c in view.clocks:
        for e in c.escalations:
            if escalation_key(e.clock, e.cycle, e.step) in posted:
                continue
            assign = tuple(w for w in (ctx.pick(r, number) for r in e.assign) if w)
            out.append(Firing("escalation", c.id, c.name, c.cycle, e.step, e.at, _mentions(ctx, e.mention), assign))
        if not (c.checklist and c.cycle == 0) or reminder_key(c.id) in posted:
            continue
        if c.status == "at_risk" or (c.stopped is None and c.breached):
            spec = ctx.clock_by_id[c.id]
            at = c.at_risk_at if c.status == "at_risk" else c.due
            out.append(Firing("reminder", c.id, c.name, c.cycle, 0, at, _mentions(ctx, spec.stop_by), ()))
    return out


def _fkey(f: Firing) -> tuple[str, str, int, int]:
    return f.kind, f.clock, f.cycle, f.step


def _mentions(ctx: Context, roles: Iterable[str]) -> tuple[str, ...]:
    return tuple(ctx.mentions(roles).split())


# --------------------------------------------------------------------------- forms


def form_changes(before: Config, after: Config) -> tuple[FormChange, ...]:
    """Forms added or removed, and per form the fields added, removed, renamed or relabelled."""
    old, new = before.form_by_id, after.form_by_id
    out: list[FormChange] = []
    for fid in [*new, *(f for f in old if f not in new)]:
        if fid not in old:
            out.append(FormChange(fid, "added", fields_added=tuple(new[fid].fields)))
            continue
        if fid not in new:
            out.append(FormChange(fid, "removed", fields_removed=tuple(old[fid].fields)))
            continue
        was, now = old[fid].fields, new[fid].fields
        added = [f for f in now if f not in was]
        removed = [f for f in was if f not in now]
        renamed = [(r, a) for r in removed for a in added if was.index(r) == now.index(a)]
        added = [f for f in added if f not in {a for _r, a in renamed}]
        removed = [f for f in removed if f not in {r for r, _a in renamed}]
        relabelled = [
            f for f in now if f in was and before.fields[f].text(before.locale) != after.fields[f].text(after.locale)
        ]
        if added or removed or renamed or relabelled:
            out.append(FormChange(fid, "changed", tuple(added), tuple(removed), tuple(renamed), tuple(relabelled)))
    return tuple(out)


# --------------------------------------------------------------------------- labels


def _label_slots(cfg: Config) -> dict[str, str]:
    """Every label the grader may set, keyed by the place in the policy that names it.

    A grade, type or category keeps its slot by position, so renaming an id (or the label
    pattern) reads as a rename, not as one label orphaned and another created.
    """
    slots: dict[str, str] = {}
    for i, g in enumerate(cfg.grades):
        slots[f"grade[{i}]"] = grade_label(cfg, g.id)
    for i, t in enumerate(cfg.types):
        slots[f"type[{i}]"] = type_label(cfg, t.id)
    for i, c in enumerate(cfg.categories):
        slots[f"category[{i}]"] = category_label(cfg, c.id)
    for name, value in cfg.labels.model_dump().items():
        if name not in ("grade", "type", "category"):
            slots[f"labels.{name}"] = value
    return slots


def label_changes(before: Config, after: Config) -> LabelChanges:
    old_names = {s.name for s in catalog(before)}
    new_names = {s.name for s in catalog(after)}
    old_slots, new_slots = _label_slots(before), _label_slots(after)
    renamed = sorted(
        (old_slots[k], new_slots[k])
        for k in old_slots.keys() & new_slots.keys()
        if old_slots[k] != new_slots[k] and old_slots[k] not in new_names and new_slots[k] not in old_names
    )
    moved = {a for a, _b in renamed} | {b for _a, b in renamed}
    return LabelChanges(
        created=tuple(sorted(new_names - old_names - moved)),
        renamed=tuple(renamed),
        orphaned=tuple(sorted(old_names - new_names - moved)),
    )


# --------------------------------------------------------------------------- calendars


def hours_text(cfg: Config, name: str) -> str:
    """``1-5 09:00-18:00 (manned 18:00-22:00); rest 10:00-16:00``: a calendar's week in brief."""
    spec = cfg.calendars[name]

    def windows(ws: Sequence[tuple[int, int]]) -> str:
        return ",".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in ws) or "-"

    def day(s: DaySchedule) -> str:
        working = windows(s.working)
        manned = s.manned
        return f"{working} (+{windows(manned)})" if manned else working

    days = ",".join(str(d) for d in spec.workdays)
    text = f"{days} {day(spec.workday)}; {day(spec.restday)}"
    return text + (f"; {spec.official}" if spec.official != "none" else "")


def calendar_changes(
    before: Config, after: Config, now: datetime, old_ctx: Context, new_ctx: Context
) -> tuple[CalendarChange, ...]:
    out: list[CalendarChange] = []
    old, new = before.calendars, after.calendars
    for name in [*new, *(n for n in old if n not in new)]:
        if name not in old:
            out.append(CalendarChange(name, "added", hours_after=hours_text(after, name),
                                      next_manned_after=_next_manned(new_ctx, name, now)))  # fmt: skip
            continue
        if name not in new:
            out.append(CalendarChange(name, "removed", hours_before=hours_text(before, name)))
            continue
        a, b = new[name], old[name]
        if a == b and before.timezone == after.timezone:
            continue
        out.append(CalendarChange(
            name, "changed",
            holidays_added=_days(set(a.holidays) - set(b.holidays)),
            holidays_removed=_days(set(b.holidays) - set(a.holidays)),
            makeup_added=_days(set(a.makeup_workdays) - set(b.makeup_workdays)),
            makeup_removed=_days(set(b.makeup_workdays) - set(a.makeup_workdays)),
            hours_before=hours_text(before, name), hours_after=hours_text(after, name),
            next_manned_before=_next_manned(old_ctx, name, now), next_manned_after=_next_manned(new_ctx, name, now),
        ))  # fmt: skip
    return tuple(out)


def _days(days: Iterable[object]) -> tuple[str, ...]:
    return tuple(sorted(str(d) for d in days))


def _next_manned(ctx: Context, name: str, now: datetime) -> datetime | None:
    """The start of the next manned window after ``now`` (``now`` itself when staffed)."""
    from tracker.errors import TrackerError

    try:
        return ctx.to_dt(ctx.calendars[name].next_manned_s(epoch(now)))
    except TrackerError:
        return None
