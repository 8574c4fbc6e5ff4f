"""The reports archive: weekly and monthly report pages from :mod:`tracker.report_pages`,
and the archive page listing them by year."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from tracker import report_pages as standard_reports
from tracker.config import Config
from tracker.i18n import N_, Translator
from tracker.redact import inert_inline
from tracker.report_periods import Period
from tracker.site_model import Site, href, render, safe_title, split_front_matter, wrap_page
from tracker.views import TicketView

# The months by name: a month's label in the reports archive.
MONTHS = (
    N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
    N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December"),
)  # fmt: skip


class ReportSource(Protocol):
    """What writes the reports: :mod:`tracker.report_pages`, or a stand-in in tests."""

    def report_periods(self, views: Iterable[TicketView], cfg: Config) -> tuple[list[Period], list[Period]]: ...

    def weekly_report_markdown(self, views: Iterable[TicketView], cfg: Config, week: Period, now: datetime) -> str: ...

    def monthly_report_markdown(
        self, views: Iterable[TicketView], cfg: Config, month: Period, now: datetime
    ) -> str: ...


STANDARD_REPORTS: ReportSource = standard_reports


def _weekly_path(year: int, week: int) -> str:
    return f"reports/weekly/{year}-W{week:02d}.md"


def _monthly_path(year: int, month: int) -> str:
    return f"reports/monthly/{year}-{month:02d}.md"


def _weekly_title(_: Translator, year: int, week: int) -> str:
    return _("Weekly report, week %(week)s of %(year)s", year=year, week=week)


def _monthly_title(_: Translator, year: int, month: int) -> str:
    return _("Monthly report, %(month)s %(year)s", year=year, month=_(MONTHS[month - 1]))


def _report_page(_: Translator, title: str, markdown: str) -> str:
    """Wrap a report's Markdown: its own front matter (if any) gives way to ours."""
    meta, text = split_front_matter(markdown.lstrip("\n"))
    if isinstance(meta.get("title"), str):
        title = safe_title(meta["title"]) or title
    text = text.strip("\n")
    first = text.lstrip().split("\n", 1)[0]
    if not first.startswith("# "):
        text = f"# {inert_inline(title)}\n\n{text}"
    return wrap_page(_, {"title": title}, text)


def report_pages(
    site: Site, views: Sequence[TicketView], reports: ReportSource | None
) -> tuple[dict[str, str], int, int]:
    _ = site._
    pages: dict[str, str] = {}
    weeks: list[tuple[int, int]] = []
    months: list[tuple[int, int]] = []
    if reports is not None:
        raw_weeks, raw_months = reports.report_periods(views, site.cfg)
        weeks = sorted({(int(y), int(w)) for y, w in raw_weeks})
        months = sorted({(int(y), int(m)) for y, m in raw_months})
        for y, w in weeks:
            title = _weekly_title(_, y, w)
            md = reports.weekly_report_markdown(views, site.cfg, (y, w), site.now)
            pages[_weekly_path(y, w)] = _report_page(_, title, md)
        for y, m in months:
            title = _monthly_title(_, y, m)
            md = reports.monthly_report_markdown(views, site.cfg, (y, m), site.now)
            pages[_monthly_path(y, m)] = _report_page(_, title, md)
    years = sorted({y for y, _ in weeks} | {y for y, _ in months}, reverse=True)
    archive = []
    for year in years:
        month_rows = []
        for y, m in sorted((p for p in months if p[0] == year), reverse=True):
            month_rows.append(
                {
                    "label": _(MONTHS[m - 1]),
                    "title": inert_inline(_monthly_title(_, y, m)),
                    "link": href("reports/index.md", _monthly_path(y, m)),
                }
            )
        week_rows = []
        for y, w in sorted((p for p in weeks if p[0] == year), reverse=True):
            monday = datetime.fromisocalendar(y, w, 1).date()
            week_rows.append(
                {
                    "title": inert_inline(_weekly_title(_, y, w)),
                    "start": monday.isoformat(),
                    "end": (monday + timedelta(days=6)).isoformat(),
                    "link": href("reports/index.md", _weekly_path(y, w)),
                }
            )
        label = _("%(year)s", year=year)
        archive.append({"year": label, "months": month_rows, "weeks": week_rows})
    body = render(site, "reports_index.md.j2", archive=archive)
    pages["reports/index.md"] = wrap_page(_, {"title": _("Reports")}, body)
    return pages, len(weeks), len(months)
