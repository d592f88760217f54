/*
 * Delivery channels: "log" writes one JSON line per notification, "webhook" POSTs the same
 * JSON to a URL with libcurl. Both are used only from the worker's thread, so the webhook
 * keeps one curl handle (and its connection) across deliveries.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "notify/notify.h"

void notify_item_json(const struct notify_item *n, struct buf *out)
{
    char ts[32];
    clock_format_utc(n->created_at, ts);
    buf_printf(out, "{\"id\":%lld,\"case_id\":", (long long)n->id);
    if (n->case_id)
        buf_printf(out, "%lld", (long long)n->case_id);
    else
        buf_puts(out, "null");
    buf_puts(out, ",\"case_number\":");
    buf_json_str(out, n->case_number ? n->case_number : "");
    buf_puts(out, ",\"event_id\":");
    if (n->event_id)
        buf_printf(out, "%lld", (long long)n->event_id);
    else
        buf_puts(out, "null");
    buf_puts(out, ",\"kind\":");
    buf_json_str(out, n->kind);
    buf_puts(out, ",\"recipient\":{\"kind\":");
    buf_json_str(out, n->recipient_kind);
    buf_puts(out, ",\"id\":");
    if (n->recipient_id)
        buf_printf(out, "%lld", (long long)n->recipient_id);
    else
        buf_puts(out, "null");
    buf_puts(out, "},\"message\":");
    buf_json_str(out, n->message);
    buf_printf(out, ",\"created_at\":\"%s\",\"attempt\":%d}", ts, n->attempts);
}

/* ---------------------------------------------------------------- log */

static int log_deliver(struct notify_channel *ch, const struct notify_item *n, struct err *err)
{
    struct buf b;
    (void)ch;
    (void)err;
    buf_init(&b);
    buf_puts(&b, "{\"notification\":");
    notify_item_json(n, &b);
    buf_putc(&b, '}');
    log_line_stdout(b.p, b.len);
    buf_release(&b);
    return 0;
}

static void log_free(struct notify_channel *ch)
{
    free(ch);
}

static const struct notify_channel_ops log_ops = {"log", log_deliver, log_free, 500};

int notify_channel_log_new(struct notify_channel **out, struct err *err)
{
    (void)err;
    struct notify_channel *ch = xcalloc(1, sizeof(*ch));
    ch->ops = &log_ops;
    *out = ch;
    return 0;
}

/* ---------------------------------------------------------------- webhook */

struct webhook {
    struct notify_channel base;
    char *url;
    int timeout_ms;
    CURL *curl;
    struct curl_slist *headers;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    /* Process-wide and not thread-safe, hence once; libcurl is never cleaned up because
     * other threads may still hold handles at exit. */
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

static int webhook_deliver(struct notify_channel *ch, const struct notify_item *n, struct err *err)
{
    struct webhook *wh = (struct webhook *)ch;
    struct buf body;
    char idh[64];
    struct curl_slist *headers = NULL;
    long status = 0;
    int rc = 0;
    buf_init(&body);
    notify_item_json(n, &body);
    /* The id lets the receiver drop duplicates: delivery is at least once. */
    snprintf(idh, sizeof(idh), "X-Gridloop-Notification: %lld", (long long)n->id);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, idh);
    headers = curl_slist_append(headers, "Expect:");
    CURL *c = wh->curl;
    curl_easy_setopt(c, CURLOPT_URL, wh->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.p);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        rc = err_set(err, ERR_UNAVAILABLE, "webhook '%s': %s", wh->url, curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        rc = err_set(err, ERR_UNAVAILABLE, "webhook '%s' answered %ld", wh->url, status);
out:
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    buf_release(&body);
    return rc;
}

static void webhook_free(struct notify_channel *ch)
{
    struct webhook *wh = (struct webhook *)ch;
    if (wh->curl)
        curl_easy_cleanup(wh->curl);
    free(wh->url);
    free(wh);
}

static const struct notify_channel_ops webhook_ops = {"webhook", webhook_deliver, webhook_free, 20};

int notify_channel_webhook_new(struct notify_channel **out, const char *url, int timeout_ms,
                               struct err *err)
{
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return err_field(
            err, ERR_BAD_REQUEST, "notify_webhook_url",
            "setting 'notify_webhook_url' must be an http:// or https:// URL, got '%s'",
            url ? url : "");
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return err_set(err, ERR_INTERNAL, "cannot initialise libcurl: %s",
                       curl_easy_strerror(curl_init_rc));
    struct webhook *wh = xcalloc(1, sizeof(*wh));
    wh->base.ops = &webhook_ops;
    wh->url = xstrdup(url);
    wh->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    wh->curl = curl_easy_init();
    if (!wh->curl) {
        webhook_free(&wh->base);
        return err_set(err, ERR_INTERNAL, "cannot create a curl handle");
    }
    CURL *c = wh->curl;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)wh->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(wh->timeout_ms < 3000 ? wh->timeout_ms : 3000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "gridloop/" GRIDLOOP_VERSION);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    *out = &wh->base;
    return 0;
}

/* ---------------------------------------------------------------- by name */

int notify_channel_new(struct notify_channel **out, const char *name, const char *webhook_url,
                       int timeout_ms, struct err *err)
{
    *out = NULL;
    if (strcmp(name, "none") == 0)
        return 0;
    if (strcmp(name, "log") == 0)
        return notify_channel_log_new(out, err);
    if (strcmp(name, "webhook") == 0)
        return notify_channel_webhook_new(out, webhook_url, timeout_ms, err);
    return err_field(err, ERR_BAD_REQUEST, "notify_channel",
                     "setting 'notify_channel' must be log, webhook or none, got '%s'", name);
}

void notify_channel_free(struct notify_channel *ch)
{
    if (ch)
        ch->ops->free(ch);
}
