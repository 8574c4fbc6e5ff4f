"""The knowledge base pages: one article per solved ticket, the category and tag
listings, and the known problems page."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tracker.redact import inert_inline
from tracker.site_model import (
    RECENT_DAYS,
    HandPage,
    Site,
    article_path,
    category_path,
    href,
    incident_path,
    render,
    resolved_time,
    safe_title,
    wrap_page,
)
from tracker.views import TicketView

ARTICLE_BOOST = 4  # search: an article ranks above a report that uses the same words


@dataclass(frozen=True, slots=True)
class Entry:
    """One knowledge-base article as the listings see it."""

    path: str
    title: str
    category: str
    updated: str
    number: int | None


def article(site: Site, v: TicketView) -> tuple[str, Entry]:
    _ = site._
    related_views = [site.by_number[n] for n in site.related(v) if n in site.by_number]
    clean = site.clean(v, *related_views)
    path = article_path(v.number)
    title = clean.title(v.title) or f"#{v.number}"
    updated = site.date(site.last_updated(v))
    related = []
    for n in site.related(v):
        rv = site.by_number.get(n)
        label = clean.inline(rv.title) if rv and site.is_public(rv) else ""
        link = href(path, article_path(n)) if n in site.article_numbers else None
        related.append({"number": n, "title": label, "link": link})
    body = render(
        site,
        "article.md.j2",
        title=clean.inline(v.title) or f"&#35;{v.number}",
        number=v.number,
        category=inert_inline(site.category_label(site.category_id(v))),
        category_link=href(path, category_path(site.category_id(v))),
        type=inert_inline(site.type_label(v.type) or ""),
        symptoms=site.symptoms(v, clean),
        cause=site.answer(v, "root-cause", clean),
        resolution=site.answer(v, "resolve", clean),
        workaround=site.answer(v, "plan", clean),
        related=related,
        updated=updated,
    )
    meta = {
        "title": title,
        "tags": site.tags(v),
        "category": v.category or "",
        "ticket": v.number,
        "search": {"boost": ARTICLE_BOOST},
    }
    entry = Entry(path, title, site.category_id(v), updated, v.number)
    return wrap_page(_, meta, body), entry


_KB_INDEX_PAGES = frozenset({"kb/index.md", "kb/tags.md", "kb/known-problems.md"})


def hand_entries(site: Site, hand: Sequence[HandPage]) -> list[Entry]:
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
        out.append(Entry(page.path, title, cid, "", None))
    return out


def category_order(site: Site, entries: Sequence[Entry]) -> list[str]:
    present = {e.category for e in entries}
    order = [c.id for c in site.cfg.categories if c.id in present]
    order += sorted(c for c in present if c and c not in order)
    if "" in present:
        order.append("")
    return order


def kb_pages(site: Site, entries: Sequence[Entry]) -> dict[str, str]:
    _ = site._
    pages: dict[str, str] = {}
    cats = category_order(site, entries)
    groups = []
    for cid in cats:
        members = sorted(
            (e for e in entries if e.category == cid),
            key=lambda e: (e.number is None, -(e.number or 0), e.title, e.path),
        )
        cpath = category_path(cid)
        label = site.category_label(cid)
        pages[cpath] = wrap_page(
            _,
            {"title": label},
            render(
                site,
                "kb_category.md.j2",
                title=inert_inline(label),
                articles=[
                    {
                        "title": inert_inline(e.title),
                        "link": href(cpath, e.path),
                        "updated": e.updated,
                    }
                    for e in members
                ],
            ),
        )
        groups.append(
            {
                "label": inert_inline(label),
                "link": href("kb/index.md", cpath),
                "count": len(members),
            }
        )
    latest = sorted(
        (e for e in entries if e.number is not None),
        key=lambda e: (e.updated, e.number or 0),
        reverse=True,
    )[:10]
    pages["kb/index.md"] = wrap_page(
        _,
        {"title": _("Knowledge base")},
        render(
            site,
            "kb_index.md.j2",
            groups=groups,
            latest=[
                {
                    "title": inert_inline(e.title),
                    "link": href("kb/index.md", e.path),
                    "updated": e.updated,
                }
                for e in latest
            ],
            tags_link="tags.md",
            known_link="known-problems.md",
        ),
    )
    pages["kb/tags.md"] = wrap_page(_, {"title": _("Tags")}, render(site, "kb_tags.md.j2"))
    return pages


def _status_of(site: Site, v: TicketView) -> str:
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


def known_problems(site: Site) -> tuple[str, int]:
    _ = site._
    path = "kb/known-problems.md"
    horizon = site.now - timedelta(days=RECENT_DAYS)
    open_items: list[dict[str, Any]] = []
    solved_items: list[dict[str, Any]] = []
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
            "article": href(path, article_path(v.number)) if v.number in site.article_numbers else None,
            "report": href(path, incident_path(v.number)) if site.needs_report(v) else None,
            "sort": (-site.cfg.grade_rank.get(v.grade or "", 0), v.opened_at, v.number),
        }
        (open_items if resolved is None else solved_items).append(item)
    open_items.sort(key=lambda i: i["sort"])
    solved_items.sort(key=lambda i: (i["resolved"], i["number"]), reverse=True)
    body = render(site, "known_problems.md.j2", open=open_items, solved=solved_items)
    return wrap_page(_, {"title": _("Known problems")}, body), len(open_items)
