"""Phase one of grading a ticket: what it says on its own, before other tickets are looked at.

The form answers become facts (plus the derived ones), the comments split into the grader's
own (by marker key), staff commands and commands from people who may not use them, and the
latest label and assignee event per name is remembered for the trust rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from tracker import messages as msg
from tracker.clocks import epoch
from tracker.commands import parse_commands
from tracker.config_values import condition_holds
from tracker.context import Context
from tracker.i18n import gettext
from tracker.intake import missing_info_message, parse_body
from tracker.labels import type_label
from tracker.model import Comment, Event, Ticket
from tracker.protocol import (
    STATUS,
    incident_key_of,
    is_notice,
    linked_incident_of,
    marker_key,
    notices_given,
    part_body,
    parts_of,
    read_data,
)
from tracker.views import Command


class LabelEvent(NamedTuple):
    """The latest event on one label."""

    kind: str  # "labeled" | "unlabeled"
    by_human: bool
    actor: str
    event_id: int


class AssignEvent(NamedTuple):
    """The latest event on one assignee."""

    kind: str  # "assigned" | "unassigned"
    by_human: bool


@dataclass(frozen=True, slots=True)
class Prepared:
    """Phase one of a ticket: what can be read without looking at other tickets."""

    ticket: Ticket
    facts: dict[str, Any]
    form: str | None
    missing: tuple[str, ...]
    invalid: tuple[tuple[str, str], ...]
    missing_text: str
    commands: tuple[Command, ...]
    denied: tuple[tuple[Comment, tuple[str, ...]], ...]  # a comment and the commands refused
    bot_comments: Mapping[str, Comment]  # the grader's own comments by marker key (the oldest)
    duplicates: tuple[tuple[Comment, frozenset[str]], ...]  # later comments and what older ones say too
    recorded: frozenset[str] | None  # the notices the status comment records (None: no record)
    given: frozenset[str]  # every notice given on the ticket: on it, or recorded as given
    incident_key: str | None  # for an incident ticket: its own key
    incident_data: Mapping[str, Any]
    linked_to: str | None  # for a member: the incident it was linked to
    first_grade: str
    first_rules: tuple[str, ...]
    opened: float
    comment_times: tuple[float, ...]  # epoch seconds of each of the ticket's comments, in order
    event_times: tuple[float, ...]  # epoch seconds of each of its events, in order
    label_events: Mapping[str, LabelEvent]
    assign_events: Mapping[str, AssignEvent]

    def has_said(self, key: str) -> bool:
        """Whether the grader said ``key`` on this ticket: its comment is there, or the status
        records it as given (a person deleted it: not said again)."""
        return key in self.bot_comments or key in self.given


class _Comments(NamedTuple):
    bot_comments: dict[str, Comment]
    duplicates: tuple[tuple[Comment, frozenset[str]], ...]
    commands: tuple[Command, ...]
    denied: tuple[tuple[Comment, tuple[str, ...]], ...]
    linked_to: str | None


class _Intake(NamedTuple):
    facts: dict[str, Any]
    form: str | None
    missing: tuple[str, ...]
    invalid: tuple[tuple[str, str], ...]
    missing_text: str


def prepare(ticket: Ticket, ctx: Context) -> Prepared:
    cfg = ctx.cfg
    comments = _read_comments(ticket, ctx)
    status = comments.bot_comments.get(STATUS)
    recorded = notices_given(part_body(status.body, STATUS)) if status is not None else None
    incident_key = None
    incident_data: dict[str, Any] = {}
    # Only the configured bot's tickets and comments are the grader's own: another app's
    # marker, like a person's, is text.
    key = marker_key(ticket.body) if ctx.is_grader(ticket.author) else None
    if key:
        incident_key = incident_key_of(key) or None
    if incident_key:
        incident_data = read_data(ticket.body)
        facts = dict(incident_data.get("facts", {}))
        facts["incident"] = True
        intake = _Intake(facts, None, (), (), "")
    else:
        intake = _read_form(ticket, ctx)
    facts = _with_derived(intake.facts, ctx)
    grade, rules = ctx.first_grade(facts)
    if incident_key:
        grade = incident_data.get("grade", grade)
        if grade not in cfg.grade_rank:
            grade = cfg.grading.default
    return Prepared(
        ticket=ticket,
        facts=facts,
        form=intake.form,
        missing=intake.missing,
        invalid=intake.invalid,
        missing_text=intake.missing_text,
        commands=comments.commands,
        denied=comments.denied,
        bot_comments=comments.bot_comments,
        duplicates=comments.duplicates,
        recorded=recorded,
        given=frozenset(k for k in comments.bot_comments if is_notice(k)) | (recorded or frozenset()),
        incident_key=incident_key,
        incident_data=incident_data,
        linked_to=comments.linked_to,
        first_grade=grade,
        first_rules=tuple(r.note or r.grade for r in rules),
        opened=epoch(ticket.created_at),
        comment_times=tuple([epoch(c.created_at) for c in ticket.comments]),
        event_times=tuple([epoch(e.created_at) for e in ticket.events]),
        label_events=_label_events(ticket.events, ctx),
        assign_events=_assign_events(ticket.events, ctx),
    )


def _read_comments(ticket: Ticket, ctx: Context) -> _Comments:
    """The grader's own comments by key, staff commands, and commands refused to others.

    Of two grader comments saying one thing (two runs at once both posted it), the older
    (lower id) is the one that counts; the later is listed in ``duplicates``.
    """
    bot_comments: dict[str, Comment] = {}
    duplicates: list[tuple[Comment, frozenset[str]]] = []
    commands: list[Command] = []
    denied: list[tuple[Comment, tuple[str, ...]]] = []
    linked_to = None
    for comment in sorted((c for c in ticket.comments if ctx.is_grader(c.author)), key=attrgetter("id")):
        key = marker_key(comment.body)
        parts = parts_of(key) if key else ()
        said = frozenset(part for part in parts if part in bot_comments)
        if said:
            duplicates.append((comment, said))
        for part in parts:
            bot_comments.setdefault(part, comment)
            linked_to = linked_incident_of(part) or linked_to
    for comment in ticket.comments:
        if ctx.is_bot(comment.author, comment.is_bot):
            continue
        found = _commands_in(comment, ctx)
        if not found:
            continue
        if ctx.is_staff(comment.author, comment.author_association):
            commands.extend(found)
        else:
            denied.append((comment, tuple(f"/{cmd.name}" for cmd in found)))
    return _Comments(bot_comments, tuple(duplicates), tuple(commands), tuple(denied), linked_to)


def _commands_in(comment: Comment, ctx: Context) -> list[Command]:
    return parse_commands(
        comment.body, ctx.known_commands, author=comment.author, at=comment.created_at,
        comment_id=comment.id,
    )  # fmt: skip


def _read_form(ticket: Ticket, ctx: Context) -> _Intake:
    """The facts of a customer ticket, and what it is missing."""
    cfg = ctx.cfg
    intake = parse_body(ticket.body, cfg, ticket.labels, title=ticket.title)
    facts = dict(intake.facts)
    form = intake.form
    if form:
        facts["type"] = cfg.form_by_id[form].type
    else:
        for t in cfg.types:
            if type_label(cfg, t.id) in ticket.labels:
                facts["type"] = t.id
                break
    missing, invalid = tuple(intake.missing), tuple(intake.invalid)
    missing_text = missing_info_message(intake, cfg) if (missing or invalid) else ""
    if form is None and not missing:
        # A ticket opened without a form still gets graded, but is asked for details.
        missing = ("form",)
        missing_text = msg.render(
            ctx.locale, "needs_info",
            details="- " + gettext(ctx.locale, "please use one of the ticket forms"),
        )  # fmt: skip
    return _Intake(facts, form, missing, invalid, missing_text)


def _with_derived(facts: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """``facts`` plus every derived fact not stated: the first option whose condition holds."""
    out = dict(facts)
    for name, options in ctx.cfg.derived.items():
        if name in out:
            continue
        for option in options:
            if condition_holds(option.when, out):
                out[name] = option.value
                break
    return out


def _label_events(events: tuple[Event, ...], ctx: Context) -> dict[str, LabelEvent]:
    out: dict[str, LabelEvent] = {}
    for e in events:
        if e.kind in ("labeled", "unlabeled") and e.label:
            out[e.label] = LabelEvent(e.kind, not ctx.is_bot(e.actor, e.is_bot), e.actor, e.id)
    return out


def _assign_events(events: tuple[Event, ...], ctx: Context) -> dict[str, AssignEvent]:
    out: dict[str, AssignEvent] = {}
    for e in events:
        if e.kind in ("assigned", "unassigned") and e.assignee:
            out[e.assignee] = AssignEvent(e.kind, not ctx.is_bot(e.actor, e.is_bot))
    return out
