/*
 * The register's writers: validate, derive (bounding box, point on a footprint, region,
 * written address and its normalised key), upsert by code, bump addr_version.
 */
#include "addr/addr.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "addr/addr_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "geo/geo.h"
#include "geocode/geocode.h"
#include "store/store.h"

/* clang-format off */
const char *const addr_road_kinds[] = {"trunk", "primary", "secondary", "branch", "path", NULL};
const char *const addr_building_uses[] = {"residential", "commercial", "public", "industrial",
                                          "other", NULL};
const char *const addr_place_types[] = {
    "school", "kindergarten", "hospital", "clinic", "pharmacy", "market", "supermarket", "park",
    "government", "police", "community_centre", "elderly_care", "sports", "library", "bus_stop",
    "metro", "toilet", "other", NULL};
const char *const addr_area_kinds[] = {"water", "green", NULL};

static const struct {
    const char *name, *table;
} kinds[ADDR_KIND_COUNT + 1] = {
    [ADDR_ROAD] = {"road", "addr_roads"},
    [ADDR_BUILDING] = {"building", "addr_buildings"},
    [ADDR_POINT] = {"point", "addr_points"},
    [ADDR_PLACE] = {"place", "addr_places"},
    [ADDR_AREA] = {"area", "addr_areas"},
};
/* clang-format on */

const char *addr_kind_name(enum addr_kind k)
{
    return k >= 1 && k <= ADDR_KIND_COUNT ? kinds[k].name : "";
}

int addr_kind_from_name(const char *name)
{
    for (int k = 1; name && k <= ADDR_KIND_COUNT; k++)
        if (strcmp(name, kinds[k].name) == 0)
            return k;
    return 0;
}

const char *addr_table(int kind)
{
    return kind >= 1 && kind <= ADDR_KIND_COUNT ? kinds[kind].table : NULL;
}

int addr_value_in(const char *const *list, const char *v)
{
    for (size_t i = 0; v && list[i]; i++)
        if (strcmp(list[i], v) == 0)
            return 1;
    return 0;
}

/* 'rc' (an input error) with the reason why. */
static int why(struct err *err, int rc, const char *reason)
{
    if (err)
        err->reason = reason;
    return rc;
}

int addr_check_text(const char *s, const char *field, size_t max_cp, int required, struct err *err)
{
    size_t n;
    int blank = 1;

    if (!s)
        s = "";
    n = strlen(s);
    if (utf8_invalid_at(s, n) >= 0)
        return why(err, err_field(err, ERR_BAD_REQUEST, field, "%s is not valid UTF-8", field),
                   ADDR_WHY_INVALID);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            return why(
                err,
                err_field(err, ERR_BAD_REQUEST, field, "%s contains a control character", field),
                ADDR_WHY_INVALID);
        if (ch != ' ')
            blank = 0;
    }
    if (required && blank)
        return why(err, err_field(err, ERR_BAD_REQUEST, field, "%s is required", field),
                   ADDR_WHY_REQUIRED);
    if (utf8_len(s) > max_cp)
        return why(err,
                   err_field(err, ERR_BAD_REQUEST, field, "%s is longer than %zu characters", field,
                             max_cp),
                   ADDR_WHY_TOO_LONG);
    return 0;
}

static int check_code(const char *code, struct err *err)
{
    size_t n = code ? strlen(code) : 0;
    if (n == 0)
        return why(err, err_field(err, ERR_BAD_REQUEST, "code", "code is required"),
                   ADDR_WHY_REQUIRED);
    if (n > ADDR_CODE_MAX)
        return why(err,
                   err_field(err, ERR_BAD_REQUEST, "code", "code is longer than %d characters",
                             ADDR_CODE_MAX),
                   ADDR_WHY_TOO_LONG);
    for (size_t i = 0; i < n; i++) {
        char ch = code[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return why(err,
                       err_field(err, ERR_BAD_REQUEST, "code",
                                 "code may hold only letters, digits, '_', '-' and '.'"),
                       ADDR_WHY_INVALID);
    }
    return 0;
}

static int check_choice(const char *const *list, const char *v, const char *field, struct err *err)
{
    if (!v || !*v)
        return why(err, err_field(err, ERR_BAD_REQUEST, field, "%s is required", field),
                   ADDR_WHY_REQUIRED);
    if (addr_value_in(list, v))
        return 0;
    char names[256] = "";
    size_t used = 0;
    for (size_t i = 0; list[i] && used < sizeof(names); i++)
        used +=
            (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "", list[i]);
    return why(
        err, err_field(err, ERR_BAD_REQUEST, field, "%s '%.40s' is not one of %s", field, v, names),
        ADDR_WHY_CHOICE);
}

/* The geometry of 'field' checked by GEOS; its box and a point on it. */
static int check_shape(const char *geojson, enum geo_kind kind, const char *field,
                       struct geo_box *box, double *lon, double *lat, struct err *err)
{
    if (!geojson || !*geojson)
        return why(err, err_field(err, ERR_BAD_REQUEST, field, "%s is required", field),
                   ADDR_WHY_REQUIRED);
    if (strlen(geojson) > ADDR_GEOMETRY_MAX)
        return why(err,
                   err_field(err, ERR_BAD_REQUEST, field, "%s is larger than %d bytes", field,
                             ADDR_GEOMETRY_MAX),
                   ADDR_WHY_TOO_LONG);
    int rc = geo_shape(geojson, kind, box, lon, lat, err);
    if (rc == ERR_BAD_REQUEST && err) {
        snprintf(err->field, sizeof(err->field), "%s", field);
        err->reason = ADDR_WHY_GEOMETRY;
    }
    return rc;
}

static int check_position(double lat, double lon, struct err *err)
{
    /* Written so that NaN fails too. */
    if (!(lat >= -90.0 && lat <= 90.0))
        return why(err, err_field(err, ERR_BAD_REQUEST, "lat", "lat must be a latitude (-90..90)"),
                   ADDR_WHY_INVALID);
    if (!(lon >= -180.0 && lon <= 180.0))
        return why(err,
                   err_field(err, ERR_BAD_REQUEST, "lon", "lon must be a longitude (-180..180)"),
                   ADDR_WHY_INVALID);
    return 0;
}

/* The region holding the point; refused outside every region when the index has any. */
static int locate(struct geo_index *grids, double lon, double lat, const char *field,
                  int64_t *region, struct err *err)
{
    *region = 0;
    if (!grids || geo_index_size(grids) == 0)
        return 0;
    *region = geo_locate(grids, lon, lat);
    if (!*region)
        return why(err,
                   err_field(err, ERR_BAD_REQUEST, field,
                             "point (lon %.6f, lat %.6f) lies outside the district: no region "
                             "holds it",
                             lon, lat),
                   ADDR_WHY_OUTSIDE);
    return 0;
}

static int bump_version(struct store_conn *c, struct err *err)
{
    int64_t n = store_run(c, "UPDATE addr_version SET version = version + 1 WHERE id = 1",
                          STORE_NO_ARGS, err);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return err_set(err, ERR_INTEGRITY, "addr_version has no row");
    return 0;
}

/* The upsert's RETURNING id, then the version. */
static int finish(struct store_conn *c, int rc, int64_t rid, int64_t *id, const char *what,
                  struct err *err)
{
    if (rc == ERR_CONFLICT)
        return err_set(err, ERR_CONFLICT, "%s conflicts with an existing record", what);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_INTERNAL, "%s upsert returned no id", what);
    if ((rc = bump_version(c, err)) < 0)
        return rc;
    if (id)
        *id = rid;
    return 0;
}

int addr_road_put(struct store_conn *c, const struct addr_road_in *in, int64_t now, int64_t *id,
                  struct err *err)
{
    struct geo_box b;
    int64_t rid;
    int rc;

    if ((rc = check_code(in->code, err)) < 0 ||
        (rc = addr_check_text(in->name, "name", ADDR_NAME_MAX, 1, err)) < 0 ||
        (rc = check_choice(addr_road_kinds, in->kind, "kind", err)) < 0 ||
        (rc = check_shape(in->geometry, GEO_LINE, "geometry", &b, NULL, NULL, err)) < 0)
        return rc;
    rc = store_one_i64(
        c,
        "INSERT INTO addr_roads (code, name, kind, geometry, min_lon, min_lat, max_lon, max_lat,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind,"
        " geometry = excluded.geometry, min_lon = excluded.min_lon, min_lat = excluded.min_lat,"
        " max_lon = excluded.max_lon, max_lat = excluded.max_lat,"
        " updated_at = excluded.updated_at RETURNING id",
        STORE_ARGS(store_text(in->code), store_text(in->name), store_text(in->kind),
                   store_text(in->geometry), store_real(b.min_lon), store_real(b.min_lat),
                   store_real(b.max_lon), store_real(b.max_lat), store_i64(now), store_i64(now)),
        &rid, err);
    return finish(c, rc, rid, id, "road", err);
}

int addr_building_put(struct store_conn *c, struct geo_index *grids,
                      const struct addr_building_in *in, int64_t now, int64_t *id, struct err *err)
{
    const char *use = in->use && *in->use ? in->use : "residential";
    struct geo_box b;
    double lat, lon;
    int64_t rid, region;
    int rc;

    if ((rc = check_code(in->code, err)) < 0 ||
        (rc = addr_check_text(in->compound, "compound", ADDR_NAME_MAX, 0, err)) < 0 ||
        (rc = addr_check_text(in->number, "number", ADDR_NUMBER_MAX, 0, err)) < 0 ||
        (rc = check_choice(addr_building_uses, use, "use", err)) < 0)
        return rc;
    if (in->floors < 0 || in->floors > ADDR_FLOORS_MAX)
        return why(err,
                   err_field(err, ERR_BAD_REQUEST, "floors", "floors must be 0..%d (0: unknown)",
                             ADDR_FLOORS_MAX),
                   ADDR_WHY_INVALID);
    if ((rc = check_shape(in->footprint, GEO_AREA, "footprint", &b, &lon, &lat, err)) < 0 ||
        (rc = locate(grids, lon, lat, "footprint", &region, err)) < 0)
        return rc;
    rc = store_one_i64(
        c,
        "INSERT INTO addr_buildings (code, compound, number, use, floors, footprint, lat, lon,"
        " min_lon, min_lat, max_lon, max_lat, region_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (code) DO UPDATE SET compound = excluded.compound,"
        " number = excluded.number, use = excluded.use, floors = excluded.floors,"
        " footprint = excluded.footprint, lat = excluded.lat, lon = excluded.lon,"
        " min_lon = excluded.min_lon, min_lat = excluded.min_lat, max_lon = excluded.max_lon,"
        " max_lat = excluded.max_lat, region_id = excluded.region_id,"
        " updated_at = excluded.updated_at RETURNING id",
        STORE_ARGS(store_text(in->code), store_text(in->compound ? in->compound : ""),
                   store_text(in->number ? in->number : ""), store_text(use),
                   store_i64_or_null(in->floors), store_text(in->footprint), store_real(lat),
                   store_real(lon), store_real(b.min_lon), store_real(b.min_lat),
                   store_real(b.max_lon), store_real(b.max_lat), store_i64_or_null(region),
                   store_i64(now), store_i64(now)),
        &rid, err);
    return finish(c, rc, rid, id, "building", err);
}

static int exists(struct store_conn *c, const char *sql, int64_t id, const char *field,
                  const char *what, struct err *err)
{
    int rc = store_one(c, sql, STORE_ARGS(store_i64(id)), NULL, NULL, err);
    if (rc == 0)
        return why(err,
                   err_field(err, ERR_BAD_REQUEST, field, "%s %lld not found", what, (long long)id),
                   ADDR_WHY_NOT_FOUND);
    return rc < 0 ? rc : 0;
}

int addr_point_put(struct store_conn *c, struct geo_index *grids, const struct addr_point_in *in,
                   int64_t now, int64_t *id, struct err *err)
{
    const char *house = in->house_no ? in->house_no : "";
    const char *compound = in->compound ? in->compound : "";
    const char *building = in->building ? in->building : "";
    const char *unit = in->unit ? in->unit : "";
    struct arena a;
    char *road = NULL;
    int64_t rid = 0, region;
    int rc;

    arena_init(&a, 1024);
    if ((rc = check_code(in->code, err)) < 0 ||
        (rc = addr_check_text(house, "house_no", ADDR_NUMBER_MAX, 0, err)) < 0 ||
        (rc = addr_check_text(compound, "compound", ADDR_NAME_MAX, 0, err)) < 0 ||
        (rc = addr_check_text(building, "building", ADDR_NUMBER_MAX, 0, err)) < 0 ||
        (rc = addr_check_text(unit, "unit", ADDR_NUMBER_MAX, 0, err)) < 0)
        goto out;
    if (in->road_id < 0 || in->building_id < 0) {
        rc = why(err,
                 err_field(err, ERR_BAD_REQUEST, in->road_id < 0 ? "road_id" : "building_id",
                           "%s must be positive", in->road_id < 0 ? "road_id" : "building_id"),
                 ADDR_WHY_INVALID);
        goto out;
    }
    if (*house && !in->road_id) {
        rc = why(err, err_field(err, ERR_BAD_REQUEST, "road_id", "a house number needs its road"),
                 ADDR_WHY_RULE);
        goto out;
    }
    if (in->road_id && !*house) {
        rc = why(
            err,
            err_field(err, ERR_BAD_REQUEST, "house_no", "a point on a road needs its house number"),
            ADDR_WHY_RULE);
        goto out;
    }
    if (*unit && !*building) {
        rc = why(err, err_field(err, ERR_BAD_REQUEST, "building", "a unit needs its building"),
                 ADDR_WHY_RULE);
        goto out;
    }
    if (!in->road_id && !*compound) {
        rc = why(err,
                 err_field(err, ERR_BAD_REQUEST, "compound",
                           "an address point needs a road and house number or a compound"),
                 ADDR_WHY_RULE);
        goto out;
    }
    if ((rc = check_position(in->lat, in->lon, err)) < 0)
        goto out;
    if (in->road_id) {
        rc = store_one_text(c, "SELECT name FROM addr_roads WHERE id = ?",
                            STORE_ARGS(store_i64(in->road_id)), &a, &road, err);
        if (rc == 0)
            rc = why(err,
                     err_field(err, ERR_BAD_REQUEST, "road_id", "road %lld not found",
                               (long long)in->road_id),
                     ADDR_WHY_NOT_FOUND);
        if (rc < 0)
            goto out;
    }
    if (in->building_id && (rc = exists(c, "SELECT 1 FROM addr_buildings WHERE id = ?",
                                        in->building_id, "building_id", "building", err)) < 0)
        goto out;
    if ((rc = locate(grids, in->lon, in->lat, "lat", &region, err)) < 0)
        goto out;

    const char *address = arena_printf(&a, "%s%s%s%s%s", road ? road : "", road ? house : "",
                                       compound, building, unit);
    if (utf8_len(address) > ADDR_ADDRESS_MAX) {
        rc = why(err,
                 err_field(err, ERR_BAD_REQUEST, "compound",
                           "the address is longer than %d characters", ADDR_ADDRESS_MAX),
                 ADDR_WHY_TOO_LONG);
        goto out;
    }
    const char *norm = geocode_norm(&a, address);
    rc = store_one_i64(
        c,
        "INSERT INTO addr_points (code, road_id, house_no, compound, building, unit, building_id,"
        " address, norm, lat, lon, region_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (code) DO UPDATE SET road_id = excluded.road_id,"
        " house_no = excluded.house_no, compound = excluded.compound,"
        " building = excluded.building, unit = excluded.unit,"
        " building_id = excluded.building_id, address = excluded.address,"
        " norm = excluded.norm, lat = excluded.lat, lon = excluded.lon,"
        " region_id = excluded.region_id, updated_at = excluded.updated_at RETURNING id",
        STORE_ARGS(store_text(in->code), store_i64_or_null(in->road_id), store_text(house),
                   store_text(compound), store_text(building), store_text(unit),
                   store_i64_or_null(in->building_id), store_text(address), store_text(norm),
                   store_real(in->lat), store_real(in->lon), store_i64_or_null(region),
                   store_i64(now), store_i64(now)),
        &rid, err);
    rc = finish(c, rc, rid, id, "address point", err);
out:
    arena_release(&a);
    return rc;
}

struct point_pos {
    struct arena *a;
    char *address;
    double lat, lon;
};

static int read_point_pos(void *ctx, struct store_stmt *row)
{
    struct point_pos *p = ctx;
    p->address = arena_strdup(p->a, store_col_text(row, 0));
    p->lat = store_col_real(row, 1);
    p->lon = store_col_real(row, 2);
    return 0;
}

int addr_place_put(struct store_conn *c, struct geo_index *grids, const struct addr_place_in *in,
                   int64_t now, int64_t *id, struct err *err)
{
    struct arena a;
    struct point_pos p = {&a, NULL, NAN, NAN};
    const char *address = in->address ? in->address : "";
    double lat = in->lat, lon = in->lon;
    int64_t rid = 0, region;
    int rc;

    arena_init(&a, 512);
    if ((rc = check_code(in->code, err)) < 0 ||
        (rc = addr_check_text(in->name, "name", ADDR_NAME_MAX, 1, err)) < 0 ||
        (rc = check_choice(addr_place_types, in->type, "type", err)) < 0 ||
        (rc = addr_check_text(address, "address", ADDR_ADDRESS_MAX, 0, err)) < 0)
        goto out;
    if (in->point_id < 0) {
        rc = why(err, err_field(err, ERR_BAD_REQUEST, "point_id", "point_id must be positive"),
                 ADDR_WHY_INVALID);
        goto out;
    }
    if (in->point_id) {
        rc = store_one(c, "SELECT address, lat, lon FROM addr_points WHERE id = ?",
                       STORE_ARGS(store_i64(in->point_id)), read_point_pos, &p, err);
        if (rc == 0)
            rc = why(err,
                     err_field(err, ERR_BAD_REQUEST, "point_id", "address point %lld not found",
                               (long long)in->point_id),
                     ADDR_WHY_NOT_FOUND);
        if (rc < 0)
            goto out;
        if (!*address)
            address = p.address;
        if (isnan(lat) && isnan(lon)) {
            lat = p.lat;
            lon = p.lon;
        }
    }
    if ((rc = check_position(lat, lon, err)) < 0 ||
        (rc = locate(grids, lon, lat, "lat", &region, err)) < 0)
        goto out;
    rc = store_one_i64(
        c,
        "INSERT INTO addr_places (code, name, type, point_id, address, lat, lon, region_id,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, type = excluded.type,"
        " point_id = excluded.point_id, address = excluded.address, lat = excluded.lat,"
        " lon = excluded.lon, region_id = excluded.region_id,"
        " updated_at = excluded.updated_at RETURNING id",
        STORE_ARGS(store_text(in->code), store_text(in->name), store_text(in->type),
                   store_i64_or_null(in->point_id), store_text(address), store_real(lat),
                   store_real(lon), store_i64_or_null(region), store_i64(now), store_i64(now)),
        &rid, err);
    rc = finish(c, rc, rid, id, "place", err);
out:
    arena_release(&a);
    return rc;
}

int addr_area_put(struct store_conn *c, const struct addr_area_in *in, int64_t now, int64_t *id,
                  struct err *err)
{
    struct geo_box b;
    int64_t rid;
    int rc;

    if ((rc = check_code(in->code, err)) < 0 ||
        (rc = check_choice(addr_area_kinds, in->kind, "kind", err)) < 0 ||
        (rc = addr_check_text(in->name, "name", ADDR_NAME_MAX, 0, err)) < 0 ||
        (rc = check_shape(in->geometry, GEO_AREA, "geometry", &b, NULL, NULL, err)) < 0)
        return rc;
    rc = store_one_i64(
        c,
        "INSERT INTO addr_areas (code, kind, name, geometry, min_lon, min_lat, max_lon, max_lat,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
        " geometry = excluded.geometry, min_lon = excluded.min_lon, min_lat = excluded.min_lat,"
        " max_lon = excluded.max_lon, max_lat = excluded.max_lat,"
        " updated_at = excluded.updated_at RETURNING id",
        STORE_ARGS(store_text(in->code), store_text(in->kind), store_text(in->name ? in->name : ""),
                   store_text(in->geometry), store_real(b.min_lon), store_real(b.min_lat),
                   store_real(b.max_lon), store_real(b.max_lat), store_i64(now), store_i64(now)),
        &rid, err);
    return finish(c, rc, rid, id, "area", err);
}
