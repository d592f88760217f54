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

/* Store and judge one reading inside the writer's transaction. */
static int ingest(const struct app_ctx *x, const struct app_reading *r, int *cases, int *duplicates)
{
    struct sensor_device d;
    struct sensor_value v[SENSOR_VALUES_MAX];
    struct sensor_transition t[SENSOR_VALUES_MAX];
    size_t nt = 0;
    int rc;
    if ((rc = sensor_device_by_code(x->conn, r->code, x->arena, &d, x->err)) < 0)
        return rc;
    if (!d.active)
        return err_field(x->err, ERR_CONFLICT, "device", "device '%s' is switched off", r->code);
    for (size_t i = 0; i < r->n; i++)
        v[i] = (struct sensor_value){r->metric[i], r->value[i]};
    if ((rc = sensor_ingest(x->conn, &d, r->at, v, r->n, x->now, x->arena, t, &nt, duplicates,
                            x->err)) < 0)
        return rc;
    for (size_t i = 0; i < nt; i++) {
        if (t[i].change == SENSOR_BREACH) {
            int64_t case_id = 0;
            if ((rc = open_case(x, &d, &t[i], &case_id)) < 0 ||
                (rc = sensor_breach_case(x->conn, d.id, t[i].metric, case_id, x->err)) < 0)
                return rc;
            (*cases)++;
        } else if ((rc = note_recovery(x, &d, &t[i])) < 0) {
            return rc;
        }
    }
    return 0;
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

/* ---- asynchronous: one reading off the MQTT thread ---- */

struct async_reading {
    struct store_job job;
    struct app *app;
    struct app_reading r;
    int64_t now;
    struct app_ingest_report rep;
    struct arena arena;
};

static int async_run(void *arg, struct store_conn *c, struct err *err)
{
    struct async_reading *a = arg;
    struct app_ctx x = {a->app, c, &a->arena, a->now, NULL, err};
    return ingest(&x, &a->r, &a->rep.cases, &a->rep.duplicates);
}

static void async_done(struct store_job *job)
{
    struct async_reading *a = job->arg;
    struct app *app = a->app;
    if (job->rc < 0) {
        atomic_fetch_add(&app->sensor_rejected, 1);
        log_msg(LOG_WARN, "sensor: reading of device %s at %lld rejected: %s", a->r.code,
                (long long)a->r.at, job->err.msg);
    } else {
        atomic_fetch_add(&app->sensor_readings, 1);
        atomic_fetch_add(&app->sensor_duplicates, a->rep.duplicates);
    }
    arena_release(&a->arena);
    free(a);
    pthread_mutex_lock(&app->sensor_lock);
    app->sensor_inflight--;
    pthread_cond_broadcast(&app->sensor_cond);
    pthread_mutex_unlock(&app->sensor_lock);
}

int app_sensor_submit(struct app *app, const struct app_reading *r, struct err *err)
{
    /* Backpressure: a flood waits here (the MQTT thread stops reading, the broker queues)
     * rather than growing the writer's queue without bound. */
    pthread_mutex_lock(&app->sensor_lock);
    while (app->sensor_inflight >= APP_SENSOR_INFLIGHT_MAX)
        pthread_cond_wait(&app->sensor_cond, &app->sensor_lock);
    app->sensor_inflight++;
    pthread_mutex_unlock(&app->sensor_lock);
    struct async_reading *a = xcalloc(1, sizeof(*a));
    a->app = app;
    a->r = *r;
    a->now = app_now(app);
    arena_init(&a->arena, 2048);
    a->job.run = async_run;
    a->job.done = async_done;
    a->job.arg = a;
    int rc = store_writer_submit(app->writer, &a->job, err);
    if (rc < 0) {
        arena_release(&a->arena);
        free(a);
        pthread_mutex_lock(&app->sensor_lock);
        app->sensor_inflight--;
        pthread_cond_broadcast(&app->sensor_cond);
        pthread_mutex_unlock(&app->sensor_lock);
    }
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
