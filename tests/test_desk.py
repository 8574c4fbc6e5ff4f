"""The desk on one machine: the grader's memory changes how much is read, never the result."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.demo import run_preset


def _state(store) -> list[tuple]:
    return [
        (t.number, t.state, t.labels, t.assignees, tuple((c.author, c.body) for c in t.comments))
        for t in store.tickets()
    ]


@pytest.mark.parametrize("preset", ["club", "online", "desk", "yoga", "emergency"])
def test_a_week_with_memory_ends_exactly_as_a_week_without(tmp_path: Path, preset: str) -> None:
    lines: list[str] = []
    states = []
    for remember in (True, False):
        out = tmp_path / str(remember)
        store, _ = run_preset(preset, out, step_minutes=20, echo=lines.append, days=4, remember=remember)
        try:
            states.append(_state(store))
        finally:
            store.close()
    assert states[0] == states[1]
    assert states[0]  # the week produced tickets
