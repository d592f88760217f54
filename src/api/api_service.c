/*
 * The service catalogue, 一件事 bundles and 秒批 (src/service, docs/services.md): officials keep
 * the items and bundles; a citizen applies for a bundle or an item, filling in the union of its
 * items' fields once; each item becomes its own task for its department, and an item whose rule
 * (a policy rule over the applicant's person profile, src/policy) passes is approved at once with
 * the data that decided it. Handlers accept, approve or refuse their departments' tasks; the last
 * decision settles the application and tells the applicant. Every write is audited in its
 * transaction; 秒批 tasks are audited with the application that created them.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api_internal.h"
#include "audit/audit.h"
#include "core/utf8.h"
#include "policy/policy.h"
#include "service/service.h"

/* clang-format off */
static const struct json_field field_fields[] = {
    {"key",   JT_STRING, JF_REQUIRED, 1, SERVICE_KEY_MAX, NULL},
    {"label", JT_STRING, JF_REQUIRED, 1, SERVICE_LABEL_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field item_fields[] = {
    {"name",            JT_STRING,       JF_REQUIRED, 1, SERVICE_NAME_MAX, NULL},
    {"department_id",   JT_INT,          JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"conditions",      JT_STRING,       0,           0, SERVICE_TEXT_MAX, NULL},
    {"materials",       JT_STRING,       0,           0, SERVICE_TEXT_MAX, NULL},
    {"time_limit_days", JT_INT,          JF_REQUIRED, 1, SERVICE_LIMIT_DAYS_MAX, NULL},
    {"mode",            JT_STRING,       JF_REQUIRED, 1, 10, NULL},
    {"fields",          JT_ARRAY_OBJECT, 0,           0, SERVICE_FIELDS_MAX, field_fields},
    {"rule",            JT_OBJECT,       JF_NULLABLE, 0, 0, NULL},
    {"active",          JT_BOOL,         0,           0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field bundle_fields[] = {
    {"name",    JT_STRING,    JF_REQUIRED, 1, SERVICE_NAME_MAX, NULL},
    {"summary", JT_STRING,    0,           0, SERVICE_TEXT_MAX, NULL},
    {"items",   JT_ARRAY_INT, JF_REQUIRED, 0, SERVICE_BUNDLE_ITEMS_MAX + 1, NULL},
    {"active",  JT_BOOL,      0,           0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field apply_fields[] = {
    {"bundle_id", JT_INT,    0,           1, 9007199254740991.0, NULL},
    {"item_id",   JT_INT,    0,           1, 9007199254740991.0, NULL},
    {"form",      JT_OBJECT, JF_REQUIRED, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field step_fields[] = {
    {"version", JT_INT,    JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"note",    JT_STRING, 0,           0, SERVICE_NOTE_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

/* Today in Beijing time as YYYYMMDD: a rule's ages count from it (as the calculator's). */
static int today_ymd(int64_t now)
{
    time_t t = (time_t)(now + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static int is_staff(const struct api_call *call)
{
    return call->user && (call->user->roles & ROLE_STAFF);
}

/* A handler (not an admin) sees and acts on its departments' tasks only. */
static int dept_bound(const struct api_call *call)
{
    return !(call->user->roles & ROLE_ADMIN) && (call->user->roles & ROLE_HANDLER);
}

static int has_dept(const struct api_call *call, int64_t dept)
{
    for (int i = 0; i < call->user->ndepts; i++)
        if (call->user->depts[i] == dept)
            return 1;
    return 0;
}

/* ---- items ---- */

static void rule_text(struct api_call *call, const char *rule, char *out, size_t cap)
{
    struct policy_rule r;
    struct err e = {0};
    out[0] = '\0';
    if (rule && api_policy_rule_parse_text(rule, POLICY_PERSON, &r, &e) == 0 &&
        policy_rule_resolve(call->conn, &r, &e) == 0)
        policy_describe(&r, 0, out, cap);
}

static void item_json(struct api_call *call, struct jw *w, const struct service_item *it)
{
    char text[1024];
    jw_kint(w, "id", it->id);
    jw_kstr(w, "name", it->name);
    jw_kint(w, "department_id", it->department_id);
    jw_kstr(w, "department", it->department_name);
    jw_kstr(w, "conditions", it->conditions);
    jw_kstr(w, "materials", it->materials);
    jw_kint(w, "time_limit_days", it->time_limit_days);
    jw_kstr(w, "mode", service_mode_name(it->mode));
    jw_key(w, "fields");
    jw_raw(w, it->fields);
    jw_key(w, "rule");
    jw_raw(w, it->rule ? it->rule : "null");
    rule_text(call, it->rule, text, sizeof(text));
    jw_kstr(w, "rule_text", it->rule ? text : NULL);
    jw_kbool(w, "instant", it->rule != NULL);
    jw_kbool(w, "active", it->active);
    jw_ktime(w, "created_at", it->created_at);
    jw_ktime(w, "updated_at", it->updated_at);
}

static int item_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct service_item it;
    int rc = service_item_get(call->conn, id, call->req->arena, &it, &call->err);
    if (rc == 0) {
        jw_obj(w);
        item_json(call, w, &it);
        jw_obj_end(w);
    }
    return rc;
}

static const struct api_resource item_res = {"service_item", "/api/v1/service-items", item_render,
                                             NULL};

int api_service_item_list(struct api_call *call)
{
    struct service_item *v;
    size_t n;
    int rc = service_item_list(call->conn, !is_staff(call), call->req->arena, &v, &n, &call->err);
    if (rc < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        item_json(call, &w, &v[i]);
        jw_obj_end(&w);
    }
    api_list_end(&w, (int64_t)n, NULL);
    return api_reply(call, 200, &w);
}

int api_service_item_get(struct api_call *call)
{
    struct service_item it;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = service_item_get(call->conn, id, call->req->arena, &it, &call->err)) < 0)
        return rc;
    if (!is_staff(call) && !it.active)
        return err_set(&call->err, ERR_NOT_FOUND, "service item %lld does not exist",
                       (long long)id);
    return api_crud_get(call, &item_res);
}

/* The item's fields written back canonically, each key checked and unique. */
static int fields_input(struct api_call *call, const json_t *arr, const char **out)
{
    struct jw w;
    jw_init(&w);
    jw_arr(&w);
    int n = arr ? json_array_size(arr) : 0;
    for (int i = 0; i < n; i++) {
        const json_t *f = json_array_item(arr, i);
        const char *key = json_get_str(f, "key");
        if (!service_key_ok(key)) {
            jw_release(&w);
            return err_field(&call->err, ERR_BAD_REQUEST, "fields",
                             "fields[%d].key '%s' must be lowercase letters, digits and _,"
                             " starting with a letter",
                             i, key);
        }
        for (int k = 0; k < i; k++)
            if (!strcmp(json_get_str(json_array_item(arr, k), "key"), key)) {
                jw_release(&w);
                return err_field(&call->err, ERR_BAD_REQUEST, "fields",
                                 "fields[%d].key '%s' is listed twice", i, key);
            }
        jw_obj(&w);
        jw_kstr(&w, "key", key);
        jw_kstr(&w, "label", json_get_str(f, "label"));
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    *out = arena_strdup(call->req->arena, w.b.p);
    jw_release(&w);
    return 0;
}

static int item_input(struct api_call *call, struct service_item_in *in)
{
    int rc;
    memset(in, 0, sizeof(*in));
    if ((rc = json_check(call->body, item_fields, &call->err)) < 0)
        return rc;
    int mode = service_mode_from_name(json_get_str(call->body, "mode"));
    if (mode < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "mode", "mode must be online or counter");
    if ((rc = fields_input(call, json_get(call->body, "fields"), &in->fields)) < 0)
        return rc;
    const json_t *rule = json_get(call->body, "rule");
    if (rule && !json_is_null(call->body, "rule")) {
        struct policy_rule r;
        if ((rc = api_policy_rule_parse(rule, POLICY_PERSON, &r, &call->err)) < 0 ||
            (rc = policy_rule_resolve(call->conn, &r, &call->err)) < 0)
            return rc;
        struct jw w;
        jw_init(&w);
        api_policy_rule_json(&w, &r);
        in->rule = arena_strdup(call->req->arena, w.b.p);
        jw_release(&w);
    }
    in->name = json_get_str(call->body, "name");
    in->conditions = json_get_str(call->body, "conditions");
    in->materials = json_get_str(call->body, "materials");
    in->department_id = json_get_int(call->body, "department_id", 0);
    in->time_limit_days = (int)json_get_int(call->body, "time_limit_days", 0);
    in->mode = (enum service_mode)mode;
    in->active = json_get_bool(call->body, "active", 1);
    return 0;
}

int api_service_item_create(struct api_call *call)
{
    struct service_item_in in;
    int64_t id;
    int rc;
    if ((rc = item_input(call, &in)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = service_item_create(call->conn, &in, call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &item_res, "create", id, NULL);
}

int api_service_item_update(struct api_call *call)
{
    struct service_item_in in;
    int64_t id;
    char *before;
    int rc;
    if ((rc = item_input(call, &in)) < 0 || (rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = api_crud_state(call, &item_res, id, &before)) < 0 ||
        (rc = service_item_update(call->conn, id, &in, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &item_res, "update", id, before);
}

/* ---- bundles ---- */

/* The union of the items' fields, first label of a key wins: what the applicant fills in once. */
static void union_fields(struct api_call *call, struct jw *w, const struct service_item *items,
                         size_t n)
{
    const char *seen[SERVICE_FIELDS_MAX * SERVICE_BUNDLE_ITEMS_MAX];
    int nseen = 0;
    jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        json_t *arr = NULL;
        struct err e = {0};
        if (json_parse(items[i].fields, strlen(items[i].fields), &arr, &e) < 0)
            continue;
        for (const json_t *f = json_array_first(arr); f; f = json_next(f)) {
            const char *key = json_get_str(f, "key");
            int dup = !key;
            for (int k = 0; !dup && k < nseen; k++)
                dup = !strcmp(seen[k], key);
            if (dup || nseen >= (int)(sizeof(seen) / sizeof(seen[0])))
                continue;
            seen[nseen++] = arena_strdup(call->req->arena, key);
            jw_obj(w);
            jw_kstr(w, "key", key);
            jw_kstr(w, "label", json_get_str(f, "label"));
            jw_obj_end(w);
        }
        json_free(arr);
    }
    jw_arr_end(w);
}

static int bundle_items(struct api_call *call, const struct service_bundle *b,
                        struct service_item **out)
{
    *out = arena_alloc(call->req->arena, (b->nitems ? b->nitems : 1) * sizeof(**out));
    for (size_t i = 0; i < b->nitems; i++) {
        int rc =
            service_item_get(call->conn, b->items[i], call->req->arena, &(*out)[i], &call->err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int bundle_json(struct api_call *call, struct jw *w, const struct service_bundle *b)
{
    struct service_item *items;
    int rc = bundle_items(call, b, &items);
    if (rc < 0)
        return rc;
    jw_obj(w);
    jw_kint(w, "id", b->id);
    jw_kstr(w, "name", b->name);
    jw_kstr(w, "summary", b->summary);
    jw_kbool(w, "active", b->active);
    jw_key(w, "items");
    jw_arr(w);
    for (size_t i = 0; i < b->nitems; i++) {
        jw_obj(w);
        item_json(call, w, &items[i]);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "fields");
    union_fields(call, w, items, b->nitems);
    jw_ktime(w, "created_at", b->created_at);
    jw_ktime(w, "updated_at", b->updated_at);
    jw_obj_end(w);
    return 0;
}

static int bundle_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct service_bundle b;
    int rc = service_bundle_get(call->conn, id, call->req->arena, &b, &call->err);
    return rc < 0 ? rc : bundle_json(call, w, &b);
}

static const struct api_resource bundle_res = {"service_bundle", "/api/v1/service-bundles",
                                               bundle_render, NULL};

int api_service_bundle_list(struct api_call *call)
{
    struct service_bundle *v;
    size_t n;
    int rc = service_bundle_list(call->conn, !is_staff(call), call->req->arena, &v, &n, &call->err);
    if (rc < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++)
        if ((rc = bundle_json(call, &w, &v[i])) < 0) {
            jw_release(&w);
            return rc;
        }
    api_list_end(&w, (int64_t)n, NULL);
    return api_reply(call, 200, &w);
}

int api_service_bundle_get(struct api_call *call)
{
    struct service_bundle b;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = service_bundle_get(call->conn, id, call->req->arena, &b, &call->err)) < 0)
        return rc;
    if (!is_staff(call) && !b.active)
        return err_set(&call->err, ERR_NOT_FOUND, "service bundle %lld does not exist",
                       (long long)id);
    return api_crud_get(call, &bundle_res);
}

static int bundle_input(struct api_call *call, struct service_bundle_in *in)
{
    int rc;
    memset(in, 0, sizeof(*in));
    if ((rc = json_check(call->body, bundle_fields, &call->err)) < 0)
        return rc;
    const json_t *arr = json_get(call->body, "items");
    int n = json_array_size(arr);
    int64_t *ids = arena_alloc(call->req->arena, (size_t)(n ? n : 1) * sizeof(*ids));
    for (int i = 0; i < n; i++)
        ids[i] = json_array_int(arr, i);
    in->name = json_get_str(call->body, "name");
    in->summary = json_get_str(call->body, "summary");
    in->items = ids;
    in->nitems = (size_t)n;
    in->active = json_get_bool(call->body, "active", 1);
    return 0;
}

int api_service_bundle_create(struct api_call *call)
{
    struct service_bundle_in in;
    int64_t id;
    int rc;
    if ((rc = bundle_input(call, &in)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = service_bundle_create(call->conn, &in, call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &bundle_res, "create", id, NULL);
}

int api_service_bundle_update(struct api_call *call)
{
    struct service_bundle_in in;
    int64_t id;
    char *before;
    int rc;
    if ((rc = bundle_input(call, &in)) < 0 || (rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = api_crud_state(call, &bundle_res, id, &before)) < 0 ||
        (rc = service_bundle_update(call->conn, id, &in, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &bundle_res, "update", id, before);
}

/* ---- applications and tasks ---- */

static void task_json(struct api_call *call, struct jw *w, const struct service_task *t)
{
    jw_obj(w);
    jw_kint(w, "id", t->id);
    jw_kint(w, "application_id", t->application_id);
    jw_kstr(w, "application", t->application_name);
    jw_kint(w, "item_id", t->item_id);
    jw_kstr(w, "item", t->item_name);
    jw_kint(w, "department_id", t->department_id);
    jw_kstr(w, "department", t->department_name);
    jw_kstr(w, "state", service_task_state_name(t->state));
    jw_kbool(w, "auto_approved", t->auto_approved);
    jw_kstr(w, "basis", t->basis);
    jw_kstr(w, "note", t->note);
    jw_kstr(w, "decided_by", *t->decided_by_name ? t->decided_by_name : NULL);
    jw_ktime(w, "deadline", t->deadline);
    jw_kbool(w, "overdue",
             (t->state == ST_ISSUED || t->state == ST_ACCEPTED) && call->now > t->deadline);
    jw_ktime(w, "created_at", t->created_at);
    jw_ktime(w, "decided_at", t->decided_at);
    jw_kint(w, "version", t->version);
    jw_obj_end(w);
}

/* Whether item 'item_id' asks for field 'key'. */
static int item_asks(struct api_call *call, int64_t item_id, const char *key)
{
    struct service_item it;
    struct err e = {0};
    json_t *arr = NULL;
    int asks = 0;
    if (service_item_get(call->conn, item_id, call->req->arena, &it, &e) < 0 ||
        json_parse(it.fields, strlen(it.fields), &arr, &e) < 0)
        return 0;
    for (const json_t *f = json_array_first(arr); f && !asks; f = json_next(f))
        asks = !strcmp(json_get_str(f, "key"), key);
    json_free(arr);
    return asks;
}

/* A department's handler reads only the fields its own items ask for: the form is collected
 * once for all, but the 社保卡 office has no need of the birth hospital. */
static void own_fields(struct api_call *call, struct jw *w, const char *form,
                       const struct service_task *t, size_t n)
{
    json_t *obj = NULL;
    struct err e = {0};
    jw_obj(w);
    if (json_parse(form, strlen(form), &obj, &e) == 0) {
        for (const json_t *m = json_object_first(obj); m; m = json_next(m)) {
            int mine = 0;
            for (size_t i = 0; i < n && !mine; i++)
                mine = has_dept(call, t[i].department_id) &&
                       item_asks(call, t[i].item_id, json_member_name(m));
            if (mine)
                jw_kstr(w, json_member_name(m), json_string(m));
        }
    }
    json_free(obj);
    jw_obj_end(w);
}

static int app_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct service_application p;
    struct service_task *t;
    size_t n;
    int rc;
    if ((rc = service_application_get(call->conn, id, call->req->arena, &p, &call->err)) < 0 ||
        (rc = service_task_list(call->conn, id, call->req->arena, &t, &n, &call->err)) < 0)
        return rc;
    jw_obj(w);
    jw_kint(w, "id", p.id);
    jw_kstr(w, "kind", p.bundle_id ? "bundle" : "item");
    jw_kopt(w, "bundle_id", p.bundle_id);
    jw_kopt(w, "item_id", p.item_id);
    jw_kstr(w, "name", p.name);
    jw_kint(w, "user_id", p.user_id);
    jw_kstr(w, "applicant", p.applicant);
    jw_key(w, "form");
    if (call->user && call->user->id != p.user_id && dept_bound(call))
        own_fields(call, w, p.form, t, n);
    else
        jw_raw(w, p.form);
    jw_kstr(w, "state", service_app_state_name(p.state));
    int done = 0;
    for (size_t i = 0; i < n; i++)
        done += t[i].state == ST_APPROVED || t[i].state == ST_REFUSED;
    jw_kint(w, "tasks_done", done);
    jw_key(w, "tasks");
    jw_arr(w);
    for (size_t i = 0; i < n; i++)
        task_json(call, w, &t[i]);
    jw_arr_end(w);
    jw_ktime(w, "created_at", p.created_at);
    jw_ktime(w, "finished_at", p.finished_at);
    jw_obj_end(w);
    return 0;
}

static const struct api_resource app_res = {"service_application", "/api/v1/service-applications",
                                            app_render, NULL};

/* The form checked against the fields: each one filled in (1..SERVICE_VALUE_MAX characters),
 * nothing else; written back in the fields' order. A missing value names "form.<key>". */
static int form_input(struct api_call *call, const struct service_item *items, size_t n,
                      const char **out)
{
    const json_t *form = json_get(call->body, "form");
    const char *keys[SERVICE_FIELDS_MAX * SERVICE_BUNDLE_ITEMS_MAX];
    int nkeys = 0;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_t *arr = NULL;
        if ((rc = json_parse(items[i].fields, strlen(items[i].fields), &arr, &call->err)) < 0)
            break;
        for (const json_t *f = json_array_first(arr); f && rc == 0; f = json_next(f)) {
            const char *key = json_get_str(f, "key");
            int dup = 0;
            for (int k = 0; !dup && k < nkeys; k++)
                dup = !strcmp(keys[k], key);
            if (dup || nkeys >= (int)(sizeof(keys) / sizeof(keys[0])))
                continue;
            keys[nkeys++] = arena_strdup(call->req->arena, key);
            const char *v = json_get_str(form, key);
            char name[64];
            snprintf(name, sizeof(name), "form.%s", key);
            if (!v || !*v)
                rc = err_field(&call->err, ERR_BAD_REQUEST, name, "'%s' (%s) is required", key,
                               json_get_str(f, "label"));
            else
                rc = utf8_check_field(v, name, 1, SERVICE_VALUE_MAX, &call->err);
            if (rc == 0)
                jw_kstr(&w, keys[nkeys - 1], v);
        }
        json_free(arr);
    }
    for (const json_t *m = json_object_first(form); m && rc == 0; m = json_next(m)) {
        int known = 0;
        for (int k = 0; !known && k < nkeys; k++)
            known = !strcmp(keys[k], json_member_name(m));
        if (!known)
            rc = err_field(&call->err, ERR_BAD_REQUEST, "form", "form has no field '%s'",
                           json_member_name(m));
    }
    jw_obj_end(&w);
    if (rc == 0)
        *out = arena_strdup(call->req->arena, w.b.p);
    jw_release(&w);
    return rc;
}

/* 秒批 for each item with a rule: evaluated on the applicant's saved person profile. */
static int plan(struct api_call *call, const struct service_item *items, size_t n,
                struct service_plan *plans)
{
    struct policy_profile p;
    struct err e0 = {0};
    int have = policy_profile_get_user(call->conn, call->user->id, POLICY_PERSON, call->req->arena,
                                       &p, &e0) == 0;
    for (size_t i = 0; i < n; i++) {
        plans[i].item = &items[i];
        plans[i].auto_approved = 0;
        plans[i].basis = "";
        if (!items[i].rule)
            continue;
        if (!have) {
            plans[i].basis = "未保存本人资料，数据无法核验，转人工办理";
            continue;
        }
        struct policy_rule r;
        struct policy_why why;
        int rc;
        if ((rc = api_policy_rule_parse_text(items[i].rule, POLICY_PERSON, &r, &call->err)) < 0 ||
            (rc = policy_rule_resolve(call->conn, &r, &call->err)) < 0)
            return rc;
        policy_eval(&r, &p, today_ymd(call->now), &why);
        char *basis = arena_alloc(call->req->arena, SERVICE_BASIS_MAX);
        service_basis(&r, &why, &p, basis, SERVICE_BASIS_MAX);
        plans[i].auto_approved = why.qualifies;
        plans[i].basis = basis;
    }
    return 0;
}

/* POST /api/v1/me/service-applications {bundle_id | item_id, form}: the application, its
 * tasks (秒批 ones already approved, each audited) and the departments told, in one transaction. */
int api_me_service_apply(struct api_call *call)
{
    int rc;
    if ((rc = json_check(call->body, apply_fields, &call->err)) < 0)
        return rc;
    int64_t bundle_id = json_get_int(call->body, "bundle_id", 0);
    int64_t item_id = json_get_int(call->body, "item_id", 0);
    if (!bundle_id == !item_id)
        return err_field(&call->err, ERR_BAD_REQUEST, bundle_id ? "item_id" : "bundle_id",
                         "give either bundle_id or item_id");
    struct service_item *items;
    size_t n;
    if (bundle_id) {
        struct service_bundle b;
        if ((rc = service_bundle_get(call->conn, bundle_id, call->req->arena, &b, &call->err)) <
                0 ||
            !b.active)
            return err_field(&call->err, ERR_BAD_REQUEST, "bundle_id",
                             "service bundle %lld does not exist", (long long)bundle_id);
        if ((rc = bundle_items(call, &b, &items)) < 0)
            return rc;
        n = b.nitems;
        for (size_t i = 0; i < n; i++)
            if (!items[i].active)
                return err_field(&call->err, ERR_CONFLICT, "bundle_id",
                                 "item '%s' of this bundle is not offered now", items[i].name);
    } else {
        items = arena_alloc(call->req->arena, sizeof(*items));
        if ((rc = service_item_get(call->conn, item_id, call->req->arena, items, &call->err)) < 0 ||
            !items->active)
            return err_field(&call->err, ERR_BAD_REQUEST, "item_id",
                             "service item %lld does not exist", (long long)item_id);
        n = 1;
    }
    const char *form = NULL;
    struct service_plan *plans = arena_alloc(call->req->arena, n * sizeof(*plans));
    int64_t id, *task_ids;
    if ((rc = form_input(call, items, n, &form)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = plan(call, items, n, plans)) < 0 ||
        (rc = service_application_create(call->conn, call->user->id, bundle_id, item_id, form,
                                         plans, n, call->now, call->req->arena, &id, &task_ids,
                                         &call->err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!plans[i].auto_approved)
            continue;
        struct service_task t;
        if ((rc = service_task_get(call->conn, task_ids[i], call->req->arena, &t, &call->err)) < 0)
            return rc;
        struct jw w;
        jw_init(&w);
        task_json(call, &w, &t);
        char target[48];
        snprintf(target, sizeof(target), "service_task/%lld", (long long)t.id);
        struct audit_entry e = {
            .actor_id = call->user->id,
            .actor_name = call->user->name,
            .action = "service_task.auto_approve",
            .target = target,
            .after = w.b.p,
        };
        rc = audit_append(call->conn, &e, call->now, &call->err);
        jw_release(&w);
        if (rc < 0)
            return rc;
    }
    return api_crud_commit(call, &app_res, "create", id, NULL);
}

int api_me_service_applications(struct api_call *call)
{
    struct service_application *v;
    size_t n;
    int rc =
        service_application_list(call->conn, call->user->id, call->req->arena, &v, &n, &call->err);
    if (rc < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++)
        if ((rc = app_render(call, v[i].id, &w)) < 0) {
            jw_release(&w);
            return rc;
        }
    api_list_end(&w, (int64_t)n, NULL);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

/* Who may read an application: its applicant; a handler whose department has a task on it;
 * other staff all. Anyone else is told it does not exist (its existence is the citizen's). */
static int may_read(struct api_call *call, int64_t id)
{
    struct service_application p;
    int rc = service_application_get(call->conn, id, call->req->arena, &p, &call->err);
    if (rc < 0)
        return rc;
    if (p.user_id == call->user->id)
        return 0;
    if (is_staff(call) && !dept_bound(call))
        return 0;
    if (is_staff(call)) {
        struct service_task *t;
        size_t n;
        if ((rc = service_task_list(call->conn, id, call->req->arena, &t, &n, &call->err)) < 0)
            return rc;
        for (size_t i = 0; i < n; i++)
            if (has_dept(call, t[i].department_id))
                return 0;
    }
    return err_set(&call->err, ERR_NOT_FOUND, "service application %lld does not exist",
                   (long long)id);
}

int api_service_application_get(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = may_read(call, id)) < 0)
        return rc;
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_crud_get(call, &app_res);
}

/* GET /api/v1/service-tasks?state=issued,accepted: a handler's departments', else all. */
int api_service_task_list(struct api_call *call)
{
    unsigned states = 0;
    const char *q = http_req_query(call->req, "state");
    while (q && *q) {
        const char *comma = strchr(q, ',');
        size_t len = comma ? (size_t)(comma - q) : strlen(q);
        char name[16];
        int s = -1;
        if (len < sizeof(name)) {
            memcpy(name, q, len);
            name[len] = '\0';
            s = service_task_state_from_name(name);
        }
        if (s < 0)
            return err_field(&call->err, ERR_BAD_REQUEST, "state",
                             "state must be issued, accepted, approved or refused");
        states |= 1u << s;
        q = comma ? comma + 1 : NULL;
    }
    struct service_task *t;
    size_t n;
    int bound = dept_bound(call);
    int rc = service_task_find(call->conn, bound ? call->user->depts : NULL,
                               bound ? call->user->ndepts : 0, states, call->req->arena, &t, &n,
                               &call->err);
    if (rc < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++)
        task_json(call, &w, &t[i]);
    api_list_end(&w, (int64_t)n, NULL);
    return api_reply(call, 200, &w);
}

/* One step on a task: the application (with all its tasks) is the audited record, so the audit
 * entry shows the result the step led to. */
static int task_step(struct api_call *call, enum service_step step, const char *action)
{
    struct service_task t;
    int64_t id;
    char *before;
    int finished, rc;
    (void)finished;
    if ((rc = json_check(call->body, step_fields, &call->err)) < 0 ||
        (rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = service_task_get(call->conn, id, call->req->arena, &t, &call->err)) < 0)
        return rc;
    if (dept_bound(call) && !has_dept(call, t.department_id))
        return err_deny(&call->err, ERR_REASON_SCOPE,
                        "task %lld belongs to %s, not your department", (long long)id,
                        t.department_name);
    if ((rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &app_res, t.application_id, &before)) < 0 ||
        (rc = service_task_act(call->conn, id, step, json_get_int(call->body, "version", 0),
                               json_get_str(call->body, "note"), call->user->id, call->now,
                               &finished, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &app_res, action, t.application_id, before);
}

int api_service_task_accept(struct api_call *call)
{
    return task_step(call, SS_ACCEPT, "task_accept");
}

int api_service_task_approve(struct api_call *call)
{
    return task_step(call, SS_APPROVE, "task_approve");
}

int api_service_task_refuse(struct api_call *call)
{
    return task_step(call, SS_REFUSE, "task_refuse");
}
