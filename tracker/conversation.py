"""The grader's conversation: what it says about clocks, and saying it once per run.

Every new comment and @-mention is a notification, so the policy's ``comments`` section
decides how much is said (the defaults are the quiet ones):

- nothing about a clock once it stopped (``after_stop``), and no reminder at or after the
  deadline it reminds of: the escalation says that;
- mentions name the one person a step picks from each role (``whole_roles`` excepted);
- to-dos and reminders can be switched off per clock (``clocks.<id>``);
- everything new about a ticket in one run is one comment (``one_per_run``), whose marker
  key joins the keys of its parts so each part is found again on its own; on a ticket an
  incident links in that run, the link comment says it;
- the status comment is first posted with the grader's first other word on a ticket, not
  on its own (``status_alone``): a ticket the grader has nothing to say about gets no
  comment at all, its labels carry the grade and the clocks' state.

The status comment is edited, never re-posted: an edit notifies nobody.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

from tracker import messages as msg
from tracker.clocks import epoch, ladder_for
from tracker.config import ClockComments, Counting
from tracker.context import Context
from tracker.history import History
from tracker.i18n import format_span, format_time
from tracker.model import Action, OpenIncident, PostComment
from tracker.protocol import (
    STATUS,
    due_item_key,
    escalation_key,
    escalation_of,
    join_parts,
    marker_key,
    reminder_key,
    split_parts,
)
from tracker.reading import Prepared
from tracker.views import ClockView, Escalation, TicketView

_ALL_ON = ClockComments()


class Comments(NamedTuple):
    comments: tuple[PostComment, ...]
    notes: tuple[str, ...]


def clock_comments(p: Prepared, view: TicketView, h: History, ctx: Context) -> Comments:
    """Escalation steps that fell due, and the to-do notes and reminders of checklist clocks."""
    policy = ctx.cfg.comments
    loc = ctx.locale
    n = p.ticket.number
    now = epoch(view.at) if view.at is not None else float("inf")
    out: list[PostComment] = []
    notes: list[str] = []
    told: set[str] | None = None
    looked = False  # who was told is read from the comments only when an escalation needs it
    escalated = ""  # when the escalations are said: now, worded once
    for c in view.clocks:
        if c.stopped is not None and not policy.after_stop:
            continue  # nothing about a clock after it stopped
        spec = ctx.clock_by_id[c.id]
        lateness: _Lateness | None = None  # the same for every step of the clock: worked out once
        for e in c.escalations:
            key = _escalation_key(p, e, c)
            if key is None:
                continue
            mention = ctx.mentions(e.mention, n)
            people = set(mention.split())
            if not looked:
                told, looked = _told_since_last_word(p, ctx), True
            if told is not None and people <= told and not policy.retell:
                continue  # everyone it names was told, and nobody spoke since: labels say it
            told = (told or set()) | people
            escalated = escalated or format_time(ctx.to_dt(now))
            lateness = lateness or _lateness(c, ctx, now)
            out.append(PostComment(n, key, _escalation_text(c, e, h, ctx, n, now, mention, escalated, lateness)))
            notes.append(f"#{n} escalated '{c.id}' step {e.step + 1} (fell due {format_time(e.at)})")
        if not c.checklist or c.cycle != 0:
            continue
        switches = policy.clocks.get(c.id, _ALL_ON)
        command = next((s[8:] for s in spec.stop if s.startswith("command:")), "report")
        mention = ctx.mentions(spec.stop_by, n)
        due = format_time(c.due)
        if switches.todo and not p.has_said(due_item_key(c.id)):
            item = msg.render(loc, "due_item", clock=c.name, due=due, checklist=list(c.checklist),
                              command=command, mention=mention)  # fmt: skip
            out.append(PostComment(n, due_item_key(c.id), item))
        # One reminder as the deadline nears; at or after it the escalation speaks instead.
        reminds = switches.reminders and c.status == "at_risk" and now < epoch(c.due)
        if reminds and not p.has_said(reminder_key(c.id)):
            reminder = msg.render(loc, "due_reminder", clock=c.name, due=due,
                                  command=command, mention=mention)  # fmt: skip
            out.append(PostComment(n, reminder_key(c.id), reminder))
    return Comments(tuple(out), tuple(notes))


def _escalation_key(p: Prepared, e: Escalation, c: ClockView) -> str | None:
    """The key to announce ``e`` under, or None when it was announced.

    A step's first announcement has the plain key. When the due time moved (a regrade) and
    the step fell due again after that announcement, the new miss is announced under a key
    that names its due time.
    """
    plain = escalation_key(e.clock, e.cycle, e.step)
    said = p.bot_comments.get(plain)
    if said is None:
        return None if plain in p.given else plain
    if epoch(said.created_at) >= epoch(e.at):
        return None
    again = escalation_key(e.clock, e.cycle, e.step, epoch(c.due))
    return None if p.has_said(again) else again


def _told_since_last_word(p: Prepared, ctx: Context) -> set[str] | None:
    """Who the grader's escalations mentioned since a person last commented (None: no
    escalation since)."""
    told: set[str] | None = None
    for comment in p.ticket.comments:
        if not ctx.is_bot(comment.author, comment.is_bot):
            told = None
            continue
        key = marker_key(comment.body) if ctx.is_grader(comment.author) else None
        for text in split_parts(key, comment.body, only=_is_escalation).values() if key else ():
            told = (told or set()) | set(_MENTION.findall(text))
    return told


def _is_escalation(key: str) -> bool:
    return escalation_of(key) is not None


_MENTION = re.compile(r"(?<![\w`/])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?")


class _Lateness(NamedTuple):
    """How late a clock is now, as its escalations say it."""

    due: str
    late: str  # elapsed time past due ("" under a minute)
    counted: str  # clock time past due, when it differs from the elapsed time by a minute or more


def _lateness(c: ClockView, ctx: Context, now: float) -> _Lateness:
    loc = ctx.locale
    cal = ctx.calendars[ctx.clock_by_id[c.id].calendar]
    due = epoch(c.due)
    late = max(0.0, now - due)
    counted = cal.counted_s(due, now, c.counting) if c.counting != "elapsed" else late
    return _Lateness(
        format_time(c.due),
        format_span(late, loc) if late >= 60 else "",
        format_span(counted, loc) if abs(counted - late) >= 60 else "",
    )


def _escalation_text(
    c: ClockView, e: Escalation, h: History, ctx: Context, n: int, now: float, mention: str,
    escalated: str, lateness: _Lateness,
) -> str:
    """The escalation, saying plainly how late it is now, in clock time and elapsed time."""
    return msg.render(
        ctx.locale, "escalation", step=e.step, clock=c.name, cycle=c.cycle, due=lateness.due,
        escalated=escalated, late=lateness.late, counted=lateness.counted,
        staffed=_STAFFED[c.counting],
        mention=mention,
        assign=", ".join(w for w in (ctx.pick(r, n) for r in e.assign) if w),
        next_step=_next_step_time(c, e.step, h.grade, ctx, now),
    )  # fmt: skip


_STAFFED: dict[Counting, str] = {"elapsed": "", "manned": "manned", "working": "working"}


def _next_step_time(c: ClockView, step: int, grade: str, ctx: Context, now: float) -> str:
    """When the step after ``step`` falls due, if the clock still runs and it is still ahead."""
    spec = ctx.clock_by_id[c.id]
    ladder = ladder_for(spec, grade, ctx.cfg)
    if c.stopped is not None or ladder is None or step + 1 >= len(ladder.steps):
        return ""
    cal = ctx.calendars[spec.calendar]
    at = cal.add_s(epoch(c.due), ladder.steps[step + 1].after, c.counting)
    return format_time(ctx.to_dt(at)) if at > now else ""


def one_per_run(actions: Sequence[Action], ctx: Context) -> tuple[Action, ...]:
    """The plan's new comments on each ticket joined into one (the status comment last),
    placed where the ticket's first new comment was; on a ticket an incident opened in this
    run links, said in the link comment. A status comment with nothing else to say waits
    for the grader's first other word on the ticket (``comments.status_alone``)."""
    policy = ctx.cfg.comments
    if not policy.one_per_run:
        return tuple(actions)
    posts: dict[int, list[PostComment]] = {}
    for a in actions:
        if isinstance(a, PostComment):
            posts.setdefault(a.number, []).append(a)
    linked = {m for a in actions if isinstance(a, OpenIncident) for m in a.members}
    joined: dict[int, PostComment] = {}
    for number, group in posts.items():
        if not policy.status_alone and number not in linked and [c.key for c in group] == [STATUS]:
            continue  # the status waits for something else to say
        ordered = [c for c in group if c.key != STATUS] + [c for c in group if c.key == STATUS]
        key, body = join_parts([(c.key, c.body) for c in ordered])
        joined[number] = PostComment(number, key, body)
    out: list[Action] = []
    for a in actions:
        if isinstance(a, OpenIncident):
            said = tuple(joined.pop(m) for m in a.members if m in joined)
            out.append(replace(a, said=said) if said else a)
        elif not isinstance(a, PostComment):
            out.append(a)
        elif a is posts[a.number][0] and a.number in joined and a.number not in linked:
            out.append(joined[a.number])
    return tuple(out)
