/*
 * walk: the walking graph of the address register's roads, and the 15-minute service circle
 * (15 分钟生活圈): which places of each kind a person reaches on foot along the roads within a
 * given time, from a point, and how much of each community is within reach of each kind.
 *
 * The graph: the vertices of every road geometry (addr_roads) are nodes, and a vertex two
 * roads share (to about 0.1 m) is one node: that is how roads meet. Consecutive vertices make
 * an edge, walkable both ways, weighted by its length in metres. A point (an origin, a place,
 * an address) enters the graph at the nearest point of the nearest edge within
 * WALK_SNAP_MAX_M; the straight walk between the point and the road counts in its distance.
 * A point farther than that from every road is "off the network" and reaches nothing.
 *
 * Time and distance: GB 50180-2018 (城市居住区规划设计标准) puts a 15-minute living circle
 * at a walking distance of 800-1,000 m; we take its upper bound, so one minute is
 * WALK_M_PER_MIN metres (a slow pace that suits elderly residents).
 *
 * Distances are shortest paths (Dijkstra with a binary heap, bounded by the distance asked),
 * computed per query: a circle visits only the part of the graph it reaches.
 *
 * Threading: a graph is immutable once loaded; any number of threads may query one graph at
 * the same time (each query allocates its own working arrays).
 * Ownership: walk_graph_load() returns a graph the caller frees with walk_graph_free();
 * results and their strings live in the caller's arena.
 */
#ifndef GRIDLOOP_WALK_WALK_H
#define GRIDLOOP_WALK_WALK_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;
struct walk_graph;

#define WALK_M_PER_MIN (1000.0 / 15.0)
#define WALK_SNAP_MAX_M 250.0
/* The drawn area is the reached stretch of road widened by this much on each side: the
 * buildings along a street are reached from it. */
#define WALK_AREA_WIDTH_M 60.0

/* The place types of the register (addr_places.type), in the order results list them. */
extern const char *const walk_place_types[];
extern const size_t walk_place_types_count;

/* Build the graph from the register: roads, places, and address points with the community
 * each lies in. Reads in the caller's connection (a read transaction is not needed: a
 * register write bumps addr_version, and the caller reloads on a new version). */
int walk_graph_load(struct store_conn *c, struct walk_graph **out, struct err *err);
void walk_graph_free(struct walk_graph *g);

struct walk_stats {
    size_t nodes, edges, roads, places, points;
    size_t places_off, points_off; /* farther than WALK_SNAP_MAX_M from every road */
    double road_m;                 /* total length of the walkable network */
};
void walk_graph_stats(const struct walk_graph *g, struct walk_stats *out);

struct walk_place {
    int64_t id;
    const char *code, *name, *type, *address; /* in the result's arena */
    double lat, lon;
    double distance_m; /* along the roads, with the walks to and from them */
};

struct walk_circle {
    double lat, lon;           /* the origin asked for */
    double snap_m;             /* from the origin to the road it starts on */
    double metres;             /* the walking distance of the circle */
    struct walk_place *places; /* reached places, nearest first */
    size_t nplaces;
    char *area; /* GeoJSON (Multi)Polygon of the reached roads, widened; NULL: none reached */
};

/*
 * The places within 'metres' of (lat, lon) along the roads, and the area reached.
 * 'types' (NULL: all) limits the places listed to the types where types[i] != 0, indexed as
 * walk_place_types. ERR_BAD_REQUEST (field "lat") when the point is off the network: it
 * names the distance to the nearest road.
 */
int walk_circle(const struct walk_graph *g, double lat, double lon, double metres,
                const unsigned char *types, int with_area, struct arena *a, struct walk_circle *out,
                struct err *err);

/* One community's reach of each place type. */
struct walk_cover {
    int64_t region_id;
    const char *code, *name; /* the community (arena) */
    double lat, lon;         /* the mean position of its address points */
    size_t points;           /* its address points on the network */
    size_t *covered;         /* [walk_place_types_count]: points within reach of that type */
    double *median_m;        /* [walk_place_types_count]: median distance to the nearest of
                              * that type; INFINITY when most points reach none */
};

/*
 * For every community with address points: how many of them reach each place type within
 * 'metres' (multi-source shortest paths from all places of a type at once, so the cost is one
 * bounded search per type, not one per address). Sorted by community code.
 */
int walk_coverage(const struct walk_graph *g, double metres, struct arena *a,
                  struct walk_cover **out, size_t *n, struct err *err);

/* The same for one community (region id); ERR_NOT_FOUND when it has no address points. */
int walk_coverage_of(const struct walk_graph *g, int64_t region_id, double metres, struct arena *a,
                     struct walk_cover *out, struct err *err);

/* The register's version (addr_version, bumped by every register write): a graph loaded at
 * an older version is stale. 0 with *out set, or ERR_*. */
int walk_register_version(struct store_conn *c, int64_t *out, struct err *err);

/* The index of 'type' in walk_place_types, or -1. */
int walk_place_type_index(const char *type);

#endif /* GRIDLOOP_WALK_WALK_H */
