"""The demo: a simulated week at every preset's desk, told as a story.

Each preset gets its own store under ``out/``. People (scripted steps) open tickets, reply,
run commands and close; the grader runs every few simulated minutes in between. The week
is the one of China's 2026 National Day holiday, so quiet hours, a public holiday and a
make-up working day all happen. Everything is deterministic: the same command prints the
same story.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from babel.dates import format_date

from tracker.config import Config, load_config, preset_path
from tracker.desk import run_grader
from tracker.engine import Context, assess_all
from tracker.i18n import Translator, babel_locale
from tracker.intake import render_body
from tracker.labels import type_label
from tracker.ledger import Ledger
from tracker.local_hub import LocalHub
from tracker.model import (
    Action,
    CloseTicket,
    EditComment,
    OpenIncident,
    PostComment,
    ReopenTicket,
    SetAssignees,
    SetLabels,
)
from tracker.protocol import STATUS, incident_key, kind_of, linked_incident_of, marker_key, parts_of, split_parts
from tracker.site_model import local_name

WEEK_START = (2026, 9, 28)  # Monday; Oct 1-7 is the National Day holiday, Oct 10 a make-up day
CUSTOMER = "customer-li"  # not staff: what such a person writes never changes a grade


@dataclass(frozen=True)
class Step:
    """One thing a person does: ``day`` 0 = Monday, ``at`` = "HH:MM"."""

    day: int
    at: str
    who: str  # a role id (its first member acts) or a login
    do: str  # open | comment | close | label | assign
    ref: str = ""  # the story's name for the ticket ("leak") — resolved to its number
    form: str = ""
    title: str = ""
    answers: tuple[tuple[str, Any], ...] = ()
    text: str = ""
    says: str = ""  # what the story says about this step


def o(day: int, at: str, who: str, ref: str, form: str, title: str, says: str = "", **answers: Any) -> Step:
    return Step(day, at, who, "open", ref, form, title, tuple(answers.items()), says=says)


def c(day: int, at: str, who: str, ref: str, text: str, says: str = "") -> Step:
    return Step(day, at, who, "comment", ref, text=text, says=says)


def x(day: int, at: str, who: str, ref: str, says: str = "") -> Step:
    return Step(day, at, who, "close", ref, says=says)


def a(day: int, at: str, who: str, ref: str, to: str, says: str = "") -> Step:
    return Step(day, at, who, "assign", ref, text=to, says=says)


SCENARIOS: dict[str, list[Step]] = {
    "club": [
        o(0, "10:00", "agent", "card", "issue", "会员卡续费咨询", "一个 L1 简单咨询",
          category="membership", level="l1", description="客户询问会员卡续费优惠。"),
        c(0, "10:03", "senior", "card", "根据知识库：续费九折。\n/resolve 已按知识库答复\n/kb", "5 分钟内答复并解决"),
        c(0, "10:20", "agent", "card", "/rate 1", "客户满意，工单关闭"),
        o(0, "11:00", "agent", "leak", "issue", "3 号场淋浴间漏水", "需要场馆部门处理的 L2 问题",
          category="booking", level="l2", description="3 号场淋浴间持续漏水，地面湿滑。"),
        c(0, "11:10", "agent", "leak", "/handoff 已转场馆部"),
        c(0, "11:50", "club-dept-venue", "leak", "/plan eta=15:00\n安排维修师傅更换阀门", "部门 1 小时内给出方案和预计时间"),
        c(0, "12:55", "agent", "leak", "/update 已告知客户维修安排"),
        c(0, "16:00", "club-dept-venue", "leak", "/eta eta=18:00\n配件延迟到货", "错过预计时间：说明原因并给出新时间"),
        c(0, "17:30", "club-dept-venue", "leak", "/resolve 已更换阀门并测试"),
        c(0, "18:00", "agent", "leak", "/rate -1\n客户认为处理太慢", "客户不满意：退回部门并升级主管"),
        o(2, "19:30", "agent", "injury", "issue", "青训课学员扭伤", "安全事故：无论初评如何一律 L3",
          category="training", level="l1", safety="safety", description="青训课上学员落地扭伤脚踝，已送医。"),
        c(2, "19:50", "club-supervisor", "injury", "/taskforce 主管、场馆、法务组成专项小组", "专项小组晚了 10 分钟才组建"),
        c(2, "20:20", "club-supervisor", "injury", "/meeting 已召开首次会议\n/update 已联系家长"),
        c(3, "11:00", "club-supervisor", "injury", "/resolve 已完成赔付协商"),
        c(3, "12:00", CUSTOMER, "injury", "/grade l1", "非工作人员的定级命令不生效"),
        o(4, "23:30", "agent", "late", "issue", "闭馆后投诉储物柜丢失物品", "闭馆后提交：时限从次日开馆起算",
          category="other", level="l2", description="储物柜物品丢失。"),
    ],
    "online": [
        *[
            o(0, f"10:{m:02d}", "agent", f"login{i}", "problem", f"用户无法登录 {i}",
              "同类问题 30 分钟内第 5 张：触发预警并生成事件" if i == 5 else "",
              symptom="login_failure", tier="ordinary", complaints_per_hour=3, channel="phone",
              description="输入密码后提示网络错误。")
            for i, m in enumerate((0, 4, 9, 15, 21), start=1)
        ],
        c(0, "10:40", "online-cs-manager", "incident:login", "/ack\n/wording 登录服务正在抢修，预计 30 分钟内恢复，给您带来不便深表歉意。",
          "统一口径同步到所有关联工单"),
        c(0, "11:30", "online-cs-manager", "incident:login", "/resolve downtime=1.2 loss=0", "事件解决：按停机 1.2 小时定最终等级"),
        o(1, "14:00", "agent", "vip", "problem", "VIP 客户账户疑似被盗", "VIP 安全敏感问题：直接定为重大",
          symptom="account_security", tier="vip", complaints_per_hour=1, channel="chat",
          description="VIP 客户发现账户有陌生登录并转出资金。", customer="vip-88"),
        c(1, "14:03", "online-cs-manager", "vip", "/ack 已接手"),
        c(1, "14:15", "online-cs-manager", "vip", "/plan 冻结账户，统一答复口径已发"),
        o(2, "20:00", "agent", "pay", "problem", "充值到账延迟", "非工作时间：按非工作时间时限",
          symptom="payment_delay", tier="ordinary", complaints_per_hour=12, affected_ratio="2%",
          description="充值后余额未更新。"),
        o(3, "02:10", "agent", "night", "problem", "客户端文案错误", "无人值守时段：时钟从 07:00 起算",
          symptom="client_fault", tier="ordinary", complaints_per_hour=2, description="活动页文案有错别字。"),
        o(3, "10:00", "agent", "holiday", "problem", "国庆期间下单失败", "法定节假日按休息日值守时间计算",
          symptom="order_failure", tier="ordinary", complaints_per_hour=6, description="下单按钮无响应。"),
    ],
    "desk": [
        o(0, "09:30", "agent", "oa", "fault", "OA 系统无法登录", "高优先级故障：30 分钟内须有工程师接手",
          priority="high", customer="苏州某公司 张工", channel="phone", system="OA 办公系统",
          description="全部门无法登录 OA。"),
        c(0, "09:40", "desk-l2-1", "oa", "/take 二线接手", "工程师接手：响应时限达成，解决时限开始"),
        c(0, "11:00", "desk-l2-1", "oa", "/root-cause 认证服务内存泄漏\n/resolve 重启认证服务后恢复\n/kb"),
        c(0, "11:30", "agent", "oa", "/rate 10", "非常满意：工单关闭"),
        o(0, "10:00", "agent", "late", "complaint", "工程师上门迟到两小时", "投诉：责任部门须在 2 个工作小时内联系客户",
          priority="medium", customer="苏州某公司 李总", channel="phone", description="约定 9 点上门，11 点才到。"),
        c(0, "13:30", "desk-dept-ops", "late", "/contact 已致电道歉并约定回访", "联系晚了：午休不计时，仍超时半小时"),
        c(0, "17:00", "desk-dept-ops", "late", "/update 已安排新工程师"),
        x(1, "11:00", "agent", "late", "坐席在客户确认前关闭投诉"),
        c(1, "14:00", "agent", "late", "/confirm 客户确认问题已解决\n/resolve 已处理", "客户确认后方可关闭"),
        c(1, "14:30", "agent", "late", "/rate 4", "评价「一般」：升级客服经理，工程师本季度扣 2 分"),
        o(1, "15:00", "agent", "vpn", "consultation", "如何申请 VPN 账号", "", priority="low",
          customer="苏州某公司 王经理", channel="phone", description="新员工需要 VPN。"),
        c(1, "15:05", CUSTOMER, "vpn", "/grade high", "客户不能自行定级"),
        o(2, "17:30", "agent", "printer", "fault", "打印机脱机", "节前最后半小时报修：解决时限跨过国庆假期，10 月 8 日继续计时",
          priority="low", customer="苏州某公司 赵工", channel="phone", system="打印服务",
          description="三楼打印机脱机。"),
        a(2, "17:40", "desk-manager", "printer", "desk-l2-2"),
    ],
    "yoga": [
        o(0, "10:00", "discovery", "booking", "fault_report", "预约系统无法下单", "严重故障：客户沟通组须尽快联系受影响会员",
          started_at="2026-09-28 09:50", symptom="会员在小程序预约课程时一直转圈。", module="booking",
          affected="今天上午所有预约会员", severity="severe", scope="all"),
        c(0, "10:10", "yoga-tech-1", "booking", "/ack 技术支持已接手"),
        c(0, "10:20", "yoga-cs-lead", "booking", "/contact 已短信通知受影响会员并致歉", "30 分钟内联系客户"),
        c(0, "11:00", "yoga-tech-1", "booking", "/update 定位到支付回调超时"),
        c(0, "12:00", "yoga-tech-1", "booking", "/root-cause 支付回调超时\n/resolve 扩容回调服务并补单\n/kb", "修复完成：24 小时内须提交书面故障报告"),
        x(0, "12:30", "discovery", "booking", "未经现场验证就关闭"),
        c(0, "13:00", "discovery", "booking", "/verify 前台实际预约测试通过", "发现组在实际工作环境中验证"),
        c(0, "13:20", "yoga-cs-lead", "booking", "/announce 已通知会员系统恢复"),
        c(1, "11:00", "yoga-tech-1", "booking", "/report 时间、地点、原因、解决方法、修复时间、影响、改进措施见附件", "书面报告按时提交"),
        c(3, "10:00", "yoga-manager", "booking", "/review 复盘会议已召开"),
        x(3, "10:30", "discovery", "booking", "全部环节完成后关闭"),
        o(2, "21:40", "discovery", "checkin", "fault_report", "签到机无法识别会员卡", "闭馆前提交：次日开馆继续计时",
          started_at="2026-09-30 21:30", symptom="签到机读卡无反应。", module="checkin",
          affected="晚课会员", severity="minor", scope="single", self_solved=True),
    ],
    "emergency": [
        o(0, "14:00", "agent", "orders", "failure", "订单处理系统宕机", "一级系统故障：指挥组 15 分钟内确认",
          system="order", channels="phone", started_at="2026-09-28 13:55", severity="level1", scope="all",
          description="订单处理系统无法提交，全部坐席受影响。"),
        c(0, "14:05", "emg-commander", "orders", "/ack 启动一级应急"),
        c(0, "14:20", "emg-care-lead-1", "orders", "/wording 系统正在抢修，订单将在恢复后自动处理，请您稍候。", "统一安抚口径"),
        c(0, "15:10", "emg-tech-lead-1", "orders", "/update 原因：数据库主库故障；范围：全部订单；预计 16:00 恢复", "技术负责人汇报晚了"),
        c(0, "16:00", "emg-tech-lead-1", "orders", "/resolve 已切换到备库"),
        c(1, "10:00", "emg-tech-lead-1", "orders", "/report 故障分析与预防措施"),
        o(0, "14:30", "agent", "wait", "complaint", "电话排队 40 分钟无人接听", "投诉：逐一跟踪到关闭",
          complaint_type="waiting", customer="会员 138****", channels="phone", description="客户投诉排队太久。"),
        c(0, "14:40", "emg-complaint-1", "wait", "/ack 已回电"),
        c(0, "18:00", "emg-care-lead-2", "wait", "/update 已补偿优惠券\n/resolve 客户接受"),
        o(3, "09:00", "emg-dispatch-1", "peak", "peak", "国庆假期话务高峰", "法定节假日高峰：调度组每 2 小时报一次关键指标",
          peak_event="holiday", channels="phone", started_at="2026-10-01 09:00", severity="level2", scope="several",
          description="来电量为平日 3 倍。"),
        c(3, "09:10", "emg-commander", "peak", "/ack 启用高峰排班"),
        c(3, "10:30", "emg-dispatch-1", "peak", "/figures answer_rate=82% avg_wait=95s fcr=71%"),
    ],
}


def _generic(cfg: Config) -> list[Step]:
    """A story for any preset: one ticket per form, a reply, a resolution, a rating."""
    steps: list[Step] = []
    for i, form in enumerate(cfg.forms):
        ref = f"t{i}"
        answers = _auto_answers(cfg, form.id)
        steps.append(o(i % 5, f"{9 + i}:30", _first_role(cfg), ref, form.id,
                       f"{form.name}示例", f"通过「{form.name}」表单提交", **answers))  # fmt: skip
        if i % 2 == 0:
            steps.append(c(i % 5, f"{9 + i}:50", _first_role(cfg, 1), ref, "已收到，正在处理。"))
        steps.append(c((i % 5) + 1, "11:00", _first_role(cfg, 1), ref, "/resolve 已处理完毕"))
        if cfg.satisfaction:
            score = cfg.satisfaction.scale[min(i, len(cfg.satisfaction.scale) - 1)].score
            steps.append(c((i % 5) + 1, "12:00", _first_role(cfg), ref, f"/rate {score}"))
    return steps


def _first_role(cfg: Config, index: int = 0) -> str:
    roles = list(cfg.roles)
    return roles[index % len(roles)]


def _auto_answers(cfg: Config, form_id: str) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for fid in cfg.form_by_id[form_id].fields:
        fld = cfg.fields[fid]
        if fld.kind in ("dropdown",):
            answers[fid] = fld.options[0].id
        elif fld.kind == "checkboxes":
            continue
        elif fld.kind == "number":
            answers[fid] = 1
        elif fld.kind == "ratio":
            answers[fid] = "0.5%"
        elif fld.kind == "datetime":
            answers[fid] = "2026-09-28 09:00"
        elif fld.required:
            answers[fid] = f"{fld.label}：示例内容"
    return answers


class Story:
    """Prints what happens, in the config's language."""

    def __init__(self, cfg: Config, echo: Callable[[str], None]) -> None:
        self.cfg = cfg
        self.echo = echo
        self.titles: dict[int, str] = {}

    def when(self, t: datetime) -> str:
        day = format_date(t, "EEE", locale=babel_locale(self.cfg.locale))  # 周一 / Mon
        return f"{t.strftime('%m-%d')} {day} {t.strftime('%H:%M')}"

    def person(self, t: datetime, text: str) -> None:
        self.echo(f"  {self.when(t)}  👤 {text}")

    def grader(self, t: datetime, text: str) -> None:
        self.echo(f"  {self.when(t)}  🤖 {text}")

    def action(self, t: datetime, action: Action, outcome: str) -> None:
        line = describe(action, self.cfg, self.titles)
        if line:
            self.grader(t, line)


def describe(action: Action, cfg: Config, titles: dict[int, str]) -> str:
    """One readable line for one applied action (the status comment is not worth a line)."""
    _ = Translator(cfg.locale)
    n = getattr(action, "number", None)
    who = _("#%(n)s “%(title)s”", n=n, title=titles[n]) if n in titles else f"#{n}"
    match action:
        case SetLabels(add=add, remove=remove):
            grade = [lb for lb in add if lb.startswith(cfg.labels.grade.split("{")[0])]
            parts = []
            if grade:
                gid = grade[0][len(cfg.labels.grade.split("{")[0]):]
                name = cfg.grade_by_id[gid].label(cfg.locale) if gid in cfg.grade_by_id else gid
                parts.append(_("graded %(grade)s", grade=name))
            others = [lb for lb in add if lb not in grade]
            if others:
                parts.append(_("labels +%(labels)s", labels=" ".join(others)))
            if remove:
                parts.append(_("labels -%(labels)s", labels=" ".join(remove)))
            return f"{who} " + _("; ").join(parts)
        case SetAssignees(add=add):
            return f"{who} " + _("assigned to %(people)s", people=" ".join(f"@{p}" for p in add))
        case PostComment(key=key, body=body):
            said = {k: text for k, text in split_parts(key, body).items() if k != STATUS}
            if not said:
                return ""
            kinds = list(dict.fromkeys(kind_of(k) for k in said))
            lines = [ln for text in said.values() for ln in text.strip().splitlines() if ln and not ln.startswith("<!--")]
            first = lines[0].replace("**", "") if lines else ""
            return f"{who} " + _("comments: %(text)s", text=first) + f"  [{' + '.join(kinds)}]"
        case EditComment():
            return ""
        case OpenIncident(title=title, members=members):
            ms = " ".join(f"#{m}" for m in members)
            return _("opened incident “%(title)s” linking %(members)s", title=title, members=ms)
        case CloseTicket():
            return _("%(who)s closed it", who=who)
        case ReopenTicket():
            return _("%(who)s reopened it", who=who)
    return ""


def desk_name(cfg: Config) -> str:
    return local_name(cfg.name, cfg.name_en, cfg.locale)


def _at(day: int, hhmm: str, cfg: Config) -> datetime:
    y, m, d = WEEK_START
    hh, mm = (int(p) for p in hhmm.split(":"))
    return datetime(y, m, d, tzinfo=cfg.tz) + timedelta(days=day, hours=hh, minutes=mm)


def _login(cfg: Config, who: str) -> str:
    if who in cfg.roles:
        return cfg.roles[who].users[0] if cfg.roles[who].users else cfg.roles[who].members[0]
    return who


def run_preset(
    name: str,
    out: Path,
    *,
    step_minutes: int,
    echo: Callable[[str], None],
    days: int = 7,
    remember: bool = True,
) -> tuple[Ledger, Config]:
    """Play one preset's week into ``out/<name>.db`` and return the open store."""
    cfg = load_config(preset_path(name))
    out.mkdir(parents=True, exist_ok=True)
    db = out / f"{name}.db"
    if db.exists():
        db.unlink()
    for extra in (out / f"{name}.db-wal", out / f"{name}.db-shm"):
        if extra.exists():
            extra.unlink()
    store = Ledger(db)
    story = Story(cfg, echo)
    steps = sorted(SCENARIOS.get(name) or _generic(cfg), key=lambda s: (s.day, s.at))
    refs: dict[str, int] = {}
    ctx = Context(cfg)
    clock = _at(0, "00:00", cfg)
    end = clock + timedelta(days=days)
    pending = list(steps)
    _ = Translator(cfg.locale)
    echo("\n" + _("=== %(desk)s (%(preset)s) ===", desk=desk_name(cfg), preset=name))
    while clock <= end:
        while pending and _at(pending[0].day, pending[0].at, cfg) <= clock:
            s = pending.pop(0)
            _perform(s, cfg, store, refs, story, _at(s.day, s.at, cfg))
        run_grader(store, cfg, clock, ctx=ctx, remember=remember, on_action=partial(story.action, clock))
        _remember_incidents(store, cfg, refs, story)
        clock += timedelta(minutes=step_minutes)
    return store, cfg


def _remember_incidents(store: Ledger, cfg: Config, refs: dict[str, int], story: Story) -> None:
    """Give incident tickets the grader opened a title in the story."""
    for t in store.tickets(state="open"):
        if t.author == cfg.bot.login and t.number not in story.titles:
            story.titles[t.number] = t.title


def _resolve_ref(ref: str, store: Ledger, cfg: Config, refs: dict[str, int]) -> int | None:
    """A story name; ``incident:NAME`` is the incident the ticket NAME1 was linked to."""
    if not ref.startswith("incident:"):
        return refs.get(ref)
    member = refs.get(ref[len("incident:") :] + "1")
    if member is None:
        return None
    for comment in store.ticket(member).comments:
        key = marker_key(comment.body)
        for part in parts_of(key) if key and comment.author == cfg.bot.login else ():
            linked = linked_incident_of(part)
            if linked is not None:
                return store.find_ticket_by_marker(incident_key(linked), cfg.bot.login)
    return None


def _perform(s: Step, cfg: Config, store: Ledger, refs: dict[str, int], story: Story, at: datetime) -> None:
    hub = LocalHub(store, cfg.bot.login, lambda: at)
    login = _login(cfg, s.who)
    association = "MEMBER" if cfg.is_staff_login(login) else "NONE"
    _ = Translator(cfg.locale)
    says = _(" (%(note)s)", note=s.says) if s.says else ""
    if s.do == "open":
        form = cfg.form_by_id[s.form]
        body = render_body(cfg, s.form, dict(s.answers))
        opened = hub.open_ticket(form.title_prefix + s.title, body, login,
                                 labels=(type_label(cfg, form.type), *form.labels),
                                 association=association, at=at)  # fmt: skip
        refs[s.ref] = opened
        story.titles[opened] = s.title
        story.person(at, _("@%(login)s opened #%(n)s “%(title)s”%(says)s", login=login, n=opened, title=s.title, says=says))
        return
    number = _resolve_ref(s.ref, store, cfg, refs)
    if number is None:
        story.person(at, _("(skipped: no %(ref)s)", ref=s.ref))
        return
    if s.do == "comment":
        hub.add_comment(number, login, s.text, association, at=at)
        first = s.text.splitlines()[0]
        story.person(at, _("@%(login)s on #%(n)s: %(text)s%(says)s", login=login, n=number, text=first, says=says))
    elif s.do == "close":
        hub.close_ticket(number, login, at=at)
        story.person(at, _("@%(login)s closed #%(n)s%(says)s", login=login, n=number, says=says))
    elif s.do == "assign":
        hub.assign(number, [s.text], [], login, at=at)
        story.person(at, _("@%(login)s assigned #%(n)s to @%(who)s%(says)s", login=login, n=number, who=s.text, says=says))


def summary(store: Ledger, cfg: Config, now: datetime, echo: Callable[[str], None]) -> dict[str, Any]:
    views = assess_all(store.tickets(), cfg, now)
    clocks = [c for v in views for c in v.clocks]
    figures = {
        "tickets": len(views),
        "incidents": sum(1 for v in views if v.is_incident),
        "clocks": len(clocks),
        "met": sum(1 for c in clocks if c.status == "met"),
        "breached": sum(1 for c in clocks if c.breached),
        "escalations": sum(len(c.escalations) for c in clocks),
        "open": sum(1 for v in views if v.state == "open"),
    }
    _ = Translator(cfg.locale)
    echo("  " + _(
        "Summary: %(tickets)s tickets (%(incidents)s incidents), %(clocks)s clocks: %(met)s met, "
        "%(breached)s breached, %(escalations)s escalations; %(open)s still open.", **figures))  # fmt: skip
    return figures


def run_demo(
    out: Path,
    *,
    presets: Iterable[str],
    step_minutes: int = 10,
    site: bool = True,
    echo: Callable[[str], None] = print,
) -> dict[str, dict[str, Any]]:
    """Play every preset's week, print the story, and (optionally) build the site."""
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    for name in presets:
        store, cfg = run_preset(name, out, step_minutes=step_minutes, echo=echo)
        try:
            end = _at(7, "00:00", cfg)
            results[name] = summary(store, cfg, end, echo)
            if site:
                _site(store, cfg, out / name, end, echo)
        finally:
            store.close()
    return results


def _site(store: Ledger, cfg: Config, where: Path, now: datetime, echo: Callable[[str], None]) -> None:
    try:
        from tracker.publish import build_site
    except ImportError:
        return
    result = build_site(store, cfg, where, now)
    site = where / "site"
    first = result.summary(cfg.locale).splitlines()[0]
    _ = Translator(cfg.locale)
    echo(
        "  " + _("Site: %(summary)s", summary=first) + "\n"
        "  " + _("Browse: python -m http.server -d %(site)s, then open http://localhost:8000/", site=site)
    )
