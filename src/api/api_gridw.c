/*
 * Grid workers (网格员) and their dispatch (src/gridw):
 *   GET  /api/v1/grid-workers[?region_id=&grid_id=&active=1]   the workers (in the caller's region)
 *   GET  /api/v1/grid-workers/{id}                             one, by user id
 *   PUT  /api/v1/grid-workers/{id}                             make a user a worker, or replace
 *   POST /api/v1/me/position                                   the worker's phone reports a fix
 *   GET  /api/v1/cases/{id}/worker-suggestions[?at=&limit=]    ranked workers with reasons
 *   POST /api/v1/grid-workers/plan                             a batch assignment proposal
 * A region-bound caller (a street or community official) sees and edits only workers serving
 * grids in their region, and may give them only grids there. Assigning is the case action
 * 'assign' (POST /api/v1/cases/{id}/actions), which the dispatcher's screen calls on accepting.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "case/case.h"
#include "core/num.h"
#include "gridw/gridw.h"
#include "org/org.h"

#define ID_MAX 9007199254740991.0

/* clang-format off */
static const struct json_field shift_fields[] = {
    {"weekday",   JT_INT, JF_REQUIRED, 1, 7, NULL},
    {"start_min", JT_INT, JF_REQUIRED, 0, 1439, NULL},
    {"end_min",   JT_INT, JF_REQUIRED, 1, 1440, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field worker_fields[] = {
    {"post",      JT_STRING,       0,           1, 32, NULL},
    {"active",    JT_BOOL,         0,           0, 0, NULL},
    {"max_load",  JT_INT,          0,           1, GRIDW_MAX_LOAD_MAX, NULL},
    {"grid_ids",  JT_ARRAY_INT,    JF_REQUIRED, 1, GRIDW_GRIDS_MAX, NULL},
    {"skill_ids", JT_ARRAY_INT,    0,           0, GRIDW_SKILLS_MAX, NULL},
    {"shifts",    JT_ARRAY_OBJECT, 0,           0, GRIDW_SHIFTS_MAX, shift_fields},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field position_fields[] = {
    {"lat", JT_NUMBER, JF_REQUIRED, -90, 90, NULL},
    {"lon", JT_NUMBER, JF_REQUIRED, -180, 180, NULL},
    {"at",  JT_INT,    0,           1, ID_MAX, NULL},
    {"accuracy_m", JT_NUMBER, 0,    0, 100000, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field plan_fields[] = {
    {"case_ids", JT_ARRAY_INT, JF_REQUIRED, 1, 1000, NULL},
    {"cap",      JT_INT,       0,           0, GRIDW_MAX_LOAD_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static int is_admin(const struct api_call *call)
{
    return (call->user->roles & ROLE_ADMIN) != 0;
}

/* The caller's region when it bounds what they see, else 0. */
static int64_t scope_region(const struct api_call *call)
{
    return is_admin(call) ? 0 : call->user->region_id;
}

static void worker_json(struct jw *w, const struct gridw_worker *g, int64_t now)
{
    jw_obj(w);
    jw_kint(w, "user_id", g->user_id);
    jw_kstr(w, "name", g->name);
    jw_kstr(w, "display_name", g->display_name);
    jw_kstr(w, "post", g->post);
    jw_kbool(w, "active", g->active);
    jw_kint(w, "max_load", g->max_load);
    jw_kint(w, "load", g->load);
    jw_kbool(w, "on_duty", g->active && gridw_on_duty(g->shifts, g->nshifts, now));
    jw_key(w, "position");
    if (g->has_fix) {
        jw_obj(w);
        jw_knum(w, "lat", g->last_lat);
        jw_knum(w, "lon", g->last_lon);
        jw_ktime(w, "at", g->last_fix_at);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_key(w, "grids");
    jw_arr(w);
    for (size_t i = 0; i < g->ngrids; i++) {
        jw_obj(w);
        jw_kint(w, "id", g->grids[i].id);
        jw_kstr(w, "code", g->grids[i].code);
        jw_kstr(w, "name", g->grids[i].name);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "skills");
    jw_arr(w);
    for (size_t i = 0; i < g->nskills; i++) {
        jw_obj(w);
        jw_kint(w, "id", g->skills[i].id);
        jw_kstr(w, "code", g->skills[i].code);
        jw_kstr(w, "name", g->skills[i].name);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "shifts");
    jw_arr(w);
    for (size_t i = 0; i < g->nshifts; i++) {
        jw_obj(w);
        jw_kint(w, "weekday", g->shifts[i].weekday);
        jw_kint(w, "start_min", g->shifts[i].start_min);
        jw_kint(w, "end_min", g->shifts[i].end_min);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_ktime(w, "created_at", g->created_at);
    jw_ktime(w, "updated_at", g->updated_at);
    jw_obj_end(w);
}

static int worker_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct gridw_worker g;
    int rc = gridw_worker_get(call->conn, id, call->req->arena, &g, &call->err);
    if (rc == 0)
        worker_json(w, &g, call->now);
    return rc;
}

static const struct api_resource worker_res = {"grid_worker", "/api/v1/grid-workers", worker_render,
                                               NULL};

/* A region-bound caller reaches a worker serving a grid in their region, or (for a user who is
 * not a worker yet) a user whose own region lies in theirs. */
static int check_reach(struct api_call *call, int64_t user_id, int exists)
{
    int64_t scope = scope_region(call);
    int rc;
    if (!scope)
        return 0;
    if (exists) {
        if ((rc = gridw_worker_in_region(call->conn, user_id, scope, &call->err)) < 0)
            return rc;
        if (rc == 1)
            return 0;
    } else {
        struct auth_user u;
        if ((rc = auth_user_get(call->conn, user_id, call->req->arena, &u, &call->err)) < 0)
            return rc == ERR_NOT_FOUND ? err_field(&call->err, ERR_BAD_REQUEST, "user_id",
                                                   "user %lld not found", (long long)user_id)
                                       : rc;
        if (u.region_code && org_region_code_in_subtree(u.region_code, call->user->region_code))
            return 0;
    }
    return err_deny(&call->err, ERR_REASON_SCOPE, "grid worker %lld is outside your region",
                    (long long)user_id);
}

int api_grid_worker_list(struct api_call *call)
{
    struct gridw_filter f = {0};
    struct gridw_worker *v;
    size_t n;
    int64_t active;
    int rc;
    if ((rc = api_query_int(call, "region_id", 0, 0, (int64_t)ID_MAX, &f.within_region_id)) < 0 ||
        (rc = api_query_int(call, "grid_id", 0, 0, (int64_t)ID_MAX, &f.grid_id)) < 0 ||
        (rc = api_query_int(call, "active", 0, 0, 1, &active)) < 0)
        return rc;
    f.active_only = (int)active;
    int64_t scope = scope_region(call);
    if (scope) {
        /* Inside the caller's region: their own, or a region under it they asked for. */
        if (f.within_region_id) {
            int in = org_region_in_subtree(call->conn, f.within_region_id, scope, &call->err);
            if (in < 0 && in != ERR_NOT_FOUND)
                return in;
            if (in != 1)
                return err_deny(&call->err, ERR_REASON_SCOPE, "region %lld is outside your region",
                                (long long)f.within_region_id);
        } else {
            f.within_region_id = scope;
        }
    }
    if ((rc = gridw_worker_list(call->conn, &f, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++)
        worker_json(&w, &v[i], call->now);
    api_list_end_page(call, &w, NULL, n);
    return api_reply(call, 200, &w);
}

int api_grid_worker_get(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0)
        return rc;
    struct gridw_worker g;
    if ((rc = gridw_worker_get(call->conn, id, call->req->arena, &g, &call->err)) < 0 ||
        (rc = check_reach(call, id, 1)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    worker_json(&w, &g, call->now);
    return api_reply(call, 200, &w);
}

int api_grid_worker_put(struct api_call *call)
{
    struct gridw_worker_in in = {0};
    char *before = NULL;
    int64_t id;
    int rc, created = 0;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, worker_fields, &call->err)) < 0)
        return rc;
    in.post = json_get_str(call->body, "post");
    in.active = json_get_bool(call->body, "active", 1);
    in.max_load = (int)json_get_int(call->body, "max_load", 8);
    const json_t *a = json_get(call->body, "grid_ids");
    int n = json_array_size(a);
    int64_t *grids = arena_alloc(call->req->arena, sizeof(int64_t) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        grids[i] = json_array_int(a, i);
    in.grid_ids = grids;
    in.ngrids = (size_t)n;
    a = json_get(call->body, "skill_ids");
    n = a ? json_array_size(a) : 0;
    int64_t *skills = arena_alloc(call->req->arena, sizeof(int64_t) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        skills[i] = json_array_int(a, i);
    in.skill_ids = skills;
    in.nskills = (size_t)n;
    a = json_get(call->body, "shifts");
    n = a ? json_array_size(a) : 0;
    struct gridw_shift *shifts =
        arena_alloc(call->req->arena, sizeof(struct gridw_shift) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        const json_t *s = json_array_item(a, i);
        shifts[i].weekday = (int)json_get_int(s, "weekday", 0);
        shifts[i].start_min = (int)json_get_int(s, "start_min", 0);
        shifts[i].end_min = (int)json_get_int(s, "end_min", 0);
    }
    in.shifts = shifts;
    in.nshifts = (size_t)n;
    if ((rc = api_begin(call)) < 0)
        return rc;
    rc = api_crud_state(call, &worker_res, id, &before);
    if (rc < 0 && rc != ERR_NOT_FOUND)
        return rc;
    int exists = rc == 0;
    err_clear(&call->err);
    if ((rc = check_reach(call, id, exists)) < 0 ||
        (rc = gridw_worker_save(call->conn, id, &in, scope_region(call), call->now, &created,
                                &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &worker_res, created ? "create" : "update", id,
                           exists ? before : NULL);
}

int api_me_position(struct api_call *call)
{
    int rc, stored = 0;
    if ((rc = json_check(call->body, position_fields, &call->err)) < 0)
        return rc;
    double lat = json_get_num(call->body, "lat", NAN), lon = json_get_num(call->body, "lon", NAN);
    int64_t at = json_get_int(call->body, "at", call->now);
    if ((rc = api_begin(call)) < 0)
        return rc;
    if ((rc = gridw_position(call->conn, call->user->id, lat, lon, at, call->now, &stored,
                             &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kbool(&w, "stored", stored);
    jw_knum(&w, "lat", lat);
    jw_knum(&w, "lon", lon);
    jw_ktime(&w, "at", at);
    jw_obj_end(&w);
    /* The audit chain keeps who reported a position and when, as for every write. */
    const char *text = arena_printf(call->req->arena, "{\"stored\":%s,\"at\":%lld}",
                                    stored ? "true" : "false", (long long)at);
    if ((rc = api_commit(
             call, "grid_worker.position",
             arena_printf(call->req->arena, "grid_worker/%lld", (long long)call->user->id), NULL,
             text)) < 0)
        return rc;
    return api_reply(call, 200, &w);
}

static void candidate_json(struct jw *w, const struct gridw_worker *g, const struct gridw_reason *r)
{
    jw_obj(w);
    jw_kint(w, "user_id", g->user_id);
    jw_kstr(w, "name", g->name);
    jw_kstr(w, "display_name", g->display_name);
    jw_kstr(w, "post", g->post);
    jw_key(w, "position");
    jw_obj(w);
    jw_knum(w, "lat", g->has_fix ? g->last_lat : NAN);
    jw_knum(w, "lon", g->has_fix ? g->last_lon : NAN);
    jw_ktime(w, "at", g->has_fix ? g->last_fix_at : 0);
    jw_obj_end(w);
    jw_key(w, "from");
    jw_obj(w);
    jw_knum(w, "lat", r->from_lat);
    jw_knum(w, "lon", r->from_lon);
    jw_obj_end(w);
    jw_knum(w, "cost", round(r->cost * 10) / 10);
    jw_kstr(w, "reason", r->text);
    jw_key(w, "reasons");
    jw_obj(w);
    jw_knum(w, "distance_m", round(r->distance_m));
    jw_knum(w, "travel_min", round(r->travel_min * 10) / 10);
    jw_kbool(w, "position_known", r->position_known);
    jw_kbool(w, "own_grid", r->own_grid);
    jw_kbool(w, "skilled", r->skilled);
    jw_kint(w, "load", r->load);
    jw_kint(w, "max_load", r->max_load);
    jw_obj_end(w);
    jw_obj_end(w);
}

/* The task of a case: its place, grid and category. */
static int case_task(struct api_call *call, const struct case_rec *r, struct gridw_task *t)
{
    if (!r->has_location)
        return err_set(&call->err, ERR_CONFLICT,
                       "case %s has no place: a grid worker cannot be sent", r->number);
    memset(t, 0, sizeof(*t));
    t->case_id = r->id;
    t->lat = r->lat;
    t->lon = r->lon;
    t->region_id = r->region_id;
    t->category_id = r->category_id;
    return 0;
}

static int64_t query_at(struct api_call *call, int64_t *at)
{
    return api_query_int(call, "at", call->now, 1, (int64_t)ID_MAX, at);
}

int api_case_worker_suggestions(struct api_call *call)
{
    const struct case_rec *r;
    struct gridw_candidate *v;
    struct gridw_task t;
    size_t n, considered = 0;
    int64_t at, limit;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0 || (rc = (int)query_at(call, &at)) < 0 ||
        (rc = api_query_int(call, "limit", 5, 1, 100, &limit)) < 0 ||
        (rc = case_task(call, r, &t)) < 0 ||
        (rc = gridw_rank(call->conn, &t, at, (size_t)limit, call->req->arena, &v, &n, &considered,
                         &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "case_id", r->id);
    jw_kstr(&w, "number", r->number);
    jw_knum(&w, "lat", r->lat);
    jw_knum(&w, "lon", r->lon);
    jw_ktime(&w, "at", at);
    jw_kint(&w, "considered", (int64_t)considered);
    jw_key(&w, "items");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++)
        candidate_json(&w, v[i].worker, &v[i].why);
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

int api_grid_worker_plan(struct api_call *call)
{
    int64_t at;
    int rc;
    if ((rc = json_check(call->body, plan_fields, &call->err)) < 0 ||
        (rc = (int)query_at(call, &at)) < 0)
        return rc;
    const json_t *ids = json_get(call->body, "case_ids");
    int n = json_array_size(ids);
    struct gridw_task *tasks = arena_alloc(call->req->arena, sizeof(*tasks) * (size_t)n);
    struct case_rec *recs = arena_alloc(call->req->arena, sizeof(*recs) * (size_t)n);
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        int64_t id = json_array_int(ids, i);
        for (int j = 0; j < i; j++)
            if (recs[j].id == id)
                return err_field(&call->err, ERR_BAD_REQUEST, "case_ids",
                                 "case %lld is listed twice", (long long)id);
        rc = case_get(call->conn, id, call->req->arena, &recs[i], &call->err);
        if (rc == ERR_NOT_FOUND || (rc == 0 && !case_visible(&actor, &recs[i])))
            return err_field(&call->err, ERR_BAD_REQUEST, "case_ids", "case %lld not found",
                             (long long)id);
        if (rc < 0)
            return rc;
        if ((rc = case_task(call, &recs[i], &tasks[i])) < 0)
            return err_field(&call->err, ERR_BAD_REQUEST, "case_ids", "%s", call->err.msg);
    }
    /* Earlier tasks come first when the caps cannot take all: the most urgent, then oldest. */
    struct gridw_pool_worker *pool;
    size_t npool;
    int *assign = arena_alloc(call->req->arena, sizeof(int) * (size_t)n);
    struct gridw_reason *why = arena_alloc(call->req->arena, sizeof(*why) * (size_t)n);
    int placed =
        gridw_batch(call->conn, tasks, (size_t)n, at, (int)json_get_int(call->body, "cap", 0),
                    call->req->arena, &pool, &npool, assign, why, &call->err);
    if (placed < 0)
        return placed;
    double total = 0;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_ktime(&w, "at", at);
    jw_kint(&w, "placed", placed);
    jw_kint(&w, "workers", (int64_t)npool);
    jw_kstr(&w, "method", "min_cost_flow");
    jw_key(&w, "items");
    jw_arr(&w);
    for (int i = 0; i < n; i++) {
        jw_obj(&w);
        jw_kint(&w, "case_id", recs[i].id);
        jw_kstr(&w, "number", recs[i].number);
        jw_kstr(&w, "title", recs[i].title);
        jw_kint(&w, "version", recs[i].version);
        jw_knum(&w, "lat", recs[i].lat);
        jw_knum(&w, "lon", recs[i].lon);
        jw_key(&w, "worker");
        if (assign[i] >= 0) {
            candidate_json(&w, pool[assign[i]].w, &why[i]);
            total += why[i].cost;
        } else {
            jw_null(&w);
        }
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_knum(&w, "total_cost", round(total * 10) / 10);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}
