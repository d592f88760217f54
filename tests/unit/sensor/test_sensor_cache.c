/*
 * Tests for sensor's cache (what the store writer keeps between jobs): devices by code and the
 * thresholds, served from memory until cleared, never an unknown code; readings judged by the
 * cached thresholds until a clear, then by the database's (SQLite; PostgreSQL too when
 * GRIDLOOP_TEST_PG is set, as scripts/with-pg.sh does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "sensor/sensor.h"
#include "store/store.h"
#include "test.h"

static struct store *open_store(struct store_conn **c)
{
    struct err e = ERR_INIT;
    char path[512];
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    struct store *st = NULL;
    log_set_level(LOG_OFF);
    if (pg && *pg) {
        /* A database of its own on the throwaway server of scripts/with-pg.sh. */
        char cmd[700];
        snprintf(path, sizeof(path), "%s/gridloop_sensor_%ld", pg, (long)getpid());
        snprintf(cmd, sizeof(cmd), "createdb --maintenance-db='%s/postgres' gridloop_sensor_%ld",
                 pg, (long)getpid());
        CHECK_INT_EQ(system(cmd), 0, "%s", cmd);
    } else {
        snprintf(path, sizeof(path), "%s/sensor_cache.db", test_tmpdir());
    }
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    if (!st)
        return NULL;
    CHECK_INT_EQ(store_conn(st, c, &e), 0, "conn: %s", e.msg);
    return st;
}

static void set_threshold(struct store_conn *c, double high, double clear)
{
    struct err e = ERR_INIT;
    struct sensor_threshold t = {.type = "probe",
                                 .metric = "level_x",
                                 .label = "探测值",
                                 .unit = "",
                                 .high = high,
                                 .clear = clear};
    CHECK_INT_EQ(sensor_threshold_set(c, &t, 1000, &e), 0, "threshold: %s", e.msg);
}

/* One reading of 'd' at 'at' judged with the cache: the number of transitions it made. */
static size_t judge(struct store_conn *c, struct sensor_cache *k, const struct sensor_device *d,
                    int64_t at, double value, struct arena *a)
{
    struct err e = ERR_INIT;
    struct sensor_value v = {"level_x", value};
    struct sensor_transition t[SENSOR_VALUES_MAX];
    size_t nt = 0;
    int dup = 0;
    CHECK_INT_EQ(sensor_ingest_cached(c, k, d, at, &v, 1, at, a, t, &nt, &dup, &e), 0, "ingest: %s",
                 e.msg);
    CHECK_INT_EQ(dup, 0, "not a duplicate");
    return nt;
}

TEST(sensor_cache_serves_devices_and_thresholds_until_cleared)
{
    struct store_conn *c = NULL;
    struct store *st = open_store(&c);
    struct err e = ERR_INIT;
    struct arena a;
    if (!st)
        return;
    arena_init(&a, 1 << 14);
    struct sensor_cache *k = sensor_cache_new();
    const struct sensor_device *d = NULL;
    int64_t id = 0;

    /* An unknown code is not kept: registered afterwards, it is found without a clear. */
    CHECK_INT_EQ(sensor_cache_device(k, c, "PROBE-1", &d, &e), ERR_NOT_FOUND, "unknown");
    CHECK_STR_EQ(e.field, "device", "field");
    struct sensor_device_in in = {"PROBE-1", "probe", "探测点", 0, 0, 0, 0, 0, 60, 1};
    CHECK_INT_EQ(sensor_device_create(c, &in, 1000, &id, &e), 0, "create: %s", e.msg);
    CHECK_INT_EQ(sensor_cache_device(k, c, "PROBE-1", &d, &e), 0, "found: %s", e.msg);
    if (!d)
        goto out;
    CHECK_INT_EQ(d->id, id, "its id");
    CHECK(d->active, "active");

    /* Kept: a change in the database is not seen until the owner clears the cache. */
    in.active = 0;
    in.name = "改名探测点";
    CHECK_INT_EQ(sensor_device_update(c, id, &in, 1001, &e), 0, "update: %s", e.msg);
    CHECK_INT_EQ(sensor_cache_device(k, c, "PROBE-1", &d, &e), 0, "cached: %s", e.msg);
    CHECK(d->active && strcmp(d->name, "探测点") == 0, "the cached copy until a clear");
    sensor_cache_clear(k);
    CHECK_INT_EQ(sensor_cache_device(k, c, "PROBE-1", &d, &e), 0, "read again: %s", e.msg);
    CHECK(!d->active && strcmp(d->name, "改名探测点") == 0, "the database's after a clear");
    in.active = 1;
    CHECK_INT_EQ(sensor_device_update(c, id, &in, 1002, &e), 0, "update: %s", e.msg);
    sensor_cache_clear(k);
    CHECK_INT_EQ(sensor_cache_device(k, c, "PROBE-1", &d, &e), 0, "read again: %s", e.msg);

    /* Many devices: the table grows (rehash) and every one is still found by its code. */
    for (int i = 0; i < 3000; i++) {
        char code[32];
        struct sensor_device_in m = {code, "probe", "批量点", 0, 0, 0, 0, 0, 60, 1};
        int64_t mid = 0;
        const struct sensor_device *x = NULL;
        snprintf(code, sizeof(code), "MANY-%04d", i);
        CHECK_INT_EQ(sensor_device_create(c, &m, 1000, &mid, &e), 0, "create: %s", e.msg);
        CHECK_INT_EQ(sensor_cache_device(k, c, code, &x, &e), 0, "found: %s", e.msg);
    }
    for (int i = 0; i < 3000; i += 7) {
        char code[32];
        const struct sensor_device *x = NULL;
        snprintf(code, sizeof(code), "MANY-%04d", i);
        CHECK_INT_EQ(sensor_cache_device(k, c, code, &x, &e), 0, "again: %s", e.msg);
        CHECK(x && strcmp(x->code, code) == 0, "%s found as %s", code, x ? x->code : "nothing");
    }
    CHECK_INT_EQ(sensor_cache_device(k, c, "PROBE-1", &d, &e), 0, "after growing: %s", e.msg);

    /* Thresholds: read on first use; a value above the cached 'high' breaches, a change of the
     * threshold is not seen until a clear, then it is. */
    set_threshold(c, 100, 10);
    CHECK_INT_EQ(judge(c, k, d, 2000, 50, &a), 0, "50 under 100");
    set_threshold(c, 40, 10);
    CHECK_INT_EQ(judge(c, k, d, 2001, 55, &a), 0, "judged by the cached 100");
    sensor_cache_clear(k);
    CHECK_INT_EQ(sensor_cache_device(k, c, "PROBE-1", &d, &e), 0, "read again: %s", e.msg);
    CHECK_INT_EQ(judge(c, k, d, 2002, 56, &a), 1, "judged by the new 40: a breach");
    /* A metric with no threshold is stored and not judged. */
    struct sensor_value v = {"other_y", 1e9};
    struct sensor_transition t[SENSOR_VALUES_MAX];
    size_t nt = 0;
    int dup = 0;
    CHECK_INT_EQ(sensor_ingest_cached(c, k, d, 2003, &v, 1, 2003, &a, t, &nt, &dup, &e), 0,
                 "ingest: %s", e.msg);
    CHECK_INT_EQ(nt, 0, "no threshold, no transition");
out:
    sensor_cache_free(k);
    arena_release(&a);
    store_close(st);
}
