/*
 * The sensing network's records: devices, thresholds, readings and conditions (sensor.h).
 */
#include <math.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "sensor/sensor.h"
#include "store/store.h"

/* ---------------------------------------------------------------- names */

int sensor_code_ok(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (n == 0 || n > SENSOR_CODE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = code[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return 0;
    }
    return 1;
}

int sensor_name_ok(const char *name, size_t max)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > max || !(name[0] >= 'a' && name[0] <= 'z'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return 0;
    }
    return 1;
}

static int text_ok(const char *s, size_t max)
{
    return s && *s && utf8_invalid_at(s, strlen(s)) < 0 && utf8_len(s) <= max;
}

/* ---------------------------------------------------------------- devices */

#define DEVICE_COLS                                                                                \
    "SELECT d.id, d.code, d.type, d.name, CASE WHEN d.lat IS NULL THEN 0 ELSE 1 END,"              \
    " coalesce(d.lat, 0), coalesce(d.lon, 0), coalesce(d.region_id, 0), coalesce(r.name, ''),"     \
    " coalesce(d.department_id, 0), coalesce(p.name, ''), d.interval_s, d.active,"                 \
    " coalesce(d.last_seen_at, 0), coalesce(d.offline_at, 0), d.created_at, d.updated_at"          \
    " FROM devices d LEFT JOIN regions r ON r.id = d.region_id"                                    \
    " LEFT JOIN departments p ON p.id = d.department_id "

typedef VEC(struct sensor_device) device_vec;

struct device_read {
    device_vec *v;
    struct sensor_device *one;
    struct arena *a;
};

static int read_device(void *ctx, struct store_stmt *s)
{
    struct device_read *q = ctx;
    struct sensor_device *d = q->one ? q->one : vec_push(q->v);
    struct arena *a = q->a;
    d->id = store_col_int(s, 0);
    d->code = arena_strdup(a, store_col_text(s, 1));
    d->type = arena_strdup(a, store_col_text(s, 2));
    d->name = arena_strdup(a, store_col_text(s, 3));
    d->has_location = store_col_int(s, 4) != 0;
    d->lat = store_col_real(s, 5);
    d->lon = store_col_real(s, 6);
    d->region_id = store_col_int(s, 7);
    d->region_name = arena_strdup(a, store_col_text(s, 8));
    d->department_id = store_col_int(s, 9);
    d->department_name = arena_strdup(a, store_col_text(s, 10));
    d->interval_s = (int)store_col_int(s, 11);
    d->active = store_col_int(s, 12) != 0;
    d->last_seen_at = store_col_int(s, 13);
    d->offline_at = store_col_int(s, 14);
    d->created_at = store_col_int(s, 15);
    d->updated_at = store_col_int(s, 16);
    return 0;
}

static int check_device(struct store_conn *c, const struct sensor_device_in *in, struct err *err)
{
    if (!sensor_code_ok(in->code))
        return err_field(err, ERR_BAD_REQUEST, "code",
                         "field 'code' must be 1 to %d letters, digits, '-', '_' or '.'",
                         SENSOR_CODE_MAX);
    if (!sensor_name_ok(in->type, SENSOR_TYPE_MAX))
        return err_field(err, ERR_BAD_REQUEST, "type",
                         "field 'type' must be 1 to %d lowercase letters, digits or '_'",
                         SENSOR_TYPE_MAX);
    if (!text_ok(in->name, SENSOR_NAME_MAX))
        return err_field(err, ERR_BAD_REQUEST, "name", "field 'name' must be 1 to %d characters",
                         SENSOR_NAME_MAX);
    if (in->interval_s < SENSOR_INTERVAL_MIN || in->interval_s > SENSOR_INTERVAL_MAX)
        return err_field(err, ERR_BAD_REQUEST, "interval_s",
                         "field 'interval_s' must be %d to %d seconds", SENSOR_INTERVAL_MIN,
                         SENSOR_INTERVAL_MAX);
    if (in->department_id) {
        int rc = store_one(c, "SELECT 1 FROM departments WHERE id = ?",
                           STORE_ARGS(store_i64(in->department_id)), NULL, NULL, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return err_field(err, ERR_BAD_REQUEST, "department_id",
                             "department %lld does not exist", (long long)in->department_id);
    }
    return 0;
}

int sensor_device_create(struct store_conn *c, const struct sensor_device_in *in, int64_t now,
                         int64_t *id, struct err *err)
{
    int rc;
    if ((rc = check_device(c, in, err)) < 0)
        return rc;
    if ((rc = store_one(c, "SELECT 1 FROM devices WHERE code = ?", STORE_ARGS(store_text(in->code)),
                        NULL, NULL, err)) < 0)
        return rc;
    if (rc == 1)
        return err_field(err, ERR_CONFLICT, "code", "device code '%s' is in use", in->code);
    rc = store_one_i64(
        c,
        "INSERT INTO devices(code, type, name, lat, lon, region_id, department_id, interval_s,"
        " active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, nullif(?, 0), nullif(?, 0), ?, ?,"
        " ?, ?) RETURNING id",
        STORE_ARGS(store_text(in->code), store_text(in->type), store_text(in->name),
                   in->has_location ? store_real(in->lat) : store_null(),
                   in->has_location ? store_real(in->lon) : store_null(), store_i64(in->region_id),
                   store_i64(in->department_id), store_i64(in->interval_s),
                   store_i64(in->active ? 1 : 0), store_i64(now), store_i64(now)),
        id, err);
    return rc < 0 ? rc : 0;
}

int sensor_device_update(struct store_conn *c, int64_t id, const struct sensor_device_in *in,
                         int64_t now, struct err *err)
{
    int rc;
    if ((rc = check_device(c, in, err)) < 0)
        return rc;
    int64_t n = store_run(
        c,
        "UPDATE devices SET type = ?, name = ?, lat = ?, lon = ?, region_id = nullif(?, 0),"
        " department_id = nullif(?, 0), interval_s = ?, active = ?, updated_at = ? WHERE id = ?",
        STORE_ARGS(store_text(in->type), store_text(in->name),
                   in->has_location ? store_real(in->lat) : store_null(),
                   in->has_location ? store_real(in->lon) : store_null(), store_i64(in->region_id),
                   store_i64(in->department_id), store_i64(in->interval_s),
                   store_i64(in->active ? 1 : 0), store_i64(now), store_i64(id)),
        err);
    if (n < 0)
        return (int)n;
    return n ? 0 : err_set(err, ERR_NOT_FOUND, "device %lld does not exist", (long long)id);
}

int sensor_device_get(struct store_conn *c, int64_t id, struct arena *a, struct sensor_device *out,
                      struct err *err)
{
    struct device_read q = {NULL, out, a};
    int rc =
        store_one(c, DEVICE_COLS "WHERE d.id = ?", STORE_ARGS(store_i64(id)), read_device, &q, err);
    if (rc < 0)
        return rc;
    return rc ? 0 : err_set(err, ERR_NOT_FOUND, "device %lld does not exist", (long long)id);
}

int sensor_device_by_code(struct store_conn *c, const char *code, struct arena *a,
                          struct sensor_device *out, struct err *err)
{
    struct device_read q = {NULL, out, a};
    int rc = store_one(c, DEVICE_COLS "WHERE d.code = ?", STORE_ARGS(store_text(code)), read_device,
                       &q, err);
    if (rc < 0)
        return rc;
    return rc ? 0 : err_field(err, ERR_NOT_FOUND, "device", "no device has the code '%s'", code);
}

int sensor_device_list(struct store_conn *c, const char *type, int64_t region_id, struct arena *a,
                       struct sensor_device **out, size_t *n, struct err *err)
{
    device_vec v = VEC_IN(a);
    struct device_read q = {&v, NULL, a};
    /* The region's subtree by code prefix, as the case lists do. */
    int64_t rc = store_all(
        c,
        DEVICE_COLS "WHERE (? = '' OR d.type = ?) AND (? = 0 OR EXISTS (SELECT 1 FROM regions s"
                    " WHERE s.id = ? AND (s.id = r.id OR substr(r.code, 1, length(s.code)) ="
                    " s.code))) ORDER BY d.code",
        STORE_ARGS(store_text(type ? type : ""), store_text(type ? type : ""), store_i64(region_id),
                   store_i64(region_id)),
        read_device, &q, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

/* ---------------------------------------------------------------- thresholds */

typedef VEC(struct sensor_threshold) threshold_vec;

static int read_threshold(void *ctx, struct store_stmt *s)
{
    threshold_vec *v = ctx;
    struct sensor_threshold *t = vec_push(v);
    t->id = store_col_int(s, 0);
    t->type = arena_strdup(v->arena, store_col_text(s, 1));
    t->metric = arena_strdup(v->arena, store_col_text(s, 2));
    t->label = arena_strdup(v->arena, store_col_text(s, 3));
    t->unit = arena_strdup(v->arena, store_col_text(s, 4));
    t->high = store_col_real(s, 5);
    t->clear = store_col_real(s, 6);
    t->category_id = store_col_int(s, 7);
    t->category_name = arena_strdup(v->arena, store_col_text(s, 8));
    t->updated_at = store_col_int(s, 9);
    return 0;
}

#define THRESHOLD_COLS                                                                             \
    "SELECT t.id, t.type, t.metric, t.label, t.unit, t.high, t.clear_at,"                          \
    " coalesce(t.category_id, 0), coalesce(k.name, ''), t.updated_at FROM sensor_thresholds t"     \
    " LEFT JOIN categories k ON k.id = t.category_id "

int sensor_threshold_list(struct store_conn *c, struct arena *a, struct sensor_threshold **out,
                          size_t *n, struct err *err)
{
    threshold_vec v = VEC_IN(a);
    int64_t rc = store_all(c, THRESHOLD_COLS "ORDER BY t.type, t.metric", STORE_NO_ARGS,
                           read_threshold, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int sensor_threshold_set(struct store_conn *c, const struct sensor_threshold *t, int64_t now,
                         struct err *err)
{
    if (!sensor_name_ok(t->type, SENSOR_TYPE_MAX))
        return err_field(err, ERR_BAD_REQUEST, "type",
                         "field 'type' must be 1 to %d lowercase letters, digits or '_'",
                         SENSOR_TYPE_MAX);
    if (!sensor_name_ok(t->metric, SENSOR_METRIC_MAX))
        return err_field(err, ERR_BAD_REQUEST, "metric",
                         "field 'metric' must be 1 to %d lowercase letters, digits or '_'",
                         SENSOR_METRIC_MAX);
    if (!text_ok(t->label, SENSOR_LABEL_MAX))
        return err_field(err, ERR_BAD_REQUEST, "label", "field 'label' must be 1 to %d characters",
                         SENSOR_LABEL_MAX);
    if (t->unit && *t->unit && !text_ok(t->unit, SENSOR_UNIT_MAX))
        return err_field(err, ERR_BAD_REQUEST, "unit", "field 'unit' must be at most %d characters",
                         SENSOR_UNIT_MAX);
    if (!isfinite(t->high))
        return err_field(err, ERR_BAD_REQUEST, "high", "field 'high' must be a number");
    if (!isfinite(t->clear) || t->clear > t->high)
        return err_field(err, ERR_BAD_REQUEST, "clear",
                         "field 'clear' must be a number at or below 'high' (the hysteresis)");
    if (t->category_id) {
        int rc = store_one(c, "SELECT 1 FROM categories WHERE id = ?",
                           STORE_ARGS(store_i64(t->category_id)), NULL, NULL, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return err_field(err, ERR_BAD_REQUEST, "category_id", "category %lld does not exist",
                             (long long)t->category_id);
    }
    int64_t rc = store_run(
        c,
        "INSERT INTO sensor_thresholds(type, metric, label, unit, high, clear_at, category_id,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, nullif(?, 0), ?) ON CONFLICT (type, metric) DO"
        " UPDATE SET label = excluded.label, unit = excluded.unit, high = excluded.high,"
        " clear_at = excluded.clear_at, category_id = excluded.category_id,"
        " updated_at = excluded.updated_at",
        STORE_ARGS(store_text(t->type), store_text(t->metric), store_text(t->label),
                   store_text(t->unit ? t->unit : ""), store_real(t->high), store_real(t->clear),
                   store_i64(t->category_id), store_i64(now)),
        err);
    return rc < 0 ? (int)rc : 0;
}

/* ---------------------------------------------------------------- readings */

struct cond {
    int found, breached;
    int64_t since, case_id, updated_at;
    double peak;
};

static int read_cond(void *ctx, struct store_stmt *s)
{
    struct cond *k = ctx;
    k->found = 1;
    k->breached = store_col_int(s, 0) != 0;
    k->since = store_col_int(s, 1);
    k->case_id = store_col_int(s, 2);
    k->peak = store_col_real(s, 3);
    k->updated_at = store_col_int(s, 4);
    return 0;
}

struct limit {
    struct arena *a;
    int found;
    const char *label, *unit;
    double high, clear;
    int64_t category_id;
};

static int read_limit(void *ctx, struct store_stmt *s)
{
    struct limit *l = ctx;
    l->found = 1;
    l->label = arena_strdup(l->a, store_col_text(s, 0));
    l->unit = arena_strdup(l->a, store_col_text(s, 1));
    l->high = store_col_real(s, 2);
    l->clear = store_col_real(s, 3);
    l->category_id = store_col_int(s, 4);
    return 0;
}

/* ---------------------------------------------------------------- the writer's cache */

#define CACHE_DEVICES_MAX 65536 /* devices kept at most: then the owner starts it again */

struct cached_limit {
    const char *type, *metric, *label, *unit;
    double high, clear;
    int64_t category_id;
};

struct sensor_cache {
    struct arena arena;          /* devices, thresholds and their strings */
    struct sensor_device **slot; /* open addressing by code; NULL = free */
    size_t cap, ndev;
    int limits_loaded;
    struct cached_limit *lim;
    size_t nlim;
};

struct sensor_cache *sensor_cache_new(void)
{
    struct sensor_cache *k = xcalloc(1, sizeof(*k));
    arena_init(&k->arena, 64 * 1024);
    return k;
}

void sensor_cache_clear(struct sensor_cache *k)
{
    arena_release(&k->arena);
    arena_init(&k->arena, 64 * 1024);
    free(k->slot);
    k->slot = NULL;
    k->cap = k->ndev = 0;
    k->limits_loaded = 0;
    k->lim = NULL;
    k->nlim = 0;
}

int sensor_cache_full(const struct sensor_cache *k)
{
    return k->ndev >= CACHE_DEVICES_MAX;
}

void sensor_cache_free(struct sensor_cache *k)
{
    if (!k)
        return;
    arena_release(&k->arena);
    free(k->slot);
    free(k);
}

static size_t code_hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static struct sensor_device **device_slot(struct sensor_device **slot, size_t cap, const char *code)
{
    size_t i = code_hash(code) & (cap - 1);
    while (slot[i] && strcmp(slot[i]->code, code) != 0)
        i = (i + 1) & (cap - 1);
    return &slot[i];
}

int sensor_cache_device(struct sensor_cache *k, struct store_conn *c, const char *code,
                        const struct sensor_device **out, struct err *err)
{
    if (k->cap) {
        struct sensor_device *d = *device_slot(k->slot, k->cap, code);
        if (d) {
            *out = d;
            return 0;
        }
    }
    struct sensor_device *d = arena_alloc(&k->arena, sizeof(*d));
    int rc = sensor_device_by_code(c, code, &k->arena, d, err);
    if (rc < 0)
        return rc; /* unknown codes are not kept: registering one needs no clear */
    if (k->ndev >= CACHE_DEVICES_MAX) {
        /* Full: handed out, not kept (records handed out earlier stay valid until the owner's
         * clear, which sensor_cache_full() asks for). */
        *out = d;
        return 0;
    }
    if (2 * (k->ndev + 1) > k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 1024;
        struct sensor_device **slot = xcalloc(cap, sizeof(*slot));
        for (size_t i = 0; i < k->cap; i++)
            if (k->slot[i])
                *device_slot(slot, cap, k->slot[i]->code) = k->slot[i];
        free(k->slot);
        k->slot = slot;
        k->cap = cap;
    }
    *device_slot(k->slot, k->cap, d->code) = d;
    k->ndev++;
    *out = d;
    return 0;
}

typedef VEC(struct cached_limit) limit_vec;

static int read_cached_limit(void *ctx, struct store_stmt *s)
{
    limit_vec *v = ctx;
    struct cached_limit *l = vec_push(v);
    l->type = arena_strdup(v->arena, store_col_text(s, 0));
    l->metric = arena_strdup(v->arena, store_col_text(s, 1));
    l->label = arena_strdup(v->arena, store_col_text(s, 2));
    l->unit = arena_strdup(v->arena, store_col_text(s, 3));
    l->high = store_col_real(s, 4);
    l->clear = store_col_real(s, 5);
    l->category_id = store_col_int(s, 6);
    return 0;
}

/* The threshold of (type, metric) into 'l' (l->found 0: none), every threshold read on first use
 * after a clear. A table of a few dozen rows: a scan is as quick as a hash. */
static int cache_limit(struct sensor_cache *k, struct store_conn *c, const char *type,
                       const char *metric, struct limit *l, struct err *err)
{
    if (!k->limits_loaded) {
        limit_vec v = VEC_IN(&k->arena);
        int64_t rc = store_all(c,
                               "SELECT type, metric, label, unit, high, clear_at,"
                               " coalesce(category_id, 0) FROM sensor_thresholds",
                               STORE_NO_ARGS, read_cached_limit, &v, err);
        if (rc < 0)
            return (int)rc;
        k->lim = v.v;
        k->nlim = v.n;
        k->limits_loaded = 1;
    }
    for (size_t i = 0; i < k->nlim; i++) {
        const struct cached_limit *x = &k->lim[i];
        if (strcmp(x->metric, metric) == 0 && strcmp(x->type, type) == 0) {
            l->found = 1;
            l->label = x->label;
            l->unit = x->unit;
            l->high = x->high;
            l->clear = x->clear;
            l->category_id = x->category_id;
            return 0;
        }
    }
    return 0;
}

/* One metric of a reading: stored (or found a duplicate), then evaluated. */
static int ingest_one(struct store_conn *c, struct sensor_cache *k, const struct sensor_device *d,
                      int64_t at, const struct sensor_value *v, int64_t now, struct arena *a,
                      struct sensor_transition *out, size_t *nout, int *duplicates, struct err *err)
{
    int64_t added =
        store_run(c,
                  "INSERT INTO sensor_readings(device_id, metric, at, value, received_at)"
                  " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                  STORE_ARGS(store_i64(d->id), store_text(v->metric), store_i64(at),
                             store_real(v->value), store_i64(now)),
                  err);
    if (added < 0)
        return (int)added;
    if (added == 0) {
        (*duplicates)++;
        return 0;
    }
    struct limit l = {.a = a};
    int rc =
        k ? cache_limit(k, c, d->type, v->metric, &l, err)
          : store_one(c,
                      "SELECT label, unit, high, clear_at, coalesce(category_id, 0)"
                      " FROM sensor_thresholds WHERE type = ? AND metric = ?",
                      STORE_ARGS(store_text(d->type), store_text(v->metric)), read_limit, &l, err);
    if (rc < 0)
        return rc;
    if (!l.found)
        return 0; /* a metric without a threshold is kept, not judged */
    struct cond st = {0};
    if ((rc = store_one(c,
                        "SELECT breached, coalesce(since, 0), coalesce(case_id, 0),"
                        " coalesce(peak, 0), updated_at FROM sensor_states"
                        " WHERE device_id = ? AND metric = ?",
                        STORE_ARGS(store_i64(d->id), store_text(v->metric)), read_cond, &st, err)) <
        0)
        return rc;
    /* A reading from before the condition's last change (a device emptying its buffer after an
     * outage) is history: it must not reopen or end what later readings decided. */
    if (st.found && at < st.updated_at)
        return 0;
    struct sensor_transition *t = &out[*nout];
    memset(t, 0, sizeof(*t));
    t->metric = arena_strdup(a, v->metric);
    t->label = l.label;
    t->unit = l.unit;
    t->value = v->value;
    t->high = l.high;
    t->clear = l.clear;
    t->category_id = l.category_id;
    if (!st.breached && v->value > l.high) {
        t->change = SENSOR_BREACH;
        t->since = at;
        t->peak = v->value;
        (*nout)++;
        int64_t r = store_run(c,
                              "INSERT INTO sensor_states(device_id, metric, breached, since,"
                              " case_id, peak, updated_at) VALUES (?, ?, 1, ?, NULL, ?, ?)"
                              " ON CONFLICT (device_id, metric) DO UPDATE SET breached = 1,"
                              " since = excluded.since, case_id = NULL, peak = excluded.peak,"
                              " updated_at = excluded.updated_at",
                              STORE_ARGS(store_i64(d->id), store_text(v->metric), store_i64(at),
                                         store_real(v->value), store_i64(at)),
                              err);
        return r < 0 ? (int)r : 0;
    }
    if (st.breached && v->value <= l.clear) {
        t->change = SENSOR_RECOVER;
        t->since = st.since;
        t->case_id = st.case_id;
        t->peak = st.peak;
        (*nout)++;
        int64_t r =
            store_run(c,
                      "UPDATE sensor_states SET breached = 0, updated_at = ?"
                      " WHERE device_id = ? AND metric = ?",
                      STORE_ARGS(store_i64(at), store_i64(d->id), store_text(v->metric)), err);
        return r < 0 ? (int)r : 0;
    }
    /* No change of condition: the state notes the time (and, in a breach, its peak). */
    int64_t r = store_run(
        c,
        "INSERT INTO sensor_states(device_id, metric, breached, since, case_id, peak, updated_at)"
        " VALUES (?, ?, 0, NULL, NULL, NULL, ?) ON CONFLICT (device_id, metric) DO UPDATE SET"
        " peak = CASE WHEN sensor_states.breached = 1 AND ? > coalesce(sensor_states.peak, ?)"
        " THEN ? ELSE sensor_states.peak END, updated_at = excluded.updated_at",
        STORE_ARGS(store_i64(d->id), store_text(v->metric), store_i64(at), store_real(v->value),
                   store_real(v->value), store_real(v->value)),
        err);
    return r < 0 ? (int)r : 0;
}

int sensor_ingest_cached(struct store_conn *c, struct sensor_cache *k,
                         const struct sensor_device *d, int64_t at,
                         const struct sensor_value *values, size_t n, int64_t now, struct arena *a,
                         struct sensor_transition *out, size_t *nout, int *duplicates,
                         struct err *err)
{
    int rc;
    *nout = 0;
    for (size_t i = 0; i < n; i++)
        if ((rc = ingest_one(c, k, d, at, &values[i], now, a, out, nout, duplicates, err)) < 0)
            return rc;
    return 0;
}

int sensor_ingest_values(struct store_conn *c, const struct sensor_device *d, int64_t at,
                         const struct sensor_value *values, size_t n, int64_t now, struct arena *a,
                         struct sensor_transition *out, size_t *nout, int *duplicates,
                         struct err *err)
{
    return sensor_ingest_cached(c, NULL, d, at, values, n, now, a, out, nout, duplicates, err);
}

int sensor_ingest(struct store_conn *c, const struct sensor_device *d, int64_t at,
                  const struct sensor_value *values, size_t n, int64_t now, struct arena *a,
                  struct sensor_transition *out, size_t *nout, int *duplicates, struct err *err)
{
    int rc = sensor_ingest_values(c, d, at, values, n, now, a, out, nout, duplicates, err);
    return rc < 0 ? rc : sensor_device_seen(c, d->id, now, err);
}

int sensor_device_seen(struct store_conn *c, int64_t device_id, int64_t now, struct err *err)
{
    /* Seen now, and online again if it had gone quiet. */
    int64_t r =
        store_run(c,
                  "UPDATE devices SET last_seen_at = ?, offline_at = NULL WHERE id = ?"
                  " AND (last_seen_at IS NULL OR last_seen_at < ? OR offline_at IS NOT NULL)",
                  STORE_ARGS(store_i64(now), store_i64(device_id), store_i64(now)), err);
    return r < 0 ? (int)r : 0;
}

int sensor_breach_case(struct store_conn *c, int64_t device_id, const char *metric, int64_t case_id,
                       struct err *err)
{
    int64_t r =
        store_run(c,
                  "UPDATE sensor_states SET case_id = ? WHERE device_id = ? AND metric = ?"
                  " AND breached = 1",
                  STORE_ARGS(store_i64(case_id), store_i64(device_id), store_text(metric)), err);
    return r < 0 ? (int)r : 0;
}

typedef VEC(struct sensor_state) state_vec;

static int read_state(void *ctx, struct store_stmt *s)
{
    state_vec *v = ctx;
    struct sensor_state *k = vec_push(v);
    k->metric = arena_strdup(v->arena, store_col_text(s, 0));
    k->breached = store_col_int(s, 1) != 0;
    k->since = store_col_int(s, 2);
    k->case_id = store_col_int(s, 3);
    k->peak = store_col_real(s, 4);
    k->updated_at = store_col_int(s, 5);
    return 0;
}

int sensor_states(struct store_conn *c, int64_t device_id, struct arena *a,
                  struct sensor_state **out, size_t *n, struct err *err)
{
    state_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT metric, breached, coalesce(since, 0), coalesce(case_id, 0),"
                           " coalesce(peak, 0), updated_at FROM sensor_states WHERE device_id = ?"
                           " ORDER BY metric",
                           STORE_ARGS(store_i64(device_id)), read_state, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

typedef VEC(struct sensor_point) point_vec;

static int read_point(void *ctx, struct store_stmt *s)
{
    point_vec *v = ctx;
    struct sensor_point *p = vec_push(v);
    p->at = store_col_int(s, 0);
    p->avg = store_col_real(s, 1);
    p->min = store_col_real(s, 2);
    p->max = store_col_real(s, 3);
    p->n = store_col_int(s, 4);
    return 0;
}

int sensor_readings(struct store_conn *c, int64_t device_id, const char *metric, int64_t from,
                    int64_t to, int points, struct arena *a, struct sensor_point **out, size_t *n,
                    struct err *err)
{
    point_vec v = VEC_IN(a);
    if (to <= from)
        return err_field(err, ERR_BAD_REQUEST, "to", "'to' must be after 'from'");
    if (points < 1 || points > SENSOR_POINTS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "points", "'points' must be 1 to %d",
                         SENSOR_POINTS_MAX);
    int64_t width = (to - from + points - 1) / points;
    if (width < 1)
        width = 1;
    /* The bucket's number, grouped by its output name (both backends group by it; a repeated
     * expression with its own placeholders is not the same expression to PostgreSQL). */
    int64_t rc =
        store_all(c,
                  "SELECT (at - ?) / ? AS bucket, avg(value), min(value), max(value), count(*)"
                  " FROM sensor_readings WHERE device_id = ? AND metric = ? AND at >= ? AND at < ?"
                  " GROUP BY bucket ORDER BY bucket",
                  STORE_ARGS(store_i64(from), store_i64(width), store_i64(device_id),
                             store_text(metric), store_i64(from), store_i64(to)),
                  read_point, &v, err);
    if (rc < 0)
        return (int)rc;
    for (size_t i = 0; i < v.n; i++)
        v.v[i].at = from + v.v[i].at * width;
    *out = v.v;
    *n = v.n;
    return 0;
}

int sensor_offline_sweep(struct store_conn *c, int64_t now, struct arena *a,
                         struct sensor_device **out, size_t *n, struct err *err)
{
    device_vec v = VEC_IN(a);
    struct device_read q = {&v, NULL, a};
    int64_t rc = store_all(
        c,
        DEVICE_COLS "WHERE d.active = 1 AND d.offline_at IS NULL"
                    " AND coalesce(d.last_seen_at, d.created_at) + ? * d.interval_s < ?"
                    " ORDER BY d.id LIMIT 1000",
        STORE_ARGS(store_i64(SENSOR_OFFLINE_INTERVALS), store_i64(now)), read_device, &q, err);
    if (rc < 0)
        return (int)rc;
    for (size_t i = 0; i < v.n; i++) {
        int64_t r = store_run(c, "UPDATE devices SET offline_at = ? WHERE id = ?",
                              STORE_ARGS(store_i64(now), store_i64(v.v[i].id)), err);
        if (r < 0)
            return (int)r;
        v.v[i].offline_at = now;
    }
    *out = v.v;
    *n = v.n;
    return 0;
}

int sensor_retention(struct store_conn *c, int64_t before, int64_t *deleted, struct err *err)
{
    int64_t r = store_run(c, "DELETE FROM sensor_readings WHERE at < ?",
                          STORE_ARGS(store_i64(before)), err);
    if (r < 0)
        return (int)r;
    *deleted = r;
    return 0;
}
