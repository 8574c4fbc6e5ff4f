"""The one translation mechanism: catalogs complete, placeholders kept, formatters per locale."""

from __future__ import annotations

import re
import runpy
from datetime import datetime
from pathlib import Path

import pytest

from tracker import i18n

ROOT = Path(__file__).resolve().parent.parent
CATALOG = runpy.run_path(str(ROOT / "scripts" / "catalog.py"))
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_every_catalog_has_every_message() -> None:
    template = CATALOG["extract"]()
    assert len(template) > 40  # the comments alone mark this many; an empty extraction is a fault
    problems = [line for path in CATALOG["catalogs"]() for line in CATALOG["problems"](template, path)]
    assert problems == []


def test_the_check_names_a_missing_translation(tmp_path: Path) -> None:
    template = CATALOG["extract"]()
    po = tmp_path / "xx" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n', encoding="utf-8")
    lines = CATALOG["problems"](template, po)
    assert len(lines) == len([m for m in template if m.id])
    assert lines[0].startswith(f"{po}: untranslated: ")


@pytest.mark.parametrize("path", CATALOG["catalogs"](), ids=lambda p: p.parent.parent.name)
def test_translations_keep_every_placeholder(path: Path) -> None:
    for message in CATALOG["load"](path):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, message.id


def test_locales_are_the_source_and_each_catalog() -> None:
    assert i18n.locales()[0] == "en"
    assert "zh" in i18n.locales()
    assert i18n.pick("zh") == "zh"
    assert i18n.pick("en") == "en"
    assert i18n.pick("fr") == "zh"  # no catalog: the default
    assert i18n.pick(None) == "zh"


def test_gettext_fills_placeholders_in_each_locale() -> None:
    assert i18n.gettext("en", "🔗 Linked to incident #%(incident)s.", incident=7) == "🔗 Linked to incident #7."
    assert i18n.gettext("zh", "🔗 Linked to incident #%(incident)s.", incident=7) == "🔗 已关联到事件 #7。"
    _ = i18n.Translator("zh")
    assert _("Clock") == "时限"


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (0, "0分钟", "0 min"),
        (29, "0分钟", "0 min"),
        (60 * 5, "5分钟", "5 min"),
        (3600, "1小时", "1 hr"),
        (3900, "1小时5分钟", "1 hr 5 min"),
        (86400 + 60, "1天1分钟", "1 day 1 min"),
        (3 * 86400 + 2 * 3600 + 60, "3天2小时1分钟", "3 days 2 hr 1 min"),
        (-3900, "1小时5分钟", "1 hr 5 min"),
    ],
)
def test_one_duration_format_per_locale(seconds: float, zh: str, en: str) -> None:
    assert i18n.format_span(seconds, "zh") == zh
    assert i18n.format_span(seconds, "en") == en


def test_times_numbers_and_names() -> None:
    assert i18n.format_time(datetime(2026, 9, 30, 7, 5)) == "2026-09-30 07:05"
    assert i18n.format_number(150000, "zh") == "150,000"
    assert i18n.format_number(1.5, "en") == "1.5"
    assert i18n.format_names(["@a", "@b"], "zh") == "@a、@b"
    assert i18n.format_names(["@a", "@b"], "en") == "@a, @b"


def test_templates_are_translated_when_compiled() -> None:
    from jinja2 import DictLoader

    loader = DictLoader({"t.j2": '{{ _("Clock") }}|{{ _("🔗 Linked to incident #%(incident)s.", incident=n) }}'})
    assert i18n.environment("zh", loader).get_template("t.j2").render(n=7) == "时限|🔗 已关联到事件 #7。"
    assert i18n.environment("en", loader).get_template("t.j2").render(n=7) == "Clock|🔗 Linked to incident #7."
