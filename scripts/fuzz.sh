#!/bin/sh
# Build the libFuzzer targets with clang and run each for FUZZ_SECONDS (default 10) from its
# seed corpus in tests/fuzz/corpus/<name>. New inputs go to build-fuzz/corpus, not the repo.
# FUZZ_JOBS targets run at once (default: one per core): each target still fuzzes for its full
# FUZZ_SECONDS on a core of its own; only the wall time of the whole set shrinks (26 targets x 6 s:
# 2.6 min one at a time, 1.3 min two at a time on two cores).
set -eu
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-10}
jobs=${FUZZ_JOBS:-$(nproc)}
# One target: fuzz_<name> for $secs from its seeds; a failure leaves <name>.failed beside its log.
run_one() {
    name=$1
    seeds=tests/fuzz/corpus/${name#fuzz_}
    out=build-fuzz/corpus/${name#fuzz_}
    mkdir -p "$out"
    echo "fuzz: $name for ${secs}s"
    (cd build-fuzz/logs && UBSAN_OPTIONS=halt_on_error=1 "../$name" -max_total_time="$secs" \
        -print_final_stats=0 "../../$out" "../../$seeds" >"$name.log" 2>&1) ||
        : >"build-fuzz/logs/$name.failed"
}
if [ "${1:-}" = --one ]; then
    run_one "$2"
    exit 0
fi
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DFUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
# --build: only build the targets (make check builds them early, niced, beside the other tests).
[ "${1:-}" = --build ] && exit 0
mkdir -p build-fuzz/logs
rm -f build-fuzz/logs/*.failed
for src in tests/fuzz/fuzz_*.c; do basename "$src" .c; done |
    xargs -n 1 -P "$jobs" "$self" --one
failed=0
for f in build-fuzz/logs/*.failed; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .failed)
    echo "fuzz: $name failed:"
    tail -40 "build-fuzz/logs/$name.log"
    failed=1
done
[ "$failed" = 0 ] || exit 1
echo "fuzz: all targets ran clean"
