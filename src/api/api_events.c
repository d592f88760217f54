/*
 * The live event stream, fed by the app's notification worker (src/app/app_notify.c).
 *
 * GET /api/v1/events/stream answers with server-sent events. Each subscriber is a stream
 * (src/http/http_stream.c: no thread is held while it is idle) plus a copy of the caller's
 * identity; the notification worker publishes every notification the first time it claims
 * it, and the hub forwards it to the subscribers whose scope covers its recipient:
 *   department  → handlers of that department
 *   dispatchers → dispatchers        supervisors → supervisors
 *     (a region-bound one only for cases in its region)
 *   citizen/user → that user alone   admin → everything else
 * Event id = notification id, so a client reconnecting with Last-Event-ID gets what it
 * missed from the outbox (bounded) before the live events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/num.h"
#include "notify/notify.h"
#include "org/org.h"
#include "store/store.h"

#define REPLAY_MAX 200

struct event_sub {
    struct http_stream *stream;
    int64_t user_id;
    unsigned roles;
    int64_t depts[AUTH_MAX_DEPTS];
    int ndepts;
    char region[32]; /* the holder's region scope, "" = none */
    int64_t min_id;  /* ids up to this one were replayed: skip them live */
    struct event_sub *next;
};

static const char gap_event[] = "event: gap\ndata: {\"reload\":true}\n\n";

/* A group notification about a case reaches a region-bound holder of the group's role only when
 * the case lies in its region (case_visible's rule for region-bound staff). */
static int in_region(const struct event_sub *s, const struct notify_item *n)
{
    if (!s->region[0] || !n->case_id)
        return 1;
    return n->case_region && *n->case_region &&
           org_region_code_in_subtree(n->case_region, s->region);
}

static int in_scope(const struct event_sub *s, const struct notify_item *n)
{
    const char *k = n->recipient_kind;
    /* A citizen's own notices (their report answered) name the account that reported: they go
     * to that account alone, not to admins, or an anonymous report would be unmasked. */
    if (strcmp(k, "citizen") == 0 || strcmp(k, "user") == 0)
        return n->recipient_id && n->recipient_id == s->user_id;
    if (s->roles & ROLE_ADMIN)
        return 1;
    if (strcmp(k, "department") == 0) {
        if (!(s->roles & ROLE_HANDLER))
            return 0;
        for (int i = 0; i < s->ndepts; i++)
            if (s->depts[i] == n->recipient_id)
                return 1;
        return 0;
    }
    if (strcmp(k, "dispatchers") == 0)
        return (s->roles & ROLE_DISPATCHER) && in_region(s, n);
    if (strcmp(k, "supervisors") == 0)
        return (s->roles & ROLE_SUPERVISOR) && in_region(s, n);
    return 0;
}

/* "id: 7\nevent: dispatched\ndata: {...}\n\n" */
static void event_text(const struct notify_item *n, struct buf *b)
{
    const char *kind = n->kind;
    if (strpbrk(kind, "\r\n") || !*kind)
        kind = "notification";
    buf_printf(b, "id: %lld\nevent: %s\ndata: ", (long long)n->id, kind);
    notify_item_json(n, b);
    buf_puts(b, "\n\n");
}

static void sub_free(struct event_sub *s)
{
    http_stream_unref(s->stream);
    free(s);
}

/* Unlink subscribers whose stream has ended. Called with events_lock held. */
static void prune(struct api *api)
{
    struct event_sub **pp = &api->subs;
    while (*pp) {
        struct event_sub *s = *pp;
        if (http_stream_is_open(s->stream)) {
            pp = &s->next;
            continue;
        }
        *pp = s->next;
        sub_free(s);
    }
}

static void publish(void *ctx, const struct notify_item *n)
{
    struct api *api = ctx;
    struct buf b;
    buf_init(&b);
    event_text(n, &b);
    pthread_mutex_lock(&api->events_lock);
    prune(api);
    for (struct event_sub *s = api->subs; s; s = s->next)
        if (n->id > s->min_id && in_scope(s, n))
            http_stream_send(s->stream, b.p, b.len);
    pthread_mutex_unlock(&api->events_lock);
    buf_release(&b);
}

/* Events published on another node while this one could not hear them are lost to its
 * streams: their clients reload their queues (and reconnect with Last-Event-ID). */
static void gap(void *ctx)
{
    struct api *api = ctx;
    pthread_mutex_lock(&api->events_lock);
    prune(api);
    for (struct event_sub *s = api->subs; s; s = s->next)
        http_stream_send(s->stream, gap_event, sizeof(gap_event) - 1);
    pthread_mutex_unlock(&api->events_lock);
}

int api_start_notifier(struct api *api, struct err *err)
{
    app_on_gap(api->app, gap, api);
    return app_start_notifier(api->app, publish, api, err);
}

void api_events_free(struct api *api)
{
    pthread_mutex_lock(&api->events_lock);
    while (api->subs) {
        struct event_sub *s = api->subs;
        api->subs = s->next;
        sub_free(s);
    }
    pthread_mutex_unlock(&api->events_lock);
}

static int64_t last_event_id(struct api_call *call)
{
    const char *v = http_req_header(call->req, "Last-Event-ID");
    if (!v || !*v)
        v = http_req_query(call->req, "last_event_id");
    if (!v || !*v)
        return 0;
    int64_t id;
    return num_parse_int(v, &id) < 0 || id < 0 ? 0 : id;
}

int api_events_stream(struct api_call *call)
{
    struct api *api = call->api;
    const struct auth_user *u = call->user;
    int64_t after = last_event_id(call);
    struct notify_item *items = NULL;
    int n = 0;
    if (call->req->method == HTTP_HEAD) {
        /* Headers only: no subscription for a body nobody will read. */
        http_res_body(call->res, 200, "text/event-stream; charset=utf-8", "", 0, HTTP_BODY_STATIC);
        http_res_header(call->res, "Cache-Control", "no-cache");
        return 0;
    }
    struct event_sub *s = xcalloc(1, sizeof(*s));
    s->user_id = u->id;
    s->roles = u->roles;
    s->ndepts = u->ndepts < AUTH_MAX_DEPTS ? u->ndepts : AUTH_MAX_DEPTS;
    memcpy(s->depts, u->depts, (size_t)s->ndepts * sizeof(s->depts[0]));
    snprintf(s->region, sizeof(s->region), "%s", u->region_code ? u->region_code : "");
    s->min_id = after;

    struct http_stream_options o = {
        .content_type = "text/event-stream; charset=utf-8",
        .max_messages = 256,
        .overflow_msg = gap_event,
        .idle_msg = ": keep-alive\n\n",
        .idle_seconds = 15,
    };
    /* Replay and subscribe under the hub lock, so a notification published meanwhile is
     * either in the replay (and skipped live through min_id) or arrives live, never both. */
    pthread_mutex_lock(&api->events_lock);
    if (after > 0) {
        int rc =
            notify_list_after(call->conn, after, REPLAY_MAX, call->req->arena, &items, &call->err);
        if (rc < 0) {
            pthread_mutex_unlock(&api->events_lock);
            free(s);
            return rc;
        }
        n = rc;
    }
    s->stream = http_res_stream(call->res, &o);
    http_res_header(call->res, "Cache-Control", "no-cache");
    /* The retry hint, and a first line so clients see the stream open at once. */
    static const char hello[] = "retry: 3000\n: connected\n\n";
    http_stream_send(s->stream, hello, sizeof(hello) - 1);
    if (n == REPLAY_MAX) {
        /* Missed too much to replay: the client reloads its queues instead. */
        http_stream_send(s->stream, gap_event, sizeof(gap_event) - 1);
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        if (items[i].id > s->min_id)
            s->min_id = items[i].id;
        if (!in_scope(s, &items[i]))
            continue;
        struct buf b;
        buf_init(&b);
        event_text(&items[i], &b);
        http_stream_send(s->stream, b.p, b.len);
        buf_release(&b);
    }
    prune(api);
    s->next = api->subs;
    api->subs = s;
    pthread_mutex_unlock(&api->events_lock);
    return 0;
}
