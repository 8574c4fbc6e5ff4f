"""What staff approved for the knowledge base: the ticket's title and text at ``/kb``.

When staff mark a ticket for the knowledge base (``/kb``, or the kb label put on by staff),
the grader records the title and body as they stand in a comment of its own, keyed by the
staff act (``kb-approved:c<comment id>`` or ``kb-approved:e<event id>``), the text in the
comment's data block. The site publishes that text; an edit made afterwards, by anyone,
reaches the site only when staff mark the ticket again (a new act, a new record).

Until the grader has recorded the act (it does so on its next run, within a minute of the
event on GitHub), the view carries the current text, which is what it is about to record.
"""

from __future__ import annotations

from typing import Any

from tracker.context import Context
from tracker.history import History
from tracker.i18n import gettext
from tracker.intake import parse_body
from tracker.model import PostComment
from tracker.protocol import kb_approved_key, part_body, read_data, write_data
from tracker.reading import Prepared
from tracker.views import KbText


def approval_comment(p: Prepared, h: History, ctx: Context) -> PostComment | None:
    """The record of what staff approved, when the latest ``/kb`` has none yet."""
    if not h.kb or h.kb_mark is None or p.incident_key:
        return None
    key = kb_approved_key(h.kb_mark)
    if key in p.bot_comments:
        return None
    t = p.ticket
    note = gettext(
        ctx.locale,
        "Marked for the knowledge base: the title and text as they stand now are what will be "
        "published. A later edit is published only after a new /kb.",
    )
    return PostComment(t.number, key, f"{write_data({'title': t.title, 'body': t.body})}\n{note}")


def approved_text(p: Prepared, h: History, ctx: Context) -> KbText | None:
    """The approved title and facts, when the grader has recorded them for the latest act."""
    if not h.kb or h.kb_mark is None or p.incident_key:
        return None
    key = kb_approved_key(h.kb_mark)
    comment = p.bot_comments.get(key)
    if comment is None:
        return None
    data: dict[str, Any] = read_data(part_body(comment.body, key))
    title, body = data.get("title"), data.get("body")
    if not isinstance(title, str) or not isinstance(body, str):
        return KbText("", {})
    facts = dict(parse_body(body, ctx.cfg, p.ticket.labels, title=p.ticket.title).facts)
    return KbText(title, facts)
