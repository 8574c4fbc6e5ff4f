"""The values a policy file writes: durations, clock-time windows, ranges and matchers.

``parse_duration("1h30m")`` is seconds; ``parse_window("09:00-18:00")`` is minutes of the
day; a matcher (a value, a list of values, or a range) tests one fact, and
:func:`condition_holds` tests a rule's ``when`` against a ticket's facts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Tag,
)
from pydantic.json_schema import WithJsonSchema

_DURATION_RE = re.compile(
    r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$"
)


def parse_duration(value: Any) -> int:
    """'1h30m' -> 5400 seconds. Integers are seconds. Zero and negatives are refused."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 15m, 2h or 1d")
    if isinstance(value, int | float):
        seconds = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("-"):
            raise ValueError(f"must be a positive duration, not {value!r}")
        match = _DURATION_RE.match(text)
        if not text or not match or not any(match.groups()):
            raise ValueError(f"must be a duration such as 15m, 2h or 1d, not {value!r}")
        d, h, m, s = (int(g) if g else 0 for g in match.groups())
        seconds = d * 86400 + h * 3600 + m * 60 + s
    else:
        raise ValueError("must be a duration such as 15m, 2h or 1d")
    if seconds <= 0:
        raise ValueError(f"must be a positive duration, not {value!r}")
    return seconds


Duration = Annotated[
    int,
    BeforeValidator(parse_duration),
    WithJsonSchema({"type": ["string", "integer"], "description": "e.g. 15m, 2h, 1d30m"}),
]

_TIME_RE = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def parse_window(value: Any) -> tuple[int, int]:
    """'09:00-18:00' -> (540, 1080) minutes after midnight. End may be 24:00."""
    if not isinstance(value, str) or "-" not in value:
        raise ValueError(f"must be a window such as 09:00-18:00, not {value!r}")
    start_s, end_s = (p.strip() for p in value.split("-", 1))
    bounds = []
    for part in (start_s, end_s):
        match = _TIME_RE.match(part)
        if not match or (match.group(1) == "24" and match.group(2) != "00"):
            raise ValueError(f"must be a window such as 09:00-18:00, not {value!r}")
        bounds.append(int(match.group(1)) * 60 + int(match.group(2)))
    if bounds[1] <= bounds[0]:
        raise ValueError(
            f"window {value!r} ends before it starts (split windows that cross midnight)"
        )
    return bounds[0], bounds[1]


Window = Annotated[
    tuple[int, int],
    BeforeValidator(parse_window),
    WithJsonSchema({"type": "string", "pattern": r"^\d\d:\d\d-\d\d:\d\d$"}),
]

Scalar = str | int | float | bool


class Range(BaseModel):
    """A numeric band: every bound given must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return (
            (self.gt is None or value > self.gt)
            and (self.gte is None or value >= self.gte)
            and (self.lt is None or value < self.lt)
            and (self.lte is None or value <= self.lte)
        )


def _matcher_kind(value: Any) -> str:
    if isinstance(value, dict | Range):
        return "band"
    return "any_of" if isinstance(value, list) else "value"


Matcher = Annotated[
    Annotated[Scalar, Tag("value")]
    | Annotated[list[Scalar], Tag("any_of")]
    | Annotated[Range, Tag("band")],
    Discriminator(_matcher_kind),
]


def matches(matcher: Matcher, value: Any) -> bool:
    """One fact against one matcher: equality, any-of, or a numeric band."""
    if isinstance(matcher, Range):
        return matcher.contains(value)
    if isinstance(matcher, list):
        if isinstance(value, list | tuple | frozenset | set):
            return any(v in matcher for v in value)
        return value in matcher
    if isinstance(value, list | tuple | frozenset | set):
        return matcher in value
    return value == matcher


def condition_holds(when: Mapping[str, Matcher], facts: Mapping[str, Any]) -> bool:
    return all(matches(m, facts.get(k)) for k, m in when.items())


