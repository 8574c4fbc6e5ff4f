"""Benchmark: publish and build the site for a large synthetic desk.

Prints one JSON object per line: ``bench``, ``articles``, ``reports``, ``seconds``,
``search_index_kb``, ``peak_mb`` (plus the split between publishing and building).
Defaults: 2,000 knowledge base articles and 104 weeks of tickets (about two years of weekly
reports and their monthly ones); ``--articles`` and ``--weeks`` make a quick run. The
target on a 2-core machine is 60 seconds for the default size.

    .venv/bin/python bench/site.py
    .venv/bin/python bench/site.py --articles 200 --weeks 8
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracker.config import Config, load_config, preset_path
from tracker.publish import publish, run_mkdocs
from tracker.views import Command, TicketView

SUBJECTS = ["打印机", "无线网络", "登录页面", "支付接口", "邮件服务", "移动客户端", "会员积分", "短信验证码",
            "报表导出", "视频会议", "文件共享", "门禁系统"]  # fmt: skip
SYMPTOMS = ["无法连接", "频繁卡顿", "提示超时", "显示乱码", "反复掉线", "加载缓慢", "数据不同步", "无法打开"]
CAUSES = ["配置文件在升级后被覆盖", "证书过期导致握手失败", "缓存服务内存不足", "上游接口限流",
          "数据库连接池耗尽", "驱动版本与系统不兼容", "网络设备固件缺陷", "定时任务重复执行"]  # fmt: skip
FIXES = ["恢复正确配置并加入变更检查", "更新证书并设置到期提醒", "扩容缓存并清理过期数据",
         "与上游协商提高限额", "调整连接池参数并修复泄漏", "回退驱动到稳定版本",
         "升级设备固件", "为定时任务加锁"]  # fmt: skip


def _sentence(rng: random.Random, parts: list[str], n: int) -> str:
    return "，".join(rng.choice(parts) for _ in range(n)) + "。"


def synthetic_views(cfg: Config, articles: int, weeks: int, seed: int = 7) -> list[TicketView]:
    """``articles`` resolved tickets marked for the KB spread over ``weeks`` weeks, a few
    incidents, and some open tickets; deterministic for a seed."""
    rng = random.Random(seed)
    end = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    start = end - timedelta(weeks=weeks)
    span = (end - start).total_seconds()
    categories = [c.id for c in cfg.categories] or [None]
    grades = [g.id for g in cfg.grades]
    views: list[TicketView] = []
    total = articles + articles // 10 + 12
    for n in range(1, total + 1):
        opened = start + timedelta(seconds=rng.uniform(0, span - 86400))
        subject, symptom = rng.choice(SUBJECTS), rng.choice(SYMPTOMS)
        is_article = n <= articles
        is_incident = not is_article and n % 9 == 0
        resolved = opened + timedelta(hours=rng.uniform(0.5, 48)) if n <= articles + articles // 20 else None
        texts = {
            "root-cause": f"{subject}{symptom}的原因是{rng.choice(CAUSES)}。" + _sentence(rng, CAUSES, 2),
            "resolve": f"{rng.choice(FIXES)}，{subject}恢复正常。" + _sentence(rng, FIXES, 2),
            "plan": f"临时可以重启{subject}或改用备用入口。",
        }
        if is_incident:
            texts["wording"] = f"{subject}出现{symptom}，我们正在处理，请稍后再试。"
        at = opened + timedelta(minutes=30)
        commands = tuple(
            Command(name=k, args="", author="online-agent-1", at=at, comment_id=n * 10 + i, text=v)
            for i, (k, v) in enumerate(sorted(texts.items()))
        )
        grade = grades[-1] if not is_incident else rng.choice(grades[:2])
        views.append(
            TicketView(
                number=n,
                title=f"{subject}{symptom}",
                author=f"user{n % 97}",
                form="problem",
                type="problem",
                category=rng.choice(categories),
                facts={"description": f"从昨天开始{subject}{symptom}，影响日常工作。联系 1391234{n % 10000:04d}"},
                missing=(),
                invalid=(),
                opened_at=opened,
                grade=grade,
                first_grade=grade,
                final_grade=grade if resolved else None,
                grade_history=(),
                state="closed" if resolved else "open",
                resolved_at=resolved,
                closed_at=resolved,
                confirmed_at=None,
                first_response_at=opened + timedelta(minutes=10),
                rating=None,
                rated_at=None,
                paused=False,
                clocks=(),
                commands=commands,
                incident_key=f"i{n}" if is_incident else None,
                is_incident=is_incident,
                members=(),
                wording=texts.get("wording"),
                kb=is_article,
                texts=texts,
                labels=(subject,),
                assignees=(),
            )
        )
    return views


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, child) / 1024, 1)


def run(articles: int, weeks: int) -> dict[str, object]:
    cfg = load_config(preset_path("online"))
    views = synthetic_views(cfg, articles, weeks)
    now = max(v.opened_at for v in views) + timedelta(days=1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        result = publish(views, cfg, root / "docs", now)
        t1 = time.perf_counter()
        run_mkdocs(root / "mkdocs.yml", root / "site")
        t2 = time.perf_counter()
        index = root / "site" / "search" / "search_index.json"
        pages = sum(1 for _ in (root / "site").rglob("*.html"))
        return {
            "bench": "site",
            "articles": result.articles,
            "reports": result.reports,
            "pages": pages,
            "seconds": round(t2 - t0, 2),
            "publish_seconds": round(t1 - t0, 2),
            "build_seconds": round(t2 - t1, 2),
            "search_index_kb": round(index.stat().st_size / 1024, 1),
            "peak_mb": _peak_mb(),
            "notes": list(result.notes),
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000, help="KB articles (default 2000)")
    parser.add_argument("--weeks", type=int, default=104, help="weeks of tickets (default 104)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.articles, args.weeks), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
