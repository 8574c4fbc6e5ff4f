"""The incident pages: the list of open and recently recovered incidents, and one
post-incident report page for each incident of the top grades."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tracker.redact import inert_inline
from tracker.site_model import (
    RECENT_DAYS,
    Clean,
    Site,
    article_path,
    href,
    incident_path,
    render,
    resolved_time,
    wrap_page,
)
from tracker.views import Command, TicketView


def _command_text(c: Command) -> str:
    return "\n".join(p for p in (c.args.strip(), c.text.strip()) if p)


def _updates(site: Site, v: TicketView, clean: Clean) -> list[dict[str, str]]:
    ups = sorted((c for c in v.commands if c.name == "update"), key=lambda c: (c.at, c.comment_id))
    return [{"at": site.time(c.at), "text": clean.block(_command_text(c))} for c in ups]


def _scope(site: Site, v: TicketView) -> tuple[int, str]:
    members = site.member_views(v)
    cats = []
    for cid in [site.category_id(m) for m in members] + [site.category_id(v)]:
        if cid and cid not in cats:
            cats.append(cid)
    order = {c.id: i for i, c in enumerate(site.cfg.categories)}
    cats.sort(key=lambda c: (order.get(c, len(order)), c))
    return len(v.members), site.join(inert_inline(site.category_label(c)) for c in cats)


def incident_pages(site: Site) -> tuple[dict[str, str], int, int]:
    """The incidents page and each report page; how many report pages, and how many are open."""
    _ = site._
    pages: dict[str, str] = {}
    horizon = site.now - timedelta(days=RECENT_DAYS)
    incidents = [v for v in site.views if v.is_incident]
    open_items: list[dict[str, Any]] = []
    recent_items: list[tuple[datetime, dict[str, Any]]] = []
    stamps: list[datetime] = []
    for v in incidents:
        stamps.append(site.last_updated(v))
        members = site.member_views(v)
        clean = site.clean(v, *members)
        resolved = resolved_time(v)
        n_members, categories = _scope(site, v)
        needs = site.needs_report(v)
        state, due, _clock = site.report_state(v) if needs else ("none", None, None)
        report_link = href("incidents/index.md", incident_path(v.number)) if needs else None
        item: dict[str, Any] = {
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
            pages[incident_path(v.number)] = _incident_report(site, v, clean, members)
    open_items.sort(key=lambda i: (-i["rank"], i["started"], i["number"]))
    recent_items.sort(key=lambda p: (p[0], p[1]["number"]), reverse=True)
    recent = [item for _resolved, item in recent_items]
    as_of = site.time(max(stamps)) if stamps else None
    pages["incidents/index.md"] = wrap_page(
        _,
        {"title": _("Incidents")},
        render(
            site,
            "incidents_index.md.j2",
            open=open_items,
            recent=recent,
            as_of=as_of,
            built=site.time(site.now),
            days=RECENT_DAYS,
        ),
    )
    return pages, len(pages) - 1, len(open_items)


def _incident_report(site: Site, v: TicketView, clean: Clean, members: Sequence[TicketView]) -> str:
    _ = site._
    path = incident_path(v.number)
    resolved = resolved_time(v)
    state, due, clock = site.report_state(v)
    late = site.span((site.now - due).total_seconds()) if state == "overdue" and due else ""
    n_members, categories = _scope(site, v)
    impact_lines = [clean.block(v.texts.get("impact"))] if v.texts.get("impact") else []
    body = render(
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
                "link": href(path, article_path(m.number)) if m.number in site.article_numbers else None,
            }
            for m in members
        ],
        impact=impact_lines,
        cause=site.answer(v, "root-cause", clean),
        fix=site.answer(v, "resolve", clean),
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
    return wrap_page(_, {"title": _("Post-incident report") + f" · {title}", "ticket": v.number}, body)
