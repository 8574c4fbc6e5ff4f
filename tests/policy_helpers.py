"""A small shared helper for the preset tests: build tickets, run the real grader, read results.

A :class:`Desk` is one policy on a local ledger: an in-memory SQLite store behind
:class:`tracker.local_hub.LocalHub`, the same hub the offline desk uses. People act on it the way
GitHub records them (a ticket opened from a form, comments, label and assignment events,
closing and reopening, each at a given moment), and :meth:`Desk.run` is one grader run: it
grades every ticket at ``now`` with :func:`tracker.engine.grade` and applies the plan with
:func:`tracker.apply.apply_plan`, so the bot's labels, assignees and comments land on the
tickets at ``now`` and the next run sees them. :meth:`Desk.plan` grades without applying,
and :meth:`Desk.view` is :func:`tracker.engine.assess`.

Typical use::

    cfg = load_preset("desk")
    with Desk(cfg) as desk:
        n = desk.open("fault", {"priority": "high", ...}, at("2026-03-09 10:00"))
        desk.say(n, "desk-agent-1", "/take", at("2026-03-09 10:10"))
        desk.run(at("2026-03-09 12:00"))
        assert desk.view(n, at("2026-03-09 12:00")).clock("response").status == "met"

Who is staff: by default a login that belongs to one of the policy's roles comments as
``MEMBER`` (GitHub's author_association for an organisation member), anyone else as ``NONE``;
pass ``association=`` to say otherwise.

Times: :func:`at` reads ``"2026-03-09 10:00"`` as a local time in Asia/Shanghai (or ``tz``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from tracker.apply import ApplyReport, apply_plan
from tracker.config import Config, load_config, preset_path
from tracker.engine import assess, grade
from tracker.intake import render_body
from tracker.labels import type_label
from tracker.ledger import Ledger
from tracker.local_hub import LocalHub
from tracker.model import Comment, Plan, PostComment, Ticket
from tracker.protocol import marker_key, split_parts
from tracker.views import ClockView, TicketView

__all__ = ["SHANGHAI", "Desk", "at", "iter_escalations", "kinds", "load_preset", "posted", "preset_file"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    """``"2026-03-09 10:00"`` (or ``"2026-03-09"`` for midnight) as an aware local time."""
    fmt = "%Y-%m-%d %H:%M" if " " in text.strip() else "%Y-%m-%d"
    return datetime.strptime(text.strip(), fmt).replace(tzinfo=tz)


def preset_file(name: str) -> Path:
    """The shipped preset file ``tracker/presets/<name>.yml``."""
    return preset_path(name)


def load_preset(name: str) -> Config:
    """Load and validate a shipped preset with :func:`tracker.config.load_config`."""
    return load_config(preset_file(name))


class Desk:
    """One policy, a local ledger, and the people and grader acting on it."""

    def __init__(self, cfg: Config, *, reporter: str = "reporter") -> None:
        self.cfg = cfg
        self.reporter = reporter
        self.now: datetime | None = None
        self.store = Ledger(":memory:")
        self.hub = LocalHub(self.store, cfg.bot.login, self._clock)
        self.reports: list[ApplyReport] = []

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> Desk:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    def _clock(self) -> datetime:
        if self.now is None:
            raise RuntimeError("the desk has no 'now' yet: pass at= or call run(now) first")
        return self.now

    def association(self, login: str) -> str:
        """``MEMBER`` for a login in one of the policy's roles, else ``NONE``."""
        return "MEMBER" if login in self.cfg.staff_logins else "NONE"

    # ----------------------------------------------------------------- people

    def open(
        self,
        form: str,
        answers: Mapping[str, Any],
        when: datetime,
        *,
        author: str | None = None,
        association: str | None = None,
        title: str | None = None,
        labels: tuple[str, ...] | None = None,
    ) -> int:
        """Open a ticket from ``form`` with ``answers`` (rendered exactly as GitHub renders a
        submitted issue form, with the form's labels). Returns the ticket number."""
        spec = self.cfg.form_by_id[form]
        author = author or self.reporter
        if labels is None:
            labels = tuple(dict.fromkeys([*spec.labels, type_label(self.cfg, spec.type)]))
        return self.hub.open_ticket(
            title or f"{spec.title_prefix}{spec.name}",
            render_body(self.cfg, form, answers),
            author,
            labels,
            association or self.association(author),
            when,
        )

    def say(self, number: int, author: str, body: str, when: datetime, *, association: str | None = None) -> Comment:
        """A comment by a person (a command such as ``/resolve`` is just a comment)."""
        return self.hub.add_comment(number, author, body, association or self.association(author), when)

    def label(self, number: int, label: str, by: str, when: datetime) -> None:
        self.hub.label(number, (label,), (), by, when)

    def unlabel(self, number: int, label: str, by: str, when: datetime) -> None:
        self.hub.label(number, (), (label,), by, when)

    def assign(self, number: int, who: str, by: str, when: datetime) -> None:
        self.hub.assign(number, (who,), (), by, when)

    def close_ticket(self, number: int, by: str, when: datetime) -> None:
        self.hub.close_ticket(number, by, "completed", when)

    def reopen_ticket(self, number: int, by: str, when: datetime) -> None:
        self.hub.reopen_ticket(number, by, when)

    # ----------------------------------------------------------------- the grader

    def tickets(self) -> list[Ticket]:
        return self.store.tickets()

    def ticket(self, number: int) -> Ticket:
        return self.store.ticket(number)

    def plan(self, now: datetime) -> Plan:
        """What a grader run at ``now`` would do (nothing is applied)."""
        return grade(self.tickets(), self.cfg, now)

    def run(self, now: datetime) -> Plan:
        """One grader run at ``now``: grade every ticket and apply the plan. Returns the plan."""
        self.now = now
        plan = grade(self.tickets(), self.cfg, now)
        self.reports.append(apply_plan(plan, self.hub, now=now))
        return plan

    def view(self, number: int, now: datetime) -> TicketView:
        """The grader's view of one ticket at ``now`` (the others lent as context)."""
        tickets = self.tickets()
        mine = next(t for t in tickets if t.number == number)
        return assess(mine, self.cfg, now, context=tickets)

    def clock(self, number: int, clock_id: str, now: datetime, cycle: int = 0) -> ClockView:
        """One round of one clock; fails the test if the clock is not running on the ticket."""
        found = self.view(number, now).clock(clock_id, cycle)
        assert found is not None, f"clock {clock_id!r} round {cycle} is not on #{number} at {now}"
        return found

    # ----------------------------------------------------------------- reading the result

    def bot_comments(self, number: int) -> dict[str, str]:
        """What the grader said on a ticket: marker key -> body (without the marker line).
        A comment that says several things at once gives each its own entry."""
        out: dict[str, str] = {}
        for c in self.ticket(number).comments:
            key = marker_key(c.body) if c.author == self.cfg.bot.login else None
            if key is not None:
                out.update(split_parts(key, c.body))
        return out

    def bot_comment_count(self, number: int) -> int:
        """How many comments the grader posted on a ticket."""
        return sum(1 for c in self.ticket(number).comments if c.author == self.cfg.bot.login)

    def bot_comment(self, number: int, prefix: str) -> str:
        """The body of the one grader comment whose key starts with ``prefix``."""
        found = [body for key, body in self.bot_comments(number).items() if key.startswith(prefix)]
        assert len(found) == 1, f"expected one comment {prefix!r} on #{number}, found {found}"
        return found[0]


def posted(plan: Plan, prefix: str = "") -> dict[str, str]:
    """What a plan's comments say: marker key -> body, for keys starting with ``prefix`` (a
    comment saying several things gives each its own entry)."""
    said = {k: v for a in plan.actions if isinstance(a, PostComment) for k, v in split_parts(a.key, a.body).items()}
    return {k: v for k, v in said.items() if k.startswith(prefix)}


def kinds(plan: Plan) -> list[str]:
    """The plan's action kinds in order, e.g. ``['SetLabels', 'PostComment']``."""
    return [type(a).__name__ for a in plan.actions]


def iter_escalations(view: TicketView) -> Iterator[tuple[str, int, int, datetime]]:
    """Every ladder step that fell due on a ticket: (clock id, round, step, when it fell due)."""
    for e in view.escalations:
        yield e.clock, e.cycle, e.step, e.at
