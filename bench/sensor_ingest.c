/*
 * Where the store writer's time goes for a sensor reading (docs/benchmarks.md, "Sensor readings
 * over MQTT"): the work of one reading as app_sensor.c's ingest() does it (the device by code,
 * then sensor_ingest: the INSERT, the threshold, the condition, last_seen_at), in transactions
 * of 256 readings as the group-commit writer makes them, on one thread with no server, and the
 * same with parts left out. Over a database made by `gridloop init --db DB --demo`; adds
 * DEVICES devices SIM-B00001.. (the six demo types in turn) unless they are there.
 *   build/bench_sensor_ingest DB [READINGS [DEVICES]]          default 200000 5000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "sensor/sensor.h"
#include "store/store.h"

static const char *TYPES[] = {"noise", "water_level", "manhole", "smoke", "gas", "water_quality"};
static const char *METRICS[] = {"noise_db",  "depth_cm", "tilt_deg",
                                "smoke_obs", "ch4_lel",  "turbidity_ntu"};
static const double NORMAL[] = {55, 0, 0.6, 0.2, 1, 0.4};

enum variant { FULL, SAVEPOINT, LOOKUP, INSERT_ONLY, VARIANTS };
static const char *NAMES[] = {"full (device by code + sensor_ingest)",
                              "full + a savepoint per reading (the MQTT path)",
                              "device by code only", "INSERT of the reading only"};

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define ROUNDS 3

static int one(struct store_conn *c, enum variant v, const char *code, int k, int64_t at,
               int64_t now, struct arena *a, struct err *err)
{
    struct sensor_device d;
    struct sensor_value val = {METRICS[k % 6], NORMAL[k % 6]};
    struct sensor_transition t[SENSOR_VALUES_MAX];
    size_t nt = 0;
    int dup = 0, rc;
    if (v == INSERT_ONLY) {
        int64_t r = store_run(c,
                              "INSERT INTO sensor_readings(device_id, metric, at, value,"
                              " received_at) VALUES ((SELECT id FROM devices WHERE code = ?), ?,"
                              " ?, ?, ?) ON CONFLICT DO NOTHING",
                              STORE_ARGS(store_text(code), store_text(val.metric), store_i64(at),
                                         store_real(val.value), store_i64(now)),
                              err);
        return r < 0 ? (int)r : 0;
    }
    if (v == SAVEPOINT && (rc = (int)store_run(c, "SAVEPOINT gl_job", STORE_NO_ARGS, err)) < 0)
        return rc;
    if ((rc = sensor_device_by_code(c, code, a, &d, err)) < 0)
        return rc;
    if (v != LOOKUP && (rc = sensor_ingest(c, &d, at, &val, 1, now, a, t, &nt, &dup, err)) < 0)
        return rc;
    if (v == SAVEPOINT && (rc = (int)store_run(c, "RELEASE gl_job", STORE_NO_ARGS, err)) < 0)
        return rc;
    return dup ? err_set(err, ERR_CONFLICT, "unexpected duplicate") : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_sensor_ingest DB [READINGS [DEVICES]]\n");
        return 2;
    }
    int readings = argc > 2 ? atoi(argv[2]) : 200000, devices = argc > 3 ? atoi(argv[3]) : 5000;
    struct err err = ERR_INIT;
    struct store *st;
    struct store_conn *c;
    struct store_options o = {.path = argv[1], .must_exist = 1};
    if (readings < 1 || devices < 1 || store_open(&st, &o, &err) < 0 ||
        store_conn(st, &c, &err) < 0) {
        fprintf(stderr, "bench_sensor_ingest: %s\n", err.msg);
        return 1;
    }
    int64_t now = (int64_t)time(NULL);
    char code[32];
    if (store_begin(c, &err) < 0)
        goto fail;
    for (int i = 0; i < devices; i++) {
        struct arena a;
        struct sensor_device d;
        arena_init(&a, 1024);
        snprintf(code, sizeof(code), "SIM-B%05d", i + 1);
        int rc = sensor_device_by_code(c, code, &a, &d, &err);
        arena_release(&a);
        if (rc == 0)
            continue;
        err = (struct err)ERR_INIT;
        struct sensor_device_in in = {code, TYPES[i % 6], "模拟设备", 0, 0, 0, 0, 0, 60, 1};
        int64_t id;
        if (sensor_device_create(c, &in, now, &id, &err) < 0)
            goto fail;
    }
    if (store_commit(c, &err) < 0)
        goto fail;
    int per_dev = readings / devices + 1;
    double wall[VARIANTS][ROUNDS], cpu[VARIANTS][ROUNDS];
    printf("%d readings over %d devices, transactions of 256, %d rounds (variants in turn)\n",
           readings, devices, ROUNDS);
    for (int r = 0; r < ROUNDS; r++) {
        for (int v = 0; v < VARIANTS; v++) {
            /* each run its own seconds, so none is a duplicate of another's */
            int64_t base = now - 6 * 86400 + (int64_t)(r * VARIANTS + v) * (per_dev + 10);
            struct arena a;
            arena_init(&a, 4096);
            double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            for (int i = 0; i < readings; i += 256) {
                if (store_begin(c, &err) < 0)
                    goto fail;
                for (int j = i; j < i + 256 && j < readings; j++) {
                    int k = j % devices;
                    snprintf(code, sizeof(code), "SIM-B%05d", k + 1);
                    if (one(c, (enum variant)v, code, k, base + j / devices, now, &a, &err) < 0)
                        goto fail;
                }
                if (store_commit(c, &err) < 0)
                    goto fail;
                arena_release(&a);
                arena_init(&a, 4096);
            }
            wall[v][r] = (clock_s(CLOCK_MONOTONIC) - t0) * 1e6 / readings;
            cpu[v][r] = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e6 / readings;
            arena_release(&a);
        }
    }
    printf("  %-48s %s\n", "", "µs/reading, median (min-max): CPU | wall");
    for (int v = 0; v < VARIANTS; v++) {
        qsort(wall[v], ROUNDS, sizeof(double), cmp_double);
        qsort(cpu[v], ROUNDS, sizeof(double), cmp_double);
        printf("  %-48s %5.1f (%.1f-%.1f) | %5.1f (%.1f-%.1f)\n", NAMES[v], cpu[v][1], cpu[v][0],
               cpu[v][2], wall[v][1], wall[v][0], wall[v][2]);
    }
    store_close(st);
    return 0;
fail:
    fprintf(stderr, "bench_sensor_ingest: %s\n", err.msg);
    store_close(st);
    return 1;
}
