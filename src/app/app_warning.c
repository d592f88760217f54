/*
 * Warnings raised by the running system (docs/warning.md §4): each raise is one audited write
 * in the caller's transaction (warning.raise, or warning.group when it joined an open warning of
 * its group; a silenced one is neither stored nor audited, only counted by the caller).
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "app/app_internal.h"
#include "audit/audit.h"
#include "cal/cal.h"
#include "core/clock.h"
#include "core/mem.h"
#include "geo/geo.h"
#include "org/org.h"
#include "sensor/sensor.h"
#include "store/store.h"
#include "warn/warn.h"
#include "warning/warning.h"

int app_warning_raise(const struct app_ctx *x, const struct warning_in *in, int64_t *id,
                      enum warning_outcome *outcome)
{
    int rc = warning_raise(x->conn, in, x->now, id, outcome, x->err);
    if (rc < 0 || *outcome == WARNING_SILENCED)
        return rc;
    char target[48];
    snprintf(target, sizeof(target), "warning/%lld", (long long)*id);
    const char *after =
        arena_printf(x->arena, "{\"kind\":\"%s\",\"level\":\"%s\",\"group\":\"%s\"}",
                     warning_kind_name(in->kind), warning_level_name(in->level), in->group_key);
    struct audit_entry e = {
        0,      "system", *outcome == WARNING_NEW ? "warning.raise" : "warning.group",
        target, NULL,     after};
    return audit_append(x->conn, &e, x->now, x->err);
}

int app_warn_offline(const struct app_ctx *x, const struct sensor_device *d, size_t n)
{
    const struct cal *cal;
    int rc;
    if (n && (rc = app_calendar(x, &cal)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        char seen[32] = "从未上报";
        if (d[i].last_seen_at) {
            clock_format_utc(d[i].last_seen_at + (int64_t)cal_utc_offset(cal) * 60, seen);
            seen[10] = ' ';
            seen[16] = '\0';
        }
        struct warning_in in = {
            .kind = WK_DEVICE_OFFLINE,
            .level = WL_MEDIUM,
            .group_key = arena_printf(x->arena, "device_offline:%s", d[i].code),
            .title = arena_printf(x->arena, "感知设备离线：%s", d[i].name),
            .evidence =
                arena_printf(x->arena,
                             "设备 %s（%s）应每 %d 秒上报一次，已超过 %d 个周期未上报；"
                             "最后一次上报：%s",
                             d[i].code, d[i].name, d[i].interval_s, SENSOR_OFFLINE_INTERVALS, seen),
            .region_id = d[i].region_id,
            .device_id = d[i].id,
            .has_location = d[i].has_location,
            .lat = d[i].lat,
            .lon = d[i].lon,
        };
        int64_t id;
        enum warning_outcome out;
        if ((rc = app_warning_raise(x, &in, &id, &out)) < 0)
            return rc;
    }
    return 0;
}

/* A spike's level: how far above what was expected, and how many. */
static enum warning_level spike_level(const struct warn_alarm *m)
{
    if (m->observed >= 10 && m->observed >= 3 * m->expected)
        return WL_HIGH;
    if (m->observed >= 2 * m->expected)
        return WL_MEDIUM;
    return WL_LOW;
}

/* Between two days' reads of a paced scan: sleep as long as the last read took. */
static void pace(void *ctx)
{
    uint64_t *since = ctx, took = clock_mono_ns() - *since;
    if (took > 2000000000ull) /* a stalled read (a checkpoint, a busy disk) is not doubled */
        took = 2000000000ull;
    struct timespec ts = {(time_t)(took / 1000000000ull), (long)(took % 1000000000ull)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    *since = clock_mono_ns();
}

int app_warn_spikes(const struct app_ctx *x, int paced, int *raised)
{
    uint64_t since = clock_mono_ns();
    struct warn_scan_opts o = {.now = x->now};
    if (paced) {
        o.slice_hours = 24;
        o.between = pace;
        o.between_ctx = &since;
    }
    struct warn_alarm *m;
    size_t n;
    int rc;
    *raised = 0;
    if ((rc = warn_spike_scan(x->conn, &o, x->arena, &m, &n, x->err)) < 0)
        return rc;
    if (n == 0)
        return 0;
    if ((rc = store_begin(x->conn, x->err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int64_t id;
        enum warning_outcome out;
        struct org_region reg;
        if ((rc = org_region_get_by_code(x->conn, m[i].region_code, x->arena, &reg, x->err)) < 0)
            goto fail;
        struct warning_in in = {
            .kind = WK_SPIKE,
            .level = spike_level(&m[i]),
            .group_key = arena_printf(x->arena, "spike:%s:%lld", m[i].region_code,
                                      (long long)m[i].category_id),
            .title = arena_printf(x->arena, "%s %s 诉求激增",
                                  *m[i].region_name ? m[i].region_name : m[i].region_code,
                                  m[i].category_name),
            .evidence =
                arena_printf(x->arena, "%s（显著性 p = %.2g；按近 %d 天同一时段的基线计算）",
                             m[i].explanation, m[i].p_value, WARN_BASELINE_DAYS),
            .region_id = reg.id,
            .category_id = m[i].category_id,
        };
        /* On the map at a point inside its street or community (a centroid may fall outside
         * a crescent-shaped street); a region drawn without a boundary has none. */
        struct err shape_err = ERR_INIT;
        if (reg.boundary && *reg.boundary &&
            geo_shape(reg.boundary, GEO_AREA, NULL, &in.lon, &in.lat, &shape_err) == 0)
            in.has_location = 1;
        if ((rc = app_warning_raise(x, &in, &id, &out)) < 0)
            goto fail;
        if (out != WARNING_SILENCED)
            (*raised)++;
    }
    return store_commit(x->conn, x->err);
fail:
    store_rollback(x->conn);
    return rc;
}
