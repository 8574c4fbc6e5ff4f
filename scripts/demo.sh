#!/usr/bin/env bash
# Quick start 1: set up and run the demo (a simulated week at every preset's desk).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/tracker demo --out demo-out "$@"
