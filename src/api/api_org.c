/*
 * Organisation endpoints: regions, departments, categories and the working calendar.
 * Lists do not depend on who asks, so their serialised bodies are cached until the next
 * organisation write (api_cache_*), which is what keeps the hot category list cheap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/num.h"
#include "cal/cal.h"
#include "org/org.h"
#include "store/store.h"

/* ---------------------------------------------------------------- helpers */

/* Region and department lists have no page size of their own: without ?limit= they answer
 * everything, up to this many. */
#define ORG_LIST_PAGE_MAX 100000

static char *state_of(struct api_call *call, struct jw *w)
{
    char *s = arena_strndup(call->req->arena, w->b.p, w->b.len);
    jw_release(w);
    return s;
}

/* Every organisation write makes the cached org lists stale. */
static void org_changed(struct api_call *call, int64_t id)
{
    (void)id;
    api_org_changed(call);
}

static void kid(struct jw *w, const char *key, int64_t id)
{
    if (id)
        jw_kint(w, key, id);
    else
        jw_knull(w, key);
}

/* A JSON member that must be a GeoJSON object (or null), serialised for the org module. */
static int boundary_text(struct api_call *call, const char **out)
{
    *out = json_print(json_get(call->body, "boundary"), call->req->arena);
    return 0;
}

static int query_flag(struct api_call *call, const char *name)
{
    const char *v = http_req_query(call->req, name);
    return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

/* ---------------------------------------------------------------- regions */

static void region_json(struct jw *w, const struct org_region *r)
{
    jw_obj(w);
    jw_kint(w, "id", r->id);
    jw_kstr(w, "code", r->code);
    jw_kstr(w, "name", r->name);
    jw_kstr(w, "level", org_region_level_name(r->level));
    kid(w, "parent_id", r->parent_id);
    if (r->boundary) {
        jw_key(w, "boundary");
        jw_raw(w, r->boundary);
    }
    jw_ktime(w, "created_at", r->created_at);
    jw_ktime(w, "updated_at", r->updated_at);
    jw_obj_end(w);
}

static int region_level_query(struct api_call *call, enum org_region_level *out)
{
    const char *v = http_req_query(call->req, "level");
    *out = 0;
    if (!v)
        return 0;
    int level = org_region_level_from_name(v);
    if (!level)
        return err_field(&call->err, ERR_BAD_REQUEST, "level",
                         "query parameter 'level' must be district, street, community or grid");
    *out = (enum org_region_level)level;
    return 0;
}

int api_region_list(struct api_call *call)
{
    struct org_region_filter f = {0};
    struct api_page pg;
    struct org_region *v;
    size_t n;
    int rc;
    if ((rc = api_query_int(call, "parent_id", 0, 0, INT64_MAX, &f.parent_id)) < 0 ||
        (rc = api_query_int(call, "within", 0, 0, INT64_MAX, &f.within_id)) < 0 ||
        (rc = region_level_query(call, &f.level)) < 0)
        return rc;
    f.with_boundary = query_flag(call, "boundary");
    if ((rc = api_page_query(call, 0, ORG_LIST_PAGE_MAX, &pg)) < 0)
        return rc;
    char *key = arena_printf(call->req->arena, "%lld/%lld/%d/%d/%lld/%lld", (long long)f.parent_id,
                             (long long)f.within_id, (int)f.level, f.with_boundary,
                             (long long)pg.limit, (long long)pg.offset);
    if (api_cache_get(call, key))
        return 0;
    if ((rc = org_region_list(call->conn, &f, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++)
        region_json(&w, &v[i]);
    api_list_end_page(call, &w, &pg, n);
    return api_cache_put(call, key, &w);
}

int api_region_get(struct api_call *call)
{
    struct org_region r;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = org_region_get(call->conn, id, call->req->arena, &r, &call->err)) < 0)
        return rc;
    const char *path = NULL;
    org_region_path_name(call->conn, id, "/", call->req->arena, &path, &call->err);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "id", r.id);
    jw_kstr(&w, "code", r.code);
    jw_kstr(&w, "name", r.name);
    jw_kstr(&w, "level", org_region_level_name(r.level));
    kid(&w, "parent_id", r.parent_id);
    jw_kstr(&w, "path", path ? path : r.name);
    jw_key(&w, "boundary");
    jw_raw(&w, r.boundary ? r.boundary : "null");
    jw_ktime(&w, "created_at", r.created_at);
    jw_ktime(&w, "updated_at", r.updated_at);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

static const struct json_field region_create_fields[] = {
    {"code", JT_STRING, JF_REQUIRED, 1, ORG_CODE_MAX, NULL},
    {"name", JT_STRING, JF_REQUIRED, 1, ORG_NAME_MAX, NULL},
    {"level", JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"parent_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"boundary", JT_OBJECT, JF_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static int region_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct org_region r;
    int rc = org_region_get(call->conn, id, call->req->arena, &r, &call->err);
    if (rc == 0)
        region_json(w, &r);
    return rc;
}

static const struct api_resource region_res = {"region", "/api/v1/regions", region_render,
                                               org_changed};

int api_region_create(struct api_call *call)
{
    struct org_region_in in = {0};
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, region_create_fields, &call->err)) < 0 ||
        (rc = boundary_text(call, &in.boundary)) < 0)
        return rc;
    in.code = json_get_str(call->body, "code");
    in.name = json_get_str(call->body, "name");
    in.level = (enum org_region_level)org_region_level_from_name(json_get_str(call->body, "level"));
    if (!in.level)
        return err_field(&call->err, ERR_BAD_REQUEST, "level",
                         "field 'level' must be district, street, community or grid");
    in.parent_id = json_get_int(call->body, "parent_id", 0);
    if ((rc = api_begin(call)) < 0 ||
        (rc = org_region_create(call->conn, &in, call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &region_res, "create", id, NULL);
}

static const struct json_field region_update_fields[] = {
    {"name", JT_STRING, 0, 1, ORG_NAME_MAX, NULL},
    {"boundary", JT_OBJECT, JF_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int api_region_update(struct api_call *call)
{
    struct org_region cur;
    struct org_region_in in = {0};
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, region_update_fields, &call->err)) < 0 ||
        (rc = boundary_text(call, &in.boundary)) < 0)
        return rc;
    if ((rc = api_begin(call)) < 0 ||
        (rc = org_region_get(call->conn, id, call->req->arena, &cur, &call->err)) < 0 ||
        (rc = api_crud_state(call, &region_res, id, &before)) < 0)
        return rc;
    in.name = json_has(call->body, "name") ? json_get_str(call->body, "name") : cur.name;
    if (!json_has(call->body, "boundary"))
        in.boundary = cur.boundary;
    if ((rc = org_region_update(call->conn, id, &in, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &region_res, "update", id, before);
}

int api_region_delete(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &region_res, id, &before)) < 0 ||
        (rc = org_region_delete(call->conn, id, &call->err)) < 0)
        return rc;
    return api_crud_deleted(call, &region_res, id, before);
}

int api_region_locate(struct api_call *call)
{
    double lat, lon;
    int64_t id;
    int rc;
    if ((rc = api_query_double(call, "lat", -90, 90, 1, 0, &lat)) < 0 ||
        (rc = api_query_double(call, "lon", -180, 180, 1, 0, &lon)) < 0 ||
        (rc = api_locate_region(call, lat, lon, &id)) < 0)
        return rc;
    if (!id)
        return err_set(&call->err, ERR_NOT_FOUND, "no region contains (%g, %g)", lat, lon);
    struct org_region *path;
    size_t n;
    if ((rc = org_region_path(call->conn, id, call->req->arena, &path, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    /* The innermost region first (a micro-grid when one holds the point), then the chain. */
    jw_kint(&w, "region_id", id);
    jw_kstr(&w, "code", path[n - 1].code);
    jw_kstr(&w, "name", path[n - 1].name);
    jw_kstr(&w, "level", org_region_level_name(path[n - 1].level));
    jw_key(&w, "path");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++)
        region_json(&w, &path[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* ---------------------------------------------------------------- departments */

static void department_json(struct jw *w, const struct org_department *d, int with_regions)
{
    jw_obj(w);
    jw_kint(w, "id", d->id);
    jw_kstr(w, "code", d->code);
    jw_kstr(w, "name", d->name);
    kid(w, "parent_id", d->parent_id);
    jw_kstr(w, "phone", d->phone);
    jw_kbool(w, "active", d->active);
    if (with_regions) {
        jw_key(w, "region_ids");
        jw_arr(w);
        for (size_t i = 0; i < d->nregion_ids; i++)
            jw_int(w, d->region_ids[i]);
        jw_arr_end(w);
    }
    jw_ktime(w, "created_at", d->created_at);
    jw_ktime(w, "updated_at", d->updated_at);
    jw_obj_end(w);
}

static int active_query(struct api_call *call, enum org_active_filter *out)
{
    const char *v = http_req_query(call->req, "active");
    *out = ORG_ACTIVE_ANY;
    if (!v)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = ORG_ACTIVE_ONLY;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = ORG_INACTIVE_ONLY;
    else
        return err_field(&call->err, ERR_BAD_REQUEST, "active",
                         "query parameter 'active' must be true or false");
    return 0;
}

int api_department_list(struct api_call *call)
{
    struct org_department_filter f = {0};
    struct api_page pg;
    struct org_department *v;
    size_t n;
    int rc;
    if ((rc = active_query(call, &f.active)) < 0 ||
        (rc = api_query_int(call, "parent_id", 0, 0, INT64_MAX, &f.parent_id)) < 0 ||
        (rc = api_query_int(call, "region_id", 0, 0, INT64_MAX, &f.serves_region_id)) < 0)
        return rc;
    if ((rc = api_page_query(call, 0, ORG_LIST_PAGE_MAX, &pg)) < 0)
        return rc;
    char *key = arena_printf(call->req->arena, "%d/%lld/%lld/%lld/%lld", (int)f.active,
                             (long long)f.parent_id, (long long)f.serves_region_id,
                             (long long)pg.limit, (long long)pg.offset);
    if (api_cache_get(call, key))
        return 0;
    if ((rc = org_department_list(call->conn, &f, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++)
        department_json(&w, &v[i], 0);
    api_list_end_page(call, &w, &pg, n);
    return api_cache_put(call, key, &w);
}

static int department_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct org_department d;
    int rc = org_department_get(call->conn, id, call->req->arena, &d, &call->err);
    if (rc == 0)
        department_json(w, &d, 1);
    return rc;
}

static const struct api_resource department_res = {"department", "/api/v1/departments",
                                                   department_render, org_changed};

int api_department_get(struct api_call *call)
{
    return api_crud_get(call, &department_res);
}

static const struct json_field department_fields[] = {
    {"code", JT_STRING, 0, 1, ORG_CODE_MAX, NULL},
    {"name", JT_STRING, 0, 1, ORG_NAME_MAX, NULL},
    {"parent_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"phone", JT_STRING, JF_NULLABLE, 0, ORG_PHONE_MAX, NULL},
    {"active", JT_BOOL, 0, 0, 0, NULL},
    {"region_ids", JT_ARRAY_INT, 0, 0, ORG_DEPT_REGIONS_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static int set_regions(struct api_call *call, int64_t id)
{
    const json_t *arr = json_get(call->body, "region_ids");
    if (!arr)
        return 0;
    int n = json_array_size(arr);
    int64_t *ids = arena_alloc(call->req->arena, sizeof(int64_t) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        ids[i] = json_array_int(arr, i);
    return org_department_set_regions(call->conn, id, ids, (size_t)n, call->now, &call->err);
}

int api_department_create(struct api_call *call)
{
    struct org_department_in in = {0};
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, department_fields, &call->err)) < 0)
        return rc;
    if (!json_get_str(call->body, "code"))
        return err_field(&call->err, ERR_BAD_REQUEST, "code", "field 'code' is required");
    if (!json_get_str(call->body, "name"))
        return err_field(&call->err, ERR_BAD_REQUEST, "name", "field 'name' is required");
    in.code = json_get_str(call->body, "code");
    in.name = json_get_str(call->body, "name");
    in.parent_id = json_get_int(call->body, "parent_id", 0);
    in.phone = json_get_str(call->body, "phone");
    in.active = json_get_bool(call->body, "active", 1);
    if ((rc = api_begin(call)) < 0 ||
        (rc = org_department_create(call->conn, &in, call->now, &id, &call->err)) < 0 ||
        (rc = set_regions(call, id)) < 0)
        return rc;
    return api_crud_commit(call, &department_res, "create", id, NULL);
}

int api_department_update(struct api_call *call)
{
    struct org_department cur;
    struct org_department_in in;
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, department_fields, &call->err)) < 0)
        return rc;
    if ((rc = api_begin(call)) < 0 ||
        (rc = org_department_get(call->conn, id, call->req->arena, &cur, &call->err)) < 0 ||
        (rc = api_crud_state(call, &department_res, id, &before)) < 0)
        return rc;
    in.code = json_has(call->body, "code") ? json_get_str(call->body, "code") : cur.code;
    in.name = json_has(call->body, "name") ? json_get_str(call->body, "name") : cur.name;
    in.parent_id = json_has(call->body, "parent_id") ? json_get_int(call->body, "parent_id", 0)
                                                     : cur.parent_id;
    in.phone = json_has(call->body, "phone") ? json_get_str(call->body, "phone") : cur.phone;
    in.active =
        json_has(call->body, "active") ? json_get_bool(call->body, "active", 1) : cur.active;
    if ((rc = org_department_update(call->conn, id, &in, call->now, &call->err)) < 0 ||
        (rc = set_regions(call, id)) < 0)
        return rc;
    return api_crud_commit(call, &department_res, "update", id, before);
}

int api_department_delete(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &department_res, id, &before)) < 0 ||
        (rc = org_department_delete(call->conn, id, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &department_res, "deactivate", id, before);
}

/* ---------------------------------------------------------------- categories */

static void category_json(struct jw *w, const struct org_category *c)
{
    jw_obj(w);
    jw_kint(w, "id", c->id);
    jw_kstr(w, "code", c->code);
    jw_kstr(w, "name", c->name);
    jw_kint(w, "level", c->level);
    kid(w, "parent_id", c->parent_id);
    kid(w, "department_id", c->department_id);
    jw_kstr(w, "urgency", org_urgency_name(c->urgency));
    jw_key(w, "sla");
    if (c->sla.resolve == 0) {
        jw_null(w);
    } else {
        jw_obj(w);
        jw_kint(w, "sign", c->sla.sign);
        jw_kint(w, "reply", c->sla.reply);
        jw_kint(w, "resolve", c->sla.resolve);
        jw_kstr(w, "unit", cal_unit_name(c->sla.unit));
        jw_obj_end(w);
    }
    jw_kstr(w, "keywords", c->keywords);
    jw_kbool(w, "active", c->active);
    jw_ktime(w, "created_at", c->created_at);
    jw_ktime(w, "updated_at", c->updated_at);
    jw_obj_end(w);
}

int api_category_list(struct api_call *call)
{
    struct org_category_filter f = {0};
    struct org_category *v;
    struct api_page pg;
    int64_t level;
    size_t n;
    int rc;
    if ((rc = api_query_int(call, "level", 0, 0, 3, &level)) < 0 ||
        (rc = api_query_int(call, "parent_id", 0, 0, INT64_MAX, &f.parent_id)) < 0 ||
        (rc = active_query(call, &f.active)) < 0 ||
        (rc = api_page_query(call, 1000, 1000, &pg)) < 0)
        return rc;
    f.level = (int)level;
    char *key =
        arena_printf(call->req->arena, "%d/%lld/%d/%lld/%lld", f.level, (long long)f.parent_id,
                     (int)f.active, (long long)pg.limit, (long long)pg.offset);
    if (api_cache_get(call, key))
        return 0;
    if ((rc = org_category_list(call->conn, &f, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++)
        category_json(&w, &v[i]);
    api_list_end_page(call, &w, &pg, n);
    return api_cache_put(call, key, &w);
}

static int category_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct org_category c;
    int rc = org_category_get(call->conn, id, call->req->arena, &c, &call->err);
    if (rc == 0)
        category_json(w, &c);
    return rc;
}

static const struct api_resource category_res = {"category", "/api/v1/categories", category_render,
                                                 org_changed};

int api_category_get(struct api_call *call)
{
    return api_crud_get(call, &category_res);
}

static const struct json_field sla_fields[] = {
    {"sign", JT_INT, JF_REQUIRED, 0, 100000, NULL},
    {"reply", JT_INT, JF_REQUIRED, 0, 100000, NULL},
    {"resolve", JT_INT, JF_REQUIRED, 0, 100000, NULL},
    {"unit", JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field category_fields[] = {
    {"code", JT_STRING, 0, 2, 6, NULL},
    {"name", JT_STRING, 0, 1, ORG_NAME_MAX, NULL},
    {"level", JT_INT, 0, 1, 3, NULL},
    {"parent_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"department_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"urgency", JT_STRING, 0, 0, 0, NULL},
    {"sla", JT_OBJECT, JF_NULLABLE, 0, 0, sla_fields},
    {"keywords", JT_STRING, 0, 0, ORG_KEYWORDS_MAX, NULL},
    {"active", JT_BOOL, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* Fill the mutable fields present in the body into 'in'. */
static int category_body(struct api_call *call, struct org_category_in *in)
{
    const char *u = json_get_str(call->body, "urgency");
    if (u) {
        int urg = org_urgency_from_name(u);
        if (urg < 0)
            return err_field(&call->err, ERR_BAD_REQUEST, "urgency",
                             "field 'urgency' must be normal, urgent or emergency");
        in->urgency = (enum org_urgency)urg;
    }
    if (json_has(call->body, "name"))
        in->name = json_get_str(call->body, "name");
    if (json_has(call->body, "department_id"))
        in->department_id = json_get_int(call->body, "department_id", 0);
    if (json_has(call->body, "keywords"))
        in->keywords = json_get_str(call->body, "keywords");
    if (json_has(call->body, "active"))
        in->active = json_get_bool(call->body, "active", 1);
    if (json_is_null(call->body, "sla")) {
        memset(&in->sla, 0, sizeof(in->sla));
    } else if (json_get(call->body, "sla")) {
        const json_t *sla = json_get(call->body, "sla");
        int unit = cal_unit_from_name(json_get_str(sla, "unit"));
        if (unit < 0)
            return err_field(&call->err, ERR_BAD_REQUEST, "sla.unit",
                             "field 'sla.unit' must be work_hours, work_days or hours");
        in->sla.sign = (int)json_get_int(sla, "sign", 0);
        in->sla.reply = (int)json_get_int(sla, "reply", 0);
        in->sla.resolve = (int)json_get_int(sla, "resolve", 0);
        in->sla.unit = (enum cal_unit)unit;
    }
    return 0;
}

/* The org layer names the SLA columns (sla_reply) but the request nests them ("sla":
 * {"reply": ...}), so a client must be told the path it sent: sla.reply. */
static int sla_field_path(struct api_call *call, int rc)
{
    if (rc < 0 && strncmp(call->err.field, "sla_", 4) == 0)
        call->err.field[3] = '.';
    return rc;
}

int api_category_create(struct api_call *call)
{
    struct org_category_in in = {.active = 1};
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, category_fields, &call->err)) < 0)
        return rc;
    static const char *const required[] = {"code", "name", "level"};
    for (size_t i = 0; i < 3; i++)
        if (!json_get(call->body, required[i]))
            return err_field(&call->err, ERR_BAD_REQUEST, required[i], "field '%s' is required",
                             required[i]);
    in.code = json_get_str(call->body, "code");
    in.level = (int)json_get_int(call->body, "level", 0);
    in.parent_id = json_get_int(call->body, "parent_id", 0);
    if ((rc = category_body(call, &in)) < 0)
        return rc;
    if ((rc = api_begin(call)) < 0 ||
        (rc = sla_field_path(call,
                             org_category_create(call->conn, &in, call->now, &id, &call->err))) < 0)
        return rc;
    return api_crud_commit(call, &category_res, "create", id, NULL);
}

int api_category_update(struct api_call *call)
{
    struct org_category cur;
    struct org_category_in in = {0};
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, category_fields, &call->err)) < 0)
        return rc;
    if ((rc = api_begin(call)) < 0 ||
        (rc = org_category_get(call->conn, id, call->req->arena, &cur, &call->err)) < 0 ||
        (rc = api_crud_state(call, &category_res, id, &before)) < 0)
        return rc;
    in.code = json_get_str(call->body, "code");
    in.level = (int)json_get_int(call->body, "level", 0);
    in.parent_id = json_get_int(call->body, "parent_id", 0);
    in.name = cur.name;
    in.department_id = cur.department_id;
    in.urgency = cur.urgency;
    in.sla = cur.sla;
    in.keywords = cur.keywords;
    in.active = cur.active;
    if ((rc = category_body(call, &in)) < 0 ||
        (rc = sla_field_path(call,
                             org_category_update(call->conn, id, &in, call->now, &call->err))) < 0)
        return rc;
    return api_crud_commit(call, &category_res, "update", id, before);
}

int api_category_delete(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &category_res, id, &before)) < 0 ||
        (rc = org_category_delete(call->conn, id, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &category_res, "deactivate", id, before);
}

/* ---------------------------------------------------------------- calendar */

static void calendar_settings_json(struct jw *w, const struct org_calendar_settings *s)
{
    char periods[ORG_PERIODS_TEXT_MAX];
    org_calendar_periods_format(s->periods, s->nperiods, periods);
    jw_kint(w, "utc_offset_min", s->utc_offset_min);
    jw_key(w, "workdays");
    jw_arr(w);
    for (int d = 0; d < 7; d++)
        if (s->week_mask & (1u << d))
            jw_int(w, d);
    jw_arr_end(w);
    jw_kstr(w, "periods", periods);
}

int api_calendar_get(struct api_call *call)
{
    struct org_calendar_settings s;
    struct org_calendar_day *days;
    size_t n;
    int rc;
    const char *from = http_req_query(call->req, "from"), *to = http_req_query(call->req, "to");
    int64_t d;
    if ((from && org_date_parse(from, &d) < 0) || (to && org_date_parse(to, &d) < 0)) {
        const char *bad = from && org_date_parse(from, &d) < 0 ? "from" : "to";
        return err_field(&call->err, ERR_BAD_REQUEST, bad,
                         "query parameter '%s' must be a date written YYYY-MM-DD", bad);
    }
    if ((rc = org_calendar_settings_get(call->conn, &s, &call->err)) < 0 ||
        (rc = org_calendar_day_list(call->conn, from, to, call->req->arena, &days, &n,
                                    &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    calendar_settings_json(&w, &s);
    jw_key(&w, "days");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        jw_kstr(&w, "day", days[i].day);
        jw_kstr(&w, "kind", org_calendar_day_kind_name(days[i].kind));
        jw_kstr(&w, "name", days[i].name);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

static const struct json_field calendar_fields[] = {
    {"utc_offset_min", JT_INT, 0, -720, 840, NULL},
    {"workdays", JT_ARRAY_INT, 0, 1, 7, NULL},
    {"periods", JT_STRING, 0, 1, ORG_PERIODS_TEXT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static char *settings_state(struct api_call *call, const struct org_calendar_settings *s)
{
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    calendar_settings_json(&w, s);
    jw_obj_end(&w);
    return state_of(call, &w);
}

int api_calendar_put(struct api_call *call)
{
    struct org_calendar_settings cur, s;
    int rc;
    if ((rc = json_check(call->body, calendar_fields, &call->err)) < 0)
        return rc;
    if ((rc = api_begin(call)) < 0 ||
        (rc = org_calendar_settings_get(call->conn, &cur, &call->err)) < 0)
        return rc;
    s = cur;
    s.utc_offset_min = (int)json_get_int(call->body, "utc_offset_min", cur.utc_offset_min);
    const json_t *wd = json_get(call->body, "workdays");
    if (wd) {
        s.week_mask = 0;
        for (int i = 0; i < json_array_size(wd); i++) {
            int64_t d = json_array_int(wd, i);
            if (d < 0 || d > 6)
                return err_field(&call->err, ERR_BAD_REQUEST, "workdays",
                                 "workdays are 0 (Sunday) to 6 (Saturday)");
            s.week_mask |= 1u << d;
        }
    }
    const char *periods = json_get_str(call->body, "periods");
    if (periods && (rc = org_calendar_periods_parse(periods, s.periods, CAL_MAX_PERIODS,
                                                    &s.nperiods, &call->err)) < 0)
        return rc;
    if ((rc = org_calendar_settings_set(call->conn, &s, call->now, &call->err)) < 0 ||
        (rc = api_commit(call, "calendar.update", "calendar", settings_state(call, &cur),
                         settings_state(call, &s))) < 0)
        return rc;
    api_org_changed(call);
    return api_calendar_get(call);
}

static const struct json_field day_fields[] = {
    {"kind", JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"name", JT_STRING, 0, 0, ORG_DAY_NAME_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int api_calendar_day_put(struct api_call *call)
{
    const char *day = http_req_param(call->req, "day");
    int rc;
    if ((rc = json_check(call->body, day_fields, &call->err)) < 0)
        return rc;
    int kind = org_calendar_day_kind_from_name(json_get_str(call->body, "kind"));
    if (!kind)
        return err_field(&call->err, ERR_BAD_REQUEST, "kind",
                         "field 'kind' must be holiday or workday");
    const char *name = json_get_str(call->body, "name");
    char *after = arena_printf(call->req->arena, "%s %s %s", day, org_calendar_day_kind_name(kind),
                               name ? name : "");
    if ((rc = api_begin(call)) < 0 ||
        (rc = org_calendar_day_set(call->conn, day, (enum cal_day_kind)kind, name, &call->err)) <
            0 ||
        (rc = api_commit(call, "calendar.day.set",
                         arena_printf(call->req->arena, "calendar/%s", day), NULL, after)) < 0)
        return rc;
    api_org_changed(call);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kstr(&w, "day", day);
    jw_kstr(&w, "kind", org_calendar_day_kind_name(kind));
    jw_kstr(&w, "name", name ? name : "");
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

int api_calendar_day_delete(struct api_call *call)
{
    const char *day = http_req_param(call->req, "day");
    int rc;
    if ((rc = api_begin(call)) < 0 ||
        (rc = org_calendar_day_delete(call->conn, day, &call->err)) < 0 ||
        (rc = api_commit(call, "calendar.day.delete",
                         arena_printf(call->req->arena, "calendar/%s", day), day, NULL)) < 0)
        return rc;
    api_org_changed(call);
    http_res_body(call->res, 204, NULL, "", 0, HTTP_BODY_STATIC);
    return 0;
}

/* GET /api/v1/calendar/add?from=RFC3339&amount=N&unit=work_hours: the deadline arithmetic
 * the SLA uses, exposed so admins can check a calendar after editing it. */
int api_calendar_add(struct api_call *call)
{
    const char *from = http_req_query(call->req, "from"),
               *unit_name = http_req_query(call->req, "unit");
    int64_t t, amount, result;
    struct cal *cal;
    int rc;
    if (!from || clock_parse_rfc3339(from, &t) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "from",
                         "query parameter 'from' must be an RFC 3339 time");
    if ((rc = api_query_int(call, "amount", -1, 0, 100000, &amount)) < 0)
        return rc;
    if (amount < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "amount",
                         "query parameter 'amount' is required");
    int unit = unit_name ? cal_unit_from_name(unit_name) : -1;
    if (unit < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "unit",
                         "query parameter 'unit' must be work_hours, work_days or hours");
    if ((rc = org_calendar_load(call->conn, &cal, &call->err)) < 0)
        return rc;
    rc = cal_add(cal, t, unit == CAL_WORK_DAYS ? amount : amount * 60, (enum cal_unit)unit, &result,
                 &call->err);
    cal_free(cal);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_ktime(&w, "from", t);
    jw_kint(&w, "amount", amount);
    jw_kstr(&w, "unit", cal_unit_name((enum cal_unit)unit));
    jw_ktime(&w, "result", result);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}
