"""How many GitHub API requests the grader spends, against a per-ticket reader.

Seeds a local fake of GitHub's REST API (``fakegithub``, installed from ``tests/fakegithub``) with N tickets, each with
10 comments and 10 events, then drives the real ``tracker`` CLI through each scenario and
prints one JSON object per line::

    {"bench": "api_budget", "scenario": "first_sync", "tickets": 5000, "requests": ...,
     "reads": ..., "writes": ..., "naive_requests": ..., "target": ..., "ok": true, ...}

Scenarios (targets from the design: a workflow token has about 1,000 requests an hour):

* ``first_sync``    an empty ledger reads everything: at most 1.1 x items / 100 requests.
* ``first_run``     the first grading run applies the desk's labels, owners and status
                    comments (reported for its writes; no target).
* ``catch_up``      the run after it reads back what the first run wrote (no target).
* ``nothing_changed`` a scheduled run right after: at most 3 requests and 0 writes.
* ``new_comments``  a scheduled run after 50 new comments: at most 5 reads, plus only the
                    writes those comments call for.
* ``event_new_ticket`` event mode for one new ticket: at most 5 reads.

``naive_requests`` is the same work done by a per-ticket reader (the issue, its comments and
its events, one ticket at a time, for every ticket the scenario grades, plus the issue list
it needs to know the numbers), measured on the same server in the same run.

Usage: ``python bench/api_budget.py [--tickets N]`` (CI runs it with a small N).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fakegithub import FakeGitHub
from fakegithub.fixtures import DESK_CONFIG

from tracker.cli import main
from tracker.config import load_config
from tracker.github_hub import GitHubHub
from tracker.intake import render_body

BENCH = "api_budget"
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
CONFIG = DESK_CONFIG


class Desk:
    """The fake repository, the policy file, the ledger and the ``tracker`` command."""

    def __init__(self, srv: FakeGitHub, workdir: Path) -> None:
        self.srv = srv
        self.workdir = workdir
        self.config = workdir / "tracker.yml"
        self.config.write_text(CONFIG, encoding="utf-8")
        self.cfg = load_config(self.config)
        self.db = workdir / "ledger.db"
        self.bodies = {
            sev: render_body(self.cfg, "fault", {"summary": "It broke", "severity": sev}) for sev in ("high", "low")
        }

    def seed(self, tickets: int, comments: int, events: int) -> None:
        srv = self.srv
        for i in range(tickets):
            opened = T0 + timedelta(minutes=i)
            number = srv.add_issue(
                title=f"Ticket {i}", body=self.bodies["high" if i % 5 == 0 else "low"],
                user=f"customer{i % 97}", author_association="NONE", created_at=opened,
            )["number"]  # fmt: skip
            for j in range(comments):
                staff = j % 2 == 0
                srv.add_comment(
                    number, body=f"reply {j}", user="alice" if staff else f"customer{i % 97}",
                    author_association="MEMBER" if staff else "NONE",
                    created_at=opened + timedelta(minutes=5 + 7 * j),
                )  # fmt: skip
            for j in range(events):
                srv.add_event(
                    number, event="labeled" if j % 2 == 0 else "unlabeled", actor="carol",
                    label="topic:billing", created_at=opened + timedelta(minutes=3 + 7 * j),
                )  # fmt: skip

    def tracker(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(argv))
            except SystemExit as done:
                code = int(done.code or 0)
            else:
                code = 0
        return code, out.getvalue(), err.getvalue()

    def connection(self) -> list[str]:
        return [
            "--repo", self.srv.full_name, "--token", self.srv.token,
            "--api-url", self.srv.base_url, "--db", str(self.db), "--config", str(self.config),
            "--write-interval", "0", "--min-budget", "0",
        ]  # fmt: skip

    def run(self, now: datetime, *extra: str) -> dict[str, Any]:
        code, out, err = self.tracker("run", *self.connection(), "--now", now.isoformat(),
                                      "--json", *extra)  # fmt: skip
        if code != 0:
            raise SystemExit(f"tracker run failed ({code}): {err}")
        return json.loads(out.strip().splitlines()[-1])

    def sync(self) -> dict[str, Any]:
        code, out, err = self.tracker("sync", *self.connection(), "--json")
        if code != 0:
            raise SystemExit(f"tracker sync failed ({code}): {err}")
        return json.loads(out.strip().splitlines()[-1])

    def naive_read(self, numbers: list[int] | None = None) -> int:
        """Requests a per-ticket reader needs: list the issues, then issue+comments+events each."""
        hub = GitHubHub(self.srv.full_name, self.srv.token, api_url=self.srv.base_url)
        try:
            if numbers is None:
                numbers = [
                    int(i["number"])
                    for page in hub.pages(f"/repos/{self.srv.full_name}/issues", {"state": "all"})
                    for i in page
                    if "pull_request" not in i
                ]
            for number in numbers:
                hub.get_issue(number)
                hub.issue_comments(number)
                hub.issue_events(number)
            return hub.stats.requests
        finally:
            hub.disconnect()


def measure(desk: Desk, scenario: str, tickets: int, action: Any, **extra: Any) -> dict[str, Any]:
    srv = desk.srv
    srv.reset_counts()
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    requests = len(srv.requests)
    reads = sum(1 for r in srv.requests if r.method == "GET")
    return {
        "bench": BENCH,
        "scenario": scenario,
        "tickets": tickets,
        "requests": requests,
        "reads": reads,
        "writes": srv.writes(),
        "seconds": round(seconds, 2),
        "result": result,
        **extra,
    }


def emit(row: dict[str, Any]) -> None:
    row.pop("result", None)
    print(json.dumps(row, sort_keys=True), flush=True)


def bench(tickets: int, comments: int, events: int, new_comments: int) -> list[dict[str, Any]]:
    rows = []
    with FakeGitHub(rate_limit=10_000_000) as srv, tempfile.TemporaryDirectory() as tmp:
        desk = Desk(srv, Path(tmp))
        later = T0 + timedelta(minutes=tickets + 10 * 7 + 60)
        srv.set_now(later)
        desk.seed(tickets, comments, events)
        items = tickets * (1 + comments + events)

        srv.reset_counts()
        naive = desk.naive_read()
        row = measure(desk, "first_sync", tickets, desk.sync, items=items)
        target = math.floor(1.1 * items / 100)
        row.update(naive_requests=naive, target=f"requests <= {target}",
                   ok=row["requests"] <= target)  # fmt: skip
        rows.append(row)

        row = measure(desk, "first_run", tickets, lambda: desk.run(later))
        row.update(naive_requests=naive, target="applies the desk once (no target)", ok=True)
        rows.append(row)

        # The next run reads back what the first run wrote (labels, comments, their events):
        # a one-off after a big first run; in steady state a run writes a handful.
        settled = later + timedelta(minutes=2)
        srv.set_now(settled)
        row = measure(desk, "catch_up", tickets, lambda: desk.run(settled))
        row.update(naive_requests=naive, target="reads back the first run's writes", ok=True,
                   ok_writes=row["writes"] == 0)  # fmt: skip
        rows.append(row)

        srv.reset_counts()
        naive = desk.naive_read()
        row = measure(desk, "nothing_changed", tickets, lambda: desk.run(settled))
        row.update(naive_requests=naive, target="requests <= 3, writes == 0",
                   ok=row["requests"] <= 3 and row["writes"] == 0)  # fmt: skip
        rows.append(row)

        step = settled + timedelta(minutes=5)
        srv.set_now(step)
        # Spread over the desk, on minor tickets: staff regrade half of them, customers
        # write on the other half (which calls for nothing: their clocks already stopped).
        minor = [n for n in range(1, tickets + 1) if (n - 1) % 5 != 0]
        touched = minor[:: max(1, len(minor) // new_comments)][:new_comments]
        for k, number in enumerate(touched):
            staff = k % 2 == 0
            srv.add_comment(
                number, body=f"/grade major\nescalating {k}" if staff else f"any news? {k}",
                user="bob" if staff else "customer1",
                author_association="MEMBER" if staff else "NONE",
            )  # fmt: skip
        srv.reset_counts()
        naive = desk.naive_read()
        row = measure(desk, "new_comments", tickets, lambda: desk.run(step), new_comments=len(touched))
        calls_for = row["result"]["planned"]
        # A label swap is two writes (DELETE the old grade, POST the new): at most two each.
        row.update(naive_requests=naive, planned_actions=calls_for,
                   target="reads <= 5, writes <= 2 per planned action",
                   ok=row["reads"] <= 5 and row["writes"] <= 2 * calls_for)  # fmt: skip
        rows.append(row)

        event_at = step + timedelta(minutes=5)
        srv.set_now(event_at)
        issue = srv.add_issue(title="New ticket", body=desk.bodies["high"], user="newcomer",
                              author_association="NONE", created_at=event_at)  # fmt: skip
        payload = {"action": "opened", "issue": issue, "sender": issue["user"]}
        path = Path(tmp) / "event.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        srv.reset_counts()
        naive = desk.naive_read([issue["number"]])
        row = measure(desk, "event_new_ticket", tickets, lambda: desk.run(
            event_at, "--event-name", "issues", "--event-path", str(path)))  # fmt: skip
        row.update(naive_requests=naive, target="reads <= 5", ok=row["reads"] <= 5)
        rows.append(row)
    return rows


def main_cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=5000, help="tickets to seed (5000)")
    parser.add_argument("--comments", type=int, default=10, help="comments per ticket (10)")
    parser.add_argument("--events", type=int, default=10, help="events per ticket (10)")
    parser.add_argument("--new-comments", type=int, default=50, help="comments added (50)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    rows = bench(args.tickets, args.comments, args.events, args.new_comments)
    for row in rows:
        emit(row)
    missed = [r["scenario"] for r in rows if not r["ok"]]
    if missed and args.check:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main_cli())
