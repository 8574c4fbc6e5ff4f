"""Every label the grader may set, with colour and description, derived from the config."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.config import Config


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
    en = cfg.locale == "en"
    specs: dict[str, LabelSpec] = {}

    def put(name: str, color: str, zh: str, english: str) -> None:
        specs.setdefault(name, LabelSpec(name, color, (english if en else zh)[:100]))

    for g in cfg.grades:
        put(grade_label(cfg, g.id), g.color, f"等级：{g.name}", f"Grade: {g.name_en or g.name}")
    for t in cfg.types:
        put(type_label(cfg, t.id), "1d76db", f"类型：{t.name}", f"Type: {t.name_en or t.name}")
    for c in cfg.categories:
        put(
            category_label(cfg, c.id),
            "c5def5",
            f"类别：{c.name}",
            f"Category: {c.name_en or c.name}",
        )
    lb = cfg.labels
    put(lb.breach, "b60205", "至少一个时限已超时", "At least one SLA clock ran late")
    put(lb.at_risk, "fbca04", "时限即将到期", "An SLA clock is close to its due time")
    put(lb.needs_info, "d876e3", "缺少必填信息", "Required information is missing")
    put(lb.incident, "5319e7", "事件（多张工单的共同问题）", "Incident grouping several tickets")
    put(lb.paused, "bfdadc", "等待客户回复，时限暂停", "Waiting on the customer; clocks paused")
    put(
        lb.resolved, "0e8a16", "已解决，等待确认或评价", "Resolved; awaiting confirmation or rating"
    )
    put(lb.kb, "0075ca", "收录到知识库", "Marked for the knowledge base")
    for ladder in cfg.ladders.values():
        for step in ladder.steps:
            for name in step.labels:
                put(name, "e99695", "升级标记", "Escalation marker")
    return sorted(specs.values(), key=lambda s: s.name)
