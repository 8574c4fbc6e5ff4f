"""Ticket numbers as links to their issues, and the one "built at" moment of a site build.

A ticket number on any page links to its GitHub issue when the desk's repository is known
(``publishing.repository``, else ``GITHUB_REPOSITORY`` read by the command that publishes);
on a desk without GitHub it stays a plain number, so no page carries a dead link.
"""

from __future__ import annotations

import re

from tracker.config import Config

_REPO_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+\Z")


def issue_url(cfg: Config, number: int) -> str | None:
    """The issue's address, or None when the repository is not known (or not a repository name)."""
    pub = cfg.publishing
    repo = (pub.repository or "").strip()
    if not _REPO_RE.match(repo):
        return None
    return f"{pub.server_url.rstrip('/')}/{repo}/issues/{number}"


def ticket_ref(cfg: Config, number: int) -> str:
    """``#N`` for Markdown: a link to the issue when it has one, else the escaped number."""
    url = issue_url(cfg, number)
    return f"[&#35;{number}]({url})" if url else f"&#35;{number}"


def with_repository(cfg: Config, repository: str | None) -> Config:
    """``cfg`` with ``publishing.repository`` filled in from the environment when it has none."""
    if cfg.publishing.repository or not repository:
        return cfg
    pub = cfg.publishing.model_copy(update={"repository": repository})
    return cfg.model_copy(update={"publishing": pub})
