/*
 * Quality runs (tables data_quality_runs, data_quality_problems): every row of a dataset checked
 * field by field — required values present (completeness), present values valid for their type
 * and, for a region or an address, found in the region tree (validity), the key fields unique
 * (uniqueness), the dataset loaded within its update period (timeliness) — and the share of rows
 * with no problem at all (accuracy), the figure the seeds want at 95% or more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"

/* An open-addressing set of 64-bit key hashes (0 marks a free slot). */
struct keyset {
    uint64_t *v;
    size_t cap, n;
};

static uint64_t fnv(const char *const *vals, const int *key, size_t nkey)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t k = 0; k < nkey; k++) {
        for (const unsigned char *p = (const unsigned char *)vals[key[k]]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0x1f) * 1099511628211ULL;
    }
    return h ? h : 1;
}

/* 1 when h was in the set already; else adds it. */
static int keyset_seen(struct keyset *s, uint64_t h)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *v = xcalloc(cap, sizeof(*v));
        for (size_t i = 0; i < s->cap; i++)
            if (s->v[i])
                for (size_t j = s->v[i] & (cap - 1);; j = (j + 1) & (cap - 1))
                    if (!v[j]) {
                        v[j] = s->v[i];
                        break;
                    }
        free(s->v);
        s->v = v;
        s->cap = cap;
    }
    for (size_t j = h & (s->cap - 1);; j = (j + 1) & (s->cap - 1)) {
        if (s->v[j] == h)
            return 1;
        if (!s->v[j]) {
            s->v[j] = h;
            s->n++;
            return 0;
        }
    }
}

struct field_count {
    int64_t required, present_required, present, valid;
};

struct run {
    const struct catalog_dataset *d;
    struct catalog_regions regions;
    struct field_count *fc;
    int *key;
    size_t nkey;
    struct keyset keys;
    int64_t rows, bad, dups, keyed;
    struct catalog_quality_run *out;
    struct arena *a;
    const char **why; /* per field, this row's problem */
    const char **rule;
};

static void problem(struct run *r, int64_t row_no, const char *field, const char *rule,
                    const char *reason)
{
    struct catalog_quality_run *o = r->out;
    if (o->nproblems < CATALOG_PROBLEMS_MAX) {
        struct catalog_quality_problem *p = &o->problems[o->nproblems++];
        p->row_no = row_no;
        p->field = field;
        p->rule = rule;
        p->reason = reason;
    }
    o->problems_total++;
}

static int check_row(void *ud, int64_t row_no, int64_t region_id, const char *const *v, size_t n)
{
    struct run *r = ud;
    const struct catalog_dataset *d = r->d;
    (void)region_id;
    int bad = 0;
    for (size_t i = 0; i < n && i < d->nfields; i++) {
        const struct catalog_field *f = &d->fields[i];
        struct field_count *c = &r->fc[i];
        r->why[i] = NULL;
        if (f->required)
            c->required++;
        if (!*v[i]) {
            if (f->required) {
                r->why[i] = "必填项为空";
                r->rule[i] = "missing";
            }
        } else {
            const char *why = NULL;
            c->present++;
            if (f->required)
                c->present_required++;
            if (!catalog_value_valid(f->type, v[i], &why))
                ;
            else if (strcmp(f->type, "region") == 0 && !catalog_region_of_value(&r->regions, v[i]))
                why = "区域不存在";
            else if (strcmp(f->type, "address") == 0 &&
                     !catalog_region_of_address(&r->regions, v[i]))
                why = "地址无法对应到街道或社区";
            if (why) {
                r->why[i] = why;
                r->rule[i] = "invalid";
            } else {
                c->valid++;
            }
        }
    }
    /* The key: a row whose key values are all present and valid, seen before, is a duplicate. */
    if (r->nkey) {
        int usable = 1;
        for (size_t k = 0; k < r->nkey; k++)
            if (!*v[r->key[k]] || r->why[r->key[k]])
                usable = 0;
        if (usable) {
            r->keyed++;
            if (keyset_seen(&r->keys, fnv(v, r->key, r->nkey))) {
                r->dups++;
                r->why[r->key[0]] = "与前面的记录重复";
                r->rule[r->key[0]] = "duplicate";
            }
        }
    }
    for (size_t i = 0; i < d->nfields; i++)
        if (r->why[i]) {
            problem(r, row_no, d->fields[i].name, r->rule[i], r->why[i]);
            bad = 1;
        }
    r->rows++;
    r->bad += bad;
    return 0;
}

static double share(int64_t part, int64_t whole)
{
    return whole ? (double)part / (double)whole : 1.0;
}

int catalog_quality_run(struct store_conn *c, const struct catalog_dataset *d, int64_t now,
                        struct arena *a, struct catalog_quality_run *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    out->problems = arena_alloc(a, CATALOG_PROBLEMS_MAX * sizeof(*out->problems));
    struct run r = {.d = d, .out = out, .a = a};
    r.fc = arena_alloc(a, (d->nfields + 1) * sizeof(*r.fc));
    r.key = arena_alloc(a, (d->nfields + 1) * sizeof(*r.key));
    r.why = arena_alloc(a, (d->nfields + 1) * sizeof(*r.why));
    r.rule = arena_alloc(a, (d->nfields + 1) * sizeof(*r.rule));
    for (size_t i = 0; i < d->nfields; i++)
        if (d->fields[i].is_key)
            r.key[r.nkey++] = (int)i;
    int rc = catalog_regions_load(c, a, &r.regions, err);
    if (rc >= 0)
        rc = catalog_rows_scan(c, d, 0, 0, 0, check_row, &r, err);
    free(r.keys.v);
    if (rc < 0)
        return rc;
    int64_t req = 0, req_present = 0, present = 0, valid = 0;
    struct buf pf;
    buf_init(&pf);
    buf_putc(&pf, '[');
    for (size_t i = 0; i < d->nfields; i++) {
        const struct field_count *fc = &r.fc[i];
        req += fc->required;
        req_present += fc->present_required;
        present += fc->present;
        valid += fc->valid;
        buf_puts(&pf, i ? ",{\"field\":" : "{\"field\":");
        buf_json_str(&pf, d->fields[i].name);
        buf_puts(&pf, ",\"label\":");
        buf_json_str(&pf, d->fields[i].label);
        buf_printf(&pf, ",\"present\":%lld,\"valid\":%lld,\"completeness\":%.6g,\"validity\":%.6g}",
                   (long long)fc->present, (long long)fc->valid,
                   fc->required ? share(fc->present_required, fc->required)
                                : share(fc->present, r.rows),
                   share(fc->valid, fc->present));
    }
    buf_putc(&pf, ']');
    out->dataset_id = d->id;
    out->at = now;
    out->rows_checked = r.rows;
    out->rows_bad = r.bad;
    out->completeness = share(req_present, req);
    out->validity = share(valid, present);
    out->uniqueness = r.nkey ? 1.0 - share(r.dups, r.rows ? r.rows : 1) : 1.0;
    if (!r.rows)
        out->uniqueness = 1.0;
    out->timeliness = catalog_timely(d, now) ? 1.0 : 0.0;
    out->accuracy = share(r.rows - r.bad, r.rows);
    out->per_field = arena_strdup(a, pf.p);
    buf_release(&pf);
    rc = store_one_i64(
        c,
        "INSERT INTO data_quality_runs (dataset_id, at, rows_checked, rows_bad, completeness,"
        " validity, uniqueness, timeliness, accuracy, per_field)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        STORE_ARGS(store_i64(d->id), store_i64(now), store_i64(out->rows_checked),
                   store_i64(out->rows_bad), store_real(out->completeness),
                   store_real(out->validity), store_real(out->uniqueness),
                   store_real(out->timeliness), store_real(out->accuracy),
                   store_text(out->per_field)),
        &out->id, err);
    for (size_t i = 0; rc >= 0 && i < out->nproblems; i++) {
        const struct catalog_quality_problem *p = &out->problems[i];
        int64_t r2 =
            store_run(c,
                      "INSERT INTO data_quality_problems (run_id, row_no, field, rule,"
                      " reason) VALUES (?, ?, ?, ?, ?)",
                      STORE_ARGS(store_i64(out->id), store_i64(p->row_no), store_text(p->field),
                                 store_text(p->rule), store_text(p->reason)),
                      err);
        rc = r2 < 0 ? (int)r2 : 0;
    }
    return rc < 0 ? rc : 0;
}

int catalog_quality_set_case(struct store_conn *c, int64_t run_id, int64_t case_id, struct err *err)
{
    int64_t rc = store_run(c, "UPDATE data_quality_runs SET case_id = ? WHERE id = ?",
                           STORE_ARGS(store_i64(case_id), store_i64(run_id)), err);
    return rc < 0 ? (int)rc : 0;
}

#define RUN_COLS                                                                                   \
    "q.id, q.dataset_id, q.at, q.rows_checked, q.rows_bad, q.completeness, q.validity,"            \
    " q.uniqueness, q.timeliness, q.accuracy, q.per_field, coalesce(q.case_id, 0),"                \
    " coalesce(c.number, ''), coalesce(c.state, ''),"                                              \
    " (SELECT count(*) FROM data_quality_problems p WHERE p.run_id = q.id)"
#define RUN_FROM " FROM data_quality_runs q LEFT JOIN cases c ON c.id = q.case_id"

static void read_run(struct store_stmt *s, struct arena *a, struct catalog_quality_run *q)
{
    memset(q, 0, sizeof(*q));
    q->id = store_col_int(s, 0);
    q->dataset_id = store_col_int(s, 1);
    q->at = store_col_int(s, 2);
    q->rows_checked = store_col_int(s, 3);
    q->rows_bad = store_col_int(s, 4);
    q->completeness = store_col_real(s, 5);
    q->validity = store_col_real(s, 6);
    q->uniqueness = store_col_real(s, 7);
    q->timeliness = store_col_real(s, 8);
    q->accuracy = store_col_real(s, 9);
    q->per_field = arena_strdup(a, store_col_text(s, 10));
    q->case_id = store_col_int(s, 11);
    q->case_number = arena_strdup(a, store_col_text(s, 12));
    q->case_state = arena_strdup(a, store_col_text(s, 13));
    q->problems_stored = store_col_int(s, 14);
}

typedef VEC(struct catalog_quality_run) run_vec;

static int push_run(void *ctx, struct store_stmt *row)
{
    run_vec *v = ctx;
    read_run(row, v->arena, vec_push(v));
    return 0;
}

int catalog_quality_runs(struct store_conn *c, int64_t dataset_id, size_t max, struct arena *a,
                         struct catalog_quality_run **out, size_t *n, struct err *err)
{
    run_vec v = VEC_IN(a);
    int64_t rc =
        store_all(c,
                  "SELECT " RUN_COLS RUN_FROM " WHERE q.dataset_id = ?"
                  " ORDER BY q.at DESC, q.id DESC LIMIT ?",
                  STORE_ARGS(store_i64(dataset_id), store_i64((int64_t)max)), push_run, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

typedef VEC(struct catalog_quality_problem) problem_vec;

static int push_problem(void *ctx, struct store_stmt *row)
{
    problem_vec *v = ctx;
    struct catalog_quality_problem *p = vec_push(v);
    p->row_no = store_col_int(row, 0);
    p->field = arena_strdup(v->arena, store_col_text(row, 1));
    p->rule = arena_strdup(v->arena, store_col_text(row, 2));
    p->reason = arena_strdup(v->arena, store_col_text(row, 3));
    return 0;
}

int catalog_quality_problems(struct store_conn *c, int64_t run_id, size_t max, struct arena *a,
                             struct catalog_quality_problem **out, size_t *n, struct err *err)
{
    problem_vec v = VEC_IN(a);
    int64_t rc =
        store_all(c,
                  "SELECT row_no, field, rule, reason FROM data_quality_problems"
                  " WHERE run_id = ? ORDER BY row_no, field LIMIT ?",
                  STORE_ARGS(store_i64(run_id), store_i64((int64_t)max)), push_problem, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int catalog_quality_category(struct store_conn *c, int64_t *id, struct err *err)
{
    *id = 0;
    int rc = store_one_i64(c, "SELECT id FROM categories WHERE code = ? AND active <> 0",
                           STORE_ARGS(store_text(CATALOG_QUALITY_CATEGORY)), id, err);
    return rc < 0 ? rc : 0;
}
