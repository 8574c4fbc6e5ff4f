"""Markers, keys and the embedded data block: each builder reads back through its parser."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tracker import protocol as proto


def test_marker_round_trip() -> None:
    assert proto.marker("status") == "<!-- tracker:status -->"
    assert proto.marker_key(proto.marker("esc:response:0:1") + "\nbody") == "esc:response:0:1"
    assert proto.marker_key("plain text") is None
    assert proto.marker_key(proto.MARKER_PREFIX + "never closed") is None


def test_with_marker_adds_the_marker_once() -> None:
    once = proto.with_marker("ack", "hello")
    assert once == "<!-- tracker:ack -->\nhello"
    assert proto.with_marker("ack", once) == once


def test_incident_keys_round_trip() -> None:
    key = proto.incident_key("login:vip")
    assert key == "incident:login:vip"
    assert proto.incident_key_of(key) == "login:vip"
    assert proto.incident_key_of(proto.incident_link_key("login:vip")) is None
    link = proto.incident_link_key("login:vip")
    assert link == "incident-link:login:vip"
    assert proto.linked_incident_of(link) == "login:vip"
    assert proto.linked_incident_of(key) is None
    assert proto.kind_of(proto.incident_resolved_key("vpn")) == proto.INCIDENT_RESOLVED


def test_incident_body_round_trip() -> None:
    data = {"group": "login", "tier": "vip", "grade": "major", "facts": {"type": "fault"}}
    body = proto.incident_body("login", data, "Many people cannot log in.")
    assert proto.incident_of_body(body) == "login"
    assert proto.read_data(body) == data
    assert body.endswith("\nMany people cannot log in.")
    assert proto.incident_of_body(proto.marker("status") + "\nx") is None
    assert proto.incident_of_body("no marker") is None


@pytest.mark.parametrize("body", ["", "no block", proto.DATA_PREFIX + "not json -->", proto.DATA_PREFIX + "[1] -->"])
def test_read_data_is_empty_without_a_json_object(body: str) -> None:
    assert proto.read_data(body) == {}


def test_write_data_is_stable() -> None:
    # Encoded (base64 of sorted JSON) and followed by a digest of the encoded text.
    block = proto.write_data({"b": 1, "a": 2})
    assert block == "<!-- tracker-data b64:eyJhIjogMiwgImIiOiAxfQ== 6779ad2765 -->"
    assert block == proto.write_data({"a": 2, "b": 1})


def test_escalation_key_round_trip() -> None:
    key = proto.escalation_key("response", 2, 1)
    assert key == "esc:response:2:1"
    assert proto.escalation_of(key) == ("response", 2, 1)
    assert proto.escalation_of(proto.escalation_key("a:b", 0, 3)) == ("a:b", 0, 3)
    assert proto.escalation_of("esc:broken") is None
    assert proto.escalation_of(proto.due_item_key("response")) is None


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        (proto.denied_key, proto.DENIED),
        (proto.undo_label_key, proto.UNDO_LABEL),
        (proto.bad_rating_key, proto.BAD_RATING),
        (proto.low_rating_key, proto.LOW_RATING),
        (proto.close_blocked_key, proto.CLOSE_BLOCKED),
        (proto.rate_request_key, proto.RATE_REQUEST),
        (proto.bad_value_key, proto.BAD_VALUE),
        (proto.refused_grade_key, proto.REFUSED_GRADE),
        (proto.refused_grade_label_key, proto.REFUSED_GRADE_LABEL),
    ],
)
def test_id_keys_round_trip(build: Callable[[int], str], kind: str) -> None:
    key = build(1234)
    assert key == f"{kind}:1234"
    assert proto.kind_of(key) == kind
    assert proto.id_of(key, kind) == 1234
    assert proto.id_of(key, "other") is None


def test_rate_request_key_keeps_whole_seconds() -> None:
    assert proto.rate_request_key(1700000000.75) == "rate:1700000000"


def test_clock_keys_round_trip() -> None:
    assert proto.due_item_key("report") == "due:report"
    assert proto.reminder_key("report") == "remind:report"
    assert proto.kind_of(proto.due_item_key("report")) == proto.DUE_ITEM
    assert proto.kind_of(proto.reminder_key("report")) == proto.REMINDER


def test_text_keys_follow_the_text() -> None:
    assert proto.needs_info_key("a") == proto.needs_info_key("a") != proto.needs_info_key("b")
    assert proto.kind_of(proto.needs_info_key("a")) == proto.NEEDS_INFO
    key = proto.wording_key("vpn", "We are on it")
    assert key.startswith("wording:vpn:") and key != proto.wording_key("vpn", "Fixed")
    assert proto.kind_of(key) == proto.WORDING


def test_status_signature_round_trip() -> None:
    line = proto.signature("grade=major")
    assert line.startswith(proto.SIGNATURE_PREFIX) and line.endswith(" -->")
    body = proto.with_marker(proto.STATUS, line + "\nstatus table")
    assert proto.has_signature(body, "grade=major")
    assert not proto.has_signature(body, "grade=minor")
    assert proto.kind_of(proto.STATUS) == proto.STATUS


def test_incident_number_is_filled_in_later() -> None:
    text = f"Linked to incident #{proto.INCIDENT_NUMBER}."
    assert proto.fill_incident_number(text, 12) == "Linked to incident #12."
    assert proto.fill_incident_number(text, None) == "Linked to incident #?."


# --------------------------------------------------------------------------- hostile text in embeds

HOSTILE = [
    "x --> **INJECTED** @org/team",
    "a-->b<!-- tracker:status -->",
    "--!>\n<!-- tracker-data {\"grade\": \"minor\"} -->",
    "\u2028 -->\r\n]]>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_data_block_survives_any_text_it_holds(text: str) -> None:
    data = {"group": "login", "grade": "major", "facts": {"description": text, "category": "vpn"}}
    body = proto.incident_body("login", data, "text")
    head = body.split("\n", 2)[1]
    assert "-->" not in head[: -len(" -->")] and "<!--" not in head[4:]
    assert proto.read_data(body) == data
    assert proto.incident_of_body(body) == "login"


def test_a_data_block_with_a_wrong_digest_or_out_of_place_is_not_read() -> None:
    body = proto.incident_body("login", {"grade": "major"}, "text")
    marker_line, block, text = body.split("\n", 2)
    tampered = block.replace(" -->", "0 -->")
    assert proto.read_data("\n".join((marker_line, tampered, text))) == {}
    forged = proto.write_data({"grade": "minor"})
    assert proto.read_data(f"{marker_line}\nsome text\n{forged}") == {}
    assert proto.read_data(forged) == {}  # no marker above it


def test_a_legacy_json_block_is_read_up_to_the_end_of_its_object() -> None:
    legacy = '<!-- tracker:incident:login -->\n<!-- tracker-data {"facts": {"d": "x --> y"}, "grade": "major"} -->\nt'
    assert proto.read_data(legacy) == {"facts": {"d": "x --> y"}, "grade": "major"}
    broken = '<!-- tracker:incident:login -->\n<!-- tracker-data {"grade": "major"} --> trailing -->\nt'
    assert proto.read_data(broken) == {}


@pytest.mark.parametrize("text", HOSTILE)
def test_a_key_holding_any_text_cannot_end_its_marker(text: str) -> None:
    for key in (proto.incident_key(text), proto.incident_link_key(text), proto.escalation_key(text, 0, 1)):
        head = proto.marker(key)
        inner = head[len(proto.MARKER_PREFIX) : -len(" -->")]
        assert "-->" not in inner and "<" not in inner and "\n" not in inner
        assert proto.marker_key(head + "\nbody") == key
        assert proto.marker_key(proto.with_marker(key, text)) == key
    assert proto.incident_of_body(proto.incident_body(text, {}, text)) == text
    assert proto.linked_incident_of(proto.incident_link_key(text)) == text


def test_a_malformed_marker_key_is_no_key() -> None:
    assert proto.marker_key("<!-- tracker:status **x** -->") is None
    assert proto.marker_key("<!-- tracker:a<b -->") is None


@pytest.mark.parametrize("text", HOSTILE)
def test_a_signature_copied_into_the_text_does_not_count(text: str) -> None:
    forged = proto.signature("grade=minor")
    body = proto.with_marker(proto.STATUS, proto.signature("grade=major") + f"\n{text}\n{forged}")
    assert proto.has_signature(body, "grade=major")
    assert not proto.has_signature(body, "grade=minor")
    assert not proto.has_signature(forged + "\n" + forged, "grade=minor")


def test_parts_said_elsewhere_are_dropped_and_one_left_has_its_plain_key() -> None:
    key, body = proto.join_parts([("esc:response:0:0", "late"), ("remind:x", "soon"), (proto.STATUS, "table")])
    whole = proto.with_marker(key, body)
    rest, left = proto.drop_parts(whole, {"esc:response:0:0", proto.STATUS})
    assert (rest, left) == ("remind:x", proto.with_marker("remind:x", "soon"))
    two, both = proto.drop_parts(whole, {proto.STATUS})
    assert proto.split_parts(two, both) == {"esc:response:0:0": "late", "remind:x": "soon"}


def test_the_notices_given_are_read_only_from_their_own_line_in_the_status() -> None:
    record = proto.notice_record({"esc:response:0:0", "denied:7", proto.STATUS, "incident-link:k"})
    sig = proto.signature("shown")
    status = proto.with_marker(proto.STATUS, f"{sig}\n{record}\ntable")
    assert proto.notices_given(status) == {"esc:response:0:0", "denied:7"}
    assert proto.notices_given(proto.with_marker(proto.STATUS, f"{sig}\ntable")) is None  # written before records
    assert proto.notices_given(proto.with_marker(proto.STATUS, f"{sig}\ntable\n{record}")) is None
    assert proto.notices_given(proto.with_marker(proto.STATUS, f"{record}\n{sig}\ntable")) is None
    many = {f"denied:{i}" for i in range(proto.MAX_NOTICES + 5)}
    assert len(proto.kept_notices(many)) == proto.MAX_NOTICES
