"""Whether a ledger file may be opened, looked at before anything writes to it.

Opening a store sets the file's journal mode (a write), so what decides whether the file is
ours comes first, without touching it: its header bytes, then SQLite in *immutable* mode,
which takes no lock and creates no ``-wal`` or ``-shm`` file. A file that is SQLite but not a
tracker store, or a store from a newer tracker, is :class:`~tracker.errors.ForeignStore` and
stays byte for byte as it was. A file that is not sound (cut short, bad pages, not SQLite at
all) is :class:`~tracker.errors.DamagedStore`; ``PRAGMA quick_check`` on the opened file
finds bad pages that the header does not show.

What to do with a damaged file is the caller's choice: the GitHub ledger is a cache and is
moved aside (:func:`move_aside`) and rebuilt from GitHub; the local desk's store is the desk
itself and is never replaced.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from tracker.errors import DamagedStore, ForeignStore
from tracker.ledger_schema import SCHEMA_VERSION

__all__ = [
    "SIDE_FILES",
    "damaged",
    "inspect",
    "is_local_desk",
    "move_aside",
    "quick_check",
]

SIDE_FILES = ("-wal", "-shm", "-journal")
_MAGIC = b"SQLite format 3\x00"
_HEADER = 100
_OURS = frozenset({"tickets", "meta"})
_ASIDE = ".damaged-"


def damaged(path: str, exc: sqlite3.Error | str) -> DamagedStore:
    """The error for a file that is not sound, with today's next step in its words."""
    text = str(exc).split(" with text ", 1)[0]  # not the damaged text itself
    if "not a database" in text:
        return DamagedStore(
            f"{path} is not a tracker store (SQLite says: {text}). "
            "Move the file aside and run again to start a fresh store, or point to the right file.",
            text,
        )
    return DamagedStore(
        f"the store {path} is damaged (SQLite says: {text}). "
        "Move the file aside and run again; a full sync rebuilds the mirror.",
        text,
    )


def _sound_header(head: bytes) -> bool:
    """The header's fixed fields hold what the file format allows (garbage rarely does), so
    the schema version read next is the file's own."""

    def number(at: int) -> int:
        return int.from_bytes(head[at : at + 4], "big")

    return (
        head[18] in (1, 2)
        and head[19] in (1, 2)
        and head[21:24] == b"\x40\x20\x20"
        and number(44) <= 4  # schema format
        and number(56) <= 3  # text encoding
        and not any(head[72:92])  # reserved: zero
    )


def _has_log(path: Path) -> bool:
    """A write-ahead log or rollback journal beside the file: SQLite finishes (or undoes) the
    last writes from it on open, so the file alone may look short or stale until then."""
    for suffix in ("-wal", "-journal"):
        log = Path(f"{path}{suffix}")
        if log.exists() and log.stat().st_size > 0:
            return True
    return False


def _header_fault(path: Path) -> str | None:
    """What the file's size and header say is wrong with it, or None."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(_HEADER)
    if size < _HEADER or not head.startswith(_MAGIC):
        return "file is not a database"
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    if page < 512 or page & (page - 1) or not _sound_header(head):
        return "the file's header is not sound"
    if _has_log(path):
        return None
    if size % page:
        return f"its {size} bytes are not a whole number of {page}-byte pages: the file was cut short"
    pages = int.from_bytes(head[28:32], "big")
    if pages and head[24:28] == head[92:96] and size < pages * page:
        return f"the header counts {pages} pages but the file holds {size // page}: the file was cut short"
    return None


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)


def inspect(path: str | Path) -> None:
    """Refuse a file that is not ours or not sound, before anything is written to it.

    A missing or empty file passes (SQLite starts a new store in it).
    """
    path = Path(path)
    if str(path) == ":memory:" or not path.is_file() or path.stat().st_size == 0:
        return
    fault = _header_fault(path)
    if fault is not None:
        raise damaged(str(path), fault)
    try:
        conn = _read_only(path)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if _has_log(path):
            return  # the file alone is not the whole store: opening it decides (quick_check)
        raise damaged(str(path), exc) from exc
    if version > SCHEMA_VERSION:
        raise ForeignStore(
            f"{path} has schema version {version}, newer than this tracker "
            f"understands ({SCHEMA_VERSION}). Upgrade tracker to open it; the file was left as it is."
        )
    if (version == 0 and tables) or (version > 0 and not tables >= _OURS):
        raise ForeignStore(
            f"{path} is an SQLite file but not a tracker store; it was left as it is. "
            "Point to the right file, or choose a new path to start a fresh store."
        )


def quick_check(conn: sqlite3.Connection, path: str) -> None:
    """``PRAGMA quick_check`` on an open store: DamagedStore naming what it found."""
    try:
        found = [line for row in conn.execute("PRAGMA quick_check(3)") for line in str(row[0]).splitlines()]
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from exc
    if found != ["ok"]:
        raise damaged(path, "; ".join(line for line in found if not line.startswith("***")))


def is_local_desk(path: str | Path, meta_key: str) -> bool:
    """Whether a file holds tickets but no ``meta_key``: a local desk, whatever its state.

    Read without touching the file; False when it cannot be read that far.
    """
    try:
        conn = _read_only(Path(path))
        try:
            mirrored = conn.execute("SELECT 1 FROM meta WHERE key = ?", (meta_key,)).fetchone()
            tickets = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return mirrored is None and int(tickets) > 0


def move_aside(path: str | Path, now: datetime | None = None) -> Path:
    """Rename a damaged file (and its -wal, -shm, -journal) to ``NAME.damaged-<UTC time>``.

    Only the newest damaged copy is kept: an older one beside it is removed, so a folder
    saved between runs does not grow with every repair.
    """
    path = Path(path)
    for old in path.parent.glob(f"{path.name}{_ASIDE}*"):
        old.unlink(missing_ok=True)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}{_ASIDE}{stamp}")
    for suffix in ("", *SIDE_FILES):
        source = Path(f"{path}{suffix}")
        if source.exists():
            os.replace(source, f"{aside}{suffix}")
    return aside
