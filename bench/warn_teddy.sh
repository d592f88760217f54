#!/bin/sh
# Spike detection on real data: bench_warn_teddy (the warn_ functions) over the Teddy Cup 2020
# 附件3 messages, read at run time from ../shared/teddy2020 (never copied into the repository).
# Figures go to docs/warning.md.
#   bench/warn_teddy.sh                       the default and the variants of docs/warning.md
#   TEDDY_DIR=/path/to/teddy2020 bench/warn_teddy.sh --window 7 --alpha 0.01   one run
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TEDDY_DIR=${TEDDY_DIR:-}
if [ -z "$TEDDY_DIR" ]; then
    for d in "$ROOT/../shared/teddy2020" "$ROOT/../../shared/teddy2020"; do
        [ -f "$d/messages_hot.tsv" ] && TEDDY_DIR=$(cd "$d" && pwd) && break
    done
fi
[ -n "$TEDDY_DIR" ] || { echo "bench/warn_teddy: skipped: messages_hot.tsv not found (set TEDDY_DIR)" >&2; exit 0; }
make --no-print-directory build >/dev/null
cmake --build build --target bench_warn_teddy >/dev/null
run() { build/bench_warn_teddy --data "$TEDDY_DIR/messages_hot.tsv" "$@"; }
if [ $# -gt 0 ]; then
    run "$@"
    exit 0
fi
echo "== default: 24 h window, guard 2 d, baseline 28 d, alpha 0.001, min_count 3"
run
for v in "--window 3" "--window 7" "--alpha 0.01" "--alpha 0.0001" "--min-count 2" "--min-count 4" "--per-author"; do
    echo
    echo "== variant: $v"
    # shellcheck disable=SC2086
    run $v --list 0
done
