"""The GitHub hub: the grader's reads and writes against one repository, through PyGithub.

PyGithub supplies authentication, the HTTP session, URL handling and error classification;
this module drives the REST paths through its :class:`~github.Requester.Requester` so that
every attempt passes through one place (:meth:`GitHubHub._request`) where it is counted,
budgeted and retried. PyGithub's own retries and pacing are switched off so none of that is
hidden.

It is longer than the other modules on purpose: every request's counting, budget, retry and
recovery lives in one class with the hub methods that rely on them, so the failure policy
below can be checked against the code in one reading.

Failure policy
    * 5xx answers, timeouts, dropped connections and torn bodies are retried with exponential
      backoff inside a time budget (``retry_budget`` seconds, ``max_attempts`` tries).
    * 403/429 rate limits honour ``Retry-After``; with nothing left of the primary limit
      (``x-ratelimit-remaining: 0``) the hub waits for ``x-ratelimit-reset``, counted on
      GitHub's clock (the answer's ``Date``), or stops the run cleanly
      (:class:`~tracker.errors.BudgetExhausted`) when that is past the retry budget. A 429 or
      secondary limit that names no time is retried with the same exponential backoff as a
      5xx. GitHub asks for at least a minute there; a run's retry budget (default 60 s) is
      the bound instead, and what does not fit in it is left to the next run, at most a
      schedule tick away. A wait longer than what is left of the budget stops the run
      instead of sleeping through it.
    * ``x-ratelimit-remaining`` is read from every answer, errors included. Before each request
      the hub refuses to go below ``min_remaining`` and raises
      :class:`~tracker.errors.BudgetExhausted`; the primary limit (remaining 0) does the same.
    * A write that may have happened before the connection dropped (or before a 5xx) is not
      blindly repeated: naturally idempotent writes (PUT, PATCH, DELETE, adding labels or
      assignees) are simply sent again; creating a comment or an issue is first looked for
      (the marked comment by the bot, the bot's issue with the same marker or title and body).

Labels
    One ticket's label change costs the fewest requests GitHub allows. Additions are one
    ``POST .../labels`` however many; each removal is one ``DELETE`` (GitHub has no bulk
    remove). So "add any, remove one" is one or two requests and needs no read; with two or
    more removals a ``GET`` of the issue's labels and one ``PUT`` of the final set are fewer.
    ``PUT`` is never sent from the ledger's copy of the labels: a label a person added a
    moment ago would be dropped by it.

Sleeping goes through an injectable ``sleep`` and time through ``clock`` so that tests can
run faults without waiting.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
from github import Auth, Github, GithubException

from tracker.errors import BudgetExhausted, HubError
from tracker.model import Comment
from tracker.protocol import incident_of_body, marker_key, parts_of

log = logging.getLogger("tracker.github")

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
_ISSUE_PATH = re.compile(r"^/repos/[^/]+/[^/]+/issues/(\d+)(?:/|$)")
_COMMENT_PATH = re.compile(r"^/repos/[^/]+/[^/]+/issues/comments/(\d+)$")
_NUMBERS = {2: "twice", 3: "three times", 4: "four times", 5: "five times", 6: "six times"}


class GitHubUnavailable(HubError):
    """GitHub kept failing (5xx, timeouts, secondary limits) for the whole retry budget."""

    hint = "Nothing is lost: the next scheduled run will retry and converge."


class GitHubRequestError(HubError):
    """GitHub refused a request in a way that retrying will not fix (4xx)."""

    def __init__(
        self,
        message: str,
        status: int,
        hint: str | None = None,
        number: int | None = None,
        comment_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.hint = hint
        self.number = number  # the issue the refused request was about, if any
        self.comment_id = comment_id  # the comment it was about, if any


@dataclass
class RequestStats:
    """What one hub did on the wire. ``requests`` counts every attempt, retries included."""

    requests: int = 0
    reads: int = 0
    writes: int = 0
    retries: int = 0
    slept: float = 0.0
    remaining: int | None = None  # last x-ratelimit-remaining seen
    limit: int | None = None
    failures: list[str] = field(default_factory=list)  # one short word per failed attempt

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "reads": self.reads,
            "writes": self.writes,
            "retries": self.retries,
            "slept": round(self.slept, 3),
            "remaining": self.remaining,
        }


def parse_time(value: str | None) -> datetime | None:
    """GitHub's ``2024-05-01T08:00:00Z`` as an aware datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_bot_user(user: dict[str, Any] | None) -> bool:
    """An app or bot account: ``type == "Bot"`` or a login ending in ``[bot]``."""
    if not user:
        return False
    return user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")


def login_of(user: dict[str, Any] | None) -> str:
    return str(user.get("login", "ghost")) if user else "ghost"


def comment_from_api(data: dict[str, Any]) -> Comment:
    """One REST issue comment as a model :class:`Comment`."""
    user = data.get("user")
    created = parse_time(data.get("created_at")) or datetime.fromtimestamp(0, UTC)
    return Comment(
        id=int(data["id"]),
        author=login_of(user),
        body=data.get("body") or "",
        created_at=created,
        author_association=data.get("author_association") or "NONE",
        is_bot=is_bot_user(user),
        updated_at=parse_time(data.get("updated_at")),
    )


def _next_link(headers: dict[str, Any]) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header, if any."""
    link = headers.get("link") or headers.get("Link")
    if not link:
        return None
    for part in str(link).split(","):
        section = part.split(";")
        if len(section) < 2:
            continue
        url = section[0].strip().strip("<>")
        if any(s.strip() == 'rel="next"' for s in section[1:]):
            return url
    return None


def _header_int(headers: dict[str, Any] | None, name: str) -> int | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _date_of(headers: dict[str, Any] | None) -> datetime | None:
    """GitHub's clock as an answer states it (its ``Date``), None when it states none."""
    if not headers or not headers.get("date"):
        return None
    try:
        return parsedate_to_datetime(str(headers["date"])).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def _server_time(headers: dict[str, Any]) -> float:
    """GitHub's clock: the answer's ``Date``, else this machine's."""
    stated = _date_of(headers)
    return stated.timestamp() if stated is not None else time.time()


def _times(n: int) -> str:
    return "once" if n == 1 else _NUMBERS.get(n, f"{n} times")


class GitHubHub:
    """One repository on GitHub (or GitHub Enterprise), as the grader's :class:`~tracker.hub.Hub`.

    Reads used by :mod:`tracker.sync` are here too (bulk lists and one ticket's refresh), so
    the whole API budget is visible in :attr:`stats`.
    """

    def __init__(
        self,
        repo: str,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        bot_login: str = "github-actions[bot]",
        min_remaining: int = 0,
        retry_budget: float = 60.0,
        max_attempts: int = 5,
        backoff: float = 1.0,
        write_interval: float = 0.0,
        timeout: int = 15,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: datetime | None = None,
    ) -> None:
        if "/" not in repo or repo.count("/") != 1 or not all(repo.split("/")):
            raise GitHubRequestError(f"repository {repo!r} is not OWNER/NAME", 0, "Pass --repo OWNER/NAME.")
        if not token:
            raise GitHubRequestError("no GitHub token was given", 401, "Set GITHUB_TOKEN.")
        self.repo = repo
        self.bot_login = bot_login
        self.min_remaining = min_remaining
        self.retry_budget = retry_budget
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.write_interval = write_interval
        self.stats = RequestStats()
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._last_write: float | None = None
        self._github_now: datetime | None = None
        self._gh = Github(
            base_url=api_url.rstrip("/"),
            auth=Auth.Token(token),
            per_page=PER_PAGE,
            timeout=timeout,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self._requester = self._gh.requester
        self._base = f"/repos/{repo}"
        # Marked comments known complete for an issue (from a sync that just read them all),
        # so apply's "was it already posted?" question costs no request.
        self._marked: dict[int, dict[str, Comment]] = {}
        self._incidents: dict[str, int] | None = None

    # ------------------------------------------------------------------ lifecycle

    def disconnect(self) -> None:
        """Close the HTTP session (``close`` is the Hub's "close a ticket")."""
        self._gh.close()

    def __enter__(self) -> GitHubHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    # ------------------------------------------------------------------ the one wire

    def _check_budget(self, verb: str, path: str) -> None:
        remaining = self.stats.remaining
        if remaining is not None and remaining <= self.min_remaining:
            raise BudgetExhausted(
                f"the GitHub API budget is down to {remaining} requests "
                f"(floor {self.min_remaining}); stopped before {verb} {self._short(path)}"
            )

    def _short(self, path: str) -> str:
        if "://" in path:
            path = "/" + path.split("://", 1)[1].split("/", 1)[-1]
        return path.split("?", 1)[0]

    def github_now(self) -> datetime | None:
        """GitHub's clock as of the last answer (its ``Date``), None before any answer."""
        return self._github_now

    def _note_headers(self, headers: dict[str, Any] | None) -> None:
        self._github_now = _date_of(headers) or self._github_now
        remaining = _header_int(headers, "x-ratelimit-remaining")
        if remaining is not None:
            self.stats.remaining = remaining
            self.stats.limit = _header_int(headers, "x-ratelimit-limit") or self.stats.limit

    def _pace_write(self) -> None:
        if self.write_interval <= 0 or self._last_write is None:
            return
        wait = self._last_write + self.write_interval - self._clock()
        if wait > 0:
            self._doze(wait)

    def _doze(self, seconds: float) -> None:
        self.stats.slept += seconds
        self._sleep(seconds)

    def _request(
        self,
        verb: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        verify: Callable[[], Any] | None = None,
        ok_statuses: Iterable[int] = (),
    ) -> tuple[dict[str, Any], Any]:
        """Send one request, retrying what is safe to retry. Returns ``(headers, data)``.

        ``verify`` is given for writes that must not happen twice: after an attempt whose
        outcome is unknown it is called, and a non-None answer is taken as the result.
        ``ok_statuses`` are error statuses that mean "already done" (a 404 on DELETE).
        """
        is_write = verb != "GET"
        started = self._clock()
        attempt = 0
        failures: list[str] = []
        ok = frozenset(ok_statuses)
        while True:
            attempt += 1
            self._check_budget(verb, path)
            if is_write:
                self._pace_write()
            self.stats.requests += 1
            if is_write:
                self.stats.writes += 1
            else:
                self.stats.reads += 1
            wait: float | None = None
            outcome_unknown = False
            try:
                headers, data = self._requester.requestJsonAndCheck(verb, path, parameters=params, input=body)
            except GithubException as exc:
                headers = exc.headers or {}
                self._note_headers(headers)
                status = exc.status
                if status in ok:
                    return headers, None
                if status in _TRANSIENT_STATUSES:
                    failures.append(str(status))
                    outcome_unknown = is_write
                elif status == 429 or (status == 403 and self._is_rate_limited(exc)):
                    wait = self._limit_wait(headers, started)
                    if wait is None:
                        raise BudgetExhausted(
                            "GitHub's primary rate limit is used up "
                            f"(resets at {self._reset_time(headers)}); stopped before "
                            f"{verb} {self._short(path)}"
                        ) from None
                    primary = _header_int(headers, "x-ratelimit-remaining") == 0 and not headers.get("retry-after")
                    failures.append(f"{status} ({'primary' if primary else 'secondary'} rate limit)")
                    if primary:
                        self.stats.remaining = None  # refilled by the time the wait is over
                    wait = wait or None  # no time named: exponential backoff, like a 5xx
                else:
                    raise self._refusal(verb, path, exc) from None
            except requests.exceptions.Timeout:
                failures.append("a timeout")
                outcome_unknown = is_write
            except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError):
                failures.append("a dropped connection")
                outcome_unknown = is_write
            except ValueError:  # a torn JSON body
                failures.append("a torn answer")
                outcome_unknown = is_write
            else:
                self._note_headers(headers)
                return headers, data
            finally:
                if is_write:
                    self._last_write = self._clock()

            self.stats.failures.append(failures[-1])
            if outcome_unknown and verify is not None:
                found = verify()
                if found is not None:
                    log.info("%s %s had gone through before the failure", verb, self._short(path))
                    return {}, found
            elapsed = self._clock() - started
            asked = wait is not None
            if wait is None:
                wait = self.backoff * (2 ** (attempt - 1))
            if attempt >= self.max_attempts or elapsed + wait > self.retry_budget:
                raise GitHubUnavailable(self._give_up(verb, path, failures, elapsed, wait if asked else 0.0))
            self.stats.retries += 1
            log.debug("retrying %s %s in %.2fs after %s", verb, path, wait, failures[-1])
            self._doze(wait)

    @staticmethod
    def _is_rate_limited(exc: GithubException) -> bool:
        headers = exc.headers or {}
        if headers.get("retry-after") or _header_int(headers, "x-ratelimit-remaining") == 0:
            return True
        message = ""
        if isinstance(exc.data, dict):
            message = str(exc.data.get("message", ""))
        return "rate limit" in message.lower()

    def _limit_wait(self, headers: dict[str, Any], started: float) -> float | None:
        """How long a rate-limited answer asks to wait: ``Retry-After``; else, with nothing
        left (``x-ratelimit-remaining: 0``), until ``x-ratelimit-reset`` by GitHub's own clock
        (its ``Date``), or None when that is unknown or past the retry budget (the run stops);
        else 0: no time named, back off exponentially."""
        value = headers.get("retry-after")
        if value is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                pass
        if _header_int(headers, "x-ratelimit-remaining") != 0:
            return 0.0
        reset = _header_int(headers, "x-ratelimit-reset")
        if reset is None:
            return None
        wait = max(1.0, reset - _server_time(headers) + 1.0)
        elapsed = self._clock() - started
        return wait if elapsed + wait <= self.retry_budget else None

    @staticmethod
    def _reset_time(headers: dict[str, Any]) -> str:
        reset = _header_int(headers, "x-ratelimit-reset")
        if reset is None:
            return "an unknown time"
        return datetime.fromtimestamp(reset, UTC).strftime("%H:%M:%S UTC")

    def _give_up(self, verb: str, path: str, failures: list[str], elapsed: float, wait: float) -> str:
        kinds = list(dict.fromkeys(failures))
        times = f"{_times(len(failures))} over {elapsed:.0f} s"
        if kinds == ["a timeout"]:
            text = f"GitHub did not answer in time {times}"
        elif kinds == ["a dropped connection"]:
            text = f"GitHub dropped the connection {times}"
        elif len(kinds) == 1:
            text = f"GitHub answered {kinds[0]} {times}"
        else:
            text = f"GitHub failed {times} ({', '.join(kinds)})"
        if wait and elapsed + wait > self.retry_budget:  # the wait GitHub asked for
            text += f" and asked to wait {wait:.0f} s more"
        return f"{text} ({verb} {self._short(path)}); the next scheduled run will retry"

    def _refusal(self, verb: str, path: str, exc: GithubException) -> GitHubRequestError:
        status = exc.status
        message = ""
        if isinstance(exc.data, dict):
            message = str(exc.data.get("message", ""))
        short = self._short(path)
        where = f"{verb} {short}"
        found = _ISSUE_PATH.match(short)
        number = int(found.group(1)) if found else None
        found = _COMMENT_PATH.match(short)
        comment_id = int(found.group(1)) if found else None
        hints = {
            401: "The token is invalid or expired: check GITHUB_TOKEN.",
            403: "The token lacks a permission: the workflow job needs `issues: write`.",
            404: f"Check --repo ({self.repo}) and that the token can see that repository.",
            410: "Issues are disabled in this repository: enable them in its settings.",
            422: "GitHub rejected the content; the run stopped before changing anything else.",
        }
        if number is not None and status in (404, 410):
            hints[status] = f"Issue #{number} may have been deleted or transferred."
        if comment_id is not None and status == 404:
            hints[status] = f"Comment {comment_id} may have been deleted."
        return GitHubRequestError(
            f"GitHub refused {where}: {status} {message}".rstrip(), status, hints.get(status), number, comment_id
        )

    def issue_gone(self, number: int) -> bool:
        """True when issue ``number`` no longer exists here (deleted, or moved elsewhere)."""
        try:
            _, data = self._request("GET", f"{self._base}/issues/{number}")
        except GitHubRequestError as exc:
            if exc.status in (404, 410):
                return True
            raise
        return int((data or {}).get("number", number)) != number

    # ------------------------------------------------------------------ paging

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Each page of a list endpoint, following ``Link: rel="next"``."""
        query = dict(params or {})
        query.setdefault("per_page", PER_PAGE)
        url: str | None = path
        first = True
        while url:
            headers, data = self._request("GET", url, params=query if first else None)
            first = False
            yield list(data or [])
            url = _next_link(headers)

    def list_all(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [item for page in self.pages(path, params) for item in page]

    # ------------------------------------------------------------------ bulk reads (sync)

    def list_issues_page(self, since: datetime | None, page: int = 1) -> tuple[list[dict[str, Any]], bool]:
        """One page of issues (and PRs) updated at or after ``since``, oldest update first.

        Returns the items and whether GitHub links a next page.
        """
        params: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "asc"}
        return self._page(f"{self._base}/issues", params, since, page)

    def list_comments_page(self, since: datetime | None, page: int = 1) -> tuple[list[dict[str, Any]], bool]:
        """One page of the repository-wide issue comments list, oldest update first."""
        params: dict[str, Any] = {"sort": "updated", "direction": "asc"}
        return self._page(f"{self._base}/issues/comments", params, since, page)

    def list_events_page(self, page: int = 1) -> tuple[list[dict[str, Any]], bool]:
        """One page of the repository-wide issue events list, newest first."""
        return self._page(f"{self._base}/issues/events", {}, None, page)

    def _page(
        self, path: str, params: dict[str, Any], since: datetime | None, page: int
    ) -> tuple[list[dict[str, Any]], bool]:
        params = {**params, "per_page": PER_PAGE}
        if since is not None:
            params["since"] = format_time(since)
        if page > 1:
            params["page"] = page
        headers, data = self._request("GET", path, params=params)
        return list(data or []), _next_link(headers) is not None

    def get_issue(self, number: int) -> dict[str, Any]:
        _, data = self._request("GET", f"{self._base}/issues/{number}")
        return dict(data or {})

    def issue_comments(self, number: int) -> list[dict[str, Any]]:
        return self.list_all(f"{self._base}/issues/{number}/comments")

    def issue_events(self, number: int) -> list[dict[str, Any]]:
        return self.list_all(f"{self._base}/issues/{number}/events")

    def remember_comments(self, number: int, comments: Iterable[Comment]) -> None:
        """Declare ``comments`` to be every comment on ``number`` as of now (just mirrored).

        Afterwards :meth:`find_marked_comment` answers for that issue without a request, until
        a write on it ends in doubt.
        """
        marked: dict[str, Comment] = {}
        for c in comments:
            key = marker_key(c.body)
            if key is not None and c.author == self.bot_login:
                for part in (key, *parts_of(key)):  # a comment saying several things: each
                    marked.setdefault(part, c)
        self._marked[number] = marked

    def forget_comment(self, comment_id: int) -> None:
        """A comment the hub knew of is gone (deleted by a person): stop answering with it."""
        for marked in self._marked.values():
            for key in [k for k, c in marked.items() if c.id == comment_id]:
                del marked[key]

    def remember_incidents(self, incidents: dict[str, int]) -> None:
        """Incident issues already known (key -> number); a key not in it is looked up on GitHub."""
        self._incidents = dict(incidents)

    # ------------------------------------------------------------------ Hub: writes

    def set_labels(self, number: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        """Change one issue's labels in the fewest requests, never dropping a label not named.

        Adding is one ``POST`` (however many labels); each removal is one ``DELETE``. With two
        or more removals a ``GET`` and one ``PUT`` of the final set cost fewer requests; a tie
        goes to ``DELETE``/``POST``, which needs no read and cannot race a person's change.
        """
        add_set = tuple(dict.fromkeys(add))
        remove_set = tuple(r for r in dict.fromkeys(remove) if r not in add_set)
        if not add_set and not remove_set:
            return
        issue = f"{self._base}/issues/{number}"
        if len(remove_set) >= 2:
            current = [lb["name"] for lb in self.list_all(f"{issue}/labels")]
            final = [n for n in current if n not in remove_set]
            final += [n for n in add_set if n not in final]
            if final != current:
                self._request("PUT", f"{issue}/labels", body={"labels": final})
            return
        for name in remove_set:
            self._request("DELETE", f"{issue}/labels/{quote(name, safe='')}", ok_statuses=(404,))
        if add_set:
            self._request("POST", f"{issue}/labels", body={"labels": list(add_set)})

    def set_assignees(self, number: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        issue = f"{self._base}/issues/{number}"
        remove = tuple(r for r in remove if r not in add)
        if add:
            _, data = self._request("POST", f"{issue}/assignees", body={"assignees": list(add)})
            got = {login_of(u) for u in (data or {}).get("assignees") or []} if data else set()
            missing = [a for a in add if data and a not in got]
            if missing:
                log.warning(
                    "GitHub did not assign %s on #%d (no access to the repository?)",
                    ", ".join(missing),
                    number,
                )
        if remove:
            self._request("DELETE", f"{issue}/assignees", body={"assignees": list(remove)})

    def post_comment(self, number: int, body: str) -> Comment:
        key = marker_key(body)

        def already_there() -> Comment | None:
            self._marked.pop(number, None)
            if key is not None:
                return self.find_marked_comment(number, key)
            for data in reversed(self.issue_comments(number)):
                if login_of(data.get("user")) == self.bot_login and (data.get("body") or "") == body:
                    return comment_from_api(data)
            return None

        _, data = self._request(
            "POST",
            f"{self._base}/issues/{number}/comments",
            body={"body": body},
            verify=already_there,
        )
        comment = data if isinstance(data, Comment) else comment_from_api(data)
        if key is not None and number in self._marked:
            for part in (key, *parts_of(key)):
                self._marked[number].setdefault(part, comment)
        return comment

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        self._request("PATCH", f"{self._base}/issues/comments/{comment_id}", body={"body": body})

    def delete_comment(self, number: int, comment_id: int) -> None:
        """Delete a comment (a 404: another run deleted it first, which is the same outcome)."""
        self._request("DELETE", f"{self._base}/issues/comments/{comment_id}", ok_statuses=(404,))
        self.forget_comment(comment_id)

    def find_marked_comment(self, number: int, key: str) -> Comment | None:
        """The bot's own comment on ``number`` starting with ``marker(key)`` (all pages read).

        A person's comment that copies the marker is ignored: only ``bot_login`` counts.
        """
        known = self._marked.get(number)
        if known is not None:
            return known.get(key)
        comments = [comment_from_api(d) for d in self.issue_comments(number)]
        self.remember_comments(number, comments)
        return self._marked[number].get(key)

    def find_incident(self, key: str) -> int | None:
        """The number of the incident issue the bot opened for ``key``, if any."""
        if self._incidents is not None and key in self._incidents:
            return self._incidents[key]
        params = {"state": "all", "creator": self.bot_login, "sort": "created", "direction": "desc"}
        for page in self.pages(f"{self._base}/issues", params):
            for data in page:
                if "pull_request" in data:
                    continue
                if incident_of_body(data.get("body") or "") == key:
                    return int(data["number"])
        return None

    def create_ticket(self, title: str, body: str, labels: tuple[str, ...]) -> int:
        key = incident_of_body(body)

        def already_there() -> int | None:
            if key is not None:
                self._incidents = None
                return self.find_incident(key)
            params = {
                "state": "all",
                "creator": self.bot_login,
                "sort": "created",
                "direction": "desc",
            }
            _, data = self._request("GET", f"{self._base}/issues", params=params)
            for issue in data or []:
                if issue.get("title") == title and (issue.get("body") or "") == body:
                    return int(issue["number"])
            return None

        _, data = self._request(
            "POST",
            f"{self._base}/issues",
            body={"title": title, "body": body, "labels": list(labels)},
            verify=already_there,
        )
        number = data if isinstance(data, int) else int(data["number"])
        if key is not None and self._incidents is not None:
            self._incidents[key] = number
        return number

    def close(self, number: int, reason: str = "completed") -> None:
        body = {"state": "closed", "state_reason": reason}
        self._request("PATCH", f"{self._base}/issues/{number}", body=body)

    def reopen(self, number: int) -> None:
        self._request("PATCH", f"{self._base}/issues/{number}", body={"state": "open"})

    # ------------------------------------------------------------------ labels catalogue

    def existing_labels(self) -> list[str]:
        return [lb["name"] for lb in self.list_all(f"{self._base}/labels")]

    def ensure_labels(self, catalog: Iterable[Any], existing: Iterable[str] | None = None) -> list[str]:
        """Create the labels of ``catalog`` (``name``, ``color``, ``description``) that are missing.

        One list read (skipped when ``existing`` is given), then one create per missing label.
        Labels already there are left as they are (a person may have recoloured them).
        Returns the names created.
        """
        have = {n.casefold() for n in (self.existing_labels() if existing is None else existing)}
        created = []
        for spec in catalog:
            if spec.name.casefold() in have:
                continue
            self._request(
                "POST",
                f"{self._base}/labels",
                body={
                    "name": spec.name,
                    "color": spec.color.lstrip("#"),
                    "description": (spec.description or "")[:100],
                },
                ok_statuses=(422,),  # already_exists: created by a concurrent run
            )
            have.add(spec.name.casefold())
            created.append(spec.name)
        return created

    # ------------------------------------------------------------------ Actions variables

    def put_variable(self, name: str, value: str) -> None:
        """Set the repository's Actions variable ``name`` to ``value``, creating it when missing
        (the token needs the Variables permission: the workflow's own token has none)."""
        body = {"name": name, "value": value}
        try:
            self._request("PATCH", f"{self._base}/actions/variables/{name}", body=body)
        except GitHubRequestError as err:
            if err.status != 404:
                raise
            # 409: created meanwhile (an earlier attempt whose answer was lost); set it once more
            self._request("POST", f"{self._base}/actions/variables", body=body, ok_statuses=(409,))
