/* store: the CHECK constraints of the tables an intake writes are tested in place on SQLite
 * (migrations 0080 and 0081), not through a temporary B-tree per row, and still refuse what
 * they refused. One temporary B-tree is left on cases: the condition of the partial index
 * cases_place_open, whose text the lists of open cases repeat so that SQLite may take it. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/store.h"
#include "test.h"

/* EXPLAIN's rows: opcode in column 1. */
static int count_ephemeral(void *ctx, struct store_stmt *row)
{
    const char *op = store_col_text(row, 1);
    if (op && strcmp(op, "OpenEphemeral") == 0)
        (*(int *)ctx)++;
    return 0;
}

TEST(store_intake_checks_need_no_temporary_btree)
{
    char path[512];
    struct store *st;
    struct store_conn *c;
    struct err e = ERR_INIT;
    log_set_level(LOG_WARN);
    snprintf(path, sizeof(path), "%s/checks.db", test_tmpdir());
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn: %s", e.msg);
    /* An INSERT tests every CHECK of its table, whatever columns it names. */
    static const struct {
        const char *name;
        int want;
    } tables[] = {{"cases", 1},      {"notifications", 0}, {"sms_messages", 0},    {"warnings", 0},
                  {"case_risks", 0}, {"case_repeats", 0},  {"case_departments", 0}};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        char sql[128];
        int n = 0;
        snprintf(sql, sizeof(sql), "EXPLAIN INSERT INTO %s DEFAULT VALUES", tables[i].name);
        CHECK(store_all(c, sql, STORE_NO_ARGS, count_ephemeral, &n, &e) > 0, "%s: %s", sql, e.msg);
        CHECK_INT_EQ(n, tables[i].want, "%s builds %d temporary B-tree(s)", tables[i].name, n);
    }

    /* The rewritten constraints refuse what the IN lists refused. */
    CHECK(store_run(c,
                    "INSERT INTO notifications(created_at, recipient_kind, kind, message,"
                    " next_attempt_at) VALUES (1, 'supervisors', 'k', 'm', 1)",
                    STORE_NO_ARGS, &e) == 1,
          "%s", e.msg);
    CHECK(store_run(c,
                    "INSERT INTO notifications(created_at, recipient_kind, kind, message,"
                    " next_attempt_at) VALUES (1, 'everyone', 'k', 'm', 1)",
                    STORE_NO_ARGS, &e) < 0,
          "a recipient kind not in the list is refused");
    CHECK(strstr(e.msg, "CHECK") != NULL, "%s", e.msg);
    err_clear(&e);
    CHECK(store_run(c,
                    "UPDATE notifications SET status = 'lost' WHERE recipient_kind = 'supervisors'",
                    STORE_NO_ARGS, &e) < 0,
          "a status not in the list is refused");
    err_clear(&e);
    int64_t kept = 0;
    CHECK(store_one_i64(c, "SELECT count(*) FROM notifications WHERE status = 'pending'",
                        STORE_NO_ARGS, &kept, &e) == 1,
          "%s", e.msg);
    CHECK_INT_EQ((int)kept, 1, "the refused update left the row as it was");
    store_close(st);

    /* A second open reads the same schema: the edit was committed, not only this connection's. */
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "reopen: %s", e.msg);
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn: %s", e.msg);
    int n = 0;
    CHECK(store_all(c, "EXPLAIN INSERT INTO cases DEFAULT VALUES", STORE_NO_ARGS, count_ephemeral,
                    &n, &e) > 0,
          "%s", e.msg);
    CHECK_INT_EQ(n, 1, "cases after reopening");
    store_close(st);
}

/* A single-row INSERT returning a rowid table's id is answered from the rowid SQLite kept
 * (store_sqlite.c, returns_rowid()); every other RETURNING is SQLite's own. Both must answer
 * as RETURNING does. */
TEST(store_insert_returning_id_answers_as_returning)
{
    char path[512];
    struct store *st;
    struct store_conn *c;
    struct err e = ERR_INIT;
    int64_t id = 0;
    log_set_level(LOG_WARN);
    snprintf(path, sizeof(path), "%s/returning.db", test_tmpdir());
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn: %s", e.msg);
    static const char *const tables[] = {
        "CREATE TABLE r_plain (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)",
        "CREATE TABLE r_norowid (id INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID",
        "CREATE TABLE r_other (k TEXT PRIMARY KEY, id INTEGER)"};
    for (int i = 0; i < 3; i++)
        CHECK(store_run(c, tables[i], STORE_NO_ARGS, &e) >= 0, "%s", e.msg);
    for (int i = 1; i <= 3; i++) {
        CHECK_INT_EQ(store_one_i64(c, "INSERT INTO r_plain(v) VALUES (?) RETURNING id",
                                   STORE_ARGS(store_i64(i * 10)), &id, &e),
                     1, "row %d: %s", i, e.msg);
        CHECK_INT_EQ((int)id, i, "the new row's id, again after a reset");
    }
    CHECK_INT_EQ(store_one_i64(c, "INSERT INTO r_plain(id, v) VALUES (?, ?) RETURNING id",
                               STORE_ARGS(store_i64(42), store_text("x")), &id, &e),
                 1, "%s", e.msg);
    CHECK_INT_EQ((int)id, 42, "an id given is the id returned");
    /* store_all() counts the rows it passed. */
    int64_t n = store_all(c, "INSERT INTO r_plain(v) VALUES ('a'), ('b') RETURNING id",
                          STORE_NO_ARGS, NULL, NULL, &e);
    CHECK(n >= 0, "%s", e.msg);
    CHECK_INT_EQ((int)n, 2, "two rows inserted, two ids");
    CHECK_INT_EQ(store_one_i64(c,
                               "INSERT INTO r_plain(v) VALUES ('a') ON CONFLICT (v) DO NOTHING"
                               " RETURNING id",
                               STORE_NO_ARGS, &id, &e),
                 0, "nothing inserted, no id: %s", e.msg);
    CHECK(store_run(c, "INSERT INTO r_plain(v) VALUES ('a') RETURNING id", STORE_NO_ARGS, &e) < 0,
          "a refused row is an error, not an id");
    err_clear(&e);
    CHECK_INT_EQ(store_one_i64(c, "INSERT INTO r_norowid(id, v) VALUES (7, 'w') RETURNING id",
                               STORE_NO_ARGS, &id, &e),
                 1, "%s", e.msg);
    CHECK_INT_EQ((int)id, 7, "WITHOUT ROWID");
    CHECK_INT_EQ(store_one_i64(c, "INSERT INTO r_other(k, id) VALUES ('k', 5) RETURNING id",
                               STORE_NO_ARGS, &id, &e),
                 1, "%s", e.msg);
    CHECK_INT_EQ((int)id, 5, "an id that is not the rowid");
    /* The rowid of the statement's own row, not of an earlier insert on the connection. */
    CHECK_INT_EQ(store_one_i64(c, "INSERT INTO r_plain(v) VALUES (?) RETURNING id",
                               STORE_ARGS(store_text("last")), &id, &e),
                 1, "%s", e.msg);
    int64_t max = 0;
    CHECK(store_one_i64(c, "SELECT id FROM r_plain WHERE v = 'last'", STORE_NO_ARGS, &max, &e) == 1,
          "%s", e.msg);
    CHECK_INT_EQ((int)id, (int)max, "the id of the row written");
    store_close(st);
}
