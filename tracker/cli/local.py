"""Commands for the policy file and the desk on one machine (the local SQLite store)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from tracker import messages as msg
from tracker.config import PRESETS, Config, json_schema, load_config, preset_path
from tracker.errors import UsageError
from tracker.views import TicketView

CONFIG_OPTION = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("TRACKER_CONFIG", "tracker.yml"), show_default="tracker.yml",
    help="The policy file.",
)  # fmt: skip
DB_OPTION = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("TRACKER_DB", "tracker.db"), show_default="tracker.db",
    help="The local store (created when missing).",
)  # fmt: skip
NOW_OPTION = click.option(
    "--now", "now_text", metavar="ISO-TIME", default=None,
    help="The time to act at, e.g. 2026-11-24T14:30 (default: the clock).",
)  # fmt: skip
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
AS_OPTION = click.option("--as", "login", required=True, metavar="LOGIN", help="Who does it.")


def parse_now(text: str | None, cfg: Config) -> datetime:
    """``--now`` in the config's time zone when it carries no offset; the clock otherwise."""
    if not text:
        return datetime.now(cfg.tz)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now {text!r} is not an ISO time such as 2026-11-24T14:30") from None
    return value if value.tzinfo else value.replace(tzinfo=cfg.tz)


def _association(cfg: Config, login: str, given: str | None) -> str:
    if given:
        return given.upper()
    return "MEMBER" if cfg.is_staff_login(login) else "NONE"


def _open_store(db_path: Path):
    from tracker.ledger import Store

    return Store(db_path)


def _hub(store: Any, cfg: Config, at: datetime):
    from tracker.local_hub import LocalHub

    return LocalHub(store, cfg.bot.login, lambda: at)


def _dump(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _dump(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(_dump(value), ensure_ascii=False, indent=2, sort_keys=True))


# --------------------------------------------------------------------------- policy


@click.command()
@click.option("--preset", type=click.Choice(PRESETS), required=True, help="Which rulebook.")
@click.option(
    "--path", type=click.Path(dir_okay=False, path_type=Path), default=Path("tracker.yml"),
    show_default=True, help="Where to write it.",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(preset: str, path: Path, force: bool) -> None:
    """Write a starting tracker.yml from a preset."""
    if path.exists() and not force:
        raise UsageError(f"{path} exists; pass --force to overwrite it")
    shutil.copyfile(preset_path(preset), path)
    click.echo(f"wrote {path} from the {preset} preset; edit roles to name your people")


@click.command()
@CONFIG_OPTION
def validate(config_path: Path) -> None:
    """Check a policy file; exit 2 naming file, key and fault when it is wrong."""
    cfg = load_config(config_path)
    click.echo(
        f"{config_path}: ok ({len(cfg.grades)} grades, {len(cfg.clocks)} clocks, "
        f"{len(cfg.forms)} forms, {len(cfg.roles)} roles)"
    )


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
def forms(config_path: Path, directory: Path, check: bool) -> None:
    """Generate the GitHub issue forms from the config."""
    from tracker.forms import write_issue_forms

    cfg = load_config(config_path)
    paths = write_issue_forms(cfg, directory, check=check)
    verb = "up to date" if check else "wrote"
    click.echo(f"{verb}: {', '.join(str(p) for p in paths)}")


# --------------------------------------------------------------------------- local desk


@click.command(name="open")
@CONFIG_OPTION
@DB_OPTION
@click.option("--form", "form_id", required=True, help="Form id (see tracker.yml forms).")
@click.option("--title", required=True)
@click.option("--field", "fields", multiple=True, metavar="ID=VALUE", help="An answer; repeat.")
@AS_OPTION
@click.option("--association", default=None, help="GitHub author_association to record.")
@NOW_OPTION
def open_(config_path, db_path, form_id, title, fields, login, association, now_text) -> None:
    """Open a ticket with the same answers as the issue form."""
    from tracker.intake import render_body
    from tracker.labels import type_label

    cfg = load_config(config_path)
    if form_id not in cfg.form_by_id:
        raise UsageError(f"no form {form_id!r}; forms are: {', '.join(cfg.form_by_id)}")
    answers: dict[str, Any] = {}
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--field {item!r} must look like ID=VALUE")
        if key not in cfg.fields:
            raise UsageError(f"--field {key!r}: no such field; fields are: {', '.join(cfg.fields)}")
        answers[key] = value
    form = cfg.form_by_id[form_id]
    at = parse_now(now_text, cfg)
    with _open_store(db_path) as store:
        hub = _hub(store, cfg, at)
        number = hub.open_ticket(
            form.title_prefix + title, render_body(cfg, form_id, answers), login,
            labels=(type_label(cfg, form.type), *form.labels),
            association=_association(cfg, login, association), at=at,
        )  # fmt: skip
    click.echo(f"opened #{number}")


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@click.argument("text")
@AS_OPTION
@click.option("--association", default=None, help="GitHub author_association to record.")
@NOW_OPTION
def comment(config_path, db_path, number, text, login, association, now_text) -> None:
    """Comment on a ticket (staff commands such as /resolve work here too)."""
    cfg = load_config(config_path)
    at = parse_now(now_text, cfg)
    with _open_store(db_path) as store:
        c = _hub(store, cfg, at).add_comment(
            number, login, text.replace("\\n", "\n"), _association(cfg, login, association), at=at
        )
    click.echo(f"commented on #{number} (comment {c.id})")


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@click.option("--add", multiple=True, help="Label to add; repeat.")
@click.option("--remove", multiple=True, help="Label to remove; repeat.")
@AS_OPTION
@NOW_OPTION
def label(config_path, db_path, number, add, remove, login, now_text) -> None:
    """Add or remove labels on a ticket as a person."""
    cfg = load_config(config_path)
    at = parse_now(now_text, cfg)
    with _open_store(db_path) as store:
        _hub(store, cfg, at).label(number, add, remove, login, at=at)
    click.echo(f"labelled #{number}")


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@click.option("--to", "people", multiple=True, required=True, help="Login to assign; repeat.")
@AS_OPTION
@NOW_OPTION
def assign(config_path, db_path, number, people, login, now_text) -> None:
    """Assign people to a ticket (an engineer taking it)."""
    cfg = load_config(config_path)
    at = parse_now(now_text, cfg)
    with _open_store(db_path) as store:
        _hub(store, cfg, at).assign(number, people, (), login, at=at)
    click.echo(f"assigned #{number} to {', '.join(people)}")


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@AS_OPTION
@click.option("--reason", type=click.Choice(["completed", "not_planned"]), default="completed")
@NOW_OPTION
def close(config_path, db_path, number, login, reason, now_text) -> None:
    """Close a ticket as a person."""
    cfg = load_config(config_path)
    at = parse_now(now_text, cfg)
    with _open_store(db_path) as store:
        _hub(store, cfg, at).close_ticket(number, login, reason, at=at)
    click.echo(f"closed #{number}")


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@AS_OPTION
@NOW_OPTION
def reopen(config_path, db_path, number, login, now_text) -> None:
    """Reopen a ticket as a person."""
    cfg = load_config(config_path)
    at = parse_now(now_text, cfg)
    with _open_store(db_path) as store:
        _hub(store, cfg, at).reopen_ticket(number, login, at=at)
    click.echo(f"reopened #{number}")


@click.command(name="grade")
@CONFIG_OPTION
@DB_OPTION
@NOW_OPTION
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@JSON_OPTION
def grade_cmd(config_path, db_path, now_text, dry_run, as_json) -> None:
    """Run the grader over the local store at --now."""
    from tracker.desk import run_grader

    cfg = load_config(config_path)
    now = parse_now(now_text, cfg)
    show_progress = sys.stderr.isatty() and not as_json
    with _open_store(db_path) as store:
        if show_progress:
            with click.progressbar(length=1, label="grading", file=sys.stderr) as bar:
                result = run_grader(store, cfg, now, dry_run=dry_run)
                bar.update(1)
        else:
            result = run_grader(store, cfg, now, dry_run=dry_run)
    if as_json:
        print_json({"run_id": result.run_id, "dry_run": dry_run, "actions": result.actions,
                    "writes": result.writes, "notes": result.notes,
                    "outcomes": [o for r in result.reports for _, o in r.outcomes]})  # fmt: skip
        return
    for report in result.reports:
        for line in report.lines():
            click.echo(line)
    verb = "would write" if dry_run else "wrote"
    click.echo(f"graded at {msg.fmt_time(now)}: {result.actions} actions, {verb} {result.writes}")


@click.command()
@CONFIG_OPTION
@DB_OPTION
@click.argument("number", type=int)
@NOW_OPTION
@JSON_OPTION
def show(config_path, db_path, number, now_text, as_json) -> None:
    """Show one ticket with its grade and clocks."""
    from tracker.desk import gradable
    from tracker.engine import assess

    cfg = load_config(config_path)
    now = parse_now(now_text, cfg)
    with _open_store(db_path) as store:
        ticket = store.ticket(number)
        view = assess(ticket, cfg, now, context=gradable(store, now))
    if as_json:
        print_json(view)
        return
    click.echo(render_view(view, cfg))


def render_view(view: TicketView, cfg: Config) -> str:
    """A ticket and its clocks as a plain-text table."""
    loc = cfg.locale
    grade = cfg.grade_by_id[view.grade].label(loc) if view.grade else "-"
    final = cfg.grade_by_id[view.final_grade].label(loc) if view.final_grade else "-"
    lines = [
        f"#{view.number} {view.title}",
        f"  state: {view.state}   grade: {grade}   final: {final}   type: {view.type or '-'}"
        f"   category: {view.category or '-'}",
        f"  opened: {msg.fmt_time(view.opened_at)}   resolved: "
        f"{msg.fmt_time(view.resolved_at) if view.resolved_at else '-'}"
        f"   rating: {view.rating if view.rating is not None else '-'}",
    ]
    if view.missing or view.invalid:
        lines.append(f"  missing: {', '.join(view.missing) or '-'}   invalid: "
                     f"{', '.join(f for f, _ in view.invalid) or '-'}")  # fmt: skip
    if view.incident_key:
        lines.append(f"  incident: {view.incident_key}")
    if view.clocks:
        rows = [("clock", "round", "started", "due", "stopped", "status", "late by")]
        for c in view.clocks:
            rows.append((
                c.name, str(c.cycle + 1), msg.fmt_time(c.started), msg.fmt_time(c.due),
                msg.fmt_time(c.stopped) if c.stopped else "-", c.status,
                msg.fmt_span(c.late_by, loc) if c.late_by else "-",
            ))  # fmt: skip
        widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            lines.append("  " + "  ".join(_pad(cell, w) for cell, w in zip(r, widths, strict=True)))
        for e in view.escalations:
            lines.append(f"  escalated: {e.clock} step {e.step + 1} at {msg.fmt_time(e.at)}")
    else:
        lines.append("  no clocks")
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


@click.command()
@CONFIG_OPTION
@DB_OPTION
@NOW_OPTION
@JSON_OPTION
def late(config_path, db_path, now_text, as_json) -> None:
    """List open tickets with a clock past due, most overdue first."""
    from tracker.desk import late as late_views

    cfg = load_config(config_path)
    now = parse_now(now_text, cfg)
    with _open_store(db_path) as store:
        found = late_views(store, cfg, now)
    if as_json:
        print_json([
            {"number": v.number, "title": v.title, "grade": v.grade,
             "late": [{"clock": c.id, "due": c.due, "late_by": c.late_by}
                      for c in v.clocks if c.status == "late"]}
            for v in found
        ])  # fmt: skip
        return
    if not found:
        click.echo("nothing is late")
        return
    for v in found:
        worst = max((c for c in v.clocks if c.status == "late"), key=lambda c: c.late_by)
        click.echo(f"#{v.number} [{v.grade}] {v.title} — {worst.name} due "
                   f"{msg.fmt_time(worst.due)}, late by {msg.fmt_span(worst.late_by, cfg.locale)}")  # fmt: skip


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


COMMANDS = [init, validate, schema, forms, open_, comment, label, assign, close, reopen,
            grade_cmd, show, late, demo]  # fmt: skip
