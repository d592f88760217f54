/*
 * The catalogue: datasets and their declared fields (tables datasets, dataset_fields, migration
 * 0054), searched by name, description, code and field label; the rows of a dataset, imported
 * (dataset_rows) or read from a gridloop source (catalog_source.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "catalog/catalog_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "org/org.h"
#include "store/store.h"

static const char *const TYPES[] = {"text",    "name",   "address", "region",      "date",
                                    "integer", "number", "id_card", "credit_code", "mobile",
                                    "phone",   "email",  NULL};
static const char *const MASKS[] = {"none",  "name",        "id_card", "mobile", "phone", "address",
                                    "email", "credit_code", "full",    "year",   NULL};
static const char *const GRADES[] = {"general", "important", "core", NULL};
static const char *const PI_LEVELS[] = {"none", "personal", "sensitive", NULL};
static const char *const SHARE_CLASSES[] = {"unconditional", "conditional", "none", NULL};
static const char *const OPEN_CLASSES[] = {"open", "conditional", "closed", NULL};
static const char *const FREQS[] = {"realtime",  "daily",  "weekly",    "monthly",
                                    "quarterly", "yearly", "irregular", NULL};
static const char *const SOURCES[] = {"import", "cases", NULL};

int catalog_in_list(const char *v, const char *const *list)
{
    for (size_t i = 0; v && list[i]; i++)
        if (strcmp(v, list[i]) == 0)
            return 1;
    return 0;
}

int catalog_type_known(const char *v)
{
    return catalog_in_list(v, TYPES);
}

int catalog_mask_known(const char *v)
{
    return catalog_in_list(v, MASKS);
}

#define COLS                                                                                       \
    "s.id, s.code, s.name, s.description, s.department_id, coalesce(d.name, ''), s.grade,"         \
    " s.pi_level, s.share_class, s.open_class, s.update_freq, s.source, s.k_min, s.row_count,"     \
    " coalesce(s.loaded_at, 0), s.created_at, s.updated_at"
#define FROM " FROM datasets s LEFT JOIN departments d ON d.id = s.department_id"

static void read_dataset(struct store_stmt *s, struct arena *a, struct catalog_dataset *d)
{
    memset(d, 0, sizeof(*d));
    d->id = store_col_int(s, 0);
    d->code = arena_strdup(a, store_col_text(s, 1));
    d->name = arena_strdup(a, store_col_text(s, 2));
    d->description = arena_strdup(a, store_col_text(s, 3));
    d->department_id = store_col_int(s, 4);
    d->department_name = arena_strdup(a, store_col_text(s, 5));
    d->grade = arena_strdup(a, store_col_text(s, 6));
    d->pi_level = arena_strdup(a, store_col_text(s, 7));
    d->share_class = arena_strdup(a, store_col_text(s, 8));
    d->open_class = arena_strdup(a, store_col_text(s, 9));
    d->update_freq = arena_strdup(a, store_col_text(s, 10));
    d->source = arena_strdup(a, store_col_text(s, 11));
    d->k_min = (int)store_col_int(s, 12);
    d->row_count = store_col_int(s, 13);
    d->loaded_at = store_col_int(s, 14);
    d->created_at = store_col_int(s, 15);
    d->updated_at = store_col_int(s, 16);
}

typedef VEC(struct catalog_dataset) dataset_vec;
typedef VEC(struct catalog_field) field_vec;

static int push_dataset(void *ctx, struct store_stmt *row)
{
    dataset_vec *v = ctx;
    read_dataset(row, v->arena, vec_push(v));
    return 0;
}

static int push_field(void *ctx, struct store_stmt *row)
{
    field_vec *v = ctx;
    struct arena *a = v->arena;
    struct catalog_field *f = vec_push(v);
    memset(f, 0, sizeof(*f));
    f->position = (int)store_col_int(row, 0);
    f->name = arena_strdup(a, store_col_text(row, 1));
    f->label = arena_strdup(a, store_col_text(row, 2));
    f->type = arena_strdup(a, store_col_text(row, 3));
    f->sensitivity = (int)store_col_int(row, 4);
    f->mask = arena_strdup(a, store_col_text(row, 5));
    f->required = store_col_int(row, 6) != 0;
    f->is_key = store_col_int(row, 7) != 0;
    f->has_lo = !store_col_is_null(row, 8);
    f->lo = f->has_lo ? store_col_real(row, 8) : 0;
    f->has_hi = !store_col_is_null(row, 9);
    f->hi = f->has_hi ? store_col_real(row, 9) : 0;
    return 0;
}

static int load_fields(struct store_conn *c, struct arena *a, struct catalog_dataset *d,
                       struct err *err)
{
    if (strcmp(d->source, "cases") == 0) {
        int rc = store_one_i64(c, "SELECT count(*) FROM cases WHERE master_id IS NULL",
                               STORE_NO_ARGS, &d->row_count, err);
        if (rc < 0)
            return rc;
    }
    field_vec v = VEC_IN(a);
    int64_t rc =
        store_all(c,
                  "SELECT position, name, label, type, sensitivity, mask, required, is_key,"
                  " lo, hi FROM dataset_fields WHERE dataset_id = ? ORDER BY position",
                  STORE_ARGS(store_i64(d->id)), push_field, &v, err);
    if (rc < 0)
        return (int)rc;
    d->fields = v.v;
    d->nfields = v.n;
    return 0;
}

struct one {
    struct arena *a;
    struct catalog_dataset *out;
};

static int one_dataset(void *ctx, struct store_stmt *row)
{
    struct one *o = ctx;
    read_dataset(row, o->a, o->out);
    return 0;
}

int catalog_dataset_get(struct store_conn *c, int64_t id, struct arena *a,
                        struct catalog_dataset *out, struct err *err)
{
    struct one o = {a, out};
    int rc = store_one(c, "SELECT " COLS FROM " WHERE s.id = ?", STORE_ARGS(store_i64(id)),
                       one_dataset, &o, err);
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "dataset %lld does not exist", (long long)id);
    if (rc < 0)
        return rc;
    return load_fields(c, a, out, err);
}

const struct catalog_field *catalog_field_find(const struct catalog_dataset *d, const char *name)
{
    for (size_t i = 0; name && i < d->nfields; i++)
        if (strcmp(d->fields[i].name, name) == 0)
            return &d->fields[i];
    return NULL;
}

/* Case-insensitive for ASCII, plain substring for the rest. */
static int contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return 1;
    return 0;
}

static int matches(const struct catalog_dataset *d, const char *q)
{
    if (!q || !*q)
        return 1;
    if (contains(d->name, q) || contains(d->description, q) || contains(d->code, q) ||
        contains(d->department_name, q))
        return 1;
    for (size_t i = 0; i < d->nfields; i++)
        if (contains(d->fields[i].label, q) || contains(d->fields[i].name, q))
            return 1;
    return 0;
}

int catalog_dataset_list(struct store_conn *c, const struct catalog_filter *f, struct arena *a,
                         struct catalog_dataset **out, size_t *n, struct err *err)
{
    dataset_vec v = VEC_IN(a);
    int64_t rc = store_all(
        c,
        "SELECT " COLS FROM " WHERE (? = 0 OR s.department_id = ?) AND (? IS NULL OR"
        " s.share_class = ?) ORDER BY s.code LIMIT ?",
        STORE_ARGS(store_i64(f ? f->department_id : 0), store_i64(f ? f->department_id : 0),
                   store_text(f ? f->share_class : NULL), store_text(f ? f->share_class : NULL),
                   store_i64(CATALOG_LIST_MAX)),
        push_dataset, &v, err);
    if (rc < 0)
        return (int)rc;
    size_t k = 0;
    for (size_t i = 0; i < v.n; i++) {
        int r = load_fields(c, a, &v.v[i], err);
        if (r < 0)
            return r;
        if (matches(&v.v[i], f ? f->q : NULL))
            v.v[k++] = v.v[i];
    }
    *out = v.v;
    *n = k;
    return 0;
}

int64_t catalog_freq_seconds(const char *freq)
{
    static const struct {
        const char *freq;
        int64_t s;
    } P[] = {{"realtime", 86400},     {"daily", 86400},          {"weekly", 7 * 86400},
             {"monthly", 31 * 86400}, {"quarterly", 92 * 86400}, {"yearly", 366 * 86400}};
    for (size_t i = 0; freq && i < sizeof(P) / sizeof(P[0]); i++)
        if (strcmp(freq, P[i].freq) == 0)
            return P[i].s;
    return 0;
}

int catalog_timely(const struct catalog_dataset *d, int64_t now)
{
    if (strcmp(d->source, "import") != 0)
        return 1;
    if (!d->loaded_at)
        return 0;
    int64_t period = catalog_freq_seconds(d->update_freq);
    return !period || now - d->loaded_at <= period;
}

typedef VEC(struct catalog_demand) demand_vec;

static int push_demand(void *ctx, struct store_stmt *row)
{
    demand_vec *v = ctx;
    struct arena *a = v->arena;
    struct catalog_demand *r = vec_push(v);
    r->id = store_col_int(row, 0);
    r->dataset_id = store_col_int(row, 1);
    r->dataset_code = arena_strdup(a, store_col_text(row, 2));
    r->dataset_name = arena_strdup(a, store_col_text(row, 3));
    r->owner_name = arena_strdup(a, store_col_text(row, 4));
    r->department_id = store_col_int(row, 5);
    r->department_name = arena_strdup(a, store_col_text(row, 6));
    r->fields = arena_strdup(a, store_col_text(row, 7));
    r->mode = arena_strdup(a, store_col_text(row, 8));
    r->purpose = arena_strdup(a, store_col_text(row, 9));
    r->status = arena_strdup(a, store_col_text(row, 10));
    r->created_at = store_col_int(row, 11);
    return 0;
}

int catalog_demand_list(struct store_conn *c, struct arena *a, struct catalog_demand **out,
                        size_t *n, struct err *err)
{
    demand_vec v = VEC_IN(a);
    int64_t rc = store_all(
        c,
        "SELECT q.id, q.dataset_id, s.code, s.name, coalesce(o.name, ''), q.department_id,"
        " coalesce(d.name, ''), q.fields, q.mode, q.purpose, q.status, q.created_at"
        " FROM data_requests q JOIN datasets s ON s.id = q.dataset_id"
        " LEFT JOIN departments o ON o.id = s.department_id"
        " LEFT JOIN departments d ON d.id = q.department_id ORDER BY q.id DESC LIMIT ?",
        STORE_ARGS(store_i64(CATALOG_LIST_MAX)), push_demand, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

/* ---- writes ---- */

static int check_text(const char *v, const char *field, size_t min, size_t max, struct err *err)
{
    size_t n = v ? utf8_len(v) : 0;
    if ((v && utf8_invalid_at(v, strlen(v)) >= 0) || n < min || n > max)
        return err_field(err, ERR_BAD_REQUEST, field, "field '%s' must be %zu to %zu characters",
                         field, min, max);
    return 0;
}

static int check_enum(const char *v, const char *field, const char *const *list, struct err *err)
{
    if (catalog_in_list(v, list))
        return 0;
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; list[i]; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", list[i]);
    err_field(err, ERR_BAD_REQUEST, field, "field '%s' must be one of %s", field, b.p);
    buf_release(&b);
    return ERR_BAD_REQUEST;
}

static int ascii_name(const char *s)
{
    if (!s || !(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static int check_fields(const struct catalog_field *f, size_t n, struct err *err)
{
    if (n < 1 || n > CATALOG_FIELDS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "fields", "a dataset has 1 to %d fields",
                         CATALOG_FIELDS_MAX);
    char name[ERR_FIELD_MAX];
    for (size_t i = 0; i < n; i++) {
#define FNAME(x) (snprintf(name, sizeof(name), "fields[%zu]." x, i), name)
        if (!ascii_name(f[i].name) || strlen(f[i].name) > CATALOG_FIELD_NAME_MAX)
            return err_field(err, ERR_BAD_REQUEST, FNAME("name"),
                             "a field's name is 1 to %d of a-z, 0-9 and _, starting with a letter",
                             CATALOG_FIELD_NAME_MAX);
        for (size_t j = 0; j < i; j++)
            if (strcmp(f[i].name, f[j].name) == 0)
                return err_field(err, ERR_BAD_REQUEST, FNAME("name"),
                                 "field '%s' is declared twice", f[i].name);
        int rc;
        if ((rc = check_text(f[i].label, FNAME("label"), 1, CATALOG_LABEL_MAX, err)) < 0)
            return rc;
        if (!catalog_type_known(f[i].type))
            return check_enum(f[i].type, FNAME("type"), TYPES, err);
        if (!catalog_mask_known(f[i].mask))
            return check_enum(f[i].mask, FNAME("mask"), MASKS, err);
        if (f[i].sensitivity < 1 || f[i].sensitivity > 4)
            return err_field(err, ERR_BAD_REQUEST, FNAME("sensitivity"),
                             "a field's sensitivity is 1 to 4");
        if (f[i].has_lo && f[i].has_hi && f[i].lo > f[i].hi)
            return err_field(err, ERR_BAD_REQUEST, FNAME("lo"), "'lo' must not exceed 'hi'");
        if ((f[i].has_lo || f[i].has_hi) && strcmp(f[i].type, "integer") != 0 &&
            strcmp(f[i].type, "number") != 0)
            return err_field(err, ERR_BAD_REQUEST, FNAME("lo"),
                             "only an integer or number field has bounds");
#undef FNAME
    }
    return 0;
}

static int check_in(struct store_conn *c, const struct catalog_dataset_in *in, struct err *err)
{
    int rc;
    if (in->code && *in->code && (rc = check_text(in->code, "code", 1, CATALOG_CODE_MAX, err)) < 0)
        return rc;
    if ((rc = check_text(in->name, "name", 1, CATALOG_NAME_MAX, err)) < 0 ||
        (rc = check_text(in->description, "description", 0, CATALOG_DESCRIPTION_MAX, err)) < 0)
        return rc;
    if (in->department_id <= 0)
        return err_field(err, ERR_BAD_REQUEST, "department_id",
                         "field 'department_id' is required");
    rc = store_one(c, "SELECT 1 FROM departments WHERE id = ?",
                   STORE_ARGS(store_i64(in->department_id)), NULL, NULL, err);
    if (rc == 0)
        return err_field(err, ERR_BAD_REQUEST, "department_id", "department %lld does not exist",
                         (long long)in->department_id);
    if (rc < 0)
        return rc;
    if ((rc = check_enum(in->grade, "grade", GRADES, err)) < 0 ||
        (rc = check_enum(in->pi_level, "pi_level", PI_LEVELS, err)) < 0 ||
        (rc = check_enum(in->share_class, "share_class", SHARE_CLASSES, err)) < 0 ||
        (rc = check_enum(in->open_class, "open_class", OPEN_CLASSES, err)) < 0 ||
        (rc = check_enum(in->update_freq, "update_freq", FREQS, err)) < 0 ||
        (rc = check_enum(in->source, "source", SOURCES, err)) < 0)
        return rc;
    if (in->k_min < 2 || in->k_min > 1000)
        return err_field(err, ERR_BAD_REQUEST, "k_min", "field 'k_min' must be 2 to 1000");
    if (strcmp(in->share_class, "none") == 0 && strcmp(in->open_class, "closed") != 0)
        return err_field(err, ERR_BAD_REQUEST, "open_class",
                         "a dataset that may not be shared cannot be open");
    if (in->set_fields && strcmp(in->source, "import") == 0)
        return check_fields(in->fields, in->nfields, err);
    return 0;
}

static int write_fields(struct store_conn *c, int64_t id, const struct catalog_dataset_in *in,
                        struct err *err)
{
    const struct catalog_field *f = in->fields;
    size_t n = in->nfields;
    const struct catalog_field *fixed = catalog_source_fields(in->source, &n);
    if (fixed)
        f = fixed;
    else
        n = in->nfields;
    int64_t rc = store_run(c, "DELETE FROM dataset_fields WHERE dataset_id = ?",
                           STORE_ARGS(store_i64(id)), err);
    for (size_t i = 0; rc >= 0 && i < n; i++)
        rc = store_run(c,
                       "INSERT INTO dataset_fields (dataset_id, position, name, label, type,"
                       " sensitivity, mask, required, is_key, lo, hi)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       STORE_ARGS(store_i64(id), store_i64((int64_t)i + 1), store_text(f[i].name),
                                  store_text(f[i].label), store_text(f[i].type),
                                  store_i64(f[i].sensitivity), store_text(f[i].mask),
                                  store_i64(f[i].required ? 1 : 0), store_i64(f[i].is_key ? 1 : 0),
                                  f[i].has_lo ? store_real(f[i].lo) : store_null(),
                                  f[i].has_hi ? store_real(f[i].hi) : store_null()),
                       err);
    return rc < 0 ? (int)rc : 0;
}

static int code_taken(struct store_conn *c, const char *code, int64_t id, struct err *err)
{
    int rc = store_one(c, "SELECT 1 FROM datasets WHERE code = ? AND id <> ?",
                       STORE_ARGS(store_text(code), store_i64(id)), NULL, NULL, err);
    if (rc > 0)
        return err_field(err, ERR_CONFLICT, "code", "catalogue number %s is taken", code);
    return rc;
}

int catalog_dataset_create(struct store_conn *c, const struct catalog_dataset_in *in,
                           int64_t user_id, int64_t now, int64_t *id, struct err *err)
{
    int rc;
    if ((rc = check_in(c, in, err)) < 0)
        return rc;
    char code[CATALOG_CODE_MAX * 4 + 1];
    if (in->code && *in->code) {
        snprintf(code, sizeof(code), "%s", in->code);
    } else {
        int64_t max = 0;
        if ((rc = store_one_i64(c, "SELECT coalesce(max(id), 0) FROM datasets", STORE_NO_ARGS, &max,
                                err)) < 0)
            return rc;
        int year = 1970 + (int)(now / 31556952);
        snprintf(code, sizeof(code), "DS-%04d-%04lld", year, (long long)max + 1);
    }
    if ((rc = code_taken(c, code, 0, err)) < 0)
        return rc;
    rc = store_one_i64(
        c,
        "INSERT INTO datasets (code, name, description, department_id, grade, pi_level,"
        " share_class, open_class, update_freq, source, k_min, created_by, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        STORE_ARGS(store_text(code), store_text(in->name),
                   store_text(in->description ? in->description : ""), store_i64(in->department_id),
                   store_text(in->grade), store_text(in->pi_level), store_text(in->share_class),
                   store_text(in->open_class), store_text(in->update_freq), store_text(in->source),
                   store_i64(in->k_min), store_i64_or_null(user_id), store_i64(now),
                   store_i64(now)),
        id, err);
    if (rc < 0)
        return rc;
    return write_fields(c, *id, in, err);
}

/* A dataset with rows keeps the names and types of its fields, in order. */
static int same_shape(const struct catalog_dataset *cur, const struct catalog_dataset_in *in)
{
    if (cur->nfields != in->nfields)
        return 0;
    for (size_t i = 0; i < in->nfields; i++)
        if (strcmp(cur->fields[i].name, in->fields[i].name) != 0 ||
            strcmp(cur->fields[i].type, in->fields[i].type) != 0)
            return 0;
    return 1;
}

int catalog_dataset_update(struct store_conn *c, int64_t id, const struct catalog_dataset_in *in,
                           int64_t now, struct err *err)
{
    struct arena a;
    arena_init(&a, 4096);
    struct catalog_dataset cur;
    int rc = catalog_dataset_get(c, id, &a, &cur, err);
    if (rc == 0)
        rc = check_in(c, in, err);
    if (rc == 0 && strcmp(cur.source, in->source) != 0 && cur.row_count > 0)
        rc = err_field(err, ERR_CONFLICT, "source", "a dataset with rows keeps its source");
    if (rc == 0 && in->set_fields && strcmp(in->source, "import") == 0 && cur.row_count > 0 &&
        !same_shape(&cur, in))
        rc = err_field(err, ERR_CONFLICT, "fields",
                       "a dataset with rows keeps its fields' names and types");
    if (rc == 0 && strcmp(cur.source, in->source) != 0 && strcmp(in->source, "import") == 0 &&
        !in->set_fields)
        rc = err_field(err, ERR_BAD_REQUEST, "fields", "an imported dataset needs its fields");
    const char *code = in->code && *in->code ? in->code : cur.code;
    if (rc == 0)
        rc = code_taken(c, code, id, err);
    if (rc == 0) {
        int64_t r = store_run(
            c,
            "UPDATE datasets SET code = ?, name = ?, description = ?, department_id = ?,"
            " grade = ?, pi_level = ?, share_class = ?, open_class = ?, update_freq = ?,"
            " source = ?, k_min = ?, updated_at = ? WHERE id = ?",
            STORE_ARGS(store_text(code), store_text(in->name),
                       store_text(in->description ? in->description : ""),
                       store_i64(in->department_id), store_text(in->grade),
                       store_text(in->pi_level), store_text(in->share_class),
                       store_text(in->open_class), store_text(in->update_freq),
                       store_text(in->source), store_i64(in->k_min), store_i64(now), store_i64(id)),
            err);
        rc = r < 0 ? (int)r : 0;
    }
    if (rc == 0 && (in->set_fields || strcmp(cur.source, in->source) != 0))
        rc = write_fields(c, id, in, err);
    arena_release(&a);
    return rc;
}

/* ---- rows ---- */

int catalog_scan_emit(struct catalog_scan *s, int64_t row_no, int64_t region_id,
                      const char *const *values, size_t n)
{
    int rc = s->cb(s->ud, row_no, region_id, values, n);
    if (rc < 0) {
        s->rc = rc;
        return rc;
    }
    if (rc > 0 || (s->limit && ++s->seen >= s->limit))
        return 1;
    return 0;
}

struct scan {
    struct catalog_scan base;
    const struct catalog_dataset *d;
    const char **values;
    char *line;
    size_t line_cap;
    int rc;
};

/* Split 'data' (fields joined by CATALOG_SEP) into s->values; missing trailing values are "". */
static void split_row(struct scan *s, const char *data)
{
    size_t len = strlen(data);
    if (len + 1 > s->line_cap) {
        s->line_cap = len + 1 > 2 * s->line_cap ? len + 1 : 2 * s->line_cap;
        s->line = xrealloc(s->line, s->line_cap);
    }
    memcpy(s->line, data, len + 1);
    char *p = s->line;
    for (size_t i = 0; i < s->d->nfields; i++) {
        s->values[i] = p ? p : "";
        if (p) {
            char *sep = strchr(p, CATALOG_SEP);
            if (sep)
                *sep = '\0';
            p = sep ? sep + 1 : NULL;
        }
    }
}

static int scan_row(void *ctx, struct store_stmt *row)
{
    struct scan *s = ctx;
    if (s->base.scope_code &&
        !org_region_code_in_subtree(store_col_text(row, 2), s->base.scope_code))
        return 0;
    split_row(s, store_col_text(row, 3));
    return catalog_scan_emit(&s->base, store_col_int(row, 0), store_col_int(row, 1), s->values,
                             s->d->nfields);
}

int catalog_rows_scan(struct store_conn *c, const struct catalog_dataset *d, int64_t region_id,
                      int64_t after_row, size_t limit, catalog_row_fn cb, void *ud, struct err *err)
{
    struct arena a;
    arena_init(&a, 1024);
    struct scan s = {.base = {.limit = limit, .cb = cb, .ud = ud}, .d = d};
    s.values = arena_alloc(&a, (d->nfields + 1) * sizeof(*s.values));
    int64_t rc = 0;
    if (region_id) {
        char *code = NULL;
        rc = store_one_text(c, "SELECT code FROM regions WHERE id = ?",
                            STORE_ARGS(store_i64(region_id)), &a, &code, err);
        if (rc == 0)
            rc = err_field(err, ERR_BAD_REQUEST, "region_id", "region %lld does not exist",
                           (long long)region_id);
        s.base.scope_code = code;
    }
    if (rc >= 0 && strcmp(d->source, "import") != 0)
        rc = catalog_source_scan(c, d, &s.base, after_row, err);
    else if (rc >= 0)
        rc = store_all(c,
                       "SELECT x.row_no, coalesce(x.region_id, 0), coalesce(r.code, ''), x.data"
                       " FROM dataset_rows x LEFT JOIN regions r ON r.id = x.region_id"
                       " WHERE x.dataset_id = ? AND x.row_no > ? ORDER BY x.row_no",
                       STORE_ARGS(store_i64(d->id), store_i64(after_row)), scan_row, &s, err);
    free(s.line);
    arena_release(&a);
    if (s.base.rc < 0)
        return s.base.rc;
    return rc < 0 ? (int)rc : 0;
}
