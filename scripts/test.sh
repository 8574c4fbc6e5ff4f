#!/usr/bin/env bash
# Quick start 2: set up and run every test (lint, types, unit, property, network-edge, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/tracker forms --config tracker.yml --check
.venv/bin/tracker workflows --config tracker.yml --check
.venv/bin/python scripts/catalog.py --check
# .venv/bin/pytest, not `python -m pytest`: that would put this folder on sys.path and the
# tests would import tracker from the source tree instead of the installed package.
.venv/bin/pytest "$@"
