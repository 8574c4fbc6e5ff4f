"""Keep the message catalogs complete: extract every marked string, update or check each catalog.

    python scripts/catalog.py            # add new messages to every catalog, drop unused ones
    python scripts/catalog.py --check    # exit 1 naming each message a catalog lacks (CI)

Messages are marked in the code as ``gettext(locale, "…")``, ``ngettext(locale, "…", "…", n)``,
``_("…")`` (a :class:`tracker.i18n.Translator` or a template's ``_``) and ``N_("…")``.
A new message is added untranslated; fill in its ``msgstr`` in each catalog.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "tracker" / "locale"
KEYWORDS = {"_": None, "gettext": (2,), "ngettext": (2, 3), "N_": None, "plural": (1, 2)}
METHODS = [
    ("tracker/**.py", "python"),
    ("templates/**.j2", "jinja2"),
]
OPTIONS = {"templates/**.j2": {"extensions": "jinja2.ext.i18n"}}


def extract() -> Catalog:
    """Every message marked in the package and the templates."""
    template = Catalog(project="gh-service-desk", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, METHODS, OPTIONS, KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True,
        directory_filter=lambda path: Path(path).relative_to(ROOT).parts[:1] in (("tracker",), ("templates",)),
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def catalogs() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))


def load(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=path.parent.parent.name)


def problems(template: Catalog, path: Path) -> list[str]:
    """What ``path`` lacks or holds in excess of ``template``, one line each."""
    catalog = load(path)
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    found: list[str] = []
    for message in template:
        if not message.id:
            continue
        have = catalog.get(message.id, context=message.context)
        strings = have.string if have is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            found.append(f"{name}: untranslated: {message.id!r}")
        elif have is not None and have.fuzzy:
            found.append(f"{name}: fuzzy: {message.id!r}")
    for message in catalog:
        if message.id and template.get(message.id, context=message.context) is None:
            found.append(f"{name}: unused: {message.id!r}")
    return found


def update(template: Catalog, path: Path) -> None:
    catalog = load(path)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report gaps instead of updating")
    args = parser.parse_args(argv)
    template = extract()
    if args.check:
        found = [line for path in catalogs() for line in problems(template, path)]
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    for path in catalogs():
        update(template, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
