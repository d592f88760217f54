/*
 * libFuzzer target: the application/x-www-form-urlencoded parser, and the Open311 scrubber
 * its values meet on the way out. Every field must be NUL-terminated valid UTF-8 with a
 * non-empty name, lookups must agree with the field list, and scrubbing may only turn bytes
 * into '*' (same length, still valid UTF-8).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "http/http.h"
#include "open311/open311.h"

static size_t stars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '*';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly the input's length, so ASan sees any read past its end. */
    char *body = xmalloc(size ? size : 1);
    if (size)
        memcpy(body, data, size);
    struct arena a;
    struct http_form f;
    struct err err = ERR_INIT;
    arena_init(&a, 1024);
    int rc = http_form_parse(body, size, &a, &f, &err);
    if (rc != 0 && rc != ERR_BAD_REQUEST)
        abort();
    if (rc == 0) {
        /* A NUL anywhere would have cut a value short: such a body is refused. */
        if (size && memchr(body, '\0', size))
            abort();
        if (f.n > HTTP_FORM_MAX_FIELDS)
            abort();
        for (size_t i = 0; i < f.n; i++) {
            const struct http_form_field *x = &f.fields[i];
            if (!*x->name || utf8_invalid_at(x->name, strlen(x->name)) >= 0 ||
                utf8_invalid_at(x->value, strlen(x->value)) >= 0 ||
                http_form_count(&f, x->name) == 0 || !http_form_get(&f, x->name))
                abort();
            /* The scrubber reads full-width digits as ASCII ones (shorter) and writes '*' and
             * 某 over what it masks: never longer, always UTF-8, and a second pass never
             * unmasks. It may mask more: the digits a first pass leaves visible at the end of
             * a long number can join a dash-separated run into a phone-shaped one. */
            const char *m = open311_scrub(&a, x->value);
            size_t len = strlen(m);
            const char *m2 = open311_scrub(&a, m);
            if (len > strlen(x->value) || utf8_invalid_at(m, len) >= 0 || strlen(m2) > len ||
                stars(m2) < stars(m))
                abort();
        }
    }
    arena_release(&a);
    free(body);
    return 0;
}
