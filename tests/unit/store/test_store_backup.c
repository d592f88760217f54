/* store: the online backup (one snapshot however much is written meanwhile) and opening a
 * copy as it is (no_migrate). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "test.h"

struct writer {
    const char *path;
    atomic_int stop;
    atomic_int committed;
};

/* Another "process": its own store on the same file, committing row after row. */
static void *write_rows(void *arg)
{
    struct writer *w = arg;
    struct store *st;
    struct store_conn *c;
    struct err e = ERR_INIT;
    struct store_options o = {.path = w->path};
    if (store_open(&st, &o, &e) < 0 || store_conn(st, &c, &e) < 0)
        return NULL;
    /* Bounded, so that a backup that restarts on every commit still ends (and fails the
     * test on its restart count) instead of running forever. */
    while (!atomic_load(&w->stop) && atomic_load(&w->committed) < 400) {
        if (store_run(c, "INSERT INTO t(pad) VALUES (randomblob(3000))", STORE_NO_ARGS, &e) < 0)
            break;
        atomic_fetch_add(&w->committed, 1);
    }
    store_close(st);
    return NULL;
}

TEST(store_backup_is_one_snapshot_while_another_connection_writes)
{
    char src[512], dst[512];
    struct store *st, *copy;
    struct store_conn *c;
    struct err e = ERR_INIT;
    log_set_level(LOG_WARN);
    snprintf(src, sizeof(src), "%s/backup-src.db", test_tmpdir());
    snprintf(dst, sizeof(dst), "%s/backup-dst.db", test_tmpdir());
    struct store_options o = {.path = src};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn: %s", e.msg);
    CHECK(store_run(c, "CREATE TABLE t(id INTEGER PRIMARY KEY, pad BLOB)", STORE_NO_ARGS, &e) >= 0,
          "create: %s", e.msg);
    CHECK(store_run(c,
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
                    " INSERT INTO t(pad) SELECT randomblob(3000) FROM n",
                    STORE_NO_ARGS, &e) >= 0,
          "fill: %s", e.msg);

    struct writer w = {.path = src};
    pthread_t th;
    pthread_create(&th, NULL, write_rows, &w);
    while (atomic_load(&w.committed) < 20)
        usleep(1000);
    int before = atomic_load(&w.committed);
    struct store_backup_report rep;
    /* One page per step: thousands of steps, with commits landing between them. */
    int rc = store_backup(src, dst, 1, &rep, &e);
    int after = atomic_load(&w.committed);
    atomic_store(&w.stop, 1);
    pthread_join(th, NULL);
    CHECK_INT_EQ(rc, 0, "backup: %s", e.msg);
    CHECK(rep.steps > 1000 && rep.pages >= rep.steps - 1, "%d steps, %lld pages", rep.steps,
          (long long)rep.pages);
    CHECK_INT_EQ(rep.restarts, 0, "the snapshot held");
    CHECK(after > before, "the writer went on during the backup (%d then %d)", before, after);

    struct store_options co = {.path = dst, .no_migrate = 1};
    struct store_conn *cc;
    int64_t rows = 0, total = 0;
    CHECK_INT_EQ(store_open(&copy, &co, &e), 0, "open copy: %s", e.msg);
    CHECK_INT_EQ(store_conn(copy, &cc, &e), 0, "conn: %s", e.msg);
    CHECK_INT_EQ(store_one_i64(cc, "SELECT count(*) FROM t", STORE_NO_ARGS, &rows, &e), 1, "%s",
                 e.msg);
    CHECK_INT_EQ(store_schema_version(copy), store_schema_version(st), "copy's version");
    char *ok = NULL;
    struct arena a;
    arena_init(&a, 1024);
    CHECK_INT_EQ(store_one_text(cc, "PRAGMA integrity_check", STORE_NO_ARGS, &a, &ok, &e), 1, "%s",
                 e.msg);
    CHECK_STR_EQ(ok, "ok", "the copy is a sound database");
    arena_release(&a);
    store_close(copy);
    CHECK_INT_EQ(store_one_i64(c, "SELECT count(*) FROM t", STORE_NO_ARGS, &total, &e), 1, "%s",
                 e.msg);
    /* Rows committed before the backup began are in the copy, rows after it ended are not. */
    CHECK(rows >= 2000 + before && rows <= 2000 + after && rows < total,
          "copy has %lld rows; %d committed before, %d after, %lld now", (long long)rows,
          2000 + before, 2000 + after, (long long)total);
    store_close(st);
}

TEST(store_backup_refuses_what_is_not_a_database)
{
    char path[512], dst[512];
    struct err e = ERR_INIT;
    struct store_backup_report rep;
    snprintf(path, sizeof(path), "%s/absent.db", test_tmpdir());
    snprintf(dst, sizeof(dst), "%s/absent-copy.db", test_tmpdir());
    CHECK(store_backup(path, dst, 100, &rep, &e) < 0, "a missing database is an error");
    CHECK(access(path, F_OK) != 0, "and is not created");

    snprintf(path, sizeof(path), "%s/junk.db", test_tmpdir());
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 500; i++)
        fputs("not a database ", f);
    fclose(f);
    err_clear(&e);
    CHECK(store_backup(path, dst, 100, &rep, &e) < 0, "junk is not backed up");
    CHECK(strstr(e.msg, "not a database") != NULL, "%s", e.msg);
}

TEST(store_no_migrate_opens_as_it_is)
{
    char path[512];
    struct store *st;
    struct store_conn *c;
    struct err e = ERR_INIT;
    snprintf(path, sizeof(path), "%s/older.db", test_tmpdir());
    struct store_options plain = {.path = path};
    CHECK_INT_EQ(store_open(&st, &plain, &e), 0, "%s", e.msg);
    int newest = store_schema_version(st);
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "%s", e.msg);
    /* As if made by an older gridloop: the newest migration not recorded. */
    CHECK(store_run(c, "DELETE FROM schema_migrations WHERE version = ?",
                    STORE_ARGS(store_i64(newest)), &e) == 1,
          "%s", e.msg);
    int64_t older = 0; /* versions need not be consecutive while branches land */
    CHECK(store_one_i64(c, "SELECT max(version) FROM schema_migrations", STORE_NO_ARGS, &older,
                        &e) == 1,
          "%s", e.msg);
    store_close(st);

    struct store_options o = {.path = path, .no_migrate = 1};
    for (int round = 0; round < 2; round++) {
        CHECK_INT_EQ(store_open(&st, &o, &e), 0, "%s", e.msg);
        CHECK_INT_EQ(store_schema_version(st), (int)older, "read as it is, round %d", round);
        store_close(st);
    }

    snprintf(path, sizeof(path), "%s/plain.db", test_tmpdir());
    CHECK_INT_EQ(store_open(&st, &plain, &e), 0, "%s", e.msg);
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "%s", e.msg);
    CHECK(store_run(c, "DROP TABLE schema_migrations", STORE_NO_ARGS, &e) >= 0, "%s", e.msg);
    store_close(st);
    CHECK(store_open(&st, &o, &e) < 0, "a database without schema_migrations is not gridloop's");
    CHECK(strstr(e.msg, "not a gridloop database") != NULL, "%s", e.msg);
}
