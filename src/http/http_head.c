/*
 * Request framing (RFC 9112 section 6) decided from the headers alone, before any of the body
 * is read. libmicrohttpd frames by the first Content-Length line and by any Transfer-Encoding
 * it finds; a request whose framing two parties could read differently (two lengths, a length
 * and a coding, a coding we do not know) is refused and its connection closed, so nothing of
 * it can be taken for the start of another request.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

static const char *skip_ows(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* The next comma-separated element of a list: *start and *len, trailing OWS trimmed. Returns
 * the position after it, or NULL at the end. */
static const char *next_element(const char *s, const char **start, size_t *len)
{
    if (!*s)
        return NULL;
    s = skip_ows(s);
    const char *e = strchr(s, ',');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    *start = s;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *len = n;
    return e ? e + 1 : s + strlen(s);
}

static int refuse(struct http_framing *f, int status, const char *why)
{
    f->status = status;
    f->why = why;
    return status;
}

int http_framing_decide(const char *content_length, const char *transfer_encoding, int http10,
                        struct http_framing *f)
{
    memset(f, 0, sizeof(*f));
    if (transfer_encoding) {
        if (http10)
            return refuse(f, 400, "an HTTP/1.0 request must not carry 'Transfer-Encoding'");
        if (content_length)
            return refuse(f, 400,
                          "a request must not carry both 'Content-Length' and 'Transfer-Encoding'");
        const char *s = transfer_encoding, *el;
        size_t n;
        int chunked = 0;
        while ((s = next_element(s, &el, &n)) != NULL) {
            if (!n)
                continue;
            if (n != 7 || strncasecmp(el, "chunked", 7) != 0)
                return refuse(f, 501, "the only transfer coding accepted is 'chunked'");
            if (chunked++)
                return refuse(f, 400, "'chunked' applied more than once");
        }
        if (!chunked)
            return refuse(f, 400, "empty 'Transfer-Encoding'");
        f->chunked = 1;
        return 0;
    }
    if (content_length) {
        /* Several lines (joined) or a list: valid only when every value is the same number. */
        const char *s = content_length, *el;
        size_t n;
        int seen = 0;
        while ((s = next_element(s, &el, &n)) != NULL) {
            uint64_t v = 0;
            if (!n)
                continue; /* empty list elements are ignored (RFC 9110 5.6.1) */
            if (n > 19)
                return refuse(f, 400, "malformed 'Content-Length'");
            for (size_t i = 0; i < n; i++) {
                if (!isdigit((unsigned char)el[i]))
                    return refuse(f, 400, "malformed 'Content-Length'");
                v = v * 10 + (uint64_t)(el[i] - '0');
            }
            if (seen && v != f->length)
                return refuse(f, 400, "different 'Content-Length' values");
            f->length = v;
            seen = 1;
        }
        if (!seen)
            return refuse(f, 400, "malformed 'Content-Length'");
        f->has_length = 1;
    }
    return 0;
}

size_t http_query_count(const char *uri)
{
    const char *q = strchr(uri, '?');
    size_t n = 0;
    if (!q)
        return 0;
    for (q++; *q && *q != ' '; q++)
        if (*q == '&')
            n++;
    return n + 1;
}
