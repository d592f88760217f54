/* store: the typed helpers (store_run, store_one, store_all, store_one_i64, store_one_text),
 * the parameter-count check at prepare time, and every argument type round-tripping. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"
#include "test.h"

static struct store *open_store(const char *name, struct store_conn **c)
{
    char path[512];
    struct store *st = NULL;
    struct err e = ERR_INIT;
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(st, c, &e), 0, "conn: %s", e.msg);
    CHECK(store_run(*c, "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT, b BLOB)",
                    STORE_NO_ARGS, &e) >= 0,
          "create: %s", e.msg);
    return st;
}

struct row {
    int64_t id, n;
    double r;
    const char *s;
    int s_null;
    size_t blen;
};

struct rows {
    struct arena *a;
    VEC(struct row) v;
};

static int read_row(void *ctx, struct store_stmt *s)
{
    struct rows *out = ctx;
    struct row *r = vec_push(&out->v);
    r->id = store_col_int(s, 0);
    r->n = store_col_int(s, 1);
    r->r = store_col_real(s, 2);
    r->s_null = store_col_is_null(s, 3);
    r->s = arena_strdup(out->a, store_col_text(s, 3));
    store_col_blob(s, 4, &r->blen);
    return 0;
}

TEST(store_typed_round_trip)
{
    struct store_conn *c;
    struct store *st = open_store("typed.db", &c);
    struct err e = ERR_INIT;
    struct arena a;
    arena_init(&a, 0);

    static const unsigned char blob[] = {0, 1, 2, 0, 3};
    CHECK_INT_EQ(store_run(c, "INSERT INTO t(id, n, r, s, b) VALUES (?, ?, ?, ?, ?)",
                           STORE_ARGS(store_i64(1), store_i64(INT64_MAX), store_real(2.5),
                                      store_text("市民"), store_blob(blob, sizeof(blob))),
                           &e),
                 1, "insert 1: %s", e.msg);
    CHECK_INT_EQ(store_run(c, "INSERT INTO t(id, n, r, s, b) VALUES (?, ?, ?, ?, ?)",
                           STORE_ARGS(store_i64(2), store_i64_or_null(0), store_null(),
                                      store_text(NULL), store_null()),
                           &e),
                 1, "insert 2: %s", e.msg);

    struct rows out = {&a, VEC_IN(&a)};
    CHECK_INT_EQ(
        store_all(c, "SELECT id, n, r, s, b FROM t ORDER BY id", STORE_NO_ARGS, read_row, &out, &e),
        2, "all: %s", e.msg);
    CHECK_INT_EQ(out.v.n, 2, "two rows read");
    if (out.v.n == 2) {
        CHECK(out.v.v[0].n == INT64_MAX && out.v.v[0].r == 2.5, "int64 and real survive");
        CHECK_STR_EQ(out.v.v[0].s, "市民", "text survives");
        CHECK_INT_EQ(out.v.v[0].blen, sizeof(blob), "blob keeps its NUL bytes");
        CHECK(out.v.v[1].s_null, "store_text(NULL) binds NULL");
        CHECK_INT_EQ(out.v.v[1].n, 0, "store_i64_or_null(0) reads back as 0 (NULL)");
    }

    int64_t n = -1;
    CHECK_INT_EQ(store_one_i64(c, "SELECT count(*) FROM t WHERE n IS NULL", STORE_NO_ARGS, &n, &e),
                 1, "one_i64");
    CHECK_INT_EQ(n, 1, "one row has a NULL n");
    CHECK_INT_EQ(
        store_one_i64(c, "SELECT id FROM t WHERE id = ?", STORE_ARGS(store_i64(9)), &n, &e), 0,
        "no row is 0");

    char *text = NULL;
    CHECK_INT_EQ(
        store_one_text(c, "SELECT s FROM t WHERE id = ?", STORE_ARGS(store_i64(1)), &a, &text, &e),
        1, "one_text");
    CHECK_STR_EQ(text, "市民", "one_text copies into the arena");
    CHECK_INT_EQ(
        store_one_text(c, "SELECT s FROM t WHERE id = ?", STORE_ARGS(store_i64(2)), &a, &text, &e),
        1, "one_text null");
    CHECK(text == NULL, "a NULL value reads as NULL");

    /* store_one with no callback: does a row exist? */
    CHECK_INT_EQ(
        store_one(c, "SELECT 1 FROM t WHERE id = ?", STORE_ARGS(store_i64(2)), NULL, NULL, &e), 1,
        "exists");
    CHECK_INT_EQ(store_run(c, "UPDATE t SET n = n + 1 WHERE n IS NOT NULL", STORE_NO_ARGS, &e), 1,
                 "run returns rows changed");
    arena_release(&a);
    store_close(st);
}

static int stop_after_two(void *ctx, struct store_stmt *s)
{
    (void)s;
    return ++*(int *)ctx == 2;
}

static int fail_on_second(void *ctx, struct store_stmt *s)
{
    (void)s;
    return ++*(int *)ctx == 2 ? ERR_CONFLICT : 0;
}

TEST(store_typed_callback_stops_and_fails)
{
    struct store_conn *c;
    struct store *st = open_store("typed_cb.db", &c);
    struct err e = ERR_INIT;
    for (int i = 1; i <= 5; i++)
        store_run(c, "INSERT INTO t(id) VALUES (?)", STORE_ARGS(store_i64(i)), &e);
    int calls = 0;
    CHECK_INT_EQ(store_all(c, "SELECT id FROM t", STORE_NO_ARGS, stop_after_two, &calls, &e), 2,
                 "a positive return stops early");
    CHECK_INT_EQ(calls, 2, "no call after the stop");
    calls = 0;
    CHECK_INT_EQ(store_all(c, "SELECT id FROM t", STORE_NO_ARGS, fail_on_second, &calls, &e),
                 ERR_CONFLICT, "a negative return fails the query");
    CHECK_INT_EQ(e.code, ERR_CONFLICT, "the error is filled");
    /* The statement was released: the same SQL runs again from the start. */
    calls = 0;
    err_clear(&e);
    CHECK_INT_EQ(store_all(c, "SELECT id FROM t", STORE_NO_ARGS, stop_after_two, &calls, &e), 2,
                 "runs again");
    store_close(st);
}

TEST(store_typed_param_count_checked)
{
    struct store_conn *c;
    struct store *st = open_store("typed_count.db", &c);
    struct err e = ERR_INIT;
    log_set_level(LOG_ERROR);
    CHECK_INT_EQ(store_run(c, "INSERT INTO t(id, n) VALUES (?, ?)", STORE_ARGS(store_i64(1)), &e),
                 ERR_INTERNAL, "too few arguments");
    CHECK(strstr(e.msg, "2 parameters but 1 arguments") != NULL, "message names the counts: %s",
          e.msg);
    err_clear(&e);
    CHECK_INT_EQ(
        store_run(c, "INSERT INTO t(id) VALUES (?)", STORE_ARGS(store_i64(1), store_i64(2)), &e),
        ERR_INTERNAL, "too many arguments");
    err_clear(&e);
    CHECK_INT_EQ(store_run(c, "DELETE FROM t WHERE id = ?", STORE_NO_ARGS, &e), ERR_INTERNAL,
                 "none for one");
    /* A '?' inside a string literal is not a parameter. */
    err_clear(&e);
    CHECK_INT_EQ(
        store_run(c, "INSERT INTO t(id, s) VALUES (?, 'why?')", STORE_ARGS(store_i64(3)), &e), 1,
        "literal '?' is not counted: %s", e.msg);
    int64_t n = 0;
    err_clear(&e);
    CHECK_INT_EQ(store_one_i64(c, "SELECT count(*) FROM t", STORE_NO_ARGS, &n, &e), 1,
                 "table still usable");
    CHECK_INT_EQ(n, 1, "only the well-counted insert landed");
    store_close(st);
}

/* A budget of work stops a statement between rows and inside one long step (a count that reads
 * without answering); the rows stepped before it stay counted, the stop is told apart from a
 * failure, and once removed the connection runs statements to their end again. */
TEST(store_time_limit_stops_a_long_statement)
{
    struct store_conn *c;
    struct store *st = open_store("typed_deadline.db", &c);
    struct err e = ERR_INIT;
    struct store_stmt *s;
    static const char *forever = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) ";
    char sql[256];

    CHECK_INT_EQ(store_time_limit(c, 20 * 1000000u), 1, "SQLite keeps them");
    snprintf(sql, sizeof(sql), "%sSELECT x FROM r", forever);
    CHECK_INT_EQ(store_prepare(c, sql, STORE_NO_ARGS, &s, &e), 0, "%s", e.msg);
    uint64_t t0 = clock_mono_ns();
    int64_t rows = 0;
    int rc;
    while ((rc = store_step(s, &e)) == 1)
        rows++;
    store_done(s);
    CHECK(rc < 0 && store_time_limit_hit(c), "stopped when the budget was spent (rc %d: %s)", rc,
          e.msg);
    CHECK(rows > 0, "the rows before the stop were stepped: %lld", (long long)rows);
    /* Not a figure: a bound that only a statement the budget failed to stop could miss. */
    CHECK(clock_mono_ns() - t0 < 10ull * 1000000000u, "stopped within seconds");

    err_clear(&e);
    CHECK_INT_EQ(store_time_limit(c, 20 * 1000000u), 1, "set again");
    CHECK_INT_EQ(store_time_limit_hit(c), 0, "a new budget clears the last stop");
    snprintf(sql, sizeof(sql), "%sSELECT count(*) FROM r", forever);
    int64_t n = 0;
    CHECK(store_one_i64(c, sql, STORE_NO_ARGS, &n, &e) < 0 && store_time_limit_hit(c),
          "one long step stopped too");

    err_clear(&e);
    CHECK_INT_EQ(store_time_limit(c, 0), 1, "removed");
    CHECK_INT_EQ(store_time_limit_hit(c), 0, "no stop after removal");
    snprintf(sql, sizeof(sql), "%sSELECT count(*) FROM (SELECT x FROM r LIMIT 300000)", forever);
    CHECK_INT_EQ(store_one_i64(c, sql, STORE_NO_ARGS, &n, &e), 1, "runs to its end: %s", e.msg);
    CHECK_INT_EQ(n, 300000, "every row");
    store_close(st);
}

/* On PostgreSQL (GRIDLOOP_TEST_PG, as scripts/with-pg.sh sets it) a budget is the statement's
 * wall clock: a statement past it is cancelled and told apart from a failure, the connection
 * goes on, a removed budget lets statements run to their end, and inside a transaction (which a
 * cancelled statement would abort) no budget is set. Without PostgreSQL: nothing to test. */
TEST(store_time_limit_on_postgresql)
{
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    if (!pg || !*pg)
        return;
    char path[512], cmd[700];
    struct store *st = NULL;
    struct store_conn *c = NULL;
    struct err e = ERR_INIT;
    int64_t n = 0;
    snprintf(path, sizeof(path), "%s/gridloop_limit_%ld", pg, (long)getpid());
    snprintf(cmd, sizeof(cmd), "createdb --maintenance-db='%s/postgres' gridloop_limit_%ld", pg,
             (long)getpid());
    CHECK_INT_EQ(system(cmd), 0, "%s", cmd);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn: %s", e.msg);

    CHECK_INT_EQ(store_time_limit(c, 50 * 1000000u), 1, "PostgreSQL keeps them");
    uint64_t t0 = clock_mono_ns();
    CHECK(store_one_i64(c, "SELECT count(*) FROM pg_sleep(10)", STORE_NO_ARGS, &n, &e) < 0 &&
              store_time_limit_hit(c),
          "stopped when the budget was spent: %s", e.msg);
    /* Not a figure: a bound that only a statement the budget failed to stop could miss. */
    CHECK(clock_mono_ns() - t0 < 5ull * 1000000000u, "stopped within seconds");
    err_clear(&e);
    CHECK_INT_EQ(store_one_i64(c, "SELECT 41 + 1", STORE_NO_ARGS, &n, &e), 1,
                 "the connection goes on: %s", e.msg);
    CHECK_INT_EQ(n, 42, "answer");
    CHECK_INT_EQ(store_time_limit(c, 0), 1, "removed");
    CHECK_INT_EQ(store_time_limit_hit(c), 0, "no stop after removal");
    CHECK_INT_EQ(store_one_i64(c, "SELECT count(*) FROM pg_sleep(0.2)", STORE_NO_ARGS, &n, &e), 1,
                 "runs to its end: %s", e.msg);

    CHECK_INT_EQ(store_begin(c, &e), 0, "begin: %s", e.msg);
    CHECK_INT_EQ(store_time_limit(c, 50 * 1000000u), 0, "none inside a transaction");
    CHECK_INT_EQ(store_one_i64(c, "SELECT count(*) FROM pg_sleep(0.2)", STORE_NO_ARGS, &n, &e), 1,
                 "a transaction's statement runs to its end: %s", e.msg);
    CHECK_INT_EQ(store_commit(c, &e), 0, "commit: %s", e.msg);
    store_time_limit(c, 0);

    /* store_plan_each(): the session plans each run for its arguments, then as the server
     * says again. */
    char *mode = NULL;
    struct arena a;
    arena_init(&a, 256);
    CHECK_INT_EQ(store_plan_each(c, 1), 1, "plans each run");
    CHECK_INT_EQ(store_one_text(c, "SELECT current_setting('plan_cache_mode')", STORE_NO_ARGS, &a,
                                &mode, &e),
                 1, "%s", e.msg);
    CHECK_STR_EQ(mode, "force_custom_plan", "mode");
    CHECK_INT_EQ(store_plan_each(c, 0), 1, "back");
    CHECK_INT_EQ(store_one_text(c, "SELECT current_setting('plan_cache_mode')", STORE_NO_ARGS, &a,
                                &mode, &e),
                 1, "%s", e.msg);
    CHECK_STR_EQ(mode, "auto", "the server's mode");
    /* No JIT on gridloop's sessions (store_pg_connect()): the server's default is on. */
    CHECK_INT_EQ(store_one_text(c, "SELECT current_setting('jit')", STORE_NO_ARGS, &a, &mode, &e),
                 1, "%s", e.msg);
    CHECK_STR_EQ(mode, "off", "jit");
    arena_release(&a);
    store_close(st);
    snprintf(cmd, sizeof(cmd), "dropdb --maintenance-db='%s/postgres' gridloop_limit_%ld", pg,
             (long)getpid());
    CHECK_INT_EQ(system(cmd), 0, "%s", cmd);
}
