#!/usr/bin/env bash
# HTTP throughput benchmark for gridloop; method and figures in docs/benchmarks.md.
#
# One server core, one client core, loopback: the server runs pinned to CPU $BENCH_SERVER_CPU
# (default 0) with --threads 1, and wrk runs pinned to CPU $BENCH_CLIENT_CPU (default 1) as
#   taskset -c 1 wrk -t1 -c64 -d10s --latency URL
# over these targets, round-robin (rep 1 of every target, then rep 2, ...):
#   healthz        GET /healthz                     (no auth)
#   static         GET /index.html from web/        (no auth)
#   categories     GET /api/v1/categories           (bearer token, full list)
#   categories_l1  GET /api/v1/categories?level=1   (bearer token, top level only)
#   categories_gz  GET /api/v1/categories           (bearer token, Accept-Encoding: gzip)
# It prints the median req/s (min-max), the median p50/p99 latency and the ratio of each API
# target to /healthz against the 60% target.
#
# Environment (all optional):
#   BENCH_QUICK=1          smoke mode: 2 s runs, 1 rep, short warm-up
#   BENCH_DURATION=10s     wrk -d per run          BENCH_REPS=3     reps per target
#   BENCH_CONNECTIONS=64   wrk -c                  BENCH_WARMUP=2s  warm-up per target (discarded)
#   BENCH_SERVER_CPU=0     BENCH_CLIENT_CPU=1      CPU for the server / for wrk
#   BENCH_IDLE_MAX=6       wait before each run until the machine is <= this % busy (2 x 1 s)
#   BENCH_FOREIGN_MAX=0.2  a run is "contaminated" if processes outside the benchmark used more
#   BENCH_FORKS_MAX=10     CPU-s than this, or more than this many processes/threads were started
#   BENCH_RETRIES=3        re-runs of a contaminated run at most (the last attempt is kept, flagged)
#   BENCH_OUT=DIR          keep the raw wrk outputs, results.tsv and summary.md in DIR
#   GRIDLOOP_BIN=PATH      benchmark this binary instead of building build/gridloop
# Installs nothing itself except through scripts/deps.sh --bench (wrk, util-linux).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BENCH_NAME=bench
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
TARGET_RATIO=0.60
LUA=$ROOT/bench/auth.lua

# ---- targets: name, path, needs the bearer token
# AUTHS: 0 public, 1 bearer token, 2 bearer token + Accept-Encoding: gzip
NAMES=(healthz static categories categories_l1 categories_gz)
PATHS=(/healthz /index.html /api/v1/categories "/api/v1/categories?level=1" /api/v1/categories)
AUTHS=(0 0 1 1 2)
[ -f "$ROOT/web/index.html" ] || die "web/index.html is missing; the static target needs it"

declare -A HDR BODY
for i in "${!NAMES[@]}"; do
    n=${NAMES[$i]}
    hdr=()
    [ "${AUTHS[$i]}" != 0 ] && hdr=(-H "Authorization: Bearer $TOKEN")
    [ "${AUTHS[$i]}" = 2 ] && hdr+=(-H "Accept-Encoding: gzip")
    read -r code h b < <(curl -sS -o /dev/null -w '%{http_code} %{size_header} %{size_download}\n' \
        "${hdr[@]}" "$BASE${PATHS[$i]}")
    [ "$code" = 200 ] || die "$n: GET ${PATHS[$i]} answered $code"
    HDR[$n]=$h; BODY[$n]=$b
done

# ---- machine-load probes
cpu_sample() { # prints: total busy for all CPUs, then for the server and client CPUs
    awk -v s="cpu$SCPU" -v c="cpu$CCPU" '
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
# utime+stime ticks of every user-space process except the server and this script.
proc_snapshot() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v skip1="$SPID" -v skip2="$$" '{
        pid = $1; r = $0; sub(/^.*\) /, "", r); split(r, f, " ")
        if (pid == 2 || f[2] == 2 || pid == skip1 || pid == skip2) next   # kernel threads
        print pid, f[12] + f[13] }'
}
foreign_ticks() { # $1 before, $2 after
    awk 'NR == FNR { b[$1] = $2; next } { d = $2 - (($1 in b) ? b[$1] : 0); if (d > 0) s += d }
         END { print s + 0 }' "$1" "$2"
}
HZ=$(getconf CLK_TCK)

# parse one wrk output: requests rps p50_ms p99_ms non2xx socket_errors
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
    [ "${AUTHS[$i]}" = 1 ] && args=(-s "$LUA")
    [ "${AUTHS[$i]}" = 2 ] && args=(-s "$ROOT/bench/auth_gzip.lua")
    taskset -c "$CCPU" wrk -t1 -c"$CONNS" -d"$2" --latency "${args[@]}" "$BASE${PATHS[$i]}" >"$3" 2>&1
}

# ---- warm-up (discarded)
log "server pid $SPID on CPU $SCPU, wrk on CPU $CCPU; $REPS rep(s) x ${#NAMES[@]} targets x $DUR"
for i in "${!NAMES[@]}"; do
    run_wrk "$i" "$WARM" "$TMP/raw/warmup.${NAMES[$i]}.txt"
done

# ---- measured runs, round-robin
RES=$TMP/results.tsv
printf 'target\trep\tattempt\trequests\trps\tp50_ms\tp99_ms\tnon2xx\tsock_err\tserver_cpu_busy\tclient_cpu_busy\tforeign_cpu_s\tforks\tclean\tserver_core_us_per_req\n' >"$RES"
for rep in $(seq 1 "$REPS"); do
    for i in "${!NAMES[@]}"; do
        n=${NAMES[$i]}
        attempt=0
        while :; do
            attempt=$((attempt + 1))
            wait_idle
            raw=$TMP/raw/$n.rep$rep.try$attempt.txt
            proc_snapshot >"$TMP/p0"; read -r _ _ s0 sb0 c0 cb0 f0 < <(cpu_sample)
            run_wrk "$i" "$DUR" "$raw" || die "wrk failed for $n: $(tail -3 "$raw")"
            read -r _ _ s1 sb1 c1 cb1 f1 < <(cpu_sample); proc_snapshot >"$TMP/p1"
            fticks=$(foreign_ticks "$TMP/p0" "$TMP/p1")
            foreign=$(awk -v t="$fticks" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }')
            sbusy=$(( (sb1 - sb0) * 100 / ((s1 - s0) > 0 ? (s1 - s0) : 1) ))
            cbusy=$(( (cb1 - cb0) * 100 / ((c1 - c0) > 0 ? (c1 - c0) : 1) ))
            # wrk's own process and thread account for ~2 forks; more means something else ran
            forks=$((f1 - f0 - 2))
            read -r req rps p50 p99 non serr < <(parse_wrk "$raw") || die "cannot parse $raw"
            [ "$req" != PARSE_ERROR ] || die "cannot parse wrk output in $raw"
            [ "$non" = 0 ] || die "$n: $non non-2xx/3xx responses (see $raw)"
            [ "$serr" = 0 ] || log "warning: $n rep $rep: $serr socket errors"
            clean=1
            awk -v f="$foreign" -v m="$FOREIGN_MAX" 'BEGIN { exit !(f > m) }' && clean=0
            [ "$forks" -le "$FORKS_MAX" ] || clean=0
            # busy time of the whole server CPU (process, kernel, softirq) per request
            us_req=$(awk -v t=$((sb1 - sb0)) -v hz="$HZ" -v n="$req" 'BEGIN { printf "%.2f", n ? t / hz * 1e6 / n : 0 }')
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$rep" "$attempt" "$req" "$rps" \
                "$p50" "$p99" "$non" "$serr" "$sbusy" "$cbusy" "$foreign" "$forks" "$clean" "$us_req" >>"$RES"
            log "$(printf '%-14s rep %d: %8.0f req/s  p50 %5.2f ms  p99 %6.2f ms  cpu%s %3d%% (%s us/req)  cpu%s %3d%%  foreign %s CPU-s, %d forks' \
                "$n" "$rep" "$rps" "$p50" "$p99" "$SCPU" "$sbusy" "$us_req" "$CCPU" "$cbusy" "$foreign" "$forks")"
            if [ "$clean" = 0 ] && [ "$attempt" -le "$RETRIES" ]; then
                log "  other work ran during this run (> $FOREIGN_MAX CPU-s or > $FORKS_MAX forks); running it again"
                continue
            fi
            break
        done
    done
done

# ---- summary: the last attempt of every (target, rep) counts
SUM=$TMP/summary.md
{
    echo "gridloop HTTP benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ), $("$BIN" --version 2>/dev/null || true)," \
        "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo '+dirty')"
    echo "machine: $(awk -F: '/model name/ { sub(/^[ \t]+/, "", $2); print $2; exit }' /proc/cpuinfo)," \
        "$ncpu CPUs, kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo '?')"
    echo "layout: server taskset -c $SCPU --threads 1; wrk -t1 -c$CONNS -d$DUR --latency taskset -c $CCPU;" \
        "$REPS rep(s), round-robin; medians (min-max)"
    echo
    echo "| target | path | body bytes | req/s median (min–max) | p50 ms | p99 ms | vs /healthz | server CPU busy | server CPU µs/req | wrk CPU busy | MB/s body |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' -v names="${NAMES[*]}" -v paths="${PATHS[*]}" -v bodies="$(for n in "${NAMES[@]}"; do printf '%s ' "${BODY[$n]}"; done)" \
        -v target="$TARGET_RATIO" '
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
                R[t, c] = f[5]; L50[t, c] = f[6]; L99[t, c] = f[7]; SB[t, c] = f[10]; CB[t, c] = f[11]; rep[t, c] = f[2]; U[t, c] = f[15]
                if (f[14] == 0) dirty[t]++ }
            for (x = 1; x <= nt; x++) { t = N[x]; n = cnt[t]
                lo = hi = R[t, 1]
                for (c = 1; c <= n; c++) { r[c] = R[t, c]; a[c] = L50[t, c]; b[c] = L99[t, c]; s[c] = SB[t, c]; w[c] = CB[t, c]; u[c] = U[t, c]
                    if (R[t, c] < lo) lo = R[t, c]; if (R[t, c] > hi) hi = R[t, c] }
                M[t] = med(r, n); m50 = med(a, n); m99 = med(b, n); ms = med(s, n); mw = med(w, n); mu = med(u, n)
                ratio = (t == "healthz") ? "100%" : sprintf("%.0f%%%s", 100 * M[t] / M[N[1]], \
                    (t ~ /^categories/) ? (M[t] / M[N[1]] >= target ? " ✅" : " ❌") : "")
                printf "| %s%s | `%s` | %s | %s (%s–%s) | %.2f | %.2f | %s | %d%% | %.1f | %d%% | %.0f |\n", t,
                    dirty[t] ? sprintf(" (%d contaminated run%s)", dirty[t], dirty[t] > 1 ? "s" : "") : "", P[x], commas(B[x]),
                    commas(M[t]), commas(lo), commas(hi), m50, m99, ratio, ms, mu, mw, M[t] * B[x] / 1e6 }
            print ""
            for (x = 1; x <= nt; x++) { t = N[x]; if (t !~ /^categories/) continue
                lo = 1e9; hi = 0
                for (c = 1; c <= cnt[t]; c++) for (d = 1; d <= cnt[N[1]]; d++) if (rep[t, c] == rep[N[1], d]) {
                    q = R[t, c] / R[N[1], d]; if (q < lo) lo = q; if (q > hi) hi = q }
                printf "ratio %s / healthz = %.2f (same-rep ratios %.2f–%.2f); target >= %.2f: %s\n", t,
                    M[t] / M[N[1]], lo, hi, target, (M[t] / M[N[1]] >= target) ? "MET" : "MISSED" } }' "$RES"
} >"$SUM"
echo
cat "$SUM"
[ -z "$OUT" ] || log "raw outputs in $OUT"
