/*
 * Access through a grant (docs/data-sharing.md, "脱敏", "聚合与抑制", "水印"): masked rows in the
 * grant's region, aggregates over masked groups with small cells suppressed and Laplace noise,
 * and the trace of a leaked export back to its grant.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/err.h"
#include "core/mem.h"
#include "grant/grant.h"
#include "store/store.h"

/* The granted columns of d in its order, and whether each is shown in clear. */
static size_t granted(const struct grant_rec *g, const struct catalog_dataset *d, struct arena *a,
                      const struct catalog_field ***cols, size_t **idx, int **clear)
{
    size_t n = 0;
    *cols = arena_alloc(a, mem_size_mul(d->nfields + 1, sizeof **cols));
    *idx = arena_alloc(a, mem_size_mul(d->nfields + 1, sizeof **idx));
    *clear = arena_alloc(a, mem_size_mul(d->nfields + 1, sizeof **clear));
    for (size_t i = 0; i < d->nfields; i++)
        if (grant_list_has(g->fields, d->fields[i].name)) {
            (*cols)[n] = &d->fields[i];
            (*idx)[n] = i;
            (*clear)[n] = grant_list_has(g->unmasked, d->fields[i].name);
            n++;
        }
    return n;
}

static const char *shown(const struct catalog_field *f, int clear, const char *v, struct arena *a)
{
    return clear ? arena_strdup(a, v) : grant_mask(f->mask && *f->mask ? f->mask : "full", v, a);
}

/* What a spreadsheet will not run as a formula: a leading = + - @ or tab gets a quote. */
static const char *sheet_safe(const char *v, struct arena *a)
{
    if (*v && strchr("=+-@\t", *v))
        return arena_printf(a, "'%s", v);
    return v;
}

struct rows_ctx {
    const struct grant_rec *g;
    struct arena *a;
    struct grant_rows *out;
    size_t *idx;
    int *clear;
    size_t cap, limit;
    int mark;
};

static int rows_cb(void *ud, int64_t row_no, int64_t region_id, const char *const *values, size_t n)
{
    (void)region_id;
    (void)n;
    struct rows_ctx *x = ud;
    struct grant_rows *o = x->out;
    if (x->limit && o->nrows == x->limit) {
        o->next_after = o->row_no[o->nrows - 1];
        return 1;
    }
    if (o->nrows == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        int64_t *rn = arena_alloc(x->a, mem_size_mul(cap, sizeof *rn));
        const char ***cells = arena_alloc(x->a, mem_size_mul(cap, sizeof *cells));
        if (o->nrows) {
            memcpy(rn, o->row_no, o->nrows * sizeof *rn);
            memcpy(cells, o->cells, o->nrows * sizeof *cells);
        }
        o->row_no = rn;
        o->cells = cells;
        x->cap = cap;
    }
    const char **row = arena_alloc(x->a, mem_size_mul(o->ncols + 1, sizeof *row));
    for (size_t j = 0; j < o->ncols; j++) {
        row[j] = shown(o->cols[j], x->clear[j], values[x->idx[j]], x->a);
        if (x->mark)
            row[j] = sheet_safe(row[j], x->a);
    }
    if (x->mark) {
        /* The row's watermark: the keyed bit of its cells as written, as an invisible mark. */
        int bit = grant_row_bit(x->g->watermark_key, row, o->ncols);
        size_t m = grant_mark_cell(row, o->ncols);
        if (bit >= 0 && o->ncols)
            row[m] = arena_printf(x->a, "%s%s", row[m], bit ? GRANT_MARK_ONE : GRANT_MARK_ZERO);
    }
    o->row_no[o->nrows] = row_no;
    o->cells[o->nrows++] = row;
    return 0;
}

int grant_rows_read(struct store_conn *c, const struct grant_rec *g,
                    const struct catalog_dataset *d, int64_t after, size_t limit, int mark,
                    struct arena *a, struct grant_rows *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    struct rows_ctx x = {g, a, out, NULL, NULL, 0, limit, mark};
    out->ncols = granted(g, d, a, &out->cols, &x.idx, &x.clear);
    /* One more than a page: whether there is a next one. */
    int rc = catalog_rows_scan(c, d, g->region_id, after, limit ? limit + 1 : 0, rows_cb, &x, err);
    return rc < 0 ? rc : 0;
}

/* ---- aggregates ---- */

struct agg_ctx {
    struct arena *a, scratch;
    const struct grant_agg_query *q;
    size_t *gidx; /* dataset index of each group field */
    const struct catalog_field **gfield;
    int *gclear;
    size_t *midx; /* dataset index of each sum's field */
    const struct catalog_field **mfield;
    struct grant_agg *out;
    size_t cap;
    size_t *slots; /* open addressing: cell index + 1, 0 empty */
    size_t nslots;
    char **keystr;
    int64_t rows_since_reset;
    struct err *err;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void rehash(struct agg_ctx *x)
{
    size_t ns = x->nslots ? x->nslots * 2 : 1024;
    free(x->slots);
    x->slots = xcalloc(ns, sizeof *x->slots);
    x->nslots = ns;
    for (size_t i = 0; i < x->out->ncells; i++) {
        size_t h = hash_str(x->keystr[i]) & (ns - 1);
        while (x->slots[h])
            h = (h + 1) & (ns - 1);
        x->slots[h] = i + 1;
    }
}

static int agg_cb(void *ud, int64_t row_no, int64_t region_id, const char *const *values, size_t n)
{
    (void)row_no;
    (void)region_id;
    (void)n;
    struct agg_ctx *x = ud;
    struct grant_agg *o = x->out;
    const struct grant_agg_query *q = x->q;
    if (++x->rows_since_reset == 20000) {
        arena_release(&x->scratch);
        arena_init(&x->scratch, 65536);
        x->rows_since_reset = 0;
    }
    o->rows++;
    const char *key[GRANT_GROUP_BY_MAX];
    /* Room for every group value whole: a truncated key would merge groups. */
    char kb[GRANT_GROUP_BY_MAX * (CATALOG_VALUE_MAX + 16) + 1];
    size_t kl = 0;
    for (size_t j = 0; j < q->ngroup; j++) {
        key[j] = shown(x->gfield[j], x->gclear[j], values[x->gidx[j]], &x->scratch);
        size_t l = strlen(key[j]), room = kl + 2 <= sizeof kb ? sizeof kb - 2 - kl : 0;
        if (l > room)
            l = room;
        memcpy(kb + kl, key[j], l);
        kl += l;
        if (kl < sizeof kb - 1)
            kb[kl++] = '\x1f';
    }
    kb[kl] = 0;
    if ((o->ncells + 1) * 2 > x->nslots)
        rehash(x);
    size_t h = hash_str(kb) & (x->nslots - 1), ci;
    while (x->slots[h] && strcmp(x->keystr[x->slots[h] - 1], kb))
        h = (h + 1) & (x->nslots - 1);
    if (x->slots[h]) {
        ci = x->slots[h] - 1;
    } else {
        if (o->ncells == GRANT_CELLS_MAX)
            return err_field(x->err, ERR_BAD_REQUEST, "group_by",
                             "more than %d groups: group by fewer or coarser fields",
                             GRANT_CELLS_MAX);
        if (o->ncells == x->cap) {
            size_t cap = x->cap ? x->cap * 2 : 64;
            struct grant_cell *cells = arena_alloc(x->a, mem_size_mul(cap, sizeof *cells));
            char **ks = arena_alloc(x->a, mem_size_mul(cap, sizeof *ks));
            const char **keys =
                arena_alloc(x->a, mem_size_mul(mem_size_mul(cap, q->ngroup + 1), sizeof *keys));
            if (o->ncells) {
                memcpy(cells, o->cells, o->ncells * sizeof *cells);
                memcpy(ks, x->keystr, o->ncells * sizeof *ks);
                memcpy(keys, o->keys, o->ncells * q->ngroup * sizeof *keys);
            }
            o->cells = cells;
            x->keystr = ks;
            o->keys = keys;
            x->cap = cap;
        }
        ci = o->ncells++;
        x->keystr[ci] = arena_strdup(x->a, kb);
        for (size_t j = 0; j < q->ngroup; j++)
            o->keys[ci * q->ngroup + j] = arena_strdup(x->a, key[j]);
        o->cells[ci].count = 0;
        o->cells[ci].suppressed = 0;
        o->cells[ci].values = arena_alloc(x->a, mem_size_mul(q->nmeasures + 1, sizeof(double)));
        memset(o->cells[ci].values, 0, (q->nmeasures + 1) * sizeof(double));
        x->slots[h] = ci + 1;
    }
    struct grant_cell *cell = &o->cells[ci];
    cell->count++;
    for (size_t m = 0; m < q->nmeasures; m++) {
        if (!x->mfield[m]) {
            cell->values[m] += 1;
            continue;
        }
        const char *v = values[x->midx[m]];
        char *end;
        if (!*v)
            continue;
        double d = strtod(v, &end);
        if (*end || !isfinite(d))
            continue;
        const struct catalog_field *f = x->mfield[m];
        if (f->has_lo && d < f->lo)
            d = f->lo;
        if (f->has_hi && d > f->hi)
            d = f->hi;
        cell->values[m] += d;
    }
    return 0;
}

struct cmp_ctx {
    const char **keys;
    size_t n;
};
static int cmp_cells(const void *pa, const void *pb, void *ud)
{
    const struct cmp_ctx *k = ud;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    for (size_t j = 0; j < k->n; j++) {
        int r = strcmp(k->keys[a * k->n + j], k->keys[b * k->n + j]);
        if (r)
            return r;
    }
    return 0;
}

int grant_aggregate(struct store_conn *c, const struct grant_rec *g,
                    const struct catalog_dataset *d, const struct grant_agg_query *q,
                    struct arena *a, struct grant_agg *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    if (q->ngroup > GRANT_GROUP_BY_MAX)
        return err_field(err, ERR_BAD_REQUEST, "group_by", "group by at most %d fields",
                         GRANT_GROUP_BY_MAX);
    if (!q->nmeasures || q->nmeasures > GRANT_MEASURES_MAX)
        return err_field(err, ERR_BAD_REQUEST, "measures", "ask for 1 to %d measures",
                         GRANT_MEASURES_MAX);
    if (!(q->epsilon >= 0 && q->epsilon <= GRANT_EPSILON_MAX))
        return err_field(err, ERR_BAD_REQUEST, "epsilon", "epsilon must be 0 to %g",
                         GRANT_EPSILON_MAX);
    if (g->epsilon_total > 0 && q->epsilon <= 0)
        return err_field(err, ERR_BAD_REQUEST, "epsilon",
                         "the grant's aggregates are noisy: give an epsilon to spend");
    if (q->epsilon > 0) {
        int rc = grant_budget_check(g->epsilon_total, g->epsilon_spent, q->epsilon, err);
        if (rc < 0)
            return rc;
    }
    struct agg_ctx x;
    memset(&x, 0, sizeof x);
    x.a = a;
    x.q = q;
    x.out = out;
    x.err = err;
    x.gidx = arena_alloc(a, (q->ngroup + 1) * sizeof *x.gidx);
    x.gfield = arena_alloc(a, (q->ngroup + 1) * sizeof *x.gfield);
    x.gclear = arena_alloc(a, (q->ngroup + 1) * sizeof *x.gclear);
    x.midx = arena_alloc(a, q->nmeasures * sizeof *x.midx);
    x.mfield = arena_alloc(a, q->nmeasures * sizeof *x.mfield);
    double *sens = arena_alloc(a, q->nmeasures * sizeof *sens);
    for (size_t j = 0; j < q->ngroup; j++) {
        const struct catalog_field *f = catalog_field_find(d, q->group_by[j]);
        if (!f || !grant_list_has(g->fields, q->group_by[j]))
            return err_field(err, ERR_BAD_REQUEST, "group_by", "field '%s' is not granted",
                             q->group_by[j]);
        for (size_t i = 0; i < j; i++)
            if (!strcmp(q->group_by[i], q->group_by[j]))
                return err_field(err, ERR_BAD_REQUEST, "group_by", "field '%s' is named twice",
                                 q->group_by[j]);
        x.gfield[j] = f;
        x.gidx[j] = (size_t)(f - d->fields);
        x.gclear[j] = grant_list_has(g->unmasked, f->name);
    }
    for (size_t m = 0; m < q->nmeasures; m++) {
        const struct grant_measure *ms = &q->measures[m];
        sens[m] = 1;
        if (ms->op && !strcmp(ms->op, "count")) {
            x.mfield[m] = NULL;
            continue;
        }
        if (!ms->op || strcmp(ms->op, "sum"))
            return err_field(err, ERR_BAD_REQUEST, "measures", "a measure's op is count or sum");
        const struct catalog_field *f = ms->field ? catalog_field_find(d, ms->field) : NULL;
        if (!f || !grant_list_has(g->fields, f->name))
            return err_field(err, ERR_BAD_REQUEST, "measures", "field '%s' is not granted",
                             ms->field ? ms->field : "");
        if (strcmp(f->type, "integer") && strcmp(f->type, "number"))
            return err_field(err, ERR_BAD_REQUEST, "measures",
                             "field '%s' is not a number: only numbers are summed", f->name);
        if (q->epsilon > 0) {
            int rc =
                grant_sum_sensitivity(f->has_lo, f->lo, f->has_hi, f->hi, &sens[m], f->name, err);
            if (rc < 0)
                return rc;
        }
        x.mfield[m] = f;
        x.midx[m] = (size_t)(f - d->fields);
    }
    arena_init(&x.scratch, 65536);
    int rc = catalog_rows_scan(c, d, g->region_id, 0, 0, agg_cb, &x, err);
    arena_release(&x.scratch);
    free(x.slots);
    if (rc < 0)
        return rc;
    out->ngroup = q->ngroup;
    out->nmeasures = q->nmeasures;
    out->k = g->k_min;
    out->epsilon = q->epsilon;
    /* Cells in key order. */
    size_t *ord = arena_alloc(a, (out->ncells + 1) * sizeof *ord);
    for (size_t i = 0; i < out->ncells; i++)
        ord[i] = i;
    struct cmp_ctx cc = {out->keys, q->ngroup};
    if (q->ngroup)
        qsort_r(ord, out->ncells, sizeof *ord, cmp_cells, &cc);
    struct grant_cell *cells = arena_alloc(a, (out->ncells + 1) * sizeof *cells);
    const char **keys = arena_alloc(a, (out->ncells * q->ngroup + 1) * sizeof *keys);
    for (size_t i = 0; i < out->ncells; i++) {
        cells[i] = out->cells[ord[i]];
        for (size_t j = 0; j < q->ngroup; j++)
            keys[i * q->ngroup + j] = out->keys[ord[i] * q->ngroup + j];
    }
    out->cells = cells;
    out->keys = keys;
    grant_suppress(out->cells, out->ncells, g->k_min);
    /* Noise: the query's epsilon split evenly over its measures (sequential composition); the
     * cells of one measure are disjoint groups of rows (parallel composition). Totals are sums
     * of the noisy cells, so they cost nothing more. */
    out->totals = arena_alloc(a, q->nmeasures * sizeof *out->totals);
    for (size_t m = 0; m < q->nmeasures; m++) {
        double scale =
            q->epsilon > 0 ? grant_noise_scale(sens[m], q->epsilon / (double)q->nmeasures) : 0;
        out->totals[m] = 0;
        for (size_t i = 0; i < out->ncells; i++) {
            double v = out->cells[i].values[m];
            if (scale > 0) {
                v += grant_laplace(scale);
                if (!x.mfield[m]) /* a count: a whole number, never below 0 */
                    v = fmax(0, round(v));
            }
            out->cells[i].values[m] = v;
            out->totals[m] += v;
        }
    }
    out->total_shown = out->rows >= g->k_min;
    return 0;
}

/* ---- trace ---- */

int grant_trace_read(const char *data, size_t len, struct arena *a, struct grant_trace_row **out,
                     size_t *n, size_t *marked, struct err *err)
{
    struct catalog_reader r;
    *out = NULL;
    *n = *marked = 0;
    /* An export is CSV or XLSX (every cell text, marks kept); tabular tells them apart. */
    int rc = catalog_table_reader(data, len, NULL, &r, err);
    if (rc < 0)
        return rc;
    size_t cap = 0;
    struct grant_trace_row *rows = NULL;
    const char *const *cells;
    size_t nc;
    int64_t line;
    while ((rc = r.next(r.ud, &cells, &nc, &line, err)) > 0) {
        if (line == 1) /* the header */
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            struct grant_trace_row *v = arena_alloc(a, mem_size_mul(cap, sizeof *v));
            if (*n)
                memcpy(v, rows, *n * sizeof *v);
            rows = v;
        }
        struct grant_trace_row *t = &rows[(*n)++];
        t->n = nc;
        t->cells = arena_alloc(a, mem_size_mul(nc + 1, sizeof *t->cells));
        t->bit = -1;
        for (size_t k = 0; k < nc; k++) {
            t->cells[k] = arena_strdup(a, cells[k]);
            int b = grant_mark_strip(t->cells[k]);
            if (b >= 0 && t->bit < 0)
                t->bit = b;
        }
        *marked += t->bit >= 0;
    }
    if (r.close)
        r.close(r.ud);
    *out = rows;
    return rc < 0 ? rc : 0;
}

int grant_trace_file(struct store_conn *c, const char *data, size_t len, struct arena *a,
                     struct grant_trace_result *out, struct err *err)
{
    struct grant_trace_row *rows;
    memset(out, 0, sizeof *out);
    int rc = grant_trace_read(data, len, a, &rows, &out->rows, &out->marked, err);
    if (rc < 0)
        return rc;
    if (!out->marked)
        return 0;
    struct grant_rec *g;
    size_t ng;
    if ((rc = grant_list(c, NULL, a, &g, &ng, err)) < 0)
        return rc;
    for (size_t i = 0; i < ng; i++) {
        size_t marked;
        double s = grant_trace_score(g[i].watermark_key, rows, out->rows, &marked);
        if (s > out->score) {
            out->score = s;
            out->best_id = g[i].id;
            out->department_name = g[i].department_name;
            out->dataset_name = g[i].dataset_name;
        }
    }
    if (out->score >= GRANT_TRACE_THRESHOLD && out->marked >= GRANT_TRACE_MIN_ROWS)
        out->grant_id = out->best_id;
    return 0;
}
