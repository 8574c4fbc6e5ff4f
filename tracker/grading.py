"""Grades: the first grade from the rules, surge detection, and the final grade.

All pure: plain facts in, grade ids out. The scale is ordered (``cfg.grade_rank``), so
"the highest of" is well defined everywhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracker.commands import number_arg
from tracker.config import Config, Rule
from tracker.config_values import condition_holds


def matching_rules(facts: Mapping[str, Any], cfg: Config) -> list[Rule]:
    return [r for r in cfg.grading.rules if condition_holds(r.when, facts)]


def first_grade(facts: Mapping[str, Any], cfg: Config) -> tuple[str, list[Rule]]:
    """The highest grade any rule gives (or the stated grade field, or the default)."""
    rules = matching_rules(facts, cfg)
    candidates = [r.grade for r in rules]
    if cfg.grading.field:
        stated = facts.get(cfg.grading.field)
        if isinstance(stated, str) and stated in cfg.grade_rank:
            candidates.append(stated)
    if not candidates:
        return cfg.grading.default, []
    best = cfg.highest(candidates)
    assert best is not None
    return best, rules


def final_grade(facts: Mapping[str, Any], first: str | None, cfg: Config) -> str | None:
    """At resolution: the highest grade any measure's band reaches (and the first grade).

    Measures read numeric facts, e.g. ``downtime`` in hours and ``loss`` in CNY, which
    staff give with ``/resolve downtime=1.5 loss=20000``.
    """
    found: list[str] = []
    for measure in cfg.final_grade.measures:
        value = facts.get(measure.fact)
        if isinstance(value, str):
            value = number_arg(value)
        if value is None:
            continue
        for grade, band in measure.bands.items():
            if band.contains(value):
                found.append(grade)
    if cfg.final_grade.include_first_grade and first:
        found.append(first)
    return cfg.highest(found)


@dataclass(frozen=True, slots=True)
class SurgeCandidate:
    number: int
    at: float  # epoch seconds the ticket arrived
    group: str
    tier: str


@dataclass(frozen=True, slots=True)
class SurgeHit:
    key: str
    group: str
    tier: str
    members: tuple[int, ...]
    at: float  # when the threshold was reached


def detect_surges(candidates: Sequence[SurgeCandidate], cfg: Config) -> list[SurgeHit]:
    """Same-group, same-tier tickets inside the sliding window reaching the tier's threshold.

    Each group/tier yields at most one surge per burst: once a surge fires, the tickets
    that keep arriving while the window is still full join it rather than start another.
    The key names the group and the first member, so it is stable across runs.
    """
    surge = cfg.surge
    if surge is None:
        return []
    by_lane: dict[tuple[str, str], list[SurgeCandidate]] = defaultdict(list)
    for c in candidates:
        if c.group in surge.thresholds and c.tier in surge.thresholds[c.group]:
            by_lane[(c.group, c.tier)].append(c)
    hits: list[SurgeHit] = []
    for (group, tier), lane in sorted(by_lane.items()):
        lane.sort(key=lambda c: (c.at, c.number))
        threshold = surge.thresholds[group][tier]
        start = 0
        current: list[int] | None = None
        current_at = 0.0
        last_at = 0.0
        for end, cand in enumerate(lane):
            while lane[start].at < cand.at - surge.window:
                start += 1
            if current is not None and cand.at - last_at <= surge.window:
                current.append(cand.number)
                last_at = cand.at
                continue
            if current is not None:
                hits.append(_hit(group, tier, current, current_at))
                current = None
            if end - start + 1 >= threshold:
                current = [c.number for c in lane[start : end + 1]]
                current_at = cand.at
                last_at = cand.at
        if current is not None:
            hits.append(_hit(group, tier, current, current_at))
    return hits


def _hit(group: str, tier: str, members: list[int], at: float) -> SurgeHit:
    return SurgeHit(f"surge-{group}-{tier}-{members[0]}", group, tier, tuple(members), at)
