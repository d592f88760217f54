/*
 * The running application: its dependencies, the clock, the organisation version and what
 * is derived from it (calendar, region index), the case environment, the group-commit
 * writer and the rate windows. The services with threads of their own live beside this
 * file: app_sweep.c, app_notify.c, app_triage.c, app_intake.c.
 */
#include <stdlib.h>
#include <string.h>

#include "app/app_internal.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "cal/cal.h"
#include "case/case.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/mem.h"
#include "geo/geo.h"
#include "org/org.h"
#include "points/points.h"
#include "store/store.h"
#include "store/store_writer.h"

const struct conf *app_conf(const struct app *app)
{
    return app->d.conf;
}
struct store *app_store(const struct app *app)
{
    return app->d.store;
}
struct auth *app_auth(const struct app *app)
{
    return app->d.auth;
}
struct attach_store *app_attach(const struct app *app)
{
    return app->d.attach;
}
const unsigned char *app_data_key(const struct app *app)
{
    return app->d.data_key;
}
struct store_writer *app_writer(const struct app *app)
{
    return app->writer;
}

int64_t app_now(struct app *app)
{
    return clock_now(&app->d.clock) + atomic_load(&app->clock_offset);
}

void app_clock_set(struct app *app, int64_t now)
{
    atomic_store(&app->clock_offset, now - clock_now(&app->d.clock));
}

int64_t app_org_version(struct app *app)
{
    return atomic_load(&app->org_version);
}

void app_org_changed(struct app *app)
{
    atomic_fetch_add(&app->org_version, 1);
    app_cluster_org_changed(app);
}

int app_calendar(const struct app_ctx *x, const struct cal **out)
{
    struct app *app = x->app;
    int rc = 0;
    pthread_mutex_lock(&app->cal_lock);
    int64_t version = atomic_load(&app->org_version);
    if (!app->cal || app->cal_version != version) {
        struct cal *fresh;
        if ((rc = org_calendar_load(x->conn, &fresh, x->err)) == 0) {
            if (app->cal) {
                struct retired_cal *r = xcalloc(1, sizeof(*r));
                r->cal = app->cal;
                r->next = app->retired;
                app->retired = r;
            }
            app->cal = fresh;
            app->cal_version = version;
        }
    }
    *out = app->cal;
    pthread_mutex_unlock(&app->cal_lock);
    return rc;
}

int app_grids_build(struct store_conn *c, struct arena *a, struct geo_index **out, struct err *err)
{
    struct org_region_filter f = {.with_boundary = 1};
    struct org_region *v;
    size_t n;
    struct geo_index *ix;
    int rc;
    *out = NULL;
    if ((rc = org_region_list(c, &f, a, &v, &n, err)) < 0 || (rc = geo_index_new(&ix, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].boundary)
            continue;
        struct err ignored = ERR_INIT;
        /* A stored boundary was validated on write; one GEOS now refuses is skipped, not fatal. */
        geo_index_add(ix, v[i].id, org_region_depth(v[i].level), v[i].boundary, &ignored);
    }
    *out = ix;
    return 0;
}

/* The point index, rebuilt on first use after any organisation write. Called with geo_lock
 * held. */
static int geo_current(const struct app_ctx *x, struct geo_index **out)
{
    struct app *app = x->app;
    int64_t version = atomic_load(&app->org_version);
    if (app->geo && app->geo_version == version) {
        *out = app->geo;
        return 0;
    }
    struct geo_index *ix;
    int rc;
    if ((rc = app_grids_build(x->conn, x->arena, &ix, x->err)) < 0)
        return rc;
    /* Lookups on the old index ran under the same lock, so it can go. */
    geo_index_free(app->geo);
    app->geo = ix;
    app->geo_version = version;
    *out = ix;
    return 0;
}

int app_locate_region(const struct app_ctx *x, double lat, double lon, int64_t *region_id)
{
    struct geo_index *ix;
    pthread_mutex_lock(&x->app->geo_lock);
    int rc = geo_current(x, &ix);
    if (rc == 0)
        *region_id = geo_locate(ix, lon, lat);
    pthread_mutex_unlock(&x->app->geo_lock);
    return rc;
}

int app_grids_hold(const struct app_ctx *x, struct geo_index **out)
{
    pthread_mutex_lock(&x->app->geo_lock);
    int rc = geo_current(x, out);
    if (rc < 0)
        pthread_mutex_unlock(&x->app->geo_lock);
    return rc;
}

void app_grids_release(const struct app_ctx *x)
{
    pthread_mutex_unlock(&x->app->geo_lock);
}

/* Case changes that earn the reporting resident points (the points bank's rules by code). */
static const struct {
    const char *action; /* the case's audit action */
    const char *rule;   /* points_rules.code */
    int if_closed;      /* only when the action left the case closed */
} case_points[] = {
    /* 有效举报: the report was handled and closed, with the citizen satisfied or closed by the
     * centre after the reply (a direct answer to a question is not a report: "answer" is not
     * here; a cancelled or merged report earns nothing). */
    {"case.evaluate", "valid_report", 1},
    {"case.close", "valid_report", 1},
    /* 核实确认: a grid worker confirmed the report on site. */
    {"case.task_confirm", "verification", 0},
};

/* Inside the case's transaction, right after its audit entry: the award and its own entry
 * commit or roll back with the change that earned them. */
static int award_case_points(const struct case_actor *a, struct store_conn *c, const char *action,
                             const char *target, const char *summary, int64_t now, struct err *err)
{
    for (size_t i = 0; i < sizeof(case_points) / sizeof(case_points[0]); i++) {
        int64_t case_id, entry;
        char *end, tgt[48], after[96];
        if (strcmp(action, case_points[i].action) != 0)
            continue;
        /* The summary is case_tx_summary's own JSON, state first. */
        if (case_points[i].if_closed &&
            (!summary || strncmp(summary, "{\"state\":\"closed\"", 17) != 0))
            return 0;
        if (strncmp(target, "case/", 5) != 0 || (case_id = strtoll(target + 5, &end, 10)) <= 0 ||
            *end)
            BUG("case audit target '%s' is not case/ID", target);
        int rc = points_award_for_case(c, case_id, case_points[i].rule, now, &entry, err);
        if (rc <= 0)
            return rc;
        snprintf(tgt, sizeof(tgt), "points/%lld", (long long)entry);
        snprintf(after, sizeof(after), "{\"rule\":\"%s\",\"case\":%lld}", case_points[i].rule,
                 (long long)case_id);
        struct audit_entry e = {
            a->user_id, a->user_id ? a->name : "system", "points.award", tgt, NULL, after};
        return audit_append(c, &e, now, err);
    }
    return 0;
}

static int audit_hook(void *ctx, struct store_conn *c, const char *action, const char *target,
                      const char *before, const char *after, struct err *err)
{
    const struct case_actor *a = ctx;
    struct audit_entry e = {a->user_id, a->user_id ? a->name : "system", action, target, before,
                            after};
    struct clock clk = clock_real();
    int64_t now = clock_now(&clk);
    int rc = audit_append(c, &e, now, err);
    return rc < 0 ? rc : award_case_points(a, c, action, target, after, now, err);
}

void app_actor(const struct auth_user *u, struct case_actor *a)
{
    memset(a, 0, sizeof(*a));
    if (!u)
        return;
    a->user_id = u->id;
    a->name = u->name;
    a->roles = u->roles;
    a->depts = u->depts;
    a->ndepts = u->ndepts;
    a->region_code = u->region_code;
}

int app_case_env(const struct app_ctx *x, struct case_env *env, struct case_actor *actor,
                 struct case_config *cfg)
{
    const struct cal *cal;
    const struct conf *cf = x->app->d.conf;
    int rc = app_calendar(x, &cal);
    if (rc < 0)
        return rc;
    app_actor(x->user, actor);
    *cfg = (struct case_config){cf->rectify_rounds, cf->rectify_hours_general,
                                cf->rectify_hours_complex, x->app->d.data_key};
    *env = (struct case_env){x->conn, cal, cfg, actor, x->now, audit_hook, actor};
    return 0;
}

/* Several nodes: the count is a row of the database (auth_rate_count), so two nodes never
 * both take the last request of a minute. Not on SQLite, where one process serves: a write
 * per request there would queue behind the group-commit writer's batches for what memory
 * does exactly. */
static int rate_take_shared(struct app *app, int kind, int64_t id, int limit, int64_t minute)
{
    struct store_conn *c;
    struct err err = ERR_INIT;
    int64_t n = 0;
    if (store_conn(app->d.store, &c, &err) < 0 ||
        auth_rate_count(c, kind, id, minute, &n, &err) < 0) {
        log_msg(LOG_WARN, "rate window not counted: %s", err.msg);
        return 1;
    }
    return n <= limit;
}

int app_rate_take(struct app *app, int kind, int64_t id, int limit, int64_t now, int *retry_after)
{
    int64_t minute = now / 60;
    int ok = 1;
    *retry_after = (int)(60 - now % 60);
    if (app->shared_rates)
        return rate_take_shared(app, kind, id, limit, minute);
    pthread_mutex_lock(&app->rate_lock);
    struct rate_window *w = app->rates;
    while (w && (w->kind != kind || w->id != id))
        w = w->next;
    if (!w) {
        w = xcalloc(1, sizeof(*w));
        w->kind = kind;
        w->id = id;
        w->next = app->rates;
        app->rates = w;
    }
    if (w->minute != minute) {
        w->minute = minute;
        w->count = 0;
    }
    if (w->count >= limit)
        ok = 0;
    else
        w->count++;
    pthread_mutex_unlock(&app->rate_lock);
    *retry_after = (int)(60 - now % 60);
    return ok;
}
