"""``tracker sync``, ``tracker run`` and ``tracker labels sync``: the grader against GitHub.

Each command loads the policy file first (a bad config stops the run before any request),
then wires :class:`~tracker.github_hub.GitHubHub` and the ledger to :mod:`tracker.runner`.
In GitHub Actions every option has its default from the environment the runner sets
(``GITHUB_REPOSITORY``, ``GITHUB_TOKEN``, ``GITHUB_API_URL``, ``GITHUB_EVENT_NAME``,
``GITHUB_EVENT_PATH``), so the workflow step is just ``tracker run``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from tracker.cli.common import (
    CONFIG_OPTION,
    JSON_OPTION,
    NOW_OPTION,
    VERBOSE_OPTION,
    db_option,
    kinds_text,
    now_given,
    print_json,
    zoned,
)
from tracker.config import Config
from tracker.errors import DamagedStore, HubError, UsageError
from tracker.github_hub import DEFAULT_API_URL, GitHubHub
from tracker.i18n import Translator
from tracker.ledger import Ledger

DEFAULT_DB = ".tracker/ledger.db"
DEFAULT_MIN_BUDGET = 50
_T = TypeVar("_T")

LEDGER_OPTION = db_option(DEFAULT_DB, "The ledger: a cache of the repository, rebuilt when missing.")


def _connection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--repo",
            envvar="GITHUB_REPOSITORY",
            show_envvar=True,
            metavar="OWNER/NAME",
            help="The repository whose issues are the tickets.",
        ),
        click.option(
            "--token",
            envvar="GITHUB_TOKEN",
            show_envvar=True,
            help="A token with issues: write.",
        ),
        click.option(
            "--api-url",
            envvar="GITHUB_API_URL",
            default=DEFAULT_API_URL,
            show_default=True,
            show_envvar=True,
            help="The REST API root (Enterprise: https://HOST/api/v3).",
        ),
        LEDGER_OPTION,
        CONFIG_OPTION,
        click.option(
            "--min-budget",
            default=DEFAULT_MIN_BUDGET,
            show_default=True,
            type=click.IntRange(min=0),
            help="Stop before the API budget (x-ratelimit-remaining) falls below this.",
        ),
        click.option(
            "--retry-budget",
            default=60.0,
            show_default=True,
            type=click.FloatRange(min=0),
            help="Seconds to keep retrying 5xx answers, timeouts and secondary rate limits.",
        ),
        click.option(
            "--timeout",
            default=15,
            show_default=True,
            type=click.IntRange(min=1),
            help="Seconds to wait for one answer from GitHub.",
        ),
        click.option(
            "--write-interval",
            default=1.0,
            show_default=True,
            type=click.FloatRange(min=0),
            help="Seconds between two writes (GitHub asks for one second).",
        ),
        click.option(
            "--backoff",
            default=1.0,
            show_default=True,
            type=click.FloatRange(min=0),
            hidden=True,
            help="First retry delay in seconds; doubles each retry.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@contextmanager
def _connect(
    cfg: Config,
    *,
    repo: str | None,
    token: str | None,
    api_url: str,
    min_budget: int,
    retry_budget: float,
    timeout: int,
    write_interval: float,
    backoff: float,
    now: datetime | None = None,
) -> Iterator[GitHubHub]:
    if not repo:
        raise UsageError(
            "no repository given: pass --repo OWNER/NAME or set GITHUB_REPOSITORY (GitHub Actions sets it for you)"
        )
    if not token:
        raise UsageError(
            "GITHUB_TOKEN is not set: pass --token or set GITHUB_TOKEN; in a workflow add "
            "`env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}` to the step and "
            "`permissions: issues: write` to the job"
        )
    hub = GitHubHub(
        repo,
        token,
        api_url=api_url or DEFAULT_API_URL,
        bot_login=cfg.bot.login,
        min_remaining=min_budget,
        retry_budget=retry_budget,
        backoff=backoff,
        write_interval=write_interval,
        timeout=timeout,
        now=now,
    )
    try:
        yield hub
    finally:
        hub.disconnect()


def _teller(cfg: Config) -> Callable[[Any], None]:
    def tell(rebuilt: Any) -> None:
        click.echo(rebuilt_line(rebuilt, cfg.locale), err=True)

    return tell


def _on_desk(
    cfg: Config, conn: dict[str, Any], work: Callable[[GitHubHub, Ledger], _T], now: datetime | None = None
) -> _T:
    """``work`` on the hub and the ledger for the connection options every GitHub command takes.

    The ledger is a cache: a damaged one is moved aside and rebuilt from GitHub, whether the
    damage shows when it is opened or in a read during the run (then the run starts again on
    the fresh ledger; every write it repeats is idempotent). Either way a line says so.
    """
    from tracker.sync import open_ledger, rebuild_ledger

    options = {k: v for k, v in conn.items() if k not in ("db_path", "cfg")}
    path = str(conn["db_path"])
    tell = _teller(cfg)
    with _connect(cfg, now=now, **options) as hub:
        store = open_ledger(path, hub.repo, on_rebuild=tell)
        try:
            try:
                return work(hub, store)
            except DamagedStore as exc:
                store.close()
                store = rebuild_ledger(path, hub.repo, exc, tell)
                return work(hub, store)
        finally:
            store.close()


def rebuilt_line(rebuilt: Any, locale: str) -> str:
    """The line that says a ledger was started afresh (a :class:`tracker.sync.Rebuilt`), and why."""
    _ = Translator(locale)
    if rebuilt.aside is None:
        return _("the ledger %(path)s was empty: rebuilt from GitHub", path=rebuilt.path)
    return _(
        "the ledger %(path)s was damaged (%(why)s): moved aside to %(aside)s and rebuilt from GitHub",
        path=rebuilt.path, why=rebuilt.why, aside=rebuilt.aside.name,
    )  # fmt: skip


def _budget_line(stats: dict[str, Any], locale: str) -> str:
    _ = Translator(locale)
    line = _("%(requests)s requests (%(writes)s writes)", requests=stats["requests"], writes=stats["writes"])
    left = stats.get("remaining")
    return line + _(", %(left)s left this hour", left=left) if left is not None else line


# --------------------------------------------------------------------------- sync


@click.command("sync")
@_connection_options
@JSON_OPTION
def sync_command(as_json: bool, cfg: Config, **conn: Any) -> None:
    """Mirror the repository's issues, comments and events into the ledger."""
    from tracker.sync import SyncReport, sync

    def work(hub: GitHubHub, store: Ledger) -> tuple[GitHubHub, SyncReport]:
        return hub, sync(hub, store)

    hub, report = _on_desk(cfg, conn, work)
    result = report.as_dict() | hub.stats.as_dict()
    if as_json:
        print_json(result, one_line=True)
        return
    _ = Translator(cfg.locale)
    head = (
        _("full sync of %(repo)s", repo=hub.repo) if report.full else _("incremental sync of %(repo)s", repo=hub.repo)
    )
    click.echo(head + _(
        ": %(issues)s issues, %(comments)s comments, %(events)s events read; %(changed)s tickets changed; ",
        issues=report.issues, comments=report.comments, events=report.events, changed=len(report.changed),
    ) + _budget_line(result, cfg.locale))  # fmt: skip


# --------------------------------------------------------------------------- run


def _event_from(name: str | None, path: str | None) -> tuple[str, dict[str, Any]] | None:
    """The (name, payload) of an issue event to grade, or None for a scheduled run."""
    if name and name not in ("issues", "issue_comment"):
        return None  # schedule, workflow_dispatch, ...: a scheduled run
    if not name and not path:
        return None
    if not name or not path:
        raise UsageError(
            "event mode needs both --event-name and --event-path "
            "(GitHub Actions sets GITHUB_EVENT_NAME and GITHUB_EVENT_PATH)"
        )
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"the event payload {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"the event payload {path} cannot be read as JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise UsageError(f"the event payload {path} is not a JSON object")
    return name, payload


@click.command("run")
@_connection_options
@click.option(
    "--event-name",
    envvar="GITHUB_EVENT_NAME",
    show_envvar=True,
    help="issues or issue_comment: grade the one ticket of that event.",
)
@click.option(
    "--event-path",
    envvar="GITHUB_EVENT_PATH",
    type=click.Path(dir_okay=False),
    show_envvar=True,
    help="The webhook payload of that event.",
)
@NOW_OPTION
@click.option("--dry-run", is_flag=True, help="Print the plan (every action); write nothing to GitHub.")
@click.option("--run-id", envvar="GITHUB_RUN_ID", show_envvar=True, help="An id for the action log.")
@click.option(
    "--wake-token",
    envvar="TRACKER_WAKE_TOKEN",
    show_envvar=True,
    help="Where minutes are billed: a token with the repository's Variables permission, to name the "
    "wake slots in the variable TRACKER_WAKE.",
)
@click.option(
    "--wake-slots",
    "found_slots",
    envvar="TRACKER_WAKE_SLOTS",
    show_envvar=True,
    default="",
    help="The variable TRACKER_WAKE as the workflow found it: an unchanged value is not written again.",
)
@VERBOSE_OPTION
@JSON_OPTION
def run_command(
    event_name: str | None,
    event_path: str | None,
    now: datetime,
    dry_run: bool,
    run_id: str | None,
    wake_token: str | None,
    found_slots: str,
    verbose: bool,
    as_json: bool,
    cfg: Config,
    **conn: Any,
) -> None:
    """Grade tickets and escalate: every open ticket, or the one ticket of an issue event."""
    from tracker.runner import RunSummary, new_run_id, run_event, run_scheduled
    from tracker.site_watch import announce_publish, incidents_changed

    event = _event_from(event_name, event_path)
    rid = f"{run_id}-{new_run_id(now)}" if run_id else None

    def work(hub: GitHubHub, store: Ledger) -> tuple[RunSummary, bool]:
        if event is None:
            done = run_scheduled(cfg, hub, store, now, dry_run, run_id=rid)
        else:
            done = run_event(cfg, hub, store, event[0], event[1], now, dry_run, run_id=rid)
        return done, not dry_run and incidents_changed(store, cfg)

    summary, publish = _on_desk(cfg, conn, work, now=now if now_given() else None)
    announce_publish(publish)
    result = summary.as_dict() | {"wake_variable": _name_wake_slots(summary, cfg, conn, wake_token, found_slots)}
    _announce_wake(result, cfg)
    if as_json:
        print_json(result, one_line=True)
        return
    _ = Translator(cfg.locale)
    for name in summary.labels_created:
        click.echo(_("would create label %(name)s", name=name) if dry_run else _("created label %(name)s", name=name))
    if verbose or dry_run:
        for line in summary.lines:
            click.echo(line)
    if summary.ignored:
        click.echo(_("nothing to do: %(why)s", why=summary.ignored))
        return
    done = _("would apply %(n)s", n=summary.applied) if dry_run else _("applied %(n)s", n=summary.applied)
    kinds = f" ({kinds_text(summary.lines, cfg.locale)})" if summary.lines else ""
    click.echo(_(
        "%(mode)s run at %(now)s: graded %(graded)s tickets, planned %(planned)s actions%(kinds)s, %(done)s, "
        "%(errors)s errors; ", mode=summary.mode, now=zoned(now), graded=summary.graded, planned=summary.planned,
        kinds=kinds, done=done, errors=len(summary.failures),
    ) + _budget_line(summary.as_dict(), cfg.locale))  # fmt: skip
    _effects_lines(summary.as_dict(), cfg)
    if result["wake_variable"].startswith("refused"):
        click.echo(_("the wake slots were not named: %(why)s", why=result["wake_variable"]), err=True)


def _name_wake_slots(summary: Any, cfg: Config, conn: dict[str, Any], token: str | None, found: str) -> str:
    """Write the wake slots this run names into the variable TRACKER_WAKE, with the wake token.
    Returns what happened: off (minutes are free), dry-run, unchanged, no-token, written, or
    refused and why (the run's work stands; the schedule stays the net)."""
    from tracker.wake import WAKE_VARIABLE, slot_value

    if not cfg.github.minutes_per_month or summary.ignored:
        return "off"
    if summary.dry_run:
        return "dry-run"
    value = slot_value(summary.wake_slots)
    if value == found:
        return "unchanged"
    if not token:
        return "no-token"
    options = {k: v for k, v in conn.items() if k not in ("db_path", "cfg", "token")}
    try:
        with _connect(cfg, token=token, **options) as hub:
            hub.put_variable(WAKE_VARIABLE, value)
    except HubError as exc:
        return f"refused: {exc}"
    return "written"


def _effects_lines(result: dict[str, Any], cfg: Config) -> None:
    """What the whole plan writes, and the part the hour's write budget leaves for later runs."""
    _ = Translator(cfg.locale)
    e = result.get("effects") or {}
    if result["dry_run"] and e:
        click.echo(_(
            "this run would touch %(tickets)s tickets: %(comments)s comments, %(mentions)s mentions, "
            "%(writes)s writes", tickets=e["tickets"], comments=e["comments"], mentions=e["mentions"],
            writes=e["writes"],
        ))  # fmt: skip
    if result["deferred"]:
        hours = -(-int(e.get("writes", 0)) // cfg.github.writes_per_hour)
        click.echo(_(
            "more than the hour's write budget (%(budget)s writes): %(n)s tickets (%(writes)s writes) wait "
            "for the next runs, most urgent and newest first; about %(hours)s hours in all",
            budget=cfg.github.writes_per_hour, n=result["deferred"], writes=result["deferred_writes"],
            hours=hours,
        ))  # fmt: skip


# --------------------------------------------------------------------------- on time


def _announce_wake(result: dict[str, Any], cfg: Config) -> None:
    """The next wake moment and the timer in ``GITHUB_OUTPUT``; the run in ``GITHUB_STEP_SUMMARY``."""
    import os

    out = os.environ.get("GITHUB_OUTPUT")
    if out:
        with Path(out).open("a", encoding="utf-8") as fh:
            fh.write(f"wake_at={result['wake_at'] or ''}\n")
            fh.write(f"wake_in={'' if result['wake_in'] is None else result['wake_in']}\n")
            fh.write(f"timer={'true' if result['timer'] == 'armed' else 'false'}\n")
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with Path(summary_path).open("a", encoding="utf-8") as fh:
            fh.write(step_summary(result, cfg) + "\n")


def step_summary(result: dict[str, Any], cfg: Config) -> str:
    """What this run did, the next wake moment, the timer, the month's minutes, how late it delivered."""
    from tracker.wake import percentile

    _ = Translator(cfg.locale)
    lines = [_("### Grader run (%(mode)s)", mode=result["mode"]), ""]
    if result.get("ignored"):
        lines.append(_("Nothing to do: %(why)s.", why=result["ignored"]))
        return "\n".join(lines)
    lines.append(_(
        "Graded %(graded)s tickets; applied %(applied)s of %(planned)s actions; %(requests)s requests.",
        graded=result["graded"], applied=result["applied"], planned=result["planned"], requests=result["requests"],
    ))  # fmt: skip
    late = [d["seconds"] for d in result["late"]]
    if late:
        lines.append(_(
            "Delivered %(n)s escalations, reminders and to-do notes, late by %(p50)s s (median), %(max)s s at most.",
            n=len(late), p50=round(percentile(late, 0.5)), max=round(max(late)),
        ))  # fmt: skip
    reasons = {
        "armed": _("the timer dispatches the grader in %(s)s s", s=round(result["timer_sleep"])),
        "none": _("nothing scheduled"),
        "beyond-horizon": _("beyond the timer's horizon: the schedule meets it"),
        "over-budget": _("the month's minutes are past the pro-rated budget: the schedule meets it"),
        "long-clock": _("past the budget's share, the timer waits only for short clocks: the schedule meets it"),
    }
    slots = {
        "written": _("named %(n)s wake slots in TRACKER_WAKE", n=len(result["wake_slots"])),
        "unchanged": _("the wake slots named in TRACKER_WAKE stand (%(n)s)", n=len(result["wake_slots"])),
        "no-token": _("no wake slot named: the secret TRACKER_WAKE_TOKEN is not set"),
    }
    status = result.get("wake_variable", "off")
    if status in slots:
        lines.append(_("Wake slots: %(what)s.", what=slots[status]))
    elif status.startswith("refused"):
        lines.append(_("Wake slots: not named (%(why)s); the schedule meets the moments.", why=status))
    if result["wake_at"]:
        lines.append(_("Next wake moment: %(at)s (in %(s)s s); %(timer)s.", at=result["wake_at"],
                       s=result["wake_in"], timer=reasons[result["timer"]]))  # fmt: skip
    else:
        lines.append(_("No wake moment: nothing scheduled."))
    budget = cfg.github.minutes_per_month
    if budget and not result["dry_run"]:
        lines.append(_(
            "Runner minutes this month (estimate): %(minutes)s of %(budget)s, over %(runs)s jobs.",
            minutes=result["month_minutes"], budget=budget, runs=result["month_runs"],
        ))  # fmt: skip
    return "\n".join(lines)


@click.command("wake")
@click.option("--at", "at", required=True, metavar="ISO", help="The wake moment (the grader's wake_at output).")
@click.option("--sleep", "do_sleep", is_flag=True, help="Sleep until then (minus the lead), then exit.")
@NOW_OPTION
@CONFIG_OPTION
def wake_command(at: str, do_sleep: bool, now: datetime, cfg: Config) -> None:
    """Seconds until a wake moment, minus github.timer_lead, at most github.timer_horizon."""
    import time

    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise UsageError(f"--at {at!r} is not an ISO time") from None
    if moment.tzinfo is None:
        raise UsageError(f"--at {at!r} has no offset; the grader writes wake_at in UTC")
    runs = cfg.github
    wait = (moment - now).total_seconds() - runs.timer_lead
    seconds = min(float(runs.timer_horizon), max(0.0, wait))
    click.echo(f"{seconds:.0f}")
    if do_sleep:
        time.sleep(seconds)


# --------------------------------------------------------------------------- labels


@click.group("labels")
def labels_group() -> None:
    """The labels the grader sets."""


@labels_group.command("sync")
@_connection_options
def labels_sync_command(cfg: Config, **conn: Any) -> None:
    """Create every label the grader may set that the repository lacks."""
    from tracker.runner import sync_labels

    def work(hub: GitHubHub, store: Ledger) -> tuple[list[str], dict[str, Any]]:
        return sync_labels(cfg, hub, store), hub.stats.as_dict()

    created, stats = _on_desk(cfg, conn, work)
    _ = Translator(cfg.locale)
    for name in created:
        click.echo(_("created label %(name)s", name=name))
    click.echo(_("%(n)s labels created; ", n=len(created)) + _budget_line(stats, cfg.locale))


COMMANDS: list[click.Command] = [sync_command, run_command, wake_command, labels_group]
