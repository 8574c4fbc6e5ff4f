"""Crash-safety on a fake GitHub: a run killed anywhere, then run again, ends where an
undisturbed run ends — incidents, their links and every comment included.

The desk is the online preset's: a login failure affecting 1 % of users (a rule incident),
four more login failures inside half an hour (a surge that joins it), a security problem
(a surge of one) and an ordinary bug, graded once, forty minutes late. A run is killed
before each of its writes (GitHub refuses it), after each (GitHub acts, the answer is lost)
and at each commit of its ledger (before and after), and the desk is then run until quiet.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakegithub import FakeGitHub
from github_desk import BOT, Desk, Result, open_desk
from online_story import T, full_state, seed, settle

from tracker.ledger import Ledger
from tracker.protocol import marker_key, parts_of


class Killed(BaseException):
    """The process died: nothing in the run may catch it."""


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path, capsys, monkeypatch)


def incidents_and_links(state: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Which incident keys exist (by issue) and which incident each ticket's links name."""
    opened = {
        n: marker_key(s["body"]) for n, s in state.items() if s["body"] and s["state"] == "open"
    }
    links = {
        n: sorted(p for key, _ in s["comments"] for p in parts_of(key) if p.startswith("incident-link:"))
        for n, s in state.items()
    }
    return {"incidents": opened, "links": {n: ks for n, ks in links.items() if ks}}


@dataclass(frozen=True)
class Story:
    state: dict[int, dict[str, Any]]  # where the story ends, graded without trouble
    writes: int  # the writes of its first run


@pytest.fixture
def undisturbed(desk: Desk) -> Story:
    seed(desk)
    assert desk.run().code == 0
    writes = desk.srv.writes()
    settle(desk, "undisturbed")
    return Story(full_state(desk), writes)


def test_the_story_has_a_rule_incident_joined_by_a_surge_and_a_surge_of_one(
    undisturbed: Story,
) -> None:
    found = incidents_and_links(undisturbed.state)
    assert found["incidents"] == {8: "incident:rule-1", 9: "incident:surge-security-ordinary-6"}
    assert found["links"] == {
        1: ["incident-link:rule-1"], 2: ["incident-link:rule-1"], 3: ["incident-link:rule-1"],
        4: ["incident-link:rule-1"], 5: ["incident-link:rule-1"],
        6: ["incident-link:surge-security-ordinary-6"],
    }  # fmt: skip
    assert not any(k == "?" for s in undisturbed.state.values() for k, _ in s["comments"])


def _fresh(tmp: Path, name: str, capsys: pytest.CaptureFixture[str], fake: FakeGitHub) -> Desk:
    fake.set_now(T)
    d = Desk(fake, tmp / name, capsys)
    seed(d)
    return d


@pytest.mark.slow
@pytest.mark.parametrize("answered", [True, False], ids=["before-write", "after-write"])
def test_a_run_killed_at_any_write_ends_where_an_undisturbed_run_ends(
    desk: Desk, undisturbed: Story, tmp_path: Path, answered: bool
) -> None:
    writes = undisturbed.writes
    assert writes >= 30, writes
    # before-write: GitHub refuses the (k+1)-th write; after-write: it performs the k-th and
    # the answer never arrives. Either way the run dies there (no retries).
    for k in range(0 if answered else 1, writes):
        with FakeGitHub() as fake:
            d = _fresh(tmp_path, f"{answered}-{k}", desk.capsys, fake)
            fake.fail_after_writes(k, answer_last=answered)
            crashed = d.run("--retry-budget", "0")
            assert crashed.code != 0, f"k={k}: the run was not stopped"
            assert fake.writes() == k
            fake.fail_after_writes(None)
            settle(d, f"k={k}")
            assert full_state(d) == undisturbed.state, f"k={k}: a duplicate, a loss or a different incident"


@contextmanager
def _killed_at_commit(monkeypatch: pytest.MonkeyPatch, k: int, after: bool) -> Iterator[list[int]]:
    """Kill the process at the ``k``-th commit of the ledger (1-based), just before the
    commit (it never happens) or just after it. Yields the number of commits seen."""
    original = Ledger.transaction
    seen = [0]

    @contextmanager
    def transaction(self: Ledger) -> Iterator[Ledger]:
        top = self._depth == 0
        with original(self) as led:
            yield led
            if top:
                seen[0] += 1
                if seen[0] == k and not after:
                    raise Killed
        if top and seen[0] == k and after:
            raise Killed

    monkeypatch.setattr(Ledger, "transaction", transaction)
    try:
        yield seen
    finally:
        monkeypatch.setattr(Ledger, "transaction", original)


def _run_killable(d: Desk) -> Result | None:
    try:
        return d.run("--retry-budget", "0")
    except Killed:
        return None


@pytest.mark.slow
def test_a_run_killed_at_any_ledger_commit_ends_where_an_undisturbed_run_ends(
    desk: Desk,
    undisturbed: Story,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeGitHub() as fake:
        counting = _fresh(tmp_path, "count", desk.capsys, fake)
        with _killed_at_commit(monkeypatch, 0, after=False) as seen:
            assert counting.run().code == 0
        commits = seen[0]
    assert commits >= 3, commits
    for k in range(1, commits + 1):
        for after in (False, True):
            with FakeGitHub() as fake:
                d = _fresh(tmp_path, f"commit-{k}-{after}", desk.capsys, fake)
                with _killed_at_commit(monkeypatch, k, after) as seen:
                    died = _run_killable(d) is None
                assert died, f"commit {k}: the run outlived it"
                settle(d, f"commit {k} after={after}")
                assert full_state(d) == undisturbed.state, f"commit {k} after={after}"


@pytest.mark.slow
def test_stopped_at_the_budget_floor_around_an_incident_the_next_runs_link_it(
    desk: Desk, undisturbed: Story, tmp_path: Path
) -> None:
    """A stop at the API floor (exit 6) just before, at or just after the request that
    opens the first incident leaves the rest, links included, to the next runs."""
    with FakeGitHub() as fake:
        d = _fresh(tmp_path, "count", desk.capsys, fake)
        assert d.run().code == 0
        opening = next(
            i for i, r in enumerate(fake.requests) if r.method == "POST" and r.path.endswith("/issues")
        )
    for spare in range(opening - 1, opening + 4):
        with FakeGitHub() as fake:
            d = _fresh(tmp_path, f"floor-{spare}", desk.capsys, fake)
            fake.set_rate_remaining(50 + spare)
            first = d.run("--min-budget", "50")
            assert first.code == 6, f"spare={spare}: {first.err}"
            fake.set_rate_remaining(5000)
            settle(d, f"spare={spare}")
            assert full_state(d) == undisturbed.state, f"spare={spare}"


def test_an_incident_opened_twice_by_two_runs_at_once_is_merged_by_the_next_run(
    desk: Desk, undisturbed: Story
) -> None:
    """Two runs both opened the rule incident (#8, and #10 a moment later) and the link
    kept on two members names #10: the next run closes #10 as a duplicate of #8 and points
    those links to #8; the run after that has nothing to do."""
    first = desk.srv.issues[8]
    assert marker_key(first["body"]) == "incident:rule-1"
    second = desk.srv.add_issue(
        title=first["title"], body=first["body"], user=BOT, author_association="NONE",
        labels=[lb["name"] for lb in first["labels"]], created_at=T + timedelta(minutes=40),
        user_type="Bot",
    )  # fmt: skip
    assert second["number"] == 10
    for c in desk.srv.comments.values():
        if c["issue_url"].endswith(("/issues/1", "/issues/2")) and "#8" in c["body"]:
            c["body"] = c["body"].replace("#8", "#10")
    desk.srv.issues[1]["updated_at"] = desk.srv.issues[2]["updated_at"] = desk.srv.issues[10]["updated_at"]

    merged = desk.run()
    assert merged.code == 0, merged.err
    after = full_state(desk)
    assert after[10]["state"] == "closed" and desk.srv.issues[10]["state_reason"] == "not_planned"
    assert [k for k, _ in after[10]["comments"]] == ["incident-duplicate:rule-1"]
    assert after[10]["comments"][0][1].split("\n", 1)[1].startswith("Duplicate of #8")
    assert {n: s for n, s in after.items() if n != 10} == undisturbed.state
    desk.srv.reset_counts()
    assert desk.run().json["writes"] == 0
