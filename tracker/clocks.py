"""SLA clocks: when each starts, stops, pauses, falls due and escalates.

A clock reads a :class:`Timeline` (when things happened on the ticket, human staff only)
and a business calendar, and answers with :class:`~tracker.views.ClockView` objects: one
for a one-shot clock, one per round for a repeating clock (customer updates every 2 h).
Everything is epoch seconds inside; nothing here reads the wall clock.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from tracker.calendar import BusinessCalendar
from tracker.commands import key_values
from tracker.config import Clock, Config, Counting, Ladder, Split
from tracker.config_values import parse_duration
from tracker.views import ClockStatus, ClockView, Escalation

INF = float("inf")


@dataclass(slots=True)
class Timeline:
    """What happened on one ticket, as sorted epoch-second lists keyed by trigger."""

    opened: float
    graded: float
    resolved: float | None = None
    closed: float | None = None
    # trigger name ("command:plan", "label:x", "staff_reply", ...) -> [(time, login)]
    marks: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    pauses: list[tuple[float, float]] = field(default_factory=list)  # [start, end)
    clock_stops: dict[str, float] = field(default_factory=dict)
    resolutions: list[float] = field(default_factory=list)  # every resolution, reopened or not
    args: dict[tuple[str, float], str] = field(default_factory=dict)  # (trigger, time) -> args

    def add(self, trigger: str, at: float, who: str = "") -> None:
        self.marks.setdefault(trigger, []).append((at, who))

    def times(self, trigger: str, who: frozenset[str] | None = None) -> list[float]:
        """Sorted times at which ``trigger`` happened (by ``who`` only, when given)."""
        if trigger == "opened":
            return [self.opened]
        if trigger == "graded":
            return [self.graded]
        if trigger == "resolved":
            return [self.resolved] if self.resolved is not None else []
        if trigger == "closed":
            return [self.closed] if self.closed is not None else []
        if trigger.startswith("clock:"):
            stop = self.clock_stops.get(trigger[6:])
            return [stop] if stop is not None else []
        marks = self.marks.get(trigger)
        if not marks:
            return []
        if who is None:
            return sorted([t for t, _ in marks])
        return sorted([t for t, login in marks if login in who])


@dataclass(frozen=True, slots=True)
class _Rules:
    """What :func:`evaluate` reads of one clock beyond the ticket, worked out once per policy."""

    clock: Clock
    name: str  # in the policy's locale
    start: tuple[tuple[str, frozenset[str] | None], ...]  # start triggers, each with who may give it
    stop: tuple[tuple[str, frozenset[str] | None], ...]  # stop triggers, each with whose doing counts
    checklist: tuple[str, ...]
    done_by_resolution: bool


def _rules(clock: Clock, cfg: Config) -> _Rules:
    """``clock``'s rules, built once per policy (and clock) and kept in ``cfg.lookups``."""
    table: dict[str, _Rules] = cfg.lookups.setdefault("clocks.rules", {})
    hit = table.get(clock.id)
    if hit is None or hit.clock is not clock:
        givers = _givers(cfg)
        who = _role_members(cfg, clock.stop_by)
        hit = table[clock.id] = _Rules(
            clock=clock,
            name=clock.label(cfg.locale),
            start=tuple((trigger, givers.get(trigger)) for trigger in clock.start_triggers),
            stop=tuple((trigger, who if _is_personal(trigger) else None) for trigger in clock.stop),
            checklist=tuple(clock.checklist),
            done_by_resolution=_done_by_resolution(clock),
        )
    return hit


def limit_for(clock: Clock, grade: str | None) -> int | Split | None:
    within = clock.within
    if isinstance(within, dict):
        return within.get(grade) if grade else None
    return within


def _first_after(times: list[float], after: float) -> float | None:
    """The first time >= after."""
    for t in times:
        if t >= after:
            return t
    return None


def _stop_time(rules: _Rules, tl: Timeline, start: float) -> float | None:
    best: float | None = None
    for trigger, who in rules.stop:
        t = _first_after(tl.times(trigger, who), start)
        if t is not None and (best is None or t < best):
            best = t
    return best


def _is_personal(trigger: str) -> bool:
    return trigger.startswith(("command:", "label:")) or trigger in ("staff_reply", "assigned")


def _due(
    cal: BusinessCalendar,
    start: float,
    seconds: float,
    counting: Counting,
    pauses: list[tuple[float, float]],
    now: float,
) -> float:
    """Due time, pushed out by the whole counted length of every pause that begins before
    it (a pause still open counts until ``now``: the clock cannot fall due while paused)."""
    due = cal.add_s(start, seconds, counting)
    for p_start, p_end in pauses:
        if p_start >= due:
            break
        if p_end <= start:
            continue
        lost = cal.counted_s(max(p_start, start), min(p_end, max(now, p_start)), counting)
        if lost > 0:
            due = cal.add_s(due, lost, counting)
    return due


def _done_by_resolution(clock: Clock) -> bool:
    """Whether resolving the ticket does what the clock waits for (else it only ends it)."""
    return "resolved" in clock.stop or (clock.repeat and "resolved" in clock.until)


def evaluate(
    clock: Clock,
    grade: str | None,
    tl: Timeline,
    cal: BusinessCalendar,
    now: float,
    cfg: Config,
    circle: tuple[str, ...],
    to_dt: Callable[[float], datetime],
) -> list[ClockView]:
    """The rounds of one clock on one ticket, as of ``now``. Empty when it does not apply."""
    limit = limit_for(clock, grade)
    if limit is None:
        return []
    rules = _rules(clock, cfg)
    start_trigger, start = "", 0.0
    for trigger, givers in rules.start:
        starts = tl.times(trigger, who=givers)
        if starts:
            start_trigger, start = trigger, starts[0]
            break
    if not start_trigger:
        return []
    if start > now:
        return []
    # A clock that started before the ticket was resolved stops there at the latest;
    # one that starts at resolution (the written report) keeps running after it.
    end_of_life = None
    started_before_resolution = tl.resolved is None or start < tl.resolved
    # A resolution undone later (a reopening, a low rating) still ended what ran at it.
    ends = [t for t in (tl.resolved, tl.closed, *tl.resolutions) if t is not None and t > start]
    if ends and start_trigger not in ("resolved", "closed") and started_before_resolution:
        end_of_life = min(ends)
    until = None
    if clock.repeat:
        for trigger in clock.until:
            t = _first_after(tl.times(trigger), start)
            if t is not None and (until is None or t < until):
                until = t
    ladder = ladder_for(clock, grade, cfg)
    views: list[ClockView] = []
    cycle = 0
    while True:
        counting = clock.counting
        effective = cal.next_manned_s(start)
        seconds: float
        if isinstance(limit, Split):
            state = cal.state_s(effective)
            seconds = limit.off_hours if state == "off" and limit.off_hours else limit.working
        else:
            seconds = limit
        deadline = _deadline(clock, tl, start, cycle, start_trigger, to_dt) if clock.deadline_arg else None
        if deadline is not None:
            # A promised time (``/plan eta=18:00``): due then, whatever the calendar says.
            seconds = max(deadline - start, 60.0)
            counting = "elapsed"
            due = start + seconds
        else:
            due = _due(cal, start, seconds, counting, tl.pauses, now)
        at_risk = _due(cal, start, seconds * clock.at_risk, counting, tl.pauses, now)
        # A round never stops on the very event that started it (``/eta`` starts and stops
        # the rounds of the ETA clock).
        same = cycle > 0 or start_trigger in clock.stop
        stop = own = _stop_time(rules, tl, start + 1e-6 if same else start)
        for bound in (end_of_life, until):
            if bound is not None and (stop is None or bound < stop):
                stop = bound
        if stop is not None and stop > now:
            stop = None
        status: ClockStatus
        ref = stop if stop is not None else now
        ended = stop is not None and stop != own and stop == end_of_life and stop != until
        if ended and not rules.done_by_resolution:
            status = "ended"  # the ticket was resolved or closed before anyone did it
        elif stop is not None:
            status = "met" if stop <= due else "missed"
        elif now >= due:
            status = "late"
        elif _paused_at(tl.pauses, now):
            status = "paused"
        elif now >= at_risk:
            status = "at_risk"
        else:
            status = "running"
        due_dt = to_dt(due)
        escalations, step_at = _ladder_steps(
            clock, ladder, cal, due, due_dt, ref, stop is not None, cycle, circle, to_dt
        )
        wake = None
        if stop is None:
            upcoming = [t for t in (at_risk, due) if t > now]
            if step_at is not None:
                upcoming.append(step_at)
            wake = min(upcoming) if upcoming else None
        views.append(
            ClockView(
                id=clock.id,
                name=rules.name,
                cycle=cycle,
                started=to_dt(start),
                due=due_dt,
                at_risk_at=to_dt(at_risk),
                stopped=to_dt(stop) if stop is not None else None,
                status=status,
                late_by=int(max(0.0, ref - due)),
                limit=int(seconds),
                counting=counting,
                escalations=escalations,
                checklist=rules.checklist,
                wake=wake,
            )
        )
        if cycle == 0 and stop is not None:
            tl.clock_stops[clock.id] = stop
        if not clock.repeat or stop is None or stop in (end_of_life, until):
            break
        start = stop
        cycle += 1
        if cycle > 500:  # a pathological history; never loop without end
            break
    return views


def _deadline(
    clock: Clock, tl: Timeline, start: float, cycle: int, start_trigger: str, to_dt: Callable[[float], datetime]
) -> float | None:
    """The ``eta=`` a person promised in the command that started this round."""
    if not clock.deadline_arg:
        return None
    triggers = [start_trigger] if cycle == 0 else list(clock.stop)
    for trigger in triggers:
        args = tl.args.get((trigger, start))
        if args:
            value = key_values(args).get(clock.deadline_arg)
            if value:
                return parse_deadline(value, start, to_dt)
    return None


def parse_deadline(value: str, start: float, to_dt: Callable[[float], datetime]) -> float | None:
    """``18:00`` (today, or tomorrow if past), ``2026-11-25T10:00``, or ``+3h`` / ``3h``."""
    text = value.strip().lstrip("+")
    try:
        return start + parse_duration(text)
    except ValueError:
        pass
    base = to_dt(start)
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(text, fmt).replace(tzinfo=base.tzinfo)
            return parsed.timestamp()
        except ValueError:
            continue
    try:
        hh, mm = (int(x) for x in text.split(":"))
        candidate = base.replace(hour=hh, minute=mm, second=0, microsecond=0)
    except ValueError:
        return None
    ts = candidate.timestamp()
    return ts if ts > start else ts + 86400


def _paused_at(pauses: list[tuple[float, float]], t: float) -> bool:
    return any(a <= t < b for a, b in pauses)


_GIVERS: dict[int, dict[str, frozenset[str]]] = {}  # id(config) -> its givers, dropped with it


def _givers(cfg: Config) -> dict[str, frozenset[str]]:
    """Who may give a command or label that starts a clock: the people whose doing it stops
    another clock (its ``stop_by``) or meets a closing rule (its ``by``). A trigger not listed
    may be given by any staff, as may one that some clock or rule takes from anyone."""
    hit = _GIVERS.get(id(cfg))
    if hit is not None:
        return hit
    allowed: dict[str, set[str] | None] = {}
    uses = [(t, c.stop_by) for c in cfg.clocks for t in c.stop]
    uses += [("command:confirm" if r.requires == "confirmed" else r.requires, r.by) for r in cfg.close_rules]
    for trigger, roles in uses:
        if not _is_personal(trigger) or trigger in ("staff_reply", "assigned"):
            continue
        members = _role_members(cfg, roles)
        if members is None or (trigger in allowed and allowed[trigger] is None):
            allowed[trigger] = None
        else:
            allowed[trigger] = (allowed.get(trigger) or set()) | members
    hit = _GIVERS[id(cfg)] = {t: frozenset(m) for t, m in allowed.items() if m is not None}
    weakref.finalize(cfg, _GIVERS.pop, id(cfg), None)
    return hit


def _role_members(cfg: Config, roles: list[str]) -> frozenset[str] | None:
    if not roles:
        return None
    return frozenset(m for r in roles for m in cfg.roles[r].members)


def ladder_for(clock: Clock, grade: str | None, cfg: Config) -> Ladder | None:
    if clock.ladder is None:
        return None
    if isinstance(clock.ladder, dict):
        name = clock.ladder.get(grade or "")
        return cfg.ladders[name] if name else None
    return cfg.ladders[clock.ladder]


def _ladder_steps(
    clock: Clock,
    ladder: Ladder | None,
    cal: BusinessCalendar,
    due: float,
    due_dt: datetime,  # ``due`` as a datetime: the moment of a step with no delay
    until: float,
    stopped: bool,
    cycle: int,
    circle: tuple[str, ...],
    to_dt: Callable[[float], datetime],
) -> tuple[tuple[Escalation, ...], float | None]:
    """Every ladder step that fell due before the clock stopped, or by ``until`` (now) if it
    runs on; and for a clock that runs on, when its next step falls due (None: no step left).
    Each step's moment is worked out once for both."""
    if ladder is None:
        return (), None
    out: list[Escalation] = []
    for i, step in enumerate(ladder.steps):
        at = due if step.after == 0 else cal.add_s(due, step.after, clock.counting)
        if at > until or (stopped and at >= until):
            return tuple(out), None if stopped else at
        mention = list(step.mention)
        if step.circle:
            mention += [r for r in circle if r not in mention]
        out.append(
            Escalation(
                clock=clock.id,
                cycle=cycle,
                step=i,
                at=due_dt if at == due else to_dt(at),
                assign=tuple(step.assign),
                mention=tuple(mention),
                labels=tuple(step.labels),
            )
        )
    return tuple(out), None


def epoch(t: datetime) -> float:
    if t.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return t.timestamp()


def from_epoch_factory(tz: ZoneInfo) -> Callable[[float], datetime]:
    def to_dt(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, tz)  # the same moment and fold as via UTC, in one step

    return to_dt

