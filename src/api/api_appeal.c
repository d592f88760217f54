/*
 * 申诉 and the public register of automatic decisions (issue 13, item 8).
 *
 *   POST /api/v1/cases/{id}/appeals          the reporter, signed in
 *   GET  /api/v1/cases/{id}/appeals          whoever sees the case: its appeals, what may be
 *                                            appealed now
 *   POST /api/v1/cases/lookup/appeals        anyone with the case's number and check code
 *   GET  /api/v1/appeals                     the supervisors' queue (their scope)
 *   POST /api/v1/appeals/{id}/decision       a supervisor upholds or rejects
 *   GET  /api/v1/public/decisions            自动化决策公示: what triage decides, the model or rules
 *                                            version in use, how often people agreed, how often
 *                                            it was appealed and overturned, how to appeal
 */
#include <string.h>

#include "api/api_internal.h"
#include "app/app.h"
#include "auth/auth.h"
#include "case/case.h"
#include "core/conf.h"
#include "triage/triage.h"

/* clang-format off */
static const struct json_field appeal_fields[] = {
    {"kind",   JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"reason", JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"text",   JT_STRING, JF_REQUIRED, 1, CASE_APPEAL_TEXT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field lookup_appeal_fields[] = {
    {"number",     JT_STRING, JF_REQUIRED, 1, 32, NULL},
    {"check_code", JT_STRING, JF_REQUIRED, 1, 64, NULL},
    {"kind",       JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"reason",     JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"text",       JT_STRING, JF_REQUIRED, 1, CASE_APPEAL_TEXT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field decision_fields[] = {
    {"decision",   JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"note",       JT_STRING, JF_REQUIRED, 1, CASE_NOTE_MAX, NULL},
    {"category",   JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"department", JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void named(struct jw *w, const char *key, int64_t id, const char *name)
{
    jw_key(w, key);
    if (!id) {
        jw_null(w);
        return;
    }
    jw_obj(w);
    jw_kint(w, "id", id);
    jw_kstr(w, "name", name);
    jw_obj_end(w);
}

/* An appeal as its reader sees it: staff see who decided and what triage had decided; the
 * citizen sees the decision and its reason, no staff identity. */
static void appeal_json(struct jw *w, const struct case_appeal *p, int staff)
{
    jw_obj(w);
    jw_kint(w, "id", p->id);
    jw_kint(w, "case_id", p->case_id);
    jw_kstr(w, "case_number", p->case_number);
    jw_kstr(w, "kind", case_appeal_kind_name(p->kind));
    jw_kstr(w, "reason", case_appeal_reason_name(p->reason));
    jw_kstr(w, "text", p->text);
    jw_kstr(w, "status", case_appeal_status_name(p->status));
    jw_ktime(w, "filed_at", p->filed_at);
    jw_ktime(w, "decided_at", p->decided_at);
    jw_kstr(w, "decision", p->status == CAS_OPEN ? NULL : p->decision);
    named(w, "category", p->category_id, p->category_name);
    named(w, "department", p->department_id, p->department_name);
    if (staff) {
        jw_kstr(w, "case_title", p->case_title);
        jw_kstr(w, "case_state", p->case_state);
        jw_kbool(w, "by_lookup", p->by_lookup);
        jw_kstr(w, "decided_by", *p->decided_by_name ? p->decided_by_name : NULL);
        named(w, "triage_category", p->triage_category_id, p->triage_category_name);
        named(w, "triage_department", p->triage_department_id, p->triage_department_name);
    }
    jw_obj_end(w);
}

/* What may be appealed on the case now (nothing while an appeal waits: one at a time), and until
 * when. 'v' are the case's appeals. */
static void appealable_json(struct api_call *call, struct jw *w, const struct case_rec *r,
                            const struct case_appeal *v, size_t n)
{
    int days = call->api->d.conf->appeal_days;
    unsigned kinds = case_appeal_kinds(r, call->now, days);
    for (size_t i = 0; i < n; i++)
        if (v[i].status == CAS_OPEN)
            kinds = 0;
    jw_key(w, "appealable");
    jw_arr(w);
    for (int k = 0; k < CASE_APPEAL_KIND_COUNT; k++)
        if (kinds & (1u << k))
            jw_str(w, case_appeal_kind_name((enum case_appeal_kind)k));
    jw_arr_end(w);
    jw_ktime(w, "appeal_until",
             r->state == CASE_CLOSED && r->closed_at ? r->closed_at + (int64_t)days * 86400 : 0);
}

int api_appeal_public_json(struct api_call *call, struct jw *w, const struct case_rec *r)
{
    struct case_appeal *v;
    size_t n;
    int rc = case_appeal_of_case(call->conn, r->id, call->req->arena, &v, &n, &call->err);
    if (rc < 0)
        return rc;
    jw_key(w, "appeals");
    jw_arr(w);
    for (size_t i = 0; i < n; i++)
        appeal_json(w, &v[i], 0);
    jw_arr_end(w);
    appealable_json(call, w, r, v, n);
    return 0;
}

static int appeal_in(struct api_call *call, struct case_appeal_in *in)
{
    int kind = case_appeal_kind_from_name(json_get_str(call->body, "kind"));
    int reason = case_appeal_reason_from_name(json_get_str(call->body, "reason"));
    if (kind < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "kind",
                         "field 'kind' must be closure, category, routing or duplicate");
    if (reason < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "reason",
                         "field 'reason' must be not_solved, evaluation_ignored, wrong_category, "
                         "wrong_department, not_duplicate or other");
    in->kind = (enum case_appeal_kind)kind;
    in->reason = (enum case_appeal_reason)reason;
    in->text = json_get_str(call->body, "text");
    in->days = call->api->d.conf->appeal_days;
    return 0;
}

static int answer_appeal(struct api_call *call, int status, int64_t id, int staff)
{
    struct case_appeal p;
    int rc = case_appeal_get(call->conn, id, call->req->arena, &p, &call->err);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    appeal_json(&w, &p, staff);
    if (status == 201)
        http_res_header(call->res, "Location",
                        arena_printf(call->req->arena, "/api/v1/appeals/%lld", (long long)id));
    return api_reply(call, status, &w);
}

static int is_staff(const struct api_call *call)
{
    return call->user && (call->user->roles & ROLE_STAFF);
}

int api_appeal_create(struct api_call *call)
{
    struct case_appeal_in in = {0};
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    const struct case_rec *r;
    int64_t id;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0 ||
        (rc = json_check(call->body, appeal_fields, &call->err)) < 0 ||
        (rc = appeal_in(call, &in)) < 0 || (rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_appeal_file(&env, r, &in, &id, &call->err)) < 0)
        return rc;
    return answer_appeal(call, 201, id, is_staff(call));
}

int api_appeal_lookup_create(struct api_call *call)
{
    const struct conf *cf = call->api->d.conf;
    const struct case_lookup_limits lim = {cf->lookup_max_ip_failures, cf->lookup_max_case_failures,
                                           cf->lookup_window};
    struct case_appeal_in in = {0};
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct case_rec r;
    int64_t id;
    int rc, retry_after;
    http_res_header(call->res, "Cache-Control", "no-store");
    if ((rc = json_check(call->body, lookup_appeal_fields, &call->err)) < 0 ||
        (rc = appeal_in(call, &in)) < 0)
        return rc;
    rc = case_lookup(call->conn, json_get_str(call->body, "number"),
                     json_get_str(call->body, "check_code"), call->req->ip, call->now, &lim,
                     call->req->arena, &r, &retry_after, &call->err);
    if (rc == ERR_THROTTLED)
        http_res_header(call->res, "Retry-After",
                        arena_printf(call->req->arena, "%d", retry_after));
    if (rc < 0)
        return rc == ERR_NOT_FOUND ? err_field(&call->err, ERR_NOT_FOUND, "number",
                                               "no case with this number and check code")
                                   : rc;
    /* Nobody is signed in: the number and the check code prove the citizen, who acts as one. */
    if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0)
        return rc;
    actor.user_id = 0;
    actor.roles = ROLE_CITIZEN;
    in.by_lookup = 1;
    if ((rc = case_appeal_file(&env, &r, &in, &id, &call->err)) < 0)
        return rc;
    return answer_appeal(call, 201, id, 0);
}

int api_appeal_case_list(struct api_call *call)
{
    const struct case_rec *r;
    struct case_appeal *v;
    size_t n;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0 ||
        (rc = case_appeal_of_case(call->conn, r->id, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++)
        appeal_json(&w, &v[i], is_staff(call));
    jw_arr_end(&w);
    jw_kint(&w, "total", (int64_t)n);
    jw_knull(&w, "next_cursor");
    appealable_json(call, &w, r, v, n);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

int api_appeal_list(struct api_call *call)
{
    const char *st = http_req_query(call->req, "status");
    struct case_actor actor;
    struct case_appeal *v;
    int64_t limit, before, total;
    size_t n;
    int rc, status = CAS_OPEN;
    if (st && strcmp(st, "all") == 0)
        status = -1;
    else if (st && (status = case_appeal_status_from_name(st)) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "status",
                         "query parameter 'status' must be open, upheld, rejected or all");
    if ((rc = api_query_int(call, "limit", 50, 1, CASE_APPEAL_LIST_MAX, &limit)) < 0 ||
        (rc = api_query_int(call, "cursor", 0, 0, INT64_MAX, &before)) < 0)
        return rc;
    app_actor(call->user, &actor);
    if ((rc = case_appeal_list(call->conn, status, before, (int)limit, &actor, call->req->arena, &v,
                               &n, &total, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++)
        appeal_json(&w, &v[i], 1);
    api_list_end(&w, total,
                 n == (size_t)limit ? arena_printf(call->req->arena, "%lld", (long long)v[n - 1].id)
                                    : NULL);
    return api_reply(call, 200, &w);
}

int api_appeal_decide(struct api_call *call)
{
    struct case_appeal_decision in = {0};
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, decision_fields, &call->err)) < 0)
        return rc;
    const char *d = json_get_str(call->body, "decision");
    if (!d || (strcmp(d, "uphold") != 0 && strcmp(d, "reject") != 0))
        return err_field(&call->err, ERR_BAD_REQUEST, "decision",
                         "field 'decision' must be uphold or reject");
    in.uphold = strcmp(d, "uphold") == 0;
    in.note = json_get_str(call->body, "note");
    in.category_id = json_get_int(call->body, "category", 0);
    in.department_id = json_get_int(call->body, "department", 0);
    if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_appeal_decide(&env, id, &in, &call->err)) < 0)
        return rc;
    return answer_appeal(call, 200, id, 1);
}

/* ---------------------------------------------------------------- the public register */

#define REGISTER_DAYS 30

/* What each automatic decision is, in the words the public reads (the register is a public
 * document: its texts are the server's, like the names of categories). */
struct decision_text {
    const char *key, *name, *decides, *who, *appeal;
};
/* clang-format off */
static const struct decision_text texts[] = {
    {"classification", "诉求自动分类",
     "根据诉求的标题和描述，推荐最可能的诉求分类（如“路面破损坑洼”），并列出判断依据的词语。",
     "分类模型的把握度达到设定值时，未选择分类的诉求直接采用推荐分类；否则由调度员选择。调度员派单时可以更正分类。",
     "认为分类错误的，可在办理进度查询页或“我的诉求”中对该工单提出申诉，申诉理由选“分类错误”。"},
    {"routing", "承办部门推荐",
     "按派单目录（分类与区域对应的承办部门规则）推荐承办部门。",
     "推荐部门供调度员派单参考，派单由调度员决定。",
     "认为承办部门不对的，可对该工单提出申诉，申诉理由选“承办部门不对”。"},
    {"urgency", "紧急程度识别",
     "根据描述中的燃气泄漏、火情、人员受伤、独居老人失联等情形，把诉求标为紧急或特急，缩短办理时限。",
     "诉求人未说明紧急程度时自动采用，只会提高、不会降低分类本身的紧急程度。",
     "紧急程度只影响办理时限；如有异议，可在申诉中选择“其他”说明。"},
    {"duplicate", "重复诉求提示",
     "比较近期诉求的文字、地点和时间，提示可能重复的工单。",
     "只作提示；是否并单由话务员或调度员决定。",
     "认为工单被错误合并的，可对该工单提出申诉，申诉理由选“不是重复诉求”。"},
    {"reply_check", "答复质量检查",
     "在办结前检查答复是否回应了诉求、是否只有套话、有没有具体措施、时间或联系方式。",
     "只提示审核人员，不自动退回或办结工单。",
     "对答复不满意的，可在评价中选择“不满意”；工单办结后仍未解决的，可对办结提出申诉。"},
};
/* clang-format on */

static void accuracy_json(struct jw *w, const struct triage_class_accuracy *v, size_t n,
                          const char *basis, int64_t since, int64_t now)
{
    int64_t all = 0, right = 0;
    for (size_t i = 0; i < n; i++) {
        all += v[i].n;
        right += v[i].right;
    }
    jw_key(w, "accuracy");
    jw_obj(w);
    jw_kstr(w, "basis", basis);
    jw_ktime(w, "since", since);
    jw_ktime(w, "measured_at", now);
    jw_kint(w, "n", all);
    jw_kint(w, "right", right);
    if (all)
        jw_knum(w, "rate", (double)right / (double)all);
    else
        jw_knull(w, "rate");
    jw_key(w, "classes");
    jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(w);
        jw_kint(w, "id", v[i].id);
        jw_kstr(w, "name", v[i].name);
        jw_kint(w, "n", v[i].n);
        jw_kint(w, "right", v[i].right);
        jw_knum(w, "rate", v[i].n ? (double)v[i].right / (double)v[i].n : 0);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

static void no_accuracy(struct jw *w, const char *why)
{
    jw_key(w, "accuracy");
    jw_obj(w);
    jw_kstr(w, "basis", NULL);
    jw_kstr(w, "not_measured", why);
    jw_obj_end(w);
}

static void begin_decision(struct jw *w, int i, int64_t decisions)
{
    jw_obj(w);
    jw_kstr(w, "key", texts[i].key);
    jw_kstr(w, "name", texts[i].name);
    jw_kstr(w, "decides", texts[i].decides);
    jw_kstr(w, "who_decides", texts[i].who);
    jw_kstr(w, "how_to_appeal", texts[i].appeal);
    jw_kint(w, "decisions", decisions);
}

static void appeals_json(struct jw *w, const struct case_appeal_counts *ac, int kind)
{
    jw_key(w, "appeals");
    jw_obj(w);
    jw_kint(w, "filed", kind >= 0 ? ac->filed[kind] : 0);
    jw_kint(w, "overturned", kind >= 0 ? ac->upheld[kind] : 0);
    jw_kbool(w, "appealable", kind >= 0);
    jw_obj_end(w);
}

static int build_register(struct api_call *call, struct jw *w)
{
    const struct conf *cf = call->api->d.conf;
    struct arena *a = call->req->arena;
    int64_t since = call->now - (int64_t)REGISTER_DAYS * 86400;
    struct triage_decisions dc;
    struct case_appeal_counts ac;
    struct triage_class_accuracy *cat, *dep;
    struct triage_training tr = {0};
    struct triage_rule *rules;
    size_t ncat, ndep, nrules;
    char urgency_version[TRIAGE_VERSION_SIZE], reply_version[TRIAGE_VERSION_SIZE];
    int rc, trained = 0;
    if ((rc = triage_decision_count(call->conn, since, &dc, &call->err)) < 0 ||
        (rc = case_appeal_count(call->conn, since, &ac, &call->err)) < 0 ||
        (rc = triage_category_accuracy(call->conn, since, a, &cat, &ncat, &call->err)) < 0 ||
        (rc = triage_route_accuracy(call->conn, since, a, &dep, &ndep, &call->err)) < 0 ||
        (rc = triage_rule_list(call->conn, a, &rules, &nrules, &call->err)) < 0 ||
        (rc = trained = triage_training_last(call->conn, a, &tr, &call->err)) < 0)
        return rc;
    const struct triage_model *m = app_triage_model(call->api->app, 0);
    triage_urgency_version(urgency_version);
    triage_reply_version(reply_version);
    int64_t rules_updated = 0;
    for (size_t i = 0; i < nrules; i++)
        if (rules[i].updated_at > rules_updated)
            rules_updated = rules[i].updated_at;

    jw_obj(w);
    jw_ktime(w, "measured_at", call->now);
    jw_kint(w, "window_days", REGISTER_DAYS);
    jw_ktime(w, "since", since);
    jw_kint(w, "appeal_days", cf->appeal_days);
    jw_key(w, "decisions");
    jw_arr(w);

    begin_decision(w, 0, dc.classified);
    jw_kint(w, "applied", dc.applied);
    jw_key(w, "version");
    jw_obj(w);
    jw_kstr(w, "kind", "model");
    jw_kstr(w, "id", m ? triage_model_version(m) : NULL);
    jw_kint(w, "labels", m ? triage_model_nlabels(m) : 0);
    /* The training on record describes the model in use only when its version is the same. */
    int same = m && trained && tr.version && strcmp(tr.version, triage_model_version(m)) == 0;
    jw_ktime(w, "trained_at", same ? tr.at : 0);
    jw_kint(w, "examples", same ? tr.examples : 0);
    jw_kstr(w, "source", same ? tr.source : NULL);
    jw_knum(w, "apply_threshold", cf->triage_apply_threshold / 1000.0);
    jw_obj_end(w);
    accuracy_json(w, cat, ncat, "dispatchers", since, call->now);
    appeals_json(w, &ac, CAK_CATEGORY);
    jw_obj_end(w);

    begin_decision(w, 1, dc.routed);
    jw_key(w, "version");
    jw_obj(w);
    jw_kstr(w, "kind", "routing_rules");
    jw_kint(w, "rules", (int64_t)nrules);
    jw_ktime(w, "updated_at", rules_updated);
    jw_obj_end(w);
    accuracy_json(w, dep, ndep, "dispatchers", since, call->now);
    appeals_json(w, &ac, CAK_ROUTING);
    jw_obj_end(w);

    begin_decision(w, 2, dc.urgent);
    jw_key(w, "version");
    jw_obj(w);
    jw_kstr(w, "kind", "rules");
    jw_kstr(w, "id", urgency_version);
    jw_obj_end(w);
    no_accuracy(w, "no_review");
    appeals_json(w, &ac, -1);
    jw_obj_end(w);

    begin_decision(w, 3, dc.merged);
    jw_key(w, "version");
    jw_obj(w);
    jw_kstr(w, "kind", "settings");
    jw_kint(w, "window_days", cf->dup_window_days);
    jw_kint(w, "max_meters", cf->dup_max_meters);
    jw_knum(w, "min_score", cf->dup_min_score / 1000.0);
    jw_obj_end(w);
    no_accuracy(w, "advisory");
    appeals_json(w, &ac, CAK_DUPLICATE);
    jw_obj_end(w);

    begin_decision(w, 4, dc.replies);
    jw_key(w, "version");
    jw_obj(w);
    jw_kstr(w, "kind", "rules");
    jw_kstr(w, "id", reply_version);
    jw_obj_end(w);
    no_accuracy(w, "advisory");
    appeals_json(w, &ac, -1);
    jw_obj_end(w);

    jw_arr_end(w);
    jw_obj_end(w);
    return 0;
}

void api_register_free(struct api *api)
{
    free(api->register_stamp);
    free(api->register_body);
    pthread_mutex_destroy(&api->register_lock);
}

/* What the register is computed from: every case write adds a timeline event (dispatches,
 * appeals, decisions, intake's triage), the model in use, the organisation (categories,
 * departments), the routing rules and the minute (the window slides). */
static int register_stamp(struct api_call *call, char **out)
{
    const struct triage_model *m = app_triage_model(call->api->app, 0);
    int64_t last_event, rules, rules_sum;
    int rc;
    if ((rc = case_last_event(call->conn, &last_event, &call->err)) < 0 ||
        (rc = triage_rule_stamp(call->conn, &rules, &rules_sum, &call->err)) < 0)
        return rc;
    *out =
        arena_printf(call->req->arena, "%lld/%s/%lld/%lld/%lld/%lld", (long long)last_event,
                     m ? triage_model_version(m) : "-", (long long)app_org_version(call->api->app),
                     (long long)rules, (long long)rules_sum, (long long)(call->now / 60));
    return 0;
}

static void answer_copy(struct api_call *call, const char *body, size_t len)
{
    char *copy = xmalloc(len ? len : 1);
    memcpy(copy, body, len);
    http_res_header(call->res, "Cache-Control", "no-cache");
    http_res_body(call->res, 200, "application/json", copy, len, HTTP_BODY_FREE);
}

int api_decisions_register(struct api_call *call)
{
    struct api *api = call->api;
    char *stamp;
    int rc, hit = 0;
    if ((rc = register_stamp(call, &stamp)) < 0)
        return rc;
    pthread_mutex_lock(&api->register_lock);
    if (api->register_stamp && strcmp(api->register_stamp, stamp) == 0) {
        answer_copy(call, api->register_body, api->register_len);
        hit = 1;
    }
    pthread_mutex_unlock(&api->register_lock);
    if (hit)
        return 0;
    struct jw w;
    jw_init(&w);
    if ((rc = build_register(call, &w)) < 0) {
        jw_release(&w);
        return rc;
    }
    pthread_mutex_lock(&api->register_lock);
    free(api->register_stamp);
    free(api->register_body);
    api->register_stamp = xstrdup(stamp);
    api->register_len = w.b.len;
    api->register_body = xmalloc(w.b.len ? w.b.len : 1);
    memcpy(api->register_body, w.b.p, w.b.len);
    pthread_mutex_unlock(&api->register_lock);
    http_res_header(call->res, "Cache-Control", "no-cache");
    return api_reply(call, 200, &w);
}
