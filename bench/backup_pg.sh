#!/bin/sh
# PostgreSQL backup and point-in-time restore, timed (docs/benchmarks.md, issue 10): a throwaway
# PostgreSQL 15 with WAL archiving; `gridloop store copy` of a SQLite bench database into it;
# pg_basebackup; 10,000 updates after a noted time; restore of the base backup + archive to that
# time; gridloop audit verify. Run as root (the server runs as postgres).
#
#   bench/backup_pg.sh DB.sqlite        # DB from gridloop init --demo + bench/load_cases.py
set -eu
[ $# -eq 1 ] || { sed -n 2,8p "$0"; exit 2; }
SRC=$(realpath "$1")
B=/usr/lib/postgresql/15/bin
G=${GRIDLOOP_BIN:-$(realpath "$(dirname "$0")/../build/gridloop")}
T=$(mktemp -d /tmp/gridloop-pgbench.XXXXXX); chown postgres: "$T"; cd "$T"
mkdir -p "$T/archive" work/var; chown postgres: "$T/archive"
PORT=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
runuser -u postgres -- $B/initdb -D "$T/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
cat >> "$T/data/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$T'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $T/archive/%f && cp %p $T/archive/%f'
max_wal_size = 4GB
CONF
runuser -u postgres -- $B/pg_ctl -D "$T/data" -l "$T/log" -w start >/dev/null
echo "T=$T PORT=$PORT"
psql -h 127.0.0.1 -p $PORT -U postgres -qc "CREATE DATABASE big" postgres
cd work
cp "$SRC.key" var/big.key
t0=$(date +%s.%N)
$G store copy --from "sqlite:$SRC" --to postgresql://postgres@127.0.0.1:$PORT/big
t1=$(date +%s.%N); echo "store copy: $(echo "$t1 - $t0" | bc) s"
psql -h 127.0.0.1 -p $PORT -U postgres -Atc "SELECT pg_size_pretty(pg_database_size('big')), (SELECT count(*) FROM cases)" big
t0=$(date +%s.%N)
runuser -u postgres -- $B/pg_basebackup -h 127.0.0.1 -p $PORT -U postgres -D "$T/base" -Fp -Xstream --checkpoint=fast
t1=$(date +%s.%N); echo "pg_basebackup: $(echo "$t1 - $t0" | bc) s, $(du -sh $T/base | cut -f1)"
sleep 1; TARGET=$(date -u '+%Y-%m-%d %H:%M:%S.%N+00'); sleep 1
psql -h 127.0.0.1 -p $PORT -U postgres -qc "UPDATE cases SET title = title WHERE id % 100 = 0" big
psql -h 127.0.0.1 -p $PORT -U postgres -Atc "SELECT pg_walfile_name(pg_switch_wal())" postgres
sleep 3
runuser -u postgres -- cp -a "$T/base" "$T/restored"
cat >> "$T/restored/postgresql.conf" <<CONF
port = $((PORT+1))
archive_mode = off
restore_command = 'cp $T/archive/%f %p'
recovery_target_time = '$TARGET'
recovery_target_action = 'promote'
CONF
runuser -u postgres -- touch "$T/restored/recovery.signal"
t0=$(date +%s.%N)
runuser -u postgres -- $B/pg_ctl -D "$T/restored" -l "$T/restored.log" -w -t 600 start >/dev/null
until [ "$(psql -h 127.0.0.1 -p $((PORT+1)) -U postgres -Atc 'SELECT pg_is_in_recovery()' postgres)" = f ]; do sleep 0.1; done
t1=$(date +%s.%N); echo "restore (copy excluded) to the point in time: $(echo "$t1 - $t0" | bc) s"
t0=$(date +%s.%N)
$G audit verify --db postgresql://postgres@127.0.0.1:$((PORT+1))/big
t1=$(date +%s.%N); echo "audit verify: $(echo "$t1 - $t0" | bc) s"
grep -E "recovery stopping|redo done|archive recovery complete" "$T/restored.log" || true
runuser -u postgres -- $B/pg_ctl -D "$T/restored" -m fast -w stop >/dev/null
runuser -u postgres -- $B/pg_ctl -D "$T/data" -m fast -w stop >/dev/null
cd /; rm -rf "$T"
