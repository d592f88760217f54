/*
 * Shared by the files of the app module: the running state itself.
 */
#ifndef GRIDLOOP_APP_APP_INTERNAL_H
#define GRIDLOOP_APP_APP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "app/app.h"

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
    /* Group commit for intake and other high-rate writes. */
    struct store_writer *writer;
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
    /* Per-client rate windows (app.c). */
    pthread_mutex_t rate_lock;
    struct rate_window *rates;
};

void app_triage_free(struct app *app);
void app_sweeper_stop(struct app *app);
void app_notifier_stop(struct app *app);

#endif /* GRIDLOOP_APP_APP_INTERNAL_H */
