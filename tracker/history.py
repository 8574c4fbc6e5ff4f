"""Reading a ticket's history: its staff commands and events, walked in time order.

Each command and each kind of event has a small handler in a table (``COMMANDS``,
``EVENTS``); the walk hands every item to its handler, which notes what it means in the
walk's running state. What comes out is a :class:`History`: the grade and how it changed,
when the ticket was resolved, closed, confirmed and rated, and the :class:`Timeline` the
clocks run on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import NamedTuple

from tracker.clocks import INF, Timeline, epoch
from tracker.commands import key_values, number_arg
from tracker.context import Context
from tracker.model import Event, Ticket
from tracker.protocol import bad_value_key, refused_grade_key, refused_grade_label_key
from tracker.reading import Prepared
from tracker.views import Command, GradeChange


class UndoLabel(NamedTuple):
    """A grade label someone who may not regrade put on: taken off again, with a note."""

    event_id: int
    label: str
    actor: str


class Answer(NamedTuple):
    """A reply the grader owes a person whose command or label it could not follow."""

    key: str  # the marker key of the reply (one per comment or event)
    template: str  # the comment template that says why
    context: tuple[tuple[str, str], ...]  # what the template is rendered with


class CloseEvent(NamedTuple):
    event_id: int
    actor: str
    by_human: bool


@dataclass(frozen=True, slots=True)
class History:
    grade: str
    graded_at: float
    changes: tuple[GradeChange, ...]
    resolved: float | None
    closed: float | None
    confirmed: float | None
    rating: int | None
    rated_at: float | None
    rating_comment: int | None
    bad_ratings: tuple[Command, ...]
    kb: bool
    kb_mark: str | None  # the staff act that last marked it for the knowledge base
    texts: dict[str, str]
    resolve_facts: Mapping[str, str]
    timeline: Timeline
    first_response: float | None
    last_close_event: CloseEvent | None
    undo_labels: tuple[UndoLabel, ...]
    answers: tuple[Answer, ...] = ()


@dataclass(slots=True)
class _Walk:
    """The running state of one walk through a ticket's history (private to :func:`read_history`)."""

    ticket: Ticket
    grade: str
    graded_at: float
    timeline: Timeline
    changes: list[GradeChange]
    resolved: float | None = None
    closed: float | None = None
    confirmed: float | None = None
    rating: int | None = None
    rated_at: float | None = None
    rating_comment: int | None = None
    bad_ratings: list[Command] = field(default_factory=list)
    kb: bool = False
    kb_mark: str | None = None
    texts: dict[str, str] = field(default_factory=dict)
    resolve_facts: dict[str, str] = field(default_factory=dict)
    pause_start: float | None = None
    pauses: list[tuple[float, float]] = field(default_factory=list)
    last_close: CloseEvent | None = None
    undo_labels: list[UndoLabel] = field(default_factory=list)
    floor: tuple[str, str] | None = None  # (grade, rule) the rules fix the ticket at, at least
    own: frozenset[int] = frozenset()  # ids of the ticket's own comments (not the incident's)
    answers: list[Answer] = field(default_factory=list)

    def resolve(self, at: float) -> None:
        if self.resolved is None:
            self.resolved = at
            self.timeline.resolutions.append(at)

    def regrade(self, at: float, new: str, by: str, why: str, ctx: Context, refused_key: str = "") -> None:
        """Change the grade, unless it goes below the rules' floor: then say why, once."""
        floor = self.floor
        if floor and ctx.cfg.grade_rank[new] < ctx.cfg.grade_rank[floor[0]]:
            if refused_key:
                names = {g: ctx.cfg.grade_by_id[g].label(ctx.locale) for g in (new, floor[0])}
                context = (("author", by), ("asked", names[new]), ("floor", names[floor[0]]), ("rule", floor[1]))
                self.answers.append(Answer(refused_key, "refused_grade", context))
            return
        if new != self.grade:
            self.grade, self.graded_at = new, at
            self.changes.append(GradeChange(ctx.to_dt(at), new, by, why))

    def pause(self, at: float) -> None:
        if self.pause_start is None:
            self.pause_start = at

    def resume(self, at: float) -> None:
        if self.pause_start is not None:
            self.pauses.append((self.pause_start, at))
            self.pause_start = None


# --------------------------------------------------------------------------- commands

CommandHandler = Callable[[_Walk, Command, float, Context], None]


def _on_grade(w: _Walk, cmd: Command, at: float, ctx: Context) -> None:
    words = cmd.args.split()
    new = ctx.grade_id(words[0]) if words else None
    if new:
        w.regrade(at, new, cmd.author, cmd.text, ctx, refused_grade_key(cmd.comment_id))


def _on_resolve(w: _Walk, cmd: Command, at: float, ctx: Context) -> None:
    w.resolve(at)
    given = key_values(cmd.args)
    w.resolve_facts.update(given)
    measured = {m.fact for m in ctx.cfg.final_grade.measures}
    unread = [f"{k}={v}" for k, v in given.items() if k in measured and number_arg(v) is None]
    if unread and cmd.comment_id in w.own:
        context = (("author", cmd.author), ("values", " ".join(unread)))
        w.answers.append(Answer(bad_value_key(cmd.comment_id), "bad_value", context))


def _on_reopen(w: _Walk, cmd: Command, at: float, ctx: Context) -> None:
    w.resolved = w.closed = None


def _on_confirm(w: _Walk, cmd: Command, at: float, ctx: Context) -> None:
    w.confirmed = at
    w.timeline.add("confirmed", at, cmd.author)


def _on_rate(w: _Walk, cmd: Command, at: float, ctx: Context) -> None:
    score = _score(cmd.args)
    if score is None or (ctx.scores and score not in ctx.scores):
        w.bad_ratings.append(cmd)
        return
    w.rating, w.rated_at, w.rating_comment = score, at, cmd.comment_id
    w.timeline.add("rated", at, cmd.author)
    sat = ctx.cfg.satisfaction
    if sat and sat.reopen_on_low and score <= sat.escalate_at_or_below:
        w.resolved = None


def _on_pause(w: _Walk, cmd: Command, at: float, ctx: Context) -> None:
    w.pause(at)


def _on_resume(w: _Walk, cmd: Command, at: float, ctx: Context) -> None:
    w.resume(at)


def _on_kb(w: _Walk, cmd: Command, at: float, ctx: Context) -> None:
    w.kb = cmd.args.strip().lower() not in ("off", "no", "remove")
    w.kb_mark = f"c{cmd.comment_id}" if w.kb else None


COMMANDS: Mapping[str, CommandHandler] = {
    "grade": _on_grade,
    "resolve": _on_resolve,
    "reopen": _on_reopen,
    "confirm": _on_confirm,
    "rate": _on_rate,
    "pause": _on_pause,
    "resume": _on_resume,
    "kb": _on_kb,
}
"""What a staff command changes beyond being noted on the timeline (most only are)."""


def _command(w: _Walk, cmd: Command, at: float, ctx: Context) -> None:
    trigger = f"command:{cmd.name}"
    w.timeline.add(trigger, at, cmd.author)
    if cmd.args:
        w.timeline.args[(trigger, at)] = cmd.args
    text = (cmd.args + ("\n" + cmd.text if cmd.text else "")).strip()
    if text:
        w.texts[cmd.name] = text
    handler = COMMANDS.get(cmd.name)
    if handler is not None:
        handler(w, cmd, at, ctx)


def _score(args: str) -> int | None:
    words = args.split()
    try:
        return int(words[0]) if words else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- events

EventHandler = Callable[[_Walk, Event, float, bool, Context], None]


def _on_labeled(w: _Walk, e: Event, at: float, human: bool, ctx: Context) -> None:
    if not e.label:
        return
    labels = ctx.cfg.labels
    if human:
        w.timeline.add(f"label:{e.label}", at, e.actor)
    staff = ctx.is_staff(e.actor, _association(w.ticket, e.actor)) if human else False
    if e.label in ctx.grade_labels and human:
        if staff:
            w.regrade(at, ctx.grade_labels[e.label], e.actor, "label", ctx, refused_grade_label_key(e.id))
        else:
            w.undo_labels.append(UndoLabel(e.id, e.label, e.actor))
    elif e.label == labels.paused and staff and w.pause_start is None:
        w.pause_start = at
    elif e.label == labels.kb and staff:
        w.kb, w.kb_mark = True, f"e{e.id}"


def _on_unlabeled(w: _Walk, e: Event, at: float, human: bool, ctx: Context) -> None:
    if not e.label or not human:
        return
    labels = ctx.cfg.labels
    staff = ctx.is_staff(e.actor, _association(w.ticket, e.actor))
    if e.label == labels.paused and staff and w.pause_start is not None:
        w.resume(at)
    elif e.label == labels.kb and staff:
        w.kb, w.kb_mark = False, None


def _on_assigned(w: _Walk, e: Event, at: float, human: bool, ctx: Context) -> None:
    if human:
        w.timeline.add("assigned", at, e.actor)


def _on_closed(w: _Walk, e: Event, at: float, human: bool, ctx: Context) -> None:
    w.closed = at
    w.resolve(at)
    w.last_close = CloseEvent(e.id, e.actor, human)


def _on_reopened(w: _Walk, e: Event, at: float, human: bool, ctx: Context) -> None:
    w.closed = None
    if human:
        w.resolved = None


EVENTS: Mapping[str, EventHandler] = {
    "labeled": _on_labeled,
    "unlabeled": _on_unlabeled,
    "assigned": _on_assigned,
    "closed": _on_closed,
    "reopened": _on_reopened,
}
"""What an event on the ticket means; other kinds (``renamed`` ...) mean nothing here."""


def _association(t: Ticket, login: str) -> str:
    """Events carry no author_association; use what the person showed elsewhere on the ticket."""
    if login == t.author:
        return t.author_association
    for comment in t.comments:
        if comment.author == login:
            return comment.author_association
    return "NONE"


# --------------------------------------------------------------------------- the walk


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
    t = p.ticket
    items: list[tuple[float, int, Command | Event]] = []
    for cmd in (*p.commands, *incident_commands):
        items.append((epoch(cmd.at), cmd.comment_id, cmd))
    for e, at in zip(t.events, p.event_times, strict=True):
        items.append((at, e.id, e))
    items.sort(key=itemgetter(0, 1))

    w = _Walk(
        ticket=t,
        grade=p.first_grade,
        graded_at=p.opened,
        timeline=Timeline(opened=p.opened, graded=p.opened),
        changes=[GradeChange(t.created_at, p.first_grade, "rules", ", ".join(p.first_rules))],
        floor=_floor(p, ctx),
        own=frozenset(c.comment_id for c in p.commands),
    )
    for at, _, item in items:
        if isinstance(item, Command):
            _command(w, item, at, ctx)
        else:
            handler = EVENTS.get(item.kind)
            if handler is not None:
                handler(w, item, at, not ctx.is_bot(item.actor, item.is_bot), ctx)
    if w.pause_start is not None:
        w.pauses.append((w.pause_start, INF))
    resolved = w.resolved
    # An incident resolved before this ticket was opened did not resolve it.
    if incident_resolved is not None and incident_resolved >= p.opened and (
        resolved is None or incident_resolved < resolved
    ):
        resolved = incident_resolved
    tl = w.timeline
    if resolved is not None:
        tl.add("resolved_mark", resolved)
        if resolved not in tl.resolutions:
            tl.resolutions.append(resolved)
    for name, value in p.facts.items():
        # A time the reporter stated (when the fault began) can start a clock; a stated
        # time later than the ticket itself is not believed.
        if isinstance(value, datetime) and value.tzinfo is not None and epoch(value) <= p.opened:
            tl.add(f"field:{name}", epoch(value))
    first_response = _staff_replies(p, tl, ctx)
    tl.graded = w.graded_at
    tl.resolved = resolved
    tl.closed = w.closed
    tl.pauses = w.pauses
    return History(
        grade=w.grade,
        graded_at=w.graded_at,
        changes=tuple(w.changes),
        resolved=resolved,
        closed=w.closed,
        confirmed=w.confirmed,
        rating=w.rating,
        rated_at=w.rated_at,
        rating_comment=w.rating_comment,
        bad_ratings=tuple(w.bad_ratings),
        kb=w.kb,
        kb_mark=w.kb_mark,
        texts=w.texts,
        resolve_facts=w.resolve_facts,
        timeline=tl,
        first_response=first_response,
        last_close_event=w.last_close,
        undo_labels=tuple(w.undo_labels),
        answers=tuple(w.answers),
    )


def _floor(p: Prepared, ctx: Context) -> tuple[str, str] | None:
    """The highest grade a ``fixed`` grading rule gives the ticket, and that rule: no regrade
    goes below it (a safety accident stays L3 whoever regrades it). Other rules give a first
    grade staff may change; a grade stated on the form is not a floor either."""
    return ctx.floor(p.facts)


def _staff_replies(p: Prepared, tl: Timeline, ctx: Context) -> float | None:
    """Note every staff reply on the timeline; the first one's time.

    The person who opened the ticket answering it is a reply when they are named in a role
    (an agent logging a call answers it); an organisation member who reported a fault
    adding to it is not.
    """
    t = p.ticket
    first_response = None
    for comment, at in zip(t.comments, p.comment_times, strict=True):
        if comment.author == t.author and comment.author not in ctx.cfg.staff_logins:
            continue
        if not ctx.is_staff(comment.author, comment.author_association, comment.is_bot):
            continue
        tl.add("staff_reply", at, comment.author)
        if first_response is None:
            first_response = at
    return first_response
