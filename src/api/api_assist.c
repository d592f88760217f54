/*
 * 协办单 and 吹哨报到 (case_assist_*): a case's sub-tasks and whistles with the draft of the
 * consolidated answer (GET /api/v1/cases/{id}/assists), the whistle
 * (POST /api/v1/cases/{id}/whistles) and the sub-task's steps
 * (POST /api/v1/assists/{id}/sign|reply|assess).
 */
#include <string.h>

#include "api/api_internal.h"
#include "app/app.h"
#include "case/case.h"
#include "core/clock.h"

/* clang-format off */
static const struct json_field whistle_fields[] = {
    {"departments",   JT_ARRAY_INT, JF_REQUIRED, 1, CASE_WHISTLE_DEPTS_MAX, NULL},
    {"reason",        JT_STRING,    JF_REQUIRED, 1, CASE_ASSIST_TEXT_MAX, NULL},
    {"deadline",      JT_STRING,    JF_REQUIRED, 1, 40, NULL},
    {"checkin_hours", JT_INT,       JF_REQUIRED, 1, CASE_WHISTLE_CHECKIN_HOURS_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field sign_fields[] = {
    {"version", JT_INT, JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field reply_fields[] = {
    {"version", JT_INT,    JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"reply",   JT_STRING, JF_REQUIRED, 1, CASE_ASSIST_REPLY_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field assess_fields[] = {
    {"version", JT_INT,    JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"rating",  JT_STRING, JF_REQUIRED, 1, 20, NULL},
    {"note",    JT_STRING, JF_NULLABLE, 0, CASE_ASSIST_TEXT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void assist_json(struct api_call *call, struct jw *w, const struct case_assist *s,
                        const struct case_rec *r, const struct case_actor *actor)
{
    jw_obj(w);
    jw_kint(w, "id", s->id);
    jw_kint(w, "case_id", s->case_id);
    jw_kstr(w, "case_number", s->case_number);
    jw_kstr(w, "case_title", s->case_title);
    jw_key(w, "department");
    jw_obj(w);
    jw_kint(w, "id", s->department_id);
    jw_kstr(w, "name", s->department_name);
    jw_obj_end(w);
    jw_kopt(w, "whistle", s->whistle_id);
    jw_kstr(w, "state", case_assist_state_name(s->state));
    jw_ktime(w, "sign_deadline", s->sign_deadline);
    jw_ktime(w, "deadline", s->deadline);
    jw_kbool(w, "overdue", case_assist_overdue(s, call->now));
    jw_ktime(w, "signed_at", s->signed_at);
    jw_kbool(w, "sign_late", s->sign_late);
    jw_kstr(w, "reply", *s->reply ? s->reply : NULL);
    jw_ktime(w, "replied_at", s->replied_at);
    jw_kbool(w, "reply_late", s->reply_late);
    jw_kstr(w, "rating", s->rating < 0 ? NULL : case_assist_rating_name(s->rating));
    jw_kstr(w, "assess_note", *s->assess_note ? s->assess_note : NULL);
    jw_ktime(w, "assessed_at", s->assessed_at);
    jw_kint(w, "send_backs", s->send_backs);
    jw_ktime(w, "created_at", s->created_at);
    jw_ktime(w, "updated_at", s->updated_at);
    jw_kint(w, "version", s->version);
    unsigned steps = case_assist_steps(actor, r, s);
    jw_key(w, "actions");
    jw_arr(w);
    for (int i = 0; i < CASE_ASSIST_STEP_COUNT; i++)
        if (steps & (1u << i))
            jw_str(w, case_assist_step_name((enum case_assist_step)i));
    jw_arr_end(w);
    jw_obj_end(w);
}

static int answer_list(struct api_call *call, const struct case_rec *r, int status)
{
    struct case_actor actor;
    struct case_assist *v;
    struct case_whistle *wh;
    size_t n, nw;
    int rc;
    app_actor(call->user, &actor);
    if ((rc = case_assist_list(call->conn, r->id, call->req->arena, &v, &n, &wh, &nw, &call->err)) <
        0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "items");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++)
        assist_json(call, &w, &v[i], r, &actor);
    jw_arr_end(&w);
    jw_key(&w, "whistles");
    jw_arr(&w);
    for (size_t i = 0; i < nw; i++) {
        jw_obj(&w);
        jw_kint(&w, "id", wh[i].id);
        jw_kstr(&w, "region_code", *wh[i].region_code ? wh[i].region_code : NULL);
        jw_kstr(&w, "reason", wh[i].reason);
        jw_ktime(&w, "deadline", wh[i].deadline);
        jw_ktime(&w, "checkin_deadline", wh[i].checkin_deadline);
        jw_kstr(&w, "blown_by", *wh[i].blown_by_name ? wh[i].blown_by_name : NULL);
        jw_ktime(&w, "blown_at", wh[i].blown_at);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_kint(&w, "total", (int64_t)n);
    /* The lead's draft of the consolidated answer, and whether the caller may blow the whistle
     * (the screen shows the form then). */
    const char *draft = case_assist_draft(call->req->arena, v, n);
    jw_kstr(&w, "draft", *draft ? draft : NULL);
    jw_kbool(&w, "can_whistle", case_whistle_allowed(&actor, r, NULL) == 0);
    jw_obj_end(&w);
    return api_reply(call, status, &w);
}

int api_assist_case_list(struct api_call *call)
{
    const struct case_rec *r;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0)
        return rc;
    return answer_list(call, r, 200);
}

int api_whistle_blow(struct api_call *call)
{
    struct case_whistle_in in = {0};
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    const struct case_rec *r;
    int64_t depts[CASE_WHISTLE_DEPTS_MAX], id;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0 ||
        (rc = json_check(call->body, whistle_fields, &call->err)) < 0)
        return rc;
    const json_t *ds = json_get(call->body, "departments");
    in.ndepartments = json_array_size(ds);
    for (int i = 0; i < in.ndepartments && i < CASE_WHISTLE_DEPTS_MAX; i++)
        depts[i] = json_array_int(ds, i);
    in.departments = depts;
    in.reason = json_get_str(call->body, "reason");
    in.checkin_hours = (int)json_get_int(call->body, "checkin_hours", 0);
    if (clock_parse_rfc3339(json_get_str(call->body, "deadline"), &in.deadline) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "deadline",
                         "field 'deadline' must be an RFC 3339 time");
    if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_whistle_blow(&env, r->id, &in, &id, &call->err)) < 0)
        return rc;
    /* The whistle changes neither the case's state nor its lead: 'r' still says what the list
     * needs. */
    return answer_list(call, r, 201);
}

static int step(struct api_call *call, enum case_assist_step s, const struct json_field *fields)
{
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct case_assist a;
    struct case_rec r;
    int64_t id;
    int rc, rating = 0;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, fields, &call->err)) < 0)
        return rc;
    if (s == CAP_ASSESS &&
        (rating = case_assist_rating_from_name(json_get_str(call->body, "rating"))) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "rating",
                         "field 'rating' must be satisfied, basic or unsatisfied");
    if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_assist_act(&env, id, s, json_get_int(call->body, "version", 0),
                              json_get_str(call->body, s == CAP_REPLY ? "reply" : "note"), rating,
                              &call->err)) < 0)
        return rc;
    if ((rc = case_assist_get(call->conn, id, call->req->arena, &a, &call->err)) < 0 ||
        (rc = case_get(call->conn, a.case_id, call->req->arena, &r, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    assist_json(call, &w, &a, &r, &actor);
    return api_reply(call, 200, &w);
}

int api_assist_sign(struct api_call *call)
{
    return step(call, CAP_SIGN, sign_fields);
}
int api_assist_reply(struct api_call *call)
{
    return step(call, CAP_REPLY, reply_fields);
}
int api_assist_assess(struct api_call *call)
{
    return step(call, CAP_ASSESS, assess_fields);
}

/* "a,b" of sub-task states into bits; 400 naming 'state' for an unknown one. */
static int parse_states(struct api_call *call, unsigned *bits)
{
    const char *v = http_req_query(call->req, "state");
    *bits = 0;
    if (!v || !*v)
        return 0;
    char *p = arena_strdup(call->req->arena, v);
    while (p) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        int i = case_assist_state_from_name(p);
        if (i < 0)
            return err_field(&call->err, ERR_BAD_REQUEST, "state",
                             "query parameter 'state' must be a list of issued, signed, replied, "
                             "assessed, cancelled");
        *bits |= 1u << i;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

int api_assist_list(struct api_call *call)
{
    struct case_assist_filter f = {0};
    struct case_actor actor;
    struct api_page page;
    struct case_assist *v;
    size_t n;
    int64_t total;
    int rc;
    const char *ov = http_req_query(call->req, "overdue");
    if ((rc = api_page_query(call, 50, CASE_ASSIST_LIST_MAX, &page)) < 0 ||
        (rc = parse_states(call, &f.states)) < 0 ||
        (rc = api_query_int(call, "department", 0, 0, INT64_MAX, &f.department_id)) < 0)
        return rc;
    if (ov && strcmp(ov, "true") != 0 && strcmp(ov, "false") != 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "overdue",
                         "query parameter 'overdue' must be true or false");
    f.overdue = ov && strcmp(ov, "true") == 0;
    f.now = call->now;
    f.limit = (int)page.limit;
    f.offset = page.offset;
    app_actor(call->user, &actor);
    if ((rc = case_assist_find(call->conn, &f, &actor, call->req->arena, &v, &n, &total,
                               &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        struct case_rec r;
        if ((rc = case_get(call->conn, v[i].case_id, call->req->arena, &r, &call->err)) < 0) {
            jw_release(&w);
            return rc;
        }
        assist_json(call, &w, &v[i], &r, &actor);
    }
    int64_t next = page.offset + (int64_t)n;
    api_list_end(&w, total,
                 next < total ? arena_printf(call->req->arena, "%lld", (long long)next) : NULL);
    return api_reply(call, 200, &w);
}
