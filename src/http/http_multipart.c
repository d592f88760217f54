/*
 * multipart/form-data (RFC 7578), just enough to take one file from a browser form or a
 * phone app: the body is already complete in memory, so this is a bounded scan for the
 * boundary, not a streaming parser. The file's bytes are returned in place (no copy); names
 * are copied to the arena. Everything is checked against the body's length: the input is the
 * client's.
 */
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/mem.h"
#include "http/http.h"

#define MAX_PARTS 16
#define MAX_PART_HEADER_BYTES 8192
#define MAX_BOUNDARY 70           /* RFC 2046 5.1.1 */

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
    while (i < n && v[i] != ';')   /* the disposition or media type itself */
        i++;
    while (i < n) {
        i++;                       /* ';' */
        while (i < n && blank(v[i]))
            i++;
        size_t k = i;
        while (i < n && v[i] != '=' && v[i] != ';')
            i++;
        size_t kend = i;
        while (kend > k && blank(v[kend - 1]))
            kend--;
        if (i >= n || v[i] == ';')
            continue;              /* a parameter without a value */
        i++;                       /* '=' */
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
            i++;                   /* closing quote */
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

int http_multipart_file(const char *content_type, const char *body, size_t len, struct arena *a, struct http_part *out,
                        struct err *err)
{
    const char *end = body + len, *p;
    int parts = 0, files = 0;
    memset(out, 0, sizeof(*out));
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
    for (;;) {
        /* After a delimiter: "--" ends the body, else optional blanks and CRLF open a part. */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            break;
        while (p < end && blank(*p))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return bad(err, "malformed multipart boundary line");
        p += 2;
        if (++parts > MAX_PARTS)
            return bad(err, "the multipart body has too many parts (at most 16)");
        struct http_part part = {0};
        const char *data;
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            data = p + 2;          /* a part without headers */
        } else {
            size_t window = (size_t)(end - p) < MAX_PART_HEADER_BYTES + 4 ? (size_t)(end - p) : MAX_PART_HEADER_BYTES + 4;
            const char *hend = memmem(p, window, "\r\n\r\n", 4);
            if (!hend)
                return bad(err, "multipart part headers are unterminated or longer than 8192 bytes");
            part_headers(a, p, hend, &part);
            data = hend + 4;
        }
        const char *next = memmem(data, (size_t)(end - data), delim, dlen);
        if (!next)
            return bad(err, "the multipart body is truncated (no closing boundary)");
        part.data = data;
        part.len = (size_t)(next - data);
        p = next + dlen;
        if (part.filename || (part.name && strcmp(part.name, "file") == 0)) {
            if (++files > 1)
                return bad(err, "send one file per request");
            *out = part;
        }
    }
    if (!files)
        return bad(err, "the multipart body has no file (a part with a filename, or the field 'file')");
    return 0;
}
