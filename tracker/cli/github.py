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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from tracker.config import Config, load_config
from tracker.errors import UsageError
from tracker.github_hub import DEFAULT_API_URL, GitHubHub
from tracker.ledger import Store

DEFAULT_DB = ".tracker/ledger.db"
DEFAULT_MIN_BUDGET = 50


class IsoTime(click.ParamType):
    """An ISO-8601 time; one without an offset is taken as UTC."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO time such as 2024-05-01T09:30:00+08:00", param, ctx)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _connection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--repo",
            envvar="GITHUB_REPOSITORY",
            metavar="OWNER/NAME",
            help="The repository whose issues are the tickets [env: GITHUB_REPOSITORY].",
        ),
        click.option(
            "--token",
            envvar="GITHUB_TOKEN",
            show_envvar=False,
            help="A token with issues: write [env: GITHUB_TOKEN].",
        ),
        click.option(
            "--api-url",
            envvar="GITHUB_API_URL",
            default=DEFAULT_API_URL,
            show_default=True,
            help="The REST API root (Enterprise: https://HOST/api/v3) [env: GITHUB_API_URL].",
        ),
        click.option(
            "--db",
            envvar="TRACKER_DB",
            default=DEFAULT_DB,
            show_default=True,
            type=click.Path(dir_okay=False),
            help="The ledger: a cache of the repository, rebuilt when missing [env: TRACKER_DB].",
        ),
        click.option(
            "--config",
            "config_path",
            default="tracker.yml",
            show_default=True,
            type=click.Path(dir_okay=False),
            help="The policy file.",
        ),
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


def _settings(config_path: str) -> Config:
    return load_config(config_path)


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


@contextmanager
def _desk(cfg: Config, conn: dict[str, Any], now: datetime | None = None) -> Iterator[tuple[GitHubHub, Store]]:
    """The hub and the ledger for the connection options every GitHub command takes."""
    options = {k: v for k, v in conn.items() if k not in ("db", "config_path")}
    with _connect(cfg, now=now, **options) as hub, _ledger(conn["db"], hub.repo) as store:
        yield hub, store


@contextmanager
def _ledger(db: str, repo: str) -> Iterator[Store]:
    from tracker.sync import open_ledger

    store = open_ledger(db, repo)
    try:
        yield store
    finally:
        store.close()


def _budget_line(stats: dict[str, Any]) -> str:
    left = stats.get("remaining")
    tail = f", {left} left this hour" if left is not None else ""
    return f"{stats['requests']} requests ({stats['writes']} writes){tail}"


# --------------------------------------------------------------------------- sync


@click.command("sync")
@_connection_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def sync_command(as_json: bool, **conn: Any) -> None:
    """Mirror the repository's issues, comments and events into the ledger."""
    from tracker.sync import sync

    cfg = _settings(conn["config_path"])
    with _desk(cfg, conn) as (hub, store):
        report = sync(hub, store)
        result = report.as_dict() | hub.stats.as_dict()
    if as_json:
        click.echo(json.dumps(result, sort_keys=True))
        return
    kind = "full" if report.full else "incremental"
    click.echo(
        f"{kind} sync of {hub.repo}: {report.issues} issues, {report.comments} comments, "
        f"{report.events} events read; {len(report.changed)} tickets changed; "
        f"{_budget_line(result)}"
    )


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
    help="issues or issue_comment: grade the one ticket of that event [env: GITHUB_EVENT_NAME].",
)
@click.option(
    "--event-path",
    envvar="GITHUB_EVENT_PATH",
    type=click.Path(dir_okay=False),
    help="The webhook payload of that event [env: GITHUB_EVENT_PATH].",
)
@click.option("--now", type=IsoTime(), help="Grade as if it were this time (tests, replays).")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing to GitHub.")
@click.option("--run-id", envvar="GITHUB_RUN_ID", help="An id for the action log.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def run_command(
    event_name: str | None,
    event_path: str | None,
    now: datetime | None,
    dry_run: bool,
    run_id: str | None,
    as_json: bool,
    **conn: Any,
) -> None:
    """Grade tickets and escalate: every open ticket, or the one ticket of an issue event."""
    from tracker.runner import new_run_id, run_event, run_scheduled

    cfg = _settings(conn["config_path"])
    event = _event_from(event_name, event_path)
    at = now or datetime.now(UTC)
    with _desk(cfg, conn, now=now) as (hub, store):
        rid = f"{run_id}-{new_run_id(at)}" if run_id else None
        if event is None:
            summary = run_scheduled(cfg, hub, store, at, dry_run, run_id=rid)
        else:
            summary = run_event(cfg, hub, store, event[0], event[1], at, dry_run, run_id=rid)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), sort_keys=True, ensure_ascii=False))
        return
    for name in summary.labels_created:
        click.echo(f"{'would create' if dry_run else 'created'} label {name}")
    for line in summary.lines:
        click.echo(line)
    if summary.ignored:
        click.echo(f"nothing to do: {summary.ignored}")
        return
    verb = "would apply" if dry_run else "applied"
    click.echo(
        f"{summary.mode} run at {at.isoformat()}: graded {summary.graded} tickets, "
        f"planned {summary.planned} actions, {verb} {summary.applied}; "
        f"{_budget_line(summary.as_dict())}"
    )


# --------------------------------------------------------------------------- labels


@click.group("labels")
def labels_group() -> None:
    """The labels the grader sets."""


@labels_group.command("sync")
@_connection_options
def labels_sync_command(**conn: Any) -> None:
    """Create every label the grader may set that the repository lacks."""
    from tracker.runner import sync_labels

    cfg = _settings(conn["config_path"])
    with _desk(cfg, conn) as (hub, store):
        created = sync_labels(cfg, hub, store)
        stats = hub.stats.as_dict()
    for name in created:
        click.echo(f"created label {name}")
    click.echo(f"{len(created)} labels created; {_budget_line(stats)}")


COMMANDS: list[click.Command] = [sync_command, run_command, labels_group]
