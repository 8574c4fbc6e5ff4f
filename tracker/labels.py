"""Every label the grader may set, with colour and description, derived from the config."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.config import Config
from tracker.i18n import Translator


@dataclass(frozen=True, slots=True)
class LabelSpec:
    name: str
    color: str
    description: str


def grade_label(cfg: Config, grade: str) -> str:
    return cfg.labels.grade.format(id=grade)


def type_label(cfg: Config, type_id: str) -> str:
    return cfg.labels.type.format(id=type_id)


def category_label(cfg: Config, category: str) -> str:
    return cfg.labels.category.format(id=category)


def catalog(cfg: Config) -> list[LabelSpec]:
    """The label set ``tracker labels sync`` creates; sorted and free of duplicates."""
    loc = cfg.locale
    _ = Translator(loc)
    specs: dict[str, LabelSpec] = {}

    def put(name: str, color: str, description: str) -> None:
        specs.setdefault(name, LabelSpec(name, color, description[:100]))

    for g in cfg.grades:
        put(grade_label(cfg, g.id), g.color, _("Grade: %(name)s", name=g.label(loc)))
    for t in cfg.types:
        put(type_label(cfg, t.id), "1d76db", _("Type: %(name)s", name=t.label(loc)))
    for c in cfg.categories:
        put(category_label(cfg, c.id), "c5def5", _("Category: %(name)s", name=c.label(loc)))
    lb = cfg.labels
    put(lb.breach, "b60205", _("At least one SLA clock ran late"))
    put(lb.at_risk, "fbca04", _("An SLA clock is close to its due time"))
    put(lb.needs_info, "d876e3", _("Required information is missing"))
    put(lb.incident, "5319e7", _("Incident grouping several tickets"))
    put(lb.paused, "bfdadc", _("Waiting on the customer; clocks paused"))
    put(lb.resolved, "0e8a16", _("Resolved; awaiting confirmation or rating"))
    put(lb.kb, "0075ca", _("Marked for the knowledge base"))
    escalation = _("Escalation marker")
    for ladder in cfg.ladders.values():
        for step in ladder.steps:
            for name in step.labels:
                put(name, "e99695", escalation)
    return sorted(specs.values(), key=lambda s: s.name)
