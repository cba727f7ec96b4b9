#!/usr/bin/env bash
# Install what the tests need and run the whole suite (the README's second command; CI runs it).
# - Debian packages: Chromium for the browser tests, a CJK font so Chinese renders (as root, or
#   through sudo when not root), only where they are missing.
# - A virtual environment in .venv with the pinned test requirements.
# - ruff over the whole tree, then pytest over tests/.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=$(command -v python3.11 || command -v python3)
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt

.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
