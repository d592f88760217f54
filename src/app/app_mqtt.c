/*
 * The MQTT subscriber (issue 16, item 5; docs/warning.md §5): a thread of ours drives
 * libmosquitto's network loop by hand, subscribed at QoS 1 to gridloop/devices/+/readings (a
 * reading, or an array of one device's readings) and gridloop/gateways/+/readings (an array of
 * readings of many devices) on conf mqtt_url. Each message, its size and count bounded by conf
 * mqtt_max_bytes and mqtt_max_readings, is parsed on this thread; the readings of the messages
 * read in one round go to app_sensor_submit_batch() as one job of the group-commit writer (a
 * message that may open a case as its own job, at the head of the queue).
 *
 * A reading is acknowledged to the broker only after its commit. libmosquitto queues a message's
 * PUBACK before it hands the message over and has no manual acknowledgement; in threaded mode
 * (mosquitto_threaded_set) only mosquitto_loop_write sends what is queued. So a round is: read
 * what the socket holds (up to MQTT_ROUND_READINGS readings), submit it, wait for the writer's
 * commit, and only then write, the PUBACKs among the rest. When the store fails, the connection
 * is dropped unwritten (mosquitto_reconnect discards the queue): the broker sends those messages
 * again. A kill -9 at any point loses no acknowledged reading; a redelivered one finds its row.
 *
 * The broker lets a subscriber hold at most its Receive Maximum of unacknowledged QoS 1 messages
 * (MQTT 5; under 3.1.1 the broker's max_inflight_messages, 20 by default, would bound a round):
 * we ask for MQTT_WINDOW. The session is persistent (clean start false, a session expiry of
 * MQTT_SESSION_EXPIRY) under a client id that stays the same across restarts (conf
 * mqtt_client_id, else gridloop-<host name>), so a broker keeps the readings published while this
 * server is down or reconnecting and delivers them when it is back; the subscription is made
 * again on every connect (a broker restarted without its saved sessions has forgotten it).
 */
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/app_internal.h"
#include "core/clock.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/num.h"

#define TOPIC "gridloop/devices/+/readings"
#define TOPIC_PREFIX "gridloop/devices/"
#define GATEWAY_TOPIC "gridloop/gateways/+/readings"
#define GATEWAY_PREFIX "gridloop/gateways/"
#define TOPIC_SUFFIX "/readings"

/* Unacknowledged messages the broker may send us (MQTT 5 Receive Maximum): a round reads what
 * arrived while the last one committed, so the window is what one commit can take in. */
#define MQTT_WINDOW 2048
/* Readings read before they are committed and acknowledged (a round ends sooner when the socket
 * holds nothing more): the time a breach's neighbours wait, and the memory of a round. */
#define MQTT_ROUND_READINGS 4096
/* How long a round of ordinary readings waits for more before its commit when the socket runs
 * dry (as the writer's gather for jobs nobody waits on): a steady stream then commits every
 * few milliseconds in rounds of hundreds instead of a commit per handful of messages. */
#define MQTT_GATHER_MS 5
/* How long the broker keeps our session (and the readings for it) while we are away: the oldest
 * reading the server takes is 7 days old. */
#define MQTT_SESSION_EXPIRY (7 * 86400)
#define MQTT_KEEPALIVE 30

struct app_mqtt {
    struct app *app;
    struct mosquitto *m;
    char host[256];
    int port;
    int64_t logged_at; /* the last rejection logged (one a second: a broken device floods) */
    pthread_t thread;
    int wake[2]; /* a byte written to wake[1] ends the thread's wait */
    _Atomic int stop;
    /* The round being read (this thread only): ordinary readings gathered into one job, and
     * the jobs submitted, waited for before the PUBACKs are written. */
    struct app_reading *acc;
    size_t nacc, cap;
    struct app_sensor_ticket ticket;
};

/* mqtt://host[:port] */
static int parse_url(const char *url, char *host, size_t cap, int *port, struct err *err)
{
    const char *p = url;
    if (strncmp(p, "mqtt://", 7) != 0)
        return err_field(err, ERR_BAD_REQUEST, "mqtt_url",
                         "setting mqtt_url must look like mqtt://host:port");
    p += 7;
    size_t n = strcspn(p, ":/");
    if (n == 0 || n >= cap)
        return err_field(err, ERR_BAD_REQUEST, "mqtt_url", "setting mqtt_url names no host");
    memcpy(host, p, n);
    host[n] = '\0';
    *port = 1883;
    if (p[n] == ':') {
        int64_t v;
        const char *q = p + n + 1;
        size_t m = strcspn(q, "/");
        char digits[8];
        if (m == 0 || m >= sizeof(digits))
            return err_field(err, ERR_BAD_REQUEST, "mqtt_url", "setting mqtt_url: bad port");
        memcpy(digits, q, m);
        digits[m] = '\0';
        if (num_parse_int(digits, &v) < 0 || v < 1 || v > 65535)
            return err_field(err, ERR_BAD_REQUEST, "mqtt_url", "setting mqtt_url: bad port");
        *port = (int)v;
    }
    return 0;
}

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
    struct app_mqtt *q = arg;
    if (rc != 0) {
        log_msg(LOG_WARN, "mqtt: %s:%d refused the connection: %s", q->host, q->port,
                mosquitto_connack_string(rc));
        return;
    }
    atomic_store(&q->app->mqtt_connected, 1);
    char *const topics[] = {TOPIC, GATEWAY_TOPIC};
    int s = mosquitto_subscribe_multiple(m, NULL, 2, topics, 1, 0, NULL);
    if (s != MOSQ_ERR_SUCCESS)
        log_msg(LOG_ERROR, "mqtt: cannot subscribe to %s and %s: %s", TOPIC, GATEWAY_TOPIC,
                mosquitto_strerror(s));
    else
        log_msg(LOG_INFO, "mqtt: connected to %s:%d, subscribed to %s and %s", q->host, q->port,
                TOPIC, GATEWAY_TOPIC);
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc)
{
    struct app_mqtt *q = arg;
    (void)m;
    atomic_store(&q->app->mqtt_connected, 0);
    if (rc != 0)
        log_msg(LOG_WARN, "mqtt: lost %s:%d (%s); reconnecting", q->host, q->port,
                mosquitto_strerror(rc));
}

static void rejected(struct app_mqtt *q, const char *topic, const char *why)
{
    atomic_fetch_add(&q->app->sensor_malformed, 1);
    int64_t now = (int64_t)time(NULL);
    if (now != q->logged_at) {
        q->logged_at = now;
        log_msg(LOG_WARN, "mqtt: message on %s rejected: %s", topic, why);
    }
}

/* A bad element of a batch: counted and logged (naming it), the rest of the message kept. */
struct element_reject {
    struct app_mqtt *q;
    const char *topic;
};

static void element_rejected(void *ctx, int index, const struct err *why)
{
    struct element_reject *e = ctx;
    char msg[ERR_MSG_MAX + ERR_FIELD_MAX + 32];
    (void)index;
    snprintf(msg, sizeof(msg), "%s: %s", why->field, why->msg);
    rejected(e->q, e->topic, msg);
}

/* The code between 'prefix' and TOPIC_SUFFIX in 't', or 0. */
static int topic_code(const char *t, const char *prefix, char *code)
{
    size_t lp = strlen(prefix), ls = strlen(TOPIC_SUFFIX), lt = strlen(t);
    if (lt <= lp + ls || strncmp(t, prefix, lp) != 0 || strcmp(t + lt - ls, TOPIC_SUFFIX) != 0 ||
        lt - lp - ls > SENSOR_CODE_MAX)
        return 0;
    memcpy(code, t + lp, lt - lp - ls);
    code[lt - lp - ls] = '\0';
    return 1;
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
    struct app_mqtt *q = arg;
    const struct conf *cf = q->app->d.conf;
    struct err err = ERR_INIT;
    char code[SENSOR_CODE_MAX + 1];
    (void)m;
    const char *t = msg->topic;
    int gateway = 0;
    if (!topic_code(t, TOPIC_PREFIX, code)) {
        if (!topic_code(t, GATEWAY_PREFIX, code)) {
            rejected(q, t, "not a readings topic");
            return;
        }
        gateway = 1;
    }
    /* Limits before parsing: the bytes here, the readings in app_readings_parse. */
    if (msg->payloadlen <= 0 || msg->payloadlen > cf->mqtt_max_bytes) {
        rejected(q, t, "empty or oversized payload");
        return;
    }
    struct element_reject ctx = {q, t};
    struct app_reading *r;
    size_t n;
    if (app_readings_parse(msg->payload, (size_t)msg->payloadlen, gateway ? NULL : code,
                           app_now(q->app), (size_t)cf->mqtt_max_readings, &r, &n, element_rejected,
                           &ctx, &err) < 0) {
        char why[ERR_MSG_MAX + ERR_FIELD_MAX + 8];
        snprintf(why, sizeof(why), "%s%s%s", err.field, *err.field ? ": " : "", err.msg);
        rejected(q, t, why);
        return;
    }
    if (app_sensor_may_breach(q->app, r, n)) {
        /* Its own job at the head of the writer's queue, now: its case does not wait for the
         * rest of the round. */
        if (app_sensor_submit_batch(q->app, r, n, 1, &q->ticket, &err) < 0)
            rejected(q, t, err.msg);
        return;
    }
    if (q->nacc + n > q->cap) {
        q->cap = q->nacc + n > 2 * q->cap ? q->nacc + n : 2 * q->cap;
        q->acc = xrealloc(q->acc, q->cap * sizeof(*q->acc));
    }
    memcpy(q->acc + q->nacc, r, n * sizeof(*r));
    q->nacc += n;
    free(r);
}

/* The round's gathered readings to the writer, then its commit waited for: 0, or the store's
 * error (nothing of the round may be acknowledged). */
static int round_commit(struct app_mqtt *q)
{
    struct err err = ERR_INIT;
    if (q->nacc) {
        struct app_reading *r = q->acc;
        size_t n = q->nacc;
        q->acc = NULL;
        q->nacc = q->cap = 0;
        if (app_sensor_submit_batch(q->app, r, n, 0, &q->ticket, &err) < 0) {
            log_msg(LOG_WARN, "mqtt: %zu readings not stored, not acknowledged: %s", n, err.msg);
            app_sensor_wait(q->app, &q->ticket);
            return err.code ? err.code : ERR_UNAVAILABLE;
        }
    }
    return app_sensor_wait(q->app, &q->ticket);
}

static int readable(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/* Wait up to 'ms' or until woken: 1 when stopping. */
static int pause_for(struct app_mqtt *q, int ms)
{
    struct pollfd p = {q->wake[0], POLLIN, 0};
    if (poll(&p, 1, ms) > 0) {
        char buf[64];
        while (read(q->wake[0], buf, sizeof(buf)) > 0)
            ;
    }
    return atomic_load(&q->stop);
}

/* One round: read what the socket holds, store it, and only then write (the PUBACKs among
 * what libmosquitto queued). A store failure drops the connection unwritten. */
static int round_run(struct app_mqtt *q, int sock, int *store_failed)
{
    int rc;
    uint64_t until = clock_mono_ns() + (uint64_t)MQTT_GATHER_MS * 1000000u;
    for (;;) {
        do
            rc = mosquitto_loop_read(q->m, 1);
        while (rc == MOSQ_ERR_SUCCESS && q->nacc < MQTT_ROUND_READINGS && readable(sock));
        /* Ordinary readings wait a moment for more to share their commit (each commit writes
         * every page it touched); a breach went to the writer already, on its own. */
        uint64_t now = clock_mono_ns();
        if (rc != MOSQ_ERR_SUCCESS || !q->nacc || q->nacc >= MQTT_ROUND_READINGS || now >= until)
            break;
        struct pollfd p = {sock, POLLIN, 0};
        if (poll(&p, 1, (int)((until - now + 999999u) / 1000000u)) <= 0)
            break;
    }
    /* What was read before a lost connection is stored all the same; its PUBACKs went with
     * the connection, and the broker's redelivery finds the rows. */
    *store_failed = round_commit(q) < 0;
    if (*store_failed)
        log_msg(LOG_WARN, "mqtt: the store failed; the round's messages stay with the broker");
    return rc;
}

/* The next wait after a failed attempt: doubled, at most 10 s. */
static int backoff(int ms)
{
    return ms * 2 > 10000 ? 10000 : ms * 2;
}

static int connect_now(struct app_mqtt *q)
{
    mosquitto_property *props = NULL;
    int s;
    if ((s = mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                          MQTT_SESSION_EXPIRY)) != MOSQ_ERR_SUCCESS)
        return s;
    s = mosquitto_connect_bind_v5(q->m, q->host, q->port, MQTT_KEEPALIVE, NULL, props);
    mosquitto_property_free_all(&props);
    return s;
}

static void *mqtt_thread(void *arg)
{
    struct app_mqtt *q = arg;
    int delay = 1000, store_delay = 1000, first = 1, drop = 0;
    while (!atomic_load(&q->stop)) {
        int sock = mosquitto_socket(q->m);
        if (sock < 0 || drop) {
            /* The first connect sets the host and the session's properties; later ones
             * reuse them (and discard what was queued unwritten: a failed round's PUBACKs). */
            int s = first ? connect_now(q) : mosquitto_reconnect(q->m);
            /* After the first call the host and properties are set, connected or not. */
            if (s != MOSQ_ERR_INVAL && s != MOSQ_ERR_NOMEM)
                first = 0;
            if (s == MOSQ_ERR_SUCCESS) {
                drop = 0;
                delay = 1000;
                continue;
            }
            log_msg(LOG_WARN, "mqtt: %s:%d: %s; retrying in %d s", q->host, q->port,
                    s == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(s), delay / 1000);
            if (pause_for(q, delay))
                break;
            delay = backoff(delay);
            continue;
        }
        struct pollfd p[2] = {
            {sock, (short)(POLLIN | (mosquitto_want_write(q->m) ? POLLOUT : 0)), 0},
            {q->wake[0], POLLIN, 0}};
        if (poll(p, 2, 1000) < 0 && errno != EINTR) {
            log_msg(LOG_ERROR, "mqtt: poll: %s", strerror(errno));
            pause_for(q, 1000);
            continue;
        }
        if (p[1].revents)
            pause_for(q, 0);
        int rc = MOSQ_ERR_SUCCESS, store_failed = 0;
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            rc = round_run(q, sock, &store_failed);
            if (store_failed) {
                /* Reconnect without writing; while the store stays away, back off as for a
                 * broker away (each retry is one message read and refused). */
                drop = 1;
                if (pause_for(q, store_delay))
                    break;
                store_delay = backoff(store_delay);
                continue;
            }
            store_delay = 1000;
        }
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(q->m))
            rc = mosquitto_loop_write(q->m, 1);
        if (rc == MOSQ_ERR_SUCCESS)
            rc = mosquitto_loop_misc(q->m);
        (void)rc; /* a lost connection closed the socket: the next turn reconnects */
    }
    /* Stopping: what was read is committed and acknowledged, then a clean disconnect. */
    if (mosquitto_socket(q->m) >= 0 && !drop) {
        if (round_commit(q) == 0) {
            mosquitto_disconnect(q->m);
            for (int i = 0; i < 100 && mosquitto_want_write(q->m); i++)
                if (mosquitto_loop_write(q->m, 1) != MOSQ_ERR_SUCCESS)
                    break;
        }
    } else {
        round_commit(q);
    }
    return NULL;
}

int app_start_mqtt(struct app *app, struct err *err)
{
    const struct conf *cf = app->d.conf;
    if (!cf->mqtt_url || !*cf->mqtt_url)
        return 0;
    struct app_mqtt *q = xcalloc(1, sizeof(*q));
    q->app = app;
    int rc = parse_url(cf->mqtt_url, q->host, sizeof(q->host), &q->port, err);
    if (rc < 0) {
        free(q);
        return rc;
    }
    char id[128];
    if (cf->mqtt_client_id && *cf->mqtt_client_id) {
        snprintf(id, sizeof(id), "%s", cf->mqtt_client_id);
    } else {
        char host[64] = "";
        gethostname(host, sizeof(host) - 1);
        snprintf(id, sizeof(id), "gridloop-%s", host);
    }
    if (pipe(q->wake) < 0) {
        free(q);
        return err_set(err, ERR_INTERNAL, "mqtt: pipe: %s", strerror(errno));
    }
    fcntl(q->wake[0], F_SETFL, O_NONBLOCK);
    fcntl(q->wake[1], F_SETFL, O_NONBLOCK);
    mosquitto_lib_init();
    q->m = mosquitto_new(id, false, q);
    if (!q->m) {
        rc = err_set(err, ERR_INTERNAL, "mqtt: cannot create a client");
        goto fail;
    }
    /* MQTT 5 for the Receive Maximum and the session expiry; threaded, so that nothing is
     * written but by mosquitto_loop_write, after the commit. */
    if (mosquitto_int_option(q->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) != 0 ||
        mosquitto_int_option(q->m, MOSQ_OPT_RECEIVE_MAXIMUM, MQTT_WINDOW) != 0 ||
        mosquitto_threaded_set(q->m, true) != 0) {
        rc = err_set(err, ERR_INTERNAL, "mqtt: cannot set the client's options");
        goto fail;
    }
    mosquitto_connect_callback_set(q->m, on_connect);
    mosquitto_disconnect_callback_set(q->m, on_disconnect);
    mosquitto_message_callback_set(q->m, on_message);
    /* A broker that is not up yet is not an error: the thread keeps trying, from 1 s backing
     * off to 10 s while the broker stays away. */
    if (pthread_create(&q->thread, NULL, mqtt_thread, q) != 0) {
        rc = err_set(err, ERR_INTERNAL, "mqtt: cannot start the network thread");
        goto fail;
    }
    app->mqtt = q;
    log_msg(LOG_INFO, "mqtt: client %s connecting to %s:%d", id, q->host, q->port);
    return 0;
fail:
    if (q->m)
        mosquitto_destroy(q->m);
    mosquitto_lib_cleanup();
    close(q->wake[0]);
    close(q->wake[1]);
    free(q);
    return rc;
}

void app_mqtt_stop(struct app *app)
{
    struct app_mqtt *q = app->mqtt;
    if (!q)
        return;
    atomic_store(&q->stop, 1);
    if (write(q->wake[1], "x", 1) < 0) {
        /* full: the thread is woken already */
    }
    pthread_join(q->thread, NULL);
    mosquitto_destroy(q->m);
    mosquitto_lib_cleanup();
    close(q->wake[0]);
    close(q->wake[1]);
    free(q->acc);
    free(q);
    app->mqtt = NULL;
}
