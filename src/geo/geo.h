/*
 * geo: locate a WGS84 point in the region tree's boundary polygons (GeoJSON), using GEOS.
 *
 * An index is filled with polygons (one per region, tagged with the region id and its depth
 * in the tree), then searched; the deepest region containing the point wins (a grid beats its
 * community, which beats its street). Polygons are validated on insert.
 *
 * A point on a boundary belongs to the region (boundaries are closed). When several regions
 * of the same depth hold the point (on a border shared by two grids, or overlapping
 * polygons), the lowest id wins, so the answer never depends on insertion order.
 *
 * Threading: geo_locate() and geo_index_add() may be called from many threads at once. A GEOS
 * context handle, its prepared geometries and its STRtree (which builds itself lazily on the
 * first query) are not safe for concurrent use, so an index holds one context and a mutex
 * around every use of it. A lookup (STRtree, then prepared intersects on the few candidates)
 * takes about 0.2 us among ~200 grids, so the lock is held briefly; per-thread contexts would
 * need per-thread copies of every prepared geometry. geo_validate() shares nothing and creates a context per call.
 * geo_index_size() reads without the lock. geo_index_free() must not race with anything.
 *
 * Ownership: the index owns the geometries; caller frees with geo_index_free().
 */
#ifndef GRIDLOOP_GEO_GEO_H
#define GRIDLOOP_GEO_GEO_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct geo_index;

int geo_index_new(struct geo_index **out, struct err *err);
void geo_index_free(struct geo_index *ix);

/*
 * Parse 'geojson' (a GeoJSON Polygon or MultiPolygon geometry object, or a Feature holding
 * one) and add it for region 'id' (> 0) at tree depth 'depth' (>= 0; 0 = district, 3 = grid).
 * Returns 0, or ERR_BAD_REQUEST with a message saying what is wrong with the geometry
 * (empty, not JSON, not a polygon, invalid ring with GEOS's reason, coordinates outside
 * WGS84 range); err->field is left empty for the caller to name its input field.
 * Positions are [lon, lat]: GEOS 3.11 refuses a third (altitude) value.
 * ERR_INTERNAL for id <= 0 or depth < 0 (caller bugs). Adding after lookups is allowed;
 * the next lookup rebuilds the spatial index. There is no removal: build a new index.
 */
int geo_index_add(struct geo_index *ix, int64_t id, int depth, const char *geojson,
                  struct err *err);

/* Validate a GeoJSON polygon without adding it (same rules as geo_index_add). */
int geo_validate(const char *geojson, struct err *err);

/* What geo_shape() accepts. */
enum geo_kind {
    GEO_AREA = 1, /* Polygon or MultiPolygon */
    GEO_LINE = 2, /* LineString or MultiLineString (a road) */
};

/* A bounding box in WGS84 degrees. */
struct geo_box {
    double min_lon, min_lat, max_lon, max_lat;
};

/*
 * Validate a GeoJSON geometry of 'kind' with the rules of geo_validate() (for a line: at
 * least two distinct positions per part, GEOS's validity), and give its bounding box and a
 * point on it (inside a polygon, on a line: GEOS's point on surface, which a centroid need
 * not be). box, lon and lat may each be NULL. ERR_BAD_REQUEST with err->field left empty.
 */
int geo_shape(const char *geojson, enum geo_kind kind, struct geo_box *box, double *lon,
              double *lat, struct err *err);

/* Id of the deepest region whose polygon contains (lon, lat); 0 if none or if the point is
 * outside WGS84 range or NaN. */
int64_t geo_locate(struct geo_index *ix, double lon, double lat);

/* Number of polygons in the index. */
size_t geo_index_size(const struct geo_index *ix);

/* ---- tiling: how a region's children cover it (the import's report) ---- */

enum geo_issue_kind {
    GEO_GAP = 1,     /* part of the parent that no child covers */
    GEO_OVERLAP = 2, /* two children share an area */
    GEO_OUTSIDE = 3, /* part of a child lies outside its parent */
};

struct geo_issue {
    enum geo_issue_kind kind;
    size_t a, b; /* children's indexes: an overlap's two (a < b), the child outside; 0 for a gap */
    double area_m2;  /* the area concerned, square metres (a local equirectangular frame) */
    double lon, lat; /* a point inside it (GEOS's point on surface) */
    int disjoint;    /* GEO_OUTSIDE: the child does not touch its parent at all */
};

/* Called per issue found; return 0 to go on, negative to stop with that value. */
typedef int geo_issue_fn(void *ctx, const struct geo_issue *issue);

/*
 * Check how the polygons 'children' (GeoJSON, n of them; a NULL or "" entry is skipped) tile
 * 'parent' (NULL or "": only overlaps are looked for): the gaps, each pair of children that
 * overlap and each child reaching outside the parent, ignoring anything smaller than 'min_m2'
 * (digitising slivers along shared borders). Pairs are found with an STRtree, so a community of
 * hundreds of grids costs about n log n. Every polygon must already be valid (geo_validate());
 * one that is not is ERR_BAD_REQUEST with err->field empty. 0, fn's value, or ERR_INTERNAL.
 */
int geo_tiling(const char *parent, const char *const *children, size_t n, double min_m2,
               geo_issue_fn *fn, void *ctx, struct err *err);

/* ---- lines and buffers (the walking graph) ---- */

/* Called for each line of a LineString / MultiLineString with its positions as lon, lat
 * pairs (n >= 2; borrowed until it returns). Return 0 to go on, negative to stop. */
typedef int geo_line_fn(void *ctx, const double *lonlat, size_t n);

/* Parse 'geojson' (a LineString or MultiLineString geometry) and call 'fn' per line. 0, the
 * callback's negative value, or ERR_BAD_REQUEST saying what is wrong with the text. */
int geo_lines_each(const char *geojson, geo_line_fn *fn, void *ctx, struct err *err);

/*
 * The area within 'metres' of 'nseg' segments (seg = lon0, lat0, lon1, lat1 per segment), as
 * GeoJSON (Polygon or MultiPolygon) in 'a', simplified to metres / 10. Computed in a local
 * metric frame around the first segment (a district is small enough for it). *out is NULL
 * when nseg is 0. 0 or ERR_INTERNAL.
 */
struct arena;
int geo_segments_buffer(const double *seg, size_t nseg, double metres, struct arena *a, char **out,
                        struct err *err);

/*
 * The share (0..1) of the area 'area_geojson' (a Polygon or MultiPolygon) that lies within
 * 'metres' of 'nseg' segments (lon0, lat0, lon1, lat1 per segment; a segment may be a point,
 * both ends equal), in a local metric frame around the area (GEOS buffer, then intersection).
 * *share is 0 when nseg is 0. ERR_BAD_REQUEST for a bad area (err->field left empty), else
 * 0 or ERR_INTERNAL.
 */
int geo_coverage(const char *area_geojson, const double *seg, size_t nseg, double metres,
                 double *share, struct err *err);

/*
 * Cut the area 'geojson' (Polygon or MultiPolygon, lon/lat) into the Voronoi cells of the n
 * seeds 'lonlat' (pairs), each cell clipped to the area; computed in a local metric frame.
 * With rounds > 0 the seeds first move that many times to their clipped cell's centroid
 * (Lloyd's relaxation: cells of more even size), and 'lonlat' receives the final seeds.
 * cells[i] is seed i's cell as GeoJSON Polygon or MultiPolygon in 'a'. The cells tile the area.
 * ERR_BAD_REQUEST for an unreadable area or a seed whose cell misses it (e.g. two equal seeds).
 */
int geo_voronoi_cells(const char *geojson, double *lonlat, size_t n, int rounds, struct arena *a,
                      char **cells, struct err *err);

/* n pseudo-random points inside the area 'geojson' (reproducible from 'seed') into out
 * (n lon/lat pairs). */
int geo_random_points(const char *geojson, size_t n, uint64_t seed, double *out, struct err *err);

/*
 * China's GCJ-02 datum (the offset map shapes published in China carry) and WGS84:
 * geo_wgs84_to_gcj02 applies the public GCJ-02 formula (Krasovsky ellipsoid); its inverse
 * geo_gcj02_to_wgs84 iterates it to about 1e-9 degrees (millimetres). Points outside China's
 * rough bounding box are returned unchanged, as GCJ-02 leaves them.
 */
void geo_wgs84_to_gcj02(double lon, double lat, double *glon, double *glat);
void geo_gcj02_to_wgs84(double glon, double glat, double *lon, double *lat);

#endif /* GRIDLOOP_GEO_GEO_H */
