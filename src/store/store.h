/*
 * store: the database interface. Domain modules speak portable SQL (SQLite and PostgreSQL
 * both accept it: '?' placeholders, INSERT ... RETURNING, ON CONFLICT) through this header
 * only; the backend behind the ops table is chosen at open time. Only bound parameters reach
 * the database: there is no function that takes SQL built from input.
 *
 * Threading: a struct store is shared by all threads. Each thread gets its own connection
 * (store_conn()), created on first use and kept until store_close(); a connection and its
 * statements must only be used by the thread that obtained it.
 *
 * Ownership: store_open() returns a store owned by the caller (store_close()). Connections
 * and statements are owned by the store. Text returned by store_col_text() is valid until
 * the next step, reset or finalisation of that statement.
 */
#ifndef GRIDLOOP_STORE_STORE_H
#define GRIDLOOP_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store;
struct store_conn;
struct store_stmt;

/* Where SQLite and PostgreSQL differ (src/store/store_dialect.h rewrites the rest). */
enum store_dialect { STORE_SQLITE = 0, STORE_POSTGRESQL = 1 };

struct store_ops {
    const char *name;
    enum store_dialect dialect;
    int (*conn_open)(struct store *st, struct store_conn **out, struct err *err);
    void (*conn_close)(struct store_conn *c);
    /* Optional: called before each write transaction begins, to replace a connection that a
     * failed write left unusable. */
    int (*conn_refresh)(struct store_conn *c, struct err *err);
    /* Statements are cached per connection by SQL text; 'out' is reset and unbound. */
    int (*prepare)(struct store_conn *c, const char *sql, struct store_stmt **out, struct err *err);
    int (*bind_int)(struct store_stmt *s, int idx, int64_t v);
    int (*bind_real)(struct store_stmt *s, int idx, double v);
    int (*bind_text)(struct store_stmt *s, int idx, const char *v, size_t n); /* copied */
    int (*bind_blob)(struct store_stmt *s, int idx, const void *v, size_t n); /* copied */
    int (*bind_null)(struct store_stmt *s, int idx);
    /* Number of parameters the statement takes (highest index), checked against the args. */
    int (*param_count)(struct store_stmt *s);
    /* 1 = a row is available, 0 = done, < 0 = ERR_* (ERR_CONFLICT on constraint violation). */
    int (*step)(struct store_stmt *s, struct err *err);
    void (*reset)(struct store_stmt *s);
    int (*col_count)(struct store_stmt *s);
    int (*col_is_null)(struct store_stmt *s, int col);
    int64_t (*col_int)(struct store_stmt *s, int col);
    double (*col_real)(struct store_stmt *s, int col);
    const char *(*col_text)(struct store_stmt *s, int col); /* "" for NULL */
    const void *(*col_blob)(struct store_stmt *s, int col, size_t *n);
    int64_t (*changes)(struct store_conn *c);
    int (*exec_script)(struct store_conn *c, const char *sql, struct err *err);
    /* Optional: copy what the log holds into the database file without blocking writers
     * (SQLite's passive WAL checkpoint), on the checkpoint thread's connection; 'restart':
     * also wait for the readers of the log (holding writers off meanwhile), so that the next
     * write starts the log over. */
    void (*checkpoint)(struct store_conn *c, int restart);
    /* Optional: stop the statement of 'c' that is running once the thread has spent
     * 'budget_ns' of CPU (0: no limit), see store_time_limit(); 1 if the budget is kept. */
    int (*time_limit)(struct store_conn *c, uint64_t budget_ns);
    int (*time_limit_hit)(struct store_conn *c);
    /* Optional: plan each statement for its arguments, see store_plan_each(). */
    int (*plan_each)(struct store_conn *c, int on);
    /* Optional: from now on, commits on 'c' return once their log is written, before it is on
     * the disk, and the log is made durable by an fdatasync of the file it names ('*path',
     * malloc'd); see store_sync_apart(). Returns 0, 1 where this connection cannot (an
     * in-memory database), or ERR_*. */
    int (*sync_apart)(struct store_conn *c, char **path, struct err *err);
    /* Optional: keep up to 'kb' KiB of database pages in the connection's own cache. */
    void (*cache_size)(struct store_conn *c, int kb);
};

struct store_options {
    const char *path;    /* database file, or a postgresql:// URL (the PostgreSQL backend) */
    int busy_timeout_ms; /* how long a writer waits for the lock before ERR_UNAVAILABLE */
    int no_migrate;      /* open as it is: read the schema version, apply nothing (backups) */
    int must_exist;      /* refuse a missing or empty file, or a database without gridloop's
                          * schema (everything but `init`: creating a system is its job) */
};

/* Open (creating if absent, unless must_exist) and migrate to the newest schema. */
int store_open(struct store **out, const struct store_options *opt, struct err *err);
void store_close(struct store *st);

/* The calling thread's connection, opened on first use. */
int store_conn(struct store *st, struct store_conn **out, struct err *err);

/* Schema version after migration. */
int store_schema_version(struct store *st);

/*
 * A thread of the store's own that runs the log checkpoints (SQLite: copying the WAL into the
 * database file every ~1000 pages written), so they cost no committer its latency: without
 * it the connection whose commit crossed the threshold runs the checkpoint before its commit
 * returns, which for the group-commit writer delays a whole batch. No-op on backends without
 * checkpoints. Stopped by store_close(). 0 or ERR_*.
 */
int store_start_checkpointer(struct store *st, struct err *err);

/*
 * Durability apart from the commit, so that one thread commits the next batch while another
 * waits for the disk with the previous one. After store_sync_apart(c, &s), a commit on 'c'
 * returns once its log is written but before it is on the disk (SQLite: synchronous=NORMAL in
 * WAL mode, which keeps the database consistent after a power loss but may lose the last
 * commits), and store_sync(s) makes every commit that returned before it began durable (an
 * fdatasync of the WAL file). So nothing committed on 'c' may be acknowledged before a
 * store_sync begun after its commit has returned 0; other readers already see it (a GET may show
 * a case whose 201 waits for the disk). Other connections keep their durable commits.
 *
 * Returns 0 with *out set; 1 with *out NULL where the backend commits durably in any case
 * (PostgreSQL, whose commit already groups concurrent ones; an in-memory database); or ERR_*.
 * Threading: store_sync may run on any thread, concurrently with commits on 'c'; one thread at a
 * time. Ownership: free 's' with store_sync_free before 'c' is closed.
 */
struct store_sync;
int store_sync_apart(struct store_conn *c, struct store_sync **out, struct err *err);
/* 0, or ERR_IO: then the commits since the last sync may be lost, and later syncs cannot say
 * otherwise (the kernel may have dropped the pages it failed to write): the caller must not go
 * on acknowledging writes. */
int store_sync(struct store_sync *s, struct err *err);
void store_sync_free(struct store_sync *s);

/* Let the connection 'c' keep up to 'kb' KiB of database pages in memory (SQLite's page cache:
 * allocated as pages are read, so a small database never takes it all); ignored where the
 * backend caches in its own server (PostgreSQL's shared buffers). For one connection that
 * touches much of a large database, the group-commit writer: docs/benchmarks.md. */
void store_cache_size(struct store_conn *c, int kb);

/* Time spent inside the database and number of statements stepped, over all threads. */
void store_stats(struct store *st, uint64_t *db_ns, uint64_t *statements);

/*
 * Typed parameters. Build each with the constructor of its type, so the compiler checks
 * what a type string could not, and pass them with STORE_ARGS() (or STORE_NO_ARGS):
 *
 *     n = store_run(c, "UPDATE users SET name = ? WHERE id = ?",
 *                   STORE_ARGS(store_text(name), store_i64(id)), err);
 *
 * The number of arguments must equal the statement's parameter count: a miscount is
 * ERR_INTERNAL at prepare time, in every test that runs the statement. Text and blobs are
 * copied by the backend when bound. 'type' is a tag for the backend-independent binder
 * ('i', 'r', 't', 'b', 'n'); set it only through the constructors.
 */
struct store_arg {
    char type;
    int64_t i;
    double r;
    const char *t; /* 't': text, NULL binds NULL */
    const void *b; /* 'b': blob bytes and length */
    size_t len;
};

static inline struct store_arg store_i64(int64_t v)
{
    return (struct store_arg){.type = 'i', .i = v};
}
static inline struct store_arg store_real(double v)
{
    return (struct store_arg){.type = 'r', .r = v};
}
static inline struct store_arg store_text(const char *v)
{
    return (struct store_arg){.type = 't', .t = v};
}
static inline struct store_arg store_null(void)
{
    return (struct store_arg){.type = 'n'};
}
static inline struct store_arg store_blob(const void *p, size_t n)
{
    return (struct store_arg){.type = 'b', .b = p, .len = n};
}
/* NULL for an absent value (0 id, empty optional text). */
static inline struct store_arg store_i64_or_null(int64_t v)
{
    return v ? store_i64(v) : store_null();
}

/* A counted array of arguments, passed by value. */
struct store_args {
    const struct store_arg *v;
    size_t n;
};
#define STORE_ARGS(...)                                                                            \
    ((struct store_args){(const struct store_arg[]){__VA_ARGS__},                                  \
                         sizeof((const struct store_arg[]){__VA_ARGS__}) /                         \
                             sizeof(struct store_arg)})
#define STORE_NO_ARGS ((struct store_args){NULL, 0})

/*
 * Called once per result row with the row's statement (read it with store_col_*; text is
 * valid until the callback returns). Return 0 for the next row, > 0 to stop early, or a
 * negative ERR_* to fail the query (fill the error through 'ctx' if it needs a message).
 */
typedef int store_row_fn(void *ctx, struct store_stmt *row);

/* Prepare and bind; the statement is ready to step (store_step), then store_done(). For
 * the rare reader that streams rows itself; prefer store_all(). */
int store_prepare(struct store_conn *c, const char *sql, struct store_args args,
                  struct store_stmt **out, struct err *err);

/* Run a statement to completion; the number of rows changed or a negative ERR_*. */
int64_t store_run(struct store_conn *c, const char *sql, struct store_args args, struct err *err);

/* Run a query and pass its first row to 'fn' (which may be NULL: "does a row exist?").
 * 1 if there was a row, 0 if none, or a negative ERR_* (the callback's, or the store's). */
int store_one(struct store_conn *c, const char *sql, struct store_args args, store_row_fn *fn,
              void *ctx, struct err *err);

/* Run a query and pass every row to 'fn'; the number of rows passed, or a negative ERR_*. */
int64_t store_all(struct store_conn *c, const char *sql, struct store_args args, store_row_fn *fn,
                  void *ctx, struct err *err);

/* The first column of the first row as an integer (count(*), an id): 1 and *out set, 0 if
 * there was no row, or a negative ERR_*. */
int store_one_i64(struct store_conn *c, const char *sql, struct store_args args, int64_t *out,
                  struct err *err);

/* The first column of the first row as text copied into 'a' (NULL when the value is
 * NULL): 1, 0 if there was no row, or a negative ERR_*. */
int store_one_text(struct store_conn *c, const char *sql, struct store_args args, struct arena *a,
                   char **out, struct err *err);

/* Step a statement: 1 row, 0 done, < 0 error. */
int store_step(struct store_stmt *s, struct err *err);

/* Release a statement back to its connection's cache. NULL is accepted. */
void store_done(struct store_stmt *s);

/*
 * A budget of work for the statements of 'c' (the calling thread's connection): once the
 * thread has spent 'budget_ns' of CPU time since this call (0 removes the budget), the
 * statement running stops, its store_step() returns a negative ERR_* and
 * store_time_limit_hit() says 1 until the next call of store_time_limit(). CPU time rather
 * than the wall clock, so that a statement on a busy machine is not stopped for the time it
 * waited for a core (and answers the same from run to run); time spent waiting for the disk is
 * not counted either. The rows already stepped stay valid, so a reader that counts rows as they
 * come knows how many it saw. 1: the backend keeps the budget; 0: it does not, and statements
 * run to their end. SQLite keeps it between the steps of its virtual machine. PostgreSQL keeps
 * it as the wall clock (statement_timeout: the server measures no CPU time for a client),
 * outside a transaction only (a cancelled statement would abort it), and a statement it stops
 * has given no row (the server computes a result before its first row reaches the client).
 * Remove a budget before the connection runs anything else.
 */
int store_time_limit(struct store_conn *c, uint64_t budget_ns);
int store_time_limit_hit(struct store_conn *c);

/*
 * From now on ('on' 1) until called with 0, plan each statement of 'c' for the arguments it
 * runs with. PostgreSQL otherwise may run a prepared statement with a plan made for any
 * arguments after five runs, which cannot tell a rare text (ILIKE '%翠竹新村3%', 639 cases of
 * 1,000,000, read through the trigram indexes in 12 ms) from a common one, and walked every
 * case newest first (190 ms). SQLite plans once either way (0: nothing done). Costs a plan per
 * run: for the statements whose best plan depends on their arguments, not for the hot paths.
 */
int store_plan_each(struct store_conn *c, int on);

/*
 * Refresh the query planner's statistics (ANALYZE, sampling at most ~1000 rows per index).
 * Without them the planner guesses wrong on large case tables (seconds instead of
 * milliseconds). Takes milliseconds. Run it on a database with representative data (the
 * sweeper does, hourly): statistics of a nearly empty table mislead the planner later.
 */
int store_optimize(struct store_conn *c, struct err *err);

/* Is the database answering? 0, or a negative ERR_* (the health check). */
int store_ping(struct store_conn *c, struct err *err);

/*
 * Why the database cannot take writes, as the backends saw it on any connection: a read-only
 * file or server (SQLITE_READONLY, SQLSTATE 25006), a full disk (SQLITE_FULL, 53100), an I/O
 * error (SQLITE_IOERR, 58030). The last one seen stays until store_write_fault_clear() (a
 * write known to have committed: the health probe). Recording costs nothing on success.
 */
enum store_write_fault {
    STORE_WRITE_OK = 0,
    STORE_WRITE_READ_ONLY,
    STORE_WRITE_DISK_FULL,
    STORE_WRITE_IO_ERROR,
};
enum store_write_fault store_write_fault(struct store *st);
void store_write_fault_clear(struct store *st);
void store_note_write_fault(struct store *st, enum store_write_fault f); /* for the backends */
/* One small write transaction of its own, on the table write_probe (migration 0011): 'node'
 * rewrites its row, and rows older than a day (processes long gone) are dropped. 0 when it
 * committed: the one way to know that writes commit now. */
int store_write_probe(struct store_conn *c, const char *node, int64_t now, struct err *err);

/* Transactions. begin takes the write lock at once so that read-then-write is safe. */
int store_begin(struct store_conn *c, struct err *err);
int store_commit(struct store_conn *c, struct err *err);
void store_rollback(struct store_conn *c);

int store_col_is_null(struct store_stmt *s, int col);
int64_t store_col_int(struct store_stmt *s, int col);
double store_col_real(struct store_stmt *s, int col);
const char *store_col_text(struct store_stmt *s, int col);
const void *store_col_blob(struct store_stmt *s, int col, size_t *n);

/*
 * Online backup of the SQLite database file 'src_path' into 'dest_path' (a new file), while
 * other processes keep writing to the source. SQLite's backup API copies 'pages_per_step'
 * pages per step inside one read transaction on the source, so the copy is the database as
 * it was when the backup began (every commit before it, none after) and, the source being
 * in WAL mode, writers are never blocked by it; a step never restarts because of them. The
 * copy is fsynced. Nothing is migrated: open the copy with no_migrate to read it.
 */
struct store_backup_report {
    int64_t pages; /* pages copied */
    int steps;     /* backup steps taken */
    int restarts;  /* times the copy started over (0: the snapshot held) */
    uint64_t ns;   /* wall time */
};
int store_backup(const char *src_path, const char *dest_path, int pages_per_step,
                 struct store_backup_report *rep, struct err *err);

/* Is a process other than this one using the SQLite database at 'path'? 1 with its pid (a
 * connection holds a read lock on the shared-memory file while it is open), 0 if not. For a
 * restore, which must never replace a file under a running server. */
int store_in_use(const char *path, long *pid);

/* The backends. */
extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* Is this the name of a PostgreSQL database (postgresql:// or postgres:// URL)? */
int store_is_postgresql(const char *path);

/* The connection's dialect, for the few statements that differ. */
enum store_dialect store_dialect(struct store_conn *c);

/* For backends: the store a connection belongs to, and time accounting. */
struct store_conn_base {
    const struct store_ops *ops;
    struct store *store;
    struct store_conn_base *next; /* the store's list of connections, for store_close() */
};
struct store_stmt_base {
    const struct store_ops *ops;
    struct store *store;
};
void store_account(struct store *st, uint64_t ns);

/*
 * Commits made by this process's connections since the store opened, counted after each
 * commit has finished (its write lock released). A cache of data read at count N is current
 * as long as the count is still N, for writes made by this process; other processes' writes
 * are not counted, so such a cache must also bound its age.
 */
uint64_t store_commits(struct store *st);
void store_note_commit(struct store *st); /* for the backends */
/* For the backends: a commit left 'frames' (>= STORE_CHECKPOINT_FRAMES) in the WAL. 1 if the
 * checkpoint thread runs a checkpoint when one is due (or none is), 0 if the caller must run
 * it (no thread started). */
#define STORE_CHECKPOINT_FRAMES 1000
int store_request_checkpoint(struct store *st, int frames);
const struct store_options *store_options(const struct store *st);

/*
 * Several processes on one database (PostgreSQL; on SQLite there is one process and these
 * are trivial). store_listen.c.
 *
 * store_notify: NOTIFY 'channel' with 'payload' (shorter than STORE_NOTIFY_MAX bytes: send
 * ids, not documents). Inside a transaction it is delivered at commit and dropped by a
 * rollback; outside, at once. Identical payloads in one transaction are delivered once.
 * A no-op on SQLite.
 */
#define STORE_NOTIFY_MAX 8000
int store_notify(struct store_conn *c, const char *channel, const char *payload, struct err *err);

/*
 * A listener on 'channel' ([a-z_] only) with a connection of its own, for one thread.
 * *out is NULL on SQLite (nothing to hear). store_listener_wait() connects and LISTENs when
 * it has no connection, waits up to 'timeout_ms' for the server or for 'wake_fd' (-1: none;
 * not drained) and calls 'fn' with each payload received. Returns 1 when it (re)connected in
 * this call (the caller may have missed notifications while it had no connection: treat
 * every cache as stale), 0 otherwise, or a negative ERR_* when the connection is lost or
 * cannot be made (the next call tries again). store_listener_send() notifies on the
 * listener's connection (no transaction), ERR_UNAVAILABLE when it has none.
 */
struct store_listener;
typedef void store_notify_fn(void *ctx, const char *payload);
int store_listener_new(struct store *st, const char *channel, struct store_listener **out,
                       struct err *err);
int store_listener_wait(struct store_listener *l, int timeout_ms, int wake_fd, store_notify_fn *fn,
                        void *ctx, struct err *err);
int store_listener_send(struct store_listener *l, const char *payload, struct err *err);
void store_listener_free(struct store_listener *l);

/*
 * Leadership among the processes of one database: a session advisory lock on 'key', held on
 * a connection of its own. store_leader_hold() returns 1 while this process holds it (it
 * takes it if free, and checks that the connection still lives when already held), 0 when
 * another process does or the database cannot be reached (the lock is lost with the
 * connection: the server releases it when a holder dies, and another process takes it on its
 * next try). Always 1 on SQLite. For one thread.
 */
struct store_leader;
int store_leader_new(struct store *st, int64_t key, struct store_leader **out, struct err *err);
int store_leader_hold(struct store_leader *l, struct err *err);
/* How many processes have joined the database this way (their side connections counted;
 * at least 1, this one; always 1 on SQLite). On the lock's connection: call after
 * store_leader_hold(). */
int store_leader_peers(struct store_leader *l, int64_t *n, struct err *err);
void store_leader_free(struct store_leader *l);

#endif /* GRIDLOOP_STORE_STORE_H */
