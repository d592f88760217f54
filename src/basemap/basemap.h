/*
 * basemap: the city's own map, drawn from the address register (migration 0035). For a
 * Web-Mercator tile z/x/y it reads the roads, buildings, water and green areas and places whose
 * bounding boxes meet the tile (the register's box columns and indexes), keeps what the zoom
 * level shows, simplifies each line and ring at about one pixel (Douglas-Peucker), clips it to
 * the tile plus a small buffer and quantises it to tile units (BASEMAP_EXTENT per tile side,
 * origin at the tile's top-left corner, y down), so a browser draws a tile on a canvas without
 * any projection of its own.
 *
 * Zoom rules (docs/maps.md, "The basemap"): nothing below BASEMAP_MIN_ZOOM (a district's map
 * never shows a province); roads by kind from the zoom in basemap_road_zoom(); buildings from
 * BASEMAP_BUILDING_ZOOM; places by type from basemap_place_zoom(), at most BASEMAP_PLACES_MAX a
 * tile, most important first; areas and buildings smaller than about a pixel are left out.
 *
 * Pure C; no JSON (the API renders a struct basemap_tile). Everything returned lives in the
 * caller's arena.
 */
#ifndef GRIDLOOP_BASEMAP_BASEMAP_H
#define GRIDLOOP_BASEMAP_BASEMAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct arena;
struct store_conn;

#define BASEMAP_MAX_ZOOM 22
#define BASEMAP_MIN_ZOOM 9       /* below it a tile is empty */
#define BASEMAP_BUILDING_ZOOM 15 /* buildings from this zoom on */
#define BASEMAP_TILE_PX 256      /* the tile's side in CSS pixels, as Leaflet draws it */
#define BASEMAP_EXTENT 512       /* tile units per side: coordinates are quantised to 1/2 px */
#define BASEMAP_BUFFER 32        /* units drawn beyond each edge, so strokes meet across tiles */
#define BASEMAP_PLACES_MAX 48    /* places in one tile at most */

enum basemap_layer {
    BASEMAP_WATER,
    BASEMAP_GREEN,
    BASEMAP_ROADS,
    BASEMAP_BUILDINGS,
    BASEMAP_PLACES,
    BASEMAP_LAYER_COUNT
};

/* The layer's name in the API's answer ("water", "green", "roads", "buildings", "places"). */
const char *basemap_layer_name(enum basemap_layer l);

/* One feature of a layer. Lines (roads) and rings (areas, buildings: filled even-odd, so holes
 * and the polygons of a MultiPolygon need no grouping) are 'nparts' runs of points in 'xy'
 * (x0, y0, x1, y1, ...), part i holding part_len[i] points; a place is the one point (x, y). */
struct basemap_feature {
    const char *name; /* road, area or place name; "" when the row has none */
    const char *kind; /* road kind, building use, area kind or place type */
    int nparts;
    const int *part_len;
    const int32_t *xy;
    int32_t x, y; /* places only */
};

struct basemap_tile {
    int z, x, y;
    int64_t version; /* addr_version the tile was read at */
    size_t skipped;  /* stored geometries that are not lines or rings of degrees (a row
                      * written past the register's writers): left out */
    size_t n[BASEMAP_LAYER_COUNT];
    struct basemap_feature *items[BASEMAP_LAYER_COUNT];
};

/* The register's version (addr_version): every register write bumps it, so a tile cached under
 * an older version is stale. */
int basemap_version(struct store_conn *c, int64_t *version, struct err *err);

/* The tile z/x/y of the register as it is now (version read in the same call). Bad z, x or y:
 * ERR_BAD_REQUEST naming the field. */
int basemap_tile(struct store_conn *c, int z, int x, int y, struct arena *a,
                 struct basemap_tile *out, struct err *err);

/* ---- the pieces, for the tests and the benchmark ---- */

/* z in 0..BASEMAP_MAX_ZOOM, x and y in 0..2^z-1; else ERR_BAD_REQUEST naming "z", "x" or "y". */
int basemap_check_tile(int z, int x, int y, struct err *err);

/* The tile's bounds in degrees (WGS84). */
void basemap_tile_bounds(int z, int x, int y, double *west, double *south, double *east,
                         double *north);

/* A point in tile units of tile z/x/y (may lie outside 0..BASEMAP_EXTENT). */
void basemap_project(int z, int x, int y, double lon, double lat, double *tx, double *ty);

/* The lowest zoom showing a road of 'kind' or a place of 'type' (unknown: never, INT32_MAX). */
int basemap_road_zoom(const char *kind);
int basemap_place_zoom(const char *type);

/* Douglas-Peucker on n points (x, y pairs) in place: keeps the ends and every point farther
 * than 'tolerance' from the chord of what it would be dropped for. Returns the points kept. */
size_t basemap_simplify(double *xy, size_t n, double tolerance);

/* Clip the polyline of n points (x, y pairs) to the box [lo, hi] x [lo, hi]: the pieces inside,
 * their points in *xy and their lengths in *lens (both in the arena). Returns the number of
 * pieces. */
size_t basemap_clip_line(const double *xy, size_t n, double lo, double hi, struct arena *a,
                         double **out_xy, size_t **out_lens);

/* Clip the ring of n points (closed or not) to the same box (Sutherland-Hodgman): the clipped
 * ring's points in *out_xy (in the arena, not closed). Returns its point count (0: nothing
 * inside). */
size_t basemap_clip_ring(const double *xy, size_t n, double lo, double hi, struct arena *a,
                         double **out_xy);

/* The coordinates of a stored GeoJSON geometry (LineString, MultiLineString, Polygon,
 * MultiPolygon) as runs of [lon, lat] points: every innermost array of positions is one part.
 * Returns the part count (0 for no coordinates) or ERR_BAD_REQUEST on text that is not such a
 * geometry; 'xy' and 'lens' are in the arena. */
int basemap_parse_coords(const char *geojson, struct arena *a, double **xy, size_t **lens,
                         size_t *nparts, struct err *err);

#endif
