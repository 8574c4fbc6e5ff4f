"""The built site in a real browser: search in Chinese, charts, incidents, and nothing leaves.

Headless Chromium (the system's ``/usr/bin/chromium``, driven by Playwright) loads the site
from a local ``http.server`` thread. Every request is routed: anything not addressed to
that server is recorded and aborted, and the tests fail if there was any.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright
from site_server import serve

from tracker.config import load_config, preset_path
from tracker.i18n import format_time
from tracker.publish import publish, run_mkdocs
from tracker.site_links import with_repository
from tracker.views import Command, TicketView

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium at /usr/bin/chromium"),
]
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=9)
SENTENCE = "打印机在高温环境下进纸滚轮容易打滑，需要定期清洁。"  # the article's cause
WORD = "滚轮"  # a word inside that sentence
ANSWER = "会员卡续费可享受九折优惠，在前台登记即可。"  # what staff wrote above /resolve
ANSWER_WORD = "九折"
REPO = "example-org/desk"
LAST_WEEKLY_BUILD = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # publish.yml's Monday cron before NOW


def _view(number: int, title: str, **kw: Any) -> TicketView:
    texts: dict[str, str] = kw.pop("texts", {})
    opened: datetime = kw.pop("opened", T0)
    resolved: datetime | None = kw.pop("resolved", None)
    commands = tuple(
        Command(name=k, args="", author="online-agent-1", at=opened + timedelta(hours=1),
                comment_id=i, text=v)
        for i, (k, v) in enumerate(sorted(texts.items()))
    )  # fmt: skip
    base: dict[str, Any] = dict(
        number=number, title=title, author="alice", form="problem", type="problem",
        category="routine", facts={"symptom": "login_failure"}, missing=(), invalid=(),
        opened_at=opened, grade="general", first_grade="general", final_grade=None,
        grade_history=(), state="closed" if resolved else "open", resolved_at=resolved,
        closed_at=resolved, confirmed_at=None, first_response_at=opened + timedelta(minutes=5),
        rating=None, rated_at=None, paused=False, clocks=(), commands=commands,
        incident_key=None, is_incident=False, members=(), wording=texts.get("wording"), kb=False,
        texts=texts, labels=(), assignees=(),
    )  # fmt: skip
    base.update(kw)
    return TicketView(**base)


def _views() -> list[TicketView]:
    views = [
        _view(1, "打印机卡纸", kb=True, resolved=T0 + timedelta(hours=4),
              texts={"root-cause": SENTENCE, "resolve": "清洁滚轮后恢复。", "plan": "手动送纸。"}),
        _view(2, "无线网络断开", kb=True, category="key", resolved=T0 + timedelta(days=1),
              texts={"root-cause": "路由器固件缺陷。", "resolve": "升级固件。"}),
        _view(3, "支付接口大面积超时", is_incident=True, incident_key="pay", members=(4, 5),
              grade="major", first_grade="major", opened=NOW - timedelta(hours=2),
              texts={"wording": "部分用户支付失败，我们正在紧急处理。", "update": "已切换备用线路"}),
        _view(4, "付款失败", incident_key="pay", opened=NOW - timedelta(hours=2), grade="major"),
        _view(5, "无法下单", incident_key="pay", opened=NOW - timedelta(hours=2), category="key"),
    ]  # fmt: skip
    answer = Command(
        name="resolve",
        args="已按知识库答复",
        author="online-agent-1",
        at=T0 + timedelta(hours=2),
        comment_id=99,
        lead=ANSWER,
    )
    views.append(
        _view(
            16,
            "会员卡续费咨询",
            kb=True,
            resolved=T0 + timedelta(hours=2),
            commands=(answer,),
            texts={"resolve": "已按知识库答复"},
        )
    )
    for i in range(6, 16):  # a few weeks of ordinary tickets for the reports
        opened = T0 + timedelta(days=i - 6, hours=i % 5)
        views.append(_view(i, f"一般问题 {i}", opened=opened, resolved=opened + timedelta(hours=3)))
    return views


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    cfg = with_repository(load_config(preset_path("online")), REPO)
    publish(_views(), cfg, root / "docs", NOW)  # reports from tracker.reports when present
    run_mkdocs(root / "mkdocs.yml", root / "site")
    return root / "site"


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with serve(site) as origin:
        yield origin


class Browser:
    """One page with every request checked and every console message kept."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.outside: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self._route)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}/" == self.origin:
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, path: str) -> Any:
        self.page.goto(self.origin + path, wait_until="load")
        return self.page


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser(chromium: Any, server: str) -> Iterator[Browser]:
    context = chromium.new_context(service_workers="block")
    b = Browser(context.new_page(), server)
    try:
        yield b
    finally:
        context.close()
    assert not b.outside, f"requests left localhost: {b.outside}"
    assert not b.errors, f"console errors: {b.errors}"


def test_chinese_word_inside_a_sentence_finds_its_article(browser: Browser) -> None:
    page = browser.open("")
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(WORD, delay=30)
    box.press("End")  # what an input method's commit key does: a real key event
    first = page.locator(".md-search-result__item a").first
    first.wait_for(state="visible", timeout=15_000)
    links = [a.get_attribute("href") or "" for a in page.locator(".md-search-result__item a").all()]
    assert any("kb/1/" in href for href in links), links
    first.click()
    page.wait_for_load_state("load")
    assert "/kb/1/" in page.url
    assert SENTENCE in page.locator("article").inner_text()


def test_report_page_shows_its_charts(browser: Browser, site: Path) -> None:
    weekly = sorted((site / "reports" / "weekly").glob("*/index.html"))
    if not weekly:
        # Only without tracker.reports: the archive says there is nothing yet.
        page = browser.open("reports/")
        assert "暂无报告" in page.locator("article").inner_text()
        return
    page = browser.open("reports/")
    page.locator("article a[href*='weekly/']").first.click()
    page.wait_for_load_state("load")
    charts = page.locator("article svg")
    assert charts.count() >= 1
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 50 and box["height"] > 50


def test_incidents_page_lists_the_open_incident(browser: Browser) -> None:
    page = browser.open("incidents/")
    text = page.locator("article").inner_text()
    assert "进行中的事件" in text
    assert "支付接口大面积超时" in text
    assert "部分用户支付失败，我们正在紧急处理。" in text
    assert "2 张关联工单" in text
    page.get_by_role("link", name="查看报告").first.click()
    page.wait_for_load_state("load")
    assert "事后报告" in page.locator("h1").inner_text()


def test_pages_load_cleanly_and_stay_local(browser: Browser) -> None:
    for path in ("", "kb/", "kb/tags/", "kb/known-problems/", "kb/category/key/", "kb/2/",
                 "reports/", "incidents/3/"):  # fmt: skip
        page = browser.open(path)
        assert page.locator("h1").count() >= 1, path
    # the tags page links to the articles carrying each tag
    page = browser.open("kb/tags/")
    assert page.locator("article a[href*='kb/1/'], article a[href*='../1/']").count() >= 1


def _search(browser: Browser, word: str) -> list[str]:
    page = browser.open("")
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(word, delay=30)
    box.press("End")
    page.locator(".md-search-result__item a").first.wait_for(state="visible", timeout=15_000)
    return [a.get_attribute("href") or "" for a in page.locator(".md-search-result__item a").all()]


def test_a_word_of_the_answer_staff_wrote_finds_its_article_first(browser: Browser) -> None:
    links = _search(browser, ANSWER_WORD)
    assert "kb/16/" in links[0], links
    page = browser.open("kb/16/")
    assert ANSWER in page.locator("article").inner_text()


def test_an_article_ranks_above_reports_with_the_same_words(browser: Browser, site: Path) -> None:
    assert sorted((site / "reports" / "weekly").glob("*/index.html")), "the reports name the symptom too"
    links = _search(browser, "登录失败")
    assert "/kb/" in links[0], links
    first_report = next(i for i, href in enumerate(links) if "/reports/" in href)
    assert all("/kb/" in href for href in links[:first_report]) and first_report >= 1, links


def test_the_incidents_page_shows_an_incident_opened_after_the_last_weekly_build(browser: Browser) -> None:
    opened = NOW - timedelta(hours=2)
    assert opened > LAST_WEEKLY_BUILD  # a weekly-only site would not show it yet
    page = browser.open("incidents/")
    text = page.locator("article").inner_text()
    assert "支付接口大面积超时" in text
    tz = load_config(preset_path("online")).tz
    built = "构建于 " + format_time(NOW.astimezone(tz))
    assert built in text
    for path in ("", "kb/1/", "reports/"):  # one moment for the whole site, in every footer
        assert built in browser.open(path).locator("footer").inner_text(), path


_CHART_SIZES = """() => [...document.querySelectorAll('article svg')].flatMap(svg => {
  const scale = svg.getScreenCTM().a;
  return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t =>
    [t.textContent, parseFloat(getComputedStyle(t).fontSize) * scale]);
})"""


def test_chart_labels_read_on_a_phone(chromium: Any, server: str, site: Path) -> None:
    context = chromium.new_context(service_workers="block", viewport={"width": 390, "height": 844})
    try:
        b = Browser(context.new_page(), server)
        for report in [*sorted((site / "reports" / "weekly").glob("*/index.html"))[-1:],
                       *sorted((site / "reports" / "monthly").glob("*/index.html"))[-1:]]:  # fmt: skip
            page = b.open(report.parent.relative_to(site).as_posix() + "/")
            sizes = page.evaluate(_CHART_SIZES)
            assert sizes, report
            small = [(text, round(px, 1)) for text, px in sizes if px < 11]
            assert not small, small
            # every chart has its figures in a table beside it, for screen readers
            assert page.evaluate("""() => [...document.querySelectorAll('article figure.report-chart')]
                .every(f => [f.previousElementSibling, f.nextElementSibling]
                .some(e => e && (e.tagName === 'TABLE' || e.querySelector('table'))))""")
        assert not b.outside
    finally:
        context.close()


_TICKET_REFS = r"""() => {
  const out = [];
  const walk = document.createTreeWalker(document.querySelector('article'), NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    for (const m of n.textContent.matchAll(/#(\d+)/g)) {
      const a = n.parentElement.closest('a');
      out.push([m[1], a ? a.getAttribute('href') : null]);
    }
  }
  return out;
}"""


def test_every_ticket_number_links_to_its_issue(browser: Browser, site: Path) -> None:
    weekly = sorted((site / "reports" / "weekly").glob("*/index.html"))[-1]
    pages = ["kb/1/", "kb/16/", "incidents/", "incidents/3/", "kb/known-problems/",
             weekly.parent.relative_to(site).as_posix() + "/"]  # fmt: skip
    seen = 0
    for path in pages:
        refs = browser.open(path).evaluate(_TICKET_REFS)
        for number, href in refs:
            assert href == f"https://github.com/{REPO}/issues/{number}", (path, number, href)
        seen += len(refs)
    assert seen >= 10
