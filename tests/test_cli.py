"""The tracker command: exit codes and exact messages, and the local desk end to end."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
import yaml

from tracker.cli import cli, main
from tracker.config import preset_path


def run(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run ``tracker ARGS`` in ``cwd`` through the real entry point; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(args)
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    assert run(["init", "--preset", "club"], tmp_path)[0] == 0
    return tmp_path


def test_init_writes_the_preset_and_refuses_to_overwrite(tmp_path: Path) -> None:
    code, out, _ = run(["init", "--preset", "club"], tmp_path)
    assert code == 0
    assert out == "wrote tracker.yml from the club preset; edit roles to name your people\n"
    assert (tmp_path / "tracker.yml").read_text() == preset_path("club").read_text()
    code, _, err = run(["init", "--preset", "club"], tmp_path)
    assert code == 2
    assert err == "error: tracker.yml exists; pass --force to overwrite it\n"


def test_validate_ok(desk: Path) -> None:
    code, out, _ = run(["validate"], desk)
    assert (code, out) == (0, "tracker.yml: ok (3 grades, 9 clocks, 1 forms, 6 roles)\n")


BAD = [
    (lambda d: d.update(bogus=1), "tracker.yml: bogus: unknown key"),
    (lambda d: d["grading"].update(default="l9"),
     "tracker.yml: grading.default: grade 'l9' is not in the scale (l3, l2, l1)"),
    (lambda d: d["clocks"][0].update(within="-5m"),
     "tracker.yml: clocks[0].within: must be a positive duration, not '-5m'"),
    (lambda d: d["clocks"][0].update(within=0), "tracker.yml: clocks[0].within: must be a positive duration, not 0"),
    (lambda d: d.update(timezone="Mars/Olympus"), "tracker.yml: timezone: unknown time zone 'Mars/Olympus'"),
    (lambda d: d["roles"]["senior"].update(members=[""]), "tracker.yml: roles.senior.members: role has nobody in it"),
    (lambda d: d["calendars"]["default"]["workday"].update(manned=["21:00-23:00"]),
     "tracker.yml: calendars.default.workday: windows overlap: 09:00-22:00 and 21:00-23:00"),
    (lambda d: d["clocks"][0].update(start=["field:nope", "opened"]),
     "tracker.yml: clocks[0].start[0]: field 'nope' is not a datetime field under fields"),
    (lambda d: d["clocks"][0].update(ladder="nowhere"),
     "tracker.yml: clocks[0].ladder: ladder 'nowhere' is not under ladders"),
]  # fmt: skip


@pytest.mark.parametrize(("spoil", "message"), BAD)
def test_bad_config_stops_with_file_key_and_fault(desk: Path, spoil, message: str) -> None:
    data = yaml.safe_load((desk / "tracker.yml").read_text())
    spoil(data)
    (desk / "tracker.yml").write_text(yaml.safe_dump(data, allow_unicode=True))
    code, out, err = run(["grade", "--now", "2026-11-24T10:00"], desk)
    assert code == 2
    assert out == ""
    assert err == f"error: {message}\n"
    assert not (desk / "tracker.db").exists()  # nothing was touched


def test_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    code, _, err = run(["validate"], tmp_path)
    assert code == 2
    assert err == "error: tracker.yml: (top level): file not found (tracker init --preset NAME writes one)\n"


def test_local_desk_open_grade_show_late_and_second_run_changes_nothing(desk: Path) -> None:
    code, out, _ = run(["open", "--form", "issue", "--title", "淋浴间漏水", "--field", "category=booking",
                        "--field", "level=l2", "--field", "description=漏水", "--as", "club-agent-1",
                        "--now", "2026-11-24T10:00"], desk)  # fmt: skip
    assert (code, out) == (0, "opened #1\n")
    code, out, _ = run(["grade", "--now", "2026-11-24T10:00"], desk)
    assert code == 0 and "+grade:l2" in out
    code, out, _ = run(["grade", "--now", "2026-11-24T10:00"], desk)
    assert (code, out) == (0, "graded at 2026-11-24 10:00: 0 actions, wrote 0\n")
    code, out, _ = run(["late", "--now", "2026-11-24T10:20"], desk)
    assert code == 0
    assert out.startswith("#1 [l2] [客户问题] 淋浴间漏水 — 转交责任部门 due 2026-11-24 10:15, late by 5分钟")
    code, out, _ = run(["show", "1", "--now", "2026-11-24T10:20"], desk)
    assert code == 0 and "转交责任部门" in out and "late" in out
    code, _, err = run(["show", "9", "--now", "2026-11-24T10:20"], desk)
    assert code == 4 and err.startswith("error: ")


def test_unknown_field_and_bad_now_are_usage_errors(desk: Path) -> None:
    code, _, err = run(["open", "--form", "issue", "--title", "x", "--field", "nope=1", "--as", "a"], desk)
    assert code == 2
    assert err.startswith("error: --field 'nope': no such field; fields are: category, level")
    code, _, err = run(["grade", "--now", "tomorrow"], desk)
    assert (code, err) == (2, "error: --now 'tomorrow' is not an ISO time such as 2026-11-24T14:30\n")


def test_schema_is_json_for_editors(desk: Path) -> None:
    import json

    code, out, _ = run(["schema"], desk)
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "tracker.yml" and "clocks" in schema["properties"]


def test_click_group_lists_every_command() -> None:
    names = set(cli.commands)
    assert {"init", "validate", "schema", "forms", "open", "comment", "grade", "show", "late", "demo"} <= names


def test_the_cli_reference_page_is_current() -> None:
    from tracker.cli.reference import reference

    page = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
    assert page.read_text(encoding="utf-8") == reference(), "run: python -m tracker.cli.reference > docs/cli.md"
