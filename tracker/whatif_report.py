"""A :class:`~tracker.whatif.WhatIf` in words: a plain-text table for the terminal, or
Markdown for a job summary and a pull-request comment, in the desk's language."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from tracker.config import Config
from tracker.i18n import N_, Translator, format_names, format_span, format_time
from tracker.whatif import CalendarChange, ClockMove, Firing, TicketChange, WhatIf

Row = tuple[str, str, str, str, str]


def _when(t: datetime | None, cfg: Config) -> str:
    return format_time(t.astimezone(cfg.tz)) if t is not None else "-"


def _grade(cfg: Config, grade: str | None) -> str:
    return cfg.grade_by_id[grade].label(cfg.locale) if grade in cfg.grade_by_id else (grade or "-")


def _role(cfg: Config, role: str | None) -> str:
    return cfg.roles[role].label(cfg.locale) if role in cfg.roles else (role or "-")


def _field(cfg: Config, field: str) -> str:
    return cfg.fields[field].text(cfg.locale) if field in cfg.fields else field


class Words:
    """Renders one comparison; ``before`` and ``after`` name grades, roles and fields."""

    def __init__(self, w: WhatIf, before: Config, after: Config, locale: str) -> None:
        self.w, self.before, self.after, self.locale = w, before, after, locale
        self._ = Translator(locale)

    # ------------------------------------------------------------------ rows per ticket

    def _clock(self, m: ClockMove) -> Row:
        _ = self._
        what = _("clock %(name)s (round %(round)s)", name=m.name, round=m.cycle + 1)
        before, after = _when(m.due_before, self.before), _when(m.due_after, self.after)
        if m.move == "added":
            by = _("new clock")
        elif m.move == "removed":
            by = _("clock gone")
        else:
            span, staffed = format_span(m.wall_s, self.locale), format_span(m.staffed_s, self.locale)
            by = (
                _("earlier by %(span)s (staffed %(staffed)s)", span=span, staffed=staffed)
                if m.move == "earlier"
                else _("later by %(span)s (staffed %(staffed)s)", span=span, staffed=staffed)
            )
        return "", what, before, after, by

    def _firing(self, f: Firing) -> Row:
        _ = self._
        if f.kind == "escalation":
            what = _("fires now: %(clock)s step %(step)s", clock=f.name, step=f.step + 1)
        else:
            what = _("fires now: reminder for %(clock)s", clock=f.name)
        who = " ".join(f.mention) or "-"
        if f.assign:
            who += " " + _("assigns %(names)s", names=format_names(f.assign, self.locale))
        return "", what, "-", _when(f.at, self.after), who

    def ticket_rows(self, c: TicketChange) -> list[Row]:
        _ = self._
        rows: list[Row] = []
        which = {"first": _("first grade"), "current": _("grade"), "final": _("final grade")}
        for g in c.grades:
            rows.append(("", which[g.which], _grade(self.before, g.before), _grade(self.after, g.after), ""))
        if c.owner_before != c.owner_after:
            rows.append(("", _("owner"), _role(self.before, c.owner_before), _role(self.after, c.owner_after), ""))
        rows += [self._clock(m) for m in c.clocks]
        rows += [self._firing(f) for f in c.firings]
        if c.needs_info:
            fields = format_names((_field(self.after, f) for f in c.needs_info), self.locale)
            rows.append(("", _("asked again for"), "-", fields, _("needs-information comment")))
        first = rows[0]
        rows[0] = (f"#{c.number} {c.title}", *first[1:])
        return rows

    # ------------------------------------------------------------------ the desk

    def desk_lines(self) -> list[str]:
        _ = self._
        w = self.w
        out: list[str] = []
        for f in w.forms:
            if f.change == "added":
                out.append(_("form %(form)s added", form=f.form))
            elif f.change == "removed":
                out.append(_("form %(form)s removed", form=f.form))
            parts = self._lists(
                (N_("fields added: %(names)s"), f.fields_added),
                (N_("fields removed: %(names)s"), f.fields_removed),
                (N_("fields renamed: %(names)s"), tuple(f"{a} → {b}" for a, b in f.fields_renamed)),
                (N_("headings changed: %(names)s"), f.fields_relabelled),
            )
            if f.change == "changed" and parts:
                out.append(_("form %(form)s: %(changes)s", form=f.form, changes=_("; ").join(parts)))
        lb = w.labels
        out += self._lists(
            (N_("labels created: %(names)s"), lb.created),
            (N_("labels renamed: %(names)s"), tuple(f"{a} → {b}" for a, b in lb.renamed)),
            (N_("labels no longer set: %(names)s"), lb.orphaned),
        )
        for c in w.calendars:
            out += self._calendar(c)
        if w.runner is not None:
            r = w.runner
            out.append(_(
                "grader schedule %(cron)s: %(runs)s runs and about %(before)s runner minutes a month before and "
                "%(after)s after (%(why)s); runs in unmanned hours %(ub)s before, %(ua)s after",
                cron=", ".join(r.schedule) or "-", runs=r.runs_per_month, before=r.minutes_before,
                after=r.minutes_after, ub=r.unmanned_before, ua=r.unmanned_after, why=_(r.why),
            ))  # fmt: skip
        return out

    def _lists(self, *items: tuple[str, tuple[str, ...]]) -> list[str]:
        """One line per non-empty list: ``message`` with the names joined."""
        return [self._(message, names=format_names(names, self.locale)) for message, names in items if names]

    def _calendar(self, c: CalendarChange) -> list[str]:
        _ = self._
        if c.change == "added":
            return [_("calendar %(name)s added: %(hours)s", name=c.calendar, hours=c.hours_after)]
        if c.change == "removed":
            return [_("calendar %(name)s removed", name=c.calendar)]
        out = []
        if c.holidays_added:
            out.append(_("calendar %(name)s: holidays added %(days)s", name=c.calendar,
                         days=format_names(c.holidays_added, self.locale)))  # fmt: skip
        if c.holidays_removed:
            out.append(_("calendar %(name)s: holidays removed %(days)s", name=c.calendar,
                         days=format_names(c.holidays_removed, self.locale)))  # fmt: skip
        if c.makeup_added or c.makeup_removed:
            out.append(_("calendar %(name)s: make-up workdays %(added)s added, %(removed)s removed", name=c.calendar,
                         added=format_names(c.makeup_added, self.locale) or "-",
                         removed=format_names(c.makeup_removed, self.locale) or "-"))  # fmt: skip
        if c.hours_before != c.hours_after:
            out.append(_("calendar %(name)s: hours %(before)s → %(after)s", name=c.calendar,
                         before=c.hours_before, after=c.hours_after))  # fmt: skip
        if c.next_manned_before != c.next_manned_after:
            before, after = _when(c.next_manned_before, self.before), _when(c.next_manned_after, self.after)
            out.append(_("calendar %(name)s: next manned %(before)s → %(after)s", name=c.calendar,
                         before=before, after=after))  # fmt: skip
        return out

    def headline(self) -> str:
        _ = self._
        t = self.w.totals
        if self.w.nothing:
            return _("no change for the %(n)s open tickets at %(now)s", n=t.tickets, now=_when(self.w.now, self.after))
        return _(
            "%(changed)s of %(n)s open tickets change at %(now)s: %(grades)s grades, %(owners)s owners, "
            "%(earlier)s clocks due earlier, %(later)s later, %(added)s new, %(removed)s gone, "
            "%(firings)s escalations or reminders at once, %(info)s asked again for answers",
            changed=t.changed, n=t.tickets, now=_when(self.w.now, self.after), grades=t.grades, owners=t.owners,
            earlier=t.earlier, later=t.later, added=t.added, removed=t.removed, firings=t.firings,
            info=t.needs_info,
        )  # fmt: skip

    def header(self) -> Row:
        _ = self._
        return _("ticket"), _("what"), _("before"), _("after"), _("change")

    def rows(self) -> list[Row]:
        return [r for c in self.w.tickets for r in self.ticket_rows(c)]

    # ------------------------------------------------------------------ formats

    def text(self, table: Callable[[Sequence[Sequence[str]]], list[str]]) -> str:
        """The plain-text form; ``table`` aligns rows (the CLI's column formatter)."""
        lines = [self.headline()]
        rows = self.rows()
        if rows:
            lines += table([self.header(), *rows])
        lines += self.desk_lines()
        return "\n".join(lines)

    def markdown(self, title: str) -> str:
        """Markdown for a job summary or a pull-request comment."""
        lines = [f"### {title}", "", self.headline(), ""]
        rows = self.rows()
        if rows:
            lines += [_md_row(self.header()), "|" + "---|" * 5]
            lines += [_md_row(r) for r in rows]
            lines.append("")
        lines += [f"- {_md_cell(line)}" for line in self.desk_lines()]
        return "\n".join(lines).rstrip() + "\n"


def _md_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(_md_cell(c) for c in cells) + " |"


def _md_cell(text: str) -> str:
    """A cell that cannot break the table, ping anyone or run markup."""
    text = text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace("`", "'")
    return _MENTION.sub(r"`\1`", text) or " "


_MENTION = re.compile(r"(@[\w.\-/\[\]]+)")
