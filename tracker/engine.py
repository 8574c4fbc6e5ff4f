"""The grader: ``grade(tickets, cfg, now) -> Plan``. Pure: no I/O, no clock, no randomness.

For each ticket it reads the history (form answers, staff commands, label and state
events), works out the grade, the clocks and the escalations that fell due, and from
that the *desired* state: labels, assignees, the grader's comments (each keyed by a
hidden marker), close or reopen. The plan is the difference between desired and actual,
so grading twice in a row plans nothing the second time, and a grader that ran hours
late catches up with the same result an on-time grader would have reached.
"""

from __future__ import annotations

import gc
import hashlib
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker import messages as msg
from tracker.calendar import BusinessCalendar, calendars_for
from tracker.clocks import INF, Timeline, epoch, evaluate, from_epoch_factory, ladder_for
from tracker.commands import key_values, parse_commands
from tracker.config import Config, condition_holds
from tracker.grading import SurgeCandidate, detect_surges, final_grade, first_grade
from tracker.intake import missing_info_message, parse_body
from tracker.labels import catalog, category_label, grade_label, type_label
from tracker.model import (
    Action,
    CloseTicket,
    Comment,
    EditComment,
    OpenIncident,
    Plan,
    PostComment,
    ReopenTicket,
    SetAssignees,
    SetLabels,
    Ticket,
)
from tracker.protocol import (
    INCIDENT_NUMBER,
    STATUS,
    bad_rating_key,
    close_blocked_key,
    denied_key,
    due_item_key,
    escalation_key,
    fill_incident_number,
    has_signature,
    incident_body,
    incident_key_of,
    incident_link_key,
    incident_resolved_key,
    linked_incident_of,
    low_rating_key,
    marker,
    marker_key,
    needs_info_key,
    rate_request_key,
    read_data,
    reminder_key,
    signature,
    undo_label_key,
    wording_key,
)
from tracker.views import ClockView, Command, GradeChange, TicketView

MAX_ASSIGNEES = 10


# --------------------------------------------------------------------------- context


class Context:
    """Everything derived from the config once per run, shared by every ticket."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.calendars: dict[str, BusinessCalendar] = calendars_for(cfg)
        self.to_dt = from_epoch_factory(cfg.tz)
        self.locale = cfg.locale
        self.managed_labels = frozenset(s.name for s in catalog(cfg))
        self.grade_labels = {grade_label(cfg, g.id): g.id for g in cfg.grades}
        self.grade_by_name = {g.name: g.id for g in cfg.grades} | {
            (g.name_en or g.id).lower(): g.id for g in cfg.grades
        }
        self.known_commands = cfg.known_commands
        self.bot = cfg.bot.login
        self.staff_assoc = frozenset(cfg.staff.associations)
        self.role_of: dict[str, list[str]] = {}
        for name, role in cfg.roles.items():
            for m in role.members:
                self.role_of.setdefault(m, []).append(name)
        self.scores = {s.score: s for s in cfg.satisfaction.scale} if cfg.satisfaction else {}
        self.clock_by_id = {c.id: c for c in cfg.clocks}
        self.rule_facts = tuple(sorted({k for r in cfg.grading.rules for k in r.when} | (
            {cfg.grading.field} if cfg.grading.field else set())))
        self._grades: dict[tuple[Any, ...], tuple[str, list[Any]]] = {}
        self.digest = hashlib.sha1(cfg.model_dump_json().encode("utf-8")).hexdigest()[:12]
        window = cfg.surge.window if cfg.surge else 0
        self.rest_after = max(2 * window, 3600)  # younger tickets may still join a surge
        self.member_of: dict[int, str] = {}

    def fingerprint(self, t: Ticket) -> str:
        """Everything about a ticket (and the policy) that can change its desired state."""
        last_c = t.comments[-1].id if t.comments else 0
        last_e = t.events[-1].id if t.events else 0
        return (
            f"{self.digest}|{t.updated_at.timestamp():.0f}|{t.state}|{len(t.comments)}:{last_c}|"
            f"{len(t.events)}:{last_e}|{zlib.crc32(t.body.encode('utf-8'))}|{t.title}|"
            f"{','.join(t.labels)}|{','.join(t.assignees)}"
        )

    def first_grade(self, facts: dict[str, Any]) -> tuple[str, list[Any]]:
        """:func:`tracker.grading.first_grade`, remembered per combination of the facts rules read."""
        key = tuple(_hashable(facts.get(k)) for k in self.rule_facts)
        hit = self._grades.get(key)
        if hit is None:
            hit = self._grades[key] = first_grade(facts, self.cfg)
        return hit

    def is_bot(self, login: str, flag: bool = False) -> bool:
        return flag or login == self.bot or login.endswith("[bot]")

    def is_staff(self, login: str, association: str, bot: bool = False) -> bool:
        if self.is_bot(login, bot):
            return False
        return association in self.staff_assoc or login in self.cfg.staff_logins

    def grade_id(self, text: str) -> str | None:
        text = text.strip()
        if text in self.cfg.grade_rank:
            return text
        return self.grade_by_name.get(text) or self.grade_by_name.get(text.lower())

    def pick(self, role: str, number: int) -> str | None:
        """One assignable member of a role, spread over tickets round-robin."""
        users = self.cfg.roles[role].users
        return users[number % len(users)] if users else None

    def mentions(self, roles: Iterable[str]) -> str:
        seen: list[str] = []
        for r in roles:
            for m in self.cfg.roles[r].mentions():
                if m not in seen:
                    seen.append(m)
        return " ".join(seen)


def _hashable(value: Any) -> Any:
    if isinstance(value, list | set | frozenset):
        return tuple(sorted(value, key=str))
    return value


@dataclass(frozen=True, slots=True)
class Memo:
    """What the grader remembers of a ticket between runs, to leave quiet tickets alone.

    A ticket may rest (be skipped) while its fingerprint is unchanged, ``now`` is before
    ``wake`` (its next at-risk, due or escalation moment), and it is not ``involved`` in an
    incident. Resting never changes the result: a rested ticket's plan would be empty.
    """

    fingerprint: str
    wake: float  # epoch seconds; inf when nothing is scheduled
    involved: bool  # an incident ticket, or linked to one not yet created: never rests
    incident: int | None = None  # a member's incident ticket, whose state is in the fingerprint


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class Prepared:
    """Phase one of a ticket: what can be read without looking at other tickets."""

    ticket: Ticket
    facts: dict[str, Any]
    form: str | None
    missing: tuple[str, ...]
    invalid: tuple[tuple[str, str], ...]
    missing_text: str
    commands: list[Command]
    denied: list[tuple[Comment, list[str]]]
    bot_comments: dict[str, Comment]
    incident_key: str | None  # for an incident ticket: its own key
    incident_data: dict[str, Any]
    linked_to: str | None  # for a member: the incident it was linked to
    first_grade: str
    first_rules: list[str]
    opened: float
    label_events: dict[str, tuple[str, bool, str, int]] = field(default_factory=dict)
    # label -> (kind, by_human, actor, event id) of the latest event on that label
    undo_labels: list[tuple[int, str, str]] = field(
        default_factory=list
    )  # (event id, label, actor)
    assign_events: dict[str, tuple[str, bool]] = field(default_factory=dict)


def prepare(ticket: Ticket, ctx: Context) -> Prepared:
    cfg = ctx.cfg
    bot_comments: dict[str, Comment] = {}
    commands: list[Command] = []
    denied: list[tuple[Comment, list[str]]] = []
    linked_to = None
    for c in ticket.comments:
        if ctx.is_bot(c.author, c.is_bot):
            key = marker_key(c.body) if c.author == ctx.bot or c.is_bot else None
            if key:
                bot_comments.setdefault(key, c)
                linked = linked_incident_of(key)
                if linked is not None:
                    linked_to = linked
            continue
        found = parse_commands(
            c.body, ctx.known_commands, author=c.author, at=c.created_at, comment_id=c.id
        )
        if not found:
            continue
        if ctx.is_staff(c.author, c.author_association):
            commands.extend(found)
        else:
            denied.append((c, [f"/{f.name}" for f in found]))

    incident_key = None
    incident_data: dict[str, Any] = {}
    is_bot_ticket = ctx.is_bot(ticket.author, ticket.author_is_bot)
    key = marker_key(ticket.body) if is_bot_ticket else None
    if key and incident_key_of(key) is not None:
        incident_key = incident_key_of(key)
        incident_data = read_data(ticket.body)
    if incident_key:
        facts = dict(incident_data.get("facts", {}))
        facts["incident"] = True
        form, missing, invalid, missing_text = None, (), (), ""
    else:
        intake = parse_body(ticket.body, cfg, ticket.labels)
        facts = dict(intake.facts)
        form = intake.form
        if form:
            facts["type"] = cfg.form_by_id[form].type
        else:
            for t in cfg.types:
                if type_label(cfg, t.id) in ticket.labels:
                    facts["type"] = t.id
                    break
        missing, invalid = intake.missing, intake.invalid
        missing_text = missing_info_message(intake, cfg) if (missing or invalid) else ""
        if form is None and not missing:
            # A ticket opened without a form still gets graded, but is asked for details.
            missing = ("form",)
            missing_text = msg.render(
                ctx.locale, "needs_info",
                details="- " + ("请使用工单模板填写" if ctx.locale == "zh" else "please use one of the ticket forms"),
            )  # fmt: skip
    for name, options in cfg.derived.items():
        if name in facts:
            continue
        for option in options:
            if condition_holds(option.when, facts):  # type: ignore[arg-type]
                facts[name] = option.value
                break
    grade, rules = ctx.first_grade(facts)
    if incident_key:
        grade = incident_data.get("grade", grade)
        if grade not in cfg.grade_rank:
            grade = cfg.grading.default
    p = Prepared(
        ticket=ticket,
        facts=facts,
        form=form,
        missing=tuple(missing),
        invalid=tuple(invalid),
        missing_text=missing_text,
        commands=commands,
        denied=denied,
        bot_comments=bot_comments,
        incident_key=incident_key,
        incident_data=incident_data,
        linked_to=linked_to,
        first_grade=grade,
        first_rules=[r.note or r.grade for r in rules],
        opened=epoch(ticket.created_at),
    )
    for e in ticket.events:
        human = not ctx.is_bot(e.actor, e.is_bot)
        if e.kind in ("labeled", "unlabeled") and e.label:
            p.label_events[e.label] = (e.kind, human, e.actor, e.id)
        elif e.kind in ("assigned", "unassigned") and e.assignee:
            p.assign_events[e.assignee] = (e.kind, human)
    return p


# --------------------------------------------------------------------------- history


@dataclass(slots=True)
class History:
    grade: str
    graded_at: float
    changes: list[GradeChange]
    resolved: float | None
    closed: float | None
    confirmed: float | None
    rating: int | None
    rated_at: float | None
    rating_comment: int | None
    bad_ratings: list[Command]
    kb: bool
    texts: dict[str, str]
    resolve_facts: dict[str, str]
    timeline: Timeline
    first_response: float | None
    last_close_event: tuple[int, str, bool] | None  # (event id, actor, human)


def read_history(
    p: Prepared,
    ctx: Context,
    incident_resolved: float | None,
    incident_commands: Sequence[Command] = (),
) -> History:
    """Walk the ticket's staff commands and events in time order.

    A ticket linked to an incident also takes the incident's commands (``/ack``, ``/plan``,
    ``/update`` ...): the work is done once, on the incident, for every linked ticket.
    """
    cfg = ctx.cfg
    t = p.ticket
    items: list[tuple[float, int, str, Any]] = []
    for c in (*p.commands, *incident_commands):
        items.append((epoch(c.at), c.comment_id, "cmd", c))
    for e in t.events:
        items.append((epoch(e.created_at), e.id, "evt", e))
    items.sort(key=lambda x: (x[0], x[1]))

    grade = p.first_grade
    graded_at = p.opened
    changes = [GradeChange(t.created_at, grade, "rules", ", ".join(p.first_rules))]
    resolved = closed = confirmed = rated_at = None
    rating = rating_comment = None
    bad_ratings: list[Command] = []
    kb = False
    texts: dict[str, str] = {}
    resolve_facts: dict[str, str] = {}
    tl = Timeline(opened=p.opened, graded=p.opened)
    pause_start: float | None = None
    pauses: list[tuple[float, float]] = []
    last_close: tuple[int, str, bool] | None = None

    def regrade(at: float, new: str, by: str, why: str) -> None:
        nonlocal grade, graded_at
        if new != grade:
            grade, graded_at = new, at
            changes.append(GradeChange(ctx.to_dt(at), new, by, why))

    for at, _, kind, item in items:
        if kind == "cmd":
            c: Command = item
            tl.add(f"command:{c.name}", at, c.author)
            if c.args:
                tl.args[(f"command:{c.name}", at)] = c.args
            body = (c.args + ("\n" + c.text if c.text else "")).strip()
            if body:
                texts[c.name] = body
            if c.name == "grade":
                new = ctx.grade_id(c.args.split()[0]) if c.args.split() else None
                if new:
                    regrade(at, new, c.author, c.text)
            elif c.name == "resolve":
                if resolved is None:
                    resolved = at
                resolve_facts.update(key_values(c.args))
            elif c.name == "reopen":
                resolved = closed = None
            elif c.name == "confirm":
                confirmed = at
                tl.add("confirmed", at, c.author)
            elif c.name == "rate":
                score = _score(c.args)
                if score is None or (ctx.scores and score not in ctx.scores):
                    bad_ratings.append(c)
                    continue
                rating, rated_at, rating_comment = score, at, c.comment_id
                tl.add("rated", at, c.author)
                sat = cfg.satisfaction
                if sat and sat.reopen_on_low and score <= sat.escalate_at_or_below:
                    resolved = None
            elif c.name == "pause":
                if pause_start is None:
                    pause_start = at
            elif c.name == "resume":
                if pause_start is not None:
                    pauses.append((pause_start, at))
                    pause_start = None
            elif c.name == "kb":
                kb = c.args.strip().lower() not in ("off", "no", "remove")
        else:
            e = item
            human = not ctx.is_bot(e.actor, e.is_bot)
            if e.kind == "labeled" and e.label:
                if human:
                    tl.add(f"label:{e.label}", at, e.actor)
                staff = ctx.is_staff(e.actor, _association(t, e.actor, ctx)) if human else False
                if e.label in ctx.grade_labels and human:
                    if staff:
                        regrade(at, ctx.grade_labels[e.label], e.actor, "label")
                    else:
                        p.undo_labels.append((e.id, e.label, e.actor))
                elif e.label == cfg.labels.paused and staff and pause_start is None:
                    pause_start = at
                elif e.label == cfg.labels.kb and staff:
                    kb = True
            elif e.kind == "unlabeled" and e.label and human:
                staff = ctx.is_staff(e.actor, _association(t, e.actor, ctx))
                if e.label == cfg.labels.paused and staff and pause_start is not None:
                    pauses.append((pause_start, at))
                    pause_start = None
                elif e.label == cfg.labels.kb and staff:
                    kb = False
            elif e.kind == "assigned" and human:
                tl.add("assigned", at, e.actor)
            elif e.kind == "closed":
                closed = at
                if resolved is None:
                    resolved = at
                last_close = (e.id, e.actor, human)
            elif e.kind == "reopened":
                closed = None
                if human:
                    resolved = None
    if pause_start is not None:
        pauses.append((pause_start, INF))
    if incident_resolved is not None and (resolved is None or incident_resolved < resolved):
        resolved = incident_resolved
    if resolved is not None:
        tl.add("resolved_mark", resolved)
    for name, value in p.facts.items():
        # A time the reporter stated (when the fault began) can start a clock; a stated
        # time later than the ticket itself is not believed.
        if isinstance(value, datetime) and value.tzinfo is not None and epoch(value) <= p.opened:
            tl.add(f"field:{name}", epoch(value))

    first_response = None
    for c in t.comments:
        if c.author == t.author or not ctx.is_staff(c.author, c.author_association, c.is_bot):
            continue
        at = epoch(c.created_at)
        tl.add("staff_reply", at, c.author)
        if first_response is None:
            first_response = at
    tl.graded = graded_at
    tl.resolved = resolved
    tl.closed = closed
    tl.pauses = pauses
    return History(
        grade=grade,
        graded_at=graded_at,
        changes=changes,
        resolved=resolved,
        closed=closed,
        confirmed=confirmed,
        rating=rating,
        rated_at=rated_at,
        rating_comment=rating_comment,
        bad_ratings=bad_ratings,
        kb=kb,
        texts=texts,
        resolve_facts=resolve_facts,
        timeline=tl,
        first_response=first_response,
        last_close_event=last_close,
    )


def _association(t: Ticket, login: str, ctx: Context) -> str:
    """Events carry no author_association; use what the person showed elsewhere on the ticket."""
    if login == t.author:
        return t.author_association
    for c in t.comments:
        if c.author == login:
            return c.author_association
    return "NONE"


def _score(args: str) -> int | None:
    head = args.split()[0] if args.split() else ""
    try:
        return int(head)
    except ValueError:
        return None


# --------------------------------------------------------------------------- incidents


@dataclass(slots=True)
class IncidentState:
    key: str
    number: int | None  # None until created
    group: str
    tier: str
    members: list[int]
    grade: str
    resolved: float | None = None
    wording: str | None = None
    title: str = ""
    body: str = ""
    type: str | None = None
    rule: str = ""
    commands: list[Command] = field(default_factory=list)  # staff commands on the incident


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


def find_incidents(
    prepared: Sequence[Prepared], ctx: Context, now: float
) -> dict[str, IncidentState]:
    """Existing incident tickets, surges that need one, and rules that demand one."""
    cfg = ctx.cfg
    by_number = {p.ticket.number: p for p in prepared}
    incidents: dict[str, IncidentState] = {}
    for p in prepared:
        if p.incident_key:
            d = p.incident_data
            incidents[p.incident_key] = IncidentState(
                key=p.incident_key,
                number=p.ticket.number,
                group=str(d.get("group", "")),
                tier=str(d.get("tier", "")),
                members=[],
                grade=p.first_grade,
                type=p.facts.get("type"),
                commands=[c for c in p.commands if c.name not in ("grade", "rate", "kb", "reopen")],
            )
    for p in prepared:
        if p.linked_to and p.linked_to in incidents:
            incidents[p.linked_to].members.append(p.ticket.number)
    member_of = {m: k for k, inc in incidents.items() for m in inc.members}

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
        for hit in detect_surges(candidates, cfg):
            existing = next((member_of[m] for m in hit.members if m in member_of), None)
            key = existing or hit.key
            inc = incidents.get(key)
            if inc is None:
                members = list(hit.members)
                inc = IncidentState(
                    key=key,
                    number=None,
                    group=hit.group,
                    tier=hit.tier,
                    members=members,
                    grade=_surge_grade(ctx, hit.group, [by_number[m] for m in members]),
                    type=surge.type or by_number[members[0]].facts.get("type"),
                )
                incidents[key] = inc
            for m in hit.members:
                if m not in inc.members and m not in member_of:
                    inc.members.append(m)
                    member_of[m] = key
    for p in prepared:
        if p.incident_key or p.ticket.number in member_of:
            continue
        rules = [r for r in ctx.first_grade(p.facts)[1] if r.incident]
        if rules:
            key = f"rule-{p.ticket.number}"
            if key not in incidents:
                incidents[key] = IncidentState(
                    key=key,
                    number=None,
                    group=str(p.facts.get(surge.group_by, "")) if surge else "",
                    tier=str(p.facts.get(surge.tier_fact, "")) if surge else "",
                    members=[p.ticket.number],
                    grade=cfg.highest([r.grade for r in rules]) or cfg.grading.default,
                    type=p.facts.get("type"),
                    rule=rules[0].note or rules[0].grade,
                )
            member_of[p.ticket.number] = key
    for inc in incidents.values():
        inc.members.sort()
    ctx.member_of = {m: k for k, inc in incidents.items() for m in inc.members}
    return incidents


# --------------------------------------------------------------------------- assess


def _view(
    p: Prepared, ctx: Context, now: float, incidents: dict[str, IncidentState]
) -> tuple[TicketView, History]:
    cfg = ctx.cfg
    t = p.ticket
    own = incidents.get(p.incident_key) if p.incident_key else None
    member_key = ctx.member_of.get(t.number)
    incident_resolved = None
    incident_commands: list[Command] = []
    if member_key:
        inc = incidents[member_key]
        incident_resolved = inc.resolved
        incident_commands = inc.commands
    h = read_history(p, ctx, incident_resolved, incident_commands)
    if own is not None:
        own.resolved = h.resolved
        own.wording = h.texts.get("wording")
    facts = p.facts
    grade = h.grade
    facts_for_clocks = dict(facts)
    facts_for_clocks["grade"] = grade
    circle = tuple(cfg.grading.circles.get(grade, ()))
    clocks = []
    for clock in cfg.clocks:
        if clock.applies and not condition_holds(clock.applies, facts_for_clocks):  # type: ignore[arg-type]
            continue
        cal = ctx.calendars[clock.calendar]
        clocks.extend(evaluate(clock, grade, h.timeline, cal, now, cfg, circle, ctx.to_dt))
    final = None
    if h.resolved is not None:
        final = final_grade({**facts, **h.resolve_facts}, grade, cfg)
    to_dt = ctx.to_dt
    return TicketView(
        number=t.number,
        title=t.title,
        author=t.author,
        form=p.form,
        type=facts.get("type"),
        category=facts.get("category") if isinstance(facts.get("category"), str) else None,
        facts=facts,
        missing=p.missing,
        invalid=p.invalid,
        opened_at=to_dt(p.opened),
        grade=grade,
        first_grade=p.first_grade,
        final_grade=final,
        grade_history=tuple(h.changes),
        state=t.state,
        resolved_at=to_dt(h.resolved) if h.resolved is not None else None,
        closed_at=to_dt(h.closed) if h.closed is not None else None,
        confirmed_at=to_dt(h.confirmed) if h.confirmed is not None else None,
        first_response_at=to_dt(h.first_response) if h.first_response is not None else None,
        rating=h.rating,
        rated_at=to_dt(h.rated_at) if h.rated_at is not None else None,
        paused=any(a <= now < b for a, b in h.timeline.pauses),
        clocks=tuple(clocks),
        commands=tuple(p.commands),
        incident_key=member_key,
        is_incident=p.incident_key is not None,
        members=tuple(own.members) if own else (),
        wording=h.texts.get("wording"),
        kb=h.kb,
        texts=h.texts,
        labels=t.labels,
        assignees=t.assignees,
    ), h


def _order(prepared: list[Prepared]) -> list[Prepared]:
    """Incidents first, so their resolution and wording are known to their members."""
    return sorted(prepared, key=lambda p: (p.incident_key is None, p.ticket.number))


def assess_all(
    tickets: Iterable[Ticket], cfg: Config, now: datetime, *, ctx: Context | None = None
) -> list[TicketView]:
    """The grader's understanding of every ticket at ``now`` (for show, late, the site)."""
    ctx = ctx or Context(cfg)
    now_s = epoch(now)
    prepared = [prepare(t, ctx) for t in tickets]
    incidents = find_incidents(prepared, ctx, now_s)
    views = {}
    for p in _order(prepared):
        views[p.ticket.number], _ = _view(p, ctx, now_s, incidents)
    return [views[p.ticket.number] for p in prepared]


def assess(
    ticket: Ticket, cfg: Config, now: datetime, *, context: Sequence[Ticket] = ()
) -> TicketView:
    """One ticket's view; ``context`` lends the other tickets that surges and incidents need."""
    others = [t for t in context if t.number != ticket.number]
    views = assess_all([ticket, *others], cfg, now)
    return views[0]


# --------------------------------------------------------------------------- desire


def grade(
    tickets: Sequence[Ticket],
    cfg: Config,
    now: datetime,
    *,
    only: set[int] | None = None,
    ctx: Context | None = None,
    memo: Mapping[int, Memo] | None = None,
) -> Plan:
    """The plan that brings every ticket (or those in ``only``) to its desired state.

    With ``memo`` (the previous runs' :class:`Memo` per ticket), quiet tickets rest and
    the plan carries fresh memos for every ticket it graded (``plan.memo``).
    """
    # Planning makes many small objects and no garbage cycles: the cyclic collector would
    # only rescan the (large) live heap over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _grade(tickets, cfg, now, only=only, ctx=ctx, memo=memo)
    finally:
        if collecting:
            gc.enable()


def _grade(
    tickets: Sequence[Ticket],
    cfg: Config,
    now: datetime,
    *,
    only: set[int] | None,
    ctx: Context | None,
    memo: Mapping[int, Memo] | None,
) -> Plan:
    ctx = ctx or Context(cfg)
    now_s = epoch(now)
    if memo is not None:
        by_num = {t.number: t for t in tickets}
        tickets = [t for t in tickets if not _may_rest(t, memo.get(t.number), ctx, now_s, by_num)]
    prepared = [prepare(t, ctx) for t in tickets]
    fresh: dict[int, Memo] = {}
    incidents = find_incidents(prepared, ctx, now_s)
    by_number = {p.ticket.number: p for p in prepared}
    actions: list[Action] = []
    notes: list[str] = []
    for p in _order(prepared):
        view, h = _view(p, ctx, now_s, incidents)
        if only is not None and p.ticket.number not in only:
            continue
        _desire(p, view, h, ctx, now_s, incidents, actions, notes)
        if memo is not None:
            wakes = [c.wake for c in view.clocks if c.wake is not None]
            # Activity dated after now (clock skew) takes effect later: wake for it too.
            wakes += [x for x in (epoch(c.created_at) for c in p.ticket.comments) if x > now_s]
            wakes += [x for x in (epoch(e.created_at) for e in p.ticket.events) if x > now_s]
            inc = incidents.get(view.incident_key) if view.incident_key else None
            inc_no = inc.number if inc else None
            involved = bool(p.incident_key) or (view.incident_key is not None and inc_no is None)
            fp = ctx.fingerprint(p.ticket)
            if inc_no is not None and inc_no in by_number:
                fp += "|" + ctx.fingerprint(by_number[inc_no].ticket)
            fresh[p.ticket.number] = Memo(fp, min(wakes, default=INF), involved, inc_no)
    for inc in sorted(incidents.values(), key=lambda i: i.key):
        if inc.number is not None:
            _incident_member_actions(inc, by_number, ctx, actions, only)
            continue
        if only is not None and not (set(inc.members) & only):
            continue
        actions.append(_open_incident(inc, by_number, ctx))
        notes.append(f"incident {inc.key}: members {', '.join(f'#{m}' for m in inc.members)}")
    return Plan(tuple(actions), tuple(notes), fresh)


def _may_rest(t: Ticket, m: Memo | None, ctx: Context, now: float, by_num: Mapping[int, Ticket]) -> bool:
    if m is None or m.involved or now >= m.wake or now - t.created_at.timestamp() <= ctx.rest_after:
        return False
    fp = ctx.fingerprint(t)
    if m.incident is not None:
        incident = by_num.get(m.incident)
        if incident is None:
            return False
        fp += "|" + ctx.fingerprint(incident)
    return m.fingerprint == fp


def _open_incident(
    inc: IncidentState, by_number: dict[int, Prepared], ctx: Context
) -> OpenIncident:
    cfg = ctx.cfg
    members_txt = " ".join(f"#{m}" for m in inc.members)
    grade_name = cfg.grade_by_id[inc.grade].label(ctx.locale)
    first = by_number[inc.members[0]].facts
    private = {f for f, spec in cfg.fields.items() if spec.private} | set(cfg.publishing.private_fields)
    facts = {k: v for k, v in first.items() if k not in private and isinstance(v, str | int | float | bool)}
    facts["type"] = inc.type
    if cfg.surge and inc.group:
        facts[cfg.surge.group_by] = inc.group
    data = {"group": inc.group, "tier": inc.tier, "grade": inc.grade, "facts": facts}
    if inc.rule:
        body = msg.render(
            ctx.locale, "rule_incident", number=inc.members[0], rule=inc.rule, grade=grade_name
        )
        title = (f"事件：工单 #{inc.members[0]} 需通告" if ctx.locale == "zh"
                 else f"Incident: ticket #{inc.members[0]} must be announced")  # fmt: skip
    else:
        surge = cfg.surge
        assert surge is not None
        threshold = surge.thresholds[inc.group][inc.tier]
        body = msg.render(
            ctx.locale, "incident", group=_group_name(inc.group, ctx),
            tier=_group_name(inc.tier, ctx), count=len(inc.members),
            threshold=threshold, window=msg.fmt_span(surge.window, ctx.locale), grade=grade_name,
            members=members_txt,
        )  # fmt: skip
        group = _group_name(inc.group, ctx)
        title = (f"事件：{group}类问题集中出现" if ctx.locale == "zh"
                 else f"Incident: surge of {group} problems")  # fmt: skip
    full_body = incident_body(inc.key, data, body)
    labels = [cfg.labels.incident, grade_label(cfg, inc.grade)]
    if inc.type:
        labels.append(type_label(cfg, inc.type))
    return OpenIncident(
        inc.key, title, full_body, tuple(labels), tuple(inc.members), link=_link_text(ctx)
    )


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


def _incident_member_actions(
    inc: IncidentState,
    by_number: dict[int, Prepared],
    ctx: Context,
    actions: list[Action],
    only: set[int] | None,
) -> None:
    for m in inc.members:
        if only is not None and m not in only and inc.number not in only:
            continue
        p = by_number.get(m)
        if p is None:
            continue
        if incident_link_key(inc.key) not in p.bot_comments:
            body = fill_incident_number(_link_text(ctx), inc.number)
            actions.append(PostComment(m, incident_link_key(inc.key), body))
        if inc.wording:
            key = wording_key(inc.key, inc.wording)
            if key not in p.bot_comments:
                body = msg.render(ctx.locale, "wording", incident=inc.number, text=inc.wording)
                actions.append(PostComment(m, key, body))
        if inc.resolved is not None and incident_resolved_key(inc.key) not in p.bot_comments:
            body = msg.render(ctx.locale, "incident_resolved", incident=inc.number)
            actions.append(PostComment(m, incident_resolved_key(inc.key), body))


def _desire(
    p: Prepared,
    view: TicketView,
    h: History,
    ctx: Context,
    now: float,
    incidents: dict[str, IncidentState],
    actions: list[Action],
    notes: list[str],
) -> None:
    cfg = ctx.cfg
    t = p.ticket
    n = t.number
    loc = ctx.locale
    is_open = t.state == "open"
    comments: list[PostComment | EditComment] = []

    def post(key: str, body: str) -> None:
        if key not in p.bot_comments:
            comments.append(PostComment(n, key, body))

    change = _state_change(p, view, h, ctx, post, notes)
    if isinstance(change, CloseTicket):
        is_open = False
    elif isinstance(change, ReopenTicket):
        is_open = True

    # -- labels (for the state the ticket is left in) ---------------------------
    want: set[str] = {grade_label(cfg, h.grade)}
    if view.type:
        want.add(type_label(cfg, view.type))
    if view.category and any(c.id == view.category for c in cfg.categories):
        want.add(category_label(cfg, view.category))
    if p.incident_key:
        want.add(cfg.labels.incident)
    if is_open:
        if p.missing or p.invalid:
            want.add(cfg.labels.needs_info)
        if any(c.breached for c in view.clocks):
            want.add(cfg.labels.breach)
        elif any(c.status == "at_risk" for c in view.clocks):
            want.add(cfg.labels.at_risk)
        if h.resolved is not None:
            want.add(cfg.labels.resolved)
    if h.kb:
        want.add(cfg.labels.kb)
    for e in view.escalations:
        want.update(e.labels)
    have = set(t.labels)
    add, remove = [], []
    for label in sorted(want - have):
        last = p.label_events.get(label)
        if last and last[0] == "unlabeled" and last[1] and label not in ctx.grade_labels:
            continue  # a person took it off: respected until the desired state changes
        add.append(label)
    for label in sorted(have - want):
        if label not in ctx.managed_labels:
            continue
        last = p.label_events.get(label)
        if label in ctx.grade_labels or label in (cfg.labels.resolved,):
            remove.append(label)
            continue
        if label == cfg.labels.kb:
            continue  # kb is the staff's own switch
        if last and last[0] == "labeled" and last[1]:
            continue  # a person put it on: respected
        remove.append(label)
    if add or remove:
        actions.append(SetLabels(n, tuple(add), tuple(remove)))
        notes.append(f"#{n} labels +{','.join(add) or '-'} -{','.join(remove) or '-'}")

    # -- assignees --------------------------------------------------------------
    want_people: list[str] = []
    owner_role = cfg.grading.owners.get(h.grade)
    assignable = t.state == "open" or isinstance(change, ReopenTicket)
    if owner_role and assignable:
        who = ctx.pick(owner_role, n)
        if who:
            want_people.append(who)
    for e in view.escalations:
        for role in e.assign:
            who = ctx.pick(role, n)
            if who and who not in want_people:
                want_people.append(who)
    sat = cfg.satisfaction
    low = sat is not None and h.rating is not None and h.rating <= sat.escalate_at_or_below
    if low and sat:
        who = ctx.pick(sat.escalate_to, n)
        if who and who not in want_people:
            want_people.append(who)
    add_people = []
    for who in want_people:
        if who in t.assignees:
            continue
        last = p.assign_events.get(who)
        if last and last[0] == "unassigned" and last[1]:
            continue
        add_people.append(who)
    room = MAX_ASSIGNEES - len(t.assignees)
    if add_people and room > 0 and assignable:
        actions.append(SetAssignees(n, tuple(add_people[:room]), ()))

    # -- comments ---------------------------------------------------------------
    if is_open and (p.missing or p.invalid):
        post(needs_info_key(p.missing_text), p.missing_text)
    for c, names in p.denied:
        post(denied_key(c.id), msg.render(loc, "denied", author=c.author, commands=" ".join(names)))
    for event_id, label, actor in p.undo_labels:
        post(undo_label_key(event_id), msg.render(loc, "undo_label", author=actor, label=label))
    for c in h.bad_ratings:
        post(
            bad_rating_key(c.comment_id),
            msg.render(loc, "bad_rating", value=c.args, scale=_scale(ctx)),
        )
    for view_clock in view.clocks:
        for e in view_clock.escalations:
            key = escalation_key(e.clock, e.cycle, e.step)
            if key in p.bot_comments:
                continue
            ladder_next = _next_step_time(view_clock, e.step, h.grade, ctx)
            cal = ctx.calendars[ctx.clock_by_id[view_clock.id].calendar]
            late = cal.counted_s(epoch(view_clock.due), epoch(e.at), view_clock.counting)  # type: ignore[arg-type]
            body = msg.render(
                loc, "escalation", step=e.step, clock=view_clock.name, cycle=view_clock.cycle,
                due=msg.fmt_time(view_clock.due), fell=msg.fmt_time(e.at),
                late=msg.fmt_span(late, loc) if late >= 60 else "",
                mention=ctx.mentions(e.mention), assign=" ".join(
                    f"@{w}" for w in (ctx.pick(r, n) for r in e.assign) if w),
                next_step=ladder_next,
            )  # fmt: skip
            comments.append(PostComment(n, key, body))
            notes.append(
                f"#{n} escalated '{view_clock.id}' step {e.step + 1} (fell due {msg.fmt_time(e.at)})"
            )
        if view_clock.checklist and view_clock.cycle == 0:
            spec = ctx.clock_by_id[view_clock.id]
            command = next((s[8:] for s in spec.stop if s.startswith("command:")), "report")
            mention = ctx.mentions(spec.stop_by)
            post(
                due_item_key(view_clock.id),
                msg.render(loc, "due_item", clock=view_clock.name, due=msg.fmt_time(view_clock.due),
                           checklist=list(view_clock.checklist), command=command, mention=mention),
            )  # fmt: skip
            if view_clock.status == "at_risk" or (view_clock.stopped is None and view_clock.breached):
                # One reminder when the deadline nears (or has passed before anyone was told).
                post(
                    reminder_key(view_clock.id),
                    msg.render(loc, "due_reminder", clock=view_clock.name, due=msg.fmt_time(view_clock.due),
                               command=command, mention=mention),
                )  # fmt: skip
    unrated = h.resolved is not None and (h.rated_at is None or h.rated_at < h.resolved)
    if sat and unrated and sat.request_on_resolve and not p.incident_key:
        confirm = any(
            r.requires in ("confirmed", "command:confirm")
            and condition_holds(r.applies, {**p.facts, "grade": h.grade})  # type: ignore[arg-type]
            for r in cfg.close_rules
        )
        post(
            rate_request_key(h.resolved),
            msg.render(loc, "rate_request", scale=_scale(ctx), confirm=confirm),
        )
    if low and sat and h.rating_comment is not None:
        score = ctx.scores.get(h.rating, None)
        post(
            low_rating_key(h.rating_comment),
            msg.render(loc, "low_rating", score=h.rating, score_name=score.name if score else h.rating,
                       mention=ctx.mentions([sat.escalate_to]), reopened=sat.reopen_on_low,
                       penalty=sat.penalties.get(h.rating or 0, 0)),
        )  # fmt: skip

    if change is not None:
        actions.append(change)

    # -- the status comment -----------------------------------------------------
    _status(p, view, h, ctx, comments)
    actions.extend(comments)


def _state_change(
    p: Prepared, view: TicketView, h: History, ctx: Context, post: Callable[[str, str], None], notes: list[str]
) -> CloseTicket | ReopenTicket | None:
    """Close after a rating, reopen a close the rules forbid, close members of a resolved incident."""
    cfg = ctx.cfg
    t = p.ticket
    n = t.number
    sat = cfg.satisfaction
    low = sat is not None and h.rating is not None and h.rating <= sat.escalate_at_or_below
    blocked = _close_blocked(p, h, ctx)
    if t.state == "closed" and blocked and h.last_close_event and h.last_close_event[2]:
        event_id, _actor, _human = h.last_close_event
        post(
            close_blocked_key(event_id),
            msg.render(ctx.locale, "close_blocked", requirement=blocked[0], roles=blocked[1]),
        )
        notes.append(f"#{n} reopened: closing needs {blocked[0]}")
        return ReopenTicket(n)
    if t.state == "closed" and low and sat and sat.reopen_on_low and h.rated_at and h.closed and h.closed < h.rated_at:
        return ReopenTicket(n)
    if t.state == "open" and h.resolved is not None and not blocked:
        rated_after = h.rated_at is not None and h.rated_at >= h.resolved
        if sat and rated_after and h.rating is not None:
            # At or above the closing score it closes; a low rating closes too (after the
            # follow-up is asked for) unless the rulebook sends it back to the department.
            closes = h.rating >= sat.close_at_or_above or (low and not sat.reopen_on_low)
            if closes:
                notes.append(f"#{n} closed after a rating of {h.rating}")
                return CloseTicket(n, "completed")
        elif not sat and not cfg.close_rules and view.incident_key and not p.incident_key:
            return CloseTicket(n, "completed")
    return None


def _close_blocked(p: Prepared, h: History, ctx: Context) -> tuple[str, str] | None:
    """The first closing requirement not yet met, as (what, by whom), or None."""
    cfg = ctx.cfg
    facts = {**p.facts, "grade": h.grade}
    for rule in cfg.close_rules:
        if rule.applies and not condition_holds(rule.applies, facts):  # type: ignore[arg-type]
            continue
        who = frozenset(m for r in rule.by for m in cfg.roles[r].members) if rule.by else None
        trigger = rule.requires
        if trigger == "confirmed":
            trigger = "command:confirm"
        if not h.timeline.times(
            trigger, who if trigger.startswith(("command:", "label:")) else None
        ):
            roles = ctx.mentions(rule.by) if rule.by else ""
            return _trigger_text(trigger), roles
    return None


def _trigger_text(trigger: str) -> str:
    kind, _, name = trigger.partition(":")
    if kind == "command":
        return f"/{name}"
    if kind == "label":
        return name
    return trigger


def _next_step_time(view_clock: ClockView, step: int, grade: str, ctx: Context) -> str:
    """When the step after ``step`` falls due, if there is one and it has not yet."""
    clock = ctx.clock_by_id[view_clock.id]
    ladder = ladder_for(clock, grade, ctx.cfg)
    if ladder is None or step + 1 >= len(ladder.steps):
        return ""
    if step + 1 < len(view_clock.escalations):
        return ""
    nxt = ladder.steps[step + 1]
    cal = ctx.calendars[clock.calendar]
    at = cal.add_s(epoch(view_clock.due), nxt.after, clock.counting)  # type: ignore[arg-type]
    return msg.fmt_time(ctx.to_dt(at))


def _scale(ctx: Context) -> str:
    sat = ctx.cfg.satisfaction
    if not sat:
        return ""
    sep = msg.text(ctx.locale, "list_sep")
    return sep.join(
        f"{s.score} {s.name_en if ctx.locale == 'en' and s.name_en else s.name}" for s in sat.scale
    )


def _status(p: Prepared, view: TicketView, h: History, ctx: Context, comments: list) -> None:
    """One status comment per ticket, edited only when what it shows changes."""
    cfg = ctx.cfg
    n = p.ticket.number
    shown = []
    by_id: dict[str, list] = {}
    for c in view.clocks:
        by_id.setdefault(c.id, []).append(c)
    for rounds in by_id.values():
        shown.extend(rounds[-2:])  # a repeating clock shows its last two rounds
    owner_role = cfg.grading.owners.get(h.grade)
    owner = f"@{ctx.pick(owner_role, n)}" if owner_role and ctx.pick(owner_role, n) else ""
    sig_src = repr((h.grade, view.final_grade, owner, view.paused, ctx.locale,
                    [(c.id, c.cycle, c.status, int(epoch(c.due))) for c in shown]))  # fmt: skip
    existing = p.bot_comments.get(STATUS)
    if existing is not None and has_signature(existing.body, sig_src):
        return
    loc = ctx.locale
    grade_name = cfg.grade_by_id[h.grade].label(loc)
    final = cfg.grade_by_id[view.final_grade].label(loc) if view.final_grade else ""
    rows = [
        {"name": c.name, "cycle": c.cycle, "started": msg.fmt_time(c.started),
         "due": msg.fmt_time(c.due), "status": msg.text(loc, c.status)}
        for c in shown
    ]  # fmt: skip
    body = signature(sig_src) + "\n" + msg.render(
        loc, "status", grade=grade_name, final=final, owner=owner, paused=view.paused, clocks=rows
    )
    if existing is None:
        comments.append(PostComment(n, STATUS, body))
    else:
        comments.append(EditComment(n, STATUS, existing.id, marker(STATUS) + "\n" + body))
