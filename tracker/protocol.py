"""What the grader writes into tickets to find its own work again: markers and embedded data.

Every comment the grader posts starts with a hidden marker, ``<!-- tracker:KEY -->``; the
key says what the comment is (``status``, ``esc:response:0:1`` ...) so it is never posted
twice. An incident ticket's body starts with the marker ``incident:KEY`` followed by a
``<!-- tracker-data … -->`` block holding the incident's group, tier, grade and facts, and a
marked comment can carry such a block too (the text staff approved for the knowledge base).
The status comment carries ``<!-- sig:... -->``, a digest of what it shows, and on the line
after it a data block recording the notices given on its ticket (so one a person deleted is
known to have been given by a run whose ledger never saw it).

Nothing copied into these can end them early or forge them: a key is percent-encoded
wherever it holds a character outside a small safe set (so never ``-->``); a data block is
JSON, base64-encoded, followed by a digest of the encoded text, and it is read only from its
own line right after the marker; a signature counts only on the line after the marker.
Which author's markers count is the reader's rule: only the configured bot login's.

Each kind of key has one builder here, and the keys read back have their parser. Nothing
else in the package spells a marker, a key or a data block by hand.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

MARKER_PREFIX = "<!-- tracker:"
DATA_PREFIX = "<!-- tracker-data "
SIGNATURE_PREFIX = "<!-- sig:"
PART_PREFIX = "<!-- tracker-part:"
_END = " -->"
JOIN = "+"  # between the keys of a comment that says several things (no key holds a "+")

# The kinds of marker key: the part before the first ":".
STATUS = "status"
INCIDENT = "incident"
INCIDENT_LINK = "incident-link"
INCIDENT_RESOLVED = "incident-resolved"
INCIDENT_DUPLICATE = "incident-duplicate"
WORDING = "wording"
NEEDS_INFO = "needs-info"
DENIED = "denied"
UNDO_LABEL = "undo-label"
BAD_RATING = "bad-rating"
ESCALATION = "esc"
DUE_ITEM = "due"
REMINDER = "remind"
RATE_REQUEST = "rate"
LOW_RATING = "low-rating"
CLOSE_BLOCKED = "close-blocked"
KB_APPROVED = "kb-approved"
BAD_VALUE = "bad-value"
REFUSED_GRADE = "refused-grade"
REFUSED_GRADE_LABEL = "refused-grade-label"

# Stands for the incident's number in a link text written before the incident exists.
INCIDENT_NUMBER = "{incident}"


# --------------------------------------------------------------------------- markers


# The characters a key may hold as they are; any other is percent-encoded in the marker.
_KEY_SAFE = ":_.{}~-"
_KEY_RE = re.compile(r"[A-Za-z0-9:_.{}~%-]*")


def marker(key: str) -> str:
    """The hidden marker the grader puts at the top of every comment it writes.

    The key is percent-encoded where needed, so no text copied into a key (a group name,
    an incident key) can end the comment (``-->``) or start another.
    """
    return f"{MARKER_PREFIX}{quote(key, safe=_KEY_SAFE)}{_END}"


def marker_key(body: str) -> str | None:
    """The marker key at the start of a comment body, or None (also for a malformed one)."""
    if not body.startswith(MARKER_PREFIX):
        return None
    end = body.find(_END, len(MARKER_PREFIX))
    if end < 0:
        return None
    return _decoded_key(body[len(MARKER_PREFIX) : end])


@lru_cache(maxsize=4096)
def _decoded_key(raw: str) -> str | None:
    """A marker's key as written (keys repeat across tickets: each is checked once)."""
    return unquote(raw) if _KEY_RE.fullmatch(raw) else None


@lru_cache(maxsize=4096)
def parts_of(key: str) -> tuple[str, ...]:
    """The keys one marker key stands for: a comment that says several things at once
    (``esc:plan:0:0+remind:report``) is found again under each of them."""
    return tuple([part for part in key.split(JOIN) if part])


def joined_key(keys: list[str] | tuple[str, ...]) -> str:
    """The marker key of one comment that says what each of ``keys`` would have said."""
    return JOIN.join(keys)


def join_parts(parts: list[tuple[str, str]]) -> tuple[str, str]:
    """One comment (key, body) that says what each (key, body) of ``parts`` says, in order;
    each part's text follows its own hidden marker so it can be read back (:func:`split_parts`)."""
    if len(parts) == 1:
        return parts[0]
    body = "\n\n".join(f"{PART_PREFIX}{quote(key, safe=_KEY_SAFE)}{_END}\n{_inert(text)}" for key, text in parts)
    return joined_key([key for key, _ in parts]), body


def split_parts(key: str, body: str, only: Callable[[str], bool] | None = None) -> dict[str, str]:
    """Each part's text of a comment with marker key ``key`` and ``body`` (marker line or not);
    with ``only``, just the parts whose key it accepts (the others' text is never cut out)."""
    if len(parts_of(key)) == 1:
        if only is not None and not only(key):
            return {}
        if body.startswith(MARKER_PREFIX):
            body = body.split("\n", 1)[1] if "\n" in body else ""
        return {key: body}
    start = 0
    if body.startswith(MARKER_PREFIX):
        start = body.find("\n") + 1
        if start == 0:
            return {}
    out: dict[str, str] = {}
    pos = body.find(PART_PREFIX, start)
    while pos >= 0:
        begin = pos + len(PART_PREFIX)
        after = body.find(PART_PREFIX, begin)
        stop = after if after >= 0 else len(body)
        end = body.find(_END, begin, stop)
        part = _decoded_key(body[begin:end]) if end > begin else None
        if part is not None and part not in out and (only is None or only(part)):
            out[part] = body[end + len(_END) : stop].strip("\n")
        pos = after
    return out


def part_body(body: str, key: str) -> str:
    """The body part ``key`` of a comment would have had on its own (marker line first), so
    a data block at the top of that part reads as it would there; empty when it has none."""
    whole = marker_key(body)
    if whole is None or key not in parts_of(whole):
        return ""
    if whole == key:
        return body
    text = split_parts(whole, body).get(key)
    return with_marker(key, text) if text is not None else ""


def _inert(text: str) -> str:
    """``text`` unable to start a part of its own (a part marker copied into it is broken)."""
    return text.replace(PART_PREFIX, PART_PREFIX[:-1] + "\u200b:")


def replace_part(body: str, key: str, text: str) -> tuple[str, str]:
    """A comment's (marker key, whole body) with part ``key`` now saying ``text``."""
    return replace_parts(body, [(key, text)])


def replace_parts(body: str, new: list[tuple[str, str]], *, last: str | None = None) -> tuple[str, str]:
    """A comment's (marker key, whole body) with each (key, text) of ``new`` said in it: a
    part it has is replaced, another is added; part ``last``, if it has one, stays last."""
    whole = marker_key(body)
    parts = split_parts(whole, body) if whole else {}
    for key, text in new:
        parts[key] = text
    if last is not None and last in parts:
        parts[last] = parts.pop(last)
    joined, text = join_parts(list(parts.items()))
    return joined, with_marker(joined, text)


def drop_parts(body: str, keys: set[str] | frozenset[str]) -> tuple[str, str]:
    """A comment's (marker key, whole body) without its parts ``keys`` (said elsewhere too)."""
    whole = marker_key(body)
    parts = split_parts(whole, body) if whole else {}
    kept = [(key, text) for key, text in parts.items() if key not in keys]
    joined, text = join_parts(kept)
    return joined, with_marker(joined, text)


def with_marker(key: str, body: str) -> str:
    """``body`` starting with ``marker(key)`` on its own line (added when missing)."""
    head = marker(key)
    return body if body.startswith(head) else f"{head}\n{body}"


def kind_of(key: str) -> str:
    """The kind of a marker key: ``esc`` for ``esc:response:0:1``."""
    return key.split(":", 1)[0]


def digest(text: str) -> str:
    """A short stable digest of ``text``, for keys and signatures that follow a text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def _key(kind: str, *parts: object) -> str:
    return ":".join((kind, *(str(p) for p in parts)))


def _rest(key: str, kind: str) -> str | None:
    prefix = kind + ":"
    return key[len(prefix) :] if key.startswith(prefix) else None


# --------------------------------------------------------------------------- incidents


def incident_key(incident: str) -> str:
    """The marker key that starts the body of the incident ticket for ``incident``."""
    return _key(INCIDENT, incident)


def incident_key_of(key: str) -> str | None:
    """The incident of an incident ticket's marker key, or None for any other key."""
    return _rest(key, INCIDENT)


def incident_of_body(body: str) -> str | None:
    """The incident a ticket body opens (it starts with ``marker(incident_key(...))``), or None."""
    key = marker_key(body)
    return incident_key_of(key) if key is not None else None


def incident_link_key(incident: str) -> str:
    """The marker key of the link comment posted on each member of ``incident``."""
    return _key(INCIDENT_LINK, incident)


def linked_incident_of(key: str) -> str | None:
    """The incident a link comment's marker key points to, or None for any other key."""
    return _rest(key, INCIDENT_LINK)


def incident_resolved_key(incident: str) -> str:
    """The note on a member that its incident was resolved."""
    return _key(INCIDENT_RESOLVED, incident)


def incident_duplicate_key(incident: str) -> str:
    """The note on a second incident ticket for ``incident`` that points to the first."""
    return _key(INCIDENT_DUPLICATE, incident)


def wording_key(incident: str, wording: str) -> str:
    """The agreed wording of ``incident`` passed on to a member: once per distinct text."""
    return _key(WORDING, incident, digest(wording))


def fill_incident_number(text: str, number: int | None) -> str:
    """A text written with :data:`INCIDENT_NUMBER`, once the incident's number is known."""
    return text.replace(INCIDENT_NUMBER, str(number) if number is not None else "?")


_DATA_TAG = "b64:"


def write_data(data: Mapping[str, Any]) -> str:
    """An embedded data block: JSON, base64-encoded (nothing in it can end the comment),
    and a digest of the encoded text that :func:`read_data` checks."""
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
    encoded = base64.b64encode(raw).decode("ascii")
    return f"{DATA_PREFIX}{_DATA_TAG}{encoded} {digest(encoded)}{_END}"


def read_data(body: str) -> dict[str, Any]:
    """The data block on the line after the marker at the top of ``body``.

    Empty when there is none there, when its digest does not match, or when it is not a
    JSON object. A block anywhere else in the body (text the grader copied in, or someone
    added) is never read. Blocks written before they were encoded (plain JSON) are still
    read, by a JSON decoder that knows where the object ends.
    """
    lines = body.split("\n", 2)
    if len(lines) < 2 or marker_key(lines[0]) is None:
        return {}
    return _decoded_data(lines[1])


def _decoded_data(line: str) -> dict[str, Any]:
    """The object a data block line holds; empty when it is not one or its digest fails."""
    if not line.startswith(DATA_PREFIX):
        return {}
    inner = line[len(DATA_PREFIX) :]
    data: Any
    if inner.startswith(_DATA_TAG):
        encoded, _, rest = inner[len(_DATA_TAG) :].partition(" ")
        if rest != digest(encoded) + _END:
            return {}
        try:
            data = json.loads(base64.b64decode(encoded, validate=True).decode("utf-8"))
        except (ValueError, binascii.Error):
            return {}
    else:
        try:
            data, end = json.JSONDecoder().raw_decode(inner)
        except ValueError:
            return {}
        if inner[end:] != _END:
            return {}
    return data if isinstance(data, dict) else {}


def with_data(key: str, data: Mapping[str, Any], text: str) -> str:
    """A body the grader writes with data it reads back: marker, data block, then ``text``."""
    return f"{marker(key)}\n{write_data(data)}\n{text}"


def incident_body(incident: str, data: Mapping[str, Any], text: str) -> str:
    """The whole body of an incident ticket: its marker, its data block, then ``text``."""
    return with_data(incident_key(incident), data, text)


# --------------------------------------------------------------------------- ticket comments


def needs_info_key(request: str) -> str:
    """The request for missing details: asked again only when the request changes."""
    return _key(NEEDS_INFO, digest(request))


def denied_key(comment_id: int) -> str:
    """The answer to a customer's staff-only commands in comment ``comment_id``."""
    return _key(DENIED, comment_id)


def undo_label_key(event_id: int) -> str:
    """The note that a grade label put on by a customer (event ``event_id``) is undone."""
    return _key(UNDO_LABEL, event_id)


def bad_rating_key(comment_id: int) -> str:
    """The answer to a rating that is not on the scale."""
    return _key(BAD_RATING, comment_id)


def bad_value_key(comment_id: int) -> str:
    """The answer to values in comment ``comment_id`` that could not be read (``loss=很多``)."""
    return _key(BAD_VALUE, comment_id)


def refused_grade_key(comment_id: int) -> str:
    """The answer to a ``/grade`` in comment ``comment_id`` below the grade the rules fix."""
    return _key(REFUSED_GRADE, comment_id)


def refused_grade_label_key(event_id: int) -> str:
    """The answer to a grade label (event ``event_id``) below the grade the rules fix."""
    return _key(REFUSED_GRADE_LABEL, event_id)


def escalation_key(clock: str, cycle: int, step: int, due: float | None = None) -> str:
    """Step ``step`` of the escalation ladder of round ``cycle`` of ``clock``; with ``due``
    (epoch seconds), a later miss of that step after the due time moved (a regrade)."""
    if due is None:
        return f"{ESCALATION}:{clock}:{cycle}:{step}"
    return f"{ESCALATION}:{clock}:{cycle}:{step}:{int(due)}"


@lru_cache(maxsize=4096)
def escalation_of(key: str) -> tuple[str, int, int] | None:
    """(clock, cycle, step) of an escalation key, or None for any other key."""
    rest = _rest(key, ESCALATION)
    if rest is None:
        return None
    words = rest.split(":")
    if len(words) >= 4 and all(w.isdigit() for w in words[-3:]):
        rest = rest.rpartition(":")[0]  # the due time of a later miss (clock ids hold no ":")
    clock, _, numbers = rest.rpartition(":")
    clock, _, cycle = clock.rpartition(":")
    if not clock or not cycle.isdigit() or not numbers.isdigit():
        return None
    return clock, int(cycle), int(numbers)


def due_item_key(clock: str) -> str:
    """The to-do note for a clock with a checklist."""
    return _key(DUE_ITEM, clock)


def reminder_key(clock: str) -> str:
    """The one reminder as a checklist clock's deadline nears."""
    return _key(REMINDER, clock)


def rate_request_key(resolved: float) -> str:
    """The request to rate the resolution of ``resolved`` (epoch seconds)."""
    return _key(RATE_REQUEST, int(resolved))


def low_rating_key(comment_id: int) -> str:
    """The follow-up on a low rating given in comment ``comment_id``."""
    return _key(LOW_RATING, comment_id)


def close_blocked_key(event_id: int) -> str:
    """The note that a close (event ``event_id``) was undone because a requirement is unmet."""
    return _key(CLOSE_BLOCKED, event_id)


def kb_approved_key(mark: str) -> str:
    """The record of the text staff approved for the knowledge base by act ``mark``."""
    return _key(KB_APPROVED, mark)


def id_of(key: str, kind: str) -> int | None:
    """The number at the end of a key of ``kind`` built from one id, or None."""
    rest = _rest(key, kind)
    return int(rest) if rest is not None and rest.isdigit() else None


# --------------------------------------------------------------------------- status signature


def signature(source: str) -> str:
    """The hidden line at the top of the status comment that says what it shows."""
    return f"{SIGNATURE_PREFIX}{digest(source)}{_END}"


def has_signature(body: str, source: str) -> bool:
    """Whether a status comment already shows what ``source`` describes: the signature on
    the line right after its marker (a copy anywhere else does not count)."""
    lines = body.split("\n", 2)
    return len(lines) >= 2 and marker_key(lines[0]) is not None and lines[1] == signature(source)


# --------------------------------------------------------------------------- notices given


# Kinds of comment that are not notices to remember: the status comment itself, the
# knowledge-base record (data, written again when missing) and what an incident says
# (its own link and resolution logic decides).
_NOT_NOTICES = frozenset({STATUS, KB_APPROVED, INCIDENT, INCIDENT_LINK, INCIDENT_RESOLVED, WORDING})
MAX_NOTICES = 300  # keys one status comment records (past that, the last in sort order)


def is_notice(key: str) -> bool:
    """Whether a part key is a one-off notice whose having been given the status records."""
    return kind_of(key) not in _NOT_NOTICES


def kept_notices(keys: set[str] | frozenset[str]) -> frozenset[str]:
    """The notice keys of ``keys`` one status comment records."""
    return frozenset(sorted(k for k in keys if is_notice(k))[-MAX_NOTICES:])


def notice_record(keys: set[str] | frozenset[str]) -> str:
    """The status comment's embedded record of the notices given on its ticket: a data block
    on the line after the signature, so a notice a person deleted is known to have been given
    by a run that never saw it (its ledger rebuilt from GitHub)."""
    return write_data({"given": sorted(kept_notices(keys))})


def notices_given(status: str) -> frozenset[str] | None:
    """The notice keys a status comment (its part body: marker, signature, record) records,
    or None when it has no record or the record is damaged (its digest fails)."""
    lines = status.split("\n", 3)
    if len(lines) < 3 or marker_key(lines[0]) is None or not lines[1].startswith(SIGNATURE_PREFIX):
        return None
    record = lines[2]
    return _recorded_short(record) if len(record) <= _SHORT_RECORD else _recorded(record)


def _recorded(record: str) -> frozenset[str] | None:
    given = _decoded_data(record).get("given")
    if not isinstance(given, list) or not all(isinstance(k, str) for k in given):
        return None
    return frozenset(given)


# Records repeat across tickets (most record the same few notices): each short one is read once.
_SHORT_RECORD = 2000
_recorded_short = lru_cache(maxsize=4096)(_recorded)
