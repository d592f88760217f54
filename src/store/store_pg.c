/*
 * PostgreSQL backend (libpq). The domain's portable SQL ('?' placeholders) is rewritten to
 * '$n' once per statement text; statements are prepared per connection and per signature of
 * parameter types, and results are read in text format.
 *
 * Types: SQLite is dynamically typed and PostgreSQL is not. Integers are sent as int8,
 * reals as float8 and blobs as bytea; text and NULL are sent untyped so that the server
 * infers them from their use ("WHERE id = ?" with a text value still compares numbers).
 * Where it cannot ("? IS NULL"), the statement is prepared again with those as text.
 *
 * Writers: SQLite has one writer at a time (BEGIN IMMEDIATE), and the domain's
 * read-then-write transactions rely on it (case numbers, version checks, the audit chain).
 * BEGIN IMMEDIATE therefore becomes BEGIN plus a transaction-scoped advisory lock, which
 * serialises write transactions across every connection of every node; plain reads and
 * autocommit statements do not take it.
 *
 * Connections are opened lazily per thread (store.c) and re-opened when the server went
 * away: the statement that saw the loss fails with ERR_UNAVAILABLE (503), the next one
 * reconnects (to whatever leader the address now reaches).
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"
#include "store/store_dialect.h"
#include "store/store_pg.h"

#define CACHE_BUCKETS 128
#define CACHE_MAX 512
#define MAX_VARIANTS 4

/* Key of the advisory lock every write transaction takes ('gl' 'w'). */
#define WRITE_LOCK_KEY 0x676c77

#define OID_INT8 20
#define OID_TEXT 25
#define OID_FLOAT8 701
#define OID_BYTEA 17

enum pg_kind { PK_PLAIN, PK_BEGIN, PK_COMMIT, PK_ROLLBACK };

struct pg_variant {
    char sig[32]; /* one letter per parameter: i r t b n; truncated signatures never match */
    char name[24];
    unsigned *types; /* as prepared (after the text retry) */
    uint64_t generation;
};

struct pg_stmt {
    struct store_stmt_base base;
    struct pgs_conn *conn;
    char *sql; /* as given, the cache key */
    char *pgsql;
    unsigned hash;
    int nparams;
    enum pg_kind kind;
    int in_use;
    int cached;
    struct pg_stmt *next;
    struct pg_variant variants[MAX_VARIANTS];
    int nvariants;
    /* bindings */
    char *ptype; /* per parameter: i r t b n */
    char **vals; /* owned copies */
    int *lens;
    int *fmts;
    /* result */
    PGresult *res;
    int row, nrows, executed;
    unsigned char *blob; /* last unescaped bytea */
};

struct pgs_conn {
    struct store_conn_base base;
    PGconn *pg;
    struct pg_stmt *buckets[CACHE_BUCKETS];
    int ncached;
    int64_t changes;
    uint64_t generation; /* bumped on reconnection: prepared statements are gone */
    /* Between store_begin and commit/rollback. A connection lost inside a transaction is not
     * replaced until the transaction ends: the statements in between (a job's ROLLBACK TO
     * its savepoint) must fail as the transaction did, not run on a fresh connection. */
    int in_tx;
    int drop; /* useless for writes (a standby, a demoted primary): closed once out of tx */
    unsigned next_name;
    int timed;     /* a statement_timeout of store_time_limit() is set */
    int limit_hit; /* a statement was cancelled by it */
};

static unsigned hash_sql(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* libpq's messages span lines ("...\n\tThis probably means..."); an err message is one. */
static int pg_err(int code, const char *what, const char *msg, struct err *err)
{
    char one[ERR_MSG_MAX];
    size_t o = 0;
    int space = 0;
    for (const char *p = msg; *p && o < sizeof(one) - 1; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
            space = o > 0;
            continue;
        }
        if (space && o < sizeof(one) - 2)
            one[o++] = ' ';
        space = 0;
        one[o++] = *p;
    }
    one[o] = 0;
    return err_set(err, code, "%s: %s", what, one);
}

PGconn *store_pg_connect(const char *conninfo, const char *application_name,
                         const char *connect_timeout, struct err *err)
{
    /* With expand_dbname the URL's own settings override the defaults before it. TCP
     * keepalives: a server that vanished without closing the socket is noticed. No JIT: our
     * statements take milliseconds, and a plan whose estimate crossed jit_above_cost (after an
     * ANALYZE, a region with a category at 1,000,000 cases) spent 40 ms compiling itself to
     * run for 8. */
    const char *keys[] = {
        "connect_timeout",  "application_name", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "options",          "dbname",          NULL};
    const char *vals[] = {connect_timeout, application_name, "10", "5", "3",
                          "-c jit=off",    conninfo,         NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg) {
        err_set(err, ERR_UNAVAILABLE, "cannot connect to PostgreSQL: out of memory");
        return NULL;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        pg_err(ERR_UNAVAILABLE, "cannot connect to PostgreSQL", PQerrorMessage(pg), err);
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

static int connect_to(struct pgs_conn *c, const char *conninfo, struct err *err)
{
    /* 2 s to connect: /healthz answers within the load balancer's check timeout while the
     * database is unreachable; the URL may say otherwise (connect_timeout=...). */
    c->pg = store_pg_connect(conninfo, "gridloop", "2", err);
    if (!c->pg)
        return err->code;
    PGresult *r = PQexec(c->pg, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    PQclear(r);
    /* No 201 before the commit is durable: a server (or role) configured with
     * synchronous_commit = off would acknowledge commits it can still lose. 'local', 'on',
     * 'remote_write' and 'remote_apply' all wait for the local flush at least. */
    r = PQexec(c->pg, "SELECT current_setting('synchronous_commit')");
    if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
        strcmp(PQgetvalue(r, 0, 0), "off") == 0)
        PQclear(PQexec(c->pg, "SET synchronous_commit = on"));
    PQclear(r);
    c->generation++;
    return 0;
}

static void close_pg(struct pgs_conn *c)
{
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    c->drop = 0;
}

/* The connection is usable, reconnecting if the server went away since its last use (but
 * never inside a transaction: that one is lost). */
static int ensure_connected(struct pgs_conn *c, struct err *err)
{
    if (c->in_tx) {
        if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
            return 0;
        return err_set(err, ERR_UNAVAILABLE,
                       "database connection lost during the transaction; it was not committed");
    }
    if (c->drop)
        close_pg(c);
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
        return 0;
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    return connect_to(c, store_options(c->base.store)->path, err);
}

static int pg_conn_open(struct store *st, struct store_conn **out, struct err *err)
{
    struct pgs_conn *c = xcalloc(1, sizeof(*c));
    c->base.ops = &store_pg_ops;
    c->base.store = st;
    int rc = connect_to(c, store_options(st)->path, err);
    if (rc < 0) {
        free(c);
        return rc;
    }
    *out = (struct store_conn *)c;
    return 0;
}

static void clear_binds(struct pg_stmt *s)
{
    for (int i = 0; i < s->nparams; i++) {
        free(s->vals[i]);
        s->vals[i] = NULL;
        s->lens[i] = 0;
        s->fmts[i] = 0;
        s->ptype[i] = 'n';
    }
    PQclear(s->res);
    s->res = NULL;
    PQfreemem(s->blob);
    s->blob = NULL;
    s->row = s->nrows = s->executed = 0;
}

static void free_stmt(struct pg_stmt *s)
{
    clear_binds(s);
    for (int i = 0; i < s->nvariants; i++)
        free(s->variants[i].types);
    free(s->ptype);
    free(s->vals);
    free(s->lens);
    free(s->fmts);
    free(s->pgsql);
    free(s->sql);
    free(s);
}

static void pg_conn_close(struct store_conn *base)
{
    struct pgs_conn *c = (struct pgs_conn *)base;
    for (int i = 0; i < CACHE_BUCKETS; i++) {
        struct pg_stmt *s = c->buckets[i];
        while (s) {
            struct pg_stmt *next = s->next;
            free_stmt(s);
            s = next;
        }
    }
    if (c->pg)
        PQfinish(c->pg);
    free(c);
}

static enum pg_kind kind_of(const char *sql)
{
    if (strcmp(sql, "BEGIN IMMEDIATE") == 0 || strcmp(sql, "BEGIN") == 0)
        return PK_BEGIN;
    if (strcmp(sql, "COMMIT") == 0)
        return PK_COMMIT;
    if (strcmp(sql, "ROLLBACK") == 0)
        return PK_ROLLBACK;
    return PK_PLAIN;
}

static int pg_prepare(struct store_conn *base, const char *sql, struct store_stmt **out,
                      struct err *err)
{
    struct pgs_conn *c = (struct pgs_conn *)base;
    unsigned h = hash_sql(sql);
    struct pg_stmt **bucket = &c->buckets[h % CACHE_BUCKETS];
    for (struct pg_stmt *s = *bucket; s; s = s->next) {
        if (s->hash == h && !s->in_use && strcmp(s->sql, sql) == 0) {
            s->in_use = 1;
            *out = (struct store_stmt *)s;
            return 0;
        }
    }
    int nparams = 0;
    char *pgsql = store_dialect_placeholders(sql, &nparams);
    if (!pgsql)
        return err_set(err, ERR_INTERNAL, "unterminated quote in: %.60s", sql);
    struct pg_stmt *s = xcalloc(1, sizeof(*s));
    s->base.ops = &store_pg_ops;
    s->base.store = c->base.store;
    s->conn = c;
    s->sql = xstrdup(sql);
    s->pgsql = pgsql;
    s->hash = h;
    s->nparams = nparams;
    s->kind = kind_of(sql);
    size_t np = nparams ? (size_t)nparams : 1;
    s->ptype = xcalloc(np, 1);
    s->vals = xcalloc(np, sizeof(char *));
    s->lens = xcalloc(np, sizeof(int));
    s->fmts = xcalloc(np, sizeof(int));
    memset(s->ptype, 'n', np);
    s->in_use = 1;
    if (c->ncached < CACHE_MAX) {
        s->cached = 1;
        s->next = *bucket;
        *bucket = s;
        c->ncached++;
    }
    *out = (struct store_stmt *)s;
    return 0;
}

#define PS(x) ((struct pg_stmt *)(x))

static int set_param(struct store_stmt *base, int i, char type, const void *v, size_t n, int fmt)
{
    struct pg_stmt *s = PS(base);
    if (i < 1 || i > s->nparams || n > INT32_MAX)
        return ERR_INTERNAL;
    free(s->vals[i - 1]);
    s->vals[i - 1] = NULL;
    s->ptype[i - 1] = type;
    s->fmts[i - 1] = fmt;
    s->lens[i - 1] = (int)n;
    if (v) {
        char *copy = xmalloc(n + 1);
        memcpy(copy, v, n);
        copy[n] = 0;
        s->vals[i - 1] = copy;
    }
    return 0;
}

static int pg_bind_int(struct store_stmt *s, int i, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return set_param(s, i, 'i', buf, (size_t)n, 0);
}

static int pg_bind_real(struct store_stmt *s, int i, double v)
{
    char buf[40];
    int n = snprintf(buf, sizeof(buf), "%.17g", v);
    return set_param(s, i, 'r', buf, (size_t)n, 0);
}

static int pg_bind_text(struct store_stmt *s, int i, const char *v, size_t n)
{
    return set_param(s, i, 't', v, n, 0);
}

static int pg_bind_blob(struct store_stmt *s, int i, const void *v, size_t n)
{
    return set_param(s, i, 'b', v ? v : "", n, 1);
}

static int pg_bind_null(struct store_stmt *s, int i)
{
    return set_param(s, i, 'n', NULL, 0, 0);
}

static int pg_param_count(struct store_stmt *s)
{
    return PS(s)->nparams;
}

static unsigned oid_of(char t, int text_for_unknown)
{
    switch (t) {
    case 'i': return OID_INT8;
    case 'r': return OID_FLOAT8;
    case 'b': return OID_BYTEA;
    }
    return text_for_unknown ? OID_TEXT : 0;
}

/* SQLSTATE classes to the store's error codes. */
static int map_result(struct pgs_conn *c, const PGresult *r, struct err *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg);
    if (!msg || !*msg)
        msg = PQerrorMessage(c->pg);
    if (PQstatus(c->pg) != CONNECTION_OK || !state)
        return pg_err(ERR_UNAVAILABLE, "database connection lost", msg, err);
    if (strncmp(state, "23", 2) == 0)
        return pg_err(ERR_CONFLICT, "constraint", msg, err);
    /* query_canceled: by store_time_limit()'s statement_timeout when one is set */
    if (c->timed && strcmp(state, "57014") == 0)
        c->limit_hit = 1;
    /* why writes fail, for the health check: read-only, disk full, I/O error */
    if (strcmp(state, "25006") == 0 || strcmp(state, "53100") == 0 || strcmp(state, "58030") == 0)
        store_note_write_fault(c->base.store, state[0] == '2' ? STORE_WRITE_READ_ONLY
                                              : state[0] == '5' && state[1] == '3'
                                                  ? STORE_WRITE_DISK_FULL
                                                  : STORE_WRITE_IO_ERROR);
    /* connection exceptions, shutdown, a standby refusing writes, serialisation, resources */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
        strcmp(state, "25006") == 0 || strncmp(state, "40", 2) == 0 ||
        strncmp(state, "53", 2) == 0) {
        /* A connection to a demoted primary or a standby stays useless: drop it so the next
         * statement reconnects through the address (the load balancer finds the leader);
         * inside a transaction, once it has been rolled back. */
        if (strcmp(state, "25006") == 0 || strncmp(state, "57P", 3) == 0) {
            if (c->in_tx)
                c->drop = 1;
            else
                close_pg(c);
        }
        return pg_err(ERR_UNAVAILABLE, "database unavailable", msg, err);
    }
    return pg_err(ERR_STORE, state, msg, err);
}

static struct pg_variant *find_variant(struct pg_stmt *s, const char *sig)
{
    for (int i = 0; i < s->nvariants; i++)
        if (s->variants[i].generation == s->conn->generation &&
            strcmp(s->variants[i].sig, sig) == 0)
            return &s->variants[i];
    return NULL;
}

static int prepare_variant(struct pg_stmt *s, const char *sig, struct pg_variant **out,
                           struct err *err)
{
    struct pgs_conn *c = s->conn;
    struct pg_variant *v = NULL;
    for (int i = 0; i < s->nvariants && !v; i++)
        if (s->variants[i].generation != c->generation)
            v = &s->variants[i]; /* prepared on a connection that is gone */
    if (!v && s->nvariants < MAX_VARIANTS)
        v = &s->variants[s->nvariants++];
    if (!v) {
        /* Evict the first: deallocate it on the server. */
        v = &s->variants[0];
        char q[48];
        snprintf(q, sizeof(q), "DEALLOCATE %s", v->name);
        PQclear(PQexec(c->pg, q));
    }
    free(v->types);
    v->types = xcalloc(s->nparams ? (size_t)s->nparams : 1, sizeof(unsigned));
    snprintf(v->sig, sizeof(v->sig), "%s", sig);
    snprintf(v->name, sizeof(v->name), "g%u", ++c->next_name);
    v->generation = 0;
    /* A failed prepare inside a transaction would abort it: fence the attempt with a
     * savepoint (once per statement and connection, so the round trips do not matter). */
    int in_tx = PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
    for (int attempt = 0; attempt < 2; attempt++) {
        for (int i = 0; i < s->nparams; i++)
            v->types[i] = oid_of(s->ptype[i], attempt);
        if (in_tx)
            PQclear(PQexec(c->pg, "SAVEPOINT gl_prepare"));
        PGresult *r = PQprepare(c->pg, v->name, s->pgsql, s->nparams, (const Oid *)v->types);
        if (r && PQresultStatus(r) == PGRES_COMMAND_OK) {
            PQclear(r);
            if (in_tx)
                PQclear(PQexec(c->pg, "RELEASE SAVEPOINT gl_prepare"));
            v->generation = c->generation;
            *out = v;
            return 0;
        }
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        int retry = attempt == 0 && state && (!strcmp(state, "42P18") || !strcmp(state, "42725"));
        if (in_tx && PQstatus(c->pg) == CONNECTION_OK)
            PQclear(PQexec(c->pg, "ROLLBACK TO SAVEPOINT gl_prepare"));
        /* 42P18 indeterminate datatype, 42725 ambiguous function: say the untyped are text. */
        if (retry) {
            PQclear(r);
            continue;
        }
        int rc = map_result(c, r, err);
        PQclear(r);
        return rc;
    }
    return err_set(err, ERR_INTERNAL, "cannot prepare: %.60s", s->sql);
}

static int run_simple(struct pg_stmt *s, const char *sql, struct err *err)
{
    PGresult *r = PQexec(s->conn->pg, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = map_result(s->conn, r, err);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    return 0;
}

static int execute(struct pg_stmt *s, struct err *err)
{
    struct pgs_conn *c = s->conn;
    int rc;
    s->executed = 1;
    if (s->kind == PK_ROLLBACK) {
        /* After a lost connection there is nothing to roll back. */
        c->in_tx = 0;
        if (c->pg && PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
            rc = run_simple(s, "ROLLBACK", err);
        else
            rc = 0;
        if (c->drop)
            close_pg(c);
        return rc;
    }
    if ((rc = ensure_connected(c, err)) < 0)
        return rc;
    if (s->kind == PK_BEGIN) {
        char q[96];
        snprintf(q, sizeof(q), "BEGIN; SELECT pg_advisory_xact_lock(%d)", WRITE_LOCK_KEY);
        if ((rc = run_simple(s, q, err)) < 0) {
            if (c->pg && PQstatus(c->pg) == CONNECTION_OK &&
                PQtransactionStatus(c->pg) != PQTRANS_IDLE)
                PQclear(PQexec(c->pg, "ROLLBACK"));
            return rc;
        }
        c->in_tx = 1;
        return 0;
    }
    if (s->kind == PK_COMMIT) {
        rc = run_simple(s, "COMMIT", err);
        c->in_tx = 0;
        if (c->drop)
            close_pg(c);
        if (rc < 0)
            return rc;
        store_note_commit(c->base.store);
        return 0;
    }
    char sig[sizeof(((struct pg_variant *)0)->sig)];
    int n = s->nparams < (int)sizeof(sig) - 1 ? s->nparams : (int)sizeof(sig) - 1;
    memcpy(sig, s->ptype, (size_t)n);
    sig[n] = 0;
    if (s->nparams >= (int)sizeof(sig) - 1)
        sig[0] = '*'; /* long lists: one variant per statement, re-prepared when types change */
    struct pg_variant *v = s->nparams >= (int)sizeof(sig) - 1 ? NULL : find_variant(s, sig);
    if (!v && (rc = prepare_variant(s, sig, &v, err)) < 0)
        return rc;
    s->res = PQexecPrepared(c->pg, v->name, s->nparams, (const char *const *)s->vals, s->lens,
                            s->fmts, 0);
    ExecStatusType st = s->res ? PQresultStatus(s->res) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK) {
        s->nrows = PQntuples(s->res);
        c->changes = s->nrows;
        const char *t = PQcmdTuples(s->res);
        if (*t)
            c->changes = strtoll(t, NULL, 10);
        return 0;
    }
    if (st == PGRES_COMMAND_OK) {
        const char *t = PQcmdTuples(s->res);
        c->changes = *t ? strtoll(t, NULL, 10) : 0;
        return 0;
    }
    rc = map_result(c, s->res, err);
    PQclear(s->res);
    s->res = NULL;
    return rc;
}

/* Can this statement be sent again after the connection was found dead? Only when nothing
 * it did can have taken effect: BEGIN, or a SELECT outside a transaction. */
static int retryable(const struct pg_stmt *s, int was_idle)
{
    if (s->kind == PK_BEGIN)
        return 1;
    return s->kind == PK_PLAIN && was_idle && strncasecmp(s->sql, "SELECT", 6) == 0;
}

static int pg_step(struct store_stmt *base, struct err *err)
{
    struct pg_stmt *s = PS(base);
    if (!s->executed) {
        struct pgs_conn *c = s->conn;
        int was_idle = !c->pg || PQtransactionStatus(c->pg) == PQTRANS_IDLE;
        int rc = execute(s, err);
        /* A connection that died while idle (the server restarted, a failover moved the
         * leader) is noticed only by the next statement: reconnect once for the harmless. */
        if (rc == ERR_UNAVAILABLE && retryable(s, was_idle) &&
            (!c->pg || PQstatus(c->pg) != CONNECTION_OK)) {
            struct err again = ERR_INIT;
            rc = execute(s, &again);
            if (rc < 0)
                *err = again;
            else
                err_clear(err);
        }
        if (rc < 0)
            return rc;
        s->row = -1;
    }
    if (!s->res)
        return 0;
    if (s->row + 1 >= s->nrows)
        return 0;
    s->row++;
    return 1;
}

static void pg_reset(struct store_stmt *base)
{
    struct pg_stmt *s = PS(base);
    if (!s->cached) {
        free_stmt(s);
        return;
    }
    clear_binds(s);
    s->in_use = 0;
}

static int pg_col_count(struct store_stmt *s)
{
    return PS(s)->res ? PQnfields(PS(s)->res) : 0;
}

static int valid_cell(struct pg_stmt *s, int col)
{
    return s->res && s->row >= 0 && s->row < s->nrows && col >= 0 && col < PQnfields(s->res);
}

static int pg_col_is_null(struct store_stmt *base, int col)
{
    struct pg_stmt *s = PS(base);
    return !valid_cell(s, col) || PQgetisnull(s->res, s->row, col);
}

static int64_t pg_col_int(struct store_stmt *base, int col)
{
    struct pg_stmt *s = PS(base);
    if (!valid_cell(s, col) || PQgetisnull(s->res, s->row, col))
        return 0;
    const char *v = PQgetvalue(s->res, s->row, col);
    if (v[0] == 't' && !v[1])
        return 1; /* booleans read as 0/1, as SQLite gives them */
    if (v[0] == 'f' && !v[1])
        return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E')
        return (int64_t)strtod(v, NULL); /* numeric sums and averages: truncated like SQLite */
    return n;
}

static double pg_col_real(struct store_stmt *base, int col)
{
    struct pg_stmt *s = PS(base);
    if (!valid_cell(s, col) || PQgetisnull(s->res, s->row, col))
        return 0;
    const char *v = PQgetvalue(s->res, s->row, col);
    if (v[0] == 't' && !v[1])
        return 1;
    return strtod(v, NULL);
}

static const char *pg_col_text(struct store_stmt *base, int col)
{
    struct pg_stmt *s = PS(base);
    if (!valid_cell(s, col))
        return "";
    const char *v = PQgetvalue(s->res, s->row, col);
    /* booleans as SQLite would print them */
    if (PQftype(s->res, col) == 16)
        return v[0] == 't' ? "1" : v[0] == 'f' ? "0" : "";
    return v;
}

static const void *pg_col_blob(struct store_stmt *base, int col, size_t *n)
{
    struct pg_stmt *s = PS(base);
    *n = 0;
    if (!valid_cell(s, col) || PQgetisnull(s->res, s->row, col))
        return NULL;
    const char *v = PQgetvalue(s->res, s->row, col);
    if (PQftype(s->res, col) != OID_BYTEA) {
        *n = (size_t)PQgetlength(s->res, s->row, col);
        return v;
    }
    PQfreemem(s->blob);
    s->blob = PQunescapeBytea((const unsigned char *)v, n);
    return s->blob;
}

static int64_t pg_changes(struct store_conn *c)
{
    return ((struct pgs_conn *)c)->changes;
}

static int pg_exec_script(struct store_conn *base, const char *sql, struct err *err)
{
    struct pgs_conn *c = (struct pgs_conn *)base;
    int rc;
    if ((rc = ensure_connected(c, err)) < 0)
        return rc;
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        rc = map_result(c, r, err);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    return 0;
}

/* A session setting (SET, RESET) on the connection: 1 when it took. */
static int set_ok(struct pgs_conn *c, const char *sql)
{
    PGresult *r = PQexec(c->pg, sql);
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

/* store_time_limit(): statement_timeout, in whole milliseconds (at least one), set and reset
 * outside a transaction only; RESET puts back the server's or the role's own setting. */
static int pg_time_limit(struct store_conn *base, uint64_t budget_ns)
{
    struct pgs_conn *c = (struct pgs_conn *)base;
    char q[64];
    c->limit_hit = 0;
    if (!budget_ns) {
        if (c->timed && c->pg)
            PQclear(PQexec(c->pg, "RESET statement_timeout"));
        c->timed = 0;
        return 1;
    }
    if (!c->pg || c->in_tx || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        return 0;
    uint64_t ms = budget_ns / 1000000u;
    snprintf(q, sizeof(q), "SET statement_timeout = %llu", (unsigned long long)(ms ? ms : 1));
    c->timed = set_ok(c, q);
    return c->timed;
}

/* store_plan_each(): plan_cache_mode for the session (RESET puts back the server's). */
static int pg_plan_each(struct store_conn *base, int on)
{
    struct pgs_conn *c = (struct pgs_conn *)base;
    if (!c->pg)
        return 0;
    return set_ok(c, on ? "SET plan_cache_mode = force_custom_plan" : "RESET plan_cache_mode");
}

static int pg_time_limit_hit(struct store_conn *base)
{
    return ((struct pgs_conn *)base)->limit_hit;
}

const struct store_ops store_pg_ops = {
    .name = "postgresql",
    .dialect = STORE_POSTGRESQL,
    .conn_open = pg_conn_open,
    .conn_close = pg_conn_close,
    .prepare = pg_prepare,
    .bind_int = pg_bind_int,
    .bind_real = pg_bind_real,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .param_count = pg_param_count,
    .step = pg_step,
    .reset = pg_reset,
    .col_count = pg_col_count,
    .col_is_null = pg_col_is_null,
    .col_int = pg_col_int,
    .col_real = pg_col_real,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .changes = pg_changes,
    .exec_script = pg_exec_script,
    .time_limit = pg_time_limit,
    .time_limit_hit = pg_time_limit_hit,
    .plan_each = pg_plan_each,
};
