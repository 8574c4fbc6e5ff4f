"""The site's model: everything the page writers need, computed once from the views.

:class:`Site` holds the views and the config's lookups (grades, categories, private
fields) and answers the questions every page asks: a ticket's tags, related tickets,
report state, what may be shown. :class:`Clean` redacts and escapes the texts of one
ticket. Pages are rendered from ``templates/site/`` in the desk's locale (:func:`render`)
and wrapped in a marked front matter (:func:`page`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader

from tracker.commands import key_values
from tracker.config import FREE_TEXT, Config, FormField
from tracker.i18n import SOURCE_LOCALE, Translator, environment, format_names, format_span, format_time, pick
from tracker.redact import inert_inline, inert_markdown, plain_text, redact
from tracker.site_links import ticket_ref
from tracker.site_text import answer, symptom_fields, value_words
from tracker.views import ClockView, TicketView

GENERATED_MARK = "tracker:generated"
RECENT_DAYS = 30  # resolved incidents and problems stay listed this long
REPORT_GRACE = timedelta(hours=24)  # a post-incident report is due this long after recovery
GENERATED_DIRS = ("kb", "incidents", "reports")
_FRONT_RE = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*\n", re.DOTALL)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """A page's YAML front matter (empty when it has none or it is not a mapping) and the rest."""
    match = _FRONT_RE.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        meta = None
    return (meta if isinstance(meta, dict) else {}), text[match.end() :]


def local_name(name: str, name_en: str | None, locale: str) -> str:
    """A name the config gives in both languages, for ``locale`` (the rule of ``Named.label``)."""
    return name_en if name_en and pick(locale) == SOURCE_LOCALE else name


@dataclass(frozen=True, slots=True)
class HandPage:
    """A hand-written Markdown page found in the docs folder (path relative to it)."""

    path: str
    title: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()


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


def href(src: str, dst: str) -> str:
    """A relative Markdown link target from page ``src`` to page ``dst`` (both doc-relative)."""
    return posixpath.relpath(dst, posixpath.dirname(src) or ".")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")
    return slug or "x"


def article_path(number: int) -> str:
    return f"kb/{number}.md"


def incident_path(number: int) -> str:
    return f"incidents/{number}.md"


def category_path(cid: str) -> str:
    return f"kb/category/{_slug(cid) if cid else 'uncategorized'}.md"


@dataclass(frozen=True, slots=True)
class Clean:
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


class Site:
    """Everything the templates need, computed once from the views (pure)."""

    def __init__(self, views: Sequence[TicketView], cfg: Config, now: datetime) -> None:
        self.cfg = cfg
        self.now = now
        self.locale = cfg.locale
        self._ = Translator(self.locale)
        self.tz = cfg.tz
        self.views = sorted((approved(v) for v in views), key=lambda v: v.number)
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
        self.symptom_fields = symptom_fields(cfg)
        self.article_views = [v for v in self.views if v.kb and resolved_time(v) is not None]
        self.article_numbers = {v.number for v in self.article_views}
        pub = cfg.publishing
        self.name = local_name(pub.site_name, pub.site_name_en, self.locale)

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

    def clean(self, *views: TicketView) -> Clean:
        values: list[str] = []
        for v in views:
            values.extend(self.private_values(v))
        return Clean(self.locale, tuple(values))

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

    def ref(self, number: int) -> str:
        """A ticket number for a page: a link to its issue when the repository is known."""
        return ticket_ref(self.cfg, number)

    def span(self, seconds: float) -> str:
        return format_span(seconds, self.locale)

    def join(self, items: Iterable[str]) -> str:
        return format_names(items, self.locale)

    # -- ticket facts and texts

    def symptoms(self, v: TicketView, clean: Clean) -> list[tuple[str, str]]:
        """The symptoms the reporter gave (:func:`tracker.site_text.symptom_fields`), labelled."""
        form = self.cfg.form_by_id.get(v.form) if v.form else None
        order = [f for f in (form.fields if form else []) if f in self.symptom_fields]
        order += sorted(k for k in v.facts if k in self.symptom_fields and k not in order)
        out: list[tuple[str, str]] = []
        for fid in order:
            if fid in self.private_fields or fid not in v.facts:
                continue
            fld = self.cfg.fields[fid]
            if v.is_incident and fld.kind in FREE_TEXT:
                continue  # a member's own words, copied in: members appear by number only
            shown = _fact_display(v.facts[fid], fld, self._)
            if not shown.strip():
                continue
            out.append((inert_inline(fld.text(self.locale)), clean.block(shown)))
        return out

    def answer(self, v: TicketView, name: str, clean: Clean) -> str:
        """What staff wrote with the latest ``/name`` (the words around the command too, and
        its values in words), redacted and inert."""
        text, words = answer(v, (name,), self._)
        if not text and not words:
            text = v.texts.get(name, "")
            if key_values(text):
                text, words = "", value_words(text, self._)
        body = clean.block(text)
        if words:
            line = clean.inline(words)
            body = f"{body}\n\n{line}" if body else line
        return body

    def tags(self, v: TicketView) -> list[str]:
        """The ticket's category, type and own labels as tags; a label is ticket text (anyone
        with triage rights names it), so it is redacted like the rest."""
        exact, prefixes = self.system_labels
        clean = self.clean(v)
        tags: list[str] = []
        if v.category:
            tags.append(self.category_label(v.category))
        type_label = self.type_label(v.type)
        if type_label:
            tags.append(type_label)
        for label in sorted(v.labels):
            if label in exact or label.startswith(prefixes) or ":" in label:
                continue
            tags.append(clean.text(label))
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


def approved(v: TicketView) -> TicketView:
    """The ticket as staff approved it for the knowledge base: the title and answers recorded
    at the latest ``/kb``, not any later edit (see :mod:`tracker.kb_approval`)."""
    if v.kb_text is None:
        return v
    return replace(v, title=v.kb_text.title, facts=v.kb_text.facts)


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


def render(site: Site, template: str, /, **context: Any) -> str:
    text = _env(site.locale).get_template(template).render(ref=site.ref, **context)
    return text.rstrip("\n") + "\n"


def _front_matter(_: Translator, data: Mapping[str, Any]) -> str:
    body = yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=10_000)
    notice = _("written by tracker publish; edits are overwritten, delete this line to keep the file")
    return f"---\n# {GENERATED_MARK} — {notice}\n{body}---\n"


def wrap_page(_: Translator, meta: Mapping[str, Any], body: str) -> str:
    return _front_matter(_, meta) + "\n" + body.lstrip("\n").rstrip("\n") + "\n"
