"""What one report run derives once from the policy: keys, time, people, departments.

Every key that leaves the figures is an id from the config, or one of two markers that can
never be an id (ids start with a letter or digit): :data:`NONE` (not given) and
:data:`OTHER` (a value that is not an id or a name from the config; never shown as is).

Departments and the facts the reports read are named in the policy's ``reports`` settings
(``departments``, ``department_clocks``, ``department_field``, ``channel_field``,
``symptom_fields``); nothing is found by guessing from an id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal, Protocol

from tracker.calendar import Counting, calendars_for
from tracker.config import Clock, Config
from tracker.views import ClockView, TicketView

__all__ = ["NONE", "OTHER", "CountingCalendar", "Outcome", "Round", "Scope", "due_rounds", "pct"]

NONE = "(none)"
OTHER = "(other)"

Outcome = Literal["met", "missed", "late", "pending"]
Round = tuple[TicketView, ClockView, Outcome]  # a clock round due in a period, and its outcome


class CountingCalendar(Protocol):
    """The part of :class:`tracker.calendar.BusinessCalendar` the reports use."""

    def counted(self, start: datetime, end: datetime, counting: Counting) -> float: ...


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _first_value(raw: Any) -> Any:
    if isinstance(raw, list | tuple | set | frozenset):
        items = sorted(raw, key=str) if isinstance(raw, set | frozenset) else list(raw)
        return items[0] if items else None
    return raw


def outcome(c: ClockView, now: datetime) -> Outcome:
    """met / missed / late / pending, by the same rule the engine uses."""
    if c.stopped is not None and c.stopped <= now:
        return "met" if c.stopped <= c.due else "missed"
    return "late" if now >= c.due else "pending"


@dataclass(frozen=True)
class Scope:
    """The policy and ``now`` of one report run, and what follows from them."""

    cfg: Config
    now: datetime
    calendars: Mapping[str, CountingCalendar]
    clock_by_id: Mapping[str, Clock] = field(init=False)
    grade_ids: tuple[str, ...] = field(init=False)
    scale: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        cfg = self.cfg
        sat = cfg.satisfaction
        object.__setattr__(self, "clock_by_id", {c.id: c for c in cfg.clocks})
        object.__setattr__(self, "grade_ids", tuple(g.id for g in cfg.grades))
        object.__setattr__(self, "scale", tuple(s.score for s in sat.scale) if sat else ())

    @classmethod
    def of(
        cls, cfg: Config, now: datetime, calendars: Mapping[str, CountingCalendar] | None = None
    ) -> Scope:
        """``calendars`` defaults to :func:`tracker.calendar.calendars_for` of ``cfg``."""
        return cls(cfg, now, calendars_for(cfg) if calendars is None else calendars)

    @property
    def tz(self) -> tzinfo:
        return self.cfg.tz

    @property
    def bot(self) -> str:
        return self.cfg.bot.login

    @property
    def department_clocks(self) -> frozenset[str]:
        return frozenset(self.cfg.reports.department_clocks)

    # -- keys: only ids from the config ever leave the figures

    def grade_key(self, grade: str | None) -> str:
        if grade is None:
            return NONE
        return grade if grade in self.cfg.grade_rank else OTHER

    def named_key(self, value: str | None, ids: Iterable[str]) -> str:
        if value is None or value == "":
            return NONE
        return value if value in set(ids) else OTHER

    def fact_key(self, fact: str | None, raw: Any, *, roles: bool = False) -> str:
        """A fact's value as an id from the config (an option or a role), else ``other``."""
        value = _first_value(raw)
        if value is None or (isinstance(value, str) and not value.strip()):
            return NONE
        text = str(value).strip()
        if roles:
            for rid, role in self.cfg.roles.items():
                if text in (rid, role.name, role.name_en):
                    return rid
        spec = self.cfg.fields.get(fact) if fact else None
        if spec is not None:
            for opt in spec.options:
                if text in (opt.id, opt.name, opt.name_en):
                    return opt.id
        return OTHER

    def fact(self, v: TicketView, fact: str | None) -> Any:
        """The ticket's value of a fact the policy names (nothing when it names none)."""
        return v.facts.get(fact) if fact else None

    # -- time

    def in_period(self, t: datetime | None, start: datetime, end: datetime) -> bool:
        return t is not None and start <= t < end and t <= self.now

    def business(
        self, clock_id: str | None, counting: Counting | None, a: datetime, b: datetime
    ) -> float:
        """Seconds between ``a`` and ``b`` on the clock's calendar; wall time if no clock."""
        if b <= a:
            return 0.0
        spec = self.clock_by_id.get(clock_id) if clock_id else None
        cal = self.calendars.get(spec.calendar) if spec is not None else None
        if spec is None or cal is None:
            return (b - a).total_seconds()
        return _seconds(cal.counted(a, b, counting or spec.counting))

    def governing(self, v: TicketView, triggers: Sequence[str]) -> ClockView | None:
        """The ticket's first round of the first configured clock stopped by ``triggers``."""
        for spec in self.cfg.clocks:
            if any(t in spec.stop for t in triggers):
                for c in v.clocks:
                    if c.id == spec.id:
                        return c
        return None

    def counting(self, c: ClockView | None) -> Counting | None:
        """The counting mode of a clock round, as the policy spells it."""
        if c is None:
            return None
        spec = self.clock_by_id.get(c.id)
        for mode in ("elapsed", "manned", "working"):
            if c.counting == mode:
                return mode
        return spec.counting if spec is not None else None

    # -- people

    def role_of(self, login: str | None) -> str | None:
        """The first role (in the policy's order) that lists ``login``."""
        if not login:
            return None
        return next((rid for rid, role in self.cfg.roles.items() if login in role.members), None)

    def _resolver(self, v: TicketView) -> str | None:
        cmds = sorted(v.commands, key=lambda c: (c.at, c.comment_id), reverse=True)
        return next((c.author for c in cmds if c.name == "resolve" and c.author != self.bot), None)

    def handlers(self, v: TicketView) -> tuple[str, ...]:
        """Who handled the ticket: the people a person (not the grader's escalation) assigned
        to it, else whoever ``/resolve``-d it, else the first staff command author."""
        by_person = {a.login for a in v.assignments if a.added and not a.by_bot}
        chosen = by_person if v.assignments else set(v.assignees)
        people = sorted(a for a in chosen if a and a != self.bot)
        if people:
            return tuple(people)
        resolver = self._resolver(v)
        if resolver:
            return (resolver,)
        cmds = sorted(v.commands, key=lambda c: (c.at, c.comment_id))
        for c in cmds:
            if c.author != self.bot:
                return (c.author,)
        return ()

    def opener(self, v: TicketView) -> str | None:
        """The staff member who logged the ticket (its author, when they hold a role)."""
        return v.author if v.author != self.bot and self.role_of(v.author) else None

    def responsible(self, v: TicketView, c: ClockView) -> tuple[str | None, str | None]:
        """(login, role) answerable for a clock round at its due moment: of the people assigned
        then, one of a role that may stop the clock, else the one assigned last; nobody
        assigned -- the first role that may stop it, with no login."""
        spec = self.clock_by_id.get(c.id)
        stop_roles = list(spec.stop_by) if spec else []
        held = [a for a in v.assignees_at(c.due) if a and a != self.bot]
        able = [a for a in held if self.role_of(a) in stop_roles]
        pick_from = able or held
        if pick_from:
            login = pick_from[-1]
            return login, self.role_of(login)
        return None, (stop_roles[0] if stop_roles else None)

    def rated_engineer(self, v: TicketView) -> str | None:
        """Who a rating judges: the engineer who resolved the ticket, else the one assigned
        at the rating's moment (never someone assigned after it to follow it up)."""
        resolver = self._resolver(v)
        if resolver:
            return resolver
        when = v.rated_at or self.now
        held = [a for a in v.assignees_at(when) if a and a != self.bot]
        return held[-1] if held else next(iter(self.handlers(v)), None)

    def department(self, v: TicketView) -> str | None:
        """The department fact (a role or a field option), else the assignees' role: a role
        listed under ``reports.departments`` first, else the first role."""
        rep = self.cfg.reports
        key = self.fact_key(rep.department_field, self.fact(v, rep.department_field), roles=True)
        if key != NONE:
            return key
        roles_of = [
            [rid for rid, role in self.cfg.roles.items() if a in role.members]
            for a in sorted(v.assignees)
        ]
        for roles in roles_of:
            for rid in roles:
                if rid in rep.departments:
                    return rid
        for roles in roles_of:
            if roles:
                return roles[0]
        return None

    # -- satisfaction

    def penalty(self, score: int) -> int:
        sat = self.cfg.satisfaction
        return sat.penalties.get(score, 0) if sat else 0

    def satisfied(self, score: int) -> bool:
        sat = self.cfg.satisfaction
        return sat is not None and score >= sat.close_at_or_above

    def low(self, score: int) -> bool:
        sat = self.cfg.satisfaction
        return sat is not None and score <= sat.escalate_at_or_below


def due_rounds(views: Sequence[TicketView], scope: Scope, start: datetime, end: datetime) -> list[Round]:
    """Every clock round due in the period, with its outcome at ``now``."""
    return [(v, c, outcome(c, scope.now)) for v in views for c in v.clocks if start <= c.due < end]
