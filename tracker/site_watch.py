"""Whether the incidents page is out of date after a grader run.

The grader's run calls :func:`incidents_changed` with the ledger: it fingerprints what the
incidents page shows of every incident ticket (title, state, labels, every comment and its
last edit -- updates, wording, the report, links to members) and compares the fingerprint
with the one kept in the ledger's meta table from the last time. A change (an incident
opened, changed or resolved) is recorded and reported, and the grader workflow then
dispatches the publish workflow, whose concurrency group collapses a burst into one build.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tracker.config import Config
from tracker.model import Ticket

META_KEY = "site:incidents"


def incidents_fingerprint(tickets: Iterable[Ticket], cfg: Config) -> str:
    """A digest of everything the incidents page shows of the incident tickets (pure)."""
    label = cfg.labels.incident
    rows: list[Any] = []
    for t in sorted((t for t in tickets if label in t.labels), key=lambda t: t.number):
        comments = [(c.id, (c.updated_at or c.created_at).isoformat()) for c in t.comments]
        rows.append([t.number, t.title, t.state, sorted(t.labels), comments])
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()


def incidents_changed(store: Any, cfg: Config) -> bool:
    """Record the incidents' fingerprint in the ledger; True when it differs from the last one."""
    digest = incidents_fingerprint(store.tickets(), cfg)
    if store.get_meta(META_KEY) == digest:
        return False
    store.set_meta(META_KEY, digest)
    return True


def announce_publish(changed: bool) -> None:
    """Tell the workflow (``publish=true|false`` in ``GITHUB_OUTPUT``) whether to publish."""
    out = os.environ.get("GITHUB_OUTPUT")
    if out:
        with Path(out).open("a", encoding="utf-8") as fh:
            fh.write(f"publish={'true' if changed else 'false'}\n")
