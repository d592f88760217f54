/*
 * sensor: the sensing network (感知设备, issue 16 item 5; docs/warning.md §5). Devices (the code a
 * device publishes under, a type, a place resolved to its grid, an owner department, how often
 * it reports), thresholds per device type and metric with hysteresis (a breach begins at a
 * reading above 'high' and lasts until one at or below 'clear'), readings kept per device,
 * metric and second (a repeated reading, e.g. an MQTT QoS 1 redelivery, is stored once), and per
 * device and metric the condition: the breach in progress and the case it opened.
 *
 * Opening the case is the caller's (the app layer: intake belongs there); this module says when
 * (sensor_ingest's transitions) and records which case (sensor_breach_case), in the caller's
 * transaction.
 *
 * Threading: none of its own; each call uses the connection it is given. Strings of returned
 * records live in the caller's arena.
 */
#ifndef GRIDLOOP_SENSOR_SENSOR_H
#define GRIDLOOP_SENSOR_SENSOR_H
#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define SENSOR_CODE_MAX 64   /* characters: letters, digits, '-', '_', '.' */
#define SENSOR_NAME_MAX 100  /* characters */
#define SENSOR_TYPE_MAX 32   /* a type code: lowercase letters, digits, '_' */
#define SENSOR_METRIC_MAX 32 /* a metric name: lowercase letters, digits, '_' */
#define SENSOR_LABEL_MAX 40  /* characters */
#define SENSOR_UNIT_MAX 16   /* characters */
#define SENSOR_VALUES_MAX 16 /* metrics in one reading */
#define SENSOR_FUTURE_S 300  /* a reading may be this far ahead of the server's clock */
#define SENSOR_PAST_S 604800 /* and at most this old (7 days: a device's buffer after an outage) */
#define SENSOR_INTERVAL_MIN 10
#define SENSOR_INTERVAL_MAX 86400
#define SENSOR_OFFLINE_INTERVALS 3 /* silent this many intervals: offline */
#define SENSOR_POINTS_MAX 1000     /* buckets of a readings chart */

struct sensor_device {
    int64_t id;
    const char *code, *type, *name;
    int has_location;
    double lat, lon;
    int64_t region_id; /* 0 = none */
    const char *region_name;
    int64_t department_id; /* 0 = none */
    const char *department_name;
    int interval_s;
    int active;
    int64_t last_seen_at, offline_at; /* 0 = never / online */
    int64_t created_at, updated_at;
};

struct sensor_device_in {
    const char *code, *type, *name;
    int has_location;
    double lat, lon;
    int64_t region_id;     /* resolved by the caller from lat/lon; 0 = none */
    int64_t department_id; /* 0 = none */
    int interval_s;
    int active;
};

/* ERR_BAD_REQUEST naming the field ("code", "type", "name", "interval_s", "department_id");
 * a code in use is ERR_CONFLICT naming "code". */
int sensor_device_create(struct store_conn *c, const struct sensor_device_in *in, int64_t now,
                         int64_t *id, struct err *err);
/* The code stays; the rest is replaced. */
int sensor_device_update(struct store_conn *c, int64_t id, const struct sensor_device_in *in,
                         int64_t now, struct err *err);
int sensor_device_get(struct store_conn *c, int64_t id, struct arena *a, struct sensor_device *out,
                      struct err *err);
/* ERR_NOT_FOUND naming "device" for an unknown code. */
int sensor_device_by_code(struct store_conn *c, const char *code, struct arena *a,
                          struct sensor_device *out, struct err *err);
/* Every device of 'type' (NULL: all) under region 'region_id''s subtree (0: anywhere), by code. */
int sensor_device_list(struct store_conn *c, const char *type, int64_t region_id, struct arena *a,
                       struct sensor_device **out, size_t *n, struct err *err);

/* 1 when 'code' is a valid device code, metric or type name (per the limits above). */
int sensor_code_ok(const char *code);
int sensor_name_ok(const char *metric, size_t max);

struct sensor_threshold {
    int64_t id;
    const char *type, *metric, *label, *unit;
    double high, clear;
    int64_t category_id; /* 0 = none */
    const char *category_name;
    int64_t updated_at;
};
int sensor_threshold_list(struct store_conn *c, struct arena *a, struct sensor_threshold **out,
                          size_t *n, struct err *err);
/* Insert or replace the threshold of (type, metric). ERR_BAD_REQUEST naming "type", "metric",
 * "label", "unit", "clear" (above high, or not a number), "category_id". */
int sensor_threshold_set(struct store_conn *c, const struct sensor_threshold *t, int64_t now,
                         struct err *err);

struct sensor_value {
    const char *metric;
    double value;
};

enum sensor_change {
    SENSOR_BREACH = 1, /* a breach began: open its case, then sensor_breach_case() */
    SENSOR_RECOVER,    /* the breach ended: case_id is its case (0: none was opened) */
};
struct sensor_transition {
    enum sensor_change change;
    const char *metric, *label, *unit;
    double value, high, clear, peak;
    int64_t category_id, case_id, since;
};

/*
 * Store a reading of device 'd' taken at 'at' (values[0..n), metrics distinct), note the device
 * seen at 'now' (and online again), and evaluate the thresholds of its type. For each metric: a
 * value above 'high' with no breach open begins one (a SENSOR_BREACH transition in out[]); a
 * value at or below 'clear' with one open ends it (SENSOR_RECOVER); between, the breach stays as
 * it is (its peak follows). A value already stored for the same device, metric and second is a
 * duplicate: counted in '*duplicates', evaluated no further. Readings older than the state's
 * last change are stored but do not move the state (a late reading must not reopen a breach).
 * 'out' has room for n transitions; '*nout' says how many. In the caller's transaction.
 */
int sensor_ingest(struct store_conn *c, const struct sensor_device *d, int64_t at,
                  const struct sensor_value *values, size_t n, int64_t now, struct arena *a,
                  struct sensor_transition *out, size_t *nout, int *duplicates, struct err *err);
/* The same without noting the device seen: a caller storing many readings of one device in one
 * transaction (an MQTT batch) calls sensor_device_seen() once for them. */
int sensor_ingest_values(struct store_conn *c, const struct sensor_device *d, int64_t at,
                         const struct sensor_value *values, size_t n, int64_t now, struct arena *a,
                         struct sensor_transition *out, size_t *nout, int *duplicates,
                         struct err *err);
/*
 * What the store writer keeps between jobs so a reading costs no lookups but its own: devices by
 * code (the fields a reading is judged and its case opened by: id, code, type, name, place,
 * region, active; not last_seen_at/offline_at, which it does not keep current) and every
 * threshold. An unknown code is not kept, so a device registered later is found at its first
 * reading. It knows nothing of changes: the owner clears it when a device or threshold changes
 * (and now and then, for changes made by another process). One thread at a time; records it
 * hands out live until the next sensor_cache_clear().
 */
struct sensor_cache;
struct sensor_cache *sensor_cache_new(void);
void sensor_cache_free(struct sensor_cache *k);
void sensor_cache_clear(struct sensor_cache *k);
/* 1 when it keeps as many devices as it will (65,536): the owner clears it between uses rather
 * than have devices read again at every reading. */
int sensor_cache_full(const struct sensor_cache *k);
/* As sensor_device_by_code, from the cache when it is there. */
int sensor_cache_device(struct sensor_cache *k, struct store_conn *c, const char *code,
                        const struct sensor_device **out, struct err *err);
/* As sensor_ingest_values, the thresholds taken from 'k' (read once after each clear). */
int sensor_ingest_cached(struct store_conn *c, struct sensor_cache *k,
                         const struct sensor_device *d, int64_t at,
                         const struct sensor_value *values, size_t n, int64_t now, struct arena *a,
                         struct sensor_transition *out, size_t *nout, int *duplicates,
                         struct err *err);
/* Device 'device_id' seen at 'now' (and online again if it had been marked offline). */
int sensor_device_seen(struct store_conn *c, int64_t device_id, int64_t now, struct err *err);
/* The case opened for the breach of (device, metric) in progress. */
int sensor_breach_case(struct store_conn *c, int64_t device_id, const char *metric, int64_t case_id,
                       struct err *err);

/* The conditions of a device: one per metric it has reported. */
struct sensor_state {
    const char *metric;
    int breached;
    int64_t since, case_id, updated_at;
    double peak;
};
int sensor_states(struct store_conn *c, int64_t device_id, struct arena *a,
                  struct sensor_state **out, size_t *n, struct err *err);

/* Readings of one metric in [from, to), in at most 'points' equal time buckets (downsampled:
 * mean, minimum, maximum and count of each non-empty bucket), oldest first. */
struct sensor_point {
    int64_t at; /* the bucket's start */
    double avg, min, max;
    int64_t n;
};
int sensor_readings(struct store_conn *c, int64_t device_id, const char *metric, int64_t from,
                    int64_t to, int points, struct arena *a, struct sensor_point **out, size_t *n,
                    struct err *err);

/* Active devices silent for SENSOR_OFFLINE_INTERVALS intervals at 'now' and not yet marked:
 * marked offline (offline_at = now) and returned, once each. A reading brings them back. */
int sensor_offline_sweep(struct store_conn *c, int64_t now, struct arena *a,
                         struct sensor_device **out, size_t *n, struct err *err);

/* Retention: readings taken before 'before' are deleted; '*deleted' counts them. */
int sensor_retention(struct store_conn *c, int64_t before, int64_t *deleted, struct err *err);

#endif /* GRIDLOOP_SENSOR_SENSOR_H */
