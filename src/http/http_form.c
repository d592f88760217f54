/*
 * application/x-www-form-urlencoded bodies (the Open311 POST encoding). The body is complete
 * in memory; each pair is decoded into the arena. Everything is bounded by the body length and
 * the field count: the input is the client's.
 */
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "http/http.h"

/* Decode one name or value; NULL when the escape is malformed, decodes to NUL or the result
 * is not UTF-8. */
static char *decode(struct arena *a, const char *s, size_t n)
{
    char *out = http_url_decode(a, s, n, 1);
    if (out && utf8_invalid_at(out, strlen(out)) >= 0)
        return NULL;
    return out;
}

int http_form_parse(const char *body, size_t len, struct arena *a, struct http_form *out,
                    struct err *err)
{
    size_t cap = 0, pos = 0;
    out->fields = NULL;
    out->files = NULL;
    out->nfiles = 0;
    out->n = 0;
    /* A raw NUL would end the decoded C string early and silently shorten the value (%00 is
     * refused by the decoder for the same reason). */
    const char *nul = memchr(body, '\0', len);
    if (nul)
        return err_field(err, ERR_BAD_REQUEST, "form", "the form contains a NUL byte at byte %zu",
                         (size_t)(nul - body));
    /* Count the pairs first so the array is allocated once and the limit checked early. */
    for (size_t i = 0; i <= len; i++)
        if (i == len || body[i] == '&')
            cap++;
    if (cap > HTTP_FORM_MAX_FIELDS) {
        /* Empty pairs do not count against the limit. */
        size_t real = 0, start = 0;
        for (size_t i = 0; i <= len; i++)
            if (i == len || body[i] == '&') {
                real += i > start;
                start = i + 1;
            }
        if (real > HTTP_FORM_MAX_FIELDS)
            return err_set(err, ERR_BAD_REQUEST, "the form has more than %d fields",
                           HTTP_FORM_MAX_FIELDS);
        cap = real;
    }
    out->fields = arena_alloc(a, mem_size_mul(cap ? cap : 1, sizeof(*out->fields)));
    while (pos <= len) {
        size_t end = pos;
        while (end < len && body[end] != '&')
            end++;
        if (end > pos) {
            const char *eq = memchr(body + pos, '=', end - pos);
            size_t nlen = eq ? (size_t)(eq - (body + pos)) : end - pos;
            char *name = decode(a, body + pos, nlen);
            if (!name)
                return err_field(err, ERR_BAD_REQUEST, "form",
                                 "form field name at byte %zu is not valid percent-encoded UTF-8",
                                 pos);
            if (!*name)
                return err_field(err, ERR_BAD_REQUEST, "form",
                                 "form field at byte %zu has an empty name", pos);
            const char *value = "";
            if (eq) {
                size_t vstart = (size_t)(eq - body) + 1;
                char *v = decode(a, body + vstart, end - vstart);
                if (!v)
                    return err_field(err, ERR_BAD_REQUEST, name,
                                     "form field '%.40s' is not valid percent-encoded UTF-8", name);
                value = v;
            }
            out->fields[out->n].name = name;
            out->fields[out->n].value = value;
            out->n++;
        }
        pos = end + 1;
    }
    return 0;
}

const char *http_form_get(const struct http_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return f->fields[i].value;
    return NULL;
}

size_t http_form_count(const struct http_form *f, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += strcmp(f->fields[i].name, name) == 0;
    return n;
}

int http_form_content_type(const char *ct)
{
    static const char type[] = "application/x-www-form-urlencoded";
    if (!ct)
        return 0;
    while (*ct == ' ')
        ct++;
    size_t n = sizeof(type) - 1;
    return strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}
