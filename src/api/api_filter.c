/*
 * GET/POST /api/v1/me/filters, DELETE /api/v1/me/filters/{id}: the caller's saved case-list
 * filters. The query is a JSON object of GET /api/v1/cases parameters, each a string as it would
 * appear in the URL; it is checked here (known parameters only) and kept as compact JSON text.
 * A saved query is checked again by the list when it is used, like any typed one.
 */
#include <string.h>

#include "api/api_internal.h"
#include "auth/auth.h"
#include "case/case.h"

/* clang-format off */
static const struct json_field query_fields[] = {
    {"q",          JT_STRING, 0, 1, CASE_TEXT_MAX, NULL},
    {"state",      JT_STRING, 0, 1, 200, NULL},
    {"kind",       JT_STRING, 0, 1, 100, NULL},
    {"urgency",    JT_STRING, 0, 1, 50, NULL},
    {"channel",    JT_STRING, 0, 1, 100, NULL},
    {"overdue",    JT_STRING, 0, 1, 5, NULL},
    {"category",   JT_STRING, 0, 1, 20, NULL},
    {"department", JT_STRING, 0, 1, 20, NULL},
    {"region",     JT_STRING, 0, 1, 20, NULL},
    {"from",       JT_STRING, 0, 1, 40, NULL},
    {"to",         JT_STRING, 0, 1, 40, NULL},
    {"sort",       JT_STRING, 0, 1, 20, NULL},
    {"queue",      JT_STRING, 0, 1, 20, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field filter_fields[] = {
    {"name",  JT_STRING, JF_REQUIRED, 1, AUTH_FILTER_NAME_MAX, NULL},
    {"query", JT_OBJECT, JF_REQUIRED, 0, 0, query_fields},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void filter_json(struct jw *w, const struct auth_filter *f)
{
    jw_obj(w);
    jw_kint(w, "id", f->id);
    jw_kstr(w, "name", f->name);
    jw_key(w, "query");
    jw_raw(w, f->query);
    jw_ktime(w, "created_at", f->created_at);
    jw_ktime(w, "updated_at", f->updated_at);
    jw_obj_end(w);
}

static int filter_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct auth_filter f;
    int rc = auth_filter_get(call->conn, call->user->id, id, call->req->arena, &f, &call->err);
    if (rc == 0)
        filter_json(w, &f);
    return rc;
}

static const struct api_resource filter_res = {"filter", NULL, filter_render, NULL};

int api_filter_list(struct api_call *call)
{
    struct auth_filter *v;
    size_t n;
    int rc;
    if ((rc = auth_filter_list(call->conn, call->user->id, call->req->arena, &v, &n, &call->err)) <
        0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++)
        filter_json(&w, &v[i]);
    api_list_end_page(call, &w, NULL, n);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

int api_filter_save(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, filter_fields, &call->err)) < 0)
        return rc;
    const char *query = json_print(json_get(call->body, "query"), call->req->arena);
    if ((rc = api_begin(call)) < 0 ||
        (rc = auth_filter_save(call->conn, call->user->id, json_get_str(call->body, "name"), query,
                               call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &filter_res, "save", id, NULL);
}

int api_filter_delete(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &filter_res, id, &before)) < 0 ||
        (rc = auth_filter_delete(call->conn, call->user->id, id, &call->err)) < 0)
        return rc;
    return api_crud_deleted(call, &filter_res, id, before);
}
