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

/* Id of the deepest region whose polygon contains (lon, lat); 0 if none or if the point is
 * outside WGS84 range or NaN. */
int64_t geo_locate(struct geo_index *ix, double lon, double lat);

/* Number of polygons in the index. */
size_t geo_index_size(const struct geo_index *ix);

#endif /* GRIDLOOP_GEO_GEO_H */
