"""Real GitHub data shipped in npm packages under ``tests/contracts/node_modules``.

* `webhook_example` returns a real webhook payload from ``@octokit/webhooks-examples``
  (e.g. ``issues.opened``, ``issue_comment.created``) so event-mode tests start from
  what GitHub Actions really hands a workflow in ``GITHUB_EVENT_PATH``.
* `contracts_path` locates a file in an installed package, and skips the calling test
  with the install command as the reason when the packages are not installed.

The packages are pinned in ``tests/contracts/package.json``; install them with
``npm ci --prefix tests/contracts``. This package is installed apart from that folder, so
the environment variable ``FAKEGITHUB_CONTRACTS`` names it (``tests/conftest.py`` sets it
for the test run); `contracts_dir` reads it.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "CONTRACTS_ENV",
    "NPM_INSTALL",
    "contracts_dir",
    "contracts_path",
    "webhook_actions",
    "webhook_example",
    "webhook_examples",
]

CONTRACTS_ENV = "FAKEGITHUB_CONTRACTS"
NPM_INSTALL = "npm ci --prefix tests/contracts"
WEBHOOKS_PACKAGE = "@octokit/webhooks-examples"
WEBHOOKS_FILE = "api.github.com/index.json"


def contracts_dir() -> Path:
    """The folder named by ``FAKEGITHUB_CONTRACTS`` (the repository's ``tests/contracts``).

    Raises LookupError when the variable is not set: that is a broken test setup, not a
    missing download, so it is not a skip.
    """
    value = os.environ.get(CONTRACTS_ENV)
    if not value:
        raise LookupError(f"{CONTRACTS_ENV} is not set; point it at the repository's tests/contracts folder")
    return Path(value)


def contracts_path(package: str, relative: str) -> Path:
    """Path of ``relative`` inside the installed npm ``package``.

    Skips the calling test when ``tests/contracts/node_modules`` is missing; a missing
    file inside an installed package is an error (a wrong pin or path), not a skip.
    """
    node_modules = contracts_dir() / "node_modules"
    if not node_modules.is_dir():
        pytest.skip(f"tests/contracts/node_modules is missing; run `{NPM_INSTALL}`")
    package_dir = node_modules / package
    if not package_dir.is_dir():
        pytest.skip(f"npm package {package} is not installed; run `{NPM_INSTALL}`")
    path = package_dir / relative
    if not path.is_file():
        raise FileNotFoundError(f"{package} has no {relative}; check tests/contracts/package.json")
    return path


@functools.cache
def _webhook_index(path: Path) -> tuple[dict[str, Any], ...]:
    with path.open(encoding="utf-8") as fh:
        return tuple(json.load(fh))


def _index() -> tuple[dict[str, Any], ...]:
    return _webhook_index(contracts_path(WEBHOOKS_PACKAGE, WEBHOOKS_FILE))


def webhook_actions(event: str) -> tuple[str | None, ...]:
    """The actions of ``event`` that have at least one example, in file order."""
    seen: dict[str | None, None] = {}
    for entry in _index():
        if entry["name"] == event:
            for example in entry["examples"]:
                seen.setdefault(example.get("action"), None)
    return tuple(seen)


def webhook_examples(event: str, action: str | None = None) -> list[dict[str, Any]]:
    """Every example payload of ``event`` (and ``action``, if given); deep copies."""
    out = []
    for entry in _index():
        if entry["name"] != event:
            continue
        for example in entry["examples"]:
            if action is None or example.get("action") == action:
                out.append(copy.deepcopy(example))
    return out


def webhook_example(event: str, action: str | None = None, *, index: int = 0) -> dict[str, Any]:
    """One real webhook payload, e.g. ``webhook_example("issues", "opened")``.

    ``index`` picks among several examples of the same event and action. The result is a
    fresh deep copy, safe to edit. Raises LookupError (listing what exists) when the
    package has no such example.
    """
    examples = webhook_examples(event, action)
    if not examples:
        events = sorted({entry["name"] for entry in _index()})
        if event not in events:
            raise LookupError(f"no webhook examples for event {event!r}; events: {events}")
        raise LookupError(f"no {event}.{action} example; actions with examples: {webhook_actions(event)}")
    if not -len(examples) <= index < len(examples):
        raise LookupError(f"{event}.{action} has {len(examples)} examples, not index {index}")
    return examples[index]


# A small desk policy for the GitHub tests and the API-budget benchmark: one form, two grades,
# one response clock with a two-step ladder, calendar always working (UTC).
DESK_CONFIG = """\
version: 1
name: Test desk
locale: en
timezone: UTC
roles:
  responders: {name: Responders, members: [alice, bob]}
  leads: {name: Leads, members: [carol]}
calendars:
  default:
    workdays: [1, 2, 3, 4, 5, 6, 7]
    workday: {working: ["00:00-24:00"]}
    restday: {working: ["00:00-24:00"]}
grades:
  - {id: major, name: Major, color: b60205}
  - {id: minor, name: Minor, color: fbca04}
types:
  - {id: fault, name: Fault}
fields:
  summary: {label: Summary, kind: textarea, required: true}
  severity:
    label: Severity
    kind: dropdown
    required: true
    options: [{id: high, name: High}, {id: low, name: Low}]
forms:
  - {id: fault, name: Fault, type: fault, fields: [summary, severity]}
grading:
  default: minor
  rules:
    - when: {severity: high}
      grade: major
  owners: {major: leads, minor: responders}
clocks:
  - id: response
    name: First response
    start: opened
    stop: [staff_reply]
    within: {major: 1h, minor: 4h}
    ladder: respond
ladders:
  respond:
    steps:
      - after: 0
        mention: [responders]
      - after: 1h
        assign: [leads]
        mention: [leads]
"""
