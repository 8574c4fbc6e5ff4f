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
