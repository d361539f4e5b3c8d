#!/bin/bash
# A throwaway PostgreSQL server on 127.0.0.1 for the store tests (driven by
# scratch_postgres.cc; usable by hand too):
#
#   scratch_postgres.sh start DIR          initdb DIR/data if missing, start on a free
#                                          port, print postgresql://trailwatch@127.0.0.1:PORT/postgres
#   scratch_postgres.sh stop DIR           fast shutdown (open connections are cut)
#   scratch_postgres.sh restart DIR        stop, then start on the same port
#   scratch_postgres.sh createdb DIR NAME  a new database NAME
#   scratch_postgres.sh dropdb DIR NAME... drop these databases (absent ones too)
#   scratch_postgres.sh remove DIR         stop, then delete DIR
#
# Authentication is trust (127.0.0.1 and the socket in DIR only), fsync is
# off: the data is scratch (TW_SCRATCH_POSTGRES_FSYNC=on for a benchmark
# that compares durable commits). The cluster's default collation is ICU en-US
# when PostgreSQL has ICU, as on a typical server, so that a test sees
# whether trailwatch's tables really compare text bytewise (COLLATE "C").
#
# PostgreSQL refuses to run as root: as root every server binary runs as
# the postgres user, which then owns DIR.

set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
USER_NAME=trailwatch

die() {
  echo "scratch_postgres.sh: $*" >&2
  exit 1
}

[[ $# -ge 2 ]] || die "usage: $0 start|stop|restart|remove DIR | createdb|dropdb DIR NAME..."
command=$1
dir=$2
[[ -x $PG_BIN/pg_ctl ]] || die "no PostgreSQL binaries in $PG_BIN (Debian: apt-get install postgresql)"

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    # runuser keeps the cwd: make it one postgres can enter.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# A port nothing listens on just now (no listener answers a connect);
# start() tries another if the server still cannot bind it.
free_port() {
  local port
  while true; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

pg_start() {
  as_pg "$PG_BIN/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 30 -s \
    -o "-k $dir -p $1 -c listen_addresses=127.0.0.1 -c fsync=${TW_SCRATCH_POSTGRES_FSYNC:-off} -c max_connections=200" \
    >/dev/null
}

start() {
  mkdir -p "$dir"
  chmod a+rx "$dir"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
  if [[ ! -f $dir/data/PG_VERSION ]]; then
    local init=(initdb -D "$dir/data" -U "$USER_NAME" --auth=trust -E UTF8 --no-sync
      --no-instructions)
    if ! as_pg "$PG_BIN/${init[0]}" "${init[@]:1}" --locale=C.UTF-8 --locale-provider=icu \
        --icu-locale=en-US >"$dir/initdb.log" 2>&1; then
      rm -rf "$dir/data"
      as_pg "$PG_BIN/${init[0]}" "${init[@]:1}" --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        die "initdb failed: $(cat "$dir/initdb.log")"
    fi
  fi
  local port attempts=1
  if [[ -s $dir/port ]]; then
    port=$(cat "$dir/port")  # a restart keeps the port the URLs name
    attempts=1
  else
    port=$(free_port)
    attempts=5
  fi
  until pg_start "$port"; do
    attempts=$((attempts - 1))
    if [[ $attempts -le 0 ]] || ! grep -q "could not bind" "$dir/server.log"; then
      die "pg_ctl start failed: $(tail -n 20 "$dir/server.log" 2>/dev/null)"
    fi
    port=$(free_port)
  done
  echo "$port" >"$dir/port"
  echo "postgresql://$USER_NAME@127.0.0.1:$port/postgres"
}

stop() {
  [[ -f $dir/data/postmaster.pid ]] || return 0
  as_pg "$PG_BIN/pg_ctl" stop -D "$dir/data" -m fast -w -t 30 -s >/dev/null
}

case $command in
  start) start ;;
  stop) stop ;;
  restart)
    [[ -s $dir/port ]] || die "$dir was never started"
    stop
    start >/dev/null
    ;;
  createdb)
    [[ $# -eq 3 ]] || die "usage: $0 createdb DIR NAME"
    [[ -s $dir/port ]] || die "$dir was never started"
    as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$(cat "$dir/port")" -U "$USER_NAME" "$3"
    ;;
  dropdb)
    [[ $# -ge 3 ]] || die "usage: $0 dropdb DIR NAME..."
    [[ -s $dir/port ]] || die "$dir was never started"
    for name in "${@:3}"; do
      as_pg "$PG_BIN/dropdb" --if-exists -h 127.0.0.1 -p "$(cat "$dir/port")" -U "$USER_NAME" "$name"
    done
    ;;
  remove)
    stop
    rm -rf "$dir"
    ;;
  *) die "unknown command $command" ;;
esac
