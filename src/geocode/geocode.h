/*
 * geocode: the address normaliser and the in-memory geocoding index over the standard
 * address register (addr_points, addr_places, addr_roads; docs/maps.md).
 *
 * geocode_norm() is pure: the register stores its result as addr_points.norm when a point is
 * written, and the geocoder normalises what an operator types the same way, so both sides of
 * a match went through the same function.
 */
#ifndef GRIDLOOP_GEOCODE_GEOCODE_H
#define GRIDLOOP_GEOCODE_GEOCODE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

/* The normalised key of a written address, in 'a'; never NULL ("" for empty or blank text,
 * invalid UTF-8 bytes are dropped). Full-width letters and digits become half-width, ASCII
 * letters upper case; Chinese numerals before a number word (号 弄 幢 单元 室 ...) become
 * digits (八十八号 -> 88号); 栋/座/号楼/# 楼 -> 幢, 单元门 -> 单元, # after a number -> 号;
 * spaces and punctuation go (a '-' between two digits stays: 12-3号); leading administrative
 * prefixes (…省 …市 …区/县 …街道/镇/乡 …社区) are removed while something follows them. */
const char *geocode_norm(struct arena *a, const char *text);

/* Longest query the geocoder takes, in bytes (an address, not a description). */
#define GEOCODE_Q_MAX 200
/* A candidate scoring at least this is a match; below it, a suggestion ("nearest"). */
#define GEOCODE_MATCH_SCORE 0.75
/* Two matches within this score of the best and farther apart than GEOCODE_SAME_PLACE_M
 * make the query ambiguous. */
#define GEOCODE_AMBIGUOUS_GAP 0.05
#define GEOCODE_SAME_PLACE_M 50.0
/* Reverse geocoding looks no farther than this for an address point. */
#define GEOCODE_REVERSE_MAX_M 2000.0
#define GEOCODE_REVERSE_HALF_M 30.0 /* a reverse score of 0.5 at this distance */

/*
 * The index: every address point and place of the register, built once from the database and
 * then only read (any number of threads at once, no lock). Rebuild it when addr_version
 * changes (geocode_version_read) and free the old one once no reader holds it.
 */
struct geocode_index;

/* The register's version (addr_version; bumped by every register write). */
int geocode_version_read(struct store_conn *c, int64_t *version, struct err *err);
/* Build the index from addr_points, addr_places, addr_roads and the regions (grids); its
 * version is the one read in the same call. Owned by the caller (geocode_index_free). */
int geocode_index_load(struct store_conn *c, struct geocode_index **out, struct err *err);
void geocode_index_free(struct geocode_index *ix);
int64_t geocode_index_version(const struct geocode_index *ix);
size_t geocode_index_size(const struct geocode_index *ix); /* points and places */

enum geocode_match {
    GEOCODE_EXACT,    /* the key is the query's */
    GEOCODE_CONTAINS, /* the query holds the key and words around it (门口, 附近, a prefix) */
    GEOCODE_PREFIX,   /* the query is the start of the key (a building of its units) */
    GEOCODE_NEARBY,   /* same road, another house number */
    GEOCODE_PARTIAL,  /* only the start of the query matched */
};
enum geocode_status {
    GEOCODE_FOUND,     /* one place matches: the first item */
    GEOCODE_AMBIGUOUS, /* matches at several places: the items, never one chosen */
    GEOCODE_NONE,      /* no match: the items are the nearest candidates, if any */
};

struct geocode_hit {
    const char *kind;    /* "point" or "place" */
    int64_t id;          /* addr_points.id or addr_places.id */
    const char *address; /* the standard written form (a place: its name's address) */
    const char *name;    /* a place's name, "" for a point */
    double lat, lon;
    int64_t region_id;                 /* the grid it lies in, 0 if outside every grid */
    const char *grid_code, *grid_name; /* "" when region_id is 0 */
    double score;                      /* 0..1 */
    enum geocode_match match;
    double distance_m; /* reverse geocoding: from the asked point */
};

/* Names of the enums as the API writes them. */
const char *geocode_match_name(enum geocode_match m);
const char *geocode_status_name(enum geocode_status s);

/* Candidates for a full or partial address, best first, at most 'limit' (the strings in
 * 'a'); *status says whether the first is the match. 'q' is normalised here. */
void geocode_search(const struct geocode_index *ix, const char *q, size_t limit, struct arena *a,
                    struct geocode_hit **items, size_t *n, enum geocode_status *status);
/* Autocomplete: addresses and places whose key starts with what was typed (shortest and
 * lowest numbers first); when none does, the candidates of geocode_search. */
void geocode_suggest(const struct geocode_index *ix, const char *q, size_t limit, struct arena *a,
                     struct geocode_hit **items, size_t *n);
/* The nearest address point to (lat, lon) within GEOCODE_REVERSE_MAX_M: 1 and *out (strings
 * in 'a'; score 1 / (1 + distance / GEOCODE_REVERSE_HALF_M)), or 0 when there is none. */
int geocode_reverse(const struct geocode_index *ix, double lat, double lon, struct arena *a,
                    struct geocode_hit *out);

#endif /* GRIDLOOP_GEOCODE_GEOCODE_H */
