"""The tracker command: exit codes and exact messages, and the local desk end to end."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from tracker.cli import cli, main
from tracker.config import load_config, preset_path


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
    # Adopted before the simulated days the tests play, so every issue they open is a ticket.
    assert run(["init", "--preset", "club", "--adopted", "2026-01-01"], tmp_path)[0] == 0
    return tmp_path


def test_init_writes_the_preset_and_refuses_to_overwrite(tmp_path: Path) -> None:
    code, out, _ = run(["init", "--preset", "club"], tmp_path)
    assert code == 0
    assert out.startswith("wrote tracker.yml from the club preset; edit roles to name your people\n")
    written = (tmp_path / "tracker.yml").read_text()
    assert written.startswith(preset_path("club").read_text())
    today = load_config(tmp_path / "tracker.yml").adopted
    assert today is not None and f"\nadopted: {today.isoformat()}\n" in written
    code, _, err = run(["init", "--preset", "club"], tmp_path)
    assert code == 2
    assert err == (
        "error: tracker.yml exists: run `tracker workflows` to regenerate the workflows (`tracker forms` "
        "for the issue forms), or `tracker init --force` to start over\n"
    )


def test_validate_ok(desk: Path) -> None:
    code, out, _ = run(["validate"], desk)
    assert (code, out) == (0, "tracker.yml：正确（3 个等级，9 个时限，1 个表单，6 个角色）\n")


BAD = [
    (lambda d: d.update(bogus=1), "tracker.yml: bogus: unknown key"),
    (lambda d: d["grading"].update(default="l9"),
     "tracker.yml: grading.default: grade 'l9' is not in the scale (l3, l2, l1)"),
    (lambda d: d["clocks"][0].update(within="-5m"),
     "tracker.yml: clocks[0].within: must be a positive duration, not '-5m'"),
    (lambda d: d["clocks"][0].update(within=0), "tracker.yml: clocks[0].within: must be a positive duration, not 0"),
    (lambda d: d.update(timezone="Mars/Olympus"), "tracker.yml: timezone: unknown time zone 'Mars/Olympus'"),
    (lambda d: d.update(locale="fr"), "tracker.yml: locale: no catalog for locale 'fr'; choose one of: en, zh"),
    (lambda d: d["roles"]["senior"].update(members=[""]), "tracker.yml: roles.senior.members: role has nobody in it"),
    (lambda d: d["calendars"]["default"]["workday"].update(manned=["21:00-23:00"]),
     "tracker.yml: calendars.default.workday: windows overlap: 09:00-22:00 and 21:00-23:00"),
    (lambda d: d["clocks"][0].update(start=["field:nope", "opened"]),
     "tracker.yml: clocks[0].start[0]: field 'nope' is not a datetime field under fields"),
    (lambda d: d["clocks"][0].update(ladder="nowhere"),
     "tracker.yml: clocks[0].ladder: ladder 'nowhere' is not under ladders"),
    (lambda d: (d["types"][0].update(id="issue-" + "x" * 40), d["forms"][0].update(type="issue-" + "x" * 40)),
     f"tracker.yml: types[0].id: the label 'type:issue-{'x' * 40}' is 51 characters; GitHub allows 50"),
    (lambda d: d["roles"]["senior"].update(members=["ann", "@club-senior"]),
     'tracker.yml: roles.senior.members[1]: write the login without "@"'),
]  # fmt: skip


@pytest.mark.parametrize(("spoil", "message"), BAD)
def test_bad_config_stops_with_file_key_and_fault(desk: Path, spoil, message: str) -> None:
    _edit_policy(desk, spoil)
    code, out, err = run(["grade", "--now", "2026-11-24T10:00"], desk)
    assert code == 2
    assert out == ""
    assert err == f"error: {message}\n"
    assert not (desk / "tracker.db").exists()  # nothing was touched


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda s: s["thresholds"].update(payments={"ordinary": 2}),
         "tracker.yml: surge.thresholds.payments: group 'payments' is not a value of problem_class "
         "(security, key, routine)"),
        (lambda s: s.update(grade={"Key": "major"}),
         "tracker.yml: surge.grade.Key: group 'Key' is not a value of problem_class (security, key, routine)"),
    ],
)  # fmt: skip
def test_a_surge_for_a_group_that_cannot_exist_is_refused(tmp_path: Path, spoil, message: str) -> None:
    assert run(["init", "--preset", "online", "--adopted", "2026-01-01"], tmp_path)[0] == 0
    _edit_policy(tmp_path, lambda d: spoil(d["surge"]))
    code, out, err = run(["validate"], tmp_path)
    assert (code, out, err) == (2, "", f"error: {message}\n")


def _edit_policy(desk: Path, change: Any) -> None:
    """Change the desk's tracker.yml as data: ``change`` edits the loaded mapping in place."""
    data = yaml.safe_load((desk / "tracker.yml").read_text())
    change(data)
    (desk / "tracker.yml").write_text(yaml.safe_dump(data, allow_unicode=True))


def _own_people(data: dict[str, Any]) -> None:
    data["locale"] = "en"
    for role in data["roles"].values():
        role["members"] = [m.replace("club-", "acme-") for m in role["members"]]
    data["roles"]["management"]["members"] = ["@acme/managers"]  # a team keeps its "@"


def test_validate_warns_about_the_presets_made_up_logins_and_still_passes(desk: Path) -> None:
    _edit_policy(desk, lambda d: (_own_people(d), d["roles"]["senior"].update(members=["acme-ann", "club-senior"])))
    code, out, err = run(["validate"], desk)
    assert (code, out) == (0, "tracker.yml: ok (3 grades, 9 clocks, 1 forms, 6 roles)\n")
    assert err == (
        'warning: tracker.yml: roles.senior.members[1]: "club-senior" is a made-up login from the club '
        "preset; name your own people (a GitHub user by that name would be assigned and pinged)\n"
    )
    _edit_policy(desk, lambda d: d["roles"]["senior"].update(members=["acme-ann"]))
    assert run(["validate"], desk) == (0, "tracker.yml: ok (3 grades, 9 clocks, 1 forms, 6 roles)\n", "")


def test_validate_refuses_a_form_the_parser_could_not_read(desk: Path) -> None:
    _edit_policy(desk, lambda d: (d["fields"]["customer"].update(label="联系电话(手机)"),
                                  d["fields"]["description"].update(label="联系电话（手机）")))  # fmt: skip
    code, out, err = run(["validate"], desk)
    assert (code, out) == (2, "")
    assert err == (
        "error: tracker.yml: fields.customer.label: label '联系电话(手机)' is also used by field "
        "'description' in form 'issue'\n"
        "tracker.yml: fields.customer.label: label '联系电话(手机)' is also a label of field 'description'\n"
    )


def test_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    code, _, err = run(["validate"], tmp_path)
    assert code == 2
    assert err == "error: tracker.yml: (top level): file not found (tracker init --preset NAME writes one)\n"


NOW = "时间：2026-11-24 10:00 +08:00 (Asia/Shanghai)\n"


def _open_leak(desk: Path) -> None:
    code, out, err = run(["open", "--form", "issue", "--title", "淋浴间漏水", "--field", "category=booking",
                          "--field", "level=l2", "--field", "description=漏水", "--as", "club-agent-1",
                          "--now", "2026-11-24T10:00"], desk)  # fmt: skip
    assert (code, out, err) == (0, "已开单 #1\n", NOW)


def test_local_desk_open_grade_show_late_and_second_run_changes_nothing(desk: Path) -> None:
    _open_leak(desk)
    code, out, _ = run(["grade", "--now", "2026-11-24T10:00"], desk)
    # Nothing to say yet: the status comment waits for the grader's first other word.
    assert (code, out) == (0, "2026-11-24 10:00 评定完成：1 张工单有变化、2 个动作 "
                              "(set_labels 1、set_assignees 1)、写入 2 次\n")  # fmt: skip
    code, out, _ = run(["grade", "--now", "2026-11-24T10:00", "--verbose"], desk)
    assert (code, out) == (0, "2026-11-24 10:00 评定完成：0 张工单有变化、0 个动作、写入 0 次\n")
    code, out, _ = run(["late", "--now", "2026-11-24T10:20"], desk)
    assert (code, out) == (0, "#1 [客户问题] 淋浴间漏水 · 等级 L2 中等 · 负责人 club-agent-2\n"
                              "  转交责任部门：期限 2026-11-24 10:15，已超时 5分钟\n")  # fmt: skip
    code, out, _ = run(["show", "1", "--now", "2026-11-24T10:20"], desk)
    assert code == 0 and "转交责任部门" in out and "🔴 已超时" in out
    code, out, err = run(["show", "9", "--now", "2026-11-24T10:20"], desk)
    assert code == 4
    assert err == "时间：2026-11-24 10:20 +08:00 (Asia/Shanghai)\nerror: ticket #9 is not in the store; " \
                  "sync it first or check the number\n"  # fmt: skip


def test_grade_prints_every_action_with_verbose_and_a_summary_by_default(desk: Path) -> None:
    _open_leak(desk)
    code, out, _ = run(["grade", "--now", "2026-11-24T10:00", "--dry-run", "--verbose"], desk)
    assert code == 0 and "#1 set_labels: would set labels" in out and out.endswith("将写入 2 次\n")
    code, out, _ = run(["grade", "--now", "2026-11-24T10:00"], desk)
    assert code == 0 and len(out.splitlines()) == 1


def test_grade_dry_run_json_carries_numbers_ids_and_labels(desk: Path) -> None:
    _open_leak(desk)
    code, out, _ = run(["grade", "--now", "2026-11-24T10:20", "--dry-run", "--json"], desk)
    assert code == 0
    data = json.loads(out)
    assert data["now"] == "2026-11-24T10:20:00+08:00" and data["dry_run"] is True
    kinds = {o["kind"]: o for o in data["outcomes"]}
    assert kinds["set_labels"]["number"] == 1 and "grade:l2" in kinds["set_labels"]["add"]
    assert kinds["post_comment"]["key"] == "esc:handoff:0:0+status"  # the late handoff, then the status
    assert out == json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"  # stable: sorted keys


def test_unknown_field_and_bad_now_are_usage_errors(desk: Path) -> None:
    code, _, err = run(["open", "--form", "issue", "--title", "x", "--field", "nope=1", "--as", "a"], desk)
    assert code == 2
    assert err.splitlines()[-1].startswith("error: --field 'nope'：没有这个字段；可用字段：category、level、")
    code, _, err = run(["grade", "--now", "tomorrow"], desk)
    assert code == 2
    assert err.endswith(
        "Error: Invalid value for '--now': 'tomorrow' is not an ISO time such as 2026-11-24T14:30 "
        "(the policy's time zone) or 2026-11-24T14:30+08:00\n"
    )


def test_now_without_offset_is_in_the_policy_zone_and_with_one_is_that_moment(desk: Path) -> None:
    _open_leak(desk)
    code, out, err = run(["grade", "--now", "2026-11-24T02:00+00:00", "--json"], desk)
    assert code == 0 and err == "时间：2026-11-24 02:00 +00:00 (UTC)\n"
    assert json.loads(out)["now"] == "2026-11-24T02:00:00+00:00"


def test_a_mistyped_db_creates_nothing_and_says_what_to_run(desk: Path) -> None:
    for args in (["grade"], ["list"], ["late"], ["show", "1"], ["comment", "1", "hi", "--as", "a"],
                 ["publish", "--docs", "site/docs"]):  # fmt: skip
        code, out, err = run([*args, "--db", "typo.db"], desk)
        assert (code, out) == (2, ""), args
        assert err.splitlines()[-2:] == [
            "error: 找不到工单库 typo.db",
            "用 `tracker open` 开第一张工单时会创建工单库，`tracker sync` 可同步 GitHub 仓库；"
            "或用 --db（或 TRACKER_DB）指向已有的工单库。",
        ]
        assert not (desk / "typo.db").exists()


def test_every_command_reads_tracker_config_and_tracker_db(desk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (desk / "tracker.yml").rename(desk / "policy.yml")
    monkeypatch.setenv("TRACKER_CONFIG", str(desk / "policy.yml"))
    monkeypatch.setenv("TRACKER_DB", str(desk / "desk.db"))
    assert run(["validate"], desk)[1].endswith("：正确（3 个等级，9 个时限，1 个表单，6 个角色）\n")
    _open_leak(desk)
    assert (desk / "desk.db").exists() and not (desk / "tracker.db").exists()
    for args in (["grade"], ["list"], ["late"], ["show", "1"]):
        assert run([*args, "--now", "2026-11-24T10:00"], desk)[0] == 0, args
    for name in ("grade", "list", "late", "show", "open", "publish", "run", "sync", "validate", "forms"):
        envvars = {p.name: p.envvar for p in cli.commands[name].params if isinstance(p, click.Option)}
        assert envvars["cfg"] == "TRACKER_CONFIG", name
        assert envvars.get("db_path", "TRACKER_DB") == "TRACKER_DB", name


def _two_tickets(desk: Path) -> None:
    _open_leak(desk)
    assert run(["open", "--form", "issue", "--title", "空调不冷", "--field", "category=booking", "--field", "level=l3",
                "--field", "description=热", "--as", "club-agent-1", "--now", "2026-11-24T11:00"], desk)[0] == 0  # fmt: skip
    assert run(["grade", "--now", "2026-11-24T11:00"], desk)[0] == 0
    assert run(["comment", "2", "第一行\\n第二行", "--as", "club-agent-1", "--now", "2026-11-24T11:05"], desk)[0] == 0
    assert run(["close", "2", "--as", "club-agent-1", "--now", "2026-11-24T11:10"], desk)[0] == 0


def test_list_filters_and_prints_a_table_or_json(desk: Path) -> None:
    _two_tickets(desk)
    code, out, _ = run(["list", "--now", "2026-11-24T11:20"], desk)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["编号", "状态", "等级", "类型", "负责人", "超时", "标题"]
    assert lines[1].startswith("#1 ") and "1小时5分钟" in lines[1] and lines[-1] == "共 1 张工单"
    code, out, _ = run(["list", "--state", "all", "--json", "--now", "2026-11-24T11:20"], desk)
    rows = json.loads(out)
    assert [r["number"] for r in rows] == [1, 2] and rows[1]["state"] == "closed"
    assert rows[0]["late"][0] == {"clock": "handoff", "cycle": 0, "due": "2026-11-24T10:15:00+08:00",
                                  "late_by": 3900, "name": "转交责任部门"}  # fmt: skip
    assert run(["list", "--state", "all", "--grade", "l3", "--json"], desk)[1].count('"number"') == 1
    assert (
        json.loads(run(["list", "--state", "all", "--late", "--json", "--now", "2026-11-24T11:20"], desk)[1])[0][
            "number"
        ]
        == 1
    )
    assert json.loads(run(["list", "--label", "grade:l2", "--json"], desk)[1])[0]["number"] == 1
    assert json.loads(run(["list", "--assignee", "nobody-here", "--json"], desk)[1]) == []
    assert run(["list", "--assignee", "nobody-here"], desk)[1] == "没有符合条件的工单\n"


def test_show_prints_the_conversation_without_hidden_markers(desk: Path) -> None:
    _two_tickets(desk)
    assert run(["grade", "--now", "2026-11-24T11:20"], desk)[0] == 0
    code, out, _ = run(["show", "1", "--now", "2026-11-24T11:20"], desk)
    assert code == 0
    talk = out.split("对话：\n", 1)[1]
    assert "<!--" not in talk
    assert "  — github-actions[bot]（服务台自动：esc:handoff:0:0+status） · 2026-11-24 11:00\n" in talk
    code, out, _ = run(["show", "2", "--now", "2026-11-24T11:20"], desk)
    talk = out.split("对话：\n", 1)[1]
    assert "  — club-agent-1 · 2026-11-24 11:05\n    第一行\n    第二行\n" in talk
    data = json.loads(run(["show", "1", "--json", "--now", "2026-11-24T11:20"], desk)[1])
    said = data["conversation"]
    assert said[0]["by_grader"] is True and said[0]["marker"] == "esc:handoff:0:0+status"
    assert data["ticket"]["number"] == 1
    said = json.loads(run(["show", "2", "--json", "--now", "2026-11-24T11:20"], desk)[1])["conversation"]
    assert said[0]["by_grader"] is False


def test_late_lists_every_late_clock_of_every_ticket(desk: Path) -> None:
    _open_leak(desk)
    assert run(["grade", "--now", "2026-11-24T10:00"], desk)[0] == 0
    code, out, _ = run(["late", "--now", "2026-11-24T13:00"], desk)
    assert code == 0
    assert out.splitlines() == [
        "#1 [客户问题] 淋浴间漏水 · 等级 L2 中等 · 负责人 club-agent-2",
        "  转交责任部门：期限 2026-11-24 10:15，已超时 2小时45分钟",
        "  向客户更新进展：期限 2026-11-24 12:00，已超时 1小时",
    ]
    data = json.loads(run(["late", "--json", "--now", "2026-11-24T13:00"], desk)[1])
    assert [c["clock"] for c in data[0]["late"]] == ["handoff", "customer_update"]


def test_schema_is_json_for_editors(desk: Path) -> None:
    import json

    code, out, _ = run(["schema"], desk)
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "tracker.yml" and "clocks" in schema["properties"]


def test_click_group_lists_every_command() -> None:
    names = set(cli.commands)
    assert {"init", "validate", "schema", "forms", "open", "comment", "grade", "list", "show", "late", "demo",
            "publish", "run", "sync", "labels"} <= names  # fmt: skip


def test_the_cli_reference_page_is_current() -> None:
    from tracker.cli.reference import reference

    page = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
    assert page.read_text(encoding="utf-8") == reference(), "run: python -m tracker.cli.reference > docs/cli.md"
