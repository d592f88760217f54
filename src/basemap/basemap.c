/*
 * basemap: tiles of the address register (basemap.h). Per tile: one bounding-box query per
 * layer, then per geometry parse -> project to tile units -> simplify at a pixel -> clip to the
 * buffered tile -> quantise. Simplifying before clipping makes a line's simplified shape the
 * same in every tile it crosses, so neighbouring tiles meet without seams.
 */
#include "basemap/basemap.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"

#define PI 3.14159265358979323846
#define MAX_LAT 85.0511287798066
/* One pixel in tile units: the simplification tolerance and the smallest area drawn. */
#define PIXEL ((double)BASEMAP_EXTENT / BASEMAP_TILE_PX)
/* Places are read this far beyond the tile, so a label near an edge is drawn by both tiles. */
#define PLACE_BUFFER (64 * PIXEL)
/* Building numbers (3幢) come with the footprints from this zoom on. */
#define BUILDING_LABEL_ZOOM 17
#define NESTING_MAX 4

static const char *const layer_names[BASEMAP_LAYER_COUNT] = {"water", "green", "roads", "buildings",
                                                             "places"};

const char *basemap_layer_name(enum basemap_layer l)
{
    if ((unsigned)l >= BASEMAP_LAYER_COUNT)
        BUG("basemap layer %d", (int)l);
    return layer_names[l];
}

/* clang-format off */
static const struct { const char *name; int zoom; } road_zooms[] = {
    {"trunk", 9}, {"primary", 11}, {"secondary", 13}, {"branch", 14}, {"path", 15},
};
/* Most important first: a tile that holds more than BASEMAP_PLACES_MAX keeps the first. */
static const struct { const char *name; int zoom; } place_zooms[] = {
    {"government", 12}, {"hospital", 12}, {"park", 12}, {"metro", 12},
    {"school", 14}, {"police", 14}, {"market", 14}, {"supermarket", 14}, {"library", 14},
    {"sports", 14}, {"community_centre", 14}, {"kindergarten", 14},
    {"clinic", 16}, {"pharmacy", 16}, {"elderly_care", 16}, {"bus_stop", 16}, {"toilet", 16},
    {"other", 16},
};
/* clang-format on */
#define ROAD_KINDS (sizeof(road_zooms) / sizeof(road_zooms[0]))
#define PLACE_TYPES (sizeof(place_zooms) / sizeof(place_zooms[0]))
/* The queries below bind one parameter per kind and per type (migration 0035's lists). */
_Static_assert(ROAD_KINDS == 5, "a road kind was added: bind it in basemap_tile()");
_Static_assert(PLACE_TYPES == 18, "a place type was added: bind it in basemap_tile()");

int basemap_road_zoom(const char *kind)
{
    for (size_t i = 0; i < ROAD_KINDS; i++)
        if (strcmp(road_zooms[i].name, kind) == 0)
            return road_zooms[i].zoom;
    return INT32_MAX;
}

int basemap_place_zoom(const char *type)
{
    for (size_t i = 0; i < PLACE_TYPES; i++)
        if (strcmp(place_zooms[i].name, type) == 0)
            return place_zooms[i].zoom;
    return INT32_MAX;
}

static size_t place_rank(const char *type)
{
    for (size_t i = 0; i < PLACE_TYPES; i++)
        if (strcmp(place_zooms[i].name, type) == 0)
            return i;
    return PLACE_TYPES;
}

/* ---- tile maths ---- */

int basemap_check_tile(int z, int x, int y, struct err *err)
{
    if (z < 0 || z > BASEMAP_MAX_ZOOM)
        return err_field(err, ERR_BAD_REQUEST, "z", "zoom '%d' must be 0 to %d", z,
                         BASEMAP_MAX_ZOOM);
    long long n = 1LL << z;
    if (x < 0 || x >= n)
        return err_field(err, ERR_BAD_REQUEST, "x", "tile column '%d' must be 0 to %lld at zoom %d",
                         x, n - 1, z);
    if (y < 0 || y >= n)
        return err_field(err, ERR_BAD_REQUEST, "y", "tile row '%d' must be 0 to %lld at zoom %d", y,
                         n - 1, z);
    return 0;
}

static double tile_lon(int z, double x)
{
    return x / ldexp(1.0, z) * 360.0 - 180.0;
}

static double tile_lat(int z, double y)
{
    return atan(sinh(PI * (1.0 - 2.0 * y / ldexp(1.0, z)))) * 180.0 / PI;
}

void basemap_tile_bounds(int z, int x, int y, double *west, double *south, double *east,
                         double *north)
{
    *west = tile_lon(z, x);
    *east = tile_lon(z, x + 1.0);
    *north = tile_lat(z, y);
    *south = tile_lat(z, y + 1.0);
}

void basemap_project(int z, int x, int y, double lon, double lat, double *tx, double *ty)
{
    double n = ldexp(1.0, z) * BASEMAP_EXTENT;
    if (lat > MAX_LAT)
        lat = MAX_LAT;
    if (lat < -MAX_LAT)
        lat = -MAX_LAT;
    double s = sin(lat * PI / 180.0);
    *tx = (lon + 180.0) / 360.0 * n - (double)x * BASEMAP_EXTENT;
    *ty = (0.5 - log((1.0 + s) / (1.0 - s)) / (4.0 * PI)) * n - (double)y * BASEMAP_EXTENT;
}

/* ---- simplification ---- */

/* Squared distance of p from the segment a-b (from a when the segment is a point: a ring's
 * first chord runs from its first point back to itself). */
static double seg_dist2(const double *p, const double *a, const double *b)
{
    double dx = b[0] - a[0], dy = b[1] - a[1];
    double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2 : 0;
    if (t < 0)
        t = 0;
    else if (t > 1)
        t = 1;
    double ex = a[0] + t * dx - p[0], ey = a[1] + t * dy - p[1];
    return ex * ex + ey * ey;
}

size_t basemap_simplify(double *xy, size_t n, double tolerance)
{
    if (n < 3)
        return n;
    unsigned char *keep = xcalloc(n, 1);
    size_t *stack = xmalloc(mem_size_mul(2 * sizeof(size_t), n));
    size_t top = 0;
    double tol2 = tolerance * tolerance;
    keep[0] = keep[n - 1] = 1;
    stack[top++] = 0;
    stack[top++] = n - 1;
    while (top) {
        size_t hi = stack[--top], lo = stack[--top];
        double best = -1;
        size_t at = lo;
        for (size_t i = lo + 1; i < hi; i++) {
            double d = seg_dist2(xy + 2 * i, xy + 2 * lo, xy + 2 * hi);
            if (d > best) {
                best = d;
                at = i;
            }
        }
        if (at != lo && best > tol2) {
            keep[at] = 1;
            stack[top++] = lo;
            stack[top++] = at;
            stack[top++] = at;
            stack[top++] = hi;
        }
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) {
            xy[2 * m] = xy[2 * i];
            xy[2 * m + 1] = xy[2 * i + 1];
            m++;
        }
    free(keep);
    free(stack);
    return m;
}

/* ---- clipping ---- */

/* Liang-Barsky: the part of segment p0-p1 inside the box as parameters t0 <= t1; 0 if none. */
static int clip_segment(const double *p0, const double *p1, double lo, double hi, double *t0,
                        double *t1)
{
    double dx = p1[0] - p0[0], dy = p1[1] - p0[1];
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {p0[0] - lo, hi - p0[0], p0[1] - lo, hi - p0[1]};
    double a = 0, b = 1;
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return 0;
            continue;
        }
        double r = q[i] / p[i];
        if (p[i] < 0) {
            if (r > b)
                return 0;
            if (r > a)
                a = r;
        } else {
            if (r < a)
                return 0;
            if (r < b)
                b = r;
        }
    }
    *t0 = a;
    *t1 = b;
    return 1;
}

size_t basemap_clip_line(const double *xy, size_t n, double lo, double hi, struct arena *a,
                         double **out_xy, size_t **out_lens)
{
    size_t cap = n < 2 ? 1 : 2 * (n - 1);
    double *out = arena_alloc(a, mem_size_mul(cap, 2 * sizeof(double)));
    size_t *lens = arena_alloc(a, mem_size_mul(n ? n : 1, sizeof(size_t)));
    size_t pieces = 0, m = 0, cur = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        const double *p0 = xy + 2 * i, *p1 = xy + 2 * i + 2;
        double t0, t1;
        if (!clip_segment(p0, p1, lo, hi, &t0, &t1)) {
            if (cur >= 2)
                lens[pieces++] = cur;
            else
                m -= cur;
            cur = 0;
            continue;
        }
        double dx = p1[0] - p0[0], dy = p1[1] - p0[1];
        if (cur == 0 || t0 > 0) {
            if (cur >= 2)
                lens[pieces++] = cur;
            else
                m -= cur;
            out[2 * m] = p0[0] + t0 * dx;
            out[2 * m + 1] = p0[1] + t0 * dy;
            m++;
            cur = 1;
        }
        out[2 * m] = p0[0] + t1 * dx;
        out[2 * m + 1] = p0[1] + t1 * dy;
        m++;
        cur++;
        if (t1 < 1) {
            lens[pieces++] = cur;
            cur = 0;
        }
    }
    if (cur >= 2)
        lens[pieces++] = cur;
    *out_xy = out;
    *out_lens = lens;
    return pieces;
}

/* One Sutherland-Hodgman pass: keep the side of the line 'coord' (0: x, 1: y) where
 * sign * (v - bound) <= 0. */
static size_t clip_pass(const double *in, size_t n, int coord, double bound, double sign,
                        double *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const double *cur = in + 2 * i, *prev = in + 2 * ((i + n - 1) % n);
        int cin = sign * (cur[coord] - bound) <= 0, pin = sign * (prev[coord] - bound) <= 0;
        if (cin != pin) {
            double t = (bound - prev[coord]) / (cur[coord] - prev[coord]);
            out[2 * m] = prev[0] + t * (cur[0] - prev[0]);
            out[2 * m + 1] = prev[1] + t * (cur[1] - prev[1]);
            out[2 * m + coord] = bound;
            m++;
        }
        if (cin) {
            out[2 * m] = cur[0];
            out[2 * m + 1] = cur[1];
            m++;
        }
    }
    return m;
}

size_t basemap_clip_ring(const double *xy, size_t n, double lo, double hi, struct arena *a,
                         double **out_xy)
{
    if (n >= 2 && xy[0] == xy[2 * n - 2] && xy[1] == xy[2 * n - 1])
        n--; /* the closing point: the passes treat the ring as closed */
    *out_xy = NULL;
    if (n < 3)
        return 0;
    /* Each point of a pass's input adds at most two to its output. */
    const double *in = xy;
    static const struct {
        int coord;
        int upper;
    } sides[4] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    for (int s = 0; s < 4 && n; s++) {
        double *out = arena_alloc(a, mem_size_mul(n, 4 * sizeof(double)));
        n = clip_pass(in, n, sides[s].coord, sides[s].upper ? hi : lo, sides[s].upper ? 1.0 : -1.0,
                      out);
        in = out;
    }
    if (n < 3)
        return 0;
    *out_xy = (double *)in;
    return n;
}

/* ---- the stored GeoJSON's coordinates ---- */

typedef VEC(double) dvec;
typedef VEC(size_t) svec;

struct parse {
    const char *p;
    dvec xy;
    svec lens;
};

static void skip_ws(struct parse *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

/* One array at ps->p: 1 when it was a position (appended to xy), 0 when an array of arrays
 * (a run of positions closes a part), -1 when malformed. */
static int parse_array(struct parse *ps, int depth)
{
    skip_ws(ps);
    if (*ps->p != '[')
        return -1;
    ps->p++;
    skip_ws(ps);
    if (*ps->p == '-' || isdigit((unsigned char)*ps->p)) {
        double v[2] = {0, 0};
        int k = 0;
        for (;;) {
            char *end;
            double d = strtod(ps->p, &end);
            if (end == ps->p || !isfinite(d))
                return -1;
            if (k < 2)
                v[k] = d;
            k++;
            ps->p = end;
            skip_ws(ps);
            if (*ps->p == ',') {
                ps->p++;
                skip_ws(ps);
                if (*ps->p != '-' && !isdigit((unsigned char)*ps->p))
                    return -1;
                continue;
            }
            if (*ps->p != ']')
                return -1;
            ps->p++;
            break;
        }
        if (k < 2 || k > 3)
            return -1;
        vec_append(&ps->xy, v[0]);
        vec_append(&ps->xy, v[1]);
        return 1;
    }
    if (*ps->p == ']') {
        ps->p++;
        return 0;
    }
    if (depth >= NESTING_MAX)
        return -1;
    size_t start = ps->xy.n / 2;
    int kind = -1;
    for (;;) {
        int r = parse_array(ps, depth + 1);
        if (r < 0 || (kind >= 0 && r != kind))
            return -1;
        kind = r;
        skip_ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p != ']')
            return -1;
        ps->p++;
        break;
    }
    if (kind == 1)
        vec_append(&ps->lens, ps->xy.n / 2 - start);
    return 0;
}

int basemap_parse_coords(const char *geojson, struct arena *a, double **xy, size_t **lens,
                         size_t *nparts, struct err *err)
{
    struct parse ps = {.p = geojson ? strstr(geojson, "\"coordinates\"") : NULL,
                       .xy = VEC_IN(a),
                       .lens = VEC_IN(a)};
    *xy = NULL;
    *lens = NULL;
    *nparts = 0;
    if (!ps.p)
        return err_set(err, ERR_BAD_REQUEST, "geometry has no 'coordinates'");
    ps.p += strlen("\"coordinates\"");
    skip_ws(&ps);
    if (*ps.p != ':')
        return err_set(err, ERR_BAD_REQUEST, "geometry 'coordinates' has no value");
    ps.p++;
    /* A bare position (1) is a Point: not a line or an area. */
    if (parse_array(&ps, 0) != 0)
        return err_set(err, ERR_BAD_REQUEST,
                       "geometry 'coordinates' is not lines or rings of "
                       "[lon, lat] positions");
    *xy = ps.xy.v;
    *lens = ps.lens.v;
    *nparts = ps.lens.n;
    return 0;
}

/* ---- the tile ---- */

typedef VEC(struct basemap_feature) fvec;
typedef VEC(int32_t) ivec;
typedef VEC(int) lvec;

struct build {
    int z, x, y;
    struct arena *a;
    struct err *err;
    fvec layer[BASEMAP_LAYER_COUNT];
    ivec xy;      /* the feature being built (heap, reused) */
    lvec lens;    /* its parts' lengths */
    double *proj; /* projection scratch (heap, reused) */
    size_t proj_cap;
    size_t bad; /* stored geometries that did not parse (skipped) */
};

/* Quantise the n points and append them as one part when at least 'min' distinct remain. */
static void add_part(struct build *b, const double *xy, size_t n, size_t min)
{
    size_t start = b->xy.n;
    int32_t px = 0, py = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t qx = (int32_t)lround(xy[2 * i]), qy = (int32_t)lround(xy[2 * i + 1]);
        if (m && qx == px && qy == py)
            continue;
        vec_append(&b->xy, qx);
        vec_append(&b->xy, qy);
        px = qx;
        py = qy;
        m++;
    }
    if (min >= 3 && m >= 2 && b->xy.v[start] == px && b->xy.v[start + 1] == py) {
        b->xy.n -= 2; /* a ring's closing point: the canvas closes the path itself */
        m--;
    }
    if (m < min) {
        b->xy.n = start;
        return;
    }
    vec_append(&b->lens, (int)m);
}

/* Parse, project, simplify, clip and quantise one stored geometry into a feature of 'layer'
 * (none when nothing of it shows in the tile). */
static void add_geometry(struct build *b, enum basemap_layer layer, const char *name,
                         const char *kind, const char *geojson, int rings)
{
    struct err perr = {0};
    double *xy;
    size_t *lens, nparts;
    if (basemap_parse_coords(geojson, b->a, &xy, &lens, &nparts, &perr) < 0) {
        b->bad++; /* written through addr_*_put, which validated it: a hand-edited row */
        return;
    }
    b->xy.n = 0;
    b->lens.n = 0;
    double lo = -BASEMAP_BUFFER, hi = BASEMAP_EXTENT + BASEMAP_BUFFER;
    for (size_t i = 0, at = 0; i < nparts; at += lens[i], i++) {
        size_t n = lens[i];
        if (n > b->proj_cap) {
            free(b->proj);
            b->proj_cap = n * 2;
            b->proj = xmalloc(mem_size_mul(b->proj_cap, 2 * sizeof(double)));
        }
        double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
        int sane = 1;
        for (size_t k = 0; k < n && sane; k++)
            sane = fabs(xy[2 * (at + k)]) <= 360 && fabs(xy[2 * (at + k) + 1]) <= 90;
        if (!sane) {
            b->bad++; /* not degrees: nothing to draw, and no overflow in the tile's units */
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            double *p = b->proj + 2 * k;
            basemap_project(b->z, b->x, b->y, xy[2 * (at + k)], xy[2 * (at + k) + 1], p, p + 1);
            minx = fmin(minx, p[0]);
            maxx = fmax(maxx, p[0]);
            miny = fmin(miny, p[1]);
            maxy = fmax(maxy, p[1]);
        }
        if (maxx < lo || minx > hi || maxy < lo || miny > hi)
            continue; /* another part of the geometry, elsewhere */
        if (rings && maxx - minx < PIXEL && maxy - miny < PIXEL)
            continue; /* smaller than a pixel */
        n = basemap_simplify(b->proj, n, PIXEL);
        if (rings) {
            double *out;
            size_t m = basemap_clip_ring(b->proj, n, lo, hi, b->a, &out);
            if (m)
                add_part(b, out, m, 3);
        } else {
            double *out;
            size_t *plen;
            size_t pieces = basemap_clip_line(b->proj, n, lo, hi, b->a, &out, &plen);
            for (size_t k = 0, off = 0; k < pieces; off += plen[k], k++)
                add_part(b, out + 2 * off, plen[k], 2);
        }
    }
    if (!b->lens.n)
        return;
    struct basemap_feature *f = vec_push(&b->layer[layer]);
    f->name = arena_strdup(b->a, name ? name : "");
    f->kind = arena_strdup(b->a, kind ? kind : "");
    f->nparts = (int)b->lens.n;
    int *pl = arena_alloc(b->a, b->lens.n * sizeof(int));
    memcpy(pl, b->lens.v, b->lens.n * sizeof(int));
    int32_t *q = arena_alloc(b->a, b->xy.n * sizeof(int32_t));
    memcpy(q, b->xy.v, b->xy.n * sizeof(int32_t));
    f->part_len = pl;
    f->xy = q;
}

static const char *col_text(struct store_stmt *row, int col)
{
    const char *s = store_col_text(row, col);
    return s ? s : "";
}

static int road_row(void *ctx, struct store_stmt *row)
{
    add_geometry(ctx, BASEMAP_ROADS, col_text(row, 0), col_text(row, 1), col_text(row, 2), 0);
    return 0;
}

static int area_row(void *ctx, struct store_stmt *row)
{
    const char *kind = col_text(row, 0);
    enum basemap_layer l = strcmp(kind, "water") == 0 ? BASEMAP_WATER : BASEMAP_GREEN;
    add_geometry(ctx, l, col_text(row, 1), kind, col_text(row, 2), 1);
    return 0;
}

static int building_row(void *ctx, struct store_stmt *row)
{
    struct build *b = ctx;
    const char *number = b->z >= BUILDING_LABEL_ZOOM ? col_text(row, 1) : "";
    add_geometry(b, BASEMAP_BUILDINGS, number, col_text(row, 0), col_text(row, 2), 1);
    return 0;
}

struct place_row {
    size_t rank;
    int64_t id;
    struct basemap_feature f;
};
typedef VEC(struct place_row) pvec;

struct place_ctx {
    struct build *b;
    pvec rows;
};

static int place_row_fn(void *ctx, struct store_stmt *row)
{
    struct place_ctx *pc = ctx;
    struct build *b = pc->b;
    double tx, ty;
    basemap_project(b->z, b->x, b->y, store_col_real(row, 3), store_col_real(row, 4), &tx, &ty);
    if (tx < -PLACE_BUFFER || tx > BASEMAP_EXTENT + PLACE_BUFFER || ty < -PLACE_BUFFER ||
        ty > BASEMAP_EXTENT + PLACE_BUFFER)
        return 0;
    struct place_row *p = vec_push(&pc->rows);
    p->id = store_col_int(row, 0);
    p->f.name = arena_strdup(b->a, col_text(row, 1));
    p->f.kind = arena_strdup(b->a, col_text(row, 2));
    p->rank = place_rank(p->f.kind);
    p->f.x = (int32_t)lround(tx);
    p->f.y = (int32_t)lround(ty);
    return 0;
}

static int place_cmp(const void *pa, const void *pb)
{
    const struct place_row *a = pa, *b = pb;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

int basemap_version(struct store_conn *c, int64_t *version, struct err *err)
{
    int rc = store_one_i64(c, "SELECT version FROM addr_version WHERE id = 1", STORE_NO_ARGS,
                           version, err);
    if (rc == 0) /* no row: a register never written */
        *version = 0;
    return rc < 0 ? rc : 0;
}

int basemap_tile(struct store_conn *c, int z, int x, int y, struct arena *a,
                 struct basemap_tile *out, struct err *err)
{
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = basemap_check_tile(z, x, y, err)) < 0)
        return rc;
    out->z = z;
    out->x = x;
    out->y = y;
    if ((rc = basemap_version(c, &out->version, err)) < 0)
        return rc;
    if (z < BASEMAP_MIN_ZOOM)
        return 0;

    struct build b = {.z = z, .x = x, .y = y, .a = a, .err = err};
    for (int l = 0; l < BASEMAP_LAYER_COUNT; l++)
        b.layer[l].arena = a;
    b.xy.arena = NULL;
    b.lens.arena = NULL;
    /* The box read: the tile and its buffer, in degrees. */
    double fb = (double)BASEMAP_BUFFER / BASEMAP_EXTENT, fp = PLACE_BUFFER / BASEMAP_EXTENT;
    double w = tile_lon(z, x - fb), e = tile_lon(z, x + 1 + fb);
    double n = tile_lat(z, y - fb), s = tile_lat(z, y + 1 + fb);
#define BOX store_real(e), store_real(w), store_real(n), store_real(s)
    /* "ORDER BY +id", not "id": SQLite without statistics would rather walk the whole table in
     * id order (every geometry read, 100 ms for 40,000 buildings) than sort the tile's rows. */
    const char *kinds[ROAD_KINDS];
    for (size_t i = 0; i < ROAD_KINDS; i++)
        kinds[i] = z >= road_zooms[i].zoom ? road_zooms[i].name : "";
    if ((rc = (int)store_all(c,
                             "SELECT kind, name, geometry FROM addr_areas WHERE min_lon <= ? AND "
                             "max_lon >= ? AND min_lat <= ? AND max_lat >= ? ORDER BY +id",
                             STORE_ARGS(BOX), area_row, &b, err)) < 0)
        goto out;
    if ((rc = (int)store_all(c,
                             "SELECT name, kind, geometry FROM addr_roads WHERE min_lon <= ? AND "
                             "max_lon >= ? AND min_lat <= ? AND max_lat >= ? AND kind IN (?, ?, "
                             "?, ?, ?) ORDER BY +id",
                             STORE_ARGS(BOX, store_text(kinds[0]), store_text(kinds[1]),
                                        store_text(kinds[2]), store_text(kinds[3]),
                                        store_text(kinds[4])),
                             road_row, &b, err)) < 0)
        goto out;
    if (z >= BASEMAP_BUILDING_ZOOM &&
        (rc = (int)store_all(c,
                             "SELECT use, number, footprint FROM addr_buildings WHERE min_lon <= "
                             "? AND max_lon >= ? AND min_lat <= ? AND max_lat >= ? ORDER BY +id",
                             STORE_ARGS(BOX), building_row, &b, err)) < 0)
        goto out;
#undef BOX
    const char *types[PLACE_TYPES];
    for (size_t i = 0; i < PLACE_TYPES; i++)
        types[i] = z >= place_zooms[i].zoom ? place_zooms[i].name : "";
    struct place_ctx pc = {.b = &b, .rows = VEC_IN(a)};
    w = tile_lon(z, x - fp);
    e = tile_lon(z, x + 1 + fp);
    n = tile_lat(z, y - fp);
    s = tile_lat(z, y + 1 + fp);
    /* "type || ''": not the type index, which holds every place of a type, but the position's. */
    if ((rc = (int)store_all(
             c,
             "SELECT id, name, type, lon, lat FROM addr_places WHERE lon >= ? AND lon <= ? AND "
             "lat >= ? AND lat <= ? AND type || '' IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
             "?, ?) ORDER BY +id",
             STORE_ARGS(store_real(w), store_real(e), store_real(s), store_real(n),
                        store_text(types[0]), store_text(types[1]), store_text(types[2]),
                        store_text(types[3]), store_text(types[4]), store_text(types[5]),
                        store_text(types[6]), store_text(types[7]), store_text(types[8]),
                        store_text(types[9]), store_text(types[10]), store_text(types[11]),
                        store_text(types[12]), store_text(types[13]), store_text(types[14]),
                        store_text(types[15]), store_text(types[16]), store_text(types[17])),
             place_row_fn, &pc, err)) < 0)
        goto out;
    if (pc.rows.n)
        qsort(pc.rows.v, pc.rows.n, sizeof(*pc.rows.v), place_cmp);
    for (size_t i = 0; i < pc.rows.n && i < BASEMAP_PLACES_MAX; i++)
        *vec_push(&b.layer[BASEMAP_PLACES]) = pc.rows.v[i].f;
    out->skipped = b.bad;
    for (int l = 0; l < BASEMAP_LAYER_COUNT; l++) {
        out->n[l] = b.layer[l].n;
        out->items[l] = b.layer[l].v;
    }
    rc = 0;
out:
    vec_release(&b.xy);
    vec_release(&b.lens);
    free(b.proj);
    return rc;
}
