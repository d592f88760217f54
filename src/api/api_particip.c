/*
 * Participation (src/particip): residents' proposals, moderation, polls and their published
 * results, and the participation rate per community. Every write is one transaction with its
 * audit entry, whose text is the proposal as rendered: a vote's entry names the voter (the
 * audit's actor) but never the choice, and counts by choice appear only once published.
 */
#include "api/api_internal.h"
#include "core/clock.h"
#include "particip/particip.h"

/* clang-format off */
static const struct json_field proposal_fields[] = {
    {"region_id", JT_INT,    JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"title",     JT_STRING, JF_REQUIRED, 1, PARTICIP_TITLE_MAX, NULL},
    {"body",      JT_STRING, JF_REQUIRED, 1, PARTICIP_BODY_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field reason_fields[] = {
    {"reason", JT_STRING, JF_REQUIRED, 1, PARTICIP_REASON_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field appeal_fields[] = {
    {"text", JT_STRING, JF_REQUIRED, 1, PARTICIP_REASON_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field poll_fields[] = {
    {"opens_at",   JT_STRING, 0,           1, 40, NULL},
    {"closes_at",  JT_STRING, JF_REQUIRED, 1, 40, NULL},
    {"quorum_pct", JT_INT,    JF_REQUIRED, 0, 100, NULL},
    {"secret",     JT_BOOL,   0,           0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field project_fields[] = {
    {"status", JT_STRING, JF_REQUIRED, 1, 20, NULL},
    {"note",   JT_STRING, 0,           0, PARTICIP_REASON_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field vote_fields[] = {
    {"choice", JT_STRING, JF_REQUIRED, 1, 10, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void proposal_json(struct jw *w, const struct particip_proposal *p)
{
    jw_kint(w, "id", p->id);
    jw_kint(w, "region_id", p->region_id);
    jw_kstr(w, "region", p->region_code);
    jw_kstr(w, "region_name", p->region_name);
    jw_kstr(w, "title", p->title);
    jw_kstr(w, "body", p->body);
    jw_kint(w, "author_id", p->author_id);
    jw_kstr(w, "author", p->author_name);
    jw_kstr(w, "status", p->status);
    jw_kbool(w, "hidden", p->hidden);
    jw_kstr(w, "hide_reason", p->hide_reason);
    jw_kstr(w, "appeal", p->appeal);
    jw_ktime(w, "created_at", p->created_at);
    jw_ktime(w, "updated_at", p->updated_at);
    jw_key(w, "project");
    if (!*p->project_status) {
        jw_null(w);
    } else {
        jw_obj(w);
        jw_kstr(w, "status", p->project_status);
        jw_kstr(w, "note", p->project_note);
        jw_ktime(w, "updated_at", p->project_at);
        jw_obj_end(w);
    }
    jw_key(w, "poll");
    if (!p->poll_id) {
        jw_null(w);
        return;
    }
    jw_obj(w);
    jw_kint(w, "id", p->poll_id);
    jw_ktime(w, "opens_at", p->opens_at);
    jw_ktime(w, "closes_at", p->closes_at);
    jw_kint(w, "quorum_pct", p->quorum_pct);
    jw_kbool(w, "secret", p->secret);
    jw_kint(w, "voters", p->voters);
    jw_ktime(w, "published_at", p->published_at);
    jw_key(w, "results");
    if (!p->published_at) {
        jw_null(w);
    } else {
        jw_obj(w);
        jw_kstr(w, "outcome", p->outcome);
        jw_kint(w, "eligible", p->eligible);
        jw_kint(w, "voters", p->voters);
        jw_kint(w, "yes", p->yes);
        jw_kint(w, "no", p->no);
        jw_kint(w, "abstain", p->abstain);
        jw_knum(w, "turnout_pct",
                p->eligible ? 100.0 * (double)p->voters / (double)p->eligible : 0.0);
        jw_obj_end(w);
    }
    jw_obj_end(w);
}

static int proposal_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct particip_proposal p;
    int rc = particip_proposal_get(call->conn, id, call->req->arena, &p, &call->err);
    if (rc == 0) {
        jw_obj(w);
        proposal_json(w, &p);
        jw_obj_end(w);
    }
    return rc;
}

static const struct api_resource proposal_res = {"proposal", "/api/v1/proposals", proposal_render,
                                                 NULL};

static int is_citizen_only(const struct api_call *call)
{
    return (call->user->roles & ROLE_STAFF) == 0;
}

/* GET /api/v1/proposals: officials see every proposal; a resident those of the areas they live
 * in that are not hidden, and their own, each with "voted". */
int api_proposal_list(struct api_call *call)
{
    struct particip_proposal *v;
    int *voted;
    size_t n;
    struct api_page pg;
    const char *code = NULL;
    int rc;
    if (is_citizen_only(call) &&
        (rc = particip_resident_code(call->conn, call->user->id, call->req->arena, &code,
                                     &call->err)) < 0)
        return rc;
    if ((rc = api_page_query(call, 0, PARTICIP_LIST_MAX, &pg)) < 0 ||
        (rc = particip_proposal_list(call->conn, code, call->user->id, call->req->arena, &v, &voted,
                                     &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++) {
        jw_obj(&w);
        proposal_json(&w, &v[i]);
        jw_kbool(&w, "voted", voted[i]);
        jw_obj_end(&w);
    }
    http_res_header(call->res, "Cache-Control", "private, no-store");
    api_list_end_page(call, &w, &pg, n);
    return api_reply(call, 200, &w);
}

/* POST /api/v1/proposals: a resident for an area they live in, or an official on a resident's
 * behalf (the official is then the author). */
int api_proposal_create(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, proposal_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 ||
        (rc = particip_proposal_create(call->conn, json_get_int(call->body, "region_id", 0),
                                       json_get_str(call->body, "title"),
                                       json_get_str(call->body, "body"), call->user->id,
                                       is_citizen_only(call), call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &proposal_res, "create", id, NULL);
}

int api_proposal_hide(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, reason_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = api_crud_state(call, &proposal_res, id, &before)) < 0 ||
        (rc = particip_proposal_hide(call->conn, id, json_get_str(call->body, "reason"),
                                     call->user->id, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &proposal_res, "hide", id, before);
}

int api_proposal_restore(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &proposal_res, id, &before)) < 0 ||
        (rc = particip_proposal_restore(call->conn, id, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &proposal_res, "restore", id, before);
}

int api_proposal_appeal(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, appeal_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = api_crud_state(call, &proposal_res, id, &before)) < 0 ||
        (rc = particip_proposal_appeal(call->conn, id, call->user->id,
                                       json_get_str(call->body, "text"), call->now, &call->err)) <
            0)
        return rc;
    return api_crud_commit(call, &proposal_res, "appeal", id, before);
}

static int body_time(struct api_call *call, const char *name, int64_t def, int64_t *out)
{
    const char *v = json_get_str(call->body, name);
    if (!v) {
        *out = def;
        return 0;
    }
    if (clock_parse_rfc3339(v, out) < 0 || *out <= 0)
        return err_field(&call->err, ERR_BAD_REQUEST, name, "'%s' is not an RFC 3339 time", name);
    return 0;
}

/* POST /api/v1/proposals/{id}/poll {opens_at?, closes_at, quorum_pct, secret?}. */
int api_proposal_poll(struct api_call *call)
{
    int64_t id, opens, closes;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, poll_fields, &call->err)) < 0 ||
        (rc = body_time(call, "opens_at", call->now, &opens)) < 0 ||
        (rc = body_time(call, "closes_at", 0, &closes)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &proposal_res, id, &before)) < 0 ||
        (rc = particip_poll_open(
             call->conn, id, opens, closes, json_get_int(call->body, "quorum_pct", 0),
             json_get_bool(call->body, "secret", 0), call->user->id, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &proposal_res, "poll", id, before);
}

/* POST /api/v1/proposals/{id}/vote {choice}: the caller's one vote, which earns the points of
 * the 'vote' rule (参与投票) in the same transaction. */
int api_proposal_vote(struct api_call *call)
{
    struct particip_proposal p;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, vote_fields, &call->err)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = particip_vote(call->conn, id, call->user->id, json_get_str(call->body, "choice"),
                            call->now, &call->err)) < 0 ||
        (rc = particip_proposal_get(call->conn, id, call->req->arena, &p, &call->err)) < 0 ||
        (rc = api_points_earn(call, "vote", p.title)) < 0)
        return rc;
    return api_crud_commit(call, &proposal_res, "vote", id, NULL);
}

int api_proposal_publish(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &proposal_res, id, &before)) < 0 ||
        (rc = particip_publish(call->conn, id, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &proposal_res, "publish", id, before);
}

/* POST /api/v1/proposals/{id}/project {status, note?}: an adopted proposal's progress. */
int api_proposal_project(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, project_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = api_crud_state(call, &proposal_res, id, &before)) < 0 ||
        (rc = particip_project_set(call->conn, id, json_get_str(call->body, "status"),
                                   json_get_str(call->body, "note"), call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &proposal_res, "project", id, before);
}

static void rate_json(struct jw *w, const void *v)
{
    const struct particip_rate *r = v;
    jw_kint(w, "region_id", r->region_id);
    jw_kstr(w, "region", r->code);
    jw_kstr(w, "name", r->name);
    jw_kint(w, "residents", r->residents);
    jw_kint(w, "voters", r->voters);
    jw_knum(w, "rate_pct", r->residents ? 100.0 * (double)r->voters / (double)r->residents : 0.0);
}

/* GET /api/v1/participation: per community, residents and those who have voted. */
int api_participation(struct api_call *call)
{
    struct particip_rate *v;
    size_t n;
    int rc = particip_rates(call->conn, call->req->arena, &v, &n, &call->err);
    return rc < 0 ? rc : api_reply_items(call, v, n, sizeof(*v), rate_json);
}
