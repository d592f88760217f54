/*
 * libFuzzer target: arbitrary bytes into basemap_parse_coords(), which reads the coordinates of
 * the register's stored geometries for every tile (the register validates them on write, but a
 * row edited by hand reaches the parser as it is). Built by `make fuzz` (CMake FUZZ=ON); seeds
 * in tests/fuzz/corpus/basemap_coords.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "basemap/basemap.h"
#include "core/err.h"
#include "core/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xmalloc(mem_size_add(size, 1));
    memcpy(s, data, size);
    s[size] = '\0';
    struct arena a;
    arena_init(&a, 4096);
    struct err err = ERR_INIT;
    double *xy;
    size_t *lens, n;
    int rc = basemap_parse_coords(s, &a, &xy, &lens, &n, &err);
    if (rc != 0 && (rc != ERR_BAD_REQUEST || !err.msg[0]))
        abort();
    /* Every part's points lie in what was parsed; simplify and clip must cope with any of it. */
    for (size_t i = 0, at = 0; rc == 0 && i < n; at += lens[i], i++) {
        double *out;
        size_t *plens;
        basemap_clip_line(xy + 2 * at, lens[i], -32, 544, &a, &out, &plens);
        basemap_clip_ring(xy + 2 * at, lens[i], -32, 544, &a, &out);
        basemap_simplify(xy + 2 * at, lens[i], 1.0);
    }
    arena_release(&a);
    free(s);
    return 0;
}
