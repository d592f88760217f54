/*
 * The overdue sweeper: marks cases past their deadlines, urges and escalates them (case_sweep)
 * as the system, on demand and from a background thread every sweep_interval seconds. It also
 * removes attachment files no row references (attach_sweep), on demand and every half
 * attach_orphan_grace: nothing can become removable faster than that.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "app/app_internal.h"
#include "attach/attach.h"
#include "audit/audit.h"
#include "case/case.h"
#include "core/clock.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/mem.h"
#include "opindex/opindex.h"
#include "store/store.h"

static int sweep_cases(const struct app_ctx *x, struct case_sweep_report *rep)
{
    struct app_ctx sys = *x;
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    sys.user = NULL; /* the sweeper acts as the system, whoever asked for the run */
    int rc = app_case_env(&sys, &env, &actor, &cfg);
    return rc < 0 ? rc : case_sweep(&env, rep, x->err);
}

/*
 * Unreferenced attachment files older than attach_orphan_grace (by the wall clock: file times
 * are, whatever the test clock says). Each removal is logged by attach_sweep; a sweep that
 * removed something is one audit entry with the counts. A failure is logged, not returned:
 * the case sweep is what the caller asked for.
 */
static void sweep_files(const struct app_ctx *x)
{
    struct attach_store *st = x->app->d.attach;
    struct attach_sweep_report rep;
    struct err err = ERR_INIT;
    if (!st)
        return;
    if (attach_sweep(st, x->conn, (int64_t)time(NULL), x->app->d.conf->attach_orphan_grace, &rep,
                     &err) < 0) {
        log_msg(LOG_WARN, "sweeper: attachment files not swept: %s", err.msg);
        return;
    }
    if (!rep.removed)
        return;
    char after[96];
    snprintf(after, sizeof(after), "{\"files\":%d,\"bytes\":%lld}", rep.removed,
             (long long)rep.bytes);
    struct audit_entry e = {0, "system", "attachment.sweep", "attachments", NULL, after};
    if (store_begin(x->conn, &err) < 0 || audit_append(x->conn, &e, x->now, &err) < 0 ||
        store_commit(x->conn, &err) < 0) {
        store_rollback(x->conn);
        log_msg(LOG_ERROR, "sweeper: removal of %d unreferenced file(s) not audited: %s",
                rep.removed, err.msg);
        return;
    }
    log_msg(LOG_INFO, "sweeper: %d unreferenced attachment file(s) removed (%lld bytes)",
            rep.removed, (long long)rep.bytes);
}

int app_sweep(const struct app_ctx *x, struct app_sweep_report *rep)
{
    int rc = sweep_cases(x, rep->cases);
    if (rc == 0)
        rc = app_sensor_sweep(x, &rep->devices_offline);
    if (rc == 0)
        sweep_files(x);
    return rc;
}

/* Planner statistics, hourly, and only once there is enough data for them to be
 * representative: statistics taken on a nearly empty database make SQLite choose scans as it
 * grows (measured: intake fell from ~1,900 to ~1,200 cases/s). */
static void maybe_optimize(const struct app_ctx *x, unsigned run)
{
    int64_t cases = 0;
    /* Hourly too: idempotency keys older than a day are forgotten. */
    if (run % 60 == 0 &&
        case_intake_keys_expire(x->conn, x->now - CASE_IDEMPOTENCY_KEY_TTL, x->err) < 0)
        log_msg(LOG_WARN, "sweeper: old idempotency keys not removed: %s", x->err->msg);
    if (run % 60 == 0 && case_last_id(x->conn, &cases, x->err) >= 0 && cases >= 10000 &&
        store_optimize(x->conn, x->err) < 0)
        log_msg(LOG_WARN, "sweeper: planner statistics not refreshed: %s", x->err->msg);
}

#define SWEEPER_NICE 10

/* The city operation index reads four weeks of cases for the district and again for each
 * street: milliseconds on a county's database, but ~35 s at 10,000,000 cases on SQLite (and
 * 2.5 s a region on PostgreSQL, whose processes run at full priority), every minute. It runs
 * again once OPINDEX_DUTY times its last computation has passed, so it takes about a tenth of
 * a core at most however large the database grows, and still every run while it is quick. */
#define OPINDEX_DUTY 10

static void *sweeper_main(void *arg)
{
    struct app *app = arg;
    unsigned runs = 0;
    time_t files_swept = 0, spikes_scanned = 0, opindex_due = 0;
    /* Everything the sweeper does can wait a moment; intake cannot. On Linux a thread has its
     * own nice value: lowered here, a scan reading four weeks of cases takes the CPU only when
     * requests leave it idle (docs/warning.md, "Cost of a scan"). */
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), SWEEPER_NICE) < 0)
        log_msg(LOG_WARN, "sweeper: priority not lowered: %s", strerror(errno));
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += app->d.conf->sweep_interval;
        pthread_mutex_lock(&app->sweep_lock);
        while (!app->sweep_stop &&
               pthread_cond_timedwait(&app->sweep_cond, &app->sweep_lock, &until) != ETIMEDOUT)
            ;
        int stop = app->sweep_stop;
        pthread_mutex_unlock(&app->sweep_lock);
        if (stop)
            break;
        struct arena a;
        struct err err = ERR_INIT;
        struct case_sweep_report rep;
        struct app_ctx x = {.app = app, .arena = &a, .now = app_now(app), .err = &err};
        arena_init(&a, 4096);
        if (store_conn(app->d.store, &x.conn, &err) == 0)
            app_health_tick(&x);
        if (x.conn && sweep_cases(&x, &rep) == 0) {
            if (time(NULL) - files_swept >= app->d.conf->attach_orphan_grace / 2) {
                sweep_files(&x);
                files_swept = time(NULL);
            }
            if (rep.urged)
                log_msg(LOG_INFO, "sweeper: %d overdue case(s) urged, %d escalated", rep.urged,
                        rep.escalated);
            int offline = 0;
            if (app_sensor_sweep(&x, &offline) < 0)
                log_msg(LOG_ERROR, "sweeper: devices not checked: %s", err.msg);
            /* The city operation index every run while it is quick (OPINDEX_DUTY): what has
             * arrived moves it. Not in a transaction: the reads take a while on a large
             * database and must not hold the write lock intake needs; each row kept commits
             * alone. */
            int kept = 0;
            if (time(NULL) >= opindex_due) {
                uint64_t t0 = clock_mono_ns();
                if (opindex_refresh(x.conn, x.now, &kept, &err) < 0)
                    log_msg(LOG_ERROR, "sweeper: city operation index not computed: %s", err.msg);
                double took = (double)(clock_mono_ns() - t0) / 1e9;
                opindex_due = time(NULL) + (time_t)(OPINDEX_DUTY * took);
                if (took >= 1)
                    log_msg(LOG_INFO,
                            "sweeper: city operation index computed in %.1f s; next in %.0f s"
                            " at the earliest",
                            took, OPINDEX_DUTY * took);
            }
            /* Spikes every spike_scan_interval (hourly): a scan reads four weeks of cases
             * (seconds on a large database). */
            int spikes = 0;
            if (time(NULL) - spikes_scanned >= app->d.conf->spike_scan_interval) {
                uint64_t t0 = clock_mono_ns();
                spikes_scanned = time(NULL);
                if (app_warn_spikes(&x, 1, &spikes) < 0)
                    log_msg(LOG_ERROR, "sweeper: spikes not scanned: %s", err.msg);
                else
                    log_msg(spikes ? LOG_INFO : LOG_DEBUG,
                            "sweeper: spikes scanned in %.2f s, %d warning(s)",
                            (double)(clock_mono_ns() - t0) / 1e9, spikes);
            }
            maybe_optimize(&x, runs++);
        } else {
            log_msg(LOG_ERROR, "sweeper: %s", err.msg);
        }
        arena_release(&a);
    }
    return NULL;
}

/* app_start_sweeper (app_cluster.c) runs this on the node that holds the lock. */
int app_sweeper_run(struct app *app, struct err *err)
{
    app->sweep_stop = 0;
    if (pthread_create(&app->sweeper, NULL, sweeper_main, app) != 0)
        return err_set(err, ERR_INTERNAL, "cannot start the sweeper thread");
    app->sweeper_running = 1;
    return 0;
}

void app_sweeper_stop(struct app *app)
{
    if (!app->sweeper_running)
        return;
    pthread_mutex_lock(&app->sweep_lock);
    app->sweep_stop = 1;
    pthread_cond_signal(&app->sweep_cond);
    pthread_mutex_unlock(&app->sweep_lock);
    pthread_join(app->sweeper, NULL);
    app->sweeper_running = 0;
}
