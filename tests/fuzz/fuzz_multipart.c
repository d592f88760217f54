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
#include "core/utf8.h"
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
    /* The same body as a form: every field is a named, valid UTF-8 string (a NUL in a value or
     * a part's headers is refused, not cut short) and every file lies inside the body. */
    struct http_form f;
    err_clear(&err);
    rc = http_multipart_form(ct, body, blen, &a, &f, &err);
    if (rc != 0 && rc != ERR_BAD_REQUEST && rc != ERR_MEDIA_TYPE)
        abort();
    for (size_t i = 0; rc == 0 && i < f.n; i++)
        if (!*f.fields[i].name ||
            utf8_invalid_at(f.fields[i].value, strlen(f.fields[i].value)) >= 0)
            abort();
    for (size_t i = 0; rc == 0 && i < f.nfiles; i++)
        if (f.files[i].data < body || f.files[i].data + f.files[i].len > body + blen)
            abort();
    arena_release(&a);
    free(body);
    free(ct);
    return 0;
}
