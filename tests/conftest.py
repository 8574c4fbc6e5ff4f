"""Shared test setup.

The tests import ``tracker`` and the GitHub fake (``fakegithub``, from ``tests/fakegithub``)
as installed distributions: ``bash scripts/setup.sh --test`` installs both (not editable),
and ``test_installed.py`` fails when ``tracker`` comes from the source tree instead. Shared
test code that sits next to the tests (``github_desk``, ``policy_helpers``) is imported by
name: pytest puts this folder on ``sys.path`` for the test modules here.

Property tests never depend on timing (no per-example deadline); in CI (``CI`` set) they
draw the same examples every run, so a red build is the code's fault, not the dice's.

The fake finds GitHub's contract data (npm packages in ``tests/contracts``) through
``FAKEGITHUB_CONTRACTS``; it is set here unless the caller already points it elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import fakegithub
import pytest
from hypothesis import settings

import tracker

HERE = Path(__file__).resolve().parent

os.environ.setdefault(fakegithub.fixtures.CONTRACTS_ENV, str(HERE / "contracts"))

settings.register_profile("desk", deadline=None, derandomize=bool(os.environ.get("CI")), print_blob=True)
settings.load_profile("desk")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"tracker: {Path(tracker.__file__).parent}",
        f"fakegithub: {Path(fakegithub.__file__).parent}",
        f"{fakegithub.fixtures.CONTRACTS_ENV}: {os.environ[fakegithub.fixtures.CONTRACTS_ENV]}",
    ]
