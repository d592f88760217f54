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
TMP=$(mktemp -d /tmp/gridloop-triage-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
now() { date +%s.%N; }

printf '%-6s %9s %9s %9s %8s\n' seed accuracy macro_f1 train_s model_MB
for seed in $SEEDS; do
    # A seeded shuffle decides each row's side; the header goes to both files.
    awk -F'\t' -v seed="$seed" -v tr="$TMP/train.tsv" -v te="$TMP/test.tsv" \
        'BEGIN{srand(seed)} NR==1{print > tr; print > te; next} {if (rand() < 0.8) print > tr; else print > te}' "$DATA"
    t0=$(now)
    # shellcheck disable=SC2086
    taskset -c "$CPU" "$BIN" triage train --quiet --data "$TMP/train.tsv" --text "$TEXT" --label "$LABEL" \
        --model "$TMP/model.bin" $TRAIN_ARGS >/dev/null
    t1=$(now)
    json=$("$BIN" triage eval --model "$TMP/model.bin" --data "$TMP/test.tsv" --text "$TEXT" --label "$LABEL" | tail -1)
    acc=$(printf '%s' "$json" | sed 's/.*"accuracy":\([0-9.]*\).*/\1/')
    f1=$(printf '%s' "$json" | sed 's/.*"macro_f1":\([0-9.]*\).*/\1/')
    size=$(stat -c %s "$TMP/model.bin")
    printf '%-6s %9s %9s %9.2f %8.1f\n' "$seed" "$acc" "$f1" "$(echo "$t1 - $t0" | bc)" "$(echo "$size / 1000000" | bc -l)"
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
t0=$(now)
taskset -c "$CPU" "$BIN" triage classify --model "$TMP/model.bin" </dev/null >/dev/null
t1=$(now)
taskset -c "$CPU" "$BIN" triage classify --model "$TMP/model.bin" <"$TMP/in.txt" >"$TMP/out.jsonl"
t2=$(now)
[ "$(wc -l <"$TMP/out.jsonl")" -eq 100000 ] || { echo "bench/triage: classify lost lines" >&2; exit 1; }
echo "$t0 $t1 $t2 $(wc -c <"$TMP/in.txt")" | awk '{load=$2-$1; run=$3-$2-load;
    printf "classify: 100000 texts (%.0f bytes avg) in %.2f s after a %.2f s model load: %.0f texts/s on one core\n",
    $4/100000, run, load, 100000/run}'
