"""What-if: each preset's desk with one open ticket, under deliberate policy changes.

Every change is made to the preset's own data and validated like any policy file; the
comparison must name the exact ticket, clock, field, label or calendar that moves, and an
unchanged policy must report nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
import yaml
from policy_helpers import Desk, at, load_preset, preset_file

from tracker.clocks import ladder_for
from tracker.config import PRESETS, Config, parse_config
from tracker.whatif import WhatIf, compare
from tracker.whatif_runner import Cron, cron_lines, scheduled_runs

OPENED = at("2026-11-24 10:00")  # a Tuesday, inside every preset's working hours
NOW = OPENED + timedelta(minutes=20)


def _answers(cfg: Config, form: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fid in cfg.form_by_id[form].fields:
        f = cfg.fields[fid]
        out[fid] = {
            "dropdown": f.options[-1].id if f.options else "x",
            "number": 5,
            "ratio": "0.5%",
            "checkboxes": False,
            "datetime": "2026-11-24 09:50",
        }.get(f.kind, "打印机无法连接，影响前台收银。")
    return out


class Case:
    def __init__(self, preset: str) -> None:
        self.preset = preset
        self.text = preset_file(preset).read_text(encoding="utf-8")
        self.data = yaml.safe_load(self.text)
        self.cfg = load_preset(preset)
        self.desk = Desk(self.cfg)
        form = self.cfg.forms[0].id
        self.number = self.desk.open(form, _answers(self.cfg, form), OPENED)
        self.desk.run(OPENED)

    def changed(self, edit: Callable[[dict[str, Any]], None]) -> Config:
        data = yaml.safe_load(self.text)
        edit(data)
        return parse_config(data, f"{self.preset}.yml")

    def compare(self, after: Config) -> WhatIf:
        return compare(self.desk.store.tickets(), self.cfg, after, NOW)


@pytest.fixture(params=PRESETS)
def case(request: pytest.FixtureRequest) -> Iterator[Case]:
    c = Case(request.param)
    yield c
    c.desk.close()


def test_an_unchanged_policy_reports_nothing(case: Case) -> None:
    w = case.compare(case.changed(lambda d: None))
    assert w.nothing
    assert w.tickets == () and w.totals.changed == 0 and w.totals.tickets == 1


def test_a_shorter_clock_is_due_earlier_for_that_ticket(case: Case) -> None:
    view = case.desk.view(case.number, NOW)
    clock = next(c for c in view.clocks if c.stopped is None and c.cycle == 0)
    index = next(i for i, c in enumerate(case.data["clocks"]) if c["id"] == clock.id)

    def shorten(d: dict[str, Any]) -> None:
        d["clocks"][index]["within"] = "1m"

    w = case.compare(case.changed(shorten))
    [ticket] = w.tickets
    assert ticket.number == case.number
    moves = {(m.clock, m.cycle): m for m in ticket.clocks}
    move = moves[clock.id, 0]
    assert move.move == "earlier"
    assert move.due_after is not None and move.due_after < NOW
    assert move.status_after == "late"
    assert w.totals.earlier >= 1
    ladder = ladder_for(next(k for k in case.cfg.clocks if k.id == clock.id), view.grade or "", case.cfg)
    # Its first step fell due by now because of the change (not already under the current policy).
    if ladder is not None and ladder.steps[0].after <= 15 * 60 and not clock.breached:
        fired = [f for f in ticket.firings if f.clock == clock.id and f.kind == "escalation"]
        assert fired and fired[0].step == 0 and fired[0].at <= NOW
        assert w.totals.firings >= 1


def test_a_new_holiday_is_named_with_its_calendar(case: Case) -> None:
    def holiday(d: dict[str, Any]) -> None:
        d["calendars"]["default"].setdefault("holidays", []).append("2026-11-25")

    w = case.compare(case.changed(holiday))
    [change] = w.calendars
    assert change.calendar == "default" and change.change == "changed"
    assert change.holidays_added == ("2026-11-25",)
    assert change.hours_before == change.hours_after
    assert not w.forms and not (w.labels.created or w.labels.orphaned or w.labels.renamed)


def test_a_renamed_grade_renames_its_label_and_regrades_the_ticket(case: Case) -> None:
    view = case.desk.view(case.number, NOW)
    old = view.grade
    assert old is not None
    text = re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", f"{old}x", case.text)
    after = parse_config(yaml.safe_load(text), f"{case.preset}.yml")
    w = case.compare(after)
    prefix = case.cfg.labels.grade.format(id="")
    assert (prefix + old, prefix + old + "x") in w.labels.renamed
    [ticket] = w.tickets
    current = [g for g in ticket.grades if g.which == "current"]
    assert [(g.before, g.after) for g in current] == [(old, old + "x")]


def test_a_removed_field_is_named_on_its_form(case: Case) -> None:
    form = case.cfg.forms[0]
    optional = [f for f in form.fields if not case.cfg.fields[f].required] or form.fields[-1:]
    field = optional[-1]

    def remove(d: dict[str, Any]) -> None:
        d["forms"][0]["fields"].remove(field)

    w = case.compare(case.changed(remove))
    assert [(f.form, f.change, f.fields_removed, f.fields_added) for f in w.forms] == [
        (form.id, "changed", (field,), ())
    ]


def test_working_hours_moved_show_both_weeks(case: Case) -> None:
    def later(d: dict[str, Any]) -> None:
        day = d["calendars"]["default"]["workday"]
        day["working"] = ["11:00-20:00"]
        day.pop("manned", None)

    w = case.compare(case.changed(later))
    [change] = [c for c in w.calendars if c.calendar == "default"]
    assert "11:00-20:00" in change.hours_after and "11:00-20:00" not in change.hours_before


# --------------------------------------------------------------------------- exact cases


def test_a_relabelled_required_field_asks_the_open_ticket_again() -> None:
    c = Case("desk")
    try:

        def relabel(d: dict[str, Any]) -> None:
            d["fields"]["description"]["label"] = "问题详情"

        w = c.compare(c.changed(relabel))
        [ticket] = w.tickets
        # The old heading is gone: its text now runs into the answer above it, which no longer parses.
        assert ticket.needs_info == ("channel", "description")
        assert {f.fields_relabelled for f in w.forms if f.fields_relabelled} == {("description",)}  # every form using it
        assert w.totals.needs_info == 1
    finally:
        c.desk.close()


def test_a_renamed_field_in_place_is_a_rename() -> None:
    c = Case("club")
    try:

        def rename(d: dict[str, Any]) -> None:
            d["fields"]["customer_name"] = d["fields"].pop("customer")
            form = d["forms"][0]["fields"]
            form[form.index("customer")] = "customer_name"

        w = c.compare(c.changed(rename))
        [form] = [f for f in w.forms if f.form == "issue"]
        assert form.fields_renamed == (("customer", "customer_name"),)
        assert form.fields_added == () and form.fields_removed == ()
    finally:
        c.desk.close()


# --------------------------------------------------------------------------- runner minutes


def test_the_grader_schedule_counts_the_same_minutes_before_and_after() -> None:
    workflow = 'on:\n  schedule:\n    - cron: "*/15 * * * *"\n  workflow_dispatch:\n'
    assert cron_lines(workflow) == ("*/15 * * * *",)
    cfg = load_preset("desk")
    w = compare([], cfg, cfg, NOW, workflow=workflow)
    assert w.runner is not None
    assert w.runner.runs_per_month == 30 * 24 * 4
    assert w.runner.minutes_before == w.runner.minutes_after == 2880
    assert w.runner.same


def test_a_generated_schedule_follows_the_proposed_calendar() -> None:
    from tracker.schedule import schedule_for
    from tracker.workflows import workflows

    cfg = load_preset("desk")
    workflow = workflows(cfg)["grader.yml"]
    data = yaml.safe_load(preset_file("desk").read_text(encoding="utf-8"))
    data["calendars"]["default"]["workday"]["working"] = ["08:00-20:00"]  # longer staffed days
    longer = parse_config(data, "proposed.yml")
    w = compare([], cfg, longer, NOW, workflow=workflow)
    assert w.runner is not None and not w.runner.same
    assert w.runner.schedule == schedule_for(longer).lines
    assert w.runner.minutes_before == len(scheduled_runs(schedule_for(cfg).lines, NOW))
    assert w.runner.minutes_after == len(scheduled_runs(schedule_for(longer).lines, NOW))
    assert w.runner.minutes_after != w.runner.minutes_before


def test_cron_fields_follow_crons_rules() -> None:
    assert len(scheduled_runs(("0 9-11 * * mon-fri",), at("2026-11-23 00:00"), days=7)) == 15
    first_or_monday = Cron.parse("0 0 1 * 1")  # both day fields restricted: either matches
    assert first_or_monday.matches(at("2026-12-01 08:00").astimezone(UTC))  # the 1st, a Tuesday
    assert first_or_monday.matches(at("2026-11-30 08:00").astimezone(UTC))  # a Monday
    assert not first_or_monday.matches(at("2026-12-02 08:00").astimezone(UTC))


# --------------------------------------------------------------------------- the command


def test_the_command_needs_something_to_compare_and_refuses_a_bad_proposal(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker.cli import main

    def tracker(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as done:
            main(list(argv))
        return int(done.value.code or 0), capsys.readouterr().err.strip().splitlines()[-1]

    current = str(preset_file("desk"))
    bad = tmp_path / "bad.yml"
    bad.write_text(preset_file("desk").read_text(encoding="utf-8").replace("within: 8h", "within: soon", 1))
    assert tracker("whatif", "--config", current, "--db", str(tmp_path / "none.db")) == (
        2, "error: nothing to compare: give a PROPOSED policy file, or --base REF (and --head REF)",
    )  # fmt: skip
    code, message = tracker("whatif", str(bad), "--config", current)
    assert (code, message) == tracker("validate", "--config", str(bad))
    assert code == 2 and message.startswith(f"error: {bad}: clocks[")
