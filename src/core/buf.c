#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/utf8.h"

static char buf_empty[1];

void buf_init(struct buf *b)
{
    b->p = buf_empty;
    b->len = 0;
    b->cap = 0;
}

void buf_release(struct buf *b)
{
    if (b->cap)
        free(b->p);
    buf_init(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->cap)
        b->p[0] = '\0';
}

char *buf_detach(struct buf *b, size_t *len_out)
{
    char *p = b->cap ? b->p : xstrdup("");
    if (len_out)
        *len_out = b->len;
    buf_init(b);
    return p;
}

void buf_grow(struct buf *b, size_t extra)
{
    size_t need = mem_size_add(mem_size_add(b->len, extra), 1);
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = mem_size_mul(cap, 2);
    if (b->cap) {
        b->p = xrealloc(b->p, cap);
    } else {
        b->p = xmalloc(cap);
        b->p[0] = '\0';
    }
    b->cap = cap;
}

void buf_append(struct buf *b, const void *data, size_t n)
{
    buf_grow(b, n);
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
    /* JSON writing puts most of its punctuation here, one byte at a time. */
    if (b->len + 2 > b->cap)
        buf_grow(b, 1);
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof(tmp)) {
        buf_append(b, tmp, (size_t)n);
    } else {
        buf_grow(b, (size_t)n);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void buf_json_str(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    const unsigned char *c = (const unsigned char *)s, *run = c;
    for (;;) {
        unsigned char u = *c;
        if (u < 0x80) {
            if (u >= 0x20 && u != '"' && u != '\\') {
                c++;
                continue;
            }
            if (!u)
                break;
        } else {
            /* The three-byte sequences whose second byte may be any continuation byte (Han
             * is E4-E9), checked here without decoding; what is left (E0 and ED, which
             * exclude overlongs and surrogates, two- and four-byte sequences) goes through
             * utf8_seq. A NUL fails the continuation test, so nothing past it is read. */
            if (u >= 0xE1 && u <= 0xEF && u != 0xED && (c[1] & 0xC0) == 0x80 &&
                (c[2] & 0xC0) == 0x80) {
                c += 3;
                continue;
            }
            /* Text from the client (a path, a field name) may not be UTF-8: what goes out is,
             * each invalid byte as U+FFFD, so no JSON body is ever invalid. The NUL ends the
             * sequence check, so this never reads past the string. */
            size_t k = utf8_seq((const char *)c, 4);
            if (k) {
                c += k;
                continue;
            }
            buf_append(b, run, (size_t)(c - run));
            run = ++c;
            buf_puts(b, "\\ufffd");
            continue;
        }
        buf_append(b, run, (size_t)(c - run));
        run = c + 1;
        switch (u) {
        case '"': buf_puts(b, "\\\""); break;
        case '\\': buf_puts(b, "\\\\"); break;
        case '\n': buf_puts(b, "\\n"); break;
        case '\r': buf_puts(b, "\\r"); break;
        case '\t': buf_puts(b, "\\t"); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 15]};
            buf_append(b, esc, 6);
        }
        }
        c++;
    }
    buf_append(b, run, (size_t)(c - run));
    buf_putc(b, '"');
}
