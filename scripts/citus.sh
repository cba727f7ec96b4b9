#!/usr/bin/env bash
# A throw-away Citus cluster on loopback ports, for the test suite and the benchmarks: one
# coordinator and WORKERS workers (default 2), each a PostgreSQL 15 server with Citus and PostGIS.
#
#   scripts/citus.sh start [BASEPORT] [WORKERS]   initdb (once), start, join; prints the
#                                                 coordinator's SQLAlchemy URL
#   scripts/citus.sh stop  [BASEPORT] [WORKERS]   stop every node and delete its data directory
#
# The coordinator listens on BASEPORT, worker i on BASEPORT+i. Citus must be installed first
# (`bash ../shared/vendor/citus/build.sh`, which scripts/test.sh runs). As scripts/postgres.sh:
# 127.0.0.1 only, trusted local connections (test data only), run as the `postgres` system user
# when started by root. In the `postgres` database of the coordinator the workers are added
# with citus_add_node; every new database needs the same (tests/backends.py does it).
set -euo pipefail

cmd=${1:?usage: citus.sh start|stop [BASEPORT] [WORKERS]}
base=${2:-55450}
workers=${3:-2}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/pg_ctl" ] || { echo "citus.sh: PostgreSQL server binaries not found" >&2; exit 1; }
libdir=$("$bindir/pg_config" --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_at() {  # psql_at PORT SQL: run one statement in the postgres database of that node
  as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U anning -d postgres -c "$2" >/dev/null
}

start_node() {
  local port=$1 datadir=/tmp/anning-citus-$1 log=/tmp/anning-citus-$1.log
  if [ ! -s "$datadir/PG_VERSION" ]; then
    mkdir -p "$datadir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$datadir"
    as_owner "$bindir/initdb" -D "$datadir" -U anning --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  [ "$(id -u)" -eq 0 ] && touch "$log" && chown postgres:postgres "$log"
  if ! as_owner "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
    as_owner "$bindir/pg_ctl" -D "$datadir" -l "$log" -w -t 60 start \
      -o "-h 127.0.0.1 -p $port -k /tmp -c shared_preload_libraries=citus \
          -c max_prepared_transactions=200 -c fsync=off -c synchronous_commit=off \
          -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB" >/dev/null
  fi
}

case $cmd in
  start)
    [ -f "$libdir/citus.so" ] || {
      echo "citus.sh: Citus is not installed; run: bash ../shared/vendor/citus/build.sh" >&2; exit 1; }
    for i in $(seq 0 "$workers"); do start_node $((base + i)); done
    for i in $(seq 0 "$workers"); do
      psql_at $((base + i)) "CREATE EXTENSION IF NOT EXISTS citus"
      psql_at $((base + i)) "CREATE EXTENSION IF NOT EXISTS postgis"
    done
    psql_at "$base" "SELECT citus_set_coordinator_host('127.0.0.1', $base)"
    for i in $(seq 1 "$workers"); do
      psql_at "$base" "SELECT citus_add_node('127.0.0.1', $((base + i)))"
    done
    echo "postgresql+psycopg://anning@127.0.0.1:$base/postgres"
    ;;
  stop)
    for i in $(seq 0 "$workers"); do
      datadir=/tmp/anning-citus-$((base + i))
      if [ -d "$datadir" ]; then
        as_owner "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$datadir"
      fi
    done
    ;;
  *) echo "usage: citus.sh start|stop [BASEPORT] [WORKERS]" >&2; exit 2 ;;
esac
