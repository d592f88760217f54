/*
 * 督办单 (supervision orders, case_order_*): issued on a case by a supervisor
 * (POST /api/v1/cases/{id}/supervision-orders), answered by the department, accepted or sent back
 * by the supervisor (POST /api/v1/supervision-orders/{id}/answer|accept|send-back), listed with
 * filters (GET /api/v1/supervision-orders) and per case.
 */
#include <string.h>

#include "api/api_internal.h"
#include "app/app.h"
#include "case/case.h"
#include "core/clock.h"

/* clang-format off */
static const struct json_field issue_fields[] = {
    {"level",       JT_STRING, JF_REQUIRED, 1, 20, NULL},
    {"instruction", JT_STRING, JF_REQUIRED, 1, CASE_ORDER_TEXT_MAX, NULL},
    {"deadline",    JT_STRING, JF_REQUIRED, 1, 40, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field answer_fields[] = {
    {"version", JT_INT,    JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"answer",  JT_STRING, JF_REQUIRED, 1, CASE_ORDER_ANSWER_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field accept_fields[] = {
    {"version", JT_INT,    JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"note",    JT_STRING, JF_NULLABLE, 0, CASE_ORDER_TEXT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field send_back_fields[] = {
    {"version",  JT_INT,    JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"reason",   JT_STRING, JF_REQUIRED, 1, CASE_ORDER_TEXT_MAX, NULL},
    {"deadline", JT_STRING, JF_NULLABLE, 0, 40, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void order_json(struct api_call *call, struct jw *w, const struct case_order *o,
                       const struct case_actor *actor)
{
    jw_obj(w);
    jw_kint(w, "id", o->id);
    jw_key(w, "case");
    jw_obj(w);
    jw_kint(w, "id", o->case_id);
    jw_kstr(w, "number", o->case_number);
    jw_kstr(w, "title", o->case_title);
    jw_obj_end(w);
    jw_key(w, "department");
    jw_obj(w);
    jw_kint(w, "id", o->department_id);
    jw_kstr(w, "name", o->department_name);
    jw_obj_end(w);
    jw_kstr(w, "level", case_order_level_name(o->level));
    jw_kstr(w, "instruction", o->instruction);
    jw_ktime(w, "deadline", o->deadline);
    jw_kstr(w, "state", case_order_state_name(o->state));
    jw_kbool(w, "overdue", case_order_overdue(o, call->now));
    if (o->first_answered_at)
        jw_kbool(w, "on_time", o->first_answered_at <= o->deadline);
    else
        jw_knull(w, "on_time");
    jw_kstr(w, "answer", *o->answer ? o->answer : NULL);
    jw_ktime(w, "answered_at", o->answered_at);
    jw_ktime(w, "first_answered_at", o->first_answered_at);
    jw_kstr(w, "decision_note", *o->decision_note ? o->decision_note : NULL);
    jw_ktime(w, "decided_at", o->decided_at);
    jw_kint(w, "send_backs", o->send_backs);
    jw_kstr(w, "issued_by", *o->issued_by_name ? o->issued_by_name : NULL);
    jw_ktime(w, "issued_at", o->issued_at);
    jw_ktime(w, "updated_at", o->updated_at);
    jw_kint(w, "version", o->version);
    unsigned steps = actor ? case_order_steps(actor, o) : 0;
    jw_key(w, "actions");
    jw_arr(w);
    for (int i = 0; i < CASE_ORDER_STEP_COUNT; i++)
        if (steps & (1u << i))
            jw_str(w, case_order_step_name((enum case_order_step)i));
    jw_arr_end(w);
    jw_obj_end(w);
}

static int answer_order(struct api_call *call, int status, int64_t id)
{
    struct case_actor actor;
    struct case_order o;
    int rc;
    app_actor(call->user, &actor);
    if ((rc = case_order_get(call->conn, id, &actor, call->req->arena, &o, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    order_json(call, &w, &o, &actor);
    if (status == 201)
        http_res_header(
            call->res, "Location",
            arena_printf(call->req->arena, "/api/v1/supervision-orders/%lld", (long long)id));
    return api_reply(call, status, &w);
}

static int parse_time(struct api_call *call, const char *field, int64_t *out)
{
    const char *v = json_get_str(call->body, field);
    *out = 0;
    if (v && clock_parse_rfc3339(v, out) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, field, "field '%s' must be an RFC 3339 time",
                         field);
    return 0;
}

int api_order_issue(struct api_call *call)
{
    struct case_order_in in = {0};
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    const struct case_rec *r;
    int64_t id;
    int rc, level;
    if ((rc = api_scoped_case(call, &r)) < 0 ||
        (rc = json_check(call->body, issue_fields, &call->err)) < 0)
        return rc;
    if ((level = case_order_level_from_name(json_get_str(call->body, "level"))) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "level",
                         "field 'level' must be general, key or listed");
    in.level = (enum case_order_level)level;
    in.instruction = json_get_str(call->body, "instruction");
    if ((rc = parse_time(call, "deadline", &in.deadline)) < 0 ||
        (rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_order_issue(&env, r->id, &in, &id, &call->err)) < 0)
        return rc;
    return answer_order(call, 201, id);
}

static int step(struct api_call *call, enum case_order_step s, const struct json_field *fields,
                const char *text_field)
{
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    int64_t id, deadline = 0;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, fields, &call->err)) < 0 ||
        (s == COP_SEND_BACK && (rc = parse_time(call, "deadline", &deadline)) < 0) ||
        (rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_order_act(&env, id, s, json_get_int(call->body, "version", 0),
                             json_get_str(call->body, text_field), deadline, &call->err)) < 0)
        return rc;
    return answer_order(call, 200, id);
}

int api_order_answer(struct api_call *call)
{
    return step(call, COP_ANSWER, answer_fields, "answer");
}
int api_order_accept(struct api_call *call)
{
    return step(call, COP_ACCEPT, accept_fields, "note");
}
int api_order_send_back(struct api_call *call)
{
    return step(call, COP_SEND_BACK, send_back_fields, "reason");
}

int api_order_get(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0)
        return rc;
    return answer_order(call, 200, id);
}

/* "a,b" of names into bits; ERR_BAD_REQUEST naming the parameter for an unknown one. */
static int parse_set(struct api_call *call, const char *param, int (*from_name)(const char *),
                     const char *what, unsigned *bits)
{
    const char *v = http_req_query(call->req, param);
    *bits = 0;
    if (!v || !*v)
        return 0;
    char *copy = arena_strdup(call->req->arena, v), *p = copy;
    while (p) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        int i = from_name(p);
        if (i < 0)
            return err_field(&call->err, ERR_BAD_REQUEST, param,
                             "query parameter '%s' must be a list of %s", param, what);
        *bits |= 1u << i;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

static int list(struct api_call *call, const struct case_rec *r)
{
    struct case_order_filter f = {0};
    struct case_actor actor;
    struct api_page page;
    struct case_order *v;
    size_t n;
    int64_t total;
    int rc;
    const char *ov = http_req_query(call->req, "overdue");
    if ((rc = api_page_query(call, 50, CASE_ORDER_LIST_MAX, &page)) < 0 ||
        (rc = parse_set(call, "state", case_order_state_from_name, "issued, answered, accepted",
                        &f.states)) < 0 ||
        (rc = parse_set(call, "level", case_order_level_from_name, "general, key, listed",
                        &f.levels)) < 0 ||
        (rc = api_query_int(call, "department", 0, 0, INT64_MAX, &f.department_id)) < 0)
        return rc;
    if (ov && strcmp(ov, "true") != 0 && strcmp(ov, "false") != 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "overdue",
                         "query parameter 'overdue' must be true or false");
    f.overdue = ov && strcmp(ov, "true") == 0;
    f.case_id = r ? r->id : 0;
    f.now = call->now;
    f.limit = (int)page.limit;
    f.offset = page.offset;
    app_actor(call->user, &actor);
    if ((rc = case_order_list(call->conn, &f, &actor, call->req->arena, &v, &n, &total,
                              &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++)
        order_json(call, &w, &v[i], &actor);
    int64_t next = page.offset + (int64_t)n;
    if (r) {
        /* A case's list says whether the caller may issue one on it (the form is shown then). */
        jw_arr_end(&w);
        jw_kint(&w, "total", total);
        jw_kstr(&w, "next_cursor",
                next < total ? arena_printf(call->req->arena, "%lld", (long long)next) : NULL);
        jw_kbool(&w, "can_issue", case_order_issuable(&actor, r, NULL) == 0);
        jw_obj_end(&w);
    } else
        api_list_end(&w, total,
                     next < total ? arena_printf(call->req->arena, "%lld", (long long)next) : NULL);
    return api_reply(call, 200, &w);
}

int api_order_list(struct api_call *call)
{
    return list(call, NULL);
}

int api_order_case_list(struct api_call *call)
{
    const struct case_rec *r;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0)
        return rc;
    return list(call, r);
}
