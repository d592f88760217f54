/*
 * The ladder (docs/grid.md §5): a case's levels and steps (GET /api/v1/cases/{id}/ladder), the
 * moves of the level holding it (POST .../ladder/handle|forward|escalate), the cases at the
 * caller's level (GET /api/v1/ladder/queue) and the time limits per level
 * (GET/PUT /api/v1/ladder/limits).
 */
#include <string.h>

#include "api/api_internal.h"
#include "app/app.h"
#include "case/case.h"

/* clang-format off */
static const struct json_field handle_fields[] = {
    {"step", JT_INT,    JF_REQUIRED, 1, CASE_LADDER_STEPS_MAX, NULL},
    {"note", JT_STRING, JF_NULLABLE, 0, CASE_LADDER_TEXT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field forward_fields[] = {
    {"step",      JT_INT,    JF_REQUIRED, 1, CASE_LADDER_STEPS_MAX, NULL},
    {"region_id", JT_INT,    JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"note",      JT_STRING, JF_NULLABLE, 0, CASE_LADDER_TEXT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field escalate_fields[] = {
    {"step",   JT_INT,    JF_REQUIRED, 1, CASE_LADDER_STEPS_MAX, NULL},
    {"reason", JT_STRING, JF_REQUIRED, 1, CASE_LADDER_TEXT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field limits_fields[] = {
    {"grid",      JT_INT, JF_REQUIRED, 1, 8760, NULL},
    {"community", JT_INT, JF_REQUIRED, 1, 8760, NULL},
    {"street",    JT_INT, JF_REQUIRED, 1, 8760, NULL},
    {"district",  JT_INT, JF_REQUIRED, 1, 8760, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void step_json(struct jw *w, const struct case_ladder_step *s)
{
    jw_obj(w);
    jw_kint(w, "seq", s->seq);
    jw_kstr(w, "level", case_level_name(s->tier));
    jw_key(w, "region");
    jw_obj(w);
    jw_kint(w, "id", s->region_id);
    jw_kstr(w, "code", s->region_code);
    jw_kstr(w, "name", s->region_name);
    jw_obj_end(w);
    jw_kstr(w, "came_by", s->came_by);
    jw_kstr(w, "reason", *s->reason ? s->reason : NULL);
    jw_kstr(w, "sent_by", *s->actor_name ? s->actor_name : NULL);
    jw_ktime(w, "started_at", s->started_at);
    jw_ktime(w, "due_at", s->due_at);
    jw_ktime(w, "handling_at", s->handling_at);
    jw_kstr(w, "handled_by", *s->handler_name ? s->handler_name : NULL);
    jw_ktime(w, "ended_at", s->ended_at);
    jw_kstr(w, "outcome", *s->outcome ? s->outcome : NULL);
    jw_kbool(w, "overdue", s->overdue);
    jw_obj_end(w);
}

static int reply_ladder(struct api_call *call, const struct case_rec *r)
{
    struct case_actor actor;
    struct case_ladder lad;
    int rc;
    app_actor(call->user, &actor);
    if ((rc = case_ladder_get(call->conn, &actor, r, call->now, call->req->arena, &lad,
                              &call->err)) < 0)
        return rc;
    const struct case_ladder_step *at = &lad.steps[lad.nsteps - 1];
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "case_id", r->id);
    jw_kstr(&w, "level", case_level_name(at->tier));
    jw_kint(&w, "step", at->seq);
    jw_key(&w, "region");
    jw_obj(&w);
    jw_kint(&w, "id", at->region_id);
    jw_kstr(&w, "code", at->region_code);
    jw_kstr(&w, "name", at->region_name);
    jw_obj_end(&w);
    jw_key(&w, "steps");
    jw_arr(&w);
    for (size_t i = 0; i < lad.nsteps; i++)
        step_json(&w, &lad.steps[i]);
    jw_arr_end(&w);
    jw_key(&w, "actions");
    jw_arr(&w);
    for (int i = 0; i < CLM_MOVE_COUNT; i++)
        if (lad.moves & (1u << i))
            jw_str(&w, case_ladder_move_name((enum case_ladder_move)i));
    jw_arr_end(&w);
    jw_key(&w, "forward_to");
    jw_arr(&w);
    for (size_t i = 0; i < lad.ntargets; i++) {
        jw_obj(&w);
        jw_kint(&w, "id", lad.targets[i].id);
        jw_kstr(&w, "code", lad.targets[i].code);
        jw_kstr(&w, "name", lad.targets[i].name);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

int api_ladder_get(struct api_call *call)
{
    const struct case_rec *r;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0)
        return rc;
    return reply_ladder(call, r);
}

static int move(struct api_call *call, enum case_ladder_move m, const struct json_field *fields,
                const char *text_field)
{
    const struct case_rec *r;
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct case_rec after;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0 ||
        (rc = json_check(call->body, fields, &call->err)) < 0 ||
        (rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_ladder_act(&env, r->id, m, (int)json_get_int(call->body, "step", 0),
                              json_get_int(call->body, "region_id", 0),
                              json_get_str(call->body, text_field), &call->err)) < 0 ||
        (rc = case_get(call->conn, r->id, call->req->arena, &after, &call->err)) < 0)
        return rc;
    return reply_ladder(call, &after);
}

int api_ladder_handle(struct api_call *call)
{
    return move(call, CLM_HANDLE, handle_fields, "note");
}
int api_ladder_forward(struct api_call *call)
{
    return move(call, CLM_FORWARD, forward_fields, "note");
}
int api_ladder_escalate(struct api_call *call)
{
    return move(call, CLM_ESCALATE, escalate_fields, "reason");
}

int api_ladder_queue(struct api_call *call)
{
    struct case_actor actor;
    struct case_ladder_item *v;
    size_t n;
    int rc;
    app_actor(call->user, &actor);
    if ((rc = case_ladder_queue(call->conn, &actor, call->now, call->req->arena, &v, &n,
                                &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        const struct case_ladder_item *it = &v[i];
        jw_obj(&w);
        jw_kint(&w, "case_id", it->case_id);
        jw_kstr(&w, "number", it->number);
        jw_kstr(&w, "title", it->title);
        jw_kstr(&w, "state", it->state);
        jw_kstr(&w, "case_region", *it->region_name ? it->region_name : NULL);
        jw_kstr(&w, "level", case_level_name(it->tier));
        jw_kstr(&w, "at", it->level_region_name);
        jw_kstr(&w, "came_by", it->came_by);
        jw_kstr(&w, "reason", *it->reason ? it->reason : NULL);
        jw_ktime(&w, "started_at", it->started_at);
        jw_ktime(&w, "due_at", it->due_at);
        jw_ktime(&w, "handling_at", it->handling_at);
        jw_kbool(&w, "overdue", it->overdue);
        jw_obj_end(&w);
    }
    api_list_end(&w, (int64_t)n, NULL);
    return api_reply(call, 200, &w);
}

static int reply_limits(struct api_call *call)
{
    int hours[CASE_LEVEL_COUNT];
    int rc;
    if ((rc = case_ladder_limits(call->conn, hours, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    for (int i = CASE_LEVEL_GRID; i <= CASE_LEVEL_DISTRICT; i++)
        jw_kint(&w, case_level_name(i), hours[i]);
    jw_kstr(&w, "unit", "hours");
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

int api_ladder_limits_get(struct api_call *call)
{
    return reply_limits(call);
}

int api_ladder_limits_put(struct api_call *call)
{
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    int hours[CASE_LEVEL_COUNT] = {0};
    int rc;
    if ((rc = json_check(call->body, limits_fields, &call->err)) < 0)
        return rc;
    for (int i = CASE_LEVEL_GRID; i <= CASE_LEVEL_DISTRICT; i++)
        hours[i] = (int)json_get_int(call->body, case_level_name(i), 0);
    if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_ladder_limits_set(&env, hours, &call->err)) < 0)
        return rc;
    return reply_limits(call);
}
