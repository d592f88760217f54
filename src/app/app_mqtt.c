/*
 * The MQTT subscriber (issue 16, item 5; docs/warning.md §5): libmosquitto's own network thread
 * subscribes to gridloop/devices/+/readings at QoS 1 on conf mqtt_url and hands each message to
 * app_sensor_submit(), which stores it with the group-commit writer's next batch.
 *
 * The session is persistent (clean_session false) under a client id that stays the same across
 * restarts (conf mqtt_client_id, else gridloop-<host name>), so a broker keeps the QoS 1 readings
 * published while this server is down or reconnecting and delivers them when it is back; the
 * subscription is made again on every connect (a broker restarted without its saved sessions has
 * forgotten it). libmosquitto acknowledges a message to the broker when it has handed it over,
 * before the batch commits: a crash of this process in that window (a batch, milliseconds) loses
 * what it held; a broker restart loses nothing the broker had persisted (docs/warning.md §5).
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
#define TOPIC_SUFFIX "/readings"
#define PAYLOAD_MAX 8192

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
    int s = mosquitto_subscribe(m, NULL, TOPIC, 1);
    if (s != MOSQ_ERR_SUCCESS)
        log_msg(LOG_ERROR, "mqtt: cannot subscribe to %s: %s", TOPIC, mosquitto_strerror(s));
    else
        log_msg(LOG_INFO, "mqtt: connected to %s:%d, subscribed to %s", q->host, q->port, TOPIC);
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

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
    struct app_mqtt *q = arg;
    struct app_reading r;
    struct err err = ERR_INIT;
    char code[SENSOR_CODE_MAX + 1];
    (void)m;
    const char *t = msg->topic;
    size_t lp = strlen(TOPIC_PREFIX), ls = strlen(TOPIC_SUFFIX), lt = strlen(t);
    if (lt <= lp + ls || strncmp(t, TOPIC_PREFIX, lp) != 0 ||
        strcmp(t + lt - ls, TOPIC_SUFFIX) != 0 || lt - lp - ls > SENSOR_CODE_MAX) {
        rejected(q, t, "not a readings topic");
        return;
    }
    memcpy(code, t + lp, lt - lp - ls);
    code[lt - lp - ls] = '\0';
    if (msg->payloadlen <= 0 || msg->payloadlen > PAYLOAD_MAX) {
        rejected(q, t, "empty or oversized payload");
        return;
    }
    if (app_reading_parse(msg->payload, (size_t)msg->payloadlen, code, app_now(q->app), &r, &err) <
        0) {
        char why[ERR_MSG_MAX + ERR_FIELD_MAX + 8];
        snprintf(why, sizeof(why), "%s%s%s", err.field, *err.field ? ": " : "", err.msg);
        rejected(q, t, why);
        return;
    }
    if (app_sensor_submit(q->app, &r, &err) < 0)
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
