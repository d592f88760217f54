#!/bin/sh
# Run a command against a throwaway PostgreSQL 15: initdb in a temporary directory, a random
# loopback port, no system service. The command gets GRIDLOOP_TEST_PG=postgresql://postgres@
# 127.0.0.1:PORT (no database name: tests create their own) and the server is stopped and
# removed afterwards, whatever the command's outcome.
#
#   scripts/with-pg.sh python3 -m pytest tests/api
#
# As root the server runs as the 'postgres' user (initdb refuses root). The locale is C.UTF-8:
# pg_trgm takes word characters from LC_CTYPE, and in the C locale it drops every CJK character.
set -eu
B=/usr/lib/postgresql/15/bin
[ -x "$B/initdb" ] || { echo "with-pg: PostgreSQL 15 is not installed ($B)" >&2; exit 2; }

T=$(mktemp -d /tmp/gridloop-pg.XXXXXX)
as_pg() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$T"
    as_pg() { runuser -u postgres -- "$@"; }
fi
cleanup() {
    as_pg "$B/pg_ctl" -D "$T/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

cd "$T"
as_pg "$B/initdb" -D "$T/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$T/initdb.log" 2>&1 ||
    { cat "$T/initdb.log" >&2; exit 2; }
# Tests make and drop hundreds of databases; fsync off keeps that from dominating the run (the
# durability rule is PostgreSQL's own, tested with fsync on by the cluster and backup tests).
for attempt in 1 2 3 4 5; do
    PORT=$(port)
    if as_pg "$B/pg_ctl" -D "$T/data" -l "$T/log" -w -t 30 start \
        -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$T -c max_connections=300 -c fsync=off -c full_page_writes=off" >/dev/null; then
        break
    fi
    [ "$attempt" = 5 ] && { cat "$T/log" >&2; exit 2; }
done
cd - >/dev/null
export GRIDLOOP_TEST_PG="postgresql://postgres@127.0.0.1:$PORT"
export GRIDLOOP_TEST_PG_HOME="$T/home"
mkdir -p "$T/home/var"
echo "with-pg: PostgreSQL on 127.0.0.1:$PORT ($T)" >&2
set +e
"$@"
rc=$?
set -e
exit $rc
