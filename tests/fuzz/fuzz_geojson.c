/*
 * libFuzzer target: arbitrary bytes into geo_validate(), the entry point for boundaries that
 * arrive over the API. Not wired into CMake; from the repository root build it with
 *   clang -g -O1 -fsanitize=fuzzer,address -Isrc tests/fuzz/fuzz_geojson.c src/geo/geo.c
 * plus every src/core C file and $(geos-config --clibs), then run
 *   ./a.out -max_total_time=20 NEW_CORPUS_DIR tests/fuzz/corpus/geojson
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "geo/geo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* geo_validate takes a C string; an embedded NUL simply ends it early, as over the API. */
    char *s = xmalloc(mem_size_add(size, 1));
    memcpy(s, data, size);
    s[size] = '\0';

    struct err err = ERR_INIT;
    int rc = geo_validate(s, &err);
    /* Anything but success or a filled-in bad request is a bug worth stopping for. */
    if (rc != 0 && (rc != ERR_BAD_REQUEST || err.code != rc || !err.msg[0]))
        abort();
    free(s);
    return 0;
}
