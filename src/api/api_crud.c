/*
 * The list envelope and the write tail every resource shares: a record is rendered once,
 * and that one text is both the audit entry's state and the reply body, so what the audit
 * digest covers is exactly what the client was shown.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/mem.h"

int api_page_query(struct api_call *call, int64_t def_limit, int64_t max_limit, struct api_page *p)
{
    int64_t offset;
    int rc;
    /* ?offset= is the older spelling of the cursor (the category list had it first). */
    const char *name = http_req_query(call->req, "cursor") ? "cursor" : "offset";
    if ((rc = api_query_int(call, "limit", def_limit ? def_limit : max_limit, 1, max_limit,
                            &p->limit)) < 0 ||
        (rc = api_query_int(call, name, 0, 0, INT64_MAX, &offset)) < 0)
        return rc;
    p->offset = offset;
    return 0;
}

size_t api_page_from(const struct api_page *p, size_t n)
{
    return (uint64_t)p->offset < n ? (size_t)p->offset : n;
}

size_t api_page_to(const struct api_page *p, size_t n)
{
    size_t from = api_page_from(p, n);
    return (uint64_t)p->limit < n - from ? from + (size_t)p->limit : n;
}

void api_list_begin(struct jw *w)
{
    jw_init(w);
    jw_obj(w);
    jw_key(w, "items");
    jw_arr(w);
}

void api_list_end(struct jw *w, int64_t total, const char *next_cursor)
{
    jw_arr_end(w);
    jw_kint(w, "total", total);
    jw_kstr(w, "next_cursor", next_cursor && *next_cursor ? next_cursor : NULL);
    jw_obj_end(w);
}

int api_reply_items(struct api_call *call, const void *v, size_t n, size_t size, api_item_fn *item)
{
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        item(&w, (const char *)v + i * size);
        jw_obj_end(&w);
    }
    api_list_end(&w, (int64_t)n, NULL);
    return api_reply(call, 200, &w);
}

int api_reply_count(struct api_call *call, const char *key, int64_t n)
{
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, key, n);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

void api_list_end_page(struct api_call *call, struct jw *w, const struct api_page *p, size_t n)
{
    size_t to = p ? api_page_to(p, n) : n;
    api_list_end(w, (int64_t)n, to < n ? arena_printf(call->req->arena, "%zu", to) : NULL);
}

static const char *target_of(struct api_call *call, const struct api_resource *r, int64_t id)
{
    return arena_printf(call->req->arena, "%s/%lld", r->name, (long long)id);
}

int api_crud_state(struct api_call *call, const struct api_resource *r, int64_t id, char **out)
{
    struct jw w;
    jw_init(&w);
    int rc = r->render(call, id, &w);
    *out = rc < 0 ? NULL : arena_strndup(call->req->arena, w.b.p, w.b.len);
    jw_release(&w);
    return rc;
}

int api_crud_commit(struct api_call *call, const struct api_resource *r, const char *verb,
                    int64_t id, const char *before)
{
    struct jw w;
    jw_init(&w);
    int rc = r->render(call, id, &w);
    if (rc < 0) {
        jw_release(&w);
        return rc;
    }
    const char *action = arena_printf(call->req->arena, "%s.%s", r->name, verb);
    const char *after = arena_strndup(call->req->arena, w.b.p, w.b.len);
    if ((rc = api_commit(call, action, target_of(call, r, id), before, after)) < 0) {
        jw_release(&w);
        return rc;
    }
    if (r->changed)
        r->changed(call, id);
    int created = strcmp(verb, "create") == 0;
    if (created && r->path)
        http_res_header(call->res, "Location",
                        arena_printf(call->req->arena, "%s/%lld", r->path, (long long)id));
    return api_reply(call, created ? 201 : 200, &w);
}

int api_crud_deleted(struct api_call *call, const struct api_resource *r, int64_t id,
                     const char *before)
{
    const char *action = arena_printf(call->req->arena, "%s.delete", r->name);
    int rc = api_commit(call, action, target_of(call, r, id), before, NULL);
    if (rc < 0)
        return rc;
    if (r->changed)
        r->changed(call, id);
    http_res_body(call->res, 204, NULL, "", 0, HTTP_BODY_STATIC);
    return 0;
}

void api_file_refused_begin(struct api_call *call, struct jw *w)
{
    api_rollback(call);
    jw_key(w, "error");
    jw_obj(w);
    jw_kstr(w, "code", "bad_request");
    jw_kstr(w, "message", call->err.msg);
    jw_kstr(w, "field", "file");
    jw_obj_end(w);
    jw_key(w, "report");
    jw_obj(w);
}

int api_file_refused_end(struct api_call *call, struct jw *w)
{
    jw_obj_end(w);
    jw_obj_end(w);
    return api_reply(call, 400, w);
}

int api_crud_get(struct api_call *call, const struct api_resource *r)
{
    int64_t id;
    struct jw w;
    int rc = api_param_id(call, "id", &id);
    if (rc < 0)
        return rc;
    jw_init(&w);
    if ((rc = r->render(call, id, &w)) < 0) {
        jw_release(&w);
        return rc;
    }
    return api_reply(call, 200, &w);
}
