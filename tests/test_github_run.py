"""``tracker run`` against a fake GitHub: grading, idempotence, event mode, faults, crashes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakegithub import FakeGitHub, webhook_example
from github_desk import T0, Desk, Result, open_desk, says
from github_desk import event_payload as _payload

from tracker.ledger import Ledger
from tracker.memory import recall
from tracker.protocol import marker


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path, capsys, monkeypatch)


def _late_desk(d: Desk) -> tuple[int, int]:
    """Two tickets opened at T0, graded three hours later: one major and late, one minor."""
    major = d.ticket("high", title="Login fails for everyone")
    minor = d.ticket("low", title="Typo on the pricing page")
    d.at(T0 + timedelta(hours=3))
    return major, minor


def _reads(srv: FakeGitHub) -> int:
    return sum(1 for r in srv.requests if r.method == "GET")


# --------------------------------------------------------------------------- scheduled runs


def test_a_run_escalates_and_the_next_run_changes_nothing(desk: Desk) -> None:
    major, minor = _late_desk(desk)
    first = desk.run()
    assert first.code == 0, first.err
    summary = first.json
    assert summary["mode"] == "scheduled" and summary["graded"] == 2
    assert summary["writes"] == desk.srv.writes() > 0
    state = desk.state()
    assert {"grade:major", "sla:breach", "type:fault"} <= set(state[major]["labels"])
    assert state[major]["assignees"] == ["carol"]
    assert {"esc:response:0:0", "esc:response:0:1", "status"} <= set(state[major]["bot_comments"])
    assert "sla:breach" not in state[minor]["labels"]

    desk.srv.reset_counts()
    second = desk.run()
    assert second.code == 0, second.err
    assert second.json["planned"] == 0 and second.json["writes"] == 0
    assert desk.srv.writes() == 0
    assert len(desk.srv.requests) <= 3
    assert desk.state() == state


def test_dry_run_prints_the_plan_and_writes_nothing(desk: Desk) -> None:
    major, _ = _late_desk(desk)
    result = desk.tracker(
        "run",
        *desk.connection(),
        "--now",
        desk.now.isoformat(),
        "--dry-run",
        "--write-interval",
        "0",
    )
    assert result.code == 0, result.err
    assert f"#{major} set_labels: would set labels" in result.out
    assert "would post comment [esc:response:0:0+esc:response:0:1+status]" in result.out
    assert "would apply" in result.out
    assert "would create label sla:breach" in result.out
    assert desk.srv.writes() == 0
    assert not [r for r in desk.srv.requests if r.method != "GET"]
    with Ledger(desk.db) as store:
        assert store.runs() == []


def test_a_marker_copied_by_a_person_is_ignored(desk: Desk) -> None:
    major, _ = _late_desk(desk)
    desk.srv.add_comment(
        major, body=f"{marker('esc:response:0:0')}\nI copied this", user="mallory",
        author_association="NONE", created_at=T0 + timedelta(minutes=5),
    )  # fmt: skip
    assert desk.run().code == 0
    bot_keys = desk.state()[major]["bot_comments"]
    assert bot_keys.count("esc:response:0:0") == 1


def test_a_label_a_person_removed_is_not_put_back(desk: Desk) -> None:
    major, _ = _late_desk(desk)
    assert desk.run().code == 0
    assert "sla:breach" in desk.srv.label_names(major)

    desk.later(timedelta(minutes=10))
    issue = desk.srv.issues[major]
    issue["labels"] = [lb for lb in issue["labels"] if lb["name"] != "sla:breach"]
    issue["updated_at"] = desk.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    desk.srv.add_event(major, event="unlabeled", actor="carol", label="sla:breach")
    desk.srv.reset_counts()
    again = desk.run()
    assert again.code == 0, again.err
    assert "sla:breach" not in desk.srv.label_names(major)
    assert desk.srv.count("POST", f"/issues/{major}/labels") == 0
    assert desk.srv.count("PUT", f"/issues/{major}/labels") == 0


def test_labels_sync_creates_the_catalogue_once(desk: Desk) -> None:
    first = desk.tracker("labels", "sync", *desk.connection(), "--write-interval", "0")
    assert first.code == 0, first.err
    assert "created label grade:major" in first.out
    assert desk.srv.labels["grade:major"]["color"] == "b60205"
    desk.srv.reset_counts()
    second = desk.tracker("labels", "sync", *desk.connection())
    assert "0 labels created" in second.out
    assert [r.method for r in desk.srv.requests] == ["GET"]


# --------------------------------------------------------------------------- event mode


def test_issues_opened_grades_that_ticket_within_a_few_reads(desk: Desk) -> None:
    desk.ticket("low", title="an older ticket")
    assert desk.run().code == 0  # the ledger is warm
    desk.later(timedelta(minutes=30))
    number = desk.ticket("high", title="Payments are down", created_at=desk.now)
    path = _payload(desk, "issues", "opened", number)
    desk.srv.reset_counts()
    result = desk.run("--event-name", "issues", "--event-path", str(path))
    assert result.code == 0, result.err
    summary = result.json
    assert summary["mode"] == "event:issues"
    assert _reads(desk.srv) <= 5
    assert {"grade:major", "type:fault"} <= set(desk.srv.label_names(number))
    touched = {int(r.path.split("/")[5]) for r in desk.srv.requests if r.method != "GET" and "/issues/" in r.path}
    assert touched == {number}


def _opened(desk: Desk, title: str) -> Result:
    number = desk.ticket("low", title=title, created_at=desk.now)
    return desk.run("--event-name", "issues", "--event-path", str(_payload(desk, "issues", "opened", number)))


def _written(desk: Desk) -> set[int]:
    return {int(r.path.split("/")[5]) for r in desk.srv.requests if r.method != "GET" and "/issues/" in r.path}


def _quiet_major(desk: Desk) -> int:
    """A major ticket graded, then graded again with nothing to do: remembered, it rests until
    its response clock is at risk (48 minutes into its hour)."""
    major = desk.ticket("high", title="Login fails for everyone")
    assert desk.run().code == 0
    desk.later(timedelta(minutes=5))
    assert desk.run().json["planned"] == 0
    with Ledger(desk.db) as store:
        assert recall(store)[major].wake == (T0 + timedelta(minutes=48)).timestamp()
    desk.later(timedelta(hours=3))
    return major


def test_an_event_run_also_delivers_what_has_fallen_due_elsewhere(desk: Desk) -> None:
    major = _quiet_major(desk)
    first = _opened(desk, "Typo on the pricing page")
    assert first.code == 0, first.err
    assert first.json["graded"] == 2
    assert [d["kind"] for d in first.json["late"]][:1] == ["escalation"]
    state = desk.state()
    assert "sla:breach" in state[major]["labels"] and "esc:response:0:0" in state[major]["bot_comments"]
    # The next event run grades it once more (the escalation changed it) and finds nothing to
    # write; it is remembered again, resting until its next wake time.
    desk.later(timedelta(minutes=1))
    desk.srv.reset_counts()
    second = _opened(desk, "Search is slow")
    assert second.code == 0, second.err
    assert _written(desk) == {max(desk.srv.issues)}
    with Ledger(desk.db) as store:
        assert recall(store)[major].wake > desk.now.timestamp()
    assert desk.state()[major] == state[major]


def test_an_event_run_leaves_what_fell_due_elsewhere_when_the_hours_writes_are_spent(desk: Desk) -> None:
    major = _quiet_major(desk)
    with Ledger(desk.db) as store:
        store.set_meta("writes_last_hour", json.dumps([[desk.now.timestamp(), 10_000]]))
    result = _opened(desk, "Typo on the pricing page")
    assert result.code == 0, result.err
    summary = result.json
    assert summary["graded"] == 2 and summary["deferred"] == 1
    number = max(desk.srv.issues)
    assert "grade:minor" in desk.srv.label_names(number)  # the event's own ticket, whatever the budget
    assert "sla:breach" not in desk.srv.label_names(major)  # left for a later run


def test_issues_opened_on_a_cold_ledger_reads_only_that_ticket(desk: Desk) -> None:
    number = desk.ticket("high")
    path = _payload(desk, "issues", "opened", number)
    result = desk.run("--event-name", "issues", "--event-path", str(path))
    assert result.code == 0, result.err
    reads = [r.path for r in desk.srv.requests if r.method == "GET"]
    assert len(reads) <= 5
    assert f"/repos/acme/desk/issues/{number}/comments" in reads
    assert "/repos/acme/desk/issues" not in reads  # no full sync in event mode
    assert "grade:major" in desk.srv.label_names(number)


def test_a_staff_reply_event_stops_the_response_clock(desk: Desk) -> None:
    number = desk.ticket("high")
    assert desk.run().code == 0
    desk.later(timedelta(minutes=20))
    reply = desk.srv.add_comment(number, body="Looking at it now.", user="alice")
    path = _payload(
        desk, "issue_comment", "created", number, id=reply["id"], body=reply["body"],
        user=reply["user"], author_association="MEMBER", created_at=reply["created_at"],
        updated_at=reply["updated_at"], html_url=reply["html_url"],
    )  # fmt: skip
    desk.srv.reset_counts()
    result = desk.run("--event-name", "issue_comment", "--event-path", str(path))
    assert result.code == 0, result.err
    assert _reads(desk.srv) <= 5
    desk.at(T0 + timedelta(hours=5))
    assert desk.run().code == 0
    assert "sla:breach" not in desk.srv.label_names(number)
    with Ledger(desk.db) as store:
        assert [c.author for c in store.ticket(number).comments if not c.is_bot] == ["alice"]


def test_the_workflow_step_needs_no_options(desk: Desk) -> None:
    """``tracker run`` as the workflow runs it: everything from the Actions environment."""
    tracker = Path(sys.executable).parent / "tracker"
    if not tracker.exists():
        pytest.skip("the tracker console script is not installed: pip install -e .")
    number = desk.ticket("high")
    path = _payload(desk, "issues", "opened", number)
    (desk.tmp / "tracker.yml").write_text(desk.config.read_text(encoding="utf-8"), encoding="utf-8")
    env = {
        **os.environ,
        "GITHUB_REPOSITORY": "acme/desk",
        "GITHUB_TOKEN": desk.srv.token,
        "GITHUB_API_URL": desk.srv.base_url,
        "GITHUB_EVENT_NAME": "issues",
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_RUN_ID": "4242",
        "TRACKER_DB": ".tracker/ledger.db",
    }
    done = subprocess.run(
        [str(tracker), "run", "--write-interval", "0"],
        cwd=desk.tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "event:issues run at" in done.stdout
    assert "grade:major" in desk.srv.label_names(number)
    assert (desk.tmp / ".tracker" / "ledger.db").exists()


def test_a_comment_on_a_pull_request_is_ignored_without_a_request(desk: Desk) -> None:
    payload = webhook_example("issue_comment", "created")
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/acme/desk/pulls/1"}
    path = desk.tmp / "pr.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    result = desk.tracker("run", *desk.connection(), "--event-name", "issue_comment", "--event-path", str(path))
    assert result.code == 0, result.err
    assert "nothing to do: the event is about a pull request" in result.out
    assert desk.srv.requests == []


def test_a_schedule_event_name_means_a_scheduled_run(desk: Desk) -> None:
    _late_desk(desk)
    path = desk.tmp / "schedule.json"
    path.write_text(json.dumps({"schedule": "*/15 * * * *"}), encoding="utf-8")
    result = desk.run("--event-name", "schedule", "--event-path", str(path))
    assert result.code == 0, result.err
    assert result.json["mode"] == "scheduled"


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("kind", "method", "path", "extra"),
    [
        ("500", "GET", r"/issues$", {"times": 2}),
        ("502", "POST", r"/issues/\d+/labels$", {"times": 1}),
        ("timeout", "GET", r"/issues/events$", {"delay": 1.5}),
        ("secondary_limit", "POST", r"/issues/\d+/comments$", {"retry_after": 1}),
        ("secondary_limit", "POST", r"/issues/\d+/labels$", {"retry_after": None}),
        ("429", "POST", r"/issues/\d+/comments$", {"retry_after": None, "times": 3}),
        ("429", "GET", r"/issues$", {"retry_after": None, "reset_in": 1}),
        ("drop_after_write", "POST", r"/issues/\d+/comments$", {}),
        ("drop_after_write", "POST", r"/issues/\d+/assignees$", {}),
    ],
)
def test_passing_faults_end_in_the_same_state_as_a_clean_run(
    desk: Desk, tmp_path: Path, kind: str, method: str, path: str, extra: dict[str, Any]
) -> None:
    _late_desk(desk)
    desk.srv.inject(method=method, path=path, kind=kind, **extra)  # type: ignore[arg-type]
    result = desk.run("--retry-budget", "10", "--timeout", "1")
    assert result.code == 0, result.err
    assert desk.srv.pending_faults == 0
    assert result.json["failures"]
    faulty = desk.state()

    with FakeGitHub() as clean_srv:
        clean_srv.set_now(T0)
        clean = Desk(clean_srv, tmp_path / "clean", desk.capsys)
        _late_desk(clean)
        assert clean.run().code == 0
        assert faulty == clean.state()


def test_github_down_stops_with_a_message_saying_what_to_do(desk: Desk) -> None:
    _late_desk(desk)
    desk.srv.inject(method="GET", path=r"/issues$", kind="502", times=5)
    result = desk.run("--retry-budget", "60")
    assert result.code == 5
    assert "GitHub answered 502 five times over 0 s" in result.err
    assert "the next scheduled run will retry" in result.err


@pytest.mark.parametrize(("kind", "status"), [("404", 404), ("422", 422)])
def test_a_refusal_stops_the_run_without_retrying(desk: Desk, kind: str, status: int) -> None:
    _late_desk(desk)
    desk.srv.inject(method="POST", path=r"/issues/\d+/comments$", kind=kind)  # type: ignore[arg-type]
    result = desk.run()
    assert result.code == 5
    assert f"GitHub refused POST /repos/acme/desk/issues/1/comments: {status}" in result.err
    assert "apply stopped at action" in result.err or "error:" in result.err
    assert desk.srv.count("POST", "/comments") == 1


def test_the_budget_floor_stops_the_run_cleanly(desk: Desk) -> None:
    _late_desk(desk)
    desk.srv.set_rate_remaining(54)
    result = desk.run("--min-budget", "50")
    assert result.code == 6
    assert "down to 50 requests (floor 50)" in result.err
    assert "The next scheduled run will continue where this one stopped." in result.err
    assert desk.srv.rate_remaining == 50
    with Ledger(desk.db) as store:
        assert [r["status"] for r in store.runs()] == ["budget"]


def test_a_bad_config_stops_before_any_request(desk: Desk) -> None:
    desk.config.write_text("version: 1\nname: broken\ngrades: []\n", encoding="utf-8")
    result = desk.run()
    assert result.code == 2
    assert "tracker.yml" in result.err
    assert desk.srv.requests == []


def test_a_missing_token_says_what_to_do(desk: Desk) -> None:
    result = desk.tracker("run", "--repo", "acme/desk", "--config", str(desk.config))
    assert result.code == 2
    assert "GITHUB_TOKEN is not set" in result.err


def test_a_deleted_issue_is_left_alone_and_the_others_are_graded(desk: Desk) -> None:
    gone = desk.ticket("high", title="deleted later")
    kept = desk.ticket("high", title="kept")
    desk.at(T0 + timedelta(minutes=10))
    assert desk.run().code == 0
    del desk.srv.issues[gone]  # an admin deleted it
    desk.at(T0 + timedelta(hours=3))
    result = desk.run()
    assert result.code == 0, result.err
    assert "sla:breach" in desk.srv.label_names(kept)
    desk.later(timedelta(hours=1))
    assert desk.run().code == 0  # missing again an hour later: gone
    desk.srv.reset_counts()
    desk.later(timedelta(hours=1))
    assert desk.run().code == 0
    assert not [r for r in desk.srv.requests if f"/issues/{gone}" in r.path]


def test_a_status_comment_a_person_deleted_is_written_anew(desk: Desk) -> None:
    desk.ticket("high")
    desk.at(T0 + timedelta(hours=1))  # the status is said with the first escalation
    assert desk.run().code == 0
    (status,) = [c for c in desk.srv.comments.values() if says(c, "status")]
    deleting = urllib.request.Request(  # an admin deletes the grader's status comment
        f"{desk.srv.base_url}/repos/acme/desk/issues/comments/{status['id']}",
        method="DELETE",
        headers={"Authorization": f"token {desk.srv.token}"},
    )
    with urllib.request.urlopen(deleting, timeout=10) as answer:
        assert answer.status == 204
    desk.at(T0 + timedelta(hours=3))  # the status changes: the grader wants to edit it
    result = desk.run()
    assert result.code == 0, result.err
    statuses = [c for c in desk.srv.comments.values() if says(c, "status")]
    assert len(statuses) == 1 and statuses[0]["id"] != status["id"]
    assert "late" in statuses[0]["body"]
    desk.srv.reset_counts()
    assert desk.run().json["writes"] == 0


# --------------------------------------------------------------------------- crashes


def _seed_busy_desk(d: Desk) -> None:
    _late_desk(d)
    d.ticket("high", title="Third", created_at=T0 + timedelta(minutes=30))
    d.srv.add_comment(1, body="Please hurry", user="dave", author_association="NONE")


@pytest.mark.slow
def test_a_run_killed_after_any_write_converges_on_rerun(desk: Desk, tmp_path: Path) -> None:
    _seed_busy_desk(desk)
    assert desk.run().code == 0
    writes = desk.srv.writes()
    expected = desk.state()
    assert writes >= 10, writes

    # GitHub refuses every write after the k-th: k = 0 .. W-1 kill the run at each of its
    # writes; k = W lets the whole run through.
    for k in range(writes + 1):
        with FakeGitHub() as fake:
            fake.set_now(T0)
            d = Desk(fake, tmp_path / f"killed-after-{k}", desk.capsys)
            _seed_busy_desk(d)
            fake.fail_after_writes(k)
            crashed = d.run("--retry-budget", "0")
            assert (crashed.code != 0) == (k < writes), f"k={k}: {crashed.err}"
            assert fake.writes() == k
            fake.fail_after_writes(None)
            rerun = d.run()
            assert rerun.code == 0, f"k={k}: {rerun.err}"
            assert d.state() == expected, f"k={k}: duplicate or lost change"
            fake.reset_counts()
            assert d.run().json["writes"] == 0, f"k={k}: not converged"
