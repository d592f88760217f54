/*
 * vec: a typed growable array (in the spirit of git's ALLOC_GROW and klib's kvec).
 *
 *     VEC(struct org_region) v = VEC_INIT;          heap: vec_release() frees it
 *     VEC(int64_t) ids = VEC_IN(arena);             arena: released with the arena
 *
 *     struct org_region *r = vec_push(&v);          a zeroed new last element
 *     vec_append(&ids, 42);                         type-checked by the assignment
 *     *out = vec_to_arena(&v, a); *n = v.n;         a copy in the arena (NULL when empty)
 *     vec_release(&v);
 *
 * VEC(T) is an anonymous struct, so two VEC(T) spellings are different types: typedef one
 * (typedef VEC(int64_t) id_vec;) when a vector crosses a function boundary.
 *
 * Growth doubles the capacity, so pushing n elements costs O(n). A heap vector keeps lists
 * of unknown length out of the caller's arena until they are complete (vec_to_arena());
 * an arena vector needs no release on error paths but leaves its outgrown copies in the
 * arena (at most as many bytes again as the final array). Sizes overflow-check and
 * allocation failure aborts (core/mem.h). Not thread-safe; a vector belongs to its owner.
 */
#ifndef GRIDLOOP_CORE_VEC_H
#define GRIDLOOP_CORE_VEC_H

#include <stddef.h>
#include <string.h>

struct arena;

#define VEC(T)                                                                                     \
    struct {                                                                                       \
        T *v; /* the elements, v[0 .. n-1] */                                                      \
        size_t n;                                                                                  \
        size_t cap;                                                                                \
        struct arena *arena; /* NULL: malloc'ed (owned); else allocated from this arena */         \
    }

#define VEC_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0, NULL                                                                           \
    }
#define VEC_IN(a)                                                                                  \
    {                                                                                              \
        NULL, 0, 0, (a)                                                                            \
    }

/* Implementation; use the macros. Returns 'p' grown to hold at least 'need' elements. */
void *vec_grow_(void *p, size_t *cap, size_t need, size_t elem, struct arena *a);
void *vec_copy_to_arena_(struct arena *a, const void *p, size_t n, size_t elem);
void vec_free_(void *p, struct arena *a);

/* Make room for 'extra' more elements without moving them again. */
#define vec_reserve(vec, extra)                                                                    \
    ((vec)->n + (extra) <= (vec)->cap                                                              \
         ? (void)0                                                                                 \
         : (void)((vec)->v = vec_grow_((vec)->v, &(vec)->cap, (vec)->n + (extra),                  \
                                       sizeof(*(vec)->v), (vec)->arena)))

/* A pointer to a new, zeroed last element (valid until the vector grows again). */
#define vec_push(vec)                                                                              \
    (vec_reserve((vec), 1), memset(&(vec)->v[(vec)->n], 0, sizeof(*(vec)->v)),                     \
     &(vec)->v[(vec)->n++])

/* Append a value; the assignment checks its type against the element type. */
#define vec_append(vec, x) (vec_reserve((vec), 1), (void)((vec)->v[(vec)->n++] = (x)))

/* The last element; the vector must not be empty. */
#define vec_last(vec) (&(vec)->v[(vec)->n - 1])

/* Empty the vector, keeping its capacity. */
#define vec_clear(vec) ((void)((vec)->n = 0))

/* A copy of the elements in arena 'a' (NULL when empty); the vector is unchanged. */
#define vec_to_arena(vec, a) vec_copy_to_arena_((a), (vec)->v, (vec)->n, sizeof(*(vec)->v))

/* Free a heap vector's elements (an arena vector's stay until the arena goes); the vector is
 * empty afterwards and may be used again. */
#define vec_release(vec)                                                                           \
    (vec_free_((vec)->v, (vec)->arena), (vec)->v = NULL, (vec)->n = 0, (void)((vec)->cap = 0))

#endif /* GRIDLOOP_CORE_VEC_H */
