/*
 * SQLite backend: WAL journal, foreign keys on, synchronous=FULL (a committed case survives
 * a power cut; the group-commit writer's connection syncs its log apart instead, see
 * sq_sync_apart), a busy timeout for writers, and a per-connection cache of prepared
 * statements keyed by SQL text.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"
#include "store/store_dialect.h"
#include "store/store_walbuf.h"

#define CACHE_BUCKETS 128
#define CACHE_MAX 512
#define CACHE_BY_ADDR 256 /* slots of the lookup by the text's address, before hashing it */

struct sq_stmt {
    struct store_stmt_base base;
    sqlite3_stmt *stmt;
    struct sqlite_conn *conn;
    char *sql;
    const char *addr; /* the caller's text it was last found by (its slot in by_addr) */
    unsigned hash;
    int in_use;
    int cached;           /* 0: finalised by store_done() */
    struct sq_stmt *next; /* bucket chain */
    /* An "INSERT INTO t(...) VALUES (...) RETURNING id" prepared without its RETURNING, the
     * id read from sqlite3_last_insert_rowid(): see returns_rowid(). */
    int rowid_return;
    int rowid_step; /* 0: not stepped since the reset, 1: the row is out, 2: done */
    int64_t rowid;
    char rowid_text[24]; /* written only when a caller reads the id as text */
};

struct sqlite_conn {
    struct store_conn_base base;
    sqlite3 *db;
    struct sq_stmt *buckets[CACHE_BUCKETS];
    /* Statements are mostly string literals, passed at the same address every time: a slot per
     * address finds one with a compare of the text, without hashing all of it first (hashing
     * a few hundred bytes per statement was 7% of the sensor writer's time). */
    struct sq_stmt *by_addr[CACHE_BY_ADDR];
    int ncached;
    int busy_timeout_ms;
    uint64_t busy_since; /* when the current wait for a lock began */
    int reopen;          /* a write failed read-only or with an i/o error: see sq_conn_refresh */
    uint64_t budget_ns;  /* store_time_limit()'s budget, 0: none */
    uint64_t until_ns;   /* the wall-clock time it cannot be spent before */
    uint64_t cpu_from;   /* the thread's CPU time when it was set */
    int limit_hit;       /* a statement was stopped by it */
    int sync_apart;      /* commits leave the log's sync to the caller: see sq_sync_apart */
};

static unsigned hash_sql(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* 'st' (NULL outside a store: backups) hears why writes fail, for the health check. */
static int map_rc(struct store *st, sqlite3 *db, int rc, const char *what, struct err *err)
{
    int base = rc & 0xff;
    if (base == SQLITE_CONSTRAINT)
        return err_set(err, ERR_CONFLICT, "%s", sqlite3_errmsg(db));
    if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
        return err_set(err, ERR_UNAVAILABLE, "database is busy: %s", sqlite3_errmsg(db));
    if (st && (base == SQLITE_READONLY || base == SQLITE_FULL || base == SQLITE_IOERR))
        store_note_write_fault(st, base == SQLITE_READONLY ? STORE_WRITE_READ_ONLY
                                   : base == SQLITE_FULL   ? STORE_WRITE_DISK_FULL
                                                           : STORE_WRITE_IO_ERROR);
    /* like a PostgreSQL standby or a server out of disk (53100): nothing the client did
     * wrong, nothing was written, and it passes once an operator acts: 503, not 500 */
    if (base == SQLITE_READONLY || base == SQLITE_FULL)
        return err_set(err, ERR_UNAVAILABLE, "database is %s: %s",
                       base == SQLITE_FULL ? "out of disk space" : "read-only", sqlite3_errmsg(db));
    if (base == SQLITE_IOERR)
        return err_set(err, ERR_IO, "database i/o error: %s", sqlite3_errmsg(db));
    return err_set(err, ERR_STORE, "%s: %s", what, sqlite3_errmsg(db));
}

static int map_rc_conn(struct sqlite_conn *c, int rc, const char *what, struct err *err)
{
    int base = rc & 0xff;
    if (base == SQLITE_READONLY || base == SQLITE_IOERR)
        c->reopen = 1;
    return map_rc(c->base.store, c->db, rc, what, err);
}

/*
 * Waiting for a lock held by another connection. SQLite's own busy handler sleeps in growing
 * steps of up to 100 ms, so a writer may sleep on long after the lock was released; with the
 * group-commit writer holding the write lock a few milliseconds at a time, other writers of
 * this process would lose ~tens of ms per attempt. Poll every 0.1 ms for the first 20 ms, then
 * every 2 ms, until the busy timeout.
 */
static int busy_wait(void *arg, int count)
{
    struct sqlite_conn *c = arg;
    uint64_t now = clock_mono_ns();
    if (count == 0)
        c->busy_since = now;
    uint64_t waited = now - c->busy_since;
    if (waited >= (uint64_t)c->busy_timeout_ms * 1000000u)
        return 0;
    struct timespec ts = {0, waited < 20000000u ? 100000 : 2000000};
    nanosleep(&ts, NULL);
    return 1;
}

/* After every commit of this connection (SQLite calls it once the write lock is released). */
static int wal_committed(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct sqlite_conn *c = arg;
    store_note_commit(c->base.store);
    /* A WAL hook replaces SQLite's automatic checkpoint (wal_autocheckpoint, 1000 pages by
     * default), so this does what that did. */
    if (frames >= STORE_CHECKPOINT_FRAMES && !store_request_checkpoint(c->base.store, frames))
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

/* SQLite counts every allocation under one process-wide mutex unless told not to; nothing here
 * reads those counts (sqlite3_memory_used), and the lock and unlock per allocation were 7% of the
 * sensor writer's time. Set before SQLite initialises itself (its first open); later, SQLite
 * refuses the call and keeps counting, which is only slower. */
static pthread_once_t sqlite_configured = PTHREAD_ONCE_INIT;
static void sqlite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Opens and configures c->db; on failure c->db is closed and NULL. */
static int open_handle(struct sqlite_conn *c, const char *path, struct err *err)
{
    char *msg = NULL;
    pthread_once(&sqlite_configured, sqlite_configure);
    int rc = sqlite3_open_v2(path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             store_walbuf_vfs());
    if (rc != SQLITE_OK) {
        rc = err_set(err, ERR_STORE, "cannot open database '%s': %s", path,
                     c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_handler(c->db, busy_wait, c);
    sqlite3_extended_result_codes(c->db, 1);
    if (sqlite3_exec(c->db,
                     "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"
                     "PRAGMA temp_store=MEMORY;",
                     NULL, NULL, &msg) != SQLITE_OK) {
        rc = err_set(err, ERR_STORE, "cannot configure database '%s': %s", path,
                     msg ? msg : "unknown");
        sqlite3_free(msg);
        goto fail;
    }
    /* A handle opened again after a failed write keeps the mode (a sync per commit would be
     * safe too, only slower). */
    if (c->sync_apart && sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL)) {
        rc = err_set(err, ERR_STORE, "cannot configure database '%s': %s", path,
                     sqlite3_errmsg(c->db));
        goto fail;
    }
    sqlite3_wal_hook(c->db, wal_committed, c);
    return 0;
fail:
    sqlite3_close(c->db);
    c->db = NULL;
    return rc;
}

static int sq_conn_open(struct store *st, struct store_conn **out, struct err *err)
{
    const struct store_options *opt = store_options(st);
    struct sqlite_conn *c = xcalloc(1, sizeof(*c));
    c->busy_timeout_ms = opt->busy_timeout_ms;
    int rc = open_handle(c, opt->path, err);
    if (rc < 0) {
        free(c);
        return rc;
    }
    c->base.ops = &store_sqlite_ops;
    c->base.store = st;
    *out = (struct store_conn *)c;
    return 0;
}

static void free_stmt(struct sq_stmt *s)
{
    sqlite3_finalize(s->stmt);
    free(s->sql);
    free(s);
}

static void drop_statements(struct sqlite_conn *c)
{
    for (int i = 0; i < CACHE_BUCKETS; i++) {
        struct sq_stmt *s = c->buckets[i];
        while (s) {
            struct sq_stmt *next = s->next;
            free_stmt(s);
            s = next;
        }
        c->buckets[i] = NULL;
    }
    memset(c->by_addr, 0, sizeof(c->by_addr));
    c->ncached = 0;
}

static void sq_conn_close(struct store_conn *base)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    drop_statements(c);
    sqlite3_close_v2(c->db);
    free(c);
}

/*
 * A connection whose write failed read-only or with an i/o error is opened again before its
 * next transaction. SQLite opens a file read-only when it cannot open it for writing (a file
 * made immutable, a remount) and keeps that descriptor: a connection first used during such a
 * spell would refuse writes for ever after the file is writable again, while the others and
 * the health probe succeed. Done only between transactions, with no statement running.
 */
static int sq_conn_refresh(struct store_conn *base, struct err *err)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    /* Opened while the file could not be written: read-only from the start, no write failed yet. */
    if (c->db && sqlite3_db_readonly(c->db, "main") == 1)
        c->reopen = 1;
    if (!c->reopen || (c->db && !sqlite3_get_autocommit(c->db)))
        return 0;
    for (int i = 0; i < CACHE_BUCKETS; i++)
        for (struct sq_stmt *s = c->buckets[i]; s; s = s->next)
            if (s->in_use)
                return 0;
    drop_statements(c);
    sqlite3_close_v2(c->db);
    c->db = NULL;
    c->reopen = 0;
    int rc = open_handle(c, store_options(c->base.store)->path, err);
    if (rc < 0)
        c->reopen = 1; /* db is NULL: opened again before the next transaction, or it fails */
    return rc;
}

/* How long a restarting checkpoint waits for each lock (the writer's, then each reader's):
 * it holds the write lock while it waits for readers, so a long read (an online backup) must
 * not hold writes off for the whole busy timeout. It then gives up, and the next one tries. */
#define RESTART_WAIT_MS 20

static void sq_checkpoint(struct store_conn *base, int restart)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    if (!c->db)
        return;
    int timeout = c->busy_timeout_ms;
    if (restart && timeout > RESTART_WAIT_MS)
        c->busy_timeout_ms = RESTART_WAIT_MS;
    sqlite3_wal_checkpoint_v2(
        c->db, NULL, restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    c->busy_timeout_ms = timeout;
}

/* Commits stop at the log's write (synchronous=NORMAL: in WAL mode that still syncs the log
 * before each checkpoint and its header when it starts over, so the database stays
 * consistent); the caller syncs the log itself (store_sync). */
static int sq_sync_apart(struct store_conn *base, char **path, struct err *err)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    sqlite3_filename db = sqlite3_db_filename(c->db, "main");
    sqlite3_stmt *st = NULL;
    int wal = 0;
    if (!db || !*db)
        return 1; /* in memory */
    if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        wal = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    if (!wal)
        return 1;
    if (sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
        return err_set(err, ERR_STORE, "cannot defer the commit's sync: %s", sqlite3_errmsg(c->db));
    c->sync_apart = 1;
    *path = xstrdup(sqlite3_filename_wal(db));
    return 0;
}

static void sq_cache_size(struct store_conn *base, int kb)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    /* A PRAGMA takes no bound parameter; 'kb' is a number. Negative: KiB. A failure leaves
     * SQLite's default (2 MB): slower, not wrong. */
    char q[48];
    snprintf(q, sizeof(q), "PRAGMA cache_size=-%d", kb);
    sqlite3_exec(c->db, q, NULL, NULL, NULL);
}

/*
 * SQLite answers RETURNING through a temporary B-tree that every execution builds, fills and
 * drops (its own pager, a page allocated and zeroed): several per intake, for the case, its
 * events, the SMS. A single-row INSERT into a rowid table that returns only its INTEGER
 * PRIMARY KEY "id" says the same as sqlite3_last_insert_rowid() after it, so such a statement
 * is prepared without " RETURNING id" and the id is handed out as its one row (none when no row
 * was inserted). Anything else (an upsert, INSERT ... SELECT, several rows, another column, a
 * WITHOUT ROWID table) keeps its RETURNING. Decided when the statement is prepared: a table's
 * keys change only in a migration, which runs before any connection caches statements. An
 * older SQLite without pragma_table_list keeps every RETURNING. Returns the length to prepare,
 * or 0.
 */
#define RETURNING_ID " RETURNING id"
static size_t returns_rowid(sqlite3 *db, const char *sql)
{
    static const char head[] = "INSERT INTO ";
    size_t len = strlen(sql), tail = sizeof(RETURNING_ID) - 1;
    if (strncmp(sql, head, sizeof(head) - 1) != 0 || len <= tail ||
        strcmp(sql + len - tail, RETURNING_ID) != 0 || strstr(sql, " SELECT ") ||
        strstr(sql, "ON CONFLICT") || strstr(sql, "), (") || strstr(sql, "),(") ||
        !strstr(sql, " VALUES "))
        return 0;
    const char *t = sql + sizeof(head) - 1;
    size_t tl = strcspn(t, " (");
    char table[64];
    if (tl == 0 || tl >= sizeof(table))
        return 0;
    memcpy(table, t, tl);
    table[tl] = 0;
    /* id the table's only primary-key column, declared INTEGER, in a table with rowids. */
    sqlite3_stmt *q = NULL;
    int ok = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT (SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1"
                           " AND EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = 'id'"
                           " AND pk = 1 AND upper(type) = 'INTEGER')"
                           " AND EXISTS (SELECT 1 FROM pragma_table_list(?1) WHERE wr = 0"
                           " AND type = 'table' AND schema = 'main')",
                           -1, &q, NULL) == SQLITE_OK &&
        sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        ok = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return ok ? len - tail : 0;
}

static int sq_prepare(struct store_conn *base, const char *sql, struct store_stmt **out,
                      struct err *err)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    /* The same address may hold another text by now (a string built at run time): the text
     * decides, the address only says where to look first. */
    struct sq_stmt **slot = &c->by_addr[((uintptr_t)sql >> 3) % CACHE_BY_ADDR];
    if (*slot && (*slot)->addr == sql && !(*slot)->in_use && strcmp((*slot)->sql, sql) == 0) {
        (*slot)->in_use = 1;
        *out = (struct store_stmt *)*slot;
        return 0;
    }
    unsigned h = hash_sql(sql);
    struct sq_stmt **bucket = &c->buckets[h % CACHE_BUCKETS];
    for (struct sq_stmt *s = *bucket; s; s = s->next) {
        if (s->hash == h && !s->in_use && strcmp(s->sql, sql) == 0) {
            s->in_use = 1;
            s->addr = sql;
            *slot = s;
            *out = (struct store_stmt *)s;
            return 0;
        }
    }
    sqlite3_stmt *stmt = NULL;
    if (!c->db)
        return err_set(err, ERR_UNAVAILABLE, "database connection could not be opened again");
    size_t plain = returns_rowid(c->db, sql);
    int rc = sqlite3_prepare_v3(c->db, sql, plain ? (int)plain : -1, SQLITE_PREPARE_PERSISTENT,
                                &stmt, NULL);
    if (rc != SQLITE_OK)
        return map_rc_conn(c, rc, "cannot prepare statement", err);
    struct sq_stmt *s = xcalloc(1, sizeof(*s));
    s->rowid_return = plain > 0;
    s->base.ops = &store_sqlite_ops;
    s->base.store = c->base.store;
    s->stmt = stmt;
    s->conn = c;
    s->sql = xstrdup(sql);
    s->hash = h;
    s->in_use = 1;
    if (c->ncached < CACHE_MAX) {
        s->cached = 1;
        s->next = *bucket;
        *bucket = s;
        s->addr = sql;
        *slot = s;
        c->ncached++;
    }
    *out = (struct store_stmt *)s;
    return 0;
}

#define STMT(x) (((struct sq_stmt *)(x))->stmt)

static int bind_rc(int rc)
{
    return rc == SQLITE_OK ? 0 : ERR_INTERNAL;
}

static int sq_bind_int(struct store_stmt *s, int i, int64_t v)
{
    return bind_rc(sqlite3_bind_int64(STMT(s), i, v));
}

static int sq_bind_real(struct store_stmt *s, int i, double v)
{
    return bind_rc(sqlite3_bind_double(STMT(s), i, v));
}

static int sq_bind_text(struct store_stmt *s, int i, const char *v, size_t n)
{
    return bind_rc(sqlite3_bind_text64(STMT(s), i, v, n, SQLITE_TRANSIENT, SQLITE_UTF8));
}

static int sq_bind_blob(struct store_stmt *s, int i, const void *v, size_t n)
{
    return bind_rc(sqlite3_bind_blob64(STMT(s), i, v, n, SQLITE_TRANSIENT));
}

static int sq_bind_null(struct store_stmt *s, int i)
{
    return bind_rc(sqlite3_bind_null(STMT(s), i));
}

static int sq_param_count(struct store_stmt *s)
{
    return sqlite3_bind_parameter_count(STMT(s));
}

static int sq_step(struct store_stmt *base, struct err *err)
{
    struct sq_stmt *s = (struct sq_stmt *)base;
    if (s->rowid_return && s->rowid_step) {
        s->rowid_step = 2; /* its one row was handed out: done */
        return 0;
    }
    int rc = sqlite3_step(s->stmt);
    if (s->rowid_return && rc == SQLITE_DONE) {
        s->rowid_step = 2;
        if (sqlite3_changes64(s->conn->db) == 0)
            return 0;
        s->rowid = sqlite3_last_insert_rowid(s->conn->db);
        s->rowid_step = 1;
        return 1;
    }
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return map_rc_conn(s->conn, rc, "statement failed", err);
}

/* SQLite's progress handler, every PROGRESS_OPS steps of its virtual machine while a limit is
 * set: a few microseconds apart, and a read of the monotonic clock each (vDSO). Non-zero
 * interrupts the statement (SQLITE_INTERRUPT). */
#define PROGRESS_OPS 1000

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The limit is work, not time on the wall: a thread that waited for a core on a busy machine
 * has not spent its budget, and a count that stopped because of other processes would answer
 * differently from run to run. Its own CPU time is a system call, so it is read only once the
 * wall clock (never less than the CPU time) has passed the budget. */
static int past_limit(void *arg)
{
    struct sqlite_conn *c = arg;
    if (clock_mono_ns() < c->until_ns || thread_cpu_ns() - c->cpu_from < c->budget_ns)
        return 0;
    c->limit_hit = 1;
    return 1;
}

static int sq_time_limit(struct store_conn *base, uint64_t budget_ns)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    c->budget_ns = budget_ns;
    c->until_ns = budget_ns ? clock_mono_ns() + budget_ns : 0;
    c->cpu_from = budget_ns ? thread_cpu_ns() : 0;
    c->limit_hit = 0;
    sqlite3_progress_handler(c->db, budget_ns ? PROGRESS_OPS : 0, budget_ns ? past_limit : NULL, c);
    return 1;
}

static int sq_time_limit_hit(struct store_conn *base)
{
    return ((struct sqlite_conn *)base)->limit_hit;
}

static void sq_reset(struct store_stmt *base)
{
    struct sq_stmt *s = (struct sq_stmt *)base;
    if (!s->cached) {
        free_stmt(s);
        return;
    }
    sqlite3_reset(s->stmt);
    sqlite3_clear_bindings(s->stmt);
    s->in_use = 0;
    s->rowid_step = 0;
}

#define ROWID_RETURN(x) (((struct sq_stmt *)(x))->rowid_return)
#define ROWID(x) (((struct sq_stmt *)(x))->rowid)

/* The returned id as text, for the rare caller that reads it so. */
static const char *rowid_text(struct store_stmt *base)
{
    struct sq_stmt *s = (struct sq_stmt *)base;
    snprintf(s->rowid_text, sizeof(s->rowid_text), "%lld", (long long)s->rowid);
    return s->rowid_text;
}

static int sq_col_count(struct store_stmt *s)
{
    return ROWID_RETURN(s) ? 1 : sqlite3_column_count(STMT(s));
}

static int sq_col_is_null(struct store_stmt *s, int col)
{
    if (ROWID_RETURN(s))
        return col != 0;
    return sqlite3_column_type(STMT(s), col) == SQLITE_NULL;
}

static int64_t sq_col_int(struct store_stmt *s, int col)
{
    if (ROWID_RETURN(s))
        return col == 0 ? ROWID(s) : 0;
    return sqlite3_column_int64(STMT(s), col);
}

static double sq_col_real(struct store_stmt *s, int col)
{
    if (ROWID_RETURN(s))
        return col == 0 ? (double)ROWID(s) : 0;
    return sqlite3_column_double(STMT(s), col);
}

static const char *sq_col_text(struct store_stmt *s, int col)
{
    if (ROWID_RETURN(s))
        return col == 0 ? rowid_text(s) : "";
    const unsigned char *t = sqlite3_column_text(STMT(s), col);
    return t ? (const char *)t : "";
}

static const void *sq_col_blob(struct store_stmt *s, int col, size_t *n)
{
    if (ROWID_RETURN(s)) {
        const char *t = col == 0 ? rowid_text(s) : NULL;
        *n = t ? strlen(t) : 0;
        return t;
    }
    const void *p = sqlite3_column_blob(STMT(s), col);
    *n = (size_t)sqlite3_column_bytes(STMT(s), col);
    return p;
}

static int64_t sq_changes(struct store_conn *c)
{
    return sqlite3_changes64(((struct sqlite_conn *)c)->db);
}

static int sq_exec_script(struct store_conn *base, const char *sql, struct err *err)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    char *msg = NULL;
    if (!c->db)
        return err_set(err, ERR_UNAVAILABLE, "database connection could not be opened again");
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        rc = err_set(err, (rc & 0xff) == SQLITE_BUSY ? ERR_UNAVAILABLE : ERR_STORE, "%s",
                     msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

/* Bytes reach the disk before the backup is called done (SQLite's synchronous setting is off
 * on the copy: a crash mid-backup leaves no manifest, so the copy is never used). */
static int fsync_path(const char *path, struct err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        if (fd >= 0)
            close(fd);
        return err_set(err, ERR_IO, "cannot sync '%s' to disk", path);
    }
    close(fd);
    return 0;
}

int store_backup(const char *src_path, const char *dest_path, int pages_per_step,
                 struct store_backup_report *rep, struct err *err)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b = NULL;
    uint64_t t0 = clock_mono_ns();
    int rc = 0, src_in_tx = 0;
    memset(rep, 0, sizeof(*rep));
    /* Read-write without create: a mistyped path is an error, not a new empty database, and
     * a WAL reader needs the shared-memory file the server keeps. */
    if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rc = err_set(err, ERR_NOT_FOUND, "cannot open database '%s': %s", src_path,
                     src ? sqlite3_errmsg(src) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(src, 5000);
    /* The snapshot: a read transaction held across all steps. Without it every commit of the
     * server between two steps would restart the copy from page 1 (on a busy county it might
     * never finish); with it, in WAL mode, the server's writers carry on undisturbed. */
    if (sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
        SQLITE_OK) {
        rc = map_rc(NULL, src, sqlite3_errcode(src), "cannot read database", err);
        goto out;
    }
    src_in_tx = 1;
    if (sqlite3_open_v2(dest_path, &dst,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(dst, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", NULL, NULL, NULL) !=
            SQLITE_OK) {
        rc = err_set(err, ERR_IO, "cannot create backup file '%s': %s", dest_path,
                     dst ? sqlite3_errmsg(dst) : "out of memory");
        goto out;
    }
    if (!(b = sqlite3_backup_init(dst, "main", src, "main"))) {
        rc = map_rc(NULL, dst, sqlite3_errcode(dst), "cannot start backup", err);
        goto out;
    }
    int step, last_remaining = -1;
    do {
        step = sqlite3_backup_step(b, pages_per_step > 0 ? pages_per_step : 1024);
        rep->steps++;
        int remaining = sqlite3_backup_remaining(b);
        if (last_remaining >= 0 && remaining > last_remaining)
            rep->restarts++;
        last_remaining = remaining;
    } while (step == SQLITE_OK);
    rep->pages = sqlite3_backup_pagecount(b);
    int fin = sqlite3_backup_finish(b);
    if (step != SQLITE_DONE || fin != SQLITE_OK) {
        rc = map_rc(NULL, dst, step != SQLITE_DONE ? step : fin, "backup failed", err);
        goto out;
    }
out:
    if (src_in_tx)
        sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
    sqlite3_close_v2(src);
    if (dst && sqlite3_close(dst) != SQLITE_OK && rc == 0)
        rc = err_set(err, ERR_IO, "cannot close backup file '%s'", dest_path);
    if (rc == 0)
        rc = fsync_path(dest_path, err);
    rep->ns = clock_mono_ns() - t0;
    return rc;
}

int store_in_use(const char *path, long *pid)
{
    /* Every connection to a WAL database holds a shared POSIX lock on byte 128 of the -shm
     * file (SQLite's os_unix.c: UNIX_SHM_DMS) for as long as it is open; asking whether a
     * write lock there would conflict finds it without taking anything. */
    size_t n = strlen(path) + sizeof("-shm");
    char *shm = xmalloc(n);
    snprintf(shm, n, "%s-shm", path);
    int fd = open(shm, O_RDONLY | O_CLOEXEC), rc = 0;
    free(shm);
    if (fd < 0)
        return 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 128, .l_len = 1};
    if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
        *pid = (long)fl.l_pid;
        rc = 1;
    }
    close(fd);
    return rc;
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .dialect = STORE_SQLITE,
    .conn_open = sq_conn_open,
    .conn_refresh = sq_conn_refresh,
    .checkpoint = sq_checkpoint,
    .conn_close = sq_conn_close,
    .prepare = sq_prepare,
    .bind_int = sq_bind_int,
    .bind_real = sq_bind_real,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .param_count = sq_param_count,
    .step = sq_step,
    .reset = sq_reset,
    .col_count = sq_col_count,
    .col_is_null = sq_col_is_null,
    .col_int = sq_col_int,
    .col_real = sq_col_real,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .changes = sq_changes,
    .exec_script = sq_exec_script,
    .time_limit = sq_time_limit,
    .time_limit_hit = sq_time_limit_hit,
    .sync_apart = sq_sync_apart,
    .cache_size = sq_cache_size,
};
