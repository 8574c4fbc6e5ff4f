"""The local hub: the desk without GitHub, with the ledger file as the place tickets live.

:class:`LocalHub` implements :class:`tracker.hub.Hub` over a :class:`tracker.ledger.Ledger`,
recording every change the way GitHub would: the change itself, the ticket's new update
time, and the event GitHub would show (labeled, assigned, closed, ...). It uses only the
ledger's public methods. Its ``open_ticket`` .. ``reopen_ticket`` methods are for the
people using the local desk (the demo, ``tracker local``); they are not part of the Hub
protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal

from tracker.errors import NotFound
from tracker.ledger import Ledger, TicketHead
from tracker.ledger_schema import to_db_time
from tracker.model import Comment, Event, Ticket
from tracker.protocol import incident_key

__all__ = ["LocalHub"]


class LocalHub:
    """The hub in offline mode: every write goes to the ledger like GitHub would record it.

    ``clock`` is the simulated "now" (the grader's ``--now``). Each write is one
    transaction.
    """

    def __init__(self, store: Ledger, bot_login: str, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.bot_login = bot_login
        self._clock = clock

    # ----------------------------------------------------------------- Hub protocol

    def now(self) -> datetime:
        """The simulated current time."""
        value = self._clock()
        to_db_time(value)  # refuse a naive clock early, with the usual message
        return value

    def set_labels(self, number: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        self.label(number, add, remove, self.bot_login)

    def set_assignees(self, number: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        self.assign(number, add, remove, self.bot_login)

    def post_comment(self, number: int, body: str) -> Comment:
        return self.add_comment(number, self.bot_login, body)

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        if not self.store.edit_comment(number, comment_id, body, self.now()):
            raise NotFound(
                f"comment {comment_id} is not on ticket #{number}; "
                "it may have been deleted, the next run will post it again"
            )

    def delete_comment(self, number: int, comment_id: int) -> None:
        if self.store.delete_comment(comment_id):
            self.store.touch(number, self.now())

    def find_marked_comment(self, number: int, key: str) -> Comment | None:
        return self.store.comment_by_marker(number, key, self.bot_login)

    def find_incident(self, key: str) -> int | None:
        return self.store.find_ticket_by_marker(incident_key(key), self.bot_login)

    def create_ticket(self, title: str, body: str, labels: tuple[str, ...]) -> int:
        return self.open_ticket(title, body, self.bot_login, labels)

    def close(self, number: int, reason: str) -> None:
        self.close_ticket(number, self.bot_login, reason)

    def reopen(self, number: int) -> None:
        self.reopen_ticket(number, self.bot_login)

    # ----------------------------------------------------------------- people

    def open_ticket(
        self,
        title: str,
        body: str,
        author: str,
        labels: Iterable[str] = (),
        association: str = "NONE",
        at: datetime | None = None,
    ) -> int:
        """Open a new ticket numbered after the highest one; returns its number."""
        when = at or self.now()
        labels = _unique(labels)
        is_bot = self._is_bot(author)
        with self.store.transaction():
            number = self.store.max_number() + 1
            ticket = Ticket(
                number,
                title,
                body,
                author,
                when,
                when,
                labels=labels,
                author_association=association,
                author_is_bot=is_bot,
            )
            self.store.upsert_ticket(ticket)
            for name in labels:
                self._event(number, author, "labeled", when, label=name)
        return number

    def add_comment(
        self,
        number: int,
        author: str,
        body: str,
        association: str = "NONE",
        at: datetime | None = None,
    ) -> Comment:
        """Add a comment to ``number`` and return it (with its new id)."""
        when = at or self.now()
        is_bot = self._is_bot(author)
        with self.store.transaction():
            self._require(number)
            comment = Comment(self.store.next_comment_id(), author, body, when, association, is_bot)
            self.store.upsert_comment(number, comment)
            self.store.touch(number, when)
        return comment

    def label(
        self,
        number: int,
        add: Iterable[str],
        remove: Iterable[str],
        actor: str,
        at: datetime | None = None,
    ) -> None:
        """Add and remove labels; each real change is a labeled/unlabeled event by ``actor``."""
        self._change_set(number, "labels", add, remove, actor, at, ("labeled", "unlabeled"))

    def assign(
        self,
        number: int,
        add: Iterable[str],
        remove: Iterable[str],
        actor: str,
        at: datetime | None = None,
    ) -> None:
        """Add and remove assignees; each real change is an assigned/unassigned event."""
        self._change_set(number, "assignees", add, remove, actor, at, ("assigned", "unassigned"))

    def close_ticket(
        self, number: int, actor: str, reason: str = "completed", at: datetime | None = None
    ) -> None:
        """Close ``number`` ("completed" or "not_planned"); closing a closed ticket does nothing."""
        if reason not in ("completed", "not_planned"):
            raise ValueError(f"close reason must be 'completed' or 'not_planned', not {reason!r}")
        when = at or self.now()
        self._set_state(number, "closed", reason, actor, when)

    def reopen_ticket(self, number: int, actor: str, at: datetime | None = None) -> None:
        """Reopen ``number``; reopening an open ticket does nothing."""
        when = at or self.now()
        self._set_state(number, "open", "reopened", actor, when)

    # ----------------------------------------------------------------- internals

    def _is_bot(self, login: str) -> bool:
        return login == self.bot_login or login.endswith("[bot]")

    def _require(self, number: int) -> TicketHead:
        head = self.store.head(number)
        if head is None:
            raise NotFound(f"ticket #{number} does not exist; list tickets to find the number")
        return head

    def _event(
        self,
        number: int,
        actor: str,
        kind: str,
        at: datetime,
        label: str | None = None,
        assignee: str | None = None,
    ) -> None:
        event_id = self.store.next_event_id()
        event = Event(event_id, actor, kind, at, label, assignee, self._is_bot(actor))
        self.store.add_event(number, event)

    def _change_set(
        self,
        number: int,
        column: Literal["labels", "assignees"],
        add: Iterable[str],
        remove: Iterable[str],
        actor: str,
        at: datetime | None,
        kinds: tuple[str, str],
    ) -> None:
        when = at or self.now()
        with self.store.transaction():
            head = self._require(number)
            current = head.labels if column == "labels" else head.assignees
            field = "label" if column == "labels" else "assignee"
            wanted = _unique(add)  # a name both added and removed stays: adding wins
            added = [name for name in wanted if name not in current]
            removed = [name for name in _unique(remove) if name in current and name not in wanted]
            if not added and not removed:
                return
            for name in added:
                self._event(number, actor, kinds[0], when, **{field: name})
            for name in removed:
                self._event(number, actor, kinds[1], when, **{field: name})
            value = [name for name in current if name not in removed] + added
            self.store.set_names(number, column, value, when)

    def _set_state(self, number: int, state: str, reason: str, actor: str, when: datetime) -> None:
        with self.store.transaction():
            if self._require(number).state == state:
                return
            self.store.set_state(number, state, reason, when)
            self._event(number, actor, "closed" if state == "closed" else "reopened", when)


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    if isinstance(names, str):
        raise TypeError("pass a list of names, not a single string")
    return tuple(dict.fromkeys(names))
