"""The grader workflow's scheduled runs a month, from its cron lines, before and after a change.

GitHub bills each job rounded up to the whole minute, and a scheduled grader run that finds
nothing due finishes well inside one, so a month's minutes are at least its runs. The
schedule is written in ``.github/workflows/grader.yml``, not generated from ``tracker.yml``:
a policy change never moves it, so *before* and *after* are the same by construction. What
the calendar changes is how many of those runs fall in unmanned hours, when every clock is
stopped and a run can only find new tickets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tracker.context import Context
from tracker.i18n import N_

MONTH_DAYS = 30
MINUTES_PER_RUN = 1  # GitHub rounds every job up to a whole minute
_CRON = re.compile(r"""^\s*-\s*cron:\s*["']?([^"'#]+?)["']?\s*(?:#.*)?$""")
_NAMES = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12, "sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Runner:
    schedule: tuple[str, ...]  # the cron lines, as written
    runs_per_month: int  # in a 30-day month from now (UTC, as GitHub reads cron)
    minutes_before: int
    minutes_after: int
    unmanned_before: int  # of those runs, how many fall in unmanned hours (default calendar)
    unmanned_after: int
    same: bool  # the schedule does not depend on the policy
    why: str  # an English reason, translated by the renderer


def cron_lines(workflow: str) -> tuple[str, ...]:
    """The ``- cron: "…"`` lines of a workflow file, in order."""
    return tuple(m.group(1).strip() for line in workflow.splitlines() if (m := _CRON.match(line)))


def _field(text: str, lo: int, hi: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", ""):
            a, b = lo, hi
        elif "-" in part:
            a_text, b_text = part.split("-", 1)
            a, b = _value(a_text), _value(b_text)
        else:
            a = _value(part)
            b = hi if step > 1 else a
        values.update(range(a, b + 1, step))
    return frozenset(0 if v == 7 and hi == 7 else v for v in values)


def _value(text: str) -> int:
    return _NAMES[text] if text in _NAMES else int(text)


@dataclass(frozen=True, slots=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, line: str) -> Cron:
        parts = line.split()
        if len(parts) != 5:
            raise ValueError(f"not a five-field cron line: {line!r}")
        m, h, dom, mon, dow = parts
        return cls(_field(m, 0, 59), _field(h, 0, 23), _field(dom, 1, 31), _field(mon, 1, 12),
                   _field(dow, 0, 7), dom == "*", dow == "*")  # fmt: skip

    def matches(self, t: datetime) -> bool:
        if t.minute not in self.minutes or t.hour not in self.hours or t.month not in self.months:
            return False
        day_ok = t.day in self.days
        weekday_ok = (t.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok  # both restricted: either matches (cron's rule)


def scheduled_runs(lines: tuple[str, ...], start: datetime, days: int = MONTH_DAYS) -> list[datetime]:
    """Every minute in ``days`` days from ``start`` (UTC) at which one of the cron lines fires."""
    crons = [Cron.parse(line) for line in lines]
    t0 = start.astimezone(UTC).replace(second=0, microsecond=0)
    out = []
    for i in range(days * 24 * 60):
        t = t0 + timedelta(minutes=i)
        if any(c.matches(t) for c in crons):
            out.append(t)
    return out


def _unmanned(runs: list[datetime], ctx: Context) -> int:
    cal = ctx.calendars.get("default") or next(iter(ctx.calendars.values()))
    return sum(1 for t in runs if cal.state_s(t.timestamp()) == "unmanned")


def runner_minutes(workflow: str, before: Context, after: Context, now: datetime) -> Runner:
    """The grader workflow's runs a month before and after: from the schedule each policy
    generates when the workflow is generated (``tracker workflows``), else from its cron lines."""
    from tracker.schedule import schedule_for
    from tracker.workflows import is_generated

    if is_generated(workflow):
        old, new = schedule_for(before.cfg).lines, schedule_for(after.cfg).lines
        runs_old, runs_new = scheduled_runs(old, now), scheduled_runs(new, now)
        return Runner(
            schedule=new, runs_per_month=len(runs_new), minutes_before=len(runs_old) * MINUTES_PER_RUN,
            minutes_after=len(runs_new) * MINUTES_PER_RUN, unmanned_before=_unmanned(runs_old, before),
            unmanned_after=_unmanned(runs_new, after), same=old == new,
            why=N_("the schedule is generated from tracker.yml: run `tracker workflows` when this lands"),
        )  # fmt: skip
    lines = cron_lines(workflow)
    runs = scheduled_runs(lines, now) if lines else []
    minutes = len(runs) * MINUTES_PER_RUN
    return Runner(
        schedule=lines, runs_per_month=len(runs), minutes_before=minutes, minutes_after=minutes,
        unmanned_before=_unmanned(runs, before), unmanned_after=_unmanned(runs, after), same=True,
        why=N_("the same: the schedule is written in the grader workflow, not generated from tracker.yml"),
    )  # fmt: skip
