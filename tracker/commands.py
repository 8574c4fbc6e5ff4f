"""Staff commands written in comments: ``/grade major``, ``/rate 7``, ``/resolve downtime=1.5``.

A command is a line that starts with ``/name`` where ``name`` is a known command. Lines
inside fenced code blocks and quoted lines (``> /grade``) are not commands, so a person
quoting an earlier comment never repeats it. Whether the author may use it is decided by
the engine; this module only reads text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

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
    # Short comments ("/ack", "/plan 已有临时方案") repeat across tickets: each is read once.
    found = _scan_short(body, known) if len(body) <= _SHORT else _scan(body, known)
    return [Command(name, args, author, at, comment_id, text, lead) for name, args, text, lead in found]


_SHORT = 500  # longer comments (untrusted, possibly huge) are not remembered


def _scan(body: str, known: frozenset[str]) -> tuple[tuple[str, str, str, str], ...]:
    """(name, args, text, lead) of every known command in ``body``, in order."""
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
        lead = "\n".join(lines[:line_no]).strip() if n == 0 else ""
        commands.append((name, args, text, lead))
    return tuple(commands)


_scan_short = lru_cache(maxsize=4096)(_scan)


def key_values(args: str) -> dict[str, str]:
    """``downtime=1.5 loss=20000`` -> {"downtime": "1.5", "loss": "20000"}."""
    return {k.lower(): v for k, v in _KV_RE.findall(args)}


# A unit after a number: hours for a time (``downtime`` is in hours), yuan for money.
_TIME_UNITS = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "小时", "个小时", "钟头", "个钟头"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "分钟", "分"), 1 / 60),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds", "秒", "秒钟"), 1 / 3600),
    **dict.fromkeys(("d", "day", "days", "天", "日"), 24.0),
}
_MONEY_UNITS = {
    **dict.fromkeys(("", "%", "元", "块", "yuan", "rmb", "cny"), 1.0),
    **dict.fromkeys(("k", "千", "千元"), 1e3),
    **dict.fromkeys(("w", "万", "万元"), 1e4),
    **dict.fromkeys(("百万", "百万元"), 1e6),
    **dict.fromkeys(("亿", "亿元"), 1e8),
}
_UNIT_RE = "|".join(sorted((re.escape(u) for u in {*_TIME_UNITS, *_MONEY_UNITS} if u), key=len, reverse=True))
_PART_RE = re.compile(rf"([0-9]+(?:\.[0-9]+)?|\.[0-9]+)({_UNIT_RE})?")


def number_arg(value: str) -> float | None:
    """A number written by a person, or None when it cannot be read.

    Thousands separators and a currency sign are ignored: ``1,200``, ``¥150,000``, ``2%``.
    Money units scale it to yuan: ``15万`` and ``15w`` are 150000, ``150000元``, ``3k``, ``2亿``.
    Time units give hours: ``2.5小时``, ``1.5h``, ``30分钟`` and ``30m`` (0.5), ``2天`` (48),
    and a time in parts adds up: ``1h30m``, ``1小时30分钟``.
    """
    text = unicodedata.normalize("NFKC", value).strip().lower()
    text = re.sub(r"[\s,_]", "", text).removeprefix("¥").removeprefix("rmb").removeprefix("cny")
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    parts = [(m.group(1), m.group(2) or "") for m in _PART_RE.finditer(text)]
    if re.fullmatch(r"[0-9]*\.?[0-9]+e[-+]?[0-9]{1,3}", text):
        return sign * float(text)
    if not parts or "".join(n + u for n, u in parts) != text or len(text) > 64:
        return None
    if len(parts) == 1 and parts[0][1] in _MONEY_UNITS:
        return sign * float(parts[0][0]) * _MONEY_UNITS[parts[0][1]]
    if all(u in _TIME_UNITS for _, u in parts):
        return sign * sum(float(n) * _TIME_UNITS[u] for n, u in parts)
    return None
