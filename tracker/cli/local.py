"""Commands for the policy file and the desk on one machine (the local SQLite store).

Only ``tracker open`` creates the store (with the first ticket); every other command needs
it to exist, so a mistyped ``--db`` stops with a message instead of an empty store.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from tracker.cli.common import (
    CONFIG_OPTION,
    DB_OPTION,
    JSON_OPTION,
    NOW_OPTION,
    VERBOSE_OPTION,
    Progress,
    action_kind,
    config_path,
    kinds_text,
    local,
    open_store,
    print_json,
)
from tracker.config import PRESETS, Config, json_schema
from tracker.errors import ConfigError, UsageError
from tracker.i18n import Translator, format_names, gettext
from tracker.model import Action

AS_OPTION = click.option("--as", "login", required=True, metavar="LOGIN", help="Who does it.")
ASSOCIATION_OPTION = click.option("--association", default=None, help="GitHub author_association to record.")


def _association(cfg: Config, login: str, given: str | None) -> str:
    if given:
        return given.upper()
    return "MEMBER" if cfg.is_staff_login(login) else "NONE"


def _hub(store: Any, cfg: Config, at: datetime) -> Any:
    from tracker.local_hub import LocalHub

    return LocalHub(store, cfg.bot.login, lambda: at)


# --------------------------------------------------------------------------- policy


@click.command()
@CONFIG_OPTION
def validate(cfg: Config) -> None:
    """Check a policy file (and the forms it makes); exit 2 naming file, key and fault when it is wrong."""
    from tracker.config_checks import placeholders
    from tracker.forms import form_faults

    faults = form_faults(cfg)
    if faults:
        raise ConfigError(str(config_path()), faults)
    _ = Translator(cfg.locale)
    for path, login, preset in placeholders(cfg):
        click.echo(_(
            "warning: %(file)s: %(path)s: \"%(login)s\" is a made-up login from the %(preset)s preset; "
            "name your own people (a GitHub user by that name would be assigned and pinged)",
            file=config_path(), path=path, login=login, preset=preset,
        ), err=True)  # fmt: skip
    click.echo(_(
        "%(file)s: ok (%(grades)s grades, %(clocks)s clocks, %(forms)s forms, %(roles)s roles)",
        file=config_path(), grades=len(cfg.grades), clocks=len(cfg.clocks), forms=len(cfg.forms),
        roles=len(cfg.roles),
    ))  # fmt: skip


@click.command()
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of tracker.yml (for editors)."""
    text = json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@click.command()
@CONFIG_OPTION
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
    default=Path(".github/ISSUE_TEMPLATE"), show_default=True,
)  # fmt: skip
@click.option("--check", is_flag=True, help="Fail if the files differ from the config.")
def forms(cfg: Config, directory: Path, check: bool) -> None:
    """Generate the GitHub issue forms from the config."""
    from tracker.forms import write_issue_forms

    _ = Translator(cfg.locale)
    paths = format_names((str(p) for p in write_issue_forms(cfg, directory, check=check)), cfg.locale)
    click.echo(_("up to date: %(paths)s", paths=paths) if check else _("wrote: %(paths)s", paths=paths))


# --------------------------------------------------------------------------- local desk


@click.command(name="open")
@CONFIG_OPTION
@DB_OPTION
@click.option("--form", "form_id", required=True, help="Form id (see tracker.yml forms).")
@click.option("--title", required=True)
@click.option("--field", "fields", multiple=True, metavar="ID=VALUE", help="An answer; repeat.")
@AS_OPTION
@ASSOCIATION_OPTION
@NOW_OPTION
def open_(
    cfg: Config, db_path: Path, form_id: str, title: str, fields: tuple[str, ...], login: str,
    association: str | None, now: datetime,
) -> None:  # fmt: skip
    """Open a ticket with the same answers as the issue form (the first one creates the store)."""
    from tracker.intake import render_body
    from tracker.labels import type_label

    _ = Translator(cfg.locale)
    if form_id not in cfg.form_by_id:
        raise UsageError(_("no form '%(form)s'; forms are: %(forms)s", form=form_id,
                           forms=format_names(cfg.form_by_id, cfg.locale)))  # fmt: skip
    answers: dict[str, Any] = {}
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(_("--field '%(item)s' must look like ID=VALUE", item=item))
        if key not in cfg.fields:
            raise UsageError(_("--field '%(key)s': no such field; fields are: %(fields)s", key=key,
                               fields=format_names(cfg.fields, cfg.locale)))  # fmt: skip
        answers[key] = value
    form = cfg.form_by_id[form_id]
    with open_store(db_path, cfg, create=True) as store:
        number = _hub(store, cfg, now).open_ticket(
            form.title_prefix + title, render_body(cfg, form_id, answers), login,
            labels=(type_label(cfg, form.type), *form.labels),
            association=_association(cfg, login, association), at=now,
        )  # fmt: skip
    click.echo(_("opened #%(number)s", number=number))


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@click.argument("text")
@AS_OPTION
@ASSOCIATION_OPTION
@NOW_OPTION
def comment(
    cfg: Config, db_path: Path, number: int, text: str, login: str, association: str | None, now: datetime
) -> None:
    """Comment on a ticket (staff commands such as /resolve work here too)."""
    with open_store(db_path, cfg) as store:
        c = _hub(store, cfg, now).add_comment(
            number, login, text.replace("\\n", "\n"), _association(cfg, login, association), at=now
        )
    click.echo(gettext(cfg.locale, "commented on #%(number)s (comment %(id)s)", number=number, id=c.id))


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@click.option("--add", multiple=True, help="Label to add; repeat.")
@click.option("--remove", multiple=True, help="Label to remove; repeat.")
@AS_OPTION
@NOW_OPTION
def label(
    cfg: Config, db_path: Path, number: int, add: tuple[str, ...], remove: tuple[str, ...], login: str,
    now: datetime,
) -> None:  # fmt: skip
    """Add or remove labels on a ticket as a person."""
    with open_store(db_path, cfg) as store:
        _hub(store, cfg, now).label(number, add, remove, login, at=now)
    click.echo(gettext(cfg.locale, "labelled #%(number)s", number=number))


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@click.option("--to", "people", multiple=True, required=True, help="Login to assign; repeat.")
@AS_OPTION
@NOW_OPTION
def assign(cfg: Config, db_path: Path, number: int, people: tuple[str, ...], login: str, now: datetime) -> None:
    """Assign people to a ticket (an engineer taking it)."""
    with open_store(db_path, cfg) as store:
        _hub(store, cfg, now).assign(number, people, (), login, at=now)
    click.echo(gettext(cfg.locale, "assigned #%(number)s to %(people)s", number=number,
                                      people=format_names(people, cfg.locale)))  # fmt: skip


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@AS_OPTION
@click.option("--reason", type=click.Choice(["completed", "not_planned"]), default="completed")
@NOW_OPTION
def close(cfg: Config, db_path: Path, number: int, login: str, reason: str, now: datetime) -> None:
    """Close a ticket as a person."""
    with open_store(db_path, cfg) as store:
        _hub(store, cfg, now).close_ticket(number, login, reason, at=now)
    click.echo(gettext(cfg.locale, "closed #%(number)s", number=number))


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@AS_OPTION
@NOW_OPTION
def reopen(cfg: Config, db_path: Path, number: int, login: str, now: datetime) -> None:
    """Reopen a ticket as a person."""
    with open_store(db_path, cfg) as store:
        _hub(store, cfg, now).reopen_ticket(number, login, at=now)
    click.echo(gettext(cfg.locale, "reopened #%(number)s", number=number))


def outcome_record(action: Action, line: str, outcome: str) -> dict[str, Any]:
    """One planned action for scripts: its kind, ticket number, ids and labels, and what it did."""
    return {"kind": action_kind(line), "outcome": outcome, **asdict(action)}


@click.command(name="grade")
@CONFIG_OPTION
@DB_OPTION
@NOW_OPTION
@click.option("--dry-run", is_flag=True, help="Print the plan (every action); write nothing.")
@VERBOSE_OPTION
@JSON_OPTION
def grade_cmd(cfg: Config, db_path: Path, now: datetime, dry_run: bool, verbose: bool, as_json: bool) -> None:
    """Run the grader over the local store at --now; print a summary (--verbose: every action)."""
    from tracker.desk import run_grader

    _ = Translator(cfg.locale)
    progress = Progress(_("grading, actions so far"), enabled=not as_json)
    with open_store(db_path, cfg) as store:
        try:
            result = run_grader(store, cfg, now, dry_run=dry_run, on_action=progress.step)
        finally:
            progress.done()
    pairs = [(o, line) for r in result.reports for o, line in zip(r.outcomes, r.lines(), strict=True)]
    if as_json:
        print_json({"run_id": result.run_id, "dry_run": dry_run, "actions": result.actions,
                    "writes": result.writes, "notes": result.notes, "now": now,
                    "outcomes": [outcome_record(a, line, o) for (a, o), line in pairs]})  # fmt: skip
        return
    lines = [line for _pair, line in pairs]
    if verbose or dry_run:
        for line in lines:
            click.echo(line)
    tickets = len({line.split(" ", 1)[0] for line in lines})
    summary = _.plural(
        "graded at %(now)s: %(n)s ticket changed", "graded at %(now)s: %(n)s tickets changed", tickets,
        now=local(now, cfg),
    ) + _(", ") + _.plural("%(n)s action", "%(n)s actions", result.actions)  # fmt: skip
    if lines:
        summary += f" ({kinds_text(lines, cfg.locale)})"
    written = _("would write %(n)s", n=result.writes) if dry_run else _("wrote %(n)s", n=result.writes)
    click.echo(f"{summary}{_(', ')}{written}")


@click.command()
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-out"),
    show_default=True, help="Where the demo keeps its stores and site.",
)  # fmt: skip
@click.option("--preset", "only", type=click.Choice(PRESETS), multiple=True, help="Only these.")
@click.option("--step", default=10, show_default=True, help="Simulated minutes between runs.")
@click.option("--site/--no-site", default=True, help="Also publish and build the site.")
def demo(out: Path, only: tuple[str, ...], step: int, site: bool) -> None:
    """Seed a simulated week for every preset, run the grader, and tell the story."""
    from tracker.demo import run_demo

    run_demo(out, presets=only or PRESETS, step_minutes=step, site=site, echo=click.echo)


COMMANDS: list[click.Command] = [validate, schema, forms, open_, comment, label, assign, close,
                                 reopen, grade_cmd, demo]  # fmt: skip
