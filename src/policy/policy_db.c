/*
 * Policies, profiles and offers in the store (migration 0066). See policy.h for what 免申即享
 * records and why an offer is made once per policy and profile.
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "notify/notify.h"
#include "policy/policy.h"
#include "store/store.h"

static const char *const STATUSES[] = {"draft", "published", "withdrawn"};
static const char *const PERIODS[] = {"once", "month", "year"};
static const char *const PERIOD_WORDS[] = {"一次性", "每月", "每年"};

#define POLICY_COLS                                                                                \
    "id, name, summary, subject, rule, amount, period, status, created_at, updated_at,"            \
    " coalesce(published_at, 0)"
#define PROFILE_COLS                                                                                \
    "p.id, coalesce(p.user_id, 0), p.subject, p.name, p.birth_ymd, coalesce(p.hukou_region_id, 0)," \
    " coalesce(r.code, ''), coalesce(r.name, ''), p.disability, p.income_band, p.children,"         \
    " p.industry, p.size, p.employees, p.tax, p.registered_ymd, p.updated_at"
#define PROFILE_FROM " FROM policy_profiles p LEFT JOIN regions r ON r.id = p.hukou_region_id"
#define OFFER_COLS                                                                                 \
    "o.id, o.policy_id, o.profile_id, coalesce(p.user_id, 0), o.amount,"                           \
    " coalesce(o.notification_id, 0), y.name, y.period, o.created_at"
#define OFFER_FROM                                                                                 \
    " FROM policy_offers o JOIN policies y ON y.id = o.policy_id"                                  \
    " JOIN policy_profiles p ON p.id = o.profile_id"

typedef VEC(struct policy_rec) policy_vec;
typedef VEC(struct policy_profile) profile_vec;
typedef VEC(struct policy_offer) offer_vec;
typedef VEC(int64_t) id_vec;

const char *policy_status_name(enum policy_status s)
{
    return (unsigned)s <= POLICY_WITHDRAWN ? STATUSES[s] : NULL;
}

const char *policy_period_name(enum policy_period p)
{
    return (unsigned)p <= POLICY_YEAR ? PERIODS[p] : NULL;
}

int policy_period_from_name(const char *name)
{
    for (int i = 0; name && i <= POLICY_YEAR; i++)
        if (!strcmp(name, PERIODS[i]))
            return i;
    return -1;
}

static int index_of(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], s))
            return i;
    return 0;
}

static int push_policy(void *ctx, struct store_stmt *s)
{
    policy_vec *v = ctx;
    struct policy_rec *p = vec_push(v);
    struct arena *a = v->arena;
    p->id = store_col_int(s, 0);
    p->name = arena_strdup(a, store_col_text(s, 1));
    p->summary = arena_strdup(a, store_col_text(s, 2));
    p->subject =
        policy_subject_from_name(store_col_text(s, 3)) == POLICY_FIRM ? POLICY_FIRM : POLICY_PERSON;
    p->rule = arena_strdup(a, store_col_text(s, 4));
    p->amount = store_col_int(s, 5);
    p->period = (enum policy_period)index_of(PERIODS, 3, store_col_text(s, 6));
    p->status = (enum policy_status)index_of(STATUSES, 3, store_col_text(s, 7));
    p->created_at = store_col_int(s, 8);
    p->updated_at = store_col_int(s, 9);
    p->published_at = store_col_int(s, 10);
    return 0;
}

static void read_profile(struct store_stmt *s, struct arena *a, struct policy_profile *p)
{
    p->id = store_col_int(s, 0);
    p->user_id = store_col_int(s, 1);
    p->subject =
        policy_subject_from_name(store_col_text(s, 2)) == POLICY_FIRM ? POLICY_FIRM : POLICY_PERSON;
    p->name = arena_strdup(a, store_col_text(s, 3));
    p->birth_ymd = (int)store_col_int(s, 4);
    p->hukou_region_id = store_col_int(s, 5);
    p->hukou_code = arena_strdup(a, store_col_text(s, 6));
    p->hukou_name = arena_strdup(a, store_col_text(s, 7));
    p->disability = (int)store_col_int(s, 8);
    p->income_band = (int)store_col_int(s, 9);
    p->children = (int)store_col_int(s, 10);
    p->industry = arena_strdup(a, store_col_text(s, 11));
    p->size = (int)store_col_int(s, 12);
    p->employees = store_col_int(s, 13);
    p->tax = store_col_int(s, 14);
    p->registered_ymd = (int)store_col_int(s, 15);
    p->updated_at = store_col_int(s, 16);
}

static int push_profile(void *ctx, struct store_stmt *s)
{
    profile_vec *v = ctx;
    read_profile(s, v->arena, vec_push(v));
    return 0;
}

static int push_offer(void *ctx, struct store_stmt *s)
{
    offer_vec *v = ctx;
    struct policy_offer *o = vec_push(v);
    o->id = store_col_int(s, 0);
    o->policy_id = store_col_int(s, 1);
    o->profile_id = store_col_int(s, 2);
    o->user_id = store_col_int(s, 3);
    o->amount = store_col_int(s, 4);
    o->notification_id = store_col_int(s, 5);
    o->policy_name = arena_strdup(v->arena, store_col_text(s, 6));
    o->period = (enum policy_period)index_of(PERIODS, 3, store_col_text(s, 7));
    o->created_at = store_col_int(s, 8);
    return 0;
}

static int check_in(const struct policy_in *in, struct err *err)
{
    int rc;
    if ((rc = utf8_check_field(in->name, "name", 1, POLICY_NAME_MAX, err)) < 0 ||
        (rc = utf8_check_field(in->summary ? in->summary : "", "summary", 0, POLICY_SUMMARY_MAX,
                               err)) < 0)
        return rc;
    if (in->amount < 0 || in->amount > POLICY_AMOUNT_MAX)
        return err_field(err, ERR_BAD_REQUEST, "amount", "amount must be within 0..%d",
                         POLICY_AMOUNT_MAX);
    if ((unsigned)in->subject >= POLICY_SUBJECT_COUNT || (unsigned)in->period > POLICY_YEAR ||
        !in->rule)
        return err_set(err, ERR_INTERNAL, "a policy without subject, period or rule");
    return 0;
}

int policy_create(struct store_conn *c, const struct policy_in *in, int64_t now, int64_t *id,
                  struct err *err)
{
    int rc = check_in(in, err);
    if (rc < 0)
        return rc;
    rc = store_one_i64(c,
                       "INSERT INTO policies (name, summary, subject, rule, amount, period,"
                       " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       STORE_ARGS(store_text(in->name), store_text(in->summary ? in->summary : ""),
                                  store_text(policy_subject_name(in->subject)),
                                  store_text(in->rule), store_i64(in->amount),
                                  store_text(PERIODS[in->period]), store_i64(now), store_i64(now)),
                       id, err);
    return rc < 0 ? rc : 0;
}

int policy_update(struct store_conn *c, int64_t id, const struct policy_in *in, int64_t now,
                  struct err *err)
{
    int rc = check_in(in, err);
    if (rc < 0)
        return rc;
    int64_t n =
        store_run(c,
                  "UPDATE policies SET name = ?, summary = ?, subject = ?, rule = ?,"
                  " amount = ?, period = ?, updated_at = ? WHERE id = ?",
                  STORE_ARGS(store_text(in->name), store_text(in->summary ? in->summary : ""),
                             store_text(policy_subject_name(in->subject)), store_text(in->rule),
                             store_i64(in->amount), store_text(PERIODS[in->period]), store_i64(now),
                             store_i64(id)),
                  err);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return err_set(err, ERR_NOT_FOUND, "policy %lld does not exist", (long long)id);
    return 0;
}

int policy_get(struct store_conn *c, int64_t id, struct arena *a, struct policy_rec *out,
               struct err *err)
{
    policy_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " POLICY_COLS " FROM policies WHERE id = ?",
                           STORE_ARGS(store_i64(id)), push_policy, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "policy %lld does not exist", (long long)id);
    *out = v.v[0];
    return 0;
}

int policy_list(struct store_conn *c, int published_only, int subject, struct arena *a,
                struct policy_rec **out, size_t *n, struct err *err)
{
    policy_vec v = VEC_IN(a);
    int64_t rc =
        store_all(c,
                  "SELECT " POLICY_COLS " FROM policies WHERE (? = 0 OR status = 'published')"
                  " AND (? = '' OR subject = ?) ORDER BY id DESC LIMIT ?",
                  STORE_ARGS(store_i64(published_only ? 1 : 0),
                             store_text(subject >= 0 ? policy_subject_name(subject) : ""),
                             store_text(subject >= 0 ? policy_subject_name(subject) : ""),
                             store_i64(POLICY_LIST_MAX)),
                  push_policy, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int policy_publish(struct store_conn *c, int64_t id, int64_t now, struct err *err)
{
    int64_t n = store_run(c,
                          "UPDATE policies SET status = 'published', published_at = ?,"
                          " updated_at = ? WHERE id = ? AND status <> 'published'",
                          STORE_ARGS(store_i64(now), store_i64(now), store_i64(id)), err);
    if (n < 0)
        return (int)n;
    if (n == 0) {
        int rc = store_one(c, "SELECT 1 FROM policies WHERE id = ?", STORE_ARGS(store_i64(id)),
                           NULL, NULL, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return err_set(err, ERR_NOT_FOUND, "policy %lld does not exist", (long long)id);
        return err_field(err, ERR_CONFLICT, "status", "policy %lld is already published",
                         (long long)id);
    }
    return 0;
}

static int copy_label(void *ctx, struct store_stmt *s)
{
    struct policy_node *nd = ctx;
    snprintf(nd->label, sizeof(nd->label), "%s", store_col_text(s, 0));
    return 0;
}

int policy_rule_resolve(struct store_conn *c, struct policy_rule *r, struct err *err)
{
    for (int i = 0; i < r->count; i++) {
        struct policy_node *nd = &r->n[i];
        if (nd->kind != PN_CMP || nd->field != PF_HUKOU)
            continue;
        int rc = store_one(c, "SELECT name FROM regions WHERE code = ?",
                           STORE_ARGS(store_text(nd->text)), copy_label, nd, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return err_field(err, ERR_BAD_REQUEST, "rule", "region '%s' does not exist", nd->text);
    }
    return 0;
}

/* ---- profiles ---- */

static int check_date(int ymd, int today, const char *field, struct err *err)
{
    if (ymd != 0 && (ymd < 19000101 || (today && ymd > today)))
        return err_field(err, ERR_BAD_REQUEST, field, "'%s' must be a date not after today", field);
    return 0;
}

int policy_profile_check(const struct policy_profile *p, int today_ymd, struct err *err)
{
    int rc;
    if ((unsigned)p->subject >= POLICY_SUBJECT_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "subject", "subject must be person or firm");
    if ((rc = utf8_check_field(p->name ? p->name : "", "name", 0, POLICY_NAME_MAX, err)) < 0 ||
        (rc = utf8_check_field(p->industry ? p->industry : "", "industry", 0, POLICY_INDUSTRY_MAX,
                               err)) < 0 ||
        (rc = check_date(p->birth_ymd, today_ymd, "birth_date", err)) < 0 ||
        (rc = check_date(p->registered_ymd, today_ymd, "registered_on", err)) < 0)
        return rc;
    if (p->disability < 0 || p->disability > 4)
        return err_field(err, ERR_BAD_REQUEST, "disability", "disability must be within 0..4");
    if (p->income_band < 0 || p->income_band > 10)
        return err_field(err, ERR_BAD_REQUEST, "income_band", "income_band must be within 0..10");
    if (p->children < 0 || p->children > POLICY_CHILDREN_MAX)
        return err_field(err, ERR_BAD_REQUEST, "children", "children must be within 0..%d",
                         POLICY_CHILDREN_MAX);
    if (p->size < -1 || p->size > 3)
        return err_field(err, ERR_BAD_REQUEST, "size",
                         "size must be micro, small, medium or large");
    if (p->employees < 0 || p->employees > POLICY_EMPLOYEES_MAX)
        return err_field(err, ERR_BAD_REQUEST, "employees", "employees must be within 0..%d",
                         POLICY_EMPLOYEES_MAX);
    if (p->tax < 0 || p->tax > POLICY_TAX_MAX)
        return err_field(err, ERR_BAD_REQUEST, "tax", "tax must be within 0..%lld",
                         (long long)POLICY_TAX_MAX);
    return 0;
}

int policy_profile_region(struct store_conn *c, struct policy_profile *p, struct arena *a,
                          struct err *err)
{
    p->hukou_code = p->hukou_name = "";
    if (!p->hukou_region_id)
        return 0;
    char *code = NULL, *name = NULL;
    int rc = store_one_text(c, "SELECT code FROM regions WHERE id = ?",
                            STORE_ARGS(store_i64(p->hukou_region_id)), a, &code, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_BAD_REQUEST, "hukou_region_id", "region %lld does not exist",
                         (long long)p->hukou_region_id);
    rc = store_one_text(c, "SELECT name FROM regions WHERE id = ?",
                        STORE_ARGS(store_i64(p->hukou_region_id)), a, &name, err);
    if (rc < 0)
        return rc;
    p->hukou_code = code ? code : "";
    p->hukou_name = name ? name : "";
    return 0;
}

static int profile_one(struct store_conn *c, const char *where, struct store_args args,
                       struct arena *a, struct policy_profile *out, struct err *err)
{
    profile_vec v = VEC_IN(a);
    char sql[512];
    snprintf(sql, sizeof(sql), "SELECT " PROFILE_COLS PROFILE_FROM " WHERE %s", where);
    int64_t rc = store_all(c, sql, args, push_profile, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "profile does not exist");
    *out = v.v[0];
    return 0;
}

int policy_profile_get_user(struct store_conn *c, int64_t user_id, enum policy_subject s,
                            struct arena *a, struct policy_profile *out, struct err *err)
{
    return profile_one(c, "p.user_id = ? AND p.subject = ?",
                       STORE_ARGS(store_i64(user_id), store_text(policy_subject_name(s))), a, out,
                       err);
}

int policy_profile_get(struct store_conn *c, int64_t id, struct arena *a,
                       struct policy_profile *out, struct err *err)
{
    return profile_one(c, "p.id = ?", STORE_ARGS(store_i64(id)), a, out, err);
}

int policy_profile_put(struct store_conn *c, const struct policy_profile *p, int64_t now,
                       int64_t *id, struct err *err)
{
    int rc = policy_profile_check(p, 0, err);
    if (rc < 0)
        return rc;
    int64_t cur = 0;
    if (p->user_id) {
        rc = store_one_i64(
            c, "SELECT id FROM policy_profiles WHERE user_id = ? AND subject = ?",
            STORE_ARGS(store_i64(p->user_id), store_text(policy_subject_name(p->subject))), &cur,
            err);
        if (rc < 0)
            return rc;
    }
    struct store_arg vals[] = {
        store_text(p->name ? p->name : ""),
        store_i64(p->birth_ymd),
        store_i64_or_null(p->hukou_region_id),
        store_i64(p->disability),
        store_i64(p->income_band),
        store_i64(p->children),
        store_text(p->industry ? p->industry : ""),
        store_i64(p->size),
        store_i64(p->employees),
        store_i64(p->tax),
        store_i64(p->registered_ymd),
        store_i64(now),
    };
    if (cur) {
        int64_t n =
            store_run(c,
                      "UPDATE policy_profiles SET name = ?, birth_ymd = ?, hukou_region_id = ?,"
                      " disability = ?, income_band = ?, children = ?, industry = ?, size = ?,"
                      " employees = ?, tax = ?, registered_ymd = ?, updated_at = ? WHERE id = ?",
                      STORE_ARGS(vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6],
                                 vals[7], vals[8], vals[9], vals[10], vals[11], store_i64(cur)),
                      err);
        if (n < 0)
            return (int)n;
        *id = cur;
        return 0;
    }
    rc = store_one_i64(
        c,
        "INSERT INTO policy_profiles (subject, user_id, name, birth_ymd, hukou_region_id,"
        " disability, income_band, children, industry, size, employees, tax, registered_ymd,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        STORE_ARGS(store_text(policy_subject_name(p->subject)), store_i64_or_null(p->user_id),
                   vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6], vals[7], vals[8],
                   vals[9], vals[10], vals[11]),
        id, err);
    return rc < 0 ? rc : 0;
}

/* ---- offers ---- */

/* The offer by SMS too (template 'policy') when the citizen agreed to proactive offers in their
 * profile (docs/citizens.md): the people 免申即享 is for are often the ones who never open the
 * app. */
static int text_offer(struct store_conn *c, int64_t user_id, const char *msg, int64_t now,
                      struct err *err)
{
    int rc = store_one(c,
                       "SELECT 1 FROM users u JOIN citizen_profiles cp ON cp.user_id = u.id"
                       " WHERE u.id = ? AND u.active <> 0 AND cp.consent_offers <> 0",
                       STORE_ARGS(store_i64(user_id)), NULL, NULL, err);
    if (rc <= 0)
        return rc;
    return notify_sms_user(c, "policy", user_id, msg, now, err);
}

static int offer_one(struct store_conn *c, const struct policy_rec *policy, int64_t profile_id,
                     int64_t user_id, int64_t now, id_vec *ids, struct err *err)
{
    int64_t offer = 0;
    int rc = store_one_i64(c,
                           "INSERT INTO policy_offers (policy_id, profile_id, amount, created_at)"
                           " VALUES (?, ?, ?, ?) ON CONFLICT (policy_id, profile_id) DO NOTHING"
                           " RETURNING id",
                           STORE_ARGS(store_i64(policy->id), store_i64(profile_id),
                                      store_i64(policy->amount), store_i64(now)),
                           &offer, err);
    if (rc <= 0)
        return rc; /* 0: offered before, nothing new */
    if (user_id) {
        char msg[512];
        int p = (unsigned)policy->period <= POLICY_YEAR ? (int)policy->period : 0;
        snprintf(msg, sizeof(msg), "您符合「%s」，%s %lld 元，无需申请（免申即享）", policy->name,
                 PERIOD_WORDS[p], (long long)policy->amount);
        int64_t note = 0;
        rc = store_one_i64(
            c,
            "INSERT INTO notifications (case_id, event_id, created_at,"
            " recipient_kind, recipient_id, kind, message, next_attempt_at)"
            " VALUES (NULL, NULL, ?, 'user', ?, 'policy_offer', ?, ?) RETURNING id",
            STORE_ARGS(store_i64(now), store_i64(user_id), store_text(msg), store_i64(now)), &note,
            err);
        if (rc < 0)
            return rc;
        int64_t n = store_run(c, "UPDATE policy_offers SET notification_id = ? WHERE id = ?",
                              STORE_ARGS(store_i64(note), store_i64(offer)), err);
        if (n < 0)
            return (int)n;
        if ((rc = text_offer(c, user_id, msg, now, err)) < 0)
            return rc;
    }
    *vec_push(ids) = offer;
    return 1;
}

struct match_ctx {
    const struct policy_rule *rule;
    int today;
    profile_vec hits;
    struct arena *scratch;
};

/* Evaluate each row as it is read; keep only the qualifying ones (ids, users). */
static int match_row(void *ctx, struct store_stmt *s)
{
    struct match_ctx *m = ctx;
    struct policy_profile p;
    read_profile(s, m->scratch, &p);
    if (policy_eval(m->rule, &p, m->today, NULL))
        *vec_push(&m->hits) = p;
    return 0;
}

int policy_offer_all(struct store_conn *c, const struct policy_rec *policy,
                     const struct policy_rule *rule, int today_ymd, int64_t now, struct arena *a,
                     int64_t **ids, size_t *n, struct err *err)
{
    struct match_ctx m = {.rule = rule, .today = today_ymd, .hits = VEC_IN(a), .scratch = a};
    id_vec out = VEC_IN(a);
    /* Profiles already offered this policy are skipped by the query, not re-evaluated. */
    int64_t rc = store_all(
        c,
        "SELECT " PROFILE_COLS PROFILE_FROM " WHERE p.subject = ?"
        " AND NOT EXISTS (SELECT 1 FROM policy_offers o"
        " WHERE o.policy_id = ? AND o.profile_id = p.id) ORDER BY p.id",
        STORE_ARGS(store_text(policy_subject_name(policy->subject)), store_i64(policy->id)),
        match_row, &m, err);
    if (rc < 0)
        return (int)rc;
    for (size_t i = 0; i < m.hits.n; i++) {
        int r = offer_one(c, policy, m.hits.v[i].id, m.hits.v[i].user_id, now, &out, err);
        if (r < 0)
            return r;
    }
    *ids = out.v;
    *n = out.n;
    return 0;
}

int policy_offer_profile(struct store_conn *c, const struct policy_profile *p,
                         const struct policy_rec *policies, const struct policy_rule *rules,
                         size_t npolicies, int today_ymd, int64_t now, struct arena *a,
                         int64_t **ids, size_t *n, struct err *err)
{
    id_vec out = VEC_IN(a);
    for (size_t i = 0; i < npolicies; i++) {
        if (policies[i].status != POLICY_PUBLISHED || !policy_eval(&rules[i], p, today_ymd, NULL))
            continue;
        int r = offer_one(c, &policies[i], p->id, p->user_id, now, &out, err);
        if (r < 0)
            return r;
    }
    *ids = out.v;
    *n = out.n;
    return 0;
}

int policy_offer_get(struct store_conn *c, int64_t id, struct arena *a, struct policy_offer *out,
                     struct err *err)
{
    offer_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " OFFER_COLS OFFER_FROM " WHERE o.id = ?",
                           STORE_ARGS(store_i64(id)), push_offer, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "offer %lld does not exist", (long long)id);
    *out = v.v[0];
    return 0;
}

int policy_offer_list(struct store_conn *c, int64_t user_id, struct arena *a,
                      struct policy_offer **out, size_t *n, struct err *err)
{
    offer_vec v = VEC_IN(a);
    int64_t rc =
        store_all(c,
                  "SELECT " OFFER_COLS OFFER_FROM " WHERE p.user_id = ?"
                  " ORDER BY o.id DESC LIMIT ?",
                  STORE_ARGS(store_i64(user_id), store_i64(POLICY_LIST_MAX)), push_offer, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}
