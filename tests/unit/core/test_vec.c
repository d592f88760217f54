/* core/vec: growth, zeroed pushes, arena and heap vectors, copies into an arena. */
#include <stdint.h>
#include <string.h>

#include "core/mem.h"
#include "core/vec.h"
#include "test.h"

struct pair {
    int64_t id;
    const char *name;
};

TEST(vec_heap_push_and_grow)
{
    VEC(int64_t) v = VEC_INIT;
    for (int64_t i = 0; i < 1000; i++)
        vec_append(&v, i * 3);
    CHECK_INT_EQ(v.n, 1000, "count after 1000 appends");
    CHECK(v.cap >= v.n, "capacity %zu covers %zu", v.cap, v.n);
    int ok = 1;
    for (size_t i = 0; i < v.n; i++)
        ok &= v.v[i] == (int64_t)i * 3;
    CHECK(ok, "elements keep their values across growth");
    CHECK_INT_EQ(*vec_last(&v), 999 * 3, "last element");
    vec_clear(&v);
    CHECK_INT_EQ(v.n, 0, "clear empties");
    CHECK(v.cap >= 1000, "clear keeps capacity");
    vec_release(&v);
    CHECK(v.v == NULL && v.n == 0 && v.cap == 0, "release resets");
    vec_append(&v, 7); /* usable again after release */
    CHECK_INT_EQ(v.v[0], 7, "reuse after release");
    vec_release(&v);
}

TEST(vec_push_is_zeroed)
{
    VEC(struct pair) v = VEC_INIT;
    for (int i = 0; i < 20; i++) {
        struct pair *p = vec_push(&v);
        CHECK(p->id == 0 && p->name == NULL, "push %d gives a zeroed element", i);
        p->id = i;
        p->name = "x";
    }
    /* An element cleared and pushed again over old contents is still zeroed. */
    vec_clear(&v);
    struct pair *p = vec_push(&v);
    CHECK(p->id == 0 && p->name == NULL, "push over old contents is zeroed");
    CHECK_INT_EQ(v.n, 1, "one element after clear + push");
    vec_release(&v);
}

TEST(vec_reserve_keeps_pointers)
{
    VEC(int) v = VEC_INIT;
    vec_reserve(&v, 100);
    CHECK(v.cap >= 100, "reserve gives room for 100 (cap %zu)", v.cap);
    int *first = vec_push(&v);
    for (int i = 1; i < 100; i++)
        vec_append(&v, i);
    CHECK(first == &v.v[0], "no reallocation within the reserved room");
    vec_release(&v);
}

TEST(vec_arena_and_copy)
{
    struct arena a;
    arena_init(&a, 256);
    VEC(struct pair) v = VEC_IN(&a);
    for (int i = 0; i < 300; i++) {
        struct pair *p = vec_push(&v);
        p->id = i;
        p->name = arena_printf(&a, "n%d", i);
    }
    CHECK_INT_EQ(v.n, 300, "arena vector count");
    CHECK_INT_EQ(v.v[299].id, 299, "arena vector keeps values");
    CHECK_STR_EQ(v.v[123].name, "n123", "arena vector keeps pointers");

    VEC(int64_t) h = VEC_INIT;
    CHECK(vec_to_arena(&h, &a) == NULL, "an empty vector copies to NULL");
    vec_append(&h, 5);
    vec_append(&h, 6);
    int64_t *copy = vec_to_arena(&h, &a);
    vec_release(&h);
    CHECK(copy && copy[0] == 5 && copy[1] == 6, "copy outlives the released heap vector");
    vec_release(&v); /* no-op for an arena vector */
    arena_release(&a);
}
