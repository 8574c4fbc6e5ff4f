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
  no build time, only dates that come from the tickets themselves. Files whose content
  did not change are not rewritten; generated files no longer produced are removed.
* **Nothing private leaves.** Answers of private form fields (``fields.X.private`` and
  ``publishing.private_fields``) are never shown, and their values are also cut from
  every other text of the same ticket; all ticket text passes through
  :func:`tracker.redact.redact` and then :func:`tracker.redact.inert_markdown`.

``mkdocs.yml`` is generated too (site name and language from ``tracker.yml``), because the
navigation depends on the data (one page per category) and the site language on
``locale``. It is written next to the docs folder unless it has lost its marker line.

Reports come from :mod:`tracker.reports` (``report_periods``, ``weekly_report_markdown``,
``monthly_report_markdown``) when that module is importable; otherwise the archive page
says that there are no reports yet.
"""

from __future__ import annotations

import importlib
import os
import posixpath
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader

from tracker.config import Config, FormField
from tracker.errors import TrackerError
from tracker.i18n import (
    DEFAULT_LOCALE,
    N_,
    SOURCE_LOCALE,
    Translator,
    environment,
    format_names,
    format_span,
    format_time,
)
from tracker.redact import inert_inline, inert_markdown, plain_text, redact
from tracker.views import ClockView, Command, TicketView

__all__ = [
    "GENERATED_MARK",
    "HandPage",
    "PublishResult",
    "SiteFiles",
    "build_site",
    "is_generated",
    "publish",
    "render_site",
    "run_mkdocs",
    "scan_hand_pages",
]

GENERATED_MARK = "tracker:generated"
RECENT_DAYS = 30  # resolved incidents and problems stay listed this long
REPORT_GRACE = timedelta(hours=24)  # a post-incident report is due this long after recovery
GENERATED_DIRS = ("kb", "incidents", "reports")

# The months by name: a month's label in the reports archive.
MONTHS = (
    N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
    N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December"),
)  # fmt: skip
NO_REPORTS = N_("tracker.reports is not available: no weekly or monthly reports written")


class SiteBuildError(TrackerError):
    """``mkdocs build --strict`` failed on the published sources."""

    exit_code = 7


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class HandPage:
    """A hand-written Markdown page found in the docs folder (path relative to it)."""

    path: str
    title: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()


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
    notes: tuple[str, ...] = ()


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


# ----------------------------------------------------------------------------- text helpers


def is_generated(head: str) -> bool:
    """True when a file starting with ``head`` was written by publish (marker in line 1–2)."""
    return any(GENERATED_MARK in line for line in head.splitlines()[:2])


_TITLE_MAP = str.maketrans(dict(zip("<>&\"'`{}\\", "＜＞＆＂＇｀｛｝＼", strict=True)))


def safe_title(text: str) -> str:
    """A one-line title with no character HTML, YAML or Jinja could take for syntax.

    Used where MkDocs or the theme put a string into HTML without escaping it (page
    titles in ``<title>``, navigation, tags): the five HTML-special characters and the
    template braces are replaced by their full-width look-alikes.
    """
    return " ".join(plain_text(text).split()).translate(_TITLE_MAP)


def _link(src: str, dst: str) -> str:
    """A relative Markdown link target from page ``src`` to page ``dst`` (both doc-relative)."""
    return posixpath.relpath(dst, posixpath.dirname(src) or ".")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")
    return slug or "x"


@dataclass(frozen=True, slots=True)
class _Clean:
    """Redaction and escaping for the texts of one ticket (or one incident and its members)."""

    locale: str
    private: tuple[str, ...]

    def text(self, value: str | None) -> str:
        return redact(value or "", private_values=self.private, locale=self.locale)

    def block(self, value: str | None) -> str:
        return inert_markdown(self.text(value))

    def inline(self, value: str | None) -> str:
        return inert_inline(self.text(value))

    def title(self, value: str | None) -> str:
        return safe_title(self.text(value))


# ----------------------------------------------------------------------------- the model


class _Site:
    """Everything the templates need, computed once from the views (pure)."""

    def __init__(self, views: Sequence[TicketView], cfg: Config, now: datetime) -> None:
        self.cfg = cfg
        self.now = now
        self.locale = cfg.locale
        self._ = Translator(self.locale)
        self.tz = cfg.tz
        self.views = sorted(views, key=lambda v: v.number)
        self.by_number = {v.number: v for v in self.views}
        self.private_fields = frozenset(cfg.publishing.private_fields) | {
            fid for fid, f in cfg.fields.items() if f.private
        }
        self.categories = {c.id: c for c in cfg.categories}
        self.types = {t.id: t for t in cfg.types}
        self.top_grades = {g.id for g in cfg.grades[:2]}
        self.incident_by_key: dict[str, TicketView] = {}
        for v in self.views:
            if v.is_incident and v.incident_key and v.incident_key not in self.incident_by_key:
                self.incident_by_key[v.incident_key] = v
        self.system_labels = self._system_labels()
        self.article_views = [v for v in self.views if v.kb and resolved_time(v) is not None]
        self.article_numbers = {v.number for v in self.article_views}

    # -- small lookups

    def _system_labels(self) -> tuple[frozenset[str], tuple[str, ...]]:
        exact: set[str] = {self.cfg.publishing.kb_label}
        prefixes: list[str] = []
        for value in self.cfg.labels.model_dump().values():
            if "{id}" in value:
                prefixes.append(value.split("{id}", 1)[0])
            else:
                exact.add(value)
        return frozenset(exact), tuple(p for p in prefixes if p)

    def private_values(self, v: TicketView) -> tuple[str, ...]:
        """The answers of private fields, whole and word by word (a name, an address)."""
        out: list[str] = []
        for fid, value in v.facts.items():
            if fid in self.private_fields:
                for text in _fact_strings(value):
                    out.append(text)
                    out.extend(w for w in _WORD_SPLIT.split(text) if len(w) >= 2)
        return tuple(out)

    def clean(self, *views: TicketView) -> _Clean:
        values: list[str] = []
        for v in views:
            values.extend(self.private_values(v))
        return _Clean(self.locale, tuple(values))

    def grade_label(self, grade: str | None) -> str:
        if not grade:
            return "—"
        g = self.cfg.grade_by_id.get(grade)
        return safe_title(g.label(self.locale) if g else grade)

    def category_id(self, v: TicketView) -> str:
        return v.category or ""

    def category_label(self, cid: str) -> str:
        if not cid:
            return self._("Uncategorized")
        c = self.categories.get(cid)
        return safe_title(c.label(self.locale) if c else cid)

    def type_label(self, tid: str | None) -> str | None:
        if not tid:
            return None
        ty = self.types.get(tid)
        return safe_title(ty.label(self.locale) if ty else tid)

    def time(self, t: datetime | None) -> str:
        return format_time(t.astimezone(self.tz)) if t else "—"

    def date(self, t: datetime | None) -> str:
        return t.astimezone(self.tz).strftime("%Y-%m-%d") if t else "—"

    def span(self, seconds: float) -> str:
        return format_span(seconds, self.locale)

    def join(self, items: Iterable[str]) -> str:
        return format_names(items, self.locale)

    # -- ticket facts and texts

    def symptoms(self, v: TicketView, clean: _Clean) -> list[tuple[str, str]]:
        form = self.cfg.form_by_id.get(v.form) if v.form else None
        order = list(form.fields) if form else []
        order += sorted(k for k in v.facts if k not in order)
        out: list[tuple[str, str]] = []
        for fid in order:
            if fid in self.private_fields or fid not in v.facts:
                continue
            fld = self.cfg.fields.get(fid)
            shown = _fact_display(v.facts[fid], fld, self._)
            if not shown.strip():
                continue
            label = fld.text(self.locale) if fld else fid
            out.append((inert_inline(label), clean.block(shown)))
        return out

    def tags(self, v: TicketView) -> list[str]:
        exact, prefixes = self.system_labels
        tags: list[str] = []
        if v.category:
            tags.append(self.category_label(v.category))
        type_label = self.type_label(v.type)
        if type_label:
            tags.append(type_label)
        for label in sorted(v.labels):
            if label in exact or label.startswith(prefixes) or ":" in label:
                continue
            tags.append(label)
        out: list[str] = []
        for tag in tags:
            tag = safe_title(tag)[:40].strip()
            if tag and tag not in out:
                out.append(tag)
        return out

    def related(self, v: TicketView) -> list[int]:
        numbers: set[int] = set()
        if v.is_incident:
            numbers.update(v.members)
        elif v.incident_key and v.incident_key in self.incident_by_key:
            inc = self.incident_by_key[v.incident_key]
            numbers.add(inc.number)
            numbers.update(inc.members)
        numbers.discard(v.number)
        return sorted(numbers)

    def last_updated(self, v: TicketView) -> datetime:
        times = [v.opened_at]
        times += [t for t in (v.resolved_at, v.closed_at, v.confirmed_at) if t]
        times += [c.at for c in v.commands]
        return max(times)

    def member_views(self, v: TicketView) -> list[TicketView]:
        return [self.by_number[n] for n in sorted(v.members) if n in self.by_number]

    def report_state(self, v: TicketView) -> tuple[str, datetime | None, ClockView | None]:
        """('done' | 'pending' | 'overdue' | 'none', due time, the clock that asks for it)."""
        if v.texts.get("report", "").strip():
            return "done", None, None
        resolved = resolved_time(v)
        clock = _report_clock(v)
        if clock is not None:
            due = clock.due
        elif resolved is not None:
            due = resolved + REPORT_GRACE
        else:
            return "pending", None, None  # still open: due once it recovers
        if clock is not None and clock.status in ("late", "missed"):
            return "overdue", due, clock
        if resolved is not None and self.now > due:
            return "overdue", due, clock
        return "pending", due, clock

    def is_public(self, v: TicketView) -> bool:
        """Whether a ticket's title may be shown: its own article, or an incident.

        Other tickets (a customer's own report linked to an incident) appear by number only.
        """
        return v.is_incident or v.number in self.article_numbers

    def needs_report(self, v: TicketView) -> bool:
        return v.is_incident and bool({v.grade, v.final_grade, v.first_grade} & self.top_grades)


_WORD_SPLIT = re.compile(r"[\s,;，、；：:（）()]+")


def resolved_time(v: TicketView) -> datetime | None:
    """When the ticket was resolved (or closed, for one closed without /resolve)."""
    if v.resolved_at is not None:
        return v.resolved_at
    if v.state == "closed":
        return v.closed_at
    return None


def _report_clock(v: TicketView) -> ClockView | None:
    found = [c for c in v.clocks if c.checklist]
    return max(found, key=lambda c: (c.started, c.cycle)) if found else None


def _command_text(c: Command) -> str:
    return "\n".join(p for p in (c.args.strip(), c.text.strip()) if p)


def _fact_strings(value: Any) -> list[str]:
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return [s for item in value for s in _fact_strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _fact_strings(item)]
    return [str(value)]


def _fact_display(value: Any, fld: FormField | None, _: Translator) -> str:
    options = {o.id: o.label(_.locale) for o in fld.options} if fld else {}

    def one(item: Any) -> str:
        if isinstance(item, bool):
            return _("yes") if item else _("no")
        if isinstance(item, datetime):
            return format_time(item)
        if isinstance(item, float) and fld is not None and fld.kind == "ratio":
            return f"{item:.2%}" if item <= 1 else f"{item:g}%"
        if isinstance(item, str | int | float):
            return options.get(str(item), str(item))
        return str(item)

    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return format_names((one(i) for i in items), _.locale)
    return one(value)


# ----------------------------------------------------------------------------- templates


_LOADER = PackageLoader("tracker", "templates/site")


@cache
def _env(locale: str) -> Environment:
    """The site's templates in ``locale``: the desk's environment, with block tags trimmed.

    Markdown and YAML are not escaped: every ticket text is made inert before it gets here.
    """
    env = environment(locale, _LOADER).overlay(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters = {**env.filters, "yaml": _yaml_scalar}  # the overlay's own, not the base's
    return env


def _yaml_scalar(value: Any) -> str:
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000)
    return text.removesuffix("\n...\n").rstrip("\n")


def _render(site: _Site, template: str, /, **context: Any) -> str:
    text = _env(site.locale).get_template(template).render(**context)
    return text.rstrip("\n") + "\n"


def _front_matter(_: Translator, data: Mapping[str, Any]) -> str:
    body = yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=10_000)
    notice = _("written by tracker publish; edits are overwritten, delete this line to keep the file")
    return f"---\n# {GENERATED_MARK} — {notice}\n{body}---\n"


def _page(_: Translator, meta: Mapping[str, Any], body: str) -> str:
    return _front_matter(_, meta) + "\n" + body.lstrip("\n").rstrip("\n") + "\n"


# ----------------------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class _Entry:
    """One knowledge-base article as the listings see it."""

    path: str
    title: str
    category: str
    updated: str
    number: int | None


def _article_path(number: int) -> str:
    return f"kb/{number}.md"


def _incident_path(number: int) -> str:
    return f"incidents/{number}.md"


def _category_path(cid: str) -> str:
    return f"kb/category/{_slug(cid) if cid else 'uncategorized'}.md"


def _article(site: _Site, v: TicketView) -> tuple[str, _Entry]:
    _ = site._
    related_views = [site.by_number[n] for n in site.related(v) if n in site.by_number]
    clean = site.clean(v, *related_views)
    path = _article_path(v.number)
    title = clean.title(v.title) or f"#{v.number}"
    updated = site.date(site.last_updated(v))
    related = []
    for n in site.related(v):
        rv = site.by_number.get(n)
        label = clean.inline(rv.title) if rv and site.is_public(rv) else ""
        link = _link(path, _article_path(n)) if n in site.article_numbers else None
        related.append({"number": n, "title": label, "link": link})
    body = _render(
        site,
        "article.md.j2",
        title=clean.inline(v.title) or f"&#35;{v.number}",
        number=v.number,
        category=inert_inline(site.category_label(site.category_id(v))),
        category_link=_link(path, _category_path(site.category_id(v))),
        type=inert_inline(site.type_label(v.type) or ""),
        symptoms=site.symptoms(v, clean),
        cause=clean.block(v.texts.get("root-cause")),
        resolution=clean.block(v.texts.get("resolve")),
        workaround=clean.block(v.texts.get("plan")),
        related=related,
        updated=updated,
    )
    meta = {"title": title, "tags": site.tags(v), "category": v.category or "", "ticket": v.number}
    entry = _Entry(path, title, site.category_id(v), updated, v.number)
    return _page(_, meta, body), entry


_KB_INDEX_PAGES = frozenset({"kb/index.md", "kb/tags.md", "kb/known-problems.md"})


def _hand_entries(site: _Site, hand: Sequence[HandPage]) -> list[_Entry]:
    by_label: dict[str, str] = {}
    for c in site.cfg.categories:
        by_label[c.id] = c.id
        by_label[c.name] = c.id
        if c.name_en:
            by_label[c.name_en] = c.id
    out = []
    for page in hand:
        if not page.path.startswith("kb/") or page.path in _KB_INDEX_PAGES:
            continue
        if page.path.startswith("kb/category/"):
            continue
        name = posixpath.splitext(posixpath.basename(page.path))[0]
        title = safe_title(page.title or name)
        cid = by_label.get((page.category or "").strip(), "")
        out.append(_Entry(page.path, title, cid, "", None))
    return out


def _category_order(site: _Site, entries: Sequence[_Entry]) -> list[str]:
    present = {e.category for e in entries}
    order = [c.id for c in site.cfg.categories if c.id in present]
    order += sorted(c for c in present if c and c not in order)
    if "" in present:
        order.append("")
    return order


def _kb_pages(site: _Site, entries: Sequence[_Entry]) -> dict[str, str]:
    _ = site._
    pages: dict[str, str] = {}
    cats = _category_order(site, entries)
    groups = []
    for cid in cats:
        members = sorted(
            (e for e in entries if e.category == cid),
            key=lambda e: (e.number is None, -(e.number or 0), e.title, e.path),
        )
        cpath = _category_path(cid)
        label = site.category_label(cid)
        pages[cpath] = _page(
            _,
            {"title": label},
            _render(
                site,
                "kb_category.md.j2",
                title=inert_inline(label),
                articles=[
                    {
                        "title": inert_inline(e.title),
                        "link": _link(cpath, e.path),
                        "updated": e.updated,
                    }
                    for e in members
                ],
            ),
        )
        groups.append(
            {
                "label": inert_inline(label),
                "link": _link("kb/index.md", cpath),
                "count": len(members),
            }
        )
    latest = sorted(
        (e for e in entries if e.number is not None),
        key=lambda e: (e.updated, e.number or 0),
        reverse=True,
    )[:10]
    pages["kb/index.md"] = _page(
        _,
        {"title": _("Knowledge base")},
        _render(
            site,
            "kb_index.md.j2",
            groups=groups,
            latest=[
                {
                    "title": inert_inline(e.title),
                    "link": _link("kb/index.md", e.path),
                    "updated": e.updated,
                }
                for e in latest
            ],
            tags_link="tags.md",
            known_link="known-problems.md",
        ),
    )
    pages["kb/tags.md"] = _page(_, {"title": _("Tags")}, _render(site, "kb_tags.md.j2"))
    return pages


def _status_of(site: _Site, v: TicketView) -> str:
    _ = site._
    if resolved_time(v) is not None:
        return _("solved")
    if v.texts.get("plan", "").strip():
        return _("workaround available")
    if v.texts.get("root-cause", "").strip():
        return _("cause found")
    return _("investigating")


def _is_problem(v: TicketView) -> bool:
    """Incidents, and tickets staff marked for the knowledge base (staff choose what is public)."""
    return v.is_incident or v.kb


def _known_problems(site: _Site) -> tuple[str, int]:
    _ = site._
    path = "kb/known-problems.md"
    horizon = site.now - timedelta(days=RECENT_DAYS)
    open_items, solved_items = [], []
    for v in site.views:
        if not _is_problem(v):
            continue
        resolved = resolved_time(v)
        if resolved is not None and not (horizon <= resolved <= site.now):
            continue
        members = site.member_views(v) if v.is_incident else []
        clean = site.clean(v, *members)
        item = {
            "number": v.number,
            "title": clean.inline(v.title) or f"&#35;{v.number}",
            "grade": site.grade_label(v.final_grade or v.grade),
            "status": _status_of(site, v),
            "since": site.time(v.opened_at),
            "resolved": site.time(resolved),
            "workaround": clean.block(v.texts.get("plan")),
            "wording": clean.block(v.texts.get("wording") or v.wording),
            "article": _link(path, _article_path(v.number)) if v.number in site.article_numbers else None,
            "report": _link(path, _incident_path(v.number)) if site.needs_report(v) else None,
            "sort": (-site.cfg.grade_rank.get(v.grade or "", 0), v.opened_at, v.number),
        }
        (open_items if resolved is None else solved_items).append(item)
    open_items.sort(key=lambda i: i["sort"])
    solved_items.sort(key=lambda i: (i["resolved"], i["number"]), reverse=True)
    body = _render(site, "known_problems.md.j2", open=open_items, solved=solved_items)
    return _page(_, {"title": _("Known problems")}, body), len(open_items)


def _updates(site: _Site, v: TicketView, clean: _Clean) -> list[dict[str, str]]:
    ups = sorted((c for c in v.commands if c.name == "update"), key=lambda c: (c.at, c.comment_id))
    return [{"at": site.time(c.at), "text": clean.block(_command_text(c))} for c in ups]


def _scope(site: _Site, v: TicketView) -> tuple[int, str]:
    members = site.member_views(v)
    cats = []
    for cid in [site.category_id(m) for m in members] + [site.category_id(v)]:
        if cid and cid not in cats:
            cats.append(cid)
    order = {c.id: i for i, c in enumerate(site.cfg.categories)}
    cats.sort(key=lambda c: (order.get(c, len(order)), c))
    return len(v.members), site.join(inert_inline(site.category_label(c)) for c in cats)


def _incident_pages(site: _Site) -> tuple[dict[str, str], int, int, list[datetime]]:
    _ = site._
    pages: dict[str, str] = {}
    horizon = site.now - timedelta(days=RECENT_DAYS)
    incidents = [v for v in site.views if v.is_incident]
    open_items, recent_items = [], []
    stamps: list[datetime] = []
    for v in incidents:
        stamps.append(site.last_updated(v))
        members = site.member_views(v)
        clean = site.clean(v, *members)
        resolved = resolved_time(v)
        n_members, categories = _scope(site, v)
        needs = site.needs_report(v)
        state, due, _clock = site.report_state(v) if needs else ("none", None, None)
        report_link = _link("incidents/index.md", _incident_path(v.number)) if needs else None
        item = {
            "number": v.number,
            "title": clean.inline(v.title) or f"&#35;{v.number}",
            "grade": site.grade_label(v.grade),
            "final_grade": site.grade_label(v.final_grade or v.grade),
            "members": n_members,
            "categories": categories,
            "started": site.time(v.opened_at),
            "recovered": site.time(resolved),
            "ttr": site.span((resolved - v.opened_at).total_seconds()) if resolved else "",
            "wording": clean.block(v.texts.get("wording") or v.wording),
            "updates": _updates(site, v, clean),
            "report_link": report_link,
            "report_state": state,
            "due": site.time(due) if due else "",
            "rank": site.cfg.grade_rank.get(v.grade or "", 0),
        }
        if resolved is None:
            open_items.append(item)
        elif horizon <= resolved <= site.now:
            recent_items.append((resolved, item))
        if site.needs_report(v):
            pages[_incident_path(v.number)] = _incident_report(site, v, clean, members)
    open_items.sort(key=lambda i: (-i["rank"], i["started"], i["number"]))
    recent_items.sort(key=lambda p: (p[0], p[1]["number"]), reverse=True)
    recent = [i for _, i in recent_items]
    as_of = site.time(max(stamps)) if stamps else None
    pages["incidents/index.md"] = _page(
        _,
        {"title": _("Incidents")},
        _render(
            site,
            "incidents_index.md.j2",
            open=open_items,
            recent=recent,
            as_of=as_of,
            days=RECENT_DAYS,
        ),
    )
    return pages, len(pages) - 1, len(open_items), stamps


def _incident_report(site: _Site, v: TicketView, clean: _Clean, members: Sequence[TicketView]) -> str:
    _ = site._
    path = _incident_path(v.number)
    resolved = resolved_time(v)
    state, due, clock = site.report_state(v)
    late = site.span((site.now - due).total_seconds()) if state == "overdue" and due else ""
    n_members, categories = _scope(site, v)
    impact_lines = [clean.block(v.texts.get("impact"))] if v.texts.get("impact") else []
    body = _render(
        site,
        "incident_report.md.j2",
        title=clean.inline(v.title) or f"&#35;{v.number}",
        number=v.number,
        grade=site.grade_label(v.grade),
        final_grade=site.grade_label(v.final_grade or v.grade),
        started=site.time(v.opened_at),
        recovered=site.time(resolved) if resolved else _("ongoing"),
        ttr=site.span((resolved - v.opened_at).total_seconds()) if resolved else "",
        members=n_members,
        categories=categories,
        member_list=[
            {
                "number": m.number,
                "title": clean.inline(m.title) if site.is_public(m) else "",
                "link": _link(path, _article_path(m.number)) if m.number in site.article_numbers else None,
            }
            for m in members
        ],
        impact=impact_lines,
        cause=clean.block(v.texts.get("root-cause")),
        fix=clean.block(v.texts.get("resolve")),
        measures=clean.block(v.texts.get("report")),
        wording=clean.block(v.texts.get("wording") or v.wording),
        updates=_updates(site, v, clean),
        state=state,
        due=site.time(due) if due else "",
        late=late,
        checklist=[inert_inline(item) for item in (clock.checklist if clock else ())],
        resolved=resolved is not None,
    )
    title = clean.title(v.title) or f"#{v.number}"
    return _page(_, {"title": _("Post-incident report") + f" · {title}", "ticket": v.number}, body)


# -- reports


def _load_reports() -> tuple[Any | None, str | None]:
    """The reports module, or None and a note key (it is written separately and may be absent)."""
    try:
        module = importlib.import_module("tracker.reports")
    except ModuleNotFoundError as exc:
        if exc.name in ("tracker.reports", "tracker.charts"):
            return None, NO_REPORTS
        raise
    needed = ("report_periods", "weekly_report_markdown", "monthly_report_markdown")
    missing = [n for n in needed if not callable(getattr(module, n, None))]
    if missing:
        return None, NO_REPORTS
    return module, None


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
    text = markdown.lstrip("\n")
    match = _FRONT_RE.match(text)
    if match:
        try:
            meta = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            meta = None
        if isinstance(meta, dict) and isinstance(meta.get("title"), str):
            title = safe_title(meta["title"]) or title
        text = text[match.end() :]
    text = text.strip("\n")
    first = text.lstrip().split("\n", 1)[0]
    if not first.startswith("# "):
        text = f"# {inert_inline(title)}\n\n{text}"
    return _page(_, {"title": title}, text)


def _report_pages(site: _Site, views: Sequence[TicketView], reports: Any | None) -> tuple[dict[str, str], int, int]:
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
                    "link": _link("reports/index.md", _monthly_path(y, m)),
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
                    "link": _link("reports/index.md", _weekly_path(y, w)),
                }
            )
        label = _("%(year)s", year=year)
        archive.append({"year": label, "months": month_rows, "weeks": week_rows})
    pages["reports/index.md"] = _page(_, {"title": _("Reports")}, _render(site, "reports_index.md.j2", archive=archive))
    return pages, len(weeks), len(months)


# -- site config and home


def _hand_nav(hand: Sequence[HandPage]) -> list[Any]:
    """Hand-written pages outside the generated folders, in path order."""
    top: list[Any] = []
    folders: dict[str, list[str]] = {}
    for page in sorted(hand, key=lambda p: p.path):
        if page.path == "index.md" or page.path.split("/", 1)[0] in GENERATED_DIRS:
            continue
        if "/" in page.path:
            folders.setdefault(page.path.split("/", 1)[0], []).append(page.path)
        else:
            top.append(page.path)
    for name in sorted(folders):
        paths = sorted(folders[name], key=lambda p: (not p.endswith("/index.md"), p))
        top.append({name: paths})
    return top


def _mkdocs_yml(
    site: _Site, docs_dir_name: str, categories: Sequence[tuple[str, str]], hand: Sequence[HandPage]
) -> str:
    _ = site._
    kb_nav: list[Any] = [
        "kb/index.md",
        {_("Known problems"): "kb/known-problems.md"},
        {_("Tags"): "kb/tags.md"},
    ]
    if categories:
        kb_nav.append({_("Categories"): [{label: path} for label, path in categories]})
    nav: list[Any] = [
        {_("Home"): "index.md"},
        {_("Knowledge base"): kb_nav},
        {_("Incidents"): ["incidents/index.md"]},
        {_("Reports"): ["reports/index.md"]},
        *_hand_nav(hand),
    ]
    nav_yaml = yaml.safe_dump({"nav": nav}, allow_unicode=True, sort_keys=False, width=10_000)
    pub = site.cfg.publishing
    name = pub.site_name_en if site.locale == "en" and pub.site_name_en else pub.site_name
    return _render(
        site,
        "mkdocs.yml.j2",
        mark=GENERATED_MARK,
        site_name=safe_title(name),
        docs_dir=docs_dir_name,
        language=site.locale,
        nav=nav_yaml.rstrip("\n"),
        generated_dirs=GENERATED_DIRS,
    )


def render_site(
    views: Sequence[TicketView],
    cfg: Config,
    now: datetime,
    *,
    hand: Sequence[HandPage] = (),
    docs_dir_name: str = "docs",
    reports: Any | None = None,
    reports_note: str | None = None,
) -> SiteFiles:
    """Every generated page and the ``mkdocs.yml`` text for these views (pure).

    ``hand`` lists the hand-written pages of the docs folder (their KB articles are listed
    with the generated ones; other pages join the navigation). ``reports`` is the module
    providing the report functions, or None.
    """
    site = _Site(views, cfg, now)
    _ = site._
    pages: dict[str, str] = {}
    entries: list[_Entry] = []
    for v in site.article_views:
        text, entry = _article(site, v)
        pages[entry.path] = text
        entries.append(entry)
    hand_entries = _hand_entries(site, hand)
    entries.extend(hand_entries)
    pages.update(_kb_pages(site, entries))
    known, n_known = _known_problems(site)
    pages["kb/known-problems.md"] = known
    incident_pages, n_pages, n_open, _stamps = _incident_pages(site)
    pages.update(incident_pages)
    report_pages, n_weeks, n_months = _report_pages(site, site.views, reports)
    pages.update(report_pages)
    pub = cfg.publishing
    name = pub.site_name_en if site.locale == "en" and pub.site_name_en else pub.site_name
    latest_week = max((p for p in report_pages if p.startswith("reports/weekly/")), default=None)
    latest_month = max((p for p in report_pages if p.startswith("reports/monthly/")), default=None)
    pages["index.md"] = _page(
        _,
        {"title": safe_title(name)},
        _render(
            site,
            "home.md.j2",
            name=inert_inline(name),
            articles=len(entries),
            known=n_known,
            open_incidents=n_open,
            weeks=n_weeks,
            months=n_months,
            latest_week=latest_week,
            latest_month=latest_month,
        ),
    )
    categories = [(site.category_label(cid), _category_path(cid)) for cid in _category_order(site, entries)]
    notes = (_(reports_note),) if reports_note else ()
    return SiteFiles(
        pages=dict(sorted(pages.items())),
        mkdocs_yml=_mkdocs_yml(site, docs_dir_name, categories, hand),
        articles=len(site.article_views),
        hand_articles=len(hand_entries),
        incident_pages=n_pages,
        open_incidents=n_open,
        known_problems=n_known,
        weekly_reports=n_weeks,
        monthly_reports=n_months,
        notes=notes,
    )


# ----------------------------------------------------------------------------- I/O


def _head(path: Path, size: int = 512) -> str:
    with path.open("rb") as fh:
        return fh.read(size).decode("utf-8", errors="replace")


_FRONT_RE = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*\n", re.DOTALL)


def _hand_page(path: Path, rel: str) -> HandPage:
    text = path.read_text(encoding="utf-8", errors="replace")
    meta: dict[str, Any] = {}
    match = _FRONT_RE.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict):
            meta = loaded
        text = text[match.end() :]
    title = meta.get("title")
    if not isinstance(title, str):
        title = next((ln[2:].strip() for ln in text.splitlines() if ln.startswith("# ")), None)
    category = meta.get("category")
    tags = meta.get("tags")
    return HandPage(
        path=rel,
        title=title,
        category=str(category) if isinstance(category, str | int) else None,
        tags=tuple(str(x) for x in tags) if isinstance(tags, list) else (),
    )


def _markdown_files(docs_dir: Path) -> list[tuple[str, Path]]:
    out = []
    for root, dirs, files in os.walk(docs_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".md"):
                path = Path(root) / name
                out.append((path.relative_to(docs_dir).as_posix(), path))
    return out


def scan_hand_pages(docs_dir: Path) -> tuple[list[HandPage], set[str]]:
    """Hand-written pages of the docs folder, and the paths of the generated ones."""
    hand: list[HandPage] = []
    generated: set[str] = set()
    if not docs_dir.is_dir():
        return hand, generated
    for rel, path in _markdown_files(docs_dir):
        if is_generated(_head(path)):
            generated.add(rel)
        else:
            hand.append(_hand_page(path, rel))
    return hand, generated


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
    reports: Any = "auto",
) -> PublishResult:
    """Write the site's generated pages into ``docs_dir`` and ``mkdocs.yml`` beside it.

    Hand-written pages are read (their KB articles are listed, other pages join the
    navigation) and left alone. ``reports="auto"`` imports :mod:`tracker.reports` if it
    is there; pass None to publish without reports.
    """
    _ = Translator(cfg.locale)
    docs_dir = Path(docs_dir)
    config_file = Path(config_file) if config_file else docs_dir.parent / "mkdocs.yml"
    if reports == "auto":
        module, note = _load_reports()
    else:
        module, note = reports, None
    hand, generated_before = scan_hand_pages(docs_dir)
    docs_name = Path(os.path.relpath(docs_dir.resolve(), config_file.parent.resolve())).as_posix()
    site = render_site(views, cfg, now, hand=hand, docs_dir_name=docs_name, reports=module, reports_note=note)
    hand_paths = {p.path for p in hand}
    written, unchanged, kept = [], [], []
    notes = list(site.notes)
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
    if config_file.exists() and not is_generated(_head(config_file)):
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


def run_mkdocs(config_file: Path, site_dir: Path | None = None) -> None:
    """``mkdocs build --strict`` in a child Python process; SiteBuildError when it fails.

    A separate process keeps MkDocs' logging, plugins and jieba's global dictionary out of
    the caller. Material's end-of-life banner is switched off; nothing is fetched.
    """
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"]
    cmd += ["-f", str(Path(config_file).resolve())]
    if site_dir is not None:
        cmd += ["-d", str(Path(site_dir).resolve())]
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        detail = "\n".join(lines[-30:])
        raise SiteBuildError(f"mkdocs build --strict failed:\n{detail}")


def build_site(store: Any, cfg: Config, where: Path, now: datetime, *, build: bool = True) -> PublishResult:
    """Publish a store's tickets into ``where/docs`` + ``where/mkdocs.yml``; build ``where/site``.

    ``store`` is a :class:`tracker.store.Store` (anything with ``tickets()``).
    """
    from tracker.engine import assess_all

    where = Path(where)
    views = assess_all(store.tickets(), cfg, now)
    result = publish(views, cfg, where / "docs", now, config_file=where / "mkdocs.yml")
    if build:
        run_mkdocs(where / "mkdocs.yml", where / "site")
    return result
