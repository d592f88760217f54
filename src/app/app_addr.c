/*
 * The address register's files: GeoJSON and CSV read into plain records and written through
 * the addr writers, all or nothing; and the register written back out in either format.
 *
 * An import reads everything first (syntax, properties, the split of CSV addresses), then
 * writes kind by kind (roads and buildings before the points that name them, points before
 * the places), so a file may refer to rows it defines itself, in any order. Every problem is
 * collected with its line and field, and the caller rolls back when there was any.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
#include "app/app.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "geo/geo.h"
#include "geocode/geocode.h"
#include "json/json.h"
#include "store/store.h"

/* clang-format off */
static const char *const format_names[] = {[APP_ADDR_GEOJSON] = "geojson", [APP_ADDR_CSV] = "csv"};
/* clang-format on */

int app_addr_format_from_name(const char *name)
{
    for (int f = APP_ADDR_GEOJSON; name && f <= APP_ADDR_CSV; f++)
        if (strcmp(name, format_names[f]) == 0)
            return f;
    return 0;
}

const char *app_addr_format_name(enum app_addr_format f)
{
    return f == APP_ADDR_GEOJSON || f == APP_ADDR_CSV ? format_names[f] : "";
}

/* One row of a file, whatever its kind: the fields its kind uses are set. */
struct item {
    int kind;
    int64_t line;
    const char *code, *name, *type, *geometry;
    const char *compound, *number; /* building */
    int floors;
    const char *road_code, *road_name, *house_no, *building, *unit, *building_code; /* point */
    const char *point_code, *address;                                               /* place */
    double lat, lon;
};

struct imp {
    struct store_conn *c;
    struct geo_index *grids;
    struct arena *a;
    int64_t now;
    struct app_addr_report *rep;
    struct item *items;
    size_t n, cap;
};

static void problem(struct imp *im, int64_t line, const char *field, const char *reason,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void problem(struct imp *im, int64_t line, const char *field, const char *reason,
                    const char *fmt, ...)
{
    struct app_addr_report *rep = im->rep;
    rep->problems_total++;
    if (rep->nproblems == APP_ADDR_PROBLEMS_MAX)
        return;
    if (!rep->problems)
        rep->problems =
            arena_alloc(im->a, mem_size_mul(APP_ADDR_PROBLEMS_MAX, sizeof(*rep->problems)));
    char msg[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rep->problems[rep->nproblems++] = (struct app_addr_problem){
        line, arena_strdup(im->a, field ? field : ""), reason, arena_strdup(im->a, msg)};
}

static struct item *push(struct imp *im, int kind, int64_t line)
{
    if (im->n == im->cap) {
        im->cap = im->cap ? mem_size_mul(im->cap, 2) : 256;
        im->items = xrealloc(im->items, mem_size_mul(im->cap, sizeof(*im->items)));
    }
    struct item *it = &im->items[im->n++];
    memset(it, 0, sizeof(*it));
    it->kind = kind;
    it->line = line;
    it->lat = it->lon = NAN;
    return it;
}

/* ---------------------------------------------------------------- GeoJSON */

/* A text property: absent or null is "", another type a problem (*ok = 0). */
static const char *prop_text(struct imp *im, const json_t *props, const char *name, int64_t line,
                             int *ok)
{
    const json_t *v = json_get(props, name);
    if (!v)
        return "";
    const char *s = json_string(v);
    if (!s) {
        problem(im, line, name, ADDR_WHY_INVALID, "property '%s' must be a string", name);
        *ok = 0;
        return "";
    }
    return arena_strdup(im->a, s);
}

/* [lon, lat] of a Point geometry into the item; a problem otherwise. */
static int point_of(struct imp *im, const json_t *geom, struct item *it)
{
    const char *type = geom ? json_get_str(geom, "type") : NULL;
    const json_t *xy = geom ? json_get(geom, "coordinates") : NULL;
    if (!type || strcmp(type, "Point") != 0 || json_array_size(xy) < 2) {
        problem(im, it->line, "geometry", ADDR_WHY_GEOMETRY,
                "geometry must be a Point with [lon, lat]");
        return 0;
    }
    const json_t *x = json_array_first(xy), *y = json_next(x);
    it->lon = json_number(x, NAN);
    it->lat = json_number(y, NAN);
    return 1;
}

static void feature(struct imp *im, const json_t *f, int64_t line)
{
    int ok = 1;
    if (!json_is_object(f) || !json_get_str(f, "type") ||
        strcmp(json_get_str(f, "type"), "Feature") != 0) {
        problem(im, line, "", "syntax", "feature %lld is not a GeoJSON Feature", (long long)line);
        return;
    }
    const json_t *props = json_get(f, "properties"), *geom = json_get(f, "geometry");
    if (!json_is_object(props)) {
        problem(im, line, "kind", ADDR_WHY_REQUIRED, "the feature has no properties");
        return;
    }
    const char *kname = json_get_str(props, "kind");
    int kind = addr_kind_from_name(kname);
    if (!kind) {
        problem(im, line, "kind", "kind",
                "properties.kind must be road, building, point, place or area");
        return;
    }
    struct item *it = push(im, kind, line);
    it->code = prop_text(im, props, "code", line, &ok);
    it->name = prop_text(im, props, "name", line, &ok);
    it->type = prop_text(im, props, "type", line, &ok);
    switch (kind) {
    case ADDR_ROAD:
    case ADDR_BUILDING:
    case ADDR_AREA:
        it->geometry = geom ? json_print(geom, im->a) : NULL;
        if (kind == ADDR_BUILDING) {
            it->compound = prop_text(im, props, "compound", line, &ok);
            it->number = prop_text(im, props, "number", line, &ok);
            const json_t *fl = json_get(props, "floors");
            double floors = fl ? json_number(fl, NAN) : 0;
            if (!(floors >= 0 && floors <= ADDR_FLOORS_MAX && floors == floor(floors))) {
                problem(im, line, "floors", ADDR_WHY_INVALID, "floors must be a whole number 0..%d",
                        ADDR_FLOORS_MAX);
                ok = 0;
            } else
                it->floors = (int)floors;
        }
        break;
    case ADDR_POINT:
        it->road_code = prop_text(im, props, "road_code", line, &ok);
        it->road_name = prop_text(im, props, "road", line, &ok);
        it->house_no = prop_text(im, props, "house_no", line, &ok);
        it->compound = prop_text(im, props, "compound", line, &ok);
        it->building = prop_text(im, props, "building", line, &ok);
        it->unit = prop_text(im, props, "unit", line, &ok);
        it->building_code = prop_text(im, props, "building_code", line, &ok);
        ok &= point_of(im, geom, it);
        break;
    case ADDR_PLACE:
        it->point_code = prop_text(im, props, "point_code", line, &ok);
        it->address = prop_text(im, props, "address", line, &ok);
        ok &= point_of(im, geom, it);
        break;
    default: BUG("register kind %d", kind);
    }
    if (!ok)
        im->n--; /* reported; not written */
}

static void read_geojson(struct imp *im, const char *data, size_t len)
{
    json_t *doc = NULL;
    struct err e = ERR_INIT;
    if (json_parse(data, len, &doc, &e) < 0) {
        problem(im, 0, "file", "syntax", "not JSON: %s", e.msg);
        return;
    }
    const char *type = json_get_str(doc, "type");
    const json_t *features = json_get(doc, "features");
    if (!type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(features)) {
        problem(im, 0, "file", "syntax", "the file must be a GeoJSON FeatureCollection");
        goto out;
    }
    int64_t line = 0;
    for (const json_t *f = json_array_first(features); f; f = json_next(f)) {
        if (++line > APP_ADDR_ROWS_MAX) {
            problem(im, 0, "file", "too_many", "a file holds at most %d features",
                    APP_ADDR_ROWS_MAX);
            break;
        }
        feature(im, f, line);
    }
    im->rep->rows = line;
out:
    json_free(doc);
}

/* ---------------------------------------------------------------- CSV */

static int formula(const char *s);

#define CSV_COLS_MAX 32

struct csv {
    const char *p, *end;
    int64_t line; /* the line p is on */
};

/*
 * The next record (RFC 4180: quoted fields may hold commas, quotes doubled and line breaks;
 * CRLF or LF). 1 with its fields in 'a', 0 at the end, -1 on a syntax error (an unterminated
 * quote, text after a closing quote, too many columns) with *why set.
 */
static int csv_record(struct csv *cs, struct arena *a, const char **f, size_t *nf, const char **why)
{
    struct buf b;
    int rc = 1;
    if (cs->p >= cs->end)
        return 0;
    buf_init(&b);
    *nf = 0;
    for (;;) {
        int quoted = cs->p < cs->end && *cs->p == '"';
        buf_reset(&b);
        if (quoted) {
            cs->p++;
            for (;;) {
                if (cs->p >= cs->end) {
                    *why = "a quoted field is not closed";
                    rc = -1;
                    goto out;
                }
                if (*cs->p == '"') {
                    if (cs->p + 1 < cs->end && cs->p[1] == '"') {
                        buf_putc(&b, '"');
                        cs->p += 2;
                        continue;
                    }
                    cs->p++;
                    break;
                }
                if (*cs->p == '\n')
                    cs->line++;
                buf_putc(&b, *cs->p++);
            }
            if (cs->p < cs->end && *cs->p != ',' && *cs->p != '\n' && *cs->p != '\r') {
                *why = "text after a closing quote";
                rc = -1;
                goto out;
            }
        } else {
            while (cs->p < cs->end && *cs->p != ',' && *cs->p != '\n' && *cs->p != '\r') {
                if (*cs->p == '"') {
                    *why = "a quote inside an unquoted field";
                    rc = -1;
                    goto out;
                }
                buf_putc(&b, *cs->p++);
            }
        }
        if (*nf == CSV_COLS_MAX) {
            *why = "more than 32 columns";
            rc = -1;
            goto out;
        }
        f[(*nf)++] = arena_strndup(a, b.p ? b.p : "", b.len);
        if (cs->p < cs->end && *cs->p == ',') {
            cs->p++;
            continue;
        }
        break;
    }
out:
    /* The end of the record (or, after an error, of the line it broke on). */
    while (cs->p < cs->end && *cs->p != '\n')
        cs->p++;
    if (cs->p < cs->end) {
        cs->p++;
        cs->line++;
    }
    buf_release(&b);
    return rc;
}

/* Trim ASCII spaces in place (an arena copy). */
static const char *trim(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        ((char *)s)[--n] = '\0';
    return s;
}

enum { COL_ADDRESS, COL_LAT, COL_LON, COL_CODE, COL_TYPE, COL_NAME, NCOLS };

/* clang-format off */
static const struct {
    int col;
    const char *name;
} col_names[] = {
    {COL_ADDRESS, "address"}, {COL_ADDRESS, "地址"},
    {COL_LAT, "lat"}, {COL_LAT, "latitude"}, {COL_LAT, "纬度"},
    {COL_LON, "lon"}, {COL_LON, "lng"}, {COL_LON, "longitude"}, {COL_LON, "经度"},
    {COL_CODE, "code"}, {COL_CODE, "编码"}, {COL_CODE, "代码"},
    {COL_TYPE, "type"}, {COL_TYPE, "类型"},
    {COL_NAME, "name"}, {COL_NAME, "名称"},
};
/* clang-format on */

static int col_of(const char *h)
{
    char low[32];
    size_t n = strlen(h);
    if (n >= sizeof(low))
        return -1;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)(h[i] >= 'A' && h[i] <= 'Z' ? h[i] + 32 : h[i]);
    for (size_t i = 0; i < sizeof(col_names) / sizeof(col_names[0]); i++)
        if (strcmp(low, col_names[i].name) == 0)
            return col_names[i].col;
    return -1;
}

static int number(const char *s, double *out)
{
    char *end;
    if (!*s)
        return 0;
    *out = strtod(s, &end);
    return *end == '\0' && isfinite(*out);
}

/* A stable code for a row that has none: re-importing the same address updates its row. */
static const char *made_code(struct arena *a, const char *prefix, const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return arena_printf(a, "%s%016llx", prefix, (unsigned long long)h);
}

static void csv_row(struct imp *im, const char **f, size_t nf, const int *at, int64_t line)
{
    const char *v[NCOLS];
    for (int k = 0; k < NCOLS; k++) {
        v[k] = at[k] >= 0 && (size_t)at[k] < nf ? trim(f[at[k]]) : "";
        if (v[k][0] == '\'' && formula(v[k] + 1)) /* an export's guard against formulas */
            v[k]++;
    }
    double lat = NAN, lon = NAN;
    int ok = 1;
    int place = *v[COL_NAME] || *v[COL_TYPE];
    /* A place may have no address (a park); an address point is its address. */
    if (!*v[COL_ADDRESS] && !place) {
        problem(im, line, "address", ADDR_WHY_REQUIRED, "address is empty");
        ok = 0;
    } else if (utf8_invalid_at(v[COL_ADDRESS], strlen(v[COL_ADDRESS])) >= 0) {
        problem(im, line, "address", ADDR_WHY_INVALID, "address is not valid UTF-8");
        ok = 0;
    }
    if (!number(v[COL_LAT], &lat)) {
        problem(im, line, "lat", *v[COL_LAT] ? ADDR_WHY_INVALID : ADDR_WHY_REQUIRED,
                "lat must be a number");
        ok = 0;
    }
    if (!number(v[COL_LON], &lon)) {
        problem(im, line, "lon", *v[COL_LON] ? ADDR_WHY_INVALID : ADDR_WHY_REQUIRED,
                "lon must be a number");
        ok = 0;
    }
    if (!ok)
        return;
    if (place) {
        /* A place at an address: it takes the point of that address when the register has
         * one. */
        struct item *it = push(im, ADDR_PLACE, line);
        it->name = v[COL_NAME];
        it->type = v[COL_TYPE];
        it->address = v[COL_ADDRESS];
        it->lat = lat;
        it->lon = lon;
        it->code = *v[COL_CODE] ? v[COL_CODE]
                                : made_code(im->a, "POI",
                                            arena_printf(im->a, "%s|%s", v[COL_NAME],
                                                         geocode_norm(im->a, v[COL_ADDRESS])));
        return;
    }
    struct app_addr_parts parts;
    struct err e = ERR_INIT;
    if (app_addr_split(im->a, v[COL_ADDRESS], &parts, &e) < 0) {
        problem(im, line, "address", "unreadable", "%s", e.msg);
        return;
    }
    struct item *it = push(im, ADDR_POINT, line);
    it->road_name = parts.road;
    it->road_code = "";
    it->house_no = parts.house_no;
    it->compound = parts.compound;
    it->building = parts.building;
    it->unit = parts.unit;
    it->building_code = "";
    it->lat = lat;
    it->lon = lon;
    it->code = *v[COL_CODE] ? v[COL_CODE] : made_code(im->a, "A", parts.norm);
}

static void read_csv(struct imp *im, const char *data, size_t len)
{
    struct csv cs = {data, data + len, 1};
    const char *f[CSV_COLS_MAX], *why = "";
    size_t nf;
    int at[NCOLS];
    int rc;

    if (utf8_invalid_at(data, len) >= 0) {
        problem(im, 0, "file", "syntax", "the file is not UTF-8 text");
        return;
    }
    if (memchr(data, '\0', len)) {
        problem(im, 0, "file", "syntax", "the file holds a NUL byte");
        return;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) /* a byte-order mark (Excel) */
        cs.p += 3;
    int64_t start = cs.line;
    if ((rc = csv_record(&cs, im->a, f, &nf, &why)) <= 0) {
        problem(im, start, "", "syntax", "%s", rc < 0 ? why : "the file is empty");
        return;
    }
    for (int k = 0; k < NCOLS; k++)
        at[k] = -1;
    for (size_t i = 0; i < nf; i++) {
        int col = col_of(trim(f[i]));
        if (col >= 0 && at[col] < 0)
            at[col] = (int)i;
    }
    static const char *const required[] = {"address", "lat", "lon"};
    for (int k = 0; k < 3; k++)
        if (at[k] < 0) {
            problem(im, 1, required[k], "columns", "the header has no '%s' column", required[k]);
            return;
        }
    int64_t rows = 0;
    for (;;) {
        start = cs.line;
        rc = csv_record(&cs, im->a, f, &nf, &why);
        if (rc == 0)
            break;
        if (rc < 0) {
            problem(im, start, "", "syntax", "%s", why);
            continue;
        }
        if (nf == 1 && !*trim(f[0])) /* a blank line */
            continue;
        if (++rows > APP_ADDR_ROWS_MAX) {
            problem(im, 0, "file", "too_many", "a file holds at most %d rows", APP_ADDR_ROWS_MAX);
            break;
        }
        csv_row(im, f, nf, at, start);
    }
    im->rep->rows = rows;
}

/* ---------------------------------------------------------------- writing */

/* A problem from a writer (an input error) for the item's line; 0 when it was one, else the
 * error to stop with. */
static int refused(struct imp *im, const struct item *it, int rc, struct err *e)
{
    static const char *const csv_fields[] = {"lat", "lon", "code", "type", "name", NULL};
    const char *field = e->field;
    if (rc != ERR_BAD_REQUEST)
        return rc;
    /* A CSV line has only its columns: the parts split from its address are the address. */
    if (im->rep->format == APP_ADDR_CSV && !addr_value_in(csv_fields, field))
        field = "address";
    problem(im, it->line, field, e->reason ? e->reason : ADDR_WHY_INVALID, "%s", e->msg);
    return 0;
}

/* The id of the record coded 'code' of 'kind' for field 'field'; 0 with a problem when none. */
static int ref(struct imp *im, const struct item *it, int kind, const char *code, const char *field,
               int64_t *id, struct err *err)
{
    *id = 0;
    if (!code || !*code)
        return 0;
    int rc = addr_id_by_code(im->c, kind, code, id, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        problem(im, it->line, field, ADDR_WHY_NOT_FOUND, "no %s coded '%.64s'",
                addr_kind_name(kind), code);
        return 1;
    }
    return 0;
}

static int write_item(struct imp *im, const struct item *it, struct err *err)
{
    struct err e = ERR_INIT;
    int64_t id, rid = 0, bid = 0, pid = 0;
    int rc;
    switch (it->kind) {
    case ADDR_ROAD: {
        struct addr_road_in in = {it->code, it->name, it->type, it->geometry};
        rc = addr_road_put(im->c, &in, im->now, &id, &e);
        break;
    }
    case ADDR_BUILDING: {
        struct addr_building_in in = {it->code, it->compound, it->number,
                                      it->type, it->floors,   it->geometry};
        rc = addr_building_put(im->c, im->grids, &in, im->now, &id, &e);
        break;
    }
    case ADDR_AREA: {
        struct addr_area_in in = {it->code, it->type, it->name, it->geometry};
        rc = addr_area_put(im->c, &in, im->now, &id, &e);
        break;
    }
    case ADDR_POINT: {
        if ((rc = ref(im, it, ADDR_ROAD, it->road_code, "road_code", &rid, err)) != 0 ||
            (rc = ref(im, it, ADDR_BUILDING, it->building_code, "building_code", &bid, err)) != 0)
            return rc < 0 ? rc : 0;
        if (!rid && it->road_name && *it->road_name) {
            if ((rc = addr_road_by_name(im->c, it->road_name, it->lat, it->lon, &rid, err)) < 0)
                return rc;
            if (rc == 0) {
                problem(im, it->line, im->rep->format == APP_ADDR_CSV ? "address" : "road",
                        ADDR_WHY_NOT_FOUND, "no road named '%.60s' in the register", it->road_name);
                return 0;
            }
        }
        struct addr_point_in pin = {it->code, rid, it->house_no, it->compound, it->building,
                                    it->unit, bid, it->lat,      it->lon};
        rc = addr_point_put(im->c, im->grids, &pin, im->now, &id, &e);
        break;
    }
    case ADDR_PLACE: {
        if ((rc = ref(im, it, ADDR_POINT, it->point_code, "point_code", &pid, err)) != 0)
            return rc < 0 ? rc : 0;
        if (!pid && it->address && *it->address &&
            (rc = addr_point_by_norm(im->c, geocode_norm(im->a, it->address), &pid, err)) < 0)
            return rc;
        struct addr_place_in lin = {it->code,    it->name, it->type, pid,
                                    it->address, it->lat,  it->lon};
        rc = addr_place_put(im->c, im->grids, &lin, im->now, &id, &e);
        break;
    }
    default: BUG("register kind %d", it->kind);
    }
    if (rc == 0) {
        im->rep->written[it->kind]++;
        return 0;
    }
    if (rc != ERR_BAD_REQUEST)
        *err = e;
    return refused(im, it, rc, &e);
}

static int by_kind_code(const void *x, const void *y)
{
    const struct item *a = *(const struct item *const *)x, *b = *(const struct item *const *)y;
    if (a->kind != b->kind)
        return a->kind - b->kind;
    int c = strcmp(a->code ? a->code : "", b->code ? b->code : "");
    if (c)
        return c;
    return a->line < b->line ? -1 : a->line > b->line;
}

static int by_line(const void *x, const void *y)
{
    const struct app_addr_problem *a = x, *b = y;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* The order rows are written in: what others name comes first. */
static const int write_order[] = {ADDR_ROAD, ADDR_BUILDING, ADDR_AREA, ADDR_POINT, ADDR_PLACE};

int app_addr_import(struct store_conn *c, struct geo_index *grids, enum app_addr_format fmt,
                    const char *data, size_t len, int64_t now, struct arena *a,
                    struct app_addr_report *rep, struct err *err)
{
    struct imp im = {c, grids, a, now, rep, NULL, 0, 0};
    const struct item **sorted = NULL;
    int rc = 0;

    memset(rep, 0, sizeof(*rep));
    rep->format = fmt;
    if (fmt == APP_ADDR_GEOJSON)
        read_geojson(&im, data, len);
    else if (fmt == APP_ADDR_CSV)
        read_csv(&im, data, len);
    else
        return err_field(err, ERR_BAD_REQUEST, "format", "format must be geojson or csv");

    /* The same code twice in one file: the second would silently replace the first. */
    sorted = xmalloc(mem_size_mul(im.n ? im.n : 1, sizeof(*sorted)));
    for (size_t i = 0; i < im.n; i++)
        sorted[i] = &im.items[i];
    qsort(sorted, im.n, sizeof(*sorted), by_kind_code);
    for (size_t i = 1; i < im.n; i++)
        if (sorted[i]->kind == sorted[i - 1]->kind && sorted[i]->code && *sorted[i]->code &&
            strcmp(sorted[i]->code, sorted[i - 1]->code) == 0)
            problem(&im, sorted[i]->line, "code", "duplicate",
                    "code '%.64s' appears again (first on line %lld)", sorted[i]->code,
                    (long long)sorted[i - 1]->line);

    /* Written even after a problem, so that one import reports every bad row at once; the
     * caller rolls all of it back. */
    for (size_t k = 0; k < sizeof(write_order) / sizeof(write_order[0]); k++)
        for (size_t i = 0; i < im.n; i++)
            if (im.items[i].kind == write_order[k] && (rc = write_item(&im, &im.items[i], err)) < 0)
                goto out;
    if (rep->problems_total) {
        qsort(rep->problems, rep->nproblems, sizeof(*rep->problems), by_line);
        rc = err_field(err, ERR_BAD_REQUEST, "file",
                       "%lld problems in the file: nothing was imported",
                       (long long)rep->problems_total);
    }
out:
    free(sorted);
    free(im.items);
    return rc;
}

/* ---------------------------------------------------------------- splitting */

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int numch(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || ch == '-';
}

/* Where a token "<number><suffix>" ending at the first 'suffix' at or after 'from' starts;
 * *end after the suffix. -1 when there is no such suffix with a number before it. */
static long token(const char *s, size_t from, const char *suffix, size_t *end)
{
    const char *hit = strstr(s + from, suffix);
    if (!hit)
        return -1;
    size_t at = (size_t)(hit - s), b = at;
    while (b > from && numch(s[b - 1]))
        b--;
    if (b == at)
        return -1;
    *end = at + strlen(suffix);
    return (long)b;
}

/* clang-format off */
static const char *const road_suffixes[] = {"路", "街", "道", "巷", "弄", "胡同", "里", NULL};
/* clang-format on */

int app_addr_split(struct arena *a, const char *address, struct app_addr_parts *out,
                   struct err *err)
{
    const char *s = geocode_norm(a, address);
    size_t n = strlen(s), i = 0, rest;
    *out = (struct app_addr_parts){s, "", "", "", "", ""};
    if (!n)
        return err_field(err, ERR_BAD_REQUEST, "address", "the address is empty");
    while (i < n && !(s[i] >= '0' && s[i] <= '9'))
        i++;
    rest = 0;
    int road = 0;
    for (size_t k = 0; road_suffixes[k]; k++)
        road |= i > strlen(road_suffixes[k]) && ends(s, i, road_suffixes[k]);
    if (i < n && road) {
        /* <road><digits>[-digits][弄<digits>]号 */
        size_t j = i;
        while (j < n && ((s[j] >= '0' && s[j] <= '9') || s[j] == '-'))
            j++;
        if (starts(s + j, "弄")) {
            j += strlen("弄");
            while (j < n && s[j] >= '0' && s[j] <= '9')
                j++;
        }
        if (!starts(s + j, "号"))
            return err_field(err, ERR_BAD_REQUEST, "address",
                             "the number after road '%.60s' has no 号", arena_strndup(a, s, i));
        j += strlen("号");
        out->road = arena_strndup(a, s, i);
        out->house_no = arena_strndup(a, s + i, j - i);
        rest = j;
    }
    if (rest == n)
        return 0;
    /* [compound][<n>幢][<n>单元] */
    size_t bend = 0, uend = 0;
    long b = token(s, rest, "幢", &bend);
    long u = token(s, b >= 0 ? bend : rest, "单元", &uend);
    size_t cend = b >= 0 ? (size_t)b : u >= 0 ? (size_t)u : n;
    size_t last = u >= 0 ? uend : b >= 0 ? bend : n;
    if (u >= 0 && b < 0)
        return err_field(err, ERR_BAD_REQUEST, "address", "a unit needs its building (幢)");
    if (last != n || (b >= 0 && u >= 0 && (size_t)u != bend))
        return err_field(err, ERR_BAD_REQUEST, "address",
                         "'%.60s' is not part of a standard address (road and house number, or "
                         "compound, building and unit)",
                         s + (last != n ? last : bend));
    out->compound = arena_strndup(a, s + rest, cend - rest);
    for (const char *p = out->compound; *p; p++)
        if (*p >= '0' && *p <= '9')
            return err_field(err, ERR_BAD_REQUEST, "address",
                             "'%.60s' is not part of a standard address (a number without 号 "
                             "or 幢)",
                             out->compound);
    if (b >= 0)
        out->building = arena_strndup(a, s + b, bend - (size_t)b);
    if (u >= 0)
        out->unit = arena_strndup(a, s + u, uend - (size_t)u);
    if (!*out->road && !*out->compound)
        return err_field(err, ERR_BAD_REQUEST, "address",
                         "the address names neither a road with a house number nor a compound");
    return 0;
}

/* ---------------------------------------------------------------- export */

/* Text a spreadsheet would take for a formula (=, +, -, @ first) is written after a quote
 * mark, as the case export does (api_export.c); the import takes the mark off again. */
static int formula(const char *s)
{
    return *s == '=' || *s == '+' || *s == '-' || *s == '@';
}

static void csv_field(struct buf *b, const char *s)
{
    int quote = strpbrk(s, ",\"\r\n") != NULL, mark = formula(s);
    if (quote || mark)
        buf_putc(b, '"');
    if (mark)
        buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(b, '"');
        buf_putc(b, *s);
    }
    if (quote || mark)
        buf_putc(b, '"');
}

static void csv_line(struct buf *b, const char *code, const char *address, double lat, double lon,
                     const char *type, const char *name, const char *grid)
{
    csv_field(b, code);
    buf_putc(b, ',');
    csv_field(b, address);
    buf_printf(b, ",%.7f,%.7f,", lat, lon);
    csv_field(b, type);
    buf_putc(b, ',');
    csv_field(b, name);
    buf_putc(b, ',');
    csv_field(b, grid);
    buf_puts(b, "\r\n");
}

static void feature_begin(struct jw *w, const char *kind, const char *code)
{
    jw_obj(w);
    jw_kstr(w, "type", "Feature");
    jw_key(w, "properties");
    jw_obj(w);
    jw_kstr(w, "kind", kind);
    jw_kstr(w, "code", code);
}

static void feature_end(struct jw *w, const char *geometry, double lat, double lon)
{
    jw_obj_end(w);
    jw_key(w, "geometry");
    if (geometry)
        jw_raw(w, geometry);
    else {
        jw_obj(w);
        jw_kstr(w, "type", "Point");
        jw_key(w, "coordinates");
        jw_arr(w);
        jw_num(w, lon);
        jw_num(w, lat);
        jw_arr_end(w);
        jw_obj_end(w);
    }
    jw_obj_end(w);
}

int app_addr_export(struct store_conn *c, enum app_addr_format fmt, struct arena *a,
                    struct buf *out, struct err *err)
{
    struct addr_filter f = {.with_geometry = 1};
    struct addr_road *roads;
    struct addr_building *bs;
    struct addr_point *ps;
    struct addr_place *pl;
    struct addr_area *as;
    size_t nr = 0, nb = 0, np, npl, na = 0;
    int rc;

    if ((rc = addr_point_list(c, &f, a, &ps, &np, NULL, err)) < 0 ||
        (rc = addr_place_list(c, &f, a, &pl, &npl, NULL, err)) < 0)
        return rc;
    if (fmt == APP_ADDR_CSV) {
        buf_puts(out, "code,address,lat,lon,type,name,grid\r\n");
        for (size_t i = 0; i < np; i++)
            csv_line(out, ps[i].code, ps[i].address, ps[i].lat, ps[i].lon, "", "",
                     ps[i].region.code);
        for (size_t i = 0; i < npl; i++)
            csv_line(out, pl[i].code, pl[i].address, pl[i].lat, pl[i].lon, pl[i].type, pl[i].name,
                     pl[i].region.code);
        return 0;
    }
    if (fmt != APP_ADDR_GEOJSON)
        return err_field(err, ERR_BAD_REQUEST, "format", "format must be geojson or csv");
    if ((rc = addr_road_list(c, &f, a, &roads, &nr, NULL, err)) < 0 ||
        (rc = addr_building_list(c, &f, a, &bs, &nb, NULL, err)) < 0 ||
        (rc = addr_area_list(c, &f, a, &as, &na, NULL, err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kstr(&w, "type", "FeatureCollection");
    jw_key(&w, "features");
    jw_arr(&w);
    for (size_t i = 0; i < nr; i++) {
        feature_begin(&w, "road", roads[i].code);
        jw_kstr(&w, "name", roads[i].name);
        jw_kstr(&w, "type", roads[i].kind);
        feature_end(&w, roads[i].geometry, 0, 0);
    }
    for (size_t i = 0; i < nb; i++) {
        feature_begin(&w, "building", bs[i].code);
        jw_kstr(&w, "compound", bs[i].compound);
        jw_kstr(&w, "number", bs[i].number);
        jw_kstr(&w, "type", bs[i].use);
        jw_kint(&w, "floors", bs[i].floors);
        jw_kstr(&w, "grid", bs[i].region.code);
        feature_end(&w, bs[i].footprint, 0, 0);
    }
    for (size_t i = 0; i < na; i++) {
        feature_begin(&w, "area", as[i].code);
        jw_kstr(&w, "name", as[i].name);
        jw_kstr(&w, "type", as[i].kind);
        feature_end(&w, as[i].geometry, 0, 0);
    }
    for (size_t i = 0; i < np; i++) {
        feature_begin(&w, "point", ps[i].code);
        jw_kstr(&w, "road_code", ps[i].road_code);
        jw_kstr(&w, "road", ps[i].road_name);
        jw_kstr(&w, "house_no", ps[i].house_no);
        jw_kstr(&w, "compound", ps[i].compound);
        jw_kstr(&w, "building", ps[i].building);
        jw_kstr(&w, "unit", ps[i].unit);
        jw_kstr(&w, "building_code", ps[i].building_code);
        jw_kstr(&w, "address", ps[i].address);
        jw_kstr(&w, "grid", ps[i].region.code);
        feature_end(&w, NULL, ps[i].lat, ps[i].lon);
    }
    for (size_t i = 0; i < npl; i++) {
        feature_begin(&w, "place", pl[i].code);
        jw_kstr(&w, "name", pl[i].name);
        jw_kstr(&w, "type", pl[i].type);
        jw_kstr(&w, "point_code", pl[i].point_code);
        jw_kstr(&w, "address", pl[i].address);
        jw_kstr(&w, "grid", pl[i].region.code);
        feature_end(&w, NULL, pl[i].lat, pl[i].lon);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    buf_append(out, w.b.p, w.b.len);
    jw_release(&w);
    return 0;
}
