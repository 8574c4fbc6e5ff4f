"""The tests run against the installed distributions, and the wheel carries its data files.

``scripts/setup.sh`` installs the project (and, with ``--test``, the GitHub fake) as regular
distributions. If ``tracker`` were imported from the source tree instead (``python -m pytest``
puts the current folder first on ``sys.path``; an editable install points back at it), a
template or preset missing from the wheel would go unnoticed: these tests fail then.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import distribution
from pathlib import Path
from types import ModuleType

import fakegithub
import pytest

import tracker
from tracker.config import PRESETS, load_config, preset_path
from tracker.messages import render

ROOT = Path(__file__).resolve().parent.parent
SETUP = "run `bash scripts/setup.sh --test`, then `.venv/bin/pytest` (not `python -m pytest`)"


def _installed_files(dist_name: str) -> set[Path]:
    files = distribution(dist_name).files
    assert files, f"{dist_name} lists no installed files; {SETUP}"
    return {Path(f.locate()).resolve() for f in files}


@pytest.mark.parametrize(
    ("module", "dist_name", "source"),
    [
        (tracker, "gh-service-desk", ROOT / "tracker"),
        (fakegithub, "gh-service-desk-fakegithub", ROOT / "tests" / "fakegithub"),
    ],
    ids=["tracker", "fakegithub"],
)
def test_imported_from_the_installed_distribution(module: ModuleType, dist_name: str, source: Path) -> None:
    assert module.__file__ is not None, f"{module.__name__} is a namespace package here; {SETUP}"
    imported = Path(module.__file__).resolve()
    assert not imported.is_relative_to(source), f"{module.__name__} was imported from the source tree; {SETUP}"
    # An editable install records a path hook, not the modules: their files must be listed.
    assert imported in _installed_files(dist_name), f"{imported} is not a file of the installed {dist_name}"


def test_the_wheel_carries_every_package_data_file() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["tracker"]
    package = Path(tracker.__file__).resolve().parent
    installed = {p.relative_to(package) for p in _installed_files("gh-service-desk") if p.is_relative_to(package)}
    for pattern in patterns:
        sources = sorted(p.relative_to(ROOT / "tracker") for p in (ROOT / "tracker").glob(pattern) if p.is_file())
        assert sources, f"package-data pattern {pattern!r} matches no file under tracker/"
        missing = [str(p) for p in sources if p not in installed]
        assert missing == [], f"not in the installed package ({pattern!r}): {missing}"


def test_the_installed_package_loads_presets_and_renders_templates() -> None:
    package = Path(tracker.__file__).resolve().parent
    for name in PRESETS:
        path = preset_path(name)
        assert path.resolve().is_relative_to(package)
        assert load_config(path).name
    text = render("en", "denied", author="dave", commands="/take")
    assert text == "🚫 @dave: /take can only be used by service desk staff; it was ignored."
