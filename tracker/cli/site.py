"""``tracker publish``: write the public site from the store, and optionally build it.

Loads the policy once, reads every ticket from the store, lets the engine assess them at
``--now``, writes the MkDocs sources (see :mod:`tracker.publish`) and, with ``--build``,
runs ``mkdocs build --strict`` on them in a separate Python process.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from tracker.cli.common import CONFIG_OPTION, DB_OPTION, NOW_OPTION, open_store
from tracker.config import Config
from tracker.i18n import Translator


@click.command("publish")
@DB_OPTION
@CONFIG_OPTION
@click.option(
    "--docs", "docs_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("docs"),
    show_default=True, help="The MkDocs docs folder; mkdocs.yml is written beside it.",
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
def publish_command(
    db_path: Path,
    cfg: Config,
    docs_dir: Path,
    now: datetime,
    build: bool,
    site_dir: Path | None,
) -> None:
    """Write the knowledge base, incidents and reports pages, and mkdocs.yml."""
    from tracker.engine import assess_all
    from tracker.publish import publish, run_mkdocs

    _ = Translator(cfg.locale)
    with open_store(db_path, cfg) as store:
        tickets = store.tickets()
    views = assess_all(tickets, cfg, now)
    result = publish(views, cfg, docs_dir, now)
    click.echo(result.summary(cfg.locale))
    for note in result.notes:
        click.echo(_("note: %(note)s", note=note), err=True)
    if build:
        config_file = docs_dir.parent / "mkdocs.yml"
        run_mkdocs(config_file, site_dir)
        click.echo(_("Site built in %(site)s", site=site_dir or config_file.parent / "site"))


COMMANDS: list[click.Command] = [publish_command]
