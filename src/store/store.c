/*
 * The backend-independent half of the store: per-thread connections, typed parameter
 * binding, the row-callback helpers, transactions, migrations and time accounting.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store_dialect.h"
#include "store/store_migrations.h"

struct store {
    const struct store_ops *ops;
    struct store_options opt;
    char *path;
    pthread_key_t key;
    pthread_mutex_t lock; /* guards 'conns' */
    struct store_conn_base *conns;
    int schema_version;
    _Atomic uint64_t db_ns;
    _Atomic uint64_t statements;
    _Atomic uint64_t commits;
    _Atomic int write_fault; /* enum store_write_fault */
    /* the checkpoint thread (store_start_checkpointer); guarded by 'ckpt_lock' */
    pthread_mutex_t ckpt_lock;
    pthread_cond_t ckpt_cond;
    pthread_t ckpt_thread;
    int ckpt_running, ckpt_started, ckpt_stop;
    int ckpt_wanted; /* 1 a checkpoint, 2 one that restarts the WAL */
    int ckpt_frames; /* the WAL's size when the last checkpoint was asked for */
};

#define OPS(x) (((struct store_conn_base *)(x))->ops)
#define SOPS(x) (((struct store_stmt_base *)(x))->ops)

void store_account(struct store *st, uint64_t ns)
{
    atomic_fetch_add_explicit(&st->db_ns, ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&st->statements, 1, memory_order_relaxed);
}

const struct store_options *store_options(const struct store *st)
{
    return &st->opt;
}

void store_note_commit(struct store *st)
{
    atomic_fetch_add(&st->commits, 1);
}

/* From this size the checkpoint waits for the WAL's readers, so that it starts over. */
#define CHECKPOINT_RESTART_FRAMES (8 * STORE_CHECKPOINT_FRAMES)
/* A passive checkpoint per this many new frames: a page written by many commits (the last leaf
 * of every index on created_at or id) is copied once per checkpoint, so fewer checkpoints copy
 * less. Every 1,000 frames, the checkpoint thread took ~45 us of CPU per case under intake;
 * every 4,000, ~23 (alternated runs, 2026-12-06, docs/benchmarks.md). The WAL's size is still
 * bounded by CHECKPOINT_RESTART_FRAMES. */
#define CHECKPOINT_STEP_FRAMES (4 * STORE_CHECKPOINT_FRAMES)

int store_request_checkpoint(struct store *st, int frames)
{
    pthread_mutex_lock(&st->ckpt_lock);
    int running = st->ckpt_running && !st->ckpt_stop;
    /* Once the WAL holds STORE_CHECKPOINT_FRAMES, every commit (each connection's) asked for
     * a checkpoint: the WAL starts over only when a write begins after a checkpoint copied all
     * of it and no reader is still using it, which under intake hardly happens, so it stayed
     * above the threshold and a checkpoint (two fsyncs) ran per commit, ~15% of the server's
     * CPU. One per CHECKPOINT_STEP_FRAMES new frames instead; past CHECKPOINT_RESTART_FRAMES
     * one that waits for the readers (a few ms of the writer's time), so the WAL stays
     * bounded. */
    if (frames < st->ckpt_frames)
        st->ckpt_frames = 0; /* it started over */
    if (running && frames >= st->ckpt_frames + CHECKPOINT_STEP_FRAMES) {
        st->ckpt_frames = frames;
        st->ckpt_wanted = frames >= CHECKPOINT_RESTART_FRAMES ? 2 : 1;
        pthread_cond_signal(&st->ckpt_cond);
    }
    pthread_mutex_unlock(&st->ckpt_lock);
    return running;
}

static void *checkpointer_main(void *arg)
{
    struct store *st = arg;
    struct store_conn *c = NULL;
    struct err err = ERR_INIT;
    if (store_conn(st, &c, &err) < 0)
        log_msg(LOG_WARN, "store: no checkpoint thread: %s; commits run the checkpoints", err.msg);
    pthread_mutex_lock(&st->ckpt_lock);
    if (!c)
        st->ckpt_running = 0;
    while (c && !st->ckpt_stop) {
        if (!st->ckpt_wanted) {
            pthread_cond_wait(&st->ckpt_cond, &st->ckpt_lock);
            continue;
        }
        int restart = st->ckpt_wanted == 2;
        st->ckpt_wanted = 0;
        pthread_mutex_unlock(&st->ckpt_lock);
        st->ops->checkpoint(c, restart);
        pthread_mutex_lock(&st->ckpt_lock);
    }
    pthread_mutex_unlock(&st->ckpt_lock);
    return NULL;
}

int store_start_checkpointer(struct store *st, struct err *err)
{
    if (!st->ops->checkpoint || st->ckpt_running)
        return 0;
    st->ckpt_running = 1;
    if (pthread_create(&st->ckpt_thread, NULL, checkpointer_main, st) != 0) {
        st->ckpt_running = 0;
        return err_set(err, ERR_INTERNAL, "cannot start the checkpoint thread");
    }
    st->ckpt_started = 1;
    return 0;
}

static void stop_checkpointer(struct store *st)
{
    pthread_mutex_lock(&st->ckpt_lock);
    int started = st->ckpt_started;
    st->ckpt_stop = 1;
    pthread_cond_signal(&st->ckpt_cond);
    pthread_mutex_unlock(&st->ckpt_lock);
    if (started)
        pthread_join(st->ckpt_thread, NULL);
}

void store_note_write_fault(struct store *st, enum store_write_fault f)
{
    atomic_store(&st->write_fault, (int)f);
}

enum store_write_fault store_write_fault(struct store *st)
{
    return (enum store_write_fault)atomic_load(&st->write_fault);
}

void store_write_fault_clear(struct store *st)
{
    atomic_store(&st->write_fault, STORE_WRITE_OK);
}

uint64_t store_commits(struct store *st)
{
    return atomic_load(&st->commits);
}

void store_stats(struct store *st, uint64_t *db_ns, uint64_t *statements)
{
    *db_ns = atomic_load(&st->db_ns);
    *statements = atomic_load(&st->statements);
}

int store_schema_version(struct store *st)
{
    return st->schema_version;
}

int store_conn(struct store *st, struct store_conn **out, struct err *err)
{
    struct store_conn *c = pthread_getspecific(st->key);
    int rc;
    if (c) {
        *out = c;
        return 0;
    }
    if ((rc = st->ops->conn_open(st, &c, err)) < 0)
        return rc;
    pthread_mutex_lock(&st->lock);
    ((struct store_conn_base *)c)->next = st->conns;
    st->conns = (struct store_conn_base *)c;
    pthread_mutex_unlock(&st->lock);
    pthread_setspecific(st->key, c);
    *out = c;
    return 0;
}

/* A miscounted argument list would leave parameters unbound (NULL) or be refused only by
 * the backend's bind; checking the count at prepare makes every test of the statement fail. */
static int prepare_counted(struct store_conn *c, const char *sql, size_t nargs,
                           struct store_stmt **out, struct err *err)
{
    struct store_stmt *s = NULL;
    int rc = OPS(c)->prepare(c, sql, &s, err);
    if (rc < 0)
        return rc;
    int want = SOPS(s)->param_count(s);
    if (want < 0 || (size_t)want != nargs) {
        store_done(s);
        return err_set(err, ERR_INTERNAL, "%d parameters but %zu arguments for: %.60s", want, nargs,
                       sql);
    }
    *out = s;
    return 0;
}

static int bind_one(struct store_stmt *s, int idx, const struct store_arg *a)
{
    const struct store_ops *ops = SOPS(s);
    switch (a->type) {
    case 'i': return ops->bind_int(s, idx, a->i);
    case 'r': return ops->bind_real(s, idx, a->r);
    case 't': return a->t ? ops->bind_text(s, idx, a->t, strlen(a->t)) : ops->bind_null(s, idx);
    case 'b': return ops->bind_blob(s, idx, a->b, a->len);
    case 'n': return ops->bind_null(s, idx);
    }
    return ERR_INTERNAL;
}

int store_prepare(struct store_conn *c, const char *sql, struct store_args args,
                  struct store_stmt **out, struct err *err)
{
    struct store_stmt *s = NULL;
    int rc = prepare_counted(c, sql, args.n, &s, err);
    if (rc < 0)
        return rc;
    for (size_t k = 0; k < args.n; k++) {
        if (bind_one(s, (int)k + 1, &args.v[k]) < 0) {
            store_done(s);
            return err_set(err, ERR_INTERNAL, "cannot bind parameter %zu ('%c') of: %.60s", k + 1,
                           args.v[k].type, sql);
        }
    }
    *out = s;
    return 0;
}

int64_t store_run(struct store_conn *c, const char *sql, struct store_args args, struct err *err)
{
    int64_t rc = store_all(c, sql, args, NULL, NULL, err);
    return rc < 0 ? rc : OPS(c)->changes(c);
}

/* Steps 's' to the end (or 'limit' rows), passing rows to 'fn'; releases 's'. */
static int64_t each_row(struct store_stmt *s, int64_t limit, store_row_fn *fn, void *ctx,
                        struct err *err)
{
    int64_t rows = 0;
    int rc = 0;
    while (rows < limit && (rc = store_step(s, err)) == 1) {
        rows++;
        int frc = fn ? fn(ctx, s) : 0;
        if (frc < 0) {
            rc = err->code ? frc : err_set(err, frc, "reading a row failed");
            break;
        }
        if (frc > 0)
            break;
    }
    store_done(s);
    return rc < 0 ? rc : rows;
}

int64_t store_all(struct store_conn *c, const char *sql, struct store_args args, store_row_fn *fn,
                  void *ctx, struct err *err)
{
    struct store_stmt *s = NULL;
    int rc = store_prepare(c, sql, args, &s, err);
    return rc < 0 ? rc : each_row(s, INT64_MAX, fn, ctx, err);
}

int store_one(struct store_conn *c, const char *sql, struct store_args args, store_row_fn *fn,
              void *ctx, struct err *err)
{
    struct store_stmt *s = NULL;
    int rc = store_prepare(c, sql, args, &s, err);
    return rc < 0 ? rc : (int)each_row(s, 1, fn, ctx, err);
}

static int first_i64(void *ctx, struct store_stmt *row)
{
    *(int64_t *)ctx = store_col_int(row, 0);
    return 0;
}

int store_one_i64(struct store_conn *c, const char *sql, struct store_args args, int64_t *out,
                  struct err *err)
{
    return store_one(c, sql, args, first_i64, out, err);
}

struct text_out {
    struct arena *a;
    char **out;
};

static int first_text(void *ctx, struct store_stmt *row)
{
    struct text_out *t = ctx;
    *t->out = store_col_is_null(row, 0) ? NULL : arena_strdup(t->a, store_col_text(row, 0));
    return 0;
}

int store_one_text(struct store_conn *c, const char *sql, struct store_args args, struct arena *a,
                   char **out, struct err *err)
{
    struct text_out t = {a, out};
    return store_one(c, sql, args, first_text, &t, err);
}

int store_step(struct store_stmt *s, struct err *err)
{
    uint64_t t0 = clock_mono_ns();
    int rc = SOPS(s)->step(s, err);
    store_account(((struct store_stmt_base *)s)->store, clock_mono_ns() - t0);
    return rc;
}

void store_done(struct store_stmt *s)
{
    if (s)
        SOPS(s)->reset(s);
}

int store_ping(struct store_conn *c, struct err *err)
{
    int64_t one;
    int rc = store_one_i64(c, "SELECT 1", STORE_NO_ARGS, &one, err);
    return rc < 0 ? rc : 0;
}

int store_optimize(struct store_conn *c, struct err *err)
{
    /* SQLite 3.40's PRAGMA optimize only revisits tables this connection has queried, so a
     * plain ANALYZE is used; the analysis limit keeps it to milliseconds on a million rows.
     * PostgreSQL samples by itself (and autovacuum analyses too). */
    if (store_dialect(c) == STORE_POSTGRESQL)
        return OPS(c)->exec_script(c, "ANALYZE", err);
    return OPS(c)->exec_script(c, "PRAGMA analysis_limit=1000; ANALYZE", err);
}

int store_time_limit(struct store_conn *c, uint64_t budget_ns)
{
    return OPS(c)->time_limit ? OPS(c)->time_limit(c, budget_ns) : 0;
}

int store_plan_each(struct store_conn *c, int on)
{
    return OPS(c)->plan_each ? OPS(c)->plan_each(c, on) : 0;
}

int store_time_limit_hit(struct store_conn *c)
{
    return OPS(c)->time_limit_hit ? OPS(c)->time_limit_hit(c) : 0;
}

enum store_dialect store_dialect(struct store_conn *c)
{
    return OPS(c)->dialect;
}

int store_is_postgresql(const char *path)
{
    return path &&
           (strncmp(path, "postgresql://", 13) == 0 || strncmp(path, "postgres://", 11) == 0);
}

int store_begin(struct store_conn *c, struct err *err)
{
    /* SQLite: BEGIN IMMEDIATE takes the write lock now, so no read-then-write upgrade can
     * deadlock; the PostgreSQL backend maps this to BEGIN. */
    if (OPS(c)->conn_refresh) {
        int r = OPS(c)->conn_refresh(c, err);
        if (r < 0)
            return r;
    }
    int64_t rc = store_run(c, "BEGIN IMMEDIATE", STORE_NO_ARGS, err);
    return rc < 0 ? (int)rc : 0;
}

int store_commit(struct store_conn *c, struct err *err)
{
    int64_t rc = store_run(c, "COMMIT", STORE_NO_ARGS, err);
    if (rc < 0) {
        store_rollback(c);
        return (int)rc;
    }
    return 0;
}

void store_rollback(struct store_conn *c)
{
    struct err ignored = ERR_INIT;
    store_run(c, "ROLLBACK", STORE_NO_ARGS, &ignored);
}

int store_write_probe(struct store_conn *c, const char *node, int64_t now, struct err *err)
{
    int rc = store_begin(c, err);
    if (rc < 0)
        return rc;
    int64_t n = store_run(c,
                          "INSERT INTO write_probe(node, at) VALUES (?, ?)"
                          " ON CONFLICT (node) DO UPDATE SET at = excluded.at",
                          STORE_ARGS(store_text(node), store_i64(now)), err);
    if (n >= 0)
        n = store_run(c, "DELETE FROM write_probe WHERE at < ?", STORE_ARGS(store_i64(now - 86400)),
                      err);
    if (n < 0) {
        store_rollback(c);
        return (int)n;
    }
    return store_commit(c, err);
}

int store_col_is_null(struct store_stmt *s, int col)
{
    return SOPS(s)->col_is_null(s, col);
}
int64_t store_col_int(struct store_stmt *s, int col)
{
    return SOPS(s)->col_int(s, col);
}
double store_col_real(struct store_stmt *s, int col)
{
    return SOPS(s)->col_real(s, col);
}
const char *store_col_text(struct store_stmt *s, int col)
{
    return SOPS(s)->col_text(s, col);
}
const void *store_col_blob(struct store_stmt *s, int col, size_t *n)
{
    return SOPS(s)->col_blob(s, col, n);
}

/* Runs one script in the connection's dialect. */
static int exec_dialect(struct store_conn *c, const char *sql, struct err *err)
{
    char *text = store_dialect_script(store_dialect(c), sql);
    int rc = OPS(c)->exec_script(c, text, err);
    free(text);
    return rc;
}

/*
 * Each migration runs in its own write transaction and reads the applied version inside it:
 * the write lock (SQLite's, or the advisory lock of the PostgreSQL backend) makes a second
 * node that starts at the same time wait, then find the step done and skip it.
 */
static int migrate(struct store *st, struct err *err)
{
    struct store_conn *c;
    int64_t current = 0;
    int rc, applied = 0;
    if ((rc = store_conn(st, &c, err)) < 0)
        return rc;
    /* A copy being read as it is (backup, restore check) gets nothing applied, not even the
     * bookkeeping table: the version it reports is the one the copy was made at. */
    if (st->opt.no_migrate) {
        rc = store_one_i64(c, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                           STORE_NO_ARGS, &current, err);
        st->schema_version = (int)current;
        return rc < 0 ? err_set(err, rc, "not a gridloop database (no schema_migrations table)")
                      : 0;
    }
    /* Everything but init opens a system that exists: an empty file or database gets no
     * schema here, so serving a mistyped path cannot start a blank system. */
    if (st->opt.must_exist &&
        (store_one_i64(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", STORE_NO_ARGS,
                       &current, err) < 0 ||
         current == 0))
        return err_set(err, ERR_NOT_FOUND,
                       "database '%s' holds no gridloop system: check its name, restore it "
                       "from a backup, or create a new system with `gridloop init`",
                       st->path);
    if ((rc = store_begin(c, err)) < 0)
        return rc;
    if ((rc = exec_dialect(c,
                           "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           " version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL,"
                           " applied_at INTEGER NOT NULL)",
                           err)) < 0 ||
        (rc = store_commit(c, err)) < 0) {
        store_rollback(c);
        return rc;
    }
    for (const struct store_migration *m = store_migrations; m->version; m++) {
        if ((rc = store_begin(c, err)) < 0)
            return rc;
        if ((rc = store_one_i64(c, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                                STORE_NO_ARGS, &current, err)) < 0) {
            store_rollback(c);
            return rc;
        }
        if (m->version <= current) {
            store_rollback(c);
            continue;
        }
        struct clock clk = clock_real();
        if ((rc = exec_dialect(c, m->sql, err)) < 0 ||
            (rc = (int)store_run(
                 c, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                 STORE_ARGS(store_i64(m->version), store_text(m->name), store_i64(clock_now(&clk))),
                 err)) < 0) {
            store_rollback(c);
            return err_set(err, rc, "migration %s failed: %s", m->name, err->msg);
        }
        if ((rc = store_commit(c, err)) < 0)
            return rc;
        log_msg(LOG_INFO, "store: applied migration %s", m->name);
        current = m->version;
        applied++;
    }
    /* A database with planner statistics (sqlite_stat1: the sweeper's hourly ANALYZE, once it
     * holds 10,000 cases) has them taken again after a migration: an index the migration built
     * has none, and SQLite takes an index without statistics for a narrow one. Unanalysed,
     * migration 0076's cases_state_region served every list of one state at 10,000,000 cases
     * (0.3-0.8 s a page, against 2-3 ms analysed) until the server restarted after the next
     * hourly ANALYZE. 0.4 s at 10,000,000 cases. A database without statistics gets none
     * (app_sweep.c: taken on a nearly empty one, they mislead the planner as it grows). */
    int64_t stats = 0;
    if (applied && store_dialect(c) == STORE_SQLITE &&
        store_one_i64(c, "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'",
                      STORE_NO_ARGS, &stats, err) == 1 &&
        stats && store_optimize(c, err) < 0) {
        log_msg(LOG_WARN, "store: planner statistics not refreshed after migrating: %s", err->msg);
        err_clear(err);
    }
    /* A migration that builds an index sorts the table's keys in memory (temp_store=MEMORY):
     * hundreds of MB on millions of cases, freed but kept by malloc (a server that migrated a
     * 10,000,000-case database served at 700 MB RSS instead of 46). Give it back. */
    if (applied)
        malloc_trim(0);
    st->schema_version = (int)current;
    /* pg_trgm takes word characters from the database's LC_CTYPE: under C or POSIX it drops
     * every CJK character, and Chinese search silently becomes a scan. */
    char *ctype = NULL;
    struct arena a;
    arena_init(&a, 256);
    if (store_dialect(c) == STORE_POSTGRESQL &&
        store_one_text(c, "SELECT current_setting('lc_ctype')", STORE_NO_ARGS, &a, &ctype, err) ==
            1 &&
        ctype && (strcmp(ctype, "C") == 0 || strcmp(ctype, "POSIX") == 0))
        log_msg(LOG_WARN,
                "store: this database's LC_CTYPE is %s, so Chinese text search cannot use its "
                "trigram indexes; create the database with LC_CTYPE 'C.UTF-8' "
                "(docs/deployment.md)",
                ctype);
    arena_release(&a);
    err_clear(err);
    return 0;
}

/* SQLite would create a missing file; an empty one it would take as a new database. */
static int sqlite_file_exists(const char *path, struct err *err)
{
    struct stat sb;
    if (store_is_postgresql(path))
        return 0;
    if (stat(path, &sb) != 0)
        return err_set(err, ERR_NOT_FOUND,
                       "database file '%s' does not exist: check the path, restore it from "
                       "a backup, or create a new system with `gridloop init`",
                       path);
    if (S_ISREG(sb.st_mode) && sb.st_size == 0)
        return err_set(err, ERR_NOT_FOUND,
                       "database file '%s' is empty: restore it from a backup, or create a "
                       "new system with `gridloop init`",
                       path);
    return 0;
}

int store_open(struct store **out, const struct store_options *opt, struct err *err)
{
    struct store *st = xcalloc(1, sizeof(*st));
    int rc;
    st->ops = store_is_postgresql(opt->path) ? &store_pg_ops : &store_sqlite_ops;
    st->path = xstrdup(opt->path);
    st->opt = *opt;
    st->opt.path = st->path;
    if (st->opt.busy_timeout_ms <= 0)
        st->opt.busy_timeout_ms = 5000;
    pthread_mutex_init(&st->lock, NULL);
    pthread_mutex_init(&st->ckpt_lock, NULL);
    pthread_cond_init(&st->ckpt_cond, NULL);
    pthread_key_create(&st->key, NULL);
    if (opt->must_exist && (rc = sqlite_file_exists(st->path, err)) < 0) {
        store_close(st);
        return rc;
    }
    if ((rc = migrate(st, err)) < 0) {
        store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

struct store_sync {
    char *path; /* the log file */
    int fd;     /* open on it, or -1 while there is none */
    dev_t dev;
    ino_t ino;
};

/* A new file's name is on the disk only once its directory is synced. */
static int sync_dir_of(const char *path, struct err *err)
{
    char *copy = xstrdup(path);
    const char *dir = dirname(copy);
    int rc = 0, fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        rc = err_set(err, ERR_IO, "cannot sync the directory '%s': %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(copy);
    return rc;
}

/* Points s->fd at the file now named s->path (-1 if there is none): 0 or ERR_IO. */
static int sync_reopen(struct store_sync *s, struct err *err)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = open(s->path, O_RDWR | O_CLOEXEC);
    if (s->fd < 0)
        return errno == ENOENT
                   ? 0
                   : err_set(err, ERR_IO, "cannot open '%s': %s", s->path, strerror(errno));
    struct stat sb;
    if (fstat(s->fd, &sb) < 0)
        return err_set(err, ERR_IO, "cannot stat '%s': %s", s->path, strerror(errno));
    s->dev = sb.st_dev;
    s->ino = sb.st_ino;
    return sync_dir_of(s->path, err);
}

void store_cache_size(struct store_conn *c, int kb)
{
    if (OPS(c)->cache_size && kb > 0)
        OPS(c)->cache_size(c, kb);
}

int store_sync_apart(struct store_conn *c, struct store_sync **out, struct err *err)
{
    char *path = NULL;
    *out = NULL;
    if (!OPS(c)->sync_apart)
        return 1;
    int rc = OPS(c)->sync_apart(c, &path, err);
    if (rc != 0)
        return rc;
    struct store_sync *s = xcalloc(1, sizeof(*s));
    s->path = path;
    s->fd = -1;
    if ((rc = sync_reopen(s, err)) < 0) {
        store_sync_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int store_sync(struct store_sync *s, struct err *err)
{
    /* SQLite keeps one log file while any connection is open (the caller's is), so this is the
     * file opened at the start; should it have gone or been replaced all the same, the one there
     * now is synced: a log deleted as its last connection closed was copied into the database
     * file, and that synced, first. */
    struct stat sb;
    int rc;
    if (stat(s->path, &sb) < 0) {
        if (errno != ENOENT)
            return err_set(err, ERR_IO, "cannot stat '%s': %s", s->path, strerror(errno));
        if (s->fd >= 0)
            close(s->fd);
        s->fd = -1;
        return 0;
    }
    if ((s->fd < 0 || sb.st_dev != s->dev || sb.st_ino != s->ino) && (rc = sync_reopen(s, err)) < 0)
        return rc;
    if (s->fd >= 0 && fdatasync(s->fd) < 0)
        return err_set(err, ERR_IO, "cannot write the log '%s' to the disk: %s", s->path,
                       strerror(errno));
    return 0;
}

void store_sync_free(struct store_sync *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s->path);
    free(s);
}

void store_close(struct store *st)
{
    if (!st)
        return;
    stop_checkpointer(st);
    struct store_conn_base *c = st->conns;
    while (c) {
        struct store_conn_base *next = c->next;
        c->ops->conn_close((struct store_conn *)c);
        c = next;
    }
    pthread_key_delete(st->key);
    pthread_mutex_destroy(&st->lock);
    pthread_mutex_destroy(&st->ckpt_lock);
    pthread_cond_destroy(&st->ckpt_cond);
    free(st->path);
    free(st);
}
