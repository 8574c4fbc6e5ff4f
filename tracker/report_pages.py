"""The weekly and monthly report pages: Markdown, with inline SVG charts, from the figures.

:mod:`tracker.report_figures` works out the figures; this module only words them, in the
policy's locale through :mod:`tracker.i18n` (English source strings, the other languages in
the catalogs). Only ids and names from the config, logins and ticket numbers appear on a
page; no text written in a ticket does. The same figures give the same bytes.

It runs a little over 600 lines on purpose: a report page's sections are read (and
reviewed) top to bottom in the order the page shows them, each next to its table.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_date

from tracker.charts import bar_chart, line_chart, stacked_bar_chart
from tracker.config import Config
from tracker.i18n import N_, Translator, babel_locale, format_number, format_span, format_time
from tracker.redact import redact
from tracker.report_figures import (
    HEADLINE,
    MEASURES,
    Attainment,
    Figures,
    monthly_figures,
    trend_figures,
    weekly_figures,
)  # fmt: skip
from tracker.report_periods import Period, report_periods
from tracker.report_scope import NONE, OTHER, CountingCalendar
from tracker.site_links import ticket_ref
from tracker.views import TicketView

__all__ = ["monthly_report_markdown", "report_periods", "weekly_report_markdown"]

HEADLINE_NAMES = {
    "opened": N_("Tickets opened"),
    "resolved": N_("Resolved"),
    "backlog": N_("Open backlog"),
    "attainment": N_("SLA attainment rate"),
    "breaches": N_("Breaches"),
    "escalations": N_("Escalations"),
    "respond_median": N_("Median time to respond (business)"),
    "resolve_median": N_("Median time to resolve (business)"),
    "satisfaction": N_("Average satisfaction"),
    "incidents": N_("Incidents"),
}
MEASURE_NAMES = {"respond": N_("First response"), "plan": N_("Plan"), "resolve": N_("Resolving")}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|])")


def _md(text: object) -> str:
    """Text safe inside a Markdown table cell: HTML-escaped, Markdown syntax neutralised."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


class _Page:
    """Names and number formats for one locale; ``people``: whether per-person figures show."""

    def __init__(self, cfg: Config, people: bool = False) -> None:
        self.cfg = cfg
        self.people = people
        self._ = Translator(cfg.locale)
        self.locale = self._.locale
        self.tz = cfg.tz

    def special(self, key: str) -> str | None:
        if key == NONE:
            return self._("not given")
        if key == OTHER:
            return self._("other")
        return None

    def grade(self, key: str | None) -> str:
        if key is None:
            return "—"
        g = self.cfg.grade_by_id.get(key)
        return g.label(self.locale) if g else self.special(key) or key

    def named(self, items: Iterable[Any], key: str) -> str:
        for item in items:
            if item.id == key:
                return str(item.label(self.locale))
        return self.special(key) or redact(key, locale=self.locale)

    def category(self, key: str) -> str:
        return self.named(self.cfg.categories, key)

    def type(self, key: str) -> str:
        return self.named(self.cfg.types, key)

    def option(self, fact: str | None, key: str) -> str:
        spec = self.cfg.fields.get(fact) if fact else None
        return self.named(spec.options if spec else (), key)

    def channel(self, key: str) -> str:
        return self.option(self.cfg.reports.channel_field, key)

    def symptom(self, key: str) -> str:
        for fact in self.cfg.reports.symptom_fields:
            spec = self.cfg.fields.get(fact)
            if spec and any(o.id == key for o in spec.options):
                return self.option(fact, key)
        return self.special(key) or redact(key, locale=self.locale)

    def department(self, key: str) -> str:
        role = self.cfg.roles.get(key)
        if role is not None:
            return role.label(self.locale)
        return self.option(self.cfg.reports.department_field, key)

    def clock(self, key: str) -> str:
        return self.named(self.cfg.clocks, key)

    def role(self, key: str | None) -> str:
        role = self.cfg.roles.get(key or "")
        if role is not None:
            return role.label(self.locale)
        return self._("nobody assigned") if key in (None, NONE) else redact(key, locale=self.locale)

    def ref(self, number: int) -> str:
        return ticket_ref(self.cfg, number)

    def span(self, seconds: float | None, *, signed: bool = False) -> str:
        """A duration by the one formatter; a change of one is signed ``+`` (longer) or
        ``-`` (shorter)."""
        if seconds is None:
            return "—"
        sign = ("+" if seconds > 0 else "-" if seconds < 0 else "") if signed else ""
        return sign + format_span(seconds, self.locale)

    def when(self, iso: str | None) -> str:
        if iso is None:
            return self._("open")
        return format_time(datetime.fromisoformat(iso).astimezone(self.tz))

    def count(self, n: int) -> str:
        return format_number(n, self.locale)

    @staticmethod
    def pct(value: float | None) -> str:
        """A percentage with one decimal, always (columns of them line up)."""
        return "—" if value is None else f"{value:.1f}%"

    @staticmethod
    def num(value: float | None, digits: int = 0) -> str:
        """A figure with a fixed number of decimals (``format_number`` drops trailing zeros)."""
        if value is None:
            return "—"
        return f"{value:.{digits}f}"

    def headline(self, key: str, value: float | None, *, delta: bool = False) -> str:
        """A headline figure, or its change (signed; no sign for no change)."""
        if value is None:
            return "—"
        if key in ("respond_median", "resolve_median"):
            return self.span(value, signed=delta)
        digits = {"attainment": 1, "satisfaction": 2}.get(key, 0)
        text = f"{abs(value) if delta else value:.{digits}f}"
        if delta and float(text) != 0:
            text = ("+" if value > 0 else "-") + text
        if key == "attainment":
            text += " pt" if delta else "%"
        return text


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    """A Markdown table; ``align`` has one letter per column (``l`` or ``r``)."""
    align = align or "l" + "r" * (len(headers) - 1)
    out = [
        "| " + " | ".join(_md(h) for h in headers) + " |",
        "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|",
    ]
    out += ["| " + " | ".join(cells) + " |" for cells in rows]
    return [*out, ""]


def _figure(svg: str) -> list[str]:
    """An inline chart: a raw HTML block, kept apart from Markdown by blank lines."""
    return ['<figure class="report-chart">', svg, "</figure>", ""]


def _render(fig: Figures, cfg: Config, views: Sequence[TicketView], now: datetime, people: bool | None) -> str:
    """The whole page: front matter, then one section after another. Per-person figures
    (agents, the best agent, who followed up) only with ``people`` (default: the policy's
    ``publishing.people``, off)."""
    pg = _Page(cfg, cfg.publishing.people if people is None else people)
    out = _front(fig, pg, now)
    out += _summary_section(fig, pg)
    out += _trend_section(fig, pg, views, now)
    for section in (
        _volume_section,
        _sla_section,
        _timings_section,
        _breaches_section,
        _incidents_section,
        _satisfaction_section,
        _people_section,
        _recurring_section,
    ):
        out += section(fig, pg)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _title(fig: Figures, pg: _Page) -> str:
    year, num = fig.period
    if fig.kind == "week":
        return pg._("Service report, week %(week)s of %(year)s", year=year, week=num)
    # Translators: a Babel (CLDR) date pattern: y year, M month number, MMMM month name;
    # text between single quotes is written as it is.
    pattern = pg._("'Service report,' MMMM y")
    return format_date(date(year, num, 1), pattern, locale=babel_locale(pg.locale))


REPORT_BOOST = 0.25  # search: a report ranks below an article that uses the same words


def _front(fig: Figures, pg: _Page, now: datetime) -> list[str]:
    title = _title(fig, pg)
    start = datetime.fromisoformat(fig.start)
    last_day = (datetime.fromisoformat(fig.end) - timedelta(days=1)).date()
    page_date = min(last_day, now.astimezone(pg.tz).date())
    period = pg._(
        "Period: %(start)s to %(end)s (%(tz)s), figures as of %(now)s.",
        start=start.date().isoformat(),
        end=last_day.isoformat(),
        tz=pg.cfg.timezone,
        now=format_time(now.astimezone(pg.tz)),
    )
    return [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"date: {page_date.isoformat()}",
        "search:",
        f"  boost: {REPORT_BOOST}",
        "---",
        "",
        f"# {_md(title)}",
        "",
        _md(period),
        "",
    ]


def _summary_section(fig: Figures, pg: _Page) -> list[str]:
    _ = pg._
    rows = [
        [
            _md(_(HEADLINE_NAMES[key])),
            _md(pg.headline(key, fig.headline.get(key))),
            _md(pg.headline(key, fig.previous.get(key))),
            _md(pg.headline(key, fig.delta.get(key), delta=True)),
        ]
        for key in HEADLINE
        if key != "satisfaction" or fig.satisfaction is not None
    ]
    weekly = fig.kind == "week"
    columns = [_("This week"), _("Last week")] if weekly else [_("This month"), _("Last month")]
    return ["## " + _("Summary"), "", *_table([_("Figure"), *columns, _("Change")], rows)]


def _trend_label(kind: str, p: Period) -> str:
    return f"W{p[1]:02d}" if kind == "week" else f"{p[0]}-{p[1]:02d}"


def _trend_section(
    fig: Figures, pg: _Page, views: Sequence[TicketView], now: datetime
) -> list[str]:
    _ = pg._
    trend = trend_figures(views, pg.cfg, fig.kind, fig.period, now)
    n = len(trend.periods)
    if fig.kind == "week":
        title = _("Tickets over the last %(n)s weeks", n=n)
    else:
        title = _("Tickets over the last %(n)s months", n=n)
    labels = [_trend_label(fig.kind, p) for p in trend.periods]
    series = [
        (_(HEADLINE_NAMES["opened"]), list(trend.opened)),
        (_(HEADLINE_NAMES["resolved"]), list(trend.resolved)),
        (_(HEADLINE_NAMES["breaches"]), list(trend.breached)),
    ]
    chart = line_chart(labels, series, title=title, empty=_("no data"))
    # the same figures as a table beside the chart, for screen readers and small screens
    data = _table([_("Period"), *(name for name, _v in series)],
                  [[label, *(pg.count(v[i]) for _n, v in series)] for i, label in enumerate(labels)])  # fmt: skip
    return ["## " + _("Trend"), "", *_figure(chart), *data]


def _volume_section(fig: Figures, pg: _Page) -> list[str]:
    _ = pg._
    vol = fig.volume
    out = ["## " + _("Volume"), ""]
    tables: tuple[tuple[str, str, Mapping[str, int], Callable[[str], str], bool], ...] = (
        (_("By grade"), _("Grade"), vol.by_grade, pg.grade, True),
        (_("By category"), _("Category"), vol.by_category, pg.category, True),
        (_("By type"), _("Type"), vol.by_type, pg.type, False),
        (_("By channel"), _("Channel"), vol.by_channel, pg.channel, False),
    )
    for heading, column, table, name, charted in tables:
        if not table:
            continue
        out += [f"### {heading}", ""]
        out += _table(
            [column, _("Count")], [[_md(name(k)), pg.count(n)] for k, n in table.items()]
        )
        if charted and vol.opened:
            chart = bar_chart(
                [(name(k), n) for k, n in table.items()],
                title=_("Volume") + " · " + heading,
                # Translators: written right after a number of tickets in a chart.
                unit=_(" tickets"),
                empty=_("no data"),
            )
            out += _figure(chart)
    return out


def _grade_cell(a: Attainment | None, pg: _Page) -> str:
    if a is None or a.met + a.missed + a.late == 0:
        return "—"
    return f"{a.met}/{a.met + a.missed + a.late} ({pg.pct(a.percent)})"


def _sla_section(fig: Figures, pg: _Page) -> list[str]:
    _ = pg._
    out = ["## " + _("SLA attainment"), ""]
    clocks = list(fig.attainment.items())
    if not clocks:
        return [*out, _("Nothing this period."), ""]

    def row(name: str, o: Attainment) -> list[str]:
        counts = (o.met, o.missed, o.late, o.pending)
        return [name, *(pg.count(n) for n in counts), pg.pct(o.percent)]

    rows = [row(_md(pg.clock(cid)), a.overall) for cid, a in clocks]
    rows.append(row("**" + _md(_("Total")) + "**", fig.attainment_overall))
    outcomes = [_("Met"), _("Missed"), _("Still late")]
    out += _table([_("SLA clock"), *outcomes, _("Not due yet"), _("Attainment")], rows)
    if not any(a.overall.met + a.overall.missed + a.overall.late for _, a in clocks):
        return out
    chart = stacked_bar_chart(
        [pg.clock(cid) for cid, _ in clocks],
        [
            (outcomes[0], [a.overall.met for _, a in clocks]),
            (outcomes[1], [a.overall.missed for _, a in clocks]),
            (outcomes[2], [a.overall.late for _, a in clocks]),
        ],
        title=_("Clock outcomes"),
        colors=("#59a14f", "#e15759", "#f28e2b"),
        empty=_("no data"),
    )
    out += _figure(chart)
    grades = list(dict.fromkeys(g for _, a in clocks for g in a.by_grade))
    out += ["### " + _("Attainment by grade"), ""]
    out += _table(
        [_("SLA clock"), *(pg.grade(g) for g in grades)],
        [
            [_md(pg.clock(cid)), *(_grade_cell(a.by_grade.get(g), pg) for g in grades)]
            for cid, a in clocks
        ],
    )
    return out


def _timings_section(fig: Figures, pg: _Page) -> list[str]:
    _ = pg._
    rows = []
    for m in MEASURES:
        tm = fig.timings[m].overall
        spans = (tm.business.median, tm.business.p90, tm.wall.median, tm.wall.p90)
        rows.append(
            [_md(_(MEASURE_NAMES[m])), pg.count(tm.business.count), *(_md(pg.span(x)) for x in spans)]
        )
    headers = [
        _("Step"), _("Tickets"), _("Median (business)"), _("P90 (business)"),
        _("Median (wall)"), _("P90 (wall)"),
    ]  # fmt: skip
    note = _(
        "Business time follows each clock's calendar and counting mode; "
        "tickets without such a clock count wall time."
    )
    out = ["## " + _("Timings"), "", *_table(headers, rows), _md(note), ""]

    def mean(m: str, g: str) -> str:
        row = fig.timings[m].by_grade.get(g)
        return _md(pg.span(row.business.mean)) if row is not None else "—"

    grades = [
        g
        for g in dict.fromkeys(g for m in MEASURES for g in fig.timings[m].by_grade)
        if any(m_g.business.count for m in MEASURES if (m_g := fig.timings[m].by_grade.get(g)))
    ]
    if grades:
        out += ["### " + _("Mean time by grade (business)"), ""]
        out += _table(
            [_("Grade"), *(_(MEASURE_NAMES[m]) for m in MEASURES)],
            [[_md(pg.grade(g)), *(mean(m, g) for m in MEASURES)] for g in grades],
        )
    return out


def _breaches_section(fig: Figures, pg: _Page) -> list[str]:
    _ = pg._
    br = fig.breaches
    summary = _(
        "%(n)s clock rounds due this period ran late; %(m)s escalation steps fell due.",
        n=br.count,
        m=br.escalations,
    )
    out = ["## " + _("Breaches and escalations"), "", _md(summary), ""]
    if br.count or br.escalations:
        ids = list(dict.fromkeys([*br.by_clock, *br.escalations_by_clock]))
        out += _table(
            [_("SLA clock"), _("Breaches"), _("Escalations")],
            [
                [
                    _md(pg.clock(c)),
                    pg.count(br.by_clock.get(c, 0)),
                    pg.count(br.escalations_by_clock.get(c, 0)),
                ]
                for c in ids
            ],
        )
    if br.by_role:
        out += _table(
            [_("Answerable at the due moment"), _("Breaches")],
            [[_md(pg.role(r)), pg.count(n)] for r, n in br.by_role.items()],
        )
    if br.escalations_by_step:
        out += _table(
            [_("Ladder step"), _("Escalations")],
            [[_md(_("Step %(n)s", n=k)), pg.count(n)] for k, n in br.escalations_by_step.items()],
        )
    return out


def _incidents_section(fig: Figures, pg: _Page) -> list[str]:
    _ = pg._
    out = ["## " + _("Incidents"), ""]
    if not fig.incidents:
        return [*out, _("Nothing this period."), ""]
    headers = [
        _("Ticket"), _("First grade"), _("Final grade"), _("Current grade"), _("Linked tickets"),
        _("Opened"), _("Restored"),
    ]  # fmt: skip
    rows = [
        [
            pg.ref(i.number),
            *(_md(pg.grade(g)) for g in (i.first_grade, i.final_grade, i.grade)),
            pg.count(i.members),
            _md(pg.when(i.opened_at)),
            _md(pg.when(i.resolved_at)),
        ]
        for i in fig.incidents
    ]
    return out + _table(headers, rows, "llllrll")


def _satisfaction_section(fig: Figures, pg: _Page) -> list[str]:
    _ = pg._
    sat, scale = fig.satisfaction, pg.cfg.satisfaction
    if sat is None or scale is None:
        return []
    avg = "—" if sat.average is None else f"{sat.average:.2f}"
    summary = _("%(n)s ratings this period, average %(avg)s.", n=sat.count, avg=avg)
    out = ["## " + _("Satisfaction"), "", _md(summary), ""]
    names = {
        str(s.score): f"{s.name_en if pg.locale == 'en' and s.name_en else s.name} ({s.score})"
        for s in scale.scale
    }
    out += _table(
        [_("Score"), _("Count")],
        [[_md(names.get(k, k)), pg.count(n)] for k, n in sat.distribution.items()],
    )
    if sat.count:
        chart = bar_chart(
            [(names.get(k, k), n) for k, n in sat.distribution.items()],
            title=_("Ratings by score"),
            # Translators: written right after a number of ratings in a chart.
            unit=_(" ratings"),
            color="#59a14f",
            empty=_("no data"),
        )
        out += _figure(chart)
    if sat.low:
        low = _("%(n)s low ratings, %(m)s followed up.", n=len(sat.low), m=sat.followed_up)
        out += ["### " + _("Low ratings"), "", _md(low), ""]
        rows = [
            [
                pg.ref(f.number),
                str(f.rating),
                _("yes") if f.followed_up else _("no"),
                _md((f.by or "—") if pg.people else _("staff") if f.by else "—"),
                _md(pg.when(f.at) if f.at else "—"),
            ]
            for f in sat.low
        ]
        headers = [_("Ticket"), _("Score"), _("Followed up"), _("By"), _("At")]
        out += _table(headers, rows, "lrlll")
    return out


def _people_section(fig: Figures, pg: _Page) -> list[str]:
    _ = pg._
    out = ["## " + _("Departments"), ""]
    if fig.departments:
        headers = [
            _("Department"), _("Received"), _("Resolved"), _("Success rate"),
            _("Response timeliness"), _("Breaches"), _("Points"),
        ]  # fmt: skip
        rows = [
            [
                _md(pg.department(d.id)), pg.count(d.received), pg.count(d.resolved),
                pg.pct(d.success_rate), pg.pct(d.timeliness), pg.count(d.breaches), str(d.score),
            ]
            for d in fig.departments
        ]  # fmt: skip
        out += _table(headers, rows)
    else:
        out += [_("Nothing this period."), ""]
    if pg.people:
        out += _agents(fig, pg)
    if fig.kind == "month":
        best_dept = pg.department(fig.best_department) if fig.best_department else _("none")
        note = _(
            "Score = resolved + satisfied ratings − penalty points (one per low rating "
            "when no penalties are set) − breaches; ties go to the first name."
        )
        best = [[_md(_("Best agent")), _md(fig.best_agent or _("none"))]] if pg.people else []
        out += ["## " + _("Best of the month"), ""]
        out += _table([_("Award"), _("Winner")], [*best, [_md(_("Best department")), _md(best_dept)]], "ll")
        out += [_md(note), ""]
    return out


def _agents(fig: Figures, pg: _Page) -> list[str]:
    _ = pg._
    out = ["## " + _("Agents"), ""]
    if fig.agents:
        headers = [
            _("Agent"), _("Role"), _("Logged"), _("Handled"), _("Resolved"), _("Ratings"),
            _("Average rating"), _("Penalty points"), _("Breaches"), _("Points"),
        ]  # fmt: skip
        rows = [
            [
                _md(a.login), _md(pg.role(a.role)), pg.count(a.opened),
                pg.count(a.handled), pg.count(a.resolved), pg.count(a.ratings),
                pg.num(a.average_rating, 2), str(a.penalty_points), pg.count(a.breaches),
                str(a.score),
            ]
            for a in fig.agents
        ]  # fmt: skip
        out += _table(headers, rows, "ll" + "r" * (len(headers) - 2))
    else:
        out += [_("Nothing this period."), ""]
    return out


def _recurring_section(fig: Figures, pg: _Page) -> list[str]:
    _ = pg._
    out = ["## " + _("Recurring problems"), ""]
    if fig.recurring:
        rows = [
            [
                _md(pg.category(r.category)),
                _md(pg.symptom(r.symptom)),
                pg.count(r.count),
                ", ".join(pg.ref(n) for n in r.tickets),
            ]
            for r in fig.recurring
        ]
        out += _table([_("Category"), _("Symptom"), _("Count"), _("Ticket")], rows, "llrl")
    else:
        out += [_("Nothing this period."), ""]
    if fig.returned:
        out += ["### " + _("Reopened tickets"), ""]
        out += _table(
            [_("Ticket"), _("Category"), _("Times reopened")],
            [
                [pg.ref(r.number), _md(pg.category(r.category)), pg.count(r.reopened)]
                for r in fig.returned
            ],
            "llr",
        )
    return out


def weekly_report_markdown(
    views: Iterable[TicketView],
    cfg: Config,
    week: Period,
    now: datetime,
    *,
    calendars: Mapping[str, CountingCalendar] | None = None,
    people: bool | None = None,
) -> str:
    """The weekly report page: front matter, tables and inline SVG charts, in ``cfg.locale``."""
    views = tuple(views)
    fig = weekly_figures(views, cfg, week, now, calendars=calendars)
    return _render(fig, cfg, views, now, people)


def monthly_report_markdown(
    views: Iterable[TicketView],
    cfg: Config,
    month: Period,
    now: datetime,
    *,
    calendars: Mapping[str, CountingCalendar] | None = None,
    people: bool | None = None,
) -> str:
    """The monthly report page, with the month's best department (and best agent with ``people``)."""
    views = tuple(views)
    fig = monthly_figures(views, cfg, month, now, calendars=calendars)
    return _render(fig, cfg, views, now, people)
