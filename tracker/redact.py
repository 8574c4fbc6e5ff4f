"""Make ticket text fit for a public page: personal data out, Markdown made inert.

Two pure functions, used on every piece of ticket text before it reaches the site:

:func:`redact`
    replaces personal data with a visible placeholder (``[已隐去电话]`` /
    ``[phone removed]``): mainland mobile numbers, landlines, E.164 numbers, resident
    ID numbers (18 digits with a valid ISO 7064 MOD 11-2 check digit, and the 15-digit
    legacy form with a plausible birth date), bank card numbers (13–19 digits, Luhn
    valid), e-mail addresses, and any exact value the caller names (the answers of
    private form fields).

:func:`inert_markdown`
    turns untrusted text into Markdown that renders as exactly that text, whatever
    extensions MkDocs and pymdownx have enabled: every ASCII punctuation mark becomes a
    numeric character reference, so no tag, entity, link, image, attribute list,
    snippet include, template tag, admonition, front matter, table or list can form.
    Line structure survives as hard line breaks and paragraphs.

:func:`plain_text`
    the one cleaning step every text goes through first, so that nothing hides personal
    data from :func:`redact` nor markup from :func:`inert_markdown`: Unicode NFKC
    normalisation (full-width digits, letters, ``＠`` and ``＋`` become ASCII; ligatures and
    circled digits their plain forms) except on the full-width punctuation Chinese is
    written with, which keeps its form; every control, invisible and format character
    removed (zero-width spaces and joiners, the soft hyphen, bidirectional overrides,
    variation selectors, fillers), every kind of space folded into one ASCII space, and
    line breaks made ``\n``. :func:`redact` runs it before detecting anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache

from tracker.i18n import DEFAULT_LOCALE, N_, gettext

__all__ = [
    "PLACEHOLDERS",
    "id_check_digit",
    "inert_inline",
    "inert_markdown",
    "luhn_valid",
    "placeholders",
    "plain_text",
    "redact",
]

# The visible placeholder for each kind of personal data removed.
PLACEHOLDERS: dict[str, str] = {
    "phone": N_("[phone removed]"),
    "id": N_("[ID number removed]"),
    "card": N_("[card number removed]"),
    "email": N_("[e-mail removed]"),
    "private": N_("[removed]"),
}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an 18-digit resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _plausible_birth(yyyymmdd: str) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return 1850 <= born.year <= 2100


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit() or ch in "Xx").upper()


# Digits are never taken from the middle of a longer run of digits or letters.
_L = r"(?<![0-9A-Za-z])"
_R = r"(?![0-9A-Za-z])"
_SEP = r"[ \-.]?"

# ASCII-only edges: an address written right after or before Chinese text is still found.
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
# Identity numbers in any grouping (6-8-4, 4-4-4-4-2 ...): a separator may follow any digit.
_ID18_RE = re.compile(_L + r"\d(?:" + _SEP + r"\d){16}" + _SEP + r"[0-9Xx]" + _R)
_ID15_RE = re.compile(_L + r"\d(?:" + _SEP + r"\d){14}" + _R)
_CARD_RE = re.compile(r"(?<![0-9A-Za-z+])\d(?:" + _SEP + r"\d){12,18}" + _R)
_MOBILE_BODY = r"1" + _SEP + r"[3-9](?:" + _SEP + r"\d){9}" + _R
_MOBILE_CC_RE = re.compile(r"(?<![0-9A-Za-z+])(?:(?:\+|00)86[ \-]?|\(\+?86\)[ \-]?)" + _MOBILE_BODY)
_MOBILE_RE = re.compile(r"(?<![0-9A-Za-z+])" + _MOBILE_BODY)
_LANDLINE_RE = re.compile(
    r"(?<![0-9A-Za-z+])(?:(?:\+|00)86[ \-]?)?(?:\(0\d{2,3}\)|0\d{2,3})[ \-]?\d{3,4}[ \-]?\d{4}"
    r"(?:\s?(?:转|分机|ext\.?|x|#|-)\s?\d{1,6})?" + _R,
    re.IGNORECASE,
)
_E164_RE = re.compile(r"(?<![0-9A-Za-z])\+[1-9](?:[ \-]?\d){6,14}" + _R)


def _id18(m: re.Match[str]) -> bool:
    d = _digits(m.group())
    return _plausible_birth(d[6:14]) and id_check_digit(d[:17]) == d[17]


def _id15(m: re.Match[str]) -> bool:
    d = _digits(m.group())
    return _plausible_birth("19" + d[6:12])


def _card(m: re.Match[str]) -> bool:
    d = _digits(m.group())
    return 13 <= len(d) <= 19 and luhn_valid(d)


def _always(_: re.Match[str]) -> bool:
    return True


# (kind, pattern, check): applied in this order, each on the text the one before left.
_DETECTORS: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool]], ...] = (
    ("email", _EMAIL_RE, _always),
    ("phone", _MOBILE_CC_RE, _always),
    ("id", _ID18_RE, _id18),
    ("card", _CARD_RE, _card),
    ("id", _ID15_RE, _id15),
    ("phone", _MOBILE_RE, _always),
    ("phone", _LANDLINE_RE, _always),
    ("phone", _E164_RE, _always),
)


def _sub_checked(text: str, pattern: re.Pattern[str], check: Callable[[re.Match[str]], bool], placeholder: str) -> str:
    """Each match that passes ``check`` replaced. A match that fails it is tried again one
    character on, so a number written right after another (a phone number, then an ID with
    spaces in it) is not hidden inside a longer candidate that fails its check digit."""
    out: list[str] = []
    pos = start = 0
    while (m := pattern.search(text, start)) is not None:
        if check(m):
            out.append(text[pos : m.start()])
            out.append(placeholder)
            pos = start = m.end()
        else:
            start = m.start() + 1
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


@cache
def placeholders(locale: str) -> dict[str, str]:
    """The placeholder of each kind, in ``locale``."""
    return {kind: gettext(locale, mark) for kind, mark in PLACEHOLDERS.items()}


def redact(text: str, *, private_values: Iterable[str] = (), locale: str = DEFAULT_LOCALE) -> str:
    """``text``, cleaned by :func:`plain_text`, with personal data replaced by visible placeholders.

    ``private_values`` (cleaned the same way) are removed wherever they occur verbatim
    (longest first; values shorter than two characters are ignored, they would shred
    ordinary words).
    """
    text = plain_text(text)
    if not text:
        return ""
    marks = placeholders(locale)
    cleaned = (plain_text(v).strip() for v in private_values if isinstance(v, str))
    values = sorted(
        {v for v in cleaned if len(v) >= 2},
        key=lambda v: (-len(v), v),
    )
    for value in values:
        text = text.replace(value, marks["private"])
    for kind, pattern, check in _DETECTORS:
        text = _sub_checked(text, pattern, check, marks[kind])
    return text


# ----------------------------------------------------------------------------- inert Markdown

# Every printable ASCII character that is neither a letter, a digit nor a space: each
# one has a meaning somewhere in Markdown, HTML, YAML, Jinja or a pymdownx extension.
_PUNCT = frozenset(chr(c) for c in range(0x21, 0x7F) if not chr(c).isalnum())
_ENTITY = {ch: f"&#{ord(ch)};" for ch in _PUNCT}
_ESCAPE_TABLE = str.maketrans(_ENTITY)

# Invisible characters that are not of category Cc/Cf but still show nothing: combining
# grapheme joiner, Hangul and Khmer fillers, variation selectors.
_INVISIBLE_EXTRA = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
_LINE_BREAKS_RE = re.compile("\r\n|[\r\u2028\u2029\x85\x0b\x0c\x1c-\x1e]")
_SPACES_RE = re.compile(r"[^\S\n]+")
# Full-width punctuation Chinese text is written with (，：（）！？；「」…) keeps its form:
# NFKC would make it ASCII. Only the marks that can be part of an address or a number
# (＠ ＋ － ． ＿ ％) are folded with the letters and digits.
_CJK_PUNCT = "".join(
    ch
    for ch in map(chr, range(0xFF01, 0xFF66))
    if unicodedata.category(ch)[0] in "PS" and ch not in "＠＋－．＿％"
)
_KEEP_RE = re.compile(f"([{re.escape(_CJK_PUNCT)}]+)")


def _nfkc(text: str) -> str:
    parts = _KEEP_RE.split(text)
    return "".join(part if i % 2 else unicodedata.normalize("NFKC", part) for i, part in enumerate(parts))
_SCHEME_RE = re.compile(r"(?<![A-Za-z])(?:java|vb|live)?\s*script\s*:|(?<![A-Za-z])data\s*:", re.I)


def _visible(ch: str) -> bool:
    if ch == "\n":
        return True
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in _INVISIBLE_EXTRA


def plain_text(text: str) -> str:
    """The cleaning step before anything else: line breaks made ``\\n``, NFKC, invisible
    and format characters removed, every run of spaces of any kind one ASCII space."""
    text = _LINE_BREAKS_RE.sub("\n", text or "").replace("\t", " ")
    # Remove invisibles before and after NFKC: a joiner must not keep two halves apart,
    # and normalising can compose new format characters out of none.
    text = "".join(ch for ch in text if _visible(ch))
    text = _nfkc(text)
    text = "".join(ch for ch in text if _visible(ch))
    return _SPACES_RE.sub(" ", text)


def _neutralise_schemes(text: str) -> str:
    # "javascript:" keeps its letters but loses its colon to a full-width one, so even a
    # reader copying it gets no working URL.
    return _SCHEME_RE.sub(lambda m: m.group()[:-1] + "：", text)


def _escape_line(line: str) -> str:
    return _neutralise_schemes(line).translate(_ESCAPE_TABLE)


def inert_inline(text: str) -> str:
    """One line of inert Markdown: for titles, list items and table cells."""
    line = " ".join(plain_text(text).split())
    return _escape_line(line)


def inert_markdown(text: str) -> str:
    """Untrusted text as Markdown that renders literally, keeping lines and paragraphs.

    Leading indentation is dropped (it would start a code block), blank lines separate
    paragraphs and single line breaks become hard breaks. The result holds no ASCII
    punctuation at all, so nothing in it can be read as markup by Markdown, HTML,
    pymdownx extensions, attribute lists, snippets, Jinja or YAML front matter.
    """
    paragraphs: list[list[str]] = [[]]
    for raw in plain_text(text).split("\n"):
        line = " ".join(raw.split())
        if not line:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(_escape_line(line))
    return "\n\n".join("  \n".join(lines) for lines in paragraphs if lines)
