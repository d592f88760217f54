/*
 * patrol: a grid worker's patrols (巡查). A worker starts a patrol (in their grid), the phone
 * sends position fixes in batches, findings are reported as cases linked to the patrol, and
 * the worker ends it. From the fixes come the track, the distance walked, the coverage of a
 * grid on a day (the share of the grid's area within PATROL_COVER_M of any track: GEOS) and
 * each worker's statistics.
 *
 * Fixes: a phone on a weak connection queues them and sends them later, in any order and
 * perhaps twice. A fix is identified by its time (one second), so a resent fix is ignored
 * (the first one counts); a fix may fall between fixes already stored. A batch is all or
 * nothing: a fix in the future, outside the patrol's time, outside WGS84, or at a speed no
 * one on foot, bicycle or scooter reaches (from its neighbours in time, stored or in the
 * batch, after allowing PATROL_JITTER_M of GPS error) rejects the batch naming the fix.
 *
 * Ownership: records and their strings live in the caller's arena.
 */
#ifndef GRIDLOOP_PATROL_PATROL_H
#define GRIDLOOP_PATROL_PATROL_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define PATROL_FIXES_MAX 500     /* fixes per batch */
#define PATROL_FUTURE_SKEW_S 120 /* a phone's clock may run this much ahead */
#define PATROL_SPEED_MAX_MS 25.0 /* 90 km/h: beyond any patrol on foot or by scooter */
#define PATROL_JITTER_M 50.0     /* GPS error allowed between two fixes */
#define PATROL_COVER_M 30.0      /* default: what a patrol sees on each side of its track */
#define PATROL_COVER_M_MAX 500.0
#define PATROL_DAYS_MAX 62 /* days in one coverage or statistics query */
#define PATROL_NOTE_MAX 500

struct patrol {
    int64_t id;
    int64_t user_id;
    const char *user_name; /* display name */
    int64_t region_id;     /* the grid patrolled, 0 = none */
    const char *region_name;
    const char *region_code;
    int64_t started_at, ended_at; /* ended_at 0 while under way */
    int64_t fixes;
    double distance_m;
    int64_t findings;
    const char *note; /* NULL when none */
};

struct patrol_fix {
    int64_t at; /* seconds since epoch */
    double lat, lon;
    double accuracy; /* metres, 0 = not given */
};

struct patrol_finding {
    int64_t case_id;
    const char *number;
    const char *title;
    const char *state;
    int has_location;
    double lat, lon;
    int64_t created_at;
};

/* Start a patrol for 'user_id' in region 'region_id' (a community, grid or micro-grid; 0: the
 * worker's first grid (grid_worker_grids), else 'scope_region_id' when it is one, else none).
 * ERR_CONFLICT (field "patrol") when the user has a patrol under way. */
int patrol_start(struct store_conn *c, int64_t user_id, int64_t region_id, int64_t scope_region_id,
                 int64_t now, int64_t *id, struct err *err);

/* End patrol 'id' of 'user_id' at 'now' with an optional note. ERR_NOT_FOUND for another
 * user's patrol, ERR_CONFLICT (field "patrol") when it has ended. */
int patrol_end(struct store_conn *c, int64_t id, int64_t user_id, const char *note, int64_t now,
               struct err *err);

/* The caller's patrol under way; 0 in *id when none. */
int patrol_current(struct store_conn *c, int64_t user_id, int64_t *id, struct err *err);

/*
 * Add 'n' fixes to patrol 'id' of 'user_id' (rules above). Field names are
 * "fixes[i].at", "fixes[i].lat", "fixes[i].lon" and "fixes[i]" (speed), i the index in the
 * caller's array. *added counts the new fixes, *duplicates the resent ones. The worker's last
 * position (grid_workers) follows the newest fix.
 */
int patrol_fixes_add(struct store_conn *c, int64_t id, int64_t user_id, const struct patrol_fix *fx,
                     size_t n, int64_t now, size_t *added, size_t *duplicates, struct err *err);

/* Link case 'case_id' (just created by the caller in this transaction) to patrol 'id' of
 * 'user_id' as a finding. ERR_CONFLICT (field "patrol") when the patrol has ended. */
int patrol_finding_check(struct store_conn *c, int64_t id, int64_t user_id, struct err *err);
int patrol_finding_link(struct store_conn *c, int64_t id, int64_t case_id, int64_t now,
                        struct err *err);

int patrol_get(struct store_conn *c, int64_t id, struct arena *a, struct patrol *out,
               struct err *err);
/* The track, fixes in time order. */
int patrol_track(struct store_conn *c, int64_t id, struct arena *a, struct patrol_fix **out,
                 size_t *n, struct err *err);
int patrol_findings(struct store_conn *c, int64_t id, struct arena *a, struct patrol_finding **out,
                    size_t *n, struct err *err);

struct patrol_filter {
    int64_t user_id;   /* 0 = any */
    int64_t region_id; /* 0 = any */
    int64_t from, to;  /* started in [from, to); 0 = open */
    size_t limit;      /* 0 = 100 */
};
int patrol_list(struct store_conn *c, const struct patrol_filter *f, struct arena *a,
                struct patrol **out, size_t *n, struct err *err);

/* Coverage of one grid on one local day: the share of its area within 'metres' of the day's
 * tracks (every worker's), the patrols that touched it and their fixes inside it. */
struct patrol_cover {
    int64_t region_id;
    const char *code, *name;
    int64_t day; /* local date, days since 1970-01-01 */
    double share;
    int64_t patrols;
};

/*
 * Coverage for each grid (level grid or micro) under region 'region_id' (0: all) that has a
 * boundary, for each local day in [day_from, day_to] (at most PATROL_DAYS_MAX days).
 * 'tz_offset' is the local time's offset from UTC in seconds (Asia/Shanghai: 28800).
 */
int patrol_coverage(struct store_conn *c, int64_t region_id, int64_t day_from, int64_t day_to,
                    int64_t tz_offset, double metres, struct arena *a, struct patrol_cover **out,
                    size_t *n, struct err *err);

/* Statistics per worker over patrols started in [from, to) in region 'region_id''s subtree (0: all;
 * a patrol with no grid counts only under 0). */
struct patrol_stat {
    int64_t user_id;
    const char *user_name;
    int64_t patrols, days, fixes, findings;
    int64_t duration_s; /* of ended patrols */
    double distance_m;
};
int patrol_stats(struct store_conn *c, int64_t region_id, int64_t from, int64_t to,
                 int64_t tz_offset, struct arena *a, struct patrol_stat **out, size_t *n,
                 struct err *err);

/* Great-circle distance in metres (haversine). */
double patrol_distance_m(double lat1, double lon1, double lat2, double lon2);

#endif /* GRIDLOOP_PATROL_PATROL_H */
