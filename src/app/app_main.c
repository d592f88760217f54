/*
 * The app's life: app_new() starts the group-commit writer; app_free() stops every service
 * in the order that loses nothing (the sweeper, then the writer, which commits and answers
 * what is queued, then the notifier) and frees the state. The one file that knows every
 * service, so the services need not know each other.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_internal.h"
#include "attach/attach.h"
#include "cal/cal.h"
#include "case/case.h"
#include "core/clock.h"
#include "core/mem.h"
#include "geo/geo.h"
#include "store/store.h"
#include "store/store_writer.h"

/* Jobs per transaction at most; 64 connections never queue more than 64 at once. */
#define WRITER_MAX_BATCH 256
/* How long a batch of jobs nobody waits for (MQTT readings, acknowledged already) may wait for
 * company: each commit writes every page it touched, one per device's readings, so a stream at
 * tens of thousands a second costs a quarter less CPU in batches gathered over 5 ms (measured,
 * docs/benchmarks.md). Requests and breaching readings never wait. */
#define WRITER_GATHER_MS 5

/* The writer's own page cache, 32 MiB (SQLite's default is 2 MB). Each case adds ~30 index
 * entries at places spread over the B-trees; once a database outgrows the cache, every one
 * is a page read again from the kernel. At 10,000,000 cases the writer then spent ~10 % less
 * CPU a case with 32 MiB (intake 74 % -> 78 % of an empty database's, docs/benchmarks.md);
 * 64 MiB gave little more and would bring a server with 200,000 open cases to its 256 MiB
 * budget. A small database never fills it. */
#define WRITER_CACHE_KB (32 * 1024)

/*
 * New cases enter the full-text index at most every TEXT_INDEX_NS, all of them in one
 * statement inside the batch that is committing then: a case costs a third of what it costs
 * in batches of one commit's size (positions are not kept: migration 0014), and most batches
 * carry no index work. A text search first brings the index up to date (app_text_index_flush),
 * so searches never miss a case that was acknowledged before they began.
 */
#define TEXT_INDEX_NS 100000000u
static int before_commit(void *arg, struct store_conn *c, struct err *err)
{
    struct app *app = arg;
    uint64_t now = clock_mono_ns();
    if (now - app->text_indexed_at >= TEXT_INDEX_NS) {
        int rc = case_index_pending(c, err);
        if (rc < 0)
            return rc;
        app->text_indexed_at = now;
    }
    return app_cluster_before_commit(arg, c, err);
}

static int index_job(void *arg, struct store_conn *c, struct err *err)
{
    (void)arg;
    return case_index_pending(c, err);
}

int app_text_index_flush(const struct app_ctx *x)
{
    int pending = 0;
    int rc = case_index_behind(x->conn, &pending, x->err);
    if (rc < 0 || !pending)
        return rc;
    return store_writer_run(x->app->writer, index_job, NULL, x->err);
}

int app_new(struct app **out, const struct app_deps *deps, struct err *err)
{
    struct app *app = xcalloc(1, sizeof(*app));
    app->d = *deps;
    app_cluster_init(app);
    struct store_writer_options o = {.max_batch = WRITER_MAX_BATCH,
                                     .gather_ms = WRITER_GATHER_MS,
                                     .before_commit = before_commit,
                                     .before_commit_arg = app,
                                     .cache_kb = WRITER_CACHE_KB};
    int rc = store_start_checkpointer(app->d.store, err);
    if (rc == 0)
        rc = store_writer_start(&app->writer, app->d.store, &o, err);
    if (rc < 0) {
        app_cluster_free(app);
        free(app);
        return rc;
    }
    pthread_mutex_init(&app->cal_lock, NULL);
    pthread_mutex_init(&app->geo_lock, NULL);
    pthread_mutex_init(&app->walk_lock, NULL);
    app_geocode_init(app);
    pthread_mutex_init(&app->sweep_lock, NULL);
    pthread_cond_init(&app->sweep_cond, NULL);
    pthread_mutex_init(&app->rate_lock, NULL);
    pthread_mutex_init(&app->health_lock, NULL);
    pthread_mutex_init(&app->sensor_lock, NULL);
    pthread_mutex_init(&app->risk_lock, NULL);
    pthread_cond_init(&app->sensor_cond, NULL);
    if (deps->audit_key) {
        memcpy(app->audit_seed, deps->audit_key, sizeof(app->audit_seed));
        app->has_audit_key = 1;
    }
    app->d.audit_key = NULL; /* the copy above is the one used; the caller wipes its own */
    atomic_store(&app->org_version, 1);
    *out = app;
    return 0;
}

void app_free(struct app *app)
{
    if (!app)
        return;
    app_cluster_stop(app); /* no node role changes from here on */
    /* Uploads still being decoded are attached to their cases through the app: they finish
     * while it is whole. */
    if (app->d.attach)
        attach_store_stop(app->d.attach);
    app_sweeper_stop(app);
    /* No new readings, and those taken from the broker committed, before the writer stops. */
    app_mqtt_stop(app);
    app_sensor_drain(app);
    /* The notifier's transactions are jobs of the writer: it stops first. */
    app_notifier_stop(app);
    store_writer_stop(app->writer); /* runs what is still queued first */
    app->writer = NULL;
    sensor_cache_free(app->sensor_cache);
    app_triage_free(app);
    app_risk_free(app);
    pthread_mutex_destroy(&app->risk_lock);
    pthread_mutex_destroy(&app->sweep_lock);
    pthread_cond_destroy(&app->sweep_cond);
    geo_index_free(app->geo);
    pthread_mutex_destroy(&app->geo_lock);
    app_walk_free(app);
    pthread_mutex_destroy(&app->walk_lock);
    app_geocode_free(app);
    cal_free(app->cal);
    while (app->retired) {
        struct retired_cal *r = app->retired;
        app->retired = r->next;
        cal_free(r->cal);
        free(r);
    }
    pthread_mutex_destroy(&app->cal_lock);
    while (app->rates) {
        struct rate_window *w = app->rates;
        app->rates = w->next;
        free(w);
    }
    pthread_mutex_destroy(&app->rate_lock);
    pthread_mutex_destroy(&app->health_lock);
    pthread_mutex_destroy(&app->sensor_lock);
    pthread_cond_destroy(&app->sensor_cond);
    sodium_memzero(app->audit_seed, sizeof(app->audit_seed));
    app_cluster_free(app);
    free(app);
}
