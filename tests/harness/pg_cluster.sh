#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the demo and for manual testing.
#
#   tests/harness/pg_cluster.sh start DIR [PORT]   # initdb DIR/pgdata (once), start; prints the port
#   tests/harness/pg_cluster.sh stop DIR           # fast shutdown
#
# The server listens on 127.0.0.1:PORT (a free port when PORT is omitted or 0) and
# on a Unix socket in DIR/sock; fsync is off; trust auth for local connections.
# When run as root, initdb and pg_ctl run as the `postgres` user (initdb refuses
# root), and DIR is handed to that user.
set -euo pipefail

usage() { echo "usage: $0 start DIR [PORT] | stop DIR" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
cmd=$1
dir=$2
port=${3:-0}

bindir=""
if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then
  bindir=$(pg_config --bindir)
else
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" ]] && bindir=$d
  done
fi
[[ -n "$bindir" ]] || { echo "pg_cluster: PostgreSQL server binaries not found (install postgresql)" >&2; exit 1; }

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  /usr/bin/python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ $(id -u) -eq 0 ]]; then
      chown postgres: "$dir"
    fi
    if [[ ! -f "$dir/pgdata/PG_VERSION" ]]; then
      as_pg "$bindir/initdb" -D "$dir/pgdata" --auth=trust -U postgres -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_pg mkdir -p "$dir/sock"
    [[ "$port" == 0 ]] && port=$(free_port)
    if ! as_pg "$bindir/pg_ctl" -D "$dir/pgdata" -l "$dir/pg.log" -w -t 60 \
        -o "-k $dir/sock -c listen_addresses=127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
        start >/dev/null; then
      cat "$dir/pg.log" >&2 || true
      exit 1
    fi
    echo "$port" >"$dir/port"
    echo "$port"
    ;;
  stop)
    if [[ -f "$dir/pgdata/postmaster.pid" ]]; then
      as_pg "$bindir/pg_ctl" -D "$dir/pgdata" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *) usage ;;
esac
