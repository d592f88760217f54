/*
 * test: a small C unit-test harness. TEST(name) defines a test and registers it before
 * main() runs, so no list is kept by hand. CHECK* macros record a failure with file:line and
 * a formatted description, then let the test continue so one run shows every broken row.
 */
#ifndef GRIDLOOP_TESTS_TEST_H
#define GRIDLOOP_TESTS_TEST_H

#include <stdio.h>
#include <string.h>

typedef void test_fn(void);

void test_register(const char *name, test_fn *fn);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A scratch directory unique to this run (created on first use, removed at exit). */
const char *test_tmpdir(void);

/* Where a test's database 'name' lives: a file in test_tmpdir(), or for "pg:NAME" a new
 * database of its own on GRIDLOOP_TEST_PG's server (created here; aborts when it cannot be). */
void test_db_path(const char *name, char *path, size_t size);

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void test_register_##name(void)                            \
    {                                                                                              \
        test_register(#name, test_##name);                                                         \
    }                                                                                              \
    static void test_##name(void)

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            test_fail(__FILE__, __LINE__, __VA_ARGS__);                                            \
    } while (0)

#define CHECK_INT_EQ(got, want, ...)                                                               \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        if (g_ != w_) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s == %lld, want %lld", #got, g_, w_);                  \
            test_fail(__FILE__, __LINE__, __VA_ARGS__);                                            \
        }                                                                                          \
    } while (0)

#define CHECK_STR_EQ(got, want, ...)                                                               \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (!g_ || !w_ || strcmp(g_, w_) != 0) {                                                   \
            test_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", #got, g_ ? g_ : "(null)",   \
                      w_ ? w_ : "(null)");                                                         \
            test_fail(__FILE__, __LINE__, __VA_ARGS__);                                            \
        }                                                                                          \
    } while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* GRIDLOOP_TESTS_TEST_H */
