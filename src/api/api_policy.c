/*
 * The policy calculator and 免申即享 (src/policy): officials write and publish policies, try a
 * rule against a sample profile (试算); citizens keep their person and firm profiles, ask the
 * calculator what they qualify for and why not, and see the offers made to them. Publishing a
 * policy or changing a profile records an offer for everyone newly eligible and queues its
 * notification, each offer audited in the same transaction.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api_internal.h"
#include "audit/audit.h"
#include "policy/policy.h"
#include "valid/valid.h"

/* clang-format off */
static const struct json_field policy_fields[] = {
    {"name",    JT_STRING, JF_REQUIRED, 1, POLICY_NAME_MAX, NULL},
    {"summary", JT_STRING, 0,           0, POLICY_SUMMARY_MAX, NULL},
    {"subject", JT_STRING, JF_REQUIRED, 1, 10, NULL},
    {"rule",    JT_OBJECT, JF_REQUIRED, 0, 0, NULL},
    {"amount",  JT_INT,    JF_REQUIRED, 0, POLICY_AMOUNT_MAX, NULL},
    {"period",  JT_STRING, JF_REQUIRED, 1, 10, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field profile_fields[] = {
    {"name",            JT_STRING, 0, 0, POLICY_NAME_MAX, NULL},
    {"birth_date",      JT_STRING, JF_NULLABLE, 0, 40, NULL},
    {"hukou_region_id", JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"disability",      JT_INT,    0, 0, 4, NULL},
    {"income_band",     JT_INT,    0, 0, 10, NULL},
    {"children",        JT_INT,    0, 0, POLICY_CHILDREN_MAX, NULL},
    {"industry",        JT_STRING, 0, 0, POLICY_INDUSTRY_MAX, NULL},
    {"size",            JT_STRING, JF_NULLABLE, 0, 10, NULL},
    {"employees",       JT_INT,    0, 0, POLICY_EMPLOYEES_MAX, NULL},
    {"tax",             JT_INT,    0, 0, (double)POLICY_TAX_MAX, NULL},
    {"registered_on",   JT_STRING, JF_NULLABLE, 0, 40, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field trial_fields[] = {
    {"subject", JT_STRING, JF_REQUIRED, 1, 10, NULL},
    {"rule",    JT_OBJECT, JF_REQUIRED, 0, 0, NULL},
    {"profile", JT_OBJECT, JF_REQUIRED, 0, 0, profile_fields},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field calc_fields[] = {
    {"subject", JT_STRING, JF_REQUIRED, 1, 10, NULL},
    {"profile", JT_OBJECT, 0, 0, 0, profile_fields},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

/* Today in Beijing time as YYYYMMDD: ages and years since registration count from it. */
static int today_ymd(int64_t now)
{
    time_t t = (time_t)(now + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static void ymd_json(struct jw *w, const char *key, int ymd)
{
    if (!ymd) {
        jw_knull(w, key);
        return;
    }
    char s[16];
    snprintf(s, sizeof(s), "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
    jw_kstr(w, key, s);
}

static int subject_of(const json_t *body, int *out, struct err *err)
{
    *out = policy_subject_from_name(json_get_str(body, "subject"));
    if (*out < 0)
        return err_field(err, ERR_BAD_REQUEST, "subject", "subject must be person or firm");
    return 0;
}

/* ---- policies ---- */

static void policy_json(struct api_call *call, struct jw *w, const struct policy_rec *p)
{
    jw_kint(w, "id", p->id);
    jw_kstr(w, "name", p->name);
    jw_kstr(w, "summary", p->summary);
    jw_kstr(w, "subject", policy_subject_name(p->subject));
    jw_key(w, "rule");
    jw_raw(w, p->rule);
    struct policy_rule r;
    struct err e = {0};
    char text[1024] = "";
    if (api_policy_rule_parse_text(p->rule, p->subject, &r, &e) == 0 &&
        policy_rule_resolve(call->conn, &r, &e) == 0)
        policy_describe(&r, 0, text, sizeof(text));
    jw_kstr(w, "rule_text", text);
    jw_kint(w, "amount", p->amount);
    jw_kstr(w, "period", policy_period_name(p->period));
    jw_kstr(w, "status", policy_status_name(p->status));
    jw_ktime(w, "created_at", p->created_at);
    jw_ktime(w, "updated_at", p->updated_at);
    jw_ktime(w, "published_at", p->published_at);
}

static int policy_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct policy_rec p;
    int rc = policy_get(call->conn, id, call->req->arena, &p, &call->err);
    if (rc == 0) {
        jw_obj(w);
        policy_json(call, w, &p);
        jw_obj_end(w);
    }
    return rc;
}

static int offer_render(struct api_call *call, int64_t id, struct jw *w);
static const struct api_resource policy_res = {"policy", "/api/v1/policies", policy_render, NULL};

static int is_staff(const struct api_call *call)
{
    return call->user && (call->user->roles & ROLE_STAFF);
}

int api_policy_list(struct api_call *call)
{
    const char *s = http_req_query(call->req, "subject");
    int subject = -1;
    if (s && *s && (subject = policy_subject_from_name(s)) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "subject", "subject must be person or firm");
    struct policy_rec *v;
    size_t n;
    int rc =
        policy_list(call->conn, !is_staff(call), subject, call->req->arena, &v, &n, &call->err);
    if (rc < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        policy_json(call, &w, &v[i]);
        jw_obj_end(&w);
    }
    api_list_end(&w, (int64_t)n, NULL);
    return api_reply(call, 200, &w);
}

int api_policy_get(struct api_call *call)
{
    int64_t id;
    struct policy_rec p;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = policy_get(call->conn, id, call->req->arena, &p, &call->err)) < 0)
        return rc;
    if (!is_staff(call) && p.status != POLICY_PUBLISHED)
        return err_set(&call->err, ERR_NOT_FOUND, "policy %lld does not exist", (long long)id);
    return api_crud_get(call, &policy_res);
}

/* The body as a policy: the rule parsed, checked against the region tree and written back in
 * its canonical JSON form (what is stored). */
static int policy_input(struct api_call *call, struct policy_in *in, struct policy_rule *rule)
{
    int rc, subject, period;
    if ((rc = json_check(call->body, policy_fields, &call->err)) < 0 ||
        (rc = subject_of(call->body, &subject, &call->err)) < 0)
        return rc;
    period = policy_period_from_name(json_get_str(call->body, "period"));
    if (period < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "period",
                         "period must be once, month or year");
    if ((rc = api_policy_rule_parse(json_get(call->body, "rule"), subject, rule, &call->err)) < 0 ||
        (rc = policy_rule_resolve(call->conn, rule, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    api_policy_rule_json(&w, rule);
    in->rule = arena_strdup(call->req->arena, w.b.p ? w.b.p : "");
    jw_release(&w);
    in->name = json_get_str(call->body, "name");
    in->summary = json_get_str(call->body, "summary");
    in->subject = (enum policy_subject)subject;
    in->amount = json_get_int(call->body, "amount", 0);
    in->period = (enum policy_period)period;
    return 0;
}

/* Audit each new offer in the open transaction (the caller commits). */
static int audit_offers(struct api_call *call, const int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct jw w;
        jw_init(&w);
        int rc = offer_render(call, ids[i], &w);
        char target[48];
        snprintf(target, sizeof(target), "policy_offer/%lld", (long long)ids[i]);
        struct audit_entry e = {
            .actor_id = call->user ? call->user->id : 0,
            .actor_name = call->user ? call->user->name : "anonymous",
            .action = "policy_offer.create",
            .target = target,
            .after = rc == 0 ? w.b.p : NULL,
        };
        if (rc == 0)
            rc = audit_append(call->conn, &e, call->now, &call->err);
        jw_release(&w);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int offer_published(struct api_call *call, int64_t id, const struct policy_rule *rule)
{
    struct policy_rec p;
    int64_t *ids;
    size_t n;
    int rc;
    if ((rc = policy_get(call->conn, id, call->req->arena, &p, &call->err)) < 0)
        return rc;
    if (p.status != POLICY_PUBLISHED)
        return 0;
    if ((rc = policy_offer_all(call->conn, &p, rule, today_ymd(call->now), call->now,
                               call->req->arena, &ids, &n, &call->err)) < 0)
        return rc;
    return audit_offers(call, ids, n);
}

int api_policy_create(struct api_call *call)
{
    struct policy_in in;
    struct policy_rule rule;
    int64_t id;
    int rc;
    if ((rc = api_begin(call)) < 0 || (rc = policy_input(call, &in, &rule)) < 0 ||
        (rc = policy_create(call->conn, &in, call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &policy_res, "create", id, NULL);
}

/* PUT /api/v1/policies/{id}: the whole policy again; a published one is matched again, so a
 * widened rule reaches those it now covers. */
int api_policy_update(struct api_call *call)
{
    struct policy_in in;
    struct policy_rule rule;
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &policy_res, id, &before)) < 0 ||
        (rc = policy_input(call, &in, &rule)) < 0 ||
        (rc = policy_update(call->conn, id, &in, call->now, &call->err)) < 0 ||
        (rc = offer_published(call, id, &rule)) < 0)
        return rc;
    return api_crud_commit(call, &policy_res, "update", id, before);
}

/* POST /api/v1/policies/{id}/publish: 免申即享 runs in the same transaction. */
int api_policy_publish(struct api_call *call)
{
    struct policy_rec p;
    struct policy_rule rule;
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &policy_res, id, &before)) < 0 ||
        (rc = policy_get(call->conn, id, call->req->arena, &p, &call->err)) < 0 ||
        (rc = api_policy_rule_parse_text(p.rule, p.subject, &rule, &call->err)) < 0 ||
        (rc = policy_rule_resolve(call->conn, &rule, &call->err)) < 0 ||
        (rc = policy_publish(call->conn, id, call->now, &call->err)) < 0 ||
        (rc = offer_published(call, id, &rule)) < 0)
        return rc;
    return api_crud_commit(call, &policy_res, "publish", id, before);
}

/* ---- profiles ---- */

static int date_of(const json_t *body, const char *key, int *ymd, struct err *err)
{
    const char *s = json_get_str(body, key);
    *ymd = 0;
    if (!s || !*s)
        return 0;
    if (valid_parse_date(s, ymd) != VALID_OK)
        return err_field(err, ERR_BAD_REQUEST, key, "'%s' must be a date like 2026-01-05", key);
    return 0;
}

/* A profile from the JSON object 'o' (already checked against profile_fields). */
static int profile_from(struct api_call *call, const json_t *o, int subject,
                        struct policy_profile *p)
{
    int rc;
    memset(p, 0, sizeof(*p));
    p->subject = (enum policy_subject)subject;
    p->name = json_get_str(o, "name");
    if (!p->name)
        p->name = "";
    if ((rc = date_of(o, "birth_date", &p->birth_ymd, &call->err)) < 0 ||
        (rc = date_of(o, "registered_on", &p->registered_ymd, &call->err)) < 0)
        return rc;
    p->hukou_region_id = json_get_int(o, "hukou_region_id", 0);
    p->disability = (int)json_get_int(o, "disability", 0);
    p->income_band = (int)json_get_int(o, "income_band", 0);
    p->children = (int)json_get_int(o, "children", 0);
    p->industry = json_get_str(o, "industry");
    if (!p->industry)
        p->industry = "";
    const char *size = json_get_str(o, "size");
    p->size = -1;
    if (size && *size && (p->size = policy_size_from_name(size)) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "size",
                         "size must be micro, small, medium or large");
    p->employees = json_get_int(o, "employees", 0);
    p->tax = json_get_int(o, "tax", 0);
    if ((rc = policy_profile_check(p, today_ymd(call->now), &call->err)) < 0 ||
        (rc = policy_profile_region(call->conn, p, call->req->arena, &call->err)) < 0)
        return rc;
    return 0;
}

static void profile_json(struct jw *w, const struct policy_profile *p)
{
    jw_kint(w, "id", p->id);
    jw_kstr(w, "subject", policy_subject_name(p->subject));
    jw_kstr(w, "name", p->name);
    ymd_json(w, "birth_date", p->birth_ymd);
    jw_kopt(w, "hukou_region_id", p->hukou_region_id);
    jw_kstr(w, "hukou_region", p->hukou_name && *p->hukou_name ? p->hukou_name : NULL);
    jw_kint(w, "disability", p->disability);
    jw_kint(w, "income_band", p->income_band);
    jw_kint(w, "children", p->children);
    jw_kstr(w, "industry", p->industry);
    jw_kstr(w, "size", policy_size_name(p->size));
    jw_kint(w, "employees", p->employees);
    jw_kint(w, "tax", p->tax);
    ymd_json(w, "registered_on", p->registered_ymd);
    jw_ktime(w, "updated_at", p->updated_at);
}

API_RENDER(profile_render, struct policy_profile, policy_profile_get, profile_json)
static const struct api_resource profile_res = {"policy_profile", NULL, profile_render, NULL};

static int subject_param(struct api_call *call, int *subject)
{
    *subject = policy_subject_from_name(http_req_param(call->req, "subject"));
    if (*subject < 0)
        return err_set(&call->err, ERR_NOT_FOUND, "no such profile kind");
    return 0;
}

int api_me_policy_profile_get(struct api_call *call)
{
    struct policy_profile p;
    int subject, rc;
    if ((rc = subject_param(call, &subject)) < 0 ||
        (rc = policy_profile_get_user(call->conn, call->user->id, subject, call->req->arena, &p,
                                      &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    profile_json(&w, &p);
    jw_obj_end(&w);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

/* The published policies of a subject with their parsed rules (arena). */
static int published(struct api_call *call, int subject, struct policy_rec **v,
                     struct policy_rule **rules, size_t *n)
{
    int rc = policy_list(call->conn, 1, subject, call->req->arena, v, n, &call->err);
    if (rc < 0)
        return rc;
    *rules = arena_alloc(call->req->arena, (*n ? *n : 1) * sizeof(**rules));
    for (size_t i = 0; i < *n; i++) {
        if ((rc = api_policy_rule_parse_text((*v)[i].rule, subject, &(*rules)[i], &call->err)) <
                0 ||
            (rc = policy_rule_resolve(call->conn, &(*rules)[i], &call->err)) < 0)
            return rc;
    }
    return 0;
}

/* PUT /api/v1/me/policy-profiles/{subject}: the citizen's own profile; newly eligible policies
 * are offered in the same transaction. */
int api_me_policy_profile_put(struct api_call *call)
{
    struct policy_profile p;
    struct policy_rec *pols;
    struct policy_rule *rules;
    size_t npol, n;
    int64_t id, *ids;
    char *before = NULL;
    int subject, rc;
    if ((rc = subject_param(call, &subject)) < 0 ||
        (rc = json_check(call->body, profile_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = profile_from(call, call->body, subject, &p)) < 0)
        return rc;
    struct policy_profile cur;
    struct err e0 = {0};
    if (policy_profile_get_user(call->conn, call->user->id, subject, call->req->arena, &cur, &e0) ==
            0 &&
        (rc = api_crud_state(call, &profile_res, cur.id, &before)) < 0)
        return rc;
    p.user_id = call->user->id;
    if ((rc = policy_profile_put(call->conn, &p, call->now, &id, &call->err)) < 0)
        return rc;
    p.id = id;
    if ((rc = published(call, subject, &pols, &rules, &npol)) < 0 ||
        (rc = policy_offer_profile(call->conn, &p, pols, rules, npol, today_ymd(call->now),
                                   call->now, call->req->arena, &ids, &n, &call->err)) < 0 ||
        (rc = audit_offers(call, ids, n)) < 0)
        return rc;
    return api_crud_commit(call, &profile_res, before ? "update" : "create", id, before);
}

/* ---- evaluation ---- */

static void why_json(struct jw *w, const struct policy_rule *r, const struct policy_why *why)
{
    char text[POLICY_DESC_MAX];
    jw_kbool(w, "qualifies", why->qualifies);
    jw_key(w, "missing");
    jw_arr(w);
    for (int i = 0; i < why->nmissing; i++) {
        policy_describe(r, why->missing[i], text, sizeof(text));
        jw_str(w, text);
    }
    jw_arr_end(w);
    jw_key(w, "met");
    jw_arr(w);
    for (int i = 0; i < why->nmet; i++) {
        policy_describe(r, why->met[i], text, sizeof(text));
        jw_str(w, text);
    }
    jw_arr_end(w);
}

/* POST /api/v1/policies/trial {subject, rule, profile}: 试算 of a rule being written. */
int api_policy_trial(struct api_call *call)
{
    struct policy_rule rule;
    struct policy_profile p;
    struct policy_why why;
    int subject, rc;
    if ((rc = json_check(call->body, trial_fields, &call->err)) < 0 ||
        (rc = subject_of(call->body, &subject, &call->err)) < 0 ||
        (rc = api_policy_rule_parse(json_get(call->body, "rule"), subject, &rule, &call->err)) <
            0 ||
        (rc = policy_rule_resolve(call->conn, &rule, &call->err)) < 0 ||
        (rc = profile_from(call, json_get(call->body, "profile"), subject, &p)) < 0)
        return rc;
    policy_eval(&rule, &p, today_ymd(call->now), &why);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    why_json(&w, &rule, &why);
    char text[1024];
    policy_describe(&rule, 0, text, sizeof(text));
    jw_kstr(&w, "rule_text", text);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* POST /api/v1/policy-calculator {subject, profile?}: every published policy for the entered
 * profile, or for the caller's own when none is given; those that qualify first. */
int api_policy_calculator(struct api_call *call)
{
    struct policy_profile p;
    struct policy_rec *pols;
    struct policy_rule *rules;
    size_t n;
    int subject, rc;
    if ((rc = json_check(call->body, calc_fields, &call->err)) < 0 ||
        (rc = subject_of(call->body, &subject, &call->err)) < 0)
        return rc;
    if (json_get(call->body, "profile"))
        rc = profile_from(call, json_get(call->body, "profile"), subject, &p);
    else if (call->user && policy_profile_get_user(call->conn, call->user->id, subject,
                                                   call->req->arena, &p, &call->err) == 0)
        rc = 0;
    else
        rc = err_field(&call->err, ERR_BAD_REQUEST, "profile", "no profile given and none saved");
    if (rc < 0 || (rc = published(call, subject, &pols, &rules, &n)) < 0)
        return rc;
    struct policy_why *why = arena_alloc(call->req->arena, (n ? n : 1) * sizeof(*why));
    int today = today_ymd(call->now);
    for (size_t i = 0; i < n; i++)
        policy_eval(&rules[i], &p, today, &why[i]);
    struct jw w;
    api_list_begin(&w);
    for (int pass = 1; pass >= 0; pass--) {
        for (size_t i = 0; i < n; i++) {
            if (why[i].qualifies != pass)
                continue;
            jw_obj(&w);
            jw_kint(&w, "policy_id", pols[i].id);
            jw_kstr(&w, "name", pols[i].name);
            jw_kstr(&w, "summary", pols[i].summary);
            jw_kint(&w, "amount", pols[i].amount);
            jw_kstr(&w, "period", policy_period_name(pols[i].period));
            why_json(&w, &rules[i], &why[i]);
            jw_obj_end(&w);
        }
    }
    api_list_end(&w, (int64_t)n, NULL);
    return api_reply(call, 200, &w);
}

/* ---- offers ---- */

static void offer_json(struct jw *w, const void *v)
{
    const struct policy_offer *o = v;
    jw_kint(w, "id", o->id);
    jw_kint(w, "policy_id", o->policy_id);
    jw_kstr(w, "policy", o->policy_name);
    jw_kint(w, "profile_id", o->profile_id);
    jw_kopt(w, "user_id", o->user_id);
    jw_kint(w, "amount", o->amount);
    jw_kstr(w, "period", policy_period_name(o->period));
    jw_kopt(w, "notification_id", o->notification_id);
    jw_ktime(w, "created_at", o->created_at);
}

API_RENDER(offer_render, struct policy_offer, policy_offer_get, offer_json)

int api_me_policy_offers(struct api_call *call)
{
    struct policy_offer *v;
    size_t n;
    int rc = policy_offer_list(call->conn, call->user->id, call->req->arena, &v, &n, &call->err);
    if (rc < 0)
        return rc;
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply_items(call, v, n, sizeof(*v), offer_json);
}
