"""Benchmark: what-if of a shorter clock over N open tickets. Prints one JSON object per line.

    python bench/whatif.py                       # 5,000 and 100,000 tickets, the online preset
    python bench/whatif.py --tickets 500         # a quick run

Tickets with histories come from ``bench/grade.py``; each size runs in a fresh process so
its peak memory is its own. The figure is :func:`tracker.whatif.compare` (both policies
assessed over every ticket, the differences collected), tickets already in memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from grade import make_tickets, peak_mb

from tracker.config import load_config, parse_config, preset_path
from tracker.gcpause import paused_gc
from tracker.whatif import compare


def one(n: int, preset: str) -> None:
    cfg = load_config(preset_path(preset))
    data = yaml.safe_load(preset_path(preset).read_text(encoding="utf-8"))
    data["clocks"][0]["within"] = "5m"  # a shorter first clock
    proposed = parse_config(data, "proposed.yml")
    now = datetime(2026, 11, 24, 15, 0, tzinfo=cfg.tz)
    tickets = make_tickets(n, preset, now)
    start = time.perf_counter()
    with paused_gc():
        w = compare(tickets, cfg, proposed, now)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "bench": "whatif", "preset": preset, "tickets": n, "changed": w.totals.changed,
        "seconds": round(seconds, 3), "peak_mb": round(peak_mb(), 1),
    }), flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", default="5000,100000", help="comma-separated sizes")
    parser.add_argument("--preset", default="online")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one, args.preset)
        return
    for n in (int(x) for x in args.tickets.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--preset", args.preset],
                             check=True, capture_output=True, text=True)  # fmt: skip
        print(out.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
