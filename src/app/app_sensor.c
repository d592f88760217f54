/*
 * Sensor readings into the loop (issue 16, item 5; docs/warning.md §5): a reading, from MQTT or
 * an HTTP batch, is parsed and checked on the caller's thread, then stored and judged in a job of
 * the group-commit writer, so many readings share one durable commit. A breach opens its case
 * (channel sensor, the threshold's category, the device's place and grid) in the same job, so a
 * reading is never stored without the case it called for, nor a case opened twice for one breach
 * (sensor_states holds the breach and its case). A recovery is noted on that case.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_internal.h"
#include "cal/cal.h"
#include "case/case.h"
#include "core/clock.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/mem.h"
#include "json/json.h"
#include "sensor/sensor.h"
#include "store/store.h"
#include "store/store_writer.h"

int app_reading_parse(const char *text, size_t len, const char *code, int64_t now,
                      struct app_reading *out, struct err *err)
{
    json_t *j = NULL;
    int rc;
    memset(out, 0, sizeof(*out));
    if (!sensor_code_ok(code))
        return err_field(err, ERR_BAD_REQUEST, "device", "'%s' is not a device code", code);
    snprintf(out->code, sizeof(out->code), "%s", code);
    if ((rc = json_parse(text, len, &j, err)) < 0)
        return rc;
    rc = app_reading_from_json(j, now, out, err);
    json_free(j);
    return rc;
}

int app_reading_from_json(const json_t *j, int64_t now, struct app_reading *out, struct err *err)
{
    const char *t = json_get_str(j, "time");
    const json_t *values = json_get(j, "values");
    if (!json_is_object(j))
        return err_field(err, ERR_BAD_REQUEST, "", "a reading must be a JSON object");
    if (!t || clock_parse_rfc3339(t, &out->at) < 0)
        return err_field(err, ERR_BAD_REQUEST, "time", "field 'time' must be an RFC 3339 time");
    if (out->at > now + SENSOR_FUTURE_S)
        return err_field(err, ERR_BAD_REQUEST, "time",
                         "field 'time' is in the future (more than %d s ahead of the server)",
                         SENSOR_FUTURE_S);
    if (out->at < now - SENSOR_PAST_S)
        return err_field(err, ERR_BAD_REQUEST, "time",
                         "field 'time' is more than %d days in the past", SENSOR_PAST_S / 86400);
    if (!json_is_object(values))
        return err_field(err, ERR_BAD_REQUEST, "values",
                         "field 'values' must be an object of metric names and numbers");
    out->n = 0;
    for (const json_t *m = json_object_first(values); m; m = json_next(m)) {
        const char *name = json_member_name(m);
        double v = json_number(m, NAN);
        if (out->n == SENSOR_VALUES_MAX)
            return err_field(err, ERR_BAD_REQUEST, "values", "at most %d metrics in one reading",
                             SENSOR_VALUES_MAX);
        if (!sensor_name_ok(name, SENSOR_METRIC_MAX))
            return err_field(err, ERR_BAD_REQUEST, "values",
                             "metric names are 1 to %d lowercase letters, digits or '_'",
                             SENSOR_METRIC_MAX);
        if (!isfinite(v))
            return err_field(err, ERR_BAD_REQUEST, "values", "the value of '%s' must be a number",
                             name);
        for (size_t i = 0; i < out->n; i++)
            if (strcmp(out->metric[i], name) == 0)
                return err_field(err, ERR_BAD_REQUEST, "values", "metric '%s' appears twice", name);
        snprintf(out->metric[out->n], sizeof(out->metric[0]), "%s", name);
        out->value[out->n] = v;
        out->n++;
    }
    if (out->n == 0)
        return err_field(err, ERR_BAD_REQUEST, "values", "field 'values' names no metric");
    return 0;
}

/* Element i of a batch: the reading, or its error with the field named under "[i]". */
static int batch_element(const json_t *e, int i, const char *code, int64_t now,
                         struct app_reading *out, struct err *err)
{
    struct err e1 = ERR_INIT;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (!code) {
        const char *dev = json_is_object(e) ? json_get_str(e, "device") : NULL;
        if (!dev || !sensor_code_ok(dev))
            rc = err_field(&e1, ERR_BAD_REQUEST, "device",
                           "field 'device' must be a device code of 1 to %d letters, digits, '-',"
                           " '_' or '.'",
                           SENSOR_CODE_MAX);
        else
            code = dev;
    }
    if (rc == 0) {
        snprintf(out->code, sizeof(out->code), "%s", code);
        rc = app_reading_from_json(e, now, out, &e1);
    }
    if (rc < 0) {
        char field[ERR_FIELD_MAX + 16];
        snprintf(field, sizeof(field), "[%d]%s%s", i, *e1.field ? "." : "", e1.field);
        return err_field(err, e1.code, field, "element %d: %s", i, e1.msg);
    }
    return 0;
}

int app_readings_parse(const char *text, size_t len, const char *code, int64_t now, size_t max,
                       struct app_reading **out, size_t *n, app_reading_reject_fn *reject,
                       void *ctx, struct err *err)
{
    json_t *j = NULL;
    int rc;
    *out = NULL;
    *n = 0;
    if (code && !sensor_code_ok(code))
        return err_field(err, ERR_BAD_REQUEST, "device", "'%s' is not a device code", code);
    if ((rc = json_parse(text, len, &j, err)) < 0)
        return rc;
    if (code && json_is_object(j)) {
        struct app_reading *r = xcalloc(1, sizeof(*r));
        snprintf(r->code, sizeof(r->code), "%s", code);
        if ((rc = app_reading_from_json(j, now, r, err)) < 0) {
            free(r);
        } else {
            *out = r;
            *n = 1;
        }
        json_free(j);
        return rc;
    }
    if (!json_is_array(j)) {
        json_free(j);
        return err_field(err, ERR_BAD_REQUEST, "",
                         code ? "a message must be a reading object or an array of them"
                              : "a gateway's message must be an array of readings");
    }
    int count = json_array_size(j);
    if (count < 1 || (size_t)count > max) {
        json_free(j);
        return err_field(err, ERR_BAD_REQUEST, "", "a message holds 1 to %zu readings, not %d", max,
                         count);
    }
    struct app_reading *r = xcalloc((size_t)count, sizeof(*r));
    size_t k = 0;
    int i = 0;
    for (const json_t *e = json_array_first(j); e; e = json_next(e), i++) {
        struct err why = ERR_INIT;
        if (batch_element(e, i, code, now, &r[k], &why) == 0)
            k++;
        else if (reject)
            reject(ctx, i, &why);
    }
    json_free(j);
    if (k == 0) {
        free(r);
        r = NULL;
    }
    *out = r;
    *n = k;
    return 0;
}

/* "2026-12-04 21:30" in the calendar's local time. */
static const char *local_time(struct arena *a, const struct cal *cal, int64_t t)
{
    char buf[32];
    clock_format_utc(t + (int64_t)cal_utc_offset(cal) * 60, buf);
    buf[10] = ' ';
    buf[16] = '\0';
    return arena_strdup(a, buf);
}

/* Open the case of a breach, in the job's transaction, as the system. */
static int open_case(const struct app_ctx *x, const struct sensor_device *d,
                     const struct sensor_transition *t, int64_t *case_id)
{
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct case_created made;
    const struct cal *cal;
    int rc;
    if ((rc = app_case_env(x, &env, &actor, &cfg)) < 0 || (rc = app_calendar(x, &cal)) < 0)
        return rc;
    struct case_new in = {0};
    in.channel = CH_SENSOR;
    in.urgency = -1;
    in.category_id = t->category_id;
    in.title = arena_printf(x->arena, "%s超标：%s", t->label, d->name);
    in.description = arena_printf(
        x->arena,
        "感知设备 %s（%s）%s %.1f%s，超过阈值 %.1f%s（%s）。本次超标持续期间不再重复立案；"
        "读数回落到 %.1f%s 及以下时在本工单记录恢复。",
        d->code, d->name, t->label, t->value, t->unit, t->high, t->unit,
        local_time(x->arena, cal, t->since), t->clear, t->unit);
    in.has_location = d->has_location;
    in.lat = d->lat;
    in.lon = d->lon;
    in.region_id = d->region_id;
    if ((rc = case_create_in_tx(&env, &in, &made, x->err)) < 0)
        return rc;
    app_cluster_case_created(x->app, made.id);
    *case_id = made.id;
    return 0;
}

static int note_recovery(const struct app_ctx *x, const struct sensor_device *d,
                         const struct sensor_transition *t)
{
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    const struct cal *cal;
    int rc;
    if (!t->case_id)
        return 0;
    if ((rc = app_case_env(x, &env, &actor, &cfg)) < 0 || (rc = app_calendar(x, &cal)) < 0)
        return rc;
    const char *note = arena_printf(
        x->arena, "感知设备 %s %s 已恢复：%.1f%s（阈值 %.1f%s，本次最高 %.1f%s，%s 起）", d->code,
        t->label, t->value, t->unit, t->high, t->unit, t->peak, t->unit,
        local_time(x->arena, cal, t->since));
    const char *payload =
        arena_printf(x->arena, "{\"device\":%lld,\"metric\":\"%s\",\"value\":%.6g,\"peak\":%.6g}",
                     (long long)d->id, t->metric, t->value, t->peak);
    return case_note_in_tx(&env, t->case_id, "sensor_recover", note, payload, x->err);
}

/* The metrics' lowest thresholds (the MQTT thread's hint) from the database; on failure the
 * hint stays as it was: only the queue order depends on it. */
static void hint_load(const struct app_ctx *x)
{
    struct app *app = x->app;
    struct sensor_threshold *t;
    size_t nt;
    struct err e = ERR_INIT;
    if (sensor_threshold_list(x->conn, x->arena, &t, &nt, &e) < 0)
        return;
    pthread_mutex_lock(&app->sensor_lock);
    size_t cap = sizeof(app->sensor_hint) / sizeof(app->sensor_hint[0]), k = 0;
    for (size_t i = 0; i < nt; i++) {
        size_t j = 0;
        while (j < k && strcmp(app->sensor_hint[j].metric, t[i].metric) != 0)
            j++;
        if (j < k) {
            if (t[i].high < app->sensor_hint[j].high)
                app->sensor_hint[j].high = t[i].high;
        } else if (k < cap) {
            snprintf(app->sensor_hint[k].metric, sizeof(app->sensor_hint[k].metric), "%s",
                     t[i].metric);
            app->sensor_hint[k++].high = t[i].high;
        }
    }
    app->sensor_hint_n = k;
    app->sensor_hint_at = x->now;
    pthread_mutex_unlock(&app->sensor_lock);
}

void app_sensor_changed(struct app *app)
{
    atomic_fetch_add(&app->sensor_gen, 1);
}

/* At the start of each sensor job, on the writer thread: the cache of devices and thresholds made
 * current. Cleared (and the hint reloaded with it) when a change went through this server since
 * it was filled, or APP_SENSOR_HINT_TTL seconds after, for changes another process made (the CLI,
 * SQL): those take effect within that time. The job reads the database only for what is not in
 * it. The generation is read before clearing, so a change during the reload clears it again. */
static void writer_cache(const struct app_ctx *x)
{
    struct app *app = x->app;
    uint64_t gen = atomic_load(&app->sensor_gen);
    if (app->sensor_cache && gen == app->sensor_cache_gen &&
        x->now - app->sensor_cache_at < APP_SENSOR_HINT_TTL && x->now >= app->sensor_cache_at &&
        !sensor_cache_full(app->sensor_cache))
        return;
    if (!app->sensor_cache)
        app->sensor_cache = sensor_cache_new();
    else
        sensor_cache_clear(app->sensor_cache);
    app->sensor_cache_gen = gen;
    app->sensor_cache_at = x->now;
    hint_load(x);
}

/* Store and judge one reading of device 'd' inside the writer's transaction, the device not
 * noted seen (the caller's). */
static int ingest_device(const struct app_ctx *x, const struct sensor_device *d,
                         const struct app_reading *r, int *cases, int *duplicates)
{
    struct sensor_value v[SENSOR_VALUES_MAX];
    struct sensor_transition t[SENSOR_VALUES_MAX];
    size_t nt = 0;
    int rc;
    for (size_t i = 0; i < r->n; i++)
        v[i] = (struct sensor_value){r->metric[i], r->value[i]};
    if ((rc = sensor_ingest_cached(x->conn, x->app->sensor_cache, d, r->at, v, r->n, x->now,
                                   x->arena, t, &nt, duplicates, x->err)) < 0)
        return rc;
    for (size_t i = 0; i < nt; i++) {
        if (t[i].change == SENSOR_BREACH) {
            int64_t case_id = 0;
            if ((rc = open_case(x, d, &t[i], &case_id)) < 0 ||
                (rc = sensor_breach_case(x->conn, d->id, t[i].metric, case_id, x->err)) < 0)
                return rc;
            (*cases)++;
        } else if ((rc = note_recovery(x, d, &t[i])) < 0) {
            return rc;
        }
    }
    return 0;
}

/* The device of a reading: ERR_NOT_FOUND or ERR_CONFLICT (switched off) naming "device". From
 * the writer's cache (writer_cache() called first in the job). */
static int reading_device(const struct app_ctx *x, const char *code, struct sensor_device *d)
{
    const struct sensor_device *p;
    int rc = sensor_cache_device(x->app->sensor_cache, x->conn, code, &p, x->err);
    if (rc < 0)
        return rc;
    *d = *p;
    if (!d->active)
        return err_field(x->err, ERR_CONFLICT, "device", "device '%s' is switched off", code);
    return 0;
}

/* Store and judge one reading inside the writer's transaction. */
static int ingest(const struct app_ctx *x, const struct app_reading *r, int *cases, int *duplicates)
{
    struct sensor_device d;
    int rc;
    if ((rc = reading_device(x, r->code, &d)) < 0 ||
        (rc = ingest_device(x, &d, r, cases, duplicates)) < 0)
        return rc;
    return sensor_device_seen(x->conn, d.id, x->now, x->err);
}

struct batch {
    struct app *app;
    const struct app_reading *r;
    size_t n;
    int64_t now;
    struct app_ingest_report *rep;
    struct arena arena;
};

static int batch_run(void *arg, struct store_conn *c, struct err *err)
{
    struct batch *b = arg;
    struct app_ctx x = {b->app, c, &b->arena, b->now, NULL, err};
    b->rep->cases = b->rep->duplicates = 0;
    writer_cache(&x);
    for (size_t i = 0; i < b->n; i++) {
        int rc = ingest(&x, &b->r[i], &b->rep->cases, &b->rep->duplicates);
        if (rc < 0) {
            b->rep->failed_at = (int)i;
            return rc;
        }
    }
    return 0;
}

int app_sensor_ingest(struct app *app, const struct app_reading *r, size_t n,
                      struct app_ingest_report *rep, struct err *err)
{
    struct batch b = {app, r, n, app_now(app), rep, {0}};
    memset(rep, 0, sizeof(*rep));
    rep->failed_at = -1;
    arena_init(&b.arena, 4096);
    int rc = store_writer_run(app->writer, batch_run, &b, err);
    arena_release(&b.arena);
    if (rc == 0)
        atomic_fetch_add(&app->sensor_readings, (int64_t)n);
    return rc;
}

/* ---- asynchronous: one MQTT message of readings ---- */

struct async_batch {
    struct store_job job;
    struct app *app;
    struct app_reading *r;
    size_t n;
    int64_t now;
    int stored, rejected, duplicates;
    struct app_sensor_ticket *ticket;
    struct arena arena;
};

/* A device of the batch, looked up once: rc < 0 when it cannot take readings. */
struct batch_device {
    const char *code;
    struct sensor_device d;
    int rc, seen;
    struct err why;
};

int app_sensor_may_breach(struct app *app, const struct app_reading *r, size_t n)
{
    pthread_mutex_lock(&app->sensor_lock);
    /* Before the writer's first load nothing is known: urgent, so a breach in the first message
     * after a start does not wait behind others (that job loads the hint). */
    int hit = app->sensor_hint_at == 0;
    for (size_t i = 0; i < n && !hit; i++)
        for (size_t m = 0; m < r[i].n && !hit; m++)
            for (size_t j = 0; j < app->sensor_hint_n; j++)
                if (strcmp(app->sensor_hint[j].metric, r[i].metric[m]) == 0) {
                    hit = r[i].value[m] > app->sensor_hint[j].high;
                    break;
                }
    pthread_mutex_unlock(&app->sensor_lock);
    return hit;
}

static int async_batch_run(void *arg, struct store_conn *c, struct err *err)
{
    struct async_batch *b = arg;
    struct app_ctx x = {b->app, c, &b->arena, b->now, NULL, err};
    struct batch_device *dev = arena_alloc(&b->arena, b->n * sizeof(*dev));
    size_t nd = 0;
    int cases = 0, rc;
    b->stored = b->rejected = b->duplicates = 0;
    writer_cache(&x);
    for (size_t i = 0; i < b->n; i++) {
        const struct app_reading *r = &b->r[i];
        size_t k = nd;
        /* A device's readings mostly come together (a buffer, a gateway's round). */
        if (nd && strcmp(dev[nd - 1].code, r->code) == 0)
            k = nd - 1;
        else
            for (k = 0; k < nd && strcmp(dev[k].code, r->code) != 0; k++)
                ;
        if (k == nd) {
            struct batch_device *bd = &dev[nd++];
            memset(bd, 0, sizeof(*bd));
            bd->code = r->code;
            struct app_ctx y = x;
            err_clear(&bd->why);
            y.err = &bd->why;
            if ((bd->rc = reading_device(&y, r->code, &bd->d)) < 0 && bd->rc != ERR_NOT_FOUND &&
                bd->rc != ERR_CONFLICT) {
                *err = bd->why;
                return bd->rc;
            }
        }
        if (dev[k].rc < 0) {
            b->rejected++;
            log_msg(LOG_WARN, "sensor: reading %zu of the message (device %s at %lld) rejected: %s",
                    i, r->code, (long long)r->at, dev[k].why.msg);
            continue;
        }
        if ((rc = ingest_device(&x, &dev[k].d, r, &cases, &b->duplicates)) < 0)
            return rc;
        dev[k].seen = 1;
        b->stored++;
    }
    for (size_t k = 0; k < nd; k++)
        if (dev[k].seen && (rc = sensor_device_seen(c, dev[k].d.id, b->now, err)) < 0)
            return rc;
    return 0;
}

/* A job that failed in the store (the disk, the database away) may succeed when its readings
 * come again; one refused for what it holds would be refused again. */
static int retryable(int rc)
{
    return rc == ERR_STORE || rc == ERR_INTERNAL || rc == ERR_IO || rc == ERR_UNAVAILABLE;
}

static void async_batch_done(struct store_job *job)
{
    struct async_batch *b = job->arg;
    struct app *app = b->app;
    struct app_sensor_ticket *t = b->ticket;
    size_t n = b->n;
    int rc = job->rc; /* 'job' is part of 'b', freed below */
    int again = rc < 0 && t && retryable(rc);
    if (again) {
        log_msg(LOG_WARN, "sensor: %zu readings (device %s first) not stored, not acknowledged: %s",
                n, b->r[0].code, job->err.msg);
    } else if (job->rc < 0) {
        atomic_fetch_add(&app->sensor_rejected, (int64_t)n);
        log_msg(LOG_WARN, "sensor: a message of %zu readings (device %s first) rejected: %s", n,
                b->r[0].code, job->err.msg);
    } else {
        atomic_fetch_add(&app->sensor_readings, b->stored);
        atomic_fetch_add(&app->sensor_rejected, b->rejected);
        atomic_fetch_add(&app->sensor_duplicates, b->duplicates);
    }
    arena_release(&b->arena);
    free(b->r);
    free(b);
    pthread_mutex_lock(&app->sensor_lock);
    app->sensor_inflight -= (int)n;
    if (t) {
        t->pending--;
        if (again && !t->failed)
            t->failed = rc;
    }
    pthread_cond_broadcast(&app->sensor_cond);
    pthread_mutex_unlock(&app->sensor_lock);
}

int app_sensor_submit_batch(struct app *app, struct app_reading *r, size_t n, int urgent,
                            struct app_sensor_ticket *t, struct err *err)
{
    if (n == 0) {
        free(r);
        return 0;
    }
    /* Backpressure as app_sensor_submit's, counted in readings; an urgent message does not
     * wait for room (it is one message: the window overshoots by at most its size). */
    pthread_mutex_lock(&app->sensor_lock);
    while (!urgent && app->sensor_inflight > 0 &&
           app->sensor_inflight + (int)n > APP_SENSOR_INFLIGHT_MAX)
        pthread_cond_wait(&app->sensor_cond, &app->sensor_lock);
    app->sensor_inflight += (int)n;
    if (t)
        t->pending++;
    pthread_mutex_unlock(&app->sensor_lock);
    struct async_batch *b = xcalloc(1, sizeof(*b));
    b->app = app;
    b->r = r;
    b->n = n;
    b->now = app_now(app);
    b->ticket = t;
    arena_init(&b->arena, 4096);
    b->job.run = async_batch_run;
    b->job.done = async_batch_done;
    b->job.arg = b;
    /* Not waited for: may share a later commit. With a ticket, the submitter waits for the
     * commit to acknowledge: nothing more comes until it, so waiting would only delay it. */
    b->job.may_wait = !urgent && !t;
    int rc = urgent ? store_writer_submit_urgent(app->writer, &b->job, err)
                    : store_writer_submit(app->writer, &b->job, err);
    if (rc < 0) {
        arena_release(&b->arena);
        free(b->r);
        free(b);
        pthread_mutex_lock(&app->sensor_lock);
        app->sensor_inflight -= (int)n;
        if (t)
            t->pending--;
        pthread_cond_broadcast(&app->sensor_cond);
        pthread_mutex_unlock(&app->sensor_lock);
    }
    return rc;
}

int app_sensor_wait(struct app *app, struct app_sensor_ticket *t)
{
    pthread_mutex_lock(&app->sensor_lock);
    while (t->pending > 0)
        pthread_cond_wait(&app->sensor_cond, &app->sensor_lock);
    int rc = t->failed;
    t->failed = 0;
    pthread_mutex_unlock(&app->sensor_lock);
    return rc;
}

void app_sensor_drain(struct app *app)
{
    pthread_mutex_lock(&app->sensor_lock);
    while (app->sensor_inflight > 0)
        pthread_cond_wait(&app->sensor_cond, &app->sensor_lock);
    pthread_mutex_unlock(&app->sensor_lock);
}

void app_sensor_stats(struct app *app, struct app_sensor_stats *out)
{
    out->readings = atomic_load(&app->sensor_readings);
    out->rejected = atomic_load(&app->sensor_rejected);
    out->duplicates = atomic_load(&app->sensor_duplicates);
    out->malformed = atomic_load(&app->sensor_malformed);
    out->connected = atomic_load(&app->mqtt_connected);
}

/* ---- the sweeper's part: devices gone quiet, old readings ---- */

int app_sensor_sweep(const struct app_ctx *x, int *offline)
{
    struct sensor_device *d;
    size_t n;
    int64_t deleted = 0;
    int rc;
    *offline = 0;
    if ((rc = store_begin(x->conn, x->err)) < 0)
        return rc;
    if ((rc = sensor_offline_sweep(x->conn, x->now, x->arena, &d, &n, x->err)) < 0 ||
        (rc = app_warn_offline(x, d, n)) < 0 ||
        (rc = sensor_retention(x->conn,
                               x->now - (int64_t)x->app->d.conf->sensor_retention_days * 86400,
                               &deleted, x->err)) < 0) {
        store_rollback(x->conn);
        return rc;
    }
    if ((rc = store_commit(x->conn, x->err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        log_msg(LOG_WARN, "sensor: device %s has not reported for %d intervals: offline", d[i].code,
                SENSOR_OFFLINE_INTERVALS);
    *offline = (int)n;
    return 0;
}
