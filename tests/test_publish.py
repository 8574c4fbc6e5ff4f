"""The published site: which pages exist, what they say, what they never say, and that it builds."""

from __future__ import annotations

import json
import re
import types
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from click.testing import CliRunner

from tracker.cli import cli
from tracker.config import Config, load_config, preset_path
from tracker.i18n import format_time
from tracker.ledger import Ledger
from tracker.model import Comment, Ticket
from tracker.publish import GENERATED_MARK, publish, render_site, run_mkdocs
from tracker.views import ClockView, Command, TicketView

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
NOW = T0 + timedelta(days=3)


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load_config(preset_path("online"))


@pytest.fixture(scope="module")
def cfg_en(cfg: Config) -> Config:
    return cfg.model_copy(update={"locale": "en"})


def cmd(name: str, text: str, at: datetime, i: int = 0) -> Command:
    return Command(name=name, args="", author="online-agent-1", at=at, comment_id=i, text=text)


def view(number: int, title: str = "打印机经常卡纸", **kw: object) -> TicketView:
    """A TicketView as the engine would build it; keywords override any field."""
    texts: dict[str, str] = dict(kw.pop("texts", {}))  # type: ignore[call-overload]
    opened: datetime = kw.pop("opened", T0)  # type: ignore[assignment]
    resolved: datetime | None = kw.pop("resolved", None)  # type: ignore[assignment]
    commands = kw.pop("commands", None)
    if commands is None:
        commands = tuple(cmd(k, v, opened + timedelta(hours=1), i) for i, (k, v) in enumerate(sorted(texts.items())))
    base: dict[str, object] = dict(
        number=number, title=title, author="alice", form="problem", type="problem",
        category="routine", facts={}, missing=(), invalid=(), opened_at=opened, grade="general",
        first_grade="general", final_grade=None, grade_history=(),
        state="closed" if resolved else "open", resolved_at=resolved, closed_at=resolved,
        confirmed_at=None, first_response_at=None, rating=None, rated_at=None, paused=False,
        clocks=(), commands=commands, incident_key=None, is_incident=False, members=(),
        wording=texts.get("wording"), kb=False, texts=texts, labels=(), assignees=(),
    )  # fmt: skip
    base.update(kw)
    return TicketView(**base)  # type: ignore[arg-type]


ARTICLE_TEXTS = {
    "root-cause": "进纸滚轮老化，导致打印机频繁卡纸。",
    "resolve": "更换进纸滚轮后恢复正常。",
    "plan": "先打开后盖，手动取出卡住的纸张。",
}


def kb_view(number: int = 1, **kw: object) -> TicketView:
    kw.setdefault("texts", ARTICLE_TEXTS)
    kw.setdefault("resolved", T0 + timedelta(hours=5))
    kw.setdefault("facts", {"symptom": "打印时纸张卡在出纸口", "channel": "chat"})
    return view(number, kb=True, **kw)


def incident(number: int, grade: str, **kw: object) -> TicketView:
    kw.setdefault("title", f"事件 {number}")
    title = kw.pop("title")
    return view(number, str(title), is_incident=True, incident_key=f"k{number}", grade=grade,
                first_grade=grade, **kw)  # fmt: skip


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def front(text: str) -> dict[str, object]:
    assert text.startswith("---\n# " + GENERATED_MARK)
    return yaml.safe_load(text.split("---\n", 2)[1])


# ----------------------------------------------------------------------------- knowledge base


def test_articles_only_for_resolved_tickets_marked_for_the_kb(cfg: Config, tmp_path: Path) -> None:
    views = [
        kb_view(1),
        view(2, "还在处理的问题", kb=True, texts={"plan": "重启路由器"}),
        view(3, "没有标记的问题", resolved=T0 + timedelta(hours=2), texts=ARTICLE_TEXTS),
    ]
    result = publish(views, cfg, tmp_path / "docs", NOW, reports=None)
    docs = tmp_path / "docs"
    assert result.articles == 1
    assert (docs / "kb" / "1.md").exists()
    assert not (docs / "kb" / "2.md").exists() and not (docs / "kb" / "3.md").exists()
    known = (docs / "kb" / "known-problems.md").read_text(encoding="utf-8")
    assert "还在处理的问题" in known and "有临时解决方法" in known and "重启路由器" in known
    assert "打印机经常卡纸" in known.split("## 近期已解决")[1]  # solved: status updated
    assert "[打印机经常卡纸](1.md)" in known


def test_article_content(cfg: Config, tmp_path: Path) -> None:
    views = [
        kb_view(1, incident_key="k9", labels=("打印机", "grade:general", "kb", "sla:breach")),
        incident(9, "serious", members=(1, 4), resolved=T0 + timedelta(hours=6)),
        view(4, "四楼打印机也卡纸", incident_key="k9", category="key"),
    ]
    publish(views, cfg, tmp_path / "docs", NOW, reports=None)
    text = (tmp_path / "docs" / "kb" / "1.md").read_text(encoding="utf-8")
    meta = front(text)
    assert meta["title"] == "打印机经常卡纸"
    assert meta["tags"] == ["常规", "问题", "打印机"]  # category, type, free labels only
    assert "# 打印机经常卡纸" in text
    assert "分类：[常规](category/routine.md)" in text
    assert "**问题现象**：打印时纸张卡在出纸口" in text
    assert "**渠道**" not in text  # the channel is triage, not a symptom the reporter gave
    for heading, body in (("原因", "进纸滚轮老化"), ("解决方法", "更换进纸滚轮"),
                          ("临时解决方法", "手动取出卡住的纸张")):  # fmt: skip
        assert re.search(rf"## {heading}\n\n[^#]*{body}", text), heading
    related = text.split("## 相关工单")[1]
    assert "工单 &#35;9：事件 9" in related  # an incident: public
    assert "- 工单 &#35;4\n" in related and "四楼" not in text  # a customer's ticket: number only
    assert "最后更新：2026-03-02" in text
    category = (tmp_path / "docs" / "kb" / "category" / "routine.md").read_text(encoding="utf-8")
    assert "[打印机经常卡纸](../1.md) · 2026-03-02" in category
    index = (tmp_path / "docs" / "kb" / "index.md").read_text(encoding="utf-8")
    assert "[常规](category/routine.md) (1 篇)" in index
    assert "<!-- material/tags -->" in (tmp_path / "docs" / "kb" / "tags.md").read_text("utf-8")


def test_private_fields_are_never_published(cfg: Config, tmp_path: Path) -> None:
    secret = "北京市海淀区中关村大街27号 王小明"
    views = [
        kb_view(
            1,
            facts={"symptom": "打不开 App", "customer": secret, "description": f"我是{secret}，电话 13912345678"},
            texts={**ARTICLE_TEXTS, "resolve": "已回电 王小明（13912345678）说明，邮件 wxm@example.com"},
        ),
        view(
            2,
            "支付失败",
            is_incident=True,
            members=(1,),
            incident_key="k",
            texts={"wording": "北京市海淀区中关村大街27号 王小明 的订单受影响"},
        ),
    ]
    publish(views, cfg, tmp_path / "docs", NOW, reports=None)
    everything = "".join(p.decode("utf-8") for p in read_tree(tmp_path / "docs").values())
    for leaked in ("中关村", "王小明", "13912345678", "wxm@example.com", "客户信息"):
        assert leaked not in everything, leaked
    assert "[已隐去]" in everything.replace("&#91;", "[").replace("&#93;", "]")
    assert "已隐去电话" in everything and "已隐去邮箱" in everything


def test_output_is_deterministic_and_rewrites_nothing_unchanged(cfg: Config, tmp_path: Path) -> None:
    views = [kb_view(1), kb_view(2, title="无线网络断开", category="key"),
             incident(3, "major", members=(1, 2), texts={"update": "已定位"})]  # fmt: skip
    first = publish(views, cfg, tmp_path / "a" / "docs", NOW, reports=None)
    publish(list(reversed(views)), cfg, tmp_path / "b" / "docs", NOW, reports=None)
    assert read_tree(tmp_path / "a") == read_tree(tmp_path / "b")
    again = publish(views, cfg, tmp_path / "a" / "docs", NOW, reports=None)
    assert first.written and not again.written and not again.removed
    assert sorted(again.unchanged) == sorted(first.written)
    # only the one "built at" moment (the footer in mkdocs.yml, the incidents page) depends
    # on when the site was written
    later = publish(views, cfg, tmp_path / "c" / "docs", NOW + timedelta(minutes=1), reports=None)
    moving = {"mkdocs.yml", "docs/incidents/index.md"}
    a, c = read_tree(tmp_path / "a"), read_tree(tmp_path / "c")
    assert later.written and {k: v for k, v in c.items() if k not in moving} == {
        k: v for k, v in a.items() if k not in moving
    }
    built = "构建于 " + format_time((NOW + timedelta(minutes=1)).astimezone(cfg.tz))
    assert built in c["mkdocs.yml"].decode() and built in c["docs/incidents/index.md"].decode()


def test_hand_written_pages_are_kept_listed_and_never_removed(cfg: Config, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "kb").mkdir(parents=True)
    vpn = "---\ntitle: 连接公司 VPN\ncategory: 关键\ntags:\n  - VPN\n---\n\n# 连接公司 VPN\n\n步骤……\n"
    (docs / "kb" / "vpn.md").write_text(vpn, encoding="utf-8")
    (docs / "guide.md").write_text("# 使用指南\n", encoding="utf-8")
    (docs / "index.md").write_text("# 我们的首页\n", encoding="utf-8")
    first = publish([kb_view(1), kb_view(2)], cfg, docs, NOW, reports=None)
    assert "index.md" in first.kept
    assert (docs / "index.md").read_text(encoding="utf-8") == "# 我们的首页\n"
    assert first.hand_articles == 1
    key = (docs / "kb" / "category" / "key.md").read_text(encoding="utf-8")
    assert "[连接公司 VPN](../vpn.md)" in key
    nav = yaml.unsafe_load((tmp_path / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    assert "guide.md" in nav
    # ticket 2 is no longer marked for the KB: its generated article goes, hand pages stay
    second = publish([kb_view(1)], cfg, docs, NOW, reports=None)
    assert "kb/2.md" in second.removed and not (docs / "kb" / "2.md").exists()
    assert (docs / "kb" / "vpn.md").read_text(encoding="utf-8") == vpn
    assert (docs / "guide.md").exists()
    # a generated file whose marker line was deleted is hand-written from then on
    one = docs / "kb" / "1.md"
    edited = one.read_text(encoding="utf-8").replace(f"# {GENERATED_MARK}", "# edited by hand", 1)
    one.write_text(edited, encoding="utf-8")
    third = publish([], cfg, docs, NOW, reports=None)
    assert one.read_text(encoding="utf-8") == edited and "kb/1.md" not in third.removed


def test_hand_maintained_mkdocs_yml_is_left_alone(cfg: Config, tmp_path: Path) -> None:
    own = "site_name: mine\n"
    (tmp_path / "mkdocs.yml").write_text(own, encoding="utf-8")
    result = publish([], cfg, tmp_path / "docs", NOW, reports=None)
    assert result.config_file is None and any("mkdocs.yml" in n for n in result.notes)
    assert (tmp_path / "mkdocs.yml").read_text(encoding="utf-8") == own


# ----------------------------------------------------------------------------- incidents


def test_incidents_page(cfg: Config, tmp_path: Path) -> None:
    ups = (cmd("update", "已定位到支付网关", T0 + timedelta(hours=1), 1),
           cmd("update", "正在切换备用线路", T0 + timedelta(hours=2), 2),
           cmd("wording", "部分用户支付失败，我们正在抢修。", T0 + timedelta(minutes=30), 3))  # fmt: skip
    views = [
        incident(10, "serious", title="支付接口大面积超时", members=(11, 12), commands=ups,
                 texts={"wording": "部分用户支付失败，我们正在抢修。", "update": "正在切换备用线路"}),
        view(11, "付款失败", incident_key="k10", category="key"),
        view(12, "无法下单", incident_key="k10", category="security"),
        incident(20, "general", title="短信延迟", resolved=T0 + timedelta(hours=3, minutes=20),
                 final_grade="serious"),
        incident(30, "general", title="很久以前的事件", opened=T0 - timedelta(days=60),
                 resolved=T0 - timedelta(days=59)),
    ]  # fmt: skip
    result = publish(views, cfg, tmp_path / "docs", NOW, reports=None)
    assert result.open_incidents == 1
    page = (tmp_path / "docs" / "incidents" / "index.md").read_text(encoding="utf-8")
    open_part, recent = page.split("## 近期已恢复的事件")
    assert "### 支付接口大面积超时" in open_part
    assert "等级：**严重**" in open_part
    assert "2 张关联工单 · 分类：安全敏感、关键" in open_part
    assert "**对外说明**：部分用户支付失败，我们正在抢修。" in open_part
    assert open_part.index("已定位到支付网关") < open_part.index("正在切换备用线路")
    assert "*2026-03-02 12:00*" in open_part
    assert "| &#35;20 短信延迟 | 严重 | 2026-03-02 10:00 | 2026-03-02 13:20 | 3小时20分钟 | — |" in recent
    assert "很久以前" not in page


def test_post_incident_reports_for_the_top_two_grades(cfg: Config, tmp_path: Path) -> None:
    resolved = T0 + timedelta(hours=2)
    views = [
        incident(1, "major", resolved=resolved, texts={"root-cause": "证书过期", "resolve": "更新证书"}),
        incident(2, "urgent", resolved=NOW - timedelta(hours=3)),
        incident(3, "serious", resolved=resolved),
        incident(4, "urgent", resolved=resolved,
                 texts={"report": "改进措施：证书到期前 30 天自动提醒。", "impact": "约 2% 用户无法登录"}),
        incident(5, "major", members=(6,)),
        view(6, "登录失败", incident_key="k5", kb=True),
    ]  # fmt: skip
    result = publish(views, cfg, tmp_path / "docs", NOW, reports=None)
    pages = tmp_path / "docs" / "incidents"
    assert result.incident_pages == 4
    assert sorted(p.name for p in pages.iterdir()) == ["1.md", "2.md", "4.md", "5.md", "index.md"]
    overdue = (pages / "1.md").read_text(encoding="utf-8")
    assert '!!! danger "已逾期"' in overdue
    assert "事后报告应在 2026-03-03 12:00 前提交，现已逾期 1天22小时" in overdue
    assert re.search(r"## 原因\n\n证书过期", overdue) and re.search(r"## 修复\n\n更新证书", overdue)
    assert "| 修复用时 | 2小时 |" in overdue
    pending = (pages / "2.md").read_text(encoding="utf-8")
    assert '!!! warning "待提交"' in pending
    done = (pages / "4.md").read_text(encoding="utf-8")
    assert "!!!" not in done and "证书到期前 30 天自动提醒" in done and "约 2&#37; 用户无法登录" in done
    ongoing = (pages / "5.md").read_text(encoding="utf-8")
    assert '!!! info "进行中"' in ongoing and "| 恢复时间 | 进行中 |" in ongoing
    index = (pages / "index.md").read_text(encoding="utf-8")
    assert "[**已逾期**](1.md)" in index and "[待提交](2.md)" in index and "[已提交](4.md)" in index


def test_report_clock_gives_the_due_time_and_checklist(cfg: Config, tmp_path: Path) -> None:
    resolved = T0 + timedelta(hours=2)
    clock = ClockView(
        id="report", name="书面报告", cycle=0, started=resolved, due=resolved + timedelta(hours=8),
        at_risk_at=resolved + timedelta(hours=6), stopped=None, status="late", late_by=3600,
        limit=8 * 3600, counting="elapsed", checklist=("原因", "影响范围", "改进措施"),
    )  # fmt: skip
    publish([incident(1, "major", resolved=resolved, clocks=(clock,))], cfg, tmp_path / "docs",
            resolved + timedelta(hours=9), reports=None)  # fmt: skip
    page = (tmp_path / "docs" / "incidents" / "1.md").read_text(encoding="utf-8")
    assert "应在 2026-03-02 20:00 前提交，现已逾期 1小时" in page
    assert "报告须包含：\n\n- 原因\n- 影响范围\n- 改进措施" in page


# ----------------------------------------------------------------------------- locale, reports


def test_english_site(cfg_en: Config, tmp_path: Path) -> None:
    publish([kb_view(1), incident(2, "major")], cfg_en, tmp_path / "docs", NOW, reports=None)
    conf = yaml.unsafe_load((tmp_path / "mkdocs.yml").read_text(encoding="utf-8"))
    assert conf["site_name"] == "Online service problem desk"
    assert conf["theme"]["language"] == "en"
    assert conf["plugins"][0]["search"]["lang"] == "en"
    assert [next(iter(item)) for item in conf["nav"][:4]] == [
        "Home", "Knowledge base", "Incidents", "Reports"]  # fmt: skip
    article = (tmp_path / "docs" / "kb" / "1.md").read_text(encoding="utf-8")
    assert "## Symptoms" in article and "## Workaround" in article and "Category: [Routine]" in article
    assert "Open incidents" in (tmp_path / "docs" / "incidents" / "index.md").read_text("utf-8")


def _fake_reports() -> types.SimpleNamespace:
    def report_periods(views: object, cfg: object = None) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        return [(2026, 10), (2026, 9)], [(2026, 3), (2025, 12)]

    def weekly_report_markdown(views: object, cfg: Config, week: tuple[int, int], now: object) -> str:
        return f'---\ntitle: 第 {week[1]} 周\n---\n\n# 第 {week[1]} 周\n\n<svg role="img"></svg>\n'

    def monthly_report_markdown(views: object, cfg: Config, month: tuple[int, int], now: object) -> str:
        return f"本月 {month[1]} 月的数字。\n"

    return types.SimpleNamespace(
        report_periods=report_periods,
        weekly_report_markdown=weekly_report_markdown,
        monthly_report_markdown=monthly_report_markdown,
    )


def test_reports_are_wrapped_and_archived_by_date(cfg: Config, tmp_path: Path) -> None:
    result = publish([], cfg, tmp_path / "docs", NOW, reports=_fake_reports())
    assert (result.weekly_reports, result.monthly_reports) == (2, 2)
    reports = tmp_path / "docs" / "reports"
    week = (reports / "weekly" / "2026-W10.md").read_text(encoding="utf-8")
    assert front(week)["title"] == "第 10 周" and week.count("# 第 10 周") == 1
    assert week.count("---\n") == 2 and '<svg role="img"></svg>' in week
    month = (reports / "monthly" / "2025-12.md").read_text(encoding="utf-8")
    assert "# 2025 年 12 月月报\n\n本月 12 月的数字。" in month
    index = (reports / "index.md").read_text(encoding="utf-8")
    assert index.index("## 2026 年") < index.index("## 2025 年")
    assert "[2026 年第 10 周周报](weekly/2026-W10.md) · 2026-03-02 – 2026-03-08" in index
    assert index.index("2026-W10") < index.index("2026-W09")
    home = (tmp_path / "docs" / "index.md").read_text(encoding="utf-8")
    assert "(reports/weekly/2026-W10.md)" in home and "(reports/monthly/2026-03.md)" in home


def test_reports_module_is_used_when_present(cfg: Config, tmp_path: Path) -> None:
    reports = pytest.importorskip("tracker.report_pages")
    views = [kb_view(1), incident(2, "major", members=(1,)), view(3, "新问题", opened=NOW - timedelta(days=1))]
    result = publish(views, cfg, tmp_path / "docs", NOW)
    weeks, months = reports.report_periods(views)
    assert result.weekly_reports == len(set(weeks)) and result.monthly_reports == len(set(months))


def test_render_site_is_pure(cfg: Config) -> None:
    views = [kb_view(1), incident(2, "major")]
    a = render_site(views, cfg, NOW)
    b = render_site(views, cfg, NOW)
    assert a == b and "kb/1.md" in a.pages and a.mkdocs_yml.startswith(f"# {GENERATED_MARK}")


# ----------------------------------------------------------------------------- the built site


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if tag in ("script", "link", "img", "iframe", "source", "video", "audio") and name in (
                "src", "href", "srcset",
            ) and value:  # fmt: skip
                self.refs.append((tag, value))


@pytest.fixture(scope="module")
def built(cfg: Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("built")
    views = [
        kb_view(1),
        kb_view(2, title="无线网络经常断开", category="key", labels=("网络",)),
        incident(3, "major", members=(1,), texts={"wording": "部分用户受影响"}),
        incident(4, "urgent", resolved=NOW - timedelta(days=2)),
    ]
    publish(views, cfg, root / "docs", NOW, reports=_fake_reports())
    run_mkdocs(root / "mkdocs.yml", root / "site")
    return root / "site"


def test_site_builds_strict_with_no_external_assets(built: Path) -> None:
    pages = sorted(built.rglob("*.html"))
    assert len(pages) >= 15
    for page in pages:
        parser = _Refs()
        source = page.read_text(encoding="utf-8")
        parser.feed(source)
        for tag, ref in parser.refs:
            parts = urlsplit(ref)
            assert not parts.scheme.startswith("http") and not ref.startswith("//"), (page, tag, ref)
        assert "fonts.googleapis" not in source and "fonts.gstatic" not in source
    index = json.loads((built / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert index["config"]["lang"] == ["zh"]
    assert "\u200b" in index["config"]["separator"] or "u200b" in index["config"]["separator"]
    assert any("\u200b滚轮\u200b" in d["text"] for d in index["docs"])  # jieba segmented


def test_site_pages_and_tags(built: Path) -> None:
    assert (built / "kb" / "1" / "index.html").exists()
    assert (built / "kb" / "tags" / "index.html").read_text(encoding="utf-8").count("网络") >= 1
    assert (built / "incidents" / "3" / "index.html").exists()
    assert (built / "reports" / "weekly" / "2026-W10" / "index.html").exists()
    nav = (built / "index.html").read_text(encoding="utf-8")
    for label in ("知识库", "事件", "报告", "已知问题"):
        assert label in nav


# ----------------------------------------------------------------------------- the command


def _ticket(number: int, title: str, comments: tuple[Comment, ...], closed: bool) -> Ticket:
    body = "### 问题现象\n\n打印机卡纸\n"
    end = T0 + timedelta(hours=3)
    return Ticket(
        number=number, title=title, body=body, author="alice", created_at=T0, updated_at=end,
        state="closed" if closed else "open", closed_at=end if closed else None,
        comments=comments,
    )  # fmt: skip


def test_publish_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = "online-agent-1"
    comments = (
        Comment(1, staff, "/root-cause 进纸滚轮老化", T0 + timedelta(hours=1), "MEMBER"),
        Comment(2, staff, "/resolve 更换进纸滚轮", T0 + timedelta(hours=2), "MEMBER"),
        Comment(3, staff, "/kb", T0 + timedelta(hours=2, minutes=5), "MEMBER"),
    )
    with Ledger(tmp_path / "desk.db") as store:
        store.upsert_ticket(_ticket(1, "打印机经常卡纸", comments, closed=True))
        for c in comments:
            store.upsert_comment(1, c)
        store.upsert_ticket(_ticket(2, "网页打不开", (), closed=False))
    config = tmp_path / "tracker.yml"
    config.write_text(preset_path("online").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKER_DB", raising=False)
    args = ["publish", "--db", "desk.db", "--config", "tracker.yml", "--docs", "site-src/docs",
            "--now", "2026-03-05T10:00", "--build", "--site", "out"]  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "知识库文章 1 篇" in result.output and "站点已生成" in result.output
    assert (tmp_path / "site-src" / "docs" / "kb" / "1.md").exists()
    assert (tmp_path / "site-src" / "mkdocs.yml").exists()
    assert (tmp_path / "out" / "kb" / "1" / "index.html").exists()
    missing = CliRunner().invoke(cli, [*args[:2], "nope.db", *args[3:6]])
    assert missing.exit_code != 0


def test_a_rebuild_with_no_change_is_byte_identical(cfg: Config, built: Path, tmp_path: Path) -> None:
    views = [
        kb_view(1),
        kb_view(2, title="无线网络经常断开", category="key", labels=("网络",)),
        incident(3, "major", members=(1,), texts={"wording": "部分用户受影响"}),
        incident(4, "urgent", resolved=NOW - timedelta(days=2)),
    ]
    publish(views, cfg, tmp_path / "docs", NOW, reports=_fake_reports())
    run_mkdocs(tmp_path / "mkdocs.yml", tmp_path / "site")
    first = {p.relative_to(built): p.read_bytes() for p in built.rglob("*") if p.is_file()}
    again = {p.relative_to(tmp_path / "site"): p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file()}
    assert first.keys() == again.keys()
    assert [name for name in first if first[name] != again[name]] == []


def test_a_grader_run_asks_for_a_publish_when_an_incident_opens_changes_or_resolves(
    cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from tracker.site_watch import announce_publish, incidents_changed

    with Ledger(tmp_path / "desk.db") as store:
        store.upsert_ticket(_ticket(1, "网页打不开", (), closed=False))
        assert incidents_changed(store, cfg)  # first run: nothing recorded yet
        assert not incidents_changed(store, cfg)  # an ordinary ticket changes nothing
        incident_ticket = replace(_ticket(2, "支付接口超时", (), closed=False), labels=(cfg.labels.incident,))
        store.upsert_ticket(incident_ticket)
        assert incidents_changed(store, cfg)  # opened
        assert not incidents_changed(store, cfg)
        update = Comment(5, "online-agent-1", "/update 已切换备用线路", T0 + timedelta(hours=4), "MEMBER")
        store.upsert_comment(2, update)
        assert incidents_changed(store, cfg)  # changed
        store.upsert_ticket(replace(incident_ticket, state="closed", closed_at=T0 + timedelta(hours=5)))
        assert incidents_changed(store, cfg)  # resolved
        assert not incidents_changed(store, cfg)
    out = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    announce_publish(True)
    announce_publish(False)
    assert out.read_text(encoding="utf-8") == "publish=true\npublish=false\n"
