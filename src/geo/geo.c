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

struct geo_index {
    struct gctx ctx;
    pthread_mutex_t lock; /* guards ctx, entries and tree */
    struct entry *entries;
    size_t n, cap;
    GEOSSTRtree *tree; /* NULL when entries changed since it was built */
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
        return err_set(err, ERR_BAD_REQUEST, "invalid polygon: unreadable parts");
    for (int i = 0; i < parts; i++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(c->h, g, i);
        int holes = poly ? GEOSGetNumInteriorRings_r(c->h, poly) : -1;
        if (holes < 0)
            return err_set(err, ERR_BAD_REQUEST, "invalid polygon: unreadable part");
        int rc = check_ring(c, GEOSGetExteriorRing_r(c->h, poly), err);
        for (int k = 0; rc == 0 && k < holes; k++)
            rc = check_ring(c, GEOSGetInteriorRingN_r(c->h, poly, k), err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Parse and check 'geojson'; on success *out is a valid, non-empty (Multi)Polygon. */
static int parse(struct gctx *c, const char *geojson, GEOSGeometry **out, struct err *err)
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
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) {
        char *name = GEOSGeomType_r(c->h, g);
        rc = err_set(err, ERR_BAD_REQUEST, "geometry must be a Polygon or MultiPolygon, not %s",
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
        rc = err_set(err, ERR_BAD_REQUEST, "invalid polygon: %s",
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

void geo_index_free(struct geo_index *ix)
{
    if (!ix)
        return;
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
out:
    if (prep)
        GEOSPreparedGeom_destroy_r(ix->ctx.h, prep);
    if (g)
        GEOSGeom_destroy_r(ix->ctx.h, g);
    pthread_mutex_unlock(&ix->lock);
    return rc;
}

static int build_tree(struct geo_index *ix)
{
    ix->tree = GEOSSTRtree_create_r(ix->ctx.h, TREE_NODE_CAPACITY);
    if (!ix->tree)
        return -1;
    /* Items are indices, not pointers, so that growing 'entries' can never leave them stale. */
    for (size_t i = 0; i < ix->n; i++)
        GEOSSTRtree_insert_r(ix->ctx.h, ix->tree, ix->entries[i].geom, (void *)(uintptr_t)i);
    return 0;
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
