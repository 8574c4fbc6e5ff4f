"""What an article or a post-incident report says in words: the symptoms the reporter gave,
and the answer or fix staff wrote.

* **Symptoms** are the answers of the fields that describe the problem: a field flagged
  ``symptom: true``, a field listed in ``reports.symptom_fields``, or a free-text answer (the
  reporter's own words) unless flagged ``symptom: false``. Triage answers -- the grade, the
  category, yes/no questions, the channel -- are not symptoms.
* **An answer** is the latest staff command of the given names with everything its author
  wrote around it: the words before the command line, its free-text argument and the text
  after it. ``key=value`` arguments (``/resolve downtime=1.2 loss=0``) are put in words
  (``downtime 1 hr 12 min, loss 0 CNY``) rather than shown raw.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker.commands import key_values, number_arg
from tracker.config import FREE_TEXT, Config
from tracker.i18n import Translator, format_names, format_number, format_span
from tracker.views import Command, TicketView


def symptom_fields(cfg: Config) -> frozenset[str]:
    """The ids of the fields whose answers describe the problem (see the module's text)."""
    listed = set(cfg.reports.symptom_fields)
    out = set()
    for fid, fld in cfg.fields.items():
        if fld.symptom is not None:
            if fld.symptom:
                out.add(fid)
        elif fid in listed or fld.kind in FREE_TEXT:
            out.add(fid)
    return frozenset(out)


def value_words(args: str, _: Translator) -> str:
    """``downtime=1.2 loss=0`` in words; "" when the arguments hold no ``key=value``."""
    parts = []
    for key, raw in key_values(args).items():
        number = number_arg(raw)
        if key == "downtime" and number is not None:
            parts.append(_("downtime %(span)s", span=format_span(number * 3600, _.locale)))
        elif key == "loss" and number is not None:
            parts.append(_("loss %(amount)s CNY", amount=format_number(number, _.locale)))
        else:
            parts.append(f"{key} {raw}")
    return format_names(parts, _.locale) if parts else ""


def latest(v: TicketView, names: Sequence[str]) -> Command | None:
    found = [c for c in v.commands if c.name in names]
    return max(found, key=lambda c: (c.at, c.comment_id)) if found else None


def answer(v: TicketView, names: Sequence[str], _: Translator) -> tuple[str, str]:
    """(what staff wrote, the values in words) of the latest command of ``names``."""
    cmd = latest(v, names)
    if cmd is None:
        return "", ""
    words = value_words(cmd.args, _)
    args = "" if key_values(cmd.args) else cmd.args.strip()
    text = "\n\n".join(p for p in (cmd.lead.strip(), args, cmd.text.strip()) if p)
    return text, words
