/*
 * Departments: the units cases are dispatched to (城管局, 街道办...), their own hierarchy and
 * the regions each one serves.
 */
#include "org/org.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "org/org_internal.h"
#include "store/store.h"

/* Deeper than any real administration; reaching it means the table holds a loop. */
#define MAX_DEPTH 64

/* "Does region r's subtree hold region t": the SQL form of org_region_code_in_subtree(). */
#define R_COVERS_T                                                                                 \
    "(r.id = t.id OR (length(r.code) <= 12 AND substr(t.code, 1, length(r.code)) = r.code) OR"     \
    " (r.level = 'grid' AND substr(t.code, 1, length(r.code) + 1) = r.code || '.'))"

#define DEPT_COLS "id, code, name, coalesce(parent_id, 0), phone, active, created_at, updated_at"

static int check_code(const char *code, struct err *err)
{
    size_t n = code ? strlen(code) : 0;
    if (n == 0)
        return err_field(err, ERR_BAD_REQUEST, "code", "code is required");
    if (n > ORG_CODE_MAX)
        return err_field(err, ERR_BAD_REQUEST, "code", "code is longer than %d characters",
                         ORG_CODE_MAX);
    for (size_t i = 0; i < n; i++) {
        char ch = code[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
            return err_field(err, ERR_BAD_REQUEST, "code",
                             "code may hold only A-Z, 0-9, '_' and '-'");
    }
    return 0;
}

static int check_phone(const char *phone, struct err *err)
{
    size_t n = phone ? strlen(phone) : 0;
    if (n > ORG_PHONE_MAX)
        return err_field(err, ERR_BAD_REQUEST, "phone", "phone is longer than %d characters",
                         ORG_PHONE_MAX);
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789 +-()#,;*", phone[i]))
            return err_field(err, ERR_BAD_REQUEST, "phone",
                             "phone may hold only digits and \" +-()#,;*\"");
    return 0;
}

static int check_input(const struct org_department_in *in, struct err *err)
{
    int rc;
    if ((rc = check_code(in->code, err)) < 0 ||
        (rc = org_check_text(in->name, "name", ORG_NAME_MAX, 1, err)) < 0 ||
        (rc = check_phone(in->phone, err)) < 0)
        return rc;
    if (in->parent_id < 0)
        return err_field(err, ERR_BAD_REQUEST, "parent_id", "parent_id must be positive");
    if (in->active != 0 && in->active != 1)
        return err_field(err, ERR_BAD_REQUEST, "active", "active must be 0 or 1");
    return 0;
}

static void read_row(struct store_stmt *s, struct arena *a, void *slot)
{
    struct org_department *out = slot;
    out->id = store_col_int(s, 0);
    out->code = arena_strdup(a, store_col_text(s, 1));
    out->name = arena_strdup(a, store_col_text(s, 2));
    out->parent_id = store_col_int(s, 3);
    out->phone = arena_strdup(a, store_col_text(s, 4));
    out->active = store_col_int(s, 5) != 0;
    out->created_at = store_col_int(s, 6);
    out->updated_at = store_col_int(s, 7);
}

/* Code and active flag of a department, without an arena. */
struct code_active {
    char code[ORG_CODE_MAX + 1];
    int active;
};

static void read_code_active(struct store_stmt *s, struct arena *a, void *slot)
{
    struct code_active *o = slot;
    (void)a;
    snprintf(o->code, sizeof(o->code), "%s", store_col_text(s, 0));
    o->active = store_col_int(s, 1) != 0;
}

static int code_active(struct store_conn *c, int64_t id, char code[ORG_CODE_MAX + 1], int *active,
                       struct err *err)
{
    struct code_active o;
    int rc = org_read_one(c, "SELECT code, active FROM departments WHERE id = ?",
                          STORE_ARGS(store_i64(id)), sizeof(o), read_code_active, NULL, &o,
                          "department", id, NULL, err);
    if (rc == 0) {
        memcpy(code, o.code, sizeof(o.code));
        *active = o.active;
    }
    return rc;
}

/* A parent must exist and, for an existing department 'id' (0 on create), must not be the
 * department itself or one of its descendants. */
static int check_parent(struct store_conn *c, int64_t id, int64_t parent_id, struct err *err)
{
    int64_t cur = parent_id;
    int rc;

    if (!parent_id)
        return 0;
    for (int depth = 0; cur; depth++) {
        if (cur == id)
            return err_field(err, ERR_BAD_REQUEST, "parent_id",
                             "department %lld cannot be placed under itself or its descendant",
                             (long long)id);
        if (depth == MAX_DEPTH)
            return err_set(err, ERR_INTEGRITY, "departments above %lld form a loop",
                           (long long)parent_id);
        rc = store_one_i64(c, "SELECT coalesce(parent_id, 0) FROM departments WHERE id = ?",
                           STORE_ARGS(store_i64(cur)), &cur, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return depth == 0 ? err_field(err, ERR_BAD_REQUEST, "parent_id",
                                          "parent department %lld not found", (long long)parent_id)
                              : err_set(err, ERR_INTEGRITY, "department %lld has a missing parent",
                                        (long long)parent_id);
    }
    return 0;
}

static int check_code_free(struct store_conn *c, const char *code, int64_t id, struct err *err)
{
    int64_t other;
    int rc = store_one_i64(c, "SELECT id FROM departments WHERE code = ? AND id <> ?",
                           STORE_ARGS(store_text(code), store_i64(id)), &other, err);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return err_field(err, ERR_CONFLICT, "code", "department code '%s' already exists", code);
    return 0;
}

/* What stops a department from going inactive: work that would be routed to it. */
static int check_deactivate(struct store_conn *c, int64_t id, const char *code, struct err *err)
{
    int64_t count = 0;
    int rc;

    if ((rc = store_one_i64(c,
                            "SELECT count(*) FROM categories"
                            " WHERE department_id = ? AND active = 1",
                            STORE_ARGS(store_i64(id)), &count, err)) < 0)
        return rc;
    if (count > 0)
        return err_set(err, ERR_CONFLICT,
                       "department '%s' is the default department of %lld active categories", code,
                       (long long)count);
    if ((rc =
             store_one_i64(c, "SELECT count(*) FROM departments WHERE parent_id = ? AND active = 1",
                           STORE_ARGS(store_i64(id)), &count, err)) < 0)
        return rc;
    if (count > 0)
        return err_set(err, ERR_CONFLICT, "department '%s' has %lld active child departments", code,
                       (long long)count);
    return 0;
}

int org_department_create(struct store_conn *c, const struct org_department_in *in, int64_t now,
                          int64_t *id_out, struct err *err)
{
    int64_t id;
    int rc;

    if ((rc = check_input(in, err)) < 0)
        return rc;
    if ((rc = check_parent(c, 0, in->parent_id, err)) < 0)
        return rc;
    if ((rc = check_code_free(c, in->code, 0, err)) < 0)
        return rc;
    rc = store_one_i64(c,
                       "INSERT INTO departments (code, name, parent_id, phone, active,"
                       " created_at, updated_at) VALUES (?, ?, NULLIF(?, 0), ?, ?, ?, ?)"
                       " RETURNING id",
                       STORE_ARGS(store_text(in->code), store_text(in->name),
                                  store_i64(in->parent_id), store_text(in->phone ? in->phone : ""),
                                  store_i64(in->active), store_i64(now), store_i64(now)),
                       &id, err);
    if (rc < 0)
        return org_conflict(rc, err, "department conflicts with an existing record");
    if (rc == 0)
        return err_set(err, ERR_INTERNAL, "department insert returned no id");
    *id_out = id;
    return 0;
}

static void read_id(struct store_stmt *s, struct arena *a, void *slot)
{
    (void)a;
    *(int64_t *)slot = store_col_int(s, 0);
}

int org_department_regions(struct store_conn *c, int64_t id, struct arena *a, int64_t **out,
                           size_t *n, struct err *err)
{
    int64_t found;
    void *p;
    int rc;

    if ((rc = store_one_i64(c, "SELECT id FROM departments WHERE id = ?", STORE_ARGS(store_i64(id)),
                            &found, err)) < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "department %lld not found", (long long)id);
    rc = org_read_all(c,
                      "SELECT region_id FROM department_regions WHERE department_id = ?"
                      " ORDER BY region_id",
                      STORE_ARGS(store_i64(id)), sizeof(**out), read_id, a, &p, n, err);
    if (rc == 0)
        *out = p;
    return rc;
}

static int fetch(struct store_conn *c, int64_t id, const char *code, struct arena *a,
                 struct org_department *out, struct err *err)
{
    int64_t *ids;
    int rc;

    if (code)
        rc = org_read_one(c, "SELECT " DEPT_COLS " FROM departments WHERE code = ?",
                          STORE_ARGS(store_text(code)), sizeof(*out), read_row, a, out,
                          "department", id, code, err);
    else
        rc = org_read_one(c, "SELECT " DEPT_COLS " FROM departments WHERE id = ?",
                          STORE_ARGS(store_i64(id)), sizeof(*out), read_row, a, out, "department",
                          id, NULL, err);
    if (rc < 0 || (rc = org_department_regions(c, out->id, a, &ids, &out->nregion_ids, err)) < 0)
        return rc;
    out->region_ids = ids;
    return 0;
}

int org_department_get(struct store_conn *c, int64_t id, struct arena *a,
                       struct org_department *out, struct err *err)
{
    return fetch(c, id, NULL, a, out, err);
}

int org_department_get_by_code(struct store_conn *c, const char *code, struct arena *a,
                               struct org_department *out, struct err *err)
{
    if (!code)
        return err_field(err, ERR_BAD_REQUEST, "code", "code is required");
    return fetch(c, 0, code, a, out, err);
}

int org_department_list(struct store_conn *c, const struct org_department_filter *f,
                        struct arena *a, struct org_department **out, size_t *n, struct err *err)
{
    static const struct org_department_filter all = {0};
    void *p;
    int rc;

    if (!f)
        f = &all;
    if (f->active < ORG_ACTIVE_ANY || f->active > ORG_INACTIVE_ONLY)
        return err_field(err, ERR_BAD_REQUEST, "active", "unknown active filter %d",
                         (int)f->active);
    rc = org_read_all(c,
                      "SELECT " DEPT_COLS " FROM departments d"
                      " WHERE (? = 0 OR d.active = ?) AND (? = 0 OR d.parent_id = ?)"
                      " AND (? = 0 OR EXISTS (SELECT 1 FROM department_regions dr"
                      " JOIN regions r ON r.id = dr.region_id JOIN regions t ON t.id = ?"
                      " WHERE dr.department_id = d.id AND " R_COVERS_T "))"
                      " ORDER BY d.code",
                      STORE_ARGS(store_i64((int)f->active), store_i64(f->active == ORG_ACTIVE_ONLY),
                                 store_i64(f->parent_id), store_i64(f->parent_id),
                                 store_i64(f->serves_region_id), store_i64(f->serves_region_id)),
                      sizeof(**out), read_row, a, &p, n, err);
    if (rc == 0)
        *out = p;
    return rc;
}

int org_department_update(struct store_conn *c, int64_t id, const struct org_department_in *in,
                          int64_t now, struct err *err)
{
    char code[ORG_CODE_MAX + 1];
    int64_t changed;
    int active, rc;

    if ((rc = check_input(in, err)) < 0)
        return rc;
    if ((rc = code_active(c, id, code, &active, err)) < 0)
        return rc;
    if ((rc = check_parent(c, id, in->parent_id, err)) < 0)
        return rc;
    if ((rc = check_code_free(c, in->code, id, err)) < 0)
        return rc;
    if (active && !in->active && (rc = check_deactivate(c, id, code, err)) < 0)
        return rc;
    changed = store_run(c,
                        "UPDATE departments SET code = ?, name = ?, parent_id = NULLIF(?, 0),"
                        " phone = ?, active = ?, updated_at = ? WHERE id = ?",
                        STORE_ARGS(store_text(in->code), store_text(in->name),
                                   store_i64(in->parent_id), store_text(in->phone ? in->phone : ""),
                                   store_i64(in->active), store_i64(now), store_i64(id)),
                        err);
    if (changed < 0)
        return org_conflict((int)changed, err, "department conflicts with an existing record");
    return 0;
}

int org_department_delete(struct store_conn *c, int64_t id, int64_t now, struct err *err)
{
    char code[ORG_CODE_MAX + 1];
    int64_t changed;
    int active, rc;

    if ((rc = code_active(c, id, code, &active, err)) < 0)
        return rc;
    if (!active)
        return 0;
    if ((rc = check_deactivate(c, id, code, err)) < 0)
        return rc;
    changed = store_run(c, "UPDATE departments SET active = 0, updated_at = ? WHERE id = ?",
                        STORE_ARGS(store_i64(now), store_i64(id)), err);
    return changed < 0 ? (int)changed : 0;
}

int org_department_purge(struct store_conn *c, int64_t id, struct err *err)
{
    static const struct {
        const char *sql;
        const char *what;
    } refs[] = {
        {"SELECT count(*) FROM departments WHERE parent_id = ?", "child departments"},
        {"SELECT count(*) FROM categories WHERE department_id = ?", "categories"},
        {"SELECT count(*) FROM user_departments WHERE department_id = ?", "users"},
    };
    char code[ORG_CODE_MAX + 1], what[ERR_MSG_MAX];
    int64_t count, changed;
    int active, rc;

    if ((rc = code_active(c, id, code, &active, err)) < 0)
        return rc;
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        if ((rc = store_one_i64(c, refs[i].sql, STORE_ARGS(store_i64(id)), &count, err)) < 0)
            return rc;
        if (count > 0)
            return err_set(err, ERR_CONFLICT, "department '%s' is referenced by %lld %s", code,
                           (long long)count, refs[i].what);
    }
    /* department_regions rows cascade; later tables (cases...) are caught by foreign keys. */
    changed = store_run(c, "DELETE FROM departments WHERE id = ?", STORE_ARGS(store_i64(id)), err);
    if (changed < 0) {
        snprintf(what, sizeof(what), "department '%s' is still referenced by other records", code);
        return org_conflict((int)changed, err, what);
    }
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int org_department_set_regions(struct store_conn *c, int64_t id, const int64_t *region_ids,
                               size_t n, int64_t now, struct err *err)
{
    char code[ORG_CODE_MAX + 1];
    int64_t *ids = NULL, found, changed;
    size_t m = 0;
    int active, rc;

    if (n > ORG_DEPT_REGIONS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "region_ids", "more than %d regions",
                         ORG_DEPT_REGIONS_MAX);
    if ((rc = code_active(c, id, code, &active, err)) < 0)
        return rc;
    if (n) {
        ids = xmalloc(mem_size_mul(n, sizeof(*ids)));
        memcpy(ids, region_ids, n * sizeof(*ids));
        qsort(ids, n, sizeof(*ids), cmp_id);
        for (size_t i = 0; i < n; i++)
            if (i == 0 || ids[i] != ids[i - 1])
                ids[m++] = ids[i];
    }
    /* Every id is checked before the first write. */
    for (size_t i = 0; i < m; i++) {
        if ((rc = store_one_i64(c, "SELECT id FROM regions WHERE id = ?",
                                STORE_ARGS(store_i64(ids[i])), &found, err)) < 0)
            goto out;
        if (rc == 0) {
            rc = err_field(err, ERR_BAD_REQUEST, "region_ids", "region %lld not found",
                           (long long)ids[i]);
            goto out;
        }
    }
    if ((changed = store_run(c, "DELETE FROM department_regions WHERE department_id = ?",
                             STORE_ARGS(store_i64(id)), err)) < 0) {
        rc = (int)changed;
        goto out;
    }
    for (size_t i = 0; i < m; i++) {
        if ((changed = store_run(c,
                                 "INSERT INTO department_regions (department_id, region_id)"
                                 " VALUES (?, ?)",
                                 STORE_ARGS(store_i64(id), store_i64(ids[i])), err)) < 0) {
            rc = (int)changed;
            goto out;
        }
    }
    if ((changed = store_run(c, "UPDATE departments SET updated_at = ? WHERE id = ?",
                             STORE_ARGS(store_i64(now), store_i64(id)), err)) < 0) {
        rc = (int)changed;
        goto out;
    }
    rc = 0;
out:
    free(ids);
    return rc;
}

int org_department_serves_region(struct store_conn *c, int64_t department_id, int64_t region_id,
                                 struct err *err)
{
    int64_t count = 0;
    int rc = store_one_i64(c,
                           "SELECT count(*) FROM department_regions dr"
                           " JOIN regions r ON r.id = dr.region_id JOIN regions t ON t.id = ?"
                           " WHERE dr.department_id = ? AND " R_COVERS_T,
                           STORE_ARGS(store_i64(region_id), store_i64(department_id)), &count, err);
    if (rc < 0)
        return rc;
    return count > 0;
}
