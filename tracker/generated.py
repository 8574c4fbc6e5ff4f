"""Files the desk generates from ``tracker.yml`` (issue forms, workflows): written, checked,
and never written over a file a person wrote.

A generated file starts with its generator's header line. :func:`sync_files` writes the files
that differ, removes stale generated ones where asked, and refuses to replace a hand-written
file; with ``check=True`` it writes nothing and names every file that is out of date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tracker.errors import TrackerError


@dataclass(frozen=True, slots=True)
class Generator:
    """What a kind of generated file is called, and the command and header that make it."""

    files: str  # "issue forms"
    one: str  # "form"
    command: str  # "tracker forms"
    header: str  # the first line of every file it writes

    def made(self, text: str) -> bool:
        return text.startswith(self.header)


def sync_files(
    gen: Generator,
    directory: Path,
    wanted: Mapping[str, str],
    *,
    check: bool,
    stale_glob: str | None = None,
) -> list[Path]:
    """Bring ``directory`` to ``wanted`` (file name -> text); return the wanted paths.

    ``stale_glob`` names the files that may be generated ones no longer wanted (removed).
    """
    present = sorted(directory.glob(stale_glob)) if stale_glob and directory.is_dir() else []
    current = {p.name: _read(p) for p in present} | {name: _read(directory / name) for name in wanted}
    stale = sorted(n for n, text in current.items() if n not in wanted and text is not None and gen.made(text))
    differ = sorted(n for n, text in wanted.items() if current.get(n) != text)
    paths = [directory / n for n in wanted]
    if check:
        if differ or stale:
            names = ", ".join(str(directory / n) for n in sorted({*differ, *stale}))
            raise TrackerError(f"{gen.files} are out of date with tracker.yml: {names}; run `{gen.command}`")
        return paths
    foreign = sorted(n for n in differ if current.get(n) is not None and not gen.made(current[n] or ""))
    if foreign:
        names = ", ".join(str(directory / n) for n in foreign)
        raise TrackerError(
            f"{names}: written by hand, not by `{gen.command}`; "
            f"move or delete it so the generated {gen.one} can take its place"
        )
    directory.mkdir(parents=True, exist_ok=True)
    for name in differ:
        (directory / name).write_text(wanted[name], encoding="utf-8", newline="\n")
    for name in stale:
        (directory / name).unlink()
    return paths


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None
    except (OSError, UnicodeDecodeError):
        return ""  # unreadable: certainly not ours, certainly different
