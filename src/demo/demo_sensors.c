/*
 * The demo's sensing network (docs/warning.md §5): thresholds for six kinds of device and a
 * dozen devices placed in the first grids of the district, among them DEMO-NOISE-1, the noise
 * sensor the checks publish to (noise_db above 85 dB opens a case; at or below 75 it has
 * recovered). tools/sensor-sim publishes realistic readings for these codes.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "demo/demo.h"
#include "geo/geo.h"
#include "sensor/sensor.h"
#include "store/store.h"

/* type, metric, label, unit, high, clear (the hysteresis), the case's category code */
static const struct {
    const char *type, *metric, *label, *unit;
    double high, clear;
    const char *category;
} LIMITS[] = {
    {"noise", "noise_db", "噪声", "dB", 85, 75, "070103"},
    {"water_level", "depth_cm", "路面积水深度", "cm", 15, 5, "020104"},
    {"manhole", "tilt_deg", "井盖倾斜角", "°", 10, 3, "020202"},
    {"smoke", "smoke_obs", "烟雾浓度", "%/m", 4, 1, NULL},
    {"gas", "ch4_lel", "燃气浓度", "%LEL", 20, 5, NULL},
    {"water_quality", "turbidity_ntu", "浑浊度", "NTU", 3, 1, "060103"},
};

/* code, type, name, which grid (the n-th by code), reporting interval */
static const struct {
    const char *code, *type, *name;
    int grid, interval;
} DEVICES[] = {
    {"DEMO-NOISE-1", "noise", "噪声监测点1（广场）", 0, 60},
    {"DEMO-NOISE-2", "noise", "噪声监测点2（商业街）", 3, 60},
    {"DEMO-NOISE-3", "noise", "噪声监测点3（工地旁）", 7, 60},
    {"DEMO-WATER-1", "water_level", "积水监测点1（下穿通道）", 1, 120},
    {"DEMO-WATER-2", "water_level", "积水监测点2（低洼路段）", 5, 120},
    {"DEMO-MANHOLE-1", "manhole", "智能井盖1", 2, 300},
    {"DEMO-MANHOLE-2", "manhole", "智能井盖2", 6, 300},
    {"DEMO-SMOKE-1", "smoke", "烟感1（老旧小区楼道）", 4, 300},
    {"DEMO-GAS-1", "gas", "燃气监测1（餐饮街）", 8, 120},
    {"DEMO-WQ-1", "water_quality", "水质监测1（二次供水泵房）", 9, 600},
};

struct grid_row {
    int64_t id;
    char *boundary;
};

static int read_grid(void *ctx, struct store_stmt *s)
{
    struct grid_row *g = ctx;
    g->id = store_col_int(s, 0);
    g->boundary = xstrdup(store_col_text(s, 1));
    return 0;
}

int demo_load_sensors(struct store_conn *c, int64_t now, struct err *err)
{
    int rc;
    for (size_t i = 0; i < sizeof(LIMITS) / sizeof(LIMITS[0]); i++) {
        int64_t category = 0;
        if (LIMITS[i].category &&
            (rc = store_one_i64(c, "SELECT id FROM categories WHERE code = ?",
                                STORE_ARGS(store_text(LIMITS[i].category)), &category, err)) < 0)
            return rc;
        struct sensor_threshold t = {0,
                                     LIMITS[i].type,
                                     LIMITS[i].metric,
                                     LIMITS[i].label,
                                     LIMITS[i].unit,
                                     LIMITS[i].high,
                                     LIMITS[i].clear,
                                     category,
                                     NULL,
                                     0};
        if ((rc = sensor_threshold_set(c, &t, now, err)) < 0)
            return rc;
    }
    for (size_t i = 0; i < sizeof(DEVICES) / sizeof(DEVICES[0]); i++) {
        struct grid_row g = {0};
        double lon = 0, lat = 0;
        if ((rc = store_one(c,
                            "SELECT id, boundary FROM regions WHERE level = 'grid'"
                            " AND boundary IS NOT NULL ORDER BY code LIMIT 1 OFFSET ?",
                            STORE_ARGS(store_i64(DEVICES[i].grid)), read_grid, &g, err)) < 0)
            return rc;
        if (rc == 0)
            continue; /* a district with fewer grids has fewer devices */
        rc = geo_shape(g.boundary, GEO_AREA, NULL, &lon, &lat, err);
        free(g.boundary);
        if (rc < 0)
            return rc;
        struct sensor_device_in in = {DEVICES[i].code,
                                      DEVICES[i].type,
                                      DEVICES[i].name,
                                      1,
                                      lat,
                                      lon,
                                      g.id,
                                      0,
                                      DEVICES[i].interval,
                                      1};
        int64_t id;
        if ((rc = sensor_device_create(c, &in, now, &id, err)) < 0)
            return rc;
    }
    return 0;
}
