/*
 * Categories: the three-level case taxonomy (大类 / 小类 / 细类) with, per category, the
 * default department, urgency and time limits. Codes are 2, 4 and 6 digits, each extending
 * its parent's, so a code prefix is a subtree.
 */
#include "org/org.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "org/org_internal.h"
#include "store/store.h"

/* Three levels; a longer chain means a damaged table. */
#define MAX_DEPTH 3

/* Upper bound on each limit: a year in hours, with room to spare; it keeps deadline
 * arithmetic far from overflow. */
#define SLA_MAX 100000

static const char *const urgency_names[] = {"normal", "urgent", "emergency"};

const char *org_urgency_name(enum org_urgency u)
{
    if ((unsigned)u >= sizeof(urgency_names) / sizeof(urgency_names[0]))
        return "";
    return urgency_names[u];
}

int org_urgency_from_name(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof(urgency_names) / sizeof(urgency_names[0]); i++)
        if (strcmp(name, urgency_names[i]) == 0)
            return (int)i;
    return -1;
}

int org_sla_check(const struct org_sla *sla, struct err *err)
{
    if (sla->sign < 0 || sla->sign > SLA_MAX)
        return err_field(err, ERR_BAD_REQUEST, "sla_sign", "sla_sign must be 0..%d", SLA_MAX);
    if (sla->reply < 0 || sla->reply > SLA_MAX)
        return err_field(err, ERR_BAD_REQUEST, "sla_reply", "sla_reply must be 0..%d", SLA_MAX);
    if (sla->resolve < 0 || sla->resolve > SLA_MAX)
        return err_field(err, ERR_BAD_REQUEST, "sla_resolve", "sla_resolve must be 0..%d", SLA_MAX);
    if (sla->reply < sla->sign)
        return err_field(err, ERR_BAD_REQUEST, "sla_reply",
                         "sla_reply (%d) must not be less than sla_sign (%d)", sla->reply,
                         sla->sign);
    if (sla->resolve < sla->reply)
        return err_field(err, ERR_BAD_REQUEST, "sla_resolve",
                         "sla_resolve (%d) must not be less than sla_reply (%d)", sla->resolve,
                         sla->reply);
    if (sla->unit < CAL_WORK_HOURS || sla->unit > CAL_HOURS)
        return err_field(err, ERR_BAD_REQUEST, "sla_unit",
                         "sla_unit must be work_hours, work_days or hours");
    return 0;
}

/* The fields an update may change. */
static int check_mutable(const struct org_category_in *in, struct err *err)
{
    int rc;
    if ((rc = org_check_text(in->name, "name", ORG_NAME_MAX, 1, err)) < 0)
        return rc;
    if (in->department_id < 0)
        return err_field(err, ERR_BAD_REQUEST, "department_id", "department_id must be positive");
    if (!org_urgency_name(in->urgency)[0])
        return err_field(err, ERR_BAD_REQUEST, "urgency",
                         "urgency must be normal, urgent or emergency");
    if ((rc = org_sla_check(&in->sla, err)) < 0)
        return rc;
    if ((rc = org_check_text(in->keywords, "keywords", ORG_KEYWORDS_MAX, 0, err)) < 0)
        return rc;
    if (in->active != 0 && in->active != 1)
        return err_field(err, ERR_BAD_REQUEST, "active", "active must be 0 or 1");
    return 0;
}

static int check_code(const char *code, int level, struct err *err)
{
    size_t n = code ? strlen(code) : 0;
    if (level < 1 || level > 3)
        return err_field(err, ERR_BAD_REQUEST, "level", "level must be 1, 2 or 3");
    if (n == 0)
        return err_field(err, ERR_BAD_REQUEST, "code", "code is required");
    int ok = n == (size_t)level * 2;
    for (size_t i = 0; ok && i < n; i++)
        ok = code[i] >= '0' && code[i] <= '9';
    if (!ok)
        return err_field(err, ERR_BAD_REQUEST, "code", "a level-%d category code is %d digits",
                         level, level * 2);
    return 0;
}

/* The stored facts about a category that validation needs. */
struct brief {
    char code[ORG_CODE_MAX + 1];
    int level;
    int64_t parent_id;
    int64_t department_id;
    int active;
};

static int get_brief(struct store_conn *c, int64_t id, struct brief *b, struct err *err)
{
    struct store_stmt *s = NULL;
    int rc = store_prepare(c,
                           "SELECT code, level, coalesce(parent_id, 0), coalesce(department_id, 0),"
                           " active FROM categories WHERE id = ?",
                           STORE_ARGS(store_i64(id)), &s, err);
    if (rc < 0)
        goto out;
    if ((rc = store_step(s, err)) < 0)
        goto out;
    if (rc == 0) {
        rc = err_set(err, ERR_NOT_FOUND, "category %lld not found", (long long)id);
        goto out;
    }
    snprintf(b->code, sizeof(b->code), "%s", store_col_text(s, 0));
    b->level = (int)store_col_int(s, 1);
    b->parent_id = store_col_int(s, 2);
    b->department_id = store_col_int(s, 3);
    b->active = store_col_int(s, 4) != 0;
    rc = 0;
out:
    store_done(s);
    return rc;
}

/* A department newly chosen as default must exist and be active. */
static int check_department(struct store_conn *c, int64_t id, struct err *err)
{
    int64_t active;
    int rc;
    if (!id)
        return 0;
    rc = store_one_i64(c, "SELECT active FROM departments WHERE id = ?", STORE_ARGS(store_i64(id)),
                       &active, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_BAD_REQUEST, "department_id", "department %lld not found",
                         (long long)id);
    if (!active)
        return err_field(err, ERR_BAD_REQUEST, "department_id", "department %lld is inactive",
                         (long long)id);
    return 0;
}

/* Deactivate the category coded 'code' and everything beneath it. */
static int deactivate_subtree(struct store_conn *c, const char *code, int64_t now, struct err *err)
{
    int64_t changed =
        store_run(c,
                  "UPDATE categories SET active = 0, updated_at = ?"
                  " WHERE active = 1 AND substr(code, 1, ?) = ?",
                  STORE_ARGS(store_i64(now), store_i64((int)strlen(code)), store_text(code)), err);
    return changed < 0 ? (int)changed : 0;
}

int org_category_create(struct store_conn *c, const struct org_category_in *in, int64_t now,
                        int64_t *id_out, struct err *err)
{
    struct brief parent;
    int64_t id;
    int rc;

    if ((rc = check_code(in->code, in->level, err)) < 0)
        return rc;
    if ((rc = check_mutable(in, err)) < 0)
        return rc;
    if (in->level == 1) {
        if (in->parent_id != 0)
            return err_field(err, ERR_BAD_REQUEST, "parent_id", "a level-1 category has no parent");
    } else {
        if (in->parent_id <= 0)
            return err_field(err, ERR_BAD_REQUEST, "parent_id",
                             "a level-%d category needs a parent", in->level);
        rc = get_brief(c, in->parent_id, &parent, err);
        if (rc == ERR_NOT_FOUND)
            return err_field(err, ERR_BAD_REQUEST, "parent_id", "parent category %lld not found",
                             (long long)in->parent_id);
        if (rc < 0)
            return rc;
        if (parent.level != in->level - 1)
            return err_field(err, ERR_BAD_REQUEST, "level",
                             "a level-%d category cannot be placed under a level-%d one", in->level,
                             parent.level);
        if (strncmp(in->code, parent.code, strlen(parent.code)) != 0)
            return err_field(err, ERR_BAD_REQUEST, "code",
                             "code '%s' does not start with its parent's code '%s'", in->code,
                             parent.code);
        if (in->active && !parent.active)
            return err_field(err, ERR_BAD_REQUEST, "active", "parent category '%s' is inactive",
                             parent.code);
    }
    if ((rc = check_department(c, in->department_id, err)) < 0)
        return rc;
    if ((rc = store_one_i64(c, "SELECT id FROM categories WHERE code = ?",
                            STORE_ARGS(store_text(in->code)), &id, err)) < 0)
        return rc;
    if (rc == 1)
        return err_field(err, ERR_CONFLICT, "code", "category code '%s' already exists", in->code);

    rc =
        store_one_i64(c,
                      "INSERT INTO categories (code, name, level, parent_id, department_id,"
                      " urgency, sla_sign, sla_reply, sla_resolve, sla_unit, keywords, active,"
                      " created_at, updated_at)"
                      " VALUES (?, ?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      " RETURNING id",
                      STORE_ARGS(store_text(in->code), store_text(in->name), store_i64(in->level),
                                 store_i64(in->parent_id), store_i64(in->department_id),
                                 store_text(org_urgency_name(in->urgency)), store_i64(in->sla.sign),
                                 store_i64(in->sla.reply), store_i64(in->sla.resolve),
                                 store_text(cal_unit_name(in->sla.unit)),
                                 store_text(in->keywords ? in->keywords : ""),
                                 store_i64(in->active), store_i64(now), store_i64(now)),
                      &id, err);
    if (rc < 0)
        return org_conflict(rc, err, "category conflicts with an existing record");
    if (rc == 0)
        return err_set(err, ERR_INTERNAL, "category insert returned no id");
    *id_out = id;
    return 0;
}

#define CATEGORY_COLS                                                                              \
    "id, code, name, level, coalesce(parent_id, 0), coalesce(department_id, 0), urgency,"          \
    " sla_sign, sla_reply, sla_resolve, sla_unit, keywords, active, created_at, updated_at"

static void read_row(struct store_stmt *s, struct arena *a, void *slot)
{
    struct org_category *out = slot;
    int u;
    out->id = store_col_int(s, 0);
    out->code = arena_strdup(a, store_col_text(s, 1));
    out->name = arena_strdup(a, store_col_text(s, 2));
    out->level = (int)store_col_int(s, 3);
    out->parent_id = store_col_int(s, 4);
    out->department_id = store_col_int(s, 5);
    u = org_urgency_from_name(store_col_text(s, 6));
    out->urgency = u < 0 ? ORG_URGENCY_NORMAL : (enum org_urgency)u;
    out->sla.sign = (int)store_col_int(s, 7);
    out->sla.reply = (int)store_col_int(s, 8);
    out->sla.resolve = (int)store_col_int(s, 9);
    u = cal_unit_from_name(store_col_text(s, 10));
    out->sla.unit = u < 0 ? CAL_WORK_HOURS : (enum cal_unit)u;
    out->keywords = arena_strdup(a, store_col_text(s, 11));
    out->active = store_col_int(s, 12) != 0;
    out->created_at = store_col_int(s, 13);
    out->updated_at = store_col_int(s, 14);
}

static int fetch(struct store_conn *c, int64_t id, const char *code, struct arena *a,
                 struct org_category *out, struct err *err)
{
    if (code)
        return org_read_one(c, "SELECT " CATEGORY_COLS " FROM categories WHERE code = ?",
                            STORE_ARGS(store_text(code)), sizeof(*out), read_row, a, out,
                            "category", id, code, err);
    return org_read_one(c, "SELECT " CATEGORY_COLS " FROM categories WHERE id = ?",
                        STORE_ARGS(store_i64(id)), sizeof(*out), read_row, a, out, "category", id,
                        NULL, err);
}

int org_category_get(struct store_conn *c, int64_t id, struct arena *a, struct org_category *out,
                     struct err *err)
{
    return fetch(c, id, NULL, a, out, err);
}

int org_category_get_by_code(struct store_conn *c, const char *code, struct arena *a,
                             struct org_category *out, struct err *err)
{
    if (!code)
        return err_field(err, ERR_BAD_REQUEST, "code", "code is required");
    return fetch(c, 0, code, a, out, err);
}

int org_category_list(struct store_conn *c, const struct org_category_filter *f, struct arena *a,
                      struct org_category **out, size_t *n, struct err *err)
{
    static const struct org_category_filter all = {0};
    void *p;
    int rc;

    if (!f)
        f = &all;
    if (f->level < 0 || f->level > 3)
        return err_field(err, ERR_BAD_REQUEST, "level", "level must be 1, 2 or 3");
    if (f->active < ORG_ACTIVE_ANY || f->active > ORG_INACTIVE_ONLY)
        return err_field(err, ERR_BAD_REQUEST, "active", "unknown active filter %d",
                         (int)f->active);
    rc = org_read_all(c,
                      "SELECT " CATEGORY_COLS " FROM categories"
                      " WHERE (? = 0 OR level = ?) AND (? = 0 OR parent_id = ?)"
                      " AND (? = 0 OR active = ?) ORDER BY code",
                      STORE_ARGS(store_i64(f->level), store_i64(f->level), store_i64(f->parent_id),
                                 store_i64(f->parent_id), store_i64((int)f->active),
                                 store_i64(f->active == ORG_ACTIVE_ONLY)),
                      sizeof(**out), read_row, a, &p, n, err);
    if (rc == 0)
        *out = p;
    return rc;
}

int org_category_update(struct store_conn *c, int64_t id, const struct org_category_in *in,
                        int64_t now, struct err *err)
{
    struct brief cur, parent;
    int64_t changed;
    int rc;

    if ((rc = check_mutable(in, err)) < 0)
        return rc;
    if ((rc = get_brief(c, id, &cur, err)) < 0)
        return rc;
    if (in->code && strcmp(in->code, cur.code) != 0)
        return err_field(err, ERR_BAD_REQUEST, "code", "a category's code cannot be changed");
    if (in->level && in->level != cur.level)
        return err_field(err, ERR_BAD_REQUEST, "level", "a category's level cannot be changed");
    if (in->parent_id && in->parent_id != cur.parent_id)
        return err_field(err, ERR_BAD_REQUEST, "parent_id", "a category cannot be moved");
    if (in->department_id != cur.department_id &&
        (rc = check_department(c, in->department_id, err)) < 0)
        return rc;
    if (in->active && !cur.active && cur.parent_id) {
        if ((rc = get_brief(c, cur.parent_id, &parent, err)) < 0)
            return rc != ERR_NOT_FOUND
                       ? rc
                       : err_set(err, ERR_INTEGRITY, "category %lld has lost its parent",
                                 (long long)id);
        if (!parent.active)
            return err_field(err, ERR_BAD_REQUEST, "active", "parent category '%s' is inactive",
                             parent.code);
    }
    changed =
        store_run(c,
                  "UPDATE categories SET name = ?, department_id = NULLIF(?, 0),"
                  " urgency = ?, sla_sign = ?, sla_reply = ?, sla_resolve = ?,"
                  " sla_unit = ?, keywords = ?, active = ?, updated_at = ? WHERE id = ?",
                  STORE_ARGS(store_text(in->name), store_i64(in->department_id),
                             store_text(org_urgency_name(in->urgency)), store_i64(in->sla.sign),
                             store_i64(in->sla.reply), store_i64(in->sla.resolve),
                             store_text(cal_unit_name(in->sla.unit)),
                             store_text(in->keywords ? in->keywords : ""), store_i64(in->active),
                             store_i64(now), store_i64(id)),
                  err);
    if (changed < 0)
        return org_conflict((int)changed, err, "category conflicts with an existing record");
    if (!in->active && cur.active)
        return deactivate_subtree(c, cur.code, now, err);
    return 0;
}

int org_category_delete(struct store_conn *c, int64_t id, int64_t now, struct err *err)
{
    struct brief cur;
    int rc;

    if ((rc = get_brief(c, id, &cur, err)) < 0)
        return rc;
    return deactivate_subtree(c, cur.code, now, err);
}

int org_category_sla(struct store_conn *c, int64_t id, struct org_sla *out, int64_t *from_id,
                     struct err *err)
{
    struct store_stmt *s = NULL;
    int64_t cur = id;
    int rc = 0;

    for (int depth = 0; cur; depth++) {
        if (depth == MAX_DEPTH) {
            rc = err_set(err, ERR_INTEGRITY, "categories above %lld form a loop", (long long)id);
            goto out;
        }
        if ((rc = store_prepare(c,
                                "SELECT coalesce(parent_id, 0), sla_sign, sla_reply, sla_resolve,"
                                " sla_unit FROM categories WHERE id = ?",
                                STORE_ARGS(store_i64(cur)), &s, err)) < 0)
            goto out;
        if ((rc = store_step(s, err)) < 0)
            goto out;
        if (rc == 0) {
            rc = depth == 0 ? err_set(err, ERR_NOT_FOUND, "category %lld not found", (long long)id)
                            : err_set(err, ERR_INTEGRITY, "category %lld has lost an ancestor",
                                      (long long)id);
            goto out;
        }
        if (store_col_int(s, 3) > 0) {
            int u = cal_unit_from_name(store_col_text(s, 4));
            out->sign = (int)store_col_int(s, 1);
            out->reply = (int)store_col_int(s, 2);
            out->resolve = (int)store_col_int(s, 3);
            out->unit = u < 0 ? CAL_WORK_HOURS : (enum cal_unit)u;
            if (from_id)
                *from_id = cur;
            rc = 0;
            goto out;
        }
        cur = store_col_int(s, 0);
        store_done(s);
        s = NULL;
    }
    rc = err_set(err, ERR_NOT_FOUND, "neither category %lld nor its ancestors set an SLA",
                 (long long)id);
out:
    store_done(s);
    return rc;
}

int org_category_department(struct store_conn *c, int64_t id, int64_t *department_id,
                            struct err *err)
{
    struct brief b;
    int64_t cur = id;
    int rc;

    for (int depth = 0; cur; depth++) {
        if (depth == MAX_DEPTH)
            return err_set(err, ERR_INTEGRITY, "categories above %lld form a loop", (long long)id);
        if ((rc = get_brief(c, cur, &b, err)) < 0)
            return depth == 0 || rc != ERR_NOT_FOUND
                       ? rc
                       : err_set(err, ERR_INTEGRITY, "category %lld has lost an ancestor",
                                 (long long)id);
        if (b.department_id) {
            *department_id = b.department_id;
            return 0;
        }
        cur = b.parent_id;
    }
    *department_id = 0;
    return 0;
}
