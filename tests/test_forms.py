"""Issue forms generated from the config: GitHub's rules, determinism, drift checks."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.config import Config, parse_config
from tracker.errors import ConfigError, TrackerError
from tracker.forms import GENERATED_MARK, form_faults, is_generated, issue_forms, write_issue_forms
from tracker.intake import render_body

FIXTURES = Path(__file__).parent / "fixtures" / "forms"


def policy(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load((FIXTURES / "tracker.yml").read_text(encoding="utf-8"))
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def cfg() -> Config:
    return parse_config(policy())


@pytest.fixture(scope="module")
def cfg_en() -> Config:
    return parse_config(policy(locale="en"))


MINI = {
    "name": "mini",
    "roles": {"agent": {"name": "坐席", "members": ["alice"]}},
    "calendars": {"default": {"workday": {"working": ["09:00-18:00"]}, "restday": {}}},
    "grades": [{"id": "low", "name": "低"}],
    "types": [{"id": "fault", "name": "故障"}],
    "fields": {"desc": {"label": "描述", "kind": "textarea", "required": True}},
    "forms": [{"id": "fault", "name": "故障报修", "type": "fault", "fields": ["desc"]}],
    "grading": {"default": "low"},
}


# ----------------------------------------------------------------------------- GitHub's rules

_TOP_KEYS = {"name", "description", "title", "labels", "assignees", "body", "projects", "type"}
_ATTRIBUTES = {
    "markdown": {"value"},
    "input": {"label", "description", "placeholder", "value"},
    "textarea": {"label", "description", "placeholder", "value", "render"},
    "dropdown": {"label", "description", "multiple", "options", "default"},
    "checkboxes": {"label", "description", "options"},
}
_ID = re.compile(r"^[a-zA-Z0-9_-]+$")


def _nonempty(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def github_faults(doc: Any) -> list[str]:
    """The rules of GitHub's issue-form syntax that can be checked on the parsed YAML
    (docs: "Syntax for issue forms", "Common validation errors when creating issue forms")."""
    if not isinstance(doc, dict):
        return ["the form must be a mapping"]
    faults = [f"{key} is not a permitted key" for key in doc if key not in _TOP_KEYS]
    for key in ("name", "description"):
        if not _nonempty(doc.get(key)):
            faults.append(f"required top level key {key} must be a non-empty string")
    if "title" in doc and not _nonempty(doc["title"]):
        faults.append("title must be a non-empty string")
    labels = doc.get("labels", [])
    if not isinstance(labels, list) or not all(_nonempty(x) for x in labels):
        faults.append("labels must be non-empty strings")
    elif len(set(labels)) != len(labels):
        faults.append("labels must be unique")
    body = doc.get("body")
    if not isinstance(body, list) or not body:
        return [*faults, "body cannot be empty"]
    if all(isinstance(el, dict) and el.get("type") == "markdown" for el in body):
        faults.append("body must contain at least one non-markdown field")
    ids: list[str] = []
    element_labels: list[str] = []
    box_labels: list[str] = []
    for i, el in enumerate(body):
        where = f"body[{i}]"
        kind = el.get("type") if isinstance(el, dict) else None
        if kind not in _ATTRIBUTES:
            faults.append(f"{where}: {kind!r} is not a valid input type")
            continue
        permitted = {"type", "attributes"} | (
            {"id", "validations"} if kind != "markdown" else set()
        )
        if kind == "checkboxes":
            permitted.discard("validations")  # required is per checkbox, not per group
        faults += [f"{where}: {key} is not a permitted key" for key in el if key not in permitted]
        attrs = el.get("attributes")
        if not isinstance(attrs, dict):
            faults.append(f"{where}: attributes missing")
            continue
        faults += [
            f"{where}: {key} is not a permitted attribute"
            for key in attrs
            if key not in _ATTRIBUTES[kind]
        ]
        for key, value in attrs.items():
            if isinstance(value, str) and not value.strip():
                faults.append(f"{where}: {key} must not be an empty string")
        if "id" in el:
            if not isinstance(el["id"], str) or not _ID.match(el["id"]):
                faults.append(f"{where}: id can only contain numbers, letters, -, _")
            ids.append(str(el["id"]))
        if kind == "markdown":
            if not _nonempty(attrs.get("value")):
                faults.append(f"{where}: required attribute key value is missing")
            continue
        if not _nonempty(attrs.get("label")):
            faults.append(f"{where}: label must be a string")
        else:
            element_labels.append(attrs["label"])
        if "validations" in el and (
            not isinstance(el["validations"], dict)
            or set(el["validations"]) - {"required"}
            or not isinstance(el["validations"].get("required", False), bool)
        ):
            faults.append(f"{where}: validations may only hold required: true|false")
        if kind == "dropdown":
            options = attrs.get("options")
            if not isinstance(options, list) or not options:
                faults.append(f"{where}: options cannot be empty")
                continue
            if not all(_nonempty(o) for o in options):
                faults.append(f"{where}: options must be non-empty strings (quote yes/no/true)")
            elif len(set(options)) != len(options):
                faults.append(f"{where}: options must be unique")
            elif any(o.strip().casefold() == "none" for o in options):
                faults.append(f"{where}: options must not include the reserved word, none")
            if not isinstance(attrs.get("multiple", False), bool):
                faults.append(f"{where}: multiple must be a boolean")
        if kind == "checkboxes":
            options = attrs.get("options")
            if not isinstance(options, list) or not options:
                faults.append(f"{where}: options cannot be empty")
                continue
            for option in options:
                if not isinstance(option, dict) or set(option) - {"label", "required"}:
                    faults.append(f"{where}: a checkbox option holds label and required only")
                elif not _nonempty(option.get("label")):
                    faults.append(f"{where}: a checkbox option needs a label")
                else:
                    box_labels.append(option["label"])
            if len(set(box_labels)) != len(box_labels):
                faults.append(f"{where}: checkboxes must have unique labels")
    if len(set(ids)) != len(ids):
        faults.append("body must have unique ids")
    if len(set(element_labels)) != len(element_labels):
        faults.append("body must have unique labels")
    if set(box_labels) & set(element_labels):
        faults.append("checkbox labels must differ from other labels")
    return faults


def test_github_rules_catch_what_they_should() -> None:
    """The checker itself, on forms GitHub refuses."""
    good = {
        "name": "n",
        "description": "d",
        "body": [{"type": "input", "id": "a", "attributes": {"label": "A"}}],
    }
    assert github_faults(good) == []
    bad = copy.deepcopy(good)
    bad["body"] = [{"type": "markdown", "attributes": {"value": "hi"}}]
    assert "body must contain at least one non-markdown field" in github_faults(bad)
    bad = copy.deepcopy(good)
    bad["body"].append({"type": "input", "id": "a b", "attributes": {"label": "A"}})
    assert {
        "body[1]: id can only contain numbers, letters, -, _",
        "body must have unique labels",
    } <= set(github_faults(bad))
    bad = copy.deepcopy(good)
    bad["body"].append(
        {"type": "dropdown", "id": "d", "attributes": {"label": "D", "options": ["x", "None"]}}
    )
    assert github_faults(bad) == ["body[1]: options must not include the reserved word, none"]
    bad = copy.deepcopy(good)
    bad["body"].append(
        {"type": "dropdown", "id": "d", "attributes": {"label": "D", "options": [True, "x"]}}
    )
    assert github_faults(bad) == ["body[1]: options must be non-empty strings (quote yes/no/true)"]
    bad = copy.deepcopy(good)
    bad["labels"] = ["x", ""]
    assert github_faults(bad) == ["labels must be non-empty strings"]


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_generated_forms_follow_githubs_rules(locale: str) -> None:
    files = issue_forms(parse_config(policy(locale=locale)))
    assert set(files) == {"fault.yml", "consult.yml", "config.yml"}
    for name, text in files.items():
        if name == "config.yml":
            continue
        assert github_faults(yaml.safe_load(text)) == [], name
    names = [yaml.safe_load(t)["name"] for n, t in files.items() if n != "config.yml"]
    assert len(set(names)) == len(names)


def test_mini_config_gives_a_valid_form() -> None:
    files = issue_forms(parse_config(MINI))
    assert set(files) == {"fault.yml", "config.yml"}
    doc = yaml.safe_load(files["fault.yml"])
    assert github_faults(doc) == []
    assert doc["labels"] == ["type:fault"]
    assert doc["description"] == "提交故障报修"
    assert "title" not in doc


# ----------------------------------------------------------------------------- content


def _element(doc: dict[str, Any], fid: str) -> dict[str, Any]:
    return next(el for el in doc["body"] if el.get("id") == fid)


def test_form_content(cfg: Config) -> None:
    doc = yaml.safe_load(issue_forms(cfg)["fault.yml"])
    assert doc["name"] == "故障报修"
    assert doc["description"] == "系统出现故障时使用此表单。"
    assert doc["title"] == "[故障] "
    assert doc["labels"] == ["intake", "type:fault"]
    assert doc["body"][0] == {
        "type": "markdown",
        "attributes": {"value": "系统出现故障时使用此表单。\n紧急故障请同时拨打值班电话。"},
    }
    assert [el.get("id") for el in doc["body"][1:]] == cfg.form_by_id["fault"].fields
    assert _element(doc, "summary") == {
        "type": "input",
        "id": "summary",
        "attributes": {"label": "问题概述", "placeholder": "一句话说明问题"},
        "validations": {"required": True},
    }
    assert _element(doc, "logs")["attributes"]["render"] == "shell"
    assert _element(doc, "product")["attributes"]["options"] == ["手机应用", "网站", "开放接口"]
    assert _element(doc, "product")["attributes"]["multiple"] is False
    assert _element(doc, "regions")["attributes"]["multiple"] is True
    impact = _element(doc, "impact")
    assert impact["attributes"]["options"] == [
        {"label": "支付"},
        {"label": "登录"},
        {"label": "数据"},
    ]
    assert "validations" not in impact
    assert _element(doc, "agree")["attributes"]["options"] == [
        {"label": "我已阅读服务说明", "required": True}
    ]
    assert _element(doc, "subscribe")["attributes"]["options"] == [{"label": "有进展时通知我"}]


@pytest.mark.parametrize(
    ("fid", "hint", "placeholder"),
    [
        ("users", "填写数字，如 12、1,200 或 3.5", "12"),
        ("ratio", "填写百分比，如 1.5%", "1.5%"),
        (
            "started",
            "填写日期和时间，如 2026-11-24 14:30（Asia/Shanghai 时间）",
            "2026-11-24 14:30",
        ),
    ],
)
def test_typed_fields_become_inputs_that_state_their_format(
    cfg: Config, fid: str, hint: str, placeholder: str
) -> None:
    el = _element(yaml.safe_load(issue_forms(cfg)["fault.yml"]), fid)
    assert el["type"] == "input"
    assert el["attributes"]["description"] == hint
    assert el["attributes"]["placeholder"] == placeholder


def test_field_description_comes_before_the_format_hint() -> None:
    data = policy()
    data["fields"]["users"]["description"] = "估计即可"
    el = _element(yaml.safe_load(issue_forms(parse_config(data))["fault.yml"]), "users")
    assert el["attributes"]["description"] == "估计即可\n\n填写数字，如 12、1,200 或 3.5"


def test_english_forms(cfg_en: Config) -> None:
    doc = yaml.safe_load(issue_forms(cfg_en)["fault.yml"])
    assert doc["name"] == "Report a fault"
    assert _element(doc, "product")["attributes"]["options"] == [
        "Mobile app",
        "Website",
        "Open API",
    ]
    assert _element(doc, "users")["attributes"]["description"] == "A number, e.g. 12, 1,200 or 3.5"
    assert _element(doc, "started")["attributes"]["label"] == "Started at"


def test_config_yml_turns_blank_issues_off(cfg: Config) -> None:
    text = issue_forms(cfg)["config.yml"]
    assert yaml.safe_load(text) == {"blank_issues_enabled": False}


def test_every_file_carries_the_generated_header(cfg: Config) -> None:
    for text in issue_forms(cfg).values():
        first = text.splitlines()[0]
        assert first.startswith(GENERATED_MARK)
        assert "tracker.yml" in first and "tracker forms" in first
        assert "by hand" in text.splitlines()[0] + text.splitlines()[1]
        assert is_generated(text)


def test_output_is_deterministic(cfg: Config) -> None:
    again = parse_config(policy())
    assert issue_forms(cfg) == issue_forms(again)
    assert list(issue_forms(cfg)) == sorted(issue_forms(cfg))


def test_output_matches_the_reviewed_snapshot(cfg: Config) -> None:
    """A change in the generated text must be deliberate: update the files under
    tests/fixtures/forms/expected/ together with the generator."""
    for name, text in issue_forms(cfg).items():
        assert text == (FIXTURES / "expected" / name).read_text(encoding="utf-8"), name


def test_yaml_words_stay_strings() -> None:
    """Option names YAML 1.1 would read as booleans, numbers or null are quoted."""
    data = policy()
    data["fields"]["product"]["options"] = [
        {"id": "a", "name": "Yes"},
        {"id": "b", "name": "No"},
        {"id": "c", "name": "on"},
        {"id": "d", "name": "12"},
        {"id": "e", "name": "null"},
        {"id": "f", "name": "1.5"},
    ]
    data["fields"]["summary"]["label"] = "true"
    text = issue_forms(parse_config(data))["fault.yml"]
    doc = yaml.safe_load(text)
    assert _element(doc, "product")["attributes"]["options"] == [
        "Yes",
        "No",
        "on",
        "12",
        "null",
        "1.5",
    ]
    assert _element(doc, "summary")["attributes"]["label"] == "true"
    assert github_faults(doc) == []


def test_texts_other_yaml_readers_take_for_numbers_are_quoted() -> None:
    """GitHub's YAML reader takes ``5,000`` for 5000; YAML 1.2 takes ``-.5``, ``1e3`` and
    ``0o17`` for numbers: each is written quoted; text that only starts with a digit is not."""
    data = policy()
    names = ["5,000", "-.5", "1e3", "0o17", "+.5", "y", "3号场"]
    data["fields"]["product"]["options"] = [{"id": f"o{i}", "name": n} for i, n in enumerate(names)]
    text = issue_forms(parse_config(data))["fault.yml"]
    for quoted in ("'5,000'", "'-.5'", "'1e3'", "'0o17'", "'+.5'", "'y'"):
        assert f"      - {quoted}\n" in text
    assert "      - 3号场\n" in text
    assert _element(yaml.safe_load(text), "product")["attributes"]["options"] == names


def test_forms_and_parser_share_labels(cfg: Config, cfg_en: Config) -> None:
    """Each element's label is exactly the heading render_body writes for it."""
    for config in (cfg, cfg_en):
        for form in config.forms:
            doc = yaml.safe_load(issue_forms(config)[f"{form.id}.yml"])
            labels = [el["attributes"]["label"] for el in doc["body"] if el["type"] != "markdown"]
            headings = [
                line[4:]
                for line in render_body(config, form.id, {}).splitlines()
                if line.startswith("### ")
            ]
            assert labels == headings


# ----------------------------------------------------------------------------- refused configs


def _faults_for(mutate: Any) -> list[tuple[str, str]]:
    data = policy()
    mutate(data)
    cfg = parse_config(data)
    with pytest.raises(ConfigError) as info:
        issue_forms(cfg)
    assert info.value.faults == form_faults(cfg)
    return info.value.faults


def _rename_field(data: dict[str, Any], old: str, new: str) -> None:
    data["fields"][new] = data["fields"].pop(old)
    for form in data["forms"]:
        form["fields"] = [new if f == old else f for f in form["fields"]]


@pytest.mark.parametrize(
    ("mutate", "key", "words"),
    [
        (lambda d: _rename_field(d, "summary", "sum mary"), "fields.sum mary", "letters, digits"),
        (
            lambda d: _rename_field(d, "summary", "summary.v2"),
            "fields.summary.v2",
            "letters, digits",
        ),
        (
            lambda d: d["fields"]["detail"].update(label="问题概述"),
            "fields.detail.label",
            "also used",
        ),
        (
            lambda d: d["fields"]["detail"].update(label_en="Summary"),
            "fields.detail.label",
            "also a label",
        ),
        (
            lambda d: d["fields"]["product"]["options"].append({"id": "none", "name": "None"}),
            "fields.product.options",
            "reserved",
        ),
        (
            lambda d: d["fields"]["product"]["options"].append({"id": "web2", "name": "网站"}),
            "fields.product.options",
            "distinct",
        ),
        (
            lambda d: d["fields"]["impact"]["options"].append({"id": "x", "name": "问题概述"}),
            "fields.impact.options",
            "same text as a label",
        ),
        (lambda d: d["fields"]["phone"].update(label="Password"), "fields.phone.label", "password"),
        (
            lambda d: (
                d["fields"]["phone"].update(label="联系电话(手机)"),
                d["fields"]["summary"].update(label="联系电话（手机）"),
            ),
            "fields.phone.label",
            "'联系电话(手机)' is also used by field 'summary'",
        ),
        (
            lambda d: d["fields"]["regions"]["options"].append({"id": "abroad2", "name": "海外(含港澳台)"}),
            "fields.regions.options",
            "option names must be distinct: '海外（含港澳台）' and '海外(含港澳台)' read the same",
        ),
        (
            lambda d: d["fields"]["product"]["options"].append({"id": "api2", "name": "接口", "name_en": "ＯＰＥＮ api"}),
            "fields.product.options",
            "option names must be distinct: 'Open API' and 'ＯＰＥＮ api' read the same",
        ),
        (lambda d: d["forms"][1].update(id="config"), "forms[1].id", "config.yml"),
        (lambda d: d["forms"][1].update(name="故障报修"), "forms[1].name", "also used"),
        (lambda d: d["forms"][1].update(id="fault"), "forms[1].id", "used twice"),
        (lambda d: d["forms"][1]["fields"].append("summary"), "forms[1].fields[5]", "twice"),
    ],
)
def test_configs_github_would_refuse(mutate: Any, key: str, words: str) -> None:
    faults = _faults_for(mutate)
    assert any(k == key and words in why for k, why in faults), faults


def test_valid_config_has_no_faults(cfg: Config, cfg_en: Config) -> None:
    assert form_faults(cfg) == []
    assert form_faults(cfg_en) == []


# ----------------------------------------------------------------------------- writing and drift


def test_write_creates_every_file(cfg: Config, tmp_path: Path) -> None:
    target = tmp_path / ".github" / "ISSUE_TEMPLATE"
    paths = write_issue_forms(cfg, target)
    assert paths == [target / name for name in issue_forms(cfg)]
    for path in paths:
        assert path.read_text(encoding="utf-8") == issue_forms(cfg)[path.name]
    assert b"\r\n" not in paths[0].read_bytes()


def test_write_is_idempotent_and_check_passes(cfg: Config, tmp_path: Path) -> None:
    write_issue_forms(cfg, tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    write_issue_forms(cfg, tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    assert write_issue_forms(cfg, tmp_path, check=True) == [tmp_path / n for n in issue_forms(cfg)]


def test_stale_generated_files_go_and_hand_written_ones_stay(cfg: Config, tmp_path: Path) -> None:
    stale = tmp_path / "old-form.yml"
    stale.write_text(f"{GENERATED_MARK}. Do not edit.\nname: old\n", encoding="utf-8")
    mine = tmp_path / "bug.yml"
    mine.write_text("name: Bug\ndescription: hand-written\nbody: []\n", encoding="utf-8")
    notes = tmp_path / "README.md"
    notes.write_text(f"{GENERATED_MARK}\n", encoding="utf-8")  # not *.yml: left alone
    write_issue_forms(cfg, tmp_path)
    assert not stale.exists()
    assert mine.read_text(encoding="utf-8").startswith("name: Bug")
    assert notes.exists()


def test_hand_written_file_in_the_way_is_not_overwritten(cfg: Config, tmp_path: Path) -> None:
    mine = tmp_path / "config.yml"
    mine.write_text("blank_issues_enabled: true\n", encoding="utf-8")
    with pytest.raises(TrackerError, match=r"config\.yml: written by hand"):
        write_issue_forms(cfg, tmp_path)
    assert mine.read_text(encoding="utf-8") == "blank_issues_enabled: true\n"
    assert not (tmp_path / "fault.yml").exists()


def test_check_writes_nothing_and_names_missing_files(cfg: Config, tmp_path: Path) -> None:
    with pytest.raises(TrackerError) as info:
        write_issue_forms(cfg, tmp_path / "absent", check=True)
    for name in ("config.yml", "consult.yml", "fault.yml"):
        assert name in str(info.value)
    assert not (tmp_path / "absent").exists()


def test_check_names_a_changed_file(cfg: Config, tmp_path: Path) -> None:
    write_issue_forms(cfg, tmp_path)
    data = policy()
    data["fields"]["summary"]["label"] = "一句话概述"
    with pytest.raises(TrackerError) as info:
        write_issue_forms(parse_config(data), tmp_path, check=True)
    message = str(info.value)
    assert str(tmp_path / "fault.yml") in message and str(tmp_path / "consult.yml") in message
    assert "config.yml" not in message
    assert "tracker forms" in message


def test_check_names_a_hand_edited_file(cfg: Config, tmp_path: Path) -> None:
    write_issue_forms(cfg, tmp_path)
    path = tmp_path / "consult.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("咨询", "提问"), encoding="utf-8")
    with pytest.raises(TrackerError, match=r"consult\.yml"):
        write_issue_forms(cfg, tmp_path, check=True)
    write_issue_forms(cfg, tmp_path)  # regenerating repairs it
    write_issue_forms(cfg, tmp_path, check=True)


def test_check_names_a_stale_file(cfg: Config, tmp_path: Path) -> None:
    write_issue_forms(cfg, tmp_path)
    data = policy()
    data["forms"] = [f for f in data["forms"] if f["id"] != "consult"]
    smaller = parse_config(data)
    with pytest.raises(TrackerError, match=r"consult\.yml"):
        write_issue_forms(smaller, tmp_path, check=True)
    write_issue_forms(smaller, tmp_path)
    assert not (tmp_path / "consult.yml").exists()
    write_issue_forms(smaller, tmp_path, check=True)
