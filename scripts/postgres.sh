#!/usr/bin/env bash
# A throw-away PostgreSQL + PostGIS server on a loopback port, for the test suite and benchmarks.
#
#   scripts/postgres.sh start [PORT]   initdb (once) and start; prints the SQLAlchemy URL
#   scripts/postgres.sh stop  [PORT]   stop it and delete its data directory
#
# Uses the Debian packages postgresql-15 and postgresql-15-postgis-3 (scripts/test.sh installs
# them). The server listens on 127.0.0.1 only, trusts local connections (it holds test data
# only) and runs as the `postgres` system user when started by root (PostgreSQL refuses root).
set -euo pipefail

cmd=${1:?usage: postgres.sh start|stop [PORT]}
port=${2:-55432}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/pg_ctl" ] || { echo "postgres.sh: PostgreSQL server binaries not found" >&2; exit 1; }
datadir=/tmp/anning-pg-$port
log=/tmp/anning-pg-$port.log

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case $cmd in
  start)
    if [ ! -s "$datadir/PG_VERSION" ]; then
      mkdir -p "$datadir"
      [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$datadir"
      as_owner "$bindir/initdb" -D "$datadir" -U anning --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    [ "$(id -u)" -eq 0 ] && touch "$log" && chown postgres:postgres "$log"
    if ! as_owner "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
      as_owner "$bindir/pg_ctl" -D "$datadir" -l "$log" -w -t 60 start \
        -o "-h 127.0.0.1 -p $port -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB" >/dev/null
    fi
    echo "postgresql+psycopg://anning@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -d "$datadir" ]; then
      as_owner "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 || true
      rm -rf "$datadir"
    fi
    ;;
  *) echo "usage: postgres.sh start|stop [PORT]" >&2; exit 2 ;;
esac
