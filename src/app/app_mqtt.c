/*
 * The MQTT subscriber (issue 16, item 5; docs/warning.md §5): libmosquitto's own network thread
 * subscribes to gridloop/devices/+/readings (a reading, or an array of one device's readings)
 * and gridloop/gateways/+/readings (an array of readings of many devices) at QoS 1 on conf
 * mqtt_url and hands each message, its size and count bounded by conf mqtt_max_bytes and
 * mqtt_max_readings, to app_sensor_submit_batch(): one job of the group-commit writer, stored
 * with its next batch; a message that may open a case goes to the head of its queue.
 *
 * The session is persistent (clean_session false) under a client id that stays the same across
 * restarts (conf mqtt_client_id, else gridloop-<host name>), so a broker keeps the QoS 1 readings
 * published while this server is down or reconnecting and delivers them when it is back; the
 * subscription is made again on every connect (a broker restarted without its saved sessions has
 * forgotten it). libmosquitto acknowledges a message to the broker when it has handed it over,
 * before the batch commits (2.0 has no manual acknowledgement): a crash of this process loses what
 * was acknowledged and not yet committed, at most APP_SENSOR_INFLIGHT_MAX readings and the message
 * being handed over; a broker restart loses nothing the broker had persisted (docs/warning.md §5).
 */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/app_internal.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/num.h"

#define TOPIC "gridloop/devices/+/readings"
#define TOPIC_PREFIX "gridloop/devices/"
#define GATEWAY_TOPIC "gridloop/gateways/+/readings"
#define GATEWAY_PREFIX "gridloop/gateways/"
#define TOPIC_SUFFIX "/readings"

struct app_mqtt {
    struct app *app;
    struct mosquitto *m;
    char host[256];
    int port;
    int64_t logged_at; /* the last rejection logged (one a second: a broken device floods) */
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
    if (app_sensor_submit_batch(q->app, r, n, &err) < 0)
        rejected(q, t, err.msg);
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
    mosquitto_lib_init();
    q->m = mosquitto_new(id, false, q);
    if (!q->m) {
        mosquitto_lib_cleanup();
        free(q);
        return err_set(err, ERR_INTERNAL, "mqtt: cannot create a client");
    }
    mosquitto_connect_callback_set(q->m, on_connect);
    mosquitto_disconnect_callback_set(q->m, on_disconnect);
    mosquitto_message_callback_set(q->m, on_message);
    /* Reconnect after 1 s, backing off to 10 s while the broker stays away. */
    mosquitto_reconnect_delay_set(q->m, 1, 10, true);
    /* A broker that is not up yet is not an error: the loop keeps trying. */
    int s = mosquitto_connect_async(q->m, q->host, q->port, 30);
    if (s != MOSQ_ERR_SUCCESS && s != MOSQ_ERR_ERRNO)
        log_msg(LOG_WARN, "mqtt: %s:%d: %s; retrying", q->host, q->port, mosquitto_strerror(s));
    if ((s = mosquitto_loop_start(q->m)) != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(q->m);
        mosquitto_lib_cleanup();
        free(q);
        return err_set(err, ERR_INTERNAL, "mqtt: cannot start the network thread: %s",
                       mosquitto_strerror(s));
    }
    app->mqtt = q;
    log_msg(LOG_INFO, "mqtt: client %s connecting to %s:%d", id, q->host, q->port);
    return 0;
}

void app_mqtt_stop(struct app *app)
{
    struct app_mqtt *q = app->mqtt;
    if (!q)
        return;
    mosquitto_disconnect(q->m);
    mosquitto_loop_stop(q->m, false);
    mosquitto_destroy(q->m);
    mosquitto_lib_cleanup();
    free(q);
    app->mqtt = NULL;
}
