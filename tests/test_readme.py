"""The README's module table names every module of the package, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _table_names() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Modules", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([^`]+)`", first_cell))
    return names


def test_the_module_table_matches_the_tree() -> None:
    modules = {p.name for p in (ROOT / "tracker").glob("*.py") if p.name != "__init__.py"}
    listed = _table_names()
    assert "cli/" in listed and (ROOT / "tracker" / "cli").is_dir()
    assert sorted(modules - listed) == []  # every module is described
    assert sorted(listed - modules - {"cli/"}) == []  # nothing described is gone
