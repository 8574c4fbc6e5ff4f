#!/usr/bin/env bash
# Set up everything the demo and the tests need, from a fresh clone. Safe to run again.
#
# The project is installed into .venv as a regular (not editable) distribution, and with
# --test so is the GitHub fake (tests/fakegithub): the tests and benchmarks import what was
# installed, never the source tree. A re-run reinstalls both from the current sources.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --quiet)
"${PIP[@]}" --upgrade pip

if [ "${1:-}" = "--test" ]; then
  extras=".[test,site]"
  local_dists=(. tests/fakegithub)
else
  extras=".[site]"
  local_dists=(.)
fi
# setuptools builds in build/ and *.egg-info/ folders beside the sources and would package files
# left there by an earlier build (a module deleted since, say); every build starts from nothing
# and leaves nothing behind.
clean_build() {
  for dist in "${local_dists[@]}"; do
    rm -rf "$dist/build" "$dist"/*.egg-info "$dist"/src/*.egg-info
  done
}
clean_build
# Dependencies first, then the local distributions again from the current sources (pip keeps
# an installed distribution of the same version, so a re-run would miss source changes).
"${PIP[@]}" "$extras" "${local_dists[@]:1}"
"${PIP[@]}" --no-deps --force-reinstall "${local_dists[@]}"
clean_build

apt_install() {
  local sudo=()
  if [ "$(id -u)" != "0" ]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ "${1:-}" = "--test" ]; then
  # npm packages the tests use: GitHub's issue-form parser, OpenAPI description, webhook payloads.
  if ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
  for dir in tests/js tests/contracts; do
    if [ -f "$dir/package-lock.json" ]; then
      npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
    fi
  done
  # Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
  if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium
  fi
fi
