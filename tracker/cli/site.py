"""``tracker publish``: write the public site from the store, and optionally build it.

Loads the policy once, reads every ticket from the store, lets the engine assess them at
``--now``, writes the MkDocs sources (see :mod:`tracker.publish`) and, with ``--build``,
runs ``mkdocs build --strict`` on them in a separate Python process.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click

from tracker.config import Config, load_config
from tracker.errors import NotFound, UsageError
from tracker.i18n import gettext


def _now(text: str | None, cfg: Config) -> datetime:
    if not text:
        return datetime.now(cfg.tz)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now {text!r} is not an ISO time such as 2026-11-24T14:30") from None
    return value if value.tzinfo else value.replace(tzinfo=cfg.tz)


@click.command("publish")
@click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("TRACKER_DB", "tracker.db"), show_default="tracker.db",
    help="The store to read tickets from [env: TRACKER_DB].",
)  # fmt: skip
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("TRACKER_CONFIG", "tracker.yml"), show_default="tracker.yml",
    help="The policy file.",
)  # fmt: skip
@click.option(
    "--docs", "docs_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("docs"),
    show_default=True, help="The MkDocs docs folder; mkdocs.yml is written beside it.",
)  # fmt: skip
@click.option(
    "--now", "now_text", metavar="ISO-TIME", default=None,
    help="The time to publish at, e.g. 2026-11-24T14:30 (default: the clock).",
)  # fmt: skip
@click.option(
    "--build/--no-build", default=False, show_default=True,
    help="Also run mkdocs build --strict on the result.",
)  # fmt: skip
@click.option(
    "--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where --build writes the site (default: site/ beside mkdocs.yml).",
)  # fmt: skip
def publish_command(
    db_path: Path,
    config_path: Path,
    docs_dir: Path,
    now_text: str | None,
    build: bool,
    site_dir: Path | None,
) -> None:
    """Write the knowledge base, incidents and reports pages, and mkdocs.yml."""
    from tracker.engine import assess_all
    from tracker.publish import publish, run_mkdocs
    from tracker.store import Store

    cfg = load_config(config_path)
    now = _now(now_text, cfg)
    if not db_path.exists():
        raise NotFound(
            gettext(
                cfg.locale,
                "no store at %(path)s: run tracker sync (GitHub) or open tickets locally first",
                path=db_path,
            )
        )
    with Store(db_path) as store:
        tickets = store.tickets()
    views = assess_all(tickets, cfg, now)
    result = publish(views, cfg, docs_dir, now)
    click.echo(result.summary(cfg.locale))
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if build:
        config_file = docs_dir.parent / "mkdocs.yml"
        run_mkdocs(config_file, site_dir)
        click.echo(gettext(cfg.locale, "Site built in %(site)s", site=site_dir or config_file.parent / "site"))


COMMANDS: list[click.Command] = [publish_command]
