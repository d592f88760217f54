/*
 * Public consultations (公开征求意见, migration 0071): a draft put out for comment, residents'
 * comments, the officials' answer to each and the published summary. See particip.h for the
 * rules; who is a resident is particip_sql.h, the same as for a vote.
 */
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "particip/particip.h"
#include "particip/particip_sql.h"
#include "store/store.h"

#define CONSULT_COLS                                                                               \
    "k.id, coalesce(k.policy_id, 0), coalesce(k.region_id, 0), coalesce(r.code, ''),"              \
    " coalesce(r.name, ''), k.title, k.body, k.opens_at, k.closes_at, k.created_at, k.summary,"    \
    " k.published_at,"                                                                             \
    " (SELECT count(*) FROM consultation_comments m WHERE m.consultation_id = k.id),"              \
    " (SELECT count(*) FROM consultation_comments m WHERE m.consultation_id = k.id"                \
    "   AND m.answer <> '')"                                                                       \
    " FROM consultations k LEFT JOIN regions r ON r.id = k.region_id"

typedef VEC(struct particip_consult) consult_vec;
typedef VEC(struct particip_consult_comment) comment_vec;

static int push_consult(void *ctx, struct store_stmt *s)
{
    consult_vec *v = ctx;
    struct arena *a = v->arena;
    struct particip_consult *k = vec_push(v);
    memset(k, 0, sizeof(*k));
    k->id = store_col_int(s, 0);
    k->policy_id = store_col_int(s, 1);
    k->region_id = store_col_int(s, 2);
    k->region_code = arena_strdup(a, store_col_text(s, 3));
    k->region_name = arena_strdup(a, store_col_text(s, 4));
    k->title = arena_strdup(a, store_col_text(s, 5));
    k->body = arena_strdup(a, store_col_text(s, 6));
    k->opens_at = store_col_int(s, 7);
    k->closes_at = store_col_int(s, 8);
    k->created_at = store_col_int(s, 9);
    k->summary = arena_strdup(a, store_col_text(s, 10));
    k->published_at = store_col_int(s, 11);
    k->comments = store_col_int(s, 12);
    k->answered = store_col_int(s, 13);
    return 0;
}

static int push_comment(void *ctx, struct store_stmt *s)
{
    comment_vec *v = ctx;
    struct arena *a = v->arena;
    struct particip_consult_comment *m = vec_push(v);
    m->id = store_col_int(s, 0);
    m->user_id = store_col_int(s, 1);
    /* Only the mask leaves this module: the full name is never in a returned record. */
    m->author = particip_consult_mask_name(store_col_text(s, 2), a);
    m->body = arena_strdup(a, store_col_text(s, 3));
    m->created_at = store_col_int(s, 4);
    m->answer = arena_strdup(a, store_col_text(s, 5));
    m->reason = arena_strdup(a, store_col_text(s, 6));
    m->answered_at = store_col_int(s, 7);
    return 0;
}

const char *particip_consult_mask_name(const char *name, struct arena *a)
{
    size_t n = name ? strlen(name) : 0;
    size_t first = n ? utf8_seq(name, n) : 0;
    char *out = arena_alloc(a, first + 2);
    if (first)
        memcpy(out, name, first);
    out[first] = '*';
    out[first + 1] = '\0';
    return out;
}

int particip_consult_create(struct store_conn *c, const struct particip_consult_in *in, int64_t by,
                            int64_t now, int64_t *id, struct err *err)
{
    struct arena a;
    const char *title = in->title, *body = in->body;
    int rc = 0;
    arena_init(&a, 1024);
    if (in->policy_id) {
        char *status = NULL, *name = NULL, *summary = NULL;
        rc = store_one_text(c, "SELECT status FROM policies WHERE id = ?",
                            STORE_ARGS(store_i64(in->policy_id)), &a, &status, err);
        if (rc == 0)
            rc = err_field(err, ERR_BAD_REQUEST, "policy_id", "policy %lld does not exist",
                           (long long)in->policy_id);
        else if (rc > 0 && strcmp(status, "draft") != 0)
            /* A consultation asks about a text that may still change: a published or
             * withdrawn policy is past that. */
            rc = err_field(err, ERR_CONFLICT, "policy_id", "policy %lld is not a draft",
                           (long long)in->policy_id);
        if (rc >= 0 && !title &&
            (rc = store_one_text(c, "SELECT name FROM policies WHERE id = ?",
                                 STORE_ARGS(store_i64(in->policy_id)), &a, &name, err)) >= 0)
            title = name;
        if (rc >= 0 && !body &&
            (rc = store_one_text(c, "SELECT summary FROM policies WHERE id = ?",
                                 STORE_ARGS(store_i64(in->policy_id)), &a, &summary, err)) >= 0)
            body = summary;
        if (rc < 0)
            goto out;
    }
    if ((rc = utf8_check_field(title, "title", 1, PARTICIP_CONSULT_TITLE_MAX, err)) < 0 ||
        (rc = utf8_check_field(body, "body", 1, PARTICIP_CONSULT_BODY_MAX, err)) < 0)
        goto out;
    if (in->region_id) {
        rc = store_one(c, "SELECT 1 FROM regions WHERE id = ? AND level IN ('street', 'community')",
                       STORE_ARGS(store_i64(in->region_id)), NULL, NULL, err);
        if (rc == 0)
            rc = err_field(err, ERR_BAD_REQUEST, "region_id",
                           "region %lld is not a street or a community", (long long)in->region_id);
        if (rc < 0)
            goto out;
    }
    if (in->closes_at <= in->opens_at || in->closes_at <= now) {
        rc = err_field(err, ERR_BAD_REQUEST, "closes_at",
                       "the close must be after the opening and in the future");
        goto out;
    }
    if (in->closes_at - in->opens_at > (int64_t)PARTICIP_CONSULT_MAX_DAYS * 86400) {
        rc = err_field(err, ERR_BAD_REQUEST, "closes_at",
                       "a consultation may stay open %d days at most", PARTICIP_CONSULT_MAX_DAYS);
        goto out;
    }
    rc = store_one_i64(c,
                       "INSERT INTO consultations (policy_id, title, body, region_id, opens_at,"
                       " closes_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                       " RETURNING id",
                       STORE_ARGS(store_i64_or_null(in->policy_id), store_text(title),
                                  store_text(body), store_i64_or_null(in->region_id),
                                  store_i64(in->opens_at), store_i64(in->closes_at), store_i64(by),
                                  store_i64(now)),
                       id, err);
out:
    arena_release(&a);
    return rc < 0 ? rc : 0;
}

int particip_consult_get(struct store_conn *c, int64_t id, struct arena *a,
                         struct particip_consult *out, struct err *err)
{
    consult_vec v = VEC_IN(a);
    comment_vec m = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " CONSULT_COLS " WHERE k.id = ?", STORE_ARGS(store_i64(id)),
                           push_consult, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "consultation %lld does not exist", (long long)id);
    rc = store_all(c,
                   "SELECT m.id, m.user_id, coalesce(nullif(u.display_name, ''), u.name), m.body,"
                   " m.created_at, m.answer, m.reason, m.answered_at FROM consultation_comments m"
                   " JOIN users u ON u.id = m.user_id WHERE m.consultation_id = ?"
                   " ORDER BY m.id LIMIT ?",
                   STORE_ARGS(store_i64(id), store_i64(PARTICIP_CONSULT_COMMENTS_MAX)),
                   push_comment, &m, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v[0];
    out->c = m.v;
    out->nc = m.n;
    return 0;
}

int particip_consult_list(struct store_conn *c, struct arena *a, struct particip_consult **out,
                          size_t *n, struct err *err)
{
    consult_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " CONSULT_COLS " ORDER BY k.id DESC LIMIT ?",
                           STORE_ARGS(store_i64(PARTICIP_CONSULT_LIST_MAX)), push_consult, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int particip_consult_is_resident(struct store_conn *c, int64_t region_id, int64_t user_id,
                                 struct err *err)
{
    /* City-wide: every active citizen account; the region join is then left out, so a citizen
     * without a region (not yet a resident anywhere) may still comment. */
    if (!region_id)
        return store_one(c,
                         "SELECT 1 FROM users u WHERE u.id = ? AND u.active <> 0"
                         " AND (',' || u.roles || ',') LIKE '%,citizen,%'",
                         STORE_ARGS(store_i64(user_id)), NULL, NULL, err);
    return store_one(c,
                     "SELECT 1 FROM users u" RESIDENT_REGION
                     " JOIN regions s ON s.id = ? WHERE u.id = ? AND" RESIDENT_OF_S,
                     STORE_ARGS(store_i64(region_id), store_i64(user_id)), NULL, NULL, err);
}

int particip_consult_user_comments(struct store_conn *c, int64_t id, int64_t user_id, int64_t *n,
                                   struct err *err)
{
    int rc = store_one_i64(c,
                           "SELECT count(*) FROM consultation_comments WHERE consultation_id = ?"
                           " AND user_id = ?",
                           STORE_ARGS(store_i64(id), store_i64(user_id)), n, err);
    return rc < 0 ? rc : 0;
}

struct times {
    int64_t region_id, opens_at, closes_at, published_at;
};

static int read_times(void *ctx, struct store_stmt *s)
{
    struct times *t = ctx;
    t->region_id = store_col_int(s, 0);
    t->opens_at = store_col_int(s, 1);
    t->closes_at = store_col_int(s, 2);
    t->published_at = store_col_int(s, 3);
    return 0;
}

static int load_times(struct store_conn *c, int64_t id, struct times *t, struct err *err)
{
    int rc = store_one(c,
                       "SELECT coalesce(region_id, 0), opens_at, closes_at, published_at"
                       " FROM consultations WHERE id = ?",
                       STORE_ARGS(store_i64(id)), read_times, t, err);
    if (rc < 0)
        return rc;
    return rc ? 0 : err_set(err, ERR_NOT_FOUND, "consultation %lld does not exist", (long long)id);
}

int particip_consult_comment(struct store_conn *c, int64_t id, int64_t user_id, const char *body,
                             int64_t now, int64_t *comment_id, struct err *err)
{
    struct times t;
    int64_t mine = 0;
    int rc = utf8_check_field(body, "body", 1, PARTICIP_CONSULT_COMMENT_MAX, err);
    if (rc < 0 || (rc = load_times(c, id, &t, err)) < 0)
        return rc;
    if (now < t.opens_at)
        return err_field(err, ERR_CONFLICT, "consultation", "the consultation has not opened yet");
    if (now >= t.closes_at || t.published_at)
        return err_field(err, ERR_CONFLICT, "consultation", "the consultation has closed");
    if ((rc = particip_consult_is_resident(c, t.region_id, user_id, err)) < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_FORBIDDEN, "region_id",
                         "only residents of the consultation's area may comment");
    /* Read and insert under the caller's write transaction: two concurrent comments of one
     * account are serialised, so the cap holds. */
    if ((rc = particip_consult_user_comments(c, id, user_id, &mine, err)) < 0)
        return rc;
    if (mine >= PARTICIP_CONSULT_COMMENTS_PER_USER)
        return err_field(err, ERR_CONFLICT, "comments_per_user",
                         "an account may comment %d times on one consultation",
                         PARTICIP_CONSULT_COMMENTS_PER_USER);
    rc = store_one_i64(
        c,
        "INSERT INTO consultation_comments (consultation_id, user_id, body,"
        " created_at) VALUES (?, ?, ?, ?) RETURNING id",
        STORE_ARGS(store_i64(id), store_i64(user_id), store_text(body), store_i64(now)), comment_id,
        err);
    return rc < 0 ? rc : 0;
}

int particip_consult_answer(struct store_conn *c, int64_t id, int64_t comment_id,
                            const char *answer, const char *reason, int64_t by, int64_t now,
                            struct err *err)
{
    struct times t;
    int rc;
    if (!answer || (strcmp(answer, "adopted") != 0 && strcmp(answer, "partly") != 0 &&
                    strcmp(answer, "not_adopted") != 0))
        return err_field(err, ERR_BAD_REQUEST, "answer",
                         "answer must be adopted, partly or not_adopted");
    if ((rc = utf8_check_field(reason, "reason", 1, PARTICIP_CONSULT_REASON_MAX, err)) < 0 ||
        (rc = load_times(c, id, &t, err)) < 0)
        return rc;
    if (t.published_at)
        return err_field(err, ERR_CONFLICT, "published_at", "the summary is already published");
    /* Answers weigh all the comments together, so they wait until no more can come. */
    if (now < t.closes_at)
        return err_field(err, ERR_CONFLICT, "closes_at", "the consultation has not closed yet");
    int64_t n = store_run(c,
                          "UPDATE consultation_comments SET answer = ?, reason = ?,"
                          " answered_by = ?, answered_at = ? WHERE id = ? AND consultation_id = ?",
                          STORE_ARGS(store_text(answer), store_text(reason), store_i64(by),
                                     store_i64(now), store_i64(comment_id), store_i64(id)),
                          err);
    if (n < 0)
        return (int)n;
    return n ? 0
             : err_set(err, ERR_NOT_FOUND, "comment %lld of consultation %lld does not exist",
                       (long long)comment_id, (long long)id);
}

int particip_consult_publish(struct store_conn *c, int64_t id, const char *summary, int64_t by,
                             int64_t now, struct err *err)
{
    struct times t;
    int64_t open = 0;
    int rc = utf8_check_field(summary, "summary", 1, PARTICIP_CONSULT_SUMMARY_MAX, err);
    if (rc < 0 || (rc = load_times(c, id, &t, err)) < 0)
        return rc;
    if (t.published_at)
        return err_field(err, ERR_CONFLICT, "published_at", "the summary is already published");
    if (now < t.closes_at)
        return err_field(err, ERR_CONFLICT, "closes_at", "the consultation has not closed yet");
    if ((rc = store_one_i64(c,
                            "SELECT count(*) FROM consultation_comments WHERE consultation_id = ?"
                            " AND answer = ''",
                            STORE_ARGS(store_i64(id)), &open, err)) < 0)
        return rc;
    if (open)
        return err_field(err, ERR_CONFLICT, "comments", "comments without an answer: %lld",
                         (long long)open);
    int64_t n = store_run(
        c,
        "UPDATE consultations SET summary = ?, published_at = ?,"
        " published_by = ? WHERE id = ? AND published_at = 0",
        STORE_ARGS(store_text(summary), store_i64(now), store_i64(by), store_i64(id)), err);
    if (n < 0)
        return (int)n;
    return n ? 0 : err_field(err, ERR_CONFLICT, "published_at", "the summary is already published");
}
