/*
 * Shared by the files of the app module: the running state itself.
 */
#ifndef GRIDLOOP_APP_APP_INTERNAL_H
#define GRIDLOOP_APP_APP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "app/app.h"
#include "core/mem.h"

struct retired_cal {
    struct cal *cal;
    struct retired_cal *next;
};

struct rate_window {
    int kind;
    int64_t id;
    int64_t minute;
    int count;
    struct rate_window *next;
};

struct app {
    struct app_deps d;
    /* Bumped by every organisation write; state derived from an older version is stale. */
    _Atomic int64_t org_version;
    /* Seconds added to the real clock (only through the test clock). */
    _Atomic int64_t clock_offset;
    /* The working calendar, rebuilt after organisation writes; replaced ones are kept until
     * app_free() because calls in flight may still use them. */
    pthread_mutex_t cal_lock;
    struct cal *cal;
    int64_t cal_version;
    struct retired_cal *retired;
    /* Point-in-region index over stored boundaries, rebuilt after organisation writes. */
    pthread_mutex_t geo_lock;
    struct geo_index *geo;
    int64_t geo_version;
    /* The walking graph of the address register (app_walk.c), rebuilt when its version moves;
     * a graph in use by a request stays until its last user releases it. */
    pthread_mutex_t walk_lock;
    struct app_walk *walk;
    /* The geocoding index of the register (app_geocode.c). */
    struct app_geocode *geocode;
    /* Group commit for intake and other high-rate writes. */
    struct store_writer *writer;
    uint64_t text_indexed_at; /* monotonic ns of the last full-text indexing (writer thread) */
    /* The overdue sweeper (app_sweep.c). */
    pthread_t sweeper;
    int sweeper_running;
    pthread_mutex_t sweep_lock;
    pthread_cond_t sweep_cond;
    int sweep_stop;
    /* The triage model, its file and the duplicate index (app_triage.c). */
    struct app_triage *triage;
    /* Notification delivery (app_notify.c). */
    struct notify_worker *notifier;
    app_publish_fn *publish;
    void *publish_ctx;
    app_gap_fn *gap; /* the live streams may have missed notifications */
    void *gap_ctx;
    /* Per-client rate windows (app.c): in memory on SQLite (one process), in the table
     * rate_windows when several processes share a PostgreSQL database. */
    int shared_rates;
    pthread_mutex_t rate_lock;
    struct rate_window *rates;
    /* Several nodes (app_cluster.c). 'leader': this process runs the background jobs (always
     * on SQLite); jobs_lock orders starting and stopping them against the want_* requests. */
    char node[17];
    /* PostgreSQL: the newest organisation version of the database this node has seen
     * (org_version_read); org_version is bumped whenever it grows. */
    _Atomic int64_t org_db_seen;
    _Atomic int leader;
    _Atomic int nodes; /* processes on the database, this one included (counted every
                        * LEAD_TRY_MS); 0 until counted */
    pthread_mutex_t jobs_lock;
    int want_sweeper, want_notifier;
    pthread_t cluster;
    _Atomic int cluster_running; /* read by the notifier and request threads */
    _Atomic int cluster_stop;
    int wake_pipe[2];
    /* What this node announces next on the listener's connection (guarded by out_lock). */
    pthread_mutex_t out_lock;
    int64_t *out_ids; /* notifications published here, for the other nodes' streams */
    size_t nout, capout;
    int out_wake; /* ask the leader's notification worker for a pass */
    /* Cases created in the group-commit writer's current batch (writer thread only),
     * announced inside the batch's transaction. */
    int64_t *batch_cases;
    size_t nbatch, capbatch;
    /* Write health and the audit anchor (app_health.c). */
    unsigned char audit_seed[32];
    int has_audit_key;
    pthread_mutex_t health_lock; /* one probe at a time */
    _Atomic int health;          /* enum app_health, as last probed */
    _Atomic int64_t health_probed_at;
    int64_t anchor_logged_at, anchor_logged_seq; /* sweeper thread only */
    /* Sensor readings (app_sensor.c) and the MQTT subscriber (app_mqtt.c). */
    pthread_mutex_t sensor_lock;
    pthread_cond_t sensor_cond;
    int sensor_inflight;
    _Atomic int64_t sensor_readings, sensor_rejected, sensor_duplicates, sensor_malformed;
    _Atomic int mqtt_connected;
    struct app_mqtt *mqtt;
    /* Per metric, the lowest 'high' of any type's threshold (under sensor_lock): the MQTT thread
     * sends a message with a value above it to the head of the writer's queue. Reloaded by the
     * writer every APP_SENSOR_HINT_TTL seconds; only a message's place in the queue hangs on it. */
    struct {
        char metric[SENSOR_METRIC_MAX + 1];
        double high;
    } sensor_hint[64];
    size_t sensor_hint_n;
    int64_t sensor_hint_at;
    /* The writer's devices and thresholds between jobs (writer thread only): cleared when
     * sensor_gen has moved since it was filled (app_sensor_changed: a change through this
     * server), or APP_SENSOR_HINT_TTL seconds after (a change made by another process). */
    struct sensor_cache *sensor_cache;
    uint64_t sensor_cache_gen;
    int64_t sensor_cache_at;
    _Atomic uint64_t sensor_gen;
    /* Risk rules, cached per organisation version (app_risk.c). */
    pthread_mutex_t risk_lock;
    int risk_loaded;
    int64_t risk_version;
    struct arena risk_arena;
    struct risk_rule *risk_rules;
    size_t nrisk;
};

/* The channel of migration 0009's triggers and of what the nodes announce. */
#define APP_CHANNEL "gridloop"

void app_triage_free(struct app *app);
void app_risk_free(struct app *app);
/* The risk grade of a case just created, in its transaction (app_risk.c). */
struct case_new;
struct case_created;
int app_risk_intake(struct app *app, struct store_conn *c, const struct case_new *in,
                    const struct case_created *made, int64_t now, struct err *err);
void app_walk_free(struct app *app);
void app_geocode_init(struct app *app);
void app_geocode_free(struct app *app);
/* The sweeper's tick: a write probe when due and, every audit_anchor_interval, the signed
 * head in the log when the chain has grown. */
void app_health_tick(const struct app_ctx *x);
void app_sweeper_stop(struct app *app);
void app_notifier_stop(struct app *app);

/* Start the sweeper / the notification worker now (called with jobs_lock held, on the
 * leader). */
int app_sweeper_run(struct app *app, struct err *err);
int app_notifier_run(struct app *app, struct err *err);
struct notify_sms_channel;
/* The SMS channel the settings choose (NULL for "none"; app_notify.c). */
int app_sms_channel_new(struct app *app, struct notify_sms_channel **out, struct err *err);
/* This process's id and what it knows of the database (app_new). */
void app_cluster_init(struct app *app);
/* After an organisation write committed here: catch up with the database's version so
 * that the write's own announcement, when it comes back, is not another change. */
void app_cluster_org_changed(struct app *app);
/* Stop the cluster thread (app_free, first). */
void app_cluster_stop(struct app *app);
void app_cluster_free(struct app *app);
/* A notification this node published: announce it to the other nodes' streams. */
void app_cluster_published(struct app *app, int64_t notification_id);
/* Ask the leader's notification worker for a pass (this node does not run it). */
void app_cluster_wake_leader(struct app *app);
/* Writer thread: a case created in the current batch / the batch is about to commit. */
void app_cluster_case_created(struct app *app, int64_t case_id);
int app_cluster_before_commit(struct app *app, struct store_conn *c, struct err *err);

#endif /* GRIDLOOP_APP_APP_INTERNAL_H */
