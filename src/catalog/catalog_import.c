/*
 * Imports: a table (CSV or XLSX, read by a catalog_reader over src/tabular) loaded into a dataset's rows, every
 * value checked by its field's type, all in the caller's transaction: any bad row and nothing is
 * kept (the caller rolls back), the report lists the errors by line and field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "store/store.h"
#include "tabular/tabular.h"

/* ---- regions, for region fields and addresses ---- */

struct region_ent {
    int64_t id;
    const char *code, *name;
    int depth; /* district 0 .. micro 4 */
};
typedef VEC(struct region_ent) region_vec;

static int push_region(void *ctx, struct store_stmt *row)
{
    region_vec *v = ctx;
    struct region_ent *r = vec_push(v);
    r->id = store_col_int(row, 0);
    r->code = arena_strdup(v->arena, store_col_text(row, 1));
    r->name = arena_strdup(v->arena, store_col_text(row, 2));
    const char *l = store_col_text(row, 3);
    r->depth = strcmp(l, "district") == 0    ? 0
               : strcmp(l, "street") == 0    ? 1
               : strcmp(l, "community") == 0 ? 2
               : strcmp(l, "grid") == 0      ? 3
                                             : 4;
    return 0;
}

static int by_code(const void *x, const void *y)
{
    return strcmp(((const struct region_ent *)x)->code, ((const struct region_ent *)y)->code);
}

static int by_name(const void *x, const void *y)
{
    const struct region_ent *p = *(const struct region_ent *const *)x;
    const struct region_ent *q = *(const struct region_ent *const *)y;
    int c = strcmp(p->name, q->name);
    return c ? c : q->depth - p->depth; /* the deepest of a name first */
}

int catalog_regions_load(struct store_conn *c, struct arena *a, struct catalog_regions *out,
                         struct err *err)
{
    region_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT id, code, name, level FROM regions", STORE_NO_ARGS,
                           push_region, &v, err);
    if (rc < 0)
        return (int)rc;
    memset(out, 0, sizeof(*out));
    out->v = v.v;
    out->n = v.n;
    if (!v.n)
        return 0;
    qsort(out->v, out->n, sizeof(*out->v), by_code);
    out->byname = arena_alloc(a, out->n * sizeof(*out->byname));
    out->areas = arena_alloc(a, out->n * sizeof(*out->areas));
    for (size_t i = 0; i < out->n; i++) {
        out->byname[i] = &out->v[i];
        if (out->v[i].depth >= 1 && out->v[i].depth <= 2 && strlen(out->v[i].name) >= 6)
            out->areas[out->nareas++] = &out->v[i];
    }
    qsort(out->byname, out->n, sizeof(*out->byname), by_name);
    qsort(out->areas, out->nareas, sizeof(*out->areas), by_name);
    return 0;
}

/* A region field's value: a region code or name (the deepest of that name). */
int64_t catalog_region_of_value(const struct catalog_regions *r, const char *v)
{
    if (!r->n)
        return 0;
    struct region_ent key = {.code = v};
    const struct region_ent *e = bsearch(&key, r->v, r->n, sizeof(*r->v), by_code);
    if (e)
        return e->id;
    /* The first of the entries of that name (by_name's order) is the deepest. */
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(r->byname[mid]->name, v) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && strcmp(r->byname[lo]->name, v) == 0 ? r->byname[lo]->id : 0;
}

/* An address: the longest street or community name it contains (the community when both).
 * The areas are sorted by name, so at each character of the address the names it could start
 * there lie between the first name with that character and the address's rest itself: a city
 * tree of thousands of communities costs a few binary searches per character, not a strstr per
 * community. */
static size_t areas_bound(const struct catalog_regions *r, const char *s, size_t n, int upper)
{
    size_t lo = 0, hi = r->nareas;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strncmp(r->areas[mid]->name, s, n) < upper)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int64_t catalog_region_of_address(const struct catalog_regions *r, const char *v)
{
    int64_t best = 0;
    int depth = -1;
    size_t len = 0;
    for (const char *s = v; *s; s++) {
        if (((unsigned char)*s & 0xC0) == 0x80) /* not the start of a character */
            continue;
        size_t ch = 1;
        while (s[ch] && ((unsigned char)s[ch] & 0xC0) == 0x80)
            ch++;
        /* Names starting with this character: from the first of them up to the rest of the
         * address (a name that is a prefix of it sorts before it). */
        size_t i = areas_bound(r, s, ch, 0), end = areas_bound(r, s, strlen(s), 1);
        for (; i < end && i < r->nareas; i++) {
            const struct region_ent *e = r->areas[i];
            size_t n = strlen(e->name);
            if (strncmp(e->name, s, n) != 0)
                continue;
            if (e->depth > depth || (e->depth == depth && n > len)) {
                best = e->id;
                depth = e->depth;
                len = n;
            }
        }
    }
    return best;
}

/* ---- the import ---- */

#define BATCH 400 /* rows per INSERT (2,000 parameters) */

struct loader {
    struct store_conn *c;
    int64_t dataset_id, import_id;
    struct buf data[BATCH];
    int64_t row_no[BATCH], region[BATCH];
    size_t n;
    struct store_arg args[BATCH * 5]; /* on the heap with the loader: 96 kB */
};

static int flush(struct loader *l, struct err *err)
{
    if (!l->n)
        return 0;
    struct buf sql;
    buf_init(&sql);
    buf_puts(&sql,
             "INSERT INTO dataset_rows (dataset_id, row_no, region_id, data, import_id) VALUES ");
    struct store_arg *args = l->args;
    for (size_t i = 0; i < l->n; i++) {
        buf_puts(&sql, i ? ", (?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?)");
        args[i * 5] = store_i64(l->dataset_id);
        args[i * 5 + 1] = store_i64(l->row_no[i]);
        args[i * 5 + 2] = store_i64_or_null(l->region[i]);
        args[i * 5 + 3] = store_text(l->data[i].p ? l->data[i].p : "");
        args[i * 5 + 4] = store_i64(l->import_id);
    }
    int64_t rc = store_run(l->c, sql.p, (struct store_args){args, l->n * 5}, err);
    buf_release(&sql);
    l->n = 0;
    return rc < 0 ? (int)rc : 0;
}

static void add_error(struct catalog_import_report *rep, struct arena *a, int64_t line,
                      const char *field, const char *reason)
{
    if (rep->nerrors < CATALOG_ERRORS_MAX) {
        struct catalog_import_error *e = &rep->errors[rep->nerrors++];
        e->line = line;
        e->field = arena_strdup(a, field);
        e->reason = arena_strdup(a, reason);
    }
    rep->errors_total++;
}

static const char *trim(struct arena *a, const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    /* A full-width space too (U+3000), common in hand-kept sheets. */
    while (n >= 3 && memcmp(s + n - 3, "\xe3\x80\x80", 3) == 0)
        n -= 3;
    while (n >= 3 && memcmp(s, "\xe3\x80\x80", 3) == 0) {
        s += 3;
        n -= 3;
    }
    return arena_strndup(a, s, n);
}

int catalog_import(struct store_conn *c, const struct catalog_dataset *d, struct catalog_reader *r,
                   const char *mode, const char *filename, int64_t user_id, int64_t now,
                   struct arena *a, struct catalog_import_report *rep, struct err *err)
{
    memset(rep, 0, sizeof(*rep));
    rep->errors = arena_alloc(a, CATALOG_ERRORS_MAX * sizeof(*rep->errors));
    rep->encoding = r->encoding;
    if (strcmp(d->source, "import") != 0)
        return err_field(err, ERR_CONFLICT, "source",
                         "dataset %s reads a gridloop source and takes no import", d->code);
    if (strcmp(mode, "replace") != 0 && strcmp(mode, "append") != 0)
        return err_field(err, ERR_BAD_REQUEST, "mode", "'mode' must be replace or append");
    const char *const *cells;
    size_t ncells;
    int64_t line;
    int rc = r->next(r->ud, &cells, &ncells, &line, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_BAD_REQUEST, "file", "the file is empty");
    /* The header: each column is a field, by name or label. */
    size_t nf = d->nfields;
    int *col_field = arena_alloc(a, (ncells + 1) * sizeof(int));
    int *seen = arena_alloc(a, (nf + 1) * sizeof(int));
    memset(seen, 0, (nf + 1) * sizeof(int));
    struct arena tmp;
    arena_init(&tmp, 1 << 16);
    size_t ncols = ncells;
    for (size_t j = 0; j < ncells; j++) {
        const char *h = trim(&tmp, cells[j]);
        col_field[j] = -1;
        for (size_t i = 0; i < nf; i++)
            if (strcmp(h, d->fields[i].name) == 0 || strcmp(h, d->fields[i].label) == 0)
                col_field[j] = (int)i;
        if (col_field[j] < 0 && *h)
            add_error(rep, a, line, h, "表头中的列不是本资源的字段");
        else if (col_field[j] >= 0 && seen[col_field[j]]++)
            add_error(rep, a, line, d->fields[col_field[j]].name, "表头中的列重复");
    }
    for (size_t i = 0; i < nf; i++)
        if (!seen[i] && d->fields[i].required)
            add_error(rep, a, line, d->fields[i].name, "表头缺少必填字段");
    if (rep->errors_total) {
        arena_release(&tmp);
        return err_field(err, ERR_BAD_REQUEST, "file",
                         "the header does not match the dataset's fields");
    }
    struct catalog_regions regions = {0};
    int region_field = -1, address_field = -1;
    for (size_t i = 0; i < nf; i++) {
        if (region_field < 0 && strcmp(d->fields[i].type, "region") == 0)
            region_field = (int)i;
        if (address_field < 0 && strcmp(d->fields[i].type, "address") == 0)
            address_field = (int)i;
    }
    if ((region_field >= 0 || address_field >= 0) &&
        (rc = catalog_regions_load(c, a, &regions, err)) < 0) {
        arena_release(&tmp);
        return rc;
    }
    /* The import record first: its id marks the rows. */
    int64_t next_row = 0;
    if (strcmp(mode, "replace") == 0) {
        int64_t r2 = store_run(c, "DELETE FROM dataset_rows WHERE dataset_id = ?",
                               STORE_ARGS(store_i64(d->id)), err);
        rc = r2 < 0 ? (int)r2 : 0;
    } else {
        rc = store_one_i64(c,
                           "SELECT coalesce(max(row_no), 0) FROM dataset_rows WHERE dataset_id = ?",
                           STORE_ARGS(store_i64(d->id)), &next_row, err);
    }
    if (rc >= 0)
        rc = store_one_i64(c,
                           "INSERT INTO dataset_imports (dataset_id, filename, format, encoding,"
                           " mode, rows_loaded, created_by, created_at)"
                           " VALUES (?, ?, ?, ?, ?, 0, ?, ?) RETURNING id",
                           STORE_ARGS(store_i64(d->id), store_text(filename), store_text(r->format),
                                      store_text(r->encoding), store_text(mode),
                                      store_i64_or_null(user_id), store_i64(now)),
                           &rep->import_id, err);
    if (rc < 0) {
        arena_release(&tmp);
        return rc;
    }
    struct loader *l = xcalloc(1, sizeof(*l));
    l->c = c;
    l->dataset_id = d->id;
    l->import_id = rep->import_id;
    for (size_t i = 0; i < BATCH; i++)
        buf_init(&l->data[i]);
    const char **vals = arena_alloc(a, (nf + 1) * sizeof(*vals));
    while ((rc = r->next(r->ud, &cells, &ncells, &line, err)) > 0) {
        int empty = 1;
        for (size_t j = 0; j < ncells && empty; j++)
            if (*cells[j])
                empty = 0;
        if (empty)
            continue; /* a blank line */
        rep->rows_read++;
        arena_release(&tmp);
        arena_init(&tmp, 1 << 16);
        int bad = 0, bad_row = 0;
        for (size_t i = 0; i < nf; i++)
            vals[i] = "";
        for (size_t j = 0; j < ncells; j++) {
            if (j >= ncols) {
                if (*cells[j]) {
                    add_error(rep, a, line, "", "列数多于表头");
                    bad = bad_row = 1;
                    break;
                }
                continue;
            }
            if (col_field[j] >= 0)
                vals[col_field[j]] = trim(&tmp, cells[j]);
        }
        int64_t region = 0;
        for (size_t i = 0; i < nf && !bad_row; i++) {
            const struct catalog_field *f = &d->fields[i];
            const char *v = vals[i], *reason = NULL;
            if (!*v) {
                if (f->required)
                    reason = "必填项为空";
            } else if (strlen(v) > CATALOG_VALUE_MAX) {
                reason = "内容过长";
            } else if (strchr(v, CATALOG_SEP) || utf8_invalid_at(v, strlen(v)) >= 0) {
                reason = "含有无法识别的字符";
            } else if (!catalog_value_valid(f->type, v, &reason)) {
                /* reason set */
            } else if ((int)i == region_field) {
                region = catalog_region_of_value(&regions, v);
                if (!region)
                    reason = "区域不存在";
            }
            if (reason) {
                add_error(rep, a, line, f->name, reason);
                bad = 1;
            }
        }
        if (bad || rep->errors_total)
            continue; /* keep checking, write no more */
        if (!region && address_field >= 0 && *vals[address_field])
            region = catalog_region_of_address(&regions, vals[address_field]);
        struct buf *b = &l->data[l->n];
        buf_reset(b);
        for (size_t i = 0; i < nf; i++) {
            if (i)
                buf_putc(b, CATALOG_SEP);
            buf_puts(b, vals[i]);
        }
        buf_putc(b, '\0');
        l->row_no[l->n] = ++next_row;
        l->region[l->n] = region;
        rep->rows_loaded++;
        if (++l->n == BATCH && (rc = flush(l, err)) < 0)
            break;
    }
    if (rc >= 0 && !rep->errors_total)
        rc = flush(l, err);
    for (size_t i = 0; i < BATCH; i++)
        buf_release(&l->data[i]);
    free(l);
    arena_release(&tmp);
    if (rc < 0)
        return rc;
    if (rep->errors_total) {
        rep->rows_loaded = 0;
        return err_field(err, ERR_BAD_REQUEST, "file", "%lld problems in the file; nothing loaded",
                         (long long)rep->errors_total);
    }
    if (!rep->rows_read)
        return err_field(err, ERR_BAD_REQUEST, "file", "the file has a header and no rows");
    int64_t r3 = store_run(c, "UPDATE dataset_imports SET rows_loaded = ? WHERE id = ?",
                           STORE_ARGS(store_i64(rep->rows_loaded), store_i64(rep->import_id)), err);
    if (r3 >= 0)
        r3 = store_run(
            c,
            "UPDATE datasets SET row_count = (SELECT count(*) FROM dataset_rows WHERE"
            " dataset_id = ?), loaded_at = ?, updated_at = ? WHERE id = ?",
            STORE_ARGS(store_i64(d->id), store_i64(now), store_i64(now), store_i64(d->id)), err);
    if (r3 >= 0)
        r3 = store_one_i64(c, "SELECT row_count FROM datasets WHERE id = ?",
                           STORE_ARGS(store_i64(d->id)), &rep->row_count, err);
    return r3 < 0 ? (int)r3 : 0;
}

static int row_region(const struct catalog_dataset *d, const struct catalog_regions *regions,
                      const char *const *vals, int64_t *region)
{
    *region = 0;
    for (size_t i = 0; i < d->nfields && !*region; i++)
        if (strcmp(d->fields[i].type, "region") == 0 && *vals[i])
            *region = catalog_region_of_value(regions, vals[i]);
    for (size_t i = 0; i < d->nfields && !*region; i++)
        if (strcmp(d->fields[i].type, "address") == 0 && *vals[i])
            *region = catalog_region_of_address(regions, vals[i]);
    return 0;
}

int catalog_rows_carry_over(struct store_conn *c, const struct catalog_dataset *d,
                            const char **const *rows, size_t n, int64_t now, struct err *err)
{
    struct arena a;
    arena_init(&a, 1 << 14);
    struct catalog_regions regions;
    int64_t next_row = 0;
    int rc = catalog_regions_load(c, &a, &regions, err);
    if (rc >= 0)
        rc = store_one_i64(c,
                           "SELECT coalesce(max(row_no), 0) FROM dataset_rows WHERE dataset_id = ?",
                           STORE_ARGS(store_i64(d->id)), &next_row, err);
    struct loader *l = xcalloc(1, sizeof(*l));
    l->c = c;
    l->dataset_id = d->id;
    if (rc >= 0)
        rc = store_one_i64(c,
                           "SELECT coalesce(max(id), 0) FROM dataset_imports WHERE dataset_id = ?",
                           STORE_ARGS(store_i64(d->id)), &l->import_id, err);
    for (size_t i = 0; i < BATCH; i++)
        buf_init(&l->data[i]);
    for (size_t k = 0; rc >= 0 && k < n; k++) {
        struct buf *b = &l->data[l->n];
        buf_reset(b);
        for (size_t i = 0; i < d->nfields; i++) {
            if (i)
                buf_putc(b, CATALOG_SEP);
            buf_puts(b, rows[k][i]);
        }
        buf_putc(b, '\0');
        row_region(d, &regions, rows[k], &l->region[l->n]);
        l->row_no[l->n] = ++next_row;
        if (++l->n == BATCH)
            rc = flush(l, err);
    }
    if (rc >= 0)
        rc = flush(l, err);
    for (size_t i = 0; i < BATCH; i++)
        buf_release(&l->data[i]);
    free(l);
    arena_release(&a);
    if (rc >= 0) {
        int64_t r = store_run(c,
                              "UPDATE datasets SET row_count = (SELECT count(*) FROM dataset_rows"
                              " WHERE dataset_id = ?), loaded_at = ? WHERE id = ?",
                              STORE_ARGS(store_i64(d->id), store_i64(now), store_i64(d->id)), err);
        rc = r < 0 ? (int)r : 0;
    }
    return rc;
}

/* ---- the table: src/tabular's reader ---- */

static int table_next(void *ud, const char *const **cells, size_t *n, int64_t *line,
                      struct err *err)
{
    return tabular_next(ud, cells, n, line, err);
}

static void table_close(void *ud)
{
    tabular_close(ud);
}

int catalog_table_reader(const char *data, size_t len, const char *format, struct catalog_reader *r,
                         struct err *err)
{
    struct tabular *t;
    /* The cells may be as long as tabular allows: an over-long value is a row's error
     * (CATALOG_VALUE_MAX, 内容过长), not the file's. */
    int rc = tabular_open(data, len, format, NULL, &t, err);
    if (rc < 0) {
        tabular_close(t);
        return rc;
    }
    r->ud = t;
    r->next = table_next;
    r->close = table_close;
    r->format = tabular_format(t);
    r->encoding = tabular_encoding(t);
    return 0;
}
