"""On time on GitHub: every run ends knowing the desk's next wake moment, says it to the
workflow (GITHUB_OUTPUT) and the reader (GITHUB_STEP_SUMMARY), and counts its minutes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from github_desk import T0, Desk, open_desk


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path, capsys, monkeypatch)


def _outputs(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_a_run_writes_the_next_wake_moment_and_the_timer(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    out, page = desk.tmp / "out", desk.tmp / "summary.md"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(page))
    desk.ticket("high", title="Login fails for everyone")
    result = desk.run()
    assert result.code == 0, result.err
    summary = result.json
    wake = datetime.fromisoformat(summary["wake_at"])
    assert wake > T0 and summary["wake_in"] == round((wake - T0).total_seconds())
    outputs = _outputs(out)
    assert outputs["wake_at"] == summary["wake_at"] and outputs["wake_in"] == str(summary["wake_in"])
    assert outputs["timer"] == ("true" if summary["timer"] == "armed" else "false")
    assert summary["month_runs"] >= 1 and summary["month_minutes"] >= 1
    text = page.read_text(encoding="utf-8")
    assert summary["wake_at"] in text and "2000" in text


def test_a_late_run_says_how_late_it_delivered_and_minutes_add_up(desk: Desk) -> None:
    desk.ticket("high", title="Login fails for everyone")
    desk.at(T0 + timedelta(hours=3))
    first = desk.run().json
    late = [d for d in first["late"] if d["kind"] == "escalation"]
    assert late and all(0 < d["seconds"] <= 3 * 3600 for d in late)
    desk.later(timedelta(minutes=15))
    second = desk.run().json
    assert second["late"] == []
    assert second["month_minutes"] > first["month_minutes"] and second["month_runs"] > first["month_runs"]


def test_wake_prints_the_sleep_minus_the_lead_within_the_horizon(desk: Desk) -> None:
    at = T0 + timedelta(minutes=10)
    now = ["--config", str(desk.config), "--now", T0.isoformat()]
    assert desk.tracker("wake", "--at", at.isoformat(), *now).out.strip() == "555"
    far = T0 + timedelta(hours=5)
    assert desk.tracker("wake", "--at", far.isoformat(), *now).out.strip() == "1800"
    past = T0 - timedelta(minutes=1)
    assert desk.tracker("wake", "--at", past.isoformat(), *now).out.strip() == "0"
    assert desk.tracker("wake", "--at", "soon", *now).code == 2


# -- wake slots: where minutes are billed, each run names the slot ticks that should run


def _short_desk(desk: Desk) -> None:
    """The test policy with a 20-minute clock for major tickets (a short clock)."""
    text = desk.config.read_text(encoding="utf-8").replace("within: {major: 1h,", "within: {major: 20m,")
    desk.config.write_text(text, encoding="utf-8")


def test_a_run_names_the_wake_slots_with_the_wake_token(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.wake import slot_value

    page = desk.tmp / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(page))
    _short_desk(desk)
    desk.ticket("high", title="Login fails for everyone")
    result = desk.run("--wake-token", desk.srv.variables_token)
    assert result.code == 0, result.err
    summary = result.json
    # the 20-minute clock falls due at 09:20: four slots from 09:17
    assert summary["wake_slots"] == ["17 9 * * *", "22 9 * * *", "27 9 * * *", "32 9 * * *"]
    assert summary["wake_variable"] == "written"
    value = desk.srv.variables["TRACKER_WAKE"]["value"]
    assert value == slot_value(summary["wake_slots"]) == "[17 9 * * *][22 9 * * *][27 9 * * *][32 9 * * *]"
    assert "Wake slots: named 4 wake slots in TRACKER_WAKE." in page.read_text(encoding="utf-8")
    # the next run finds the variable as it left it: nothing to write
    desk.later(timedelta(minutes=2))
    writes = len(desk.srv.requests)
    again = desk.run("--wake-token", desk.srv.variables_token, "--wake-slots", value).json
    assert again["wake_variable"] == "unchanged"
    assert not [r for r in desk.srv.requests[writes:] if "/actions/variables" in r.path]


def test_the_slots_move_on_once_the_moment_is_delivered(desk: Desk) -> None:
    _short_desk(desk)
    desk.ticket("high", title="Login fails for everyone")
    first = desk.run("--wake-token", desk.srv.variables_token).json
    desk.at(T0 + timedelta(minutes=24))  # the 09:22 slot started late, at 09:24
    second = desk.run("--wake-token", desk.srv.variables_token, "--wake-slots", "[17 9 * * *]").json
    assert [d["kind"] for d in second["late"]] == ["escalation"]
    assert second["wake_variable"] == "written" and second["wake_slots"] != first["wake_slots"]
    # the ladder's second step, an hour after the first, is the next moment: its clock is still short
    assert second["wake_slots"][0] == "17 10 * * *"
    assert desk.srv.variables["TRACKER_WAKE"]["value"].startswith("[17 10 * * *]")


def test_once_nothing_short_is_ahead_the_variable_names_no_slot(desk: Desk) -> None:
    _short_desk(desk)
    number = desk.ticket("high", title="Login fails for everyone")
    assert desk.run("--wake-token", desk.srv.variables_token).json["wake_variable"] == "written"
    desk.later(timedelta(minutes=5))
    stamp = desk.now.strftime("%Y-%m-%dT%H:%M:%SZ")  # alice closes it
    desk.srv.issues[number].update(state="closed", state_reason="completed", closed_at=stamp, updated_at=stamp)
    desk.srv.add_event(number, event="closed", actor="alice")
    found = desk.srv.variables["TRACKER_WAKE"]["value"]
    done = desk.run("--wake-token", desk.srv.variables_token, "--wake-slots", found)
    assert done.json["wake_slots"] == [] and done.json["wake_variable"] == "written"
    assert desk.srv.variables["TRACKER_WAKE"]["value"] == "none"


def test_without_the_wake_token_no_slot_is_named_and_the_run_stands(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = desk.tmp / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(page))
    _short_desk(desk)
    desk.ticket("high", title="Login fails for everyone")
    result = desk.run()
    assert result.code == 0 and result.json["wake_variable"] == "no-token"
    assert desk.srv.variables == {}
    text = page.read_text(encoding="utf-8")
    assert "Wake slots: no wake slot named: the secret TRACKER_WAKE_TOKEN is not set." in text


def test_a_wake_token_without_the_permission_is_said_and_the_grading_stands(desk: Desk) -> None:
    _short_desk(desk)
    number = desk.ticket("high", title="Login fails for everyone")
    result = desk.run("--wake-token", desk.srv.token)  # the workflow's token: no Variables permission
    assert result.code == 0
    assert result.json["wake_variable"].startswith("refused: GitHub refused PATCH /repos/acme/desk/actions/variables")
    assert "403" in result.json["wake_variable"]
    assert desk.state()[number]["labels"]  # the grading was done and kept
    assert desk.srv.variables == {}


def test_where_minutes_are_free_no_slot_is_named(desk: Desk) -> None:
    _short_desk(desk)
    text = desk.config.read_text(encoding="utf-8") + "github: {minutes_per_month: 0}\n"
    desk.config.write_text(text, encoding="utf-8")
    desk.ticket("high", title="Login fails for everyone")
    result = desk.run("--wake-token", desk.srv.variables_token).json
    assert result["wake_slots"] == [] and result["wake_variable"] == "off"
    assert desk.srv.variables == {}
