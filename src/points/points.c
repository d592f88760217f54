/*
 * The points bank: rules, the redemption catalogue and the append-only ledger (migration 0061).
 * See points.h for why a balance is a sum and how a redemption cannot overspend.
 */
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "points/points.h"
#include "store/store.h"

#define RULE_COLS "id, code, name, points, active, updated_at"
#define ITEM_COLS "id, name, cost, stock, active, created_at"
#define ENTRY_COLS                                                                                 \
    "l.id, l.user_id, l.delta, coalesce(l.rule_id, 0), coalesce(l.item_id, 0),"                    \
    " coalesce(l.by_user, 0), coalesce(r.name, ''), coalesce(i.name, ''), l.note, l.at"
#define ENTRY_FROM                                                                                 \
    " FROM points_ledger l LEFT JOIN points_rules r ON r.id = l.rule_id"                           \
    " LEFT JOIN points_items i ON i.id = l.item_id"

typedef VEC(struct points_rule) rule_vec;
typedef VEC(struct points_item) item_vec;
typedef VEC(struct points_entry) entry_vec;

static void read_rule(struct store_stmt *s, struct arena *a, struct points_rule *r)
{
    r->id = store_col_int(s, 0);
    r->code = arena_strdup(a, store_col_text(s, 1));
    r->name = arena_strdup(a, store_col_text(s, 2));
    r->points = store_col_int(s, 3);
    r->active = store_col_int(s, 4) != 0;
    r->updated_at = store_col_int(s, 5);
}

static void read_item(struct store_stmt *s, struct arena *a, struct points_item *it)
{
    it->id = store_col_int(s, 0);
    it->name = arena_strdup(a, store_col_text(s, 1));
    it->cost = store_col_int(s, 2);
    it->stock = store_col_int(s, 3);
    it->active = store_col_int(s, 4) != 0;
    it->created_at = store_col_int(s, 5);
}

static void read_entry(struct store_stmt *s, struct arena *a, struct points_entry *e)
{
    e->id = store_col_int(s, 0);
    e->user_id = store_col_int(s, 1);
    e->delta = store_col_int(s, 2);
    e->rule_id = store_col_int(s, 3);
    e->item_id = store_col_int(s, 4);
    e->by_user = store_col_int(s, 5);
    e->rule_name = arena_strdup(a, store_col_text(s, 6));
    e->item_name = arena_strdup(a, store_col_text(s, 7));
    e->note = arena_strdup(a, store_col_text(s, 8));
    e->at = store_col_int(s, 9);
}

static int push_rule(void *ctx, struct store_stmt *row)
{
    rule_vec *v = ctx;
    read_rule(row, v->arena, vec_push(v));
    return 0;
}

static int push_item(void *ctx, struct store_stmt *row)
{
    item_vec *v = ctx;
    read_item(row, v->arena, vec_push(v));
    return 0;
}

static int push_entry(void *ctx, struct store_stmt *row)
{
    entry_vec *v = ctx;
    read_entry(row, v->arena, vec_push(v));
    return 0;
}

int points_rule_list(struct store_conn *c, struct arena *a, struct points_rule **out, size_t *n,
                     struct err *err)
{
    rule_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " RULE_COLS " FROM points_rules ORDER BY id", STORE_NO_ARGS,
                           push_rule, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int points_rule_get(struct store_conn *c, int64_t id, struct arena *a, struct points_rule *out,
                    struct err *err)
{
    rule_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " RULE_COLS " FROM points_rules WHERE id = ?",
                           STORE_ARGS(store_i64(id)), push_rule, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "points rule %lld does not exist", (long long)id);
    *out = v.v[0];
    return 0;
}

int points_rule_set(struct store_conn *c, int64_t id, int64_t points, int active, int64_t now,
                    struct err *err)
{
    if (points < 0 || points > POINTS_RULE_MAX)
        return err_field(err, ERR_BAD_REQUEST, "points", "points must be within 0..%d",
                         POINTS_RULE_MAX);
    int64_t rc = store_run(
        c, "UPDATE points_rules SET points = ?, active = ?, updated_at = ? WHERE id = ?",
        STORE_ARGS(store_i64(points), store_i64(active ? 1 : 0), store_i64(now), store_i64(id)),
        err);
    if (rc < 0)
        return (int)rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "points rule %lld does not exist", (long long)id);
    return 0;
}

int points_item_create(struct store_conn *c, const char *name, int64_t cost, int64_t stock,
                       int64_t now, int64_t *id, struct err *err)
{
    int rc;
    if ((rc = utf8_check_field(name, "name", 1, POINTS_NAME_MAX, err)) < 0)
        return rc;
    if (cost < 1 || cost > POINTS_COST_MAX)
        return err_field(err, ERR_BAD_REQUEST, "cost", "cost must be within 1..%d",
                         POINTS_COST_MAX);
    if (stock < 0 || stock > POINTS_STOCK_MAX)
        return err_field(err, ERR_BAD_REQUEST, "stock", "stock must be within 0..%d",
                         POINTS_STOCK_MAX);
    rc = store_one_i64(
        c,
        "INSERT INTO points_items (name, cost, stock, created_at)"
        " VALUES (?, ?, ?, ?) RETURNING id",
        STORE_ARGS(store_text(name), store_i64(cost), store_i64(stock), store_i64(now)), id, err);
    return rc < 0 ? rc : 0;
}

int points_item_get(struct store_conn *c, int64_t id, struct arena *a, struct points_item *out,
                    struct err *err)
{
    item_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " ITEM_COLS " FROM points_items WHERE id = ?",
                           STORE_ARGS(store_i64(id)), push_item, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "points item %lld does not exist", (long long)id);
    *out = v.v[0];
    return 0;
}

int points_item_list(struct store_conn *c, struct arena *a, struct points_item **out, size_t *n,
                     struct err *err)
{
    item_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT " ITEM_COLS " FROM points_items WHERE active <> 0"
                           " ORDER BY cost, id",
                           STORE_NO_ARGS, push_item, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int points_award(struct store_conn *c, int64_t user_id, int64_t rule_id, const char *note,
                 int64_t by_user, int64_t now, int64_t *entry_id, struct err *err)
{
    int64_t pts = 0;
    int rc;
    if ((rc = utf8_check_field(note ? note : "", "note", 0, POINTS_NOTE_MAX, err)) < 0)
        return rc;
    rc = store_one(c, "SELECT 1 FROM users WHERE id = ?", STORE_ARGS(store_i64(user_id)), NULL,
                   NULL, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_BAD_REQUEST, "user_id", "user %lld does not exist",
                         (long long)user_id);
    rc = store_one_i64(c, "SELECT points FROM points_rules WHERE id = ? AND active <> 0",
                       STORE_ARGS(store_i64(rule_id)), &pts, err);
    if (rc < 0)
        return rc;
    if (rc == 0 || pts <= 0)
        return err_field(err, ERR_BAD_REQUEST, "rule_id",
                         "points rule %lld does not exist, is inactive or awards nothing",
                         (long long)rule_id);
    rc = store_one_i64(c,
                       "INSERT INTO points_ledger (user_id, delta, rule_id, note, by_user, at)"
                       " VALUES (?, ?, ?, ?, nullif(?, 0), ?) RETURNING id",
                       STORE_ARGS(store_i64(user_id), store_i64(pts), store_i64(rule_id),
                                  store_text(note ? note : ""), store_i64(by_user), store_i64(now)),
                       entry_id, err);
    return rc < 0 ? rc : 0;
}

int points_award_code(struct store_conn *c, int64_t user_id, const char *code, const char *note,
                      int64_t now, int64_t *entry_id, struct err *err)
{
    int64_t rule = 0;
    int rc = store_one_i64(
        c, "SELECT id FROM points_rules WHERE code = ? AND active <> 0 AND points > 0",
        STORE_ARGS(store_text(code)), &rule, err);
    if (rc <= 0)
        return rc;
    rc = points_award(c, user_id, rule, note, 0, now, entry_id, err);
    return rc < 0 ? rc : 1;
}

int points_award_for_case(struct store_conn *c, int64_t case_id, const char *code, int64_t now,
                          int64_t *entry_id, struct err *err)
{
    /* One statement: who reported, whether they are a resident, what the rule pays, and the
     * once-per-case guard (the unique index of migration 0070) together. WHERE keeps SQLite from
     * reading ON CONFLICT as a join's ON. */
    int rc = store_one_i64(c,
                           "INSERT INTO points_ledger (user_id, delta, rule_id, note, case_id, at)"
                           " SELECT k.created_by, r.points, r.id, '工单 ' || k.number, k.id, ?"
                           " FROM cases k JOIN users u ON u.id = k.created_by"
                           " JOIN points_rules r ON r.code = ? AND r.active <> 0 AND r.points > 0"
                           " WHERE k.id = ? AND (',' || u.roles || ',') LIKE '%,citizen,%'"
                           " ON CONFLICT DO NOTHING RETURNING id",
                           STORE_ARGS(store_i64(now), store_text(code), store_i64(case_id)),
                           entry_id, err);
    return rc < 0 ? rc : rc > 0;
}

int points_balance(struct store_conn *c, int64_t user_id, int64_t *balance, struct err *err)
{
    *balance = 0;
    int rc = store_one_i64(c, "SELECT coalesce(sum(delta), 0) FROM points_ledger WHERE user_id = ?",
                           STORE_ARGS(store_i64(user_id)), balance, err);
    return rc < 0 ? rc : 0;
}

int points_redeem(struct store_conn *c, int64_t user_id, int64_t item_id, int64_t now,
                  int64_t *entry_id, struct err *err)
{
    int64_t cost = 0, balance;
    int rc = store_one_i64(c, "SELECT cost FROM points_items WHERE id = ? AND active <> 0",
                           STORE_ARGS(store_i64(item_id)), &cost, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "points item %lld does not exist", (long long)item_id);
    if ((rc = points_balance(c, user_id, &balance, err)) < 0)
        return rc;
    if (balance < cost)
        return err_field(err, ERR_CONFLICT, "balance",
                         "the balance (%lld) is less than the item's cost (%lld)",
                         (long long)balance, (long long)cost);
    /* Conditional: a concurrent redemption that took the last one leaves no row to change. */
    int64_t n = store_run(c, "UPDATE points_items SET stock = stock - 1 WHERE id = ? AND stock > 0",
                          STORE_ARGS(store_i64(item_id)), err);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return err_field(err, ERR_CONFLICT, "stock", "points item %lld is out of stock",
                         (long long)item_id);
    rc = store_one_i64(
        c,
        "INSERT INTO points_ledger (user_id, delta, item_id, at)"
        " VALUES (?, ?, ?, ?) RETURNING id",
        STORE_ARGS(store_i64(user_id), store_i64(-cost), store_i64(item_id), store_i64(now)),
        entry_id, err);
    return rc < 0 ? rc : 0;
}

int points_entry_get(struct store_conn *c, int64_t id, struct arena *a, struct points_entry *out,
                     struct err *err)
{
    entry_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " ENTRY_COLS ENTRY_FROM " WHERE l.id = ?",
                           STORE_ARGS(store_i64(id)), push_entry, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "points entry %lld does not exist", (long long)id);
    *out = v.v[0];
    return 0;
}

int points_entry_list(struct store_conn *c, int64_t user_id, struct arena *a,
                      struct points_entry **out, size_t *n, struct err *err)
{
    entry_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT " ENTRY_COLS ENTRY_FROM " WHERE l.user_id = ?"
                           " ORDER BY l.id DESC LIMIT ?",
                           STORE_ARGS(store_i64(user_id), store_i64(POINTS_ENTRIES_MAX)),
                           push_entry, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}
