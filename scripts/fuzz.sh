#!/bin/sh
# Build the libFuzzer targets with clang and run each for FUZZ_SECONDS (default 10) from its
# seed corpus in tests/fuzz/corpus/<name>. New inputs go to build-fuzz/corpus, not the repo.
set -eu
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-10}
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DFUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
mkdir -p build-fuzz/logs
for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    seeds=tests/fuzz/corpus/${name#fuzz_}
    out=build-fuzz/corpus/${name#fuzz_}
    mkdir -p "$out"
    echo "fuzz: $name for ${secs}s"
    (cd build-fuzz/logs && UBSAN_OPTIONS=halt_on_error=1 "../$name" -max_total_time="$secs" \
        -print_final_stats=0 "../../$out" "../../$seeds" >"$name.log" 2>&1) ||
        { tail -40 "build-fuzz/logs/$name.log"; exit 1; }
done
echo "fuzz: all targets ran clean"
