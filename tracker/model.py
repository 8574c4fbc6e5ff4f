"""Plain data that flows between the hub, the ledger and the pure core.

A :class:`Ticket` is what the grader sees of one GitHub issue (or one local ticket):
its body, labels, assignees, comments and events, all with timezone-aware times.
The grader answers with a :class:`Plan`: a list of actions, each the difference
between what should be and what is. Everything here is immutable and hashable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    author: str
    body: str
    created_at: datetime
    author_association: str = "NONE"
    is_bot: bool = False
    updated_at: datetime | None = None


EventKind = Literal[
    "labeled", "unlabeled", "assigned", "unassigned", "closed", "reopened", "renamed"
]


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    actor: str
    kind: str  # one of EventKind; kept as str so unknown GitHub events pass through
    created_at: datetime
    label: str | None = None
    assignee: str | None = None
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class Ticket:
    number: int
    title: str
    body: str
    author: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"  # "open" | "closed"
    closed_at: datetime | None = None
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()
    events: tuple[Event, ...] = ()
    author_association: str = "NONE"
    author_is_bot: bool = False

    @property
    def is_open(self) -> bool:
        return self.state == "open"


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True, slots=True)
class SetLabels:
    """Add and remove labels on one ticket in one call."""

    number: int
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SetAssignees:
    number: int
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PostComment:
    """Post a comment that starts with the marker of ``key``; never posted twice."""

    number: int
    key: str
    body: str


@dataclass(frozen=True, slots=True)
class EditComment:
    """Replace the body of the grader's own comment carrying ``key`` (the status comment)."""

    number: int
    key: str
    comment_id: int
    body: str


@dataclass(frozen=True, slots=True)
class DeleteComment:
    """Delete the grader's own comment ``comment_id``: everything it says (``key``) an older
    comment of the grader's says too (two runs at once both posted it)."""

    number: int
    key: str
    comment_id: int


@dataclass(frozen=True, slots=True)
class OpenIncident:
    """Create the incident ticket for ``key`` and link ``members`` to it.

    ``link`` is the text of the link comment on each member, written before the incident
    has a number: :data:`tracker.protocol.INCIDENT_NUMBER` stands for it. ``said`` holds
    what the same run says on members besides: each is said in that member's link comment.
    """

    key: str
    title: str
    body: str
    labels: tuple[str, ...]
    members: tuple[int, ...]
    link: str
    said: tuple[PostComment, ...] = ()


@dataclass(frozen=True, slots=True)
class CloseTicket:
    number: int
    reason: str = "completed"  # "completed" | "not_planned"


@dataclass(frozen=True, slots=True)
class ReopenTicket:
    number: int


Action = (
    SetLabels
    | SetAssignees
    | PostComment
    | EditComment
    | DeleteComment
    | OpenIncident
    | CloseTicket
    | ReopenTicket
)


@dataclass(frozen=True, slots=True)
class Plan:
    actions: tuple[Action, ...] = ()
    notes: tuple[str, ...] = field(default=())  # why: one line per decision, for the story
    memo: Mapping[int, Any] = field(default_factory=dict, compare=False)  # engine.Memo per graded ticket

    def __bool__(self) -> bool:
        return bool(self.actions)

    def __len__(self) -> int:
        return len(self.actions)
