/*
 * libFuzzer target: the multipart/form-data reader. The input's first line is the request's
 * Content-Type header (it carries the boundary), the rest is the body. A file found must lie
 * inside the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t hlen = nl ? (size_t)(nl - (const char *)data) : size;
    char *ct = xstrndup((const char *)data, hlen);
    size_t blen = nl ? size - hlen - 1 : 0;
    /* A copy of exactly the body's length, so ASan sees any read past its end. */
    char *body = xmalloc(blen ? blen : 1);
    if (blen)
        memcpy(body, nl + 1, blen);
    struct arena a;
    struct http_part part;
    struct err err = ERR_INIT;
    arena_init(&a, 1024);
    int rc = http_multipart_file(ct, body, blen, &a, &part, &err);
    if (rc == 0 && (part.data < body || part.data + part.len > body + blen || !part.name))
        abort();
    if (rc != 0 && rc != ERR_BAD_REQUEST && rc != ERR_MEDIA_TYPE)
        abort();
    arena_release(&a);
    free(body);
    free(ct);
    return 0;
}
