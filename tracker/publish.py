"""Write the desk's public site as MkDocs sources: knowledge base, incidents, reports.

:func:`publish` takes the engine's :class:`~tracker.views.TicketView` list and writes
Markdown pages (Jinja2 templates under ``templates/site/``) into the docs folder,
plus the ``mkdocs.yml`` beside it. Everything is decided by :func:`render_site`, a pure
function of (views, config, now, hand-written pages); only :func:`publish` touches files.

Rules the writer keeps:

* **Generated files are marked.** Every page it writes starts with a front matter whose
  first line is a ``# tracker:generated`` comment; ``mkdocs.yml`` starts with the same
  comment. A file without that line is hand-written: it is never overwritten nor removed,
  even in the generated folders (``kb/``, ``incidents/``, ``reports/``). Deleting the line
  from a generated file turns it into a hand-written one.
* **Deterministic output.** The same input gives byte-identical files: stable ordering,
  only dates that come from the tickets themselves and the one "built at" moment (``now``:
  the footer every page shows, from ``mkdocs.yml``, and the incidents page). Files whose content
  did not change are not rewritten; generated files no longer produced are removed.
* **Nothing private leaves.** Answers of private form fields (``fields.X.private`` and
  ``publishing.private_fields``) are never shown, and their values are also cut from
  every other text of the same ticket; all ticket text passes through
  :func:`tracker.redact.redact` and then :func:`tracker.redact.inert_markdown`.

``mkdocs.yml`` is generated too (site name and language from ``tracker.yml``), because the
navigation depends on the data (one page per category) and the site language on
``locale``. It is written next to the docs folder unless it has lost its marker line.

Reports come from :mod:`tracker.report_pages` (``report_periods``, ``weekly_report_markdown``,
``monthly_report_markdown``) when that module is importable; otherwise the archive page
says that there are no reports yet.

The pages are written by rooms: :mod:`tracker.site_kb` (knowledge base and known
problems), :mod:`tracker.site_incidents` (incidents and post-incident reports),
:mod:`tracker.site_reports` (the reports archive) and :mod:`tracker.site_frame`
(``mkdocs.yml``, the home page, hand-written pages, the MkDocs build), all from the one
model in :mod:`tracker.site_model`. This module puts them together and writes the files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tracker.config import Config
from tracker.i18n import DEFAULT_LOCALE, SOURCE_LOCALE, Translator
from tracker.site_frame import SiteBuildError, home_page, mkdocs_yml, read_head, run_mkdocs, scan_hand_pages
from tracker.site_incidents import incident_pages
from tracker.site_kb import Entry, article, category_order, hand_entries, kb_pages, known_problems
from tracker.site_model import GENERATED_MARK, HandPage, Site, category_path, is_generated
from tracker.site_reports import STANDARD_REPORTS, ReportSource, report_pages
from tracker.views import TicketView

__all__ = [
    "GENERATED_MARK",
    "HandPage",
    "PublishResult",
    "SiteBuildError",
    "SiteFiles",
    "build_site",
    "is_generated",
    "publish",
    "render_site",
    "run_mkdocs",
    "scan_hand_pages",
]


@dataclass(frozen=True, slots=True)
class SiteFiles:
    """What :func:`render_site` decided: docs pages by relative path, and ``mkdocs.yml``."""

    pages: dict[str, str]
    mkdocs_yml: str
    articles: int
    hand_articles: int
    incident_pages: int
    open_incidents: int
    known_problems: int
    weekly_reports: int
    monthly_reports: int


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What :func:`publish` did; paths are relative to the docs folder."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    kept: tuple[str, ...]  # hand-written files where a generated one would have gone
    config_file: str | None  # mkdocs.yml written or up to date (None: hand-maintained)
    articles: int
    hand_articles: int
    incident_pages: int
    open_incidents: int
    known_problems: int
    weekly_reports: int
    monthly_reports: int
    notes: tuple[str, ...] = field(default=())

    @property
    def reports(self) -> int:
        return self.weekly_reports + self.monthly_reports

    def summary(self, locale: str = DEFAULT_LOCALE) -> str:
        """Two lines for people: what was published, and what happened to the files."""
        _ = Translator(locale)
        first = _(
            "Published: %(articles)s knowledge base articles (%(hand)s more hand-written), "
            "%(known)s known problems, %(open)s open incidents, %(pages)s post-incident report pages, "
            "%(weeks)s weekly and %(months)s monthly reports.",
            articles=self.articles,
            hand=self.hand_articles,
            known=self.known_problems,
            open=self.open_incidents,
            pages=self.incident_pages,
            weeks=self.weekly_reports,
            months=self.monthly_reports,
        )
        second = _(
            "Files: %(written)s written, %(unchanged)s unchanged, %(removed)s removed, %(kept)s hand-written kept.",
            written=len(self.written),
            unchanged=len(self.unchanged),
            removed=len(self.removed),
            kept=len(self.kept),
        )
        return f"{first}\n{second}"

    def __str__(self) -> str:
        return self.summary(SOURCE_LOCALE)


def render_site(
    views: Sequence[TicketView],
    cfg: Config,
    now: datetime,
    *,
    hand: Sequence[HandPage] = (),
    docs_dir_name: str = "site-src",
    reports: ReportSource | None = STANDARD_REPORTS,
) -> SiteFiles:
    """Every generated page and the ``mkdocs.yml`` text for these views (pure).

    ``hand`` lists the hand-written pages of the docs folder (their KB articles are listed
    with the generated ones; other pages join the navigation). ``reports`` is the module
    writes the weekly and monthly reports; None leaves them out.
    """
    site = Site(views, cfg, now)
    pages: dict[str, str] = {}
    entries: list[Entry] = []
    for v in site.article_views:
        text, entry = article(site, v)
        pages[entry.path] = text
        entries.append(entry)
    hand_pages = hand_entries(site, hand)
    entries.extend(hand_pages)
    pages.update(kb_pages(site, entries))
    pages["kb/known-problems.md"], n_known = known_problems(site)
    incidents, n_pages, n_open = incident_pages(site)
    pages.update(incidents)
    reports_archive, n_weeks, n_months = report_pages(site, site.views, reports)
    pages.update(reports_archive)
    pages["index.md"] = home_page(
        site, articles=len(entries), known=n_known, open_incidents=n_open, reports=reports_archive
    )
    categories = [(site.category_label(cid), category_path(cid)) for cid in category_order(site, entries)]
    return SiteFiles(
        pages=dict(sorted(pages.items())),
        mkdocs_yml=mkdocs_yml(site, docs_dir_name, categories, hand),
        articles=len(site.article_views),
        hand_articles=len(hand_pages),
        incident_pages=n_pages,
        open_incidents=n_open,
        known_problems=n_known,
        weekly_reports=n_weeks,
        monthly_reports=n_months,
    )


def _write_if_changed(path: Path, text: str) -> bool:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def publish(
    views: Sequence[TicketView],
    cfg: Config,
    docs_dir: Path,
    now: datetime,
    *,
    config_file: Path | None = None,
    reports: ReportSource | None = STANDARD_REPORTS,
) -> PublishResult:
    """Write the site's generated pages into ``docs_dir`` and ``mkdocs.yml`` beside it.

    Hand-written pages are read (their KB articles are listed, other pages join the
    navigation) and left alone. ``reports=None`` publishes without the reports.
    """
    _ = Translator(cfg.locale)
    # A second incident ticket opened for one incident by two runs at once is closed by the
    # grader as a duplicate: it is neither an incident nor a ticket on the site.
    views = [v for v in views if v.duplicate_of is None]
    docs_dir = Path(docs_dir)
    config_file = Path(config_file) if config_file else docs_dir.parent / "mkdocs.yml"
    hand, generated_before = scan_hand_pages(docs_dir)
    docs_name = Path(os.path.relpath(docs_dir.resolve(), config_file.parent.resolve())).as_posix()
    site = render_site(views, cfg, now, hand=hand, docs_dir_name=docs_name, reports=reports)
    hand_paths = {p.path for p in hand}
    written, unchanged, kept = [], [], []
    notes: list[str] = []
    for rel, text in site.pages.items():
        if rel in hand_paths:
            kept.append(rel)
            continue
        if _write_if_changed(docs_dir / rel, text):
            written.append(rel)
        else:
            unchanged.append(rel)
    removed = sorted(generated_before - set(site.pages))
    for rel in removed:
        path = docs_dir / rel
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != docs_dir and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    config_written: str | None = config_file.name
    if config_file.exists() and not is_generated(read_head(config_file)):
        config_written = None
        notes.append(_("%(file)s has no %(mark)s line: left as it is", file=config_file.name, mark=GENERATED_MARK))
    else:
        _write_if_changed(config_file, site.mkdocs_yml)
    for rel in kept:
        notes.append(_("%(file)s is hand-written: not replaced by the generated page", file=rel))
    return PublishResult(
        written=tuple(written),
        unchanged=tuple(unchanged),
        removed=tuple(removed),
        kept=tuple(kept),
        config_file=config_written,
        articles=site.articles,
        hand_articles=site.hand_articles,
        incident_pages=site.incident_pages,
        open_incidents=site.open_incidents,
        known_problems=site.known_problems,
        weekly_reports=site.weekly_reports,
        monthly_reports=site.monthly_reports,
        notes=tuple(notes),
    )


def build_site(store: Any, cfg: Config, where: Path, now: datetime, *, build: bool = True) -> PublishResult:
    """Publish a store's tickets into ``where/<publishing.docs_dir>`` + ``where/mkdocs.yml``;
    build ``where/site``.

    ``store`` is a :class:`tracker.ledger.Ledger` (anything with ``tickets()``).
    """
    from tracker.engine import assess_all

    where = Path(where)
    views = assess_all(store.tickets(), cfg, now)
    result = publish(views, cfg, where / cfg.publishing.docs_dir, now, config_file=where / "mkdocs.yml")
    if build:
        run_mkdocs(where / "mkdocs.yml", where / "site")
    return result
