/*
 * Runner for the C unit tests: runs every registered test (or those whose name contains
 * argv[1]) and exits non-zero if any check failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

#define MAX_TESTS 1024

static struct {
    const char *name;
    test_fn *fn;
} tests[MAX_TESTS];
static int ntests;
static int failures_in_test;
static char tmpdir[256];

void test_register(const char *name, test_fn *fn)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        abort();
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures_in_test++;
}

static void remove_tmpdir(void)
{
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

const char *test_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/gridloop-unit-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

void test_db_path(const char *name, char *path, size_t size)
{
    if (strncmp(name, "pg:", 3) != 0) {
        snprintf(path, size, "%s/%s", test_tmpdir(), name);
        return;
    }
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    char cmd[800];
    snprintf(path, size, "%s/gridloop_%s_%ld", pg ? pg : "", name + 3, (long)getpid());
    snprintf(cmd, sizeof(cmd), "createdb --maintenance-db='%s/postgres' gridloop_%s_%ld",
             pg ? pg : "", name + 3, (long)getpid());
    if (!pg || !*pg || system(cmd) != 0) {
        fprintf(stderr, "test: cannot create the database for %s: %s\n", name, cmd);
        abort();
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const char *const *)a)[0], ((const char *const *)b)[0]);
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int run = 0, failed = 0;
    qsort(tests, (size_t)ntests, sizeof(tests[0]), by_name);
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter))
            continue;
        failures_in_test = 0;
        tests[i].fn();
        run++;
        if (failures_in_test) {
            failed++;
            fprintf(stderr, "FAIL %s\n", tests[i].name);
        } else {
            printf("ok   %s\n", tests[i].name);
        }
    }
    printf("%d tests, %d failed\n", run, failed);
    return failed ? 1 : (run ? 0 : 1);
}
