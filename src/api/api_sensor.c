/*
 * /api/v1/devices, /api/v1/sensor-thresholds and /api/v1/readings: the device registry, the
 * thresholds per type, and readings over HTTP in batches (the other door is MQTT, app_mqtt.c).
 * docs/warning.md §5.
 */
#include <string.h>

#include "api/api_internal.h"
#include "app/app.h"
#include "auth/auth.h"
#include "core/clock.h"
#include "core/conf.h"
#include "org/org.h"
#include "sensor/sensor.h"

/* clang-format off */
static const struct json_field device_fields[] = {
    {"code",          JT_STRING, 0,           1, SENSOR_CODE_MAX, NULL},
    {"type",          JT_STRING, 0,           1, SENSOR_TYPE_MAX, NULL},
    {"name",          JT_STRING, 0,           1, SENSOR_NAME_MAX, NULL},
    {"lat",           JT_NUMBER, JF_NULLABLE, -90, 90, NULL},
    {"lon",           JT_NUMBER, JF_NULLABLE, -180, 180, NULL},
    {"department_id", JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"interval_s",    JT_INT,    0,           SENSOR_INTERVAL_MIN, SENSOR_INTERVAL_MAX, NULL},
    {"active",        JT_BOOL,   0,           0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field threshold_fields[] = {
    {"type",        JT_STRING, JF_REQUIRED, 1, SENSOR_TYPE_MAX, NULL},
    {"metric",      JT_STRING, JF_REQUIRED, 1, SENSOR_METRIC_MAX, NULL},
    {"label",       JT_STRING, JF_REQUIRED, 1, SENSOR_LABEL_MAX, NULL},
    {"unit",        JT_STRING, JF_NULLABLE, 0, SENSOR_UNIT_MAX, NULL},
    {"high",        JT_NUMBER, JF_REQUIRED, 0, 0, NULL},
    {"clear",       JT_NUMBER, JF_REQUIRED, 0, 0, NULL},
    {"category_id", JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field reading_fields[] = {
    {"device", JT_STRING, JF_REQUIRED, 1, SENSOR_CODE_MAX, NULL},
    {"time",   JT_STRING, JF_REQUIRED, 1, 40, NULL},
    {"values", JT_OBJECT, JF_REQUIRED, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
#define READINGS_MAX 1000
static const struct json_field batch_fields[] = {
    {"readings", JT_ARRAY_OBJECT, JF_REQUIRED, 1, READINGS_MAX, reading_fields},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

/* A region-bound reader (a street's staff) sees the devices of its region only. */
static int64_t scope_region(const struct api_call *call)
{
    return call->user && call->user->region_id && !(call->user->roles & ROLE_ADMIN)
               ? call->user->region_id
               : 0;
}

static void device_json(struct jw *w, const struct sensor_device *d, int64_t now)
{
    jw_kint(w, "id", d->id);
    jw_kstr(w, "code", d->code);
    jw_kstr(w, "type", d->type);
    jw_kstr(w, "name", d->name);
    if (d->has_location) {
        jw_knum(w, "lat", d->lat);
        jw_knum(w, "lon", d->lon);
    } else {
        jw_knull(w, "lat");
        jw_knull(w, "lon");
    }
    jw_kint(w, "region_id", d->region_id);
    jw_kstr(w, "region", *d->region_name ? d->region_name : NULL);
    jw_kopt(w, "department_id", d->department_id);
    jw_kstr(w, "department", *d->department_name ? d->department_name : NULL);
    jw_kint(w, "interval_s", d->interval_s);
    jw_kbool(w, "active", d->active);
    jw_ktime(w, "last_seen_at", d->last_seen_at);
    jw_ktime(w, "offline_at", d->offline_at);
    /* Online: reported within its expected silence. */
    jw_kbool(w, "online",
             d->active && !d->offline_at && d->last_seen_at &&
                 d->last_seen_at + (int64_t)SENSOR_OFFLINE_INTERVALS * d->interval_s >= now);
    jw_ktime(w, "created_at", d->created_at);
    jw_ktime(w, "updated_at", d->updated_at);
}

static int device_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct sensor_device d;
    struct sensor_state *st;
    size_t n;
    int rc;
    if ((rc = sensor_device_get(call->conn, id, call->req->arena, &d, &call->err)) < 0 ||
        (rc = sensor_states(call->conn, id, call->req->arena, &st, &n, &call->err)) < 0)
        return rc;
    jw_obj(w);
    device_json(w, &d, call->now);
    jw_key(w, "states");
    jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(w);
        jw_kstr(w, "metric", st[i].metric);
        jw_kbool(w, "breached", st[i].breached);
        jw_ktime(w, "since", st[i].breached ? st[i].since : 0);
        jw_kopt(w, "case_id", st[i].case_id);
        jw_ktime(w, "updated_at", st[i].updated_at);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    return 0;
}

/* After a device's change is committed: the store writer's copy of it is stale. */
static void device_changed(struct api_call *call, int64_t id)
{
    (void)id;
    app_sensor_changed(call->api->app);
}

static const struct api_resource device_res = {"device", "/api/v1/devices", device_render,
                                               device_changed};

int api_device_list(struct api_call *call)
{
    struct sensor_device *v;
    struct api_page pg;
    size_t n;
    int64_t region = 0;
    int rc;
    const char *type = http_req_query(call->req, "type");
    if (type && *type && !sensor_name_ok(type, SENSOR_TYPE_MAX))
        return err_field(&call->err, ERR_BAD_REQUEST, "type", "unknown device type");
    if ((rc = api_query_int(call, "region", 0, 0, INT64_MAX, &region)) < 0 ||
        (rc = api_page_query(call, 100, 1000, &pg)) < 0)
        return rc;
    int64_t bound = scope_region(call);
    if (bound) {
        if (region && org_region_in_subtree(call->conn, region, bound, &call->err) <= 0)
            return err_field(&call->err, ERR_FORBIDDEN, "region",
                             "region %lld is outside your region", (long long)region);
        if (!region)
            region = bound;
    }
    if ((rc = sensor_device_list(call->conn, type && *type ? type : NULL, region, call->req->arena,
                                 &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++) {
        jw_obj(&w);
        device_json(&w, &v[i], call->now);
        jw_obj_end(&w);
    }
    api_list_end_page(call, &w, &pg, n);
    return api_reply(call, 200, &w);
}

/* Device 'id' exists and lies in a region-bound caller's region (else 404 / 403 scope). */
static int device_in_scope(struct api_call *call, int64_t id)
{
    struct sensor_device d;
    int64_t bound = scope_region(call);
    int rc = sensor_device_get(call->conn, id, call->req->arena, &d, &call->err);
    if (rc < 0 || !bound)
        return rc;
    if (!d.region_id || org_region_in_subtree(call->conn, d.region_id, bound, &call->err) <= 0)
        return err_deny(&call->err, ERR_REASON_SCOPE, "device %lld is outside your region",
                        (long long)id);
    return 0;
}

int api_device_get(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = device_in_scope(call, id)) < 0)
        return rc;
    return api_crud_get(call, &device_res);
}

/* The body over 'cur' (NULL: a new device); the place resolved to its grid. */
static int device_in(struct api_call *call, const struct sensor_device *cur,
                     struct sensor_device_in *in)
{
    const json_t *b = call->body;
    int rc;
    if ((rc = json_check(b, device_fields, &call->err)) < 0)
        return rc;
    in->code = cur ? cur->code : json_get_str(b, "code");
    if (cur && json_has(b, "code") &&
        strcmp(json_get_str(b, "code") ? json_get_str(b, "code") : "", cur->code) != 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "code",
                         "a device keeps its code: register a new device instead");
    in->type = json_has(b, "type") ? json_get_str(b, "type") : cur ? cur->type : NULL;
    in->name = json_has(b, "name") ? json_get_str(b, "name") : cur ? cur->name : NULL;
    in->department_id = json_has(b, "department_id") ? json_get_int(b, "department_id", 0)
                        : cur                        ? cur->department_id
                                                     : 0;
    in->interval_s = (int)json_get_int(b, "interval_s", cur ? cur->interval_s : 300);
    in->active = json_get_bool(b, "active", cur ? cur->active : 1);
    int has_lat = json_has(b, "lat") && !json_is_null(b, "lat");
    int has_lon = json_has(b, "lon") && !json_is_null(b, "lon");
    if (has_lat != has_lon)
        return err_field(&call->err, ERR_BAD_REQUEST, has_lat ? "lon" : "lat",
                         "'lat' and 'lon' come together");
    if (json_has(b, "lat") || json_has(b, "lon")) {
        in->has_location = has_lat;
        in->lat = json_get_num(b, "lat", 0);
        in->lon = json_get_num(b, "lon", 0);
    } else if (cur) {
        in->has_location = cur->has_location;
        in->lat = cur->lat;
        in->lon = cur->lon;
    }
    in->region_id = 0;
    if (in->has_location && (rc = api_locate_region(call, in->lat, in->lon, &in->region_id)) < 0)
        return rc;
    if (in->has_location && !in->region_id)
        return err_field(&call->err, ERR_BAD_REQUEST, "lat",
                         "the point (%.6f, %.6f) lies outside every region", in->lat, in->lon);
    return 0;
}

int api_device_create(struct api_call *call)
{
    struct sensor_device_in in = {0};
    int64_t id;
    int rc;
    if ((rc = device_in(call, NULL, &in)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = sensor_device_create(call->conn, &in, call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &device_res, "create", id, NULL);
}

int api_device_update(struct api_call *call)
{
    struct sensor_device cur;
    struct sensor_device_in in = {0};
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = sensor_device_get(call->conn, id, call->req->arena, &cur, &call->err)) < 0 ||
        (rc = api_crud_state(call, &device_res, id, &before)) < 0 ||
        (rc = device_in(call, &cur, &in)) < 0 ||
        (rc = sensor_device_update(call->conn, id, &in, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &device_res, "update", id, before);
}

/* GET /devices/{id}/readings?metric=&from=&to=&points=: a chart's series, downsampled. */
static void device_readings_item(struct jw *w, const void *record)
{
    const struct sensor_point *x = record;
    jw_ktime(w, "at", x->at);
    jw_knum(w, "avg", x->avg);
    jw_knum(w, "min", x->min);
    jw_knum(w, "max", x->max);
    jw_kint(w, "n", x->n);
}

int api_device_readings(struct api_call *call)
{
    struct sensor_point *p;
    size_t n;
    int64_t id, points, from = 0, to = 0;
    int rc;
    const char *metric = http_req_query(call->req, "metric");
    const char *qf = http_req_query(call->req, "from"), *qt = http_req_query(call->req, "to");
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = api_query_int(call, "points", 200, 1, SENSOR_POINTS_MAX, &points)) < 0)
        return rc;
    if (!metric || !sensor_name_ok(metric, SENSOR_METRIC_MAX))
        return err_field(&call->err, ERR_BAD_REQUEST, "metric",
                         "query parameter 'metric' must name a metric");
    if (qf && *qf && clock_parse_rfc3339(qf, &from) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "from", "'from' must be an RFC 3339 time");
    if (qt && *qt && clock_parse_rfc3339(qt, &to) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "to", "'to' must be an RFC 3339 time");
    if (!to)
        to = call->now + 1;
    if (!from)
        from = to - 86400;
    if ((rc = device_in_scope(call, id)) < 0 ||
        (rc = sensor_readings(call->conn, id, metric, from, to, (int)points, call->req->arena, &p,
                              &n, &call->err)) < 0)
        return rc;
    return api_reply_items(call, p, n, sizeof(*p), device_readings_item);
}

/* ---- thresholds ---- */

static void threshold_list_item(struct jw *w, const void *record)
{
    const struct sensor_threshold *x = record;
    jw_kint(w, "id", x->id);
    jw_kstr(w, "type", x->type);
    jw_kstr(w, "metric", x->metric);
    jw_kstr(w, "label", x->label);
    jw_kstr(w, "unit", x->unit);
    jw_knum(w, "high", x->high);
    jw_knum(w, "clear", x->clear);
    jw_kopt(w, "category_id", x->category_id);
    jw_kstr(w, "category", *x->category_name ? x->category_name : NULL);
    jw_ktime(w, "updated_at", x->updated_at);
}

int api_threshold_list(struct api_call *call)
{
    struct sensor_threshold *v;
    size_t n;
    int rc = sensor_threshold_list(call->conn, call->req->arena, &v, &n, &call->err);
    if (rc < 0)
        return rc;
    return api_reply_items(call, v, n, sizeof(*v), threshold_list_item);
}

int api_threshold_put(struct api_call *call)
{
    const json_t *b = call->body;
    int rc;
    if ((rc = json_check(b, threshold_fields, &call->err)) < 0)
        return rc;
    struct sensor_threshold t = {0};
    t.type = json_get_str(b, "type");
    t.metric = json_get_str(b, "metric");
    t.label = json_get_str(b, "label");
    t.unit = json_get_str(b, "unit");
    t.high = json_get_num(b, "high", 0);
    t.clear = json_get_num(b, "clear", 0);
    t.category_id = json_get_int(b, "category_id", 0);
    if ((rc = api_begin(call)) < 0 ||
        (rc = sensor_threshold_set(call->conn, &t, call->now, &call->err)) < 0)
        return rc;
    char target[96];
    snprintf(target, sizeof(target), "sensor-threshold/%s.%s", t.type, t.metric);
    const char *after = json_print(b, call->req->arena);
    if ((rc = api_commit(call, "sensor_threshold.set", target, NULL, after)) < 0)
        return rc;
    app_sensor_changed(call->api->app); /* the next reading is judged by the new threshold */
    return api_threshold_list(call);
}

/* ---- readings over HTTP ---- */

/* The error of element i of the batch: its field named under "readings[i]". */
static int element_error(struct api_call *call, int i, int rc)
{
    const char *field = arena_printf(call->req->arena, "readings[%d].%s", i, call->err.field);
    size_t n = strlen(field);
    if (n >= sizeof(call->err.field))
        n = sizeof(call->err.field) - 1;
    memcpy(call->err.field, field, n);
    call->err.field[n] = '\0';
    return rc;
}

int api_readings_post(struct api_call *call)
{
    const json_t *b = call->body;
    int rc;
    if ((rc = json_check(b, batch_fields, &call->err)) < 0)
        return rc;
    const json_t *arr = json_get(b, "readings");
    int n = json_array_size(arr);
    struct app_reading *r = arena_alloc(call->req->arena, sizeof(*r) * (size_t)n);
    int i = 0;
    for (const json_t *x = json_array_first(arr); x; x = json_next(x), i++) {
        memset(&r[i], 0, sizeof(r[i]));
        const char *code = json_get_str(x, "device");
        if (!sensor_code_ok(code))
            return err_field(&call->err, ERR_BAD_REQUEST,
                             arena_printf(call->req->arena, "readings[%d].device", i),
                             "'%s' is not a device code", code ? code : "");
        snprintf(r[i].code, sizeof(r[i].code), "%s", code);
        if ((rc = app_reading_from_json(x, call->now, &r[i], &call->err)) < 0)
            return element_error(call, i, rc);
    }
    struct app_ingest_report rep;
    if ((rc = app_sensor_ingest(call->api->app, r, (size_t)n, &rep, &call->err)) < 0) {
        return rep.failed_at >= 0 && *call->err.field ? element_error(call, rep.failed_at, rc) : rc;
    }
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "stored", n);
    jw_kint(&w, "duplicates", rep.duplicates);
    jw_kint(&w, "cases", rep.cases);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* GET /sensors/status: the MQTT link and the counts since start, for the registry screen. */
int api_sensor_status(struct api_call *call)
{
    struct app_sensor_stats s;
    app_sensor_stats(call->api->app, &s);
    const struct conf *cf = call->api->d.conf;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kbool(&w, "mqtt", cf->mqtt_url && *cf->mqtt_url);
    jw_kbool(&w, "connected", s.connected);
    jw_kint(&w, "readings", s.readings);
    jw_kint(&w, "rejected", s.rejected);
    jw_kint(&w, "malformed", s.malformed);
    jw_kint(&w, "duplicates", s.duplicates);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}
