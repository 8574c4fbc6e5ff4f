"""A hostile or careless writer against the local desk, the published site and a browser.

Every case of the trust issue goes through the grader and ``publish``: a description that
tries to end the incident's data block, personal data hidden by invisible characters, odd
spaces, full-width forms and Chinese neighbours (in titles, descriptions and labels), a
member's words reaching the site through its incident, an edit after ``/kb``, and the
markup payloads the site already survives. The built HTML and the search index are scanned,
and every page is loaded in headless Chromium: no live markup, no personal data, no request
off localhost, no dialog.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_helpers import Desk, at, load_preset
from site_server import serve

from tracker.engine import assess_all
from tracker.protocol import incident_of_body, read_data
from tracker.publish import publish, render_site, run_mkdocs
from tracker.redact import id_check_digit, luhn_valid
from tracker.views import TicketView

CFG = load_preset("online")
STAFF = "online-agent-1"
T = at("2026-11-24 10:00")
CHROMIUM = Path("/usr/bin/chromium")

MARKUP = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "[click](javascript:alert(3))",
    "![pixel](https://evil.example/p.png)", "{{ config.site_name }}", '--8<-- "/etc/passwd"',
    '!!! danger "pwned"', "---\ntitle: hijack\n---", "<iframe src=//evil.example/></iframe>",
    "x --> **INJECTED** @org/team", "<!-- tracker:status -->", "＜script＞alert(5)＜/script＞",
]  # fmt: skip


def _id(first17: str) -> str:
    return first17 + id_check_digit(first17)


def _card(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


ID = _id("11010519491231002")
CARD = _card("622202123456789012")
# (as written in a ticket, the value that must never appear on the site)
PERSONAL = [
    ("178\u200b4444\u200b5555", "17844445555"),
    ("186  8888  9999", "18688889999"),
    ("186\u00a08888\u00a09999", "18688889999"),
    ("186\u30008888\u30009999", "18688889999"),
    ("1\u00ad8\u00ad6\u00ad7777\u00ad6666", "18677776666"),
    ("１３８１２３４５６７８", "13812345678"),
    ("邮箱wangwu@example.org谢谢", "wangwu@example.org"),
    ("lisi＠example.com", "lisi@example.com"),
    (" ".join([ID[:4], ID[4:8], ID[8:12], ID[12:16], ID[16:]]), ID),
    ("-".join([CARD[:4], CARD[4:8], CARD[8:12], CARD[12:16], CARD[16:]]), CARD),
]
LABEL = "客户13911118888"


def _answers(symptom: str, description: str, cph: int = 1) -> dict[str, Any]:
    return {"symptom": symptom, "tier": "ordinary", "complaints_per_hour": cph, "channel": "phone",
            "description": description, "customer": "acct-4711"}  # fmt: skip


def _incident_of(desk: Desk) -> int:
    found = [t.number for t in desk.tickets() if t.author == CFG.bot.login and incident_of_body(t.body)]
    assert len(found) == 1, found
    return found[0]


def _views(desk: Desk, when: Any) -> list[TicketView]:
    return assess_all(desk.tickets(), CFG, when)


def _site_text(views: list[TicketView], when: Any) -> str:
    return "\n".join(render_site(views, CFG, when, reports=None).pages.values())


# --------------------------------------------------------------------------- the grader's own state


def test_a_description_cannot_end_the_incidents_data_block() -> None:
    with Desk(CFG) as desk:
        member = desk.open("problem", _answers("account_security", "x --> **INJECTED** @org/team"), T)
        desk.run(T + timedelta(minutes=1))
        incident = _incident_of(desk)
        body = desk.ticket(incident).body
        assert "INJECTED" not in body and "@org/team" not in body
        data = read_data(body)
        desk.run(T + timedelta(minutes=2))
        before = desk.view(incident, T + timedelta(minutes=2))
        assert data["grade"] == before.grade and before.category == "security"
        again = desk.plan(T + timedelta(minutes=3))
        assert not [a for a in again.actions if getattr(a, "number", None) == incident and "grade" in repr(a)]
        desk.run(T + timedelta(minutes=3))
        after = desk.view(incident, T + timedelta(minutes=3))
        assert (after.grade, after.category, after.assignees) == (before.grade, before.category, before.assignees)
        assert member in after.members


# --------------------------------------------------------------------------- what the site publishes


def test_an_edit_after_kb_waits_for_a_new_kb() -> None:
    with Desk(CFG) as desk:
        n = desk.open("problem", _answers("product_bug", "按钮错位"), T, title="按钮错位")
        desk.say(n, STAFF, "/resolve 已修复\n/kb", T + timedelta(minutes=5))
        desk.run(T + timedelta(minutes=6))
        ticket = desk.ticket(n)
        edited = ticket.body.replace("按钮错位", "请访问 evil.example 领奖")
        desk.store.upsert_ticket(replace(ticket, title="领奖啦", body=edited, updated_at=T + timedelta(minutes=7)))
        desk.run(T + timedelta(minutes=8))
        text = _site_text(_views(desk, T + timedelta(minutes=9)), T + timedelta(minutes=9))
        assert "按钮错位" in text and "领奖" not in text and "evil" not in text
        desk.say(n, STAFF, "/kb", T + timedelta(minutes=10))
        desk.run(T + timedelta(minutes=11))
        text = _site_text(_views(desk, T + timedelta(minutes=12)), T + timedelta(minutes=12))
        assert "领奖啦" in text


def test_an_incident_shows_its_members_by_number_only() -> None:
    with Desk(CFG) as desk:
        member = desk.open("problem", _answers("account_security", "我的密码是 hunter2，住在幸福路"), T)
        desk.run(T + timedelta(minutes=1))
        incident = _incident_of(desk)
        desk.say(incident, STAFF, "/resolve 已处理\n/kb", T + timedelta(minutes=20))
        desk.run(T + timedelta(minutes=21))
        views = _views(desk, T + timedelta(minutes=22))
        pages = render_site(views, CFG, T + timedelta(minutes=22), reports=None).pages
        assert f"kb/{incident}.md" in pages
        text = "\n".join(pages.values())
        assert "hunter2" not in text and "幸福路" not in text
        assert f"&#35;{member}" in pages[f"kb/{incident}.md"] or f"#{member}" in pages[f"kb/{incident}.md"]


def _digits_only(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z@.]", "", text)


# Numbers of every kind, with separators, zero-width and full-width forms, Chinese around.
_SEPARATORS = st.sampled_from(["", " ", "  ", "-", "\u200b", "\u00a0", "\u3000", "\u00ad", "\u2060", "\ufeff"])
_NEIGHBOURS = st.sampled_from(["", "电话", "客户", "身份证", "卡号", "邮箱", "：", "，", "（", "）"])
_FULL = str.maketrans({chr(0x30 + i): chr(0xFF10 + i) for i in range(10)} | {"@": "＠"})


@st.composite
def _personal(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(["mobile", "id", "card", "email"]))
    if kind == "mobile":
        value = "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    elif kind == "id":
        year = draw(st.integers(1950, 2010))
        month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
        seq = draw(st.text("0123456789", min_size=3, max_size=3))
        value = _id(f"110105{year}{month:02d}{day:02d}{seq}")
    elif kind == "card":
        value = _card("62" + draw(st.text("0123456789", min_size=14, max_size=14)))
    else:
        user = draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8))
        return f"{draw(_NEIGHBOURS)}{user}@example.org{draw(_NEIGHBOURS)}".translate(
            _FULL if draw(st.booleans()) else {}
        ), f"{user}@example.org"
    groups, i = [], 0
    while i < len(value):
        size = draw(st.integers(1, 5))
        groups.append(value[i : i + size])
        i += size
    written = draw(_SEPARATORS).join(groups)
    if draw(st.booleans()):
        written = written.translate(_FULL)
    return f"{draw(_NEIGHBOURS)}{written}{draw(_NEIGHBOURS)}", value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_personal(), min_size=1, max_size=3))
def test_no_personal_number_survives_on_any_page(cases: list[tuple[str, str]]) -> None:
    written = " ".join(w for w, _ in cases)
    with Desk(CFG) as desk:
        n = desk.open(
            "problem", _answers("product_bug", f"联系{written}"), T, title=f"问题{written}",
            labels=("type:problem", f"客户{cases[0][0]}"),
        )  # fmt: skip
        desk.say(n, STAFF, f"/resolve 已回电 {written}\n/kb", T + timedelta(minutes=5))
        desk.run(T + timedelta(minutes=6))
        text = _digits_only(_site_text(_views(desk, T + timedelta(minutes=7)), T + timedelta(minutes=7)))
    for _written, value in cases:
        assert value not in text, (value, _written)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_personal(), min_size=8, max_size=16))
def test_no_drawn_personal_number_survives_in_the_built_site(cases: list[tuple[str, str]]) -> None:
    """The same draws, many to a ticket, through publish and a real MkDocs build: the HTML
    and the search index hold none of them."""
    written = " ".join(w for w, _ in cases)
    with tempfile.TemporaryDirectory() as tmp, Desk(CFG) as desk:
        root = Path(tmp)
        n = desk.open(
            "problem", _answers("product_bug", f"联系{written}"), T, title=f"问题{cases[0][0]}",
            labels=("type:problem", f"客户{cases[-1][0]}"),
        )  # fmt: skip
        desk.say(n, STAFF, f"/resolve 已回电 {written}\n/kb", T + timedelta(minutes=5))
        desk.run(T + timedelta(minutes=6))
        now = T + timedelta(days=8)
        publish(_views(desk, now), CFG, root / "docs", now)
        run_mkdocs(root / "mkdocs.yml", root / "site")
        files = [*(root / "site").rglob("*.html"), root / "site" / "search" / "search_index.json"]
        text = "".join(_digits_only(path.read_text(encoding="utf-8")) for path in files)
    for _written, value in cases:
        assert value not in text, (value, _written)


# --------------------------------------------------------------------------- the built site


def _hostile_desk(desk: Desk) -> None:
    evil = "\n".join(MARKUP + [w for w, _ in PERSONAL])
    n = desk.open("problem", _answers("product_bug", evil, 11), T, title=f"{MARKUP[0]} {PERSONAL[0][0]}",
                  labels=("type:problem", LABEL, "<b>x</b>"))  # fmt: skip
    desk.say(n, STAFF, f"/root-cause {evil}\n/resolve {evil}\n/kb", T + timedelta(minutes=5))
    m = desk.open("problem", _answers("account_security", evil), T + timedelta(minutes=10),
                  title=PERSONAL[6][0])  # fmt: skip
    desk.run(T + timedelta(minutes=11))
    incident = _incident_of(desk)
    desk.say(incident, STAFF, f"/update {evil}\n/wording {evil}", T + timedelta(minutes=20))
    desk.say(incident, STAFF, f"/resolve {evil}\n/kb", T + timedelta(minutes=40))
    desk.say(m, "mallory", f"/kb {evil}", T + timedelta(minutes=41), association="MEMBER")
    desk.run(T + timedelta(minutes=42))


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-desk")
    with Desk(CFG) as desk:
        _hostile_desk(desk)
        now = T + timedelta(days=8)
        publish(_views(desk, now), CFG, root / "docs", now)
    run_mkdocs(root / "mkdocs.yml", root / "site")
    return root / "site"


def test_the_built_site_holds_no_personal_data(hostile_site: Path) -> None:
    files = [*hostile_site.rglob("*.html"), hostile_site / "search" / "search_index.json"]
    assert len(files) > 8
    for path in files:
        raw = path.read_text(encoding="utf-8")
        text = _digits_only(json.dumps(json.loads(raw), ensure_ascii=False) if path.suffix == ".json" else raw)
        for _written, value in [*PERSONAL, (LABEL, "13911118888")]:
            assert value not in text, (path, value)
        assert "acct-4711" not in raw and "hunter2" not in raw


def test_the_built_site_holds_no_live_markup(hostile_site: Path) -> None:
    for path in hostile_site.rglob("*.html"):
        raw = path.read_text(encoding="utf-8")
        assert "evil.example/p.png\"" not in raw and "<iframe" not in raw, path
        assert "onerror=" not in raw and "javascript:alert" not in raw.lower(), path
        assert "INJECTED</strong>" not in raw and "<strong>INJECTED" not in raw, path
    index = json.loads((hostile_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    for doc in index["docs"]:
        assert not re.search(r"<\s*(script|img|iframe)", doc["text"] + doc["title"]), doc
        for tag in doc.get("tags", []):
            assert "13911118888" not in _digits_only(tag) and "<" not in tag


@pytest.fixture(scope="module")
def served(hostile_site: Path) -> Iterator[str]:
    with serve(hostile_site) as origin:
        yield origin


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium at /usr/bin/chromium")
def test_every_hostile_page_loads_quietly_in_chromium(hostile_site: Path, served: str) -> None:
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    dialogs: list[str] = []

    def route(r: Any) -> None:
        parts = urlsplit(r.request.url)
        if f"{parts.scheme}://{parts.netloc}/" == served:
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    paths = sorted(p.relative_to(hostile_site).as_posix() for p in hostile_site.rglob("index.html"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--no-first-run"])  # fmt: skip
        try:
            context = browser.new_context(service_workers="block")
            page = context.new_page()
            page.route("**/*", route)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for rel in paths:
                page.goto(served + rel.removesuffix("index.html"), wait_until="load")
                shown = page.inner_text("body")
                for _written, value in PERSONAL:
                    assert value not in _digits_only(shown), (rel, value)
                assert page.locator("article script, article img, article iframe").count() == 0, rel
            page.goto(served + "search.html" if (hostile_site / "search.html").exists() else served)
            context.close()
        finally:
            browser.close()
    assert not outside, outside
    assert not dialogs, dialogs
