"""What every command shares: its options (defined once), the time type, the store and JSON.

Options read the environment through click's ``envvar`` and show it in ``--help``:
``TRACKER_CONFIG`` (the policy file) and ``TRACKER_DB`` (the store) for every command that
takes them, ``GITHUB_*`` for the GitHub commands. ``--config`` is loaded once, first (it is
eager), so a bad policy stops a command before anything is touched and ``--now`` can read
the policy's time zone.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from tracker.config import Config, load_config
from tracker.errors import StoreMissing
from tracker.i18n import Translator, format_number, format_time, gettext
from tracker.ledger import Ledger

F = TypeVar("F", bound=Callable[..., Any])

_CONFIG = "tracker.config"
_CONFIG_PATH = "tracker.config_path"


# --------------------------------------------------------------------------- the policy


def _load_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> Config | None:
    if value is None or ctx.resilient_parsing:
        return None
    ctx.meta[_CONFIG_PATH] = value
    cfg = load_config(value)
    ctx.meta[_CONFIG] = cfg
    return cfg


CONFIG_OPTION = click.option(
    "--config", "cfg", type=click.Path(dir_okay=False, path_type=Path), default=Path("tracker.yml"),
    show_default=True, envvar="TRACKER_CONFIG", show_envvar=True, is_eager=True, callback=_load_config,
    help="The policy file.",
)  # fmt: skip


def config_path() -> Path:
    """The path ``--config`` named (for messages about the file itself)."""
    return Path(click.get_current_context().meta[_CONFIG_PATH])


# --------------------------------------------------------------------------- time


def _zone(ctx: click.Context | None) -> tzinfo:
    cfg = ctx.meta.get(_CONFIG) if ctx is not None else None
    return cfg.tz if isinstance(cfg, Config) else UTC


class Moment(click.ParamType):
    """An ISO-8601 time. Without an offset it is a time in the policy's zone; with one, that moment."""

    name = "time"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "ISO-TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            parsed = value
        else:
            try:
                parsed = datetime.fromisoformat(str(value).strip())
            except ValueError:
                self.fail(
                    f"{value!r} is not an ISO time such as 2026-11-24T14:30 "
                    "(the policy's time zone) or 2026-11-24T14:30+08:00",
                    param,
                    ctx,
                )
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_zone(ctx))


def offset(t: datetime) -> str:
    """The UTC offset of ``t`` as ``+08:00``."""
    minutes = round((t.utcoffset() or timedelta(0)).total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def zoned(t: datetime) -> str:
    """A moment with its offset and zone: ``2026-09-30 17:40 +08:00 (Asia/Shanghai)``."""
    return f"{format_time(t)} {offset(t)} ({t.tzinfo})"


def _resolve_now(ctx: click.Context, param: click.Parameter, value: datetime | None) -> datetime | None:
    if ctx.resilient_parsing:
        return value
    cfg = ctx.meta.get(_CONFIG)
    at = value or datetime.now(_zone(ctx))
    locale = cfg.locale if isinstance(cfg, Config) else "en"
    click.echo(gettext(locale, "now: %(moment)s", moment=zoned(at)), err=True)
    return at


NOW_OPTION = click.option(
    "--now", type=Moment(), default=None, callback=_resolve_now,
    help="The time to act at (default: the clock). Without an offset it is in the policy's time zone.",
)  # fmt: skip


def now_given() -> bool:
    """Whether ``--now`` came from the command line (not the clock)."""
    return click.get_current_context().get_parameter_source("now") is ParameterSource.COMMANDLINE


def local(t: datetime, cfg: Config) -> str:
    """A moment as the desk reads it, in the policy's zone."""
    return format_time(t.astimezone(cfg.tz))


# --------------------------------------------------------------------------- the store


def db_option(default: str, help: str) -> Callable[[F], F]:
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=Path(default),
        show_default=True, envvar="TRACKER_DB", show_envvar=True, help=help,
    )  # fmt: skip


DB_OPTION = db_option("tracker.db", "The local store (only `tracker open` creates it).")
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts (sorted keys, ISO times).")
VERBOSE_OPTION = click.option("--verbose", "-v", is_flag=True, help="Print every action, not just the summary.")


def open_store(db_path: Path, cfg: Config, *, create: bool = False) -> Ledger:
    """The store at ``db_path``; a missing one is created only when ``create`` is given."""
    if not create and not db_path.exists():
        _ = Translator(cfg.locale)
        raise StoreMissing(
            _("no store at %(path)s", path=db_path),
            _(
                "`tracker open` creates the store with the first ticket and `tracker sync` mirrors "
                "a GitHub repository; or point --db (or TRACKER_DB) at an existing store."
            ),
        )
    return Ledger(db_path)


# --------------------------------------------------------------------------- output


def _dump(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _dump(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def print_json(value: Any, *, one_line: bool = False) -> None:
    """``value`` as stable JSON: sorted keys, ISO times with their offset (``one_line`` for logs)."""
    click.echo(json.dumps(_dump(value), ensure_ascii=False, indent=None if one_line else 2, sort_keys=True))


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Rows as aligned columns (the first row is the header)."""
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        (indent + "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(r, widths, strict=True))).rstrip()
        for r in rows
    ]


def action_kind(line: str) -> str:
    """The kind of an apply line ``#12 set_labels: …`` (the name the action log uses)."""
    return line.split(": ", 1)[0].rsplit(" ", 1)[-1]


def kinds_text(lines: Iterable[str], locale: str) -> str:
    """``set_labels 2, post_comment 1``: actions counted by kind, most first."""
    counts = Counter(action_kind(line) for line in lines)
    _ = Translator(locale)
    return _(", ").join(f"{kind} {format_number(n, locale)}" for kind, n in counts.most_common())


class Progress:
    """A progress line on stderr for long runs, only when stderr is a terminal."""

    EVERY = 50

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()
        self.count = 0

    def step(self, *_: object) -> None:
        self.count += 1
        if self.enabled and self.count % self.EVERY == 0:
            click.echo(f"\r{self.label}: {self.count}", nl=False, err=True)

    def done(self) -> None:
        if self.enabled and self.count >= self.EVERY:
            click.echo("", err=True)
