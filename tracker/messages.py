"""The grader's words: one set of comment templates, spoken in the desk's locale.

Templates live in ``templates/comments/``; their text is translated through the message
catalogs (:mod:`tracker.i18n`), so every locale shares one template. Chinese is the default;
``locale: en`` in the config switches every comment to English.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import PackageLoader, Template

from tracker.i18n import N_, environment, gettext

_LOADER = PackageLoader("tracker", "templates/comments")

# A clock's status as the status comment shows it.
CLOCK_STATUS = {
    "running": N_("⏳ running"),
    "at_risk": N_("⚠️ at risk"),
    "late": N_("🔴 late"),
    "met": N_("✅ met"),
    "missed": N_("❌ met late"),
    "paused": N_("⏸ paused"),
    "ended": N_("⏹ ended undone"),
}


def render(locale: str, name: str, **context: Any) -> str:
    """Render ``templates/comments/<name>.md.j2`` in ``locale``."""
    return _template(locale, name).render(**context).strip()


@cache
def _template(locale: str, name: str) -> Template:
    template = environment(locale, _LOADER).get_template(f"{name}.md.j2")
    # Its globals (the environment's, set once when it was made) as one plain dict: Jinja
    # copies them into every render's context, and a chain of mappings copies slowly.
    template.globals = dict(template.globals)
    return template


def clock_status(locale: str, status: str) -> str:
    return gettext(locale, CLOCK_STATUS[status])
