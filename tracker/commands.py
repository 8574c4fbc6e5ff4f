"""Staff commands written in comments: ``/grade major``, ``/rate 7``, ``/resolve downtime=1.5``.

A command is a line that starts with ``/name`` where ``name`` is a known command. Lines
inside fenced code blocks and quoted lines (``> /grade``) are not commands, so a person
quoting an earlier comment never repeats it. Whether the author may use it is decided by
the engine; this module only reads text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from tracker.views import Command

_COMMAND_RE = re.compile(r"^/([a-z][a-z0-9-]*)(?:[ \t]+(.*))?$")
_KV_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)=(\S+)")


def parse_commands(
    body: str, known: Iterable[str] | frozenset[str], *, author: str, at: datetime, comment_id: int
) -> list[Command]:
    """Every known command in ``body``, in order, each with the free text that follows it."""
    known = frozenset(known)
    if "/" not in body:
        return []
    found: list[tuple[str, str, int]] = []
    lines = body.replace("\r\n", "\n").split("\n")
    fence: str | None = None
    for i, raw in enumerate(lines):
        line = raw.strip()
        if fence:
            if line.startswith(fence):
                fence = None
            continue
        if line.startswith(("```", "~~~")):
            fence = line[:3]
            continue
        match = _COMMAND_RE.match(line)
        if match and match.group(1) in known:
            found.append((match.group(1), (match.group(2) or "").strip(), i))
    commands = []
    for n, (name, args, line_no) in enumerate(found):
        end = found[n + 1][2] if n + 1 < len(found) else len(lines)
        text = "\n".join(lines[line_no + 1 : end]).strip()
        commands.append(Command(name, args, author, at, comment_id, text))
    return commands


def key_values(args: str) -> dict[str, str]:
    """``downtime=1.5 loss=20000`` -> {"downtime": "1.5", "loss": "20000"}."""
    return {k.lower(): v for k, v in _KV_RE.findall(args)}


def number_arg(value: str) -> float | None:
    """A number written by a person: ``1,200``, ``1.5h`` (hours), ``30m`` (as hours), ``2%``."""
    text = value.strip().replace(",", "").lower()
    scale = 1.0
    if text.endswith("h"):
        text = text[:-1]
    elif text.endswith("m") and not text.endswith("km"):
        text, scale = text[:-1], 1 / 60
    elif text.endswith("%"):
        text = text[:-1]
    try:
        return float(text) * scale
    except ValueError:
        return None
