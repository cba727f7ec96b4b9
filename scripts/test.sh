#!/usr/bin/env bash
# Install what the tests need and run the whole suite, on SQLite and on PostgreSQL (the README's
# second command; CI runs it).
# - Debian packages, only where missing (as root, or through sudo): Chromium for the browser
#   tests, a CJK font so Chinese renders, PostgreSQL 15 with PostGIS for the second backend.
# - A virtual environment in .venv with the pinned test requirements.
# - ruff over the whole tree; pytest over tests/ on SQLite, then again against a real
#   PostgreSQL server started here on a loopback port (scripts/postgres.sh) and stopped after.
# Arguments are passed to both pytest runs (e.g. `bash scripts/test.sh -x tests/data`).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing+=(postgresql-15-postgis-3)
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

pg_port=${ANNING_TEST_POSTGRES_PORT:-55432}
trap 'bash scripts/postgres.sh stop "$pg_port"' EXIT
pg_url=$(bash scripts/postgres.sh start "$pg_port")

status=0
echo "== test suite on SQLite =="
.venv/bin/python -m pytest "$@" || status=$?
echo "== test suite on PostgreSQL ($pg_url) =="
ANNING_TEST_DATABASE=postgresql ANNING_TEST_POSTGRES_URL="$pg_url" \
  .venv/bin/python -m pytest "$@" || status=$?
exit $status
