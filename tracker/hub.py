"""The hub: where tickets really live (GitHub, or the local SQLite store).

:func:`tracker.apply.apply_plan` drives any object with this shape; the grader's
plan never knows which hub it is talking to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from tracker.model import Comment


class Hub(Protocol):
    """Writes the grader needs. Each call is one change; reads come from the ledger."""

    bot_login: str

    def set_labels(self, number: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None: ...

    def set_assignees(self, number: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None: ...

    def post_comment(self, number: int, body: str) -> Comment: ...

    def edit_comment(self, number: int, comment_id: int, body: str) -> None: ...

    def delete_comment(self, number: int, comment_id: int) -> None:
        """Delete the bot's own comment ``comment_id`` on ``number``; one already gone is fine."""
        ...

    def find_marked_comment(self, number: int, key: str) -> Comment | None:
        """The bot's own comment on ``number`` that starts with the marker of ``key``, if any.

        Used before a write that may already have happened (a retry after a dropped
        connection), so it is never done twice.
        """
        ...

    def find_incident(self, key: str) -> int | None:
        """The number of the bot's incident ticket for ``key``, if one was already opened.

        An incident ticket is one written by ``bot_login`` whose body starts with
        ``marker(incident_key(key))`` (see :mod:`tracker.protocol`); open or closed, the
        lowest number wins. Checked before :meth:`create_ticket` so a retried plan never
        opens the incident twice.
        """
        ...

    def create_ticket(self, title: str, body: str, labels: tuple[str, ...]) -> int: ...

    def close(self, number: int, reason: str) -> None: ...

    def reopen(self, number: int) -> None: ...

    def now(self) -> datetime:
        """The hub's idea of the current time (the simulated clock locally)."""
        ...
