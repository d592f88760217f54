/*
 * The register's reads (lists with a search, one record, lookups by code and road name) and
 * its delete. One spec per kind holds its columns, joins, search and row reader, so every
 * kind is searched, paged and counted the same way.
 */
#include "addr/addr.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "geocode/geocode.h"
#include "store/store.h"

typedef void read_fn(struct store_stmt *s, struct arena *a, void *slot);

static const char *text(struct arena *a, struct store_stmt *s, int col)
{
    return arena_strdup(a, store_col_text(s, col));
}

static const char *maybe(struct arena *a, struct store_stmt *s, int col)
{
    return store_col_is_null(s, col) ? NULL : text(a, s, col);
}

static struct geo_box box_at(struct store_stmt *s, int col)
{
    return (struct geo_box){store_col_real(s, col), store_col_real(s, col + 1),
                            store_col_real(s, col + 2), store_col_real(s, col + 3)};
}

static struct addr_region_ref region_at(struct arena *a, struct store_stmt *s, int col)
{
    return (struct addr_region_ref){store_col_int(s, col), text(a, s, col + 1),
                                    text(a, s, col + 2)};
}

#define REGION_COLS "coalesce(t.region_id, 0), coalesce(g.code, ''), coalesce(g.name, '')"
#define REGION_JOIN " LEFT JOIN regions g ON g.id = t.region_id"

static void read_road(struct store_stmt *s, struct arena *a, void *slot)
{
    struct addr_road *o = slot;
    o->id = store_col_int(s, 0);
    o->code = text(a, s, 1);
    o->name = text(a, s, 2);
    o->kind = text(a, s, 3);
    o->geometry = maybe(a, s, 4);
    o->box = box_at(s, 5);
    o->points = store_col_int(s, 9);
    o->created_at = store_col_int(s, 10);
    o->updated_at = store_col_int(s, 11);
}

static void read_building(struct store_stmt *s, struct arena *a, void *slot)
{
    struct addr_building *o = slot;
    o->id = store_col_int(s, 0);
    o->code = text(a, s, 1);
    o->compound = text(a, s, 2);
    o->number = text(a, s, 3);
    o->use = text(a, s, 4);
    o->floors = (int)store_col_int(s, 5);
    o->footprint = maybe(a, s, 6);
    o->lat = store_col_real(s, 7);
    o->lon = store_col_real(s, 8);
    o->box = box_at(s, 9);
    o->region = region_at(a, s, 13);
    o->created_at = store_col_int(s, 16);
    o->updated_at = store_col_int(s, 17);
}

static void read_point(struct store_stmt *s, struct arena *a, void *slot)
{
    struct addr_point *o = slot;
    o->id = store_col_int(s, 0);
    o->code = text(a, s, 1);
    o->road_id = store_col_int(s, 2);
    o->road_code = text(a, s, 3);
    o->road_name = text(a, s, 4);
    o->house_no = text(a, s, 5);
    o->compound = text(a, s, 6);
    o->building = text(a, s, 7);
    o->unit = text(a, s, 8);
    o->building_id = store_col_int(s, 9);
    o->building_code = text(a, s, 10);
    o->address = text(a, s, 11);
    o->norm = text(a, s, 12);
    o->lat = store_col_real(s, 13);
    o->lon = store_col_real(s, 14);
    o->region = region_at(a, s, 15);
    o->created_at = store_col_int(s, 18);
    o->updated_at = store_col_int(s, 19);
}

static void read_place(struct store_stmt *s, struct arena *a, void *slot)
{
    struct addr_place *o = slot;
    o->id = store_col_int(s, 0);
    o->code = text(a, s, 1);
    o->name = text(a, s, 2);
    o->type = text(a, s, 3);
    o->point_id = store_col_int(s, 4);
    o->point_code = text(a, s, 5);
    o->address = text(a, s, 6);
    o->lat = store_col_real(s, 7);
    o->lon = store_col_real(s, 8);
    o->region = region_at(a, s, 9);
    o->created_at = store_col_int(s, 12);
    o->updated_at = store_col_int(s, 13);
}

static void read_area(struct store_stmt *s, struct arena *a, void *slot)
{
    struct addr_area *o = slot;
    o->id = store_col_int(s, 0);
    o->code = text(a, s, 1);
    o->kind = text(a, s, 2);
    o->name = text(a, s, 3);
    o->geometry = maybe(a, s, 4);
    o->box = box_at(s, 5);
    o->created_at = store_col_int(s, 9);
    o->updated_at = store_col_int(s, 10);
}

/*
 * cols:   the select list; a kind with a geometry takes one parameter first (1: fetch it).
 * from:   the table as t and its joins.
 * search: three LIKE patterns: the text searched for, again, and its normalised form.
 * region, road: one parameter each, compared when the filter's value is not 0 ("0 = ?"
 *         for a kind without that column: a filter on it then matches nothing).
 */
struct spec {
    const char *cols, *from, *search, *type_col, *region, *road;
    const char *const *types;
    int geometry;
    size_t size;
    read_fn *read;
};

/* clang-format off */
static const struct spec specs[ADDR_KIND_COUNT + 1] = {
    [ADDR_ROAD] = {
        "t.id, t.code, t.name, t.kind, CASE WHEN ? = 1 THEN t.geometry END, t.min_lon,"
        " t.min_lat, t.max_lon, t.max_lat,"
        " (SELECT count(*) FROM addr_points p WHERE p.road_id = t.id), t.created_at, t.updated_at",
        "addr_roads t",
        "t.code LIKE ? ESCAPE '\\' OR t.name LIKE ? ESCAPE '\\' OR t.name LIKE ? ESCAPE '\\'",
        "t.kind", "0 = ?", "0 = ?", addr_road_kinds, 1, sizeof(struct addr_road), read_road},
    [ADDR_BUILDING] = {
        "t.id, t.code, t.compound, t.number, t.use, coalesce(t.floors, 0),"
        " CASE WHEN ? = 1 THEN t.footprint END, t.lat, t.lon, t.min_lon, t.min_lat, t.max_lon,"
        " t.max_lat, " REGION_COLS ", t.created_at, t.updated_at",
        "addr_buildings t" REGION_JOIN,
        "t.code LIKE ? ESCAPE '\\' OR (t.compound || t.number) LIKE ? ESCAPE '\\'"
        " OR t.compound LIKE ? ESCAPE '\\'",
        "t.use", "t.region_id = ?", "0 = ?", addr_building_uses, 1,
        sizeof(struct addr_building), read_building},
    [ADDR_POINT] = {
        "t.id, t.code, coalesce(t.road_id, 0), coalesce(r.code, ''), coalesce(r.name, ''),"
        " t.house_no, t.compound, t.building, t.unit, coalesce(t.building_id, 0),"
        " coalesce(b.code, ''), t.address, t.norm, t.lat, t.lon, " REGION_COLS ","
        " t.created_at, t.updated_at",
        "addr_points t LEFT JOIN addr_roads r ON r.id = t.road_id"
        " LEFT JOIN addr_buildings b ON b.id = t.building_id" REGION_JOIN,
        "t.code LIKE ? ESCAPE '\\' OR t.address LIKE ? ESCAPE '\\' OR t.norm LIKE ? ESCAPE '\\'",
        NULL, "t.region_id = ?", "t.road_id = ?", NULL, 0, sizeof(struct addr_point),
        read_point},
    [ADDR_PLACE] = {
        "t.id, t.code, t.name, t.type, coalesce(t.point_id, 0), coalesce(p.code, ''),"
        " t.address, t.lat, t.lon, " REGION_COLS ", t.created_at, t.updated_at",
        "addr_places t LEFT JOIN addr_points p ON p.id = t.point_id" REGION_JOIN,
        "t.code LIKE ? ESCAPE '\\' OR t.name LIKE ? ESCAPE '\\' OR t.address LIKE ? ESCAPE '\\'",
        "t.type", "t.region_id = ?", "0 = ?", addr_place_types, 0, sizeof(struct addr_place),
        read_place},
    [ADDR_AREA] = {
        "t.id, t.code, t.kind, t.name, CASE WHEN ? = 1 THEN t.geometry END, t.min_lon,"
        " t.min_lat, t.max_lon, t.max_lat, t.created_at, t.updated_at",
        "addr_areas t",
        "t.code LIKE ? ESCAPE '\\' OR t.name LIKE ? ESCAPE '\\' OR t.name LIKE ? ESCAPE '\\'",
        "t.kind", "0 = ?", "0 = ?", addr_area_kinds, 1, sizeof(struct addr_area), read_area},
};
/* clang-format on */

/* '%text%' with LIKE's own characters escaped; "" for no text. */
static const char *like_pattern(struct arena *a, const char *q)
{
    size_t n = q ? strlen(q) : 0;
    if (n == 0)
        return "";
    char *p = arena_alloc(a, mem_size_add(mem_size_mul(n, 2), 3)), *o = p;
    *o++ = '%';
    for (size_t i = 0; i < n; i++) {
        if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
            *o++ = '\\';
        *o++ = q[i];
    }
    *o++ = '%';
    *o = '\0';
    return p;
}

struct rows {
    const struct spec *sp;
    struct arena *a;
    unsigned char *p; /* heap while reading */
    size_t n, cap;
};

static int each_row(void *ctx, struct store_stmt *row)
{
    struct rows *r = ctx;
    if (r->n == r->cap) {
        r->cap = r->cap ? mem_size_mul(r->cap, 2) : 16;
        r->p = xrealloc(r->p, mem_size_mul(r->cap, r->sp->size));
    }
    void *slot = r->p + r->n * r->sp->size;
    memset(slot, 0, r->sp->size);
    r->sp->read(row, r->a, slot);
    r->n++;
    return 0;
}

#define WHERE " WHERE (? = '' OR %s) AND (? = '' OR %s = ?) AND (? = 0 OR %s) AND (? = 0 OR %s)"

static int list(struct store_conn *c, enum addr_kind kind, const struct addr_filter *f,
                struct arena *a, void **out, size_t *n, int64_t *total, struct err *err)
{
    static const struct addr_filter all = {0};
    const struct spec *sp = &specs[kind];
    const char *type = f && f->type ? f->type : "";
    struct rows r = {sp, a, NULL, 0, 0};
    int64_t got;
    int rc;

    if (!f)
        f = &all;
    *out = NULL;
    *n = 0;
    if (*type && !(sp->types && addr_value_in(sp->types, type)))
        return err_field(err, ERR_BAD_REQUEST, "type", "type '%.40s' is not one of the %s's", type,
                         addr_kind_name(kind));
    if (f->limit < 0 || f->offset < 0)
        return err_field(err, ERR_BAD_REQUEST, f->limit < 0 ? "limit" : "offset",
                         "limit and offset must not be negative");
    const char *pat = like_pattern(a, f->q);
    const char *npat = kind == ADDR_POINT && *pat ? like_pattern(a, geocode_norm(a, f->q)) : pat;
    const char *type_col = sp->type_col ? sp->type_col : "''";
    const char *where = arena_printf(a, WHERE, sp->search, type_col, sp->region, sp->road);
    struct store_arg args[16];
    size_t k = 0;
    if (sp->geometry)
        args[k++] = store_i64(f->with_geometry ? 1 : 0);
    size_t first = k;
    args[k++] = store_text(pat);
    args[k++] = store_text(pat);
    args[k++] = store_text(pat);
    args[k++] = store_text(npat);
    args[k++] = store_text(type);
    args[k++] = store_text(type);
    args[k++] = store_i64(f->region_id);
    args[k++] = store_i64(f->region_id);
    args[k++] = store_i64(f->road_id);
    args[k++] = store_i64(f->road_id);
    size_t nfilter = k - first;
    args[k++] = store_i64(f->limit ? f->limit : INT64_MAX);
    args[k++] = store_i64(f->offset);

    const char *sql = arena_printf(a, "SELECT %s FROM %s%s ORDER BY t.code LIMIT ? OFFSET ?",
                                   sp->cols, sp->from, where);
    int64_t nrows = store_all(c, sql, (struct store_args){args, k}, each_row, &r, err);
    if (nrows < 0) {
        rc = (int)nrows;
        goto out;
    }
    if (total) {
        sql = arena_printf(a, "SELECT count(*) FROM %s%s", sp->from, where);
        if ((rc = store_one_i64(c, sql, (struct store_args){args + first, nfilter}, &got, err)) < 0)
            goto out;
        *total = got;
    }
    if (r.n) {
        *out = arena_alloc(a, mem_size_mul(r.n, sp->size));
        memcpy(*out, r.p, r.n * sp->size);
    }
    *n = r.n;
    rc = 0;
out:
    free(r.p);
    return rc;
}

static int get(struct store_conn *c, enum addr_kind kind, int64_t id, struct arena *a, void *out,
               struct err *err)
{
    const struct spec *sp = &specs[kind];
    struct rows r = {sp, a, NULL, 0, 0};
    const char *sql = arena_printf(a, "SELECT %s FROM %s WHERE t.id = ?", sp->cols, sp->from);
    int64_t rc = sp->geometry
                     ? store_all(c, sql, STORE_ARGS(store_i64(1), store_i64(id)), each_row, &r, err)
                     : store_all(c, sql, STORE_ARGS(store_i64(id)), each_row, &r, err);
    if (rc == 0)
        rc = err_set(err, ERR_NOT_FOUND, "%s %lld not found", addr_kind_name(kind), (long long)id);
    else if (rc > 0) {
        memcpy(out, r.p, sp->size);
        rc = 0;
    }
    free(r.p);
    return (int)rc;
}

/* clang-format off */
#define LIST_GET(name, kind, type)                                                                 \
    int addr_##name##_list(struct store_conn *c, const struct addr_filter *f, struct arena *a,    \
                           type **out, size_t *n, int64_t *total, struct err *err)                \
    {                                                                                              \
        void *p;                                                                                   \
        int rc = list(c, kind, f, a, &p, n, total, err);                                           \
        *out = p;                                                                                  \
        return rc;                                                                                 \
    }                                                                                              \
    int addr_##name##_get(struct store_conn *c, int64_t id, struct arena *a, type *out,           \
                          struct err *err)                                                         \
    {                                                                                              \
        return get(c, kind, id, a, out, err);                                                      \
    }
/* clang-format on */

LIST_GET(road, ADDR_ROAD, struct addr_road)
LIST_GET(building, ADDR_BUILDING, struct addr_building)
LIST_GET(point, ADDR_POINT, struct addr_point)
LIST_GET(place, ADDR_PLACE, struct addr_place)
LIST_GET(area, ADDR_AREA, struct addr_area)

int addr_id_by_code(struct store_conn *c, enum addr_kind kind, const char *code, int64_t *id,
                    struct err *err)
{
    const char *table = addr_table(kind);
    char sql[96];
    if (!table)
        return err_set(err, ERR_INTERNAL, "unknown register kind %d", (int)kind);
    snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE code = ?", table);
    return store_one_i64(c, sql, STORE_ARGS(store_text(code ? code : "")), id, err);
}

int addr_code_of(struct store_conn *c, enum addr_kind kind, int64_t id, struct arena *a,
                 char **code, struct err *err)
{
    const char *table = addr_table(kind);
    char sql[96];
    if (!table)
        return err_set(err, ERR_INTERNAL, "unknown register kind %d", (int)kind);
    snprintf(sql, sizeof(sql), "SELECT code FROM %s WHERE id = ?", table);
    return store_one_text(c, sql, STORE_ARGS(store_i64(id)), a, code, err);
}

int addr_road_by_name(struct store_conn *c, const char *name, double lat, double lon, int64_t *id,
                      struct err *err)
{
    return store_one_i64(c,
                         "SELECT id FROM addr_roads WHERE name = ?"
                         " ORDER BY abs((min_lon + max_lon) / 2 - ?)"
                         " + abs((min_lat + max_lat) / 2 - ?), id LIMIT 1",
                         STORE_ARGS(store_text(name ? name : ""), store_real(lon), store_real(lat)),
                         id, err);
}

int addr_point_by_norm(struct store_conn *c, const char *norm, int64_t *id, struct err *err)
{
    return store_one_i64(c, "SELECT id FROM addr_points WHERE norm = ? ORDER BY id LIMIT 1",
                         STORE_ARGS(store_text(norm ? norm : "")), id, err);
}

/* What refers to a record of each kind: the table and column, and what to call them. */
static const struct {
    int kind;
    const char *sql, *what;
} refs[] = {
    {ADDR_ROAD, "SELECT count(*) FROM addr_points WHERE road_id = ?", "address points"},
    {ADDR_BUILDING, "SELECT count(*) FROM addr_points WHERE building_id = ?", "address points"},
    {ADDR_POINT, "SELECT count(*) FROM addr_places WHERE point_id = ?", "places"},
};

int addr_delete(struct store_conn *c, enum addr_kind kind, int64_t id, struct err *err)
{
    const char *table = addr_table(kind);
    char sql[96];
    int64_t count, changed;
    int rc;

    if (!table)
        return err_set(err, ERR_INTERNAL, "unknown register kind %d", (int)kind);
    snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE id = ?", table);
    if ((rc = store_one(c, sql, STORE_ARGS(store_i64(id)), NULL, NULL, err)) < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "%s %lld not found", addr_kind_name(kind),
                       (long long)id);
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        if (refs[i].kind != (int)kind)
            continue;
        if ((rc = store_one_i64(c, refs[i].sql, STORE_ARGS(store_i64(id)), &count, err)) < 0)
            return rc;
        if (count > 0)
            return err_set(err, ERR_CONFLICT, "%s %lld is still referred to by %lld %s",
                           addr_kind_name(kind), (long long)id, (long long)count, refs[i].what);
    }
    snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?", table);
    changed = store_run(c, sql, STORE_ARGS(store_i64(id)), err);
    if (changed == ERR_CONFLICT)
        return err_set(err, ERR_CONFLICT, "%s %lld is still referred to by other records",
                       addr_kind_name(kind), (long long)id);
    if (changed < 0)
        return (int)changed;
    changed = store_run(c, "UPDATE addr_version SET version = version + 1 WHERE id = 1",
                        STORE_NO_ARGS, err);
    return changed < 0 ? (int)changed : 0;
}

int addr_version(struct store_conn *c, int64_t *out, struct err *err)
{
    int rc =
        store_one_i64(c, "SELECT version FROM addr_version WHERE id = 1", STORE_NO_ARGS, out, err);
    if (rc == 0)
        return err_set(err, ERR_INTEGRITY, "addr_version has no row");
    return rc < 0 ? rc : 0;
}
