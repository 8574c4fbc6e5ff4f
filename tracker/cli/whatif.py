"""``tracker whatif``, ``tracker whatif-pr`` and ``tracker pr-comment``: a policy change, previewed.

``whatif`` compares the current policy (``--config``) with a proposed file, or two git
revisions of it, over the local desk's open tickets; ``whatif-pr`` does the same over a
GitHub repository's open tickets (read only) and writes the job summary; ``pr-comment``
keeps one comment on the pull request of the event up to date. The comparison itself is
:func:`tracker.whatif.compare`; the words are :mod:`tracker.whatif_report`.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from tracker.cli.common import CONFIG_OPTION, DB_OPTION, JSON_OPTION, NOW_OPTION, open_store, print_json, table
from tracker.cli.github import _connect, _connection_options, _on_desk
from tracker.config import Config, load_config, load_config_text
from tracker.errors import UsageError
from tracker.github_hub import GitHubHub
from tracker.i18n import Translator
from tracker.ledger import Ledger
from tracker.model import Ticket
from tracker.protocol import marker_key, with_marker
from tracker.whatif import WhatIf, compare
from tracker.whatif_report import Words

STICKY = "whatif"  # the hidden marker of the one what-if comment on a pull request
WORKFLOW = Path(".github/workflows/grader.yml")

WORKFLOW_OPTION = click.option(
    "--workflow", type=click.Path(dir_okay=False, path_type=Path), default=WORKFLOW, show_default=True,
    help="The grader workflow whose cron lines give the runner minutes (skipped when missing).",
)  # fmt: skip


def _git_policy(ref: str, path: Path) -> Config:
    """``git show REF:path``, validated as data; named ``REF:path`` in any fault."""
    spec = f"{ref}:{path.as_posix() if path.is_absolute() else './' + path.as_posix()}"
    done = subprocess.run(["git", "show", spec], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UsageError(f"cannot read {spec} from git: {done.stderr.strip() or 'git failed'}")
    return load_config_text(done.stdout, f"{ref}:{path.as_posix()}")


def _policies(
    cfg: Config, config: Path, proposed: Path | None, base: str | None, head: str | None
) -> tuple[Config, Config]:
    if proposed is not None and (base or head):
        raise UsageError("give either a PROPOSED file or --base/--head, not both")
    if proposed is not None:
        return cfg, load_config(proposed)
    if base is None and head is None:
        raise UsageError("nothing to compare: give a PROPOSED policy file, or --base REF (and --head REF)")
    before = _git_policy(base, config) if base else cfg
    after = _git_policy(head, config) if head else cfg
    return before, after


def _workflow(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _as_json(w: WhatIf) -> dict[str, Any]:
    return {"nothing": w.nothing, **{f.name: getattr(w, f.name) for f in fields(w)}}


def _print(w: WhatIf, before: Config, after: Config, as_json: bool, markdown: bool) -> None:
    if as_json:
        print_json(_as_json(w))
        return
    words = Words(w, before, after, before.locale)
    click.echo(words.markdown(_title(before.locale)) if markdown else words.text(table))


def _title(locale: str) -> str:
    _ = Translator(locale)
    return _("What-if: this policy change and the open tickets")


# --------------------------------------------------------------------------- local


@click.command("whatif")
@CONFIG_OPTION
@click.argument("proposed", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--base", metavar="REF", help="Compare tracker.yml as of this git revision (instead of --config).")
@click.option("--head", metavar="REF", help="... with tracker.yml as of this git revision (default: --config).")
@DB_OPTION
@WORKFLOW_OPTION
@NOW_OPTION
@click.option("--markdown", is_flag=True, help="Print Markdown (for a pull request or a job summary).")
@JSON_OPTION
def whatif(
    cfg: Config, proposed: Path | None, base: str | None, head: str | None, db_path: Path, workflow: Path,
    now: datetime, markdown: bool, as_json: bool,
) -> None:  # fmt: skip
    """What a proposed policy would change for the open tickets, now: grades, clocks, escalations."""
    from tracker.cli.common import config_path

    before, after = _policies(cfg, config_path(), proposed, base, head)
    with open_store(db_path, cfg) as store:
        tickets = store.tickets(state="open")
    _print(compare(tickets, before, after, now, workflow=_workflow(workflow)), before, after, as_json, markdown)


# --------------------------------------------------------------------------- GitHub


def pull_request_of(event_path: str | None, repo: str | None) -> tuple[int, bool]:
    """The pull request number of the event, and whether it comes from this repository."""
    if not event_path:
        raise UsageError("no event: pass --event-path (GitHub Actions sets GITHUB_EVENT_PATH)")
    try:
        payload = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"the event payload {event_path} cannot be read as JSON: {exc}") from None
    pr = payload.get("pull_request") if isinstance(payload, dict) else None
    if not isinstance(pr, dict) or not isinstance(pr.get("number"), int):
        raise UsageError(f"the event payload {event_path} is not about a pull request")
    head_repo = (pr.get("head") or {}).get("repo") or {}
    own = (payload.get("repository") or {}).get("full_name") or repo
    return pr["number"], bool(head_repo.get("full_name")) and head_repo.get("full_name") == own


def keep_sticky(hub: Any, number: int, body: str) -> str:
    """Edit the one marked what-if comment on pull request ``number``, or post it: never two."""
    text = with_marker(STICKY, body)
    found = [c for c in hub.issue_comments(number) if (c.get("user") or {}).get("login") == hub.bot_login
             and marker_key(c.get("body") or "") == STICKY]  # fmt: skip
    if not found:
        hub.post_comment(number, text)
        return "posted"
    if (found[0].get("body") or "") != text:
        hub.edit_comment(number, int(found[0]["id"]), text)
        return "edited"
    return "unchanged"


_EVENT_OPTION = click.option(
    "--event-path", envvar="GITHUB_EVENT_PATH", show_envvar=True, type=click.Path(dir_okay=False),
    help="The pull_request webhook payload.",
)  # fmt: skip


@click.command("whatif-pr")
@_connection_options
@click.argument("proposed", type=click.Path(dir_okay=False, path_type=Path))
@_EVENT_OPTION
@WORKFLOW_OPTION
@click.option(
    "--summary", type=click.Path(dir_okay=False, path_type=Path), envvar="GITHUB_STEP_SUMMARY", show_envvar=True,
    help="Append the what-if in Markdown to this file (the job summary).",
)  # fmt: skip
@click.option("--body-out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the Markdown here.")
@click.option("--comment", is_flag=True, help="Also keep the sticky comment on the pull request (not for forks).")
@NOW_OPTION
@JSON_OPTION
def whatif_pr(
    proposed: Path, event_path: str | None, workflow: Path, summary: Path | None, body_out: Path | None,
    comment: bool, now: datetime, as_json: bool, cfg: Config, **conn: Any,
) -> None:  # fmt: skip
    """The what-if of a pull request's tracker.yml over the repository's open tickets (read only)."""
    from tracker.sync import sync

    after = load_config(proposed)  # validated before any request

    def work(hub: GitHubHub, store: Ledger) -> WhatIf:
        sync(hub, store)
        tickets: list[Ticket] = store.tickets(state="open")
        w = compare(tickets, cfg, after, now, workflow=_workflow(workflow))
        md = Words(w, cfg, after, cfg.locale).markdown(_title(cfg.locale))
        for path in (p for p in (summary, body_out) if p is not None):
            with path.open("a" if path == summary else "w", encoding="utf-8") as fh:
                fh.write(md)
        if comment:
            _comment(hub, event_path, conn.get("repo"), md, cfg.locale)
        return w

    _print(_on_desk(cfg, conn, work), cfg, after, as_json, markdown=False)


def _comment(hub: Any, event_path: str | None, repo: str | None, body: str, locale: str) -> None:
    number, own = pull_request_of(event_path, repo)
    _ = Translator(locale)
    if not own:
        click.echo(_("pull request #%(n)s comes from a fork: the summary only, no comment", n=number), err=True)
        return
    done = keep_sticky(hub, number, body)
    click.echo(_("what-if comment on pull request #%(n)s: %(done)s", n=number, done=done), err=True)


@click.command("pr-comment")
@_connection_options
@click.argument("body", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_EVENT_OPTION
def pr_comment(body: Path, event_path: str | None, cfg: Config, **conn: Any) -> None:
    """Keep the one what-if comment on the event's pull request up to date with BODY (Markdown)."""
    options = {k: v for k, v in conn.items() if k not in ("db_path", "cfg")}
    text = body.read_text(encoding="utf-8")
    with _connect(cfg, **options) as hub:
        _comment(hub, event_path, conn.get("repo"), text, cfg.locale)


COMMANDS: list[click.Command] = [whatif, whatif_pr, pr_comment]
