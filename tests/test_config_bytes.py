"""Any bytes, any nesting: ``tracker validate`` and every config load end in exit 2 and
``file: where: fault``, never a traceback."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.cli import main
from tracker.config import load_config, preset_path
from tracker.config_yaml import parse_policy_text
from tracker.errors import ConfigError


def _validate(tmp: Path, data: bytes) -> tuple[int, str]:
    (tmp / "tracker.yml").write_bytes(data)
    err = io.StringIO()
    old = os.getcwd()
    os.chdir(tmp)
    code = 0
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                main(["validate"])
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        os.chdir(old)
    return code, err.getvalue()


_LAUGHS = b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n".encode() for i in range(1, 12)
)


@pytest.mark.parametrize(
    ("data", "fault"),
    [
        (b"version: 1\nname: \xff\xfe\n", "tracker.yml: line 2: not UTF-8 text"),
        (b"a: " + b"[" * 500 + b"]" * 500 + b"\n", "tracker.yml: line 1: nested more than 40 levels deep"),
        (b"a: " + b"{x: " * 500 + b"1" + b"}" * 500 + b"\n", "nested more than 40 levels deep"),
        (b"version: 1\nname: a\nname: b\n", "tracker.yml: line 3: key 'name' given twice"),
        (_LAUGHS, "more than 200000 values once aliases are expanded"),
        (b"\x00\x01\x02", "tracker.yml:"),
        (b"? [a, b]\n: 1\n", "tracker.yml:"),
        (b"- 1\n- 2\n", "tracker.yml: (top level): the file must hold a mapping of settings"),
    ],
)
def test_validate_reports_every_fault_as_one_line(tmp_path: Path, data: bytes, fault: str) -> None:
    code, err = _validate(tmp_path, data)
    assert code == 2, err
    assert err.startswith("error: ") and fault in err, err
    assert "Traceback" not in err


def test_a_duplicate_key_deep_in_a_preset_is_a_fault(tmp_path: Path) -> None:
    text = preset_path("club").read_text(encoding="utf-8")
    broken = text.replace("\nroles:\n", "\nroles:\n  x: {name: X}\n  x: {name: Y}\n", 1)
    assert broken != text
    path = tmp_path / "tracker.yml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "key 'x' given twice" in str(caught.value)


def test_the_presets_still_load() -> None:
    for name in ("yoga", "club", "online", "emergency", "desk"):
        assert load_config(preset_path(name)).name


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_load_or_fail_as_a_config_error(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        parse_policy_text(text)
    except ConfigError as exc:
        assert exc.faults


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=3000), st.sampled_from(["[", "{a: "]))
def test_any_nesting_is_a_config_error(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    text = "x: " + opener * depth + "1" + closer * depth
    try:
        data = parse_policy_text(text)
    except ConfigError as exc:
        assert exc.faults
    else:
        assert depth <= 40 and isinstance(data, dict)
