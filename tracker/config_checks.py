"""References between the parts of ``tracker.yml``, checked after its shape.

A grade, type, role, clock, field or ladder named in one place must be defined in another;
working windows must not overlap. Each fault is a ``(key path, what is wrong)`` pair, which
:func:`tracker.config.parse_config` reports as ``file: key.path: fault``.
:func:`placeholders` finds what is allowed but likely a mistake: the presets' made-up logins
left in the roles (``tracker validate`` warns about them).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from tracker.config import Config, DaySchedule


def _trigger_refs(trigger: str) -> tuple[str, str] | None:
    if ":" in trigger:
        kind, _, name = trigger.partition(":")
        return kind, name
    return None


def cross_check(cfg: Config) -> list[tuple[str, str]]:
    """References between parts of the file. Returns (key path, fault) pairs."""
    faults: list[tuple[str, str]] = []
    grades = set(cfg.grade_rank)
    types = {t.id for t in cfg.types}
    roles = set(cfg.roles)

    def need_grade(path: str, grade: str) -> None:
        if grade not in grades:
            faults.append(
                (path, f"grade {grade!r} is not in the scale ({', '.join(cfg.grade_rank)})")
            )

    def need_role(path: str, role: str) -> None:
        if role not in roles:
            faults.append((path, f"role {role!r} is not defined under roles"))

    def need_trigger(path: str, trigger: str) -> None:
        ref = _trigger_refs(trigger)
        if ref and ref[0] == "command" and ref[1] not in cfg.known_commands:
            faults.append((path, f"command {ref[1]!r} is not a built-in or listed under commands"))
        if ref and ref[0] == "clock" and ref[1] not in {c.id for c in cfg.clocks}:
            faults.append((path, f"clock {ref[1]!r} is not defined under clocks"))
        if ref and ref[0] == "field" and (ref[1] not in cfg.fields or cfg.fields[ref[1]].kind != "datetime"):
            faults.append((path, f"field {ref[1]!r} is not a datetime field under fields"))

    for name, role_def in cfg.roles.items():
        if not [m for m in role_def.members if m.strip()]:
            faults.append((f"roles.{name}.members", "role has nobody in it"))
        for i, member in enumerate(role_def.members):
            if member.startswith("@") and "/" not in member:
                # Only a team is written with "@" (@org/team); a person is named by login.
                faults.append((f"roles.{name}.members[{i}]", 'write the login without "@"'))
    if len(grades) != len(cfg.grades):
        faults.append(("grades", "grade ids must be unique"))
    for name, cal in cfg.calendars.items():
        for which in ("workday", "restday"):
            sched: DaySchedule = getattr(cal, which)
            spans = sorted([*sched.working, *sched.manned])
            for a, b in itertools.pairwise(spans):
                if b[0] < a[1]:
                    faults.append(
                        (f"calendars.{name}.{which}", f"windows overlap: {_hm(a)} and {_hm(b)}")
                    )
    if "default" not in cfg.calendars:
        faults.append(("calendars", "a calendar named 'default' is required"))
    for i, form in enumerate(cfg.forms):
        if form.type not in types:
            faults.append((f"forms[{i}].type", f"ticket type {form.type!r} is not under types"))
        for j, fid in enumerate(form.fields):
            if fid not in cfg.fields:
                faults.append((f"forms[{i}].fields[{j}]", f"field {fid!r} is not under fields"))
    for fid, fld in cfg.fields.items():
        if fld.kind in ("dropdown", "checkboxes") and not fld.options:
            faults.append((f"fields.{fid}.options", f"a {fld.kind} field needs options"))
    g = cfg.grading
    need_grade("grading.default", g.default)
    for i, grade_rule in enumerate(g.rules):
        need_grade(f"grading.rules[{i}].grade", grade_rule.grade)
    for grade, role in g.owners.items():
        need_grade(f"grading.owners.{grade}", grade)
        need_role(f"grading.owners.{grade}", role)
    for grade, circle in g.circles.items():
        need_grade(f"grading.circles.{grade}", grade)
        for j, role in enumerate(circle):
            need_role(f"grading.circles.{grade}[{j}]", role)
    if g.field and g.field not in cfg.fields:
        faults.append(("grading.field", f"field {g.field!r} is not under fields"))
    if cfg.surge:
        for group, grade in cfg.surge.grade.items():
            need_grade(f"surge.grade.{group}", grade)
        if cfg.surge.type and cfg.surge.type not in types:
            faults.append(("surge.type", f"ticket type {cfg.surge.type!r} is not under types"))
        faults += _surge_groups(cfg)
    for i, m in enumerate(cfg.final_grade.measures):
        for grade in m.bands:
            need_grade(f"final_grade.measures[{i}].bands.{grade}", grade)
    for grade in cfg.final_grade.resolve_within:
        need_grade(f"final_grade.resolve_within.{grade}", grade)
    seen_clocks: set[str] = set()
    for i, clock in enumerate(cfg.clocks):
        base = f"clocks[{i}]"
        if clock.id in seen_clocks:
            faults.append((f"{base}.id", f"clock id {clock.id!r} is used twice"))
        seen_clocks.add(clock.id)
        if clock.calendar not in cfg.calendars:
            faults.append(
                (f"{base}.calendar", f"calendar {clock.calendar!r} is not under calendars")
            )
        if isinstance(clock.within, dict):
            for grade in clock.within:
                need_grade(f"{base}.within.{grade}", grade)
        if isinstance(clock.ladder, dict):
            for grade, ladder_name in clock.ladder.items():
                need_grade(f"{base}.ladder.{grade}", grade)
                if ladder_name not in cfg.ladders:
                    faults.append(
                        (f"{base}.ladder.{grade}", f"ladder {ladder_name!r} is not under ladders")
                    )
        elif clock.ladder and clock.ladder not in cfg.ladders:
            faults.append((f"{base}.ladder", f"ladder {clock.ladder!r} is not under ladders"))
        for j, trigger in enumerate(clock.start_triggers):
            need_trigger(f"{base}.start" + (f"[{j}]" if isinstance(clock.start, list) else ""), trigger)
        for j, t in enumerate(clock.stop):
            need_trigger(f"{base}.stop[{j}]", t)
        for j, t in enumerate(clock.until):
            need_trigger(f"{base}.until[{j}]", t)
        for j, role in enumerate(clock.stop_by):
            need_role(f"{base}.stop_by[{j}]", role)
        if "clock:" + clock.id in clock.start_triggers:
            faults.append((f"{base}.start", "a clock cannot start on itself"))
    faults += _start_cycles(cfg)
    for j, role in enumerate(cfg.comments.whole_roles):
        need_role(f"comments.whole_roles[{j}]", role)
    for clock_id in cfg.comments.clocks:
        if clock_id not in seen_clocks:
            faults.append((f"comments.clocks.{clock_id}", f"clock {clock_id!r} is not under clocks"))
    for name, ladder in cfg.ladders.items():
        for j, step in enumerate(ladder.steps):
            for k, role in enumerate(step.assign):
                need_role(f"ladders.{name}.steps[{j}].assign[{k}]", role)
            for k, role in enumerate(step.mention):
                need_role(f"ladders.{name}.steps[{j}].mention[{k}]", role)
            if j and step.after <= ladder.steps[j - 1].after:
                faults.append(
                    (f"ladders.{name}.steps[{j}].after", "each step must come after the one before")
                )
    if cfg.satisfaction:
        need_role("satisfaction.escalate_to", cfg.satisfaction.escalate_to)
        scores = [s.score for s in cfg.satisfaction.scale]
        if len(set(scores)) != len(scores):
            faults.append(("satisfaction.scale", "scores must be unique"))
    for i, rule in enumerate(cfg.close_rules):
        need_trigger(f"close_rules[{i}].requires", rule.requires)
        for j, role in enumerate(rule.by):
            need_role(f"close_rules[{i}].by[{j}]", role)
    faults += _report_faults(cfg, need_role)
    faults += _label_faults(cfg)
    return faults


GITHUB_LABEL_MAX = 50  # GitHub refuses a longer label name


def _label_faults(cfg: Config) -> list[tuple[str, str]]:
    """Every label the grader would create fits GitHub's limit on a label's name."""
    names: list[tuple[str, str]] = []
    lb = cfg.labels
    for key, template, ids in (
        ("grades", lb.grade, [g.id for g in cfg.grades]),
        ("types", lb.type, [t.id for t in cfg.types]),
        ("categories", lb.category, [c.id for c in cfg.categories]),
    ):
        names += [(f"{key}[{i}].id", template.replace("{id}", x)) for i, x in enumerate(ids)]
    for key in ("breach", "at_risk", "needs_info", "incident", "paused", "resolved", "kb"):
        names.append((f"labels.{key}", getattr(lb, key)))
    for name, ladder in cfg.ladders.items():
        for j, step in enumerate(ladder.steps):
            names += [(f"ladders.{name}.steps[{j}].labels[{k}]", x) for k, x in enumerate(step.labels)]
    return [
        (path, f"the label {label!r} is {len(label)} characters; GitHub allows {GITHUB_LABEL_MAX}")
        for path, label in names
        if len(label) > GITHUB_LABEL_MAX
    ]


def start_order(cfg: Config) -> list[int]:
    """The clocks (by index) in an order where a clock that starts when another stops
    (``start: clock:X``) comes after X, wherever the file lists it; else as listed."""
    index = {c.id: i for i, c in enumerate(cfg.clocks)}
    order: list[int] = []
    state: dict[int, int] = {}  # 1: being placed, 2: placed

    def place(i: int) -> None:
        if state.get(i):
            return  # placed, or a cycle (reported by cross_check)
        state[i] = 1
        for trigger in cfg.clocks[i].start_triggers:
            ref = _trigger_refs(trigger)
            if ref and ref[0] == "clock" and ref[1] in index:
                place(index[ref[1]])
        state[i] = 2
        order.append(i)

    for i in range(len(cfg.clocks)):
        place(i)
    return order


def _start_cycles(cfg: Config) -> list[tuple[str, str]]:
    """Clocks that start on each other in a ring would never start."""
    index = {c.id: i for i, c in enumerate(cfg.clocks)}
    faults = []
    for i, clock in enumerate(cfg.clocks):
        seen, todo = {i}, [i]
        while todo:
            for trigger in cfg.clocks[todo.pop()].start_triggers:
                ref = _trigger_refs(trigger)
                j = index.get(ref[1]) if ref and ref[0] == "clock" else None
                if j == i and "clock:" + clock.id not in clock.start_triggers:
                    faults.append((f"clocks[{i}].start", f"clock {clock.id!r} starts on itself through other clocks"))
                    todo = []
                    break
                if j is not None and j not in seen:
                    seen.add(j)
                    todo.append(j)
    return faults


def _report_faults(cfg: Config, need_role: Callable[[str, str], None]) -> list[tuple[str, str]]:
    """The ``reports`` settings name roles, clocks and fields the policy has."""
    faults: list[tuple[str, str]] = []
    rep = cfg.reports
    for i, role in enumerate(rep.departments):
        need_role(f"reports.departments[{i}]", role)
    clocks = {c.id for c in cfg.clocks}
    for i, clock in enumerate(rep.department_clocks):
        if clock not in clocks:
            faults.append((f"reports.department_clocks[{i}]", f"clock {clock!r} is not under clocks"))
    facts = [("reports.department_field", rep.department_field), ("reports.channel_field", rep.channel_field)]
    facts += [(f"reports.symptom_fields[{i}]", f) for i, f in enumerate(rep.symptom_fields)]
    for path, fact in facts:
        if fact is not None and fact not in cfg.fields and fact not in cfg.derived:
            faults.append((path, f"field {fact!r} is not under fields (nor derived)"))
    return faults


def placeholders(cfg: Config) -> list[tuple[str, str, str]]:
    """(key path, login, preset) for every role member that is still one of a shipped preset's
    made-up logins: a real GitHub user by that name would be assigned and pinged."""
    made_up = _preset_logins()
    return [
        (f"roles.{name}.members[{i}]", member, made_up[member])
        for name, role_def in cfg.roles.items()
        for i, member in enumerate(role_def.members)
        if member in made_up
    ]


@functools.cache
def _preset_logins() -> dict[str, str]:
    """Every login the shipped presets name in their roles -> the first preset naming it."""
    from tracker.config import PRESETS, preset_path

    out: dict[str, str] = {}
    for preset in PRESETS:
        data = yaml.safe_load(preset_path(preset).read_text(encoding="utf-8"))
        for role_def in data.get("roles", {}).values():
            for member in role_def.get("members", []):
                out.setdefault(member, preset)
    return out


def _fact_values(cfg: Config, fact: str) -> list[str] | None:
    """Every value ``fact`` can take: a derived fact's values or a choice field's options;
    None when it is free (typed in, or not known to the file)."""
    if fact in cfg.derived:
        return [str(rule.value) for rule in cfg.derived[fact]]
    field = cfg.fields.get(fact)
    if field is not None and field.kind in ("dropdown", "checkboxes") and field.options:
        return [option.id for option in field.options]
    return None


def _surge_groups(cfg: Config) -> list[tuple[str, str]]:
    """A surge threshold (or grade) for a group that ``surge.group_by`` can never name."""
    assert cfg.surge is not None
    surge = cfg.surge
    groups = _fact_values(cfg, surge.group_by)
    if groups is None:
        return []
    faults = []
    for where, named in (("thresholds", surge.thresholds), ("grade", surge.grade)):
        for group in named:
            if group not in groups:
                faults.append((
                    f"surge.{where}.{group}",
                    f"group {group!r} is not a value of {surge.group_by} ({', '.join(dict.fromkeys(groups))})",
                ))  # fmt: skip
    return faults


def _hm(window: tuple[int, int]) -> str:
    return f"{window[0] // 60:02d}:{window[0] % 60:02d}-{window[1] // 60:02d}:{window[1] % 60:02d}"
