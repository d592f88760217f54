/*
 * addr: the standard address register (标准地址库, GB/T 30428; migration 0035, docs/maps.md):
 * roads, buildings, address points, places of interest and the water and green areas, each
 * kept with its bounding box and, for what stands at a point, the grid it lies in.
 *
 * Writers upsert by 'code' (the register's own stable key: importing a code again updates
 * that row). Each validates every field before its first write (GEOS checks the geometry,
 * src/geo), computes the bounding box, resolves region_id from its point with the region
 * index 'grids', and bumps addr_version in the same transaction, so every process notices the
 * change (the geocoder and the basemap reload on it). The caller owns the transaction and the
 * audit entry: run a writer between store_begin() and store_commit().
 *
 * Regions: with a non-empty 'grids' index a point no region holds is refused ("outside the
 * district", field "lat" or "footprint"); with 'grids' NULL or empty region_id stays NULL (a
 * system without region boundaries yet). Roads and areas have no region: they cross grids.
 *
 * Errors: 0 or a negative ERR_*:
 *   ERR_BAD_REQUEST  invalid input; err->field names the input field ("code", "name",
 *                    "geometry", "road_id", "lat", ...), matching the column names;
 *   ERR_NOT_FOUND    the record addressed by id does not exist;
 *   ERR_CONFLICT     a delete refused because other records still refer to the row (the
 *                    message says which and how many);
 *   others           passed through from the store or GEOS.
 * An input error also sets err->reason to one of ADDR_WHY_* (kept by pointer), so an import
 * report can say in the user's language what is wrong with a line without reading English.
 *
 * Threading: no state of its own; a connection only from the thread that owns it. 'grids' is
 * borrowed (geo_locate is safe to call from many threads) and must outlive the call.
 * Ownership: input structs and their strings are borrowed for the call. Read results are
 * filled into caller storage with every string in the caller's arena.
 * Time: writers take 'now' (seconds since the epoch) for created_at / updated_at.
 */
#ifndef GRIDLOOP_ADDR_ADDR_H
#define GRIDLOOP_ADDR_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "geo/geo.h"

struct arena;
struct err;
struct store_conn;

#define ADDR_CODE_MAX 64            /* bytes: A-Z a-z 0-9 _ - . */
#define ADDR_NAME_MAX 100           /* code points: road, place, area and compound names */
#define ADDR_NUMBER_MAX 32          /* code points: house_no, building number, unit */
#define ADDR_ADDRESS_MAX 200        /* code points: a place's written address */
#define ADDR_GEOMETRY_MAX (1 << 20) /* bytes of GeoJSON per road, footprint or area */
#define ADDR_FLOORS_MAX 200         /* a building's floors (0: unknown) */
#define ADDR_LIST_MAX 1000          /* rows per page of a list */

/* Why an input was refused (struct err.reason of an ERR_BAD_REQUEST). */
#define ADDR_WHY_REQUIRED "required"   /* the field is empty */
#define ADDR_WHY_INVALID "invalid"     /* not of the field's form (code characters, a number) */
#define ADDR_WHY_TOO_LONG "too_long"   /* longer than the field's limit */
#define ADDR_WHY_CHOICE "choice"       /* not one of the field's values */
#define ADDR_WHY_GEOMETRY "geometry"   /* GEOS refused the geometry */
#define ADDR_WHY_OUTSIDE "outside"     /* no region of the district holds the point */
#define ADDR_WHY_NOT_FOUND "not_found" /* the road, building or point referred to is absent */
#define ADDR_WHY_RULE "rule"           /* the fields do not make an address together */

/* The five kinds of record, for the functions that serve them all. */
enum addr_kind {
    ADDR_ROAD = 1,
    ADDR_BUILDING = 2,
    ADDR_POINT = 3,
    ADDR_PLACE = 4,
    ADDR_AREA = 5,
};
#define ADDR_KIND_COUNT 5
/* "road", "building", "point", "place", "area"; "" for anything else. */
const char *addr_kind_name(enum addr_kind k);
/* The kind named, or 0 when unknown (or NULL). */
int addr_kind_from_name(const char *name);

/* The allowed values of each kind's type column (NULL-terminated lists, schema order):
 * a road's kind, a building's use, a place's type, an area's kind. 1 if 'v' is among them. */
extern const char *const addr_road_kinds[];
extern const char *const addr_building_uses[];
extern const char *const addr_place_types[];
extern const char *const addr_area_kinds[];
int addr_value_in(const char *const *list, const char *v);

/* ---------------------------------------------------------------- writers */

/* A road: name, kind (addr_road_kinds), geometry a GeoJSON LineString or MultiLineString. */
struct addr_road_in {
    const char *code, *name, *kind, *geometry;
};
/* A building: compound ('' for one on a street), number ('3幢'), use (addr_building_uses;
 * NULL/"" = residential), floors (0 = unknown), footprint a GeoJSON Polygon. Its point (lat,
 * lon) is a point inside the footprint. */
struct addr_building_in {
    const char *code, *compound, *number, *use;
    int floors;
    const char *footprint;
};
/* An address point: road (road_id, 0 = none) + house_no ('88号'), or compound + building +
 * unit, or both. A house number needs its road, a unit its building, and a point needs a
 * road and house number or a compound. building_id (0 = none) links the building record.
 * The standard written form 'address' (road name + house_no + compound + building + unit)
 * and its 'norm' (geocode_norm) are built here. */
struct addr_point_in {
    const char *code;
    int64_t road_id;
    const char *house_no, *compound, *building, *unit;
    int64_t building_id;
    double lat, lon;
};
/* A place of interest: name, type (addr_place_types), point_id (0 = none) its address point.
 * address NULL/"" takes the point's; lat and lon both NaN take the point's position. */
struct addr_place_in {
    const char *code, *name, *type;
    int64_t point_id;
    const char *address;
    double lat, lon;
};
/* A water or green area: kind (addr_area_kinds), name (may be ""), geometry a Polygon or
 * MultiPolygon. */
struct addr_area_in {
    const char *code, *kind, *name, *geometry;
};

/* Insert, or update the row with the same code; *id (may be NULL) gets its id. */
int addr_road_put(struct store_conn *c, const struct addr_road_in *in, int64_t now, int64_t *id,
                  struct err *err);
int addr_building_put(struct store_conn *c, struct geo_index *grids,
                      const struct addr_building_in *in, int64_t now, int64_t *id, struct err *err);
int addr_point_put(struct store_conn *c, struct geo_index *grids, const struct addr_point_in *in,
                   int64_t now, int64_t *id, struct err *err);
int addr_place_put(struct store_conn *c, struct geo_index *grids, const struct addr_place_in *in,
                   int64_t now, int64_t *id, struct err *err);
int addr_area_put(struct store_conn *c, const struct addr_area_in *in, int64_t now, int64_t *id,
                  struct err *err);

/* ---------------------------------------------------------------- reads */

/* What every record shows of the region (grid) it lies in; 0 / "" when none. */
struct addr_region_ref {
    int64_t id;
    const char *code, *name;
};

struct addr_road {
    int64_t id;
    const char *code, *name, *kind;
    const char *geometry; /* NULL unless asked for (addr_filter.with_geometry, get) */
    struct geo_box box;
    int64_t points; /* address points on it */
    int64_t created_at, updated_at;
};

struct addr_building {
    int64_t id;
    const char *code, *compound, *number, *use;
    int floors;            /* 0: unknown */
    const char *footprint; /* NULL unless asked for */
    double lat, lon;
    struct geo_box box;
    struct addr_region_ref region;
    int64_t created_at, updated_at;
};

struct addr_point {
    int64_t id;
    const char *code;
    int64_t road_id;
    const char *road_code, *road_name; /* "" without a road */
    const char *house_no, *compound, *building, *unit;
    int64_t building_id;
    const char *building_code; /* "" without one */
    const char *address, *norm;
    double lat, lon;
    struct addr_region_ref region;
    int64_t created_at, updated_at;
};

struct addr_place {
    int64_t id;
    const char *code, *name, *type;
    int64_t point_id;
    const char *point_code; /* "" without one */
    const char *address;
    double lat, lon;
    struct addr_region_ref region;
    int64_t created_at, updated_at;
};

struct addr_area {
    int64_t id;
    const char *code, *kind, *name;
    const char *geometry; /* NULL unless asked for */
    struct geo_box box;
    int64_t created_at, updated_at;
};

/* A search of one kind. Zeroed, it lists everything (limit 0: no limit), ordered by code. */
struct addr_filter {
    const char *q;     /* part of the code, name or written address (points: also of its
                        * normalised form, so "锦绣路八十八号" finds 锦绣路88号) */
    const char *type;  /* road kind, building use, place type, area kind; NULL/"" any */
    int64_t region_id; /* 0 any; else lying in that region exactly */
    int64_t road_id;   /* points only: 0 any; else on that road */
    int64_t limit, offset;
    int with_geometry; /* roads, buildings, areas: fetch the GeoJSON too (exports) */
};

/* A page of records matching 'f' into an arena array (*out NULL when *n is 0); *total (may be
 * NULL) is the number matching without limit and offset. ERR_BAD_REQUEST for a 'type' that
 * is not one of the kind's values (field "type"). */
int addr_road_list(struct store_conn *c, const struct addr_filter *f, struct arena *a,
                   struct addr_road **out, size_t *n, int64_t *total, struct err *err);
int addr_building_list(struct store_conn *c, const struct addr_filter *f, struct arena *a,
                       struct addr_building **out, size_t *n, int64_t *total, struct err *err);
int addr_point_list(struct store_conn *c, const struct addr_filter *f, struct arena *a,
                    struct addr_point **out, size_t *n, int64_t *total, struct err *err);
int addr_place_list(struct store_conn *c, const struct addr_filter *f, struct arena *a,
                    struct addr_place **out, size_t *n, int64_t *total, struct err *err);
int addr_area_list(struct store_conn *c, const struct addr_filter *f, struct arena *a,
                   struct addr_area **out, size_t *n, int64_t *total, struct err *err);

/* One record with its geometry. ERR_NOT_FOUND when there is none. */
int addr_road_get(struct store_conn *c, int64_t id, struct arena *a, struct addr_road *out,
                  struct err *err);
int addr_building_get(struct store_conn *c, int64_t id, struct arena *a, struct addr_building *out,
                      struct err *err);
int addr_point_get(struct store_conn *c, int64_t id, struct arena *a, struct addr_point *out,
                   struct err *err);
int addr_place_get(struct store_conn *c, int64_t id, struct arena *a, struct addr_place *out,
                   struct err *err);
int addr_area_get(struct store_conn *c, int64_t id, struct arena *a, struct addr_area *out,
                  struct err *err);

/* The id of the record of 'kind' coded 'code': 1 with *id set, 0 when none, or ERR_*. */
int addr_id_by_code(struct store_conn *c, enum addr_kind kind, const char *code, int64_t *id,
                    struct err *err);

/* The code of record 'id' of 'kind' in 'a': 1, 0 when none, or ERR_*. */
int addr_code_of(struct store_conn *c, enum addr_kind kind, int64_t id, struct arena *a,
                 char **code, struct err *err);

/*
 * The road named 'name' for a point at (lat, lon): a road is often several records (one per
 * segment) under one name, so the one whose box centre lies nearest wins. 1 with *id set, 0
 * when no road has that name, or ERR_*.
 */
int addr_road_by_name(struct store_conn *c, const char *name, double lat, double lon, int64_t *id,
                      struct err *err);

/* The address point whose normalised address is 'norm' (the lowest id when several): 1 with
 * *id set, 0 when none, or ERR_*. */
int addr_point_by_norm(struct store_conn *c, const char *norm, int64_t *id, struct err *err);

/*
 * Delete record 'id' of 'kind' and bump addr_version. ERR_CONFLICT when records still refer
 * to it (a road's or building's address points, a point's places), the message saying which
 * and how many; ERR_NOT_FOUND when absent.
 */
int addr_delete(struct store_conn *c, enum addr_kind kind, int64_t id, struct err *err);

/* The register's version (addr_version), bumped by every write. */
int addr_version(struct store_conn *c, int64_t *out, struct err *err);

#endif /* GRIDLOOP_ADDR_ADDR_H */
