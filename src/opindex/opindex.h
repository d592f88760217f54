/*
 * opindex: the city operation index (城市运行指数, issue 16 item 6; docs/warning.md §6). Per
 * region (the district and its streets), each of eight areas (公共安全, 交通出行, 生态环境…: rows of
 * opindex_areas, an administrator's to edit) scores 0-100 from what its categories' cases, its
 * open warnings and its devices say, and the index is their weighted mean:
 *
 *   area = 100 - min(100, load + overdue + warnings + sensors), where
 *   load     = min(40, 30 x (recent - expected) / max(expected, 1))  when recent > expected
 *              (cases of the last 24 h against the daily mean of the 28 days before)
 *   overdue  = 30 x the overdue share of its open cases of the period
 *   warnings = min(30, 8 x points of its open warnings: high 3, medium 2, low 1)
 *   sensors  = min(30, 10 x its devices in breach)
 *
 * Each computation is kept (opindex_history) when it moved the index by OPINDEX_STEP or an hour
 * has passed, with every area's figures, so the history and what moved it can be shown.
 *
 * Threading: none; each call uses the connection given. Strings in the caller's arena.
 */
#ifndef GRIDLOOP_OPINDEX_OPINDEX_H
#define GRIDLOOP_OPINDEX_OPINDEX_H
#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define OPINDEX_AREAS_MAX 16
#define OPINDEX_STEP 0.5        /* a change of the index worth a history row */
#define OPINDEX_KEEP_EVERY 3600 /* and one an hour regardless */
#define OPINDEX_BASELINE_DAYS 28

struct opindex_area {
    const char *code, *name;
    double weight;
    const char *categories, *device_types; /* comma-separated code prefixes / device types */
    int position;
};
int opindex_area_list(struct store_conn *c, struct arena *a, struct opindex_area **out, size_t *n,
                      struct err *err);
/* Replace area 'code''s weight, categories and device types. ERR_NOT_FOUND naming "code";
 * ERR_BAD_REQUEST naming "weight" (0..100), "categories", "device_types" (malformed lists). */
int opindex_area_set(struct store_conn *c, const struct opindex_area *in, int64_t now,
                     struct err *err);

/* One area's figures in one computation. */
struct opindex_part {
    const char *code, *name;
    double weight, score;
    int64_t recent;  /* cases of the last 24 h */
    double expected; /* their daily mean over the baseline */
    int64_t open, overdue, warning_points, breached;
};
struct opindex_result {
    int64_t region_id;
    int64_t at;
    double score;
    size_t nparts;
    struct opindex_part parts[OPINDEX_AREAS_MAX];
};
/* Compute region 'region_id''s index at 'now' (reads only). */
int opindex_compute(struct store_conn *c, int64_t region_id, int64_t now, struct arena *a,
                    struct opindex_result *out, struct err *err);
/* Compute the district(s) and every street, keeping the rows that moved (or hourly); '*kept'
 * counts them. Each row is one statement: outside a transaction each commits alone, so the
 * reads between them hold no write lock. */
int opindex_refresh(struct store_conn *c, int64_t now, int *kept, struct err *err);

/* The history of region 'region_id' since 'since', oldest first: (at, score) and, for the last
 * two rows, the areas' figures as JSON text (NULL when there is no such row). */
struct opindex_point {
    int64_t at;
    double score;
    const char *areas; /* JSON array, as stored */
};
int opindex_history(struct store_conn *c, int64_t region_id, int64_t since, struct arena *a,
                    struct opindex_point **out, size_t *n, struct err *err);

#endif /* GRIDLOOP_OPINDEX_OPINDEX_H */
