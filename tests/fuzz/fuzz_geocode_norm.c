/*
 * libFuzzer target: geocode_norm, the address normaliser fed with what operators, citizens
 * and import files type. The key must be valid UTF-8 whatever the input, hold no space,
 * punctuation or full-width ASCII, and be no longer than four times the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/utf8.h"
#include "geocode/geocode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    struct arena a;
    arena_init(&a, 4096);
    const char *k = geocode_norm(&a, s);
    size_t n = strlen(k);
    if (utf8_invalid_at(k, n) != -1 || n > 4 * strlen(s))
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '-'))
            abort();
        /* full-width ASCII is U+FF01..U+FF5E: EF BC 81..EF BD 9E */
        if (c == 0xEF && i + 2 < n && (unsigned char)k[i + 1] == 0xBC &&
            (unsigned char)k[i + 2] >= 0x81)
            abort();
    }
    arena_release(&a);
    free(s);
    return 0;
}
