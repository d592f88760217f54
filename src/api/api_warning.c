/*
 * /api/v1/warnings and /api/v1/warning-silences: the warning centre (预警中心, docs/warning.md
 * §4). Supervisors and dispatchers read the warnings of their region, acknowledge them, turn one
 * into a case (派单) or dismiss it with a reason; supervisors silence a kind of warning in a
 * region for a while.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "auth/auth.h"
#include "case/case.h"
#include "core/clock.h"
#include "org/org.h"
#include "warning/warning.h"

/* clang-format off */
static const struct json_field dismiss_fields[] = {
    {"reason", JT_STRING, JF_REQUIRED, 1, WARNING_REASON_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field dispatch_fields[] = {
    {"title",       JT_STRING, 0, 1, CASE_TITLE_MAX, NULL},
    {"description", JT_STRING, 0, 1, CASE_DESCRIPTION_MAX, NULL},
    {"category_id", JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field silence_fields[] = {
    {"kind",        JT_STRING, JF_REQUIRED, 1, 32, NULL},
    {"region_id",   JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"category_id", JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"until",       JT_STRING, JF_REQUIRED, 1, 40, NULL},
    {"reason",      JT_STRING, JF_REQUIRED, 1, WARNING_REASON_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

/* A region-bound reader's region code ("" for the unbound and admins). */
static const char *scope_code(struct api_call *call)
{
    const struct auth_user *u = call->user;
    return u && u->region_id && !(u->roles & ROLE_ADMIN) && u->region_code ? u->region_code : "";
}

static void warning_json(struct jw *w, const struct warning *x)
{
    jw_kint(w, "id", x->id);
    jw_kstr(w, "kind", warning_kind_name(x->kind));
    jw_kstr(w, "level", warning_level_name(x->level));
    jw_kstr(w, "status", warning_status_name(x->status));
    jw_kstr(w, "title", x->title);
    jw_kstr(w, "evidence", x->evidence);
    jw_kstr(w, "reason", *x->reason ? x->reason : NULL);
    jw_kint(w, "count", x->count);
    jw_ktime(w, "first_at", x->first_at);
    jw_ktime(w, "last_at", x->last_at);
    jw_kint(w, "region_id", x->region_id);
    jw_kstr(w, "region", *x->region_name ? x->region_name : NULL);
    jw_kint(w, "category_id", x->category_id);
    jw_kstr(w, "category", *x->category_name ? x->category_name : NULL);
    jw_kint(w, "device_id", x->device_id);
    jw_kstr(w, "device", *x->device_code ? x->device_code : NULL);
    jw_kint(w, "case_id", x->case_id);
    jw_kstr(w, "case_number", *x->case_number ? x->case_number : NULL);
    if (x->has_location) {
        jw_knum(w, "lat", x->lat);
        jw_knum(w, "lon", x->lon);
    } else {
        jw_knull(w, "lat");
        jw_knull(w, "lon");
    }
    jw_kstr(w, "handled_by", *x->handled_by_name ? x->handled_by_name : NULL);
    jw_ktime(w, "handled_at", x->handled_at);
}

static int warning_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct warning x;
    int rc = warning_get(call->conn, id, call->req->arena, &x, &call->err);
    if (rc < 0)
        return rc;
    jw_obj(w);
    warning_json(w, &x);
    jw_obj_end(w);
    return 0;
}

static const struct api_resource warning_res = {"warning", "/api/v1/warnings", warning_render,
                                                NULL};

/* Warning {id}, read and checked against the caller's region (a warning with no region is the
 * centre's: region-bound readers do not see it). */
static int scoped_warning(struct api_call *call, int64_t id, struct warning *out)
{
    int rc = warning_get(call->conn, id, call->req->arena, out, &call->err);
    if (rc < 0)
        return rc;
    const char *code = scope_code(call);
    if (*code && (!out->region_id || org_region_in_subtree(call->conn, out->region_id,
                                                           call->user->region_id, &call->err) <= 0))
        return err_deny(&call->err, ERR_REASON_SCOPE, "warning %lld is outside your region",
                        (long long)id);
    return 0;
}

int api_warning_list(struct api_call *call)
{
    struct warning_filter f = {.status = WARNING_OPEN, .kind = -1, .limit = 100};
    struct warning *v;
    size_t n;
    int64_t total, limit, before;
    int rc;
    const char *status = http_req_query(call->req, "status");
    const char *kind = http_req_query(call->req, "kind");
    if (status && *status) {
        if (strcmp(status, "open") == 0)
            f.status = WARNING_OPEN;
        else if (strcmp(status, "all") == 0)
            f.status = -1;
        else if ((f.status = warning_status_from_name(status)) < 0)
            return err_field(&call->err, ERR_BAD_REQUEST, "status", "unknown status '%s'", status);
    }
    if (kind && *kind && (f.kind = warning_kind_from_name(kind)) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "kind", "unknown kind '%s'", kind);
    if ((rc = api_query_int(call, "region", 0, 0, INT64_MAX, &f.region_id)) < 0 ||
        (rc = api_query_int(call, "limit", 100, 1, 500, &limit)) < 0 ||
        (rc = api_query_int(call, "before", 0, 0, INT64_MAX, &before)) < 0)
        return rc;
    f.limit = (int)limit;
    f.before = before;
    f.region_code = scope_code(call);
    if ((rc = warning_list(call->conn, &f, call->req->arena, &v, &n, &total, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        warning_json(&w, &v[i]);
        jw_obj_end(&w);
    }
    char next[24] = "";
    if (n == (size_t)f.limit && n)
        snprintf(next, sizeof(next), "%lld", (long long)v[n - 1].id);
    api_list_end(&w, total, next);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

int api_warning_get(struct api_call *call)
{
    struct warning x;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = scoped_warning(call, id, &x)) < 0)
        return rc;
    return api_crud_get(call, &warning_res);
}

/* The common shape of a move: read in scope, keep the before, move, commit with the audit. */
static int begin_move(struct api_call *call, int64_t *id, struct warning *x, char **before)
{
    int rc;
    if ((rc = api_param_id(call, "id", id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = scoped_warning(call, *id, x)) < 0 ||
        (rc = api_crud_state(call, &warning_res, *id, before)) < 0)
        return rc;
    return 0;
}

int api_warning_acknowledge(struct api_call *call)
{
    struct warning x;
    int64_t id;
    char *before;
    int rc;
    if ((rc = begin_move(call, &id, &x, &before)) < 0 ||
        (rc = warning_acknowledge(call->conn, id, call->user->id, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &warning_res, "acknowledge", id, before);
}

int api_warning_dismiss(struct api_call *call)
{
    struct warning x;
    int64_t id;
    char *before;
    int rc;
    if ((rc = json_check(call->body, dismiss_fields, &call->err)) < 0 ||
        (rc = begin_move(call, &id, &x, &before)) < 0 ||
        (rc = warning_dismiss(call->conn, id, call->user->id, json_get_str(call->body, "reason"),
                              call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &warning_res, "dismiss", id, before);
}

/* 派单: the warning becomes a case (its title and evidence, unless the caller words them), in
 * the same transaction as its move to dispatched. A device's warning is a sensor case. */
int api_warning_dispatch(struct api_call *call)
{
    struct warning x;
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct case_created made;
    int64_t id;
    char *before;
    int rc;
    if ((rc = json_check(call->body, dispatch_fields, &call->err)) < 0 ||
        (rc = begin_move(call, &id, &x, &before)) < 0)
        return rc;
    if (x.status != WS_NEW && x.status != WS_ACKNOWLEDGED)
        return err_set(&call->err, ERR_CONFLICT, "warning %lld is %s already", (long long)id,
                       warning_status_name(x.status));
    struct case_new in = {0};
    in.channel = x.device_id ? CH_SENSOR : CH_OTHER;
    in.urgency = x.level == WL_HIGH ? CU_URGENT : -1;
    in.title = json_has(call->body, "title") ? json_get_str(call->body, "title") : x.title;
    in.description = json_has(call->body, "description")
                         ? json_get_str(call->body, "description")
                         : arena_printf(call->req->arena, "预警转派：%s", x.evidence);
    in.category_id = json_get_int(call->body, "category_id", x.category_id);
    in.has_location = x.has_location;
    in.lat = x.lat;
    in.lon = x.lon;
    in.region_id = x.region_id;
    if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_create_in_tx(&env, &in, &made, &call->err)) < 0 ||
        (rc = warning_dispatched(call->conn, id, call->user->id, made.id, call->now, &call->err)) <
            0)
        return rc;
    return api_crud_commit(call, &warning_res, "dispatch", id, before);
}

/* ---- silences ---- */

static void silence_list_item(struct jw *w, const void *record)
{
    const struct warning_silence *x = record;
    jw_kint(w, "id", x->id);
    jw_kstr(w, "kind", warning_kind_name(x->kind));
    jw_kint(w, "region_id", x->region_id);
    jw_kstr(w, "region", *x->region_name ? x->region_name : NULL);
    jw_kint(w, "category_id", x->category_id);
    jw_kstr(w, "category", *x->category_name ? x->category_name : NULL);
    jw_ktime(w, "until", x->until);
    jw_kstr(w, "reason", x->reason);
    jw_ktime(w, "created_at", x->created_at);
}

int api_silence_list(struct api_call *call)
{
    struct warning_silence *v;
    size_t n;
    int rc = warning_silence_list(call->conn, call->now, call->req->arena, &v, &n, &call->err);
    if (rc < 0)
        return rc;
    return api_reply_items(call, v, n, sizeof(*v), silence_list_item);
}

int api_silence_create(struct api_call *call)
{
    const json_t *b = call->body;
    struct warning_silence s = {0};
    int64_t id;
    int rc;
    if ((rc = json_check(b, silence_fields, &call->err)) < 0)
        return rc;
    int kind = warning_kind_from_name(json_get_str(b, "kind"));
    if (kind < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "kind", "unknown kind of warning");
    s.kind = (enum warning_kind)kind;
    s.region_id = json_get_int(b, "region_id", 0);
    s.category_id = json_get_int(b, "category_id", 0);
    s.reason = json_get_str(b, "reason");
    s.created_by = call->user->id;
    if (clock_parse_rfc3339(json_get_str(b, "until"), &s.until) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "until", "'until' must be an RFC 3339 time");
    /* A bound supervisor silences inside their region only. */
    if (*scope_code(call) &&
        (!s.region_id ||
         org_region_in_subtree(call->conn, s.region_id, call->user->region_id, &call->err) <= 0))
        return err_field(&call->err, ERR_FORBIDDEN, "region_id",
                         "a silence must lie inside your region");
    if ((rc = api_begin(call)) < 0 ||
        (rc = warning_silence_add(call->conn, &s, call->now, &id, &call->err)) < 0)
        return rc;
    char target[48];
    snprintf(target, sizeof(target), "warning-silence/%lld", (long long)id);
    if ((rc = api_commit(call, "warning_silence.create", target, NULL,
                         json_print(b, call->req->arena))) < 0)
        return rc;
    return api_silence_list(call);
}

int api_silence_end(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = warning_silence_end(call->conn, id, call->now, &call->err)) < 0)
        return rc;
    char target[48];
    snprintf(target, sizeof(target), "warning-silence/%lld", (long long)id);
    if ((rc = api_commit(call, "warning_silence.end", target, NULL, NULL)) < 0)
        return rc;
    http_res_body(call->res, 204, NULL, "", 0, HTTP_BODY_STATIC);
    return 0;
}

/* POST /warnings/scan: look for spikes now (the sweeper does hourly). */
int api_warning_scan(struct api_call *call)
{
    struct app_ctx x = api_ctx(call);
    int raised = 0;
    int rc = app_warn_spikes(&x, 0, &raised);
    if (rc < 0)
        return rc;
    return api_reply_count(call, "raised", raised);
}

/* GET /cases/{id}/repeats: the chain of repeat complaints the case belongs to. */
static void case_repeats_item(struct jw *w, const void *record)
{
    const struct case_repeat *x = record;
    jw_kint(w, "id", x->id);
    jw_kstr(w, "number", x->number);
    jw_kstr(w, "title", x->title);
    jw_kstr(w, "state", x->state);
    jw_ktime(w, "created_at", x->created_at);
    jw_kstr(w, "reason", x->reason);
    jw_kbool(w, "unsolved", x->unsolved);
    jw_kbool(w, "later", x->later);
}

int api_case_repeats(struct api_call *call)
{
    const struct case_rec *r;
    struct case_repeat *v;
    size_t n;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0 ||
        (rc = case_repeat_list(call->conn, r->id, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    return api_reply_items(call, v, n, sizeof(*v), case_repeats_item);
}
