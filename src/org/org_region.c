/*
 * Regions: the district → street → community → grid (→ micro-grid) tree, with codes that carry the tree in
 * their prefixes (GB/T 2260 for districts, the statistical division codes below that).
 */
#include "org/org.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "geo/geo.h"
#include "org/org_internal.h"
#include "store/store.h"

/* Longest chain a well-formed tree can have; a longer one means a damaged table. */
#define MAX_DEPTH ORG_REGION_LEVELS

/* Code length of each fixed-length level, indexed by level; grids vary. */
static const size_t code_len[] = {0, 6, 9, 12, 0, 0};

static const char *const level_names[] = {"", "district", "street", "community", "grid", "micro"};

const char *org_region_level_name(enum org_region_level level)
{
    if (level < ORG_REGION_DISTRICT || level > ORG_REGION_MICRO)
        return "";
    return level_names[level];
}

int org_region_level_from_name(const char *name)
{
    if (!name)
        return 0;
    for (int l = ORG_REGION_DISTRICT; l <= ORG_REGION_MICRO; l++)
        if (strcmp(name, level_names[l]) == 0)
            return l;
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int grid_suffix_char(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
           ch == '_' || ch == '-';
}

/* A grid code: 12 digits and 1.. of [0-9A-Za-z_-], 'n' bytes of 's' in all. */
static int grid_code_ok(const char *s, size_t n)
{
    int ok = n > 12 && n <= ORG_CODE_MAX && all_digits(s, 12);
    for (size_t i = 12; ok && i < n; i++)
        ok = grid_suffix_char(s[i]);
    return ok;
}

int org_region_check_code(const char *code, enum org_region_level level, const char *parent_code,
                          struct err *err)
{
    size_t n = code ? strlen(code) : 0;

    if (level < ORG_REGION_DISTRICT || level > ORG_REGION_MICRO)
        return err_field(err, ERR_BAD_REQUEST, "level",
                         "level must be district, street, community, grid or micro");
    if (n == 0)
        return err_field(err, ERR_BAD_REQUEST, "code", "code is required");
    if (level == ORG_REGION_GRID) {
        if (!grid_code_ok(code, n))
            return err_field(err, ERR_BAD_REQUEST, "code",
                             "a grid code is its community's 12 digits followed by 1 to %d of "
                             "[0-9A-Za-z_-], not '%.40s'",
                             ORG_CODE_MAX - 12, code);
    } else if (level == ORG_REGION_MICRO) {
        const char *dot = memchr(code, '.', n);
        int ok =
            dot && n <= ORG_CODE_MAX && grid_code_ok(code, (size_t)(dot - code)) && dot[1] != '\0';
        for (const char *p = dot ? dot + 1 : code; ok && *p; p++)
            ok = grid_suffix_char(*p);
        if (!ok)
            return err_field(err, ERR_BAD_REQUEST, "code",
                             "a micro-grid code is its grid's code, '.' and at least one of "
                             "[0-9A-Za-z_-], at most %d bytes in all, not '%.40s'",
                             ORG_CODE_MAX, code);
    } else if (n != code_len[level] || !all_digits(code, n)) {
        return err_field(err, ERR_BAD_REQUEST, "code", "a %s code is %zu digits, not '%.40s'",
                         level_names[level], code_len[level], code);
    }
    if (parent_code && level == ORG_REGION_MICRO) {
        size_t pn = strlen(parent_code);
        if (strncmp(code, parent_code, pn) != 0 || code[pn] != '.')
            return err_field(err, ERR_BAD_REQUEST, "code",
                             "code '%.40s' does not start with its grid's code '%.40s' and '.'",
                             code, parent_code);
    } else if (parent_code && level > ORG_REGION_DISTRICT && level < ORG_REGION_MICRO) {
        size_t pn = code_len[level - 1];
        if (pn && (strlen(parent_code) != pn || strncmp(code, parent_code, pn) != 0))
            return err_field(err, ERR_BAD_REQUEST, "code",
                             "code '%.40s' does not start with its parent's code '%.40s'", code,
                             parent_code);
    }
    return 0;
}

int org_region_code_in_subtree(const char *code, const char *ancestor_code)
{
    if (!code || !ancestor_code || !*ancestor_code)
        return 0;
    size_t an = strlen(ancestor_code);
    if (strcmp(code, ancestor_code) == 0)
        return 1;
    if (strncmp(code, ancestor_code, an) != 0 || strlen(code) <= an)
        return 0;
    /* District, street and community codes (6, 9, 12 digits) prefix their subtrees; a grid
     * only its micro-grids, after a '.'; a micro-grid (holding a '.') nothing. */
    if (an > 12)
        return code[an] == '.' && !strchr(ancestor_code, '.');
    return 1;
}

static int check_boundary(const char *boundary, struct err *err)
{
    struct err e = ERR_INIT;
    int rc;

    if (!boundary || !*boundary)
        return 0;
    if (strlen(boundary) > ORG_BOUNDARY_MAX)
        return err_field(err, ERR_BAD_REQUEST, "boundary", "boundary is larger than %d bytes",
                         ORG_BOUNDARY_MAX);
    if ((rc = geo_validate(boundary, &e)) < 0) {
        if (rc == ERR_BAD_REQUEST)
            return err_field(err, rc, "boundary", "invalid boundary: %s", e.msg);
        if (err)
            *err = e;
        return rc;
    }
    return 0;
}

/* Columns read by read_row(); the boundary is fetched only when the first '?' is 1. */
#define REGION_COLS                                                                                \
    "id, code, name, level, coalesce(parent_id, 0), created_at, updated_at,"                       \
    " CASE WHEN ? = 1 THEN boundary ELSE NULL END"

static void read_row(struct store_stmt *s, struct arena *a, void *slot)
{
    struct org_region *out = slot;
    out->id = store_col_int(s, 0);
    out->code = arena_strdup(a, store_col_text(s, 1));
    out->name = arena_strdup(a, store_col_text(s, 2));
    out->level = org_region_level_from_name(store_col_text(s, 3));
    out->parent_id = store_col_int(s, 4);
    out->created_at = store_col_int(s, 5);
    out->updated_at = store_col_int(s, 6);
    out->boundary = store_col_is_null(s, 7) ? NULL : arena_strdup(a, store_col_text(s, 7));
}

/* One region by id (code NULL) or by code. */
static int fetch(struct store_conn *c, int64_t id, const char *code, int with_boundary,
                 struct arena *a, struct org_region *out, struct err *err)
{
    if (code)
        return org_read_one(c, "SELECT " REGION_COLS " FROM regions WHERE code = ?",
                            STORE_ARGS(store_i64(with_boundary), store_text(code)), sizeof(*out),
                            read_row, a, out, "region", id, code, err);
    return org_read_one(c, "SELECT " REGION_COLS " FROM regions WHERE id = ?",
                        STORE_ARGS(store_i64(with_boundary), store_i64(id)), sizeof(*out), read_row,
                        a, out, "region", id, NULL, err);
}

int org_region_get(struct store_conn *c, int64_t id, struct arena *a, struct org_region *out,
                   struct err *err)
{
    return fetch(c, id, NULL, 1, a, out, err);
}

int org_region_get_by_code(struct store_conn *c, const char *code, struct arena *a,
                           struct org_region *out, struct err *err)
{
    if (!code)
        return err_field(err, ERR_BAD_REQUEST, "code", "code is required");
    return fetch(c, 0, code, 1, a, out, err);
}

/* Code and level of a region, without touching an arena. */
struct code_level {
    char code[ORG_CODE_MAX + 1];
    int level;
};

static void read_code_level(struct store_stmt *s, struct arena *a, void *slot)
{
    struct code_level *o = slot;
    (void)a;
    snprintf(o->code, sizeof(o->code), "%s", store_col_text(s, 0));
    o->level = org_region_level_from_name(store_col_text(s, 1));
}

static int code_level(struct store_conn *c, int64_t id, char code[ORG_CODE_MAX + 1], int *level,
                      struct err *err)
{
    struct code_level o;
    int rc =
        org_read_one(c, "SELECT code, level FROM regions WHERE id = ?", STORE_ARGS(store_i64(id)),
                     sizeof(o), read_code_level, NULL, &o, "region", id, NULL, err);
    if (rc == 0) {
        memcpy(code, o.code, sizeof(o.code));
        *level = o.level;
    }
    return rc;
}

int org_region_create(struct store_conn *c, const struct org_region_in *in, int64_t now,
                      int64_t *id_out, struct err *err)
{
    char parent_code[ORG_CODE_MAX + 1];
    int64_t id;
    int parent_level, rc;

    if ((rc = org_check_text(in->name, "name", ORG_NAME_MAX, 1, err)) < 0)
        return rc;
    if ((rc = org_region_check_code(in->code, in->level, NULL, err)) < 0)
        return rc;
    if (in->level == ORG_REGION_DISTRICT) {
        if (in->parent_id != 0)
            return err_field(err, ERR_BAD_REQUEST, "parent_id", "a district has no parent region");
    } else {
        if (in->parent_id <= 0)
            return err_field(err, ERR_BAD_REQUEST, "parent_id", "a %s needs a parent %s",
                             level_names[in->level], level_names[in->level - 1]);
        rc = code_level(c, in->parent_id, parent_code, &parent_level, err);
        if (rc == ERR_NOT_FOUND)
            return err_field(err, ERR_BAD_REQUEST, "parent_id", "parent region %lld not found",
                             (long long)in->parent_id);
        if (rc < 0)
            return rc;
        if (parent_level != (int)in->level - 1)
            return err_field(err, ERR_BAD_REQUEST, "level", "a %s cannot be placed under a %s",
                             level_names[in->level], org_region_level_name(parent_level));
        if ((rc = org_region_check_code(in->code, in->level, parent_code, err)) < 0)
            return rc;
    }
    if ((rc = check_boundary(in->boundary, err)) < 0)
        return rc;
    if ((rc = store_one_i64(c, "SELECT id FROM regions WHERE code = ?",
                            STORE_ARGS(store_text(in->code)), &id, err)) < 0)
        return rc;
    if (rc == 1)
        return err_field(err, ERR_CONFLICT, "code", "region code '%s' already exists", in->code);

    rc = store_one_i64(c,
                       "INSERT INTO regions (code, name, level, parent_id, boundary, created_at,"
                       " updated_at) VALUES (?, ?, ?, NULLIF(?, 0), ?, ?, ?) RETURNING id",
                       STORE_ARGS(store_text(in->code), store_text(in->name),
                                  store_text(level_names[in->level]), store_i64(in->parent_id),
                                  store_text((in->boundary && *in->boundary) ? in->boundary : NULL),
                                  store_i64(now), store_i64(now)),
                       &id, err);
    if (rc < 0)
        return org_conflict(rc, err, "region conflicts with an existing record");
    if (rc == 0)
        return err_set(err, ERR_INTERNAL, "region insert returned no id");
    *id_out = id;
    return 0;
}

int org_region_list(struct store_conn *c, const struct org_region_filter *f, struct arena *a,
                    struct org_region **out, size_t *n, struct err *err)
{
    static const struct org_region_filter all = {0};
    void *p;
    int rc;

    if (!f)
        f = &all;
    if (f->level && !org_region_level_name(f->level)[0])
        return err_field(err, ERR_BAD_REQUEST, "level", "unknown region level %d", (int)f->level);
        /* Two fixed statements for every filter combination: a zero parameter disables its test.
     * A parent's children are read through regions_parent, which "? = 0 OR parent_id = ?"
     * cannot use (a scan of every region per parent made a city's import quadratic). */
#define REGION_LIST_REST                                                                           \
    " AND (? = '' OR r.level = ?)"                                                                 \
    " AND (? = 0 OR EXISTS (SELECT 1 FROM regions w WHERE w.id = ? AND"                            \
    " (w.id = r.id OR (length(w.code) <= 12 AND"                                                   \
    " substr(r.code, 1, length(w.code)) = w.code) OR (w.level = 'grid' AND"                        \
    " substr(r.code, 1, length(w.code) + 1) = w.code || '.'))))"                                   \
    " ORDER BY r.code"
    rc = org_read_all(c,
                      f->parent_id ? "SELECT " REGION_COLS " FROM regions r"
                                     " WHERE r.parent_id = ? AND r.parent_id = ?" REGION_LIST_REST
                                   : "SELECT " REGION_COLS " FROM regions r"
                                     " WHERE ? = 0 AND ? = 0" REGION_LIST_REST,
                      STORE_ARGS(store_i64(f->with_boundary ? 1 : 0), store_i64(f->parent_id),
                                 store_i64(f->parent_id),
                                 store_text(org_region_level_name(f->level)),
                                 store_text(org_region_level_name(f->level)),
                                 store_i64(f->within_id), store_i64(f->within_id)),
                      sizeof(**out), read_row, a, &p, n, err);
    if (rc == 0)
        *out = p;
    return rc;
}

int org_region_update(struct store_conn *c, int64_t id, const struct org_region_in *in, int64_t now,
                      struct err *err)
{
    struct store_stmt *s = NULL;
    int64_t changed;
    int rc;

    if ((rc = org_check_text(in->name, "name", ORG_NAME_MAX, 1, err)) < 0)
        return rc;
    if ((rc = check_boundary(in->boundary, err)) < 0)
        return rc;
    if ((rc = store_prepare(c,
                            "SELECT code, level, coalesce(parent_id, 0) FROM regions WHERE id = ?",
                            STORE_ARGS(store_i64(id)), &s, err)) < 0)
        goto out;
    if ((rc = store_step(s, err)) < 0)
        goto out;
    if (rc == 0) {
        rc = err_set(err, ERR_NOT_FOUND, "region %lld not found", (long long)id);
        goto out;
    }
    if (in->code && strcmp(in->code, store_col_text(s, 0)) != 0) {
        rc = err_field(err, ERR_BAD_REQUEST, "code", "a region's code cannot be changed");
        goto out;
    }
    if (in->level && strcmp(org_region_level_name(in->level), store_col_text(s, 1)) != 0) {
        rc = err_field(err, ERR_BAD_REQUEST, "level", "a region's level cannot be changed");
        goto out;
    }
    if (in->parent_id && in->parent_id != store_col_int(s, 2)) {
        rc = err_field(err, ERR_BAD_REQUEST, "parent_id", "a region cannot be moved");
        goto out;
    }
    store_done(s);
    s = NULL;
    changed =
        store_run(c, "UPDATE regions SET name = ?, boundary = ?, updated_at = ? WHERE id = ?",
                  STORE_ARGS(store_text(in->name),
                             store_text((in->boundary && *in->boundary) ? in->boundary : NULL),
                             store_i64(now), store_i64(id)),
                  err);
    rc = changed < 0 ? (int)changed : 0;
out:
    store_done(s);
    return rc;
}

int org_region_delete(struct store_conn *c, int64_t id, struct err *err)
{
    char code[ORG_CODE_MAX + 1];
    int64_t count = 0;
    int level, rc;

    if ((rc = code_level(c, id, code, &level, err)) < 0)
        return rc;
    /* What still refers to the region, and how the refusal says so. */
    static const struct {
        const char *sql, *verb, *noun;
    } uses[] = {
        {"SELECT count(*) FROM regions WHERE parent_id = ?", "has", "child regions"},
        {"SELECT count(*) FROM users WHERE region_id = ?", "is the scope of", "users"},
        {"SELECT count(*) FROM department_regions WHERE region_id = ?", "is served by",
         "departments"},
    };
    for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
        if ((rc = store_one_i64(c, uses[i].sql, STORE_ARGS(store_i64(id)), &count, err)) < 0)
            return rc;
        if (count > 0)
            return err_set(err, ERR_CONFLICT, "region '%s' %s %lld %s", code, uses[i].verb,
                           (long long)count, uses[i].noun);
    }
    /* Tables added later (cases...) are caught by their foreign keys. */
    int64_t changed =
        store_run(c, "DELETE FROM regions WHERE id = ?", STORE_ARGS(store_i64(id)), err);
    if (changed < 0) {
        char what[ERR_MSG_MAX];
        snprintf(what, sizeof(what), "region '%s' is still referenced by other records", code);
        return org_conflict((int)changed, err, what);
    }
    return 0;
}

int org_region_in_subtree(struct store_conn *c, int64_t id, int64_t ancestor_id, struct err *err)
{
    struct store_stmt *s = NULL;
    int rc = store_prepare(c,
                           "SELECT a.code, b.code FROM regions a, regions b"
                           " WHERE a.id = ? AND b.id = ?",
                           STORE_ARGS(store_i64(id), store_i64(ancestor_id)), &s, err);
    if (rc < 0)
        goto out;
    if ((rc = store_step(s, err)) < 0)
        goto out;
    if (rc == 0) {
        rc = err_set(err, ERR_NOT_FOUND, "region %lld or %lld not found", (long long)id,
                     (long long)ancestor_id);
        goto out;
    }
    rc = org_region_code_in_subtree(store_col_text(s, 0), store_col_text(s, 1));
out:
    store_done(s);
    return rc;
}

int org_region_path(struct store_conn *c, int64_t id, struct arena *a, struct org_region **out,
                    size_t *n, struct err *err)
{
    struct org_region chain[MAX_DEPTH];
    size_t depth = 0;
    int64_t cur = id;
    int rc;

    while (cur) {
        if (depth == MAX_DEPTH)
            return err_set(err, ERR_INTEGRITY, "region %lld is nested deeper than %d levels",
                           (long long)id, MAX_DEPTH);
        if ((rc = fetch(c, cur, NULL, 0, a, &chain[depth], err)) < 0)
            return cur == id ? rc
                             : err_set(err, ERR_INTEGRITY, "region %lld has a missing ancestor",
                                       (long long)id);
        cur = chain[depth++].parent_id;
    }
    struct org_region *path = arena_alloc(a, depth * sizeof(*path));
    for (size_t i = 0; i < depth; i++)
        path[i] = chain[depth - 1 - i];
    *out = path;
    *n = depth;
    return 0;
}

int org_region_path_name(struct store_conn *c, int64_t id, const char *sep, struct arena *a,
                         const char **out, struct err *err)
{
    struct org_region *path;
    size_t n, len = 0, seplen = strlen(sep);
    int rc;

    if ((rc = org_region_path(c, id, a, &path, &n, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        len += strlen(path[i].name) + (i ? seplen : 0);
    char *p = arena_alloc(a, len + 1), *w = p;
    for (size_t i = 0; i < n; i++) {
        if (i) {
            memcpy(w, sep, seplen);
            w += seplen;
        }
        size_t k = strlen(path[i].name);
        memcpy(w, path[i].name, k);
        w += k;
    }
    *w = '\0';
    *out = p;
    return 0;
}
