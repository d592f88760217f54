/*
 * /api/v1/data-requests and /api/v1/data-grants (src/grant, issue 17, docs/data-sharing.md):
 * a department's staff request a dataset; the owner department's data officer approves,
 * narrows or refuses; the requesting department's staff use the grant: masked rows,
 * aggregates with suppressed small cells and a privacy budget, and watermarked exports. Every
 * access is an audit entry naming the grant, the query and the row count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "api/api_internal.h"
#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/mem.h"
#include "grant/grant.h"

/* clang-format off */
static const struct json_field request_fields[] = {
    {"dataset_id",    JT_INT,          JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"department_id", JT_INT,          JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"fields",        JT_ARRAY_STRING, JF_REQUIRED, 0, CATALOG_FIELDS_MAX, NULL},
    {"mode",          JT_STRING,       JF_REQUIRED, 1, 20, NULL},
    {"purpose",       JT_STRING,       JF_REQUIRED, 1, GRANT_PURPOSE_MAX, NULL},
    {"legal_basis",   JT_STRING,       JF_REQUIRED, 1, GRANT_PURPOSE_MAX, NULL},
    {"period_days",   JT_INT,          JF_REQUIRED, 1, GRANT_PERIOD_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field decision_fields[] = {
    {"decision",      JT_STRING,       JF_REQUIRED, 1, 20, NULL},
    {"reason",        JT_STRING,       JF_NULLABLE, 0, GRANT_REASON_MAX, NULL},
    {"fields",        JT_ARRAY_STRING, JF_NULLABLE, 0, CATALOG_FIELDS_MAX, NULL},
    {"unmasked",      JT_ARRAY_STRING, JF_NULLABLE, 0, CATALOG_FIELDS_MAX, NULL},
    {"period_days",   JT_INT,          JF_NULLABLE, 1, GRANT_PERIOD_MAX, NULL},
    {"mode",          JT_STRING,       JF_NULLABLE, 1, 20, NULL},
    {"region_id",     JT_INT,          JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"epsilon_total", JT_NUMBER,       JF_NULLABLE, 0, GRANT_EPSILON_MAX, NULL},
    {"k_min",         JT_INT,          JF_NULLABLE, 2, 1000, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field revoke_fields[] = {
    {"reason", JT_STRING, JF_REQUIRED, 1, GRANT_REASON_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field measure_fields[] = {
    {"op",    JT_STRING, JF_REQUIRED, 1, 10, NULL},
    {"field", JT_STRING, JF_NULLABLE, 1, CATALOG_FIELD_NAME_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field aggregate_fields[] = {
    {"group_by", JT_ARRAY_STRING, 0,           0, GRANT_GROUP_BY_MAX, NULL},
    {"measures", JT_ARRAY_OBJECT, JF_REQUIRED, 1, GRANT_MEASURES_MAX, measure_fields},
    {"epsilon",  JT_NUMBER,       JF_NULLABLE, 0, GRANT_EPSILON_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static int member_of(const struct api_call *call, int64_t dept)
{
    for (int i = 0; i < call->user->ndepts; i++)
        if (call->user->depts[i] == dept)
            return 1;
    return 0;
}

static void list_json(struct jw *w, const char *key, const char *list)
{
    jw_key(w, key);
    jw_arr(w);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char name[CATALOG_FIELD_NAME_MAX * 4 + 1];
        if (len >= sizeof name)
            len = sizeof name - 1;
        memcpy(name, p, len);
        name[len] = 0;
        jw_str(w, name);
        p = e ? e + 1 : NULL;
    }
    jw_arr_end(w);
}

static const char **str_array(struct api_call *call, const json_t *arr, size_t *n)
{
    *n = arr && json_is_array(arr) ? (size_t)json_array_size(arr) : 0;
    const char **v = arena_alloc(call->req->arena, (*n + 1) * sizeof *v);
    for (size_t i = 0; i < *n; i++)
        v[i] = json_array_str(arr, (int)i);
    return v;
}

static void request_json(struct jw *w, const struct grant_request *r)
{
    jw_obj(w);
    jw_kint(w, "id", r->id);
    jw_kint(w, "dataset_id", r->dataset_id);
    jw_kstr(w, "dataset_code", r->dataset_code);
    jw_kstr(w, "dataset_name", r->dataset_name);
    jw_kint(w, "owner_department_id", r->owner_id);
    jw_kstr(w, "owner_department", r->owner_name);
    jw_kint(w, "department_id", r->department_id);
    jw_kstr(w, "department", r->department_name);
    list_json(w, "fields", r->fields);
    jw_kstr(w, "mode", r->mode);
    jw_kstr(w, "purpose", r->purpose);
    jw_kstr(w, "legal_basis", r->legal_basis);
    jw_kint(w, "period_days", r->period_days);
    jw_kstr(w, "status", r->status);
    jw_kstr(w, "reason", r->reason);
    jw_kopt(w, "grant_id", r->grant_id);
    jw_kbool(w, "decided_by_system", r->decided_at && !r->decided_by);
    jw_ktime(w, "created_at", r->created_at);
    jw_ktime(w, "decided_at", r->decided_at);
    jw_obj_end(w);
}

static const char *grant_status(const struct grant_rec *g, int64_t now)
{
    return g->revoked_at ? "revoked" : now >= g->expires_at ? "expired" : "active";
}

static void grant_json(struct jw *w, const struct grant_rec *g, int64_t now,
                       const struct catalog_dataset *d)
{
    jw_obj(w);
    jw_kint(w, "id", g->id);
    jw_kint(w, "dataset_id", g->dataset_id);
    jw_kstr(w, "dataset_code", g->dataset_code);
    jw_kstr(w, "dataset_name", g->dataset_name);
    jw_kint(w, "owner_department_id", g->owner_id);
    jw_kstr(w, "owner_department", g->owner_name);
    jw_kint(w, "department_id", g->department_id);
    jw_kstr(w, "department", g->department_name);
    jw_kopt(w, "request_id", g->request_id);
    list_json(w, "fields", g->fields);
    list_json(w, "unmasked", g->unmasked);
    jw_kstr(w, "mode", g->mode);
    jw_kopt(w, "region_id", g->region_id);
    jw_kstr(w, "region", g->region_name);
    jw_kint(w, "k_min", g->k_min);
    jw_knum(w, "epsilon_total", g->epsilon_total);
    jw_knum(w, "epsilon_spent", g->epsilon_spent);
    jw_knum(w, "epsilon_left",
            g->epsilon_total > g->epsilon_spent ? g->epsilon_total - g->epsilon_spent : 0);
    jw_ktime(w, "expires_at", g->expires_at);
    jw_ktime(w, "revoked_at", g->revoked_at);
    jw_kstr(w, "revoke_reason", g->revoke_reason);
    jw_kstr(w, "status", grant_status(g, now));
    jw_ktime(w, "created_at", g->created_at);
    if (d) {
        /* The granted columns as the grantee sees them. */
        jw_key(w, "columns");
        jw_arr(w);
        for (size_t i = 0; i < d->nfields; i++) {
            const struct catalog_field *f = &d->fields[i];
            if (!grant_list_has(g->fields, f->name))
                continue;
            jw_obj(w);
            jw_kstr(w, "name", f->name);
            jw_kstr(w, "label", f->label);
            jw_kstr(w, "type", f->type);
            jw_kstr(w, "mask", grant_list_has(g->unmasked, f->name) ? "none" : f->mask);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

static int request_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct grant_request r;
    int rc = grant_request_get(call->conn, id, call->req->arena, &r, &call->err);
    if (rc == 0)
        request_json(w, &r);
    return rc;
}

static const struct api_resource request_res = {"data_request", "/api/v1/data-requests",
                                                request_render, NULL};

static int may_see_request(struct api_call *call, const struct grant_request *r)
{
    return (call->user->roles & ROLE_ADMIN) || member_of(call, r->department_id) ||
           member_of(call, r->owner_id);
}

static void filter_of(struct api_call *call, const char *box, struct grant_filter *f)
{
    memset(f, 0, sizeof *f);
    if ((call->user->roles & ROLE_ADMIN) && box && !strcmp(box, "all"))
        return;
    f->depts = call->user->depts;
    f->ndepts = (size_t)call->user->ndepts;
    f->owner = box && !strcmp(box, "inbox");
}

static int check_box(struct api_call *call, const char *box)
{
    if (box && strcmp(box, "mine") && strcmp(box, "inbox") && strcmp(box, "all"))
        return err_field(&call->err, ERR_BAD_REQUEST, "box", "'box' must be mine, inbox or all");
    return 0;
}

int api_data_request_list(struct api_call *call)
{
    const char *box = http_req_query(call->req, "box");
    const char *status = http_req_query(call->req, "status");
    struct grant_filter f;
    struct grant_request *v;
    struct api_page pg;
    size_t n;
    int rc;
    if ((rc = check_box(call, box)) < 0)
        return rc;
    filter_of(call, box, &f);
    f.status = status && *status ? status : NULL;
    if ((rc = api_page_query(call, 0, GRANT_LIST_MAX, &pg)) < 0 ||
        (rc = grant_request_list(call->conn, &f, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++)
        request_json(&w, &v[i]);
    api_list_end_page(call, &w, &pg, n);
    return api_reply(call, 200, &w);
}

int api_data_request_get(struct api_call *call)
{
    int64_t id;
    struct grant_request r;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = grant_request_get(call->conn, id, call->req->arena, &r, &call->err)) < 0)
        return rc;
    if (!may_see_request(call, &r))
        return err_deny(&call->err, ERR_REASON_SCOPE,
                        "a data request is seen by its requesting and owner departments");
    struct jw w;
    jw_init(&w);
    request_json(&w, &r);
    return api_reply(call, 200, &w);
}

int api_data_request_create(struct api_call *call)
{
    struct grant_request_in in = {0};
    const json_t *b = call->body;
    int64_t id, grant_id;
    int rc;
    if ((rc = json_check(b, request_fields, &call->err)) < 0)
        return rc;
    in.dataset_id = json_get_int(b, "dataset_id", 0);
    in.department_id = json_get_int(b, "department_id", 0);
    if (!in.department_id) {
        if (!call->user->ndepts)
            return err_field(&call->err, ERR_BAD_REQUEST, "department_id",
                             "the requester belongs to no department");
        in.department_id = call->user->depts[0];
    } else if (!member_of(call, in.department_id)) {
        return err_field(&call->err, ERR_BAD_REQUEST, "department_id",
                         "a request is made for one of the requester's own departments");
    }
    in.fields = str_array(call, json_get(b, "fields"), &in.nfields);
    in.mode = json_get_str(b, "mode");
    in.purpose = json_get_str(b, "purpose");
    in.legal_basis = json_get_str(b, "legal_basis");
    in.period_days = (int)json_get_int(b, "period_days", 0);
    if ((rc = api_begin(call)) < 0 ||
        (rc = grant_request_create(call->conn, &in, call->user->id, call->now, &id, &grant_id,
                                   &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &request_res, "create", id, NULL);
}

int api_data_request_decide(struct api_call *call)
{
    struct grant_decision dec = {0};
    struct grant_request r;
    const json_t *b = call->body;
    int64_t id, grant_id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(b, decision_fields, &call->err)) < 0)
        return rc;
    dec.decision = json_get_str(b, "decision");
    dec.reason = json_is_null(b, "reason") ? NULL : json_get_str(b, "reason");
    if (json_get(b, "fields") && !json_is_null(b, "fields"))
        dec.fields = str_array(call, json_get(b, "fields"), &dec.nfields);
    dec.unmasked = str_array(call, json_get(b, "unmasked"), &dec.nunmasked);
    dec.period_days = (int)json_get_int(b, "period_days", 0);
    dec.mode = json_is_null(b, "mode") ? NULL : json_get_str(b, "mode");
    dec.region_id = json_get_int(b, "region_id", 0);
    dec.epsilon_total = json_get_num(b, "epsilon_total", 0);
    dec.k_min = (int)json_get_int(b, "k_min", 0);
    if ((rc = api_begin(call)) < 0 ||
        (rc = grant_request_get(call->conn, id, call->req->arena, &r, &call->err)) < 0)
        return rc;
    if (!api_catalog_may_manage(call, r.owner_id))
        return err_deny(&call->err, ERR_REASON_SCOPE,
                        "only the owner department's data officer decides a request");
    char *before;
    if ((rc = api_crud_state(call, &request_res, id, &before)) < 0)
        return rc;
    if ((rc = grant_request_decide(call->conn, id, &dec, call->user->id, call->now, &grant_id,
                                   &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &request_res, "decide", id, before);
}

int api_data_grant_list(struct api_call *call)
{
    const char *box = http_req_query(call->req, "box");
    struct grant_filter f;
    struct grant_rec *v;
    struct api_page pg;
    size_t n;
    int rc;
    if ((rc = check_box(call, box)) < 0)
        return rc;
    filter_of(call, box, &f);
    if ((rc = api_page_query(call, 0, GRANT_LIST_MAX, &pg)) < 0 ||
        (rc = grant_list(call->conn, &f, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++)
        grant_json(&w, &v[i], call->now, NULL);
    api_list_end_page(call, &w, &pg, n);
    return api_reply(call, 200, &w);
}

/* Grant {id}, seen by its department, its owner's department or an admin. */
static int load(struct api_call *call, struct grant_rec *g)
{
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = grant_get(call->conn, id, call->req->arena, g, &call->err)) < 0)
        return rc;
    if (!(call->user->roles & ROLE_ADMIN) && !member_of(call, g->department_id) &&
        !member_of(call, g->owner_id))
        return err_deny(&call->err, ERR_REASON_SCOPE,
                        "a data grant is seen by its department and the owner's");
    return 0;
}

int api_data_grant_get(struct api_call *call)
{
    struct grant_rec g;
    struct catalog_dataset d;
    int rc;
    if ((rc = load(call, &g)) < 0 ||
        (rc = catalog_dataset_get(call->conn, g.dataset_id, call->req->arena, &d, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    grant_json(&w, &g, call->now, &d);
    return api_reply(call, 200, &w);
}

/* The uses of grant {id}, newest first: who read what (the query), how many rows, what budget;
 * each 'detail' is the text whose SHA-256 its audit entry carries. */
int api_data_grant_uses(struct api_call *call)
{
    struct grant_rec g;
    struct grant_use *v;
    struct api_page pg;
    size_t n;
    int rc;
    if ((rc = load(call, &g)) < 0 || (rc = api_page_query(call, 0, GRANT_USES_MAX, &pg)) < 0 ||
        (rc = grant_use_list(call->conn, g.id, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++) {
        jw_obj(&w);
        jw_kint(&w, "id", v[i].id);
        jw_ktime(&w, "at", v[i].at);
        jw_kint(&w, "user_id", v[i].user_id);
        jw_kstr(&w, "user", v[i].user_name);
        jw_kstr(&w, "action", v[i].action);
        jw_kint(&w, "rows", v[i].rows);
        jw_knum(&w, "epsilon", v[i].epsilon);
        jw_kstr(&w, "detail", v[i].detail);
        jw_obj_end(&w);
    }
    api_list_end_page(call, &w, &pg, n);
    return api_reply(call, 200, &w);
}

int api_data_grant_revoke(struct api_call *call)
{
    struct grant_rec g;
    int rc;
    if ((rc = json_check(call->body, revoke_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = load(call, &g)) < 0)
        return rc;
    if (!api_catalog_may_manage(call, g.owner_id))
        return err_deny(&call->err, ERR_REASON_SCOPE,
                        "only the owner department's data officer revokes a grant");
    if ((rc = grant_revoke(call->conn, g.id, json_get_str(call->body, "reason"), call->now,
                           &call->err)) < 0 ||
        (rc = grant_get(call->conn, g.id, call->req->arena, &g, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    grant_json(&w, &g, call->now, NULL);
    const char *target = arena_printf(call->req->arena, "data_grant/%lld", (long long)g.id);
    if ((rc = api_commit(call, "data_grant.revoke", target, NULL, w.b.p)) < 0) {
        jw_release(&w);
        return rc;
    }
    return api_reply(call, 200, &w);
}

/* ---- use ---- */

/* Grant {id} for its department's use, now, with its dataset. The rows are read before the
 * transaction that audits the use (and spends the budget), so a long scan holds no write lock. */
static int use(struct api_call *call, struct grant_rec *g, struct catalog_dataset *d,
               int rows_needed)
{
    int rc;
    if ((rc = load(call, g)) < 0)
        return rc;
    if (!member_of(call, g->department_id))
        return err_deny(&call->err, ERR_REASON_SCOPE,
                        "a data grant is used by the department it was granted to");
    if ((rc = grant_usable(g, call->now, &call->err)) < 0)
        return rc;
    if (rows_needed && strcmp(g->mode, "rows"))
        return err_field(&call->err, ERR_FORBIDDEN, "mode",
                         "data grant %lld answers aggregates only", (long long)g->id);
    return catalog_dataset_get(call->conn, g->dataset_id, call->req->arena, d, &call->err);
}

/* In one transaction: the grant checked again (revoked meanwhile: 403), 'eps' spent from its
 * budget (*left: what remains) and the audit entry naming the grant, the query and the rows. */
static int audit_use(struct api_call *call, const struct grant_rec *g, const char *action,
                     const char *query_json, int64_t rows, double eps, double *left)
{
    struct grant_rec now;
    int rc;
    if ((rc = api_begin(call)) < 0 ||
        (rc = grant_get(call->conn, g->id, call->req->arena, &now, &call->err)) < 0 ||
        (rc = grant_usable(&now, call->now, &call->err)) < 0)
        return rc;
    if (eps > 0 && (rc = grant_spend(call->conn, &now, eps, &call->err)) < 0)
        return rc;
    if (left) {
        double l = now.epsilon_total - now.epsilon_spent - eps;
        *left = l > 0 ? l : 0;
    }
    const char *target = arena_printf(call->req->arena, "data_grant/%lld", (long long)g->id);
    const char *after =
        arena_printf(call->req->arena, "{\"grant\":%lld,\"query\":%s,\"rows\":%lld}",
                     (long long)g->id, query_json, (long long)rows);
    /* The entry keeps the digest of 'after'; the use keeps its text, readable at /uses. */
    if ((rc = grant_use_record(call->conn, g->id, call->user->id, action, rows, eps, after,
                               call->now, &call->err)) < 0)
        return rc;
    return api_commit(call, action, target, NULL, after);
}

int api_data_grant_rows(struct api_call *call)
{
    struct grant_rec g;
    struct catalog_dataset d;
    struct grant_rows out;
    int64_t after, limit;
    int rc;
    if ((rc = api_query_int(call, "after", 0, 0, INT64_MAX, &after)) < 0 ||
        (rc = api_query_int(call, "limit", 50, 1, GRANT_PAGE_MAX, &limit)) < 0 ||
        (rc = use(call, &g, &d, 1)) < 0 ||
        (rc = grant_rows_read(call->conn, &g, &d, after, (size_t)limit, 0, call->req->arena, &out,
                              &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "columns");
    jw_arr(&w);
    for (size_t j = 0; j < out.ncols; j++) {
        jw_obj(&w);
        jw_kstr(&w, "name", out.cols[j]->name);
        jw_kstr(&w, "label", out.cols[j]->label);
        jw_kbool(&w, "masked",
                 !grant_list_has(g.unmasked, out.cols[j]->name) &&
                     strcmp(out.cols[j]->mask, "none") != 0);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "items");
    jw_arr(&w);
    for (size_t i = 0; i < out.nrows; i++) {
        jw_obj(&w);
        jw_kint(&w, "row_no", out.row_no[i]);
        jw_key(&w, "values");
        jw_obj(&w);
        for (size_t j = 0; j < out.ncols; j++)
            jw_kstr(&w, out.cols[j]->name, out.cells[i][j]);
        jw_obj_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_kopt(&w, "next_after", out.next_after);
    jw_obj_end(&w);
    const char *q = arena_printf(call->req->arena, "{\"after\":%lld,\"limit\":%lld}",
                                 (long long)after, (long long)limit);
    if ((rc = audit_use(call, &g, "data_grant.rows", q, (int64_t)out.nrows, 0, NULL)) < 0) {
        jw_release(&w);
        return rc;
    }
    return api_reply(call, 200, &w);
}

/* "group_by" and "measures" of q, as the answer and the audit entry both say them. */
static void query_members(struct jw *w, const struct grant_agg_query *q)
{
    jw_key(w, "group_by");
    jw_arr(w);
    for (size_t j = 0; j < q->ngroup; j++)
        jw_str(w, q->group_by[j]);
    jw_arr_end(w);
    jw_key(w, "measures");
    jw_arr(w);
    for (size_t i = 0; i < q->nmeasures; i++) {
        jw_obj(w);
        jw_kstr(w, "op", q->measures[i].op);
        if (q->measures[i].field)
            jw_kstr(w, "field", q->measures[i].field);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

int api_data_grant_aggregate(struct api_call *call)
{
    struct grant_rec g;
    struct catalog_dataset d;
    struct grant_agg_query q = {0};
    struct grant_agg out;
    const json_t *b = call->body;
    int rc;
    if ((rc = json_check(b, aggregate_fields, &call->err)) < 0)
        return rc;
    q.group_by = str_array(call, json_get(b, "group_by"), &q.ngroup);
    const json_t *ms = json_get(b, "measures");
    q.nmeasures = (size_t)json_array_size(ms);
    struct grant_measure *m = arena_alloc(call->req->arena, (q.nmeasures + 1) * sizeof *m);
    for (size_t i = 0; i < q.nmeasures; i++) {
        const json_t *o = json_array_item(ms, (int)i);
        m[i].op = json_get_str(o, "op");
        m[i].field = json_is_null(o, "field") ? NULL : json_get_str(o, "field");
    }
    q.measures = m;
    q.epsilon = json_get_num(b, "epsilon", 0);
    if ((rc = use(call, &g, &d, 0)) < 0 ||
        (rc = grant_aggregate(call->conn, &g, &d, &q, call->req->arena, &out, &call->err)) < 0)
        return rc;
    /* The query as audited: the body as the server understood it. */
    struct jw qw;
    jw_init(&qw);
    jw_obj(&qw);
    query_members(&qw, &q);
    jw_knum(&qw, "epsilon", q.epsilon);
    jw_obj_end(&qw);
    const char *qtext = arena_strdup(call->req->arena, qw.b.p);
    jw_release(&qw);
    /* Spent in the audit's transaction: a failed commit spends nothing. */
    double left = 0;
    if ((rc = audit_use(call, &g, "data_grant.aggregate", qtext, out.rows, q.epsilon, &left)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    query_members(&w, &q);
    jw_kint(&w, "k", out.k);
    jw_kint(&w, "cells_total", (int64_t)out.ncells);
    jw_key(&w, "cells");
    jw_arr(&w);
    for (size_t i = 0; i < out.ncells; i++) {
        jw_obj(&w);
        jw_key(&w, "group");
        jw_arr(&w);
        for (size_t j = 0; j < out.ngroup; j++)
            jw_str(&w, out.keys[i * out.ngroup + j]);
        jw_arr_end(&w);
        jw_kbool(&w, "suppressed", out.cells[i].suppressed != 0);
        if (out.cells[i].suppressed)
            jw_kstr(&w, "suppressed_by", out.cells[i].suppressed == 1 ? "small" : "complementary");
        jw_key(&w, "values");
        jw_arr(&w);
        for (size_t k = 0; k < out.nmeasures; k++)
            if (out.cells[i].suppressed)
                jw_null(&w);
            else
                jw_num(&w, out.cells[i].values[k]);
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "totals");
    jw_arr(&w);
    for (size_t k = 0; k < out.nmeasures; k++)
        if (out.total_shown)
            jw_num(&w, out.totals[k]);
        else
            jw_null(&w);
    jw_arr_end(&w);
    jw_kbool(&w, "noisy", q.epsilon > 0);
    jw_knum(&w, "epsilon_spent", q.epsilon);
    jw_knum(&w, "epsilon_left", left);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* ---- export ---- */

static void csv_cell(struct buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        buf_puts(b, s);
        return;
    }
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(b, '"');
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

static int write_xlsx(const char *path, const struct grant_rows *r)
{
    lxw_workbook *wb = workbook_new(path);
    if (!wb)
        return -1;
    lxw_worksheet *ws = workbook_add_worksheet(wb, "数据");
    lxw_format *head = workbook_add_format(wb);
    format_set_bold(head);
    for (size_t j = 0; j < r->ncols; j++)
        worksheet_write_string(ws, 0, (lxw_col_t)j, r->cols[j]->label, head);
    /* Every cell as text: a number re-saved by a spreadsheet keeps its form, and the marks. */
    for (size_t i = 0; i < r->nrows; i++)
        for (size_t j = 0; j < r->ncols; j++)
            worksheet_write_string(ws, (lxw_row_t)(i + 1), (lxw_col_t)j, r->cells[i][j], NULL);
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
}

static int xlsx_body(struct api_call *call, const struct grant_rows *r, char **body, size_t *len)
{
    /* libxlsxwriter writes only to a file: a private temporary file, read back, removed. */
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/gridloop-grant-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return err_set(&call->err, ERR_IO, "cannot create a temporary file: %s", strerror(errno));
    close(fd);
    int rc = write_xlsx(path, r);
    *body = NULL;
    if (rc == 0) {
        FILE *f = fopen(path, "rb");
        struct stat st;
        if (!f || fstat(fileno(f), &st) < 0 || st.st_size <= 0) {
            rc = -1;
        } else {
            *len = (size_t)st.st_size;
            *body = xmalloc(*len);
            if (fread(*body, 1, *len, f) != *len)
                rc = -1;
        }
        if (f)
            fclose(f);
    }
    unlink(path);
    if (rc < 0) {
        free(*body);
        *body = NULL;
        return err_set(&call->err, ERR_IO, "cannot write the workbook");
    }
    return 0;
}

int api_data_grant_export(struct api_call *call)
{
    struct grant_rec g;
    struct catalog_dataset d;
    struct grant_rows out;
    const char *format = http_req_query(call->req, "format");
    int rc;
    if (!format || !*format)
        format = "csv";
    if (strcmp(format, "csv") && strcmp(format, "xlsx"))
        return err_field(&call->err, ERR_BAD_REQUEST, "format", "'format' must be csv or xlsx");
    if ((rc = use(call, &g, &d, 1)) < 0 ||
        (rc = grant_rows_read(call->conn, &g, &d, 0, GRANT_EXPORT_MAX, 1, call->req->arena, &out,
                              &call->err)) < 0)
        return rc;
    if (out.next_after)
        return err_field(&call->err, ERR_BAD_REQUEST, "format",
                         "more than %d rows: export in parts through /rows", GRANT_EXPORT_MAX);
    char *body;
    size_t len;
    if (!strcmp(format, "csv")) {
        struct buf b;
        buf_init(&b);
        buf_puts(&b, "\xEF\xBB\xBF");
        for (size_t j = 0; j < out.ncols; j++) {
            if (j)
                buf_putc(&b, ',');
            csv_cell(&b, out.cols[j]->label);
        }
        buf_puts(&b, "\r\n");
        for (size_t i = 0; i < out.nrows; i++) {
            for (size_t j = 0; j < out.ncols; j++) {
                if (j)
                    buf_putc(&b, ',');
                csv_cell(&b, out.cells[i][j]);
            }
            buf_puts(&b, "\r\n");
        }
        body = buf_detach(&b, &len);
    } else if ((rc = xlsx_body(call, &out, &body, &len)) < 0) {
        return rc;
    }
    const char *q = arena_printf(call->req->arena, "{\"format\":\"%s\"}", format);
    if ((rc = audit_use(call, &g, "data_grant.export", q, (int64_t)out.nrows, 0, NULL)) < 0) {
        free(body);
        return rc;
    }
    http_res_header(call->res, "Content-Disposition",
                    arena_printf(call->req->arena, "attachment; filename=\"data-grant-%lld.%s\"",
                                 (long long)g.id, format));
    http_res_body(call->res, 200,
                  !strcmp(format, "csv")
                      ? "text/csv; charset=utf-8"
                      : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  body, len, HTTP_BODY_FREE);
    return 0;
}
