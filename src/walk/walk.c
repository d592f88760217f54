/*
 * walk: the walking graph and the 15-minute service circle (see walk.h).
 *
 * Layout: nodes are arrays of lon/lat; edges arrays of (u, v, length); adjacency in CSR
 * form (each node's edges in one run of adj_edge). Snapping uses a bucket grid of ~100 m
 * cells over the edges' bounding boxes. Distances along an edge are linear in its fraction
 * t (0 at u, 1 at v). Metres come from an equirectangular frame at the network's centre
 * (within a district, about 0.1% off), so no trigonometry runs per query.
 */
#include "walk/walk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "geo/geo.h"
#include "store/store.h"

/* clang-format off */
const char *const walk_place_types[] = {
    "school", "kindergarten", "hospital", "clinic", "pharmacy", "market", "supermarket", "park",
    "government", "police", "community_centre", "elderly_care", "sports", "library", "bus_stop",
    "metro", "toilet", "other",
};
/* clang-format on */
const size_t walk_place_types_count = sizeof(walk_place_types) / sizeof(walk_place_types[0]);

#define CELL_M 100.0
/* Vertices closer than this (in degrees, ~0.1 m) are one node. */
#define NODE_QUANTUM 1e-6

struct snap {
    int32_t edge; /* -1: off the network */
    float t;      /* fraction along the edge from u */
    float access; /* metres from the point to the road */
};

struct wplace {
    int64_t id;
    const char *code, *name, *address;
    int type;
    double lat, lon;
    struct snap s;
};

struct wpoint {
    int64_t community;
    double lat, lon;
    struct snap s;
};

struct community {
    int64_t id;
    const char *code, *name;
    size_t first, n; /* its points: points[first .. first + n - 1] */
};

struct walk_graph {
    struct arena arena; /* the strings */
    double lon0, lat0, kx, ky;
    size_t nn, ne, nroads;
    double *nlon, *nlat;
    int32_t *eu, *ev;
    double *elen;
    uint32_t *adj_off; /* nn + 1 */
    int32_t *adj_edge;
    /* bucket grid over edges */
    double cmin_lon, cmin_lat, cdlon, cdlat;
    int cols, rows;
    uint32_t *cell_off; /* cols * rows + 1 */
    int32_t *cell_edge;
    struct wplace *places;
    size_t nplaces, places_off;
    struct wpoint *points; /* sorted by community */
    size_t npoints, points_off;
    struct community *comms;
    size_t ncomms;
    double road_m;
};

int walk_place_type_index(const char *type)
{
    for (size_t i = 0; type && i < walk_place_types_count; i++)
        if (strcmp(walk_place_types[i], type) == 0)
            return (int)i;
    return -1;
}

/* ---- building: nodes by quantised position (open addressing) ---- */

struct node_map {
    int64_t *keys; /* (qlon << 32) ^ qlat, +1 so 0 means empty */
    int32_t *ids;
    size_t cap, n;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

typedef VEC(double) dvec;
typedef VEC(int32_t) ivec;

struct builder {
    struct node_map map;
    dvec lon, lat;
    ivec eu, ev;
    size_t roads;
};

static int32_t node_of(struct builder *b, double lon, double lat)
{
    struct node_map *m = &b->map;
    if (m->n * 2 >= m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        int64_t *keys = xcalloc(cap, sizeof(*keys));
        int32_t *ids = xcalloc(cap, sizeof(*ids));
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t h = mix((uint64_t)m->keys[i]) & (cap - 1);
            while (keys[h])
                h = (h + 1) & (cap - 1);
            keys[h] = m->keys[i];
            ids[h] = m->ids[i];
        }
        free(m->keys);
        free(m->ids);
        m->keys = keys;
        m->ids = ids;
        m->cap = cap;
    }
    int64_t qx = llround(lon / NODE_QUANTUM), qy = llround(lat / NODE_QUANTUM);
    int64_t key = (int64_t)(((uint64_t)qx << 32) ^ (uint64_t)(uint32_t)qy) + 1;
    if (key == 0)
        key = 1;
    size_t h = mix((uint64_t)key) & (m->cap - 1);
    while (m->keys[h]) {
        if (m->keys[h] == key)
            return m->ids[h];
        h = (h + 1) & (m->cap - 1);
    }
    m->keys[h] = key;
    m->ids[h] = (int32_t)b->lon.n;
    m->n++;
    vec_append(&b->lon, lon);
    vec_append(&b->lat, lat);
    return m->ids[h];
}

static int add_line(void *ctx, const double *xy, size_t n)
{
    struct builder *b = ctx;
    int32_t prev = node_of(b, xy[0], xy[1]);
    for (size_t i = 1; i < n; i++) {
        int32_t cur = node_of(b, xy[2 * i], xy[2 * i + 1]);
        if (cur != prev) {
            vec_append(&b->eu, prev);
            vec_append(&b->ev, cur);
        }
        prev = cur;
    }
    return 0;
}

static int road_row(void *ctx, struct store_stmt *row)
{
    struct builder *b = ctx;
    struct err ignored = ERR_INIT;
    /* A stored road was validated on write; one GEOS now refuses is skipped, not fatal. */
    if (geo_lines_each(store_col_text(row, 0), add_line, b, &ignored) == 0)
        b->roads++;
    return 0;
}

/* ---- geometry in the local frame ---- */

static void to_m(const struct walk_graph *g, double lon, double lat, double *x, double *y)
{
    *x = (lon - g->lon0) * g->kx;
    *y = (lat - g->lat0) * g->ky;
}

/* Distance from p to segment ab (metres, local frame) and the fraction t of the foot. */
static double seg_dist(double px, double py, double ax, double ay, double bx, double by, double *t)
{
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double f = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    *t = f;
    double fx = ax + f * dx - px, fy = ay + f * dy - py;
    return sqrt(fx * fx + fy * fy);
}

static void cell_of(const struct walk_graph *g, double lon, double lat, int *cx, int *cy)
{
    double fx = floor((lon - g->cmin_lon) / g->cdlon), fy = floor((lat - g->cmin_lat) / g->cdlat);
    *cx = fx < 0 ? -1 : fx >= g->cols ? g->cols : (int)fx;
    *cy = fy < 0 ? -1 : fy >= g->rows ? g->rows : (int)fy;
}

static struct snap snap_point(const struct walk_graph *g, double lon, double lat)
{
    struct snap best = {-1, 0, 0};
    double bestd = WALK_SNAP_MAX_M, px, py;
    int cx, cy, r = (int)ceil(WALK_SNAP_MAX_M / CELL_M);
    if (g->ne == 0)
        return best;
    to_m(g, lon, lat, &px, &py);
    cell_of(g, lon, lat, &cx, &cy);
    for (int y = cy - r; y <= cy + r; y++) {
        if (y < 0 || y >= g->rows)
            continue;
        for (int x = cx - r; x <= cx + r; x++) {
            if (x < 0 || x >= g->cols)
                continue;
            size_t c = (size_t)y * (size_t)g->cols + (size_t)x;
            for (uint32_t k = g->cell_off[c]; k < g->cell_off[c + 1]; k++) {
                int32_t e = g->cell_edge[k];
                double ax, ay, bx, by, t;
                to_m(g, g->nlon[g->eu[e]], g->nlat[g->eu[e]], &ax, &ay);
                to_m(g, g->nlon[g->ev[e]], g->nlat[g->ev[e]], &bx, &by);
                double d = seg_dist(px, py, ax, ay, bx, by, &t);
                if (d < bestd || (d == bestd && best.edge >= 0 && e < best.edge)) {
                    bestd = d;
                    best = (struct snap){e, (float)t, (float)d};
                }
            }
        }
    }
    return best;
}

static double nearest_road_m(const struct walk_graph *g, double lon, double lat)
{
    double px, py, best = INFINITY;
    to_m(g, lon, lat, &px, &py);
    for (size_t e = 0; e < g->ne; e++) {
        double ax, ay, bx, by, t;
        to_m(g, g->nlon[g->eu[e]], g->nlat[g->eu[e]], &ax, &ay);
        to_m(g, g->nlon[g->ev[e]], g->nlat[g->ev[e]], &bx, &by);
        double d = seg_dist(px, py, ax, ay, bx, by, &t);
        if (d < best)
            best = d;
    }
    return best;
}

static void build_cells(struct walk_graph *g)
{
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (size_t i = 0; i < g->nn; i++) {
        minx = fmin(minx, g->nlon[i]);
        maxx = fmax(maxx, g->nlon[i]);
        miny = fmin(miny, g->nlat[i]);
        maxy = fmax(maxy, g->nlat[i]);
    }
    g->cdlon = CELL_M / g->kx;
    g->cdlat = CELL_M / g->ky;
    g->cmin_lon = minx;
    g->cmin_lat = miny;
    g->cols = (int)floor((maxx - minx) / g->cdlon) + 1;
    g->rows = (int)floor((maxy - miny) / g->cdlat) + 1;
    size_t cells = (size_t)g->cols * (size_t)g->rows;
    g->cell_off = xcalloc(cells + 1, sizeof(*g->cell_off));
    /* Two passes: count per cell, then fill (CSR). */
    for (int pass = 0; pass < 2; pass++) {
        uint32_t *fill = pass ? xcalloc(cells, sizeof(*fill)) : NULL;
        for (size_t e = 0; e < g->ne; e++) {
            int x0, y0, x1, y1;
            double ulon = g->nlon[g->eu[e]], ulat = g->nlat[g->eu[e]];
            double vlon = g->nlon[g->ev[e]], vlat = g->nlat[g->ev[e]];
            cell_of(g, fmin(ulon, vlon), fmin(ulat, vlat), &x0, &y0);
            cell_of(g, fmax(ulon, vlon), fmax(ulat, vlat), &x1, &y1);
            for (int y = y0; y <= y1; y++)
                for (int x = x0; x <= x1; x++) {
                    size_t c = (size_t)y * (size_t)g->cols + (size_t)x;
                    if (pass == 0)
                        g->cell_off[c + 1]++;
                    else
                        g->cell_edge[g->cell_off[c] + fill[c]++] = (int32_t)e;
                }
        }
        if (pass == 0) {
            for (size_t c = 0; c < cells; c++)
                g->cell_off[c + 1] += g->cell_off[c];
            g->cell_edge = xmalloc(mem_size_mul(g->cell_off[cells] + 1, sizeof(int32_t)));
        }
        free(fill);
    }
}

static void build_adjacency(struct walk_graph *g)
{
    g->adj_off = xcalloc(g->nn + 1, sizeof(*g->adj_off));
    for (size_t e = 0; e < g->ne; e++) {
        g->adj_off[g->eu[e] + 1]++;
        g->adj_off[g->ev[e] + 1]++;
    }
    for (size_t i = 0; i < g->nn; i++)
        g->adj_off[i + 1] += g->adj_off[i];
    g->adj_edge = xmalloc(mem_size_mul(2 * g->ne + 1, sizeof(int32_t)));
    uint32_t *fill = xcalloc(g->nn + 1, sizeof(*fill));
    for (size_t e = 0; e < g->ne; e++) {
        g->adj_edge[g->adj_off[g->eu[e]] + fill[g->eu[e]]++] = (int32_t)e;
        g->adj_edge[g->adj_off[g->ev[e]] + fill[g->ev[e]]++] = (int32_t)e;
    }
    free(fill);
}

/* ---- loading places, points and communities ---- */

struct loader {
    struct walk_graph *g;
    VEC(struct wplace) places;
    VEC(struct wpoint) points;
    VEC(struct community) comms;
    /* region id -> community id, for the regions seen (sorted pairs) */
    VEC(int64_t) reg_id, reg_parent, reg_level_comm;
};

static int place_row(void *ctx, struct store_stmt *row)
{
    struct loader *l = ctx;
    int type = walk_place_type_index(store_col_text(row, 3));
    if (type < 0)
        return 0;
    struct wplace *p = vec_push(&l->places);
    p->id = store_col_int(row, 0);
    p->code = arena_strdup(&l->g->arena, store_col_text(row, 1));
    p->name = arena_strdup(&l->g->arena, store_col_text(row, 2));
    p->type = type;
    p->address = arena_strdup(&l->g->arena, store_col_text(row, 4) ? store_col_text(row, 4) : "");
    p->lat = store_col_real(row, 5);
    p->lon = store_col_real(row, 6);
    return 0;
}

static int region_row(void *ctx, struct store_stmt *row)
{
    struct loader *l = ctx;
    const char *level = store_col_text(row, 3);
    vec_append(&l->reg_id, store_col_int(row, 0));
    vec_append(&l->reg_parent, store_col_is_null(row, 4) ? 0 : store_col_int(row, 4));
    vec_append(&l->reg_level_comm, (int64_t)(level && strcmp(level, "community") == 0));
    if (level && strcmp(level, "community") == 0) {
        struct community *c = vec_push(&l->comms);
        c->id = store_col_int(row, 0);
        c->code = arena_strdup(&l->g->arena, store_col_text(row, 1));
        c->name = arena_strdup(&l->g->arena, store_col_text(row, 2));
    }
    return 0;
}

static long region_at(const struct loader *l, int64_t id)
{
    size_t lo = 0, hi = l->reg_id.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->reg_id.v[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->reg_id.n && l->reg_id.v[lo] == id ? (long)lo : -1;
}

/* The community a region lies in (itself, or the nearest ancestor that is one); 0: none. */
static int64_t community_of(const struct loader *l, int64_t region)
{
    for (int depth = 0; region > 0 && depth < 8; depth++) {
        long i = region_at(l, region);
        if (i < 0)
            return 0;
        if (l->reg_level_comm.v[i])
            return region;
        region = l->reg_parent.v[i];
    }
    return 0;
}

static int point_row(void *ctx, struct store_stmt *row)
{
    struct loader *l = ctx;
    int64_t comm = store_col_is_null(row, 2) ? 0 : community_of(l, store_col_int(row, 2));
    if (!comm)
        return 0;
    struct wpoint *p = vec_push(&l->points);
    p->lat = store_col_real(row, 0);
    p->lon = store_col_real(row, 1);
    p->community = comm;
    return 0;
}

static int by_community(const void *a, const void *b)
{
    const struct wpoint *x = a, *y = b;
    return (x->community > y->community) - (x->community < y->community);
}

static int comm_by_id(const void *a, const void *b)
{
    const struct community *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

void walk_graph_free(struct walk_graph *g)
{
    if (!g)
        return;
    free(g->nlon);
    free(g->nlat);
    free(g->eu);
    free(g->ev);
    free(g->elen);
    free(g->adj_off);
    free(g->adj_edge);
    free(g->cell_off);
    free(g->cell_edge);
    free(g->places);
    free(g->points);
    free(g->comms);
    arena_release(&g->arena);
    free(g);
}

int walk_graph_load(struct store_conn *c, struct walk_graph **out, struct err *err)
{
    struct walk_graph *g = xcalloc(1, sizeof(*g));
    struct builder b = {{0}, VEC_INIT, VEC_INIT, VEC_INIT, VEC_INIT, 0};
    struct loader l = {g, VEC_INIT, VEC_INIT, VEC_INIT, VEC_INIT, VEC_INIT, VEC_INIT};
    int64_t rc;

    *out = NULL;
    arena_init(&g->arena, 64 * 1024);
    if ((rc = store_all(c, "SELECT geometry FROM addr_roads ORDER BY id", STORE_NO_ARGS, road_row,
                        &b, err)) < 0)
        goto out;
    g->nroads = b.roads;
    g->nn = b.lon.n;
    g->nlon = b.lon.v;
    g->nlat = b.lat.v;
    b.lon.v = b.lat.v = NULL;
    g->ne = b.eu.n;
    g->eu = b.eu.v;
    g->ev = b.ev.v;
    b.eu.v = b.ev.v = NULL;

    double slat = 0, slon = 0;
    for (size_t i = 0; i < g->nn; i++) {
        slat += g->nlat[i];
        slon += g->nlon[i];
    }
    g->lat0 = g->nn ? slat / (double)g->nn : 0;
    g->lon0 = g->nn ? slon / (double)g->nn : 0;
    g->ky = 110574.0;
    g->kx = 111320.0 * cos(g->lat0 * M_PI / 180.0);
    g->elen = xmalloc(mem_size_mul(g->ne + 1, sizeof(double)));
    for (size_t e = 0; e < g->ne; e++) {
        double ax, ay, bx, by;
        to_m(g, g->nlon[g->eu[e]], g->nlat[g->eu[e]], &ax, &ay);
        to_m(g, g->nlon[g->ev[e]], g->nlat[g->ev[e]], &bx, &by);
        g->elen[e] = hypot(bx - ax, by - ay);
        g->road_m += g->elen[e];
    }
    build_adjacency(g);
    if (g->nn)
        build_cells(g);

    if ((rc = store_all(c,
                        "SELECT id, code, name, type, address, lat, lon FROM addr_places "
                        "ORDER BY id",
                        STORE_NO_ARGS, place_row, &l, err)) < 0 ||
        (rc = store_all(c, "SELECT id, code, name, level, parent_id FROM regions ORDER BY id",
                        STORE_NO_ARGS, region_row, &l, err)) < 0 ||
        (rc = store_all(c, "SELECT lat, lon, region_id FROM addr_points ORDER BY id", STORE_NO_ARGS,
                        point_row, &l, err)) < 0)
        goto out;
    g->places = l.places.v;
    g->nplaces = l.places.n;
    l.places.v = NULL;
    for (size_t i = 0; i < g->nplaces; i++) {
        g->places[i].s = snap_point(g, g->places[i].lon, g->places[i].lat);
        g->places_off += g->places[i].s.edge < 0;
    }
    qsort(l.points.v, l.points.n, sizeof(*l.points.v), by_community);
    g->points = l.points.v;
    g->npoints = l.points.n;
    l.points.v = NULL;
    for (size_t i = 0; i < g->npoints; i++) {
        g->points[i].s = snap_point(g, g->points[i].lon, g->points[i].lat);
        g->points_off += g->points[i].s.edge < 0;
    }
    qsort(l.comms.v, l.comms.n, sizeof(*l.comms.v), comm_by_id);
    g->comms = l.comms.v;
    g->ncomms = l.comms.n;
    l.comms.v = NULL;
    for (size_t i = 0, k = 0; i < g->ncomms; i++) {
        while (k < g->npoints && g->points[k].community < g->comms[i].id)
            k++;
        g->comms[i].first = k;
        while (k < g->npoints && g->points[k].community == g->comms[i].id)
            k++;
        g->comms[i].n = k - g->comms[i].first;
    }
    *out = g;
    g = NULL;
    rc = 0;
out:
    free(b.map.keys);
    free(b.map.ids);
    vec_release(&b.lon);
    vec_release(&b.lat);
    vec_release(&b.eu);
    vec_release(&b.ev);
    vec_release(&l.places);
    vec_release(&l.points);
    vec_release(&l.comms);
    vec_release(&l.reg_id);
    vec_release(&l.reg_parent);
    vec_release(&l.reg_level_comm);
    walk_graph_free(g);
    return (int)rc;
}

void walk_graph_stats(const struct walk_graph *g, struct walk_stats *out)
{
    *out = (struct walk_stats){g->nn,      g->ne,         g->nroads,     g->nplaces,
                               g->npoints, g->places_off, g->points_off, g->road_m};
}

/* ---- shortest paths ---- */

struct hitem {
    double d;
    int32_t node;
};

struct heap {
    struct hitem *v;
    size_t n, cap;
};

static void heap_push(struct heap *h, double d, int32_t node)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 256;
        h->v = xrealloc(h->v, mem_size_mul(h->cap, sizeof(*h->v)));
    }
    size_t i = h->n++;
    while (i > 0 && h->v[(i - 1) / 2].d > d) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = (struct hitem){d, node};
}

static struct hitem heap_pop(struct heap *h)
{
    struct hitem top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1].d < h->v[c].d)
            c++;
        if (h->v[c].d >= last.d)
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

/* Seed a point's snap into the search: both ends of its edge. */
static void seed(const struct walk_graph *g, struct heap *h, double *dist, struct snap s)
{
    double len = g->elen[s.edge];
    double du = s.access + s.t * len, dv = s.access + (1.0 - s.t) * len;
    if (du < dist[g->eu[s.edge]]) {
        dist[g->eu[s.edge]] = du;
        heap_push(h, du, g->eu[s.edge]);
    }
    if (dv < dist[g->ev[s.edge]]) {
        dist[g->ev[s.edge]] = dv;
        heap_push(h, dv, g->ev[s.edge]);
    }
}

/* Dijkstra from the seeded heap until 'bound'; dist[] holds the result (INFINITY beyond). */
static void search(const struct walk_graph *g, struct heap *h, double *dist, double bound)
{
    while (h->n) {
        struct hitem it = heap_pop(h);
        if (it.d > dist[it.node] || it.d > bound)
            continue;
        for (uint32_t k = g->adj_off[it.node]; k < g->adj_off[it.node + 1]; k++) {
            int32_t e = g->adj_edge[k];
            int32_t o = g->eu[e] == it.node ? g->ev[e] : g->eu[e];
            double nd = it.d + g->elen[e];
            if (nd < dist[o] && nd <= bound) {
                dist[o] = nd;
                heap_push(h, nd, o);
            }
        }
    }
}

/* A snapped point's distance given the node distances (not counting a shared edge). */
static double reach(const struct walk_graph *g, const double *dist, struct snap s)
{
    double len = g->elen[s.edge];
    double a = dist[g->eu[s.edge]] + s.t * len, b = dist[g->ev[s.edge]] + (1.0 - s.t) * len;
    return (a < b ? a : b) + s.access;
}

static double *new_dist(size_t n)
{
    double *d = xmalloc(mem_size_mul(n + 1, sizeof(double)));
    for (size_t i = 0; i < n; i++)
        d[i] = INFINITY;
    return d;
}

static int by_distance(const void *a, const void *b)
{
    const struct walk_place *x = a, *y = b;
    if (x->distance_m != y->distance_m)
        return x->distance_m < y->distance_m ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Append the reached part [f0, f1] of edge e as a segment. */
static void push_seg(const struct walk_graph *g, dvec *seg, int32_t e, double f0, double f1)
{
    double ulon = g->nlon[g->eu[e]], ulat = g->nlat[g->eu[e]];
    double vlon = g->nlon[g->ev[e]], vlat = g->nlat[g->ev[e]];
    vec_reserve(seg, 4);
    vec_append(seg, ulon + f0 * (vlon - ulon));
    vec_append(seg, ulat + f0 * (vlat - ulat));
    vec_append(seg, ulon + f1 * (vlon - ulon));
    vec_append(seg, ulat + f1 * (vlat - ulat));
}

int walk_circle(const struct walk_graph *g, double lat, double lon, double metres,
                const unsigned char *types, int with_area, struct arena *a, struct walk_circle *out,
                struct err *err)
{
    struct heap h = {0};
    double *dist = NULL;
    dvec seg = VEC_INIT;
    VEC(struct walk_place) found = VEC_INIT;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->lat = lat;
    out->lon = lon;
    out->metres = metres;
    struct snap o = snap_point(g, lon, lat);
    if (o.edge < 0) {
        double d = nearest_road_m(g, lon, lat);
        if (isinf(d))
            return err_field(err, ERR_BAD_REQUEST, "lat",
                             "the address register has no roads to walk along");
        return err_field(err, ERR_BAD_REQUEST, "lat",
                         "the point is %.0f m from the nearest road (at most %.0f m)", d,
                         WALK_SNAP_MAX_M);
    }
    out->snap_m = o.access;
    dist = new_dist(g->nn);
    seed(g, &h, dist, o);
    search(g, &h, dist, metres);

    for (size_t i = 0; i < g->nplaces; i++) {
        const struct wplace *p = &g->places[i];
        if (p->s.edge < 0 || (types && !types[p->type]))
            continue;
        double d = reach(g, dist, p->s);
        if (p->s.edge == o.edge) {
            double direct = o.access + fabs(o.t - p->s.t) * g->elen[o.edge] + p->s.access;
            d = direct < d ? direct : d;
        }
        if (!(d <= metres))
            continue;
        struct walk_place *w = vec_push(&found);
        *w = (struct walk_place){p->id,      p->code, p->name, walk_place_types[p->type],
                                 p->address, p->lat,  p->lon,  d};
    }
    qsort(found.v, found.n, sizeof(*found.v), by_distance);
    for (size_t i = 0; i < found.n; i++) {
        struct walk_place *w = &found.v[i];
        w->code = arena_strdup(a, w->code);
        w->name = arena_strdup(a, w->name);
        w->address = arena_strdup(a, w->address);
    }
    out->places = vec_to_arena(&found, a);
    out->nplaces = found.n;

    if (with_area) {
        for (size_t e = 0; e < g->ne; e++) {
            double len = g->elen[e];
            double ru = metres - dist[g->eu[e]], rv = metres - dist[g->ev[e]];
            if (ru >= len || rv >= len || (ru > 0 && rv > 0 && ru + rv >= len)) {
                push_seg(g, &seg, (int32_t)e, 0, 1);
                continue;
            }
            if (ru > 0)
                push_seg(g, &seg, (int32_t)e, 0, ru / len);
            if (rv > 0)
                push_seg(g, &seg, (int32_t)e, 1 - rv / len, 1);
        }
        double r = metres - o.access, len = g->elen[o.edge];
        if (r > 0 && len > 0)
            push_seg(g, &seg, o.edge, fmax(0, o.t - r / len), fmin(1, o.t + r / len));
        rc = geo_segments_buffer(seg.v, seg.n / 4, WALK_AREA_WIDTH_M, a, &out->area, err);
    }
    vec_release(&seg);
    vec_release(&found);
    free(h.v);
    free(dist);
    return rc;
}

/* ---- coverage ---- */

struct src {
    int32_t edge;
    float t, access;
};

static int src_by_edge(const void *a, const void *b)
{
    const struct src *x = a, *y = b;
    return (x->edge > y->edge) - (x->edge < y->edge);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Distance from every address point to the nearest place of each type, bounded by 'bound'
 * (INFINITY beyond): d[type * npoints + point]. */
static double *nearest_by_type(const struct walk_graph *g, double bound)
{
    size_t nt = walk_place_types_count;
    double *d = xmalloc(mem_size_mul(mem_size_mul(nt, g->npoints) + 1, sizeof(double)));
    struct src *srcs = xmalloc(mem_size_mul(g->nplaces + 1, sizeof(*srcs)));
    struct heap h = {0};
    double *dist = new_dist(g->nn);
    for (size_t t = 0; t < nt; t++) {
        size_t ns = 0;
        for (size_t i = 0; i < g->nn; i++)
            dist[i] = INFINITY;
        for (size_t i = 0; i < g->nplaces; i++) {
            const struct wplace *p = &g->places[i];
            if ((size_t)p->type != t || p->s.edge < 0)
                continue;
            srcs[ns++] = (struct src){p->s.edge, p->s.t, p->s.access};
            seed(g, &h, dist, p->s);
        }
        search(g, &h, dist, bound);
        qsort(srcs, ns, sizeof(*srcs), src_by_edge);
        for (size_t k = 0; k < g->npoints; k++) {
            const struct wpoint *p = &g->points[k];
            double v = INFINITY;
            if (p->s.edge >= 0 && ns > 0) {
                v = reach(g, dist, p->s);
                /* Places on the point's own edge: the walk between them may not pass a node. */
                struct src key = {p->s.edge, 0, 0};
                const struct src *hit = bsearch(&key, srcs, ns, sizeof(*srcs), src_by_edge);
                while (hit && hit > srcs && hit[-1].edge == p->s.edge)
                    hit--;
                for (; hit && hit < srcs + ns && hit->edge == p->s.edge; hit++) {
                    double direct =
                        p->s.access + fabs(p->s.t - hit->t) * g->elen[p->s.edge] + hit->access;
                    v = direct < v ? direct : v;
                }
            }
            d[t * g->npoints + k] = v <= bound ? v : INFINITY;
        }
    }
    free(dist);
    free(h.v);
    free(srcs);
    return d;
}

static void cover_of(const struct walk_graph *g, const struct community *c, const double *near,
                     double metres, struct arena *a, struct walk_cover *out, double *scratch)
{
    size_t nt = walk_place_types_count;
    memset(out, 0, sizeof(*out));
    out->region_id = c->id;
    out->code = arena_strdup(a, c->code);
    out->name = arena_strdup(a, c->name);
    out->covered = arena_alloc(a, nt * sizeof(size_t));
    out->median_m = arena_alloc(a, nt * sizeof(double));
    double slat = 0, slon = 0;
    size_t on = 0;
    for (size_t k = c->first; k < c->first + c->n; k++) {
        slat += g->points[k].lat;
        slon += g->points[k].lon;
        on += g->points[k].s.edge >= 0;
    }
    out->lat = c->n ? slat / (double)c->n : 0;
    out->lon = c->n ? slon / (double)c->n : 0;
    out->points = on;
    for (size_t t = 0; t < nt; t++) {
        size_t m = 0, covered = 0;
        for (size_t k = c->first; k < c->first + c->n; k++) {
            if (g->points[k].s.edge < 0)
                continue;
            double v = near[t * g->npoints + k];
            covered += v <= metres;
            scratch[m++] = v;
        }
        out->covered[t] = covered;
        qsort(scratch, m, sizeof(double), cmp_double);
        out->median_m[t] = m ? scratch[m / 2] : INFINITY;
    }
}

int walk_coverage(const struct walk_graph *g, double metres, struct arena *a,
                  struct walk_cover **out, size_t *n, struct err *err)
{
    (void)err;
    /* Medians are read up to twice the circle: "the nearest is 1.6 km away" says more than
     * "none within 1 km". */
    double *near = nearest_by_type(g, 2 * metres);
    double *scratch = xmalloc(mem_size_mul(g->npoints + 1, sizeof(double)));
    VEC(struct walk_cover) v = VEC_IN(a);
    for (size_t i = 0; i < g->ncomms; i++) {
        if (g->comms[i].n == 0)
            continue;
        cover_of(g, &g->comms[i], near, metres, a, vec_push(&v), scratch);
    }
    free(scratch);
    free(near);
    *out = v.v;
    *n = v.n;
    return 0;
}

int walk_coverage_of(const struct walk_graph *g, int64_t region_id, double metres, struct arena *a,
                     struct walk_cover *out, struct err *err)
{
    struct community key = {region_id, NULL, NULL, 0, 0};
    const struct community *c = bsearch(&key, g->comms, g->ncomms, sizeof(key), comm_by_id);
    if (!c || c->n == 0)
        return err_set(err, ERR_NOT_FOUND, "community %lld has no addresses in the register",
                       (long long)region_id);
    double *near = nearest_by_type(g, 2 * metres);
    double *scratch = xmalloc(mem_size_mul(g->npoints + 1, sizeof(double)));
    cover_of(g, c, near, metres, a, out, scratch);
    free(scratch);
    free(near);
    return 0;
}

int walk_register_version(struct store_conn *c, int64_t *out, struct err *err)
{
    int rc =
        store_one_i64(c, "SELECT version FROM addr_version WHERE id = 1", STORE_NO_ARGS, out, err);
    if (rc == 0)
        *out = 0;
    return rc < 0 ? rc : 0;
}
