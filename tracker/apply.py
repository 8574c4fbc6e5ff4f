"""Carry out a :class:`~tracker.model.Plan` through a hub, one action at a time, in order.

Every write that might already have happened (a comment, an incident) is looked up first
by its hidden marker, so applying the same plan twice writes nothing the second time.
A hub exception stops the apply and propagates; the actions before it are already done
and logged, and the next run converges because the plan is recomputed from state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.hub import Hub
from tracker.ledger import Ledger
from tracker.model import (
    Action,
    CloseTicket,
    DeleteComment,
    EditComment,
    OpenIncident,
    Plan,
    PostComment,
    ReopenTicket,
    SetAssignees,
    SetLabels,
)
from tracker.protocol import (
    STATUS,
    fill_incident_number,
    incident_key,
    incident_link_key,
    join_parts,
    split_parts,
    with_marker,
)

__all__ = ["ApplyReport", "apply_plan"]

_KINDS: dict[type, str] = {
    SetLabels: "set_labels",
    SetAssignees: "set_assignees",
    PostComment: "post_comment",
    EditComment: "edit_comment",
    DeleteComment: "delete_comment",
    OpenIncident: "open_incident",
    CloseTicket: "close",
    ReopenTicket: "reopen",
}


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """What an apply did (or, with ``dry_run``, would do).

    ``applied`` counts actions that wrote something, ``skipped`` those that found nothing
    to do, ``writes`` the hub write calls. ``outcomes`` pairs each action with one line.
    """

    applied: int = 0
    skipped: int = 0
    writes: int = 0
    outcomes: tuple[tuple[Action, str], ...] = ()
    dry_run: bool = False

    def lines(self) -> list[str]:
        """One printable line per action: ``#12 set_labels: labels +bug -triage``."""
        return [
            f"{_target(action)} {_KINDS[type(action)]}: {text}" for action, text in self.outcomes
        ]


@dataclass(slots=True)
class _Step:
    """The hub writes of one action: skipped in a dry run, counted either way."""

    hub: Hub
    dry_run: bool
    writes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # goes into the action log
    number: int | None = None  # the ticket the log line is about

    def write(self, fn: Callable[..., Any], *args: Any) -> Any:
        result = None if self.dry_run else fn(*args)
        self.writes += 1
        return result


def apply_plan(
    plan: Plan,
    hub: Hub,
    *,
    store: Ledger | None = None,
    run_id: str = "",
    now: datetime | None = None,
    dry_run: bool = False,
    on_action: Callable[[Action, str], None] | None = None,
) -> ApplyReport:
    """Apply ``plan`` through ``hub`` in order and return what was done.

    With ``store``, every action that wrote something is appended to its action log under
    ``run_id`` at ``now`` (default ``hub.now()``). ``dry_run`` reads but never writes (not
    even the log) and reports what would be done. ``on_action(action, outcome)`` is called
    after each action. A hub exception propagates at once, with a note saying how far the
    apply got; everything before it is done and logged.
    """
    at = now if now is not None else hub.now()
    applied = skipped = writes = 0
    outcomes: list[tuple[Action, str]] = []
    for index, action in enumerate(plan.actions, start=1):
        step = _Step(hub, dry_run, number=getattr(action, "number", None))
        try:
            outcome = _apply_one(action, step)
        except Exception as exc:
            if step.writes and not dry_run:
                _record(store, run_id, at, action, step, f"failed part-way: {exc}")
            exc.add_note(
                f"apply stopped at action {index} of {len(plan.actions)} "
                f"({_target(action)} {_KINDS[type(action)]}); the {index - 1} before it "
                "were applied and the next run will pick up the rest"
            )
            raise
        writes += step.writes
        if step.writes:
            applied += 1
            if not dry_run:
                _record(store, run_id, at, action, step, outcome)
                if store is not None and isinstance(action, DeleteComment):
                    store.delete_comment(action.comment_id)  # no list of changes shows a deletion
        else:
            skipped += 1
        outcomes.append((action, outcome))
        if on_action is not None:
            on_action(action, outcome)
    return ApplyReport(applied, skipped, writes, tuple(outcomes), dry_run)


def _apply_one(action: Action, step: _Step) -> str:
    match action:
        case SetLabels() | SetAssignees():
            return _set_names(action, step)
        case PostComment():
            return _post_comment(action, step)
        case EditComment():
            return _edit_comment(action, step)
        case DeleteComment():
            step.write(step.hub.delete_comment, action.number, action.comment_id)
            return _say(step, f"delete comment {action.comment_id} [{action.key}]",
                        f"deleted comment {action.comment_id} [{action.key}]")  # fmt: skip
        case OpenIncident():
            return _open_incident(action, step)
        case CloseTicket():
            step.write(step.hub.close, action.number, action.reason)
            return _say(step, f"close ({action.reason})", f"closed ({action.reason})")
        case ReopenTicket():
            step.write(step.hub.reopen, action.number)
            return _say(step, "reopen", "reopened")
    raise TypeError(f"not a plan action: {action!r}")


def _set_names(action: SetLabels | SetAssignees, step: _Step) -> str:
    if not action.add and not action.remove:
        return "nothing to change"
    is_labels = isinstance(action, SetLabels)
    fn = step.hub.set_labels if is_labels else step.hub.set_assignees
    step.write(fn, action.number, action.add, action.remove)
    what = "labels" if is_labels else "assignees"
    change = " ".join([f"+{n}" for n in action.add] + [f"-{n}" for n in action.remove])
    return _say(step, f"set {what} {change}", f"{what} {change}")


def _post_comment(action: PostComment, step: _Step) -> str:
    existing = step.hub.find_marked_comment(action.number, action.key)
    if existing is not None:
        return f"already there (comment {existing.id})"
    posted = step.write(step.hub.post_comment, action.number, with_marker(action.key, action.body))
    if posted is None:
        return f"would post comment [{action.key}]"
    step.extra["comment_id"] = posted.id
    return f"posted comment {posted.id} [{action.key}]"


def _edit_comment(action: EditComment, step: _Step) -> str:
    body = with_marker(action.key, action.body)
    step.write(step.hub.edit_comment, action.number, action.comment_id, body)
    return _say(step, f"edit comment {action.comment_id}", f"edited comment {action.comment_id}")


def _open_incident(action: OpenIncident, step: _Step) -> str:
    hub = step.hub
    number = hub.find_incident(action.key)
    opened = number is None
    if number is None:
        body = with_marker(incident_key(action.key), action.body)
        number = step.write(hub.create_ticket, action.title, body, action.labels)
    step.number = number
    step.extra["incident"] = number
    link_key = incident_link_key(action.key)
    linked: list[int] = []
    said = {c.number: c for c in action.said}
    for member in action.members:
        parts: list[tuple[str, str]] = []
        other = said.get(member)
        if other is not None and hub.find_marked_comment(member, other.key) is None:
            parts += split_parts(other.key, other.body).items()
        if number is None or hub.find_marked_comment(member, link_key) is None:
            # Said where a later run would say it (before the status, after the rest), so a
            # link posted after a crash reads the same as one posted at once.
            at = next((i for i, (k, _) in enumerate(parts) if k == STATUS), len(parts))
            parts.insert(at, (link_key, fill_incident_number(action.link, number)))
            linked.append(member)
        if parts:
            key, body = join_parts(parts)
            step.write(hub.post_comment, member, with_marker(key, body))
    step.extra["linked"] = linked
    return _incident_outcome(step, number, opened, linked)


def _incident_outcome(step: _Step, number: int | None, opened: bool, linked: list[int]) -> str:
    links = ", ".join(f"#{n}" for n in linked)
    if step.dry_run and opened:
        return f"would open incident and link {links}" if linked else "would open incident"
    if step.dry_run and linked:
        return f"incident #{number} already open; would link {links}"
    head = f"opened incident #{number}" if opened else f"incident #{number} already open"
    if linked:
        return f"{head}, linked {links}"
    return head if opened else f"{head} and linked"


def _say(step: _Step, would: str, done: str) -> str:
    return f"would {would}" if step.dry_run else done


def _target(action: Action) -> str:
    if isinstance(action, OpenIncident):
        return f"incident[{action.key}]"
    return f"#{action.number}"


def _record(
    store: Ledger | None, run_id: str, at: datetime, action: Action, step: _Step, outcome: str
) -> None:
    if store is None:
        return
    detail = dataclasses.asdict(action) | step.extra
    store.record_action(run_id, at, step.number, _KINDS[type(action)], detail, outcome)
