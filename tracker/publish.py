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
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from tracker.config import Config, FormField
from tracker.errors import TrackerError
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

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "notice": "由 tracker publish 生成，手工修改会被覆盖；删除本行即改为手工维护",
        "home": "首页",
        "kb": "知识库",
        "kb_intro": "已解决问题的原因与解决方法，按分类和标签浏览，也可以直接搜索。",
        "tags": "标签",
        "tags_intro": "按标签浏览知识库文章。",
        "known": "已知问题",
        "known_intro": "正在处理的问题和事件及其当前状态；问题解决后会写入知识库并在此更新状态。",
        "known_open": "处理中",
        "known_resolved": "近期已解决",
        "incidents": "事件",
        "reports": "报告",
        "reports_intro": "服务台的周报和月报，按日期归档。",
        "no_reports": "暂无报告。",
        "weekly": "周报",
        "monthly": "月报",
        "weekly_title": "{year} 年第 {week} 周周报",
        "monthly_title": "{year} 年 {month} 月月报",
        "year": "{year} 年",
        "month": "{month} 月",
        "categories": "分类",
        "uncategorized": "未分类",
        "articles_count": "{n} 篇",
        "no_articles": "暂无文章。",
        "latest": "最近更新",
        "symptoms": "症状",
        "cause": "原因",
        "resolution": "解决方法",
        "workaround": "临时解决方法",
        "related": "相关工单",
        "last_updated": "最后更新",
        "category": "分类",
        "type": "类型",
        "ticket": "工单",
        "nothing": "（暂无）",
        "status": "状态",
        "st_investigating": "调查中",
        "st_cause": "已查明原因",
        "st_workaround": "有临时解决方法",
        "st_resolved": "已解决",
        "open_incidents": "进行中的事件",
        "no_open_incidents": "当前没有进行中的事件。",
        "recent_incidents": "近期已恢复的事件",
        "no_recent_incidents": "近 {days} 天没有已恢复的事件。",
        "grade": "级别",
        "final_grade": "最终级别",
        "scope": "影响范围",
        "scope_text": "{n} 张关联工单",
        "started": "开始时间",
        "recovered": "恢复时间",
        "time_to_recover": "恢复用时",
        "time_to_repair": "修复用时",
        "wording": "对外说明",
        "updates": "进展",
        "report": "事后报告",
        "report_page": "查看报告",
        "report_missing": "待提交",
        "report_overdue": "已逾期",
        "report_done": "已提交",
        "report_overdue_note": "事后报告应在 {due} 前提交，现已逾期 {late}。",
        "report_pending_note": "事后报告尚未提交，应在 {due} 前提交。",
        "report_after_recovery": "事件恢复后 24 小时内提交事后报告。",
        "report_must_contain": "报告须包含：",
        "impact": "影响",
        "fix": "修复",
        "measures": "改进措施",
        "overview": "概况",
        "as_of": "数据截至 {time}。",
        "ongoing": "进行中",
        "home_intro": "欢迎使用{name}。",
        "home_kb": "知识库：{n} 篇文章",
        "home_known": "已知问题：{n} 个正在处理",
        "home_incidents": "事件：{n} 个进行中",
        "home_reports": "报告：{w} 份周报、{m} 份月报",
        "list_sep": "、",
        "colon": "：",
        "note_no_reports": "tracker.reports 不可用：未生成周报和月报",
        "note_config_kept": "{file} 没有 {mark} 标记行：保持原样",
        "note_hand_kept": "{file} 是手写页面：未用生成的页面替换",
        "item": "项目",
        "value": "内容",
        "yes": "是",
        "no": "否",
    },
    "en": {
        "notice": "written by tracker publish; edits are overwritten, delete this line to keep the file",
        "home": "Home",
        "kb": "Knowledge base",
        "kb_intro": "Causes and fixes of solved problems: browse by category or tag, or search.",
        "tags": "Tags",
        "tags_intro": "Knowledge base articles by tag.",
        "known": "Known problems",
        "known_intro": "Problems and incidents being worked on, with their current status. "
        "A problem enters the knowledge base and its status here is updated when it is solved.",
        "known_open": "Open",
        "known_resolved": "Recently solved",
        "incidents": "Incidents",
        "reports": "Reports",
        "reports_intro": "The desk's weekly and monthly reports, archived by date.",
        "no_reports": "No reports yet.",
        "weekly": "Weekly reports",
        "monthly": "Monthly reports",
        "weekly_title": "Weekly report {year}-W{week:02d}",
        "monthly_title": "Monthly report {year}-{month:02d}",
        "year": "{year}",
        "month": "{month_name}",
        "categories": "Categories",
        "uncategorized": "Uncategorized",
        "articles_count": "{n} articles",
        "no_articles": "No articles yet.",
        "latest": "Recently updated",
        "symptoms": "Symptoms",
        "cause": "Cause",
        "resolution": "Resolution",
        "workaround": "Workaround",
        "related": "Related tickets",
        "last_updated": "Last updated",
        "category": "Category",
        "type": "Type",
        "ticket": "Ticket",
        "nothing": "(none yet)",
        "status": "Status",
        "st_investigating": "investigating",
        "st_cause": "cause found",
        "st_workaround": "workaround available",
        "st_resolved": "solved",
        "open_incidents": "Open incidents",
        "no_open_incidents": "No incident is open.",
        "recent_incidents": "Recently recovered",
        "no_recent_incidents": "No incident recovered in the last {days} days.",
        "grade": "Grade",
        "final_grade": "Final grade",
        "scope": "Scope",
        "scope_text": "{n} linked tickets",
        "started": "Started",
        "recovered": "Recovered",
        "time_to_recover": "Time to recover",
        "time_to_repair": "Time to repair",
        "wording": "Customer notice",
        "updates": "Updates",
        "report": "Post-incident report",
        "report_page": "read the report",
        "report_missing": "pending",
        "report_overdue": "overdue",
        "report_done": "submitted",
        "report_overdue_note": "The post-incident report was due by {due} and is {late} overdue.",
        "report_pending_note": "The post-incident report is not in yet; it is due by {due}.",
        "report_after_recovery": "A post-incident report is due within 24 hours of recovery.",
        "report_must_contain": "The report must cover:",
        "impact": "Impact",
        "fix": "Fix",
        "measures": "Measures",
        "overview": "Overview",
        "as_of": "Data as of {time}.",
        "ongoing": "ongoing",
        "home_intro": "Welcome to {name}.",
        "home_kb": "Knowledge base: {n} articles",
        "home_known": "Known problems: {n} open",
        "home_incidents": "Incidents: {n} open",
        "home_reports": "Reports: {w} weekly, {m} monthly",
        "list_sep": ", ",
        "colon": ": ",
        "note_no_reports": "tracker.reports is not available: no weekly or monthly reports written",
        "note_config_kept": "{file} has no {mark} line: left as it is",
        "note_hand_kept": "{file} is hand-written: not replaced by the generated page",
        "item": "Item",
        "value": "Value",
        "yes": "yes",
        "no": "no",
    },
}

_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


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

    def summary(self, locale: str = "zh") -> str:
        """Two lines for people: what was published, and what happened to the files."""
        text = SUMMARY[locale if locale in SUMMARY else "zh"]
        first = text["summary"].format(
            articles=self.articles,
            hand=self.hand_articles,
            known=self.known_problems,
            open=self.open_incidents,
            pages=self.incident_pages,
            weeks=self.weekly_reports,
            months=self.monthly_reports,
        )
        second = text["files"].format(
            written=len(self.written),
            unchanged=len(self.unchanged),
            removed=len(self.removed),
            kept=len(self.kept),
        )
        return f"{first}\n{second}"

    def __str__(self) -> str:
        return self.summary("en")


SUMMARY: dict[str, dict[str, str]] = {
    "zh": {
        "summary": "已发布：知识库文章 {articles} 篇（另有手写 {hand} 篇），已知问题 {known} 个，"
        "进行中事件 {open} 个，事后报告页 {pages} 个，周报 {weeks} 份，月报 {months} 份。",
        "files": "文件：写入 {written}，未变 {unchanged}，删除 {removed}，保留手写 {kept}。",
    },
    "en": {
        "summary": "Published: {articles} knowledge base articles ({hand} more hand-written), "
        "{known} known problems, {open} open incidents, {pages} post-incident report pages, "
        "{weeks} weekly and {months} monthly reports.",
        "files": "Files: {written} written, {unchanged} unchanged, {removed} removed, {kept} hand-written kept.",
    },
}


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
        self.t = MESSAGES[self.locale]
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
            return self.t["uncategorized"]
        c = self.categories.get(cid)
        return safe_title(c.label(self.locale) if c else cid)

    def type_label(self, tid: str | None) -> str | None:
        if not tid:
            return None
        ty = self.types.get(tid)
        return safe_title(ty.label(self.locale) if ty else tid)

    def time(self, t: datetime | None) -> str:
        return t.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if t else "—"

    def date(self, t: datetime | None) -> str:
        return t.astimezone(self.tz).strftime("%Y-%m-%d") if t else "—"

    def span(self, seconds: float) -> str:
        return format_span(seconds, self.locale)

    def join(self, items: Iterable[str]) -> str:
        return self.t["list_sep"].join(items)

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
            shown = _fact_display(v.facts[fid], fld, self.locale, self.t)
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


def _fact_display(value: Any, fld: FormField | None, locale: str, t: Mapping[str, str]) -> str:
    options = {o.id: o.label(locale) for o in fld.options} if fld else {}

    def one(item: Any) -> str:
        if isinstance(item, bool):
            return t["yes"] if item else t["no"]
        if isinstance(item, datetime):
            return item.strftime("%Y-%m-%d %H:%M")
        if isinstance(item, float) and fld is not None and fld.kind == "ratio":
            return f"{item:.2%}" if item <= 1 else f"{item:g}%"
        if isinstance(item, str | int | float):
            return options.get(str(item), str(item))
        return str(item)

    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return t["list_sep"].join(one(i) for i in items)
    return one(value)


def format_span(seconds: float, locale: str) -> str:
    """A duration for people: ``1天2小时5分钟`` / ``1 d 2 h 5 min``."""
    minutes = max(0, round(seconds / 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    units = ("天", "小时", "分钟") if locale == "zh" else (" d", " h", " min")
    parts = [f"{n}{u}" for n, u in zip((days, hours, mins), units, strict=True) if n]
    if not parts:
        parts = [f"0{units[2]}"]
    return ("" if locale == "zh" else " ").join(parts)


# ----------------------------------------------------------------------------- templates


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("tracker", "templates/site"),
        autoescape=False,  # Markdown and YAML: every ticket text is made inert before it gets here
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["yaml"] = _yaml_scalar
    return env


def _yaml_scalar(value: Any) -> str:
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000)
    return text.removesuffix("\n...\n").rstrip("\n")


def _render(template: str, /, **context: Any) -> str:
    text = _env().get_template(template).render(**context)
    return text.rstrip("\n") + "\n"


def _front_matter(t: Mapping[str, str], data: Mapping[str, Any]) -> str:
    body = yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n# {GENERATED_MARK} — {t['notice']}\n{body}---\n"


def _page(t: Mapping[str, str], meta: Mapping[str, Any], body: str) -> str:
    return _front_matter(t, meta) + "\n" + body.lstrip("\n").rstrip("\n") + "\n"


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
    t = site.t
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
        "article.md.j2",
        t=t,
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
    return _page(t, meta, body), entry


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
    t = site.t
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
            t,
            {"title": label},
            _render(
                "kb_category.md.j2",
                t=t,
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
        t,
        {"title": t["kb"]},
        _render(
            "kb_index.md.j2",
            t=t,
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
    pages["kb/tags.md"] = _page(t, {"title": t["tags"]}, _render("kb_tags.md.j2", t=t))
    return pages


def _status_of(site: _Site, v: TicketView) -> str:
    t = site.t
    if resolved_time(v) is not None:
        return t["st_resolved"]
    if v.texts.get("plan", "").strip():
        return t["st_workaround"]
    if v.texts.get("root-cause", "").strip():
        return t["st_cause"]
    return t["st_investigating"]


def _is_problem(v: TicketView) -> bool:
    """Incidents, and tickets staff marked for the knowledge base (staff choose what is public)."""
    return v.is_incident or v.kb


class _ProblemItem(TypedDict):
    """One row of the known-problems page."""

    number: int
    title: str
    grade: str
    status: str
    since: str
    resolved: str
    workaround: str
    wording: str
    article: str | None
    report: str | None
    sort: tuple[int, datetime, int]


def _known_problems(site: _Site) -> tuple[str, int]:
    t = site.t
    path = "kb/known-problems.md"
    horizon = site.now - timedelta(days=RECENT_DAYS)
    open_items: list[_ProblemItem] = []
    solved_items: list[_ProblemItem] = []
    for v in site.views:
        if not _is_problem(v):
            continue
        resolved = resolved_time(v)
        if resolved is not None and not (horizon <= resolved <= site.now):
            continue
        members = site.member_views(v) if v.is_incident else []
        clean = site.clean(v, *members)
        item: _ProblemItem = {
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
    body = _render("known_problems.md.j2", t=t, open=open_items, solved=solved_items)
    return _page(t, {"title": t["known"]}, body), len(open_items)


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


class _IncidentItem(TypedDict):
    """One row of the incidents index."""

    number: int
    title: str
    grade: str
    final_grade: str
    members: int
    categories: str
    started: str
    recovered: str
    ttr: str
    wording: str
    updates: list[dict[str, str]]
    report_link: str | None
    report_state: str
    due: str
    rank: int


def _incident_pages(site: _Site) -> tuple[dict[str, str], int, int, list[datetime]]:
    t = site.t
    pages: dict[str, str] = {}
    horizon = site.now - timedelta(days=RECENT_DAYS)
    incidents = [v for v in site.views if v.is_incident]
    open_items: list[_IncidentItem] = []
    recent_items: list[tuple[datetime, _IncidentItem]] = []
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
        item: _IncidentItem = {
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
        t,
        {"title": t["incidents"]},
        _render(
            "incidents_index.md.j2",
            t=t,
            open=open_items,
            recent=recent,
            as_of=as_of,
            days=RECENT_DAYS,
        ),
    )
    return pages, len(pages) - 1, len(open_items), stamps


def _incident_report(site: _Site, v: TicketView, clean: _Clean, members: Sequence[TicketView]) -> str:
    t = site.t
    path = _incident_path(v.number)
    resolved = resolved_time(v)
    state, due, clock = site.report_state(v)
    late = site.span((site.now - due).total_seconds()) if state == "overdue" and due else ""
    n_members, categories = _scope(site, v)
    impact_lines = [clean.block(v.texts.get("impact"))] if v.texts.get("impact") else []
    body = _render(
        "incident_report.md.j2",
        t=t,
        title=clean.inline(v.title) or f"&#35;{v.number}",
        number=v.number,
        grade=site.grade_label(v.grade),
        final_grade=site.grade_label(v.final_grade or v.grade),
        started=site.time(v.opened_at),
        recovered=site.time(resolved) if resolved else t["ongoing"],
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
    return _page(t, {"title": f"{t['report']} · {title}", "ticket": v.number}, body)


# -- reports


def _load_reports() -> tuple[Any | None, str | None]:
    """The reports module, or None and a note key (it is written separately and may be absent)."""
    try:
        module = importlib.import_module("tracker.report_pages")
    except ModuleNotFoundError as exc:
        if exc.name in ("tracker.report_pages", "tracker.charts"):
            return None, "no_reports"
        raise
    needed = ("report_periods", "weekly_report_markdown", "monthly_report_markdown")
    missing = [n for n in needed if not callable(getattr(module, n, None))]
    if missing:
        return None, "no_reports"
    return module, None


def _weekly_path(year: int, week: int) -> str:
    return f"reports/weekly/{year}-W{week:02d}.md"


def _monthly_path(year: int, month: int) -> str:
    return f"reports/monthly/{year}-{month:02d}.md"


def _report_page(t: Mapping[str, str], title: str, markdown: str) -> str:
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
    return _page(t, {"title": title}, text)


def _report_pages(site: _Site, views: Sequence[TicketView], reports: Any | None) -> tuple[dict[str, str], int, int]:
    t = site.t
    pages: dict[str, str] = {}
    weeks: list[tuple[int, int]] = []
    months: list[tuple[int, int]] = []
    if reports is not None:
        raw_weeks, raw_months = reports.report_periods(views, site.cfg)
        weeks = sorted({(int(y), int(w)) for y, w in raw_weeks})
        months = sorted({(int(y), int(m)) for y, m in raw_months})
        for y, w in weeks:
            title = t["weekly_title"].format(year=y, week=w)
            md = reports.weekly_report_markdown(views, site.cfg, (y, w), site.now)
            pages[_weekly_path(y, w)] = _report_page(t, title, md)
        for y, m in months:
            title = t["monthly_title"].format(year=y, month=m)
            md = reports.monthly_report_markdown(views, site.cfg, (y, m), site.now)
            pages[_monthly_path(y, m)] = _report_page(t, title, md)
    years = sorted({y for y, _ in weeks} | {y for y, _ in months}, reverse=True)
    archive = []
    for year in years:
        month_rows = []
        for y, m in sorted((p for p in months if p[0] == year), reverse=True):
            month_rows.append(
                {
                    "label": t["month"].format(month=m, month_name=_MONTHS_EN[m - 1]),
                    "title": inert_inline(t["monthly_title"].format(year=y, month=m)),
                    "link": _link("reports/index.md", _monthly_path(y, m)),
                }
            )
        week_rows = []
        for y, w in sorted((p for p in weeks if p[0] == year), reverse=True):
            monday = datetime.fromisocalendar(y, w, 1).date()
            week_rows.append(
                {
                    "title": inert_inline(t["weekly_title"].format(year=y, week=w)),
                    "start": monday.isoformat(),
                    "end": (monday + timedelta(days=6)).isoformat(),
                    "link": _link("reports/index.md", _weekly_path(y, w)),
                }
            )
        label = t["year"].format(year=year)
        archive.append({"year": label, "months": month_rows, "weeks": week_rows})
    pages["reports/index.md"] = _page(t, {"title": t["reports"]}, _render("reports_index.md.j2", t=t, archive=archive))
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
    t = site.t
    kb_nav: list[Any] = [
        "kb/index.md",
        {t["known"]: "kb/known-problems.md"},
        {t["tags"]: "kb/tags.md"},
    ]
    if categories:
        kb_nav.append({t["categories"]: [{label: path} for label, path in categories]})
    nav: list[Any] = [
        {t["home"]: "index.md"},
        {t["kb"]: kb_nav},
        {t["incidents"]: ["incidents/index.md"]},
        {t["reports"]: ["reports/index.md"]},
        *_hand_nav(hand),
    ]
    nav_yaml = yaml.safe_dump({"nav": nav}, allow_unicode=True, sort_keys=False, width=10_000)
    pub = site.cfg.publishing
    name = pub.site_name_en if site.locale == "en" and pub.site_name_en else pub.site_name
    return _render(
        "mkdocs.yml.j2",
        t=t,
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
    t = site.t
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
    incident_pages, n_pages, n_open, _ = _incident_pages(site)
    pages.update(incident_pages)
    report_pages, n_weeks, n_months = _report_pages(site, site.views, reports)
    pages.update(report_pages)
    pub = cfg.publishing
    name = pub.site_name_en if site.locale == "en" and pub.site_name_en else pub.site_name
    latest_week = max((p for p in report_pages if p.startswith("reports/weekly/")), default=None)
    latest_month = max((p for p in report_pages if p.startswith("reports/monthly/")), default=None)
    pages["index.md"] = _page(
        t,
        {"title": safe_title(name)},
        _render(
            "home.md.j2",
            t=t,
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
    notes = (t["note_" + reports_note],) if reports_note else ()
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
        notes.append(MESSAGES[cfg.locale]["note_config_kept"].format(file=config_file.name, mark=GENERATED_MARK))
    else:
        _write_if_changed(config_file, site.mkdocs_yml)
    for rel in kept:
        notes.append(MESSAGES[cfg.locale]["note_hand_kept"].format(file=rel))
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

    ``store`` is a :class:`tracker.ledger.Store` (anything with ``tickets()``).
    """
    from tracker.engine import assess_all

    where = Path(where)
    views = assess_all(store.tickets(), cfg, now)
    result = publish(views, cfg, where / "docs", now, config_file=where / "mkdocs.yml")
    if build:
        run_mkdocs(where / "mkdocs.yml", where / "site")
    return result
