/*
 * A grid worker's tasks (立案前核实, 结案前核查) and 自行处置 (issue 15, item 4; docs/grid.md §4).
 *
 *   GET  /api/v1/me/tasks                   the grid worker's task list: open tasks first, then
 *                                           those done in the last day; and what they handled
 *                                           on the spot today
 *   POST /api/v1/grid-tasks/{id}/decision   the assignee: confirm / reject, pass / fail
 *   POST /api/v1/grid-tasks/{id}/transfer   the assignee hands the task to a colleague (转交)
 *   GET  /api/v1/grid-tasks/{id}/colleagues the assignee: whom it may be handed to
 *   GET  /api/v1/cases/{id}/grid-tasks      whoever sees the case: its tasks, self-handled or not
 *   POST /api/v1/self-handled               a grid worker reports and resolves in one step,
 *                                           with the photos uploaded first to /me/uploads
 *   GET  /api/v1/grid-task-rules            staff: which categories get 核实 / 核查
 *   PUT  /api/v1/grid-task-rules            admins and supervisors set a category's rule
 */
#include <string.h>

#include "api/api_internal.h"
#include "app/app.h"
#include "auth/auth.h"
#include "case/case.h"

/* clang-format off */
static const struct json_field decision_fields[] = {
    {"decision", JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"note",     JT_STRING, JF_NULLABLE, 0, CASE_NOTE_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field transfer_fields[] = {
    {"assignee", JT_INT,    JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"note",     JT_STRING, JF_REQUIRED, 1, CASE_NOTE_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field self_fields[] = {
    {"title",       JT_STRING, JF_REQUIRED, 1, CASE_TITLE_MAX, NULL},
    {"description", JT_STRING, JF_REQUIRED, 1, CASE_DESCRIPTION_MAX, NULL},
    {"result",      JT_STRING, JF_REQUIRED, 1, CASE_RESULT_MAX, NULL},
    {"category",    JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"lat",         JT_NUMBER, JF_REQUIRED, CASE_LAT_MIN, CASE_LAT_MAX, NULL},
    {"lon",         JT_NUMBER, JF_REQUIRED, CASE_LON_MIN, CASE_LON_MAX, NULL},
    {"address",     JT_STRING, JF_NULLABLE, 0, CASE_ADDRESS_MAX, NULL},
    {"before_photos", JT_ARRAY_INT, JF_REQUIRED, 1, CASE_SELF_PHOTOS_MAX, NULL},
    {"after_photos",  JT_ARRAY_INT, JF_REQUIRED, 1, CASE_SELF_PHOTOS_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field rule_fields[] = {
    {"category", JT_INT,  JF_REQUIRED, 0, 9007199254740991.0, NULL},
    {"verify",   JT_BOOL, JF_REQUIRED, 0, 0, NULL},
    {"check",    JT_BOOL, JF_REQUIRED, 0, 0, NULL},
    {"verify_minutes", JT_INT, 0, CASE_TASK_MINUTES_MIN, CASE_VERIFY_MINUTES_MAX, NULL},
    {"check_minutes",  JT_INT, 0, CASE_TASK_MINUTES_MIN, CASE_CHECK_MINUTES_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

/* Tasks done within this long stay on the list, so the worker sees what they just did. */
#define RECENT_SECONDS 86400

static void task_json(struct jw *w, const struct case_task *k)
{
    jw_obj(w);
    jw_kint(w, "id", k->id);
    jw_kstr(w, "kind", k->kind);
    jw_kstr(w, "status", k->status);
    jw_kint(w, "assignee_id", k->assignee_id);
    jw_kstr(w, "assignee_name", k->assignee_name);
    jw_ktime(w, "created_at", k->created_at);
    jw_ktime(w, "due_at", k->due_at);
    jw_ktime(w, "done_at", k->done_at);
    jw_kbool(w, "overdue", k->overdue);
    jw_kstr(w, "note", *k->note ? k->note : NULL);
    jw_key(w, "case");
    jw_obj(w);
    jw_kint(w, "id", k->case_id);
    jw_kstr(w, "number", k->case_number);
    jw_kstr(w, "title", k->case_title);
    jw_kstr(w, "state", k->case_state);
    jw_kstr(w, "address", *k->address ? k->address : NULL);
    jw_kstr(w, "region_name", *k->region_name ? k->region_name : NULL);
    if (k->has_location) {
        jw_knum(w, "lat", k->lat);
        jw_knum(w, "lon", k->lon);
    }
    jw_obj_end(w);
    jw_obj_end(w);
}

int api_me_tasks(struct api_call *call)
{
    struct case_task *v;
    size_t n;
    int64_t today = 0;
    int rc;
    if ((rc = case_task_list_mine(call->conn, call->user->id, call->now, RECENT_SECONDS,
                                  call->req->arena, &v, &n, &call->err)) < 0 ||
        (rc = case_self_handled_count(call->conn, call->user->id, call->now - RECENT_SECONDS,
                                      call->now + 1, &today, &call->err)) < 0)
        return rc;
    struct jw w;
    int64_t open = 0;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        task_json(&w, &v[i]);
        open += strcmp(v[i].status, "open") == 0;
    }
    jw_arr_end(&w);
    jw_kint(&w, "total", (int64_t)n);
    jw_knull(&w, "next_cursor");
    jw_kint(&w, "open", open);
    jw_kint(&w, "self_handled_recent", today);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* 200 with task 'id' as it is after a write. */
static int answer_task(struct api_call *call, int64_t id)
{
    struct case_task k;
    int rc = case_task_get(call->conn, id, call->now, call->req->arena, &k, &call->err);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    task_json(&w, &k);
    return api_reply(call, 200, &w);
}

int api_grid_task_decide(struct api_call *call)
{
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, decision_fields, &call->err)) < 0)
        return rc;
    int d = case_task_decision_from_name(json_get_str(call->body, "decision"));
    if (d < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "decision",
                         "field 'decision' must be confirm, reject, pass or fail");
    if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_task_decide(&env, id, (enum case_task_decision)d,
                               json_get_str(call->body, "note"), &call->err)) < 0)
        return rc;
    return answer_task(call, id);
}

int api_grid_task_transfer(struct api_call *call)
{
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, transfer_fields, &call->err)) < 0 ||
        (rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_task_transfer(&env, id, json_get_int(call->body, "assignee", 0),
                                 json_get_str(call->body, "note"), &call->err)) < 0)
        return rc;
    return answer_task(call, id);
}

int api_grid_task_colleagues(struct api_call *call)
{
    struct case_actor actor;
    struct case_colleague *v;
    size_t n;
    int64_t id;
    int rc;
    app_actor(call->user, &actor);
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = case_task_colleagues(call->conn, &actor, id, call->req->arena, &v, &n, &call->err)) <
            0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        jw_kint(&w, "user_id", v[i].user_id);
        jw_kstr(&w, "name", v[i].name);
        jw_kstr(&w, "display_name", *v[i].display_name ? v[i].display_name : NULL);
        jw_kint(&w, "open_tasks", v[i].open_tasks);
        jw_obj_end(&w);
    }
    api_list_end(&w, (int64_t)n, NULL);
    return api_reply(call, 200, &w);
}

int api_case_grid_tasks(struct api_call *call)
{
    const struct case_rec *r;
    struct case_task *v;
    size_t n;
    int self = 0, rc;
    if ((rc = api_scoped_case(call, &r)) < 0 ||
        (rc = case_task_of_case(call->conn, r->id, call->now, call->req->arena, &v, &n,
                                &call->err)) < 0 ||
        (rc = case_self_handled(call->conn, r->id, &self, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++)
        task_json(&w, &v[i]);
    jw_arr_end(&w);
    jw_kint(&w, "total", (int64_t)n);
    jw_knull(&w, "next_cursor");
    jw_kbool(&w, "self_handled", self);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* The ids of a checked JT_ARRAY_INT member, in the request arena. */
static const int64_t *ids_of(struct api_call *call, const char *name)
{
    const json_t *a = json_get(call->body, name);
    int n = json_array_size(a);
    int64_t *v = arena_alloc(call->req->arena, sizeof(int64_t) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        v[i] = json_array_int(a, i);
    return v;
}

int api_self_handled_create(struct api_call *call)
{
    struct case_new in = {0};
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct case_created out = {0};
    int rc;
    if ((rc = json_check(call->body, self_fields, &call->err)) < 0)
        return rc;
    in.channel = CH_GRID;
    in.title = json_get_str(call->body, "title");
    in.description = json_get_str(call->body, "description");
    in.category_id = json_get_int(call->body, "category", 0);
    in.urgency = -1;
    in.kind = CK_REPORT;
    in.has_location = 1;
    in.lat = json_get_num(call->body, "lat", 0);
    in.lon = json_get_num(call->body, "lon", 0);
    in.address = json_get_str(call->body, "address");
    if ((rc = api_locate_region(call, in.lat, in.lon, &in.region_id)) < 0)
        return rc;
    if (!in.region_id)
        return err_field(&call->err, ERR_BAD_REQUEST, "lat",
                         "the place (%.6f, %.6f) is outside every grid", in.lat, in.lon);
    struct case_self_photos photos = {ids_of(call, "before_photos"), ids_of(call, "after_photos"),
                                      0, 0};
    photos.nbefore = (size_t)json_array_size(json_get(call->body, "before_photos"));
    photos.nafter = (size_t)json_array_size(json_get(call->body, "after_photos"));
    if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_self_handle(&env, &in, json_get_str(call->body, "result"), &photos, &out,
                               &call->err)) < 0)
        return rc;
    http_res_header(call->res, "Location",
                    arena_printf(call->req->arena, "/api/v1/cases/%lld", (long long)out.id));
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "id", out.id);
    jw_kstr(&w, "number", out.number);
    jw_kstr(&w, "state", "closed");
    jw_kbool(&w, "self_handled", 1);
    jw_obj_end(&w);
    return api_reply(call, 201, &w);
}

static void rule_json(struct jw *w, const struct case_task_rule *r)
{
    jw_obj(w);
    jw_kint(w, "category", r->category_id);
    jw_kstr(w, "category_name", r->category_id ? r->category_name : NULL);
    jw_kbool(w, "default", r->category_id == 0);
    jw_kbool(w, "verify", r->verify);
    jw_kbool(w, "check", r->check);
    jw_kint(w, "verify_minutes", r->verify_minutes);
    jw_kint(w, "check_minutes", r->check_minutes);
    jw_ktime(w, "updated_at", r->updated_at);
    jw_obj_end(w);
}

int api_grid_task_rule_list(struct api_call *call)
{
    struct case_task_rule *v;
    size_t n;
    int rc;
    if ((rc = case_task_rule_list(call->conn, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++)
        rule_json(&w, &v[i]);
    api_list_end(&w, (int64_t)n, NULL);
    return api_reply(call, 200, &w);
}

int api_grid_task_rule_put(struct api_call *call)
{
    int rc;
    if ((rc = json_check(call->body, rule_fields, &call->err)) < 0)
        return rc;
    struct case_task_rule r = {0};
    r.category_id = json_get_int(call->body, "category", 0);
    r.verify = json_get_bool(call->body, "verify", 0);
    r.check = json_get_bool(call->body, "check", 0);
    r.verify_minutes = (int)json_get_int(call->body, "verify_minutes", CASE_VERIFY_MINUTES_DEFAULT);
    r.check_minutes = (int)json_get_int(call->body, "check_minutes", CASE_CHECK_MINUTES_DEFAULT);
    const char *after = arena_printf(
        call->req->arena, "{\"verify\":%s,\"check\":%s,\"verify_minutes\":%d,\"check_minutes\":%d}",
        r.verify ? "true" : "false", r.check ? "true" : "false", r.verify_minutes, r.check_minutes);
    if ((rc = api_begin(call)) < 0)
        return rc;
    if ((rc = case_task_rule_set(call->conn, &r, call->now, call->user->id, &call->err)) < 0 ||
        (rc = api_commit(
             call, "grid_task_rule.set",
             arena_printf(call->req->arena, "grid_task_rule/%lld", (long long)r.category_id), NULL,
             after)) < 0)
        return rc;
    return api_grid_task_rule_list(call);
}
