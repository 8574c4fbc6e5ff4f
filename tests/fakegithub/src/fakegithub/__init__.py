"""A local fake of GitHub's REST API for tests, plus GitHub's own contract data.

* `FakeGitHub` — one repository's issues, comments, events and labels behind a real
  HTTP server on 127.0.0.1 (see `server`).
* `load_contract` — GitHub's official OpenAPI description, to validate answers.
* `webhook_example` — real webhook payloads for event-mode tests.

The contract data lives in npm packages pinned in ``tests/contracts/package.json``
(``npm ci --prefix tests/contracts``), found through the ``FAKEGITHUB_CONTRACTS``
environment variable (see `fixtures`); tests that need it skip when it is missing.
"""

from __future__ import annotations

from .fixtures import contracts_path, webhook_actions, webhook_example, webhook_examples
from .openapi import ContractViolation, OpenAPIContract, load_contract
from .server import BOT_LOGIN, SERVED_OPERATIONS, FakeGitHub, FaultKind, Recorded, WriteGate

__all__ = [
    "BOT_LOGIN",
    "SERVED_OPERATIONS",
    "ContractViolation",
    "FakeGitHub",
    "FaultKind",
    "OpenAPIContract",
    "Recorded",
    "WriteGate",
    "contracts_path",
    "load_contract",
    "webhook_actions",
    "webhook_example",
    "webhook_examples",
]
