/*
 * multipart/form-data (RFC 7578), just enough to take one file from a browser form or a
 * phone app, or a whole form with its files (an Open311 client posting a report with its photo): the body is already complete in memory, so this is a bounded scan for the
 * boundary, not a streaming parser. The file's bytes are returned in place (no copy); names
 * are copied to the arena. Everything is checked against the body's length: the input is the
 * client's.
 */
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "http/http.h"

#define MAX_PARTS 16
#define MAX_PART_HEADER_BYTES 8192
#define MAX_BOUNDARY 70 /* RFC 2046 5.1.1 */

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * The value of parameter 'key' in a header value such as 'form-data; name="a"; filename="b"'
 * (token or quoted string with backslash escapes), copied to the arena; NULL when absent or
 * when its quoted string is not terminated.
 */
static char *param(struct arena *a, const char *v, size_t n, const char *key)
{
    size_t i = 0, klen = strlen(key);
    while (i < n && v[i] != ';') /* the disposition or media type itself */
        i++;
    while (i < n) {
        i++; /* ';' */
        while (i < n && blank(v[i]))
            i++;
        size_t k = i;
        while (i < n && v[i] != '=' && v[i] != ';')
            i++;
        size_t kend = i;
        while (kend > k && blank(v[kend - 1]))
            kend--;
        if (i >= n || v[i] == ';')
            continue; /* a parameter without a value */
        i++;          /* '=' */
        while (i < n && blank(v[i]))
            i++;
        int match = kend - k == klen && strncasecmp(v + k, key, klen) == 0;
        char *out = match ? arena_alloc(a, n - i + 1) : NULL;
        size_t o = 0;
        if (i < n && v[i] == '"') {
            for (i++; i < n && v[i] != '"'; i++) {
                if (v[i] == '\\' && i + 1 < n)
                    i++;
                if (out)
                    out[o++] = v[i];
            }
            if (i >= n)
                return NULL;
            i++; /* closing quote */
        } else {
            for (; i < n && v[i] != ';' && !blank(v[i]); i++)
                if (out)
                    out[o++] = v[i];
        }
        if (out) {
            out[o] = '\0';
            return out;
        }
        while (i < n && v[i] != ';')
            i++;
    }
    return NULL;
}

static int bad(struct err *err, const char *msg)
{
    return err_set(err, ERR_BAD_REQUEST, "%s", msg);
}

/* Read the header lines of one part, [p, end), into 'part'. */
static void part_headers(struct arena *a, const char *p, const char *end, struct http_part *part)
{
    while (p < end) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol)
            eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon) {
            size_t nlen = (size_t)(colon - p);
            const char *v = colon + 1;
            while (v < eol && blank(*v))
                v++;
            size_t vlen = (size_t)(eol - v);
            if (nlen == 19 && strncasecmp(p, "Content-Disposition", 19) == 0) {
                char *name = param(a, v, vlen, "name");
                part->name = name ? name : "";
                part->filename = param(a, v, vlen, "filename");
            } else if (nlen == 12 && strncasecmp(p, "Content-Type", 12) == 0) {
                while (vlen && blank(v[vlen - 1]))
                    vlen--;
                part->content_type = arena_strndup(a, v, vlen);
            }
        }
        p = eol + 2;
    }
}

/*
 * Split a multipart/form-data body into its parts (at most 'max'), in body order, into an
 * arena array. Errors as http_multipart_file, except that having no file is not one.
 */
static int split_parts(const char *content_type, const char *body, size_t len, struct arena *a,
                       size_t max, struct http_part **out, size_t *n, struct err *err)
{
    const char *end = body + len, *p;
    *out = NULL;
    *n = 0;
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0)
        return err_set(err, ERR_MEDIA_TYPE, "expected 'Content-Type: multipart/form-data'");
    const char *boundary = param(a, content_type, strlen(content_type), "boundary");
    size_t blen = boundary ? strlen(boundary) : 0;
    if (!blen || blen > MAX_BOUNDARY)
        return bad(err, "multipart/form-data needs a 'boundary' parameter of 1 to 70 characters");
    /* Every delimiter but the first is CRLF "--" boundary; the first may open the body. */
    char *delim = arena_printf(a, "\r\n--%s", boundary);
    size_t dlen = blen + 4;
    if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
        p = body + dlen - 2;
    } else {
        if (!(p = memmem(body, len, delim, dlen)))
            return bad(err, "the multipart body does not contain its boundary");
        p += dlen;
    }
    struct http_part *parts = arena_alloc(a, mem_size_mul(max, sizeof(*parts)));
    for (;;) {
        /* After a delimiter: "--" ends the body, else optional blanks and CRLF open a part. */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            break;
        while (p < end && blank(*p))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return bad(err, "malformed multipart boundary line");
        p += 2;
        if (*n >= max)
            return err_set(err, ERR_BAD_REQUEST,
                           "the multipart body has too many parts (at most %zu)", max);
        struct http_part part = {0};
        const char *data;
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            data = p + 2; /* a part without headers */
        } else {
            size_t window = (size_t)(end - p) < MAX_PART_HEADER_BYTES + 4
                                ? (size_t)(end - p)
                                : MAX_PART_HEADER_BYTES + 4;
            const char *hend = memmem(p, window, "\r\n\r\n", 4);
            if (!hend)
                return bad(err,
                           "multipart part headers are unterminated or longer than 8192 bytes");
            /* A NUL in a part's name or filename would cut it short when copied. */
            if (memchr(p, '\0', (size_t)(hend - p)))
                return bad(err, "multipart part headers contain a NUL byte");
            part_headers(a, p, hend, &part);
            data = hend + 4;
        }
        const char *next = memmem(data, (size_t)(end - data), delim, dlen);
        if (!next)
            return bad(err, "the multipart body is truncated (no closing boundary)");
        part.data = data;
        part.len = (size_t)(next - data);
        if (!part.name)
            part.name = "";
        parts[(*n)++] = part;
        p = next + dlen;
    }
    *out = parts;
    return 0;
}

int http_multipart_file(const char *content_type, const char *body, size_t len, struct arena *a,
                        struct http_part *out, struct err *err)
{
    struct http_part *parts;
    size_t n, files = 0;
    memset(out, 0, sizeof(*out));
    int rc = split_parts(content_type, body, len, a, MAX_PARTS, &parts, &n, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].filename || strcmp(parts[i].name, "file") == 0) {
            if (++files > 1)
                return bad(err, "send one file per request");
            *out = parts[i];
        }
    }
    if (!files)
        return bad(err,
                   "the multipart body has no file (a part with a filename, or the field 'file')");
    return 0;
}

/* A part is a file when it says so (a filename) or declares a type other than plain text: some
 * clients send a photo as a named field without a filename. */
static int is_file(const struct http_part *p)
{
    return p->filename || (p->content_type && strncasecmp(p->content_type, "text/plain", 10) != 0);
}

int http_multipart_form(const char *content_type, const char *body, size_t len, struct arena *a,
                        struct http_form *out, struct err *err)
{
    struct http_part *parts;
    size_t n;
    memset(out, 0, sizeof(*out));
    int rc = split_parts(content_type, body, len, a, HTTP_FORM_MAX_FIELDS, &parts, &n, err);
    if (rc < 0)
        return rc;
    out->fields = arena_alloc(a, mem_size_mul(n ? n : 1, sizeof(*out->fields)));
    out->files = arena_alloc(a, mem_size_mul(n ? n : 1, sizeof(*out->files)));
    for (size_t i = 0; i < n; i++) {
        const struct http_part *p = &parts[i];
        if (is_file(p)) {
            out->files[out->nfiles++] = *p;
            continue;
        }
        if (!*p->name)
            return err_field(err, ERR_BAD_REQUEST, "form", "multipart part %zu has no field name",
                             i + 1);
        if (memchr(p->data, '\0', p->len))
            return err_field(err, ERR_BAD_REQUEST, p->name,
                             "form field '%.40s' contains a NUL byte", p->name);
        if (utf8_invalid_at(p->data, p->len) >= 0)
            return err_field(err, ERR_BAD_REQUEST, p->name, "form field '%.40s' is not UTF-8 text",
                             p->name);
        out->fields[out->n].name = p->name;
        out->fields[out->n].value = arena_strndup(a, p->data, p->len);
        out->n++;
    }
    return 0;
}
