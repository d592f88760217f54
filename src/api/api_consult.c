/*
 * Public consultations (公开征求意见, src/particip consult.c): officials put a draft out for
 * comment, residents comment while it is open, officials answer each comment after the close and
 * publish a summary of what was adopted and why. Reading is public (the 征求意见反馈 page opens
 * without signing in): a comment shows its author's masked name only, and "mine" tells the
 * signed-in author which comments are theirs. Every write is one transaction with its audit
 * entry, whose text is the consultation as rendered.
 */
#include "api/api_internal.h"
#include "core/clock.h"
#include "particip/particip.h"

/* clang-format off */
static const struct json_field consult_fields[] = {
    {"policy_id", JT_INT,    0, 1, 9007199254740991.0, NULL},
    {"title",     JT_STRING, 0, 1, PARTICIP_CONSULT_TITLE_MAX, NULL},
    {"body",      JT_STRING, 0, 1, PARTICIP_CONSULT_BODY_MAX, NULL},
    {"region_id", JT_INT,    0, 1, 9007199254740991.0, NULL},
    {"opens_at",  JT_STRING, 0, 1, 40, NULL},
    {"closes_at", JT_STRING, JF_REQUIRED, 1, 40, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field comment_fields[] = {
    {"body", JT_STRING, JF_REQUIRED, 1, PARTICIP_CONSULT_COMMENT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field answer_fields[] = {
    {"answer", JT_STRING, JF_REQUIRED, 1, 20, NULL},
    {"reason", JT_STRING, JF_REQUIRED, 1, PARTICIP_CONSULT_REASON_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field publish_fields[] = {
    {"summary", JT_STRING, JF_REQUIRED, 1, PARTICIP_CONSULT_SUMMARY_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

/* The stage a reader sees, from the times and the publication. */
static const char *consult_status(const struct particip_consult *k, int64_t now)
{
    if (k->published_at)
        return "published";
    if (now < k->opens_at)
        return "upcoming";
    return now < k->closes_at ? "open" : "closed";
}

static void consult_json(struct api_call *call, struct jw *w, const struct particip_consult *k)
{
    jw_kint(w, "id", k->id);
    jw_key(w, "policy_id");
    if (k->policy_id)
        jw_int(w, k->policy_id);
    else
        jw_null(w);
    jw_key(w, "region_id");
    if (k->region_id)
        jw_int(w, k->region_id);
    else
        jw_null(w);
    jw_kstr(w, "region", k->region_code);
    jw_kstr(w, "region_name", k->region_name);
    jw_kstr(w, "title", k->title);
    jw_kstr(w, "body", k->body);
    jw_ktime(w, "opens_at", k->opens_at);
    jw_ktime(w, "closes_at", k->closes_at);
    jw_ktime(w, "created_at", k->created_at);
    jw_kstr(w, "status", consult_status(k, call->now));
    jw_kint(w, "comment_count", k->comments);
    jw_kint(w, "answered_count", k->answered);
    jw_kstr(w, "summary", k->summary);
    jw_ktime(w, "published_at", k->published_at);
}

static void comments_json(struct api_call *call, struct jw *w, const struct particip_consult *k)
{
    jw_key(w, "comments");
    jw_arr(w);
    for (size_t i = 0; i < k->nc; i++) {
        const struct particip_consult_comment *m = &k->c[i];
        jw_obj(w);
        jw_kint(w, "id", m->id);
        jw_kstr(w, "author", m->author);
        jw_kbool(w, "mine", call->user && call->user->id == m->user_id);
        jw_kstr(w, "body", m->body);
        jw_ktime(w, "created_at", m->created_at);
        jw_key(w, "answer");
        if (!*m->answer) {
            jw_null(w);
        } else {
            jw_obj(w);
            jw_kstr(w, "result", m->answer);
            jw_kstr(w, "reason", m->reason);
            jw_ktime(w, "at", m->answered_at);
            jw_obj_end(w);
        }
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* Whether the caller may comment now: a citizen of the scope, open, under the cap. What the
 * page shows; the write checks it again. */
static int may_comment(struct api_call *call, const struct particip_consult *k, int *out)
{
    int64_t mine = 0;
    int rc;
    *out = 0;
    if (!call->user || !(call->user->roles & ROLE_CITIZEN) ||
        strcmp(consult_status(k, call->now), "open") != 0)
        return 0;
    if ((rc = particip_consult_is_resident(call->conn, k->region_id, call->user->id, &call->err)) <=
            0 ||
        (rc = particip_consult_user_comments(call->conn, k->id, call->user->id, &mine,
                                             &call->err)) < 0)
        return rc;
    *out = mine < PARTICIP_CONSULT_COMMENTS_PER_USER;
    return 0;
}

static int consult_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct particip_consult k;
    int may = 0;
    int rc = particip_consult_get(call->conn, id, call->req->arena, &k, &call->err);
    if (rc < 0 || (rc = may_comment(call, &k, &may)) < 0)
        return rc;
    jw_obj(w);
    consult_json(call, w, &k);
    jw_kbool(w, "may_comment", may);
    jw_kint(w, "comments_per_user", PARTICIP_CONSULT_COMMENTS_PER_USER);
    comments_json(call, w, &k);
    jw_obj_end(w);
    return 0;
}

static const struct api_resource consult_res = {"consultation", "/api/v1/consultations",
                                                consult_render, NULL};

/* GET /api/v1/consultations: every consultation, newest first, without its comments. */
int api_consult_list(struct api_call *call)
{
    struct particip_consult *v;
    size_t n;
    struct api_page pg;
    int rc;
    if ((rc = api_page_query(call, 0, PARTICIP_CONSULT_LIST_MAX, &pg)) < 0 ||
        (rc = particip_consult_list(call->conn, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++) {
        jw_obj(&w);
        consult_json(call, &w, &v[i]);
        jw_obj_end(&w);
    }
    api_list_end_page(call, &w, &pg, n);
    return api_reply(call, 200, &w);
}

int api_consult_get(struct api_call *call)
{
    return api_crud_get(call, &consult_res);
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

/* POST /api/v1/consultations {policy_id? | title, body; region_id?; opens_at?; closes_at}. */
int api_consult_create(struct api_call *call)
{
    struct particip_consult_in in = {0};
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, consult_fields, &call->err)) < 0 ||
        (rc = body_time(call, "opens_at", call->now, &in.opens_at)) < 0 ||
        (rc = body_time(call, "closes_at", 0, &in.closes_at)) < 0)
        return rc;
    in.policy_id = json_get_int(call->body, "policy_id", 0);
    in.region_id = json_get_int(call->body, "region_id", 0);
    in.title = json_get_str(call->body, "title");
    in.body = json_get_str(call->body, "body");
    if ((rc = api_begin(call)) < 0 ||
        (rc = particip_consult_create(call->conn, &in, call->user->id, call->now, &id,
                                      &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &consult_res, "create", id, NULL);
}

/* POST /api/v1/consultations/{id}/comments {body}: a resident's comment while it is open. */
int api_consult_comment(struct api_call *call)
{
    int64_t id, cid;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, comment_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 ||
        (rc = particip_consult_comment(call->conn, id, call->user->id,
                                       json_get_str(call->body, "body"), call->now, &cid,
                                       &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &consult_res, "comment", id, NULL);
}

/* POST /api/v1/consultations/{id}/comments/{comment}/answer {answer, reason}. */
int api_consult_answer(struct api_call *call)
{
    int64_t id, cid;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = api_param_id(call, "comment", &cid)) < 0 ||
        (rc = json_check(call->body, answer_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = api_crud_state(call, &consult_res, id, &before)) < 0 ||
        (rc = particip_consult_answer(call->conn, id, cid, json_get_str(call->body, "answer"),
                                      json_get_str(call->body, "reason"), call->user->id, call->now,
                                      &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &consult_res, "answer", id, before);
}

/* POST /api/v1/consultations/{id}/publish {summary}: once every comment has its answer. */
int api_consult_publish(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, publish_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = api_crud_state(call, &consult_res, id, &before)) < 0 ||
        (rc = particip_consult_publish(call->conn, id, json_get_str(call->body, "summary"),
                                       call->user->id, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &consult_res, "publish", id, before);
}
