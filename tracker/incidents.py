"""Incidents: existing incident tickets, surges that need one, rules that demand one.

:func:`find_incidents` sees every prepared ticket and says which incidents exist or are due
and which tickets belong to each. :func:`open_incident` is the action that creates a new
one; :func:`member_actions` are the notes an existing incident owes its members (the link,
the agreed wording, the resolution).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tracker import messages as msg
from tracker.clocks import INF, epoch
from tracker.config import FREE_TEXT
from tracker.context import Context
from tracker.grading import SurgeCandidate, detect_surges, first_grade
from tracker.history import History, read_history
from tracker.i18n import format_span, gettext
from tracker.labels import grade_label, type_label
from tracker.model import CloseTicket, EditComment, OpenIncident, PostComment
from tracker.protocol import (
    INCIDENT_NUMBER,
    fill_incident_number,
    incident_body,
    incident_duplicate_key,
    incident_link_key,
    incident_resolved_key,
    marker_key,
    replace_part,
    split_parts,
    wording_key,
)
from tracker.reading import Prepared
from tracker.views import ClockView, Command

# Commands given on an incident ticket that stay with it rather than reach its members.
_OWN_COMMANDS = ("grade", "rate", "kb", "reopen")


@dataclass(frozen=True, slots=True)
class IncidentState:
    key: str
    number: int | None  # None until created
    group: str
    tier: str
    members: tuple[int, ...]
    grade: str
    resolved: float | None = None
    wording: str | None = None
    title: str = ""
    body: str = ""
    type: str | None = None
    rule: str = ""
    commands: tuple[Command, ...] = ()  # staff commands on the incident
    clocks: frozenset[str] = frozenset()  # the clocks the incident ticket runs
    founders: tuple[int, ...] = ()  # a surge's tickets up to the one that reached the threshold


@dataclass(frozen=True, slots=True)
class Incidents:
    by_key: Mapping[str, IncidentState]
    member_of: Mapping[int, str]  # ticket number -> the key of the incident it belongs to
    # A second incident ticket for one key (two runs at once both opened it) -> the first.
    duplicates: Mapping[int, int] = field(default_factory=dict)
    # Incident tickets' histories (as :func:`read_history` with no incident of their own).
    histories: Mapping[int, History] = field(default_factory=dict)


def find_incidents(prepared: Sequence[Prepared], ctx: Context, now: float) -> Incidents:
    """Existing incident tickets, surges that need one, and rules that demand one."""
    cfg = ctx.cfg
    by_number = {p.ticket.number: p for p in prepared}
    incidents: dict[str, IncidentState] = {}
    members: dict[str, list[int]] = {}
    duplicates: dict[int, int] = {}
    histories: dict[int, History] = {}  # incident tickets' own, read for their resolution
    for p in sorted(prepared, key=lambda p: p.ticket.number):
        if p.incident_key in incidents:
            opened_first = incidents[p.incident_key].number
            assert opened_first is not None
            duplicates[p.ticket.number] = opened_first
        elif p.incident_key:
            d = p.incident_data
            incidents[p.incident_key] = IncidentState(
                key=p.incident_key,
                number=p.ticket.number,
                group=str(d.get("group", "")),
                tier=str(d.get("tier", "")),
                members=(),
                grade=p.first_grade,
                type=p.facts.get("type"),
                commands=tuple(c for c in p.commands if c.name not in _OWN_COMMANDS),
            )
            members[p.incident_key] = []
    for p in prepared:
        if p.linked_to and p.linked_to in incidents:
            members[p.linked_to].append(p.ticket.number)
    member_of = {m: k for k, ms in members.items() for m in ms}

    # A rule incident is due from its ticket's opening; a surge from the ticket that reaches
    # the threshold. Taken in that order, the incidents are those an on-time grader would
    # have opened, however late or often the tickets are graded.
    rules_of = {
        p.ticket.number: rules
        for p in prepared
        if not p.incident_key
        for rules in [[r for r in ctx.first_grade(p.facts)[1] if r.incident]]
        if rules
    }

    def join(key: str, number: int) -> None:
        if number not in members[key]:
            members[key].append(number)
        member_of[number] = key

    def rule_incident(p: Prepared) -> None:
        key = f"rule-{p.ticket.number}"
        if key not in incidents:
            rules = rules_of[p.ticket.number]
            incidents[key] = IncidentState(
                key=key,
                number=None,
                group=str(p.facts.get(surge.group_by, "")) if surge else "",
                tier=str(p.facts.get(surge.tier_fact, "")) if surge else "",
                members=(),
                grade=cfg.highest([r.grade for r in rules]) or cfg.grading.default,
                type=p.facts.get("type"),
                rule=rules[0].note or rules[0].grade,
            )
            members[key] = []
        join(key, p.ticket.number)

    surge = cfg.surge
    if surge:
        candidates = []
        for p in prepared:
            if p.incident_key or p.opened > now:
                continue
            group = p.facts.get(surge.group_by)
            tier = p.facts.get(surge.tier_fact) or "ordinary"
            if isinstance(group, str) and isinstance(tier, str):
                candidates.append(SurgeCandidate(p.ticket.number, p.opened, group, tier))
        histories.update((p.ticket.number, read_history(p, ctx, None)) for p in prepared if p.incident_key)
        resolved_at = {p.incident_key: histories[p.ticket.number].resolved for p in prepared if p.incident_key}
        while candidates:
            later: list[SurgeCandidate] = []  # arrived after their incident was resolved
            for hit in detect_surges(candidates, cfg):
                for m in hit.members:  # rule incidents that were due before the surge was
                    if m in rules_of and m not in member_of and by_number[m].opened <= hit.at:
                        rule_incident(by_number[m])
                existing = next((member_of[m] for m in hit.members if m in member_of), None)
                key = existing or hit.key
                done = resolved_at.get(key)
                if done is not None:
                    # A resolved incident takes no newcomers: a recurrence is a new problem,
                    # counted afresh from the tickets that came after the resolution.
                    later += [c for c in candidates if c.number in hit.members and c.at > done
                              and c.number not in member_of]  # fmt: skip
                if key not in incidents:
                    # Graded and described by the tickets that made the surge, not by those
                    # that joined it before this run: the same whenever the grader runs.
                    first = [by_number[m] for m in hit.members if by_number[m].opened <= hit.at]
                    incidents[key] = IncidentState(
                        key=key,
                        number=None,
                        group=hit.group,
                        tier=hit.tier,
                        members=(),
                        grade=_surge_grade(ctx, hit.group, first),
                        type=surge.type or first[0].facts.get("type"),
                        founders=tuple(p.ticket.number for p in first),
                    )
                    members[key] = []
                newcomers = {c.number for c in later}
                for m in hit.members:
                    if m not in member_of and m not in newcomers:
                        join(key, m)
            candidates = later if len(later) < len(candidates) else []
    for p in prepared:
        if p.ticket.number in rules_of and p.ticket.number not in member_of:
            rule_incident(p)
    found = {k: replace(inc, members=tuple(sorted(members[k]))) for k, inc in incidents.items()}
    return Incidents(found, {m: k for k, inc in found.items() for m in inc.members}, duplicates, histories)


def _surge_grade(ctx: Context, group: str, members: list[Prepared]) -> str:
    """The highest of the members' grades, the group's minimum, and (with ``count_fact``)
    what the rules give when the member count is read as the complaint count."""
    cfg = ctx.cfg
    grades = [m.first_grade for m in members]
    if cfg.surge and group in cfg.surge.grade:
        grades.append(cfg.surge.grade[group])
    if cfg.surge and cfg.surge.count_fact and members:
        facts = {**members[0].facts, cfg.surge.count_fact: len(members)}
        grades.append(first_grade(facts, cfg)[0])
    return cfg.highest(grades) or cfg.grading.default


def open_incident(
    inc: IncidentState, by_number: Mapping[int, Prepared], ctx: Context
) -> OpenIncident:
    """The action that creates the incident ticket for ``inc`` and links its members."""
    cfg = ctx.cfg
    founders = inc.founders or inc.members
    members_txt = " ".join(f"#{m}" for m in founders)
    grade_name = cfg.grade_by_id[inc.grade].label(ctx.locale)
    first = by_number[inc.members[0]].facts
    private = {f for f, spec in cfg.fields.items() if spec.private} | set(cfg.publishing.private_fields)
    # The first member's choices, never its words: members appear on the incident by number.
    words = {f for f, spec in cfg.fields.items() if spec.kind in FREE_TEXT}
    facts: dict[str, Any] = {
        k: v
        for k, v in first.items()
        if k not in private and k not in words and isinstance(v, str | int | float | bool)
    }
    facts["type"] = inc.type
    if cfg.surge and inc.group:
        facts[cfg.surge.group_by] = inc.group
    data = {"group": inc.group, "tier": inc.tier, "grade": inc.grade, "facts": facts}
    if inc.rule:
        body = msg.render(
            ctx.locale, "rule_incident", number=inc.members[0], rule=inc.rule, grade=grade_name
        )
        title = gettext(ctx.locale, "Incident: ticket #%(number)s must be announced", number=inc.members[0])
    else:
        surge = cfg.surge
        assert surge is not None
        threshold = surge.thresholds[inc.group][inc.tier]
        body = msg.render(
            ctx.locale, "incident", group=_group_name(inc.group, ctx),
            tier=_group_name(inc.tier, ctx), count=len(founders),
            threshold=threshold, window=format_span(surge.window, ctx.locale), grade=grade_name,
            members=members_txt,
        )  # fmt: skip
        group = _group_name(inc.group, ctx)
        title = gettext(ctx.locale, "Incident: surge of %(group)s problems", group=group)
    labels = [cfg.labels.incident, grade_label(cfg, inc.grade)]
    if inc.type:
        labels.append(type_label(cfg, inc.type))
    return OpenIncident(
        inc.key, title, incident_body(inc.key, data, body), tuple(labels), tuple(inc.members),
        link=_link_text(ctx),
    )  # fmt: skip


def _link_text(ctx: Context) -> str:
    """The note on a member that it is linked to an incident, whose number may be unknown yet."""
    return msg.render(ctx.locale, "incident_link", incident=INCIDENT_NUMBER)


def _group_name(value: str, ctx: Context) -> str:
    """A group or tier id shown by its name: a category, or an option of any dropdown."""
    for c in ctx.cfg.categories:
        if c.id == value:
            return c.label(ctx.locale)
    for fld in ctx.cfg.fields.values():
        for o in fld.options:
            if o.id == value:
                return o.label(ctx.locale)
    return value


def carried(clocks: list[ClockView], p: Prepared, inc: IncidentState, now: float) -> list[ClockView]:
    """A linked ticket's clocks, less the escalations its incident carries: those of clocks
    the incident also runs that fell due while the ticket was linked and the incident open.
    The incident escalates them once; its members get the wording, updates and resolution."""
    link = p.bot_comments.get(incident_link_key(inc.key))
    since = epoch(link.created_at) if link is not None else now  # linked in this run
    until = inc.resolved if inc.resolved is not None else INF
    out = []
    for c in clocks:
        # An incident opened in this run has no clocks yet: it carries whatever falls due now.
        if (c.id in inc.clocks or inc.number is None) and c.escalations:
            kept = tuple(e for e in c.escalations if not since <= epoch(e.at) < until)
            if len(kept) != len(c.escalations):
                c = replace(c, escalations=kept)
        out.append(c)
    return out


def duplicate_actions(p: Prepared, first: int, ctx: Context) -> tuple[CloseTicket | PostComment, ...]:
    """A second incident ticket for one key is closed, pointing to the first; its members
    are the first's (links name the incident by key)."""
    assert p.incident_key is not None
    out: list[CloseTicket | PostComment] = []
    key = incident_duplicate_key(p.incident_key)
    if key not in p.bot_comments:
        out.append(PostComment(p.ticket.number, key, msg.render(ctx.locale, "incident_duplicate", incident=first)))
    if p.ticket.is_open:
        out.append(CloseTicket(p.ticket.number, "not_planned"))
    return tuple(out)


def member_actions(
    inc: IncidentState,
    by_number: Mapping[int, Prepared],
    ctx: Context,
    only: set[int] | None,
) -> tuple[PostComment | EditComment, ...]:
    """What an opened incident still owes its members: the link, the wording, the resolution."""
    out: list[PostComment | EditComment] = []
    for m in inc.members:
        if only is not None and m not in only and inc.number not in only:
            continue
        p = by_number.get(m)
        if p is None:
            continue
        link = incident_link_key(inc.key)
        text = fill_incident_number(_link_text(ctx), inc.number)
        posted = p.bot_comments.get(link)
        if posted is None:
            out.append(PostComment(m, link, text))
        elif f"#{inc.number}" not in split_parts(marker_key(posted.body) or link, posted.body).get(link, ""):
            # Linked to a second incident ticket that was since closed as a duplicate.
            key, body = replace_part(posted.body, link, text)
            out.append(EditComment(m, key, posted.id, body))
        if inc.wording:
            key = wording_key(inc.key, inc.wording)
            if key not in p.bot_comments:
                body = msg.render(ctx.locale, "wording", incident=inc.number, text=inc.wording)
                out.append(PostComment(m, key, body))
        resolved = incident_resolved_key(inc.key)
        if inc.resolved is not None and resolved not in p.bot_comments:
            body = msg.render(ctx.locale, "incident_resolved", incident=inc.number)
            out.append(PostComment(m, resolved, body))
    return tuple(out)
