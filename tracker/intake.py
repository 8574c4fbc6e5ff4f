"""Reading submitted issue forms: the Markdown GitHub renders in, typed facts out.

GitHub turns a submitted issue form into one section per field, in form order::

    ### <label>

    <answer>

separated by blank lines. A blank answer is ``_No response_`` (an optional dropdown left
on its implicit choice may also read ``None``), a dropdown answer is the chosen option's
text (several: ``a, b``), checkboxes are ``- [X] option`` / ``- [ ] option`` lines, and a
textarea with ``render: <lang>`` is wrapped in a fenced code block. :func:`parse_body`
reads that back for the forms in ``tracker.yml`` (accepting either the Chinese or the
English label, whichever the forms were generated in); :func:`render_body` writes it, for
the local CLI, the demo and the tests.

Values: text fields give a stripped ``str``; a dropdown gives the option id (a tuple of
ids when ``multiple``); checkboxes give the tuple of ticked option ids, or a ``bool`` when
the field has exactly one option (``False`` when unticked, unless the field is required:
then it is missing); ``number`` gives ``int`` or ``float``; ``ratio`` gives a
``float`` in percent; ``datetime`` gives an aware ``datetime`` in ``cfg.tz``.

Every field of the detected form ends up in exactly one place: ``facts`` (answered),
``missing`` (required and blank), ``invalid`` (answered but unreadable), or nowhere (an
optional field left blank is simply absent from ``facts``, never ``None``).

Bodies are untrusted text: nothing is evaluated, CRLF, trailing blanks and a byte-order
mark are tolerated, sections may be missing or repeated (the last answer wins: a correction
added at the end of an edited body; a repeat left blank erases nothing), a ``### `` line
inside a fenced code block is not a heading, and every step is linear in the size of the body.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tracker.config import FREE_TEXT, Config, Form, FormField
from tracker.errors import NotFound, UsageError
from tracker.i18n import Translator, format_names, gettext

NO_RESPONSE = "_No response_"
NONE_CHOICE = "None"  # GitHub's implicit choice on an optional dropdown

@dataclass(frozen=True, slots=True)
class Intake:
    """What a ticket body says, read against one form."""

    form: str | None  # form id detected (None if the body matches no form)
    facts: dict[str, Any]  # field id -> value; blank optional fields are absent
    missing: tuple[str, ...]  # required field ids left blank
    invalid: tuple[tuple[str, str], ...]  # (field id, why: user-facing, in cfg.locale)


# ----------------------------------------------------------------------------- scanning

_FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
_HEADING_RE = re.compile(r"^ {0,3}###(?!#)(.*)$")
_CHECKBOX_RE = re.compile(r"^[ \t]*[-*+][ \t]*\[([ xX])\][ \t]*(.*)$")


def _lines(body: str) -> list[str]:
    # A byte-order mark (some editors and mail gateways add one) is no part of any answer.
    text = body.replace("\ufeff", "")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _norm(text: str) -> str:
    """The form of a label or option text used for comparing: width, case and spacing folded.

    Labels and option names repeat across tickets, so short texts are remembered; long
    ones (untrusted, possibly huge) are not, so the cache stays small.
    """
    return _norm_short(text) if len(text) <= 200 else _fold(text)


def comparable(text: str) -> str:
    """How the parser compares labels and option texts: two texts it cannot tell apart
    (``联系电话(手机)`` and ``联系电话（手机）``) give the same key."""
    return _norm(text)


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


_norm_short = functools.lru_cache(maxsize=4096)(_fold)


def _fence(line: str) -> tuple[str, int, bool] | None:
    """(fence character, run length, may close a fence) for a fence line, else None."""
    match = _FENCE_RE.match(line)
    if not match:
        return None
    run, info = match.group(1), match.group(2)
    if run[0] == "`" and "`" in info:
        return None  # an info string after backticks may not hold backticks
    return run[0], len(run), not info.strip()


def _headings(lines: list[str]) -> list[tuple[int, str]]:
    """(line index, text) of every ``###`` heading outside a fenced code block.

    A fence that is never closed does not hide the rest of the body: it would otherwise
    swallow every later answer. Whether a fence closes is known in O(1) from the longest
    closing run of each fence character in the lines after it.
    """
    text = "\n".join(lines)
    if "```" not in text and "~~~" not in text:  # no fence line: every heading line counts
        matches = ((i, _HEADING_RE.match(line)) for i, line in enumerate(lines) if "###" in line)
        return [(i, m.group(1).strip()) for i, m in matches if m]
    fences = [_fence(line) for line in lines]
    longest_after: dict[str, list[int]] = {"`": [0] * (len(lines) + 1), "~": [0] * (len(lines) + 1)}
    for i in range(len(lines) - 1, -1, -1):
        for char, runs in longest_after.items():
            runs[i] = runs[i + 1]
            fence = fences[i]
            if fence and fence[2] and fence[0] == char:
                runs[i] = max(runs[i], fence[1])
    found: list[tuple[int, str]] = []
    open_fence: tuple[str, int] | None = None
    for i, line in enumerate(lines):
        fence = fences[i]
        if open_fence:
            if fence and fence[2] and fence[0] == open_fence[0] and fence[1] >= open_fence[1]:
                open_fence = None
            continue
        if fence and longest_after[fence[0]][i + 1] >= fence[1]:
            open_fence = (fence[0], fence[1])
            continue
        match = _HEADING_RE.match(line)
        if match:
            found.append((i, match.group(1).strip()))
    return found


def _field_labels(cfg: Config, fid: str) -> list[str]:
    fld = cfg.fields[fid]
    first = fld.text(cfg.locale)
    return [first, *(label for label in (fld.label, fld.label_en) if label and label != first)]


def _label_map(cfg: Config, form: Form) -> dict[str, str]:
    """Normalised heading -> field id; labels in cfg.locale take precedence on a clash
    (built once per policy and form)."""
    maps: dict[str, dict[str, str]] = cfg.lookups.setdefault("intake.label_map", {})
    found = maps.get(form.id)
    if found is None:
        found = maps[form.id] = _build_label_map(cfg, form)
    return found


def _build_label_map(cfg: Config, form: Form) -> dict[str, str]:
    out: dict[str, str] = {}
    for fid in form.fields:
        out.setdefault(_norm(cfg.fields[fid].text(cfg.locale)), fid)
    for fid in form.fields:
        for label in _field_labels(cfg, fid):
            out.setdefault(_norm(label), fid)
    return out


def _sections(
    lines: list[str], headings: list[tuple[int, str]], labels: dict[str, str]
) -> dict[str, str]:
    """Field id -> the raw text under its heading. Unknown headings stay part of the answer
    above them (a heading the user typed into a textarea). A repeated heading is a
    correction (a section added again at the end of an edited body): the last answer
    wins, but a repeated section left blank does not erase an earlier answer."""
    bounds = [(index, labels.get(_norm(text))) for index, text in headings]
    bounds = [(index, fid) for index, fid in bounds if fid is not None]
    out: dict[str, str] = {}
    for k, (index, fid) in enumerate(bounds):
        end = bounds[k + 1][0] if k + 1 < len(bounds) else len(lines)
        text = "\n".join(lines[index + 1 : end]).strip()
        if fid is not None and (fid not in out or not _is_blank(text)):
            out[fid] = text
    return out


# ----------------------------------------------------------------------------- form detection


def _type_label(cfg: Config, type_id: str) -> str:
    return cfg.labels.type.replace("{id}", type_id)


def _titled(title: str, cfg: Config) -> list[Form]:
    """The forms whose ``title_prefix`` the title starts with (the longest prefix wins)."""
    folded = _fold(title[:200])
    hits = [f for f in cfg.forms if f.title_prefix.strip() and folded.startswith(_norm(f.title_prefix))]
    longest = max((len(f.title_prefix.strip()) for f in hits), default=0)
    return [f for f in hits if len(f.title_prefix.strip()) == longest]


def _heading_sets(cfg: Config, form: Form) -> tuple[frozenset[str], ...]:
    """Per field of ``form`` (known to the config), the normalised headings that name it
    (built once per policy and form)."""
    sets: dict[str, tuple[frozenset[str], ...]] = cfg.lookups.setdefault("intake.heading_sets", {})
    found = sets.get(form.id)
    if found is None:
        found = sets[form.id] = tuple(
            frozenset(_norm(t) for t in _field_labels(cfg, fid)) for fid in form.fields if fid in cfg.fields
        )
    return found


def _pools(labels: Iterable[str], cfg: Config, title: str) -> Iterator[list[Form]]:
    """The forms to choose from, in turn: those the labels name, those the title names (read
    only when none of the first matches), then every form."""
    present = {label.casefold() for label in labels}
    yield [f for f in cfg.forms if _type_label(cfg, f.type).casefold() in present]
    if title:
        yield _titled(title, cfg)
    yield cfg.forms


def _best_form(headings: set[str], labels: Iterable[str], cfg: Config, title: str = "") -> str | None:
    for pool in _pools(labels, cfg, title):
        best: str | None = None
        best_key: tuple[int, float] = (0, 0.0)
        for form in pool:
            hits = sum(1 for labels in _heading_sets(cfg, form) if not labels.isdisjoint(headings))
            key = (hits, hits / len(form.fields))
            if hits and key > best_key:
                best, best_key = form.id, key
        if best is not None:
            return best
    return None


def detect_form(body: str, labels: Iterable[str], cfg: Config, title: str = "") -> str | None:
    """The id of the form ``body`` was submitted from, or None.

    Candidates are the forms whose type label (``cfg.labels.type``) is among ``labels``;
    else those whose ``title_prefix`` starts ``title`` (GitHub puts the form's title in the
    new issue's title, and a form's labels are only set when they already exist); else,
    or when none of those matches a heading, every form. The form with the most field
    labels among the body's ``###`` headings wins; ties go to the form with the larger
    share of its fields present, then to the first in the config.
    """
    lines = _lines(body or "")
    return _best_form({_norm(text) for _, text in _headings(lines)}, labels, cfg, title)


# ----------------------------------------------------------------------------- values


def _quote(text: str, limit: int = 40) -> str:
    """Echo a user's answer inside a message: one line, short, as inline code (so it can
    neither mention anyone nor break the Markdown around it)."""
    flat = " ".join(text.replace("`", "'").split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return f"`{flat}`"


_LOOKUPS: dict[int, dict[str, str]] = {}  # id(field) -> lookup, dropped with the field


def _option_lookup(fld: FormField) -> dict[str, str]:
    """Normalised option text -> option id, remembered while the field object lives
    (configs are frozen; a reloaded config brings new field objects). Read-only."""
    key = id(fld)
    hit = _LOOKUPS.get(key)
    if hit is None:
        hit = _LOOKUPS[key] = _build_option_lookup(fld)
        weakref.finalize(fld, _LOOKUPS.pop, key, None)
    return hit


def _build_option_lookup(fld: FormField) -> dict[str, str]:
    """Normalised option text -> option id: names (both languages) first, then ids."""
    out: dict[str, str] = {}
    for opt in fld.options:
        for text in (opt.name, opt.name_en):
            if text:
                out.setdefault(_norm(text), opt.id)
    for opt in fld.options:
        out.setdefault(_norm(opt.id), opt.id)
    return out


def _bad_option(cfg: Config, fld: FormField, value: str) -> str:
    options = format_names((o.label(cfg.locale) for o in fld.options), cfg.locale)
    return gettext(cfg.locale, "%(value)s is not one of the choices: %(options)s", value=_quote(value), options=options)


_NUMBER_RE = re.compile(
    r"[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?"
)


def _number(text: str) -> int | float | None:
    """'12', '1,200', '１２', '-3.5', '1e3' -> a number; anything else -> None."""
    t = unicodedata.normalize("NFKC", text).strip()
    if len(t) > 64 or not _NUMBER_RE.fullmatch(t):
        return None
    t = t.replace(",", "")
    if any(c in t for c in ".eE"):
        value = float(t)
        return value if math.isfinite(value) else None
    return int(t)


def _ratio(text: str) -> float | None:
    """'1.5%', '1.5', '0.5 %' -> percent as a float within 0..100; else None."""
    t = unicodedata.normalize("NFKC", text).strip()
    if t.endswith("%"):
        t = t[:-1]
    value = _number(t)
    if value is None or not 0 <= value <= 100:
        return None
    return float(value)


_DATETIME_RE = re.compile(
    r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?"
    r"(?:\s*[Tt]\s*|\s+|(?<=日))"
    r"([0-9]{1,2})\s*:\s*([0-9]{2})(?:\s*:\s*([0-9]{2}))?"
    r"\s*(Z|z|UTC|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)


def _datetime(text: str, cfg: Config) -> datetime | None:
    """'2026-11-24 14:30', '2026-11-24T14:30:05', '2026-11-24 14:30+01:00' -> aware, in cfg.tz."""
    t = unicodedata.normalize("NFKC", text).strip()
    match = _DATETIME_RE.fullmatch(t) if len(t) <= 64 else None
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        naive = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
        if not zone:
            return naive.replace(tzinfo=cfg.tz)
        if zone in ("Z", "z", "UTC"):
            offset = timedelta(0)
        else:
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            if zone[0] == "-":
                offset = -offset
        return naive.replace(tzinfo=timezone(offset)).astimezone(cfg.tz)
    except (ValueError, OverflowError):
        return None


def _strip_render_fence(text: str) -> str:
    """Undo GitHub's ```` ```<render> ```` wrapping of a rendered textarea answer."""
    lines = text.split("\n")
    if len(lines) >= 2 and lines[0].lstrip().startswith("```") and lines[-1].strip() == "```":
        return "\n".join(lines[1:-1]).strip()
    return text


def _is_blank(text: str) -> bool:
    return not text or text.casefold() == NO_RESPONSE.casefold()


def _dropdown(cfg: Config, fld: FormField, text: str) -> tuple[Any, str | None]:
    lookup = _option_lookup(fld)
    if text.casefold() == NONE_CHOICE.casefold() and _norm(text) not in lookup:
        return None, None
    whole = lookup.get(_norm(text))
    if not fld.multiple:
        return (whole, None) if whole else (None, _bad_option(cfg, fld, text))
    if whole:
        return (whole,), None
    # Several choices joined with ", ". Option texts may hold commas themselves, so join
    # pieces into the longest run that names an option, trying at most (the most commas
    # in one option + 1) pieces: linear in the length of the answer.
    reach = 1 + max(
        _norm(t).count(",") for o in fld.options for t in (o.name, o.name_en or "", o.id)
    )
    pieces = unicodedata.normalize("NFKC", text).split(",")  # "，" counts as a comma too
    chosen: list[str] = []
    i = 0
    while i < len(pieces):
        for j in range(min(i + reach, len(pieces)) - 1, i - 1, -1):  # longest match first
            oid = lookup.get(_norm(",".join(pieces[i : j + 1])))
            if oid:
                if oid not in chosen:
                    chosen.append(oid)
                i = j + 1
                break
        else:
            return None, _bad_option(cfg, fld, pieces[i].strip() or text)
    return tuple(chosen), None


def _checkboxes(cfg: Config, fld: FormField, text: str) -> tuple[Any, str | None]:
    lookup = _option_lookup(fld)
    ticked: set[str] = set()
    for line in text.split("\n"):
        match = _CHECKBOX_RE.match(line)
        if not match or match.group(1) == " ":
            continue
        oid = lookup.get(_norm(match.group(2)))
        if oid is None:
            return None, _bad_option(cfg, fld, match.group(2).strip())
        ticked.add(oid)
    if len(fld.options) == 1:
        return fld.options[0].id in ticked, None
    chosen = tuple(o.id for o in fld.options if o.id in ticked)
    return (chosen or None), None


def read_answer(cfg: Config, fid: str, text: str | None) -> tuple[Any, str | None]:
    """One raw answer (the text under a field's heading, None when absent) as (value, why).

    ``value`` is None for a blank answer; ``why`` is a user-facing reason (in cfg.locale)
    when the answer cannot be read, and then ``value`` is None.
    """
    fld = cfg.fields[fid]
    raw = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if fld.kind == "textarea" and fld.render:
        raw = _strip_render_fence(raw)
    if _is_blank(raw):
        # A one-box field whose section is there but empty reads as "not ticked".
        one_box = fld.kind == "checkboxes" and len(fld.options) == 1
        return (False if one_box and text is not None else None), None
    if fld.kind in ("input", "textarea"):
        return raw, None
    if fld.kind == "dropdown":
        return _dropdown(cfg, fld, raw)
    if fld.kind == "checkboxes":
        return _checkboxes(cfg, fld, raw)
    _ = Translator(cfg.locale)
    if fld.kind == "number":
        number = _number(raw)
        if number is None:
            return None, _("should be a number such as 12, 1,200 or 3.5, not %(value)s", value=_quote(raw))
        return number, None
    if fld.kind == "ratio":
        ratio = _ratio(raw)
        if ratio is None:
            return None, _("should be a percentage from 0 to 100 such as 1.5%%, not %(value)s", value=_quote(raw))
        return ratio, None
    when = _datetime(raw, cfg)
    if when is None:
        return None, _("should be a date and time such as 2026-11-24 14:30, not %(value)s", value=_quote(raw))
    return when, None


_ANSWERS_KEPT = 4096  # remembered answers per policy before they are forgotten all at once


def _answer(cfg: Config, fid: str, fld: FormField, text: str | None) -> tuple[Any, str | None]:
    """:func:`read_answer`, remembered per policy for a short answer to a field of choices,
    a number or a time (``华东``, ``3``, ``0.5%``): such answers repeat across tickets. The
    writer's own words (long, each different) are read every time."""
    if fld.kind in FREE_TEXT or (text is not None and len(text) > 200):
        return read_answer(cfg, fid, text)
    answers: dict[tuple[str, str | None], tuple[Any, str | None]] = cfg.lookups.setdefault("intake.answers", {})
    key = (fid, text)
    hit = answers.get(key)
    if hit is None:
        if len(answers) >= _ANSWERS_KEPT:
            answers.clear()
        hit = answers[key] = read_answer(cfg, fid, text)
    return hit


# ----------------------------------------------------------------------------- parsing


def parse_body(
    body: str, cfg: Config, labels: Iterable[str] = (), form_id: str | None = None, title: str = ""
) -> Intake:
    """Read an issue body against ``form_id`` (if None, detected as :func:`detect_form` does).

    Raises :class:`~tracker.errors.NotFound` for a ``form_id`` not in the config. A body
    that matches no form gives ``Intake(None, {}, (), ())``.
    """
    lines = _lines(body or "")
    headings = _headings(lines)
    if form_id is None:
        form_id = _best_form({_norm(text) for _, text in headings}, labels, cfg, title)
        if form_id is None:
            return Intake(form=None, facts={}, missing=(), invalid=())
    form = cfg.form_by_id.get(form_id)
    if form is None:
        raise NotFound(f"no form named {form_id!r}; forms: {', '.join(cfg.form_by_id)}")
    raw = _sections(lines, headings, _label_map(cfg, form))
    facts: dict[str, Any] = {}
    missing: list[str] = []
    invalid: list[tuple[str, str]] = []
    for fid in form.fields:
        fld = cfg.fields[fid]
        value, why = _answer(cfg, fid, fld, raw.get(fid))
        if why is not None:
            invalid.append((fid, why))
        elif value is None or (value is False and fld.required):
            if fld.required:
                missing.append(fid)
        else:
            facts[fid] = value
    return Intake(form=form.id, facts=facts, missing=tuple(missing), invalid=tuple(invalid))


def missing_info_message(intake: Intake, cfg: Config) -> str:
    """The reply asking the requester to fix the body: one line per missing or invalid
    answer, by its label, in cfg.locale. Empty when there is nothing to ask."""
    locale = cfg.locale
    _ = Translator(locale)
    if intake.form is None:
        return _("This ticket does not match any of our forms. Please open it again from one of the issue forms.")
    whys = {fid: _("required, but left blank") for fid in intake.missing}
    whys.update(dict(intake.invalid))
    if not whys:
        return ""
    form = cfg.form_by_id.get(intake.form)
    order = [fid for fid in form.fields if fid in whys] if form else []
    order += [fid for fid in whys if fid not in order]
    items = [
        _("- **%(label)s**: %(why)s", label=cfg.fields[fid].text(locale) if fid in cfg.fields else fid, why=whys[fid])
        for fid in order
    ]
    return "\n".join([_("Please edit the ticket to add or correct the following:"), "", *items])


# ----------------------------------------------------------------------------- rendering


def _option(cfg: Config, fid: str, fld: FormField, value: Any) -> str:
    """An option id or name (either language) -> the option id."""
    text = str(value)
    if any(o.id == text for o in fld.options):
        return text
    oid = _option_lookup(fld).get(_norm(text))
    if oid is None:
        raise UsageError(
            f"{fid}: {text!r} is not an option ({', '.join(o.id for o in fld.options)})"
        )
    return oid


def _chosen(cfg: Config, fid: str, fld: FormField, value: Any) -> list[str]:
    """Options given as one id or name, several in a list, or (as a command line gives
    them) one string of comma-separated ids or names."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        several = fld.kind == "checkboxes" or fld.multiple
        if several and _norm(value) not in _option_lookup(fld) and "," in value:
            return list(dict.fromkeys(_option(cfg, fid, fld, v.strip()) for v in value.split(",")))
        return [_option(cfg, fid, fld, value)]
    if isinstance(value, Iterable):
        return list(dict.fromkeys(_option(cfg, fid, fld, v) for v in value))
    return [_option(cfg, fid, fld, value)]


_YES = frozenset({"true", "yes", "y", "1", "x", "是", "对"})
_NO = frozenset({"false", "no", "n", "0", "否", "不"})


def _one_box(cfg: Config, fid: str, fld: FormField, value: Any) -> bool:
    """A one-checkbox answer: a bool, the option itself, or a yes/no word."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    if isinstance(value, str) and _norm(value) not in _option_lookup(fld):
        if _norm(value) in _YES:
            return True
        if _norm(value) in _NO or not value.strip():
            return False
    return bool(_chosen(cfg, fid, fld, value))


def _plain_number(value: int | float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _render_answer(cfg: Config, fid: str, fld: FormField, value: Any) -> str:
    names = {o.id: o.label(cfg.locale) for o in fld.options}
    if fld.kind == "checkboxes":
        if len(fld.options) == 1:
            ticked = {fld.options[0].id} if _one_box(cfg, fid, fld, value) else set()
        elif isinstance(value, bool):
            raise UsageError(f"{fid}: a yes/no answer needs a checkbox field with one option")
        else:
            ticked = set(_chosen(cfg, fid, fld, value))
        return "\n".join(f"- [{'X' if o.id in ticked else ' '}] {names[o.id]}" for o in fld.options)
    if fld.kind == "dropdown":
        chosen = _chosen(cfg, fid, fld, value)
        if len(chosen) > 1 and not fld.multiple:
            raise UsageError(f"{fid}: only one option may be chosen")
        return ", ".join(names[oid] for oid in chosen) or NO_RESPONSE
    if value is None or isinstance(value, bool):
        text = "" if value is None else str(value)
    elif fld.kind in ("number", "ratio") and isinstance(value, int | float):
        text = _plain_number(value) + ("%" if fld.kind == "ratio" else "")
    elif fld.kind == "datetime" and isinstance(value, datetime):
        local = value.astimezone(cfg.tz) if value.tzinfo else value
        text = local.strftime("%Y-%m-%d %H:%M" + (":%S" if local.second else ""))
    else:
        text = str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return NO_RESPONSE
    if fld.kind == "textarea" and fld.render:
        return f"```{fld.render}\n{text}\n```"
    return text


def render_body(cfg: Config, form_id: str, answers: Mapping[str, Any]) -> str:
    """The Markdown GitHub writes when ``answers`` are submitted on form ``form_id``.

    ``answers`` maps field ids to values of the kinds :func:`parse_body` returns; options
    may be given by id or by name. Fields left out are rendered blank. Labels and option
    names are in cfg.locale, as in the generated forms.
    """
    form = cfg.form_by_id.get(form_id)
    if form is None:
        raise NotFound(f"no form named {form_id!r}; forms: {', '.join(cfg.form_by_id)}")
    unknown = [fid for fid in answers if fid not in form.fields]
    if unknown:
        raise UsageError(f"form {form_id!r} has no field {', '.join(map(repr, unknown))}")
    sections = []
    for fid in form.fields:
        fld = cfg.fields[fid]
        answer = _render_answer(cfg, fid, fld, answers.get(fid))
        sections.append(f"### {fld.text(cfg.locale)}\n\n{answer}")
    return "\n\n".join(sections)
