"""Personal data out, Markdown made inert: on the functions, the built HTML and the search index."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.config import load_config, preset_path
from tracker.publish import publish
from tracker.redact import (
    id_check_digit,
    inert_inline,
    inert_markdown,
    luhn_valid,
    plain_text,
    redact,
)
from tracker.views import Command, TicketView

PHONE = "[已隐去电话]"
ID = "[已隐去身份证号]"
CARD = "[已隐去银行卡号]"
EMAIL = "[已隐去邮箱]"


def valid_id(first17: str) -> str:
    return first17 + id_check_digit(first17)


def luhn_complete(prefix: str) -> str:
    for last in "0123456789":
        if luhn_valid(prefix + last):
            return prefix + last
    raise AssertionError("unreachable")


# ----------------------------------------------------------------------------- redact


@pytest.mark.parametrize(
    "text",
    [
        "电话13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "0086-13812345678",
        "(+86)13812345678",
        "１３８１２３４５６７８",  # full-width digits
        "call 19912345678.",
    ],
)
def test_mainland_mobile_numbers_are_removed(text: str) -> None:
    out = redact(text)
    assert PHONE in out
    assert not re.search(r"\d{4}", out.translate(str.maketrans("１２３４５６７８９０", "1234567890")))


@pytest.mark.parametrize(
    "text",
    [
        "010-12345678",
        "0755-8765 4321",
        "(021)12345678",
        "座机 0571-88886666 转 802",
        "0571-88886666-802",
        "+1 415 555 2671",
        "+44 20 7946 0958",
    ],
)
def test_landlines_and_e164_numbers_are_removed(text: str) -> None:
    out = redact(text)
    assert PHONE in out
    assert not re.search(r"\d{3}", out)


def test_numbers_that_are_not_phones_stay() -> None:
    text = "版本 12812345678 号，错误码 500，2024-05-01 发生，共 1234567 次"
    assert redact(text) == text


def test_resident_id_needs_a_valid_check_digit() -> None:
    good = valid_id("11010519491231002")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert redact(f"身份证{good}") == f"身份证{ID}"
    assert redact(f"身份证{bad}") == f"身份证{bad}"


def test_an_id_right_after_a_phone_number_is_still_found() -> None:
    # The phone number and the first digits of the spaced ID make an 18-digit candidate
    # that fails its check digit; the real ID starts a few characters later.
    assert redact("联系13000000000 1 1 01 051 9 50010 10004") == f"联系{PHONE} {ID}"


def test_resident_id_with_x_and_spaces() -> None:
    for first17 in ("44030419900101001", "11010119800101003", "32010219851111123"):
        number = valid_id(first17)
        spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
        assert redact(number.lower()) == ID
        assert redact(spaced) == ID
    assert id_check_digit("11010519491231002") == "X"


def test_legacy_15_digit_id_needs_a_birth_date() -> None:
    assert redact("旧证 110105491231002") == f"旧证 {ID}"
    assert redact("旧证 110105491331002") == "旧证 110105491331002"  # month 13


def test_bank_cards_are_luhn_checked() -> None:
    card = luhn_complete("622202123456789012")  # 19 digits
    visa = "4111111111111111"
    grouped = f"{card[:4]} {card[4:8]} {card[8:12]} {card[12:16]} {card[16:]}"
    assert redact(f"卡号{card}") == f"卡号{CARD}"
    assert redact(grouped) == CARD
    assert redact("4111-1111-1111-1111") == CARD
    assert redact(visa) == CARD
    invalid = visa[:-1] + "2"
    assert not luhn_valid(invalid)
    assert redact(invalid) == invalid


def test_email_addresses_are_removed() -> None:
    assert redact("联系 zhang.san+desk@example.com.cn 谢谢") == f"联系 {EMAIL} 谢谢"
    assert redact("a@b") == "a@b"


def test_private_values_and_english_placeholders() -> None:
    text = "张三住在北京市海淀区中关村大街1号，电话 13812345678"
    out = redact(text, private_values=["北京市海淀区中关村大街1号", "张三", "x", ""], locale="en")
    assert out == "[removed]住在[removed]，电话 [phone removed]"


@given(st.text(alphabet=st.characters(categories=["Lo", "Zs", "Po"]), max_size=200))
def test_text_without_digits_or_at_signs_is_only_cleaned(text: str) -> None:
    # Spaces of every kind are folded into one ASCII space before redaction looks.
    assert redact(text) == plain_text(text)


@given(st.text(max_size=120))
def test_redact_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


# ----------------------------------------------------------------------------- inert Markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '<iframe src="https://evil.example/"></iframe>',
    "&lt;script&gt; &#60;b&#62; &amp;",
    "[click](javascript:alert(3))",
    "[x](data:text/html;base64,PHNjcmlwdD4=) [y](VBScript:msgbox)",
    "<javascript:alert(4)>",
    "![pixel](https://evil.example/p.png)",
    "[ref]: https://evil.example/",
    "see [ref] and <https://evil.example>",
    "Heading {: onclick=alert(5) } {#id .cls}",
    "{ .md-button onclick=alert(6) }",
    '--8<-- "/etc/passwd"',
    ";--8<-- 'secrets.txt'",
    "{{ config.site_name }} {% include 'x' %} {# c #}",
    '!!! danger "pwned"\n    inside',
    '??? note "hidden"\n    body',
    "---\ntitle: hijack\n---",
    "# heading\n## another",
    "> quote\n- item\n1. item\n| a | b |\n|---|---|",
    "    indented code\n```js\nalert(7)\n```",
    "~~~\nfence\n~~~",
    "<!-- material/tags -->",
    "*[HTML]: abbr\n[^1]: footnote",
    "term\n: definition",
    "line one\r\nline two\u2028line three",
    "bidi \u202eevil\u202c zero\u200bwidth \x00nul",
]


def test_inert_output_has_no_markup_characters() -> None:
    for text in HOSTILE:
        out = inert_markdown(text)
        stripped = re.sub(r"&#\d+;", "", out).replace("  \n", "\n")
        assert not re.search(r"[!-/:-@\[-`{-~]", stripped), (text, out)
        assert not inert_inline(text).count("\n")
    assert "javascript：" in inert_inline("javascript:alert(1)")  # the colon is gone


EXTENSIONS = [
    "toc",
    "tables",
    "admonition",
    "attr_list",
    "abbr",
    "def_list",
    "footnotes",
    "md_in_html",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.magiclink",
    "pymdownx.tasklist",
    "pymdownx.mark",
    "pymdownx.tilde",
    "pymdownx.caret",
    "pymdownx.keys",
    "pymdownx.emoji",
]


BR, PARA = "\x01", "\x02"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "br":
            self.parts.append(BR)

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append(PARA)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _render(text: str) -> _Text:
    parser = _Text()
    parser.feed(markdown.markdown(text, extensions=EXTENSIONS))
    return parser


SCHEMES = re.compile(r"(?<![A-Za-z])((?:java|vb|live)?\s*script|data)\s*:", re.IGNORECASE)


def _expected(text: str) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for raw in plain_text(text).split("\n"):
        line = SCHEMES.sub(lambda m: m.group()[:-1] + "：", " ".join(raw.split()))
        if not line:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(line)
    return [p for p in paragraphs if p]


def _seen(parser: _Text) -> list[list[str]]:
    text = "".join(parser.parts)
    return [
        [" ".join(ln.split()) for ln in block.split(BR) if ln.strip()] for block in text.split(PARA) if block.strip()
    ]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_literally_under_many_extensions(text: str) -> None:
    parser = _render(inert_markdown(text))
    assert set(parser.tags) <= {"p", "br"}, parser.tags
    assert _seen(parser) == _expected(text)


PUNCT = "<>&\"'`*_{}[]()#+-.!|~:?=$^%@/\\;,\n \t"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(PUNCT) | st.characters(categories=["Lo", "Ll"]), max_size=80))
def test_any_text_renders_as_itself(text: str) -> None:
    parser = _render(inert_markdown(text))
    assert set(parser.tags) <= {"p", "br"}
    expected = _expected(text)
    assert _seen(parser) == expected


# ----------------------------------------------------------------------------- the built site

EVIL = "\n".join(HOSTILE)
T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
EVIL_HOSTS = ("evil.example",)


def _hostile_view(number: int, **kw: object) -> TicketView:
    at = T0 + timedelta(hours=1)
    texts = {"root-cause": EVIL, "resolve": EVIL, "plan": EVIL, "wording": EVIL, "report": EVIL}
    commands = tuple(
        Command(name=k, args="", author="staff", at=at, comment_id=i, text=v)
        for i, (k, v) in enumerate([*sorted(texts.items()), ("update", EVIL)])
    )
    base: dict[str, object] = dict(
        number=number, title=HOSTILE[0] + " " + HOSTILE[1] + " {{ 7*7 }} [x](javascript:y)",
        author="mallory", form="problem", type="problem", category="routine",
        facts={"symptom": EVIL, "description": EVIL + "\n联系 13912345678", "customer": "13912345678"},
        missing=(), invalid=(), opened_at=T0, grade="major", first_grade="major",
        final_grade="major", grade_history=(), state="closed", resolved_at=T0 + timedelta(hours=2),
        closed_at=T0 + timedelta(hours=2), confirmed_at=None, first_response_at=None, rating=None,
        rated_at=None, paused=False, clocks=(), commands=commands, incident_key=None,
        is_incident=False, members=(), wording=EVIL, kb=True, texts=texts,
        labels=("<b>label</b>", "{{ 1 }}"), assignees=(),
    )  # fmt: skip
    base.update(kw)
    return TicketView(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    cfg = load_config(preset_path("online"))
    views = [
        _hostile_view(1),
        _hostile_view(2, is_incident=True, members=(1, 3), incident_key="k", kb=False),
        _hostile_view(
            3,
            incident_key="k",
            state="open",
            resolved_at=None,
            closed_at=None,
            kb=True,
            grade="urgent",
            final_grade=None,
        ),
    ]
    publish(views, cfg, root / "docs", T0 + timedelta(days=2), reports=None)
    # A heavier Markdown setup than the one shipped: the text must stay inert under it too.
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    extra = "".join(f"  - {e}\n" for e in ("abbr", "def_list", "footnotes", "md_in_html",
                                             "pymdownx.snippets", "pymdownx.magiclink",
                                             "pymdownx.tasklist", "pymdownx.mark"))  # fmt: skip
    text = text.replace("  - pymdownx.superfences\n", "  - pymdownx.superfences\n" + extra)
    config.write_text(text, encoding="utf-8")
    env = {"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return root / "site"


class _Audit(HTMLParser):
    """Every element and attribute of a page, to compare against what the theme emits."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def _pages(site: Path) -> list[Path]:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 8
    return pages


def test_built_pages_carry_no_injected_markup(hostile_site: Path) -> None:
    for page in _pages(hostile_site):
        audit = _Audit()
        source = page.read_text(encoding="utf-8")
        audit.feed(source)
        for tag, attrs in audit.elements:
            assert tag not in ("iframe", "object", "embed", "img"), (page, tag, attrs)
            for name, value in attrs.items():
                assert not name.startswith("on"), (page, tag, name)
                low = (value or "").strip().lower()
                assert not low.startswith(("javascript:", "data:", "vbscript:")), (page, tag, value)
                assert not any(host in low for host in EVIL_HOSTS), (page, tag, name, value)
            if tag == "script":
                src = attrs.get("src") or ""
                assert "://" not in src and not src.startswith("//"), (page, src)
        for script in audit.inline_scripts:
            assert "alert(" not in script, page
        assert "<title>" in source
        title = source.split("<title>", 1)[1].split("</title>", 1)[0]
        assert "<" not in title and "alert(1)" not in title.split("＜")[0], title


def test_injected_text_is_visible_as_text(hostile_site: Path) -> None:
    source = (hostile_site / "kb" / "1" / "index.html").read_text(encoding="utf-8")
    parser = _Text()
    parser.feed(source.split('<article class="md-content__inner', 1)[1].split("</article>")[0])
    text = "".join(parser.parts)
    assert "<script>alert(1)</script>" in text
    assert '--8<-- "/etc/passwd"' in text and "root:" not in text
    assert "{{ config.site_name }}" in text  # not evaluated
    assert '!!! danger "pwned"' in text and "admonition" not in source
    assert "![pixel](https://evil.example/p.png)" in text
    assert "13912345678" not in source and "[已隐去" in text


def test_search_index_holds_escaped_text_only(hostile_site: Path) -> None:
    index = json.loads((hostile_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert index["docs"]
    for doc in index["docs"]:
        for key in ("title", "text"):
            value = doc[key]
            # Material renders these strings as HTML in the result list: only its own
            # kept tags may appear, and nothing from the tickets.
            tags = set(re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)", value))
            assert tags <= {"p", "code", "pre", "li", "ol", "ul", "sub", "sup", "br"}, (doc, tags)
            assert not re.search(r"<[^>]*\son\w+\s*=", value), value
        for tag in doc.get("tags", []):
            assert "<" not in tag and "{{" not in tag
    text = json.dumps(index, ensure_ascii=False)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "13912345678" not in text
