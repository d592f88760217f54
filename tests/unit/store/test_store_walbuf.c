/* store: the WAL write-gathering VFS (store_walbuf.c). Another connection through SQLite's
 * default VFS, reading the file itself, sees every commit as soon as it returns: small and
 * large transactions, transactions whose pages spill to the log before their commit, and logs
 * reset by checkpoints in between. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store/store_walbuf.h"
#include "test.h"

static int64_t one(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return -2;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

TEST(store_walbuf_commits_are_in_the_file_when_they_return)
{
    char path[512];
    sqlite3 *w, *r;
    const char *vfs = store_walbuf_vfs();
    CHECK(vfs != NULL, "the VFS registers");
    snprintf(path, sizeof(path), "%s/walbuf.db", test_tmpdir());
    remove(path);
    CHECK_INT_EQ(sqlite3_open_v2(path, &w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
                 SQLITE_OK, "open through the VFS");
    sqlite3_vfs *used = NULL;
    sqlite3_file_control(w, "main", SQLITE_FCNTL_VFS_POINTER, &used);
    CHECK(used && strcmp(used->zName, STORE_WALBUF_VFS) == 0, "the connection uses it");
    /* A tiny page cache: big transactions spill frames to the log before they commit. */
    CHECK_INT_EQ(sqlite3_exec(w,
                              "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                              " PRAGMA cache_size=20; PRAGMA wal_autocheckpoint=0;"
                              " CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, pad BLOB);"
                              " CREATE INDEX t_k ON t(k)",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(w));
    CHECK_INT_EQ(sqlite3_open_v2(path, &r, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK,
                 "a reader through the default VFS");

    int64_t rows = 0, bytes = 0;
    for (int round = 1; round <= 60; round++) {
        /* 1 to 590 rows of ~3 KB: up to ~1.8 MB a transaction, over the 1 MiB buffer. */
        int n = round % 10 == 0 ? 590 : round % 7 + 1;
        CHECK_INT_EQ(sqlite3_exec(w, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK, "begin");
        for (int i = 0; i < n; i++) {
            char sql[160];
            snprintf(sql, sizeof(sql), "INSERT INTO t(k, pad) VALUES (%d, zeroblob(%d))",
                     (round * 7919 + i * 104729) % 100003, 2900 + i % 300);
            CHECK_INT_EQ(sqlite3_exec(w, sql, NULL, NULL, NULL), SQLITE_OK, "%s",
                         sqlite3_errmsg(w));
            rows++;
            bytes += 2900 + i % 300;
        }
        /* A row changed twice: its page may be rewritten in place in the log. */
        CHECK_INT_EQ(sqlite3_exec(w, "UPDATE t SET k = k + 1 WHERE id = 1", NULL, NULL, NULL),
                     SQLITE_OK, "update");
        CHECK_INT_EQ(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL), SQLITE_OK, "commit: %s",
                     sqlite3_errmsg(w));
        CHECK_INT_EQ(one(r, "SELECT count(*) FROM t"), rows, "round %d: rows seen", round);
        CHECK_INT_EQ(one(r, "SELECT sum(length(pad)) FROM t"), bytes, "round %d: bytes", round);
        CHECK_INT_EQ(one(r, "SELECT k FROM t WHERE id = 1"), 7919 + round, "round %d: the update",
                     round);
        /* Now and then the log is checkpointed and reset: the next transaction writes a new
         * log header at offset 0. */
        if (round % 9 == 0)
            CHECK_INT_EQ(sqlite3_exec(r, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
                         SQLITE_OK, "checkpoint: %s", sqlite3_errmsg(r));
    }
    sqlite3_stmt *s;
    CHECK_INT_EQ(sqlite3_prepare_v2(r, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK, "ic");
    CHECK_INT_EQ(sqlite3_step(s), SQLITE_ROW, "ic row");
    CHECK_STR_EQ((const char *)sqlite3_column_text(s, 0), "ok", "a sound database");
    sqlite3_finalize(s);
    sqlite3_close(r);
    sqlite3_close(w);

    /* Reopened through the default VFS alone (the log recovered from the file): all there. */
    CHECK_INT_EQ(sqlite3_open_v2(path, &r, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK, "reopen");
    CHECK_INT_EQ(one(r, "SELECT count(*) FROM t"), rows, "rows after reopening");
    sqlite3_close(r);
}
