/*
 * warning: the one object for every early warning (预警, issue 16 item 4; docs/warning.md §4) —
 * a device gone quiet, a spike, a chain of repeat complaints, a high risk grade — with its life
 * cycle: new → acknowledged → dispatched (turned into a case) or dismissed with a reason.
 * Warnings that are the same (one group key) are grouped: while one is open, a repeat raises its
 * count and time instead of a second warning, as Alertmanager groups alerts; a silence mutes a
 * kind in a region (and a category) until a time. Each raise notifies the supervisors bound to
 * the warning's region or above it (all supervisors when none is).
 *
 * Detection lives elsewhere (the sweeper's jobs in the app layer, src/warn for spikes); this
 * module keeps the records. Threading: none; each call uses the connection given, inside the
 * caller's transaction. Strings of returned records live in the caller's arena.
 */
#ifndef GRIDLOOP_WARNING_WARNING_H
#define GRIDLOOP_WARNING_WARNING_H
#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define WARNING_REASON_MAX 500 /* characters */
#define WARNING_SILENCE_MAX_DAYS 90

enum warning_kind { WK_DEVICE_OFFLINE, WK_SPIKE, WK_REPEAT, WK_RISK, WARNING_KIND_COUNT };
enum warning_level { WL_LOW, WL_MEDIUM, WL_HIGH, WARNING_LEVEL_COUNT };
enum warning_status { WS_NEW, WS_ACKNOWLEDGED, WS_DISPATCHED, WS_DISMISSED, WARNING_STATUS_COUNT };

const char *warning_kind_name(enum warning_kind k);
int warning_kind_from_name(const char *s); /* -1 if unknown */
const char *warning_level_name(enum warning_level l);
const char *warning_status_name(enum warning_status s);
int warning_status_from_name(const char *s); /* -1 if unknown */

struct warning_in {
    enum warning_kind kind;
    enum warning_level level;
    const char *group_key; /* what makes two raises the same warning */
    const char *title, *evidence;
    int64_t region_id, category_id, device_id, case_id; /* 0 = none */
    int has_location;
    double lat, lon;
};

/* Raise 'in' at 'now': absorbed by the open warning of its group (count + 1, last_at, evidence,
 * the higher level), else a new warning, unless a silence covers it (*id 0, *outcome
 * WARNING_SILENCED). A new one notifies the supervisors (kind "warning"). */
enum warning_outcome { WARNING_NEW = 1, WARNING_GROUPED, WARNING_SILENCED };
int warning_raise(struct store_conn *c, const struct warning_in *in, int64_t now, int64_t *id,
                  enum warning_outcome *outcome, struct err *err);

struct warning {
    int64_t id;
    enum warning_kind kind;
    enum warning_level level;
    enum warning_status status;
    const char *group_key, *title, *evidence, *reason;
    int64_t region_id, category_id, device_id, case_id;
    const char *region_name, *category_name, *device_code, *case_number, *handled_by_name;
    int has_location;
    double lat, lon;
    int64_t count, first_at, last_at, handled_by, handled_at, created_at, updated_at;
};

struct warning_filter {
    int status;              /* -1: any; WARNING_OPEN: new or acknowledged */
    int kind;                /* -1: any */
    int64_t region_id;       /* the region's subtree (and warnings with no region when 0) */
    const char *region_code; /* a bound reader's region: only its subtree ("" / NULL: all) */
    int limit;               /* 1..500 */
    int64_t before;          /* id: older than (0: from the newest) */
};
#define WARNING_OPEN 100
int warning_list(struct store_conn *c, const struct warning_filter *f, struct arena *a,
                 struct warning **out, size_t *n, int64_t *total, struct err *err);
int warning_get(struct store_conn *c, int64_t id, struct arena *a, struct warning *out,
                struct err *err);
/* *id = an open warning of 'kind' on region 'region_id' or a region above it (a spike in the
 * street of a grid), the nearest region's, the oldest there; 0 when none is open. */
int warning_open_in(struct store_conn *c, enum warning_kind kind, int64_t region_id, int64_t *id,
                    struct err *err);

/* The life cycle, by user 'user_id' at 'now'. acknowledge: new only; dismiss (reason 1..
 * WARNING_REASON_MAX, else ERR_BAD_REQUEST naming "reason"): new or acknowledged; dispatched:
 * new or acknowledged, with the case it became. Another state: ERR_CONFLICT. */
int warning_acknowledge(struct store_conn *c, int64_t id, int64_t user_id, int64_t now,
                        struct err *err);
int warning_dismiss(struct store_conn *c, int64_t id, int64_t user_id, const char *reason,
                    int64_t now, struct err *err);
int warning_dispatched(struct store_conn *c, int64_t id, int64_t user_id, int64_t case_id,
                       int64_t now, struct err *err);

/* Silences. ERR_BAD_REQUEST naming "kind", "until" (past, or more than WARNING_SILENCE_MAX_DAYS
 * ahead), "reason". */
struct warning_silence {
    int64_t id;
    enum warning_kind kind;
    int64_t region_id, category_id, until, created_by, created_at;
    const char *reason, *region_name, *category_name;
};
int warning_silence_add(struct store_conn *c, const struct warning_silence *s, int64_t now,
                        int64_t *id, struct err *err);
/* The silences still in force at 'now'. */
int warning_silence_list(struct store_conn *c, int64_t now, struct arena *a,
                         struct warning_silence **out, size_t *n, struct err *err);
/* Ends a silence now (its until set to 'now'). */
int warning_silence_end(struct store_conn *c, int64_t id, int64_t now, struct err *err);

#endif /* GRIDLOOP_WARNING_WARNING_H */
