"""Benchmark: how much the grader says. Prints one JSON object per line, one per preset.

    python bench/noise.py                  # every preset's demo week
    python bench/noise.py --preset online  # one preset
    python bench/noise.py --check          # exit 1 if a comment rule is broken or a preset
                                           # says more than half of what it said before
                                           # (a preset not there yet: more than it says now)

Each preset's simulated week (:mod:`tracker.demo`) is played into a fresh store and the
figures are read from what the desk really holds at the end: the comments on every
ticket, by whom and when. Nothing comes from the grader's own bookkeeping.

- ``bot_comments``, ``human_comments``: comments by the grader and by people.
- ``bot_per_ticket_mean``, ``bot_per_ticket_max``: the grader's comments per ticket.
- ``mentions``: @-mentions in the grader's comments (each one a notification).
- ``after_stop``: comments about a clock (escalation, to-do, reminder) posted at or after
  that clock stopped.
- ``late_reminders``: reminders posted at or after the deadline they remind of.
- ``incident_duplicates``: the same escalation step of the same clock posted on an
  incident and on one of its linked tickets.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tracker.config import PRESETS
from tracker.demo import WEEK_START, run_preset
from tracker.engine import assess_all
from tracker.model import Ticket
from tracker.protocol import (
    DUE_ITEM,
    ESCALATION,
    REMINDER,
    kind_of,
    linked_incident_of,
    marker_key,
    parts_of,
)
from tracker.views import TicketView

_MENTION = re.compile(r"(?<![\w`/])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?")
_ABOUT_A_CLOCK = (ESCALATION, DUE_ITEM, REMINDER)


def _clock_of(part: str) -> tuple[str, int] | None:
    """(clock, cycle) a marker key part is about: ``esc:plan:0:1``, ``due:report``, ``remind:report``."""
    kind, _, rest = part.partition(":")
    if kind == ESCALATION:
        clock, cycle, _step = rest.rsplit(":", 2)
        return clock, int(cycle)
    if kind in (DUE_ITEM, REMINDER):
        return rest, 0
    return None


def figures(name: str, tickets: Iterable[Ticket], views: dict[int, TicketView], bot: str) -> dict[str, Any]:
    """The noise figures of one desk, from its tickets' comments and the clocks as they ended."""
    tickets = list(tickets)
    per_ticket: list[int] = []
    human = mentions = after_stop = late_reminders = 0
    escalations: dict[int, set[str]] = {}  # ticket -> the escalation parts posted on it
    incident_of: dict[int, str] = {}  # member -> incident key
    incident_number: dict[str, int] = {}
    for t in tickets:
        key = marker_key(t.body) if t.author == bot else None
        if key and kind_of(key) == "incident":
            incident_number[key.split(":", 1)[1]] = t.number
        mine = 0
        view = views.get(t.number)
        for c in t.comments:
            if c.author != bot:
                human += 1
                continue
            mine += 1
            mentions += len(set(_MENTION.findall(c.body)))
            key = marker_key(c.body)
            if not key:
                continue
            for part in parts_of(key):
                linked = linked_incident_of(part)
                if linked is not None:
                    incident_of[t.number] = linked
                if kind_of(part) == ESCALATION:
                    escalations.setdefault(t.number, set()).add(part)
                about = _clock_of(part) if kind_of(part) in _ABOUT_A_CLOCK else None
                clock = view.clock(*about) if view and about else None
                if clock is None:
                    continue
                if clock.stopped is not None and c.created_at >= clock.stopped:
                    after_stop += 1
                if kind_of(part) == REMINDER and c.created_at >= clock.due:
                    late_reminders += 1
        per_ticket.append(mine)
    duplicates = 0
    for member, key in incident_of.items():
        number = incident_number.get(key)
        if number is not None:
            duplicates += len(escalations.get(member, set()) & escalations.get(number, set()))
    count = len(per_ticket)
    return {
        "bench": "noise",
        "preset": name,
        "tickets": count,
        "bot_comments": sum(per_ticket),
        "human_comments": human,
        "bot_per_ticket_mean": round(sum(per_ticket) / count, 2) if count else 0.0,
        "bot_per_ticket_max": max(per_ticket, default=0),
        "mentions": mentions,
        "after_stop": after_stop,
        "late_reminders": late_reminders,
        "incident_duplicates": duplicates,
    }


def measure(name: str, out: Path, step_minutes: int = 10) -> dict[str, Any]:
    store, cfg = run_preset(name, out, step_minutes=step_minutes, echo=lambda _line: None)
    try:
        y, m, d = WEEK_START
        end = datetime(y, m, d, tzinfo=cfg.tz) + timedelta(days=7)
        tickets = store.tickets()
        views = {v.number: v for v in assess_all(tickets, cfg, end)}
        return figures(name, tickets, views, cfg.bot.login)
    finally:
        store.close()


RULES = ("after_stop", "late_reminders", "incident_duplicates")

# bot_per_ticket_mean of each preset's demo week before the grader's conversation was made
# quiet (one comment per run, nothing about stopped clocks, one person per role, the status
# said with the first other word); --check holds every preset to at most half of it.
BEFORE = {"yoga": 7.5, "club": 6.25, "online": 6.83, "emergency": 5.67, "desk": 3.75}

# A preset that has not reached half yet is held to the figure it has reached, so it cannot
# get noisier while the work goes on. Remove an entry once its preset reaches half (every
# preset has: club since replies to the person who just acted went into the status comment).
NOT_YET_HALF: dict[str, float] = {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--preset", action="append", choices=PRESETS, help="one preset (repeatable)")
    parser.add_argument("--step", type=int, default=10, help="minutes between grader runs (10)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 unless {', '.join(RULES)} are 0 and every mean is at most half of BEFORE (or NOT_YET_HALF)")
    args = parser.parse_args(argv)
    broken = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.preset or PRESETS:
            row = measure(name, Path(tmp), args.step)
            print(json.dumps(row, ensure_ascii=False), flush=True)
            broken += [f"{name}: {rule}={row[rule]}" for rule in RULES if row[rule]]
            limit = max(BEFORE[name] / 2, NOT_YET_HALF.get(name, 0.0))
            if row["bot_per_ticket_mean"] > limit:
                broken.append(f"{name}: bot_per_ticket_mean={row['bot_per_ticket_mean']} > {limit:g} (before: {BEFORE[name]})")
    if args.check and broken:
        print("noise: " + "; ".join(broken), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
