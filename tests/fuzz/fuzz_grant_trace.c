/*
 * libFuzzer target: the file `gridloop grant trace` reads (grant_trace_read): encoding detection,
 * the CSV reader and the marks stripped from every cell, then the score of a fixed key over the
 * rows. Whatever the bytes, the answer is 0 or an input error, the counts agree and the score is a
 * share.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "grant/grant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char KEY[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    struct err err = ERR_INIT;
    struct grant_trace_row *rows;
    size_t n, marked, scored;
    arena_init(&a, 1 << 14);
    int rc = grant_trace_read((const char *)data, size, &a, &rows, &n, &marked, &err);
    if (rc < 0 && rc != ERR_BAD_REQUEST && rc != ERR_TOO_LARGE)
        abort();
    if (rc == 0) {
        if (marked > n)
            abort();
        double s = grant_trace_score(KEY, rows, n, &scored);
        if (scored != marked || s < 0 || s > 1)
            abort();
    }
    arena_release(&a);
    return 0;
}
