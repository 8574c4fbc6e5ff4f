"""Mirror one GitHub repository's issues, comments and events into the ledger.

Three bulk, incremental lists, each about one request when nothing changed:

* issues: ``state=all, sort=updated, direction=asc, since=<cursor>``, 100 a page;
* the repository-wide issue comments list, the same way;
* the repository-wide issue events list, newest first, stopping at the first event whose
  id is at or below the highest id already mirrored (ids only grow, so that event and
  everything after it is known).

Pull requests (which GitHub lists among issues) are skipped everywhere.

The issues and comments lists are walked by *keyset*: each next page asks again with
``since`` set just below the last time on the page (one second of overlap, deduplicated by
id) instead of following page numbers, so an item updated while the walk runs cannot shift
another past a page boundary. Page numbers are used only when a whole page shares one
timestamp. Each page is written with its cursor in one transaction, so a run stopped by
the API budget resumes where it stopped. The events walk keeps the same kind of resumable
state (the crawl's top id and next page). The final cursor is just past the newest
``updated_at`` seen, but never later than :data:`OVERLAP` before now by GitHub's clock
(the list's ``Date``; the runner's clock may be off): an update from the last minute may
not be listed yet, so it is read again (and deduplicated) rather than missed, while a
quiet repository costs one request per list.

The ledger is only a cache (kept between workflow runs by the Actions cache): when it is
missing, made for another repository, or written by another sync format, :func:`open_ledger`
starts it afresh and the next sync reads everything. Correctness never depends on it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tracker.errors import DamagedStore, UsageError
from tracker.github_hub import (
    PER_PAGE,
    GitHubHub,
    GitHubRequestError,
    comment_from_api,
    is_bot_user,
    login_of,
    parse_time,
)
from tracker.ledger import Ledger
from tracker.ledger_health import SIDE_FILES, is_local_desk, move_aside
from tracker.model import Comment, Event, Ticket
from tracker.protocol import incident_of_body

log = logging.getLogger("tracker.sync")

SYNC_FORMAT = "1"  # bump when what the mirror stores changes: old ledgers are rebuilt
OVERLAP = timedelta(seconds=60)
KEYSET_STEP = timedelta(seconds=1)

META_REPO = "github.repo"
META_FORMAT = "github.sync_format"
META_ISSUES = "github.issues_cursor"
META_COMMENTS = "github.comments_cursor"
META_EVENTS = "github.events_frontier"
META_EVENTS_CRAWL = "github.events_crawl"
META_LABELS = "github.labels"
META_GONE = "github.gone"
META_SYNCED = "github.synced_at"


# --------------------------------------------------------------------------- conversion


def ticket_from_api(data: dict[str, Any], bot_login: str = "") -> Ticket:
    """One REST issue (or webhook ``issue``) as a ticket header (no comments or events)."""
    user = data.get("user")
    created = parse_time(data.get("created_at"))
    assert created is not None, "an issue always has created_at"
    return Ticket(
        number=int(data["number"]),
        title=data.get("title") or "",
        body=data.get("body") or "",
        author=login_of(user),
        created_at=created,
        updated_at=parse_time(data.get("updated_at")) or created,
        state="closed" if data.get("state") == "closed" else "open",
        closed_at=parse_time(data.get("closed_at")),
        labels=tuple(lb["name"] if isinstance(lb, dict) else str(lb) for lb in data.get("labels") or ()),
        assignees=tuple(login_of(a) for a in data.get("assignees") or ()),
        author_association=data.get("author_association") or "NONE",
        author_is_bot=is_bot_user(user) or (bool(bot_login) and login_of(user) == bot_login),
    )


def comment_number(data: dict[str, Any]) -> int:
    return int(str(data.get("issue_url", "")).rstrip("/").rsplit("/", 1)[-1])


def is_pull_request_comment(data: dict[str, Any]) -> bool:
    return "/pull/" in str(data.get("html_url", ""))


def event_from_api(data: dict[str, Any], bot_login: str = "") -> Event:
    """One REST issue event as a model :class:`Event`."""
    actor = data.get("actor")
    label = data.get("label") or {}
    assignee = data.get("assignee") or {}
    created = parse_time(data.get("created_at"))
    assert created is not None, "an event always has created_at"
    return Event(
        id=int(data["id"]),
        actor=login_of(actor),
        kind=str(data.get("event", "")),
        created_at=created,
        label=label.get("name") if isinstance(label, dict) else None,
        assignee=assignee.get("login") if isinstance(assignee, dict) else None,
        is_bot=is_bot_user(actor) or (bool(bot_login) and login_of(actor) == bot_login),
    )


def comment_for(data: dict[str, Any], bot_login: str = "") -> Comment:
    c = comment_from_api(data)
    if bot_login and c.author == bot_login and not c.is_bot:
        c = Comment(c.id, c.author, c.body, c.created_at, c.author_association, True, c.updated_at)
    return c


# --------------------------------------------------------------------------- ledger


def _discard(path: Path) -> None:
    for suffix in ("", *SIDE_FILES):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """A ledger started afresh because its file could not be trusted; the next sync reads all."""

    path: Path
    why: str  # what was wrong with the file (SQLite's words, or "empty")
    aside: Path | None  # where the damaged file was moved; None when there was nothing to keep


def _log_rebuilt(rebuilt: Rebuilt) -> None:
    log.warning("the ledger %s was rebuilt: %s", rebuilt.path, rebuilt.why)


def open_ledger(path: str | Path, repo: str, *, on_rebuild: Callable[[Rebuilt], None] = _log_rebuilt) -> Ledger:
    """Open the mirror of ``repo``, starting afresh if it is unusable as a cache.

    The ledger is only a cache of GitHub, so a damaged file (cut short, bad pages, not
    SQLite, empty) is moved aside and replaced by an empty ledger that the next sync fills;
    ``on_rebuild`` is told why. One written by another sync format, or mirroring another
    repository, is replaced the same way. A file that is SQLite but not a tracker store, or
    from a newer tracker, is refused untouched (:class:`~tracker.errors.ForeignStore`); so
    is one that holds tickets but was never a GitHub mirror (a local desk), even damaged.
    """
    path = Path(path)
    if str(path) == ":memory:":
        return _mirror(Ledger(path), path, repo, on_rebuild)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.stat().st_size == 0 and not Path(f"{path}-wal").exists():
        on_rebuild(Rebuilt(path, "the file was empty", None))
    try:
        store = Ledger(path)
    except DamagedStore as exc:
        return rebuild_ledger(path, repo, exc, on_rebuild)
    try:
        return _mirror(store, path, repo, on_rebuild)
    except DamagedStore as exc:
        store.close()
        return rebuild_ledger(path, repo, exc, on_rebuild)


def rebuild_ledger(
    path: str | Path, repo: str, damage: DamagedStore, on_rebuild: Callable[[Rebuilt], None] = _log_rebuilt
) -> Ledger:
    """Move a damaged ledger aside and start an empty one (closed by the caller beforehand).

    A local desk is never moved: its store is the desk itself, not a cache.
    """
    path = Path(path)
    if is_local_desk(path, META_REPO):
        raise UsageError(
            f"{path} holds a local desk, not a mirror of a GitHub repository, and it is damaged: {damage} "
            "Pass another --db for the GitHub ledger."
        )
    aside = move_aside(path)
    on_rebuild(Rebuilt(path, damage.reason, aside))
    return _stamp(Ledger(path), repo)


def _mirror(store: Ledger, path: Path, repo: str, on_rebuild: Callable[[Rebuilt], None]) -> Ledger:
    mirrored = store.get_meta(META_REPO)
    if mirrored is None:
        if store.max_number() > 0:
            store.close()
            raise UsageError(
                f"{path} holds a local desk, not a mirror of a GitHub repository; "
                "pass another --db for the GitHub ledger"
            )
        return _stamp(store, repo)
    if mirrored == repo and store.get_meta(META_FORMAT) == SYNC_FORMAT:
        return store
    why = f"it mirrors {mirrored}" if mirrored != repo else "it was written by another version"
    log.warning("rebuilding the ledger %s: %s", path, why)
    store.close()
    _discard(path)
    return _stamp(Ledger(path), repo)


def _stamp(store: Ledger, repo: str) -> Ledger:
    with store.transaction():
        store.set_meta(META_REPO, repo)
        store.set_meta(META_FORMAT, SYNC_FORMAT)
    return store


def is_warm(store: Ledger) -> bool:
    """True once a full sync has completed into this ledger."""
    return store.get_meta(META_SYNCED) is not None


def known_labels(store: Ledger) -> set[str]:
    return set(json.loads(store.get_meta(META_LABELS) or "[]"))


def remember_labels(store: Ledger, names: Iterable[str]) -> None:
    store.set_meta(META_LABELS, json.dumps(sorted(set(names)), ensure_ascii=False))


@dataclass(frozen=True, slots=True)
class Missing:
    """An issue GitHub answered 404 (or 410) for, when it was expected to be there.

    Suspected until it is missing again on a check at least :data:`GONE_AFTER` after the
    first (``since``); then gone. Replica lag answers 404 for a moment, so one miss, or two
    within seconds, never removes a live ticket.
    """

    since: datetime | None  # the first check that found it missing (None: not known)
    gone: bool = False


GONE_AFTER = timedelta(hours=1)


def missing_tickets(store: Ledger) -> dict[int, Missing]:
    """Every issue suspected or found gone, by number."""
    raw = json.loads(store.get_meta(META_GONE) or "{}")
    if isinstance(raw, list):  # an older ledger's list, made on one miss: suspects again
        return {int(n): Missing(None) for n in raw}
    return {
        int(n): Missing(datetime.fromisoformat(m["since"]) if m.get("since") else None, bool(m.get("gone")))
        for n, m in raw.items()
    }


def _keep_missing(store: Ledger, missing: dict[int, Missing]) -> None:
    value = {
        str(n): {"since": m.since.isoformat() if m.since else None, "gone": m.gone} for n, m in sorted(missing.items())
    }
    store.set_meta(META_GONE, json.dumps(value))


def gone_tickets(store: Ledger) -> set[int]:
    """Issues left out of grading: gone (deleted or transferred) or suspected of it.

    Nothing is planned for a suspected ticket, so nothing is taken from it on a 404 that
    does not last; :func:`recheck_missing` brings it back when GitHub has it again.
    """
    return set(missing_tickets(store))


def remember_gone(store: Ledger, number: int, now: datetime) -> None:
    """Issue ``number`` answered 404 (and again when checked): suspected gone from ``now``."""
    missing = missing_tickets(store)
    if number not in missing:
        missing[number] = Missing(now)
        _keep_missing(store, missing)


def recheck_missing(hub: GitHubHub, store: Ledger, now: datetime, listed: Iterable[int] = ()) -> list[int]:
    """Ask GitHub again for every suspected issue, and for a gone one a listing shows updated.

    One found is live again (returned; the caller forgets what it remembered of it); one
    still missing at least :data:`GONE_AFTER` after its first miss is gone, and is not
    asked for again unless a listing shows it.
    """
    missing = missing_tickets(store)
    shown = set(listed)
    back: list[int] = []
    for number, m in sorted(missing.items()):
        if m.gone and number not in shown:
            continue
        if not hub.issue_gone(number):
            del missing[number]
            back.append(number)
            continue
        since = m.since or now
        missing[number] = Missing(since, now - since >= GONE_AFTER)
    if missing != missing_tickets(store):
        _keep_missing(store, missing)
    return back


# --------------------------------------------------------------------------- sync


@dataclass
class SyncReport:
    """What one sync read and changed."""

    full: bool = False
    issues: int = 0
    comments: int = 0
    events: int = 0
    pull_requests_skipped: int = 0
    changed: set[int] = field(default_factory=set)  # tickets whose mirror changed
    requests: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "full": self.full,
            "issues": self.issues,
            "comments": self.comments,
            "events": self.events,
            "pull_requests_skipped": self.pull_requests_skipped,
            "changed": len(self.changed),
            "requests": self.requests,
        }


def _cursor(store: Ledger, key: str) -> datetime | None:
    value = store.get_meta(key)
    return datetime.fromisoformat(value) if value else None


def _stored(store: Ledger, numbers: Iterable[int]) -> dict[int, Ticket]:
    return {t.number: t for t in store.tickets(numbers=set(numbers))}


class _Mirror:
    """One sync pass: the hub to read from, the ledger to write to, the report to fill."""

    def __init__(self, hub: GitHubHub, store: Ledger, report: SyncReport) -> None:
        self.hub = hub
        self.store = store
        self.report = report
        self.bot = hub.bot_login
        self._seen: set[tuple[str, int]] = set()  # (kind, id) read in this pass: the overlap

    def _fresh(self, kind: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``items`` less those already read in this pass (keyset pages overlap by a second)."""
        out = []
        for data in items:
            key = (kind, int(data["id"]))
            if key not in self._seen:
                self._seen.add(key)
                out.append(data)
        return out

    def _next_cursor(self, newest: datetime, listed_at: datetime | None) -> datetime:
        """Where the next walk starts: just past the newest update, unless that is recent.

        An update younger than :data:`OVERLAP` may not be in GitHub's lists yet, so the
        next walk reads that last minute again (deduplicated by id); anything older is
        surely listed and is not read twice. "Recent" is by GitHub's clock (the ``Date`` of
        the walk's first answer; without one, the newest update itself), never the
        runner's, which may run ahead of it.
        """
        return min(newest + KEYSET_STEP, (listed_at or newest) - OVERLAP)

    # -- issues

    def issues(self) -> None:
        cursor = _cursor(self.store, META_ISSUES)
        newest, listed_at = self._keyset(cursor, self.hub.list_issues_page, self._issue_page, META_ISSUES)
        if newest is not None:
            self.store.set_meta(META_ISSUES, self._next_cursor(newest, listed_at).isoformat())

    def _issue_page(self, items: list[dict[str, Any]]) -> None:
        tickets = []
        reasons: dict[int, str] = {}
        for data in self._fresh("issue", items):
            if "pull_request" in data:
                self.report.pull_requests_skipped += 1
                continue
            t = ticket_from_api(data, self.bot)
            tickets.append(t)
            if data.get("state_reason"):
                reasons[t.number] = str(data["state_reason"])
        self.report.issues += len(tickets)
        before = _stored(self.store, (t.number for t in tickets))
        for t in tickets:
            old = before.get(t.number)
            if old is not None and old.updated_at > t.updated_at:
                continue  # the list lags behind what a webhook payload already gave us
            if old is None or _header(old) != _header(t):
                self.report.changed.add(t.number)
            self.store.upsert_ticket(t, state_reason=reasons.get(t.number))

    # -- comments

    def comments(self) -> None:
        cursor = _cursor(self.store, META_COMMENTS)
        newest, listed_at = self._keyset(cursor, self.hub.list_comments_page, self._comment_page, META_COMMENTS)
        if newest is not None:
            self.store.set_meta(META_COMMENTS, self._next_cursor(newest, listed_at).isoformat())

    def _comment_page(self, items: list[dict[str, Any]]) -> None:
        rows: list[tuple[int, Comment]] = []
        for data in self._fresh("comment", items):
            if is_pull_request_comment(data):
                self.report.pull_requests_skipped += 1
                continue
            rows.append((comment_number(data), comment_for(data, self.bot)))
        stored = _stored(self.store, {n for n, _ in rows})
        for number in sorted({n for n, _ in rows} - set(stored)):
            fetched = self._fetch_ticket(number)  # created after the issues pass read
            if fetched is not None:
                stored[number] = fetched
        keep = []
        for number, c in rows:
            if number not in stored:
                continue
            old = {x.id: x for x in stored[number].comments}.get(c.id)
            if old is None or old.body != c.body or old.updated_at != c.updated_at:
                self.report.changed.add(number)
            keep.append((number, c))
        self.report.comments += len(keep)
        self.store.upsert_many(comments=keep)

    def _fetch_ticket(self, number: int) -> Ticket | None:
        try:
            data = self.hub.get_issue(number)
        except GitHubRequestError as exc:
            if exc.status in (404, 410):
                return None  # deleted since: its comments are of no use
            raise
        if not data or "pull_request" in data:
            return None
        t = ticket_from_api(data, self.bot)
        self.store.upsert_ticket(t, state_reason=data.get("state_reason"))
        self.report.changed.add(number)
        return t

    # -- keyset walk shared by issues and comments

    def _keyset(
        self,
        since: datetime | None,
        fetch: Callable[[datetime | None, int], tuple[list[dict[str, Any]], bool]],
        absorb: Callable[[list[dict[str, Any]]], None],
        meta_key: str,
    ) -> tuple[datetime | None, datetime | None]:
        """Walk a ``sort=updated&direction=asc&since=`` list; returns the newest time seen
        and GitHub's clock when the walk started."""
        newest: datetime | None = None
        listed_at: datetime | None = None
        page = 1
        while True:
            items, more = fetch(since, page)
            listed_at = listed_at or self.hub.github_now()
            times = [parse_time(i.get("updated_at")) for i in items]
            stamps = [t for t in times if t is not None]
            with self.store.transaction():
                absorb(items)
                if stamps:
                    newest = max([*stamps, *([newest] if newest else [])])
                full_page = more and len(items) >= PER_PAGE
                if full_page and stamps:
                    step = stamps[-1] - KEYSET_STEP
                    if stamps[0] < step:
                        since, page = step, 1
                    else:
                        page += 1  # a whole page within one second: walk by page number
                    if since is not None:  # where a stopped walk resumes
                        self.store.set_meta(meta_key, since.isoformat())
            if not full_page:
                return newest, listed_at

    # -- events

    def events(self) -> None:
        frontier = int(self.store.get_meta(META_EVENTS) or 0)
        crawl = json.loads(self.store.get_meta(META_EVENTS_CRAWL) or "null")
        resumed = crawl is not None
        while True:
            if crawl is None:
                crawl = {"top": None, "page": 1}
            items, more = self.hub.list_events_page(crawl["page"])
            if items:
                crawl["top"] = max([crawl["top"] or 0, *(int(i["id"]) for i in items)])
            fresh = []
            reached = False
            for data in items:
                if int(data["id"]) <= frontier:
                    reached = True
                    break
                fresh.append(data)
            with self.store.transaction():
                self._event_page(fresh)
                done = reached or not more or len(items) < PER_PAGE
                if done:
                    frontier = max(frontier, crawl["top"] or 0)
                    crawl = None
                    self.store.set_meta(META_EVENTS, str(frontier))
                    self.store.set_meta(META_EVENTS_CRAWL, "null")
                else:
                    crawl["page"] += 1
                    self.store.set_meta(META_EVENTS_CRAWL, json.dumps(crawl))
            if done:
                if not resumed:
                    return
                resumed = False  # the resumed tail is done: read what came in meanwhile

    def _event_page(self, items: list[dict[str, Any]]) -> None:
        rows: list[tuple[int, Event]] = []
        issues: dict[int, dict[str, Any]] = {}
        for data in items:
            issue = data.get("issue") or {}
            if "pull_request" in issue:
                self.report.pull_requests_skipped += 1
                continue
            if not issue.get("number"):
                continue
            number = int(issue["number"])
            issues.setdefault(number, issue)
            rows.append((number, event_from_api(data, self.bot)))
        stored = _stored(self.store, issues)
        for number, issue in issues.items():
            if number not in stored:
                self.store.upsert_ticket(ticket_from_api(issue, self.bot))
        known = {n: {e.id for e in t.events} for n, t in stored.items()}
        for number, e in rows:
            if e.id not in known.get(number, ()):
                self.report.changed.add(number)
        self.report.events += len(rows)
        self.store.upsert_many(events=rows)


def _header(t: Ticket) -> tuple[Any, ...]:
    return (t.title, t.body, t.state, t.updated_at, t.labels, t.assignees, t.closed_at)


def sync(hub: GitHubHub, store: Ledger) -> SyncReport:
    """Bring the ledger up to date with GitHub; the first call reads everything."""
    report = SyncReport(full=not is_warm(store))
    before = hub.stats.requests
    mirror = _Mirror(hub, store, report)
    try:
        mirror.issues()
        mirror.comments()
        mirror.events()
        store.set_meta(META_SYNCED, hub.now().isoformat())
    finally:
        report.requests = hub.stats.requests - before
    return report


def refresh_ticket(hub: GitHubHub, store: Ledger, number: int) -> SyncReport:
    """Re-read one ticket's comments and events (two list reads for a usual ticket)."""
    report = SyncReport()
    before = hub.stats.requests
    bot = hub.bot_login
    try:
        comments = [comment_for(d, bot) for d in hub.issue_comments(number)]
        events = [event_from_api(d, bot) for d in hub.issue_events(number) if d.get("event") and d.get("id")]
        with store.transaction():
            store.upsert_many(comments=[(number, c) for c in comments], events=[(number, e) for e in events])
        hub.remember_comments(number, comments)
        report.comments, report.events = len(comments), len(events)
        report.changed.add(number)
    finally:
        report.requests = hub.stats.requests - before
    return report


def prime_hub(hub: GitHubHub, tickets: Iterable[Ticket]) -> None:
    """Tell the hub what a fresh sync has already shown, so apply's checks cost no request.

    After a complete sync the ledger holds every comment and every bot-opened incident, so
    "is the marked comment already there?" can be answered from it; a write that ends in doubt
    makes the hub read GitHub again for that issue.
    """
    incidents: dict[str, int] = {}
    for t in tickets:
        hub.remember_comments(t.number, t.comments)
        if t.author == hub.bot_login:
            key = incident_of_body(t.body)
            if key is not None:
                incidents.setdefault(key, t.number)
    hub.remember_incidents(incidents)
