"""Commands that read the local desk: ``tracker list``, ``tracker show N`` and ``tracker late``.

They assess the tickets at ``--now`` (see :mod:`tracker.engine`), pick with
:mod:`tracker.queries` and print a table in the desk's language, or JSON with ``--json``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from tracker.cli.common import (
    CONFIG_OPTION,
    DB_OPTION,
    JSON_OPTION,
    NOW_OPTION,
    local,
    open_store,
    print_json,
    table,
)
from tracker.config import Config
from tracker.i18n import Translator, format_names, format_span, gettext
from tracker.messages import clock_status
from tracker.queries import Said, StateFilter, TicketQuery, conversation, late_clocks, select
from tracker.views import TicketView


def _grade(cfg: Config, grade: str | None) -> str:
    return cfg.grade_by_id[grade].label(cfg.locale) if grade in cfg.grade_by_id else (grade or "-")


def _type(cfg: Config, type_id: str | None) -> str:
    by_id = {t.id: t for t in cfg.types}
    return by_id[type_id].label(cfg.locale) if type_id in by_id else (type_id or "-")


def _owners(view: TicketView, cfg: Config) -> str:
    return format_names(view.assignees, cfg.locale) if view.assignees else gettext(cfg.locale, "nobody")


def _row(v: TicketView) -> dict[str, Any]:
    """One ticket for scripts (``list --json``, ``late --json``): ids, labels and every late clock."""
    late = [
        {"clock": c.id, "name": c.name, "cycle": c.cycle, "due": c.due, "late_by": c.late_by} for c in late_clocks(v)
    ]
    return {"number": v.number, "title": v.title, "state": v.state, "grade": v.grade, "type": v.type,
            "labels": v.labels, "assignees": v.assignees, "incident": v.incident_key,
            "opened_at": v.opened_at, "late": late}  # fmt: skip


def _views(cfg: Config, db_path: Path, now: datetime) -> list[TicketView]:
    from tracker.desk import views

    with open_store(db_path, cfg) as store:
        return views(store, cfg, now)


# --------------------------------------------------------------------------- list

_STATES: dict[str, StateFilter] = {"open": "open", "closed": "closed", "all": "all"}


@click.command("list")
@CONFIG_OPTION
@DB_OPTION
@click.option(
    "--state", type=click.Choice(["open", "closed", "all"]), default=None,
    help="Which tickets by state (default: open; all with --incident).",
)  # fmt: skip
@click.option("--grade", "grades", multiple=True, metavar="ID", help="Only this grade (id); repeat for any of several.")
@click.option("--type", "types", multiple=True, metavar="ID", help="Only this ticket type (id); repeat.")
@click.option("--label", "labels", multiple=True, help="Only tickets carrying this label; repeat for all of several.")
@click.option("--assignee", metavar="LOGIN", help="Only tickets assigned to LOGIN.")
@click.option("--late", "late_only", is_flag=True, help="Only tickets with a clock past due.")
@click.option("--incident", type=int, metavar="N", help="Only the tickets linked to incident #N.")
@NOW_OPTION
@JSON_OPTION
def list_command(
    cfg: Config, db_path: Path, state: str | None, grades: tuple[str, ...], types: tuple[str, ...],
    labels: tuple[str, ...], assignee: str | None, late_only: bool, incident: int | None,
    now: datetime, as_json: bool,
) -> None:  # fmt: skip
    """List tickets with their grade, type, owners and late clocks."""
    query = TicketQuery(
        state=_STATES[state or ("all" if incident is not None else "open")],
        grades=grades, types=types, labels=labels, assignee=assignee, late_only=late_only, incident=incident,
    )  # fmt: skip
    found = select(_views(cfg, db_path, now), query)
    if as_json:
        print_json([_row(v) for v in found])
        return
    _ = Translator(cfg.locale)
    if not found:
        click.echo(_("no tickets match"))
        return
    rows = [(_("#"), _("state"), _("grade"), _("type"), _("owner"), _("late"), _("title"))]
    for v in found:
        worst = late_clocks(v)
        rows.append((
            f"#{v.number}", _("open") if v.state == "open" else _("closed"), _grade(cfg, v.grade),
            _type(cfg, v.type), _owners(v, cfg), format_span(worst[0].late_by, cfg.locale) if worst else "-", v.title,
        ))  # fmt: skip
    for line in table(rows):
        click.echo(line)
    click.echo(_.plural("%(n)s ticket", "%(n)s tickets", len(found)))


# --------------------------------------------------------------------------- show


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@NOW_OPTION
@JSON_OPTION
def show(cfg: Config, db_path: Path, number: int, now: datetime, as_json: bool) -> None:
    """Show one ticket: its grade, its clocks and the conversation."""
    from tracker.desk import gradable
    from tracker.engine import assess

    with open_store(db_path, cfg) as store:
        ticket = store.ticket(number)
        view = assess(ticket, cfg, now, context=gradable(store, now))
    said = conversation(ticket, cfg.bot.login)
    if as_json:
        print_json({"ticket": view, "conversation": said})
        return
    click.echo(render_view(view, cfg))
    click.echo(render_conversation(said, cfg))


def render_view(view: TicketView, cfg: Config) -> str:
    """A ticket and its clocks as a plain-text table, in the desk's language."""
    _ = Translator(cfg.locale)
    lines = [
        f"#{view.number} {view.title}",
        "  " + "   ".join([
            _("state: %(state)s", state=_("open") if view.state == "open" else _("closed")),
            _("grade: %(grade)s", grade=_grade(cfg, view.grade)),
            _("final: %(grade)s", grade=_grade(cfg, view.final_grade) if view.final_grade else "-"),
            _("type: %(type)s", type=_type(cfg, view.type)),
            _("category: %(category)s", category=view.category or "-"),
        ]),
        "  " + "   ".join([
            _("opened: %(at)s", at=local(view.opened_at, cfg)),
            _("resolved: %(at)s", at=local(view.resolved_at, cfg) if view.resolved_at else "-"),
            _("rating: %(rating)s", rating=view.rating if view.rating is not None else "-"),
            _("owner: %(owners)s", owners=_owners(view, cfg)),
        ]),
    ]  # fmt: skip
    if view.missing or view.invalid:
        lines.append("  " + "   ".join([
            _("missing: %(fields)s", fields=format_names(view.missing, cfg.locale) or "-"),
            _("invalid: %(fields)s", fields=format_names((f for f, _why in view.invalid), cfg.locale) or "-"),
        ]))  # fmt: skip
    if view.incident_key:
        lines.append("  " + _("incident: %(key)s", key=view.incident_key))
    if not view.clocks:
        lines.append("  " + _("no clocks"))
        return "\n".join(lines)
    rows = [(_("clock"), _("round"), _("started"), _("due"), _("stopped"), _("status"), _("late by"))]
    for c in view.clocks:
        rows.append((
            c.name, str(c.cycle + 1), local(c.started, cfg), local(c.due, cfg),
            local(c.stopped, cfg) if c.stopped else "-", clock_status(cfg.locale, c.status),
            format_span(c.late_by, cfg.locale) if c.late_by else "-",
        ))  # fmt: skip
    lines += table(rows, indent="  ")
    names = {c.id: c.name for c in view.clocks}
    for e in view.escalations:
        step = _("escalated: %(clock)s step %(step)s at %(at)s", clock=names.get(e.clock, e.clock), step=e.step + 1,
                 at=local(e.at, cfg))  # fmt: skip
        lines.append("  " + step)
    return "\n".join(lines)


def render_conversation(said: list[Said], cfg: Config) -> str:
    """The comments, oldest first; the grader's own marked ones say so."""
    _ = Translator(cfg.locale)
    if not said:
        return "\n" + _("no comments")
    lines = ["", _("conversation:")]
    for s in said:
        who = _("%(author)s (the grader: %(marker)s)", author=s.author, marker=s.marker) if s.by_grader else s.author
        lines.append(f"  — {who} · {local(s.at, cfg)}")
        lines += [f"    {line}".rstrip() for line in (s.text or "-").splitlines()]
    return "\n".join(lines)


# --------------------------------------------------------------------------- late


@click.command()
@CONFIG_OPTION
@DB_OPTION
@NOW_OPTION
@JSON_OPTION
def late(cfg: Config, db_path: Path, now: datetime, as_json: bool) -> None:
    """List open tickets with a clock past due, most overdue first: every late clock, due time, owner."""
    from tracker.desk import late as late_views

    with open_store(db_path, cfg) as store:
        found = late_views(store, cfg, now)
    if as_json:
        print_json([_row(v) for v in found])
        return
    _ = Translator(cfg.locale)
    if not found:
        click.echo(_("nothing is late"))
        return
    for v in found:
        click.echo(_("#%(number)s %(title)s · grade %(grade)s · owner %(owners)s", number=v.number, title=v.title,
                     grade=_grade(cfg, v.grade), owners=_owners(v, cfg)))  # fmt: skip
        for c in late_clocks(v):
            click.echo("  " + _("%(clock)s: due %(due)s, late by %(span)s", clock=c.name, due=local(c.due, cfg),
                                span=format_span(c.late_by, cfg.locale)))  # fmt: skip


COMMANDS: list[click.Command] = [list_command, show, late]
