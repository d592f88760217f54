/*
 * buf: a growable byte buffer for building output (JSON text, SQL-free logs, hashes input).
 *
 * Invariant: 'p' is never NULL after buf_init() and p[len] is always '\0', so a buf can be
 * handed to functions expecting a C string. The buffer owns 'p'; buf_release() frees it and
 * buf_detach() hands it to the caller (who then frees it with free()).
 */
#ifndef GRIDLOOP_CORE_BUF_H
#define GRIDLOOP_CORE_BUF_H

#include <stddef.h>

struct buf {
    char *p;
    size_t len;
    size_t cap;
};

void buf_init(struct buf *b);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);                    /* len = 0, keeps capacity */
char *buf_detach(struct buf *b, size_t *len_out); /* owned by caller; b is re-initialised */

void buf_grow(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append 's' as a JSON string literal, quotes included, escaping what JSON requires. */
void buf_json_str(struct buf *b, const char *s);

#endif /* GRIDLOOP_CORE_BUF_H */
