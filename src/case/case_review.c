/*
 * 办结审核: the rules that say which replies the centre reviews before the citizen gets them
 * (table reply_review_rules, migration 0029), and the reply's branch they decide. A rule is on a
 * category and covers its subtree; the nearest rule up the tree decides, then the default
 * (category 0), then no review. A rule may also say "no review" to exempt a subtree from a
 * default or a parent's rule.
 */
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"

/* The categories are three levels deep (migration 0001): the category, its parent and its
 * grandparent, then the default. */
#define NEEDED_SQL                                                                                 \
    "SELECT coalesce((SELECT review FROM reply_review_rules WHERE category_id = k.id),"            \
    " (SELECT review FROM reply_review_rules WHERE category_id = k.parent_id),"                    \
    " (SELECT review FROM reply_review_rules WHERE category_id = p.parent_id),"                    \
    " (SELECT review FROM reply_review_rules WHERE category_id = 0), 0)"                           \
    " FROM categories k LEFT JOIN categories p ON p.id = k.parent_id WHERE k.id = ?"

int case_review_needed(struct store_conn *c, int64_t category_id, int *needed, struct err *err)
{
    int64_t v = 0;
    int rc = 0;
    if (category_id)
        rc = store_one_i64(c, NEEDED_SQL, STORE_ARGS(store_i64(category_id)), &v, err);
    if (rc == 0)
        rc = store_one_i64(c, "SELECT review FROM reply_review_rules WHERE category_id = 0",
                           STORE_ARGS(), &v, err);
    if (rc < 0)
        return rc;
    *needed = rc == 1 && v != 0;
    return 0;
}

int case_outcome_review(struct case_tx *t, const struct case_rec *r,
                        const struct case_action_in *in)
{
    int needed = 0, rc;
    (void)in;
    if ((rc = case_review_needed(t->env->conn, r->category_id, &needed, t->err)) < 0)
        return rc;
    return needed;
}

/* A reply sent back returns to the state it was given in: rectifying for a rectification. */
int case_outcome_replied_from(struct case_tx *t, const struct case_rec *r,
                              const struct case_action_in *in)
{
    char *from = NULL;
    int rc;
    (void)in;
    if ((rc = store_one_text(
             t->env->conn,
             "SELECT from_state FROM case_events WHERE case_id = ? AND action = 'reply'"
             " ORDER BY id DESC LIMIT 1",
             STORE_ARGS(store_i64(r->id)), &t->arena, &from, t->err)) < 0)
        return rc;
    return from && case_state_from_name(from) == CASE_RECTIFYING;
}

static void read_rule(struct store_stmt *s, struct arena *a, struct case_review_rule *r)
{
    r->category_id = store_col_int(s, 0);
    r->category_name = arena_strdup(a, store_col_text(s, 1));
    r->review = store_col_int(s, 2) != 0;
    r->updated_at = store_col_int(s, 3);
}

#define RULE_SQL                                                                                   \
    "SELECT r.category_id, coalesce(k.name, ''), r.review, r.updated_at FROM reply_review_rules r" \
    " LEFT JOIN categories k ON k.id = r.category_id"

typedef VEC(struct case_review_rule) rule_vec;

static int push_rule(void *ctx, struct store_stmt *row)
{
    rule_vec *v = ctx;
    read_rule(row, v->arena, vec_push(v));
    return 0;
}

int case_review_rule_list(struct store_conn *c, struct arena *a, struct case_review_rule **out,
                          size_t *n, struct err *err)
{
    rule_vec v = VEC_IN(a);
    int64_t rc = store_all(c, RULE_SQL " ORDER BY r.category_id", STORE_ARGS(), push_rule, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

struct one_rule {
    struct arena *a;
    struct case_review_rule *out;
};

static int one_rule(void *ctx, struct store_stmt *row)
{
    struct one_rule *o = ctx;
    read_rule(row, o->a, o->out);
    return 0;
}

int case_review_rule_get(struct store_conn *c, int64_t category_id, struct arena *a,
                         struct case_review_rule *out, struct err *err)
{
    struct one_rule o = {a, out};
    int rc = store_one(c, RULE_SQL " WHERE r.category_id = ?", STORE_ARGS(store_i64(category_id)),
                       one_rule, &o, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "no review rule for category %lld",
                       (long long)category_id);
    return 0;
}

int case_review_rule_set(struct store_conn *c, int64_t category_id, int review, int64_t now,
                         int64_t user_id, struct err *err)
{
    int64_t rc;
    if (category_id < 0)
        return err_field(err, ERR_BAD_REQUEST, "category", "category %lld does not exist",
                         (long long)category_id);
    if (category_id) {
        if ((rc = store_one(c, "SELECT 1 FROM categories WHERE id = ?",
                            STORE_ARGS(store_i64(category_id)), NULL, NULL, err)) < 0)
            return (int)rc;
        if (rc == 0)
            return err_field(err, ERR_BAD_REQUEST, "category", "category %lld does not exist",
                             (long long)category_id);
    }
    rc = store_run(c,
                   "INSERT INTO reply_review_rules(category_id, review, updated_at, updated_by)"
                   " VALUES (?, ?, ?, nullif(?, 0)) ON CONFLICT (category_id) DO UPDATE SET"
                   " review = excluded.review, updated_at = excluded.updated_at,"
                   " updated_by = excluded.updated_by",
                   STORE_ARGS(store_i64(category_id), store_i64(review ? 1 : 0), store_i64(now),
                              store_i64(user_id)),
                   err);
    return rc < 0 ? (int)rc : 0;
}

int case_review_rule_delete(struct store_conn *c, int64_t category_id, struct err *err)
{
    int64_t rc = store_run(c, "DELETE FROM reply_review_rules WHERE category_id = ?",
                           STORE_ARGS(store_i64(category_id)), err);
    if (rc < 0)
        return (int)rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "no review rule for category %lld",
                       (long long)category_id);
    return 0;
}
