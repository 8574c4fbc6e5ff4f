"""A ticket's desired state: its labels, its assignees, the grader's comments, open or closed.

Each part is its own function over the ticket's reading (:class:`Prepared`), its view and
its history; none changes its inputs. :func:`desire` puts them together as the actions
that take the ticket from what it is to what it should be, in the order they are applied:
labels, assignees, close or reopen, then the comments (the status comment last).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from tracker import messages as msg
from tracker.clocks import epoch
from tracker.config_values import condition_holds
from tracker.context import Context
from tracker.conversation import Comments, clock_comments
from tracker.history import History
from tracker.i18n import format_names, format_time
from tracker.kb_approval import approval_comment
from tracker.labels import category_label, grade_label, type_label
from tracker.model import (
    Action,
    CloseTicket,
    Comment,
    DeleteComment,
    EditComment,
    PostComment,
    ReopenTicket,
    SetAssignees,
    SetLabels,
)
from tracker.protocol import (
    DUE_ITEM,
    KB_APPROVED,
    RATE_REQUEST,
    STATUS,
    bad_rating_key,
    close_blocked_key,
    denied_key,
    drop_parts,
    has_signature,
    kept_notices,
    kind_of,
    low_rating_key,
    marker_key,
    needs_info_key,
    notice_record,
    part_body,
    parts_of,
    rate_request_key,
    replace_parts,
    signature,
    undo_label_key,
)
from tracker.reading import Prepared
from tracker.views import ClockView, TicketView

MAX_ASSIGNEES = 10


@dataclass(frozen=True, slots=True)
class Desired:
    """The actions for one ticket, in order, and one line of why per decision."""

    actions: tuple[Action, ...]
    notes: tuple[str, ...]


class StateChange(NamedTuple):
    action: CloseTicket | ReopenTicket | None
    comments: tuple[PostComment, ...]
    notes: tuple[str, ...]


def desire(p: Prepared, view: TicketView, h: History, ctx: Context) -> Desired:
    """Every action that brings the ticket to its desired state."""
    t = p.ticket
    change = state_change(p, view, h, ctx)
    is_open = t.state == "open"
    if isinstance(change.action, CloseTicket):
        is_open = False
    elif isinstance(change.action, ReopenTicket):
        is_open = True
    assignable = t.state == "open" or isinstance(change.action, ReopenTicket)
    labels = desired_labels(p, view, h, ctx, is_open=is_open)
    people = desired_assignees(p, view, h, ctx, assignable=assignable)
    comments = desired_comments(p, view, h, ctx, is_open=is_open)
    loud, replies = replies_to_the_actor(p, view, h, ctx, comments.comments)
    new = [part for c in (*change.comments, *loud, *replies) for part in parts_of(c.key)]
    waits = _status_waits(p, ctx, change.comments + comments.comments)
    status = None if waits else status_comment(p, view, h, ctx, replies, p.given | set(new))

    actions: list[Action] = []
    notes = list(change.notes)
    if labels is not None:
        actions.append(labels)
        notes.append(
            f"#{t.number} labels +{','.join(labels.add) or '-'} -{','.join(labels.remove) or '-'}"
        )
    if people is not None:
        actions.append(people)
    if change.action is not None:
        actions.append(change.action)
    edited = status.comment_id if isinstance(status, EditComment) else None
    actions.extend(a for a in duplicate_comments(p) if a.comment_id != edited)  # its edit drops them
    actions.extend(change.comments)
    actions.extend(loud)
    if isinstance(status, PostComment):
        actions.extend(replies)  # posted with the new status comment (one per run joins them)
    if status is not None:
        actions.append(status)
    notes.extend(comments.notes)
    return Desired(tuple(actions), tuple(notes))


def _status_waits(p: Prepared, ctx: Context, said: tuple[PostComment, ...]) -> bool:
    """Whether the first status comment of an incident ticket waits: the grader has nothing
    else to say on it in this run, and the policy posts no status comment alone
    (:func:`tracker.conversation.one_per_run` would hold it back; no incident links an
    incident ticket, so nothing else says it). Not worded at all, then."""
    policy = ctx.cfg.comments
    return (
        bool(p.incident_key) and policy.one_per_run and not policy.status_alone
        and STATUS not in p.bot_comments and not said
    )  # fmt: skip


def _unposted(p: Prepared, comments: list[PostComment]) -> tuple[PostComment, ...]:
    """The comments not yet on the ticket (the grader's own comment with that key)."""
    return tuple(c for c in comments if not p.has_said(c.key))


def _is_low(h: History, ctx: Context) -> bool:
    sat = ctx.cfg.satisfaction
    return sat is not None and h.rating is not None and h.rating <= sat.escalate_at_or_below


# --------------------------------------------------------------------------- open or closed


def state_change(p: Prepared, view: TicketView, h: History, ctx: Context) -> StateChange:
    """Close after a rating, reopen a close the rules forbid, close members of a resolved incident."""
    cfg = ctx.cfg
    t = p.ticket
    n = t.number
    sat = cfg.satisfaction
    low = _is_low(h, ctx)
    blocked = _close_blocked(p, h, ctx)
    last_close = h.last_close_event
    if t.state == "closed" and blocked and last_close and last_close.by_human:
        body = msg.render(ctx.locale, "close_blocked", requirement=blocked[0], roles=blocked[1])
        comments = _unposted(p, [PostComment(n, close_blocked_key(last_close.event_id), body)])
        return StateChange(
            ReopenTicket(n), comments, (f"#{n} reopened: closing needs {blocked[0]}",)
        )
    if t.state == "closed" and low and sat and sat.reopen_on_low and h.rated_at and h.closed and h.closed < h.rated_at:
        return StateChange(ReopenTicket(n), (), ())
    if t.state == "open" and h.resolved is not None and not blocked:
        rated_after = h.rated_at is not None and h.rated_at >= h.resolved
        if sat and rated_after and h.rating is not None:
            # At or above the closing score it closes; a low rating closes too (after the
            # follow-up is asked for) unless the rulebook sends it back to the department.
            closes = h.rating >= sat.close_at_or_above or (low and not sat.reopen_on_low)
            if closes:
                return StateChange(
                    CloseTicket(n, "completed"), (), (f"#{n} closed after a rating of {h.rating}",)
                )
        elif not sat and not cfg.close_rules and view.incident_key and not p.incident_key:
            return StateChange(CloseTicket(n, "completed"), (), ())
    if t.state == "open" and h.resolved is not None and p.incident_key and not blocked:
        # An incident ticket is not rated: its resolution closes it (its members follow).
        return StateChange(CloseTicket(n, "completed"), (), (f"#{n} incident closed on resolution",))
    return StateChange(None, (), ())


def _close_blocked(p: Prepared, h: History, ctx: Context) -> tuple[str, str] | None:
    """The first closing requirement not yet met, as (what, by whom), or None."""
    cfg = ctx.cfg
    facts = {**p.facts, "grade": h.grade}
    for rule in cfg.close_rules:
        if rule.applies and not condition_holds(rule.applies, facts):
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


# --------------------------------------------------------------------------- labels


def desired_labels(
    p: Prepared, view: TicketView, h: History, ctx: Context, *, is_open: bool
) -> SetLabels | None:
    """The labels to add and remove, for the state the ticket is left in (None: none)."""
    cfg = ctx.cfg
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
    have = set(p.ticket.labels)
    add, remove = [], []
    for label in sorted(want - have):
        last = p.label_events.get(label)
        if last and last.kind == "unlabeled" and last.by_human and label not in ctx.grade_labels:
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
        if last and last.kind == "labeled" and last.by_human:
            continue  # a person put it on: respected
        remove.append(label)
    if not add and not remove:
        return None
    return SetLabels(p.ticket.number, tuple(add), tuple(remove))


# --------------------------------------------------------------------------- assignees


def desired_assignees(
    p: Prepared, view: TicketView, h: History, ctx: Context, *, assignable: bool
) -> SetAssignees | None:
    """The people to add: the grade's owner, escalation roles, the low-rating follow-up."""
    cfg = ctx.cfg
    t = p.ticket
    n = t.number
    want: list[str] = []
    owner_role = cfg.grading.owners.get(h.grade)
    if owner_role and assignable:
        who = ctx.pick(owner_role, n)
        if who:
            want.append(who)
    for e in view.escalations:
        for role in e.assign:
            who = ctx.pick(role, n)
            if who and who not in want:
                want.append(who)
    sat = cfg.satisfaction
    if sat is not None and _is_low(h, ctx):
        who = ctx.pick(sat.escalate_to, n)
        if who and who not in want:
            want.append(who)
    add = []
    for who in want:
        if who in t.assignees:
            continue
        last = p.assign_events.get(who)
        if last and last.kind == "unassigned" and last.by_human:
            continue  # a person took them off: respected
        add.append(who)
    room = MAX_ASSIGNEES - len(t.assignees)
    if not add or room <= 0 or not assignable:
        return None
    return SetAssignees(n, tuple(add[:room]), ())


# --------------------------------------------------------------------------- comments


def desired_comments(
    p: Prepared, view: TicketView, h: History, ctx: Context, *, is_open: bool
) -> Comments:
    """The grader's comments not yet posted: answers, escalations, due items, ratings."""
    answers = _answers(p, h, ctx, is_open=is_open)
    clocks = clock_comments(p, view, h, ctx)
    ratings = _rating_comments(p, h, ctx)
    return Comments(answers + clocks.comments + ratings, clocks.notes)


def _answers(p: Prepared, h: History, ctx: Context, *, is_open: bool) -> tuple[PostComment, ...]:
    """Asking for missing details, and answering what people may not do."""
    loc = ctx.locale
    n = p.ticket.number
    out: list[PostComment] = []
    if is_open and (p.missing or p.invalid):
        out.append(PostComment(n, needs_info_key(p.missing_text), p.missing_text))
    for comment, names in p.denied:
        body = msg.render(loc, "denied", author=comment.author, commands=" ".join(names))
        out.append(PostComment(n, denied_key(comment.id), body))
    for undo in h.undo_labels:
        body = msg.render(loc, "undo_label", author=undo.actor, label=undo.label)
        out.append(PostComment(n, undo_label_key(undo.event_id), body))
    for cmd in h.bad_ratings:
        body = msg.render(loc, "bad_rating", value=cmd.args, scale=_scale(ctx))
        out.append(PostComment(n, bad_rating_key(cmd.comment_id), body))
    approval = approval_comment(p, h, ctx)
    if approval is not None:
        out.append(approval)
    for answer in h.answers:
        out.append(PostComment(n, answer.key, msg.render(loc, answer.template, **dict(answer.context))))
    return _unposted(p, out)


def _rating_comments(p: Prepared, h: History, ctx: Context) -> tuple[PostComment, ...]:
    """The request to rate a resolution, and the follow-up on a low rating."""
    cfg = ctx.cfg
    sat = cfg.satisfaction
    if sat is None:
        return ()
    loc = ctx.locale
    n = p.ticket.number
    out: list[PostComment] = []
    resolved = h.resolved
    unrated = resolved is not None and (h.rated_at is None or h.rated_at < resolved)
    if resolved is not None and unrated and sat.request_on_resolve and not p.incident_key:
        facts = {**p.facts, "grade": h.grade}
        confirm = any(
            r.requires in ("confirmed", "command:confirm") and condition_holds(r.applies, facts)
            for r in cfg.close_rules
        )
        body = msg.render(loc, "rate_request", scale=_scale(ctx), confirm=confirm)
        out.append(PostComment(n, rate_request_key(resolved), body))
    if h.rating is not None and _is_low(h, ctx) and h.rating_comment is not None:
        score = ctx.scores.get(h.rating)
        body = msg.render(
            loc, "low_rating", score=h.rating, score_name=score.label(loc) if score else h.rating,
            mention=ctx.mentions([sat.escalate_to], n), reopened=sat.reopen_on_low,
            penalty=sat.penalties.get(h.rating, 0),
        )  # fmt: skip
        out.append(PostComment(n, low_rating_key(h.rating_comment), body))
    return _unposted(p, out)


def _scale(ctx: Context) -> str:
    sat = ctx.cfg.satisfaction
    if not sat:
        return ""
    return format_names((f"{s.score} {s.label(ctx.locale)}" for s in sat.scale), ctx.locale)


# --------------------------------------------------------------------------- replies


def replies_to_the_actor(
    p: Prepared, view: TicketView, h: History, ctx: Context, comments: tuple[PostComment, ...]
) -> tuple[tuple[PostComment, ...], tuple[PostComment, ...]]:
    """``comments`` split into (new comments, replies said in the status comment).

    A reply to the person who just acted, about their own act that worked, notifies nobody
    who needs it: their own comment already told everyone on the ticket. It is said in the
    status comment (``comments.replies_in_status``): the knowledge-base record of a ``/kb``,
    the rating request after a ``/resolve`` someone commented, a to-do whose only owner is
    the person whose comment started its clock. A reply about an act that did not work (a
    denied command, a value that cannot be read) is a new comment: its author must see it.
    Each is decided from the history alone, so a late run decides as an on-time one.
    """
    if not ctx.cfg.comments.replies_in_status:
        return comments, ()
    loud: list[PostComment] = []
    quiet: list[PostComment] = []
    for c in comments:
        (quiet if _is_reply(p, view, h, ctx, c.key) else loud).append(c)
    return tuple(loud), tuple(quiet)


def _is_reply(p: Prepared, view: TicketView, h: History, ctx: Context, key: str) -> bool:
    kind = kind_of(key)
    if kind == KB_APPROVED:
        return True
    if kind == RATE_REQUEST:
        return h.resolved is not None and bool(_commented_at(p, ctx, h.resolved))
    if kind == DUE_ITEM:
        clock = view.clock(key.split(":", 1)[1], 0)
        if clock is None:
            return False
        owners = set(ctx.mentions(ctx.clock_by_id[clock.id].stop_by, p.ticket.number).split())
        return bool(owners) and owners <= _commented_at(p, ctx, epoch(clock.started))
    return False


def _commented_at(p: Prepared, ctx: Context, at: float) -> set[str]:
    """The people (as @-mentions) whose comment on the ticket was made at ``at``."""
    return {
        f"@{c.author}"
        for c, c_at in zip(p.ticket.comments, p.comment_times, strict=True)
        if not ctx.is_bot(c.author, c.is_bot) and c_at == at
    }


# --------------------------------------------------------------------------- duplicates


def duplicate_comments(p: Prepared) -> tuple[DeleteComment | EditComment, ...]:
    """The grader's comments that say again what an older one of its comments says (two runs
    at once both posted it): deleted, or, when a comment says something else too, edited to
    say only that. The oldest stays, so every run agrees which one that is."""
    n = p.ticket.number
    out: list[DeleteComment | EditComment] = []
    for comment, said in p.duplicates:
        key = marker_key(comment.body) or ""
        if said >= set(parts_of(key)):
            out.append(DeleteComment(n, key, comment.id))
        else:
            rest, body = drop_parts(comment.body, said)
            out.append(EditComment(n, rest, comment.id, body))
    return tuple(out)


def _unrepeated(p: Prepared, comment: Comment) -> str:
    """``comment``'s body without the parts an older comment of the grader's says too."""
    said = next((parts for c, parts in p.duplicates if c.id == comment.id), frozenset())
    return drop_parts(comment.body, said)[1] if said else comment.body


# --------------------------------------------------------------------------- status


def status_comment(
    p: Prepared,
    view: TicketView,
    h: History,
    ctx: Context,
    replies: tuple[PostComment, ...] = (),
    notices: frozenset[str] = frozenset(),
) -> PostComment | EditComment | None:
    """One status comment per ticket, edited only when what it shows changes, a reply to
    the person who just acted is said in it (a new status comment: the caller posts the
    replies with it), or it does not yet record a notice of ``notices`` as given."""
    cfg = ctx.cfg
    n = p.ticket.number
    shown: list[ClockView] = []
    by_id: dict[str, list[ClockView]] = {}
    for c in view.clocks:
        by_id.setdefault(c.id, []).append(c)
    for rounds in by_id.values():
        shown.extend(rounds[-2:])  # a repeating clock shows its last two rounds
    owner_role = cfg.grading.owners.get(h.grade)
    owner = f"@{ctx.pick(owner_role, n)}" if owner_role and ctx.pick(owner_role, n) else ""
    sig_src = repr((h.grade, view.final_grade, owner, view.paused, ctx.locale,
                    [(c.id, c.cycle, c.status, int(epoch(c.due))) for c in shown]))  # fmt: skip
    existing = p.bot_comments.get(STATUS)
    record = kept_notices(notices)
    recorded = record <= (p.recorded or frozenset())
    if existing is not None and recorded and has_signature(part_body(existing.body, STATUS), sig_src):
        if not replies:
            return None
        key, whole = replace_parts(_unrepeated(p, existing), [(r.key, r.body) for r in replies], last=STATUS)
        return EditComment(n, key, existing.id, whole)
    loc = ctx.locale
    grade_name = cfg.grade_by_id[h.grade].label(loc)
    final = cfg.grade_by_id[view.final_grade].label(loc) if view.final_grade else ""
    rows = [
        {"name": c.name, "cycle": c.cycle, "started": format_time(c.started),
         "due": format_time(c.due), "status": msg.clock_status(loc, c.status)}
        for c in shown
    ]  # fmt: skip
    body = signature(sig_src) + "\n" + notice_record(record) + "\n" + msg.render(
        loc, "status", grade=grade_name, final=final, owner=owner, paused=view.paused, clocks=rows
    )
    if existing is None:
        return PostComment(n, STATUS, body)
    said = [(r.key, r.body) for r in replies] + [(STATUS, body)]  # with other things, once
    key, whole = replace_parts(_unrepeated(p, existing), said, last=STATUS)
    return EditComment(n, key, existing.id, whole)
