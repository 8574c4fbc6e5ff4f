"""The site's frame: ``mkdocs.yml`` and its navigation, the home page, the hand-written
pages found in the docs folder, and the MkDocs build."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from tracker.errors import TrackerError
from tracker.redact import inert_inline
from tracker.site_model import (
    GENERATED_DIRS,
    GENERATED_MARK,
    HandPage,
    Site,
    is_generated,
    render,
    safe_title,
    split_front_matter,
    wrap_page,
)


class SiteBuildError(TrackerError):
    """``mkdocs build --strict`` failed on the published sources."""

    exit_code = 7


def _hand_nav(hand: Sequence[HandPage]) -> list[Any]:
    """Hand-written pages outside the generated folders, in path order."""
    top: list[Any] = []
    folders: dict[str, list[str]] = {}
    for page in sorted(hand, key=lambda p: p.path):
        if page.path == "index.md" or page.path.split("/", 1)[0] in GENERATED_DIRS:
            continue
        if "/" in page.path:
            folders.setdefault(page.path.split("/", 1)[0], []).append(page.path)
        else:
            top.append(page.path)
    for name in sorted(folders):
        paths = sorted(folders[name], key=lambda p: (not p.endswith("/index.md"), p))
        top.append({name: paths})
    return top


def mkdocs_yml(
    site: Site, docs_dir_name: str, categories: Sequence[tuple[str, str]], hand: Sequence[HandPage]
) -> str:
    _ = site._
    kb_nav: list[Any] = [
        "kb/index.md",
        {_("Known problems"): "kb/known-problems.md"},
        {_("Tags"): "kb/tags.md"},
    ]
    if categories:
        kb_nav.append({_("Categories"): [{label: path} for label, path in categories]})
    nav: list[Any] = [
        {_("Home"): "index.md"},
        {_("Knowledge base"): kb_nav},
        {_("Incidents"): ["incidents/index.md"]},
        {_("Reports"): ["reports/index.md"]},
        *_hand_nav(hand),
    ]
    nav_yaml = yaml.safe_dump({"nav": nav}, allow_unicode=True, sort_keys=False, width=10_000)
    return render(
        site,
        "mkdocs.yml.j2",
        mark=GENERATED_MARK,
        site_name=safe_title(site.name),
        docs_dir=docs_dir_name,
        language=site.locale,
        nav=nav_yaml.rstrip("\n"),
        built=_("Built at %(time)s", time=site.time(site.now)),
        generated_dirs=GENERATED_DIRS,
    )


def home_page(site: Site, *, articles: int, known: int, open_incidents: int, reports: Mapping[str, str]) -> str:
    """The home page: the site's name and a line for each part, with the latest reports."""
    weekly = [p for p in reports if p.startswith("reports/weekly/")]
    monthly = [p for p in reports if p.startswith("reports/monthly/")]
    body = render(
        site,
        "home.md.j2",
        name=inert_inline(site.name),
        articles=articles,
        known=known,
        open_incidents=open_incidents,
        weeks=len(weekly),
        months=len(monthly),
        latest_week=max(weekly, default=None),
        latest_month=max(monthly, default=None),
    )
    return wrap_page(site._, {"title": safe_title(site.name)}, body)


# ----------------------------------------------------------------------------- the docs folder


def read_head(path: Path, size: int = 512) -> str:
    with path.open("rb") as fh:
        return fh.read(size).decode("utf-8", errors="replace")


def _hand_page(path: Path, rel: str) -> HandPage:
    meta, text = split_front_matter(path.read_text(encoding="utf-8", errors="replace"))
    title = meta.get("title")
    if not isinstance(title, str):
        title = next((ln[2:].strip() for ln in text.splitlines() if ln.startswith("# ")), None)
    category = meta.get("category")
    tags = meta.get("tags")
    return HandPage(
        path=rel,
        title=title,
        category=str(category) if isinstance(category, str | int) else None,
        tags=tuple(str(x) for x in tags) if isinstance(tags, list) else (),
    )


def _markdown_files(docs_dir: Path) -> list[tuple[str, Path]]:
    out = []
    for root, dirs, files in os.walk(docs_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".md"):
                path = Path(root) / name
                out.append((path.relative_to(docs_dir).as_posix(), path))
    return out


def scan_hand_pages(docs_dir: Path) -> tuple[list[HandPage], set[str]]:
    """Hand-written pages of the docs folder, and the paths of the generated ones."""
    hand: list[HandPage] = []
    generated: set[str] = set()
    if not docs_dir.is_dir():
        return hand, generated
    for rel, path in _markdown_files(docs_dir):
        if is_generated(read_head(path)):
            generated.add(rel)
        else:
            hand.append(_hand_page(path, rel))
    return hand, generated


def run_mkdocs(config_file: Path, site_dir: Path | None = None) -> None:
    """``mkdocs build --strict`` in a child Python process; SiteBuildError when it fails.

    A separate process keeps MkDocs' logging, plugins and jieba's global dictionary out of
    the caller. Material's end-of-life banner is switched off; nothing is fetched.
    """
    missing = [m for m in ("mkdocs", "material", "jieba") if importlib.util.find_spec(m) is None]
    if missing:
        raise SiteBuildError(
            f"building the site needs {', '.join(missing)}, which grading does not: "
            "pip install 'gh-service-desk[site]'"
        )
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"]
    cmd += ["-f", str(Path(config_file).resolve())]
    if site_dir is not None:
        cmd += ["-d", str(Path(site_dir).resolve())]
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        detail = "\n".join(lines[-30:])
        raise SiteBuildError(f"mkdocs build --strict failed:\n{detail}")
