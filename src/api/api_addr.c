/*
 * /api/v1/address-register: the standard address register (src/addr, docs/maps.md). Staff
 * read and search it (an operator looks an address up); admins and data officers write it:
 * one record at a time, or a whole GeoJSON / CSV file all or nothing with a report of every
 * failing line. Every write is audited in its transaction.
 *
 * Records are addressed per kind: /address-register/{kind}[/{id}] with kind roads,
 * buildings, points, places or areas.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr/addr.h"
#include "api/api_internal.h"
#include "core/buf.h"
#include "core/mem.h"

#define ID_MAX 9007199254740991.0
#define COORD_FIELDS                                                                               \
    {"lat", JT_NUMBER, 0, -90, 90, NULL},                                                          \
    {                                                                                              \
        "lon", JT_NUMBER, 0, -180, 180, NULL                                                       \
    }

/* clang-format off */
static const struct json_field road_fields[] = {
    {"code",     JT_STRING, 0, 1, ADDR_CODE_MAX, NULL},
    {"name",     JT_STRING, 0, 1, ADDR_NAME_MAX, NULL},
    {"kind",     JT_STRING, 0, 1, 20, NULL},
    {"geometry", JT_OBJECT, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field building_fields[] = {
    {"code",      JT_STRING, 0, 1, ADDR_CODE_MAX, NULL},
    {"compound",  JT_STRING, 0, 0, ADDR_NAME_MAX, NULL},
    {"number",    JT_STRING, 0, 0, ADDR_NUMBER_MAX, NULL},
    {"use",       JT_STRING, 0, 1, 20, NULL},
    {"floors",    JT_INT,    JF_NULLABLE, 0, ADDR_FLOORS_MAX, NULL},
    {"footprint", JT_OBJECT, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field point_fields[] = {
    {"code",        JT_STRING, 0, 1, ADDR_CODE_MAX, NULL},
    {"road_id",     JT_INT,    JF_NULLABLE, 1, ID_MAX, NULL},
    {"house_no",    JT_STRING, 0, 0, ADDR_NUMBER_MAX, NULL},
    {"compound",    JT_STRING, 0, 0, ADDR_NAME_MAX, NULL},
    {"building",    JT_STRING, 0, 0, ADDR_NUMBER_MAX, NULL},
    {"unit",        JT_STRING, 0, 0, ADDR_NUMBER_MAX, NULL},
    {"building_id", JT_INT,    JF_NULLABLE, 1, ID_MAX, NULL},
    COORD_FIELDS,
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field place_fields[] = {
    {"code",     JT_STRING, 0, 1, ADDR_CODE_MAX, NULL},
    {"name",     JT_STRING, 0, 1, ADDR_NAME_MAX, NULL},
    {"type",     JT_STRING, 0, 1, 20, NULL},
    {"point_id", JT_INT,    JF_NULLABLE, 1, ID_MAX, NULL},
    {"address",  JT_STRING, 0, 0, ADDR_ADDRESS_MAX, NULL},
    COORD_FIELDS,
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field area_fields[] = {
    {"code",     JT_STRING, 0, 1, ADDR_CODE_MAX, NULL},
    {"kind",     JT_STRING, 0, 1, 20, NULL},
    {"name",     JT_STRING, 0, 0, ADDR_NAME_MAX, NULL},
    {"geometry", JT_OBJECT, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void box_json(struct jw *w, const struct geo_box *b)
{
    jw_key(w, "box");
    jw_arr(w);
    jw_num(w, b->min_lon);
    jw_num(w, b->min_lat);
    jw_num(w, b->max_lon);
    jw_num(w, b->max_lat);
    jw_arr_end(w);
}

static void region_json(struct jw *w, const struct addr_region_ref *r)
{
    jw_key(w, "region");
    if (!r->id) {
        jw_null(w);
        return;
    }
    jw_obj(w);
    jw_kint(w, "id", r->id);
    jw_kstr(w, "code", r->code);
    jw_kstr(w, "name", r->name);
    jw_obj_end(w);
}

static void id_or_null(struct jw *w, const char *key, int64_t id)
{
    if (id)
        jw_kint(w, key, id);
    else
        jw_knull(w, key);
}

static void geometry_json(struct jw *w, const char *key, const char *geojson)
{
    if (!geojson)
        return;
    jw_key(w, key);
    jw_raw(w, geojson);
}

static void head_json(struct jw *w, enum addr_kind kind, int64_t id, const char *code)
{
    jw_obj(w);
    jw_kint(w, "id", id);
    jw_kstr(w, "record", addr_kind_name(kind));
    jw_kstr(w, "code", code);
}

static void tail_json(struct jw *w, int64_t created, int64_t updated)
{
    jw_ktime(w, "created_at", created);
    jw_ktime(w, "updated_at", updated);
    jw_obj_end(w);
}

static void road_json(struct jw *w, const struct addr_road *r)
{
    head_json(w, ADDR_ROAD, r->id, r->code);
    jw_kstr(w, "name", r->name);
    jw_kstr(w, "kind", r->kind);
    jw_kint(w, "points", r->points);
    box_json(w, &r->box);
    geometry_json(w, "geometry", r->geometry);
    tail_json(w, r->created_at, r->updated_at);
}

static void building_json(struct jw *w, const struct addr_building *b)
{
    head_json(w, ADDR_BUILDING, b->id, b->code);
    jw_kstr(w, "compound", b->compound);
    jw_kstr(w, "number", b->number);
    jw_kstr(w, "use", b->use);
    if (b->floors)
        jw_kint(w, "floors", b->floors);
    else
        jw_knull(w, "floors");
    jw_knum(w, "lat", b->lat);
    jw_knum(w, "lon", b->lon);
    box_json(w, &b->box);
    region_json(w, &b->region);
    geometry_json(w, "footprint", b->footprint);
    tail_json(w, b->created_at, b->updated_at);
}

static void point_json(struct jw *w, const struct addr_point *p)
{
    head_json(w, ADDR_POINT, p->id, p->code);
    jw_kstr(w, "address", p->address);
    id_or_null(w, "road_id", p->road_id);
    jw_kstr(w, "road_code", p->road_code);
    jw_kstr(w, "road", p->road_name);
    jw_kstr(w, "house_no", p->house_no);
    jw_kstr(w, "compound", p->compound);
    jw_kstr(w, "building", p->building);
    jw_kstr(w, "unit", p->unit);
    id_or_null(w, "building_id", p->building_id);
    jw_kstr(w, "building_code", p->building_code);
    jw_kstr(w, "norm", p->norm);
    jw_knum(w, "lat", p->lat);
    jw_knum(w, "lon", p->lon);
    region_json(w, &p->region);
    tail_json(w, p->created_at, p->updated_at);
}

static void place_json(struct jw *w, const struct addr_place *p)
{
    head_json(w, ADDR_PLACE, p->id, p->code);
    jw_kstr(w, "name", p->name);
    jw_kstr(w, "type", p->type);
    id_or_null(w, "point_id", p->point_id);
    jw_kstr(w, "point_code", p->point_code);
    jw_kstr(w, "address", p->address);
    jw_knum(w, "lat", p->lat);
    jw_knum(w, "lon", p->lon);
    region_json(w, &p->region);
    tail_json(w, p->created_at, p->updated_at);
}

static void area_json(struct jw *w, const struct addr_area *a)
{
    head_json(w, ADDR_AREA, a->id, a->code);
    jw_kstr(w, "kind", a->kind);
    jw_kstr(w, "name", a->name);
    box_json(w, &a->box);
    geometry_json(w, "geometry", a->geometry);
    tail_json(w, a->created_at, a->updated_at);
}

/* clang-format off */
#define RENDER(name, type)                                                                         \
    static int name##_render(struct api_call *call, int64_t id, struct jw *w)                     \
    {                                                                                              \
        type r;                                                                                    \
        int rc = addr_##name##_get(call->conn, id, call->req->arena, &r, &call->err);              \
        if (rc == 0)                                                                               \
            name##_json(w, &r);                                                                    \
        return rc;                                                                                 \
    }
/* clang-format on */
RENDER(road, struct addr_road)
RENDER(building, struct addr_building)
RENDER(point, struct addr_point)
RENDER(place, struct addr_place)
RENDER(area, struct addr_area)

/* The register's kinds as the path names them, with their resource and body fields. */
static const struct kind_row {
    const char *path; /* {kind} */
    enum addr_kind kind;
    struct api_resource res;
    const struct json_field *fields;
} kinds[] = {
    {"roads",
     ADDR_ROAD,
     {"addr_road", "/api/v1/address-register/roads", road_render, NULL},
     road_fields},
    {"buildings",
     ADDR_BUILDING,
     {"addr_building", "/api/v1/address-register/buildings", building_render, NULL},
     building_fields},
    {"points",
     ADDR_POINT,
     {"addr_point", "/api/v1/address-register/points", point_render, NULL},
     point_fields},
    {"places",
     ADDR_PLACE,
     {"addr_place", "/api/v1/address-register/places", place_render, NULL},
     place_fields},
    {"areas",
     ADDR_AREA,
     {"addr_area", "/api/v1/address-register/areas", area_render, NULL},
     area_fields},
};

static int kind_of(struct api_call *call, const struct kind_row **out)
{
    const char *k = http_req_param(call->req, "kind");
    for (size_t i = 0; k && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(k, kinds[i].path) == 0) {
            *out = &kinds[i];
            return 0;
        }
    return err_set(&call->err, ERR_NOT_FOUND,
                   "no register kind '%.40s' (roads, buildings, points, places, areas)",
                   k ? k : "");
}

int api_addr_list(struct api_call *call)
{
    const struct kind_row *k;
    struct api_page pg;
    struct addr_filter f = {0};
    struct arena *a = call->req->arena;
    int64_t total;
    size_t n;
    void *v;
    int rc;
    if ((rc = kind_of(call, &k)) < 0 || (rc = api_page_query(call, 50, ADDR_LIST_MAX, &pg)) < 0 ||
        (rc = api_query_int(call, "region_id", 0, 0, INT64_MAX, &f.region_id)) < 0 ||
        (rc = api_query_int(call, "road_id", 0, 0, INT64_MAX, &f.road_id)) < 0)
        return rc;
    f.q = http_req_query(call->req, "q");
    f.type = http_req_query(call->req, "type");
    f.limit = pg.limit;
    f.offset = pg.offset;
    struct jw w;
    switch (k->kind) {
    case ADDR_ROAD:
        rc = addr_road_list(call->conn, &f, a, (struct addr_road **)&v, &n, &total, &call->err);
        break;
    case ADDR_BUILDING:
        rc = addr_building_list(call->conn, &f, a, (struct addr_building **)&v, &n, &total,
                                &call->err);
        break;
    case ADDR_POINT:
        rc = addr_point_list(call->conn, &f, a, (struct addr_point **)&v, &n, &total, &call->err);
        break;
    case ADDR_PLACE:
        rc = addr_place_list(call->conn, &f, a, (struct addr_place **)&v, &n, &total, &call->err);
        break;
    case ADDR_AREA:
        rc = addr_area_list(call->conn, &f, a, (struct addr_area **)&v, &n, &total, &call->err);
        break;
    default: BUG("register kind %d", (int)k->kind);
    }
    if (rc < 0)
        return rc;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        switch (k->kind) {
        case ADDR_ROAD: road_json(&w, &((struct addr_road *)v)[i]); break;
        case ADDR_BUILDING: building_json(&w, &((struct addr_building *)v)[i]); break;
        case ADDR_POINT: point_json(&w, &((struct addr_point *)v)[i]); break;
        case ADDR_PLACE: place_json(&w, &((struct addr_place *)v)[i]); break;
        case ADDR_AREA: area_json(&w, &((struct addr_area *)v)[i]); break;
        default: BUG("register kind %d", (int)k->kind);
        }
    }
    int64_t next = pg.offset + (int64_t)n;
    api_list_end(&w, total, next < total ? arena_printf(a, "%lld", (long long)next) : NULL);
    return api_reply(call, 200, &w);
}

int api_addr_get(struct api_call *call)
{
    const struct kind_row *k;
    int rc;
    if ((rc = kind_of(call, &k)) < 0)
        return rc;
    return api_crud_get(call, &k->res);
}

/* Text member 'name' of the body, else the current value (NULL: none). */
static const char *text(const json_t *b, const char *name, const char *cur)
{
    return json_has(b, name) ? json_get_str(b, name) : cur;
}

static int64_t id_member(const json_t *b, const char *name, int64_t cur)
{
    return json_has(b, name) ? json_get_int(b, name, 0) : cur;
}

static double num(const json_t *b, const char *name, double cur)
{
    return json_has(b, name) ? json_get_num(b, name, NAN) : cur;
}

static const char *geometry(struct api_call *call, const char *name, const char *cur)
{
    const json_t *g = json_get(call->body, name);
    return g ? json_print(g, call->req->arena) : cur;
}

/* Write the body over record 'id' of k (0: a new one) with the region index held. */
static int put(struct api_call *call, const struct kind_row *k, int64_t id, int64_t *out)
{
    const json_t *b = call->body;
    struct arena *a = call->req->arena;
    struct app_ctx x = api_ctx(call);
    struct geo_index *grids;
    int rc;
    const char *code = json_get_str(b, "code");

    if (id) {
        char *cur_code;
        if ((rc = addr_code_of(call->conn, k->kind, id, a, &cur_code, &call->err)) < 0)
            return rc;
        if (rc == 0)
            return err_set(&call->err, ERR_NOT_FOUND, "%s %lld not found", addr_kind_name(k->kind),
                           (long long)id);
        /* The code is the row's key in import files: changing it would make a new row. */
        if (code && strcmp(code, cur_code) != 0)
            return err_field(&call->err, ERR_BAD_REQUEST, "code",
                             "the code of a register row cannot change");
        code = cur_code;
    } else {
        int64_t other;
        if (!code)
            return err_field(&call->err, ERR_BAD_REQUEST, "code", "field 'code' is required");
        if ((rc = addr_id_by_code(call->conn, k->kind, code, &other, &call->err)) < 0)
            return rc;
        if (rc == 1)
            return err_field(&call->err, ERR_CONFLICT, "code", "%s code '%s' already exists",
                             addr_kind_name(k->kind), code);
    }
    if ((rc = app_grids_hold(&x, &grids)) < 0)
        return rc;
    switch (k->kind) {
    case ADDR_ROAD: {
        struct addr_road r = {0};
        if (id && (rc = addr_road_get(call->conn, id, a, &r, &call->err)) < 0)
            break;
        struct addr_road_in in = {code, text(b, "name", r.name), text(b, "kind", r.kind),
                                  geometry(call, "geometry", r.geometry)};
        rc = addr_road_put(call->conn, &in, call->now, out, &call->err);
        break;
    }
    case ADDR_BUILDING: {
        struct addr_building r = {0};
        if (id && (rc = addr_building_get(call->conn, id, a, &r, &call->err)) < 0)
            break;
        struct addr_building_in in = {code,
                                      text(b, "compound", r.compound),
                                      text(b, "number", r.number),
                                      text(b, "use", r.use),
                                      (int)id_member(b, "floors", r.floors),
                                      geometry(call, "footprint", r.footprint)};
        rc = addr_building_put(call->conn, grids, &in, call->now, out, &call->err);
        break;
    }
    case ADDR_POINT: {
        struct addr_point r = {0};
        r.lat = r.lon = NAN;
        if (id && (rc = addr_point_get(call->conn, id, a, &r, &call->err)) < 0)
            break;
        struct addr_point_in in = {code,
                                   id_member(b, "road_id", r.road_id),
                                   text(b, "house_no", r.house_no),
                                   text(b, "compound", r.compound),
                                   text(b, "building", r.building),
                                   text(b, "unit", r.unit),
                                   id_member(b, "building_id", r.building_id),
                                   num(b, "lat", r.lat),
                                   num(b, "lon", r.lon)};
        rc = addr_point_put(call->conn, grids, &in, call->now, out, &call->err);
        break;
    }
    case ADDR_PLACE: {
        struct addr_place r = {0};
        r.lat = r.lon = NAN;
        if (id && (rc = addr_place_get(call->conn, id, a, &r, &call->err)) < 0)
            break;
        struct addr_place_in in = {code,
                                   text(b, "name", r.name),
                                   text(b, "type", r.type),
                                   id_member(b, "point_id", r.point_id),
                                   text(b, "address", r.address),
                                   num(b, "lat", r.lat),
                                   num(b, "lon", r.lon)};
        rc = addr_place_put(call->conn, grids, &in, call->now, out, &call->err);
        break;
    }
    case ADDR_AREA: {
        struct addr_area r = {0};
        if (id && (rc = addr_area_get(call->conn, id, a, &r, &call->err)) < 0)
            break;
        struct addr_area_in in = {code, text(b, "kind", r.kind), text(b, "name", r.name),
                                  geometry(call, "geometry", r.geometry)};
        rc = addr_area_put(call->conn, &in, call->now, out, &call->err);
        break;
    }
    default: BUG("register kind %d", (int)k->kind);
    }
    app_grids_release(&x);
    /* The reason words are for import reports; an error body carries one only on a 403. */
    if (rc == ERR_BAD_REQUEST)
        call->err.reason = NULL;
    return rc;
}

int api_addr_create(struct api_call *call)
{
    const struct kind_row *k;
    int64_t id;
    int rc;
    if ((rc = kind_of(call, &k)) < 0 || (rc = json_check(call->body, k->fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = put(call, k, 0, &id)) < 0)
        return rc;
    rc = api_crud_commit(call, &k->res, "create", id, NULL);
    app_geocode_stale(call->api->app); /* committed (or not): the geocoder looks again */
    return rc;
}

int api_addr_update(struct api_call *call)
{
    const struct kind_row *k;
    int64_t id, got;
    char *before;
    int rc;
    if ((rc = kind_of(call, &k)) < 0 || (rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, k->fields, &call->err)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &k->res, id, &before)) < 0 || (rc = put(call, k, id, &got)) < 0)
        return rc;
    rc = api_crud_commit(call, &k->res, "update", id, before);
    app_geocode_stale(call->api->app);
    return rc;
}

int api_addr_delete(struct api_call *call)
{
    const struct kind_row *k;
    int64_t id;
    char *before;
    int rc;
    if ((rc = kind_of(call, &k)) < 0 || (rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = api_crud_state(call, &k->res, id, &before)) < 0 ||
        (rc = addr_delete(call->conn, k->kind, id, &call->err)) < 0)
        return rc;
    rc = api_crud_deleted(call, &k->res, id, before);
    app_geocode_stale(call->api->app);
    return rc;
}

/* GET /address-register: how many rows of each kind and the register's version. */
int api_addr_summary(struct api_call *call)
{
    struct addr_filter f = {.limit = 1};
    struct arena *a = call->req->arena;
    int64_t totals[ADDR_KIND_COUNT + 1] = {0}, version;
    size_t n;
    void *v;
    int rc;
    if ((rc = addr_road_list(call->conn, &f, a, (struct addr_road **)&v, &n, &totals[ADDR_ROAD],
                             &call->err)) < 0 ||
        (rc = addr_building_list(call->conn, &f, a, (struct addr_building **)&v, &n,
                                 &totals[ADDR_BUILDING], &call->err)) < 0 ||
        (rc = addr_point_list(call->conn, &f, a, (struct addr_point **)&v, &n, &totals[ADDR_POINT],
                              &call->err)) < 0 ||
        (rc = addr_place_list(call->conn, &f, a, (struct addr_place **)&v, &n, &totals[ADDR_PLACE],
                              &call->err)) < 0 ||
        (rc = addr_area_list(call->conn, &f, a, (struct addr_area **)&v, &n, &totals[ADDR_AREA],
                             &call->err)) < 0 ||
        (rc = addr_version(call->conn, &version, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "version", version);
    jw_key(&w, "counts");
    jw_obj(&w);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        jw_kint(&w, kinds[i].path, totals[kinds[i].kind]);
    jw_obj_end(&w);
    jw_key(&w, "types");
    jw_obj(&w);
    static const struct {
        const char *name;
        const char *const *list;
    } types[] = {{"roads", addr_road_kinds},
                 {"buildings", addr_building_uses},
                 {"places", addr_place_types},
                 {"areas", addr_area_kinds}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        jw_key(&w, types[i].name);
        jw_arr(&w);
        for (size_t j = 0; types[i].list[j]; j++)
            jw_str(&w, types[i].list[j]);
        jw_arr_end(&w);
    }
    jw_obj_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

static int type_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* ?format=, else the body's Content-Type (GeoJSON or JSON, CSV). */
static int import_format(struct api_call *call, int *out)
{
    const char *f = http_req_query(call->req, "format");
    const char *ct = http_req_header(call->req, "Content-Type");
    if (f) {
        if (!(*out = app_addr_format_from_name(f)))
            return err_field(&call->err, ERR_BAD_REQUEST, "format",
                             "query parameter 'format' must be geojson or csv");
        return 0;
    }
    if (type_is(ct, "application/geo+json") || type_is(ct, "application/json"))
        *out = APP_ADDR_GEOJSON;
    else if (type_is(ct, "text/csv"))
        *out = APP_ADDR_CSV;
    else
        return err_set(&call->err, ERR_MEDIA_TYPE,
                       "send the file as the body with 'Content-Type: application/geo+json' or "
                       "'text/csv', or name it with ?format=geojson|csv");
    return 0;
}

static void report_json(struct jw *w, const struct app_addr_report *r)
{
    jw_kstr(w, "format", app_addr_format_name(r->format));
    jw_kint(w, "rows", r->rows);
    jw_key(w, "written");
    jw_obj(w);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        jw_kint(w, kinds[i].path, r->written[kinds[i].kind]);
    jw_obj_end(w);
    jw_kint(w, "errors_total", r->problems_total);
    jw_key(w, "errors");
    jw_arr(w);
    for (size_t i = 0; i < r->nproblems; i++) {
        jw_obj(w);
        jw_kint(w, "line", r->problems[i].line);
        jw_kstr(w, "field", r->problems[i].field);
        jw_kstr(w, "reason", r->problems[i].reason);
        jw_kstr(w, "message", r->problems[i].message);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/*
 * POST /address-register/import: the whole file in one transaction. 200 with the report when
 * every row was written; 400 with the error and the report (every failing line, its field and
 * why) when any was refused, and nothing written.
 */
int api_addr_import(struct api_call *call)
{
    struct app_addr_report rep;
    struct geo_index *grids;
    int fmt, rc;
    if ((rc = import_format(call, &fmt)) < 0)
        return rc;
    if (!call->req->body_len)
        return err_field(&call->err, ERR_BAD_REQUEST, "file", "the file is empty");
    /* An index of its own: a whole file takes seconds, and the shared index's lock would hold
     * up every other request that locates a point (intake) meanwhile. */
    if ((rc = api_begin(call)) < 0 ||
        (rc = app_grids_build(call->conn, call->req->arena, &grids, &call->err)) < 0)
        return rc;
    rc = app_addr_import(call->conn, grids, (enum app_addr_format)fmt, call->req->body,
                         call->req->body_len, call->now, call->req->arena, &rep, &call->err);
    geo_index_free(grids);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    if (rc == ERR_BAD_REQUEST && rep.problems_total) {
        api_file_refused_begin(call, &w);
        report_json(&w, &rep);
        return api_file_refused_end(call, &w);
    }
    if (rc < 0) {
        jw_release(&w);
        return rc;
    }
    report_json(&w, &rep);
    jw_obj_end(&w);
    /* The audit entry keeps the summary: the rows themselves are the register's. */
    struct jw sum;
    jw_init(&sum);
    jw_obj(&sum);
    jw_kstr(&sum, "format", app_addr_format_name(rep.format));
    jw_kint(&sum, "rows", rep.rows);
    jw_kint(&sum, "bytes", (int64_t)call->req->body_len);
    jw_obj_end(&sum);
    char *after = arena_strndup(call->req->arena, sum.b.p, sum.b.len);
    jw_release(&sum);
    if ((rc = api_commit(call, "addr.import", "address-register", NULL, after)) < 0) {
        jw_release(&w);
        return rc;
    }
    app_geocode_stale(call->api->app);
    return api_reply(call, 200, &w);
}

/* GET /address-register/export?format=geojson|csv: the whole register as a file. */
int api_addr_export(struct api_call *call)
{
    const char *f = http_req_query(call->req, "format");
    int fmt = f ? app_addr_format_from_name(f) : APP_ADDR_GEOJSON;
    struct buf b;
    int rc;
    if (!fmt)
        return err_field(&call->err, ERR_BAD_REQUEST, "format",
                         "query parameter 'format' must be geojson or csv");
    buf_init(&b);
    if ((rc = app_addr_export(call->conn, (enum app_addr_format)fmt, call->req->arena, &b,
                              &call->err)) < 0) {
        buf_release(&b);
        return rc;
    }
    size_t len;
    char *body = buf_detach(&b, &len);
    http_res_header(call->res, "Content-Disposition",
                    fmt == APP_ADDR_CSV ? "attachment; filename=\"address-register.csv\""
                                        : "attachment; filename=\"address-register.geojson\"");
    http_res_body(call->res, 200,
                  fmt == APP_ADDR_CSV ? "text/csv; charset=utf-8"
                                      : "application/geo+json; charset=utf-8",
                  body, len, HTTP_BODY_FREE);
    return 0;
}
