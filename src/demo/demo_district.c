/*
 * demo_district: a real district's region tree for the demo (docs/grid.md section 8).
 *
 * The sources give the district's boundary and the official codes and names of its streets
 * and 社区/村, but no street or community boundaries; those are approximated here, inside the
 * real boundary: streets are the Voronoi cells of a representative point each (placed by hand
 * in demo_district_data.c), communities the Voronoi cells of seeds scattered in their street
 * and evened out by Lloyd's relaxation, grids the same inside each community. Every cell is
 * clipped to its parent with GEOS (geo_voronoi_cells), so each level tiles the one above it.
 * Everything is reproducible: the scatter is seeded from the region's code.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "demo/demo.h"
#include "demo/demo_data.h"
#include "geo/geo.h"
#include "org/org.h"

#define LLOYD_ROUNDS 8

const struct demo_district *demo_district_find(const char *key)
{
    for (size_t i = 0; key && i < demo_districts_count; i++)
        if (strcmp(key, demo_districts[i].code) == 0 || strcmp(key, demo_districts[i].name) == 0)
            return &demo_districts[i];
    return NULL;
}

/* The boundary in WGS84 as a GeoJSON Polygon. */
static char *boundary(const struct demo_district *d, struct arena *a)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"type\":\"Polygon\",\"coordinates\":[[");
    for (size_t i = 0; i < d->nring; i++) {
        double lon, lat;
        geo_gcj02_to_wgs84(d->ring_gcj02[2 * i], d->ring_gcj02[2 * i + 1], &lon, &lat);
        buf_printf(&b, "%s[%.7f,%.7f]", i ? "," : "", lon, lat);
    }
    buf_puts(&b, "]]}");
    char *s = arena_strdup(a, b.p);
    buf_release(&b);
    return s;
}

static uint64_t code_seed(const char *code)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *code; code++)
        h = (h ^ (unsigned char)*code) * 1099511628211ULL;
    return h;
}

/* n cells of 'area' around seeds scattered from 'code' (the area itself when n is 1). */
static int split(const char *area, const char *code, size_t n, struct arena *a, char **cells,
                 struct err *err)
{
    if (n == 1) {
        cells[0] = (char *)area;
        return 0;
    }
    double *seeds = arena_alloc(a, n * 2 * sizeof(double));
    int rc = geo_random_points(area, n, code_seed(code), seeds, err);
    return rc < 0 ? rc : geo_voronoi_cells(area, seeds, n, LLOYD_ROUNDS, a, cells, err);
}

static int add(struct store_conn *c, const char *code, const char *name,
               enum org_region_level level, int64_t parent, const char *area, int64_t now,
               int64_t *id, int *count, struct err *err)
{
    struct org_region_in in = {code, name, level, parent, area};
    int rc = org_region_create(c, &in, now, id, err);
    if (rc < 0)
        return err_set(err, rc, "region %s %s: %s", code, name, err->msg);
    (*count)++;
    return 0;
}

int demo_district_regions(struct store_conn *c, const struct demo_district *d, struct arena *a,
                          int64_t now, int64_t *street_ids, int64_t *first_grid, int *count,
                          struct err *err)
{
    int64_t district, community, grid;
    char *area = boundary(d, a);
    char **scells = arena_alloc(a, d->nstreets * sizeof(char *));
    double *seeds = arena_alloc(a, d->nstreets * 2 * sizeof(double));
    int rc;
    *first_grid = 0;
    for (size_t s = 0; s < d->nstreets; s++) {
        seeds[2 * s] = d->streets[s].lon;
        seeds[2 * s + 1] = d->streets[s].lat;
    }
    if ((rc = add(c, d->code, d->name, ORG_REGION_DISTRICT, 0, area, now, &district, count, err)) <
            0 ||
        (rc = geo_voronoi_cells(area, seeds, d->nstreets, 0, a, scells, err)) < 0)
        return rc;
    for (size_t s = 0; s < d->nstreets; s++) {
        const struct demo_district_street *st = &d->streets[s];
        if ((rc = add(c, st->code, st->name, ORG_REGION_STREET, district, scells[s], now,
                      &street_ids[s], count, err)) < 0)
            return rc;
        size_t k = 0, first = 0;
        for (size_t i = 0; i < d->ncommunities; i++)
            if (d->communities[i].street == (int)s && k++ == 0)
                first = i;
        if (k == 0)
            continue;
        char **ccells = arena_alloc(a, k * sizeof(char *));
        if ((rc = split(scells[s], st->code, k, a, ccells, err)) < 0)
            return err_set(err, rc, "%s: %s", st->name, err->msg);
        for (size_t i = first, j = 0; j < k; i++) {
            const struct demo_district_community *cm = &d->communities[i];
            if (cm->street != (int)s)
                continue;
            size_t g = (size_t)d->grids_per_community;
            char **gcells = arena_alloc(a, g * sizeof(char *));
            if ((rc = add(c, cm->code, cm->name, ORG_REGION_COMMUNITY, street_ids[s], ccells[j],
                          now, &community, count, err)) < 0 ||
                (rc = split(ccells[j], cm->code, g, a, gcells, err)) < 0)
                return rc;
            for (size_t x = 0; x < g; x++) {
                char *gcode = arena_printf(a, "%s%02zu", cm->code, x + 1);
                char *gname = arena_printf(a, "%s第%zu网格", cm->name, x + 1);
                if ((rc = add(c, gcode, gname, ORG_REGION_GRID, community, gcells[x], now, &grid,
                              count, err)) < 0)
                    return rc;
                if (!*first_grid)
                    *first_grid = grid;
            }
            j++;
        }
    }
    return 0;
}

const char *demo_district_names(void)
{
    static char names[256];
    size_t used = 0;
    for (size_t i = 0; i < demo_districts_count && used < sizeof(names); i++)
        used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s%s (%s)", i ? ", " : "",
                                 demo_districts[i].city, demo_districts[i].name,
                                 demo_districts[i].code);
    return names;
}

void demo_district_envelope(const struct demo_district *d, double bbox[4])
{
    for (size_t i = 0; i < d->nring; i++) {
        double lon, lat;
        geo_gcj02_to_wgs84(d->ring_gcj02[2 * i], d->ring_gcj02[2 * i + 1], &lon, &lat);
        if (i == 0 || lon < bbox[0])
            bbox[0] = lon;
        if (i == 0 || lat < bbox[1])
            bbox[1] = lat;
        if (i == 0 || lon > bbox[2])
            bbox[2] = lon;
        if (i == 0 || lat > bbox[3])
            bbox[3] = lat;
    }
}
