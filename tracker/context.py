"""What the grader derives from the config once per run and shares with every ticket."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping
from datetime import datetime, time
from typing import Any

from tracker.calendar import BusinessCalendar, calendars_for
from tracker.clocks import from_epoch_factory
from tracker.config import Config, Rule
from tracker.config_checks import start_order
from tracker.grading import first_grade
from tracker.labels import catalog, grade_label, type_label
from tracker.model import Ticket


class Context:
    """Everything derived from the config once per run, shared by every ticket.

    Read-only after construction, except :meth:`first_grade`'s cache of answers.
    """

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.calendars: dict[str, BusinessCalendar] = calendars_for(cfg)
        self.to_dt = from_epoch_factory(cfg.tz)
        self.locale = cfg.locale
        self.managed_labels = frozenset(s.name for s in catalog(cfg))
        self.grade_labels = {grade_label(cfg, g.id): g.id for g in cfg.grades}
        self.grade_by_name = {g.name: g.id for g in cfg.grades} | {
            (g.name_en or g.id).lower(): g.id for g in cfg.grades
        }
        self.known_commands = cfg.known_commands
        self.bot = cfg.bot.login
        self.staff_assoc = frozenset(cfg.staff.associations)
        self.role_of: dict[str, list[str]] = {}
        for name, role in cfg.roles.items():
            for m in role.members:
                self.role_of.setdefault(m, []).append(name)
        # Each role's assignable users and @-mentions, asked for several times per ticket.
        self._users = {name: tuple(role.users) for name, role in cfg.roles.items()}
        self._mentions = {name: tuple(role.mentions()) for name, role in cfg.roles.items()}
        self.scores = {s.score: s for s in cfg.satisfaction.scale} if cfg.satisfaction else {}
        self.clock_by_id = {c.id: c for c in cfg.clocks}
        # Evaluated so that a clock starting when another stops comes after it.
        self.clock_order = tuple(cfg.clocks[i] for i in start_order(cfg))
        self.clock_rank = {c.id: i for i, c in enumerate(cfg.clocks)}
        self.rule_facts = tuple(sorted({k for r in cfg.grading.rules for k in r.when} | (
            {cfg.grading.field} if cfg.grading.field else set())))
        self._grades: dict[tuple[Any, ...], tuple[str, list[Rule]]] = {}
        self._floors: dict[tuple[Any, ...], tuple[str, str] | None] = {}
        self.digest = hashlib.sha1(cfg.model_dump_json().encode("utf-8")).hexdigest()[:12]
        window = cfg.surge.window if cfg.surge else 0
        self.rest_after = max(2 * window, 3600)  # younger tickets may still join a surge
        self.adopted_at = datetime.combine(cfg.adopted, time(), cfg.tz) if cfg.adopted else None
        self.desk_labels = frozenset(self.grade_labels) | {type_label(cfg, t.id) for t in cfg.types}

    def is_ticket(self, t: Ticket) -> bool:
        """Whether the desk grades ``t``: opened on or after the adoption day, or given a type
        or grade label since (on GitHub only people with triage access can label an issue)."""
        if self.adopted_at is None or t.created_at >= self.adopted_at:
            return True
        return any(label in self.desk_labels for label in t.labels)

    def fingerprint(self, t: Ticket) -> str:
        """Everything about a ticket (and the policy) that can change its desired state."""
        last_c = t.comments[-1].id if t.comments else 0
        last_e = t.events[-1].id if t.events else 0
        return (
            f"{self.digest}|{t.updated_at.timestamp():.0f}|{t.state}|{len(t.comments)}:{last_c}|"
            f"{len(t.events)}:{last_e}|{zlib.crc32(t.body.encode('utf-8'))}|{t.title}|"
            f"{','.join(t.labels)}|{','.join(t.assignees)}"
        )

    def first_grade(self, facts: Mapping[str, Any]) -> tuple[str, list[Rule]]:
        """:func:`tracker.grading.first_grade`, remembered per combination of the facts rules read."""
        return self._first_grade(self._rule_key(facts), facts)

    def _rule_key(self, facts: Mapping[str, Any]) -> tuple[Any, ...]:
        values = map(facts.get, self.rule_facts)
        return tuple([_hashable(v) if isinstance(v, list | set | frozenset) else v for v in values])

    def _first_grade(self, key: tuple[Any, ...], facts: Mapping[str, Any]) -> tuple[str, list[Rule]]:
        hit = self._grades.get(key)
        if hit is None:
            hit = self._grades[key] = first_grade(facts, self.cfg)
        return hit

    def floor(self, facts: Mapping[str, Any]) -> tuple[str, str] | None:
        """The highest grade a ``fixed`` grading rule gives ``facts``, and that rule's note
        (its grade when it has none); None when no fixed rule matches. Remembered like
        :meth:`first_grade`."""
        key = self._rule_key(facts)
        if key in self._floors:
            return self._floors[key]
        rules = [r for r in self._first_grade(key, facts)[1] if r.fixed]
        best = self.cfg.highest([r.grade for r in rules])
        found = None
        if best is not None:
            rule = next(r for r in rules if r.grade == best)
            found = best, rule.note or rule.grade
        self._floors[key] = found
        return found

    def is_bot(self, login: str, flag: bool = False) -> bool:
        return flag or login == self.bot or login.endswith("[bot]")

    def is_grader(self, login: str) -> bool:
        """Whether ``login`` is the grader itself (the configured bot), whose markers count."""
        return login == self.bot

    def is_staff(self, login: str, association: str, bot: bool = False) -> bool:
        if self.is_bot(login, bot):
            return False
        return association in self.staff_assoc or login in self.cfg.staff_logins

    def grade_id(self, text: str) -> str | None:
        text = text.strip()
        if text in self.cfg.grade_rank:
            return text
        return self.grade_by_name.get(text) or self.grade_by_name.get(text.lower())

    def pick(self, role: str, number: int) -> str | None:
        """One assignable member of a role, spread over tickets round-robin."""
        users = self._users[role]
        return users[number % len(users)] if users else None

    def mentions(self, roles: Iterable[str], number: int | None = None) -> str:
        """The @-mentions of ``roles``: with ``number``, the one person picked for that ticket
        from each role (its teams, when it has no one to pick) unless the policy's
        ``comments.whole_roles`` names the role; without, every member."""
        seen: list[str] = []
        whole = self.cfg.comments.whole_roles
        for r in roles:
            who = self.pick(r, number) if number is not None and r not in whole else None
            names = [f"@{who}"] if who else self._mentions[r]
            if number is not None and r not in whole and not who:
                names = names[:1]
            for m in names:
                if m not in seen:
                    seen.append(m)
        return " ".join(seen)


def _hashable(value: Any) -> Any:
    if isinstance(value, list | set | frozenset):
        return tuple(sorted(value, key=str))
    return value
