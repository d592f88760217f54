/*
 * sensor-sim: publishes readings of the demo district's devices to an MQTT broker, as gridloop
 * reads them (issue 16, item 5; docs/warning.md, "The sensor simulator"): topic
 * gridloop/devices/{code}/readings, payload {"time": "<RFC 3339>", "values": {"<metric>": x}},
 * QoS 1 by default.
 *
 * The values follow simple models of what such devices see in a Chinese city (local time UTC+8):
 * noise with a day/night cycle, the evening square dances and random events (a horn, a
 * delivery) and a louder day at the building site; waterlogging that rises in a simulated rain
 * shower and drains after it; manhole covers rattled by traffic; smoke and gas with cooking at
 * meal times; turbidity that follows the rain. None of them crosses its threshold by itself:
 * --breach CODE pushes one device over its threshold for a while and back below the hysteresis
 * band, so a demo shows one case opened and its recovery noted.
 *
 * --extra N adds devices SIM-00001.. whose type cycles over the six demo types (register them
 * first, as bench/mqtt_ingest.sh does). --backfill S timestamps each device's readings one
 * second apart starting S seconds ago (a device emptying its buffer), so a fast run stores every
 * reading instead of counting several per device and second as duplicates. --batch N publishes
 * N readings per message: an array of one device's next N readings on its own topic, or with
 * --gateway an array {"device", "time", "values"} of N devices in turn on
 * gridloop/gateways/GW-SIM/readings (a concentrator).
 *
 * Build: part of `make build` (build/sensor-sim); needs libmosquitto only.
 */
#include <errno.h>
#include <math.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOCAL_OFFSET_S (8 * 3600)

enum kind { NOISE, WATER, MANHOLE, SMOKE, GAS, WQ, KINDS };

/* per type: its name in the registry, metric, threshold (high) and recovery (clear) */
static const struct {
    const char *type, *metric;
    double high, clear, breach;
} TYPES[KINDS] = {
    {"noise", "noise_db", 85, 75, 94},  {"water_level", "depth_cm", 15, 5, 23},
    {"manhole", "tilt_deg", 10, 3, 27}, {"smoke", "smoke_obs", 4, 1, 7.5},
    {"gas", "ch4_lel", 20, 5, 32},      {"water_quality", "turbidity_ntu", 3, 1, 4.8},
};

struct device {
    char code[72];
    enum kind kind;
    double level;   /* a state the model carries: depth, an event's loudness... */
    double factor;  /* how this place differs (an underpass fills faster) */
    int64_t last_t; /* the time of its last reading (with --backfill) */
    double last_wall;
};

static const struct {
    const char *code;
    enum kind kind;
    double factor;
} DEMO[] = {
    {"DEMO-NOISE-1", NOISE, 1.0},   {"DEMO-NOISE-2", NOISE, 1.1}, {"DEMO-NOISE-3", NOISE, 1.25},
    {"DEMO-WATER-1", WATER, 1.3},   {"DEMO-WATER-2", WATER, 0.8}, {"DEMO-MANHOLE-1", MANHOLE, 1},
    {"DEMO-MANHOLE-2", MANHOLE, 1}, {"DEMO-SMOKE-1", SMOKE, 1},   {"DEMO-GAS-1", GAS, 1},
    {"DEMO-WQ-1", WQ, 1},
};

static struct {
    char host[256];
    int port;
    double rate, duration;
    long count;
    int qos, quiet, extra, only_extra, inflight, batch, gateway;
    long backfill;
    const char *breach;
    double breach_after, breach_for;
    const char *client_id;
    unsigned seed;
} opt = {"127.0.0.1", 1883, 2, 0, 0, 1, 0, 0, 0, 200, 1, 0, 0, NULL, 5, 60, NULL, 0};

static atomic_long acked;
static atomic_int connected;
static volatile sig_atomic_t stop;

static void usage(void)
{
    fputs("usage: sensor-sim [--url mqtt://HOST:PORT] [--rate R] [--duration S] [--count N]\n"
          "                  [--breach CODE [--breach-after S] [--breach-for S]]\n"
          "                  [--extra N [--only-extra]] [--backfill S] [--qos 0|1]\n"
          "                  [--inflight N] [--client-id ID] [--seed N] [--quiet]\n"
          "                  [--batch N [--gateway]]\n"
          "  --rate R       readings a second over all devices (default 2; 0 = as fast as the\n"
          "                 broker takes them)\n"
          "  --duration S   stop after S seconds (default: until --count or Ctrl-C)\n"
          "  --count N      stop after N readings\n"
          "  --breach CODE  S seconds in (--breach-after, default 5) push device CODE over its\n"
          "                 threshold for --breach-for seconds (default 60), then back to normal\n"
          "  --extra N      also devices SIM-00001..N (types: noise, water_level, manhole, smoke,\n"
          "                 gas, water_quality in turn); --only-extra: those alone\n"
          "  --backfill S   each device's readings 1 s apart from S seconds ago (fast runs)\n"
          "  --inflight N   QoS 1 messages awaiting the broker's PUBACK (default 200)\n"
          "  --batch N      N readings per message: an array of one device's readings on its\n"
          "                 topic (a buffer emptied); --gateway: of N devices in turn on\n"
          "                 gridloop/gateways/GW-SIM/readings\n",
          stderr);
    exit(2);
}

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static double uniform(void)
{
    return (rand() + 0.5) / ((double)RAND_MAX + 1.0);
}

static double gauss(double sd)
{
    return sd * sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Hour of the day in local time, with fraction. */
static double local_hour(int64_t t)
{
    return (double)((t + LOCAL_OFFSET_S) % 86400) / 3600.0;
}

/* 1 inside [from, to) hours with soft edges of half an hour, else 0. */
static double window(double h, double from, double to)
{
    double up = clamp((h - from) / 0.5 + 0.5, 0, 1), down = clamp((to - h) / 0.5 + 0.5, 0, 1);
    return up < down ? up : down;
}

/* The rain: a shower every 8-15 minutes of the run, 2-4 minutes long, of random strength. */
static struct {
    double next, end, strength;
} rain;

static double rain_now(double now)
{
    if (now >= rain.end && now >= rain.next) {
        rain.end = now + 120 + 120 * uniform();
        rain.strength = 0.4 + 0.6 * uniform();
        rain.next = rain.end + 480 + 420 * uniform();
        if (!opt.quiet)
            fprintf(stderr, "sensor-sim: a rain shower (strength %.2f) for %.0f s\n", rain.strength,
                    rain.end - now);
    }
    return now < rain.end ? rain.strength : 0;
}

static double model(struct device *d, int64_t t, double now)
{
    double h = local_hour(t), dt = d->last_wall > 0 ? clamp(now - d->last_wall, 0, 600) : 1;
    double r = rain_now(now), v;
    d->last_wall = now;
    switch (d->kind) {
    case NOISE: {
        /* 42 dB at night, 60 by day, the square dance 19:30-21:30, the site 07-18 */
        double day = window(h, 6.5, 22.5);
        v = 42 + 18 * day * d->factor + 8 * window(h, 19.5, 21.5) * (d->factor < 1.05);
        if (d->factor > 1.2)
            v += 9 * window(h, 7, 18);
        if (d->level <= 0 && uniform() < 0.04)
            d->level = 8 + 12 * uniform(); /* a horn, a delivery van, a dog */
        v += d->level + gauss(1.8);
        d->level = d->level > 0.5 ? d->level * 0.4 : 0;
        return clamp(v, 30, 83);
    }
    case WATER:
        /* fills with the rain, drains with a half-life of about 90 s */
        d->level += dt * (r * 0.09 * d->factor - d->level * 0.0077);
        d->level = clamp(d->level, 0, 13.5);
        return d->level < 0.2 ? 0 : d->level + gauss(0.15);
    case MANHOLE:
        v = 0.6 + gauss(0.2) + (uniform() < 0.08 ? 1 + 2 * uniform() : 0) * window(h, 6, 23);
        return clamp(v, 0, 6);
    case SMOKE:
        v = 0.15 + 0.1 * uniform() + 1.2 * uniform() * (window(h, 11, 12.5) + window(h, 17.5, 19));
        return clamp(v, 0, 2.5);
    case GAS:
        v = 0.8 + gauss(0.3) + 3.5 * uniform() * (window(h, 10.5, 13) + window(h, 17, 20.5));
        return clamp(v, 0, 12);
    case WQ:
        d->level += dt * (r * 0.01 - d->level * 0.002);
        d->level = clamp(d->level, 0, 1.8);
        return clamp(0.35 + d->level + gauss(0.04), 0.1, 2.6);
    default: return 0;
    }
}

static void on_connect(struct mosquitto *m, void *u, int rc)
{
    (void)m;
    (void)u;
    atomic_store(&connected, rc == 0);
    if (rc)
        fprintf(stderr, "sensor-sim: broker refused the connection: %s\n",
                mosquitto_connack_string(rc));
}

static void on_publish(struct mosquitto *m, void *u, int mid)
{
    (void)m;
    (void)u;
    (void)mid;
    atomic_fetch_add(&acked, 1);
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void parse_url(const char *url)
{
    if (strncmp(url, "mqtt://", 7) != 0) {
        fprintf(stderr, "sensor-sim: --url must look like mqtt://host:port\n");
        exit(2);
    }
    const char *p = url + 7;
    size_t n = strcspn(p, ":/");
    if (n == 0 || n >= sizeof(opt.host)) {
        fprintf(stderr, "sensor-sim: --url names no host\n");
        exit(2);
    }
    memcpy(opt.host, p, n);
    opt.host[n] = '\0';
    if (p[n] == ':') {
        opt.port = atoi(p + n + 1);
        if (opt.port <= 0 || opt.port > 65535) {
            fprintf(stderr, "sensor-sim: bad port in --url\n");
            exit(2);
        }
    }
}

static double num(const char *s, const char *name)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < 0) {
        fprintf(stderr, "sensor-sim: %s wants a number >= 0, not '%s'\n", name, s);
        exit(2);
    }
    return v;
}

static void format_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0) {
            opt.quiet = 1;
            continue;
        }
        if (strcmp(a, "--gateway") == 0) {
            opt.gateway = 1;
            continue;
        }
        if (strcmp(a, "--only-extra") == 0) {
            opt.only_extra = 1;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (strcmp(a, "--url") == 0)
            parse_url(v);
        else if (strcmp(a, "--rate") == 0)
            opt.rate = num(v, a);
        else if (strcmp(a, "--duration") == 0)
            opt.duration = num(v, a);
        else if (strcmp(a, "--count") == 0)
            opt.count = (long)num(v, a);
        else if (strcmp(a, "--breach") == 0)
            opt.breach = v;
        else if (strcmp(a, "--breach-after") == 0)
            opt.breach_after = num(v, a);
        else if (strcmp(a, "--breach-for") == 0)
            opt.breach_for = num(v, a);
        else if (strcmp(a, "--extra") == 0)
            opt.extra = (int)num(v, a);
        else if (strcmp(a, "--backfill") == 0)
            opt.backfill = (long)num(v, a);
        else if (strcmp(a, "--batch") == 0)
            opt.batch = (int)num(v, a);
        else if (strcmp(a, "--inflight") == 0)
            opt.inflight = (int)num(v, a);
        else if (strcmp(a, "--qos") == 0)
            opt.qos = (int)num(v, a);
        else if (strcmp(a, "--client-id") == 0)
            opt.client_id = v;
        else if (strcmp(a, "--seed") == 0)
            opt.seed = (unsigned)num(v, a);
        else
            usage();
    }
    if (opt.qos > 1 || opt.inflight < 1 || (opt.only_extra && opt.extra == 0) || opt.batch < 1 ||
        opt.batch > 10000)
        usage();
    srand(opt.seed ? opt.seed : (unsigned)time(NULL) ^ (unsigned)getpid());

    size_t ndemo = opt.only_extra ? 0 : sizeof(DEMO) / sizeof(DEMO[0]);
    size_t n = ndemo + (size_t)opt.extra;
    struct device *dev = calloc(n, sizeof(*dev));
    if (!dev)
        return 1;
    int64_t start = (int64_t)wall();
    for (size_t i = 0; i < n; i++) {
        if (i < ndemo) {
            snprintf(dev[i].code, sizeof(dev[i].code), "%s", DEMO[i].code);
            dev[i].kind = DEMO[i].kind;
            dev[i].factor = DEMO[i].factor;
        } else {
            size_t k = i - ndemo;
            snprintf(dev[i].code, sizeof(dev[i].code), "SIM-%05zu", k + 1);
            dev[i].kind = (enum kind)(k % KINDS);
            dev[i].factor = 0.8 + 0.4 * uniform();
        }
        dev[i].last_t = start - opt.backfill - 1;
    }
    struct device *target = NULL;
    for (size_t i = 0; opt.breach && i < n; i++)
        if (strcmp(dev[i].code, opt.breach) == 0)
            target = &dev[i];
    if (opt.breach && !target) {
        fprintf(stderr, "sensor-sim: --breach: no device '%s' in this run\n", opt.breach);
        free(dev);
        return 2;
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    mosquitto_lib_init();
    char id[64];
    snprintf(id, sizeof(id), "sensor-sim-%d", (int)getpid());
    struct mosquitto *m = mosquitto_new(opt.client_id ? opt.client_id : id, true, NULL);
    if (!m) {
        fprintf(stderr, "sensor-sim: mosquitto_new failed\n");
        mosquitto_lib_cleanup();
        free(dev);
        return 1;
    }
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_publish_callback_set(m, on_publish);
    mosquitto_reconnect_delay_set(m, 1, 10, true);
    /* libmosquitto's default window of 20 messages in flight holds a fast run back (~14,500
     * readings/s here); an unbounded one is far worse (2,200/s) */
    mosquitto_max_inflight_messages_set(m, (unsigned)opt.inflight);
    int rc = mosquitto_connect(m, opt.host, opt.port, 30);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "sensor-sim: cannot connect to %s:%d: %s\n", opt.host, opt.port,
                rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        mosquitto_destroy(m);
        mosquitto_lib_cleanup();
        free(dev);
        return 1;
    }
    mosquitto_loop_start(m);
    double t0 = mono(), last_report = t0;
    rain.next = t0 + 30 + 60 * uniform(); /* the first shower within a minute or two */
    for (int w = 0; w < 1000 && !atomic_load(&connected); w++)
        usleep(10000);
    if (!opt.quiet)
        fprintf(stderr, "sensor-sim: %zu devices, %s:%d, %.0f readings/s%s\n", n, opt.host,
                opt.port, opt.rate, opt.rate == 0 ? " (as fast as possible)" : "");

    long sent = 0, msgs = 0;
    size_t next = 0;
    int breach_state = 0; /* 0 before, 1 breaching, 2 after */
    double breach_pub = 0;
    size_t cap = (size_t)opt.batch * 192 + 16;
    char *payload = malloc(cap), topic[128], ts[32];
    if (!payload)
        return 1;
    while (!stop) {
        double now_m = mono(), el = now_m - t0;
        if ((opt.duration > 0 && el >= opt.duration) || (opt.count > 0 && sent >= opt.count))
            break;
        /* the breaching device: its own readings at the turns and every 5 s between, alone */
        struct device *d = NULL;
        if (target && breach_state < 2) {
            int want = el >= opt.breach_after + opt.breach_for ? 2 : el >= opt.breach_after;
            if (want != breach_state || (want == 1 && now_m - breach_pub >= 5)) {
                if (want != breach_state && !opt.quiet)
                    fprintf(stderr, "sensor-sim: %s %s\n", target->code,
                            want == 1 ? "breaches its threshold" : "back to normal");
                breach_state = want;
                breach_pub = now_m;
                d = target;
            }
        }
        int k = 1; /* readings in this message */
        if (!d) {
            if (opt.rate > 0) {
                double due = t0 + (double)sent / opt.rate;
                if (due > now_m) {
                    double s = due - now_m;
                    usleep((useconds_t)(s > 0.2 ? 200000 : s * 1e6));
                    continue;
                }
            }
            k = opt.batch;
            if (opt.count > 0 && opt.count - sent < k)
                k = (int)(opt.count - sent);
        }
        int one = d != NULL || k == 1; /* a single reading: the plain object */
        size_t len = 0;
        if (!one)
            payload[len++] = '[';
        for (int e = 0; e < k; e++) {
            struct device *r = d;
            if (!r) {
                r = &dev[next];
                if (opt.gateway || e == k - 1)
                    next = (next + 1) % n;
            }
            double now_w = wall();
            int64_t t = (int64_t)now_w;
            if (opt.backfill > 0) {
                t = r->last_t + 1 > t - opt.backfill ? r->last_t + 1 : t - opt.backfill;
                if (t > (int64_t)now_w)
                    t = (int64_t)
                        now_w; /* caught up: the server counts a second reading a duplicate */
            }
            r->last_t = t;
            double v = model(r, t, now_m);
            if (r == target && breach_state == 1)
                v = TYPES[r->kind].breach + gauss(TYPES[r->kind].breach * 0.02);
            else if (r == target && breach_state == 2 && v > 0.9 * TYPES[r->kind].clear)
                v = 0.9 * TYPES[r->kind].clear; /* back to normal: below the recovery level */
            format_time(t, ts, sizeof(ts));
            if (e == 0)
                snprintf(topic, sizeof(topic),
                         opt.gateway && !one ? "gridloop/gateways/GW-SIM/readings"
                                             : "gridloop/devices/%s/readings",
                         r->code);
            len += (size_t)snprintf(payload + len, cap - len,
                                    "%s{%s%s%s\"time\":\"%s\",\"values\":{\"%s\":%.2f}}",
                                    e ? "," : "", opt.gateway && !one ? "\"device\":\"" : "",
                                    opt.gateway && !one ? r->code : "",
                                    opt.gateway && !one ? "\"," : "", ts, TYPES[r->kind].metric, v);
            if (!opt.quiet && opt.rate > 0 && opt.rate <= 20)
                printf("%s %s %s=%.2f\n", ts, r->code, TYPES[r->kind].metric, v);
        }
        if (!one)
            payload[len++] = ']';
        while ((rc = mosquitto_publish(m, NULL, topic, (int)len, payload, opt.qos, false)) ==
                   MOSQ_ERR_NOMEM &&
               !stop)
            usleep(1000);
        sent += k;
        msgs++;
        if (!opt.quiet && now_m - last_report >= 10) {
            fprintf(stderr, "sensor-sim: %ld sent, %ld messages acknowledged\n", sent,
                    (long)atomic_load(&acked));
            last_report = now_m;
        }
        /* keep libmosquitto's queue bounded on a fast run */
        while (opt.qos && msgs - atomic_load(&acked) > 4 * opt.inflight && !stop)
            usleep(500);
    }
    free(payload);
    double t_pub = mono() - t0;
    /* Wait for the broker's acknowledgements (QoS 1), 30 s at most. */
    for (int w = 0; opt.qos && atomic_load(&acked) < msgs && w < 3000; w++)
        usleep(10000);
    double t_ack = mono() - t0;
    long ok = opt.qos ? (long)atomic_load(&acked) : msgs;
    fprintf(stderr,
            "sensor-sim: %ld readings published in %.2f s (%.0f/s), %ld of %ld messages "
            "acknowledged in %.2f s\n",
            sent, t_pub, t_pub > 0 ? sent / t_pub : 0, ok, msgs, t_ack);
    fflush(stdout);
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    free(dev);
    return ok == msgs ? 0 : 1;
}
