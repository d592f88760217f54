/*
 * gridw: grid workers (网格员) and the smart dispatch of tasks to them.
 *
 * A grid worker is a user with the grid_worker role and a row of grid_workers (migration
 * 0040): a post (专职网格员, 兼职网格员, 网格长, 社区书记, 志愿者), the grids (or micro-grids)
 * they serve, the case categories they may handle (none: any; a category covers its
 * subtree), a weekly on-duty schedule in Asia/Shanghai local time, a cap on open tasks and the
 * last position their phone reported.
 *
 * Dispatch (gridw_rank, gridw_batch): a task is a place and a category. A worker may take it
 * when active, on duty at the time asked, skilled for the category (or unrestricted) and below
 * their load cap. The cost of giving a task to a worker is an estimated time to arrival in
 * minutes, plus a wait for every open task already on the worker's list, plus a detour penalty
 * for a task outside the worker's own grids, plus a little for a worker who is not explicitly
 * skilled for the category (an unrestricted one).
 * See GRIDW_* below for the figures and docs/grid.md (section 7) for why.
 * The batch assigns many tasks at once at minimum total cost with a per-worker cap: a
 * min-cost flow solved by successive shortest paths (the Hungarian method's augmentation one
 * task at a time, Dijkstra on reduced costs with potentials), each task joined to its
 * GRIDW_BATCH_CANDIDATES cheapest workers.
 *
 * No HTTP, no JSON, no printing. Writers take the caller's transaction (store_begin/commit
 * with the audit entry) and validate everything before their first write.
 * Errors: 0 or a negative ERR_*; ERR_BAD_REQUEST names the field ("post", "grid_ids",
 * "skill_ids", "shifts", "max_load", "lat", "lon", "at", ...); ERR_NOT_FOUND for an unknown
 * worker; ERR_FORBIDDEN for a grid outside the caller's scope.
 * Ownership: output structs, strings and arrays live in the caller's arena.
 */
#ifndef GRIDLOOP_GRIDW_GRIDW_H
#define GRIDLOOP_GRIDW_GRIDW_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define GRIDW_GRIDS_MAX 64
#define GRIDW_SKILLS_MAX 64
#define GRIDW_SHIFTS_MAX 42
#define GRIDW_MAX_LOAD_MAX 100
/* Local time of the schedules: Asia/Shanghai, UTC+8 (no daylight saving). */
#define GRIDW_UTC_OFFSET_MIN 480

/* Position fixes. */
#define GRIDW_FIX_FUTURE_S 120   /* a fix this far ahead of the server's clock is refused */
#define GRIDW_FIX_MAX_SPEED 70.0 /* m/s (252 km/h) between two fixes: more is impossible */

/* Dispatch costs (minutes). */
#define GRIDW_SPEED_M_PER_MIN 200.0  /* 12 km/h: an e-bike in town, or a brisk walk and a bus */
#define GRIDW_DETOUR 1.3             /* streets are longer than the straight line */
#define GRIDW_WAIT_PER_TASK_MIN 15.0 /* each open task ahead of this one on the worker's list */
#define GRIDW_OUTSIDE_GRID_MIN 10.0  /* a task outside the worker's own grids */
#define GRIDW_UNSKILLED_MIN 5.0      /* unrestricted, not explicitly skilled for the category */
#define GRIDW_FIX_FRESH_S (4 * 3600) /* an older fix counts as unknown: the grid's centre */
#define GRIDW_BATCH_CANDIDATES 24

extern const char *const gridw_posts[]; /* "full_time", "part_time", ... NULL-terminated */

struct gridw_shift {
    int weekday;   /* 1 = Monday ... 7 = Sunday */
    int start_min; /* 0..1439 */
    int end_min;   /* start_min+1..1440 */
};

struct gridw_grid {
    int64_t id;
    const char *code, *name;
};

struct gridw_skill {
    int64_t id;
    const char *code, *name;
};

struct gridw_worker {
    int64_t user_id;
    const char *name, *display_name; /* the user's */
    const char *post;
    int active;
    int max_load;
    int has_fix;
    double last_lat, last_lon;
    int64_t last_fix_at;
    int64_t load; /* open cases assigned to the worker */
    struct gridw_grid *grids;
    size_t ngrids;
    struct gridw_skill *skills;
    size_t nskills;
    struct gridw_shift *shifts;
    size_t nshifts;
    int64_t created_at, updated_at;
};

struct gridw_worker_in {
    const char *post; /* NULL: full_time */
    int active;       /* 0 or 1 */
    int max_load;     /* 1..GRIDW_MAX_LOAD_MAX */
    const int64_t *grid_ids;
    size_t ngrids; /* at least one */
    const int64_t *skill_ids;
    size_t nskills; /* none: any category */
    const struct gridw_shift *shifts;
    size_t nshifts;
};

/*
 * Make user 'user_id' a grid worker, or replace everything of an existing one (the position
 * stays). The user must exist, be active and have the grid_worker role (field "user_id").
 * Every grid must be a grid or micro-grid (field "grid_ids") inside the worker's own region
 * scope (field "grid_ids": refused) and, when scope_region_id is not 0 (a region-bound caller),
 * inside that region too (ERR_FORBIDDEN). Skills must be existing categories; shifts must not
 * overlap on a day (field "shifts"). *created (may be NULL) says whether the row is new.
 */
int gridw_worker_save(struct store_conn *c, int64_t user_id, const struct gridw_worker_in *in,
                      int64_t scope_region_id, int64_t now, int *created, struct err *err);

/* One worker with grids, skills, shifts and load. ERR_NOT_FOUND if not a grid worker. */
int gridw_worker_get(struct store_conn *c, int64_t user_id, struct arena *a,
                     struct gridw_worker *out, struct err *err);

/* 1 if the worker serves at least one grid inside region 'region_id' (or has no grid), else 0. */
int gridw_worker_in_region(struct store_conn *c, int64_t user_id, int64_t region_id,
                           struct err *err);

struct gridw_filter {
    int64_t within_region_id; /* 0: all; else workers serving a grid inside this region */
    int64_t grid_id;          /* 0: all; else workers of this grid */
    int active_only;
};

/* Workers matching 'f' (NULL: all), by user name, with everything filled. */
int gridw_worker_list(struct store_conn *c, const struct gridw_filter *f, struct arena *a,
                      struct gridw_worker **out, size_t *n, struct err *err);

/*
 * The worker's phone reports a position fix taken at 'at' (seconds). Refused: lat/lon out of
 * range or not finite (fields "lat", "lon"), 'at' more than GRIDW_FIX_FUTURE_S after 'now'
 * (field "at"), a fix implying a speed above GRIDW_FIX_MAX_SPEED from the last one (field
 * "at"). A fix older than the stored one is accepted and ignored (*stored = 0): phones send
 * late. ERR_NOT_FOUND if the user is not a grid worker.
 */
int gridw_position(struct store_conn *c, int64_t user_id, double lat, double lon, int64_t at,
                   int64_t now, int *stored, struct err *err);

/* 1 if the schedule has a shift covering the instant 't' (seconds, UTC), else 0. Pure. */
int gridw_on_duty(const struct gridw_shift *s, size_t n, int64_t t);

/* Great-circle distance in metres. */
double gridw_distance_m(double lat1, double lon1, double lat2, double lon2);

/* ---------------------------------------------------------------- dispatch */

struct gridw_task {
    int64_t case_id;     /* 0 for a hypothetical task */
    double lat, lon;     /* the place */
    int64_t region_id;   /* the grid (or micro-grid) it lies in; 0: unknown */
    int64_t category_id; /* 0: none */
    /* Filled by gridw_rank / gridw_batch (set them yourself for gridw_cost): */
    int64_t region_parent_id;  /* the grid above a micro-grid; 0: none */
    const char *category_code; /* NULL: no category */
};

/* Why a worker ranks where they do: the parts of the cost. */
struct gridw_reason {
    double distance_m;         /* estimated, along streets */
    double travel_min;         /* estimated time to arrival */
    int position_known;        /* from a fresh fix (else from the centre of the worker's grid) */
    double from_lat, from_lon; /* the position the estimate starts from */
    int own_grid;              /* the task lies in one of the worker's grids */
    int skilled;               /* explicitly skilled for the category (0: unrestricted) */
    int64_t load;              /* open tasks on the worker's list */
    int max_load;
    double cost;      /* minutes: what the ranking and the batch minimise */
    const char *text; /* the reason in words (Chinese), arena */
};

struct gridw_candidate {
    const struct gridw_worker *worker; /* arena */
    struct gridw_reason why;
};

/*
 * The workers who may take the task at time 'at', cheapest first; at most 'limit' (0: all).
 * Workers excluded (off duty, unskilled, full, inactive, no position and no grid) are not
 * listed; *considered (may be NULL) receives how many grid workers were looked at.
 */
int gridw_rank(struct store_conn *c, const struct gridw_task *task, int64_t at, size_t limit,
               struct arena *a, struct gridw_candidate **out, size_t *n, size_t *considered,
               struct err *err);

/*
 * The pure core of dispatch, for the batch and the benchmark: workers as loaded (positions
 * resolved: pos_lat/pos_lon), tasks, and which worker may take which task.
 */
struct gridw_pool_worker {
    const struct gridw_worker *w; /* may be NULL in benchmarks */
    double lat, lon;
    int position_known;
    int64_t load;
    int max_load;
    const int64_t *grid_ids;
    size_t ngrids;
    const char *const *skill_codes; /* category codes; a code covers those it prefixes */
    size_t nskills;
};

/* 1 and the reason if the worker may take the task, else 0. text is left NULL. */
int gridw_cost(const struct gridw_pool_worker *pw, const struct gridw_task *t,
               struct gridw_reason *why);

/* The reason in words. */
const char *gridw_reason_text(const struct gridw_reason *why, struct arena *a);

/*
 * Assign tasks to workers at minimum total cost: every task goes to one worker who may take it,
 * no worker receives more than min(cap, max_load - load) new tasks (cap 0: only max_load), as
 * many tasks are placed as the caps allow (each task among its GRIDW_BATCH_CANDIDATES cheapest
 * workers; when the caps cannot take every task, earlier tasks in the list come first: list
 * them by urgency), and the placed tasks' total cost is minimal. assign[i] is the worker's index for task i,
 * or -1 when none could take it. cost[i] (may be NULL) receives the task's cost.
 * Returns the number of tasks placed, or a negative ERR_*.
 */
int gridw_batch_solve(const struct gridw_pool_worker *workers, size_t nworkers,
                      const struct gridw_task *tasks, size_t ntasks, int cap, int *assign,
                      double *cost, struct err *err);

/*
 * The batch against the database: the on-duty pool at 'at' and the tasks; results as for
 * gridw_batch_solve with the workers (arena) in *pool.
 */
int gridw_batch(struct store_conn *c, const struct gridw_task *tasks, size_t ntasks, int64_t at,
                int cap, struct arena *a, struct gridw_pool_worker **pool, size_t *npool,
                int *assign, struct gridw_reason *why, struct err *err);

#endif /* GRIDLOOP_GRIDW_GRIDW_H */
