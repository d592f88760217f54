#!/bin/sh
# The C layout is .clang-format's (reformatted once; every change keeps to it): list the files
# that clang-format would change and fail. Fix with `clang-format -i FILE`.
set -eu
cd "$(dirname "$0")/.."
files=$(find src tests/unit tests/lib tests/fuzz bench -name '*.[ch]' | sort)
# shellcheck disable=SC2086
if ! clang-format --dry-run -Werror $files 2>/tmp/gridloop-format.$$; then
    grep -o '^[^:]*\.[ch]' /tmp/gridloop-format.$$ | sort -u | sed 's/^/format: /' >&2
    rm -f /tmp/gridloop-format.$$
    echo "format: run clang-format -i on the files above" >&2
    exit 1
fi
rm -f /tmp/gridloop-format.$$
echo "format: ok"
