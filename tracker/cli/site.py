"""``tracker publish``: write the public site from the store, and optionally build it.

Loads the policy once, reads every ticket from the store, lets the engine assess them at
``--now``, writes the MkDocs sources (see :mod:`tracker.publish`) and, with ``--build``,
runs ``mkdocs build --strict`` on them in a separate Python process.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import click

from tracker.cli.common import CONFIG_OPTION, DB_OPTION, NOW_OPTION, open_store
from tracker.config import Config
from tracker.i18n import Translator
from tracker.site_links import with_repository
from tracker.views import TicketView


@click.command("publish")
@DB_OPTION
@CONFIG_OPTION
@click.option(
    "--docs", "docs_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="The desk's site source folder; mkdocs.yml is written beside it "
    "(default: publishing.docs_dir, site-src).",
)  # fmt: skip
@NOW_OPTION
@click.option(
    "--build/--no-build", default=False, show_default=True,
    help="Also run mkdocs build --strict on the result.",
)  # fmt: skip
@click.option(
    "--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where --build writes the site (default: site/ beside mkdocs.yml).",
)  # fmt: skip
@click.option(
    "--people-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Also write the reports with per-person figures here, for staff only (never into the site).",
)  # fmt: skip
def publish_command(
    db_path: Path,
    cfg: Config,
    docs_dir: Path | None,
    now: datetime,
    build: bool,
    site_dir: Path | None,
    people_dir: Path | None,
) -> None:
    """Write the knowledge base, incidents and reports pages, and mkdocs.yml."""
    from tracker.engine import assess_all
    from tracker.publish import publish, run_mkdocs

    _ = Translator(cfg.locale)
    cfg = with_repository(cfg, os.environ.get("GITHUB_REPOSITORY"))
    docs_dir = docs_dir or Path(cfg.publishing.docs_dir)
    with open_store(db_path, cfg) as store:
        tickets = store.tickets()
    views = assess_all(tickets, cfg, now)
    result = publish(views, cfg, docs_dir, now)
    click.echo(result.summary(cfg.locale))
    for note in result.notes:
        click.echo(_("note: %(note)s", note=note), err=True)
    if people_dir is not None:
        written = write_people_reports(views, cfg, people_dir, now)
        click.echo(_("Reports with per-person figures: %(n)s in %(dir)s", n=written, dir=people_dir))
    if build:
        config_file = docs_dir.parent / "mkdocs.yml"
        run_mkdocs(config_file, site_dir)
        click.echo(_("Site built in %(site)s", site=site_dir or config_file.parent / "site"))


def write_people_reports(views: Sequence[TicketView], cfg: Config, out: Path, now: datetime) -> int:
    """The weekly and monthly reports with per-person figures, as Markdown files in ``out``:
    a private artifact for staff (the public site leaves them out unless
    ``publishing.people`` is on). Returns how many were written."""
    from tracker import report_pages

    weeks, months = report_pages.report_periods(views, cfg)
    count = 0
    for kind, periods, write in (
        ("weekly", weeks, report_pages.weekly_report_markdown),
        ("monthly", months, report_pages.monthly_report_markdown),
    ):
        for year, num in periods:
            path = out / kind / (f"{year}-W{num:02d}.md" if kind == "weekly" else f"{year}-{num:02d}.md")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(write(views, cfg, (year, num), now, people=True), encoding="utf-8")
            count += 1
    return count


COMMANDS: list[click.Command] = [publish_command]
