/*
 * Proposals, moderation, polls and the participation rate (migration 0067). See particip.h for
 * who is a resident, how one vote per resident is kept and why a secret ballot is unlinkable.
 */
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "particip/particip.h"
#include "particip/particip_sql.h"
#include "store/store.h"

#define PROP_COLS                                                                                  \
    "p.id, p.region_id, r.code, r.name, p.title, p.body, p.author_id,"                             \
    " coalesce(nullif(a.display_name, ''), a.name), p.status, p.hidden, p.hide_reason, p.appeal,"  \
    " p.created_at, p.updated_at, coalesce(v.id, 0), coalesce(v.opens_at, 0),"                     \
    " coalesce(v.closes_at, 0), coalesce(v.quorum_pct, 0), coalesce(v.secret, 0),"                 \
    " coalesce(v.published_at, 0), coalesce(v.eligible, 0), coalesce(v.outcome, ''),"              \
    " (SELECT count(*) FROM poll_voters pv WHERE pv.poll_id = v.id),"                              \
    " coalesce((SELECT t.n FROM poll_tally t WHERE t.poll_id = v.id AND t.choice = 'yes'"          \
    "   AND v.published_at <> 0), 0),"                                                             \
    " coalesce((SELECT t.n FROM poll_tally t WHERE t.poll_id = v.id AND t.choice = 'no'"           \
    "   AND v.published_at <> 0), 0),"                                                             \
    " coalesce((SELECT t.n FROM poll_tally t WHERE t.poll_id = v.id AND t.choice = 'abstain'"      \
    "   AND v.published_at <> 0), 0),"                                                             \
    " p.project_status, p.project_note, p.project_at"
#define PROP_FROM                                                                                  \
    " FROM proposals p JOIN regions r ON r.id = p.region_id JOIN users a ON a.id = p.author_id"    \
    " LEFT JOIN polls v ON v.proposal_id = p.id"

typedef VEC(struct particip_proposal) prop_vec;
typedef VEC(struct particip_rate) rate_vec;
typedef VEC(int) int_vec;

struct prop_rows {
    prop_vec v;
    int_vec voted;
};

static void read_prop(struct store_stmt *s, struct arena *a, struct particip_proposal *p)
{
    p->id = store_col_int(s, 0);
    p->region_id = store_col_int(s, 1);
    p->region_code = arena_strdup(a, store_col_text(s, 2));
    p->region_name = arena_strdup(a, store_col_text(s, 3));
    p->title = arena_strdup(a, store_col_text(s, 4));
    p->body = arena_strdup(a, store_col_text(s, 5));
    p->author_id = store_col_int(s, 6);
    p->author_name = arena_strdup(a, store_col_text(s, 7));
    p->status = arena_strdup(a, store_col_text(s, 8));
    p->hidden = store_col_int(s, 9) != 0;
    p->hide_reason = arena_strdup(a, store_col_text(s, 10));
    p->appeal = arena_strdup(a, store_col_text(s, 11));
    p->created_at = store_col_int(s, 12);
    p->updated_at = store_col_int(s, 13);
    p->poll_id = store_col_int(s, 14);
    p->opens_at = store_col_int(s, 15);
    p->closes_at = store_col_int(s, 16);
    p->quorum_pct = store_col_int(s, 17);
    p->secret = store_col_int(s, 18) != 0;
    p->published_at = store_col_int(s, 19);
    p->eligible = store_col_int(s, 20);
    p->outcome = arena_strdup(a, store_col_text(s, 21));
    p->voters = store_col_int(s, 22);
    p->yes = store_col_int(s, 23);
    p->no = store_col_int(s, 24);
    p->abstain = store_col_int(s, 25);
    p->project_status = arena_strdup(a, store_col_text(s, 26));
    p->project_note = arena_strdup(a, store_col_text(s, 27));
    p->project_at = store_col_int(s, 28);
}

static int push_prop(void *ctx, struct store_stmt *row)
{
    struct prop_rows *r = ctx;
    read_prop(row, r->v.arena, vec_push(&r->v));
    *vec_push(&r->voted) = store_col_int(row, 29) != 0;
    return 0;
}

static int check_text(const char *title, const char *body, struct err *err)
{
    int rc = utf8_check_field(title, "title", 1, PARTICIP_TITLE_MAX, err);
    return rc < 0 ? rc : utf8_check_field(body, "body", 1, PARTICIP_BODY_MAX, err);
}

int particip_proposal_create(struct store_conn *c, int64_t region_id, const char *title,
                             const char *body, int64_t author_id, int resident, int64_t now,
                             int64_t *id, struct err *err)
{
    int rc;
    if ((rc = check_text(title, body, err)) < 0)
        return rc;
    rc = store_one(c, "SELECT 1 FROM regions WHERE id = ? AND level IN ('street', 'community')",
                   STORE_ARGS(store_i64(region_id)), NULL, NULL, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_BAD_REQUEST, "region_id",
                         "region %lld is not a street or a community", (long long)region_id);
    if (resident) {
        rc = store_one(c,
                       "SELECT 1 FROM users u" RESIDENT_REGION
                       " JOIN regions s ON s.id = ? WHERE u.id = ? AND" RESIDENT_OF_S,
                       STORE_ARGS(store_i64(region_id), store_i64(author_id)), NULL, NULL, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return err_field(err, ERR_BAD_REQUEST, "region_id",
                             "you are not a resident of region %lld", (long long)region_id);
    }
    rc = store_one_i64(c,
                       "INSERT INTO proposals (region_id, title, body, author_id, created_at,"
                       " updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                       STORE_ARGS(store_i64(region_id), store_text(title), store_text(body),
                                  store_i64(author_id), store_i64(now), store_i64(now)),
                       id, err);
    return rc < 0 ? rc : 0;
}

int particip_proposal_get(struct store_conn *c, int64_t id, struct arena *a,
                          struct particip_proposal *out, struct err *err)
{
    struct prop_rows r = {VEC_IN(a), VEC_IN(a)};
    int64_t rc = store_all(c, "SELECT " PROP_COLS ", 0" PROP_FROM " WHERE p.id = ?",
                           STORE_ARGS(store_i64(id)), push_prop, &r, err);
    if (rc < 0)
        return (int)rc;
    if (!r.v.n)
        return err_set(err, ERR_NOT_FOUND, "proposal %lld does not exist", (long long)id);
    *out = r.v.v[0];
    return 0;
}

int particip_resident_code(struct store_conn *c, int64_t user_id, struct arena *a,
                           const char **code, struct err *err)
{
    char *text = NULL;
    int rc = store_one_text(c, "SELECT ur.code FROM users u" RESIDENT_REGION " WHERE u.id = ?",
                            STORE_ARGS(store_i64(user_id)), a, &text, err);
    if (rc < 0)
        return rc;
    *code = rc && text ? text : "";
    return 0;
}

int particip_proposal_list(struct store_conn *c, const char *viewer_code, int64_t viewer_id,
                           struct arena *a, struct particip_proposal **out, int **voted, size_t *n,
                           struct err *err)
{
    struct prop_rows r = {VEC_IN(a), VEC_IN(a)};
    int64_t rc = store_all(
        c,
        "SELECT " PROP_COLS ", (SELECT count(*) FROM poll_voters pv WHERE pv.poll_id = v.id"
        " AND pv.user_id = ?)" PROP_FROM
        " WHERE ? = 1 OR p.author_id = ? OR (p.hidden = 0 AND ? <> '' AND ? LIKE r.code || '%')"
        " ORDER BY p.id DESC LIMIT ?",
        STORE_ARGS(store_i64(viewer_id), store_i64(viewer_code ? 0 : 1), store_i64(viewer_id),
                   store_text(viewer_code ? viewer_code : ""),
                   store_text(viewer_code ? viewer_code : ""), store_i64(PARTICIP_LIST_MAX)),
        push_prop, &r, err);
    if (rc < 0)
        return (int)rc;
    *out = r.v.v;
    if (voted)
        *voted = r.voted.v;
    *n = r.v.n;
    return 0;
}

int particip_proposal_hide(struct store_conn *c, int64_t id, const char *reason, int64_t by,
                           int64_t now, struct err *err)
{
    int rc = utf8_check_field(reason, "reason", 1, PARTICIP_REASON_MAX, err);
    if (rc < 0)
        return rc;
    int64_t n = store_run(
        c,
        "UPDATE proposals SET hidden = 1, hide_reason = ?, hidden_by = ?,"
        " updated_at = ? WHERE id = ?",
        STORE_ARGS(store_text(reason), store_i64(by), store_i64(now), store_i64(id)), err);
    if (n < 0)
        return (int)n;
    return n ? 0 : err_set(err, ERR_NOT_FOUND, "proposal %lld does not exist", (long long)id);
}

int particip_proposal_restore(struct store_conn *c, int64_t id, int64_t now, struct err *err)
{
    int64_t n = store_run(c,
                          "UPDATE proposals SET hidden = 0, hide_reason = '', hidden_by = NULL,"
                          " updated_at = ? WHERE id = ?",
                          STORE_ARGS(store_i64(now), store_i64(id)), err);
    if (n < 0)
        return (int)n;
    return n ? 0 : err_set(err, ERR_NOT_FOUND, "proposal %lld does not exist", (long long)id);
}

int particip_proposal_appeal(struct store_conn *c, int64_t id, int64_t user_id, const char *text,
                             int64_t now, struct err *err)
{
    int64_t author = 0, hidden = 0;
    int rc = utf8_check_field(text, "text", 1, PARTICIP_REASON_MAX, err);
    if (rc < 0)
        return rc;
    rc = store_one_i64(c, "SELECT author_id FROM proposals WHERE id = ?", STORE_ARGS(store_i64(id)),
                       &author, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "proposal %lld does not exist", (long long)id);
    if (author != user_id)
        return err_set(err, ERR_FORBIDDEN, "only the author may appeal proposal %lld",
                       (long long)id);
    if ((rc = store_one_i64(c, "SELECT hidden FROM proposals WHERE id = ?",
                            STORE_ARGS(store_i64(id)), &hidden, err)) < 0)
        return rc;
    if (!hidden)
        return err_field(err, ERR_CONFLICT, "hidden", "proposal %lld is not hidden", (long long)id);
    int64_t n = store_run(c, "UPDATE proposals SET appeal = ?, updated_at = ? WHERE id = ?",
                          STORE_ARGS(store_text(text), store_i64(now), store_i64(id)), err);
    return n < 0 ? (int)n : 0;
}

int particip_poll_open(struct store_conn *c, int64_t proposal_id, int64_t opens_at,
                       int64_t closes_at, int64_t quorum_pct, int secret, int64_t by, int64_t now,
                       struct err *err)
{
    int rc;
    if (quorum_pct < 0 || quorum_pct > 100)
        return err_field(err, ERR_BAD_REQUEST, "quorum_pct", "quorum must be within 0..100");
    if (closes_at <= opens_at || closes_at <= now)
        return err_field(err, ERR_BAD_REQUEST, "closes_at",
                         "the close must be after the opening and in the future");
    if (closes_at - opens_at > (int64_t)PARTICIP_POLL_MAX_DAYS * 86400)
        return err_field(err, ERR_BAD_REQUEST, "closes_at", "a poll may stay open %d days at most",
                         PARTICIP_POLL_MAX_DAYS);
    int64_t state = 0; /* 1: already had a poll, 2: hidden */
    rc = store_one_i64(c,
                       "SELECT CASE WHEN status <> 'open' THEN 1 WHEN hidden <> 0 THEN 2 ELSE 0"
                       " END FROM proposals WHERE id = ?",
                       STORE_ARGS(store_i64(proposal_id)), &state, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "proposal %lld does not exist", (long long)proposal_id);
    if (state == 1)
        return err_field(err, ERR_CONFLICT, "status", "proposal %lld already had its poll",
                         (long long)proposal_id);
    if (state == 2)
        return err_field(err, ERR_CONFLICT, "status", "proposal %lld is hidden",
                         (long long)proposal_id);
    int64_t poll;
    rc = store_one_i64(c,
                       "INSERT INTO polls (proposal_id, opens_at, closes_at, quorum_pct, secret,"
                       " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       STORE_ARGS(store_i64(proposal_id), store_i64(opens_at), store_i64(closes_at),
                                  store_i64(quorum_pct), store_i64(secret ? 1 : 0), store_i64(by),
                                  store_i64(now)),
                       &poll, err);
    if (rc < 0)
        return rc;
    int64_t n = store_run(c,
                          "INSERT INTO poll_tally (poll_id, choice) VALUES (?, 'yes'), (?, 'no'),"
                          " (?, 'abstain')",
                          STORE_ARGS(store_i64(poll), store_i64(poll), store_i64(poll)), err);
    if (n < 0)
        return (int)n;
    n = store_run(c, "UPDATE proposals SET status = 'voting', updated_at = ? WHERE id = ?",
                  STORE_ARGS(store_i64(now), store_i64(proposal_id)), err);
    return n < 0 ? (int)n : 0;
}

struct poll_row {
    int64_t id, region_id, opens_at, closes_at, secret, published_at, quorum_pct;
};

static int read_poll(void *ctx, struct store_stmt *s)
{
    struct poll_row *p = ctx;
    p->id = store_col_int(s, 0);
    p->region_id = store_col_int(s, 1);
    p->opens_at = store_col_int(s, 2);
    p->closes_at = store_col_int(s, 3);
    p->secret = store_col_int(s, 4);
    p->published_at = store_col_int(s, 5);
    p->quorum_pct = store_col_int(s, 6);
    return 0;
}

static int load_poll(struct store_conn *c, int64_t proposal_id, struct poll_row *p, struct err *err)
{
    int rc = store_one(c,
                       "SELECT v.id, p.region_id, v.opens_at, v.closes_at, v.secret,"
                       " v.published_at, v.quorum_pct FROM polls v JOIN proposals p"
                       " ON p.id = v.proposal_id WHERE v.proposal_id = ?",
                       STORE_ARGS(store_i64(proposal_id)), read_poll, p, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_CONFLICT, "poll", "proposal %lld has no poll",
                         (long long)proposal_id);
    return 0;
}

int particip_vote(struct store_conn *c, int64_t proposal_id, int64_t user_id, const char *choice,
                  int64_t now, struct err *err)
{
    struct poll_row p;
    int rc;
    if (!choice ||
        (strcmp(choice, "yes") != 0 && strcmp(choice, "no") != 0 && strcmp(choice, "abstain") != 0))
        return err_field(err, ERR_BAD_REQUEST, "choice", "choice must be yes, no or abstain");
    if ((rc = load_poll(c, proposal_id, &p, err)) < 0)
        return rc;
    if (now < p.opens_at)
        return err_field(err, ERR_CONFLICT, "poll", "the poll has not opened yet");
    if (now >= p.closes_at || p.published_at)
        return err_field(err, ERR_CONFLICT, "poll", "the poll has closed");
    rc = store_one(c,
                   "SELECT 1 FROM users u" RESIDENT_REGION
                   " JOIN regions s ON s.id = ? WHERE u.id = ? AND" RESIDENT_OF_S,
                   STORE_ARGS(store_i64(p.region_id), store_i64(user_id)), NULL, NULL, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_FORBIDDEN, "region",
                         "only residents of the proposal's area may vote");
    /* The UNIQUE (poll_id, user_id) decides: a second vote inserts nothing. */
    int64_t n =
        store_run(c,
                  "INSERT INTO poll_voters (poll_id, user_id, choice, at) VALUES (?, ?, ?, ?)"
                  " ON CONFLICT (poll_id, user_id) DO NOTHING",
                  STORE_ARGS(store_i64(p.id), store_i64(user_id),
                             p.secret ? store_null() : store_text(choice), store_i64(now)),
                  err);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return err_field(err, ERR_CONFLICT, "voted", "you have already voted on this proposal");
    n = store_run(c, "UPDATE poll_tally SET n = n + 1 WHERE poll_id = ? AND choice = ?",
                  STORE_ARGS(store_i64(p.id), store_text(choice)), err);
    if (n < 0)
        return (int)n;
    if (n != 1)
        BUG("poll %lld has no tally row for '%s'", (long long)p.id, choice);
    return 0;
}

const char *particip_outcome(int64_t eligible, int64_t voters, int64_t quorum_pct, int64_t yes,
                             int64_t no)
{
    if (voters <= 0 || voters * 100 < quorum_pct * eligible)
        return "no_quorum";
    return yes > no ? "adopted" : "rejected";
}

int particip_publish(struct store_conn *c, int64_t proposal_id, int64_t now, struct err *err)
{
    struct poll_row p;
    int64_t eligible = 0, voters = 0, yes = 0, no = 0;
    int rc;
    if ((rc = load_poll(c, proposal_id, &p, err)) < 0)
        return rc;
    if (p.published_at)
        return err_field(err, ERR_CONFLICT, "poll", "the results are already published");
    if (now < p.closes_at)
        return err_field(err, ERR_CONFLICT, "closes_at", "the poll has not closed yet");
    if ((rc = store_one_i64(c,
                            "SELECT count(*) FROM users u" RESIDENT_REGION
                            " JOIN regions s ON s.id = ? WHERE" RESIDENT_OF_S,
                            STORE_ARGS(store_i64(p.region_id)), &eligible, err)) < 0 ||
        (rc = store_one_i64(c, "SELECT count(*) FROM poll_voters WHERE poll_id = ?",
                            STORE_ARGS(store_i64(p.id)), &voters, err)) < 0 ||
        (rc = store_one_i64(c, "SELECT n FROM poll_tally WHERE poll_id = ? AND choice = 'yes'",
                            STORE_ARGS(store_i64(p.id)), &yes, err)) < 0 ||
        (rc = store_one_i64(c, "SELECT n FROM poll_tally WHERE poll_id = ? AND choice = 'no'",
                            STORE_ARGS(store_i64(p.id)), &no, err)) < 0)
        return rc;
    const char *outcome = particip_outcome(eligible, voters, p.quorum_pct, yes, no);
    int64_t n = store_run(
        c,
        "UPDATE polls SET published_at = ?, eligible = ?, outcome = ?"
        " WHERE id = ?",
        STORE_ARGS(store_i64(now), store_i64(eligible), store_text(outcome), store_i64(p.id)), err);
    if (n < 0)
        return (int)n;
    n = store_run(c, "UPDATE proposals SET status = ?, updated_at = ? WHERE id = ?",
                  STORE_ARGS(store_text(outcome), store_i64(now), store_i64(proposal_id)), err);
    return n < 0 ? (int)n : 0;
}

static int project_rank(const char *status)
{
    static const char *const order[] = {"", "planned", "in_progress", "done"};
    for (int i = 0; i < 4; i++)
        if (strcmp(status, order[i]) == 0)
            return i;
    return -1;
}

int particip_project_set(struct store_conn *c, int64_t id, const char *status, const char *note,
                         int64_t now, struct err *err)
{
    struct arena a;
    char *cur = NULL;
    int rank = status ? project_rank(status) : -1;
    if (rank < 1)
        return err_field(err, ERR_BAD_REQUEST, "status",
                         "status must be planned, in_progress or done");
    int rc = utf8_check_field(note, "note", 0, PARTICIP_REASON_MAX, err);
    if (rc < 0)
        return rc;
    arena_init(&a, 256);
    rc = store_one_text(c,
                        "SELECT CASE WHEN status = 'adopted' THEN project_status ELSE 'x' END"
                        " FROM proposals WHERE id = ?",
                        STORE_ARGS(store_i64(id)), &a, &cur, err);
    if (rc == 0)
        rc = err_set(err, ERR_NOT_FOUND, "proposal %lld does not exist", (long long)id);
    else if (rc > 0 && strcmp(cur, "x") == 0)
        rc = err_field(err, ERR_CONFLICT, "status", "proposal %lld was not adopted", (long long)id);
    else if (rc > 0 && project_rank(cur) > rank)
        rc = err_field(err, ERR_CONFLICT, "status", "a project's status does not go back");
    arena_release(&a);
    if (rc < 0)
        return rc;
    int64_t n =
        store_run(c,
                  "UPDATE proposals SET project_status = ?, project_note = ?, project_at = ?,"
                  " updated_at = ? WHERE id = ?",
                  STORE_ARGS(store_text(status), store_text(note ? note : ""), store_i64(now),
                             store_i64(now), store_i64(id)),
                  err);
    return n < 0 ? (int)n : 0;
}

static int push_rate(void *ctx, struct store_stmt *s)
{
    rate_vec *v = ctx;
    struct particip_rate *r = vec_push(v);
    r->region_id = store_col_int(s, 0);
    r->code = arena_strdup(v->arena, store_col_text(s, 1));
    r->name = arena_strdup(v->arena, store_col_text(s, 2));
    r->residents = store_col_int(s, 3);
    r->voters = store_col_int(s, 4);
    return 0;
}

int particip_rates(struct store_conn *c, struct arena *a, struct particip_rate **out, size_t *n,
                   struct err *err)
{
    rate_vec v = VEC_IN(a);
    int64_t rc =
        store_all(c,
                  "SELECT s.id, s.code, s.name,"
                  " (SELECT count(*) FROM users u" RESIDENT_REGION " WHERE" RESIDENT_OF_S "),"
                  " (SELECT count(*) FROM users u" RESIDENT_REGION " WHERE" RESIDENT_OF_S
                  "   AND EXISTS (SELECT 1 FROM poll_voters pv WHERE pv.user_id = u.id))"
                  " FROM regions s WHERE s.level = 'community' ORDER BY s.code",
                  STORE_NO_ARGS, push_rate, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}
