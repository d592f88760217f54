/*
 * Write health (is the database taking writes?) and the audit anchor (the chain's head signed
 * with a key kept outside the database, published to the log and the API). Both answer what
 * the database itself cannot: a read-only database still answers reads, and a database file
 * rewritten by whoever can write it still holds a chain that verifies.
 */
#include <stdio.h>
#include <string.h>

#include "app/app_internal.h"
#include "audit/audit.h"
#include "core/conf.h"
#include "core/log.h"
#include "store/store.h"

/* clang-format off */
static const char *const health_codes[] = {
    [APP_HEALTH_OK]           = "",
    [APP_HEALTH_READ_ONLY]    = "db_read_only",
    [APP_HEALTH_DISK_FULL]    = "db_disk_full",
    [APP_HEALTH_IO_ERROR]     = "db_io_error",
    [APP_HEALTH_WRITE_FAILED] = "db_write_failed",
};
static const enum app_health from_fault[] = {
    [STORE_WRITE_OK]        = APP_HEALTH_WRITE_FAILED, /* the probe failed for another reason */
    [STORE_WRITE_READ_ONLY] = APP_HEALTH_READ_ONLY,
    [STORE_WRITE_DISK_FULL] = APP_HEALTH_DISK_FULL,
    [STORE_WRITE_IO_ERROR]  = APP_HEALTH_IO_ERROR,
};
/* clang-format on */

const char *app_health_code(enum app_health h)
{
    return health_codes[h];
}

/* One small write transaction of our own: the only way to know a write commits now. */
static enum app_health probe(const struct app_ctx *x)
{
    struct app *app = x->app;
    struct store *st = app->d.store;
    struct err err = ERR_INIT;
    enum app_health was = (enum app_health)atomic_load(&app->health), now;
    int rc = store_write_probe(x->conn, app->node, x->now, &err);
    if (rc == 0) {
        store_write_fault_clear(st);
        now = APP_HEALTH_OK;
    } else {
        now = from_fault[store_write_fault(st)];
    }
    atomic_store(&app->health, (int)now);
    atomic_store(&app->health_probed_at, x->now);
    if (now != was && now != APP_HEALTH_OK)
        log_msg(LOG_ERROR, "health: the database takes no writes (%s): %s; /healthz answers 503",
                app_health_code(now), err.msg);
    else if (now != was)
        log_msg(LOG_INFO, "health: the database takes writes again; /healthz answers 200");
    return now;
}

enum app_health app_write_health(const struct app_ctx *x)
{
    struct app *app = x->app;
    enum app_health h = (enum app_health)atomic_load(&app->health);
    enum store_write_fault seen = store_write_fault(app->d.store);
    /* A request saw a write fail since the last probe: degraded until a probe says not. */
    if (h == APP_HEALTH_OK && seen != STORE_WRITE_OK)
        h = from_fault[seen];
    int64_t every = h == APP_HEALTH_OK ? app->d.conf->health_probe_interval : 1;
    int64_t last = atomic_load(&app->health_probed_at);
    if ((last == 0 || x->now - last >= every || x->now < last) &&
        pthread_mutex_trylock(&app->health_lock) == 0) {
        h = probe(x);
        pthread_mutex_unlock(&app->health_lock);
    }
    return h;
}

int app_audit_anchor(const struct app_ctx *x, struct audit_anchor *a, char line[AUDIT_ANCHOR_MAX])
{
    if (!x->app->has_audit_key)
        return err_field(x->err, ERR_UNAVAILABLE, "audit_key_file",
                         "this server holds no audit signing key: run `gridloop init` to create "
                         "it, then restart");
    return audit_anchor_sign(x->conn, x->app->audit_seed, x->now, a, line, x->err);
}

void app_health_tick(const struct app_ctx *x)
{
    struct app *app = x->app;
    struct audit_anchor a;
    char line[AUDIT_ANCHOR_MAX];
    app_write_health(x);
    if (!app->has_audit_key || (app->anchor_logged_at && x->now - app->anchor_logged_at <
                                                             app->d.conf->audit_anchor_interval))
        return;
    if (app_audit_anchor(x, &a, line) < 0) {
        log_msg(LOG_WARN, "audit anchor: %s", x->err->msg);
        err_clear(x->err);
        return;
    }
    app->anchor_logged_at = x->now;
    /* A head that has not moved says nothing new; the log keeps the ones that did. */
    if (a.seq == app->anchor_logged_seq && app->anchor_logged_seq)
        return;
    app->anchor_logged_seq = a.seq;
    log_msg(LOG_INFO, "audit anchor: %s", line);
}
