"""Benchmark: grade N open tickets with realistic histories. Prints one JSON object per line.

    python bench/grade.py                 # 100,000 tickets, the online preset
    python bench/grade.py --tickets 2000  # a quick run

Each ticket has a form body, 4-8 comments (staff replies and commands, a customer note, the
grader's own status comment) and label/assign events, spread over the last 30 days. The
figures are the pure grader's: building the plan from tickets already in memory.

- ``grade_cold``: a first run over tickets nobody graded before (everything to write).
- ``grade_full``: every ticket graded in full, after the cold plan was applied.
- ``grade``: the next scheduled run 15 minutes later, as the grader really runs it: a fresh
  process over the SQLite ledger that reads only the tickets its memory cannot vouch for
  (new activity, a clock moment due, incidents) and grades those in full; its seconds and
  peak memory are that process's own, loading included.
- ``load_all``: reading every open ticket back from the ledger, for comparison.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from tracker.config import load_config, preset_path
from tracker.engine import Context, grade
from tracker.gcpause import paused_gc
from tracker.intake import render_body
from tracker.labels import grade_label, type_label
from tracker.model import Comment, Event, Ticket
from tracker.protocol import fill_incident_number, incident_link_key, marker, with_marker


def peak_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process image, whereas
    ru_maxrss is carried over from the parent across fork and exec on Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_tickets(n: int, preset: str, now: datetime, seed: int = 7) -> list[Ticket]:
    cfg = load_config(preset_path(preset))
    rng = random.Random(seed)
    form = cfg.forms[0]
    staff = [m for r in cfg.roles.values() for m in r.users]
    bodies = []
    for _ in range(64):  # a pool of distinct bodies, as real desks repeat themselves
        answers = {}
        for fid in form.fields:
            fld = cfg.fields[fid]
            if fld.kind == "dropdown":
                answers[fid] = rng.choice(fld.options).id
            elif fld.kind == "number":
                answers[fid] = rng.randint(1, 30)
            elif fld.kind == "ratio":
                answers[fid] = f"{rng.choice([0.1, 0.5, 2])}%"
            elif fld.kind == "checkboxes":
                answers[fid] = rng.random() < 0.1
            elif fld.kind == "datetime":
                answers[fid] = "2026-11-20 10:00"
            else:
                answers[fid] = "客户反映问题，详见描述。" * rng.randint(1, 4)
        bodies.append(render_body(cfg, form.id, answers))
    commands = ["/ack", "/plan 已有临时方案", "/update 进展同步", "/root-cause 已定位", "/circle"]
    tickets = []
    cid = eid = 1
    for number in range(1, n + 1):
        opened = now - timedelta(minutes=rng.randint(5, 30 * 24 * 60))
        comments, events = [], []
        t = opened
        events.append(Event(eid, staff[0], "labeled", t, label=type_label(cfg, form.type)))
        eid += 1
        for k in range(rng.randint(3, 7)):
            t = t + timedelta(minutes=rng.randint(1, 180))
            if t >= now:
                break
            who = rng.choice(staff)
            if k == 0:
                body = "客户补充：今天上午开始出现。"
                comments.append(Comment(cid, "customer-x", body, t, "NONE"))
            else:
                comments.append(Comment(cid, who, rng.choice(commands), t, "MEMBER"))
            cid += 1
        comments.append(Comment(cid, cfg.bot.login, marker("status") + "\n<!-- sig:0 -->\nstatus",
                                opened, "NONE", is_bot=True))  # fmt: skip
        cid += 1
        events.append(Event(eid, cfg.bot.login, "labeled", opened,
                            label=grade_label(cfg, cfg.grading.default), is_bot=True))  # fmt: skip
        eid += 1
        tickets.append(Ticket(
            number, f"问题 {number}", rng.choice(bodies), staff[number % len(staff)], opened,
            t, "open", None, (type_label(cfg, form.type), grade_label(cfg, cfg.grading.default)),
            (), tuple(comments), tuple(events), "MEMBER",
        ))  # fmt: skip
    return tickets


def apply_in_memory(tickets: list[Ticket], plan, now: datetime, bot: str) -> list[Ticket]:
    """The plan applied the way a hub would, so the next pass sees a desk in steady state."""
    from dataclasses import replace

    from tracker.model import EditComment, OpenIncident, PostComment, SetAssignees, SetLabels

    by_number = {t.number: t for t in tickets}
    extra: dict[int, list] = {}
    next_id = 10**9
    for action in plan.actions:
        if isinstance(action, OpenIncident):
            number = max(by_number) + 1
            by_number[number] = Ticket(number, action.title, action.body, bot, now, now, "open", None,
                                       action.labels, (), (), (), "NONE", True)  # fmt: skip
            for m in action.members:
                next_id += 1
                link = with_marker(incident_link_key(action.key), fill_incident_number(action.link, number))
                extra.setdefault(m, []).append(Comment(next_id, bot, link, now, "NONE", is_bot=True))
            continue
        n = getattr(action, "number", None)
        t = by_number.get(n)
        if t is None:
            continue
        if isinstance(action, SetLabels):
            labels = [lb for lb in t.labels if lb not in action.remove] + list(action.add)
            by_number[n] = replace(t, labels=tuple(labels))
        elif isinstance(action, SetAssignees):
            by_number[n] = replace(t, assignees=t.assignees + action.add)
        elif isinstance(action, PostComment):
            next_id += 1
            body = marker(action.key) + "\n" + action.body
            extra.setdefault(n, []).append(Comment(next_id, bot, body, now, "NONE", is_bot=True))
        elif isinstance(action, EditComment):
            body = action.body
            comments = tuple(replace(c, body=body) if c.id == action.comment_id else c for c in t.comments)
            by_number[n] = replace(t, comments=comments)
    return [replace(t, comments=t.comments + tuple(extra.get(t.number, ()))) for t in by_number.values()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--preset", default="online")
    parser.add_argument("--no-load", action="store_true", help="skip the store round trip")
    parser.add_argument("--scheduled", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scheduled:
        scheduled(args.scheduled, args.preset, args.now)
        return
    cfg = load_config(preset_path(args.preset))
    now = datetime(2026, 11, 24, 15, 0, tzinfo=cfg.tz)
    tickets = make_tickets(args.tickets, args.preset, now)
    gc.collect()
    ctx = Context(cfg)
    start = time.perf_counter()
    with paused_gc():
        plan = grade(tickets, cfg, now, ctx=ctx)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "bench": "grade_cold", "preset": args.preset, "tickets": len(tickets),
        "actions": len(plan), "seconds": round(seconds, 3),
        "tickets_per_s": round(len(tickets) / seconds), "peak_mb": round(peak_mb(), 1),
    }), flush=True)  # fmt: skip
    # The cold plan applied: every ticket is now in the state the grader wanted.
    tickets = apply_in_memory(tickets, plan, now, cfg.bot.login)
    del plan
    gc.collect()
    # Converge as the grader does (a new incident gets its own labels and status next pass);
    # the last pass grades every ticket in full and leaves the memory for the next run.
    for _ in range(3):
        start = time.perf_counter()
        with paused_gc():
            plan = grade(tickets, cfg, now, ctx=ctx, memo={})
        seconds = time.perf_counter() - start
        if not plan:
            break
        tickets = apply_in_memory(tickets, plan, now, cfg.bot.login)
    memo = dict(plan.memo)
    print(json.dumps({
        "bench": "grade_full", "preset": args.preset, "tickets": len(tickets),
        "actions": len(plan), "seconds": round(seconds, 3),
        "tickets_per_s": round(len(tickets) / seconds), "peak_mb": round(peak_mb(), 1),
    }), flush=True)  # fmt: skip
    if args.no_load:
        return
    # The next scheduled run, 15 minutes later, as the real grader does it: in a fresh
    # process, against the SQLite ledger, reading only what its memory cannot vouch for.
    from tracker.ledger import Ledger
    from tracker.memory import save_memory

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        with Ledger(db) as store:
            store.upsert_many(tickets=tickets, comments=[(t.number, c) for t in tickets for c in t.comments],
                              events=[(t.number, e) for t in tickets for e in t.events])  # fmt: skip
            store.set_meta("grader_policy", ctx.digest)
            save_memory(store, plan, tickets)
        del tickets, plan, memo
        later = now + timedelta(minutes=15)
        out = subprocess.run(
            [sys.executable, __file__, "--scheduled", str(db), "--preset", args.preset, "--now", later.isoformat()],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        print(out.stdout.strip(), flush=True)
        start = time.perf_counter()
        with Ledger(db) as store:
            loaded = store.tickets(state="open")
        load_s = time.perf_counter() - start
        print(json.dumps({
            "bench": "load_all", "preset": args.preset, "tickets": len(loaded), "seconds": round(load_s, 3),
            "tickets_per_s": round(len(loaded) / load_s), "peak_mb": round(peak_mb(), 1),
        }), flush=True)  # fmt: skip


def scheduled(db: str, preset: str, now_text: str) -> None:
    """One scheduled run over the ledger: select restless tickets, load them, grade."""
    from tracker.desk import gradable
    from tracker.ledger import Ledger
    from tracker.memory import load_memory

    cfg = load_config(preset_path(preset))
    now = datetime.fromisoformat(now_text)
    ctx = Context(cfg)
    start = time.perf_counter()
    with Ledger(db) as store:
        memo = load_memory(store, ctx)
        tickets = gradable(store, now, restless_for=ctx)
        loaded = time.perf_counter()
        with paused_gc():
            plan = grade(tickets, cfg, now, ctx=ctx, memo=memo)
        open_count = store.count(state="open")
    seconds = time.perf_counter() - start
    print(json.dumps({
        "bench": "grade", "preset": preset, "tickets": open_count, "read": len(tickets),
        "graded_in_full": len(plan.memo), "actions": len(plan), "seconds": round(seconds, 3),
        "load_seconds": round(loaded - start, 3), "tickets_per_s": round(open_count / seconds),
        "peak_mb": round(peak_mb(), 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
