"""A fake of GitHub's REST API for one repository, served over real HTTP.

`FakeGitHub` runs a `ThreadingHTTPServer` on 127.0.0.1 (an ephemeral port) and keeps
one repository's issues, comments, issue events and labels in memory. It answers the
endpoints the grader uses with the JSON shapes, status codes, headers, ordering and
pagination of api.github.com, so tests can drive the real PyGithub client (or plain
``urllib``) against it without patching anything.

Besides the state, the fake records every request (`FakeGitHub.requests`), counts
writes, meters a primary rate limit, injects faults on demand (`FakeGitHub.inject`,
`FakeGitHub.fail_after_writes`) and holds a write at the door while another client works
(`FakeGitHub.hold_next_write`).

Conventions that are easy to miss:

* The token owner is the workflow's bot (``github-actions[bot]``, type ``Bot``): every
  write through the API is performed by it, and it is the actor of the issue events
  that writes record.
* Seeding methods (`add_issue`, `add_comment`, `add_event`, `add_label`) store raw state:
  they record no request and create no issue events.
* ``Link`` headers point at ``/repositories/{id}/...`` as GitHub's do; the fake serves
  both that form and ``/repos/{owner}/{repo}/...``. Recorded paths are always in the
  ``/repos/{owner}/{repo}`` form, percent-decoded.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hashlib
import json
import math
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, quote, unquote, urlencode

__all__ = [
    "BOT_LOGIN",
    "SERVED_OPERATIONS",
    "FakeGitHub",
    "FaultKind",
    "Recorded",
]

FaultKind = Literal["500", "502", "timeout", "secondary_limit", "429", "drop_after_write", "404", "422"]

BOT_LOGIN = "github-actions[bot]"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
API_VERSION = "2022-11-28"
DOCS = "https://docs.github.com/rest"
HTML_ROOT = "https://github.com"
UNSTARTED_ROOT = "http://127.0.0.1:0"

LABEL_NAME_MAX = 50
LABEL_DESCRIPTION_MAX = 100
TITLE_MAX = 256
BODY_MAX = 65536
MAX_ASSIGNEES = 10
DEFAULT_LABEL_COLOR = "ededed"
STATE_REASONS = ("completed", "not_planned", "duplicate", "reopened")

_KNOWN_USER_IDS = {BOT_LOGIN: 41898282, "github": 9919}
_COLOR_RE = re.compile(r"^[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Recorded:
    """One request the fake answered (or dropped), in arrival order.

    ``path`` is percent-decoded and in ``/repos/{owner}/{repo}/...`` form; ``query`` keeps
    the last value of each parameter; ``body_json`` is the parsed request body (``None``
    when empty). The remaining fields describe the answer: ``route`` is the OpenAPI path
    template that served it (``None`` for unknown paths), ``fault`` the injected fault
    kind or ``"fail_after_writes"``, ``changed`` whether repository state changed. For a
    ``drop_after_write`` or ``timeout`` fault, ``status`` and the body are what the fake
    would have answered (the client never saw them, or saw them too late).
    """

    method: str
    path: str
    query: dict[str, str]
    status: int
    body_json: Any
    fault: str | None = None
    changed: bool = False
    route: str | None = None
    response_body: bytes = field(default=b"", repr=False)
    response_headers: dict[str, str] = field(default_factory=dict)
    raw_path: str = ""

    @property
    def response_json(self) -> Any:
        """The answer's JSON exactly as sent (``None`` for no body or when not recorded)."""
        return json.loads(self.response_body) if self.response_body else None


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    kind: str
    times: int
    after: int
    retry_after: int | None
    delay: float
    reset_in: int | None = None
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and self.pattern.search(path) is not None


@dataclass
class WriteGate:
    """A write request held before it is performed (see `FakeGitHub.hold_next_write`):
    ``reached`` is set when it arrives; it goes on once `open` is called."""

    reached: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)
    method: str = "*"  # the write held: any, or this method ...
    path: str = ""  # ... on a path this regex is searched in

    def open(self) -> None:
        self.opened.set()


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    changed: bool = False


class _HTTPError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body.get("message"))
        self.status = status
        self.body = body


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    parts: tuple[str, ...]
    handler: Callable[..., _Reply]
    docs: str


# Every operation the fake serves: (method, OpenAPI path template, documentation anchor).
SERVED_OPERATIONS: tuple[tuple[str, str, str], ...] = (
    ("GET", "/repos/{owner}/{repo}", "repos/repos#get-a-repository"),
    ("GET", "/repos/{owner}/{repo}/issues", "issues/issues#list-repository-issues"),
    ("POST", "/repos/{owner}/{repo}/issues", "issues/issues#create-an-issue"),
    (
        "GET",
        "/repos/{owner}/{repo}/issues/comments",
        "issues/comments#list-issue-comments-for-a-repository",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/issues/comments/{comment_id}",
        "issues/comments#get-an-issue-comment",
    ),
    (
        "PATCH",
        "/repos/{owner}/{repo}/issues/comments/{comment_id}",
        "issues/comments#update-an-issue-comment",
    ),
    (
        "DELETE",
        "/repos/{owner}/{repo}/issues/comments/{comment_id}",
        "issues/comments#delete-an-issue-comment",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/issues/events",
        "issues/events#list-issue-events-for-a-repository",
    ),
    ("GET", "/repos/{owner}/{repo}/issues/events/{event_id}", "issues/events#get-an-issue-event"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}", "issues/issues#get-an-issue"),
    ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", "issues/issues#update-an-issue"),
    (
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        "issues/comments#list-issue-comments",
    ),
    (
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        "issues/comments#create-an-issue-comment",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/events",
        "issues/events#list-issue-events",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        "issues/labels#list-labels-for-an-issue",
    ),
    (
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        "issues/labels#add-labels-to-an-issue",
    ),
    (
        "PUT",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        "issues/labels#set-labels-for-an-issue",
    ),
    (
        "DELETE",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        "issues/labels#remove-all-labels-from-an-issue",
    ),
    (
        "DELETE",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
        "issues/labels#remove-a-label-from-an-issue",
    ),
    (
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
        "issues/assignees#add-assignees-to-an-issue",
    ),
    (
        "DELETE",
        "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
        "issues/assignees#remove-assignees-from-an-issue",
    ),
    ("GET", "/repos/{owner}/{repo}/labels", "issues/labels#list-labels-for-a-repository"),
    ("POST", "/repos/{owner}/{repo}/labels", "issues/labels#create-a-label"),
    ("GET", "/repos/{owner}/{repo}/labels/{name}", "issues/labels#get-a-label"),
    ("POST", "/repos/{owner}/{repo}/actions/variables", "actions/variables#create-a-repository-variable"),
    ("GET", "/repos/{owner}/{repo}/actions/variables/{name}", "actions/variables#get-a-repository-variable"),
    ("PATCH", "/repos/{owner}/{repo}/actions/variables/{name}", "actions/variables#update-a-repository-variable"),
    ("PATCH", "/repos/{owner}/{repo}/labels/{name}", "issues/labels#update-a-label"),
    ("DELETE", "/repos/{owner}/{repo}/labels/{name}", "issues/labels#delete-a-label"),
    (
        "GET",
        "/rate_limit",
        "rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user",
    ),
    ("GET", "/user", "users/users#get-the-authenticated-user"),
)


def _ts(value: datetime | str) -> str:
    """GitHub's timestamp format: UTC, whole seconds, ``Z`` suffix."""
    if isinstance(value, str):
        value = _parse_time(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or offset; naive means UTC). Raises ValueError."""
    text = text.strip()
    if not text:
        raise ValueError("empty timestamp")
    parsed = datetime.fromisoformat(text.replace("z", "Z"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _node_id(kind: str, ident: int) -> str:
    """A legacy-format global node id (``base64("04:User1")``), as GitHub still returns."""
    raw = f"{len(kind):02d}:{kind}{ident}"
    return base64.b64encode(raw.encode()).decode()


def _canonical_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that tracks its connections and threads so `stop` can end them.

    The stdlib only joins non-daemon threads on close; handler threads here are daemons
    (a forgotten server must not hang interpreter exit), so they are tracked and joined
    explicitly.
    """

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.open_connections: set[socket.socket] = set()
        self.handler_threads: list[threading.Thread] = []
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus
        # delayed ACKs would add ~40 ms to every answer.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"fakegithub-conn-{client_address[1]}",
            daemon=True,
        )
        with self.connections_lock:
            self.open_connections.add(request)
            self.handler_threads = [t for t in self.handler_threads if t.is_alive()]
            self.handler_threads.append(thread)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def join_handlers(self, timeout: float) -> list[threading.Thread]:
        """Join every handler thread; returns those still alive after ``timeout``."""
        with self.connections_lock:
            threads = list(self.handler_threads)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [t for t in threads if t.is_alive()]

    def close_open_connections(self) -> None:
        with self.connections_lock:
            conns = list(self.open_connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that vanish (timeouts, dropped connections) are expected; anything
        # else is a bug in the fake and is kept for the tests to see.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        self.fake.server_errors.append(repr(exc))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection is closed after this many seconds
    server: _Server

    def version_string(self) -> str:
        return "github.com"

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header: the server clock (frozen by `FakeGitHub.set_now`), as GitHub's."""
        if timestamp is None:
            timestamp = self.server.fake.now().timestamp()
        return email.utils.formatdate(timestamp, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self, method: str) -> None:
        fake = self.server.fake
        body = self._read_body()
        outcome = fake._handle(method, self.path, dict(self.headers.items()), body)
        if outcome.delay > 0:
            fake._stopping.wait(outcome.delay)
        if outcome.drop:
            self.close_connection = True
            return
        try:
            self.send_response(outcome.status)
            for name, value in outcome.headers.items():
                self.send_header(name, value)
            if outcome.status not in (204, 304):
                self.send_header("Content-Length", str(len(outcome.payload)))
            self.end_headers()
            if outcome.payload and outcome.status not in (204, 304):
                self.wfile.write(outcome.payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


@dataclass
class _Outcome:
    status: int
    headers: dict[str, str]
    payload: bytes
    delay: float = 0.0
    drop: bool = False


class FakeGitHub:
    """One GitHub repository behind a local HTTP server speaking GitHub's REST shapes.

    Use as a context manager (``with FakeGitHub() as srv:``) or call `start`/`stop`.
    Seed state before or after starting; point PyGithub at `base_url`.

    Semantics worth knowing:

    * Every write that changes something bumps the issue's ``updated_at`` to the server
      clock (`set_now`/`advance`, else real time) and records the matching issue events
      (labeled, unlabeled, assigned, unassigned, renamed, closed, reopened) with the bot
      as actor. A write that changes nothing (adding a label already there, an identical
      comment edit) answers normally but bumps nothing, records no event and is not
      counted by `writes`.
    * Comment creation, edit and deletion bump the issue's ``updated_at``; creation and
      deletion adjust its ``comments`` count.
    * Orders: issues ``created desc`` by default; repository comments ascending (by
      ``created_at``, then id) unless ``sort``/``direction`` say otherwise; an issue's
      comments ascending by id; repository events newest first; an issue's events
      oldest first.
    * ``x-ratelimit-*`` headers are on every answer; each answered request (not 304s,
      401s or ``/rate_limit``) spends one. ``x-ratelimit-reset`` and ``Date`` are on the
      server clock (`set_now`); the limit refills an hour of real time after it last did.
    * ``issues``, ``comments``, ``events`` and ``labels`` are the live state: read them
      and edit fields in place, but add or remove entries only through the seeding
      methods or the API (indexes and sorted views are kept alongside).
    * ``record_bodies=False`` keeps answers' bodies out of `requests` (saves memory when
      a benchmark pages through tens of thousands of items).
    """

    def __init__(
        self,
        owner: str = "acme",
        repo: str = "desk",
        *,
        token: str = "test-token",
        variables_token: str = "variables-token",
        rate_limit: int = 5000,
        bot_login: str = BOT_LOGIN,
        record_bodies: bool = True,
    ) -> None:
        self.owner = owner
        self.repo = repo
        self.full_name = f"{owner}/{repo}"
        self.token = token
        # A second token, with only the Variables permission (a fine-grained token): the workflow's
        # own token (``token``) is refused Actions variables, and this one everything else.
        self.variables_token = variables_token
        self.variables: dict[str, dict[str, Any]] = {}
        self._credential = ""
        self.rate_limit = rate_limit
        self.rate_remaining = rate_limit
        self.rate_reset = int(time.time()) + 3600
        self.bot_login = bot_login
        self.repo_id = 700_000_001
        self.record_bodies = record_bodies

        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.labels: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.server_errors: list[str] = []
        self.assignable: set[str] | None = None

        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._root = UNSTARTED_ROOT
        self._now: datetime | None = None
        self._users: dict[str, dict[str, Any]] = {}
        self._next_user_id = 1001
        self._next_issue_id = 3_000_000_001
        self._next_comment_id = 2_500_000_001
        self._next_event_id = 15_000_000_001
        self._next_label_id = 7_000_000_001
        self._comment_issue: dict[int, int] = {}
        self._issue_comment_ids: dict[int, list[int]] = {}
        self._issue_event_list: dict[int, list[dict[str, Any]]] = {}
        self._next_number = 1
        # Sorted views of comments and events, rebuilt when anything is added, edited or
        # removed (``_version``), so paging through 50,000 items does not re-sort per page.
        self._version = 0
        self._order_cache: dict[tuple[str, str, bool], tuple[int, list[dict[str, Any]]]] = {}
        self._faults: list[_Fault] = []
        self._write_budget: int | None = None
        self._drop_last_write = False
        self._gates: list[WriteGate] = []
        self._request_counter = 0
        self._created_at = "2024-01-15T08:00:00Z"
        self._routes = self._build_routes()

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: what ``Github(base_url=...)`` takes."""
        if self._httpd is None:
            raise RuntimeError("FakeGitHub is not started; call start() or use `with`")
        return self._root

    @property
    def api_root(self) -> str:
        """The prefix of every API URL in stored JSON (the base URL once started)."""
        return self._root

    def start(self) -> str:
        """Bind 127.0.0.1 on a free port, serve in a background thread, return base_url."""
        if self._httpd is not None:
            return self._root
        self._stopping.clear()
        httpd = _Server(self)
        host, port = httpd.server_address[:2]
        assert host == "127.0.0.1", host
        self._httpd = httpd
        with self._lock:
            self._rebase(f"http://127.0.0.1:{port}")
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fakegithub-{port}",
            daemon=True,
        )
        self._thread.start()
        return self._root

    def stop(self) -> None:
        """Stop serving, end open connections and join every server thread."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()
        with self._lock:
            for gate in self._gates:
                gate.open()
        httpd.shutdown()
        httpd.close_open_connections()
        httpd.server_close()
        stuck = httpd.join_handlers(timeout=10.0)
        if stuck:
            self.server_errors.append(f"handler threads still running after stop: {stuck}")
        if thread is not None:
            thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeGitHub:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _rebase(self, new_root: str) -> None:
        """Rewrite every stored API URL from the old root to ``new_root``."""
        old = self._root
        self._root = new_root
        if old == new_root:
            return
        seen: set[int] = set()

        def walk(node: Any) -> None:
            if id(node) in seen:
                return
            seen.add(id(node))
            if isinstance(node, dict):
                for key, value in node.items():
                    if isinstance(value, str) and value.startswith(old):
                        node[key] = new_root + value[len(old) :]
                    elif isinstance(value, (dict, list)):
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(list(self.issues.values()))
        walk(list(self.comments.values()))
        walk(self.events)
        walk(list(self.labels.values()))
        walk(list(self._users.values()))

    # ------------------------------------------------------------------ clock

    def set_now(self, t: datetime) -> None:
        """Freeze the server clock at ``t`` (naive means UTC) until set again."""
        if t.tzinfo is None:
            t = t.replace(tzinfo=UTC)
        with self._lock:
            self._now = t.astimezone(UTC)

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the frozen clock forward (seconds or a timedelta); returns the new time."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        with self._lock:
            self._now = self.now() + delta
            return self._now

    def now(self) -> datetime:
        """The server clock: the frozen time if `set_now` was called, else real UTC now."""
        return self._now if self._now is not None else datetime.now(UTC)

    # ------------------------------------------------------------------ users and JSON

    def _api(self, *parts: str) -> str:
        return "/".join([self._root, *parts])

    def _repo_api(self, *parts: str) -> str:
        return self._api("repos", self.owner, self.repo, *parts)

    def _repo_html(self, *parts: str) -> str:
        return "/".join([HTML_ROOT, self.owner, self.repo, *parts])

    def user(self, login: str, user_type: str | None = None) -> dict[str, Any]:
        """The shared simple-user object for ``login`` (created on first use)."""
        key = login.lower()
        existing = self._users.get(key)
        if existing is not None:
            if user_type is not None and existing["type"] != user_type:
                existing["type"] = user_type
            return existing
        if user_type is None:
            user_type = "Bot" if login.endswith("[bot]") else "User"
        uid = _KNOWN_USER_IDS.get(login)
        if uid is None:
            uid = self._next_user_id
            self._next_user_id += 1
        api_user = self._api("users", quote(login, safe=""))
        html = f"{HTML_ROOT}/apps/{login.removesuffix('[bot]')}" if user_type == "Bot" else f"{HTML_ROOT}/{login}"
        kind = {"Bot": "Bot", "Organization": "Organization"}.get(user_type, "User")
        data = {
            "login": login,
            "id": uid,
            "node_id": _node_id(kind, uid),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
            "gravatar_id": "",
            "url": api_user,
            "html_url": html,
            "followers_url": f"{api_user}/followers",
            "following_url": f"{api_user}/following{{/other_user}}",
            "gists_url": f"{api_user}/gists{{/gist_id}}",
            "starred_url": f"{api_user}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api_user}/subscriptions",
            "organizations_url": f"{api_user}/orgs",
            "repos_url": f"{api_user}/repos",
            "events_url": f"{api_user}/events{{/privacy}}",
            "received_events_url": f"{api_user}/received_events",
            "type": user_type,
            "user_view_type": "public",
            "site_admin": False,
        }
        self._users[key] = data
        return data

    def _seed_user(self, login: str, user_type: str) -> dict[str, Any]:
        if login == self.bot_login or (user_type == "User" and login.endswith("[bot]")):
            user_type = "Bot"
        return self.user(login, user_type)

    def _bot(self) -> dict[str, Any]:
        return self.user(self.bot_login, "Bot")

    def _app(self) -> dict[str, Any]:
        """``performed_via_github_app`` for writes made with the workflow token."""
        slug = self.bot_login.removesuffix("[bot]")
        if self.bot_login == BOT_LOGIN:
            app_id, name, owner = 15368, "GitHub Actions", self.user("github", "Organization")
            description = "Automate your workflow from idea to production"
            external = "https://help.github.com/en/actions"
        else:
            app_id, name, owner = 100_001, slug, self.user(self.owner, "Organization")
            description, external = None, f"{HTML_ROOT}/apps/{slug}"
        return {
            "id": app_id,
            "slug": slug,
            "node_id": _node_id("App", app_id),
            "owner": owner,
            "name": name,
            "description": description,
            "external_url": external,
            "html_url": f"{HTML_ROOT}/apps/{slug}",
            "created_at": "2018-07-30T09:30:17Z",
            "updated_at": "2019-12-10T19:04:12Z",
            "permissions": {
                "actions": "write",
                "contents": "write",
                "issues": "write",
                "metadata": "read",
                "pull_requests": "write",
            },
            "events": ["issue_comment", "issues", "pull_request", "workflow_dispatch"],
        }

    def _reactions(self, url: str) -> dict[str, Any]:
        counts = dict.fromkeys(("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0)
        return {"url": url, "total_count": 0, **counts}

    def _label_url(self, name: str) -> str:
        return self._repo_api("labels", quote(name, safe=""))

    def _repo_json(self) -> dict[str, Any]:
        api = self._repo_api()
        open_count = sum(1 for i in self.issues.values() if i["state"] == "open")
        return {
            "id": self.repo_id,
            "node_id": _node_id("Repository", self.repo_id),
            "name": self.repo,
            "full_name": self.full_name,
            "private": False,
            "owner": self.user(self.owner, "Organization"),
            "html_url": self._repo_html(),
            "description": "Service desk",
            "fork": False,
            "url": api,
            "archive_url": f"{api}/{{archive_format}}{{/ref}}",
            "assignees_url": f"{api}/assignees{{/user}}",
            "blobs_url": f"{api}/git/blobs{{/sha}}",
            "branches_url": f"{api}/branches{{/branch}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "comments_url": f"{api}/comments{{/number}}",
            "commits_url": f"{api}/commits{{/sha}}",
            "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "contributors_url": f"{api}/contributors",
            "deployments_url": f"{api}/deployments",
            "downloads_url": f"{api}/downloads",
            "events_url": f"{api}/events",
            "forks_url": f"{api}/forks",
            "git_commits_url": f"{api}/git/commits{{/sha}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "git_tags_url": f"{api}/git/tags{{/sha}}",
            "git_url": f"git://github.com/{self.full_name}.git",
            "hooks_url": f"{api}/hooks",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "issue_events_url": f"{api}/issues/events{{/number}}",
            "issues_url": f"{api}/issues{{/number}}",
            "keys_url": f"{api}/keys{{/key_id}}",
            "labels_url": f"{api}/labels{{/name}}",
            "languages_url": f"{api}/languages",
            "merges_url": f"{api}/merges",
            "milestones_url": f"{api}/milestones{{/number}}",
            "notifications_url": f"{api}/notifications{{?since,all,participating}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "releases_url": f"{api}/releases{{/id}}",
            "ssh_url": f"git@github.com:{self.full_name}.git",
            "stargazers_url": f"{api}/stargazers",
            "statuses_url": f"{api}/statuses/{{sha}}",
            "subscribers_url": f"{api}/subscribers",
            "subscription_url": f"{api}/subscription",
            "tags_url": f"{api}/tags",
            "teams_url": f"{api}/teams",
            "trees_url": f"{api}/git/trees{{/sha}}",
            "clone_url": f"{HTML_ROOT}/{self.full_name}.git",
            "mirror_url": None,
            "svn_url": self._repo_html(),
            "homepage": None,
            "language": "Python",
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": 128,
            "default_branch": "main",
            "open_issues": open_count,
            "open_issues_count": open_count,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "public",
            "pushed_at": self._created_at,
            "created_at": self._created_at,
            "updated_at": self._created_at,
            "permissions": {
                "admin": False,
                "maintain": False,
                "push": True,
                "triage": True,
                "pull": True,
            },
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "license": None,
            "network_count": 0,
            "subscribers_count": 0,
            "organization": self.user(self.owner, "Organization"),
        }

    def _new_label(self, name: str, color: str, description: str | None) -> dict[str, Any]:
        label_id = self._next_label_id
        self._next_label_id += 1
        label = {
            "id": label_id,
            "node_id": _node_id("Label", label_id),
            "url": self._label_url(name),
            "name": name,
            "color": color,
            "default": False,
            "description": description or None,
        }
        self.labels[name] = label
        return label

    def _find_label(self, name: str) -> dict[str, Any] | None:
        """GitHub matches label names case-insensitively."""
        label = self.labels.get(name)
        if label is not None:
            return label
        folded = name.casefold()
        for candidate in self.labels.values():
            if candidate["name"].casefold() == folded:
                return candidate
        return None

    def _new_issue(
        self,
        *,
        title: str,
        body: str | None,
        user: dict[str, Any],
        author_association: str,
        created_at: str,
        is_pull_request: bool,
        app: dict[str, Any] | None,
    ) -> dict[str, Any]:
        number = self._next_number
        self._next_number += 1
        self._version += 1
        issue_id = self._next_issue_id
        self._next_issue_id += 1
        url = self._repo_api("issues", str(number))
        html = self._repo_html("pull" if is_pull_request else "issues", str(number))
        issue: dict[str, Any] = {
            "url": url,
            "repository_url": self._repo_api(),
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": html,
            "id": issue_id,
            "node_id": _node_id("PullRequest" if is_pull_request else "Issue", issue_id),
            "number": number,
            "title": title,
            "user": user,
            "labels": [],
            "state": "open",
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": 0,
            "created_at": created_at,
            "updated_at": created_at,
            "closed_at": None,
            "author_association": author_association,
            "active_lock_reason": None,
            "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
            "body": body or None,
            "closed_by": None,
            "reactions": self._reactions(f"{url}/reactions"),
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": app,
            "state_reason": None,
        }
        if is_pull_request:
            pull = self._repo_api("pulls", str(number))
            issue["draft"] = False
            issue["pull_request"] = {
                "url": pull,
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": None,
            }
        self.issues[number] = issue
        return issue

    def _new_comment(
        self,
        number: int,
        *,
        body: str,
        user: dict[str, Any],
        author_association: str,
        created_at: str,
        app: dict[str, Any] | None,
    ) -> dict[str, Any]:
        comment_id = self._next_comment_id
        self._next_comment_id += 1
        issue = self.issues[number]
        url = self._repo_api("issues", "comments", str(comment_id))
        comment = {
            "url": url,
            "html_url": f"{issue['html_url']}#issuecomment-{comment_id}",
            "issue_url": issue["url"],
            "id": comment_id,
            "node_id": _node_id("IssueComment", comment_id),
            "user": user,
            "created_at": created_at,
            "updated_at": created_at,
            "author_association": author_association,
            "body": body,
            "reactions": self._reactions(f"{url}/reactions"),
            "performed_via_github_app": app,
        }
        self.comments[comment_id] = comment
        self._comment_issue[comment_id] = number
        self._issue_comment_ids.setdefault(number, []).append(comment_id)
        self._version += 1
        issue["comments"] += 1
        return comment

    def _new_event(
        self,
        number: int,
        event: str,
        *,
        actor: dict[str, Any],
        created_at: str,
        app: dict[str, Any] | None,
        **extra: Any,
    ) -> dict[str, Any]:
        event_id = self._next_event_id
        self._next_event_id += 1
        record: dict[str, Any] = {
            "id": event_id,
            "node_id": _node_id("Event", event_id),
            "url": self._repo_api("issues", "events", str(event_id)),
            "actor": actor,
            "event": event,
            "commit_id": None,
            "commit_url": None,
            "created_at": created_at,
            "performed_via_github_app": app,
            **extra,
            "issue": self.issues[number],
        }
        self.events.append(record)
        self._issue_event_list.setdefault(number, []).append(record)
        self._version += 1
        return record

    # ------------------------------------------------------------------ seeding

    def add_label(self, name: str, color: str = DEFAULT_LABEL_COLOR, description: str = "") -> dict:
        """Create a repository label (no request recorded). Returns the stored label."""
        with self._lock:
            if self._find_label(name) is not None:
                raise ValueError(f"label {name!r} already exists")
            return self._new_label(name, color, description or None)

    def _seed_labels(self, names: Iterable[str]) -> list[dict[str, Any]]:
        out = []
        for name in names:
            label = self._find_label(name) or self._new_label(name, DEFAULT_LABEL_COLOR, None)
            if label not in out:
                out.append(label)
        return out

    def add_issue(
        self,
        *,
        title: str,
        body: str = "",
        user: str = "alice",
        author_association: str = "MEMBER",
        labels: Sequence[str] = (),
        assignees: Sequence[str] = (),
        state: str = "open",
        created_at: datetime | str | None = None,
        is_pull_request: bool = False,
        user_type: str = "User",
        updated_at: datetime | str | None = None,
        closed_at: datetime | str | None = None,
        state_reason: str | None = None,
        locked: bool = False,
    ) -> dict:
        """Ledger an issue (or a pull request) as it would be on GitHub; no events are made.

        Missing labels are created with the default colour. ``updated_at`` defaults to
        ``created_at``; a closed issue gets ``closed_at`` (default ``updated_at``) and
        ``state_reason`` (default ``"completed"``).
        """
        if state not in ("open", "closed"):
            raise ValueError(f"state must be 'open' or 'closed', not {state!r}")
        with self._lock:
            created = _ts(created_at) if created_at is not None else _ts(self.now())
            issue = self._new_issue(
                title=title,
                body=body,
                user=self._seed_user(user, user_type),
                author_association=author_association,
                created_at=created,
                is_pull_request=is_pull_request,
                app=self._app() if user == self.bot_login else None,
            )
            issue["labels"] = self._seed_labels(labels)
            issue["assignees"] = [self.user(login) for login in dict.fromkeys(assignees)]
            issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None
            issue["locked"] = locked
            if updated_at is not None:
                issue["updated_at"] = _ts(updated_at)
            if state == "closed":
                issue["state"] = "closed"
                issue["closed_at"] = _ts(closed_at) if closed_at else issue["updated_at"]
                issue["state_reason"] = state_reason or "completed"
                issue["closed_by"] = issue["user"]
            elif state_reason is not None:
                issue["state_reason"] = state_reason
            return issue

    def add_comment(
        self,
        number: int,
        *,
        body: str,
        user: str = "bob",
        author_association: str = "MEMBER",
        created_at: datetime | str | None = None,
        user_type: str = "User",
        updated_at: datetime | str | None = None,
    ) -> dict:
        """Ledger a comment on issue ``number``; bumps the issue's count and ``updated_at``."""
        with self._lock:
            if number not in self.issues:
                raise KeyError(f"no issue #{number}")
            created = _ts(created_at) if created_at is not None else _ts(self.now())
            comment = self._new_comment(
                number,
                body=body,
                user=self._seed_user(user, user_type),
                author_association=author_association,
                created_at=created,
                app=self._app() if user == self.bot_login else None,
            )
            if updated_at is not None:
                comment["updated_at"] = _ts(updated_at)
            issue = self.issues[number]
            issue["updated_at"] = max(issue["updated_at"], comment["updated_at"])
            return comment

    def add_event(
        self,
        number: int,
        *,
        event: str,
        actor: str = "carol",
        label: str | None = None,
        assignee: str | None = None,
        created_at: datetime | str | None = None,
        actor_type: str = "User",
        rename: tuple[str, str] | None = None,
        state_reason: str | None = None,
    ) -> dict:
        """Ledger an issue event as-is (the issue itself is not changed)."""
        with self._lock:
            if number not in self.issues:
                raise KeyError(f"no issue #{number}")
            created = _ts(created_at) if created_at is not None else _ts(self.now())
            actor_json = self._seed_user(actor, actor_type)
            extra: dict[str, Any] = {}
            if label is not None:
                known = self._find_label(label)
                extra["label"] = {
                    "name": label,
                    "color": known["color"] if known else DEFAULT_LABEL_COLOR,
                }
            if assignee is not None:
                extra["assignee"] = self.user(assignee)
                extra["assigner"] = actor_json
            if rename is not None:
                extra["rename"] = {"from": rename[0], "to": rename[1]}
            if event in ("closed", "reopened"):
                extra["state_reason"] = state_reason
            return self._new_event(
                number,
                event,
                actor=actor_json,
                created_at=created,
                app=self._app() if actor == self.bot_login else None,
                **extra,
            )

    def set_assignable(self, logins: Iterable[str] | None) -> None:
        """Restrict who can be assigned (None: anyone). GitHub drops or refuses others."""
        with self._lock:
            self.assignable = None if logins is None else {x.lower() for x in logins}

    # ------------------------------------------------------------------ inspection

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        """How many recorded requests match ``method`` and contain ``path_contains``."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper()) and (path_contains is None or path_contains in r.path)
            )

    def writes(self) -> int:
        """POST/PATCH/PUT/DELETE requests that changed repository state."""
        with self._lock:
            return sum(1 for r in self.requests if r.changed)

    def reset_counts(self) -> None:
        """Forget the recorded requests (state, faults and the rate limit are kept)."""
        with self._lock:
            self.requests.clear()

    def issue_events(self, number: int) -> list[dict[str, Any]]:
        """The stored events of issue ``number``, oldest first."""
        with self._lock:
            return list(self._issue_event_list.get(number, []))

    def label_names(self, number: int) -> list[str]:
        """The label names on issue ``number`` in stored order."""
        with self._lock:
            return [label["name"] for label in self.issues[number]["labels"]]

    # ------------------------------------------------------------------ faults

    def inject(
        self,
        *,
        method: str,
        path: str,
        kind: FaultKind,
        times: int = 1,
        after: int = 0,
        retry_after: int | None = 1,
        delay: float = 0.0,
        reset_in: int | None = None,
    ) -> None:
        """Make the next matching requests fail.

        ``method`` is an HTTP method or ``"*"``; ``path`` a regex searched in the recorded
        (decoded, ``/repos/...``) path. The first ``after`` matching requests pass, then
        ``times`` of them get the fault:

        * ``"500"``/``"502"``/``"404"``/``"422"``: that status with GitHub's error body;
          the request is not performed.
        * ``"secondary_limit"``: 403 with GitHub's secondary-rate-limit message and
          ``Retry-After: retry_after`` (no such header when ``retry_after`` is None); not
          performed. ``"429"``: the same with status 429 (Too Many Requests).
          With ``reset_in`` either says the primary limit is used up instead:
          ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset`` ``reset_in`` seconds after
          the server clock (which the ``Date`` header shows).
        * ``"timeout"``: the request is performed, then the answer is held for ``delay``
          seconds (so a client with a shorter timeout gives up).
        * ``"drop_after_write"``: the request is performed, then the connection is
          closed without an answer.
        """
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}")
        if kind == "timeout" and delay <= 0:
            raise ValueError("a 'timeout' fault needs delay > 0")
        if times < 1 or after < 0:
            raise ValueError("times must be >= 1 and after >= 0")
        with self._lock:
            self._faults.append(
                _Fault(method.upper(), re.compile(path), kind, times, after, retry_after, delay, reset_in)
            )

    @property
    def pending_faults(self) -> int:
        """How many injected faults have not fired yet."""
        with self._lock:
            return sum(f.times for f in self._faults)

    def clear_faults(self) -> None:
        """Drop every injected fault and lift `fail_after_writes`."""
        with self._lock:
            self._faults.clear()
            self._write_budget = None

    def hold_next_write(self, method: str = "*", path: str = "") -> WriteGate:
        """Hold the next write request (any client's; or the next ``method`` on a path
        matching the regex ``path``) before it is performed, until the gate returned is
        opened: another client can read and write meanwhile, as a second run does while the
        first is between its reads and its writes."""
        gate = WriteGate(method=method.upper(), path=path)
        with self._lock:
            self._gates.append(gate)
        return gate

    def _wait_at_gate(self, method: str, path: str) -> None:
        if method not in WRITE_METHODS:
            return
        with self._lock:
            gate = next(
                (g for g in self._gates if g.method in ("*", method) and re.search(g.path, path)), None
            )
            if gate is not None:
                self._gates.remove(gate)
        if gate is not None:
            gate.reached.set()
            gate.opened.wait(timeout=60)

    def fail_after_writes(self, n: int | None, *, answer_last: bool = True) -> None:
        """After ``n`` more state-changing writes, refuse every write with 500 (unperformed).

        With ``answer_last=False`` the n-th write is performed and its connection closed
        without an answer, as when the writer dies right after GitHub acted. ``None`` lifts
        the limit. Reads keep working.
        """
        with self._lock:
            self._write_budget = n
            self._drop_last_write = not answer_last

    def set_rate_remaining(self, remaining: int) -> None:
        """Set the primary rate limit's remaining count (e.g. 0 to test exhaustion)."""
        with self._lock:
            self.rate_remaining = max(0, min(remaining, self.rate_limit))

    # ------------------------------------------------------------------ dispatch

    def _build_routes(self) -> list[_Route]:
        handlers: dict[tuple[str, str], Callable[..., _Reply]] = {
            ("GET", "/repos/{owner}/{repo}"): self._get_repo,
            ("GET", "/repos/{owner}/{repo}/issues"): self._list_issues,
            ("POST", "/repos/{owner}/{repo}/issues"): self._create_issue,
            ("GET", "/repos/{owner}/{repo}/issues/comments"): self._list_repo_comments,
            ("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}"): self._get_comment,
            ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}"): self._edit_comment,
            ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}"): (self._delete_comment),
            ("GET", "/repos/{owner}/{repo}/issues/events"): self._list_repo_events,
            ("GET", "/repos/{owner}/{repo}/issues/events/{event_id}"): self._get_event,
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}"): self._get_issue,
            ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}"): self._edit_issue,
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): (self._list_issue_comments),
            ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): (self._create_comment),
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/events"): (self._list_issue_events),
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels"): (self._list_issue_labels),
            ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"): self._add_labels,
            ("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels"): self._set_labels,
            ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels"): (self._remove_all_labels),
            ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"): (self._remove_label),
            ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/assignees"): (self._add_assignees),
            ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/assignees"): (self._remove_assignees),
            ("GET", "/repos/{owner}/{repo}/labels"): self._list_labels,
            ("POST", "/repos/{owner}/{repo}/labels"): self._create_label,
            ("GET", "/repos/{owner}/{repo}/labels/{name}"): self._get_label,
            ("PATCH", "/repos/{owner}/{repo}/labels/{name}"): self._edit_label,
            ("DELETE", "/repos/{owner}/{repo}/labels/{name}"): self._delete_label,
            ("GET", "/rate_limit"): self._get_rate_limit,
            ("POST", "/repos/{owner}/{repo}/actions/variables"): self._create_variable,
            ("GET", "/repos/{owner}/{repo}/actions/variables/{name}"): self._get_variable,
            ("PATCH", "/repos/{owner}/{repo}/actions/variables/{name}"): self._update_variable,
            ("GET", "/user"): self._get_user,
        }
        routes = []
        for method, template, anchor in SERVED_OPERATIONS:
            parts = tuple(template.strip("/").split("/"))
            routes.append(_Route(method, template, parts, handlers[(method, template)], f"{DOCS}/{anchor}"))
        return routes

    def _match(self, segments: list[str]) -> list[tuple[_Route, dict[str, str]]]:
        found = []
        for route in self._routes:
            if len(route.parts) != len(segments):
                continue
            params: dict[str, str] = {}
            for want, got in zip(route.parts, segments, strict=True):
                if want.startswith("{"):
                    key = want[1:-1]
                    if key in ("issue_number", "comment_id", "event_id") and not got.isdigit():
                        break
                    if (key == "owner" and got != self.owner) or (key == "repo" and got != self.repo):
                        break
                    params[key] = got
                elif want != got:
                    break
            else:
                found.append((route, params))
        return found

    def _normalize(self, raw_path: str) -> list[str]:
        segments = [unquote(s) for s in raw_path.split("/")[1:]]
        if len(segments) > 1 and segments[-1] == "":
            segments.pop()
        if len(segments) >= 2 and segments[0] == "repositories" and segments[1].isdigit():
            if int(segments[1]) == self.repo_id:
                segments = ["repos", self.owner, self.repo, *segments[2:]]
        elif (
            len(segments) >= 3
            and segments[0] == "repos"
            and segments[1].lower() == self.owner.lower()
            and segments[2].lower() == self.repo.lower()
        ):
            segments[1], segments[2] = self.owner, self.repo
        return segments

    def _auth_error(self, headers: dict[str, str]) -> _HTTPError | None:
        value = ""
        for name, header in headers.items():
            if name.lower() == "authorization":
                value = header.strip()
        if not value:
            return _HTTPError(401, {"message": "Requires authentication", "documentation_url": DOCS})
        scheme, _, credential = value.partition(" ")
        if scheme.lower() not in ("token", "bearer") or credential.strip() not in (self.token, self.variables_token):
            return _HTTPError(401, {"message": "Bad credentials", "documentation_url": DOCS})
        self._credential = credential.strip()
        return None

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(self.rate_remaining),
            "x-ratelimit-reset": str(self._reset_on_clock()),
            "x-ratelimit-used": str(self.rate_limit - self.rate_remaining),
            "x-ratelimit-resource": "core",
        }

    def _reset_on_clock(self) -> int:
        """When the primary limit refills, on the server clock (as ``Date`` shows it): the real
        hour's seconds left, counted from `now`."""
        return int(self.now().timestamp()) + max(0, self.rate_reset - int(time.time()))

    def _refill_if_due(self) -> None:
        if time.time() >= self.rate_reset:
            self.rate_remaining = self.rate_limit
            self.rate_reset = int(time.time()) + 3600

    def _next_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.times <= 0 or not fault.matches(method, path):
                continue
            if fault.seen < fault.after:
                fault.seen += 1
                continue
            fault.times -= 1
            self._faults = [f for f in self._faults if f.times > 0]
            return fault
        return None

    def _handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Outcome:
        raw_path, _, raw_query = target.partition("?")
        if "://" in raw_path:  # absolute-form request target
            raw_path = "/" + raw_path.split("://", 1)[1].partition("/")[2]
        query_pairs = parse_qsl(raw_query, keep_blank_values=True)
        query = dict(query_pairs)
        segments = self._normalize(raw_path)
        path = "/" + "/".join(segments)
        body_json: Any = None
        body_error: _HTTPError | None = None
        if raw.strip():
            try:
                body_json = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body_error = _HTTPError(400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
        self._wait_at_gate(method, path)
        with self._lock:
            self._request_counter += 1
            same = [m for m in self._match(segments) if m[0].method == method]
            route, params = same[0] if same else (None, {})
            docs = route.docs if route else DOCS
            fault_kind: str | None = None
            delay = 0.0
            drop = False
            extra_headers: dict[str, str] = {}
            counted = True
            reply: _Reply
            self._refill_if_due()
            auth_error = self._auth_error(headers)
            if auth_error is not None:
                reply = _Reply(auth_error.status, {**auth_error.body, "status": "401"})
                counted = False
            elif route is not None and route.template == "/rate_limit":
                reply = self._get_rate_limit()
                counted = False
            elif self.rate_remaining <= 0:
                reply = _Reply(
                    403,
                    {
                        "message": (
                            "API rate limit exceeded for installation ID 4242. If you reach "
                            "out to GitHub Support for help, please include the request ID "
                            f"{self._request_id()}."
                        ),
                        "documentation_url": (
                            f"{DOCS}/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"
                        ),
                        "status": "403",
                    },
                )
                counted = False
            elif method in WRITE_METHODS and self._write_budget is not None and self._write_budget <= 0:
                fault_kind = "fail_after_writes"
                reply = _Reply(500, {"message": "Server Error", "status": "500"})
            else:
                fault = self._next_fault(method, path)
                fault_kind = fault.kind if fault else None
                if fault is not None and fault.kind in ("500", "502", "404", "422"):
                    reply = self._fault_reply(fault.kind, docs)
                elif fault is not None and fault.kind in ("secondary_limit", "429"):
                    reply = _Reply(
                        429 if fault.kind == "429" else 403,
                        {
                            "message": (
                                "You have exceeded a secondary rate limit. Please wait a few "
                                "minutes before you try again. If you reach out to GitHub "
                                "Support for help, please include the request ID "
                                f"{self._request_id()}."
                            ),
                            "documentation_url": (
                                "https://docs.github.com/free-pro-team@latest/rest/overview/"
                                "rate-limits-for-the-rest-api#about-secondary-rate-limits"
                            ),
                            "status": "403",
                        },
                    )
                    if fault.retry_after is not None:
                        extra_headers["Retry-After"] = str(fault.retry_after)
                    if fault.reset_in is not None:
                        extra_headers["x-ratelimit-remaining"] = "0"
                        extra_headers["x-ratelimit-reset"] = str(int(self.now().timestamp()) + fault.reset_in)
                else:
                    reply = self._route(
                        method,
                        route,
                        params,
                        query,
                        body_json,
                        body_error,
                        docs,
                        raw_path,
                        query_pairs,
                    )
                    if fault is not None and fault.kind == "timeout":
                        delay = fault.delay
                    elif fault is not None and fault.kind == "drop_after_write":
                        drop = True
            if reply.changed and self._write_budget is not None:
                self._write_budget -= 1
                drop = drop or (self._write_budget == 0 and self._drop_last_write)
            payload = b"" if reply.body is None else _canonical_json(reply.body)
            etag = None
            if method == "GET" and reply.status == 200:
                etag = 'W/"' + hashlib.sha256(payload).hexdigest() + '"'
                if etag in [t.strip() for t in _header(headers, "If-None-Match").split(",") if t.strip()]:
                    reply = _Reply(304)
                    payload = b""
                    counted = False
            if counted and reply.status != 304:
                self.rate_remaining = max(0, self.rate_remaining - 1)
            out_headers: dict[str, str] = {}
            if reply.body is not None:
                out_headers["Content-Type"] = "application/json; charset=utf-8"
            out_headers.update(reply.headers)
            out_headers.update(extra_headers)
            if etag is not None:
                out_headers["ETag"] = etag
            out_headers["X-GitHub-Media-Type"] = "github.v3; format=json"
            out_headers["x-github-api-version-selected"] = API_VERSION
            out_headers.update(self._rate_headers())
            out_headers.update({k: v for k, v in extra_headers.items() if k.startswith("x-ratelimit-")})
            out_headers["X-GitHub-Request-Id"] = self._request_id()
            self.requests.append(
                Recorded(
                    method=method,
                    path=path,
                    query=query,
                    status=reply.status,
                    body_json=body_json,
                    fault=fault_kind,
                    changed=reply.changed,
                    route=route.template if route else None,
                    response_body=payload if self.record_bodies else b"",
                    response_headers=dict(out_headers),
                    raw_path=raw_path,
                )
            )
            return _Outcome(reply.status, out_headers, payload, delay=delay, drop=drop)

    def _request_id(self) -> str:
        n = self._request_counter
        return f"C0DE:{n:04X}:{self.repo_id:X}:{n * 7919:08X}:{n * 104729:08X}"

    def _fault_reply(self, kind: str, docs: str) -> _Reply:
        if kind == "404":
            return _Reply(404, {"message": "Not Found", "documentation_url": docs, "status": "404"})
        if kind == "422":
            return _Reply(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "Issue",
                            "code": "custom",
                            "field": "base",
                            "message": "was submitted too quickly",
                        }
                    ],
                    "documentation_url": docs,
                    "status": "422",
                },
            )
        status = int(kind)
        return _Reply(status, {"message": "Server Error", "status": str(status)})

    def _route(
        self,
        method: str,
        route: _Route | None,
        params: dict[str, str],
        query: dict[str, str],
        body: Any,
        body_error: _HTTPError | None,
        docs: str,
        raw_path: str,
        query_pairs: list[tuple[str, str]],
    ) -> _Reply:
        try:
            if route is None:
                raise _HTTPError(404, {"message": "Not Found", "documentation_url": DOCS})
            if body_error is not None:
                raise body_error
            if (self._credential == self.variables_token) != ("/actions/variables" in route.template):
                raise _HTTPError(403, {"message": "Resource not accessible by integration", "documentation_url": docs})
            return route.handler(
                params=params,
                query=query,
                body=body,
                docs=docs,
                link_base=self._link_base(raw_path),
                query_pairs=query_pairs,
            )
        except _HTTPError as err:
            body_out = dict(err.body)
            body_out.setdefault("documentation_url", docs)
            body_out["status"] = str(err.status)
            return _Reply(err.status, body_out)
        except Exception as exc:  # a bug in the fake: answer 500 and keep it for the test
            self.server_errors.append(f"{method} {raw_path}: {exc!r}")
            return _Reply(500, {"message": "Server Error", "status": "500"})

    def _link_base(self, raw_path: str) -> str:
        segments = raw_path.split("/")[1:]
        if segments[:1] == ["repos"] and len(segments) >= 3:
            rest = segments[3:]
        elif segments[:1] == ["repositories"] and len(segments) >= 2:
            rest = segments[2:]
        else:
            return self._root + raw_path
        return "/".join([self._root, "repositories", str(self.repo_id), *rest])

    # ------------------------------------------------------------------ internals

    def _issue(self, params: dict[str, str], docs: str) -> dict[str, Any]:
        issue = self.issues.get(int(params["issue_number"]))
        if issue is None:
            raise _HTTPError(404, {"message": "Not Found", "documentation_url": docs})
        return issue

    def _validation(self, docs: str, *errors: dict[str, Any]) -> _HTTPError:
        return _HTTPError(422, {"message": "Validation Failed", "errors": list(errors), "documentation_url": docs})

    def _invalid_request(self, docs: str, detail: str) -> _HTTPError:
        return _HTTPError(422, {"message": f"Invalid request.\n\n{detail}", "documentation_url": docs})

    def _object_body(self, body: Any, docs: str, *, required: bool = True) -> dict[str, Any]:
        if body is None and not required:
            return {}
        if not isinstance(body, dict):
            raise self._invalid_request(docs, "Request body must be a JSON object.")
        return body

    def _ordered(self, kind: str, field_name: str, reverse: bool) -> list[dict[str, Any]]:
        """Comments or events sorted by (``field_name``, id), cached until the next change."""
        key = (kind, field_name, reverse)
        cached = self._order_cache.get(key)
        if cached is not None and cached[0] == self._version:
            return cached[1]
        source = self.comments.values() if kind == "comments" else self.events
        ordered = sorted(source, key=lambda x: (x[field_name], x["id"]), reverse=reverse)
        self._order_cache[key] = (self._version, ordered)
        return ordered

    def _paginate(
        self,
        items: list[Any],
        query: dict[str, str],
        link_base: str,
        query_pairs: list[tuple[str, str]],
    ) -> _Reply:
        per_page = _int_param(query.get("per_page"), 30)
        per_page = 30 if per_page < 1 else min(per_page, 100)
        page = max(1, _int_param(query.get("page"), 1))
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        kept = [(k, v) for k, v in query_pairs if k != "page"]

        def link(n: int, rel: str) -> str:
            return f'<{link_base}?{urlencode([*kept, ("page", str(n))])}>; rel="{rel}"'

        links = []
        if page > 1:
            links.append(link(min(page - 1, last), "prev"))
        if page < last:
            links.append(link(page + 1, "next"))
            links.append(link(last, "last"))
        if page > 1:
            links.append(link(1, "first"))
        headers = {"Link": ", ".join(links)} if links else {}
        return _Reply(200, chunk, headers)

    def _since(self, query: dict[str, str], docs: str, resource: str) -> str | None:
        """``since`` as a stored-format timestamp, for string comparison.

        Stored times have whole seconds, so a fractional ``since`` is rounded up:
        ``updated_at >= since`` is unchanged by that.
        """
        text = query.get("since")
        if text is None:
            return None
        try:
            since = _parse_time(text)
            if since.microsecond:
                since = since.replace(microsecond=0) + timedelta(seconds=1)
            return _ts(since)
        except ValueError:
            raise self._validation(
                docs, {"resource": resource, "field": "since", "code": "invalid", "value": text}
            ) from None

    def _enum(
        self,
        query: dict[str, str],
        name: str,
        allowed: Sequence[str],
        default: str | None,
        docs: str,
        resource: str,
    ) -> str | None:
        value = query.get(name, default)
        if value is not None and value not in allowed:
            raise self._validation(docs, {"resource": resource, "field": name, "code": "invalid", "value": value})
        return value

    def _label_names_from(self, value: Any, docs: str) -> list[str]:
        """Label names from the shapes GitHub accepts: names, ``{"name": ...}``, or a string."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self._invalid_request(docs, "For 'labels', value is not an array.")
        names = []
        for item in value:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str):
                raise self._invalid_request(docs, f"For 'labels', {item!r} is not a string.")
            names.append(name)
        return names

    def _resolve_labels(self, names: Iterable[str], docs: str) -> list[dict[str, Any]]:
        """Existing labels for ``names``; creates missing ones (as GitHub does)."""
        out: list[dict[str, Any]] = []
        for name in names:
            self._check_label_name(name, docs)
        for name in names:
            label = self._find_label(name) or self._new_label(name, DEFAULT_LABEL_COLOR, None)
            if label not in out:
                out.append(label)
        return out

    def _check_label_name(self, name: str, docs: str) -> None:
        if not name.strip():
            raise self._validation(docs, {"resource": "Label", "field": "name", "code": "missing_field"})
        if len(name) > LABEL_NAME_MAX:
            raise self._validation(
                docs,
                {
                    "resource": "Label",
                    "field": "name",
                    "code": "custom",
                    "message": f"name is too long (maximum is {LABEL_NAME_MAX} characters)",
                },
            )

    def _touch(self, issue: dict[str, Any], stamp: str) -> None:
        issue["updated_at"] = stamp

    def _apply_labels(self, issue: dict[str, Any], new: list[dict[str, Any]], stamp: str) -> bool:
        old = issue["labels"]
        removed = [x for x in old if x not in new]
        added = [x for x in new if x not in old]
        for label in removed:
            self._new_event(
                issue["number"],
                "unlabeled",
                actor=self._bot(),
                created_at=stamp,
                app=self._app(),
                label={"name": label["name"], "color": label["color"]},
            )
        for label in added:
            self._new_event(
                issue["number"],
                "labeled",
                actor=self._bot(),
                created_at=stamp,
                app=self._app(),
                label={"name": label["name"], "color": label["color"]},
            )
        issue["labels"] = [x for x in old if x in new] + added
        return bool(removed or added)

    def _check_assignees(self, logins: Any, docs: str, *, strict: bool) -> list[str]:
        if isinstance(logins, str):
            logins = [logins]
        if not isinstance(logins, list):
            raise self._invalid_request(docs, "For 'assignees', value is not an array.")
        out = []
        for item in logins:
            login = item.get("login") if isinstance(item, dict) else item
            if not isinstance(login, str):
                raise self._invalid_request(docs, f"For 'assignees', {item!r} is not a string.")
            if self.assignable is not None and login.lower() not in self.assignable:
                if strict:
                    raise self._validation(
                        docs,
                        {
                            "resource": "Issue",
                            "field": "assignees",
                            "code": "invalid",
                            "value": login,
                        },
                    )
                continue
            if login.lower() not in [x.lower() for x in out]:
                out.append(login)
        return out

    def _apply_assignees(self, issue: dict[str, Any], logins: list[str], stamp: str) -> bool:
        old = issue["assignees"]
        new = [self.user(login) for login in logins]
        removed = [u for u in old if u not in new]
        added = [u for u in new if u not in old]
        for user in removed:
            self._new_event(
                issue["number"],
                "unassigned",
                actor=self._bot(),
                created_at=stamp,
                app=self._app(),
                assignee=user,
                assigner=self._bot(),
            )
        for user in added:
            self._new_event(
                issue["number"],
                "assigned",
                actor=self._bot(),
                created_at=stamp,
                app=self._app(),
                assignee=user,
                assigner=self._bot(),
            )
        issue["assignees"] = [u for u in old if u in new] + added
        issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None
        return bool(removed or added)

    def _too_many_assignees(self, docs: str) -> _HTTPError:
        return self._validation(
            docs,
            {
                "resource": "Issue",
                "field": "assignees",
                "code": "custom",
                "message": f"You can assign up to {MAX_ASSIGNEES} users",
            },
        )

    def _check_text(
        self,
        value: Any,
        field_name: str,
        resource: str,
        docs: str,
        *,
        required: bool,
        max_len: int,
    ) -> str | None:
        if value is None:
            if required:
                raise self._validation(docs, {"resource": resource, "field": field_name, "code": "missing_field"})
            return None
        if isinstance(value, int) and not isinstance(value, bool) and field_name == "title":
            value = str(value)
        if not isinstance(value, str):
            raise self._invalid_request(docs, f"For '{field_name}', {value!r} is not a string.")
        if required and not value.strip():
            raise self._validation(docs, {"resource": resource, "field": field_name, "code": "missing_field"})
        if len(value) > max_len:
            raise self._validation(
                docs,
                {
                    "resource": resource,
                    "field": field_name,
                    "code": "custom",
                    "message": f"{field_name} is too long (maximum is {max_len} characters)",
                },
            )
        return value

    # ------------------------------------------------------------------ handlers

    def _get_repo(self, **_: Any) -> _Reply:
        return _Reply(200, self._repo_json())

    def _get_rate_limit(self, **_: Any) -> _Reply:
        def window(limit: int, remaining: int) -> dict[str, int]:
            return {
                "limit": limit,
                "used": limit - remaining,
                "remaining": remaining,
                "reset": self._reset_on_clock(),
            }

        core = window(self.rate_limit, self.rate_remaining)
        return _Reply(
            200,
            {
                "resources": {
                    "core": core,
                    "search": window(30, 30),
                    "graphql": window(5000, 5000),
                    "integration_manifest": window(5000, 5000),
                    "code_search": window(10, 10),
                },
                "rate": core,
            },
        )

    def _get_user(self, docs: str, **_: Any) -> _Reply:
        raise _HTTPError(403, {"message": "Resource not accessible by integration", "documentation_url": docs})

    def _list_issues(
        self,
        query: dict[str, str],
        docs: str,
        link_base: str,
        query_pairs: list[tuple[str, str]],
        **_: Any,
    ) -> _Reply:
        state = self._enum(query, "state", ("open", "closed", "all"), "open", docs, "Issue")
        sort = self._enum(query, "sort", ("created", "updated", "comments"), "created", docs, "Issue")
        direction = self._enum(query, "direction", ("asc", "desc"), "desc", docs, "Issue")
        since = self._since(query, docs, "Issue")
        wanted = [x.strip() for x in query.get("labels", "").split(",") if x.strip()]
        assignee = query.get("assignee")
        creator = query.get("creator")
        items = []
        for issue in self.issues.values():
            if state != "all" and issue["state"] != state:
                continue
            if since is not None and issue["updated_at"] < since:
                continue
            names = {label["name"].casefold() for label in issue["labels"]}
            if any(name.casefold() not in names for name in wanted):
                continue
            logins = {u["login"].lower() for u in issue["assignees"]}
            if assignee == "none" and logins:
                continue
            if assignee == "*" and not logins:
                continue
            if assignee not in (None, "none", "*") and assignee.lower() not in logins:
                continue
            if creator is not None and issue["user"]["login"].lower() != creator.lower():
                continue
            items.append(issue)
        key = {
            "created": lambda i: (i["created_at"], i["number"]),
            "updated": lambda i: (i["updated_at"], i["number"]),
            "comments": lambda i: (i["comments"], i["number"]),
        }[sort or "created"]
        items.sort(key=key, reverse=direction == "desc")
        return self._paginate(items, query, link_base, query_pairs)

    def _get_issue(self, params: dict[str, str], docs: str, **_: Any) -> _Reply:
        return _Reply(200, self._issue(params, docs))

    def _create_issue(self, body: Any, docs: str, **_: Any) -> _Reply:
        body = self._object_body(body, docs)
        title = self._check_text(body.get("title"), "title", "Issue", docs, required=True, max_len=TITLE_MAX)
        text = self._check_text(body.get("body"), "body", "Issue", docs, required=False, max_len=BODY_MAX)
        label_names = self._label_names_from(body.get("labels", []), docs)
        for name in label_names:
            self._check_label_name(name, docs)
        logins = self._check_assignees(body.get("assignees", []), docs, strict=True)
        if body.get("assignee"):
            logins = self._check_assignees([body["assignee"], *logins], docs, strict=True)
        if len(logins) > MAX_ASSIGNEES:
            raise self._too_many_assignees(docs)
        stamp = _ts(self.now())
        assert title is not None
        issue = self._new_issue(
            title=title,
            body=text,
            user=self._bot(),
            author_association="NONE",
            created_at=stamp,
            is_pull_request=False,
            app=self._app(),
        )
        self._apply_labels(issue, self._resolve_labels(label_names, docs), stamp)
        self._apply_assignees(issue, logins, stamp)
        return _Reply(201, issue, {"Location": issue["url"]}, changed=True)

    def _edit_issue(self, params: dict[str, str], body: Any, docs: str, **_: Any) -> _Reply:
        issue = self._issue(params, docs)
        body = self._object_body(body, docs)
        title = body.get("title")
        if "title" in body and title is not None:
            title = self._check_text(title, "title", "Issue", docs, required=True, max_len=TITLE_MAX)
        if "body" in body:
            self._check_text(body["body"], "body", "Issue", docs, required=False, max_len=BODY_MAX)
        state = body.get("state")
        if "state" in body and state not in ("open", "closed"):
            raise self._validation(docs, {"resource": "Issue", "field": "state", "code": "invalid", "value": state})
        reason = body.get("state_reason")
        if reason is not None and reason not in STATE_REASONS:
            raise self._validation(
                docs,
                {"resource": "Issue", "field": "state_reason", "code": "invalid", "value": reason},
            )
        new_labels = None
        if "labels" in body:
            names = self._label_names_from(body["labels"] or [], docs)
            for name in names:
                self._check_label_name(name, docs)
            new_labels = names
        logins = None
        if "assignees" in body:
            logins = self._check_assignees(body["assignees"] or [], docs, strict=True)
        elif "assignee" in body:
            one = body["assignee"]
            logins = self._check_assignees([one] if one else [], docs, strict=True)
        if logins is not None and len(logins) > MAX_ASSIGNEES:
            raise self._too_many_assignees(docs)

        stamp = _ts(self.now())
        bot, app = self._bot(), self._app()
        changed = False
        if title is not None and title != issue["title"]:
            self._new_event(
                issue["number"],
                "renamed",
                actor=bot,
                created_at=stamp,
                app=app,
                rename={"from": issue["title"], "to": title},
            )
            issue["title"] = title
            changed = True
        if "body" in body and (body["body"] or None) != issue["body"]:
            issue["body"] = body["body"] or None
            changed = True
        if new_labels is not None:
            changed |= self._apply_labels(issue, self._resolve_labels(new_labels, docs), stamp)
        if logins is not None:
            changed |= self._apply_assignees(issue, logins, stamp)
        if state is not None and state != issue["state"]:
            if state == "closed":
                issue["state"] = "closed"
                issue["state_reason"] = reason if reason not in (None, "reopened") else ("completed")
                issue["closed_at"] = stamp
                issue["closed_by"] = bot
                self._new_event(
                    issue["number"],
                    "closed",
                    actor=bot,
                    created_at=stamp,
                    app=app,
                    state_reason=issue["state_reason"],
                )
            else:
                issue["state"] = "open"
                issue["state_reason"] = "reopened"
                issue["closed_at"] = None
                self._new_event(
                    issue["number"],
                    "reopened",
                    actor=bot,
                    created_at=stamp,
                    app=app,
                    state_reason="reopened",
                )
            changed = True
        if changed:
            self._touch(issue, stamp)
        return _Reply(200, issue, changed=changed)

    def _list_repo_comments(
        self,
        query: dict[str, str],
        docs: str,
        link_base: str,
        query_pairs: list[tuple[str, str]],
        **_: Any,
    ) -> _Reply:
        sort = self._enum(query, "sort", ("created", "updated"), "created", docs, "IssueComment")
        direction = self._enum(query, "direction", ("asc", "desc"), "asc", docs, "IssueComment")
        since = self._since(query, docs, "IssueComment")
        field_name = "updated_at" if sort == "updated" else "created_at"
        ordered = self._ordered("comments", field_name, direction == "desc")
        items = ordered if since is None else [c for c in ordered if c["updated_at"] >= since]
        return self._paginate(items, query, link_base, query_pairs)

    def _list_issue_comments(
        self,
        params: dict[str, str],
        query: dict[str, str],
        docs: str,
        link_base: str,
        query_pairs: list[tuple[str, str]],
        **_: Any,
    ) -> _Reply:
        issue = self._issue(params, docs)
        since = self._since(query, docs, "IssueComment")
        comments = [self.comments[cid] for cid in self._issue_comment_ids.get(issue["number"], [])]
        items = [c for c in comments if since is None or c["updated_at"] >= since]
        return self._paginate(items, query, link_base, query_pairs)

    def _comment(self, params: dict[str, str], docs: str) -> dict[str, Any]:
        comment = self.comments.get(int(params["comment_id"]))
        if comment is None:
            raise _HTTPError(404, {"message": "Not Found", "documentation_url": docs})
        return comment

    def _get_comment(self, params: dict[str, str], docs: str, **_: Any) -> _Reply:
        return _Reply(200, self._comment(params, docs))

    def _create_comment(self, params: dict[str, str], body: Any, docs: str, **_: Any) -> _Reply:
        issue = self._issue(params, docs)
        body = self._object_body(body, docs)
        text = self._check_text(body.get("body"), "body", "IssueComment", docs, required=True, max_len=BODY_MAX)
        assert text is not None
        stamp = _ts(self.now())
        comment = self._new_comment(
            issue["number"],
            body=text,
            user=self._bot(),
            author_association="NONE",
            created_at=stamp,
            app=self._app(),
        )
        self._touch(issue, stamp)
        return _Reply(201, comment, {"Location": comment["url"]}, changed=True)

    def _edit_comment(self, params: dict[str, str], body: Any, docs: str, **_: Any) -> _Reply:
        comment = self._comment(params, docs)
        body = self._object_body(body, docs)
        text = self._check_text(body.get("body"), "body", "IssueComment", docs, required=True, max_len=BODY_MAX)
        if text == comment["body"]:
            return _Reply(200, comment)
        stamp = _ts(self.now())
        comment["body"] = text
        comment["updated_at"] = stamp
        self._version += 1
        self._touch(self.issues[self._comment_issue[comment["id"]]], stamp)
        return _Reply(200, comment, changed=True)

    def _delete_comment(self, params: dict[str, str], docs: str, **_: Any) -> _Reply:
        comment = self._comment(params, docs)
        number = self._comment_issue.pop(comment["id"])
        del self.comments[comment["id"]]
        self._issue_comment_ids[number].remove(comment["id"])
        self._version += 1
        issue = self.issues[number]
        issue["comments"] -= 1
        self._touch(issue, _ts(self.now()))
        return _Reply(204, changed=True)

    def _list_repo_events(
        self,
        query: dict[str, str],
        link_base: str,
        query_pairs: list[tuple[str, str]],
        **_: Any,
    ) -> _Reply:
        return self._paginate(self._ordered("events", "created_at", True), query, link_base, query_pairs)

    def _get_event(self, params: dict[str, str], docs: str, **_: Any) -> _Reply:
        wanted = int(params["event_id"])
        for event in self.events:
            if event["id"] == wanted:
                return _Reply(200, event)
        raise _HTTPError(404, {"message": "Not Found", "documentation_url": docs})

    def _list_issue_events(
        self,
        params: dict[str, str],
        query: dict[str, str],
        docs: str,
        link_base: str,
        query_pairs: list[tuple[str, str]],
        **_: Any,
    ) -> _Reply:
        issue = self._issue(params, docs)
        events = sorted(self._issue_event_list.get(issue["number"], []), key=lambda e: (e["created_at"], e["id"]))
        items = [{k: v for k, v in e.items() if k != "issue"} for e in events]
        return self._paginate(items, query, link_base, query_pairs)

    def _list_issue_labels(
        self,
        params: dict[str, str],
        query: dict[str, str],
        docs: str,
        link_base: str,
        query_pairs: list[tuple[str, str]],
        **_: Any,
    ) -> _Reply:
        issue = self._issue(params, docs)
        return self._paginate(list(issue["labels"]), query, link_base, query_pairs)

    def _labels_body(self, body: Any, docs: str) -> list[str]:
        if isinstance(body, dict):
            return self._label_names_from(body.get("labels", []), docs)
        return self._label_names_from(body if body is not None else [], docs)

    def _add_labels(self, params: dict[str, str], body: Any, docs: str, **_: Any) -> _Reply:
        issue = self._issue(params, docs)
        names = self._labels_body(body, docs)
        labels = self._resolve_labels(names, docs)
        stamp = _ts(self.now())
        new = issue["labels"] + [x for x in labels if x not in issue["labels"]]
        changed = self._apply_labels(issue, new, stamp)
        if changed:
            self._touch(issue, stamp)
        return _Reply(200, issue["labels"], changed=changed)

    def _set_labels(self, params: dict[str, str], body: Any, docs: str, **_: Any) -> _Reply:
        issue = self._issue(params, docs)
        labels = self._resolve_labels(self._labels_body(body, docs), docs)
        stamp = _ts(self.now())
        changed = self._apply_labels(issue, labels, stamp)
        if changed:
            self._touch(issue, stamp)
        return _Reply(200, issue["labels"], changed=changed)

    def _remove_all_labels(self, params: dict[str, str], docs: str, **_: Any) -> _Reply:
        issue = self._issue(params, docs)
        stamp = _ts(self.now())
        changed = self._apply_labels(issue, [], stamp)
        if changed:
            self._touch(issue, stamp)
        return _Reply(204, changed=changed)

    def _remove_label(self, params: dict[str, str], docs: str, **_: Any) -> _Reply:
        issue = self._issue(params, docs)
        label = self._find_label(params["name"])
        if label is None or label not in issue["labels"]:
            raise _HTTPError(404, {"message": "Label does not exist", "documentation_url": docs})
        stamp = _ts(self.now())
        self._apply_labels(issue, [x for x in issue["labels"] if x is not label], stamp)
        self._touch(issue, stamp)
        return _Reply(200, issue["labels"], changed=True)

    def _add_assignees(self, params: dict[str, str], body: Any, docs: str, **_: Any) -> _Reply:
        issue = self._issue(params, docs)
        body = self._object_body(body, docs, required=False)
        logins = self._check_assignees(body.get("assignees", []), docs, strict=False)
        current = [u["login"] for u in issue["assignees"]]
        merged = current + [x for x in logins if x.lower() not in {c.lower() for c in current}]
        if len(merged) > MAX_ASSIGNEES:
            raise self._too_many_assignees(docs)
        stamp = _ts(self.now())
        changed = self._apply_assignees(issue, merged, stamp)
        if changed:
            self._touch(issue, stamp)
        return _Reply(201, issue, changed=changed)

    def _remove_assignees(self, params: dict[str, str], body: Any, docs: str, **_: Any) -> _Reply:
        issue = self._issue(params, docs)
        body = self._object_body(body, docs)
        if "assignees" not in body:
            raise self._validation(docs, {"resource": "Issue", "field": "assignees", "code": "missing_field"})
        drop = {x.lower() for x in self._check_assignees(body["assignees"], docs, strict=False)}
        keep = [u["login"] for u in issue["assignees"] if u["login"].lower() not in drop]
        stamp = _ts(self.now())
        changed = self._apply_assignees(issue, keep, stamp)
        if changed:
            self._touch(issue, stamp)
        return _Reply(200, issue, changed=changed)

    def _list_labels(
        self,
        query: dict[str, str],
        link_base: str,
        query_pairs: list[tuple[str, str]],
        **_: Any,
    ) -> _Reply:
        items = sorted(self.labels.values(), key=lambda x: x["id"])
        return self._paginate(items, query, link_base, query_pairs)

    def _check_label_fields(self, body: dict[str, Any], docs: str) -> None:
        color = body.get("color")
        if color is not None and (not isinstance(color, str) or not _COLOR_RE.match(color)):
            raise self._validation(docs, {"resource": "Label", "field": "color", "code": "invalid"})
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > LABEL_DESCRIPTION_MAX):
            raise self._validation(
                docs,
                {
                    "resource": "Label",
                    "field": "description",
                    "code": "custom",
                    "message": "description is too long (maximum is 100 characters)",
                },
            )

    def _create_label(self, body: Any, docs: str, **_: Any) -> _Reply:
        body = self._object_body(body, docs)
        name = body.get("name")
        if not isinstance(name, str):
            raise self._validation(docs, {"resource": "Label", "field": "name", "code": "missing_field"})
        self._check_label_name(name, docs)
        self._check_label_fields(body, docs)
        if self._find_label(name) is not None:
            raise self._validation(docs, {"resource": "Label", "field": "name", "code": "already_exists"})
        label = self._new_label(name, (body.get("color") or DEFAULT_LABEL_COLOR).lower(), body.get("description"))
        return _Reply(201, label, {"Location": label["url"]}, changed=True)

    def _label_param(self, params: dict[str, str], docs: str) -> dict[str, Any]:
        label = self._find_label(params["name"])
        if label is None:
            raise _HTTPError(404, {"message": "Not Found", "documentation_url": docs})
        return label

    def _get_label(self, params: dict[str, str], docs: str, **_: Any) -> _Reply:
        return _Reply(200, self._label_param(params, docs))

    def _edit_label(self, params: dict[str, str], body: Any, docs: str, **_: Any) -> _Reply:
        label = self._label_param(params, docs)
        body = self._object_body(body, docs)
        self._check_label_fields(body, docs)
        new_name = body.get("new_name", body.get("name"))
        changed = False
        if new_name is not None and new_name != label["name"]:
            if not isinstance(new_name, str):
                raise self._invalid_request(docs, "For 'new_name', value is not a string.")
            self._check_label_name(new_name, docs)
            other = self._find_label(new_name)
            if other is not None and other is not label:
                raise self._validation(docs, {"resource": "Label", "field": "name", "code": "already_exists"})
            del self.labels[label["name"]]
            label["name"] = new_name
            label["url"] = self._label_url(new_name)
            self.labels[new_name] = label
            changed = True
        if body.get("color") is not None and body["color"].lower() != label["color"]:
            label["color"] = body["color"].lower()
            changed = True
        if "description" in body and (body["description"] or None) != label["description"]:
            label["description"] = body["description"] or None
            changed = True
        return _Reply(200, label, changed=changed)

    # ------------------------------------------------------------------ Actions variables

    def _variable(self, params: dict[str, str], docs: str) -> dict[str, Any]:
        found = self.variables.get(params["name"].upper())
        if found is None:
            raise _HTTPError(404, {"message": "Not Found", "documentation_url": docs})
        return found

    def _variable_fields(self, body: Any, docs: str) -> tuple[str, str]:
        data = self._object_body(body, docs)
        name, value = data.get("name"), data.get("value")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise self._invalid_request(docs, f"Invalid variable name {name!r}.")
        if not isinstance(value, str) or len(value.encode()) > 48 * 1024:
            raise self._invalid_request(docs, "A variable's value is a string of at most 48 KB.")
        return name.upper(), value

    def _create_variable(self, body: Any, docs: str, **_: Any) -> _Reply:
        name, value = self._variable_fields(body, docs)
        if name in self.variables:
            raise _HTTPError(409, {"message": "Already exists - Variable already exists", "documentation_url": docs})
        at = _ts(self.now())
        self.variables[name] = {"name": name, "value": value, "created_at": at, "updated_at": at}
        return _Reply(201, {}, changed=True)

    def _get_variable(self, params: dict[str, str], docs: str, **_: Any) -> _Reply:
        return _Reply(200, dict(self._variable(params, docs)))

    def _update_variable(self, params: dict[str, str], body: Any, docs: str, **_: Any) -> _Reply:
        found = self._variable(params, docs)
        name, value = self._variable_fields({"name": params["name"], **self._object_body(body, docs)}, docs)
        found.update(name=name, value=value, updated_at=_ts(self.now()))
        return _Reply(204, changed=True)

    def _delete_label(self, params: dict[str, str], docs: str, **_: Any) -> _Reply:
        label = self._label_param(params, docs)
        del self.labels[label["name"]]
        for issue in self.issues.values():
            if label in issue["labels"]:
                issue["labels"] = [x for x in issue["labels"] if x is not label]
        return _Reply(204, changed=True)


def _int_param(value: str | None, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return default


def _header(headers: dict[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""
