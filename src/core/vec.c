#include "core/vec.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

void *vec_grow_(void *p, size_t *cap, size_t need, size_t elem, struct arena *a)
{
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap = mem_size_mul(ncap, 2);
    size_t bytes = mem_size_mul(ncap, elem);
    if (!a) {
        p = xrealloc(p, bytes);
    } else {
        /* The arena frees nothing piecemeal: the outgrown copy stays until arena_release(). */
        void *q = arena_alloc(a, bytes);
        if (*cap)
            memcpy(q, p, *cap * elem);
        p = q;
    }
    *cap = ncap;
    return p;
}

void *vec_copy_to_arena_(struct arena *a, const void *p, size_t n, size_t elem)
{
    if (!n)
        return NULL;
    void *q = arena_alloc(a, mem_size_mul(n, elem));
    memcpy(q, p, n * elem);
    return q;
}

void vec_free_(void *p, struct arena *a)
{
    if (!a)
        free(p);
}
