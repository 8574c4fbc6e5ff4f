"""Helpers for the GitHub tests: a desk (policy file + ledger) wired to a FakeGitHub.

Every run goes through the real ``tracker`` entry point, ``tracker.cli.main``, in-process;
PyGithub talks HTTP to the fake. This module holds no tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakegithub import FakeGitHub, webhook_example
from fakegithub.fixtures import DESK_CONFIG

from tracker.cli import main
from tracker.config import Config, load_config
from tracker.intake import render_body
from tracker.protocol import marker_key, parts_of

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
BOT = "github-actions[bot]"
GITHUB_ENV = (
    "GITHUB_REPOSITORY",
    "GITHUB_TOKEN",
    "GITHUB_API_URL",
    "GITHUB_EVENT_NAME",
    "GITHUB_EVENT_PATH",
    "GITHUB_RUN_ID",
    "TRACKER_DB",
    "TRACKER_WAKE_TOKEN",
    "TRACKER_WAKE_SLOTS",
)

CONFIG = DESK_CONFIG


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.out.strip().splitlines()[-1])


class Desk:
    """One repository on the fake, one policy file and one ledger in ``tmp_path``."""

    def __init__(self, srv: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
        self.srv = srv
        self.tmp = tmp_path
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.capsys = capsys
        self.db = tmp_path / "ledger" / "ledger.db"
        self.config = tmp_path / "tracker.yml"
        self.config.write_text(CONFIG, encoding="utf-8")
        self.cfg: Config = load_config(self.config)
        self.now = T0

    def body(self, severity: str = "high", summary: str = "Login fails") -> str:
        return render_body(self.cfg, "fault", {"summary": summary, "severity": severity})

    def ticket(self, severity: str = "high", **options: Any) -> int:
        options.setdefault("title", f"{severity} ticket")
        options.setdefault("user", "dave")
        options.setdefault("author_association", "NONE")
        options.setdefault("created_at", self.now)
        issue = self.srv.add_issue(body=self.body(severity), **options)
        return int(issue["number"])

    def at(self, when: datetime) -> None:
        self.now = when
        self.srv.set_now(when)

    def later(self, delta: timedelta) -> None:
        self.at(self.now + delta)

    def connection(self) -> list[str]:
        return [
            "--repo", "acme/desk", "--token", self.srv.token, "--api-url", self.srv.base_url,
            "--db", str(self.db), "--config", str(self.config),
        ]  # fmt: skip

    def tracker(self, *argv: str) -> Result:
        self.capsys.readouterr()
        try:
            main(list(argv))
        except SystemExit as done:
            code = int(done.code or 0)
        else:  # pragma: no cover - main always exits
            code = 0
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def run(self, *extra: str, fast: bool = True) -> Result:
        tuning = ["--write-interval", "0", "--backoff", "0.01", "--retry-budget", "1"]
        return self.tracker(
            "run", *self.connection(), "--now", self.now.isoformat(), "--json",
            *(tuning if fast else []), *extra,
        )  # fmt: skip

    def sync(self, *extra: str) -> Result:
        return self.tracker("sync", *self.connection(), "--json", *extra)

    # -- what GitHub holds now

    def state(self) -> dict[int, dict[str, Any]]:
        """Labels, assignees, state and the bot's marked comments of every issue."""
        out: dict[int, dict[str, Any]] = {}
        for number, issue in self.srv.issues.items():
            keys = sorted(  # a comment saying several things lists each
                part
                for c in self.srv.comments.values()
                if c["issue_url"].endswith(f"/issues/{number}") and c["user"]["login"] == BOT
                for part in parts_of(marker_key(c["body"]) or "?")
            )
            out[number] = {
                "labels": sorted(lb["name"] for lb in issue["labels"]),
                "assignees": sorted(u["login"] for u in issue["assignees"]),
                "state": issue["state"],
                "bot_comments": keys,
            }
        return out


def event_payload(d: Desk, event: str, action: str, number: int, **comment: Any) -> Path:
    """A real webhook example, pointed at ``number`` on the fake repository, written to a file."""
    payload = webhook_example(event, action)
    issue = d.srv.issues[number]
    payload["issue"].update(
        number=number, title=issue["title"], body=issue["body"], user=issue["user"],
        created_at=issue["created_at"], updated_at=issue["updated_at"], labels=issue["labels"],
        author_association=issue["author_association"], state=issue["state"],
    )  # fmt: skip
    payload["issue"].pop("pull_request", None)
    if comment:
        payload["comment"].update(comment)
    path = d.tmp / f"{event}.{action}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def open_desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """The body of each test file's ``desk`` fixture: a started fake and a clean environment."""
    for name in GITHUB_ENV:
        monkeypatch.delenv(name, raising=False)
    with FakeGitHub() as fake:
        fake.set_now(T0)
        yield Desk(fake, tmp_path, capsys)
        assert fake.server_errors == []


def says(comment: dict[str, Any], key: str) -> bool:
    """Whether a comment (as the fake holds it) is the grader's saying ``key``, alone or
    with other things."""
    return key in parts_of(marker_key(str(comment["body"])) or "")
