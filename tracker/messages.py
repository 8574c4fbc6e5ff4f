"""User-facing text: Jinja2 templates per locale plus a few short strings.

Chinese is the default; ``locale: en`` in the config switches every comment to English.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "running": "⏳ 进行中",
        "at_risk": "⚠️ 即将到期",
        "late": "🔴 已超时",
        "met": "✅ 已达成",
        "missed": "❌ 超时完成",
        "paused": "⏸ 暂停",
        "missing": "- 「{label}」：必填，未填写",
        "invalid": "- 「{label}」：{why}",
        "list_sep": "、",
        "none": "无",
        "day": "天",
        "hour": "小时",
        "minute": "分钟",
    },
    "en": {
        "running": "⏳ running",
        "at_risk": "⚠️ at risk",
        "late": "🔴 late",
        "met": "✅ met",
        "missed": "❌ met late",
        "paused": "⏸ paused",
        "missing": '- "{label}": required, not answered',
        "invalid": '- "{label}": {why}',
        "list_sep": ", ",
        "none": "none",
        "day": " d",
        "hour": " h",
        "minute": " min",
    },
}


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("tracker", "templates"),
        autoescape=False,  # Markdown, not HTML; ticket text never reaches these templates raw
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=False,
    )


@cache
def _template(locale: str, name: str) -> Any:
    return _env().get_template(f"{locale}/{name}.md.j2")


def render(locale: str, name: str, **context: Any) -> str:
    """Render ``templates/<locale>/<name>.md.j2``."""
    return _template(locale, name).render(**context).strip()


def text(locale: str, key: str, **fields: Any) -> str:
    return STRINGS[locale][key].format(**fields)


def fmt_time(t: datetime) -> str:
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"


def fmt_span(seconds: float, locale: str) -> str:
    """A human duration: 1小时5分钟 / 1 h 5 min."""
    s = STRINGS[locale]
    minutes = max(0, round(seconds / 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}{s['day']}")
    if hours:
        parts.append(f"{hours}{s['hour']}")
    if mins or not parts:
        parts.append(f"{mins}{s['minute']}")
    return ("" if locale == "zh" else " ").join(parts)
