/*
 * geo: GeoJSON boundary polygons and point location on top of the GEOS reentrant C API.
 *
 * Every GEOS call goes through a context handle whose error and notice handlers write into a
 * buffer next to the handle, so GEOS never prints and its reason can be put into struct err.
 * geo_validate() makes a short-lived context per call (no shared state); an index owns one
 * context, and a mutex serialises everything done with it (see geo.h for why).
 */
#include "geo/geo.h"

#include <geos_c.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"

/* Real boundaries nest about six deep (Feature > geometry > coordinates > polygon > ring >
 * position); the limit only stops hostile input from recursing deep inside the JSON parser. */
#define MAX_JSON_DEPTH 32

/* R-tree node capacity; 10 is the usual choice and the tree holds only hundreds of items. */
#define TREE_NODE_CAPACITY 10

struct gctx {
    GEOSContextHandle_t h;
    char msg[ERR_MSG_MAX]; /* last error GEOS reported through the handler */
};

struct entry {
    int64_t id;
    int depth;
    GEOSGeometry *geom;               /* owned */
    const GEOSPreparedGeometry *prep; /* owned; refers to geom, so destroyed first */
};

/*
 * The fast path of geo_locate(): the polygons' rings as flat coordinates and a uniform grid of
 * buckets over their extent, each bucket listing the entries whose box meets it, deepest first
 * (then lowest id), so the first entry whose rings hold the point is the answer. The even-odd
 * ring test decides unless the point lies within FLAT_EPS of an edge of that entry: then the
 * prepared GEOS geometry does (boundaries closed, as before). Among 25,000 grids this takes a
 * fraction of the STRtree query and GEOS point it replaces (docs/benchmarks.md, "Grids").
 */
#define FLAT_EPS 1e-9      /* degrees, about 0.1 mm */
#define FLAT_BUCKETS_PER 4 /* buckets per polygon */
#define FLAT_BUCKETS_MAX (1u << 20)
#define FLAT_REFS_MAX (1u << 24) /* bucket entries; past it the STRtree path serves */

struct flat_entry {
    double x0, y0, x1, y1; /* box */
    uint32_t ring0, nrings;
};

struct flat {
    struct flat_entry *e; /* per index entry */
    uint32_t *ring_off;   /* nrings + 1 offsets into xy (in points) */
    double *xy;
    uint32_t nx, ny;
    double x0, y0, cw, ch;
    uint32_t *start; /* nx * ny + 1 offsets into refs */
    uint32_t *refs;  /* entry indexes */
};

struct geo_index {
    struct gctx ctx;
    pthread_mutex_t lock; /* guards ctx, entries, tree and flat */
    struct entry *entries;
    size_t n, cap;
    GEOSSTRtree *tree; /* NULL when entries changed since it was built */
    struct flat *flat; /* NULL likewise, or when the STRtree path serves */
};

static void on_error(const char *message, void *userdata)
{
    struct gctx *c = userdata;
    snprintf(c->msg, sizeof(c->msg), "%s", message);
}

static void on_notice(const char *message, void *userdata)
{
    /* isValid announces the problem as a notice too; the reason is fetched explicitly. */
    (void)message;
    (void)userdata;
}

static int gctx_init(struct gctx *c, struct err *err)
{
    c->msg[0] = '\0';
    c->h = GEOS_init_r();
    if (!c->h)
        return err_set(err, ERR_INTERNAL, "cannot create GEOS context");
    GEOSContext_setErrorMessageHandler_r(c->h, on_error, c);
    GEOSContext_setNoticeMessageHandler_r(c->h, on_notice, c);
    return 0;
}

static void gctx_finish(struct gctx *c)
{
    if (c->h)
        GEOS_finish_r(c->h);
    c->h = NULL;
}

/*
 * GEOS reports parse failures as "ParseException: Error parsing JSON: '[json.exception.x.y]
 * detail'"; the class names and the parser's tag mean nothing to a client, the detail does.
 */
static const char *tidy_message(char *m)
{
    static const char *const prefixes[] = {
        "ParseException: ", "IllegalArgumentException: ", "Error parsing JSON: '"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t len = strlen(prefixes[i]);
        if (strncmp(m, prefixes[i], len) == 0) {
            memmove(m, m + len, strlen(m + len) + 1);
            if (i == 2) {
                size_t end = strlen(m);
                if (end > 0 && m[end - 1] == '\'')
                    m[end - 1] = '\0';
            }
        }
    }
    if (strncmp(m, "[json.exception.", 16) == 0) {
        char *close = strstr(m, "] ");
        if (close)
            memmove(m, close + 2, strlen(close + 2) + 1);
    }
    return m[0] ? m : "unreadable geometry";
}

static int json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Checks made on the text before GEOS sees it. Some are for clearer messages (emptiness, a
 * top level that is not an object); the rest protect the process from the reader:
 *  - nesting is bounded, because the JSON parser and GeometryCollection reading recurse;
 *  - an empty array directly inside an array is refused, because GEOS 3.11's GeoJSON reader
 *    indexes an empty position ([]) without checking its size (found by fuzz_geojson.c).
 *    This is done everywhere, not only under "coordinates", since a key can be spelled with
 *    escapes; no sensible boundary contains [[]] anywhere (an empty ring would be refused as
 *    empty anyway).
 * The scan tracks strings so brackets inside them do not count; for text that is not JSON
 * its verdict does not matter, as the parser refuses it afterwards.
 */
static int prescan(const char *s, struct err *err)
{
    char stack[MAX_JSON_DEPTH];
    int depth = 0, in_str = 0;
    const char *p = s;

    while (json_space(*p))
        p++;
    if (!*p)
        return err_set(err, ERR_BAD_REQUEST, "geometry is empty");
    if (*p != '{')
        return err_set(err, ERR_BAD_REQUEST, "geometry must be a GeoJSON object");

    for (; *p; p++) {
        if (in_str) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_str = 0;
        } else if (*p == '"') {
            in_str = 1;
        } else if (*p == '{' || *p == '[') {
            if (depth == MAX_JSON_DEPTH)
                return err_set(err, ERR_BAD_REQUEST, "GeoJSON is nested too deeply");
            if (*p == '[' && depth > 0 && stack[depth - 1] == '[') {
                const char *q = p + 1;
                while (json_space(*q))
                    q++;
                if (*q == ']')
                    return err_set(err, ERR_BAD_REQUEST,
                                   "invalid GeoJSON: empty array where a position or ring "
                                   "was expected");
            }
            stack[depth++] = *p;
        } else if ((*p == '}' || *p == ']') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

static int check_ring(struct gctx *c, const GEOSGeometry *ring, struct err *err)
{
    const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(c->h, ring) : NULL;
    unsigned int size;
    if (!seq || !GEOSCoordSeq_getSize_r(c->h, seq, &size))
        return err_set(err, ERR_BAD_REQUEST, "invalid polygon: unreadable ring");
    for (unsigned int i = 0; i < size; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(c->h, seq, i, &x, &y))
            return err_set(err, ERR_BAD_REQUEST, "invalid polygon: unreadable coordinate");
        /* Written so that NaN fails too. */
        if (!(x >= -180.0 && x <= 180.0 && y >= -90.0 && y <= 90.0))
            return err_set(err, ERR_BAD_REQUEST,
                           "coordinate [%g, %g] is outside WGS84 range "
                           "(longitude -180..180, latitude -90..90)",
                           x, y);
    }
    return 0;
}

static int check_ranges(struct gctx *c, const GEOSGeometry *g, struct err *err)
{
    int parts = GEOSGetNumGeometries_r(c->h, g);
    if (parts < 0)
        return err_set(err, ERR_BAD_REQUEST, "invalid geometry: unreadable parts");
    for (int i = 0; i < parts; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(c->h, g, i);
        int type = part ? GEOSGeomTypeId_r(c->h, part) : -1;
        if (type == GEOS_LINESTRING) {
            int rc = check_ring(c, part, err);
            if (rc)
                return rc;
            continue;
        }
        int holes = part && type == GEOS_POLYGON ? GEOSGetNumInteriorRings_r(c->h, part) : -1;
        if (holes < 0)
            return err_set(err, ERR_BAD_REQUEST, "invalid polygon: unreadable part");
        int rc = check_ring(c, GEOSGetExteriorRing_r(c->h, part), err);
        for (int k = 0; rc == 0 && k < holes; k++)
            rc = check_ring(c, GEOSGetInteriorRingN_r(c->h, part, k), err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Parse and check 'geojson'; on success *out is a valid, non-empty geometry of 'kind'. */
static int parse_kind(struct gctx *c, const char *geojson, enum geo_kind kind, GEOSGeometry **out,
                      struct err *err)
{
    GEOSGeoJSONReader *reader = NULL;
    GEOSGeometry *g = NULL;
    int rc;

    *out = NULL;
    if (!geojson)
        return err_set(err, ERR_BAD_REQUEST, "geometry is empty");
    rc = prescan(geojson, err);
    if (rc)
        return rc;

    reader = GEOSGeoJSONReader_create_r(c->h);
    if (!reader) {
        rc = err_set(err, ERR_INTERNAL, "cannot create GeoJSON reader");
        goto out;
    }
    c->msg[0] = '\0';
    g = GEOSGeoJSONReader_readGeometry_r(c->h, reader, geojson);
    if (!g) {
        rc = err_set(err, ERR_BAD_REQUEST, "invalid GeoJSON: %s", tidy_message(c->msg));
        goto out;
    }

    int type = GEOSGeomTypeId_r(c->h, g);
    int line = kind == GEO_LINE;
    if (line ? type != GEOS_LINESTRING && type != GEOS_MULTILINESTRING
             : type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) {
        char *name = GEOSGeomType_r(c->h, g);
        rc = err_set(err, ERR_BAD_REQUEST, "geometry must be a %s, not %s",
                     line ? "LineString or MultiLineString" : "Polygon or MultiPolygon",
                     name ? name : "something else");
        GEOSFree_r(c->h, name);
        goto out;
    }
    if (GEOSisEmpty_r(c->h, g) != 0) {
        rc = err_set(err, ERR_BAD_REQUEST, "geometry is empty");
        goto out;
    }
    rc = check_ranges(c, g, err);
    if (rc)
        goto out;

    char valid = GEOSisValid_r(c->h, g);
    if (valid != 1) {
        char *reason = valid == 0 ? GEOSisValidReason_r(c->h, g) : NULL;
        rc = err_set(err, ERR_BAD_REQUEST, "invalid %s: %s", line ? "line" : "polygon",
                     reason ? reason : tidy_message(c->msg));
        GEOSFree_r(c->h, reason);
        goto out;
    }
    *out = g;
    g = NULL;
out:
    if (g)
        GEOSGeom_destroy_r(c->h, g);
    if (reader)
        GEOSGeoJSONReader_destroy_r(c->h, reader);
    return rc;
}

static int parse(struct gctx *c, const char *geojson, GEOSGeometry **out, struct err *err)
{
    return parse_kind(c, geojson, GEO_AREA, out, err);
}

int geo_validate(const char *geojson, struct err *err)
{
    struct gctx c;
    GEOSGeometry *g = NULL;
    int rc = gctx_init(&c, err);
    if (rc)
        return rc;
    rc = parse(&c, geojson, &g, err);
    if (g)
        GEOSGeom_destroy_r(c.h, g);
    gctx_finish(&c);
    return rc;
}

int geo_index_new(struct geo_index **out, struct err *err)
{
    struct geo_index *ix = xcalloc(1, sizeof(*ix));
    int rc = gctx_init(&ix->ctx, err);
    if (rc) {
        free(ix);
        *out = NULL;
        return rc;
    }
    if (pthread_mutex_init(&ix->lock, NULL) != 0) {
        gctx_finish(&ix->ctx);
        free(ix);
        *out = NULL;
        return err_set(err, ERR_INTERNAL, "cannot create geo index lock");
    }
    *out = ix;
    return 0;
}

static void flat_free(struct flat *f)
{
    if (!f)
        return;
    free(f->e);
    free(f->ring_off);
    free(f->xy);
    free(f->start);
    free(f->refs);
    free(f);
}

void geo_index_free(struct geo_index *ix)
{
    if (!ix)
        return;
    flat_free(ix->flat);
    if (ix->tree)
        GEOSSTRtree_destroy_r(ix->ctx.h, ix->tree);
    for (size_t i = 0; i < ix->n; i++) {
        GEOSPreparedGeom_destroy_r(ix->ctx.h, ix->entries[i].prep);
        GEOSGeom_destroy_r(ix->ctx.h, ix->entries[i].geom);
    }
    free(ix->entries);
    gctx_finish(&ix->ctx);
    pthread_mutex_destroy(&ix->lock);
    free(ix);
}

int geo_index_add(struct geo_index *ix, int64_t id, int depth, const char *geojson, struct err *err)
{
    GEOSGeometry *g = NULL;
    const GEOSPreparedGeometry *prep = NULL;
    int rc;

    /* 0 is geo_locate's "nowhere", so it cannot name a region. */
    if (id <= 0 || depth < 0)
        return err_set(err, ERR_INTERNAL, "geo index entry needs id > 0 and depth >= 0");

    pthread_mutex_lock(&ix->lock);
    rc = parse(&ix->ctx, geojson, &g, err);
    if (rc)
        goto out;
    prep = GEOSPrepare_r(ix->ctx.h, g);
    if (!prep) {
        rc = err_set(err, ERR_INTERNAL, "cannot prepare geometry: %s", tidy_message(ix->ctx.msg));
        goto out;
    }
    if (ix->n == ix->cap) {
        ix->cap = ix->cap ? mem_size_mul(ix->cap, 2) : 16;
        ix->entries = xrealloc(ix->entries, mem_size_mul(ix->cap, sizeof(*ix->entries)));
    }
    ix->entries[ix->n++] = (struct entry){id, depth, g, prep};
    g = NULL;
    prep = NULL;
    /* A GEOS STRtree cannot grow once queried, so the next lookup builds a fresh one. */
    if (ix->tree) {
        GEOSSTRtree_destroy_r(ix->ctx.h, ix->tree);
        ix->tree = NULL;
    }
    flat_free(ix->flat);
    ix->flat = NULL;
out:
    if (prep)
        GEOSPreparedGeom_destroy_r(ix->ctx.h, prep);
    if (g)
        GEOSGeom_destroy_r(ix->ctx.h, g);
    pthread_mutex_unlock(&ix->lock);
    return rc;
}

/* Append the rings of polygon 'poly' to f (growing xy and ring_off). */
static int flat_rings(GEOSContextHandle_t h, const GEOSGeometry *poly, struct flat *f,
                      size_t *nring, size_t *ring_cap, size_t *npt, size_t *pt_cap)
{
    int holes = GEOSGetNumInteriorRings_r(h, poly);
    if (holes < 0)
        return -1;
    for (int r = -1; r < holes; r++) {
        const GEOSGeometry *ring =
            r < 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, r);
        const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
        unsigned int size;
        if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &size))
            return -1;
        if (*npt + size > UINT32_MAX / 2 || *nring + 2 > UINT32_MAX)
            return -1;
        if (*npt + size > *pt_cap) {
            *pt_cap = mem_size_mul(mem_size_add(*npt, size), 2);
            f->xy = xrealloc(f->xy, mem_size_mul(*pt_cap, 2 * sizeof(double)));
        }
        if (*nring + 2 > *ring_cap) {
            *ring_cap = mem_size_mul(mem_size_add(*nring, 2), 2);
            f->ring_off = xrealloc(f->ring_off, mem_size_mul(*ring_cap, sizeof(uint32_t)));
        }
        for (unsigned int k = 0; k < size; k++)
            if (!GEOSCoordSeq_getXY_r(h, seq, k, &f->xy[2 * (*npt + k)],
                                      &f->xy[2 * (*npt + k) + 1]))
                return -1;
        *npt += size;
        f->ring_off[++*nring] = (uint32_t)*npt;
    }
    return 0;
}

static struct geo_index *sort_ix; /* flat_order's context: only under the index's lock */
static int flat_order(const void *x, const void *y)
{
    const struct entry *a = &sort_ix->entries[*(const uint32_t *)x];
    const struct entry *b = &sort_ix->entries[*(const uint32_t *)y];
    if (a->depth != b->depth)
        return b->depth - a->depth;
    return a->id < b->id ? -1 : a->id > b->id;
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

/* Build ix->flat; NULL (the STRtree path) when the polygons do not fit its limits. */
static void build_flat(struct geo_index *ix)
{
    GEOSContextHandle_t h = ix->ctx.h;
    struct flat *f = xcalloc(1, sizeof(*f));
    size_t nring = 0, ring_cap = 0, npt = 0, pt_cap = 0;
    if (ix->n == 0 || ix->n > UINT32_MAX / 2)
        goto fail;
    f->e = xcalloc(ix->n, sizeof(*f->e));
    f->ring_off = xmalloc(sizeof(uint32_t));
    f->ring_off[0] = 0;
    ring_cap = 1;
    double gx0 = INFINITY, gy0 = INFINITY, gx1 = -INFINITY, gy1 = -INFINITY;
    for (size_t i = 0; i < ix->n; i++) {
        const GEOSGeometry *g = ix->entries[i].geom;
        struct flat_entry *fe = &f->e[i];
        if (GEOSGeom_getExtent_r(h, g, &fe->x0, &fe->y0, &fe->x1, &fe->y1) != 1)
            goto fail;
        fe->ring0 = (uint32_t)nring;
        int parts = GEOSGetNumGeometries_r(h, g);
        for (int p = 0; p < parts; p++)
            if (flat_rings(h, GEOSGetGeometryN_r(h, g, p), f, &nring, &ring_cap, &npt, &pt_cap) < 0)
                goto fail;
        fe->nrings = (uint32_t)(nring - fe->ring0);
        gx0 = fmin(gx0, fe->x0);
        gy0 = fmin(gy0, fe->y0);
        gx1 = fmax(gx1, fe->x1);
        gy1 = fmax(gy1, fe->y1);
    }
    /* Buckets about the shape of the extent, FLAT_BUCKETS_PER per polygon. */
    double w = fmax(gx1 - gx0, 1e-9), hgt = fmax(gy1 - gy0, 1e-9);
    double want = fmin((double)ix->n * FLAT_BUCKETS_PER, FLAT_BUCKETS_MAX);
    double nxd = fmax(1, fmin(sqrt(want * w / hgt), want));
    f->nx = (uint32_t)nxd;
    f->ny = (uint32_t)fmax(1, fmin(want / f->nx, FLAT_BUCKETS_MAX / f->nx));
    f->x0 = gx0;
    f->y0 = gy0;
    f->cw = w / f->nx;
    f->ch = hgt / f->ny;
    size_t nb = (size_t)f->nx * f->ny;
    f->start = xcalloc(nb + 1, sizeof(uint32_t));
    /* Two passes: count per bucket, then fill. */
    uint64_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t *fill = pass ? xcalloc(nb, sizeof(uint32_t)) : NULL;
        for (size_t i = 0; i < ix->n; i++) {
            const struct flat_entry *fe = &f->e[i];
            uint32_t bx0 = (uint32_t)fmin(f->nx - 1, fmax(0, (fe->x0 - gx0) / f->cw));
            uint32_t bx1 = (uint32_t)fmin(f->nx - 1, fmax(0, (fe->x1 - gx0) / f->cw));
            uint32_t by0 = (uint32_t)fmin(f->ny - 1, fmax(0, (fe->y0 - gy0) / f->ch));
            uint32_t by1 = (uint32_t)fmin(f->ny - 1, fmax(0, (fe->y1 - gy0) / f->ch));
            for (uint32_t by = by0; by <= by1; by++)
                for (uint32_t bx = bx0; bx <= bx1; bx++) {
                    size_t b = (size_t)by * f->nx + bx;
                    if (!pass) {
                        f->start[b + 1]++;
                        total++;
                    } else {
                        f->refs[f->start[b] + fill[b]++] = (uint32_t)i;
                    }
                }
            if (!pass && total > FLAT_REFS_MAX)
                goto fail;
        }
        if (!pass) {
            for (size_t b = 0; b < nb; b++)
                f->start[b + 1] += f->start[b];
            f->refs = xmalloc(mem_size_mul(total ? total : 1, sizeof(uint32_t)));
        }
        free(fill);
    }
    pthread_mutex_lock(&sort_lock);
    sort_ix = ix;
    for (size_t b = 0; b < nb; b++)
        qsort(f->refs + f->start[b], f->start[b + 1] - f->start[b], sizeof(uint32_t), flat_order);
    sort_ix = NULL;
    pthread_mutex_unlock(&sort_lock);
    ix->flat = f;
    return;
fail:
    flat_free(f);
}

/*
 * Even-odd test of (x, y) against the rings of flat entry 'fe': 1 inside, 0 outside, -1 when
 * the point lies within FLAT_EPS of an edge (the caller asks GEOS).
 */
static int flat_contains(const struct flat *f, const struct flat_entry *fe, double x, double y)
{
    int in = 0;
    for (uint32_t r = fe->ring0; r < fe->ring0 + fe->nrings; r++) {
        const double *p = f->xy + 2 * (size_t)f->ring_off[r];
        uint32_t n = f->ring_off[r + 1] - f->ring_off[r];
        for (uint32_t k = 0; k + 1 < n; k++) {
            double ax = p[2 * k], ay = p[2 * k + 1], bx = p[2 * k + 2], by = p[2 * k + 3];
            if ((y < ay - FLAT_EPS && y < by - FLAT_EPS) ||
                (y > ay + FLAT_EPS && y > by + FLAT_EPS))
                continue;
            if (!(x < ax - FLAT_EPS && x < bx - FLAT_EPS) &&
                !(x > ax + FLAT_EPS && x > bx + FLAT_EPS)) {
                /* Near the edge's box: how near the edge itself? */
                double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
                double t = len2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / len2 : 0;
                t = t < 0 ? 0 : t > 1 ? 1 : t;
                double ex = ax + t * dx - x, ey = ay + t * dy - y;
                if (ex * ex + ey * ey <= FLAT_EPS * FLAT_EPS)
                    return -1;
            }
            if ((ay > y) != (by > y) && x < ax + (y - ay) * (bx - ax) / (by - ay))
                in = !in;
        }
    }
    return in;
}

static int build_tree(struct geo_index *ix)
{
    ix->tree = GEOSSTRtree_create_r(ix->ctx.h, TREE_NODE_CAPACITY);
    if (!ix->tree)
        return -1;
    /* Items are indices, not pointers, so that growing 'entries' can never leave them stale. */
    for (size_t i = 0; i < ix->n; i++)
        GEOSSTRtree_insert_r(ix->ctx.h, ix->tree, ix->entries[i].geom, (void *)(uintptr_t)i);
    build_flat(ix);
    return 0;
}

/* The fast path: the entry's id, 0 for none, -1 when a GEOS point could not be made. */
static int64_t flat_locate(struct geo_index *ix, double x, double y)
{
    const struct flat *f = ix->flat;
    double fx = (x - f->x0) / f->cw, fy = (y - f->y0) / f->ch;
    /* A point on the extent's far edge still falls in the last bucket. */
    if (fx < 0 || fy < 0 || fx > f->nx || fy > f->ny)
        return 0;
    uint32_t bx = fx >= f->nx ? f->nx - 1 : (uint32_t)fx;
    uint32_t by = fy >= f->ny ? f->ny - 1 : (uint32_t)fy;
    size_t b = (size_t)by * f->nx + bx;
    GEOSGeometry *pt = NULL;
    int64_t id = 0;
    for (uint32_t k = f->start[b]; k < f->start[b + 1]; k++) {
        uint32_t i = f->refs[k];
        const struct flat_entry *fe = &f->e[i];
        if (x < fe->x0 || x > fe->x1 || y < fe->y0 || y > fe->y1)
            continue;
        int in = flat_contains(f, fe, x, y);
        if (in < 0) {
            if (!pt && !(pt = GEOSGeom_createPointFromXY_r(ix->ctx.h, x, y))) {
                id = -1;
                break;
            }
            in = GEOSPreparedIntersects_r(ix->ctx.h, ix->entries[i].prep, pt) == 1;
        }
        if (in) {
            id = ix->entries[i].id;
            break;
        }
    }
    if (pt)
        GEOSGeom_destroy_r(ix->ctx.h, pt);
    return id;
}

struct search {
    struct geo_index *ix;
    const GEOSGeometry *pt;
    const struct entry *best;
};

static void visit(void *item, void *userdata)
{
    struct search *s = userdata;
    const struct entry *e = &s->ix->entries[(uintptr_t)item];
    /* Deepest wins; among equals (a point on a shared border) the lowest id, so the answer
     * does not depend on insertion or tree order. Skip the exact test when e cannot win. */
    if (s->best &&
        (e->depth < s->best->depth || (e->depth == s->best->depth && e->id >= s->best->id)))
        return;
    /* Intersects rather than Contains: a point on a boundary still belongs to the region. */
    if (GEOSPreparedIntersects_r(s->ix->ctx.h, e->prep, s->pt) == 1)
        s->best = e;
}

int64_t geo_locate(struct geo_index *ix, double lon, double lat)
{
    int64_t id = 0;
    GEOSGeometry *pt = NULL;
    struct search s = {ix, NULL, NULL};

    if (!ix || !(lon >= -180.0 && lon <= 180.0 && lat >= -90.0 && lat <= 90.0))
        return 0;
    pthread_mutex_lock(&ix->lock);
    if (ix->n == 0 || (!ix->tree && build_tree(ix) != 0))
        goto out;
    if (ix->flat && (id = flat_locate(ix, lon, lat)) >= 0)
        goto out;
    id = 0;
    pt = GEOSGeom_createPointFromXY_r(ix->ctx.h, lon, lat);
    if (!pt)
        goto out;
    s.pt = pt;
    GEOSSTRtree_query_r(ix->ctx.h, ix->tree, pt, visit, &s);
    if (s.best)
        id = s.best->id;
out:
    if (pt)
        GEOSGeom_destroy_r(ix->ctx.h, pt);
    pthread_mutex_unlock(&ix->lock);
    return id;
}

size_t geo_index_size(const struct geo_index *ix)
{
    return ix ? ix->n : 0;
}

/* ---- lines and buffers (the walking graph) ---- */

int geo_lines_each(const char *geojson, geo_line_fn *fn, void *ctx, struct err *err)
{
    struct gctx c;
    GEOSGeoJSONReader *reader = NULL;
    GEOSGeometry *g = NULL;
    double *xy = NULL;
    int rc = gctx_init(&c, err);
    if (rc)
        return rc;
    if (!geojson || (rc = prescan(geojson, err)) < 0)
        goto out;
    reader = GEOSGeoJSONReader_create_r(c.h);
    g = reader ? GEOSGeoJSONReader_readGeometry_r(c.h, reader, geojson) : NULL;
    if (!g) {
        rc = err_set(err, ERR_BAD_REQUEST, "invalid GeoJSON: %s", tidy_message(c.msg));
        goto out;
    }
    int type = GEOSGeomTypeId_r(c.h, g);
    if (type != GEOS_LINESTRING && type != GEOS_MULTILINESTRING) {
        rc = err_set(err, ERR_BAD_REQUEST, "geometry must be a LineString or MultiLineString");
        goto out;
    }
    int parts = GEOSGetNumGeometries_r(c.h, g);
    for (int i = 0; i < parts && rc == 0; i++) {
        const GEOSGeometry *line = GEOSGetGeometryN_r(c.h, g, i);
        const GEOSCoordSequence *seq = line ? GEOSGeom_getCoordSeq_r(c.h, line) : NULL;
        unsigned int size;
        if (!seq || !GEOSCoordSeq_getSize_r(c.h, seq, &size)) {
            rc = err_set(err, ERR_BAD_REQUEST, "invalid line: unreadable coordinates");
            break;
        }
        xy = xrealloc(xy, mem_size_mul(mem_size_add(size, 1), 2 * sizeof(double)));
        for (unsigned int k = 0; k < size; k++) {
            if (!GEOSCoordSeq_getXY_r(c.h, seq, k, &xy[2 * k], &xy[2 * k + 1]) ||
                !(xy[2 * k] >= -180.0 && xy[2 * k] <= 180.0 && xy[2 * k + 1] >= -90.0 &&
                  xy[2 * k + 1] <= 90.0)) {
                rc = err_set(err, ERR_BAD_REQUEST, "line coordinate outside WGS84 range");
                break;
            }
        }
        if (rc == 0 && size >= 2)
            rc = fn(ctx, xy, size);
    }
out:
    free(xy);
    if (g)
        GEOSGeom_destroy_r(c.h, g);
    if (reader)
        GEOSGeoJSONReader_destroy_r(c.h, reader);
    gctx_finish(&c);
    return rc;
}

/* Metres per degree near 'lat' (an equirectangular frame: within a district, ~0.1% off). */
#define M_PER_DEG_LAT 110574.0
#define M_PER_DEG_LON_EQ 111320.0

struct frame {
    double lon0, lat0, kx, ky; /* metres = (deg - origin) * k */
};

static int from_frame(double *x, double *y, void *userdata)
{
    const struct frame *f = userdata;
    *x = f->lon0 + *x / f->kx;
    *y = f->lat0 + *y / f->ky;
    return 1;
}

int geo_segments_buffer(const double *seg, size_t nseg, double metres, struct arena *a, char **out,
                        struct err *err)
{
    struct gctx c;
    GEOSGeometry **lines = NULL, *multi = NULL, *area = NULL, *simple = NULL, *back = NULL;
    GEOSGeoJSONWriter *writer = NULL;
    char *text = NULL;
    size_t made = 0;
    int rc;

    *out = NULL;
    if (nseg == 0)
        return 0;
    if ((rc = gctx_init(&c, err)) < 0)
        return rc;
    struct frame f = {seg[0], seg[1], 0, M_PER_DEG_LAT};
    f.kx = M_PER_DEG_LON_EQ * cos(f.lat0 * M_PI / 180.0);
    lines = xcalloc(nseg, sizeof(*lines));
    for (size_t i = 0; i < nseg; i++) {
        const double *s = seg + 4 * i;
        GEOSCoordSequence *cs = GEOSCoordSeq_create_r(c.h, 2, 2);
        if (!cs) {
            rc = err_set(err, ERR_INTERNAL, "cannot create a coordinate sequence");
            goto out;
        }
        GEOSCoordSeq_setXY_r(c.h, cs, 0, (s[0] - f.lon0) * f.kx, (s[1] - f.lat0) * f.ky);
        GEOSCoordSeq_setXY_r(c.h, cs, 1, (s[2] - f.lon0) * f.kx, (s[3] - f.lat0) * f.ky);
        if (!(lines[made] = GEOSGeom_createLineString_r(c.h, cs))) {
            rc = err_set(err, ERR_INTERNAL, "cannot create a line");
            goto out;
        }
        made++;
    }
    multi = GEOSGeom_createCollection_r(c.h, GEOS_MULTILINESTRING, lines, (unsigned)made);
    if (!multi) {
        rc = err_set(err, ERR_INTERNAL, "cannot create lines: %s", c.msg);
        goto out;
    }
    made = 0; /* the collection owns the lines now */
    /* Four segments per quarter circle: the area is a guide on a map, not a survey. */
    area = GEOSBuffer_r(c.h, multi, metres, 4);
    simple = area ? GEOSTopologyPreserveSimplify_r(c.h, area, metres / 10.0) : NULL;
    back = simple ? GEOSGeom_transformXY_r(c.h, simple, from_frame, &f) : NULL;
    writer = back ? GEOSGeoJSONWriter_create_r(c.h) : NULL;
    text = writer ? GEOSGeoJSONWriter_writeGeometry_r(c.h, writer, back, -1) : NULL;
    if (!text) {
        rc = err_set(err, ERR_INTERNAL, "cannot build the area: %s", c.msg);
        goto out;
    }
    *out = arena_strdup(a, text);
    rc = 0;
out:
    GEOSFree_r(c.h, text);
    if (writer)
        GEOSGeoJSONWriter_destroy_r(c.h, writer);
    for (size_t i = 0; i < made; i++)
        GEOSGeom_destroy_r(c.h, lines[i]);
    free(lines);
    if (back)
        GEOSGeom_destroy_r(c.h, back);
    if (simple)
        GEOSGeom_destroy_r(c.h, simple);
    if (area)
        GEOSGeom_destroy_r(c.h, area);
    if (multi)
        GEOSGeom_destroy_r(c.h, multi);
    gctx_finish(&c);
    return rc;
}

int geo_shape(const char *geojson, enum geo_kind kind, struct geo_box *box, double *lon,
              double *lat, struct err *err)
{
    struct gctx c;
    GEOSGeometry *g = NULL, *pt = NULL;
    int rc = gctx_init(&c, err);
    if (rc)
        return rc;
    if ((rc = parse_kind(&c, geojson, kind, &g, err)) != 0)
        goto out;
    if (box) {
        double x0, y0, x1, y1;
        if (!GEOSGeom_getXMin_r(c.h, g, &x0) || !GEOSGeom_getYMin_r(c.h, g, &y0) ||
            !GEOSGeom_getXMax_r(c.h, g, &x1) || !GEOSGeom_getYMax_r(c.h, g, &y1)) {
            rc = err_set(err, ERR_INTERNAL, "cannot read bounding box: %s", tidy_message(c.msg));
            goto out;
        }
        *box = (struct geo_box){x0, y0, x1, y1};
    }
    if (lon || lat) {
        /* On the surface (inside a polygon, on a line), which a centroid need not be. */
        double x, y;
        pt = GEOSPointOnSurface_r(c.h, g);
        if (!pt || !GEOSGeomGetX_r(c.h, pt, &x) || !GEOSGeomGetY_r(c.h, pt, &y)) {
            rc = err_set(err, ERR_INTERNAL, "cannot find a point on the geometry: %s",
                         tidy_message(c.msg));
            goto out;
        }
        if (lon)
            *lon = x;
        if (lat)
            *lat = y;
    }
out:
    if (pt)
        GEOSGeom_destroy_r(c.h, pt);
    if (g)
        GEOSGeom_destroy_r(c.h, g);
    gctx_finish(&c);
    return rc;
}

/* ---- tiling ---- */

/* Area of 'g' (degrees) in square metres, scaled at latitude 'lat'. */
static double area_m2(struct gctx *c, const GEOSGeometry *g, double lat)
{
    double deg2 = 0;
    if (!g || GEOSArea_r(c->h, g, &deg2) != 1)
        return 0;
    return deg2 * M_PER_DEG_LAT * M_PER_DEG_LON_EQ * cos(lat * M_PI / 180.0);
}

/* Report 'piece' (owned, destroyed here) as an issue when larger than min_m2. */
static int report_piece(struct gctx *c, GEOSGeometry *piece, struct geo_issue *is, double lat0,
                        double min_m2, geo_issue_fn *fn, void *ctx)
{
    int rc = 0;
    if (!piece)
        return 0;
    if (GEOSisEmpty_r(c->h, piece) == 0) {
        is->area_m2 = area_m2(c, piece, lat0);
        if (is->area_m2 > min_m2) {
            GEOSGeometry *pt = GEOSPointOnSurface_r(c->h, piece);
            is->lon = is->lat = 0;
            if (pt) {
                GEOSGeomGetX_r(c->h, pt, &is->lon);
                GEOSGeomGetY_r(c->h, pt, &is->lat);
                GEOSGeom_destroy_r(c->h, pt);
            }
            rc = fn(ctx, is);
        }
    }
    GEOSGeom_destroy_r(c->h, piece);
    return rc;
}

struct pair_search {
    size_t self;
    size_t *hits;
    size_t n, cap;
};

static void collect(void *item, void *userdata)
{
    struct pair_search *p = userdata;
    size_t j = (size_t)(uintptr_t)item;
    if (j <= p->self)
        return;
    if (p->n == p->cap) {
        p->cap = p->cap ? mem_size_mul(p->cap, 2) : 16;
        p->hits = xrealloc(p->hits, mem_size_mul(p->cap, sizeof(*p->hits)));
    }
    p->hits[p->n++] = j;
}

static int by_index(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

int geo_tiling(const char *parent, const char *const *children, size_t n, double min_m2,
               geo_issue_fn *fn, void *ctx, struct err *err)
{
    struct gctx c;
    GEOSGeometry *par = NULL, **kids = NULL, *coll = NULL, *uni = NULL;
    const GEOSPreparedGeometry *ppar = NULL;
    GEOSSTRtree *tree = NULL;
    struct pair_search ps = {0, NULL, 0, 0};
    double lat0 = 0, x0, y0, x1, y1;
    int rc = gctx_init(&c, err);
    if (rc)
        return rc;
    kids = xcalloc(n ? n : 1, sizeof(*kids));
    if (parent && *parent && (rc = parse(&c, parent, &par, err)) < 0)
        goto out;
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        if (!children[i] || !*children[i])
            continue;
        if ((rc = parse(&c, children[i], &kids[i], err)) < 0)
            goto out;
        nk++;
    }
    /* The frame's latitude: the parent's, else the first child's. */
    const GEOSGeometry *ref = par;
    for (size_t i = 0; !ref && i < n; i++)
        ref = kids[i];
    if (!ref)
        goto out;
    if (GEOSGeom_getExtent_r(c.h, ref, &x0, &y0, &x1, &y1) == 1)
        lat0 = (y0 + y1) / 2;

    tree = GEOSSTRtree_create_r(c.h, TREE_NODE_CAPACITY);
    if (!tree) {
        rc = err_set(err, ERR_INTERNAL, "cannot create an STRtree");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (kids[i])
            GEOSSTRtree_insert_r(c.h, tree, kids[i], (void *)(uintptr_t)i);

    /* Overlaps: each pair once, the lower index first, in index order. */
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!kids[i])
            continue;
        ps.self = i;
        ps.n = 0;
        GEOSSTRtree_query_r(c.h, tree, kids[i], collect, &ps);
        if (ps.n > 1) /* qsort's pointer may not be null, even for no elements */
            qsort(ps.hits, ps.n, sizeof(*ps.hits), by_index);
        for (size_t k = 0; k < ps.n && rc == 0; k++) {
            struct geo_issue is = {GEO_OVERLAP, i, ps.hits[k], 0, 0, 0, 0};
            rc = report_piece(&c, GEOSIntersection_r(c.h, kids[i], kids[ps.hits[k]]), &is, lat0,
                              min_m2, fn, ctx);
        }
    }
    if (rc || !par)
        goto out;

    /* Children outside the parent. */
    ppar = GEOSPrepare_r(c.h, par);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!kids[i] || (ppar && GEOSPreparedCovers_r(c.h, ppar, kids[i]) == 1))
            continue;
        struct geo_issue is = {GEO_OUTSIDE, i, 0, 0, 0, 0, 0};
        is.disjoint = GEOSIntersects_r(c.h, par, kids[i]) == 0;
        rc = report_piece(&c, GEOSDifference_r(c.h, kids[i], par), &is, lat0, min_m2, fn, ctx);
    }
    if (rc)
        goto out;

    /* Gaps: the parent less the union of its children, one issue per separate piece. */
    GEOSGeometry *rest;
    if (nk == 0) {
        rest = GEOSGeom_clone_r(c.h, par);
    } else {
        GEOSGeometry **v = xmalloc(mem_size_mul(nk, sizeof(*v)));
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (kids[i])
                v[k++] = GEOSGeom_clone_r(c.h, kids[i]);
        coll = GEOSGeom_createCollection_r(c.h, GEOS_GEOMETRYCOLLECTION, v, (unsigned)nk);
        free(v);
        uni = coll ? GEOSUnaryUnion_r(c.h, coll) : NULL;
        rest = uni ? GEOSDifference_r(c.h, par, uni) : NULL;
    }
    if (!rest) {
        rc = err_set(err, ERR_INTERNAL, "cannot compute the gaps: %s", tidy_message(c.msg));
        goto out;
    }
    int parts = GEOSGetNumGeometries_r(c.h, rest);
    for (int p = 0; p < parts && rc == 0; p++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(c.h, rest, p);
        struct geo_issue is = {GEO_GAP, 0, 0, 0, 0, 0, 0};
        rc =
            report_piece(&c, part ? GEOSGeom_clone_r(c.h, part) : NULL, &is, lat0, min_m2, fn, ctx);
    }
    GEOSGeom_destroy_r(c.h, rest);
out:
    free(ps.hits);
    if (tree)
        GEOSSTRtree_destroy_r(c.h, tree);
    if (ppar)
        GEOSPreparedGeom_destroy_r(c.h, ppar);
    if (uni)
        GEOSGeom_destroy_r(c.h, uni);
    if (coll)
        GEOSGeom_destroy_r(c.h, coll);
    for (size_t i = 0; i < n; i++)
        if (kids[i])
            GEOSGeom_destroy_r(c.h, kids[i]);
    free(kids);
    if (par)
        GEOSGeom_destroy_r(c.h, par);
    gctx_finish(&c);
    return rc;
}

static int to_frame(double *x, double *y, void *userdata)
{
    const struct frame *f = userdata;
    *x = (*x - f->lon0) * f->kx;
    *y = (*y - f->lat0) * f->ky;
    return 1;
}

int geo_coverage(const char *area_geojson, const double *seg, size_t nseg, double metres,
                 double *share, struct err *err)
{
    struct gctx c;
    GEOSGeometry *g = NULL, *local = NULL, **lines = NULL, *multi = NULL, *band = NULL,
                 *inside = NULL;
    GEOSGeometry *env = NULL;
    size_t made = 0;
    double total = 0, covered = 0, lon0 = 0, lat0 = 0;
    int rc;

    *share = 0;
    if ((rc = gctx_init(&c, err)) < 0)
        return rc;
    if ((rc = parse_kind(&c, area_geojson, GEO_AREA, &g, err)) != 0)
        goto out;
    if (nseg == 0)
        goto out;
    /* The frame's origin: the area's envelope centre (the area is a grid: small). */
    if (!(env = GEOSEnvelope_r(c.h, g)) || !GEOSGeom_getXMin_r(c.h, env, &lon0) ||
        !GEOSGeom_getYMin_r(c.h, env, &lat0)) {
        rc = err_set(err, ERR_INTERNAL, "cannot measure the area: %s", c.msg);
        goto out;
    }
    struct frame f = {lon0, lat0, 0, M_PER_DEG_LAT};
    f.kx = M_PER_DEG_LON_EQ * cos(f.lat0 * M_PI / 180.0);
    if (!(local = GEOSGeom_transformXY_r(c.h, g, to_frame, &f)) ||
        !GEOSArea_r(c.h, local, &total)) {
        rc = err_set(err, ERR_INTERNAL, "cannot measure the area: %s", c.msg);
        goto out;
    }
    /* Segments that continue one another (a track's, in order) become one line: GEOS buffers
     * one line of n vertices many times faster than it unions n separate segments' buffers
     * (a district's day, 338 grids: 5.2 s as segments). A lone zero-length segment is a point. */
    lines = xcalloc(nseg, sizeof(*lines));
    for (size_t i = 0; i < nseg;) {
        size_t j = i + 1;
        while (j < nseg && seg[4 * j] == seg[4 * j - 2] && seg[4 * j + 1] == seg[4 * j - 1])
            j++;
        const double *s = seg + 4 * i;
        int point = j == i + 1 && s[0] == s[2] && s[1] == s[3];
        GEOSCoordSequence *cs = GEOSCoordSeq_create_r(c.h, point ? 1 : (unsigned)(j - i + 1), 2);
        if (!cs) {
            rc = err_set(err, ERR_INTERNAL, "cannot create a coordinate sequence");
            goto out;
        }
        GEOSCoordSeq_setXY_r(c.h, cs, 0, (s[0] - f.lon0) * f.kx, (s[1] - f.lat0) * f.ky);
        for (size_t k = i; !point && k < j; k++)
            GEOSCoordSeq_setXY_r(c.h, cs, (unsigned)(k - i + 1), (seg[4 * k + 2] - f.lon0) * f.kx,
                                 (seg[4 * k + 3] - f.lat0) * f.ky);
        lines[made] =
            point ? GEOSGeom_createPoint_r(c.h, cs) : GEOSGeom_createLineString_r(c.h, cs);
        if (!lines[made]) {
            rc = err_set(err, ERR_INTERNAL, "cannot create a line");
            goto out;
        }
        made++;
        i = j;
    }
    multi = GEOSGeom_createCollection_r(c.h, GEOS_GEOMETRYCOLLECTION, lines, (unsigned)made);
    if (!multi) {
        rc = err_set(err, ERR_INTERNAL, "cannot create lines: %s", c.msg);
        goto out;
    }
    made = 0; /* the collection owns them now */
    /* Eight segments per quarter circle: a coverage figure to a fraction of a percent. */
    band = GEOSBuffer_r(c.h, multi, metres, 8);
    inside = band ? GEOSIntersection_r(c.h, band, local) : NULL;
    if (!inside || !GEOSArea_r(c.h, inside, &covered)) {
        rc = err_set(err, ERR_INTERNAL, "cannot intersect the tracks with the area: %s", c.msg);
        goto out;
    }
    *share = total > 0 ? covered / total : 0;
    if (*share > 1)
        *share = 1;
out:
    for (size_t i = 0; i < made; i++)
        GEOSGeom_destroy_r(c.h, lines[i]);
    free(lines);
    GEOSGeometry *all[] = {inside, band, multi, local, env, g};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i])
            GEOSGeom_destroy_r(c.h, all[i]);
    gctx_finish(&c);
    return rc;
}

/* A frame at the south-west corner of g's envelope. */
static int frame_of(struct gctx *c, const GEOSGeometry *g, struct frame *f, struct err *err)
{
    double x0, y0, x1, y1;
    if (!GEOSGeom_getXMin_r(c->h, g, &x0) || !GEOSGeom_getYMin_r(c->h, g, &y0) ||
        !GEOSGeom_getXMax_r(c->h, g, &x1) || !GEOSGeom_getYMax_r(c->h, g, &y1))
        return err_set(err, ERR_INTERNAL, "cannot measure the area: %s", c->msg);
    f->lon0 = x0;
    f->lat0 = y0;
    f->ky = M_PER_DEG_LAT;
    f->kx = M_PER_DEG_LON_EQ * cos((y0 + y1) / 2 * M_PI / 180.0);
    return 0;
}

static GEOSGeometry *point_at(struct gctx *c, double x, double y)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(c->h, 1, 2);
    if (!cs)
        return NULL;
    GEOSCoordSeq_setXY_r(c->h, cs, 0, x, y);
    return GEOSGeom_createPoint_r(c->h, cs);
}

/* One round: cells[i] = (Voronoi cell of seed i) ∩ area, or an error when one is missing. */
static int voronoi_round(struct gctx *c, const GEOSGeometry *area, const double *xy, size_t n,
                         GEOSGeometry **cells, struct err *err)
{
    GEOSGeometry **pts = xcalloc(n, sizeof(*pts)), *multi = NULL, *diagram = NULL;
    size_t made = 0;
    int rc = 0;
    for (; made < n; made++)
        if (!(pts[made] = point_at(c, xy[2 * made], xy[2 * made + 1]))) {
            rc = err_set(err, ERR_INTERNAL, "cannot create a point");
            goto out;
        }
    multi = GEOSGeom_createCollection_r(c->h, GEOS_MULTIPOINT, pts, (unsigned)n);
    if (!multi) {
        rc = err_set(err, ERR_INTERNAL, "cannot create the seeds: %s", c->msg);
        goto out;
    }
    made = 0; /* the collection owns the points now */
    diagram = GEOSVoronoiDiagram_r(c->h, multi, area, 0.0, 0);
    if (!diagram) {
        rc = err_set(err, ERR_INTERNAL, "cannot build the Voronoi diagram: %s", c->msg);
        goto out;
    }
    int ncells = GEOSGetNumGeometries_r(c->h, diagram);
    for (int j = 0; j < ncells && rc == 0; j++) {
        const GEOSGeometry *cell = GEOSGetGeometryN_r(c->h, diagram, j);
        for (size_t i = 0; i < n; i++) {
            const GEOSGeometry *p = GEOSGetGeometryN_r(c->h, multi, (int)i);
            if (cells[i] || GEOSContains_r(c->h, cell, p) != 1)
                continue;
            if (!(cells[i] = GEOSIntersection_r(c->h, cell, area)))
                rc = err_set(err, ERR_INTERNAL, "cannot clip a cell: %s", c->msg);
            break;
        }
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        int type = cells[i] ? GEOSGeomTypeId_r(c->h, cells[i]) : -1;
        if (!cells[i] || GEOSisEmpty_r(c->h, cells[i]) != 0 ||
            (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON))
            rc = err_set(err, ERR_BAD_REQUEST, "seed %zu has no area of its own", i + 1);
    }
out:
    for (size_t i = 0; i < made; i++)
        GEOSGeom_destroy_r(c->h, pts[i]);
    free(pts);
    if (diagram)
        GEOSGeom_destroy_r(c->h, diagram);
    if (multi)
        GEOSGeom_destroy_r(c->h, multi);
    return rc;
}

static void free_cells(struct gctx *c, GEOSGeometry **cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cells[i])
            GEOSGeom_destroy_r(c->h, cells[i]);
        cells[i] = NULL;
    }
}

int geo_voronoi_cells(const char *geojson, double *lonlat, size_t n, int rounds, struct arena *a,
                      char **cells, struct err *err)
{
    struct gctx c;
    GEOSGeometry *g = NULL, *area = NULL, **cg = NULL;
    GEOSGeoJSONWriter *writer = NULL;
    double *xy = NULL;
    struct frame f;
    int rc;
    if (n == 0)
        return err_set(err, ERR_BAD_REQUEST, "no seeds to cut the area around");
    if ((rc = gctx_init(&c, err)) < 0)
        return rc;
    if ((rc = parse(&c, geojson, &g, err)) < 0 || (rc = frame_of(&c, g, &f, err)) < 0)
        goto out;
    if (!(area = GEOSGeom_transformXY_r(c.h, g, to_frame, &f))) {
        rc = err_set(err, ERR_INTERNAL, "cannot project the area: %s", c.msg);
        goto out;
    }
    xy = xcalloc(n, 2 * sizeof(double));
    cg = xcalloc(n, sizeof(*cg));
    for (size_t i = 0; i < n; i++) {
        xy[2 * i] = lonlat[2 * i];
        xy[2 * i + 1] = lonlat[2 * i + 1];
        to_frame(&xy[2 * i], &xy[2 * i + 1], &f);
    }
    for (int round = 0;; round++) {
        free_cells(&c, cg, n);
        if ((rc = voronoi_round(&c, area, xy, n, cg, err)) < 0 || round >= rounds)
            break;
        for (size_t i = 0; i < n; i++) {
            GEOSGeometry *m = GEOSGetCentroid_r(c.h, cg[i]);
            if (!m || !GEOSGeomGetX_r(c.h, m, &xy[2 * i]) ||
                !GEOSGeomGetY_r(c.h, m, &xy[2 * i + 1]))
                rc = err_set(err, ERR_INTERNAL, "cannot find a cell's centre: %s", c.msg);
            if (m)
                GEOSGeom_destroy_r(c.h, m);
            if (rc)
                goto out;
        }
    }
    if (rc)
        goto out;
    if (!(writer = GEOSGeoJSONWriter_create_r(c.h))) {
        rc = err_set(err, ERR_INTERNAL, "cannot create a GeoJSON writer");
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        GEOSGeometry *back = GEOSGeom_transformXY_r(c.h, cg[i], from_frame, &f);
        char *text = back ? GEOSGeoJSONWriter_writeGeometry_r(c.h, writer, back, -1) : NULL;
        if (text)
            cells[i] = arena_strdup(a, text);
        else
            rc = err_set(err, ERR_INTERNAL, "cannot write a cell: %s", c.msg);
        GEOSFree_r(c.h, text);
        if (back)
            GEOSGeom_destroy_r(c.h, back);
        double x = xy[2 * i], y = xy[2 * i + 1];
        from_frame(&x, &y, &f);
        lonlat[2 * i] = x;
        lonlat[2 * i + 1] = y;
    }
out:
    if (cg)
        free_cells(&c, cg, n);
    free(cg);
    free(xy);
    if (writer)
        GEOSGeoJSONWriter_destroy_r(c.h, writer);
    if (area)
        GEOSGeom_destroy_r(c.h, area);
    if (g)
        GEOSGeom_destroy_r(c.h, g);
    gctx_finish(&c);
    return rc;
}

static double unit_random(uint64_t *s)
{
    /* xorshift64*: reproducible everywhere, good enough to scatter seeds. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

int geo_random_points(const char *geojson, size_t n, uint64_t seed, double *out, struct err *err)
{
    struct gctx c;
    GEOSGeometry *g = NULL;
    const GEOSPreparedGeometry *prep = NULL;
    double x0, y0, x1, y1;
    uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ULL;
    int rc;
    if ((rc = gctx_init(&c, err)) < 0)
        return rc;
    if ((rc = parse(&c, geojson, &g, err)) < 0)
        goto out;
    if (!(prep = GEOSPrepare_r(c.h, g)) || !GEOSGeom_getXMin_r(c.h, g, &x0) ||
        !GEOSGeom_getYMin_r(c.h, g, &y0) || !GEOSGeom_getXMax_r(c.h, g, &x1) ||
        !GEOSGeom_getYMax_r(c.h, g, &y1)) {
        rc = err_set(err, ERR_INTERNAL, "cannot prepare the area: %s", c.msg);
        goto out;
    }
    /* Rejection sampling in the envelope; an area that fills almost none of its envelope is
     * not a district, so a generous bound on tries only stops degenerate input. */
    for (size_t i = 0, tries = 0; i < n;) {
        if (++tries > 10000 * (n + 1)) {
            rc = err_set(err, ERR_BAD_REQUEST, "the area is too thin to scatter points in");
            goto out;
        }
        double x = x0 + unit_random(&s) * (x1 - x0), y = y0 + unit_random(&s) * (y1 - y0);
        GEOSGeometry *p = point_at(&c, x, y);
        char in = p ? GEOSPreparedContains_r(c.h, prep, p) : 2;
        if (p)
            GEOSGeom_destroy_r(c.h, p);
        if (in == 1) {
            out[2 * i] = x;
            out[2 * i + 1] = y;
            i++;
        }
    }
out:
    if (prep)
        GEOSPreparedGeom_destroy_r(c.h, prep);
    if (g)
        GEOSGeom_destroy_r(c.h, g);
    gctx_finish(&c);
    return rc;
}

/* GCJ-02: the Krasovsky 1940 ellipsoid's semi-major axis and first eccentricity squared. */
#define GCJ_A 6378245.0
#define GCJ_EE 0.00669342162296594323

static int outside_china(double lon, double lat)
{
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

static double gcj_dlat(double x, double y)
{
    double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(y * M_PI) + 40.0 * sin(y / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (160.0 * sin(y / 12.0 * M_PI) + 320.0 * sin(y * M_PI / 30.0)) * 2.0 / 3.0;
    return r;
}

static double gcj_dlon(double x, double y)
{
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(x * M_PI) + 40.0 * sin(x / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (150.0 * sin(x / 12.0 * M_PI) + 300.0 * sin(x / 30.0 * M_PI)) * 2.0 / 3.0;
    return r;
}

void geo_wgs84_to_gcj02(double lon, double lat, double *glon, double *glat)
{
    if (outside_china(lon, lat)) {
        *glon = lon;
        *glat = lat;
        return;
    }
    double dlat = gcj_dlat(lon - 105.0, lat - 35.0), dlon = gcj_dlon(lon - 105.0, lat - 35.0);
    double rad = lat / 180.0 * M_PI, magic = sin(rad);
    magic = 1 - GCJ_EE * magic * magic;
    double sq = sqrt(magic);
    dlat = (dlat * 180.0) / ((GCJ_A * (1 - GCJ_EE)) / (magic * sq) * M_PI);
    dlon = (dlon * 180.0) / (GCJ_A / sq * cos(rad) * M_PI);
    *glon = lon + dlon;
    *glat = lat + dlat;
}

void geo_gcj02_to_wgs84(double glon, double glat, double *lon, double *lat)
{
    double x = glon, y = glat;
    /* The offset varies slowly (a few hundred metres over the country), so fixed-point
     * iteration converges fast: each step gains about three decimal places. */
    for (int i = 0; i < 10; i++) {
        double gx, gy;
        geo_wgs84_to_gcj02(x, y, &gx, &gy);
        double ex = gx - glon, ey = gy - glat;
        x -= ex;
        y -= ey;
        if (fabs(ex) < 1e-10 && fabs(ey) < 1e-10)
            break;
    }
    *lon = x;
    *lat = y;
}
