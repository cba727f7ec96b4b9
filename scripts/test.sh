#!/usr/bin/env bash
# Install what the tests need and run the whole suite, on SQLite and on PostgreSQL (the README's
# second command; CI runs it).
# - Debian packages, only where missing (as root, or through sudo): Chromium for the browser
#   tests, a CJK font so Chinese renders, poppler's pdftotext to read the PDF exports,
#   PostgreSQL 15 with PostGIS for the second backend.
# - A virtual environment in .venv with the pinned test requirements.
# - ruff over the whole tree; pytest over tests/ on SQLite, then again against a real
#   PostgreSQL server started here on a loopback port (scripts/postgres.sh) and stopped after,
#   then the tests marked `citus` against a Citus cluster (a coordinator and two workers,
#   scripts/citus.sh). Citus is built from ../shared/vendor/citus (its build.sh) before any
#   server starts; without that folder the Citus run is skipped with a message.
# Arguments are passed to every pytest run (e.g. `bash scripts/test.sh -x tests/data`).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)  # reads the meeting pack's PDF
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

# Citus before any PostgreSQL server starts: its build may install Debian packages, and
# upgrading postgresql-15 under a running server breaks that server.
citus_source=${ANNING_CITUS_SOURCE:-../shared/vendor/citus}
citus=0
if [ -f "$citus_source/build.sh" ]; then
  bash "$citus_source/build.sh"
  citus=1
else
  echo "Citus source not found at $citus_source: the Citus part of the suite is SKIPPED"
fi

python=$(command -v python3.11 || command -v python3)
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt

.venv/bin/ruff check .

pg_port=${ANNING_TEST_POSTGRES_PORT:-55432}
citus_port=${ANNING_TEST_CITUS_PORT:-55440}
trap 'bash scripts/postgres.sh stop "$pg_port"; [ $citus -eq 0 ] || bash scripts/citus.sh stop "$citus_port"' EXIT
pg_url=$(bash scripts/postgres.sh start "$pg_port")

status=0
echo "== test suite on SQLite =="
.venv/bin/python -m pytest "$@" || status=$?
echo "== test suite on PostgreSQL ($pg_url) =="
ANNING_TEST_DATABASE=postgresql ANNING_TEST_POSTGRES_URL="$pg_url" \
  .venv/bin/python -m pytest "$@" || status=$?
if [ $citus -eq 1 ]; then
  bash scripts/postgres.sh stop "$pg_port"  # its memory and cores to the cluster
  citus_url=$(bash scripts/citus.sh start "$citus_port")
  echo "== tests marked citus on a Citus cluster ($citus_url, two workers) =="
  ANNING_TEST_DATABASE=citus ANNING_TEST_POSTGRES_URL="$citus_url" \
    .venv/bin/python -m pytest -m citus "$@" || status=$?
else
  echo "== Citus part SKIPPED: no Citus source at $citus_source =="
fi
exit $status
