"""The one way to translate: gettext catalogs, and Babel for times, numbers, lists and durations.

Source strings are English and written in the code and templates as they are, marked with
:func:`gettext` (``_`` in templates). Every other locale is one catalog,
``tracker/locale/<locale>/LC_MESSAGES/messages.po``, compiled in memory when first used, so
adding a locale is adding a catalog. Placeholders are ``%(name)s`` everywhere (the style
Babel's extractors and Jinja2's i18n tools know). Chinese is the default locale.

This is also the one place that picks the locale: :func:`pick` falls back to the default for
a locale without a catalog, so every caller gets the same answer.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterable
from datetime import datetime
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from babel import Locale
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from babel.units import format_unit
from jinja2 import BaseLoader, Environment, StrictUndefined, nodes
from jinja2.visitor import NodeTransformer

SOURCE_LOCALE = "en"
DEFAULT_LOCALE = "zh"
DOMAIN = "messages"


@cache
def catalog_locales() -> tuple[str, ...]:
    """The locales that have a catalog, sorted."""
    root = files("tracker") / "locale"
    if not root.is_dir():
        return ()
    return tuple(sorted(d.name for d in root.iterdir() if (d / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()))


@cache
def locales() -> tuple[str, ...]:
    """Every locale the desk can speak: the source locale and each catalog's."""
    return (SOURCE_LOCALE, *(loc for loc in catalog_locales() if loc != SOURCE_LOCALE))


def pick(locale: str | None) -> str:
    """The locale to speak: ``locale`` when it is known, else the default."""
    return locale if locale in locales() else DEFAULT_LOCALE


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``locale`` (the source locale translates to itself)."""
    if locale == SOURCE_LOCALE:
        return _gettext.NullTranslations()
    po = files("tracker") / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(locale: str, message: str, **fields: Any) -> str:
    """``message`` in ``locale``, with ``%(name)s`` placeholders filled from ``fields``."""
    text = translations(pick(locale)).gettext(message)
    return text % fields if fields else text


def ngettext(locale: str, singular: str, plural: str, n: int, **fields: Any) -> str:
    """The singular or plural form of a message for ``n`` (``n`` is also a field)."""
    text = translations(pick(locale)).ngettext(singular, plural, n)
    return text % {"n": n, **fields}


class Translator:
    """``gettext`` bound to one locale, for code that speaks in one locale throughout.

    Call it as ``_ = Translator(locale)`` and then ``_("Linked to incident #%(n)s", n=7)``.
    """

    __slots__ = ("locale",)

    def __init__(self, locale: str) -> None:
        self.locale = pick(locale)

    def __call__(self, message: str, **fields: Any) -> str:
        return gettext(self.locale, message, **fields)

    def plural(self, singular: str, plural: str, n: int, **fields: Any) -> str:
        return ngettext(self.locale, singular, plural, n, **fields)


def N_(message: str) -> str:  # the conventional name extractors look for
    """Mark ``message`` for the catalog without translating it here (for tables of messages)."""
    return message


# ----------------------------------------------------------------------------- formatters


@cache
def babel_locale(locale: str) -> Locale:
    return Locale.parse(pick(locale))


def format_time(t: datetime) -> str:
    """A moment as people at the desk read it: ``2026-09-30 17:40`` (the same in every locale)."""
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"


def format_span(seconds: float, locale: str) -> str:
    """A duration in whole minutes: ``1天3小时5分钟`` / ``1 day 3 hr 5 min``.

    The one duration formatter: comments, the CLI, the site and the reports all use it.
    Negative spans are shown as their size; callers say "early" or "late" in words.
    """
    return _span(round(abs(seconds) / 60), pick(locale))


@lru_cache(maxsize=65536)
def _span(minutes: int, locale: str) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [_unit(value, unit, locale) for value, unit in ((days, "duration-day"), (hours, "duration-hour")) if value]
    if mins or not parts:
        parts.append(_unit(mins, "duration-minute", locale))
    text = _unit_list(locale, len(parts))
    for i, part in enumerate(parts):
        text = text.replace(f"\0{i}\0", part)
    return text


@lru_cache(maxsize=4096)
def _unit(value: int, unit: str, locale: str) -> str:
    """``3小时`` / ``3 hr``: Babel's short unit pattern, worked out once per value."""
    return format_unit(value, unit, length="short", locale=babel_locale(locale))


@cache
def _unit_list(locale: str, n: int) -> str:
    """How ``n`` units stand together (``1天3小时`` / ``1 day 3 hr``), with numbered slots."""
    return format_list([f"\0{i}\0" for i in range(n)], style="unit-narrow", locale=babel_locale(locale))


def format_number(value: float, locale: str) -> str:
    """A number with the locale's grouping and decimal sign."""
    return format_decimal(value, locale=babel_locale(locale))


def format_names(items: Iterable[str], locale: str) -> str:
    """Names in a row, as a list in running text: ``甲、乙`` / ``a, b``."""
    return gettext(locale, ", ").join(items)


# ----------------------------------------------------------------------------- templates


class _Translated(NodeTransformer):
    """Puts the catalog's text in place of each ``_("literal", name=value)`` call, once, when
    a template is compiled: the compiled template formats ``"text" % {name: value}`` and calls
    no function per message (a comment renders as fast as a template written in one language)."""

    def __init__(self, catalog: _gettext.NullTranslations) -> None:
        self.catalog = catalog

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        call = self.generic_visit(node)
        assert isinstance(call, nodes.Call)
        literal = call.args[0] if len(call.args) == 1 else None
        if not (
            isinstance(call.node, nodes.Name)
            and call.node.name == "_"
            and isinstance(literal, nodes.Const)
            and isinstance(literal.value, str)
            and call.dyn_args is None
            and call.dyn_kwargs is None
        ):
            return call
        text = nodes.Const(self.catalog.gettext(literal.value), lineno=call.lineno)
        if not call.kwargs:
            return text
        fields = nodes.Dict(
            [nodes.Pair(nodes.Const(k.key, lineno=k.lineno), k.value, lineno=k.lineno) for k in call.kwargs],
            lineno=call.lineno,
        )
        return nodes.Mod(text, fields, lineno=call.lineno)


class _LocaleEnvironment(Environment):
    """An environment whose templates are compiled with their messages already translated."""

    catalog: _gettext.NullTranslations = _gettext.NullTranslations()

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        translated = _Translated(self.catalog).visit(tree)
        assert isinstance(translated, nodes.Template)
        return translated


@cache
def environment(locale: str, loader: BaseLoader) -> Environment:
    """A Jinja2 environment speaking ``locale``: templates write ``_("…", name=value)`` as
    the code does, translated when the template is compiled.

    The formatters are filters: ``{{ seconds | span }}``, ``{{ moment | time }}``.
    """
    env = _LocaleEnvironment(
        loader=loader,
        autoescape=False,  # Markdown, not HTML; ticket text reaches templates only cleaned
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the package: no stat() per render
    )
    env.catalog = translations(pick(locale))
    env.globals["_"] = Translator(locale)  # a message that is not a literal, translated when shown
    env.filters["span"] = lambda seconds: format_span(seconds, locale)
    env.filters["time"] = format_time
    env.filters["number"] = lambda value: format_number(value, locale)
    env.filters["names"] = lambda items: format_names(items, locale)
    return env
