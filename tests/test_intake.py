"""Reading submitted issue forms: rendering shapes, values, detection, messages, round trip,
and parity with GitHub's own parser (@github/issue-parser)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.config import Config, load_config, parse_config, preset_path
from tracker.errors import NotFound, UsageError
from tracker.forms import issue_forms
from tracker.intake import (
    Intake,
    detect_form,
    missing_info_message,
    parse_body,
    read_answer,
    render_body,
)

FIXTURES = Path(__file__).parent / "fixtures" / "forms"
JS = Path(__file__).parent / "js"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def policy(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load((FIXTURES / "tracker.yml").read_text(encoding="utf-8"))
    data.update(changes)
    return data


CFG = parse_config(policy())
CFG_EN = parse_config(policy(locale="en"))

FULL = {
    "summary": "登录失败",
    "detail": "点击登录后白屏。\n\n1. 打开应用\n2. 点击登录",
    "logs": "ERROR 500\nretrying",
    "product": "web",
    "regions": ("north", "abroad"),
    "impact": ("pay", "data"),
    "users": 1200,
    "ratio": 1.5,
    "started": datetime(2026, 11, 24, 14, 30, tzinfo=SHANGHAI),
    "phone": "13800000000",
    "agree": True,
    "subscribe": False,
}


def body_of(sections: dict[str, str], sep: str = "\n\n") -> str:
    """A body with the given heading -> answer sections, as GitHub lays them out."""
    return sep.join(f"### {label}{sep}{answer}" for label, answer in sections.items())


def fault_body(**answers: str) -> str:
    """The full fault form with some answers replaced by raw text (keyed by field id)."""
    base = render_body(CFG, "fault", FULL)
    sections = dict(s.split("\n\n", 1) for s in base[4:].split("\n\n### "))
    for fid, raw in answers.items():
        sections[CFG.fields[fid].label] = raw
    return body_of(sections)


# ----------------------------------------------------------------------------- rendering shapes


def test_render_body_is_what_github_writes() -> None:
    assert render_body(CFG, "fault", FULL) == (
        "### 问题概述\n\n登录失败\n\n"
        "### 详细描述\n\n点击登录后白屏。\n\n1. 打开应用\n2. 点击登录\n\n"
        "### 相关日志\n\n```shell\nERROR 500\nretrying\n```\n\n"
        "### 所属产品\n\n网站\n\n"
        "### 影响地区\n\n华北, 海外（含港澳台）\n\n"
        "### 影响范围\n\n- [X] 支付\n- [ ] 登录\n- [X] 数据\n\n"
        "### 受影响用户数\n\n1200\n\n"
        "### 受影响比例\n\n1.5%\n\n"
        "### 开始时间\n\n2026-11-24 14:30\n\n"
        "### 联系电话\n\n13800000000\n\n"
        "### 确认\n\n- [X] 我已阅读服务说明\n\n"
        "### 通知\n\n- [ ] 有进展时通知我"
    )


def test_render_body_blank_answers() -> None:
    assert render_body(CFG, "consult", {}) == (
        "### 问题概述\n\n_No response_\n\n"
        "### 所属产品\n\n_No response_\n\n"
        "### 您的问题\n\n_No response_\n\n"
        "### 联系电话\n\n_No response_\n\n"
        "### 通知\n\n- [ ] 有进展时通知我"
    )


def test_render_body_accepts_option_names_and_other_zones() -> None:
    body = render_body(
        CFG,
        "fault",
        {
            "product": "Website",
            "regions": ["华北", "South"],
            "impact": ["登录"],
            "started": datetime(2026, 11, 24, 6, 30, 15, tzinfo=UTC),
        },
    )
    assert "### 所属产品\n\n网站\n\n" in body
    assert "### 影响地区\n\n华北, 华南\n\n" in body
    assert "- [ ] 支付\n- [X] 登录\n- [ ] 数据" in body
    assert "### 开始时间\n\n2026-11-24 14:30:15\n\n" in body


def test_render_body_takes_command_line_strings() -> None:
    """What `tracker open --field id=value` passes: every answer as one string."""
    answers = {
        "regions": "north,abroad",
        "impact": "pay, Sign-in",
        "users": "1,200",
        "started": "2026-11-24 14:30",
        "agree": "yes",
        "subscribe": "否",
    }
    intake = parse_body(render_body(CFG, "fault", answers), CFG)
    assert intake.facts == {
        "regions": ("north", "abroad"),
        "impact": ("pay", "login"),
        "users": 1200,
        "started": datetime(2026, 11, 24, 14, 30, tzinfo=SHANGHAI),
        "agree": True,
        "subscribe": False,
    }
    for word, ticked in [
        ("true", True),
        ("1", True),
        ("是", True),
        ("on", True),
        ("false", False),
        ("", False),
    ]:
        body = render_body(CFG, "consult", {"subscribe": word})
        assert parse_body(body, CFG).facts.get("subscribe") is ticked, word


def test_render_body_in_english() -> None:
    body = render_body(CFG_EN, "consult", {"product": "api", "subscribe": True})
    assert "### Product\n\nOpen API\n\n" in body
    assert body.endswith("### Notifications\n\n- [X] Tell me about progress")


@pytest.mark.parametrize(
    ("form", "answers", "error"),
    [
        ("nope", {}, NotFound),
        ("consult", {"logs": "x"}, UsageError),
        ("consult", {"product": "mars"}, UsageError),
        ("consult", {"product": ["app", "web"]}, UsageError),
        ("fault", {"impact": True}, UsageError),
    ],
)
def test_render_body_refuses_what_github_could_not_produce(
    form: str, answers: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        render_body(CFG, form, answers)


# ----------------------------------------------------------------------------- values, table-driven

INVALID = object()  # the answer must be reported as invalid
BLANK = object()  # the answer must be absent from facts (and listed as missing if required)

VALUE_CASES: list[tuple[str, str, Any]] = [
    # input / textarea
    ("summary", "  登录失败  ", "登录失败"),
    ("summary", "_No response_", BLANK),
    ("summary", "_no response_", BLANK),
    ("summary", "", BLANK),
    ("detail", "第一行\n\n- 列表一\n- 列表二\n\n## 小标题\n\n#### 更小的标题\n\n> 引用", None),
    ("detail", "代码：\n\n```\n### 详细描述\n### 所属产品\n```\n\n后文", None),
    ("detail", "波浪线：\n\n~~~\n### 所属产品\n~~~", None),
    ("detail", "长栅栏：\n\n````md\n```\n### 所属产品\n```\n````", None),
    ("detail", "1. 打开\n   ```\n   ### 所属产品\n   ```\n2. 点击", None),
    # textarea with render: GitHub's fence is stripped, user's content kept
    ("logs", "```shell\nERROR 1\n  at main\n```", "ERROR 1\n  at main"),
    ("logs", "```shell\n```", BLANK),
    ("logs", "_No response_", BLANK),
    ("logs", "```shell\nline\n```text\ninner\n```", "line\n```text\ninner"),
    ("logs", "not fenced after an edit", "not fenced after an edit"),
    # dropdown
    ("product", "网站", "web"),
    ("product", "Website", "web"),
    ("product", "website", "web"),
    ("product", "ＷＥＢＳＩＴＥ", "web"),
    ("product", "web", "web"),
    ("product", "  开放接口  ", "api"),
    ("product", "None", BLANK),
    ("product", "_No response_", BLANK),
    ("product", "火星", INVALID),
    ("product", "网站, 手机应用", INVALID),
    # multiple dropdown
    ("regions", "华北, 华南", ("north", "south")),
    ("regions", "华北,华南", ("north", "south")),
    ("regions", "华北，华南", ("north", "south")),
    ("regions", "海外(含港澳台)，华北", ("abroad", "north")),
    ("regions", "华南", ("south",)),
    ("regions", "海外（含港澳台）, 华北", ("abroad", "north")),
    ("regions", "Abroad, incl. HK, North", ("abroad", "north")),
    ("regions", "North, Abroad, incl. HK", ("north", "abroad")),
    ("regions", "华北, 华北", ("north",)),
    ("regions", "华北, 火星", INVALID),
    ("regions", "None", BLANK),
    ("regions", "_No response_", BLANK),
    # checkboxes
    ("impact", "- [X] 支付\n- [ ] 登录\n- [X] 数据", ("pay", "data")),
    ("impact", "- [x] 数据\n- [x] 支付", ("pay", "data")),
    ("impact", "- [X] 支付   \n- [ ] 登录\t\n", ("pay",)),
    ("impact", "* [x] Payments\n+ [X] Sign-in", ("pay", "login")),
    ("impact", "- [ ] 支付\n- [ ] 登录\n- [ ] 数据", BLANK),
    ("impact", "- [ ] 不认识的\n- [X] 登录", ("login",)),
    ("impact", "- [X] 不认识的", INVALID),
    ("impact", "说明文字\n- [X] 支付", ("pay",)),
    ("subscribe", "- [X] 有进展时通知我", True),
    ("subscribe", "- [ ] 有进展时通知我", False),
    ("subscribe", "- [x] Tell me about progress", True),
    ("agree", "- [X] 我已阅读服务说明", True),
    ("agree", "- [ ] 我已阅读服务说明", BLANK),
    # number
    ("users", "12", 12),
    ("users", "1,200", 1200),
    ("users", "１２", 12),
    ("users", "１，２００", 1200),
    ("users", "1.5", 1.5),
    ("users", "-3", -3),
    ("users", "+7", 7),
    ("users", ".5", 0.5),
    ("users", "1e3", 1000.0),
    ("users", "12 个", INVALID),
    ("users", "1,2", INVALID),
    ("users", "1,2000", INVALID),
    ("users", "abc", INVALID),
    ("users", "1e999", INVALID),
    ("users", "9" * 5000, INVALID),
    ("users", "__import__('os')", INVALID),
    ("users", "_No response_", BLANK),
    # ratio
    ("ratio", "1.5%", 1.5),
    ("ratio", "1.5", 1.5),
    ("ratio", "0.5 %", 0.5),
    ("ratio", "１.５％", 1.5),
    ("ratio", "0", 0.0),
    ("ratio", "100%", 100.0),
    ("ratio", "101%", INVALID),
    ("ratio", "-1%", INVALID),
    ("ratio", "一半", INVALID),
    ("ratio", "%", INVALID),
    # datetime
    ("started", "2026-11-24 14:30", datetime(2026, 11, 24, 14, 30, tzinfo=SHANGHAI)),
    ("started", "2026-11-24T14:30", datetime(2026, 11, 24, 14, 30, tzinfo=SHANGHAI)),
    ("started", "2026-11-24 14:30:15", datetime(2026, 11, 24, 14, 30, 15, tzinfo=SHANGHAI)),
    ("started", "2026-11-24T14:30:15", datetime(2026, 11, 24, 14, 30, 15, tzinfo=SHANGHAI)),
    ("started", "2026-11-24T06:30Z", datetime(2026, 11, 24, 14, 30, tzinfo=SHANGHAI)),
    ("started", "2026-11-24 14:30+09:00", datetime(2026, 11, 24, 13, 30, tzinfo=SHANGHAI)),
    ("started", "2026-11-24 14:30 -0500", datetime(2026, 11, 25, 3, 30, tzinfo=SHANGHAI)),
    ("started", "2026/11/24 9:05", datetime(2026, 11, 24, 9, 5, tzinfo=SHANGHAI)),
    ("started", "2026年11月24日 14:30", datetime(2026, 11, 24, 14, 30, tzinfo=SHANGHAI)),
    ("started", "2026年11月24日14：30", datetime(2026, 11, 24, 14, 30, tzinfo=SHANGHAI)),
    ("started", "２０２６-１１-２４ １４:３０", datetime(2026, 11, 24, 14, 30, tzinfo=SHANGHAI)),
    ("started", "2026-13-01 10:00", INVALID),
    ("started", "2026-02-30 10:00", INVALID),
    ("started", "2026-11-24 24:30", INVALID),
    ("started", "2026-11-24", INVALID),
    ("started", "明天下午", INVALID),
    ("started", "2026-11-24 14:30+25:00", INVALID),
    ("started", "_No response_", BLANK),
]


@pytest.mark.parametrize(
    ("fid", "raw", "expected"), VALUE_CASES, ids=[f"{f}:{r[:24]!r}" for f, r, _ in VALUE_CASES]
)
def test_answer_values(fid: str, raw: str, expected: Any) -> None:
    intake = parse_body(fault_body(**{fid: raw}), CFG)
    assert intake.form == "fault"
    invalid = dict(intake.invalid)
    if expected is INVALID:
        assert fid in invalid and fid not in intake.facts and fid not in intake.missing
    elif expected is BLANK:
        assert fid not in intake.facts and fid not in invalid
        assert (fid in intake.missing) == CFG.fields[fid].required
    else:
        want = raw.strip() if expected is None else expected
        assert fid not in invalid and fid not in intake.missing
        assert intake.facts[fid] == want
        assert type(intake.facts[fid]) is type(want)
        if isinstance(want, datetime):
            assert intake.facts[fid].tzinfo == SHANGHAI
            assert intake.facts[fid].utcoffset() == want.utcoffset()
    others = {k: v for k, v in intake.facts.items() if k != fid}
    assert others == {k: v for k, v in FULL.items() if k != fid}


def test_the_full_form_parses_back() -> None:
    intake = parse_body(render_body(CFG, "fault", FULL), CFG, labels=["type:fault"])
    assert intake == Intake(form="fault", facts=FULL, missing=(), invalid=())
    assert list(intake.facts) == CFG.form_by_id["fault"].fields


# ----------------------------------------------------------------------------- body shapes


def test_crlf_and_trailing_whitespace() -> None:
    body = render_body(CFG, "fault", FULL).replace("\n", "  \r\n")
    intake = parse_body(body, CFG)
    assert intake.form == "fault"
    facts = dict(intake.facts)
    # Trailing blanks inside a textarea are the user's (Markdown line breaks) and stay.
    assert facts.pop("detail") == "点击登录后白屏。  \n  \n1. 打开应用  \n2. 点击登录"
    assert facts.pop("logs") == "ERROR 500  \nretrying"
    assert facts == {k: v for k, v in FULL.items() if k not in ("detail", "logs")}
    assert parse_body(body.replace("  \r\n", "\r"), CFG).facts == FULL


def test_missing_sections_are_missing_or_absent() -> None:
    body = body_of({"问题概述": "登录失败", "所属产品": "网站"})
    intake = parse_body(body, CFG, form_id="fault")
    assert intake.facts == {"summary": "登录失败", "product": "web"}
    assert intake.missing == ("detail", "started", "agree")
    assert intake.invalid == ()


def test_required_fields_left_blank_are_missing_in_form_order() -> None:
    intake = parse_body(render_body(CFG, "fault", {"users": "很多", "phone": "123"}), CFG)
    assert intake.missing == ("summary", "detail", "product", "started", "agree")
    assert [fid for fid, _ in intake.invalid] == ["users"]
    assert intake.facts == {"phone": "123", "subscribe": False}


def test_a_section_repeated_at_the_end_is_a_correction_and_wins() -> None:
    body = render_body(CFG, "consult", {"summary": "第一次", "question": "问题"})
    body += "\n\n### 问题概述\n\n第二次\n\n### 您的问题\n\n又一个问题"
    intake = parse_body(body, CFG)
    assert intake.facts["summary"] == "第二次"
    assert intake.facts["question"] == "又一个问题"


def test_a_repeated_section_left_blank_erases_nothing() -> None:
    body = render_body(CFG, "consult", {"summary": "第一次", "question": "问题"})
    body += "\n\n### 问题概述\n\n_No response_\n\n### 您的问题\n\n"
    assert parse_body(body, CFG).facts == {"summary": "第一次", "question": "问题", "subscribe": False}


def test_a_byte_order_mark_does_not_hide_the_first_field() -> None:
    body = "\ufeff" + render_body(CFG, "consult", {"summary": "登录失败", "question": "问题"})
    intake = parse_body(body, CFG)
    assert intake.facts["summary"] == "登录失败"
    assert "summary" not in intake.missing


def test_an_unknown_heading_stays_in_the_answer_above() -> None:
    body = render_body(CFG, "consult", {"question": "上半部分\n\n### 我自己加的标题\n\n下半部分"})
    assert parse_body(body, CFG).facts["question"] == "上半部分\n\n### 我自己加的标题\n\n下半部分"


def test_lower_level_headings_are_not_sections() -> None:
    body = body_of({"问题概述": "x", "您的问题": "## 问题概述\n\n#### 所属产品\n\n正文"})
    assert parse_body(body, CFG).facts == {
        "summary": "x",
        "question": "## 问题概述\n\n#### 所属产品\n\n正文",
    }


def test_an_unclosed_fence_does_not_swallow_later_answers() -> None:
    body = render_body(
        CFG, "consult", {"summary": "s", "question": "```\n未闭合的代码", "phone": "123"}
    )
    intake = parse_body(body, CFG)
    assert intake.facts["question"] == "```\n未闭合的代码"
    assert intake.facts["phone"] == "123"


def test_heading_lines_tolerate_spacing() -> None:
    body = "###   问题概述   \n\n概述\n\n   ### 您的问题\n\n问题\n\n###所属产品\n\n网站"
    assert parse_body(body, CFG, form_id="consult").facts == {
        "summary": "概述",
        "question": "问题",
        "product": "web",
    }


def test_english_headings_are_accepted_in_a_chinese_desk() -> None:
    body = render_body(CFG_EN, "fault", FULL)
    assert parse_body(body, CFG) == Intake(form="fault", facts=FULL, missing=(), invalid=())
    body_zh = render_body(CFG, "fault", FULL)
    assert parse_body(body_zh, CFG_EN) == Intake(form="fault", facts=FULL, missing=(), invalid=())


def test_a_body_matching_no_form() -> None:
    for body in ("", "随便写点什么", "## 问题概述\n\nx", "### 别的标题\n\n内容"):
        assert parse_body(body, CFG) == Intake(form=None, facts={}, missing=(), invalid=())
        assert detect_form(body, [], CFG) is None


def test_unknown_form_id() -> None:
    with pytest.raises(NotFound):
        parse_body("### 问题概述\n\nx", CFG, form_id="nope")


HOSTILE_CHUNK = "```a\n### 问题概述\n~~~\n### 所属产品\n- [X] 支付\n" + " " * 50 + "x\n"


# Huge bodies built to make a careless parser quadratic; how long they take is measured by
# bench/intake.py, not here. Each case: the body, then the facts (``...``: any value), the
# missing and the invalid field ids that reading it as the fault form gives.
@pytest.mark.parametrize(
    ("body", "facts", "missing", "invalid"),
    [
        pytest.param(  # many fences, none of which closes
            HOSTILE_CHUNK * 40_000, {"summary": ...}, ("detail", "started", "agree"), ("product",), id="unclosed-fences"
        ),
        pytest.param(  # fences that all close each other
            "### 问题概述\n\n" + "```\n" * 100_000,
            {"summary": ("```\n" * 100_000).strip()},
            ("detail", "product", "started", "agree"),
            (),
            id="closing-fences",
        ),
        pytest.param(
            "### " + " " * 300_000 + "x\n\n" + "1," * 100_000,
            {},
            ("summary", "detail", "product", "started", "agree"),
            (),
            id="long-heading",
        ),
        pytest.param(
            body_of({"所属产品": "网站", "影响地区": "华北," * 100_000}),
            {"product": "web"},
            ("summary", "detail", "started", "agree"),
            ("regions",),
            id="long-choice-list",
        ),
        pytest.param(
            body_of({"受影响用户数": "1" * 300_000, "开始时间": "2026-" * 60_000}),
            {},
            ("summary", "detail", "product", "agree"),
            ("users", "started"),
            id="long-number-and-date",
        ),
    ],
)
def test_huge_bodies_are_read(
    body: str, facts: dict[str, Any], missing: tuple[str, ...], invalid: tuple[str, ...]
) -> None:
    intake = parse_body(body, CFG, form_id="fault")
    assert intake.form == "fault"
    assert intake.facts.keys() == facts.keys()
    assert {k: v for k, v in intake.facts.items() if facts[k] is not ...} == {
        k: v for k, v in facts.items() if v is not ...
    }
    assert intake.missing == missing
    assert tuple(fid for fid, _ in intake.invalid) == invalid
    assert detect_form(body, [], CFG) in (None, *CFG.form_by_id)


# ----------------------------------------------------------------------------- detection


def test_detection_by_headings() -> None:
    assert detect_form(render_body(CFG, "fault", FULL), [], CFG) == "fault"
    assert detect_form(render_body(CFG, "consult", {}), [], CFG) == "consult"
    # Only the fields both forms share: the form they cover best wins.
    assert detect_form(body_of({"问题概述": "x", "所属产品": "网站"}), [], CFG) == "consult"


def test_detection_prefers_the_type_label() -> None:
    shared = body_of({"问题概述": "x", "所属产品": "网站"})
    assert detect_form(shared, ["type:fault", "bug"], CFG) == "fault"
    assert detect_form(shared, ["TYPE:FAULT"], CFG) == "fault"
    assert parse_body(shared, CFG, labels=["type:fault"]).missing == ("detail", "started", "agree")


def test_detection_falls_back_when_the_labelled_form_matches_nothing() -> None:
    body = body_of({"您的问题": "怎么用？"})
    assert detect_form(body, ["type:fault"], CFG) == "consult"


def test_detection_honours_the_label_pattern() -> None:
    cfg = parse_config(policy(labels={"type": "类型/{id}"}))
    shared = body_of({"问题概述": "x", "所属产品": "网站"})
    assert detect_form(shared, ["类型/fault"], cfg) == "fault"
    assert detect_form(shared, ["type:fault"], cfg) == "consult"


# ----------------------------------------------------------------------------- messages


def test_missing_info_message_in_chinese() -> None:
    intake = parse_body(
        render_body(CFG, "fault", {**FULL, "summary": None, "users": "很多", "ratio": "200%"}), CFG
    )
    text = missing_info_message(intake, CFG)
    assert text == (
        "请编辑工单正文，补充或更正以下信息：\n\n"
        "- **问题概述**：必填，尚未填写\n"
        "- **受影响用户数**：应为数字，如 12、1,200 或 3.5，而不是 `很多`\n"
        "- **受影响比例**：应为 0 到 100 之间的百分比，如 1.5%，而不是 `200%`"
    )


def test_missing_info_message_in_english() -> None:
    answers = {**FULL, "detail": "", "product": None, "started": "soon"}
    body = render_body(CFG_EN, "fault", answers)
    intake = parse_body(body.replace("### Product\n\n_No response_", "### Product\n\nMars"), CFG_EN)
    assert missing_info_message(intake, CFG_EN) == (
        "Please edit the ticket to add or correct the following:\n\n"
        "- **Details**: required, but left blank\n"
        "- **Product**: `Mars` is not one of the choices: Mobile app, Website, Open API\n"
        "- **Started at**: should be a date and time such as 2026-11-24 14:30, not `soon`"
    )


def test_missing_info_message_when_all_is_well_or_no_form() -> None:
    assert missing_info_message(parse_body(render_body(CFG, "fault", FULL), CFG), CFG) == ""
    assert missing_info_message(parse_body("hello", CFG), CFG) == (
        "无法识别此工单使用的表单，请在“新建工单”页面选择一个表单重新提交。"
    )
    assert missing_info_message(parse_body("hello", CFG_EN), CFG_EN) == (
        "This ticket does not match any of our forms. Please open it again from one of the issue forms."
    )


def test_echoed_answers_cannot_mention_or_break_markdown() -> None:
    hostile = "@everyone `rm -rf` " + "x" * 200 + "\n- [X] more"
    intake = parse_body(fault_body(users=hostile), CFG)
    why = dict(intake.invalid)["users"]
    quoted = why.split("而不是 ", 1)[1]
    assert quoted.startswith("`@everyone 'rm -rf'") and quoted.endswith("…`")
    assert quoted.count("`") == 2 and "\n" not in why and len(quoted) < 50


def test_every_reason_is_in_the_desk_language() -> None:
    bad = {"users": "many", "ratio": "lots", "started": "soon"}
    for cfg, text in ((CFG, "而不是"), (CFG_EN, ", not ")):
        intake = parse_body(fault_body(**bad), cfg)
        assert len(intake.invalid) == 3 and all(text in why for _, why in intake.invalid)


# ----------------------------------------------------------------------------- round trip


def _text_line() -> st.SearchStrategy[str]:
    words = st.text(
        alphabet=st.sampled_from("abcXYZ019 ,.!?:-_()故障登录白屏网站華北ｗｅｂ１２"),
        min_size=1,
        max_size=20,
    )
    return st.one_of(
        words,
        words.map(lambda w: f"- {w}"),
        words.map(lambda w: f"1. {w}"),
        words.map(lambda w: f"## {w}"),
        words.map(lambda w: f"#### {w}"),
        words.map(lambda w: f"> {w}"),
        st.just(""),
        st.sampled_from(["问题概述", "所属产品", "Summary"]).map(
            lambda label: f"```\n### {label}\n```"
        ),
        st.sampled_from(["相关日志", "Logs"]).map(lambda label: f"~~~~text\n### {label}\n~~~~"),
    )


def _text(multiline: bool) -> st.SearchStrategy[str | None]:
    lines = (
        st.lists(_text_line(), min_size=1, max_size=8)
        if multiline
        else st.lists(_text_line(), max_size=1)
    )
    return (
        lines.map(lambda ls: "\n".join(ls).strip())
        .map(lambda t: None if not t or t.casefold() == "_no response_" else t)
        .filter(
            lambda t: (
                t is None or multiline or not t.startswith(("#", "```", "~~~", "- ", "1. ", "> "))
            )
        )
    )


def _answers(cfg: Config, form_id: str) -> st.SearchStrategy[tuple[dict[str, Any], dict[str, Any]]]:
    """(answers to render, facts expected back)."""
    form = cfg.form_by_id[form_id]
    parts: dict[str, st.SearchStrategy[tuple[Any, Any]]] = {}
    for fid in form.fields:
        fld = cfg.fields[fid]
        ids = [o.id for o in fld.options]
        names = {o.id: [o.id, o.name, o.name_en or o.name] for o in fld.options}
        if fld.kind == "input":
            parts[fid] = _text(False).map(lambda t: (t, t))
        elif fld.kind == "textarea":
            # Inside GitHub's ``` wrapper a ``` line of the user's would end the block early.
            strategy = _text(True).filter(lambda t, r=fld.render: not r or "```" not in (t or ""))
            parts[fid] = strategy.map(lambda t: (t, t))
        elif fld.kind == "dropdown" and fld.multiple:
            parts[fid] = st.lists(st.sampled_from(ids), unique=True).flatmap(
                lambda chosen, names=names: st.tuples(
                    st.tuples(*(st.sampled_from(names[c]) for c in chosen)),
                    st.just(tuple(chosen) or None),
                )
            )
        elif fld.kind == "dropdown":
            parts[fid] = st.one_of(
                st.none().map(lambda _: (None, None)),
                st.sampled_from(ids).flatmap(
                    lambda c, names=names: st.sampled_from(names[c]).map(
                        lambda given, c=c: (given, c)
                    )
                ),
            )
        elif fld.kind == "checkboxes" and len(ids) == 1:
            parts[fid] = st.booleans().map(lambda b: (b, b))
        elif fld.kind == "checkboxes":
            parts[fid] = st.sets(st.sampled_from(ids)).map(
                lambda chosen, ids=ids: (
                    sorted(chosen),
                    tuple(i for i in ids if i in chosen) or None,
                )
            )
        elif fld.kind == "number":
            parts[fid] = st.one_of(
                st.none(),
                st.integers(-(10**15), 10**15),
                st.floats(allow_nan=False, allow_infinity=False),
            ).map(lambda n: (n, n))
        elif fld.kind == "ratio":
            parts[fid] = st.one_of(st.none(), st.floats(0, 100), st.integers(0, 100)).map(
                lambda r: (r, None if r is None else float(r))
            )
        elif fld.kind == "datetime":
            zones = st.sampled_from([SHANGHAI, UTC, timezone(timedelta(hours=-7, minutes=-30))])
            parts[fid] = st.one_of(
                st.none(),
                st.datetimes(
                    min_value=datetime(2000, 1, 1),
                    max_value=datetime(2099, 12, 31),
                    timezones=zones,
                ),
            ).map(
                lambda d: (
                    (d, d) if d is None else (d.replace(microsecond=0), d.replace(microsecond=0))
                )
            )

    def split(pairs: dict[str, tuple[Any, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
        answers = {fid: given for fid, (given, _) in pairs.items()}
        facts = {fid: want for fid, (_, want) in pairs.items() if want is not None}
        return answers, facts

    return st.fixed_dictionaries(parts).map(split)


_STRATEGIES: dict[tuple[str, str], st.SearchStrategy[tuple[dict[str, Any], dict[str, Any]]]] = {}


@pytest.mark.parametrize("cfg", [CFG, CFG_EN], ids=["zh", "en"])
@pytest.mark.parametrize("form_id", ["fault", "consult"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip(cfg: Config, form_id: str, data: st.DataObject) -> None:
    key = (cfg.locale, form_id)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = _answers(cfg, form_id)
    answers, facts = data.draw(_STRATEGIES[key])
    intake = parse_body(render_body(cfg, form_id, answers), cfg)
    assert intake.form == form_id
    form = cfg.form_by_id[form_id]
    required_blank = {
        fid for fid in form.fields if cfg.fields[fid].required and facts.get(fid) in (None, False)
    }
    assert intake.facts == {k: v for k, v in facts.items() if k not in required_blank}
    assert set(intake.missing) == required_blank
    assert intake.invalid == ()
    for fid, value in intake.facts.items():
        if isinstance(value, datetime):
            assert value.tzinfo == cfg.tz and value == facts[fid]


# ----------------------------------------------------------------------------- parity with GitHub


def _github_parse(template: str, body: str, tmp_path: Path) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so GitHub's @github/issue-parser cannot run")
    if not (JS / "node_modules" / "@github" / "issue-parser").is_dir():
        pytest.fail("@github/issue-parser is not installed: run `npm ci --prefix tests/js`")
    (tmp_path / "template.yml").write_text(template, encoding="utf-8")
    (tmp_path / "body.md").write_bytes(body.encode("utf-8"))
    done = subprocess.run(
        [node, str(JS / "parse.mjs"), str(tmp_path / "template.yml"), str(tmp_path / "body.md")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _facts_from_github(cfg: Config, form_id: str, parsed: dict[str, Any]) -> dict[str, Any]:
    """GitHub's parse, turned into our facts: option names to ids, checkboxes to ticked ids
    (or a bool), the render fence removed, and typed inputs read by our own value rules."""
    facts: dict[str, Any] = {}
    for fid in cfg.form_by_id[form_id].fields:
        if fid not in parsed:
            continue
        fld = cfg.fields[fid]
        by_name = {o.label(cfg.locale): o.id for o in fld.options}
        raw = parsed[fid]
        value: Any
        if fld.kind == "dropdown":
            chosen = tuple(by_name[name] for name in raw)
            value = (chosen or None) if fld.multiple else (chosen[0] if chosen else None)
        elif fld.kind == "checkboxes":
            ticked = {by_name[name] for name in raw["selected"]}
            value = (
                bool(ticked)
                if len(fld.options) == 1
                else tuple(o.id for o in fld.options if o.id in ticked) or None
            )
        elif fld.kind == "textarea" and fld.render:
            lines = raw.split("\n")
            assert (
                lines[0] == f"```{fld.render}" and lines[-1] == "```"
            )  # GitHub's parser keeps the fence
            value = "\n".join(lines[1:-1]).strip() or None
        else:
            value, why = read_answer(cfg, fid, raw)
            assert why is None
        if value is not None and not (value is False and fld.required):
            facts[fid] = value
    return facts


PARITY_BODIES: list[tuple[str, str, str]] = [
    ("zh", "fault", render_body(CFG, "fault", FULL)),
    ("zh", "fault", render_body(CFG, "fault", {"summary": "只填了一项", "agree": False})),
    ("zh", "fault", render_body(CFG, "fault", FULL).replace("\n", "\r\n")),
    ("zh", "fault", render_body(CFG, "fault", FULL).replace("- [X]", "- [x]")),
    (
        "zh",
        "fault",
        render_body(CFG, "fault", {**FULL, "regions": None}).replace("_No response_", "None", 1),
    ),
    (
        "zh",
        "fault",
        render_body(
            CFG,
            "fault",
            {
                **FULL,
                "detail": "前言\n\n### 用户自己加的小节\n\n- 列表\n\n"
                "```\nsome code\n```\n\n## 二级标题",
            },
        ),
    ),
    (
        "zh",
        "consult",
        render_body(
            CFG, "consult", {"summary": "怎么导出？", "product": "app", "question": "如题"}
        ),
    ),
    ("en", "fault", render_body(CFG_EN, "fault", {**FULL, "regions": ("south", "north")})),
    ("en", "consult", render_body(CFG_EN, "consult", {"product": "Open API", "subscribe": True})),
]


@pytest.mark.parametrize(
    ("locale", "form_id", "body"),
    PARITY_BODIES,
    ids=[f"{loc}-{form}-{i}" for i, (loc, form, _) in enumerate(PARITY_BODIES)],
)
def test_parity_with_githubs_parser(locale: str, form_id: str, body: str, tmp_path: Path) -> None:
    cfg = CFG_EN if locale == "en" else CFG
    parsed = _github_parse(issue_forms(cfg)[f"{form_id}.yml"], body, tmp_path)
    assert parse_body(body, cfg).facts == _facts_from_github(cfg, form_id, parsed)


def test_where_we_deliberately_differ_from_githubs_parser(tmp_path: Path) -> None:
    """@github/issue-parser 2.0.0 splits at a known label even inside a fenced code block
    and splits dropdown choices at every comma, even one inside an option's name; we do
    neither. A repeated heading overwrites the first in both."""
    detail = "贴一段以前的工单：\n\n```\n### 所属产品\n\n网站\n```"
    body = render_body(CFG, "fault", {**FULL, "detail": detail}) + "\n\n### 问题概述\n\n后来加的"
    parsed = _github_parse(issue_forms(CFG)["fault.yml"], body, tmp_path)
    assert parsed["detail"] != detail and parsed["summary"] == "后来加的"
    ours = parse_body(body, CFG).facts
    assert ours["detail"] == detail and ours["summary"] == "后来加的"

    body = render_body(CFG_EN, "fault", FULL)
    parsed = _github_parse(issue_forms(CFG_EN)["fault.yml"], body, tmp_path)
    assert parsed["regions"] == ["North", "Abroad", "incl. HK"]
    assert parse_body(body, CFG_EN).facts["regions"] == ("north", "abroad")


def test_the_title_prefix_tells_forms_with_the_same_fields_apart() -> None:
    desk = load_config(preset_path("desk"))
    body = render_body(desk, "complaint", {"priority": "high", "description": "态度差"})
    assert detect_form(body, [], desk) == "consultation"  # the first of equals
    assert detect_form(body, [], desk, title="[投诉] 态度差") == "complaint"
    assert detect_form(body, [], desk, title="［投诉］态度差") == "complaint"  # full-width brackets fold
    assert detect_form(body, ["type:fault"], desk, title="[投诉] 态度差") == "fault"  # a type label wins
    assert parse_body(body, desk, title="[其它] x").form == "ticket"
