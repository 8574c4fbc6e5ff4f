"""The generated grader workflow driven as GitHub would drive it, on the fake GitHub.

An empty repository gets a desk from ``tracker init``; then issue events, schedule ticks and
the timer's dispatches start the jobs the generated ``grader.yml`` says they start, and each
job runs the commands the grader action runs for it (``tracker run`` with the event in the
environment and ``GITHUB_OUTPUT``; ``tracker wake --at`` for the timer, then a
``workflow_dispatch`` run). Which job starts is read from the workflow file itself: its
triggers, the grading job's ``if:`` and the timer's ``needs`` outputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakegithub import webhook_example
from github_desk import T0, Desk, open_desk

SHA = "0123456789abcdef0123456789abcdef01234567"
REF = f"acme/desk-grader@{SHA}"
DISPATCH_S = 40  # a workflow_dispatch run starts 20-60 s after it is sent
STARTUP_S = 34  # the job's start-up before the grader reads GitHub


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path, capsys, monkeypatch)


class Actions:
    """GitHub Actions for one repository: which jobs an event starts, and what they run."""

    def __init__(self, desk: Desk, monkeypatch: pytest.MonkeyPatch, minutes: int, wake_token: str = ""):
        self.desk = desk
        self.monkeypatch = monkeypatch
        self.secrets = {"TRACKER_WAKE_TOKEN": wake_token}
        policy = desk.config.read_text(encoding="utf-8")
        desk.config.write_text(policy + f"github:\n  action: {REF}\n  minutes_per_month: {minutes}\n", encoding="utf-8")
        folder = desk.tmp / ".github" / "workflows"
        done = desk.tracker("workflows", "--config", str(desk.config), "--dir", str(folder))
        assert done.code == 0, done.err
        data = yaml.safe_load((folder / "grader.yml").read_text(encoding="utf-8"))
        data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as True
        self.workflow = data
        self.runs: list[str] = []  # what started, in order: "grade:<event>", "timer"
        self.dispatched = 0

    # -- which jobs start

    def variable(self) -> str:
        """The repository variable TRACKER_WAKE as GitHub holds it (empty when never written)."""
        return str(self.desk.srv.variables.get("TRACKER_WAKE", {}).get("value", ""))

    def lines(self) -> list[str]:
        return [entry["cron"] for entry in self.workflow["on"].get("schedule", [])]

    def starts(self, event: str, payload: dict[str, Any]) -> bool:
        """Whether ``event`` starts the grading job: a trigger of the workflow, a listed type,
        and the job's ``if:`` (comments on pull requests and by bots are skipped; a wake slot's
        tick, a line ending in ``* * *``, runs only when the variable TRACKER_WAKE names it)."""
        on = self.workflow["on"]
        if event not in on:
            return False
        spec = on[event]
        types = spec.get("types") if isinstance(spec, dict) else None  # schedule: a list of cron lines
        if types is not None and payload.get("action") not in types:
            return False
        condition = self.workflow["jobs"]["grade"].get("if", "")
        if event == "issue_comment" and "github.event.issue.pull_request" in condition:
            return not payload["issue"].get("pull_request") and payload["comment"]["user"]["type"] != "Bot"
        if event == "schedule":
            line = payload["schedule"]
            assert line in self.lines()
            if line.endswith(" * * *"):
                assert "contains(vars.TRACKER_WAKE, format('[{0}]', github.event.schedule))" in condition
                return f"[{line}]" in self.variable()
        return True

    # -- the jobs

    def grade(self, event: str, payload: dict[str, Any] | None = None) -> dict[str, str]:
        """The grading job: the action's ``tracker run``, with the event and GITHUB_OUTPUT."""
        out = self.desk.tmp / f"output-{len(self.runs)}"
        out.write_text("", encoding="utf-8")
        self.monkeypatch.setenv("GITHUB_OUTPUT", str(out))
        extra = ["--event-name", event]
        step = next(s for s in self.workflow["jobs"]["grade"]["steps"] if s.get("id") == "grade")
        given = step.get("with") or {}
        if "wake-token" in given:  # what the action passes on: the secret and the variable as found
            assert given["wake-token"] == "${{ secrets.TRACKER_WAKE_TOKEN }}"
            assert given["wake-slots"] == "${{ vars.TRACKER_WAKE }}"
            extra += ["--wake-token", self.secrets["TRACKER_WAKE_TOKEN"], "--wake-slots", self.variable()]
        if payload is not None and event != "schedule":
            path = self.desk.tmp / f"event-{len(self.runs)}.json"
            path.write_text(json.dumps(payload), encoding="utf-8")
            extra += ["--event-path", str(path)]
        self.runs.append(f"grade:{event}")
        done = self.desk.run(*extra)
        assert done.code == 0, done.err
        outputs = dict(line.split("=", 1) for line in out.read_text(encoding="utf-8").splitlines())
        assert set(outputs) >= {"wake_at", "wake_in", "timer"}
        return outputs

    def after_grading(self, outputs: dict[str, str]) -> None:
        """The timer job, when the grading job's outputs start it: sleep, then dispatch the grader."""
        timer = self.workflow["jobs"]["timer"]
        assert timer["if"] == "${{ needs.grade.outputs.timer == 'true' }}"
        if outputs["timer"] != "true":
            return
        self.runs.append("timer")
        step = next(s for s in timer["steps"] if s.get("with", {}).get("command") == "wake")
        assert step["with"]["wake-at"] == "${{ needs.grade.outputs.wake_at }}"
        slept = self.desk.tracker("wake", "--at", outputs["wake_at"], "--config", str(self.desk.config),
                                  "--now", self.desk.now.isoformat())  # fmt: skip
        assert slept.code == 0, slept.err
        self.desk.later(timedelta(seconds=STARTUP_S + int(slept.out.strip())))
        assert timer["steps"][-1]["run"] == "gh workflow run grader.yml"
        self.dispatched += 1
        self.desk.later(timedelta(seconds=DISPATCH_S + STARTUP_S))
        self.run("workflow_dispatch")

    def run(self, event: str, payload: dict[str, Any] | None = None) -> bool:
        """One event as GitHub delivers it: the grading job when it starts, then the timer. A
        schedule tick without a payload is the schedule's first line's."""
        if event == "schedule" and payload is None:
            payload = {"schedule": self.lines()[0]}
        if not self.starts(event, payload or {}):
            return False
        self.after_grading(self.grade(event, payload))
        return True


def _payload(desk: Desk, event: str, action: str, number: int, **comment: Any) -> dict[str, Any]:
    payload = webhook_example(event, action)
    issue = desk.srv.issues[number]
    payload["issue"].update(
        number=number, title=issue["title"], body=issue["body"], user=issue["user"], state=issue["state"],
        created_at=issue["created_at"], updated_at=issue["updated_at"], labels=issue["labels"],
        author_association=issue["author_association"],
    )  # fmt: skip
    payload["issue"].pop("pull_request", None)
    if comment:
        payload["comment"].update(comment)
    return payload


def _escalated_at(desk: Desk, number: int) -> list[datetime]:
    return [
        datetime.fromisoformat(c["created_at"].replace("Z", "+00:00"))
        for c in desk.srv.comments.values()
        if c["issue_url"].endswith(f"/issues/{number}") and "@" in c["body"] and c["user"]["login"] == "github-actions[bot]"
    ]


def test_an_opening_a_tick_and_the_timer_deliver_the_escalation_on_time(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    gh = Actions(desk, monkeypatch, minutes=0)
    number = desk.ticket("high", title="Login fails for everyone")
    desk.later(timedelta(seconds=DISPATCH_S + STARTUP_S))
    assert gh.run("issues", _payload(desk, "issues", "opened", number))
    assert "grade:major" in desk.srv.label_names(number)
    assert gh.runs == ["grade:issues"], "the first clock is an hour away: beyond the timer's horizon"
    due = T0 + timedelta(hours=1)
    desk.at(T0 + timedelta(minutes=40))  # a schedule tick, late as GitHub's are
    assert gh.run("schedule")
    assert gh.runs[1:3] == ["grade:schedule", "timer"] and gh.dispatched >= 1
    escalations = _escalated_at(desk, number)
    assert escalations, "the dispatched run posted the escalation"
    assert min(escalations) >= due and min(escalations) - due <= timedelta(minutes=2)


def test_a_comment_on_a_pull_request_or_by_a_bot_starts_no_job(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    gh = Actions(desk, monkeypatch, minutes=0)
    number = desk.ticket("high")
    bot = _payload(desk, "issue_comment", "created", number, body="/ack", user={"login": "ci[bot]", "type": "Bot"})
    assert not gh.run("issue_comment", bot)
    pull = _payload(desk, "issue_comment", "created", number, body="/ack")
    pull["issue"]["pull_request"] = {"url": "https://api.github.com/repos/acme/desk/pulls/1"}
    assert not gh.run("issue_comment", pull)
    assert gh.runs == [] and desk.srv.requests == []


def test_where_minutes_are_billed_only_openings_start_the_grading_job(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    gh = Actions(desk, monkeypatch, minutes=2000)
    number = desk.ticket("high")
    reply = desk.srv.add_comment(number, body="Looking at it now.", user="alice")
    comment = _payload(desk, "issue_comment", "created", number, id=reply["id"], body=reply["body"],
                       user=reply["user"], author_association="MEMBER")  # fmt: skip
    assert not gh.run("issue_comment", comment)
    assert not gh.run("issues", _payload(desk, "issues", "labeled", number))
    assert gh.run("issues", _payload(desk, "issues", "opened", number))
    desk.later(timedelta(minutes=20))
    assert gh.run("schedule")  # the comment is read by the next scheduled run: the clock stopped
    desk.at(T0 + timedelta(hours=5))
    assert gh.run("schedule")
    assert [r for r in gh.runs if r.startswith("grade:")] == ["grade:issues", "grade:schedule", "grade:schedule"]
    assert "sla:breach" not in desk.srv.label_names(number)
    assert _escalated_at(desk, number) == []


def test_where_minutes_are_billed_the_named_wake_slot_delivers_and_the_others_are_skipped(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = desk.config.read_text(encoding="utf-8").replace("within: {major: 1h,", "within: {major: 20m,")
    desk.config.write_text(text, encoding="utf-8")
    gh = Actions(desk, monkeypatch, minutes=400, wake_token=desk.srv.variables_token)
    assert "22 9 * * *" in gh.lines() and "7 9 * * *" in gh.lines()  # 400 minutes: sparse runs, slots
    number = desk.ticket("high", title="Login fails for everyone")
    desk.later(timedelta(seconds=DISPATCH_S + STARTUP_S))
    assert gh.run("issues", _payload(desk, "issues", "opened", number))
    # the clock falls due at 09:20: the opening named four slots from 09:17
    assert gh.variable() == "[17 9 * * *][22 9 * * *][27 9 * * *][32 9 * * *]"
    desk.at(T0 + timedelta(minutes=12))
    assert not gh.run("schedule", {"schedule": "7 9 * * *"})  # a slot nobody named: skipped, free
    desk.at(T0 + timedelta(minutes=26))  # the 09:22 tick, four minutes late
    assert gh.run("schedule", {"schedule": "22 9 * * *"})
    escalations = _escalated_at(desk, number)
    assert escalations and timedelta(0) <= min(escalations) - (T0 + timedelta(minutes=20)) <= timedelta(minutes=7)
    # the run named the next moment's slots (the ladder's second step, an hour on): the others are skipped
    assert gh.variable().startswith("[17 10 * * *]") and "[27 9 * * *]" not in gh.variable()
    desk.at(T0 + timedelta(minutes=33))
    assert not gh.run("schedule", {"schedule": "27 9 * * *"})
    assert [r for r in gh.runs if r.startswith("grade:")] == ["grade:issues", "grade:schedule"]


def test_without_the_wake_token_no_slot_ever_runs(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    text = desk.config.read_text(encoding="utf-8").replace("within: {major: 1h,", "within: {major: 20m,")
    desk.config.write_text(text, encoding="utf-8")
    gh = Actions(desk, monkeypatch, minutes=400)
    number = desk.ticket("high", title="Login fails for everyone")
    assert gh.run("issues", _payload(desk, "issues", "opened", number))
    assert gh.variable() == "" and desk.srv.variables == {}
    desk.at(T0 + timedelta(minutes=26))
    assert not gh.run("schedule", {"schedule": "22 9 * * *"})
