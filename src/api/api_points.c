/*
 * The points bank (积分银行, src/points): rules officials set, awards officials record, the
 * redemption catalogue, and a resident's own statement and redemptions. Every write is an
 * audited event in the same transaction as its ledger entry.
 */
#include "api/api_internal.h"
#include "points/points.h"

/* clang-format off */
static const struct json_field rule_fields[] = {
    {"points", JT_INT,  JF_REQUIRED, 0, POINTS_RULE_MAX, NULL},
    {"active", JT_BOOL, 0,           0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field item_fields[] = {
    {"name",  JT_STRING, JF_REQUIRED, 1, POINTS_NAME_MAX, NULL},
    {"cost",  JT_INT,    JF_REQUIRED, 1, POINTS_COST_MAX, NULL},
    {"stock", JT_INT,    JF_REQUIRED, 0, POINTS_STOCK_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field award_fields[] = {
    {"user_id", JT_INT,    JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"rule_id", JT_INT,    JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"note",    JT_STRING, 0,           0, POINTS_NOTE_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void rule_json(struct jw *w, const void *v)
{
    const struct points_rule *r = v;
    jw_kint(w, "id", r->id);
    jw_kstr(w, "code", r->code);
    jw_kstr(w, "name", r->name);
    jw_kint(w, "points", r->points);
    jw_kbool(w, "active", r->active);
    jw_ktime(w, "updated_at", r->updated_at);
}

static void item_json(struct jw *w, const void *v)
{
    const struct points_item *it = v;
    jw_kint(w, "id", it->id);
    jw_kstr(w, "name", it->name);
    jw_kint(w, "cost", it->cost);
    jw_kint(w, "stock", it->stock);
    jw_kbool(w, "active", it->active);
    jw_ktime(w, "created_at", it->created_at);
}

static void entry_json(struct jw *w, const void *v)
{
    const struct points_entry *e = v;
    jw_kint(w, "id", e->id);
    jw_kint(w, "user_id", e->user_id);
    jw_kint(w, "delta", e->delta);
    jw_kopt(w, "rule_id", e->rule_id);
    jw_kstr(w, "rule", *e->rule_name ? e->rule_name : NULL);
    jw_kopt(w, "item_id", e->item_id);
    jw_kstr(w, "item", *e->item_name ? e->item_name : NULL);
    jw_kstr(w, "note", e->note);
    jw_kopt(w, "by_user", e->by_user);
    jw_ktime(w, "at", e->at);
}

#define RENDER(fn, type, get, json)                                                                \
    static int fn(struct api_call *call, int64_t id, struct jw *w)                                 \
    {                                                                                              \
        type r;                                                                                    \
        int rc = get(call->conn, id, call->req->arena, &r, &call->err);                            \
        if (rc == 0) {                                                                             \
            jw_obj(w);                                                                             \
            json(w, &r);                                                                           \
            jw_obj_end(w);                                                                         \
        }                                                                                          \
        return rc;                                                                                 \
    }
RENDER(rule_render, struct points_rule, points_rule_get, rule_json)
RENDER(item_render, struct points_item, points_item_get, item_json)
RENDER(entry_render, struct points_entry, points_entry_get, entry_json)

static const struct api_resource rule_res = {"points_rule", NULL, rule_render, NULL};
static const struct api_resource item_res = {"points_item", "/api/v1/points-items", item_render,
                                             NULL};
static const struct api_resource entry_res = {"points", NULL, entry_render, NULL};

int api_points_rule_list(struct api_call *call)
{
    struct points_rule *v;
    size_t n;
    int rc = points_rule_list(call->conn, call->req->arena, &v, &n, &call->err);
    return rc < 0 ? rc : api_reply_items(call, v, n, sizeof(*v), rule_json);
}

int api_points_rule_update(struct api_call *call)
{
    struct points_rule cur;
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, rule_fields, &call->err)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = points_rule_get(call->conn, id, call->req->arena, &cur, &call->err)) < 0 ||
        (rc = api_crud_state(call, &rule_res, id, &before)) < 0 ||
        (rc = points_rule_set(call->conn, id, json_get_int(call->body, "points", 0),
                              json_get_bool(call->body, "active", cur.active), call->now,
                              &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &rule_res, "update", id, before);
}

int api_points_item_list(struct api_call *call)
{
    struct points_item *v;
    size_t n;
    int rc = points_item_list(call->conn, call->req->arena, &v, &n, &call->err);
    return rc < 0 ? rc : api_reply_items(call, v, n, sizeof(*v), item_json);
}

int api_points_item_create(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, item_fields, &call->err)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = points_item_create(
             call->conn, json_get_str(call->body, "name"), json_get_int(call->body, "cost", 0),
             json_get_int(call->body, "stock", 0), call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &item_res, "create", id, NULL);
}

/* POST /api/v1/points/awards {user_id, rule_id, note?}: an official records points earned. */
int api_points_award(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, award_fields, &call->err)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = points_award(call->conn, json_get_int(call->body, "user_id", 0),
                           json_get_int(call->body, "rule_id", 0), json_get_str(call->body, "note"),
                           call->user->id, call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &entry_res, "award", id, NULL);
}

/* POST /api/v1/points-items/{id}/redeem: the caller spends points on one item. */
int api_points_redeem(struct api_call *call)
{
    int64_t item, id;
    int rc;
    if ((rc = api_param_id(call, "id", &item)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = points_redeem(call->conn, call->user->id, item, call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &entry_res, "redeem", id, NULL);
}

/* GET /api/v1/me/points: {"balance": n, "items": [entries, newest first]}. */
int api_me_points(struct api_call *call)
{
    struct points_entry *v;
    size_t n;
    int64_t balance;
    int rc;
    if ((rc = points_balance(call->conn, call->user->id, &balance, &call->err)) < 0 ||
        (rc = points_entry_list(call->conn, call->user->id, call->req->arena, &v, &n, &call->err)) <
            0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "balance", balance);
    jw_key(&w, "items");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        entry_json(&w, &v[i]);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

int api_points_earn(struct api_call *call, const char *code, const char *note)
{
    int64_t id;
    char *after;
    int rc = points_award_code(call->conn, call->user->id, code, note, call->now, &id, &call->err);
    if (rc <= 0)
        return rc;
    if ((rc = api_crud_state(call, &entry_res, id, &after)) < 0)
        return rc;
    return api_audit_in_tx(call, "points.award",
                           arena_printf(call->req->arena, "points/%lld", (long long)id), NULL,
                           after);
}
