/*
 * 办结审核 rules (case_review_*): GET /api/v1/review-rules lists them; PUT sets one
 * ({"category": id or 0 for the default, "review": true|false}); DELETE /api/v1/review-rules/{id}
 * removes a category's rule, so it follows its parent again. The review itself is two case actions
 * (accept, send_back) on a case in state reviewing.
 */
#include "api/api_internal.h"
#include "case/case.h"

/* clang-format off */
static const struct json_field rule_fields[] = {
    {"category", JT_INT,  JF_REQUIRED, 0, 9007199254740991.0, NULL},
    {"review",   JT_BOOL, JF_REQUIRED, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void rule_json(struct jw *w, const struct case_review_rule *r)
{
    jw_obj(w);
    jw_kint(w, "category", r->category_id);
    jw_kstr(w, "category_name", r->category_id ? r->category_name : NULL);
    jw_kbool(w, "default", r->category_id == 0);
    jw_kbool(w, "review", r->review);
    jw_ktime(w, "updated_at", r->updated_at);
    jw_obj_end(w);
}

static int rule_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct case_review_rule r;
    int rc = case_review_rule_get(call->conn, id, call->req->arena, &r, &call->err);
    if (rc == 0)
        rule_json(w, &r);
    return rc;
}

static const struct api_resource rule_res = {"review_rule", NULL, rule_render, NULL};

int api_review_rule_list(struct api_call *call)
{
    struct case_review_rule *v;
    size_t n;
    int rc;
    if ((rc = case_review_rule_list(call->conn, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++)
        rule_json(&w, &v[i]);
    api_list_end_page(call, &w, NULL, n);
    return api_reply(call, 200, &w);
}

int api_review_rule_put(struct api_call *call)
{
    char *before = NULL;
    int rc;
    if ((rc = json_check(call->body, rule_fields, &call->err)) < 0)
        return rc;
    int64_t category = json_get_int(call->body, "category", 0);
    if ((rc = api_begin(call)) < 0)
        return rc;
    /* A new rule has no 'before'. */
    if ((rc = api_crud_state(call, &rule_res, category, &before)) < 0 && rc != ERR_NOT_FOUND)
        return rc;
    err_clear(&call->err);
    if ((rc = case_review_rule_set(call->conn, category, json_get_bool(call->body, "review", 0),
                                   call->now, call->user->id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &rule_res, "set", category, before);
}

int api_review_rule_delete(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &rule_res, id, &before)) < 0 ||
        (rc = case_review_rule_delete(call->conn, id, &call->err)) < 0)
        return rc;
    return api_crud_deleted(call, &rule_res, id, before);
}
