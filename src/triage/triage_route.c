/*
 * The routing table (派单目录) and the choice of a lead department for a category and region.
 * Category and region codes are hierarchical by prefix (org), so "in the subtree of" is a
 * prefix comparison that the query can do without walking parents.
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "org/org.h"
#include "core/vec.h"
#include "store/store.h"
#include "triage/triage.h"

#define RULE_COLS                                                                                          \
    "r.id, r.category_id, coalesce(r.region_id, 0), r.department_id, r.priority, r.note, k.code, k.name, " \
    "coalesce(g.name, ''), d.name, r.created_at, r.updated_at "
#define RULE_FROM                                                                                               \
    "FROM routing_rules r JOIN categories k ON k.id = r.category_id LEFT JOIN regions g ON g.id = r.region_id " \
    "JOIN departments d ON d.id = r.department_id "
#define NOTE_MAX 200

static void read_rule(struct store_stmt *s, struct arena *a, struct triage_rule *r)
{
    r->id = store_col_int(s, 0);
    r->category_id = store_col_int(s, 1);
    r->region_id = store_col_int(s, 2);
    r->department_id = store_col_int(s, 3);
    r->priority = (int)store_col_int(s, 4);
    r->note = arena_strdup(a, store_col_text(s, 5));
    r->category_code = arena_strdup(a, store_col_text(s, 6));
    r->category_name = arena_strdup(a, store_col_text(s, 7));
    r->region_name = arena_strdup(a, store_col_text(s, 8));
    r->department_name = arena_strdup(a, store_col_text(s, 9));
    r->created_at = store_col_int(s, 10);
    r->updated_at = store_col_int(s, 11);
}

typedef VEC(struct triage_rule) rule_vec;

static int push_rule(void *ctx, struct store_stmt *s)
{
    rule_vec *v = ctx;
    read_rule(s, v->arena, vec_push(v));
    return 0;
}

int triage_rule_list(struct store_conn *c, struct arena *a, struct triage_rule **out, size_t *n,
                     struct err *err)
{
    rule_vec v = VEC_IN(a);
    int64_t rc =
        store_all(c, "SELECT " RULE_COLS RULE_FROM "ORDER BY k.code, r.priority DESC, r.id",
                  STORE_NO_ARGS, push_rule, &v, err);
    *out = v.n ? v.v : arena_alloc(a, sizeof(**out)); /* never NULL, as before */
    *n = v.n;
    return rc < 0 ? (int)rc : 0;
}

int triage_rule_get(struct store_conn *c, int64_t id, struct arena *a, struct triage_rule *out,
                    struct err *err)
{
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT " RULE_COLS RULE_FROM "WHERE r.id = ?",
                           STORE_ARGS(store_i64(id)), &s, err);
    if (rc < 0)
        return rc;
    rc = store_step(s, err);
    if (rc == 1) {
        read_rule(s, a, out);
        rc = 0;
    } else if (rc == 0) {
        rc = err_set(err, ERR_NOT_FOUND, "routing rule %lld does not exist", (long long)id);
    }
    store_done(s);
    return rc;
}

static int check_rule(struct store_conn *c, const struct triage_rule *in, struct err *err)
{
    struct arena a;
    int rc;
    arena_init(&a, 1024);
    struct org_category k;
    struct org_department d;
    if (in->priority < -TRIAGE_RULE_PRIORITY_MAX || in->priority > TRIAGE_RULE_PRIORITY_MAX) {
        rc = err_field(err, ERR_BAD_REQUEST, "priority", "priority must be between %d and %d",
                       -TRIAGE_RULE_PRIORITY_MAX, TRIAGE_RULE_PRIORITY_MAX);
        goto out;
    }
    if (in->note && strlen(in->note) > NOTE_MAX) {
        rc = err_field(err, ERR_BAD_REQUEST, "note", "note is longer than %d bytes", NOTE_MAX);
        goto out;
    }
    if ((rc = org_category_get(c, in->category_id, &a, &k, err)) < 0) {
        if (rc == ERR_NOT_FOUND)
            rc = err_field(err, ERR_BAD_REQUEST, "category_id", "category %lld does not exist",
                           (long long)in->category_id);
        goto out;
    }
    if (in->region_id) {
        struct org_region g;
        if ((rc = org_region_get(c, in->region_id, &a, &g, err)) < 0) {
            if (rc == ERR_NOT_FOUND)
                rc = err_field(err, ERR_BAD_REQUEST, "region_id", "region %lld does not exist",
                               (long long)in->region_id);
            goto out;
        }
    }
    if ((rc = org_department_get(c, in->department_id, &a, &d, err)) < 0 || !d.active) {
        if (rc == ERR_NOT_FOUND || rc == 0)
            rc = err_field(err, ERR_BAD_REQUEST, "department_id",
                           "department %lld does not exist or is inactive",
                           (long long)in->department_id);
        goto out;
    }
out:
    arena_release(&a);
    return rc;
}

int triage_rule_create(struct store_conn *c, const struct triage_rule *in, int64_t now, int64_t *id,
                       struct err *err)
{
    int rc = check_rule(c, in, err);
    if (rc < 0)
        return rc;
    return store_one_i64(
               c,
               "INSERT INTO routing_rules(category_id, region_id, department_id, priority, note, created_at,"
               " updated_at) VALUES (?, nullif(?, 0), ?, ?, ?, ?, ?) RETURNING id",
               STORE_ARGS(store_i64(in->category_id), store_i64(in->region_id),
                          store_i64(in->department_id), store_i64(in->priority),
                          store_text(in->note ? in->note : ""), store_i64(now), store_i64(now)),
               id, err) < 0
               ? err->code
               : 0;
}

int triage_rule_update(struct store_conn *c, int64_t id, const struct triage_rule *in, int64_t now,
                       struct err *err)
{
    int rc = check_rule(c, in, err);
    if (rc < 0)
        return rc;
    int64_t changed = store_run(
        c,
        "UPDATE routing_rules SET category_id = ?, region_id = nullif(?, 0), department_id = ?,"
        " priority = ?, note = ?, updated_at = ? WHERE id = ?",
        STORE_ARGS(store_i64(in->category_id), store_i64(in->region_id),
                   store_i64(in->department_id), store_i64(in->priority),
                   store_text(in->note ? in->note : ""), store_i64(now), store_i64(id)),
        err);
    if (changed < 0)
        return (int)changed;
    return changed ? 0
                   : err_set(err, ERR_NOT_FOUND, "routing rule %lld does not exist", (long long)id);
}

int triage_rule_delete(struct store_conn *c, int64_t id, struct err *err)
{
    int64_t changed =
        store_run(c, "DELETE FROM routing_rules WHERE id = ?", STORE_ARGS(store_i64(id)), err);
    if (changed < 0)
        return (int)changed;
    return changed ? 0
                   : err_set(err, ERR_NOT_FOUND, "routing rule %lld does not exist", (long long)id);
}

int triage_rule_stamp(struct store_conn *c, int64_t *count, int64_t *sum, struct err *err)
{
    int rc = store_one_i64(c, "SELECT count(*) FROM routing_rules", STORE_NO_ARGS, count, err);
    if (rc < 0)
        return rc;
    rc = store_one_i64(c, "SELECT coalesce(sum(id + updated_at), 0) FROM routing_rules",
                       STORE_NO_ARGS, sum, err);
    return rc < 0 ? rc : 0;
}

/* Code of a category or region by id into 'out' ("" when absent). */
static int code_of(struct store_conn *c, const char *sql, int64_t id, char *out, size_t cap,
                   struct err *err)
{
    struct store_stmt *s;
    int rc;
    out[0] = '\0';
    if (!id)
        return 0;
    if ((rc = store_prepare(c, sql, STORE_ARGS(store_i64(id)), &s, err)) < 0)
        return rc;
    if ((rc = store_step(s, err)) == 1)
        snprintf(out, cap, "%s", store_col_text(s, 0));
    store_done(s);
    return rc < 0 ? rc : 0;
}

/* The prefixes of 'code' at the given lengths (NULL where the code is shorter), which are the
 * codes of its ancestors and itself: the lookups below are then equality on indexed codes. */
static void prefixes(const char *code, const int *lens, int n, char (*buf)[24], const char **out)
{
    size_t len = strlen(code);
    for (int i = 0; i < n; i++) {
        out[i] = NULL;
        if ((size_t)lens[i] <= len && lens[i] < 24) {
            memcpy(buf[i], code, (size_t)lens[i]);
            buf[i][lens[i]] = '\0';
            out[i] = buf[i];
        }
    }
}

int triage_route(struct store_conn *c, int64_t category_id, int64_t region_id,
                 struct triage_route *out, struct err *err)
{
    static const int category_lens[3] = {2, 4, 6};
    /* District, street, community (org: fixed lengths); a grid (longer, varying) is only itself. */
    static const int region_lens[3] = {6, 9, 12};
    char kcode[24], rcode[64], kbuf[3][24], rbuf[3][24];
    const char *k[3], *g[4];
    struct store_stmt *s;
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = code_of(c, "SELECT code FROM categories WHERE id = ?", category_id, kcode,
                      sizeof(kcode), err)) < 0 ||
        (rc = code_of(c, "SELECT code FROM regions WHERE id = ?", region_id, rcode, sizeof(rcode),
                      err)) < 0)
        return rc;
    if (!kcode[0])
        return 0;
    prefixes(kcode, category_lens, 3, kbuf, k);
    prefixes(rcode, region_lens, 3, rbuf, g);
    g[3] = strlen(rcode) > 12 ? rcode : NULL;
    /* A rule for the category or an ancestor, anywhere or in a region containing the case's. */
    rc = store_prepare(
        c,
        "SELECT r.id, r.department_id FROM categories k JOIN routing_rules r ON r.category_id = k.id"
        " JOIN departments d ON d.id = r.department_id AND d.active = 1"
        " LEFT JOIN regions g ON g.id = r.region_id"
        " WHERE k.code IN (?, ?, ?) AND (r.region_id IS NULL OR g.code IN (?, ?, ?, ?))"
        " ORDER BY r.priority DESC, length(k.code) DESC, length(coalesce(g.code, '')) DESC, r.id DESC"
        " LIMIT 1",
        STORE_ARGS(store_text(k[0]), store_text(k[1]), store_text(k[2]), store_text(g[0]),
                   store_text(g[1]), store_text(g[2]), store_text(g[3])),
        &s, err);
    if (rc < 0)
        return rc;
    if ((rc = store_step(s, err)) == 1) {
        out->rule_id = store_col_int(s, 0);
        out->department_id = store_col_int(s, 1);
    }
    store_done(s);
    if (rc < 0 || out->rule_id)
        return rc < 0 ? rc : 0;
    /* The category's own department, else the nearest ancestor's. */
    rc = store_prepare(
        c,
        "SELECT k.department_id FROM categories k JOIN departments d ON d.id = k.department_id AND d.active = 1"
        " WHERE k.code IN (?, ?, ?) ORDER BY length(k.code) DESC LIMIT 1",
        STORE_ARGS(store_text(k[0]), store_text(k[1]), store_text(k[2])), &s, err);
    if (rc < 0)
        return rc;
    if ((rc = store_step(s, err)) == 1)
        out->department_id = store_col_int(s, 0);
    store_done(s);
    return rc < 0 ? rc : 0;
}
