/*
 * gridloop store copy --from sqlite:FILE --to postgresql://...: move a county's SQLite database
 * to PostgreSQL, while it may still be served.
 *
 * The source is read in one read transaction: in WAL mode the first SELECT after BEGIN pins a
 * snapshot, so the server keeps committing cases while the copy sees the database as it was at
 * that instant (every case acknowledged before the copy began, none half-written). Tables come
 * from the source's schema (sqlite_master, minus SQLite's own, the full-text index and
 * schema_migrations) and are copied parents first (their foreign keys), each table in one
 * target transaction (multi-row INSERTs of a few thousand values; secondary indexes dropped and
 * built again inside it, so a failure leaves the table as it was), values bound with the types
 * SQLite stored them with. A column that refers to its own table (regions.parent_id,
 * cases.master_id) is filled in after the table's rows, since a row may point at a later one.
 *
 * Afterwards every identity sequence starts above the copied keys, the row counts are
 * compared, the audit chain is verified on the target and the files beside the SQLite
 * database (data key, triage model, attachments) are copied to the target's sidecar paths
 * (src/cli/cli_store_files.c). Any failure stops the command with a non-zero exit: a target
 * left half-filled is filled again with --force.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"

/* Bound values per INSERT (several rows each). */
#define VALUES_PER_INSERT 4000
#define PROGRESS_ROWS 100000

/* Tables a fresh migration already fills (0005 seeds the full-text watermark, 0016 the
 * assessment roll-ups' state, 0035 the address register's version, 0044 the ladder's limits):
 * their target rows are replaced by the source's, and they do not make a target count as holding
 * data. A migration that seeds a table adds it here (test_store_copy.py on PostgreSQL fails
 * otherwise). */
static const char *const seeded_tables[] = {
    "case_fts_watermark", "assess_rollup_state", "addr_version", "ladder_limits",
    "risk_rules",         "opindex_areas",       "points_rules", "sms_templates"};

struct fix {
    int64_t key, value;
};
typedef VEC(struct fix) fix_vec;

struct column {
    char *name;
    int self_ref; /* refers to its own table: copied as NULL, then set (fixes) */
    fix_vec fixes;
};

struct table {
    char *name;
    struct column *cols;
    int ncols;
    int pk;                /* index of the single integer primary key column, -1 if none */
    int64_t without_rowid; /* read in its primary key's order, which is its storage order */
    char **parents;
    int nparents;
    int seeded, placed;
    int64_t src_rows, dst_rows;
    double seconds;
};
typedef VEC(struct table) table_vec;
typedef VEC(char *) name_vec;

struct copy {
    struct store_conn *src, *dst;
    table_vec tables; /* in copy order once sorted */
    name_vec dst_tables;
    int force;
};

/* "what: <the error so far>" (err_set cannot format err->msg into itself). */
static int err_context(struct err *err, int rc, const char *what, const char *name)
{
    char msg[ERR_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s", err->msg);
    return err_set(err, rc, "%s %s: %s", what, name, msg);
}

static double seconds_since(uint64_t t0)
{
    return (double)(clock_mono_ns() - t0) / 1e9;
}

/* Names are written into SQL (they cannot be bound): only plain identifiers are accepted. */
static int check_ident(const char *name, struct err *err)
{
    int ok = *name && !(*name >= '0' && *name <= '9');
    for (const char *p = name; *p && ok; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '_';
    return ok ? 0 : err_set(err, ERR_INTEGRITY, "the name '%s' cannot be copied", name);
}

static struct table *find_table(struct copy *cp, const char *name)
{
    for (size_t i = 0; i < cp->tables.n; i++)
        if (strcmp(cp->tables.v[i].name, name) == 0)
            return &cp->tables.v[i];
    return NULL;
}

static int in_list(name_vec *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], name) == 0)
            return 1;
    return 0;
}

static void free_names(name_vec *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    vec_release(v);
}

static void free_tables(table_vec *v)
{
    for (size_t i = 0; i < v->n; i++) {
        struct table *t = &v->v[i];
        for (int c = 0; c < t->ncols; c++) {
            free(t->cols[c].name);
            vec_release(&t->cols[c].fixes);
        }
        for (int p = 0; p < t->nparents; p++)
            free(t->parents[p]);
        free(t->cols);
        free(t->parents);
        free(t->name);
    }
    vec_release(v);
}

/* ---------------------------------------------------------------- the source's schema */

static int add_name(void *ctx, struct store_stmt *row)
{
    vec_append((name_vec *)ctx, xstrdup(store_col_text(row, 0)));
    return 0;
}

struct col_list {
    struct table *t;
    int cap;
};

static int add_column(void *ctx, struct store_stmt *row)
{
    struct col_list *l = ctx;
    struct table *t = l->t;
    if (t->ncols == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        t->cols = xrealloc(t->cols, (size_t)l->cap * sizeof(*t->cols));
    }
    struct column *c = &t->cols[t->ncols];
    memset(c, 0, sizeof(*c));
    c->name = xstrdup(store_col_text(row, 0));
    /* pk counts the key's columns from 1; one column only, and an INTEGER one */
    if (store_col_int(row, 1) == 1 && store_col_int(row, 3) == 1 &&
        strcmp(store_col_text(row, 2), "INTEGER") == 0)
        t->pk = t->ncols;
    t->ncols++;
    return 0;
}

static int add_parent(void *ctx, struct store_stmt *row)
{
    struct table *t = ctx;
    const char *parent = store_col_text(row, 0), *from = store_col_text(row, 1);
    if (strcmp(parent, t->name) == 0) {
        for (int c = 0; c < t->ncols; c++)
            if (strcmp(t->cols[c].name, from) == 0)
                t->cols[c].self_ref = 1;
        return 0;
    }
    t->parents = xrealloc(t->parents, (size_t)(t->nparents + 1) * sizeof(char *));
    t->parents[t->nparents++] = xstrdup(parent);
    return 0;
}

/*
 * The tables to copy, from the source's own schema: everything but SQLite's tables, virtual
 * tables with their shadow tables (the FTS5 index cases_fts*, which PostgreSQL replaces by
 * trigram indexes), and schema_migrations (each side has its own; the versions are compared).
 * This is the first read of the transaction, so it also pins the snapshot.
 */
static int read_source_schema(struct copy *cp, struct err *err)
{
    name_vec names = VEC_INIT;
    int64_t rc = store_all(
        cp->src,
        "SELECT t.name FROM sqlite_master t WHERE t.type = 'table'"
        " AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND t.name <> 'schema_migrations'"
        " AND t.sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
        " AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table'"
        "  AND v.sql LIKE 'CREATE VIRTUAL TABLE%' AND t.name LIKE v.name || '\\_%' ESCAPE '\\')"
        " ORDER BY t.name",
        STORE_NO_ARGS, add_name, &names, err);
    for (size_t i = 0; rc >= 0 && i < names.n; i++) {
        struct table *t = vec_push(&cp->tables);
        struct col_list cl = {t, 0};
        t->name = xstrdup(names.v[i]);
        t->pk = -1;
        for (size_t k = 0; k < sizeof(seeded_tables) / sizeof(seeded_tables[0]); k++)
            t->seeded |= strcmp(t->name, seeded_tables[k]) == 0;
        if ((rc = check_ident(t->name, err)) < 0 ||
            (rc = store_all(cp->src,
                            "SELECT name, pk, upper(type),"
                            " (SELECT count(*) FROM pragma_table_info(?) WHERE pk > 0)"
                            " FROM pragma_table_info(?) ORDER BY cid",
                            STORE_ARGS(store_text(t->name), store_text(t->name)), add_column, &cl,
                            err)) < 0 ||
            (rc = store_all(cp->src, "SELECT \"table\", \"from\" FROM pragma_foreign_key_list(?)",
                            STORE_ARGS(store_text(t->name)), add_parent, t, err)) < 0 ||
            (rc = store_one_i64(cp->src,
                                "SELECT upper(sql) LIKE '%WITHOUT ROWID%' FROM sqlite_master"
                                " WHERE type = 'table' AND name = ?",
                                STORE_ARGS(store_text(t->name)), &t->without_rowid, err)) < 0)
            break;
        for (int c = 0; c < t->ncols && rc >= 0; c++)
            rc = check_ident(t->cols[c].name, err);
        for (int c = 0; c < t->ncols && rc >= 0; c++)
            if (t->cols[c].self_ref && t->pk < 0)
                rc = err_set(err, ERR_INTEGRITY,
                             "table %s refers to itself but has no integer key to fix it up by",
                             t->name);
    }
    free_names(&names);
    return rc < 0 ? (int)rc : 0;
}

/* Parents before children; a cycle between tables cannot be copied row by row. */
static int sort_tables(struct copy *cp, struct err *err)
{
    table_vec sorted = VEC_INIT;
    while (sorted.n < cp->tables.n) {
        size_t before = sorted.n;
        for (size_t i = 0; i < cp->tables.n; i++) {
            struct table *t = &cp->tables.v[i];
            int ready = !t->placed;
            for (int p = 0; p < t->nparents && ready; p++) {
                struct table *parent = find_table(cp, t->parents[p]);
                ready = !parent || parent->placed;
            }
            if (ready) {
                t->placed = 1;
                vec_append(&sorted, *t);
            }
        }
        if (sorted.n == before) {
            vec_release(&sorted);
            return err_set(
                err, ERR_INTEGRITY,
                "the foreign keys between the tables form a cycle: cannot order the copy");
        }
    }
    vec_release(&cp->tables);
    cp->tables = sorted;
    return 0;
}

/* ---------------------------------------------------------------- the target's schema */

struct dst_col {
    int found; /* source columns that exist on the target */
    struct table *t;
    char *extra; /* the first target-only column with neither a default nor NULL allowed */
};

static int check_dst_column(void *ctx, struct store_stmt *row)
{
    struct dst_col *d = ctx;
    const char *name = store_col_text(row, 0);
    for (int c = 0; c < d->t->ncols; c++)
        if (strcmp(d->t->cols[c].name, name) == 0) {
            d->found++;
            return 0;
        }
    /* Only on PostgreSQL (open311_request_attributes.rowid, an identity): left to its
     * default, which must exist. */
    if (!store_col_int(row, 1) && !store_col_int(row, 2) && !d->extra)
        d->extra = xstrdup(name);
    return 0;
}

static int read_target_schema(struct copy *cp, int src_version, int dst_version, struct err *err)
{
    int64_t rc;
    if (src_version != dst_version)
        return err_set(err, ERR_CONFLICT,
                       "schema versions differ: source %d, target %d (run the same gridloop "
                       "version on both)",
                       src_version, dst_version);
    rc = store_all(cp->dst,
                   "SELECT table_name FROM information_schema.tables"
                   " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                   " AND table_name <> 'schema_migrations' ORDER BY table_name",
                   STORE_NO_ARGS, add_name, &cp->dst_tables, err);
    if (rc < 0)
        return (int)rc;
    for (size_t i = 0; i < cp->tables.n; i++) {
        struct table *t = &cp->tables.v[i];
        struct dst_col d = {0, t, NULL};
        if (!in_list(&cp->dst_tables, t->name))
            return err_set(err, ERR_CONFLICT, "schemas differ: the target has no table %s",
                           t->name);
        rc = store_all(cp->dst,
                       "SELECT column_name, is_nullable = 'YES',"
                       " column_default IS NOT NULL OR is_identity = 'YES'"
                       " FROM information_schema.columns"
                       " WHERE table_schema = current_schema() AND table_name = ?",
                       STORE_ARGS(store_text(t->name)), check_dst_column, &d, err);
        if (rc >= 0 && d.found != t->ncols)
            rc = err_set(err, ERR_CONFLICT,
                         "schemas differ: table %s has %d of its %d columns on the target", t->name,
                         d.found, t->ncols);
        if (rc >= 0 && d.extra)
            rc = err_set(err, ERR_CONFLICT,
                         "schemas differ: %s.%s exists only on the target and has no default",
                         t->name, d.extra);
        free(d.extra);
        if (rc < 0)
            return (int)rc;
    }
    for (size_t i = 0; i < cp->dst_tables.n; i++)
        if (!find_table(cp, cp->dst_tables.v[i]))
            printf("note: table %s exists only on the target: left as it is\n",
                   cp->dst_tables.v[i]);
    return 0;
}

static int count_rows(struct store_conn *c, const char *table, int64_t *n, struct err *err)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", table);
    int rc = store_one_i64(c, sql, STORE_NO_ARGS, n, err);
    return rc < 0 ? rc : 0;
}

/*
 * A target with data is refused unless --force: then every copied table is emptied (one
 * TRUNCATE, identities restarted). The tables a migration seeds are emptied either way.
 */
static int prepare_target(struct copy *cp, struct err *err)
{
    struct buf held, sql;
    int rc = 0, any = 0;
    buf_init(&held);
    buf_init(&sql);
    for (size_t i = 0; i < cp->tables.n && rc == 0; i++) {
        struct table *t = &cp->tables.v[i];
        int64_t n = 0;
        if (t->seeded || (rc = count_rows(cp->dst, t->name, &n, err)) < 0 || n == 0)
            continue;
        if (held.len < 120)
            buf_printf(&held, "%s%s (%lld rows)", held.len ? ", " : "", t->name, (long long)n);
        any = 1;
    }
    if (rc == 0 && any && !cp->force)
        rc = err_set(err, ERR_CONFLICT,
                     "the target already holds data: %s%s; copy into an empty database, or pass "
                     "--force to replace it",
                     held.p, held.len >= 120 ? ", ..." : "");
    if (rc == 0) {
        if (any)
            printf("--force: emptying the target's tables (%s%s)\n", held.p,
                   held.len >= 120 ? ", ..." : "");
        for (size_t i = 0; i < cp->tables.n; i++)
            if (any || cp->tables.v[i].seeded)
                buf_printf(&sql, "%s\"%s\"", sql.len ? ", " : "TRUNCATE ", cp->tables.v[i].name);
        if (sql.len) {
            buf_puts(&sql, " RESTART IDENTITY CASCADE");
            int64_t n = store_run(cp->dst, sql.p, STORE_NO_ARGS, err);
            rc = n < 0 ? (int)n : 0;
        }
    }
    buf_release(&held);
    buf_release(&sql);
    return rc;
}

/* ---------------------------------------------------------------- copying rows */

struct batch {
    struct arena a;
    struct store_arg *args;
    int rows, per; /* rows bound so far, rows per full INSERT */
    char *full_sql;
};

static char *insert_sql(const struct table *t, int rows)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "INSERT INTO \"%s\" (", t->name);
    for (int c = 0; c < t->ncols; c++)
        buf_printf(&b, "%s\"%s\"", c ? ", " : "", t->cols[c].name);
    buf_puts(&b, ") VALUES ");
    for (int r = 0; r < rows; r++) {
        buf_puts(&b, r ? ", (" : "(");
        for (int c = 0; c < t->ncols; c++)
            buf_puts(&b, c ? ", ?" : "?");
        buf_putc(&b, ')');
    }
    return buf_detach(&b, NULL);
}

static int flush(struct copy *cp, const struct table *t, struct batch *b, struct err *err)
{
    if (!b->rows)
        return 0;
    char *partial = b->rows == b->per ? NULL : insert_sql(t, b->rows);
    struct store_args args = {b->args, (size_t)b->rows * (size_t)t->ncols};
    int64_t n = store_run(cp->dst, partial ? partial : b->full_sql, args, err);
    free(partial);
    arena_release(&b->a);
    arena_init(&b->a, 64 * 1024);
    b->rows = 0;
    if (n < 0)
        return err_context(err, (int)n, "copying", t->name);
    return 0;
}

/* One source value, bound with the type SQLite stored it with (the query gives typeof() in
 * column 2k and the value in 2k+1). */
static struct store_arg value_of(struct store_stmt *s, int k, struct arena *a)
{
    const char *type = store_col_text(s, 2 * k);
    int col = 2 * k + 1;
    size_t n;
    const void *p;
    switch (type[0]) {
    case 'i': return store_i64(store_col_int(s, col));
    case 'r': return store_real(store_col_real(s, col));
    case 't': return store_text(arena_strdup(a, store_col_text(s, col)));
    case 'b':
        p = store_col_blob(s, col, &n);
        void *copy = arena_alloc(a, n ? n : 1);
        memcpy(copy, p, n);
        return store_blob(copy, n);
    }
    return store_null();
}

/* The self-references left out while copying, now that every row they may point at exists
 * (in the table's transaction). */
static int fix_self_refs(struct copy *cp, struct table *t, struct err *err)
{
    for (int c = 0; c < t->ncols; c++) {
        fix_vec *fx = &t->cols[c].fixes;
        char sql[200];
        if (!fx->n)
            continue; /* no self-reference, or none set */
        snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET \"%s\" = ? WHERE \"%s\" = ?", t->name,
                 t->cols[c].name, t->cols[t->pk].name);
        for (size_t i = 0; i < fx->n; i++) {
            int64_t n = store_run(
                cp->dst, sql, STORE_ARGS(store_i64(fx->v[i].value), store_i64(fx->v[i].key)), err);
            if (n < 0)
                return err_context(err, (int)n, "fixing up", t->cols[c].name);
        }
        vec_release(fx);
    }
    return 0;
}

struct index_def {
    name_vec names, defs;
};

static int add_index(void *ctx, struct store_stmt *row)
{
    struct index_def *d = ctx;
    vec_append(&d->names, xstrdup(store_col_text(row, 0)));
    vec_append(&d->defs, xstrdup(store_col_text(row, 1)));
    return 0;
}

/*
 * Secondary indexes are dropped before the rows go in and built again afterwards, inside the
 * table's transaction (PostgreSQL's DDL is transactional: a failure or a kill gives the table
 * back as it was, indexes included). Building the trigram indexes once costs a third of
 * maintaining them row by row. Unique indexes stay: they are constraints.
 */
static int drop_indexes(struct copy *cp, struct table *t, struct index_def *d, struct err *err)
{
    int64_t rc = store_all(cp->dst,
                           "SELECT indexname, indexdef FROM pg_indexes"
                           " WHERE schemaname = current_schema() AND tablename = ?"
                           " AND indexdef NOT LIKE 'CREATE UNIQUE INDEX%' ORDER BY indexname",
                           STORE_ARGS(store_text(t->name)), add_index, d, err);
    for (size_t i = 0; rc >= 0 && i < d->names.n; i++) {
        char sql[160];
        if ((rc = check_ident(d->names.v[i], err)) < 0)
            break;
        snprintf(sql, sizeof(sql), "DROP INDEX \"%s\"", d->names.v[i]);
        rc = store_run(cp->dst, sql, STORE_NO_ARGS, err);
    }
    return rc < 0 ? (int)rc : 0;
}

static int build_indexes(struct copy *cp, struct index_def *d, struct err *err)
{
    /* A trigram index builds in a fraction of the time with room to sort in (this session
     * only; the server's default is 64MB). */
    if (d->defs.n) {
        int64_t rc =
            store_run(cp->dst, "SET LOCAL maintenance_work_mem = '512MB'", STORE_NO_ARGS, err);
        if (rc < 0)
            return (int)rc;
    }
    for (size_t i = 0; i < d->defs.n; i++) {
        /* the definition as the target's catalog gave it, not input */
        int64_t rc = store_run(cp->dst, d->defs.v[i], STORE_NO_ARGS, err);
        if (rc < 0)
            return err_context(err, (int)rc, "rebuilding index", d->names.v[i]);
    }
    return 0;
}

/* One table in one target transaction: its indexes dropped, the rows in multi-row INSERTs of
 * a few thousand values, the self-references set, the indexes built again. */
static int copy_table(struct copy *cp, struct table *t, struct err *err)
{
    struct buf sel;
    struct store_stmt *s = NULL;
    struct batch b = {0};
    struct index_def idx = {VEC_INIT, VEC_INIT};
    uint64_t t0 = clock_mono_ns();
    int rc, in_tx = 0;
    buf_init(&sel);
    buf_puts(&sel, "SELECT ");
    for (int c = 0; c < t->ncols; c++)
        buf_printf(&sel, "%stypeof(\"%s\"), \"%s\"", c ? ", " : "", t->cols[c].name,
                   t->cols[c].name);
    /* A WITHOUT ROWID table (sensor_readings) has no rowid to order by; a scan of it already
     * follows its primary key. */
    buf_printf(&sel, " FROM \"%s\"%s", t->name, t->without_rowid ? "" : " ORDER BY rowid");
    b.per = VALUES_PER_INSERT / t->ncols > 0 ? VALUES_PER_INSERT / t->ncols : 1;
    b.args = xmalloc((size_t)b.per * (size_t)t->ncols * sizeof(*b.args));
    b.full_sql = insert_sql(t, b.per);
    arena_init(&b.a, 64 * 1024);
    if ((rc = store_begin(cp->dst, err)) < 0)
        goto out;
    in_tx = 1;
    if ((rc = drop_indexes(cp, t, &idx, err)) < 0 ||
        (rc = store_prepare(cp->src, sel.p, STORE_NO_ARGS, &s, err)) < 0)
        goto out;
    while ((rc = store_step(s, err)) == 1) {
        struct store_arg *row = &b.args[(size_t)b.rows * (size_t)t->ncols];
        for (int c = 0; c < t->ncols; c++) {
            row[c] = value_of(s, c, &b.a);
            if (t->cols[c].self_ref && row[c].type != 'n') {
                struct fix f = {store_col_int(s, 2 * t->pk + 1), row[c].i};
                if (row[c].type != 'i') {
                    rc = err_set(err, ERR_INTEGRITY, "%s.%s holds a value that is not a key",
                                 t->name, t->cols[c].name);
                    goto out;
                }
                vec_append(&t->cols[c].fixes, f);
                row[c] = store_null();
            }
        }
        t->src_rows++;
        if (++b.rows == b.per && (rc = flush(cp, t, &b, err)) < 0)
            goto out;
        if (t->src_rows % PROGRESS_ROWS == 0) {
            printf("  %s: %lld rows, %.1f s\n", t->name, (long long)t->src_rows, seconds_since(t0));
            fflush(stdout);
        }
    }
    store_done(s);
    s = NULL;
    if (rc < 0 || (rc = flush(cp, t, &b, err)) < 0 || (rc = fix_self_refs(cp, t, err)) < 0)
        goto out;
    if (idx.defs.n && t->src_rows >= PROGRESS_ROWS) {
        printf("  %s: building %zu indexes, %.1f s\n", t->name, idx.defs.n, seconds_since(t0));
        fflush(stdout);
    }
    if ((rc = build_indexes(cp, &idx, err)) < 0)
        goto out;
    if (idx.defs.n && t->src_rows >= PROGRESS_ROWS)
        printf("  %s: indexes built, %.1f s\n", t->name, seconds_since(t0));
    rc = store_commit(cp->dst, err);
    in_tx = 0;
out:
    store_done(s);
    if (in_tx)
        store_rollback(cp->dst);
    free_names(&idx.names);
    free_names(&idx.defs);
    arena_release(&b.a);
    free(b.args);
    free(b.full_sql);
    buf_release(&sel);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- after the copy */

/* Identities (every INTEGER PRIMARY KEY became one) continue above the copied keys: without
 * this the next case would be given id 1 and collide. */
static int reset_identity(struct copy *cp, const char *table, const char *col, struct err *err)
{
    char sql[256];
    int64_t next;
    int rc = check_ident(col, err);
    if (rc < 0)
        return rc;
    snprintf(sql, sizeof(sql),
             "SELECT setval(pg_get_serial_sequence(?, ?),"
             " coalesce((SELECT max(\"%s\") FROM \"%s\"), 0) + 1, false)",
             col, table);
    rc = store_one_i64(cp->dst, sql, STORE_ARGS(store_text(table), store_text(col)), &next, err);
    return rc < 0 ? rc : 0;
}

static int reset_identities(struct copy *cp, struct err *err)
{
    for (size_t i = 0; i < cp->tables.n; i++) {
        const char *table = cp->tables.v[i].name;
        name_vec cols = VEC_INIT;
        int64_t rc = store_all(cp->dst,
                               "SELECT column_name FROM information_schema.columns"
                               " WHERE table_schema = current_schema() AND table_name = ?"
                               " AND is_identity = 'YES'",
                               STORE_ARGS(store_text(table)), add_name, &cols, err);
        for (size_t k = 0; rc >= 0 && k < cols.n; k++)
            rc = reset_identity(cp, table, cols.v[k], err);
        free_names(&cols);
        if (rc < 0)
            return (int)rc;
    }
    return 0;
}

static int compare_counts(struct copy *cp, struct err *err)
{
    for (size_t i = 0; i < cp->tables.n; i++) {
        struct table *t = &cp->tables.v[i];
        int rc = count_rows(cp->dst, t->name, &t->dst_rows, err);
        if (rc < 0)
            return rc;
        if (t->dst_rows != t->src_rows)
            return err_set(err, ERR_INTEGRITY,
                           "table %s: %lld rows read from the source but %lld on the target",
                           t->name, (long long)t->src_rows, (long long)t->dst_rows);
    }
    return 0;
}

static int verify_audit(struct copy *cp, struct err *err)
{
    struct audit_report rep;
    struct table *log = find_table(cp, "audit_log");
    int rc = audit_verify(cp->dst, &rep, err);
    if (rc < 0)
        return rc;
    if (rep.first_bad_seq)
        return err_set(err, ERR_INTEGRITY, "audit chain on the target BROKEN at entry %lld: %s",
                       (long long)rep.first_bad_seq, rep.reason);
    if (log && rep.entries != log->src_rows)
        return err_set(err, ERR_INTEGRITY, "audit chain on the target has %lld of %lld entries",
                       (long long)rep.entries, (long long)log->src_rows);
    printf("audit chain on the target intact: %lld entries\n", (long long)rep.entries);
    return 0;
}

/* ---------------------------------------------------------------- the command */

static int copy_tables(struct copy *cp, struct err *err)
{
    int rc;
    /* BEGIN is deferred: the first SELECT (read_source_schema) pins the WAL snapshot, and no
     * write lock is taken, so the server goes on committing while we read. */
    if ((rc = (int)store_run(cp->src, "BEGIN", STORE_NO_ARGS, err)) < 0)
        return rc;
    if ((rc = read_source_schema(cp, err)) < 0 || (rc = sort_tables(cp, err)) < 0) {
        store_rollback(cp->src);
        return rc;
    }
    printf("source snapshot taken: %zu tables\n", cp->tables.n);
    fflush(stdout);
    return 0;
}

static int copy_data(struct copy *cp, struct err *err)
{
    int rc = 0;
    for (size_t i = 0; i < cp->tables.n && rc == 0; i++) {
        struct table *t = &cp->tables.v[i];
        uint64_t t0 = clock_mono_ns();
        rc = copy_table(cp, t, err);
        t->seconds = seconds_since(t0);
        if (rc == 0) {
            printf("  %-28s %10lld rows %8.2f s\n", t->name, (long long)t->src_rows, t->seconds);
            fflush(stdout);
        }
    }
    /* The snapshot is no longer needed: let the server's checkpoints pass it. */
    store_rollback(cp->src);
    return rc;
}

struct copy_opts {
    const char *from, *to;
    int force;
};

static int parse(int argc, char **argv, struct copy_opts *o, struct err *err)
{
    static const struct {
        const char *flag;
        size_t offset;
    } valued[] = {
        {"--from", offsetof(struct copy_opts, from)},
        {"--to", offsetof(struct copy_opts, to)},
    };
    for (int i = 3; i < argc; i++) {
        size_t k, n = sizeof(valued) / sizeof(valued[0]);
        if (strcmp(argv[i], "--force") == 0) {
            o->force = 1;
            continue;
        }
        for (k = 0; k < n; k++) {
            size_t fl = strlen(valued[k].flag);
            const char **slot = (const char **)((char *)o + valued[k].offset);
            if (strncmp(argv[i], valued[k].flag, fl) != 0 || (argv[i][fl] && argv[i][fl] != '='))
                continue;
            if (argv[i][fl] == '=')
                *slot = argv[i] + fl + 1;
            else if (i + 1 < argc)
                *slot = argv[++i];
            else
                return err_set(err, ERR_BAD_REQUEST, "option '%s' needs a value", argv[i]);
            break;
        }
        if (k == n)
            return err_set(err, ERR_BAD_REQUEST,
                           "unknown option or argument '%s' (see gridloop --help)", argv[i]);
    }
    if (!o->from || !o->to)
        return err_set(err, ERR_BAD_REQUEST,
                       "store copy needs --from sqlite:FILE and --to postgresql://...");
    if (strncmp(o->from, "sqlite:", 7) == 0)
        o->from += 7;
    if (store_is_postgresql(o->from))
        return err_set(err, ERR_BAD_REQUEST, "--from must be a SQLite database file");
    if (!store_is_postgresql(o->to))
        return err_set(err, ERR_BAD_REQUEST, "--to must be a postgresql:// URL, not '%s'", o->to);
    return 0;
}

/* A SQLite database file, not a path SQLite would create an empty database at. */
static int check_source_file(const char *path, struct err *err)
{
    char head[16];
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_BAD_REQUEST, "--from: cannot open '%s': %s", path, strerror(errno));
    size_t n = fread(head, 1, sizeof(head), f);
    fclose(f);
    if (n != sizeof(head) || memcmp(head, "SQLite format 3", 16) != 0)
        return err_set(err, ERR_BAD_REQUEST, "--from: '%s' is not a SQLite database", path);
    return 0;
}

static int open_side(const char *what, const char *path, struct store **st, struct store_conn **c,
                     struct err *err)
{
    struct store_options so = {.path = path, .busy_timeout_ms = 10000};
    int rc = store_open(st, &so, err);
    if (rc == 0 && (rc = store_conn(*st, c, err)) < 0) {
        store_close(*st);
        *st = NULL;
    }
    if (rc < 0)
        return err_context(err, rc, what, "database");
    return 0;
}

static void summary(const struct copy *cp, double total)
{
    int64_t rows = 0;
    printf("\n%-30s %10s %8s\n", "table", "rows", "seconds");
    for (size_t i = 0; i < cp->tables.n; i++) {
        const struct table *t = &cp->tables.v[i];
        printf("%-30s %10lld %8.2f\n", t->name, (long long)t->dst_rows, t->seconds);
        rows += t->dst_rows;
    }
    printf("copied %zu tables, %lld rows in %.1f s\n", cp->tables.n, (long long)rows, total);
}

int cli_store(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct copy_opts o = {0};
    struct copy cp = {0};
    struct store *src = NULL, *dst = NULL;
    struct cli_store_files files = {0};
    uint64_t t0 = clock_mono_ns();
    int rc;
    if (argc < 3 || strcmp(argv[2], "copy") != 0)
        return err_set(err, ERR_BAD_REQUEST,
                       "usage: gridloop store copy --from sqlite:FILE --to "
                       "postgresql://USER@HOST:PORT/DB [--force]");
    if ((rc = parse(argc, argv, &o, err)) < 0 || (rc = check_source_file(o.from, err)) < 0)
        return rc;
    cp.force = o.force;
    char *shown = cli_store_redact(o.to);
    printf("copying %s to %s\n", o.from, shown);
    if ((rc = open_side("source", o.from, &src, &cp.src, err)) < 0 ||
        (rc = open_side("target", o.to, &dst, &cp.dst, err)) < 0)
        goto out;
    if ((rc = cli_store_files_plan(cf, o.from, o.to, o.force, &files, err)) < 0 ||
        (rc = copy_tables(&cp, err)) < 0)
        goto out;
    if ((rc = read_target_schema(&cp, store_schema_version(src), store_schema_version(dst), err)) <
            0 ||
        (rc = prepare_target(&cp, err)) < 0) {
        store_rollback(cp.src);
        goto out;
    }
    if ((rc = copy_data(&cp, err)) < 0 || (rc = reset_identities(&cp, err)) < 0 ||
        (rc = compare_counts(&cp, err)) < 0 || (rc = store_optimize(cp.dst, err)) < 0 ||
        (rc = verify_audit(&cp, err)) < 0 || (rc = cli_store_files_copy(&files, err)) < 0)
        goto out;
    summary(&cp, seconds_since(t0));
    printf("serve it with: gridloop serve --db %s\n", shown);
out:
    cli_store_files_release(&files);
    free_tables(&cp.tables);
    free_names(&cp.dst_tables);
    store_close(src);
    store_close(dst);
    free(shown);
    return rc;
}
