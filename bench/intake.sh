#!/usr/bin/env bash
# Intake and case-read benchmark for gridloop; method and figures in docs/benchmarks.md, section 2.
#
# Same layout and noise control as bench/run.sh: the server runs pinned to CPU $BENCH_SERVER_CPU
# (default 0) with --threads 1 (its store writer thread shares that CPU), wrk runs pinned to
# CPU $BENCH_CLIENT_CPU (default 1) as
#   taskset -c 1 wrk -t1 -c64 -d10s --latency [-s script] URL
# BENCH_LAYOUT=spread instead lets the server (BENCH_SERVER_THREADS HTTP threads, default 1) and
# wrk run on every CPU: the store writer then has a core while the HTTP thread triages, as in
# production; wrk's own CPU per request is small beside the server's.
# The summary's "server process CPU µs/req" (the server's own user+system time, all threads) is
# comparable between the two layouts.
# over these targets, round-robin (rep 1 of every target, then rep 2, ...):
#   healthz    GET /healthz                          (no auth)
#   case_get   GET /api/v1/cases/{id}                (bearer token; a case with a 10-event timeline)
#   intake     POST /api/v1/cases                    (bearer token; bench/intake.lua: 300-character
#                                                      Chinese description, a new title each time)
# A POST is answered only after the group commit that holds it is on the disk (the WAL
# fdatasync'd by the writer's sync thread). It prints the median req/s (min-max), the median p50/p99 latency, the
# ratio of case_get to /healthz (target >= 80%), intake against 10,000/s with p99 < 50 ms, and the
# store writer's commits (cases per group commit, from /metrics).
# Each rep also runs SQLite's ceiling (bench/ceiling.c, build/bench_ceiling): the same rows as the
# intake target writes, through sqlite3 alone on one thread pinned to the server's CPU, in group
# commits of that rep's mean intake batch, for the same duration, on a fresh copy of the server's
# database as it stood when the rep began; three runs: every row the POST writes (the repeat
# links, warnings, risk grade and receipt SMS included), only the rows the issue listed (case,
# events, audit entry, notification, index entries: --rows issue), and every row without the
# full-text index (--no-fts). The summary gives intake's median as a share of the first two
# (goal >= 50%).
#
# Environment (all optional): as bench/run.sh
#   BENCH_QUICK=1  BENCH_DURATION=10s  BENCH_REPS=3  BENCH_CONNECTIONS=64  BENCH_WARMUP=2s
#   BENCH_SERVER_CPU=0  BENCH_CLIENT_CPU=1  BENCH_IDLE_MAX=6  BENCH_FOREIGN_MAX=0.2
#   BENCH_FORKS_MAX=10  BENCH_RETRIES=3  BENCH_OUT=DIR  GRIDLOOP_BIN=PATH
#   GRIDLOOP_CEILING_BIN=PATH (default build/bench_ceiling, built by `make build`)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BENCH_NAME=intake
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# ---- fixtures: leaf categories for intake.lua; one case with a 10-event timeline for case_get
# (intake, dispatch, sign and seven comments, as a handled case accumulates them).
read -r CASE_ID CREATED_BYTES CATS < <(BASE=$BASE TOKEN=$TOKEN LUA="$ROOT/bench/intake.lua" python3 - <<'EOF'
import json, os, re, sys, urllib.request
base, token = os.environ["BASE"], os.environ["TOKEN"]
sizes = []
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        raw = r.read()
        sizes.append(len(raw))
        return json.loads(raw)
lua = open(os.environ["LUA"], encoding="utf-8").read()
desc = "".join(re.findall(r'"([^"]*)"', re.search(r"local description = (.*?)\n\s*local places", lua, re.S).group(1)))
if len(desc) != 300:
    sys.exit(f"bench/intake.lua: the description has {len(desc)} characters, not 300")
cats = call("GET", "/api/v1/categories")["items"]
parents = {c["parent_id"] for c in cats}
leaves = [str(c["id"]) for c in cats if c["active"] and c["id"] not in parents][:40]
depts = call("GET", "/api/v1/departments")["items"]
case = call("POST", "/api/v1/cases", {"channel": "hotline", "title": "文三路人行道电动车乱停放", "description": desc,
                                      "category": int(leaves[0]), "lat": 30.2, "lon": 120.1, "address": "文三路100号",
                                      "citizen": {"name": "张先生", "phone": "13812340000"}})
cid = case["id"]
created_bytes = sizes[-1]
def act(action, **kw):
    v = call("GET", f"/api/v1/cases/{cid}")["version"]
    call("POST", f"/api/v1/cases/{cid}/actions", dict(action=action, version=v, **kw))
act("dispatch", department=depts[0]["id"], note="请尽快核实处理")
act("sign")
for i in range(6):  # create, triage, dispatch, sign + 6 = a 10-event timeline
    act("comment", note=f"处理进展第{i + 1}次：已安排人员到现场查看并与居民沟通。")
n = len(call("GET", f"/api/v1/cases/{cid}")["timeline"])
if n != 10:
    sys.exit(f"case {cid} has {n} timeline events, not 10")
print(cid, created_bytes, ",".join(leaves))
EOF
) || die "fixtures failed"
export GRIDLOOP_BENCH_CATEGORIES=$CATS

# ---- SQLite's ceiling: its binary (a private copy, as the server's). Its database is a copy of
# the server's as it stands when a rep begins (snapshot_server below), copied afresh for every
# ceiling run of that rep: the same schema, size and history, so the repeat rules link the same
# earlier cases the server's POSTs find (bench/ceiling.c loads them).
CEIL=${GRIDLOOP_CEILING_BIN:-$ROOT/build/bench_ceiling}
if [ -z "${GRIDLOOP_CEILING_BIN:-}" ] && [ -n "${GRIDLOOP_BIN:-}" ]; then
    cmake --build "$ROOT/build" --target bench_ceiling >/dev/null 2>&1 || true   # lib.sh did not build
fi
[ -x "$CEIL" ] || die "no bench_ceiling at $CEIL (make build builds it, or set GRIDLOOP_CEILING_BIN)"
cp "$CEIL" "$TMP/bench_ceiling"
CEIL=$TMP/bench_ceiling
# SQLite's online backup of the serving database (consistent while the server runs; the
# server is idle between runs) and its data key.
snapshot_server() {
    rm -f "$TMP/ceiling0.db" "$TMP/ceiling0.db-wal" "$TMP/ceiling0.db-shm"
    python3 -c 'import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
src.backup(dst)
dst.close()' "$TMP/bench.db" "$TMP/ceiling0.db" || die "cannot copy the server's database for the ceiling"
    cp "$TMP/bench.db.key" "$TMP/ceiling0.db.key"
}

NAMES=(healthz case_get intake)
PATHS=(/healthz "/api/v1/cases/$CASE_ID" /api/v1/cases)
SCRIPTS=("" "$ROOT/bench/auth.lua" "$ROOT/bench/intake.lua")
declare -A BODY
for i in 0 1; do
    hdr=()
    [ -n "${SCRIPTS[$i]}" ] && hdr=(-H "Authorization: Bearer $TOKEN")
    read -r code b < <(curl -sS -o /dev/null -w '%{http_code} %{size_download}\n' "${hdr[@]}" "$BASE${PATHS[$i]}")
    [ "$code" = 200 ] || die "${NAMES[$i]}: GET ${PATHS[$i]} answered $code"
    BODY[${NAMES[$i]}]=$b
done
BODY[intake]=$CREATED_BYTES   # the 201 body: the new case with its one-event timeline

# ---- machine-load probes (as bench/run.sh)
# In the spread layout server and client share every CPU: both "CPU busy" figures are the whole
# machine's, and the server's own CPU time (server_proc_cpu) is the figure per request.
if [ "$LAYOUT" = spread ]; then SROW=cpu; CROW=cpu; else SROW=cpu$SCPU; CROW=cpu$CCPU; fi
server_proc_cpu() { # the server process's user + system ticks, every thread
    awk '{ r = $0; sub(/^.*\) /, "", r); split(r, f, " "); print f[12] + f[13] }' "/proc/$SPID/stat"
}
cpu_sample() {
    awk -v s="$SROW" -v c="$CROW" '
        function busy() { return $2 + $3 + $4 + $7 + $8 + $9 }
        function tot() { return busy() + $5 + $6 }
        $1 == "cpu" { a = tot(); ab = busy() }
        $1 == s { st = tot(); sb = busy() }
        $1 == c { ct = tot(); cb = busy() }
        $1 == "processes" { forks = $2 }
        END { print a, ab, st, sb, ct, cb, forks }' /proc/stat
}
wait_idle() {
    local ok=0 waited=0 a1 b1 a2 b2 pct
    while [ "$ok" -lt 2 ]; do
        read -r a1 b1 _ < <(cpu_sample); sleep 1; read -r a2 b2 _ < <(cpu_sample)
        pct=$(( (b2 - b1) * 100 / ((a2 - a1) > 0 ? (a2 - a1) : 1) ))
        if [ "$pct" -le "$IDLE_MAX" ]; then ok=$((ok + 1)); else ok=0; fi
        waited=$((waited + 1))
        if [ "$waited" -ge "$IDLE_WAIT_MAX" ]; then
            log "warning: machine still ${pct}% busy after ${waited} s; running anyway"
            return
        fi
    done
}
proc_snapshot() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v skip1="$SPID" -v skip2="$$" '{
        pid = $1; r = $0; sub(/^.*\) /, "", r); split(r, f, " ")
        if (pid == 2 || f[2] == 2 || pid == skip1 || pid == skip2) next
        print pid, f[12] + f[13] }'
}
foreign_ticks() {
    awk 'NR == FNR { b[$1] = $2; next } { d = $2 - (($1 in b) ? b[$1] : 0); if (d > 0) s += d }
         END { print s + 0 }' "$1" "$2"
}
HZ=$(getconf CLK_TCK)
writer_counters() { # batches jobs failed
    curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/metrics" | awk '$1 == "gridloop_writer_batches_total" { b = $2 } $1 == "gridloop_writer_jobs_total" { j = $2 }
        $1 == "gridloop_writer_failed_total" { f = $2 } END { print b + 0, j + 0, f + 0 }'
}

parse_wrk() {
    awk 'function ms(v,   u) { u = v; sub(/^[0-9.]+/, "", u); v += 0
             if (u == "us") return v / 1000; if (u == "ms") return v; if (u == "s") return v * 1000
             if (u == "m") return v * 60000; if (u == "h") return v * 3600000; return -1 }
         / requests in / { req = $1 }
         /^Requests\/sec:/ { rps = $2 }
         /^[ \t]+50%[ \t]/ { p50 = ms($2) }
         /^[ \t]+99%[ \t]/ { p99 = ms($2) }
         /Non-2xx or 3xx responses:/ { non = $NF }
         /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) err += $i + 0 }
         END { if (rps == "" || p50 == "" || p99 == "") { print "PARSE_ERROR"; exit 1 }
               printf "%d %.2f %.3f %.3f %d %d\n", req, rps, p50, p99, non + 0, err + 0 }' "$1"
}

run_wrk() { # $1 target index, $2 duration, $3 output file
    local i=$1 args=()
    [ -n "${SCRIPTS[$i]}" ] && args=(-s "${SCRIPTS[$i]}")
    taskset -c "$CLIENT_CPUS" wrk -t1 -c"$CONNS" -d"$2" --latency "${args[@]}" "$BASE${PATHS[$i]}" >"$3" 2>&1
}

# ---- warm-up (discarded)
log "server pid $SPID on CPU $SERVER_CPUS ($SERVER_THREADS HTTP thread(s)), wrk on CPU $CLIENT_CPUS; case $CASE_ID; $REPS rep(s) x ${#NAMES[@]} targets x $DUR"
for i in "${!NAMES[@]}"; do
    run_wrk "$i" "$WARM" "$TMP/raw/warmup.${NAMES[$i]}.txt"
done

# ---- measured runs, round-robin
RES=$TMP/results.tsv
CRES=$TMP/raw/ceiling.tsv   # under raw/: BENCH_OUT keeps it
printf 'target\trep\tattempt\tbatch\tcases_per_s\tcommits_per_s\tus_per_case\tcpu_us_per_case\tserver_cpu_busy\tforeign_cpu_s\tclean\n' >"$CRES"
printf 'target\trep\tattempt\trequests\trps\tp50_ms\tp99_ms\tnon2xx\tsock_err\tserver_cpu_busy\tclient_cpu_busy\tforeign_cpu_s\tforks\tclean\tserver_core_us_per_req\tcommits\tper_commit\tserver_proc_us_per_req\n' >"$RES"
for rep in $(seq 1 "$REPS"); do
    snapshot_server
    for i in "${!NAMES[@]}"; do
        n=${NAMES[$i]}
        attempt=0
        while :; do
            attempt=$((attempt + 1))
            wait_idle
            raw=$TMP/raw/$n.rep$rep.try$attempt.txt
            read -r wb0 wj0 wf0 < <(writer_counters)
            proc_snapshot >"$TMP/p0"; read -r _ _ s0 sb0 c0 cb0 f0 < <(cpu_sample); sp0=$(server_proc_cpu)
            run_wrk "$i" "$DUR" "$raw" || die "wrk failed for $n: $(tail -3 "$raw")"
            read -r _ _ s1 sb1 c1 cb1 f1 < <(cpu_sample); sp1=$(server_proc_cpu); proc_snapshot >"$TMP/p1"
            sleep 0.2   # requests wrk abandoned at the end are still committed; let them finish
            read -r wb1 wj1 wf1 < <(writer_counters)
            fticks=$(foreign_ticks "$TMP/p0" "$TMP/p1")
            foreign=$(awk -v t="$fticks" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }')
            sbusy=$(( (sb1 - sb0) * 100 / ((s1 - s0) > 0 ? (s1 - s0) : 1) ))
            cbusy=$(( (cb1 - cb0) * 100 / ((c1 - c0) > 0 ? (c1 - c0) : 1) ))
            forks=$((f1 - f0 - 2))
            read -r req rps p50 p99 non serr < <(parse_wrk "$raw") || die "cannot parse $raw"
            [ "$req" != PARSE_ERROR ] || die "cannot parse wrk output in $raw"
            [ "$non" = 0 ] || die "$n: $non non-2xx/3xx responses (see $raw)"
            [ "$serr" = 0 ] || log "warning: $n rep $rep: $serr socket errors"
            [ "$((wf1 - wf0))" = 0 ] || die "$n: $((wf1 - wf0)) writes failed in the store writer (see $TMP/server.log)"
            clean=1
            awk -v f="$foreign" -v m="$FOREIGN_MAX" 'BEGIN { exit !(f > m) }' && clean=0
            [ "$forks" -le "$FORKS_MAX" ] || clean=0
            us_req=$(awk -v t=$((sb1 - sb0)) -v hz="$HZ" -v n="$req" 'BEGIN { printf "%.2f", n ? t / hz * 1e6 / n : 0 }')
            commits=$((wb1 - wb0))
            proc_us=$(awk -v t=$((sp1 - sp0)) -v hz="$HZ" -v n="$req" 'BEGIN { printf "%.1f", n ? t / hz * 1e6 / n : 0 }')
            per=$(awk -v j=$((wj1 - wj0)) -v b="$commits" 'BEGIN { printf "%.1f", b ? j / b : 0 }')
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$rep" "$attempt" "$req" "$rps" \
                "$p50" "$p99" "$non" "$serr" "$sbusy" "$cbusy" "$foreign" "$forks" "$clean" "$us_req" "$commits" "$per" "$proc_us" >>"$RES"
            log "$(printf '%-9s rep %d: %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  %s %3d%% (%s us/req; server process %s us/req)  %s %3d%%  commits %d (%s per commit)  foreign %s CPU-s, %d forks' \
                "$n" "$rep" "$rps" "$p50" "$p99" "$SROW" "$sbusy" "$us_req" "$proc_us" "$CROW" "$cbusy" "$commits" "$per" "$foreign" "$forks")"
            if [ "$clean" = 0 ] && [ "$attempt" -le "$RETRIES" ]; then
                log "  other work ran during this run (> $FOREIGN_MAX CPU-s or > $FORKS_MAX forks); running it again"
                continue
            fi
            break
        done
    done
    # SQLite's ceiling, in batches of this rep's mean intake batch (64 if it has none)
    batch=$(awk -F'\t' -v r="$rep" '$1 == "intake" && $2 == r { b = $17 } END { b = int(b + 0.5); print (b > 0 ? b : 64) }' "$RES")
    for n in ceiling ceiling_issue ceiling_nofts; do
        attempt=0
        while :; do
            attempt=$((attempt + 1))
            wait_idle
            raw=$TMP/raw/$n.rep$rep.try$attempt.txt
            rm -f "$TMP/ceiling.db" "$TMP/ceiling.db-wal" "$TMP/ceiling.db-shm"
            cp "$TMP/ceiling0.db" "$TMP/ceiling.db"
            cp "$TMP/ceiling0.db.key" "$TMP/ceiling.db.key"
            how=()
            [ "$n" = ceiling_issue ] && how=(--rows issue)
            [ "$n" = ceiling_nofts ] && how=(--no-fts)
            proc_snapshot >"$TMP/p0"; read -r _ _ s0 sb0 _ _ f0 < <(cpu_sample)
            taskset -c "$SCPU" "$CEIL" --db "$TMP/ceiling.db" --batch "$batch" --duration "$DUR" "${how[@]}" >"$raw" 2>&1 ||
                die "bench_ceiling failed: $(tail -3 "$raw")"
            read -r _ _ s1 sb1 _ _ f1 < <(cpu_sample); proc_snapshot >"$TMP/p1"
            fticks=$(foreign_ticks "$TMP/p0" "$TMP/p1")
            foreign=$(awk -v t="$fticks" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }')
            sbusy=$(( (sb1 - sb0) * 100 / ((s1 - s0) > 0 ? (s1 - s0) : 1) ))
            forks=$((f1 - f0 - 2))
            # "... cases/s X commits/s Y us/case Z cpu_us/case W"
            read -r cps cmps usc cpuc < <(awk '/^ceiling:/ { for (i = 1; i < NF; i++) {
                    if ($i == "cases/s") a = $(i + 1); if ($i == "commits/s") b = $(i + 1)
                    if ($i == "us/case") c = $(i + 1); if ($i == "cpu_us/case") d = $(i + 1) } }
                END { if (a == "") print "PARSE_ERROR"; else print a, b, c, d }' "$raw")
            [ "$cps" != PARSE_ERROR ] || die "cannot parse bench_ceiling output in $raw"
            clean=1
            awk -v f="$foreign" -v m="$FOREIGN_MAX" 'BEGIN { exit !(f > m) }' && clean=0
            [ "$forks" -le "$FORKS_MAX" ] || clean=0
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$rep" "$attempt" "$batch" "$cps" "$cmps" "$usc" \
                "$cpuc" "$sbusy" "$foreign" "$clean" >>"$CRES"
            log "$(printf '%-13s rep %d: %8.0f cases/s  %6.1f commits/s (batch %d)  %6.1f us/case (%s CPU)  cpu%s %3d%%  foreign %s CPU-s, %d forks' \
                "$n" "$rep" "$cps" "$cmps" "$batch" "$usc" "$cpuc" "$SCPU" "$sbusy" "$foreign" "$forks")"
            rm -f "$TMP/ceiling.db" "$TMP/ceiling.db-wal" "$TMP/ceiling.db-shm"
            if [ "$clean" = 0 ] && [ "$attempt" -le "$RETRIES" ]; then
                log "  other work ran during this run (> $FOREIGN_MAX CPU-s or > $FORKS_MAX forks); running it again"
                continue
            fi
            break
        done
    done
done

# ---- every acknowledged case is in the database (and the audit chain is intact)
kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=""
ncases=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM cases").fetchone()[0])' "$TMP/bench.db")
acked=$(awk -F'\t' 'NR > 1 && $1 == "intake" { s += $4 } END { print s + 0 }' "$RES")
"$BIN" audit verify --db "$TMP/bench.db" >"$TMP/verify.log" 2>&1 || { cat "$TMP/verify.log" >&2; die "audit chain broken"; }

# ---- summary: the last attempt of every (target, rep) counts
SUM=$TMP/summary.md
{
    echo "gridloop intake benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ), $("$BIN" --version 2>/dev/null || true)," \
        "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo '+dirty')"
    echo "machine: $(awk -F: '/model name/ { sub(/^[ \t]+/, "", $2); print $2; exit }' /proc/cpuinfo)," \
        "$ncpu CPUs, kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo '?')"
    echo "layout ($LAYOUT): server taskset -c $SERVER_CPUS --threads $SERVER_THREADS; wrk -t1 -c$CONNS -d$DUR --latency taskset -c $CLIENT_CPUS;" \
        "$REPS rep(s), round-robin; medians (min-max)"
    echo
    echo "| target | path | body bytes | req/s median (min–max) | p50 ms | p99 ms | vs /healthz | $SROW busy | $SROW busy µs/req | server process CPU µs/req | $CROW busy | writes per commit |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' -v names="${NAMES[*]}" -v paths="${PATHS[*]}" -v bodies="${BODY[healthz]} ${BODY[case_get]} ${BODY[intake]}" '
        function med(a, n,   i, j, t) {
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        function commas(x,   s, r) { s = sprintf("%.0f", x); r = ""
            while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
            return s r }
        NR == 1 { next }
        { key = $1 SUBSEP $2; last[key] = NR; row[NR] = $0 }
        END {
            nt = split(names, N, " "); split(paths, P, " "); split(bodies, B, " ")
            for (k in last) { split(row[last[k]], f, "\t"); t = f[1]; c = ++cnt[t]
                R[t, c] = f[5]; L50[t, c] = f[6]; L99[t, c] = f[7]; SB[t, c] = f[10]; CB[t, c] = f[11]; rep[t, c] = f[2]
                U[t, c] = f[15]; PC[t, c] = f[17]; PU[t, c] = f[18]
                if (f[14] == 0) dirty[t]++ }
            for (x = 1; x <= nt; x++) { t = N[x]; n = cnt[t]
                lo = hi = R[t, 1]
                for (c = 1; c <= n; c++) { r[c] = R[t, c]; a[c] = L50[t, c]; b[c] = L99[t, c]; s[c] = SB[t, c]; w[c] = CB[t, c]; u[c] = U[t, c]; pc[c] = PC[t, c]; pu[c] = PU[t, c]
                    if (R[t, c] < lo) lo = R[t, c]; if (R[t, c] > hi) hi = R[t, c] }
                M[t] = med(r, n); m50[t] = med(a, n); m99[t] = med(b, n); ms = med(s, n); mw = med(w, n); mu = med(u, n); mpc = med(pc, n); mpu = med(pu, n)
                ratio = (t == "healthz") ? "100%" : sprintf("%.0f%%", 100 * M[t] / M[N[1]])
                printf "| %s%s | `%s` | %s | %s (%s–%s) | %.2f | %.2f | %s | %d%% | %.1f | %.1f | %d%% | %s |\n", t,
                    dirty[t] ? sprintf(" (%d contaminated run%s)", dirty[t], dirty[t] > 1 ? "s" : "") : "", P[x], commas(B[x]),
                    commas(M[t]), commas(lo), commas(hi), m50[t], m99[t], ratio, ms, mu, mpu, mw, t == "intake" ? sprintf("%.1f", mpc) : "—" }
            print ""
            lo = 1e9; hi = 0
            for (c = 1; c <= cnt["case_get"]; c++) for (d = 1; d <= cnt["healthz"]; d++) if (rep["case_get", c] == rep["healthz", d]) {
                q = R["case_get", c] / R["healthz", d]; if (q < lo) lo = q; if (q > hi) hi = q }
            printf "ratio case_get / healthz = %.2f (same-rep ratios %.2f–%.2f); target >= 0.80 (issue 12): %s\n",
                M["case_get"] / M["healthz"], lo, hi, (M["case_get"] / M["healthz"] >= 0.8) ? "MET" : "MISSED"
            printf "intake = %s cases/s, p99 %.2f ms; target >= 10,000/s with p99 < 50 ms at %s connections (issue 12): %s\n",
                commas(M["intake"]), m99["intake"], conns, (M["intake"] >= 10000 && m99["intake"] < 50) ? "MET" : "MISSED" }' \
        conns="$CONNS" "$RES"
    # intake against SQLite's ceiling: medians of the last attempt of each rep, and same-rep ratios
    awk -F'\t' -v scpu="$SCPU" '
        function med(a, n,   i, j, t) {
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        function commas(x,   s, r) { s = sprintf("%.0f", x); r = ""
            while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
            return s r }
        FNR == 1 { next }
        FILENAME == ARGV[1] { if ($1 == "intake") irps[$2] = $5; next }
        { t = $1; rep = $2; last[t, rep] = $0; reps[rep] = 1; if ($11 == 0) dirty[t, rep] = 1; else delete dirty[t, rep] }
        END {
            split("ceiling ceiling_issue ceiling_nofts", T, " ")
            for (x = 1; x <= 3; x++) { t = T[x]; n[t] = 0; nd[t] = 0
                for (rep in reps) if ((t, rep) in last) { split(last[t, rep], f, "\t"); c = ++n[t]
                    C[c] = f[5]; M[c] = f[6]; U[c] = f[7]; P[c] = f[8]; B[c] = f[4]; if ((t, rep) in dirty) nd[t]++
                    CR[t, rep] = f[5] }
                if (!n[t]) continue
                lo[t] = hi[t] = C[1]; for (c = 1; c <= n[t]; c++) { if (C[c] < lo[t]) lo[t] = C[c]; if (C[c] > hi[t]) hi[t] = C[c] }
                mc[t] = med(C, n[t]); mm[t] = med(M, n[t]); mu[t] = med(U, n[t]); mp[t] = med(P, n[t]); mb[t] = med(B, n[t]) }
            if (!n["ceiling"]) { print "ceiling: no runs"; exit }
            W["ceiling"] = "every row the POST writes (--rows all)"
            W["ceiling_issue"] = "only the rows issue 12 listed: case, events, audit entry, notification, index entries (--rows issue)"
            W["ceiling_nofts"] = "every row, without the full-text index (--no-fts)"
            printf "SQLite ceiling (bench/ceiling.c: the intake rows through sqlite3 alone on a copy of the server'"'"'s database, one thread on CPU %s, batches of the rep'"'"'s mean intake batch, median %d):\n", scpu, mb["ceiling"]
            for (x = 1; x <= 3; x++) { t = T[x]; if (!n[t]) continue
                printf "  %s: %s cases/s (%s–%s), %.1f commits/s, %.1f µs/case (%.1f µs CPU)%s\n",
                    W[t], commas(mc[t]), commas(lo[t]), commas(hi[t]), mm[t], mu[t], mp[t],
                    nd[t] ? sprintf(" (%d contaminated run%s)", nd[t], nd[t] > 1 ? "s" : "") : "" }
            ni = 0
            for (rep in irps) I[++ni] = irps[rep]
            mi = med(I, ni)
            for (x = 1; x <= 2; x++) { t = T[x]; if (!n[t]) continue
                qlo = 1e9; qhi = 0
                for (rep in irps) if ((t, rep) in CR && CR[t, rep] > 0) { q = irps[rep] / CR[t, rep]; if (q < qlo) qlo = q; if (q > qhi) qhi = q }
                printf "intake = %.0f%% of SQLite'"'"'s ceiling with %s (%s of %s cases/s; same-rep ratios %.0f%%–%.0f%%); goal >= 50%%: %s\n",
                    100 * mi / mc[t], x == 1 ? "every row" : "the issue'"'"'s rows", commas(mi), commas(mc[t]), 100 * qlo, 100 * qhi, (mi >= 0.5 * mc[t]) ? "MET" : "MISSED" } }' \
        <(awk -F'\t' 'NR == 1 { print; next } { last[$1 SUBSEP $2] = $0 } END { for (k in last) print last[k] }' "$RES") "$CRES"
    echo "durability: $acked cases acknowledged (201) by the measured intake runs; $ncases cases in the database after" \
        "the server stopped (warm-ups, abandoned in-flight requests and the fixture add to it); audit chain intact"
} >"$SUM"
echo
cat "$SUM"
[ "$ncases" -ge "$acked" ] || die "fewer cases in the database ($ncases) than acknowledged ($acked)"
[ -z "$OUT" ] || log "raw outputs in $OUT"
