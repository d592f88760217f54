/*
 * mem: allocation that never returns NULL, and the per-request arena.
 *
 * x*alloc abort the process on exhaustion: a server that cannot allocate a few bytes cannot
 * answer anyway, and checking every call would bury the logic. Sizes coming from outside
 * input go through mem_size_mul/mem_size_add so that overflow aborts instead of wrapping.
 *
 * An arena hands out memory that is released all at once by arena_release(); nothing in it
 * is freed piecemeal. One arena belongs to one request (one thread); it is not thread-safe.
 */
#ifndef GRIDLOOP_CORE_MEM_H
#define GRIDLOOP_CORE_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

size_t mem_size_mul(size_t a, size_t b);
size_t mem_size_add(size_t a, size_t b);

struct arena_block;

struct arena {
    struct arena_block *head; /* most recent block; owned */
    size_t block_size;        /* size of ordinary blocks */
    size_t used_total;        /* bytes handed out, for limits and metrics */
};

/* Prepare an empty arena; nothing is allocated until the first arena_alloc(). */
void arena_init(struct arena *a, size_t block_size);

/* Free every block. The arena may be reused after another arena_init(). */
void arena_release(struct arena *a);

/* Zeroed memory aligned for any type, valid until arena_release(). */
void *arena_alloc(struct arena *a, size_t n);

/* Copies into the arena; NULL in gives NULL out. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* printf into the arena. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* GRIDLOOP_CORE_MEM_H */
