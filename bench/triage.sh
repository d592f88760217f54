#!/bin/sh
# Triage classifier benchmark: accuracy and macro-F1 over random 80/20 splits of the Teddy Cup
# 2020 labelled messages, training time, classification rate on one core, model size.
#   bench/triage.sh                      5 splits (seeds 1-5) of messages_labeled_tokens_full.tsv
#   TRIAGE_SEEDS="1 2 3" TRIAGE_TRAIN_ARGS="--c 0.3" bench/triage.sh
# Needs ../shared/teddy2020 beside the repository (TRIAGE_DATA overrides the file).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${TRIAGE_DATA:-$ROOT/../shared/teddy2020/messages_labeled_tokens_full.tsv}
TEXT=${TRIAGE_TEXT:-tokens}
LABEL=${TRIAGE_LABEL:-label_l1}
SEEDS=${TRIAGE_SEEDS:-1 2 3 4 5}
TRAIN_ARGS=${TRIAGE_TRAIN_ARGS:-}
CPU=${TRIAGE_CPU:-0}
BIN=${GRIDLOOP_BIN:-$ROOT/build/gridloop}
[ -f "$DATA" ] || { echo "bench/triage: skipped: $DATA not present" >&2; exit 0; }
[ -n "${GRIDLOOP_BIN:-}" ] || make -C "$ROOT" --no-print-directory build >/dev/null
# The in-process rate (bench/triage_classify.c) only for the tree's own build.
INPROC=
if [ -z "${GRIDLOOP_BIN:-}" ] && cmake --build "$ROOT/build" --target bench_triage_classify >/dev/null 2>&1; then
    INPROC=$ROOT/build/bench_triage_classify
fi
TMP=$(mktemp -d /tmp/gridloop-triage-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
now() { date +%s.%N; }
# Wall time and CPU time (user + system) of a command, "wall cpu" into $TMP/t. The machine may
# be shared: CPU time is what the command itself cost, wall time includes waiting for a core.
timed() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%e %U %S' -o "$TMP/t.raw" "$@"
        awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$TMP/t.raw" >"$TMP/t"
    else
        t0=$(now)
        "$@"
        echo "$t0 $(now)" | awk '{printf "%.2f -\n", $2 - $1}' >"$TMP/t"
    fi
}

printf '%-6s %9s %9s %12s %11s %8s\n' seed accuracy macro_f1 train_wall_s train_cpu_s model_MB
for seed in $SEEDS; do
    # A seeded shuffle decides each row's side; the header goes to both files.
    awk -F'\t' -v seed="$seed" -v tr="$TMP/train.tsv" -v te="$TMP/test.tsv" \
        'BEGIN{srand(seed)} NR==1{print > tr; print > te; next} {if (rand() < 0.8) print > tr; else print > te}' "$DATA"
    # shellcheck disable=SC2086
    timed taskset -c "$CPU" "$BIN" triage train --quiet --data "$TMP/train.tsv" --text "$TEXT" --label "$LABEL" \
        --model "$TMP/model.bin" $TRAIN_ARGS >/dev/null
    read -r twall tcpu <"$TMP/t"
    json=$("$BIN" triage eval --model "$TMP/model.bin" --data "$TMP/test.tsv" --text "$TEXT" --label "$LABEL" | tail -1)
    acc=$(printf '%s' "$json" | sed 's/.*"accuracy":\([0-9.]*\).*/\1/')
    f1=$(printf '%s' "$json" | sed 's/.*"macro_f1":\([0-9.]*\).*/\1/')
    size=$(stat -c %s "$TMP/model.bin")
    printf '%-6s %9s %9s %12s %11s %8.1f\n' "$seed" "$acc" "$f1" "$twall" "$tcpu" "$(echo "$size / 1000000" | bc -l)"
    echo "$acc $f1" >>"$TMP/scores"
done
awk '{a+=$1; f+=$2; if (NR==1||$1<amin) amin=$1; if (NR==1||$1>amax) amax=$1;
      if (NR==1||$2<fmin) fmin=$2; if (NR==1||$2>fmax) fmax=$2}
     END{printf "accuracy mean %.4f min %.4f max %.4f; macro-F1 mean %.4f min %.4f max %.4f (%d splits)\n",
         a/NR, amin, amax, f/NR, fmin, fmax, NR}' "$TMP/scores"

# Classification rate: the last split's test texts, repeated to 100,000 lines, on one core.
# Model loading is timed separately (empty input) and taken out.
[ "${TRIAGE_SKIP_RATE:-0}" = 1 ] && exit 0
cut -f2 "$TMP/test.tsv" | tail -n +2 >"$TMP/one.txt"
: >"$TMP/lines.txt"
while [ "$(wc -l <"$TMP/lines.txt")" -lt 100000 ]; do cat "$TMP/one.txt" >>"$TMP/lines.txt"; done
head -n 100000 "$TMP/lines.txt" >"$TMP/in.txt"
timed taskset -c "$CPU" "$BIN" triage classify --model "$TMP/model.bin" </dev/null >/dev/null
read -r lwall lcpu <"$TMP/t"
timed taskset -c "$CPU" "$BIN" triage classify --model "$TMP/model.bin" <"$TMP/in.txt" >"$TMP/out.jsonl"
read -r cwall ccpu <"$TMP/t"
[ "$(wc -l <"$TMP/out.jsonl")" -eq 100000 ] || { echo "bench/triage: classify lost lines" >&2; exit 1; }
echo "$lwall $lcpu $cwall $ccpu $(wc -c <"$TMP/in.txt")" | awk '{
    printf "classify: 100000 texts (%.0f bytes avg), model load %.2f s: %.0f texts/s wall, %.0f texts/s of CPU time, one core\n",
    $5/100000, $1, 100000/($3-$1), ($4 == "-" ? 0 : 100000/($4-$2))}'
[ -z "$INPROC" ] || taskset -c "$CPU" "$INPROC" "$TMP/model.bin" "$TMP/one.txt"
