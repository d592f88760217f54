/*
 * Patrols (巡查): /api/v1/patrols[...]. A grid worker starts, feeds (fixes), reports from and
 * ends their own patrol; staff read patrols, coverage and statistics within their region scope
 * (a grid worker reads their own only).
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "auth/auth.h"
#include "cal/cal.h"
#include "case/case.h"
#include "core/clock.h"
#include "org/org.h"
#include "patrol/patrol.h"

/* clang-format off */
static const struct json_field start_fields[] = {
    {"region_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field end_fields[] = {
    {"note", JT_STRING, JF_NULLABLE, 0, PATROL_NOTE_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field fix_fields[] = {
    {"at",       JT_STRING, JF_REQUIRED, 1, 40, NULL},
    {"lat",      JT_NUMBER, JF_REQUIRED, -90, 90, NULL},
    {"lon",      JT_NUMBER, JF_REQUIRED, -180, 180, NULL},
    {"accuracy", JT_NUMBER, JF_NULLABLE, 0, 100000, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field fixes_fields[] = {
    {"fixes", JT_ARRAY_OBJECT, JF_REQUIRED, 1, PATROL_FIXES_MAX, fix_fields},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field finding_fields[] = {
    {"title",       JT_STRING, JF_REQUIRED, 1, CASE_TITLE_MAX, NULL},
    {"description", JT_STRING, JF_REQUIRED, 1, CASE_DESCRIPTION_MAX, NULL},
    {"category",    JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"urgency",     JT_STRING, JF_NULLABLE, 0, 0, NULL},
    {"lat",         JT_NUMBER, JF_REQUIRED, CASE_LAT_MIN, CASE_LAT_MAX, NULL},
    {"lon",         JT_NUMBER, JF_REQUIRED, CASE_LON_MIN, CASE_LON_MAX, NULL},
    {"address",     JT_STRING, JF_NULLABLE, 0, CASE_ADDRESS_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static int is_grid_worker_only(const struct api_call *call)
{
    return (call->user->roles & ROLE_GRID_WORKER) &&
           !(call->user->roles & (ROLE_ADMIN | ROLE_DISPATCHER | ROLE_SUPERVISOR));
}

/* May the caller read patrol 'p'? A grid worker their own; a region-bound official those in
 * their region's subtree; other staff of the route's roles all. */
static int may_read(const struct api_call *call, const struct patrol *p)
{
    if (call->user->roles & ROLE_ADMIN)
        return 1;
    if (p->user_id == call->user->id)
        return 1;
    if (is_grid_worker_only(call))
        return 0;
    if (call->user->region_id)
        return p->region_code &&
               org_region_code_in_subtree(p->region_code, call->user->region_code);
    return 1;
}

static void patrol_json(struct jw *w, const struct patrol *p)
{
    jw_kint(w, "id", p->id);
    jw_key(w, "worker");
    jw_obj(w);
    jw_kint(w, "id", p->user_id);
    jw_kstr(w, "name", p->user_name);
    jw_obj_end(w);
    jw_key(w, "region");
    if (p->region_id) {
        jw_obj(w);
        jw_kint(w, "id", p->region_id);
        jw_kstr(w, "code", p->region_code);
        jw_kstr(w, "name", p->region_name);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_ktime(w, "started_at", p->started_at);
    jw_ktime(w, "ended_at", p->ended_at);
    jw_kbool(w, "under_way", p->ended_at == 0);
    jw_kint(w, "fixes", p->fixes);
    jw_knum(w, "distance_m", (double)(int64_t)(p->distance_m + 0.5));
    jw_kint(w, "findings", p->findings);
    jw_kstr(w, "note", p->note);
}

/* The record with its track (a GeoJSON LineString and the fix times) and findings. */
static int patrol_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct patrol p;
    struct patrol_fix *fx;
    struct patrol_finding *fd;
    size_t nf, nd;
    int rc;
    if ((rc = patrol_get(call->conn, id, call->req->arena, &p, &call->err)) < 0 ||
        (rc = patrol_track(call->conn, id, call->req->arena, &fx, &nf, &call->err)) < 0 ||
        (rc = patrol_findings(call->conn, id, call->req->arena, &fd, &nd, &call->err)) < 0)
        return rc;
    jw_obj(w);
    patrol_json(w, &p);
    jw_key(w, "track");
    jw_obj(w);
    jw_kstr(w, "type", "LineString");
    jw_key(w, "coordinates");
    jw_arr(w);
    for (size_t i = 0; i < nf; i++) {
        jw_arr(w);
        jw_num(w, fx[i].lon);
        jw_num(w, fx[i].lat);
        jw_arr_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    jw_key(w, "fix_times");
    jw_arr(w);
    for (size_t i = 0; i < nf; i++) {
        char t[32];
        clock_format_utc(fx[i].at, t);
        jw_str(w, t);
    }
    jw_arr_end(w);
    jw_key(w, "finding_cases");
    jw_arr(w);
    for (size_t i = 0; i < nd; i++) {
        jw_obj(w);
        jw_kint(w, "id", fd[i].case_id);
        jw_kstr(w, "number", fd[i].number);
        jw_kstr(w, "title", fd[i].title);
        jw_kstr(w, "state", fd[i].state);
        if (fd[i].has_location) {
            jw_knum(w, "lat", fd[i].lat);
            jw_knum(w, "lon", fd[i].lon);
        }
        jw_ktime(w, "created_at", fd[i].created_at);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    return 0;
}

static const struct api_resource patrol_res = {"patrol", "/api/v1/patrols", patrol_render, NULL};

int api_patrol_start(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, start_fields, &call->err)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = patrol_start(call->conn, call->user->id, json_get_int(call->body, "region_id", 0),
                           call->user->region_id, call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &patrol_res, "create", id, NULL);
}

int api_patrol_end(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, end_fields, &call->err)) < 0 ||
        (rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = patrol_end(call->conn, id, call->user->id, json_get_str(call->body, "note"),
                         call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &patrol_res, "end", id, NULL);
}

int api_patrol_fixes(struct api_call *call)
{
    int64_t id;
    size_t added, dups;
    int rc;
    if ((rc = json_check(call->body, fixes_fields, &call->err)) < 0 ||
        (rc = api_param_id(call, "id", &id)) < 0)
        return rc;
    const json_t *arr = json_get(call->body, "fixes");
    size_t n = (size_t)json_array_size(arr), i = 0;
    struct patrol_fix *fx = arena_alloc(call->req->arena, n * sizeof(*fx));
    for (const json_t *it = json_array_first(arr); it; it = json_next(it), i++) {
        if (clock_parse_rfc3339(json_get_str(it, "at"), &fx[i].at) < 0 || fx[i].at <= 0) {
            char field[40];
            snprintf(field, sizeof(field), "fixes[%zu].at", i);
            return err_field(&call->err, ERR_BAD_REQUEST, field,
                             "fix %zu: 'at' must be an RFC 3339 time", i);
        }
        fx[i].lat = json_get_num(it, "lat", 0);
        fx[i].lon = json_get_num(it, "lon", 0);
        fx[i].accuracy = json_get_num(it, "accuracy", 0);
    }
    if ((rc = api_begin(call)) < 0 ||
        (rc = patrol_fixes_add(call->conn, id, call->user->id, fx, n, call->now, &added, &dups,
                               &call->err)) < 0)
        return rc;
    /* A batch of duplicates changes nothing: no audit entry for it. */
    if (!added) {
        api_rollback(call);
        struct jw w;
        jw_init(&w);
        jw_obj(&w);
        jw_kint(&w, "patrol_id", id);
        jw_kint(&w, "added", 0);
        jw_kint(&w, "duplicates", (int64_t)dups);
        jw_obj_end(&w);
        return api_reply(call, 200, &w);
    }
    char *after = arena_printf(call->req->arena, "{\"added\":%zu,\"duplicates\":%zu}", added, dups);
    if ((rc = api_commit(call, "patrol.fixes",
                         arena_printf(call->req->arena, "patrol/%lld", (long long)id), NULL,
                         after)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "patrol_id", id);
    jw_kint(&w, "added", (int64_t)added);
    jw_kint(&w, "duplicates", (int64_t)dups);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

int api_patrol_get(struct api_call *call)
{
    int64_t id;
    struct patrol p;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = patrol_get(call->conn, id, call->req->arena, &p, &call->err)) < 0)
        return rc;
    if (!may_read(call, &p))
        return err_set(&call->err, ERR_NOT_FOUND, "patrol %lld does not exist", (long long)id);
    return api_crud_get(call, &patrol_res);
}

int api_patrol_current(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = patrol_current(call->conn, call->user->id, &id, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "patrol");
    if (!id)
        jw_null(&w);
    else if ((rc = patrol_render(call, id, &w)) < 0) {
        jw_release(&w);
        return rc;
    }
    jw_obj_end(&w);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

static int query_day(struct api_call *call, const char *param, int64_t *t)
{
    const char *v = http_req_query(call->req, param);
    if (v && (clock_parse_rfc3339(v, t) < 0 || *t <= 0))
        return err_field(&call->err, ERR_BAD_REQUEST, param,
                         "query parameter '%s' must be a date (2026-09-24) or an RFC 3339 time",
                         param);
    return 0;
}

/* An official bound to a region reads patrols inside it only: a region asked for must lie in it,
 * and none asked for means all of it. Administrators and unbound staff read everything. */
static int scope_region(struct api_call *call, int64_t *region)
{
    if (!call->user->region_id || (call->user->roles & ROLE_ADMIN))
        return 0;
    if (*region &&
        org_region_in_subtree(call->conn, *region, call->user->region_id, &call->err) <= 0)
        return err_field(&call->err, ERR_FORBIDDEN, "region", "region %lld is outside your region",
                         (long long)*region);
    if (!*region)
        *region = call->user->region_id;
    return 0;
}

int api_patrol_list(struct api_call *call)
{
    struct patrol_filter f = {0};
    struct patrol *v;
    size_t n;
    int64_t limit;
    int rc;
    if ((rc = query_day(call, "from", &f.from)) < 0 || (rc = query_day(call, "to", &f.to)) < 0 ||
        (rc = api_query_int(call, "user", 0, 0, INT64_MAX, &f.user_id)) < 0 ||
        (rc = api_query_int(call, "region", 0, 0, INT64_MAX, &f.region_id)) < 0 ||
        (rc = api_query_int(call, "limit", 50, 1, 500, &limit)) < 0)
        return rc;
    f.limit = (size_t)limit;
    if (is_grid_worker_only(call))
        f.user_id = call->user->id;
    else if ((rc = scope_region(call, &f.region_id)) < 0)
        return rc;
    if ((rc = patrol_list(call->conn, &f, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        patrol_json(&w, &v[i]);
        jw_obj_end(&w);
    }
    api_list_end_page(call, &w, NULL, n);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

/* Local days from the query: from / to as dates, default the last 7 days to today. */
static int query_days(struct api_call *call, const struct cal *cal, int64_t *d0, int64_t *d1)
{
    int64_t from = 0, to = 0;
    int rc;
    if ((rc = query_day(call, "from", &from)) < 0 || (rc = query_day(call, "to", &to)) < 0)
        return rc;
    int64_t off = (int64_t)cal_utc_offset(cal) * 60;
    /* A bare date parses as its UTC midnight: the local date it names. */
    *d1 = to ? (to + (strlen(http_req_query(call->req, "to")) == 10 ? 0 : off)) / 86400
             : cal_local_day(cal, call->now);
    *d0 = from ? (from + (strlen(http_req_query(call->req, "from")) == 10 ? 0 : off)) / 86400
               : *d1 - 6;
    if (*d1 < *d0)
        return err_field(&call->err, ERR_BAD_REQUEST, "to", "'to' is before 'from'");
    if (*d1 - *d0 >= PATROL_DAYS_MAX)
        return err_field(&call->err, ERR_BAD_REQUEST, "to", "at most %d days at a time",
                         PATROL_DAYS_MAX);
    return 0;
}

int api_patrol_coverage(struct api_call *call)
{
    const struct cal *cal;
    struct app_ctx x = api_ctx(call);
    struct patrol_cover *v;
    size_t n;
    int64_t region = 0, radius, d0, d1;
    int rc;
    if ((rc = app_calendar(&x, &cal)) < 0 || (rc = query_days(call, cal, &d0, &d1)) < 0 ||
        (rc = api_query_int(call, "region", 0, 0, INT64_MAX, &region)) < 0 ||
        (rc = api_query_int(call, "radius", (int64_t)PATROL_COVER_M, 1, (int64_t)PATROL_COVER_M_MAX,
                            &radius)) < 0)
        return rc;
    if ((rc = scope_region(call, &region)) < 0)
        return rc;
    if ((rc = patrol_coverage(call->conn, region, d0, d1, (int64_t)cal_utc_offset(cal) * 60,
                              (double)radius, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        char day[32];
        clock_format_utc(v[i].day * 86400, day);
        day[10] = '\0';
        jw_obj(&w);
        jw_key(&w, "region");
        jw_obj(&w);
        jw_kint(&w, "id", v[i].region_id);
        jw_kstr(&w, "code", v[i].code);
        jw_kstr(&w, "name", v[i].name);
        jw_obj_end(&w);
        jw_kstr(&w, "date", day);
        jw_knum(&w, "share", (double)(int64_t)(v[i].share * 10000 + 0.5) / 10000);
        jw_kint(&w, "patrols", v[i].patrols);
        jw_obj_end(&w);
    }
    api_list_end_page(call, &w, NULL, n);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

int api_patrol_stats(struct api_call *call)
{
    const struct cal *cal;
    struct app_ctx x = api_ctx(call);
    struct patrol_stat *v;
    size_t n;
    int64_t d0, d1, region = 0;
    int rc;
    if ((rc = app_calendar(&x, &cal)) < 0 || (rc = query_days(call, cal, &d0, &d1)) < 0 ||
        (rc = api_query_int(call, "region", 0, 0, INT64_MAX, &region)) < 0 ||
        (rc = scope_region(call, &region)) < 0)
        return rc;
    int64_t off = (int64_t)cal_utc_offset(cal) * 60;
    if ((rc = patrol_stats(call->conn, region, d0 * 86400 - off, (d1 + 1) * 86400 - off, off,
                           call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_grid_worker_only(call) && v[i].user_id != call->user->id)
            continue;
        jw_obj(&w);
        jw_key(&w, "worker");
        jw_obj(&w);
        jw_kint(&w, "id", v[i].user_id);
        jw_kstr(&w, "name", v[i].user_name);
        jw_obj_end(&w);
        jw_kint(&w, "patrols", v[i].patrols);
        jw_kint(&w, "days", v[i].days);
        jw_kint(&w, "fixes", v[i].fixes);
        jw_knum(&w, "distance_m", (double)(int64_t)(v[i].distance_m + 0.5));
        jw_kint(&w, "duration_s", v[i].duration_s);
        jw_kint(&w, "findings", v[i].findings);
        jw_obj_end(&w);
        shown++;
    }
    api_list_end_page(call, &w, NULL, shown);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

/* ---- findings: a case (channel grid) created with the link in its transaction ---- */

struct finding_ctx {
    int64_t patrol_id, user_id, now;
};

static int finding_also(struct store_conn *c, const struct case_created *created, void *ctx,
                        struct err *err)
{
    const struct finding_ctx *f = ctx;
    int rc = patrol_finding_check(c, f->patrol_id, f->user_id, err);
    return rc < 0 ? rc : patrol_finding_link(c, f->patrol_id, created->id, f->now, err);
}

static int finding_reply(struct api_call *call, const struct case_created *out,
                         const struct case_actor *actor, void *ctx)
{
    (void)actor;
    const struct finding_ctx *f = ctx;
    http_res_header(call->res, "Location",
                    arena_printf(call->req->arena, "/api/v1/cases/%lld", (long long)out->id));
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "id", out->id);
    jw_kstr(&w, "number", out->number);
    jw_kint(&w, "patrol_id", f->patrol_id);
    jw_obj_end(&w);
    return api_reply(call, 201, &w);
}

int api_patrol_finding(struct api_call *call)
{
    struct case_new in = {0};
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, finding_fields, &call->err)) < 0 ||
        (rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = patrol_finding_check(call->conn, id, call->user->id, &call->err)) < 0)
        return rc;
    in.channel = CH_GRID;
    in.title = json_get_str(call->body, "title");
    in.description = json_get_str(call->body, "description");
    in.category_id = json_get_int(call->body, "category", 0);
    in.urgency = -1;
    const char *urg = json_get_str(call->body, "urgency");
    if (urg && (in.urgency = case_urgency_from_name(urg)) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "urgency",
                         "field 'urgency' must be normal, urgent or emergency");
    in.has_location = 1;
    in.lat = json_get_num(call->body, "lat", 0);
    in.lon = json_get_num(call->body, "lon", 0);
    in.address = json_get_str(call->body, "address");
    if ((rc = api_locate_region(call, in.lat, in.lon, &in.region_id)) < 0)
        return rc;
    in.citizen_name = call->user->display_name;
    in.citizen_phone = call->user->phone;
    in.idempotency_key = http_req_header(call->req, "Idempotency-Key");
    if (in.idempotency_key &&
        (rc = case_idempotency_key_check(in.idempotency_key, "Idempotency-Key", &call->err)) < 0)
        return rc;
    struct finding_ctx *f = arena_alloc(call->req->arena, sizeof(*f));
    f->patrol_id = id;
    f->user_id = call->user->id;
    f->now = call->now;
    return api_case_intake_also(call, &in, finding_also, f, finding_reply, f);
}
